//! Search by 氏名 (kanji, variant-insensitive through the MJ縮退 fold; or kana through 振り仮名),
//! 本籍, 筆頭者 and 生年月日, over current and closed 戸籍 and image-register 見出し.
//!
//! Every criterion folds the query with the store's [`FoldTable`](crate::fold::FoldTable) and
//! matches by prefix on the `search_key` index (`field, key`), so one B-tree range scan drives
//! the search; other criteria given in the same query filter the candidates.

use std::collections::HashSet;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditAction, AuditEvent};
use crate::error::{Result, StoreError};
use crate::fold::is_kana_text;
use crate::model::*;
use crate::store::Store;

/// What to look for. Empty fields are ignored; at least one must be given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// 氏名, 氏 or 名: kanji (variants match) or kana (matches 振り仮名). Prefix match.
    pub name: Option<String>,
    /// 本籍 prefix (from 都道府県, 市区町村 or 町字).
    pub honseki: Option<String>,
    /// 筆頭者 氏名 prefix.
    pub hittosha: Option<String>,
    /// 生年月日: ISO `YYYY-MM-DD` or 和暦 (「昭和４７年１１月３日」).
    pub birth_date: Option<String>,
    /// Only 現在 戸籍 and persons not 除籍 (default: everything, closed 戸籍 included).
    #[serde(default)]
    pub current_only: bool,
    /// Leave out image registers (default: included).
    #[serde(default)]
    pub exclude_images: bool,
    /// At most this many hits (default 100).
    pub limit: Option<usize>,
}

/// One match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The 戸籍 (None for an image-register hit).
    pub koseki_id: Option<KosekiId>,
    /// The person in that 戸籍 (None when the hit is the 戸籍 itself, e.g. by 本籍).
    pub person_id: Option<PersonId>,
    pub image_register_id: Option<ImageRegisterId>,
    /// 本籍 as recorded.
    pub honseki: String,
    /// 筆頭者 氏名 (氏　名).
    pub hittosha: String,
    /// The person's 氏名 (氏　名); the 筆頭者 for a 戸籍-level hit.
    pub name: String,
    /// 振り仮名 (氏 名), when recorded.
    pub kana: Option<String>,
    /// 生年月日 as recorded.
    pub birth_date: Option<String>,
    /// 現在 / 全部除籍 / 改製原, or the image register kind (改製原戸籍, 除籍 …).
    pub status: String,
    /// The person is 除籍 from this 戸籍.
    pub removed: bool,
}

const SCAN_BATCH: i64 = 256;
/// Candidate rows examined at most per search, so a very broad query stays fast.
const SCAN_CAP: usize = 20_000;

impl SearchQuery {
    pub fn by_name(name: &str) -> SearchQuery {
        SearchQuery {
            name: Some(name.to_string()),
            ..SearchQuery::default()
        }
    }

    fn nonempty(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Reads a birth-date query as an ISO day.
fn birth_iso(s: &str) -> Result<String> {
    let s = s.trim();
    if let Some(g) = s
        .split('-')
        .collect::<Vec<_>>()
        .as_slice()
        .iter()
        .map(|p| p.parse::<u32>().ok())
        .collect::<Option<Vec<_>>>()
        && g.len() == 3
    {
        return Ok(format!("{:04}-{:02}-{:02}", g[0], g[1], g[2]));
    }
    WarekiDate::parse(s)
        .ok()
        .and_then(|w| w.to_gregorian())
        .map(|g| g.iso())
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "birth date {s:?}: give YYYY-MM-DD or a full 和暦 date such as 昭和47年11月3日"
            ))
        })
}

impl Store {
    /// Runs a search and appends an audit entry with the query and the number of hits.
    pub fn search_logged(
        &self,
        q: &SearchQuery,
        user: &str,
        terminal: &str,
    ) -> Result<Vec<SearchHit>> {
        let hits = self.search(q)?;
        self.audit(&AuditEvent {
            user,
            terminal,
            action: AuditAction::Search,
            target: "search",
            detail: serde_json::json!({"query": q, "hits": hits.len()}),
        })?;
        Ok(hits)
    }

    /// Runs a search (not logged: call [`Store::search_logged`] from user-facing paths).
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        let limit = q.limit.unwrap_or(100).max(1);
        let name = SearchQuery::nonempty(&q.name);
        let honseki = SearchQuery::nonempty(&q.honseki);
        let hittosha = SearchQuery::nonempty(&q.hittosha);
        let birth = SearchQuery::nonempty(&q.birth_date)
            .map(birth_iso)
            .transpose()?;
        let f = self.fold.clone();
        let name_key = name.map(|n| f.key(n));
        let honseki_key = honseki.map(|h| f.key(h));
        let hittosha_key = hittosha.map(|h| f.key(h));

        let mut hits = Vec::new();
        let mut seen = HashSet::new();
        let mut accept = |(hit, birth_iso): Carded, hits: &mut Vec<SearchHit>| {
            let id = (hit.koseki_id, hit.person_id, hit.image_register_id);
            if !seen.insert(id) {
                return;
            }
            if q.current_only && (hit.removed || hit.status != KosekiStatus::Genzai.label()) {
                return;
            }
            if q.exclude_images && hit.image_register_id.is_some() {
                return;
            }
            if let Some(k) = &honseki_key
                && !f.key(&hit.honseki).contains(k.as_str())
            {
                return;
            }
            if let Some(k) = &hittosha_key
                && !f.key(&hit.hittosha).starts_with(k.as_str())
            {
                return;
            }
            if let Some(b) = &birth
                && birth_iso.as_deref() != Some(b.as_str())
            {
                return;
            }
            if let Some(k) = &name_key
                && name.is_some_and(|n| !is_kana_text(n))
                && hit.person_id.is_none()
                && hit.image_register_id.is_none()
                && !f.key(&hit.name).starts_with(k.as_str())
            {
                return;
            }
            hits.push(hit);
        };

        // Choose the driving criterion: the name, then 筆頭者, 本籍, birth date.
        let driver: Option<(Vec<&str>, String)> = if let (Some(n), Some(k)) = (name, &name_key) {
            let fields = if is_kana_text(n) {
                vec!["kana", "kana_mei", "name", "mei"]
            } else {
                vec!["name", "mei"]
            };
            Some((fields, k.clone()))
        } else if let Some(k) = &hittosha_key {
            Some((vec!["hittosha"], k.clone()))
        } else {
            honseki_key.as_ref().map(|k| (vec!["honseki"], k.clone()))
        };

        if let Some((fields, key)) = driver {
            if key.is_empty() {
                return Ok(Vec::new());
            }
            let mut upper = key.clone();
            upper.push(char::MAX);
            let mut scanned = 0usize;
            for field in fields {
                let mut offset = 0i64;
                loop {
                    let mut stmt = self.conn.prepare_cached(&format!(
                        "SELECT {CARD_COLUMNS} FROM search_key s JOIN search_card c ON c.id = s.card_id
                         WHERE s.field = ?1 AND s.key >= ?2 AND s.key < ?3 ORDER BY s.key LIMIT ?4 OFFSET ?5"
                    ))?;
                    let rows: Vec<Carded> = stmt
                        .query_map(params![field, key, upper, SCAN_BATCH, offset], card_row)?
                        .collect::<rusqlite::Result<_>>()?;
                    let n = rows.len();
                    for row in rows {
                        scanned += 1;
                        accept(row, &mut hits);
                        if hits.len() >= limit {
                            return Ok(hits);
                        }
                    }
                    if (n as i64) < SCAN_BATCH || scanned >= SCAN_CAP {
                        break;
                    }
                    offset += SCAN_BATCH;
                }
            }
        } else if let Some(b) = &birth {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM search_card c WHERE c.birth_gregorian = ?1 LIMIT ?2"
            ))?;
            let rows: Vec<Carded> = stmt
                .query_map(params![b, SCAN_CAP as i64], card_row)?
                .collect::<rusqlite::Result<_>>()?;
            for row in rows {
                accept(row, &mut hits);
                if hits.len() >= limit {
                    break;
                }
            }
        } else {
            return Err(StoreError::Invalid(
                "search needs a name, 本籍, 筆頭者 or birth date".into(),
            ));
        }
        Ok(hits)
    }
}

/// The columns [`card_row`] reads, from `search_card c`.
const CARD_COLUMNS: &str =
    "c.koseki_id, c.person_id, c.image_register_id, c.honseki, c.hittosha, c.name, c.kana,
     c.birth_date, c.status, c.removed, c.birth_gregorian";

/// A hit and its ISO birth day (for filtering).
type Carded = (SearchHit, Option<String>);

fn card_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Carded> {
    Ok((
        SearchHit {
            koseki_id: r.get(0)?,
            person_id: r.get(1)?,
            image_register_id: r.get(2)?,
            honseki: r.get(3)?,
            hittosha: r.get(4)?,
            name: r.get(5)?,
            kana: r.get(6)?,
            birth_date: r.get(7)?,
            status: r.get(8)?,
            removed: r.get(9)?,
        },
        r.get(10)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::demo_store;
    use crate::key::Key;

    fn demo() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = demo_store(&dir.path().join("d.db"), &Key::generate()).unwrap();
        (dir, s)
    }

    fn names(h: &[SearchHit]) -> Vec<String> {
        h.iter().map(|h| h.name.clone()).collect()
    }

    #[test]
    fn by_exact_name_and_prefix() {
        let (_d, s) = demo();
        let h = s.search(&SearchQuery::by_name("山吹誠一")).unwrap();
        assert_eq!(h[0].name, "山吹\u{3000}誠一");
        assert_eq!(h[0].honseki, "架空県みなと市中央町一丁目２０番地");
        assert_eq!(h[0].hittosha, "山吹\u{3000}誠一");
        // 「山吹」 finds the family and the 改製原 image register's 見出し
        let h = s.search(&SearchQuery::by_name("山吹")).unwrap();
        assert_eq!(h.iter().filter(|h| h.person_id.is_some()).count(), 4);
        assert!(
            h.iter()
                .any(|h| h.image_register_id == Some(1) && h.status == "改製原戸籍")
        );
        // 名 only
        let h = s.search(&SearchQuery::by_name("由美")).unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}由美"]);
        assert!(
            s.search(&SearchQuery::by_name("存在しない"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn variant_insensitive_names() {
        let path = moji::refdata::mojidata_db_path();
        if !path.exists() {
            eprintln!(
                "!!!!! SKIPPED: {} absent; variant search test did not run !!!!!",
                path.display()
            );
            return;
        }
        let (_d, s) = demo();
        let h = s.search(&SearchQuery::by_name("渡辺健一")).unwrap();
        assert_eq!(
            names(&h),
            vec!["渡邊\u{E0108}\u{3000}健一"],
            "IVS kept in the result"
        );
        let h = s.search(&SearchQuery::by_name("高橋")).unwrap();
        assert_eq!(h.len(), 2);
        assert!(h.iter().all(|h| h.status == "全部除籍" && h.removed));
        assert!(
            s.search(&SearchQuery {
                current_only: true,
                ..SearchQuery::by_name("高橋")
            })
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn by_kana_honseki_hittosha_birth() {
        let (_d, s) = demo();
        let h = s
            .search(&SearchQuery::by_name("やまぶき せいいち"))
            .unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}誠一"]);
        let h = s.search(&SearchQuery::by_name("ﾋﾅ")).unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}陽菜"]);
        assert!(h[0].removed);
        let h = s
            .search(&SearchQuery {
                honseki: Some("架空県みなと市港南".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].koseki_id, Some(2));
        let h = s
            .search(&SearchQuery {
                hittosha: Some("山吹".into()),
                exclude_images: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            h.iter().map(|h| h.koseki_id).collect::<Vec<_>>(),
            vec![Some(1)]
        );
        let h = s
            .search(&SearchQuery {
                birth_date: Some("昭和４７年１１月３日".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}誠一"]);
        let h = s
            .search(&SearchQuery {
                birth_date: Some("1974-02-14".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}由美"]);
        // combined: name + birth date filters
        let h = s
            .search(&SearchQuery {
                birth_date: Some("1974-02-14".into()),
                ..SearchQuery::by_name("山吹")
            })
            .unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}由美"]);
        assert!(s.search(&SearchQuery::default()).is_err());
        assert!(
            s.search(&SearchQuery {
                birth_date: Some("someday".into()),
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn hostile_queries_are_just_text() {
        let (_d, s) = demo();
        for q in [
            "' OR 1=1 --",
            "%",
            "_",
            "山吹'; DROP TABLE koseki; --",
            "\u{E0100}",
        ] {
            assert!(
                s.search(&SearchQuery::by_name(q)).unwrap().is_empty(),
                "{q}"
            );
        }
        assert_eq!(s.counts().unwrap().koseki, 3);
    }

    #[test]
    fn logged_search_writes_the_query() {
        let (_d, s) = demo();
        s.search_logged(&SearchQuery::by_name("山吹"), "sato", "T1")
            .unwrap();
        let e = &s.audit_entries(&Default::default()).unwrap()[0];
        assert_eq!(e.action, "search");
        assert!(e.detail.contains("山吹"), "{}", e.detail);
    }
}
