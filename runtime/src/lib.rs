//! runtime: the 戸籍 register after cutover — domain model, encrypted store, auth, audit,
//! search and backups. The web UI (`web`) and certificates (`certificate`) sit on top.
//!
//! Start with [`store::Store::open`] (a [`key::Key`] from `--key-file` / `KOSEKI_KEY_FILE`),
//! read with [`store::Store::koseki`], find with [`store::Store::search`], and log every
//! read and change through [`audit`].

pub mod audit;
pub mod auth;
pub mod backup;
pub mod bulk;
pub mod error;
pub mod fixtures;
pub mod fold;
mod index;
pub mod key;
pub mod model;
pub mod search;
pub mod store;
pub mod totp;
pub mod util;

pub use error::{Result, StoreError};
pub use key::Key;
pub use store::Store;
