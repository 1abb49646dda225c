//! Round-to-round diff report: what was added, removed or changed, down to the field.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::html::{esc, num, page, table};
use crate::{Error, write_csv, write_json};

/// One difference between two rounds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Change {
    /// `koseki`, `persons`, `events`, `characters`, …
    pub kind: String,
    /// Domain key of the row (戸籍 id, person id, event id, vendor gaiji code).
    pub key: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    /// Field that changed (empty for added/removed rows).
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Counts per kind, as in `diff.json`'s `summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    pub added: u64,
    pub removed: u64,
    /// Rows with at least one changed field.
    pub changed: u64,
    /// Changed fields in all.
    pub fields: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffReport {
    pub old: String,
    pub new: String,
    pub old_round: String,
    pub new_round: String,
    pub old_hash: String,
    pub new_hash: String,
    pub summary: BTreeMap<String, KindCounts>,
    pub changes: Vec<Change>,
}

impl DiffReport {
    /// Recompute `summary` from `changes`.
    pub fn tally(&mut self) {
        let mut s: BTreeMap<String, KindCounts> = BTreeMap::new();
        let mut last_changed: Option<(String, String)> = None;
        for c in &self.changes {
            let k = s.entry(c.kind.clone()).or_default();
            match c.change.as_str() {
                "added" => k.added += 1,
                "removed" => k.removed += 1,
                _ => {
                    k.fields += 1;
                    let id = (c.kind.clone(), c.key.clone());
                    if last_changed.as_ref() != Some(&id) {
                        k.changed += 1;
                        last_changed = Some(id);
                    }
                }
            }
        }
        self.summary = s;
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Write `diff.json`, `diff.csv` and `diff.html` into `dir`.
pub fn write(dir: &Path, report: &DiffReport) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    write_json(&dir.join("diff.json"), report)?;
    let rows: Vec<Vec<String>> = report
        .changes
        .iter()
        .map(|c| {
            vec![
                c.kind.clone(),
                c.key.clone(),
                c.change.clone(),
                c.field.clone(),
                c.old.clone(),
                c.new.clone(),
            ]
        })
        .collect();
    write_csv(
        &dir.join("diff.csv"),
        &["kind", "key", "change", "field", "old", "new"],
        &rows,
    )?;

    let mut body = String::new();
    body.push_str(&table(
        &["", "旧", "新"],
        &[
            vec![esc("store"), esc(&report.old), esc(&report.new)],
            vec![esc("round"), esc(&report.old_round), esc(&report.new_round)],
            vec![
                esc("content hash"),
                format!("<code>{}</code>", esc(&report.old_hash)),
                format!("<code>{}</code>", esc(&report.new_hash)),
            ],
        ],
    ));
    body.push_str("<h2>集計</h2>");
    let srows: Vec<Vec<String>> = report
        .summary
        .iter()
        .map(|(k, c)| {
            vec![
                esc(k),
                num(c.added),
                num(c.removed),
                num(c.changed),
                num(c.fields),
            ]
        })
        .collect();
    body.push_str(&table(
        &["種別", "追加", "削除", "変更(行)", "変更(項目)"],
        &srows,
    ));
    body.push_str("<h2>差分</h2>");
    let hrows: Vec<Vec<String>> = report
        .changes
        .iter()
        .map(|c| {
            vec![
                esc(&c.kind),
                format!("<code>{}</code>", esc(&c.key)),
                esc(match c.change.as_str() {
                    "added" => "追加",
                    "removed" => "削除",
                    _ => "変更",
                }),
                format!("<code>{}</code>", esc(&c.field)),
                esc(&c.old),
                esc(&c.new),
            ]
        })
        .collect();
    body.push_str(&table(
        &["種別", "キー", "区分", "項目", "旧", "新"],
        &hrows,
    ));
    let path = dir.join("diff.html");
    let html = page("移行回比較 (差分)", &body).replace("<nav>", "<nav hidden>");
    fs::write(&path, html).map_err(|e| Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(kind: &str, key: &str, change: &str, field: &str) -> Change {
        Change {
            kind: kind.into(),
            key: key.into(),
            change: change.into(),
            field: field.into(),
            old: "a".into(),
            new: "b".into(),
        }
    }

    #[test]
    fn tally_counts_rows_and_fields() {
        let mut d = DiffReport {
            changes: vec![
                ch("persons", "P1", "changed", "name"),
                ch("persons", "P1", "changed", "birth"),
                ch("persons", "P2", "added", ""),
                ch("koseki", "K1", "removed", ""),
            ],
            ..Default::default()
        };
        d.tally();
        assert_eq!(
            d.summary["persons"],
            KindCounts {
                added: 1,
                removed: 0,
                changed: 1,
                fields: 2
            }
        );
        assert_eq!(d.summary["koseki"].removed, 1);
    }

    #[test]
    fn writes_csv_and_html() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = DiffReport {
            changes: vec![ch("persons", "<P1>", "changed", "name")],
            ..Default::default()
        };
        d.tally();
        write(dir.path(), &d).unwrap();
        let csv = fs::read_to_string(dir.path().join("diff.csv")).unwrap();
        assert_eq!(
            csv,
            "kind,key,change,field,old,new\npersons,<P1>,changed,name,a,b\n"
        );
        let html = fs::read_to_string(dir.path().join("diff.html")).unwrap();
        assert!(html.contains("&lt;P1&gt;"));
    }
}
