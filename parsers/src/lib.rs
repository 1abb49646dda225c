//! parsers: record layouts (COBOL copybooks and vendors' layout tables), fixed-length and RDW
//! record readers, field codecs (zoned, packed, binary, code-page text) and a record writer.
//!
//! Invariants: nothing here panics on outside input; every problem names the record (from 1),
//! the byte offset and the field; numbers are exact decimals, never floats.
//!
//! Reading a vendor file into typed values (what `migrate` does):
//!
//! ```text
//! let layout = parsers::load_layout(Path::new("layout/K03KOJIN.cpy"))?;   // or a .csv/.tsv table
//! let enc = parsers::Encoding::by_name("jef")?;        // EBCDIK for PIC X, JEF for PIC N
//! let spec = parsers::ReadSpec::default();              // or ReadSpec::parse_profile(text)
//! let plan = parsers::Plan::new(&layout, &enc, &spec)?; // record types: --record-type rules,
//!                                                      // else the 01s' first-field VALUEs
//! let file = parsers::DataFile::open(Path::new("data/K03KOJIN.DAT"))?;   // memory-mapped
//! let result = parsers::read_all(&plan, file.bytes(), parsers::DecodeOptions::default());
//! for r in &result.records { r.value.path("K03-SHIMEI.K03-UJI"); /* Value::Text / Number */ }
//! for e in &result.errors { /* record, offset, field, message: quarantine */ }
//! for t in &result.trailers { t.ok(); /* stated vs counted */ }
//! ```
//!
//! Streaming instead: `plan.records(bytes)` yields `RawRecord`s (slices of the file) and
//! `plan.decode_value(&raw, options)` decodes one. Writing: [`RecordWriter`].

pub mod codec;
pub mod copybook;
pub mod decimal;
pub mod decode;
pub mod dump;
mod jsonfast;
mod jsontree;
pub mod layout;
mod moji_codec;
#[cfg(feature = "parquet")]
pub mod parquet_out;
pub mod reader;
pub mod table;
pub mod value;
pub mod writer;

pub use codec::{Encoding, Family, TextCodec, UnknownEncoding};
pub use copybook::{CopybookError, SourceFormat, parse_copybook};
pub use decimal::Decimal;
pub use decode::{DecodeOptions, FieldProblem, JsonSink, RecordDecoder, Sink, ValueSink};
pub use layout::{Codec, Item, ItemKind, Layout, Occurs, RecordLayout, SignPosition};
pub use reader::{
    DataFile, DecodedRecord, Framing, Plan, RawRecord, ReadResult, ReadSpec, RecordError,
    RecordTypeRule, SpecError, TrailerCountRule, TrailerResult, read_all,
};
pub use value::Value;
pub use writer::{RecordWriter, WriteError};

/// Problems loading a layout file.
#[derive(Debug, thiserror::Error)]
pub enum LayoutFileError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Copybook(#[from] CopybookError),
    #[error("{0}")]
    Table(#[from] table::TableError),
}

/// Loads a layout: a layout table when the file name ends in `.csv` or `.tsv`, else a
/// copybook (format detected).
pub fn load_layout(path: &std::path::Path) -> Result<Layout, LayoutFileError> {
    let text = std::fs::read_to_string(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => Ok(table::parse_layout_table(&text, b',')?),
        Some("tsv") => Ok(table::parse_layout_table(&text, b'\t')?),
        _ => Ok(parse_copybook(&text, SourceFormat::Auto)?),
    }
}

/// Parquet output when this crate is built with the `parquet` feature; otherwise an error
/// saying so (so the CLI compiles either way).
pub fn dump_parquet<W: std::io::Write + Send>(
    plan: &Plan<'_>,
    data: &[u8],
    options: &dump::DumpOptions,
    out: W,
    on_error: &mut dyn FnMut(&RecordError),
) -> Result<dump::DumpSummary, String> {
    #[cfg(feature = "parquet")]
    {
        parquet_out::dump_parquet(plan, data, options, out, on_error).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "parquet"))]
    {
        let _ = (plan, data, options, out, on_error);
        Err("this koseki was built without Parquet support (parsers feature `parquet`)".into())
    }
}
