//! Search latency at 1,000,000 persons.
//!
//! Builds (once; reused while it exists) a store of 250,000 戸籍 × 4 persons plus 20,000 image
//! registers (見出し only) through the same bulk-load path migrate uses. 氏 are skewed as in a
//! real city: 50 common ones (weights 1/√rank, so 佐藤 alone is about 70,000 persons; some
//! carry MJ variants: 髙, 邊 + IVS, 𠮷, 齋) and 400 rare two-kanji ones (about 250 persons
//! each); 名 are two of 32 kanji (about 1,000 persons each), with 振り仮名 and birth dates from
//! 1925 to 2024; one 戸籍 in eight is closed, one person in ten removed.
//!
//! Then it times a realistic mix of searches by class and prints p50 / p95 / p99 / max of the
//! wall time and p50 / p99 of the thread's CPU time (less sensitive to other processes on a
//! shared machine), per class and overall, with the load average before and after. Searches
//! run after a warm-up (a running server's page cache is warm), each returning the first
//! [`runtime::search::DEFAULT_HITS`] hits and a count capped at
//! [`runtime::search::COUNT_CAP`].
//!
//! Environment: `KOSEKI_BENCH_DB` (default `target/bench-search-v2-<persons>.db`),
//! `KOSEKI_BENCH_PERSONS` (default 1000000), `KOSEKI_BENCH_QUERIES` (default 6000),
//! `KOSEKI_BENCH_WARMUP` (default 1000), `KOSEKI_BENCH_LOGGED` (default 360: searches timed
//! again with their audit entry, a durable write, as staff searches are),
//! `KOSEKI_BENCH_JOURNAL=wal` (the logged searches with a write-ahead log),
//! `KOSEKI_BENCH_CACHE_MB` (another page cache size), `KOSEKI_BENCH_CLASS` (time one class
//! only), `KOSEKI_BENCH_REBUILD=1` (time a full index rebuild first), `KOSEKI_BENCH_EXPLAIN=1`
//! (print the query plans).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use runtime::bulk::BulkLoad;
use runtime::model::*;
use runtime::search::SearchQuery;
use runtime::{Key, Store};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

// (氏, 振り仮名). A few carry MJ variants so variant-insensitive matching is exercised.
const UJI: &[(&str, &str)] = &[
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("髙橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("渡邊\u{E0108}", "ワタナベ"),
    ("渡邉", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("𠮷田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("齋藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("山下", "ヤマシタ"),
    ("中島", "ナカジマ"),
    ("石井", "イシイ"),
    ("小川", "オガワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"),
    ("藤田", "フジタ"),
    ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"),
    ("村上", "ムラカミ"),
    ("遠藤", "エンドウ"),
    ("青木", "アオキ"),
    ("坂本", "サカモト"),
    ("山吹", "ヤマブキ"),
    ("若葉", "ワカバ"),
    ("桜井", "サクライ"),
    ("菊地", "キクチ"),
    ("土屋", "ツチヤ"),
];
// 名 are two of these, read as the pair of their readings.
const MEI_PARTS: &[(&str, &str)] = &[
    ("誠", "セイ"),
    ("一", "イチ"),
    ("健", "ケン"),
    ("太", "タ"),
    ("翔", "ショウ"),
    ("陽", "ヨウ"),
    ("菜", "ナ"),
    ("美", "ミ"),
    ("由", "ユ"),
    ("花", "ハナ"),
    ("子", "コ"),
    ("郎", "ロウ"),
    ("大", "ダイ"),
    ("輔", "スケ"),
    ("和", "カズ"),
    ("正", "マサ"),
    ("芳", "ヨシ"),
    ("江", "エ"),
    ("保", "タモツ"),
    ("明", "アキ"),
    ("直", "ナオ"),
    ("樹", "キ"),
    ("優", "ユウ"),
    ("真", "マ"),
    ("理", "リ"),
    ("恵", "エ"),
    ("智", "トモ"),
    ("浩", "ヒロ"),
    ("秀", "ヒデ"),
    ("幸", "ユキ"),
    ("康", "ヤス"),
    ("信", "ノブ"),
];
const TOWNS: &[&str] = &[
    "中央町一丁目",
    "中央町二丁目",
    "港南一丁目",
    "港南二丁目",
    "本町",
    "緑町",
    "大字本郷",
    "桜台",
    "旭町",
    "栄町",
];

fn person_name(rng: &mut Rng, uji: (&str, &str)) -> (PersonName, Furigana, Furigana) {
    let a = MEI_PARTS[rng.below(MEI_PARTS.len())];
    let b = MEI_PARTS[rng.below(MEI_PARTS.len())];
    let mei = format!("{}{}", a.0, b.0);
    let kana = format!("{}{}", a.1, b.1);
    (
        PersonName {
            uji: Text::new(uji.0),
            mei: Text::new(mei),
        },
        Furigana {
            kana: Text::new(uji.1),
            status: FuriganaStatus::Recorded,
        },
        Furigana {
            kana: Text::new(kana),
            status: FuriganaStatus::Recorded,
        },
    )
}

fn birth(rng: &mut Rng) -> KosekiDate {
    loop {
        let y = 1925 + rng.below(100) as i32;
        let m = 1 + rng.below(12) as u8;
        let d = 1 + rng.below(28) as u8;
        if let Some(g) = wareki::Gregorian::new(y, m, d)
            && let Ok(w) = WarekiDate::from_gregorian(g)
        {
            return KosekiDate::from_wareki(w);
        }
    }
}

// Rare 氏: one of these and one of the next (400 in all).
const RARE_A: &[(&str, &str)] = &[
    ("鶴", "ツル"),
    ("亀", "カメ"),
    ("柊", "ヒイラギ"),
    ("楓", "カエデ"),
    ("椿", "ツバキ"),
    ("榊", "サカキ"),
    ("樋", "ヒ"),
    ("蔦", "ツタ"),
    ("葛", "クズ"),
    ("萩", "ハギ"),
    ("蓮", "ハス"),
    ("菱", "ヒシ"),
    ("槙", "マキ"),
    ("楠", "クス"),
    ("檜", "ヒノキ"),
    ("栗", "クリ"),
    ("桐", "キリ"),
    ("梶", "カジ"),
    ("柳", "ヤナギ"),
    ("杉", "スギ"),
];
const RARE_B: &[(&str, &str)] = &[
    ("沢", "サワ"),
    ("川", "カワ"),
    ("谷", "タニ"),
    ("岡", "オカ"),
    ("野", "ノ"),
    ("原", "ハラ"),
    ("森", "モリ"),
    ("島", "シマ"),
    ("崎", "サキ"),
    ("尾", "オ"),
    ("浦", "ウラ"),
    ("瀬", "セ"),
    ("塚", "ツカ"),
    ("畑", "ハタ"),
    ("淵", "フチ"),
    ("江", "エ"),
    ("坂", "サカ"),
    ("堀", "ホリ"),
    ("宮", "ミヤ"),
    ("浜", "ハマ"),
];

/// A 氏 and its reading: common ones with weights 1/√rank (90 %), rare ones uniformly (10 %).
fn uji(rng: &mut Rng) -> (String, String) {
    if rng.below(10) == 0 {
        let a = RARE_A[rng.below(RARE_A.len())];
        let b = RARE_B[rng.below(RARE_B.len())];
        return (format!("{}{}", a.0, b.0), format!("{}{}", a.1, b.1));
    }
    let weights: Vec<f64> = (1..=UJI.len()).map(|r| 1.0 / (r as f64).sqrt()).collect();
    let total: f64 = weights.iter().sum();
    let mut x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
    for (u, w) in UJI.iter().zip(&weights) {
        if x < *w {
            return (u.0.to_string(), u.1.to_string());
        }
        x -= w;
    }
    (UJI[0].0.to_string(), UJI[0].1.to_string())
}

fn honseki(rng: &mut Rng, n: usize) -> Honseki {
    let town = rng.pick(TOWNS);
    let chiban = format!("{}番地", n % 3000 + 1);
    Honseki {
        prefecture: "架空県".into(),
        municipality: "みなと市".into(),
        town: town.into(),
        chiban: chiban.clone(),
        display: Text::new(format!("架空県みなと市{town}{chiban}")),
    }
}

fn koseki(rng: &mut Rng, n: usize) -> Koseki {
    let (u, u_kana) = uji(rng);
    let honseki = honseki(rng, n);
    let mut persons = Vec::new();
    for jun in 1..=4u32 {
        let (name, uji_kana, mei_kana) = person_name(rng, (&u, &u_kana));
        let b = birth(rng);
        let items = vec![
            JikoItem::new("出生日", &b.text),
            JikoItem::new("出生地", "架空県みなと市"),
            JikoItem::new("届出日", &b.text),
            JikoItem::new("届出人", "父"),
        ];
        persons.push(Person {
            id: 0,
            koseki_id: 0,
            kisai_jun: jun,
            name,
            uji_furigana: Some(uji_kana),
            mei_furigana: Some(mei_kana),
            birth_date: Some(b),
            sex: None,
            father: None,
            mother: None,
            zokugara: None,
            adoptive_father: None,
            adoptive_mother: None,
            adoptive_zokugara: None,
            spouse_kubun: None,
            removed: rng.below(10) == 0,
            removal_jiko: None,
            mibun_jiko: vec![Jiko::new(JikoKind::Shussei, items)],
            source_key: None,
            migrated: Default::default(),
        });
    }
    Koseki {
        id: 0,
        hittosha: persons[0].name.clone(),
        honseki,
        uji_furigana: persons[0].uji_furigana.clone(),
        status: if rng.below(8) == 0 {
            KosekiStatus::ZenbuJoseki
        } else {
            KosekiStatus::Genzai
        },
        jiko: vec![],
        persons,
        source_key: None,
        migrated: Default::default(),
    }
}

/// An image register's 見出し (改製原戸籍 or 除籍): 筆頭者 and three more names.
fn image_register(rng: &mut Rng, n: usize) -> ImageRegister {
    let (u, u_kana) = uji(rng);
    let mut names: Vec<PersonName> = (0..4).map(|_| person_name(rng, (&u, &u_kana)).0).collect();
    let hittosha = names.remove(0);
    ImageRegister {
        id: 0,
        kind: if n.is_multiple_of(2) {
            ImageRegisterKind::Kaiseigen
        } else {
            ImageRegisterKind::Joseki
        },
        honseki: honseki(rng, n),
        hittosha,
        names,
        closed_date: None,
        pages: vec![],
        source_key: None,
        migrated: Default::default(),
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// CPU time this thread has used.
#[allow(unsafe_code)] // one libc call; std has no thread CPU clock
fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn build(db: &std::path::Path, key: &Key, persons: usize) {
    eprintln!("building {} with {persons} persons (once) …", db.display());
    let t = Instant::now();
    let load = BulkLoad::begin(db, key).expect("begin bulk load");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for n in 0..persons / 4 {
        load.store()
            .insert_koseki(&koseki(&mut rng, n))
            .expect("insert");
        if n % 25_000 == 0 && n > 0 {
            eprintln!("  {} persons, {:.0} s", n * 4, t.elapsed().as_secs_f64());
        }
    }
    for n in 0..persons / 50 {
        load.store()
            .insert_image_register(&image_register(&mut rng, n))
            .expect("insert image register");
    }
    let s = load.finish(Some("bench")).expect("finish");
    eprintln!(
        "built: {} persons, {} image registers in {:.0} s (content {})",
        s.counts.persons,
        s.counts.image_registers,
        t.elapsed().as_secs_f64(),
        &s.content_hash[..16]
    );
}

/// The query classes, in the order they are reported.
const CLASSES: &[&str] = &[
    "氏名",
    "氏 common",
    "氏 rare",
    "名",
    "variant 氏名",
    "kana 氏名",
    "kana 氏",
    "生年月日",
    "本籍",
    "氏名+生年月日",
    "氏+本籍",
    "氏+町字",
];

/// A person of the store, as a clerk would type them.
struct Sample {
    uji: String,
    mei: String,
    kana_uji: String,
    kana_mei: String,
    /// 和暦 as recorded, and ISO.
    birth_text: String,
    birth_iso: String,
    honseki: String,
}

/// Persons drawn from the store through a connection of their own (so the measured one's page
/// cache is not warmed for them).
fn samples(db: &std::path::Path, key: &Key, n: usize, rng: &mut Rng) -> Vec<Sample> {
    let store = Store::open(db, key).expect("open bench store for sampling");
    let c = store.connection();
    let max: i64 = c
        .query_row("SELECT max(id) FROM search_card", [], |r| r.get(0))
        .expect("max card");
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let id = 1 + rng.below(max as usize) as i64;
        let row = c.query_row(
            "SELECT name, kana, birth_date, birth_gregorian, honseki FROM search_card
             WHERE id = ?1 AND person_id IS NOT NULL AND kana IS NOT NULL AND birth_gregorian IS NOT NULL",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        );
        let Ok((name, kana, birth_text, birth_iso, honseki)) = row else {
            continue;
        };
        let (Some((uji, mei)), Some((kana_uji, kana_mei))) =
            (name.split_once('\u{3000}'), kana.split_once('\u{3000}'))
        else {
            continue;
        };
        out.push(Sample {
            uji: uji.into(),
            mei: mei.into(),
            kana_uji: kana_uji.into(),
            kana_mei: kana_mei.into(),
            birth_text,
            birth_iso,
            honseki,
        });
    }
    out
}

/// A query of class `class` about the sampled person `p`.
fn query(class: usize, p: &Sample, rng: &mut Rng) -> SearchQuery {
    let full = format!("{}{}", p.uji, p.mei);
    match CLASSES[class] {
        "氏名" => SearchQuery::by_name(&full),
        "氏 common" => SearchQuery::by_name(UJI[rng.below(12)].0),
        "氏 rare" => {
            let a = RARE_A[rng.below(RARE_A.len())].0;
            let b = RARE_B[rng.below(RARE_B.len())].0;
            SearchQuery::by_name(&format!("{a}{b}"))
        }
        "名" => SearchQuery::by_name(&p.mei),
        "variant 氏名" => {
            // a variant spelling of a variant-bearing 氏, with a 名
            let v = [
                "高橋", "髙橋", "渡辺", "渡邉", "渡邊", "吉田", "𠮷田", "斎藤", "齋藤",
            ][rng.below(9)];
            SearchQuery::by_name(&format!("{v}{}", p.mei))
        }
        "kana 氏名" => SearchQuery::by_name(&format!("{} {}", p.kana_uji, p.kana_mei)),
        "kana 氏" => SearchQuery::by_name(&p.kana_uji),
        "生年月日" => SearchQuery {
            birth_date: Some(p.birth_iso.clone()),
            ..Default::default()
        },
        "本籍" => SearchQuery {
            honseki: Some(p.honseki.clone()),
            ..Default::default()
        },
        "氏名+生年月日" => SearchQuery {
            birth_date: Some(p.birth_text.clone()),
            ..SearchQuery::by_name(&full)
        },
        "氏+本籍" => SearchQuery {
            honseki: Some(p.honseki.clone()),
            ..SearchQuery::by_name(&p.uji)
        },
        _ => {
            // 本籍 without its 番地: 「架空県みなと市桜台」, a tenth of the city
            let town = p
                .honseki
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '番' || c == '地');
            SearchQuery {
                honseki: Some(town.to_string()),
                ..SearchQuery::by_name(&p.uji)
            }
        }
    }
}

fn explain(store: &Store) {
    let c = store.connection();
    for sql in [
        "SELECT card_id FROM search_key WHERE field = 'name' AND key >= 'a' AND key < 'b' ORDER BY key, card_id LIMIT 1001",
        "SELECT id FROM search_card WHERE birth_gregorian = '1970-01-01' ORDER BY id LIMIT 1001",
        "SELECT id FROM search_card WHERE koseki_id = 1 AND person_id IS NOT NULL ORDER BY koseki_id, person_id",
        "SELECT * FROM search_card c WHERE c.id = 1",
    ] {
        let mut st = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let plan: Vec<String> = st
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<Result<_, _>>()
            .expect("plan rows");
        println!("{sql}\n    -> {}", plan.join("; "));
    }
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test --benches` it is a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let persons = env_usize("KOSEKI_BENCH_PERSONS", if full { 1_000_000 } else { 2_000 });
    let queries = env_usize("KOSEKI_BENCH_QUERIES", if full { 6000 } else { 120 });
    let warmup = env_usize("KOSEKI_BENCH_WARMUP", if full { 1000 } else { 10 });
    let db = std::env::var_os("KOSEKI_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../target/bench-search-v2-{persons}.db"))
        });
    // A fixed key: the bench store holds only synthetic data.
    let key = Key::from_bytes([7u8; 32]);
    if !db.exists() {
        build(&db, &key, persons);
    }

    let mut rng = Rng(42);
    let people = samples(&db, &key, warmup + queries, &mut rng);
    let store = Store::open(&db, &key).expect("open bench store");
    let total = store.counts().expect("counts").persons;
    // KOSEKI_BENCH_CACHE_MB: try another page cache size than the store's own (64 MiB).
    if let Some(mb) = std::env::var("KOSEKI_BENCH_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
    {
        store
            .connection()
            .execute_batch(&format!("PRAGMA cache_size = {};", -mb * 1024))
            .expect("cache_size");
        println!("page cache set to {mb} MiB for this run");
    }
    if std::env::var_os("KOSEKI_BENCH_EXPLAIN").is_some() {
        explain(&store);
    }
    // KOSEKI_BENCH_REBUILD=1: time Store::rebuild_search_index on this store first.
    if std::env::var_os("KOSEKI_BENCH_REBUILD").is_some() {
        let (t, c) = (Instant::now(), thread_cpu());
        store.rebuild_search_index().expect("rebuild");
        println!(
            "rebuild_search_index: {:.1} s wall, {:.1} s CPU",
            t.elapsed().as_secs_f64(),
            thread_cpu()
                .zip(c)
                .map_or(f64::NAN, |(b, a)| (b - a).as_secs_f64())
        );
    }
    // Warm-up with other people than the measured ones: a running server's cache is warm.
    for (i, p) in people[..warmup].iter().enumerate() {
        store
            .search_results(&query(i % CLASSES.len(), p, &mut rng))
            .expect("warm-up search");
    }

    let load_before = loadavg();
    let mut wall: Vec<Vec<Duration>> = vec![Vec::new(); CLASSES.len()];
    let mut cpu: Vec<Vec<Duration>> = vec![Vec::new(); CLASSES.len()];
    let mut hits = vec![0usize; CLASSES.len()];
    let mut cut = vec![0usize; CLASSES.len()];
    // KOSEKI_BENCH_CLASS: time only the class of that name (for profiling).
    let only = std::env::var("KOSEKI_BENCH_CLASS").ok();
    for (i, p) in people[warmup..].iter().enumerate() {
        let class = i % CLASSES.len();
        if only.as_deref().is_some_and(|o| o != CLASSES[class]) {
            continue;
        }
        let q = query(class, p, &mut rng);
        let c0 = thread_cpu();
        let t = Instant::now();
        let r = store.search_results(&q).expect("search");
        wall[class].push(t.elapsed());
        if let (Some(a), Some(b)) = (c0, thread_cpu()) {
            cpu[class].push(b.saturating_sub(a));
        }
        hits[class] += r.hits.len();
        cut[class] += usize::from(r.truncated());
    }
    let load_after = loadavg();

    println!(
        "search over {total} persons, {queries} queries after {warmup} warm-up, first {} hits + count capped at {} ({})",
        runtime::search::DEFAULT_HITS,
        runtime::search::COUNT_CAP,
        db.display()
    );
    println!("load average before: {load_before}; after: {load_after} (2 CPUs)");
    println!(
        "{:<16} {:>5} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>6} {:>5}",
        "class", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "cpu p50", "cpu p99", "hits", "cut%"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut all_wall: Vec<Duration> = Vec::new();
    let mut all_cpu: Vec<Duration> = Vec::new();
    let row = |name: &str, w: &mut Vec<Duration>, c: &mut Vec<Duration>, h: f64, cut: f64| {
        w.sort();
        c.sort();
        let (c50, c99) = if c.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (ms(percentile(c, 0.5)), ms(percentile(c, 0.99)))
        };
        println!(
            "{:<16} {:>5} {:>8.3} {:>8.3} {:>8.3} {:>8.3} | {:>8.3} {:>8.3} | {:>6.1} {:>5.0}",
            name,
            w.len(),
            ms(percentile(w, 0.5)),
            ms(percentile(w, 0.95)),
            ms(percentile(w, 0.99)),
            ms(*w.last().unwrap()),
            c50,
            c99,
            h,
            cut * 100.0
        );
    };
    for (k, name) in CLASSES.iter().enumerate() {
        if wall[k].is_empty() {
            continue;
        }
        all_wall.extend_from_slice(&wall[k]);
        all_cpu.extend_from_slice(&cpu[k]);
        let n = wall[k].len().max(1) as f64;
        row(
            name,
            &mut wall[k],
            &mut cpu[k],
            hits[k] as f64 / n,
            cut[k] as f64 / n,
        );
    }
    let n = queries.max(1) as f64;
    row(
        "ALL",
        &mut all_wall,
        &mut all_cpu,
        hits.iter().sum::<usize>() as f64 / n,
        cut.iter().sum::<usize>() as f64 / n,
    );

    // A staff search also appends its audit entry (a durable write): the same mix, logged.
    let logged = env_usize("KOSEKI_BENCH_LOGGED", if full { 360 } else { 12 });
    // KOSEKI_BENCH_JOURNAL=wal: the same with a write-ahead log (what the audit append would
    // cost if the store used one); the bench store is put back to its rollback journal after.
    let wal = std::env::var("KOSEKI_BENCH_JOURNAL").is_ok_and(|j| j == "wal");
    if wal {
        store
            .connection()
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .expect("wal");
    }
    let mut w = Vec::new();
    let mut c = Vec::new();
    let mut h = 0usize;
    for (i, p) in people[warmup..].iter().take(logged).enumerate() {
        let q = query(i % CLASSES.len(), p, &mut rng);
        let c0 = thread_cpu();
        let t = Instant::now();
        let r = store
            .search_results_logged(&q, "bench", "bench")
            .expect("logged search");
        w.push(t.elapsed());
        if let (Some(a), Some(b)) = (c0, thread_cpu()) {
            c.push(b.saturating_sub(a));
        }
        h += r.hits.len();
    }
    if !w.is_empty() {
        let n = w.len() as f64;
        let name = if wal {
            "ALL + audit WAL"
        } else {
            "ALL + audit"
        };
        row(name, &mut w, &mut c, h as f64 / n, f64::NAN);
    }
    if wal {
        store
            .connection()
            .execute_batch("PRAGMA journal_mode = DELETE;")
            .expect("back to the rollback journal");
    }
}
