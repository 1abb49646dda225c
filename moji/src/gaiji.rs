//! Vendor code tables: JEF user-defined (外字) and extended-area codes → UCS (+ IVS).

use std::collections::HashMap;
use std::path::Path;

use crate::error::CodeTableError;

/// What one vendor double-byte code stands for: a UCS character and, where the glyph needs
/// one, its ideographic variation selector (U+E0100..U+E01EF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GaijiEntry {
    /// The character.
    pub ucs: char,
    /// The variation selector, if any.
    pub ivs: Option<char>,
}

/// A vendor code table: double-byte code → [`GaijiEntry`], with the reverse for encoding.
///
/// For JEF it gives the extended area 0x41A1..0x7FFE (which decodes only through such a
/// table) and may override the user-defined area 0x80A1..0xA0FE (which otherwise decodes to
/// U+E000 + (hi−0x80)×94 + (lo−0xA1)). The TSV form is `code<TAB>ucs[<TAB>ivs]`, e.g.
/// `41A1\tU+4E02` or `80A1\tU+8FBB\tU+E0100`; codes are hex (an optional `0x`), characters
/// `U+XXXX`, bare hex, or the character itself; `#` starts a comment line; a first line whose
/// code is not hex (a header) is skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GaijiMap {
    by_code: HashMap<u16, GaijiEntry>,
    by_char: HashMap<(char, Option<char>), u16>,
}

impl GaijiMap {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace the entry of `code`; returns the entry it replaced. The encoder emits
    /// the lowest code for a character given by several codes.
    pub fn insert(&mut self, code: u16, entry: GaijiEntry) -> Option<GaijiEntry> {
        let old = self.by_code.insert(code, entry);
        if let Some(o) = old
            && self.by_char.get(&(o.ucs, o.ivs)) == Some(&code)
        {
            self.by_char.remove(&(o.ucs, o.ivs));
            // Another code may still give the old character.
            if let Some((&c, _)) = self
                .by_code
                .iter()
                .filter(|(_, e)| **e == o)
                .min_by_key(|(c, _)| **c)
            {
                self.by_char.insert((o.ucs, o.ivs), c);
            }
        }
        let slot = self.by_char.entry((entry.ucs, entry.ivs)).or_insert(code);
        if code < *slot {
            *slot = code;
        }
        old
    }

    /// The entry of a double-byte code.
    pub fn get(&self, code: u16) -> Option<&GaijiEntry> {
        self.by_code.get(&code)
    }

    /// The code of a character (+ IVS), for encoding.
    pub fn code_for(&self, ucs: char, ivs: Option<char>) -> Option<u16> {
        self.by_char.get(&(ucs, ivs)).copied()
    }

    /// Whether the table lists codes of JEF's standard area (0xA1A1..0xFEFE, or 0x4040):
    /// the decoder then lets it override the built-in standard-area table.
    pub fn overrides_standard_area(&self) -> bool {
        self.by_code.keys().any(|&c| c >= 0xA1A1 || c == 0x4040)
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Every (code, entry), in code order.
    pub fn entries(&self) -> Vec<(u16, GaijiEntry)> {
        let mut v: Vec<_> = self.by_code.iter().map(|(c, e)| (*c, *e)).collect();
        v.sort_by_key(|(c, _)| *c);
        v
    }

    /// Read a TSV code table from a file.
    pub fn load(path: &Path) -> Result<Self, CodeTableError> {
        let text = std::fs::read_to_string(path).map_err(|source| CodeTableError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_tsv_named(&text, &path.display().to_string())
    }

    /// Parse a TSV code table held in memory.
    pub fn from_tsv(text: &str) -> Result<Self, CodeTableError> {
        Self::from_tsv_named(text, "<memory>")
    }

    fn from_tsv_named(text: &str, name: &str) -> Result<Self, CodeTableError> {
        let mut map = GaijiMap::new();
        let err = |line: usize, message: String| CodeTableError::Syntax {
            source_name: name.to_string(),
            line,
            message,
        };
        let mut first = true;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let code_s = cols.next().unwrap_or("").trim();
            let code = match parse_hex_code(code_s) {
                Some(c) => c,
                None if first => {
                    first = false;
                    continue; // a header line
                }
                None => {
                    return Err(err(
                        i + 1,
                        format!("code {code_s:?} is not a hex double-byte code"),
                    ));
                }
            };
            first = false;
            let ucs_s = cols.next().unwrap_or("").trim();
            let ucs = parse_char(ucs_s).ok_or_else(|| {
                err(
                    i + 1,
                    format!("ucs {ucs_s:?} is not U+XXXX or one character"),
                )
            })?;
            let ivs = match cols.next().map(str::trim) {
                None | Some("") => None,
                Some(s) => {
                    let c = parse_char(s)
                        .ok_or_else(|| err(i + 1, format!("ivs {s:?} is not U+XXXX")))?;
                    if !('\u{E0100}'..='\u{E01EF}').contains(&c)
                        && !('\u{FE00}'..='\u{FE0F}').contains(&c)
                    {
                        return Err(err(
                            i + 1,
                            format!("ivs U+{:04X} is not a variation selector", u32::from(c)),
                        ));
                    }
                    Some(c)
                }
            };
            map.insert(code, GaijiEntry { ucs, ivs });
        }
        Ok(map)
    }
}

fn parse_hex_code(s: &str) -> Option<u16> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if h.len() != 4 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(h, 16).ok()
}

fn parse_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    if let (Some(c), None) = (it.next(), it.next())
        && !c.is_ascii_hexdigit()
    {
        return Some(c);
    }
    let h = s
        .strip_prefix("U+")
        .or_else(|| s.strip_prefix("u+"))
        .unwrap_or(s);
    if h.is_empty() || h.len() > 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    char::from_u32(u32::from_str_radix(h, 16).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tsv_with_header_comments_and_ivs() {
        let m = GaijiMap::from_tsv("code\tucs\tivs\n# c\n41A1\tU+4E02\n0x8 0A1\tx\n").unwrap_err();
        assert!(m.to_string().contains("line 4"), "{m}");
        let m =
            GaijiMap::from_tsv("code\tucs\tivs\n# c\n41A1\tU+4E02\n80A1\t辻\tU+E0100\r\n").unwrap();
        assert_eq!(
            m.get(0x41A1),
            Some(&GaijiEntry {
                ucs: '丂',
                ivs: None
            })
        );
        assert_eq!(
            m.get(0x80A1),
            Some(&GaijiEntry {
                ucs: '辻',
                ivs: Some('\u{E0100}')
            })
        );
        assert_eq!(m.code_for('辻', Some('\u{E0100}')), Some(0x80A1));
        assert_eq!(m.code_for('辻', None), None);
    }

    #[test]
    fn rejects_non_selector_ivs() {
        assert!(GaijiMap::from_tsv("41A1\tU+4E02\tU+4E03\n").is_err());
    }

    #[test]
    fn reinsert_keeps_reverse_consistent() {
        let mut m = GaijiMap::new();
        let a = GaijiEntry {
            ucs: 'a',
            ivs: None,
        };
        let b = GaijiEntry {
            ucs: 'b',
            ivs: None,
        };
        m.insert(0x4242, a);
        m.insert(0x4241, a);
        assert_eq!(m.code_for('a', None), Some(0x4241));
        m.insert(0x4241, b);
        assert_eq!(m.code_for('a', None), Some(0x4242));
        assert_eq!(m.code_for('b', None), Some(0x4241));
    }
}
