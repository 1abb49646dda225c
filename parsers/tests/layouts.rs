//! Layout idioms on a realistic copybook, golden dumps, and readers over whole files.

use parsers::dump::{DumpOptions, Format, dump};
use parsers::{
    Codec, DecodeOptions, Encoding, Plan, ReadSpec, RecordWriter, SignPosition, SourceFormat,
    Value, parse_copybook, read_all,
};

fn testdata(name: &str) -> String {
    std::fs::read_to_string(format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn twenty_field_copybook_offsets() {
    let layout = parse_copybook(&testdata("mibun.cpy"), SourceFormat::Auto).unwrap();
    assert_eq!(layout.records.len(), 1);
    let r = &layout.records[0];
    let mut fields = Vec::new();
    r.visit(&mut |it, _| {
        if let Some(f) = it.field() {
            fields.push((it.name.clone(), it.offset, f.codec.size()));
        }
    });
    let expect: &[(&str, usize, usize)] = &[
        ("MB-REC-KBN", 0, 1),
        ("MB-KOSEKI-NO", 1, 8),
        ("MB-KOJIN-NO", 9, 5),
        ("MB-UJI", 14, 20),
        ("MB-MEI", 34, 20),
        ("MB-KANA", 54, 20),
        ("MB-SEIBETSU", 74, 1),
        ("MB-BIRTH-YMD", 75, 8),
        ("MB-BIRTH-YYYY", 75, 4),
        ("MB-BIRTH-MM", 79, 2),
        ("MB-BIRTH-DD", 81, 2),
        ("MB-ZOKUGARA", 83, 2),
        ("MB-TESURYO", 85, 4),
        ("MB-BALANCE", 89, 10),
        ("MB-RATE", 99, 3),
        ("MB-SEQ", 102, 2),
        ("MB-FLAGS", 104, 1),
        ("FILLER", 107, 5),
        ("MB-JIKO-CNT", 112, 2),
        ("MB-JIKO-CD", 114, 3),
        ("MB-JIKO-YMD", 117, 8),
        ("MB-JIKO-TEXT", 125, 16),
    ];
    let got: Vec<(&str, usize, usize)> = fields
        .iter()
        .map(|(n, o, s)| (n.as_str(), *o, *s))
        .collect();
    assert_eq!(got, expect);
    assert_eq!(r.max_len, 114 + 10 * 27);
    assert_eq!(r.min_len, 114);
    assert!(r.has_odo);
    assert_eq!(r.renames[0].name, "MB-NAME-ALL");
    let seibetsu = r.find("MB-SEIBETSU").unwrap();
    assert_eq!(seibetsu.conditions.len(), 2);
    assert_eq!(
        r.find("MB-BALANCE").unwrap().field().unwrap().codec,
        Codec::Zoned {
            digits: 9,
            scale: 2,
            signed: true,
            sign: SignPosition::LeadingSeparate
        }
    );
    assert_eq!(r.find("MB-RATE").unwrap().field().unwrap().codec.scale(), 4);
    assert!(r.find("MB-BIRTH-PARTS").unwrap().in_redefines);
}

fn mibun_value(n_jiko: usize, seq: i128) -> Value {
    let jiko: Vec<Value> = (0..n_jiko)
        .map(|k| {
            Value::group([
                ("MB-JIKO-CD", Value::text(format!("J{k:02}"))),
                ("MB-JIKO-YMD", Value::int(20200101 + k as i128)),
                ("MB-JIKO-TEXT", Value::text(["出生", "婚姻", "転籍"][k % 3])),
            ])
        })
        .collect();
    Value::group([
        ("MB-REC-KBN", Value::text("M")),
        ("MB-KOSEKI-NO", Value::int(1234)),
        ("MB-KOJIN-NO", Value::int(-987654321)),
        (
            "MB-SHIMEI",
            Value::group([
                ("MB-UJI", Value::text("山田")),
                ("MB-MEI", Value::text("花子")),
            ]),
        ),
        ("MB-KANA", Value::text("ﾔﾏﾀﾞ ﾊﾅｺ")),
        ("MB-SEIBETSU", Value::text("2")),
        ("MB-BIRTH-YMD", Value::int(19991231)),
        ("MB-ZOKUGARA", Value::text("01")),
        ("MB-TESURYO", Value::Number("450.00".parse().unwrap())),
        ("MB-BALANCE", Value::Number("-1234567.89".parse().unwrap())),
        ("MB-RATE", Value::Number("0.0125".parse().unwrap())),
        ("MB-SEQ", Value::int(seq)),
        (
            "MB-FLAGS",
            Value::Array(vec![Value::text("Y"), Value::text("N"), Value::text("")]),
        ),
        ("MB-JIKO-CNT", Value::int(n_jiko as i128)),
        ("MB-JIKO", Value::Array(jiko)),
    ])
}

/// Two RDW records (ODO of 2 and 0), dumped to JSON lines: the golden file pins the output
/// (REDEFINES shows both views; FILLER is left out; the 66 RENAMES is not repeated).
#[test]
fn golden_dump_of_variable_records() {
    let layout = parse_copybook(&testdata("mibun.cpy"), SourceFormat::Auto).unwrap();
    let enc = Encoding::by_name("jef").unwrap();
    let mut w = RecordWriter::new(&layout.records[0], &enc);
    w.pad_to = None; // variable length: records end after the last OCCURS element
    let mut file = Vec::new();
    for (n, seq) in [(2usize, 1i128), (0, 2)] {
        let rec = w.write(&mibun_value(n, seq)).unwrap();
        assert_eq!(rec.len(), 114 + 27 * n);
        file.extend_from_slice(&((rec.len() + 4) as u16).to_be_bytes());
        file.extend_from_slice(&[0, 0]);
        file.extend_from_slice(&rec);
    }
    let spec = ReadSpec {
        rdw: true,
        ..ReadSpec::default()
    };
    let plan = Plan::new(&layout, &enc, &spec).unwrap();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let s = dump(&plan, &file, &DumpOptions::default(), &mut out, &mut |e| {
        errors.push(e.clone())
    })
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(s.written, 2);
    let got = String::from_utf8(out).unwrap();
    let path = format!("{}/testdata/mibun.golden.jsonl", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    assert_eq!(
        got,
        testdata("mibun.golden.jsonl"),
        "UPDATE_GOLDEN=1 rewrites the golden file"
    );

    // The library API gives the same values, typed.
    let result = read_all(&plan, &file, DecodeOptions::default());
    assert!(result.errors.is_empty());
    let v = &result.records[0].value;
    assert_eq!(
        v.path("MB-SHIMEI.MB-UJI").and_then(Value::as_text),
        Some("山田")
    );
    assert_eq!(
        v.path("MB-BIRTH-PARTS.MB-BIRTH-MM")
            .and_then(Value::as_number)
            .map(|d| d.to_string()),
        Some("12".into())
    );
    assert_eq!(
        v.path("MB-JIKO.1.MB-JIKO-TEXT").and_then(Value::as_text),
        Some("婚姻")
    );
    assert_eq!(result.records[1].number, 2);
    assert_eq!(result.records[1].offset, 4 + 114 + 54 + 4);
}

#[test]
fn odo_count_out_of_range_is_a_problem_naming_the_field() {
    let layout = parse_copybook(&testdata("mibun.cpy"), SourceFormat::Auto).unwrap();
    let enc = Encoding::by_name("jef").unwrap();
    let rec = RecordWriter::new(&layout.records[0], &enc)
        .write(&mibun_value(1, 1))
        .unwrap();
    let mut bad = rec.clone();
    bad[112..114].copy_from_slice(&11i16.to_be_bytes());
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).unwrap();
    let result = read_all(&plan, &bad, DecodeOptions::default());
    assert_eq!(result.records.len(), 0);
    assert_eq!(result.errors[0].field.as_deref(), Some("MB-JIKO"));
    assert_eq!(result.errors[0].offset, 114);
    assert!(
        result.errors[0].message.contains("11"),
        "{}",
        result.errors[0].message
    );
}

#[test]
fn csv_dump_of_fixed_records() {
    let layout = parse_copybook(&testdata("mibun.cpy"), SourceFormat::Auto).unwrap();
    let enc = Encoding::by_name("jef").unwrap();
    let rec = RecordWriter::new(&layout.records[0], &enc)
        .write(&mibun_value(1, 7))
        .unwrap();
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).unwrap();
    let mut out = Vec::new();
    let opts = DumpOptions {
        format: Format::Csv,
        ..DumpOptions::default()
    };
    dump(&plan, &rec, &opts, &mut out, &mut |e| panic!("{e}")).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("MB-REC-KBN,MB-KOSEKI-NO,MB-KOJIN-NO,MB-UJI,MB-MEI,"),
        "{header}"
    );
    assert!(
        header.contains("MB-FLAGS_1,MB-FLAGS_2,MB-FLAGS_3,MB-JIKO-CNT,MB-JIKO_1.MB-JIKO-CD"),
        "{header}"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with("M,1234,-987654321,山田,花子,ﾔﾏﾀﾞ ﾊﾅｺ,2,19991231,1999,12,31,01,450.00,-1234567.89,0.0125,7,Y,N,,1,J00,20200101,出生,"), "{row}");
}
