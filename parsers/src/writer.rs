//! Encoding records from values with a layout: the inverse of [`crate::decode`]. The sample
//! generator writes vendor files with it, and the round-trip property tests lean on it.
//!
//! ```
//! use parsers::{Encoding, RecordWriter, Value, parse_copybook, SourceFormat};
//! let layout = parse_copybook(
//!     "       01 REC.\n           05 NAME PIC X(5).\n           05 AMT PIC S9(3)V99 COMP-3.\n",
//!     SourceFormat::Fixed,
//! ).unwrap();
//! let enc = Encoding::ascii();
//! let w = RecordWriter::new(&layout.records[0], &enc);
//! let bytes = w.write(&Value::group([
//!     ("NAME", Value::text("ab")),
//!     ("AMT", Value::Number("-12.5".parse().unwrap())),
//! ])).unwrap();
//! assert_eq!(bytes, b"ab   \x01\x25\x0D");
//! ```

use crate::codec::{Encoding, encode_binary, encode_packed, encode_utf16be, encode_zoned};
use crate::decimal::Decimal;
use crate::layout::{Codec, Item, ItemKind, RecordLayout};
use crate::value::Value;

/// Why a value cannot be written into its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {message}")]
pub struct WriteError {
    pub field: String,
    pub message: String,
}

/// Writes records of one layout.
pub struct RecordWriter<'a> {
    layout: &'a RecordLayout,
    encoding: &'a Encoding,
    /// Pad every record to this length with SBCS spaces (fixed-length files whose OCCURS
    /// DEPENDING ON tables are short). Defaults to the layout's maximum length.
    pub pad_to: Option<usize>,
}

impl<'a> RecordWriter<'a> {
    /// A writer for `layout` in `encoding`. Records come out at the layout's maximum length,
    /// unless an OCCURS DEPENDING ON table is short and `pad_to` is set to `None`.
    pub fn new(layout: &'a RecordLayout, encoding: &'a Encoding) -> Self {
        RecordWriter {
            layout,
            encoding,
            pad_to: Some(layout.max_len),
        }
    }

    /// Encodes one record. `value` is a [`Value::Group`] keyed by the layout's names (as the
    /// decoder produces). Missing fields are written as spaces (text) or zero (numbers);
    /// an OCCURS table's length must match its DEPENDING ON field when it has one.
    pub fn write(&self, value: &Value) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::with_capacity(self.layout.max_len);
        self.write_into(value, &mut out)?;
        Ok(out)
    }

    /// Appends one encoded record to `out`.
    pub fn write_into(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let start = out.len();
        let mut buf = std::mem::take(out);
        let mut slots = vec![0i128; self.layout.odo_slots];
        let end = self.items(
            &self.layout.items,
            Some(value),
            start,
            &mut buf,
            &mut slots,
            "",
        );
        let end = match end {
            Ok(e) => e,
            Err(e) => {
                buf.truncate(start);
                *out = buf;
                return Err(e);
            }
        };
        let len = self.pad_to.map_or(end, |n| n.max(end - start) + start);
        buf.resize(len, self.encoding.codec().sbcs_pad());
        *out = buf;
        Ok(())
    }

    /// Writes `items` from byte `pos` of `buf`; returns the end position.
    fn items(
        &self,
        items: &[Item],
        group: Option<&Value>,
        pos: usize,
        buf: &mut Vec<u8>,
        slots: &mut [i128],
        prefix: &str,
    ) -> Result<usize, WriteError> {
        let mut starts: Vec<(&str, usize)> = Vec::new();
        let mut end = pos;
        for it in items {
            let v = if it.filler {
                None
            } else {
                group.and_then(|g| g.get(&it.name))
            };
            let at = match &it.redefines {
                // A REDEFINES alternative is written only when its value is given, over the
                // bytes of the item it redefines.
                Some(t) => {
                    let p = starts
                        .iter()
                        .rev()
                        .find(|(n, _)| n.eq_ignore_ascii_case(t))
                        .map_or(end, |&(_, p)| p);
                    starts.push((&it.name, p));
                    if v.is_none_or(|v| *v == Value::Null) {
                        end = end.max(
                            p + it
                                .total_size()
                                .min(if it.variable { 0 } else { usize::MAX }),
                        );
                        continue;
                    }
                    p
                }
                None => {
                    starts.push((&it.name, end));
                    end
                }
            };
            let e = self.item(it, v, at, buf, slots, prefix)?;
            end = end.max(e);
        }
        Ok(end)
    }

    fn item(
        &self,
        it: &Item,
        v: Option<&Value>,
        pos: usize,
        buf: &mut Vec<u8>,
        slots: &mut [i128],
        prefix: &str,
    ) -> Result<usize, WriteError> {
        let qual = if prefix.is_empty() {
            it.name.clone()
        } else {
            format!("{prefix}.{}", it.name)
        };
        let err = |m: String| WriteError {
            field: qual.clone(),
            message: m,
        };
        if let Some(o) = &it.occurs {
            let elems: &[Value] = match v {
                Some(Value::Array(a)) => a,
                None | Some(Value::Null) => &[],
                Some(_) => return Err(err("expected an array for an OCCURS item".into())),
            };
            let n = match o.depending_slot {
                Some(s) => {
                    let n = slots[s];
                    if v.is_some() && elems.len() as i128 != n {
                        return Err(err(format!(
                            "{} elements given but {} is {n}",
                            elems.len(),
                            o.depending_on.as_deref().unwrap_or("?")
                        )));
                    }
                    n.clamp(o.min as i128, o.max as i128) as usize
                }
                None => o.max,
            };
            if elems.len() > n {
                return Err(err(format!(
                    "{} elements given, at most {n} fit",
                    elems.len()
                )));
            }
            let mut p = pos;
            for k in 0..n {
                p = self.one(
                    it,
                    elems.get(k),
                    p,
                    buf,
                    slots,
                    &format!("{qual}({})", k + 1),
                )?;
            }
            Ok(p)
        } else {
            self.one(it, v, pos, buf, slots, &qual)
        }
    }

    fn one(
        &self,
        it: &Item,
        v: Option<&Value>,
        pos: usize,
        buf: &mut Vec<u8>,
        slots: &mut [i128],
        qual: &str,
    ) -> Result<usize, WriteError> {
        let err = |m: String| WriteError {
            field: qual.to_string(),
            message: m,
        };
        match &it.kind {
            ItemKind::Group(children) => {
                let g = match v {
                    Some(g @ Value::Group(_)) => Some(g),
                    None | Some(Value::Null) => None,
                    Some(_) => return Err(err("expected a group".into())),
                };
                self.items(children, g, pos, buf, slots, qual)
            }
            ItemKind::Field(f) => {
                let mut tmp = Vec::with_capacity(f.codec.size());
                self.field(&f.codec, v, &mut tmp).map_err(err)?;
                let end = pos + tmp.len();
                if buf.len() < end {
                    buf.resize(end, self.encoding.codec().sbcs_pad());
                }
                buf[pos..end].copy_from_slice(&tmp);
                if let (Some(s), Some(Value::Number(d))) = (it.odo_slot, v) {
                    slots[s] = d.to_i128().unwrap_or(0);
                }
                Ok(end)
            }
        }
    }

    fn field(&self, codec: &Codec, v: Option<&Value>, out: &mut Vec<u8>) -> Result<(), String> {
        let tc = self.encoding.codec();
        let text = |v: Option<&Value>| -> Result<String, String> {
            match v {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::Text(s)) => Ok(s.clone()),
                Some(Value::Number(d)) => Ok(d.to_string()),
                Some(_) => Err("expected text".into()),
            }
        };
        let number = |v: Option<&Value>, scale: i32| -> Result<i128, String> {
            let d = match v {
                None | Some(Value::Null) => Decimal::new(0, scale),
                Some(Value::Number(d)) => *d,
                Some(Value::Text(s)) => s.parse::<Decimal>().map_err(|e| e.to_string())?,
                Some(_) => return Err("expected a number".into()),
            };
            d.rescale(scale)
                .map(|d| d.mantissa)
                .ok_or_else(|| format!("{d} does not fit {scale} decimal places"))
        };
        let fits = |m: i128, digits: u8, signed: bool| -> Result<(), String> {
            if m < 0 && !signed {
                return Err(format!("negative value {m} in an unsigned field"));
            }
            let limit = 10i128.checked_pow(digits as u32).unwrap_or(i128::MAX);
            if m.unsigned_abs() >= limit as u128 {
                return Err(format!("{m} has more than {digits} digits"));
            }
            Ok(())
        };
        match *codec {
            Codec::Sbcs { len } => {
                let start = out.len();
                tc.encode_sbcs(&text(v)?, out)
                    .map_err(|c| format!("{c:?} has no single-byte code in {}", tc.name()))?;
                pad(out, start, len, &[tc.sbcs_pad()])
            }
            Codec::Dbcs { chars } => {
                let start = out.len();
                tc.encode_dbcs(&text(v)?, out)
                    .map_err(|c| format!("{c:?} has no double-byte code in {}", tc.name()))?;
                pad(out, start, chars * 2, &tc.dbcs_pad())
            }
            Codec::National { chars } => {
                let start = out.len();
                let _ = encode_utf16be(&text(v)?, out);
                pad(out, start, chars * 2, &[0x30, 0x00])
            }
            Codec::Zoned {
                digits,
                scale,
                signed,
                sign,
            } => {
                let m = number(v, scale)?;
                fits(m, digits, signed)?;
                encode_zoned(m, digits as usize, signed, sign, tc.family(), out);
                Ok(())
            }
            Codec::Packed {
                digits,
                scale,
                signed,
            } => {
                let m = number(v, scale)?;
                fits(m, digits, signed)?;
                encode_packed(m, codec.size(), signed, out);
                Ok(())
            }
            Codec::Binary {
                bytes,
                digits,
                scale,
                signed,
            } => {
                let m = number(v, scale)?;
                fits(m, digits.max(1), signed)?;
                encode_binary(m, bytes as usize, out);
                Ok(())
            }
        }
    }
}

/// Encodes one field's value alone (record-type discriminators, tests).
pub fn encode_field(codec: &Codec, value: &Value, encoding: &Encoding) -> Result<Vec<u8>, String> {
    let layout = RecordLayout {
        name: String::new(),
        items: Vec::new(),
        max_len: 0,
        min_len: 0,
        renames: Vec::new(),
        odo_slots: 0,
        has_odo: false,
    };
    let w = RecordWriter::new(&layout, encoding);
    let mut out = Vec::new();
    w.field(codec, Some(value), &mut out)?;
    Ok(out)
}

fn pad(out: &mut Vec<u8>, start: usize, len: usize, pad: &[u8]) -> Result<(), String> {
    let n = out.len() - start;
    if n > len {
        out.truncate(start);
        return Err(format!("text needs {n} bytes, the field has {len}"));
    }
    while out.len() - start + pad.len() <= len {
        out.extend_from_slice(pad);
    }
    // An odd leftover byte (DBCS field of odd length) gets a single-byte space.
    while out.len() - start < len {
        out.push(b' ');
    }
    Ok(())
}
