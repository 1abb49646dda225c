//! Reading one vendor file: split it into records, tell header / detail / trailer apart, and
//! convert each mapped field of each detail record, keeping the original bytes. A record
//! with any bad field is quarantined whole (file, record, offset, field, reason, raw bytes).

use std::collections::HashMap;
use std::path::Path;

use parsers::codec::{Family, decode_binary, decode_packed, decode_zoned};
use parsers::reader::DataFile;
use parsers::{Codec, Decimal, Encoding, Item, Layout, RecordLayout, SignPosition};
use rayon::prelude::*;
use reports::QuarantineItem;
use wareki::WarekiDate;

use crate::Error;
use crate::chars::CharMap;
use crate::profile::{Conv, FieldSpec, FileSpec};
use crate::stage::{Row, StagedFile};
use crate::value::{CodeTable, TagItem, Value, hex, widen_kana};

/// Where a field sits in a record.
#[derive(Debug, Clone)]
pub struct FieldLoc {
    pub name: String,
    pub offset: usize,
    pub size: usize,
    /// `None` for a group (read as its bytes).
    pub codec: Option<Codec>,
    /// Enclosing OCCURS: (max occurrences, stride in bytes).
    pub occurs: Option<(usize, usize)>,
}

/// Every named item of a record layout by upper-case name.
#[derive(Debug, Clone, Default)]
pub struct FieldIndex {
    pub fields: HashMap<String, FieldLoc>,
}

impl FieldIndex {
    pub fn of(record: &RecordLayout) -> Result<FieldIndex, String> {
        if record.has_odo {
            return Err(format!(
                "record {}: OCCURS DEPENDING ON is not supported by migrate",
                record.name
            ));
        }
        let mut idx = FieldIndex::default();
        fn walk(
            items: &[Item],
            occurs: Option<(usize, usize)>,
            idx: &mut FieldIndex,
        ) -> Result<(), String> {
            for it in items {
                let mine = match (&it.occurs, occurs) {
                    (Some(_), Some(_)) => {
                        return Err(format!(
                            "{}: nested OCCURS is not supported by migrate",
                            it.name
                        ));
                    }
                    (Some(o), None) => Some((o.max, it.size)),
                    (None, o) => o,
                };
                if !it.filler {
                    idx.fields
                        .entry(it.name.to_ascii_uppercase())
                        .or_insert(FieldLoc {
                            name: it.name.clone(),
                            offset: it.offset,
                            size: it.size,
                            codec: it.field().map(|f| f.codec),
                            occurs: mine,
                        });
                }
                walk(it.children(), mine, idx)?;
            }
            Ok(())
        }
        walk(&record.items, None, &mut idx)?;
        Ok(idx)
    }

    pub fn get(&self, name: &str) -> Option<&FieldLoc> {
        self.fields.get(&name.to_ascii_uppercase())
    }
}

/// What converting a file needs besides the file itself.
pub struct Context<'a> {
    pub chars: &'a CharMap,
    pub tables: &'a HashMap<String, CodeTable>,
}

/// A field fault: the record is quarantined.
#[derive(Debug, Clone)]
struct Fault {
    field: String,
    kind: &'static str,
    reason: String,
}

/// A file read and converted (its bytes are read again where needed: see [`RecordDecoder`]).
pub struct ReadFile {
    pub staged: StagedFile,
    /// Gaiji met: (code, stored as local gaiji, row index in `staged.rows`).
    pub gaiji: Vec<(u16, bool, usize)>,
}

/// Domain fields that link records to each other.
pub const KEY_FIELDS: &[&str] = &["koseki_id", "person_id", "kisai_jun"];

/// Domain fields the checks across files read (besides each file's key fields and
/// [`KEY_FIELDS`]): only these stay in memory between reading and loading; the load converts
/// each record again, whole, from the file ([`RecordDecoder`]). A city of a million persons
/// would not fit otherwise.
pub const CHECKED_FIELDS: &[&str] = &[
    "ref_koseki_id",
    "ref_person_id",
    "birth_date",
    "death_date",
    "date",
    "kind",
    "seq",
    "eda",
    "midashi_no",
    "has_image",
];

/// Converts a record of one file again, whole, at load time: the record is taken from the
/// file's memory map at its offset (the page cache has it) and every mapped field converted as
/// when it was first read.
pub struct RecordDecoder {
    path: std::path::PathBuf,
    data: std::sync::Arc<DataFile>,
    rec_len: usize,
    resolved: Vec<Resolved>,
    encoding: Encoding,
    /// Domain name of each field, in the order [`RecordDecoder::field`] numbers them.
    pub columns: Vec<String>,
    /// The fields a row keeps in memory from the first reading ([`crate::stage::Row::values`]
    /// holds them in this order): the load takes those from the row.
    pub kept: Vec<usize>,
}

impl std::fmt::Debug for RecordDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordDecoder")
            .field("path", &self.path)
            .finish()
    }
}

impl RecordDecoder {
    /// The record's bytes as the file holds them (shorter at the end of a truncated file).
    pub fn raw(&self, offset: u64) -> Vec<u8> {
        let bytes = self.data.bytes();
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        bytes[start..(start + self.rec_len).min(bytes.len())].to_vec()
    }

    /// The bytes of the record at `offset` (record number `record`), checked to be in the file.
    pub fn record(&self, record: u64, offset: u64) -> Result<&[u8], Error> {
        usize::try_from(offset)
            .ok()
            .and_then(|start| self.data.bytes().get(start..start + self.rec_len))
            .ok_or_else(|| {
                Error::Input(format!(
                    "{}: record {record} (byte offset {offset}) is past the end of the file (the file changed while it was migrated?)",
                    self.path.display()
                ))
            })
    }

    /// Field `index` (of [`RecordDecoder::columns`]) of `rec`, the bytes of record `record` at
    /// `offset`, converted as when it was first read.
    pub fn field(
        &self,
        rec: &[u8],
        record: u64,
        offset: u64,
        index: usize,
        ctx: &Context,
    ) -> Result<Value, Error> {
        convert(rec, &self.resolved[index], &self.encoding, ctx, &mut Vec::new()).map_err(|f| {
            Error::Input(format!(
                "{}: record {record} (byte offset {offset}): field {}: {} (the file changed while it was migrated?)",
                self.path.display(),
                f.field,
                f.reason
            ))
        })
    }
}

struct Resolved {
    domain: String,
    spec: FieldSpec,
    loc: FieldLoc,
    tag: Option<FieldLoc>,
    value: Option<FieldLoc>,
    count: Option<FieldLoc>,
}

/// Read and convert one data file of the profile.
pub fn read_file(
    input: &Path,
    spec: &FileSpec,
    default_encoding: &str,
    ctx: &Context,
) -> Result<ReadFile, Error> {
    let layout_path = input.join(&spec.layout);
    let text = std::fs::read_to_string(&layout_path).map_err(|e| Error::io(&layout_path, e))?;
    let layout = load_layout(&layout_path, &text)?;
    let enc_name = spec.encoding.as_deref().unwrap_or(default_encoding);
    let encoding =
        Encoding::by_name(enc_name).map_err(|e| Error::Input(format!("{}: {e}", spec.data)))?;
    let data_path = input.join(&spec.data);
    // Mapped, not read: a copy of the file would cost its size in fresh memory, and the load
    // converts records again from the same map.
    let data =
        std::sync::Arc::new(DataFile::open(&data_path).map_err(|e| Error::io(&data_path, e))?);
    let bytes = data.bytes();

    let pick = |name: &Option<String>| -> Result<Option<&RecordLayout>, Error> {
        match name {
            None => Ok(None),
            Some(n) => layout.record(n).map(Some).ok_or_else(|| {
                Error::Profile(format!(
                    "{}: layout {} has no record {n}",
                    spec.data, spec.layout
                ))
            }),
        }
    };
    let detail = match pick(&spec.detail_record)? {
        Some(r) => r,
        None => layout
            .records
            .iter()
            .find(|r| {
                !r.name.to_ascii_uppercase().contains("HDR")
                    && !r.name.to_ascii_uppercase().contains("TRL")
            })
            .or(layout.first())
            .ok_or_else(|| Error::Profile(format!("{}: layout has no record", spec.layout)))?,
    };
    let rec_len = layout.records.iter().map(|r| r.max_len).max().unwrap_or(0);
    if rec_len == 0 {
        return Err(Error::Profile(format!(
            "{}: zero-length record",
            spec.layout
        )));
    }
    let didx =
        FieldIndex::of(detail).map_err(|e| Error::Profile(format!("{}: {e}", spec.layout)))?;
    let find_any = |name: &str| -> Option<FieldLoc> {
        layout
            .records
            .iter()
            .find_map(|r| FieldIndex::of(r).ok().and_then(|i| i.get(name).cloned()))
    };
    let need = |name: &str, idx: &FieldIndex| -> Result<FieldLoc, Error> {
        idx.get(name).cloned().ok_or_else(|| {
            Error::Profile(format!(
                "{}: field {name} is not in record {} of {}",
                spec.data, detail.name, spec.layout
            ))
        })
    };

    let mut resolved = Vec::new();
    for (domain, m) in &spec.fields {
        let s = m.spec();
        let loc = need(&s.field, &didx)?;
        let opt = |n: &Option<String>| -> Result<Option<FieldLoc>, Error> {
            n.as_deref().map(|n| need(n, &didx)).transpose()
        };
        resolved.push(Resolved {
            domain: domain.clone(),
            tag: opt(&s.tag)?,
            value: opt(&s.value)?,
            count: opt(&s.count)?,
            loc,
            spec: s,
        });
    }
    let rtype = match &spec.record_type {
        Some(rt) => Some((
            rt,
            find_any(&rt.field).ok_or_else(|| {
                Error::Profile(format!(
                    "{}: no record type field {}",
                    spec.layout, rt.field
                ))
            })?,
        )),
        None => None,
    };
    let trailer_loc = match &spec.trailer_count {
        Some(n) => {
            let r = pick(&spec.trailer_record)?;
            let loc = match r {
                Some(r) => FieldIndex::of(r).ok().and_then(|i| i.get(n).cloned()),
                None => find_any(n),
            };
            Some(loc.ok_or_else(|| {
                Error::Profile(format!("{}: no trailer count field {n}", spec.layout))
            })?)
        }
        None => None,
    };

    let mut staged = StagedFile::new(spec.clone());
    let mut gaiji = Vec::new();
    let family = encoding.codec().family();
    let mut record_no = 0u64;
    let mut offset = 0usize;
    let mut trailer_at: Option<(u64, usize)> = None;
    let mut details: Vec<(u64, usize)> = Vec::new();
    let quarantine = |staged: &mut StagedFile, record: u64, off: usize, f: Fault, raw: &[u8]| {
        staged.quarantine.push(QuarantineItem {
            file: spec.data.clone(),
            record,
            offset: off as u64,
            field: f.field,
            reason: f.reason,
            kind: f.kind.to_string(),
            entity: spec.entity.clone(),
            raw_hex: hex(raw),
        });
    };
    while offset < bytes.len() {
        record_no += 1;
        let end = offset + rec_len;
        if end > bytes.len() {
            let raw = &bytes[offset..];
            staged.read += 1;
            let f = Fault {
                field: String::new(),
                kind: "truncated_record",
                reason: format!("truncated record: {} of {rec_len} bytes", raw.len()),
            };
            quarantine(&mut staged, record_no, offset, f, raw);
            break;
        }
        let rec = &bytes[offset..end];
        let kind = match &rtype {
            None => RecordKind::Detail,
            Some((rt, loc)) => {
                let mut s = String::new();
                let _ = encoding
                    .codec()
                    .decode_sbcs(&rec[loc.offset..loc.offset + loc.size], &mut s);
                let s = s.trim();
                if s == rt.detail {
                    RecordKind::Detail
                } else if rt.header.as_deref() == Some(s) {
                    RecordKind::Header
                } else if rt.trailer.as_deref() == Some(s) {
                    RecordKind::Trailer
                } else {
                    RecordKind::Unknown(s.to_string())
                }
            }
        };
        match kind {
            RecordKind::Header => {}
            RecordKind::Trailer => {
                trailer_at = Some((record_no, offset));
                if let Some(loc) = &trailer_loc {
                    match number(rec, loc, family) {
                        Ok(n) => staged.trailer_count = Some(n.parse::<u64>().unwrap_or(0)),
                        Err(e) => {
                            let f = Fault {
                                field: loc.name.clone(),
                                kind: "bad_trailer",
                                reason: e,
                            };
                            quarantine(&mut staged, record_no, offset, f, rec);
                        }
                    }
                }
            }
            RecordKind::Unknown(t) => {
                staged.read += 1;
                let field = rtype
                    .as_ref()
                    .map(|(_, l)| l.name.clone())
                    .unwrap_or_default();
                let f = Fault {
                    field,
                    kind: "record_type",
                    reason: format!("unknown record type {t:?}"),
                };
                quarantine(&mut staged, record_no, offset, f, rec);
            }
            RecordKind::Detail => {
                staged.read += 1;
                details.push((record_no, offset));
            }
        }
        offset = end;
    }
    // Only the fields the checks read stay in memory; the load decodes records again. Image
    // registers (few, and the image check reads fields the profile names) stay whole.
    let keep_all = spec.entity == "image_register";
    let kept: Vec<usize> = resolved
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let d = r.domain.as_str();
            keep_all
                || KEY_FIELDS.contains(&d)
                || CHECKED_FIELDS.contains(&d)
                || spec.key.iter().any(|k| k == d)
        })
        .map(|(i, _)| i)
        .collect();
    // Convert detail records in parallel (the costly part), then take them in file order.
    type RecordResult = Result<(Vec<Value>, Vec<(u16, bool)>), (Fault, crate::stage::Keys)>;
    let converted: Vec<RecordResult> = details
        .par_iter()
        .map(|&(_, off)| {
            let rec = &bytes[off..off + rec_len];
            let mut values = Vec::with_capacity(kept.len());
            let mut met = Vec::new();
            for (i, r) in resolved.iter().enumerate() {
                let keep = kept.binary_search(&i).is_ok();
                match convert_field(rec, r, &encoding, ctx, &mut met, keep) {
                    Ok(Converted::Kept(v)) if keep => values.push(v),
                    Ok(_) => {}
                    Err(f) => {
                        // Keep what can still be read of its keys, so records that depend on
                        // it are held with it rather than reported as orphans.
                        let keys = resolved
                            .iter()
                            .filter(|r| KEY_FIELDS.contains(&r.domain.as_str()))
                            .map(|r| {
                                let v = convert(rec, r, &encoding, ctx, &mut Vec::new())
                                    .ok()
                                    .map(|v| v.key());
                                (r.domain.clone(), v.filter(|k| !k.is_empty()))
                            })
                            .collect();
                        return Err((f, keys));
                    }
                }
            }
            Ok((values, met))
        })
        .collect();
    staged.rows.reserve(details.len());
    for (&(record_no, off), c) in details.iter().zip(converted) {
        match c {
            Ok((values, met)) => {
                let i = staged.rows.len();
                gaiji.extend(met.into_iter().map(|(c, l)| (c, l, i)));
                staged.rows.push(Row {
                    record: record_no,
                    offset: off as u64,
                    values,
                });
            }
            Err((f, keys)) => {
                staged.quarantined_keys.push((record_no, keys));
                quarantine(&mut staged, record_no, off, f, &bytes[off..off + rec_len]);
            }
        }
    }
    staged.quarantine.sort_by_key(|q| q.record);

    staged.columns = kept.iter().map(|&i| staged.columns[i].clone()).collect();
    staged.vendor = kept.iter().map(|&i| staged.vendor[i].clone()).collect();
    staged.decoder = Some(std::sync::Arc::new(RecordDecoder {
        path: data_path,
        data: data.clone(),
        rec_len,
        columns: resolved.iter().map(|r| r.domain.clone()).collect(),
        kept,
        resolved,
        encoding,
    }));

    // The trailer's own problems concern the file, not a data record: listed apart.
    if let Some(loc) = &trailer_loc {
        let problem = match (trailer_at, staged.trailer_count) {
            (None, _) => Some((
                record_no + 1,
                bytes.len(),
                String::new(),
                "missing_trailer",
                "no trailer record: the file ends without one".to_string(),
                Vec::new(),
            )),
            (Some((r, off)), Some(n)) if n != staged.read => Some((
                r,
                off,
                loc.name.clone(),
                "wrong_trailer_count",
                format!("trailer counts {n} data records, {} were read", staged.read),
                bytes[off..(off + rec_len).min(bytes.len())].to_vec(),
            )),
            _ => None,
        };
        if let Some((record, off, field, kind, reason, raw)) = problem {
            staged.file_problems.push(QuarantineItem {
                file: spec.data.clone(),
                record,
                offset: off as u64,
                field,
                reason,
                kind: kind.to_string(),
                entity: spec.entity.clone(),
                raw_hex: hex(&raw),
            });
        }
    }
    Ok(ReadFile { staged, gaiji })
}

enum RecordKind {
    Header,
    Detail,
    Trailer,
    Unknown(String),
}

fn load_layout(path: &Path, text: &str) -> Result<Layout, Error> {
    parsers::parse_copybook(text, parsers::SourceFormat::Auto)
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))
}

fn slice<'r>(rec: &'r [u8], loc: &FieldLoc, index: usize) -> &'r [u8] {
    let start = loc.offset + loc.occurs.map_or(0, |(_, stride)| stride * index);
    let end = (start + loc.size).min(rec.len());
    &rec[start.min(end)..end]
}

/// A numeric field (or a group of zoned digits) as a plain decimal string.
fn number(rec: &[u8], loc: &FieldLoc, family: Family) -> Result<String, String> {
    number_at(rec, loc, 0, family)
}

/// The fault kind for a number that does not decode, by its codec.
fn bad_number(loc: &FieldLoc) -> &'static str {
    match loc.codec {
        Some(Codec::Packed { .. }) => "bad_packed",
        Some(Codec::Binary { .. }) => "bad_binary",
        _ => "bad_zoned",
    }
}

fn number_at(rec: &[u8], loc: &FieldLoc, index: usize, family: Family) -> Result<String, String> {
    decimal_at(rec, loc, index, family).map(|d| decimal_text(&d))
}

/// A numeric field (or a group of zoned digits) as decoded.
fn decimal_at(rec: &[u8], loc: &FieldLoc, index: usize, family: Family) -> Result<Decimal, String> {
    let b = slice(rec, loc, index);
    match loc.codec {
        Some(Codec::Zoned { scale, sign, .. }) => decode_zoned(b, scale, sign, family),
        Some(Codec::Packed { scale, .. }) => decode_packed(b, scale),
        Some(Codec::Binary { scale, signed, .. }) => Ok(decode_binary(b, scale, signed)),
        // A group of zoned digits (date = 元号 + YYMMDD) or a text field of digits.
        _ => decode_zoned(b, 0, SignPosition::TrailingEmbedded, family),
    }
    .map_err(|e| format!("{e} at byte {} of the field (bytes {})", e.at(), hex(b)))
}

/// A decimal as plain text (`-12.50`, `1200`).
fn decimal_text(d: &Decimal) -> String {
    let mut out = Vec::with_capacity(24);
    d.write_to(&mut out);
    // Digits, a sign and a point: always UTF-8, so the bytes become the string uncopied.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn text_at<'r>(
    rec: &'r [u8],
    loc: &FieldLoc,
    index: usize,
    enc: &Encoding,
) -> Result<(String, &'r [u8]), String> {
    let b = slice(rec, loc, index);
    let mut s = String::new();
    let r = match loc.codec {
        Some(Codec::Dbcs { .. }) => enc.codec().decode_dbcs(b, &mut s),
        _ => enc.codec().decode_sbcs(b, &mut s),
    };
    r.map_err(|at| {
        format!(
            "undefined code at byte {at} of the field (bytes {})",
            hex(b)
        )
    })?;
    let kept = s.trim_end_matches([' ', '\u{3000}']).len();
    s.truncate(kept);
    Ok((s, b))
}

fn convert(
    rec: &[u8],
    r: &Resolved,
    enc: &Encoding,
    ctx: &Context,
    met: &mut Vec<(u16, bool)>,
) -> Result<Value, Fault> {
    match convert_field(rec, r, enc, ctx, met, true)? {
        Converted::Kept(v) => Ok(v),
        Converted::Checked => unreachable!("a kept field gives its value"),
    }
}

/// A field converted: its value, or, when the caller only checks it (the read phase keeps
/// few fields; the load converts records again), that it holds one (an empty field is always
/// `Kept(Value::Empty)`: nothing to build).
enum Converted {
    Kept(Value),
    Checked,
}

impl Converted {
    fn is_empty(&self) -> bool {
        match self {
            Converted::Kept(v) => v.is_empty(),
            Converted::Checked => false,
        }
    }
}

/// Converts one field and checks it; with `keep` false every check runs (the same faults,
/// the same gaiji reported to `met`) but no value is built.
fn convert_field(
    rec: &[u8],
    r: &Resolved,
    enc: &Encoding,
    ctx: &Context,
    met: &mut Vec<(u16, bool)>,
    keep: bool,
) -> Result<Converted, Fault> {
    let loc = &r.loc;
    let fault = |kind: &'static str, reason: String| Fault {
        field: loc.name.clone(),
        kind,
        reason,
    };
    let family = enc.codec().family();
    let conv = r.spec.conv.unwrap_or(match loc.codec {
        Some(c) if c.is_numeric() => Conv::Number,
        _ => Conv::Text,
    });
    let numeric = loc.codec.is_some_and(|c| c.is_numeric());
    let v = match conv {
        Conv::Text | Conv::Kana => {
            let (t, raw) =
                text_at(rec, loc, 0, enc).map_err(|e| fault("undefined_character", e))?;
            if t.is_empty() {
                Converted::Kept(Value::Empty)
            } else if !keep {
                if conv != Conv::Kana {
                    ctx.chars.scan(&t, |c, local| met.push((c, local)));
                }
                Converted::Checked
            } else {
                let text = if conv == Conv::Kana {
                    widen_kana(&t)
                } else {
                    ctx.chars.apply(t, |c, local| met.push((c, local)))
                };
                Converted::Kept(Value::Text {
                    text,
                    raw: raw.to_vec(),
                })
            }
        }
        Conv::Id => {
            if numeric {
                let n = number(rec, loc, family).map_err(|e| fault(bad_number(loc), e))?;
                Converted::Kept(if n.trim_start_matches('-') == "0" {
                    Value::Empty
                } else {
                    Value::Id { id: n }
                })
            } else {
                let (t, _) = text_at(rec, loc, 0, enc).map_err(|e| fault("undefined_code", e))?;
                let t = t.trim().to_string();
                Converted::Kept(if t.is_empty() {
                    Value::Empty
                } else {
                    Value::Id { id: t }
                })
            }
        }
        Conv::Number => {
            let d = decimal_at(rec, loc, 0, family).map_err(|e| fault(bad_number(loc), e))?;
            if keep {
                Converted::Kept(Value::Number {
                    n: decimal_text(&d),
                })
            } else {
                Converted::Checked
            }
        }
        Conv::Date => {
            let d = decimal_at(rec, loc, 0, family).map_err(|e| fault("impossible_date", e))?;
            // As the decimal's text would parse: a whole number ≥ 0 that fits 32 bits. The
            // text is made only for a fault's reason.
            let whole = if d.scale <= 0 { d.to_i128() } else { None };
            let v: u32 = whole.and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
                let n = decimal_text(&d);
                fault("impossible_date", format!("date {n} is not GYYMMDD"))
            })?;
            if v == 0 {
                Converted::Kept(Value::Empty)
            } else {
                let date = WarekiDate::from_gyymmdd(v).map_err(|e| {
                    let n = decimal_text(&d);
                    fault("impossible_date", format!("{n:0>7}: {e}"))
                })?;
                if keep {
                    Converted::Kept(Value::Date {
                        date,
                        vendor: format!("{v:07}"),
                    })
                } else {
                    Converted::Checked
                }
            }
        }
        Conv::Code => {
            let code = if numeric {
                number(rec, loc, family).map_err(|e| fault(bad_number(loc), e))?
            } else {
                text_at(rec, loc, 0, enc)
                    .map_err(|e| fault("undefined_code", e))?
                    .0
                    .trim()
                    .to_string()
            };
            if code.is_empty() {
                Converted::Kept(Value::Empty)
            } else {
                let table = r.spec.table.as_deref().unwrap_or("");
                match ctx.tables.get(table).and_then(|t| t.get(&code)) {
                    Some(_) if !keep => Converted::Checked,
                    Some(name) => Converted::Kept(Value::Code {
                        code,
                        name: name.to_string(),
                    }),
                    None => {
                        return Err(fault(
                            "undefined_code",
                            format!("code {code:?} is not in code table {table}"),
                        ));
                    }
                }
            }
        }
        Conv::Flag => {
            let (t, _) = text_at(rec, loc, 0, enc).map_err(|e| fault("undefined_code", e))?;
            let t = t.trim();
            Converted::Kept(Value::Flag {
                on: !(t.is_empty() || t.chars().all(|c| c == '0')),
            })
        }
        Conv::Items => items(rec, r, enc, ctx, met, keep)?,
    };
    if r.spec.required && v.is_empty() {
        return Err(fault("missing", format!("{} is empty", loc.name)));
    }
    Ok(v)
}

fn items(
    rec: &[u8],
    r: &Resolved,
    enc: &Encoding,
    ctx: &Context,
    met: &mut Vec<(u16, bool)>,
    keep: bool,
) -> Result<Converted, Fault> {
    let (Some(tag), Some(val)) = (&r.tag, &r.value) else {
        return Ok(Converted::Kept(Value::Empty));
    };
    let family = enc.codec().family();
    let max = tag.occurs.map_or(1, |(m, _)| m);
    let n = match &r.count {
        Some(c) => number(rec, c, family)
            .map_err(|e| Fault {
                field: c.name.clone(),
                kind: "bad_number",
                reason: e,
            })?
            .parse::<usize>()
            .unwrap_or(max)
            .min(max),
        None => max,
    };
    let table = r.spec.table.as_deref().and_then(|t| ctx.tables.get(t));
    let mut out = Vec::new();
    for i in 0..n {
        // The field is named as the copybook names it; the occurrence goes in the reason.
        let at = |l: &FieldLoc| l.name.clone();
        let (code, _) = text_at(rec, tag, i, enc).map_err(|e| Fault {
            field: at(tag),
            kind: "undefined_code",
            reason: e,
        })?;
        let code = code.trim().to_string();
        if code.is_empty() {
            continue;
        }
        let name = match table {
            Some(t) => t.get(&code).map(str::to_string).ok_or_else(|| Fault {
                field: at(tag),
                kind: "undefined_code",
                reason: format!(
                    "item {}: tag {code:?} is not in code table {}",
                    i + 1,
                    t.name
                ),
            })?,
            None => code.clone(),
        };
        let (t, raw) = text_at(rec, val, i, enc).map_err(|e| Fault {
            field: at(val),
            kind: "undefined_character",
            reason: format!("item {}: {e}", i + 1),
        })?;
        let text = if keep {
            ctx.chars.apply(t, |c, local| met.push((c, local)))
        } else {
            ctx.chars.scan(&t, |c, local| met.push((c, local)));
            t
        };
        // Dates inside items are written as in the 記載例 (昭和４７年１１月３日): check them.
        if name.ends_with('日') && wareki::Era::ALL.iter().any(|e| text.starts_with(e.kanji())) {
            WarekiDate::parse(&text).map_err(|e| Fault {
                field: at(val),
                kind: "impossible_date",
                reason: format!("item {}: 【{name}】{text}: {e}", i + 1),
            })?;
        }
        if !keep {
            continue;
        }
        out.push(TagItem {
            code,
            tag: name,
            text,
            raw: raw.to_vec(),
        });
    }
    // A list of items is a value even when it is empty (an event without items).
    Ok(if keep {
        Converted::Kept(Value::Items { items: out })
    } else {
        Converted::Checked
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    const CPY: &str = "\
       01  T-HDR.
           05  T-H-KBN      PIC X(1).
           05  FILLER       PIC X(23).
       01  T-REC.
           05  T-KBN        PIC X(1).
           05  T-ID         PIC 9(4).
           05  T-NAME       PIC X(6).
           05  T-BIRTH.
               10  T-BIRTH-G   PIC 9(1).
               10  T-BIRTH-YMD PIC 9(6).
           05  T-SEX        PIC X(1).
           05  T-ITEM OCCURS 2 TIMES.
               10  T-ITEM-CD  PIC X(1).
               10  T-ITEM-V   PIC X(1).
           05  FILLER       PIC X(1).
       01  T-TRL.
           05  T-T-KBN      PIC X(1).
           05  T-T-CNT      PIC 9(9).
           05  FILLER       PIC X(14).
";

    fn profile() -> Profile {
        Profile::parse(
            r#"name='t'
encoding='ascii'
[code_tables]
sex={file='SEX.tsv',skip=1}
[[file]]
data='T.DAT'
layout='T.cpy'
entity='person'
trailer_count='T-T-CNT'
record_type={field='T-KBN',header='1',detail='2',trailer='9'}
key=['person_id']
[file.fields]
person_id={field='T-ID',as='id'}
name={field='T-NAME',as='text'}
birth_date={field='T-BIRTH',as='date'}
sex={field='T-SEX',as='code',table='sex'}
"#,
            "t",
        )
        .unwrap()
    }

    fn rec(s: &str) -> String {
        assert_eq!(s.len(), 24, "{s:?}");
        s.to_string()
    }

    #[test]
    fn reads_details_counts_trailer_and_quarantines_bad_fields() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("T.cpy"), CPY).unwrap();
        let data = [
            rec("1HEADER                 "),
            rec("20001YAMADA3471103M     "),
            rec("20002SATO  3640108F     "), // 昭和64年1月8日 does not exist
            rec("20003KATO  4010108X     "), // undefined sex code
            rec("20004ITO   0000000F     "), // no date: fine
            rec("9000000004              "),
        ]
        .concat();
        std::fs::write(dir.path().join("T.DAT"), format!("{data}20005")).unwrap();
        let p = profile();
        let spec = crate::profile::CodeTableSpec {
            file: String::new(),
            values: Default::default(),
            code_column: 0,
            name_column: 1,
            skip: 1,
        };
        let sex = CodeTable::parse("sex", "コード\t名称\nM\t男\nF\t女\n", &spec, "t").unwrap();
        let tables = HashMap::from([("sex".to_string(), sex)]);
        let chars = CharMap::default();
        let ctx = Context {
            chars: &chars,
            tables: &tables,
        };
        let r = read_file(dir.path(), &p.files[0], &p.encoding, &ctx).unwrap();
        let s = &r.staged;
        assert_eq!(s.trailer_count, Some(4));
        // 5 read (the truncated tail counts) against a trailer of 4.
        assert_eq!(s.file_problems.len(), 1);
        assert_eq!(s.file_problems[0].kind, "wrong_trailer_count");
        assert_eq!(
            (s.file_problems[0].record, s.file_problems[0].field.as_str()),
            (6, "T-T-CNT")
        );
        assert_eq!(s.read, 5);
        assert_eq!(s.rows.len(), 2);
        let q: Vec<(u64, &str, &str)> = s
            .quarantine
            .iter()
            .map(|q| (q.record, q.field.as_str(), q.kind.as_str()))
            .collect();
        assert_eq!(
            q,
            vec![
                (3, "T-BIRTH", "impossible_date"),
                (4, "T-SEX", "undefined_code"),
                (7, "", "truncated_record")
            ]
        );
        assert_eq!(s.quarantine[0].offset, 48);
        let first = &s.rows[0];
        // In memory between reading and loading: only what the checks read.
        assert!(s.get(first, "name").is_empty());
        assert!(!s.get(first, "birth_date").is_empty());
        // The load converts the record again, whole, from the file.
        let full = s.full(first, &ctx).unwrap();
        assert_eq!(
            full.get("name"),
            &Value::Text {
                text: "YAMADA".into(),
                raw: b"YAMADA".to_vec()
            }
        );
        assert_eq!(
            full.get("sex"),
            &Value::Code {
                code: "M".into(),
                name: "男".into()
            }
        );
        // A field the row kept is the same value, copied.
        assert_eq!(full.get("birth_date"), s.get(first, "birth_date"));
        // What no builder asked for comes out converted (the load keeps it as the record's
        // migrated fields); a field asked for is not among it.
        let rest: Vec<(String, Value)> = full.unasked().map(|(c, v)| (c.clone(), v)).collect();
        assert_eq!(
            rest,
            vec![("person_id".to_string(), Value::Id { id: "1".into() })]
        );
        assert_eq!(full.get("person_id"), &rest[0].1);
        assert_eq!(full.unasked().count(), 0);
        full.check().unwrap();
        // A record that changed under the run (its sex code now undefined; the file is
        // mapped, so the load sees the change) fails where the field is asked for, and the
        // builder's check names the record and the field.
        {
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(dir.path().join("T.DAT"))
                .unwrap();
            f.write_all_at(b"X", 24 + 18).unwrap();
        }
        let unchanged_fields = s.full(first, &ctx).unwrap();
        assert_eq!(unchanged_fields.get("name").display(), "YAMADA");
        unchanged_fields.check().unwrap();
        let changed = s.full(first, &ctx).unwrap();
        assert!(changed.get("sex").is_empty());
        let e = changed.check().unwrap_err().to_string();
        assert!(
            e.contains("record 2 (byte offset 24)") && e.contains("T-SEX") && e.contains("changed"),
            "{e}"
        );
        assert_eq!(
            s.get(first, "birth_date").date().unwrap().to_string(),
            "昭和47年11月3日"
        );
        assert!(s.get(&s.rows[1], "birth_date").is_empty());
        // A field only checked fails exactly where its conversion fails, and reports the
        // same gaiji, on every detail record, the faulty ones included.
        let d = s.decoder.as_ref().unwrap();
        let mut compared = 0;
        for off in [24u64, 48, 72, 96] {
            let rec = d.data.bytes()[off as usize..off as usize + d.rec_len].to_vec();
            for r in &d.resolved {
                let (mut met_kept, mut met_checked) = (Vec::new(), Vec::new());
                let kept = convert(&rec, r, &d.encoding, &ctx, &mut met_kept);
                let checked = convert_field(&rec, r, &d.encoding, &ctx, &mut met_checked, false);
                match (&kept, &checked) {
                    (Ok(v), Ok(c)) => assert_eq!(v.is_empty(), c.is_empty(), "{}", r.domain),
                    (Err(a), Err(b)) => {
                        assert_eq!((&a.field, a.kind, &a.reason), (&b.field, b.kind, &b.reason))
                    }
                    _ => panic!(
                        "{} at {off}: kept {:?}, checked {}",
                        r.domain,
                        kept.is_ok(),
                        checked.is_ok()
                    ),
                }
                assert_eq!(met_kept, met_checked);
                compared += 1;
            }
        }
        assert!(d.resolved.len() >= 4);
        assert_eq!(compared, 4 * d.resolved.len());
    }
}
