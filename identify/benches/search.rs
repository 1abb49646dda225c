//! Time of one glyph query against all MJ references (the cached 64 px index and the 24-dot
//! index; each is built first if absent, which is not timed). Run with
//! `cargo bench -p identify --bench search`; `bench/identify.sh` measures accuracy.
use identify::font_build::Bitmap;
use identify::glyph::FontData;
use identify::index::{RefIndex, RenderStyle, binarise};

fn main() {
    divan::main();
}

/// Glyphs drawn from 花園明朝A (not the reference font), every 997th mapped ideograph.
fn queries(size: usize, dots: bool) -> Vec<Bitmap> {
    let data = FontData::load(
        std::path::Path::new("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
        0,
    )
    .expect("fonts-hanazono");
    let f = data.font().expect("font");
    f.mapped_codepoints()
        .into_iter()
        .filter(|(c, _)| *c >= 0x4E00)
        .step_by(997)
        .take(16)
        .map(|(_, g)| {
            let mut bm = f.raster(g, size);
            if dots {
                binarise(&mut bm);
            }
            bm
        })
        .collect()
}

fn bench_style(b: divan::Bencher, style: RenderStyle) {
    let ix = RefIndex::open(
        &moji::refdata::ipamj_font_path(),
        &moji::refdata::mojidata_db_path(),
        style,
        &|_, _| {},
    )
    .expect("index");
    let qs = queries(style.size, style.binary);
    let font = ix.font().font().expect("font");
    let mut i = 0;
    b.bench_local(|| {
        i = (i + 1) % qs.len();
        divan::black_box(ix.search(&font, &qs[i], 10))
    });
}

#[divan::bench(sample_count = 64)]
fn query_64px(b: divan::Bencher) {
    bench_style(b, RenderStyle::DEFAULT);
}

#[divan::bench(sample_count = 64)]
fn query_24dots(b: divan::Bencher) {
    bench_style(
        b,
        RenderStyle {
            size: 24,
            binary: true,
        },
    );
}
