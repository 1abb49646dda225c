fn main() {
    let a: Vec<String> = std::env::args().collect();
    let mut o = samples::Options::new(&a[1]);
    o.persons = a[2].parse().unwrap();
    o.images = samples::Images::Count(a[3].parse().unwrap());
    o.faults = a.len() > 4;
    let t = std::time::Instant::now();
    let m = samples::generate(&o, &|p| {
        eprintln!("{:>8.2}s {p}", t.elapsed().as_secs_f64())
    })
    .unwrap();
    eprintln!("{:>8.2}s done {:?}", t.elapsed().as_secs_f64(), m.entities);
}
