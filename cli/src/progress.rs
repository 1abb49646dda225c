//! Progress bars that stay quiet when asked to, or when stderr is not a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// True when progress output is wanted: not `--quiet` and stderr is a terminal.
pub fn enabled() -> bool {
    !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// A bar for `len` units of work named `phase`; hidden when progress is off.
#[allow(dead_code)] // used by the longer-running commands
pub fn bar(phase: &str, len: u64) -> ProgressBar {
    if !enabled() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:40}] {pos}/{len} {per_sec} {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(phase.to_string());
    bar
}
