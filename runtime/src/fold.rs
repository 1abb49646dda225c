//! Search keys: variant-insensitive folding of names through the MJ縮退マップ, and kana folding.
//!
//! The fold table is built from the MJ文字情報 / MJ縮退マップ tables in mojidata's `moji.db`
//! (`moji::refdata::mojidata_db_path()`): every MJ character's code forms (UCS, UCS + IVS,
//! compatibility ideograph) and its 縮退 targets in the tables that map a glyph to *the same
//! character* ([`SAME_CHARACTER_TABLES`]) are joined into one class (union-find), and each member
//! folds to the class's smallest member. So 髙 and 高, 邊󠄈 / 邉 / 辺, 齋 / 斎, 濱 / 浜 and 𠮷 / 吉
//! share a key, while 斉 stays apart from 斎.
//!
//! The other tables are left out on purpose. 「辞書類等による関連字」, 「読み字形による類推」,
//! 法務省告示582号別表第四 (一, 二: substitutes for characters outside the name-use lists) and the
//! 民一2842号 「別字」 and 「無印」 lists link *different* characters; because a union-find closes
//! over every link, one such link chains whole families together (with them 田 = 同 = 岡,
//! 藤 = 勝, 高 = 亨 = 享, 橋 = 激, 宜 = 宣), so a search for 田中 would list 岡中.
//!
//! A store keeps the table it indexed with (`fold_map`), so search keys stay consistent even if
//! moji.db changes; the built table is cached per process.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

/// Maps a character (base, or base + variation selector) to its fold class representative.
#[derive(Debug, Default, Clone)]
pub struct FoldTable {
    map: HashMap<String, String>,
    /// The same, keyed by (character, variation selector) for [`FoldTable::key`], which runs
    /// on every search candidate checked on its card.
    by_char: HashMap<(char, Option<char>), Box<str>, CharHash>,
}

/// A multiplicative hash for a character pair (the std SipHash is many times slower here, and
/// the keys are not attacker-chosen in bulk: a store's own fold table).
#[derive(Debug, Default, Clone, Copy)]
struct CharHash;

impl std::hash::BuildHasher for CharHash {
    type Hasher = CharHasher;
    fn build_hasher(&self) -> CharHasher {
        CharHasher(0)
    }
}

#[derive(Debug, Default)]
struct CharHasher(u64);

impl std::hash::Hasher for CharHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// The MJ縮退マップ tables whose links join glyphs of one character (see the module docs for
/// why the others are left out).
pub const SAME_CHARACTER_TABLES: &[&str] = &[
    "JIS包摂規準UCS統合規則",
    "戸籍統一文字情報_親字正字",
    "民一2842号通達別表_誤字俗字正字一覧表_俗字",
    "民二5202号通知別表_正字俗字等対照表",
];

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

impl FoldTable {
    /// An empty table (only kana/space folding): used when moji.db is unavailable.
    pub fn empty() -> FoldTable {
        FoldTable::default()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> FoldTable {
        FoldTable::from_map(pairs.into_iter().collect())
    }

    fn from_map(map: HashMap<String, String>) -> FoldTable {
        let mut by_char = HashMap::with_hasher(CharHash);
        for (src, dst) in &map {
            let mut cs = src.chars();
            let key = match (cs.next(), cs.next(), cs.next()) {
                (Some(c), None, _) => (c, None),
                (Some(c), Some(v), None) if is_variation_selector(v) => (c, Some(v)),
                // key() looks up only a character or a character with its selector
                _ => continue,
            };
            by_char.insert(key, dst.clone().into_boxed_str());
        }
        FoldTable { map, by_char }
    }

    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.map.iter()
    }

    /// Builds the table from a mojidata `moji.db`.
    pub fn build_from_mojidata(db: &Path) -> Result<FoldTable> {
        let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut uf = UnionFind::default();
        // MJ character's own code forms.
        let mut stmt = conn.prepare(
            "SELECT MJ文字図形名, 対応するUCS, 実装したUCS, 実装したMoji_JohoコレクションIVS, 対応する互換漢字 FROM mji",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mj: String = r.get(0)?;
            let mj_node = uf.node(&format!("#{mj}"));
            for i in 1..=4 {
                if let Some(form) = r.get::<_, Option<String>>(i)?
                    && !form.is_empty()
                {
                    let n = uf.node(&form);
                    uf.union(mj_node, n);
                }
            }
        }
        drop(rows);
        drop(stmt);
        let placeholders = vec!["?"; SAME_CHARACTER_TABLES.len()].join(", ");
        let mut stmt = conn.prepare(&format!(
            "SELECT MJ文字図形名, 縮退UCS FROM mjsm WHERE 表 IN ({placeholders})"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(SAME_CHARACTER_TABLES))?;
        while let Some(r) = rows.next()? {
            let mj: String = r.get(0)?;
            if let Some(target) = r.get::<_, Option<String>>(1)?
                && !target.is_empty()
            {
                let a = uf.node(&format!("#{mj}"));
                let b = uf.node(&target);
                uf.union(a, b);
            }
        }
        Ok(uf.into_table())
    }

    /// The process-wide table from the installed moji.db, built once. Falls back to an empty
    /// table (exact matching only) when moji.db is missing, and says so on stderr once.
    pub fn installed() -> Arc<FoldTable> {
        static CACHE: OnceLock<Arc<FoldTable>> = OnceLock::new();
        CACHE
            .get_or_init(|| {
                let path = moji::refdata::mojidata_db_path();
                match FoldTable::build_from_mojidata(&path) {
                    Ok(t) => Arc::new(t),
                    Err(e) => {
                        eprintln!(
                            "koseki: warning: MJ縮退マップ unavailable ({}: {e}); name search matches exact characters only",
                            path.display()
                        );
                        Arc::new(FoldTable::empty())
                    }
                }
            })
            .clone()
    }

    /// The search key of a text: spaces dropped, each character (with its variation selector)
    /// folded to its class, kana folded (hiragana → katakana, half-width → full-width,
    /// small → large).
    pub fn key(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let vs = chars.next_if(|&v| is_variation_selector(v));
            if c.is_whitespace() || c == '\u{3000}' || is_variation_selector(c) {
                // a space separates nothing in a key; a stray selector carries no letter
                continue;
            }
            if let Some(v) = vs
                && let Some(d) = self.by_char.get(&(c, Some(v)))
            {
                out.push_str(d);
                continue;
            }
            match self.by_char.get(&(c, None)) {
                Some(d) => out.push_str(d),
                None => fold_kana(c, &mut out),
            }
        }
        out
    }
}

/// Whether a query is written in kana only (so it searches 振り仮名 too).
pub fn is_kana_text(s: &str) -> bool {
    let mut any = false;
    for c in s.chars() {
        match c {
            '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}' => {
                any = true
            }
            ' ' | '\u{3000}' => {}
            _ => return false,
        }
    }
    any
}

// Half-width katakana U+FF66..=U+FF9D in order, as full-width.
const HALF_TO_FULL: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
const SMALL: &str = "ァィゥェォッャュョヮヵヶ";
const LARGE: &str = "アイウエオツヤユヨワカケ";

fn fold_kana(c: char, out: &mut String) {
    let mut c = c;
    if ('\u{3041}'..='\u{3096}').contains(&c) {
        c = char::from_u32(c as u32 + 0x60).unwrap_or(c);
    } else if ('\u{FF66}'..='\u{FF9D}').contains(&c) {
        c = HALF_TO_FULL
            .chars()
            .nth((c as u32 - 0xFF66) as usize)
            .unwrap_or(c);
    } else if c == '\u{FF9E}' {
        // half-width dakuten: voice the previous kana when it has a voiced form
        if let Some(prev) = out.pop() {
            let voiced = char::from_u32(prev as u32 + 1)
                .filter(|_| "カキクケコサシスセソタチツテトハヒフヘホ".contains(prev));
            out.push(voiced.unwrap_or(prev));
            if prev == 'ウ' {
                out.pop();
                out.push('ヴ');
            }
        }
        return;
    } else if c == '\u{FF9F}' {
        if let Some(prev) = out.pop() {
            let p = char::from_u32(prev as u32 + 2).filter(|_| "ハヒフヘホ".contains(prev));
            out.push(p.unwrap_or(prev));
        }
        return;
    }
    if let Some(pos) = SMALL.chars().position(|s| s == c) {
        c = LARGE.chars().nth(pos).unwrap_or(c);
    }
    out.push(c);
}

#[derive(Default)]
struct UnionFind {
    ids: HashMap<String, usize>,
    names: Vec<String>,
    parent: Vec<usize>,
}

impl UnionFind {
    fn node(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len();
        self.ids.insert(name.to_string(), i);
        self.names.push(name.to_string());
        self.parent.push(i);
        i
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }

    /// Each class's representative is its smallest real character (MJ names, `#…`, excluded;
    /// plain characters preferred to IVS sequences so keys stay short).
    fn into_table(mut self) -> FoldTable {
        let n = self.names.len();
        let mut best: HashMap<usize, usize> = HashMap::new();
        for i in 0..n {
            if self.names[i].starts_with('#') {
                continue;
            }
            let r = self.find(i);
            let better = match best.get(&r) {
                None => true,
                Some(&b) => {
                    let (x, y) = (&self.names[i], &self.names[b]);
                    (x.chars().count(), x) < (y.chars().count(), y)
                }
            };
            if better {
                best.insert(r, i);
            }
        }
        let mut map = HashMap::new();
        for i in 0..n {
            if self.names[i].starts_with('#') {
                continue;
            }
            let r = self.find(i);
            let rep = &self.names[best[&r]];
            if *rep != self.names[i] {
                map.insert(self.names[i].clone(), rep.clone());
            }
        }
        FoldTable::from_map(map)
    }
}

/// A store's fold table, read back from its `fold_map`.
pub(crate) fn load_from_store(conn: &Connection) -> Result<FoldTable> {
    let mut stmt = conn.prepare("SELECT src, dst FROM fold_map")?;
    let pairs = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(StoreError::from)?;
    Ok(FoldTable::from_pairs(pairs))
}

pub(crate) fn save_to_store(conn: &Connection, table: &FoldTable) -> Result<()> {
    let mut stmt = conn.prepare("INSERT OR REPLACE INTO fold_map (src, dst) VALUES (?1, ?2)")?;
    for (s, d) in table.pairs() {
        stmt.execute([s, d])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kana_folding() {
        let t = FoldTable::empty();
        assert_eq!(t.key("やまぶき せいいち"), "ヤマブキセイイチ");
        assert_eq!(t.key("ﾔﾏﾌﾞｷ"), "ヤマブキ");
        assert_eq!(t.key("ﾊﾟﾝ"), "パン");
        assert_eq!(t.key("キョウコ"), "キヨウコ");
        assert!(is_kana_text("やまぶき　セイイチ"));
        assert!(!is_kana_text("山吹"));
        assert!(!is_kana_text(" "));
    }

    #[test]
    fn ivs_kept_apart_from_stray_selectors() {
        let t = FoldTable::from_pairs([
            ("邊\u{E0108}".to_string(), "辺".to_string()),
            ("邊".to_string(), "辺".to_string()),
        ]);
        assert_eq!(t.key("渡邊\u{E0108}"), "渡辺");
        assert_eq!(t.key("渡邊"), "渡辺");
        // an IVS not in the table falls back to its base character
        assert_eq!(t.key("渡邊\u{E0101}"), "渡辺");
        assert_eq!(t.key("\u{E0101}"), "");
    }

    #[test]
    fn mj_shrink_map_folds_variants() {
        let path = moji::refdata::mojidata_db_path();
        if !path.exists() {
            eprintln!(
                "!!!!! SKIPPED: {} absent; MJ fold test did not run !!!!!",
                path.display()
            );
            return;
        }
        let t = FoldTable::installed();
        assert!(t.len() > 10_000, "fold table has only {} entries", t.len());
        assert_eq!(t.key("髙橋"), t.key("高橋"));
        assert_eq!(t.key("渡邊\u{E0108}"), t.key("渡辺"));
        assert_eq!(t.key("邉"), t.key("辺"));
        assert_eq!(t.key("𠮷田"), t.key("吉田"));
        assert_eq!(t.key("塚"), t.key("\u{FA10}"));
        assert_eq!(t.key("齋藤"), t.key("斎藤"));
        assert_eq!(t.key("濱田"), t.key("浜田"));
        assert_eq!(t.key("廣澤"), t.key("広沢"));
        assert_ne!(t.key("山田"), t.key("川田"));
        // different characters that looser tables would chain together
        for (a, b) in [
            ("田", "岡"),
            ("田", "同"),
            ("藤", "勝"),
            ("高", "亨"),
            ("橋", "激"),
            ("宜", "宣"),
            ("斎", "斉"),
            ("村", "便"),
        ] {
            assert_ne!(t.key(a), t.key(b), "{a} and {b} must not share a key");
        }
    }
}
