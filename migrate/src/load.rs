//! Staged rows → the runtime's domain model → the store. This is where domain field names
//! (as the profile maps them) meet the runtime's types; the vendor's names never get here.

use std::collections::HashMap;

use runtime::model::{
    Address, CodeName, FuhyoEntry, FuhyoSource, FujuriMoushide, FujuriStatus, Furigana,
    FuriganaStatus, Honseki, ImagePage, ImageRegister, ImageRegisterKind, Jiko, JikoItem, JikoKind,
    JimuRenkei, KojinJotai, Koseki, KosekiDate, KosekiStatus, MigratedFields, Person, PersonName,
    Sex, ShikibetsuFugo, SpouseKubun, Text, Tokei, Uketsuke, UketsukeStatus,
};
use runtime::{PreparedFuhyo, PreparedKoseki, Store};

use crate::Error;
use crate::images::CheckedImage;
use crate::read::Context;
use crate::stage::{FullRow, Row, Staged, StagedFile};
use crate::value::Value;

/// How many rows of each entity went into the store.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    pub by_entity: HashMap<String, u64>,
    /// Records not loaded for a reason found while loading (e.g. a 戸籍 whose insert failed).
    pub problems: Vec<String>,
}

fn store_err(e: runtime::StoreError) -> Error {
    Error::Input(format!("store: {e}"))
}

fn text(v: &Value) -> Option<Text> {
    match v {
        Value::Text { text, raw } => Some(Text::decoded(text.clone(), raw.clone())),
        Value::Empty => None,
        other => Some(Text::new(other.display())),
    }
}

/// [`text`] of a value the caller owns: its strings move (no copy); a flag that is off is
/// none (a flag not listed is off).
fn into_text(v: Value) -> Option<Text> {
    match v {
        Value::Empty | Value::Flag { on: false } => None,
        Value::Text { text, raw } => Some(Text::decoded(text, raw)),
        Value::Id { id: s } | Value::Number { n: s } => Some(Text::new(s)),
        other => Some(Text::new(other.display())),
    }
}

fn text_or_empty(v: &Value) -> Text {
    text(v).unwrap_or_default()
}

/// Two fields printed together (氏 + 名 as 【父】 prints them); vendor bytes joined.
fn joined(a: &Value, b: &Value) -> Option<Text> {
    match (text(a), text(b)) {
        (None, None) => None,
        (x, y) => {
            let (x, y) = (x.unwrap_or_default(), y.unwrap_or_default());
            let mut bytes = x.vendor_bytes.clone().unwrap_or_default();
            bytes.extend(y.vendor_bytes.clone().unwrap_or_default());
            Some(Text {
                text: format!("{}{}", x.text, y.text),
                vendor_bytes: Some(bytes),
            })
        }
    }
}

/// What a record holds that its model value does not: every field no builder asked for, and
/// `also`, fields a builder only derived something from (a 消除日 that made a 附票 row
/// 消除). Nothing the vendor delivered is lost. Left out: `linked`, the keys naming the
/// record's parent (the stored link says it), and flags that are off (a flag not listed is
/// off).
fn migrated(full: &FullRow, also: &[&str], linked: &[&str]) -> MigratedFields {
    let mut out: MigratedFields = full
        .unasked()
        .filter(|(name, _)| !linked.contains(&name.as_str()))
        .filter_map(|(name, v)| Some((name.clone(), into_text(v)?)))
        .collect();
    for name in also {
        if let Some(t) = text(full.get(name)) {
            out.insert((*name).to_string(), t);
        }
    }
    out
}

fn date(v: &Value) -> Option<KosekiDate> {
    v.date().map(|d| KosekiDate::from_wareki(*d))
}

fn name_of(v: &Value) -> String {
    v.name().map(str::to_string).unwrap_or_default()
}

fn furigana(kana: &Value, status: &Value) -> Option<Furigana> {
    let kana = text(kana)?;
    let status = match name_of(status).as_str() {
        "届出により記載" => FuriganaStatus::Recorded,
        "職権で記載" => FuriganaStatus::ShokkenProvisional,
        _ => FuriganaStatus::Unrecorded,
    };
    Some(Furigana { kana, status })
}

/// A code and its name; a value that is not a code keeps its text as both.
fn code_name(v: &Value) -> CodeName {
    match v {
        Value::Code { code, name } => CodeName::new(code, name),
        other => CodeName::new(&other.key(), &other.display()),
    }
}

/// A count as delivered (`None` when the field is empty or not a number).
fn count_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number { n } | Value::Id { id: n } => n.parse().ok(),
        _ => None,
    }
}

fn flag(v: &Value) -> bool {
    matches!(v, Value::Flag { on: true })
}

fn number(v: &Value) -> u32 {
    match v {
        Value::Number { n } | Value::Id { id: n } => n.parse().unwrap_or(0),
        _ => 0,
    }
}

/// Events from 事項 rows (continuation records, 枝番 > 0, join their main record's items).
/// `linked`: the fields naming the event's owner (its 戸籍, its person).
fn events(rows: Vec<FullRow>, owner: &str, linked: &[&str]) -> Result<Vec<Jiko>, Error> {
    let mut out: Vec<Jiko> = Vec::new();
    for mut row in rows {
        let seq = number(row.get("seq"));
        let eda = number(row.get("eda"));
        // Moved, not copied: a city has more than a million items.
        let items: Vec<JikoItem> = match row.take("items") {
            Value::Items { items } => items
                .into_iter()
                .map(|i| JikoItem {
                    tag: i.tag,
                    value: Text::decoded(i.text, i.raw),
                    line: None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let kind = JikoKind::from_label(&name_of(row.get("kind")));
        let rest = migrated(&row, &[], linked);
        row.check()?;
        if eda > 0
            && let Some(main) = out.iter_mut().rev().find(|j| j.seq == seq)
        {
            main.items.extend(items);
            // A continuation's own value of a field is kept under the field and its 枝番.
            for (name, value) in rest {
                let key = match main.migrated.get(&name) {
                    Some(v) if *v != value => format!("{name}/{eda}"),
                    _ => name,
                };
                main.migrated.insert(key, value);
            }
            continue;
        }
        let mut j = Jiko::new(kind, items);
        j.migrated = rest;
        j.seq = seq;
        j.source_key = Some(format!("{owner}/{seq}"));
        out.push(j);
    }
    Ok(out)
}

/// `build` each item and hand the results to `store` in order. Building (decoding, joining
/// events: independent per item) runs `chunk` items at a time on the worker pool while this
/// thread stores the chunk before: the store has one writer, and it need not wait for the
/// decoding. The first error (of either side) stops both.
fn pipeline<I: Sync, T: Send>(
    items: &[I],
    chunk: usize,
    build: impl Fn(&I) -> Result<T, Error> + Sync,
    mut store: impl FnMut(T) -> Result<(), Error>,
) -> Result<(), Error> {
    use rayon::prelude::*;
    let build = &build;
    std::thread::scope(|scope| -> Result<(), Error> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<T>, Error>>(2);
        scope.spawn(move || {
            for part in items.chunks(chunk) {
                let built: Result<Vec<T>, Error> = part.par_iter().map(build).collect();
                let failed = built.is_err();
                // A send fails when the store side stopped (an error): nothing more to build.
                if tx.send(built).is_err() || failed {
                    break;
                }
            }
        });
        for batch in rx {
            for value in batch? {
                store(value)?;
            }
        }
        Ok(())
    })
}

/// Values the store is done with, dropped on the worker pool a batch at a time: they were
/// allocated there, and the writer freeing them (blocks of another thread's heap) was a fifth
/// of its time.
struct Garbage<T: Send + 'static> {
    batch: Vec<T>,
}

impl<T: Send + 'static> Garbage<T> {
    const BATCH: usize = 256;

    fn new() -> Garbage<T> {
        Garbage {
            batch: Vec::with_capacity(Self::BATCH),
        }
    }

    fn push(&mut self, value: T) {
        self.batch.push(value);
        if self.batch.len() >= Self::BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(Self::BATCH));
        rayon::spawn(move || drop(batch));
    }
}

impl<T: Send + 'static> Drop for Garbage<T> {
    fn drop(&mut self) {
        if !self.batch.is_empty() {
            self.flush();
        }
    }
}

/// A 戸籍 built from its records (its stored JSON made too), and the count of event records
/// in it.
struct Built {
    koseki: PreparedKoseki,
    n_kjiko: u64,
    n_mibun: u64,
}

/// Child rows by parent key: persons and 戸籍事項 by 戸籍, 身分事項 by person.
type Grouped<'a> = HashMap<String, Vec<(&'a StagedFile, &'a Row)>>;
type Groups<'g, 'a> = (&'g Grouped<'a>, &'g Grouped<'a>, &'g Grouped<'a>);

/// Everything the load needs, indexed.
pub struct Plan<'a> {
    staged: &'a Staged,
    ctx: &'a Context<'a>,
}

impl<'a> Plan<'a> {
    pub fn new(staged: &'a Staged, ctx: &'a Context<'a>) -> Plan<'a> {
        Plan { staged, ctx }
    }

    /// Every row of `entity`, converted whole and made into a `T` by `build`, handed to
    /// `store` in file order (see [`pipeline`]).
    fn pipelined<T: Send>(
        &self,
        entity: &str,
        build: impl Fn(&StagedFile, &Row, &FullRow) -> Result<T, Error> + Sync,
        store: impl FnMut(T) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let rows = self.rows(entity);
        pipeline(
            &rows,
            2048,
            |&(f, r)| {
                let full = f.full(r, self.ctx)?;
                let built = build(f, r, &full)?;
                full.check()?;
                Ok(built)
            },
            store,
        )
    }

    /// The rows of a group, converted whole.
    fn full_rows(&self, rows: &[(&'a StagedFile, &'a Row)]) -> Result<Vec<FullRow<'a>>, Error> {
        rows.iter().map(|(f, r)| f.full(r, self.ctx)).collect()
    }

    fn rows(&self, entity: &str) -> Vec<(&'a StagedFile, &'a Row)> {
        let staged: &'a Staged = self.staged;
        staged
            .files
            .iter()
            .filter(|f| f.spec.entity == entity)
            .flat_map(|f| f.rows.iter().map(move |r| (f, r)))
            .collect()
    }

    /// Rows of `entity` by the value of their `parent` field, in file order.
    fn grouped(
        &self,
        entity: &str,
        parent: &str,
    ) -> HashMap<String, Vec<(&'a StagedFile, &'a Row)>> {
        let mut out: HashMap<String, Vec<(&StagedFile, &Row)>> = HashMap::new();
        for (f, r) in self.rows(entity) {
            out.entry(f.get(r, parent).key()).or_default().push((f, r));
        }
        out
    }

    /// One 戸籍 of the dataset as the runtime's value, with its 戸籍事項, persons and their
    /// 身分事項 (and how many event records went into it).
    fn build_koseki(
        &self,
        f: &StagedFile,
        r: &Row,
        (persons_of, kjiko_of, mibun_of): Groups<'_, 'a>,
    ) -> Result<Built, Error> {
        let kr = f.full(r, self.ctx)?;
        let kid = kr.get("koseki_id").key();
        let status = match name_of(kr.get("status")).as_str() {
            "全部除籍" => KosekiStatus::ZenbuJoseki,
            _ => KosekiStatus::Genzai,
        };
        let jiko = match kjiko_of.get(&kid) {
            Some(rows) => events(self.full_rows(rows)?, &kid, &["koseki_id"])?,
            None => Vec::new(),
        };
        let n_kjiko = kjiko_of.get(&kid).map_or(0, Vec::len) as u64;
        let mut persons = Vec::new();
        let mut n_mibun = 0u64;
        for (pf, pr) in persons_of.get(&kid).map(Vec::as_slice).unwrap_or(&[]) {
            let pfull = pf.full(pr, self.ctx)?;
            let pid = pfull.get("person_id").key();
            let mibun = match mibun_of.get(&pid) {
                Some(rows) => {
                    n_mibun += rows.len() as u64;
                    events(
                        self.full_rows(rows)?,
                        &format!("{kid}/{pid}"),
                        &["koseki_id", "person_id", "kisai_jun"],
                    )?
                }
                None => Vec::new(),
            };
            let g = |n: &str| pfull.get(n);
            persons.push(Person {
                id: 0,
                koseki_id: 0,
                kisai_jun: number(g("kisai_jun")),
                name: PersonName {
                    uji: text_or_empty(g("uji")),
                    mei: text_or_empty(g("mei")),
                },
                uji_furigana: None,
                mei_furigana: furigana(g("mei_furigana"), g("furigana_status")),
                birth_date: date(g("birth_date")),
                sex: match name_of(g("sex")).as_str() {
                    "男" => Some(Sex::Male),
                    "女" => Some(Sex::Female),
                    _ => None,
                },
                father: joined(g("father_uji"), g("father_mei")),
                mother: joined(g("mother_uji"), g("mother_mei")),
                zokugara: g("zokugara").name().map(Text::new),
                adoptive_father: joined(g("adoptive_father_uji"), g("adoptive_father_mei")),
                adoptive_mother: joined(g("adoptive_mother_uji"), g("adoptive_mother_mei")),
                adoptive_zokugara: g("adoptive_zokugara").name().map(Text::new),
                spouse_kubun: match name_of(g("spouse_kubun")).as_str() {
                    "夫" => Some(SpouseKubun::Otto),
                    "妻" => Some(SpouseKubun::Tsuma),
                    _ => None,
                },
                removed: matches!(g("removed"), Value::Flag { on: true }),
                removal_jiko: None,
                mibun_jiko: mibun,
                source_key: Some(pid),
                migrated: migrated(&pfull, &[], &["koseki_id"]),
            });
            pfull.check()?;
        }
        persons.sort_by_key(|p| p.kisai_jun);
        let g = |n: &str| kr.get(n);
        let k = Koseki {
            id: 0,
            honseki: Honseki {
                prefecture: String::new(),
                municipality: String::new(),
                town: name_of(g("honseki_town")),
                chiban: g("honseki_chiban").display(),
                display: text_or_empty(g("honseki")),
            },
            hittosha: PersonName {
                uji: text_or_empty(g("hittosha_uji")),
                mei: text_or_empty(g("hittosha_mei")),
            },
            uji_furigana: furigana(g("uji_furigana"), g("uji_furigana_status")),
            status,
            jiko,
            persons,
            source_key: Some(kid.clone()),
            migrated: migrated(&kr, &[], &[]),
        };
        kr.check()?;
        Ok(Built {
            koseki: PreparedKoseki::new(k).map_err(store_err)?,
            n_kjiko,
            n_mibun,
        })
    }

    /// Build and store every 戸籍 with its persons and events, then the rows that hang off
    /// them. `images` gives the checked pages of each register (by 見出し number). Calls
    /// `tick` once per 戸籍 stored.
    pub fn load(
        &self,
        store: &Store,
        images: &HashMap<String, &CheckedImage>,
        tick: &dyn Fn(u64),
    ) -> Result<Loaded, Error> {
        let mut loaded = Loaded::default();
        let mut count = |e: &str, n: u64| *loaded.by_entity.entry(e.to_string()).or_default() += n;
        let mut problems = Vec::new();

        // Group children by their parent's vendor key, keeping file order.
        let persons_of = self.grouped("person", "koseki_id");
        let kjiko_of = self.grouped("koseki_jiko", "koseki_id");
        let mibun_of = self.grouped("mibun_jiko", "person_id");

        let mut koseki_ids: HashMap<String, i64> = HashMap::new();
        let mut person_ids: HashMap<String, (i64, i64, PersonName)> = HashMap::new();
        // Building the 戸籍 values (decoding, joining events) runs on the worker pool while
        // this thread stores the previous batch: the two halves of the work overlap.
        let koseki_rows = self.rows("koseki");
        let groups = (&persons_of, &kjiko_of, &mibun_of);
        let mut stored_koseki = Garbage::new();
        pipeline(
            &koseki_rows,
            256,
            |&(f, r)| self.build_koseki(f, r, groups),
            |built| {
                let Built {
                    koseki: k,
                    n_kjiko,
                    n_mibun,
                } = built;
                let kid = k.koseki().source_key.clone().unwrap_or_default();
                let mut stored = store.insert_prepared_koseki(k).map_err(store_err)?;
                count("koseki", 1);
                count("koseki_jiko", n_kjiko);
                count("person", stored.persons.len() as u64);
                count("mibun_jiko", n_mibun);
                koseki_ids.insert(kid, stored.id);
                for p in stored.persons.iter_mut() {
                    if let Some(pid) = p.source_key.take() {
                        person_ids.insert(pid, (p.id, stored.id, std::mem::take(&mut p.name)));
                    }
                }
                stored_koseki.push(stored);
                tick(1);
                Ok(())
            },
        )?;

        // A 附票 row whose person was not loaded is a problem to report, not a row to store.
        let fuhyo = |f: &StagedFile,
                     r: &Row,
                     full: &FullRow|
         -> Result<Result<PreparedFuhyo, String>, Error> {
            let g = |n: &str| full.get(n);
            let pid = g("person_id").key();
            let Some((person_id, koseki_id, name)) = person_ids.get(&pid).cloned() else {
                return Ok(Err(format!(
                    "{} record {}: person {pid} not loaded",
                    f.spec.data, r.record
                )));
            };
            let removed = name_of(g("fuhyo_kbn")) == "除附票" || !g("shojo_date").is_empty();
            let entry = FuhyoEntry {
                id: 0,
                koseki_id,
                person_id: Some(person_id),
                seq: number(g("seq")),
                name,
                address: Address {
                    display: text_or_empty(g("address")),
                    ..Default::default()
                },
                jutei_date: date(g("jutei_date")),
                birth_date: date(g("birth_date")),
                sex: match name_of(g("sex")).as_str() {
                    "男" => Some(Sex::Male),
                    "女" => Some(Sex::Female),
                    _ => None,
                },
                juminhyo_code: Some(g("juminhyo_code").key()).filter(|s| !s.is_empty()),
                zaigai_senkyonin: if matches!(g("zaigai"), Value::Flag { on: true }) {
                    Some(Text::new(g("zaigai_lg").key()))
                } else {
                    None
                },
                removed,
                supersedes: None,
                source: FuhyoSource::Migrated,
                source_key: Some(format!("{pid}/{}", number(g("seq")))),
                // 消除 is a flag here; the 附票区分 and the 消除日 it came from are kept.
                migrated: migrated(
                    full,
                    &["fuhyo_kbn", "shojo_date"],
                    &["koseki_id", "kisai_jun"],
                ),
            };
            // The JSON is made here, on a worker thread, not by the writer.
            Ok(Ok(PreparedFuhyo::new(entry).map_err(store_err)?))
        };
        let mut stored_fuhyo = Garbage::new();
        self.pipelined("fuhyo", fuhyo, |e| {
            match e {
                Ok(e) => {
                    store.insert_prepared_fuhyo(&e).map_err(store_err)?;
                    count("fuhyo", 1);
                    stored_fuhyo.push(e);
                }
                Err(problem) => problems.push(problem),
            }
            Ok(())
        })?;

        let uketsuke = |_: &StagedFile, _: &Row, full: &FullRow| -> Result<Uketsuke, Error> {
            let g = |n: &str| full.get(n);
            let ymd = g("received_ymd").key();
            let hm = number(g("received_hm"));
            let received_at = if ymd.len() == 8 {
                format!(
                    "{}-{}-{}T{:02}:{:02}",
                    &ymd[..4],
                    &ymd[4..6],
                    &ymd[6..],
                    hm / 100,
                    hm % 100
                )
            } else {
                ymd.clone()
            };
            Ok(Uketsuke {
                id: 0,
                uketsuke_no: format!("{}-{}", g("nendo").key(), g("uketsuke_no").key()),
                received_at,
                kind: name_of(g("kind")),
                jiken_honnin: joined(g("honnin_uji"), g("honnin_mei")),
                todokede_nin: joined(g("todokenin_uji"), g("todokenin_mei")),
                honsekichi: name_of(g("honseki_kbn")) == "本籍人",
                status: match name_of(g("status")).as_str() {
                    "不受理" => UketsukeStatus::Rejected,
                    "取下げ" => UketsukeStatus::Withdrawn,
                    "記載済" => UketsukeStatus::Recorded,
                    "受理" | "送付済" => UketsukeStatus::Accepted,
                    _ => UketsukeStatus::Received,
                },
                koseki_id: koseki_ids.get(&g("koseki_ref").key()).copied(),
                note: Some(name_of(g("sofu"))).filter(|s| !s.is_empty()),
                source_key: Some(format!("{}-{}", g("nendo").key(), g("uketsuke_no").key())),
                // Two vendor states (受理, 送付済) are one status here; the vendor's is kept.
                migrated: migrated(full, &["status"], &[]),
            })
        };
        self.pipelined("uketsuke", uketsuke, |u| {
            store.insert_uketsuke(&u).map_err(store_err)?;
            count("uketsuke", 1);
            Ok(())
        })?;

        let fujuri = |_: &StagedFile, _: &Row, full: &FullRow| -> Result<FujuriMoushide, Error> {
            let g = |n: &str| full.get(n);
            Ok(FujuriMoushide {
                id: 0,
                applicant: PersonName {
                    uji: text_or_empty(g("applicant_uji")),
                    mei: text_or_empty(g("applicant_mei")),
                },
                applicant_birth_date: date(g("birth_date")),
                person_id: None,
                target_kinds: vec![name_of(g("target"))],
                aite: joined(g("aite_uji"), g("aite_mei")),
                received_date: date(g("received_date")),
                received_at_office: Some(g("office").key()).filter(|s| !s.is_empty()),
                status: match name_of(g("status")).as_str() {
                    "取下げ" => FujuriStatus::Withdrawn,
                    "失効" => FujuriStatus::Lapsed,
                    _ => FujuriStatus::Active,
                },
                source_key: Some(g("moushide_no").key()),
                migrated: migrated(full, &[], &[]),
            })
        };
        self.pipelined("fujuri", fujuri, |m| {
            store.insert_fujuri(&m).map_err(store_err)?;
            count("fujuri", 1);
            Ok(())
        })?;

        // The register's pages are stored here, not in `build`: storing is the writer's job.
        let register = |_: &StagedFile, _: &Row, full: &FullRow| -> Result<ImageRegister, Error> {
            let g = |n: &str| full.get(n);
            let kind = name_of(g("kind"));
            Ok(ImageRegister {
                id: 0,
                kind: if kind.contains("改製原") {
                    ImageRegisterKind::Kaiseigen
                } else if kind.contains("除籍") {
                    ImageRegisterKind::Joseki
                } else if kind.contains("附票") {
                    ImageRegisterKind::Fuhyo
                } else {
                    ImageRegisterKind::Other
                },
                honseki: Honseki {
                    display: text_or_empty(g("honseki")),
                    ..Default::default()
                },
                hittosha: PersonName {
                    uji: text_or_empty(g("hittosha_uji")),
                    mei: text_or_empty(g("hittosha_mei")),
                },
                names: Vec::new(),
                closed_date: date(g("closed_date")),
                pages: Vec::new(),
                source_key: Some(g("midashi_no").key()),
                migrated: migrated(full, &[], &[]),
            })
        };
        self.pipelined("image_register", register, |mut reg| {
            if let Some(img) = reg.source_key.as_ref().and_then(|no| images.get(no)) {
                // The file is stored once by its hash; each decodable page points at it.
                let sha = store
                    .put_blob(&img.bytes, "image/tiff")
                    .map_err(store_err)?;
                count("image_page", img.pages.len() as u64);
                reg.pages = img
                    .pages
                    .iter()
                    .map(|&(page_no, w, h)| ImagePage {
                        page_no,
                        sha256: sha.clone(),
                        media_type: "image/tiff".into(),
                        width: Some(w),
                        height: Some(h),
                    })
                    .collect();
            }
            store.insert_image_register(&reg).map_err(store_err)?;
            count("image_register", 1);
            Ok(())
        })?;

        // The rest of the migration scope, in tables of their own (register content).
        let person_of = |k: &str| person_ids.get(k).map(|p| p.0);
        let tokei = |_: &StagedFile, _: &Row, full: &FullRow| -> Result<Tokei, Error> {
            let g = |n: &str| full.get(n);
            Ok(Tokei {
                month: g("month").key(),
                kbn: code_name(g("tokei_kbn")),
                kind: code_name(g("kind")),
                honsekinin: count_of(g("honsekinin")),
                hihonsekinin: count_of(g("hihonsekinin")),
                koseki_count: count_of(g("koseki_count")),
                zaisekisha_count: count_of(g("zaisekisha_count")),
                joseki_count: count_of(g("joseki_count")),
            })
        };
        self.pipelined("tokei", tokei, |t| {
            store.insert_tokei(&t).map_err(store_err)?;
            count("tokei", 1);
            Ok(())
        })?;
        let kojin_jotai = |_: &StagedFile, _: &Row, full: &FullRow| -> Result<KojinJotai, Error> {
            let g = |n: &str| full.get(n);
            let pid = g("person_id").key();
            Ok(KojinJotai {
                person_id: person_of(&pid),
                source_key: Some(pid).filter(|s| !s.is_empty()),
                state: code_name(g("state")),
                shien_sochi: flag(g("shien_sochi")),
                furigana_status: code_name(g("furigana_status")),
                furigana_change_open: flag(g("furigana_change_open")),
                koiki_seigen: flag(g("koiki_seigen")),
                gaiji_count: count_of(g("gaiji_count")),
                updated: g("updated").key(),
            })
        };
        self.pipelined("kojin_jotai", kojin_jotai, |k| {
            store.insert_kojin_jotai(&k).map_err(store_err)?;
            count("kojin_jotai", 1);
            Ok(())
        })?;
        let shikibetsu =
            |_: &StagedFile, _: &Row, full: &FullRow| -> Result<ShikibetsuFugo, Error> {
                let g = |n: &str| full.get(n);
                let pid = g("person_id").key();
                Ok(ShikibetsuFugo {
                    person_id: person_of(&pid),
                    source_key: Some(pid).filter(|s| !s.is_empty()),
                    renkei_fugo: g("renkei_fugo").key(),
                    denshi_fugo: g("denshi_fugo").key(),
                    state: code_name(g("state")),
                })
            };
        self.pipelined("shikibetsu_fugo", shikibetsu, |s| {
            store.insert_shikibetsu_fugo(&s).map_err(store_err)?;
            count("shikibetsu_fugo", 1);
            Ok(())
        })?;
        let jimu_renkei = |_: &StagedFile, _: &Row, full: &FullRow| -> Result<JimuRenkei, Error> {
            let g = |n: &str| full.get(n);
            let pid = g("person_id").key();
            Ok(JimuRenkei {
                seq: g("seq").key(),
                person_id: person_of(&pid),
                person_key: Some(pid).filter(|s| !s.is_empty()),
                atena_no: g("atena_no").key(),
                juminhyo_code: g("juminhyo_code").key(),
                jushochi_lg: g("jushochi_lg").key(),
                kind: code_name(g("kind")),
                result: g("result").key(),
            })
        };
        self.pipelined("jimu_renkei", jimu_renkei, |j| {
            store.insert_jimu_renkei(&j).map_err(store_err)?;
            count("jimu_renkei", 1);
            Ok(())
        })?;

        // An entity the store has no table for (a profile may deliver 在外選挙人 apart from
        // the 附票): kept whole, as JSON lines in the store's meta table, so nothing read is
        // dropped.
        for entity in ["zaigai_senkyo"] {
            let rows = self.rows(entity);
            if rows.is_empty() {
                continue;
            }
            let mut lines = String::new();
            for (f, r) in &rows {
                let full = f.full(r, self.ctx)?;
                let obj: serde_json::Map<String, serde_json::Value> = full
                    .fields()
                    .map(|(c, v)| {
                        (
                            c.clone(),
                            serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                        )
                    })
                    .collect();
                full.check()?;
                lines.push_str(&serde_json::Value::Object(obj).to_string());
                lines.push('\n');
            }
            store
                .set_meta(&format!("migrate.rows.{entity}"), &lines)
                .map_err(store_err)?;
            count(entity, rows.len() as u64);
        }
        loaded.problems = problems;
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::Row;

    #[test]
    fn migrated_fields_are_what_no_builder_took_but_links_and_flags_that_are_off() {
        let p = crate::profile::Profile::parse(
            r#"name='t'
encoding='ascii'
[[file]]
data='T.DAT'
layout='T.cpy'
entity='fuhyo'
[file.fields]
koseki_id={field='A',as='id'}
person_id={field='B',as='id'}
kana={field='C',as='text'}
masshou={field='D',as='flag'}
gaiji_flag={field='E',as='flag'}
shojo_date={field='F',as='date'}
count={field='G',as='number'}
"#,
            "t",
        )
        .unwrap();
        let f = StagedFile::new(p.files[0].clone());
        let date = wareki::WarekiDate::parse("平成28年12月22日").unwrap();
        let value = |c: &str| match c {
            "koseki_id" => Value::Id { id: "1001".into() },
            "person_id" => Value::Id { id: "7".into() },
            "kana" => Value::Text {
                text: "スズキ".into(),
                raw: vec![0x8e, 0x8e, 0xbe],
            },
            "masshou" => Value::Flag { on: true },
            "gaiji_flag" => Value::Flag { on: false },
            "shojo_date" => Value::Date {
                date,
                vendor: "4281222".into(),
            },
            _ => Value::Empty,
        };
        let row = Row {
            record: 2,
            offset: 80,
            values: f.columns.iter().map(|c| value(c)).collect(),
        };
        let chars = crate::chars::CharMap::default();
        let tables = HashMap::new();
        let ctx = Context {
            chars: &chars,
            tables: &tables,
        };
        let full = f.full(&row, &ctx).unwrap();
        // The builder took the person and derived a flag from the 消除日.
        assert_eq!(full.get("person_id").key(), "7");
        assert!(!full.get("shojo_date").is_empty());
        let m = migrated(&full, &["shojo_date"], &["koseki_id"]);
        let got: Vec<(&str, &str, Option<&[u8]>)> = m
            .iter()
            .map(|(k, t)| (k.as_str(), t.text.as_str(), t.vendor_bytes.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("kana", "スズキ", Some(&[0x8e, 0x8e, 0xbe][..])),
                ("masshou", "true", None),
                ("shojo_date", "平成28年12月22日", None),
            ]
        );
        full.check().unwrap();
    }

    #[test]
    fn pipeline_stores_in_order_and_stops_at_the_first_error() {
        let items: Vec<u32> = (0..10_000).collect();
        let mut seen = Vec::new();
        pipeline(
            &items,
            64,
            |&i| Ok(i * 2),
            |v| {
                seen.push(v);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());

        // A build error reaches the caller; nothing after its chunk is stored.
        let mut stored = 0;
        let e = pipeline(
            &items,
            64,
            |&i| {
                if i == 700 {
                    Err(Error::Input("bad record 700".into()))
                } else {
                    Ok(i)
                }
            },
            |_| {
                stored += 1;
                Ok(())
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("bad record 700"), "{e}");
        assert!(stored < 704, "stored {stored}");

        // A store error stops the builders too.
        let e = pipeline(
            &items,
            64,
            |&i| Ok(i),
            |v| {
                if v == 3 {
                    Err(Error::Input("disk full".into()))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("disk full"), "{e}");
    }
}
