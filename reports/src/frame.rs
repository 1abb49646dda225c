//! Every tabular report is one polars [`DataFrame`]; its CSV, JSON and HTML are all written
//! from that frame, so the three formats cannot disagree.
//!
//! Only polars' eager API is used (no `lazy`): the tables are a few thousand rows at most, and
//! the lazy engine would add minutes to every clean build (see `Cargo.toml`).

use std::fs::{self, File};
use std::io::{BufWriter, Write as _};
use std::path::Path;

use polars::prelude::*;

use crate::Error;
use crate::html::{entity_label, esc, num, table};

/// How many carriers a gaiji row lists in HTML before "他N名".
const PERSONS_SHOWN: usize = 20;

fn polars_err(path: &Path) -> impl FnOnce(PolarsError) -> Error + '_ {
    move |source| Error::Polars {
        path: path.to_path_buf(),
        source,
    }
}

/// Write `columns` of `df` as CSV (UTF-8, comma, `\n`, quoted as needed, header line), each
/// `(frame column, header name)`. Null numbers are empty fields.
pub fn write_csv(path: &Path, df: &DataFrame, columns: &[(&str, &str)]) -> Result<(), Error> {
    let mut view = csv_view(df, columns).map_err(polars_err(path))?;
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::new(file);
    CsvWriter::new(&mut w)
        .include_header(true)
        .finish(&mut view)
        .map_err(polars_err(path))?;
    w.flush().map_err(|e| Error::io(path, e))
}

/// The columns a CSV file carries, renamed to its header. Two adjustments, both so the files
/// keep the bytes they had before polars wrote them: empty text becomes null (polars writes an
/// empty string as `""` to tell it from null, a distinction our tables never make), and a list
/// of text is joined with spaces (CSV has no lists).
fn csv_view(df: &DataFrame, columns: &[(&str, &str)]) -> PolarsResult<DataFrame> {
    let mut out = Vec::with_capacity(columns.len());
    for &(name, header) in columns {
        let c = df.column(name)?;
        let mut c = match c.dtype() {
            DataType::String => c
                .str()?
                .iter()
                .map(|v| v.filter(|s| !s.is_empty()))
                .collect::<StringChunked>()
                .into_column(),
            DataType::List(_) => {
                let mut joined: Vec<Option<String>> = Vec::with_capacity(c.len());
                for i in 0..c.len() {
                    joined.push(match c.get(i)? {
                        AnyValue::List(s) if !s.is_empty() => Some(join_text(&s, " ")?),
                        _ => None,
                    });
                }
                Column::new(name.into(), joined)
            }
            _ => c.clone(),
        };
        c.rename(header.into());
        out.push(c);
    }
    DataFrame::new(df.height(), out)
}

fn join_text(s: &Series, sep: &str) -> PolarsResult<String> {
    let parts: Vec<&str> = s.str()?.iter().flatten().collect();
    Ok(parts.join(sep))
}

/// Write `columns` of `df` as a JSON array of records (one object per row, keys in column
/// order, numbers as numbers, null as `null`, lists as arrays), with a trailing newline.
pub fn write_json_records(path: &Path, df: &DataFrame, columns: &[&str]) -> Result<(), Error> {
    let mut view = df
        .select(columns.iter().copied())
        .map_err(polars_err(path))?;
    let mut bytes = Vec::new();
    JsonWriter::new(&mut bytes)
        .with_json_format(JsonFormat::Json)
        .finish(&mut view)
        .map_err(polars_err(path))?;
    bytes.push(b'\n');
    fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// How a column shows in an HTML table.
#[derive(Debug, Clone, Copy)]
pub enum Show {
    /// By type: numbers right-aligned, text escaped, null as "—", booleans as ○/×.
    Plain,
    /// Text in `<code>`.
    Code,
    /// A domain entity with its Japanese name.
    Entity,
    /// A boolean as 一致 / 不一致, the latter followed by the named text column (the reasons).
    Verdict(&'static str),
    /// `added` / `removed` / `changed` in Japanese.
    Change,
    /// A list of person ids: the first few, then "他N名".
    Persons,
    /// An image path (or null) as an `<img>`, with the named column as its alt text.
    Image(&'static str),
}

/// An HTML table of `df`'s rows: one `(frame column, header, how)` per table column.
pub fn html_table(df: &DataFrame, columns: &[(&str, &str, Show)]) -> PolarsResult<String> {
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(columns.len());
    for &(name, _, show) in columns {
        cells.push(render_column(df, name, show)?);
    }
    let rows: Vec<Vec<String>> = (0..df.height())
        .map(|i| cells.iter().map(|c| c[i].clone()).collect())
        .collect();
    let header: Vec<&str> = columns.iter().map(|c| c.1).collect();
    Ok(table(&header, &rows))
}

fn render_column(df: &DataFrame, name: &str, show: Show) -> PolarsResult<Vec<String>> {
    let c = df.column(name)?;
    let mut out = Vec::with_capacity(c.len());
    for i in 0..c.len() {
        let v = c.get(i)?;
        out.push(match show {
            Show::Plain => plain(&v),
            Show::Code => format!("<code>{}</code>", esc(&text(&v))),
            Show::Entity => entity_label(&text(&v)),
            Show::Change => esc(match text(&v).as_str() {
                "added" => "追加",
                "removed" => "削除",
                _ => "変更",
            }),
            Show::Verdict(reasons) => {
                if matches!(v, AnyValue::Boolean(true)) {
                    "<span class=\"ok\">一致</span>".to_string()
                } else {
                    let r = text(&df.column(reasons)?.get(i)?);
                    format!("<span class=\"ng\">不一致</span> {}", esc(&r))
                        .trim_end()
                        .to_string()
                }
            }
            Show::Persons => persons_cell(&v)?,
            Show::Image(alt) => match &v {
                AnyValue::Null => "—".to_string(),
                _ => format!(
                    "<img class=\"g\" src=\"{}\" alt=\"{}\">",
                    esc(&text(&v)),
                    esc(&text(&df.column(alt)?.get(i)?))
                ),
            },
        });
    }
    Ok(out)
}

fn plain(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => "—".to_string(),
        AnyValue::Boolean(b) => (if *b { "○" } else { "×" }).to_string(),
        AnyValue::UInt8(n) => num(n),
        AnyValue::UInt16(n) => num(n),
        AnyValue::UInt32(n) => num(n),
        AnyValue::UInt64(n) => num(n),
        AnyValue::Int8(n) => num(n),
        AnyValue::Int16(n) => num(n),
        AnyValue::Int32(n) => num(n),
        AnyValue::Int64(n) => num(n),
        _ => esc(&text(v)),
    }
}

/// A cell's text without the quotes polars' `Display` puts around strings.
fn text(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

fn persons_cell(v: &AnyValue) -> PolarsResult<String> {
    let AnyValue::List(s) = v else {
        return Ok(esc(&text(v)));
    };
    if s.is_empty() {
        return Ok(String::new());
    }
    let ids: Vec<&str> = s.str()?.iter().flatten().collect();
    let mut cell = ids
        .iter()
        .take(PERSONS_SHOWN)
        .map(|p| esc(p))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > PERSONS_SHOWN {
        cell.push_str(&format!(" 他{}名", ids.len() - PERSONS_SHOWN));
    }
    Ok(cell)
}

/// Group `df` by `by` (sorted by those keys) and give, per group, `rows` (how many rows) and
/// for each of `sums` its sum under the same name. Numbers come out as UInt64 / Int64.
//
// Eager group_by aggregations carry polars' "use lazy" deprecation note (since 0.24 and still
// there in 0.55); the lazy engine is what we keep out of the build, so the eager ones are used
// on purpose.
#[allow(deprecated)]
pub fn group_totals(df: &DataFrame, by: &[&str], sums: &[&str]) -> PolarsResult<DataFrame> {
    let first = *by
        .first()
        .ok_or_else(|| PolarsError::ComputeError("group_totals needs at least one key".into()))?;
    let counted = df
        .group_by_stable(by.iter().copied())?
        .select([first])
        .count()?;
    let mut cols: Vec<Column> = counted.columns()[..by.len()].to_vec();
    let mut rows = counted.columns()[by.len()].cast(&DataType::UInt64)?;
    rows.rename("rows".into());
    cols.push(rows);
    if !sums.is_empty() {
        let summed = df
            .group_by_stable(by.iter().copied())?
            .select(sums.iter().copied())
            .sum()?;
        for (i, name) in sums.iter().enumerate() {
            let mut c = summed.columns()[by.len() + i].clone();
            if c.dtype() != &DataType::Int64 {
                c = c.cast(&DataType::UInt64)?;
            }
            c.rename((*name).into());
            cols.push(c);
        }
    }
    DataFrame::new(counted.height(), cols)?.sort(by.iter().copied(), SortMultipleOptions::default())
}

/// Sum of a numeric column (nulls skipped), signed so differences sum too.
pub fn column_sum(df: &DataFrame, name: &str) -> PolarsResult<i64> {
    df.column(name)?
        .as_materialized_series()
        .cast(&DataType::Int64)?
        .sum::<i64>()
}
