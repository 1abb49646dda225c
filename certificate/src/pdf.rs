//! PDF rendering with krilla: A4 portrait, the certificate's lines drawn with IPAmj明朝,
//! embedded as a subset. We shape the text ourselves (one glyph per character, IVS resolved
//! through the font's format-14 cmap) because the variation selector picks the glyph the 戸籍
//! records; each glyph carries its source text (base + selector) so extraction gives the
//! exact characters back. A character the font lacks is an error, never a fallback glyph.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use krilla::Document;
use krilla::geom::{Point, Size, Transform};
use krilla::image::Image;
use krilla::page::PageSettings;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::CertificateError;
use crate::layout::{CertificateText, SEAL_SLOT};

const A4_W: f32 = 595.28;
const A4_H: f32 = 841.89;
const MARGIN_X: f32 = 48.0;
const MARGIN_TOP: f32 = 48.0;
const FONT_SIZE: f32 = 10.5;
const LEADING: f32 = 15.0;

/// Shaped glyphs and the (glyph index, code point) slots where local gaiji images go.
pub type Shaped = (Vec<KrillaGlyph>, Vec<(usize, char)>);

/// A loaded font: its bytes shared with krilla, parsed once.
#[derive(Clone)]
pub struct CertFont {
    data: Arc<Vec<u8>>,
    krilla: Font,
}

impl CertFont {
    /// Load a TrueType/OpenType font file (IPAmj明朝 in production).
    pub fn load(path: &Path) -> Result<CertFont, CertificateError> {
        let bytes = std::fs::read(path)
            .map_err(|e| CertificateError::Font(path.to_path_buf(), e.to_string()))?;
        let data = Arc::new(bytes);
        ttf_parser::Face::parse(&data, 0)
            .map_err(|e| CertificateError::Font(path.to_path_buf(), e.to_string()))?;
        let krilla = Font::new(data.clone().into(), 0).ok_or_else(|| {
            CertificateError::Font(path.to_path_buf(), "krilla cannot read it".into())
        })?;
        Ok(CertFont { data, krilla })
    }

    /// The installed IPAmj明朝 (`moji::refdata::ipamj_font_path()`), loaded once per process.
    pub fn ipamj() -> Result<CertFont, CertificateError> {
        static CACHE: OnceLock<Mutex<Option<(PathBuf, CertFont)>>> = OnceLock::new();
        let path = moji::refdata::ipamj_font_path();
        let cache = CACHE.get_or_init(|| Mutex::new(None));
        let mut guard = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, f)) = guard.as_ref()
            && *p == path
        {
            return Ok(f.clone());
        }
        let f = CertFont::load(&path)?;
        *guard = Some((path, f.clone()));
        Ok(f)
    }

    /// Glyphs for one line: one per character, a variation selector folded into its base.
    pub fn shape(&self, line: &str) -> Result<Vec<KrillaGlyph>, CertificateError> {
        self.shape_with_gaiji(line, &HashMap::new()).map(|(g, _)| g)
    }

    /// Like [`CertFont::shape`], but a local gaiji (private-use code point with a glyph image
    /// in `gaiji`) takes a blank full-width glyph carrying its code point as text; the returned
    /// list gives (glyph index, code point) for the caller to draw the image there.
    pub fn shape_with_gaiji(
        &self,
        line: &str,
        gaiji: &HashMap<char, Vec<u8>>,
    ) -> Result<Shaped, CertificateError> {
        let mut slots = Vec::new();
        let face = ttf_parser::Face::parse(&self.data, 0)
            .map_err(|e| CertificateError::Font(PathBuf::new(), e.to_string()))?;
        let upem = f32::from(face.units_per_em());
        let mut glyphs = Vec::new();
        let mut iter = line.char_indices().peekable();
        while let Some((start, c)) = iter.next() {
            let selector = iter
                .peek()
                .map(|&(_, n)| n)
                .filter(|&n| is_variation_selector(n));
            let mut end = start + c.len_utf8();
            let gid = match selector {
                Some(vs) => {
                    iter.next();
                    end += vs.len_utf8();
                    face.glyph_variation_index(c, vs).ok_or_else(|| {
                        CertificateError::MissingGlyph(
                            format!("{c}{vs}"),
                            cp_list(&format!("{c}{vs}")),
                        )
                    })?
                }
                None if gaiji.contains_key(&c) => {
                    slots.push((glyphs.len(), c));
                    face.glyph_index('\u{3000}').ok_or_else(|| {
                        CertificateError::MissingGlyph("\u{3000}".into(), "U+3000".into())
                    })?
                }
                None => face.glyph_index(c).ok_or_else(|| {
                    CertificateError::MissingGlyph(c.to_string(), cp_list(&c.to_string()))
                })?,
            };
            let advance = face.glyph_hor_advance(gid).map(f32::from).unwrap_or(upem) / upem;
            glyphs.push(KrillaGlyph {
                glyph_id: GlyphId::new(u32::from(gid.0)),
                text_range: start..end,
                x_advance: advance,
                x_offset: 0.0,
                y_offset: 0.0,
                y_advance: 0.0,
                location: None,
            });
        }
        Ok((glyphs, slots))
    }

    /// The font's names of the glyphs [`CertFont::shape`] prints for `line`, one per character
    /// (a variation selector folded into its base). IPAmj明朝 names each glyph after its MJ
    /// character (`mj009333`), so this tells which MJ glyph a certificate shows.
    pub fn glyph_names(&self, line: &str) -> Result<Vec<Option<String>>, CertificateError> {
        let face = ttf_parser::Face::parse(&self.data, 0)
            .map_err(|e| CertificateError::Font(PathBuf::new(), e.to_string()))?;
        Ok(self
            .shape(line)?
            .iter()
            .map(|g| {
                u16::try_from(g.glyph_id.to_u32())
                    .ok()
                    .and_then(|id| face.glyph_name(ttf_parser::GlyphId(id)))
                    .map(str::to_string)
            })
            .collect())
    }

    /// Check that every character of `text` has a glyph (IVS included) or a gaiji image.
    pub fn covers(
        &self,
        text: &str,
        gaiji: &HashMap<char, Vec<u8>>,
    ) -> Result<(), CertificateError> {
        for line in text.lines() {
            self.shape_with_gaiji(line, gaiji)?;
        }
        Ok(())
    }
}

fn is_variation_selector(c: char) -> bool {
    matches!(c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

fn cp_list(s: &str) -> String {
    s.chars()
        .map(|c| format!("U+{:04X}", c as u32))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Extra drawing: the seal image and page images (image registers), PNG bytes.
#[derive(Default)]
pub struct PdfAssets<'a> {
    /// The 電子公印 image, drawn over the seal slot.
    pub seal_png: Option<&'a [u8]>,
    /// For a 謄本 of an image register: `page_images[i]` drawn on page `i` under its lines.
    pub page_images: Vec<Vec<u8>>,
    /// Local gaiji (private-use code points of the store) and their glyph PNGs.
    pub gaiji: HashMap<char, Vec<u8>>,
}

/// Render the certificate's pages to PDF bytes.
pub fn render(
    text: &CertificateText,
    font: &CertFont,
    assets: &PdfAssets<'_>,
) -> Result<Vec<u8>, CertificateError> {
    let mut doc = Document::new();
    let seal = match assets.seal_png {
        Some(png) => {
            Some(Image::from_png(png.to_vec().into(), true).map_err(CertificateError::Image)?)
        }
        None => None,
    };
    for (page_no, lines) in text.pages.iter().enumerate() {
        let settings =
            PageSettings::from_wh(A4_W, A4_H).ok_or(CertificateError::Image("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut y = MARGIN_TOP;
        for line in lines {
            y += LEADING;
            let (drawn, seal_x) = match (seal.as_ref(), line.find(SEAL_SLOT)) {
                (Some(_), Some(at)) => (
                    &line[..at],
                    Some(advance_of(font, &line[..at], &assets.gaiji)?),
                ),
                _ => (line.as_str(), None),
            };
            if !drawn.trim().is_empty() {
                let (glyphs, slots) = font.shape_with_gaiji(drawn, &assets.gaiji)?;
                surface.draw_glyphs(
                    Point::from_xy(MARGIN_X, y),
                    &glyphs,
                    font.krilla.clone(),
                    drawn,
                    FONT_SIZE,
                    false,
                );
                // Local gaiji: their glyph images over the blank glyphs that carry their text.
                for (at, c) in slots {
                    let x: f32 = glyphs[..at].iter().map(|g| g.x_advance * FONT_SIZE).sum();
                    let img = Image::from_png(assets.gaiji[&c].clone().into(), true)
                        .map_err(CertificateError::Image)?;
                    surface.push_transform(&Transform::from_translate(
                        MARGIN_X + x,
                        y - FONT_SIZE * 0.88,
                    ));
                    let size = Size::from_wh(FONT_SIZE, FONT_SIZE)
                        .ok_or(CertificateError::Image("gaiji size".into()))?;
                    surface.draw_image(img, size);
                    surface.pop();
                }
            }
            if let (Some(img), Some(x)) = (seal.as_ref(), seal_x) {
                let side = FONT_SIZE * 5.0;
                surface.push_transform(&Transform::from_translate(MARGIN_X + x, y - side * 0.7));
                let size =
                    Size::from_wh(side, side).ok_or(CertificateError::Image("seal size".into()))?;
                surface.draw_image(img.clone(), size);
                surface.pop();
            }
        }
        if let Some(png) = assets.page_images.get(page_no) {
            let img = Image::from_png(png.clone().into(), true).map_err(CertificateError::Image)?;
            let (w, h) = img.size();
            let top = y + LEADING;
            let (avail_w, avail_h) = (A4_W - 2.0 * MARGIN_X, A4_H - top - MARGIN_TOP);
            let scale = (avail_w / w as f32).min(avail_h / h as f32);
            surface.push_transform(&Transform::from_translate(MARGIN_X, top));
            let size = Size::from_wh(w as f32 * scale, h as f32 * scale)
                .ok_or(CertificateError::Image("image size".into()))?;
            surface.draw_image(img, size);
            surface.pop();
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| CertificateError::Pdf(format!("{e:?}")))
}

fn advance_of(
    font: &CertFont,
    s: &str,
    gaiji: &HashMap<char, Vec<u8>>,
) -> Result<f32, CertificateError> {
    Ok(font
        .shape_with_gaiji(s, gaiji)?
        .0
        .iter()
        .map(|g| g.x_advance * FONT_SIZE)
        .sum())
}
