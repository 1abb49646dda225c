//! Writes a migration round's report folder: HTML pages a QA reviewer reads, the same tables
//! as CSV and JSON, and `summary.json`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::html::{entity_label, esc, num, page, table};
use crate::model::MigrationReport;
use crate::{Error, write_csv, write_json};

/// Write every page and table of `report` into `dir` (created if missing).
pub fn write(dir: &Path, report: &MigrationReport) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let s = &report.summary;
    write_json(&dir.join("summary.json"), s)?;
    write_json(&dir.join("report.json"), report)?;

    // 件数照合表
    let header = [
        "entity",
        "source",
        "read",
        "loaded",
        "quarantined",
        "difference",
        "reasons",
    ];
    let mut rows = Vec::new();
    let mut html_rows = Vec::new();
    for (entity, c) in &s.counts {
        let reasons = c
            .reasons
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push(vec![
            entity.clone(),
            c.source.map(|n| n.to_string()).unwrap_or_default(),
            c.read.to_string(),
            c.loaded.to_string(),
            c.quarantined.to_string(),
            c.difference().to_string(),
            reasons.clone(),
        ]);
        html_rows.push(vec![
            entity_label(entity),
            c.source.map(num).unwrap_or_else(|| "—".into()),
            num(c.read),
            num(c.loaded),
            num(c.quarantined),
            num(c.difference()),
            if c.reconciles() {
                "<span class=\"ok\">一致</span>".to_string()
            } else {
                format!("<span class=\"ng\">不一致</span> {}", esc(&reasons))
            },
        ]);
    }
    write_csv(&dir.join("counts.csv"), &header, &rows)?;
    write_json(&dir.join("counts.json"), &s.counts)?;
    let mut file_rows = Vec::new();
    let mut file_csv = Vec::new();
    for f in &report.files {
        let c = &f.count;
        file_csv.push(vec![
            f.file.clone(),
            f.entity.clone(),
            c.source.map(|n| n.to_string()).unwrap_or_default(),
            c.read.to_string(),
            c.loaded.to_string(),
            c.quarantined.to_string(),
        ]);
        file_rows.push(vec![
            format!("<code>{}</code>", esc(&f.file)),
            entity_label(&f.entity),
            c.source.map(num).unwrap_or_else(|| "—".into()),
            num(c.read),
            num(c.loaded),
            num(c.quarantined),
        ]);
    }
    write_csv(
        &dir.join("files.csv"),
        &["file", "entity", "source", "read", "loaded", "quarantined"],
        &file_csv,
    )?;
    let mut body = String::from("<h2>エンティティ別</h2>");
    body.push_str(&table(
        &[
            "エンティティ",
            "移行元件数(トレーラ)",
            "読込",
            "登録",
            "隔離",
            "差異",
            "判定",
        ],
        &html_rows,
    ));
    body.push_str("<h2>ファイル別</h2>");
    body.push_str(&table(
        &[
            "ファイル",
            "エンティティ",
            "トレーラ件数",
            "読込",
            "登録",
            "隔離",
        ],
        &file_rows,
    ));
    write_page(dir, "counts.html", "件数照合表", &body)?;

    // 文字照合
    let gaiji_csv: Vec<Vec<String>> = report
        .gaiji
        .iter()
        .map(|g| {
            vec![
                g.code.clone(),
                g.level.clone(),
                g.mj.clone(),
                g.stored.clone(),
                g.local.to_string(),
                g.occurrences.to_string(),
                g.persons.join(" "),
            ]
        })
        .collect();
    write_csv(
        &dir.join("characters.csv"),
        &[
            "code",
            "level",
            "mj",
            "stored",
            "local",
            "occurrences",
            "persons",
        ],
        &gaiji_csv,
    )?;
    write_json(&dir.join("characters.json"), &report.gaiji)?;
    let mut body = String::from("<h2>同定レベル別の外字数</h2>");
    let lv: Vec<Vec<String>> = s.gaiji.iter().map(|(k, v)| vec![esc(k), num(v)]).collect();
    body.push_str(&table(&["レベル", "外字数"], &lv));
    body.push_str("<h2>要確認: 標準文字と一致しなかった外字 (ローカル外字として登録)</h2>");
    let mut rows = Vec::new();
    for g in report.gaiji.iter().filter(|g| g.local) {
        rows.push(gaiji_html_row(g));
    }
    body.push_str(&table(
        &["コード", "字形", "レベル", "登録先", "出現数", "該当者"],
        &rows,
    ));
    body.push_str("<h2>同定済み外字</h2>");
    let rows: Vec<Vec<String>> = report
        .gaiji
        .iter()
        .filter(|g| !g.local)
        .map(gaiji_html_row)
        .collect();
    body.push_str(&table(
        &["コード", "字形", "レベル", "登録先", "出現数", "該当者"],
        &rows,
    ));
    write_page(dir, "characters.html", "文字照合", &body)?;

    // 整合性
    let f_csv: Vec<Vec<String>> = report
        .findings
        .iter()
        .map(|f| {
            vec![
                f.severity.clone(),
                f.rule.clone(),
                f.entity.clone(),
                f.key.clone(),
                f.file.clone(),
                f.record.to_string(),
                f.message.clone(),
            ]
        })
        .collect();
    write_csv(
        &dir.join("integrity.csv"),
        &[
            "severity", "rule", "entity", "key", "file", "record", "message",
        ],
        &f_csv,
    )?;
    write_json(&dir.join("integrity.json"), &report.findings)?;
    let rows: Vec<Vec<String>> = report
        .findings
        .iter()
        .map(|f| {
            vec![
                esc(&f.severity),
                esc(&f.rule),
                esc(&f.entity),
                esc(&f.key),
                format!("<code>{}</code> #{}", esc(&f.file), f.record),
                esc(&f.message),
            ]
        })
        .collect();
    let mut body = format!("<p>指摘 {} 件</p>", report.findings.len());
    body.push_str(&table(
        &["重要度", "規則", "エンティティ", "キー", "レコード", "内容"],
        &rows,
    ));
    write_page(dir, "integrity.html", "整合性チェック", &body)?;

    // 隔離
    let q_csv: Vec<Vec<String>> = s
        .quarantine
        .iter()
        .map(|q| {
            vec![
                q.file.clone(),
                q.record.to_string(),
                q.offset.to_string(),
                q.field.clone(),
                q.kind.clone(),
                q.reason.clone(),
                q.raw_hex.clone(),
            ]
        })
        .collect();
    write_csv(
        &dir.join("quarantine.csv"),
        &[
            "file", "record", "offset", "field", "kind", "reason", "raw_hex",
        ],
        &q_csv,
    )?;
    write_json(&dir.join("quarantine.json"), &s.quarantine)?;
    let rows: Vec<Vec<String>> = s
        .quarantine
        .iter()
        .map(|q| {
            vec![
                format!("<code>{}</code>", esc(&q.file)),
                num(q.record),
                num(q.offset),
                format!("<code>{}</code>", esc(&q.field)),
                esc(&q.kind),
                esc(&q.reason),
            ]
        })
        .collect();
    let mut body = format!(
        "<p>隔離 {} 件。生のバイト列は quarantine.csv の raw_hex 列にある。</p>",
        s.quarantined
    );
    body.push_str(&table(
        &[
            "ファイル",
            "レコード番号",
            "バイト位置",
            "項目",
            "種別",
            "理由",
        ],
        &rows,
    ));
    write_page(dir, "quarantine.html", "隔離レコード", &body)?;

    // 実行ログ
    let p_csv: Vec<Vec<String>> = report
        .phases
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.millis.to_string(),
                p.count.to_string(),
                p.note.clone(),
            ]
        })
        .collect();
    write_csv(
        &dir.join("runlog.csv"),
        &["phase", "millis", "count", "note"],
        &p_csv,
    )?;
    write_json(&dir.join("runlog.json"), &report.phases)?;
    let rows: Vec<Vec<String>> = report
        .phases
        .iter()
        .map(|p| vec![esc(&p.name), num(p.millis), num(p.count), esc(&p.note)])
        .collect();
    let mut body = format!("<p>開始 {}</p>", esc(&report.started));
    body.push_str(&table(&["工程", "時間(ms)", "件数", "備考"], &rows));
    write_page(dir, "runlog.html", "実行ログ", &body)?;

    // システム移行結果報告書
    write_page(
        dir,
        "index.html",
        "システム移行結果報告書",
        &index_body(report),
    )?;
    Ok(())
}

fn gaiji_html_row(g: &crate::model::GaijiRow) -> Vec<String> {
    let img = match &g.image {
        Some(p) => format!(
            "<img class=\"g\" src=\"{}\" alt=\"{}\">",
            esc(p),
            esc(&g.code)
        ),
        None => "—".into(),
    };
    let mut persons = g
        .persons
        .iter()
        .take(20)
        .map(|p| esc(p))
        .collect::<Vec<_>>()
        .join(", ");
    if g.persons.len() > 20 {
        let _ = write!(persons, " 他{}名", g.persons.len() - 20);
    }
    vec![
        format!("<code>{}</code>", esc(&g.code)),
        img,
        esc(&g.level),
        format!("{} <code>{}</code>", esc(&g.mj), esc(&g.stored)),
        num(g.occurrences),
        persons,
    ]
}

fn index_body(report: &MigrationReport) -> String {
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
    let rows: Vec<Vec<String>> = s
        .counts
        .iter()
        .map(|(e, c)| {
            vec![
                entity_label(e),
                c.source.map(num).unwrap_or_else(|| "—".into()),
                num(c.read),
                num(c.loaded),
                num(c.quarantined),
                if c.reconciles() {
                    "<span class=\"ok\">一致</span>".into()
                } else {
                    "<span class=\"ng\">不一致</span>".into()
                },
            ]
        })
        .collect();
    b.push_str(&table(
        &["エンティティ", "移行元", "読込", "登録", "隔離", "判定"],
        &rows,
    ));
    b.push_str("<h2>文字</h2>");
    let rows: Vec<Vec<String>> = s.gaiji.iter().map(|(k, v)| vec![esc(k), num(v)]).collect();
    b.push_str(&table(&["同定レベル", "外字数"], &rows));
    b.push_str("<h2>整合性</h2>");
    let rows: Vec<Vec<String>> = s
        .findings
        .iter()
        .map(|(k, v)| vec![esc(k), num(v)])
        .collect();
    b.push_str(&table(&["重要度", "件数"], &rows));
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
    let rows: Vec<Vec<String>> = report
        .phases
        .iter()
        .map(|p| vec![esc(&p.name), num(p.millis), num(p.count)])
        .collect();
    b.push_str(&table(&["工程", "時間(ms)", "件数"], &rows));
    b.push_str("<p>確認者: ＿＿＿＿＿＿＿＿　　承認者: ＿＿＿＿＿＿＿＿　　日付: ＿＿＿＿＿＿</p>");
    b
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
