//! The search behind the search page: 氏名 (variant-insensitive through the store's
//! MJ縮退 fold keys; kana folded), 本籍, 筆頭者, 生年月日, over current and closed 戸籍 and
//! the 見出し of image registers.
//!
//! The matching itself is runtime's indexed search ([`runtime::search`]); this module maps
//! the form to it and logs the query through runtime's logged search.

use runtime::Store;
use runtime::search::{SearchHit, SearchQuery};

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
pub fn search(
    store: &Store,
    q: &Query,
    user: &str,
    terminal: &str,
) -> Result<Vec<SearchHit>, FindError> {
    if q.is_empty() {
        return Ok(Vec::new());
    }
    // 氏名 takes kanji or kana; the separate よみ field narrows a kanji search.
    let (name, kana_filter) = match (nonempty(&q.name), nonempty(&q.kana)) {
        (Some(n), k) => (Some(n), k),
        (None, k) => (k, None),
    };
    let query = SearchQuery {
        name,
        honseki: nonempty(&q.honseki),
        hittosha: nonempty(&q.hittosha),
        birth_date: nonempty(&q.birth),
        limit: Some(MAX_HITS),
        ..SearchQuery::default()
    };
    let hits = store
        .search_logged(&query, user, terminal)
        .map_err(|e| match e {
            runtime::StoreError::Invalid(m) => FindError::BadQuery(m),
            e => FindError::Store(e),
        })?;
    Ok(match kana_filter {
        None => hits,
        Some(k) => {
            let fold = store.fold_table();
            let key = fold.key(&k);
            hits.into_iter()
                .filter(|h| {
                    h.kana
                        .as_deref()
                        .is_some_and(|kana| fold.key(kana).starts_with(&key))
                })
                .collect()
        }
    })
}
