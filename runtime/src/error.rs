//! Errors of the runtime store.

use std::path::PathBuf;

/// Anything that can go wrong opening, reading or writing a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no key file: pass --key-file FILE or set KOSEKI_KEY_FILE (create one once with `koseki key init FILE`)"
    )]
    NoKeyFile,
    #[error("key file {path}: {reason}")]
    BadKeyFile { path: PathBuf, reason: String },
    #[error("{path}: this key does not open the store (wrong key file, or not a koseki store)")]
    WrongKey { path: PathBuf },
    #[error(
        "{path}: written in an earlier page format (4 KiB pages, HMAC-SHA512) that this version does not open; load the vendor's files again with `koseki migrate` into a new store"
    )]
    LegacyCipherFormat { path: PathBuf },
    #[error("{path}: no store here (create one with migrate, or check --db)")]
    NotFound { path: PathBuf },
    #[error("{path}: already exists; refusing to overwrite")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: store schema version {found} is newer than this program knows ({known})")]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "{path}: the store holds what the runtime recorded after cutover ({what}); a bulk load would replace it, so it refuses"
    )]
    RecordedAfterCutover { path: PathBuf, what: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    Missing(String),
    #[error("backup check failed for {path}: {reason}")]
    BackupCheck { path: PathBuf, reason: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}
