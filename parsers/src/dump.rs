//! `koseki dump`: every record of a file as JSON lines or CSV, decoded in parallel batches
//! with the output in file order. Problems go to a callback, never silently dropped.
//!
//! JSON lines go through a compiled path: `jsonfast` for layouts without OCCURS DEPENDING ON
//! (constant JSON between values, per-code tables, digits copied straight out), `jsontree` for
//! layouts with one (the walker's placement, keys written once, the same field code). A few
//! rare shapes (a FILLER table) keep the record walker ([`RecordDecoder`] + [`JsonSink`]). All
//! give the same bytes, checked by `tests/dump_paths.rs` and the `record` fuzz target.

use std::io::{self, Write};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::decode::{DecodeOptions, JsonSink, RecordDecoder};
use crate::jsonfast::{JsonProgram, Out, Scratch, TextTables};
use crate::jsontree::TreeProgram;
use crate::layout::{Item, ItemKind, RecordLayout};
use crate::reader::{Plan, RawRecord, RecordError, TrailerResult};
use crate::value::Value;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy)]
pub struct DumpOptions {
    pub format: Format,
    pub decode: DecodeOptions,
    /// Stop after this many problems.
    pub max_errors: Option<usize>,
    /// Records per parallel batch.
    pub batch: usize,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            format: Format::Jsonl,
            decode: DecodeOptions::default(),
            max_errors: None,
            batch: 1 << 16,
        }
    }
}

/// What a dump did.
#[derive(Debug, Default, Clone)]
pub struct DumpSummary {
    pub records: usize,
    pub written: usize,
    pub errors: usize,
    /// `--max-errors` was reached before the end of the file.
    pub stopped_early: bool,
    pub trailers: Vec<TrailerResult>,
}

/// Dumps `data` to `out`; each problem is passed to `on_error` (in file order).
pub fn dump(
    plan: &Plan<'_>,
    data: &[u8],
    options: &DumpOptions,
    out: &mut dyn Write,
    on_error: &mut dyn FnMut(&RecordError),
) -> io::Result<DumpSummary> {
    let mut summary = DumpSummary::default();
    let mut records = plan.records(data);
    // Grown as needed: a small file should not pay for a whole batch up front.
    let mut batch: Vec<RawRecord<'_>> = Vec::with_capacity(options.batch.min(1024));
    let csv_cols = if options.format == Format::Csv {
        // One header over every layout in the plan (single-layout files are the usual case).
        let cols = csv_columns(&plan.layout.records);
        let header: Vec<String> = cols.iter().map(|c| csv_quote(&c.0)).collect();
        writeln!(out, "{}", header.join(","))?;
        Some(cols)
    } else {
        None
    };
    // Layouts without OCCURS DEPENDING ON take the compiled path (same bytes, faster).
    let fast = if options.format == Format::Jsonl {
        FastJson::new(plan)
    } else {
        None
    };
    let pool: Mutex<Vec<Out>> = Mutex::new(Vec::new());
    let limit = options.max_errors.unwrap_or(usize::MAX);
    let mut framing_errors: Vec<RecordError> = Vec::new();
    while next_batch(&mut records, options.batch, &mut batch, &mut framing_errors) {
        summary.records += batch.len();
        // Decode in parallel chunks; each chunk gives its output bytes and its problems.
        let chunk = (batch.len() / (rayon::current_num_threads() * 8)).clamp(64, 4096);
        let results: Vec<(ChunkOut, Vec<RecordError>, usize)> = batch
            .par_chunks(chunk)
            .map(|recs| match (&csv_cols, &fast) {
                (Some(cols), _) => {
                    let (b, e, n) = csv_chunk(plan, recs, options.decode, cols);
                    (ChunkOut::Bytes(b), e, n)
                }
                (None, Some(f)) => {
                    let (b, e, n) = f.chunk(plan, recs, options.decode, &pool);
                    (ChunkOut::Out(b), e, n)
                }
                (None, None) => {
                    let (b, e, n) = json_chunk(plan, recs, options.decode);
                    (ChunkOut::Bytes(b), e, n)
                }
            })
            .collect();
        for (bytes, errs, n) in results {
            out.write_all(bytes.bytes())?;
            if let ChunkOut::Out(o) = bytes {
                // Reused by the next batch: fresh buffers cost page faults.
                pool.lock().unwrap_or_else(|e| e.into_inner()).push(o);
            }
            summary.written += n;
            if summary.report(&errs, on_error, limit) {
                return Ok(summary);
            }
        }
        if summary.report(&framing_errors, on_error, limit) {
            return Ok(summary);
        }
    }
    summary.check_trailers(std::mem::take(&mut records.trailer_results), on_error);
    Ok(summary)
}

/// Refills `batch` with up to `size` records and `framing` with the framing errors met;
/// a batch ends at a framing error, so problems reach the caller in file order. False when
/// the input is used up.
pub(crate) fn next_batch<'d>(
    records: &mut impl Iterator<Item = Result<RawRecord<'d>, RecordError>>,
    size: usize,
    batch: &mut Vec<RawRecord<'d>>,
    framing: &mut Vec<RecordError>,
) -> bool {
    batch.clear();
    framing.clear();
    for r in records.by_ref() {
        match r {
            Ok(raw) => batch.push(raw),
            Err(e) => framing.push(e),
        }
        if batch.len() >= size || !framing.is_empty() {
            break;
        }
    }
    !batch.is_empty() || !framing.is_empty()
}

impl DumpSummary {
    /// Counts `errors` and passes each on; true when `--max-errors` is reached (the dump
    /// then stops, marked `stopped_early`).
    pub(crate) fn report(
        &mut self,
        errors: &[RecordError],
        on_error: &mut dyn FnMut(&RecordError),
        limit: usize,
    ) -> bool {
        for e in errors {
            self.errors += 1;
            on_error(e);
            if self.errors >= limit {
                self.stopped_early = true;
                return true;
            }
        }
        false
    }

    /// Keeps the trailer checks of a file read to its end and reports each mismatch.
    pub(crate) fn check_trailers(
        &mut self,
        trailers: Vec<TrailerResult>,
        on_error: &mut dyn FnMut(&RecordError),
    ) {
        self.trailers = trailers;
        for t in &self.trailers {
            if let Some(e) = t.to_error() {
                self.errors += 1;
                on_error(&e);
            }
        }
    }
}

fn json_chunk(
    plan: &Plan<'_>,
    recs: &[RawRecord<'_>],
    options: DecodeOptions,
) -> (Vec<u8>, Vec<RecordError>, usize) {
    let mut errs = Vec::new();
    let mut problems = Vec::new();
    let mut sink = JsonSink::new();
    // Records are written straight into the chunk's output; a bad one is cut off again.
    sink.out = Vec::with_capacity(recs.iter().map(|r| r.bytes.len() * 3).sum());
    let mut written = 0;
    let decoders: Vec<RecordDecoder<'_>> = plan
        .layout
        .records
        .iter()
        .map(|r| RecordDecoder::new(r, plan.encoding, options))
        .collect();
    for raw in recs {
        let start = sink.out.len();
        problems.clear();
        decoders[raw.layout].decode(raw.bytes, &mut sink, &mut problems);
        if problems.is_empty() {
            sink.out.push(b'\n');
            written += 1;
        } else {
            sink.out.truncate(start);
            errs.extend(problems.drain(..).map(|p| RecordError {
                record: raw.number,
                offset: raw.offset + p.offset,
                field: Some(p.field),
                message: p.message,
            }));
        }
    }
    (sink.out, errs, written)
}

/// Compiled programs for every layout of the plan, with the code page's tables.
struct FastJson<'a> {
    programs: Vec<Program<'a>>,
    tables: TextTables,
}

/// A layout without OCCURS DEPENDING ON compiles flat; one with it, as a tree.
enum Program<'a> {
    Flat(JsonProgram<'a>),
    Tree(TreeProgram<'a>),
}

impl<'a> Program<'a> {
    fn compile(layout: &'a crate::layout::RecordLayout) -> Option<Program<'a>> {
        match JsonProgram::compile(layout) {
            Some(p) => Some(Program::Flat(p)),
            None => TreeProgram::compile(layout).map(Program::Tree),
        }
    }

    fn typical_out(&self) -> usize {
        match self {
            Program::Flat(p) => p.typical_out,
            Program::Tree(p) => p.typical_out,
        }
    }
}

impl<'a> FastJson<'a> {
    fn new(plan: &Plan<'a>) -> Option<FastJson<'a>> {
        let programs: Vec<Program<'a>> = plan
            .layout
            .records
            .iter()
            .map(Program::compile)
            .collect::<Option<_>>()?;
        let dbcs = plan.layout.records.iter().any(|r| {
            r.items.iter().any(has_dbcs)
                || r.renames
                    .iter()
                    .filter_map(|x| x.item.as_ref())
                    .any(has_dbcs)
        });
        Some(FastJson {
            tables: TextTables::new(plan.encoding.codec(), dbcs),
            programs,
        })
    }

    fn chunk(
        &self,
        plan: &Plan<'_>,
        recs: &[RawRecord<'_>],
        options: DecodeOptions,
        pool: &Mutex<Vec<Out>>,
    ) -> (Out, Vec<RecordError>, usize) {
        let mut errs = Vec::new();
        let mut problems = Vec::new();
        let per = self
            .programs
            .iter()
            .map(Program::typical_out)
            .max()
            .unwrap_or(0)
            + 1;
        let recycled = pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut out = match recycled {
            Some(mut o) => {
                o.n = 0;
                o
            }
            None => Out::with_capacity(per * recs.len() + 4096),
        };
        let mut scratch = Scratch::default();
        let tc = plan.encoding.codec();
        let mut written = 0;
        for raw in recs {
            let start = out.n;
            problems.clear();
            match &self.programs[raw.layout] {
                Program::Flat(p) => p.run(
                    raw.bytes,
                    &self.tables,
                    tc,
                    options.keep_padding,
                    &mut out,
                    &mut scratch,
                    &mut problems,
                ),
                Program::Tree(p) => p.run(
                    raw.bytes,
                    &self.tables,
                    tc,
                    options.keep_padding,
                    &mut out,
                    &mut scratch,
                    &mut problems,
                ),
            }
            if problems.is_empty() {
                out.reserve_byte(b'\n');
                written += 1;
            } else {
                out.n = start;
                errs.extend(problems.drain(..).map(|p| RecordError {
                    record: raw.number,
                    offset: raw.offset + p.offset,
                    field: Some(p.field),
                    message: p.message,
                }));
            }
        }
        (out, errs, written)
    }
}

fn has_dbcs(it: &Item) -> bool {
    matches!(
        it.field().map(|f| f.codec),
        Some(crate::layout::Codec::Dbcs { .. })
    ) || it.children().iter().any(has_dbcs)
}

/// A chunk's output: plain bytes, or a reusable buffer of the compiled path.
enum ChunkOut {
    Bytes(Vec<u8>),
    Out(Out),
}

impl ChunkOut {
    fn bytes(&self) -> &[u8] {
        match self {
            ChunkOut::Bytes(b) => b,
            ChunkOut::Out(o) => o.written(),
        }
    }
}

/// CSV columns: (header, path of names and indexes to the value).
pub type Column = (String, Vec<PathStep>);

#[derive(Debug, Clone)]
pub enum PathStep {
    Name(String),
    Index(usize),
}

/// Flattened column names: leaf names, with `_n` (from 1) for OCCURS elements; a leaf name
/// used twice is qualified by its parents (`PARENT.LEAF`).
pub fn csv_columns(records: &[RecordLayout]) -> Vec<Column> {
    let mut raw: Vec<(Vec<String>, Vec<PathStep>)> = Vec::new();
    fn walk(
        items: &[Item],
        names: &mut Vec<String>,
        path: &mut Vec<PathStep>,
        out: &mut Vec<(Vec<String>, Vec<PathStep>)>,
    ) {
        for it in items {
            if it.filler {
                // A FILLER group's named children still come out, at the group's level.
                if let ItemKind::Group(c) = &it.kind {
                    walk(c, names, path, out);
                }
                continue;
            }
            let n = it.occurs.as_ref().map(|o| o.max);
            let reps: Vec<Option<usize>> = match n {
                Some(n) => (0..n).map(Some).collect(),
                None => vec![None],
            };
            for rep in reps {
                let label = match rep {
                    Some(k) => format!("{}_{}", it.name, k + 1),
                    None => it.name.clone(),
                };
                names.push(label);
                path.push(PathStep::Name(it.name.clone()));
                if let Some(k) = rep {
                    path.push(PathStep::Index(k));
                }
                match &it.kind {
                    ItemKind::Group(c) => walk(c, names, path, out),
                    ItemKind::Field(_) => out.push((names.clone(), path.clone())),
                }
                if rep.is_some() {
                    path.pop();
                }
                path.pop();
                names.pop();
            }
        }
    }
    let mut renamed: Vec<(Vec<String>, Vec<PathStep>)> = Vec::new();
    for r in records {
        walk(&r.items, &mut Vec::new(), &mut Vec::new(), &mut raw);
        for it in r.renames.iter().filter_map(|x| x.item.as_ref()) {
            walk(
                std::slice::from_ref(it),
                &mut Vec::new(),
                &mut Vec::new(),
                &mut renamed,
            );
        }
    }
    let mut cols: Vec<Column> = Vec::new();
    for (names, path) in &raw {
        let leaf = names.last().cloned().unwrap_or_default();
        let dup = raw.iter().filter(|(n, _)| n.last() == Some(&leaf)).count() > 1;
        let mut label = if dup { names.join(".") } else { leaf };
        if cols.iter().any(|(l, _)| *l == label) {
            label = names.join(".");
        }
        if cols.iter().any(|(l, _)| *l == label) {
            continue; // same field in two record layouts: one column
        }
        cols.push((label, path.clone()));
    }
    // Level-66 RENAMES: their own columns after the records' (as in the JSON lines), always
    // qualified by the RENAMES name (`NAME-ALL.UJI`), so the records' own names never change.
    for (names, path) in renamed {
        let label = names.join(".");
        if !cols.iter().any(|(l, _)| *l == label) {
            cols.push((label, path));
        }
    }
    cols
}

fn lookup<'v>(v: &'v Value, path: &[PathStep]) -> Option<&'v Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (PathStep::Name(n), Value::Group(_)) => cur.get(n)?,
            (PathStep::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_chunk(
    plan: &Plan<'_>,
    recs: &[RawRecord<'_>],
    options: DecodeOptions,
    cols: &[Column],
) -> (Vec<u8>, Vec<RecordError>, usize) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let mut written = 0;
    for raw in recs {
        let (v, e) = plan.decode_value(raw, options);
        if !e.is_empty() {
            errs.extend(e);
            continue;
        }
        for (k, (_, path)) in cols.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            match lookup(&v, path) {
                Some(Value::Text(s)) => out.extend_from_slice(csv_quote(s).as_bytes()),
                Some(Value::Number(d)) => d.write_to(&mut out),
                _ => {}
            }
        }
        out.push(b'\n');
        written += 1;
    }
    (out, errs, written)
}
