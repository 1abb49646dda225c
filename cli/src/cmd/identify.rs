//! `koseki identify`: find the standard (MJ) character of every vendor gaiji by its glyph.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;
use identify::mapping::{MappingTable, read_known};
use identify::run::{Options, draft_mapping, identify, to_tsv};

/// Identify vendor gaiji with MJ characters (文字同定). Exit 1 when some gaiji have no exact
/// or design match (they need a human).
#[derive(clap::Args)]
pub struct Args {
    /// The gaiji list: a TrueType/OpenType font (glyphs on private-use code points), a BDF
    /// bitmap font, or a folder of images `<code>.png|bmp|tif` (code = vendor code in hex).
    #[arg(long)]
    pub gaiji: PathBuf,
    /// Reference font (default: the installed IPAmj明朝).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Candidates per gaiji.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub top: u16,
    /// Output TSV: code rank mj ucs ivs score level.
    #[arg(long)]
    pub out: PathBuf,
    /// Write the HTML review page (index.html, img/*.png) and a draft reviewed table
    /// (mapping-draft.tsv) into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Reviewed table of earlier rounds (mappings/moji format): its decisions are reused and
    /// its gaiji are not shown again.
    #[arg(long)]
    pub reviewed: Option<PathBuf>,
    /// Known-code table (code<TAB>kind<TAB>value; kind mj|ucs|koseki|juki|jis): gaiji listed
    /// there are settled by table, not by glyph.
    #[arg(long)]
    pub known: Option<PathBuf>,
    /// MJ table database (default: the installed @mandel59/mojidata moji.db).
    #[arg(long)]
    pub mojidata: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let gaiji = identify::input::read_gaiji(&args.gaiji)?;
    let reference = args
        .reference
        .unwrap_or_else(moji::refdata::ipamj_font_path);
    let mojidata = args
        .mojidata
        .unwrap_or_else(moji::refdata::mojidata_db_path);
    let reviewed = args
        .reviewed
        .as_deref()
        .map(MappingTable::read)
        .transpose()?;
    let known = args
        .known
        .as_deref()
        .map(read_known)
        .transpose()?
        .unwrap_or_default();
    let opts = Options {
        reference,
        mojidata,
        top: args.top as usize,
        known,
        reviewed,
    };
    let bars: Mutex<Option<(String, indicatif::ProgressBar)>> = Mutex::new(None);
    let progress = |phase: &str, done: usize, len: usize| {
        if let Ok(mut b) = bars.lock() {
            if b.as_ref().is_none_or(|(p, _)| p != phase) {
                if let Some((_, old)) = b.take() {
                    old.finish_and_clear();
                }
                *b = Some((phase.to_string(), crate::progress::bar(phase, len as u64)));
            }
            if let Some((_, bar)) = b.as_ref() {
                bar.set_position(done as u64);
            }
        }
    };
    let outcome = identify(&gaiji, &opts, &progress)?;
    if let Ok(mut b) = bars.lock()
        && let Some((_, bar)) = b.take()
    {
        bar.finish_and_clear();
    }
    std::fs::write(&args.out, to_tsv(&outcome.results))
        .with_context(|| format!("{}: cannot write", args.out.display()))?;
    if let Some(dir) = &args.report {
        identify::report::write_report(dir, &gaiji, &outcome)?;
        let draft = draft_mapping(&outcome.results, opts.reviewed.as_ref(), &args.gaiji);
        let p = dir.join("mapping-draft.tsv");
        std::fs::write(&p, draft.to_tsv())
            .with_context(|| format!("{}: cannot write", p.display()))?;
    }
    let unresolved = outcome
        .results
        .iter()
        .filter(|r| !r.level().identifies())
        .count();
    for ix in outcome.indexes.values().filter(|ix| ix.build_seconds > 0.0) {
        eprintln!(
            "koseki identify: built the {}-entry reference index ({} px{}) in {:.1} s",
            ix.len(),
            ix.style.size,
            if ix.style.binary { ", dots" } else { "" },
            ix.build_seconds
        );
    }
    eprintln!("koseki identify: {}", identify::run::summary(&outcome));
    Ok(if unresolved > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
