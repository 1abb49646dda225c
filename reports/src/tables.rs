//! The migration report's tables as polars frames, built once from the model. Column names are
//! the model's field names; the CSV headers and HTML labels are chosen where each is written.

use polars::prelude::*;

use crate::frame::group_totals;
use crate::model::{FileCount, Finding, GaijiRow, Phase, QuarantineItem, Summary};

fn col<T, P: ?Sized>(name: &str, values: T) -> Column
where
    Series: NamedFrom<T, P>,
{
    Column::new(name.into(), values)
}

/// 件数照合表 per entity: `entity`, `source` (UInt64, null when no trailer counts it), `read`,
/// `loaded`, `quarantined`, `difference` (Int64), `reasons` (`kind:n …`), `reconciles` (bool).
pub fn counts(s: &Summary) -> PolarsResult<DataFrame> {
    let n = s.counts.len();
    let mut entity = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut read = Vec::with_capacity(n);
    let mut loaded = Vec::with_capacity(n);
    let mut quarantined = Vec::with_capacity(n);
    let mut difference = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    let mut reconciles = Vec::with_capacity(n);
    for (e, c) in &s.counts {
        entity.push(e.as_str());
        source.push(c.source);
        read.push(c.read);
        loaded.push(c.loaded);
        quarantined.push(c.quarantined);
        difference.push(c.difference());
        reasons.push(
            c.reasons
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        reconciles.push(c.reconciles());
    }
    DataFrame::new(
        n,
        vec![
            col("entity", entity),
            col("source", source),
            col("read", read),
            col("loaded", loaded),
            col("quarantined", quarantined),
            col("difference", difference),
            col("reasons", reasons),
            col("reconciles", reconciles),
        ],
    )
}

/// 件数照合表 per data file: `file`, `entity`, `source`, `read`, `loaded`, `quarantined`.
pub fn files(files: &[FileCount]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        files.len(),
        vec![
            col(
                "file",
                files.iter().map(|f| f.file.as_str()).collect::<Vec<_>>(),
            ),
            col(
                "entity",
                files.iter().map(|f| f.entity.as_str()).collect::<Vec<_>>(),
            ),
            col(
                "source",
                files.iter().map(|f| f.count.source).collect::<Vec<_>>(),
            ),
            col(
                "read",
                files.iter().map(|f| f.count.read).collect::<Vec<_>>(),
            ),
            col(
                "loaded",
                files.iter().map(|f| f.count.loaded).collect::<Vec<_>>(),
            ),
            col(
                "quarantined",
                files
                    .iter()
                    .map(|f| f.count.quarantined)
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// Per entity, the file-level counts summed (`rows` = files), to set beside the entity table.
pub fn files_by_entity(files: &DataFrame) -> PolarsResult<DataFrame> {
    group_totals(
        files,
        &["entity"],
        &["source", "read", "loaded", "quarantined"],
    )
}

/// 文字照合: `code`, `level`, `mj`, `stored`, `local` (bool), `occurrences`, `image` (null when
/// none), `persons` (list of ids), and `tally`: the level as `summary.json`'s `gaiji` counts
/// it (`local (level)` for a gaiji stored as local gaiji).
pub fn characters(gaiji: &[GaijiRow]) -> PolarsResult<DataFrame> {
    let n = gaiji.len();
    let mut persons = ListStringChunkedBuilder::new(
        "persons".into(),
        n,
        gaiji.iter().map(|g| g.persons.len()).sum(),
    );
    for g in gaiji {
        persons.append_values_iter(g.persons.iter().map(String::as_str));
    }
    let str_col =
        |name: &str, f: fn(&GaijiRow) -> &str| col(name, gaiji.iter().map(f).collect::<Vec<_>>());
    DataFrame::new(
        n,
        vec![
            str_col("code", |g| &g.code),
            str_col("level", |g| &g.level),
            str_col("mj", |g| &g.mj),
            str_col("stored", |g| &g.stored),
            col("local", gaiji.iter().map(|g| g.local).collect::<Vec<_>>()),
            col(
                "occurrences",
                gaiji.iter().map(|g| g.occurrences).collect::<Vec<_>>(),
            ),
            col(
                "image",
                gaiji.iter().map(|g| g.image.as_deref()).collect::<Vec<_>>(),
            ),
            persons.finish().into_column(),
            col(
                "tally",
                gaiji
                    .iter()
                    .map(|g| {
                        if g.local {
                            format!("local ({})", g.level)
                        } else {
                            g.level.clone()
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// Gaiji by level: `tally` (the level, `local (…)` for local gaiji), `rows` (distinct codes),
/// `occurrences` (in text fields).
pub fn gaiji_by_level(characters: &DataFrame) -> PolarsResult<DataFrame> {
    group_totals(characters, &["tally"], &["occurrences"])
}

/// 整合性 findings: `severity`, `rule`, `entity`, `key`, `message`, `file`, `record`.
pub fn integrity(findings: &[Finding]) -> PolarsResult<DataFrame> {
    let str_col =
        |name: &str, f: fn(&Finding) -> &str| col(name, findings.iter().map(f).collect::<Vec<_>>());
    DataFrame::new(
        findings.len(),
        vec![
            str_col("severity", |f| &f.severity),
            str_col("rule", |f| &f.rule),
            str_col("entity", |f| &f.entity),
            str_col("key", |f| &f.key),
            str_col("message", |f| &f.message),
            str_col("file", |f| &f.file),
            col(
                "record",
                findings.iter().map(|f| f.record).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// Findings per severity and rule: `severity`, `rule`, `rows`.
pub fn findings_by_rule(integrity: &DataFrame) -> PolarsResult<DataFrame> {
    group_totals(integrity, &["severity", "rule"], &[])
}

/// Findings per severity: `severity`, `rows`.
pub fn findings_by_severity(integrity: &DataFrame) -> PolarsResult<DataFrame> {
    group_totals(integrity, &["severity"], &[])
}

/// 隔離: `file`, `record`, `offset`, `field`, `reason`, `kind`, `entity`, `raw_hex`.
pub fn quarantine(items: &[QuarantineItem]) -> PolarsResult<DataFrame> {
    let str_col = |name: &str, f: fn(&QuarantineItem) -> &str| {
        col(name, items.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        items.len(),
        vec![
            str_col("file", |q| &q.file),
            col("record", items.iter().map(|q| q.record).collect::<Vec<_>>()),
            col("offset", items.iter().map(|q| q.offset).collect::<Vec<_>>()),
            str_col("field", |q| &q.field),
            str_col("reason", |q| &q.reason),
            str_col("kind", |q| &q.kind),
            str_col("entity", |q| &q.entity),
            str_col("raw_hex", |q| &q.raw_hex),
        ],
    )
}

/// Quarantined records per entity and reason kind: `entity`, `kind`, `rows`.
pub fn quarantine_by_kind(quarantine: &DataFrame) -> PolarsResult<DataFrame> {
    group_totals(quarantine, &["entity", "kind"], &[])
}

/// 実行ログ: `name`, `millis`, `count`, `note`.
pub fn runlog(phases: &[Phase]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        phases.len(),
        vec![
            col(
                "name",
                phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ),
            col(
                "millis",
                phases.iter().map(|p| p.millis).collect::<Vec<_>>(),
            ),
            col("count", phases.iter().map(|p| p.count).collect::<Vec<_>>()),
            col(
                "note",
                phases.iter().map(|p| p.note.as_str()).collect::<Vec<_>>(),
            ),
        ],
    )
}
