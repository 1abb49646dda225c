//! `koseki dump --format parquet`: one row per record, with an Arrow schema derived from the
//! layout, nested like the JSON lines: groups as Struct columns, OCCURS as List columns, text
//! fields as Utf8, numeric fields as Decimal128 with the field's own precision and scale
//! (exact, no floats). (CSV keeps the flattened names, `CHILD_2.CHILD-NAME`.)

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, Decimal128Array, ListArray, RecordBatch, StringArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field as ArrowField, Fields, Schema};
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;

use crate::decode::DecodeOptions;
use crate::dump::{DumpOptions, DumpSummary, next_batch};
use crate::layout::{Codec, Item, ItemKind, RecordLayout};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Decimal { precision: u8, scale: i8 },
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

/// One column of the nested schema, following the layout as the JSON lines do: a field is a
/// Utf8 or Decimal128 leaf, a named group a Struct, an OCCURS item a List of its element, a
/// FILLER group's named children sit in its parent, FILLER fields are left out. Level-66
/// RENAMES follow the record's own columns (an alias like its item, a span as a Struct).
#[derive(Debug, Clone)]
pub enum Node {
    Leaf(ColType),
    Struct(Vec<(String, Node)>),
    List(Box<Node>),
}

impl Node {
    fn data_type(&self) -> DataType {
        match self {
            Node::Leaf(ColType::Text) => DataType::Utf8,
            Node::Leaf(ColType::Decimal { precision, scale }) => {
                DataType::Decimal128(*precision, *scale)
            }
            Node::Struct(children) => DataType::Struct(fields_of(children)),
            Node::List(elem) => {
                DataType::List(Arc::new(ArrowField::new("element", elem.data_type(), true)))
            }
        }
    }
}

fn fields_of(children: &[(String, Node)]) -> Fields {
    children
        .iter()
        .map(|(n, c)| ArrowField::new(n, c.data_type(), true))
        .collect()
}

/// The nodes of `items` (FILLER groups transparent), appended to `out`.
fn nodes(items: &[Item], out: &mut Vec<(String, Node)>) {
    for it in items {
        if it.filler {
            if it.is_group() {
                nodes(it.children(), out);
            }
            continue;
        }
        let one = match &it.kind {
            ItemKind::Field(f) => Node::Leaf(col_type(Some(&f.codec))),
            ItemKind::Group(c) => {
                let mut ch = Vec::new();
                nodes(c, &mut ch);
                if ch.is_empty() {
                    continue; // a group of FILLER only: nothing to hold
                }
                Node::Struct(ch)
            }
        };
        let node = match it.occurs {
            Some(_) => Node::List(Box::new(one)),
            None => one,
        };
        if !out.iter().any(|(n, _)| n == &it.name) {
            out.push((it.name.clone(), node));
        }
    }
}

/// The top-level columns for a plan's layouts: every record's columns, a name shared by two
/// record layouts giving one column.
pub fn layout_nodes(records: &[RecordLayout]) -> Vec<(String, Node)> {
    let mut out = Vec::new();
    for r in records {
        nodes(&r.items, &mut out);
        let renamed: Vec<Item> = r.renames.iter().filter_map(|x| x.item.clone()).collect();
        nodes(&renamed, &mut out);
    }
    out
}

/// The Arrow schema for a plan's layouts (see [`Node`]).
pub fn arrow_schema(records: &[RecordLayout]) -> (Schema, Vec<(String, Node)>) {
    let cols = layout_nodes(records);
    (Schema::new(fields_of(&cols)), cols)
}

/// One column's array from the values at that place in each row (`None`: absent).
fn build(node: &Node, vals: &[Option<&Value>]) -> Result<ArrayRef, ParquetError> {
    Ok(match node {
        Node::Leaf(ColType::Text) => {
            let a: StringArray = vals.iter().map(|v| v.and_then(Value::as_text)).collect();
            Arc::new(a)
        }
        Node::Leaf(ColType::Decimal { precision, scale }) => {
            let a: Decimal128Array = vals
                .iter()
                .map(|v| {
                    v.and_then(Value::as_number)
                        .and_then(|d| d.rescale(*scale as i32))
                        .map(|d| d.mantissa)
                })
                .collect();
            Arc::new(a.with_precision_and_scale(*precision, *scale)?)
        }
        Node::Struct(children) => {
            let nulls: NullBuffer = vals
                .iter()
                .map(|v| matches!(v, Some(Value::Group(_))))
                .collect();
            let mut arrays = Vec::with_capacity(children.len());
            for (name, c) in children {
                let sub: Vec<Option<&Value>> =
                    vals.iter().map(|v| v.and_then(|v| v.get(name))).collect();
                arrays.push(build(c, &sub)?);
            }
            Arc::new(StructArray::try_new(
                fields_of(children),
                arrays,
                Some(nulls),
            )?)
        }
        Node::List(elem) => {
            let mut flat: Vec<Option<&Value>> = Vec::new();
            let mut lens = Vec::with_capacity(vals.len());
            for v in vals {
                match v {
                    Some(Value::Array(a)) => {
                        flat.extend(a.iter().map(Some));
                        lens.push(a.len());
                    }
                    _ => lens.push(0),
                }
            }
            let nulls: NullBuffer = vals
                .iter()
                .map(|v| matches!(v, Some(Value::Array(_))))
                .collect();
            let field = Arc::new(ArrowField::new("element", elem.data_type(), true));
            Arc::new(ListArray::try_new(
                field,
                OffsetBuffer::from_lengths(lens),
                build(elem, &flat)?,
                Some(nulls),
            )?)
        }
    })
}

fn batch(
    schema: &Arc<Schema>,
    cols: &[(String, Node)],
    rows: &[Value],
) -> Result<RecordBatch, ParquetError> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    for (name, node) in cols {
        let vals: Vec<Option<&Value>> = rows.iter().map(|r| r.get(name)).collect();
        arrays.push(build(node, &vals)?);
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
    let mut raws: Vec<RawRecord<'_>> = Vec::with_capacity(options.batch.min(1024));
    let mut framing = Vec::new();
    'outer: while next_batch(&mut records, options.batch, &mut raws, &mut framing) {
        summary.records += raws.len();
        let decoded: Vec<(Value, Vec<RecordError>)> = raws
            .par_iter()
            .map(|r| plan.decode_value(r, decode))
            .collect();
        let mut rows = Vec::with_capacity(decoded.len());
        for (v, errs) in decoded {
            if errs.is_empty() {
                rows.push(v);
            } else if summary.report(&errs, on_error, limit) {
                break 'outer;
            }
        }
        summary.written += rows.len();
        if !rows.is_empty() {
            writer.write(&batch(&schema, &cols, &rows)?)?;
        }
        if summary.report(&framing, on_error, limit) {
            break;
        }
    }
    writer.close()?;
    if !summary.stopped_early {
        summary.check_trailers(std::mem::take(&mut records.trailer_results), on_error);
    }
    Ok(summary)
}
