//! `koseki restore`: bring back a backup generation.

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Restore the store from a backup made by `koseki backup`.

Procedure: stop `koseki serve`; run
  koseki restore --dir BACKUPDIR --db STORE [--generation 1|2] --force
(or --from FILE for a specific backup file). The backup is verified first (integrity,
cipher integrity, counts and content hash against its manifest) by restoring it into a
scratch file; only then is it copied beside STORE and renamed into place, so a failure
leaves STORE as it was. Without --force an existing STORE is never replaced. The key must
be the one the backup was made with (--key-file or KOSEKI_KEY_FILE). The restore is
written to the restored store's audit log. Exit 1 if the backup fails its checks.";

/// Arguments of `koseki restore`; the procedure is in [`HELP`], shown by `--help`.
#[derive(clap::Args)]
#[command(after_help = HELP)]
pub struct Args {
    /// Backup folder (as given to `koseki backup --dir`).
    #[arg(long, conflicts_with = "from", required_unless_present = "from")]
    dir: Option<PathBuf>,
    /// Generation in --dir: 1 is the newest, 2 the one before.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    generation: u32,
    /// A specific backup file instead of --dir/--generation.
    #[arg(long)]
    from: Option<PathBuf>,
    /// The store to write.
    #[arg(long)]
    db: PathBuf,
    /// Replace an existing store.
    #[arg(long)]
    force: bool,
    /// The key file the backup was made with.
    #[arg(long, env = "KOSEKI_KEY_FILE")]
    key_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = runtime::Key::resolve(args.key_file.as_deref())?;
    let file = match (&args.from, &args.dir) {
        (Some(f), _) => f.clone(),
        (None, Some(d)) => runtime::backup::generation_path(d, args.generation),
        (None, None) => anyhow::bail!("give --dir DIR or --from FILE"),
    };
    if !file.is_file() {
        anyhow::bail!("{}: no backup file there", file.display());
    }
    match runtime::backup::restore(&file, &key, &args.db, args.force) {
        Ok(m) => {
            println!(
                "restored {} into {} ({} 戸籍, {} persons, content {})",
                file.display(),
                args.db.display(),
                m.counts.koseki,
                m.counts.persons,
                &m.content_hash[..16]
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ runtime::StoreError::BackupCheck { .. }) => {
            eprintln!("koseki: backup failed its checks, nothing restored: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
