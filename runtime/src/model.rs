//! The domain model of the runtime: 戸籍 as the store keeps them.
//!
//! Invariants every producer (migrate, 届出 processing) and consumer (web, certificates) can
//! rely on:
//!
//! - **Text is never normalised.** Every name, 本籍 and item value is Unicode text exactly as
//!   identified: UCS code points, Moji_Joho IVS (U+E0100…) where the glyph needs one, and
//!   private-use code points for local gaiji ([`LocalGaiji`]). No NFC/NFKC anywhere.
//! - **Vendor bytes ride along.** A [`Text`] carries the original bytes it was decoded from
//!   (`None` only for text created in the runtime), so any 文字同定 decision can be revisited.
//! - **Dates are as recorded.** A [`KosekiDate`] keeps the 和暦 ([`wareki::WarekiDate`], which
//!   may be partial or qualified) and the text as written; the Gregorian day is derived, and
//!   absent when the date is partial or lunisolar.
//! - **Append-only.** Events ([`Jiko`]) are never edited or deleted: a correction (訂正, 更正,
//!   消除) is a new event whose [`Jiko::corrects`] names the event it corrects. Header values that
//!   change over time (a person's 配偶者区分, a 戸籍's status) are new versions in the store,
//!   each naming the event that caused it; readers get the newest version.
//! - **Ids** are store-assigned integers (`0` in a value not yet stored). `source_key` keeps
//!   the vendor's own record key, for reconciliation.

use serde::{Deserialize, Serialize};
pub use wareki::{Era, Qualifier, WarekiDate};

/// Fields a vendor delivered for a record that the model has no place for — a 戸籍's
/// counts and 編製 date, a person's kana, an event's 届出日 and 消除 flag, a 受付's fee — by
/// the profile's domain name, each as the text it converted to (a code as `name (code)`, a
/// date in 和暦) with the vendor's bytes where it was text. A migration keeps them so that
/// nothing delivered is lost; the runtime shows them and never prints them on a certificate.
pub type MigratedFields = std::collections::BTreeMap<String, Text>;

/// [`MigratedFields`] in JSON: a value without vendor bytes (a date, a code, a count) as a
/// plain string, text as a [`Text`] object.
pub(crate) mod migrated_fields_json {
    use super::{MigratedFields, Text};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Form<'a> {
        Plain(std::borrow::Cow<'a, str>),
        Full(std::borrow::Cow<'a, Text>),
    }

    pub fn serialize<S: Serializer>(fields: &MigratedFields, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(fields.iter().map(|(name, t)| {
            let form = match t.vendor_bytes {
                None => Form::Plain(std::borrow::Cow::Borrowed(t.text.as_str())),
                Some(_) => Form::Full(std::borrow::Cow::Borrowed(t)),
            };
            (name, form)
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MigratedFields, D::Error> {
        let forms = std::collections::BTreeMap::<String, Form<'static>>::deserialize(d)?;
        Ok(forms
            .into_iter()
            .map(|(name, form)| {
                let text = match form {
                    Form::Plain(t) => Text::new(t.into_owned()),
                    Form::Full(t) => t.into_owned(),
                };
                (name, text)
            })
            .collect())
    }
}

/// A 戸籍's id in the store.
pub type KosekiId = i64;
/// A person-in-a-戸籍's id in the store (the same human in another 戸籍 has another id).
pub type PersonId = i64;
/// An event's (身分事項 / 戸籍事項) id in the store.
pub type JikoId = i64;
/// A 附票 entry's id.
pub type FuhyoEntryId = i64;
/// An image register's id.
pub type ImageRegisterId = i64;

/// Decoded text with the vendor bytes it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    /// Unicode text, exactly as identified (UCS + IVS / PUA); never normalised.
    pub text: String,
    /// The bytes in the vendor file this text was decoded from; `None` for text entered in
    /// the runtime.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "vendor_bytes_hex"
    )]
    pub vendor_bytes: Option<Vec<u8>>,
}

/// Vendor bytes in JSON as one hex string (a number array is three to four times longer, and
/// person headers are stored as JSON); a number array, as older stores hold, still reads.
///
/// Fixed-length vendor fields end in a run of padding (EBCDIC or JEF spaces, often over half
/// the field), so a trailing run of one byte value is written once with its length:
/// `"c6b740*38"` is `c6 b7` and then 38 bytes `40`. Plain hex (no `*`) still reads.
pub(crate) mod vendor_bytes_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Runs shorter than this stay spelled out (the `*n` suffix would not be shorter).
    const MIN_RUN: usize = 4;

    pub fn encode(bytes: &[u8]) -> String {
        let Some(&last) = bytes.last() else {
            return String::new();
        };
        let run = bytes.iter().rev().take_while(|&&b| b == last).count();
        if run < MIN_RUN {
            return crate::util::hex(bytes);
        }
        let mut s = crate::util::hex(&bytes[..bytes.len() - run + 1]);
        s.push('*');
        s.push_str(&run.to_string());
        s
    }

    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let Some((head, run)) = s.split_once('*') else {
            return crate::util::unhex(s);
        };
        let mut bytes = crate::util::unhex(head)?;
        let run: usize = run.parse().ok().filter(|&n| n >= 1)?;
        let last = *bytes.last()?;
        bytes.resize(bytes.len() + run - 1, last);
        Some(bytes)
    }

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&encode(b)),
            None => s.serialize_none(),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Hex(String),
        Bytes(Vec<u8>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<Form>::deserialize(d)? {
            None => Ok(None),
            Some(Form::Bytes(b)) => Ok(Some(b)),
            Some(Form::Hex(h)) => decode(&h)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("vendor_bytes: not hex")),
        }
    }
}

impl Text {
    /// Text born in the runtime (no vendor bytes).
    pub fn new(text: impl Into<String>) -> Text {
        Text {
            text: text.into(),
            vendor_bytes: None,
        }
    }

    /// Text decoded from vendor bytes.
    pub fn decoded(text: impl Into<String>, vendor_bytes: impl Into<Vec<u8>>) -> Text {
        Text {
            text: text.into(),
            vendor_bytes: Some(vendor_bytes.into()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A date as a 戸籍 records it.
///
/// In JSON a date that its text alone gives back (the 和暦 parsed from it, the Gregorian
/// derived: nearly every date) is that text, `"平成２６年７月２９日"`; any other is the whole
/// object. A person or 附票 row holds two or three dates, so this is a tenth of the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "KosekiDateForm", into = "KosekiDateForm")]
pub struct KosekiDate {
    /// The 和暦 date, when it could be read (possibly partial: 日不詳, or qualified: 推定/頃).
    /// `None` for text that is not a valid 和暦 date (lunisolar, damaged): kept as `text` only.
    pub wareki: Option<WarekiDate>,
    /// The date as written (e.g. 「昭和４７年１１月３日」 or the vendor's field decoded).
    pub text: String,
    /// ISO `YYYY-MM-DD`, when the date is complete and after 明治6年1月1日.
    pub gregorian: Option<String>,
}

/// How a [`KosekiDate`] is written: its text when that says everything, else every part.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum KosekiDateForm {
    Text(String),
    Whole {
        wareki: Option<WarekiDate>,
        text: String,
        gregorian: Option<String>,
    },
}

impl From<KosekiDate> for KosekiDateForm {
    fn from(d: KosekiDate) -> KosekiDateForm {
        if KosekiDate::from_text(d.text.as_str()) == d {
            KosekiDateForm::Text(d.text)
        } else {
            KosekiDateForm::Whole {
                wareki: d.wareki,
                text: d.text,
                gregorian: d.gregorian,
            }
        }
    }
}

impl From<KosekiDateForm> for KosekiDate {
    fn from(f: KosekiDateForm) -> KosekiDate {
        match f {
            KosekiDateForm::Text(text) => KosekiDate::from_text(text),
            KosekiDateForm::Whole {
                wareki,
                text,
                gregorian,
            } => KosekiDate {
                wareki,
                text,
                gregorian,
            },
        }
    }
}

impl KosekiDate {
    /// From a 和暦 date: text in certificate form (full-width digits), Gregorian derived.
    pub fn from_wareki(w: WarekiDate) -> KosekiDate {
        KosekiDate {
            wareki: Some(w),
            text: w.to_fullwidth(),
            gregorian: w.to_gregorian().map(|g| g.iso()),
        }
    }

    /// From recorded text: parsed when it is a valid 和暦 date, kept as text otherwise.
    pub fn from_text(text: impl Into<String>) -> KosekiDate {
        let text = text.into();
        let wareki = WarekiDate::parse(&text).ok();
        KosekiDate {
            wareki,
            gregorian: wareki.and_then(|w| w.to_gregorian()).map(|g| g.iso()),
            text,
        }
    }
}

/// 本籍: structured for search and 住所 matching, plus the display string as recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Honseki {
    /// 都道府県, e.g. 「架空県」 (may be empty when the vendor kept only the display form).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefecture: String,
    /// 市区町村, e.g. 「みなと市」.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub municipality: String,
    /// 町字, e.g. 「中央町一丁目」.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub town: String,
    /// 地番 or 街区符号, e.g. 「２０番地」.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chiban: String,
    /// The whole 本籍 as recorded and printed: 「架空県みなと市中央町一丁目２０番地」.
    pub display: Text,
}

/// 氏 and 名 as recorded (each its own [`Text`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    /// 氏.
    pub uji: Text,
    /// 名.
    pub mei: Text,
}

impl PersonName {
    pub fn new(uji: &str, mei: &str) -> PersonName {
        PersonName {
            uji: Text::new(uji),
            mei: Text::new(mei),
        }
    }

    /// 「氏　名」 with an ideographic space, as 戸籍 print names.
    pub fn display(&self) -> String {
        format!("{}\u{3000}{}", self.uji.text, self.mei.text)
    }
}

/// The state of a 振り仮名 (recorded since 2025-05-26).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FuriganaStatus {
    /// 届出 by the person (or 職権 and confirmed).
    Recorded,
    /// 職権記載 from 2026-05-26, the one free change still open.
    ShokkenProvisional,
    /// Known from the 住民票 or the vendor only; not yet in the 戸籍.
    Unrecorded,
}

/// 振り仮名 (katakana) with its status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Furigana {
    pub kana: Text,
    pub status: FuriganaStatus,
}

/// 戸籍 status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KosekiStatus {
    /// 現在戸籍.
    Genzai,
    /// 全部除籍 (除籍簿).
    ZenbuJoseki,
    /// 改製原戸籍 (read-only; usually images).
    Kaiseigen,
}

impl KosekiStatus {
    /// 現在 / 全部除籍 / 改製原.
    pub fn label(self) -> &'static str {
        match self {
            KosekiStatus::Genzai => "現在",
            KosekiStatus::ZenbuJoseki => "全部除籍",
            KosekiStatus::Kaiseigen => "改製原",
        }
    }

    pub fn from_label(s: &str) -> Option<KosekiStatus> {
        [
            KosekiStatus::Genzai,
            KosekiStatus::ZenbuJoseki,
            KosekiStatus::Kaiseigen,
        ]
        .into_iter()
        .find(|k| k.label() == s)
    }
}

/// A 戸籍 with its 戸籍事項 and members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Koseki {
    pub id: KosekiId,
    pub honseki: Honseki,
    /// 筆頭者 氏名 (the 筆頭者 stays the 戸籍's key even after removal).
    pub hittosha: PersonName,
    /// 氏の振り仮名.
    pub uji_furigana: Option<Furigana>,
    pub status: KosekiStatus,
    /// 戸籍事項 (編製, 改製, 転籍, 消除, 氏の変更 …) in recorded order.
    pub jiko: Vec<KosekiJiko>,
    /// 戸籍に記録されている者, ordered by [`Person::kisai_jun`].
    pub persons: Vec<Person>,
    /// The vendor's key for this 戸籍 (e.g. 戸籍番号), for reconciliation.
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

/// 男女の別 (derived from 続柄 in the 戸籍; recorded directly on the 附票).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// 男 / 女.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// 配偶者区分.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpouseKubun {
    /// 夫.
    Otto,
    /// 妻.
    Tsuma,
}

impl SpouseKubun {
    /// 夫 / 妻.
    pub fn label(self) -> &'static str {
        match self {
            SpouseKubun::Otto => "夫",
            SpouseKubun::Tsuma => "妻",
        }
    }
}

/// A person as recorded in one 戸籍 (戸籍に記録されている者).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub koseki_id: KosekiId,
    /// 記載順: 1 for the first person recorded (usually the 筆頭者).
    pub kisai_jun: u32,
    /// 氏 and 名. The 氏 is normally the 戸籍's; kept per person for 従前の氏 cases.
    pub name: PersonName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uji_furigana: Option<Furigana>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mei_furigana: Option<Furigana>,
    /// 【生年月日】.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<KosekiDate>,
    /// Derived from 続柄 when the vendor does not give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// 【父】 氏名 as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub father: Option<Text>,
    /// 【母】.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mother: Option<Text>,
    /// 【続柄】 to the parents: 長男, 二女, 男 / 女 (嫡出でない子) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zokugara: Option<Text>,
    /// 【養父】.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoptive_father: Option<Text>,
    /// 【養母】.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoptive_mother: Option<Text>,
    /// 【続柄】 to the adoptive parents: 養子 / 養女.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoptive_zokugara: Option<Text>,
    /// 【配偶者区分】, only while married within this 戸籍.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse_kubun: Option<SpouseKubun>,
    /// 除籍 from this 戸籍 (boxed 除籍 on the certificate).
    pub removed: bool,
    /// The event that removed the person (死亡, 婚姻 …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_jiko: Option<JikoId>,
    /// 身分事項 in recorded order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mibun_jiko: Vec<MibunJiko>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

/// The kind of a 身分事項 or 戸籍事項. Unknown vendor kinds are kept as [`JikoKind::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JikoKind {
    // 身分事項
    Shussei,
    Konin,
    Rikon,
    YoshiEngumi,
    YoshiRien,
    Ninchi,
    Shinken,
    Shibo,
    Bunseki,
    Nyuseki,
    UjiHenko,
    NaHenko,
    Kika,
    Kokuseki,
    Shisso,
    Furigana,
    // 戸籍事項
    Hensei,
    Kaisei,
    Tenseki,
    Shojo,
    Saisei,
    // Corrections
    Teisei,
    Kosei,
    /// Any other kind, by its printed label.
    Other(String),
}

const JIKO_LABELS: &[(&str, JikoKind)] = &[
    ("出生", JikoKind::Shussei),
    ("婚姻", JikoKind::Konin),
    ("離婚", JikoKind::Rikon),
    ("養子縁組", JikoKind::YoshiEngumi),
    ("養子離縁", JikoKind::YoshiRien),
    ("認知", JikoKind::Ninchi),
    ("親権", JikoKind::Shinken),
    ("死亡", JikoKind::Shibo),
    ("分籍", JikoKind::Bunseki),
    ("入籍", JikoKind::Nyuseki),
    ("氏の変更", JikoKind::UjiHenko),
    ("名の変更", JikoKind::NaHenko),
    ("帰化", JikoKind::Kika),
    ("国籍", JikoKind::Kokuseki),
    ("失踪", JikoKind::Shisso),
    ("振り仮名", JikoKind::Furigana),
    ("戸籍編製", JikoKind::Hensei),
    ("戸籍改製", JikoKind::Kaisei),
    ("転籍", JikoKind::Tenseki),
    ("戸籍消除", JikoKind::Shojo),
    ("戸籍再製", JikoKind::Saisei),
    ("訂正", JikoKind::Teisei),
    ("更正", JikoKind::Kosei),
];

impl JikoKind {
    /// The label as printed in the left column (出生, 婚姻, 戸籍改製 …).
    pub fn label(&self) -> &str {
        if let JikoKind::Other(s) = self {
            return s;
        }
        JIKO_LABELS
            .iter()
            .find(|(_, k)| k == self)
            .map(|(l, _)| *l)
            .unwrap_or("")
    }

    /// The kind for a printed label; unknown labels become [`JikoKind::Other`].
    pub fn from_label(s: &str) -> JikoKind {
        JIKO_LABELS
            .iter()
            .find(|(l, _)| *l == s)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| JikoKind::Other(s.to_string()))
    }
}

/// One 【tag】value item of an event, in printed order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JikoItem {
    /// The tag without brackets: 「出生日」 for 【出生日】.
    pub tag: String,
    /// The value as text (dates too: 「昭和４７年１１月３日」).
    pub value: Text,
    /// The exact rendered line from the source (e.g. the vendor's print image), kept for
    /// migration round-trip checks; `None` when the event was born in the runtime.
    pub line: Option<String>,
}

impl JikoItem {
    pub fn new(tag: &str, value: &str) -> JikoItem {
        JikoItem {
            tag: tag.to_string(),
            value: Text::new(value),
            line: None,
        }
    }
}

/// How an event relates to an earlier one it corrects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CorrectionKind {
    /// 訂正: the earlier text was wrong.
    Teisei,
    /// 更正: the earlier text became outdated (e.g. 行政区画の変更).
    Kosei,
    /// 消除: the earlier event is struck out.
    Shojo,
}

/// A 身分事項 or 戸籍事項 event with its ordered 【】 items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Jiko {
    pub id: JikoId,
    /// Order within its person / 戸籍 (1, 2, …).
    pub seq: u32,
    pub kind: JikoKind,
    pub items: Vec<JikoItem>,
    /// The event this one corrects, and how (append-only corrections).
    pub corrects: Option<(JikoId, CorrectionKind)>,
    /// The 受付帳 entry it was recorded from, when recorded in the runtime.
    pub uketsuke_id: Option<i64>,
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

impl Jiko {
    /// A new event (id 0 until stored).
    pub fn new(kind: JikoKind, items: Vec<JikoItem>) -> Jiko {
        Jiko {
            id: 0,
            seq: 0,
            kind,
            items,
            corrects: None,
            uketsuke_id: None,
            source_key: None,
            migrated: MigratedFields::new(),
        }
    }

    /// The first item with this tag.
    pub fn item(&self, tag: &str) -> Option<&JikoItem> {
        self.items.iter().find(|i| i.tag == tag)
    }
}

/// A 身分事項 (belongs to a [`Person`]).
pub type MibunJiko = Jiko;
/// A 戸籍事項 (belongs to a [`Koseki`]).
pub type KosekiJiko = Jiko;

/// An address: display form as recorded, plus parts when known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub municipality: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub town: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub banchi: String,
    /// 方書 (building, room).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub katagaki: String,
    pub display: Text,
}

/// Where a 附票 entry came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FuhyoSource {
    /// Loaded from the outgoing vendor system.
    Migrated,
    /// 住基法19条1項 notice from the 住所地 (id of the stored notice payload).
    Notice19(String),
    /// 職権.
    Shokken,
}

/// One row of a 戸籍の附票: one address period of one member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FuhyoEntry {
    pub id: FuhyoEntryId,
    pub koseki_id: KosekiId,
    /// The member, when linked (a 附票 row always belongs to a member of the 戸籍).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<PersonId>,
    /// Order within the 附票.
    pub seq: u32,
    /// 氏名 as on the 附票.
    pub name: PersonName,
    pub address: Address,
    /// 住所を定めた年月日.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jutei_date: Option<KosekiDate>,
    /// 生年月日 (since 2022-01-11; absent for persons removed before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<KosekiDate>,
    /// 男女の別 (since 2022-01-11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// 住民票コード, 11 digits (since 2024-05-27).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub juminhyo_code: Option<String>,
    /// 在外選挙人名簿 registration: the registering city, when registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zaigai_senkyonin: Option<Text>,
    /// The entry is 消除 (person left the 戸籍); kept, not deleted.
    pub removed: bool,
    /// The older entry this one replaces (append-only: the old one stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<FuhyoEntryId>,
    pub source: FuhyoSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

/// State of a 受付帳 entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UketsukeStatus {
    /// 受付 (not yet decided).
    Received,
    /// 受理.
    Accepted,
    /// 不受理.
    Rejected,
    /// 取下げ.
    Withdrawn,
    /// 記載済.
    Recorded,
}

/// A 戸籍受附帳 entry (every 届書, 申請, 申出).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Uketsuke {
    pub id: i64,
    /// 受付番号 (unique per 年度; e.g. "2026-000123").
    pub uketsuke_no: String,
    /// Receipt time, local, ISO `YYYY-MM-DDTHH:MM:SS` (宿直 仮受付 = time of receipt).
    pub received_at: String,
    /// 届出種別: 出生, 婚姻 …
    pub kind: String,
    /// 事件本人 氏名.
    pub jiken_honnin: Option<Text>,
    /// 届出人.
    pub todokede_nin: Option<Text>,
    /// Whether this city is the 本籍地 (else 非本籍地受理: 届書等情報 to send).
    pub honsekichi: bool,
    pub status: UketsukeStatus,
    /// The 戸籍 concerned, when in this store.
    pub koseki_id: Option<KosekiId>,
    pub note: Option<String>,
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

/// State of a 不受理申出.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FujuriStatus {
    /// 有効.
    Active,
    /// 取下げ.
    Withdrawn,
    /// 失効 (e.g. the 相手方 named and the 届出 accepted with the applicant present).
    Lapsed,
}

/// 不受理申出: a request that certain 届出 not be accepted unless the applicant appears.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FujuriMoushide {
    pub id: i64,
    /// The applicant as recorded.
    pub applicant: PersonName,
    pub applicant_birth_date: Option<KosekiDate>,
    /// The applicant's person id in this store, when linked.
    pub person_id: Option<PersonId>,
    /// 対象届出種別: 婚姻, 離婚, 養子縁組, 養子離縁, 認知.
    pub target_kinds: Vec<String>,
    /// 相手方, when specified.
    pub aite: Option<Text>,
    pub received_date: Option<KosekiDate>,
    /// 受付地 (office that received it).
    pub received_at_office: Option<String>,
    pub status: FujuriStatus,
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

/// Kind of an imaged register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImageRegisterKind {
    /// 改製原戸籍.
    Kaiseigen,
    /// 除籍 (paper, imaged).
    Joseki,
    /// 除附票 / 改製原附票.
    Fuhyo,
    /// Anything else the vendor imaged.
    Other,
}

impl ImageRegisterKind {
    pub fn label(self) -> &'static str {
        match self {
            ImageRegisterKind::Kaiseigen => "改製原戸籍",
            ImageRegisterKind::Joseki => "除籍",
            ImageRegisterKind::Fuhyo => "附票",
            ImageRegisterKind::Other => "その他",
        }
    }
}

/// A register held only as images (改製原 / 除籍), with its 見出し (index) data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageRegister {
    pub id: ImageRegisterId,
    pub kind: ImageRegisterKind,
    /// 見出し: 本籍 as indexed.
    pub honseki: Honseki,
    /// 見出し: 筆頭者 氏名.
    pub hittosha: PersonName,
    /// 見出し: other names indexed for this register (members), searchable.
    pub names: Vec<PersonName>,
    /// 改製 / 除籍 date, when indexed.
    pub closed_date: Option<KosekiDate>,
    /// Pages in order (the bytes live in the store's content-addressed blob table).
    pub pages: Vec<ImagePage>,
    pub source_key: Option<String>,
    /// What the vendor delivered for it that no field above holds (see [`MigratedFields`]).
    #[serde(
        default,
        skip_serializing_if = "MigratedFields::is_empty",
        with = "migrated_fields_json"
    )]
    pub migrated: MigratedFields,
}

/// One page of an image register; the image is stored once by its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePage {
    /// 1-based page number.
    pub page_no: u32,
    /// SHA-256 of the image bytes, lowercase hex: the key into the blob table.
    pub sha256: String,
    /// `image/tiff`, `image/png` …
    pub media_type: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// A gaiji that matched no standard character: a private-use code point of this store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalGaiji {
    /// The PUA code point used in stored text (U+E000–U+F8FF or planes 15/16).
    pub code_point: char,
    /// The glyph as a PNG (from the vendor's gaiji list).
    pub glyph_png: Vec<u8>,
    /// Vendor system name, e.g. "fujitsu-jef".
    pub vendor: String,
    /// The vendor's code, hex, e.g. "7A21".
    pub vendor_code: String,
    /// Free note (identification review outcome, nearest MJ candidate …).
    pub note: Option<String>,
}

/// 請求者区分 of a certificate request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequesterKubun {
    /// 本人等 (戸籍法10条).
    Honnin,
    /// 第三者 (10条の2第1項).
    Daisansha,
    /// 職務上請求 (弁護士・司法書士…, 10条の2第3項以下).
    Shokumujo,
    /// 公用請求.
    Koyo,
}

impl RequesterKubun {
    /// 本人等 / 第三者 / 職務上 / 公用.
    pub fn label(self) -> &'static str {
        match self {
            RequesterKubun::Honnin => "本人等",
            RequesterKubun::Daisansha => "第三者",
            RequesterKubun::Shokumujo => "職務上",
            RequesterKubun::Koyo => "公用",
        }
    }

    pub fn from_label(s: &str) -> Option<RequesterKubun> {
        [
            RequesterKubun::Honnin,
            RequesterKubun::Daisansha,
            RequesterKubun::Shokumujo,
            RequesterKubun::Koyo,
        ]
        .into_iter()
        .find(|k| k.label() == s)
    }
}

/// Certificate kinds issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertificateKind {
    /// 全部事項証明書 (戸籍 or 除籍).
    Zenbu,
    /// 個人事項証明書.
    Kojin,
    /// 一部事項証明書.
    Ichibu,
    /// 戸籍の附票の写し.
    Fuhyo,
    /// 改製原戸籍 / 除籍 謄本 from images.
    ImageCopy,
}

impl CertificateKind {
    /// The CLI name: zenbu, kojin, ichibu, fuhyo, image.
    pub fn code(self) -> &'static str {
        match self {
            CertificateKind::Zenbu => "zenbu",
            CertificateKind::Kojin => "kojin",
            CertificateKind::Ichibu => "ichibu",
            CertificateKind::Fuhyo => "fuhyo",
            CertificateKind::ImageCopy => "image",
        }
    }

    pub fn from_code(s: &str) -> Option<CertificateKind> {
        [
            CertificateKind::Zenbu,
            CertificateKind::Kojin,
            CertificateKind::Ichibu,
            CertificateKind::Fuhyo,
            CertificateKind::ImageCopy,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// A certificate request to record (the store assigns the 発行番号).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuanceRequest {
    pub kind: CertificateKind,
    pub koseki_id: Option<KosekiId>,
    pub person_id: Option<PersonId>,
    pub image_register_id: Option<ImageRegisterId>,
    pub requester_kubun: RequesterKubun,
    /// 請求者 氏名 / 機関名.
    pub requester_name: String,
    /// 手数料 in yen (0 for 公用).
    pub fee_yen: u32,
    /// Channel: "window", "postal", "cli", "konbini".
    pub channel: String,
}

/// A recorded issuance (交付履歴).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuance {
    pub id: i64,
    /// 発行番号, 7 digits, zero-padded, unique in the store (「００００１２３」 when printed
    /// full-width).
    pub hakko_no: String,
    pub request: IssuanceRequest,
    /// UTC ISO time.
    pub issued_at: String,
    pub user: String,
    pub terminal: String,
    /// SHA-256 of the issued PDF, once produced.
    pub pdf_sha256: Option<String>,
}

/// A vendor code with its name from the vendor's code list (e.g. 個人状態 `1` = 在籍).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodeName {
    pub code: String,
    pub name: String,
}

impl CodeName {
    pub fn new(code: &str, name: &str) -> CodeName {
        CodeName {
            code: code.to_string(),
            name: name.to_string(),
        }
    }
}

/// 統計: one row of the vendor's monthly statistics (届出件数 or 月末現在数), kept as delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokei {
    /// 年月 as the vendor wrote it (YYYYMM).
    pub month: String,
    /// 統計区分: 届出件数 / 月末現在数.
    pub kbn: CodeName,
    /// 届出種別.
    pub kind: CodeName,
    pub honsekinin: Option<i64>,
    pub hihonsekinin: Option<i64>,
    pub koseki_count: Option<i64>,
    pub zaisekisha_count: Option<i64>,
    pub joseki_count: Option<i64>,
}

/// 個人状態: a person's state in the vendor system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KojinJotai {
    /// The person in the store (`None` when the vendor's person is not loaded).
    pub person_id: Option<PersonId>,
    /// The vendor's person key.
    pub source_key: Option<String>,
    pub state: CodeName,
    /// 支援措置 (DV 等支援措置) flagged in the vendor system.
    pub shien_sochi: bool,
    pub furigana_status: CodeName,
    pub furigana_change_open: bool,
    /// 広域交付 limited.
    pub koiki_seigen: bool,
    pub gaiji_count: Option<i64>,
    /// Last update, as the vendor wrote it.
    pub updated: String,
}

/// 識別符号: a person's codes for 戸籍情報連携システム.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShikibetsuFugo {
    pub person_id: Option<PersonId>,
    pub source_key: Option<String>,
    pub renkei_fugo: String,
    pub denshi_fugo: String,
    pub state: CodeName,
}

/// 事務内連携: one link record with 住民基本台帳 or another system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JimuRenkei {
    /// The vendor's sequence number (unique).
    pub seq: String,
    pub person_id: Option<PersonId>,
    /// The vendor's person key.
    pub person_key: Option<String>,
    pub atena_no: String,
    pub juminhyo_code: String,
    pub jushochi_lg: String,
    pub kind: CodeName,
    pub result: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_json_leaves_out_what_is_absent_and_older_forms_still_read() {
        // A 附票 row as stores before schema 7 wrote it: every option and empty part spelled out.
        let old = r#"{"id":0,"koseki_id":1,"person_id":1,"seq":1,"name":{"uji":{"text":"鈴木","vendor_bytes":"ceebccda40*16"},"mei":{"text":"瞳"}},"address":{"prefecture":"","municipality":"","town":"","banchi":"","katagaki":"","display":{"text":"架空県みなと市明洋一丁目１０番９号"}},"jutei_date":"平成２６年７月２９日","birth_date":null,"sex":"Female","juminhyo_code":null,"zaigai_senkyonin":null,"removed":true,"supersedes":null,"source":"Migrated","source_key":"1/1"}"#;
        let e: FuhyoEntry = serde_json::from_str(old).unwrap();
        assert_eq!(
            e.name.uji.vendor_bytes.as_deref().map(<[u8]>::len),
            Some(20)
        );
        assert_eq!(e.address.town, "");
        assert!(e.birth_date.is_none() && e.juminhyo_code.is_none() && e.migrated.is_empty());
        // Written again: nothing absent is spelled out, and it reads back the same.
        let now = serde_json::to_string(&e).unwrap();
        for absent in ["null", r#""town""#, r#""migrated""#, r#""prefecture""#] {
            assert!(!now.contains(absent), "{absent} in {now}");
        }
        assert_eq!(serde_json::from_str::<FuhyoEntry>(&now).unwrap(), e);
        assert!(now.len() < old.len() - 120, "{} → {}", old.len(), now.len());
    }

    #[test]
    fn jiko_labels_round_trip() {
        for (label, _) in JIKO_LABELS {
            assert_eq!(JikoKind::from_label(label).label(), *label);
        }
        assert_eq!(JikoKind::from_label("就籍"), JikoKind::Other("就籍".into()));
        assert_eq!(JikoKind::Other("就籍".into()).label(), "就籍");
    }

    #[test]
    fn dates_keep_text_and_derive_gregorian() {
        let d = KosekiDate::from_text("昭和４７年１１月３日");
        assert_eq!(d.gregorian.as_deref(), Some("1972-11-03"));
        assert_eq!(d.text, "昭和４７年１１月３日");
        let partial = KosekiDate::from_text("大正3年5月");
        assert!(partial.wareki.is_some());
        assert_eq!(partial.gregorian, None);
        let bad = KosekiDate::from_text("慶応3年");
        assert_eq!(bad.wareki, None);
        assert_eq!(bad.text, "慶応3年");
    }

    #[test]
    fn serde_round_trip_keeps_ivs() {
        let t = Text::decoded("辻\u{E0101}", vec![0x7a, 0x21]);
        let json = serde_json::to_string(&t).unwrap();
        let back: Text = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.text.chars().count(), 2);
        assert_eq!(json, "{\"text\":\"辻\u{E0101}\",\"vendor_bytes\":\"7a21\"}");
        // Stores written before kept the bytes as a number array: still read.
        let old: Text =
            serde_json::from_str("{\"text\":\"辻\u{E0101}\",\"vendor_bytes\":[122,33]}").unwrap();
        assert_eq!(old, t);
        let none: Text = serde_json::from_str(r#"{"text":"a"}"#).unwrap();
        assert_eq!(none.vendor_bytes, None);
    }

    proptest::proptest! {
        /// Any bytes, padded or not, come back from their compact hex unchanged.
        #[test]
        fn vendor_bytes_round_trip(
            head in proptest::collection::vec(proptest::num::u8::ANY, 0..12),
            pad in 0usize..70,
            byte in proptest::num::u8::ANY,
        ) {
            let mut raw = head;
            raw.extend(std::iter::repeat_n(byte, pad));
            proptest::prop_assert_eq!(vendor_bytes_hex::decode(&vendor_bytes_hex::encode(&raw)), Some(raw));
        }
    }

    proptest::proptest! {
        /// Every date the eras allow, whole or partial, exact or qualified, reads back from
        /// its JSON unchanged.
        #[test]
        fn dates_round_trip_through_json(
            era in proptest::sample::select(wareki::Era::ALL.to_vec()),
            year in 1u16..70,
            month in proptest::option::of(1u8..=12),
            day in 1u8..=31,
            with_day in proptest::bool::ANY,
            qualifier in proptest::sample::select(vec![
                wareki::Qualifier::Exact,
                wareki::Qualifier::Estimated,
                wareki::Qualifier::Approximate,
            ]),
        ) {
            let day = month.filter(|_| with_day).map(|_| day);
            if let Ok(w) = WarekiDate::partial(era, year, month, day, qualifier) {
                let d = KosekiDate::from_wareki(w);
                let json = serde_json::to_string(&d).unwrap();
                // The text of a date made from its 和暦 always says everything.
                proptest::prop_assert!(json.starts_with('"'), "{}", json);
                proptest::prop_assert_eq!(serde_json::from_str::<KosekiDate>(&json).unwrap(), d);
            }
        }
    }

    #[test]
    fn a_date_its_text_gives_back_is_written_as_that_text() {
        let d = KosekiDate::from_text("平成２６年７月２９日");
        assert!(d.wareki.is_some());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"平成２６年７月２９日\"");
        assert_eq!(serde_json::from_str::<KosekiDate>(&json).unwrap(), d);
        // Text that is no 和暦 date is its own form too (nothing to derive).
        let damaged = KosekiDate::from_text("不詳");
        assert_eq!(serde_json::to_string(&damaged).unwrap(), "\"不詳\"");
        assert_eq!(
            serde_json::from_str::<KosekiDate>("\"不詳\"").unwrap(),
            damaged
        );
        // A date whose parts the text does not give back keeps every part.
        let odd = KosekiDate {
            wareki: d.wareki,
            text: "二十六年七月二十九日".into(),
            gregorian: d.gregorian.clone(),
        };
        let json = serde_json::to_string(&odd).unwrap();
        assert!(json.starts_with("{\"wareki\":"), "{json}");
        assert_eq!(serde_json::from_str::<KosekiDate>(&json).unwrap(), odd);
        // Stores written before hold the whole object: still read.
        let old = serde_json::to_string(&KosekiDateForm::Whole {
            wareki: d.wareki,
            text: d.text.clone(),
            gregorian: d.gregorian.clone(),
        })
        .unwrap();
        assert_eq!(serde_json::from_str::<KosekiDate>(&old).unwrap(), d);
    }

    #[test]
    fn vendor_padding_is_written_once_with_its_length() {
        let mut raw = vec![0xc6, 0xb7];
        raw.extend([0x40; 38]);
        let t = Text::decoded("瞳", raw.clone());
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "{\"text\":\"瞳\",\"vendor_bytes\":\"c6b740*38\"}");
        assert_eq!(serde_json::from_str::<Text>(&json).unwrap(), t);
        // A short run stays spelled out; a field of nothing but padding keeps its one byte.
        assert_eq!(
            vendor_bytes_hex::encode(&[1, 2, 2, 2]),
            "010202 02".replace(' ', "")
        );
        assert_eq!(vendor_bytes_hex::encode(&[0x40; 5]), "40*5");
        assert_eq!(vendor_bytes_hex::decode("40*5"), Some(vec![0x40; 5]));
        assert_eq!(vendor_bytes_hex::encode(&[]), "");
        // Malformed runs are refused, not guessed at.
        for bad in ["*3", "40*0", "40*x", "4*3", "40*"] {
            assert_eq!(vendor_bytes_hex::decode(bad), None, "{bad}");
        }
    }
}
