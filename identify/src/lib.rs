//! 文字同定: identify a vendor's gaiji (外字) with MJ characters by their glyphs, and build
//! fonts of the gaiji that match nothing.
//!
//! - [`font_build`]: a TrueType writer for gaiji fonts (outlines or traced bitmaps).
//! - [`glyph`]: open a font, list its glyphs, get outlines and rasters by glyph id or MJ name.

pub mod features;
pub mod font_build;
pub mod glyph;
