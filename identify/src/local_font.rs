//! The gaiji font of a round (外字ファイルの作成): every gaiji the reviewed table marks
//! `none` (no standard character) gets a city-local private-use code point and its own
//! glyph, taken from the vendor's outline when the gaiji list was a font, else traced from
//! its bitmap.

use crate::font_build::{FontBuildError, FontInfo, GaijiGlyph, GlyphShape, build_ttf};
use crate::glyph::is_private_use;
use crate::input::Gaiji;
use crate::mapping::{Level, MappingTable, parse_ucs};

/// First local code point handed out (Supplementary Private Use Area-A; the GJ characters of
/// 行政事務標準文字 live in plane 16, so plane 15 avoids them).
pub const LOCAL_START: u32 = 0xF0000;

#[derive(Debug, thiserror::Error)]
pub enum LocalFontError {
    #[error("gaiji {0} is marked none in the table but is not in the gaiji list")]
    Missing(String),
    #[error("gaiji {code}: ucs {ucs} of a none row must be a private-use code point")]
    NotPrivate { code: String, ucs: String },
    #[error(transparent)]
    Build(#[from] FontBuildError),
}

/// A built gaiji font and `(vendor code, local code point)` per glyph.
pub type LocalFont = (Vec<u8>, Vec<(String, u32)>);

/// Build the font; returns its bytes and `(vendor code, local code point)` for each glyph.
/// A `none` row whose `ucs` already holds a private-use code point keeps it; the others get
/// the next free one from [`LOCAL_START`], in table order, so reruns give the same codes.
pub fn build_local_font(
    table: &MappingTable,
    gaiji: &[Gaiji],
    family: &str,
) -> Result<LocalFont, LocalFontError> {
    let none_rows: Vec<_> = table
        .rows
        .iter()
        .filter(|r| r.level == Level::None)
        .collect();
    let mut used = std::collections::HashSet::new();
    for r in &none_rows {
        if let Some(cp) = parse_ucs(&r.ucs) {
            if !is_private_use(cp) {
                return Err(LocalFontError::NotPrivate {
                    code: r.code.clone(),
                    ucs: r.ucs.clone(),
                });
            }
            used.insert(cp);
        }
    }
    let mut next = LOCAL_START;
    let mut glyphs = Vec::new();
    let mut assigned = Vec::new();
    for r in none_rows {
        let g = gaiji
            .iter()
            .find(|g| g.code.eq_ignore_ascii_case(&r.code))
            .ok_or_else(|| LocalFontError::Missing(r.code.clone()))?;
        let cp = match parse_ucs(&r.ucs) {
            Some(cp) => cp,
            None => {
                while used.contains(&next) {
                    next += 1;
                }
                used.insert(next);
                next
            }
        };
        let mut glyph = match &g.outline {
            Some((contours, upem)) if !contours.is_empty() => {
                let mut gg = GaijiGlyph::new(cp, GlyphShape::Outline(contours.clone()));
                gg.source_upem = *upem;
                gg
            }
            _ => GaijiGlyph::new(cp, GlyphShape::Bitmap(g.bitmap.clone())),
        };
        glyph.name = Some(format!("gaiji{}", r.code));
        glyphs.push(glyph);
        assigned.push((r.code.clone(), cp));
    }
    let ttf = build_ttf(&FontInfo::new(family), &glyphs)?;
    Ok((ttf, assigned))
}
