//! `koseki dump --format parquet`: one row per record, columns flattened like the CSV output
//! (`CHILD_2.CHILD-NAME`), with an Arrow schema derived from the layout: text fields as Utf8,
//! numeric fields as Decimal128 with the field's own precision and scale (exact, no floats).

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Decimal128Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field as ArrowField, Schema};
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;

use crate::decode::DecodeOptions;
use crate::dump::{Column, DumpOptions, DumpSummary, PathStep, csv_columns};
use crate::layout::{Codec, Item, RecordLayout};
use crate::reader::{Plan, RawRecord, RecordError};
use crate::value::Value;

/// A Parquet output problem.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

#[derive(Clone, Copy)]
pub enum ColType {
    Text,
    Decimal { precision: u8, scale: i8 },
}

fn leaf_codec<'l>(records: &'l [RecordLayout], path: &[PathStep]) -> Option<&'l Codec> {
    for r in records {
        let mut items: &[Item] = &r.items;
        let mut found: Option<&Item> = None;
        let mut ok = true;
        for step in path {
            if let PathStep::Name(n) = step {
                // FILLER groups are transparent in the flattened names.
                fn find<'i>(items: &'i [Item], n: &str) -> Option<&'i Item> {
                    for it in items {
                        if !it.filler && it.name == n {
                            return Some(it);
                        }
                        if it.filler
                            && it.is_group()
                            && let Some(x) = find(it.children(), n)
                        {
                            return Some(x);
                        }
                    }
                    None
                }
                match find(items, n) {
                    Some(it) => {
                        found = Some(it);
                        items = it.children();
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
        }
        if ok && let Some(f) = found.and_then(|it| it.field()) {
            return Some(&f.codec);
        }
    }
    None
}

fn col_type(codec: Option<&Codec>) -> ColType {
    match codec {
        Some(c) if c.is_numeric() => {
            let (digits, scale) = match *c {
                Codec::Zoned { digits, scale, .. } | Codec::Packed { digits, scale, .. } => {
                    (digits as i32, scale)
                }
                // Binary fields can hold more than their PICTURE says.
                Codec::Binary { bytes, scale, .. } => (
                    if bytes <= 2 {
                        5
                    } else if bytes <= 4 {
                        10
                    } else {
                        20
                    },
                    scale,
                ),
                _ => (18, 0),
            };
            // Negative scales (PIC 9PP) are written as integers.
            let s = scale.max(0);
            let p = (digits + (s - scale)).max(s).clamp(1, 38);
            ColType::Decimal {
                precision: p as u8,
                scale: s as i8,
            }
        }
        _ => ColType::Text,
    }
}

/// The Arrow schema for a plan's layouts.
pub fn arrow_schema(records: &[RecordLayout]) -> (Schema, Vec<(Column, ColType)>) {
    let cols: Vec<(Column, ColType)> = csv_columns(records)
        .into_iter()
        .map(|c| {
            let t = col_type(leaf_codec(records, &c.1));
            (c, t)
        })
        .collect();
    let fields: Vec<ArrowField> = cols
        .iter()
        .map(|((name, _), t)| {
            let dt = match *t {
                ColType::Text => DataType::Utf8,
                ColType::Decimal { precision, scale } => DataType::Decimal128(precision, scale),
            };
            ArrowField::new(name, dt, true)
        })
        .collect();
    (Schema::new(fields), cols)
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

fn batch(
    schema: &Arc<Schema>,
    cols: &[(Column, ColType)],
    rows: &[Value],
) -> Result<RecordBatch, ParquetError> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    for ((_, path), t) in cols {
        match *t {
            ColType::Text => {
                let mut b = StringBuilder::new();
                for r in rows {
                    match lookup(r, path) {
                        Some(Value::Text(s)) => b.append_value(s),
                        _ => b.append_null(),
                    }
                }
                arrays.push(Arc::new(b.finish()));
            }
            ColType::Decimal { precision, scale } => {
                let mut b = Decimal128Builder::new();
                for r in rows {
                    match lookup(r, path)
                        .and_then(Value::as_number)
                        .and_then(|d| d.rescale(scale as i32))
                    {
                        Some(d) => b.append_value(d.mantissa),
                        None => b.append_null(),
                    }
                }
                arrays.push(Arc::new(
                    b.finish().with_precision_and_scale(precision, scale)?,
                ));
            }
        }
    }
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}

/// Dumps `data` as Parquet to `out`; problems go to `on_error` like the other formats.
pub fn dump_parquet<W: Write + Send>(
    plan: &Plan<'_>,
    data: &[u8],
    options: &DumpOptions,
    out: W,
    on_error: &mut dyn FnMut(&RecordError),
) -> Result<DumpSummary, ParquetError> {
    let (schema, cols) = arrow_schema(&plan.layout.records);
    let schema = Arc::new(schema);
    let mut writer = ArrowWriter::try_new(out, schema.clone(), None)?;
    let mut summary = DumpSummary::default();
    let limit = options.max_errors.unwrap_or(usize::MAX);
    let mut records = plan.records(data);
    let decode: DecodeOptions = options.decode;
    'outer: loop {
        let mut raws: Vec<RawRecord<'_>> = Vec::with_capacity(options.batch);
        let mut framing = Vec::new();
        for r in records.by_ref() {
            match r {
                Ok(raw) => raws.push(raw),
                Err(e) => framing.push(e),
            }
            if raws.len() >= options.batch || !framing.is_empty() {
                break;
            }
        }
        if raws.is_empty() && framing.is_empty() {
            break;
        }
        summary.records += raws.len();
        let decoded: Vec<(Value, Vec<RecordError>)> = raws
            .par_iter()
            .map(|r| plan.decode_value(r, decode))
            .collect();
        let mut rows = Vec::with_capacity(decoded.len());
        for (v, errs) in decoded {
            if errs.is_empty() {
                rows.push(v);
            } else {
                for e in &errs {
                    summary.errors += 1;
                    on_error(e);
                    if summary.errors >= limit {
                        summary.stopped_early = true;
                        break 'outer;
                    }
                }
            }
        }
        summary.written += rows.len();
        if !rows.is_empty() {
            writer.write(&batch(&schema, &cols, &rows)?)?;
        }
        for e in &framing {
            summary.errors += 1;
            on_error(e);
            if summary.errors >= limit {
                summary.stopped_early = true;
                break 'outer;
            }
        }
    }
    writer.close()?;
    if !summary.stopped_early {
        summary.trailers = std::mem::take(&mut records.trailer_results);
        for t in &summary.trailers {
            if let Some(e) = t.to_error() {
                summary.errors += 1;
                on_error(&e);
            }
        }
    }
    Ok(summary)
}
