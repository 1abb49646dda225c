//! Atomic bulk loading for migrate. The new register is built in a plain in-memory database
//! (nothing of it touches the disk unencrypted), then written encrypted in one pass into a
//! temporary file beside the target, which is renamed over the target only once it is complete,
//! hashed and synced. A killed or failed run leaves the old store untouched (and its temporary
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
    /// Time spent hashing the content, writing the encrypted file, and making it durable (ms).
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
    /// Indexes left out of the in-memory build (no load step reads them): name, SQL. They are
    /// built once, in the encrypted file, after its data.
    deferred: Vec<(String, String)>,
}

/// Indexes the load itself reads (a search card is looked up by its owner as the persons of a
/// 戸籍 arrive); every other index is built after the data.
const KEPT_WHILE_LOADING: &[&str] = &["search_card_owner", "search_card_image"];

/// Indexes the carry-over of issuances reads.
const SOURCE_KEY_INDEXES: &[&str] = &[
    "koseki_source_key",
    "person_source_key",
    "image_register_source_key",
];

/// `CREATE TABLE x …` → `CREATE TABLE enc.x …` (likewise indexes and triggers): the same object
/// in another attached database.
fn in_schema(sql: &str, schema: &str) -> String {
    for head in [
        "CREATE TABLE ",
        "CREATE UNIQUE INDEX ",
        "CREATE INDEX ",
        "CREATE TRIGGER ",
        "CREATE VIEW ",
    ] {
        if let Some(rest) = sql.strip_prefix(head) {
            return format!("{head}{schema}.{rest}");
        }
    }
    sql.to_string()
}

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
";

impl BulkLoad {
    /// Starts a load that will replace `target`. If `target` exists it must open with `key`
    /// (so a load never clobbers a store it could not read); its staff accounts, audit log and
    /// issuance records are carried over into the new store when it is finished.
    pub fn begin(target: &Path, key: &Key) -> Result<BulkLoad> {
        let tmp = sidecar(target, ".loading");
        remove_if_exists(&tmp)?;
        remove_if_exists(&sidecar(&tmp, "-journal"))?;
        let old = if target.exists() {
            drop(Store::open(target, key)?);
            true
        } else {
            false
        };
        // The temporary file exists from the start (empty: SQLite reads an empty file as an
        // empty database), so a stale one from a killed run is recognisable and removed.
        std::fs::File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        let store = Store::create_in_memory(&tmp, FoldTable::installed())?;
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
        store.conn.execute_batch("COMMIT;")?;
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
            store.conn.execute_batch(CARRY_OVER)?;
            store.conn.execute_batch("DETACH DATABASE old;")?;
        }
        let t = std::time::Instant::now();
        let content_hash = store.content_hash()?;
        let hash_millis = t.elapsed().as_millis() as u64;
        store.set_meta("content_hash", &content_hash)?;
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
        let t = std::time::Instant::now();
        // One pass, each page encrypted once. The temporary file needs no journal: it is
        // thrown away unless complete.
        store.conn.execute(
            "ATTACH DATABASE ?1 AS enc KEY ?2",
            rusqlite::params![self.tmp.to_string_lossy(), self.key.attach_literal()],
        )?;
        store.conn.execute_batch(
            "PRAGMA enc.journal_mode = OFF; PRAGMA enc.synchronous = OFF;
             PRAGMA enc.cache_size = -262144;",
        )?;
        self.export(&store)?;
        store.conn.execute_batch("DETACH DATABASE enc;")?;
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
}

impl BulkLoad {
    /// Copies the in-memory store into the attached, empty, encrypted `enc`: tables, their
    /// rows (in key order, so every b-tree is appended to), then the indexes (each built by one
    /// sort) and the triggers. Like `sqlcipher_export`, which creates the indexes first and
    /// then maintains them row by row.
    fn export(&self, store: &Store) -> Result<()> {
        let schema: Vec<(String, String, String)> = store
            .conn
            .prepare(
                "SELECT type, name, sql FROM main.sqlite_master
                 WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let of = |kind: &'static str| {
            schema
                .iter()
                .filter(move |(t, _, _)| t == kind)
                .map(|(_, n, sql)| (n.as_str(), sql.as_str()))
        };
        let tx = store.conn.unchecked_transaction()?;
        for (name, sql) in of("table") {
            tx.execute_batch(&in_schema(sql, "enc"))?;
            tx.execute_batch(&format!(
                "INSERT INTO enc.{name} SELECT * FROM main.{name};"
            ))?;
        }
        let built: Vec<&str> = of("index").map(|(n, _)| n).collect();
        let indexes = of("index").map(|(_, sql)| sql).chain(
            self.deferred
                .iter()
                .filter(|(n, _)| !built.contains(&n.as_str()))
                .map(|(_, sql)| sql.as_str()),
        );
        for sql in indexes {
            tx.execute_batch(&in_schema(sql, "enc"))?;
        }
        for (_, sql) in of("trigger").chain(of("view")) {
            tx.execute_batch(&in_schema(sql, "enc"))?;
        }
        tx.commit()?;
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
        let load = BulkLoad::begin(&a, &key).unwrap();
        let mut extra = fixtures::yamabuki();
        extra.source_key = Some("extra".into());
        for p in extra.persons.iter_mut() {
            p.source_key = p.source_key.as_ref().map(|k| format!("extra/{k}"));
        }
        load.store().insert_koseki(&extra).unwrap();
        fixtures::fill_demo(load.store()).unwrap();
        load.finish(Some("r2")).unwrap();

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
