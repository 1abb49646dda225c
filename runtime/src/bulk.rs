//! Atomic bulk loading for migrate: everything goes into a new temporary file beside the
//! target, which is renamed over the target only once the load has committed and been hashed.
//! A killed or failed run leaves the old store untouched (and its temporary file is removed on
//! the next attempt).
//!
//! ```no_run
//! # fn demo(target: &std::path::Path, key: &runtime::Key, k: &runtime::model::Koseki) -> runtime::Result<()> {
//! let load = runtime::bulk::BulkLoad::begin(target, key)?;
//! let stored = load.store().insert_koseki(k)?;   // any Store::insert_* / put_blob
//! let summary = load.finish(Some("round-1"))?;   // commit, hash, rename over target
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
}

/// A load in progress. Dropping it without [`BulkLoad::finish`] discards it.
pub struct BulkLoad {
    store: Option<Store>,
    tmp: PathBuf,
    target: PathBuf,
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

impl BulkLoad {
    /// Starts a load that will replace `target`. If `target` exists it must open with `key`
    /// (so a load never clobbers a store it could not read); its staff accounts and audit log
    /// are carried over into the new store, and the chain continues.
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
        let store = Store::create_unchecked(&tmp, key, FoldTable::installed())?;
        if old {
            store.conn.execute(
                "ATTACH DATABASE ?1 AS old KEY ?2",
                rusqlite::params![target.to_string_lossy(), key.attach_literal()],
            )?;
            store.conn.execute_batch(
                "INSERT INTO app_user SELECT * FROM old.app_user;
                 INSERT INTO audit_log SELECT * FROM old.audit_log;
                 INSERT OR REPLACE INTO meta SELECT * FROM old.meta WHERE key = 'audit_head';
                 DETACH DATABASE old;",
            )?;
        }
        // A temporary file needs no durability until it is finished.
        store
            .conn
            .execute_batch("PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY; BEGIN;")?;
        Ok(BulkLoad {
            store: Some(store),
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// The store being loaded: use its `insert_*` and `put_blob` methods.
    pub fn store(&self) -> &Store {
        // Present until finish() consumes self.
        self.store
            .as_ref()
            .expect("bulk load store present until finish")
    }

    /// Commits, hashes, records the load in meta and the audit log, makes the file durable and
    /// renames it over the target.
    pub fn finish(mut self, round: Option<&str>) -> Result<LoadSummary> {
        let store = self
            .store
            .take()
            .expect("bulk load store present until finish");
        store
            .conn
            .execute_batch("COMMIT; PRAGMA synchronous = FULL; PRAGMA journal_mode = DELETE;")?;
        let content_hash = store.content_hash()?;
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
        drop(store);
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
        })
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
