//! `koseki demo`: the whole story, step by step, as a migration engineer would type it.
//! Each step runs this same binary's own subcommand, so the demo shows exactly the commands a
//! user runs and cannot drift from them.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

#[derive(clap::Args)]
pub struct Args {
    /// Folder for the demo's files (vendor dataset, reports, store, key).
    /// Default: `$KOSEKI_HOME/demo`.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Persons in the synthetic city (default: the reference city, 80,333).
    #[arg(long)]
    persons: Option<u64>,
    /// Image registers to draw as TIFF.
    #[arg(long, default_value_t = 20)]
    images: u64,
    /// Address for the staff web UI.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: String,
    /// Stop after migrating (do not start the server).
    #[arg(long)]
    no_serve: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .unwrap_or_else(|| moji::refdata::koseki_home().join("demo"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let vendor = dir.join("vendor");
    let key = dir.join("koseki.key");
    let db = dir.join("koseki.db");
    let p = |p: &Path| p.display().to_string();

    say(
        "1/5",
        "the outgoing vendor's files (synthetic reference city)",
    );
    if vendor.exists() {
        std::fs::remove_dir_all(&vendor)
            .with_context(|| format!("clearing {}", vendor.display()))?;
    }
    let mut sample = vec![
        "sample".to_string(),
        "--out".into(),
        p(&vendor),
        "--images".into(),
        args.images.to_string(),
    ];
    if let Some(n) = args.persons {
        sample.extend(["--persons".into(), n.to_string()]);
    }
    step(&sample, &[0])?;

    say(
        "2/5",
        "文字同定: every vendor gaiji against the MJ reference set, by glyph",
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(vendor.join("manifest.json"))
            .context("reading the sample's manifest.json")?,
    )?;
    let ttf = manifest["gaiji_files"]["ttf"]
        .as_str()
        .context("manifest.json lacks gaiji_files.ttf")?;
    let tsv = dir.join("identify.tsv");
    let identify = [
        "identify",
        "--gaiji",
        &p(&vendor.join(ttf)),
        "--out",
        &p(&tsv),
        "--report",
        &p(&dir.join("identify-report")),
    ];
    // 1 = some gaiji matched nothing: they become local gaiji, listed for review.
    step(&identify.map(String::from), &[0, 1])?;

    say("3/5", "the store's encryption key and the migration");
    if !key.exists() {
        step(&["key", "init", &p(&key)].map(String::from), &[0])?;
    }
    let migrate = [
        "migrate",
        "--input",
        &p(&vendor),
        "--mapping",
        &p(&tsv),
        "--db",
        &p(&db),
        "--report",
        &p(&dir.join("migrate-report")),
        "--round",
        "demo",
        "--key-file",
        &p(&key),
    ];
    step(&migrate.map(String::from), &[0, 1])?;

    say("4/5", "a first administrator with a TOTP second factor");
    let password = "demo-password-please-change";
    let status = Command::new(std::env::current_exe()?)
        .args([
            "user",
            "add",
            "--db",
            &p(&db),
            "--key-file",
            &p(&key),
            "--user",
            "admin",
            "--role",
            "管理",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .expect("piped")
                .write_all(password.as_bytes())?;
            c.wait()
        })?;
    if !status.success() {
        eprintln!("   (user add exited {status}; the user may exist from an earlier demo run)");
    }
    println!(
        "   user: admin   password: {password}   (add the otpauth URI above to an authenticator)"
    );
    println!("   reports: {}", p(&dir.join("migrate-report/index.html")));
    println!(
        "   文字同定 review: {}",
        p(&dir.join("identify-report/index.html"))
    );

    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    say(
        "5/5",
        &format!(
            "the staff web UI on https://{}/ (Ctrl-C stops it)",
            args.listen
        ),
    );
    step(
        &[
            "serve",
            "--db",
            &p(&db),
            "--key-file",
            &p(&key),
            "--listen",
            &args.listen,
        ]
        .map(String::from),
        &[0],
    )?;
    Ok(ExitCode::SUCCESS)
}

fn say(n: &str, what: &str) {
    println!("\n== {n} {what}");
}

/// Runs `koseki ARGS`, printing the command and its time; fails unless it exits with one of `ok`.
fn step(args: &[String], ok: &[i32]) -> anyhow::Result<()> {
    println!("$ koseki {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(std::env::current_exe()?).args(args).status()?;
    println!(
        "   ({:.1} s, exit {})",
        started.elapsed().as_secs_f64(),
        status.code().unwrap_or(-1)
    );
    match status.code() {
        Some(c) if ok.contains(&c) => Ok(()),
        _ => bail!("`koseki {}` failed ({status})", args.join(" ")),
    }
}
