//! encode∘decode round trips: exhaustively over every code, and as property tests over
//! random texts of encodable characters.

use std::sync::OnceLock;

use moji::{CodePage, Decoder, Encoder, decode, encode};
use proptest::prelude::*;

use crate::common::{Defined, defined_codes};

fn codes(page: CodePage) -> &'static Defined {
    static CELLS: [OnceLock<Defined>; 8] = [const { OnceLock::new() }; 8];
    let i = CodePage::ALL.iter().position(|p| *p == page).unwrap();
    CELLS[i].get_or_init(|| defined_codes(page))
}

/// Every defined double-byte code: decode, encode as PIC N, decode again gives the same
/// text; and only the few duplicate codes (marked `d` in the tables) encode to another code.
#[test]
fn every_double_byte_code_round_trips() {
    for page in CodePage::ALL.into_iter().filter(|p| p.has_double_byte()) {
        let (_, db) = codes(page);
        let mut moved = 0;
        for (code, text) in db {
            let mut bytes = Vec::new();
            Encoder::new(page)
                .encode_dbcs(text, &mut bytes)
                .unwrap_or_else(|e| panic!("{page} {code:04X}: {e}"));
            if bytes != code.to_be_bytes() {
                moved += 1;
            }
            let mut again = String::new();
            Decoder::new(page)
                .strict(true)
                .decode_dbcs(&bytes, &mut again, &mut Vec::new())
                .unwrap();
            assert_eq!(&again, text, "{page} {code:04X}");
        }
        // IBM 930/939: 2 duplicates; 1390/1399: 27; JEF: none; cp932: the NEC/IBM duplicates.
        let limit = match page {
            CodePage::Cp932 | CodePage::EucJp => 800,
            _ => 30,
        };
        assert!(
            moved <= limit,
            "{page}: {moved} codes encode to another code"
        );
    }
}

#[test]
fn every_single_byte_round_trips() {
    for page in CodePage::ALL {
        let (sb, _) = codes(page);
        let mut moved = Vec::new();
        for (b, text) in sb {
            let mut bytes = Vec::new();
            Encoder::new(page)
                .encode_sbcs(text, &mut bytes)
                .unwrap_or_else(|e| panic!("{page} {b:02X}: {e}"));
            let mut again = String::new();
            Decoder::new(page)
                .strict(true)
                .decode_sbcs(&bytes, &mut again, &mut Vec::new())
                .unwrap();
            assert_eq!(&again, text, "{page} {b:02X}");
            if bytes != [*b] {
                moved.push(*b);
            }
        }
        // Only IBM 1390/1399 decode several bytes to one character (U+001A SUB for their
        // unassigned single bytes, as glibc does).
        let limit = if matches!(page, CodePage::Ibm1390 | CodePage::Ibm1399) {
            27
        } else {
            0
        };
        assert!(
            moved.len() <= limit,
            "{page}: {moved:02X?} encode to another byte"
        );
    }
}

/// A random text made of the texts of defined codes (single and double byte mixed).
fn text_of(page: CodePage) -> impl Strategy<Value = String> {
    let (sb, db) = codes(page);
    let n = sb.len() + db.len();
    proptest::collection::vec(0..n, 0..60).prop_map(move |ix| {
        let (sb, db) = codes(page);
        ix.into_iter()
            .map(|i| {
                if i < sb.len() {
                    sb[i].1.as_str()
                } else {
                    db[i - sb.len()].1.as_str()
                }
            })
            .collect()
    })
}

fn page_strategy() -> impl Strategy<Value = CodePage> {
    proptest::sample::select(CodePage::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// decode(encode(text)) == text, and the encoding is stable: encode(decode(bytes)) == bytes.
    #[test]
    fn mixed_round_trip((page, text) in page_strategy().prop_flat_map(|p| (Just(p), text_of(p)))) {
        let bytes = encode(page, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = decode(page, &bytes);
        prop_assert!(back.undefined.is_empty(), "{}: {:?}", page, back.undefined);
        prop_assert_eq!(&back.text, &text);
        prop_assert_eq!(encode(page, &back.text).unwrap(), bytes);
    }

    /// The same for double-byte fields (PIC N), from random double-byte codes.
    #[test]
    fn dbcs_field_round_trip(page in page_strategy(), picks in proptest::collection::vec(any::<proptest::sample::Index>(), 0..40)) {
        let (_, db) = codes(page);
        prop_assume!(!db.is_empty());
        let text: String = picks.iter().map(|i| db[i.index(db.len())].1.as_str()).collect();
        let mut bytes = Vec::new();
        Encoder::new(page).encode_dbcs(&text, &mut bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(bytes.len() % 2, 0);
        let mut back = String::new();
        Decoder::new(page).strict(true).decode_dbcs(&bytes, &mut back, &mut Vec::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, text);
    }

    /// Arbitrary bytes: lenient decoding never fails, replaces exactly the listed codes, and
    /// what it decodes re-encodes (minus the U+FFFD) without error.
    #[test]
    fn arbitrary_bytes_decode_leniently(page in page_strategy(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for field in 0..3 {
            let dec = Decoder::new(page);
            let mut text = String::new();
            let mut und = Vec::new();
            let r = match field {
                0 => dec.decode_mixed(&bytes, &mut text, &mut und),
                1 => dec.decode_sbcs(&bytes, &mut text, &mut und),
                _ => dec.decode_dbcs(&bytes, &mut text, &mut und),
            };
            prop_assert!(r.is_ok());
            let replaced = text.chars().filter(|c| *c == char::REPLACEMENT_CHARACTER).count();
            prop_assert!(und.len() <= replaced);
            prop_assert!(und.windows(2).all(|w| w[0].offset < w[1].offset));
            prop_assert!(und.iter().all(|u| u.offset < bytes.len()));
            // Strict mode stops exactly at the first listed offset.
            let strict = match field {
                0 => dec.strict(true).decode_mixed(&bytes, &mut String::new(), &mut Vec::new()),
                1 => dec.strict(true).decode_sbcs(&bytes, &mut String::new(), &mut Vec::new()),
                _ => dec.strict(true).decode_dbcs(&bytes, &mut String::new(), &mut Vec::new()),
            };
            prop_assert_eq!(strict.err().map(|e| e.offset()), und.first().map(|u| u.offset));
        }
    }
}
