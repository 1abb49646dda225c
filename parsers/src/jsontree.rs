//! The compiled JSON path for layouts WITH OCCURS DEPENDING ON: fields move record by record,
//! so instead of `jsonfast`'s flat list this is a tree mirroring the record walker
//! (`RecordDecoder::walk_items` / `walk_item`), placing items at run time exactly as it does,
//! but with every key written once at compile time and fields decoded by `jsonfast`'s fast
//! code. Output and problems are byte-identical to the walker with a `JsonSink` (checked by
//! tests/dump_paths.rs and the `record` fuzz target).

use crate::codec::TextCodec;
use crate::decode::{FieldProblem, FieldValue, decode_field};
use crate::jsonfast::{
    Out, Scratch, TextTables, dbcs_fast, packed_fast, put_number, sbcs_fast, zoned_fast,
};
use crate::layout::{Codec, Item, ItemKind, RecordLayout};
use crate::value::write_json_str;

enum Node<'a> {
    /// A named field (or an unnamed OCCURS DEPENDING ON object: decoded, not written).
    Field {
        item: &'a Item,
        codec: Codec,
        pre: Vec<u8>,
        named: bool,
    },
    /// A FILLER field (its OCCURS count is still checked, as the walker does).
    Skip { item: &'a Item, size: usize },
    /// A named group: `pre` ends with `{`.
    Group {
        item: &'a Item,
        pre: Vec<u8>,
        children: Vec<Node<'a>>,
    },
    /// A FILLER group: its children sit in the parent.
    Transparent {
        item: &'a Item,
        children: Vec<Node<'a>>,
    },
    /// A named OCCURS field: `pre` ends with `[`.
    FieldTable {
        item: &'a Item,
        codec: Codec,
        pre: Vec<u8>,
    },
    /// A named OCCURS group: `pre` ends with `[`; each element is an object of `children`.
    GroupTable {
        item: &'a Item,
        pre: Vec<u8>,
        children: Vec<Node<'a>>,
    },
}

impl<'a> Node<'a> {
    fn item(&self) -> &'a Item {
        match self {
            Node::Field { item, .. }
            | Node::Skip { item, .. }
            | Node::Group { item, .. }
            | Node::Transparent { item, .. }
            | Node::FieldTable { item, .. }
            | Node::GroupTable { item, .. } => item,
        }
    }
}

/// One record layout compiled as a tree.
pub(crate) struct TreeProgram<'a> {
    layout: &'a RecordLayout,
    nodes: Vec<Node<'a>>,
    /// RENAMES views, each placed at its own offset.
    renames: Vec<Node<'a>>,
    pub(crate) typical_out: usize,
}

/// Whether the next key in each open container is its first (known at compile time: every
/// item writes one key, except FILLER tables, which the tree refuses).
struct Keys {
    first: Vec<bool>,
}

impl Keys {
    fn key(&mut self, name: Option<&str>, out: &mut Vec<u8>) {
        if let Some(f) = self.first.last_mut() {
            if *f {
                *f = false;
            } else {
                out.push(b',');
            }
        }
        if let Some(n) = name {
            write_json_str(n, out);
            out.push(b':');
        }
    }
}

fn compile_items<'a>(items: &'a [Item], k: &mut Keys) -> Option<Vec<Node<'a>>> {
    items.iter().map(|it| compile_item(it, k)).collect()
}

fn compile_item<'a>(it: &'a Item, k: &mut Keys) -> Option<Node<'a>> {
    let mut pre = Vec::new();
    Some(match (&it.kind, it.filler, it.occurs.is_some()) {
        (ItemKind::Field(f), false, false) => {
            k.key(Some(&it.name), &mut pre);
            Node::Field {
                item: it,
                codec: f.codec,
                pre,
                named: true,
            }
        }
        // (Inside a REDEFINES, the walker writes a bare `null` for a bad one: left to it.)
        (ItemKind::Field(_), true, false) if it.odo_slot.is_some() && it.in_redefines => {
            return None;
        }
        (ItemKind::Field(f), true, false) if it.odo_slot.is_some() => Node::Field {
            item: it,
            codec: f.codec,
            pre,
            named: false,
        },
        (ItemKind::Field(f), true, _) => Node::Skip {
            item: it,
            size: f.codec.size(),
        },
        (ItemKind::Field(f), false, true) => {
            k.key(Some(&it.name), &mut pre);
            pre.push(b'[');
            Node::FieldTable {
                item: it,
                codec: f.codec,
                pre,
            }
        }
        (ItemKind::Group(c), false, false) => {
            k.key(Some(&it.name), &mut pre);
            pre.push(b'{');
            k.first.push(true);
            let children = compile_items(c, k)?;
            k.first.pop();
            Node::Group {
                item: it,
                pre,
                children,
            }
        }
        (ItemKind::Group(c), true, false) => Node::Transparent {
            item: it,
            children: compile_items(c, k)?,
        },
        (ItemKind::Group(c), false, true) => {
            k.key(Some(&it.name), &mut pre);
            pre.push(b'[');
            let mut inner = Keys { first: vec![true] };
            let children = compile_items(c, &mut inner)?;
            Node::GroupTable {
                item: it,
                pre,
                children,
            }
        }
        // A FILLER table's named children would repeat in the parent a varying number of
        // times: the walker decides those.
        (ItemKind::Group(_), true, true) => return None,
    })
}

/// Run-time state of one record.
struct Run<'r, 'o> {
    rec: &'r [u8],
    tables: &'o TextTables,
    tc: &'o dyn TextCodec,
    keep: bool,
    out: &'o mut Out,
    scratch: &'o mut Scratch,
    problems: &'o mut Vec<FieldProblem>,
    slots: Vec<i128>,
    path: Vec<(&'r str, Option<usize>)>,
}

impl<'a> TreeProgram<'a> {
    /// Compiles a layout; `None` for the rare shapes the walker must decide.
    pub(crate) fn compile(layout: &'a RecordLayout) -> Option<TreeProgram<'a>> {
        let mut k = Keys { first: vec![true] };
        let nodes = compile_items(&layout.items, &mut k)?;
        let renames = layout
            .renames
            .iter()
            .filter_map(|r| r.item.as_ref())
            .map(|it| compile_item(it, &mut k))
            .collect::<Option<Vec<_>>>()?;
        Some(TreeProgram {
            layout,
            nodes,
            renames,
            typical_out: layout.max_len * 3 + 64,
        })
    }

    /// Writes one record's JSON object (no newline); problems are appended to `problems`.
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
        let mut r = Run {
            rec,
            tables,
            tc,
            keep: keep_padding,
            out,
            scratch,
            problems,
            slots: vec![0; self.layout.odo_slots],
            path: Vec::new(),
        };
        r.out.reserve(1);
        r.out.push(b'{');
        r.items(&self.nodes, 0);
        for n in &self.renames {
            r.node(n, n.item().offset);
        }
        r.out.reserve(1);
        r.out.push(b'}');
    }
}

impl<'r> Run<'r, '_> {
    fn items(&mut self, nodes: &'r [Node<'r>], start: usize) -> usize {
        let mut end = start;
        let mut base = start;
        for n in nodes {
            let pos = if n.item().redefines.is_some() {
                base
            } else {
                base = end;
                end
            };
            let item_end = self.node(n, pos);
            end = end.max(item_end);
        }
        end
    }

    fn problem(&mut self, it: &Item, offset: usize, message: String) {
        let field = crate::decode::field_path(&self.path, &it.name);
        self.problems.push(FieldProblem {
            field,
            offset,
            message,
        });
    }

    /// The walker's `occurrences`: the count, a problem when it is out of range.
    fn occurrences(&mut self, it: &Item, pos: usize) -> Option<usize> {
        let o = it.occurs.as_ref()?;
        let Some(slot) = o.depending_slot else {
            return Some(o.max);
        };
        match crate::decode::occurs_count(o, self.slots[slot]) {
            Ok(n) => Some(n),
            Err((clamped, msg)) => {
                self.problem(it, pos, msg);
                Some(clamped)
            }
        }
    }

    fn node(&mut self, n: &'r Node<'r>, pos: usize) -> usize {
        let it = n.item();
        let count = self.occurrences(it, pos);
        match n {
            Node::Field {
                codec, pre, named, ..
            } => {
                if *named {
                    self.out.reserve(pre.len());
                    self.out.put(pre);
                }
                self.value(it, *codec, pos, *named);
                pos + codec.size()
            }
            Node::Skip { size, .. } => pos + count.unwrap_or(1) * size,
            Node::FieldTable { codec, pre, .. } => {
                let n = count.unwrap_or(1);
                let size = codec.size();
                self.out.reserve(pre.len() + 1);
                self.out.put(pre);
                for k in 0..n {
                    if k > 0 {
                        self.out.reserve(1);
                        self.out.push(b',');
                    }
                    self.path.push((&it.name, Some(k)));
                    self.value(it, *codec, pos + k * size, true);
                    self.path.pop();
                }
                self.out.reserve(1);
                self.out.push(b']');
                pos + n * size
            }
            Node::Group { pre, children, .. } => {
                self.out.reserve(pre.len());
                self.out.put(pre);
                self.path.push((&it.name, None));
                let end = self.items(children, pos);
                self.path.pop();
                self.out.reserve(1);
                self.out.push(b'}');
                end
            }
            Node::Transparent { children, .. } => self.items(children, pos),
            Node::GroupTable { pre, children, .. } => {
                let n = count.unwrap_or(1);
                self.out.reserve(pre.len() + 1);
                self.out.put(pre);
                let mut p = pos;
                for k in 0..n {
                    self.path.push((&it.name, Some(k)));
                    self.out.reserve(2);
                    if k > 0 {
                        self.out.push(b',');
                    }
                    self.out.push(b'{');
                    p = self.items(children, p);
                    self.out.reserve(1);
                    self.out.push(b'}');
                    self.path.pop();
                }
                self.out.reserve(1);
                self.out.push(b']');
                p
            }
        }
    }

    /// One field's value at `pos` (written only when `write`), as the walker's `field`.
    fn value(&mut self, it: &Item, codec: Codec, pos: usize, write: bool) {
        let size = codec.size();
        let Some(bytes) = self.rec.get(pos..pos + size) else {
            if !it.in_redefines {
                let msg = format!(
                    "record ends at byte {} inside this field (bytes {}..{})",
                    self.rec.len(),
                    pos,
                    pos + size
                );
                self.problem(it, pos.min(self.rec.len()), msg);
            }
            self.put_null(write);
            return;
        };
        if write && it.odo_slot.is_none() {
            self.out.reserve(size * 8 + 64);
            let mark = self.out.n;
            let done = match codec {
                Codec::Sbcs { .. } => sbcs_fast(
                    bytes,
                    &self.tables.sbcs,
                    self.tc.sbcs_pad(),
                    self.keep,
                    self.out,
                ),
                Codec::Dbcs { .. } => match &self.tables.dbcs {
                    Some(t) => dbcs_fast(bytes, t, self.tc, self.keep, self.out),
                    None => false,
                },
                Codec::Zoned { scale, sign, .. }
                    if self.tc.family() == crate::codec::Family::Ebcdic =>
                {
                    zoned_fast(bytes, scale, sign, self.out)
                }
                Codec::Packed { scale, .. } => packed_fast(bytes, scale, self.out),
                _ => false,
            };
            if done {
                return;
            }
            self.out.n = mark;
        }
        let r = decode_field(
            &codec,
            bytes,
            pos,
            self.tc,
            self.keep,
            &mut self.scratch.text,
        );
        self.scratch.bytes.clear();
        match r {
            Ok(FieldValue::Text) => {
                if write {
                    write_json_str(&self.scratch.text, &mut self.scratch.bytes);
                }
            }
            Ok(FieldValue::Number(d)) => {
                if let Some(slot) = it.odo_slot {
                    self.slots[slot] = d.to_i128().unwrap_or(-1);
                }
                if write {
                    if let Ok(a) = u64::try_from(d.mantissa.unsigned_abs()) {
                        let mut b = itoa::Buffer::new();
                        let digits = if a == 0 { "" } else { b.format(a) };
                        put_number(d.mantissa < 0, digits.as_bytes(), d.scale, self.out);
                        return;
                    }
                    d.write_to(&mut self.scratch.bytes);
                }
            }
            Err((offset, msg)) => {
                if !it.in_redefines {
                    self.problem(it, offset, msg);
                }
                self.put_null(write);
                return;
            }
        }
        self.out.reserve(self.scratch.bytes.len());
        let Run { out, scratch, .. } = self;
        out.put(&scratch.bytes);
    }

    fn put_null(&mut self, write: bool) {
        if write {
            self.out.reserve(4);
            self.out.put(b"null");
        }
    }
}
