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

/// A bi-level page, one bit a pixel (pixel x of a row in bit x % 64 of word x / 64), so
/// drawing fills runs and the G4 coder finds colour changes a word at a time.
pub struct Bits1 {
    pub width: usize,
    pub height: usize,
    stride: usize,
    words: Vec<u64>,
}

impl Bits1 {
    pub fn new(width: usize, height: usize) -> Bits1 {
        let stride = width.div_ceil(64);
        Bits1 {
            width,
            height,
            stride,
            words: vec![0; stride * height],
        }
    }

    pub fn set(&mut self, x: usize, y: usize) {
        if x < self.width && y < self.height {
            self.words[y * self.stride + x / 64] |= 1 << (x % 64);
        }
    }

    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width
            && y < self.height
            && self.words[y * self.stride + x / 64] >> (x % 64) & 1 == 1
    }

    /// Inks pixels `x0..x1` of row `y` (clipped to the page).
    pub fn fill(&mut self, y: usize, x0: usize, x1: usize) {
        let x1 = x1.min(self.width);
        if y >= self.height || x0 >= x1 {
            return;
        }
        let row = &mut self.words[y * self.stride..(y + 1) * self.stride];
        let (w0, w1) = (x0 / 64, (x1 - 1) / 64);
        let lo = !0u64 << (x0 % 64);
        let hi = !0u64 >> (63 - (x1 - 1) % 64);
        if w0 == w1 {
            row[w0] |= lo & hi;
        } else {
            row[w0] |= lo;
            for w in &mut row[w0 + 1..w1] {
                *w = !0;
            }
            row[w1] |= hi;
        }
    }

    /// The positions in row `y` where the colour changes (starting from white), as G4 codes
    /// them.
    fn changes(&self, y: usize, out: &mut Vec<u16>) {
        out.clear();
        let row = &self.words[y * self.stride..(y + 1) * self.stride];
        let mut carry = 0u64;
        for (i, &w) in row.iter().enumerate() {
            let mut diff = w ^ ((w << 1) | carry);
            carry = w >> 63;
            while diff != 0 {
                let x = i * 64 + diff.trailing_zeros() as usize;
                if x < self.width {
                    out.push(x as u16);
                }
                diff &= diff - 1;
            }
        }
    }
}

/// A glyph as its ink runs (row, first column, end column), drawn once per character.
pub struct Runs(Vec<(u16, u16, u16)>);

impl Runs {
    pub fn of(g: &Bitmap) -> Runs {
        let mut runs = Vec::new();
        for gy in 0..g.height {
            let row = &g.data[gy * g.width..(gy + 1) * g.width];
            let mut gx = 0;
            while gx < row.len() {
                if row[gx] >= 128 {
                    let start = gx;
                    while gx < row.len() && row[gx] >= 128 {
                        gx += 1;
                    }
                    runs.push((gy as u16, start as u16, gx as u16));
                } else {
                    gx += 1;
                }
            }
        }
        Runs(runs)
    }
}

/// Renders the given columns as a page.
fn page(cols: &[String], glyphs: &BTreeMap<char, Runs>, rng: &mut Rng) -> Bits1 {
    let mut px = Bits1::new(PAGE_W, PAGE_H);
    let margin = 150;
    // Frame and column rules, as printed register paper has them.
    for t in 0..4 {
        px.fill(margin + t, margin, PAGE_W - margin);
        px.fill(PAGE_H - margin - t, margin, PAGE_W - margin);
    }
    let pitch = CELL + 16;
    let mut x = PAGE_W - margin - pitch;
    let skew = (rng.f64() - 0.5) * 0.004;
    for col in cols {
        if x < margin + pitch {
            break;
        }
        for y in margin..PAGE_H - margin {
            px.set(x + CELL + 8, y);
        }
        let mut y = margin + 40;
        for c in col.chars() {
            if y + CELL > PAGE_H - margin {
                break;
            }
            if let Some(g) = glyphs.get(&c) {
                let dx = ((y as f64) * skew) as isize;
                for &(gy, x0, x1) in &g.0 {
                    // Pixels left of the page are dropped, as right of it.
                    let left = x as isize + dx;
                    let a = (left + x0 as isize).max(0) as usize;
                    let b = (left + x1 as isize).max(0) as usize;
                    px.fill(y + gy as usize, a, b);
                }
            }
            y += CELL;
        }
        x -= pitch;
    }
    // Scanner speckle.
    for _ in 0..200 {
        let i = rng.below(PAGE_W * PAGE_H);
        px.set(i % PAGE_W, i / PAGE_W);
    }
    px
}

/// CCITT Group 4 (T.6) coding of a page, row by row from the colour changes of the row and
/// of the one above (an all-white row above the first); fax's bit writer and code tables.
fn g4(px: &Bits1) -> Vec<u8> {
    use fax::maps::{Mode, mode};
    let width = px.width as u16;
    let mut w = fax::VecWriter::with_capacity(px.width * px.height / 16);
    let bits = |m: Mode| mode::encode(m).unwrap_or(fax::maps::EOL);
    let (mut above, mut row) = (Vec::new(), Vec::new());
    for y in 0..px.height {
        px.changes(y, &mut row);
        g4_row(&mut w, &above, &row, width, &bits);
        std::mem::swap(&mut above, &mut row);
    }
    // End of facsimile block.
    let _ = fax::BitWriter::write(&mut w, fax::maps::EDFB_HALF);
    let _ = fax::BitWriter::write(&mut w, fax::maps::EDFB_HALF);
    w.finish()
}

fn g4_row(
    w: &mut fax::VecWriter,
    above: &[u16],
    row: &[u16],
    width: u16,
    bits: &dyn Fn(fax::maps::Mode) -> fax::Bits,
) {
    use fax::BitWriter;
    use fax::maps::Mode;
    // a0 starts before the first pixel, white; a1 is row[i] (or the row's end).
    let mut a0: i32 = -1;
    let mut black = false;
    let mut i = 0;
    let mut j = 0;
    while a0 < i32::from(width) {
        let a1 = row.get(i).copied().unwrap_or(width);
        // b1: the first change above right of a0 to the colour opposite a0's (changes at
        // even positions turn black); b2 the change after it.
        while j < above.len() && i32::from(above[j]) <= a0 {
            j += 1;
        }
        let k = if (j % 2 == 0) != black { j } else { j + 1 };
        let b1 = above.get(k).copied().unwrap_or(width);
        let b2 = above.get(k + 1).copied().unwrap_or(width);
        if b2 < a1 {
            let _ = w.write(bits(Mode::Pass));
            a0 = i32::from(b2);
        } else if a1.abs_diff(b1) <= 3 {
            let _ = w.write(bits(Mode::Vertical((i32::from(a1) - i32::from(b1)) as i8)));
            a0 = i32::from(a1);
            black = !black;
            i += 1;
        } else {
            let a2 = row.get(i + 1).copied().unwrap_or(width);
            i += 2;
            let _ = w.write(bits(Mode::Horizontal));
            run(w, black, a1.saturating_sub(a0.max(0) as u16));
            run(w, !black, a2.saturating_sub(a1));
            a0 = i32::from(a2);
        }
    }
}

/// A run length as make-up codes (2560 repeated, then a multiple of 64) and a terminating code.
fn run(w: &mut fax::VecWriter, black: bool, mut n: u16) {
    use fax::BitWriter;
    let table = if black {
        &fax::maps::black::ENTRIES
    } else {
        &fax::maps::white::ENTRIES
    };
    let mut put = |n: u16| {
        let idx = if n >= 64 { 63 + n / 64 } else { n } as usize;
        let _ = w.write(table[idx].1);
    };
    while n >= 2560 {
        put(2560);
        n -= 2560;
    }
    if n >= 64 {
        let d = n & !63;
        put(d);
        n -= d;
    }
    put(n);
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
    let glyphs: BTreeMap<char, Runs> = chars
        .iter()
        .filter_map(|&c| names_gid(c).map(|g| (c, Runs::of(&font.raster(g, GLYPH)))))
        .collect();
    texts
        .par_iter()
        .zip(rngs.par_iter_mut())
        .map(|(pages, rng)| {
            let encoded: Vec<Vec<u8>> = pages
                .iter()
                .map(|cols| g4(&page(cols, &glyphs, rng)))
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
    /// The reference coder: fax's own encoder, fed pixel by pixel.
    fn g4_by_fax(px: &Bits1) -> Vec<u8> {
        let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
        for y in 0..px.height {
            let colors = (0..px.width).map(|x| {
                if px.get(x, y) {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            });
            enc.encode_line(colors, px.width as u16).unwrap();
        }
        enc.finish().unwrap().finish()
    }

    #[test]
    fn g4_writes_the_same_bits_as_fax() {
        let mut rng = Rng::new(3, 4);
        for case in 0..300 {
            let w = 1 + rng.below(200);
            let h = 1 + rng.below(12);
            let mut px = Bits1::new(w, h);
            // Sparse dots, runs of every length, and full rows, so pass, vertical and
            // horizontal modes and make-up codes all occur.
            let density = rng.below(4);
            for y in 0..h {
                for _ in 0..rng.below(1 + w / (1 + density * 4)) {
                    let x0 = rng.below(w);
                    let len = 1 + rng.below([2, 8, 70, w][density]);
                    px.fill(y, x0, x0 + len);
                }
            }
            assert_eq!(g4(&px), g4_by_fax(&px), "case {case}: {w}x{h}");
        }
        // A wide page: runs past 2560 pixels need the repeated make-up code.
        let mut px = Bits1::new(PAGE_W, 3);
        px.fill(1, 7, 4000);
        px.set(PAGE_W - 1, 2);
        assert_eq!(g4(&px), g4_by_fax(&px));
    }

    #[test]
    fn bits_fill_and_changes() {
        let mut px = Bits1::new(130, 1);
        px.fill(0, 0, 3);
        px.fill(0, 60, 70);
        px.fill(0, 125, 200);
        let mut c = Vec::new();
        px.changes(0, &mut c);
        assert_eq!(c, vec![0, 3, 60, 70, 125]);
        assert!(px.get(64, 0) && !px.get(70, 0) && px.get(129, 0));
    }

    #[test]
    fn tiff_decodes_with_the_tiff_crate_layout() {
        let w = 64;
        let h = 16;
        let mut px = vec![false; w * h];
        let mut bits = Bits1::new(w, h);
        for x in 10..40 {
            px[5 * w + x] = true;
            bits.set(x, 5);
        }
        let t = tiff(&[g4(&bits), g4(&bits)], w, h);
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
