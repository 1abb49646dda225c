//! COBOL copybook parser: fixed format (sequence area, indicator column, continuation lines)
//! and free format, data description entries (levels 01–49, 66, 77, 88) with the clauses that
//! decide a record's bytes. Errors name the line and column.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag_no_case, take, take_while},
    character::complete::{char, digit1},
    combinator::{opt, recognize},
    sequence::delimited,
};

use crate::layout::{
    Codec, Condition, Field, Item, ItemKind, Layout, Occurs, Renames, SignPosition, resolve_record,
};

/// A copybook problem, located in the source text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct CopybookError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Source format of a copybook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// Columns 1–6 sequence area, 7 indicator, 8–72 code, 73–80 ignored.
    Fixed,
    /// Free format; `*>` starts a comment.
    Free,
    /// Guess from the text (see [`detect_format`]).
    Auto,
}

/// Parses a copybook into a [`Layout`] (one record per 01 or 77 item).
pub fn parse_copybook(text: &str, format: SourceFormat) -> Result<Layout, CopybookError> {
    let format = match format {
        SourceFormat::Auto => detect_format(text),
        f => f,
    };
    let src = normalize(text, format)?;
    let toks = tokenize(&src)?;
    let entries = parse_entries(&src, &toks)?;
    build_layout(entries)
}

/// Fixed format unless some line uses columns 1–6 for code (a level number or name there) or
/// a `*>` comment or a `>>SOURCE FORMAT FREE` directive appears.
pub fn detect_format(text: &str) -> SourceFormat {
    for line in text.lines() {
        let upper = line.to_ascii_uppercase();
        if upper.contains(">>SOURCE") && upper.contains("FREE") {
            return SourceFormat::Free;
        }
        if line.trim().is_empty() {
            continue;
        }
        let head: String = line.chars().take(6).collect();
        if !head.chars().all(|c| c.is_ascii_digit() || c == ' ') {
            return SourceFormat::Free;
        }
        // "01 A" style with the name starting before column 8.
        let trimmed_head = head.trim();
        if !trimmed_head.is_empty() && line.chars().count() > 6 {
            let c7 = line.chars().nth(6).unwrap_or(' ');
            if !matches!(c7, ' ' | '*' | '/' | '-' | 'D' | 'd') {
                return SourceFormat::Free;
            }
        }
    }
    SourceFormat::Fixed
}

/// The copybook's code as one string, with the original line and column of every byte.
struct Source {
    text: String,
    pos: Vec<(u32, u32)>,
}

impl Source {
    fn at(&self, byte: usize) -> (usize, usize) {
        match self.pos.get(byte).or(self.pos.last()) {
            Some(&(l, c)) => (l as usize, c as usize),
            None => (1, 1),
        }
    }
    fn push_str(&mut self, s: &str, line: usize, first_col: usize) {
        for (k, ch) in s.chars().enumerate() {
            let mut b = [0u8; 4];
            let enc = ch.encode_utf8(&mut b);
            for _ in 0..enc.len() {
                self.pos.push((line as u32, (first_col + k) as u32));
            }
            self.text.push(ch);
        }
    }
}

fn err_at(src: &Source, byte: usize, message: impl Into<String>) -> CopybookError {
    let (line, column) = src.at(byte);
    CopybookError {
        line,
        column,
        message: message.into(),
    }
}

/// Strips `*>` comments outside literals.
fn strip_inline_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '>' && prev == '*' {
                    return &s[..i - 1];
                }
            }
        }
        prev = c;
    }
    s
}

/// True when `s` ends inside an open literal.
fn open_literal(s: &str) -> Option<char> {
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
    }
    quote
}

fn normalize(text: &str, format: SourceFormat) -> Result<Source, CopybookError> {
    let mut src = Source {
        text: String::with_capacity(text.len()),
        pos: Vec::with_capacity(text.len()),
    };
    for (ln0, raw) in text.lines().enumerate() {
        let line = ln0 + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim_start().starts_with(">>") {
            continue; // compiler directives (>>SOURCE FORMAT ...)
        }
        if format == SourceFormat::Free {
            let code = strip_inline_comment(raw);
            src.push_str(code, line, 1);
            src.push_str(" ", line, code.chars().count() + 1);
            continue;
        }
        let chars: Vec<char> = raw.chars().collect();
        let indicator = chars.get(6).copied().unwrap_or(' ');
        if matches!(indicator, '*' | '/') {
            continue;
        }
        let area: String = chars.iter().skip(7).take(65).collect();
        let area = strip_inline_comment(&area);
        match indicator {
            '-' => {
                // Continuation: a literal resumes after its opening quote on this line, with the
                // previous line's literal running to column 72; a word simply continues.
                let lead = area.len() - area.trim_start().len();
                let body = area.trim_start();
                let first_col = 8 + area[..lead].chars().count();
                // Drop the trailing space added after the previous line.
                while src.text.ends_with(' ') && open_literal(&src.text).is_none() {
                    src.text.pop();
                    src.pos.pop();
                }
                if open_literal(&src.text).is_some() {
                    let mut cs = body.chars();
                    if matches!(cs.next(), Some('\'' | '"')) {
                        src.push_str(cs.as_str(), line, first_col + 1);
                    } else {
                        src.push_str(body, line, first_col);
                    }
                } else {
                    src.push_str(body, line, first_col);
                }
                src.push_str(" ", line, 73);
            }
            ' ' | 'D' | 'd' => {
                // An open literal keeps its spaces up to column 72.
                let area_owned;
                let area = if open_literal(area).is_some() {
                    let n = area.chars().count();
                    area_owned = format!("{area}{}", " ".repeat(65usize.saturating_sub(n)));
                    area_owned.as_str()
                } else {
                    area.trim_end()
                };
                src.push_str(area, line, 8);
                if open_literal(&src.text).is_none() {
                    src.push_str(" ", line, 73);
                }
            }
            other => {
                return Err(CopybookError {
                    line,
                    column: 7,
                    message: format!("unexpected indicator {other:?} in column 7 (fixed format)"),
                });
            }
        }
    }
    Ok(src)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// A literal: its kind prefix (`X`, `N`, `G`, or empty) and its content.
    Lit(String, String),
    Period,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
}

fn is_sep(c: char) -> bool {
    c.is_whitespace()
}

/// A word runs to whitespace or a quote; `.`, `,` and `;` end it only when whitespace follows.
fn word(i: &str) -> IResult<&str, &str> {
    let mut end = 0;
    let mut it = i.char_indices().peekable();
    while let Some((k, c)) = it.next() {
        if is_sep(c) || c == '\'' || c == '"' {
            break;
        }
        if matches!(c, '.' | ',' | ';') {
            let next = it.peek().map(|&(_, n)| n);
            if next.is_none_or(is_sep) {
                break;
            }
        }
        end = k + c.len_utf8();
    }
    if end == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Alpha,
        )));
    }
    Ok((&i[end..], &i[..end]))
}

fn quoted(i: &str) -> IResult<&str, String> {
    let (i, q) = alt((char('\''), char('"'))).parse(i)?;
    let mut out = String::new();
    let mut rest = i;
    loop {
        let (r, chunk) = take_while(|c| c != q).parse(rest)?;
        out.push_str(chunk);
        let (r, _) = char(q).parse(r)?;
        if r.starts_with(q) {
            out.push(q);
            rest = &r[1..];
        } else {
            return Ok((r, out));
        }
    }
}

fn literal(i: &str) -> IResult<&str, Tok> {
    let (i, prefix) = opt(alt((
        tag_no_case("NX"),
        tag_no_case("X"),
        tag_no_case("N"),
        tag_no_case("G"),
        tag_no_case("Z"),
    )))
    .parse(i)?;
    let (i, body) = quoted(i)?;
    Ok((i, Tok::Lit(prefix.unwrap_or("").to_ascii_uppercase(), body)))
}

fn period(i: &str) -> IResult<&str, Tok> {
    let (r, _) = char('.').parse(i)?;
    if r.chars().next().is_none_or(is_sep) {
        Ok((r, Tok::Period))
    } else {
        Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Char,
        )))
    }
}

fn separators(i: &str) -> IResult<&str, &str> {
    take_while(|c: char| is_sep(c) || c == ',' || c == ';').parse(i)
}

fn tokenize(src: &Source) -> Result<Vec<Token>, CopybookError> {
    let mut toks = Vec::new();
    let mut rest = src.text.as_str();
    let total = src.text.len();
    loop {
        let (r, _) = separators(rest).map_err(|_| err_at(src, total - rest.len(), "bad text"))?;
        rest = r;
        if rest.is_empty() {
            break;
        }
        let at = total - rest.len();
        let parsed = alt((literal, period, |i| {
            word(i).map(|(r, w)| (r, Tok::Word(w.to_string())))
        }))
        .parse(rest);
        match parsed {
            Ok((r, tok)) => {
                toks.push(Token { tok, at });
                rest = r;
            }
            Err(_) => {
                let msg = if rest.starts_with(['\'', '"']) {
                    "literal is not closed"
                } else {
                    "unexpected character"
                };
                return Err(err_at(src, at, msg));
            }
        }
    }
    Ok(toks)
}

/// One data description entry as written.
#[derive(Debug, Clone)]
struct Entry {
    level: u8,
    name: Option<String>,
    line: usize,
    column: usize,
    picture: Option<(String, usize)>,
    usage: Option<Usage>,
    sign: Option<SignPosition>,
    occurs: Option<Occurs>,
    redefines: Option<String>,
    renames: Option<(String, Option<String>)>,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Usage {
    Display,
    Display1,
    Binary,
    Comp5,
    Packed,
    National,
}

const CLAUSE_WORDS: &[&str] = &[
    "PIC",
    "PICTURE",
    "USAGE",
    "VALUE",
    "VALUES",
    "REDEFINES",
    "OCCURS",
    "SIGN",
    "LEADING",
    "TRAILING",
    "RENAMES",
    "COMP",
    "COMP-3",
    "COMP-4",
    "COMP-5",
    "COMPUTATIONAL",
    "COMPUTATIONAL-3",
    "COMPUTATIONAL-4",
    "COMPUTATIONAL-5",
    "BINARY",
    "PACKED-DECIMAL",
    "DISPLAY",
    "DISPLAY-1",
    "NATIONAL",
    "JUSTIFIED",
    "JUST",
    "BLANK",
    "SYNC",
    "SYNCHRONIZED",
    "EXTERNAL",
    "GLOBAL",
];

fn usage_word(w: &str) -> Option<Result<Usage, &'static str>> {
    Some(Ok(match w {
        "DISPLAY" => Usage::Display,
        "DISPLAY-1" => Usage::Display1,
        "COMP" | "COMPUTATIONAL" | "COMP-4" | "COMPUTATIONAL-4" | "BINARY" => Usage::Binary,
        "COMP-5" | "COMPUTATIONAL-5" => Usage::Comp5,
        "COMP-3" | "COMPUTATIONAL-3" | "PACKED-DECIMAL" => Usage::Packed,
        "NATIONAL" => Usage::National,
        "COMP-1" | "COMPUTATIONAL-1" | "COMP-2" | "COMPUTATIONAL-2" => {
            return Some(Err("floating-point USAGE (COMP-1/COMP-2) is not supported"));
        }
        "INDEX" | "POINTER" => {
            return Some(Err("USAGE INDEX/POINTER has no portable layout"));
        }
        _ => return None,
    }))
}

struct Cursor<'a> {
    src: &'a Source,
    toks: &'a [Token],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }
    fn peek_word(&self) -> Option<String> {
        match self.peek() {
            Some(Tok::Word(w)) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }
    fn at(&self) -> usize {
        self.toks
            .get(self.i)
            .map(|t| t.at)
            .unwrap_or(self.src.text.len())
    }
    fn err(&self, msg: impl Into<String>) -> CopybookError {
        err_at(self.src, self.at(), msg)
    }
    fn next(&mut self) -> Option<&'a Tok> {
        let t = self.toks.get(self.i).map(|t| &t.tok);
        self.i += 1;
        t
    }
    fn skip_optional(&mut self, words: &[&str]) {
        while let Some(w) = self.peek_word() {
            if words.contains(&w.as_str()) {
                self.i += 1;
            } else {
                break;
            }
        }
    }
    fn expect_word(&mut self, what: &str) -> Result<String, CopybookError> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                self.i += 1;
                Ok(w.clone())
            }
            _ => Err(self.err(format!("expected {what}"))),
        }
    }
    fn expect_int(&mut self, what: &str) -> Result<usize, CopybookError> {
        let at = self.at();
        let w = self.expect_word(what)?;
        w.parse::<usize>()
            .map_err(|_| err_at(self.src, at, format!("expected {what}, found {w:?}")))
    }
    /// A data name, possibly qualified (`A OF B`): returns the first name.
    fn data_name(&mut self, what: &str) -> Result<String, CopybookError> {
        let n = self.expect_word(what)?;
        while matches!(self.peek_word().as_deref(), Some("OF" | "IN")) {
            self.i += 1;
            self.expect_word("a qualifier name")?;
        }
        Ok(n)
    }
    fn literal_text(&mut self) -> Result<String, CopybookError> {
        match self.next() {
            Some(Tok::Lit(p, s)) => Ok(if p.is_empty() {
                format!("'{s}'")
            } else {
                format!("{p}'{s}'")
            }),
            Some(Tok::Word(w)) => {
                let u = w.to_ascii_uppercase();
                let mut s = w.clone();
                if u == "ALL" {
                    s.push(' ');
                    s.push_str(&self.literal_text()?);
                }
                Ok(s)
            }
            _ => {
                self.i -= 1;
                Err(self.err("expected a value"))
            }
        }
    }
}

fn parse_entries(src: &Source, toks: &[Token]) -> Result<Vec<Entry>, CopybookError> {
    let mut c = Cursor { src, toks, i: 0 };
    let mut out = Vec::new();
    while c.i < toks.len() {
        let at = c.at();
        let (line, column) = src.at(at);
        let level_word = c.expect_word("a level number")?;
        let level: u8 = match level_word.parse::<u8>() {
            Ok(l) if (1..=49).contains(&l) || matches!(l, 66 | 77 | 88) => l,
            _ => {
                return Err(err_at(
                    src,
                    at,
                    format!("expected a level number (01–49, 66, 77, 88), found {level_word:?}"),
                ));
            }
        };
        let mut e = Entry {
            level,
            name: None,

            line,
            column,
            picture: None,
            usage: None,
            sign: None,
            occurs: None,
            redefines: None,
            renames: None,
            values: Vec::new(),
        };
        if let Some(w) = c.peek_word() {
            if w == "FILLER" {
                c.i += 1;
            } else if !CLAUSE_WORDS.contains(&w.as_str()) {
                let name_at = c.at();
                let n = c.expect_word("a data name")?;
                if !n
                    .chars()
                    .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_' || !ch.is_ascii())
                    || n.starts_with('-')
                    || n.ends_with('-')
                {
                    return Err(err_at(
                        src,
                        name_at,
                        format!("{n:?} is not a valid data name"),
                    ));
                }
                e.name = Some(n);
            }
        }
        // Clauses, up to the period.
        loop {
            let clause_at = c.at();
            let Some(tok) = c.peek() else {
                return Err(c.err("entry is not ended by a period"));
            };
            let w = match tok {
                Tok::Period => {
                    c.i += 1;
                    break;
                }
                Tok::Lit(..) => return Err(c.err("unexpected literal")),
                Tok::Word(w) => w.to_ascii_uppercase(),
            };
            c.i += 1;
            match w.as_str() {
                "PIC" | "PICTURE" => {
                    c.skip_optional(&["IS"]);
                    let pat = c.at();
                    let p = c.expect_word("a PICTURE string")?;
                    e.picture = Some((p, pat));
                }
                "USAGE" => {
                    c.skip_optional(&["IS"]);
                    let u = c.expect_word("a USAGE")?.to_ascii_uppercase();
                    match usage_word(&u) {
                        Some(Ok(u)) => e.usage = Some(u),
                        Some(Err(m)) => return Err(err_at(src, clause_at, m)),
                        None => {
                            return Err(err_at(src, clause_at, format!("unknown USAGE {u}")));
                        }
                    }
                }
                "REDEFINES" => e.redefines = Some(c.data_name("the redefined item's name")?),
                "RENAMES" => {
                    let from = c.data_name("the first renamed item")?;
                    let thru = if matches!(c.peek_word().as_deref(), Some("THRU" | "THROUGH")) {
                        c.i += 1;
                        Some(c.data_name("the last renamed item")?)
                    } else {
                        None
                    };
                    e.renames = Some((from, thru));
                }
                "OCCURS" => {
                    let a = c.expect_int("the OCCURS count")?;
                    let mut o = Occurs {
                        min: a,
                        max: a,
                        depending_on: None,
                        depending_slot: None,
                    };
                    if c.peek_word().as_deref() == Some("TO") {
                        c.i += 1;
                        o.max = c.expect_int("the OCCURS maximum")?;
                        if o.max < o.min {
                            return Err(err_at(src, clause_at, "OCCURS maximum below its minimum"));
                        }
                    }
                    c.skip_optional(&["TIMES"]);
                    if c.peek_word().as_deref() == Some("DEPENDING") {
                        c.i += 1;
                        c.skip_optional(&["ON"]);
                        o.depending_on = Some(c.data_name("the DEPENDING ON object")?);
                    } else if o.min != o.max {
                        return Err(err_at(src, clause_at, "OCCURS m TO n needs DEPENDING ON"));
                    }
                    // KEY and INDEXED BY phrases name things; they do not change bytes.
                    loop {
                        match c.peek_word().as_deref() {
                            Some("ASCENDING" | "DESCENDING") => {
                                c.i += 1;
                                c.skip_optional(&["KEY", "IS"]);
                                while let Some(Tok::Word(w)) = c.peek() {
                                    let u = w.to_ascii_uppercase();
                                    if CLAUSE_WORDS.contains(&u.as_str())
                                        || matches!(
                                            u.as_str(),
                                            "INDEXED" | "ASCENDING" | "DESCENDING"
                                        )
                                    {
                                        break;
                                    }
                                    c.i += 1;
                                }
                            }
                            Some("INDEXED") => {
                                c.i += 1;
                                c.skip_optional(&["BY"]);
                                while let Some(Tok::Word(w)) = c.peek() {
                                    let u = w.to_ascii_uppercase();
                                    if CLAUSE_WORDS.contains(&u.as_str())
                                        || matches!(u.as_str(), "ASCENDING" | "DESCENDING")
                                    {
                                        break;
                                    }
                                    c.i += 1;
                                }
                            }
                            _ => break,
                        }
                    }
                    e.occurs = Some(o);
                }
                "SIGN" | "LEADING" | "TRAILING" => {
                    let pos = if w == "SIGN" {
                        c.skip_optional(&["IS"]);
                        c.expect_word("LEADING or TRAILING")?.to_ascii_uppercase()
                    } else {
                        w.clone()
                    };
                    let separate = if c.peek_word().as_deref() == Some("SEPARATE") {
                        c.i += 1;
                        c.skip_optional(&["CHARACTER"]);
                        true
                    } else {
                        false
                    };
                    e.sign = Some(match (pos.as_str(), separate) {
                        ("LEADING", false) => SignPosition::LeadingEmbedded,
                        ("LEADING", true) => SignPosition::LeadingSeparate,
                        ("TRAILING", false) => SignPosition::TrailingEmbedded,
                        ("TRAILING", true) => SignPosition::TrailingSeparate,
                        _ => return Err(err_at(src, clause_at, "SIGN needs LEADING or TRAILING")),
                    });
                }
                "VALUE" | "VALUES" => {
                    c.skip_optional(&["IS", "ARE"]);
                    loop {
                        let mut v = c.literal_text()?;
                        if matches!(c.peek_word().as_deref(), Some("THRU" | "THROUGH")) {
                            c.i += 1;
                            v.push_str(" THRU ");
                            v.push_str(&c.literal_text()?);
                        }
                        e.values.push(v);
                        match c.peek() {
                            Some(Tok::Lit(..)) => continue,
                            Some(Tok::Word(w))
                                if e.level == 88
                                    && !CLAUSE_WORDS.contains(&w.to_ascii_uppercase().as_str()) =>
                            {
                                continue;
                            }
                            _ => break,
                        }
                    }
                }
                "JUSTIFIED" | "JUST" => c.skip_optional(&["RIGHT"]),
                "BLANK" => {
                    c.skip_optional(&["WHEN"]);
                    c.skip_optional(&["ZERO", "ZEROS", "ZEROES"]);
                }
                "SYNC" | "SYNCHRONIZED" => {
                    // Alignment padding (slack bytes) is compiler-specific; refuse rather than
                    // guess offsets.
                    return Err(err_at(
                        src,
                        clause_at,
                        "SYNCHRONIZED is not supported (slack bytes depend on the compiler)",
                    ));
                }
                "EXTERNAL" | "GLOBAL" | "IS" => {}
                other => match usage_word(other) {
                    Some(Ok(u)) => e.usage = Some(u),
                    Some(Err(m)) => return Err(err_at(src, clause_at, m)),
                    None => {
                        return Err(err_at(
                            src,
                            clause_at,
                            format!("unknown or misplaced word {other:?}"),
                        ));
                    }
                },
            }
        }
        if e.level == 66 && e.renames.is_none() {
            return Err(err_at(src, at, "level 66 needs a RENAMES clause"));
        }
        if e.level == 88 && e.values.is_empty() {
            return Err(err_at(src, at, "level 88 needs a VALUE clause"));
        }
        out.push(e);
    }
    Ok(out)
}

/// The parts of a PICTURE string that decide a field's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Alphanumeric {
        len: usize,
    },
    Dbcs {
        chars: usize,
    },
    Numeric {
        digits: u8,
        scale: i32,
        signed: bool,
    },
}

fn pic_symbol(i: &str) -> IResult<&str, (String, usize)> {
    let (i, sym) = alt((tag_no_case("CR"), tag_no_case("DB"), take(1usize))).parse(i)?;
    let (i, n) = opt(delimited(char('('), recognize(digit1), char(')'))).parse(i)?;
    let n = match n {
        Some(d) => d.parse::<usize>().map_err(|_| {
            nom::Err::Failure(nom::error::Error::new(i, nom::error::ErrorKind::Digit))
        })?,
        None => 1,
    };
    Ok((i, (sym.to_ascii_uppercase(), n)))
}

/// Parses a PICTURE string (`S9(7)V99`, `X(20)`, `N(10)`, `9(3)PP`, `ZZ,ZZ9.99`).
pub fn parse_picture(p: &str) -> Result<Picture, String> {
    let mut rest = p;
    let mut syms = Vec::new();
    while !rest.is_empty() {
        let (r, s) = pic_symbol(rest).map_err(|_| format!("bad PICTURE {p:?}"))?;
        if s.1 == 0 {
            return Err(format!("bad PICTURE {p:?}: repeat count 0"));
        }
        syms.push(s);
        rest = r;
    }
    if syms.is_empty() {
        return Err("empty PICTURE".into());
    }
    let all = |set: &[&str]| syms.iter().all(|(s, _)| set.contains(&s.as_str()));
    let count: usize = syms
        .iter()
        .map(|(s, n)| if s.len() == 2 { 2 * n } else { *n })
        .sum();
    if all(&["N", "G"]) {
        return Ok(Picture::Dbcs { chars: count });
    }
    if all(&["9", "S", "V", "P"]) {
        let mut digits = 0usize;
        let mut scale = 0i32;
        let mut signed = false;
        let mut after_v = false;
        let mut seen_digit = false;
        let mut p_left = 0i32;
        let mut p_right = 0i32;
        for (k, (s, n)) in syms.iter().enumerate() {
            match s.as_str() {
                "S" => {
                    if k != 0 || *n != 1 {
                        return Err(format!("bad PICTURE {p:?}: S must come first, once"));
                    }
                    signed = true;
                }
                "V" => {
                    if after_v || *n != 1 {
                        return Err(format!("bad PICTURE {p:?}: more than one V"));
                    }
                    after_v = true;
                }
                "9" => {
                    if p_right > 0 {
                        return Err(format!("bad PICTURE {p:?}: 9 after trailing P"));
                    }
                    digits += n;
                    seen_digit = true;
                    if after_v {
                        scale += *n as i32;
                    }
                }
                "P" => {
                    if seen_digit && !after_v {
                        p_right += *n as i32;
                    } else {
                        p_left += *n as i32;
                    }
                }
                _ => unreachable!("filtered by all()"),
            }
        }
        if digits == 0 {
            return Err(format!("bad PICTURE {p:?}: no digit positions"));
        }
        if digits > 38 {
            return Err(format!("PICTURE {p:?} has more than 38 digits"));
        }
        return Ok(Picture::Numeric {
            digits: digits as u8,
            // Leading P without V: every digit is fractional (PPP99 is .00099 at most).
            scale: if after_v {
                scale + p_left
            } else if p_left > 0 {
                digits as i32 + p_left
            } else {
                -p_right
            },
            signed,
        });
    }
    const TEXTUAL: &[&str] = &[
        "X", "A", "9", "Z", "B", "0", "/", ",", ".", "+", "-", "*", "$", "CR", "DB", "E", "V",
    ];
    if all(TEXTUAL) {
        // Alphanumeric or numeric-edited: display bytes read as text.
        let len = syms
            .iter()
            .filter(|(s, _)| s != "V")
            .map(|(s, n)| if s.len() == 2 { 2 * n } else { *n })
            .sum();
        return Ok(Picture::Alphanumeric { len });
    }
    Err(format!("unsupported PICTURE {p:?}"))
}

/// A tree node while building.
struct Node {
    entry: Entry,
    children: Vec<Node>,
    conditions: Vec<Condition>,
}

fn build_layout(entries: Vec<Entry>) -> Result<Layout, CopybookError> {
    let at_entry = |e: &Entry, m: String| CopybookError {
        line: e.line,
        column: e.column,
        message: m,
    };
    // Split into records: each 01 or 77 starts one.
    let mut roots: Vec<(Node, Vec<Renames>)> = Vec::new();
    // Path of open nodes (indices) in the current record.
    for e in entries {
        match e.level {
            1 | 77 => roots.push((
                Node {
                    entry: e,
                    children: Vec::new(),
                    conditions: Vec::new(),
                },
                Vec::new(),
            )),
            88 => {
                let Some((root, _)) = roots.last_mut() else {
                    return Err(at_entry(&e, "level 88 before any data item".into()));
                };
                let target = last_node(root);
                target.conditions.push(Condition {
                    name: e.name.clone().unwrap_or_default(),
                    values: e.values.clone(),
                });
            }
            66 => {
                let Some((_, ren)) = roots.last_mut() else {
                    return Err(at_entry(&e, "level 66 before any record".into()));
                };
                let (from, thru) = e.renames.clone().unwrap_or_default();
                let mut r = Renames::new(e.name.clone().unwrap_or_default(), from, thru);
                r.line = e.line;
                ren.push(r);
            }
            l => {
                let Some((root, _)) = roots.last_mut() else {
                    return Err(at_entry(
                        &e,
                        format!("level {l:02} item before any 01 record"),
                    ));
                };
                if root.entry.level == 77 {
                    return Err(at_entry(
                        &e,
                        "a level 77 item cannot have subordinates".into(),
                    ));
                }
                // Descend while the last child's level is below this one.
                let mut parent = root;
                loop {
                    let go_down = parent.children.last().is_some_and(|c| c.entry.level < l);
                    if !go_down {
                        break;
                    }
                    parent = parent.children.last_mut().expect("checked");
                }
                if let Some(sib) = parent.children.last()
                    && sib.entry.level != l
                {
                    return Err(at_entry(
                        &e,
                        format!(
                            "level {l:02} does not match an earlier level under {} (found {:02})",
                            parent.entry.name.as_deref().unwrap_or("FILLER"),
                            sib.entry.level
                        ),
                    ));
                }
                parent.children.push(Node {
                    entry: e,
                    children: Vec::new(),
                    conditions: Vec::new(),
                });
            }
        }
    }
    let mut records = Vec::new();
    for (root, renames) in roots {
        let rec_name = root
            .entry
            .name
            .clone()
            .unwrap_or_else(|| "FILLER".to_string());
        let line = root.entry.line;
        let column = root.entry.column;
        if root.entry.occurs.is_some() {
            return Err(at_entry(
                &root.entry,
                "OCCURS is not allowed on level 01/77".into(),
            ));
        }
        let items = if root.children.is_empty() {
            vec![to_item(root, None, None)?]
        } else {
            let usage = root.entry.usage;
            let sign = root.entry.sign;
            if root.entry.picture.is_some() {
                return Err(at_entry(
                    &root.entry,
                    "a group item cannot have a PICTURE".into(),
                ));
            }
            root.children
                .into_iter()
                .map(|c| to_item(c, usage, sign))
                .collect::<Result<Vec<_>, _>>()?
        };
        let rec = resolve_record(rec_name, items, renames).map_err(|(l, m)| CopybookError {
            line: if l == 0 { line } else { l },
            column: if l == 0 { column } else { 1 },
            message: m,
        })?;
        records.push(rec);
    }
    if records.is_empty() {
        return Err(CopybookError {
            line: 1,
            column: 1,
            message: "no 01 record in the copybook".into(),
        });
    }
    Ok(Layout { records })
}

fn last_node(n: &mut Node) -> &mut Node {
    if n.children.is_empty() {
        n
    } else {
        last_node(n.children.last_mut().expect("non-empty"))
    }
}

fn to_item(
    n: Node,
    inherited_usage: Option<Usage>,
    inherited_sign: Option<SignPosition>,
) -> Result<Item, CopybookError> {
    let e = n.entry;
    let err = |m: String| CopybookError {
        line: e.line,
        column: e.column,
        message: m,
    };
    let usage = e.usage.or(inherited_usage);
    let sign = e.sign.or(inherited_sign);
    let name = e.name.clone().unwrap_or_else(|| "FILLER".to_string());
    let kind = if n.children.is_empty() {
        let Some((pic, _)) = &e.picture else {
            return Err(err(format!(
                "{name} has neither a PICTURE nor subordinate items"
            )));
        };
        let picture = parse_picture(pic).map_err(err)?;
        let codec = match (picture, usage.unwrap_or(Usage::Display)) {
            (Picture::Alphanumeric { len }, Usage::Display) => Codec::Sbcs { len },
            (Picture::Dbcs { chars }, Usage::Display | Usage::Display1) => Codec::Dbcs { chars },
            (Picture::Dbcs { chars }, Usage::National) => Codec::National { chars },
            (
                Picture::Numeric {
                    digits,
                    scale,
                    signed,
                },
                Usage::Display,
            ) => Codec::Zoned {
                digits,
                scale,
                signed,
                sign: if signed {
                    sign.unwrap_or(SignPosition::TrailingEmbedded)
                } else {
                    SignPosition::TrailingEmbedded
                },
            },
            (
                Picture::Numeric {
                    digits,
                    scale,
                    signed,
                },
                Usage::Packed,
            ) => Codec::Packed {
                digits,
                scale,
                signed,
            },
            (
                Picture::Numeric {
                    digits,
                    scale,
                    signed,
                },
                Usage::Binary | Usage::Comp5,
            ) => {
                if digits > 18 {
                    return Err(err(format!("binary field {name} has more than 18 digits")));
                }
                Codec::Binary {
                    bytes: Codec::binary_bytes(digits),
                    digits,
                    scale,
                    signed,
                }
            }
            (p, u) => {
                return Err(err(format!(
                    "PICTURE {pic} ({p:?}) cannot have USAGE {u:?}"
                )));
            }
        };
        ItemKind::Field(Field {
            picture: pic.clone(),
            codec,
        })
    } else {
        if e.picture.is_some() {
            return Err(err(format!("group item {name} cannot have a PICTURE")));
        }
        ItemKind::Group(
            n.children
                .into_iter()
                .map(|c| to_item(c, usage, sign))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    Ok(Item {
        level: e.level,
        filler: e.name.is_none() || name.eq_ignore_ascii_case("FILLER"),
        name,
        offset: 0,
        size: 0,
        occurs: e.occurs,
        redefines: e.redefines,
        in_redefines: false,
        odo_slot: None,
        variable: false,
        kind,
        conditions: n.conditions,
        value: if e.values.is_empty() {
            None
        } else {
            Some(e.values.join(" "))
        },
        line: e.line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::ItemKind;

    fn fixed(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn fixed_format_sequence_area_comments_and_continuation() {
        let src = fixed(&[
            "000100 01  PERSON-REC.                                                  PERSON01",
            "000200*    a comment line that mentions PIC X(99)                       PERSON02",
            "000300     05  PERSON-ID        PIC 9(8).                               PERSON03",
            "000400     05  SHIMEI           PIC N(10).                              PERSON04",
            "000500     05  BIRTH-DATE       PIC 9(8).                               PERSON05",
            "000600     05  STATUS-CODE      PIC X VALUE 'A'.                        PERSON06",
            "000700         88  ACTIVE       VALUE 'A'.                              PERSON07",
            "000800         88  CLOSED       VALUES 'C' 'D'.                         PERSON08",
            "000900     05  AMOUNT           PIC S9(7)V99                            PERSON09",
            "001000                          COMP-3.                                 PERSON10",
            "001100     05  LONG-NAME-THAT-CONTIN                                    PERSON11",
            "001200-    UES                  PIC X(2).                               PERSON12",
            "001300/                                                                 PERSON13",
        ]);
        let layout = parse_copybook(&src, SourceFormat::Auto).unwrap();
        let r = &layout.records[0];
        assert_eq!(r.name, "PERSON-REC");
        let names: Vec<_> = r.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "PERSON-ID",
                "SHIMEI",
                "BIRTH-DATE",
                "STATUS-CODE",
                "AMOUNT",
                "LONG-NAME-THAT-CONTINUES"
            ]
        );
        assert_eq!(r.items[1].offset, 8);
        assert_eq!(r.items[1].size, 20);
        assert_eq!(r.items[4].offset, 37);
        assert_eq!(r.items[4].size, 5);
        assert_eq!(r.max_len, 44);
        assert_eq!(r.items[3].conditions.len(), 2);
        assert_eq!(r.items[3].conditions[1].values, ["'C'", "'D'"]);
        assert_eq!(r.items[3].value.as_deref(), Some("'A'"));
    }

    #[test]
    fn free_format_and_clauses() {
        let src = "*> free format\n01 REC.\n  05 A PIC S9(4) COMP. *> binary\n  05 B PIC S9(3) SIGN IS LEADING SEPARATE CHARACTER.\n  05 C PIC 9(3)V9(2) USAGE IS PACKED-DECIMAL.\n  05 D PIC 99PP.\n  05 E PIC SVPP99.\n  05 F PIC N(3) USAGE NATIONAL.\n  05 G PIC G(2).\n  05 FILLER PIC X(2).\n  05 PIC X.\n  05 H PIC S9(9) COMP-5.\n  05 I PIC ZZ,ZZ9.99-.\n";
        let l = parse_copybook(src, SourceFormat::Auto).unwrap();
        let r = &l.records[0];
        let codec = |i: usize| r.items[i].field().unwrap().codec;
        assert_eq!(
            codec(0),
            Codec::Binary {
                bytes: 2,
                digits: 4,
                scale: 0,
                signed: true
            }
        );
        assert_eq!(
            codec(1),
            Codec::Zoned {
                digits: 3,
                scale: 0,
                signed: true,
                sign: SignPosition::LeadingSeparate
            }
        );
        assert_eq!(codec(1).size(), 4);
        assert_eq!(codec(2).size(), 3);
        assert_eq!(codec(3).scale(), -2);
        assert_eq!(codec(4).scale(), 4);
        assert_eq!(codec(5), Codec::National { chars: 3 });
        assert_eq!(codec(6), Codec::Dbcs { chars: 2 });
        assert!(r.items[7].filler && r.items[8].filler);
        assert_eq!(codec(9).size(), 4);
        assert_eq!(codec(10), Codec::Sbcs { len: 10 });
    }

    #[test]
    fn occurs_redefines_renames_and_several_records() {
        let src = "01 HDR.\n 05 REC-TYPE PIC X.\n 05 RUN-DATE PIC 9(8).\n 05 RUN-PARTS REDEFINES RUN-DATE.\n  10 RUN-YYYY PIC 9(4).\n  10 RUN-MMDD PIC 9(4).\n 66 RUN-ALL RENAMES REC-TYPE THRU RUN-DATE.\n01 DTL.\n 05 REC-TYPE PIC X.\n 05 CHILD-COUNT PIC 9(2).\n 05 CHILD OCCURS 0 TO 5 TIMES DEPENDING ON CHILD-COUNT INDEXED BY CX.\n  10 CHILD-NAME PIC X(4).\n  10 CHILD-AGE PIC 9(3) COMP-3.\n77 STANDALONE PIC X(3).\n";
        let l = parse_copybook(src, SourceFormat::Free).unwrap();
        assert_eq!(l.records.len(), 3);
        let h = &l.records[0];
        assert_eq!(h.max_len, 9);
        assert_eq!(h.items[2].offset, 1);
        assert!(h.items[1].in_redefines && h.items[2].in_redefines);
        assert_eq!(h.renames[0].thru.as_deref(), Some("RUN-DATE"));
        let d = &l.records[1];
        assert_eq!(d.max_len, 3 + 5 * 6);
        assert_eq!(d.min_len, 3);
        assert!(d.has_odo);
        assert_eq!(d.items[1].odo_slot, Some(0));
        assert!(matches!(d.items[2].kind, ItemKind::Group(_)));
        assert_eq!(d.items[2].occurs.as_ref().unwrap().depending_slot, Some(0));
        assert_eq!(l.records[2].name, "STANDALONE");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_copybook(
            "01 REC.\n  05 A PIC X(3)\n  05 B PIC Q.\n",
            SourceFormat::Free,
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (3, 3), "{e}");
        let e = parse_copybook("01 REC.\n  05 A PIC X(3) FOO.\n", SourceFormat::Free).unwrap_err();
        assert_eq!((e.line, e.column), (2, 17), "{e}");
        assert!(e.message.contains("FOO"));
        let e = parse_copybook("01 REC.\n  05 A PIC X(3)\n", SourceFormat::Free).unwrap_err();
        assert!(e.message.contains("period"), "{e}");
        let e = parse_copybook(
            "01 REC.\n 05 A PIC X.\n 05 B REDEFINES Z PIC X.\n",
            SourceFormat::Free,
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = parse_copybook(
            "01 REC.\n 05 A PIC X.\n 05 B PIC X OCCURS 1 TO 3 DEPENDING ON NOPE.\n",
            SourceFormat::Free,
        )
        .unwrap_err();
        assert!(e.message.contains("NOPE"), "{e}");
        let e = parse_copybook("01 REC.\n 05 A PIC 'X.\n", SourceFormat::Free).unwrap_err();
        assert!(e.message.contains("literal"), "{e}");
    }

    #[test]
    fn picture_strings() {
        assert_eq!(
            parse_picture("X(10)"),
            Ok(Picture::Alphanumeric { len: 10 })
        );
        assert_eq!(parse_picture("XXX"), Ok(Picture::Alphanumeric { len: 3 }));
        assert_eq!(parse_picture("A(2)"), Ok(Picture::Alphanumeric { len: 2 }));
        assert_eq!(
            parse_picture("S9(7)V99"),
            Ok(Picture::Numeric {
                digits: 9,
                scale: 2,
                signed: true
            })
        );
        assert_eq!(
            parse_picture("PPP99"),
            Ok(Picture::Numeric {
                digits: 2,
                scale: 5,
                signed: false
            })
        );
        assert!(parse_picture("9V9V9").is_err());
        assert!(parse_picture("9(0)").is_err());
        assert!(parse_picture("Q").is_err());
    }
}
