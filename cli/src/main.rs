//! `koseki`: the command line. It only parses arguments and wires library calls together;
//! every piece of real work lives in a library crate (see ARCHITECTURE.md).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod progress;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Migrate a city's family register (戸籍) and 戸籍の附票 out of a legacy vendor system,
/// identify every legacy character, and run the register after cutover.
#[derive(Parser)]
#[command(name = "koseki", version, about, long_about = None)]
struct Cli {
    /// No progress bars (they are also off when stderr is not a terminal).
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a synthetic vendor dataset (the reference city by default).
    Sample(cmd::sample::Args),
    /// Decode bytes on stdin from a legacy code page to UTF-8 on stdout.
    Decode(cmd::decode::Args),
    /// Print each record of a fixed-length file, field by field, using its layout.
    Dump(cmd::dump::Args),
    /// Identify vendor gaiji with MJ / 行政事務標準文字 characters by their glyphs (文字同定).
    Identify(cmd::identify::Args),
    /// Build a TrueType font of the gaiji that match no standard character.
    GaijiFont(cmd::gaiji_font::Args),
    /// Load a vendor dataset into the runtime store, with reconciliation reports.
    Migrate(cmd::migrate::Args),
    /// Compare two migration rounds.
    Diff(cmd::diff::Args),
    /// Run the staff web UI and services.
    Serve(cmd::serve::Args),
    /// Search persons by name and print matches as JSON lines.
    Search(cmd::search::Args),
    /// Issue a certificate (全部事項 / 個人事項 / 一部事項 / 附票の写し / 画像の謄本) as PDF.
    Certificate(cmd::certificate::Args),
    /// Set the issuing office, mayor's name and seal printed on certificates.
    Office(cmd::office::Args),
    /// Manage the store's encryption key.
    Key(cmd::key::Args),
    /// Manage staff users.
    User(cmd::user::Args),
    /// Check the tamper-evident audit log.
    Audit(cmd::audit::Args),
    /// Back up the store (two verified generations).
    Backup(cmd::backup::Args),
    /// Restore the store from a backup generation.
    Restore(cmd::restore::Args),
    /// The whole story on the default embedded store: sample → identify → migrate → serve.
    Demo(cmd::demo::Args),
}

/// No transparent huge pages for this process. mimalloc advises them on its arenas, and a
/// huge page fault may first compact memory: on the 2-core reference machine, where the page
/// cache holds the vendor files, touching a fresh GiB took 0.4–4 s that way against 0.5–0.6 s
/// in 4 KiB pages, and migrate's read phase ran a third slower.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    unsafe {
        // Failure (an old kernel) only leaves the default.
        let _ = libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version with exit 0 and usage errors with exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    progress::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Sample(a) => cmd::sample::run(a),
        Command::Decode(a) => cmd::decode::run(a),
        Command::Dump(a) => cmd::dump::run(a),
        Command::Identify(a) => cmd::identify::run(a),
        Command::GaijiFont(a) => cmd::gaiji_font::run(a),
        Command::Migrate(a) => cmd::migrate::run(a),
        Command::Diff(a) => cmd::diff::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Search(a) => cmd::search::run(a),
        Command::Certificate(a) => cmd::certificate::run(a),
        Command::Office(a) => cmd::office::run(a),
        Command::Key(a) => cmd::key::run(a),
        Command::User(a) => cmd::user::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Backup(a) => cmd::backup::run(a),
        Command::Restore(a) => cmd::restore::run(a),
        Command::Demo(a) => cmd::demo::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("koseki: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
