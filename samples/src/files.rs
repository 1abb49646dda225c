//! The vendor's data files: each record is built as named values and encoded through
//! `parsers`' RecordWriter with the file's own copybook, so `koseki dump` reads it back.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use parsers::decode::{DecodeOptions, RecordDecoder};
use parsers::{
    Codec, Encoding, Item, ItemKind, Layout, RecordLayout, RecordWriter, SourceFormat, Value,
    parse_copybook,
};
use rayon::prelude::*;

use crate::SampleError;
use crate::day::Day;

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

/// Index of each vendor file in [`FILES`], for [`crate::records::Sink`].
pub const K01: usize = 0;
pub const K02: usize = 1;
pub const K03: usize = 2;
pub const K04: usize = 3;
pub const K05: usize = 4;
pub const K06: usize = 5;
pub const K07: usize = 6;
pub const K08: usize = 7;
pub const K09: usize = 8;
pub const K10: usize = 9;
pub const K11: usize = 10;
pub const K12: usize = 11;

/// Where a file's records are encoded while the city is walked: records are kept only until a
/// batch is full, then encoded in parallel (order kept) and written, so a million persons never
/// sit in memory as named values.
pub struct FileOut<'a> {
    pub vf: &'a VendorFile,
    rec: &'a RecordLayout,
    trl: &'a RecordLayout,
    slots: Option<Slots<'a>>,
    enc: &'a Encoding,
    lrecl: usize,
    head_len: usize,
    path: PathBuf,
    out: BufWriter<File>,
    pending: Vec<Flat>,
    /// Data records already written.
    written: usize,
    /// Records whose place is by key (encoded already), written after the others in key order.
    keyed: Vec<((Day, usize), Vec<u8>)>,
}

/// Records per batch: about 4 MiB of encoded bytes.
fn batch(lrecl: usize) -> usize {
    ((4 << 20) / lrecl.max(1)).clamp(256, 16_384)
}

impl<'a> FileOut<'a> {
    /// Creates `path` and writes the header record.
    pub fn create(
        vf: &'a VendorFile,
        parsed: &'a Parsed,
        enc: &'a Encoding,
        path: PathBuf,
        header: Flat,
    ) -> Result<FileOut<'a>, SampleError> {
        let (h, d, tr) = (
            parsed.rec("-HDR")?,
            parsed.rec("-REC")?,
            parsed.rec("-TRL")?,
        );
        let head = write_record(vf, h, enc, header, 1)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(crate::io(dir))?;
        }
        let file = File::create(&path).map_err(crate::io(&path))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&head).map_err(crate::io(&path))?;
        Ok(FileOut {
            vf,
            rec: d,
            trl: tr,
            slots: Slots::new(d, enc),
            enc,
            lrecl: d.max_len,
            head_len: head.len(),
            path,
            out,
            pending: Vec::new(),
            written: 0,
            keyed: Vec::new(),
        })
    }

    /// Data records so far.
    pub fn count(&self) -> usize {
        self.written + self.pending.len() + self.keyed.len()
    }

    pub fn push(&mut self, rec: Flat) -> Result<(), SampleError> {
        self.pending.push(rec);
        if self.pending.len() >= batch(self.lrecl) {
            self.flush_pending()?;
        }
        Ok(())
    }

    /// Data record length.
    pub fn lrecl(&self) -> usize {
        self.lrecl
    }

    /// Encodes and writes `recs` after what is held.
    pub fn push_all(&mut self, recs: Vec<Flat>) -> Result<(), SampleError> {
        if self.pending.is_empty() {
            self.pending = recs;
        } else {
            self.pending.extend(recs);
        }
        self.flush_pending()
    }

    /// A record whose place in the file is the order of `key` among the keyed records.
    pub fn push_keyed(&mut self, key: (Day, usize), rec: Flat) -> Result<(), SampleError> {
        let mut dst = vec![0u8; self.lrecl];
        let no = self.keyed.len() + 2;
        self.encode_into(rec, no, &mut dst)?;
        self.keyed.push((key, dst));
        Ok(())
    }

    /// Encodes one data record (record number `no` for errors) into `dst`.
    fn encode_into(&self, r: Flat, no: usize, dst: &mut [u8]) -> Result<(), SampleError> {
        if self
            .slots
            .as_ref()
            .and_then(|s| s.encode(&r, self.enc, dst))
            .is_some()
        {
            return Ok(());
        }
        let b = write_record(self.vf, self.rec, self.enc, r, no)?;
        if b.len() != self.lrecl {
            return Err(SampleError::Write {
                file: self.vf.id.to_string(),
                record: no,
                field: String::new(),
                message: format!("{} bytes, not {}", b.len(), self.lrecl),
            });
        }
        dst.copy_from_slice(&b);
        Ok(())
    }

    fn flush_pending(&mut self) -> Result<(), SampleError> {
        let data = std::mem::take(&mut self.pending);
        let lrecl = self.lrecl;
        let mut buf = vec![0u8; data.len() * lrecl];
        // Chunks of records per task keep the scheduling cheap; the first error in record
        // order is the one reported.
        const CHUNK: usize = 256;
        let first = self.written;
        let this = &*self;
        let errors: Vec<SampleError> = buf
            .par_chunks_mut(lrecl * CHUNK)
            .zip(data.into_par_iter().chunks(CHUNK))
            .enumerate()
            .filter_map(|(c, (buf, recs))| {
                for (j, (dst, r)) in buf.chunks_mut(lrecl).zip(recs).enumerate() {
                    if let Err(e) = this.encode_into(r, first + c * CHUNK + j + 2, dst) {
                        return Some(e);
                    }
                }
                None
            })
            .collect();
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        self.written += buf.len() / lrecl.max(1);
        self.out.write_all(&buf).map_err(crate::io(&self.path))
    }

    /// Writes what is still held; the file then has its header and every data record.
    pub fn finish(mut self) -> Result<Body<'a>, SampleError> {
        self.flush_pending()?;
        let mut keyed = std::mem::take(&mut self.keyed);
        keyed.sort_by_key(|(k, _)| *k);
        for (_, b) in &keyed {
            self.out.write_all(b).map_err(crate::io(&self.path))?;
        }
        self.written += keyed.len();
        drop(keyed);
        let file = self
            .out
            .into_inner()
            .map_err(|e| crate::io(&self.path)(e.into_error()))?;
        drop(file);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(crate::io(&self.path))?;
        Ok(Body {
            vf: self.vf,
            rec: self.rec,
            trl: self.trl,
            enc: self.enc,
            lrecl: self.lrecl,
            head_len: self.head_len,
            records: self.written,
            path: self.path,
            file,
        })
    }
}

/// A data file written up to its last data record: records can still be read back, changed
/// field by field, or copied to the end (`--faults`) before the trailer is written.
pub struct Body<'a> {
    pub vf: &'a VendorFile,
    rec: &'a RecordLayout,
    trl: &'a RecordLayout,
    enc: &'a Encoding,
    pub lrecl: usize,
    head_len: usize,
    /// Data records in the file.
    pub records: usize,
    path: PathBuf,
    file: File,
}

impl Body<'_> {
    fn offset(&self, i: usize) -> u64 {
        (self.head_len + i * self.lrecl) as u64
    }

    pub fn read_at(&self, at: u64, len: usize) -> Result<Vec<u8>, SampleError> {
        let mut b = vec![0u8; len];
        self.file
            .read_exact_at(&mut b, at)
            .map_err(crate::io(&self.path))?;
        Ok(b)
    }

    pub fn write_at(&self, at: u64, bytes: &[u8]) -> Result<(), SampleError> {
        self.file
            .write_all_at(bytes, at)
            .map_err(crate::io(&self.path))
    }

    /// The number in field `name` of data record `i` (0 when absent or not a number).
    pub fn num(&self, i: usize, name: &str) -> Result<i128, SampleError> {
        let rec = self.read_at(self.offset(i), self.lrecl)?;
        let mut problems = Vec::new();
        let v = RecordDecoder::new(self.rec, self.enc, DecodeOptions::default())
            .decode_value(&rec, &mut problems);
        Ok(find_value(&v, name)
            .and_then(Value::as_number)
            .and_then(|d| d.to_i128())
            .unwrap_or(0))
    }

    /// Sets field `name` of data record `i` to `v`: the bytes the record would have had,
    /// had `v` been its value when it was encoded.
    pub fn set(&mut self, i: usize, name: &str, v: &Value) -> Result<(), SampleError> {
        let bad = |message: String| SampleError::Write {
            file: self.vf.id.to_string(),
            record: i + 2,
            field: name.to_string(),
            message,
        };
        let it = self
            .rec
            .find(name)
            .ok_or_else(|| bad("no such field".into()))?;
        let ItemKind::Field(f) = &it.kind else {
            return Err(bad("not an elementary field".into()));
        };
        let b = parsers::writer::encode_field(&f.codec, v, self.enc).map_err(bad)?;
        if b.len() != f.codec.size() {
            return Err(bad(format!("{} bytes, not {}", b.len(), f.codec.size())));
        }
        self.write_at(self.offset(i) + it.offset as u64, &b)
    }

    /// Appends a copy of data record `i`.
    pub fn push_copy(&mut self, i: usize) -> Result<(), SampleError> {
        let rec = self.read_at(self.offset(i), self.lrecl)?;
        self.write_at(self.offset(self.records), &rec)?;
        self.records += 1;
        Ok(())
    }

    /// Writes the trailer after the last data record.
    pub fn write_trailer(&mut self, trailer: Flat) -> Result<(), SampleError> {
        let no = self.records + 2;
        let b = write_record(self.vf, self.trl, self.enc, trailer, no)?;
        self.write_at(self.offset(self.records), &b)?;
        self.file
            .set_len(self.offset(self.records) + b.len() as u64)
            .map_err(crate::io(&self.path))
    }

    /// Cuts the file to `len` bytes.
    pub fn truncate(&mut self, len: u64) -> Result<(), SampleError> {
        self.file.set_len(len).map_err(crate::io(&self.path))
    }
}

/// The first value named `name` anywhere in a decoded record.
fn find_value<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    match v {
        Value::Group(g) => g.iter().find_map(|(k, c)| {
            if k == name {
                Some(c)
            } else {
                find_value(c, name)
            }
        }),
        Value::Array(a) => a.iter().find_map(|c| find_value(c, name)),
        _ => None,
    }
}

/// Encodes a record through RecordWriter (headers, trailers, and what the fast path leaves).
fn write_record(
    vf: &VendorFile,
    rl: &RecordLayout,
    enc: &Encoding,
    flat: Flat,
    no: usize,
) -> Result<Vec<u8>, SampleError> {
    let mut m: BTreeMap<String, Value> = flat.into_iter().collect();
    let v = nest(&rl.items, &mut m);
    RecordWriter::new(rl, enc)
        .write(&v)
        .map_err(|e| SampleError::Write {
            file: vf.id.to_string(),
            record: no,
            field: e.field,
            message: e.message,
        })
}

/// A full batch of one file's records, on its way from the records walk to the writer.
pub enum Batch {
    Plain(usize, Vec<Flat>),
    Keyed(usize, Vec<((Day, usize), Flat)>),
}

/// The records walk's sink when the writing runs on another thread: records are gathered per
/// file and sent in batches, so the walk and the encoding overlap.
pub struct BatchSink {
    tx: std::sync::mpsc::SyncSender<Batch>,
    plain: Vec<Vec<Flat>>,
    keyed: Vec<Vec<((Day, usize), Flat)>>,
    sizes: Vec<usize>,
}

impl BatchSink {
    /// `lrecls`: each file's data record length, in [`FILES`] order.
    pub fn new(tx: std::sync::mpsc::SyncSender<Batch>, lrecls: &[usize]) -> BatchSink {
        BatchSink {
            tx,
            plain: lrecls.iter().map(|_| Vec::new()).collect(),
            keyed: lrecls.iter().map(|_| Vec::new()).collect(),
            sizes: lrecls.iter().map(|&l| batch(l)).collect(),
        }
    }

    fn send(&self, b: Batch) -> Result<(), SampleError> {
        // The writer only hangs up after an error, which it reports itself.
        self.tx
            .send(b)
            .map_err(|_| SampleError::Layout("the file writer stopped".into()))
    }

    /// Sends what is still gathered; the writer ends when this sink is gone.
    pub fn finish(mut self) -> Result<(), SampleError> {
        for i in 0..self.plain.len() {
            let p = std::mem::take(&mut self.plain[i]);
            if !p.is_empty() {
                self.send(Batch::Plain(i, p))?;
            }
            let k = std::mem::take(&mut self.keyed[i]);
            if !k.is_empty() {
                self.send(Batch::Keyed(i, k))?;
            }
        }
        Ok(())
    }
}

impl crate::records::Sink for BatchSink {
    fn push(&mut self, file: usize, rec: Flat) -> Result<(), SampleError> {
        self.plain[file].push(rec);
        if self.plain[file].len() >= self.sizes[file] {
            let p = std::mem::take(&mut self.plain[file]);
            self.send(Batch::Plain(file, p))?;
        }
        Ok(())
    }
    fn push_keyed(&mut self, file: usize, key: (Day, usize), rec: Flat) -> Result<(), SampleError> {
        self.keyed[file].push((key, rec));
        if self.keyed[file].len() >= self.sizes[file] {
            let k = std::mem::take(&mut self.keyed[file]);
            self.send(Batch::Keyed(file, k))?;
        }
        Ok(())
    }
}

/// Encodes and writes batches until the sending side is gone.
pub fn write_batches(
    files: &mut [FileOut],
    rx: std::sync::mpsc::Receiver<Batch>,
) -> Result<(), SampleError> {
    for b in rx {
        match b {
            Batch::Plain(i, recs) => files[i].push_all(recs)?,
            Batch::Keyed(i, recs) => {
                for (k, r) in recs {
                    files[i].push_keyed(k, r)?;
                }
            }
        }
    }
    Ok(())
}

/// Byte offset and length of a field in a file's data record.
pub fn field_at(f: &VendorFile, record: &str, name: &str) -> Option<(usize, usize)> {
    let p = Parsed::of(f).ok()?;
    let r = p.rec(record).ok()?;
    r.find(name).map(|it| (it.offset, it.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The K03 file's layout parsed, the JEF encoding, and where to write it in `dir`.
    fn k03_file(dir: &std::path::Path) -> (&'static VendorFile, Parsed, Encoding, PathBuf) {
        let vf = &FILES[K03];
        (vf, Parsed::of(vf).unwrap(), jef(), dir.join("K03KOJIN.DAT"))
    }

    fn k03(zokugara: &str) -> Flat {
        vec![
            ("K03-REC-KBN".to_string(), t("2")),
            ("K03-KOSEKI-NO".to_string(), n(10_000_001)),
            ("K03-KOJIN-NO".to_string(), n(42)),
            ("K03-UJI".to_string(), t("山田")),
            ("K03-ZOKUGARA-CD".to_string(), t(zokugara)),
        ]
    }

    /// `--faults` changes written records field by field: the bytes must be those the changed
    /// record would have been encoded as, or the dataset would depend on how it was made.
    #[test]
    fn a_field_set_in_the_file_equals_the_record_encoded_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let (vf, p, enc, path) = k03_file(dir.path());
        let header = crate::records::header("K03", vf.id);
        let mut fo = FileOut::create(vf, &p, &enc, path.clone(), header).unwrap();
        fo.push(k03("01")).unwrap();
        fo.push_all(vec![k03("99"), k03("02")]).unwrap();
        assert_eq!(fo.count(), 3);
        let mut body = fo.finish().unwrap();
        assert_eq!(body.records, 3);
        let lrecl = body.lrecl;
        let rec = |b: &Body, i: usize| b.read_at(((i + 1) * lrecl) as u64, lrecl).unwrap();
        assert_ne!(rec(&body, 0), rec(&body, 1));
        body.set(0, "K03-ZOKUGARA-CD", &t("99")).unwrap();
        assert_eq!(rec(&body, 0), rec(&body, 1));
        assert_eq!(body.num(2, "K03-KOSEKI-NO").unwrap(), 10_000_001);
        assert_eq!(body.num(2, "K03-KOJIN-NO").unwrap(), 42);
        assert!(body.set(0, "K03-NO-SUCH-FIELD", &n(1)).is_err());
        body.push_copy(2).unwrap();
        assert_eq!(body.records, 4);
        assert_eq!(rec(&body, 3), rec(&body, 2));
        body.write_trailer(crate::records::trailer("K03", vf.id, 4, Vec::new()))
            .unwrap();
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        assert_eq!(len, 6 * lrecl);
    }

    /// Keyed records come after the others, in key order, whatever order they were given in.
    #[test]
    fn keyed_records_are_written_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let (vf, p, enc, path) = k03_file(dir.path());
        let header = crate::records::header("K03", vf.id);
        let mut fo = FileOut::create(vf, &p, &enc, path.clone(), header).unwrap();
        fo.push_keyed((5, 0), k03("05")).unwrap();
        fo.push_keyed((1, 1), k03("01")).unwrap();
        fo.push_keyed((1, 0), k03("00")).unwrap();
        let body = fo.finish().unwrap();
        let lrecl = body.lrecl;
        let (off, _) = field_at(vf, "-REC", "K03-ZOKUGARA-CD").unwrap();
        let zok: Vec<Vec<u8>> = (0..3)
            .map(|i| body.read_at(((i + 1) * lrecl + off) as u64, 2).unwrap())
            .collect();
        let ebcdic = |s: &str| s.bytes().map(|c| 0xF0 + (c - b'0')).collect::<Vec<u8>>();
        assert_eq!(zok, vec![ebcdic("00"), ebcdic("01"), ebcdic("05")]);
    }
}
