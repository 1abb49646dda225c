//! End-to-end tests for `koseki certificate`, `koseki office` and `koseki serve` (web and
//! certificates engineer): the built binary on a real encrypted demo store, and the whole
//! story on a migrated sample city driven through headless Chromium.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{koseki, run_with_stdin};

// The browser and PDF helpers of web's own tests, shared rather than copied.
#[allow(dead_code)]
#[path = "../../certificate/tests/support/poppler.rs"]
mod poppler;
#[allow(dead_code)]
#[path = "../../web/tests/it/webdriver.rs"]
mod webdriver;

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

/// `koseki certificate` that must succeed: its JSON line.
fn certificate_ok(f: &Fixture, extra: &[&str], out: &str) -> serde_json::Value {
    let res = certificate(f, extra, out);
    assert!(
        res.status.success(),
        "koseki certificate {}: {}",
        extra.join(" "),
        String::from_utf8_lossy(&res.stderr)
    );
    serde_json::from_slice(&res.stdout).unwrap()
}

#[test]
fn certificate_command_issues_logs_and_embeds_ipamj() {
    let f = demo();
    let line = certificate_ok(
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
    assert_eq!(line["hakko_no"], "0000001");
    assert_eq!(line["fee_yen"], 450);
    let pdf = f.dir.path().join("zenbu.pdf");
    poppler::assert_ipamj_subset_embedded(&pdf);
    let text = poppler::pdf_text(&pdf);
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
    certificate_ok(
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
    assert!(poppler::pdf_text(&f.dir.path().join("kojin.pdf")).contains("陽菜"));
    certificate_ok(
        &f,
        &["--koseki", "1", "--kind", "fuhyo", "--show-koseki-hyoji"],
        "fuhyo.pdf",
    );
    assert!(poppler::pdf_text(&f.dir.path().join("fuhyo.pdf")).contains("附票の写し"));

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
    let (child, base) = serve(&f.db, &f.key_file);
    let _server = Server(child);
    let curl = |url: &str| {
        let out = Command::new("curl")
            .args([
                "-k",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{redirect_url}",
                url,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let status = curl(&format!("{base}/search"));
    assert!(
        status.starts_with("303") && status.ends_with("/login"),
        "{status}"
    );
    assert!(
        f.dir.path().join("koseki.db.tls-cert.pem").exists(),
        "self-signed certificate kept beside the db"
    );
    // Plain HTTP gets no answer.
    let plain = curl(&base.replace("https://", "http://"));
    assert!(plain.starts_with("000"), "{plain}");
}

/// `koseki ARGS` must exit with one of `ok`; returns its stdout.
fn step(args: &[&str], ok: &[i32]) -> String {
    let out = koseki()
        .args(args)
        .env_remove("KOSEKI_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| ok.contains(&c)),
        "koseki {}: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// RFC 4648 base32 (the TOTP secret in an otpauth:// URI).
fn base32_decode(s: &str) -> Vec<u8> {
    let (mut bits, mut n, mut out) = (0u64, 0u32, Vec::new());
    for c in s.trim_end_matches('=').chars() {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            c => panic!("not base32: {c:?}"),
        };
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// Start `koseki serve` (always open) on a free port and wait until it accepts connections.
fn serve(db: &std::path::Path, key_file: &std::path::Path) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = koseki()
        .arg("serve")
        .arg("--db")
        .arg(db)
        .arg("--key-file")
        .arg(key_file)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--hours", "00:00-24:00"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("koseki serve exited: {status}");
        }
        assert!(Instant::now() < deadline, "koseki serve did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, format!("https://127.0.0.1:{port}"))
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A person of the migrated store whose name carries a gaiji that 文字同定 identified as an
/// MJ character with an IVS, and a variant spelling of that name a clerk could type.
struct Target {
    koseki_id: i64,
    /// 氏　名 as recorded (IVS included).
    name: String,
    /// The gaiji as recorded: base + IVS.
    glyph: String,
    /// The MJ文字図形名 文字同定 gave it (MJ009333).
    mj: String,
    honseki: String,
    closed: bool,
    /// The name with the gaiji replaced by another character of its MJ縮退 class, spaces out.
    variant: String,
}

fn pick_target(store: &runtime::Store, identified: &[(String, String)]) -> Target {
    let fold = store.fold_table();
    let mut offset = 0;
    loop {
        let page = store.list_koseki(offset, 200).unwrap();
        assert!(
            !page.is_empty(),
            "no person carries an identified IVS gaiji with a BMP variant"
        );
        offset += page.len() as i64;
        for summary in page {
            let k = store.koseki(summary.id).unwrap().unwrap();
            for p in &k.persons {
                let name = p.name.display();
                let chars: Vec<char> = name.chars().collect();
                for w in chars.windows(2) {
                    let glyph: String = w.iter().collect();
                    // chromedriver types only the BMP, so the variant and the rest must be BMP.
                    let Some((_, mj)) = identified.iter().find(|(g, _)| *g == glyph) else {
                        continue;
                    };
                    if name.chars().any(|c| c as u32 > 0xFFFF && c != w[1]) {
                        continue;
                    }
                    let key = fold.key(&glyph);
                    // A spelling a clerk's keyboard gives: a class member in CP932 (JIS X 0208
                    // first level before second), the lowest code for a stable pick.
                    let variant = (0x4E00u32..=0x9FFF)
                        .filter_map(char::from_u32)
                        .filter(|&c| c != w[0] && fold.key(&c.to_string()) == key)
                        .filter_map(|c| {
                            moji::encode::encode(moji::CodePage::Cp932, &c.to_string())
                                .ok()
                                .map(|sjis| (sjis, c))
                        })
                        .min()
                        .map(|(_, c)| c);
                    if let Some(v) = variant {
                        return Target {
                            koseki_id: k.id,
                            variant: name.replace(&glyph, &v.to_string()).replace('\u{3000}', ""),
                            name,
                            glyph,
                            mj: mj.clone(),
                            honseki: k.honseki.display.text.clone(),
                            closed: k.status != runtime::model::KosekiStatus::Genzai,
                        };
                    }
                }
            }
        }
    }
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The issue's done-when, on the real binary: a small sample city → 文字同定 → migrate →
/// first user → `koseki serve`; in headless Chromium a clerk logs in with password + TOTP,
/// finds a person by a variant spelling of a gaiji name, views the 戸籍 with the identified
/// MJ glyph (IVS kept, IPAmj web font), prints a 全部事項証明書 whose fonts and text poppler
/// checks; the audit chain then verifies, and an edit planted in the clerk's search entry is
/// caught.
#[test]
fn migrated_sample_store_clerk_finds_a_variant_views_and_prints() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = |name: &str| d.join(name).to_str().unwrap().to_string();
    let (vendor, tsv, key, db) = (
        path("vendor"),
        path("identify.tsv"),
        path("koseki.key"),
        path("koseki.db"),
    );
    step(
        &[
            "sample",
            "--out",
            &vendor,
            "--persons",
            "100",
            "--images",
            "1",
        ],
        &[0],
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("vendor/manifest.json")).unwrap()).unwrap();
    let ttf = format!(
        "{vendor}/{}",
        manifest["gaiji_files"]["ttf"].as_str().unwrap()
    );
    // 1 = some gaiji matched nothing (they become local gaiji).
    step(&["identify", "--gaiji", &ttf, "--out", &tsv], &[0, 1]);
    step(&["key", "init", &key], &[0]);
    step(
        &[
            "migrate",
            "--input",
            &vendor,
            "--mapping",
            &tsv,
            "--db",
            &db,
            "--key-file",
            &key,
            "--report",
            &path("report"),
        ],
        &[0],
    );

    let password = "clerk-password-1234";
    let out = run_with_stdin(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--key-file",
            &key,
            "--user",
            "clerk",
            "--role",
            "窓口",
            "--password-stdin",
        ],
        password.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uri = String::from_utf8(out.stdout).unwrap();
    let secret = base32_decode(
        uri.trim()
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("secret="))
            .expect("otpauth URI has a secret"),
    );

    // The gaiji 文字同定 identified with an MJ character that needs an IVS (rank 1 rows).
    // (UCS + IVS as text, MJ文字図形名) of each rank-1 row with a selector.
    let identified: Vec<(String, String)> = std::fs::read_to_string(&tsv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[1] == "1" && !f[4].is_empty())
        .map(|f| {
            let glyph = [f[3], f[4]]
                .iter()
                .map(|u| char::from_u32(u32::from_str_radix(&u[2..], 16).unwrap()).unwrap())
                .collect();
            (glyph, f[2].to_string())
        })
        .collect();
    let open = || {
        let key = runtime::Key::read_file(std::path::Path::new(&key)).unwrap();
        runtime::Store::open(std::path::Path::new(&db), &key).unwrap()
    };
    let t = {
        let store = open();
        pick_target(&store, &identified)
    };
    assert!(!t.variant.contains(&t.glyph));
    eprintln!(
        "戸籍 {}: {} found as {} (gaiji {:?} = {})",
        t.koseki_id, t.name, t.variant, t.glyph, t.mj
    );

    let (child, base) = serve(std::path::Path::new(&db), std::path::Path::new(&key));
    let _server = Server(child);
    let downloads = d.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let browser = webdriver::Driver::start(&d.join("chromium-profile"), &downloads);
    let code = runtime::totp::code_at(&secret, runtime::util::now_unix());
    browser.login(&base, "clerk", password, &code);

    browser.type_into("#name", &t.variant);
    browser.click_to("form.search button[type=submit]", "/search?name=");
    let page = browser.source();
    let link = format!("/koseki/{}", t.koseki_id);
    assert!(
        page.contains(&format!("href=\"{link}\">{}</a>", t.name)),
        "{} (typed for {}) does not find it:\n{page}",
        t.variant,
        t.name
    );

    browser.click_to(&format!("a[href='{link}']"), &link);
    let text: String = browser
        .script("return document.querySelector('.koseki').innerText;")
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains(&t.glyph) && text.contains(&t.honseki),
        "the 戸籍 page lacks {:?} (U+{:04X} U+{:04X}) or its 本籍:\n{text}",
        t.glyph,
        t.glyph.chars().next().unwrap() as u32,
        t.glyph.chars().nth(1).unwrap() as u32
    );
    browser.wait_for_ipamj(&t.glyph);
    // The page's font is the installed IPAmj明朝 (served as is), whose glyph for this sequence
    // is the very MJ character 文字同定 chose; the certificate draws the same glyph.
    let names = certificate::CertFont::ipamj()
        .unwrap()
        .glyph_names(&t.glyph)
        .unwrap();
    assert_eq!(names, [Some(t.mj.to_lowercase())], "{:?}", t.glyph);

    browser.click_to(
        &format!("a[href='/issue?kind=zenbu&koseki={}']", t.koseki_id),
        "/issue?",
    );
    browser.type_into("#requester", "本人");
    browser.click("form.issue button[type=submit]");
    let pdf = webdriver::wait_for_pdf(&downloads);
    drop(browser);
    poppler::assert_ipamj_subset_embedded(&pdf);
    let text = poppler::pdf_text(&pdf);
    let ninsho = if t.closed {
        "これは、除籍に記録されている事項の全部を証明した書面である。"
    } else {
        "これは、戸籍に記録されている事項の全部を証明した書面である。"
    };
    let flat = squeeze(&text);
    let mei = t.name.split('\u{3000}').nth(1).unwrap();
    assert!(
        flat.contains(&t.glyph)
            && flat.contains(mei)
            && flat.contains(&squeeze(&t.honseki))
            && flat.contains(ninsho),
        "the PDF text lacks the gaiji {:?}, the 名 {mei}, the 本籍 {} or the 認証文:\n{text}",
        t.glyph,
        t.honseki
    );

    step(&["audit", "verify", "--db", &db, "--key-file", &key], &[0]);
    let store = open();
    let issued = store.issuances(5).unwrap();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].user, "clerk");
    let searches = store
        .audit_entries(&runtime::audit::AuditFilter {
            action: Some(runtime::audit::AuditAction::Search),
            user: Some("clerk".into()),
            ..Default::default()
        })
        .unwrap();
    let search = searches
        .iter()
        .find(|e| e.detail.contains(&t.variant))
        .expect("the clerk's search and its query are in the audit chain");

    // Erasing what the clerk looked for is caught.
    store
        .connection()
        .execute_batch(&format!(
            "DROP TRIGGER IF EXISTS audit_log_no_update; UPDATE audit_log SET detail = '{{}}' WHERE seq = {};",
            search.seq
        ))
        .unwrap();
    drop(store);
    let report = step(&["audit", "verify", "--db", &db, "--key-file", &key], &[1]);
    assert!(
        report.contains(&format!("BROKEN at entry {}", search.seq)),
        "{report}"
    );
}

#[test]
fn office_command_sets_what_the_next_certificate_prints_and_is_audited() {
    let f = demo();
    let db = f.db.to_str().unwrap();
    let key = f.key_file.to_str().unwrap();
    let seal = f.dir.path().join("seal.png");
    std::fs::write(
        &seal,
        runtime::fixtures::gray_png(48, 48, |x, y| if (x + y) % 7 == 0 { 30 } else { 255 }),
    )
    .unwrap();
    let junk = f.dir.path().join("junk.png");
    std::fs::write(&junk, b"not a png").unwrap();

    // A seal that is no PNG, or a name IPAmj cannot print, changes nothing.
    let set = |name: &str, mayor: &str, seal: &std::path::Path| {
        koseki()
            .args(["office", "set", "--db", db, "--key-file", key])
            .args(["--name", name, "--mayor", mayor, "--seal"])
            .arg(seal)
            .env_remove("KOSEKI_KEY_FILE")
            .output()
            .unwrap()
    };
    let out = set("架空県ひかり市長", "光　　花　子", &junk);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PNG"));
    let out = set("架空県ひかり市長", "光\u{1F600}花子", &seal);
    assert_eq!(out.status.code(), Some(2), "an emoji has no IPAmj glyph");
    let show = step(&["office", "show", "--db", db, "--key-file", key], &[0]);
    let shown: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert!(shown["mayor_name"].is_null(), "{show}");

    let out = set("架空県ひかり市長", "光　　花　子", &seal);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let set_json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(set_json["office"], "架空県ひかり市長");
    assert_eq!(set_json["seal_sha256"].as_str().map(str::len), Some(64));
    let shown: serde_json::Value = serde_json::from_str(&step(
        &["office", "show", "--db", db, "--key-file", key],
        &[0],
    ))
    .unwrap();
    assert_eq!(shown, set_json);

    certificate_ok(&f, &["--koseki", "1", "--kind", "zenbu"], "office.pdf");
    let pdf = f.dir.path().join("office.pdf");
    let text = poppler::pdf_text(&pdf);
    // pdftotext breaks the spaced-out name apart; compare without white space.
    let flat = squeeze(&text);
    assert!(
        flat.contains("架空県ひかり市長光花子"),
        "the certificate names the new office and mayor:\n{text}"
    );
    assert!(!flat.contains("港太郎"), "the old mayor is gone");
    assert!(
        !text.contains("［職印（電子公印）］"),
        "the seal image covers its slot"
    );

    let changes = step(
        &[
            "audit",
            "list",
            "--db",
            db,
            "--key-file",
            key,
            "--action",
            "change",
        ],
        &[0],
    );
    let office: Vec<serde_json::Value> = changes
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["target"] == "office")
        .collect();
    assert_eq!(office.len(), 1, "one logged change:\n{changes}");
    assert!(office[0].to_string().contains("光　　花　子"), "{changes}");
    step(&["audit", "verify", "--db", db, "--key-file", key], &[0]);
}

#[test]
fn certificate_command_issues_an_ichibu_of_the_chosen_jiko() {
    let f = demo();
    let line = certificate_ok(
        &f,
        &["--koseki", "1", "--kind", "ichibu", "--jiko", "婚姻"],
        "ichibu.pdf",
    );
    assert_eq!(line["kind"], "ichibu");
    let text = poppler::pdf_text(&f.dir.path().join("ichibu.pdf"));
    assert!(
        text.contains("一部事項証明")
            && text.contains("【婚姻日】")
            && !text.contains("【出生日】")
            && text.contains("これは、戸籍中の記録事項の一部を証明した書面である。"),
        "{text}"
    );
    for (args, why) in [
        (&["--koseki", "1", "--kind", "ichibu"][..], "nothing chosen"),
        (
            &["--koseki", "1", "--kind", "zenbu", "--jiko", "婚姻"][..],
            "--jiko without ichibu",
        ),
        (
            &["--koseki", "1", "--kind", "ichibu", "--jiko", "養子縁組"][..],
            "no such 事項",
        ),
    ] {
        let out = certificate(&f, args, "bad.pdf");
        assert_eq!(out.status.code(), Some(2), "{why}");
    }
    let store =
        runtime::Store::open(&f.db, &runtime::Key::read_file(&f.key_file).unwrap()).unwrap();
    assert_eq!(
        store.issuances(10).unwrap().len(),
        1,
        "refusals use no 発行番号"
    );
}
