//! runtime: the 戸籍 register after cutover — domain model, encrypted store, auth, audit,
//! search and backups. The web UI (`web`) and certificates (`certificate`) sit on top; migrate
//! loads into it.
//!
//! # Map
//! - [`model`]: the domain types (Koseki, Person, Jiko/MibunJiko with 【】 items, FuhyoEntry,
//!   Uketsuke, FujuriMoushide, ImageRegister, LocalGaiji, issuance). Text is never normalised;
//!   vendor bytes ride along in [`model::Text`]; dates are [`model::KosekiDate`] (和暦 + text +
//!   Gregorian).
//! - [`key::Key`]: the 256-bit key file (`koseki key init`), found by `--key-file` or
//!   `KOSEKI_KEY_FILE` ([`Key::resolve`]).
//! - [`store::Store`]: [`Store::create`] / [`Store::open`] (SQLCipher; schema migrations from
//!   `runtime/migrations/`), writes (`insert_koseki`, `append_jiko`, `append_person_version`,
//!   `insert_fuhyo`, `put_blob`, `insert_image_register`, …), reads (`koseki`, `person`,
//!   `fuhyo`, `image_register`, `blob`, `local_gaiji`, `list_koseki`, …), issuance
//!   ([`Store::issue`] assigns the 発行番号 and logs), `content_hash`, `counts`.
//! - [`bulk::BulkLoad`]: migrate's atomic load (temporary file, then rename over the target).
//! - [`search`]: [`Store::search`] / [`Store::search_logged`] with a [`search::SearchQuery`].
//! - [`auth`]: roles and [`auth::Permission`], `add_user`, `login` (password + TOTP, lockout),
//!   `session`, `logout`; [`totp`] for codes and the `otpauth://` URI.
//! - [`audit`]: [`Store::audit`] appends, [`Store::audit_entries`] lists,
//!   [`Store::audit_verify`] checks the hash chain.
//! - [`backup`]: two verified generations and restore.
//! - [`fixtures`]: a demo store with realistic entries, for tests before migrate.
//!
//! A `Store` is one SQLite connection: `Send`, not `Sync`; share it behind a `Mutex` or open
//! one per worker (cheap: the raw key needs no KDF).

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
pub mod scope;
pub mod search;
pub mod store;
pub mod totp;
pub mod util;

pub use error::{Result, StoreError};
pub use key::Key;
pub use store::{PreparedFuhyo, PreparedKoseki, Store};
