//! `--db` and `--key-file`, shared by the subcommands that open a store as an operator.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct StoreArgs {
    /// The store.
    #[arg(long)]
    pub db: PathBuf,
    /// The store's key file.
    #[arg(long, env = "KOSEKI_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl StoreArgs {
    /// Open the store with the key these arguments (or `KOSEKI_KEY_FILE`) name.
    pub fn open(&self) -> anyhow::Result<runtime::Store> {
        let key = runtime::Key::resolve(self.key_file.as_deref())?;
        Ok(runtime::Store::open(&self.db, &key)?)
    }
}
