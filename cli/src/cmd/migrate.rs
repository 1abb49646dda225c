//! `koseki migrate`: a vendor dataset into the store, every record loaded or quarantined,
//! counts reconciled against the vendor's trailers, reports for QA.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;
use indicatif::ProgressBar;

#[derive(clap::Args)]
pub struct Args {
    /// The vendor dataset folder (data files, copybooks, code lists, gaiji list, images).
    #[arg(long)]
    input: PathBuf,
    /// The 文字同定 table: the reviewed decision table, or `koseki identify`'s TSV (rank-1
    /// rows at level exact or design are taken; the rest become local gaiji).
    #[arg(long)]
    mapping: PathBuf,
    /// The store to (re)build. It is replaced only when the whole load succeeded.
    #[arg(long)]
    db: PathBuf,
    /// Folder for the reports (HTML, CSV, JSON, summary.json).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Name of this round (e.g. rehearsal-1, final).
    #[arg(long, default_value = "round")]
    round: String,
    /// The store's key file (or KOSEKI_KEY_FILE).
    #[arg(long, env = "KOSEKI_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Vendor profile (default: the shipped mappings/profiles/fujitsu-sample.toml).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Do not decode and store the TIFF image registers (their 見出し are still loaded).
    #[arg(long)]
    no_images: bool,
}

/// One bar per phase.
struct Bars(Mutex<Option<ProgressBar>>);

impl migrate::run::Progress for Bars {
    fn start(&self, phase: &str, len: u64) {
        if let Ok(mut b) = self.0.lock() {
            *b = Some(crate::progress::bar(phase, len));
        }
    }
    fn inc(&self, n: u64) {
        if let Ok(b) = self.0.lock()
            && let Some(b) = b.as_ref()
        {
            b.inc(n);
        }
    }
    fn finish(&self) {
        if let Ok(mut b) = self.0.lock()
            && let Some(b) = b.take()
        {
            b.finish_and_clear();
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = runtime::Key::resolve(args.key_file.as_deref()).context("the store's key")?;
    let (profile, origin) = match &args.profile {
        Some(p) => (migrate::profile::Profile::load(p)?, p.display().to_string()),
        None => (
            migrate::profile::Profile::default_profile(),
            migrate::profile::DEFAULT_PROFILE_NAME.to_string(),
        ),
    };
    let opts = migrate::run::Options {
        input: args.input.clone(),
        mapping: args.mapping,
        db: args.db,
        round: args.round,
        profile,
        profile_origin: origin,
        key,
        images: !args.no_images,
    };
    let bars = Bars(Mutex::new(None));
    let outcome = migrate::run::migrate(&opts, &bars)?;
    let s = &outcome.report.summary;
    if let Some(dir) = &args.report {
        migrate::run::write_report(dir, &args.input, &opts.profile, &outcome.report)?;
    }
    println!(
        "round {}: {} (quarantined {}, content hash {})",
        s.round,
        if s.reconciled {
            "reconciled"
        } else {
            "NOT reconciled"
        },
        s.quarantined,
        s.content_hash
    );
    for (entity, c) in &s.counts {
        if !c.reconciles() {
            println!(
                "  {entity}: source {} read {} loaded {} quarantined {}",
                c.source.map_or("-".to_string(), |n| n.to_string()),
                c.read,
                c.loaded,
                c.quarantined
            );
        }
    }
    if let Some(dir) = &args.report {
        println!("report: {}", dir.join("index.html").display());
    }
    Ok(ExitCode::from(outcome.exit))
}
