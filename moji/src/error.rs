//! Typed errors of the code pages.

use std::fmt;
use std::path::PathBuf;

/// Why a byte sequence decoded to U+FFFD (lenient) or failed (strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UndefinedReason {
    /// The code page assigns no character to this code.
    Unmapped,
    /// A double-byte code was cut off by the end of the input (or of the field).
    Truncated,
    /// A JEF extended-area code (0x41A1..0x7FFE) and no vendor code table gives it.
    NeedsCodeTable,
}

/// One undefined code found while decoding: where it is (byte offset from the start of the
/// slice given to the decoder), its bytes, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Undefined {
    /// Byte offset of the code's first byte, from the start of the decoded slice.
    pub offset: usize,
    /// The code's bytes; only the first `len` are meaningful.
    pub bytes: [u8; 2],
    /// 1 for a single byte (or a cut-off double byte), 2 for a double byte.
    pub len: u8,
    /// Why it did not decode.
    pub reason: UndefinedReason,
}

impl Undefined {
    /// The code's bytes.
    pub fn code(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len.min(2))]
    }
}

impl fmt::Display for Undefined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.reason {
            UndefinedReason::Unmapped => "undefined code",
            UndefinedReason::Truncated => "truncated double-byte code",
            UndefinedReason::NeedsCodeTable => {
                "JEF extended-area code with no vendor code table (give one with --code-table)"
            }
        };
        write!(f, "{what} 0x")?;
        for b in self.code() {
            write!(f, "{b:02X}")?;
        }
        write!(f, " at byte offset {}", self.offset)
    }
}

/// A decoding failure (only in strict mode: lenient decoding never fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// An undefined code, with its offset.
    #[error("{0}")]
    Undefined(Undefined),
}

impl DecodeError {
    /// The byte offset the error names.
    pub fn offset(&self) -> usize {
        match self {
            DecodeError::Undefined(u) => u.offset,
        }
    }
}

/// Which part of a code page an encoder was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A mixed stream with shift codes.
    Mixed,
    /// A single-byte field (COBOL PIC X).
    SingleByte,
    /// A double-byte field without shift codes (COBOL PIC N / PIC G).
    DoubleByte,
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldKind::Mixed => "mixed",
            FieldKind::SingleByte => "single-byte",
            FieldKind::DoubleByte => "double-byte",
        })
    }
}

/// An encoding failure: a character the code page (in this field kind) cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The character has no code in this code page / field kind.
    #[error("U+{:04X} {ch:?} at text byte offset {offset} has no {kind} code in {page}", u32::from(*ch))]
    Unmappable {
        /// The character.
        ch: char,
        /// Its byte offset in the UTF-8 text.
        offset: usize,
        /// The code page.
        page: crate::CodePage,
        /// The field kind asked for.
        kind: FieldKind,
    },
}

/// A vendor code table (TSV) that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CodeTableError {
    /// The file cannot be read.
    #[error("cannot read code table {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not `code<TAB>ucs[<TAB>ivs]`.
    #[error("code table {source_name}, line {line}: {message}")]
    Syntax {
        /// The file (or `<memory>`).
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
