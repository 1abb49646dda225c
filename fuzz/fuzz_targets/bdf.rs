//! The BDF gaiji reader must never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = identify::input::read_bdf(std::path::Path::new("fuzz.bdf"), data);
});
