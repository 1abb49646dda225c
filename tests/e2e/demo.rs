//! `koseki demo`: the whole story (sample → identify → key → migrate → user) on a small city.

use crate::common::koseki;

#[test]
fn demo_runs_the_whole_story_and_reconciles() {
    let dir = tempfile::tempdir().unwrap();
    let out = koseki()
        .args([
            "demo",
            "--persons",
            "300",
            "--images",
            "1",
            "--no-serve",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "koseki sample",
        "koseki identify",
        "koseki migrate",
        "otpauth://totp/",
    ] {
        assert!(stdout.contains(step), "demo output lacks {step}: {stdout}");
    }
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("migrate-report/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["reconciled"], true, "{summary}");
    assert!(dir.path().join("identify-report/index.html").is_file());
}
