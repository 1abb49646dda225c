//! Decoded record values: what `migrate` and the writer work with.

use crate::decimal::Decimal;

/// A decoded field or group.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A field whose bytes could not be decoded (inside a REDEFINES alternative), or absent.
    Null,
    Text(String),
    Number(Decimal),
    /// A group: its named children in layout order (FILLER omitted).
    Group(Vec<(String, Value)>),
    /// An OCCURS table.
    Array(Vec<Value>),
}

impl Value {
    /// The child of a group by name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Group(g) => g
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A nested child by a dotted path, `A.B.C`; array elements by index (`CHILD.0.NAME`).
    pub fn path(&self, path: &str) -> Option<&Value> {
        let mut v = self;
        for part in path.split('.') {
            v = match v {
                Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
                _ => v.get(part)?,
            };
        }
        Some(v)
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Decimal> {
        match self {
            Value::Number(d) => Some(*d),
            _ => None,
        }
    }

    /// Builds a group from pairs: `Value::group([("NAME", Value::text("x"))])`.
    pub fn group<I, S>(fields: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Value::Group(fields.into_iter().map(|(n, v)| (n.into(), v)).collect())
    }

    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// An integer number.
    pub fn int(n: i128) -> Value {
        Value::Number(Decimal::new(n, 0))
    }

    /// Writes the value as JSON (numbers exact).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Text(s) => write_json_str(s, out),
            Value::Number(d) => d.write_to(out),
            Value::Group(g) => {
                out.push(b'{');
                for (k, (n, v)) in g.iter().enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    write_json_str(n, out);
                    out.push(b':');
                    v.write_json(out);
                }
                out.push(b'}');
            }
            Value::Array(a) => {
                out.push(b'[');
                for (k, v) in a.iter().enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    v.write_json(out);
                }
                out.push(b']');
            }
        }
    }

    /// The value as JSON text.
    pub fn to_json(&self) -> String {
        let mut v = Vec::new();
        self.write_json(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }
}

/// Bytes that JSON strings must escape.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Writes a JSON string literal with the escapes JSON requires.
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        // Eight bytes at a time while none needs escaping (the usual case).
        while i + 8 <= b.len() {
            let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            const ONES: u64 = 0x0101_0101_0101_0101;
            const HIGH: u64 = 0x8080_8080_8080_8080;
            let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
            let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
            if control | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))
                != 0
            {
                break;
            }
            i += 8;
        }
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if !NEEDS_ESCAPE[c as usize] {
            i += 1;
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 0xF) as usize]);
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}
