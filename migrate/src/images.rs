//! Image registers (除籍・改製原戸籍 kept only as TIFF): every page is decoded to prove it
//! can be shown, the page count is checked against the 見出し, and the file is stored once,
//! content-addressed (SHA-256), with the 見出し as its index.

use std::io::Cursor;
use std::path::Path;

use rayon::prelude::*;
use reports::QuarantineItem;

/// One register's TIFF as checked.
#[derive(Debug, Clone)]
pub struct CheckedImage {
    pub midashi_no: String,
    pub file: String,
    pub bytes: Vec<u8>,
    /// Pages that decoded: (page number from 1, width, height).
    pub pages: Vec<(u32, u32, u32)>,
    /// Pages found in the file (decodable or not).
    pub found: u32,
    /// Pages the 見出し states.
    pub stated: u32,
}

/// What to check: (見出し number, TIFF path relative to the image folder, stated pages).
pub type Wanted = (String, String, u32);

/// Decode every wanted TIFF (in parallel). Problems become quarantine items: file = the TIFF,
/// record = the page (from 1), field `page`; a wrong page count names field `pages`.
pub fn check(
    dir: &Path,
    wanted: &[Wanted],
    tick: &(dyn Fn(u64) + Sync),
) -> (Vec<CheckedImage>, Vec<QuarantineItem>) {
    let results: Vec<(Option<CheckedImage>, Vec<QuarantineItem>)> = wanted
        .par_iter()
        .map(|(no, file, stated)| {
            let r = check_one(dir, no, file, *stated);
            tick(1);
            r
        })
        .collect();
    let mut images = Vec::new();
    let mut problems = Vec::new();
    for (i, p) in results {
        images.extend(i);
        problems.extend(p);
    }
    (images, problems)
}

fn item(file: &str, record: u64, field: &str, kind: &str, reason: String) -> QuarantineItem {
    QuarantineItem {
        file: file.to_string(),
        record,
        offset: 0,
        field: field.to_string(),
        reason,
        kind: kind.to_string(),
        entity: "image_page".into(),
        raw_hex: String::new(),
    }
}

fn check_one(
    dir: &Path,
    no: &str,
    file: &str,
    stated: u32,
) -> (Option<CheckedImage>, Vec<QuarantineItem>) {
    let path = dir.join(file);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            let q = item(
                file,
                0,
                "file",
                "missing_image",
                format!("見出し {no}: cannot read {}: {e}", path.display()),
            );
            return (None, vec![q]);
        }
    };
    let mut problems = Vec::new();
    let mut pages = Vec::new();
    let mut found = 0u32;
    match tiff::decoder::Decoder::new(Cursor::new(&bytes[..])) {
        Err(e) => problems.push(item(
            file,
            1,
            "page",
            "corrupt_tiff",
            format!("見出し {no}: not a readable TIFF: {e}"),
        )),
        Ok(mut d) => loop {
            found += 1;
            let page = found;
            let decoded = d
                .dimensions()
                .and_then(|(w, h)| d.read_image().map(|_| (w, h)));
            match decoded {
                Ok((w, h)) => pages.push((page, w, h)),
                Err(e) => problems.push(item(
                    file,
                    u64::from(page),
                    "page",
                    "corrupt_tiff_page",
                    format!("見出し {no}: page {page} does not decode: {e}"),
                )),
            }
            if !d.more_images() {
                break;
            }
            if let Err(e) = d.next_image() {
                problems.push(item(
                    file,
                    u64::from(page + 1),
                    "page",
                    "corrupt_tiff_page",
                    format!("見出し {no}: page {} cannot be reached: {e}", page + 1),
                ));
                break;
            }
        },
    }
    if found != stated && problems.is_empty() {
        problems.push(item(
            file,
            0,
            "pages",
            "page_count",
            format!("見出し {no} states {stated} pages, the TIFF has {found}"),
        ));
    }
    (
        Some(CheckedImage {
            midashi_no: no.to_string(),
            file: file.to_string(),
            bytes,
            pages,
            found,
            stated,
        }),
        problems,
    )
}
