//! The search behind the search page: 氏名 (variant-insensitive through the store's
//! MJ縮退 fold keys; kana folded), 本籍, 筆頭者, 生年月日, over current and closed 戸籍 and
//! the 見出し of image registers.
//!
//! The matching itself is runtime's indexed search ([`runtime::search`]); this module maps
//! the form to it and logs the query through runtime's logged search.

use runtime::Store;
use runtime::search::{SearchQuery, SearchResults};

/// What the clerk typed; empty fields are ignored.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct Query {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub honseki: String,
    #[serde(default)]
    pub hittosha: String,
    /// ISO `YYYY-MM-DD` or 和暦 text.
    #[serde(default)]
    pub birth: String,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        [
            &self.name,
            &self.kana,
            &self.honseki,
            &self.hittosha,
            &self.birth,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

pub const MAX_HITS: usize = 200;

fn nonempty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Why a search could not run (shown to the clerk).
#[derive(Debug)]
pub enum FindError {
    /// The query itself is unusable (e.g. a birth date that is not a date).
    BadQuery(String),
    Store(runtime::StoreError),
}

/// Run a query for `user` at `terminal`; the query and hit count go to the audit chain.
/// A broad query comes back cut to the first [`MAX_HITS`] ranked hits with a capped count
/// (`SearchResults::truncated`), so the page can ask the clerk to narrow it.
pub fn search(
    store: &Store,
    q: &Query,
    user: &str,
    terminal: &str,
) -> Result<SearchResults, FindError> {
    if q.is_empty() {
        return Ok(SearchResults::default());
    }
    // 氏名 takes kanji or kana; the separate よみ field narrows a kanji search (applied by
    // the store before the cut, so no match is lost to it).
    let (name, kana) = match (nonempty(&q.name), nonempty(&q.kana)) {
        (Some(n), k) => (Some(n), k),
        (None, k) => (k, None),
    };
    let query = SearchQuery {
        name,
        kana,
        honseki: nonempty(&q.honseki),
        hittosha: nonempty(&q.hittosha),
        birth_date: nonempty(&q.birth),
        limit: Some(MAX_HITS),
        ..SearchQuery::default()
    };
    store
        .search_results_logged(&query, user, terminal)
        .map_err(|e| match e {
            runtime::StoreError::Invalid(m) => FindError::BadQuery(m),
            e => FindError::Store(e),
        })
}
