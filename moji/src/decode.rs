//! Decoders: mixed streams (with shift codes), single-byte fields and double-byte fields.

use crate::CodePage;
use crate::error::{DecodeError, FieldKind, Undefined, UndefinedReason};
use crate::gaiji::GaijiMap;
use crate::tables::{self, MULTI, Table, UNDEF};

/// Lenient decoding replaces an undefined code with U+FFFD and lists it; strict decoding
/// stops at the first one with an error naming its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// U+FFFD and a list of [`Undefined`].
    #[default]
    Lenient,
    /// Stop with [`DecodeError`] at the first undefined code.
    Strict,
}

/// The result of the convenience function [`decode`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// The text, U+FFFD where a code was undefined.
    pub text: String,
    /// Every undefined code, in input order.
    pub undefined: Vec<Undefined>,
}

/// Decode a whole mixed stream leniently (see [`Decoder::decode_mixed`]).
pub fn decode(page: CodePage, input: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    // Lenient decoding never fails.
    let _ = Decoder::new(page).decode_mixed(input, &mut d.text, &mut d.undefined);
    d
}

/// A configured decoder. It is `Copy` and cheap: tables are built once per process.
///
/// Every method appends UTF-8 to `out` (never clears it) and, in lenient mode, appends one
/// [`Undefined`] per undefined code to `undefined`; offsets count from the start of `input`.
/// In strict mode the first undefined code returns `Err` (what was decoded before it stays
/// in `out`).
#[derive(Debug, Clone, Copy)]
pub struct Decoder<'g> {
    page: CodePage,
    mode: Mode,
    gaiji: Option<&'g GaijiMap>,
}

/// What one double-byte code decodes to.
enum Dbcs<'a> {
    Char(char),
    Pair(char, char),
    Text(&'a str),
    Undefined(UndefinedReason),
}

impl<'g> Decoder<'g> {
    /// A lenient decoder for `page`.
    pub fn new(page: CodePage) -> Self {
        Decoder {
            page,
            mode: Mode::Lenient,
            gaiji: None,
        }
    }

    /// Set strict (`true`) or lenient (`false`) mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.mode = if strict { Mode::Strict } else { Mode::Lenient };
        self
    }

    /// Set the mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Use a vendor code table: for JEF it gives the extended area and overrides the
    /// user-defined area; for the IBM code pages it gives codes the IBM table leaves
    /// undefined or maps to the private use area.
    pub fn with_gaiji(mut self, map: &'g GaijiMap) -> Self {
        self.gaiji = Some(map);
        self
    }

    /// The code page.
    pub fn page(&self) -> CodePage {
        self.page
    }

    /// Decode a mixed stream: single bytes, switching to double bytes at a shift-out
    /// (IBM: SO 0x0E … SI 0x0F; JEF: 0x28 or 0x38 … 0x29). Like glibc, a redundant shift
    /// code is ignored and a stream may end in double-byte mode. For `ebcdic-kana` this is
    /// [`decode_sbcs`](Self::decode_sbcs); for `cp932`/`euc-jp` the ordinary decoder.
    pub fn decode_mixed(
        &self,
        input: &[u8],
        out: &mut String,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        self.run(FieldKind::Mixed, input, out, undefined)
    }

    /// Decode a single-byte field (COBOL PIC X): every byte is one character; shift codes
    /// are undefined here.
    pub fn decode_sbcs(
        &self,
        input: &[u8],
        out: &mut String,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        self.run(FieldKind::SingleByte, input, out, undefined)
    }

    /// Decode a double-byte field without shift codes (COBOL PIC N / PIC G): every two bytes
    /// are one code; an odd last byte is a truncated code. `ebcdic-kana` has no double-byte
    /// half, so every pair is undefined.
    pub fn decode_dbcs(
        &self,
        input: &[u8],
        out: &mut String,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        self.run(FieldKind::DoubleByte, input, out, undefined)
    }

    /// [`decode_mixed`](Self::decode_mixed), appending UTF-8 bytes to a byte buffer instead
    /// of a `String`: the fastest path (bulk output to a file or socket). What it appends is
    /// always valid UTF-8.
    pub fn decode_mixed_utf8(
        &self,
        input: &[u8],
        out: &mut Vec<u8>,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        self.run(FieldKind::Mixed, input, out, undefined)
    }

    /// [`decode_sbcs`](Self::decode_sbcs) into UTF-8 bytes (see [`decode_mixed_utf8`](Self::decode_mixed_utf8)).
    pub fn decode_sbcs_utf8(
        &self,
        input: &[u8],
        out: &mut Vec<u8>,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        self.run(FieldKind::SingleByte, input, out, undefined)
    }

    /// [`decode_dbcs`](Self::decode_dbcs) into UTF-8 bytes (see [`decode_mixed_utf8`](Self::decode_mixed_utf8)).
    pub fn decode_dbcs_utf8(
        &self,
        input: &[u8],
        out: &mut Vec<u8>,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        self.run(FieldKind::DoubleByte, input, out, undefined)
    }

    fn run<O: Out>(
        &self,
        field: FieldKind,
        input: &[u8],
        out: &mut O,
        undefined: &mut Vec<Undefined>,
    ) -> Result<(), DecodeError> {
        let mut sink = Sink {
            mode: self.mode,
            undefined,
        };
        if matches!(self.page, CodePage::Cp932 | CodePage::EucJp) {
            let mut s = String::new();
            let r = match field {
                FieldKind::Mixed => rs_mixed(self.page, input, &mut s, &mut sink),
                FieldKind::SingleByte => rs_sbcs(self.page, input, &mut s, &mut sink),
                FieldKind::DoubleByte => rs_dbcs(self.page, input, &mut s, &mut sink),
            };
            out.push_text(&s);
            return r;
        }
        self.chunk(field, input, false, true, 0, out, &mut sink)
            .map(|_| ())
    }

    /// Decode one chunk of a field through the tables (the EBCDIC and JEF pages): the whole
    /// input of [`run`](Self::run), or the next piece of a [`DecodeStream`]. Starts in
    /// double-byte mode when `dbcs`; offsets are `base` + index. Unless `last`, a final lone
    /// byte of a double-byte code is left for the next chunk. Returns (bytes used,
    /// double-byte mode at the end).
    #[allow(clippy::too_many_arguments)]
    fn chunk<O: Out>(
        &self,
        field: FieldKind,
        input: &[u8],
        dbcs: bool,
        last: bool,
        base: usize,
        out: &mut O,
        sink: &mut Sink<'_>,
    ) -> Result<(usize, bool), DecodeError> {
        let t = tables::table(self.page);
        match field {
            FieldKind::Mixed if self.page != CodePage::EbcdicKana => {
                out.reserve_more(input.len() + input.len() / 2);
                // A record's field is a few dozen bytes: zeroing a 16 KiB block for it cost
                // more than decoding it (a third of a migrate's text decoding).
                if input.len() <= SMALL_FIELD {
                    self.mixed_core::<{ 3 * SMALL_FIELD + 8 }, O>(
                        t, input, dbcs, last, base, out, sink,
                    )
                } else {
                    self.mixed_core::<{ 16 * 1024 + 4 }, O>(t, input, dbcs, last, base, out, sink)
                }
            }
            FieldKind::Mixed | FieldKind::SingleByte => {
                sbcs_run(t, input, base, out, sink)?;
                Ok((input.len(), dbcs))
            }
            FieldKind::DoubleByte => {
                let end = self.dbcs_run(t, input, base, out, sink)?;
                match input.get(end) {
                    Some(&b) if last => {
                        sink.report(out, undef1(base + end, b, UndefinedReason::Truncated))?;
                        Ok((input.len(), dbcs))
                    }
                    _ => Ok((end, dbcs)),
                }
            }
        }
    }

    fn shifts(&self) -> (u8, u8, u8) {
        // (shift to double byte, second shift to double byte, shift back)
        if self.page == CodePage::Jef {
            (0x28, 0x38, 0x29)
        } else {
            (0x0E, 0x0E, 0x0F)
        }
    }

    /// The mixed-stream state machine: single bytes until a shift-out, pairs until the
    /// shift-in. Plain table codes are copied as pre-encoded UTF-8 into a stack block that
    /// goes to `out` in one piece (no per-character pushes, no per-run set-up: mixed data
    /// switches every few dozen bytes); shift codes, undefined codes and everything the
    /// table alone does not give leave the inner loops for the general path.
    ///
    /// Starts in double-byte mode when `dbcs`; offsets are reported as `base` + index.
    /// Unless `last`, a final lone byte in double-byte mode is left unconsumed (the first
    /// half of a code the next chunk completes). Returns (bytes consumed, double-byte mode).
    ///
    /// `L` is the length of the stack block (any length above 7 is correct; a short one
    /// flushes more often).
    #[allow(clippy::too_many_arguments)]
    fn mixed_core<const L: usize, O: Out>(
        &self,
        t: &Table,
        input: &[u8],
        mut dbcs: bool,
        last: bool,
        base: usize,
        out: &mut O,
        sink: &mut Sink<'_>,
    ) -> Result<(usize, bool), DecodeError> {
        // Room for whole units; the last 4 bytes take a unit's 4-byte store.
        let cap = L - 4;
        let (so1, so2, si) = self.shifts();
        let fast = self.fast_dbcs();
        let n = input.len();
        let mut buf = [0u8; L];
        let mut m = 0;
        let mut i = 0;
        // Every unit writes at most 3 bytes (+1 of a 4-byte store), so `room` units fit.
        while i < n {
            if m + 4 > cap {
                out.push_utf8(&buf[..m]);
                m = 0;
            }
            let room = (cap - m) / 3;
            if !dbcs {
                let end = n.min(i + room);
                while i < end {
                    let v = t.sbcs8[usize::from(input[i])];
                    if v == 0 {
                        break;
                    }
                    if let Some(slot) = buf.get_mut(m..m + 4) {
                        slot.copy_from_slice(&v.to_le_bytes());
                    }
                    m += (v >> 24) as usize;
                    i += 1;
                }
                if i == end {
                    continue; // the block is full (or the input ends)
                }
                // Shift bytes are never in the single-byte table.
                let b = input[i];
                if b == so1 || b == so2 {
                    dbcs = true;
                } else if b != si {
                    // A stray shift-in is ignored, as glibc does.
                    out.push_utf8(&buf[..m]);
                    m = 0;
                    sink.report(out, undef1(base + i, b, UndefinedReason::Unmapped))?;
                }
                i += 1;
            } else {
                let end = n.min(i + 2 * room);
                if fast {
                    while i + 1 < end {
                        let code = u16::from_be_bytes([input[i], input[i + 1]]);
                        let v = t.dbcs8[usize::from(code)];
                        if v == 0 {
                            break;
                        }
                        if let Some(slot) = buf.get_mut(m..m + 4) {
                            slot.copy_from_slice(&v.to_le_bytes());
                        }
                        m += (v >> 24) as usize;
                        i += 2;
                    }
                }
                if i >= n {
                    break;
                }
                if i + 1 >= end && end < n {
                    continue; // the block is full
                }
                // No pair starting or ending with a shift byte is in the table.
                let hi = input[i];
                if hi == si {
                    dbcs = false;
                    i += 1;
                    continue;
                }
                if hi == so1 || hi == so2 {
                    i += 1; // redundant shift-out
                    continue;
                }
                out.push_utf8(&buf[..m]);
                m = 0;
                match input.get(i + 1) {
                    None if !last => break, // completed by the next chunk
                    // A lone byte at the end or before SI: a cut-off code.
                    None => {
                        sink.report(out, undef1(base + i, hi, UndefinedReason::Truncated))?;
                        i += 1;
                    }
                    Some(&lo) if lo == si => {
                        sink.report(out, undef1(base + i, hi, UndefinedReason::Truncated))?;
                        i += 1;
                    }
                    Some(&lo) => {
                        self.dbcs_slow(t, u16::from_be_bytes([hi, lo]), base + i, out, sink)?;
                        i += 2;
                    }
                }
            }
        }
        out.push_utf8(&buf[..m]);
        Ok((i, dbcs))
    }

    /// Decode pairs until the end; returns where it stopped (at the last byte of an
    /// odd-length input). Offsets are reported as `base` + index. The output's fast kernel
    /// takes every run of plain table codes; this loop handles the rest.
    fn dbcs_run<O: Out>(
        &self,
        t: &Table,
        input: &[u8],
        base: usize,
        out: &mut O,
        sink: &mut Sink<'_>,
    ) -> Result<usize, DecodeError> {
        let n = input.len();
        let mut i = 0;
        out.reserve_more((n - i) / 2 * 3);
        let fast = self.fast_dbcs();
        while i < n {
            if fast {
                i += out.dbcs_fast(t, &input[i..]);
                if i >= n {
                    break;
                }
            }
            let Some(&lo) = input.get(i + 1) else { break };
            self.dbcs_slow(t, u16::from_be_bytes([input[i], lo]), base + i, out, sink)?;
            i += 2;
        }
        Ok(i)
    }

    /// Whether the table's pre-encoded UTF-8 may decode double-byte codes without asking
    /// the vendor code table: not when it replaces JEF standard-area codes, nor for the IBM
    /// pages, whose tables map user-defined codes to the private use area the vendor table
    /// may override.
    fn fast_dbcs(&self) -> bool {
        match self.gaiji {
            None => true,
            Some(_) => self.page == CodePage::Jef && !self.jef_overrides(),
        }
    }

    /// Whether a vendor code table replaces JEF standard-area codes.
    fn jef_overrides(&self) -> bool {
        self.page == CodePage::Jef && self.gaiji.is_some_and(GaijiMap::overrides_standard_area)
    }

    #[cold]
    fn dbcs_slow<O: Out>(
        &self,
        t: &Table,
        code: u16,
        offset: usize,
        out: &mut O,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        match self.lookup_dbcs(t, code) {
            Dbcs::Char(c) => out.push_char(c),
            Dbcs::Pair(c, v) => {
                out.push_char(c);
                out.push_char(v);
            }
            Dbcs::Text(s) => out.push_text(s),
            Dbcs::Undefined(reason) => {
                let [hi, lo] = code.to_be_bytes();
                sink.report(
                    out,
                    Undefined {
                        offset,
                        bytes: [hi, lo],
                        len: 2,
                        reason,
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Everything the table alone does not give: multi-code-point texts, JEF user and
    /// extended areas, vendor code tables.
    fn lookup_dbcs<'t>(&self, t: &'t Table, code: u16) -> Dbcs<'t> {
        let c = t.dbcs_at(code);
        if c == MULTI {
            return t
                .multi
                .get(&code)
                .map_or(Dbcs::Undefined(UndefinedReason::Unmapped), |s| {
                    Dbcs::Text(s)
                });
        }
        let from_map = |m: Option<&GaijiMap>| {
            m.and_then(|m| m.get(code)).map(|e| match e.ivs {
                Some(v) => Dbcs::Pair(e.ucs, v),
                None => Dbcs::Char(e.ucs),
            })
        };
        if self.page == CodePage::Jef {
            // The vendor's code table wins: it gives the extended area, overrides the
            // user-defined area, and may replace standard-area codes (e.g. a city whose
            // system drew the 1983 shapes, see docs/moji.md).
            if let Some(d) = from_map(self.gaiji) {
                return d;
            }
            if c != UNDEF {
                return Dbcs::Char(c);
            }
            let [hi, lo] = code.to_be_bytes();
            let cell = (0xA1..=0xFE).contains(&lo);
            if cell && (0x80..=0xA0).contains(&hi) {
                let pua = 0xE000 + u32::from(hi - 0x80) * 94 + u32::from(lo - 0xA1);
                return char::from_u32(pua)
                    .map_or(Dbcs::Undefined(UndefinedReason::Unmapped), Dbcs::Char);
            }
            if cell && (0x41..=0x7F).contains(&hi) {
                return from_map(self.gaiji)
                    .unwrap_or(Dbcs::Undefined(UndefinedReason::NeedsCodeTable));
            }
            return Dbcs::Undefined(UndefinedReason::Unmapped);
        }
        if (c == UNDEF || ('\u{E000}'..='\u{F8FF}').contains(&c))
            && let Some(d) = from_map(self.gaiji)
        {
            return d;
        }
        if c == UNDEF {
            Dbcs::Undefined(UndefinedReason::Unmapped)
        } else {
            Dbcs::Char(c)
        }
    }

    /// A chunk-by-chunk decoder (see [`DecodeStream`]) of a mixed stream, a single-byte or
    /// a double-byte field: for the EBCDIC and JEF code pages; `None` for `cp932` and
    /// `euc-jp`, which decode whole inputs only.
    pub fn stream(self, field: FieldKind) -> Option<DecodeStream<'g>> {
        (!matches!(self.page, CodePage::Cp932 | CodePage::EucJp)).then_some(DecodeStream {
            decoder: self,
            field,
            dbcs: false,
            offset: 0,
        })
    }

    /// The text of one double-byte code (for tools that list a code page), or why it has none.
    pub fn decode_code(&self, code: u16) -> Result<String, UndefinedReason> {
        match self.page {
            CodePage::Cp932 | CodePage::EucJp | CodePage::EbcdicKana => {
                let mut s = String::new();
                let mut u = Vec::new();
                let _ = self
                    .strict(true)
                    .decode_dbcs(&code.to_be_bytes(), &mut s, &mut u);
                if s.is_empty() {
                    Err(UndefinedReason::Unmapped)
                } else {
                    Ok(s)
                }
            }
            _ => match self.lookup_dbcs(tables::table(self.page), code) {
                Dbcs::Char(c) => Ok(c.to_string()),
                Dbcs::Pair(c, v) => Ok([c, v].iter().collect()),
                Dbcs::Text(s) => Ok(s.to_string()),
                Dbcs::Undefined(r) => Err(r),
            },
        }
    }
}

/// Input decoded chunk by chunk into UTF-8 bytes, in constant memory (files of any size,
/// pipes): the shift state and the byte offset carry over from one chunk to the next. Made
/// by [`Decoder::stream`] for a mixed stream, a single-byte or a double-byte field.
///
/// ```
/// use moji::{CodePage, Decoder, FieldKind};
/// let mut stream = Decoder::new(CodePage::Ibm930).stream(FieldKind::Mixed).unwrap();
/// let (mut out, mut undefined) = (Vec::new(), Vec::new());
/// // The chunk ends inside the double-byte code 0x4541: its first byte is left over.
/// let used = stream.decode_utf8(b"\xC1\x0E\x45", false, &mut out, &mut undefined).unwrap();
/// assert_eq!(used, 2);
/// stream.decode_utf8(b"\x45\x41\x0F\x57", true, &mut out, &mut undefined).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "A一\u{FFFD}");
/// assert_eq!(undefined[0].offset, 5); // counted from the start of the stream
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DecodeStream<'g> {
    decoder: Decoder<'g>,
    field: FieldKind,
    dbcs: bool,
    offset: usize,
}

impl DecodeStream<'_> {
    /// Decode `input`, the next bytes of the stream (`last`: they end it), appending UTF-8
    /// to `out` and, in lenient mode, the undefined codes to `undefined` (offsets from the
    /// start of the stream). Returns how many bytes of `input` were used: the rest (at most
    /// one byte, the first half of a double-byte code) must begin the next call's input.
    /// With `last` every byte is used. In strict mode the first undefined code is `Err`
    /// (the text before it is in `out`).
    pub fn decode_utf8(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        undefined: &mut Vec<Undefined>,
    ) -> Result<usize, DecodeError> {
        let mut sink = Sink {
            mode: self.decoder.mode,
            undefined,
        };
        let (used, dbcs) = self.decoder.chunk(
            self.field,
            input,
            self.dbcs,
            last,
            self.offset,
            out,
            &mut sink,
        )?;
        self.dbcs = dbcs;
        self.offset += used;
        Ok(used)
    }

    /// [`decode_utf8`](Self::decode_utf8) on several threads (rayon's pool): the input is
    /// cut where the decoding state is known without decoding what came before (a mixed
    /// stream is in single-byte mode right after any shift-in byte, whatever preceded it;
    /// a double-byte field at an even offset), the pieces are decoded at once, and their
    /// text and undefined codes are joined in order. Same result as `decode_utf8`, also
    /// in strict mode (the first undefined code in input order is the error).
    pub fn decode_utf8_parallel(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        undefined: &mut Vec<Undefined>,
    ) -> Result<usize, DecodeError> {
        /// Below this, one thread is as fast.
        const MIN_PIECE: usize = 1 << 20;
        let pieces = rayon::current_num_threads()
            .min(input.len() / MIN_PIECE)
            .max(1);
        self.decode_utf8_in_pieces(input, last, out, undefined, pieces)
    }

    /// [`decode_utf8_parallel`](Self::decode_utf8_parallel) with a given number of pieces
    /// (tests and fuzzing use small inputs).
    #[doc(hidden)]
    pub fn decode_utf8_in_pieces(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        undefined: &mut Vec<Undefined>,
        pieces: usize,
    ) -> Result<usize, DecodeError> {
        let cuts = self.cuts(input, pieces);
        if cuts.len() <= 2 {
            return self.decode_utf8(input, last, out, undefined);
        }
        // Every piece but the last ends in a known state, so it is used up whole.
        let jobs: Vec<(DecodeStream<'_>, &[u8], bool)> = cuts
            .windows(2)
            .enumerate()
            .map(|(k, w)| {
                let mut s = *self;
                if k > 0 {
                    s.dbcs = false;
                }
                s.offset = self.offset + w[0];
                (s, &input[w[0]..w[1]], last && w[1] == input.len())
            })
            .collect();
        use rayon::prelude::*;
        let start = self.offset;
        let mut jobs = jobs.into_iter();
        let Some((mut first, piece, piece_last)) = jobs.next() else {
            return Ok(0);
        };
        let rest: Vec<_> = jobs.collect();
        // The first piece goes straight into `out`; the others into their own buffers.
        let (r, done) = rayon::join(
            || first.decode_utf8(piece, piece_last, out, undefined),
            || {
                rest.into_par_iter()
                    .map(|(mut s, piece, piece_last)| {
                        // Room for the usual case (up to 3 bytes of UTF-8 per 2 input bytes and
                        // a little more): no reallocation while decoding.
                        let (mut o, mut u) = (Vec::with_capacity(piece.len() * 2), Vec::new());
                        let r = s.decode_utf8(piece, piece_last, &mut o, &mut u);
                        (s, o, u, r)
                    })
                    .collect::<Vec<_>>()
            },
        );
        *self = first;
        r?;
        for (s, o, mut u, r) in done {
            out.extend_from_slice(&o);
            undefined.append(&mut u);
            *self = s;
            r?;
        }
        Ok(self.offset - start)
    }

    /// Offsets where `input` may be cut into about `pieces` parts decoded independently
    /// (first 0, last `input.len()`).
    fn cuts(&self, input: &[u8], pieces: usize) -> Vec<usize> {
        let n = input.len();
        let mut cuts = vec![0];
        for k in 1..pieces {
            let want = (n * k / pieces).max(cuts.last().copied().unwrap_or(0));
            let at = match self.field {
                FieldKind::Mixed if self.decoder.page != CodePage::EbcdicKana => {
                    let (_, _, si) = self.decoder.shifts();
                    match memchr::memchr(si, &input[want..]) {
                        Some(p) => want + p + 1,
                        None => break,
                    }
                }
                FieldKind::DoubleByte => want & !1,
                FieldKind::Mixed | FieldKind::SingleByte => want,
            };
            if at > *cuts.last().unwrap_or(&0) && at < n {
                cuts.push(at);
            }
        }
        cuts.push(n);
        cuts
    }
}

/// Lenient/strict handling of one undefined code.
struct Sink<'u> {
    mode: Mode,
    undefined: &'u mut Vec<Undefined>,
}

impl Sink<'_> {
    #[cold]
    fn report<O: Out>(&mut self, out: &mut O, u: Undefined) -> Result<(), DecodeError> {
        match self.mode {
            Mode::Strict => Err(DecodeError::Undefined(u)),
            Mode::Lenient => {
                out.push_char(char::REPLACEMENT_CHARACTER);
                self.undefined.push(u);
                Ok(())
            }
        }
    }
}

fn undef1(offset: usize, b: u8, reason: UndefinedReason) -> Undefined {
    Undefined {
        offset,
        bytes: [b, 0],
        len: 1,
        reason,
    }
}

/// Single bytes through the table (a single-byte field: shift codes are undefined here).
fn sbcs_run<O: Out>(
    t: &Table,
    input: &[u8],
    base: usize,
    out: &mut O,
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    out.reserve_more(input.len());
    let mut k = 0;
    while k < input.len() {
        k += out.sbcs_fast(t, &input[k..]);
        let Some(&b) = input.get(k) else { break };
        // The fast kernel stops only at a byte the table lacks.
        sink.report(out, undef1(base + k, b, UndefinedReason::Unmapped))?;
        k += 1;
    }
    Ok(())
}

/// Where decoded text goes: a `String`, or a byte buffer that receives UTF-8. Both use the
/// same kernels, which copy pre-encoded UTF-8 from the tables instead of encoding each
/// character.
pub(crate) trait Out {
    fn push_char(&mut self, c: char);
    fn push_text(&mut self, s: &str);
    /// Append UTF-8 the kernels assembled from the tables (always whole characters).
    fn push_utf8(&mut self, bytes: &[u8]);
    fn reserve_more(&mut self, n: usize);
    /// Decode whole pairs while the table gives one plain character; bytes consumed.
    fn dbcs_fast(&mut self, t: &Table, input: &[u8]) -> usize;
    /// Decode single bytes while the table defines them; bytes consumed.
    fn sbcs_fast(&mut self, t: &Table, input: &[u8]) -> usize;
}

/// Codes per block of the `String` kernels: a block's UTF-8 (at most 3 bytes a code, plus
/// 1 byte of slack for the 4-byte stores) fits the stack buffer.
const BLOCK: usize = 64;

/// Mixed fields up to this many bytes decode through a small stack block (see
/// `Decoder::chunk`).
const SMALL_FIELD: usize = 168;

/// The kernel: for each unit (a pair, or a byte) look up its packed UTF-8 and store all
/// four bytes at `dst[m..]` (the 4th is the length: overwritten by the next store or cut
/// off); stop at the first unit the slow path must decide. `dst` must hold 3 bytes per
/// unit + 1. Returns (units consumed, bytes written).
#[inline(always)]
fn kernel<const W: usize, const N: usize>(
    table: &[u32; N],
    input: &[u8],
    dst: &mut [u8],
) -> (usize, usize) {
    let mut m = 0;
    let mut k = 0;
    for unit in input.chunks_exact(W) {
        let idx = if W == 2 {
            usize::from(u16::from_be_bytes([unit[0], unit[1]]))
        } else {
            usize::from(unit[0])
        };
        // N is 65536 for pairs and 256 for bytes, so the index is always in range.
        let v = table.get(idx).copied().unwrap_or(0);
        let len = (v >> 24) as usize;
        let Some(slot) = dst.get_mut(m..m + 4) else {
            break;
        };
        if len == 0 {
            break;
        }
        slot.copy_from_slice(&v.to_le_bytes());
        m += len;
        k += 1;
    }
    (k, m)
}

/// Run [`kernel`] straight into a byte vector's tail, a bounded chunk at a time (a mixed
/// stream hands it the whole rest of the input, and most runs stop early at a shift code).
fn kernel_vec<const W: usize, const N: usize>(
    table: &[u32; N],
    input: &[u8],
    out: &mut Vec<u8>,
) -> usize {
    const CHUNK: usize = 256;
    let mut done = 0;
    let mut chunk = CHUNK.min(input.len() / W);
    while chunk > 0 {
        let start = out.len();
        out.resize(start + chunk * 3 + 1, 0);
        let (k, m) = kernel::<W, N>(table, &input[done..done + chunk * W], &mut out[start..]);
        out.truncate(start + m);
        done += k * W;
        if k < chunk {
            break;
        }
        // Grow the chunk while the run goes on, so long fields pay little per call.
        chunk = (chunk * 4).min(1 << 16).min((input.len() - done) / W);
    }
    done
}

/// Run [`kernel`] block by block through a stack buffer into a `String`.
fn kernel_string<const W: usize, const N: usize>(
    table: &[u32; N],
    input: &[u8],
    out: &mut String,
) -> usize {
    let mut buf = [0u8; BLOCK * 3 + 1];
    let mut done = 0;
    for block in input.chunks(BLOCK * W) {
        let (k, m) = kernel::<W, N>(table, block, &mut buf);
        match simdutf8::basic::from_utf8(&buf[..m]) {
            Ok(s) => out.push_str(s),
            // Cannot happen (the tables hold whole UTF-8 sequences); the slow path then
            // decodes the block character by character.
            Err(_) => return done,
        }
        done += k * W;
        if k * W < block.len() {
            break;
        }
    }
    done
}

impl Out for String {
    fn push_char(&mut self, c: char) {
        self.push(c);
    }
    fn push_text(&mut self, s: &str) {
        self.push_str(s);
    }
    fn push_utf8(&mut self, bytes: &[u8]) {
        // Always valid (the tables hold whole UTF-8 sequences), but safe code must check;
        // simdutf8 checks CJK text many times faster than `std::str::from_utf8`.
        match simdutf8::basic::from_utf8(bytes) {
            Ok(s) => self.push_str(s),
            Err(_) => self.push_str(&String::from_utf8_lossy(bytes)),
        }
    }
    fn reserve_more(&mut self, n: usize) {
        self.reserve(n);
    }
    fn dbcs_fast(&mut self, t: &Table, input: &[u8]) -> usize {
        kernel_string::<2, 65536>(&t.dbcs8, input, self)
    }
    fn sbcs_fast(&mut self, t: &Table, input: &[u8]) -> usize {
        kernel_string::<1, 256>(&t.sbcs8, input, self)
    }
}

impl Out for Vec<u8> {
    fn push_char(&mut self, c: char) {
        let mut b = [0u8; 4];
        self.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
    }
    fn push_text(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
    fn push_utf8(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn reserve_more(&mut self, n: usize) {
        self.reserve(n);
    }
    fn dbcs_fast(&mut self, t: &Table, input: &[u8]) -> usize {
        kernel_vec::<2, 65536>(&t.dbcs8, input, self)
    }
    fn sbcs_fast(&mut self, t: &Table, input: &[u8]) -> usize {
        kernel_vec::<1, 256>(&t.sbcs8, input, self)
    }
}

fn rs_encoding(page: CodePage) -> &'static encoding_rs::Encoding {
    if page == CodePage::EucJp {
        encoding_rs::EUC_JP
    } else {
        encoding_rs::SHIFT_JIS
    }
}

fn rs_mixed(
    page: CodePage,
    input: &[u8],
    out: &mut String,
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    use encoding_rs::DecoderResult;
    let mut dec = rs_encoding(page).new_decoder_without_bom_handling();
    let mut pos = 0;
    loop {
        let need = dec
            .max_utf8_buffer_length_without_replacement(input.len() - pos)
            .unwrap_or(input.len() * 3 + 16);
        out.reserve(need);
        let (res, read) = dec.decode_to_string_without_replacement(&input[pos..], out, true);
        pos += read;
        match res {
            DecoderResult::InputEmpty => return Ok(()),
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, extra) => {
                let start = pos.saturating_sub(usize::from(bad) + usize::from(extra));
                let len = usize::from(bad).clamp(1, 2);
                let mut bytes = [0u8; 2];
                for (j, b) in bytes.iter_mut().enumerate().take(len) {
                    *b = input.get(start + j).copied().unwrap_or(0);
                }
                let reason = if pos >= input.len()
                    && extra == 0
                    && bad > 0
                    && start + usize::from(bad) == input.len()
                    && is_lead(page, input[start])
                {
                    UndefinedReason::Truncated
                } else {
                    UndefinedReason::Unmapped
                };
                sink.report(
                    out,
                    Undefined {
                        offset: start,
                        bytes,
                        len: len as u8,
                        reason,
                    },
                )?;
            }
        }
    }
}

fn is_lead(page: CodePage, b: u8) -> bool {
    match page {
        CodePage::EucJp => b >= 0x8E,
        _ => (0x81..=0x9F).contains(&b) || (0xE0..=0xFC).contains(&b),
    }
}

fn rs_single(page: CodePage, b: u8) -> Option<char> {
    match (page, b) {
        (_, 0..=0x7F) => Some(char::from(b)),
        // WHATWG Shift_JIS: 0x80 is U+0080, 0xA1..0xDF half-width katakana.
        (CodePage::Cp932, 0x80) => Some('\u{80}'),
        (CodePage::Cp932, 0xA1..=0xDF) => char::from_u32(0xFF61 + u32::from(b - 0xA1)),
        _ => None,
    }
}

fn rs_sbcs(
    page: CodePage,
    input: &[u8],
    out: &mut String,
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    for (i, &b) in input.iter().enumerate() {
        match rs_single(page, b) {
            Some(c) => out.push(c),
            None => sink.report(out, undef1(i, b, UndefinedReason::Unmapped))?,
        }
    }
    Ok(())
}

fn rs_dbcs(
    page: CodePage,
    input: &[u8],
    out: &mut String,
    sink: &mut Sink<'_>,
) -> Result<(), DecodeError> {
    let enc = rs_encoding(page);
    let mut pairs = input.chunks_exact(2);
    for (k, p) in (&mut pairs).enumerate() {
        let one = if is_lead(page, p[0]) && p[0] != 0x8E && p[0] != 0x8F {
            enc.decode_without_bom_handling_and_without_replacement(p)
                .filter(|s| s.chars().count() == 1)
        } else {
            None
        };
        match one {
            Some(s) => out.push_str(&s),
            None => sink.report(
                out,
                Undefined {
                    offset: 2 * k,
                    bytes: [p[0], p[1]],
                    len: 2,
                    reason: UndefinedReason::Unmapped,
                },
            )?,
        }
    }
    if let [b] = pairs.remainder() {
        sink.report(out, undef1(input.len() - 1, *b, UndefinedReason::Truncated))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lenient(page: CodePage, b: &[u8]) -> Decoded {
        decode(page, b)
    }

    #[test]
    fn ibm930_mixed_with_shifts() {
        let d = lenient(CodePage::Ibm930, b"\xC1\x0E\x45\x41\x40\x40\x0F\x81");
        assert_eq!(d.text, "A一\u{3000}ｱ");
        assert!(d.undefined.is_empty());
    }

    #[test]
    fn redundant_shifts_are_ignored_and_stream_may_end_in_dbcs() {
        let d = lenient(CodePage::Ibm930, b"\x0F\x81\x0E\x0E\x45\x41");
        assert_eq!(d.text, "ｱ一");
    }

    #[test]
    fn strict_names_the_offset() {
        let mut s = String::new();
        let err = Decoder::new(CodePage::Ibm930)
            .strict(true)
            .decode_mixed(b"\xC1\xC1\x57", &mut s, &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.offset(), 2);
        assert!(err.to_string().contains("0x57 at byte offset 2"), "{err}");
        assert_eq!(s, "AA");
    }

    #[test]
    fn lenient_lists_and_replaces() {
        let d = lenient(CodePage::Ibm930, b"\xC1\x57\x0E\x45");
        assert_eq!(d.text, "A\u{FFFD}\u{FFFD}");
        assert_eq!(d.undefined.len(), 2);
        assert_eq!(d.undefined[0].offset, 1);
        assert_eq!(
            (d.undefined[1].offset, d.undefined[1].reason),
            (3, UndefinedReason::Truncated)
        );
    }

    #[test]
    fn ibm1390_two_code_point_entries() {
        let d = lenient(CodePage::Ibm1390, b"\x0E\xEC\xB5\x0F");
        assert_eq!(d.text, "\u{304B}\u{309A}");
    }

    #[test]
    fn jef_areas() {
        let dec = Decoder::new(CodePage::Jef);
        let mut s = String::new();
        let mut u = Vec::new();
        dec.decode_dbcs(b"\x40\x40\xB0\xA1\x80\xA1\xA0\xFE\x41\xA1", &mut s, &mut u)
            .unwrap();
        assert_eq!(s, "\u{3000}亜\u{E000}\u{EC1D}\u{FFFD}");
        assert_eq!(u[0].reason, UndefinedReason::NeedsCodeTable);
        assert_eq!(u[0].offset, 8);
        let mut map = GaijiMap::new();
        map.insert(
            0x41A1,
            crate::GaijiEntry {
                ucs: '丂',
                ivs: None,
            },
        );
        map.insert(
            0x80A1,
            crate::GaijiEntry {
                ucs: '辻',
                ivs: Some('\u{E0101}'),
            },
        );
        let mut s = String::new();
        dec.with_gaiji(&map)
            .strict(true)
            .decode_dbcs(b"\x41\xA1\x80\xA1", &mut s, &mut Vec::new())
            .unwrap();
        assert_eq!(s, "丂辻\u{E0101}");
    }

    #[test]
    fn jef_code_table_may_replace_standard_area() {
        // A city whose system drew 0xB0A2 in the 1983 shape says so in its code table.
        let mut map = GaijiMap::new();
        map.insert(
            0xB0A2,
            crate::GaijiEntry {
                ucs: '唖',
                ivs: None,
            },
        );
        let dec = Decoder::new(CodePage::Jef).with_gaiji(&map);
        let mut s = String::new();
        dec.decode_mixed(b"\x28\xB0\xA1\xB0\xA2\x29", &mut s, &mut Vec::new())
            .unwrap();
        assert_eq!(s, "亜唖");
        let mut s = String::new();
        dec.decode_dbcs(b"\xB0\xA1\xB0\xA2", &mut s, &mut Vec::new())
            .unwrap();
        assert_eq!(s, "亜唖");
        let mut v = Vec::new();
        crate::Encoder::new(CodePage::Jef)
            .with_gaiji(&map)
            .encode_dbcs("亜唖", &mut v)
            .unwrap();
        assert_eq!(v, b"\xB0\xA1\xB0\xA2");
    }

    #[test]
    fn jef_1978_ordering() {
        // 0xB0B3 (row 16, cell 19) is 鰺 in JIS C 6226-1978 (1983 swapped it with 鯵 at
        // 0xF2CD); each keeps its own code both ways.
        let d = lenient(CodePage::Jef, b"\x28\xB0\xB3\xF2\xCD\x29\xC1");
        assert_eq!(d.text, "鰺鯵A");
        assert_eq!(
            crate::encode(CodePage::Jef, "鯵鰺").unwrap(),
            b"\x28\xF2\xCD\xB0\xB3\x29"
        );
    }

    #[test]
    fn jef_standard_area_decodes_to_the_1978_shapes() {
        // mappings/codepages/jis1978-shapes.tsv: 1983 re-drew these glyphs; JEF has the 1978
        // ones. Compatibility ideographs stay as they are (no normalisation).
        let dec = Decoder::new(CodePage::Jef).strict(true);
        let mut s = String::new();
        dec.decode_dbcs(
            b"\xB0\xA2\xC4\xCD\xB7\xE4\xC7\xED\xDF\xE6",
            &mut s,
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(s, "\u{555E}\u{FA10}\u{28EF6}\u{525D}\u{7155}");
        assert_eq!(dec.decode_code(0xB0A2).as_deref(), Ok("啞"));
        let mut v = Vec::new();
        dec.decode_dbcs_utf8(b"\xC4\xCD", &mut v, &mut Vec::new())
            .unwrap();
        assert_eq!(v, "\u{FA10}".as_bytes());
        // The 1978 form encodes to the code, and so does the 1983 form (no other code has
        // it): a re-drawn glyph is the same coded character.
        let enc = crate::Encoder::new(CodePage::Jef);
        for (text, code) in [
            ("啞", b"\xB0\xA2"),
            ("唖", b"\xB0\xA2"),
            ("\u{FA10}", b"\xC4\xCD"),
            ("\u{585A}", b"\xC4\xCD"),
            ("熙", b"\xDF\xE6"),
            ("煕", b"\xDF\xE6"),
        ] {
            let mut v = Vec::new();
            enc.encode_dbcs(text, &mut v).unwrap();
            assert_eq!(v, code, "{text}");
        }
        // A character 1983 moved to row 84 (尭; 1978 has 堯 at 0xB6C6) stays unencodable.
        assert!(enc.encode_dbcs("尭", &mut Vec::new()).is_err());
    }

    #[test]
    fn ibm_code_table_overrides_private_use_codes_in_mixed_streams() {
        // glibc maps IBM930 user-defined 0x6941 to U+E000; a vendor table names it.
        let mut map = GaijiMap::new();
        map.insert(
            0x6941,
            crate::GaijiEntry {
                ucs: '丂',
                ivs: None,
            },
        );
        let dec = Decoder::new(CodePage::Ibm930).with_gaiji(&map);
        let mut v = Vec::new();
        dec.decode_mixed_utf8(b"\x0E\x45\x41\x69\x41\x69\x42\x0F", &mut v, &mut Vec::new())
            .unwrap();
        assert_eq!(String::from_utf8(v).unwrap(), "一丂\u{E001}");
        assert_eq!(lenient(CodePage::Ibm930, b"\x0E\x69\x41").text, "\u{E000}");
    }

    #[test]
    fn stream_carries_shift_state_and_offsets_across_chunks() {
        let mut s = Decoder::new(CodePage::Jef)
            .stream(FieldKind::Mixed)
            .unwrap();
        let (mut out, mut und) = (Vec::new(), Vec::new());
        assert_eq!(
            s.decode_utf8(b"\xC1\x28\xB0", false, &mut out, &mut und),
            Ok(2)
        );
        assert_eq!(
            s.decode_utf8(b"\xB0\xA1\x29", false, &mut out, &mut und),
            Ok(3)
        );
        assert_eq!(
            s.decode_utf8(b"\x57\x28\xB0", true, &mut out, &mut und),
            Ok(3)
        );
        assert_eq!(String::from_utf8(out).unwrap(), "A亜\u{FFFD}\u{FFFD}");
        assert_eq!(und.iter().map(|u| u.offset).collect::<Vec<_>>(), [5, 7]);
        assert_eq!(und[1].reason, UndefinedReason::Truncated);
        // In pieces on several threads: cut after shift-ins, offsets stay absolute.
        let input = b"\xC1\x0E\x45\x41\x0F\x57\x0E\x45\x41\x0F\xC2\x0E\x45\x41\x0F\x57";
        let mut s = Decoder::new(CodePage::Ibm930)
            .stream(FieldKind::Mixed)
            .unwrap();
        assert_eq!(s.cuts(input, 3), [0, 10, 15, 16]);
        let (mut out, mut und) = (Vec::new(), Vec::new());
        assert_eq!(
            s.decode_utf8_in_pieces(input, true, &mut out, &mut und, 3),
            Ok(16)
        );
        assert_eq!(String::from_utf8(out).unwrap(), "A一\u{FFFD}一B一\u{FFFD}");
        assert_eq!(und.iter().map(|u| u.offset).collect::<Vec<_>>(), [5, 15]);
        assert!(
            Decoder::new(CodePage::Cp932)
                .stream(FieldKind::Mixed)
                .is_none()
        );
        // A double-byte field keeps an odd byte for the next chunk, or reports it at the end.
        let mut s = Decoder::new(CodePage::Jef)
            .stream(FieldKind::DoubleByte)
            .unwrap();
        let (mut out, mut und) = (Vec::new(), Vec::new());
        assert_eq!(
            s.decode_utf8(b"\xB0\xA1\xB0", false, &mut out, &mut und),
            Ok(2)
        );
        assert_eq!(
            s.decode_utf8(b"\xB0\xA1\xB0", true, &mut out, &mut und),
            Ok(3)
        );
        assert_eq!(String::from_utf8(out).unwrap(), "亜亜\u{FFFD}");
        assert_eq!(
            (und[0].offset, und[0].reason),
            (4, UndefinedReason::Truncated)
        );
    }

    #[test]
    fn jef_ebcdik_differences() {
        assert_eq!(
            lenient(CodePage::Jef, b"\x5B\x6A\xA1\x15\x25").text,
            "\\¦~\n\u{85}"
        );
        assert_eq!(lenient(CodePage::EbcdicKana, b"\x81\x5B\xA1").text, "ｱ¥‾");
    }

    #[test]
    fn cp932_and_euc_jp() {
        assert_eq!(lenient(CodePage::Cp932, b"\x88\x9F\xB1a").text, "亜ｱa");
        let d = lenient(CodePage::EucJp, b"\xB0\xA1\xFF");
        assert_eq!(d.text, "亜\u{FFFD}");
        assert_eq!(d.undefined[0].offset, 2);
        let mut s = String::new();
        let mut u = Vec::new();
        Decoder::new(CodePage::Cp932)
            .decode_dbcs(b"\x88\x9F\xB1", &mut s, &mut u)
            .unwrap();
        assert_eq!(s, "亜\u{FFFD}");
        assert_eq!(u[0].reason, UndefinedReason::Truncated);
    }

    #[test]
    fn eight_byte_fast_path_agrees_with_byte_by_byte() {
        let input: Vec<u8> = (0..=255u8)
            .cycle()
            .skip(3)
            .take(1000)
            .chain(b"\xC1\xC2\xC3\xC4\xC5\xC6\xC7\xC8\xC9".iter().copied())
            .collect();
        for page in [
            CodePage::Ibm939,
            CodePage::Ibm930,
            CodePage::Jef,
            CodePage::EbcdicKana,
        ] {
            let dec = Decoder::new(page);
            let (mut whole, mut uw) = (String::new(), Vec::new());
            dec.decode_sbcs(&input, &mut whole, &mut uw).unwrap();
            let mut each = String::new();
            for &b in &input {
                dec.decode_sbcs(&[b], &mut each, &mut Vec::new()).unwrap();
            }
            assert_eq!(whole, each, "{page}");
            assert!(whole.ends_with("ABCDEFGHI"));
        }
    }
}
