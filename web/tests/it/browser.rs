//! A real browser: headless Chromium driven by chromedriver over the W3C WebDriver protocol
//! (plain JSON over HTTP, so no extra client crate). A clerk logs in with password and TOTP,
//! searches a variant spelling and a non-BMP name, opens the 戸籍 (the IPAmj web font must
//! load), and issues a 全部事項証明書 whose downloaded PDF is checked with poppler.
//!
//! Chromium and chromedriver are installed by setup; their absence fails the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use web::OperatingHours;

use crate::support::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    async fn start(profile: &Path, downloads: &Path) -> Driver {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} missing: setup installs the Debian chromium package"
        );
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} missing: setup installs chromium-driver"
        );
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "plugins.always_open_pdf_externally": true,
                },
            },
        }}});
        let mut d = Driver {
            child,
            base,
            session: String::new(),
            http,
        };
        let v = d.call("POST", "/session", caps).await;
        d.session = v["sessionId"].as_str().expect("session id").to_string();
        d.call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Browser.setDownloadBehavior", "params": {"behavior": "allow", "downloadPath": downloads.display().to_string()}}),
        )
        .await;
        d
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}/session", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let res = req.send().await.expect("webdriver request");
        let status = res.status();
        let v: Value = res.json().await.expect("webdriver json");
        assert!(status.is_success(), "webdriver {method} {path}: {v}");
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{e}/click"), json!({}))
            .await;
    }

    async fn source(&self) -> String {
        self.call("GET", "/source", json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn current_url(&self) -> String {
        self.call("GET", "/url", json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": js, "args": []}))
            .await
    }
}

async fn wait_for_pdf(dir: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(p) = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "pdf"))
        {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "no PDF downloaded into {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_logs_in_finds_a_variant_name_views_and_prints() {
    let env = Env::start(OperatingHours::ALWAYS).await;
    let profile = env.dir.path().join("chromium-profile");
    let downloads = env.dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let d = Driver::start(&profile, &downloads).await;

    d.goto(&env.url("/login")).await;
    d.type_into("#user", "clerk").await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#code", &env.code("clerk")).await;
    d.click("form button[type=submit]").await;
    assert!(
        d.current_url().await.ends_with("/search"),
        "login did not land on search: {}",
        d.source().await
    );

    // A variant spelling typed by the clerk: 「渡辺」 finds 渡邊󠄈 (邊 + IVS).
    d.type_into("#name", "渡辺").await;
    d.click("form.search button[type=submit]").await;
    let page = d.source().await;
    assert!(
        page.contains("渡邊\u{E0108}"),
        "variant search in the browser:\n{page}"
    );

    // The exact MJ spelling with its IVS (U+E0108 is outside the BMP, which chromedriver
    // cannot type), as a link or a pasted query carries it.
    d.goto(&env.url("/search?name=%E6%B8%A1%E9%82%8A%F3%A0%84%88%E8%8A%B1%E5%AD%90"))
        .await;
    let page = d.source().await;
    assert!(
        page.contains("渡邊\u{E0108}\u{3000}花子</a>"),
        "渡邊󠄈花子 not found:\n{page}"
    );

    d.click("a[href='/koseki/2']").await;
    let page = d.source().await;
    assert!(page.contains("渡邊\u{E0108}") && page.contains("全部事項"));
    // The page font is IPAmj from the server, loaded and able to draw the IVS sequence.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let loaded = d
            .script("return [...document.fonts].some(f => f.family.includes('IPAmj') && f.status === 'loaded') && document.fonts.check('16px IPAmj', '渡邊\u{E0108}');")
            .await;
        if loaded == Value::Bool(true) {
            break;
        }
        assert!(Instant::now() < deadline, "IPAmj web font did not load");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    d.click("a[href='/issue?kind=zenbu&koseki=2']").await;
    d.type_into("#requester", "渡邊　健一").await;
    d.click("form.issue button[type=submit]").await;
    let pdf = wait_for_pdf(&downloads).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // let the download settle

    let fonts =
        String::from_utf8(Command::new("pdffonts").arg(&pdf).output().unwrap().stdout).unwrap();
    assert!(
        fonts
            .lines()
            .any(|l| l.contains("+IPAmjMincho") && l.contains("yes yes")),
        "{fonts}"
    );
    let text = String::from_utf8(
        Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("渡邊\u{E0108}"),
        "IVS name in the PDF text:\n{text}"
    );
    assert!(text.contains("これは、戸籍に記録されている事項の全部を証明した書面である。"));
    let _ = d.call("DELETE", "", json!({})).await;

    let store = env.store();
    assert_eq!(
        store.issuances(5).unwrap()[0].request.requester_name,
        "渡邊　健一"
    );
    assert!(store.audit_verify().unwrap().ok());
}
