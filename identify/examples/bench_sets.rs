//! Draws the benchmark's glyph sets for `bench/identify.sh`: characters taken evenly from
//! fonts other than IPAmj明朝 (花園明朝A, Noto Serif CJK JP), each as a 64 px picture
//! (`OUT/px64/<code>.png`) and as a 24-dot bitmap (`OUT/dots24.bdf`), with `OUT/truth.tsv`
//! (code, ucs, font). Usage: `bench_sets OUT N_PER_FONT`.
use std::fmt::Write as _;
use std::path::PathBuf;

use identify::glyph::FontData;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(a.get(1).map(String::as_str).unwrap_or("bench-out"));
    let per_font: usize = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(300);
    let mj = identify::refset::read_mojidata(&moji::refdata::mojidata_db_path()).expect("moji.db");
    let ucs: std::collections::HashSet<u32> = mj.values().filter_map(|e| e.ucs).collect();
    std::fs::create_dir_all(out.join("px64")).expect("mkdir");
    let fonts = [
        (
            "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
            0u32,
            "HanaMinA",
        ),
        (
            "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
            0,
            "NotoSerifCJKjp",
        ),
    ];
    let mut truth = String::from("code\tucs\tfont\n");
    let mut bdf = String::new();
    let mut chars = 0;
    let mut code = 0xE000u32;
    for (path, face, label) in fonts {
        let data = match FontData::load(std::path::Path::new(path), face) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("skipping {path}: {e}");
                continue;
            }
        };
        let f = data.font().expect("font");
        // Ideographs only (U+3400 and up): the reference set is kanji.
        let cps: Vec<_> = f
            .mapped_codepoints()
            .into_iter()
            .filter(|(c, _)| *c >= 0x3400 && ucs.contains(c))
            .collect();
        let step = (cps.len() / per_font).max(1);
        for &(cp, gid) in cps.iter().step_by(step).take(per_font) {
            let bm64 = f.raster(gid, 64);
            std::fs::write(
                out.join(format!("px64/{code:04X}.png")),
                identify::image_io::encode_png(&bm64),
            )
            .expect("png");
            let mut bm24 = f.raster(gid, 24);
            identify::index::binarise(&mut bm24);
            let _ = writeln!(
                bdf,
                "STARTCHAR g{code:04X}\nENCODING {code}\nSWIDTH 1000 0\nDWIDTH 24 0\nBBX 24 24 0 -3\nBITMAP"
            );
            for y in 0..24 {
                let mut row = 0u32;
                for x in 0..24 {
                    if bm24.get(x, y) > 0 {
                        row |= 1 << (23 - x);
                    }
                }
                let _ = writeln!(bdf, "{row:06X}");
            }
            bdf.push_str("ENDCHAR\n");
            let _ = writeln!(truth, "{code:04X}\tU+{cp:04X}\t{label}");
            code += 1;
            chars += 1;
        }
    }
    let head = format!(
        "STARTFONT 2.1\nFONT -bench-24\nSIZE 24 75 75\nFONTBOUNDINGBOX 24 24 0 -3\nCHARS {chars}\n"
    );
    std::fs::write(out.join("dots24.bdf"), head + &bdf + "ENDFONT\n").expect("bdf");
    std::fs::write(out.join("truth.tsv"), truth).expect("truth");
    eprintln!("{chars} characters drawn into {}", out.display());
}
