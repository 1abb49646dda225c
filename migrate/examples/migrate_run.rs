//! `koseki migrate` without the CLI around it, for benchmarks and profiling (bench/migrate.sh
//! uses it when the `koseki` binary cannot be built):
//!
//!     cargo run --release -p migrate --example migrate_run -- INPUT MAPPING DB KEYFILE REPORT [--no-images]
//!
//! Prints the summary line and each phase's time.

use std::path::PathBuf;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 5 {
        eprintln!("usage: migrate_run INPUT MAPPING DB KEYFILE REPORT [--no-images]");
        std::process::exit(2);
    }
    let key = match runtime::Key::resolve(Some(std::path::Path::new(&a[3]))) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("key: {e}");
            std::process::exit(2);
        }
    };
    let opts = migrate::run::Options {
        input: PathBuf::from(&a[0]),
        mapping: PathBuf::from(&a[1]),
        db: PathBuf::from(&a[2]),
        round: "bench".into(),
        profile: migrate::profile::Profile::default_profile(),
        profile_origin: migrate::profile::DEFAULT_PROFILE_NAME.into(),
        key,
        images: !a.iter().any(|x| x == "--no-images"),
    };
    let outcome = match migrate::run::migrate(&opts, &migrate::run::NoProgress) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("migrate: {e}");
            std::process::exit(2);
        }
    };
    let report = PathBuf::from(&a[4]);
    if let Err(e) = migrate::run::write_report(&report, &opts.input, &opts.profile, &outcome.report)
    {
        eprintln!("report: {e}");
        std::process::exit(2);
    }
    let s = &outcome.report.summary;
    println!(
        "reconciled {} quarantined {} content_hash {}",
        s.reconciled, s.quarantined, s.content_hash
    );
    std::process::exit(i32::from(outcome.exit));
}
