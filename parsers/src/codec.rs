//! Field codecs: zoned decimal, packed decimal, big-endian binary (exact decimals, no floats),
//! and text through a code page.

use std::sync::Arc;

use crate::decimal::Decimal;
use crate::layout::SignPosition;

/// Which character family numbers are written in: decides zoned digits and sign bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Digits 0xF0–0xF9, sign in the zone nibble (C/A/E/F positive, D/B negative).
    Ebcdic,
    /// Digits 0x30–0x39; negative trailing digit 0x70–0x79, or the `}`/`J`–`R` overpunch.
    Ascii,
}

/// Text in one code page, as the record decoder needs it. Implemented over `moji` for the real
/// code pages; the small `ascii` one exists for tests and plain files.
pub trait TextCodec: Send + Sync {
    /// The name this codec was chosen by.
    fn name(&self) -> &str;
    fn family(&self) -> Family;
    /// The single-byte space used to pad PIC X fields.
    fn sbcs_pad(&self) -> u8;
    /// The double-byte ideographic space (U+3000) used to pad PIC N fields.
    fn dbcs_pad(&self) -> [u8; 2];
    /// Appends a PIC X field's text. On a byte sequence that is undefined, returns its offset
    /// within `bytes`.
    fn decode_sbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize>;
    /// Appends a PIC N / G field's text (double-byte, no shift codes).
    fn decode_dbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize>;
    /// Encodes text for a PIC X field; on a character the code page lacks, returns it.
    fn encode_sbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char>;
    /// Encodes text for a PIC N field.
    fn encode_dbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char>;
}

/// A chosen code page for records: cheap to clone, shared across threads.
#[derive(Clone)]
pub struct Encoding(pub Arc<dyn TextCodec>);

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoding({})", self.0.name())
    }
}

/// An encoding name no code page answers to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoding {0:?} (known: {known})", known = Encoding::NAMES.join(", "))]
pub struct UnknownEncoding(pub String);

impl Encoding {
    /// Every name `--encoding` accepts.
    pub const NAMES: &'static [&'static str] = &[
        "ebcdic-kana",
        "ibm930",
        "ibm939",
        "ibm1390",
        "ibm1399",
        "jef",
        "cp932",
        "euc-jp",
        "ascii",
    ];

    /// The encoding for a CLI name: `jef` is EBCDIK for PIC X and JEF for PIC N, `ibm930` is
    /// CCSID 290 + 300, and so on (see `moji`).
    pub fn by_name(name: &str) -> Result<Encoding, UnknownEncoding> {
        let lower = name.to_ascii_lowercase();
        if lower == "ascii" {
            return Ok(Encoding(Arc::new(Ascii)));
        }
        crate::moji_codec::by_name(&lower)
            .map(Encoding)
            .ok_or_else(|| UnknownEncoding(name.to_string()))
    }

    /// The encoding for a CLI name with a vendor code table for gaiji (JEF extended and
    /// user-defined areas, IBM user-defined codes).
    pub fn with_gaiji(name: &str, gaiji: Arc<moji::GaijiMap>) -> Result<Encoding, UnknownEncoding> {
        crate::moji_codec::with_gaiji(&name.to_ascii_lowercase(), gaiji)
            .map(Encoding)
            .ok_or_else(|| UnknownEncoding(name.to_string()))
    }

    /// Plain ASCII text (PIC N as UTF-16BE): for tests and ASCII files.
    pub fn ascii() -> Encoding {
        Encoding(Arc::new(Ascii))
    }

    pub fn codec(&self) -> &dyn TextCodec {
        &*self.0
    }
}

/// ASCII single-byte text; double-byte fields as UTF-16BE.
pub struct Ascii;

impl TextCodec for Ascii {
    fn name(&self) -> &str {
        "ascii"
    }
    fn family(&self) -> Family {
        Family::Ascii
    }
    fn sbcs_pad(&self) -> u8 {
        b' '
    }
    fn dbcs_pad(&self) -> [u8; 2] {
        [0x30, 0x00]
    }
    fn decode_sbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        if let Some(p) = bytes.iter().position(|&b| b >= 0x80) {
            return Err(p);
        }
        // All bytes are ASCII, checked above.
        out.push_str(std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())?);
        Ok(())
    }
    fn decode_dbcs(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        decode_utf16be(bytes, out)
    }
    fn encode_sbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
            return Err(c);
        }
        out.extend_from_slice(text.as_bytes());
        Ok(())
    }
    fn encode_dbcs(&self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        encode_utf16be(text, out)
    }
}

/// UTF-16BE (USAGE NATIONAL). Returns the offset of an unpaired surrogate or odd byte.
pub fn decode_utf16be(bytes: &[u8], out: &mut String) -> Result<(), usize> {
    if bytes.len() % 2 == 1 {
        return Err(bytes.len() - 1);
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    for (k, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(c) => out.push(c),
            Err(_) => return Err(k * 2),
        }
    }
    Ok(())
}

/// Encodes UTF-16BE; never fails (every char has a UTF-16 form).
pub fn encode_utf16be(text: &str, out: &mut Vec<u8>) -> Result<(), char> {
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_be_bytes());
    }
    Ok(())
}

/// Why a numeric field's bytes are not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("byte 0x{byte:02X} is not a zoned digit")]
    BadZonedDigit { at: usize, byte: u8 },
    #[error("byte 0x{byte:02X} is not a valid sign")]
    BadSign { at: usize, byte: u8 },
    #[error("nibble {nibble:X} is not a packed digit")]
    BadPackedDigit { at: usize, nibble: u8 },
    #[error("nibble {nibble:X} is not a packed sign")]
    BadPackedSign { at: usize, nibble: u8 },
}

impl NumberError {
    /// Offset of the offending byte within the field.
    pub fn at(&self) -> usize {
        match *self {
            NumberError::BadZonedDigit { at, .. }
            | NumberError::BadSign { at, .. }
            | NumberError::BadPackedDigit { at, .. }
            | NumberError::BadPackedSign { at, .. } => at,
        }
    }
}

#[inline]
fn sign_of_zone(zone: u8) -> Option<bool> {
    // true = negative
    match zone {
        0xA | 0xC | 0xE | 0xF => Some(false),
        0xB | 0xD => Some(true),
        _ => None,
    }
}

#[inline]
fn accumulate(m: i128, d: u8) -> i128 {
    // At most 38 digits (enforced by the PICTURE parser) fit in i128; fields of up to 18
    // digits stay in the low 64 bits, where multiplication is cheap.
    if m < (1i128 << 59) {
        ((m as u64) * 10 + d as u64) as i128
    } else {
        m.wrapping_mul(10).wrapping_add(d as i128)
    }
}

/// Decodes a zoned decimal field.
pub fn decode_zoned(
    bytes: &[u8],
    scale: i32,
    sign: SignPosition,
    family: Family,
) -> Result<Decimal, NumberError> {
    let (digits, sep, embedded_at) = match sign {
        SignPosition::TrailingEmbedded => (bytes, None, bytes.len().checked_sub(1)),
        SignPosition::LeadingEmbedded => (bytes, None, Some(0)),
        SignPosition::TrailingSeparate => match bytes.split_last() {
            Some((s, d)) => (d, Some((*s, bytes.len() - 1)), None),
            None => (bytes, None, None),
        },
        SignPosition::LeadingSeparate => match bytes.split_first() {
            Some((s, d)) => (d, Some((*s, 0)), None),
            None => (bytes, None, None),
        },
    };
    let base = if matches!(sign, SignPosition::LeadingSeparate) {
        1
    } else {
        0
    };
    let mut neg = false;
    if let Some((s, at)) = sep {
        neg = match (family, s) {
            (Family::Ebcdic, 0x4E) | (Family::Ascii, b'+') => false,
            (Family::Ebcdic, 0x60) | (Family::Ascii, b'-') => true,
            _ => return Err(NumberError::BadSign { at, byte: s }),
        };
    }
    let mut m: i128 = 0;
    for (k, &b) in digits.iter().enumerate() {
        let is_sign_byte = embedded_at == Some(k);
        let d = match family {
            Family::Ebcdic => {
                let (zone, d) = (b >> 4, b & 0x0F);
                if d > 9 {
                    return Err(NumberError::BadZonedDigit {
                        at: k + base,
                        byte: b,
                    });
                }
                if is_sign_byte {
                    match sign_of_zone(zone) {
                        Some(n) => neg = n,
                        None => {
                            return Err(NumberError::BadSign {
                                at: k + base,
                                byte: b,
                            });
                        }
                    }
                } else if zone != 0xF {
                    return Err(NumberError::BadZonedDigit {
                        at: k + base,
                        byte: b,
                    });
                }
                d
            }
            Family::Ascii => match b {
                b'0'..=b'9' => b - b'0',
                0x70..=0x79 if is_sign_byte => {
                    neg = true;
                    b - 0x70
                }
                b'{' if is_sign_byte => 0,
                b'A'..=b'I' if is_sign_byte => b - b'A' + 1,
                b'}' if is_sign_byte => {
                    neg = true;
                    0
                }
                b'J'..=b'R' if is_sign_byte => {
                    neg = true;
                    b - b'J' + 1
                }
                _ => {
                    return Err(if is_sign_byte {
                        NumberError::BadSign {
                            at: k + base,
                            byte: b,
                        }
                    } else {
                        NumberError::BadZonedDigit {
                            at: k + base,
                            byte: b,
                        }
                    });
                }
            },
        };
        m = accumulate(m, d);
    }
    Ok(Decimal::new(if neg { -m } else { m }, scale))
}

/// Encodes a zoned decimal. `mantissa` must already fit `digits` digits (checked by caller).
/// Unsigned fields get the unsigned zone (F / plain ASCII digit).
pub fn encode_zoned(
    mantissa: i128,
    digits: usize,
    signed: bool,
    sign: SignPosition,
    family: Family,
    out: &mut Vec<u8>,
) {
    let neg = mantissa < 0;
    let mut m = mantissa.unsigned_abs();
    let mut ds = vec![0u8; digits];
    for k in (0..digits).rev() {
        ds[k] = (m % 10) as u8;
        m /= 10;
    }
    let digit_byte = |d: u8| match family {
        Family::Ebcdic => 0xF0 | d,
        Family::Ascii => b'0' + d,
    };
    let signed_byte = |d: u8| match family {
        Family::Ebcdic => (if neg { 0xD0 } else { 0xC0 }) | d,
        Family::Ascii => {
            if neg {
                0x70 + d
            } else {
                b'0' + d
            }
        }
    };
    let sep = match family {
        Family::Ebcdic => {
            if neg {
                0x60
            } else {
                0x4E
            }
        }
        Family::Ascii => {
            if neg {
                b'-'
            } else {
                b'+'
            }
        }
    };
    match sign {
        SignPosition::LeadingSeparate if signed => out.push(sep),
        _ => {}
    }
    for (k, &d) in ds.iter().enumerate() {
        let embedded = signed
            && ((k == 0 && sign == SignPosition::LeadingEmbedded)
                || (k + 1 == digits && sign == SignPosition::TrailingEmbedded));
        out.push(if embedded {
            signed_byte(d)
        } else {
            digit_byte(d)
        });
    }
    if sign == SignPosition::TrailingSeparate && signed {
        out.push(sep);
    }
}

/// Decodes a packed decimal (COMP-3). All sign nibbles: C/A/E/F positive, D/B negative.
pub fn decode_packed(bytes: &[u8], scale: i32) -> Result<Decimal, NumberError> {
    let Some((&last, head)) = bytes.split_last() else {
        return Ok(Decimal::new(0, scale));
    };
    // Two digits per byte: fold in base 100.
    let mut m2: i128 = 0;
    for (k, &b) in head.iter().enumerate() {
        let (hi, lo) = (b >> 4, b & 0x0F);
        if hi > 9 {
            return Err(NumberError::BadPackedDigit { at: k, nibble: hi });
        }
        if lo > 9 {
            return Err(NumberError::BadPackedDigit { at: k, nibble: lo });
        }
        let pair = (hi * 10 + lo) as i128;
        m2 = if m2 < (1i128 << 56) {
            ((m2 as u64) * 100 + pair as u64) as i128
        } else {
            m2.wrapping_mul(100).wrapping_add(pair)
        };
    }
    let hi = last >> 4;
    if hi > 9 {
        return Err(NumberError::BadPackedDigit {
            at: head.len(),
            nibble: hi,
        });
    }
    let neg = match sign_of_zone(last & 0x0F) {
        Some(n) => n,
        None => {
            return Err(NumberError::BadPackedSign {
                at: head.len(),
                nibble: last & 0x0F,
            });
        }
    };
    let m = m2.wrapping_mul(10).wrapping_add(hi as i128);
    Ok(Decimal::new(if neg { -m } else { m }, scale))
}

/// Encodes a packed decimal into `len` bytes (sign C/D, or F when unsigned).
pub fn encode_packed(mantissa: i128, len: usize, signed: bool, out: &mut Vec<u8>) {
    let neg = mantissa < 0;
    let mut m = mantissa.unsigned_abs();
    let nibbles = len * 2;
    let mut ns = vec![0u8; nibbles];
    ns[nibbles - 1] = if !signed {
        0xF
    } else if neg {
        0xD
    } else {
        0xC
    };
    for k in (0..nibbles - 1).rev() {
        ns[k] = (m % 10) as u8;
        m /= 10;
    }
    for pair in ns.chunks_exact(2) {
        out.push(pair[0] << 4 | pair[1]);
    }
}

/// Decodes big-endian two's complement (signed) or unsigned binary of any width up to 16 bytes.
pub fn decode_binary(bytes: &[u8], scale: i32, signed: bool) -> Decimal {
    let mut v: u128 = 0;
    for &b in bytes {
        v = v << 8 | b as u128;
    }
    let n = bytes.len().min(16);
    let m = if signed && n > 0 && bytes[0] & 0x80 != 0 && n < 16 {
        (v as i128) - (1i128 << (8 * n))
    } else {
        v as i128
    };
    Decimal::new(m, scale)
}

/// Encodes big-endian binary into `len` bytes.
pub fn encode_binary(mantissa: i128, len: usize, out: &mut Vec<u8>) {
    let b = mantissa.to_be_bytes();
    out.extend_from_slice(&b[16 - len..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoned_all_sign_nibbles() {
        let f = Family::Ebcdic;
        let t = SignPosition::TrailingEmbedded;
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0xC3], 0, t, f).unwrap().mantissa,
            123
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0xD3], 0, t, f).unwrap().mantissa,
            -123
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0xB3], 0, t, f).unwrap().mantissa,
            -123
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0xA3], 0, t, f).unwrap().mantissa,
            123
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0xE3], 0, t, f).unwrap().mantissa,
            123
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0xF3], 2, t, f)
                .unwrap()
                .to_string(),
            "1.23"
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0x40, 0xF3], 0, t, f),
            Err(NumberError::BadZonedDigit { at: 1, byte: 0x40 })
        );
        assert_eq!(
            decode_zoned(&[0xF1, 0xF2, 0x93], 0, t, f),
            Err(NumberError::BadSign { at: 2, byte: 0x93 })
        );
        let l = SignPosition::LeadingSeparate;
        assert_eq!(
            decode_zoned(&[0x60, 0xF4, 0xF2], 0, l, f).unwrap().mantissa,
            -42
        );
        assert_eq!(
            decode_zoned(b"-42", 0, l, Family::Ascii).unwrap().mantissa,
            -42
        );
        assert_eq!(
            decode_zoned(b"4r", 0, t, Family::Ascii).unwrap().mantissa,
            -42
        );
        assert_eq!(
            decode_zoned(b"4K", 0, t, Family::Ascii).unwrap().mantissa,
            -42
        );
        assert_eq!(
            decode_zoned(b"4B", 0, t, Family::Ascii).unwrap().mantissa,
            42
        );
    }

    #[test]
    fn packed_sign_nibbles_and_errors() {
        assert_eq!(
            decode_packed(&[0x12, 0x34, 0x5C], 2).unwrap().to_string(),
            "123.45"
        );
        assert_eq!(
            decode_packed(&[0x12, 0x34, 0x5D], 2).unwrap().to_string(),
            "-123.45"
        );
        assert_eq!(
            decode_packed(&[0x12, 0x34, 0x5B], 0).unwrap().mantissa,
            -12345
        );
        assert_eq!(
            decode_packed(&[0x12, 0x34, 0x5F], 0).unwrap().mantissa,
            12345
        );
        assert_eq!(
            decode_packed(&[0x1A, 0x34, 0x5C], 0),
            Err(NumberError::BadPackedDigit { at: 0, nibble: 0xA })
        );
        assert_eq!(
            decode_packed(&[0x12, 0x34, 0x55], 0),
            Err(NumberError::BadPackedSign { at: 2, nibble: 5 })
        );
        let mut v = Vec::new();
        encode_packed(-12345, 3, true, &mut v);
        assert_eq!(v, [0x12, 0x34, 0x5D]);
    }

    #[test]
    fn binary_big_endian() {
        assert_eq!(decode_binary(&[0xFF, 0xFE], 0, true).mantissa, -2);
        assert_eq!(decode_binary(&[0xFF, 0xFE], 0, false).mantissa, 65534);
        assert_eq!(decode_binary(&[0, 0, 1, 0], 1, true).to_string(), "25.6");
        let mut v = Vec::new();
        encode_binary(-2, 4, &mut v);
        assert_eq!(v, [0xFF, 0xFF, 0xFF, 0xFE]);
    }
}
