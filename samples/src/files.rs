//! The vendor's data files: each record is built as named values and encoded through
//! `parsers`' RecordWriter with the file's own copybook, so `koseki dump` reads it back.

use std::collections::BTreeMap;
use std::sync::Arc;

use parsers::{
    Encoding, Item, ItemKind, Layout, RecordLayout, RecordWriter, SourceFormat, Value,
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
    let mut out = Vec::with_capacity((count + 2) * lrecl);
    out.extend(write(h, header, 1)?);
    let chunks: Vec<Result<Vec<u8>, SampleError>> = data
        .into_par_iter()
        .enumerate()
        .map(|(i, r)| write(d, r, i + 2))
        .collect();
    for c in chunks {
        out.extend(c?);
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
