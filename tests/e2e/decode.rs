//! End-to-end tests of `koseki decode`.

use std::process::Command;

use crate::common::{koseki, run_with_stdin};

fn have_iconv() -> bool {
    let ok = Command::new("iconv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "!!!!! SKIPPED: glibc `iconv` is absent; decode-vs-iconv e2e test did not run !!!!!"
        );
    }
    ok
}

/// Run `cmd` with `input` on stdin, written from a thread: `koseki decode` and iconv both
/// write output while they read, so a large input would fill the pipes both ways.
fn piped(cmd: &mut Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn iconv(cs: &str, input: &[u8]) -> Vec<u8> {
    let out = piped(Command::new("iconv").args(["-f", cs, "-t", "UTF-8"]), input);
    assert!(out.status.success(), "iconv {cs} failed");
    out.stdout
}

/// A mixed stream made of every kind of code: Latin/kana single bytes, kanji, the ideographic
/// space, a redundant SO, and a stream ending in double-byte mode.
const MIXED: &[u8] =
    b"\xC1\xC2\x81\x82\x40\x0E\x45\x41\x45\x42\x40\x40\x0F\xF1\xF2\x0E\x0E\x45\x43";

#[test]
fn decode_matches_iconv_for_ibm_mixed_streams() {
    if !have_iconv() {
        return;
    }
    for (name, cs) in [
        ("ibm930", "IBM930"),
        ("ibm939", "IBM939"),
        ("ibm1390", "IBM1390"),
        ("ibm1399", "IBM1399"),
    ] {
        let out = run_with_stdin(&["decode", "--encoding", name], MIXED);
        let text = decoded_ok(out, name);
        assert_eq!(text.as_bytes(), iconv(cs, MIXED), "{name}");
    }
}

#[test]
fn large_streams_decode_in_chunks_like_iconv_with_absolute_offsets() {
    if !have_iconv() {
        return;
    }
    // ~10 MB: longer than the CLI's 4 MiB read chunk; an 11-byte record, so chunk ends
    // fall inside double-byte codes and shift runs.
    let record: &[u8] = b"\xC1\xC2\x81\x0E\x45\x41\x45\x42\x40\x40\x0F";
    let mut big = record.repeat(900_000);
    let decode = |args: &[&str], input: &[u8]| piped(koseki().arg("decode").args(args), input);
    let out = decode(&["--encoding", "ibm930"], &big);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == iconv("IBM930", &big), "differs from iconv");
    let bad = big.len();
    big.push(0x57);
    big.extend_from_slice(record);
    let out = decode(&["--encoding", "ibm930", "--strict"], &big);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("byte offset {bad}")), "{err}");
    let out = decode(&["--encoding", "ibm930"], &big);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 undefined code") && err.contains(&format!("byte offset {bad}")),
        "{err}"
    );
}

#[test]
fn ebcdic_kana_stays_half_width() {
    let out = run_with_stdin(
        &["decode", "--encoding", "ebcdic-kana"],
        b"\x81\x86\xBE\x40\xC1",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "ｱｶﾞ A");
}

#[test]
fn lenient_replaces_reports_and_exits_1() {
    let out = run_with_stdin(&["decode", "--encoding", "ibm930"], b"\xC1\x57\xC2\x57");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "A\u{FFFD}B\u{FFFD}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 undefined codes"), "{err}");
    assert!(
        err.contains("byte offset 1") && err.contains("byte offset 3"),
        "{err}"
    );
}

#[test]
fn strict_names_the_offset_and_exits_2() {
    let out = run_with_stdin(
        &["decode", "--encoding", "ibm939", "--strict"],
        b"\xC1\xC2\x0E\x45\x41\x45\x0F",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("byte offset 5"), "{err}");
}

#[test]
fn jef_mixed_fields_and_code_table() {
    // EBCDIK 'A', shift 0x28, 亜 (standard area), 鰺 (1978 order), user area, shift back.
    let out = run_with_stdin(
        &["decode", "--encoding", "jef"],
        b"\xC1\x28\xB0\xA1\xB0\xB3\x80\xA1\x29\x5B",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "A亜鰺\u{E000}\\");

    // The extended area needs a vendor code table.
    let stream = b"\x41\xA1\x40\x40\x80\xA1";
    let out = run_with_stdin(&["decode", "--encoding", "jef", "--field", "dbcs"], stream);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("code table"));

    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("vendor.tsv");
    std::fs::write(
        &table,
        "code\tucs\tivs\n41A1\tU+4E02\n80A1\tU+8FBB\tU+E0100\n",
    )
    .unwrap();
    let out = run_with_stdin(
        &[
            "decode",
            "--encoding",
            "jef",
            "--field",
            "dbcs",
            "--code-table",
            table.to_str().unwrap(),
        ],
        stream,
    );
    assert_eq!(decoded_ok(out, "jef"), "丂\u{3000}辻\u{E0100}");
}

#[test]
fn jef_standard_area_gives_the_1978_shapes() {
    // 0xB0A2: 1983 re-drew 啞 as 唖; 0xC4CD: the 1978 塚 is the compatibility ideograph
    // U+FA10 (never normalised); 0xB0B3: 鰺 (1978 order); 0xDFE6: 煕 (not IBM932's 熙).
    let stream = b"\x28\xB0\xA2\xC4\xCD\xB0\xB3\xDF\xE6\x29\xC1";
    let out = run_with_stdin(&["decode", "--encoding", "jef", "--strict"], stream);
    assert_eq!(decoded_ok(out, "jef"), "\u{555E}\u{FA10}\u{9C3A}\u{7155}A");
    let out = run_with_stdin(
        &["decode", "--encoding", "jef", "--field", "dbcs"],
        b"\xB0\xA2\xC4\xCD",
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "\u{555E}\u{FA10}");
}

#[test]
fn bad_code_table_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("bad.tsv");
    std::fs::write(&table, "41A1\tU+4E02\nzz\tU+4E02\n").unwrap();
    let out = run_with_stdin(
        &[
            "decode",
            "--encoding",
            "jef",
            "--code-table",
            table.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.tsv") && err.contains("line 2"), "{err}");
}

#[test]
fn cp932_and_euc_jp() {
    let out = run_with_stdin(&["decode", "--encoding", "cp932"], b"\x88\x9F\xB1a");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "亜ｱa");
    let out = run_with_stdin(
        &["decode", "--encoding", "euc-jp", "--strict"],
        b"\xB0\xA1\xFF",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("byte offset 2"));
}

#[test]
fn unknown_encoding_is_bad_usage_and_help_explains_exit_codes() {
    let out = run_with_stdin(&["decode", "--encoding", "ibm931"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ibm930"));
    let out = koseki().args(["decode", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Exit status") && help.contains("--strict") && help.contains("--code-table"),
        "{help}"
    );
}

/// The decoded text of a run that must succeed (exit 0); stderr is shown when it did not.
fn decoded_ok(out: std::process::Output, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("koseki decode writes UTF-8")
}
