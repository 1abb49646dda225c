//! HTML pages (maud escapes every interpolated value). Japanese, no scripts, keyboard-first:
//! every control has a label, the search field takes focus, access keys on the navigation.

use std::collections::HashSet;

use maud::{DOCTYPE, Markup, html};
use runtime::audit::AuditEntry;
use runtime::auth::{Role, SessionInfo};

use runtime::search::SearchResults;

use crate::find::Query;

pub const CSS: &str = r#"@font-face{font-family:"IPAmj";src:url("/font/ipamjm.ttf") format("truetype");font-display:block}
body{font-family:"IPAmj",serif;margin:0;color:#111;background:#fafaf7}
header{background:#23395d;color:#fff;padding:.4em 1em;display:flex;gap:1.5em;align-items:center}
header a{color:#fff}header form{margin-left:auto}
main{padding:1em 1.5em;max-width:70em}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #e8a33d;outline-offset:1px}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}
.koseki{background:#fff;border:1px solid #999;padding:1em;display:inline-block}
.l{white-space:pre;line-height:1.5;min-height:1.5em}
.gaiji{height:1em;width:1em;vertical-align:-.12em}
.notice{border:2px solid #b33;padding:1em;background:#fff4f4}
.ok{color:#070}.bad{color:#b00;font-weight:bold}
label{display:inline-block;min-width:7em}
form.search p,form.issue p{margin:.3em 0}
img.page{max-width:100%;border:1px solid #999;background:#fff}
"#;

/// Text with local gaiji (private-use code points the store knows) shown as their glyph
/// images; everything else escaped as text (IVS kept).
pub fn mj_text(s: &str, gaiji: &HashSet<char>) -> Markup {
    html! {
        @for part in split_gaiji(s, gaiji) {
            @match part {
                Ok(text) => (text),
                Err(c) => img.gaiji src=(format!("/gaiji/{:04X}", c as u32)) alt=(c.to_string()) title=(format!("外字 U+{:04X}", c as u32));
            }
        }
    }
}

fn split_gaiji(s: &str, gaiji: &HashSet<char>) -> Vec<Result<String, char>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if gaiji.contains(&c) {
            if !cur.is_empty() {
                out.push(Ok(std::mem::take(&mut cur)));
            }
            out.push(Err(c));
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(Ok(cur));
    }
    out
}

pub fn layout(title: &str, session: Option<&SessionInfo>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — 戸籍システム" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header {
                    strong { "戸籍システム" }
                    @if let Some(s) = session {
                        nav {
                            a href="/search" accesskey="s" { "検索(S)" }
                            @if s.role == Role::Kanri {
                                " " a href="/audit" accesskey="a" { "監査ログ(A)" }
                                " " a href="/office" accesskey="o" { "発行元(O)" }
                            }
                        }
                        form method="post" action="/logout" {
                            span { (s.user) "（" (s.role.label()) "）" } " "
                            input type="hidden" name="csrf" value=(s.csrf_token);
                            button type="submit" { "ログアウト" }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

pub fn login(csrf: &str, message: Option<&str>) -> Markup {
    layout(
        "ログイン",
        None,
        html! {
            @if let Some(m) = message { p.notice role="alert" { (m) } }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                p { label for="user" { "ユーザー名" } input id="user" name="user" autocomplete="username" required autofocus; }
                p { label for="password" { "パスワード" } input id="password" name="password" type="password" autocomplete="current-password" required; }
                p { label for="code" { "ワンタイムコード" } input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required; }
                p { button type="submit" { "ログイン" } }
            }
        },
    )
}

pub fn message(title: &str, session: Option<&SessionInfo>, text: &str) -> Markup {
    layout(title, session, html! { p.notice role="alert" { (text) } })
}

pub fn closed(session: &SessionInfo, hours: &str) -> Markup {
    layout(
        "業務時間外",
        Some(session),
        html! {
            p.notice role="alert" {
                "現在は業務時間外です（業務時間 " (hours) "）。戸籍の検索・閲覧・証明書発行はできません。"
            }
            @if session.role == Role::Kanri {
                form method="post" action="/override" {
                    input type="hidden" name="csrf" value=(session.csrf_token);
                    p { label for="reason" { "理由" } input id="reason" name="reason" required; }
                    p { button type="submit" { "管理者として時間外の操作を許可する（記録されます）" } }
                }
            }
        },
    )
}

pub fn search_error(session: &SessionInfo, q: &Query, message: &str) -> Markup {
    layout(
        "検索",
        Some(session),
        html! { p.notice role="alert" { (message) } (search_form(q)) },
    )
}

fn search_form(q: &Query) -> Markup {
    html! {
            form.search method="get" action="/search" {
                p { label for="name" { "氏名" } input id="name" name="name" value=(q.name) autofocus; " （漢字は異体字を区別せず、カナは振り仮名で検索）" }
                p { label for="kana" { "よみ（カナ）" } input id="kana" name="kana" value=(q.kana); }
                p { label for="honseki" { "本籍" } input id="honseki" name="honseki" value=(q.honseki); }
                p { label for="hittosha" { "筆頭者" } input id="hittosha" name="hittosha" value=(q.hittosha); }
                p { label for="birth" { "生年月日" } input id="birth" name="birth" value=(q.birth) placeholder="1972-11-03 または 昭和47年11月3日"; }
                p { button type="submit" { "検索" } }
            }
    }
}

pub fn search(
    session: &SessionInfo,
    q: &Query,
    results: Option<&SearchResults>,
    gaiji: &HashSet<char>,
) -> Markup {
    layout(
        "検索",
        Some(session),
        html! {
            (search_form(q))
            @if let Some(r) = results {
                p.count { (r.count_label()) }
                @if r.truncated() {
                    p.notice role="status" {
                        "先頭" (r.hits.len()) "件を表示しています。生年月日・本籍・筆頭者などで絞り込んでください。"
                    }
                }
                @let hits = &r.hits;
                @if !hits.is_empty() {
                    table {
                        thead { tr { th { "氏名" } th { "生年月日" } th { "本籍" } th { "筆頭者" } th { "区分" } } }
                        tbody {
                            @for h in hits {
                                tr {
                                    td {
                                        @if let Some(k) = h.koseki_id {
                                            a href=(format!("/koseki/{k}")) { (mj_text(&h.name, gaiji)) }
                                        } @else if let Some(i) = h.image_register_id {
                                            a href=(format!("/images/{i}")) { (mj_text(&h.name, gaiji)) }
                                        }
                                    }
                                    td { (h.birth_date.as_deref().unwrap_or("")) }
                                    td { (mj_text(&h.honseki, gaiji)) }
                                    td { (mj_text(&h.hittosha, gaiji)) }
                                    td { (h.status) @if h.removed { "（除籍）" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct KosekiPage<'a> {
    pub id: i64,
    pub status: &'a str,
    pub lines: Vec<String>,
    /// (person id, 名, removed)
    pub members: Vec<(i64, String, bool)>,
    pub can_issue: bool,
    /// What the migration kept beside the register (see [`migrated_rows`]).
    pub migrated: Vec<MigratedRow>,
}

/// One field the migration kept that the register has no place for: whose it is (戸籍,
/// a member, an event), the vendor field's domain name, its value.
pub struct MigratedRow {
    pub owner: String,
    pub field: String,
    pub value: String,
}

/// The migrated fields of a 戸籍, its 戸籍事項, its members and their 身分事項, in that order.
pub fn migrated_rows(k: &runtime::model::Koseki) -> Vec<MigratedRow> {
    let mut out = Vec::new();
    let mut add = |owner: String, m: &runtime::model::MigratedFields| {
        for (field, t) in m {
            out.push(MigratedRow {
                owner: owner.clone(),
                field: field.clone(),
                value: t.text.clone(),
            });
        }
    };
    add("戸籍".into(), &k.migrated);
    // Numbered as listed (the stored order).
    for (i, j) in k.jiko.iter().enumerate() {
        add(format!("戸籍事項 {}", i + 1), &j.migrated);
    }
    let mut persons: Vec<_> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    for p in persons {
        let who = format!("{}（記載順 {}）", p.name.mei.text, p.kisai_jun);
        add(who.clone(), &p.migrated);
        for (i, j) in p.mibun_jiko.iter().enumerate() {
            add(format!("{who} 身分事項 {}", i + 1), &j.migrated);
        }
    }
    out
}

pub fn koseki(session: &SessionInfo, page: &KosekiPage<'_>, gaiji: &HashSet<char>) -> Markup {
    layout(
        "戸籍（全部事項）",
        Some(session),
        html! {
            p { "状態：" (page.status) }
            div.koseki lang="ja" aria-label="全部事項" {
                @for line in &page.lines {
                    div.l { (mj_text(line, gaiji)) }
                }
            }
            @if page.can_issue {
                h2 { "証明書の発行" }
                ul {
                    li { a href=(format!("/issue?kind=zenbu&koseki={}", page.id)) { "全部事項証明書" } }
                    @for (pid, mei, removed) in &page.members {
                        li { a href=(format!("/issue?kind=kojin&person={pid}")) { "個人事項証明書（" (mj_text(mei, gaiji)) @if *removed { "・除籍" } "）" } }
                    }
                    li { a href=(format!("/issue?kind=ichibu&koseki={}", page.id)) { "一部事項証明書（者・事項を選択）" } }
                    li { a href=(format!("/issue?kind=fuhyo&koseki={}", page.id)) { "戸籍の附票の写し" } }
                }
            }
            @if !page.migrated.is_empty() {
                // Kept from the vendor's files, never printed on a certificate.
                details.migrated {
                    summary { "移行元システムの項目（" (page.migrated.len()) "件・証明書には記載しない）" }
                    table {
                        thead { tr { th { "対象" } th { "項目" } th { "値" } } }
                        tbody {
                            @for r in &page.migrated {
                                tr { td { (mj_text(&r.owner, gaiji)) } td { (r.field) } td { (mj_text(&r.value, gaiji)) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct ImagePage<'a> {
    pub id: i64,
    pub midashi: &'a str,
    pub kind: &'a str,
    pub page_no: u32,
    pub pages: u32,
    pub can_issue: bool,
}

pub fn image_register(session: &SessionInfo, p: &ImagePage<'_>, gaiji: &HashSet<char>) -> Markup {
    layout(
        "画像戸籍",
        Some(session),
        html! {
            p { (p.kind) "　" (mj_text(p.midashi, gaiji)) }
            nav aria-label="ページ" {
                @if p.page_no > 1 { a href=(format!("/images/{}?page={}", p.id, p.page_no - 1)) accesskey="p" rel="prev" { "← 前のページ(P)" } " " }
                span { (p.page_no) " / " (p.pages) " ページ" }
                @if p.page_no < p.pages { " " a href=(format!("/images/{}?page={}", p.id, p.page_no + 1)) accesskey="n" rel="next" { "次のページ(N) →" } }
            }
            p { img.page src=(format!("/images/{}/pages/{}", p.id, p.page_no)) alt=(format!("{} {}ページ", p.kind, p.page_no)); }
            @if p.can_issue {
                p { a href=(format!("/issue?kind=image&image={}", p.id)) { "謄本を発行" } }
            }
        },
    )
}

pub struct IssueForm<'a> {
    pub kind: &'a str,
    pub kind_label: &'a str,
    pub target_label: String,
    pub koseki: Option<i64>,
    pub person: Option<i64>,
    pub image: Option<i64>,
    pub fee: u32,
    /// 一部事項証明書: what can be chosen.
    pub choices: Option<IchibuChoices>,
}

/// One 事項 offered for a 一部事項証明書.
pub struct JikoChoice {
    pub id: i64,
    pub title: String,
    /// Its first 【】 item, to tell like 事項 apart.
    pub summary: String,
}

/// One member offered for a 一部事項証明書, with their 身分事項.
pub struct MemberChoice {
    pub person_id: i64,
    pub mei: String,
    pub removed: bool,
    pub jiko: Vec<JikoChoice>,
}

pub struct IchibuChoices {
    pub koseki_jiko: Vec<JikoChoice>,
    pub members: Vec<MemberChoice>,
}

fn jiko_choice(j: &runtime::model::Jiko) -> JikoChoice {
    JikoChoice {
        id: j.id,
        title: j.kind.label().to_string(),
        summary: j
            .items
            .first()
            .map(|i| format!("【{}】{}", i.tag, i.value.text))
            .unwrap_or_default(),
    }
}

/// The persons (記載順) and 事項 of a 戸籍, to choose from.
pub fn ichibu_choices(k: &runtime::model::Koseki) -> IchibuChoices {
    let mut persons: Vec<_> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    IchibuChoices {
        koseki_jiko: k.jiko.iter().map(jiko_choice).collect(),
        members: persons
            .into_iter()
            .map(|p| MemberChoice {
                person_id: p.id,
                mei: p.name.mei.text.clone(),
                removed: p.removed,
                jiko: p.mibun_jiko.iter().map(jiko_choice).collect(),
            })
            .collect(),
    }
}

fn ichibu_fields(c: &IchibuChoices, gaiji: &HashSet<char>) -> Markup {
    html! {
        p { "証明する者と事項を選んでください（事項だけを選ぶと、その事項のある者が記載されます）。" }
        @if !c.koseki_jiko.is_empty() {
            fieldset {
                legend { "戸籍事項" }
                @for j in &c.koseki_jiko {
                    p { label { input type="checkbox" name="sj" value=(j.id); " " (j.title) "　" (mj_text(&j.summary, gaiji)) } }
                }
            }
        }
        @for m in &c.members {
            fieldset {
                legend {
                    label { input type="checkbox" name="sp" value=(m.person_id); " " (mj_text(&m.mei, gaiji)) @if m.removed { "（除籍）" } }
                }
                @for j in &m.jiko {
                    p { label { input type="checkbox" name="sj" value=(j.id); " " (j.title) "　" (mj_text(&j.summary, gaiji)) } }
                }
            }
        }
    }
}

pub fn issue_form(session: &SessionInfo, f: &IssueForm<'_>, gaiji: &HashSet<char>) -> Markup {
    layout(
        "証明書の発行",
        Some(session),
        html! {
            p { (f.kind_label) "：" (mj_text(&f.target_label, gaiji)) }
            form.issue method="post" action="/issue" {
                input type="hidden" name="csrf" value=(session.csrf_token);
                input type="hidden" name="kind" value=(f.kind);
                @if let Some(k) = f.koseki { input type="hidden" name="koseki" value=(k); }
                @if let Some(p) = f.person { input type="hidden" name="person" value=(p); }
                @if let Some(i) = f.image { input type="hidden" name="image" value=(i); }
                p {
                    label for="kubun" { "請求者区分" }
                    select id="kubun" name="kubun" autofocus {
                        option value="本人等" { "本人等（10条）" }
                        option value="第三者" { "第三者（10条の2第1項）" }
                        option value="職務上" { "職務上請求" }
                        option value="公用" { "公用請求" }
                    }
                }
                p { label for="requester" { "請求者氏名" } input id="requester" name="requester" required; }
                p { label for="fee" { "手数料（円）" } input id="fee" name="fee" value=(f.fee) inputmode="numeric" pattern="[0-9]{1,6}"; " 公用は0円" }
                @if let Some(c) = &f.choices { (ichibu_fields(c, gaiji)) }
                @if f.kind == "fuhyo" {
                    p { label { input type="checkbox" name="show_hyoji" value="1"; " 本籍・筆頭者を記載" } }
                    p { label { input type="checkbox" name="show_code" value="1"; " 住民票コードを記載" } }
                }
                p { button type="submit" { "発行（PDF）" } }
            }
        },
    )
}

/// The issuing office printed on certificates (管理).
pub fn office(
    session: &SessionInfo,
    settings: &certificate::issue::OfficeSettings,
    message: Option<&str>,
) -> Markup {
    layout(
        "証明書の発行元",
        Some(session),
        html! {
            @if let Some(m) = message { p.notice role="status" { (m) } }
            form method="post" action="/office" {
                input type="hidden" name="csrf" value=(session.csrf_token);
                p { label for="name" { "発行元" } input id="name" name="name" required autofocus value=(settings.office.as_deref().unwrap_or("")) placeholder="架空県みなと市長"; }
                p { label for="mayor" { "市町村長名" } input id="mayor" name="mayor" required value=(settings.mayor_name.as_deref().unwrap_or("")) placeholder="港　　太　郎"; " （字間の空白も記載のとおり）" }
                p { button type="submit" { "保存（監査ログに記録されます）" } }
            }
            p {
                "電子公印："
                @if settings.seal_sha256.is_some() { "登録済み" } @else { "未登録" }
                "（画像は " code { "koseki office set --seal FILE.png" } " で登録します）"
            }
        },
    )
}

pub fn audit(
    session: &SessionInfo,
    entries: &[AuditEntry],
    verified: Result<i64, (i64, String)>,
) -> Markup {
    layout(
        "監査ログ",
        Some(session),
        html! {
            @match &verified {
                Ok(n) => p.ok { "ハッシュチェーン検証：正常（" (n) " 件）" },
                Err((seq, why)) => p.bad role="alert" { "ハッシュチェーン検証：異常 — 番号 " (seq) "：" (why) },
            }
            form method="get" action="/audit" {
                label for="user" { "職員" } input id="user" name="user";
                " " label for="action" { "操作" } input id="action" name="action" placeholder="search, view, issue, login…";
                " " button type="submit" { "絞り込み" }
            }
            table {
                thead { tr { th { "番号" } th { "日時（UTC）" } th { "職員" } th { "端末" } th { "操作" } th { "対象" } th { "詳細" } } }
                tbody {
                    @for e in entries {
                        tr { td { (e.seq) } td { (e.at) } td { (e.user) } td { (e.terminal) } td { (e.action) } td { (e.target) } td { code { (e.detail) } } }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrated_fields_are_listed_by_owner_and_escaped() {
        let mut k = runtime::fixtures::yamabuki();
        k.migrated.insert(
            "hensei_date".into(),
            runtime::model::Text::new("平成26年7月29日"),
        );
        k.persons[0].mibun_jiko[0].migrated.insert(
            "todoke_date".into(),
            runtime::model::Text::new("<b>昭和</b>"),
        );
        let rows = migrated_rows(&k);
        let first = &k.persons.iter().min_by_key(|p| p.kisai_jun).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].owner.as_str(), rows[0].field.as_str()),
            ("戸籍", "hensei_date")
        );
        assert!(rows[1].owner.ends_with("身分事項 1"), "{}", rows[1].owner);
        assert!(rows[1].owner.starts_with(&first.name.mei.text));
        let session = SessionInfo {
            user_id: 1,
            user: "clerk".into(),
            role: Role::Madoguchi,
            expires_at: 0,
            terminal: "t".into(),
            csrf_token: "t".into(),
        };
        let page = KosekiPage {
            id: 1,
            status: "現在",
            lines: Vec::new(),
            members: Vec::new(),
            can_issue: false,
            migrated: rows,
        };
        let out = koseki(&session, &page, &HashSet::new()).into_string();
        assert!(out.contains("移行元システムの項目（2件"), "{out}");
        assert!(out.contains("hensei_date") && out.contains("平成26年7月29日"));
        assert!(out.contains("&lt;b&gt;昭和"), "{out}");
        // None kept: no section.
        let empty = KosekiPage {
            migrated: Vec::new(),
            ..page
        };
        assert!(
            !koseki(&session, &empty, &HashSet::new())
                .into_string()
                .contains("移行元")
        );
    }

    #[test]
    fn hostile_text_is_escaped_and_gaiji_become_images() {
        let g: HashSet<char> = ['\u{E000}'].into_iter().collect();
        let out = mj_text("<script>alert(1)</script>\u{E000}太\"'&", &g).into_string();
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"));
        assert!(out.contains("/gaiji/E000"));
        assert!(out.contains("&amp;"));
    }
}
