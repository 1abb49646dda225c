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

/// Writes a JSON string literal with the escapes JSON requires.
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1F => {
                out.extend_from_slice(&b[start..i]);
                out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}
