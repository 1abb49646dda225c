//! Image register pages: TIFF (bilevel, CCITT G4, gray) or PNG in, PNG out, for the web
//! viewer and for 謄本 PDFs.

use crate::CertificateError;

/// A page image as PNG bytes (PNG passes through unchanged).
pub fn to_png(bytes: &[u8], media_type: &str) -> Result<Vec<u8>, CertificateError> {
    if media_type == "image/png" || bytes.starts_with(b"\x89PNG") {
        return Ok(bytes.to_vec());
    }
    let (w, h, gray) = decode_tiff(bytes)?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| CertificateError::Image(format!("PNG: {e}")))?;
        writer
            .write_image_data(&gray)
            .map_err(|e| CertificateError::Image(format!("PNG: {e}")))?;
    }
    Ok(out)
}

/// First page of a TIFF as 8-bit gray (0 = black).
fn decode_tiff(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), CertificateError> {
    use tiff::decoder::{Decoder, DecodingResult};
    let err = |e: tiff::TiffError| CertificateError::Image(format!("TIFF: {e}"));
    let mut dec = Decoder::new(std::io::Cursor::new(bytes)).map_err(err)?;
    let (w, h) = dec.dimensions().map_err(err)?;
    let color = dec.colortype().map_err(err)?;
    let img = dec.read_image().map_err(err)?;
    let n = (w as usize) * (h as usize);
    let gray: Vec<u8> = match (color, img) {
        (tiff::ColorType::Gray(1), DecodingResult::U8(data)) => {
            let row = (w as usize).div_ceil(8);
            let mut g = Vec::with_capacity(n);
            for y in 0..h as usize {
                for x in 0..w as usize {
                    let bit = data
                        .get(y * row + x / 8)
                        .map(|b| (b >> (7 - x % 8)) & 1)
                        .unwrap_or(0);
                    // The decoder already turned WhiteIsZero into BlackIsZero: 0 is ink.
                    g.push(if bit == 0 { 0 } else { 255 });
                }
            }
            g
        }
        (tiff::ColorType::Gray(8), DecodingResult::U8(data)) => data,
        (tiff::ColorType::RGB(8), DecodingResult::U8(data)) => data
            .chunks(3)
            .map(|p| {
                ((u32::from(p[0]) * 30 + u32::from(p[1]) * 59 + u32::from(p[2]) * 11) / 100) as u8
            })
            .collect(),
        (c, _) => {
            return Err(CertificateError::Image(format!(
                "TIFF colour type {c:?} is not supported"
            )));
        }
    };
    if gray.len() != n {
        return Err(CertificateError::Image(format!(
            "TIFF: {} pixels decoded, {n} expected",
            gray.len()
        )));
    }
    Ok((w, h, gray))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilevel_tiff_becomes_png_with_ink_black() {
        let tiff = runtime::fixtures::bilevel_tiff(16, 4, |x, _| x < 8);
        let png = to_png(&tiff, "image/tiff").unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (16, 4));
        assert_eq!(buf[0], 0, "ink is black");
        assert_eq!(buf[15], 255, "paper is white");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(to_png(b"II*\0garbage", "image/tiff").is_err());
    }
}
