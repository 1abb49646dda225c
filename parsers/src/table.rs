//! Layout tables: the spreadsheet form of a record layout (中間ファイルレイアウト仕様書), saved
//! as CSV or TSV. One header row names the columns (Japanese or English):
//!
//! | column | header words accepted |
//! |---|---|
//! | level (optional; 01 starts a record, groups nest) | `level`, `レベル` |
//! | item name | `name`, `item`, `field`, `項目名`, `項目` |
//! | start position (1-based, optional) | `start`, `position`, `pos`, `開始位置`, `位置` |
//! | length in bytes | `length`, `len`, `bytes`, `桁数`, `長さ`, `バイト数` |
//! | attribute | `attribute`, `attr`, `type`, `属性`, `型` |
//! | decimals | `decimals`, `scale`, `小数`, `小数桁`, `小数部` |
//! | repeat count | `repeat`, `occurs`, `繰返`, `繰返し`, `繰り返し`, `回数` |
//!
//! Attributes: `X` (single-byte text), `N` (double-byte text), `9` (unsigned zoned), `S9`
//! (signed zoned, sign in the last byte), `P` (packed), `B` (big-endian binary, `SB` signed),
//! `G` or empty for a group (with a level column). A start position past the previous item's
//! end leaves a FILLER gap; one that points back at an earlier item's start redefines it.

use crate::layout::{Codec, Field, Item, ItemKind, Layout, Occurs, SignPosition, resolve_record};

/// A layout table problem, with its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

#[derive(Default)]
struct Cols {
    level: Option<usize>,
    name: Option<usize>,
    start: Option<usize>,
    length: Option<usize>,
    attr: Option<usize>,
    decimals: Option<usize>,
    repeat: Option<usize>,
}

fn split_row(line: &str, sep: u8) -> Vec<String> {
    let sep = sep as char;
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.trim().is_empty() {
            cur.clear();
            quoted = true;
        } else if c == sep {
            out.push(std::mem::take(&mut cur).trim().to_string());
        } else {
            cur.push(c);
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn header(cells: &[String]) -> Cols {
    let mut c = Cols::default();
    for (i, h) in cells.iter().enumerate() {
        let h = h.to_lowercase();
        let h = h.trim();
        let slot = match h {
            "level" | "lvl" | "レベル" => &mut c.level,
            "name" | "item" | "field" | "item name" | "項目名" | "項目" | "データ名" => {
                &mut c.name
            }
            "start" | "position" | "pos" | "開始位置" | "位置" | "開始" => &mut c.start,
            "length" | "len" | "bytes" | "桁数" | "長さ" | "バイト数" | "レングス" => {
                &mut c.length
            }
            "attribute" | "attr" | "type" | "属性" | "型" => &mut c.attr,
            "decimals" | "scale" | "小数" | "小数桁" | "小数部" | "小数桁数" => {
                &mut c.decimals
            }
            "repeat" | "occurs" | "繰返" | "繰返し" | "繰り返し" | "回数" | "繰返回数" => {
                &mut c.repeat
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(i);
        }
    }
    c
}

struct Row {
    line: usize,
    level: u8,
    name: String,
    start: Option<usize>,
    length: usize,
    attr: String,
    decimals: i32,
    repeat: Option<usize>,
}

/// Parses a layout table. `sep` is `b','` or `b'\t'`.
pub fn parse_layout_table(text: &str, sep: u8) -> Result<Layout, TableError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((hline, hrow)) = lines.next() else {
        return Err(TableError {
            line: 1,
            message: "empty layout table".into(),
        });
    };
    let cols = header(&split_row(hrow, sep));
    let need = |c: Option<usize>, what: &str| {
        c.ok_or_else(|| TableError {
            line: hline,
            message: format!("the header has no {what} column"),
        })
    };
    let name_c = need(cols.name, "item name")?;
    let len_c = need(cols.length, "length")?;
    let attr_c = need(cols.attr, "attribute")?;
    let mut rows = Vec::new();
    for (line, l) in lines {
        let cells = split_row(l, sep);
        let cell = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(String::as_str)
                .unwrap_or("")
        };
        let err = |m: String| TableError { line, message: m };
        let num = |c: Option<usize>, what: &str| -> Result<Option<usize>, TableError> {
            let s = cell(c);
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<usize>()
                .map(Some)
                .map_err(|_| err(format!("{what} {s:?} is not a number")))
        };
        let level = match num(cols.level, "level")? {
            Some(l) if (1..=49).contains(&l) => l as u8,
            Some(l) => return Err(err(format!("level {l} is not 01–49"))),
            None => 5,
        };
        rows.push(Row {
            line,
            level,
            name: cell(Some(name_c)).to_string(),
            start: num(cols.start, "start position")?,
            length: num(Some(len_c), "length")?.unwrap_or(0),
            attr: cell(Some(attr_c)).to_ascii_uppercase(),
            decimals: num(cols.decimals, "decimals")?.unwrap_or(0) as i32,
            repeat: num(cols.repeat, "repeat count")?,
        });
    }
    build(rows)
}

fn codec_for(r: &Row) -> Result<Option<Codec>, String> {
    let len = r.length;
    let digits = |n: usize| -> Result<u8, String> {
        if n == 0 || n > 38 {
            Err(format!("{} digits is out of range", n))
        } else {
            Ok(n as u8)
        }
    };
    Ok(Some(match r.attr.as_str() {
        "" | "G" | "GROUP" => return Ok(None),
        "X" | "A" | "C" => Codec::Sbcs { len },
        "N" | "K" | "J" => {
            if !len.is_multiple_of(2) {
                return Err(format!("double-byte item of odd length {len}"));
            }
            Codec::Dbcs { chars: len / 2 }
        }
        "9" | "Z" => Codec::Zoned {
            digits: digits(len)?,
            scale: r.decimals,
            signed: false,
            sign: SignPosition::TrailingEmbedded,
        },
        "S9" | "S" => Codec::Zoned {
            digits: digits(len)?,
            scale: r.decimals,
            signed: true,
            sign: SignPosition::TrailingEmbedded,
        },
        "P" | "S9P" | "PD" | "COMP-3" => Codec::Packed {
            digits: digits(len * 2 - 1)?,
            scale: r.decimals,
            signed: true,
        },
        "B" | "SB" | "COMP" | "BINARY" => {
            let d = match len {
                1 => 2,
                2 => 4,
                3 | 4 => 9,
                5..=8 => 18,
                _ => return Err(format!("binary item of length {len}")),
            };
            Codec::Binary {
                bytes: len as u8,
                digits: d,
                scale: r.decimals,
                signed: r.attr.starts_with('S') || r.attr == "COMP",
            }
        }
        other => return Err(format!("unknown attribute {other:?}")),
    }))
}

fn build(rows: Vec<Row>) -> Result<Layout, TableError> {
    // Records: a level-1 row starts one; without level-1 rows, the whole table is one record.
    let mut records: Vec<(String, usize, Vec<Row>)> = Vec::new();
    for r in rows {
        if r.level == 1 {
            records.push((r.name.clone(), r.line, Vec::new()));
        } else {
            if records.is_empty() {
                records.push(("RECORD".to_string(), r.line, Vec::new()));
            }
            records.last_mut().expect("pushed").2.push(r);
        }
    }
    let mut out = Vec::new();
    for (name, line, rows) in records {
        let mut pos = 0usize;
        let mut it = rows.into_iter().peekable();
        let items = build_level(&mut it, 0, &mut pos, &mut Vec::new())?;
        let rec = resolve_record(name, items, Vec::new()).map_err(|(l, m)| TableError {
            line: if l == 0 { line } else { l },
            message: m,
        })?;
        out.push(rec);
    }
    if out.is_empty() {
        return Err(TableError {
            line: 1,
            message: "the layout table has no items".into(),
        });
    }
    Ok(Layout { records: out })
}

/// Builds items at levels deeper than `parent_level`, tracking the byte position (0-based) to
/// check start columns. `starts` holds (start, name) of items seen at this nesting.
fn build_level(
    it: &mut std::iter::Peekable<std::vec::IntoIter<Row>>,
    parent_level: u8,
    pos: &mut usize,
    _starts: &mut Vec<(usize, String)>,
) -> Result<Vec<Item>, TableError> {
    let mut items: Vec<Item> = Vec::new();
    let mut siblings: Vec<(usize, String, usize)> = Vec::new(); // (start, name, end)
    let _filler_n = 0;
    while let Some(r) = it.peek() {
        if r.level <= parent_level {
            break;
        }
        let r = it.next().expect("peeked");
        let err = |m: String| TableError {
            line: r.line,
            message: m,
        };
        let mut redefines = None;
        if let Some(s) = r.start {
            let s0 = s
                .checked_sub(1)
                .ok_or_else(|| err("start position 0 (positions count from 1)".into()))?;
            if s0 > *pos {
                items.push(leaf(
                    "FILLER".to_string(),
                    true,
                    Codec::Sbcs { len: s0 - *pos },
                    r.line,
                    None,
                ));
                *pos = s0;
            } else if s0 < *pos {
                match siblings.iter().rev().find(|(st, _, _)| *st == s0) {
                    Some((_, n, _)) => {
                        redefines = Some(n.clone());
                        *pos = s0;
                    }
                    None => {
                        return Err(err(format!(
                            "{} starts at {s}, inside the previous item (next free position is {})",
                            r.name,
                            *pos + 1
                        )));
                    }
                }
            }
        }
        let start = *pos;
        let occurs = match r.repeat {
            Some(n) if n > 1 => Some(Occurs {
                min: n,
                max: n,
                depending_on: None,
                depending_slot: None,
            }),
            Some(0) => return Err(err("repeat count 0".into())),
            _ => None,
        };
        let n = occurs.as_ref().map_or(1, |o| o.max);
        let codec = codec_for(&r).map_err(err)?;
        let mut item = match codec {
            Some(c) => {
                *pos += c.size() * n;
                leaf(r.name.clone(), false, c, r.line, occurs)
            }
            None => {
                let mut inner = start;
                let children = build_level(it, r.level, &mut inner, &mut Vec::new())?;
                if children.is_empty() {
                    return Err(err(format!(
                        "{} has no attribute and no subordinate items",
                        r.name
                    )));
                }
                let one = inner - start;
                if r.length != 0 && r.length != one * n && r.length != one {
                    return Err(err(format!(
                        "group {} has length {} but its items add up to {}",
                        r.name,
                        r.length,
                        one * n
                    )));
                }
                *pos = start + one * n;
                Item {
                    level: r.level,
                    name: r.name.clone(),
                    filler: false,
                    offset: 0,
                    size: 0,
                    occurs,
                    redefines: None,
                    in_redefines: false,
                    odo_slot: None,
                    variable: false,
                    kind: ItemKind::Group(children),
                    conditions: Vec::new(),
                    value: None,
                    line: r.line,
                }
            }
        };
        item.level = r.level;
        if r.name.is_empty() || r.name.eq_ignore_ascii_case("FILLER") {
            item.filler = true;
            item.name = "FILLER".into();
        }
        item.redefines = redefines;
        if item.redefines.is_some() {
            // Continue after the longest of the redefined set.
            let end = siblings.iter().map(|s| s.2).max().unwrap_or(*pos);
            *pos = (*pos).max(end);
        }
        siblings.push((start, item.name.clone(), *pos));
        items.push(item);
    }
    Ok(items)
}

fn leaf(name: String, filler: bool, codec: Codec, line: usize, occurs: Option<Occurs>) -> Item {
    Item {
        level: 5,
        name,
        filler,
        offset: 0,
        size: 0,
        occurs,
        redefines: None,
        in_redefines: false,
        odo_slot: None,
        variable: false,
        kind: ItemKind::Field(Field {
            picture: String::new(),
            codec,
        }),
        conditions: Vec::new(),
        value: None,
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_header_groups_and_gaps() {
        let t = "レベル,項目名,開始位置,桁数,属性,小数,繰返\n\
                 05,PERSON-ID,1,8,9,,\n\
                 05,SHIMEI,9,20,N,,\n\
                 05,AMOUNT,31,5,P,2,\n\
                 05,KIDS,36,,G,,2\n\
                 10,KID-NAME,,4,X,,\n\
                 10,KID-AGE,,2,B,,\n";
        let l = parse_layout_table(t, b',').unwrap();
        let r = &l.records[0];
        let names: Vec<_> = r
            .items
            .iter()
            .map(|i| (i.name.as_str(), i.offset))
            .collect();
        assert_eq!(
            names,
            [
                ("PERSON-ID", 0),
                ("SHIMEI", 8),
                ("FILLER", 28),
                ("AMOUNT", 30),
                ("KIDS", 35)
            ]
        );
        assert_eq!(r.max_len, 35 + 2 * 6);
        assert_eq!(
            r.items[3].field().unwrap().codec,
            Codec::Packed {
                digits: 9,
                scale: 2,
                signed: true
            }
        );
    }

    #[test]
    fn errors_name_the_line() {
        let t = "name\tlength\tattr\nA\t3\tX\nB\tx\t9\n";
        let e = parse_layout_table(t, b'\t').unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse_layout_table("name,length\nA,3\n", b',').unwrap_err();
        assert!(e.message.contains("attribute"));
        let e = parse_layout_table("name,start,length,attr\nA,1,3,X\nB,2,1,Q\n", b',').unwrap_err();
        assert_eq!(e.line, 3);
    }
}
