//! What a certificate shows, already in the words of the page: every value is the text to
//! print (dates in 和暦 with full-width digits, names with their IVS). The layout never looks
//! at the store; `from_model` fills these from `runtime::model`.

use serde::{Deserialize, Serialize};

/// One 【tag】value item, e.g. 【出生日】昭和４７年１１月３日.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub tag: String,
    pub value: String,
}

impl Item {
    pub fn new(tag: impl Into<String>, value: impl Into<String>) -> Item {
        Item {
            tag: tag.into(),
            value: value.into(),
        }
    }
}

/// A 事項 (戸籍事項 or 身分事項): a title such as 出生 and its items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JikoView {
    pub title: String,
    pub items: Vec<Item>,
}

/// A person as recorded in this 戸籍.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// 名 (the 氏 comes from the 戸籍).
    pub mei: String,
    pub birth_date: Option<String>,
    /// 配偶者区分 (夫/妻), only while married in this 戸籍.
    pub spouse_kubun: Option<String>,
    pub father: Option<String>,
    pub mother: Option<String>,
    pub zokugara: Option<String>,
    pub adoptive_father: Option<String>,
    pub adoptive_mother: Option<String>,
    /// 養子 / 養女 when adopted.
    pub adoptive_zokugara: Option<String>,
    /// 除籍: printed boxed in the left column.
    pub removed: bool,
    pub mibun_jiko: Vec<JikoView>,
}

/// A 戸籍 as the 全部事項証明書 shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KosekiView {
    pub honseki: String,
    /// 筆頭者氏名, written 氏　名.
    pub hittosha: String,
    /// 全部除籍 (除籍簿): changes the 認証文 wording.
    pub closed: bool,
    pub koseki_jiko: Vec<JikoView>,
    pub members: Vec<MemberView>,
}

/// One 附票 address row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuhyoAddressView {
    pub address: String,
    /// 住所を定めた年月日.
    pub jutei_date: Option<String>,
    /// Removed from the 附票 (moved out of this 戸籍): printed as 消除.
    pub removed: bool,
}

/// One person's part of a 附票の写し.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuhyoPersonView {
    /// Full 氏名 (the 写し prints it whole unless 戸籍の表示 is requested).
    pub name: String,
    pub birth_date: Option<String>,
    /// 男 / 女.
    pub sex: Option<String>,
    pub juminhyo_code: Option<String>,
    pub removed: bool,
    pub addresses: Vec<FuhyoAddressView>,
}

/// A 戸籍の附票 as its 写し shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuhyoView {
    pub honseki: String,
    pub hittosha: String,
    /// 附票事項 (作成・改製 dates).
    pub fuhyo_jiko: Vec<JikoView>,
    pub persons: Vec<FuhyoPersonView>,
}

/// Options a requester chooses for a 附票の写し (since 2022-01-11 these are opt-in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuhyoOptions {
    /// Print 本籍・筆頭者氏名.
    pub show_koseki_hyoji: bool,
    /// Print 住民票コード.
    pub show_juminhyo_code: bool,
}

/// Who signs: 「架空県みなと市長」 and the mayor's name, plus the issue date already in 和暦.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// e.g. 架空県みなと市長.
    pub office: String,
    /// e.g. 港　　太　郎.
    pub mayor_name: String,
    /// 和暦, full-width digits, e.g. 令和８年１０月１日.
    pub issue_date: String,
}
