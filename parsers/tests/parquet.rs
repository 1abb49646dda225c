//! Parquet output (only with the `parquet` feature): the Arrow schema follows the layout
//! (groups as Struct, OCCURS as List, exact decimals), and what the parquet crate reads back
//! is exactly the JSON lines dump.
#![cfg(feature = "parquet")]

use std::sync::Arc;

use arrow_array::{Array, Decimal128Array, ListArray, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parsers::dump::{DumpOptions, dump};
use parsers::{
    Decimal, Encoding, Layout, Plan, ReadSpec, RecordWriter, SourceFormat, Value, parse_copybook,
};

const FAMILY: &str = "01 FAM-REC.
 05 FAM-NO PIC 9(5).
 05 SHIMEI.
  10 UJI PIC N(4).
  10 MEI PIC N(4).
 05 CODE-X PIC X(4).
 05 CODE-N REDEFINES CODE-X PIC 9(4).
 05 FILLER PIC X(2).
 05 AMT PIC S9(7)V99 COMP-3.
 05 CNT PIC S9(4) COMP.
 05 FILLER.
  10 KANA PIC X(6).
 05 FLAGS PIC X OCCURS 3.
 05 MEMBER-COUNT PIC 9.
 05 MEMBER OCCURS 0 TO 3 DEPENDING ON MEMBER-COUNT.
  10 MEMBER-NAME PIC N(3).
  10 EVENT-COUNT PIC 9.
  10 EVENT OCCURS 0 TO 2 DEPENDING ON EVENT-COUNT.
   15 EVENT-YMD PIC 9(8).
   15 EVENT-AMT PIC S9(3)V9 COMP-3.
 66 NAME-ALL RENAMES UJI THRU MEI.
 66 FAM-ID RENAMES FAM-NO.
";

fn member(name: &str, events: &[(i128, i128)]) -> Value {
    Value::group([
        ("MEMBER-NAME", Value::text(name)),
        ("EVENT-COUNT", Value::int(events.len() as i128)),
        (
            "EVENT",
            Value::Array(
                events
                    .iter()
                    .map(|&(ymd, amt)| {
                        Value::group([
                            ("EVENT-YMD", Value::int(ymd)),
                            ("EVENT-AMT", Value::Number(Decimal::new(amt, 1))),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

fn family_file(layout: &Layout, enc: &Encoding) -> Vec<u8> {
    let w = RecordWriter::new(&layout.records[0], enc);
    let mut data = Vec::new();
    let recs = [
        (
            1,
            "山田",
            "太郎",
            "1234",
            -1250,
            3,
            vec![
                member("一郎", &[(20200101, -125)]),
                member("花子", &[]),
                member("", &[(19991231, 9999), (20000101, 0)]),
            ],
        ),
        (2, "佐藤", "", "AB12", 999_999_999, -1, vec![]),
    ];
    for (no, uji, mei, code, amt, cnt, members) in recs {
        let v = Value::group([
            ("FAM-NO", Value::int(no)),
            (
                "SHIMEI",
                Value::group([("UJI", Value::text(uji)), ("MEI", Value::text(mei))]),
            ),
            ("CODE-X", Value::text(code)),
            ("AMT", Value::Number(Decimal::new(amt, 2))),
            ("CNT", Value::int(cnt)),
            ("KANA", Value::text("ﾔﾏﾀﾞ")),
            (
                "FLAGS",
                Value::Array(vec![Value::text("Y"), Value::text("\""), Value::text("")]),
            ),
            ("MEMBER-COUNT", Value::int(members.len() as i128)),
            ("MEMBER", Value::Array(members)),
        ]);
        data.extend(w.write(&v).unwrap());
    }
    data
}

/// A Parquet value as the JSON lines write it (numbers exact at the column's scale).
fn json_of(col: &dyn Array, i: usize, out: &mut Vec<u8>) {
    if col.is_null(i) {
        out.extend_from_slice(b"null");
        return;
    }
    match col.data_type() {
        DataType::Utf8 => {
            let a = col.as_any().downcast_ref::<StringArray>().unwrap();
            parsers::value::write_json_str(a.value(i), out);
        }
        DataType::Decimal128(_, s) => {
            let a = col.as_any().downcast_ref::<Decimal128Array>().unwrap();
            Decimal::new(a.value(i), *s as i32).write_to(out);
        }
        DataType::Struct(fields) => {
            let a = col.as_any().downcast_ref::<StructArray>().unwrap();
            out.push(b'{');
            for (k, f) in fields.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                parsers::value::write_json_str(f.name(), out);
                out.push(b':');
                json_of(a.column(k).as_ref(), i, out);
            }
            out.push(b'}');
        }
        DataType::List(_) => {
            let a = col.as_any().downcast_ref::<ListArray>().unwrap();
            let v = a.value(i);
            out.push(b'[');
            for j in 0..v.len() {
                if j > 0 {
                    out.push(b',');
                }
                json_of(v.as_ref(), j, out);
            }
            out.push(b']');
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// Reads a Parquet file's bytes back with the parquet crate's reader.
fn read_back(bytes: Vec<u8>) -> Vec<RecordBatch> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "parsers-parquet-{}-{}.parquet",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, bytes).unwrap();
    let batches = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect();
    std::fs::remove_file(&path).ok();
    batches
}

#[test]
fn parquet_read_back_equals_the_json_lines_dump() {
    let layout = parse_copybook(FAMILY, SourceFormat::Free).unwrap();
    let enc = Encoding::by_name("jef").unwrap();
    let data = family_file(&layout, &enc);
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).unwrap();
    let mut jsonl = Vec::new();
    dump(
        &plan,
        &data,
        &DumpOptions::default(),
        &mut jsonl,
        &mut |e| panic!("{e}"),
    )
    .unwrap();
    let mut pq = Vec::new();
    let s = parsers::dump_parquet(&plan, &data, &DumpOptions::default(), &mut pq, &mut |e| {
        panic!("{e}")
    })
    .unwrap();
    assert_eq!(s.written, 2);
    let mut back = Vec::new();
    for b in read_back(pq) {
        let row = StructArray::from(b);
        for i in 0..row.len() {
            json_of(&row, i, &mut back);
            back.push(b'\n');
        }
    }
    let back = String::from_utf8(back).unwrap();
    assert_eq!(back, String::from_utf8(jsonl).unwrap());
    // What was compared holds every shape: nested tables, a null REDEFINES view, RENAMES.
    for part in [
        r#""EVENT":[{"EVENT-YMD":20200101,"EVENT-AMT":-12.5}]"#,
        r#""EVENT-COUNT":0,"EVENT":[]"#,
        r#""CODE-N":null"#,
        r#""FLAGS":["Y","\"",""]"#,
        r#""NAME-ALL":{"UJI":"山田","MEI":"太郎"},"FAM-ID":1}"#,
    ] {
        assert!(back.contains(part), "{part} not in {back}");
    }
}

#[test]
fn parquet_schema_nests_groups_and_tables() {
    let layout = parse_copybook(FAMILY, SourceFormat::Free).unwrap();
    let (schema, _) = parsers::parquet_out::arrow_schema(&layout.records);
    let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "FAM-NO",
            "SHIMEI",
            "CODE-X",
            "CODE-N",
            "AMT",
            "CNT",
            "KANA",
            "FLAGS",
            "MEMBER-COUNT",
            "MEMBER",
            "NAME-ALL",
            "FAM-ID"
        ]
    );
    assert_eq!(
        schema.field_with_name("AMT").unwrap().data_type(),
        &DataType::Decimal128(9, 2)
    );
    let utf8 = |n: &str| Field::new(n, DataType::Utf8, true);
    assert_eq!(
        schema.field_with_name("SHIMEI").unwrap().data_type(),
        &DataType::Struct(vec![utf8("UJI"), utf8("MEI")].into())
    );
    assert_eq!(
        schema.field_with_name("FLAGS").unwrap().data_type(),
        &DataType::List(Arc::new(utf8("element")))
    );
    let DataType::List(member) = schema.field_with_name("MEMBER").unwrap().data_type() else {
        panic!("MEMBER is not a list");
    };
    let DataType::Struct(fields) = member.data_type() else {
        panic!("MEMBER's element is not a struct");
    };
    assert_eq!(fields[2].name(), "EVENT");
    assert!(matches!(fields[2].data_type(), DataType::List(_)));
    // Read back, values are exact: -12.50 at scale 2, the REDEFINES view that does not decode
    // is null.
    let enc = Encoding::by_name("jef").unwrap();
    let data = family_file(&layout, &enc);
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).unwrap();
    let mut pq = Vec::new();
    parsers::dump_parquet(&plan, &data, &DumpOptions::default(), &mut pq, &mut |e| {
        panic!("{e}")
    })
    .unwrap();
    let b = &read_back(pq)[0];
    let amt = b
        .column_by_name("AMT")
        .unwrap()
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    assert_eq!(amt.value(0), -1250);
    assert_eq!(amt.value_as_string(1), "9999999.99");
    assert!(b.column_by_name("CODE-N").unwrap().is_null(1));
    assert!(!b.column_by_name("CODE-N").unwrap().is_null(0));
}
