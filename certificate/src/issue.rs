//! Issuing a certificate from the store: build the text, check every glyph, record the
//! issuance (the store assigns the 発行番号), render the PDF with that number, and record the
//! PDF's hash. The caller appends the audit entry (it knows the session and terminal).

use std::collections::HashMap;

use runtime::Store;
use runtime::model::{
    ImageRegisterKind, Issuance as StoreIssuance, IssuanceRequest, KosekiStatus, RequesterKubun,
};
use wareki::{Gregorian, WarekiDate};

use crate::layout::{self, CertificateKind, CertificateText, Issuance};
use crate::view::{FuhyoOptions, Signature};
use crate::{CertFont, CertificateError, PdfAssets, from_model, image_page};

/// Store meta keys for the issuing office (set once by the administrator).
pub const META_OFFICE: &str = "certificate.office";
pub const META_MAYOR: &str = "certificate.mayor_name";
/// SHA-256 of the seal PNG in the blob table.
pub const META_SEAL: &str = "certificate.seal_sha256";

/// What to issue, for whom.
#[derive(Clone, Debug)]
pub struct IssueRequest {
    pub kind: CertificateKind,
    pub koseki_id: Option<i64>,
    /// 個人事項: the member; for 全部事項 / 附票 a person id also selects their 戸籍.
    pub person_id: Option<i64>,
    pub image_register_id: Option<i64>,
    pub requester_kubun: RequesterKubun,
    pub requester_name: String,
    /// `None`: the standard fee for the kind ([`standard_fee`]).
    pub fee_yen: Option<u32>,
    /// window, postal, cli …
    pub channel: String,
    pub fuhyo_options: FuhyoOptions,
    /// 一部事項証明書: which members and 事項 (other kinds ignore it).
    pub selection: JikoSelection,
}

/// What a 一部事項証明書 certifies, in the store's terms. A 事項 is chosen by its id or by its
/// title; a member is printed when chosen by id, or (no ids given) when any of their 身分事項
/// is chosen.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct JikoSelection {
    /// Members by person id, printed in 記載順.
    pub persons: Vec<i64>,
    /// 事項 by id (戸籍事項 or 身分事項).
    pub jiko_ids: Vec<i64>,
    /// 事項 by title (出生, 婚姻, 戸籍改製 …).
    pub jiko_titles: Vec<String>,
}

impl JikoSelection {
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty() && self.jiko_ids.is_empty() && self.jiko_titles.is_empty()
    }
}

/// A finished issuance.
pub struct Issued {
    pub record: StoreIssuance,
    pub text: CertificateText,
    pub pdf: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Store(#[from] runtime::StoreError),
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error("{0}")]
    Request(String),
}

/// 手数料: 現在戸籍 450 yen, 除籍・改製原 750, 附票の写し 300; 公用 is free.
pub fn standard_fee(kind: CertificateKind, closed: bool, kubun: RequesterKubun) -> u32 {
    if kubun == RequesterKubun::Koyo {
        return 0;
    }
    match kind {
        CertificateKind::Fuhyo => 300,
        CertificateKind::ImageCopy => 750,
        _ if closed => 750,
        _ => 450,
    }
}

/// Today in Japan (UTC+9, no DST), as a 和暦 string with full-width digits.
pub fn today_wareki() -> String {
    let days = (runtime::util::now_unix() + 9 * 3600).div_euclid(86_400);
    WarekiDate::from_gregorian(Gregorian::from_unix_days(days))
        .map(|w| w.to_fullwidth())
        .unwrap_or_default()
}

/// The issuing office from the store (defaults name the fictional city of the demo).
pub fn signature(store: &Store) -> Result<Signature, IssueError> {
    Ok(Signature {
        office: store
            .meta(META_OFFICE)?
            .unwrap_or_else(|| "架空県みなと市長".to_string()),
        mayor_name: store
            .meta(META_MAYOR)?
            .unwrap_or_else(|| "港　　太　郎".to_string()),
        issue_date: today_wareki(),
    })
}

/// The issuing office as stored; `None` where never set (the demo defaults then apply).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OfficeSettings {
    pub office: Option<String>,
    pub mayor_name: Option<String>,
    /// SHA-256 of the 電子公印 PNG in the blob table.
    pub seal_sha256: Option<String>,
}

/// What is stored for the issuing office.
pub fn office_settings(store: &Store) -> Result<OfficeSettings, IssueError> {
    Ok(OfficeSettings {
        office: store.meta(META_OFFICE)?,
        mayor_name: store.meta(META_MAYOR)?,
        seal_sha256: store.meta(META_SEAL)?,
    })
}

/// A printed line must be one non-empty line without control characters.
fn check_printable(what: &str, value: &str) -> Result<(), IssueError> {
    if value.trim().is_empty() {
        return Err(IssueError::Request(format!("{what} is empty")));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(IssueError::Request(format!(
            "{what} {value:?} holds the control character U+{:04X}",
            c as u32
        )));
    }
    Ok(())
}

/// Set the issuing office (administrator): the 「…市長」 line, the mayor's name as printed,
/// and optionally the 電子公印 image (PNG, kept in the blob table). Without a seal the stored
/// one stays.
pub fn set_office(
    store: &Store,
    office: &str,
    mayor_name: &str,
    seal_png: Option<&[u8]>,
) -> Result<(), IssueError> {
    check_printable("the office", office)?;
    check_printable("the mayor's name", mayor_name)?;
    if let Some(png) = seal_png {
        krilla::image::Image::from_png(png.to_vec().into(), true)
            .map_err(|e| IssueError::Request(format!("seal image is not a readable PNG: {e}")))?;
    }
    store.atomically(|s| {
        s.set_meta(META_OFFICE, office)?;
        s.set_meta(META_MAYOR, mayor_name)?;
        if let Some(png) = seal_png {
            let sha = s.put_blob(png, "image/png")?;
            s.set_meta(META_SEAL, &sha)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// [`set_office`] and its audit entry (action `change`, target `office`, the old and new
/// values) in one transaction, so the change and its record stand or fall together.
/// Refuses text the certificate font cannot print: every later certificate would fail.
pub fn set_office_logged(
    store: &Store,
    font: &CertFont,
    office: &str,
    mayor_name: &str,
    seal_png: Option<&[u8]>,
    user: &str,
    terminal: &str,
) -> Result<OfficeSettings, IssueError> {
    font.covers(&format!("{office}\n{mayor_name}"), &gaiji_map(store)?)?;
    let before = office_settings(store)?;
    store
        .atomically(|s| {
            set_office(s, office, mayor_name, seal_png)
                .map_err(|e| runtime::StoreError::Invalid(e.to_string()))?;
            let after =
                office_settings(s).map_err(|e| runtime::StoreError::Invalid(e.to_string()))?;
            s.audit(&runtime::audit::AuditEvent {
                user,
                terminal,
                action: runtime::audit::AuditAction::Change,
                target: "office",
                detail: serde_json::json!({"before": before, "after": after}),
            })?;
            Ok(())
        })
        .map_err(|e| match e {
            runtime::StoreError::Invalid(m) => IssueError::Request(m),
            e => IssueError::Store(e),
        })?;
    office_settings(store)
}

fn gaiji_map(store: &Store) -> Result<HashMap<char, Vec<u8>>, IssueError> {
    Ok(store
        .local_gaiji()?
        .into_iter()
        .map(|g| (g.code_point, g.glyph_png))
        .collect())
}

/// Build the certificate text for `req` with a given 発行番号 (also used for previews).
pub fn build_text(
    store: &Store,
    req: &IssueRequest,
    number: u64,
    sig: &Signature,
) -> Result<(CertificateText, Vec<Vec<u8>>, bool), IssueError> {
    let iss = Issuance {
        issue_number: number,
        signature: sig,
    };
    if req.kind == CertificateKind::ImageCopy {
        let id = req
            .image_register_id
            .ok_or_else(|| IssueError::Request("an image register id is needed".into()))?;
        let reg = store
            .image_register(id)?
            .ok_or_else(|| IssueError::Request(format!("image register {id} not found")))?;
        let mut pngs = Vec::new();
        for p in &reg.pages {
            let (mt, bytes) = store
                .blob(&p.sha256)?
                .ok_or_else(|| IssueError::Request(format!("page image {} missing", p.sha256)))?;
            pngs.push(image_page::to_png(&bytes, &mt)?);
        }
        let label = match reg.kind {
            ImageRegisterKind::Joseki => "除籍",
            ImageRegisterKind::Fuhyo => "除附票",
            ImageRegisterKind::Kaiseigen => "改製原戸籍",
            ImageRegisterKind::Other => "帳簿",
        };
        let midashi = format!("{}　{}", reg.honseki.display.text, reg.hittosha.display());
        return Ok((
            layout::image_copy(&midashi, label, pngs.len(), &iss),
            pngs,
            true,
        ));
    }
    let koseki_id = match (req.koseki_id, req.person_id) {
        (Some(k), _) => k,
        (None, Some(p)) => {
            store
                .person(p)?
                .ok_or_else(|| IssueError::Request(format!("person {p} not found")))?
                .koseki_id
        }
        (None, None) => {
            return Err(IssueError::Request(
                "a 戸籍 id or a person id is needed".into(),
            ));
        }
    };
    let k = store
        .koseki(koseki_id)?
        .ok_or_else(|| IssueError::Request(format!("戸籍 {koseki_id} not found")))?;
    let closed = k.status != KosekiStatus::Genzai;
    let text = match req.kind {
        CertificateKind::Zenbu => layout::zenbu(&from_model::koseki_view(&k), &iss),
        CertificateKind::Kojin => {
            let pid = req
                .person_id
                .ok_or_else(|| IssueError::Request("個人事項証明書 needs a person id".into()))?;
            let idx = from_model::member_index(&k, pid).ok_or_else(|| {
                IssueError::Request(format!("person {pid} is not in 戸籍 {koseki_id}"))
            })?;
            layout::kojin(&from_model::koseki_view(&k), &[idx], &iss)
        }
        CertificateKind::Ichibu => {
            let selection =
                from_model::ichibu_selection(&k, &req.selection).map_err(IssueError::Request)?;
            layout::ichibu(&from_model::koseki_view(&k), &selection, &iss)
        }
        CertificateKind::Fuhyo => {
            let entries = store.fuhyo(k.id)?;
            layout::fuhyo(
                &from_model::fuhyo_view(&k, &entries),
                req.fuhyo_options,
                &iss,
            )
        }
        CertificateKind::ImageCopy => unreachable!("handled above"),
    };
    Ok((text, Vec::new(), closed))
}

/// Issue: check, record (assigns 発行番号), render, record the PDF hash.
pub fn issue(
    store: &Store,
    font: &CertFont,
    req: &IssueRequest,
    user: &str,
    terminal: &str,
) -> Result<Issued, IssueError> {
    let sig = signature(store)?;
    let gaiji = gaiji_map(store)?;
    // Check first, so a glyph we cannot print never consumes a 発行番号.
    let (probe, _, closed) = build_text(store, req, 0, &sig)?;
    font.covers(&probe.text(), &gaiji)?;
    let seal = match store.meta(META_SEAL)? {
        Some(sha) => store.blob(&sha)?.map(|(_, b)| b),
        None => None,
    };
    let request = IssuanceRequest {
        kind: req.kind,
        koseki_id: req.koseki_id,
        person_id: req.person_id,
        image_register_id: req.image_register_id,
        requester_kubun: req.requester_kubun,
        requester_name: req.requester_name.clone(),
        fee_yen: req
            .fee_yen
            .unwrap_or_else(|| standard_fee(req.kind, closed, req.requester_kubun)),
        channel: req.channel.clone(),
    };
    let record = store.record_issuance(&request, user, terminal)?;
    let number: u64 = record
        .hakko_no
        .parse()
        .map_err(|_| IssueError::Request(format!("発行番号 {:?}", record.hakko_no)))?;
    let (text, page_images, _) = build_text(store, req, number, &sig)?;
    let assets = PdfAssets {
        seal_png: seal.as_deref(),
        page_images,
        gaiji,
    };
    let pdf = crate::pdf::render(&text, font, &assets)?;
    store.set_issuance_pdf(record.id, &runtime::util::sha256_hex(&pdf))?;
    let record = StoreIssuance {
        pdf_sha256: Some(runtime::util::sha256_hex(&pdf)),
        ..record
    };
    Ok(Issued { record, text, pdf })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_reiwa_date() {
        let today = today_wareki();
        assert!(
            today.starts_with("令和") && today.ends_with('日'),
            "{today}"
        );
    }

    #[test]
    fn fees() {
        assert_eq!(
            standard_fee(CertificateKind::Zenbu, false, RequesterKubun::Honnin),
            450
        );
        assert_eq!(
            standard_fee(CertificateKind::Zenbu, true, RequesterKubun::Daisansha),
            750
        );
        assert_eq!(
            standard_fee(CertificateKind::Fuhyo, false, RequesterKubun::Honnin),
            300
        );
        assert_eq!(
            standard_fee(CertificateKind::Zenbu, false, RequesterKubun::Koyo),
            0
        );
    }
}
