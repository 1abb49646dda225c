//! Gaiji pictures (PNG, BMP, TIFF): decoding and feature extraction must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bm) = identify::image_io::decode_image(std::path::Path::new("fuzz.png"), data) {
        let _ = identify::features::extract(&bm, identify::features::FeatureSpec::COARSE);
    }
});
