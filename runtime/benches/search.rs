//! Search latency at 1,000,000 persons.
//!
//! Builds (once; reused while it exists) a store of 250,000 戸籍 × 4 persons with synthetic
//! names — common 氏 with MJ variants (髙, 邊 + IVS, 𠮷), two-kanji 名, 振り仮名, birth dates
//! from 1925 to 2024 — through the same bulk-load path migrate uses, then times a mix of
//! searches (exact 氏名, 氏 prefix, 名, variant spelling, kana, 生年月日, 本籍) and prints
//! p50 / p95 / p99 / max per kind and overall.
//!
//! Environment: `KOSEKI_BENCH_DB` (default `target/bench-search-1m.db`), `KOSEKI_BENCH_PERSONS`
//! (default 1000000), `KOSEKI_BENCH_QUERIES` (default 3000).

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

fn koseki(rng: &mut Rng, n: usize) -> Koseki {
    let uji = UJI[rng.below(UJI.len())];
    let town = rng.pick(TOWNS);
    let chiban = format!("{}番地", n % 3000 + 1);
    let honseki = Honseki {
        prefecture: "架空県".into(),
        municipality: "みなと市".into(),
        town: town.into(),
        chiban: chiban.clone(),
        display: Text::new(format!("架空県みなと市{town}{chiban}")),
    };
    let mut persons = Vec::new();
    for jun in 1..=4u32 {
        let (name, uji_kana, mei_kana) = person_name(rng, uji);
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

fn main() {
    // `cargo bench` passes --bench; under `cargo test --benches` it is a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let persons = env_usize("KOSEKI_BENCH_PERSONS", if full { 1_000_000 } else { 2_000 });
    let queries = env_usize("KOSEKI_BENCH_QUERIES", if full { 3000 } else { 140 });
    let db = std::env::var_os("KOSEKI_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../target/bench-search-{persons}.db"))
        });
    // A fixed key: the bench store holds only synthetic data.
    let key = Key::from_bytes([7u8; 32]);

    if !db.exists() {
        eprintln!("building {} with {persons} persons (once) …", db.display());
        let t = Instant::now();
        let load = BulkLoad::begin(&db, &key).expect("begin bulk load");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for n in 0..persons / 4 {
            load.store()
                .insert_koseki(&koseki(&mut rng, n))
                .expect("insert");
            if n % 25_000 == 0 && n > 0 {
                eprintln!("  {} persons, {:.0} s", n * 4, t.elapsed().as_secs_f64());
            }
        }
        let s = load.finish(Some("bench")).expect("finish");
        eprintln!(
            "built: {} persons in {:.0} s (content {})",
            s.counts.persons,
            t.elapsed().as_secs_f64(),
            &s.content_hash[..16]
        );
    }

    let store = Store::open(&db, &key).expect("open bench store");
    let total = store.counts().expect("counts").persons;
    // Warm up: first use pulls pages and prepares statements.
    let _ = store
        .search(&SearchQuery::by_name("佐藤"))
        .expect("warm-up search");

    let mut rng = Rng(42);
    let kinds = [
        "exact 氏名",
        "氏 prefix",
        "名",
        "variant 氏名",
        "kana 氏名",
        "生年月日",
        "本籍",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); kinds.len()];
    let mut hits_total = 0usize;
    for i in 0..queries {
        let kind = i % kinds.len();
        let mut probe = Rng(rng.next());
        let k = koseki(&mut probe, 0);
        let p = &k.persons[probe.below(4)];
        let q = match kind {
            0 => SearchQuery::by_name(&format!("{}{}", p.name.uji.text, p.name.mei.text)),
            1 => SearchQuery::by_name(&p.name.uji.text),
            2 => SearchQuery::by_name(&p.name.mei.text),
            3 => {
                // search a variant spelling of a variant-bearing 氏
                let v = ["高橋", "渡辺", "吉田", "斉藤", "髙橋", "渡邉"][probe.below(6)];
                SearchQuery::by_name(&format!("{v}{}", p.name.mei.text))
            }
            4 => SearchQuery::by_name(&format!(
                "{}{}",
                p.uji_furigana
                    .as_ref()
                    .map(|f| f.kana.text.as_str())
                    .unwrap_or(""),
                p.mei_furigana
                    .as_ref()
                    .map(|f| f.kana.text.as_str())
                    .unwrap_or("")
            )),
            5 => SearchQuery {
                birth_date: p.birth_date.as_ref().and_then(|d| d.gregorian.clone()),
                ..Default::default()
            },
            _ => SearchQuery {
                honseki: Some(k.honseki.display.text.clone()),
                ..Default::default()
            },
        };
        let t = Instant::now();
        let hits = store.search(&q).expect("search");
        times[kind].push(t.elapsed());
        hits_total += hits.len();
    }

    println!(
        "search latency over {total} persons, {queries} queries (limit 100 hits each), {}",
        db.display()
    );
    println!(
        "{:<14} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "kind", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut all: Vec<Duration> = Vec::new();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for (k, ts) in kinds.iter().zip(times.iter_mut()) {
        ts.sort();
        all.extend_from_slice(ts);
        println!(
            "{:<14} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            k,
            ts.len(),
            ms(percentile(ts, 0.5)),
            ms(percentile(ts, 0.95)),
            ms(percentile(ts, 0.99)),
            ms(*ts.last().unwrap())
        );
    }
    all.sort();
    println!(
        "{:<14} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3}   (mean hits {:.1})",
        "ALL",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap()),
        hits_total as f64 / queries as f64
    );
}
