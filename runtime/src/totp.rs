//! TOTP (RFC 6238) over HOTP (RFC 4226): HMAC-SHA-1, 30-second steps, 6 digits — what common
//! authenticator apps expect from an `otpauth://totp/` URI.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// HOTP value of `counter` with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[off] & 0x7f) << 24)
        | (u32::from(h[off + 1]) << 16)
        | (u32::from(h[off + 2]) << 8)
        | u32::from(h[off + 3]);
    bin % 10u32.pow(digits)
}

/// The TOTP code at Unix time `t`.
pub fn totp_at(secret: &[u8], t: i64, digits: u32) -> u32 {
    hotp(secret, (t.max(0) / STEP_SECONDS) as u64, digits)
}

/// The current 6-digit code as text (zero-padded), e.g. for tests and the CLI.
pub fn code_at(secret: &[u8], t: i64) -> String {
    format!("{:06}", totp_at(secret, t, DIGITS))
}

/// Checks a 6-digit code at time `t`, allowing one step of clock skew either way. Returns the
/// matched time step so callers can refuse a replay of the same step.
pub fn verify(secret: &[u8], code: &str, t: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let want: u32 = code.parse().ok()?;
    let step = t.max(0) / STEP_SECONDS;
    [step, step - 1, step + 1]
        .into_iter()
        .filter(|s| *s >= 0)
        .find(|s| hotp(secret, *s as u64, DIGITS) == want)
}

/// RFC 4648 base32 without padding (the otpauth `secret=` form).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Percent-encodes for an otpauth URI label / parameter.
fn uri_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        uri_escape(issuer),
        uri_escape(account),
        base32(secret),
        uri_escape(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 Appendix B, SHA-1 column (8 digits), seed "12345678901234567890".
    const SEED: &[u8] = b"12345678901234567890";
    const VECTORS: &[(i64, u32)] = &[
        (59, 94287082),
        (1111111109, 7081804),
        (1111111111, 14050471),
        (1234567890, 89005924),
        (2000000000, 69279037),
        (20000000000, 65353130),
    ];

    #[test]
    fn rfc6238_vectors() {
        for &(t, want) in VECTORS {
            assert_eq!(totp_at(SEED, t, 8), want, "T={t}");
            assert_eq!(
                code_at(SEED, t),
                format!("{:06}", want % 1_000_000),
                "T={t}"
            );
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (c, w) in want.iter().enumerate() {
            assert_eq!(hotp(SEED, c as u64, 6), *w);
        }
    }

    #[test]
    fn verify_window_and_format() {
        let t = 1_111_111_111;
        let code = code_at(SEED, t);
        assert_eq!(verify(SEED, &code, t), Some(t / 30));
        assert!(verify(SEED, &code, t + 30).is_some());
        assert!(verify(SEED, &code, t + 120).is_none());
        assert!(verify(SEED, "12345", t).is_none());
        assert!(verify(SEED, "abcdef", t).is_none());
    }

    #[test]
    fn base32_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let uri = otpauth_uri("koseki", "佐藤", b"12345678901234567890");
        assert!(
            uri.starts_with(
                "otpauth://totp/koseki:%E4%BD%90%E8%97%A4?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"
            ),
            "{uri}"
        );
    }
}
