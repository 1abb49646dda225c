//! Round-to-round diff: two stores compared by the vendor's own keys (source keys), down to
//! the field: 戸籍, persons, events (身分事項 and 戸籍事項), 附票, 受付帳, 不受理申出, image
//! registers, 統計, 個人状態, 識別符号, 事務内連携, and the character decisions of each round.

use std::collections::BTreeMap;
use std::path::Path;

use reports::diff::{Change, DiffReport};
use runtime::Store;
use serde_json::Value as J;

use crate::Error;

/// Rows of one kind: key → (field → value).
type Rows = BTreeMap<String, BTreeMap<String, String>>;

fn serr(e: runtime::StoreError) -> Error {
    Error::Input(format!("store: {e}"))
}

/// Flatten a JSON value into dotted paths; `Text` objects become their text (vendor bytes
/// follow the text and would only repeat it); store ids are left out (they are not content).
fn flatten(prefix: &str, v: &J, out: &mut BTreeMap<String, String>) {
    const SKIP: &[&str] = &[
        "id",
        "koseki_id",
        "person_id",
        "removal_jiko",
        "vendor_bytes",
        "mibun_jiko",
        "jiko",
        "persons",
        "supersedes",
        "uketsuke_id",
    ];
    match v {
        J::Object(m)
            if m.contains_key("text")
                && m.len() <= 2
                && m.keys().all(|k| k == "text" || k == "vendor_bytes") =>
        {
            out.insert(
                prefix.to_string(),
                m["text"].as_str().unwrap_or("").to_string(),
            );
        }
        J::Object(m) => {
            for (k, x) in m {
                if SKIP.contains(&k.as_str()) {
                    continue;
                }
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        J::Null => {}
        J::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn fields<T: serde::Serialize>(x: &T) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(v) = serde_json::to_value(x) {
        flatten("", &v, &mut out);
    }
    out
}

/// Everything a round holds, by kind.
pub struct Snapshot {
    pub round: String,
    pub hash: String,
    pub kinds: BTreeMap<&'static str, Rows>,
}

/// Read a store's content keyed by source keys.
pub fn snapshot(store: &Store) -> Result<Snapshot, Error> {
    let mut kinds: BTreeMap<&'static str, Rows> = BTreeMap::new();
    let mut offset = 0;
    loop {
        let page = store.list_koseki(offset, 1000).map_err(serr)?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        for s in page {
            let Some(k) = store.koseki(s.id).map_err(serr)? else {
                continue;
            };
            let kkey = k.source_key.clone().unwrap_or_else(|| format!("#{}", k.id));
            kinds
                .entry("koseki")
                .or_default()
                .insert(kkey.clone(), fields(&k));
            for j in &k.jiko {
                let key = j
                    .source_key
                    .clone()
                    .unwrap_or_else(|| format!("{kkey}/#{}", j.seq));
                kinds.entry("events").or_default().insert(key, fields(j));
            }
            for p in &k.persons {
                let pkey = p.source_key.clone().unwrap_or_else(|| format!("#{}", p.id));
                kinds
                    .entry("persons")
                    .or_default()
                    .insert(pkey.clone(), fields(p));
                for j in &p.mibun_jiko {
                    let key = j
                        .source_key
                        .clone()
                        .unwrap_or_else(|| format!("{kkey}/{pkey}/#{}", j.seq));
                    kinds.entry("events").or_default().insert(key, fields(j));
                }
            }
            for e in store.fuhyo(k.id).map_err(serr)? {
                let key = e.source_key.clone().unwrap_or_else(|| format!("#{}", e.id));
                kinds.entry("fuhyo").or_default().insert(key, fields(&e));
            }
        }
    }
    for u in store.uketsuke_list().map_err(serr)? {
        let key = u
            .source_key
            .clone()
            .unwrap_or_else(|| u.uketsuke_no.clone());
        kinds.entry("uketsuke").or_default().insert(key, fields(&u));
    }
    for f in store.fujuri_list().map_err(serr)? {
        let key = f.source_key.clone().unwrap_or_else(|| format!("#{}", f.id));
        kinds.entry("fujuri").or_default().insert(key, fields(&f));
    }
    for id in store.image_register_ids().map_err(serr)? {
        if let Some(r) = store.image_register(id).map_err(serr)? {
            let key = r.source_key.clone().unwrap_or_else(|| format!("#{id}"));
            kinds
                .entry("image_registers")
                .or_default()
                .insert(key, fields(&r));
        }
    }
    // The rest of the migration scope, by the vendor's keys.
    for t in store.tokei().map_err(serr)? {
        let key = format!("{}/{}/{}", t.month, t.kbn.code, t.kind.code);
        kinds.entry("tokei").or_default().insert(key, fields(&t));
    }
    for (i, j) in store.kojin_jotai_list().map_err(serr)?.iter().enumerate() {
        let key = j.source_key.clone().unwrap_or_else(|| format!("#{i}"));
        kinds
            .entry("kojin_jotai")
            .or_default()
            .insert(key, fields(j));
    }
    for (i, f) in store
        .shikibetsu_fugo_list()
        .map_err(serr)?
        .iter()
        .enumerate()
    {
        let key = f.source_key.clone().unwrap_or_else(|| format!("#{i}"));
        kinds
            .entry("shikibetsu_fugo")
            .or_default()
            .insert(key, fields(f));
    }
    for r in store.jimu_renkei_list().map_err(serr)? {
        kinds
            .entry("jimu_renkei")
            .or_default()
            .insert(r.seq.clone(), fields(&r));
    }
    let decisions: BTreeMap<String, String> = store
        .meta("migrate.char_decisions")
        .map_err(serr)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let chars = kinds.entry("characters").or_default();
    for (code, stored) in decisions {
        chars.insert(code, BTreeMap::from([("stored".to_string(), stored)]));
    }
    Ok(Snapshot {
        round: store
            .meta("migrate.round")
            .map_err(serr)?
            .unwrap_or_default(),
        hash: store.content_hash().map_err(serr)?,
        kinds,
    })
}

/// Compare two snapshots.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let mut changes = Vec::new();
    let empty = Rows::new();
    let kinds: std::collections::BTreeSet<&&str> =
        old.kinds.keys().chain(new.kinds.keys()).collect();
    for kind in kinds {
        let a = old.kinds.get(*kind).unwrap_or(&empty);
        let b = new.kinds.get(*kind).unwrap_or(&empty);
        let ch = |key: &str, change: &str, field: &str, o: &str, n: &str| Change {
            kind: kind.to_string(),
            key: key.to_string(),
            change: change.to_string(),
            field: field.to_string(),
            old: o.to_string(),
            new: n.to_string(),
        };
        for (key, fa) in a {
            match b.get(key) {
                None => changes.push(ch(key, "removed", "", &summary_of(fa), "")),
                Some(fb) => {
                    let names: std::collections::BTreeSet<&String> =
                        fa.keys().chain(fb.keys()).collect();
                    for f in names {
                        let (x, y) = (
                            fa.get(f).map_or("", String::as_str),
                            fb.get(f).map_or("", String::as_str),
                        );
                        if x != y {
                            changes.push(ch(key, "changed", f, x, y));
                        }
                    }
                }
            }
        }
        for (key, fb) in b {
            if !a.contains_key(key) {
                changes.push(ch(key, "added", "", "", &summary_of(fb)));
            }
        }
    }
    changes
}

fn summary_of(f: &BTreeMap<String, String>) -> String {
    let mut s: String = f
        .iter()
        .take(6)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    if f.len() > 6 {
        s.push_str("; …");
    }
    s
}

/// Diff two stores (opened with the same key) into a report.
pub fn diff(old: &Path, new: &Path, key: &runtime::Key) -> Result<DiffReport, Error> {
    let a = Store::open(old, key).map_err(serr)?;
    let b = Store::open(new, key).map_err(serr)?;
    let (sa, sb) = (snapshot(&a)?, snapshot(&b)?);
    let mut r = DiffReport {
        old: old.display().to_string(),
        new: new.display().to_string(),
        old_round: sa.round.clone(),
        new_round: sb.round.clone(),
        old_hash: sa.hash.clone(),
        new_hash: sb.hash.clone(),
        summary: Default::default(),
        changes: compare(&sa, &sb),
    };
    r.tally();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Spec<'a> = (&'static str, &'a str, &'a [(&'a str, &'a str)]);

    fn snap(rows: &[Spec]) -> Snapshot {
        let mut kinds: BTreeMap<&'static str, Rows> = BTreeMap::new();
        for (kind, key, fs) in rows {
            let m = fs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            kinds.entry(kind).or_default().insert(key.to_string(), m);
        }
        Snapshot {
            round: String::new(),
            hash: String::new(),
            kinds,
        }
    }

    #[test]
    fn lists_added_removed_and_changed_fields() {
        let a = snap(&[
            (
                "persons",
                "1",
                &[("name.mei", "誠一"), ("zokugara", "長男")],
            ),
            ("persons", "2", &[("name.mei", "由美")]),
        ]);
        let b = snap(&[
            (
                "persons",
                "1",
                &[("name.mei", "誠二"), ("zokugara", "長男")],
            ),
            ("persons", "3", &[("name.mei", "陽菜")]),
        ]);
        let c = compare(&a, &b);
        let got: Vec<(&str, &str, &str)> = c
            .iter()
            .map(|c| (c.key.as_str(), c.change.as_str(), c.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("1", "changed", "name.mei"),
                ("2", "removed", ""),
                ("3", "added", "")
            ]
        );
        assert_eq!((c[0].old.as_str(), c[0].new.as_str()), ("誠一", "誠二"));
    }

    #[test]
    fn flatten_takes_text_and_skips_ids() {
        let v = serde_json::json!({"id": 5, "name": {"uji": {"text": "山吹", "vendor_bytes": [1, 2]}}, "tags": ["a", "b"]});
        let mut out = BTreeMap::new();
        flatten("", &v, &mut out);
        assert_eq!(out.get("name.uji").map(String::as_str), Some("山吹"));
        assert_eq!(out.get("tags[1]").map(String::as_str), Some("b"));
        assert!(!out.contains_key("id"));
    }
}
