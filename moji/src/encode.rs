//! Encoders, the inverse of the decoders: used by the sample generator and the round-trip
//! tests. Encoding is strict: a character the code page cannot carry is an error.

use crate::CodePage;
use crate::error::{EncodeError, FieldKind};
use crate::gaiji::GaijiMap;
use crate::tables::{self, Table};

/// Encode a whole text as a mixed stream (see [`Encoder::encode_mixed`]).
pub fn encode(page: CodePage, text: &str) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(text.len());
    Encoder::new(page).encode_mixed(text, &mut out)?;
    Ok(out)
}

/// A configured encoder. Every method appends to `out`; on error, `out` holds the bytes of
/// the text before the failing character.
#[derive(Debug, Clone, Copy)]
pub struct Encoder<'g> {
    page: CodePage,
    gaiji: Option<&'g GaijiMap>,
}

impl<'g> Encoder<'g> {
    /// An encoder for `page`.
    pub fn new(page: CodePage) -> Self {
        Encoder { page, gaiji: None }
    }

    /// Use a vendor code table (JEF extended / user area; IBM user-defined codes). Its
    /// entries win over the built-in user-area rule, and an entry with an IVS is matched
    /// against the character followed by that selector.
    pub fn with_gaiji(mut self, map: &'g GaijiMap) -> Self {
        self.gaiji = Some(map);
        self
    }

    /// The code page.
    pub fn page(&self) -> CodePage {
        self.page
    }

    /// Encode as a mixed stream: single bytes where the code page has the character, double
    /// bytes between shift codes otherwise (IBM: SO 0x0E … SI 0x0F; JEF: 0x28 … 0x29). The
    /// stream always ends in single-byte mode.
    pub fn encode_mixed(&self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self.page {
            CodePage::Cp932 | CodePage::EucJp => {
                return rs_encode(self.page, text, out, FieldKind::Mixed);
            }
            CodePage::EbcdicKana => return self.encode_sbcs(text, out),
            _ => {}
        }
        let t = tables::table(self.page);
        let (so, si) = if self.page == CodePage::Jef {
            (0x28, 0x29)
        } else {
            (0x0E, 0x0F)
        };
        let mut in_dbcs = false;
        let mut pos = 0;
        while let Some(c) = text[pos..].chars().next() {
            if let Some((code, used)) = self.multi(t, text, pos) {
                shift(out, &mut in_dbcs, true, so, si);
                out.extend_from_slice(&code.to_be_bytes());
                pos += used;
                continue;
            }
            if let Some(&b) = t.enc_sbcs.get(&c) {
                shift(out, &mut in_dbcs, false, so, si);
                out.push(b);
                pos += c.len_utf8();
                continue;
            }
            match self.dbcs_code(t, text, pos) {
                Some((code, used)) => {
                    shift(out, &mut in_dbcs, true, so, si);
                    out.extend_from_slice(&code.to_be_bytes());
                    pos += used;
                }
                None => {
                    shift(out, &mut in_dbcs, false, so, si);
                    return Err(self.unmappable(c, pos, FieldKind::Mixed));
                }
            }
        }
        shift(out, &mut in_dbcs, false, so, si);
        Ok(())
    }

    /// Encode a single-byte field (COBOL PIC X): one byte per character.
    pub fn encode_sbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if matches!(self.page, CodePage::Cp932 | CodePage::EucJp) {
            return rs_encode(self.page, text, out, FieldKind::SingleByte);
        }
        let t = tables::table(self.page);
        out.reserve(text.len());
        for (pos, c) in text.char_indices() {
            match t.enc_sbcs.get(&c) {
                Some(&b) => out.push(b),
                None => return Err(self.unmappable(c, pos, FieldKind::SingleByte)),
            }
        }
        Ok(())
    }

    /// Encode a double-byte field without shift codes (COBOL PIC N / PIC G): two bytes per
    /// character (a character + IVS of a vendor code table, or a two-code-point entry of
    /// IBM 1390/1399, is one code).
    pub fn encode_dbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if matches!(self.page, CodePage::Cp932 | CodePage::EucJp) {
            return rs_encode(self.page, text, out, FieldKind::DoubleByte);
        }
        let t = tables::table(self.page);
        out.reserve(text.len());
        let mut pos = 0;
        while let Some(c) = text[pos..].chars().next() {
            let found = if self.page == CodePage::EbcdicKana {
                None
            } else {
                self.multi(t, text, pos)
                    .or_else(|| self.dbcs_code(t, text, pos))
            };
            match found {
                Some((code, used)) => {
                    out.extend_from_slice(&code.to_be_bytes());
                    pos += used;
                }
                None => return Err(self.unmappable(c, pos, FieldKind::DoubleByte)),
            }
        }
        Ok(())
    }

    /// The double-byte code of the character at `pos` (and how many text bytes it used).
    fn dbcs_code(&self, t: &Table, text: &str, pos: usize) -> Option<(u16, usize)> {
        let mut it = text[pos..].chars();
        let c = it.next()?;
        if let Some(m) = self.gaiji {
            if let Some(v) = it.next().filter(|v| is_selector(*v))
                && let Some(code) = m.code_for(c, Some(v))
            {
                return Some((code, c.len_utf8() + v.len_utf8()));
            }
            if let Some(code) = m.code_for(c, None) {
                return Some((code, c.len_utf8()));
            }
        }
        if let Some(&code) = t.enc_dbcs.get(&c) {
            return Some((code, c.len_utf8()));
        }
        if self.page == CodePage::Jef {
            // JEF user-defined area: U+E000.. ↔ 0x80A1..0xA0FE, 94 cells a row.
            let k = u32::from(c).checked_sub(0xE000)?;
            if k < 33 * 94 {
                let hi = 0x80 + (k / 94) as u8;
                let lo = 0xA1 + (k % 94) as u8;
                return Some((u16::from_be_bytes([hi, lo]), c.len_utf8()));
            }
        }
        None
    }

    /// A two-code-point entry (IBM 1390/1399) starting at `pos`.
    fn multi(&self, t: &Table, text: &str, pos: usize) -> Option<(u16, usize)> {
        let c = text[pos..].chars().next()?;
        let cands = t.enc_multi.get(&c)?;
        let after = &text[pos + c.len_utf8()..];
        cands
            .iter()
            .find(|(rest, _)| after.starts_with(rest.as_str()))
            .map(|(rest, code)| (*code, c.len_utf8() + rest.len()))
    }

    fn unmappable(&self, ch: char, offset: usize, kind: FieldKind) -> EncodeError {
        EncodeError::Unmappable {
            ch,
            offset,
            page: self.page,
            kind,
        }
    }
}

fn is_selector(c: char) -> bool {
    ('\u{E0100}'..='\u{E01EF}').contains(&c) || ('\u{FE00}'..='\u{FE0F}').contains(&c)
}

fn shift(out: &mut Vec<u8>, in_dbcs: &mut bool, want_dbcs: bool, so: u8, si: u8) {
    if *in_dbcs != want_dbcs {
        out.push(if want_dbcs { so } else { si });
        *in_dbcs = want_dbcs;
    }
}

fn rs_encode(
    page: CodePage,
    text: &str,
    out: &mut Vec<u8>,
    kind: FieldKind,
) -> Result<(), EncodeError> {
    let enc = if page == CodePage::EucJp {
        encoding_rs::EUC_JP
    } else {
        encoding_rs::SHIFT_JIS
    };
    let mut encoder = enc.new_encoder();
    let mut buf = Vec::with_capacity(8);
    for (pos, c) in text.char_indices() {
        let mut tmp = [0u8; 4];
        buf.clear();
        buf.reserve(8);
        let (res, _) = encoder.encode_from_utf8_to_vec_without_replacement(
            c.encode_utf8(&mut tmp),
            &mut buf,
            false,
        );
        let want = match kind {
            FieldKind::Mixed => 1..=2,
            FieldKind::SingleByte => 1..=1,
            FieldKind::DoubleByte => 2..=2,
        };
        // WHATWG encoders map U+0080 and some characters to bytes the decoder reads back
        // differently; keep only codes that round-trip.
        let ok = matches!(res, encoding_rs::EncoderResult::InputEmpty)
            && want.contains(&buf.len())
            && enc
                .decode_without_bom_handling_and_without_replacement(&buf)
                .is_some_and(|s| s.chars().eq(std::iter::once(c)));
        if !ok {
            match cp932_private_use(page, c, kind) {
                Some(pair) => {
                    out.extend_from_slice(&pair);
                    continue;
                }
                None => {
                    return Err(EncodeError::Unmappable {
                        ch: c,
                        offset: pos,
                        page,
                        kind,
                    });
                }
            }
        }
        out.extend_from_slice(&buf);
    }
    Ok(())
}

/// CP932's user-defined area 0xF040..0xF9FC, which the WHATWG decoder reads as
/// U+E000..U+E757 but its encoder does not write back (WHATWG Shift_JIS pointers 8836..).
fn cp932_private_use(page: CodePage, c: char, kind: FieldKind) -> Option<[u8; 2]> {
    let k = u32::from(c).checked_sub(0xE000)?;
    if page != CodePage::Cp932 || k > 0x757 || kind == FieldKind::SingleByte {
        return None;
    }
    let pointer = 8836 + k;
    let (lead, trail) = (pointer / 188, pointer % 188);
    let lead = lead + if lead < 0x1F { 0x81 } else { 0xC1 };
    let trail = trail + if trail < 0x3F { 0x40 } else { 0x41 };
    Some([u8::try_from(lead).ok()?, u8::try_from(trail).ok()?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    #[test]
    fn mixed_inserts_shift_codes() {
        assert_eq!(
            encode(CodePage::Ibm930, "Aｱ一\u{3000}B").unwrap(),
            b"\xC1\x81\x0E\x45\x41\x40\x40\x0F\xC2"
        );
        assert_eq!(
            encode(CodePage::Jef, "A亜").unwrap(),
            b"\xC1\x28\xB0\xA1\x29"
        );
    }

    #[test]
    fn unmappable_names_the_offset() {
        let e = encode(CodePage::Ibm930, "ab\u{1F600}").unwrap_err();
        let EncodeError::Unmappable { offset, .. } = e;
        assert_eq!(offset, 2);
    }

    #[test]
    fn two_code_point_entries_encode_as_one_code() {
        let mut v = Vec::new();
        Encoder::new(CodePage::Ibm1390)
            .encode_dbcs("\u{304B}\u{309A}", &mut v)
            .unwrap();
        assert_eq!(v, b"\xEC\xB5");
    }

    #[test]
    fn jef_user_area_and_gaiji() {
        let mut v = Vec::new();
        Encoder::new(CodePage::Jef)
            .encode_dbcs("\u{E000}\u{EC1D}", &mut v)
            .unwrap();
        assert_eq!(v, b"\x80\xA1\xA0\xFE");
        assert!(
            Encoder::new(CodePage::Jef)
                .encode_dbcs("\u{EC1E}", &mut Vec::new())
                .is_err()
        );
        let mut map = GaijiMap::new();
        map.insert(
            0x41A1,
            crate::GaijiEntry {
                ucs: '辻',
                ivs: Some('\u{E0101}'),
            },
        );
        let mut v = Vec::new();
        Encoder::new(CodePage::Jef)
            .with_gaiji(&map)
            .encode_dbcs("辻\u{E0101}辻", &mut v)
            .unwrap();
        assert_eq!(&v[..2], b"\x41\xA1");
        assert_eq!(v.len(), 4);
    }

    #[test]
    fn cp932_field_kinds() {
        let mut v = Vec::new();
        Encoder::new(CodePage::Cp932)
            .encode_sbcs("aｱ", &mut v)
            .unwrap();
        assert_eq!(v, b"a\xB1");
        assert!(
            Encoder::new(CodePage::Cp932)
                .encode_sbcs("亜", &mut Vec::new())
                .is_err()
        );
        assert!(
            Encoder::new(CodePage::EucJp)
                .encode_dbcs("a", &mut Vec::new())
                .is_err()
        );
        assert_eq!(
            decode(CodePage::EucJp, &encode(CodePage::EucJp, "亜a").unwrap()).text,
            "亜a"
        );
    }
}
