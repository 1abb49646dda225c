//! Certificates: 全部事項証明書, 個人事項証明書, 一部事項証明書, 戸籍の附票の写し and 謄本 of image
//! registers.
//!
//! Two steps, both deterministic: [`layout`] turns a [`view`] of the record into lines of text
//! (pinned by golden files), and [`pdf`] draws those lines with IPAmj明朝 embedded as a subset.
//! [`from_model`] builds the views from `runtime::model`, and [`issue`] records each issuance.

pub mod from_model;
pub mod image_page;
pub mod issue;
pub mod layout;
pub mod pdf;
pub mod view;

use std::path::PathBuf;

pub use layout::{CertificateKind, CertificateText, Issuance, KindWording};
pub use pdf::{CertFont, PdfAssets};

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("font {0}: {1}")]
    Font(PathBuf, String),
    #[error("the certificate font has no glyph for {0:?} ({1}); refusing to print a substitute")]
    MissingGlyph(String, String),
    #[error("image: {0}")]
    Image(String),
    #[error("PDF: {0}")]
    Pdf(String),
}
