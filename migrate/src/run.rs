//! One migration round, start to finish: profile → read and convert → validate → images →
//! load (atomically) → content hash → report.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use reports::{
    EntityCount, FileCount, GaijiRow, ImageSummary, MigrationReport, Phase, QuarantineItem, Summary,
};

use crate::Error;
use crate::chars::CharMap;
use crate::images::{CheckedImage, check};
use crate::load::Plan;
use crate::profile::Profile;
use crate::read::{Context, ReadFile, read_file};
use crate::stage::Staged;
use crate::validate::validate;
use crate::value::{CodeTable, hex};

/// Progress reporting, one phase at a time (the CLI draws bars; tests pass [`NoProgress`]).
pub trait Progress: Sync {
    fn start(&self, phase: &str, len: u64);
    fn inc(&self, n: u64);
    fn finish(&self);
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn inc(&self, _: u64) {}
    fn finish(&self) {}
}

pub struct Options {
    pub input: PathBuf,
    pub mapping: PathBuf,
    pub db: PathBuf,
    pub round: String,
    pub profile: Profile,
    pub profile_origin: String,
    pub key: runtime::Key,
    /// Check and store image registers (TIFF).
    pub images: bool,
}

pub struct Outcome {
    pub report: MigrationReport,
    /// 0: every record loaded and every count reconciles; 1: something needs a human.
    pub exit: u8,
}

/// Run a round. Unreadable input (a missing file, a layout that does not parse, a mapping
/// that is not a 文字同定 table) is an `Err`; bad records are quarantined, never an `Err`.
pub fn migrate(opts: &Options, progress: &dyn Progress) -> Result<Outcome, Error> {
    let started = Instant::now();
    let mut phases = Vec::new();
    let mut phase = |name: &str, t: Instant, count: u64, note: String| {
        phases.push(Phase {
            name: name.to_string(),
            millis: t.elapsed().as_millis() as u64,
            count,
            note,
        });
    };
    let p = &opts.profile;
    if !opts.input.is_dir() {
        return Err(Error::Input(format!(
            "{}: not a folder",
            opts.input.display()
        )));
    }

    // 文字同定 table and code tables.
    let t = Instant::now();
    let chars = CharMap::load(&opts.mapping)?;
    let mut tables = HashMap::new();
    for (name, spec) in &p.code_tables {
        tables.insert(name.clone(), CodeTable::from_spec(name, &opts.input, spec)?);
    }
    phase(
        "mapping",
        t,
        chars.decisions.len() as u64,
        format!(
            "{} table, {} accepted decisions, {} code tables",
            chars.kind,
            chars.decisions.len(),
            tables.len()
        ),
    );

    // Read and convert every file (in parallel, one file per task).
    let t = Instant::now();
    progress.start("read", p.files.len() as u64);
    let ctx = Context {
        chars: &chars,
        tables: &tables,
    };
    let read: Vec<Result<ReadFile, Error>> = p
        .files
        .par_iter()
        .map(|spec| {
            let r = read_file(&opts.input, spec, &p.encoding, &ctx);
            progress.inc(1);
            r
        })
        .collect();
    progress.finish();
    let read: Vec<ReadFile> = read.into_iter().collect::<Result<_, _>>()?;
    let records: u64 = read.iter().map(|r| r.staged.read).sum();
    phase("read", t, records, format!("{} files", read.len()));

    // Gaiji met, before rows move: code → (local?, occurrences, persons).
    let mut gaiji: BTreeMap<u16, (bool, u64, BTreeSet<String>)> = BTreeMap::new();
    for r in &read {
        let f = &r.staged;
        for &(code, local, row) in &r.gaiji {
            let e = gaiji.entry(code).or_insert((local, 0, BTreeSet::new()));
            e.1 += 1;
            let pid = f.get(&f.rows[row], "person_id").key();
            if !pid.is_empty() && e.2.len() < 50 {
                e.2.insert(pid);
            }
        }
    }

    // The new store is set up (schema, search folding table, the old store's checks) on
    // another thread while validation runs on this one: neither needs the other.
    let begin = {
        let (db, key) = (opts.db.clone(), opts.key.clone());
        std::thread::spawn(move || runtime::bulk::BulkLoad::begin(&db, &key))
    };

    // Validate across files.
    let t = Instant::now();
    progress.start("validate", 1);
    let mut staged = Staged::default();
    for r in read {
        staged.files.push(r.staged);
    }
    let verdicts = validate(&staged, &p.rules);
    let (n_rej, n_held) = (verdicts.rejects.len(), verdicts.held.len());
    let findings = verdicts.findings;
    staged.apply(verdicts.rejects, verdicts.held, |_, _| String::new());
    // Raw bytes for rows quarantined by validation (read-time ones already carry theirs),
    // taken from the file's map.
    for f in staged.files.iter_mut() {
        let Some(decoder) = f.decoder.clone() else {
            continue;
        };
        for q in f.quarantine.iter_mut().chain(f.held.iter_mut()) {
            if q.raw_hex.is_empty() {
                q.raw_hex = hex(&decoder.raw(q.offset));
            }
        }
    }
    progress.finish();
    phase(
        "validate",
        t,
        findings.len() as u64,
        format!("{n_rej} quarantined, {n_held} held with a quarantined parent"),
    );
    let serr = |e: runtime::StoreError| Error::Input(format!("store {}: {e}", opts.db.display()));
    // The runtime's bulk load builds a new file beside the store and renames it into place
    // only once committed and hashed: a run that dies half-way leaves the old store as it was.
    let bulk = begin
        .join()
        .map_err(|_| Error::Input("store set-up panicked".into()))?
        .map_err(serr)?;

    // Images.
    let t = Instant::now();
    let mut image_problems = Vec::new();
    let mut checked: Vec<CheckedImage> = Vec::new();
    let mut image_summary = ImageSummary::default();
    if let Some(spec) = &p.images {
        let mut wanted = Vec::new();
        for (_, f) in staged.of("image_register") {
            for row in &f.rows {
                image_summary.registers += 1;
                let file = f.get(row, &spec.file_field).key();
                let has = !matches!(
                    f.get(row, "has_image"),
                    crate::value::Value::Flag { on: false }
                );
                if opts.images && has && !file.is_empty() {
                    let pages = f.get(row, &spec.pages_field).key().parse().unwrap_or(0);
                    wanted.push((f.get(row, "midashi_no").key(), file, pages));
                }
            }
        }
        progress.start("images", wanted.len() as u64);
        let (c, q) = check(&opts.input.join(&spec.dir), &wanted, &|n| progress.inc(n));
        progress.finish();
        checked = c;
        image_problems = q;
        image_summary.files_checked = checked.len() as u64;
        image_summary.pages = checked.iter().map(|c| c.pages.len() as u64).sum();
        image_summary.problems = image_problems.len() as u64;
        image_summary.stored = checked
            .iter()
            .map(|c| c.file.as_str())
            .collect::<BTreeSet<_>>()
            .len() as u64;
    }
    image_summary.millis = t.elapsed().as_millis() as u64;
    phase(
        "images",
        t,
        image_summary.pages,
        format!("{} TIFF files", image_summary.files_checked),
    );

    // Load into a new store beside the target, then move it into place: a run that dies
    // half-way leaves the previous store as it was.
    let t = Instant::now();
    let by_no: HashMap<String, &CheckedImage> =
        checked.iter().map(|c| (c.midashi_no.clone(), c)).collect();
    let n_koseki: u64 = staged.of("koseki").map(|(_, f)| f.rows.len() as u64).sum();
    progress.start("load", n_koseki);
    let store = bulk.store();
    let loaded = Plan::new(&staged, &ctx).load(store, &by_no, &|n| progress.inc(n))?;
    for (code, (local, _, _)) in &gaiji {
        if !*local {
            continue;
        }
        let png = p
            .gaiji
            .png_dir
            .as_ref()
            .and_then(|d| std::fs::read(opts.input.join(d).join(format!("{code:04X}.png"))).ok())
            .unwrap_or_default();
        let g = runtime::model::LocalGaiji {
            code_point: chars.local_of(*code),
            glyph_png: png,
            vendor: p.name.clone(),
            vendor_code: format!("{code:04X}"),
            note: chars.levels.get(code).map(|l| format!("文字同定: {l}")),
        };
        store.insert_local_gaiji(&g).map_err(serr)?;
    }
    let decisions: BTreeMap<String, String> = gaiji
        .keys()
        .map(|c| (format!("{c:04X}"), stored_notation(&chars, *c)))
        .collect();
    store.set_meta("migrate.round", &opts.round).map_err(serr)?;
    store
        .set_meta(
            "migrate.char_decisions",
            &serde_json::to_string(&decisions).unwrap_or_default(),
        )
        .map_err(serr)?;
    progress.finish();
    phase(
        "load",
        t,
        loaded.by_entity.values().sum(),
        "into the new store (the encrypted file, its pages in memory until the end)".into(),
    );
    // What each file read, loaded and set aside, for the reconciliation below.
    let mut counts: BTreeMap<String, EntityCount> = BTreeMap::new();
    let mut files = Vec::new();
    let mut quarantine: Vec<QuarantineItem> = Vec::new();
    for f in &staged.files {
        let held = f.held.len() as u64;
        let q = f.quarantine.len() as u64;
        let mut fc = EntityCount {
            source: f.trailer_count,
            read: f.read,
            loaded: f.rows.len() as u64,
            quarantined: q + held,
            reasons: BTreeMap::new(),
        };
        for item in f.quarantine.iter().chain(&f.held) {
            *fc.reasons.entry(item.kind.clone()).or_default() += 1;
        }
        for item in &f.file_problems {
            *fc.reasons.entry(item.kind.clone()).or_default() += 1;
        }
        let e = counts.entry(f.spec.entity.clone()).or_default();
        e.source = match (e.source, fc.source) {
            (Some(a), Some(b)) => Some(a + b),
            (None, b) if e.read == 0 => b,
            _ => None,
        };
        e.read += fc.read;
        e.loaded += fc.loaded;
        e.quarantined += fc.quarantined;
        for (k, v) in &fc.reasons {
            *e.reasons.entry(k.clone()).or_default() += v;
        }
        files.push(FileCount {
            file: f.spec.data.clone(),
            entity: f.spec.entity.clone(),
            count: fc,
        });
        let mut items: Vec<QuarantineItem> = f
            .quarantine
            .iter()
            .chain(&f.file_problems)
            .cloned()
            .collect();
        items.sort_by_key(|q| q.record);
        quarantine.extend(items);
    }
    // Nothing reads the rows any more: they (and the files' maps) are freed on another thread,
    // on the core the store's first commit leaves idle.
    std::thread::spawn(move || drop(staged));
    // Hash, then write it encrypted beside the target and rename it into place.
    let t = Instant::now();
    let done = bulk.finish(Some(&opts.round)).map_err(serr)?;
    let content_hash = done.content_hash;
    phase(
        "write",
        t,
        done.counts.koseki as u64,
        format!(
            "store {}: hashed in {} ms; indexed and written encrypted in {} ms; synced in {} ms",
            opts.db.display(),
            done.hash_millis,
            done.write_millis,
            done.sync_millis
        ),
    );

    // Reconcile.
    let t = Instant::now();
    // Rows the staging kept must all be in the store.
    for (entity, c) in counts.iter_mut() {
        let stored = loaded.by_entity.get(entity).copied().unwrap_or(0);
        if stored != c.loaded {
            c.reasons.insert(format!("store_has_{stored}"), 1);
            c.loaded = stored;
        }
    }
    if p.images.is_some() && opts.images {
        let stated: u64 = checked.iter().map(|c| u64::from(c.stated)).sum();
        let found: u64 = checked.iter().map(|c| u64::from(c.found)).sum();
        let ok: u64 = checked.iter().map(|c| c.pages.len() as u64).sum();
        let mut reasons = BTreeMap::new();
        for q in &image_problems {
            *reasons.entry(q.kind.clone()).or_default() += 1;
        }
        counts.insert(
            "image_page".into(),
            EntityCount {
                source: Some(stated),
                read: found,
                loaded: ok,
                quarantined: found - ok,
                reasons,
            },
        );
    }
    quarantine.extend(image_problems);
    let mut gaiji_levels: BTreeMap<String, u64> = BTreeMap::new();
    let mut gaiji_rows = Vec::new();
    let png_dir = p.gaiji.png_dir.as_ref().map(|d| opts.input.join(d));
    for (code, (local, occ, persons)) in &gaiji {
        let level = match chars.decisions.get(code) {
            Some(d) => d.level.clone(),
            None => chars
                .levels
                .get(code)
                .cloned()
                .unwrap_or_else(|| "unlisted".into()),
        };
        *gaiji_levels
            .entry(if *local {
                format!("local ({level})")
            } else {
                level.clone()
            })
            .or_default() += 1;
        gaiji_rows.push(GaijiRow {
            code: format!("{code:04X}"),
            level,
            mj: chars
                .decisions
                .get(code)
                .map(|d| d.mj.clone())
                .unwrap_or_default(),
            stored: stored_notation(&chars, *code),
            local: *local,
            occurrences: *occ,
            image: png_dir.as_ref().map(|_| format!("gaiji/{code:04X}.png")),
            persons: persons.iter().cloned().collect(),
        });
    }
    let mut finding_counts: BTreeMap<String, u64> = BTreeMap::new();
    for f in &findings {
        *finding_counts.entry(f.severity.clone()).or_default() += 1;
    }
    let reconciled = quarantine.is_empty() && counts.values().all(EntityCount::reconciles);
    let exit = if reconciled { 0 } else { 1 };
    phase("reconcile", t, counts.len() as u64, String::new());
    phases.push(Phase {
        name: "total".into(),
        millis: started.elapsed().as_millis() as u64,
        count: records,
        note: format!("images {} ms of it", image_summary.millis),
    });
    let summary = Summary {
        round: opts.round.clone(),
        reconciled,
        content_hash,
        quarantined: quarantine.len() as u64,
        quarantine,
        counts,
        gaiji: gaiji_levels,
        findings: finding_counts,
        images: image_summary,
        exit_code: exit,
    };
    let mut inputs = BTreeMap::new();
    inputs.insert("input".into(), opts.input.display().to_string());
    inputs.insert("mapping".into(), opts.mapping.display().to_string());
    inputs.insert("store".into(), opts.db.display().to_string());
    inputs.insert("profile".into(), opts.profile_origin.clone());
    let report = MigrationReport {
        summary,
        inputs,
        files,
        gaiji: gaiji_rows,
        findings,
        phases,
        started: now_text(),
    };
    Ok(Outcome { report, exit })
}

/// What a vendor code is stored as.
fn stored_notation(chars: &CharMap, code: u16) -> String {
    match chars.decisions.get(&code) {
        Some(d) => d.notation(),
        None => format!("U+{:X} (local)", chars.local_of(code) as u32),
    }
}

/// Write the round's report folder, with the gaiji glyph images the pages show.
pub fn write_report(
    dir: &Path,
    input: &Path,
    profile: &Profile,
    report: &MigrationReport,
) -> Result<(), Error> {
    reports::migration::write(dir, report)?;
    if let Some(png_dir) = &profile.gaiji.png_dir {
        let to = dir.join("gaiji");
        std::fs::create_dir_all(&to).map_err(|e| Error::io(&to, e))?;
        for g in &report.gaiji {
            let from = input.join(png_dir).join(format!("{}.png", g.code));
            if from.is_file() {
                let dst = to.join(format!("{}.png", g.code));
                std::fs::copy(&from, &dst).map_err(|e| Error::io(&dst, e))?;
            }
        }
    }
    Ok(())
}

fn now_text() -> String {
    // Seconds since the epoch as UTC date-time, without a time crate.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let (h, m, s) = ((secs % 86_400) / 3600, (secs % 3600) / 60, secs % 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{s:02} UTC")
}
