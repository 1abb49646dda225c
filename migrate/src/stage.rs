//! Records read and converted, before loading: each row keeps where it came from, and each
//! file keeps what was set aside (quarantine) and what its trailer said.

use std::cell::OnceCell;

use reports::QuarantineItem;

use crate::profile::FileSpec;
use crate::value::Value;

/// Key fields of a record: domain name → value, `None` when unreadable.
pub type Keys = Vec<(String, Option<String>)>;

/// One converted detail record.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Record number in the file, from 1, counting every physical record.
    pub record: u64,
    /// Byte offset in the file.
    pub offset: u64,
    /// Values in the order of [`StagedFile::columns`].
    pub values: Vec<Value>,
}

/// A data file after reading and converting.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub spec: FileSpec,
    /// Domain field names (the profile's mapping keys, sorted).
    pub columns: Vec<String>,
    /// Vendor field name of each column.
    pub vendor: Vec<String>,
    pub rows: Vec<Row>,
    pub quarantine: Vec<QuarantineItem>,
    /// Problems of the file itself (missing trailer, trailer count that disagrees): listed
    /// with the quarantine, not counted as records.
    pub file_problems: Vec<QuarantineItem>,
    /// Records held back because a record they depend on was quarantined (a person whose
    /// 戸籍 record is bad…): not loaded, counted, listed with their cause.
    pub held: Vec<QuarantineItem>,
    /// Key fields (domain name → value, `None` when unreadable) of quarantined records.
    pub quarantined_keys: Vec<(u64, Keys)>,
    /// Count the trailer states, when the file has a trailer.
    pub trailer_count: Option<u64>,
    /// Detail records read (loaded + quarantined).
    pub read: u64,
    /// Converts a row again, whole ([`StagedFile::full`]): rows keep only the fields the
    /// checks read.
    pub decoder: Option<std::sync::Arc<crate::read::RecordDecoder>>,
}

impl StagedFile {
    pub fn new(spec: FileSpec) -> StagedFile {
        let columns: Vec<String> = spec.fields.keys().cloned().collect();
        let vendor = spec.fields.values().map(|m| m.spec().field).collect();
        StagedFile {
            spec,
            columns,
            vendor,
            rows: Vec::new(),
            quarantine: Vec::new(),
            file_problems: Vec::new(),
            held: Vec::new(),
            quarantined_keys: Vec::new(),
            trailer_count: None,
            read: 0,
            decoder: None,
        }
    }

    /// Every mapped value of `row`, converted again from the file when the load asks for it
    /// (or the row itself when the file was not read from disk).
    pub fn full<'r>(
        &'r self,
        row: &'r Row,
        ctx: &'r crate::read::Context<'r>,
    ) -> Result<FullRow<'r>, crate::Error> {
        match &self.decoder {
            Some(d) => Ok(FullRow {
                columns: &d.columns,
                values: (0..d.columns.len()).map(|_| OnceCell::new()).collect(),
                source: Source::File {
                    decoder: d,
                    kept: &row.values,
                    rec: d.record(row.record, row.offset)?,
                    record: row.record,
                    offset: row.offset,
                    ctx,
                },
                failed: OnceCell::new(),
            }),
            None => Ok(FullRow {
                columns: &self.columns,
                values: (0..row.values.len()).map(|_| OnceCell::new()).collect(),
                source: Source::Given(&row.values),
                failed: OnceCell::new(),
            }),
        }
    }

    /// Column index of a domain field.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    pub fn entity(&self) -> &str {
        &self.spec.entity
    }

    /// The value of `name` in `row`, or Empty.
    pub fn get<'a>(&self, row: &'a Row, name: &str) -> &'a Value {
        static EMPTY: Value = Value::Empty;
        self.col(name)
            .and_then(|i| row.values.get(i))
            .unwrap_or(&EMPTY)
    }
}

/// A row with every mapped field (see [`StagedFile::full`]). A field is converted the first
/// time it is asked for: the builders read about two thirds of what a profile maps (the rest
/// was checked when the file was read), and converting is most of their work.
pub struct FullRow<'f> {
    columns: &'f [String],
    values: Vec<OnceCell<Value>>,
    /// Where a field's value comes from the first time it is asked for.
    source: Source<'f>,
    /// The first field that no longer converts (the file changed since it was read).
    failed: OnceCell<String>,
}

enum Source<'f> {
    /// The values themselves (a row not read from a file): copied when asked for, so that
    /// what was asked is known either way (see [`FullRow::unasked`]).
    Given(&'f [Value]),
    /// The record in the file's map.
    File {
        decoder: &'f crate::read::RecordDecoder,
        /// The values the row kept from the first reading (see `RecordDecoder::kept`).
        kept: &'f [Value],
        rec: &'f [u8],
        record: u64,
        offset: u64,
        ctx: &'f crate::read::Context<'f>,
    },
}

impl FullRow<'_> {
    fn value(&self, i: usize) -> &Value {
        self.values[i].get_or_init(|| self.convert(i))
    }

    /// Field `i` from its source; a failure is noted for [`FullRow::check`] and gives Empty.
    fn convert(&self, i: usize) -> Value {
        match self.source {
            Source::Given(given) => given.get(i).cloned().unwrap_or(Value::Empty),
            // Converted once already: the same value, copied.
            Source::File { decoder, kept, .. } if let Ok(k) = decoder.kept.binary_search(&i) => {
                kept.get(k).cloned().unwrap_or(Value::Empty)
            }
            Source::File {
                decoder,
                rec,
                record,
                offset,
                ctx,
                ..
            } => decoder
                .field(rec, record, offset, i, ctx)
                .unwrap_or_else(|e| {
                    let _ = self.failed.set(e.to_string());
                    Value::Empty
                }),
        }
    }

    /// The value of `name`, or Empty.
    pub fn get(&self, name: &str) -> &Value {
        static EMPTY: Value = Value::Empty;
        match self.columns.iter().position(|c| c == name) {
            Some(i) if i < self.values.len() => self.value(i),
            _ => &EMPTY,
        }
    }

    /// The value of `name`, taken out of the row (Empty left behind), so a builder moves it
    /// into the model instead of copying it.
    pub fn take(&mut self, name: &str) -> Value {
        match self.columns.iter().position(|c| c == name) {
            Some(i) if i < self.values.len() => {
                self.value(i);
                std::mem::replace(&mut self.values[i], OnceCell::from(Value::Empty))
                    .into_inner()
                    .unwrap_or(Value::Empty)
            }
            _ => Value::Empty,
        }
    }

    /// (domain name, value) of every field.
    pub fn fields(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.columns
            .iter()
            .enumerate()
            .take(self.values.len())
            .map(|(i, c)| (c, self.value(i)))
    }

    /// (domain name, value) of every field no builder asked for, converted now and handed
    /// over (not kept in the row: the load stores them as the record's migrated fields, and
    /// asks for nothing after). A field that no longer converts fails the row's check.
    pub fn unasked(&self) -> impl Iterator<Item = (&String, Value)> {
        self.columns
            .iter()
            .enumerate()
            .take(self.values.len())
            .filter(|(i, _)| self.values[*i].get().is_none())
            .map(|(i, c)| (c, self.convert(i)))
    }

    /// Whether every field asked for converted (see [`crate::read::RecordDecoder::field`]):
    /// a builder checks before its result is stored. It takes the row, so no field can be
    /// asked for after the check.
    pub fn check(self) -> Result<(), crate::Error> {
        match self.failed.into_inner() {
            Some(e) => Err(crate::Error::Input(e)),
            None => Ok(()),
        }
    }
}

/// Everything read from one dataset.
#[derive(Debug, Clone, Default)]
pub struct Staged {
    pub files: Vec<StagedFile>,
}

impl Staged {
    /// Files feeding `entity`.
    pub fn of<'a>(&'a self, entity: &'a str) -> impl Iterator<Item = (usize, &'a StagedFile)> + 'a {
        self.files
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.spec.entity == entity)
    }

    /// Move rejected rows to their file's quarantine and held rows to its held list, in
    /// record order. `raw` gives the hex of a record's bytes (file index, offset).
    pub fn apply(
        &mut self,
        rejects: Vec<Reject>,
        held: Vec<Reject>,
        raw: impl Fn(usize, u64) -> String,
    ) {
        let n = self.files.len();
        let mut by_file: Vec<std::collections::BTreeMap<u64, (Reject, bool)>> =
            vec![Default::default(); n];
        for (r, is_held) in rejects
            .into_iter()
            .map(|r| (r, false))
            .chain(held.into_iter().map(|r| (r, true)))
        {
            // One verdict per record: the first rule that spoke.
            by_file[r.file].entry(r.record).or_insert((r, is_held));
        }
        for (fi, verdicts) in by_file.into_iter().enumerate() {
            if verdicts.is_empty() {
                continue;
            }
            let file = &mut self.files[fi];
            let mut kept = Vec::with_capacity(file.rows.len());
            for row in std::mem::take(&mut file.rows) {
                match verdicts.get(&row.record) {
                    None => kept.push(row),
                    Some((r, is_held)) => {
                        let item = QuarantineItem {
                            file: file.spec.data.clone(),
                            record: row.record,
                            offset: row.offset,
                            field: r.field.clone(),
                            reason: r.reason.clone(),
                            kind: r.kind.clone(),
                            entity: file.spec.entity.clone(),
                            raw_hex: raw(fi, row.offset),
                        };
                        if *is_held {
                            file.held.push(item)
                        } else {
                            file.quarantine.push(item)
                        }
                    }
                }
            }
            file.rows = kept;
            file.quarantine.sort_by_key(|q| q.record);
        }
    }
}

/// A record a validation rule rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub file: usize,
    pub record: u64,
    /// Vendor field name.
    pub field: String,
    pub kind: String,
    pub reason: String,
}
