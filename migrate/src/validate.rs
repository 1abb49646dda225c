//! Validation across records: duplicates, persons without a 戸籍, rows that belong to no
//! person, cross-戸籍 references that do not resolve both ways, dates out of order.
//! Rules read domain field names only (the profile maps vendor fields onto them).

// foldhash, not SipHash: validation hashes every key of a city (millions of short strings)
// and no key comes from anyone who could choose collisions.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use rayon::prelude::*;
use reports::Finding;

use crate::profile::RuleSpec;
use crate::stage::{Reject, Row, Staged, StagedFile};

/// Entities whose rows must name an existing person, by `person_id`.
const PERSON_CHILDREN: &[&str] = &[
    "mibun_jiko",
    "fuhyo",
    "zaigai_senkyo",
    "kojin_jotai",
    "shikibetsu_fugo",
    "jimu_renkei",
];
/// Entities whose rows must name an existing 戸籍, by `koseki_id`.
const KOSEKI_CHILDREN: &[&str] = &["person", "koseki_jiko"];
/// Entities whose rows may point at another 戸籍 (`ref_koseki_id`, `ref_person_id`).
const REFERRING: &[&str] = &["mibun_jiko", "koseki_jiko"];

/// What the rules decided.
#[derive(Debug, Default)]
pub struct Verdicts {
    /// Records to quarantine: each is a problem of its own.
    pub rejects: Vec<Reject>,
    /// Records held back because a record they depend on was quarantined.
    pub held: Vec<Reject>,
    pub findings: Vec<Finding>,
}

/// Keys of records already quarantined (at read time or by a rule), to tell a dependent of a
/// bad record (held) from a true orphan (quarantined).
#[derive(Default)]
struct Gone {
    koseki: HashSet<String>,
    person: HashSet<String>,
    /// (戸籍, 記載順) of quarantined persons.
    slot: HashSet<(String, String)>,
    /// A person record was quarantined with its 個人番号 unreadable.
    person_unreadable: bool,
}

/// Run every rule.
pub fn validate(staged: &Staged, rules: &RuleSpec) -> Verdicts {
    let mut v = Verdicts::default();
    duplicates(staged, &mut v.rejects);
    let mut gone = Gone::default();
    for f in &staged.files {
        for (_, keys) in &f.quarantined_keys {
            let get = |k: &str| {
                keys.iter()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| v.clone())
            };
            match f.spec.entity.as_str() {
                "koseki" => gone.koseki.extend(get("koseki_id")),
                "person" => {
                    match get("person_id") {
                        Some(p) => {
                            gone.person.insert(p);
                        }
                        None => gone.person_unreadable = true,
                    }
                    if let (Some(k), Some(j)) = (get("koseki_id"), get("kisai_jun")) {
                        gone.slot.insert((k, j));
                    }
                }
                _ => {}
            }
        }
    }
    let out = |v: &Verdicts| -> HashSet<(usize, u64)> {
        v.rejects
            .iter()
            .chain(&v.held)
            .map(|r| (r.file, r.record))
            .collect()
    };
    // 戸籍 that remain, then records that need one.
    let excluded = out(&v);
    let kosekis = ids(staged, "koseki", "koseki_id", &excluded);
    for (fi, f, row, c, k) in unmatched(staged, KOSEKI_CHILDREN, "koseki_id", &kosekis, &excluded) {
        let r = Reject {
            file: fi,
            record: row.record,
            field: f.vendor[c].clone(),
            kind: "orphan".into(),
            reason: format!(
                "{} names 戸籍 {k}, which is not in the dataset",
                f.spec.entity
            ),
        };
        if gone.koseki.contains(&k) {
            v.held.push(Reject {
                kind: "parent_quarantined".into(),
                reason: format!("its 戸籍 {k} was quarantined"),
                ..r
            });
        } else {
            v.rejects.push(Reject {
                kind: "orphan_person".into(),
                ..r
            });
        }
    }
    // Persons held or rejected are gone for their dependents too.
    for r in v.held.iter().chain(&v.rejects) {
        let f = &staged.files[r.file];
        if f.spec.entity != "person" {
            continue;
        }
        if let Ok(i) = f.rows.binary_search_by_key(&r.record, |x| x.record) {
            let row = &f.rows[i];
            gone.person.insert(f.get(row, "person_id").key());
            gone.slot
                .insert((f.get(row, "koseki_id").key(), f.get(row, "kisai_jun").key()));
        }
    }
    let excluded = out(&v);
    let persons = ids(staged, "person", "person_id", &excluded);
    for (fi, f, row, c, p) in unmatched(staged, PERSON_CHILDREN, "person_id", &persons, &excluded) {
        let k = f.get(row, "koseki_id").key();
        let j = f.get(row, "kisai_jun").key();
        let has_slot = f.col("koseki_id").is_some() && f.col("kisai_jun").is_some();
        let r = Reject {
            file: fi,
            record: row.record,
            field: f.vendor[c].clone(),
            kind: "parent_quarantined".into(),
            reason: String::new(),
        };
        if gone.person.contains(&p) || (has_slot && gone.slot.contains(&(k.clone(), j))) {
            v.held.push(Reject {
                reason: format!("its person {p} was quarantined"),
                ..r
            });
        } else if !k.is_empty() && gone.koseki.contains(&k) && !kosekis.contains(&k) {
            v.held.push(Reject {
                reason: format!("its 戸籍 {k} was quarantined"),
                ..r
            });
        } else if !has_slot && gone.person_unreadable {
            v.held.push(Reject {
                reason: format!("person {p} is not loaded; a person record whose 個人番号 could not be read was quarantined"),
                ..r
            });
        } else {
            v.rejects.push(Reject {
                kind: "orphan".into(),
                reason: format!(
                    "{} names person {p}, who is not in the dataset",
                    f.spec.entity
                ),
                ..r
            });
        }
    }
    let excluded = out(&v);
    // Independent of each other: on both cores. The date findings go after the reference
    // findings, as when they ran in turn (the sort below keeps that order within a record).
    let ((), order) = rayon::join(
        || cross_references(staged, &kosekis, &persons, &gone, &excluded, &mut v),
        || {
            let mut findings = Vec::new();
            date_order(staged, rules, &excluded, &mut findings);
            findings
        },
    );
    v.findings.extend(order);
    for (r, severity) in v
        .rejects
        .iter()
        .map(|r| (r, "error"))
        .chain(v.held.iter().map(|r| (r, "held")))
    {
        let f = &staged.files[r.file];
        v.findings.push(Finding {
            severity: severity.into(),
            rule: r.kind.clone(),
            entity: f.spec.entity.clone(),
            key: key_of(staged, r.file, r.record),
            message: r.reason.clone(),
            file: f.spec.data.clone(),
            record: r.record,
        });
    }
    v.findings
        .sort_by(|a, b| (&a.file, a.record, &a.rule).cmp(&(&b.file, b.record, &b.rule)));
    v
}

/// Rows of the files feeding `entities` whose `field` is set but names nothing in `parents`,
/// leaving out rows already quarantined or held: (file index, file, row, column, key), in
/// file and record order (looked up on every core).
fn unmatched<'a>(
    staged: &'a Staged,
    entities: &[&str],
    field: &str,
    parents: &HashSet<String>,
    excluded: &HashSet<(usize, u64)>,
) -> Vec<(usize, &'a StagedFile, &'a Row, usize, String)> {
    let mut out = Vec::new();
    for (fi, f) in staged.files.iter().enumerate() {
        if !entities.contains(&f.spec.entity.as_str()) {
            continue;
        }
        let Some(c) = f.col(field) else { continue };
        out.par_extend(f.rows.par_iter().filter_map(|row| {
            let v = &row.values[c];
            if v.is_empty() || excluded.contains(&(fi, row.record)) {
                return None;
            }
            let key = v.key();
            (!parents.contains(&key)).then_some((fi, f, row, c, key))
        }));
    }
    out
}

fn key_of(staged: &Staged, file: usize, record: u64) -> String {
    let f = &staged.files[file];
    // Rows are in record order.
    let Ok(i) = f.rows.binary_search_by_key(&record, |r| r.record) else {
        return String::new();
    };
    let row = &f.rows[i];
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
        .unwrap_or_default()
}

fn duplicates(staged: &Staged, rejects: &mut Vec<Reject>) {
    // Keys are unique per entity, across all files that feed it: one task per entity.
    let mut entities: Vec<&str> = staged
        .files
        .iter()
        .filter(|f| !f.spec.key.is_empty())
        .map(|f| f.spec.entity.as_str())
        .collect();
    entities.sort_unstable();
    entities.dedup();
    let mut found: Vec<Reject> = entities
        .par_iter()
        .flat_map_iter(|entity| duplicates_of(staged, entity))
        .collect();
    // In file and record order, as a reader goes through the files.
    found.sort_by_key(|r| (r.file, r.record));
    rejects.extend(found);
}

fn duplicates_of(staged: &Staged, entity: &str) -> Vec<Reject> {
    // (key, file, record) of every row, the key's parts joined by a separator no key
    // contains, made on every core.
    let mut keyed: Vec<(String, usize, u64)> = Vec::new();
    for (fi, f) in staged.of(entity) {
        if f.spec.key.is_empty() {
            continue;
        }
        let cols: Vec<usize> = f.spec.key.iter().filter_map(|k| f.col(k)).collect();
        keyed.par_extend(f.rows.par_iter().map(|row| {
            let mut key = String::new();
            for (i, &c) in cols.iter().enumerate() {
                if i > 0 {
                    key.push('\u{1f}');
                }
                key.push_str(&row.values[c].key());
            }
            (key, fi, row.record)
        }));
    }
    // By key, then file and record: a run of equal keys starts with the occurrence a reader
    // meets first, and every later one is the duplicate.
    keyed.par_sort_unstable();
    let mut out = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        let (_, pf, pr) = &run[0];
        for (key, fi, record) in &run[1..] {
            let f = &staged.files[*fi];
            out.push(Reject {
                file: *fi,
                record: *record,
                field: vendor_field(staged, *fi, &f.spec.key[0]),
                kind: "duplicate".into(),
                reason: format!(
                    "duplicate {} key {} (first at {} record {})",
                    f.spec.entity,
                    key.replace('\u{1f}', "/"),
                    staged.files[*pf].spec.data,
                    pr
                ),
            });
        }
    }
    out
}

fn ids(
    staged: &Staged,
    entity: &str,
    field: &str,
    excluded: &HashSet<(usize, u64)>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for (fi, f) in staged.of(entity) {
        let Some(c) = f.col(field) else { continue };
        for row in &f.rows {
            if !excluded.contains(&(fi, row.record)) {
                out.insert(row.values[c].key());
            }
        }
    }
    out
}

/// A reference from one 戸籍 to another within the city must be answered by a reference
/// back from that 戸籍 (婚姻: each side's 身分事項 names the other's 戸籍). When the person
/// referred to is not in the computerised data at all (removed before the city's 改製), the
/// other side is only in the 改製原戸籍 image: reported, not quarantined.
fn cross_references(
    staged: &Staged,
    kosekis: &HashSet<String>,
    persons: &HashSet<String>,
    gone: &Gone,
    excluded: &HashSet<(usize, u64)>,
    v: &mut Verdicts,
) {
    struct Ref {
        file: usize,
        record: u64,
        col: usize,
        from: String,
        to: String,
        to_person: String,
    }
    let mut links: HashSet<(String, String)> = HashSet::new();
    let mut refs = Vec::new();
    for (fi, f) in staged.files.iter().enumerate() {
        if !REFERRING.contains(&f.spec.entity.as_str()) {
            continue;
        }
        let (Some(cr), Some(_)) = (f.col("ref_koseki_id"), f.col("koseki_id")) else {
            continue;
        };
        for row in &f.rows {
            if row.values[cr].is_empty() || excluded.contains(&(fi, row.record)) {
                continue;
            }
            let r = Ref {
                file: fi,
                record: row.record,
                col: cr,
                from: f.get(row, "koseki_id").key(),
                to: row.values[cr].key(),
                to_person: f.get(row, "ref_person_id").key(),
            };
            refs.push(r);
        }
    }
    // First the references to nothing: they are the faults; the 戸籍 they came from lose
    // their side of the pair, which must not make the other side look broken too.
    let mut broken_from: HashSet<String> = HashSet::new();
    let finding = |v: &mut Verdicts, r: &Ref, severity: &str, message: String| {
        let f = &staged.files[r.file];
        v.findings.push(Finding {
            severity: severity.into(),
            rule: "cross_reference".into(),
            entity: f.spec.entity.clone(),
            key: key_of(staged, r.file, r.record),
            message,
            file: f.spec.data.clone(),
            record: r.record,
        });
    };
    let mut live = Vec::new();
    for r in refs {
        if kosekis.contains(&r.to) {
            live.push(r);
            continue;
        }
        if gone.koseki.contains(&r.to) {
            finding(
                v,
                &r,
                "warning",
                format!("refers to 戸籍 {}, which was quarantined", r.to),
            );
            continue;
        }
        broken_from.insert(r.from.clone());
        let f = &staged.files[r.file];
        v.rejects.push(Reject {
            file: r.file,
            record: r.record,
            field: f.vendor[r.col].clone(),
            kind: "broken_cross_reference".into(),
            reason: format!("refers to 戸籍 {}, which is not in the dataset", r.to),
        });
    }
    for r in &live {
        links.insert((r.from.clone(), r.to.clone()));
    }
    for r in live {
        if !r.to_person.is_empty() && !persons.contains(&r.to_person) {
            if gone.person.contains(&r.to_person) {
                finding(
                    v,
                    &r,
                    "warning",
                    format!("refers to person {}, who was quarantined", r.to_person),
                );
            } else {
                finding(
                    v,
                    &r,
                    "info",
                    format!(
                        "refers to person {} of 戸籍 {}, recorded only before the 改製 (the other side is in the 改製原戸籍 image)",
                        r.to_person, r.to
                    ),
                );
            }
            continue;
        }
        if links.contains(&(r.to.clone(), r.from.clone())) {
            continue;
        }
        if broken_from.contains(&r.to) {
            finding(
                v,
                &r,
                "warning",
                format!("戸籍 {}'s reference back was quarantined", r.to),
            );
            continue;
        }
        let f = &staged.files[r.file];
        v.rejects.push(Reject {
            file: r.file,
            record: r.record,
            field: f.vendor[r.col].clone(),
            kind: "broken_cross_reference".into(),
            reason: format!(
                "refers to 戸籍 {}, which does not refer back to 戸籍 {}",
                r.to, r.from
            ),
        });
    }
}

/// Birth before marriage before death, per person. Reported, not quarantined: partial and
/// old dates make an order a question for a person, not a reason to drop a record.
fn date_order(
    staged: &Staged,
    rules: &RuleSpec,
    excluded: &HashSet<(usize, u64)>,
    findings: &mut Vec<Finding>,
) {
    // person → (birth, death) from the person records.
    let mut life: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
    for (fi, f) in staged.of("person") {
        for row in f
            .rows
            .iter()
            .filter(|r| !excluded.contains(&(fi, r.record)))
        {
            let id = f.get(row, "person_id").key();
            let b = f.get(row, "birth_date").date().map(ordinal);
            let d = f.get(row, "death_date").date().map(ordinal);
            life.insert(id, (b, d));
        }
    }
    for (fi, f) in staged.of("mibun_jiko") {
        for row in f
            .rows
            .iter()
            .filter(|r| !excluded.contains(&(fi, r.record)))
        {
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
    for (fi, f) in staged.of("person") {
        for row in f
            .rows
            .iter()
            .filter(|r| !excluded.contains(&(fi, r.record)))
        {
            let id = f.get(row, "person_id").key();
            if let Some((Some(b), Some(d))) = life.get(&id)
                && d < b
            {
                push(f, row.record, id, "death before birth".into());
            }
        }
    }
    for (fi, f) in staged.of("mibun_jiko") {
        for row in f
            .rows
            .iter()
            .filter(|r| !excluded.contains(&(fi, r.record)))
        {
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
    use crate::value::Value;
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
        let v = validate(&s, &RuleSpec::default());
        assert!(v.rejects.is_empty(), "{:?}", v.rejects);
        assert!(v.findings.is_empty(), "{:?}", v.findings);
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
        let v = validate(&s, &RuleSpec::default());
        let got: Vec<(usize, u64, &str, &str)> = v
            .rejects
            .iter()
            .map(|r| (r.file, r.record, r.kind.as_str(), r.field.as_str()))
            .collect();
        assert!(got.contains(&(0, 4, "duplicate", "K-ID")), "{got:?}");
        assert!(got.contains(&(1, 3, "orphan_person", "P-KID")), "{got:?}");
        assert!(
            got.contains(&(2, 2, "broken_cross_reference", "M-REF")),
            "{got:?}"
        ); // K2 does not refer back
        assert!(
            got.contains(&(2, 3, "broken_cross_reference", "M-REF")),
            "{got:?}"
        ); // K7 absent
        assert_eq!(got.len(), 4, "{got:?}");
    }

    #[test]
    fn every_later_occurrence_of_a_key_is_a_duplicate_of_the_first() {
        let s = staged(&["K2", "K1", "K2", "K3", "K2"], &[], &[]);
        let v = validate(&s, &RuleSpec::default());
        let got: Vec<(u64, &str)> = v
            .rejects
            .iter()
            .map(|r| (r.record, r.reason.as_str()))
            .collect();
        let data = &s.files[0].spec.data;
        assert_eq!(
            got,
            vec![
                (
                    4,
                    format!("duplicate koseki key K2 (first at {data} record 2)").as_str()
                ),
                (
                    6,
                    format!("duplicate koseki key K2 (first at {data} record 2)").as_str()
                ),
            ]
        );
    }

    #[test]
    fn dependents_of_a_quarantined_koseki_are_held_not_quarantined() {
        let mut s = staged(
            &["K1"],
            &[("P1", "K1"), ("P2", "K2")],
            &[("P2", "K2", "", marriage_date())],
        );
        // K2's record was quarantined at read time (a bad date), its key still readable.
        s.files[0]
            .quarantined_keys
            .push((9, vec![("koseki_id".into(), Some("K2".into()))]));
        let v = validate(&s, &RuleSpec::default());
        assert!(v.rejects.is_empty(), "{:?}", v.rejects);
        let held: Vec<(usize, u64)> = v.held.iter().map(|r| (r.file, r.record)).collect();
        assert_eq!(held, vec![(1, 3), (2, 2)]);
    }

    #[test]
    fn marriage_before_birth_is_a_warning() {
        let early = Value::Date {
            date: WarekiDate::new(Era::Showa, 40, 1, 1).unwrap(),
            vendor: String::new(),
        };
        let s = staged(&["K1"], &[("P1", "K1")], &[("P1", "K1", "", early)]);
        let v = validate(&s, &RuleSpec::default());
        assert!(v.rejects.is_empty());
        assert_eq!(v.findings.len(), 1);
        assert_eq!(v.findings[0].rule, "date_order");
        assert_eq!(v.findings[0].severity, "warning");
    }
}
