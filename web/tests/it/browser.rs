//! A real browser: headless Chromium driven by chromedriver over WebDriver ([`webdriver`]).
//! A clerk logs in with password and TOTP, searches a variant spelling and a non-BMP name,
//! opens the 戸籍 (the IPAmj web font must load), and issues a 全部事項証明書 whose downloaded
//! PDF is checked with poppler.

use web::OperatingHours;

use crate::poppler::{assert_ipamj_subset_embedded, pdf_text};
use crate::support::*;
use crate::webdriver::{Driver, wait_for_pdf};

#[test]
fn clerk_logs_in_finds_a_variant_name_views_and_prints() {
    // The server runs on this runtime's workers while the test drives the browser.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(Env::start(OperatingHours::ALWAYS));
    let profile = env.dir.path().join("chromium-profile");
    let downloads = env.dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let d = Driver::start(&profile, &downloads);
    d.login(&env.url(""), "clerk", PASSWORD, &env.code("clerk"));

    // A variant spelling typed by the clerk: 「渡辺」 finds 渡邊󠄈 (邊 + IVS).
    d.type_into("#name", "渡辺");
    d.click_to("form.search button[type=submit]", "/search?name=");
    let page = d.source();
    assert!(
        page.contains("渡邊\u{E0108}"),
        "variant search in the browser:\n{page}"
    );

    // The exact MJ spelling with its IVS (U+E0108 is outside the BMP, which chromedriver
    // cannot type), as a link or a pasted query carries it.
    d.goto(&env.url("/search?name=%E6%B8%A1%E9%82%8A%F3%A0%84%88%E8%8A%B1%E5%AD%90"));
    let page = d.source();
    assert!(
        page.contains("渡邊\u{E0108}\u{3000}花子</a>"),
        "渡邊󠄈花子 not found:\n{page}"
    );

    d.click_to("a[href='/koseki/2']", "/koseki/2");
    let page = d.source();
    assert!(page.contains("渡邊\u{E0108}") && page.contains("全部事項"));
    // The page font is IPAmj from the server, loaded and able to draw the IVS sequence.
    d.wait_for_ipamj("渡邊\u{E0108}");

    d.click_to("a[href='/issue?kind=zenbu&koseki=2']", "/issue?");
    d.type_into("#requester", "渡邊　健一");
    d.click("form.issue button[type=submit]");
    let pdf = wait_for_pdf(&downloads);
    assert_ipamj_subset_embedded(&pdf);
    let text = pdf_text(&pdf);
    assert!(
        text.contains("渡邊\u{E0108}"),
        "IVS name in the PDF text:\n{text}"
    );
    assert!(text.contains("これは、戸籍に記録されている事項の全部を証明した書面である。"));
    drop(d);

    let store = env.store();
    assert_eq!(
        store.issuances(5).unwrap()[0].request.requester_name,
        "渡邊　健一"
    );
    assert!(store.audit_verify().unwrap().ok());
}
