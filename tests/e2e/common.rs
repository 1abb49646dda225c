//! Helpers shared by the end-to-end tests.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The `koseki` binary cargo built for these tests.
pub fn koseki() -> Command {
    Command::new(env!("CARGO_BIN_EXE_koseki"))
}

/// Run `koseki ARGS` with `stdin` bytes and return its output.
#[allow(dead_code)]
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = koseki()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn koseki");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().expect("wait koseki")
}

/// The shared reference data folder (`../shared/data` beside the clone), if present.
/// Tests that need it print a loud notice and skip when it is absent.
#[allow(dead_code)]
pub fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(manifest_dir()).join("../../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("!!!!! SKIPPED: ../shared/data is absent; reference tests did not run !!!!!");
        None
    }
}

#[test]
fn help_lists_every_command() {
    let out = koseki().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for c in [
        "sample",
        "decode",
        "dump",
        "identify",
        "gaiji-font",
        "migrate",
        "diff",
        "serve",
        "search",
        "certificate",
        "key",
        "user",
        "audit",
        "backup",
        "restore",
        "demo",
    ] {
        assert!(text.contains(c), "--help lacks {c}");
    }
}

#[test]
fn bad_usage_exits_2() {
    let out = koseki().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The package folder of *this* run (cargo sets it when it runs a test), not the one the test
/// was compiled in: a shared build folder may hold a test built from another checkout.
pub fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
