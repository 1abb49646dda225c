//! Backups: two verified generations in a folder, and restore.
//!
//! `DIR/koseki-backup.1.db` is the newest generation, `.2.db` the one before; each has a
//! `.json` manifest (time, content hash, counts). A backup is an encrypted copy made with
//! `sqlcipher_export` (same key). Each generation is verified by *restoring* it into a scratch
//! file and checking `PRAGMA integrity_check`, `PRAGMA cipher_integrity_check`, the row counts
//! and the content hash against the manifest (and, for the new one, against the live store).
//! Only a verified new copy is rotated in; the oldest generation is dropped.

use std::path::{Path, PathBuf};

use crate::audit::{AuditAction, AuditEvent};
use crate::error::{Result, StoreError};
use crate::key::Key;
use crate::store::{Store, StoreCounts};
use crate::util;

/// How many generations are kept.
pub const GENERATIONS: u32 = 2;

/// What a backup file holds, written beside it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub created_at: String,
    pub source: String,
    pub content_hash: String,
    pub counts: StoreCounts,
    pub schema_version: u32,
}

/// The outcome of checking one generation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GenerationCheck {
    pub generation: u32,
    pub path: PathBuf,
    pub manifest: Manifest,
}

/// Path of generation `n` in `dir`.
pub fn generation_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("koseki-backup.{n}.db"))
}

fn manifest_path(db: &Path) -> PathBuf {
    db.with_extension("json")
}

fn io<T>(p: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| StoreError::io(p, e))
}

fn check_fail(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::BackupCheck {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Restores `file` into a scratch copy and checks it; returns what it holds. The scratch file
/// is removed afterwards. `expect` is what it must hold (from its manifest or the live store).
pub fn verify_file(
    file: &Path,
    key: &Key,
    scratch_dir: &Path,
    expect: Option<&Manifest>,
) -> Result<Manifest> {
    let scratch = scratch_dir.join(format!(".koseki-verify-{}.db", std::process::id()));
    io(&scratch, std::fs::copy(file, &scratch))?;
    let result = (|| {
        let store = Store::open_readonly_check(&scratch, key)
            .map_err(|e| check_fail(file, e.to_string()))?;
        let problems = store.integrity_problems()?;
        if !problems.is_empty() {
            return Err(check_fail(
                file,
                format!("integrity: {}", problems.join("; ")),
            ));
        }
        let got = Manifest {
            created_at: expect.map(|m| m.created_at.clone()).unwrap_or_default(),
            source: expect.map(|m| m.source.clone()).unwrap_or_default(),
            content_hash: store.content_hash()?,
            counts: store.counts()?,
            schema_version: store.schema_version()?,
        };
        if let Some(m) = expect {
            if m.counts != got.counts {
                return Err(check_fail(
                    file,
                    format!(
                        "counts differ: expected {:?}, found {:?}",
                        m.counts, got.counts
                    ),
                ));
            }
            if m.content_hash != got.content_hash {
                return Err(check_fail(file, "content hash differs from the manifest"));
            }
        }
        Ok(got)
    })();
    let _ = std::fs::remove_file(&scratch);
    result
}

fn read_manifest(db: &Path) -> Result<Manifest> {
    let p = manifest_path(db);
    let text = io(&p, std::fs::read_to_string(&p))?;
    serde_json::from_str(&text).map_err(|e| check_fail(&p, format!("manifest unreadable: {e}")))
}

/// Backs up the store at `db` into `dir`, rotating and verifying both generations.
pub fn backup(db: &Path, key: &Key, dir: &Path) -> Result<Vec<GenerationCheck>> {
    io(dir, std::fs::create_dir_all(dir))?;
    let store = Store::open(db, key)?;
    let new = dir.join("koseki-backup.new.db");
    let _ = std::fs::remove_file(&new);
    // The store's connection cannot create files (no SQLITE_OPEN_CREATE): an empty file is an
    // empty database to ATTACH.
    io(&new, std::fs::File::create(&new))?;
    let expected = Manifest {
        created_at: util::now_iso(),
        source: db.to_string_lossy().into_owned(),
        content_hash: store.content_hash()?,
        counts: store.counts()?,
        schema_version: store.schema_version()?,
    };
    store.conn.execute(
        "ATTACH DATABASE ?1 AS backup KEY ?2",
        rusqlite::params![new.to_string_lossy(), key.attach_literal()],
    )?;
    let exported = store
        .conn
        .query_row("SELECT sqlcipher_export('backup')", [], |_| Ok(()));
    store.conn.execute_batch("DETACH DATABASE backup")?;
    exported?;
    let checked = verify_file(&new, key, dir, Some(&expected));
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&new);
        return Err(e);
    }
    io(
        &manifest_path(&new),
        std::fs::write(manifest_path(&new), serde_json::to_vec_pretty(&expected)?),
    )?;

    // Rotate: drop the oldest, shift, put the verified new one first.
    for n in (1..GENERATIONS).rev() {
        let from = generation_path(dir, n);
        let to = generation_path(dir, n + 1);
        if from.exists() {
            io(&to, std::fs::rename(&from, &to))?;
            let _ = std::fs::rename(manifest_path(&from), manifest_path(&to));
        }
    }
    let first = generation_path(dir, 1);
    io(&first, std::fs::rename(&new, &first))?;
    io(
        &first,
        std::fs::rename(manifest_path(&new), manifest_path(&first)),
    )?;

    let mut checks = Vec::new();
    for n in 1..=GENERATIONS {
        let p = generation_path(dir, n);
        if !p.exists() {
            continue;
        }
        let m = read_manifest(&p)?;
        verify_file(&p, key, dir, Some(&m))?;
        checks.push(GenerationCheck {
            generation: n,
            path: p,
            manifest: m,
        });
    }
    store.audit(&AuditEvent {
        user: "backup",
        terminal: "cli",
        action: AuditAction::Backup,
        target: &dir.to_string_lossy(),
        detail: serde_json::json!({"content_hash": expected.content_hash, "generations": checks.len()}),
    })?;
    Ok(checks)
}

/// Restores backup `file` to `db`: verifies it first, then copies it beside `db` and renames
/// it into place. An existing `db` is replaced only with `force`.
pub fn restore(file: &Path, key: &Key, db: &Path, force: bool) -> Result<Manifest> {
    if db.exists() && !force {
        return Err(StoreError::AlreadyExists {
            path: db.to_path_buf(),
        });
    }
    let expect = read_manifest(file).ok();
    let scratch_dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let m = verify_file(file, key, scratch_dir, expect.as_ref())?;
    let tmp = scratch_dir.join(format!(
        "{}.restoring",
        db.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "koseki.db".into())
    ));
    io(&tmp, std::fs::copy(file, &tmp))?;
    io(&tmp, std::fs::File::open(&tmp).and_then(|f| f.sync_all()))?;
    io(db, std::fs::rename(&tmp, db))?;
    let store = Store::open(db, key)?;
    store.audit(&AuditEvent {
        user: "restore",
        terminal: "cli",
        action: AuditAction::Restore,
        target: &file.to_string_lossy(),
        detail: serde_json::json!({"content_hash": m.content_hash}),
    })?;
    Ok(m)
}

impl Store {
    /// Opens for checking only: no migrations are applied to a backup being verified.
    pub(crate) fn open_readonly_check(path: &Path, key: &Key) -> Result<Store> {
        let conn = crate::store::connect(path, key, false)?;
        let fold = std::sync::Arc::new(crate::fold::FoldTable::empty());
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            fold,
            bulk: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::demo_store;

    #[test]
    fn two_generations_rotate_and_restore() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let db = dir.path().join("live.db");
        let bdir = dir.path().join("bk");
        let s = demo_store(&db, &key).unwrap();
        drop(s);
        let c1 = backup(&db, &key, &bdir).unwrap();
        assert_eq!(c1.len(), 1);
        let h1 = c1[0].manifest.content_hash.clone();
        // change the live store, back up again: two generations, newest first
        let s = Store::open(&db, &key).unwrap();
        s.insert_koseki(&crate::fixtures::yamabuki()).unwrap();
        drop(s);
        let c2 = backup(&db, &key, &bdir).unwrap();
        assert_eq!(c2.len(), 2);
        assert_eq!(c2[1].manifest.content_hash, h1);
        assert_ne!(c2[0].manifest.content_hash, h1);
        let c3 = backup(&db, &key, &bdir).unwrap();
        assert_eq!(c3.len(), 2, "only two generations are kept");
        assert!(!generation_path(&bdir, 3).exists());
        // the backup is encrypted: the wrong key cannot read it
        assert!(
            verify_file(
                &generation_path(&bdir, 1),
                &Key::generate(),
                dir.path(),
                None
            )
            .is_err()
        );
        // triggers travel with the backup
        let restored = dir.path().join("restored.db");
        let m = restore(&generation_path(&bdir, 2), &key, &restored, false).unwrap();
        assert_eq!(m.counts.koseki, 4);
        let r = Store::open(&restored, &key).unwrap();
        assert_eq!(r.content_hash().unwrap(), c2[0].manifest.content_hash);
        assert!(
            r.connection().execute("DELETE FROM jiko", []).is_err(),
            "append-only triggers restored"
        );
        assert!(r.audit_verify().unwrap().ok());
        drop(r);
        assert!(matches!(
            restore(&generation_path(&bdir, 1), &key, &restored, false),
            Err(StoreError::AlreadyExists { .. })
        ));
        restore(&generation_path(&bdir, 1), &key, &restored, true).unwrap();
    }

    #[test]
    fn damaged_backup_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let db = dir.path().join("live.db");
        drop(demo_store(&db, &key).unwrap());
        let bdir = dir.path().join("bk");
        backup(&db, &key, &bdir).unwrap();
        let g1 = generation_path(&bdir, 1);
        let mut bytes = std::fs::read(&g1).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&g1, bytes).unwrap();
        let e = restore(&g1, &key, &dir.path().join("x.db"), false).unwrap_err();
        assert!(
            matches!(e, StoreError::BackupCheck { .. } | StoreError::Sqlite(_)),
            "{e}"
        );
        assert!(!dir.path().join("x.db").exists());
    }
}
