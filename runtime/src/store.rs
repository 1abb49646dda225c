//! The encrypted store: opening, schema migrations, writing and reading the domain model.
//!
//! One SQLite file encrypted with SQLCipher (AES-256, raw 256-bit key from the key file).
//! A [`Store`] owns one connection; it is `Send` but not `Sync`: a server shares it behind a
//! `Mutex` or opens one per worker (opening is cheap: no KDF runs for a raw key).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::fold::{self, FoldTable};
use crate::key::Key;
use crate::model::*;
use crate::util;

/// Ordered schema migrations: (version, SQL). Append new files; never edit a shipped one.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_totp_replay.sql")),
    (3, include_str!("../migrations/0003_search_cards.sql")),
    (5, include_str!("../migrations/0005_migration_scope.sql")),
    (6, include_str!("../migrations/0006_jiko_items_inline.sql")),
    (7, include_str!("../migrations/0007_migrated_fields.sql")),
];

/// The newest schema version this program knows.
pub const SCHEMA_VERSION: u32 = 7;

/// Tables whose content is the register itself: hashed by [`Store::content_hash`] and counted
/// by backups. Staff, sessions and audit are not content (they differ between rounds).
pub(crate) const CONTENT_TABLES: &[(&str, &str)] = &[
    ("koseki", "id"),
    ("koseki_version", "koseki_id, version"),
    ("person", "id"),
    ("person_version", "person_id, version"),
    ("jiko", "id"),
    ("fuhyo_entry", "id"),
    ("uketsuke", "id"),
    ("uketsuke_version", "uketsuke_id, version"),
    ("fujuri_moushide", "id"),
    ("fujuri_version", "fujuri_id, version"),
    ("blob", "sha256"),
    ("image_register", "id"),
    ("image_page", "register_id, page_no"),
    ("local_gaiji", "code_point"),
    ("tokei", "id"),
    ("kojin_jotai", "id"),
    ("shikibetsu_fugo", "id"),
    ("jimu_renkei", "id"),
];

/// Row counts, for reconciliation and backup checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreCounts {
    pub koseki: i64,
    pub persons: i64,
    pub jiko: i64,
    pub fuhyo_entries: i64,
    pub uketsuke: i64,
    pub fujuri: i64,
    pub image_registers: i64,
    pub image_pages: i64,
    pub blobs: i64,
    pub local_gaiji: i64,
    pub users: i64,
    pub audit_entries: i64,
    pub issuances: i64,
}

/// A short row for lists (e.g. the web UI's index of 戸籍).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KosekiSummary {
    pub id: KosekiId,
    pub honseki: String,
    pub hittosha: String,
    pub status: KosekiStatus,
}

/// An open store.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) fold: Arc<FoldTable>,
    /// Set only while a bulk load builds this store: search keys gathered to be written in
    /// key order at the end (see [`crate::index::PendingIndex`]).
    pub(crate) bulk: Option<std::cell::RefCell<crate::index::PendingIndex>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The page format of every store: 16 KiB pages, each encrypted with AES-256-CBC and
/// authenticated with HMAC-SHA256. SQLCipher 4's defaults are 4 KiB pages and HMAC-SHA512;
/// measured here on the reference city's 630 MB register, writing it took 5.2–6.1 s with
/// those and 2.6 s with these (this CPU computes SHA-256 in hardware, 1.2 GB/s against
/// 0.4 GB/s for HMAC-SHA512, and a larger page pays the per-page IV, MAC and write once per
/// 16 KiB). A 256-bit HMAC-SHA256 tag is as much proof against a changed page as any
/// attacker can forge; the key and cipher are unchanged.
const CIPHER_FORMAT: &str =
    "PRAGMA cipher_default_page_size = 16384; PRAGMA cipher_default_hmac_algorithm = HMAC_SHA256;";

/// The format stores had before [`CIPHER_FORMAT`] (SQLCipher 4's defaults), set on one
/// connection only.
const LEGACY_CIPHER_FORMAT: &str =
    "PRAGMA cipher_page_size = 4096; PRAGMA cipher_hmac_algorithm = HMAC_SHA512;";

/// Reads the schema: false when the pages do not decrypt (wrong key, or another format).
fn schema_readable(conn: &Connection) -> Result<bool> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether `key` opens `path` in the legacy page format (so the error can say what to do
/// rather than blame the key).
fn legacy_format_opens(path: &Path, key: &Key) -> bool {
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    conn.execute_batch(&format!("PRAGMA key = {};", key.sqlcipher_literal()))
        .and_then(|_| conn.execute_batch(LEGACY_CIPHER_FORMAT))
        .is_ok()
        && matches!(schema_readable(&conn), Ok(true))
}

/// Opens an SQLCipher connection and proves the key by reading the schema.
pub(crate) fn connect(path: &Path, key: &Key, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // A wrong key is reported as StoreError::WrongKey; SQLCipher's own stderr log of the
    // failed page HMAC would only confuse the operator.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    // Process-wide defaults, so that a store attached with `ATTACH … KEY` (the old store of a
    // load, a backup being written) has the same page format as the main one.
    conn.execute_batch(CIPHER_FORMAT)?;
    conn.execute_batch(&format!("PRAGMA key = {};", key.sqlcipher_literal()))?;
    if !schema_readable(&conn)? {
        if legacy_format_opens(path, key) {
            return Err(StoreError::LegacyCipherFormat {
                path: path.to_path_buf(),
            });
        }
        return Err(StoreError::WrongKey {
            path: path.to_path_buf(),
        });
    }
    conn.busy_timeout(Duration::from_secs(10))?;
    // 64 MiB page cache: every cache miss costs a page decryption under SQLCipher.
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;")?;
    // Every statement the store runs stays prepared: the store has some 35 (a 戸籍's insert
    // uses about 13 of them), more than rusqlite's default 16, and a statement pushed out of
    // the cache is parsed again the next time it runs.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// Applies pending migrations; returns the schema version after.
pub(crate) fn migrate(conn: &Connection, path: &Path) -> Result<u32> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);",
    )?;
    let applied: Vec<u32> = conn
        .prepare("SELECT version FROM schema_version")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let current = applied.iter().copied().max().unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    // By set, not by the highest number: a version numbered below one already applied (a
    // number reserved for a change that landed later) is still applied.
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| !applied.contains(v)) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            params![version, util::now_iso()],
        )?;
        tx.commit()?;
    }
    Ok(SCHEMA_VERSION.max(current))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

/// The `jiko.items` column (migrations/0006): a JSON array with each 【】 item as
/// `[tag, text, vendor bytes]` (the compact hex of `vendor_bytes_hex`, or null), and its
/// source line as a fourth element when it has one.
mod jiko_items {
    use serde::ser::{SerializeSeq, SerializeTuple};
    use serde::{Deserialize, Serialize, Serializer};

    use crate::error::{Result, StoreError};
    use crate::model::{JikoItem, Text, vendor_bytes_hex};

    struct Items<'a>(&'a [JikoItem]);

    struct Item<'a>(&'a JikoItem);

    impl Serialize for Items<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for it in self.0 {
                seq.serialize_element(&Item(it))?;
            }
            seq.end()
        }
    }

    impl Serialize for Item<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            let it = self.0;
            let mut t = s.serialize_tuple(if it.line.is_some() { 4 } else { 3 })?;
            t.serialize_element(&it.tag)?;
            t.serialize_element(&it.value.text)?;
            t.serialize_element(
                &it.value
                    .vendor_bytes
                    .as_deref()
                    .map(vendor_bytes_hex::encode),
            )?;
            if let Some(line) = &it.line {
                t.serialize_element(line)?;
            }
            t.end()
        }
    }

    #[derive(Deserialize)]
    struct Stored(
        String,
        String,
        Option<String>,
        #[serde(default)] Option<String>,
    );

    pub(super) fn encode(items: &[JikoItem]) -> Result<String> {
        Ok(serde_json::to_string(&Items(items))?)
    }

    pub(super) fn decode(column: &str) -> Result<Vec<JikoItem>> {
        let stored: Vec<Stored> = serde_json::from_str(column)?;
        stored
            .into_iter()
            .map(|Stored(tag, text, raw, line)| {
                let vendor_bytes = match raw {
                    None => None,
                    Some(h) => Some(vendor_bytes_hex::decode(&h).ok_or_else(|| {
                        StoreError::Invalid(format!("jiko.items: {h:?} is not vendor bytes"))
                    })?),
                };
                Ok(JikoItem {
                    tag,
                    value: Text { text, vendor_bytes },
                    line,
                })
            })
            .collect()
    }
}

/// The koseki_version JSON of a 戸籍's header.
fn koseki_header_json(k: &Koseki) -> Result<String> {
    json(&KosekiHeader {
        honseki: k.honseki.clone(),
        hittosha: k.hittosha.clone(),
        uji_furigana: k.uji_furigana.clone(),
        status: k.status,
        migrated: k.migrated.clone(),
    })
}

/// A 戸籍 with the JSON the store keeps for it made ahead: its header and each event's items,
/// none of which depends on the ids the insert assigns. Made on a load's worker threads, so
/// the one thread that writes only binds and inserts.
pub struct PreparedKoseki {
    koseki: Koseki,
    header: String,
    /// The `jiko.items` and `jiko.migrated` columns of the 戸籍事項, then of each person's
    /// 身分事項, in that order.
    items: Vec<JikoColumns>,
}

/// The JSON columns of a `jiko` row: its items, and its migrated fields (NULL when none).
type JikoColumns = (String, Option<String>);

fn migrated_json(m: &MigratedFields) -> Result<String> {
    let mut out = Vec::new();
    crate::model::migrated_fields_json::serialize(m, &mut serde_json::Serializer::new(&mut out))?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

fn jiko_columns(j: &Jiko) -> Result<JikoColumns> {
    let migrated = if j.migrated.is_empty() {
        None
    } else {
        Some(migrated_json(&j.migrated)?)
    };
    Ok((jiko_items::encode(&j.items)?, migrated))
}

impl PreparedKoseki {
    pub fn new(koseki: Koseki) -> Result<PreparedKoseki> {
        let header = koseki_header_json(&koseki)?;
        let items = koseki
            .jiko
            .iter()
            .chain(koseki.persons.iter().flat_map(|p| p.mibun_jiko.iter()))
            .map(jiko_columns)
            .collect::<Result<_>>()?;
        Ok(PreparedKoseki {
            koseki,
            header,
            items,
        })
    }

    /// The 戸籍 (its vendor key, for instance, before it is stored).
    pub fn koseki(&self) -> &Koseki {
        &self.koseki
    }
}

/// A 附票 entry with its stored JSON made ahead (see [`PreparedKoseki`]).
pub struct PreparedFuhyo {
    entry: FuhyoEntry,
    data: String,
}

impl PreparedFuhyo {
    pub fn new(entry: FuhyoEntry) -> Result<PreparedFuhyo> {
        let data = json(&entry)?;
        Ok(PreparedFuhyo { entry, data })
    }
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    Ok(serde_json::from_str(s)?)
}

/// The koseki_version JSON payload.
#[derive(serde::Serialize, serde::Deserialize)]
struct KosekiHeader {
    honseki: Honseki,
    hittosha: PersonName,
    uji_furigana: Option<Furigana>,
    status: KosekiStatus,
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "crate::model::migrated_fields_json"
    )]
    migrated: MigratedFields,
}

/// The image_register JSON payload (pages live in image_page).
#[derive(serde::Serialize, serde::Deserialize)]
struct ImageHeader {
    honseki: Honseki,
    hittosha: PersonName,
    names: Vec<PersonName>,
    closed_date: Option<KosekiDate>,
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "crate::model::migrated_fields_json"
    )]
    migrated: MigratedFields,
}

fn status_code(s: KosekiStatus) -> &'static str {
    s.label()
}

fn correction_code(c: CorrectionKind) -> &'static str {
    match c {
        CorrectionKind::Teisei => "Teisei",
        CorrectionKind::Kosei => "Kosei",
        CorrectionKind::Shojo => "Shojo",
    }
}

fn correction_from(s: &str) -> Option<CorrectionKind> {
    match s {
        "Teisei" => Some(CorrectionKind::Teisei),
        "Kosei" => Some(CorrectionKind::Kosei),
        "Shojo" => Some(CorrectionKind::Shojo),
        _ => None,
    }
}

impl Store {
    /// Creates a new, empty store at `path` (which must not exist), encrypted with `key`,
    /// and records the MJ fold table it will index names with.
    pub fn create(path: &Path, key: &Key) -> Result<Store> {
        if path.exists() {
            return Err(StoreError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        Store::create_unchecked(path, key, FoldTable::installed())
    }

    pub(crate) fn create_unchecked(path: &Path, key: &Key, fold: Arc<FoldTable>) -> Result<Store> {
        let conn = connect(path, key, true)?;
        migrate(&conn, path)?;
        let tx = conn.unchecked_transaction()?;
        fold::save_to_store(&tx, &fold)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('created_at', ?1)",
            [util::now_iso()],
        )?;
        // A new store's index is built as content arrives.
        tx.execute("DELETE FROM meta WHERE key = 'search_index_stale'", [])?;
        tx.commit()?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            fold,
            bulk: None,
        })
    }

    /// A new, empty store for [`crate::bulk::BulkLoad`] to build the whole register in: the
    /// encrypted temporary file itself, with no journal (a failed load is discarded whole), a
    /// page cache large enough to hold the register (each page is encrypted once, when the
    /// load commits), and temporary tables and sorts in memory (nothing plain on disk).
    /// References are checked once, when the load is finished, not row by row.
    pub(crate) fn create_for_bulk(
        path: &Path,
        key: &Key,
        fold: Arc<FoldTable>,
        cache_kib: u64,
    ) -> Result<Store> {
        let conn = connect(path, key, true)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY;
             PRAGMA foreign_keys = OFF; PRAGMA cache_size = -{cache_kib};"
        ))?;
        migrate(&conn, path)?;
        // One transaction: the fold table's thousands of rows, one commit each (each writing
        // and encrypting pages), held a load up 1.7 s before it stored a record.
        let tx = conn.unchecked_transaction()?;
        fold::save_to_store(&tx, &fold)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('created_at', ?1)",
            [util::now_iso()],
        )?;
        tx.execute("DELETE FROM meta WHERE key = 'search_index_stale'", [])?;
        tx.commit()?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            fold,
            bulk: Some(Default::default()),
        })
    }

    /// Opens an existing store, applying pending schema migrations.
    pub fn open(path: &Path, key: &Key) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let conn = connect(path, key, false)?;
        migrate(&conn, path)?;
        let fold = Arc::new(fold::load_from_store(&conn)?);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            fold,
            bulk: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fold table this store's search keys were built with.
    pub fn fold_table(&self) -> &FoldTable {
        &self.fold
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?)
    }

    /// Direct access for maintenance and tests (e.g. planting a tampered audit row).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` inside a savepoint: all of it or none of it (nests inside a bulk load).
    ///
    /// A bulk load's store (see [`crate::bulk::BulkLoad`]) has no journal: the load
    /// is all or nothing as a whole (a failure discards it), so its steps take no savepoint,
    /// which would copy every page they touch into a statement journal.
    pub fn atomically<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        if self.bulk.is_some() {
            return f(self);
        }
        self.conn.execute_batch("SAVEPOINT koseki_atomic")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("RELEASE koseki_atomic")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self
                    .conn
                    .execute_batch("ROLLBACK TO koseki_atomic; RELEASE koseki_atomic");
                Err(e)
            }
        }
    }

    /// Executes one statement through the connection's statement cache (writes run once per
    /// row in a load: parsing the SQL each time would cost more than the insert).
    pub(crate) fn exec(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        Ok(self.conn.prepare_cached(sql)?.execute(params)?)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            [key, value],
        )?;
        Ok(())
    }

    // ----- writing -----------------------------------------------------------------------

    /// Stores a whole 戸籍 (header, 戸籍事項, persons with their 身分事項) and indexes it for
    /// search. Ids inside `k` are ignored; the stored copy (with ids) is returned.
    pub fn insert_koseki(&self, k: &Koseki) -> Result<Koseki> {
        self.insert_koseki_owned(k.clone())
    }

    /// [`Store::insert_koseki`] for a value the caller gives up (a bulk load: no copy of every
    /// event is made).
    pub fn insert_koseki_owned(&self, k: Koseki) -> Result<Koseki> {
        self.insert_prepared_koseki(PreparedKoseki::new(k)?)
    }

    /// [`Store::insert_koseki_owned`] for a 戸籍 whose stored JSON was made ahead (a load
    /// prepares it on a worker thread, so the one writing thread only inserts).
    pub fn insert_prepared_koseki(&self, k: PreparedKoseki) -> Result<Koseki> {
        self.atomically(|s| s.insert_koseki_inner(k))
    }

    fn insert_koseki_inner(&self, prepared: PreparedKoseki) -> Result<Koseki> {
        let PreparedKoseki {
            koseki: mut out,
            header,
            items,
        } = prepared;
        let mut items = items.into_iter();
        self.exec(
            "INSERT INTO koseki (source_key) VALUES (?1)",
            [&out.source_key],
        )?;
        let kid = self.conn.last_insert_rowid();
        out.id = kid;
        self.insert_koseki_version(kid, 1, None, &out, Some(header))?;
        for (i, j) in out.jiko.iter_mut().enumerate() {
            self.insert_jiko_inner(kid, None, (i + 1) as u32, j, items.next())?;
        }
        for p in out.persons.iter_mut() {
            p.koseki_id = kid;
            self.exec(
                "INSERT INTO person (koseki_id, kisai_jun, source_key) VALUES (?1, ?2, ?3)",
                params![kid, p.kisai_jun, p.source_key],
            )?;
            p.id = self.conn.last_insert_rowid();
            for (i, j) in p.mibun_jiko.iter_mut().enumerate() {
                self.insert_jiko_inner(kid, Some(p.id), (i + 1) as u32, j, items.next())?;
            }
            // The removal event given by index into mibun_jiko is resolved by the caller
            // setting removal_jiko to a stored id; a dangling one is dropped.
            if let Some(rj) = p.removal_jiko
                && !p.mibun_jiko.iter().any(|j| j.id == rj)
            {
                p.removal_jiko = None;
            }
            // The header version holds no events: set them aside rather than copy them.
            let events = std::mem::take(&mut p.mibun_jiko);
            self.insert_person_version(p, 1, None, out.uji_furigana.as_ref())?;
            p.mibun_jiko = events;
        }
        Ok(out)
    }

    /// `header` is [`koseki_header_json`] of `k` when made ahead.
    fn insert_koseki_version(
        &self,
        kid: KosekiId,
        version: u32,
        cause: Option<JikoId>,
        k: &Koseki,
        header: Option<String>,
    ) -> Result<()> {
        let header = match header {
            Some(h) => h,
            None => koseki_header_json(k)?,
        };
        self.exec(
            "INSERT INTO koseki_version (koseki_id, version, cause_jiko_id, status, honseki_display, hittosha_uji, hittosha_mei, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                kid,
                version,
                cause,
                status_code(k.status),
                k.honseki.display.text,
                k.hittosha.uji.text,
                k.hittosha.mei.text,
                header
            ],
        )?;
        self.index_koseki(kid, &k.honseki, &k.hittosha, k.status)?;
        Ok(())
    }

    fn insert_person_version(
        &self,
        p: &Person,
        version: u32,
        cause: Option<JikoId>,
        koseki_uji_furigana: Option<&Furigana>,
    ) -> Result<()> {
        let mut header = p.clone();
        header.mibun_jiko.clear();
        self.exec(
            "INSERT INTO person_version (person_id, version, cause_jiko_id, uji, mei, birth_gregorian, removed, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.id,
                version,
                cause,
                p.name.uji.text,
                p.name.mei.text,
                p.birth_date.as_ref().and_then(|d| d.gregorian.clone()),
                p.removed,
                json(&header)?
            ],
        )?;
        self.index_person(p, koseki_uji_furigana)?;
        Ok(())
    }

    /// `columns` are [`jiko_columns`] of `j` when made ahead.
    fn insert_jiko_inner(
        &self,
        kid: KosekiId,
        pid: Option<PersonId>,
        seq: u32,
        j: &mut Jiko,
        columns: Option<JikoColumns>,
    ) -> Result<()> {
        let (items, migrated) = match columns {
            Some(c) => c,
            None => jiko_columns(j)?,
        };
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO jiko (koseki_id, person_id, seq, kind, corrects_id, correction, uketsuke_id, source_key, items, migrated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        stmt.execute(params![
            kid,
            pid,
            seq,
            j.kind.label(),
            j.corrects.map(|c| c.0),
            j.corrects.map(|c| correction_code(c.1)),
            j.uketsuke_id,
            j.source_key,
            items,
            migrated
        ])?;
        j.id = self.conn.last_insert_rowid();
        j.seq = seq;
        Ok(())
    }

    /// Appends a 身分事項 to a person (or a 戸籍事項 when `person_id` is `None`): the runtime's
    /// way to record, correct (set [`Jiko::corrects`]) or strike out; nothing is edited.
    pub fn append_jiko(
        &self,
        koseki_id: KosekiId,
        person_id: Option<PersonId>,
        jiko: &Jiko,
    ) -> Result<Jiko> {
        self.atomically(|s| {
            let seq: u32 = s.conn.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM jiko WHERE koseki_id = ?1 AND person_id IS ?2",
                params![koseki_id, person_id],
                |r| r.get(0),
            )?;
            let mut j = jiko.clone();
            s.insert_jiko_inner(koseki_id, person_id, seq, &mut j, None)?;
            Ok(j)
        })
    }

    /// Records a new version of a person's header (e.g. 除籍, 配偶者区分 cleared), caused by
    /// an already stored event.
    pub fn append_person_version(&self, person: &Person, cause: JikoId) -> Result<()> {
        self.atomically(|s| {
            let v: u32 = s.conn.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM person_version WHERE person_id = ?1",
                [person.id],
                |r| r.get(0),
            )?;
            s.insert_person_version(person, v, Some(cause), None)
        })
    }

    /// Records a new version of a 戸籍's header (e.g. status 全部除籍 after 消除).
    pub fn append_koseki_version(&self, koseki: &Koseki, cause: JikoId) -> Result<()> {
        self.atomically(|s| {
            let v: u32 = s.conn.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM koseki_version WHERE koseki_id = ?1",
                [koseki.id],
                |r| r.get(0),
            )?;
            s.insert_koseki_version(koseki.id, v, Some(cause), koseki, None)
        })
    }

    /// Stores a 附票 entry; returns it with its id.
    pub fn insert_fuhyo(&self, e: &FuhyoEntry) -> Result<FuhyoEntry> {
        let prepared = PreparedFuhyo::new(e.clone())?;
        let id = self.insert_prepared_fuhyo(&prepared)?;
        let mut out = prepared.entry;
        out.id = id;
        Ok(out)
    }

    /// Stores a 附票 entry whose JSON was made ahead (see [`PreparedFuhyo`]); returns its id.
    pub fn insert_prepared_fuhyo(&self, p: &PreparedFuhyo) -> Result<i64> {
        let e = &p.entry;
        self.exec(
            "INSERT INTO fuhyo_entry (koseki_id, person_id, seq, supersedes_id, juminhyo_code, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![e.koseki_id, e.person_id, e.seq, e.supersedes, e.juminhyo_code, p.data],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores bytes by content; returns the SHA-256 key (storing the same bytes twice is a no-op).
    pub fn put_blob(&self, bytes: &[u8], media_type: &str) -> Result<String> {
        let h = util::sha256_hex(bytes);
        self.exec(
            "INSERT OR IGNORE INTO blob (sha256, media_type, bytes) VALUES (?1, ?2, ?3)",
            params![h, media_type, bytes],
        )?;
        Ok(h)
    }

    pub fn blob(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT media_type, bytes FROM blob WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Stores an image register's 見出し and page list (page bytes must already be stored with
    /// [`Store::put_blob`]) and indexes its 見出し for search.
    pub fn insert_image_register(&self, r: &ImageRegister) -> Result<ImageRegister> {
        self.atomically(|s| {
            let header = ImageHeader {
                honseki: r.honseki.clone(),
                hittosha: r.hittosha.clone(),
                names: r.names.clone(),
                closed_date: r.closed_date.clone(),
                migrated: r.migrated.clone(),
            };
            s.exec(
                "INSERT INTO image_register (kind, source_key, data) VALUES (?1, ?2, ?3)",
                params![json(&r.kind)?, r.source_key, json(&header)?],
            )?;
            let id = s.conn.last_insert_rowid();
            for p in &r.pages {
                s.exec(
                    "INSERT INTO image_page (register_id, page_no, sha256, media_type, width, height) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, p.page_no, p.sha256, p.media_type, p.width, p.height],
                )?;
            }
            let mut out = r.clone();
            out.id = id;
            s.index_image_register(&out)?;
            Ok(out)
        })
    }

    pub fn insert_local_gaiji(&self, g: &LocalGaiji) -> Result<()> {
        let cp = g.code_point as u32;
        let pua = (0xE000..=0xF8FF).contains(&cp) || cp >= 0xF0000;
        if !pua {
            return Err(StoreError::Invalid(format!(
                "local gaiji U+{cp:04X} is not a private-use code point"
            )));
        }
        self.exec(
            "INSERT INTO local_gaiji (code_point, vendor, vendor_code, glyph_png, note) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![cp, g.vendor, g.vendor_code, g.glyph_png, g.note],
        )?;
        Ok(())
    }

    pub fn insert_uketsuke(&self, u: &Uketsuke) -> Result<Uketsuke> {
        self.atomically(|s| {
            s.exec(
                "INSERT INTO uketsuke (uketsuke_no, received_at, kind, koseki_id, source_key) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.uketsuke_no, u.received_at, u.kind, u.koseki_id, u.source_key],
            )?;
            let mut out = u.clone();
            out.id = s.conn.last_insert_rowid();
            s.exec(
                "INSERT INTO uketsuke_version (uketsuke_id, version, status, data) VALUES (?1, 1, ?2, ?3)",
                params![out.id, json(&u.status)?, json(&out)?],
            )?;
            Ok(out)
        })
    }

    pub fn insert_fujuri(&self, f: &FujuriMoushide) -> Result<FujuriMoushide> {
        self.atomically(|s| {
            s.exec(
                "INSERT INTO fujuri_moushide (person_id, source_key) VALUES (?1, ?2)",
                params![f.person_id, f.source_key],
            )?;
            let mut out = f.clone();
            out.id = s.conn.last_insert_rowid();
            s.exec(
                "INSERT INTO fujuri_version (fujuri_id, version, status, data) VALUES (?1, 1, ?2, ?3)",
                params![out.id, json(&f.status)?, json(&out)?],
            )?;
            Ok(out)
        })
    }

    // ----- reading -----------------------------------------------------------------------

    /// A whole 戸籍 with its newest header, 戸籍事項, persons (newest headers) and 身分事項.
    pub fn koseki(&self, id: KosekiId) -> Result<Option<Koseki>> {
        let head: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT v.data, k.source_key FROM koseki k JOIN koseki_version v ON v.koseki_id = k.id
                 WHERE k.id = ?1 ORDER BY v.version DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((data, source_key)) = head else {
            return Ok(None);
        };
        let h: KosekiHeader = from_json(&data)?;
        let mut all_jiko = self.jiko_of_koseki(id)?;
        let mut persons = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM person WHERE koseki_id = ?1 ORDER BY kisai_jun")?;
        let ids: Vec<PersonId> = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for pid in ids {
            let mut p = self
                .person_header(pid)?
                .ok_or_else(|| StoreError::Missing(format!("person {pid} header")))?;
            p.mibun_jiko = all_jiko
                .iter()
                .filter(|(o, _)| *o == Some(pid))
                .map(|(_, j)| j.clone())
                .collect();
            persons.push(p);
        }
        all_jiko.retain(|(o, _)| o.is_none());
        Ok(Some(Koseki {
            id,
            honseki: h.honseki,
            hittosha: h.hittosha,
            uji_furigana: h.uji_furigana,
            status: h.status,
            jiko: all_jiko.into_iter().map(|(_, j)| j).collect(),
            persons,
            source_key,
            migrated: h.migrated,
        }))
    }

    /// All events of a 戸籍 with their owner person (None = 戸籍事項), in order.
    fn jiko_of_koseki(&self, kid: KosekiId) -> Result<Vec<(Option<PersonId>, Jiko)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, person_id, seq, kind, corrects_id, correction, uketsuke_id, source_key, items, migrated FROM jiko
             WHERE koseki_id = ?1 ORDER BY person_id IS NOT NULL, person_id, seq",
        )?;
        let mut rows = stmt.query([kid])?;
        let mut out: Vec<(Option<PersonId>, Jiko)> = Vec::new();
        while let Some(r) = rows.next()? {
            let corrects = match (r.get::<_, Option<i64>>(4)?, r.get::<_, Option<String>>(5)?) {
                (Some(id), Some(c)) => correction_from(&c).map(|k| (id, k)),
                _ => None,
            };
            out.push((
                r.get::<_, Option<i64>>(1)?,
                Jiko {
                    id: r.get(0)?,
                    seq: r.get(2)?,
                    kind: JikoKind::from_label(&r.get::<_, String>(3)?),
                    items: jiko_items::decode(&r.get::<_, String>(8)?)?,
                    corrects,
                    uketsuke_id: r.get(6)?,
                    source_key: r.get(7)?,
                    migrated: match r.get::<_, Option<String>>(9)? {
                        Some(m) => crate::model::migrated_fields_json::deserialize(
                            &mut serde_json::Deserializer::from_str(&m),
                        )?,
                        None => MigratedFields::new(),
                    },
                },
            ));
        }
        Ok(out)
    }

    fn person_header(&self, pid: PersonId) -> Result<Option<Person>> {
        let row: Option<(String, KosekiId, u32, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT v.data, p.koseki_id, p.kisai_jun, p.source_key FROM person p JOIN person_version v ON v.person_id = p.id
                 WHERE p.id = ?1 ORDER BY v.version DESC LIMIT 1",
            )?
            .query_row([pid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((data, kid, jun, sk)) = row else {
            return Ok(None);
        };
        let mut p: Person = from_json(&data)?;
        p.id = pid;
        p.koseki_id = kid;
        p.kisai_jun = jun;
        p.source_key = sk;
        Ok(Some(p))
    }

    /// One person (newest header) with their 身分事項.
    pub fn person(&self, pid: PersonId) -> Result<Option<Person>> {
        let Some(mut p) = self.person_header(pid)? else {
            return Ok(None);
        };
        p.mibun_jiko = self
            .jiko_of_koseki(p.koseki_id)?
            .into_iter()
            .filter(|(o, _)| *o == Some(pid))
            .map(|(_, j)| j)
            .collect();
        Ok(Some(p))
    }

    /// Every version of a person's header, oldest first (for showing history).
    pub fn person_history(&self, pid: PersonId) -> Result<Vec<Person>> {
        let mut stmt = self
            .conn
            .prepare("SELECT data FROM person_version WHERE person_id = ?1 ORDER BY version")?;
        let rows: Vec<String> = stmt
            .query_map([pid], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        rows.iter().map(|d| from_json(d)).collect()
    }

    /// A page of 戸籍 summaries in id order.
    pub fn list_koseki(&self, offset: i64, limit: i64) -> Result<Vec<KosekiSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT k.id, v.honseki_display, v.hittosha_uji, v.hittosha_mei, v.status FROM koseki k
             JOIN koseki_version v ON v.koseki_id = k.id
              AND v.version = (SELECT MAX(version) FROM koseki_version WHERE koseki_id = k.id)
             ORDER BY k.id LIMIT ?1 OFFSET ?2",
        )?;
        let rows = stmt
            .query_map([limit, offset], |r| {
                Ok(KosekiSummary {
                    id: r.get(0)?,
                    honseki: r.get(1)?,
                    hittosha: format!(
                        "{}\u{3000}{}",
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?
                    ),
                    status: KosekiStatus::from_label(&r.get::<_, String>(4)?)
                        .unwrap_or(KosekiStatus::Genzai),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The 附票 of a 戸籍: every entry (superseded ones too), in order.
    pub fn fuhyo(&self, koseki_id: KosekiId) -> Result<Vec<FuhyoEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, data FROM fuhyo_entry WHERE koseki_id = ?1 ORDER BY seq, id")?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([koseki_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, d)| {
                let mut e: FuhyoEntry = from_json(&d)?;
                e.id = id;
                Ok(e)
            })
            .collect()
    }

    pub fn image_register(&self, id: ImageRegisterId) -> Result<Option<ImageRegister>> {
        let row: Option<(String, Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT kind, source_key, data FROM image_register WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((kind, source_key, data)) = row else {
            return Ok(None);
        };
        let h: ImageHeader = from_json(&data)?;
        let mut stmt = self.conn.prepare(
            "SELECT page_no, sha256, media_type, width, height FROM image_page WHERE register_id = ?1 ORDER BY page_no",
        )?;
        let pages = stmt
            .query_map([id], |r| {
                Ok(ImagePage {
                    page_no: r.get(0)?,
                    sha256: r.get(1)?,
                    media_type: r.get(2)?,
                    width: r.get(3)?,
                    height: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(ImageRegister {
            id,
            kind: from_json(&kind)?,
            honseki: h.honseki,
            hittosha: h.hittosha,
            names: h.names,
            closed_date: h.closed_date,
            pages,
            source_key,
            migrated: h.migrated,
        }))
    }

    /// All image register ids, in order.
    pub fn image_register_ids(&self) -> Result<Vec<ImageRegisterId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM image_register ORDER BY id")?;
        Ok(stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn local_gaiji(&self) -> Result<Vec<LocalGaiji>> {
        let mut stmt = self
            .conn
            .prepare("SELECT code_point, vendor, vendor_code, glyph_png, note FROM local_gaiji ORDER BY code_point")?;
        let rows = stmt.query_map([], |r| {
            let cp: u32 = r.get(0)?;
            Ok((
                cp,
                LocalGaiji {
                    code_point: '\0',
                    vendor: r.get(1)?,
                    vendor_code: r.get(2)?,
                    glyph_png: r.get(3)?,
                    note: r.get(4)?,
                },
            ))
        })?;
        rows.map(|row| {
            let (cp, mut g) = row?;
            g.code_point = char::from_u32(cp).ok_or_else(|| {
                StoreError::Invalid(format!("local gaiji code point {cp:#X} is not a character"))
            })?;
            Ok(g)
        })
        .collect()
    }

    /// The newest version of every 受付帳 entry, in 受付番号 order.
    pub fn uketsuke_list(&self) -> Result<Vec<Uketsuke>> {
        self.newest_versions("SELECT u.id, v.data FROM uketsuke u JOIN uketsuke_version v ON v.uketsuke_id = u.id
             AND v.version = (SELECT MAX(version) FROM uketsuke_version WHERE uketsuke_id = u.id) ORDER BY u.uketsuke_no")
            .map(|v| v.into_iter().map(|(id, mut u): (i64, Uketsuke)| { u.id = id; u }).collect())
    }

    /// The newest version of every 不受理申出.
    pub fn fujuri_list(&self) -> Result<Vec<FujuriMoushide>> {
        self.newest_versions("SELECT f.id, v.data FROM fujuri_moushide f JOIN fujuri_version v ON v.fujuri_id = f.id
             AND v.version = (SELECT MAX(version) FROM fujuri_version WHERE fujuri_id = f.id) ORDER BY f.id")
            .map(|v| v.into_iter().map(|(id, mut f): (i64, FujuriMoushide)| { f.id = id; f }).collect())
    }

    fn newest_versions<T: serde::de::DeserializeOwned>(&self, sql: &str) -> Result<Vec<(i64, T)>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, d)| Ok((id, from_json(&d)?)))
            .collect()
    }

    // ----- issuance ------------------------------------------------------------------------

    /// Records an issuance (assigning its 発行番号) and appends the audit entry, atomically:
    /// what the web UI and `koseki certificate` call before rendering the PDF.
    pub fn issue(&self, req: &IssuanceRequest, user: &str, terminal: &str) -> Result<Issuance> {
        self.atomically(|s| {
            let iss = s.record_issuance(req, user, terminal)?;
            let target = match (req.koseki_id, req.person_id, req.image_register_id) {
                (_, Some(p), _) => format!("person:{p}"),
                (Some(k), _, _) => format!("koseki:{k}"),
                (_, _, Some(r)) => format!("image_register:{r}"),
                _ => "none".to_string(),
            };
            s.audit(&crate::audit::AuditEvent {
                user,
                terminal,
                action: crate::audit::AuditAction::Issue,
                target: &target,
                detail: serde_json::json!({
                    "hakko_no": iss.hakko_no,
                    "kind": req.kind.code(),
                    "requester_kubun": req.requester_kubun.label(),
                    "requester_name": req.requester_name,
                    "fee_yen": req.fee_yen,
                    "channel": req.channel,
                }),
            })?;
            Ok(iss)
        })
    }

    /// Reads a 戸籍 for a user and logs the view.
    pub fn view_koseki(&self, id: KosekiId, user: &str, terminal: &str) -> Result<Option<Koseki>> {
        let k = self.koseki(id)?;
        self.audit(&crate::audit::AuditEvent {
            user,
            terminal,
            action: crate::audit::AuditAction::View,
            target: &format!("koseki:{id}"),
            detail: serde_json::json!({"found": k.is_some()}),
        })?;
        Ok(k)
    }

    /// Records an issuance and assigns its 発行番号 (the caller also appends an audit entry:
    /// see [`crate::audit`]; [`Store::issue`] does both).
    pub fn record_issuance(
        &self,
        req: &IssuanceRequest,
        user: &str,
        terminal: &str,
    ) -> Result<Issuance> {
        self.atomically(|s| {
            let next: i64 = s.conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM issuance", [], |r| r.get(0))?;
            let hakko_no = format!("{next:07}");
            let issued_at = util::now_iso();
            // The vendor keys ride along so a bulk reload can re-point the record.
            s.conn.execute(
                "INSERT INTO issuance (id, hakko_no, kind, koseki_id, person_id, image_register_id, requester_kubun,
                   requester_name, fee_yen, channel, issued_at, user_name, terminal,
                   koseki_key, person_key, image_register_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                   (SELECT source_key FROM koseki WHERE id = ?4), (SELECT source_key FROM person WHERE id = ?5),
                   (SELECT source_key FROM image_register WHERE id = ?6))",
                params![
                    next,
                    hakko_no,
                    req.kind.code(),
                    req.koseki_id,
                    req.person_id,
                    req.image_register_id,
                    req.requester_kubun.label(),
                    req.requester_name,
                    req.fee_yen,
                    req.channel,
                    issued_at,
                    user,
                    terminal
                ],
            )?;
            Ok(Issuance {
                id: next,
                hakko_no,
                request: req.clone(),
                issued_at,
                user: user.to_string(),
                terminal: terminal.to_string(),
                pdf_sha256: None,
            })
        })
    }

    /// Records the hash of the PDF produced for an issuance (once).
    pub fn set_issuance_pdf(&self, id: i64, pdf_sha256: &str) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE issuance SET pdf_sha256 = ?2 WHERE id = ?1 AND pdf_sha256 IS NULL",
            params![id, pdf_sha256],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "issuance {id}: no such issuance, or its PDF hash is already set"
            )));
        }
        Ok(())
    }

    /// Issuances, newest first.
    pub fn issuances(&self, limit: i64) -> Result<Vec<Issuance>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, hakko_no, kind, koseki_id, person_id, image_register_id, requester_kubun, requester_name,
                    fee_yen, channel, issued_at, user_name, terminal, pdf_sha256 FROM issuance ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| {
                let kind: String = r.get(2)?;
                let kubun: String = r.get(6)?;
                Ok(Issuance {
                    id: r.get(0)?,
                    hakko_no: r.get(1)?,
                    request: IssuanceRequest {
                        kind: CertificateKind::from_code(&kind).unwrap_or(CertificateKind::Zenbu),
                        koseki_id: r.get(3)?,
                        person_id: r.get(4)?,
                        image_register_id: r.get(5)?,
                        requester_kubun: RequesterKubun::from_label(&kubun)
                            .unwrap_or(RequesterKubun::Honnin),
                        requester_name: r.get(7)?,
                        fee_yen: r.get(8)?,
                        channel: r.get(9)?,
                    },
                    issued_at: r.get(10)?,
                    user: r.get(11)?,
                    terminal: r.get(12)?,
                    pdf_sha256: r.get(13)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    // ----- whole-store facts -----------------------------------------------------------------

    pub fn counts(&self) -> Result<StoreCounts> {
        let c = |t: &str| -> Result<i64> {
            Ok(self
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?)
        };
        Ok(StoreCounts {
            koseki: c("koseki")?,
            persons: c("person")?,
            jiko: c("jiko")?,
            fuhyo_entries: c("fuhyo_entry")?,
            uketsuke: c("uketsuke")?,
            fujuri: c("fujuri_moushide")?,
            image_registers: c("image_register")?,
            image_pages: c("image_page")?,
            blobs: c("blob")?,
            local_gaiji: c("local_gaiji")?,
            users: c("app_user")?,
            audit_entries: c("audit_log")?,
            issuances: c("issuance")?,
        })
    }

    /// A deterministic SHA-256 over the register content (the tables in `CONTENT_TABLES`,
    /// rows in key order, every value with its type): equal content gives an equal hash,
    /// whatever the file's page layout or the staff and audit data.
    pub fn content_hash(&self) -> Result<String> {
        content_hash_of(&self.conn)
    }

    /// `PRAGMA integrity_check` and `PRAGMA cipher_integrity_check`; the list of problems
    /// (empty when sound).
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA cipher_integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            problems.push(format!("cipher: {}", row?));
        }
        Ok(problems)
    }
}

/// [`Store::content_hash`] on any connection to a store (a load hashes on a second one).
pub(crate) fn content_hash_of(conn: &Connection) -> Result<String> {
    let mut h = Sha256::new();
    for (table, order) in CONTENT_TABLES {
        h.update(table.as_bytes());
        h.update([0u8]);
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            for i in 0..n {
                use rusqlite::types::ValueRef;
                match r.get_ref(i)? {
                    ValueRef::Null => h.update([0u8]),
                    ValueRef::Integer(v) => {
                        h.update([1u8]);
                        h.update(v.to_le_bytes());
                    }
                    ValueRef::Real(v) => {
                        h.update([2u8]);
                        h.update(v.to_le_bytes());
                    }
                    ValueRef::Text(b) | ValueRef::Blob(b) => {
                        h.update([3u8]);
                        h.update((b.len() as u64).to_le_bytes());
                        h.update(b);
                    }
                }
            }
            h.update([0xffu8]);
        }
    }
    Ok(util::hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use proptest::prelude::*;

    fn fresh() -> (tempfile::TempDir, Store, Key) {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate();
        let s =
            Store::create_unchecked(&dir.path().join("s.db"), &key, Default::default()).unwrap();
        (dir, s, key)
    }

    #[test]
    fn open_errors_are_clear() {
        let (dir, s, _key) = fresh();
        let path = s.path().to_path_buf();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        drop(s);
        let e = Store::open(&path, &Key::generate()).unwrap_err();
        assert!(matches!(e, StoreError::WrongKey { .. }), "{e}");
        assert!(e.to_string().contains("does not open the store"));
        let e = Store::open(&dir.path().join("none.db"), &Key::generate()).unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }));
        assert!(matches!(
            Store::create(&path, &Key::generate()),
            Err(StoreError::AlreadyExists { .. })
        ));
        // the file is not plaintext SQLite
        let head = std::fs::read(&path).unwrap();
        assert_ne!(&head[..16], b"SQLite format 3\0");
    }

    #[test]
    fn pages_are_16_kib_with_sha256_macs_and_the_legacy_format_is_named() {
        let (dir, s, key) = fresh();
        let size = |conn: &Connection| -> (String, String) {
            (
                conn.query_row("PRAGMA cipher_page_size", [], |r| r.get(0))
                    .unwrap(),
                conn.query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0))
                    .unwrap(),
            )
        };
        assert_eq!(size(&s.conn), ("16384".into(), "HMAC_SHA256".into()));
        drop(s);
        // A store in SQLCipher 4's default format, as koseki wrote them before.
        let legacy = dir.path().join("legacy.db");
        let conn = Connection::open(&legacy).unwrap();
        conn.execute_batch(&format!("PRAGMA key = {};", key.sqlcipher_literal()))
            .unwrap();
        conn.execute_batch(LEGACY_CIPHER_FORMAT).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert_eq!(size(&conn), ("4096".into(), "HMAC_SHA512".into()));
        drop(conn);
        let e = Store::open(&legacy, &key).unwrap_err();
        assert!(matches!(e, StoreError::LegacyCipherFormat { .. }), "{e}");
        assert!(e.to_string().contains("koseki migrate"), "{e}");
        // With another key it is still just the wrong key.
        let e = Store::open(&legacy, &Key::generate()).unwrap_err();
        assert!(matches!(e, StoreError::WrongKey { .. }), "{e}");
    }

    #[test]
    fn version_6_moves_each_jiko_s_items_into_it_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v5.db");
        let key = Key::generate();
        let conn = connect(&path, &key, true).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);",
        )
        .unwrap();
        for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= 5) {
            conn.execute_batch(sql).unwrap();
            conn.execute("INSERT INTO schema_version VALUES (?1, 'then')", [v])
                .unwrap();
        }
        // Items as versions 1–5 stored them: out of order, one BLOB (before the compact
        // hex), one compact hex, one without bytes but with its line; one 事項 without items.
        conn.execute_batch(
            "INSERT INTO koseki (id, source_key) VALUES (1, 'k');
             INSERT INTO jiko (id, koseki_id, seq, kind) VALUES (1, 1, 1, '出生'), (2, 1, 2, '婚姻');
             INSERT INTO jiko_item (jiko_id, pos, tag, value, value_raw, line) VALUES
                (1, 3, '届出人', '父', NULL, '【届出人】父'),
                (1, 1, '出生日', '昭和６１年３月１３日', x'BEBC40', NULL),
                (1, 2, '出生地', '架空県', 'b2cd40*5', NULL);",
        )
        .unwrap();
        drop(conn);
        let s = Store::open(&path, &key).unwrap();
        // Through version 6 and on: version 7's migrated fields are none for older events.
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let jiko = s.jiko_of_koseki(1).unwrap();
        assert!(jiko.iter().all(|(_, j)| j.migrated.is_empty()));
        let items = &jiko[0].1.items;
        assert_eq!(
            items.iter().map(|i| i.tag.as_str()).collect::<Vec<_>>(),
            ["出生日", "出生地", "届出人"]
        );
        assert_eq!(items[0].value.text, "昭和６１年３月１３日");
        assert_eq!(items[0].value.vendor_bytes, Some(vec![0xbe, 0xbc, 0x40]));
        assert_eq!(
            items[1].value.vendor_bytes,
            Some(vec![0xb2, 0xcd, 0x40, 0x40, 0x40, 0x40, 0x40])
        );
        assert_eq!(items[2].value.vendor_bytes, None);
        assert_eq!(items[2].line.as_deref(), Some("【届出人】父"));
        assert!(jiko[1].1.items.is_empty());
        // Still append-only, and the old table is gone.
        assert!(s.conn.execute("UPDATE jiko SET items = '[]'", []).is_err());
        assert!(s.conn.execute("SELECT 1 FROM jiko_item", []).is_err());
    }

    #[test]
    fn jiko_items_column_round_trips() {
        let items = vec![
            JikoItem {
                tag: "出生日".into(),
                value: Text::decoded("昭和６１年３月１３日", vec![0xbe; 9]),
                line: None,
            },
            JikoItem {
                tag: "従前戸籍".into(),
                value: Text::new("「\"引用\"」"),
                line: Some("【従前戸籍】…".into()),
            },
        ];
        let column = jiko_items::encode(&items).unwrap();
        assert!(
            column.starts_with(r#"[["出生日","昭和６１年３月１３日","be*9"],"#),
            "{column}"
        );
        assert_eq!(jiko_items::decode(&column).unwrap(), items);
        assert_eq!(jiko_items::decode("[]").unwrap(), vec![]);
        assert!(jiko_items::decode(r#"[["a","b","zz"]]"#).is_err());
    }

    #[test]
    fn migrated_fields_survive_the_store_everywhere_they_are_kept() {
        let (_d, s, _k) = fresh();
        let fields = |pairs: &[(&str, Text)]| -> MigratedFields {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        let mut k = fixtures::yamabuki();
        k.migrated = fields(&[
            ("hensei_date", Text::new("平成26年7月29日")),
            ("zaiseki_count", Text::new("3")),
        ]);
        k.persons[0].migrated =
            fields(&[("uji_kana", Text::decoded("ﾔﾏﾌﾞｷ", vec![0x8e, 0x8f, 0x40]))]);
        k.persons[0].mibun_jiko[0].migrated = fields(&[
            ("todoke_date", Text::new("昭和61年3月17日")),
            ("masshou", Text::new("true")),
        ]);
        let stored = s.insert_koseki(&k).unwrap();
        let back = s.koseki(stored.id).unwrap().unwrap();
        assert_eq!(back.migrated, k.migrated);
        assert_eq!(back.persons[0].migrated, k.persons[0].migrated);
        assert_eq!(
            back.persons[0].mibun_jiko[0].migrated,
            k.persons[0].mibun_jiko[0].migrated
        );
        // An event with none stores NULL, and reads back as none.
        assert!(
            back.persons[0].mibun_jiko[1..]
                .iter()
                .all(|j| j.migrated.is_empty())
        );
        let one = |sql: &str| -> String { s.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let nulls = one("SELECT CAST(count(*) AS TEXT) FROM jiko WHERE migrated IS NULL");
        assert_ne!(nulls, "0");
        // Values without vendor bytes are plain strings in the JSON; text keeps its bytes.
        assert_eq!(
            one("SELECT migrated FROM jiko WHERE migrated IS NOT NULL"),
            r#"{"masshou":"true","todoke_date":"昭和61年3月17日"}"#
        );
        let person: String = s
            .conn
            .query_row(
                "SELECT data FROM person_version WHERE person_id = ?1",
                [back.persons[0].id],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            person.contains(r#""migrated":{"uji_kana":{"text":"ﾔﾏﾌﾞｷ","vendor_bytes":"8e8f40"}}"#),
            "{person}"
        );
        // A value written before there were migrated fields reads as none.
        let old: Person =
            serde_json::from_str(&serde_json::to_string(&fixtures::yamabuki().persons[0]).unwrap())
                .unwrap();
        assert!(old.migrated.is_empty());
    }

    #[test]
    fn newer_schema_is_refused() {
        let (_d, s, key) = fresh();
        s.conn
            .execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (99, 'x')",
                [],
            )
            .unwrap();
        let path = s.path().to_path_buf();
        drop(s);
        assert!(matches!(
            Store::open(&path, &key),
            Err(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }

    #[test]
    fn corrections_append_and_history_is_kept() {
        let (_d, s, _k) = fresh();
        let k = s.insert_koseki(&fixtures::yamabuki()).unwrap();
        let shota = &k.persons[3];
        let birth = &shota.mibun_jiko[0];
        // 訂正 of the 出生地: a new event referencing the old one
        let mut fix = Jiko::new(
            JikoKind::Teisei,
            vec![
                JikoItem::new("訂正日", "令和８年１月５日"),
                JikoItem::new("訂正事項", "出生地"),
            ],
        );
        fix.corrects = Some((birth.id, CorrectionKind::Teisei));
        let stored = s.append_jiko(k.id, Some(shota.id), &fix).unwrap();
        assert_eq!(stored.seq, 2);
        // a death removes him: new header version
        let mut dead = s.person(shota.id).unwrap().unwrap();
        let death = s
            .append_jiko(
                k.id,
                Some(shota.id),
                &Jiko::new(
                    JikoKind::Shibo,
                    vec![JikoItem::new("死亡日", "令和８年２月１日")],
                ),
            )
            .unwrap();
        dead.removed = true;
        dead.removal_jiko = Some(death.id);
        s.append_person_version(&dead, death.id).unwrap();
        let now = s.person(shota.id).unwrap().unwrap();
        assert!(now.removed);
        assert_eq!(now.mibun_jiko.len(), 3);
        assert_eq!(
            now.mibun_jiko[1].corrects,
            Some((birth.id, CorrectionKind::Teisei))
        );
        assert_eq!(
            now.mibun_jiko[0].items, birth.items,
            "the corrected event is untouched"
        );
        assert_eq!(s.person_history(shota.id).unwrap().len(), 2);
        // the search card follows the newest header
        let hits = s
            .search(&crate::search::SearchQuery::by_name("山吹翔太"))
            .unwrap();
        assert!(hits[0].removed);
        // the store refuses to edit content
        assert!(s.conn.execute("UPDATE jiko SET items = '[]'", []).is_err());
        assert!(s.conn.execute("DELETE FROM person_version", []).is_err());
    }

    #[test]
    fn rebuild_index_finds_the_same() {
        let (_d, s, _k) = fresh();
        fixtures::fill_demo(&s).unwrap();
        let q = crate::search::SearchQuery::by_name("山吹");
        let before = s.search(&q).unwrap();
        s.rebuild_search_index().unwrap();
        assert_eq!(s.search(&q).unwrap(), before);
    }

    #[test]
    fn issuance_numbers_and_audit() {
        let (_d, s, _k) = fresh();
        let k = s.insert_koseki(&fixtures::yamabuki()).unwrap();
        let req = IssuanceRequest {
            kind: CertificateKind::Zenbu,
            koseki_id: Some(k.id),
            person_id: None,
            image_register_id: None,
            requester_kubun: RequesterKubun::Honnin,
            requester_name: "山吹誠一".into(),
            fee_yen: 450,
            channel: "window".into(),
        };
        let a = s.issue(&req, "sato", "T1").unwrap();
        let b = s.issue(&req, "sato", "T1").unwrap();
        assert_eq!(
            (a.hakko_no.as_str(), b.hakko_no.as_str()),
            ("0000001", "0000002")
        );
        s.set_issuance_pdf(a.id, "abc").unwrap();
        assert!(
            s.set_issuance_pdf(a.id, "def").is_err(),
            "the PDF hash is set once"
        );
        let list = s.issuances(10).unwrap();
        assert_eq!(list[1].pdf_sha256.as_deref(), Some("abc"));
        assert_eq!(list[0].request, req);
        let e = s.audit_entries(&Default::default()).unwrap();
        assert_eq!(e[0].action, "issue");
        assert!(e[0].detail.contains("0000002") && e[0].detail.contains("本人等"));
        s.view_koseki(k.id, "sato", "T1").unwrap().unwrap();
        assert_eq!(
            s.audit_entries(&Default::default()).unwrap()[0].target,
            format!("koseki:{}", k.id)
        );
    }

    fn arb_name() -> impl Strategy<Value = String> {
        // CJK, Ext B, PUA, IVS selectors, kana, compatibility ideographs, full-width digits
        let ch = prop_oneof![
            (0x4E00u32..0x9FFF).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            (0x20000u32..0x2A6DF).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            (0xE000u32..0xF8FF).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            (0xF900u32..0xFA6D).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            (0x30A1u32..0x30F6).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            ((0x4E00u32..0x9FFF), (0xE0100u32..0xE01EF)).prop_map(|(b, v)| format!(
                "{}{}",
                char::from_u32(b).unwrap(),
                char::from_u32(v).unwrap()
            )),
        ];
        proptest::collection::vec(ch, 1..6).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn names_and_bytes_survive_the_store_exactly(uji in arb_name(), mei in arb_name(), raw in proptest::collection::vec(any::<u8>(), 0..40)) {
            let (_d, s, _k) = fresh();
            let mut k = fixtures::yamabuki();
            k.persons[0].name = PersonName { uji: Text::decoded(uji.clone(), raw.clone()), mei: Text::new(mei.clone()) };
            k.persons[0].mibun_jiko[0].items[0].value = Text::decoded(format!("{uji}{mei}"), raw.clone());
            let stored = s.insert_koseki(&k).unwrap();
            let back = s.koseki(stored.id).unwrap().unwrap();
            prop_assert_eq!(&back.persons[0].name.uji.text, &uji);
            prop_assert_eq!(&back.persons[0].name.uji.vendor_bytes, &Some(raw.clone()));
            prop_assert_eq!(&back.persons[0].name.mei.text, &mei);
            prop_assert_eq!(&back.persons[0].mibun_jiko[0].items[0].value.vendor_bytes, &Some(raw));
            prop_assert_eq!(back.persons, stored.persons);
        }
    }
}
