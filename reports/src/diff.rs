//! Round-to-round diff report: what was added, removed or changed, down to the field.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::frame::{Show, group_totals, html_table, write_csv};
use crate::html::{esc, page, table};
use crate::{Error, write_json};

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

/// The changes as a frame: `kind`, `key`, `change`, `field`, `old`, `new`.
pub fn changes_frame(changes: &[Change]) -> PolarsResult<DataFrame> {
    let col = |name: &str, f: fn(&Change) -> &str| {
        Column::new(name.into(), changes.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        changes.len(),
        vec![
            col("kind", |c| &c.kind),
            col("key", |c| &c.key),
            col("change", |c| &c.change),
            col("field", |c| &c.field),
            col("old", |c| &c.old),
            col("new", |c| &c.new),
        ],
    )
}

/// Per kind: rows added, removed, changed (distinct keys with a changed field) and fields
/// changed, counted by group_by on the changes frame. Same counts as [`DiffReport::tally`].
pub fn tally_changes(changes: &DataFrame) -> PolarsResult<BTreeMap<String, KindCounts>> {
    let by_change = group_totals(changes, &["kind", "change"], &[])?;
    // As in `tally`: whatever is neither added nor removed is a changed field.
    let change = changes.column("change")?.str()?;
    let is_changed = !&(&change.equal("added") | &change.equal("removed"));
    let changed_keys = changes.filter(&is_changed)?.unique_stable(
        Some(&["kind".to_string(), "key".to_string()][..]),
        UniqueKeepStrategy::First,
        None,
    )?;
    let changed_rows = group_totals(&changed_keys, &["kind"], &[])?;

    let mut per_kind: BTreeMap<String, KindCounts> = BTreeMap::new();
    let kinds = by_change.column("kind")?.str()?;
    let what = by_change.column("change")?.str()?;
    let rows = by_change.column("rows")?.u64()?;
    for ((k, w), n) in kinds.iter().zip(what.iter()).zip(rows.iter()) {
        let e = per_kind
            .entry(k.unwrap_or_default().to_string())
            .or_default();
        let n = n.unwrap_or_default();
        match w.unwrap_or_default() {
            "added" => e.added += n,
            "removed" => e.removed += n,
            _ => e.fields += n,
        }
    }
    let kinds = changed_rows.column("kind")?.str()?;
    let rows = changed_rows.column("rows")?.u64()?;
    for (k, n) in kinds.iter().zip(rows.iter()) {
        per_kind
            .entry(k.unwrap_or_default().to_string())
            .or_default()
            .changed = n.unwrap_or_default();
    }
    Ok(per_kind)
}

/// The tally as a table for the page: `kind`, `added`, `removed`, `changed`, `fields`.
fn tally_frame(per_kind: &BTreeMap<String, KindCounts>) -> PolarsResult<DataFrame> {
    let u = |f: fn(&KindCounts) -> u64| per_kind.values().map(f).collect::<Vec<_>>();
    DataFrame::new(
        per_kind.len(),
        vec![
            Column::new(
                "kind".into(),
                per_kind.keys().map(String::as_str).collect::<Vec<_>>(),
            ),
            Column::new("added".into(), u(|c| c.added)),
            Column::new("removed".into(), u(|c| c.removed)),
            Column::new("changed".into(), u(|c| c.changed)),
            Column::new("fields".into(), u(|c| c.fields)),
        ],
    )
}

const DIFF_CSV: [(&str, &str); 6] = [
    ("kind", "kind"),
    ("key", "key"),
    ("change", "change"),
    ("field", "field"),
    ("old", "old"),
    ("new", "new"),
];

/// Write `diff.json`, `diff.csv` and `diff.html` into `dir`. The summary in `diff.json` and the
/// page's 集計 are both the polars tally of `report.changes`.
pub fn write(dir: &Path, report: &DiffReport) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let perr = |e| Error::polars(dir, e);
    let changes = changes_frame(&report.changes).map_err(perr)?;
    let summary = tally_changes(&changes).map_err(perr)?;
    let tally = tally_frame(&summary).map_err(perr)?;
    // diff.json nests the summary map and the change list: serde, not polars' record writer.
    let json = DiffReport {
        summary,
        ..report.clone()
    };
    write_json(&dir.join("diff.json"), &json)?;
    write_csv(&dir.join("diff.csv"), &changes, &DIFF_CSV)?;

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
    let path = dir.join("diff.html");
    let tables = (|| -> PolarsResult<String> {
        let mut b = String::from("<h2>集計</h2>");
        b.push_str(&html_table(
            &tally,
            &[
                ("kind", "種別", Show::Plain),
                ("added", "追加", Show::Plain),
                ("removed", "削除", Show::Plain),
                ("changed", "変更(行)", Show::Plain),
                ("fields", "変更(項目)", Show::Plain),
            ],
        )?);
        b.push_str("<h2>差分</h2>");
        b.push_str(&html_table(
            &changes,
            &[
                ("kind", "種別", Show::Plain),
                ("key", "キー", Show::Code),
                ("change", "区分", Show::Change),
                ("field", "項目", Show::Code),
                ("old", "旧", Show::Plain),
                ("new", "新", Show::Plain),
            ],
        )?);
        Ok(b)
    })()
    .map_err(|e| Error::polars(&path, e))?;
    body.push_str(&tables);
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
