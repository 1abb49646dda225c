//! The reference set: every MJ character of the reference font (IPAmj明朝), joined with the
//! MJ文字情報一覧表 rows of `@mandel59/mojidata`'s `moji.db`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::glyph::GlyphFont;

/// One reference character.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MjEntry {
    /// MJ文字図形名 (`MJ012345`), or the glyph name for a reference glyph outside MJ.
    pub mj: String,
    /// The glyph in the reference font.
    pub glyph: u16,
    /// Implemented UCS code point.
    pub ucs: Option<u32>,
    /// Moji_Joho collection IVS (U+E0100…), when the glyph needs one.
    pub ivs: Option<u32>,
    /// 戸籍統一文字番号 (6 digits).
    pub koseki: String,
    /// 住基ネット統一文字コード (`J+XXXX`).
    pub juki: String,
    /// JIS X 0213 面区点 (`1-01-25`).
    pub x0213: String,
    /// 総画数.
    pub strokes: Option<u16>,
    /// 部首.内画数, space separated (e.g. `3.2 9.1`).
    pub radicals: String,
    /// 読み, space separated.
    pub readings: String,
}

impl MjEntry {
    /// `U+XXXX` or empty.
    pub fn ucs_text(&self) -> String {
        self.ucs.map(|c| format!("U+{c:04X}")).unwrap_or_default()
    }
    /// `U+E01xx` or empty.
    pub fn ivs_text(&self) -> String {
        self.ivs.map(|c| format!("U+{c:04X}")).unwrap_or_default()
    }
    /// The character as text (base + IVS), for display.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some(c) = self.ucs.and_then(char::from_u32) {
            s.push(c);
            if let Some(v) = self.ivs.and_then(char::from_u32) {
                s.push(v);
            }
        }
        s
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RefsetError {
    #[error("{path}: cannot read the MJ table (moji.db): {source}")]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// MJ table rows from `moji.db`, keyed by MJ文字図形名.
pub fn read_mojidata(path: &Path) -> Result<HashMap<String, MjEntry>, RefsetError> {
    let err = |source| RefsetError::Db {
        path: path.to_path_buf(),
        source,
    };
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
    let mut out = HashMap::new();
    {
        let mut st = db
            .prepare(
                "SELECT MJ文字図形名, 実装したUCS, 実装したMoji_JohoコレクションIVS, 戸籍統一文字番号, \
                 住基ネット統一文字コード, X0213, 総画数 FROM mji",
            )
            .map_err(err)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })
            .map_err(err)?;
        for row in rows {
            let (mj, ucs, ivs, koseki, juki, x0213, strokes) = row.map_err(err)?;
            let mut e = MjEntry {
                mj: mj.clone(),
                ..Default::default()
            };
            // The IVS column holds the whole sequence (base character + selector).
            if let Some(seq) = ivs.as_deref().filter(|s| !s.is_empty()) {
                let mut cs = seq.chars();
                e.ucs = cs.next().map(|c| c as u32);
                e.ivs = cs.next().map(|c| c as u32);
            } else if let Some(u) = ucs.as_deref().and_then(|s| s.chars().next()) {
                e.ucs = Some(u as u32);
            }
            e.koseki = koseki.unwrap_or_default();
            e.juki = juki.unwrap_or_default();
            e.x0213 = x0213.unwrap_or_default();
            e.strokes = strokes.and_then(|s| u16::try_from(s).ok());
            out.insert(mj, e);
        }
    }
    let mut st = db
        .prepare(
            "SELECT MJ文字図形名, group_concat(読み, ' ') FROM mji_reading GROUP BY MJ文字図形名",
        )
        .map_err(err)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(err)?;
    for row in rows {
        let (mj, rd) = row.map_err(err)?;
        if let Some(e) = out.get_mut(&mj) {
            e.readings = rd;
        }
    }
    let mut st = db
        .prepare("SELECT MJ文字図形名, group_concat(部首 || '.' || 内画数, ' ') FROM mji_rsindex GROUP BY MJ文字図形名")
        .map_err(err)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(err)?;
    for row in rows {
        let (mj, rs) = row.map_err(err)?;
        if let Some(e) = out.get_mut(&mj) {
            e.radicals = rs;
        }
    }
    Ok(out)
}

/// `mj012345` → `MJ012345`.
pub fn mj_name_of_glyph(name: &str) -> Option<String> {
    let digits = name.strip_prefix("mj")?;
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| format!("MJ{digits}"))
}

/// The reference entries of a font: every glyph named `mjNNNNNN`, with the MJ table's data
/// when `mojidata` has the row, else the code point from the font's own character map.
/// Glyphs of other fonts (no MJ names) enter under their glyph names when they are mapped.
pub fn reference_entries(
    font: &GlyphFont<'_>,
    mojidata: Option<&HashMap<String, MjEntry>>,
) -> Vec<MjEntry> {
    let mut by_glyph: HashMap<u16, u32> = HashMap::new();
    for (cp, g) in font.mapped_codepoints() {
        by_glyph.entry(g.0).or_insert(cp);
    }
    // A font with MJ glyph names (IPAmj明朝) contributes only those: its other glyphs
    // (Adobe-Japan1 extras, ideographic description characters) are not MJ characters.
    let names = font.glyph_names();
    let has_mj = names
        .iter()
        .any(|n| n.as_deref().and_then(mj_name_of_glyph).is_some());
    let mut out = Vec::new();
    for g in 1..font.number_of_glyphs() {
        let name = names.get(g as usize).and_then(|n| n.as_deref());
        if let Some(mj) = name.and_then(mj_name_of_glyph) {
            let mut e = mojidata
                .and_then(|m| m.get(&mj))
                .cloned()
                .unwrap_or_else(|| MjEntry {
                    mj: mj.clone(),
                    ucs: by_glyph.get(&g).copied(),
                    ..Default::default()
                });
            e.glyph = g;
            out.push(e);
        } else if !has_mj
            && let Some(&cp) = by_glyph.get(&g)
            && char::from_u32(cp).is_some_and(|c| c.is_alphanumeric() || cp >= 0x2E80)
        {
            {
                out.push(MjEntry {
                    mj: name
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("gid{g}")),
                    glyph: g,
                    ucs: Some(cp),
                    ..Default::default()
                });
            }
        }
    }
    // IPAmj has a few MJ names twice (e.g. a `.1` alternate is not matched above); keep the
    // first glyph of each name so names stay unique.
    let mut seen = std::collections::HashSet::new();
    out.retain(|e| seen.insert(e.mj.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mj_glyph_names() {
        assert_eq!(mj_name_of_glyph("mj000123").as_deref(), Some("MJ000123"));
        assert_eq!(mj_name_of_glyph("mj00012"), None);
        assert_eq!(mj_name_of_glyph("aj1"), None);
    }

    #[test]
    fn mojidata_rows_carry_ucs_ivs_and_numbers() {
        let path = moji::refdata::mojidata_db_path();
        if !path.exists() {
            eprintln!(
                "!!!!! SKIPPED: moji.db not installed at {} !!!!!",
                path.display()
            );
            return;
        }
        let m = read_mojidata(&path).unwrap();
        assert_eq!(m.len(), 58_862);
        let e = &m["MJ000007"];
        assert_eq!((e.ucs, e.ivs), (Some(0x3404), Some(0xE0101)));
        assert_eq!(e.koseki, "152700");
        assert_eq!(e.juki, "J+3404");
        let e = &m["MJ000001"];
        assert_eq!(
            (e.ucs, e.ivs, e.x0213.as_str()),
            (Some(0x3005), None, "1-01-25")
        );
        assert!(e.readings.contains("くりかえし"));
        assert_eq!(e.radicals, "3.2");
    }
}
