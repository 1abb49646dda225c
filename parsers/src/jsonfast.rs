//! The compiled JSON path of `koseki dump`, for record layouts without OCCURS DEPENDING ON
//! (where every field sits at a fixed offset, so the JSON between two values is constant).
//!
//! A layout is compiled once into a flat list of operations: the constant JSON before a value
//! (`,"HISTORY":[{"HIST-YMD":`, keys escaped once) and the field to decode there. Text goes
//! through per-code tables holding each code's JSON-escaped UTF-8 (decode, escape and copy in
//! one pass); zoned and packed digits are copied straight to the output. Anything the fast
//! code does not decide (shift codes, undefined codes, bad nibbles, long numbers) falls back to
//! [`decode_field`], the walker's own code, so output and problems stay byte-identical to
//! [`crate::decode::RecordDecoder`] with a [`crate::decode::JsonSink`] (a test checks this on
//! random layouts and bytes).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::codec::{Family, TextCodec, decode_binary};
use crate::decode::{FieldProblem, FieldValue, decode_field};
use crate::layout::{Codec, Item, ItemKind, RecordLayout, SignPosition};
use crate::value::write_json_str;

/// Each code's text as JSON string content, packed: up to 7 bytes, the length in the 8th
/// (little-endian). 0 where the generic decoder must decide.
pub(crate) struct TextTables {
    pub(crate) sbcs: Box<[u64; 256]>,
    /// 65536 entries, filled as codes are met (a file uses a few thousand of them; asking
    /// the code page for all 65536 up front costs more than a small file's whole dump).
    /// `None` when the layout has no PIC N / G fields.
    pub(crate) dbcs: Option<DbcsTable>,
}

/// 256 pages of 256 entries by lead byte, each page made when its first code is met.
pub(crate) type DbcsTable = Vec<OnceLock<Box<[AtomicU64]>>>;

/// A DBCS entry not looked up yet (a real entry's length byte is at most 7).
const UNKNOWN: u64 = u64::MAX;

/// The entry for one double-byte code, asked of the code page.
#[cold]
fn dbcs_entry(tc: &dyn TextCodec, code: u16) -> u64 {
    let mut s = String::new();
    match tc.decode_dbcs(&code.to_be_bytes(), &mut s) {
        Ok(()) => pack(&s),
        Err(_) => 0,
    }
}

fn pack(s: &str) -> u64 {
    let mut v = Vec::with_capacity(16);
    write_json_str(s, &mut v);
    let inner = &v[1..v.len() - 1];
    if inner.is_empty() || inner.len() > 7 {
        return 0;
    }
    let mut b = [0u8; 8];
    b[..inner.len()].copy_from_slice(inner);
    b[7] = inner.len() as u8;
    u64::from_le_bytes(b)
}

impl TextTables {
    /// Asks the code page itself for every code, so the tables agree with it (vendor code
    /// tables included). A single byte is fast only when it is one character on its own and
    /// twice over (not a shift code, not the lead byte of a double-byte character).
    pub(crate) fn new(tc: &dyn TextCodec, with_dbcs: bool) -> TextTables {
        let mut sbcs = Box::new([0u64; 256]);
        let mut s = String::new();
        let mut s2 = String::new();
        for b in 0..=255u8 {
            s.clear();
            s2.clear();
            if tc.decode_sbcs(&[b], &mut s).is_ok()
                && s.chars().count() == 1
                && tc.decode_sbcs(&[b, b], &mut s2).is_ok()
                && s2.len() == 2 * s.len()
                && s2.starts_with(s.as_str())
                && s2.ends_with(s.as_str())
            {
                sbcs[b as usize] = pack(&s);
            }
        }
        let dbcs = with_dbcs.then(|| (0..256).map(|_| OnceLock::new()).collect());
        TextTables { sbcs, dbcs }
    }
}

/// An output buffer written through a cursor: `buf` is kept zero-filled beyond `n` so fixed
/// 8-byte stores need no per-byte length checks; `finish` cuts it to what was written.
pub(crate) struct Out {
    buf: Vec<u8>,
    pub(crate) n: usize,
}

impl Out {
    pub(crate) fn with_capacity(cap: usize) -> Out {
        Out {
            buf: vec![0; cap],
            n: 0,
        }
    }

    #[inline]
    pub(crate) fn reserve(&mut self, k: usize) {
        if self.buf.len() < self.n + k {
            self.grow(k);
        }
    }

    #[cold]
    fn grow(&mut self, k: usize) {
        let want = (self.n + k).max(self.buf.len() * 2);
        self.buf.resize(want, 0);
    }

    #[inline]
    pub(crate) fn put(&mut self, b: &[u8]) {
        self.buf[self.n..self.n + b.len()].copy_from_slice(b);
        self.n += b.len();
    }

    #[inline]
    pub(crate) fn push(&mut self, b: u8) {
        self.buf[self.n] = b;
        self.n += 1;
    }

    /// Stores a packed table entry (all 8 bytes) and advances by its length.
    #[inline(always)]
    fn put_packed(&mut self, e: u64) {
        self.buf[self.n..self.n + 8].copy_from_slice(&e.to_le_bytes());
        self.n += (e >> 56) as usize;
    }

    /// Appends one byte, growing as needed.
    pub(crate) fn reserve_byte(&mut self, b: u8) {
        self.reserve(1);
        self.push(b);
    }

    /// What was written so far.
    pub(crate) fn written(&self) -> &[u8] {
        &self.buf[..self.n]
    }

    #[cfg(test)]
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.truncate(self.n);
        self.buf
    }
}

/// Constant JSON up to this long is copied as one fixed-size block.
const PRE_COPY: usize = 32;

struct Op<'a> {
    /// The constant JSON before this value, in `pool`.
    pre: (u32, u32),
    pos: usize,
    codec: Codec,
    item: &'a Item,
    /// The field as problems name it (`CHILD(2).BIRTH-DATE`).
    field: String,
}

/// One record layout compiled for the JSON path.
pub(crate) struct JsonProgram<'a> {
    ops: Vec<Op<'a>>,
    pool: Vec<u8>,
    tail: (u32, u32),
    /// A good first guess of one record's output size.
    pub(crate) typical_out: usize,
}

/// Mirrors `RecordDecoder::walk_items` + `JsonSink`, emitting operations instead of values.
struct Compiler<'a> {
    ops: Vec<Op<'a>>,
    pool: Vec<u8>,
    pending: Vec<u8>,
    first: Vec<bool>,
    path: Vec<(&'a str, Option<usize>)>,
}

impl<'a> Compiler<'a> {
    fn key(&mut self, name: Option<&str>) {
        if let Some(f) = self.first.last_mut() {
            if *f {
                *f = false;
            } else {
                self.pending.push(b',');
            }
        }
        if let Some(n) = name {
            write_json_str(n, &mut self.pending);
            self.pending.push(b':');
        }
    }
    fn open(&mut self, name: Option<&str>, bracket: u8) {
        self.key(name);
        self.pending.push(bracket);
        self.first.push(true);
    }
    fn close(&mut self, bracket: u8) {
        self.first.pop();
        self.pending.push(bracket);
    }
    fn flush_pending(&mut self) -> (u32, u32) {
        let a = self.pool.len() as u32;
        self.pool.append(&mut self.pending);
        (a, self.pool.len() as u32)
    }

    fn items(&mut self, items: &'a [Item], start: usize) -> usize {
        let mut end = start;
        let mut base = start;
        for it in items {
            let pos = if it.redefines.is_some() {
                base
            } else {
                base = end;
                end
            };
            let item_end = self.item(it, pos);
            end = end.max(item_end);
        }
        end
    }

    fn item(&mut self, it: &'a Item, pos: usize) -> usize {
        let name = if it.filler {
            None
        } else {
            Some(it.name.as_str())
        };
        let count = it.occurs.as_ref().map(|o| o.max);
        match &it.kind {
            ItemKind::Field(f) => {
                let size = f.codec.size();
                match count {
                    None => {
                        if name.is_some() || it.odo_slot.is_some() {
                            self.field(it, f.codec, name, pos);
                        }
                        pos + size
                    }
                    Some(n) => {
                        if let Some(nm) = name {
                            self.open(Some(nm), b'[');
                            for k in 0..n {
                                self.path.push((nm, Some(k)));
                                self.field(it, f.codec, None, pos + k * size);
                                self.path.pop();
                            }
                            self.close(b']');
                        }
                        pos + n * size
                    }
                }
            }
            ItemKind::Group(children) => match count {
                None => {
                    if let Some(nm) = name {
                        self.open(Some(nm), b'{');
                        self.path.push((nm, None));
                    }
                    let end = self.items(children, pos);
                    if name.is_some() {
                        self.path.pop();
                        self.close(b'}');
                    }
                    end
                }
                Some(n) => {
                    if let Some(nm) = name {
                        self.open(Some(nm), b'[');
                    }
                    let mut p = pos;
                    for k in 0..n {
                        self.path.push((name.unwrap_or("FILLER"), Some(k)));
                        if name.is_some() {
                            self.open(None, b'{');
                        }
                        p = self.items(children, p);
                        if name.is_some() {
                            self.close(b'}');
                        }
                        self.path.pop();
                    }
                    if name.is_some() {
                        self.close(b']');
                    }
                    p
                }
            },
        }
    }

    fn field(&mut self, it: &'a Item, codec: Codec, name: Option<&str>, pos: usize) {
        self.key(name);
        let pre = self.flush_pending();
        let field = crate::decode::field_path(&self.path, &it.name);
        self.ops.push(Op {
            pre,
            pos,
            codec,
            item: it,
            field,
        });
    }
}

impl<'a> JsonProgram<'a> {
    /// Compiles a layout; `None` when it has OCCURS DEPENDING ON (fields move per record).
    pub(crate) fn compile(layout: &'a RecordLayout) -> Option<JsonProgram<'a>> {
        if layout.has_odo {
            return None;
        }
        let mut c = Compiler {
            ops: Vec::new(),
            pool: Vec::new(),
            pending: Vec::new(),
            first: Vec::new(),
            path: Vec::new(),
        };
        c.open(None, b'{');
        c.items(&layout.items, 0);
        for it in layout.renames.iter().filter_map(|r| r.item.as_ref()) {
            c.item(it, it.offset);
        }
        c.close(b'}');
        let tail = c.flush_pending();
        c.pool.extend_from_slice(&[0; PRE_COPY]);
        let typical_out =
            c.pool.len() + c.ops.iter().map(|o| o.codec.size() * 3 + 8).sum::<usize>();
        Some(JsonProgram {
            ops: c.ops,
            pool: c.pool,
            tail,
            typical_out,
        })
    }

    /// Writes one record's JSON object (no newline) at `out`; problems are appended to
    /// `problems` (the caller then discards the output).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        rec: &[u8],
        tables: &TextTables,
        tc: &dyn TextCodec,
        keep_padding: bool,
        out: &mut Out,
        scratch: &mut Scratch,
        problems: &mut Vec<FieldProblem>,
    ) {
        let family = tc.family();
        for op in &self.ops {
            let (a, b) = (op.pre.0 as usize, op.pre.1 as usize);
            let size = op.codec.size();
            out.reserve(b - a + size * 8 + 64);
            if b - a <= PRE_COPY {
                // One fixed-size copy (the pool has PRE_COPY bytes of slack at its end).
                out.buf[out.n..out.n + PRE_COPY].copy_from_slice(&self.pool[a..a + PRE_COPY]);
                out.n += b - a;
            } else {
                out.put(&self.pool[a..b]);
            }
            let Some(bytes) = rec.get(op.pos..op.pos + size) else {
                if !op.item.in_redefines {
                    problems.push(FieldProblem {
                        field: op.field.clone(),
                        offset: op.pos.min(rec.len()),
                        message: format!(
                            "record ends at byte {} inside this field (bytes {}..{})",
                            rec.len(),
                            op.pos,
                            op.pos + size
                        ),
                    });
                }
                out.put(b"null");
                continue;
            };
            let mark = out.n;
            let done = match op.codec {
                Codec::Sbcs { .. } => {
                    sbcs_fast(bytes, &tables.sbcs, tc.sbcs_pad(), keep_padding, out)
                }
                Codec::Dbcs { .. } => match &tables.dbcs {
                    Some(t) => dbcs_fast(bytes, t, tc, keep_padding, out),
                    None => false,
                },
                Codec::Zoned { scale, sign, .. } if family == Family::Ebcdic => {
                    zoned_fast(bytes, scale, sign, out)
                }
                Codec::Packed { scale, .. } => packed_fast(bytes, scale, out),
                Codec::Binary { scale, signed, .. } => {
                    let d = decode_binary(bytes, scale, signed);
                    match u64::try_from(d.mantissa.unsigned_abs()) {
                        Ok(a) => {
                            let mut b = itoa::Buffer::new();
                            let digits = if a == 0 { "" } else { b.format(a) };
                            put_number(d.mantissa < 0, digits.as_bytes(), scale, out);
                            true
                        }
                        Err(_) => false,
                    }
                }
                _ => false,
            };
            if !done {
                out.n = mark;
                self.slow(op, bytes, tc, keep_padding, out, scratch, problems);
            }
        }
        let tail = &self.pool[self.tail.0 as usize..self.tail.1 as usize];
        out.reserve(tail.len());
        out.put(tail);
    }

    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn slow(
        &self,
        op: &Op<'a>,
        bytes: &[u8],
        tc: &dyn TextCodec,
        keep_padding: bool,
        out: &mut Out,
        scratch: &mut Scratch,
        problems: &mut Vec<FieldProblem>,
    ) {
        scratch.bytes.clear();
        match decode_field(
            &op.codec,
            bytes,
            op.pos,
            tc,
            keep_padding,
            &mut scratch.text,
        ) {
            Ok(FieldValue::Text) => write_json_str(&scratch.text, &mut scratch.bytes),
            Ok(FieldValue::Number(d)) => d.write_to(&mut scratch.bytes),
            Err((offset, message)) => {
                if !op.item.in_redefines {
                    problems.push(FieldProblem {
                        field: op.field.clone(),
                        offset,
                        message,
                    });
                }
                scratch.bytes.extend_from_slice(b"null");
            }
        }
        out.reserve(scratch.bytes.len());
        out.put(&scratch.bytes);
    }
}

/// Buffers the slow path reuses between records.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) text: String,
    pub(crate) bytes: Vec<u8>,
}

#[inline]
pub(crate) fn sbcs_fast(bytes: &[u8], t: &[u64; 256], pad: u8, keep: bool, out: &mut Out) -> bool {
    let b = if keep {
        bytes
    } else {
        let n = bytes.iter().rposition(|&c| c != pad).map_or(0, |p| p + 1);
        &bytes[..n]
    };
    out.push(b'"');
    for &c in b {
        let e = t[c as usize];
        if e == 0 {
            return false;
        }
        out.put_packed(e);
    }
    out.push(b'"');
    true
}

#[inline]
pub(crate) fn dbcs_fast(
    bytes: &[u8],
    t: &DbcsTable,
    tc: &dyn TextCodec,
    keep: bool,
    out: &mut Out,
) -> bool {
    let pad = tc.dbcs_pad();
    let mut n = bytes.len() & !1;
    if !keep {
        while n >= 2 && bytes[n - 2] == pad[0] && bytes[n - 1] == pad[1] {
            n -= 2;
        }
    }
    out.push(b'"');
    let text_start = out.n;
    for pair in bytes[..n].chunks_exact(2) {
        let code = u16::from_be_bytes([pair[0], pair[1]]);
        // Relaxed: an entry only ever goes from UNKNOWN to its one value.
        let page = t[usize::from(pair[0])]
            .get_or_init(|| (0..256).map(|_| AtomicU64::new(UNKNOWN)).collect());
        let slot = &page[usize::from(pair[1])];
        let mut e = slot.load(Ordering::Relaxed);
        if e == UNKNOWN {
            e = dbcs_entry(tc, code);
            slot.store(e, Ordering::Relaxed);
        }
        if e == 0 {
            return false;
        }
        out.put_packed(e);
    }
    if !keep {
        // JEF has more than one code for U+3000 (E3 80 80 in UTF-8); trim what is left.
        while out.n >= text_start + 3 && out.buf[out.n - 3..out.n] == [0xE3, 0x80, 0x80] {
            out.n -= 3;
        }
    }
    out.push(b'"');
    true
}

/// The sign a zone (or packed sign) nibble gives: `Some(true)` negative.
#[inline]
fn sign_of(n: u8) -> Option<bool> {
    match n {
        0xA | 0xC | 0xE | 0xF => Some(false),
        0xB | 0xD => Some(true),
        _ => None,
    }
}

/// EBCDIC zoned digits copied straight to the output; `false` (nothing decided) on anything
/// [`crate::codec::decode_zoned`] would reject, or more than 38 digits.
#[inline]
pub(crate) fn zoned_fast(bytes: &[u8], scale: i32, sign: SignPosition, out: &mut Out) -> bool {
    let (digits, sep, embedded_at) = match sign {
        SignPosition::TrailingEmbedded => (bytes, None, bytes.len().checked_sub(1)),
        SignPosition::LeadingEmbedded => (bytes, None, Some(0)),
        SignPosition::TrailingSeparate => match bytes.split_last() {
            Some((s, d)) => (d, Some(*s), None),
            None => (bytes, None, None),
        },
        SignPosition::LeadingSeparate => match bytes.split_first() {
            Some((s, d)) => (d, Some(*s), None),
            None => (bytes, None, None),
        },
    };
    if digits.len() > 38 {
        return false;
    }
    let mut neg = match sep {
        None => false,
        Some(0x4E) => false,
        Some(0x60) => true,
        Some(_) => return false,
    };
    let mut buf = [0u8; 40];
    let mut len = 0;
    for (k, &b) in digits.iter().enumerate() {
        let (zone, d) = (b >> 4, b & 0x0F);
        if d > 9 {
            return false;
        }
        if embedded_at == Some(k) {
            match sign_of(zone) {
                Some(n) => neg = n,
                None => return false,
            }
        } else if zone != 0xF {
            return false;
        }
        buf[len] = b'0' | d;
        len += (len > 0 || d != 0) as usize;
    }
    put_digits(neg, &buf, len, scale, out);
    true
}

/// Packed digits copied straight to the output (see [`zoned_fast`]).
#[inline]
pub(crate) fn packed_fast(bytes: &[u8], scale: i32, out: &mut Out) -> bool {
    let Some((&last, head)) = bytes.split_last() else {
        put_number(false, &[], scale, out);
        return true;
    };
    if head.len() * 2 + 1 > 38 {
        return false;
    }
    let mut buf = [0u8; 40];
    let mut len = 0;
    for &b in head {
        let (hi, lo) = (b >> 4, b & 0x0F);
        if hi > 9 || lo > 9 {
            return false;
        }
        buf[len] = b'0' | hi;
        len += (len > 0 || hi != 0) as usize;
        buf[len] = b'0' | lo;
        len += (len > 0 || lo != 0) as usize;
    }
    let hi = last >> 4;
    if hi > 9 {
        return false;
    }
    let Some(neg) = sign_of(last & 0x0F) else {
        return false;
    };
    buf[len] = b'0' | hi;
    len += (len > 0 || hi != 0) as usize;
    put_digits(neg, &buf, len, scale, out);
    true
}

/// [`put_number`] for digits in a 40-byte buffer: the usual shapes (integers, and decimals
/// with a digit before the point) take one fixed-size copy instead of a call to `memmove`.
#[inline]
fn put_digits(neg: bool, buf: &[u8; 40], len: usize, scale: i32, out: &mut Out) {
    if len == 0 || scale < 0 || (scale > 0 && len <= scale as usize) {
        return put_number(neg, &buf[..len], scale, out);
    }
    out.reserve(buf.len() + 2);
    if neg {
        out.push(b'-');
    }
    let at = out.n;
    out.buf[at..at + buf.len()].copy_from_slice(buf);
    if scale == 0 {
        out.n = at + len;
        return;
    }
    let s = scale as usize;
    let int = len - s;
    out.buf[at + int] = b'.';
    for i in 0..s {
        out.buf[at + int + 1 + i] = buf[int + i];
    }
    out.n = at + len + 1;
}

/// Writes a number as [`crate::Decimal::write_to`] does, from its digits without leading
/// zeros (empty for zero).
#[inline]
pub(crate) fn put_number(neg: bool, digits: &[u8], scale: i32, out: &mut Out) {
    let zero = digits.is_empty();
    let digits: &[u8] = if zero { b"0" } else { digits };
    out.reserve(digits.len() + scale.unsigned_abs() as usize + 4);
    if neg && !zero {
        out.push(b'-');
    }
    if scale <= 0 {
        out.put(digits);
        if !zero {
            for _ in 0..(-scale) {
                out.push(b'0');
            }
        }
    } else {
        let s = scale as usize;
        let n = digits.len();
        if n <= s {
            out.put(b"0.");
            for _ in 0..(s - n) {
                out.push(b'0');
            }
            out.put(digits);
        } else {
            out.put(&digits[..n - s]);
            out.push(b'.');
            out.put(&digits[n - s..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Decimal;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn numbers_print_as_decimal_does(m in any::<i64>(), scale in -5i32..20) {
            let d = Decimal::new(m as i128, scale);
            let mut want = Vec::new();
            d.write_to(&mut want);
            let mut out = Out::with_capacity(0);
            let digits = if m == 0 { String::new() } else { m.unsigned_abs().to_string() };
            put_number(m < 0, digits.as_bytes(), scale, &mut out);
            prop_assert_eq!(out.finish(), want.clone());
            let mut buf = [0u8; 40];
            buf[..digits.len()].copy_from_slice(digits.as_bytes());
            let mut out = Out::with_capacity(0);
            put_digits(m < 0, &buf, digits.len(), scale, &mut out);
            prop_assert_eq!(out.finish(), want);
        }
    }
}
