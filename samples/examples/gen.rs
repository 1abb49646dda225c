//! `cargo run -p samples --example gen -- DIR PERSONS IMAGES [faults]`: writes a dataset and
//! prints each phase's start in wall-clock and process CPU seconds (the machine is shared, so
//! CPU time is the steadier figure).
fn cpu_seconds() -> f64 {
    // utime and stime (fields 14 and 15 of /proc/self/stat) in clock ticks of 1/100 s.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    if f.len() > 13 {
        (f[11] + f[12]) / 100.0
    } else {
        0.0
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let mut o = samples::Options::new(&a[1]);
    o.persons = a[2].parse().unwrap();
    o.images = samples::Images::Count(a[3].parse().unwrap());
    o.faults = a.len() > 4;
    let t = std::time::Instant::now();
    let m = samples::generate(&o, &|p| {
        eprintln!(
            "{:>8.2}s wall {:>8.2}s cpu  {p}",
            t.elapsed().as_secs_f64(),
            cpu_seconds()
        )
    })
    .unwrap();
    eprintln!(
        "{:>8.2}s wall {:>8.2}s cpu  done {:?}",
        t.elapsed().as_secs_f64(),
        cpu_seconds(),
        m.entities
    );
}
