//! Image-only registers (改製原戸籍, paper 除籍) as scanned: multi-page bi-level TIFF, CCITT
//! Group 4, 300 dpi B4 landscape pages with vertical, hand-register-like text drawn in IPAmj明朝.

use std::collections::BTreeMap;

use identify::font_build::Bitmap;
use identify::glyph::GlyphFont;
use rayon::prelude::*;

use crate::day::{self, Day};
use crate::records::ImageRegister;
use crate::rng::Rng;

/// B4 landscape at 300 dpi.
pub const PAGE_W: usize = 4299;
pub const PAGE_H: usize = 3035;
const CELL: usize = 64;
const GLYPH: usize = 58;

/// Numbers as the handwritten registers wrote them (壱弐参拾).
pub fn kansuji(n: u32) -> String {
    const D: [&str; 10] = ["〇", "壱", "弐", "参", "四", "五", "六", "七", "八", "九"];
    if n == 0 {
        return D[0].into();
    }
    let mut s = String::new();
    let (h, t, o) = (n / 100, (n / 10) % 10, n % 10);
    if h > 0 {
        if h > 1 {
            s.push_str(D[h as usize]);
        }
        s.push('百');
    }
    if t > 0 {
        if t > 1 {
            s.push_str(D[t as usize]);
        }
        s.push('拾');
    }
    if o > 0 {
        s.push_str(D[o as usize]);
    }
    s
}

/// 「昭和拾年参月五日」: the old form of a date.
pub fn old_date(d: Day) -> String {
    let v = day::gyymmdd(Some(d));
    let era = ["", "明治", "大正", "昭和", "平成", "令和"][(v / 1_000_000) as usize % 6];
    let y = (v / 10_000) % 100;
    let m = (v / 100) % 100;
    let dd = v % 100;
    let ys = if y == 1 {
        "元".to_string()
    } else {
        kansuji(y)
    };
    format!("{era}{ys}年{}月{}日", kansuji(m), kansuji(dd))
}

/// The columns of text (right to left) of a register's pages.
fn columns(reg: &ImageRegister, rng: &mut Rng) -> Vec<Vec<String>> {
    let head = vec![
        format!("本籍　{}", reg.honseki),
        format!("氏名　{}", reg.hittosha),
        format!("{}編製㊞", old_date(reg.hensei)),
        String::new(),
    ];
    let mut pages = vec![head];
    let mut cur: Vec<String> = Vec::new();
    for (i, (mei, birth, sex)) in reg.members.iter().enumerate() {
        let zok = if sex == "男" {
            ["長男", "二男", "三男"][i % 3]
        } else {
            ["長女", "二女", "三女"][i % 3]
        };
        let filer = if rng.chance(0.7) { "父" } else { "母" };
        cur.push(format!(
            "{}本籍で出生同月{}日{}届出入籍㊞",
            old_date(*birth),
            kansuji(1 + rng.below(27) as u32),
            filer
        ));
        if rng.chance(0.5) {
            cur.push(format!(
                "{}婚姻届出同日除籍㊞",
                old_date(*birth + 9000 + rng.below(3000) as Day)
            ));
        }
        cur.push(format!(
            "父　{}",
            reg.hittosha.chars().take(2).collect::<String>()
        ));
        cur.push(format!("続柄　{zok}"));
        cur.push(mei.to_string());
        cur.push(format!("出生　{}", old_date(*birth)));
        cur.push(String::new());
        if cur.len() > 40 {
            pages.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pages.push(cur);
    }
    // The first page carries the head and the first members.
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut first = pages.remove(0);
    if let Some(p) = pages.first().cloned() {
        first.extend(p);
        pages.remove(0);
    }
    out.push(first);
    out.extend(pages);
    while out.len() < reg.pages {
        out.push(vec!["以下余白".to_string()]);
    }
    out.truncate(reg.pages);
    out
}

/// Renders the given columns as a page (true = ink).
fn page(cols: &[String], glyphs: &BTreeMap<char, Bitmap>, rng: &mut Rng) -> Vec<bool> {
    let mut px = vec![false; PAGE_W * PAGE_H];
    let margin = 150;
    // Frame and column rules, as printed register paper has them.
    for x in margin..PAGE_W - margin {
        for t in 0..4 {
            px[(margin + t) * PAGE_W + x] = true;
            px[(PAGE_H - margin - t) * PAGE_W + x] = true;
        }
    }
    let pitch = CELL + 16;
    let mut x = PAGE_W - margin - pitch;
    let skew = (rng.f64() - 0.5) * 0.004;
    for col in cols {
        if x < margin + pitch {
            break;
        }
        for y in margin..PAGE_H - margin {
            px[y * PAGE_W + x + CELL + 8] = true;
        }
        let mut y = margin + 40;
        for c in col.chars() {
            if y + CELL > PAGE_H - margin {
                break;
            }
            if let Some(g) = glyphs.get(&c) {
                let dx = ((y as f64) * skew) as isize;
                for gy in 0..g.height {
                    for gx in 0..g.width {
                        if g.get(gx, gy) >= 128 {
                            let xx = (x as isize + gx as isize + dx) as usize;
                            let yy = y + gy;
                            if xx < PAGE_W && yy < PAGE_H {
                                px[yy * PAGE_W + xx] = true;
                            }
                        }
                    }
                }
            }
            y += CELL;
        }
        x -= pitch;
    }
    // Scanner speckle.
    for _ in 0..200 {
        let i = rng.below(px.len());
        px[i] = true;
    }
    px
}

fn g4(px: &[bool], w: usize, h: usize) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..h {
        let row = &px[y * w..(y + 1) * w];
        let _ = enc.encode_line(
            row.iter().map(|&b| {
                if b {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            }),
            w as u16,
        );
    }
    match enc.finish() {
        Ok(wr) => wr.finish(),
        Err(_) => Vec::new(),
    }
}

/// A multi-page TIFF (little endian, one strip per page, G4, WhiteIsZero, 300 dpi).
pub fn tiff(pages: &[Vec<u8>], w: usize, h: usize) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut prev_link = 4usize;
    let n = pages.len();
    for (i, data) in pages.iter().enumerate() {
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let strip_at = out.len();
        out.extend_from_slice(data);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let res_at = out.len();
        out.extend_from_slice(&300u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        let ifd_at = out.len();
        out[prev_link..prev_link + 4].copy_from_slice(&(ifd_at as u32).to_le_bytes());
        let entries: Vec<(u16, u16, u32, u32)> = vec![
            (254, 4, 1, 2),
            (256, 4, 1, w as u32),
            (257, 4, 1, h as u32),
            (258, 3, 1, 1),
            (259, 3, 1, 4),
            (262, 3, 1, 0),
            (273, 4, 1, strip_at as u32),
            (277, 3, 1, 1),
            (278, 4, 1, h as u32),
            (279, 4, 1, data.len() as u32),
            (282, 5, 1, res_at as u32),
            (283, 5, 1, res_at as u32),
            (293, 4, 1, 0),
            (296, 3, 1, 2),
            (297, 3, 2, (i as u32) | ((n as u32) << 16)),
        ];
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, count, val) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&val.to_le_bytes());
        }
        prev_link = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}

/// Renders every register's TIFF, in parallel; returns (register index, bytes, page data
/// offsets) in input order.
pub fn render_all(
    regs: &[ImageRegister],
    font: &GlyphFont,
    names_gid: impl Fn(char) -> Option<identify::glyph::GlyphId> + Sync,
    seed: u64,
) -> Vec<Vec<u8>> {
    let mut rngs: Vec<Rng> = (0..regs.len())
        .map(|i| Rng::new(seed, 0x7100_0000 + i as u64))
        .collect();
    let texts: Vec<Vec<Vec<String>>> = regs
        .iter()
        .zip(rngs.iter_mut())
        .map(|(r, rng)| columns(r, rng))
        .collect();
    let mut chars: Vec<char> = texts
        .iter()
        .flatten()
        .flatten()
        .flat_map(|s| s.chars())
        .collect();
    chars.sort_unstable();
    chars.dedup();
    let glyphs: BTreeMap<char, Bitmap> = chars
        .iter()
        .filter_map(|&c| names_gid(c).map(|g| (c, font.raster(g, GLYPH))))
        .collect();
    texts
        .par_iter()
        .zip(rngs.par_iter_mut())
        .map(|(pages, rng)| {
            let encoded: Vec<Vec<u8>> = pages
                .iter()
                .map(|cols| g4(&page(cols, &glyphs, rng), PAGE_W, PAGE_H))
                .collect();
            tiff(&encoded, PAGE_W, PAGE_H)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn old_numerals() {
        assert_eq!(kansuji(10), "拾");
        assert_eq!(kansuji(23), "弐拾参");
        assert_eq!(old_date(day::from_ymd(1989, 1, 8)), "平成元年壱月八日");
    }
    #[test]
    fn tiff_decodes_with_the_tiff_crate_layout() {
        let w = 64;
        let h = 16;
        let mut px = vec![false; w * h];
        for x in 10..40 {
            px[5 * w + x] = true;
        }
        let t = tiff(&[g4(&px, w, h), g4(&px, w, h)], w, h);
        assert_eq!(&t[..4], b"II*\0");
        // The tiff crate reads both pages back, pixel for pixel (it turns WhiteIsZero into
        // BlackIsZero samples, so paper reads as 1 and ink as 0).
        let mut dec = ::tiff::decoder::Decoder::new(std::io::Cursor::new(t)).unwrap();
        for page in 0..2 {
            assert_eq!(dec.dimensions().unwrap(), (w as u32, h as u32));
            let img = dec.read_image().unwrap();
            let ::tiff::decoder::DecodingResult::U8(bytes) = img else {
                panic!("not 8-bit samples")
            };
            let ink: Vec<bool> = bytes
                .iter()
                .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 0))
                .take(w * h)
                .collect();
            assert_eq!(ink, px, "page {page}");
            if page == 0 {
                dec.next_image().unwrap();
            }
        }
    }
}
