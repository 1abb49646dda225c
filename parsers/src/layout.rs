//! The `Layout` type: what a copybook or a layout table says about a record, with every
//! field's byte offset and codec worked out. Both inputs produce this same type.

use crate::decimal::Decimal;

/// All record layouts of one copybook (several 01 records) or one layout table.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub records: Vec<RecordLayout>,
}

/// One record (a COBOL 01 or 77 item).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordLayout {
    /// The 01 name (e.g. `PERSON-REC`).
    pub name: String,
    /// The fields under the 01, in order. An elementary 01 has one item: itself.
    pub items: Vec<Item>,
    /// Bytes of the record when every OCCURS DEPENDING ON is at its maximum.
    pub max_len: usize,
    /// Bytes when every OCCURS DEPENDING ON is at its minimum.
    pub min_len: usize,
    /// Level-66 RENAMES entries, in order. Each is decoded as one more key after the
    /// record's own fields (see [`Renames::item`]).
    pub renames: Vec<Renames>,
    /// Number of OCCURS DEPENDING ON objects (slots the decoder keeps while walking).
    pub odo_slots: usize,
    /// Whether some item's position depends on an OCCURS DEPENDING ON count.
    pub has_odo: bool,
}

/// A level-66 `RENAMES a [THRU b]` entry.
///
/// How it is decoded (what a migration engineer reading the vendor's layout expects: the
/// renamed bytes as typed values, never the raw bytes of a span that may hold COMP-3 or
/// binary fields, which no code page decodes):
/// - `66 X RENAMES A.`: X is A under another name (a field's value, or a group's object);
/// - `66 X RENAMES A THRU B.`: X is an object holding every item from the start of A to the
///   end of B, decoded as in the record (the outermost items lying wholly inside the span,
///   FILLER omitted).
///
/// The key comes after the record's own fields. A problem in the bytes is reported once, for
/// the record's own field, not again for the RENAMES copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Renames {
    pub name: String,
    pub from: String,
    pub thru: Option<String>,
    /// Source line (1-based) of the level-66 entry; 0 when unknown.
    pub line: usize,
    /// What the decoder walks for it, resolved with the record: a copy of A named X, or a
    /// group named X over the span (positioned at the span's first byte). `None` before the
    /// record is resolved.
    pub item: Option<Item>,
}

impl Renames {
    /// A RENAMES entry as written (resolved later with its record).
    pub fn new(name: impl Into<String>, from: impl Into<String>, thru: Option<String>) -> Self {
        Renames {
            name: name.into(),
            from: from.into(),
            thru,
            line: 0,
            item: None,
        }
    }

    /// The byte range `start..end` (from the record's start) it covers.
    pub fn span(&self) -> Option<(usize, usize)> {
        self.item
            .as_ref()
            .map(|it| (it.offset, it.offset + it.total_size()))
    }
}

/// A group or elementary item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub level: u8,
    /// The copybook's own name; `FILLER` for unnamed items.
    pub name: String,
    pub filler: bool,
    /// Byte offset of the first occurrence from the start of the record, assuming every
    /// earlier OCCURS DEPENDING ON is at its maximum.
    pub offset: usize,
    /// Bytes of ONE occurrence (at maximum for groups holding an OCCURS DEPENDING ON).
    pub size: usize,
    pub occurs: Option<Occurs>,
    /// Name of the item this one REDEFINES.
    pub redefines: Option<String>,
    /// True when this item redefines another one or is redefined: only one view of such bytes
    /// is meaningful, so decoding problems there give `null` instead of a record error.
    pub in_redefines: bool,
    /// Set when this numeric item is the object of an OCCURS DEPENDING ON: the decoder stores
    /// its value in this slot.
    pub odo_slot: Option<usize>,
    /// Whether this item's actual size can differ from `size × max occurs`.
    pub variable: bool,
    pub kind: ItemKind,
    /// Level-88 condition names under this item.
    pub conditions: Vec<Condition>,
    /// The VALUE clause, as written (kept, not used for decoding).
    pub value: Option<String>,
    /// Source line (1-based) of the item's entry; 0 for layout tables without line numbers.
    pub line: usize,
}

/// A group's children or an elementary field's codec.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Group(Vec<Item>),
    Field(Field),
}

/// An elementary field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The PICTURE string as written (empty for fields described by a layout table).
    pub picture: String,
    pub codec: Codec,
}

/// How an elementary field's bytes become a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// PIC X / A / edited pictures: single-byte (or mixed SO/SI) text in the code page.
    Sbcs { len: usize },
    /// PIC N / G (DISPLAY-1): double-byte text without shift codes; `chars` characters.
    Dbcs { chars: usize },
    /// PIC N USAGE NATIONAL: UTF-16BE.
    National { chars: usize },
    /// Zoned decimal (USAGE DISPLAY numeric).
    Zoned {
        digits: u8,
        scale: i32,
        signed: bool,
        sign: SignPosition,
    },
    /// Packed decimal (COMP-3 / PACKED-DECIMAL).
    Packed {
        digits: u8,
        scale: i32,
        signed: bool,
    },
    /// Big-endian two's complement binary (COMP / COMP-4 / BINARY / COMP-5).
    Binary {
        bytes: u8,
        digits: u8,
        scale: i32,
        signed: bool,
    },
}

/// Where a zoned field keeps its sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignPosition {
    /// In the zone nibble of the last byte (the default).
    TrailingEmbedded,
    LeadingEmbedded,
    /// A separate `+`/`-` byte after the digits.
    TrailingSeparate,
    LeadingSeparate,
}

/// OCCURS n or OCCURS m TO n DEPENDING ON name.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurs {
    pub min: usize,
    pub max: usize,
    pub depending_on: Option<String>,
    /// Slot of the DEPENDING ON object, resolved when the layout is built.
    pub depending_slot: Option<usize>,
}

/// A level-88 condition name with its values (as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub name: String,
    pub values: Vec<String>,
}

impl Codec {
    /// Bytes the field occupies.
    pub fn size(&self) -> usize {
        match *self {
            Codec::Sbcs { len } => len,
            Codec::Dbcs { chars } | Codec::National { chars } => chars * 2,
            Codec::Zoned { digits, sign, .. } => {
                digits as usize
                    + matches!(
                        sign,
                        SignPosition::LeadingSeparate | SignPosition::TrailingSeparate
                    ) as usize
            }
            Codec::Packed { digits, .. } => digits as usize / 2 + 1,
            Codec::Binary { bytes, .. } => bytes as usize,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Codec::Zoned { .. } | Codec::Packed { .. } | Codec::Binary { .. }
        )
    }

    /// Decimal places of a numeric field (0 for text).
    pub fn scale(&self) -> i32 {
        match *self {
            Codec::Zoned { scale, .. }
            | Codec::Packed { scale, .. }
            | Codec::Binary { scale, .. } => scale,
            _ => 0,
        }
    }

    /// Binary field width for a number of digits, as IBM COBOL allots it.
    pub fn binary_bytes(digits: u8) -> u8 {
        match digits {
            0..=4 => 2,
            5..=9 => 4,
            _ => 8,
        }
    }
}

impl Item {
    pub fn is_group(&self) -> bool {
        matches!(self.kind, ItemKind::Group(_))
    }

    pub fn children(&self) -> &[Item] {
        match &self.kind {
            ItemKind::Group(c) => c,
            ItemKind::Field(_) => &[],
        }
    }

    pub fn field(&self) -> Option<&Field> {
        match &self.kind {
            ItemKind::Field(f) => Some(f),
            ItemKind::Group(_) => None,
        }
    }

    /// Bytes taken by all occurrences at their maximum.
    pub fn total_size(&self) -> usize {
        self.size * self.occurs.as_ref().map_or(1, |o| o.max)
    }
}

impl Layout {
    /// The record layout with this name (case-insensitive, as COBOL names are).
    pub fn record(&self, name: &str) -> Option<&RecordLayout> {
        self.records
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// The first record, for single-record files.
    pub fn first(&self) -> Option<&RecordLayout> {
        self.records.first()
    }
}

impl RecordLayout {
    /// Finds an item by name anywhere in the record (first match, depth first).
    pub fn find(&self, name: &str) -> Option<&Item> {
        fn walk<'a>(items: &'a [Item], name: &str) -> Option<&'a Item> {
            for it in items {
                if !it.filler && it.name.eq_ignore_ascii_case(name) {
                    return Some(it);
                }
                if let Some(f) = walk(it.children(), name) {
                    return Some(f);
                }
            }
            None
        }
        walk(&self.items, name)
    }

    /// Visits every item depth first.
    pub fn visit(&self, f: &mut dyn FnMut(&Item, usize)) {
        fn walk(items: &[Item], depth: usize, f: &mut dyn FnMut(&Item, usize)) {
            for it in items {
                f(it, depth);
                walk(it.children(), depth + 1, f);
            }
        }
        walk(&self.items, 0, f);
    }
}

/// A problem building a layout from already-parsed entries (shared by both inputs).
pub(crate) fn resolve_record(
    name: String,
    mut items: Vec<Item>,
    renames: Vec<Renames>,
) -> Result<RecordLayout, (usize, String)> {
    // Assign offsets, mark REDEFINES sets, resolve OCCURS DEPENDING ON objects.
    let mut odo_names: Vec<String> = Vec::new();
    collect_odo(&items, &mut odo_names);
    let mut slots_found = vec![false; odo_names.len()];
    let mut scope = OdoScope::default();
    assign_odo_slots(&mut items, &odo_names, &mut slots_found, &mut scope)?;
    if let Some(i) = slots_found.iter().position(|f| !f) {
        return Err((
            0,
            format!(
                "OCCURS DEPENDING ON {} names no numeric field of record {name}",
                odo_names[i]
            ),
        ));
    }
    let (max_len, min_len) = place(&mut items, 0)?;
    let has_odo = !odo_names.is_empty();
    let mut renames = renames;
    for r in &mut renames {
        r.item = Some(resolve_renames(&items, r)?);
    }
    Ok(RecordLayout {
        name,
        items,
        max_len,
        min_len,
        renames,
        odo_slots: odo_names.len(),
        has_odo,
    })
}

/// Finds an item by name with its path of ancestors (for the RENAMES checks).
fn find_with_path<'a>(items: &'a [Item], name: &str, path: &mut Vec<&'a Item>) -> Option<&'a Item> {
    for it in items {
        if !it.filler && it.name.eq_ignore_ascii_case(name) {
            return Some(it);
        }
        path.push(it);
        if let Some(f) = find_with_path(it.children(), name, path) {
            return Some(f);
        }
        path.pop();
    }
    None
}

/// A copy for a RENAMES view: never an OCCURS DEPENDING ON object again, and its problems
/// are the original field's (reported there once).
fn renames_copy(it: &Item) -> Item {
    let mut c = it.clone();
    fn quiet(it: &mut Item) {
        it.in_redefines = true;
        it.odo_slot = None;
        if let ItemKind::Group(ch) = &mut it.kind {
            ch.iter_mut().for_each(quiet);
        }
    }
    quiet(&mut c);
    c
}

/// The outermost items lying wholly inside `start..end`, in order (FILLER kept: it holds its
/// place), looking inside the groups that hold A or B (`RENAMES UJI THRU MEI` lists UJI and
/// MEI, not the name group around them).
fn span_items(items: &[Item], start: usize, end: usize, ancestors: &[&Item], out: &mut Vec<Item>) {
    for it in items {
        let (a, b) = (it.offset, it.offset + it.total_size());
        if b <= start || a >= end {
            continue;
        }
        if a >= start && b <= end && !ancestors.iter().any(|p| std::ptr::eq(*p, it)) {
            out.push(renames_copy(it));
        } else {
            span_items(it.children(), start, end, ancestors, out);
        }
    }
}

fn resolve_renames(items: &[Item], r: &Renames) -> Result<Item, (usize, String)> {
    let bad = |m: String| (r.line, format!("66 {} RENAMES: {m}", r.name));
    let mut ancestors: Vec<&Item> = Vec::new();
    let mut find = |n: &str| {
        let mut path = Vec::new();
        let it = find_with_path(items, n, &mut path)
            .ok_or_else(|| bad(format!("no item {n} in this record")))?;
        // COBOL forbids renaming tables or their elements, and items whose place moves
        // with an OCCURS DEPENDING ON count are not at one offset either.
        if it.occurs.is_some() || path.iter().any(|p| p.occurs.is_some()) {
            return Err(bad(format!("{n} is or is inside an OCCURS table")));
        }
        ancestors.extend(path);
        Ok(it)
    };
    let from = find(&r.from)?;
    let moved = |end: usize| first_odo_start(items).is_some_and(|v| end > v);
    let Some(thru) = &r.thru else {
        if moved(from.offset + from.total_size()) || from.variable {
            return Err(bad(format!(
                "{} moves with an OCCURS DEPENDING ON count",
                r.from
            )));
        }
        let mut c = renames_copy(from);
        c.name = r.name.clone();
        c.filler = false;
        c.redefines = None;
        c.level = 66;
        c.line = r.line;
        return Ok(c);
    };
    let thru = find(thru)?;

    let (start, end) = (from.offset, thru.offset + thru.total_size());
    if end <= start {
        return Err(bad(format!("{} ends before {} starts", r.from, thru.name)));
    }
    if moved(end) {
        return Err(bad(format!(
            "the span moves with an OCCURS DEPENDING ON count ({} THRU {})",
            r.from, thru.name
        )));
    }
    let mut children = Vec::new();
    span_items(items, start, end, &ancestors, &mut children);
    // REDEFINES inside the span keep their target only when it is in the span too.
    let names: Vec<String> = children.iter().map(|c| c.name.clone()).collect();
    for c in &mut children {
        if c.redefines
            .as_ref()
            .is_some_and(|t| !names.iter().any(|n| n.eq_ignore_ascii_case(t)))
        {
            c.redefines = None;
        }
    }
    Ok(Item {
        level: 66,
        name: r.name.clone(),
        filler: false,
        offset: start,
        size: end - start,
        occurs: None,
        redefines: None,
        in_redefines: true,
        odo_slot: None,
        variable: false,
        kind: ItemKind::Group(children),
        conditions: Vec::new(),
        value: None,
        line: r.line,
    })
}

/// Where the first OCCURS DEPENDING ON table starts: everything after its start moves record
/// by record.
fn first_odo_start(items: &[Item]) -> Option<usize> {
    let mut first: Option<usize> = None;
    for it in items {
        if it.variable && it.occurs.as_ref().is_some_and(|o| o.depending_on.is_some()) {
            let s = it.offset;
            first = Some(first.map_or(s, |f| f.min(s)));
        } else if it.variable
            && let Some(v) = first_odo_start(it.children())
        {
            first = Some(first.map_or(v, |f| f.min(v)));
        }
    }
    first
}

fn collect_odo(items: &[Item], out: &mut Vec<String>) {
    for it in items {
        if let Some(Occurs {
            depending_on: Some(d),
            ..
        }) = &it.occurs
            && !out.iter().any(|o| o.eq_ignore_ascii_case(d))
        {
            out.push(d.clone());
        }
        collect_odo(it.children(), out);
    }
}

/// Where OCCURS DEPENDING ON objects sit relative to the tables around them.
#[derive(Default)]
struct OdoScope {
    /// Ids of the OCCURS items enclosing the current item, outermost first.
    enclosing: Vec<usize>,
    next_id: usize,
    /// For each slot, the OCCURS items enclosing its object.
    object_scope: Vec<(usize, Vec<usize>)>,
}

fn assign_odo_slots(
    items: &mut [Item],
    names: &[String],
    found: &mut [bool],
    scope: &mut OdoScope,
) -> Result<(), (usize, String)> {
    for it in items.iter_mut() {
        if let Some(o) = &mut it.occurs
            && let Some(d) = &o.depending_on
        {
            o.depending_slot = names.iter().position(|n| n.eq_ignore_ascii_case(d));
            // The object must be decoded before the table it sizes.
            if let Some(s) = o.depending_slot
                && !found[s]
            {
                return Err((
                    it.line,
                    format!(
                        "OCCURS DEPENDING ON {d}: the object must be a numeric field before {}",
                        it.name
                    ),
                ));
            }
            // An object inside a table element sizes tables of that same element only (each
            // element has its own count); from outside, "which element's count" has no answer.
            if let Some(s) = o.depending_slot
                && let Some((_, obj)) = scope.object_scope.iter().find(|(k, _)| *k == s)
                && !scope.enclosing.starts_with(obj)
            {
                return Err((
                    it.line,
                    format!(
                        "OCCURS DEPENDING ON {d}: the object is inside a table that does not \
                         contain {}",
                        it.name
                    ),
                ));
            }
        }
        if let ItemKind::Field(f) = &it.kind
            && let Some(s) = names.iter().position(|n| n.eq_ignore_ascii_case(&it.name))
            && f.codec.is_numeric()
            && it.occurs.is_none()
            && !found[s]
        {
            it.odo_slot = Some(s);
            found[s] = true;
            scope.object_scope.push((s, scope.enclosing.clone()));
        }
        if let ItemKind::Group(c) = &mut it.kind {
            let table = it.occurs.is_some();
            if table {
                scope.enclosing.push(scope.next_id);
                scope.next_id += 1;
            }
            assign_odo_slots(c, names, found, scope)?;
            if table {
                scope.enclosing.pop();
            }
        }
    }
    Ok(())
}

/// Places items from `start`; returns (max end, min end) relative to record start.
fn place(items: &mut [Item], start: usize) -> Result<(usize, usize), (usize, String)> {
    let mut cursor = start;
    let mut min_cursor = start;
    // Start offsets of earlier siblings, to place REDEFINES.
    let mut starts: Vec<(String, usize, usize)> = Vec::new();
    let mut end = start;
    let mut min_end = start;
    for i in 0..items.len() {
        let (pos, min_pos) = if let Some(target) = items[i].redefines.clone() {
            let Some(&(_, p, mp)) = starts
                .iter()
                .rev()
                .find(|(n, _, _)| n.eq_ignore_ascii_case(&target))
            else {
                return Err((
                    items[i].line,
                    format!(
                        "{} REDEFINES {target}, which is not an earlier item at the same level",
                        items[i].name
                    ),
                ));
            };
            // Mark the redefined item too.
            if let Some(t) = items[..i]
                .iter_mut()
                .rev()
                .find(|t| t.name.eq_ignore_ascii_case(&target))
            {
                mark_redefines(t);
            }
            mark_redefines(&mut items[i]);
            (p, mp)
        } else {
            (end, min_end)
        };
        let it = &mut items[i];
        it.offset = pos;
        let (one_max, one_min, variable) = match &mut it.kind {
            ItemKind::Field(f) => (f.codec.size(), f.codec.size(), false),
            ItemKind::Group(c) => {
                if c.is_empty() {
                    return Err((it.line, format!("group {} has no fields", it.name)));
                }
                let (e, me) = place(c, pos)?;
                let var = c.iter().any(|c| c.variable);
                (e - pos, me - pos, var)
            }
        };
        it.size = one_max;
        let (n_max, n_min) = match &it.occurs {
            Some(o) => (
                o.max,
                if o.depending_on.is_some() {
                    o.min
                } else {
                    o.max
                },
            ),
            None => (1, 1),
        };
        // An OCCURS over a group holding an OCCURS DEPENDING ON (IBM's "complex ODO"): the
        // elements' sizes vary, so `size` is the largest and the decoder and writer place each
        // element after the previous one, record by record.
        it.variable = variable || it.occurs.as_ref().is_some_and(|o| o.depending_on.is_some());
        let this_end = pos + one_max * n_max;
        let this_min_end = min_pos + one_min * n_min;
        starts.push((it.name.clone(), pos, min_pos));
        end = end.max(this_end);
        min_end = min_end.max(this_min_end);
        cursor = cursor.max(this_end);
        min_cursor = min_cursor.max(this_min_end);
    }
    Ok((cursor.max(end), min_cursor.max(min_end)))
}

fn mark_redefines(it: &mut Item) {
    it.in_redefines = true;
    if let ItemKind::Group(c) = &mut it.kind {
        for c in c {
            mark_redefines(c);
        }
    }
}

/// Convenience for tests and callers: a decimal with a field's scale.
pub fn decimal_for(codec: &Codec, mantissa: i128) -> Decimal {
    Decimal::new(mantissa, codec.scale())
}
