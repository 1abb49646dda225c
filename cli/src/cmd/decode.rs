//! `koseki decode`: bytes on stdin in a legacy code page → UTF-8 on stdout.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use moji::{CodePage, Decoder, GaijiMap};

/// How many undefined codes the lenient report lists by offset.
const LISTED: usize = 10;

#[derive(clap::Args)]
#[command(after_help = "\
Exit status:
  0  every byte decoded
  1  (lenient, the default) some codes were undefined: each became U+FFFD, and stderr gives
     their count and the first offsets
  2  bad usage or unreadable input, or (--strict) an undefined code: stderr names its byte
     offset; the text before it is still written

Lenient and strict differ only for undefined codes. JEF extended-area codes (0x41A1-0x7FFE)
are undefined unless --code-table gives them.")]
pub struct Args {
    /// Code page of the input: ebcdic-kana (IBM 290), ibm930, ibm939, ibm1390, ibm1399,
    /// jef (Fujitsu), cp932, euc-jp.
    #[arg(long, value_name = "NAME")]
    pub encoding: CodePage,
    /// Stop at the first undefined code (exit 2) instead of writing U+FFFD.
    #[arg(long)]
    pub strict: bool,
    /// Vendor code table (TSV: code<TAB>ucs[<TAB>ivs]) for JEF's extended and user-defined
    /// areas (or IBM user-defined codes).
    #[arg(long, value_name = "FILE")]
    pub code_table: Option<PathBuf>,
    /// What the input is: a mixed stream with shift codes, a single-byte field (PIC X), or a
    /// double-byte field without shift codes (PIC N).
    #[arg(long, value_enum, default_value = "mixed")]
    pub field: Field,
}

/// The shape of the input.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Field {
    /// Single and double bytes with shift codes.
    Mixed,
    /// Single bytes only.
    Sbcs,
    /// Double bytes only, no shift codes.
    Dbcs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let map = match &args.code_table {
        Some(p) => Some(GaijiMap::load(p)?),
        None => None,
    };
    let mut input = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut input)
        .context("reading stdin")?;

    let mut decoder = Decoder::new(args.encoding).strict(args.strict);
    if let Some(m) = &map {
        decoder = decoder.with_gaiji(m);
    }
    let mut text: Vec<u8> = Vec::with_capacity(input.len() * 3 / 2 + 16);
    let mut undefined = Vec::new();
    let result = match args.field {
        Field::Mixed => decoder.decode_mixed_utf8(&input, &mut text, &mut undefined),
        Field::Sbcs => decoder.decode_sbcs_utf8(&input, &mut text, &mut undefined),
        Field::Dbcs => decoder.decode_dbcs_utf8(&input, &mut text, &mut undefined),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&text).context("writing stdout")?;
    out.flush().context("writing stdout")?;
    if let Err(e) = result {
        anyhow::bail!("stdin ({}): {e}", args.encoding);
    }
    if undefined.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let first: Vec<String> = undefined
        .iter()
        .take(LISTED)
        .map(|u| u.to_string())
        .collect();
    eprintln!(
        "koseki decode: {} undefined code{} in stdin ({}) replaced with U+FFFD; first: {}{}",
        undefined.len(),
        if undefined.len() == 1 { "" } else { "s" },
        args.encoding,
        first.join("; "),
        if undefined.len() > LISTED {
            "; …"
        } else {
            ""
        }
    );
    Ok(ExitCode::from(1))
}
