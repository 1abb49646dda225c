//! The reviewed 文字同定 table (`mappings/moji/*.tsv`, format in `mappings/moji/README.md`)
//! and the known-code table that settles gaiji without looking at glyphs.

use std::path::{Path, PathBuf};

/// Identification level (domain.md §8.3): 字形一致 / デザイン差 / 類似文字 / not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Exact,
    Design,
    Similar,
    None,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Exact => "exact",
            Level::Design => "design",
            Level::Similar => "similar",
            Level::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "exact" => Level::Exact,
            "design" => Level::Design,
            "similar" => Level::Similar,
            "none" => Level::None,
            _ => return None,
        })
    }
    /// Exact and design matches identify the gaiji; similar and none do not.
    pub fn identifies(self) -> bool {
        matches!(self, Level::Exact | Level::Design)
    }
}

/// Column header of the reviewed table.
pub const MAPPING_HEADER: &str = "code\tmj\tucs\tivs\tlevel\treviewer\tdate\tnote";

/// One reviewed decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingRow {
    pub code: String,
    pub mj: String,
    pub ucs: String,
    pub ivs: String,
    pub level: Level,
    pub reviewer: String,
    pub date: String,
    pub note: String,
}

/// A reviewed table: rows plus `# key: value` comment lines (e.g. `# gaiji: PATH`).
#[derive(Clone, Debug, Default)]
pub struct MappingTable {
    pub comments: Vec<(String, String)>,
    pub rows: Vec<MappingRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {reason}")]
    Format {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

impl MappingTable {
    pub fn comment(&self, key: &str) -> Option<&str> {
        self.comments
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn get(&self, code: &str) -> Option<&MappingRow> {
        self.rows.iter().find(|r| r.code.eq_ignore_ascii_case(code))
    }

    pub fn read(path: &Path) -> Result<Self, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, MappingError> {
        let err = |line: usize, reason: String| MappingError::Format {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut t = MappingTable::default();
        let mut header_seen = false;
        let mut codes = std::collections::HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let ln = i + 1;
            if let Some(c) = line.strip_prefix('#') {
                if let Some((k, v)) = c.split_once(':') {
                    t.comments
                        .push((k.trim().to_string(), v.trim().to_string()));
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            if !header_seen {
                if line != MAPPING_HEADER {
                    return Err(err(
                        ln,
                        format!("header must be `{}`", MAPPING_HEADER.replace('\t', "<TAB>")),
                    ));
                }
                header_seen = true;
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 8 {
                return Err(err(
                    ln,
                    format!("expected 8 tab-separated fields, found {}", f.len()),
                ));
            }
            let level = Level::parse(f[4]).ok_or_else(|| {
                err(
                    ln,
                    format!("field level: `{}` is not exact|design|similar|none", f[4]),
                )
            })?;
            if f[0].is_empty() || !f[0].bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err(ln, format!("field code: `{}` is not a hex code", f[0])));
            }
            for (name, v) in [("ucs", f[2]), ("ivs", f[3])] {
                if !v.is_empty() && parse_ucs(v).is_none() {
                    return Err(err(ln, format!("field {name}: `{v}` is not U+XXXX")));
                }
            }
            if !codes.insert(f[0].to_ascii_uppercase()) {
                return Err(err(ln, format!("field code: {} appears twice", f[0])));
            }
            t.rows.push(MappingRow {
                code: f[0].to_ascii_uppercase(),
                mj: f[1].to_string(),
                ucs: f[2].to_string(),
                ivs: f[3].to_string(),
                level,
                reviewer: f[5].to_string(),
                date: f[6].to_string(),
                note: f[7].to_string(),
            });
        }
        if !header_seen {
            return Err(err(1, "empty table (no header)".into()));
        }
        Ok(t)
    }

    pub fn to_tsv(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.comments {
            s.push_str(&format!("# {k}: {v}\n"));
        }
        s.push_str(MAPPING_HEADER);
        s.push('\n');
        for r in &self.rows {
            let clean = |v: &str| v.replace(['\t', '\n', '\r'], " ");
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                r.code,
                r.mj,
                r.ucs,
                r.ivs,
                r.level.as_str(),
                clean(&r.reviewer),
                clean(&r.date),
                clean(&r.note)
            ));
        }
        s
    }
}

/// `U+XXXX` → code point.
pub fn parse_ucs(s: &str) -> Option<u32> {
    let h = s.strip_prefix("U+").or_else(|| s.strip_prefix("u+"))?;
    if h.is_empty() || h.len() > 6 {
        return None;
    }
    u32::from_str_radix(h, 16)
        .ok()
        .filter(|&c| char::from_u32(c).is_some())
}

/// What a known-code table says a gaiji is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnownCode {
    Mj(String),
    Ucs(u32, Option<u32>),
    Koseki(String),
    Juki(String),
    Jis(String),
}

/// Read a known-code table: TSV `code<TAB>kind<TAB>value`, kind one of `mj` (MJ012345),
/// `ucs` (U+XXXX or U+XXXX U+E01xx), `koseki` (戸籍統一文字番号), `juki` (J+XXXX),
/// `jis` (JIS X 0213 面-区-点, e.g. 1-16-01). A header line `code<TAB>kind<TAB>value` is optional.
pub fn read_known(path: &Path) -> Result<Vec<(String, KnownCode)>, MappingError> {
    let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |reason: String| MappingError::Format {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        if line.starts_with('#') || line.trim().is_empty() || line == "code\tkind\tvalue" {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 3 {
            return Err(err(format!(
                "expected code<TAB>kind<TAB>value, found {} fields",
                f.len()
            )));
        }
        if f[0].is_empty() || !f[0].bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(format!("field code: `{}` is not a hex code", f[0])));
        }
        let v = f[2].trim();
        let k = match f[1] {
            "mj" => KnownCode::Mj(v.to_ascii_uppercase()),
            "ucs" => {
                let mut it = v.split_whitespace().map(parse_ucs);
                let base = it
                    .next()
                    .flatten()
                    .ok_or_else(|| err(format!("field value: `{v}` is not U+XXXX")))?;
                KnownCode::Ucs(base, it.next().flatten())
            }
            "koseki" => KnownCode::Koseki(v.to_string()),
            "juki" => KnownCode::Juki(v.to_ascii_uppercase()),
            "jis" => KnownCode::Jis(v.to_string()),
            other => {
                return Err(err(format!(
                    "field kind: `{other}` is not mj|ucs|koseki|juki|jis"
                )));
            }
        };
        out.push((f[0].to_ascii_uppercase(), k));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips_and_checks_fields() {
        let text = format!(
            "# gaiji: /x/gaiji.ttf\n{MAPPING_HEADER}\nE000\tMJ000007\tU+3404\tU+E0101\tdesign\tsato\t2026-11-29\tok\nE001\t\t\t\tnone\tsato\t2026-11-29\tnew glyph\n"
        );
        let t = MappingTable::parse(Path::new("m.tsv"), &text).unwrap();
        assert_eq!(t.comment("gaiji"), Some("/x/gaiji.ttf"));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.get("e000").unwrap().level, Level::Design);
        assert_eq!(t.to_tsv(), text);
        let bad = text.replace("design", "maybe");
        let e = MappingTable::parse(Path::new("m.tsv"), &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("m.tsv: line 3") && e.contains("level"), "{e}");
    }
}
