//! Decoding one record's bytes field by field. The walker slices fields straight out of the
//! record (no copies) and hands values to a [`Sink`]: a JSON writer for `dump`, a [`Value`]
//! builder for library callers.

use crate::codec::{
    Encoding, NumberError, TextCodec, decode_binary, decode_packed, decode_utf16be, decode_zoned,
};
use crate::decimal::Decimal;
use crate::layout::{Codec, Item, ItemKind, RecordLayout};
use crate::value::{Value, write_json_str};

/// A problem in one field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, qualified with OCCURS indexes from 1: `CHILD(2).BIRTH-DATE`.
    pub field: String,
    /// Byte offset of the bad byte from the start of the record.
    pub offset: usize,
    pub message: String,
}

/// Receives a record's values in layout order.
pub trait Sink {
    /// `name` is `None` for elements of an OCCURS array.
    fn begin_group(&mut self, name: Option<&str>);
    fn end_group(&mut self);
    fn begin_array(&mut self, name: Option<&str>);
    fn end_array(&mut self);
    fn text(&mut self, name: Option<&str>, s: &str);
    fn number(&mut self, name: Option<&str>, d: Decimal);
    fn null(&mut self, name: Option<&str>);
}

/// Options for decoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecodeOptions {
    /// Keep trailing SBCS spaces / U+3000 in text fields.
    pub keep_padding: bool,
}

/// Decodes records of one layout.
pub struct RecordDecoder<'a> {
    pub layout: &'a RecordLayout,
    pub encoding: &'a Encoding,
    pub options: DecodeOptions,
    /// Buffers kept between records (no allocation per record).
    scratch: std::cell::RefCell<Scratch<'a>>,
}

type Scratch<'a> = (String, Vec<(&'a str, Option<usize>)>, Vec<i128>);

struct Walk<'r, 'w, S> {
    rec: &'r [u8],
    slots: Vec<i128>,
    buf: String,
    sink: &'w mut S,
    problems: &'w mut Vec<FieldProblem>,
    /// OCCURS indexes of the enclosing tables, for problem names.
    path: Vec<(&'r str, Option<usize>)>,
}

impl<'a> RecordDecoder<'a> {
    pub fn new(layout: &'a RecordLayout, encoding: &'a Encoding, options: DecodeOptions) -> Self {
        RecordDecoder {
            layout,
            encoding,
            options,
            scratch: Default::default(),
        }
    }

    /// Decodes `rec` into `sink` as one top-level group; problems are appended to `problems`.
    /// Returns the number of bytes the record's fields actually span (less than the maximum
    /// when an OCCURS DEPENDING ON is below its maximum).
    pub fn decode<S: Sink>(
        &self,
        rec: &'a [u8],
        sink: &mut S,
        problems: &mut Vec<FieldProblem>,
    ) -> usize {
        let (buf, path, mut slots) = std::mem::take(&mut *self.scratch.borrow_mut());
        slots.clear();
        slots.resize(self.layout.odo_slots, 0);
        let mut w = Walk {
            rec,
            slots,
            buf,
            sink,
            problems,
            path,
        };
        w.sink.begin_group(None);
        let end = self.walk_items(&self.layout.items, 0, &mut w);
        // Level-66 RENAMES: one more key each, over bytes already decoded above.
        for it in self.layout.renames.iter().filter_map(|r| r.item.as_ref()) {
            self.walk_item(it, it.offset, &mut w);
        }
        w.sink.end_group();
        w.path.clear();
        *self.scratch.borrow_mut() = (w.buf, w.path, w.slots);
        end
    }

    /// Decodes into a [`Value::Group`].
    pub fn decode_value(&self, rec: &'a [u8], problems: &mut Vec<FieldProblem>) -> Value {
        let mut s = ValueSink::default();
        self.decode(rec, &mut s, problems);
        s.finish()
    }

    fn walk_items<'r, S: Sink>(
        &self,
        items: &'r [Item],
        start: usize,
        w: &mut Walk<'r, '_, S>,
    ) -> usize
    where
        'a: 'r,
    {
        let mut end = start;
        // COBOL puts a REDEFINES entry right after the item it redefines (or after another
        // redefinition of it), so the start of the last plain sibling is where it goes.
        let mut base = start;
        for it in items {
            let pos = if it.redefines.is_some() {
                base
            } else {
                base = end;
                end
            };
            let item_end = self.walk_item(it, pos, w);
            end = end.max(item_end);
        }
        end
    }

    fn occurrences<S: Sink>(
        &self,
        it: &Item,
        pos: usize,
        w: &mut Walk<'_, '_, S>,
    ) -> Option<usize> {
        let o = it.occurs.as_ref()?;
        let Some(slot) = o.depending_slot else {
            return Some(o.max);
        };
        match crate::decode::occurs_count(o, w.slots[slot]) {
            Ok(n) => Some(n),
            Err((clamped, msg)) => {
                self.problem(it, pos, msg, w);
                Some(clamped)
            }
        }
    }

    fn problem<S: Sink>(&self, it: &Item, offset: usize, message: String, w: &mut Walk<'_, '_, S>) {
        let field = crate::decode::field_path(&w.path, &it.name);
        w.problems.push(FieldProblem {
            field,
            offset,
            message,
        });
    }

    fn walk_item<'r, S: Sink>(&self, it: &'r Item, pos: usize, w: &mut Walk<'r, '_, S>) -> usize
    where
        'a: 'r,
    {
        let name = if it.filler {
            None
        } else {
            Some(it.name.as_str())
        };
        let count = self.occurrences(it, pos, w);
        match &it.kind {
            ItemKind::Field(f) => {
                let size = f.codec.size();
                match count {
                    None => {
                        if name.is_some() || it.odo_slot.is_some() {
                            self.field(it, &f.codec, name, pos, w);
                        }
                        pos + size
                    }
                    Some(n) => {
                        if let Some(nm) = name {
                            w.sink.begin_array(Some(nm));
                            for k in 0..n {
                                w.path.push((nm, Some(k)));
                                self.field(it, &f.codec, None, pos + k * size, w);
                                w.path.pop();
                            }
                            w.sink.end_array();
                        }
                        pos + n * size
                    }
                }
            }
            ItemKind::Group(children) => match count {
                None => {
                    if let Some(nm) = name {
                        w.sink.begin_group(Some(nm));
                        w.path.push((nm, None));
                    }
                    let end = self.walk_items(children, pos, w);
                    if name.is_some() {
                        w.path.pop();
                        w.sink.end_group();
                    }
                    end
                }
                Some(n) => {
                    if let Some(nm) = name {
                        w.sink.begin_array(Some(nm));
                    }
                    let mut p = pos;
                    for k in 0..n {
                        w.path.push((name.unwrap_or("FILLER"), Some(k)));
                        if name.is_some() {
                            w.sink.begin_group(None);
                        }
                        p = self.walk_items(children, p, w);
                        if name.is_some() {
                            w.sink.end_group();
                        }
                        w.path.pop();
                    }
                    if name.is_some() {
                        w.sink.end_array();
                    }
                    p
                }
            },
        }
    }

    #[inline]
    fn field<'r, S: Sink>(
        &self,
        it: &'r Item,
        codec: &Codec,
        name: Option<&str>,
        pos: usize,
        w: &mut Walk<'r, '_, S>,
    ) {
        let size = codec.size();
        let Some(bytes) = w.rec.get(pos..pos + size) else {
            if !it.in_redefines {
                let msg = format!(
                    "record ends at byte {} inside this field (bytes {}..{})",
                    w.rec.len(),
                    pos,
                    pos + size
                );
                self.problem(it, pos.min(w.rec.len()), msg, w);
            }
            w.sink.null(name);
            return;
        };
        let r = decode_field(
            codec,
            bytes,
            pos,
            self.encoding.codec(),
            self.options.keep_padding,
            &mut w.buf,
        );
        let result = match r {
            Ok(FieldValue::Text) => {
                w.sink.text(name, &w.buf);
                Ok(())
            }
            Ok(FieldValue::Number(d)) => self.num(it, name, Ok(d), pos, w),
            Err(e) => Err(e),
        };
        if let Err((offset, msg)) = result {
            if !it.in_redefines {
                self.problem(it, offset, msg, w);
            }
            w.sink.null(name);
        }
    }

    #[inline]
    fn num<S: Sink>(
        &self,
        it: &Item,
        name: Option<&str>,
        r: Result<Decimal, NumberError>,
        pos: usize,
        w: &mut Walk<'_, '_, S>,
    ) -> Result<(), (usize, String)> {
        match r {
            Ok(d) => {
                if let Some(slot) = it.odo_slot {
                    w.slots[slot] = d.to_i128().unwrap_or(-1);
                }
                if name.is_some() || it.occurs.is_some() {
                    w.sink.number(name, d);
                }
                Ok(())
            }
            Err(e) => Err((pos + e.at(), e.to_string())),
        }
    }
}

/// What [`decode_field`] gives: text (left in the caller's buffer) or a number.
pub(crate) enum FieldValue {
    Text,
    Number(Decimal),
}

/// Decodes one elementary field's bytes (`pos`: the field's offset in the record, for the
/// problem's offset). Text goes to `buf` (cleared first), trailing padding trimmed unless
/// `keep_padding`. The one place field values and their problem messages are made, shared by
/// the record walker and the compiled JSON path.
pub(crate) fn decode_field(
    codec: &Codec,
    bytes: &[u8],
    pos: usize,
    tc: &dyn TextCodec,
    keep_padding: bool,
    buf: &mut String,
) -> Result<FieldValue, (usize, String)> {
    let bad = |at: usize, msg: String| (pos + at, msg);
    match *codec {
        Codec::Sbcs { .. } => {
            let pad = tc.sbcs_pad();
            let b = if keep_padding {
                bytes
            } else {
                let n = bytes.iter().rposition(|&c| c != pad).map_or(0, |p| p + 1);
                &bytes[..n]
            };
            buf.clear();
            match tc.decode_sbcs(b, buf) {
                Ok(()) => Ok(FieldValue::Text),
                Err(at) => Err(bad(
                    at,
                    format!(
                        "undefined code 0x{:02X}",
                        b[at.min(b.len().saturating_sub(1))]
                    ),
                )),
            }
        }
        Codec::Dbcs { .. } | Codec::National { .. } => {
            let pad = if matches!(codec, Codec::National { .. }) {
                [0x30, 0x00]
            } else {
                tc.dbcs_pad()
            };
            let mut n = bytes.len() & !1;
            if !keep_padding {
                while n >= 2 && bytes[n - 2] == pad[0] && bytes[n - 1] == pad[1] {
                    n -= 2;
                }
            }
            let b = &bytes[..n];
            buf.clear();
            let r = if matches!(codec, Codec::National { .. }) {
                decode_utf16be(b, buf)
            } else {
                tc.decode_dbcs(b, buf)
            };
            match r {
                Ok(()) => {
                    if !keep_padding {
                        // JEF has more than one code for U+3000; trim what is left.
                        let n = buf.trim_end_matches('\u{3000}').len();
                        buf.truncate(n);
                    }
                    Ok(FieldValue::Text)
                }
                Err(at) => {
                    let at = at.min(b.len().saturating_sub(2));
                    let code = b
                        .get(at..at + 2)
                        .map_or(String::new(), |c| format!(" 0x{:02X}{:02X}", c[0], c[1]));
                    Err(bad(at, format!("undefined double-byte code{code}")))
                }
            }
        }
        Codec::Zoned { scale, sign, .. } => decode_zoned(bytes, scale, sign, tc.family())
            .map(FieldValue::Number)
            .map_err(|e| (pos + e.at(), e.to_string())),
        Codec::Packed { scale, .. } => decode_packed(bytes, scale)
            .map(FieldValue::Number)
            .map_err(|e| (pos + e.at(), e.to_string())),
        Codec::Binary { scale, signed, .. } => {
            Ok(FieldValue::Number(decode_binary(bytes, scale, signed)))
        }
    }
}

/// Writes one record as a JSON object (no trailing newline).
#[derive(Default)]
pub struct JsonSink {
    pub out: Vec<u8>,
    /// Whether the next value in the current container needs a leading comma.
    first: Vec<bool>,
}

impl JsonSink {
    pub fn new() -> Self {
        Self::default()
    }
    #[inline]
    fn key(&mut self, name: Option<&str>) {
        if let Some(f) = self.first.last_mut() {
            if *f {
                *f = false;
            } else {
                self.out.push(b',');
            }
        }
        if let Some(n) = name {
            write_json_str(n, &mut self.out);
            self.out.push(b':');
        }
    }
}

impl Sink for JsonSink {
    fn begin_group(&mut self, name: Option<&str>) {
        self.key(name);
        self.out.push(b'{');
        self.first.push(true);
    }
    fn end_group(&mut self) {
        self.first.pop();
        self.out.push(b'}');
    }
    fn begin_array(&mut self, name: Option<&str>) {
        self.key(name);
        self.out.push(b'[');
        self.first.push(true);
    }
    fn end_array(&mut self) {
        self.first.pop();
        self.out.push(b']');
    }
    #[inline]
    fn text(&mut self, name: Option<&str>, s: &str) {
        self.key(name);
        write_json_str(s, &mut self.out);
    }
    #[inline]
    fn number(&mut self, name: Option<&str>, d: Decimal) {
        self.key(name);
        d.write_to(&mut self.out);
    }
    fn null(&mut self, name: Option<&str>) {
        self.key(name);
        self.out.extend_from_slice(b"null");
    }
}

/// Builds a [`Value`] tree.
#[derive(Default)]
pub struct ValueSink {
    stack: Vec<(Option<String>, Value)>,
    done: Option<Value>,
}

impl ValueSink {
    pub fn finish(self) -> Value {
        self.done.unwrap_or(Value::Null)
    }
    fn put(&mut self, name: Option<&str>, v: Value) {
        match self.stack.last_mut() {
            Some((_, Value::Group(g))) => g.push((name.unwrap_or("").to_string(), v)),
            Some((_, Value::Array(a))) => a.push(v),
            _ => self.done = Some(v),
        }
    }
    fn close(&mut self) {
        if let Some((name, v)) = self.stack.pop() {
            self.put(name.as_deref(), v);
        }
    }
}

impl Sink for ValueSink {
    fn begin_group(&mut self, name: Option<&str>) {
        self.stack
            .push((name.map(str::to_string), Value::Group(Vec::new())));
    }
    fn end_group(&mut self) {
        self.close();
    }
    fn begin_array(&mut self, name: Option<&str>) {
        self.stack
            .push((name.map(str::to_string), Value::Array(Vec::new())));
    }
    fn end_array(&mut self) {
        self.close();
    }
    fn text(&mut self, name: Option<&str>, s: &str) {
        self.put(name, Value::Text(s.to_string()));
    }
    fn number(&mut self, name: Option<&str>, d: Decimal) {
        self.put(name, Value::Number(d));
    }
    fn null(&mut self, name: Option<&str>) {
        self.put(name, Value::Null);
    }
}

/// The count an OCCURS DEPENDING ON field gives, or (when it is outside the table's range)
/// the nearest bound to go on with and the problem to report.
pub(crate) fn occurs_count(o: &crate::layout::Occurs, n: i128) -> Result<usize, (usize, String)> {
    if n < o.min as i128 || n > o.max as i128 {
        let msg = format!(
            "OCCURS DEPENDING ON {} is {n}, outside {}..{}",
            o.depending_on.as_deref().unwrap_or("?"),
            o.min,
            o.max
        );
        return Err((if n < o.min as i128 { o.min } else { o.max }, msg));
    }
    Ok(n as usize)
}

/// The dotted name of a field as problems report it: `GROUP(2).INNER.NAME`, indexes from 1.
pub(crate) fn field_path(path: &[(&str, Option<usize>)], name: &str) -> String {
    let mut field = String::new();
    for (n, idx) in path {
        field.push_str(n);
        if let Some(i) = idx {
            field.push_str(&format!("({})", i + 1));
        }
        field.push('.');
    }
    field.push_str(name);
    field
}
