//! The record reader and decoder never panic on any bytes (fixed and RDW framing, record
//! types, OCCURS DEPENDING ON, every codec), and every problem lies inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use parsers::{DecodeOptions, Encoding, Plan, ReadSpec, SourceFormat, parse_copybook, read_all};

const CPY: &str = "01 HDR.\n 05 K PIC X VALUE 'H'.\n 05 D PIC 9(8).\n 05 P REDEFINES D PIC X(8).\n\
01 DTL.\n 05 K PIC X VALUE 'D'.\n 05 N PIC 9.\n 05 T OCCURS 0 TO 9 DEPENDING ON N.\n  10 A PIC S9(3)V9 COMP-3.\n  10 B PIC N(2).\n  10 C PIC S9(4) COMP.\n 05 Z PIC S9(3) SIGN LEADING SEPARATE.\n\
01 NUM.\n 05 K PIC X VALUE 'N'.\n 05 Q PIC S9(5) COMP-3.\n 05 R PIC S9(4) BINARY.\n";

fuzz_target!(|data: &[u8]| {
    let layout = parse_copybook(CPY, SourceFormat::Free).expect("fixture copybook");
    for enc in ["jef", "ibm930", "cp932"] {
        let enc = Encoding::by_name(enc).expect("encoding");
        for rdw in [false, true] {
            let spec = ReadSpec { rdw, ..ReadSpec::default() };
            let plan = Plan::new(&layout, &enc, &spec).expect("plan");
            let result = read_all(&plan, data, DecodeOptions::default());
            for e in &result.errors {
                assert!(e.offset <= data.len(), "{e}");
            }
        }
    }
});
