//! Atomic bulk loading for migrate. The new register is built in an encrypted temporary file
//! beside the target, with no journal and a page cache that holds the register, so each page is
//! encrypted and written once, when the content commits (nothing of it touches the disk
//! unencrypted); the search keys, indexes, hash and meta rows follow in a second, small
//! transaction. The file is renamed over the target only once it is complete, hashed and
//! synced. A killed or failed run leaves the old store untouched (and its temporary
//! file is removed on the next attempt). Staff accounts, the audit log and the issuance records
//! (交付履歴) of the old store are carried over; issuances are re-pointed at the new ids of their
//! 戸籍, person and image register through the vendor's keys, which do not change between loads.
//!
//! ```no_run
//! # fn demo(target: &std::path::Path, key: &runtime::Key, k: &runtime::model::Koseki) -> runtime::Result<()> {
//! let load = runtime::bulk::BulkLoad::begin(target, key)?;
//! let stored = load.store().insert_koseki(k)?;   // any Store::insert_* / put_blob
//! let summary = load.finish(Some("round-1"))?;   // hash, encrypt, rename over target
//! println!("{} 戸籍, content {}", summary.counts.koseki, summary.content_hash);
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use crate::audit::{AuditAction, AuditEvent};
use crate::error::{Result, StoreError};
use crate::fold::FoldTable;
use crate::key::Key;
use crate::store::{Store, StoreCounts};
use crate::util;

/// What a finished load produced.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadSummary {
    pub path: PathBuf,
    /// [`Store::content_hash`] of the loaded register: equal input gives an equal hash.
    pub content_hash: String,
    pub counts: StoreCounts,
    /// Time spent hashing the content (beside the indexing), writing the encrypted file with
    /// its indexes, and making it durable (ms).
    pub hash_millis: u64,
    pub write_millis: u64,
    pub sync_millis: u64,
}

/// A load in progress. Dropping it without [`BulkLoad::finish`] discards it.
pub struct BulkLoad {
    store: Option<Store>,
    tmp: PathBuf,
    target: PathBuf,
    key: Key,
    /// The target existed (and opened with the key) when the load began.
    old: bool,
    /// Indexes left out while rows arrive (no load step reads them): name, SQL. Each is built
    /// once, by one sort, after the data.
    deferred: Vec<(String, String)>,
}

/// Indexes the load itself reads (a search card is looked up by its owner as the persons of a
/// 戸籍 arrive); every other index is built after the data.
const KEPT_WHILE_LOADING: &[&str] = &["search_card_owner", "search_card_image"];

/// The page cache of a load, in KiB: the register should fit (a page that leaves the cache is
/// encrypted, written and later read back and decrypted), but leave room for the rest of the
/// migration. Half of the memory available when the load begins, at least 256 MiB.
fn cache_kib() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .unwrap_or(2 << 20);
    (available / 2).max(256 << 10)
}

/// Indexes the carry-over of issuances reads.
const SOURCE_KEY_INDEXES: &[&str] = &[
    "koseki_source_key",
    "person_source_key",
    "image_register_source_key",
];

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn remove_if_exists(p: &Path) -> Result<()> {
    match std::fs::remove_file(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(p, e)),
        _ => Ok(()),
    }
}

/// Copies what the runtime wrote into the old store (attached as `old`) into the new one:
/// staff, the audit chain (continued by the load's own entry) and the issuance records, each
/// re-pointed at its 戸籍 / person / image register by the vendor key (`source_key`); an
/// issuance whose 戸籍 is no longer in the data keeps its key and loses only the id.
const CARRY_OVER: &str = "
    INSERT INTO app_user SELECT * FROM old.app_user;
    INSERT INTO audit_log SELECT * FROM old.audit_log;
    INSERT OR REPLACE INTO meta SELECT * FROM old.meta WHERE key = 'audit_head';
    INSERT INTO issuance (id, hakko_no, kind, koseki_id, person_id, image_register_id,
        requester_kubun, requester_name, fee_yen, channel, issued_at, user_name, terminal,
        pdf_sha256, koseki_key, person_key, image_register_key)
    SELECT i.id, i.hakko_no, i.kind,
        (SELECT n.id FROM main.koseki n WHERE n.source_key = k.key),
        (SELECT n.id FROM main.person n WHERE n.source_key = k.pkey),
        (SELECT n.id FROM main.image_register n WHERE n.source_key = k.rkey),
        i.requester_kubun, i.requester_name, i.fee_yen, i.channel, i.issued_at, i.user_name,
        i.terminal, i.pdf_sha256, k.key, k.pkey, k.rkey
    FROM old.issuance i JOIN (
        SELECT i2.id AS id,
            COALESCE(i2.koseki_key, (SELECT source_key FROM old.koseki WHERE id = i2.koseki_id)) AS key,
            COALESCE(i2.person_key, (SELECT source_key FROM old.person WHERE id = i2.person_id)) AS pkey,
            COALESCE(i2.image_register_key,
                (SELECT source_key FROM old.image_register WHERE id = i2.image_register_id)) AS rkey
        FROM old.issuance i2
    ) k ON k.id = i.id
    ORDER BY i.id;
    INSERT INTO shien_sochi (id, person_id, valid_from, valid_to, data)
    SELECT o.id, n.id, o.valid_from, o.valid_to, o.data
    FROM old.shien_sochi o JOIN old.person p ON p.id = o.person_id
        JOIN main.person n ON n.source_key = p.source_key
    ORDER BY o.id;
    INSERT INTO konbini_registration (id, person_id, applied_at, status, data)
    SELECT o.id, n.id, o.applied_at, o.status, o.data
    FROM old.konbini_registration o JOIN old.person p ON p.id = o.person_id
        JOIN main.person n ON n.source_key = p.source_key
    ORDER BY o.id;
";

/// Which rows of a table the previous load wrote: those up to the last id it recorded (meta
/// `load_max_ids`), or none (the load never writes that table, or never such rows).
#[derive(Clone, Copy)]
enum WrittenByLoad {
    UpToLastJiko,
    UpToLastUketsuke,
    None,
}

/// What the runtime records after cutover that a bulk load cannot rebuild from the vendor's
/// files: a load over a store holding any of it refuses (label, query counting it, with `?1`
/// the last id the previous load wrote where it has one).
const RECORDED_AFTER_CUTOVER: &[(&str, &str, WrittenByLoad)] = &[
    (
        "事項 recorded in the runtime",
        "SELECT count(*) FROM jiko WHERE id > ?1",
        WrittenByLoad::UpToLastJiko,
    ),
    (
        "届出 received in the runtime",
        "SELECT count(*) FROM uketsuke WHERE id > ?1",
        WrittenByLoad::UpToLastUketsuke,
    ),
    (
        "later versions of a 戸籍 header",
        "SELECT count(*) FROM koseki_version WHERE version > 1",
        WrittenByLoad::None,
    ),
    (
        "later versions of a person",
        "SELECT count(*) FROM person_version WHERE version > 1",
        WrittenByLoad::None,
    ),
    (
        "届書 documents",
        "SELECT count(*) FROM todoke_document",
        WrittenByLoad::None,
    ),
    (
        "届出 decisions",
        "SELECT count(*) FROM todoke_decision",
        WrittenByLoad::None,
    ),
    (
        "副本 to send or sent",
        "SELECT count(*) FROM fukuhon_outbox",
        WrittenByLoad::None,
    ),
];

/// The meta key holding the last 事項 and 受付 ids a load wrote, "jiko uketsuke".
const LOAD_MAX_IDS: &str = "load_max_ids";

/// 支援措置 and コンビニ交付 registrations are carried over by their person's vendor key; one
/// whose person is not in the new data would be lost, so the load refuses instead (label,
/// query counting them, with the new data as `main` and the old store as `old`).
const CARRIED_BY_PERSON: &[(&str, &str)] = &[
    (
        "支援措置",
        "SELECT count(*) FROM old.shien_sochi o LEFT JOIN old.person p ON p.id = o.person_id
         WHERE NOT EXISTS (SELECT 1 FROM main.person n WHERE n.source_key = p.source_key)",
    ),
    (
        "コンビニ交付 registrations",
        "SELECT count(*) FROM old.konbini_registration o LEFT JOIN old.person p ON p.id = o.person_id
         WHERE o.person_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM main.person n WHERE n.source_key = p.source_key)",
    ),
];

impl BulkLoad {
    /// Starts a load that will replace `target`. If `target` exists it must open with `key`
    /// (so a load never clobbers a store it could not read); its staff accounts, audit log and
    /// issuance records are carried over into the new store when it is finished.
    pub fn begin(target: &Path, key: &Key) -> Result<BulkLoad> {
        let tmp = sidecar(target, ".loading");
        remove_if_exists(&tmp)?;
        remove_if_exists(&sidecar(&tmp, "-journal"))?;
        let old = if target.exists() {
            let old = Store::open(target, key)?;
            // A store that no load wrote (made by `Store::create`) has no mark: its 事項 and
            // 受付 are all taken as the previous content.
            let (max_jiko, max_uketsuke) = match old.meta(LOAD_MAX_IDS)? {
                Some(m) => {
                    let mut it = m.split(' ').map(|n| n.parse::<i64>().unwrap_or(0));
                    (it.next().unwrap_or(0), it.next().unwrap_or(0))
                }
                None => (i64::MAX, i64::MAX),
            };
            let mut found = Vec::new();
            for (label, sql, written) in RECORDED_AFTER_CUTOVER {
                let mut stmt = old.conn.prepare(sql)?;
                let n: i64 = match written {
                    WrittenByLoad::UpToLastJiko => stmt.query_row([max_jiko], |r| r.get(0))?,
                    WrittenByLoad::UpToLastUketsuke => {
                        stmt.query_row([max_uketsuke], |r| r.get(0))?
                    }
                    WrittenByLoad::None => stmt.query_row([], |r| r.get(0))?,
                };
                if n > 0 {
                    found.push(format!("{n} {label}"));
                }
            }
            if !found.is_empty() {
                return Err(StoreError::RecordedAfterCutover {
                    path: target.to_path_buf(),
                    what: found.join(", "),
                });
            }
            true
        } else {
            false
        };
        // The temporary file exists from the start (empty: SQLite reads an empty file as an
        // empty database), so a stale one from a killed run is recognisable and removed.
        std::fs::File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        let store = Store::create_for_bulk(&tmp, key, FoldTable::installed(), cache_kib())?;
        let deferred: Vec<(String, String)> = store
            .conn
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, String)>>>()?
            .into_iter()
            .filter(|(name, _)| !KEPT_WHILE_LOADING.contains(&name.as_str()))
            .collect();
        for (name, _) in &deferred {
            store
                .conn
                .execute_batch(&format!("DROP INDEX main.{name};"))?;
        }
        store.conn.execute_batch("BEGIN;")?;
        Ok(BulkLoad {
            store: Some(store),
            tmp,
            target: target.to_path_buf(),
            key: key.clone(),
            old,
            deferred,
        })
    }

    /// The store being loaded: use its `insert_*` and `put_blob` methods.
    pub fn store(&self) -> &Store {
        // Present until finish() consumes self.
        self.store
            .as_ref()
            .expect("bulk load store present until finish")
    }

    /// Carries the old store's staff, audit and issuances over, hashes, records the load in
    /// meta and the audit log, writes the encrypted file, makes it durable and renames it over
    /// the target.
    pub fn finish(mut self, round: Option<&str>) -> Result<LoadSummary> {
        let store = self
            .store
            .take()
            .expect("bulk load store present until finish");
        let done = self.write(store, round);
        if done.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        done
    }

    fn write(&self, store: Store, round: Option<&str>) -> Result<LoadSummary> {
        let t = std::time::Instant::now();
        // The search keys are sorted on the other core while the content commits.
        let sorting = {
            let keys = store.take_pending_keys();
            std::thread::Builder::new()
                .name("search-keys".into())
                .spawn(move || crate::index::sort_keys(keys))
                .map_err(|e| StoreError::io(&self.tmp, e))?
        };
        // The register's content goes to disk first (every page encrypted and written once,
        // here), so that a second connection can hash it on the other core while this one
        // writes the search keys and builds the indexes; the hash, the meta rows and those
        // follow in a second transaction. Until the rename nothing of it is the store.
        let committed = store.conn.execute_batch("COMMIT;");
        let keys = sorting.join().map_err(|_| {
            StoreError::Invalid("bulk load: sorting the search keys panicked".into())
        })?;
        committed?;
        let hashing = {
            let (tmp, key) = (self.tmp.clone(), self.key.clone());
            std::thread::Builder::new()
                .name("content-hash".into())
                .spawn(move || -> Result<(String, u64)> {
                    let t = std::time::Instant::now();
                    let conn = crate::store::connect(&tmp, &key, false)?;
                    let hash = crate::store::content_hash_of(&conn)?;
                    Ok((hash, t.elapsed().as_millis() as u64))
                })
                .map_err(|e| StoreError::io(&self.tmp, e))?
        };
        let indexed = self.index_and_carry_over(&store, &keys);
        // Joined whatever happened: the hashing connection must be gone before this one may
        // commit (or the file be removed).
        let hashed = hashing
            .join()
            .map_err(|_| StoreError::Invalid("bulk load: the content hash panicked".into()))?;
        indexed?;
        let (content_hash, hash_millis) = hashed?;
        store.set_meta("content_hash", &content_hash)?;
        let max_ids: (i64, i64) = store.conn.query_row(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM jiko), (SELECT COALESCE(MAX(id), 0) FROM uketsuke)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        store.set_meta(LOAD_MAX_IDS, &format!("{} {}", max_ids.0, max_ids.1))?;
        store.set_meta("loaded_at", &util::now_iso())?;
        if let Some(r) = round {
            store.set_meta("round", r)?;
        }
        store.audit(&AuditEvent {
            user: "migrate",
            terminal: "cli",
            action: AuditAction::Load,
            target: &self.target.to_string_lossy(),
            detail: serde_json::json!({"content_hash": content_hash, "round": round}),
        })?;
        let counts = store.counts()?;
        store.conn.execute_batch("COMMIT;")?;
        if self.old {
            // Only now: a database read in a transaction cannot be detached before it ends.
            store.conn.execute_batch("DETACH DATABASE old;")?;
        }
        drop(store);
        let write_millis = t.elapsed().as_millis() as u64;
        let t = std::time::Instant::now();
        let f = std::fs::File::open(&self.tmp).map_err(|e| StoreError::io(&self.tmp, e))?;
        f.sync_all().map_err(|e| StoreError::io(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.target).map_err(|e| StoreError::io(&self.target, e))?;
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(LoadSummary {
            path: self.target.clone(),
            content_hash,
            counts,
            hash_millis,
            write_millis,
            sync_millis: t.elapsed().as_millis() as u64,
        })
    }

    /// The second transaction's work beside the hashing: the sorted search keys, one check
    /// of every reference, the old store's staff, audit and issuances, and the indexes left
    /// out while loading.
    fn index_and_carry_over(&self, store: &Store, keys: &crate::index::PendingKeys) -> Result<()> {
        store.conn.execute_batch("BEGIN;")?;
        store.write_sorted_keys(keys)?;
        // The load ran without row-by-row reference checks: one pass over them all.
        let dangling: Vec<String> = store
            .conn
            .prepare("PRAGMA foreign_key_check")?
            .query_map([], |r| {
                Ok(format!(
                    "{} row {} → {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    r.get::<_, String>(2)?
                ))
            })?
            .take(5)
            .collect::<rusqlite::Result<_>>()?;
        if !dangling.is_empty() {
            return Err(StoreError::Invalid(format!(
                "bulk load: references to nothing: {}",
                dangling.join("; ")
            )));
        }
        if self.old {
            for (_, sql) in self
                .deferred
                .iter()
                .filter(|(n, _)| SOURCE_KEY_INDEXES.contains(&n.as_str()))
            {
                store.conn.execute_batch(sql)?;
            }
            store.conn.execute(
                "ATTACH DATABASE ?1 AS old KEY ?2",
                rusqlite::params![self.target.to_string_lossy(), self.key.attach_literal()],
            )?;
            let mut lost = Vec::new();
            for (label, sql) in CARRIED_BY_PERSON {
                let n: i64 = store.conn.query_row(sql, [], |r| r.get(0))?;
                if n > 0 {
                    lost.push(format!("{n} {label} of persons not in the new data"));
                }
            }
            if !lost.is_empty() {
                return Err(StoreError::RecordedAfterCutover {
                    path: self.target.clone(),
                    what: lost.join(", "),
                });
            }
            store.conn.execute_batch(CARRY_OVER)?;
        }
        for (_, sql) in self
            .deferred
            .iter()
            .filter(|(n, _)| !(self.old && SOURCE_KEY_INDEXES.contains(&n.as_str())))
        {
            store.conn.execute_batch(sql)?;
        }
        Ok(())
    }
}

impl Drop for BulkLoad {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            drop(store);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn load_demo(target: &Path, key: &Key) -> LoadSummary {
        let load = BulkLoad::begin(target, key).unwrap();
        fixtures::fill_demo(load.store()).unwrap();
        load.finish(Some("t")).unwrap()
    }

    /// Loads the demo again with one more 戸籍 (vendor keys of its own) before it, so every
    /// id of the demo's rows moves while their vendor keys stay.
    fn reload_with_another_koseki_first(target: &Path, key: &Key) {
        let load = BulkLoad::begin(target, key).unwrap();
        let mut extra = fixtures::yamabuki();
        extra.source_key = Some("extra".into());
        for p in extra.persons.iter_mut() {
            p.source_key = p.source_key.as_ref().map(|k| format!("extra/{k}"));
        }
        load.store().insert_koseki(&extra).unwrap();
        fixtures::fill_demo(load.store()).unwrap();
        load.finish(Some("r2")).unwrap();
    }

    #[test]
    fn load_is_atomic_and_hash_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let a = dir.path().join("a.db");
        let b = dir.path().join("b.db");
        let sa = load_demo(&a, &key);
        let sb = load_demo(&b, &key);
        assert_eq!(sa.content_hash, sb.content_hash);
        assert_eq!(sa.counts.koseki, 3);
        assert_eq!(
            Store::open(&a, &key).unwrap().content_hash().unwrap(),
            sa.content_hash
        );

        // An abandoned load (like a killed run) leaves the old store as it was.
        let s = Store::open(&a, &key).unwrap();
        s.add_user(
            "kanri01",
            crate::auth::Role::Kanri,
            "a long password",
            "cli",
            "T",
        )
        .unwrap();
        drop(s);
        {
            let load = BulkLoad::begin(&a, &key).unwrap();
            load.store().insert_koseki(&fixtures::yamabuki()).unwrap();
            // dropped without finish
        }
        assert!(!dir.path().join("a.db.loading").exists());
        let s = Store::open(&a, &key).unwrap();
        assert_eq!(s.counts().unwrap().koseki, 3);
        drop(s);

        // A stale temporary file from a killed run does not disturb the next load.
        std::fs::write(dir.path().join("a.db.loading"), b"half-written").unwrap();
        let again = load_demo(&a, &key);
        assert_eq!(
            again.content_hash, sa.content_hash,
            "staff and audit are not content"
        );
        let s = Store::open(&a, &key).unwrap();
        assert_eq!(s.users().unwrap().len(), 1, "staff carried over");
        assert!(
            s.audit_verify().unwrap().ok(),
            "audit chain carried over and continued"
        );
    }

    fn schema_of(s: &Store) -> Vec<(String, String, String)> {
        s.conn
            .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn loaded_store_has_the_whole_schema_and_is_encrypted() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let a = dir.path().join("a.db");
        load_demo(&a, &key);
        let head = std::fs::read(&a).unwrap();
        assert_ne!(&head[..16], b"SQLite format 3\0", "plaintext on disk");
        let loaded = Store::open(&a, &key).unwrap();
        let fresh = Store::create(&dir.path().join("f.db"), &key).unwrap();
        assert_eq!(schema_of(&loaded), schema_of(&fresh));
        assert!(loaded.integrity_problems().unwrap().is_empty());
        // The append-only triggers came along.
        assert!(
            loaded
                .conn
                .execute("DELETE FROM person_version", [])
                .is_err()
        );
        // And the search index works in the loaded store.
        let hits = loaded
            .search(&crate::search::SearchQuery::by_name("山吹"))
            .unwrap();
        assert!(!hits.is_empty());
    }

    #[test]
    fn issuances_follow_their_koseki_across_a_reload() {
        use crate::model::{CertificateKind, IssuanceRequest, RequesterKubun};
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let a = dir.path().join("a.db");
        // Round 1: the demo 戸籍 in one order; an issuance for one of them and a person.
        let load = BulkLoad::begin(&a, &key).unwrap();
        fixtures::fill_demo(load.store()).unwrap();
        load.finish(Some("r1")).unwrap();
        let s = Store::open(&a, &key).unwrap();
        let k = s.list_koseki(0, 10).unwrap();
        let target = s.koseki(k[1].id).unwrap().unwrap();
        let person = target
            .persons
            .iter()
            .find(|p| p.source_key.is_some())
            .expect("a person with a vendor key");
        let req = IssuanceRequest {
            kind: CertificateKind::Zenbu,
            koseki_id: Some(target.id),
            person_id: Some(person.id),
            image_register_id: None,
            requester_kubun: RequesterKubun::Honnin,
            requester_name: "山吹誠一".into(),
            fee_yen: 450,
            channel: "window".into(),
        };
        let issued = s.issue(&req, "sato", "T1").unwrap();
        drop(s);

        // Round 2: another 戸籍 first, so every id moves.
        reload_with_another_koseki_first(&a, &key);

        let s = Store::open(&a, &key).unwrap();
        let list = s.issuances(10).unwrap();
        assert_eq!(list.len(), 1, "the issuance record survived the reload");
        let got = &list[0];
        assert_eq!(got.hakko_no, issued.hakko_no);
        let kid = got.request.koseki_id.expect("re-pointed at its 戸籍");
        assert_ne!(kid, target.id, "ids moved between the loads");
        let now = s.koseki(kid).unwrap().unwrap();
        assert_eq!(now.source_key, target.source_key);
        let pid = got.request.person_id.expect("re-pointed at its person");
        assert_eq!(
            s.person(pid).unwrap().unwrap().source_key,
            person.source_key
        );
        // A further issuance continues the numbering.
        let next = s.issue(&req, "sato", "T1").unwrap();
        assert_eq!(next.hakko_no, "0000002");
        assert!(s.audit_verify().unwrap().ok());
    }

    #[test]
    fn shien_sochi_follows_its_person_and_runtime_records_block_a_reload() {
        use crate::model::{Jiko, JikoItem, JikoKind};
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let a = dir.path().join("a.db");
        load_demo(&a, &key);
        let s = Store::open(&a, &key).unwrap();
        let (pid, pkey): (i64, String) = s
            .conn
            .query_row(
                "SELECT id, source_key FROM person WHERE source_key IS NOT NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        s.conn
            .execute(
                "INSERT INTO shien_sochi (person_id, valid_from, data) VALUES (?1, '2026-04-01', '{}')",
                [pid],
            )
            .unwrap();
        drop(s);

        // Reloaded with another 戸籍 first: the block moves with its person.
        reload_with_another_koseki_first(&a, &key);
        let s = Store::open(&a, &key).unwrap();
        let (moved, key_now): (i64, String) = s
            .conn
            .query_row(
                "SELECT p.id, p.source_key FROM shien_sochi b JOIN person p ON p.id = b.person_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(key_now, pkey);
        assert_ne!(moved, pid, "ids moved between the loads");

        // A 事項 recorded by staff after cutover is not in the vendor's files: refuse.
        let k = s.list_koseki(0, 1).unwrap()[0].id;
        s.append_jiko(
            k,
            None,
            &Jiko::new(
                JikoKind::from_label("訂正"),
                vec![JikoItem::new("訂正事由", "錯誤")],
            ),
        )
        .unwrap();
        drop(s);
        let refused = BulkLoad::begin(&a, &key);
        assert!(
            matches!(&refused, Err(StoreError::RecordedAfterCutover { what, .. }) if what.contains("1 事項")),
            "{:?}",
            refused.err()
        );

        // A block whose person the new data lacks would be lost: refuse at finish, old store kept.
        let b = dir.path().join("b.db");
        load_demo(&b, &key);
        let s = Store::open(&b, &key).unwrap();
        s.conn
            .execute(
                "INSERT INTO shien_sochi (person_id, valid_from, data)
                 SELECT id, '2026-04-01', '{}' FROM person WHERE source_key IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                [],
            )
            .unwrap();
        drop(s);
        let load = BulkLoad::begin(&b, &key).unwrap();
        load.store().insert_koseki(&fixtures::yamabuki()).unwrap();
        let lost = load.finish(Some("r2"));
        assert!(
            matches!(&lost, Err(StoreError::RecordedAfterCutover { what, .. }) if what.contains("支援措置")),
            "{:?}",
            lost.err()
        );
        let s = Store::open(&b, &key).unwrap();
        assert_eq!(s.counts().unwrap().koseki, 3, "old store untouched");
    }

    #[test]
    fn refuses_to_replace_a_store_it_cannot_open() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.db");
        load_demo(&a, &Key::generate());
        assert!(matches!(
            BulkLoad::begin(&a, &Key::generate()),
            Err(StoreError::WrongKey { .. })
        ));
    }
}
