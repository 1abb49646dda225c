//! Accuracy probe used while tuning (the committed benchmark is `bench/identify.sh`):
//! `cargo run -p identify --example eval -- FONT FACE N SIZE [binary]`
use identify::glyph::FontData;
use identify::index::RefIndex;
use std::path::PathBuf;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let font = PathBuf::from(&a[1]);
    let face: u32 = a[2].parse().unwrap();
    let n: usize = a[3].parse().unwrap();
    let size: usize = a[4].parse().unwrap();
    let binary = a.get(5).is_some_and(|s| s == "binary");
    let style = identify::index::RenderStyle {
        size: if size <= 48 { size } else { 64 },
        binary,
    };
    let ix = RefIndex::open(
        &moji::refdata::ipamj_font_path(),
        &moji::refdata::mojidata_db_path(),
        style,
        &|_, _| {},
    )
    .unwrap();
    eprintln!(
        "index: {} entries, built in {:.1}s",
        ix.len(),
        ix.build_seconds
    );
    let ucs: std::collections::HashSet<u32> = ix.entries.iter().filter_map(|e| e.ucs).collect();
    let data = FontData::load(&font, face).unwrap();
    let f = data.font().unwrap();
    let cps: Vec<(u32, identify::glyph::GlyphId)> = f
        .mapped_codepoints()
        .into_iter()
        .filter(|(c, _)| ucs.contains(c) && (*c >= 0x3400))
        .collect();
    let step = (cps.len() / n).max(1);
    let reff = ix.font().font().unwrap();
    let (mut t1, mut t10, mut total) = (0, 0, 0);
    let t0 = std::time::Instant::now();
    let mut misses = Vec::new();
    for &(cp, gid) in cps.iter().step_by(step).take(n) {
        let mut bm = f.raster(gid, size);
        if binary {
            identify::index::binarise(&mut bm);
        }
        let c = ix.search(&reff, &bm, 10);
        total += 1;
        if c.first()
            .is_some_and(|c| ix.entries[c.entry].ucs == Some(cp))
        {
            t1 += 1;
        } else {
            let rank = c.iter().position(|c| ix.entries[c.entry].ucs == Some(cp));
            misses.push(format!(
                "{} got {} rank {:?}",
                char::from_u32(cp).unwrap(),
                c.first()
                    .map(|c| ix.entries[c.entry].text())
                    .unwrap_or_default(),
                rank.map(|r| r + 1)
            ));
        }
        if c.iter().any(|c| ix.entries[c.entry].ucs == Some(cp)) {
            t10 += 1;
        }
    }
    let el = t0.elapsed().as_secs_f64();
    println!(
        "{} size {} binary {}: n={} top1={:.3} top10={:.3} {:.2} ms/query",
        a[1],
        size,
        binary,
        total,
        t1 as f64 / total as f64,
        t10 as f64 / total as f64,
        el * 1000.0 / total as f64
    );
    for m in misses.iter().take(15) {
        println!("  {m}");
    }
}
