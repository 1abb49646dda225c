//! The bridge from `--encoding` names to `moji`'s code pages: PIC X fields go through the
//! page's single-byte half (mixed with shift codes where the page has them, as vendors put
//! kanji in PIC X between SO/SI), PIC N / G through its double-byte half. So `jef` is EBCDIK
//! + JEF, `ibm930` is CCSID 290 + 300, and so on.

use std::sync::Arc;

use moji::{CodePage, Decoder, Encoder, GaijiMap};

use crate::codec::{Family, TextCodec};

pub(crate) struct MojiCodec {
    page: CodePage,
    gaiji: Option<Arc<GaijiMap>>,
    sbcs_pad: u8,
    dbcs_pad: [u8; 2],
    /// PIC X may hold shift-coded double-byte runs.
    mixed_x: bool,
}

impl MojiCodec {
    pub(crate) fn new(page: CodePage, gaiji: Option<Arc<GaijiMap>>) -> Self {
        let mut sp = Vec::new();
        let sbcs_pad = match Encoder::new(page).encode_sbcs(" ", &mut sp) {
            Ok(()) if sp.len() == 1 => sp[0],
            _ => b' ',
        };
        let mut dp = Vec::new();
        let dbcs_pad = match Encoder::new(page).encode_dbcs("\u{3000}", &mut dp) {
            Ok(()) if dp.len() == 2 => [dp[0], dp[1]],
            _ => [sbcs_pad, sbcs_pad],
        };
        MojiCodec {
            page,
            gaiji,
            sbcs_pad,
            dbcs_pad,
            mixed_x: page.is_shifted() || matches!(page, CodePage::Cp932 | CodePage::EucJp),
        }
    }

    fn decoder(&self) -> Decoder<'_> {
        let d = Decoder::new(self.page).strict(true);
        match &self.gaiji {
            Some(g) => d.with_gaiji(g),
            None => d,
        }
    }

    fn encoder(&self) -> Encoder<'_> {
        let e = Encoder::new(self.page);
        match &self.gaiji {
            Some(g) => e.with_gaiji(g),
            None => e,
        }
    }
}

fn unmappable(e: moji::EncodeError) -> char {
    match e {
        moji::EncodeError::Unmappable { ch, .. } => ch,
    }
}

impl TextCodec for MojiCodec {
    fn name(&self) -> &str {
        self.page.name()
    }
    fn family(&self) -> Family {
        match self.page {
            CodePage::Cp932 | CodePage::EucJp => Family::Ascii,
            _ => Family::Ebcdic,
        }
    }
    fn sbcs_pad(&self) -> u8 {
        self.sbcs_pad
    }
    fn dbcs_pad(&self) -> [u8; 2] {
        self.dbcs_pad
    }
    fn decode_sbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        let mut undefined = Vec::new();
        let r = if self.mixed_x {
            self.decoder().decode_mixed(bytes, out, &mut undefined)
        } else {
            self.decoder().decode_sbcs(bytes, out, &mut undefined)
        };
        r.map_err(|e| e.offset())
    }
    fn decode_dbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        let mut undefined = Vec::new();
        self.decoder()
            .decode_dbcs(bytes, out, &mut undefined)
            .map_err(|e| e.offset())
    }
    fn encode_sbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        let r = if self.mixed_x && !text.is_ascii() {
            self.encoder().encode_mixed(text, out)
        } else {
            self.encoder().encode_sbcs(text, out)
        };
        r.map_err(unmappable)
    }
    fn encode_dbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        self.encoder().encode_dbcs(text, out).map_err(unmappable)
    }
}

pub(crate) fn by_name(name: &str) -> Option<Arc<dyn TextCodec>> {
    let page: CodePage = name.parse().ok()?;
    Some(Arc::new(MojiCodec::new(page, None)))
}

pub(crate) fn with_gaiji(name: &str, gaiji: Arc<GaijiMap>) -> Option<Arc<dyn TextCodec>> {
    let page: CodePage = name.parse().ok()?;
    Some(Arc::new(MojiCodec::new(page, Some(gaiji))))
}
