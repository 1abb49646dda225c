//! Search by 氏名 (kanji, variant-insensitive through the MJ縮退 fold; or kana through 振り仮名),
//! 本籍, 筆頭者 and 生年月日, over current and closed 戸籍 and image-register 見出し.
//!
//! Every criterion folds the query with the store's [`FoldTable`](crate::fold::FoldTable) and
//! matches by prefix on the `search_key` index (`field, key`) or the birth-day index; see
//! [`Store::search_results`] for how criteria are combined.
//!
//! Like a register system's result page, a search returns the first [`DEFAULT_HITS`] hits in
//! rank order (a caller may ask for up to [`MAX_HITS`]) and how many matched, counted up to
//! [`COUNT_CAP`] ("more than 1000"); [`SearchResults::truncated`] says when the caller must
//! tell the clerk that results were cut and the search should be narrowed. That keeps a search
//! for a common 氏 (佐藤: some 70,000 persons in a city of a million) as cheap as a rare one:
//! the index lists are contiguous range scans, and only the cards shown are read
//! (`bench/search.sh`: p99 well under 20 ms at 1,000,000 persons).

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};
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
    /// 振り仮名 (氏 名, 氏 or 名; hiragana, katakana or half-width), prefix match: narrows a
    /// kanji `name`, or searches alone.
    #[serde(default)]
    pub kana: Option<String>,
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
    /// At most this many hits ([`DEFAULT_HITS`] when not given; never more than [`MAX_HITS`]).
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

/// Hits returned when the query does not say (a staff result page's length).
pub const DEFAULT_HITS: usize = 100;
/// Hits returned at most, whatever the query asks: a register search shows the first ranked
/// results and how many matched; a clerk narrows the search rather than paging through
/// thousands of 佐藤.
pub const MAX_HITS: usize = 200;
/// Matches counted at most; beyond it the count reads "more than 1000".
pub const COUNT_CAP: usize = 1000;
/// Candidates examined at most when a criterion can only be checked on the card (current-only,
/// no images, or a second criterion too broad to list): bounds a search such as
/// 「佐藤」 + 「架空県みなと市桜台」 that no index narrows: a card read is some 10 µs of CPU
/// (mostly page decryption), so this keeps such a search within a few milliseconds; it then
/// shows what it found and says there may be more.
pub const SCAN_CAP: usize = 400;
/// A 筆頭者 / 本籍 list of at most this many 戸籍 is turned into their persons (a card read and an
/// index lookup each) rather than checked on each person candidate's card.
const EXPAND_CAP: usize = 120;

/// The outcome of a search: the first hits in rank order, and how many matched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// At most the query's limit ([`DEFAULT_HITS`], never more than [`MAX_HITS`]), best first:
    /// exact keys before longer ones (氏名 before 名 matches), then by key.
    pub hits: Vec<SearchHit>,
    /// Matches counted: all of them when `more` is false.
    pub matched: usize,
    /// Counting stopped at a cap ([`COUNT_CAP`] matches, or [`SCAN_CAP`] candidates examined,
    /// or the hits were filled by a filtered scan): there are more than `matched` matches.
    pub more: bool,
}

impl SearchResults {
    /// Whether some matches are not among the hits (the caller should say so).
    pub fn truncated(&self) -> bool {
        self.more || self.hits.len() < self.matched
    }

    /// The count as shown to a clerk: 「12件」, 「1000件以上」.
    pub fn count_label(&self) -> String {
        if self.more {
            format!("{}件以上", self.matched)
        } else {
            format!("{}件", self.matched)
        }
    }
}

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

/// One search criterion, as index ranges (folded-key prefixes) or a birth day.
#[derive(Debug)]
enum Criterion {
    /// Any of these `(field, key prefix)` ranges of `search_key`, in rank order.
    Keys(Vec<(&'static str, String)>),
    /// `search_card.birth_gregorian`.
    Birth(String),
}

impl Criterion {
    /// Whether the criterion's cards are persons (and image registers), not 戸籍.
    fn person_level(&self) -> bool {
        match self {
            Criterion::Birth(_) => true,
            Criterion::Keys(ranges) => ranges
                .iter()
                .all(|(field, _)| !matches!(*field, "hittosha" | "honseki")),
        }
    }
}

/// A criterion's matching cards, listed up to a cap.
struct Listed {
    /// Card ids in rank order, without repeats.
    ids: Vec<i64>,
    /// The list stopped at its cap: more cards match.
    capped: bool,
}

impl Store {
    /// Runs a search and appends an audit entry with the query and the number of hits.
    pub fn search_logged(
        &self,
        q: &SearchQuery,
        user: &str,
        terminal: &str,
    ) -> Result<Vec<SearchHit>> {
        Ok(self.search_results_logged(q, user, terminal)?.hits)
    }

    /// [`Store::search_results`], with an audit entry (query, hits shown, matches counted).
    pub fn search_results_logged(
        &self,
        q: &SearchQuery,
        user: &str,
        terminal: &str,
    ) -> Result<SearchResults> {
        let r = self.search_results(q)?;
        self.audit(&AuditEvent {
            user,
            terminal,
            action: AuditAction::Search,
            target: "search",
            detail: serde_json::json!({
                "query": q, "hits": r.hits.len(), "matched": r.matched, "more": r.more
            }),
        })?;
        Ok(r)
    }

    /// Runs a search and returns its hits only (not logged: call [`Store::search_logged`] from
    /// user-facing paths).
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        Ok(self.search_results(q)?.hits)
    }

    /// Runs a search: the first hits in rank order and how many matched (not logged).
    ///
    /// Each criterion is a set of cards read from an index: folded-key prefix ranges of
    /// `search_key` (氏名, 名, 振り仮名 on person and image cards; 筆頭者, 本籍 on 戸籍 and image
    /// cards) or the birth-day index. Each set is listed up to [`COUNT_CAP`] ids (a contiguous
    /// index range, no card read); the smallest drives, the others filter by membership, and
    /// only the hits shown are read from `search_card`. When a name or birth date is given the
    /// hits are persons (and image registers), and 筆頭者 / 本籍 narrow them through their
    /// 戸籍. A criterion too broad to list whole, and current-only / no-images, are checked on
    /// the card, over at most [`SCAN_CAP`] candidates.
    pub fn search_results(&self, q: &SearchQuery) -> Result<SearchResults> {
        // One read transaction for the whole search: outside one, every card read would take
        // and drop the file lock and re-validate the page cache (a stat and a page-1 read and
        // decryption each), which costs more than the read itself.
        self.atomically(|s| s.search_in_transaction(q))
    }

    fn search_in_transaction(&self, q: &SearchQuery) -> Result<SearchResults> {
        // An index emptied by a schema upgrade would answer "nothing found" for everyone.
        if self.search_index_stale()? {
            return Err(StoreError::Invalid(format!(
                "the search index of {} is out of date after a schema upgrade; an administrator \
                 rebuilds it with `koseki search --db {} --rebuild-index`",
                self.path.display(),
                self.path.display()
            )));
        }
        let limit = q.limit.unwrap_or(DEFAULT_HITS).clamp(1, MAX_HITS);
        let name = SearchQuery::nonempty(&q.name);
        let kana = SearchQuery::nonempty(&q.kana);
        let honseki = SearchQuery::nonempty(&q.honseki);
        let hittosha = SearchQuery::nonempty(&q.hittosha);
        let birth = SearchQuery::nonempty(&q.birth_date)
            .map(birth_iso)
            .transpose()?;
        if name.is_none()
            && kana.is_none()
            && honseki.is_none()
            && hittosha.is_none()
            && birth.is_none()
        {
            return Err(StoreError::Invalid(
                "search needs a name, 振り仮名, 本籍, 筆頭者 or birth date".into(),
            ));
        }
        let f = &*self.fold;
        let name_key = name.map(|n| f.key(n));
        let kana_key = kana.map(|k| f.key(k));
        let honseki_key = honseki.map(|h| f.key(h));
        let hittosha_key = hittosha.map(|h| f.key(h));
        // A criterion that folds to nothing (only a variation selector, say) matches nothing.
        if [&name_key, &kana_key, &honseki_key, &hittosha_key]
            .iter()
            .any(|k| k.as_deref() == Some(""))
        {
            return Ok(SearchResults::default());
        }

        // Criteria in the order that decides ties: the name first.
        let mut criteria: Vec<Criterion> = Vec::new();
        if let (Some(n), Some(k)) = (name, &name_key) {
            let fields: &[&'static str] = if is_kana_text(n) {
                &["kana", "kana_mei", "name", "mei"]
            } else {
                &["name", "mei"]
            };
            criteria.push(Criterion::Keys(
                fields.iter().map(|&fl| (fl, k.clone())).collect(),
            ));
        }
        if let Some(k) = &kana_key {
            criteria.push(Criterion::Keys(vec![
                ("kana", k.clone()),
                ("kana_mei", k.clone()),
            ]));
        }
        if let Some(b) = &birth {
            criteria.push(Criterion::Birth(b.clone()));
        }
        if let Some(k) = &hittosha_key {
            criteria.push(Criterion::Keys(vec![("hittosha", k.clone())]));
        }
        if let Some(k) = &honseki_key {
            criteria.push(Criterion::Keys(vec![("honseki", k.clone())]));
        }
        let persons = name.is_some() || kana.is_some() || birth.is_some();
        let card_filters = q.current_only || q.exclude_images;

        // One criterion alone needs no sizing: list it as far as it will be read.
        let cap = if criteria.len() == 1 && card_filters {
            SCAN_CAP
        } else {
            COUNT_CAP
        };
        let mut lists: Vec<Listed> = criteria
            .iter()
            .map(|c| self.list_cards(c, cap))
            .collect::<Result<_>>()?;

        // Person hits: a 筆頭者 / 本籍 list holds 戸籍 cards. A short one is turned into its
        // 戸籍' person cards (cheaper than checking every person candidate's card); a long one
        // is checked on the person card, which carries its 戸籍's 筆頭者 and 本籍.
        let mut on_card: Vec<usize> = Vec::new();
        if persons {
            let shortest_person_list = lists
                .iter()
                .zip(&criteria)
                .filter(|(_, c)| c.person_level())
                .map(|(l, _)| if l.capped { usize::MAX } else { l.ids.len() })
                .min()
                .unwrap_or(usize::MAX);
            for i in 0..criteria.len() {
                if criteria[i].person_level() {
                    continue;
                }
                let l = &lists[i];
                if !l.capped
                    && l.ids.len() <= EXPAND_CAP
                    && l.ids.len().saturating_mul(4) < shortest_person_list
                {
                    lists[i] = self.persons_of(&l.ids, cap)?;
                } else {
                    on_card.push(i);
                }
            }
        }
        let listed: Vec<usize> = (0..criteria.len())
            .filter(|i| !on_card.contains(i))
            .collect();
        // The driver: the shortest list (a capped list counts as longer than any whole one).
        let driver = listed
            .iter()
            .copied()
            .min_by_key(|&i| (lists[i].capped, lists[i].ids.len()))
            .unwrap_or(0);
        for &i in &listed {
            if i != driver && lists[i].capped {
                on_card.push(i);
            }
        }
        let members: Vec<HashSet<i64>> = listed
            .iter()
            .filter(|&&i| i != driver && !lists[i].capped)
            .map(|&i| lists[i].ids.iter().copied().collect())
            .collect();

        if !card_filters && on_card.is_empty() {
            // Decided by the index lists alone: count exactly up to the cap, read only the
            // cards shown.
            let d = &lists[driver];
            let matching: Vec<i64> = d
                .ids
                .iter()
                .copied()
                .filter(|id| members.iter().all(|m| m.contains(id)))
                .collect();
            let mut hits = Vec::with_capacity(limit.min(matching.len()));
            for &id in matching.iter().take(limit) {
                if let Some((hit, _)) = self.card(id)? {
                    hits.push(hit);
                }
            }
            return Ok(SearchResults {
                hits,
                matched: matching.len(),
                more: d.capped,
            });
        }

        // Some check needs the card: scan the driver's candidates in rank order, reading at
        // most SCAN_CAP cards.
        if lists[driver].capped && lists[driver].ids.len() < SCAN_CAP {
            lists[driver] = self.list_cards(&criteria[driver], SCAN_CAP)?;
        }
        let d = &lists[driver];
        let mut hits = Vec::new();
        let mut more = d.capped;
        let mut read = 0usize;
        for &id in &d.ids {
            // Membership in the other lists is free; check it before reading the card.
            if !members.iter().all(|m| m.contains(&id)) {
                continue;
            }
            if read == SCAN_CAP {
                more = true;
                break;
            }
            read += 1;
            let Some((hit, birth_iso)) = self.card(id)? else {
                continue;
            };
            if q.current_only && (hit.removed || hit.status != KosekiStatus::Genzai.label()) {
                continue;
            }
            if q.exclude_images && hit.image_register_id.is_some() {
                continue;
            }
            if !on_card
                .iter()
                .all(|&i| self.card_meets(&criteria[i], &hit, birth_iso.as_deref()))
            {
                continue;
            }
            if hits.len() == limit {
                // A match past a full page: counting on would read every remaining card.
                more = true;
                break;
            }
            hits.push(hit);
        }
        Ok(SearchResults {
            matched: hits.len(),
            hits,
            more,
        })
    }

    /// The person cards (and image cards, kept as they are) of a list of 戸籍 cards, at most
    /// `cap`.
    fn persons_of(&self, cards: &[i64], cap: usize) -> Result<Listed> {
        let mut ids = Vec::new();
        for &card in cards {
            let Some((hit, _)) = self.card(card)? else {
                continue;
            };
            if hit.image_register_id.is_some() {
                ids.push(card);
            } else if let Some(kid) = hit.koseki_id {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT id FROM search_card WHERE koseki_id = ?1 AND person_id IS NOT NULL
                     ORDER BY koseki_id, person_id",
                )?;
                for id in stmt.query_map([kid], |r| r.get::<_, i64>(0))? {
                    ids.push(id?);
                }
            }
            if ids.len() > cap {
                ids.truncate(cap);
                return Ok(Listed { ids, capped: true });
            }
        }
        Ok(Listed { ids, capped: false })
    }

    /// A criterion's cards in rank order, at most `cap` of them (`capped` when more match).
    fn list_cards(&self, c: &Criterion, cap: usize) -> Result<Listed> {
        let mut ids = Vec::new();
        let mut capped = false;
        match c {
            Criterion::Keys(ranges) => {
                // No LIMIT: a card may hold several keys in one range (former names, the names
                // of an image register's 見出し), so a row count says nothing about the cards
                // left; the scan is lazy and stops at the first card past the cap.
                let mut seen = HashSet::new();
                'ranges: for (field, key) in ranges {
                    let mut upper = key.clone();
                    upper.push(char::MAX);
                    let mut stmt = self.conn.prepare_cached(
                        "SELECT card_id FROM search_key WHERE field = ?1 AND key >= ?2 AND key < ?3
                         ORDER BY key, card_id",
                    )?;
                    let mut rows = stmt.query(params![field, key, upper])?;
                    while let Some(r) = rows.next()? {
                        let id: i64 = r.get(0)?;
                        if seen.insert(id) {
                            if ids.len() == cap {
                                capped = true;
                                break 'ranges;
                            }
                            ids.push(id);
                        }
                    }
                }
            }
            Criterion::Birth(iso) => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT id FROM search_card WHERE birth_gregorian = ?1 ORDER BY id LIMIT ?2",
                )?;
                ids = stmt
                    .query_map(params![iso, (cap + 1) as i64], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                if ids.len() > cap {
                    ids.truncate(cap);
                    capped = true;
                }
            }
        }
        Ok(Listed { ids, capped })
    }

    /// Reads one card.
    fn card(&self, id: i64) -> Result<Option<Carded>> {
        let mut stmt = self.conn.prepare_cached(CARD_BY_ID)?;
        Ok(stmt.query_row([id], card_row).optional()?)
    }

    /// Checks a criterion on a card's own text (for a criterion too broad to list whole). The
    /// card carries the current names only, so here a former name or another 見出し name does
    /// not match; a criterion listed whole matches those too.
    fn card_meets(&self, c: &Criterion, hit: &SearchHit, birth_iso: Option<&str>) -> bool {
        let f = &*self.fold;
        match c {
            Criterion::Birth(b) => birth_iso == Some(b.as_str()),
            Criterion::Keys(ranges) => ranges.iter().any(|(field, key)| {
                let text = match *field {
                    "name" | "hittosha" => f.key(if *field == "name" {
                        &hit.name
                    } else {
                        &hit.hittosha
                    }),
                    "mei" => f.key(mei_of(&hit.name)),
                    "kana" => f.key(hit.kana.as_deref().unwrap_or("")),
                    "kana_mei" => f.key(mei_of(hit.kana.as_deref().unwrap_or(""))),
                    "honseki" => return f.key(&hit.honseki).contains(key.as_str()),
                    _ => return false,
                };
                !text.is_empty() && text.starts_with(key.as_str())
            }),
        }
    }
}

/// The 名 of a displayed 「氏　名」 (the whole text when there is no full-width space).
fn mei_of(display: &str) -> &str {
    display
        .split_once('\u{3000}')
        .map(|(_, m)| m)
        .unwrap_or(display)
}

/// One card, the columns [`card_row`] reads.
const CARD_BY_ID: &str = "SELECT c.koseki_id, c.person_id, c.image_register_id, c.honseki,
     c.hittosha, c.name, c.kana, c.birth_date, c.status, c.removed, c.birth_gregorian
     FROM search_card c WHERE c.id = ?1";

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
        // a kanji name narrowed by its 振り仮名; 振り仮名 alone
        let h = s
            .search(&SearchQuery {
                kana: Some("ゆみ".into()),
                ..SearchQuery::by_name("山吹")
            })
            .unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}由美"]);
        let h = s
            .search(&SearchQuery {
                kana: Some("ﾔﾏﾌﾞｷ ｾｲｲﾁ".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(names(&h), vec!["山吹\u{3000}誠一"]);
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

    /// `n` 戸籍 of four 佐藤 each (名 「一{i}」, 「二{i}」 …), every other one closed, each in
    /// its own 番地; plus the demo families.
    fn crowd(n: usize) -> (tempfile::TempDir, Store) {
        let (d, s) = demo();
        let base = crate::fixtures::yamabuki();
        s.atomically(|s| {
            for i in 0..n {
                let mut k = base.clone();
                for (j, p) in k.persons.iter_mut().enumerate() {
                    p.name =
                        PersonName::new("佐藤", &format!("{}{i}", ["一", "二", "三", "四"][j % 4]));
                }
                k.hittosha = k.persons[0].name.clone();
                k.honseki.chiban = format!("{}番地", 1000 + i);
                k.honseki.display = Text::new(format!("架空県みなと市港北{}番地", 1000 + i));
                k.honseki.town = "港北".into();
                if i % 2 == 1 {
                    k.status = KosekiStatus::ZenbuJoseki;
                }
                s.insert_koseki(&k)?;
            }
            Ok(())
        })
        .unwrap();
        (d, s)
    }

    #[test]
    fn broad_searches_are_cut_and_counted() {
        let (_d, s) = crowd(300);
        let persons = 300 * crate::fixtures::yamabuki().persons.len();
        assert!(persons > COUNT_CAP);
        // 「佐藤」: the first page, and "more than 1000"
        let r = s.search_results(&SearchQuery::by_name("佐藤")).unwrap();
        assert_eq!(r.hits.len(), DEFAULT_HITS);
        assert_eq!((r.matched, r.more), (COUNT_CAP, true));
        assert!(r.truncated());
        assert_eq!(r.count_label(), "1000件以上");
        assert!(r.hits.iter().all(|h| h.name.starts_with("佐藤")));
        // a limit beyond MAX_HITS is held to it
        let r = s
            .search_results(&SearchQuery {
                limit: Some(10_000),
                ..SearchQuery::by_name("佐藤")
            })
            .unwrap();
        assert_eq!(r.hits.len(), MAX_HITS);
        // a narrow one is counted exactly; the exact key ranks first
        let r = s.search_results(&SearchQuery::by_name("佐藤一7")).unwrap();
        assert_eq!(r.hits[0].name, "佐藤\u{3000}一7");
        // 一7, 一70 … 一79, 一700 … (n < 300: none)
        assert_eq!((r.matched, r.more, r.truncated()), (11, false, false));
        // 名 only
        let r = s.search_results(&SearchQuery::by_name("二25")).unwrap();
        assert_eq!(r.matched, 11, "{:?}", names(&r.hits));
        // current only: checked on the card, page filled, more said
        let r = s
            .search_results(&SearchQuery {
                current_only: true,
                ..SearchQuery::by_name("佐藤")
            })
            .unwrap();
        assert_eq!(r.hits.len(), DEFAULT_HITS);
        assert!(r.more);
        assert!(r.hits.iter().all(|h| h.status == "現在" && !h.removed));
    }

    #[test]
    fn several_keys_of_one_card_do_not_cut_a_list_short() {
        // image registers whose 見出し names all start like the crowd's: each image card has
        // four keys in the range of 「佐藤一」, so rows and cards differ
        let (_d, s) = crowd(300);
        let base = crate::fixtures::yamabuki();
        s.atomically(|s| {
            for i in 0..300 {
                let name = |x: &str| PersonName::new("佐藤", &format!("一{i}{x}"));
                s.insert_image_register(&ImageRegister {
                    id: 0,
                    kind: ImageRegisterKind::Kaiseigen,
                    honseki: base.honseki.clone(),
                    hittosha: name("a"),
                    names: vec![name("b"), name("c"), name("d")],
                    closed_date: None,
                    pages: vec![],
                    source_key: None,
                    migrated: Default::default(),
                })?;
            }
            Ok(())
        })
        .unwrap();
        let r = s
            .search_results(&SearchQuery {
                honseki: Some("架空県みなと市港北1042番地".into()),
                ..SearchQuery::by_name("佐藤")
            })
            .unwrap();
        assert_eq!(r.matched, base.persons.len(), "{:?}", names(&r.hits));
    }

    #[test]
    fn combined_criteria_narrow_through_the_koseki() {
        let (_d, s) = crowd(300);
        // a broad name with a narrow 本籍: the persons of that one 戸籍
        let r = s
            .search_results(&SearchQuery {
                honseki: Some("架空県みなと市港北1042番地".into()),
                ..SearchQuery::by_name("佐藤")
            })
            .unwrap();
        let mut n = names(&r.hits);
        n.sort();
        assert_eq!(r.matched, n.len());
        assert_eq!(n.len(), crate::fixtures::yamabuki().persons.len());
        assert!(n.contains(&"佐藤\u{3000}一42".to_string()), "{n:?}");
        // 筆頭者 narrows a name to the persons of matching 戸籍
        let r = s
            .search_results(&SearchQuery {
                hittosha: Some("佐藤一123".into()),
                ..SearchQuery::by_name("佐藤二")
            })
            .unwrap();
        assert_eq!(names(&r.hits), vec!["佐藤\u{3000}二123"]);
        // a broad name with a broad 本籍: checked on the cards
        let r = s
            .search_results(&SearchQuery {
                honseki: Some("港北".into()),
                limit: Some(20),
                ..SearchQuery::by_name("佐藤三")
            })
            .unwrap();
        assert_eq!(r.hits.len(), 20);
        assert!(r.more);
        assert!(r.hits.iter().all(|h| h.honseki.contains("港北")));
        // a broad name with a birth date: the persons born that day with that name
        let birth = s.search(&SearchQuery::by_name("佐藤一7")).unwrap()[0]
            .birth_date
            .clone()
            .unwrap();
        let r = s
            .search_results(&SearchQuery {
                birth_date: Some(birth.clone()),
                ..SearchQuery::by_name("佐藤一")
            })
            .unwrap();
        // every 佐藤一… of the crowd was born on the same day (the template's)
        assert_eq!(r.matched, 300.min(COUNT_CAP));
        assert!(
            r.hits
                .iter()
                .all(|h| h.birth_date.as_deref() == Some(birth.as_str()))
        );
        // 本籍 alone lists 戸籍, not persons
        let r = s
            .search_results(&SearchQuery {
                honseki: Some("港北1042".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.matched, 1);
        assert_eq!(r.hits[0].person_id, None);
    }

    #[test]
    fn a_stale_index_is_refused_until_rebuilt() {
        let (_d, s) = demo();
        assert!(!s.ensure_search_index().unwrap());
        let before = s.search(&SearchQuery::by_name("山吹誠一")).unwrap();
        assert_eq!(before.len(), 2, "the person and the 改製原 見出し");
        // what a schema migration of the index tables leaves behind
        s.connection()
            .execute_batch(
                "DELETE FROM search_key; DELETE FROM search_card;
                 INSERT INTO meta (key, value) VALUES ('search_index_stale', '1');",
            )
            .unwrap();
        let e = s.search(&SearchQuery::by_name("山吹")).unwrap_err();
        assert!(e.to_string().contains("--rebuild-index"), "{e}");
        assert!(s.ensure_search_index().unwrap());
        assert_eq!(s.search(&SearchQuery::by_name("山吹誠一")).unwrap(), before);
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
