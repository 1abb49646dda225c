//! Gaiji input: a TrueType/OpenType font (glyphs on private-use code points), a BDF bitmap
//! font, or a folder of images named `<code>.png|bmp|tif` (code = vendor code in hex).

use std::path::{Path, PathBuf};

use crate::font_build::{Bitmap, Contour};
use crate::glyph::FontData;
use crate::index::RENDER_PX;

/// One vendor gaiji.
#[derive(Clone, Debug)]
pub struct Gaiji {
    /// The vendor code, upper-case hex (e.g. `E000`, `7521`).
    pub code: String,
    /// The glyph as matched: a font's outline drawn at 64 px, or the bitmap as given.
    pub bitmap: Bitmap,
    /// Outline from a source font (font units of `upem`), kept for the gaiji font.
    pub outline: Option<(Vec<Contour>, u16)>,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Font(#[from] crate::glyph::FontError),
    #[error("{path}: line {line}: {reason}")]
    Bdf {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{path}: byte {offset}: {reason}")]
    Image {
        path: PathBuf,
        offset: usize,
        reason: String,
    },
    #[error("{path}: file name is not `<hex code>.png|bmp|tif`")]
    BadName { path: PathBuf },
    #[error("{path}: no gaiji found ({what})")]
    Empty { path: PathBuf, what: &'static str },
    #[error("{path}: gaiji code {code} appears twice")]
    Duplicate { path: PathBuf, code: String },
}

/// Read a gaiji list from `path`, whatever its kind; sorted by code.
pub fn read_gaiji(path: &Path) -> Result<Vec<Gaiji>, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = if path.is_dir() {
        read_image_folder(path)?
    } else {
        let bytes = std::fs::read(path).map_err(io)?;
        if is_font(&bytes) {
            read_font_bytes(path, bytes)?
        } else if bytes.starts_with(b"STARTFONT") {
            read_bdf(path, &bytes)?
        } else {
            return Err(InputError::Image {
                path: path.to_path_buf(),
                offset: 0,
                reason: "neither a font (TrueType/OpenType/collection), a BDF font nor a folder of images".into(),
            });
        }
    };
    out.sort_by(|a, b| (a.code.len(), &a.code).cmp(&(b.code.len(), &b.code)));
    for w in out.windows(2) {
        if w[0].code == w[1].code {
            return Err(InputError::Duplicate {
                path: path.to_path_buf(),
                code: w[0].code.clone(),
            });
        }
    }
    Ok(out)
}

fn is_font(b: &[u8]) -> bool {
    b.len() >= 4 && matches!(&b[0..4], [0, 1, 0, 0] | b"OTTO" | b"true" | b"ttcf")
}

/// Every private-use glyph of a font (first face of a collection).
pub fn read_font_bytes(path: &Path, bytes: Vec<u8>) -> Result<Vec<Gaiji>, InputError> {
    let data = FontData::from_bytes(path, bytes, 0)?;
    let font = data.font()?;
    let upem = font.units_per_em();
    let out: Vec<Gaiji> = font
        .private_use_glyphs()
        .into_iter()
        .map(|(cp, gid)| Gaiji {
            code: format!("{cp:04X}"),
            bitmap: font.raster(gid, RENDER_PX),
            outline: Some((font.outline(gid), upem)),
        })
        .collect();
    if out.is_empty() {
        return Err(InputError::Empty {
            path: path.to_path_buf(),
            what: "the font maps no private-use code point",
        });
    }
    Ok(out)
}

/// A BDF (Glyph Bitmap Distribution Format 2.1) font: each glyph is placed in the font's
/// bounding box cell; its code is its ENCODING in hex.
pub fn read_bdf(path: &Path, bytes: &[u8]) -> Result<Vec<Gaiji>, InputError> {
    let text = String::from_utf8_lossy(bytes);
    let err = |line: usize, reason: String| InputError::Bdf {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut fbb: Option<(i64, i64, i64, i64)> = None;
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
    let nums = |line: usize, rest: &str, n: usize| -> Result<Vec<i64>, InputError> {
        let v: Result<Vec<i64>, _> = rest.split_whitespace().map(str::parse::<i64>).collect();
        match v {
            Ok(v) if v.len() == n && v.iter().all(|x| x.abs() <= 4096) => Ok(v),
            _ => Err(err(
                line,
                format!("expected {n} small integers, found `{rest}`"),
            )),
        }
    };
    while let Some((ln, l)) = lines.next() {
        if let Some(rest) = l.strip_prefix("FONTBOUNDINGBOX ") {
            let v = nums(ln, rest, 4)?;
            if v[0] <= 0 || v[1] <= 0 {
                return Err(err(ln, "FONTBOUNDINGBOX must be positive".into()));
            }
            fbb = Some((v[0], v[1], v[2], v[3]));
        } else if l.starts_with("STARTCHAR") {
            let (fw, fh, fx, fy) =
                fbb.ok_or_else(|| err(ln, "STARTCHAR before FONTBOUNDINGBOX".into()))?;
            let start = ln;
            let mut enc: Option<i64> = None;
            let mut bbx: Option<(i64, i64, i64, i64)> = None;
            let mut rows: Vec<(usize, String)> = Vec::new();
            let mut in_bitmap = false;
            let mut ended = false;
            for (ln, l) in lines.by_ref() {
                if l == "ENDCHAR" {
                    ended = true;
                    break;
                }
                if in_bitmap {
                    rows.push((ln, l.trim().to_string()));
                } else if let Some(rest) = l.strip_prefix("ENCODING ") {
                    let first = rest.split_whitespace().next().unwrap_or("");
                    enc = Some(
                        first
                            .parse()
                            .map_err(|_| err(ln, format!("bad ENCODING `{rest}`")))?,
                    );
                } else if let Some(rest) = l.strip_prefix("BBX ") {
                    let v = nums(ln, rest, 4)?;
                    if v[0] < 0 || v[1] < 0 {
                        return Err(err(ln, "BBX size must not be negative".into()));
                    }
                    bbx = Some((v[0], v[1], v[2], v[3]));
                } else if l == "BITMAP" {
                    in_bitmap = true;
                }
            }
            if !ended {
                return Err(err(start, "STARTCHAR without ENDCHAR".into()));
            }
            let enc = enc.ok_or_else(|| err(start, "glyph without ENCODING".into()))?;
            if enc < 0 {
                continue; // unencoded glyph: not a gaiji of the list
            }
            let (bw, bh, bx, by) = bbx.ok_or_else(|| err(start, "glyph without BBX".into()))?;
            if rows.len() as i64 != bh {
                return Err(err(
                    start,
                    format!("BBX says {bh} rows, BITMAP has {}", rows.len()),
                ));
            }
            let mut bm = Bitmap::new(fw as usize, fh as usize);
            let row_bytes = (bw as usize).div_ceil(8);
            for (r, (ln, hex)) in rows.iter().enumerate() {
                if hex.len() < row_bytes * 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(err(
                        *ln,
                        format!("bitmap row `{hex}` is not {row_bytes} hex bytes"),
                    ));
                }
                for x in 0..bw as usize {
                    let nib = u8::from_str_radix(&hex[x / 4..x / 4 + 1], 16).unwrap_or(0);
                    if nib & (8 >> (x % 4)) != 0 {
                        let cx = bx - fx + x as i64;
                        let cy = (fh + fy) - (by + bh) + r as i64;
                        if cx >= 0 && cy >= 0 && cx < fw && cy < fh {
                            bm.set(cx as usize, cy as usize, 255);
                        }
                    }
                }
            }
            out.push(Gaiji {
                code: format!("{enc:04X}"),
                bitmap: bm,
                outline: None,
            });
        }
    }
    if out.is_empty() {
        return Err(InputError::Empty {
            path: path.to_path_buf(),
            what: "the BDF font has no encoded glyph",
        });
    }
    Ok(out)
}

/// A folder of `<hex code>.png|bmp|tif|tiff` images; other files are ignored.
pub fn read_image_folder(dir: &Path) -> Result<Vec<Gaiji>, InputError> {
    let io = |source| InputError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        let Some(ext) = p
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
        else {
            continue;
        };
        if !matches!(ext.as_str(), "png" | "bmp" | "tif" | "tiff") {
            continue;
        }
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let stem = stem
            .strip_prefix("U+")
            .or_else(|| stem.strip_prefix("u+"))
            .unwrap_or(stem);
        if stem.is_empty() || stem.len() > 8 || !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InputError::BadName { path: p });
        }
        let bytes = std::fs::read(&p).map_err(|source| InputError::Io {
            path: p.clone(),
            source,
        })?;
        let bitmap = crate::image_io::decode_image(&p, &bytes)?;
        out.push(Gaiji {
            code: format!("{:0>4}", stem.to_ascii_uppercase()),
            bitmap,
            outline: None,
        });
    }
    if out.is_empty() {
        return Err(InputError::Empty {
            path: dir.to_path_buf(),
            what: "no <code>.png|bmp|tif file",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BDF: &str = "STARTFONT 2.1\nFONT test\nSIZE 8 75 75\nFONTBOUNDINGBOX 8 8 0 -1\nCHARS 1\n\
STARTCHAR g1\nENCODING 29985\nSWIDTH 1000 0\nDWIDTH 8 0\nBBX 4 2 2 3\nBITMAP\nF0\n90\nENDCHAR\nENDFONT\n";

    #[test]
    fn bdf_glyph_lands_in_the_cell() {
        let g = read_bdf(Path::new("t.bdf"), BDF.as_bytes()).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].code, "7521");
        let bm = &g[0].bitmap;
        // cell top is y = 7 (8 rows, baseline 1 up); glyph rows span y 3..5 above baseline
        let row = |y: usize| {
            (0..8)
                .map(|x| if bm.get(x, y) > 0 { '#' } else { '.' })
                .collect::<String>()
        };
        assert_eq!(row(2), "..####..");
        assert_eq!(row(3), "..#..#..");
        assert_eq!(
            (0..8)
                .filter(|&y| y != 2 && y != 3)
                .map(row)
                .collect::<String>(),
            ".".repeat(48)
        );
    }

    #[test]
    fn bdf_errors_name_the_line() {
        let bad = BDF.replace("BBX 4 2 2 3", "BBX 4 x 2 3");
        let e = read_bdf(Path::new("t.bdf"), bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.bdf: line 10"), "{e}");
        let bad = BDF.replace("90\n", "");
        assert!(read_bdf(Path::new("t.bdf"), bad.as_bytes()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn bdf_reader_never_panics(s in "(STARTFONT 2.1\n)?(FONTBOUNDINGBOX -?[0-9]{1,3} -?[0-9]{1,3} -?[0-9] -?[0-9]\n)?(STARTCHAR a\n(ENCODING -?[0-9]{1,5}\n)?(BBX -?[0-9]{1,2} -?[0-9]{1,2} -?[0-9] -?[0-9]\n)?BITMAP\n([0-9A-Fa-fx]{0,4}\n){0,4}(ENDCHAR\n)?){0,3}") {
            let _ = read_bdf(Path::new("p.bdf"), s.as_bytes());
        }
    }
}
