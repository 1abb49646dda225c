//! Certificate text, line by line, in the computerised 全部事項証明書 layout (domain.md §3.7):
//! page marks （１の２）, 本籍/氏名 header, 戸籍事項, per person 【名】【生年月日】…, 身分事項,
//! boxed 除籍, 以下余白, 発行番号, 認証文, date and signature. The PDF draws exactly these lines,
//! so the golden tests on this text pin what is printed.

use crate::view::{FuhyoOptions, FuhyoView, Item, JikoView, KosekiView, MemberView, Signature};

/// Full-width columns in a body line (the width of the ― separator).
pub const COLUMNS: usize = 45;
/// Lines on one page below the page mark.
pub const LINES_PER_PAGE: usize = 49;
/// The slot where the electronic seal is printed (the PDF draws the seal image over it).
pub const SEAL_SLOT: &str = "［職印（電子公印）］";

const PERSON_LEAD: &str = "戸籍に記録されている者　";
const ITEM_INDENT: usize = 12; // columns before the person header items
const JIKO_INDENT: usize = 7; // columns before 事項 items
const REMOVED_BOX: [&str; 3] = ["┌───┐", "│除　籍│", "└───┘"];

/// Which certificate: the store's kinds (codes `zenbu`, `kojin`, `ichibu`, `fuhyo`, `image`).
pub use runtime::model::CertificateKind;

/// How certificates word their kind.
pub trait KindWording {
    /// The word in the page mark line.
    fn mark_title(self) -> &'static str;
    /// The name used in the issuance log and UI.
    fn name_ja(self) -> &'static str;
}

impl KindWording for CertificateKind {
    fn mark_title(self) -> &'static str {
        match self {
            CertificateKind::Zenbu => "全部事項証明",
            CertificateKind::Kojin => "個人事項証明",
            CertificateKind::Ichibu => "一部事項証明",
            CertificateKind::Fuhyo => "附票の写し",
            CertificateKind::ImageCopy => "謄本",
        }
    }

    fn name_ja(self) -> &'static str {
        match self {
            CertificateKind::Zenbu => "全部事項証明書",
            CertificateKind::Kojin => "個人事項証明書",
            CertificateKind::Ichibu => "一部事項証明書",
            CertificateKind::Fuhyo => "戸籍の附票の写し",
            CertificateKind::ImageCopy => "謄本（画像）",
        }
    }
}

/// A certificate as lines of text, split into pages. `pages[i][0]` is the page mark line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateText {
    pub kind: CertificateKind,
    pub pages: Vec<Vec<String>>,
}

impl CertificateText {
    /// All pages, one line per line, ending in a newline (the golden-file form).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for page in &self.pages {
            for line in page {
                s.push_str(line);
                s.push('\n');
            }
        }
        s
    }
}

/// Everything that is printed below the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuance<'a> {
    /// 発行番号, printed as seven full-width digits.
    pub issue_number: u64,
    pub signature: &'a Signature,
}

/// ASCII digits of `n` as full-width digits, zero-padded to `width`.
pub fn fullwidth_number(n: u64, width: usize) -> String {
    wareki::to_fullwidth_digits(&format!("{n:0width$}"))
}

/// Display width in half columns: ideographs, kana and full-width forms are 2, ASCII and
/// half-width kana 1, variation selectors 0 (they ride on the previous character).
fn half_width(c: char) -> usize {
    match c as u32 {
        0xFE00..=0xFE0F | 0xE0100..=0xE01EF | 0x200D => 0,
        0x20..=0x7E | 0xFF61..=0xFF9F => 1,
        _ => 2,
    }
}

fn width(s: &str) -> usize {
    s.chars().map(half_width).sum()
}

fn is_selector(c: char) -> bool {
    half_width(c) == 0
}

fn spaces(columns: usize) -> String {
    "　".repeat(columns)
}

/// `first` then `text`, wrapped at [`COLUMNS`]; continuation lines start with `cont`.
/// A variation selector never leaves its base character.
fn wrap(first: &str, cont: &str, text: &str) -> Vec<String> {
    let limit = COLUMNS * 2;
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut used = width(first);
    let mut chars = text.chars().peekable();
    let mut at_line_start = true;
    while let Some(c) = chars.next() {
        let mut cluster = String::from(c);
        while let Some(&n) = chars.peek() {
            if !is_selector(n) {
                break;
            }
            cluster.push(n);
            chars.next();
        }
        let w = width(&cluster);
        if used + w > limit && !at_line_start {
            lines.push(std::mem::take(&mut line));
            line = cont.to_string();
            used = width(cont);
        }
        line.push_str(&cluster);
        used += w;
        at_line_start = false;
    }
    lines.push(line);
    lines
}

/// 「出　　生」-style title padded to the item column.
fn jiko_title(title: &str) -> Option<String> {
    let chars: Vec<char> = title.chars().collect();
    let body = match chars.len() {
        1 => format!("{}　　　", chars[0]),
        2 => format!("{}　　{}", chars[0], chars[1]),
        3 => format!("{}　{}　{}", chars[0], chars[1], chars[2]),
        4 | 5 => title.to_string(),
        _ => return None,
    };
    let pad = (JIKO_INDENT - 1).saturating_sub(width(&body) / 2);
    Some(format!("　{body}{}", spaces(pad)))
}

fn item_text(item: &Item) -> (String, String) {
    (format!("【{}】", item.tag), item.value.clone())
}

fn push_jiko(out: &mut Vec<String>, jiko: &JikoView) {
    let indent = spaces(JIKO_INDENT);
    let mut first_prefix = match jiko_title(&jiko.title) {
        Some(t) => t,
        None => {
            // A long title stands on its own line; items follow at the usual column.
            out.extend(wrap("　", &indent, &jiko.title));
            indent.clone()
        }
    };
    if jiko.items.is_empty() {
        out.push(first_prefix.trim_end_matches('　').to_string());
        return;
    }
    for item in &jiko.items {
        let (tag, value) = item_text(item);
        let cont = format!("{indent}{}", spaces(width(&tag) / 2));
        out.extend(wrap(&format!("{first_prefix}{tag}"), &cont, &value));
        first_prefix = indent.clone();
    }
}

fn push_header(out: &mut Vec<String>, honseki: &str, hittosha: &str) {
    out.extend(wrap("本　　籍　　", &spaces(6), honseki));
    out.extend(wrap("氏　　名　　", &spaces(6), hittosha));
}

fn push_koseki_jiko(out: &mut Vec<String>, koseki_jiko: &[JikoView]) {
    if koseki_jiko.is_empty() {
        return;
    }
    out.push("戸籍事項".to_string());
    for j in koseki_jiko {
        push_jiko(out, j);
    }
}

fn opt_item(tag: &str, value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| format!("【{tag}】{v}"))
}

fn push_member(out: &mut Vec<String>, m: &MemberView) {
    push_member_with(out, m, &m.mibun_jiko.iter().collect::<Vec<_>>());
}

/// A member's header, then only `mibun_jiko` (the 身分事項 heading only when there are some).
fn push_member_with(out: &mut Vec<String>, m: &MemberView, mibun_jiko: &[&JikoView]) {
    let indent = spaces(ITEM_INDENT);
    out.extend(wrap(
        &format!("{PERSON_LEAD}【名】"),
        &spaces(ITEM_INDENT + 3),
        &m.mei,
    ));
    // The person header rows after 【名】; 配偶者区分 shares the birth-date line.
    let mut rows: Vec<String> = Vec::new();
    let birth = opt_item("生年月日", &m.birth_date);
    let spouse = opt_item("配偶者区分", &m.spouse_kubun);
    match (birth, spouse) {
        (Some(b), Some(s)) => rows.push(format!("{b}　　{s}")),
        (Some(x), None) | (None, Some(x)) => rows.push(x),
        (None, None) => {}
    }
    rows.extend(opt_item("父", &m.father));
    rows.extend(opt_item("母", &m.mother));
    rows.extend(opt_item("続柄", &m.zokugara));
    rows.extend(opt_item("養父", &m.adoptive_father));
    rows.extend(opt_item("養母", &m.adoptive_mother));
    rows.extend(opt_item("続柄", &m.adoptive_zokugara));
    if m.removed {
        while rows.len() < REMOVED_BOX.len() {
            rows.push(String::new());
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let prefix = match (m.removed, REMOVED_BOX.get(i)) {
            (true, Some(b)) => format!("{b}{}", spaces(ITEM_INDENT - width(b) / 2)),
            _ => indent.clone(),
        };
        let wrapped = wrap(&prefix, &indent, row);
        out.extend(
            wrapped
                .into_iter()
                .map(|l| l.trim_end_matches('　').to_string()),
        );
    }
    if !mibun_jiko.is_empty() {
        out.push("身分事項".to_string());
        for j in mibun_jiko {
            push_jiko(out, j);
        }
    }
}

fn separator() -> String {
    "―".repeat(COLUMNS)
}

fn ninshobun(kind: CertificateKind, closed: bool, register_kind: &str) -> String {
    let koseki = if closed { "除籍" } else { "戸籍" };
    match kind {
        CertificateKind::Zenbu => {
            format!("これは、{koseki}に記録されている事項の全部を証明した書面である。")
        }
        // domain.md §3.7 gives this wording for 個人事項/一部事項 and asks to verify it.
        CertificateKind::Kojin | CertificateKind::Ichibu => {
            format!("これは、{koseki}中の記録事項の一部を証明した書面である。")
        }
        CertificateKind::Fuhyo => {
            "この写しは、戸籍の附票の原本と相違ないことを証明する。".to_string()
        }
        CertificateKind::ImageCopy => {
            format!("この謄本は、{register_kind}の原本と相違ないことを認証する。")
        }
    }
}

fn trailer(
    kind: CertificateKind,
    closed: bool,
    register_kind: &str,
    iss: &Issuance<'_>,
) -> Vec<String> {
    let sig = iss.signature;
    vec![
        String::new(),
        format!("発行番号　{}", fullwidth_number(iss.issue_number, 7)),
        String::new(),
        ninshobun(kind, closed, register_kind),
        String::new(),
        format!("　　{}", sig.issue_date),
        format!(
            "{}{}　　　{}{}{SEAL_SLOT}",
            spaces(12),
            sig.office,
            sig.mayor_name,
            spaces(6)
        ),
    ]
}

fn yohaku() -> String {
    format!("{}以下余白", spaces(36))
}

fn page_mark(page: usize, pages: usize, kind: CertificateKind) -> String {
    format!(
        "{}（{}の{}）{}{}",
        " ".repeat(60),
        wareki::to_fullwidth_digits(&page.to_string()),
        wareki::to_fullwidth_digits(&pages.to_string()),
        " ".repeat(6),
        kind.mark_title()
    )
}

/// Split body + 以下余白 + trailer into pages and put a page mark on each. The trailer is kept
/// whole on the last page.
fn paginate(kind: CertificateKind, mut body: Vec<String>, trailer: Vec<String>) -> CertificateText {
    body.push(yohaku());
    let mut pages: Vec<Vec<String>> = body.chunks(LINES_PER_PAGE).map(|c| c.to_vec()).collect();
    match pages.last_mut() {
        Some(last) if last.len() + trailer.len() <= LINES_PER_PAGE => last.extend(trailer),
        _ => pages.push(trailer),
    }
    let n = pages.len();
    let pages = pages
        .into_iter()
        .enumerate()
        .map(|(i, lines)| {
            let mut page = vec![page_mark(i + 1, n, kind)];
            page.extend(lines);
            page
        })
        .collect();
    CertificateText { kind, pages }
}

/// The body of a 全部事項証明書 (no page marks, no trailer): what the web view shows.
pub fn zenbu_body(koseki: &KosekiView) -> Vec<String> {
    let mut body = Vec::new();
    push_header(&mut body, &koseki.honseki, &koseki.hittosha);
    push_koseki_jiko(&mut body, &koseki.koseki_jiko);
    for (i, m) in koseki.members.iter().enumerate() {
        if i > 0 {
            body.push(separator());
        }
        push_member(&mut body, m);
    }
    body
}

/// 全部事項証明書: every member, removed ones boxed 除籍.
pub fn zenbu(koseki: &KosekiView, iss: &Issuance<'_>) -> CertificateText {
    paginate(
        CertificateKind::Zenbu,
        zenbu_body(koseki),
        trailer(CertificateKind::Zenbu, koseki.closed, "", iss),
    )
}

/// 個人事項証明書: the 戸籍's header and 戸籍事項, and only the chosen members (by index in
/// `koseki.members`). An index out of range is ignored.
pub fn kojin(koseki: &KosekiView, members: &[usize], iss: &Issuance<'_>) -> CertificateText {
    let mut body = Vec::new();
    push_header(&mut body, &koseki.honseki, &koseki.hittosha);
    push_koseki_jiko(&mut body, &koseki.koseki_jiko);
    for (n, m) in members
        .iter()
        .filter_map(|&i| koseki.members.get(i))
        .enumerate()
    {
        if n > 0 {
            body.push(separator());
        }
        push_member(&mut body, m);
    }
    paginate(
        CertificateKind::Kojin,
        body,
        trailer(CertificateKind::Kojin, koseki.closed, "", iss),
    )
}

/// What a 一部事項証明書 certifies, as indices into a [`KosekiView`]: the chosen 戸籍事項 and,
/// for each chosen member, the chosen 身分事項 (none: the member's header alone).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IchibuSelection {
    /// Indices into `koseki_jiko`.
    pub koseki_jiko: Vec<usize>,
    /// (index into `members`, indices into that member's `mibun_jiko`), printed in this order.
    pub members: Vec<(usize, Vec<usize>)>,
}

/// 一部事項証明書: the 本籍 and 筆頭者 header, then only the selected 戸籍事項 and members with
/// their selected 身分事項. Out-of-range indices are ignored.
pub fn ichibu(
    koseki: &KosekiView,
    selection: &IchibuSelection,
    iss: &Issuance<'_>,
) -> CertificateText {
    let mut body = Vec::new();
    push_header(&mut body, &koseki.honseki, &koseki.hittosha);
    let koseki_jiko: Vec<JikoView> = selection
        .koseki_jiko
        .iter()
        .filter_map(|&i| koseki.koseki_jiko.get(i).cloned())
        .collect();
    push_koseki_jiko(&mut body, &koseki_jiko);
    let members = selection
        .members
        .iter()
        .filter_map(|(i, jiko)| koseki.members.get(*i).map(|m| (m, jiko)));
    for (n, (m, jiko)) in members.enumerate() {
        if n > 0 {
            body.push(separator());
        }
        let chosen: Vec<&JikoView> = jiko.iter().filter_map(|&j| m.mibun_jiko.get(j)).collect();
        push_member_with(&mut body, m, &chosen);
    }
    paginate(
        CertificateKind::Ichibu,
        body,
        trailer(CertificateKind::Ichibu, koseki.closed, "", iss),
    )
}

/// 戸籍の附票の写し. 本籍・筆頭者 and 住民票コード only when requested.
pub fn fuhyo(fuhyo: &FuhyoView, options: FuhyoOptions, iss: &Issuance<'_>) -> CertificateText {
    let mut body = Vec::new();
    if options.show_koseki_hyoji {
        body.extend(wrap("本　　籍　　", &spaces(6), &fuhyo.honseki));
        body.extend(wrap("筆頭者　　　", &spaces(6), &fuhyo.hittosha));
    }
    if !fuhyo.fuhyo_jiko.is_empty() {
        body.push("附票事項".to_string());
        for j in &fuhyo.fuhyo_jiko {
            push_jiko(&mut body, j);
        }
    }
    let indent = spaces(ITEM_INDENT);
    for (i, p) in fuhyo.persons.iter().enumerate() {
        if i > 0 || !body.is_empty() {
            body.push(separator());
        }
        body.extend(wrap(
            "附票に記録されている者【氏名】",
            &spaces(ITEM_INDENT + 4),
            &p.name,
        ));
        let mut rows = Vec::new();
        let birth = opt_item("生年月日", &p.birth_date);
        let sex = opt_item("男女の別", &p.sex);
        match (birth, sex) {
            (Some(b), Some(s)) => rows.push(format!("{b}　　{s}")),
            (Some(x), None) | (None, Some(x)) => rows.push(x),
            (None, None) => {}
        }
        if options.show_juminhyo_code {
            rows.extend(opt_item(
                "住民票コード",
                &p.juminhyo_code
                    .as_ref()
                    .map(|c| wareki::to_fullwidth_digits(c)),
            ));
        }
        if p.removed {
            while rows.len() < REMOVED_BOX.len() {
                rows.push(String::new());
            }
        }
        for (r, row) in rows.iter().enumerate() {
            let prefix = match (p.removed, REMOVED_BOX.get(r)) {
                (true, Some(b)) => format!("{b}{}", spaces(ITEM_INDENT - width(b) / 2)),
                _ => indent.clone(),
            };
            body.extend(
                wrap(&prefix, &indent, row)
                    .into_iter()
                    .map(|l| l.trim_end_matches('　').to_string()),
            );
        }
        if !p.addresses.is_empty() {
            body.push("住所履歴".to_string());
        }
        for a in &p.addresses {
            let mut items = vec![Item::new("住所", a.address.clone())];
            if let Some(d) = &a.jutei_date {
                items.push(Item::new("住所を定めた年月日", d.clone()));
            }
            if a.removed {
                items.push(Item::new("消除", ""));
            }
            push_jiko(
                &mut body,
                &JikoView {
                    title: "住所".to_string(),
                    items,
                },
            );
        }
    }
    paginate(
        CertificateKind::Fuhyo,
        body,
        trailer(CertificateKind::Fuhyo, false, "", iss),
    )
}

/// 謄本 of an image register: one page per image (the PDF draws the image under the mark
/// line), then a page with the certification.
pub fn image_copy(
    midashi: &str,
    register_kind: &str,
    page_count: usize,
    iss: &Issuance<'_>,
) -> CertificateText {
    let n = page_count + 1;
    let mut pages: Vec<Vec<String>> = (0..page_count)
        .map(|i| {
            vec![
                page_mark(i + 1, n, CertificateKind::ImageCopy),
                format!("{register_kind}　{midashi}"),
            ]
        })
        .collect();
    let mut last = vec![
        page_mark(n, n, CertificateKind::ImageCopy),
        format!("{register_kind}　{midashi}"),
    ];
    last.push(format!(
        "画像{}枚",
        wareki::to_fullwidth_digits(&page_count.to_string())
    ));
    last.push(yohaku());
    last.extend(trailer(
        CertificateKind::ImageCopy,
        true,
        register_kind,
        iss,
    ));
    pages.push(last);
    CertificateText {
        kind: CertificateKind::ImageCopy,
        pages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wrap_keeps_selector_with_base() {
        let text = format!("{}葛\u{E0100}", "あ".repeat(COLUMNS));
        let lines = wrap("", "　", &text);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[1], "　葛\u{E0100}");
    }

    proptest::proptest! {
        /// Wrapping loses nothing, never parts a selector from its base, and keeps every line
        /// within the page width.
        #[test]
        fn wrap_is_lossless_and_bounded(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::char::range('あ', 'ん').prop_map(|c| c.to_string()),
                    proptest::char::range('一', '龥').prop_map(|c| c.to_string()),
                    proptest::char::range('a', 'z').prop_map(|c| c.to_string()),
                    proptest::char::range('一', '龥').prop_map(|c| format!("{c}\u{E0100}")),
                ],
                0..200,
            )
        ) {
            let text: String = parts.concat();
            let lines = wrap("　出　　生　　【出生地】", &spaces(13), &text);
            let mut rebuilt = lines[0].trim_start_matches("　出　　生　　【出生地】").to_string();
            for l in &lines[1..] {
                prop_assert!(l.starts_with(&spaces(13)));
                rebuilt.push_str(&l[spaces(13).len()..]);
            }
            prop_assert_eq!(&rebuilt, &text);
            for l in &lines {
                prop_assert!(width(l) <= COLUMNS * 2, "{l}");
                prop_assert!(!l.chars().next().is_some_and(is_selector));
            }
        }
    }

    #[test]
    fn titles_pad_to_item_column() {
        assert_eq!(jiko_title("出生").unwrap(), "　出　　生　　");
        assert_eq!(jiko_title("戸籍改製").unwrap(), "　戸籍改製　　");
        assert_eq!(width(&jiko_title("養子縁組").unwrap()), JIKO_INDENT * 2);
        assert_eq!(width(&jiko_title("親権").unwrap()), JIKO_INDENT * 2);
        assert!(jiko_title("性別の取扱いの変更").is_none());
    }

    #[test]
    fn page_mark_uses_fullwidth_digits() {
        assert!(
            page_mark(1, 12, CertificateKind::Zenbu).ends_with("（１の１２）      全部事項証明")
        );
    }

    #[test]
    fn removed_box_is_item_column_wide() {
        for b in REMOVED_BOX {
            assert!(width(b) <= ITEM_INDENT * 2);
        }
    }
}
