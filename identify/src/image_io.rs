//! Gaiji images in and out: PNG, BMP and TIFF to an ink bitmap; PNG out for the report.

use std::path::Path;

use crate::font_build::Bitmap;
use crate::input::InputError;

/// Largest image side accepted (a gaiji picture is small; this bounds memory on bad input).
const MAX_SIDE: usize = 4096;

/// Decode a PNG, BMP or TIFF picture of one glyph into ink coverage (dark on light; an
/// image that is mostly dark is taken as light ink on dark and inverted).
pub fn decode_image(path: &Path, bytes: &[u8]) -> Result<Bitmap, InputError> {
    let err = |offset: usize, reason: String| InputError::Image {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let (w, h, lum) = if bytes.starts_with(b"\x89PNG") {
        decode_png(bytes).map_err(|e| err(0, format!("PNG: {e}")))?
    } else if bytes.starts_with(b"BM") {
        decode_bmp(bytes).map_err(|(o, e)| err(o, format!("BMP: {e}")))?
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        decode_tiff(bytes).map_err(|e| err(0, format!("TIFF: {e}")))?
    } else {
        return Err(err(0, "not a PNG, BMP or TIFF image".into()));
    };
    let mut bm = Bitmap {
        width: w,
        height: h,
        data: lum.into_iter().map(|l| 255 - l).collect(),
    };
    let mean = bm.data.iter().map(|&v| v as u64).sum::<u64>() / (bm.data.len().max(1) as u64);
    if mean > 127 {
        for v in bm.data.iter_mut() {
            *v = 255 - *v;
        }
    }
    Ok(bm)
}

fn check_size(w: usize, h: usize) -> Result<(), String> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        Err(format!("image size {w}×{h} is outside 1..{MAX_SIDE}"))
    } else {
        Ok(())
    }
}

fn decode_png(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), String> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec.read_info().map_err(|e| e.to_string())?;
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    check_size(w, h)?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let ch = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("indexed colour was not expanded".into()),
    };
    let mut lum = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &buf[y * info.line_size..];
        for x in 0..w {
            let p = &row[x * ch..x * ch + ch];
            let (l, a) = match ch {
                1 => (p[0] as u32, 255),
                2 => (p[0] as u32, p[1] as u32),
                3 => (
                    (p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000,
                    255,
                ),
                _ => (
                    (p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000,
                    p[3] as u32,
                ),
            };
            // Transparent pixels are paper.
            lum.push(((l * a + 255 * (255 - a)) / 255) as u8);
        }
    }
    Ok((w, h, lum))
}

fn decode_bmp(b: &[u8]) -> Result<(usize, usize, Vec<u8>), (usize, String)> {
    let u16_at = |o: usize| {
        b.get(o..o + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]) as u32)
            .ok_or((o, "truncated header".to_string()))
    };
    let u32_at = |o: usize| {
        b.get(o..o + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or((o, "truncated header".to_string()))
    };
    let data_off = u32_at(10)? as usize;
    let hdr = u32_at(14)? as usize;
    if hdr < 40 {
        return Err((
            14,
            format!("unsupported header size {hdr} (need BITMAPINFOHEADER or later)"),
        ));
    }
    let w = u32_at(18)? as i32;
    let hraw = u32_at(22)? as i32;
    let bpp = u16_at(28)?;
    let comp = u32_at(30)?;
    if comp != 0 && comp != 3 {
        return Err((
            30,
            format!("compressed BMP (method {comp}) is not supported"),
        ));
    }
    let (w, top_down, h) = (
        w.unsigned_abs() as usize,
        hraw < 0,
        hraw.unsigned_abs() as usize,
    );
    check_size(w, h).map_err(|e| (18, e))?;
    let colours = match u32_at(46)? {
        0 if bpp <= 8 => 1u32 << bpp,
        n => n,
    } as usize;
    let pal_off = 14 + hdr;
    let palette: Vec<u8> = if bpp <= 8 {
        (0..colours.min(256))
            .map(|i| {
                let o = pal_off + 4 * i;
                b.get(o..o + 3)
                    .map(|p| {
                        ((p[2] as u32 * 299 + p[1] as u32 * 587 + p[0] as u32 * 114) / 1000) as u8
                    })
                    .unwrap_or(255)
            })
            .collect()
    } else {
        Vec::new()
    };
    let stride = (w * bpp as usize).div_ceil(32) * 4;
    let mut lum = vec![255u8; w * h];
    for row in 0..h {
        let src_row = if top_down { row } else { h - 1 - row };
        let o = data_off + src_row * stride;
        let line = b
            .get(o..o + stride)
            .ok_or((o, "pixel data truncated".to_string()))?;
        for x in 0..w {
            let v = match bpp {
                1 => palette
                    .get(((line[x / 8] >> (7 - x % 8)) & 1) as usize)
                    .copied()
                    .unwrap_or(0),
                4 => palette
                    .get(((line[x / 2] >> (if x % 2 == 0 { 4 } else { 0 })) & 15) as usize)
                    .copied()
                    .unwrap_or(0),
                8 => palette.get(line[x] as usize).copied().unwrap_or(0),
                24 | 32 => {
                    let p = &line[x * (bpp as usize / 8)..];
                    ((p[2] as u32 * 299 + p[1] as u32 * 587 + p[0] as u32 * 114) / 1000) as u8
                }
                _ => return Err((28, format!("{bpp} bits per pixel is not supported"))),
            };
            lum[row * w + x] = v;
        }
    }
    Ok((w, h, lum))
}

fn decode_tiff(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>), String> {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;
    let mut dec = Decoder::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let (w, h) = dec.dimensions().map_err(|e| e.to_string())?;
    let (w, h) = (w as usize, h as usize);
    check_size(w, h)?;
    let colour = dec.colortype().map_err(|e| e.to_string())?;
    // PhotometricInterpretation 0 = WhiteIsZero (common for fax-coded bilevel images).
    let white_is_zero = dec
        .get_tag_u32(Tag::PhotometricInterpretation)
        .map(|v| v == 0)
        .unwrap_or(false);
    let img = dec.read_image().map_err(|e| e.to_string())?;
    let DecodingResult::U8(buf) = img else {
        return Err("only 8-bit and bilevel TIFF are supported".into());
    };
    let mut lum = Vec::with_capacity(w * h);
    match colour {
        tiff::ColorType::Gray(1) => {
            let stride = w.div_ceil(8);
            for y in 0..h {
                for x in 0..w {
                    let bit = buf
                        .get(y * stride + x / 8)
                        .map(|b| (b >> (7 - x % 8)) & 1)
                        .unwrap_or(0);
                    lum.push(if bit == 1 { 255 } else { 0 });
                }
            }
        }
        tiff::ColorType::Gray(8) => lum.extend(buf.iter().take(w * h)),
        tiff::ColorType::RGB(8) => {
            lum.extend(buf.chunks_exact(3).take(w * h).map(|p| {
                ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8
            }))
        }
        tiff::ColorType::RGBA(8) => {
            lum.extend(buf.chunks_exact(4).take(w * h).map(|p| {
                ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8
            }))
        }
        other => return Err(format!("colour type {other:?} is not supported")),
    }
    if lum.len() != w * h {
        return Err("pixel data truncated".into());
    }
    if white_is_zero {
        for v in lum.iter_mut() {
            *v = 255 - *v;
        }
    }
    Ok((w, h, lum))
}

/// Encode a bitmap as a greyscale PNG, ink black on white.
pub fn encode_png(bm: &Bitmap) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, bm.width.max(1) as u32, bm.height.max(1) as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let data: Vec<u8> = if bm.data.is_empty() {
            vec![255]
        } else {
            bm.data.iter().map(|&v| 255 - v).collect()
        };
        if let Ok(mut w) = enc.write_header() {
            let _ = w.write_image_data(&data);
        }
    }
    out
}

/// Encode a bitmap as a 1-bit-per-pixel-looking 8-bit BMP (used by tests and fixtures).
pub fn encode_bmp(bm: &Bitmap) -> Vec<u8> {
    let (w, h) = (bm.width, bm.height);
    let stride = (w * 3).div_ceil(4) * 4;
    let size = 54 + stride * h;
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&(size as u32).to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&(w as i32).to_le_bytes());
    b.extend_from_slice(&(h as i32).to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0u8; 24]);
    for y in (0..h).rev() {
        let start = b.len();
        for x in 0..w {
            let l = 255 - bm.get(x, y);
            b.extend_from_slice(&[l, l, l]);
        }
        b.resize(start + stride, 0);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyph() -> Bitmap {
        let mut bm = Bitmap::new(7, 5);
        for x in 1..6 {
            bm.set(x, 2, 255);
        }
        bm.set(3, 1, 255);
        bm
    }

    #[test]
    fn png_and_bmp_round_trip() {
        let bm = glyph();
        assert_eq!(
            decode_image(Path::new("a.png"), &encode_png(&bm)).unwrap(),
            bm
        );
        assert_eq!(
            decode_image(Path::new("a.bmp"), &encode_bmp(&bm)).unwrap(),
            bm
        );
    }

    #[test]
    fn bad_images_are_errors_not_panics() {
        let bmp = encode_bmp(&glyph());
        for cut in [2, 20, 40, 60] {
            assert!(decode_image(Path::new("a.bmp"), &bmp[..cut]).is_err());
        }
        assert!(decode_image(Path::new("a.gif"), b"GIF89a").is_err());
    }
}
