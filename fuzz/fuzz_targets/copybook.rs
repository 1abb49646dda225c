//! The copybook parser never panics: any text gives a layout or an error with a line and
//! column inside the text; a layout it accepts has consistent offsets.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [parsers::SourceFormat::Fixed, parsers::SourceFormat::Free] {
        match parsers::parse_copybook(text, format) {
            Ok(layout) => {
                for r in &layout.records {
                    assert!(r.min_len <= r.max_len);
                    r.visit(&mut |it, _| assert!(it.offset + it.total_size() <= r.max_len, "{} past the record end", it.name));
                }
            }
            Err(e) => assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e}"),
        }
    }
});
