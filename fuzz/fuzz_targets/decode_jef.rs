//! The jef decoder never panics on any bytes, strict and lenient agree on the first undefined
//! code, and a clean decode survives encode → decode (see moji::fuzzing).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    moji::fuzzing::check_decoders(moji::CodePage::Jef, data);
});
