//! TLS material: the operator's PEM files, or a self-signed pair generated once and kept
//! beside the store (`<db>.tls-cert.pem`, `<db>.tls-key.pem`, key file mode 0600).

use std::path::{Path, PathBuf};

use crate::WebError;

#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// The self-signed pair's paths for a store at `db`.
    pub fn beside(db: &Path) -> TlsFiles {
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "koseki".into());
        let dir = db.parent().unwrap_or(Path::new("."));
        TlsFiles {
            cert: dir.join(format!("{name}.tls-cert.pem")),
            key: dir.join(format!("{name}.tls-key.pem")),
        }
    }
}

/// The PEM pair to use: given files, or the self-signed pair beside the db (created when absent).
pub fn resolve(db: &Path, given: Option<&TlsFiles>) -> Result<(Vec<u8>, Vec<u8>), WebError> {
    let files = match given {
        Some(f) => f.clone(),
        None => {
            let f = TlsFiles::beside(db);
            if !f.cert.exists() || !f.key.exists() {
                generate(&f)?;
            }
            f
        }
    };
    let cert = std::fs::read(&files.cert).map_err(|e| WebError::Io(files.cert.clone(), e))?;
    let key = std::fs::read(&files.key).map_err(|e| WebError::Io(files.key.clone(), e))?;
    Ok((cert, key))
}

fn generate(f: &TlsFiles) -> Result<(), WebError> {
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let ck = rcgen::generate_simple_self_signed(names).map_err(|e| WebError::Tls(e.to_string()))?;
    write_private(&f.key, ck.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&f.cert, ck.cert.pem()).map_err(|e| WebError::Io(f.cert.clone(), e))?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), WebError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts
        .open(path)
        .map_err(|e| WebError::Io(path.to_path_buf(), e))?;
    file.write_all(bytes)
        .map_err(|e| WebError::Io(path.to_path_buf(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pair_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let (cert1, key1) = resolve(&db, None).unwrap();
        assert!(String::from_utf8_lossy(&cert1).contains("BEGIN CERTIFICATE"));
        assert!(String::from_utf8_lossy(&key1).contains("PRIVATE KEY"));
        let (cert2, _) = resolve(&db, None).unwrap();
        assert_eq!(cert1, cert2, "reused on the next start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(TlsFiles::beside(&db).key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "private key readable by the owner only");
        }
        let missing = TlsFiles {
            cert: dir.path().join("no.pem"),
            key: dir.path().join("no.key"),
        };
        assert!(matches!(
            resolve(&db, Some(&missing)),
            Err(WebError::Io(..))
        ));
    }
}
