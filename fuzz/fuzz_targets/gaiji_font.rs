//! A gaiji font given as input: reading its private-use glyphs (outline and raster) must
//! never panic, and building a font back from what was read must not either.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.ttf");
    if let Ok(gaiji) = identify::input::read_font_bytes(path, data.to_vec()) {
        let glyphs: Vec<_> = gaiji
            .iter()
            .filter_map(|g| {
                let (c, upem) = g.outline.clone()?;
                let cp = u32::from_str_radix(&g.code, 16).ok()?;
                let mut gg = identify::font_build::GaijiGlyph::new(cp, identify::font_build::GlyphShape::Outline(c));
                gg.source_upem = upem;
                Some(gg)
            })
            .collect();
        let _ = identify::font_build::build_ttf(&identify::font_build::FontInfo::new("fuzz"), &glyphs);
    }
});
