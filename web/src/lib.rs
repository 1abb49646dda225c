//! `koseki serve`: the staff web UI. Server-rendered Japanese HTML over HTTPS (rustls), no
//! scripts and no external network; IPAmj明朝 served from the installed file as the page
//! font so every MJ glyph (IVS included) shows as recorded.
//!
//! Security shape: every page but the login form needs a session (cookie `__Host-koseki`,
//! Secure, HttpOnly, SameSite=Strict; the token is minted by `runtime` at login, so a token
//! planted before login is never adopted); every POST carries the session's CSRF token; every
//! handler checks the role's permission and the operating hours; every search, view,
//! issuance and login goes to the audit chain; all output is escaped by maud.

mod find;
mod hours;
mod pages;
mod server;
mod tls;

pub use hours::OperatingHours;
pub use server::{RunningServer, start};
pub use tls::TlsFiles;

use std::net::SocketAddr;
use std::path::PathBuf;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub db: PathBuf,
    pub key: runtime::Key,
    pub listen: SocketAddr,
    /// PEM files; `None` = a self-signed pair beside the db (generated on first run).
    pub tls: Option<TlsFiles>,
    pub hours: OperatingHours,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] runtime::StoreError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("font: {0}")]
    Font(#[from] certificate::CertificateError),
    #[error("server: {0}")]
    Server(String),
}

/// Run until Ctrl-C (blocking; builds its own tokio runtime).
pub fn serve_blocking(config: WebConfig) -> Result<(), WebError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| WebError::Server(e.to_string()))?;
    rt.block_on(async move {
        let server = start(config).await?;
        eprintln!("koseki serve: https://{}/ (Ctrl-C stops)", server.addr);
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| WebError::Server(e.to_string()))?;
        server.stop();
        Ok(())
    })
}
