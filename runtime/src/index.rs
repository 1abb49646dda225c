//! The search index: derived rows kept beside the content (see migrations/0003).
//!
//! A *card* per hit target (a 戸籍, a person in a 戸籍, an image register) holds what a result
//! line shows; *keys* are folded strings (see [`crate::fold`]) pointing at cards. Cards may be
//! updated (they are derived, not register content); a person's older names keep their keys,
//! so a former name still finds the person.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::model::*;
use crate::store::Store;

/// What a card shows.
pub(crate) struct Card<'a> {
    pub honseki: &'a str,
    pub hittosha: &'a str,
    pub name: &'a str,
    pub kana: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub birth_gregorian: Option<&'a str>,
    pub status: &'a str,
    pub removed: bool,
}

/// The search index of a bulk load in the making. Every card is new (no look-up first), and
/// keys are gathered here and written once, sorted, when the load finishes
/// ([`Store::write_sorted_keys`]): appending to the key b-tree in order costs a fraction of
/// one random insert per key.
#[derive(Default)]
pub(crate) struct PendingIndex {
    keys: PendingKeys,
    /// The 戸籍 header card last indexed (its persons follow it): id, 本籍, 筆頭者, status.
    head: Option<(KosekiId, String, String, String)>,
}

/// Search keys a bulk load gathered: (field, folded key, card id).
pub(crate) type PendingKeys = Vec<(&'static str, String, i64)>;

/// Puts gathered keys in key order, once each. A bulk load does it on the other core while
/// the content commits.
pub(crate) fn sort_keys(mut keys: PendingKeys) -> PendingKeys {
    keys.sort_unstable();
    keys.dedup();
    keys
}

impl Store {
    /// The keys a bulk load gathered, taken out of it (none for any other store).
    pub(crate) fn take_pending_keys(&self) -> PendingKeys {
        match &self.bulk {
            Some(bulk) => std::mem::take(&mut bulk.borrow_mut().keys),
            None => Vec::new(),
        }
    }

    /// Writes keys in key order ([`sort_keys`]).
    pub(crate) fn write_sorted_keys(&self, keys: &PendingKeys) -> Result<()> {
        // Many rows a statement: one step inserts them all, and the statement's own cost
        // (bind, step, reset) was most of a key's.
        const ROWS: usize = 64;
        let values = |n: usize| {
            (0..n)
                .map(|i| format!("(?{}, ?{}, ?{})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let insert = |n: usize| -> Result<rusqlite::Statement<'_>> {
            Ok(self.conn.prepare(&format!(
                "INSERT INTO search_key (field, key, card_id) VALUES {}",
                values(n)
            ))?)
        };
        let write = |stmt: &mut rusqlite::Statement<'_>, rows: &[(&'static str, String, i64)]| {
            for (i, (field, key, card)) in rows.iter().enumerate() {
                stmt.raw_bind_parameter(3 * i + 1, field)?;
                stmt.raw_bind_parameter(3 * i + 2, key)?;
                stmt.raw_bind_parameter(3 * i + 3, card)?;
            }
            stmt.raw_execute().map(|_| ())
        };
        let mut full = insert(ROWS)?;
        for rows in keys.chunks(ROWS) {
            if rows.len() == ROWS {
                write(&mut full, rows)?;
            } else {
                write(&mut insert(rows.len())?, rows)?;
            }
        }
        Ok(())
    }

    fn upsert_card(
        &self,
        kid: Option<KosekiId>,
        pid: Option<PersonId>,
        rid: Option<ImageRegisterId>,
        c: &Card<'_>,
    ) -> Result<i64> {
        let existing: Option<i64> = if self.bulk.is_some() {
            None
        } else if let Some(rid) = rid {
            self.conn
                .prepare_cached("SELECT id FROM search_card WHERE image_register_id = ?1")?
                .query_row([rid], |r| r.get(0))
                .optional()?
        } else {
            self.conn
                .prepare_cached("SELECT id FROM search_card WHERE koseki_id = ?1 AND person_id IS ?2 AND image_register_id IS NULL")?
                .query_row(params![kid, pid], |r| r.get(0))
                .optional()?
        };
        match existing {
            Some(id) => {
                self.conn
                    .prepare_cached(
                        "UPDATE search_card SET honseki = ?1, hittosha = ?2, name = ?3, kana = ?4, birth_date = ?5,
                         birth_gregorian = ?6, status = ?7, removed = ?8 WHERE id = ?9",
                    )?
                    .execute(params![c.honseki, c.hittosha, c.name, c.kana, c.birth_date, c.birth_gregorian, c.status, c.removed, id])?;
                Ok(id)
            }
            None => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO search_card (honseki, hittosha, name, kana, birth_date, birth_gregorian, status, removed,
                         koseki_id, person_id, image_register_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    )?
                    .execute(params![
                        c.honseki,
                        c.hittosha,
                        c.name,
                        c.kana,
                        c.birth_date,
                        c.birth_gregorian,
                        c.status,
                        c.removed,
                        kid,
                        pid,
                        rid
                    ])?;
                Ok(self.conn.last_insert_rowid())
            }
        }
    }

    fn add_key(&self, field: &'static str, text: &str, card: i64) -> Result<()> {
        let key = self.fold.key(text);
        if key.is_empty() {
            return Ok(());
        }
        if let Some(bulk) = &self.bulk {
            bulk.borrow_mut().keys.push((field, key, card));
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO search_key (field, key, card_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![field, key, card])?;
        Ok(())
    }

    /// Indexes a 戸籍 header (a new 戸籍 or a new header version) and refreshes its persons'
    /// cards.
    pub(crate) fn index_koseki(
        &self,
        kid: KosekiId,
        honseki: &Honseki,
        hittosha: &PersonName,
        status: KosekiStatus,
    ) -> Result<()> {
        let h = hittosha.display();
        let card = self.upsert_card(
            Some(kid),
            None,
            None,
            &Card {
                honseki: &honseki.display.text,
                hittosha: &h,
                name: &h,
                kana: None,
                birth_date: None,
                birth_gregorian: None,
                status: status.label(),
                removed: false,
            },
        )?;
        self.add_key(
            "hittosha",
            &format!("{}{}", hittosha.uji.text, hittosha.mei.text),
            card,
        )?;
        self.add_key("honseki", &honseki.display.text, card)?;
        if !honseki.town.is_empty() {
            // so 「中央町一丁目２０番地」 finds it without the 都道府県 and 市区町村
            self.add_key(
                "honseki",
                &format!("{}{}", honseki.town, honseki.chiban),
                card,
            )?;
        }
        if let Some(bulk) = &self.bulk {
            // A new 戸籍: no person card to refresh yet; its persons come next.
            bulk.borrow_mut().head = Some((
                kid,
                honseki.display.text.clone(),
                h,
                status.label().to_string(),
            ));
            return Ok(());
        }
        self.conn
            .prepare_cached("UPDATE search_card SET honseki = ?2, hittosha = ?3, status = ?4 WHERE koseki_id = ?1 AND person_id IS NOT NULL")?
            .execute(params![kid, honseki.display.text, h, status.label()])?;
        Ok(())
    }

    /// Indexes a person's (new) header. The 戸籍 must be indexed first.
    pub(crate) fn index_person(
        &self,
        p: &Person,
        koseki_uji_furigana: Option<&Furigana>,
    ) -> Result<()> {
        let pending = self.bulk.as_ref().and_then(|b| {
            b.borrow()
                .head
                .as_ref()
                .filter(|h| h.0 == p.koseki_id)
                .map(|(_, a, b, c)| (a.clone(), b.clone(), c.clone()))
        });
        let head: Option<(String, String, String)> = match pending {
            Some(h) => Some(h),
            None => self
            .conn
            .prepare_cached("SELECT honseki, hittosha, status FROM search_card WHERE koseki_id = ?1 AND person_id IS NULL AND image_register_id IS NULL")?
            .query_row([p.koseki_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?,
        };
        let (honseki, hittosha, status) = head.unwrap_or_default();
        let uji_kana = p
            .uji_furigana
            .as_ref()
            .or(koseki_uji_furigana)
            .map(|f| f.kana.text.as_str());
        let mei_kana = p.mei_furigana.as_ref().map(|f| f.kana.text.as_str());
        let kana = match (uji_kana, mei_kana) {
            (None, None) => None,
            (u, m) => Some(
                [u, m]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\u{3000}"),
            ),
        };
        let name = p.name.display();
        let card = self.upsert_card(
            Some(p.koseki_id),
            Some(p.id),
            None,
            &Card {
                honseki: &honseki,
                hittosha: &hittosha,
                name: &name,
                kana: kana.as_deref(),
                birth_date: p.birth_date.as_ref().map(|d| d.text.as_str()),
                birth_gregorian: p.birth_date.as_ref().and_then(|d| d.gregorian.as_deref()),
                status: &status,
                removed: p.removed,
            },
        )?;
        self.add_key(
            "name",
            &format!("{}{}", p.name.uji.text, p.name.mei.text),
            card,
        )?;
        self.add_key("mei", &p.name.mei.text, card)?;
        if let Some(m) = mei_kana {
            self.add_key("kana", &format!("{}{m}", uji_kana.unwrap_or("")), card)?;
            self.add_key("kana_mei", m, card)?;
        } else if let Some(u) = uji_kana {
            self.add_key("kana", u, card)?;
        }
        Ok(())
    }

    /// Indexes an image register's 見出し.
    pub(crate) fn index_image_register(&self, r: &ImageRegister) -> Result<()> {
        let h = r.hittosha.display();
        let card = self.upsert_card(
            None,
            None,
            Some(r.id),
            &Card {
                honseki: &r.honseki.display.text,
                hittosha: &h,
                name: &h,
                kana: None,
                birth_date: None,
                birth_gregorian: None,
                status: r.kind.label(),
                removed: false,
            },
        )?;
        self.add_key(
            "hittosha",
            &format!("{}{}", r.hittosha.uji.text, r.hittosha.mei.text),
            card,
        )?;
        self.add_key("honseki", &r.honseki.display.text, card)?;
        if !r.honseki.town.is_empty() {
            self.add_key(
                "honseki",
                &format!("{}{}", r.honseki.town, r.honseki.chiban),
                card,
            )?;
        }
        for n in std::iter::once(&r.hittosha).chain(&r.names) {
            self.add_key("name", &format!("{}{}", n.uji.text, n.mei.text), card)?;
            self.add_key("mei", &n.mei.text, card)?;
        }
        Ok(())
    }

    /// Whether the search index must be rebuilt before it answers: a schema migration that
    /// changes the index tables sets `search_index_stale` (see migrations/0003), and only a
    /// rebuild clears it.
    pub fn search_index_stale(&self) -> Result<bool> {
        Ok(self.meta("search_index_stale")?.is_some())
    }

    /// Rebuilds the search index when it is stale; returns whether it did. For startup paths
    /// (`koseki serve`) after [`Store::open`].
    pub fn ensure_search_index(&self) -> Result<bool> {
        if !self.search_index_stale()? {
            return Ok(false);
        }
        self.rebuild_search_index()?;
        Ok(true)
    }

    /// Rebuilds the whole search index from the register content (after a schema upgrade, or
    /// to re-key with a new fold table). Former names of persons are re-indexed too.
    pub fn rebuild_search_index(&self) -> Result<()> {
        self.atomically(|s| {
            s.conn
                .execute_batch("DELETE FROM search_key; DELETE FROM search_card;")?;
            let ids: Vec<KosekiId> = s
                .conn
                .prepare("SELECT id FROM koseki ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in ids {
                let Some(k) = s.koseki(id)? else { continue };
                s.index_koseki(id, &k.honseki, &k.hittosha, k.status)?;
                for p in &k.persons {
                    for old in s.person_history(p.id)? {
                        let mut old = old;
                        old.id = p.id;
                        old.koseki_id = id;
                        s.index_person(&old, k.uji_furigana.as_ref())?;
                    }
                }
            }
            for rid in s.image_register_ids()? {
                if let Some(r) = s.image_register(rid)? {
                    s.index_image_register(&r)?;
                }
            }
            s.conn
                .execute("DELETE FROM meta WHERE key = 'search_index_stale'", [])?;
            Ok(())
        })
    }
}
