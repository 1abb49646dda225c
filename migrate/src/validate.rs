//! Validation across records: duplicates, persons without a 戸籍, rows that belong to no
//! person, cross-戸籍 references that do not resolve both ways, dates out of order.
//! Rules read domain field names only (the profile maps vendor fields onto them).

use std::collections::{HashMap, HashSet};

use reports::Finding;

use crate::profile::RuleSpec;
use crate::stage::{Reject, Staged};
use crate::value::Value;

/// Entities whose rows must name an existing person, by `person_id`.
const PERSON_CHILDREN: &[&str] = &["mibun_jiko", "fuhyo", "zaigai_senkyo", "kojin_jotai"];
/// Entities whose rows must name an existing 戸籍, by `koseki_id`.
const KOSEKI_CHILDREN: &[&str] = &["person", "koseki_jiko", "mibun_jiko", "fuhyo"];
/// Entities whose rows may point at another 戸籍 (`ref_koseki_id`).
const REFERRING: &[&str] = &["mibun_jiko", "koseki_jiko"];

/// Run every rule. Returns the records to quarantine and the findings to report (every
/// reject is also a finding, with severity `error`).
pub fn validate(staged: &Staged, rules: &RuleSpec) -> (Vec<Reject>, Vec<Finding>) {
    let mut rejects = Vec::new();
    let mut findings = Vec::new();
    duplicates(staged, &mut rejects);
    // Parents first, so a child of a rejected parent is seen as such.
    let rejected: HashSet<(usize, u64)> = rejects.iter().map(|r| (r.file, r.record)).collect();
    let kosekis = ids(staged, "koseki", "koseki_id", &rejected);
    orphans(
        staged,
        KOSEKI_CHILDREN,
        "koseki_id",
        &kosekis,
        "戸籍",
        &mut rejects,
    );
    let rejected: HashSet<(usize, u64)> = rejects.iter().map(|r| (r.file, r.record)).collect();
    let persons = ids(staged, "person", "person_id", &rejected);
    orphans(
        staged,
        PERSON_CHILDREN,
        "person_id",
        &persons,
        "person",
        &mut rejects,
    );
    cross_references(staged, &kosekis, &mut rejects);
    date_order(staged, rules, &mut findings);
    for r in &rejects {
        let f = &staged.files[r.file];
        findings.push(Finding {
            severity: "error".into(),
            rule: r.kind.clone(),
            entity: f.spec.entity.clone(),
            key: key_of(staged, r.file, r.record),
            message: r.reason.clone(),
            file: f.spec.data.clone(),
            record: r.record,
        });
    }
    findings.sort_by(|a, b| (&a.file, a.record, &a.rule).cmp(&(&b.file, b.record, &b.rule)));
    (rejects, findings)
}

fn key_of(staged: &Staged, file: usize, record: u64) -> String {
    let f = &staged.files[file];
    let Some(row) = f.rows.iter().find(|r| r.record == record) else {
        return String::new();
    };
    let key: Vec<String> = if f.spec.key.is_empty() {
        ["koseki_id", "person_id"]
            .iter()
            .map(|k| f.get(row, k).key())
            .filter(|s| !s.is_empty())
            .collect()
    } else {
        f.spec.key.iter().map(|k| f.get(row, k).key()).collect()
    };
    key.join("/")
}

fn vendor_field(staged: &Staged, file: usize, domain: &str) -> String {
    let f = &staged.files[file];
    f.col(domain)
        .map(|i| f.vendor[i].clone())
        .unwrap_or_else(|| "*".into())
}

fn duplicates(staged: &Staged, rejects: &mut Vec<Reject>) {
    // Keys are unique per entity, across all files that feed it.
    let mut seen: HashMap<(&str, Vec<String>), (usize, u64)> = HashMap::new();
    for (fi, f) in staged.files.iter().enumerate() {
        if f.spec.key.is_empty() {
            continue;
        }
        let cols: Vec<usize> = f.spec.key.iter().filter_map(|k| f.col(k)).collect();
        for row in &f.rows {
            let key: Vec<String> = cols.iter().map(|&c| row.values[c].key()).collect();
            if let Some((pf, pr)) = seen.get(&(f.spec.entity.as_str(), key.clone())) {
                rejects.push(Reject {
                    file: fi,
                    record: row.record,
                    field: vendor_field(staged, fi, &f.spec.key[0]),
                    kind: "duplicate".into(),
                    reason: format!(
                        "duplicate {} key {} (first at {} record {})",
                        f.spec.entity,
                        key.join("/"),
                        staged.files[*pf].spec.data,
                        pr
                    ),
                });
            } else {
                seen.insert((f.spec.entity.as_str(), key), (fi, row.record));
            }
        }
    }
}

fn ids(
    staged: &Staged,
    entity: &str,
    field: &str,
    rejected: &HashSet<(usize, u64)>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for (fi, f) in staged.of(entity) {
        let Some(c) = f.col(field) else { continue };
        for row in &f.rows {
            if !rejected.contains(&(fi, row.record)) {
                out.insert(row.values[c].key());
            }
        }
    }
    out
}

fn orphans(
    staged: &Staged,
    entities: &[&str],
    field: &str,
    parents: &HashSet<String>,
    what: &str,
    rejects: &mut Vec<Reject>,
) {
    for (fi, f) in staged.files.iter().enumerate() {
        if !entities.contains(&f.spec.entity.as_str()) {
            continue;
        }
        let Some(c) = f.col(field) else { continue };
        for row in &f.rows {
            let v = &row.values[c];
            if v.is_empty() {
                continue;
            }
            if !parents.contains(&v.key()) {
                rejects.push(Reject {
                    file: fi,
                    record: row.record,
                    field: f.vendor[c].clone(),
                    kind: "orphan".into(),
                    reason: format!(
                        "{} {} names {what} {} which is not in the dataset",
                        f.spec.entity,
                        field,
                        v.key()
                    ),
                });
            }
        }
    }
}

/// A reference from one 戸籍 to another within the city must be answered by a reference
/// back (婚姻: each spouse's 身分事項 names the other's 戸籍; 転籍 within the city: 従前本籍
/// and 新本籍).
fn cross_references(staged: &Staged, kosekis: &HashSet<String>, rejects: &mut Vec<Reject>) {
    // (from 戸籍, to 戸籍) pairs present.
    let mut links: HashSet<(String, String)> = HashSet::new();
    let mut refs = Vec::new();
    for (fi, f) in staged.files.iter().enumerate() {
        if !REFERRING.contains(&f.spec.entity.as_str()) {
            continue;
        }
        let (Some(cr), Some(ck)) = (f.col("ref_koseki_id"), f.col("koseki_id")) else {
            continue;
        };
        for row in &f.rows {
            let to = row.values[cr].key();
            if to.is_empty() || matches!(row.values[cr], Value::Empty) {
                continue;
            }
            let from = row.values[ck].key();
            links.insert((from.clone(), to.clone()));
            refs.push((fi, row.record, cr, from, to));
        }
    }
    for (fi, record, cr, from, to) in refs {
        let f = &staged.files[fi];
        let reason = if !kosekis.contains(&to) {
            format!("refers to 戸籍 {to}, which is not in the dataset")
        } else if !links.contains(&(to.clone(), from.clone())) {
            format!("refers to 戸籍 {to}, which does not refer back to 戸籍 {from}")
        } else {
            continue;
        };
        rejects.push(Reject {
            file: fi,
            record,
            field: f.vendor[cr].clone(),
            kind: "cross_reference".into(),
            reason,
        });
    }
}

/// Birth before marriage before death, per person. Reported, not quarantined: partial and
/// old dates make an order a question for a person, not a reason to drop a record.
fn date_order(staged: &Staged, rules: &RuleSpec, findings: &mut Vec<Finding>) {
    // person → (birth, death) from the person records.
    let mut life: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
    for (_, f) in staged.of("person") {
        for row in &f.rows {
            let id = f.get(row, "person_id").key();
            let b = f.get(row, "birth_date").date().map(ordinal);
            let d = f.get(row, "death_date").date().map(ordinal);
            life.insert(id, (b, d));
        }
    }
    for (_, f) in staged.of("mibun_jiko") {
        for row in &f.rows {
            let Some(date) = f.get(row, "date").date().map(ordinal) else {
                continue;
            };
            let kind = f.get(row, "kind").name().unwrap_or("").to_string();
            let pid = f.get(row, "person_id").key();
            let entry = life.entry(pid).or_default();
            if rules.birth.contains(&kind) && entry.0.is_none() {
                entry.0 = Some(date);
            }
            if rules.death.contains(&kind) && entry.1.is_none() {
                entry.1 = Some(date);
            }
        }
    }
    let mut push = |f: &crate::stage::StagedFile, record: u64, key: String, message: String| {
        findings.push(Finding {
            severity: "warning".into(),
            rule: "date_order".into(),
            entity: f.spec.entity.clone(),
            key,
            message,
            file: f.spec.data.clone(),
            record,
        })
    };
    for (_, f) in staged.of("person") {
        for row in &f.rows {
            let id = f.get(row, "person_id").key();
            if let Some((Some(b), Some(d))) = life.get(&id)
                && d < b
            {
                push(f, row.record, id, "death before birth".into());
            }
        }
    }
    for (_, f) in staged.of("mibun_jiko") {
        for row in &f.rows {
            let kind = f.get(row, "kind").name().unwrap_or("").to_string();
            if !rules.marriage.contains(&kind) {
                continue;
            }
            let Some(date) = f.get(row, "date").date().map(ordinal) else {
                continue;
            };
            let pid = f.get(row, "person_id").key();
            let (b, d) = life.get(&pid).copied().unwrap_or_default();
            if b.is_some_and(|b| date < b) {
                push(f, row.record, pid.clone(), format!("{kind} before birth"));
            }
            if d.is_some_and(|d| date > d) {
                push(f, row.record, pid, format!("{kind} after death"));
            }
        }
    }
}

/// A sortable day number; a partial date counts as its earliest possible day.
fn ordinal(d: &wareki::WarekiDate) -> i64 {
    let y = i64::from(d.gregorian_year());
    y * 10_000 + i64::from(d.month.unwrap_or(1)) * 100 + i64::from(d.day.unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::stage::{Row, StagedFile};
    use wareki::{Era, WarekiDate};

    fn id(s: &str) -> Value {
        Value::Id { id: s.into() }
    }

    fn profile() -> Profile {
        Profile::parse(
            r#"name='t'
encoding='jef'
[[file]]
data='K.DAT'
layout='K.cpy'
entity='koseki'
key=['koseki_id']
[file.fields]
koseki_id='K-ID'
[[file]]
data='P.DAT'
layout='P.cpy'
entity='person'
key=['person_id']
[file.fields]
person_id='P-ID'
koseki_id='P-KID'
birth_date={field='P-BIRTH',as='date'}
[[file]]
data='M.DAT'
layout='M.cpy'
entity='mibun_jiko'
[file.fields]
person_id='M-PID'
koseki_id='M-KID'
kind='M-KIND'
date={field='M-DATE',as='date'}
ref_koseki_id='M-REF'
"#,
            "t",
        )
        .unwrap()
    }

    fn staged(k: &[&str], p: &[(&str, &str)], m: &[(&str, &str, &str, Value)]) -> Staged {
        let pr = profile();
        let mut files: Vec<StagedFile> = pr.files.into_iter().map(StagedFile::new).collect();
        for (i, kid) in k.iter().enumerate() {
            files[0].rows.push(Row {
                record: i as u64 + 2,
                offset: 0,
                values: vec![id(kid)],
            });
        }
        for (i, (pid, kid)) in p.iter().enumerate() {
            // columns sorted: birth_date, koseki_id, person_id
            let birth = Value::Date {
                date: WarekiDate::new(Era::Showa, 47, 11, 3).unwrap(),
                vendor: "3471103".into(),
            };
            files[1].rows.push(Row {
                record: i as u64 + 2,
                offset: 0,
                values: vec![birth, id(kid), id(pid)],
            });
        }
        for (i, (pid, kid, r, date)) in m.iter().enumerate() {
            // columns: date, kind, koseki_id, person_id, ref_koseki_id
            let kind = Value::Code {
                code: "2".into(),
                name: "婚姻".into(),
            };
            let rv = if r.is_empty() { Value::Empty } else { id(r) };
            files[2].rows.push(Row {
                record: i as u64 + 2,
                offset: 0,
                values: vec![date.clone(), kind, id(kid), id(pid), rv],
            });
        }
        Staged { files }
    }

    fn marriage_date() -> Value {
        Value::Date {
            date: WarekiDate::new(Era::Heisei, 10, 4, 10).unwrap(),
            vendor: String::new(),
        }
    }

    #[test]
    fn clean_dataset_has_no_rejects() {
        let s = staged(
            &["K1", "K2"],
            &[("P1", "K1"), ("P2", "K2")],
            &[
                ("P1", "K1", "K2", marriage_date()),
                ("P2", "K2", "K1", marriage_date()),
            ],
        );
        let (rejects, findings) = validate(&s, &RuleSpec::default());
        assert!(rejects.is_empty(), "{rejects:?}");
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn orphan_duplicate_and_one_way_reference_are_rejected() {
        let s = staged(
            &["K1", "K2", "K1"],
            &[("P1", "K1"), ("P2", "K9")],
            &[
                ("P1", "K1", "K2", marriage_date()),
                ("P1", "K1", "K7", marriage_date()),
            ],
        );
        let (rejects, _) = validate(&s, &RuleSpec::default());
        let got: Vec<(usize, u64, &str, &str)> = rejects
            .iter()
            .map(|r| (r.file, r.record, r.kind.as_str(), r.field.as_str()))
            .collect();
        assert!(got.contains(&(0, 4, "duplicate", "K-ID")), "{got:?}");
        assert!(got.contains(&(1, 3, "orphan", "P-KID")), "{got:?}");
        assert!(got.contains(&(2, 2, "cross_reference", "M-REF")), "{got:?}"); // K2 does not refer back
        assert!(got.contains(&(2, 3, "cross_reference", "M-REF")), "{got:?}"); // K7 absent
        assert_eq!(got.len(), 4, "{got:?}");
    }

    #[test]
    fn marriage_before_birth_is_a_warning() {
        let early = Value::Date {
            date: WarekiDate::new(Era::Showa, 40, 1, 1).unwrap(),
            vendor: String::new(),
        };
        let s = staged(&["K1"], &[("P1", "K1")], &[("P1", "K1", "", early)]);
        let (rejects, findings) = validate(&s, &RuleSpec::default());
        assert!(rejects.is_empty());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "date_order");
        assert_eq!(findings[0].severity, "warning");
    }
}
