//! `koseki dump`: print each record of a fixed-length (or RDW) file, field by field.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use parsers::dump::{DumpOptions, Format};
use parsers::{
    DataFile, DecodeOptions, Encoding, Plan, ReadSpec, RecordTypeRule, TrailerCountRule,
};

#[derive(clap::Args)]
pub struct Args {
    /// Record layout: a COBOL copybook (.cpy) or a layout table (.csv / .tsv). Level-66
    /// RENAMES come out as one more key after the record's fields: `66 X RENAMES A` is A's
    /// value under the name X; `66 X RENAMES A THRU B` is an object of the items from A
    /// through B, decoded as in the record (CSV: columns `X.A` ...).
    #[arg(long)]
    pub layout: PathBuf,
    /// The data file.
    #[arg(long)]
    pub data: PathBuf,
    /// Code page: ebcdic-kana, ibm930, ibm939, ibm1390, ibm1399, jef, cp932, euc-jp (ascii for
    /// plain files). `jef` reads PIC X as EBCDIK and PIC N as JEF. Default: the profile's, or jef.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Output format. jsonl: groups nested, OCCURS as arrays; csv: flattened names
    /// (`CHILD_2.CHILD-NAME`); parquet: groups as Struct columns, OCCURS as List columns.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv", "parquet"])]
    pub format: String,
    /// Fixed record length (default: the layout's length).
    #[arg(long)]
    pub lrecl: Option<usize>,
    /// Variable-length records, each with a 4-byte RDW.
    #[arg(long)]
    pub rdw: bool,
    /// FIELD=VALUE:LAYOUT: records whose FIELD holds VALUE are read with the 01 record LAYOUT.
    #[arg(long = "record-type")]
    pub record_type: Vec<String>,
    /// FIELD=LAYOUT[,LAYOUT...]: the trailer's FIELD must equal the count of those records.
    #[arg(long = "trailer-count")]
    pub trailer_count: Vec<String>,
    /// A profile file with the same settings (encoding, lrecl, rdw, record-type, trailer-count).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Vendor code table (TSV code<TAB>ucs[<TAB>ivs]) for gaiji codes.
    #[arg(long = "code-table")]
    pub code_table: Option<PathBuf>,
    /// Keep trailing spaces / U+3000 in text fields.
    #[arg(long)]
    pub keep_padding: bool,
    /// Stop after N problems.
    #[arg(long)]
    pub max_errors: Option<usize>,
    /// Write here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let layout =
        parsers::load_layout(&args.layout).with_context(|| format!("{}", args.layout.display()))?;
    let mut spec = match &args.profile {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?;
            ReadSpec::parse_profile(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => ReadSpec::default(),
    };
    if args.lrecl.is_some() {
        spec.lrecl = args.lrecl;
    }
    spec.rdw |= args.rdw;
    for r in &args.record_type {
        spec.record_types
            .push(r.parse::<RecordTypeRule>().map_err(anyhow::Error::msg)?);
    }
    for t in &args.trailer_count {
        spec.trailer_counts
            .push(t.parse::<TrailerCountRule>().map_err(anyhow::Error::msg)?);
    }
    let enc_name = args
        .encoding
        .clone()
        .or(spec.encoding.clone())
        .unwrap_or_else(|| "jef".to_string());
    let encoding = match &args.code_table {
        Some(p) => {
            let map = moji::GaijiMap::load(p)?;
            Encoding::with_gaiji(&enc_name, Arc::new(map))?
        }
        None => Encoding::by_name(&enc_name)?,
    };
    let plan = Plan::new(&layout, &encoding, &spec)?;
    let data = DataFile::open(&args.data).with_context(|| format!("{}", args.data.display()))?;
    let options = DumpOptions {
        format: match args.format.as_str() {
            "csv" => Format::Csv,
            "jsonl" => Format::Jsonl,
            "parquet" => Format::Jsonl, // handled below
            other => bail!("unknown format {other}"),
        },
        decode: DecodeOptions {
            keep_padding: args.keep_padding,
        },
        max_errors: args.max_errors,
        ..DumpOptions::default()
    };
    let file = args.data.display().to_string();
    let mut report = |e: &parsers::RecordError| eprintln!("koseki: {file}: {e}");
    let summary = if args.format == "parquet" {
        let r = match &args.out {
            Some(p) => {
                let f = std::fs::File::create(p).with_context(|| format!("{}", p.display()))?;
                parsers::dump_parquet(
                    &plan,
                    data.bytes(),
                    &options,
                    std::io::BufWriter::new(f),
                    &mut report,
                )
            }
            None => parsers::dump_parquet(
                &plan,
                data.bytes(),
                &options,
                std::io::BufWriter::new(std::io::stdout()),
                &mut report,
            ),
        };
        r.map_err(anyhow::Error::msg)?
    } else {
        match &args.out {
            Some(p) => {
                let f = std::fs::File::create(p).with_context(|| format!("{}", p.display()))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                let s = parsers::dump::dump(&plan, data.bytes(), &options, &mut w, &mut report)?;
                w.flush()?;
                s
            }
            None => {
                let stdout = std::io::stdout();
                let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
                let s =
                    match parsers::dump::dump(&plan, data.bytes(), &options, &mut w, &mut report) {
                        Ok(s) => s,
                        // A closed pipe (`| head`) is not an error of ours.
                        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                            return Ok(ExitCode::SUCCESS);
                        }
                        Err(e) => return Err(e.into()),
                    };
                match w.flush() {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                    _ => {}
                }
                s
            }
        }
    };
    if summary.stopped_early {
        eprintln!(
            "koseki: {file}: stopped after {} problems (--max-errors)",
            summary.errors
        );
    }
    if summary.errors > 0 {
        eprintln!(
            "koseki: {file}: {} records read, {} written, {} problems",
            summary.records, summary.written, summary.errors
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
