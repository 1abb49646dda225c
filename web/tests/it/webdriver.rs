//! A headless Chromium driven by chromedriver over the W3C WebDriver protocol: plain JSON over
//! HTTP/1.1 on 127.0.0.1, spoken with std's TcpStream so it needs no client crate and no async
//! runtime. Shared by web's browser test and the workspace e2e tests (`tests/e2e/web.rs`
//! includes this file), so both drive the browser the same way.
//!
//! Chromium and chromedriver are installed by setup; their absence fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session; both end when this is dropped.
pub struct Driver {
    child: Child,
    port: u16,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.request("DELETE", &format!("/session/{}", self.session), None);
        }
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
    /// Start chromedriver and a headless Chromium that accepts the server's self-signed
    /// certificate and saves downloads (PDFs) into `downloads` without asking.
    pub fn start(profile: &Path, downloads: &Path) -> Driver {
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
        let mut d = Driver {
            child,
            port,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !matches!(d.request("GET", "/status", None), Ok((200, _))) {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
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
        let v = d.call("POST", "/session", caps);
        d.session = v["sessionId"].as_str().expect("session id").to_string();
        d.call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Browser.setDownloadBehavior", "params": {"behavior": "allow", "downloadPath": downloads.display().to_string()}}),
        );
        d
    }

    /// One HTTP exchange with chromedriver: (status, JSON body).
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut r = BufReader::new(stream);
        let mut line = String::new();
        r.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse::<usize>().ok(),
                    "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
                    _ => {}
                }
            }
        }
        let mut bytes = Vec::new();
        if chunked {
            loop {
                line.clear();
                r.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
                if n == 0 {
                    break;
                }
                let at = bytes.len();
                bytes.resize(at + n, 0);
                r.read_exact(&mut bytes[at..])?;
                line.clear();
                r.read_line(&mut line)?;
            }
        } else if let Some(n) = length {
            bytes.resize(n, 0);
            r.read_exact(&mut bytes)?;
        } else {
            r.read_to_end(&mut bytes)?;
        }
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(std::io::Error::other)?
        };
        Ok((status, v))
    }

    /// A WebDriver command on this session (`path` below `/session/{id}`); its `value`.
    pub fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = if path == "/session" {
            path.to_string()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let body = (method == "POST").then_some(&body);
        let (status, v) = self
            .request(method, &path, body)
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        assert!(
            (200..300).contains(&status),
            "webdriver {method} {path}: {v}"
        );
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }

    pub fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    /// Type `text` (chromedriver types only BMP characters).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        );
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), json!({}));
    }

    /// Click what navigates, then wait until the browser is on a URL containing `to` and the
    /// page has loaded (a click can return before the navigation it starts has finished).
    pub fn click_to(&self, css: &str, to: &str) {
        self.click(css);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !(self.current_url().contains(to)
            && self.script("return document.readyState;") == "complete")
        {
            assert!(
                Instant::now() < deadline,
                "clicking {css} did not lead to {to}: at {}\n{}",
                self.current_url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The page's HTML as the browser holds it.
    pub fn source(&self) -> String {
        self.call("GET", "/source", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn current_url(&self) -> String {
        self.call("GET", "/url", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Run a script in the page and return its value.
    pub fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": js, "args": []}))
    }

    /// Log in through the form with password and one-time code; panics unless it lands on
    /// the search page.
    pub fn login(&self, base_url: &str, user: &str, password: &str, code: &str) {
        self.goto(&format!("{base_url}/login"));
        self.type_into("#user", user);
        self.type_into("#password", password);
        self.type_into("#code", code);
        self.click_to("form button[type=submit]", "/search");
    }

    /// Wait until the page's IPAmj web font has loaded and can draw `sample` (IVS included).
    pub fn wait_for_ipamj(&self, sample: &str) {
        let js = format!(
            "return [...document.fonts].some(f => f.family.includes('IPAmj') && f.status === 'loaded') && document.fonts.check('16px IPAmj', {});",
            Value::String(sample.to_string())
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.script(&js) != Value::Bool(true) {
            assert!(Instant::now() < deadline, "IPAmj web font did not load");
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// The first PDF to appear in `dir` (a download), once its size has settled.
pub fn wait_for_pdf(dir: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(p) = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "pdf"))
        {
            // Chromium renames the finished .crdownload to .pdf; wait for a stable size.
            let size = || std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            let mut last = size();
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let now = size();
                if now == last && now > 0 {
                    return p;
                }
                assert!(Instant::now() < deadline, "{} never settled", p.display());
                last = now;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no PDF downloaded into {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
