//! Fonts as glyph sources: list glyphs, map code points (including IVS), get quadratic
//! outlines and greyscale rasters by glyph id.
//!
//! Rasterising by glyph id matters: 6,237 IPAmj明朝 glyphs are reachable only through the
//! format-14 variation-sequence table, and renderers that go through the character map draw
//! them blank.
//!
//! ```no_run
//! use identify::glyph::FontData;
//! let data = FontData::load(&moji::refdata::ipamj_font_path(), 0).unwrap();
//! let font = data.font().unwrap();
//! let gid = font.glyph_by_name("mj000007").unwrap();
//! let outline = font.outline(gid); // quadratic contours, font units
//! let raster = font.raster(gid, 64); // 64×64 em box, 0 = paper, 255 = ink
//! assert!(!raster.is_blank() && !outline.is_empty());
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ab_glyph_rasterizer::{Rasterizer, point};
pub use ttf_parser::GlyphId;

use crate::font_build::{Bitmap, Contour, Point};

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("{path}: cannot read font: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a usable TrueType/OpenType font (face {index}): {reason}")]
    Parse {
        path: PathBuf,
        index: u32,
        reason: String,
    },
}

/// The bytes of a font file (or one face of a collection), owned.
pub struct FontData {
    pub path: PathBuf,
    pub index: u32,
    bytes: Vec<u8>,
}

impl FontData {
    /// Read a font file; `index` picks a face of a TrueType collection (0 otherwise).
    pub fn load(path: &Path, index: u32) -> Result<Self, FontError> {
        let bytes = std::fs::read(path).map_err(|source| FontError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(path, bytes, index)
    }

    /// Wrap bytes already in memory; checks that they parse.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>, index: u32) -> Result<Self, FontError> {
        let d = FontData {
            path: path.to_path_buf(),
            index,
            bytes,
        };
        d.font()?;
        Ok(d)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A parsed view of the font (cheap: parsing reads only the table directory).
    pub fn font(&self) -> Result<GlyphFont<'_>, FontError> {
        let face =
            ttf_parser::Face::parse(&self.bytes, self.index).map_err(|e| FontError::Parse {
                path: self.path.clone(),
                index: self.index,
                reason: e.to_string(),
            })?;
        Ok(GlyphFont::new(face))
    }
}

/// A parsed font.
pub struct GlyphFont<'a> {
    face: ttf_parser::Face<'a>,
    /// Top of the em box (font units above the baseline) and the em size.
    em_top: f32,
    upem: f32,
}

impl<'a> GlyphFont<'a> {
    fn new(face: ttf_parser::Face<'a>) -> Self {
        let upem = face.units_per_em() as f32;
        // The ideographic em box: the typographic ascender when ascender − descender spans
        // exactly one em (IPAmj, most Japanese fonts), else the usual 0.88 em.
        let asc = face.typographic_ascender().unwrap_or(0) as f32;
        let desc = face.typographic_descender().unwrap_or(0) as f32;
        let em_top = if (asc - desc - upem).abs() < 1.0 && asc > 0.0 {
            asc
        } else {
            0.88 * upem
        };
        GlyphFont { face, em_top, upem }
    }

    pub fn face(&self) -> &ttf_parser::Face<'a> {
        &self.face
    }

    pub fn units_per_em(&self) -> u16 {
        self.face.units_per_em()
    }

    pub fn number_of_glyphs(&self) -> u16 {
        self.face.number_of_glyphs()
    }

    pub fn glyph_name(&self, gid: GlyphId) -> Option<&str> {
        self.face.glyph_name(gid)
    }

    /// The glyph named `name` (e.g. `mj012345`); a linear scan, use [`Self::names`] for many.
    pub fn glyph_by_name(&self, name: &str) -> Option<GlyphId> {
        (0..self.face.number_of_glyphs())
            .map(GlyphId)
            .find(|&g| self.face.glyph_name(g) == Some(name))
    }

    /// Every glyph name, by glyph id.
    pub fn names(&self) -> HashMap<String, GlyphId> {
        self.glyph_names()
            .into_iter()
            .enumerate()
            .filter_map(|(g, n)| n.map(|n| (n, GlyphId(g as u16))))
            .collect()
    }

    /// The name of every glyph, indexed by glyph id, read in one pass over a version-2 `post`
    /// table (a name lookup per glyph walks the name list each time: quadratic for IPAmj's
    /// 61,179 glyphs).
    pub fn glyph_names(&self) -> Vec<Option<String>> {
        let n = self.face.number_of_glyphs() as usize;
        let post = self
            .face
            .raw_face()
            .table(ttf_parser::Tag::from_bytes(b"post"));
        if let Some(p) = post
            && p.len() >= 34
            && p[0..4] == [0, 2, 0, 0]
        {
            let count = u16::from_be_bytes([p[32], p[33]]) as usize;
            let idx_end = 34 + 2 * count;
            if let Some(idx) = p.get(34..idx_end) {
                let mut custom: Vec<&[u8]> = Vec::new();
                let mut at = idx_end;
                while at < p.len() {
                    let len = p[at] as usize;
                    let Some(name) = p.get(at + 1..at + 1 + len) else {
                        break;
                    };
                    custom.push(name);
                    at += 1 + len;
                }
                return (0..n)
                    .map(|g| {
                        let i = idx
                            .get(2 * g..2 * g + 2)
                            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)?;
                        if i >= 258 {
                            custom
                                .get(i - 258)
                                .map(|b| String::from_utf8_lossy(b).into_owned())
                        } else {
                            self.face.glyph_name(GlyphId(g as u16)).map(str::to_string)
                        }
                    })
                    .collect();
            }
        }
        (0..n)
            .map(|g| self.face.glyph_name(GlyphId(g as u16)).map(str::to_string))
            .collect()
    }

    pub fn glyph_for_char(&self, cp: u32) -> Option<GlyphId> {
        self.face.glyph_index(char::from_u32(cp)?)
    }

    /// The glyph of a variation sequence (e.g. an IVS U+E0100…); none when the sequence is
    /// not in the font's format-14 table (the default glyph is not substituted).
    pub fn glyph_for_variation(&self, cp: u32, selector: u32) -> Option<GlyphId> {
        self.face
            .glyph_variation_index(char::from_u32(cp)?, char::from_u32(selector)?)
    }

    /// Every (code point, glyph) pair of the Unicode character maps, sorted by code point.
    pub fn mapped_codepoints(&self) -> Vec<(u32, GlyphId)> {
        let mut out = std::collections::BTreeMap::new();
        if let Some(cmap) = self.face.tables().cmap {
            for sub in cmap.subtables {
                if !sub.is_unicode() {
                    continue;
                }
                sub.codepoints(|cp| {
                    if let Some(g) = sub.glyph_index(cp)
                        && g.0 != 0
                    {
                        out.entry(cp).or_insert(g);
                    }
                });
            }
        }
        out.into_iter().collect()
    }

    /// The code points in the private use areas (BMP and planes 15–16), where vendors and
    /// cities put gaiji.
    pub fn private_use_glyphs(&self) -> Vec<(u32, GlyphId)> {
        self.mapped_codepoints()
            .into_iter()
            .filter(|(cp, _)| is_private_use(*cp))
            .collect()
    }

    /// The glyph's contours in font units (y up). Cubic curves (CFF fonts) are split into
    /// quadratics close enough for a gaiji font.
    pub fn outline(&self, gid: GlyphId) -> Vec<Contour> {
        let mut b = ContourBuilder::default();
        self.face.outline_glyph(gid, &mut b);
        b.finish();
        b.contours
    }

    /// Draw the glyph's em box into a `size`×`size` greyscale bitmap (0 paper, 255 ink).
    pub fn raster(&self, gid: GlyphId, size: usize) -> Bitmap {
        let mut r = RasterBuilder::new(size, self.upem, self.em_top);
        self.face.outline_glyph(gid, &mut r);
        r.finish()
    }

    /// Advance width in font units.
    pub fn advance(&self, gid: GlyphId) -> Option<u16> {
        self.face.glyph_hor_advance(gid)
    }
}

/// U+E000–U+F8FF, U+F0000–U+FFFFD, U+100000–U+10FFFD.
pub fn is_private_use(cp: u32) -> bool {
    (0xE000..=0xF8FF).contains(&cp)
        || (0xF0000..=0xFFFFD).contains(&cp)
        || (0x100000..=0x10FFFD).contains(&cp)
}

#[derive(Default)]
struct ContourBuilder {
    contours: Vec<Contour>,
    cur: Contour,
    last: (f32, f32),
}

impl ContourBuilder {
    fn finish(&mut self) {
        if self.cur.len() > 1
            && let (Some(f), Some(l)) = (self.cur.first(), self.cur.last())
            && f.x == l.x
            && f.y == l.y
        {
            self.cur.pop();
        }
        if self.cur.len() >= 2 {
            self.contours.push(std::mem::take(&mut self.cur));
        }
        self.cur.clear();
    }
    fn on(&mut self, x: f32, y: f32) {
        self.cur.push(Point {
            x,
            y,
            on_curve: true,
        });
        self.last = (x, y);
    }
}

impl ttf_parser::OutlineBuilder for ContourBuilder {
    fn move_to(&mut self, x: f32, y: f32) {
        self.finish();
        self.on(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.on(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.cur.push(Point {
            x: x1,
            y: y1,
            on_curve: false,
        });
        self.on(x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        // Split the cubic at t = 0.5 and approximate each half by one quadratic whose control
        // point is the mean of the two tangent-line estimates.
        let (x0, y0) = self.last;
        let m = |a: f32, b: f32| (a + b) / 2.0;
        let (ax, ay) = (m(x0, x1), m(y0, y1));
        let (bx, by) = (m(x1, x2), m(y1, y2));
        let (cx, cy) = (m(x2, x), m(y2, y));
        let (abx, aby) = (m(ax, bx), m(ay, by));
        let (bcx, bcy) = (m(bx, cx), m(by, cy));
        let (midx, midy) = (m(abx, bcx), m(aby, bcy));
        for (p0, c1, c2, p3) in [
            ((x0, y0), (ax, ay), (abx, aby), (midx, midy)),
            ((midx, midy), (bcx, bcy), (cx, cy), (x, y)),
        ] {
            let qx = (3.0 * (c1.0 + c2.0) - p0.0 - p3.0) / 4.0;
            let qy = (3.0 * (c1.1 + c2.1) - p0.1 - p3.1) / 4.0;
            self.cur.push(Point {
                x: qx,
                y: qy,
                on_curve: false,
            });
            self.on(p3.0, p3.1);
        }
    }
    fn close(&mut self) {
        self.finish();
    }
}

struct RasterBuilder {
    r: Rasterizer,
    size: usize,
    /// Blank border around the em box: ink slightly outside the em still rasterises, and
    /// anything further out is clamped into the border and cut away.
    margin: usize,
    scale: f32,
    em_top: f32,
    start: ab_glyph_rasterizer::Point,
    last: ab_glyph_rasterizer::Point,
}

impl RasterBuilder {
    fn new(size: usize, upem: f32, em_top: f32) -> Self {
        let size = size.clamp(1, 4096);
        let margin = size / 4 + 1;
        let p = point(0.0, 0.0);
        let side = size + 2 * margin;
        RasterBuilder {
            r: Rasterizer::new(side, side),
            size,
            margin,
            scale: size as f32 / upem.max(1.0),
            em_top,
            start: p,
            last: p,
        }
    }
    fn tr(&self, x: f32, y: f32) -> ab_glyph_rasterizer::Point {
        // The rasteriser needs every point inside its canvas (it indexes by position).
        let m = self.margin as f32;
        let lim = (self.size + 2 * self.margin) as f32;
        let fx = x * self.scale + m;
        let fy = (self.em_top - y) * self.scale + m;
        let fx = if fx.is_finite() {
            fx.clamp(0.0, lim)
        } else {
            0.0
        };
        let fy = if fy.is_finite() {
            fy.clamp(0.0, lim)
        } else {
            0.0
        };
        point(fx, fy)
    }
    fn finish(mut self) -> Bitmap {
        self.close_path();
        let mut bm = Bitmap::new(self.size, self.size);
        let (side, m, size) = (self.size + 2 * self.margin, self.margin, self.size);
        self.r.for_each_pixel(|i, a| {
            let (x, y) = (i % side, i / side);
            if x >= m && y >= m && x < m + size && y < m + size {
                bm.data[(y - m) * size + (x - m)] = (a.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        });
        bm
    }
    fn close_path(&mut self) {
        if self.last != self.start {
            self.r.draw_line(self.last, self.start);
            self.last = self.start;
        }
    }
}

impl ttf_parser::OutlineBuilder for RasterBuilder {
    fn move_to(&mut self, x: f32, y: f32) {
        self.close_path();
        self.start = self.tr(x, y);
        self.last = self.start;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.tr(x, y);
        self.r.draw_line(self.last, p);
        self.last = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (c, p) = (self.tr(x1, y1), self.tr(x, y));
        self.r.draw_quad(self.last, c, p);
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (c1, c2, p) = (self.tr(x1, y1), self.tr(x2, y2), self.tr(x, y));
        self.r.draw_cubic(self.last, c1, c2, p);
        self.last = p;
    }
    fn close(&mut self) {
        self.close_path();
    }
}

/// Render an outline (font units of `upem`, em top at `em_top`) into a `size`×`size` bitmap;
/// the same drawing as [`GlyphFont::raster`], for outlines that are not in a font.
pub fn raster_contours(contours: &[Contour], upem: f32, em_top: f32, size: usize) -> Bitmap {
    use ttf_parser::OutlineBuilder;
    let mut r = RasterBuilder::new(size, upem, em_top);
    for c in contours {
        let Some(start) = c.iter().position(|p| p.on_curve) else {
            continue;
        };
        let n = c.len();
        r.move_to(c[start].x, c[start].y);
        let mut i = 1;
        while i <= n {
            let p = c[(start + i) % n];
            if p.on_curve {
                r.line_to(p.x, p.y);
                i += 1;
            } else {
                let q = c[(start + i + 1) % n];
                let (ex, ey) = if q.on_curve {
                    (q.x, q.y)
                } else {
                    ((p.x + q.x) / 2.0, (p.y + q.y) / 2.0)
                };
                r.quad_to(p.x, p.y, ex, ey);
                i += if q.on_curve { 2 } else { 1 };
            }
        }
        r.close();
    }
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font_build::{FontInfo, GaijiGlyph, GlyphShape, build_ttf};

    #[test]
    fn outlines_round_trip_through_a_built_font() {
        let mut bm = Bitmap::new(8, 8);
        for y in 2..6 {
            for x in 1..7 {
                bm.set(x, y, 255);
            }
        }
        let ttf = build_ttf(
            &FontInfo::new("T"),
            &[GaijiGlyph::new(0xE123, GlyphShape::Bitmap(bm.clone()))],
        )
        .unwrap();
        let data = FontData::from_bytes(Path::new("mem.ttf"), ttf, 0).unwrap();
        let font = data.font().unwrap();
        assert_eq!(font.private_use_glyphs(), vec![(0xE123, GlyphId(1))]);
        let r = font.raster(GlyphId(1), 8);
        // the traced squares land back on the same pixels
        let inked: Vec<bool> = r.data.iter().map(|&v| v >= 128).collect();
        let want: Vec<bool> = bm.data.iter().map(|&v| v >= 128).collect();
        assert_eq!(inked, want);
        let again = raster_contours(&font.outline(GlyphId(1)), 1000.0, 880.0, 8);
        assert_eq!(again.data, r.data);
    }
}

#[cfg(test)]
mod ipamj_tests {
    use super::*;

    #[test]
    fn one_pass_glyph_names_agree_with_lookups() {
        let path = moji::refdata::ipamj_font_path();
        if !path.exists() {
            eprintln!("!!!!! SKIPPED: IPAmj明朝 not installed !!!!!");
            return;
        }
        let data = FontData::load(&path, 0).unwrap();
        let f = data.font().unwrap();
        let names = f.glyph_names();
        assert_eq!(names.len(), f.number_of_glyphs() as usize);
        for g in (0..f.number_of_glyphs()).step_by(997) {
            assert_eq!(
                names[g as usize].as_deref(),
                f.glyph_name(GlyphId(g)),
                "glyph {g}"
            );
        }
    }
}
