//! The store's encryption key: 256 random bits in a key file the operator creates once.
//!
//! File format: 64 lowercase hex digits and a newline, mode 0600. The key is handed to
//! SQLCipher as a raw key (`x'…'`), so no passphrase KDF runs on every open.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::util::{hex, random_bytes, unhex};

/// The environment variable naming the key file when `--key-file` is not given.
pub const KEY_FILE_ENV: &str = "KOSEKI_KEY_FILE";

/// A 256-bit store key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    /// A fresh random key from the OS RNG.
    pub fn generate() -> Key {
        Key(random_bytes::<32>())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// The SQLCipher raw-key literal, `"x'<hex>'"` (for `PRAGMA key`).
    pub(crate) fn sqlcipher_literal(&self) -> String {
        format!("\"{}\"", self.attach_literal())
    }

    /// The raw-key form `x'<hex>'` (for `ATTACH … KEY ?`).
    pub(crate) fn attach_literal(&self) -> String {
        format!("x'{}'", hex(&self.0))
    }

    /// Writes a new random key to `path` (mode 0600). Refuses to overwrite an existing file:
    /// losing a key makes every store and backup made with it unreadable.
    pub fn init_file(path: &Path) -> Result<Key> {
        let key = Key::generate();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    path: path.to_path_buf(),
                }
            } else {
                StoreError::io(path, e)
            }
        })?;
        writeln!(f, "{}", hex(&key.0)).map_err(|e| StoreError::io(path, e))?;
        f.sync_all().map_err(|e| StoreError::io(path, e))?;
        Ok(key)
    }

    /// Reads a key file.
    pub fn read_file(path: &Path) -> Result<Key> {
        let bad = |reason: &str| StoreError::BadKeyFile {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => bad("no such file"),
            _ => StoreError::io(path, e),
        })?;
        let bytes =
            unhex(text.trim()).ok_or_else(|| bad("not a koseki key (expected 64 hex digits)"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| bad("not a koseki key (expected 64 hex digits, 256 bits)"))?;
        Ok(Key(arr))
    }

    /// The key from `--key-file` if given, else from `$KOSEKI_KEY_FILE`, else a clear error.
    pub fn resolve(key_file: Option<&Path>) -> Result<Key> {
        let path: PathBuf = match key_file {
            Some(p) => p.to_path_buf(),
            None => match std::env::var_os(KEY_FILE_ENV) {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => return Err(StoreError::NoKeyFile),
            },
        };
        Key::read_file(&path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_then_read_and_refuse_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let k = Key::init_file(&p).unwrap();
        assert_eq!(Key::read_file(&p).unwrap(), k);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(matches!(
            Key::init_file(&p),
            Err(StoreError::AlreadyExists { .. })
        ));
        assert_ne!(Key::generate(), Key::generate());
    }

    #[test]
    fn rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, "hello").unwrap();
        let e = Key::read_file(&p).unwrap_err();
        assert!(e.to_string().contains("64 hex digits"), "{e}");
        assert!(format!("{:?}", Key::generate()).contains('…'));
    }
}
