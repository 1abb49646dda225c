//! The record reader and decoder never panic on any bytes (fixed and RDW framing, record
//! types, OCCURS DEPENDING ON, nested tables, RENAMES, every codec), every problem lies inside
//! the input, and `dump`'s compiled JSON path gives exactly what the record walker gives.
#![no_main]
use libfuzzer_sys::fuzz_target;
use parsers::dump::{DumpOptions, dump};
use parsers::{
    DecodeOptions, Encoding, JsonSink, Plan, ReadSpec, RecordDecoder, SourceFormat, parse_copybook,
    read_all,
};

const CPY: &str = "01 HDR.\n 05 K PIC X VALUE 'H'.\n 05 D PIC 9(8).\n 05 P REDEFINES D PIC X(8).\n\
01 DTL.\n 05 K PIC X VALUE 'D'.\n 05 N PIC 9.\n 05 T OCCURS 0 TO 9 DEPENDING ON N.\n  10 A PIC S9(3)V9 COMP-3.\n  10 B PIC N(2).\n  10 C PIC S9(4) COMP.\n 05 Z PIC S9(3) SIGN LEADING SEPARATE.\n\
01 NUM.\n 05 K PIC X VALUE 'N'.\n 05 Q PIC S9(5) COMP-3.\n 05 R PIC S9(4) BINARY.\n\
01 NEST.\n 05 K PIC X VALUE 'T'.\n 05 G OCCURS 2.\n  10 M PIC 9.\n  10 V PIC X(2) OCCURS 0 TO 3 DEPENDING ON M.\n";

/// No OCCURS DEPENDING ON: `dump` takes its compiled path.
const FIXED: &str = "01 F.\n 05 A PIC X(3).\n 05 B.\n  10 C PIC N(2).\n  10 D PIC S9(3)V9 SIGN LEADING SEPARATE.\n\
 05 E REDEFINES B PIC X(9).\n 05 FILLER PIC X.\n 05 T OCCURS 2.\n  10 P PIC S9(5) COMP-3.\n  10 Z PIC 9(3)V9.\n\
 05 W PIC S9(9) COMP.\n 66 R1 RENAMES A THRU B.\n 66 R2 RENAMES W.\n";

fuzz_target!(|data: &[u8]| {
    let layout = parse_copybook(CPY, SourceFormat::Free).expect("fixture copybook");
    for enc in ["jef", "ibm930", "cp932"] {
        let enc = Encoding::by_name(enc).expect("encoding");
        for rdw in [false, true] {
            let spec = ReadSpec {
                rdw,
                ..ReadSpec::default()
            };
            let plan = Plan::new(&layout, &enc, &spec).expect("plan");
            let result = read_all(&plan, data, DecodeOptions::default());
            for e in &result.errors {
                assert!(e.offset <= data.len(), "{e}");
            }
        }
    }
    let fixed = parse_copybook(FIXED, SourceFormat::Free).expect("fixture copybook");
    for (layout, enc) in [(&fixed, "jef"), (&fixed, "cp932"), (&layout, "jef")] {
        let enc = Encoding::by_name(enc).expect("encoding");
        let plan = Plan::new(layout, &enc, &ReadSpec::default()).expect("plan");
        let mut want = Vec::new();
        let mut want_errs = Vec::new();
        for raw in plan.records(data).flatten() {
            let dec =
                RecordDecoder::new(&layout.records[raw.layout], &enc, DecodeOptions::default());
            let mut sink = JsonSink::new();
            let mut problems = Vec::new();
            dec.decode(raw.bytes, &mut sink, &mut problems);
            if problems.is_empty() {
                want.extend_from_slice(&sink.out);
                want.push(b'\n');
            }
            want_errs.extend(
                problems
                    .into_iter()
                    .map(|p| (raw.offset + p.offset, p.field, p.message)),
            );
        }
        let mut got = Vec::new();
        let mut got_errs = Vec::new();
        dump(&plan, data, &DumpOptions::default(), &mut got, &mut |e| {
            if let Some(f) = &e.field {
                got_errs.push((e.offset, f.clone(), e.message.clone()));
            }
        })
        .expect("dump to memory");
        assert_eq!(got, want);
        assert_eq!(got_errs, want_errs);
    }
});
