//! The search behind the search page: 氏名 (variant-insensitive through the store's
//! MJ縮退 fold keys; kana folded), 本籍, 筆頭者, 生年月日, over current and closed 戸籍 and
//! the 見出し of image registers.
//!
//! NOTE: a scan over the store, until runtime's indexed search API lands; the page and the
//! audit entries stay the same when it is swapped in.

use runtime::Store;
use runtime::model::{KosekiDate, Person};

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

/// One result row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Hit {
    /// `koseki` or `image`.
    pub source: &'static str,
    pub koseki_id: Option<i64>,
    pub person_id: Option<i64>,
    pub image_register_id: Option<i64>,
    pub name: String,
    pub birth: String,
    pub honseki: String,
    pub hittosha: String,
    /// 現在 / 全部除籍 / 改製原 / 除籍 (person removed) / image register kind.
    pub status: String,
}

pub const MAX_HITS: usize = 200;

fn contains_key(store: &Store, haystack: &str, needle: &str) -> bool {
    let fold = store.fold_table();
    let n = fold.key(needle);
    !n.is_empty() && fold.key(haystack).contains(&n)
}

fn birth_matches(d: &Option<KosekiDate>, q: &str) -> bool {
    let q = q.trim();
    match d {
        Some(d) => {
            d.gregorian.as_deref() == Some(q)
                || d.text == q
                || d.wareki
                    .map(|w| w.to_fullwidth() == wareki::to_fullwidth_digits(q))
                    .unwrap_or(false)
        }
        None => false,
    }
}

fn person_matches(store: &Store, q: &Query, p: &Person, honseki: &str, hittosha: &str) -> bool {
    let full = format!("{}{}", p.name.uji.text, p.name.mei.text);
    (q.name.trim().is_empty() || contains_key(store, &full, &q.name))
        && (q.kana.trim().is_empty() || {
            let kana = format!(
                "{}{}",
                p.uji_furigana
                    .as_ref()
                    .map(|f| f.kana.text.as_str())
                    .unwrap_or(""),
                p.mei_furigana
                    .as_ref()
                    .map(|f| f.kana.text.as_str())
                    .unwrap_or("")
            );
            contains_key(store, &kana, &q.kana)
        })
        && (q.honseki.trim().is_empty() || contains_key(store, honseki, &q.honseki))
        && (q.hittosha.trim().is_empty() || contains_key(store, hittosha, &q.hittosha))
        && (q.birth.trim().is_empty() || birth_matches(&p.birth_date, &q.birth))
}

/// Run a query. At most [`MAX_HITS`] rows.
pub fn search(store: &Store, q: &Query) -> Result<Vec<Hit>, runtime::StoreError> {
    let mut hits = Vec::new();
    if q.is_empty() {
        return Ok(hits);
    }
    for summary in store.list_koseki(0, i64::MAX)? {
        let Some(k) = store.koseki(summary.id)? else {
            continue;
        };
        let honseki = k.honseki.display.text.clone();
        let hittosha = k.hittosha.display();
        for p in &k.persons {
            if person_matches(store, q, p, &honseki, &hittosha) {
                hits.push(Hit {
                    source: "koseki",
                    koseki_id: Some(k.id),
                    person_id: Some(p.id),
                    image_register_id: None,
                    name: p.name.display(),
                    birth: p
                        .birth_date
                        .as_ref()
                        .map(certificate::from_model::date_text)
                        .unwrap_or_default(),
                    honseki: honseki.clone(),
                    hittosha: hittosha.clone(),
                    status: if p.removed {
                        format!("{}（除籍）", k.status.label())
                    } else {
                        k.status.label().to_string()
                    },
                });
                if hits.len() >= MAX_HITS {
                    return Ok(hits);
                }
            }
        }
    }
    if !q.kana.trim().is_empty() || !q.birth.trim().is_empty() {
        return Ok(hits); // 見出し carry neither kana nor birth dates
    }
    for id in store.image_register_ids()? {
        let Some(r) = store.image_register(id)? else {
            continue;
        };
        let honseki = r.honseki.display.text.clone();
        let hittosha = r.hittosha.display();
        let mut names = vec![r.hittosha.clone()];
        names.extend(r.names.iter().cloned());
        for n in names {
            let full = format!("{}{}", n.uji.text, n.mei.text);
            if (q.name.trim().is_empty() || contains_key(store, &full, &q.name))
                && (q.honseki.trim().is_empty() || contains_key(store, &honseki, &q.honseki))
                && (q.hittosha.trim().is_empty() || contains_key(store, &hittosha, &q.hittosha))
            {
                hits.push(Hit {
                    source: "image",
                    koseki_id: None,
                    person_id: None,
                    image_register_id: Some(r.id),
                    name: n.display(),
                    birth: String::new(),
                    honseki: honseki.clone(),
                    hittosha: hittosha.clone(),
                    status: format!("{}（画像）", r.kind.label()),
                });
                if hits.len() >= MAX_HITS {
                    return Ok(hits);
                }
            }
        }
    }
    Ok(hits)
}
