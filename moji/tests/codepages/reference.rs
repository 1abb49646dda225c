//! Reference tests against independent public tables in `<workspace>/../shared/data`:
//! Fujitsu JEF/EBCDIK from jef4j, IBM's CDRA tables as ICU .ucm files. They skip loudly
//! when the folder is absent. Every difference must be one docs/moji.md lists.

use std::collections::BTreeMap;
use std::path::Path;

use moji::{CodePage, Decoder, GaijiEntry, GaijiMap, UndefinedReason};

use crate::common::shared_data;

/// One jef4j entry.
struct Jef4j {
    code: u16,
    text: Option<String>,
    hd_ivs: Option<char>,
    options: Vec<String>,
}

fn hex_char(s: &str) -> Option<char> {
    char::from_u32(u32::from_str_radix(s, 16).ok()?)
}

fn load_jef4j(path: &Path) -> Vec<Jef4j> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read jef4j"))
            .expect("jef4j JSON");
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let options = e
                .get("options")
                .and_then(|o| o.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Jef4j {
                code: u16::from_str_radix(&s("code").expect("code"), 16).expect("hex code"),
                text: s("unicode").map(|u| u.split(' ').filter_map(hex_char).collect()),
                hd_ivs: s("hd").and_then(|h| hex_char(&h)),
                options,
            }
        })
        .collect()
}

/// Parse the docs' deviation table: rows `| jef | 0xB0B3 | ours | jef4j | reason |`.
fn documented(page: &str) -> BTreeMap<String, String> {
    let docs =
        std::fs::read_to_string(Path::new(&crate::common::manifest_dir()).join("../docs/moji.md"))
            .expect("docs/moji.md");
    docs.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols.len() >= 6 && cols[1] == page && cols[2].starts_with("0x")).then(|| {
                (
                    cols[2].trim_start_matches("0x").to_string(),
                    cols[5].to_string(),
                )
            })
        })
        .collect()
}

fn show(s: &str) -> String {
    s.chars()
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn jef_standard_area_agrees_with_jef4j_except_documented() {
    let Some(dir) = shared_data("jef4j standard area") else {
        return;
    };
    let entries = load_jef4j(&dir.join("jef4j-fujitsu/fujitsu_jef_mapping.json"));
    let dec = Decoder::new(CodePage::Jef);
    let docs = documented("jef");
    // jef4j may list a code twice (e.g. 0xC4CD: 塚 + a Hanyo-Denshi IVS, and the
    // compatibility ideograph U+FA10): ours agrees when it is one of them.
    let mut theirs_by_code: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for e in entries.iter().filter(|e| {
        (e.code >= 0xA1A1 || e.code == 0x4040) && !e.options.iter().any(|o| o == "encode_only")
    }) {
        theirs_by_code
            .entry(e.code)
            .or_default()
            .push(e.text.clone().unwrap_or_default());
    }
    let mut found = BTreeMap::new();
    let mut agree = 0;
    for (code, theirs) in &theirs_by_code {
        let ours = dec.decode_code(*code).unwrap_or_default();
        if theirs
            .iter()
            .any(|t| *t == ours || (t == "\u{FFFD}" && ours.is_empty()))
        {
            agree += 1;
        } else {
            found.insert(format!("{code:04X}"), (ours, theirs.join(" / ")));
        }
    }
    // Codes we define that jef4j does not list at all.
    for code in 0xA1A1..=0xFEFEu16 {
        if !entries.iter().any(|e| e.code == code)
            && let Ok(ours) = dec.decode_code(code)
        {
            found.insert(format!("{code:04X}"), (ours, String::new()));
        }
    }
    let mut undocumented = Vec::new();
    for (code, (ours, theirs)) in &found {
        if !docs.contains_key(code) {
            undocumented.push(format!(
                "| jef | 0x{code} | {} | {} | ? |",
                show(ours),
                show(theirs)
            ));
        }
    }
    let stale: Vec<_> = docs.keys().filter(|c| !found.contains_key(*c)).collect();
    eprintln!(
        "jef standard area: {agree} codes agree with jef4j, {} documented deviations",
        found.len()
    );
    assert!(
        undocumented.is_empty(),
        "undocumented JEF deviations from jef4j (add to docs/moji.md):\n{}",
        undocumented.join("\n")
    );
    assert!(
        stale.is_empty(),
        "docs/moji.md lists JEF deviations that no longer occur: {stale:?}"
    );
    assert_eq!(
        agree, 6_799,
        "standard-area codes agreeing with jef4j (docs/moji.md says 6,799)"
    );
}

/// Every row of mappings/codepages/jis1978-shapes.tsv: the code decodes to the 1978 form
/// and encodes back; the 1983 form of a re-drawn glyph still encodes to the code; and
/// where the row says the glyph was re-drawn, jef4j (Fujitsu's own index) lists the same
/// 1978 code point for the code.
#[test]
fn jef_1978_shapes_table_holds_and_agrees_with_jef4j() {
    let path =
        Path::new(&crate::common::manifest_dir()).join("../mappings/codepages/jis1978-shapes.tsv");
    let text = std::fs::read_to_string(&path).expect("jis1978-shapes.tsv");
    let ucs = |f: &str| -> String {
        f.split(' ')
            .filter_map(|u| hex_char(u.trim_start_matches("U+")))
            .collect()
    };
    let rows: Vec<(u16, String, String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("jis\t") && !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                u16::from_str_radix(c[1], 16).expect("jef code"),
                ucs(c[2]),
                ucs(c[3]),
                c[4].to_string(),
            )
        })
        .collect();
    let count = |k: &str| rows.iter().filter(|r| r.3 == k).count();
    assert_eq!(
        [
            count("swap"),
            count("moved"),
            count("shape"),
            count("compat"),
            count("ibm932")
        ],
        [44, 4, 43, 8, 1]
    );
    let dec = Decoder::new(CodePage::Jef);
    let enc = moji::Encoder::new(CodePage::Jef);
    let code_of = |t: &str| {
        let mut v = Vec::new();
        enc.encode_dbcs(t, &mut v).ok().map(|_| v)
    };
    for (code, u83, u78, kind) in &rows {
        assert_eq!(
            dec.decode_code(*code).as_deref(),
            Ok(u78.as_str()),
            "{code:04X}"
        );
        assert_eq!(
            code_of(u78),
            Some(code.to_be_bytes().to_vec()),
            "{code:04X} 1978"
        );
        match kind.as_str() {
            "shape" | "compat" | "ibm932" => {
                assert_eq!(
                    code_of(u83),
                    Some(code.to_be_bytes().to_vec()),
                    "{code:04X} 1983"
                )
            }
            // The partner code carries the 1983 character.
            "swap" => assert!(
                code_of(u83).is_some_and(|v| v != code.to_be_bytes()),
                "{code:04X}"
            ),
            // Row 84 is not in JIS C 6226-1978: the 1983 character has no JEF code.
            _ => assert_eq!(code_of(u83), None, "{code:04X}"),
        }
    }
    let Some(dir) = shared_data("jef4j 1978 shapes") else {
        return;
    };
    let entries = load_jef4j(&dir.join("jef4j-fujitsu/fujitsu_jef_mapping.json"));
    for (code, _, u78, _) in &rows {
        assert!(
            entries
                .iter()
                .any(|e| e.code == *code && e.text.as_deref() == Some(u78.as_str())),
            "jef4j does not give {} for {code:04X}",
            show(u78)
        );
    }
}

#[test]
fn jef_ebcdik_agrees_with_jef4j_except_documented() {
    let Some(dir) = shared_data("jef4j EBCDIK") else {
        return;
    };
    let entries = load_jef4j(&dir.join("jef4j-fujitsu/fujitsu_ebcdik_mapping.json"));
    let dec = Decoder::new(CodePage::Jef);
    let docs = documented("jef-sbcs");
    let mut found = BTreeMap::new();
    for b in 0..=255u8 {
        let theirs = entries
            .iter()
            .find(|e| e.code == u16::from(b) && !e.options.iter().any(|o| o == "encode_only"))
            .and_then(|e| e.text.clone())
            .unwrap_or_default();
        let mut ours = String::new();
        let _ = dec
            .strict(true)
            .decode_sbcs(&[b], &mut ours, &mut Vec::new());
        if ours != theirs {
            found.insert(format!("{b:02X}"), (ours, theirs));
        }
    }
    let undocumented: Vec<_> = found
        .iter()
        .filter(|(c, _)| !docs.contains_key(*c))
        .map(|(c, (o, t))| format!("| jef-sbcs | 0x{c} | {} | {} | ? |", show(o), show(t)))
        .collect();
    let stale: Vec<_> = docs.keys().filter(|c| !found.contains_key(*c)).collect();
    assert!(
        undocumented.is_empty(),
        "undocumented EBCDIK deviations from jef4j:\n{}",
        undocumented.join("\n")
    );
    assert!(
        stale.is_empty(),
        "docs/moji.md lists EBCDIK deviations that no longer occur: {stale:?}"
    );
}

/// jef4j's extended area as a vendor code table: every code decodes to its UCS (+ the
/// Hanyo-Denshi IVS) through [`GaijiMap`], and encodes back.
#[test]
fn jef_extended_area_through_a_code_table() {
    let Some(dir) = shared_data("jef4j extended area") else {
        return;
    };
    let entries = load_jef4j(&dir.join("jef4j-fujitsu/fujitsu_jef_mapping.json"));
    let mut tsv = String::from("code\tucs\tivs\n");
    let mut expected = Vec::new();
    for e in entries
        .iter()
        .filter(|e| (0x41A1..=0x7FFE).contains(&e.code) && e.options.is_empty())
    {
        let Some(t) = &e.text else { continue };
        let mut cs = t.chars();
        let (Some(c), None) = (cs.next(), cs.next()) else {
            continue;
        };
        let ivs = e
            .hd_ivs
            .map(|v| format!("U+{:X}", u32::from(v)))
            .unwrap_or_default();
        tsv.push_str(&format!("{:04X}\tU+{:04X}\t{ivs}\n", e.code, u32::from(c)));
        expected.push((
            e.code,
            GaijiEntry {
                ucs: c,
                ivs: e.hd_ivs,
            },
        ));
    }
    let map = GaijiMap::from_tsv(&tsv).expect("code table");
    assert!(expected.len() > 3_500, "{}", expected.len());
    let dec = Decoder::new(CodePage::Jef).with_gaiji(&map).strict(true);
    let mut bytes = Vec::new();
    let mut want = String::new();
    for (code, e) in &expected {
        bytes.extend_from_slice(&code.to_be_bytes());
        want.push(e.ucs);
        want.extend(e.ivs);
    }
    let mut got = String::new();
    dec.decode_dbcs(&bytes, &mut got, &mut Vec::new())
        .expect("every listed code decodes");
    assert_eq!(got, want);
    // Without the table the same codes are errors that say so.
    let err = Decoder::new(CodePage::Jef)
        .strict(true)
        .decode_dbcs(&bytes, &mut String::new(), &mut Vec::new())
        .unwrap_err();
    let moji::DecodeError::Undefined(u) = err;
    assert_eq!((u.offset, u.reason), (0, UndefinedReason::NeedsCodeTable));
    // And the encoder with the table gives the codes back (first code of duplicates).
    let mut enc = Vec::new();
    moji::Encoder::new(CodePage::Jef)
        .with_gaiji(&map)
        .encode_dbcs(&want, &mut enc)
        .expect("encodes");
    let mut again = String::new();
    dec.decode_dbcs(&enc, &mut again, &mut Vec::new()).unwrap();
    assert_eq!(again, want);
}

/// ICU .ucm decode-direction mappings (|0 round trip, |3 decode only).
fn load_ucm(path: &Path) -> BTreeMap<Vec<u8>, String> {
    let mut m = BTreeMap::new();
    for line in std::fs::read_to_string(path).expect("ucm").lines() {
        if !line.starts_with("<U") {
            continue;
        }
        let (uni, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let (bytes, flag) = rest.split_once(' ').unwrap_or((rest, "|0"));
        if !(flag.contains("|0") || flag.contains("|3")) {
            continue;
        }
        let text: String = uni
            .split('>')
            .filter_map(|u| u.strip_prefix("<U"))
            .filter_map(hex_char)
            .collect();
        let bytes: Vec<u8> = bytes
            .split("\\x")
            .filter(|s| !s.is_empty())
            .filter_map(|h| u8::from_str_radix(h, 16).ok())
            .collect();
        m.insert(bytes, text);
    }
    m
}

fn ours(page: CodePage, bytes: &[u8]) -> String {
    let dec = Decoder::new(page).strict(true);
    match bytes {
        [b] => {
            let mut s = String::new();
            let _ = dec.decode_sbcs(&[*b], &mut s, &mut Vec::new());
            s
        }
        [h, l] => dec
            .decode_code(u16::from_be_bytes([*h, *l]))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Every code ICU decodes, against ours. glibc is the contract; where IBM's own tables (as
/// ICU ships them) differ, the difference is counted per kind and the counts pinned here and
/// in docs/moji.md.
#[test]
fn ibm_code_pages_against_icu_ucm() {
    let Some(dir) = shared_data("ICU ucm") else {
        return;
    };
    let cases = [
        (CodePage::EbcdicKana, "ibm-290_P100-1995.ucm"),
        (CodePage::Ibm930, "ibm-930_P120-1999.ucm"),
        (CodePage::Ibm939, "ibm-939_P120-1999.ucm"),
        (CodePage::Ibm1390, "ibm-1390_P110-2003.ucm"),
        (CodePage::Ibm1399, "ibm-1399_P110-2003.ucm"),
    ];
    let docs = documented_icu();
    let mut wrong = Vec::new();
    for (page, file) in cases {
        let icu = load_ucm(&dir.join("icu-ebcdic-ja").join(file));
        let (mut same, mut only_icu, mut differ) = (0, 0, 0);
        let mut examples = Vec::new();
        for (bytes, text) in &icu {
            let o = ours(page, bytes);
            if o == *text {
                same += 1;
            } else {
                if o.is_empty() {
                    only_icu += 1
                } else {
                    differ += 1
                }
                if examples.len() < 8 {
                    examples.push(format!(
                        "{bytes:02X?}: ours {} ICU {}",
                        show(&o),
                        show(text)
                    ));
                }
            }
        }
        eprintln!(
            "{page} vs ICU {file}: {same} agree, {only_icu} only ICU defines, {differ} differ; e.g. {examples:?}"
        );
        let want = docs.get(page.name()).copied();
        if Some((only_icu, differ)) != want {
            wrong.push(format!(
                "| icu | {page} | {only_icu} | {differ} | (docs say {want:?}) e.g. {examples:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "counts differ from docs/moji.md's ICU table:\n{}",
        wrong.join("\n")
    );
}

/// docs/moji.md rows `| icu | ibm930 | only-ICU count | differ count | ... |`.
fn documented_icu() -> BTreeMap<String, (usize, usize)> {
    let docs =
        std::fs::read_to_string(Path::new(&crate::common::manifest_dir()).join("../docs/moji.md"))
            .expect("docs/moji.md");
    docs.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('|').map(str::trim).collect();
            (c.len() >= 6 && c[1] == "icu")
                .then(|| Some((c[2].to_string(), (c[3].parse().ok()?, c[4].parse().ok()?))))?
        })
        .collect()
}

/// Keep `documented` honest when the docs file is edited: its JEF rows parse.
#[test]
fn docs_deviation_rows_parse() {
    if !Path::new(&crate::common::manifest_dir())
        .join("../docs/moji.md")
        .exists()
    {
        panic!("docs/moji.md is missing");
    }
    let _ = documented("jef");
}
