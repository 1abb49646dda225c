//! The generated code-page tables (mappings/codepages/*.tsv, made by generate.py from glibc
//! iconv), embedded at compile time and parsed once on first use (about a millisecond).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::CodePage;

/// Table value of a code with no character.
pub(crate) const UNDEF: char = '\u{FFFF}';
/// Table value of a code whose text is two or more code points (see [`Table::multi`]).
pub(crate) const MULTI: char = '\u{FFFE}';

/// One code page's tables, both directions.
pub(crate) struct Table {
    /// Byte → character, [`UNDEF`] when undefined.
    pub sbcs: [char; 256],
    /// Double-byte code (hi << 8 | lo) → character, [`UNDEF`] or [`MULTI`].
    pub dbcs: Box<[char; 65536]>,
    /// The same as UTF-8 for the byte-output fast path: bytes in the low 24 bits (first byte
    /// lowest), length (1..=3) in the top 8; 0 where the slow path must decide (undefined,
    /// several code points, or a 4-byte character).
    pub dbcs8: Box<[u32; 65536]>,
    /// Byte → UTF-8, packed the same way.
    pub sbcs8: [u32; 256],
    /// Codes that decode to several code points (IBM 1390/1399: e.g. か゚ = U+304B U+309A).
    pub multi: HashMap<u16, String>,
    /// Character → byte.
    pub enc_sbcs: HashMap<char, u8>,
    /// Character → double-byte code.
    pub enc_dbcs: HashMap<char, u16>,
    /// First character of a multi-code-point text → (rest, code), for the encoder's look-ahead.
    pub enc_multi: HashMap<char, Vec<(String, u16)>>,
}

impl Table {
    #[inline]
    pub fn dbcs_at(&self, code: u16) -> char {
        self.dbcs[usize::from(code)]
    }
}

fn source(page: CodePage) -> &'static str {
    match page {
        CodePage::EbcdicKana => include_str!("../../mappings/codepages/ebcdic-kana.tsv"),
        CodePage::Ibm930 => include_str!("../../mappings/codepages/ibm930.tsv"),
        CodePage::Ibm939 => include_str!("../../mappings/codepages/ibm939.tsv"),
        CodePage::Ibm1390 => include_str!("../../mappings/codepages/ibm1390.tsv"),
        CodePage::Ibm1399 => include_str!("../../mappings/codepages/ibm1399.tsv"),
        CodePage::Jef => include_str!("../../mappings/codepages/jef.tsv"),
        // encoding_rs holds these; an empty table is never consulted.
        CodePage::Cp932 | CodePage::EucJp => "",
    }
}

/// The tables of a code page (built on first use, then shared).
pub(crate) fn table(page: CodePage) -> &'static Table {
    static CELLS: [OnceLock<Table>; 8] = [const { OnceLock::new() }; 8];
    let i = CodePage::ALL.iter().position(|p| *p == page).unwrap_or(0);
    CELLS[i].get_or_init(|| parse(source(page)))
}

/// Parse a generated TSV. Lines that do not parse are skipped; the unit tests check that
/// every line of every shipped table parses.
pub(crate) fn parse(text: &str) -> Table {
    let mut t = Table {
        sbcs: [UNDEF; 256],
        dbcs: Box::new([UNDEF; 65536]),
        dbcs8: Box::new([0; 65536]),
        sbcs8: [0; 256],
        multi: HashMap::new(),
        enc_sbcs: HashMap::new(),
        enc_dbcs: HashMap::new(),
        enc_multi: HashMap::new(),
    };
    for line in text.lines() {
        let Some((code, chars, flag)) = parse_line(line) else {
            continue;
        };
        let decode_only = flag == Flag::DecodeOnly;
        if flag == Flag::EncodeOnly {
            // The 1983 form of a JEF code that decodes to its 1978 form: encoder only.
            match (code, chars.as_slice()) {
                (Code::Single(b), [c]) => {
                    t.enc_sbcs.entry(*c).or_insert(b);
                }
                (Code::Double(d), [c]) => {
                    t.enc_dbcs.entry(*c).or_insert(d);
                }
                _ => {}
            }
            continue;
        }
        match (code, chars.as_slice()) {
            (Code::Single(b), [c]) => {
                t.sbcs[usize::from(b)] = *c;
                if !decode_only {
                    t.enc_sbcs.entry(*c).or_insert(b);
                }
            }
            (Code::Double(d), [c]) => {
                t.dbcs[usize::from(d)] = *c;
                if !decode_only {
                    t.enc_dbcs.entry(*c).or_insert(d);
                }
            }
            (Code::Double(d), [first, rest @ ..]) if !rest.is_empty() => {
                t.dbcs[usize::from(d)] = MULTI;
                let text: String = chars.iter().collect();
                if !decode_only {
                    t.enc_multi
                        .entry(*first)
                        .or_default()
                        .push((rest.iter().collect(), d));
                }
                t.multi.insert(d, text);
            }
            _ => {}
        }
    }
    for (u, c) in t.dbcs8.iter_mut().zip(t.dbcs.iter()) {
        *u = utf8_packed(*c);
    }
    for (u, c) in t.sbcs8.iter_mut().zip(t.sbcs.iter()) {
        *u = utf8_packed(*c);
    }
    // Longest look-ahead first, so the encoder prefers the longest match.
    for v in t.enc_multi.values_mut() {
        v.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
    }
    t
}

/// A character's UTF-8 packed as in [`Table::dbcs8`]; 0 for the sentinels and 4-byte ones.
fn utf8_packed(c: char) -> u32 {
    if c == UNDEF || c == MULTI || c.len_utf8() > 3 {
        return 0;
    }
    let mut b = [0u8; 4];
    let len = c.encode_utf8(&mut b).len();
    b[3] = len as u8;
    u32::from_le_bytes(b)
}

#[derive(Clone, Copy)]
enum Code {
    Single(u8),
    Double(u16),
}

/// A table row's flag column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flag {
    /// Both directions.
    Both,
    /// `d`: decodes to the text; the encoder emits another code for it.
    DecodeOnly,
    /// `e`: the encoder maps the text to the code; the code decodes to another text.
    EncodeOnly,
}

fn parse_line(line: &str) -> Option<(Code, Vec<char>, Flag)> {
    if line.starts_with('#') {
        return None;
    }
    let mut cols = line.split('\t');
    let code_s = cols.next()?;
    let code = match code_s.len() {
        2 => Code::Single(u8::from_str_radix(code_s, 16).ok()?),
        4 => Code::Double(u16::from_str_radix(code_s, 16).ok()?),
        _ => return None,
    };
    let chars = cols
        .next()?
        .split(' ')
        .map(|u| char::from_u32(u32::from_str_radix(u.strip_prefix("U+")?, 16).ok()?))
        .collect::<Option<Vec<char>>>()?;
    if chars.is_empty() || chars.contains(&UNDEF) || chars.contains(&MULTI) {
        return None;
    }
    let flag = match cols.next().unwrap_or("") {
        "" => Flag::Both,
        "d" => Flag::DecodeOnly,
        "e" => Flag::EncodeOnly,
        _ => return None,
    };
    Some((code, chars, flag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_every_table_parses() {
        for page in CodePage::ALL {
            for line in source(page).lines().filter(|l| !l.starts_with('#')) {
                assert!(parse_line(line).is_some(), "{page}: {line:?}");
            }
        }
    }

    #[test]
    fn tables_have_their_expected_sizes() {
        let t = table(CodePage::Ibm930);
        assert_eq!(t.sbcs[0xC1], 'A');
        assert_eq!(t.dbcs_at(0x4040), '\u{3000}');
        assert!(table(CodePage::Ibm1390).multi.len() >= 25);
        assert_eq!(table(CodePage::Jef).dbcs_at(0xB0A1), '亜');
    }

    #[test]
    fn encode_only_rows_do_not_decode() {
        let t = parse("B0A2\tU+555E\t\nB0A2\tU+5516\te\nB0A3\tU+5A03\td\n");
        assert_eq!(t.dbcs_at(0xB0A2), '啞');
        assert_eq!(t.enc_dbcs.get(&'啞'), Some(&0xB0A2));
        assert_eq!(t.enc_dbcs.get(&'唖'), Some(&0xB0A2));
        assert_eq!(t.dbcs_at(0xB0A3), '娃');
        assert_eq!(t.enc_dbcs.get(&'娃'), None);
        assert!(parse_line("B0A2\tU+5516\tx").is_none());
    }
}
