//! The report folder's three formats, checked against each other and against the model:
//! golden CSV files for a small fixed report, CSV read back by an independent reader, JSON read
//! back into the model, and HTML tables holding the same rows as the CSV.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use proptest::prelude::*;
use reports::diff::{Change, DiffReport};
use reports::*;

fn fixed_report() -> MigrationReport {
    let mut r = MigrationReport::default();
    let s = &mut r.summary;
    s.round = "golden".into();
    let count = |source, read, loaded, quarantined, reasons: &[(&str, u64)]| EntityCount {
        source,
        read,
        loaded,
        quarantined,
        reasons: reasons.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    };
    s.counts
        .insert("fuhyo".into(), count(Some(3), 4, 4, 0, &[]));
    s.counts
        .insert("koseki".into(), count(Some(2), 2, 2, 0, &[]));
    s.counts.insert(
        "person".into(),
        count(Some(5), 5, 3, 2, &[("bad_date", 1), ("orphan", 1)]),
    );
    s.counts
        .insert("uketsuke".into(), count(None, 4, 4, 0, &[]));
    s.quarantine = vec![
        QuarantineItem {
            file: "data/K03KOJIN.DAT".into(),
            record: 3,
            offset: 512,
            field: "BIRTH-DATE".into(),
            reason: "昭和64年1月8日 does not exist, \"quoted\"".into(),
            kind: "bad_date".into(),
            entity: "person".into(),
            raw_hex: "F1F2".into(),
        },
        QuarantineItem {
            file: "data/K03KOJIN.DAT".into(),
            record: 5,
            offset: 1024,
            field: "*".into(),
            reason: "no 戸籍 K9".into(),
            kind: "orphan".into(),
            entity: "person".into(),
            raw_hex: String::new(),
        },
    ];
    s.quarantined = 2;
    s.gaiji.insert("exact".into(), 1);
    s.gaiji.insert("local (none)".into(), 1);
    r.gaiji = vec![
        GaijiRow {
            code: "80A1".into(),
            level: "exact".into(),
            mj: "MJ000001".into(),
            stored: "U+4E00".into(),
            local: false,
            occurrences: 3,
            image: Some("gaiji/80A1.png".into()),
            persons: vec!["P1".into(), "P2".into()],
        },
        GaijiRow {
            code: "80A2".into(),
            level: "none".into(),
            mj: String::new(),
            stored: "U+F0000 (local)".into(),
            local: true,
            occurrences: 1,
            image: None,
            persons: vec!["P3".into()],
        },
    ];
    r.findings = vec![Finding {
        severity: "warning".into(),
        rule: "date_order".into(),
        entity: "person".into(),
        key: "P1".into(),
        message: "death before birth".into(),
        file: "data/K03KOJIN.DAT".into(),
        record: 7,
    }];
    r.phases = vec![
        Phase {
            name: "read".into(),
            millis: 120,
            count: 11,
            note: String::new(),
        },
        Phase {
            name: "total".into(),
            millis: 300,
            count: 11,
            note: "images 0 ms of it".into(),
        },
    ];
    r.files = vec![
        FileCount {
            file: "data/K03KOJIN.DAT".into(),
            entity: "person".into(),
            count: count(Some(3), 3, 2, 1, &[]),
        },
        FileCount {
            file: "data/K03KOJIN2.DAT".into(),
            entity: "person".into(),
            count: count(Some(2), 2, 1, 1, &[]),
        },
    ];
    r
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn csv_files_match_golden() {
    let dir = tempfile::tempdir().unwrap();
    migration::write(dir.path(), &fixed_report()).unwrap();
    let golden = Path::new(&manifest_dir()).join("tests/golden");
    for name in [
        "counts.csv",
        "quarantine.csv",
        "characters.csv",
        "runlog.csv",
    ] {
        assert_eq!(
            read(dir.path(), name),
            read(&golden, name),
            "{name} differs from tests/golden/{name}"
        );
    }
}

/// Rows of CSV text, read by the `csv` crate (not polars).
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The body rows of the `n`th HTML table on a page, cells with tags removed and entities
/// decoded.
fn html_rows(page: &str, n: usize) -> Vec<Vec<String>> {
    let t = page.split("<tbody>").nth(n + 1).expect("table");
    let t = &t[..t.find("</tbody>").expect("end of table")];
    t.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                    let mut text = String::new();
                    let mut in_tag = false;
                    for c in cell.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&#39;", "'")
                        .replace("&amp;", "&")
                })
                .collect()
        })
        .collect()
}

#[test]
fn html_tables_hold_the_csv_rows() {
    let dir = tempfile::tempdir().unwrap();
    let r = fixed_report();
    migration::write(dir.path(), &r).unwrap();

    // 件数照合表: entity table vs counts.csv, same order, same numbers.
    let (_, csv) = csv_rows(&read(dir.path(), "counts.csv"));
    let html = html_rows(&read(dir.path(), "counts.html"), 0);
    assert_eq!(html.len(), csv.len());
    for ((h, c), model) in html.iter().zip(&csv).zip(r.summary.counts.values()) {
        assert!(h[0].ends_with(&format!("({})", c[0])), "{h:?} vs {c:?}");
        let source = if c[1].is_empty() { "—" } else { &c[1] };
        assert_eq!(h[1], source);
        assert_eq!(h[2..6], c[2..6], "read, loaded, quarantined, difference");
        assert_eq!(h[6].contains("不一致"), !model.reconciles(), "{h:?}");
    }
    // The summary page shows the same entity table.
    let index = html_rows(&read(dir.path(), "index.html"), 1);
    assert_eq!(index, html);

    // 隔離: every CSV row in the page, in order.
    let (_, csv) = csv_rows(&read(dir.path(), "quarantine.csv"));
    let html = html_rows(&read(dir.path(), "quarantine.html"), 1);
    assert_eq!(html.len(), csv.len());
    for (h, c) in html.iter().zip(&csv) {
        assert_eq!(h[..6], c[..6], "file, record, offset, field, kind, reason");
    }

    // 実行ログ.
    let (_, csv) = csv_rows(&read(dir.path(), "runlog.csv"));
    let html = html_rows(&read(dir.path(), "runlog.html"), 0);
    assert_eq!(html, csv);
}

#[test]
fn aggregations_sum_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let r = fixed_report();
    migration::write(dir.path(), &r).unwrap();
    let counts = read(dir.path(), "counts.html");
    // Totals under the entity table: trailers 3+2+5 (uketsuke has none), read 15, loaded 13,
    // quarantined 2, differences -1+0+2+0.
    assert_eq!(
        html_rows(&counts, 1),
        vec![vec!["全エンティティ", "10", "15", "13", "2", "1"]]
    );
    // Files summed per entity: 2 files, trailer 5, read 5, loaded 3, quarantined 2.
    let by_entity = html_rows(&counts, 3);
    assert_eq!(by_entity.len(), 1);
    assert_eq!(by_entity[0][1..], ["2", "5", "5", "3", "2"]);
    // Gaiji by level: the same keys and counts as summary.json's `gaiji`.
    let levels = html_rows(&read(dir.path(), "characters.html"), 0);
    let got: BTreeMap<String, u64> = levels
        .iter()
        .map(|row| (row[0].clone(), row[1].parse().unwrap()))
        .collect();
    assert_eq!(got, r.summary.gaiji);
    assert_eq!(levels[0][2], "3", "occurrences of exact gaiji");
    // Findings per severity on the summary page.
    let index = read(dir.path(), "index.html");
    assert_eq!(html_rows(&index, 4), vec![vec!["warning", "1"]]);
}

#[test]
fn json_tables_read_back_into_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let r = fixed_report();
    migration::write(dir.path(), &r).unwrap();
    let back = |name: &str| read(dir.path(), name);
    let q: Vec<QuarantineItem> = serde_json::from_str(&back("quarantine.json")).unwrap();
    assert_eq!(q, r.summary.quarantine);
    let g: Vec<GaijiRow> = serde_json::from_str(&back("characters.json")).unwrap();
    assert_eq!(g, r.gaiji);
    let f: Vec<Finding> = serde_json::from_str(&back("integrity.json")).unwrap();
    assert_eq!(f, r.findings);
    let p: Vec<Phase> = serde_json::from_str(&back("runlog.json")).unwrap();
    assert_eq!(p, r.phases);
    let s = read_summary(&dir.path().join("summary.json")).unwrap();
    assert_eq!(s, r.summary);
}

#[test]
fn an_empty_report_writes_headers_and_empty_lists() {
    let dir = tempfile::tempdir().unwrap();
    migration::write(dir.path(), &MigrationReport::default()).unwrap();
    assert_eq!(
        read(dir.path(), "counts.csv"),
        "entity,source,read,loaded,quarantined,difference,reasons\n"
    );
    for name in [
        "quarantine.json",
        "characters.json",
        "integrity.json",
        "runlog.json",
    ] {
        let v: serde_json::Value = serde_json::from_str(&read(dir.path(), name)).unwrap();
        assert_eq!(v, serde_json::json!([]), "{name}");
    }
    let mut d = DiffReport::default();
    d.tally();
    reports::diff::write(dir.path(), &d).unwrap();
    assert_eq!(
        read(dir.path(), "diff.csv"),
        "kind,key,change,field,old,new\n"
    );
}

fn text() -> impl Strategy<Value = String> {
    // Commas, quotes, newlines, kanji, control characters: whatever a vendor field may hold.
    proptest::string::string_regex("[a-z,\"\n\r 戸籍\u{1}\t-]{0,12}").unwrap()
}

fn entity_count() -> impl Strategy<Value = EntityCount> {
    (
        proptest::option::of(0u64..1 << 40),
        0u64..1 << 40,
        0u64..1 << 40,
        0u64..1000,
        proptest::collection::btree_map("[a-z_]{1,8}", 0u64..100, 0..3),
    )
        .prop_map(|(source, read, loaded, quarantined, reasons)| EntityCount {
            source,
            read,
            loaded,
            quarantined,
            reasons,
        })
}

fn quarantine_item() -> impl Strategy<Value = QuarantineItem> {
    (
        text(),
        any::<u64>(),
        any::<u64>(),
        text(),
        text(),
        text(),
        text(),
        "[0-9A-F]{0,8}",
    )
        .prop_map(
            |(file, record, offset, field, reason, kind, entity, raw_hex)| QuarantineItem {
                file,
                record,
                offset,
                field,
                reason,
                kind,
                entity,
                raw_hex,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// counts.csv, read by an independent CSV reader, gives back the model's numbers.
    #[test]
    fn counts_csv_reads_back_to_the_model(
        counts in proptest::collection::btree_map("[a-z_]{1,10}", entity_count(), 0..6),
    ) {
        let mut r = MigrationReport::default();
        r.summary.counts = counts.clone();
        let dir = tempfile::tempdir().unwrap();
        migration::write(dir.path(), &r).unwrap();
        let (header, rows) = csv_rows(&read(dir.path(), "counts.csv"));
        prop_assert_eq!(
            header,
            ["entity", "source", "read", "loaded", "quarantined", "difference", "reasons"]
        );
        prop_assert_eq!(rows.len(), counts.len());
        for (row, (entity, c)) in rows.iter().zip(&counts) {
            prop_assert_eq!(&row[0], entity);
            prop_assert_eq!(row[1].parse::<u64>().ok(), c.source);
            prop_assert_eq!(row[2].parse::<u64>().unwrap(), c.read);
            prop_assert_eq!(row[3].parse::<u64>().unwrap(), c.loaded);
            prop_assert_eq!(row[4].parse::<u64>().unwrap(), c.quarantined);
            prop_assert_eq!(row[5].parse::<i64>().unwrap(), c.difference());
            let reasons: BTreeMap<String, u64> = row[6]
                .split_whitespace()
                .map(|kv| {
                    let (k, v) = kv.split_once(':').unwrap();
                    (k.to_string(), v.parse().unwrap())
                })
                .collect();
            prop_assert_eq!(&reasons, &c.reasons);
        }
    }

    /// Any text survives quarantine.csv (independent reader) and quarantine.json (serde).
    #[test]
    fn quarantine_text_round_trips(items in proptest::collection::vec(quarantine_item(), 0..5)) {
        let mut r = MigrationReport::default();
        r.summary.quarantined = items.len() as u64;
        r.summary.quarantine = items.clone();
        let dir = tempfile::tempdir().unwrap();
        migration::write(dir.path(), &r).unwrap();
        let (_, rows) = csv_rows(&read(dir.path(), "quarantine.csv"));
        prop_assert_eq!(rows.len(), items.len());
        for (row, q) in rows.iter().zip(&items) {
            // The csv reader turns a quoted "\r\n" into itself; polars must have quoted it.
            prop_assert_eq!(&row[0], &q.file);
            prop_assert_eq!(row[1].parse::<u64>().unwrap(), q.record);
            prop_assert_eq!(row[2].parse::<u64>().unwrap(), q.offset);
            prop_assert_eq!(&row[3], &q.field);
            prop_assert_eq!(&row[4], &q.kind);
            prop_assert_eq!(&row[5], &q.reason);
            prop_assert_eq!(&row[6], &q.raw_hex);
        }
        let back: Vec<QuarantineItem> =
            serde_json::from_str(&read(dir.path(), "quarantine.json")).unwrap();
        prop_assert_eq!(back, items);
    }

    /// The polars tally written to diff.json equals `DiffReport::tally` on changes grouped by
    /// row, as `migrate` produces them.
    #[test]
    fn diff_tally_agrees(mut changes in proptest::collection::vec(
        ("[ab]", "[xyz]", prop_oneof!["added", "removed", "changed"], "[fg]"),
        0..20,
    )) {
        changes.sort();
        changes.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.3 == b.3);
        let mut d = DiffReport {
            changes: changes
                .into_iter()
                .map(|(kind, key, change, field)| Change {
                    kind,
                    key,
                    change,
                    field,
                    old: "o".into(),
                    new: "n".into(),
                })
                .collect(),
            ..Default::default()
        };
        d.tally();
        let dir = tempfile::tempdir().unwrap();
        reports::diff::write(dir.path(), &d).unwrap();
        let written: DiffReport =
            serde_json::from_str(&read(dir.path(), "diff.json")).unwrap();
        prop_assert_eq!(written.summary, d.summary);
        prop_assert_eq!(written.changes, d.changes);
    }
}

/// The package folder of *this* run (cargo sets it when it runs a test), not the one the test
/// was compiled in: a shared build folder may hold a test built from another checkout.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
