//! Property tests: random copybooks and random values, written with `RecordWriter` and read
//! back with `RecordDecoder`, give the same values.

use parsers::{
    Decimal, DecodeOptions, Encoding, RecordDecoder, RecordWriter, SourceFormat, Value,
    parse_copybook,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Kind {
    X(usize),
    N(usize),
    Zoned {
        int: u8,
        frac: u8,
        signed: bool,
        sign: u8,
    },
    Packed {
        int: u8,
        frac: u8,
        signed: bool,
    },
    Binary {
        digits: u8,
        signed: bool,
        comp5: bool,
    },
}

#[derive(Debug, Clone)]
struct FieldSpec {
    kind: Kind,
    occurs: Option<usize>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        (1usize..12).prop_map(Kind::X),
        (1usize..6).prop_map(Kind::N),
        (0u8..10, 0u8..5, any::<bool>(), 0u8..4).prop_filter_map("digits", |(i, f, s, sg)| {
            (i + f > 0).then_some(Kind::Zoned {
                int: i,
                frac: f,
                signed: s,
                sign: sg,
            })
        }),
        (0u8..14, 0u8..5, any::<bool>()).prop_filter_map("digits", |(i, f, s)| {
            (i + f > 0).then_some(Kind::Packed {
                int: i,
                frac: f,
                signed: s,
            })
        }),
        (1u8..19, any::<bool>(), any::<bool>()).prop_map(|(d, s, c)| Kind::Binary {
            digits: d,
            signed: s,
            comp5: c
        }),
    ]
}

fn spec() -> impl Strategy<Value = Vec<FieldSpec>> {
    prop::collection::vec(
        (kind(), prop::option::weighted(0.25, 1usize..4))
            .prop_map(|(kind, occurs)| FieldSpec { kind, occurs }),
        1..10,
    )
}

fn pic(k: &Kind) -> String {
    let num = |int: u8, frac: u8| {
        let mut s = String::new();
        if int > 0 {
            s.push_str(&format!("9({int})"));
        }
        if frac > 0 {
            s.push_str(&format!("V9({frac})"));
        }
        s
    };
    match *k {
        Kind::X(n) => format!("PIC X({n})"),
        Kind::N(n) => format!("PIC N({n})"),
        Kind::Zoned {
            int,
            frac,
            signed,
            sign,
        } => {
            let s = if signed { "S" } else { "" };
            let clause = match (signed, sign) {
                (true, 1) => " SIGN LEADING",
                (true, 2) => " SIGN IS TRAILING SEPARATE",
                (true, 3) => " SIGN LEADING SEPARATE CHARACTER",
                _ => "",
            };
            format!("PIC {s}{}{clause}", num(int, frac))
        }
        Kind::Packed { int, frac, signed } => {
            format!(
                "PIC {}{} COMP-3",
                if signed { "S" } else { "" },
                num(int, frac)
            )
        }
        Kind::Binary {
            digits,
            signed,
            comp5,
        } => format!(
            "PIC {}9({digits}) {}",
            if signed { "S" } else { "" },
            if comp5 { "COMP-5" } else { "BINARY" }
        ),
    }
}

fn copybook(fields: &[FieldSpec]) -> String {
    let mut s = String::from("       01  RANDOM-REC.\n");
    for (i, f) in fields.iter().enumerate() {
        let occ = f
            .occurs
            .map_or(String::new(), |n| format!(" OCCURS {n} TIMES"));
        // Every third field sits in a group, to exercise nesting.
        if i % 3 == 2 {
            s.push_str(&format!("           05  GRP-{i}{occ}.\n"));
            s.push_str(&format!("               10  F-{i} {}.\n", pic(&f.kind)));
        } else {
            s.push_str(&format!("           05  F-{i} {}{occ}.\n", pic(&f.kind)));
        }
    }
    s
}

/// A value strategy for one field (text without trailing padding, numbers in range).
fn value_for(k: &Kind, jef: bool) -> BoxedStrategy<Value> {
    match *k {
        Kind::X(n) => {
            let chars: &'static [char] = if jef {
                &['A', 'Z', '0', '9', '-', 'ｱ', 'ﾀ', 'ﾞ', ' ']
            } else {
                &['A', 'z', '0', '9', '-', '"', '\\', ' ']
            };
            prop::collection::vec(prop::sample::select(chars), 0..=n)
                .prop_map(|v| Value::Text(v.into_iter().collect::<String>().trim_end().to_string()))
                .boxed()
        }
        Kind::N(n) => {
            let chars: &'static [char] =
                &['山', '田', '太', '郎', '一', '花', '子', 'ア', '\u{3000}'];
            prop::collection::vec(prop::sample::select(chars), 0..=n)
                .prop_map(|v| {
                    Value::Text(
                        v.into_iter()
                            .collect::<String>()
                            .trim_end_matches('\u{3000}')
                            .to_string(),
                    )
                })
                .boxed()
        }
        Kind::Zoned {
            int, frac, signed, ..
        }
        | Kind::Packed { int, frac, signed } => {
            let digits = (int + frac) as u32;
            let max = 10i128.pow(digits) - 1;
            let min = if signed { -max } else { 0 };
            (min..=max)
                .prop_map(move |m| Value::Number(Decimal::new(m, frac as i32)))
                .boxed()
        }
        Kind::Binary { digits, signed, .. } => {
            let max = 10i128.pow(digits as u32) - 1;
            let min = if signed { -max } else { 0 };
            (min..=max)
                .prop_map(|m| Value::Number(Decimal::new(m, 0)))
                .boxed()
        }
    }
}

fn record_value(fields: &[FieldSpec], jef: bool) -> BoxedStrategy<Value> {
    let mut parts: Vec<BoxedStrategy<(String, Value)>> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let one = value_for(&f.kind, jef);
        let wrapped: BoxedStrategy<Value> = if i % 3 == 2 {
            one.prop_map(move |v| Value::group([(format!("F-{i}"), v)]))
                .boxed()
        } else {
            one
        };
        let with_occurs: BoxedStrategy<Value> = match f.occurs {
            Some(n) => prop::collection::vec(wrapped, n..=n)
                .prop_map(Value::Array)
                .boxed(),
            None => wrapped,
        };
        let name = if i % 3 == 2 {
            format!("GRP-{i}")
        } else {
            format!("F-{i}")
        };
        parts.push(with_occurs.prop_map(move |v| (name.clone(), v)).boxed());
    }
    parts.prop_map(Value::Group).boxed()
}

fn layout_and_value(jef: bool) -> impl Strategy<Value = (String, Value)> {
    spec().prop_flat_map(move |fields| {
        let cpy = copybook(&fields);
        record_value(&fields, jef).prop_map(move |v| (cpy.clone(), v))
    })
}

fn round_trip(cpy: &str, value: &Value, enc: &Encoding) -> Result<(), TestCaseError> {
    let layout = parse_copybook(cpy, SourceFormat::Free)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{cpy}")))?;
    let rec = &layout.records[0];
    let bytes = RecordWriter::new(rec, enc)
        .write(value)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(bytes.len(), rec.max_len);
    let mut problems = Vec::new();
    let back =
        RecordDecoder::new(rec, enc, DecodeOptions::default()).decode_value(&bytes, &mut problems);
    prop_assert!(problems.is_empty(), "{:?}", problems);
    prop_assert_eq!(&back, value, "copybook:\n{}", cpy);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn writer_then_reader_ascii((cpy, value) in layout_and_value(false)) {
        round_trip(&cpy, &value, &Encoding::ascii())?;
    }

    #[test]
    fn writer_then_reader_jef((cpy, value) in layout_and_value(true)) {
        round_trip(&cpy, &value, &Encoding::by_name("jef").unwrap())?;
    }

    #[test]
    fn decoder_never_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let layout = parse_copybook(
            "01 R.\n 05 N PIC 9(2).\n 05 T OCCURS 0 TO 5 DEPENDING ON N.\n  10 A PIC S9(3) COMP-3.\n  10 B PIC N(2).\n 05 C PIC X(3).\n",
            SourceFormat::Free,
        ).unwrap();
        let enc = Encoding::by_name("jef").unwrap();
        let mut problems = Vec::new();
        let _ = RecordDecoder::new(&layout.records[0], &enc, DecodeOptions::default())
            .decode_value(&bytes, &mut problems);
    }
}
