//! Golden tests on the certificate text (one test binary for the crate). The golden files
//! under `tests/golden/` are the exact lines printed; set `UPDATE_GOLDEN=1` to rewrite them
//! after a deliberate layout change, and review the diff.

use std::path::PathBuf;

use certificate::layout::{self, Issuance};
use certificate::view::*;

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(manifest_dir())
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                panic!(
                    "{name} differs at line {}:\nexpected {e:?}\nactual   {a:?}",
                    i + 1
                );
            }
        }
        panic!(
            "{name}: line count differs ({} vs {})",
            expected.lines().count(),
            actual.lines().count()
        );
    }
}

/// The fictional 戸籍 of domain.md §3.7, as the store's demo fixture holds it.
pub fn yamabuki() -> KosekiView {
    certificate::from_model::koseki_view(&runtime::fixtures::yamabuki())
}

/// The office of domain.md §3.7's example.
static SIGNATURE: std::sync::LazyLock<Signature> = std::sync::LazyLock::new(|| Signature {
    office: "架空県みなと市長".into(),
    mayor_name: "港　　太　郎".into(),
    issue_date: "令和８年１０月１日".into(),
});

/// What the trailer prints, with 発行番号 `n`.
fn iss(n: u64) -> Issuance<'static> {
    Issuance {
        issue_number: n,
        signature: &SIGNATURE,
    }
}

#[test]
fn zenbu_matches_domain_example() {
    let text = layout::zenbu(&yamabuki(), &iss(123));
    assert_eq!(text.pages.len(), 2);
    golden("zenbu_yamabuki.txt", &text.text());
}

#[test]
fn kojin_prints_only_the_chosen_member() {
    let text = layout::kojin(&yamabuki(), &[2], &iss(124));
    let all = text.text();
    assert!(all.contains("【名】陽菜"));
    assert!(!all.contains("【名】翔太"));
    assert!(all.contains("これは、戸籍中の記録事項の一部を証明した書面である。"));
    golden("kojin_yamabuki_hina.txt", &all);
}

#[test]
fn ichibu_prints_only_the_chosen_members_and_jiko() {
    // 誠一 and 陽菜 with their 婚姻 only; 由美 and 翔太, 出生 and the 戸籍事項 left out.
    let selection = layout::IchibuSelection {
        koseki_jiko: vec![],
        members: vec![(0, vec![1]), (2, vec![1]), (9, vec![0])],
    };
    let text = layout::ichibu(&yamabuki(), &selection, &iss(126));
    let all = text.text();
    assert!(all.contains("【名】誠一") && all.contains("【名】陽菜"));
    assert!(!all.contains("【名】由美") && !all.contains("【名】翔太"));
    assert!(all.contains("【婚姻日】令和６年１０月１日") && all.contains("│除　籍│"));
    assert!(!all.contains("出　　生") && !all.contains("戸籍事項"));
    assert!(all.contains("一部事項証明"));
    assert!(all.contains("これは、戸籍中の記録事項の一部を証明した書面である。"));
    golden("ichibu_yamabuki_konin.txt", &all);

    // A member alone prints the person header without a 身分事項 heading.
    let header_only = layout::IchibuSelection {
        koseki_jiko: vec![0],
        members: vec![(3, vec![])],
    };
    let all = layout::ichibu(&yamabuki(), &header_only, &iss(127)).text();
    assert!(all.contains("戸籍改製") && all.contains("【名】翔太"));
    assert!(!all.contains("身分事項"), "{all}");
}

#[test]
fn fuhyo_copy_with_and_without_koseki_hyoji() {
    let view = FuhyoView {
        honseki: "架空県みなと市中央町一丁目２０番地".into(),
        hittosha: "山吹　誠一".into(),
        fuhyo_jiko: vec![JikoView {
            title: "改製".into(),
            items: vec![Item::new("改製日", "平成１５年２月２２日")],
        }],
        persons: vec![
            FuhyoPersonView {
                name: "山吹　誠一".into(),
                birth_date: Some("昭和４７年１１月３日".into()),
                sex: Some("男".into()),
                juminhyo_code: Some("12345678901".into()),
                removed: false,
                addresses: vec![FuhyoAddressView {
                    address: "架空県みなと市中央町一丁目２０番地".into(),
                    jutei_date: Some("平成１０年４月１０日".into()),
                    removed: false,
                }],
            },
            FuhyoPersonView {
                name: "山吹　陽菜".into(),
                birth_date: Some("平成１１年７月７日".into()),
                sex: Some("女".into()),
                juminhyo_code: None,
                removed: true,
                addresses: vec![FuhyoAddressView {
                    address: "架空県みなと市中央町一丁目２０番地".into(),
                    jutei_date: Some("平成１１年７月７日".into()),
                    removed: true,
                }],
            },
        ],
    };
    let iss = iss(125);
    let plain = layout::fuhyo(&view, FuhyoOptions::default(), &iss).text();
    assert!(!plain.contains("本　　籍"));
    assert!(!plain.contains("１２３４５６７８９０１"));
    let full = layout::fuhyo(
        &view,
        FuhyoOptions {
            show_koseki_hyoji: true,
            show_juminhyo_code: true,
        },
        &iss,
    )
    .text();
    assert!(full.contains("【住民票コード】１２３４５６７８９０１"));
    golden("fuhyo_yamabuki.txt", &full);
}

#[test]
fn long_koseki_breaks_pages_and_keeps_trailer_whole() {
    let mut k = yamabuki();
    let extra = k.members[3].clone();
    for _ in 0..10 {
        k.members.push(extra.clone());
    }
    let text = layout::zenbu(&k, &iss(9));
    let n = text.pages.len();
    assert!(n >= 3);
    for (i, page) in text.pages.iter().enumerate() {
        assert!(page.len() <= layout::LINES_PER_PAGE + 1);
        let mark = format!(
            "（{}の{}）",
            wareki::to_fullwidth_digits(&(i + 1).to_string()),
            wareki::to_fullwidth_digits(&n.to_string())
        );
        assert!(page[0].contains(&mark), "{}", page[0]);
    }
    let last = text.pages.last().unwrap();
    assert!(
        last.iter()
            .any(|l| l.starts_with("発行番号　０００００09".replace("09", "０９").as_str()))
    );
    assert!(last.last().unwrap().ends_with(layout::SEAL_SLOT));
}

#[test]
fn image_copy_has_one_page_per_image_and_a_certification_page() {
    let text = layout::image_copy(
        "架空県みなと市中央町二丁目１番地　山吹吉蔵",
        "改製原戸籍",
        3,
        &iss(7),
    );
    assert_eq!(text.pages.len(), 4);
    assert!(
        text.pages[3]
            .iter()
            .any(|l| l == "この謄本は、改製原戸籍の原本と相違ないことを認証する。")
    );
    golden("image_copy.txt", &text.text());
}

// ---- PDF: real font, real PDF, checked with poppler-utils ----

use std::process::Command;

use certificate::{CertFont, PdfAssets};

#[path = "support/poppler.rs"]
mod poppler;
use poppler::{assert_ipamj_subset_embedded, pdf_pages, pdf_text};

/// Write `pdf` into `dir` as `name` for poppler to read.
fn save(dir: &tempfile::TempDir, name: &str, pdf: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, pdf).unwrap();
    path
}

/// A character whose Moji_Joho IVS picks a glyph other than its default one in IPAmj.
fn ivs_pair(font: &CertFont) -> String {
    for base in ['葛', '辻', '邉', '髙', '祇', '櫻', '齋'] {
        for vs in 0xE0100..=0xE010F {
            let vs = char::from_u32(vs).unwrap();
            let plain = font.shape(&base.to_string()).unwrap()[0].glyph_id;
            if let Ok(g) = font.shape(&format!("{base}{vs}"))
                && g[0].glyph_id != plain
            {
                return format!("{base}{vs}");
            }
        }
    }
    panic!("no IVS pair found in IPAmj");
}

#[test]
fn pdf_embeds_ipamj_subset_and_extracts_exact_text() {
    let font = CertFont::ipamj().expect("IPAmj明朝 installed by setup (fonts-ipamj-mincho)");
    let ivs = ivs_pair(&font);
    let mut k = yamabuki();
    k.members[3].mei = format!("{ivs}太");
    let text = layout::zenbu(&k, &iss(123));
    let pdf = certificate::pdf::render(&text, &font, &PdfAssets::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = save(&dir, "zenbu.pdf", &pdf);

    let fonts = assert_ipamj_subset_embedded(&path);
    let row = fonts
        .lines()
        .find(|l| l.contains("IPAmj"))
        .unwrap_or_else(|| panic!("no IPAmj font:\n{fonts}"));
    // name = SUBSET+IPAmjMincho, emb = yes, sub = yes.
    assert!(
        row.split_whitespace().next().unwrap().contains('+'),
        "{row}"
    );
    assert!(row.contains("yes yes"), "not embedded as subset: {row}");
    assert!(
        pdf.len() < 400_000,
        "subset should be small, got {} bytes",
        pdf.len()
    );

    assert_eq!(pdf_pages(&path), 2);
    let extracted = pdf_text(&path);
    for needle in [
        "全部事項証明",
        "山吹",
        "【改製事由】平成６年法務省令第５１号附則第２条第１項による改製",
        "以下余白",
        "００００１２３",
        "これは、戸籍に記録されている事項の全部を証明した書面である。",
        "令和８年１０月１日",
    ] {
        assert!(
            extracted.contains(needle),
            "pdftotext lacks {needle:?}:\n{extracted}"
        );
    }
    assert!(
        extracted.contains(&format!("【名】{ivs}太")),
        "IVS lost in extraction:\n{extracted}"
    );
    assert_eq!(
        extracted.matches("（１の２）").count() + extracted.matches("（２の２）").count(),
        2
    );
}

#[test]
fn glyph_names_tell_the_mj_glyph_an_ivs_picks() {
    let font = CertFont::ipamj().unwrap();
    // 壄 with two Moji_Joho selectors: two MJ glyphs (MJ009333, MJ009334).
    let names = font.glyph_names("壄\u{E0101}壄\u{E0102}").unwrap();
    assert_eq!(
        names,
        [Some("mj009333".to_string()), Some("mj009334".to_string())]
    );
}

#[test]
fn missing_glyph_is_an_error_not_a_substitute() {
    let font = CertFont::ipamj().expect("IPAmj明朝 installed by setup");
    let err = font.shape("山\u{F8F0}").unwrap_err();
    assert!(
        matches!(err, certificate::CertificateError::MissingGlyph(..)),
        "{err}"
    );
}

#[test]
fn pdf_is_deterministic() {
    let font = CertFont::ipamj().unwrap();
    let text = layout::zenbu(&yamabuki(), &iss(1));
    let a = certificate::pdf::render(&text, &font, &PdfAssets::default()).unwrap();
    let b = certificate::pdf::render(&text, &font, &PdfAssets::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
#[ignore = "writes /tmp/cert-sample.pdf for a human to look at"]
fn write_sample_pdf() {
    let font = CertFont::ipamj().unwrap();
    let text = layout::zenbu(&yamabuki(), &iss(123));
    std::fs::write(
        "/tmp/cert-sample.pdf",
        certificate::pdf::render(&text, &font, &PdfAssets::default()).unwrap(),
    )
    .unwrap();
}

// ---- issuance from a real (encrypted) demo store ----

use certificate::issue::{self, IssueRequest};
use certificate::view::FuhyoOptions as Opts;
use runtime::model::RequesterKubun;

fn demo() -> (tempfile::TempDir, runtime::Store) {
    let dir = tempfile::tempdir().unwrap();
    let key = runtime::Key::generate();
    let store = runtime::fixtures::demo_store(&dir.path().join("demo.db"), &key).unwrap();
    (dir, store)
}

fn req(
    kind: layout::CertificateKind,
    koseki: Option<i64>,
    person: Option<i64>,
    image: Option<i64>,
) -> IssueRequest {
    IssueRequest {
        kind,
        koseki_id: koseki,
        person_id: person,
        image_register_id: image,
        requester_kubun: RequesterKubun::Honnin,
        requester_name: "山吹　誠一".into(),
        fee_yen: None,
        channel: "window".into(),
        fuhyo_options: Opts::default(),
        selection: Default::default(),
    }
}

/// Issue `req` from `store` as clerk at terminal T01.
fn issued(store: &runtime::Store, req: IssueRequest) -> issue::Issued {
    let font = CertFont::ipamj().expect("IPAmj明朝 installed by setup");
    issue::issue(store, &font, &req, "clerk", "T01").unwrap()
}

#[test]
fn issuing_records_number_fee_and_pdf_hash() {
    let (dir, store) = demo();
    let a = issued(
        &store,
        req(layout::CertificateKind::Zenbu, Some(1), None, None),
    );
    let b = issued(
        &store,
        req(layout::CertificateKind::Fuhyo, Some(1), None, None),
    );
    assert_eq!(a.record.hakko_no, "0000001");
    assert_eq!(b.record.hakko_no, "0000002");
    assert!(a.text.text().contains("発行番号　００００００１"));
    let log = store.issuances(10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].request.fee_yen, 450);
    assert_eq!(log[0].request.fee_yen, 300);
    assert_eq!(
        log[1].pdf_sha256.as_deref(),
        Some(runtime::util::sha256_hex(&a.pdf).as_str())
    );
    let path = save(&dir, "a.pdf", &a.pdf);
    let t = pdf_text(&path);
    assert!(t.contains("山吹") && t.contains("００００００１"), "{t}");
}

#[test]
fn ivs_and_local_gaiji_names_print() {
    let (dir, store) = demo();
    // 戸籍 2: 渡邊󠄈 (IVS) and a child whose 名 has the local gaiji U+E000.
    let out = issued(
        &store,
        req(layout::CertificateKind::Zenbu, Some(2), None, None),
    );
    assert!(out.text.text().contains("渡邊\u{E0108}"));
    let path = save(&dir, "w.pdf", &out.pdf);
    let t = pdf_text(&path);
    assert!(t.contains("渡邊\u{E0108}"), "IVS lost:\n{t}");
    assert!(t.contains('\u{E000}'), "local gaiji code point lost:\n{t}");
}

#[test]
fn kojin_and_image_copy_issue() {
    let (_dir, store) = demo();
    let k = store.koseki(1).unwrap().unwrap();
    let pid = k.persons[2].id;
    let kojin = issued(
        &store,
        req(layout::CertificateKind::Kojin, None, Some(pid), None),
    );
    assert!(kojin.text.text().contains("【名】陽菜"));
    assert!(!kojin.text.text().contains("【名】翔太"));
    let img = issued(
        &store,
        req(layout::CertificateKind::ImageCopy, None, None, Some(1)),
    );
    assert_eq!(img.text.pages.len(), 3);
    assert_eq!(store.issuances(1).unwrap()[0].request.fee_yen, 750);
}

#[test]
fn ichibu_issues_by_jiko_title_or_id_and_refuses_what_matches_nothing() {
    let (dir, store) = demo();
    let k = store.koseki(1).unwrap().unwrap();
    let ichibu = |selection: issue::JikoSelection| IssueRequest {
        selection,
        ..req(layout::CertificateKind::Ichibu, Some(1), None, None)
    };
    let by_title = issued(
        &store,
        ichibu(issue::JikoSelection {
            jiko_titles: vec!["婚姻".into()],
            ..Default::default()
        }),
    );
    let text = by_title.text.text();
    assert!(
        text.contains("婚　　姻") && !text.contains("出　　生"),
        "{text}"
    );
    assert!(
        text.contains("【名】誠一") && !text.contains("【名】翔太"),
        "{text}"
    );
    let path = save(&dir, "ichibu.pdf", &by_title.pdf);
    assert_ipamj_subset_embedded(&path);
    assert!(pdf_text(&path).contains("これは、戸籍中の記録事項の一部を証明した書面である。"));
    let record = &store.issuances(1).unwrap()[0];
    assert_eq!(record.request.kind, runtime::model::CertificateKind::Ichibu);
    assert_eq!(record.request.fee_yen, 450);

    // One person's one 事項 by id.
    let mut persons: Vec<_> = k.persons.iter().collect();
    persons.sort_by_key(|p| p.kisai_jun);
    let hina = persons[2];
    let jiko = hina.mibun_jiko.last().unwrap();
    let by_id = issued(
        &store,
        ichibu(issue::JikoSelection {
            persons: vec![hina.id],
            jiko_ids: vec![jiko.id],
            ..Default::default()
        }),
    );
    let text = by_id.text.text();
    assert!(
        text.contains("【名】陽菜") && !text.contains("【名】誠一"),
        "{text}"
    );
    assert_eq!(text.matches("身分事項").count(), 1);

    // Nothing chosen, a stranger, an absent title, or another person's 事項: refused, and no
    // 発行番号 is used up.
    let font = CertFont::ipamj().unwrap();
    let before = store.issuances(100).unwrap().len();
    for bad in [
        issue::JikoSelection::default(),
        issue::JikoSelection {
            persons: vec![999_999],
            ..Default::default()
        },
        issue::JikoSelection {
            jiko_titles: vec!["養子縁組".into()],
            ..Default::default()
        },
        issue::JikoSelection {
            persons: vec![persons[3].id],
            jiko_ids: vec![jiko.id],
            ..Default::default()
        },
    ] {
        let err = issue::issue(&store, &font, &ichibu(bad.clone()), "clerk", "T01")
            .err()
            .unwrap_or_else(|| panic!("{bad:?} was issued"));
        assert!(
            matches!(err, issue::IssueError::Request(_)),
            "{bad:?}: {err}"
        );
    }
    assert_eq!(store.issuances(100).unwrap().len(), before);
}

#[test]
#[ignore = "prints rough timings; run with --ignored --nocapture"]
fn timing_issue_zenbu() {
    let (_dir, store) = demo();
    let t0 = std::time::Instant::now();
    eprintln!("font load: {:?}", t0.elapsed());
    let n = 20;
    let t1 = std::time::Instant::now();
    for _ in 0..n {
        issued(
            &store,
            req(layout::CertificateKind::Zenbu, Some(1), None, None),
        );
    }
    eprintln!(
        "issue 全部事項 (record + render + hash): {:?} each",
        t1.elapsed() / n
    );
}

#[test]
fn office_and_seal_are_printed() {
    let (dir, store) = demo();
    let seal = runtime::fixtures::gray_png(64, 64, |x, y| {
        if (x as i32 - 32).pow(2) + (y as i32 - 32).pow(2) < 900 {
            40
        } else {
            255
        }
    });
    issue::set_office(&store, "架空県ひかり市長", "光　　花　子", Some(&seal)).unwrap();
    assert!(issue::set_office(&store, "x", "y", Some(b"not a png")).is_err());
    let out = issued(
        &store,
        req(layout::CertificateKind::Zenbu, Some(1), None, None),
    );
    let last = out.text.pages.last().unwrap().last().unwrap().clone();
    assert!(
        last.contains("架空県ひかり市長") && last.contains("光　　花　子"),
        "{last}"
    );
    let path = save(&dir, "sealed.pdf", &out.pdf);
    let images = String::from_utf8(
        Command::new("pdfimages")
            .arg("-list")
            .arg(&path)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        images
            .lines()
            .any(|l| l.contains(" 64 ") && l.contains("image")),
        "seal image embedded:\n{images}"
    );
    let text = pdf_text(&path);
    assert!(
        !text.contains("［職印（電子公印）］"),
        "the seal image replaces the slot text"
    );
}

/// The package folder of *this* run (cargo sets it when it runs a test), not the one the test
/// was compiled in: a shared build folder may hold a test built from another checkout.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
