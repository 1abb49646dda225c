//! One identification round: settle gaiji by earlier decisions and known-code tables, match
//! the rest by glyph, grade each candidate, and write the TSV the command line promises.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::index::{IndexError, RefIndex, RenderStyle};
use crate::input::Gaiji;
use crate::mapping::{KnownCode, Level, MappingTable};

/// Score thresholds of the levels, calibrated by `bench/identify.sh` (see
/// `mappings/moji/README.md` for the figures they come from).
pub const EXACT_MIN: f32 = 0.97;
pub const DESIGN_MIN: f32 = 0.80;
pub const SIMILAR_MIN: f32 = 0.50;

/// The level a glyph-match score earns.
pub fn level_of(score: f32) -> Level {
    if score >= EXACT_MIN {
        Level::Exact
    } else if score >= DESIGN_MIN {
        Level::Design
    } else if score >= SIMILAR_MIN {
        Level::Similar
    } else {
        Level::None
    }
}

/// How a gaiji's result was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// By glyph matching.
    Glyph,
    /// By a known-code table (JIS, 戸籍統一文字番号, 住基統一文字, UCS, MJ).
    Table,
    /// By an earlier round's reviewed decision.
    Reviewed,
}

/// One TSV row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub rank: usize,
    pub mj: String,
    pub ucs: String,
    pub ivs: String,
    pub score: f32,
    pub level: Level,
    /// Position in the index's entries (none for a reviewed row naming no MJ).
    pub entry: Option<usize>,
}

/// The result for one gaiji.
#[derive(Clone, Debug)]
pub struct GaijiResult {
    pub code: String,
    pub settled: Settled,
    pub rows: Vec<Row>,
}

impl GaijiResult {
    /// The best level reached (none when there is no candidate).
    pub fn level(&self) -> Level {
        self.rows.first().map(|r| r.level).unwrap_or(Level::None)
    }
}

/// Options of a round.
pub struct Options {
    pub reference: PathBuf,
    pub mojidata: PathBuf,
    pub top: usize,
    pub known: Vec<(String, KnownCode)>,
    pub reviewed: Option<MappingTable>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything a round produced, with the indexes used (for the report).
pub struct Outcome {
    pub results: Vec<GaijiResult>,
    pub indexes: HashMap<(usize, bool), RefIndex>,
    /// Wall seconds of the matching phase (queries run in parallel), and the summed seconds
    /// of the glyph queries themselves (mean latency = `query_latency_seconds / queries`).
    pub query_seconds: f64,
    pub query_latency_seconds: f64,
    pub queries: usize,
}

impl Outcome {
    /// Any index (all share the entries); for lookups by entry.
    pub fn any_index(&self) -> Option<&RefIndex> {
        self.indexes.values().next()
    }
}

fn row_of(ix: &RefIndex, rank: usize, entry: usize, score: f32, level: Level) -> Row {
    let e = &ix.entries[entry];
    Row {
        rank,
        mj: e.mj.clone(),
        ucs: e.ucs_text(),
        ivs: e.ivs_text(),
        score,
        level,
        entry: Some(entry),
    }
}

fn settle_known(ix: &RefIndex, k: &KnownCode) -> Option<usize> {
    let es = &ix.entries;
    match k {
        KnownCode::Mj(m) => ix.entry_by_name(m),
        KnownCode::Ucs(u, v) => es
            .iter()
            .position(|e| e.ucs == Some(*u) && e.ivs == *v)
            .or_else(|| {
                if v.is_none() {
                    es.iter().position(|e| e.ucs == Some(*u))
                } else {
                    None
                }
            }),
        KnownCode::Koseki(n) => es
            .iter()
            .position(|e| !e.koseki.is_empty() && e.koseki == *n),
        KnownCode::Juki(j) => es.iter().position(|e| !e.juki.is_empty() && e.juki == *j),
        KnownCode::Jis(j) => es.iter().position(|e| !e.x0213.is_empty() && e.x0213 == *j),
    }
}

/// Identify every gaiji. Indexes are opened (built on first use) per drawing style.
pub fn identify(
    gaiji: &[Gaiji],
    opts: &Options,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<Outcome, RunError> {
    let mut indexes: HashMap<(usize, bool), RefIndex> = HashMap::new();
    let styles: Vec<RenderStyle> = gaiji.iter().map(|g| RenderStyle::of(&g.bitmap)).collect();
    let mut needed: Vec<RenderStyle> = styles.clone();
    needed.push(RenderStyle::DEFAULT);
    needed.sort_by_key(|s| (s.size, s.binary));
    needed.dedup();
    for s in needed {
        let needs_glyphs = styles
            .iter()
            .zip(gaiji)
            .any(|(st, g)| *st == s && needs_matching(g, opts));
        if s != RenderStyle::DEFAULT && !needs_glyphs {
            continue;
        }
        let ix = RefIndex::open(&opts.reference, &opts.mojidata, s, &|d, n| {
            progress("index", d, n)
        })?;
        indexes.insert((s.size, s.binary), ix);
    }
    let default_ix = &indexes[&(RenderStyle::DEFAULT.size, RenderStyle::DEFAULT.binary)];
    let known: HashMap<&str, &KnownCode> =
        opts.known.iter().map(|(c, k)| (c.as_str(), k)).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let t0 = std::time::Instant::now();
    let queries = std::sync::atomic::AtomicUsize::new(0);
    let latency_us = std::sync::atomic::AtomicU64::new(0);
    let results: Vec<GaijiResult> = gaiji
        .par_iter()
        .zip(styles.par_iter())
        .map(|(g, st)| {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            progress("match", d, gaiji.len());
            if let Some(r) = opts.reviewed.as_ref().and_then(|t| t.get(&g.code)) {
                let entry = default_ix.entry_by_name(&r.mj);
                let row = Row {
                    rank: 1,
                    mj: r.mj.clone(),
                    ucs: r.ucs.clone(),
                    ivs: r.ivs.clone(),
                    score: 1.0,
                    level: r.level,
                    entry,
                };
                return GaijiResult {
                    code: g.code.clone(),
                    settled: Settled::Reviewed,
                    rows: vec![row],
                };
            }
            if let Some(i) = known
                .get(g.code.as_str())
                .and_then(|k| settle_known(default_ix, k))
            {
                return GaijiResult {
                    code: g.code.clone(),
                    settled: Settled::Table,
                    rows: vec![row_of(default_ix, 1, i, 1.0, Level::Exact)],
                };
            }
            let ix = &indexes[&(st.size, st.binary)];
            // Parsing the font view costs only its table directory.
            let rows = match ix.font().font() {
                Ok(font) => {
                    queries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let tq = std::time::Instant::now();
                    let found = ix.search(&font, &g.bitmap, opts.top);
                    latency_us.fetch_add(
                        tq.elapsed().as_micros() as u64,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    found
                        .into_iter()
                        .enumerate()
                        .map(|(r, c)| row_of(ix, r + 1, c.entry, c.score, level_of(c.score)))
                        .collect()
                }
                Err(_) => Vec::new(),
            };
            GaijiResult {
                code: g.code.clone(),
                settled: Settled::Glyph,
                rows,
            }
        })
        .collect();
    progress("match", gaiji.len(), gaiji.len());
    Ok(Outcome {
        results,
        indexes,
        query_seconds: t0.elapsed().as_secs_f64(),
        query_latency_seconds: latency_us.into_inner() as f64 / 1e6,
        queries: queries.into_inner(),
    })
}

/// One line for the log: counts and timing (mean query latency, and wall time per gaiji
/// with the queries spread over all cores).
pub fn summary(o: &Outcome) -> String {
    let unresolved = o.results.iter().filter(|r| !r.level().identifies()).count();
    let per = |s: f64| {
        if o.queries > 0 {
            s * 1000.0 / o.queries as f64
        } else {
            0.0
        }
    };
    format!(
        "{} gaiji, {} matched by glyph: {:.2} ms a query ({:.2} ms wall a gaiji on {} threads), {} without exact or design match",
        o.results.len(),
        o.queries,
        per(o.query_latency_seconds),
        per(o.query_seconds),
        rayon::current_num_threads(),
        unresolved
    )
}

fn needs_matching(g: &Gaiji, opts: &Options) -> bool {
    let reviewed = opts
        .reviewed
        .as_ref()
        .is_some_and(|t| t.get(&g.code).is_some());
    let known = opts.known.iter().any(|(c, _)| *c == g.code);
    !(reviewed || known)
}

/// The TSV of design.md: header `code rank mj ucs ivs score level`, K rows per gaiji (one
/// row for a gaiji settled by table or review; a `none` row when nothing was found).
pub fn to_tsv(results: &[GaijiResult]) -> String {
    let mut s = String::from("code\trank\tmj\tucs\tivs\tscore\tlevel\n");
    for r in results {
        if r.rows.is_empty() {
            s.push_str(&format!("{}\t1\t\t\t\t0.000\tnone\n", r.code));
        }
        for row in &r.rows {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{:.3}\t{}\n",
                r.code,
                row.rank,
                row.mj,
                row.ucs,
                row.ivs,
                row.score,
                row.level.as_str()
            ));
        }
    }
    s
}

/// A draft of the reviewed table from this round: earlier decisions kept as they were, new
/// gaiji pre-filled with their best candidate (reviewer and date left for the human).
pub fn draft_mapping(
    results: &[GaijiResult],
    previous: Option<&MappingTable>,
    gaiji_source: &Path,
) -> MappingTable {
    let mut t = MappingTable {
        comments: vec![("gaiji".to_string(), gaiji_source.display().to_string())],
        rows: Vec::new(),
    };
    for r in results {
        if let Some(prev) = previous.and_then(|p| p.get(&r.code)) {
            t.rows.push(prev.clone());
            continue;
        }
        let best = r.rows.first();
        let level = r.level();
        let keep = level.identifies();
        t.rows.push(crate::mapping::MappingRow {
            code: r.code.clone(),
            mj: if keep {
                best.map(|b| b.mj.clone()).unwrap_or_default()
            } else {
                String::new()
            },
            ucs: if keep {
                best.map(|b| b.ucs.clone()).unwrap_or_default()
            } else {
                String::new()
            },
            ivs: if keep {
                best.map(|b| b.ivs.clone()).unwrap_or_default()
            } else {
                String::new()
            },
            level,
            reviewer: String::new(),
            date: String::new(),
            note: match (r.settled, best) {
                (Settled::Table, _) => "settled by known-code table".to_string(),
                (_, Some(b)) => format!("auto: best {} score {:.3}", b.mj, b.score),
                (_, None) => "auto: no candidate".to_string(),
            },
        });
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_thresholds() {
        assert_eq!(level_of(1.0), Level::Exact);
        assert_eq!(level_of(EXACT_MIN - 0.001), Level::Design);
        assert_eq!(level_of(DESIGN_MIN - 0.001), Level::Similar);
        assert_eq!(level_of(SIMILAR_MIN - 0.001), Level::None);
    }

    #[test]
    fn tsv_has_header_and_a_row_for_empty_results() {
        let r = vec![GaijiResult {
            code: "E000".into(),
            settled: Settled::Glyph,
            rows: vec![],
        }];
        assert_eq!(
            to_tsv(&r),
            "code\trank\tmj\tucs\tivs\tscore\tlevel\nE000\t1\t\t\t\t0.000\tnone\n"
        );
    }
}
