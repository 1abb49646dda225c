//! Layout idioms on a realistic copybook, golden dumps, and readers over whole files.

use parsers::dump::{DumpOptions, Format, dump};
use parsers::{
    Codec, DecodeOptions, Encoding, Plan, ReadSpec, RecordWriter, SignPosition, SourceFormat,
    Value, parse_copybook, read_all,
};

fn testdata(name: &str) -> String {
    std::fs::read_to_string(format!("{}/testdata/{name}", manifest_dir())).unwrap()
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
    let path = format!("{}/testdata/mibun.golden.jsonl", manifest_dir());
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

/// Families with members, each member with its own events: an OCCURS DEPENDING ON inside an
/// OCCURS DEPENDING ON (and inside a fixed OCCURS), offsets worked out record by record.
const NESTED_ODO: &str = "01 FAM-REC.
 05 FAM-NO PIC 9(3).
 05 MEMBER-COUNT PIC 9(1).
 05 MEMBER OCCURS 1 TO 3 DEPENDING ON MEMBER-COUNT.
  10 MEMBER-NAME PIC X(4).
  10 EVENT-COUNT PIC 9(1).
  10 EVENT OCCURS 0 TO 4 DEPENDING ON EVENT-COUNT.
   15 EVENT-YMD PIC 9(8).
   15 EVENT-CD PIC X(2).
 05 TRAILER-MARK PIC X(3).
";

fn rdw(body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 4) as u16).to_be_bytes().to_vec();
    v.extend([0, 0]);
    v.extend_from_slice(body);
    v
}

#[test]
fn nested_odo_offsets_per_record() {
    let layout = parse_copybook(NESTED_ODO, SourceFormat::Free).unwrap();
    let rec = &layout.records[0];
    assert_eq!(rec.max_len, 3 + 1 + 3 * (4 + 1 + 4 * 10) + 3);
    assert_eq!(rec.min_len, 3 + 1 + 5 + 3);
    let enc = Encoding::ascii();
    let mut data = rdw(b"0012ANNA120200101ABBOB 0END");
    data.extend(rdw(b"0021CARL21999123101200001020XEND"));
    let spec = ReadSpec {
        rdw: true,
        ..ReadSpec::default()
    };
    let plan = Plan::new(&layout, &enc, &spec).unwrap();
    let mut out = Vec::new();
    dump(&plan, &data, &DumpOptions::default(), &mut out, &mut |e| {
        panic!("{e}")
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"{"FAM-NO":1,"MEMBER-COUNT":2,"MEMBER":[{"MEMBER-NAME":"ANNA","EVENT-COUNT":1,"EVENT":[{"EVENT-YMD":20200101,"EVENT-CD":"AB"}]},{"MEMBER-NAME":"BOB","EVENT-COUNT":0,"EVENT":[]}],"TRAILER-MARK":"END"}"#,
            "\n",
            r#"{"FAM-NO":2,"MEMBER-COUNT":1,"MEMBER":[{"MEMBER-NAME":"CARL","EVENT-COUNT":2,"EVENT":[{"EVENT-YMD":19991231,"EVENT-CD":"01"},{"EVENT-YMD":20000102,"EVENT-CD":"0X"}]}],"TRAILER-MARK":"END"}"#,
            "\n"
        )
    );
    // The writer places the elements the same way: decoded values write back to the bytes.
    let result = read_all(&plan, &data, DecodeOptions::default());
    let mut w = RecordWriter::new(rec, &enc);
    w.pad_to = None;
    for r in &result.records {
        assert_eq!(w.write(&r.value).unwrap(), r.bytes);
    }
}

#[test]
fn nested_odo_in_a_fixed_table_and_its_problems() {
    let layout = parse_copybook(
        "01 R.\n 05 SLOT OCCURS 2.\n  10 N PIC 9.\n  10 V PIC X(2) OCCURS 0 TO 3 DEPENDING ON N.\n 05 TAIL PIC X(2).\n",
        SourceFormat::Free,
    )
    .unwrap();
    let enc = Encoding::ascii();
    let spec = ReadSpec {
        rdw: true,
        ..ReadSpec::default()
    };
    let plan = Plan::new(&layout, &enc, &spec).unwrap();
    let result = read_all(&plan, &rdw(b"2aabb0zz"), DecodeOptions::default());
    assert_eq!(
        result.records[0].value.to_json(),
        r#"{"SLOT":[{"N":2,"V":["aa","bb"]},{"N":0,"V":[]}],"TAIL":"zz"}"#
    );
    // The second element's count is out of range: named with its element, at its offset.
    let result = read_all(&plan, &rdw(b"1aa7bbccddzz"), DecodeOptions::default());
    assert_eq!(result.records.len(), 0);
    let e = &result.errors[0];
    assert_eq!(e.field.as_deref(), Some("SLOT(2).V"));
    assert_eq!(e.offset, 4 + 4);
    assert!(e.message.contains("is 7"), "{}", e.message);
}

#[test]
fn odo_object_inside_another_table_is_refused() {
    let err = parse_copybook(
        "01 R.\n 05 G OCCURS 2.\n  10 N PIC 9.\n 05 V PIC X OCCURS 0 TO 3 DEPENDING ON N.\n",
        SourceFormat::Free,
    )
    .unwrap_err();
    assert!(err.to_string().contains("inside a table"), "{err}");
}

#[test]
fn renames_are_decoded_as_their_own_keys() {
    let layout = parse_copybook(
        "01 R.
 05 KIND PIC X.
 05 NAME-PARTS.
  10 UJI PIC X(3).
  10 MEI PIC X(3).
 05 BIRTH PIC 9(8).
 05 BIRTH-PARTS REDEFINES BIRTH.
  10 BIRTH-YYYY PIC 9(4).
  10 BIRTH-MMDD PIC 9(4).
 05 FILLER PIC X.
 05 AMOUNT PIC S9(3) COMP-3.
 05 TAIL PIC X.
 66 SHIMEI RENAMES UJI THRU MEI.
 66 YEAR RENAMES BIRTH-YYYY.
 66 NAMES RENAMES NAME-PARTS.
 66 BODY RENAMES NAME-PARTS THRU AMOUNT.
",
        SourceFormat::Free,
    )
    .unwrap();
    let rec = &layout.records[0];
    assert_eq!(rec.renames[3].span(), Some((1, 1 + 6 + 8 + 1 + 2)));
    let data = b"KABCDEF19991231x\x12\x3DZ";
    let enc = Encoding::ascii();
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).unwrap();
    let mut out = Vec::new();
    dump(&plan, data, &DumpOptions::default(), &mut out, &mut |e| {
        panic!("{e}")
    })
    .unwrap();
    let own = r#"{"KIND":"K","NAME-PARTS":{"UJI":"ABC","MEI":"DEF"},"BIRTH":19991231,"BIRTH-PARTS":{"BIRTH-YYYY":1999,"BIRTH-MMDD":1231},"AMOUNT":-123,"TAIL":"Z""#;
    let renames = concat!(
        r#""SHIMEI":{"UJI":"ABC","MEI":"DEF"},"YEAR":1999,"NAMES":{"UJI":"ABC","MEI":"DEF"},"#,
        r#""BODY":{"NAME-PARTS":{"UJI":"ABC","MEI":"DEF"},"BIRTH":19991231,"#,
        r#""BIRTH-PARTS":{"BIRTH-YYYY":1999,"BIRTH-MMDD":1231},"AMOUNT":-123}}"#
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("{own},{renames}\n")
    );
    // The walker (library callers) gives the same keys.
    let v = read_all(&plan, data, DecodeOptions::default()).records[0]
        .value
        .clone();
    assert_eq!(
        v.path("BODY.AMOUNT")
            .and_then(Value::as_number)
            .map(|d| d.to_string()),
        Some("-123".into())
    );
    // A bad byte is reported once, for the record's own field.
    let mut bad = data.to_vec();
    bad[2] = 0x80;
    let r = read_all(&plan, &bad, DecodeOptions::default());
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].field.as_deref(), Some("NAME-PARTS.UJI"));
}

#[test]
fn renames_that_cannot_be_placed_are_refused_with_their_line() {
    for (src, says) in [
        (
            "01 R.\n 05 T PIC X OCCURS 3.\n 05 U PIC X.\n 66 X RENAMES T.\n",
            "OCCURS",
        ),
        (
            "01 R.\n 05 N PIC 9.\n 05 T PIC X OCCURS 1 TO 3 DEPENDING ON N.\n 05 U PIC X.\n 66 X RENAMES N THRU U.\n",
            "moves",
        ),
        (
            "01 R.\n 05 A PIC X.\n 05 B PIC X.\n 66 X RENAMES B THRU A.\n",
            "ends before",
        ),
        ("01 R.\n 05 A PIC X.\n 66 X RENAMES NOPE.\n", "no item NOPE"),
    ] {
        let e = parse_copybook(src, SourceFormat::Free).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
        assert!(e.to_string().contains("66 X RENAMES"), "{e}");
        assert_eq!(e.line, src.lines().count(), "{e}");
    }
}

/// The package folder of *this* run (cargo sets it when it runs a test), not the one the test
/// was compiled in: a shared build folder may hold a test built from another checkout.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
