//! A demo store with staff users, a server on an ephemeral port, and a cookie-aware client.

use std::path::PathBuf;

use runtime::auth::Role;
use runtime::model::PersonName;
use web::{OperatingHours, RunningServer, WebConfig};

pub const PASSWORD: &str = "correct horse battery";
pub const HOSTILE: &str = "<script>alert(1)</script>";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub key: runtime::Key,
    pub server: RunningServer,
    /// user name → TOTP secret
    pub secrets: std::collections::HashMap<String, Vec<u8>>,
}

impl Env {
    /// Demo store + a 戸籍 whose names are hostile markup, users for every role, and a server.
    pub async fn start(hours: OperatingHours) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("koseki.db");
        let key = runtime::Key::generate();
        let mut secrets = std::collections::HashMap::new();
        {
            let store = runtime::fixtures::demo_store(&db, &key).unwrap();
            let mut k = runtime::fixtures::yamabuki();
            k.hittosha = PersonName::new("悪意", HOSTILE);
            k.persons[0].name = PersonName::new("悪意", HOSTILE);
            k.honseki.display = runtime::model::Text::new("架空県<img src=x onerror=alert(2)>市");
            store.insert_koseki(&k).unwrap();
            for (name, role) in [
                ("admin", Role::Kanri),
                ("clerk", Role::Madoguchi),
                ("clerk2", Role::Madoguchi),
                ("viewer", Role::Etsuran),
                ("victim", Role::Madoguchi),
            ] {
                let u = store
                    .add_user(name, role, PASSWORD, "setup", "test")
                    .unwrap();
                assert!(u.otpauth_uri.starts_with("otpauth://totp/"));
                secrets.insert(name.to_string(), u.totp_secret);
            }
        }
        let server = web::start(WebConfig {
            db: db.clone(),
            key: key.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            tls: None,
            hours,
        })
        .await
        .expect("server starts");
        Env {
            dir,
            db,
            key,
            server,
            secrets,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{}{}", self.server.addr, path)
    }

    pub fn code(&self, user: &str) -> String {
        runtime::totp::code_at(&self.secrets[user], runtime::util::now_unix())
    }

    /// A second connection to the same store (the server holds its own).
    pub fn store(&self) -> runtime::Store {
        runtime::Store::open(&self.db, &self.key).unwrap()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `name=value` of a Set-Cookie for `name`, if the response sets it.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// The value of the first hidden `csrf` field in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a csrf field")
        + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// A logged-in staff member: the session cookie and the session's CSRF token.
pub struct Staff {
    pub cookie: String,
    pub csrf: String,
}

/// GET /login, then POST it with password and the current TOTP code.
pub async fn login_with(
    env: &Env,
    c: &reqwest::Client,
    user: &str,
    password: &str,
    code: &str,
) -> reqwest::Response {
    let page = c.get(env.url("/login")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "__Host-koseki-login").expect("login cookie");
    let csrf = csrf_of(&page.text().await.unwrap());
    c.post(env.url("/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("user", user),
            ("password", password),
            ("code", code),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn login(env: &Env, c: &reqwest::Client, user: &str) -> Staff {
    let res = login_with(env, c, user, PASSWORD, &env.code(user)).await;
    assert_eq!(
        res.status(),
        303,
        "login of {user} failed: {}",
        res.text().await.unwrap_or_default()
    );
    let cookie = set_cookie(&res, "__Host-koseki").expect("session cookie");
    let page = c
        .get(env.url("/search"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    // 403 is the closed-hours page, which still carries the session's CSRF token.
    assert!(
        matches!(page.status().as_u16(), 200 | 403),
        "{}",
        page.status()
    );
    let csrf = csrf_of(&page.text().await.unwrap());
    Staff { cookie, csrf }
}

pub async fn get(env: &Env, c: &reqwest::Client, s: &Staff, path: &str) -> (u16, String) {
    let res = c
        .get(env.url(path))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// POST a form as `s` to `path`, with the session's CSRF token added first.
pub async fn post(
    env: &Env,
    c: &reqwest::Client,
    s: &Staff,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![("csrf", s.csrf.as_str())];
    fields.extend(form.iter().filter(|(k, _)| *k != "csrf"));
    c.post(env.url(path))
        .header("cookie", &s.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Issue a certificate through the form; panics unless a PDF comes back, which is saved as
/// `name` in the test's folder.
pub async fn issue_pdf(
    env: &Env,
    c: &reqwest::Client,
    s: &Staff,
    form: &[(&str, &str)],
    name: &str,
) -> PathBuf {
    let res = post(env, c, s, "/issue", form).await;
    let status = res.status();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    let bytes = res.bytes().await.unwrap();
    assert!(
        status == 200 && ct == "application/pdf",
        "{form:?}: {status} {ct}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let path = env.dir.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    path
}
