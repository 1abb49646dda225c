//! `koseki decode`: bytes on stdin in a legacy code page → UTF-8 on stdout.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use moji::{CodePage, DecodeError, DecodeStream, Decoder, FieldKind, GaijiMap, Undefined};

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

/// Input read per chunk: the decoder keeps at most one byte over, so memory stays constant
/// whatever the input size.
const CHUNK: usize = 4 << 20;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let map = match &args.code_table {
        Some(p) => Some(GaijiMap::load(p)?),
        None => None,
    };
    let mut decoder = Decoder::new(args.encoding).strict(args.strict);
    if let Some(m) = &map {
        decoder = decoder.with_gaiji(m);
    }
    let kind = match args.field {
        Field::Mixed => FieldKind::Mixed,
        Field::Sbcs => FieldKind::SingleByte,
        Field::Dbcs => FieldKind::DoubleByte,
    };
    let mut input = std::io::stdin().lock();
    let mut out = raw_stdout()?;
    let mut report = Report::default();
    let result = match decoder.stream(kind) {
        Some(stream) => decode_chunks(stream, &mut input, &mut out, &mut report),
        // encoding_rs pages: the whole input at once.
        None => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).context("reading stdin")?;
            let mut text: Vec<u8> = Vec::with_capacity(bytes.len() * 3 / 2 + 16);
            let mut undefined = Vec::new();
            let r = match args.field {
                Field::Mixed => decoder.decode_mixed_utf8(&bytes, &mut text, &mut undefined),
                Field::Sbcs => decoder.decode_sbcs_utf8(&bytes, &mut text, &mut undefined),
                Field::Dbcs => decoder.decode_dbcs_utf8(&bytes, &mut text, &mut undefined),
            };
            report.add(&mut undefined);
            out.write_all(&text).context("writing stdout").map(|()| r)
        }
    };
    let result = result.and_then(|r| {
        out.flush().context("writing stdout")?;
        Ok(r)
    });
    // The reader went away (`koseki decode … | head`): not an error of ours.
    if let Err(e) = &result
        && e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = result? {
        anyhow::bail!("stdin ({}): {e}", args.encoding);
    }
    if report.count == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let first: Vec<String> = report.first.iter().map(|u| u.to_string()).collect();
    eprintln!(
        "koseki decode: {} undefined code{} in stdin ({}) replaced with U+FFFD; first: {}{}",
        report.count,
        if report.count == 1 { "" } else { "s" },
        args.encoding,
        first.join("; "),
        if report.count > LISTED { "; …" } else { "" }
    );
    Ok(ExitCode::from(1))
}

/// Stdout without Rust's line buffering, which scans every write for its last newline (a
/// tenth of the run time with megabyte writes): a `File` on a duplicate of fd 1.
fn raw_stdout() -> anyhow::Result<Box<dyn Write>> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating stdout")?;
        Ok(Box::new(std::fs::File::from(fd)))
    }
    #[cfg(not(unix))]
    Ok(Box::new(std::io::stdout().lock()))
}

/// The undefined codes found: how many, and the first [`LISTED`].
#[derive(Default)]
struct Report {
    count: usize,
    first: Vec<Undefined>,
}

impl Report {
    fn add(&mut self, undefined: &mut Vec<Undefined>) {
        self.count += undefined.len();
        let room = LISTED.saturating_sub(self.first.len());
        self.first.extend(undefined.iter().take(room).copied());
        undefined.clear();
    }
}

/// Read stdin a chunk at a time, decode, write: I/O errors are `Err`, a strict decoding
/// failure is `Ok(Err)` (after the text before it is written).
fn decode_chunks(
    mut stream: DecodeStream<'_>,
    input: &mut impl Read,
    out: &mut impl Write,
    report: &mut Report,
) -> anyhow::Result<Result<(), DecodeError>> {
    let mut buf = vec![0u8; CHUNK];
    let mut text = Vec::with_capacity(CHUNK * 2);
    let mut undefined = Vec::new();
    let mut carry = 0;
    loop {
        let mut len = carry;
        let mut eof = false;
        while len < buf.len() {
            match input.read(&mut buf[len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(k) => len += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("reading stdin"),
            }
        }
        text.clear();
        let r = stream.decode_utf8_parallel(&buf[..len], eof, &mut text, &mut undefined);
        out.write_all(&text).context("writing stdout")?;
        report.add(&mut undefined);
        let used = match r {
            Ok(used) => used,
            Err(e) => return Ok(Err(e)),
        };
        if eof {
            return Ok(Ok(()));
        }
        buf.copy_within(used..len, 0);
        carry = len - used;
    }
}
