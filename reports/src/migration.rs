//! Writes a migration round's report folder: HTML pages a QA reviewer reads, the same tables
//! as CSV and JSON, and `summary.json`.

use std::fs;
use std::path::Path;

use polars::prelude::{DataFrame, PolarsError};

use crate::frame::{Show, column_sum, html_table, write_csv, write_json_records};
use crate::html::{esc, num, page, table};
use crate::model::MigrationReport;
use crate::{Error, tables, write_json};

/// The report's tables, each built once; every file is written from these.
struct Frames {
    counts: DataFrame,
    files: DataFrame,
    files_by_entity: DataFrame,
    characters: DataFrame,
    gaiji_by_level: DataFrame,
    integrity: DataFrame,
    findings_by_rule: DataFrame,
    findings_by_severity: DataFrame,
    quarantine: DataFrame,
    quarantine_by_kind: DataFrame,
    runlog: DataFrame,
}

impl Frames {
    fn new(report: &MigrationReport) -> Result<Self, PolarsError> {
        let files = tables::files(&report.files)?;
        let characters = tables::characters(&report.gaiji)?;
        let integrity = tables::integrity(&report.findings)?;
        let quarantine = tables::quarantine(&report.summary.quarantine)?;
        Ok(Frames {
            counts: tables::counts(&report.summary)?,
            files_by_entity: tables::files_by_entity(&files)?,
            files,
            gaiji_by_level: tables::gaiji_by_level(&characters)?,
            characters,
            findings_by_rule: tables::findings_by_rule(&integrity)?,
            findings_by_severity: tables::findings_by_severity(&integrity)?,
            integrity,
            quarantine_by_kind: tables::quarantine_by_kind(&quarantine)?,
            quarantine,
            runlog: tables::runlog(&report.phases)?,
        })
    }
}

/// Columns of `counts.csv`, in order (a contract).
pub const COUNTS_CSV: [(&str, &str); 7] = [
    ("entity", "entity"),
    ("source", "source"),
    ("read", "read"),
    ("loaded", "loaded"),
    ("quarantined", "quarantined"),
    ("difference", "difference"),
    ("reasons", "reasons"),
];
const FILES_CSV: [(&str, &str); 6] = [
    ("file", "file"),
    ("entity", "entity"),
    ("source", "source"),
    ("read", "read"),
    ("loaded", "loaded"),
    ("quarantined", "quarantined"),
];
const CHARACTERS_CSV: [(&str, &str); 7] = [
    ("code", "code"),
    ("level", "level"),
    ("mj", "mj"),
    ("stored", "stored"),
    ("local", "local"),
    ("occurrences", "occurrences"),
    ("persons", "persons"),
];
/// `characters.json`: a [`crate::GaijiRow`] per object.
const CHARACTERS_JSON: [&str; 8] = [
    "code",
    "level",
    "mj",
    "stored",
    "local",
    "occurrences",
    "image",
    "persons",
];
const INTEGRITY_CSV: [(&str, &str); 7] = [
    ("severity", "severity"),
    ("rule", "rule"),
    ("entity", "entity"),
    ("key", "key"),
    ("file", "file"),
    ("record", "record"),
    ("message", "message"),
];
/// `integrity.json`: a [`crate::Finding`] per object.
const INTEGRITY_JSON: [&str; 7] = [
    "severity", "rule", "entity", "key", "message", "file", "record",
];
const QUARANTINE_CSV: [(&str, &str); 7] = [
    ("file", "file"),
    ("record", "record"),
    ("offset", "offset"),
    ("field", "field"),
    ("kind", "kind"),
    ("reason", "reason"),
    ("raw_hex", "raw_hex"),
];
/// `quarantine.json`: a [`crate::QuarantineItem`] per object.
const QUARANTINE_JSON: [&str; 8] = [
    "file", "record", "offset", "field", "reason", "kind", "entity", "raw_hex",
];
const RUNLOG_CSV: [(&str, &str); 4] = [
    ("name", "phase"),
    ("millis", "millis"),
    ("count", "count"),
    ("note", "note"),
];
/// `runlog.json`: a [`crate::Phase`] per object.
const RUNLOG_JSON: [&str; 4] = ["name", "millis", "count", "note"];

/// Write every page and table of `report` into `dir` (created if missing).
pub fn write(dir: &Path, report: &MigrationReport) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let s = &report.summary;
    // Maps and nested records: polars' JSON writer only writes tables of records, so these
    // stay serde (summary.json is a contract read by scripts and by `koseki diff`).
    write_json(&dir.join("summary.json"), s)?;
    write_json(&dir.join("report.json"), report)?;
    write_json(&dir.join("counts.json"), &s.counts)?;

    let f = Frames::new(report).map_err(|e| Error::polars(dir, e))?;
    write_csv(&dir.join("counts.csv"), &f.counts, &COUNTS_CSV)?;
    write_csv(&dir.join("files.csv"), &f.files, &FILES_CSV)?;
    write_csv(&dir.join("characters.csv"), &f.characters, &CHARACTERS_CSV)?;
    write_json_records(
        &dir.join("characters.json"),
        &f.characters,
        &CHARACTERS_JSON,
    )?;
    write_csv(&dir.join("integrity.csv"), &f.integrity, &INTEGRITY_CSV)?;
    write_json_records(&dir.join("integrity.json"), &f.integrity, &INTEGRITY_JSON)?;
    write_csv(&dir.join("quarantine.csv"), &f.quarantine, &QUARANTINE_CSV)?;
    write_json_records(
        &dir.join("quarantine.json"),
        &f.quarantine,
        &QUARANTINE_JSON,
    )?;
    write_csv(&dir.join("runlog.csv"), &f.runlog, &RUNLOG_CSV)?;
    write_json_records(&dir.join("runlog.json"), &f.runlog, &RUNLOG_JSON)?;

    let pages = [
        ("counts.html", "件数照合表", counts_body(&f)),
        ("characters.html", "文字照合", characters_body(&f)),
        ("integrity.html", "整合性チェック", integrity_body(&f)),
        (
            "quarantine.html",
            "隔離レコード",
            quarantine_body(&f, s.quarantined),
        ),
        ("runlog.html", "実行ログ", runlog_body(&f, &report.started)),
        (
            "index.html",
            "システム移行結果報告書",
            index_body(report, &f),
        ),
    ];
    for (name, title, body) in pages {
        let body = body.map_err(|e| Error::polars(&dir.join(name), e))?;
        write_page(dir, name, title, &body)?;
    }
    Ok(())
}

/// The entity table's columns in HTML (counts.html and the summary page).
const COUNTS_HTML: [(&str, &str, Show); 7] = [
    ("entity", "エンティティ", Show::Entity),
    ("source", "移行元件数(トレーラ)", Show::Plain),
    ("read", "読込", Show::Plain),
    ("loaded", "登録", Show::Plain),
    ("quarantined", "隔離", Show::Plain),
    ("difference", "差異", Show::Plain),
    ("reconciles", "判定", Show::Verdict("reasons")),
];

fn counts_body(f: &Frames) -> Result<String, PolarsError> {
    let mut body = String::from("<h2>エンティティ別</h2>");
    body.push_str(&html_table(&f.counts, &COUNTS_HTML)?);
    body.push_str(&totals_line(&f.counts)?);
    body.push_str("<h2>ファイル別</h2>");
    body.push_str(&html_table(
        &f.files,
        &[
            ("file", "ファイル", Show::Code),
            ("entity", "エンティティ", Show::Entity),
            ("source", "トレーラ件数", Show::Plain),
            ("read", "読込", Show::Plain),
            ("loaded", "登録", Show::Plain),
            ("quarantined", "隔離", Show::Plain),
        ],
    )?);
    body.push_str("<h2>ファイル別の合計 (エンティティ別)</h2>");
    body.push_str(&html_table(
        &f.files_by_entity,
        &[
            ("entity", "エンティティ", Show::Entity),
            ("rows", "ファイル数", Show::Plain),
            ("source", "トレーラ件数", Show::Plain),
            ("read", "読込", Show::Plain),
            ("loaded", "登録", Show::Plain),
            ("quarantined", "隔離", Show::Plain),
        ],
    )?);
    Ok(body)
}

/// All entities summed, under the entity table.
fn totals_line(counts: &DataFrame) -> Result<String, PolarsError> {
    let mut row = vec![esc("全エンティティ")];
    for name in ["source", "read", "loaded", "quarantined", "difference"] {
        row.push(num(column_sum(counts, name)?));
    }
    Ok(table(
        &[
            "合計",
            "移行元件数(トレーラ)",
            "読込",
            "登録",
            "隔離",
            "差異",
        ],
        &[row],
    ))
}

fn characters_body(f: &Frames) -> Result<String, PolarsError> {
    let mut body = String::from("<h2>同定レベル別の外字数</h2>");
    body.push_str(&html_table(&f.gaiji_by_level, &GAIJI_LEVELS_HTML)?);
    let local = f.characters.column("local")?.bool()?.clone();
    let columns = [
        ("code", "コード", Show::Code),
        ("image", "字形", Show::Image("code")),
        ("level", "レベル", Show::Plain),
        ("mj", "MJ", Show::Plain),
        ("stored", "登録先", Show::Code),
        ("occurrences", "出現数", Show::Plain),
        ("persons", "該当者", Show::Persons),
    ];
    body.push_str("<h2>要確認: 標準文字と一致しなかった外字 (ローカル外字として登録)</h2>");
    body.push_str(&html_table(&f.characters.filter(&local)?, &columns)?);
    body.push_str("<h2>同定済み外字</h2>");
    body.push_str(&html_table(&f.characters.filter(&!&local)?, &columns)?);
    Ok(body)
}

const GAIJI_LEVELS_HTML: [(&str, &str, Show); 3] = [
    ("tally", "同定レベル", Show::Plain),
    ("rows", "外字数", Show::Plain),
    ("occurrences", "出現数", Show::Plain),
];

fn integrity_body(f: &Frames) -> Result<String, PolarsError> {
    let mut body = format!("<p>指摘 {} 件</p>", f.integrity.height());
    body.push_str(&html_table(
        &f.findings_by_rule,
        &[
            ("severity", "重要度", Show::Plain),
            ("rule", "規則", Show::Plain),
            ("rows", "件数", Show::Plain),
        ],
    )?);
    body.push_str(&html_table(
        &f.integrity,
        &[
            ("severity", "重要度", Show::Plain),
            ("rule", "規則", Show::Plain),
            ("entity", "エンティティ", Show::Plain),
            ("key", "キー", Show::Plain),
            ("file", "ファイル", Show::Code),
            ("record", "レコード番号", Show::Plain),
            ("message", "内容", Show::Plain),
        ],
    )?);
    Ok(body)
}

fn quarantine_body(f: &Frames, quarantined: u64) -> Result<String, PolarsError> {
    let mut body = format!(
        "<p>隔離 {quarantined} 件。生のバイト列は quarantine.csv の raw_hex 列にある。</p>"
    );
    body.push_str(&html_table(
        &f.quarantine_by_kind,
        &[
            ("entity", "エンティティ", Show::Entity),
            ("kind", "種別", Show::Plain),
            ("rows", "件数", Show::Plain),
        ],
    )?);
    body.push_str(&html_table(
        &f.quarantine,
        &[
            ("file", "ファイル", Show::Code),
            ("record", "レコード番号", Show::Plain),
            ("offset", "バイト位置", Show::Plain),
            ("field", "項目", Show::Code),
            ("kind", "種別", Show::Plain),
            ("reason", "理由", Show::Plain),
        ],
    )?);
    Ok(body)
}

fn runlog_body(f: &Frames, started: &str) -> Result<String, PolarsError> {
    let mut body = format!("<p>開始 {}</p>", esc(started));
    body.push_str(&html_table(
        &f.runlog,
        &[
            ("name", "工程", Show::Plain),
            ("millis", "時間(ms)", Show::Plain),
            ("count", "件数", Show::Plain),
            ("note", "備考", Show::Plain),
        ],
    )?);
    Ok(body)
}

fn index_body(report: &MigrationReport, f: &Frames) -> Result<String, PolarsError> {
    let s = &report.summary;
    let mut b = String::new();
    let verdict = if s.reconciled {
        "<p class=\"ok\">判定: 全件照合一致 (隔離 0 件)</p>".to_string()
    } else {
        format!(
            "<p class=\"ng\">判定: 要確認 (隔離 {} 件、または件数不一致)</p>",
            s.quarantined
        )
    };
    b.push_str(&verdict);
    let mut rows = vec![
        vec![esc("移行回"), esc(&s.round)],
        vec![esc("実施日時"), esc(&report.started)],
        vec![
            esc("内容ハッシュ"),
            format!("<code>{}</code>", esc(&s.content_hash)),
        ],
        vec![esc("隔離件数"), num(s.quarantined)],
        vec![esc("終了コード"), num(s.exit_code)],
    ];
    for (k, v) in &report.inputs {
        rows.push(vec![esc(k), format!("<code>{}</code>", esc(v))]);
    }
    b.push_str(&table(&["項目", "値"], &rows));
    b.push_str("<h2>件数 (エンティティ別)</h2>");
    b.push_str(&html_table(&f.counts, &COUNTS_HTML)?);
    b.push_str(&totals_line(&f.counts)?);
    b.push_str("<h2>文字</h2>");
    b.push_str(&html_table(&f.gaiji_by_level, &GAIJI_LEVELS_HTML)?);
    b.push_str("<h2>整合性</h2>");
    b.push_str(&html_table(
        &f.findings_by_severity,
        &[
            ("severity", "重要度", Show::Plain),
            ("rows", "件数", Show::Plain),
        ],
    )?);
    b.push_str("<h2>イメージ (除籍・改製原戸籍)</h2>");
    let i = &s.images;
    b.push_str(&table(
        &["見出し", "確認ファイル", "頁", "格納", "問題", "時間(ms)"],
        &[vec![
            num(i.registers),
            num(i.files_checked),
            num(i.pages),
            num(i.stored),
            num(i.problems),
            num(i.millis),
        ]],
    ));
    b.push_str("<h2>工程</h2>");
    b.push_str(&html_table(
        &f.runlog,
        &[
            ("name", "工程", Show::Plain),
            ("millis", "時間(ms)", Show::Plain),
            ("count", "件数", Show::Plain),
        ],
    )?);
    b.push_str("<p>確認者: ＿＿＿＿＿＿＿＿　　承認者: ＿＿＿＿＿＿＿＿　　日付: ＿＿＿＿＿＿</p>");
    Ok(b)
}

fn write_page(dir: &Path, name: &str, title: &str, body: &str) -> Result<(), Error> {
    let path = dir.join(name);
    fs::write(&path, page(title, body)).map_err(|e| Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn sample() -> MigrationReport {
        let mut r = MigrationReport::default();
        r.summary.round = "r1".into();
        r.summary.counts.insert(
            "persons".into(),
            EntityCount {
                source: Some(3),
                read: 3,
                loaded: 2,
                quarantined: 1,
                ..Default::default()
            },
        );
        r.summary.quarantined = 1;
        r.summary.quarantine.push(QuarantineItem {
            file: "PERSON.DAT".into(),
            record: 3,
            offset: 512,
            field: "BIRTH-DATE".into(),
            reason: "昭和64年1月8日 does not exist <b>".into(),
            kind: "bad_date".into(),
            ..Default::default()
        });
        r
    }

    #[test]
    fn writes_all_pages_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &sample()).unwrap();
        for f in [
            "summary.json",
            "index.html",
            "counts.html",
            "counts.csv",
            "quarantine.csv",
            "characters.html",
            "integrity.json",
            "runlog.csv",
        ] {
            assert!(dir.path().join(f).is_file(), "{f}");
        }
        let q = fs::read_to_string(dir.path().join("quarantine.html")).unwrap();
        assert!(q.contains("&lt;b&gt;") && !q.contains("<b>"));
        let s: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
        assert_eq!(s["quarantine"][0]["record"], 3);
        assert_eq!(s["counts"]["persons"]["source"], 3);
        let c = fs::read_to_string(dir.path().join("counts.csv")).unwrap();
        assert!(c.starts_with("entity,source,read,loaded,quarantined,difference,reasons\n"));
        assert!(c.contains("persons,3,3,2,1,1,"));
    }
}
