//! The vendor's data files: each record is built as named values and encoded through
//! `parsers`' RecordWriter with the file's own copybook, so `koseki dump` reads it back.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parsers::{
    Codec, Encoding, Item, ItemKind, Layout, RecordLayout, RecordWriter, SourceFormat, Value,
    parse_copybook,
};
use rayon::prelude::*;

use crate::SampleError;

/// One vendor file: its id (data `data/<ID>.DAT`, copybook `layout/<ID>.cpy`) and copybook text.
pub struct VendorFile {
    pub id: &'static str,
    pub copybook: &'static str,
}

pub const FILES: [VendorFile; 12] = [
    VendorFile {
        id: "K01KOSEKI",
        copybook: include_str!("../vendor/layout/K01KOSEKI.cpy"),
    },
    VendorFile {
        id: "K02KJIKO",
        copybook: include_str!("../vendor/layout/K02KJIKO.cpy"),
    },
    VendorFile {
        id: "K03KOJIN",
        copybook: include_str!("../vendor/layout/K03KOJIN.cpy"),
    },
    VendorFile {
        id: "K04MIBUN",
        copybook: include_str!("../vendor/layout/K04MIBUN.cpy"),
    },
    VendorFile {
        id: "K05FUHYO",
        copybook: include_str!("../vendor/layout/K05FUHYO.cpy"),
    },
    VendorFile {
        id: "K06UKETK",
        copybook: include_str!("../vendor/layout/K06UKETK.cpy"),
    },
    VendorFile {
        id: "K07FUJRI",
        copybook: include_str!("../vendor/layout/K07FUJRI.cpy"),
    },
    VendorFile {
        id: "K08MIDAS",
        copybook: include_str!("../vendor/layout/K08MIDAS.cpy"),
    },
    VendorFile {
        id: "K09TOKEI",
        copybook: include_str!("../vendor/layout/K09TOKEI.cpy"),
    },
    VendorFile {
        id: "K10JOTAI",
        copybook: include_str!("../vendor/layout/K10JOTAI.cpy"),
    },
    VendorFile {
        id: "K11SKBFG",
        copybook: include_str!("../vendor/layout/K11SKBFG.cpy"),
    },
    VendorFile {
        id: "K12RENKE",
        copybook: include_str!("../vendor/layout/K12RENKE.cpy"),
    },
];

pub const LAYOUT_TABLE: &str = include_str!("../vendor/layout/K05FUHYO.csv");

/// A record as (field name, value) pairs; names are the copybook's, groups are filled in by
/// [`nest`].
pub type Flat = Vec<(String, Value)>;

pub fn t(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}
pub fn n(v: i128) -> Value {
    Value::int(v)
}

/// Builds the nested group the writer expects from flat leaf names (OCCURS tables are given
/// as arrays of flat groups under the table's name).
fn nest(items: &[Item], flat: &mut BTreeMap<String, Value>) -> Value {
    let mut out = Vec::new();
    for it in items {
        if it.filler {
            continue;
        }
        if let Some(v) = flat.remove(&it.name) {
            let v = match (v, &it.kind) {
                (Value::Array(elems), ItemKind::Group(children)) => Value::Array(
                    elems
                        .into_iter()
                        .map(|e| match e {
                            Value::Group(g) => {
                                let mut m: BTreeMap<String, Value> = g.into_iter().collect();
                                nest(children, &mut m)
                            }
                            other => other,
                        })
                        .collect(),
                ),
                (v, _) => v,
            };
            out.push((it.name.clone(), v));
        } else if let ItemKind::Group(children) = &it.kind {
            let g = nest(children, flat);
            out.push((it.name.clone(), g));
        }
    }
    Value::Group(out)
}

/// The JEF codec over `moji`, used when `parsers` does not resolve `jef` itself.
struct JefCodec;

impl parsers::TextCodec for JefCodec {
    fn name(&self) -> &str {
        "jef"
    }
    fn family(&self) -> parsers::Family {
        parsers::Family::Ebcdic
    }
    fn sbcs_pad(&self) -> u8 {
        0x40
    }
    fn dbcs_pad(&self) -> [u8; 2] {
        [0x40, 0x40]
    }
    fn decode_sbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        let mut u = Vec::new();
        moji::Decoder::new(moji::CodePage::Jef)
            .strict(true)
            .decode_sbcs(bytes, out, &mut u)
            .map_err(|e| e.offset())
    }
    fn decode_dbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        let mut u = Vec::new();
        moji::Decoder::new(moji::CodePage::Jef)
            .strict(true)
            .decode_dbcs(bytes, out, &mut u)
            .map_err(|e| e.offset())
    }
    fn encode_sbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        moji::Encoder::new(moji::CodePage::Jef)
            .encode_sbcs(text, out)
            .map_err(|moji::EncodeError::Unmappable { ch, .. }| ch)
    }
    fn encode_dbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        moji::Encoder::new(moji::CodePage::Jef)
            .encode_dbcs(text, out)
            .map_err(|moji::EncodeError::Unmappable { ch, .. }| ch)
    }
}

pub fn jef() -> Encoding {
    Encoding::by_name("jef").unwrap_or_else(|_| Encoding(Arc::new(JefCodec)))
}

pub struct Parsed {
    pub layout: Layout,
}

impl Parsed {
    pub fn of(f: &VendorFile) -> Result<Parsed, SampleError> {
        let layout = parse_copybook(f.copybook, SourceFormat::Fixed)
            .map_err(|e| SampleError::Layout(format!("{}: {e}", f.id)))?;
        Ok(Parsed { layout })
    }
    pub fn rec(&self, which: &str) -> Result<&RecordLayout, SampleError> {
        self.layout
            .records
            .iter()
            .find(|r| r.name.ends_with(which))
            .ok_or_else(|| SampleError::Layout(format!("no {which} record")))
    }
}

/// A data record layout flattened once: the record with every field at its default (what
/// RecordWriter writes for missing values) and where each named field or OCCURS table sits.
/// A record is then encoded by copying the template and overwriting the fields it gives: the
/// same bytes RecordWriter makes, without building nested values for a million records.
struct Slots<'a> {
    template: Vec<u8>,
    by_name: HashMap<&'a str, Slot<'a>>,
}

enum Slot<'a> {
    Field {
        at: usize,
        codec: &'a Codec,
    },
    /// An OCCURS table of elementary fields: start, element size, occurrences, and each
    /// child's offset inside an element.
    Table {
        at: usize,
        elem: usize,
        max: usize,
        children: HashMap<&'a str, (usize, &'a Codec)>,
    },
    /// A name the fast path leaves to RecordWriter (a group given as a whole).
    Other,
}

impl<'a> Slots<'a> {
    /// None when the layout has shapes the fast path does not model (REDEFINES, OCCURS
    /// DEPENDING ON): every record then goes through RecordWriter.
    fn new(rl: &'a RecordLayout, enc: &Encoding) -> Option<Slots<'a>> {
        if rl.has_odo {
            return None;
        }
        let template = RecordWriter::new(rl, enc)
            .write(&Value::Group(Vec::new()))
            .ok()?;
        let mut by_name = HashMap::new();
        let end = Self::walk(&rl.items, 0, &mut by_name)?;
        (end <= template.len()).then_some(Slots { template, by_name })
    }

    /// Records where each item of `items` starts from byte `pos`; returns the end. The first
    /// item of a name wins, as [`nest`] hands a name to the first item that has it.
    fn walk(
        items: &'a [Item],
        mut pos: usize,
        map: &mut HashMap<&'a str, Slot<'a>>,
    ) -> Option<usize> {
        for it in items {
            if it.redefines.is_some() || it.odo_slot.is_some() {
                return None;
            }
            let name = it.name.as_str();
            match (&it.kind, &it.occurs) {
                (ItemKind::Field(f), None) => {
                    if !it.filler {
                        map.entry(name).or_insert(Slot::Field {
                            at: pos,
                            codec: &f.codec,
                        });
                    }
                    pos += f.codec.size();
                }
                (ItemKind::Group(children), None) => {
                    if !it.filler {
                        map.entry(name).or_insert(Slot::Other);
                    }
                    pos = Self::walk(children, pos, map)?;
                }
                (ItemKind::Group(children), Some(o)) => {
                    if o.depending_slot.is_some() || o.depending_on.is_some() {
                        return None;
                    }
                    let mut inner = HashMap::new();
                    let mut p = 0;
                    for c in children {
                        match (&c.kind, &c.occurs, &c.redefines) {
                            (ItemKind::Field(f), None, None) => {
                                if !c.filler {
                                    inner.entry(c.name.as_str()).or_insert((p, &f.codec));
                                }
                                p += f.codec.size();
                            }
                            _ => return None,
                        }
                    }
                    if !it.filler {
                        map.entry(name).or_insert(Slot::Table {
                            at: pos,
                            elem: p,
                            max: o.max,
                            children: inner,
                        });
                    }
                    pos += p * o.max;
                }
                (ItemKind::Field(_), Some(_)) => return None,
            }
        }
        Some(pos)
    }

    /// Encodes `flat` into `out` (one record long); None when RecordWriter must decide (a
    /// value it would reject, or a shape not modelled), so errors stay RecordWriter's own.
    fn encode(&self, flat: &Flat, enc: &Encoding, out: &mut [u8]) -> Option<()> {
        out.copy_from_slice(&self.template);
        let put = |codec: &Codec, v: &Value, out: &mut [u8]| -> Option<()> {
            let b = parsers::writer::encode_field(codec, v, enc).ok()?;
            (b.len() == codec.size()).then(|| out[..b.len()].copy_from_slice(&b))
        };
        for (name, v) in flat {
            match self.by_name.get(name.as_str()) {
                // nest drops names the layout lacks.
                None => {}
                Some(Slot::Field { at, codec }) => put(codec, v, &mut out[*at..])?,
                Some(Slot::Table {
                    at,
                    elem,
                    max,
                    children,
                }) => {
                    let Value::Array(elems) = v else { return None };
                    if elems.len() > *max {
                        return None;
                    }
                    // A later value of the same name replaces the whole table.
                    let span = *at..*at + elem * max;
                    out[span.clone()].copy_from_slice(&self.template[span]);
                    for (k, e) in elems.iter().enumerate() {
                        let Value::Group(g) = e else { return None };
                        for (cn, cv) in g {
                            if let Some((rel, codec)) = children.get(cn.as_str()) {
                                put(codec, cv, &mut out[at + k * elem + rel..])?;
                            }
                        }
                    }
                }
                Some(Slot::Other) => return None,
            }
        }
        Some(())
    }
}

/// Encodes one file: header, data records (in parallel, order kept), trailer.
pub fn encode_file(
    f: &VendorFile,
    enc: &Encoding,
    header: Flat,
    data: Vec<Flat>,
    trailer: Flat,
) -> Result<(Vec<u8>, usize, usize), SampleError> {
    let p = Parsed::of(f)?;
    let (h, d, tr) = (p.rec("-HDR")?, p.rec("-REC")?, p.rec("-TRL")?);
    let write = |rl: &RecordLayout, flat: Flat, no: usize| -> Result<Vec<u8>, SampleError> {
        let mut m: BTreeMap<String, Value> = flat.into_iter().collect();
        let v = nest(&rl.items, &mut m);
        RecordWriter::new(rl, enc)
            .write(&v)
            .map_err(|e| SampleError::Write {
                file: f.id.to_string(),
                record: no,
                field: e.field,
                message: e.message,
            })
    };
    let lrecl = d.max_len;
    let count = data.len();
    let slots = Slots::new(d, enc);
    let head = write(h, header, 1)?;
    let body_end = head.len() + count * lrecl;
    let mut out = Vec::with_capacity(body_end + tr.max_len);
    out.extend_from_slice(&head);
    out.resize(body_end, 0);
    // Records go straight into their place in the file; chunks of records per task keep the
    // scheduling cheap, and the first error in record order is the one reported.
    const CHUNK: usize = 512;
    let errors: Vec<SampleError> = out[head.len()..body_end]
        .par_chunks_mut(lrecl * CHUNK)
        .zip(data.into_par_iter().chunks(CHUNK))
        .enumerate()
        .filter_map(|(c, (buf, recs))| {
            for (j, (dst, r)) in buf.chunks_mut(lrecl).zip(recs).enumerate() {
                if slots
                    .as_ref()
                    .and_then(|s| s.encode(&r, enc, dst))
                    .is_none()
                {
                    let no = c * CHUNK + j + 2;
                    match write(d, r, no) {
                        Ok(b) if b.len() == lrecl => dst.copy_from_slice(&b),
                        Ok(b) => {
                            return Some(SampleError::Write {
                                file: f.id.to_string(),
                                record: no,
                                field: String::new(),
                                message: format!("{} bytes, not {lrecl}", b.len()),
                            });
                        }
                        Err(e) => return Some(e),
                    }
                }
            }
            None
        })
        .collect();
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    out.extend(write(tr, trailer, count + 2)?);
    Ok((out, count, lrecl))
}

/// Byte offset and length of a field in a file's data record.
pub fn field_at(f: &VendorFile, record: &str, name: &str) -> Option<(usize, usize)> {
    let p = Parsed::of(f).ok()?;
    let r = p.rec(record).ok()?;
    r.find(name).map(|it| (it.offset, it.size))
}
