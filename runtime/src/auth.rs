//! Staff authentication and authorisation: argon2id passwords, a TOTP second factor, roles
//! with a permission check, lockout after repeated failures, and server-side sessions whose
//! tokens are stored only as SHA-256 hashes. Every login attempt is written to the audit log.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{OptionalExtension, params};

use crate::audit::{AuditAction, AuditEvent};
use crate::error::StoreError;
use crate::store::Store;
use crate::{totp, util};

/// Failed logins (wrong password or wrong code) before the account locks.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// Default session lifetime: one working day.
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// Issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "koseki";

/// Staff roles (職務). Each includes the permissions of the roles listed before it, except
/// 管理, which administers but also may do everything for operations.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Role {
    /// 閲覧: search and view.
    Etsuran,
    /// 窓口: + issue certificates, receive 届出.
    Madoguchi,
    /// 審査・記載: + examine and record.
    ShinsaKisai,
    /// 決裁: + approve.
    Kessai,
    /// 管理: users, audit viewer, overrides.
    Kanri,
}

/// What an action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Permission {
    Search,
    ViewKoseki,
    ViewImages,
    IssueCertificate,
    ReceiveTodoke,
    RecordJiko,
    Approve,
    ManageUsers,
    ViewAudit,
    /// Work outside operating hours (logged).
    OverrideHours,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Etsuran,
        Role::Madoguchi,
        Role::ShinsaKisai,
        Role::Kessai,
        Role::Kanri,
    ];

    /// 閲覧 / 窓口 / 審査・記載 / 決裁 / 管理.
    pub fn label(self) -> &'static str {
        match self {
            Role::Etsuran => "閲覧",
            Role::Madoguchi => "窓口",
            Role::ShinsaKisai => "審査・記載",
            Role::Kessai => "決裁",
            Role::Kanri => "管理",
        }
    }

    /// ASCII alias for scripts: viewer, clerk, examiner, approver, admin.
    pub fn alias(self) -> &'static str {
        match self {
            Role::Etsuran => "viewer",
            Role::Madoguchi => "clerk",
            Role::ShinsaKisai => "examiner",
            Role::Kessai => "approver",
            Role::Kanri => "admin",
        }
    }

    /// Reads a role by its Japanese label or ASCII alias.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.label() == s || r.alias().eq_ignore_ascii_case(s))
    }

    /// The permission check every handler calls.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        let rank = |r: Role| Role::ALL.iter().position(|x| *x == r).unwrap_or(0);
        let needs = match p {
            Search | ViewKoseki | ViewImages => Role::Etsuran,
            IssueCertificate | ReceiveTodoke => Role::Madoguchi,
            RecordJiko => Role::ShinsaKisai,
            Approve => Role::Kessai,
            ManageUsers | ViewAudit | OverrideHours => Role::Kanri,
        };
        rank(self) >= rank(needs)
    }
}

/// Why a login or a user operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user, wrong password or wrong code: deliberately one message.
    #[error("wrong user name, password or one-time code")]
    InvalidCredentials,
    #[error("the account is locked after repeated failed logins; an administrator must unlock it")]
    Locked,
    #[error("the account is disabled")]
    Disabled,
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("no such user {0}")]
    NoSuchUser(String),
    #[error(
        "unknown role {0:?}: use 閲覧, 窓口, 審査・記載, 決裁, 管理 (or viewer, clerk, examiner, approver, admin)"
    )]
    UnknownRole(String),
    #[error("password too short: at least 10 characters")]
    WeakPassword,
    #[error("user name must be 1 to 64 characters without spaces or control characters")]
    BadUserName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Store(e.into())
    }
}

/// A user as listed to administrators (no secrets).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UserInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub locked: bool,
    pub disabled: bool,
    pub failed_logins: i64,
}

/// The result of adding a user: the TOTP secret, shown once.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: i64,
    pub otpauth_uri: String,
    pub totp_secret: Vec<u8>,
}

/// A logged-in session. `token` is the bearer secret (cookie value): returned once at login
/// and never stored.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub info: SessionInfo,
}

/// What a request learns from its session token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    pub user_id: i64,
    pub user: String,
    pub role: Role,
    /// Unix seconds.
    pub expires_at: i64,
    pub terminal: String,
    /// Per-session CSRF token for forms.
    pub csrf_token: String,
}

fn hash_token(token: &str) -> String {
    util::sha256_hex(token.as_bytes())
}

fn role_of(s: &str) -> Role {
    // Roles are only ever written by this module; an unknown one gets the least power.
    Role::parse(s).unwrap_or(Role::Etsuran)
}

/// argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::encode_b64(&util::random_bytes::<16>())
        .map_err(|e| AuthError::Store(StoreError::Invalid(format!("salt: {e}"))))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Store(StoreError::Invalid(format!("argon2: {e}"))))
}

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

impl Store {
    /// Adds a staff user; `actor` is who did it (for the audit log).
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        actor: &str,
        terminal: &str,
    ) -> Result<NewUser, AuthError> {
        if name.is_empty()
            || name.chars().count() > 64
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(AuthError::BadUserName);
        }
        if password.chars().count() < 10 {
            return Err(AuthError::WeakPassword);
        }
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM app_user WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(AuthError::UserExists(name.to_string()));
        }
        let phc = hash_password(password)?;
        let secret = util::random_bytes::<20>().to_vec();
        let id = self.atomically(|s| {
            s.conn.execute(
                "INSERT INTO app_user (name, role, password_hash, totp_secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![name, role.label(), phc, secret, util::now_iso()],
            )?;
            let id = s.conn.last_insert_rowid();
            s.audit(&AuditEvent {
                user: actor,
                terminal,
                action: AuditAction::UserAdmin,
                target: &format!("user:{name}"),
                detail: serde_json::json!({"op": "add", "role": role.label()}),
            })?;
            Ok(id)
        })?;
        Ok(NewUser {
            id,
            otpauth_uri: totp::otpauth_uri(TOTP_ISSUER, name, &secret),
            totp_secret: secret,
        })
    }

    pub fn users(&self) -> Result<Vec<UserInfo>, AuthError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, role, locked, disabled, failed_logins FROM app_user ORDER BY name",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(UserInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    role: role_of(&r.get::<_, String>(2)?),
                    locked: r.get(3)?,
                    disabled: r.get(4)?,
                    failed_logins: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Unlocks an account and clears its failure count.
    pub fn unlock_user(&self, name: &str, actor: &str, terminal: &str) -> Result<(), AuthError> {
        self.atomically(|s| {
            let n = s.conn.execute(
                "UPDATE app_user SET locked = 0, failed_logins = 0 WHERE name = ?1",
                [name],
            )?;
            if n == 0 {
                return Err(StoreError::Missing(format!("user {name}")));
            }
            s.audit(&AuditEvent {
                user: actor,
                terminal,
                action: AuditAction::UserAdmin,
                target: &format!("user:{name}"),
                detail: serde_json::json!({"op": "unlock"}),
            })?;
            Ok(())
        })
        .map_err(|e| match e {
            StoreError::Missing(_) => AuthError::NoSuchUser(name.to_string()),
            e => e.into(),
        })
    }

    /// Logs in with password and TOTP code at the current time.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        code: &str,
        terminal: &str,
    ) -> Result<Session, AuthError> {
        self.login_at(name, password, code, terminal, util::now_unix())
    }

    /// [`Store::login`] at a given Unix time (tests, and clock-controlled callers).
    pub fn login_at(
        &self,
        name: &str,
        password: &str,
        code: &str,
        terminal: &str,
        now: i64,
    ) -> Result<Session, AuthError> {
        #[allow(clippy::type_complexity)] // one row of app_user, read once
        let row: Option<(i64, String, String, Vec<u8>, i64, bool, bool, i64)> = self
            .conn
            .query_row(
                "SELECT id, role, password_hash, totp_secret, failed_logins, locked, disabled, totp_last_step FROM app_user WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .optional()?;
        let fail = |reason: &str| -> Result<(), AuthError> {
            self.audit(&AuditEvent {
                user: name,
                terminal,
                action: AuditAction::LoginFailed,
                target: &format!("user:{name}"),
                detail: serde_json::json!({"reason": reason}),
            })?;
            Ok(())
        };
        let Some((id, role, phc, secret, failed, locked, disabled, last_step)) = row else {
            // Spend the same time as a real check so user names cannot be probed by timing.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("timing equaliser").unwrap_or_default());
            let _ = password_matches(password, dummy);
            fail("unknown user")?;
            return Err(AuthError::InvalidCredentials);
        };
        if disabled {
            fail("disabled")?;
            return Err(AuthError::Disabled);
        }
        if locked {
            fail("locked")?;
            return Err(AuthError::Locked);
        }
        let password_ok = password_matches(password, &phc);
        let step = if password_ok {
            totp::verify(&secret, code, now)
        } else {
            None
        };
        let replay = step.is_some_and(|s| s <= last_step);
        if !password_ok || step.is_none() || replay {
            let failed = failed + 1;
            let lock = failed >= MAX_FAILED_LOGINS;
            self.conn.execute(
                "UPDATE app_user SET failed_logins = ?2, locked = ?3 WHERE id = ?1",
                params![id, failed, lock],
            )?;
            fail(if !password_ok {
                "wrong password"
            } else if replay {
                "one-time code reused"
            } else {
                "wrong one-time code"
            })?;
            return Err(if lock {
                AuthError::Locked
            } else {
                AuthError::InvalidCredentials
            });
        }
        let token = util::hex(&util::random_bytes::<32>());
        let csrf = util::hex(&util::random_bytes::<32>());
        let expires_at = now + SESSION_SECONDS;
        self.atomically(|s| {
            s.conn.execute(
                "UPDATE app_user SET failed_logins = 0, totp_last_step = ?2 WHERE id = ?1",
                params![id, step],
            )?;
            s.conn.execute(
                "INSERT INTO session (token_hash, user_id, created_at, expires_at, terminal, csrf_token) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![hash_token(&token), id, util::iso_utc(now), expires_at, terminal, csrf],
            )?;
            s.audit(&AuditEvent {
                user: name,
                terminal,
                action: AuditAction::Login,
                target: &format!("user:{name}"),
                detail: serde_json::json!({}),
            })?;
            Ok(())
        })?;
        Ok(Session {
            token,
            info: SessionInfo {
                user_id: id,
                user: name.to_string(),
                role: role_of(&role),
                expires_at,
                terminal: terminal.to_string(),
                csrf_token: csrf,
            },
        })
    }

    /// The session for a token, if it exists, has not expired, and its user is still active.
    pub fn session(&self, token: &str) -> Result<Option<SessionInfo>, AuthError> {
        self.session_at(token, util::now_unix())
    }

    pub fn session_at(&self, token: &str, now: i64) -> Result<Option<SessionInfo>, AuthError> {
        let row = self
            .conn
            .query_row(
                "SELECT s.user_id, u.name, u.role, s.expires_at, s.terminal, s.csrf_token FROM session s
                 JOIN app_user u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.locked = 0 AND u.disabled = 0",
                params![hash_token(token), now],
                |r| {
                    Ok(SessionInfo {
                        user_id: r.get(0)?,
                        user: r.get(1)?,
                        role: role_of(&r.get::<_, String>(2)?),
                        expires_at: r.get(3)?,
                        terminal: r.get(4)?,
                        csrf_token: r.get(5)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Ends a session (and logs it).
    pub fn logout(&self, token: &str) -> Result<(), AuthError> {
        if let Some(info) = self.session(token)? {
            self.atomically(|s| {
                s.conn.execute(
                    "DELETE FROM session WHERE token_hash = ?1",
                    [hash_token(token)],
                )?;
                s.audit(&AuditEvent {
                    user: &info.user,
                    terminal: &info.terminal,
                    action: AuditAction::Logout,
                    target: &format!("user:{}", info.user),
                    detail: serde_json::json!({}),
                })?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub fn purge_sessions(&self) -> Result<usize, AuthError> {
        Ok(self.conn.execute(
            "DELETE FROM session WHERE expires_at <= ?1",
            [util::now_unix()],
        )?)
    }

    /// The TOTP secret of a user (for tests and for re-enrolment by an administrator).
    pub fn totp_secret(&self, name: &str) -> Result<Vec<u8>, AuthError> {
        self.conn
            .query_row(
                "SELECT totp_secret FROM app_user WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::create_unchecked(
            &dir.path().join("u.db"),
            &Key::generate(),
            Default::default(),
        )
        .unwrap();
        (dir, s)
    }

    const PW: &str = "correct horse battery";

    #[test]
    fn roles_and_permissions() {
        assert_eq!(Role::parse("審査・記載"), Some(Role::ShinsaKisai));
        assert_eq!(Role::parse("ADMIN"), Some(Role::Kanri));
        assert_eq!(Role::parse("boss"), None);
        assert!(Role::Etsuran.allows(Permission::Search));
        assert!(!Role::Etsuran.allows(Permission::IssueCertificate));
        assert!(Role::Madoguchi.allows(Permission::IssueCertificate));
        assert!(!Role::Madoguchi.allows(Permission::RecordJiko));
        assert!(Role::Kessai.allows(Permission::Approve));
        assert!(!Role::Kessai.allows(Permission::ViewAudit));
        assert!(Role::Kanri.allows(Permission::ViewAudit));
    }

    #[test]
    fn login_with_two_factors_and_session() {
        let (_d, s) = store();
        let nu = s
            .add_user("sato", Role::Madoguchi, PW, "cli", "T0")
            .unwrap();
        assert!(
            nu.otpauth_uri
                .starts_with("otpauth://totp/koseki:sato?secret=")
        );
        let now = 1_800_000_000;
        let code = totp::code_at(&nu.totp_secret, now);
        let sess = s.login_at("sato", PW, &code, "T1", now).unwrap();
        assert_eq!(sess.info.role, Role::Madoguchi);
        let info = s.session_at(&sess.token, now + 10).unwrap().unwrap();
        assert_eq!(info.user, "sato");
        assert!(
            s.session_at(&sess.token, now + SESSION_SECONDS + 1)
                .unwrap()
                .is_none()
        );
        assert!(s.session_at("not-a-token", now).unwrap().is_none());
        // the token is stored only hashed
        let stored: String = s
            .conn
            .query_row("SELECT token_hash FROM session", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, sess.token);
        // the same code cannot be replayed
        assert!(matches!(
            s.login_at("sato", PW, &code, "T1", now + 5),
            Err(AuthError::InvalidCredentials)
        ));
        s.logout(&sess.token).unwrap();
        assert!(s.session(&sess.token).unwrap().is_none());
        assert!(s.audit_verify().unwrap().ok());
    }

    #[test]
    fn wrong_factors_and_lockout() {
        let (_d, s) = store();
        let nu = s.add_user("ito", Role::Etsuran, PW, "cli", "T0").unwrap();
        let now = 1_800_000_000;
        let good = totp::code_at(&nu.totp_secret, now);
        let bad_code = if good == "000000" { "111111" } else { "000000" };
        assert!(matches!(
            s.login_at("ito", PW, bad_code, "T", now),
            Err(AuthError::InvalidCredentials)
        ));
        assert!(matches!(
            s.login_at("nobody", PW, &good, "T", now),
            Err(AuthError::InvalidCredentials)
        ));
        for _ in 0..3 {
            assert!(matches!(
                s.login_at("ito", "wrong password!", &good, "T", now),
                Err(AuthError::InvalidCredentials)
            ));
        }
        // fifth failure locks
        assert!(matches!(
            s.login_at("ito", "wrong password!", &good, "T", now),
            Err(AuthError::Locked)
        ));
        // even the right factors are refused now
        assert!(matches!(
            s.login_at("ito", PW, &good, "T", now),
            Err(AuthError::Locked)
        ));
        assert!(s.users().unwrap()[0].locked);
        s.unlock_user("ito", "admin", "T").unwrap();
        assert!(s.login_at("ito", PW, &good, "T", now).is_ok());
        let failed = s
            .audit_entries(&crate::audit::AuditFilter {
                action: Some(AuditAction::LoginFailed),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(failed.len(), 7);
    }

    #[test]
    fn rejects_bad_new_users() {
        let (_d, s) = store();
        assert!(matches!(
            s.add_user("a b", Role::Kanri, PW, "cli", "T"),
            Err(AuthError::BadUserName)
        ));
        assert!(matches!(
            s.add_user("ab", Role::Kanri, "short", "cli", "T"),
            Err(AuthError::WeakPassword)
        ));
        s.add_user("ab", Role::Kanri, PW, "cli", "T").unwrap();
        assert!(matches!(
            s.add_user("ab", Role::Kanri, PW, "cli", "T"),
            Err(AuthError::UserExists(_))
        ));
    }
}
