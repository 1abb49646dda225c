//! `koseki gaiji-font`: build the TrueType font of the gaiji that match no standard character.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use identify::mapping::MappingTable;

/// Build a font of the gaiji the reviewed table marks `none`, on local private-use code points
/// (from U+F0000 unless the table's ucs column already gives one). Prints `code<TAB>U+XXXXX`
/// for each glyph on stdout.
#[derive(clap::Args)]
pub struct Args {
    /// Reviewed table (mappings/moji format).
    #[arg(long)]
    pub mapping: PathBuf,
    /// Output font file.
    #[arg(long)]
    pub out: PathBuf,
    /// The gaiji list the table was made from (default: the table's `# gaiji:` line).
    #[arg(long)]
    pub gaiji: Option<PathBuf>,
    /// Family name of the font.
    #[arg(long, default_value = "Koseki Local Gaiji")]
    pub family: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let table = MappingTable::read(&args.mapping)?;
    let source = match args.gaiji {
        Some(p) => p,
        None => PathBuf::from(table.comment("gaiji").with_context(|| {
            format!(
                "{}: no `# gaiji: PATH` line; give --gaiji",
                args.mapping.display()
            )
        })?),
    };
    let gaiji = identify::input::read_gaiji(&source)?;
    let (ttf, assigned) = identify::local_font::build_local_font(&table, &gaiji, &args.family)
        .with_context(|| format!("{}", args.mapping.display()))?;
    std::fs::write(&args.out, ttf)
        .with_context(|| format!("{}: cannot write", args.out.display()))?;
    let mut out = String::from("code\tucs\n");
    for (code, cp) in &assigned {
        out.push_str(&format!("{code}\tU+{cp:04X}\n"));
    }
    print!("{out}");
    eprintln!(
        "koseki gaiji-font: {} glyphs written to {}",
        assigned.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
