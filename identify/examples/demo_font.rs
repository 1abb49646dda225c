//! Writes a small gaiji font from three IPAmj明朝 glyphs (outlines) and one bitmap, to show
//! the font builder: `cargo run -p identify --example demo_font -- OUT.ttf`.
use identify::font_build::{FontInfo, GaijiGlyph, GlyphShape, build_ttf};
use identify::glyph::FontData;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "demo.ttf".into());
    let data = FontData::load(&moji::refdata::ipamj_font_path(), 0).expect("IPAmj明朝");
    let font = data.font().expect("parse");
    let mut glyphs = Vec::new();
    for (i, name) in ["mj000007", "mj000008", "mj010001"].iter().enumerate() {
        let gid = font.glyph_by_name(name).expect("glyph");
        let mut g = GaijiGlyph::new(0xE000 + i as u32, GlyphShape::Outline(font.outline(gid)));
        g.source_upem = font.units_per_em();
        glyphs.push(g);
    }
    let gid = font.glyph_by_name("mj010001").expect("glyph");
    glyphs.push(GaijiGlyph::new(
        0xF0000,
        GlyphShape::Bitmap(font.raster(gid, 24)),
    ));
    let ttf = build_ttf(&FontInfo::new("Koseki Demo Gaiji"), &glyphs).expect("build");
    std::fs::write(&out, ttf).expect("write");
}
