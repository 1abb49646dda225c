//! Routes and handlers. Store work runs on the blocking pool (SQLCipher, argon2, PDF).
// Handlers refuse with a full `Response`; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query as QueryParams, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use certificate::issue::{self, IssueRequest};
use certificate::{CertFont, CertificateKind, KindWording};
use maud::Markup;
use runtime::Store;
use runtime::audit::{AuditAction, AuditEvent, AuditFilter};
use runtime::auth::{AuthError, Permission, SessionInfo};
use runtime::model::RequesterKubun;

use crate::find::{self, Query};
use crate::hours::OperatingHours;
use crate::{WebConfig, WebError, pages, tls};

const SESSION_COOKIE: &str = "__Host-koseki";
const LOGIN_COOKIE: &str = "__Host-koseki-login";

pub(crate) struct AppState {
    store: Mutex<Store>,
    font: CertFont,
    hours: OperatingHours,
    /// Sessions (by token hash) an administrator opened outside hours, until this Unix time.
    overrides: Mutex<HashMap<String, i64>>,
    gaiji: HashSet<char>,
    font_path: std::path::PathBuf,
}

type Shared = Arc<AppState>;

/// A running server (tests and `serve_blocking`).
pub struct RunningServer {
    pub addr: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
}

impl RunningServer {
    pub fn stop(&self) {
        self.handle.shutdown();
    }
}

/// Open the store, prepare TLS, bind and start serving in the background.
pub async fn start(config: WebConfig) -> Result<RunningServer, WebError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = Store::open(&config.db, &config.key)?;
    // A store made by an older schema has its search index marked stale: rebuild it once
    // here rather than refuse every search a clerk makes.
    if store.ensure_search_index()? {
        eprintln!("koseki serve: search index rebuilt after a schema upgrade");
    }
    let gaiji = store
        .local_gaiji()?
        .into_iter()
        .map(|g| g.code_point)
        .collect();
    let font = CertFont::ipamj()?;
    let (cert, key) = tls::resolve(&config.db, config.tls.as_ref())?;
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(cert, key)
        .await
        .map_err(|e| WebError::Tls(e.to_string()))?;
    let state = Arc::new(AppState {
        store: Mutex::new(store),
        font,
        hours: config.hours,
        overrides: Mutex::new(HashMap::new()),
        gaiji,
        font_path: moji::refdata::ipamj_font_path(),
    });
    let app = router(state);
    let handle = axum_server::Handle::new();
    let server = axum_server::bind_rustls(config.listen, tls).handle(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = server
            .serve(app.into_make_service_with_connect_info::<SocketAddr>())
            .await
        {
            eprintln!("koseki serve: {e}");
        }
    });
    let addr = handle
        .listening()
        .await
        .ok_or_else(|| WebError::Server(format!("cannot listen on {}", config.listen)))?;
    Ok(RunningServer { addr, handle })
}

fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/search") }))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/search", get(search))
        .route("/koseki/{id}", get(koseki_view))
        .route("/images/{id}", get(image_view))
        .route("/images/{id}/pages/{n}", get(image_png))
        .route("/issue", get(issue_form).post(issue_submit))
        .route("/audit", get(audit_view))
        .route("/office", get(office_form).post(office_submit))
        .route("/override", post(override_hours))
        .route("/gaiji/{hex}", get(gaiji_png))
        .route("/font/ipamjm.ttf", get(font_file))
        .route("/static/app.css", get(css))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                pages::message("見つかりません", None, "ページが見つかりません。"),
            )
        })
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let cacheable =
        req.uri().path().starts_with("/font/") || req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Run store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&AppState, &Store) -> T + Send + 'static,
) -> T {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let store = st.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&st, &store)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Constant-time string equality (CSRF tokens).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn html(status: StatusCode, m: Markup) -> Response {
    (status, m).into_response()
}

fn server_error(e: impl std::fmt::Display) -> Response {
    eprintln!("koseki serve: {e}");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message(
            "エラー",
            None,
            "内部エラーが発生しました。管理者に連絡してください。",
        ),
    )
}

/// The logged-in staff member behind a request.
struct Ctx {
    token: String,
    info: SessionInfo,
}

/// Session + permission + operating hours, or the response that refuses.
async fn guard(
    state: &Shared,
    headers: &HeaderMap,
    method: &Method,
    perm: Permission,
) -> Result<Ctx, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(not_logged_in(method));
    };
    let t = token.clone();
    let info = blocking(state, move |_, s| s.session(&t))
        .await
        .map_err(server_error)?;
    let Some(info) = info else {
        return Err(not_logged_in(method));
    };
    if !info.role.allows(perm) {
        return Err(html(
            StatusCode::FORBIDDEN,
            pages::message(
                "権限がありません",
                Some(&info),
                "この操作を行う権限がありません。",
            ),
        ));
    }
    let now = runtime::util::now_unix();
    if !state.hours.open_at(now) {
        let key = runtime::util::sha256_hex(token.as_bytes());
        let overridden = state
            .overrides
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .is_some_and(|&until| until > now);
        if !overridden {
            return Err(html(
                StatusCode::FORBIDDEN,
                pages::closed(&info, &state.hours.label()),
            ));
        }
    }
    Ok(Ctx { token, info })
}

fn not_logged_in(method: &Method) -> Response {
    if method == Method::GET {
        Redirect::to("/login").into_response()
    } else {
        html(
            StatusCode::UNAUTHORIZED,
            pages::message("ログインが必要です", None, "ログインしてください。"),
        )
    }
}

fn check_csrf(ctx: &Ctx, given: &str) -> Result<(), Response> {
    if same(&ctx.info.csrf_token, given) {
        Ok(())
    } else {
        Err(html(
            StatusCode::FORBIDDEN,
            pages::message(
                "不正な要求",
                Some(&ctx.info),
                "フォームの有効期限が切れたか、不正な要求です。もう一度操作してください。",
            ),
        ))
    }
}

async fn audit(
    state: &Shared,
    ctx: &Ctx,
    action: AuditAction,
    target: String,
    detail: serde_json::Value,
) -> Result<(), Response> {
    let (user, terminal) = (ctx.info.user.clone(), ctx.info.terminal.clone());
    blocking(state, move |_, s| {
        s.audit(&AuditEvent {
            user: &user,
            terminal: &terminal,
            action,
            target: &target,
            detail,
        })
    })
    .await
    .map(|_| ())
    .map_err(server_error)
}

// ----- login / logout ---------------------------------------------------------------------

async fn login_page() -> Response {
    let csrf = runtime::util::hex(&runtime::util::random_bytes::<32>());
    let mut res = html(StatusCode::OK, pages::login(&csrf, None));
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &csrf, Some(3600)),
    );
    res
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

async fn login_submit(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    // Login CSRF: the form's token must match the cookie set with the form.
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &f.csrf) {
        let mut res = login_page().await;
        *res.status_mut() = StatusCode::FORBIDDEN;
        return res;
    }
    let terminal = peer.ip().to_string();
    let result = blocking(&state, move |_, s| {
        s.login(f.user.trim(), &f.password, f.code.trim(), &terminal)
    })
    .await;
    match result {
        Ok(session) => {
            let mut res = Redirect::to("/search").into_response();
            *res.status_mut() = StatusCode::SEE_OTHER;
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.token, None),
            );
            h.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", Some(0)));
            res
        }
        Err(e) => {
            let (status, msg) = match e {
                AuthError::Locked => (
                    StatusCode::FORBIDDEN,
                    "アカウントはロックされています。管理者に解除を依頼してください。",
                ),
                AuthError::Disabled => (StatusCode::FORBIDDEN, "アカウントは無効です。"),
                AuthError::InvalidCredentials => (
                    StatusCode::UNAUTHORIZED,
                    "ユーザー名、パスワードまたはワンタイムコードが違います。",
                ),
                other => return server_error(other),
            };
            let csrf = runtime::util::hex(&runtime::util::random_bytes::<32>());
            let mut res = html(status, pages::login(&csrf, Some(msg)));
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, &csrf, Some(3600)),
            );
            res
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn logout(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let t = token.clone();
    let info = match blocking(&state, move |_, s| s.session(&t)).await {
        Ok(Some(i)) => i,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return server_error(e),
    };
    if !same(&info.csrf_token, &f.csrf) {
        return html(
            StatusCode::FORBIDDEN,
            pages::message("不正な要求", Some(&info), "不正な要求です。"),
        );
    }
    if let Err(e) = blocking(&state, move |_, s| s.logout(&token)).await {
        return server_error(e);
    }
    let mut res = Redirect::to("/login").into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0)));
    res
}

async fn override_hours(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    // Not through `guard`: this is the way in when closed. Session and role are checked here.
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return not_logged_in(&method);
    };
    let t = token.clone();
    let info = match blocking(&state, move |_, s| s.session(&t)).await {
        Ok(Some(i)) => i,
        Ok(None) => return not_logged_in(&method),
        Err(e) => return server_error(e),
    };
    let ctx = Ctx { token, info };
    if let Err(r) = check_csrf(&ctx, &f.csrf) {
        return r;
    }
    if !ctx.info.role.allows(Permission::OverrideHours) {
        return html(
            StatusCode::FORBIDDEN,
            pages::message(
                "権限がありません",
                Some(&ctx.info),
                "時間外の操作の許可は管理者のみが行えます。",
            ),
        );
    }
    let detail = serde_json::json!({"reason": f.reason, "hours": state.hours.label(), "until_session_end": ctx.info.expires_at});
    if let Err(r) = audit(
        &state,
        &ctx,
        AuditAction::Override,
        format!("session:{}", ctx.info.user),
        detail,
    )
    .await
    {
        return r;
    }
    state
        .overrides
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            runtime::util::sha256_hex(ctx.token.as_bytes()),
            ctx.info.expires_at,
        );
    let mut res = Redirect::to("/search").into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res
}

// ----- search and views ----------------------------------------------------------------------

async fn search(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    QueryParams(q): QueryParams<Query>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::Search).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if q.is_empty() {
        return html(
            StatusCode::OK,
            pages::search(&ctx.info, &q, None, &state.gaiji),
        );
    }
    let (q2, user, terminal) = (q.clone(), ctx.info.user.clone(), ctx.info.terminal.clone());
    let results = match blocking(&state, move |_, s| find::search(s, &q2, &user, &terminal)).await {
        Ok(h) => h,
        Err(find::FindError::BadQuery(m)) => {
            return html(
                StatusCode::BAD_REQUEST,
                pages::search_error(&ctx.info, &q, &m),
            );
        }
        Err(find::FindError::Store(e)) => return server_error(e),
    };
    html(
        StatusCode::OK,
        pages::search(&ctx.info, &q, Some(&results), &state.gaiji),
    )
}

async fn koseki_view(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::ViewKoseki).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let k = match blocking(&state, move |_, s| s.koseki(id)).await {
        Ok(Some(k)) => k,
        Ok(None) => {
            return html(
                StatusCode::NOT_FOUND,
                pages::message("見つかりません", Some(&ctx.info), "その戸籍はありません。"),
            );
        }
        Err(e) => return server_error(e),
    };
    if let Err(r) = audit(
        &state,
        &ctx,
        AuditAction::View,
        format!("koseki:{id}"),
        serde_json::json!({"status": k.status.label()}),
    )
    .await
    {
        return r;
    }
    let view = certificate::from_model::koseki_view(&k);
    let mut persons: Vec<_> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    let page = pages::KosekiPage {
        id,
        status: k.status.label(),
        lines: certificate::layout::zenbu_body(&view),
        members: persons
            .iter()
            .map(|p| (p.id, p.name.mei.text.clone(), p.removed))
            .collect(),
        can_issue: ctx.info.role.allows(Permission::IssueCertificate),
        migrated: pages::migrated_rows(&k),
    };
    html(
        StatusCode::OK,
        pages::koseki(&ctx.info, &page, &state.gaiji),
    )
}

#[derive(serde::Deserialize)]
struct PageParam {
    page: Option<u32>,
}

async fn image_view(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<i64>,
    QueryParams(p): QueryParams<PageParam>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::ViewImages).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let reg = match blocking(&state, move |_, s| s.image_register(id)).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return html(
                StatusCode::NOT_FOUND,
                pages::message(
                    "見つかりません",
                    Some(&ctx.info),
                    "その画像戸籍はありません。",
                ),
            );
        }
        Err(e) => return server_error(e),
    };
    let pages_n = reg.pages.len() as u32;
    let page_no = p.page.unwrap_or(1).clamp(1, pages_n.max(1));
    if let Err(r) = audit(
        &state,
        &ctx,
        AuditAction::View,
        format!("image:{id}"),
        serde_json::json!({"page": page_no}),
    )
    .await
    {
        return r;
    }
    let midashi = format!("{}　{}", reg.honseki.display.text, reg.hittosha.display());
    let page = pages::ImagePage {
        id,
        midashi: &midashi,
        kind: reg.kind.label(),
        page_no,
        pages: pages_n,
        can_issue: ctx.info.role.allows(Permission::IssueCertificate),
    };
    html(
        StatusCode::OK,
        pages::image_register(&ctx.info, &page, &state.gaiji),
    )
}

async fn image_png(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Path((id, n)): Path<(i64, u32)>,
) -> Response {
    if let Err(r) = guard(&state, &headers, &method, Permission::ViewImages).await {
        return r;
    }
    let png = blocking(&state, move |_, s| -> Result<Option<Vec<u8>>, String> {
        let Some(reg) = s.image_register(id).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let Some(page) = reg.pages.iter().find(|p| p.page_no == n) else {
            return Ok(None);
        };
        let Some((mt, bytes)) = s.blob(&page.sha256).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        certificate::image_page::to_png(&bytes, &mt)
            .map(Some)
            .map_err(|e| e.to_string())
    })
    .await;
    match png {
        Ok(Some(png)) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => server_error(e),
    }
}

async fn gaiji_png(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Path(hex): Path<String>,
) -> Response {
    if let Err(r) = guard(&state, &headers, &method, Permission::ViewKoseki).await {
        return r;
    }
    let Some(c) = u32::from_str_radix(hex.trim_end_matches(".png"), 16)
        .ok()
        .and_then(char::from_u32)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match blocking(&state, move |_, s| s.local_gaiji()).await {
        Ok(list) => match list.into_iter().find(|g| g.code_point == c) {
            Some(g) => ([(header::CONTENT_TYPE, "image/png")], g.glyph_png).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Err(e) => server_error(e),
    }
}

async fn font_file(State(state): State<Shared>) -> Response {
    match tokio::fs::read(&state.font_path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "font/ttf"),
                (header::CACHE_CONTROL, "private, max-age=86400"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => server_error(format!("{}: {e}", state.font_path.display())),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        pages::CSS,
    )
        .into_response()
}

// ----- certificates ------------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct IssueParams {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    koseki: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    image: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kubun: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    fee: String,
    #[serde(default)]
    show_hyoji: String,
    #[serde(default)]
    show_code: String,
}

impl IssueParams {
    /// The form's fields from its pairs; `sp` (person) and `sj` (事項) repeat, one per ticked
    /// box of the 一部事項 form, so the form is read as pairs rather than as a struct.
    fn from_pairs(pairs: &[(String, String)]) -> (IssueParams, Vec<String>, Vec<String>) {
        let mut p = IssueParams::default();
        let (mut persons, mut jiko) = (Vec::new(), Vec::new());
        for (k, v) in pairs {
            let field = match k.as_str() {
                "kind" => &mut p.kind,
                "koseki" => &mut p.koseki,
                "person" => &mut p.person,
                "image" => &mut p.image,
                "csrf" => &mut p.csrf,
                "kubun" => &mut p.kubun,
                "requester" => &mut p.requester,
                "fee" => &mut p.fee,
                "show_hyoji" => &mut p.show_hyoji,
                "show_code" => &mut p.show_code,
                "sp" => {
                    persons.push(v.clone());
                    continue;
                }
                "sj" => {
                    jiko.push(v.clone());
                    continue;
                }
                _ => continue,
            };
            *field = v.clone();
        }
        (p, persons, jiko)
    }
}

/// The ticked persons and 事項 of the 一部事項 form, as ids.
fn selection(persons: &[String], jiko: &[String]) -> Result<issue::JikoSelection, &'static str> {
    let ids = |v: &[String]| -> Result<Vec<i64>, &'static str> {
        v.iter()
            .map(|s| s.trim().parse().map_err(|_| "選択が不正です。"))
            .collect()
    };
    Ok(issue::JikoSelection {
        persons: ids(persons)?,
        jiko_ids: ids(jiko)?,
        jiko_titles: Vec::new(),
    })
}

fn id_param(s: &str) -> Result<Option<i64>, ()> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        s.trim().parse().map(Some).map_err(|_| ())
    }
}

fn issue_request(p: &IssueParams) -> Result<IssueRequest, &'static str> {
    let kind = CertificateKind::from_code(&p.kind).ok_or("証明書の種類が不正です。")?;
    let koseki_id = id_param(&p.koseki).map_err(|_| "戸籍の指定が不正です。")?;
    let person_id = id_param(&p.person).map_err(|_| "者の指定が不正です。")?;
    let image_register_id = id_param(&p.image).map_err(|_| "画像戸籍の指定が不正です。")?;
    let requester_kubun = if p.kubun.is_empty() {
        RequesterKubun::Honnin
    } else {
        RequesterKubun::from_label(&p.kubun).ok_or("請求者区分が不正です。")?
    };
    let fee_yen = if p.fee.trim().is_empty() {
        None
    } else {
        Some(
            p.fee
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|f| *f <= 100_000)
                .ok_or("手数料が不正です。")?,
        )
    };
    Ok(IssueRequest {
        kind,
        koseki_id,
        person_id,
        image_register_id,
        requester_kubun,
        requester_name: p.requester.trim().to_string(),
        fee_yen,
        channel: "window".into(),
        fuhyo_options: certificate::view::FuhyoOptions {
            show_koseki_hyoji: p.show_hyoji == "1",
            show_juminhyo_code: p.show_code == "1",
        },
        selection: issue::JikoSelection::default(),
    })
}

async fn issue_form(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    QueryParams(p): QueryParams<IssueParams>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::IssueCertificate).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let req = match issue_request(&p) {
        Ok(r) => r,
        Err(m) => {
            return html(
                StatusCode::BAD_REQUEST,
                pages::message("発行できません", Some(&ctx.info), m),
            );
        }
    };
    if req.kind == CertificateKind::Ichibu && req.koseki_id.is_none() {
        return html(
            StatusCode::BAD_REQUEST,
            pages::message(
                "発行できません",
                Some(&ctx.info),
                "一部事項証明書は戸籍を指定して発行します。",
            ),
        );
    }
    let r2 = req.clone();
    type Target = (String, bool, Option<pages::IchibuChoices>);
    let target = blocking(
        &state,
        move |_, s| -> Result<Option<Target>, runtime::StoreError> {
            if let Some(i) = r2.image_register_id {
                return Ok(s.image_register(i)?.map(|r| {
                    (
                        format!("{}　{}", r.honseki.display.text, r.hittosha.display()),
                        true,
                        None,
                    )
                }));
            }
            let kid = match (r2.koseki_id, r2.person_id) {
                (Some(k), _) => k,
                (None, Some(p)) => match s.person(p)? {
                    Some(p) => p.koseki_id,
                    None => return Ok(None),
                },
                _ => return Ok(None),
            };
            let Some(k) = s.koseki(kid)? else {
                return Ok(None);
            };
            let who = r2
                .person_id
                .and_then(|pid| k.persons.iter().find(|p| p.id == pid))
                .map(|p| format!("　（{}）", p.name.display()))
                .unwrap_or_default();
            let choices = (r2.kind == CertificateKind::Ichibu).then(|| pages::ichibu_choices(&k));
            Ok(Some((
                format!("{}　{}{who}", k.honseki.display.text, k.hittosha.display()),
                k.status != runtime::model::KosekiStatus::Genzai,
                choices,
            )))
        },
    )
    .await;
    let (label, closed, choices) = match target {
        Ok(Some(t)) => t,
        Ok(None) => {
            return html(
                StatusCode::NOT_FOUND,
                pages::message("見つかりません", Some(&ctx.info), "対象が見つかりません。"),
            );
        }
        Err(e) => return server_error(e),
    };
    let form = pages::IssueForm {
        kind: req.kind.code(),
        kind_label: req.kind.name_ja(),
        target_label: label,
        koseki: req.koseki_id,
        person: req.person_id,
        image: req.image_register_id,
        fee: issue::standard_fee(req.kind, closed, RequesterKubun::Honnin),
        choices,
    };
    html(
        StatusCode::OK,
        pages::issue_form(&ctx.info, &form, &state.gaiji),
    )
}

async fn issue_submit(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::IssueCertificate).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (p, persons, jiko) = IssueParams::from_pairs(&pairs);
    if let Err(r) = check_csrf(&ctx, &p.csrf) {
        return r;
    }
    let req = issue_request(&p).and_then(|mut r| {
        r.selection = selection(&persons, &jiko)?;
        Ok(r)
    });
    let req = match req {
        Ok(r) if !r.requester_name.is_empty() => r,
        Ok(_) => {
            return html(
                StatusCode::BAD_REQUEST,
                pages::message(
                    "発行できません",
                    Some(&ctx.info),
                    "請求者氏名を入力してください。",
                ),
            );
        }
        Err(m) => {
            return html(
                StatusCode::BAD_REQUEST,
                pages::message("発行できません", Some(&ctx.info), m),
            );
        }
    };
    let (user, terminal) = (ctx.info.user.clone(), ctx.info.terminal.clone());
    let result = blocking(
        &state,
        move |st, s| -> Result<issue::Issued, issue::IssueError> {
            s.atomically(|s| {
                let out = issue::issue(s, &st.font, &req, &user, &terminal)
                    .map_err(|e| runtime::StoreError::Invalid(e.to_string()))?;
                s.audit(&AuditEvent {
                    user: &user,
                    terminal: &terminal,
                    action: AuditAction::Issue,
                    target: &match (req.koseki_id, req.person_id, req.image_register_id) {
                        (_, _, Some(i)) => format!("image:{i}"),
                        (_, Some(p), _) => format!("person:{p}"),
                        (Some(k), _, _) => format!("koseki:{k}"),
                        _ => String::new(),
                    },
                    detail: serde_json::json!({
                        "hakko_no": out.record.hakko_no,
                        "kind": req.kind.code(),
                        "kubun": req.requester_kubun.label(),
                        "requester": req.requester_name,
                        "fee_yen": out.record.request.fee_yen,
                        "pdf_sha256": out.record.pdf_sha256,
                        "selection": (req.kind == CertificateKind::Ichibu).then_some(&req.selection),
                    }),
                })?;
                Ok(out)
            })
            .map_err(issue::IssueError::Store)
        },
    )
    .await;
    match result {
        Ok(out) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"koseki-{}-{}.pdf\"",
                        out.record.request.kind.code(),
                        out.record.hakko_no
                    ),
                ),
            ],
            out.pdf,
        )
            .into_response(),
        Err(e) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::message(
                "発行できません",
                Some(&ctx.info),
                &format!("証明書を作成できませんでした：{e}"),
            ),
        ),
    }
}

// ----- audit viewer --------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct AuditParams {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
}

async fn audit_view(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    QueryParams(p): QueryParams<AuditParams>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::ViewAudit).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = audit(
        &state,
        &ctx,
        AuditAction::View,
        "audit".into(),
        serde_json::json!({"user": p.user, "action": p.action}),
    )
    .await
    {
        return r;
    }
    let filter = AuditFilter {
        user: Some(p.user.trim().to_string()).filter(|u| !u.is_empty()),
        action: AuditAction::from_code(p.action.trim()),
        limit: Some(300),
        ..Default::default()
    };
    let out = blocking(&state, move |_, s| -> Result<_, runtime::StoreError> {
        Ok((s.audit_entries(&filter)?, s.audit_verify()?))
    })
    .await;
    match out {
        Ok((mut entries, report)) => {
            entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
            let verified = match report.first_bad.clone() {
                None => Ok(report.entries),
                Some(bad) => Err(bad),
            };
            html(StatusCode::OK, pages::audit(&ctx.info, &entries, verified))
        }
        Err(e) => server_error(e),
    }
}

// ----- issuing office (管理) -----------------------------------------------------------------

#[derive(serde::Deserialize)]
struct OfficeParams {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mayor: String,
}

async fn office_form(State(state): State<Shared>, method: Method, headers: HeaderMap) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::ManageUsers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match blocking(&state, |_, s| issue::office_settings(s)).await {
        Ok(settings) => html(StatusCode::OK, pages::office(&ctx.info, &settings, None)),
        Err(e) => server_error(e),
    }
}

/// The office line and the mayor's name (the seal image is set with `koseki office set`);
/// logged in the audit chain with the old and new values.
async fn office_submit(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Form(f): Form<OfficeParams>,
) -> Response {
    let ctx = match guard(&state, &headers, &method, Permission::ManageUsers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&ctx, &f.csrf) {
        return r;
    }
    let (user, terminal) = (ctx.info.user.clone(), ctx.info.terminal.clone());
    let result = blocking(&state, move |st, s| {
        let set = issue::set_office_logged(
            s,
            &st.font,
            f.name.trim(),
            f.mayor.trim(),
            None,
            &user,
            &terminal,
        );
        (set, issue::office_settings(s))
    })
    .await;
    match result {
        (Ok(settings), _) => html(
            StatusCode::OK,
            pages::office(
                &ctx.info,
                &settings,
                Some("保存しました。次に発行する証明書から記載されます。"),
            ),
        ),
        (
            Err(e @ (issue::IssueError::Request(_) | issue::IssueError::Certificate(_))),
            Ok(settings),
        ) => html(
            StatusCode::BAD_REQUEST,
            pages::office(&ctx.info, &settings, Some(&format!("保存できません：{e}"))),
        ),
        (Err(e), _) => server_error(e),
    }
}
