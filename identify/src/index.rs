//! The reference index: coarse features of every reference glyph, a PCA projection for a fast
//! first pass, and the search (coarse PCA scan → full coarse re-score → fine re-rank drawn
//! from the reference font in the query's own resolution).
//!
//! The index is cached as one file under [`moji::refdata::cache_dir`] and rebuilt when the
//! reference font, the MJ table or the feature version changes.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use crate::features::{FeatureSpec, dot, extract};
use crate::font_build::Bitmap;
use crate::glyph::{FontData, FontError, GlyphFont, GlyphId};
use crate::refset::{MjEntry, RefsetError, read_mojidata, reference_entries};

/// Bump when features or the file layout change: old caches are rebuilt.
const INDEX_VERSION: u32 = 8;
const MAGIC: &[u8; 8] = b"KSKMJIDX";
/// Size reference glyphs are drawn at for the index.
pub const RENDER_PX: usize = 64;
/// PCA dimensions of the first pass.
pub const PCA_DIM: usize = 128;
/// Candidates kept after the PCA pass and after the full coarse re-score.
const FIRST_PASS: usize = 300;
const SECOND_PASS: usize = 12;
/// Dot queries lose detail: more candidates get the fine comparison.
const SECOND_PASS_DOTS: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Font(#[from] FontError),
    #[error(transparent)]
    Refset(#[from] RefsetError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a usable index file ({reason})")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{0}: the reference font has no usable glyphs")]
    Empty(PathBuf),
}

/// One candidate of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Position in [`RefIndex::entries`].
    pub entry: usize,
    /// Similarity in 0..1 (the fine score when re-ranked).
    pub score: f32,
}

/// The loaded index.
pub struct RefIndex {
    pub entries: Vec<MjEntry>,
    font: FontData,
    dim: usize,
    mean: Vec<f32>,
    basis: Vec<f32>,      // PCA_DIM × dim, rows orthonormal
    bias: Vec<f32>,       // mean · feature, per entry
    proj_scale: Vec<f32>, // per PCA dimension, dequantises `proj`
    proj: Vec<i8>,        // n × PCA_DIM, quantised (a quarter of the memory traffic per scan)
    full: Vec<i8>,        // n × dim, quantised coarse features
    scale: Vec<f32>,      // per entry dequantisation factor
    by_name: HashMap<String, usize>,
    /// Seconds spent building (0 when loaded from the cache).
    pub build_seconds: f64,
    /// How the references were drawn.
    pub style: RenderStyle,
}

fn fingerprint(font: &Path, db: &Path, style: RenderStyle) -> String {
    let stamp = |p: &Path| match std::fs::metadata(p) {
        Ok(m) => format!(
            "{}:{}:{}",
            p.display(),
            m.len(),
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| d.as_secs())
                .unwrap_or(0)
        ),
        Err(_) => format!("{}:absent", p.display()),
    };
    format!(
        "v{INDEX_VERSION};{style:?};t{DOT_THRESHOLD};{:?};{:?};{}|{}",
        FeatureSpec::COARSE,
        FeatureSpec::FINE,
        stamp(font),
        stamp(db)
    )
}

/// Where the cached index of a reference font lives.
pub fn cache_path(font: &Path, style: RenderStyle) -> PathBuf {
    // A short stable hash of the font path keeps one cache per reference font.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in font.to_string_lossy().bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let kind = if style.binary { "bin" } else { "grey" };
    moji::refdata::cache_dir().join(format!("mj-index-{h:016x}-{}{kind}.bin", style.size))
}

impl RefIndex {
    /// Load the cached index for `font` (MJ table from `db`), building and caching it first
    /// when it is missing or stale. `progress` is told how many glyphs are done while building.
    pub fn open(
        font: &Path,
        db: &Path,
        style: RenderStyle,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Self, IndexError> {
        let cache = cache_path(font, style);
        let fp = fingerprint(font, db, style);
        let data = FontData::load(font, 0)?;
        if let Ok(ix) = Self::read_cache(&cache, &fp, &data, style) {
            return Ok(ix);
        }
        let ix = Self::build(data, db, style, progress)?;
        // A cache that cannot be written (read-only home) only costs time next run.
        let _ = ix.write_cache(&cache, &fp);
        Ok(ix)
    }

    /// Build from scratch (no cache).
    pub fn build(
        font: FontData,
        db: &Path,
        style: RenderStyle,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Self, IndexError> {
        let t0 = std::time::Instant::now();
        let mojidata = if db.exists() {
            Some(read_mojidata(db)?)
        } else {
            None
        };
        let f = font.font()?;
        let entries = reference_entries(&f, mojidata.as_ref());
        if entries.is_empty() {
            return Err(IndexError::Empty(font.path.clone()));
        }
        let dim = FeatureSpec::COARSE.len();
        let n = entries.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let feats: Vec<Vec<f32>> = entries
            .par_iter()
            .map_init(
                || font.font().expect("font parsed above"),
                |f, e| {
                    let bm = style.render(f, GlyphId(e.glyph));
                    let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if d.is_multiple_of(1024) {
                        progress(d, n);
                    }
                    extract(&bm, FeatureSpec::COARSE)
                },
            )
            .collect();
        progress(n, n);
        let (mean, basis) = pca(&feats, dim, PCA_DIM);
        let mut ix = RefIndex {
            entries,
            font,
            dim,
            mean,
            basis,
            bias: Vec::new(),
            proj: Vec::new(),
            proj_scale: Vec::new(),
            full: Vec::with_capacity(n * dim),
            scale: Vec::with_capacity(n),
            by_name: HashMap::new(),
            build_seconds: 0.0,
            style,
        };
        let projected: Vec<(Vec<f32>, f32)> = feats
            .par_iter()
            .map(|v| (ix.project(v), dot(&ix.mean, v)))
            .collect();
        let mut maxabs = vec![1e-9f32; PCA_DIM];
        for (p, _) in &projected {
            for (m, v) in maxabs.iter_mut().zip(p) {
                *m = m.max(v.abs());
            }
        }
        ix.proj_scale = maxabs.iter().map(|m| m / 127.0).collect();
        for (p, b) in projected {
            ix.proj.extend(
                p.iter()
                    .zip(&ix.proj_scale)
                    .map(|(v, s)| (v / s).round().clamp(-127.0, 127.0) as i8),
            );
            ix.bias.push(b);
        }
        for v in &feats {
            let m = v.iter().fold(0f32, |a, &x| a.max(x.abs())).max(1e-9);
            ix.scale.push(m / 127.0);
            ix.full
                .extend(v.iter().map(|&x| (x / m * 127.0).round() as i8));
        }
        ix.finish();
        ix.build_seconds = t0.elapsed().as_secs_f64();
        Ok(ix)
    }

    fn finish(&mut self) {
        self.by_name = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.mj.clone(), i))
            .collect();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry named `mj` (MJ文字図形名).
    pub fn entry_by_name(&self, mj: &str) -> Option<usize> {
        self.by_name.get(mj).copied()
    }

    /// The reference font the index was built from.
    pub fn font(&self) -> &FontData {
        &self.font
    }

    fn project(&self, v: &[f32]) -> Vec<f32> {
        let centred: Vec<f32> = v.iter().zip(&self.mean).map(|(a, m)| a - m).collect();
        (0..PCA_DIM)
            .map(|k| dot(&self.basis[k * self.dim..(k + 1) * self.dim], &centred))
            .collect()
    }

    fn full_dot(&self, i: usize, q: &[f32]) -> f32 {
        let row = &self.full[i * self.dim..(i + 1) * self.dim];
        let mut s = [0f32; 8];
        for (a, b) in row.chunks_exact(8).zip(q.chunks_exact(8)) {
            for j in 0..8 {
                s[j] += a[j] as f32 * b[j];
            }
        }
        s.iter().sum::<f32>() * self.scale[i]
    }

    /// The `k` best references for a gaiji bitmap, best first. `font` is a parsed view of
    /// [`Self::font`] (parse once per thread and reuse it across queries).
    pub fn search(&self, font: &GlyphFont<'_>, query: &Bitmap, k: usize) -> Vec<Candidate> {
        let q = extract(query, FeatureSpec::COARSE);
        if q.iter().all(|&v| v == 0.0) {
            return Vec::new();
        }
        // The query side carries the dequantisation scale of each dimension.
        let p: Vec<f32> = self
            .project(&q)
            .iter()
            .zip(&self.proj_scale)
            .map(|(v, s)| v * s)
            .collect();
        let n = self.entries.len();
        // Pass 1: PCA scan over every reference (q·r ≈ p·proj_r + mean·r).
        let mut first: Vec<(f32, u32)> = (0..n)
            .map(|i| {
                (
                    dot_i8(&p, &self.proj[i * PCA_DIM..(i + 1) * PCA_DIM]) + self.bias[i],
                    i as u32,
                )
            })
            .collect();
        let keep = FIRST_PASS.min(n);
        if keep < n {
            first.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0));
            first.truncate(keep);
        }
        // Pass 2: the full coarse feature.
        let mut second: Vec<(f32, u32)> = first
            .iter()
            .map(|&(_, i)| (self.full_dot(i as usize, &q), i))
            .collect();
        second.sort_by(|a, b| b.0.total_cmp(&a.0));
        let style = RenderStyle::of(query);
        let fine_n = (if style.binary {
            SECOND_PASS_DOTS
        } else {
            SECOND_PASS
        })
        .max(k)
        .min(second.len());
        // Pass 3: draw the best candidates the way the query was made (its size; binary when
        // the query is a bitmap of pure dots) and compare fine features.
        let qf = extract(query, FeatureSpec::FINE);
        let mut fine: Vec<Candidate> = second[..fine_n]
            .iter()
            .map(|&(coarse, i)| {
                let gid = GlyphId(self.entries[i as usize].glyph);
                let fs = if style.binary {
                    // Dot fonts differ in how thin strokes were kept: compare with the
                    // reference cut at two ink thresholds and keep the closer.
                    let grey = font.raster(gid, style.size);
                    DOT_THRESHOLDS
                        .iter()
                        .map(|&t| dot(&qf, &extract(&binarised(&grey, t), FeatureSpec::FINE)))
                        .fold(0f32, f32::max)
                } else {
                    dot(&qf, &extract(&style.render(font, gid), FeatureSpec::FINE))
                };
                Candidate {
                    entry: i as usize,
                    score: style.calibrate(FINE_WEIGHT * fs + (1.0 - FINE_WEIGHT) * coarse),
                }
            })
            .collect();
        fine.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        let mut out = fine;
        // Fill up with second-pass order when k exceeds the fine re-rank.
        for &(s, i) in &second[fine_n..] {
            if out.len() >= k {
                break;
            }
            // Not re-ranked: graded on the coarse similarity, never above the re-ranked ones.
            let floor = out.last().map(|c| c.score).unwrap_or(1.0);
            out.push(Candidate {
                entry: i as usize,
                score: style.calibrate(s).min(floor),
            });
        }
        out.truncate(k);
        out
    }

    fn write_cache(&self, path: &Path, fp: &str) -> Result<(), IndexError> {
        let io = |source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let mut meta = String::new();
        for e in &self.entries {
            use std::fmt::Write as _;
            let _ = writeln!(
                meta,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                e.mj,
                e.glyph,
                e.ucs.map(|c| c.to_string()).unwrap_or_default(),
                e.ivs.map(|c| c.to_string()).unwrap_or_default(),
                e.koseki,
                e.juki,
                e.x0213,
                e.strokes.map(|c| c.to_string()).unwrap_or_default(),
                e.radicals,
                e.readings
            );
        }
        let mut buf = Vec::new();
        buf.extend_from_slice(MAGIC);
        for s in [fp.as_bytes(), meta.as_bytes()] {
            buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
            buf.extend_from_slice(s);
        }
        buf.extend_from_slice(&(self.dim as u64).to_le_bytes());
        for arr in [
            &self.mean,
            &self.basis,
            &self.bias,
            &self.proj_scale,
            &self.scale,
        ] {
            buf.extend_from_slice(&(arr.len() as u64).to_le_bytes());
            for v in arr.iter() {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        for arr in [&self.proj, &self.full] {
            buf.extend_from_slice(&(arr.len() as u64).to_le_bytes());
            buf.extend(arr.iter().map(|&v| v as u8));
        }
        w.write_all(&buf).map_err(io)?;
        w.flush().map_err(io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(io)
    }

    fn read_cache(
        path: &Path,
        fp: &str,
        font: &FontData,
        style: RenderStyle,
    ) -> Result<Self, IndexError> {
        let corrupt = |reason: &str| IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|source| IndexError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut r = Reader { b: &bytes, at: 0 };
        if r.take(8).ok_or_else(|| corrupt("short"))? != MAGIC {
            return Err(corrupt("bad magic"));
        }
        let got_fp = r.chunk().ok_or_else(|| corrupt("short"))?;
        if got_fp != fp.as_bytes() {
            return Err(corrupt("stale"));
        }
        let meta = std::str::from_utf8(r.chunk().ok_or_else(|| corrupt("short"))?)
            .map_err(|_| corrupt("meta"))?;
        let mut entries = Vec::new();
        for line in meta.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 10 {
                return Err(corrupt("meta row"));
            }
            let num = |s: &str| s.parse::<u32>().ok();
            entries.push(MjEntry {
                mj: f[0].to_string(),
                glyph: f[1].parse().map_err(|_| corrupt("glyph"))?,
                ucs: num(f[2]),
                ivs: num(f[3]),
                koseki: f[4].to_string(),
                juki: f[5].to_string(),
                x0213: f[6].to_string(),
                strokes: f[7].parse().ok(),
                radicals: f[8].to_string(),
                readings: f[9].to_string(),
            });
        }
        let dim = r.u64().ok_or_else(|| corrupt("short"))? as usize;
        let mut arrs = Vec::new();
        for _ in 0..5 {
            arrs.push(r.f32s().ok_or_else(|| corrupt("short"))?);
        }
        let proj: Vec<i8> = r
            .chunk()
            .ok_or_else(|| corrupt("short"))?
            .iter()
            .map(|&b| b as i8)
            .collect();
        let full: Vec<i8> = r
            .chunk()
            .ok_or_else(|| corrupt("short"))?
            .iter()
            .map(|&b| b as i8)
            .collect();
        let n = entries.len();
        let scale = arrs.pop().unwrap_or_default();
        let proj_scale = arrs.pop().unwrap_or_default();
        let bias = arrs.pop().unwrap_or_default();
        let basis = arrs.pop().unwrap_or_default();
        let mean = arrs.pop().unwrap_or_default();
        if dim != FeatureSpec::COARSE.len()
            || mean.len() != dim
            || basis.len() != PCA_DIM * dim
            || bias.len() != n
            || proj.len() != n * PCA_DIM
            || proj_scale.len() != PCA_DIM
            || scale.len() != n
            || full.len() != n * dim
        {
            return Err(corrupt("sizes"));
        }
        let font = FontData::from_bytes(&font.path, font.bytes().to_vec(), font.index)?;
        let mut ix = RefIndex {
            entries,
            font,
            dim,
            mean,
            basis,
            bias,
            proj,
            proj_scale,
            full,
            scale,
            by_name: HashMap::new(),
            build_seconds: 0.0,
            style,
        };
        ix.finish();
        Ok(ix)
    }
}

/// Dot product of a float query with a quantised row.
#[inline]
fn dot_i8(q: &[f32], row: &[i8]) -> f32 {
    let mut s = [0f32; 8];
    for (a, b) in q.chunks_exact(8).zip(row.chunks_exact(8)) {
        for j in 0..8 {
            s[j] += a[j] * b[j] as f32;
        }
    }
    s.iter().sum()
}

/// Score spreads of [`RenderStyle::calibrate`] (64 px greyscale; 24-dot and other small).
pub const SPREAD_FINE: f32 = 10.0;
pub const SPREAD_COARSE: f32 = 5.3;

/// Weight of the fine score against the coarse one in the final score.
const FINE_WEIGHT: f32 = 0.6;

/// How glyphs are drawn for comparison: the query's own size and kind (a vendor's 24-dot
/// list is compared with references drawn as 24-dot bitmaps), or 64 px greyscale for
/// anything finer. Each style has its own cached index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderStyle {
    pub size: usize,
    pub binary: bool,
}

impl RenderStyle {
    pub const DEFAULT: RenderStyle = RenderStyle {
        size: RENDER_PX,
        binary: false,
    };

    /// The style matching a query bitmap.
    pub fn of(bm: &Bitmap) -> Self {
        let side = bm.width.max(bm.height);
        let binary = bm.data.iter().all(|&v| v == 0 || v == 255);
        if (8..=48).contains(&side) {
            RenderStyle { size: side, binary }
        } else {
            Self::DEFAULT
        }
    }

    /// Raw similarity → reported score in 0..1: `1 − (1 − raw)·spread`. Raw similarities of
    /// kanji crowd just below 1, and coarse bitmaps lower them; the spread of each style maps
    /// the 5th percentile of right rank-1 matches drawn from other Mincho fonts (bench/
    /// identify.sh: raw 0.980 at 64 px, 0.962 at 24 dots) onto 0.80, so one set of level
    /// thresholds serves both.
    pub fn calibrate(&self, raw: f32) -> f32 {
        let spread = if self.binary || self.size < 40 {
            SPREAD_COARSE
        } else {
            SPREAD_FINE
        };
        (1.0 - (1.0 - raw) * spread).clamp(0.0, 1.0)
    }

    /// Draw a reference glyph in this style.
    pub fn render(&self, font: &GlyphFont<'_>, gid: GlyphId) -> Bitmap {
        let mut bm = font.raster(gid, self.size);
        if self.binary {
            binarise(&mut bm);
        }
        bm
    }
}

/// Ink threshold for drawing references as pure dots: below one half, so hairline
/// horizontals of a Mincho design survive as one dot as in hand-made bitmap fonts.
pub const DOT_THRESHOLD: u8 = 90;

/// Ink thresholds of the fine comparison for dot queries: hairlines kept, and hairlines lost.
pub const DOT_THRESHOLDS: [u8; 2] = [DOT_THRESHOLD, 170];

/// A copy of `bm` cut into pure dots at `t`.
pub fn binarised(bm: &Bitmap, t: u8) -> Bitmap {
    Bitmap {
        width: bm.width,
        height: bm.height,
        data: bm
            .data
            .iter()
            .map(|&v| if v >= t { 255 } else { 0 })
            .collect(),
    }
}

/// Turn greyscale coverage into pure dots (0 or 255) at [`DOT_THRESHOLD`].
pub fn binarise(bm: &mut Bitmap) {
    for v in bm.data.iter_mut() {
        *v = if *v >= DOT_THRESHOLD { 255 } else { 0 };
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn chunk(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
    fn f32s(&mut self) -> Option<Vec<f32>> {
        let n = usize::try_from(self.u64()?).ok()?;
        let raw = self.take(n.checked_mul(4)?)?;
        Some(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// Mean and the top-`k` principal directions (rows, orthonormal) of `feats`: covariance of
/// an even sample, then subspace iteration. Any orthonormal basis of the top subspace gives
/// the same dot products, so no eigen-solver is needed.
fn pca(feats: &[Vec<f32>], dim: usize, k: usize) -> (Vec<f32>, Vec<f32>) {
    let n = feats.len();
    let mut mean = vec![0f32; dim];
    for v in feats {
        for (m, x) in mean.iter_mut().zip(v) {
            *m += x;
        }
    }
    for m in mean.iter_mut() {
        *m /= n as f32;
    }
    let sample_n = n.min(8000);
    let step = n as f64 / sample_n as f64;
    // Column-major centred sample: one contiguous row per feature dimension.
    let mut cols = vec![0f32; dim * sample_n];
    for s in 0..sample_n {
        let v = &feats[(s as f64 * step) as usize];
        for d in 0..dim {
            cols[d * sample_n + s] = v[d] - mean[d];
        }
    }
    let cov_rows: Vec<Vec<f32>> = (0..dim)
        .into_par_iter()
        .map(|i| {
            let a = &cols[i * sample_n..(i + 1) * sample_n];
            (0..dim)
                .map(|j| {
                    if j < i {
                        0.0
                    } else {
                        dot(a, &cols[j * sample_n..(j + 1) * sample_n])
                    }
                })
                .collect()
        })
        .collect();
    let mut cov = vec![0f32; dim * dim];
    for i in 0..dim {
        for j in i..dim {
            cov[i * dim + j] = cov_rows[i][j];
            cov[j * dim + i] = cov_rows[i][j];
        }
    }
    let k = k.min(dim);
    // Deterministic start: a simple LCG fills the initial subspace.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut q: Vec<Vec<f32>> = (0..k)
        .map(|_| {
            (0..dim)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
                })
                .collect()
        })
        .collect();
    orthonormalise(&mut q);
    for _ in 0..12 {
        q = q
            .par_iter()
            .map(|v| {
                (0..dim)
                    .map(|i| dot(&cov[i * dim..(i + 1) * dim], v))
                    .collect()
            })
            .collect();
        orthonormalise(&mut q);
    }
    (mean, q.concat())
}

fn orthonormalise(q: &mut [Vec<f32>]) {
    for i in 0..q.len() {
        let (done, rest) = q.split_at_mut(i);
        let v = &mut rest[0];
        for _ in 0..2 {
            for u in done.iter() {
                let c = dot(u, v);
                for (x, y) in v.iter_mut().zip(u) {
                    *x -= c * y;
                }
            }
        }
        let norm = dot(v, v).sqrt();
        if norm > 1e-12 {
            for x in v.iter_mut() {
                *x /= norm;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_basis_is_orthonormal_and_captures_the_main_axis() {
        // Points along one direction with little noise: the first basis row is that axis.
        let dim = 16;
        let feats: Vec<Vec<f32>> = (0..200)
            .map(|i| {
                (0..dim)
                    .map(|d| {
                        if d == 3 {
                            i as f32
                        } else {
                            ((i * 7 + d * 13) % 5) as f32 * 0.01
                        }
                    })
                    .collect()
            })
            .collect();
        let (_, basis) = pca(&feats, dim, 4);
        for a in 0..4 {
            for b in 0..4 {
                let d = dot(
                    &basis[a * dim..(a + 1) * dim],
                    &basis[b * dim..(b + 1) * dim],
                );
                assert!((d - if a == b { 1.0 } else { 0.0 }).abs() < 1e-3);
            }
        }
        let captured: f32 = (0..4).map(|a| basis[a * dim + 3].powi(2)).sum();
        assert!(captured > 0.99, "{captured}");
    }
}
