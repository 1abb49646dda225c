//! moji: legacy code pages and the character model.
//!
//! # Code pages
//!
//! [`CodePage`] names the eight code pages by their command-line names (`FromStr`/`Display`):
//! `ebcdic-kana`, `ibm930`, `ibm939`, `ibm1390`, `ibm1399`, `jef`, `cp932`, `euc-jp`. The
//! EBCDIC and JEF tables are generated from glibc iconv by `mappings/codepages/generate.py`
//! (for JEF's standard area, with the JIS C 6226-1978 shapes of
//! `mappings/codepages/jis1978-shapes.tsv`) and embedded at compile time; nothing calls
//! iconv at run time.
//!
//! Decoding appends to a `String` and reports undefined codes with their byte offsets:
//!
//! ```
//! use moji::{CodePage, Decoder, Undefined};
//! let page: CodePage = "ibm930".parse().unwrap();
//! let mut text = String::new();
//! let mut undefined: Vec<Undefined> = Vec::new();
//! // Lenient (default): U+FFFD + a list entry per undefined code; never fails.
//! Decoder::new(page).decode_mixed(b"\xC1\x0E\x45\x41\x0F\x57", &mut text, &mut undefined).unwrap();
//! assert_eq!(text, "A一\u{FFFD}");
//! assert_eq!(undefined[0].offset, 5);
//! // Strict: the first undefined code is an error naming its offset.
//! let err = Decoder::new(page).strict(true).decode_sbcs(b"\xC1\x57", &mut String::new(), &mut Vec::new());
//! assert_eq!(err.unwrap_err().offset(), 1);
//! ```
//!
//! - [`Decoder::decode_mixed`]: a stream with shift codes (IBM SO 0x0E / SI 0x0F; JEF 0x28
//!   or 0x38 / 0x29).
//! - [`Decoder::stream`]: any of the three, chunk by chunk in constant memory
//!   ([`DecodeStream`]).
//! - [`Decoder::decode_sbcs`]: a single-byte field (COBOL PIC X).
//! - [`Decoder::decode_dbcs`]: a double-byte field without shift codes (PIC N / PIC G).
//! - [`Encoder::encode_mixed`], [`Encoder::encode_sbcs`], [`Encoder::encode_dbcs`]: the
//!   inverses (strict: an unmappable character is an [`EncodeError`] naming its offset).
//! - [`decode`] / [`encode`]: one-call conveniences for whole mixed streams.
//! - [`GaijiMap`]: a vendor code table (TSV `code<TAB>ucs[<TAB>ivs]`) for JEF's extended area
//!   (0x41A1..0x7FFE, undefined without one) and user-defined area (0x80A1..0xA0FE, by default
//!   U+E000 + (hi−0x80)×94 + (lo−0xA1)); pass it with `with_gaiji`.
//! - [`kana`]: half-width ↔ full-width katakana (ｶﾞ ↔ ガ) for EBCDIC カナ readings.
//!
//! Deviations from glibc iconv and from the jef4j reference table are listed in
//! `docs/moji.md`.

pub mod codepage;
pub mod decode;
pub mod encode;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod gaiji;
pub mod kana;
pub mod refdata;
mod tables;

pub use codepage::{CodePage, UnknownCodePage};
pub use decode::{DecodeStream, Decoded, Decoder, Mode, decode};
pub use encode::{Encoder, encode};
pub use error::{CodeTableError, DecodeError, EncodeError, FieldKind, Undefined, UndefinedReason};
pub use gaiji::{GaijiEntry, GaijiMap};
