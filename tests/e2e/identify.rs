//! End-to-end tests of `koseki identify` and `koseki gaiji-font` (they build the reference
//! index once into a shared cache under the test's KOSEKI_HOME, about a minute in dev).

use std::path::{Path, PathBuf};

use crate::common::koseki;

/// A persistent cache home for these tests, so the 59k-glyph index is built once.
fn home() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("identify-home");
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn refdata_present() -> bool {
    let ok = std::path::Path::new("/usr/share/fonts/truetype/ipamj/ipamjm.ttf").exists()
        || std::env::var_os("KOSEKI_IPAMJ_FONT").is_some();
    if !ok {
        eprintln!("!!!!! SKIPPED: IPAmj明朝 is not installed !!!!!");
    }
    ok
}

fn mojidata() -> PathBuf {
    std::env::var_os("KOSEKI_MOJIDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let h = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/root"));
            h.join(".local/share/koseki/npm/node_modules/@mandel59/mojidata/dist/moji.db")
        })
}

fn run_identify(args: &[&str]) -> std::process::Output {
    koseki()
        .env("KOSEKI_HOME", home())
        .env("KOSEKI_MOJIDATA", mojidata())
        .arg("--quiet")
        .arg("identify")
        .args(args)
        .output()
        .unwrap()
}

/// A gaiji font of IPAmj glyphs, a BDF of 24-dot drawings of Hanazono glyphs and a PNG
/// folder, all written by the identify crate's own builders (tiny, made at test time).
fn fixtures(dir: &Path) {
    let ipamj = ::identify::glyph::FontData::load(
        Path::new("/usr/share/fonts/truetype/ipamj/ipamjm.ttf"),
        0,
    )
    .unwrap();
    let f = ipamj.font().unwrap();
    let mut glyphs = Vec::new();
    for (i, name) in ["mj000007", "mj010001", "mj013456"].iter().enumerate() {
        let gid = f.glyph_by_name(name).unwrap();
        let mut g = ::identify::font_build::GaijiGlyph::new(
            0xE000 + i as u32,
            ::identify::font_build::GlyphShape::Outline(f.outline(gid)),
        );
        g.source_upem = f.units_per_em();
        glyphs.push(g);
    }
    let ttf = ::identify::font_build::build_ttf(
        &::identify::font_build::FontInfo::new("E2E Gaiji"),
        &glyphs,
    )
    .unwrap();
    std::fs::write(dir.join("gaiji.ttf"), ttf).unwrap();
    std::fs::create_dir_all(dir.join("png")).unwrap();
    let gid = f.glyph_by_name("mj010001").unwrap();
    std::fs::write(
        dir.join("png/E100.png"),
        ::identify::image_io::encode_png(&f.raster(gid, 64)),
    )
    .unwrap();
}

#[test]
fn identify_font_input_finds_the_mj_glyphs_and_writes_report() {
    if !refdata_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fixtures(tmp.path());
    let out = tmp.path().join("out.tsv");
    let rep = tmp.path().join("report");
    let o = run_identify(&[
        "--gaiji",
        tmp.path().join("gaiji.ttf").to_str().unwrap(),
        "--top",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let tsv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines[0], "code\trank\tmj\tucs\tivs\tscore\tlevel");
    assert_eq!(lines.len(), 1 + 3 * 3);
    assert!(
        lines.iter().any(
            |l| l.starts_with("E000\t1\tMJ000007\tU+3404\tU+E0101\t") && l.ends_with("\texact")
        ),
        "{tsv}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("E001\t1\tMJ010001\t")),
        "{tsv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("E002\t") && l.contains("\tMJ013456\t")),
        "{tsv}"
    );
    let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
    assert!(
        html.contains("img/gaiji-E000.png") && html.contains("MJ000007") && html.contains("152700")
    );
    assert!(rep.join("img/MJ000007.png").exists());

    // Round 2: the reviewed table settles E000 (marked none by the reviewer), E001/E002 are new.
    let reviewed = tmp.path().join("reviewed.tsv");
    std::fs::write(
        &reviewed,
        format!(
            "# gaiji: {}\ncode\tmj\tucs\tivs\tlevel\treviewer\tdate\tnote\nE000\t\t\t\tnone\ttester\t2026-11-29\tkeep local\n",
            tmp.path().join("gaiji.ttf").display()
        ),
    )
    .unwrap();
    let rep2 = tmp.path().join("report2");
    let o = run_identify(&[
        "--gaiji",
        tmp.path().join("gaiji.ttf").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
        rep2.to_str().unwrap(),
        "--reviewed",
        reviewed.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a none decision needs a human: exit 1"
    );
    let tsv = std::fs::read_to_string(&out).unwrap();
    assert!(tsv.contains("E000\t1\t\t\t\t1.000\tnone\n"), "{tsv}");
    let html = std::fs::read_to_string(rep2.join("index.html")).unwrap();
    assert!(!html.contains("gaiji-E000.png") && html.contains("gaiji-E001.png"));

    // The gaiji font of the none rows opens with the expected glyph on U+F0000.
    let ttf = tmp.path().join("local.ttf");
    let o = koseki()
        .args([
            "gaiji-font",
            "--mapping",
            reviewed.to_str().unwrap(),
            "--out",
            ttf.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "code\tucs\nE000\tU+F0000\n"
    );
    let data = ::identify::glyph::FontData::load(&ttf, 0).unwrap();
    let f = data.font().unwrap();
    let g = f.glyph_for_char(0xF0000).expect("glyph on U+F0000");
    assert!(!f.raster(g, 32).is_blank());
}

#[test]
fn identify_png_folder_and_bad_input() {
    if !refdata_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fixtures(tmp.path());
    let out = tmp.path().join("o.tsv");
    let o = run_identify(&[
        "--gaiji",
        tmp.path().join("png").to_str().unwrap(),
        "--top",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let tsv = std::fs::read_to_string(&out).unwrap();
    assert!(
        tsv.lines()
            .nth(1)
            .unwrap()
            .starts_with("E100\t1\tMJ010001\tU+5B24\t\t"),
        "{tsv}"
    );
    // Unreadable input: exit 2 with the file named.
    let bad = tmp.path().join("bad.bdf");
    std::fs::write(&bad, "STARTFONT 2.1\nSTARTCHAR x\nENDCHAR\n").unwrap();
    let o = run_identify(&[
        "--gaiji",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.bdf: line 2"));
}

/// Rank-1 agreement of an identify TSV with the sample manifest's truth (`code` → MJ name).
fn agreement(tsv: &str, truth: &[(String, String)], code_of: impl Fn(&str) -> String) -> f64 {
    let rank1: std::collections::HashMap<&str, &str> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 7 && f[1] == "1").then(|| (f[0], f[2]))
        })
        .collect();
    let ok = truth
        .iter()
        .filter(|(code, mj)| rank1.get(code_of(code).as_str()) == Some(&mj.as_str()))
        .count();
    ok as f64 / truth.len() as f64
}

#[test]
fn sample_gaiji_are_identified_as_the_manifest_says() {
    if !refdata_present() || !mojidata().exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sample");
    // 16,000 persons: 100 gaiji (the generator registers one per 160 persons).
    let o = koseki()
        .env("KOSEKI_MOJIDATA", mojidata())
        .args([
            "--quiet",
            "sample",
            "--out",
            dir.to_str().unwrap(),
            "--persons",
            "16000",
            "--images",
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sample: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let truth: Vec<(String, String)> = m["gaiji"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["code"].as_str().unwrap().to_string(),
                g["mj"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(truth.len() >= 50);
    let files = &m["gaiji_files"];
    let out = tmp.path().join("o.tsv");
    let run = |input: &str| {
        let o = run_identify(&[
            "--gaiji",
            dir.join(input).to_str().unwrap(),
            "--top",
            "3",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{input}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::read_to_string(&out).unwrap()
    };
    // The TrueType list maps each JEF user-area code to its private-use code point.
    let pua = |code: &str| {
        format!(
            "{:04X}",
            ::samples::gaiji::pua_for(u16::from_str_radix(code, 16).unwrap()) as u32
        )
    };
    let ttf = agreement(&run(files["ttf"].as_str().unwrap()), &truth, pua);
    let png = agreement(&run(files["png_dir"].as_str().unwrap()), &truth, |c| {
        c.to_string()
    });
    let dots24 = agreement(&run(files["bdf24"].as_str().unwrap()), &truth, |c| {
        c.to_string()
    });
    eprintln!("sample gaiji rank-1 agreement: ttf {ttf:.3}, png {png:.3}, 24-dot bdf {dots24:.3}");
    assert!(ttf >= 0.95, "ttf {ttf}");
    assert!(png >= 0.95, "png {png}");
    // The generator's 24-dot drawings lose thin strokes; this floor guards against regressions.
    assert!(dots24 >= 0.60, "24-dot {dots24}");
}
