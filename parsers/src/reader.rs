//! Record readers: cut a data file into records (fixed length or RDW variable length), tell
//! record types apart by a discriminator field, and check trailer counts. Records are slices
//! of the input (memory-mapped by [`DataFile::open`]): nothing is copied.

use std::fmt;
use std::path::Path;

use crate::codec::Encoding;
use crate::decode::{DecodeOptions, FieldProblem, RecordDecoder};
use crate::layout::{Codec, ItemKind, Layout};
use crate::value::Value;
use crate::writer::encode_field;

/// A data file's bytes: memory-mapped when possible.
pub enum DataFile {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl DataFile {
    /// Maps the file into memory (falls back to reading it for empty or unmappable files).
    pub fn open(path: &Path) -> std::io::Result<DataFile> {
        let f = std::fs::File::open(path)?;
        let len = f.metadata()?.len();
        if len == 0 {
            return Ok(DataFile::Owned(Vec::new()));
        }
        // SAFETY: the map is read-only and lives as long as this value. Another process
        // truncating the file while we read it could fault; vendor files are delivered
        // read-only and never modified while a round reads them.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&f) };
        match map {
            Ok(m) => {
                // Records are read front to back: let the kernel read ahead.
                let _ = m.advise(memmap2::Advice::Sequential);
                Ok(DataFile::Mapped(m))
            }
            Err(_) => Ok(DataFile::Owned(std::fs::read(path)?)),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            DataFile::Mapped(m) => m,
            DataFile::Owned(v) => v,
        }
    }
}

/// How records are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Every record has this many bytes.
    Fixed(usize),
    /// Each record starts with a 4-byte RDW: big-endian length including the RDW, two zero
    /// bytes.
    Rdw,
}

/// `FIELD=VALUE:LAYOUT`: records whose FIELD holds VALUE are read with LAYOUT (an 01 name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTypeRule {
    pub field: String,
    pub value: String,
    pub layout: String,
}

impl std::str::FromStr for RecordTypeRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("record type {s:?} is not FIELD=VALUE:LAYOUT");
        let (field, rest) = s.split_once('=').ok_or_else(bad)?;
        let (value, layout) = rest.rsplit_once(':').ok_or_else(bad)?;
        if field.trim().is_empty() || layout.trim().is_empty() {
            return Err(bad());
        }
        Ok(RecordTypeRule {
            field: field.trim().to_string(),
            value: value.to_string(),
            layout: layout.trim().to_string(),
        })
    }
}

/// `FIELD=LAYOUT[,LAYOUT…]`: the trailer field FIELD must equal the number of records read
/// with the listed layouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerCountRule {
    pub field: String,
    pub counted: Vec<String>,
}

impl std::str::FromStr for TrailerCountRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (field, rest) = s
            .split_once('=')
            .ok_or_else(|| format!("trailer count {s:?} is not FIELD=LAYOUT[,LAYOUT...]"))?;
        Ok(TrailerCountRule {
            field: field.trim().to_string(),
            counted: rest.split(',').map(|l| l.trim().to_string()).collect(),
        })
    }
}

/// How to read one data file: framing, record types, trailer checks. A profile file holds the
/// same as lines (`#` comments):
///
/// ```text
/// encoding jef
/// lrecl 200            # or: rdw
/// record-type REC-KIND=H:HEADER-REC
/// record-type REC-KIND=D:PERSON-REC
/// record-type REC-KIND=T:TRAILER-REC
/// trailer-count TRL-COUNT=PERSON-REC
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSpec {
    pub encoding: Option<String>,
    /// `None`: fixed length from the layout.
    pub lrecl: Option<usize>,
    pub rdw: bool,
    pub record_types: Vec<RecordTypeRule>,
    pub trailer_counts: Vec<TrailerCountRule>,
}

impl ReadSpec {
    /// Parses a profile file's text.
    pub fn parse_profile(text: &str) -> Result<ReadSpec, String> {
        let mut spec = ReadSpec::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (key, val) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let val = val.trim();
            let at = |m: String| format!("profile line {}: {m}", n + 1);
            match key {
                "encoding" => spec.encoding = Some(val.to_string()),
                "lrecl" => {
                    spec.lrecl = Some(val.parse().map_err(|_| at(format!("bad lrecl {val:?}")))?)
                }
                "rdw" => spec.rdw = true,
                "record-type" => spec.record_types.push(val.parse().map_err(at)?),
                "trailer-count" => spec.trailer_counts.push(val.parse().map_err(at)?),
                other => return Err(at(format!("unknown setting {other:?}"))),
            }
        }
        Ok(spec)
    }
}

/// A problem with one record: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Record number, from 1.
    pub record: usize,
    /// Byte offset in the file.
    pub offset: usize,
    /// The field, when one is to blame.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}, byte offset {}", self.record, self.offset)?;
        if let Some(fl) = &self.field {
            write!(f, ", field {fl}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl RecordError {
    fn from_field(record: usize, rec_offset: usize, p: FieldProblem) -> RecordError {
        RecordError {
            record,
            offset: rec_offset + p.offset,
            field: Some(p.field),
            message: p.message,
        }
    }
}

/// A layout or spec that cannot be used for reading (bad usage: exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

struct TypeMatcher {
    offset: usize,
    bytes: Vec<u8>,
    layout: usize,
}

struct TrailerCheck {
    layout: usize,
    offset: usize,
    codec: Codec,
    field: String,
    counted: Vec<usize>,
}

/// Compiled reading plan for one layout + spec.
pub struct Plan<'a> {
    pub layout: &'a Layout,
    pub encoding: &'a Encoding,
    pub framing: Framing,
    matchers: Vec<TypeMatcher>,
    trailers: Vec<TrailerCheck>,
}

/// One record cut out of the file.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'d> {
    /// From 1.
    pub number: usize,
    /// Byte offset of the record's data (after any RDW) in the file.
    pub offset: usize,
    pub bytes: &'d [u8],
    /// Index into `layout.records`.
    pub layout: usize,
}

/// The result of comparing a trailer's count field with what was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerResult {
    pub record: usize,
    pub offset: usize,
    pub field: String,
    /// What the trailer says (`None` when the field does not decode).
    pub stated: Option<i128>,
    /// What was read before it.
    pub counted: u64,
}

impl TrailerResult {
    pub fn ok(&self) -> bool {
        self.stated == Some(self.counted as i128)
    }
}

impl<'a> Plan<'a> {
    pub fn new(
        layout: &'a Layout,
        encoding: &'a Encoding,
        spec: &ReadSpec,
    ) -> Result<Self, SpecError> {
        let find_layout = |name: &str| {
            layout
                .records
                .iter()
                .position(|r| r.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    SpecError(format!(
                        "no record layout named {name} (the layout has: {})",
                        layout
                            .records
                            .iter()
                            .map(|r| r.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        };
        let mut matchers = Vec::new();
        let implied;
        let rules = if spec.record_types.is_empty() && layout.records.len() > 1 {
            implied = implied_record_types(layout);
            &implied
        } else {
            &spec.record_types
        };
        for rule in rules {
            let li = find_layout(&rule.layout)?;
            let rec = &layout.records[li];
            let item = rec.find(&rule.field).ok_or_else(|| {
                SpecError(format!(
                    "record type: no field {} in {}",
                    rule.field, rec.name
                ))
            })?;
            let ItemKind::Field(f) = &item.kind else {
                return Err(SpecError(format!("record type: {} is a group", rule.field)));
            };
            let v = if f.codec.is_numeric() {
                Value::Number(
                    rule.value
                        .parse()
                        .map_err(|e| SpecError(format!("record type: {e}")))?,
                )
            } else {
                Value::Text(rule.value.clone())
            };
            let bytes = encode_field(&f.codec, &v, encoding).map_err(|e| {
                SpecError(format!("record type {}={}: {e}", rule.field, rule.value))
            })?;
            matchers.push(TypeMatcher {
                offset: item.offset,
                bytes,
                layout: li,
            });
        }
        let mut trailers = Vec::new();
        for t in &spec.trailer_counts {
            let li = layout
                .records
                .iter()
                .position(|r| r.find(&t.field).is_some())
                .ok_or_else(|| {
                    SpecError(format!("trailer count: no field {} in any record", t.field))
                })?;
            let item = layout.records[li].find(&t.field).expect("found above");
            let ItemKind::Field(f) = &item.kind else {
                return Err(SpecError(format!("trailer count: {} is a group", t.field)));
            };
            if !f.codec.is_numeric() {
                return Err(SpecError(format!(
                    "trailer count: {} is not numeric",
                    t.field
                )));
            }
            let counted = t
                .counted
                .iter()
                .map(|n| find_layout(n))
                .collect::<Result<_, _>>()?;
            trailers.push(TrailerCheck {
                layout: li,
                offset: item.offset,
                codec: f.codec,
                field: item.name.clone(),
                counted,
            });
        }
        let framing = if spec.rdw {
            Framing::Rdw
        } else {
            let n = match spec.lrecl {
                Some(n) => n,
                None if matchers.is_empty() => layout.records.first().map_or(0, |r| r.max_len),
                None => matchers
                    .iter()
                    .map(|m| layout.records[m.layout].max_len)
                    .max()
                    .unwrap_or(0),
            };
            if n == 0 {
                return Err(SpecError("record length is 0".into()));
            }
            Framing::Fixed(n)
        };
        if layout.records.is_empty() {
            return Err(SpecError("the layout has no records".into()));
        }
        Ok(Plan {
            layout,
            encoding,
            framing,
            matchers,
            trailers,
        })
    }

    /// Which layout reads this record; `None` when no record-type rule matches.
    pub fn layout_for(&self, rec: &[u8]) -> Option<usize> {
        if self.matchers.is_empty() {
            return Some(0);
        }
        self.matchers
            .iter()
            .find(|m| rec.get(m.offset..m.offset + m.bytes.len()) == Some(&m.bytes[..]))
            .map(|m| m.layout)
    }

    /// Cuts `data` into records.
    pub fn records<'d>(&'d self, data: &'d [u8]) -> Records<'d, 'a> {
        Records {
            plan: self,
            data,
            pos: 0,
            number: 0,
            counts: vec![0; self.layout.records.len()],
            trailer_results: Vec::new(),
            done: false,
        }
    }

    /// Decodes one record into a [`Value`], with its problems as [`RecordError`]s.
    pub fn decode_value(
        &self,
        raw: &RawRecord<'_>,
        options: DecodeOptions,
    ) -> (Value, Vec<RecordError>) {
        let dec = RecordDecoder::new(&self.layout.records[raw.layout], self.encoding, options);
        let mut problems = Vec::new();
        let v = dec.decode_value(raw.bytes, &mut problems);
        let errs = problems
            .into_iter()
            .map(|p| RecordError::from_field(raw.number, raw.offset, p))
            .collect();
        (v, errs)
    }
}

/// Record types a copybook states itself: when every 01 record's first field has a VALUE
/// clause (`05 K01-H-REC-KBN PIC X VALUE '1'.`), that value tells the records apart.
pub fn implied_record_types(layout: &Layout) -> Vec<RecordTypeRule> {
    let mut rules = Vec::new();
    for r in &layout.records {
        let mut first = None;
        r.visit(&mut |it, _| {
            if first.is_none() && !it.is_group() {
                first = Some((it.name.clone(), it.value.clone()));
            }
        });
        let Some((name, Some(v))) = first else {
            return Vec::new();
        };
        let v = v.trim();
        let v = v
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
            .unwrap_or(v);
        rules.push(RecordTypeRule {
            field: name,
            value: v.to_string(),
            layout: r.name.clone(),
        });
    }
    rules
}

/// Iterator over a file's records: `Ok` records, `Err` framing problems (truncated record,
/// bad RDW, unknown record type). Trailer results are collected as it goes.
pub struct Records<'d, 'a> {
    plan: &'d Plan<'a>,
    data: &'d [u8],
    pos: usize,
    number: usize,
    counts: Vec<u64>,
    pub trailer_results: Vec<TrailerResult>,
    done: bool,
}

impl<'d, 'a> Iterator for Records<'d, 'a> {
    type Item = Result<RawRecord<'d>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        self.number += 1;
        let rest = &self.data[self.pos..];
        let (start, len) = match self.plan.framing {
            Framing::Fixed(n) => {
                if rest.len() < n {
                    self.done = true;
                    return Some(Err(RecordError {
                        record: self.number,
                        offset: self.pos,
                        field: None,
                        message: format!(
                            "truncated record: {} bytes left, the record length is {n}",
                            rest.len()
                        ),
                    }));
                }
                (self.pos, n)
            }
            Framing::Rdw => {
                if rest.len() < 4 {
                    self.done = true;
                    return Some(Err(RecordError {
                        record: self.number,
                        offset: self.pos,
                        field: None,
                        message: format!("truncated RDW: {} bytes left", rest.len()),
                    }));
                }
                let l = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                if l < 4 || rest[2] != 0 || rest[3] != 0 {
                    self.done = true; // the framing is lost: nothing after can be trusted
                    return Some(Err(RecordError {
                        record: self.number,
                        offset: self.pos,
                        field: None,
                        message: format!("bad RDW {:02X?}", &rest[..4]),
                    }));
                }
                if rest.len() < l {
                    self.done = true;
                    return Some(Err(RecordError {
                        record: self.number,
                        offset: self.pos,
                        field: None,
                        message: format!(
                            "truncated record: RDW says {l} bytes, {} left",
                            rest.len()
                        ),
                    }));
                }
                (self.pos + 4, l - 4)
            }
        };
        let bytes = &self.data[start..start + len];
        let advance = start + len - self.pos;
        self.pos += advance;
        let Some(li) = self.plan.layout_for(bytes) else {
            return Some(Err(RecordError {
                record: self.number,
                offset: start,
                field: None,
                message: "no --record-type rule matches this record".into(),
            }));
        };
        for t in &self.plan.trailers {
            if t.layout == li {
                let counted: u64 = t.counted.iter().map(|&c| self.counts[c]).sum();
                let stated = bytes
                    .get(t.offset..t.offset + t.codec.size())
                    .and_then(|b| decode_number(&t.codec, b, self.plan.encoding))
                    .and_then(|d| d.to_i128());
                self.trailer_results.push(TrailerResult {
                    record: self.number,
                    offset: start + t.offset,
                    field: t.field.clone(),
                    stated,
                    counted,
                });
            }
        }
        self.counts[li] += 1;
        Some(Ok(RawRecord {
            number: self.number,
            offset: start,
            bytes,
            layout: li,
        }))
    }
}

fn decode_number(codec: &Codec, b: &[u8], enc: &Encoding) -> Option<crate::Decimal> {
    use crate::codec::*;
    match *codec {
        Codec::Zoned { scale, sign, .. } => decode_zoned(b, scale, sign, enc.codec().family()).ok(),
        Codec::Packed { scale, .. } => decode_packed(b, scale).ok(),
        Codec::Binary { scale, signed, .. } => Some(decode_binary(b, scale, signed)),
        _ => None,
    }
}

impl TrailerResult {
    /// The mismatch as a record error, when there is one.
    pub fn to_error(&self) -> Option<RecordError> {
        if self.ok() {
            return None;
        }
        Some(RecordError {
            record: self.record,
            offset: self.offset,
            field: Some(self.field.clone()),
            message: match self.stated {
                Some(s) => format!(
                    "trailer count is {s} but {} records were read",
                    self.counted
                ),
                None => "trailer count does not decode".into(),
            },
        })
    }
}

/// Everything read from one file, for library callers (`migrate`): decoded records, every
/// problem (not printed), and the trailer checks.
#[derive(Debug, Default)]
pub struct ReadResult {
    /// (record number, layout name, value) of every record without problems.
    pub records: Vec<DecodedRecord>,
    pub errors: Vec<RecordError>,
    pub trailers: Vec<TrailerResult>,
}

/// One decoded record.
#[derive(Debug, Clone)]
pub struct DecodedRecord {
    pub number: usize,
    pub offset: usize,
    pub layout: String,
    pub value: Value,
    /// The record's original bytes (kept so no decision is irreversible).
    pub bytes: Vec<u8>,
}

/// Reads and decodes a whole file (in parallel, in order). Records with problems are left out
/// of `records` and described in `errors`.
pub fn read_all(plan: &Plan<'_>, data: &[u8], options: DecodeOptions) -> ReadResult {
    use rayon::prelude::*;
    let mut result = ReadResult::default();
    let mut it = plan.records(data);
    let mut raws = Vec::new();
    for r in it.by_ref() {
        match r {
            Ok(raw) => raws.push(raw),
            Err(e) => result.errors.push(e),
        }
    }
    result.trailers = std::mem::take(&mut it.trailer_results);
    let decoded: Vec<(RawRecord<'_>, Value, Vec<RecordError>)> = raws
        .par_iter()
        .map(|raw| {
            let (v, e) = plan.decode_value(raw, options);
            (*raw, v, e)
        })
        .collect();
    for (raw, value, errs) in decoded {
        if errs.is_empty() {
            result.records.push(DecodedRecord {
                number: raw.number,
                offset: raw.offset,
                layout: plan.layout.records[raw.layout].name.clone(),
                value,
                bytes: raw.bytes.to_vec(),
            });
        } else {
            result.errors.extend(errs);
        }
    }
    result.errors.sort_by_key(|e| (e.record, e.offset));
    for t in &result.trailers {
        if let Some(e) = t.to_error() {
            result.errors.push(e);
        }
    }
    result
}
