//! `dump` compiles layouts without OCCURS DEPENDING ON into a faster JSON path. It must give
//! the very bytes and problems of the record walker (`RecordDecoder` + `JsonSink`): checked
//! here on random layouts (groups, OCCURS, REDEFINES, FILLER, every numeric usage) and random
//! bytes biased towards the codes that matter (digits, signs, padding, shift codes, quotes).

use parsers::dump::{DumpOptions, dump};
use parsers::layout::Codec;
use parsers::{
    DecodeOptions, Encoding, Item, ItemKind, JsonSink, Plan, ReadSpec, RecordDecoder, RecordError,
    SignPosition, SourceFormat, parse_copybook,
};
use proptest::prelude::*;

fn pic() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..12).prop_map(|n| format!("PIC X({n})")),
        (1usize..6).prop_map(|n| format!("PIC N({n})")),
        (1u8..12, 0u8..4, 0u8..5).prop_map(|(i, f, s)| {
            let frac = if f > 0 {
                format!("V9({f})")
            } else {
                String::new()
            };
            let sign = [
                "",
                " SIGN LEADING",
                " SIGN TRAILING SEPARATE",
                " SIGN LEADING SEPARATE",
                "",
            ][s as usize];
            let sv = if s == 0 { "" } else { "S" };
            format!("PIC {sv}9({i}){frac}{sign}")
        }),
        (1u8..20, 0u8..4, any::<bool>()).prop_map(|(i, f, s)| format!(
            "PIC {}9({i}){} COMP-3",
            if s { "S" } else { "" },
            if f > 0 {
                format!("V9({f})")
            } else {
                String::new()
            }
        )),
        (1u8..19, any::<bool>())
            .prop_map(|(d, s)| format!("PIC {}9({d}) COMP", if s { "S" } else { "" })),
        Just("PIC 9(3)P(2)".to_string()),
        Just("PIC SV9(3) COMP-3".to_string()),
    ]
}

/// Entry shapes: a field, a FILLER, a group (maybe OCCURS), a REDEFINES of the previous entry.
fn copybook() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            (0u8..9, pic(), pic(), prop::option::weighted(0.3, 1usize..4)),
            1..9,
        ),
        prop::option::of((any::<usize>(), any::<usize>())),
    )
        .prop_map(|(entries, renames)| {
            let mut s = String::from("01 R.\n");
            // Items a level-66 RENAMES may name (not in a table, not a REDEFINES), in order.
            let mut named = Vec::new();
            let mut moved = false;
            for (i, (shape, p1, p2, occ)) in entries.iter().enumerate() {
                // Nothing after an OCCURS DEPENDING ON table can be renamed (it moves).
                moved |= *shape >= 6;
                if occ.is_none() && !moved {
                    match shape {
                        0 | 1 | 4 => named.push(format!("F-{i}")),
                        3 => named.extend([format!("G-{i}"), format!("A-{i}"), format!("B-{i}")]),
                        _ => {}
                    }
                }
                let occ = occ.map_or(String::new(), |n| format!(" OCCURS {n}"));
                match shape {
                    0 | 1 => s.push_str(&format!(" 05 F-{i} {p1}{occ}.\n")),
                    2 => s.push_str(&format!(" 05 FILLER {p1}.\n")),
                    3 => s.push_str(&format!(
                        " 05 G-{i}{occ}.\n  10 A-{i} {p1}.\n  10 FILLER PIC X.\n  10 B-{i} {p2}.\n"
                    )),
                    4 => s.push_str(&format!(
                        " 05 F-{i} {p1}.\n 05 R-{i} REDEFINES F-{i} {p2}.\n"
                    )),
                    5 => s.push_str(&format!(
                        " 05 FILLER{occ}.\n  10 C-{i} {p1}.\n  10 D-{i} {p2}.\n"
                    )),
                    // OCCURS DEPENDING ON (every maximum 3: the filler writes counts up to 3).
                    6 => s.push_str(&format!(
                        " 05 N-{i} PIC 9.\n 05 T-{i} OCCURS 0 TO 3 DEPENDING ON N-{i}.\n  10 A-{i} {p1}.\n  10 FILLER PIC X.\n  10 B-{i} {p2}.\n"
                    )),
                    7 => s.push_str(&format!(
                        " 05 N-{i} PIC 9.\n 05 T-{i} OCCURS 1 TO 3 DEPENDING ON N-{i}.\n  10 M-{i} PIC S9 COMP-3.\n  10 U-{i} {p1} OCCURS 0 TO 3 DEPENDING ON M-{i}.\n  10 B-{i} {p2}.\n"
                    )),
                    _ => s.push_str(&format!(
                        " 05 N-{i} PIC 9.\n 05 V-{i} {p1} OCCURS 0 TO 3 DEPENDING ON N-{i}.\n 05 W-{i} REDEFINES V-{i} {p2}.\n"
                    )),
                }
            }
            if let Some((a, b)) = renames
                && !named.is_empty()
            {
                let (a, b) = (a % named.len(), b % named.len());
                let (a, b) = (a.min(b), a.max(b));
                if a == b {
                    s.push_str(&format!(" 66 RN RENAMES {}.\n", named[a]));
                } else {
                    s.push_str(&format!(" 66 RN RENAMES {} THRU {}.\n", named[a], named[b]));
                }
            }
            s
        })
}

/// Fills every field with bytes that mostly decode (digits, signs, text, padding, a quote,
/// JEF's second ideographic space), so most records come out and their values are compared.
fn fill(items: &[Item], shift: usize, ebcdic: bool, rng: &mut impl FnMut() -> u64, rec: &mut [u8]) {
    for it in items {
        let reps = it.occurs.as_ref().map_or(1, |o| o.max);
        for k in 0..reps {
            let s = shift + k * it.size;
            match &it.kind {
                ItemKind::Group(c) => fill(c, s, ebcdic, rng, rec),
                ItemKind::Field(f) => {
                    let at = it.offset + s;
                    let b = &mut rec[at..at + f.codec.size()];
                    fill_field(&f.codec, b, ebcdic, rng);
                    if it.odo_slot.is_some() {
                        // Mostly the maximum (fields stay where the filler put them).
                        let n = if rng().is_multiple_of(4) {
                            (rng() % 4) as u8
                        } else {
                            3
                        };
                        match f.codec {
                            Codec::Packed { .. } => b[0] = n << 4 | 0xC,
                            _ => b[0] = if ebcdic { 0xF0 } else { 0x30 } | n,
                        }
                    }
                }
            }
        }
    }
}

fn fill_field(codec: &Codec, b: &mut [u8], ebcdic: bool, rng: &mut impl FnMut() -> u64) {
    let pick = |r: u64, xs: &[u8]| xs[(r as usize) % xs.len()];
    let n = b.len();
    match *codec {
        Codec::Sbcs { .. } => {
            let xs: &[u8] = if ebcdic {
                &[0x40, 0x40, 0xC1, 0xF1, 0x7F, 0x81, 0xB1, 0x4B]
            } else {
                &[b' ', b' ', b'A', b'1', b'"', b'\\', b'a', 0x7F]
            };
            for x in b.iter_mut() {
                *x = pick(rng(), xs);
            }
        }
        Codec::Dbcs { .. } | Codec::National { .. } => {
            let pairs: &[[u8; 2]] = if ebcdic {
                &[
                    [0xA1, 0xA1],
                    [0xB0, 0xEC],
                    [0xBB, 0xB3],
                    [0x40, 0x40],
                    [0xA1, 0xA1],
                    [0x45, 0x41],
                ]
            } else {
                &[
                    [0x30, 0x00],
                    [0x4E, 0x00],
                    [0x00, 0x41],
                    [0x30, 0x00],
                    [0x00, 0x22],
                ]
            };
            for c in b.chunks_exact_mut(2) {
                c.copy_from_slice(&pairs[(rng() as usize) % pairs.len()]);
            }
        }
        Codec::Zoned { sign, .. } => {
            let (zone, signs): (u8, &[u8]) = if ebcdic {
                (0xF0, &[0xC0, 0xD0, 0xF0, 0xB0, 0xA0])
            } else {
                (0x30, &[0x30, 0x70])
            };
            for x in b.iter_mut() {
                *x = zone | (rng() % 10) as u8;
            }
            let d = (rng() % 10) as u8;
            let sep = if ebcdic { [0x4E, 0x60] } else { [b'+', b'-'] };
            match sign {
                SignPosition::TrailingEmbedded => b[n - 1] = pick(rng(), signs) | d,
                SignPosition::LeadingEmbedded => b[0] = pick(rng(), signs) | d,
                SignPosition::TrailingSeparate => b[n - 1] = sep[(rng() % 2) as usize],
                SignPosition::LeadingSeparate => b[0] = sep[(rng() % 2) as usize],
            }
            if rng().is_multiple_of(3) {
                // Leading zeros, or all zeros.
                let z = (rng() as usize) % (n + 1);
                for x in b.iter_mut().take(z) {
                    if *x & 0xF0 == zone {
                        *x = zone;
                    }
                }
            }
        }
        Codec::Packed { .. } => {
            let zeros = (rng() as usize) % (2 * n + 1);
            for (k, x) in b.iter_mut().enumerate() {
                let hi = if 2 * k < zeros { 0 } else { (rng() % 10) as u8 };
                let lo = if 2 * k + 1 < zeros {
                    0
                } else {
                    (rng() % 10) as u8
                };
                *x = hi << 4 | lo;
            }
            b[n - 1] = (b[n - 1] & 0xF0) | pick(rng(), &[0xC, 0xD, 0xF, 0xB, 0xA, 0xE]);
        }
        Codec::Binary { .. } => {
            for x in b.iter_mut() {
                *x = if rng().is_multiple_of(2) {
                    0
                } else {
                    rng() as u8
                };
            }
        }
    }
}

/// What the walker gives for the same file: the expected output and problems.
fn walker(plan: &Plan<'_>, data: &[u8], options: DecodeOptions) -> (Vec<u8>, Vec<RecordError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for r in plan.records(data) {
        let Ok(raw) = r else { continue };
        let dec = RecordDecoder::new(&plan.layout.records[raw.layout], plan.encoding, options);
        let mut sink = JsonSink::new();
        let mut problems = Vec::new();
        dec.decode(raw.bytes, &mut sink, &mut problems);
        if problems.is_empty() {
            out.extend_from_slice(&sink.out);
            out.push(b'\n');
        } else {
            errs.extend(problems.into_iter().map(|p| RecordError {
                record: raw.number,
                offset: raw.offset + p.offset,
                field: Some(p.field),
                message: p.message,
            }));
        }
    }
    (out, errs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn compiled_json_equals_the_walker(
        cpy in copybook(),
        seed in any::<u64>(),
        records in 0usize..5,
        corrupt in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        enc in 0usize..4,
        short in prop_oneof![4 => Just(0usize), 1 => 1usize..4],
        keep_padding in any::<bool>(),
    ) {
        let layout = parse_copybook(&cpy, SourceFormat::Free)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{cpy}")))?;
        let enc = Encoding::by_name(["jef", "ibm930", "cp932", "ascii"][enc]).unwrap();
        let max = layout.records[0].max_len;
        // Records shorter than the layout exercise "record ends inside this field".
        let lrecl = max.saturating_sub(short).max(1);
        let spec = ReadSpec { lrecl: Some(lrecl), ..ReadSpec::default() };
        let plan = Plan::new(&layout, &enc, &spec).unwrap();
        let ebcdic = enc.codec().family() == parsers::Family::Ebcdic;
        let mut x = seed | 1;
        let mut rng = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut bytes = Vec::new();
        for _ in 0..records {
            let mut rec = vec![0u8; max];
            fill(&layout.records[0].items, 0, ebcdic, &mut rng, &mut rec);
            bytes.extend_from_slice(&rec[..lrecl.min(max)]);
        }
        for (at, b) in corrupt {
            if !bytes.is_empty() {
                let n = bytes.len();
                bytes[at % n] = b;
            }
        }
        let decode = DecodeOptions { keep_padding };
        let (want, want_errs) = walker(&plan, &bytes, decode);
        let mut got = Vec::new();
        let mut got_errs = Vec::new();
        let options = DumpOptions { decode, batch: 3, ..DumpOptions::default() };
        dump(&plan, &bytes, &options, &mut got, &mut |e| {
            if e.field.is_some() {
                got_errs.push(e.clone());
            }
        }).unwrap();
        prop_assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "copybook:\n{}", cpy
        );
        prop_assert_eq!(got_errs, want_errs, "copybook:\n{}", cpy);
    }
}
