//! `koseki diff`: what changed between two migration rounds, down to the field.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub struct Args {
    /// The earlier round's store.
    #[arg(long)]
    old: PathBuf,
    /// The later round's store.
    #[arg(long)]
    new: PathBuf,
    /// Folder for diff.html, diff.csv and diff.json.
    #[arg(long)]
    report: PathBuf,
    /// The stores' key file (or KOSEKI_KEY_FILE).
    #[arg(long, env = "KOSEKI_KEY_FILE")]
    key_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = runtime::Key::resolve(args.key_file.as_deref()).context("the stores' key")?;
    let bar = crate::progress::bar("diff", 1);
    let report = migrate::diff::diff(&args.old, &args.new, &key)?;
    bar.finish_and_clear();
    reports::diff::write(&args.report, &report)?;
    if report.is_empty() {
        println!("no differences");
    }
    for (kind, c) in &report.summary {
        println!(
            "{kind}: {} added, {} removed, {} changed ({} fields)",
            c.added, c.removed, c.changed, c.fields
        );
    }
    println!("report: {}", args.report.join("diff.html").display());
    Ok(ExitCode::SUCCESS)
}
