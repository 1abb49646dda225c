//! migrate: a vendor dataset into the runtime store, provably. The vendor's meaning of each
//! file and field comes from a profile (`mappings/profiles/`); characters go through the code
//! page and the 文字同定 table; every record is loaded or quarantined with its reason; counts
//! are reconciled against the vendor's trailers; the report says so.

use std::path::{Path, PathBuf};

pub mod chars;
pub mod diff;
pub mod images;
pub mod load;
pub mod profile;
pub mod read;
pub mod run;
pub mod stage;
pub mod validate;
pub mod value;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("profile: {0}")]
    Profile(String),
    #[error("mapping: {0}")]
    Mapping(String),
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Report(#[from] reports::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
