//! `koseki backup`: two verified generations.

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Back up the store into DIR, keeping two generations (koseki-backup.1.db newest,
koseki-backup.2.db the one before, each with a .json manifest).

The copy stays encrypted with the store's key. Each generation is verified by restoring it
into a scratch file and checking PRAGMA integrity_check, cipher_integrity_check, row counts
and the content hash; only a verified copy is rotated in. Exit 1 if a check fails.
See `koseki restore --help` to bring one back.";

/// Arguments of `koseki backup`; the procedure is in [`HELP`], shown by `--help`.
#[derive(clap::Args)]
#[command(after_help = HELP)]
pub struct Args {
    /// The live store.
    #[arg(long)]
    db: PathBuf,
    /// The backup folder (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// The store's key file.
    #[arg(long, env = "KOSEKI_KEY_FILE")]
    key_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = runtime::Key::resolve(args.key_file.as_deref())?;
    match runtime::backup::backup(&args.db, &key, &args.dir) {
        Ok(checks) => {
            for c in checks {
                println!(
                    "generation {}: {} verified ({} 戸籍, {} persons, {} audit entries, content {})",
                    c.generation,
                    c.path.display(),
                    c.manifest.counts.koseki,
                    c.manifest.counts.persons,
                    c.manifest.counts.audit_entries,
                    &c.manifest.content_hash[..16]
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ runtime::StoreError::BackupCheck { .. }) => {
            eprintln!("koseki: backup NOT verified: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
