//! The rest of the migration scope (統計, 個人状態, 識別符号, 事務内連携): records the register
//! itself does not print but the city must keep, in tables of their own (migrations/0005).
//! They are content: [`Store::content_hash`] covers them.

use rusqlite::params;

use crate::error::Result;
use crate::model::{CodeName, JimuRenkei, KojinJotai, ShikibetsuFugo, Tokei};
use crate::store::Store;

fn code(r: &rusqlite::Row<'_>, code: usize) -> rusqlite::Result<CodeName> {
    Ok(CodeName {
        code: r.get(code)?,
        name: r.get(code + 1)?,
    })
}

fn kojin_jotai_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KojinJotai> {
    Ok(KojinJotai {
        person_id: r.get(0)?,
        source_key: r.get(1)?,
        state: code(r, 2)?,
        shien_sochi: r.get(4)?,
        furigana_status: code(r, 5)?,
        furigana_change_open: r.get(7)?,
        koiki_seigen: r.get(8)?,
        gaiji_count: r.get(9)?,
        updated: r.get(10)?,
    })
}

impl Store {
    /// Every row `sql` selects, each made by `row`.
    fn all<T>(
        &self,
        sql: &str,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn insert_tokei(&self, t: &Tokei) -> Result<i64> {
        self.exec(
            "INSERT INTO tokei (month, kbn_code, kbn, kind_code, kind, honsekinin, hihonsekinin,
               koseki_count, zaisekisha_count, joseki_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                t.month,
                t.kbn.code,
                t.kbn.name,
                t.kind.code,
                t.kind.name,
                t.honsekinin,
                t.hihonsekinin,
                t.koseki_count,
                t.zaisekisha_count,
                t.joseki_count
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn insert_kojin_jotai(&self, j: &KojinJotai) -> Result<i64> {
        self.exec(
            "INSERT INTO kojin_jotai (person_id, source_key, state_code, state, shien_sochi, furigana_status_code,
               furigana_status, furigana_change_open, koiki_seigen, gaiji_count, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                j.person_id,
                j.source_key,
                j.state.code,
                j.state.name,
                j.shien_sochi,
                j.furigana_status.code,
                j.furigana_status.name,
                j.furigana_change_open,
                j.koiki_seigen,
                j.gaiji_count,
                j.updated
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn insert_shikibetsu_fugo(&self, s: &ShikibetsuFugo) -> Result<i64> {
        self.exec(
            "INSERT INTO shikibetsu_fugo (person_id, source_key, renkei_fugo, denshi_fugo, state_code, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                s.person_id,
                s.source_key,
                s.renkei_fugo,
                s.denshi_fugo,
                s.state.code,
                s.state.name
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn insert_jimu_renkei(&self, r: &JimuRenkei) -> Result<i64> {
        self.exec(
            "INSERT INTO jimu_renkei (seq, person_id, person_key, atena_no, juminhyo_code, jushochi_lg,
               kind_code, kind, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                r.seq,
                r.person_id,
                r.person_key,
                r.atena_no,
                r.juminhyo_code,
                r.jushochi_lg,
                r.kind.code,
                r.kind.name,
                r.result
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every 統計 row, in load order.
    pub fn tokei(&self) -> Result<Vec<Tokei>> {
        self.all(
            "SELECT month, kbn_code, kbn, kind_code, kind, honsekinin, hihonsekinin, koseki_count,
               zaisekisha_count, joseki_count FROM tokei ORDER BY id",
            |r| {
                Ok(Tokei {
                    month: r.get(0)?,
                    kbn: code(r, 1)?,
                    kind: code(r, 3)?,
                    honsekinin: r.get(5)?,
                    hihonsekinin: r.get(6)?,
                    koseki_count: r.get(7)?,
                    zaisekisha_count: r.get(8)?,
                    joseki_count: r.get(9)?,
                })
            },
        )
    }

    /// Every 個人状態, in load order.
    pub fn kojin_jotai_list(&self) -> Result<Vec<KojinJotai>> {
        self.all(
            "SELECT person_id, source_key, state_code, state, shien_sochi, furigana_status_code,
               furigana_status, furigana_change_open, koiki_seigen, gaiji_count, updated
             FROM kojin_jotai ORDER BY id",
            kojin_jotai_row,
        )
    }

    /// Every 識別符号 row, in load order.
    pub fn shikibetsu_fugo_list(&self) -> Result<Vec<ShikibetsuFugo>> {
        self.all(
            "SELECT person_id, source_key, renkei_fugo, denshi_fugo, state_code, state
             FROM shikibetsu_fugo ORDER BY id",
            |r| {
                Ok(ShikibetsuFugo {
                    person_id: r.get(0)?,
                    source_key: r.get(1)?,
                    renkei_fugo: r.get(2)?,
                    denshi_fugo: r.get(3)?,
                    state: code(r, 4)?,
                })
            },
        )
    }

    /// Every 事務内連携 row, in load order.
    pub fn jimu_renkei_list(&self) -> Result<Vec<JimuRenkei>> {
        self.all(
            "SELECT seq, person_id, person_key, atena_no, juminhyo_code, jushochi_lg, kind_code, kind, result
             FROM jimu_renkei ORDER BY id",
            |r| {
            Ok(JimuRenkei {
                seq: r.get(0)?,
                person_id: r.get(1)?,
                person_key: r.get(2)?,
                atena_no: r.get(3)?,
                juminhyo_code: r.get(4)?,
                jushochi_lg: r.get(5)?,
                kind: code(r, 6)?,
                result: r.get(8)?,
            })
        },
        )
    }

    /// A person's 個人状態, when the vendor delivered one.
    pub fn kojin_jotai(&self, person: crate::model::PersonId) -> Result<Option<KojinJotai>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT person_id, source_key, state_code, state, shien_sochi, furigana_status_code,
                   furigana_status, furigana_change_open, koiki_seigen, gaiji_count, updated
                 FROM kojin_jotai WHERE person_id = ?1 ORDER BY id LIMIT 1",
                [person],
                kojin_jotai_row,
            )
            .optional()?)
    }

    /// Row counts of the scope tables: (統計, 個人状態, 識別符号, 事務内連携).
    pub fn scope_counts(&self) -> Result<[i64; 4]> {
        let mut out = [0; 4];
        for (i, t) in ["tokei", "kojin_jotai", "shikibetsu_fugo", "jimu_renkei"]
            .iter()
            .enumerate()
        {
            out[i] = self
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::key::Key;

    #[test]
    fn scope_rows_round_trip_and_are_content() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create(&dir.path().join("s.db"), &Key::generate()).unwrap();
        let k = s.insert_koseki(&fixtures::yamabuki()).unwrap();
        let before = s.content_hash().unwrap();
        let t = Tokei {
            month: "202604".into(),
            kbn: CodeName::new("A", "届出件数"),
            kind: CodeName::new("01", "出生"),
            honsekinin: Some(12),
            hihonsekinin: Some(3),
            koseki_count: None,
            zaisekisha_count: None,
            joseki_count: None,
        };
        s.insert_tokei(&t).unwrap();
        assert_eq!(s.tokei().unwrap(), vec![t]);
        let after_tokei = s.content_hash().unwrap();
        assert_ne!(before, after_tokei, "統計 is content");
        let j = KojinJotai {
            person_id: Some(k.persons[0].id),
            source_key: Some("P1".into()),
            state: CodeName::new("1", "在籍"),
            shien_sochi: true,
            furigana_status: CodeName::new("1", "届出により記載"),
            furigana_change_open: false,
            koiki_seigen: true,
            gaiji_count: Some(2),
            updated: "20260401120000".into(),
        };
        s.insert_kojin_jotai(&j).unwrap();
        assert_eq!(s.kojin_jotai(k.persons[0].id).unwrap(), Some(j));
        s.insert_shikibetsu_fugo(&ShikibetsuFugo {
            person_id: Some(k.persons[0].id),
            source_key: Some("P1".into()),
            renkei_fugo: "R1".into(),
            denshi_fugo: "D1".into(),
            state: CodeName::new("1", "連携済"),
        })
        .unwrap();
        s.insert_jimu_renkei(&JimuRenkei {
            seq: "1".into(),
            person_id: None,
            person_key: Some("P9".into()),
            atena_no: "A1".into(),
            juminhyo_code: "J1".into(),
            jushochi_lg: "012345".into(),
            kind: CodeName::new("1", "転入通知"),
            result: "0".into(),
        })
        .unwrap();
        assert_eq!(s.scope_counts().unwrap(), [1, 1, 1, 1]);
        assert_eq!(s.shikibetsu_fugo_list().unwrap()[0].renkei_fugo, "R1");
        assert_eq!(
            s.jimu_renkei_list().unwrap()[0].person_key.as_deref(),
            Some("P9")
        );
        assert_eq!(s.kojin_jotai_list().unwrap().len(), 1);
        assert_ne!(s.content_hash().unwrap(), after_tokei);
    }
}
