//! HTTP-level and security tests against a real server.

use runtime::audit::{AuditAction, AuditFilter};
use web::OperatingHours;

use crate::poppler::{assert_ipamj_subset_embedded, pdf_pages, pdf_text};
use crate::support::*;

fn entries(env: &Env, action: AuditAction) -> Vec<runtime::audit::AuditEntry> {
    env.store()
        .audit_entries(&AuditFilter {
            action: Some(action),
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_without_login() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    for path in [
        "/",
        "/search?name=山吹",
        "/koseki/1",
        "/images/1",
        "/images/1/pages/1",
        "/issue?kind=zenbu&koseki=1",
        "/audit",
        "/gaiji/E000",
    ] {
        let res = c.get(env.url(path)).send().await.unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        let to = res.headers()["location"].to_str().unwrap();
        assert!(
            to == "/login" || (path == "/" && to == "/search"),
            "{path} → {to}"
        );
        let body = res.text().await.unwrap();
        assert!(!body.contains("山吹"), "{path} leaked data");
    }
    let res = c
        .post(env.url("/issue"))
        .form(&[("kind", "zenbu"), ("koseki", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A made-up session cookie is no session.
    let res = c
        .get(env.url("/koseki/1"))
        .header("cookie", "__Host-koseki=deadbeef")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The login page itself and its assets are public.
    assert_eq!(c.get(env.url("/login")).send().await.unwrap().status(), 200);
    let css = c.get(env.url("/static/app.css")).send().await.unwrap();
    assert!(css.text().await.unwrap().contains("/font/ipamjm.ttf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_login_variant_search_view_and_audit() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    // 「渡辺」 finds 渡邊󠄈 (邊 + IVS) through the MJ縮退 keys; the IVS reaches the page intact.
    let (status, page) = get(&env, &c, &clerk, "/search?name=%E6%B8%A1%E8%BE%BA").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("渡邊\u{E0108}"),
        "variant search failed:\n{page}"
    );
    assert!(page.contains("href=\"/koseki/2\""));
    let (status, page) = get(&env, &c, &clerk, "/koseki/2").await;
    assert_eq!(status, 200);
    assert!(page.contains("渡邊\u{E0108}"));
    assert!(
        page.contains("/gaiji/E000"),
        "local gaiji shown as its glyph image"
    );
    let (status, page) = get(&env, &c, &clerk, "/koseki/1").await;
    assert_eq!(status, 200);
    assert!(page.contains("│除　籍│"), "removed person boxed");
    assert!(page.contains("【名】陽菜"));
    // Image register 見出し are searched too, and pages come as PNG.
    let (_, page) = get(
        &env,
        &c,
        &clerk,
        "/search?hittosha=%E5%B1%B1%E5%90%B9%E4%BF%9D",
    )
    .await;
    assert!(page.contains("href=\"/images/1\""), "{page}");
    let res = c
        .get(env.url("/images/1/pages/2"))
        .header("cookie", &clerk.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.bytes().await.unwrap().starts_with(b"\x89PNG"));

    let logins = entries(&env, AuditAction::Login);
    assert!(
        logins
            .iter()
            .any(|e| e.user == "clerk" && e.terminal == "127.0.0.1")
    );
    let searches = entries(&env, AuditAction::Search);
    assert!(
        searches
            .iter()
            .any(|e| e.user == "clerk" && e.detail.contains("渡辺")),
        "search query logged"
    );
    let views = entries(&env, AuditAction::View);
    assert!(views.iter().any(|e| e.target == "koseki:2"));
    assert!(env.store().audit_verify().unwrap().ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_pdf_over_http_is_recorded() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    let (status, form) = get(&env, &c, &clerk, "/issue?kind=zenbu&koseki=1").await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"450\""), "standard fee offered");
    let path = issue_pdf(
        &env,
        &c,
        &clerk,
        &[
            ("kind", "zenbu"),
            ("koseki", "1"),
            ("kubun", "第三者"),
            ("requester", "青木　大輔"),
            ("fee", "450"),
        ],
        "zenbu.pdf",
    )
    .await;
    assert_ipamj_subset_embedded(&path);
    let text = pdf_text(&path);
    assert!(
        text.contains("全部事項証明") && text.contains("００００００１"),
        "{text}"
    );

    let store = env.store();
    let iss = store.issuances(5).unwrap();
    assert_eq!(iss.len(), 1);
    assert_eq!(iss[0].request.requester_kubun.label(), "第三者");
    assert_eq!(iss[0].request.fee_yen, 450);
    assert_eq!(iss[0].user, "clerk");
    let audit = entries(&env, AuditAction::Issue);
    assert_eq!(audit.len(), 1);
    assert!(audit[0].detail.contains("0000001") && audit[0].detail.contains("第三者"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_totp_and_lockout() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let good = env.code("victim");
    let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 1) % 1_000_000);
    let res = login_with(&env, &c, "victim", PASSWORD, &wrong).await;
    assert_eq!(res.status(), 401);
    assert!(
        set_cookie(&res, "__Host-koseki").is_none(),
        "no session on a wrong code"
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("ワンタイムコードが違います")
    );
    let res = login_with(&env, &c, "victim", "wrong password!", &good).await;
    assert_eq!(res.status(), 401);
    for _ in 0..3 {
        login_with(&env, &c, "victim", PASSWORD, &wrong).await;
    }
    // Five failures: locked, even with the right password and code now.
    let res = login_with(&env, &c, "victim", PASSWORD, &env.code("victim")).await;
    assert_eq!(res.status(), 403);
    assert!(set_cookie(&res, "__Host-koseki").is_none());
    assert!(res.text().await.unwrap().contains("ロック"));
    let failed = entries(&env, AuditAction::LoginFailed);
    assert!(failed.iter().filter(|e| e.user == "victim").count() >= 6);
    assert!(
        env.store()
            .users()
            .unwrap()
            .iter()
            .any(|u| u.name == "victim" && u.locked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_fixation_is_impossible() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let planted = "__Host-koseki=0000000000000000000000000000000000000000000000000000000000000000";
    let page = c
        .get(env.url("/login"))
        .header("cookie", planted)
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&page, "__Host-koseki-login").unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let code = env.code("clerk");
    let res = c
        .post(env.url("/login"))
        .header("cookie", format!("{planted}; {login_cookie}"))
        .form(&[
            ("user", "clerk"),
            ("password", PASSWORD),
            ("code", code.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let issued = set_cookie(&res, "__Host-koseki").unwrap();
    assert_ne!(issued, planted, "the session id changes at login");
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().contains("HttpOnly; SameSite=Strict"))
    );
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|v| v.to_str().unwrap().contains("Secure"))
    );
    let res = c
        .get(env.url("/search"))
        .header("cookie", planted)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the planted id grants nothing");
    let res = c
        .get(env.url("/search"))
        .header("cookie", &issued)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // After logout the old id is dead.
    let csrf = csrf_of(&res.text().await.unwrap());
    let out = c
        .post(env.url("/logout"))
        .header("cookie", &issued)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(
        c.get(env.url("/search"))
            .header("cookie", &issued)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_is_required_on_every_post() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    for bad in ["", "0000", "not-the-token"] {
        let res = c
            .post(env.url("/issue"))
            .header("cookie", &clerk.cookie)
            .form(&[
                ("csrf", bad),
                ("kind", "zenbu"),
                ("koseki", "1"),
                ("requester", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "csrf {bad:?}");
    }
    let res = c
        .post(env.url("/logout"))
        .header("cookie", &clerk.cookie)
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Login without the login-form cookie (cross-site login) is refused.
    let code = env.code("clerk2");
    let res = c
        .post(env.url("/login"))
        .form(&[
            ("user", "clerk2"),
            ("password", PASSWORD),
            ("code", code.as_str()),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(set_cookie(&res, "__Host-koseki").is_none());
    assert!(
        env.store().issuances(10).unwrap().is_empty(),
        "nothing was issued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_limit_what_staff_can_do() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let viewer = login(&env, &c, "viewer").await;
    assert_eq!(get(&env, &c, &viewer, "/koseki/1").await.0, 200);
    let (_, page) = get(&env, &c, &viewer, "/koseki/1").await;
    assert!(!page.contains("/issue?"), "no issue links for 閲覧");
    assert_eq!(
        get(&env, &c, &viewer, "/issue?kind=zenbu&koseki=1").await.0,
        403
    );
    let res = post(
        &env,
        &c,
        &viewer,
        "/issue",
        &[("kind", "zenbu"), ("koseki", "1"), ("requester", "x")],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(get(&env, &c, &viewer, "/audit").await.0, 403);
    let clerk = login(&env, &c, "clerk").await;
    assert_eq!(get(&env, &c, &clerk, "/audit").await.0, 403);
    let admin = login(&env, &c, "admin").await;
    let (status, page) = get(&env, &c, &admin, "/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("ハッシュチェーン検証：正常"), "{page}");
    assert!(page.contains("login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_escaped_and_injection_finds_nothing() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    let (status, page) = get(&env, &c, &clerk, "/search?name=%E6%82%AA%E6%84%8F").await; // 悪意
    assert_eq!(status, 200);
    assert!(
        !page.contains(HOSTILE) && !page.contains("<img src=x"),
        "unescaped markup:\n{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let id = page
        .split("href=\"/koseki/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (_, view) = get(&env, &c, &clerk, &format!("/koseki/{id}")).await;
    assert!(!view.contains(HOSTILE) && !view.contains("<img src=x"));
    assert!(view.contains("&lt;img src=x onerror=alert(2)&gt;"));
    let res = c
        .get(env.url("/search"))
        .header("cookie", &clerk.cookie)
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'none'")
    );

    for attack in [
        "' OR '1'='1",
        "\"; DROP TABLE person; --",
        "%",
        "_",
        "1) UNION SELECT name, password_hash FROM app_user --",
    ] {
        for field in ["name", "honseki", "hittosha", "kana", "birth"] {
            let url =
                reqwest::Url::parse_with_params(&env.url("/search"), &[(field, attack)]).unwrap();
            let res = c
                .get(url)
                .header("cookie", &clerk.cookie)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let page = res.text().await.unwrap();
            if field == "birth" {
                // Not a date: refused with a message, never run.
                assert_eq!(status, 400, "{field}={attack}");
                assert!(page.contains("birth date"), "{page}");
            } else {
                assert_eq!(status, 200, "{field}={attack}");
                assert!(
                    page.contains("<p class=\"count\">0件</p>"),
                    "{field}={attack} matched something:\n{page}"
                );
            }
            assert!(!page.contains("argon2"));
        }
    }
    let (_, page) = get(&env, &c, &clerk, "/search?name=%E5%B1%B1%E5%90%B9").await; // 山吹
    assert!(
        page.contains("href=\"/koseki/1\"") && !page.contains("<p class=\"count\">0件</p>"),
        "the store is intact after the attempts"
    );
    assert_eq!(env.store().counts().unwrap().koseki, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_hours_refuses_until_an_admin_overrides() {
    let closed = OperatingHours {
        open_min: 0,
        close_min: 0,
    };
    let env = Env::start(closed).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    let (status, page) = get(&env, &c, &clerk, "/koseki/1").await;
    assert_eq!(status, 403);
    assert!(page.contains("業務時間外") && !page.contains("山吹"));
    assert!(
        !page.contains("action=\"/override\""),
        "only 管理 may override"
    );
    let res = post(&env, &c, &clerk, "/override", &[("reason", "x")]).await;
    assert_eq!(res.status(), 403);

    let admin = login(&env, &c, "admin").await;
    let (status, page) = get(&env, &c, &admin, "/search").await;
    assert_eq!(status, 403);
    assert!(page.contains("action=\"/override\""));
    let res = post(
        &env,
        &c,
        &admin,
        "/override",
        &[("reason", "夜間の死亡届対応")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(get(&env, &c, &admin, "/koseki/1").await.0, 200);
    assert_eq!(
        get(&env, &c, &clerk, "/koseki/1").await.0,
        403,
        "the override is the admin's session only"
    );
    let o = entries(&env, AuditAction::Override);
    assert_eq!(o.len(), 1);
    assert!(o[0].user == "admin" && o[0].detail.contains("夜間の死亡届対応"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_register_pages_and_certified_copy() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    let (status, page) = get(&env, &c, &clerk, "/images/1?page=2").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("2 / 2") && page.contains("rel=\"prev\"") && !page.contains("rel=\"next\""),
        "{page}"
    );
    assert!(page.contains("src=\"/images/1/pages/2\""));
    assert_eq!(get(&env, &c, &clerk, "/images/99").await.0, 404);
    let path = issue_pdf(
        &env,
        &c,
        &clerk,
        &[
            ("kind", "image"),
            ("image", "1"),
            ("kubun", "本人等"),
            ("requester", "山吹　誠一"),
        ],
        "image.pdf",
    )
    .await;
    let text = pdf_text(&path);
    assert!(
        text.contains("この謄本は、改製原戸籍の原本と相違ないことを認証する。"),
        "{text}"
    );
    assert_eq!(pdf_pages(&path), 3);
    assert_eq!(env.store().issuances(1).unwrap()[0].request.fee_yen, 750);

    // 個人事項 and 附票 with its options through the same form.
    let hina = env.store().koseki(1).unwrap().unwrap().persons[2]
        .id
        .to_string();
    issue_pdf(
        &env,
        &c,
        &clerk,
        &[
            ("kind", "kojin"),
            ("person", hina.as_str()),
            ("requester", "山吹　陽菜"),
        ],
        "kojin.pdf",
    )
    .await;
    let (status, form) = get(&env, &c, &clerk, "/issue?kind=fuhyo&koseki=1").await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"show_hyoji\"") && form.contains("value=\"300\""));
    let path = issue_pdf(
        &env,
        &c,
        &clerk,
        &[
            ("kind", "fuhyo"),
            ("koseki", "1"),
            ("requester", "山吹　誠一"),
            ("show_code", "1"),
        ],
        "fuhyo.pdf",
    )
    .await;
    let text = pdf_text(&path);
    assert!(
        text.contains("【住民票コード】") && !text.contains("本　　籍"),
        "{text}"
    );
    // Bad input is refused, not issued.
    for bad in [
        ("koseki", "1; DROP TABLE issuance"),
        ("fee", "-5"),
        ("kubun", "王様"),
    ] {
        let mut form = vec![("kind", "zenbu"), ("koseki", "1"), ("requester", "x")];
        form.retain(|(k, _)| *k != bad.0);
        form.push(bad);
        let res = post(&env, &c, &clerk, "/issue", &form).await;
        assert_eq!(res.status(), 400, "{bad:?}");
    }
    assert_eq!(env.store().issuances(10).unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ichibu_form_offers_persons_and_jiko_and_issues_the_ticked_ones() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    let (_, page) = get(&env, &c, &clerk, "/koseki/1").await;
    assert!(page.contains("/issue?kind=ichibu&amp;koseki=1"), "{page}");
    let k = env.store().koseki(1).unwrap().unwrap();
    let mut persons: Vec<_> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    let (seiichi, hina) = (persons[0], persons[2]);
    let konin = hina
        .mibun_jiko
        .iter()
        .find(|j| j.kind.label() == "婚姻")
        .unwrap();
    let (status, form) = get(&env, &c, &clerk, "/issue?kind=ichibu&koseki=1").await;
    assert_eq!(status, 200);
    for needle in [
        format!("name=\"sp\" value=\"{}\"", hina.id),
        format!("name=\"sj\" value=\"{}\"", konin.id),
        "【婚姻日】令和６年１０月１日".to_string(),
    ] {
        assert!(form.contains(&needle), "form lacks {needle}:\n{form}");
    }
    let (sp, sj) = (hina.id.to_string(), konin.id.to_string());
    let (sp2, sj2) = (seiichi.id.to_string(), seiichi.mibun_jiko[0].id.to_string());
    let path = issue_pdf(
        &env,
        &c,
        &clerk,
        &[
            ("kind", "ichibu"),
            ("koseki", "1"),
            ("requester", "山吹　陽菜"),
            ("sp", &sp),
            ("sj", &sj),
            ("sp", &sp2),
            ("sj", &sj2),
        ],
        "ichibu.pdf",
    )
    .await;
    let text = pdf_text(&path);
    assert!(
        text.contains("一部事項証明")
            && text.contains("【名】陽菜")
            && text.contains("【名】誠一")
            && !text.contains("【名】翔太")
            && text.contains("【新本籍】"),
        "{text}"
    );
    let issue = entries(&env, AuditAction::Issue);
    assert!(
        issue[0]
            .detail
            .contains(&format!("\"jiko_ids\":[{sj},{sj2}]")),
        "the selection is in the audit entry: {}",
        issue[0].detail
    );
    // A tick that is not an id, or a selection that matches nothing, issues nothing.
    let res = post(
        &env,
        &c,
        &clerk,
        "/issue",
        &[
            ("kind", "ichibu"),
            ("koseki", "1"),
            ("requester", "x"),
            ("sj", "1 OR 1=1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = post(
        &env,
        &c,
        &clerk,
        "/issue",
        &[("kind", "ichibu"), ("koseki", "1"), ("requester", "x")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(env.store().issuances(10).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_sets_the_issuing_office_and_the_next_certificate_prints_it() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let c = client();
    let clerk = login(&env, &c, "clerk").await;
    assert_eq!(get(&env, &c, &clerk, "/office").await.0, 403);
    let res = post(
        &env,
        &c,
        &clerk,
        "/office",
        &[("name", "x市長"), ("mayor", "x")],
    )
    .await;
    assert_eq!(res.status(), 403, "窓口 may not change the office");

    let admin = login(&env, &c, "admin").await;
    let (status, page) = get(&env, &c, &admin, "/office").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"mayor\"") && page.contains("未登録"),
        "{page}"
    );
    let res = c
        .post(env.url("/office"))
        .header("cookie", &admin.cookie)
        .form(&[("csrf", "forged"), ("name", "x市長"), ("mayor", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "CSRF");
    for (name, mayor) in [("", "光　　花　子"), ("架空県ひかり市長", "光\u{1F600}")]
    {
        let res = post(
            &env,
            &c,
            &admin,
            "/office",
            &[("name", name), ("mayor", mayor)],
        )
        .await;
        assert_eq!(res.status(), 400, "{name:?} {mayor:?}");
    }
    let res = post(
        &env,
        &c,
        &admin,
        "/office",
        &[("name", "架空県ひかり市長"), ("mayor", "光　　花　子")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("value=\"光　　花　子\""));

    let path = issue_pdf(
        &env,
        &c,
        &clerk,
        &[
            ("kind", "zenbu"),
            ("koseki", "1"),
            ("requester", "山吹　誠一"),
        ],
        "office.pdf",
    )
    .await;
    let flat: String = pdf_text(&path).split_whitespace().collect();
    assert!(flat.contains("架空県ひかり市長光花子"), "{flat}");
    let changes = entries(&env, AuditAction::Change);
    assert_eq!(changes.len(), 1, "only the accepted change is logged");
    assert!(changes[0].user == "admin" && changes[0].target == "office");
}
