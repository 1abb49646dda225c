//! End-to-end tests for `koseki sample`: the dataset it writes reads back through `koseki dump`
//! with each file's own copybook, and the manifest's counts are what dump reads.

use crate::common::koseki;

fn sample(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "sample",
        "--out",
        dir.to_str().unwrap(),
        "--persons",
        "200",
        "--images",
        "2",
    ];
    args.extend_from_slice(extra);
    let out = koseki().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "sample failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Runs dump on one data file and returns the (good records, exit code).
fn dump(
    dir: &std::path::Path,
    data: &str,
    layout: &str,
) -> (Vec<serde_json::Value>, Option<i32>, String) {
    let out = koseki()
        .args([
            "dump",
            "--layout",
            dir.join(layout).to_str().unwrap(),
            "--data",
            dir.join(data).to_str().unwrap(),
            "--encoding",
            "jef",
        ])
        .output()
        .unwrap();
    let recs = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (
        recs,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sample_dumps_cleanly_and_counts_match_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let m = sample(dir.path(), &[]);
    assert_eq!(m["entities"]["persons_registered"], 200);
    for f in m["files"].as_array().unwrap() {
        let (recs, code, err) = dump(
            dir.path(),
            f["data"].as_str().unwrap(),
            f["layout"].as_str().unwrap(),
        );
        assert_eq!(code, Some(0), "{}: {err}", f["data"]);
        // header + data + trailer
        assert_eq!(
            recs.len() as u64,
            f["records"].as_u64().unwrap() + 2,
            "{}",
            f["data"]
        );
    }
}

#[test]
fn sample_is_byte_identical_for_one_seed() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    sample(a.path(), &["--seed", "7"]);
    sample(b.path(), &["--seed", "7"]);
    for f in [
        "manifest.json",
        "data/K03KOJIN.DAT",
        "data/K04MIBUN.DAT",
        "gaiji/EUDC.TTF",
        "gaiji/GAIJI24.bdf",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn faulty_sample_makes_dump_complain() {
    let dir = tempfile::tempdir().unwrap();
    let m = sample(dir.path(), &["--faults"]);
    let faults = m["faults"].as_array().unwrap();
    assert!(faults.len() >= 10);
    let (_, code, _) = dump(dir.path(), "data/K12RENKE.DAT", "layout/K12RENKE.cpy");
    assert_eq!(code, Some(1), "a truncated file must make dump exit 1");
}

#[test]
fn bad_images_argument_is_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = koseki()
        .args([
            "sample",
            "--out",
            dir.path().to_str().unwrap(),
            "--images",
            "many",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
