//! parsers: record layouts (COBOL copybooks and vendors' layout tables), fixed-length and RDW
//! record readers, field codecs (zoned, packed, binary, code-page text) and a record writer.
//!
//! Invariants: nothing here panics on outside input; every problem names the record (from 1),
//! the byte offset and the field; numbers are exact decimals, never floats.

pub mod codec;
pub mod copybook;
pub mod decimal;
pub mod decode;
pub mod layout;
mod moji_codec;
pub mod value;
pub mod writer;

pub use codec::{Encoding, Family, TextCodec, UnknownEncoding};
pub use copybook::{CopybookError, SourceFormat, parse_copybook};
pub use decimal::Decimal;
pub use decode::{DecodeOptions, FieldProblem, JsonSink, RecordDecoder, Sink, ValueSink};
pub use layout::{Codec, Item, ItemKind, Layout, Occurs, RecordLayout, SignPosition};
pub use value::Value;
pub use writer::{RecordWriter, WriteError};
