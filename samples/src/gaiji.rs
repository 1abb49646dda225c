//! Vendor gaiji: MJ characters outside JIS X 0208 that the old system kept in JEF's
//! user-defined area, chosen from the MJ文字情報 database as variants (異体字) of characters in
//! the name and place lists, and drawn from IPAmj明朝 with a vendor font's distortions.

use std::collections::BTreeMap;
use std::path::Path;

use identify::font_build::{Bitmap, Contour, GaijiGlyph, GlyphShape, Point};
use identify::glyph::{FontData, raster_contours};
use identify::index::binarised;

use crate::SampleError;
use crate::rng::Rng;

#[derive(Clone, Debug)]
pub struct Gaiji {
    /// JEF user-area code, 0x80A1..=0xA0FE.
    pub code: u16,
    /// The private-use code point the code decodes to (U+E000 + (hi−0x80)×94 + (lo−0xA1)).
    pub pua: char,
    /// MJ文字図形名 (the truth).
    pub mj: String,
    /// The JIS X 0208 character it is a variant of.
    pub base: char,
    /// Its glyph in IPAmj明朝 (found through the cmap: UCS, or UCS + Moji_Joho IVS).
    pub gid: u16,
}

pub fn pua_for(code: u16) -> char {
    let hi = u32::from(code >> 8);
    let lo = u32::from(code & 0xFF);
    char::from_u32(0xE000 + (hi - 0x80) * 94 + (lo - 0xA1)).unwrap_or('\u{E000}')
}

fn code_for_index(i: usize) -> u16 {
    let hi = 0x80 + (i / 94) as u16;
    let lo = 0xA1 + (i % 94) as u16;
    (hi << 8) | lo
}

/// Variants by base character, used when drawing names.
#[derive(Default)]
pub struct Variants {
    pub gaiji: Vec<Gaiji>,
    by_base: BTreeMap<char, Vec<char>>,
}

impl Variants {
    pub fn new(gaiji: Vec<Gaiji>) -> Variants {
        let mut by_base: BTreeMap<char, Vec<char>> = BTreeMap::new();
        for g in &gaiji {
            by_base.entry(g.base).or_default().push(g.pua);
        }
        Variants { gaiji, by_base }
    }

    /// With probability `p`, one character of `text` that has variants is replaced by one.
    pub fn vary(&self, rng: &mut Rng, text: &str, p: f64) -> String {
        if self.by_base.is_empty() || !rng.chance(p) {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let spots: Vec<usize> = (0..chars.len())
            .filter(|&i| self.by_base.contains_key(&chars[i]))
            .collect();
        if spots.is_empty() {
            return text.to_string();
        }
        let i = *rng.pick(&spots);
        let mut out = chars.clone();
        out[i] = *rng.pick(&self.by_base[&chars[i]]);
        out.into_iter().collect()
    }

    /// Replaces `base` by `pua` in `text` (first occurrence), if present.
    pub fn force(text: &str, base: char, pua: char) -> Option<String> {
        text.contains(base)
            .then(|| text.replacen(base, &pua.to_string(), 1))
    }
}

/// Is `c` in JIS X 0208 (rows 1–84 without the NEC row 13)?
pub fn in_jis0208(c: char) -> bool {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (bytes, _, bad) = encoding_rs::EUC_JP.encode(s);
    if bad || bytes.len() != 2 || bytes[0] < 0xA1 {
        return false;
    }
    let row = bytes[0] - 0xA0;
    row <= 84 && row != 13
}

/// Chooses `count` gaiji: MJ variants of the characters in `base_text` that are outside JIS
/// X 0208 (another code point, or a glyph reachable only through its Moji_Joho IVS) and have
/// a glyph in IPAmj. Deterministic for a seed.
pub fn choose(
    db: &Path,
    font: &FontData,
    base_text: &str,
    count: usize,
    seed: u64,
) -> Result<Vec<Gaiji>, SampleError> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| SampleError::RefData(format!("{}: {e}", db.display())))?;
    let mut bases: Vec<char> = base_text
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .collect();
    bases.sort_unstable();
    bases.dedup();
    let tables: Vec<String> = {
        let mut st = conn
            .prepare("select name from sqlite_master where type='table' and name like 'mjsm\\_%' escape '\\' and name != 'mjsm_note' order by name")
            .map_err(|e| SampleError::RefData(e.to_string()))?;
        st.query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| SampleError::RefData(e.to_string()))?
            .filter_map(Result::ok)
            .collect()
    };
    let mut cand: BTreeMap<String, char> = BTreeMap::new();
    for t in &tables {
        let sql = format!("select \"MJ文字図形名\", \"縮退UCS\" from \"{t}\"");
        let mut st = conn
            .prepare(&sql)
            .map_err(|e| SampleError::RefData(e.to_string()))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| SampleError::RefData(e.to_string()))?;
        for (mj, u) in rows.filter_map(Result::ok) {
            let mut it = u.chars();
            if let (Some(c), None) = (it.next(), it.next())
                && bases.binary_search(&c).is_ok()
            {
                cand.entry(mj).or_insert(c);
            }
        }
    }
    let gf = font
        .font()
        .map_err(|e| SampleError::RefData(e.to_string()))?;
    let mut st = conn
        .prepare("select \"実装したUCS\", \"実装したMoji_JohoコレクションIVS\" from mji where \"MJ文字図形名\" = ?1")
        .map_err(|e| SampleError::RefData(e.to_string()))?;
    let mut ok: Vec<(String, char, u16)> = Vec::new();
    for (mj, base) in &cand {
        let row: Option<(Option<String>, Option<String>)> =
            st.query_row([mj], |r| Ok((r.get(0)?, r.get(1)?))).ok();
        let Some((implemented, ivs)) = row else {
            continue;
        };
        let implemented = implemented.filter(|s| !s.is_empty());
        let first = implemented.as_deref().and_then(|s| s.chars().next());
        let outside = match first {
            Some(c) => !in_jis0208(c) && c != *base,
            None => true,
        };
        // The glyph through the cmap: the IVS when the MJ character has one, else its UCS.
        let gid = match ivs.as_deref().filter(|s| !s.is_empty()) {
            Some(seq) => {
                let v: Vec<char> = seq.chars().collect();
                if v.len() == 2 {
                    gf.glyph_for_variation(v[0] as u32, v[1] as u32)
                } else {
                    None
                }
            }
            None => first.and_then(|c| gf.glyph_for_char(c as u32)),
        };
        if let (true, Some(gid)) = (outside, gid) {
            ok.push((mj.clone(), *base, gid.0));
        }
    }
    // A seeded shuffle, then the vendor registered them in that order.
    let mut rng = Rng::new(seed, 77);
    for i in (1..ok.len()).rev() {
        let j = rng.below(i + 1);
        ok.swap(i, j);
    }
    ok.truncate(count);
    Ok(ok
        .into_iter()
        .enumerate()
        .map(|(i, (mj, base, gid))| {
            let code = code_for_index(i);
            Gaiji {
                code,
                pua: pua_for(code),
                mj,
                base,
                gid,
            }
        })
        .collect())
}

/// A vendor font's drawing of one MJ glyph: a slightly different design (scale, shear, shift)
/// and stroke weight.
pub struct Drawn {
    pub outline: Vec<Contour>,
    pub upem: u16,
    pub dots24: Bitmap,
    pub dots32: Bitmap,
    pub image64: Bitmap,
}

fn em_top(face: &identify::glyph::GlyphFont) -> f32 {
    let f = face.face();
    let upem = f32::from(f.units_per_em());
    let asc = f32::from(f.typographic_ascender().unwrap_or(0));
    let desc = f32::from(f.typographic_descender().unwrap_or(0));
    if (asc - desc - upem).abs() < 1.0 && asc > 0.0 {
        asc
    } else {
        0.88 * upem
    }
}

/// One step of dilation (bold) or erosion (light) on a bi-level bitmap.
fn weight(bm: &Bitmap, bold: bool) -> Bitmap {
    let mut out = bm.clone();
    for y in 0..bm.height {
        for x in 0..bm.width {
            let mut any = false;
            let mut all = true;
            for (dx, dy) in [(0i32, 0i32), (1, 0), (-1, 0), (0, 1), (0, -1)] {
                let (xx, yy) = (x as i32 + dx, y as i32 + dy);
                let v = if xx < 0 || yy < 0 || xx >= bm.width as i32 || yy >= bm.height as i32 {
                    0
                } else {
                    bm.get(xx as usize, yy as usize)
                };
                any |= v > 0;
                all &= v > 0;
            }
            out.set(
                x,
                y,
                if (bold && any) || (!bold && all) {
                    255
                } else {
                    0
                },
            );
        }
    }
    out
}

/// Box-filter down to `n`×`n`, then a threshold (bitmaps of a dot font).
fn shrink(bm: &Bitmap, n: usize, t: u32) -> Bitmap {
    let mut out = Bitmap::new(n, n);
    for y in 0..n {
        for x in 0..n {
            let (x0, x1) = (
                x * bm.width / n,
                ((x + 1) * bm.width / n).max(x * bm.width / n + 1),
            );
            let (y0, y1) = (
                y * bm.height / n,
                ((y + 1) * bm.height / n).max(y * bm.height / n + 1),
            );
            let mut sum = 0u32;
            for yy in y0..y1 {
                for xx in x0..x1 {
                    sum += u32::from(bm.get(xx, yy));
                }
            }
            let avg = sum / ((x1 - x0) * (y1 - y0)) as u32;
            out.set(x, y, if avg >= t { 255 } else { 0 });
        }
    }
    out
}

/// Draws gaiji `g` as the vendor's font did.
pub fn draw(font: &identify::glyph::GlyphFont, g: &Gaiji, seed: u64) -> Option<Drawn> {
    let gid = identify::glyph::GlyphId(g.gid);
    let upem = font.units_per_em();
    let u = f32::from(upem);
    let top = em_top(font);
    let mut rng = Rng::new(seed, 0x6A1_0000 + u64::from(g.code));
    let sx = 0.90 + 0.08 * rng.f64() as f32;
    let sy = 0.90 + 0.08 * rng.f64() as f32;
    let shear = (rng.f64() as f32 - 0.5) * 0.06;
    let dx = (rng.f64() as f32 - 0.5) * 0.05 * u;
    let dy = (rng.f64() as f32 - 0.5) * 0.05 * u;
    let (cx, cy) = (u / 2.0, top - u / 2.0);
    let outline: Vec<Contour> = font
        .outline(gid)
        .into_iter()
        .map(|c| {
            c.into_iter()
                .map(|p| Point {
                    x: cx + (p.x - cx) * sx + shear * (p.y - cy) + dx,
                    y: cy + (p.y - cy) * sy + dy,
                    on_curve: p.on_curve,
                })
                .collect()
        })
        .collect();
    let master = binarised(&raster_contours(&outline, u, top, 128), 110);
    let w = rng.below(3);
    let master = match w {
        0 => weight(&master, true),
        1 => master,
        _ => weight(&master, false),
    };
    Some(Drawn {
        outline,
        upem,
        dots24: shrink(&master, 24, 80),
        dots32: shrink(&master, 32, 90),
        image64: shrink(&master, 64, 110),
    })
}

/// The gaiji list as a BDF bitmap font (`ENCODING` is the JEF code).
pub fn bdf(drawn: &[(Gaiji, Drawn)], size: usize) -> String {
    let mut s = String::new();
    let descent = size / 12;
    s.push_str("STARTFONT 2.1\n");
    s.push_str(&format!(
        "FONT -FJ-Gaiji-Medium-R-Normal--{size}-{}-75-75-C-{}-JEF-USER\n",
        size * 10,
        size * 10
    ));
    s.push_str(&format!(
        "SIZE {size} 75 75\nFONTBOUNDINGBOX {size} {size} 0 -{descent}\n"
    ));
    s.push_str(&format!("STARTPROPERTIES 3\nFONT_ASCENT {}\nFONT_DESCENT {descent}\nDEFAULT_CHAR {}\nENDPROPERTIES\n", size - descent, drawn.first().map_or(0, |d| d.0.code)));
    s.push_str(&format!("CHARS {}\n", drawn.len()));
    for (g, d) in drawn {
        let bm = if size == 24 { &d.dots24 } else { &d.dots32 };
        s.push_str(&format!("STARTCHAR {:04X}\nENCODING {}\nSWIDTH 1000 0\nDWIDTH {size} 0\nBBX {size} {size} 0 -{descent}\nBITMAP\n", g.code, g.code));
        let bytes = size.div_ceil(8);
        for y in 0..bm.height {
            let mut row = vec![0u8; bytes];
            for x in 0..bm.width {
                if bm.get(x, y) > 0 {
                    row[x / 8] |= 0x80 >> (x % 8);
                }
            }
            for b in row {
                s.push_str(&format!("{b:02X}"));
            }
            s.push('\n');
        }
        s.push_str("ENDCHAR\n");
    }
    s.push_str("ENDFONT\n");
    s
}

/// A PNG of a glyph (8-bit grey, black ink on white).
pub fn png(bm: &Bitmap) -> Result<Vec<u8>, SampleError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, bm.width as u32, bm.height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| SampleError::Image(e.to_string()))?;
        let data: Vec<u8> = bm.data.iter().map(|&v| 255 - v).collect();
        w.write_image_data(&data)
            .map_err(|e| SampleError::Image(e.to_string()))?;
    }
    Ok(out)
}

/// The EUDC-style TrueType font: each gaiji's outline on its private-use code point.
pub fn ttf(drawn: &[(Gaiji, Drawn)]) -> Result<Vec<u8>, SampleError> {
    let glyphs: Vec<GaijiGlyph> = drawn
        .iter()
        .map(|(g, d)| {
            let mut gg = GaijiGlyph::new(g.pua as u32, GlyphShape::Outline(d.outline.clone()));
            gg.source_upem = d.upem;
            gg
        })
        .collect();
    identify::font_build::build_ttf(
        &identify::font_build::FontInfo::new("FJ Gaiji EUDC"),
        &glyphs,
    )
    .map_err(|e| SampleError::Image(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn user_area_codes_and_pua() {
        assert_eq!(code_for_index(0), 0x80A1);
        assert_eq!(code_for_index(94), 0x81A1);
        assert_eq!(pua_for(0x80A1), '\u{E000}');
        assert_eq!(pua_for(0x81A2), '\u{E05F}');
    }
    #[test]
    fn jis0208_membership() {
        assert!(in_jis0208('高'));
        assert!(!in_jis0208('髙'));
        assert!(!in_jis0208('﨑'));
        assert!(in_jis0208('邊'));
    }
}
