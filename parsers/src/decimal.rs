//! Exact decimal numbers as they come out of COBOL fields: an integer mantissa and a power of
//! ten. No floating point anywhere, so `123.45` is printed exactly as stored.

use std::fmt;

/// `mantissa × 10^(-scale)`. A positive scale counts digits after the point (PIC 9V99 → 2);
/// a negative one comes from trailing `P` scaling (PIC 9PP → -2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: i32,
}

impl Decimal {
    pub const fn new(mantissa: i128, scale: i32) -> Self {
        Decimal { mantissa, scale }
    }

    /// The value as an integer when it has no fractional part (OCCURS DEPENDING ON objects,
    /// trailer counts).
    pub fn to_i128(&self) -> Option<i128> {
        if self.scale <= 0 {
            let mut m = self.mantissa;
            for _ in 0..(-self.scale) {
                m = m.checked_mul(10)?;
            }
            Some(m)
        } else {
            let p = 10i128.checked_pow(self.scale as u32)?;
            if self.mantissa % p == 0 {
                Some(self.mantissa / p)
            } else {
                None
            }
        }
    }

    /// Re-express at another scale, exactly; `None` if digits would be lost or it overflows.
    pub fn rescale(&self, scale: i32) -> Option<Decimal> {
        if scale == self.scale {
            return Some(*self);
        }
        if scale > self.scale {
            let p = 10i128.checked_pow((scale - self.scale) as u32)?;
            Some(Decimal::new(self.mantissa.checked_mul(p)?, scale))
        } else {
            let p = 10i128.checked_pow((self.scale - scale) as u32)?;
            if self.mantissa % p != 0 {
                return None;
            }
            Some(Decimal::new(self.mantissa / p, scale))
        }
    }

    /// Writes the number in JSON / CSV number syntax (`-12.50`, `0.05`, `1200`).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let abs = self.mantissa.unsigned_abs();
        // u128 division is slow; almost every field fits u64 (18 digits).
        let mut b128 = [0u8; 40];
        let mut b64 = itoa::Buffer::new();
        let digits: &[u8] = if let Ok(a) = u64::try_from(abs) {
            b64.format(a).as_bytes()
        } else {
            let mut m = abs;
            let mut n = b128.len();
            loop {
                n -= 1;
                b128[n] = b'0' + (m % 10) as u8;
                m /= 10;
                if m == 0 {
                    break;
                }
            }
            &b128[n..]
        };
        if self.mantissa < 0 {
            out.push(b'-');
        }
        let n = digits.len();
        if self.scale <= 0 {
            out.extend_from_slice(digits);
            if self.mantissa != 0 {
                for _ in 0..(-self.scale) {
                    out.push(b'0');
                }
            }
        } else {
            let s = self.scale as usize;
            if n <= s {
                out.extend_from_slice(b"0.");
                for _ in 0..(s - n) {
                    out.push(b'0');
                }
                out.extend_from_slice(digits);
            } else {
                out.extend_from_slice(&digits[..n - s]);
                out.push(b'.');
                out.extend_from_slice(&digits[n - s..]);
            }
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(24);
        self.write_to(&mut v);
        // write_to only emits ASCII digits, '-' and '.'.
        f.write_str(std::str::from_utf8(&v).unwrap_or("?"))
    }
}

/// Error parsing a decimal from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number: {0:?}")]
pub struct ParseDecimalError(pub String);

impl std::str::FromStr for Decimal {
    type Err = ParseDecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDecimalError(s.to_string());
        let t = s.trim();
        let (neg, body) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        if body.is_empty() {
            return Err(err());
        }
        let mut m: i128 = 0;
        let mut scale = 0i32;
        let mut seen_point = false;
        let mut digits = 0;
        for c in body.bytes() {
            match c {
                b'0'..=b'9' => {
                    m = m
                        .checked_mul(10)
                        .and_then(|m| m.checked_add((c - b'0') as i128))
                        .ok_or_else(err)?;
                    digits += 1;
                    if seen_point {
                        scale += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => return Err(err()),
            }
        }
        if digits == 0 {
            return Err(err());
        }
        Ok(Decimal::new(if neg { -m } else { m }, scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_exactly() {
        assert_eq!(Decimal::new(12345, 2).to_string(), "123.45");
        assert_eq!(Decimal::new(-5, 2).to_string(), "-0.05");
        assert_eq!(Decimal::new(0, 2).to_string(), "0.00");
        assert_eq!(Decimal::new(12, -2).to_string(), "1200");
        assert_eq!(Decimal::new(0, -2).to_string(), "0");
        assert_eq!(Decimal::new(7, 0).to_string(), "7");
        assert_eq!(
            Decimal::new(999_999_999_999_999_999, 18).to_string(),
            "0.999999999999999999"
        );
    }

    #[test]
    fn parses_and_rescales() {
        let d: Decimal = "-12.5".parse().unwrap();
        assert_eq!(d, Decimal::new(-125, 1));
        assert_eq!(d.rescale(3), Some(Decimal::new(-12500, 3)));
        assert_eq!(d.rescale(0), None);
        assert_eq!(Decimal::new(1200, 2).to_i128(), Some(12));
        assert!("1.2.3".parse::<Decimal>().is_err());
        assert!("".parse::<Decimal>().is_err());
    }
}
