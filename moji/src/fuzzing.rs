//! Invariants the fuzz targets (fuzz/fuzz_targets/decode_*.rs) check on arbitrary input.
//! Hidden from the docs: a test aid, not API.

use crate::{CodePage, Decoder, Encoder, FieldKind, GaijiMap};

/// Decode `data` every way (mixed, single-byte field, double-byte field; lenient and
/// strict; for JEF also with a code table parsed from the input) and panic if an invariant
/// breaks: strict stops exactly at the first offset lenient lists, offsets are increasing
/// and inside the input, and a clean decode re-encodes and decodes to the same text.
pub fn check_decoders(page: CodePage, data: &[u8]) {
    let (selector, body) = match data.split_first() {
        Some((s, b)) => (*s, b),
        None => (0, data),
    };
    let map = if page == CodePage::Jef && selector & 0x80 != 0 {
        // The tail after a NUL is fuzzed as a vendor code table.
        let split = body.iter().position(|b| *b == 0).unwrap_or(body.len());
        GaijiMap::from_tsv(&String::from_utf8_lossy(&body[split.min(body.len())..])).ok()
    } else {
        None
    };
    let mut dec = Decoder::new(page);
    if let Some(m) = &map {
        dec = dec.with_gaiji(m);
    }
    for field in 0..3u8 {
        let run = |d: Decoder<'_>, text: &mut String, und: &mut Vec<crate::Undefined>| match field {
            0 => d.decode_mixed(body, text, und),
            1 => d.decode_sbcs(body, text, und),
            _ => d.decode_dbcs(body, text, und),
        };
        let mut text = String::new();
        let mut und = Vec::new();
        assert!(
            run(dec, &mut text, &mut und).is_ok(),
            "lenient decoding failed"
        );
        assert!(
            und.windows(2).all(|w| w[0].offset < w[1].offset),
            "offsets not increasing"
        );
        assert!(
            und.iter().all(|u| u.offset < body.len()),
            "offset outside the input"
        );
        // The byte-output kernels give exactly the same text and list.
        let mut bytes_out = Vec::new();
        let mut und_b = Vec::new();
        let _ = match field {
            0 => dec.decode_mixed_utf8(body, &mut bytes_out, &mut und_b),
            1 => dec.decode_sbcs_utf8(body, &mut bytes_out, &mut und_b),
            _ => dec.decode_dbcs_utf8(body, &mut bytes_out, &mut und_b),
        };
        assert_eq!(bytes_out, text.as_bytes(), "byte and String outputs differ");
        assert_eq!(und_b, und, "byte and String undefined lists differ");
        let kind = [
            FieldKind::Mixed,
            FieldKind::SingleByte,
            FieldKind::DoubleByte,
        ][usize::from(field)];
        check_stream(dec, kind, selector, body, &text, &und);
        let strict = run(dec.strict(true), &mut String::new(), &mut Vec::new());
        assert_eq!(
            strict.err().map(|e| e.offset()),
            und.first().map(|u| u.offset),
            "strict and lenient disagree"
        );
        if !und.is_empty() {
            continue;
        }
        // Clean decode: encode back (as the same field kind) and decode again.
        let mut enc = Encoder::new(page);
        if let Some(m) = &map {
            enc = enc.with_gaiji(m);
        }
        let mut bytes = Vec::new();
        let encoded = match field {
            0 => enc.encode_mixed(&text, &mut bytes),
            1 => enc.encode_sbcs(&text, &mut bytes),
            _ => enc.encode_dbcs(&text, &mut bytes),
        };
        let table_based = !matches!(page, CodePage::Cp932 | CodePage::EucJp);
        match encoded {
            Ok(()) => {
                let mut again = String::new();
                let mut und2 = Vec::new();
                let d2 = dec;
                let _ = match field {
                    0 => d2.decode_mixed(&bytes, &mut again, &mut und2),
                    1 => d2.decode_sbcs(&bytes, &mut again, &mut und2),
                    _ => d2.decode_dbcs(&bytes, &mut again, &mut und2),
                };
                assert_eq!(again, text, "decode(encode(decode(x))) differs");
            }
            // A table-based code page can always encode what it decoded (a vendor table's
            // entries may collide with built-in ones, so only without a table).
            Err(e) => assert!(
                !table_based || map.is_some(),
                "cannot re-encode decoded text: {e}"
            ),
        }
    }
}

/// The chunked decoder ([`crate::DecodeStream`]) gives the same text, list and strict
/// offset as the whole-input one, whatever the chunk sizes (taken from `selector`).
fn check_stream(
    dec: Decoder<'_>,
    kind: FieldKind,
    selector: u8,
    body: &[u8],
    text: &str,
    und: &[crate::Undefined],
) {
    let Some(stream) = dec.stream(kind) else {
        return;
    };
    let step = usize::from(selector % 7) + 1;
    for strict in [false, true] {
        let mut s = stream;
        if strict {
            s = dec.strict(true).stream(kind).expect("stream");
        }
        let (mut out, mut list) = (Vec::new(), Vec::new());
        let mut pending: Vec<u8> = Vec::new();
        let mut failed = None;
        let mut chunks = body.chunks(step).peekable();
        while let Some(chunk) = chunks.next() {
            pending.extend_from_slice(chunk);
            let last = chunks.peek().is_none();
            match s.decode_utf8(&pending, last, &mut out, &mut list) {
                Ok(used) => {
                    assert!(pending.len() - used <= 1 && (!last || used == pending.len()));
                    pending.drain(..used);
                }
                Err(e) => {
                    failed = Some(e.offset());
                    break;
                }
            }
        }
        // The whole input in pieces decoded on several threads gives the same.
        let mut p = if strict {
            dec.strict(true).stream(kind).expect("stream")
        } else {
            stream
        };
        let (mut pout, mut plist) = (Vec::new(), Vec::new());
        let r = p.decode_utf8_in_pieces(body, true, &mut pout, &mut plist, 1 + step % 5);
        assert_eq!(r.err().map(|e| e.offset()), failed, "pieces: strict offset");
        assert_eq!(pout, out, "pieces: text differs");
        assert_eq!(plist, list, "pieces: undefined list differs");
        if strict {
            assert_eq!(
                failed,
                und.first().map(|u| u.offset),
                "stream strict offset"
            );
            assert!(text.as_bytes().starts_with(&out), "stream strict text");
        } else {
            assert!(pending.is_empty(), "stream left bytes over");
            assert_eq!(out, text.as_bytes(), "stream text differs");
            assert_eq!(list, und, "stream undefined list differs");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_tricky_inputs_hold() {
        let cases: [&[u8]; 6] = [
            b"",
            b"\x00\x0E",
            b"\x00\x0E\x45\x0F\x0F",
            b"\x80\x41\xA1\x00code\tucs\n41A1\tU+4E02\n",
            b"\x80\xB0\xA1\x00B0A1\tU+5516\n",
            b"\x01\xEC\xB5\xEC",
        ];
        for page in CodePage::ALL {
            for c in cases {
                check_decoders(page, c);
            }
        }
    }

    proptest! {
        #[test]
        fn random_inputs_hold(page in proptest::sample::select(CodePage::ALL.to_vec()), data in proptest::collection::vec(any::<u8>(), 0..300)) {
            check_decoders(page, &data);
        }
    }
}
