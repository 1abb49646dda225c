//! The generator end to end on a tiny city: deterministic, counts as promised, faults listed.

use std::path::Path;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn opts(dir: &Path, faults: bool) -> samples::Options {
    let mut o = samples::Options::new(dir);
    o.persons = 300;
    o.images = samples::Images::Count(2);
    o.faults = faults;
    o
}

#[test]
fn tiny_city_is_deterministic_and_counts_hold() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let m = samples::generate(&opts(a.path(), false), &|_| {}).unwrap();
    samples::generate(&opts(b.path(), false), &|_| {}).unwrap();
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.0, y.0);
        assert!(x.1 == y.1, "{} differs between two runs", x.0);
    }
    assert_eq!(m.entities["persons_registered"], 300);
    assert_eq!(m.entities["koseki_current"], 125);
    assert_eq!(m.entities["koseki_closed"], 46);
    assert!(m.faults.is_empty());
    // Every data file is header + records + trailer of its LRECL.
    for f in &m.files {
        let len = std::fs::metadata(a.path().join(&f.data)).unwrap().len() as usize;
        assert_eq!(len, (f.records + 2) * f.lrecl, "{}", f.data);
    }
    assert!(!m.gaiji.is_empty());
    for g in &m.gaiji {
        assert!(a.path().join(format!("gaiji/png/{}.png", g.code)).is_file());
    }
}

#[test]
fn faults_are_planted_and_listed() {
    let a = tempfile::tempdir().unwrap();
    let m = samples::generate(&opts(a.path(), true), &|_| {}).unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        m.faults.iter().map(|f| f.kind.as_str()).collect();
    for k in [
        "bad_packed",
        "bad_zoned",
        "truncated_record",
        "undefined_code",
        "impossible_date",
        "wrong_trailer_count",
        "orphan_person",
        "broken_cross_reference",
        "corrupt_tiff_page",
    ] {
        assert!(kinds.contains(k), "no {k} fault in {kinds:?}");
    }
}
