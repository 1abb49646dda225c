//! PDF checks with poppler-utils (installed by setup): what a clerk's printer would get.
//! Shared by the certificate, web and workspace e2e tests, which include this file by path.

use std::path::Path;
use std::process::Command;

fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(pdf)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[] })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by setup): {e}"));
    assert!(
        out.status.success(),
        "{tool} {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{tool} output is not UTF-8: {e}"))
}

/// The PDF's text (`pdftotext -enc UTF-8`), IVS sequences included.
pub fn pdf_text(pdf: &Path) -> String {
    run("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// `pdfinfo`'s page count.
pub fn pdf_pages(pdf: &Path) -> usize {
    run("pdfinfo", &[], pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

/// Panics unless `pdffonts` lists an embedded subset of IPAmj明朝 (and returns its table).
pub fn assert_ipamj_subset_embedded(pdf: &Path) -> String {
    let fonts = run("pdffonts", &[], pdf);
    // The subset tag is `ABCDEF+`; the `emb sub` columns read `yes yes`.
    assert!(
        fonts
            .lines()
            .any(|l| l.contains("+IPAmjMincho") && l.contains("yes yes")),
        "no embedded IPAmj subset in {}:\n{fonts}",
        pdf.display()
    );
    fonts
}
