//! The vendor profile: which files a vendor delivers, how their records are told apart, and
//! which vendor field becomes which domain field, converted how. It is data (TOML under
//! `mappings/profiles/`), so another vendor's layout is a new file, not new code.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// The sample vendor's profile, shipped with the binary (the file under `mappings/profiles/`).
pub const DEFAULT_PROFILE: &str = include_str!("../../mappings/profiles/fujitsu-sample.toml");
pub const DEFAULT_PROFILE_NAME: &str = "mappings/profiles/fujitsu-sample.toml";

/// Domain entities a vendor file can feed. Validation rules know these by name.
pub const ENTITIES: &[&str] = &[
    "koseki",
    "koseki_jiko",
    "person",
    "mibun_jiko",
    "fuhyo",
    "uketsuke",
    "fujuri",
    "image_register",
    "zaigai_senkyo",
    "tokei",
    "kojin_jotai",
    "shikibetsu_fugo",
    "jimu_renkei",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Code page of the files unless a file says otherwise (a `moji` code page name).
    pub encoding: String,
    /// Code tables: name → where the vendor's code list is.
    #[serde(default)]
    pub code_tables: BTreeMap<String, CodeTableSpec>,
    /// The vendor's gaiji glyph images, for the 文字照合 report and local gaiji registration.
    #[serde(default)]
    pub gaiji: GaijiSpec,
    /// Data files.
    #[serde(rename = "file", default)]
    pub files: Vec<FileSpec>,
    /// Image registers (TIFF), described by a 見出し file among `files`.
    #[serde(default)]
    pub images: Option<ImageSpec>,
    /// Which code names mean what to the validation rules.
    #[serde(default)]
    pub rules: RuleSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeTableSpec {
    /// Path relative to the input folder (empty when `values` lists the codes).
    #[serde(default)]
    pub file: String,
    /// Codes written in the layout document itself (e.g. `1=現在戸籍 2=全部除籍`).
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Column (0-based) of the code and of the name in a TSV/CSV line.
    #[serde(default)]
    pub code_column: usize,
    #[serde(default = "one")]
    pub name_column: usize,
    /// Lines to skip at the top (a header).
    #[serde(default)]
    pub skip: usize,
}

fn one() -> usize {
    1
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaijiSpec {
    /// Folder of `<code>.png` glyph images, relative to the input folder.
    #[serde(default)]
    pub png_dir: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Data file, relative to the input folder.
    pub data: String,
    /// Its copybook (or layout table), relative to the input folder.
    pub layout: String,
    /// Domain entity its detail records become (one of [`ENTITIES`]).
    pub entity: String,
    /// Code page, when not the profile's.
    #[serde(default)]
    pub encoding: Option<String>,
    /// The 01 record of the layout that describes detail records (default: the first, or the
    /// one whose name ends in the detail value's record).
    #[serde(default)]
    pub detail_record: Option<String>,
    #[serde(default)]
    pub header_record: Option<String>,
    #[serde(default)]
    pub trailer_record: Option<String>,
    /// How header, detail and trailer records are told apart.
    #[serde(default)]
    pub record_type: Option<RecordTypeSpec>,
    /// Field of the trailer record holding the count of detail records.
    #[serde(default)]
    pub trailer_count: Option<String>,
    /// Domain fields that together identify a record (duplicates are quarantined).
    #[serde(default)]
    pub key: Vec<String>,
    /// Domain field → vendor field and conversion.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldMap>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTypeSpec {
    /// Field that holds the record type (same place in every record of the file).
    pub field: String,
    pub header: Option<String>,
    pub detail: String,
    pub trailer: Option<String>,
}

/// A vendor field named alone (converted by its codec's default), or with a conversion.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldMap {
    Name(String),
    Spec(FieldSpec),
}

impl FieldMap {
    pub fn spec(&self) -> FieldSpec {
        match self {
            FieldMap::Name(n) => FieldSpec {
                field: n.clone(),
                conv: None,
                table: None,
                required: false,
                tag: None,
                value: None,
                count: None,
            },
            FieldMap::Spec(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Vendor (copybook) field name.
    pub field: String,
    /// Conversion; default from the field's codec (text for X/N, number for numeric).
    #[serde(rename = "as", default)]
    pub conv: Option<Conv>,
    /// Code table name for `as = "code"`.
    #[serde(default)]
    pub table: Option<String>,
    /// An empty value is a fault.
    #[serde(default)]
    pub required: bool,
    /// For `as = "items"`: the tag-code field and the value field inside the OCCURS group
    /// named by `field`, and the field counting the occurrences in use.
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub count: Option<String>,
}

/// How a vendor field's value becomes a domain value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conv {
    /// Text through the code page and the 文字同定 table; original bytes kept.
    Text,
    /// Half-width kana (EBCDIK) widened to full width; original bytes kept.
    Kana,
    /// An identifier: trimmed text or the digits of a number.
    Id,
    /// A number.
    Number,
    /// A 和暦 date in the vendor's 7-digit GYYMMDD form (00 for unknown month/day; all zero
    /// for no date).
    Date,
    /// A code, named through a code table; an undefined code is a fault.
    Code,
    /// Any non-blank, non-zero value is true.
    Flag,
    /// Tagged 【】 items: an OCCURS group of (tag code, text value); tags named through
    /// `table`; values through the character pipeline; dates in values checked.
    Items,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// Folder of TIFF files, relative to the input folder.
    pub dir: String,
    /// Domain field of `image_register` records holding the TIFF file name.
    #[serde(default = "image_file_field")]
    pub file_field: String,
    /// Domain field holding the page count the 見出し states.
    #[serde(default = "image_pages_field")]
    pub pages_field: String,
}

fn image_file_field() -> String {
    "image_file".into()
}
fn image_pages_field() -> String {
    "pages".into()
}

/// Code names the validation rules look for (they depend on the vendor's code lists).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// 身分事項 kinds that are marriages (their date must follow birth).
    #[serde(default = "marriage")]
    pub marriage: Vec<String>,
    /// 身分事項 kinds that are deaths (nothing may follow them but 届出 items).
    #[serde(default = "death")]
    pub death: Vec<String>,
    /// 身分事項 kinds that are births.
    #[serde(default = "birth")]
    pub birth: Vec<String>,
}

impl Default for RuleSpec {
    fn default() -> Self {
        RuleSpec {
            marriage: marriage(),
            death: death(),
            birth: birth(),
        }
    }
}

fn marriage() -> Vec<String> {
    vec!["婚姻".into()]
}
fn death() -> Vec<String> {
    vec!["死亡".into()]
}
fn birth() -> Vec<String> {
    vec!["出生".into()]
}

impl Profile {
    /// Parse a profile and check it names only known entities and tables.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, Error> {
        let p: Profile =
            toml::from_str(text).map_err(|e| Error::Profile(format!("{origin}: {e}")))?;
        for f in &p.files {
            if !ENTITIES.contains(&f.entity.as_str()) {
                return Err(Error::Profile(format!(
                    "{origin}: file {}: unknown entity {:?} (known: {})",
                    f.data,
                    f.entity,
                    ENTITIES.join(", ")
                )));
            }
            for (name, m) in &f.fields {
                let s = m.spec();
                if s.conv == Some(Conv::Items) && (s.tag.is_none() || s.value.is_none()) {
                    return Err(Error::Profile(format!(
                        "{origin}: file {} field {name}: `as = \"items\"` needs `tag` and `value`",
                        f.data
                    )));
                }
                if matches!(s.conv, Some(Conv::Code | Conv::Items)) {
                    match &s.table {
                        Some(t) if p.code_tables.contains_key(t) => {}
                        Some(t) => {
                            return Err(Error::Profile(format!(
                                "{origin}: file {} field {name}: no code table {t:?}",
                                f.data
                            )));
                        }
                        None => {
                            return Err(Error::Profile(format!(
                                "{origin}: file {} field {name}: `as = {:?}` needs `table`",
                                f.data, s.conv
                            )));
                        }
                    }
                }
            }
            for k in &f.key {
                if !f.fields.contains_key(k) {
                    return Err(Error::Profile(format!(
                        "{origin}: file {}: key field {k:?} is not mapped",
                        f.data
                    )));
                }
            }
        }
        Ok(p)
    }

    pub fn load(path: &Path) -> Result<Profile, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Profile::parse(&text, &path.display().to_string())
    }

    /// The profile shipped with the binary.
    pub fn default_profile() -> Profile {
        Profile::parse(DEFAULT_PROFILE, DEFAULT_PROFILE_NAME)
            .expect("the shipped profile parses (tested)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profile_parses() {
        let p = Profile::parse(DEFAULT_PROFILE, DEFAULT_PROFILE_NAME).unwrap();
        assert!(p.files.iter().any(|f| f.entity == "person"));
        assert!(p.files.iter().any(|f| f.entity == "koseki"));
    }

    #[test]
    fn unknown_entity_and_table_are_errors() {
        let bad = "name='x'\nencoding='jef'\n[[file]]\ndata='A'\nlayout='A.cpy'\nentity='nope'\n";
        let e = Profile::parse(bad, "t").unwrap_err().to_string();
        assert!(e.contains("unknown entity"), "{e}");
        let bad = "name='x'\nencoding='jef'\n[[file]]\ndata='A'\nlayout='A.cpy'\nentity='person'\n[file.fields]\nsex={field='SEX',as='code',table='sex'}\n";
        let e = Profile::parse(bad, "t").unwrap_err().to_string();
        assert!(e.contains("no code table"), "{e}");
    }

    #[test]
    fn field_shorthand_and_spec() {
        let t = "name='x'\nencoding='jef'\n[code_tables]\nsex={file='codes/SEX.tsv'}\n[[file]]\ndata='A'\nlayout='A.cpy'\nentity='person'\nkey=['person_id']\n[file.fields]\nperson_id='P-ID'\nsex={field='SEX',as='code',table='sex'}\n";
        let p = Profile::parse(t, "t").unwrap();
        let f = &p.files[0];
        assert_eq!(f.fields["person_id"].spec().field, "P-ID");
        assert_eq!(f.fields["sex"].spec().conv, Some(Conv::Code));
        assert_eq!(p.code_tables["sex"].name_column, 1);
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    /// The package folder of this run (cargo sets it when it runs a test), not the one the
    /// test was compiled in.
    fn manifest_dir() -> String {
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
    }

    /// Every field the shipped profile names exists in the vendor's copybooks (the ones the
    /// sample generator writes, committed under samples/vendor/layout).
    #[test]
    fn shipped_profile_fields_exist_in_the_vendor_copybooks() {
        let p = Profile::default_profile();
        let root = Path::new(&manifest_dir()).join("../samples/vendor");
        for f in &p.files {
            let name = Path::new(&f.layout).file_name().unwrap();
            let text = std::fs::read_to_string(root.join("layout").join(name)).unwrap();
            let layout = parsers::parse_copybook(&text, parsers::SourceFormat::Auto).unwrap();
            let detail = layout.record(f.detail_record.as_deref().unwrap()).unwrap();
            let idx = crate::read::FieldIndex::of(detail).unwrap();
            for (domain, m) in &f.fields {
                let s = m.spec();
                for n in [
                    Some(&s.field),
                    s.tag.as_ref(),
                    s.value.as_ref(),
                    s.count.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(
                        idx.get(n).is_some(),
                        "{}: {domain} → {n} not in {}",
                        f.data,
                        f.layout
                    );
                }
            }
            let trl = layout.record(f.trailer_record.as_deref().unwrap()).unwrap();
            assert!(
                trl.find(f.trailer_count.as_deref().unwrap()).is_some(),
                "{}",
                f.data
            );
        }
        for spec in p.code_tables.values().filter(|s| !s.file.is_empty()) {
            let name = Path::new(&spec.file).file_name().unwrap();
            assert!(root.join("codes").join(name).is_file(), "{}", spec.file);
        }
    }
}
