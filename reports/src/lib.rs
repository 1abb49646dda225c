//! reports: what a migration round produced, written for people (HTML) and programs (CSV,
//! JSON): 件数照合表, 文字照合, 整合性, 隔離, 実行ログ, the システム移行結果報告書 that sums
//! them up, `summary.json`, and the round-to-round diff.
//!
//! The crate holds no migration logic: `migrate` fills [`model::MigrationReport`] and
//! [`diff::DiffReport`]; this crate only lays them out. Each table is built once as a polars
//! `DataFrame` ([`tables`], [`frame`]) and its CSV, JSON and HTML are written from it.

use std::fs;
use std::path::{Path, PathBuf};

pub mod diff;
pub mod frame;
pub mod html;
pub mod migration;
pub mod model;
pub mod tables;

pub use model::*;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Building a table or writing its CSV/JSON (polars).
    #[error("{path}: {source}")]
    Polars {
        path: PathBuf,
        source: polars::prelude::PolarsError,
    },
    #[error("{path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn polars(path: &Path, source: polars::prelude::PolarsError) -> Self {
        Error::Polars {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Pretty JSON with a trailing newline.
pub fn write_json<T: serde::Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    bytes.push(b'\n');
    fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// Read a round's `summary.json`.
pub fn read_summary(path: &Path) -> Result<Summary, Error> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        source: e,
    })
}
