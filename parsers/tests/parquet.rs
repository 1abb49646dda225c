//! Parquet output (only with the `parquet` feature): the Arrow schema follows the layout and
//! the values read back exactly.
#![cfg(feature = "parquet")]

use arrow_array::{Array, Decimal128Array, StringArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parsers::dump::DumpOptions;
use parsers::{Encoding, Plan, ReadSpec, RecordWriter, SourceFormat, Value, parse_copybook};

#[test]
fn parquet_schema_and_values() {
    let layout = parse_copybook(
        "01 R.\n 05 NAME PIC N(4).\n 05 AMT PIC S9(5)V99 COMP-3.\n 05 KIDS OCCURS 2.\n  10 KID PIC X(3).\n",
        SourceFormat::Free,
    )
    .unwrap();
    let enc = Encoding::by_name("jef").unwrap();
    let w = RecordWriter::new(&layout.records[0], &enc);
    let mut data = Vec::new();
    for (name, amt) in [("山田", "-12.50"), ("花子", "99999.99")] {
        data.extend(
            w.write(&Value::group([
                ("NAME", Value::text(name)),
                ("AMT", Value::Number(amt.parse().unwrap())),
                (
                    "KIDS",
                    Value::Array(vec![Value::group([("KID", Value::text("A"))])]),
                ),
            ]))
            .unwrap(),
        );
    }
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).unwrap();
    let path = std::env::temp_dir().join(format!("parsers-parquet-{}.parquet", std::process::id()));
    let f = std::fs::File::create(&path).unwrap();
    let s = parsers::dump_parquet(&plan, &data, &DumpOptions::default(), f, &mut |e| {
        panic!("{e}")
    })
    .unwrap();
    assert_eq!(s.written, 2);
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    std::fs::remove_file(&path).ok();
    let b = &batches[0];
    let schema = b.schema();
    let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["NAME", "AMT", "KIDS_1.KID", "KIDS_2.KID"]);
    assert_eq!(schema.field(1).data_type(), &DataType::Decimal128(7, 2));
    let name = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(name.value(1), "花子");
    let amt = b
        .column(1)
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    assert_eq!(amt.value(0), -1250);
    assert_eq!(amt.value_as_string(1), "99999.99");
    let kid2 = b.column(3).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(kid2.value(0), "");
    assert!(!kid2.is_null(0));
}
