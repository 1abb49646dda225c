use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Run the staff web UI over HTTPS.
#[derive(clap::Args)]
pub struct Args {
    /// The store.
    #[arg(long)]
    db: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The store's key file (or KOSEKI_KEY_FILE).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// TLS certificate (PEM). Without it, a self-signed pair is generated beside the db.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Operating hours, Japan time, HH:MM-HH:MM; outside them staff pages refuse unless an
    /// administrator overrides (logged).
    #[arg(long, default_value = "08:00-21:00")]
    hours: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = runtime::Key::resolve(args.key_file.as_deref())?;
    let hours: web::OperatingHours = args.hours.parse().map_err(anyhow::Error::msg)?;
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(web::TlsFiles { cert, key }),
        _ => None,
    };
    web::serve_blocking(web::WebConfig {
        db: args.db.clone(),
        key,
        listen: args.listen,
        tls,
        hours,
    })
    .with_context(|| format!("serving {}", args.db.display()))?;
    Ok(ExitCode::SUCCESS)
}
