//! `koseki sample`: write a synthetic vendor dataset (the reference city by default).
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a synthetic vendor dataset: copybooks, JEF/EBCDIK data files with header and trailer
/// records, code lists, gaiji (BDF, PNG, TTF), TIFF G4 register images and manifest.json.
#[derive(clap::Args)]
pub struct Args {
    /// Folder to write (created if absent).
    #[arg(long)]
    out: PathBuf,
    /// Persons registered in current 戸籍; every other count scales with it.
    #[arg(long, default_value_t = 80_333)]
    persons: usize,
    /// Register images to draw: a number, or `all`.
    #[arg(long, default_value = "300")]
    images: String,
    /// Random seed: one seed, one byte-identical dataset.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Plant damaged records (listed in manifest.json under `faults`).
    #[arg(long)]
    faults: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let images = if args.images.eq_ignore_ascii_case("all") {
        samples::Images::All
    } else {
        samples::Images::Count(args.images.parse().map_err(|_| {
            anyhow::anyhow!("--images takes a number or `all`, not {:?}", args.images)
        })?)
    };
    if args.persons == 0 {
        anyhow::bail!("--persons must be at least 1");
    }
    let mut opts = samples::Options::new(&args.out);
    opts.persons = args.persons;
    opts.images = images;
    opts.seed = args.seed;
    opts.faults = args.faults;
    let bar = crate::progress::bar("sample", 7);
    let m = samples::generate(&opts, &|phase| {
        bar.set_message(phase.to_string());
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    eprintln!(
        "wrote {}: {} current 戸籍, {} 全部除籍, {} persons registered, {} removed, {} gaiji, {} images, {} faults",
        args.out.display(),
        m.entities["koseki_current"],
        m.entities["koseki_closed"],
        m.entities["persons_registered"],
        m.entities["persons_removed"],
        m.gaiji.len(),
        m.entities["image_files"],
        m.faults.len()
    );
    Ok(ExitCode::SUCCESS)
}
