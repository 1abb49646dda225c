//! 文字同定: identify a vendor's gaiji (外字) with MJ characters by their glyphs, and build
//! fonts of the gaiji that match nothing.
//!
//! - [`font_build`]: a TrueType writer for gaiji fonts (outlines or traced bitmaps).
//! - [`glyph`]: open a font, list its glyphs, get outlines and rasters by glyph id or MJ name.
//! - [`refset`]: the MJ reference set (IPAmj明朝 joined with the MJ文字情報一覧表).
//! - [`features`], [`index`]: glyph features, the cached reference index and its search.
//! - [`input`], [`image_io`]: gaiji lists from fonts, BDF files and image folders.
//! - [`run`], [`report`], [`mapping`]: a round (TSV, review page, reviewed table).
//! - [`local_font`]: the font of gaiji that match nothing (`koseki gaiji-font`).

pub mod features;
pub mod font_build;
pub mod glyph;
pub mod image_io;
pub mod index;
pub mod input;
pub mod local_font;
pub mod mapping;
pub mod refset;
pub mod report;
pub mod run;
