//! Differential tests against glibc iconv: every defined code, every undefined code, long
//! random valid streams, and random damaged streams (error offsets must agree).

use moji::{CodePage, Decoder, UndefinedReason, decode, kana};

use crate::common::{IconvOut, Rng, defined_codes, have_iconv, iconv};

const MIXED: [CodePage; 4] = [
    CodePage::Ibm930,
    CodePage::Ibm939,
    CodePage::Ibm1390,
    CodePage::Ibm1399,
];

/// Walk iconv's output code by code: each code's text (ours) must come next in it.
fn assert_code_by_code(page: CodePage, what: &str, theirs: &IconvOut, codes: &[(String, String)]) {
    assert_eq!(
        theirs.error_at, None,
        "{page} {what}: iconv failed at {:?}",
        theirs.error_at
    );
    let mut rest = theirs.text.as_str();
    for (code, ours) in codes {
        let Some(r) = rest.strip_prefix(ours.as_str()) else {
            panic!(
                "{page} {what}: code {code} is {ours:?} here, iconv gives {:?}",
                rest.chars().take(2).collect::<String>()
            );
        };
        rest = r;
    }
    assert!(
        rest.is_empty(),
        "{page} {what}: iconv gave more: {:?}",
        rest.chars().take(5).collect::<String>()
    );
}

#[test]
fn ibm_mixed_every_defined_code_matches_iconv() {
    if !have_iconv() {
        return;
    }
    for page in MIXED {
        let cs = page.iconv_name().unwrap();
        let (sb, db) = defined_codes(page);
        let stream: Vec<u8> = sb.iter().map(|(b, _)| *b).collect();
        let codes: Vec<_> = sb
            .iter()
            .map(|(b, s)| (format!("{b:02X}"), s.clone()))
            .collect();
        assert_code_by_code(page, "single bytes", &iconv(cs, &stream, &[]), &codes);
        // Every defined single byte, too, equals our decode of the whole stream at once.
        assert_eq!(
            decode(page, &stream).text,
            codes.iter().map(|c| c.1.as_str()).collect::<String>()
        );

        let mut stream = vec![0x0E];
        for (code, _) in &db {
            stream.extend_from_slice(&code.to_be_bytes());
        }
        stream.push(0x0F);
        let codes: Vec<_> = db
            .iter()
            .map(|(c, s)| (format!("{c:04X}"), s.clone()))
            .collect();
        assert_code_by_code(page, "double bytes", &iconv(cs, &stream, &[]), &codes);
        assert!(
            db.len() > 11_000,
            "{page}: only {} double-byte codes",
            db.len()
        );
    }
}

#[test]
fn ibm_mixed_every_undefined_code_is_undefined_in_iconv() {
    if !have_iconv() {
        return;
    }
    for page in MIXED {
        let cs = page.iconv_name().unwrap();
        let (sb, db) = defined_codes(page);
        // Each undefined code alone between two 'A's (0xC1); with -c iconv drops what it
        // cannot convert, so only the 'A's may remain.
        let mut stream = Vec::new();
        let mut n = 0;
        for b in 0..=255u8 {
            if b != 0x0E && b != 0x0F && !sb.iter().any(|(x, _)| *x == b) {
                stream.extend_from_slice(&[0xC1, b]);
                n += 1;
            }
        }
        let defined: std::collections::HashSet<u16> = db.iter().map(|(c, _)| *c).collect();
        for hi in 0x40..=0xFEu8 {
            for lo in 0x40..=0xFEu8 {
                let code = u16::from_be_bytes([hi, lo]);
                if !defined.contains(&code) {
                    stream.extend_from_slice(&[0xC1, 0x0E, hi, lo, 0x0F]);
                    n += 1;
                }
            }
        }
        stream.push(0xC1);
        let out = iconv(cs, &stream, &["-c"]);
        let extra: String = out.text.chars().filter(|c| *c != 'A').take(10).collect();
        assert_eq!(extra, "", "{page}: iconv decodes codes we call undefined");
        assert_eq!(out.text.len(), n + 1, "{page}");
        // And ours reports each of them.
        assert_eq!(decode(page, &stream).undefined.len(), n, "{page}");
    }
}

/// A random stream of defined codes with shift codes, for a shifted code page.
fn random_valid_stream(page: CodePage, rng: &mut Rng, len: usize) -> Vec<u8> {
    let (sb, db) = defined_codes(page);
    let (so, si) = if page == CodePage::Jef {
        (0x28, 0x29)
    } else {
        (0x0E, 0x0F)
    };
    let mut v = Vec::with_capacity(len + 64);
    while v.len() < len {
        for _ in 0..rng.below(12) {
            v.push(sb[rng.below(sb.len())].0);
        }
        v.push(so);
        for _ in 0..rng.below(20) {
            v.extend_from_slice(&db[rng.below(db.len())].0.to_be_bytes());
        }
        v.push(si);
    }
    v
}

#[test]
fn ibm_mixed_long_random_streams_match_iconv() {
    if !have_iconv() {
        return;
    }
    for (k, page) in MIXED.into_iter().enumerate() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ k as u64);
        let stream = random_valid_stream(page, &mut rng, 1 << 20);
        let theirs = iconv(page.iconv_name().unwrap(), &stream, &[]);
        assert_eq!(theirs.error_at, None, "{page}");
        let ours = decode(page, &stream);
        assert!(
            ours.undefined.is_empty(),
            "{page}: {:?}",
            ours.undefined.first()
        );
        assert!(
            ours.text == theirs.text,
            "{page}: 1 MiB random stream differs from iconv"
        );
        // The same through the chunked decoder (what `koseki decode` uses), in odd-sized
        // chunks so that codes and shift runs are cut everywhere.
        let mut s = moji::Decoder::new(page)
            .stream(moji::FieldKind::Mixed)
            .unwrap();
        let (mut out, mut und, mut pending) = (Vec::new(), Vec::new(), Vec::new());
        let mut chunks = stream.chunks(4099).peekable();
        while let Some(c) = chunks.next() {
            pending.extend_from_slice(c);
            let used = s
                .decode_utf8(&pending, chunks.peek().is_none(), &mut out, &mut und)
                .unwrap();
            pending.drain(..used);
        }
        assert!(und.is_empty() && pending.is_empty(), "{page}");
        assert!(
            out == theirs.text.as_bytes(),
            "{page}: chunked decoding differs from iconv"
        );
        // And in pieces on several threads.
        let mut s = moji::Decoder::new(page)
            .stream(moji::FieldKind::Mixed)
            .unwrap();
        let (mut out, mut und) = (Vec::new(), Vec::new());
        s.decode_utf8_in_pieces(&stream, true, &mut out, &mut und, 4)
            .unwrap();
        assert!(und.is_empty(), "{page}");
        assert!(
            out == theirs.text.as_bytes(),
            "{page}: decoding in pieces differs from iconv"
        );
    }
}

#[test]
fn ibm_mixed_damaged_streams_fail_where_iconv_fails() {
    if !have_iconv() {
        return;
    }
    for (k, page) in MIXED.into_iter().enumerate() {
        let cs = page.iconv_name().unwrap();
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ k as u64);
        let mut agreed_errors = 0;
        for case in 0..150 {
            let mut s = random_valid_stream(page, &mut rng, 40);
            // Damage: random bytes, a dropped byte, or a cut-off end.
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(s.len());
                match rng.below(3) {
                    0 => s[at] = rng.next() as u8,
                    1 => {
                        s.remove(at);
                    }
                    _ => s.truncate(at.max(1)),
                }
            }
            let theirs = iconv(cs, &s, &[]);
            let mut ours = String::new();
            let mut und = Vec::new();
            let res = Decoder::new(page)
                .strict(true)
                .decode_mixed(&s, &mut ours, &mut und);
            match (&res, theirs.error_at, theirs.incomplete) {
                (Ok(()), None, false) => {
                    assert_eq!(ours, theirs.text, "{page} case {case}: {s:02X?}")
                }
                (Err(e), Some(at), _) => {
                    assert_eq!(
                        e.offset(),
                        at,
                        "{page} case {case}: {e} vs iconv at {at}: {s:02X?}"
                    );
                    assert_eq!(
                        ours, theirs.text,
                        "{page} case {case}: text before the error"
                    );
                    agreed_errors += 1;
                }
                (Err(moji::DecodeError::Undefined(u)), None, true) => {
                    assert_eq!(
                        (u.offset, u.reason),
                        (s.len() - 1, UndefinedReason::Truncated),
                        "{page} case {case}: {s:02X?}"
                    );
                    agreed_errors += 1;
                }
                _ => panic!("{page} case {case}: ours {res:?}, iconv {theirs:?}: {s:02X?}"),
            }
        }
        assert!(
            agreed_errors > 30,
            "{page}: only {agreed_errors} damaged streams failed"
        );
    }
}

#[test]
fn ebcdic_kana_is_glibc_ibm290_with_half_width_kana() {
    if !have_iconv() {
        return;
    }
    let (sb, _) = defined_codes(CodePage::EbcdicKana);
    for b in 0..=255u8 {
        let theirs = iconv("IBM290", &[b], &[]);
        match sb.iter().find(|(x, _)| *x == b) {
            Some((_, ours)) if theirs.error_at.is_some() => {
                // glibc IBM290 lacks lower case; those bytes come from IBM930's single bytes.
                assert_eq!(*ours, iconv("IBM930", &[b], &[]).text, "0x{b:02X}");
            }
            Some((_, ours)) => {
                // The one deviation: glibc widens kana (documented in docs/moji.md).
                assert!(
                    *ours == theirs.text || kana::katakana_to_fullwidth(ours) == theirs.text,
                    "0x{b:02X}: ours {ours:?}, iconv {:?}",
                    theirs.text
                );
            }
            None => assert!(
                theirs.error_at.is_some(),
                "0x{b:02X}: iconv decodes it to {:?}",
                theirs.text
            ),
        }
    }
}

#[test]
fn ebcdic_kana_agrees_with_ibm930_single_bytes_where_both_define() {
    // IBM930's single-byte half is CCSID 290 extended with lower-case Latin; where both
    // define a byte they agree (glibc IBM930 keeps kana half-width, like ours).
    let (kana, _) = defined_codes(CodePage::EbcdicKana);
    let (i930, _) = defined_codes(CodePage::Ibm930);
    let mut differ = Vec::new();
    for (b, t) in &kana {
        if let Some((_, u)) = i930.iter().find(|(x, _)| x == b)
            && t != u
        {
            differ.push(format!("{b:02X}: {t:?} vs {u:?}"));
        }
    }
    assert_eq!(differ, Vec::<String>::new());
}

#[test]
fn jef_single_bytes_are_glibc_ibm290_except_fujitsu_bytes() {
    if !have_iconv() {
        return;
    }
    let (jef, _) = defined_codes(CodePage::Jef);
    // Fujitsu's EBCDIK differences (docs/moji.md) and the shift codes.
    let fujitsu = [0x15, 0x25, 0x5B, 0x6A, 0xA1, 0xC0, 0xD0];
    for b in 0..=255u8 {
        let ours = jef.iter().find(|(x, _)| *x == b).map(|x| x.1.clone());
        if [0x28, 0x29, 0x38].contains(&b) {
            assert_eq!(ours, None, "0x{b:02X} is a JEF shift code");
            continue;
        }
        if fujitsu.contains(&b) {
            continue;
        }
        let theirs = iconv("IBM290", &[b], &[]);
        match ours {
            None => assert!(
                theirs.error_at.is_some(),
                "0x{b:02X}: IBM290 gives {:?}",
                theirs.text
            ),
            Some(o) => assert_eq!(
                kana::katakana_to_fullwidth(&o),
                kana::katakana_to_fullwidth(&theirs.text),
                "0x{b:02X}"
            ),
        }
    }
}

/// cp932/euc-jp: every code encoding_rs defines, against glibc CP932/EUC-JP. The code
/// pages follow the WHATWG Encoding Standard (encoding_rs); where glibc differs, the
/// difference must be one of the kinds docs/moji.md lists.
#[test]
fn cp932_and_euc_jp_match_iconv_except_documented_kinds() {
    if !have_iconv() {
        return;
    }
    for page in [CodePage::Cp932, CodePage::EucJp] {
        let cs = page.iconv_name().unwrap();
        let (sb, db) = defined_codes(page);
        let mut codes: Vec<(Vec<u8>, String)> = sb
            .iter()
            .filter(|(b, _)| *b != b'\n')
            .map(|(b, s)| (vec![*b], s.clone()))
            .collect();
        codes.extend(
            db.iter()
                .map(|(c, s)| (c.to_be_bytes().to_vec(), s.clone())),
        );
        let mut diffs = Vec::new();
        for chunk in codes.chunks(4096) {
            // One code per line; iconv -c drops what it cannot convert, leaving the line empty.
            let mut stream = Vec::new();
            for (b, _) in chunk {
                stream.extend_from_slice(b);
                stream.push(b'\n');
            }
            let out = iconv(cs, &stream, &["-c"]);
            let lines: Vec<&str> = out.text.split('\n').collect();
            assert!(
                lines.len() > chunk.len(),
                "{page}: lines lost ({} for {})",
                lines.len(),
                chunk.len()
            );
            for ((b, ours), theirs) in chunk.iter().zip(&lines) {
                if b == b"\n" {
                    continue;
                }
                if ours != theirs {
                    diffs.push((b.clone(), ours.clone(), theirs.to_string()));
                }
            }
        }
        let only_ours = diffs.iter().filter(|d| d.2.is_empty()).count();
        eprintln!(
            "{page}: {} codes differ from glibc {cs}: {only_ours} defined only by encoding_rs, {} mapped differently",
            diffs.len(),
            diffs.len() - only_ours
        );
        let undocumented: Vec<_> = diffs
            .iter()
            .filter(|(b, o, t)| !documented_difference(page, b, o, t))
            .collect();
        for (b, o, t) in undocumented.iter().take(20) {
            eprintln!("{page} {b:02X?}: ours {o:?} iconv {t:?}");
        }
        assert!(
            undocumented.is_empty(),
            "{page}: {} undocumented differences from glibc",
            undocumented.len()
        );
    }
}

/// The kinds of difference between encoding_rs (WHATWG) and glibc listed in docs/moji.md.
fn documented_difference(page: CodePage, bytes: &[u8], ours: &str, theirs: &str) -> bool {
    let o: Vec<char> = ours.chars().collect();
    let t: Vec<char> = theirs.chars().collect();
    match (page, bytes, o.as_slice(), t.as_slice()) {
        // glibc CP932 rejects 0x80 (WHATWG: U+0080).
        (CodePage::Cp932, [0x80], ['\u{80}'], []) => true,
        // Codes glibc leaves undefined that WHATWG maps (e.g. NEC row 13 duplicates).
        (_, _, [_], []) => true,
        // WHATWG EUC-JP reads these six JIS X 0208 codes as the Microsoft forms
        // (～∥－￠￡￢) where glibc gives 〜‖−¢£¬.
        (
            CodePage::EucJp,
            [0xA1, 0xC1] | [0xA1, 0xC2] | [0xA1, 0xDD] | [0xA1, 0xF1] | [0xA1, 0xF2] | [0xA2, 0xCC],
            [_],
            [_],
        ) => true,
        _ => false,
    }
}
