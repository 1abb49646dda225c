//! The character pipeline after decoding: a vendor gaiji (user-defined area code) becomes the
//! standard character the 文字同定 decided (UCS + IVS), or, when nothing matched, a registered
//! local gaiji on a private-use code point of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::Error;

/// First code point of the vendor user-defined area as the code page decodes it: JEF
/// 0x80A1–0xA0FE → U+E000 + (hi − 0x80) × 94 + (lo − 0xA1) (moji's documented rule).
pub const VENDOR_PUA_FIRST: u32 = 0xE000;
/// 33 rows × 94 cells.
pub const VENDOR_PUA_LEN: u32 = 33 * 94;
/// A gaiji the table gives no local code point gets one in Supplementary Private Use Area-A
/// at its cell index, so it keeps it from round to round. `koseki gaiji-font` hands out
/// U+F0000, U+F0001… to the table's `none` rows; this block starts far above them.
pub const LOCAL_PUA_FIRST: u32 = 0xFA000;
/// Where `koseki gaiji-font` starts numbering the table's `none` rows.
pub const TABLE_LOCAL_FIRST: u32 = 0xF0000;

/// Vendor code (`0x80A1`) of a character decoded into the vendor private-use area.
pub fn vendor_code_of(c: char) -> Option<u16> {
    let cp = c as u32;
    if !(VENDOR_PUA_FIRST..VENDOR_PUA_FIRST + VENDOR_PUA_LEN).contains(&cp) {
        return None;
    }
    let i = cp - VENDOR_PUA_FIRST;
    Some((((0x80 + i / 94) << 8) | (0xA1 + i % 94)) as u16)
}

fn is_private_use(c: char) -> bool {
    let c = c as u32;
    (0xE000..=0xF8FF).contains(&c)
        || (0xF0000..=0xFFFFD).contains(&c)
        || (0x100000..=0x10FFFD).contains(&c)
}

/// The default local gaiji code point for a vendor code of the user-defined area.
pub fn local_pua_of(code: u16) -> Option<char> {
    let (hi, lo) = ((code >> 8) as u32, (code & 0xFF) as u32);
    if !(0x80..=0xA0).contains(&hi) || !(0xA1..=0xFE).contains(&lo) {
        return None;
    }
    char::from_u32(LOCAL_PUA_FIRST + (hi - 0x80) * 94 + (lo - 0xA1))
}

/// One accepted 文字同定 decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub mj: String,
    pub ucs: char,
    pub ivs: Option<char>,
    /// Level the decision was taken at (`exact`, `design`, or a reviewer's level).
    pub level: String,
}

impl Decision {
    /// The stored text: base character plus its variation selector.
    pub fn text(&self) -> String {
        let mut s = String::from(self.ucs);
        if let Some(v) = self.ivs {
            s.push(v);
        }
        s
    }

    pub fn notation(&self) -> String {
        match self.ivs {
            Some(v) => format!("U+{:04X} U+{:04X}", self.ucs as u32, v as u32),
            None => format!("U+{:04X}", self.ucs as u32),
        }
    }
}

/// The 文字同定 table the run applies: accepted decisions, and the level of every gaiji the
/// table mentions (so the report can tell "matched nothing" from "not in the table").
#[derive(Debug, Clone, Default)]
pub struct CharMap {
    pub decisions: HashMap<u16, Decision>,
    /// Best level the table gives each code (accepted or not).
    pub levels: BTreeMap<u16, String>,
    /// `identify` (TSV of candidates) or `reviewed` (decision table).
    pub kind: &'static str,
    /// Local code points the reviewed table gives its `none` rows (as `koseki gaiji-font`
    /// assigns them: the row's private-use `ucs`, else the next free one from U+F0000).
    pub locals: HashMap<u16, char>,
}

/// A gaiji code as a gaiji list names it: the vendor code (`80A1`), or the private-use code
/// point the vendor's EUDC font puts it on (`E000`), which maps back to the vendor code.
fn parse_code(s: &str) -> Option<u16> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let s = s.strip_prefix("U+").unwrap_or(s);
    let n = u32::from_str_radix(s, 16).ok()?;
    match char::from_u32(n).and_then(vendor_code_of) {
        Some(code) => Some(code),
        None => u16::try_from(n).ok(),
    }
}

fn parse_ucs(s: &str) -> Option<char> {
    let s = s.trim();
    let hex = s.strip_prefix("U+").or_else(|| s.strip_prefix("u+"))?;
    char::from_u32(u32::from_str_radix(hex, 16).ok()?)
}

impl CharMap {
    /// Read either `koseki identify`'s TSV (`code rank mj ucs ivs score level`: rank-1 rows at
    /// level exact or design are taken, everything else counts as unidentified) or the
    /// reviewed decision table (`code mj ucs ivs level reviewer date note`: every row with a
    /// code point and a level other than `none` is a decision).
    pub fn parse(text: &str, origin: &str) -> Result<CharMap, Error> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let (_, header) = lines
            .next()
            .ok_or_else(|| Error::Mapping(format!("{origin}: empty mapping file")))?;
        let cols: Vec<&str> = header.split('\t').map(str::trim).collect();
        let col = |name: &str| cols.iter().position(|c| *c == name);
        let (Some(c_code), Some(c_mj), Some(c_ucs), Some(c_ivs), Some(c_level)) =
            (col("code"), col("mj"), col("ucs"), col("ivs"), col("level"))
        else {
            return Err(Error::Mapping(format!(
                "{origin}: line 1: header must name code, mj, ucs, ivs and level columns (got {header:?})"
            )));
        };
        let c_rank = col("rank");
        let mut map = CharMap {
            kind: if c_rank.is_some() {
                "identify"
            } else {
                "reviewed"
            },
            ..Default::default()
        };
        let mut none_rows: Vec<(u16, Option<char>)> = Vec::new();
        for (i, line) in lines {
            let f: Vec<&str> = line.split('\t').collect();
            let get = |c: usize| f.get(c).copied().unwrap_or("").trim();
            let bad =
                |what: &str| Error::Mapping(format!("{origin}: line {}: {what}: {line:?}", i + 1));
            let code = parse_code(get(c_code)).ok_or_else(|| bad("bad code"))?;
            let level = get(c_level).to_string();
            if let Some(r) = c_rank {
                let rank: u32 = get(r).parse().map_err(|_| bad("bad rank"))?;
                if rank != 1 {
                    continue;
                }
            }
            map.levels.insert(code, level.clone());
            if c_rank.is_none() && level == "none" {
                let pua = parse_ucs(get(c_ucs)).filter(|c| is_private_use(*c));
                none_rows.push((code, pua));
                continue;
            }
            let accepted = match c_rank {
                Some(_) => level == "exact" || level == "design",
                None => !get(c_ucs).is_empty() && level != "none",
            };
            if !accepted {
                continue;
            }
            let ucs = parse_ucs(get(c_ucs)).ok_or_else(|| bad("bad ucs"))?;
            let ivs = match get(c_ivs) {
                "" => None,
                v => Some(parse_ucs(v).ok_or_else(|| bad("bad ivs"))?),
            };
            map.decisions.insert(
                code,
                Decision {
                    mj: get(c_mj).to_string(),
                    ucs,
                    ivs,
                    level,
                },
            );
        }
        // `koseki gaiji-font` numbering: a none row's own private-use ucs, else the next free
        // code point from U+F0000, in table order.
        let used: std::collections::HashSet<char> = none_rows.iter().filter_map(|r| r.1).collect();
        let mut next = TABLE_LOCAL_FIRST;
        for (code, pua) in none_rows {
            let cp = match pua {
                Some(c) => c,
                None => loop {
                    let c = char::from_u32(next).unwrap_or('\u{F0000}');
                    next += 1;
                    if !used.contains(&c) {
                        break c;
                    }
                },
            };
            map.locals.insert(code, cp);
        }
        Ok(map)
    }

    /// The local code point a gaiji without a decision is stored on.
    pub fn local_of(&self, code: u16) -> char {
        match self.locals.get(&code) {
            Some(c) => *c,
            None => local_pua_of(code).unwrap_or('\u{FA000}'),
        }
    }

    pub fn load(path: &Path) -> Result<CharMap, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        CharMap::parse(&text, &path.display().to_string())
    }

    /// [`CharMap::apply`]'s report of the gaiji met, without the text (a field the caller
    /// only checks).
    pub fn scan(&self, decoded: &str, mut seen: impl FnMut(u16, bool)) {
        for code in decoded.chars().filter_map(vendor_code_of) {
            seen(code, !self.decisions.contains_key(&code));
        }
    }

    /// Replace every vendor gaiji in `decoded` by its decision or its local gaiji; report each
    /// gaiji met to `seen` (code, stored locally?). Text without gaiji (nearly all) is
    /// returned as it came, not copied.
    pub fn apply(&self, decoded: String, mut seen: impl FnMut(u16, bool)) -> String {
        if !decoded.chars().any(|c| vendor_code_of(c).is_some()) {
            return decoded;
        }
        let mut out = String::with_capacity(decoded.len() + 8);
        for c in decoded.chars() {
            match vendor_code_of(c) {
                None => out.push(c),
                Some(code) => match self.decisions.get(&code) {
                    Some(d) => {
                        seen(code, false);
                        out.push(d.ucs);
                        if let Some(v) = d.ivs {
                            out.push(v);
                        }
                    }
                    None => {
                        seen(code, true);
                        out.push(self.local_of(code));
                    }
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IDENTIFY: &str = "code\trank\tmj\tucs\tivs\tscore\tlevel\n\
80A1\t1\tMJ000001\tU+4E00\t\t0.99\texact\n\
80A1\t2\tMJ000002\tU+4E01\t\t0.50\tsimilar\n\
80A2\t1\tMJ012345\tU+9AD9\tU+E0101\t0.90\tdesign\n\
80A3\t1\tMJ000003\tU+4E03\t\t0.40\tsimilar\n";

    #[test]
    fn identify_tsv_takes_rank1_exact_and_design_only() {
        let m = CharMap::parse(IDENTIFY, "t").unwrap();
        assert_eq!(m.kind, "identify");
        assert_eq!(m.decisions.len(), 2);
        assert_eq!(m.decisions[&0x80A2].text(), "\u{9AD9}\u{E0101}");
        assert!(!m.decisions.contains_key(&0x80A3));
        assert_eq!(m.levels[&0x80A3], "similar");
    }

    #[test]
    fn reviewed_table_takes_decisions() {
        let t = "code\tmj\tucs\tivs\tlevel\treviewer\tdate\tnote\n80A1\tMJ000001\tU+4E00\t\tsimilar\tsato\t2026-11-01\tok\n80A2\t\t\t\tnone\tsato\t2026-11-01\tlocal\n";
        let m = CharMap::parse(t, "t").unwrap();
        assert_eq!(m.kind, "reviewed");
        assert_eq!(m.decisions[&0x80A1].ucs, '\u{4E00}');
        assert!(!m.decisions.contains_key(&0x80A2));
    }

    #[test]
    fn codes_as_eudc_code_points_and_none_rows_numbered_like_gaiji_font() {
        let t = "code\tmj\tucs\tivs\tlevel\treviewer\tdate\tnote\n\
E000\tMJ000001\tU+4E00\t\texact\ts\t2026-11-29\t\n\
E001\t\t\t\tnone\ts\t2026-11-29\t\n\
80A3\t\tU+F0000\t\tnone\ts\t2026-11-29\tcity gave it\n\
80A4\t\t\t\tnone\ts\t2026-11-29\t\n";
        let m = CharMap::parse(t, "t").unwrap();
        assert_eq!(m.decisions[&0x80A1].ucs, '\u{4E00}');
        assert_eq!(m.local_of(0x80A2), '\u{F0001}'); // F0000 is taken by 80A3's row
        assert_eq!(m.local_of(0x80A3), '\u{F0000}');
        assert_eq!(m.local_of(0x80A4), '\u{F0002}');
        assert_eq!(m.local_of(0x80A5), '\u{FA004}'); // not in the table
    }

    #[test]
    fn bad_header_names_the_file() {
        let e = CharMap::parse("a\tb\n", "m.tsv").unwrap_err().to_string();
        assert!(e.contains("m.tsv") && e.contains("header"), "{e}");
    }

    #[test]
    fn apply_maps_decided_and_registers_local() {
        let m = CharMap::parse(IDENTIFY, "t").unwrap();
        let a = char::from_u32(0xE000).unwrap(); // 80A1
        let c = char::from_u32(0xE002).unwrap(); // 80A3: similar only → local
        let mut seen = Vec::new();
        let out = m.apply(format!("山{a}{c}"), |code, local| seen.push((code, local)));
        assert_eq!(
            out,
            format!("山\u{4E00}{}", char::from_u32(0xFA002).unwrap())
        );
        assert_eq!(seen, vec![(0x80A1, false), (0x80A3, true)]);
    }

    proptest! {
        #[test]
        fn vendor_code_and_pua_round_trip(hi in 0x80u16..=0xA0, lo in 0xA1u16..=0xFE) {
            let code = (hi << 8) | lo;
            let i = (hi as u32 - 0x80) * 94 + (lo as u32 - 0xA1);
            let c = char::from_u32(VENDOR_PUA_FIRST + i).unwrap();
            prop_assert_eq!(vendor_code_of(c), Some(code));
            prop_assert_eq!(local_pua_of(code).map(|c| c as u32), Some(LOCAL_PUA_FIRST + i));
        }
    }
}
