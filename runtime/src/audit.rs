//! The audit log: every search (with its query), view, issuance, login and change, appended
//! with user, time and terminal, in a hash chain.
//!
//! Row `n` stores `prev_hash` (row `n-1`'s hash; 64 zeros for row 1) and
//! `hash = SHA-256(prev_hash ‖ seq ‖ at ‖ user ‖ terminal ‖ action ‖ target ‖ detail)`, each
//! field length-prefixed. [`Store::audit_verify`] recomputes the chain and names the first bad sequence
//! number: an edited row fails its own hash, a deleted or reordered row breaks the sequence or
//! the link to its predecessor, and a deleted tail is caught against the head recorded in
//! `meta` (`audit_head`). Triggers also refuse UPDATE/DELETE, so tampering takes deliberate
//! work outside the program.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::store::Store;
use crate::util;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Stored as its code string (`search`, `view`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Search,
    View,
    Issue,
    Login,
    LoginFailed,
    Logout,
    Change,
    UserAdmin,
    Backup,
    Restore,
    Load,
    /// An administrator acted outside operating hours or overrode a limit.
    Override,
}

impl AuditAction {
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Search => "search",
            AuditAction::View => "view",
            AuditAction::Issue => "issue",
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Logout => "logout",
            AuditAction::Change => "change",
            AuditAction::UserAdmin => "user_admin",
            AuditAction::Backup => "backup",
            AuditAction::Restore => "restore",
            AuditAction::Load => "load",
            AuditAction::Override => "override",
        }
    }

    pub fn from_code(s: &str) -> Option<AuditAction> {
        use AuditAction::*;
        [
            Search,
            View,
            Issue,
            Login,
            LoginFailed,
            Logout,
            Change,
            UserAdmin,
            Backup,
            Restore,
            Load,
            Override,
        ]
        .into_iter()
        .find(|a| a.code() == s)
    }
}

/// An entry to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent<'a> {
    pub user: &'a str,
    /// Terminal id / client address.
    pub terminal: &'a str,
    pub action: AuditAction,
    /// What it concerned: `koseki:12`, `person:34`, `user:sato`, the query for a search …
    pub target: &'a str,
    /// Free JSON detail (search parameters, 発行番号, result counts …).
    pub detail: serde_json::Value,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// UTC ISO time.
    pub at: String,
    pub user: String,
    pub terminal: String,
    /// Action code (see [`AuditAction::code`]).
    pub action: String,
    pub target: String,
    /// JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// `fields`: at, user, terminal, action, target, detail.
fn entry_hash(prev: &str, seq: i64, fields: [&str; 6]) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    for field in [prev, seq.as_str()].into_iter().chain(fields) {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    util::hex(&h.finalize())
}

/// Which entries to list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only entries with seq > this (for paging forward).
    pub after_seq: Option<i64>,
    /// Only entries with seq < this (for paging backward; newest first when set).
    pub before_seq: Option<i64>,
    pub user: Option<String>,
    pub action: Option<AuditAction>,
    /// At most this many (default 100).
    pub limit: Option<i64>,
}

/// The outcome of [`Store::audit_verify`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditReport {
    pub entries: i64,
    /// The first bad sequence number and why; `None` when the chain is intact.
    pub first_bad: Option<(i64, String)>,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

impl Store {
    /// Appends one entry to the chain (atomically with the head record).
    pub fn audit(&self, ev: &AuditEvent<'_>) -> Result<AuditEntry> {
        self.atomically(|s| {
            let last: Option<(i64, String)> = s
                .conn
                .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (seq, prev) = match last {
                Some((n, h)) => (n + 1, h),
                None => (1, GENESIS.to_string()),
            };
            let at = util::now_iso();
            let action = ev.action.code();
            let detail = ev.detail.to_string();
            let hash = entry_hash(&prev, seq, [&at, ev.user, ev.terminal, action, ev.target, &detail]);
            s.conn.execute(
                "INSERT INTO audit_log (seq, at, user_name, terminal, action, target, detail, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![seq, at, ev.user, ev.terminal, action, ev.target, detail, prev, hash],
            )?;
            s.set_meta("audit_head", &format!("{seq}:{hash}"))?;
            Ok(AuditEntry {
                seq,
                at,
                user: ev.user.to_string(),
                terminal: ev.terminal.to_string(),
                action: action.to_string(),
                target: ev.target.to_string(),
                detail,
                prev_hash: prev,
                hash,
            })
        })
    }

    /// Lists entries: oldest first after `after_seq`, or newest first before `before_seq`
    /// (newest first when neither is set).
    pub fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT seq, at, user_name, terminal, action, target, detail, prev_hash, hash FROM audit_log WHERE 1=1",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(a) = f.after_seq {
            sql.push_str(" AND seq > ?");
            args.push(a.into());
        }
        if let Some(b) = f.before_seq {
            sql.push_str(" AND seq < ?");
            args.push(b.into());
        }
        if let Some(u) = &f.user {
            sql.push_str(" AND user_name = ?");
            args.push(u.clone().into());
        }
        if let Some(a) = f.action {
            sql.push_str(" AND action = ?");
            args.push(a.code().to_string().into());
        }
        sql.push_str(if f.after_seq.is_some() && f.before_seq.is_none() {
            " ORDER BY seq"
        } else {
            " ORDER BY seq DESC"
        });
        sql.push_str(" LIMIT ?");
        args.push(f.limit.unwrap_or(100).into());
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    user: r.get(2)?,
                    terminal: r.get(3)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    detail: r.get(6)?,
                    prev_hash: r.get(7)?,
                    hash: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Recomputes the whole chain (in storage order, as an attacker would have left it).
    pub fn audit_verify(&self) -> Result<AuditReport> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at, user_name, terminal, action, target, detail, prev_hash, hash FROM audit_log ORDER BY rowid",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected_seq = 1i64;
        let mut prev = GENESIS.to_string();
        let mut n = 0i64;
        let mut first_bad = None;
        while let Some(r) = rows.next()? {
            n += 1;
            if first_bad.is_some() {
                continue;
            }
            let seq: i64 = r.get(0)?;
            let fields: [String; 6] = [
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ];
            let (stored_prev, stored_hash): (String, String) = (r.get(7)?, r.get(8)?);
            let recomputed = entry_hash(&stored_prev, seq, fields.each_ref().map(String::as_str));
            if seq != expected_seq {
                first_bad = Some((
                    expected_seq.min(seq),
                    format!(
                        "sequence jumps from {} to {seq}: entries deleted or reordered",
                        expected_seq - 1
                    ),
                ));
            } else if stored_prev != prev {
                first_bad = Some((seq, "does not link to the previous entry: an entry before it was deleted, reordered or edited".into()));
            } else if recomputed != stored_hash {
                first_bad = Some((
                    seq,
                    "content does not match its hash: the entry was edited".into(),
                ));
            }
            expected_seq = seq + 1;
            prev = stored_hash;
        }
        if first_bad.is_none() {
            match self.meta("audit_head")? {
                Some(head) => {
                    let want = format!("{}:{prev}", expected_seq - 1);
                    if head != want {
                        let head_seq = head
                            .split(':')
                            .next()
                            .and_then(|s| s.parse::<i64>().ok())
                            .unwrap_or(0);
                        first_bad = Some((
                            expected_seq.min(head_seq.max(1)),
                            format!(
                                "the chain ends at {} but the recorded head is {head_seq}: entries at the end were deleted or the head was altered",
                                expected_seq - 1
                            ),
                        ));
                    }
                }
                None if n > 0 => {
                    first_bad = Some((1, "no recorded head for a non-empty log".into()))
                }
                None => {}
            }
        }
        Ok(AuditReport {
            entries: n,
            first_bad,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;

    fn store_with_entries(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create_unchecked(
            &dir.path().join("a.db"),
            &Key::generate(),
            Default::default(),
        )
        .unwrap();
        for i in 0..n {
            store
                .audit(&AuditEvent {
                    user: "sato",
                    terminal: "T01",
                    action: if i % 2 == 0 {
                        AuditAction::Search
                    } else {
                        AuditAction::View
                    },
                    target: &format!("koseki:{i}"),
                    detail: serde_json::json!({"name": "山吹"}),
                })
                .unwrap();
        }
        (dir, store)
    }

    fn unguard(s: &Store) {
        s.conn
            .execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
    }

    #[test]
    fn intact_chain_verifies() {
        let (_d, s) = store_with_entries(5);
        let r = s.audit_verify().unwrap();
        assert_eq!(
            r,
            AuditReport {
                entries: 5,
                first_bad: None
            }
        );
        let newest = s.audit_entries(&AuditFilter::default()).unwrap();
        assert_eq!(newest[0].seq, 5);
        let views = s
            .audit_entries(&AuditFilter {
                action: Some(AuditAction::View),
                after_seq: Some(0),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(views.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn triggers_refuse_edits() {
        let (_d, s) = store_with_entries(2);
        assert!(
            s.conn
                .execute("UPDATE audit_log SET user_name = 'x' WHERE seq = 1", [])
                .is_err()
        );
        assert!(
            s.conn
                .execute("DELETE FROM audit_log WHERE seq = 1", [])
                .is_err()
        );
    }

    #[test]
    fn edit_is_detected() {
        let (_d, s) = store_with_entries(5);
        unguard(&s);
        s.conn
            .execute(
                "UPDATE audit_log SET target = 'koseki:999' WHERE seq = 3",
                [],
            )
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().first_bad.unwrap().0, 3);
    }

    #[test]
    fn edit_with_rehash_is_detected_at_the_next_row() {
        let (_d, s) = store_with_entries(5);
        unguard(&s);
        let e = &s
            .audit_entries(&AuditFilter {
                after_seq: Some(2),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap()[0];
        let h = entry_hash(
            &e.prev_hash,
            3,
            [&e.at, "evil", &e.terminal, &e.action, &e.target, &e.detail],
        );
        s.conn
            .execute(
                "UPDATE audit_log SET user_name = 'evil', hash = ?1 WHERE seq = 3",
                [h],
            )
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().first_bad.unwrap().0, 4);
    }

    #[test]
    fn delete_is_detected() {
        let (_d, s) = store_with_entries(5);
        unguard(&s);
        s.conn
            .execute("DELETE FROM audit_log WHERE seq = 2", [])
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().first_bad.unwrap().0, 2);
    }

    #[test]
    fn tail_delete_is_detected() {
        let (_d, s) = store_with_entries(5);
        unguard(&s);
        s.conn
            .execute("DELETE FROM audit_log WHERE seq = 5", [])
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().first_bad.unwrap().0, 5);
    }

    #[test]
    fn reorder_is_detected() {
        let (_d, s) = store_with_entries(5);
        unguard(&s);
        // Swap the contents of rows 2 and 3, keeping their seq numbers.
        s.conn
            .execute_batch(
                "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq IN (2, 3);
                 UPDATE audit_log SET (at, user_name, terminal, action, target, detail, prev_hash, hash) =
                   (SELECT at, user_name, terminal, action, target, detail, prev_hash, hash FROM t WHERE t.seq = 5 - audit_log.seq)
                 WHERE seq IN (2, 3);",
            )
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().first_bad.unwrap().0, 2);
    }
}
