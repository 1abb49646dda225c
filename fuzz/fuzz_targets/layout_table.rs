//! The layout-table reader never panics on any CSV/TSV text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parsers::table::parse_layout_table(text, b',');
    let _ = parsers::table::parse_layout_table(text, b'\t');
});
