//! End-to-end tests for `koseki certificate` and `koseki serve` (web and certificates
//! engineer): the built binary on a real encrypted demo store.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::koseki;

struct Fixture {
    dir: tempfile::TempDir,
    db: PathBuf,
    key_file: PathBuf,
}

fn demo() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("store.key");
    let key = runtime::Key::init_file(&key_file).unwrap();
    let db = dir.path().join("koseki.db");
    runtime::fixtures::demo_store(&db, &key).unwrap();
    Fixture { dir, db, key_file }
}

fn certificate(f: &Fixture, extra: &[&str], out: &str) -> std::process::Output {
    koseki()
        .arg("certificate")
        .arg("--db")
        .arg(&f.db)
        .arg("--key-file")
        .arg(&f.key_file)
        .args(extra)
        .arg("--out")
        .arg(f.dir.path().join(out))
        .env_remove("KOSEKI_KEY_FILE")
        .output()
        .unwrap()
}

fn pdftotext(path: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("poppler-utils");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn certificate_command_issues_logs_and_embeds_ipamj() {
    let f = demo();
    let out = certificate(
        &f,
        &[
            "--koseki",
            "1",
            "--kind",
            "zenbu",
            "--requester",
            "山吹　誠一",
        ],
        "zenbu.pdf",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["hakko_no"], "0000001");
    assert_eq!(line["fee_yen"], 450);
    let pdf = f.dir.path().join("zenbu.pdf");
    let fonts =
        String::from_utf8(Command::new("pdffonts").arg(&pdf).output().unwrap().stdout).unwrap();
    assert!(
        fonts
            .lines()
            .any(|l| l.contains("+IPAmjMincho") && l.contains("yes yes")),
        "{fonts}"
    );
    let text = pdftotext(&pdf);
    assert!(
        text.contains("全部事項証明")
            && text.contains("００００００１")
            && text.contains("以下余白"),
        "{text}"
    );

    // 個人事項 by person, 附票 with options, 公用 is free.
    let store =
        runtime::Store::open(&f.db, &runtime::Key::read_file(&f.key_file).unwrap()).unwrap();
    let hina = store.koseki(1).unwrap().unwrap().persons[2].id.to_string();
    let out = certificate(
        &f,
        &[
            "--person",
            &hina,
            "--kind",
            "kojin",
            "--kubun",
            "公用",
            "--requester",
            "架空県警察",
        ],
        "kojin.pdf",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(pdftotext(&f.dir.path().join("kojin.pdf")).contains("陽菜"));
    let out = certificate(
        &f,
        &["--koseki", "1", "--kind", "fuhyo", "--show-koseki-hyoji"],
        "fuhyo.pdf",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(pdftotext(&f.dir.path().join("fuhyo.pdf")).contains("附票の写し"));

    let iss = store.issuances(10).unwrap();
    assert_eq!(iss.len(), 3);
    assert_eq!(iss[1].request.fee_yen, 0, "公用");
    assert_eq!(iss[1].request.requester_kubun.label(), "公用");
    let audit = store
        .audit_entries(&runtime::audit::AuditFilter {
            action: Some(runtime::audit::AuditAction::Issue),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.len(), 3, "every issuance is in the audit chain");
    assert!(store.audit_verify().unwrap().ok());
}

#[test]
fn certificate_command_rejects_bad_usage() {
    let f = demo();
    let out = certificate(&f, &["--kind", "zenbu"], "x.pdf");
    assert_eq!(out.status.code(), Some(2), "no target");
    let out = certificate(&f, &["--koseki", "1", "--kind", "kojin"], "x.pdf");
    assert_eq!(out.status.code(), Some(2), "kojin needs --person");
    let out = certificate(&f, &["--koseki", "999", "--kind", "zenbu"], "x.pdf");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("999"));
    let out = koseki()
        .args([
            "certificate",
            "--koseki",
            "1",
            "--kind",
            "zenbu",
            "--out",
            "/tmp/x.pdf",
            "--db",
        ])
        .arg(&f.db)
        .env_remove("KOSEKI_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("key"),
        "names the missing key"
    );
}

#[test]
fn serve_speaks_https_with_a_generated_certificate_and_requires_login() {
    let f = demo();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = koseki()
        .arg("serve")
        .arg("--db")
        .arg(&f.db)
        .arg("--key-file")
        .arg(&f.key_file)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("https://127.0.0.1:{port}/search");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let out = Command::new("curl")
            .args([
                "-k",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{redirect_url}",
                &url,
            ])
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout).to_string();
        if !s.starts_with("000") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "koseki serve did not answer: {:?}",
                child
                    .wait_with_output()
                    .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        status.starts_with("303") && status.ends_with("/login"),
        "{status}"
    );
    assert!(
        f.dir.path().join("koseki.db.tls-cert.pem").exists(),
        "self-signed certificate kept beside the db"
    );
    // Plain HTTP is not served.
}
