//! `koseki key init FILE`: create the store's encryption key.

use std::path::PathBuf;
use std::process::ExitCode;

/// Manage the 256-bit key that encrypts the store and its backups (SQLCipher).
///
/// Every command that opens a store finds the key through `--key-file FILE` or the
/// `KOSEKI_KEY_FILE` environment variable.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(clap::Subcommand)]
enum KeyCommand {
    /// Write a new random 256-bit key to FILE (mode 0600). Refuses to overwrite: a lost or
    /// replaced key makes the store and every backup made with it unreadable.
    Init {
        /// Where to write the key.
        file: PathBuf,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        KeyCommand::Init { file } => {
            runtime::Key::init_file(&file)?;
            eprintln!(
                "koseki: wrote a new key to {} (mode 0600); keep a copy in a safe place: without it the store and its backups cannot be read",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
