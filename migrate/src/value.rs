//! Domain values after conversion, each keeping what the vendor wrote.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use wareki::WarekiDate;

use crate::Error;
use crate::profile::CodeTableSpec;

/// A converted field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Value {
    Empty,
    /// Decoded text (gaiji resolved) and the field's original bytes (hex in JSON).
    Text {
        text: String,
        #[serde(with = "hex_bytes")]
        raw: Vec<u8>,
    },
    Id {
        id: String,
    },
    /// Exact decimal, as text.
    Number {
        n: String,
    },
    /// A 和暦 date (possibly partial) and its vendor form.
    Date {
        date: WarekiDate,
        vendor: String,
    },
    /// A vendor code and its name from the vendor's code table.
    Code {
        code: String,
        name: String,
    },
    Flag {
        on: bool,
    },
    /// Tagged 【】 items of a 事項, in the vendor's order.
    Items {
        items: Vec<TagItem>,
    },
}

/// One 【tag】 item: the vendor's tag code, its name, the text and its original bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagItem {
    pub code: String,
    pub tag: String,
    pub text: String,
    #[serde(with = "hex_bytes")]
    pub raw: Vec<u8>,
}

/// Original bytes written as upper-case hex in JSON (rows kept in meta, dumps), read back
/// from it: the bytes themselves travel to the store without a text round trip.
mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        runtime::util::unhex(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not hex bytes: {text:?}")))
    }
}

impl Value {
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    /// The value as one line of text (diffs, keys, reports).
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text { text, .. } => text.clone(),
            Value::Id { id } => id.clone(),
            Value::Number { n } => n.clone(),
            Value::Date { date, .. } => date.to_string(),
            Value::Code { code, name } => format!("{name} ({code})"),
            Value::Flag { on } => on.to_string(),
            Value::Items { items } => items
                .iter()
                .map(|i| format!("【{}】{}", i.tag, i.text))
                .collect::<Vec<_>>()
                .join(""),
        }
    }

    /// A plain key: ids, numbers and codes as written; text as decoded.
    pub fn key(&self) -> String {
        match self {
            Value::Code { code, .. } => code.clone(),
            other => other.display(),
        }
    }

    pub fn date(&self) -> Option<&WarekiDate> {
        match self {
            Value::Date { date, .. } => Some(date),
            _ => None,
        }
    }

    /// Code name (for `Code`) or text.
    pub fn name(&self) -> Option<&str> {
        match self {
            Value::Code { name, .. } => Some(name),
            Value::Text { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// Bytes as upper-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// A vendor code list: code → name.
#[derive(Debug, Clone, Default)]
pub struct CodeTable {
    pub name: String,
    codes: HashMap<String, String>,
    /// Code without leading zeros → the table's own spelling of it (the first in code order),
    /// for tables written zero-padded and values read as numbers, or the other way round.
    by_number: HashMap<String, String>,
}

fn without_leading_zeros(code: &str) -> &str {
    let t = code.trim_start_matches('0');
    if t.is_empty() && !code.is_empty() {
        "0"
    } else {
        t
    }
}

impl CodeTable {
    /// Read a code list: one code a line, tab- (or comma-) separated, `#` comments.
    pub fn parse(
        name: &str,
        text: &str,
        spec: &CodeTableSpec,
        origin: &str,
    ) -> Result<CodeTable, Error> {
        let mut codes = HashMap::new();
        for (i, line) in text.lines().enumerate().skip(spec.skip) {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let sep = if line.contains('\t') { '\t' } else { ',' };
            let f: Vec<&str> = line.split(sep).collect();
            let (Some(code), Some(n)) = (f.get(spec.code_column), f.get(spec.name_column)) else {
                return Err(Error::Mapping(format!(
                    "{origin}: line {}: needs code and name columns: {line:?}",
                    i + 1
                )));
            };
            codes.insert(code.trim().to_string(), n.trim().to_string());
        }
        Ok(CodeTable::new(name, codes))
    }

    fn new(name: &str, codes: HashMap<String, String>) -> CodeTable {
        let mut spelled: Vec<&String> = codes.keys().collect();
        spelled.sort();
        let mut by_number = HashMap::new();
        for k in spelled {
            by_number
                .entry(without_leading_zeros(k).to_string())
                .or_insert_with(|| k.clone());
        }
        CodeTable {
            name: name.to_string(),
            codes,
            by_number,
        }
    }

    /// The table a spec names: its inline `values`, or its file under `input`.
    pub fn from_spec(name: &str, input: &Path, spec: &CodeTableSpec) -> Result<CodeTable, Error> {
        if spec.file.is_empty() {
            return Ok(CodeTable::new(
                name,
                spec.values.clone().into_iter().collect(),
            ));
        }
        let mut codes = CodeTable::load(name, &input.join(&spec.file), spec)?.codes;
        codes.extend(spec.values.clone());
        Ok(CodeTable::new(name, codes))
    }

    pub fn load(name: &str, path: &Path, spec: &CodeTableSpec) -> Result<CodeTable, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        CodeTable::parse(name, &text, spec, &path.display().to_string())
    }

    /// Look a code up, trying it as written and without leading zeros.
    pub fn get(&self, code: &str) -> Option<&str> {
        let c = code.trim();
        self.codes
            .get(c)
            .or_else(|| {
                self.by_number
                    .get(without_leading_zeros(c))
                    .and_then(|k| self.codes.get(k))
            })
            .map(String::as_str)
    }
}

/// Half-width katakana (U+FF61–U+FF9F) to full width, joining voiced marks; other characters
/// unchanged. EBCDIK kana are half-width; 戸籍 prints readings in full width.
pub fn widen_kana(s: &str) -> String {
    const BASE: &[char] = &[
        '。', '「', '」', '、', '・', 'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ッ',
        'ー', 'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ',
        'ソ', 'タ', 'チ', 'ツ', 'テ', 'ト', 'ナ', 'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ',
        'ホ', 'マ', 'ミ', 'ム', 'メ', 'モ', 'ヤ', 'ユ', 'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ',
        'ン', '゛', '゜',
    ];
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let cp = c as u32;
        if !(0xFF61..=0xFF9F).contains(&cp) {
            out.push(match c {
                ' ' => '\u{3000}',
                _ => c,
            });
            continue;
        }
        let full = BASE[(cp - 0xFF61) as usize];
        match chars.peek() {
            Some('\u{FF9E}') if "カキクケコサシスセソタチツテトハヒフヘホウ".contains(full) =>
            {
                chars.next();
                out.push(if full == 'ウ' {
                    'ヴ'
                } else {
                    char::from_u32(full as u32 + 1).unwrap_or(full)
                });
            }
            Some('\u{FF9F}') if "ハヒフヘホ".contains(full) => {
                chars.next();
                out.push(char::from_u32(full as u32 + 2).unwrap_or(full));
            }
            _ => out.push(full),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_kana_with_voiced_marks() {
        assert_eq!(widen_kana("ﾔﾏﾌﾞｷ ｾｲｲﾁ"), "ヤマブキ　セイイチ");
        assert_eq!(widen_kana("ﾎﾟﾝｳﾞｧ"), "ポンヴァ");
        assert_eq!(widen_kana("ｷﾖｳｺ"), "キヨウコ"); // small-kana loss stays as the vendor wrote
    }

    #[test]
    fn code_table_lookup_tolerates_zero_padding() {
        let spec = CodeTableSpec {
            file: String::new(),
            values: Default::default(),
            code_column: 0,
            name_column: 1,
            skip: 0,
        };
        let t = CodeTable::parse("zokugara", "# 続柄\n01\t長男\n02\t二男\n", &spec, "t").unwrap();
        assert_eq!(t.get("01"), Some("長男"));
        assert_eq!(t.get("1"), Some("長男"));
        assert_eq!(t.get("03"), None);
        // and the other way round: codes written as numbers, values zero-padded
        let t = CodeTable::parse("k", "1\t届出\n0\t無\n", &spec, "t").unwrap();
        assert_eq!(t.get("001"), Some("届出"));
        assert_eq!(t.get("00"), Some("無"));
        assert_eq!(t.get(" 1 "), Some("届出"));
        assert_eq!(t.get("10"), None);
    }

    #[test]
    fn hex_is_upper() {
        assert_eq!(hex(&[0x0E, 0xA1, 0xFF]), "0EA1FF");
    }

    #[test]
    fn raw_bytes_are_hex_in_json_and_read_back() {
        let bytes: Vec<u8> = (0..=255).collect();
        let v = Value::Text {
            text: "x".into(),
            raw: bytes.clone(),
        };
        let json = serde_json::to_string(&v).unwrap();
        assert!(json.contains(&hex(&bytes)), "{json}");
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), v);
        let read = |raw: &str| {
            serde_json::from_str::<Value>(&format!(r#"{{"t":"text","text":"x","raw":"{raw}"}}"#))
        };
        assert_eq!(
            read("4a4B").unwrap(),
            Value::Text {
                text: "x".into(),
                raw: vec![0x4a, 0x4b]
            }
        );
        assert!(read("4a4").is_err());
        assert!(read("4g").is_err());
    }
}
