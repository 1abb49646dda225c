//! End-to-end tests for `koseki migrate` and `koseki diff`: a generated vendor dataset in,
//! a reconciled store and reports out; planted faults quarantined exactly; a killed run
//! leaves the old store; reruns give the same content hash; a round with a few changed
//! records diffs to exactly those changes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::koseki;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let e = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = koseki()
            .args(["key", "init", e.p("k.key").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "key init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // An identify TSV with no accepted match: every gaiji becomes a local gaiji.
        std::fs::write(e.p("map.tsv"), "code\trank\tmj\tucs\tivs\tscore\tlevel\n").unwrap();
        e
    }

    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sample(&self, name: &str, args: &[&str]) -> Value {
        let out_dir = self.p(name);
        let mut a = vec!["sample", "--out", out_dir.to_str().unwrap(), "--quiet"];
        a.extend_from_slice(args);
        let out = koseki().args(&a).output().unwrap();
        assert!(
            out.status.success(),
            "sample: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap()
    }

    /// Runs migrate; returns (exit code, summary.json).
    fn migrate(&self, input: &Path, db: &str, report: &str, round: &str) -> (i32, Value) {
        let out = koseki()
            .args([
                "migrate",
                "--input",
                input.to_str().unwrap(),
                "--mapping",
                self.p("map.tsv").to_str().unwrap(),
                "--db",
                self.p(db).to_str().unwrap(),
                "--report",
                self.p(report).to_str().unwrap(),
                "--round",
                round,
                "--key-file",
                self.p("k.key").to_str().unwrap(),
                "--quiet",
            ])
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let summary = std::fs::read(self.p(report).join("summary.json")).unwrap_or_else(|_| {
            panic!(
                "no summary.json (exit {code}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, serde_json::from_slice(&summary).unwrap())
    }

    /// Runs `koseki diff` (which must succeed); returns diff.json.
    fn diff(&self, old: &str, new: &str, report: &str) -> Value {
        let out = koseki()
            .args([
                "diff",
                "--old",
                self.p(old).to_str().unwrap(),
                "--new",
                self.p(new).to_str().unwrap(),
                "--report",
                self.p(report).to_str().unwrap(),
                "--key-file",
                self.p("k.key").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&std::fs::read(self.p(report).join("diff.json")).unwrap()).unwrap()
    }
}

fn fixture() -> PathBuf {
    PathBuf::from(crate::common::manifest_dir()).join("../samples/fixture")
}

#[test]
fn fixture_reconciles_and_exits_0() {
    let e = Env::new();
    let (code, s) = e.migrate(&fixture(), "s.db", "rep", "r1");
    assert_eq!(code, 0, "{s:#}");
    assert_eq!(s["reconciled"], true);
    assert_eq!(s["quarantined"], 0);
    assert_eq!(s["quarantine"].as_array().unwrap().len(), 0);
    assert_eq!(s["content_hash"].as_str().unwrap().len(), 64);
    // Every entity: vendor count = read = loaded; and the manifest agrees with the trailers.
    let m: Value =
        serde_json::from_slice(&std::fs::read(fixture().join("manifest.json")).unwrap()).unwrap();
    for (entity, c) in s["counts"].as_object().unwrap() {
        assert_eq!(c["source"], c["read"], "{entity}");
        assert_eq!(c["read"], c["loaded"], "{entity}");
        assert_eq!(c["quarantined"], 0, "{entity}");
    }
    let persons = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["data"] == "data/K03KOJIN.DAT")
        .unwrap();
    assert_eq!(s["counts"]["person"]["loaded"], persons["records"]);
    assert_eq!(
        s["counts"]["koseki"]["loaded"].as_u64().unwrap(),
        m["entities"]["koseki_current"].as_u64().unwrap()
            + m["entities"]["koseki_closed"].as_u64().unwrap()
    );
    for f in [
        "index.html",
        "counts.html",
        "counts.csv",
        "characters.html",
        "integrity.html",
        "runlog.csv",
        "quarantine.json",
    ] {
        assert!(e.p("rep").join(f).is_file(), "report lacks {f}");
    }
    // Gaiji that matched nothing are listed for review with their glyph images.
    let chars = std::fs::read_to_string(e.p("rep/characters.csv")).unwrap();
    assert!(chars.lines().count() > 1, "no gaiji listed");
    assert!(std::fs::read_dir(e.p("rep/gaiji")).unwrap().count() > 0);
}

/// Every field the vendor delivered reaches the store: into a field of the model, or kept
/// beside it as a migrated field (the 戸籍's counts and 編製 date, a person's kana, an event's
/// 届出日, a 附票 row's 消除日, a 受付's fee …). The vendor's counts agree with what loaded.
#[test]
fn every_delivered_field_reaches_the_store() {
    let e = Env::new();
    let (code, s) = e.migrate(&fixture(), "s.db", "rep", "r1");
    assert_eq!(code, 0, "{s:#}");
    let key = runtime::Key::read_file(&e.p("k.key")).unwrap();
    let store = runtime::Store::open(&e.p("s.db"), &key).unwrap();
    let mut kept: BTreeSet<(&str, String)> = BTreeSet::new();
    let mut see = |entity: &'static str, m: &runtime::model::MigratedFields| {
        kept.extend(m.keys().map(|f| (entity, f.clone())));
    };
    let count = |m: &runtime::model::MigratedFields, f: &str| -> usize {
        m.get(f)
            .unwrap_or_else(|| panic!("no {f} in {m:?}"))
            .text
            .parse()
            .unwrap()
    };
    let list = store.list_koseki(0, i64::MAX).unwrap();
    assert!(list.len() > 10);
    for summary in list {
        let k = store.koseki(summary.id).unwrap().unwrap();
        see("koseki", &k.migrated);
        assert_eq!(count(&k.migrated, "kisai_count"), k.persons.len());
        assert_eq!(
            count(&k.migrated, "zaiseki_count"),
            k.persons.iter().filter(|p| !p.removed).count()
        );
        assert_eq!(count(&k.migrated, "jiko_count"), k.jiko.len());
        for j in &k.jiko {
            see("koseki_jiko", &j.migrated);
        }
        for p in &k.persons {
            see("person", &p.migrated);
            assert_eq!(count(&p.migrated, "mibun_count"), p.mibun_jiko.len());
            for j in &p.mibun_jiko {
                see("mibun_jiko", &j.migrated);
            }
        }
        for f in store.fuhyo(k.id).unwrap() {
            // 消除 is a flag in the model; the 消除日 it came from is kept.
            assert_eq!(
                f.removed,
                f.migrated.contains_key("shojo_date")
                    || f.migrated["fuhyo_kbn"].text.starts_with("除附票")
            );
            see("fuhyo", &f.migrated);
        }
    }
    for u in store.uketsuke_list().unwrap() {
        see("uketsuke", &u.migrated);
    }
    for f in store.fujuri_list().unwrap() {
        see("fujuri", &f.migrated);
    }
    for id in store.image_register_ids().unwrap() {
        see(
            "image_register",
            &store.image_register(id).unwrap().unwrap().migrated,
        );
    }
    // The fields the model has no place for, by record (the profile's domain names). Two
    // more, the 受付's 送付先 and the 見出し's 筆頭者 kana, are empty throughout the sample:
    // nothing to keep.
    let expected: &[(&str, &[&str])] = &[
        (
            "koseki",
            &[
                "hittosha_uji_kana",
                "hittosha_mei_kana",
                "hittosha_person_id",
                "hensei_reason",
                "hensei_date",
                "zaiseki_count",
                "kisai_count",
                "jiko_count",
            ],
        ),
        (
            "person",
            &[
                "uji_kana",
                "mei_kana",
                "entry_reason",
                "entry_date",
                "mibun_count",
            ],
        ),
        ("mibun_jiko", &["todoke_date", "iki", "date"]),
        ("koseki_jiko", &["date"]),
        (
            "fuhyo",
            &[
                "address_lg",
                "reason",
                "notice",
                "shojo_reason",
                "shojo_date",
                "fuhyo_kbn",
            ],
        ),
        (
            "uketsuke",
            &[
                "todokenin_shikaku",
                "kessai_ymd",
                "fee",
                "todokesho_id",
                "kakunin",
                "status",
            ],
        ),
        ("image_register", &["book_no", "hensei_date"]),
    ];
    let missing: Vec<String> = expected
        .iter()
        .flat_map(|(entity, fields)| fields.iter().map(move |f| (*entity, f.to_string())))
        .filter(|k| !kept.contains(k))
        .map(|(e, f)| format!("{e}.{f}"))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the store: {missing:?}; kept: {kept:?}"
    );
    // Parent keys are the stored links, not kept again.
    assert!(
        !kept.iter().any(|(e, f)| *e != "koseki" && f == "koseki_id"),
        "{kept:?}"
    );
}

#[test]
fn planted_faults_are_quarantined_exactly_and_exit_1() {
    let e = Env::new();
    let m = e.sample("f", &["--persons", "400", "--images", "4", "--faults"]);
    let (code, s) = e.migrate(&e.p("f"), "f.db", "frep", "faults");
    assert_eq!(code, 1);
    assert_eq!(s["reconciled"], false);
    let key = |v: &Value| {
        (
            v["file"].as_str().unwrap().to_string(),
            v["record"].as_u64().unwrap(),
            v["field"].as_str().unwrap().to_string(),
        )
    };
    let planted: BTreeSet<_> = m["faults"].as_array().unwrap().iter().map(key).collect();
    let quarantined: BTreeSet<_> = s["quarantine"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert!(planted.len() >= 10, "{planted:?}");
    assert_eq!(quarantined, planted);
    assert_eq!(s["quarantined"].as_u64().unwrap() as usize, planted.len());
    for q in s["quarantine"].as_array().unwrap() {
        assert!(!q["reason"].as_str().unwrap().is_empty());
        assert!(q["offset"].is_u64());
    }
}

#[test]
fn two_runs_give_the_same_content_hash() {
    let e = Env::new();
    let (_, a) = e.migrate(&fixture(), "a.db", "ra", "r1");
    let (_, b) = e.migrate(&fixture(), "b.db", "rb", "r1");
    // And again over an existing store.
    let (_, c) = e.migrate(&fixture(), "a.db", "rc", "r2");
    assert_eq!(a["content_hash"], b["content_hash"]);
    assert_eq!(a["content_hash"], c["content_hash"]);
}

#[test]
fn killed_run_leaves_the_old_store_intact() {
    let e = Env::new();
    let (code, first) = e.migrate(&fixture(), "s.db", "r1", "r1");
    assert_eq!(code, 0);
    let before = std::fs::read(e.p("s.db")).unwrap();
    e.sample("big", &["--persons", "6000", "--images", "0"]);
    let mut child = koseki()
        .args([
            "migrate",
            "--input",
            e.p("big").to_str().unwrap(),
            "--mapping",
            e.p("map.tsv").to_str().unwrap(),
            "--db",
            e.p("s.db").to_str().unwrap(),
            "--key-file",
            e.p("k.key").to_str().unwrap(),
            "--quiet",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it while it loads (its new store is being written beside the old one).
    let loading = e.p("s.db.loading");
    let t = Instant::now();
    while !loading.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "migrate finished before it could be killed"
        );
        assert!(t.elapsed() < Duration::from_secs(120), "load never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(e.p("s.db")).unwrap(),
        before,
        "the old store changed"
    );
    // It still opens and holds the first round: a diff against itself is empty.
    let d = e.diff("s.db", "s.db", "d");
    assert_eq!(d["old_hash"], first["content_hash"]);
    assert_eq!(d["changes"].as_array().unwrap().len(), 0);
}

/// Field offsets from the vendor's own copybook.
fn field(layout: &parsers::Layout, record: &str, name: &str) -> (usize, usize) {
    let r = layout.record(record).unwrap();
    let it = r.find(name).unwrap_or_else(|| panic!("{name}"));
    (it.offset, it.size)
}

#[test]
fn diff_lists_exactly_the_changed_records() {
    let e = Env::new();
    // Round 2 = round 1 with the 出生地 items of two 身分事項 swapped.
    let round2 = e.p("round2");
    copy_dir(&fixture(), &round2);
    let text = std::fs::read_to_string(round2.join("layout/K04MIBUN.cpy")).unwrap();
    let layout = parsers::parse_copybook(&text, parsers::SourceFormat::Auto).unwrap();
    let lrecl = layout.records.iter().map(|r| r.max_len).max().unwrap();
    let (cd, _) = field(&layout, "K04-REC", "K04-KOMOKU-CD");
    let (chi, chi_len) = field(&layout, "K04-REC", "K04-KOMOKU-CHI");
    // One OCCURS element (tag code + value): the second item sits one element further on.
    let (_, grp) = field(&layout, "K04-REC", "K04-KOMOKU");
    let (kno, kno_len) = field(&layout, "K04-REC", "K04-KOSEKI-NO");
    let (pno, pno_len) = field(&layout, "K04-REC", "K04-KOJIN-NO");
    let (seq, seq_len) = field(&layout, "K04-REC", "K04-JIKO-SEQ");
    let path = round2.join("data/K04MIBUN.DAT");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len() / lrecl;
    // Data records whose second item is 【出生地】 (code 002), with different places.
    let tag = |r: usize| r * lrecl + cd + grp;
    let val = |r: usize| r * lrecl + chi + grp;
    let mut picked: Vec<usize> = Vec::new();
    for r in 1..n - 1 {
        if bytes[r * lrecl] == 0xF2 && bytes[tag(r)..tag(r) + 3] == [0xF0, 0xF0, 0xF2] {
            let v = &bytes[val(r)..val(r) + chi_len];
            if picked
                .iter()
                .all(|&p| &bytes[val(p)..val(p) + chi_len] != v)
            {
                picked.push(r);
            }
        }
        if picked.len() == 2 {
            break;
        }
    }
    assert_eq!(
        picked.len(),
        2,
        "the fixture has two 出生 records with different places"
    );
    let (a, b) = (val(picked[0]), val(picked[1]));
    let va = bytes[a..a + chi_len].to_vec();
    let vb = bytes[b..b + chi_len].to_vec();
    bytes[a..a + chi_len].copy_from_slice(&vb);
    bytes[b..b + chi_len].copy_from_slice(&va);
    std::fs::write(&path, &bytes).unwrap();
    let key_of = |r: usize| {
        let rec = &bytes[r * lrecl..(r + 1) * lrecl];
        let z = |o: usize, l: usize| {
            parsers::codec::decode_zoned(
                &rec[o..o + l],
                0,
                parsers::SignPosition::TrailingEmbedded,
                parsers::codec::Family::Ebcdic,
            )
            .unwrap()
            .to_i128()
            .unwrap()
        };
        let p = parsers::codec::decode_packed(&rec[pno..pno + pno_len], 0)
            .unwrap()
            .to_i128()
            .unwrap();
        format!("{}/{}/{}", z(kno, kno_len), p, z(seq, seq_len))
    };
    let expected: BTreeSet<String> = picked.iter().map(|&r| key_of(r)).collect();

    let (c1, _) = e.migrate(&fixture(), "r1.db", "rep1", "r1");
    let (c2, _) = e.migrate(&round2, "r2.db", "rep2", "r2");
    assert_eq!((c1, c2), (0, 0));
    let d = e.diff("r1.db", "r2.db", "d");
    let changes = d["changes"].as_array().unwrap();
    let got: BTreeSet<String> = changes
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected, "{changes:#?}");
    for c in changes {
        assert_eq!(c["kind"], "events");
        assert_eq!(c["change"], "changed");
        assert_eq!(c["field"], "items[1].value");
        assert_ne!(c["old"], c["new"]);
    }
    assert_eq!(changes.len(), 2);
    assert!(e.p("d/diff.html").is_file() && e.p("d/diff.csv").is_file());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), dst).unwrap();
        }
    }
}
