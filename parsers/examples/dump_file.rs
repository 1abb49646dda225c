//! `koseki dump`'s library path without the CLI around it, for the benchmark:
//! `dump_file LAYOUT DATA ENCODING` writes JSON lines to stdout, then prints MB/s to stderr.

use std::io::Write;
use std::time::Instant;

use parsers::dump::{DumpOptions, dump};
use parsers::{DataFile, Encoding, Plan, ReadSpec, load_layout};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let layout = load_layout(std::path::Path::new(&args[1])).expect("layout");
    let enc = Encoding::by_name(args.get(3).map_or("jef", |s| s.as_str())).expect("encoding");
    let plan = Plan::new(&layout, &enc, &ReadSpec::default()).expect("plan");
    let data = DataFile::open(std::path::Path::new(&args[2])).expect("data");
    let t = Instant::now();
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut errors = 0usize;
    let s = dump(
        &plan,
        data.bytes(),
        &DumpOptions::default(),
        &mut w,
        &mut |_| errors += 1,
    )
    .expect("dump");
    w.flush().expect("flush");
    let secs = t.elapsed().as_secs_f64();
    let mb = data.bytes().len() as f64 / 1e6;
    eprintln!(
        "{} records, {errors} problems, {mb:.0} MB in {secs:.2} s: {:.0} MB/s ({} threads)",
        s.records,
        mb / secs,
        rayon::current_num_threads()
    );
}
