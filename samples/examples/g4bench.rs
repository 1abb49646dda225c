fn main() {
    let w = 4299usize;
    let h = 3035usize;
    let mut px = vec![false; w * h];
    for y in (100..3000).step_by(7) {
        for x in 200..4000 {
            if (x / 13 + y / 5) % 3 == 0 {
                px[y * w + x] = true;
            }
        }
    }
    let t = std::time::Instant::now();
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..h {
        let row = &px[y * w..(y + 1) * w];
        let _ = enc.encode_line(
            row.iter().map(|&b| {
                if b {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            }),
            w as u16,
        );
    }
    let out = match enc.finish() {
        Ok(wr) => wr.finish(),
        Err(_) => Vec::new(),
    };
    eprintln!("g4 {:?} {} bytes", t.elapsed(), out.len());
}
