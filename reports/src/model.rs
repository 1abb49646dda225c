//! What a migration run found, as plain data. `migrate` fills it; this crate writes it out.
//! The JSON shape of [`Summary`] is a contract (`summary.json`): fields are only ever added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `summary.json`: the one file a script reads to know whether a round reconciled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Name of the round (`--round`), e.g. `rehearsal-1`.
    pub round: String,
    /// True when every entity's vendor count equals records read, every record read was
    /// loaded, and nothing was quarantined.
    pub reconciled: bool,
    /// Hash of the loaded content (same inputs → same hash).
    pub content_hash: String,
    /// Number of quarantined records.
    pub quarantined: u64,
    /// Every quarantined record, in input order.
    pub quarantine: Vec<QuarantineItem>,
    /// Per entity: vendor count, read, loaded, quarantined.
    pub counts: BTreeMap<String, EntityCount>,
    /// Gaiji by identification level (`exact`, `design`, `local`…): distinct codes.
    #[serde(default)]
    pub gaiji: BTreeMap<String, u64>,
    /// Number of 整合性 findings by severity.
    #[serde(default)]
    pub findings: BTreeMap<String, u64>,
    /// Image registers: checked, pages, problems.
    #[serde(default)]
    pub images: ImageSummary,
    /// Exit code the command returned (0 ok, 1 needs a human).
    #[serde(default)]
    pub exit_code: u8,
}

/// One line of the 件数照合表.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCount {
    /// What the vendor says (sum of the trailers' counts); `None` when no trailer counts it.
    pub source: Option<u64>,
    /// Data records read from the files.
    pub read: u64,
    /// Records loaded into the store.
    pub loaded: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// Why records were quarantined: reason kind → count.
    #[serde(default)]
    pub reasons: BTreeMap<String, u64>,
}

impl EntityCount {
    /// `source − loaded` (negative when more was loaded than the vendor counted).
    pub fn difference(&self) -> i64 {
        self.source.unwrap_or(self.read) as i64 - self.loaded as i64
    }

    /// The counts agree end to end: vendor = read = loaded, nothing set aside.
    pub fn reconciles(&self) -> bool {
        self.source.is_none_or(|s| s == self.read)
            && self.loaded + self.quarantined == self.read
            && self.quarantined == 0
    }
}

/// A record set aside, with everything needed to find it again in the vendor's file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineItem {
    /// Data file, relative to the input folder.
    pub file: String,
    /// Record number in the file, from 1, counting every physical record.
    pub record: u64,
    /// Byte offset of the record in the file.
    pub offset: u64,
    /// The vendor's field name (copybook name), or `*` for the record as a whole.
    pub field: String,
    /// Human-readable reason.
    pub reason: String,
    /// Reason kind, one word (e.g. `bad_date`, `undefined_code`, `orphan`), for counting.
    #[serde(default)]
    pub kind: String,
    /// Domain entity the record would have become.
    #[serde(default)]
    pub entity: String,
    /// The record's raw bytes, hex.
    #[serde(default)]
    pub raw_hex: String,
}

/// A 整合性 finding (consistency check), whether or not it quarantined a record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `error` (record quarantined), `warning` (loaded, needs a look) or `info`.
    pub severity: String,
    /// Rule name, e.g. `cross_reference`, `date_order`, `duplicate`.
    pub rule: String,
    pub entity: String,
    /// Domain key of the record concerned (戸籍 id, person id…).
    pub key: String,
    pub message: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub record: u64,
}

/// One gaiji in the 文字照合 report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GaijiRow {
    /// Vendor code, hex (e.g. `80A1`).
    pub code: String,
    /// `exact`, `design`, `similar`, `none`, or `unlisted` (not in the mapping at all).
    pub level: String,
    /// Decision: MJ name, or empty when stored as local gaiji.
    pub mj: String,
    /// What is stored: `U+XXXX` (+ ` U+E01xx`), or the local private-use code point.
    pub stored: String,
    /// True when stored as a registered local gaiji.
    pub local: bool,
    /// Occurrences in text fields.
    pub occurrences: u64,
    /// Glyph image, relative to the report folder (copied there), if the vendor list has one.
    pub image: Option<String>,
    /// Persons carrying it (ids), at most a few dozen listed.
    pub persons: Vec<String>,
}

/// One phase of the run log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub millis: u64,
    /// Units of work done (records, pages…).
    pub count: u64,
    pub note: String,
}

/// Image registers (見出し + TIFF files).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSummary {
    /// 見出し records.
    pub registers: u64,
    /// TIFF files found and decoded.
    pub files_checked: u64,
    /// Pages decoded.
    pub pages: u64,
    /// Distinct content-addressed blobs stored.
    pub stored: u64,
    /// Files whose pages failed to decode or whose count disagrees with the 見出し.
    pub problems: u64,
    /// Milliseconds spent on images (reported apart from the rest).
    pub millis: u64,
}

/// Everything the report pages show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrationReport {
    pub summary: Summary,
    /// Input folder, mapping file, store path, profile: as given.
    pub inputs: BTreeMap<String, String>,
    /// Per data file: entity, vendor count, read, loaded, quarantined.
    pub files: Vec<FileCount>,
    pub gaiji: Vec<GaijiRow>,
    pub findings: Vec<Finding>,
    pub phases: Vec<Phase>,
    /// When the run started, as text (the caller's clock; not part of the content hash).
    pub started: String,
}

/// The 件数照合表 at file level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCount {
    pub file: String,
    pub entity: String,
    pub count: EntityCount,
}
