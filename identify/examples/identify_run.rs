//! `koseki identify` without the rest of koseki, for release-mode benchmarks of this crate
//! alone (`bench/identify.sh` uses it): `identify_run GAIJI OUT.tsv [TOP]`.
use std::path::PathBuf;

use identify::run::{Options, identify, summary, to_tsv};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let gaiji = identify::input::read_gaiji(&PathBuf::from(&a[1])).expect("gaiji");
    let opts = Options {
        reference: moji::refdata::ipamj_font_path(),
        mojidata: moji::refdata::mojidata_db_path(),
        top: a.get(3).and_then(|s| s.parse().ok()).unwrap_or(10),
        known: Vec::new(),
        reviewed: None,
    };
    let o = identify(&gaiji, &opts, &|_, _, _| {}).expect("identify");
    for ix in o.indexes.values().filter(|ix| ix.build_seconds > 0.0) {
        eprintln!(
            "identify_run: built the {}-entry index ({} px, binary {}) in {:.1} s",
            ix.len(),
            ix.style.size,
            ix.style.binary,
            ix.build_seconds
        );
    }
    std::fs::write(&a[2], to_tsv(&o.results)).expect("write");
    eprintln!("identify_run: {}", summary(&o));
}
