//! End-to-end tests of `koseki dump` (owned by the parsers engineer).

use std::path::{Path, PathBuf};

use crate::common::koseki;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(crate::common::manifest_dir())
        .join("../parsers/testdata")
        .join(name)
}

/// EBCDIK text padded with 0x40.
fn ebcdik(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.resize(len, 0x40);
    v
}

/// JEF double-byte text padded with the ideographic space 0xA1A1.
fn jef(bytes: &[u8], chars: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    while v.len() < chars * 2 {
        v.extend_from_slice(&[0xA1, 0xA1]);
    }
    v
}

fn zoned(digits: &str) -> Vec<u8> {
    digits.bytes().map(|d| 0xF0 | (d - b'0')).collect()
}

/// Two 100-byte PERSON-REC records, written byte by byte from the copybook (not with our
/// writer), so the expected values are independent of the code under test.
fn person_file() -> Vec<u8> {
    let mut f = Vec::new();
    // Record 1: 山田太郎 (JEF BBB3 C5C4 C2C0 CFBA), kana ﾔﾏﾀﾞ ﾀﾛｳ, -1234.50, two children.
    f.push(0xC4); // 'D'
    f.extend(zoned("00012345"));
    f.extend(jef(&[0xBB, 0xB3, 0xC5, 0xC4, 0xC2, 0xC0, 0xCF, 0xBA], 6));
    f.extend(ebcdik(
        &[0xA9, 0xA4, 0x91, 0xBE, 0x40, 0x91, 0xBB, 0x83],
        12,
    ));
    f.extend(zoned("19850412"));
    f.extend([0x00, 0x01, 0x23, 0x45, 0x0D]);
    f.extend([0x00, 0x02]);
    f.extend(jef(&[0xB0, 0xEC, 0xCF, 0xBA], 4)); // 一郎
    f.extend(zoned("20100301"));
    f.extend(jef(&[0xB2, 0xD6, 0xBB, 0xD2], 4)); // 花子
    f.extend(zoned("20120715"));
    f.extend(jef(&[], 4));
    f.extend(zoned("00000000"));
    f.extend([0x40; 4]);
    // Record 2: 佐藤花子, no kana, +98765.43 (sign F), no children, sign nibble C in the date.
    f.push(0xC4);
    f.extend(zoned("00000002"));
    f.extend(jef(&[0xBA, 0xB4, 0xC6, 0xA3, 0xB2, 0xD6, 0xBB, 0xD2], 6));
    f.extend(ebcdik(&[], 12));
    let mut d = zoned("20000229");
    *d.last_mut().unwrap() = 0xC9;
    f.extend(d);
    f.extend([0x00, 0x98, 0x76, 0x54, 0x3F]);
    f.extend([0x00, 0x00]);
    for _ in 0..3 {
        f.extend(jef(&[], 4));
        f.extend(zoned("00000000"));
    }
    f.extend([0x40; 4]);
    assert_eq!(f.len(), 200);
    f
}

fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn dump(layout: &Path, data: &Path, extra: &[&str]) -> std::process::Output {
    koseki()
        .arg("dump")
        .arg("--layout")
        .arg(layout)
        .arg("--data")
        .arg(data)
        .args(["--encoding", "jef"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn dump_jef_copybook_gives_exact_values() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_tmp(dir.path(), "person.dat", &person_file());
    let out = dump(&testdata("person.cpy"), &data, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let golden = std::fs::read_to_string(testdata("person.golden.jsonl")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), golden);
}

#[test]
fn layout_table_gives_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_tmp(dir.path(), "person.dat", &person_file());
    let a = dump(&testdata("person.cpy"), &data, &[]);
    let b = dump(&testdata("person.csv"), &data, &[]);
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn truncated_file_exits_1_naming_record_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = person_file();
    bytes.truncate(150);
    let data = write_tmp(dir.path(), "cut.dat", &bytes);
    let out = dump(&testdata("person.cpy"), &data, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the good record is still emitted"
    );
    assert!(stdout.contains("山田太郎"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cut.dat"), "{stderr}");
    assert!(stderr.contains("record 2, byte offset 100"), "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");
}

#[test]
fn bad_packed_nibble_names_field_and_offset_and_max_errors_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = person_file();
    bytes[143] = 0x0A; // record 2, FEE-AMOUNT's byte 2 (record offset 43)
    bytes[9] = 0x00; // record 1, SHIMEI: JEF 0x00BB is undefined
    let data = write_tmp(dir.path(), "bad.dat", &bytes);
    let out = dump(&testdata("person.cpy"), &data, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("record 2, byte offset 143, field FEE-AMOUNT"),
        "{stderr}"
    );
    assert!(
        stderr.contains("record 1, byte offset 9, field SHIMEI"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let out = dump(&testdata("person.cpy"), &data, &["--max-errors", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("FEE-AMOUNT"), "{stderr}");
    assert!(stderr.contains("--max-errors"), "{stderr}");
}

#[test]
fn csv_has_flattened_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_tmp(dir.path(), "person.dat", &person_file());
    let out = dump(&testdata("person.cpy"), &data, &["--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "REC-KIND,PERSON-ID,SHIMEI,SHIMEI-KANA,BIRTH-DATE,FEE-AMOUNT,CHILD-COUNT,\
         CHILD_1.CHILD-NAME,CHILD_1.CHILD-BIRTH,CHILD_2.CHILD-NAME,CHILD_2.CHILD-BIRTH,\
         CHILD_3.CHILD-NAME,CHILD_3.CHILD-BIRTH"
    );
    assert_eq!(
        lines.next().unwrap(),
        "D,12345,山田太郎,ﾔﾏﾀﾞ ﾀﾛｳ,19850412,-1234.50,2,一郎,20100301,花子,20120715,,0"
    );
}

#[test]
fn record_types_and_trailer_count() {
    let dir = tempfile::tempdir().unwrap();
    let cpy = write_tmp(
        dir.path(),
        "hdt.cpy",
        b"       01  HDR-REC.\n           05  HDR-KIND  PIC X.\n           05  RUN-DATE  PIC 9(8).\n       01  DTL-REC.\n           05  DTL-KIND  PIC X.\n           05  NAME      PIC X(8).\n       01  TRL-REC.\n           05  TRL-KIND  PIC X.\n           05  TRL-COUNT PIC 9(8).\n",
    );
    let rec = |kind: u8, body: &[u8]| {
        let mut v = vec![kind];
        v.extend_from_slice(body);
        v
    };
    let mut f = Vec::new();
    f.extend(rec(0xC8, &zoned("20240401"))); // H
    f.extend(rec(0xC4, &ebcdik(&[0xC1, 0xC2], 8))); // D "AB"
    f.extend(rec(0xC4, &ebcdik(&[0xC3], 8))); // D "C"
    f.extend(rec(0xE3, &zoned("00000003"))); // T says 3, but 2 were read
    let data = write_tmp(dir.path(), "hdt.dat", &f);
    let args = [
        "--record-type",
        "HDR-KIND=H:HDR-REC",
        "--record-type",
        "DTL-KIND=D:DTL-REC",
        "--record-type",
        "TRL-KIND=T:TRL-REC",
        "--trailer-count",
        "TRL-COUNT=DTL-REC",
    ];
    let out = dump(&cpy, &data, &args);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "{\"HDR-KIND\":\"H\",\"RUN-DATE\":20240401}\n{\"DTL-KIND\":\"D\",\"NAME\":\"AB\"}\n{\"DTL-KIND\":\"D\",\"NAME\":\"C\"}\n{\"TRL-KIND\":\"T\",\"TRL-COUNT\":3}\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "record 4, byte offset 28, field TRL-COUNT: trailer count is 3 but 2 records were read"
        ),
        "{stderr}"
    );
    // The same through a profile file, with a right count.
    let mut g = f.clone();
    g[35] = 0xF2;
    let data = write_tmp(dir.path(), "hdt2.dat", &g);
    let profile = write_tmp(
        dir.path(),
        "hdt.profile",
        b"encoding jef\nrecord-type HDR-KIND=H:HDR-REC\nrecord-type DTL-KIND=D:DTL-REC\nrecord-type TRL-KIND=T:TRL-REC\ntrailer-count TRL-COUNT=DTL-REC\n",
    );
    let out = koseki()
        .args(["dump", "--layout"])
        .arg(&cpy)
        .arg("--data")
        .arg(&data)
        .arg("--profile")
        .arg(&profile)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_copybook_exits_2_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cpy = write_tmp(dir.path(), "bad.cpy", b"01 REC.\n  05 A PIC X(3) FOO.\n");
    let data = write_tmp(dir.path(), "x.dat", b"abc");
    let out = dump(&cpy, &data, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.cpy") && stderr.contains("line 2, column 17"),
        "{stderr}"
    );
}

#[test]
fn renames_come_out_as_their_own_keys_in_jsonl_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let cpy = write_tmp(
        dir.path(),
        "ren.cpy",
        b"01 REC.\n 05 SHIMEI.\n  10 UJI PIC N(2).\n  10 MEI PIC N(2).\n 05 BIRTH PIC 9(4).\n 66 NAME-ALL RENAMES UJI THRU MEI.\n 66 BIRTH-YEAR RENAMES BIRTH.\n",
    );
    let mut rec = jef(&[0xBB, 0xB3, 0xC5, 0xC4], 2); // 山田
    rec.extend(jef(&[0xC2, 0xC0], 2)); // 太
    rec.extend(zoned("1985"));
    let data = write_tmp(dir.path(), "ren.dat", &rec);
    let out = dump(&cpy, &data, &[]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"SHIMEI\":{\"UJI\":\"山田\",\"MEI\":\"太\"},\"BIRTH\":1985,\"NAME-ALL\":{\"UJI\":\"山田\",\"MEI\":\"太\"},\"BIRTH-YEAR\":1985}\n"
    );
    let out = dump(&cpy, &data, &["--format", "csv"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "UJI,MEI,BIRTH,NAME-ALL.UJI,NAME-ALL.MEI,BIRTH-YEAR\n山田,太,1985,山田,太,1985\n"
    );
}
