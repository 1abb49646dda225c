//! From the world to each file's records (as named values).

use crate::SampleError;
use crate::day::{self, Day};
use crate::files::{Flat, K01, K02, K03, K04, K05, K06, K07, K08, K09, K10, K11, K12, n, t};
use crate::lists::{self, Lists};
use crate::rng::Rng;
use crate::world::{self, CITY_LG, Fact, KFact, Koseki, Member, Scale, World};

fn date(flat: &mut Flat, name: &str, d: Option<Day>) {
    let v = day::gyymmdd(d);
    flat.push((format!("{name}-GENGO"), n(i128::from(v / 1_000_000))));
    flat.push((format!("{name}-YMD"), n(i128::from(v % 1_000_000))));
}

fn f(name: &str, v: parsers::Value) -> (String, parsers::Value) {
    (name.to_string(), v)
}

/// Clips text to a PIC N(n) field (the old system cut long values the same way).
fn clip(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

pub fn header(p: &str, id: &str) -> Flat {
    vec![
        f(&format!("{p}-H-REC-KBN"), t("1")),
        f(
            &format!("{p}-H-FILE-ID"),
            t(id.chars().take(8).collect::<String>()),
        ),
        f(&format!("{p}-H-LG-CD"), n(i128::from(CITY_LG))),
        f(
            &format!("{p}-H-SAKUSEI-YMD"),
            n(i128::from(day::yyyymmdd(world::kijun() + 1))),
        ),
        f(
            &format!("{p}-H-KIJUN-YMD"),
            n(i128::from(day::yyyymmdd(world::kijun()))),
        ),
        f(&format!("{p}-H-SYSTEM-ID"), t("FJKOSEKI V05L20")),
        f(&format!("{p}-H-VERSION"), n(3)),
    ]
}

pub fn trailer(p: &str, id: &str, count: usize, extra: Flat) -> Flat {
    let mut v = vec![
        f(&format!("{p}-T-REC-KBN"), t("9")),
        f(
            &format!("{p}-T-FILE-ID"),
            t(id.chars().take(8).collect::<String>()),
        ),
        f(&format!("{p}-T-REC-CNT"), n(count as i128)),
    ];
    v.extend(extra);
    v
}

/// A rendered 事項: kind code, the event's day, 届出日, items (tag code, text), counterpart.
pub struct Jiko {
    pub kind: &'static str,
    pub date: Day,
    pub todoke: Option<Day>,
    pub items: Vec<(u16, String)>,
    pub aite: Option<(u32, u32)>,
    pub filer: Option<&'static str>,
}

fn todoke_after(d: Day, k: u32) -> Day {
    d + 3 + (k % 11) as Day
}

/// The 届出日 of the 身分事項 a fact renders as.
fn todoke_of(m: &Member, fact: &Fact) -> Day {
    match fact {
        Fact::Birth { date, .. } => todoke_after(*date, m.kojin_no),
        Fact::Death { date, .. } => todoke_after(*date, m.kojin_no) - 2,
        other => other.date(),
    }
}

pub fn mibun(m: &Member) -> Vec<Jiko> {
    let mut out = Vec::new();
    for fact in &m.facts {
        let j = match fact {
            Fact::Birth {
                date,
                place,
                filer,
                sent,
            } => {
                let td = todoke_of(m, fact);
                let mut items = vec![
                    (1, day::kanji(*date)),
                    (2, place.clone()),
                    (3, day::kanji(td)),
                    (4, filer.to_string()),
                ];
                if let Some((sd, who)) = sent {
                    items.push((5, day::kanji(*sd)));
                    items.push((6, who.clone()));
                }
                Jiko {
                    kind: "01",
                    date: *date,
                    todoke: Some(td),
                    items,
                    aite: None,
                    filer: Some(filer),
                }
            }
            Fact::Marriage {
                date,
                spouse,
                juzen,
                shin,
                sho,
                aite,
            } => {
                let mut items = vec![(7, day::kanji(*date)), (8, spouse.clone())];
                if let Some(j) = juzen {
                    items.push((9, j.clone()));
                }
                if let Some(s) = shin {
                    items.push((10, s.clone()));
                }
                if let Some(s) = sho {
                    items.push((11, s.to_string()));
                }
                Jiko {
                    kind: "05",
                    date: *date,
                    todoke: Some(*date),
                    items,
                    aite: *aite,
                    filer: Some(if m.sex == 1 { "夫" } else { "妻" }),
                }
            }
            Fact::Divorce { date, spouse, shin } => {
                let mut items = vec![(12, day::kanji(*date)), (8, spouse.clone())];
                if let Some(s) = shin {
                    items.push((10, s.clone()));
                }
                Jiko {
                    kind: "06",
                    date: *date,
                    todoke: Some(*date),
                    items,
                    aite: None,
                    filer: Some(if m.sex == 1 { "夫" } else { "妻" }),
                }
            }
            Fact::Adoption {
                date,
                yofu,
                yobo,
                daidaku,
                juzen,
            } => {
                let mut items = vec![
                    (16, day::kanji(*date)),
                    (17, yofu.clone()),
                    (18, yobo.clone()),
                ];
                if *daidaku {
                    items.push((19, "親権者父母".to_string()));
                }
                items.push((9, juzen.clone()));
                Jiko {
                    kind: "03",
                    date: *date,
                    todoke: Some(*date),
                    items,
                    aite: None,
                    filer: Some("養親"),
                }
            }
            Fact::Ninchi {
                date,
                father,
                father_koseki,
            } => Jiko {
                kind: "02",
                date: *date,
                todoke: Some(*date),
                items: vec![
                    (21, day::kanji(*date)),
                    (22, father.clone()),
                    (23, father_koseki.clone()),
                ],
                aite: None,
                filer: Some("父"),
            },
            Fact::Death {
                date,
                hour,
                minute,
                place,
                filer,
            } => {
                let td = todoke_of(m, fact);
                let ampm = if *hour < 12 { "午前" } else { "午後" };
                let h = if *hour < 12 { *hour } else { *hour - 12 };
                Jiko {
                    kind: "08",
                    date: *date,
                    todoke: Some(td),
                    items: vec![
                        (28, day::kanji(*date)),
                        (29, format!("{ampm}{}時{}分", day::zen(h), day::zen(minute))),
                        (30, place.clone()),
                        (3, day::kanji(td)),
                        (4, format!("親族　{filer}")),
                    ],
                    aite: None,
                    filer: Some(filer),
                }
            }
            Fact::Bunseki { date, shin } => {
                let tag = if m.entry.0 == "09" && m.entry.1 == *date {
                    9
                } else {
                    10
                };
                Jiko {
                    kind: "11",
                    date: *date,
                    todoke: Some(*date),
                    items: vec![(41, day::kanji(*date)), (tag, shin.clone())],
                    aite: None,
                    filer: Some("本人"),
                }
            }
            Fact::Furigana { date, furigana } => Jiko {
                kind: "18",
                date: *date,
                todoke: Some(*date),
                items: vec![(49, furigana.clone()), (50, day::kanji(*date))],
                aite: None,
                filer: Some("本人"),
            },
        };
        out.push(j);
    }
    out
}

pub fn koseki_jiko(k: &Koseki) -> Vec<Jiko> {
    k.jiko
        .iter()
        .map(|kf| match kf {
            KFact::Hensei { date } => Jiko {
                kind: "01",
                date: *date,
                todoke: None,
                items: vec![(31, day::kanji(*date))],
                aite: None,
                filer: None,
            },
            KFact::Kaisei { date } => Jiko {
                kind: "02",
                date: *date,
                todoke: None,
                items: vec![
                    (32, day::kanji(*date)),
                    (
                        33,
                        "平成６年法務省令第５１号附則第２条第１項による改製".to_string(),
                    ),
                ],
                aite: None,
                filer: None,
            },
            KFact::TensekiIn { date, juzen } => Jiko {
                kind: "03",
                date: *date,
                todoke: Some(*date),
                items: vec![(34, day::kanji(*date)), (35, juzen.clone())],
                aite: None,
                filer: Some("筆頭者"),
            },
            KFact::TensekiOut { date, shin } => Jiko {
                kind: "03",
                date: *date,
                todoke: Some(*date),
                items: vec![(34, day::kanji(*date)), (10, shin.clone())],
                aite: None,
                filer: Some("筆頭者"),
            },
            KFact::Shojo { date } => Jiko {
                kind: "04",
                date: *date,
                todoke: None,
                items: vec![(36, day::kanji(*date)), (37, "全員除籍".to_string())],
                aite: None,
                filer: None,
            },
            KFact::UjiFurigana { date, furigana } => Jiko {
                kind: "07",
                date: *date,
                todoke: Some(*date),
                items: vec![(48, furigana.clone()), (47, day::kanji(*date))],
                aite: None,
                filer: None,
            },
        })
        .collect()
}

fn komoku(prefix: &str, items: &[(u16, String)], per: usize) -> Vec<(usize, Vec<(u16, String)>)> {
    let _ = prefix;
    items
        .chunks(per)
        .enumerate()
        .map(|(i, c)| (i + 1, c.to_vec()))
        .collect()
}

fn komoku_value(prefix: &str, items: &[(u16, String)]) -> parsers::Value {
    parsers::Value::Array(
        items
            .iter()
            .map(|(c, v)| {
                parsers::Value::group([
                    (format!("{prefix}-KOMOKU-CD"), t(format!("{c:03}"))),
                    (format!("{prefix}-KOMOKU-CHI"), t(clip(v, 40))),
                ])
            })
            .collect(),
    )
}

/// Uketsuke numbers by (kojin_no, jiko index): assigned when records are built.
pub type UketsukeKey = (u32, usize);

/// Where records go, file by file (`file` is an index into [`crate::files::FILES`]).
pub trait Sink {
    fn push(&mut self, file: usize, rec: Flat) -> Result<(), SampleError>;
    /// A record placed by `key` order among the file's keyed records (the 受付帳 in receipt
    /// order), after its other records.
    fn push_keyed(&mut self, file: usize, key: (Day, usize), rec: Flat) -> Result<(), SampleError>;
}

/// What the walk counted (for trailers and the manifest); the records went to the [`Sink`].
pub struct Built {
    pub persons_registered: usize,
    pub persons_removed: usize,
    pub current: usize,
    pub closed: usize,
    pub fuhyo_current: usize,
    pub fuhyo_closed: usize,
    pub uketsuke_fee_sum: i128,
    pub midashi_pages: i128,
    pub midashi_images: usize,
    /// (midashi no, 簿冊種別, page count, 本籍, 筆頭者, 編製日, 消除日) of registers whose images
    /// are delivered.
    pub images: Vec<ImageRegister>,
    pub fujuri_active: usize,
}

#[derive(Clone, Debug)]
pub struct ImageRegister {
    pub midashi: u64,
    pub kind: u8,
    pub file: String,
    pub pages: usize,
    pub honseki: String,
    pub hittosha: String,
    pub hensei: Day,
    pub shojo: Day,
    pub members: Vec<(String, Day, String)>,
}

fn todoke_code(kind: &str) -> &'static str {
    match kind {
        "01" => "01",
        "08" => "02",
        "05" => "03",
        "06" => "04",
        "03" => "05",
        "02" => "07",
        "11" => "09",
        "18" => "18",
        _ => "20",
    }
}

fn shikaku(filer: &str) -> &'static str {
    match filer {
        "父" => "01",
        "母" => "02",
        "本人" | "筆頭者" => "03",
        "夫" => "04",
        "妻" => "05",
        "養親" => "09",
        _ => "06",
    }
}

fn nendo(d: Day) -> i32 {
    let (y, m, _) = day::ymd(d);
    if m >= 4 { y } else { y - 1 }
}

fn juminhyo_code(rng: &mut Rng) -> u64 {
    // 10 digits + a modulus-11 check digit, as 住民票コード have.
    let base = 1_000_000_000 + rng.below(8_999_999_999) as u64;
    let digits: Vec<u64> = base
        .to_string()
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    let s: u64 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| d * (i as u64 % 6 + 2))
        .sum();
    let r = s % 11;
    let cd = if r <= 1 { 0 } else { 11 - r };
    base * 10 + cd
}

pub fn build(
    w: &World,
    scale: &Scale,
    lists: &Lists,
    seed: u64,
    images_wanted: Option<usize>,
    sink: &mut dyn Sink,
) -> Result<Built, SampleError> {
    let mut rng = Rng::new(seed, 2);
    let mut b = Built {
        persons_registered: 0,
        persons_removed: 0,
        current: 0,
        closed: 0,
        fuhyo_current: 0,
        fuhyo_closed: 0,
        uketsuke_fee_sum: 0,
        midashi_pages: 0,
        midashi_images: 0,
        images: Vec::new(),
        fujuri_active: 0,
    };
    let window_start = day::from_ymd(2021, 10, 1);

    // 受付帳: this city's 届出 for its own 本籍人 (in walk order), then 非本籍人 up to the
    // yearly volume. Their numbers (by 年度, in receipt order) are fixed before any record is
    // written, so 身分事項 rows carry them as they are made.
    let quota = scale.uketsuke_per_year * scale.uketsuke_years;
    let mut days: Vec<Day> = w
        .kosekis
        .iter()
        .flat_map(|k| &k.members)
        .flat_map(|m| {
            m.facts
                .iter()
                .filter(|f| !matches!(f, Fact::Furigana { .. }))
                .map(move |f| todoke_of(m, f))
        })
        .filter(|td| *td >= window_start && *td <= world::kijun())
        .collect();
    let city_uketsuke = days.len();
    let mut outside = Outsiders::new(seed, quota.saturating_sub(city_uketsuke), window_start);
    while let Some((td, _, _)) = outside.next(lists) {
        days.push(td);
    }
    let mut order: Vec<usize> = (0..days.len()).collect();
    order.sort_by_key(|&i| (days[i], i));
    let mut number_of = vec![(0i128, 0i128); days.len()];
    let mut per_nendo: std::collections::BTreeMap<i32, i128> = std::collections::BTreeMap::new();
    for &i in &order {
        let ny = nendo(days[i]);
        let c = per_nendo.entry(ny).or_insert(0);
        *c += 1;
        number_of[i] = (i128::from(ny), *c);
    }
    drop(order);
    drop(days);
    let mut uketsuke_seen = 0usize;
    let mut k12_count = 0i128;
    let mut fee = 0i128;
    let mut monthly: std::collections::BTreeMap<(u32, &'static str, bool), i128> =
        std::collections::BTreeMap::new();
    let mut count_month = |td: Day, kind: &'static str, own: bool| {
        let (y, m, _) = day::ymd(td);
        *monthly.entry((y as u32 * 100 + m, kind, own)).or_insert(0) += 1;
    };

    // 見出し numbers for 平成改製原 of 改製 戸籍 come first.
    let mut midashi_no: u64 = 1_000_000_000;
    let mut kaiseigen: Vec<(u64, &Koseki)> = Vec::new();
    for k in &w.kosekis {
        if k.kaisei.is_some() && kaiseigen.len() < scale.midashi[1] {
            midashi_no += 1;
            kaiseigen.push((midashi_no, k));
        }
    }
    let kaiseigen_of: std::collections::BTreeMap<u32, u64> =
        kaiseigen.iter().map(|(m, k)| (k.no, *m)).collect();

    for k in &w.kosekis {
        let head = k.members.first();
        if k.closed {
            b.closed += 1;
        } else {
            b.current += 1;
        }
        let kj = koseki_jiko(k);
        let mut r = vec![
            f("K01-REC-KBN", t("2")),
            f("K01-KOSEKI-NO", n(i128::from(k.no))),
            f("K01-KOSEKI-KBN", t(if k.closed { "2" } else { "1" })),
            f(
                "K01-HONSEKI-CHOAZA-CD",
                n(i128::from(lists.choaza[k.choaza].code)),
            ),
            f("K01-HONSEKI-CHIBAN", t(clip(&k.chiban, 12))),
            f("K01-HONSEKI-HYOJI", t(clip(&k.honseki, 40))),
            f(
                "K01-HITTOSHA-UJI",
                t(head.map(|m| m.name.uji.clone()).unwrap_or_default()),
            ),
            f(
                "K01-HITTOSHA-MEI",
                t(head.map(|m| m.name.mei.clone()).unwrap_or_default()),
            ),
            f(
                "K01-HITTOSHA-UJI-KANA",
                t(clip(&lists::legacy_kana(&k.uji_kana), 20)),
            ),
            f(
                "K01-HITTOSHA-MEI-KANA",
                t(clip(
                    &head
                        .map(|m| lists::legacy_kana(&m.mei_kana))
                        .unwrap_or_default(),
                    20,
                )),
            ),
            f(
                "K01-HITTOSHA-KOJIN-NO",
                n(i128::from(head.map_or(0, |m| m.kojin_no))),
            ),
            f(
                "K01-UJI-FURIGANA",
                t(k.uji_furigana
                    .as_ref()
                    .map(|u| u.0.clone())
                    .unwrap_or_default()),
            ),
            f(
                "K01-UJI-FURIGANA-KBN",
                t(k.uji_furigana
                    .as_ref()
                    .map_or("0".to_string(), |u| u.1.to_string())),
            ),
            f(
                "K01-HENSEI-JIYU-CD",
                t(if k.kaisei.is_some() {
                    "04"
                } else {
                    k.hensei_jiyu
                }),
            ),
            f("K01-JOSEKI-JIYU-CD", t(k.joseki.map_or("", |j| j.0))),
            f("K01-ZAISEKI-SU", n(k.registered() as i128)),
            f("K01-KISAI-SU", n(k.members.len() as i128)),
            f("K01-KJIKO-SU", n(kj.len() as i128)),
            f(
                "K01-KOSHIN-YMD",
                n(i128::from(day::yyyymmdd(
                    k.joseki
                        .map_or(world::kijun() - (k.no % 700) as Day, |j| j.1),
                ))),
            ),
            f("K01-KOSHIN-HMS", n(i128::from(90_000 + (k.no % 80_000)))),
            f(
                "K01-KAISEIGEN-MIDASHI-NO",
                n(i128::from(kaiseigen_of.get(&k.no).copied().unwrap_or(0))),
            ),
        ];
        date(&mut r, "K01-HENSEI-DATE", Some(k.hensei));
        date(&mut r, "K01-KAISEI-DATE", k.kaisei);
        date(&mut r, "K01-JOSEKI-DATE", k.joseki.map(|j| j.1));
        sink.push(K01, r)?;

        for (si, j) in kj.iter().enumerate() {
            for (eda, chunk) in komoku("K02", &j.items, 5) {
                let mut r = vec![
                    f("K02-REC-KBN", t("2")),
                    f("K02-KOSEKI-NO", n(i128::from(k.no))),
                    f("K02-JIKO-SEQ", n(si as i128 + 1)),
                    f("K02-EDA-NO", n(eda as i128)),
                    f("K02-JIKO-SHUBETSU-CD", t(j.kind)),
                    f("K02-KOMOKU-SU", n(chunk.len() as i128)),
                    f("K02-KOMOKU", komoku_value("K02", &chunk)),
                    f("K02-MASSHO-FLG", t("0")),
                ];
                date(&mut r, "K02-JIKO-DATE", Some(j.date));
                sink.push(K02, r)?;
            }
        }

        for (mi, m) in k.members.iter().enumerate() {
            let registered = !k.closed && m.removal.is_none();
            if registered {
                b.persons_registered += 1;
            } else {
                b.persons_removed += 1;
            }
            let removal = m.removal.or(k.joseki);
            let js = mibun(m);
            let gaiji = m
                .name
                .full()
                .chars()
                .filter(|c| ('\u{E000}'..='\u{F8FF}').contains(c))
                .count();
            let mut r = vec![
                f("K03-REC-KBN", t("2")),
                f("K03-KOSEKI-NO", n(i128::from(k.no))),
                f("K03-KISAI-JUN", n(mi as i128 + 1)),
                f("K03-KOJIN-NO", n(i128::from(m.kojin_no))),
                f("K03-UJI", t(m.name.uji.clone())),
                f("K03-MEI", t(m.name.mei.clone())),
                f(
                    "K03-UJI-KANA",
                    t(clip(&lists::legacy_kana(&m.uji_kana), 20)),
                ),
                f(
                    "K03-MEI-KANA",
                    t(clip(&lists::legacy_kana(&m.mei_kana), 20)),
                ),
                f(
                    "K03-MEI-FURIGANA",
                    t(m.furigana.clone().unwrap_or_default()),
                ),
                f("K03-FURIGANA-KBN", t(m.furigana_kbn.to_string())),
                f("K03-SEIBETSU-CD", t(m.sex.to_string())),
                f("K03-FATHER-UJI", t(m.father.uji.clone())),
                f("K03-FATHER-MEI", t(m.father.mei.clone())),
                f("K03-MOTHER-UJI", t(m.mother.uji.clone())),
                f("K03-MOTHER-MEI", t(m.mother.mei.clone())),
                f("K03-ZOKUGARA-CD", t(m.zokugara)),
                f(
                    "K03-YOFU-UJI",
                    t(m.adoptive
                        .as_ref()
                        .map(|a| a.0.uji.clone())
                        .unwrap_or_default()),
                ),
                f(
                    "K03-YOFU-MEI",
                    t(m.adoptive
                        .as_ref()
                        .map(|a| a.0.mei.clone())
                        .unwrap_or_default()),
                ),
                f(
                    "K03-YOBO-UJI",
                    t(m.adoptive
                        .as_ref()
                        .map(|a| a.1.uji.clone())
                        .unwrap_or_default()),
                ),
                f(
                    "K03-YOBO-MEI",
                    t(m.adoptive
                        .as_ref()
                        .map(|a| a.1.mei.clone())
                        .unwrap_or_default()),
                ),
                f(
                    "K03-YO-ZOKUGARA-CD",
                    t(if m.adoptive.is_some() {
                        if m.sex == 1 { "31" } else { "32" }
                    } else {
                        ""
                    }),
                ),
                f("K03-HAIGUSHA-KBN", t(m.haigusha.to_string())),
                f("K03-JOSEKI-KBN", t(if registered { "0" } else { "1" })),
                f(
                    "K03-JOSEKI-JIYU-CD",
                    t(if registered {
                        ""
                    } else {
                        removal.map_or("11", |r| r.0)
                    }),
                ),
                f(
                    "K03-NYUSEKI-JIYU-CD",
                    t(if m.iki == 1 { "04" } else { m.entry.0 }),
                ),
                f("K03-MIBUN-SU", n(js.len() as i128)),
                f("K03-GAIJI-FLG", t(if gaiji > 0 { "1" } else { "0" })),
            ];
            date(&mut r, "K03-BIRTH-DATE", Some(m.birth));
            date(
                &mut r,
                "K03-JOSEKI-DATE",
                if registered {
                    None
                } else {
                    removal.map(|r| r.1)
                },
            );
            date(
                &mut r,
                "K03-NYUSEKI-DATE",
                Some(if m.iki == 1 {
                    k.kaisei.unwrap_or(m.entry.1)
                } else {
                    m.entry.1
                }),
            );
            sink.push(K03, r)?;

            for (si, j) in js.iter().enumerate() {
                // 届出 received here in the 受付帳 window.
                let mut uk = (0i128, 0i128);
                if let (Some(td), Some(filer)) = (j.todoke, j.filer)
                    && td >= window_start
                    && td <= world::kijun()
                    && j.kind != "18"
                {
                    let mut row = vec![
                        f("K06-REC-KBN", t("2")),
                        f("K06-UKETSUKE-YMD", n(i128::from(day::yyyymmdd(td)))),
                        f(
                            "K06-UKETSUKE-HM",
                            n(i128::from(
                                830 + (m.kojin_no % 9) * 100 + (m.kojin_no % 6) * 10,
                            )),
                        ),
                        f("K06-TODOKE-SHUBETSU-CD", t(todoke_code(j.kind))),
                        f("K06-HONSEKI-KBN", t("1")),
                        f("K06-HONNIN-UJI", t(m.name.uji.clone())),
                        f("K06-HONNIN-MEI", t(m.name.mei.clone())),
                        f("K06-TODOKENIN-SHIKAKU-CD", t(shikaku(filer))),
                        f(
                            "K06-TODOKENIN-UJI",
                            t(if filer == "父" {
                                m.father.uji.clone()
                            } else if filer == "母" {
                                m.mother.uji.clone()
                            } else {
                                m.name.uji.clone()
                            }),
                        ),
                        f(
                            "K06-TODOKENIN-MEI",
                            t(if filer == "父" {
                                m.father.mei.clone()
                            } else if filer == "母" {
                                m.mother.mei.clone()
                            } else {
                                m.name.mei.clone()
                            }),
                        ),
                        f("K06-HONSEKI-HYOJI", t(clip(&k.honseki, 40))),
                        f("K06-KOSEKI-NO", n(i128::from(k.no))),
                        f("K06-SHORI-JOKYO-CD", t("4")),
                        f(
                            "K06-KESSAI-YMD",
                            n(i128::from(day::yyyymmdd(td + 1 + (m.kojin_no % 3) as Day))),
                        ),
                        f("K06-SOFU-KBN", t("0")),
                        f("K06-SOFU-LG-CD", n(0)),
                        f("K06-TESURYO", n(0)),
                        f(
                            "K06-TODOKESHO-ID",
                            t(if td >= day::from_ymd(2024, 3, 1) {
                                format!("T{:019}", u64::from(m.kojin_no) * 1000 + si as u64)
                            } else {
                                String::new()
                            }),
                        ),
                        f(
                            "K06-HONNIN-KAKUNIN-CD",
                            t(["1", "2", "2", "3", "4"][(m.kojin_no % 5) as usize]),
                        ),
                    ];
                    let u = uketsuke_seen;
                    uketsuke_seen += 1;
                    let (ny, no) = number_of[u];
                    row.insert(1, f("K06-UKETSUKE-NENDO", n(ny)));
                    row.insert(2, f("K06-UKETSUKE-NO", n(no)));
                    count_month(td, todoke_code(j.kind), true);
                    sink.push_keyed(K06, (td, u), row)?;
                    uk = (ny, no);
                }
                for (eda, chunk) in komoku("K04", &j.items, 10) {
                    let mut r = vec![
                        f("K04-REC-KBN", t("2")),
                        f("K04-KOSEKI-NO", n(i128::from(k.no))),
                        f("K04-KISAI-JUN", n(mi as i128 + 1)),
                        f("K04-KOJIN-NO", n(i128::from(m.kojin_no))),
                        f("K04-JIKO-SEQ", n(si as i128 + 1)),
                        f("K04-EDA-NO", n(eda as i128)),
                        f("K04-JIKO-SHUBETSU-CD", t(j.kind)),
                        f("K04-UKETSUKE-NENDO", n(uk.0)),
                        f("K04-UKETSUKE-NO", n(uk.1)),
                        f("K04-IKI-KBN", t(m.iki.to_string())),
                        f("K04-KOMOKU-SU", n(chunk.len() as i128)),
                        f("K04-KOMOKU", komoku_value("K04", &chunk)),
                        f(
                            "K04-AITE-KOSEKI-NO",
                            n(i128::from(j.aite.map_or(0, |a| a.0))),
                        ),
                        f(
                            "K04-AITE-KOJIN-NO",
                            n(i128::from(j.aite.map_or(0, |a| a.1))),
                        ),
                        f("K04-MASSHO-FLG", t("0")),
                    ];
                    date(&mut r, "K04-JIKEN-DATE", Some(j.date));
                    date(&mut r, "K04-TODOKE-DATE", j.todoke);
                    sink.push(K04, r)?;
                }
            }

            // 附票.
            let jumin = (registered && m.fuhyo.last().is_some_and(|f| f.lg != 0))
                .then(|| juminhyo_code(&mut rng));
            let fuhyo_kbn = if k.closed { "2" } else { "1" };
            let nrows = m.fuhyo.len();
            for (fi, row) in m.fuhyo.iter().enumerate() {
                if k.closed {
                    b.fuhyo_closed += 1;
                } else {
                    b.fuhyo_current += 1;
                }
                let last = fi + 1 == nrows;
                let since_2022 = removal.is_none_or(|r| r.1 >= day::from_ymd(2022, 1, 11));
                let mut r = vec![
                    f("K05-REC-KBN", t("2")),
                    f("K05-KOSEKI-NO", n(i128::from(k.no))),
                    f("K05-KISAI-JUN", n(mi as i128 + 1)),
                    f("K05-KOJIN-NO", n(i128::from(m.kojin_no))),
                    f("K05-FUHYO-SEQ", n(fi as i128 + 1)),
                    f("K05-FUHYO-KBN", t(fuhyo_kbn)),
                    f("K05-JUSHO-LG-CD", n(i128::from(row.lg))),
                    f("K05-JUSHO-HYOJI", t(clip(&row.address, 50))),
                    f("K05-KISAI-JIYU-CD", t(row.jiyu)),
                    f(
                        "K05-TSUCHI-KBN",
                        t(if row.lg == CITY_LG { "2" } else { "1" }),
                    ),
                    f("K05-SHOJO-JIYU-CD", t(row.shojo.map_or("", |s| s.1))),
                    f(
                        "K05-JUMINHYO-CD",
                        n(if last { jumin.map_or(0, i128::from) } else { 0 }),
                    ),
                    f(
                        "K05-SEIBETSU-CD",
                        t(if since_2022 {
                            m.sex.to_string()
                        } else {
                            String::new()
                        }),
                    ),
                    f(
                        "K05-ZAIGAI-KBN",
                        t(if row.zaigai.is_some() { "1" } else { "0" }),
                    ),
                    f(
                        "K05-ZAIGAI-LG-CD",
                        n(i128::from(row.zaigai.map_or(0, |z| z.0))),
                    ),
                ];
                date(&mut r, "K05-JUTEI-DATE", Some(row.jutei));
                date(&mut r, "K05-SHOJO-DATE", row.shojo.map(|s| s.0));
                date(&mut r, "K05-BIRTH-DATE", since_2022.then_some(m.birth));
                date(&mut r, "K05-ZAIGAI-DATE", row.zaigai.map(|z| z.1));
                sink.push(K05, r)?;
            }

            // 個人状態.
            let jotai = if registered {
                if m.fuhyo.last().is_some_and(|f| f.lg == 0) {
                    "4"
                } else {
                    "1"
                }
            } else if matches!(m.removal, Some(("02", _))) {
                "3"
            } else {
                "2"
            };
            sink.push(
                K10,
                vec![
                    f("K10-REC-KBN", t("2")),
                    f("K10-KOJIN-NO", n(i128::from(m.kojin_no))),
                    f("K10-KOSEKI-NO", n(i128::from(k.no))),
                    f("K10-KISAI-JUN", n(mi as i128 + 1)),
                    f("K10-JOTAI-KBN", t(jotai)),
                    f("K10-SHIEN-SOCHI-FLG", t(if m.shien { "1" } else { "0" })),
                    f(
                        "K10-SHIEN-KIGEN-YMD",
                        n(if m.shien {
                            i128::from(day::yyyymmdd(world::kijun() + 200))
                        } else {
                            0
                        }),
                    ),
                    f("K10-FURIGANA-JOTAI-CD", t(m.furigana_kbn.to_string())),
                    f(
                        "K10-FURIGANA-HENKO-KA",
                        t(if m.furigana_kbn == 3 { "1" } else { "0" }),
                    ),
                    f("K10-KOIKI-SEIGEN-FLG", t(if m.shien { "1" } else { "0" })),
                    f("K10-GAIJI-SU", n(gaiji as i128)),
                    f(
                        "K10-KOSHIN-NICHIJI",
                        n(
                            i128::from(day::yyyymmdd(world::kijun() - (m.kojin_no % 900) as Day))
                                * 1_000_000
                                + 173_000,
                        ),
                    ),
                ],
            )?;

            // 識別符号 (persons in current 戸籍) and 事務内連携.
            if registered {
                let fugo = format!(
                    "{:016X}",
                    (u64::from(m.kojin_no).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed) >> 4
                );
                let denshi = (m.kojin_no % 37 == 0).then(|| {
                    format!(
                        "D{:015}",
                        u64::from(m.kojin_no) * 7919 % 1_000_000_000_000_000
                    )
                });
                sink.push(
                    K11,
                    vec![
                        f("K11-REC-KBN", t("2")),
                        f("K11-KOJIN-NO", n(i128::from(m.kojin_no))),
                        f("K11-KOSEKI-NO", n(i128::from(k.no))),
                        f("K11-KISAI-JUN", n(mi as i128 + 1)),
                        f("K11-RENKEI-FUGO", t(fugo)),
                        f("K11-DENSHI-FUGO", t(denshi.clone().unwrap_or_default())),
                        f(
                            "K11-HAKKO-YMD",
                            n(if denshi.is_some() {
                                i128::from(day::yyyymmdd(world::kijun() - 40))
                            } else {
                                0
                            }),
                        ),
                        f(
                            "K11-YUKO-KIGEN-YMD",
                            n(if denshi.is_some() {
                                i128::from(day::yyyymmdd(world::kijun() + 50))
                            } else {
                                0
                            }),
                        ),
                        f(
                            "K11-FUKUHON-YMD",
                            n(i128::from(day::yyyymmdd(world::kijun()))),
                        ),
                        f("K11-RENKEI-JOTAI-CD", t("1")),
                    ],
                )?;
                if let Some(code) = jumin {
                    let lg = m.fuhyo.last().map_or(0, |f| f.lg);
                    for (kind, d) in [
                        ("03", day::from_ymd(2024, 5, 27)),
                        (
                            "02",
                            m.fuhyo
                                .last()
                                .map_or(world::kijun(), |f| f.jutei.max(day::from_ymd(2003, 3, 1))),
                        ),
                    ] {
                        k12_count += 1;
                        let seq = k12_count;
                        sink.push(
                            K12,
                            vec![
                                f("K12-REC-KBN", t("2")),
                                f("K12-RENKEI-SEQ", n(seq)),
                                f("K12-KOJIN-NO", n(i128::from(m.kojin_no))),
                                f(
                                    "K12-ATENA-NO",
                                    n(if lg == CITY_LG {
                                        100_000_000_000_000 + i128::from(m.kojin_no)
                                    } else {
                                        0
                                    }),
                                ),
                                f("K12-JUMINHYO-CD", n(i128::from(code))),
                                f("K12-JUSHOCHI-LG-CD", n(i128::from(lg))),
                                f("K12-RENKEI-SHUBETSU-CD", t(kind)),
                                f("K12-RENKEI-YMD", n(i128::from(day::yyyymmdd(d)))),
                                f("K12-SHORI-KEKKA-CD", t("0")),
                            ],
                        )?;
                    }
                }
            }
        }
    }

    let mut outside = Outsiders::new(seed, quota.saturating_sub(city_uketsuke), window_start);
    let mut u = city_uketsuke;
    while let Some((td, kind, mut row)) = outside.next(lists) {
        let (ny, no) = number_of[u];
        row.insert(1, f("K06-UKETSUKE-NENDO", n(ny)));
        row.insert(2, f("K06-UKETSUKE-NO", n(no)));
        if kind == "20" {
            fee += OUTSIDER_FEE;
        }
        count_month(td, kind, false);
        sink.push_keyed(K06, (td, u), row)?;
        u += 1;
    }
    b.uketsuke_fee_sum = fee;

    // 統計: monthly counts by 届出種別 and the month-end stock.
    let mut months: Vec<u32> = monthly.keys().map(|k| k.0).collect();
    months.dedup();
    let mut kinds: std::collections::BTreeMap<(u32, String), (i128, i128)> =
        std::collections::BTreeMap::new();
    for ((ym, kind, own), c) in &monthly {
        let e = kinds.entry((*ym, kind.to_string())).or_insert((0, 0));
        if *own {
            e.0 += c;
        } else {
            e.1 += c;
        }
    }
    let nm = months.len() as i128;
    for (i, ym) in months.iter().enumerate() {
        for ((m2, kind), (own, other)) in
            kinds.range((*ym, String::new())..(*ym + 1, String::new()))
        {
            let _ = m2;
            sink.push(
                K09,
                vec![
                    f("K09-REC-KBN", t("2")),
                    f("K09-NENGETSU", n(i128::from(*ym))),
                    f("K09-TOKEI-KBN", t("A")),
                    f("K09-TODOKE-SHUBETSU-CD", t(kind.clone())),
                    f("K09-HONSEKININ-KENSU", n(*own)),
                    f("K09-HIHONSEKININ-KENSU", n(*other)),
                ],
            )?;
        }
        let back = nm - 1 - i as i128;
        sink.push(
            K09,
            vec![
                f("K09-REC-KBN", t("2")),
                f("K09-NENGETSU", n(i128::from(*ym))),
                f("K09-TOKEI-KBN", t("B")),
                f("K09-KOSEKI-SU", n(b.current as i128 - back * 3)),
                f(
                    "K09-ZAISEKISHA-SU",
                    n(b.persons_registered as i128 + back * 25),
                ),
                f("K09-JOSEKI-SU", n(b.closed as i128 - back * 9)),
            ],
        )?;
    }

    // 不受理申出: a few adults in current 戸籍.
    let mut frng = Rng::new(seed, 4);
    let mut no = 0i128;
    for k in w.kosekis.iter().filter(|k| !k.closed) {
        for m in k.members.iter().filter(|m| m.removal.is_none()) {
            if frng.chance(0.005) && day::year(m.birth) < 2006 {
                no += 1;
                let d = world::kijun() - frng.range(10, 3_000) as Day;
                let state = ["1", "1", "1", "2", "3"][frng.below(5)];
                if state == "1" {
                    b.fujuri_active += 1;
                }
                let mut r = vec![
                    f("K07-REC-KBN", t("2")),
                    f("K07-MOUSHIDE-NO", n(20_000_000 + no)),
                    f(
                        "K07-TAISHO-CD",
                        t(["03", "04", "04", "05", "07"][frng.below(5)]),
                    ),
                    f("K07-MOUSHIDENIN-UJI", t(m.name.uji.clone())),
                    f("K07-MOUSHIDENIN-MEI", t(m.name.mei.clone())),
                    f("K07-KOSEKI-NO", n(i128::from(k.no))),
                    f("K07-HONSEKI-HYOJI", t(clip(&k.honseki, 40))),
                    f("K07-AITE-UJI", t("")),
                    f("K07-AITE-MEI", t("")),
                    f("K07-JOTAI-CD", t(state)),
                    f("K07-UKETSUKE-LG-CD", n(i128::from(CITY_LG))),
                ];
                date(&mut r, "K07-MOUSHIDE-DATE", Some(d));
                date(&mut r, "K07-BIRTH-DATE", Some(m.birth));
                date(&mut r, "K07-TORISAGE-DATE", (state != "1").then(|| d + 100));
                sink.push(K07, r)?;
            }
        }
    }

    // 見出し of image-only registers: 昭和改製原, 平成改製原, paper 除籍.
    let mut mrng = Rng::new(seed, 5);
    // Which registers get images: spread over the three kinds.
    let all = scale.midashi.iter().sum::<usize>();
    let want = images_wanted.unwrap_or(all).min(all);
    let step = all.checked_div(want).map_or(usize::MAX, |s| s.max(1));
    let mut chosen = std::collections::BTreeSet::new();
    let mut i = 0;
    while chosen.len() < want && i < all {
        chosen.insert(i);
        i += step;
    }
    let mut j = 0;
    while chosen.len() < want {
        chosen.insert(j);
        j += 1;
    }
    let mut gi = 0usize;
    for kind in [1u8, 2, 3] {
        let total = scale.midashi[usize::from(kind) - 1];
        for i in 0..total {
            let (no, honseki, hittosha, hensei, shojo, kno) = if kind == 2 && i < kaiseigen.len() {
                let (mno, k) = kaiseigen[i];
                (
                    mno,
                    k.honseki.clone(),
                    k.members.first().map(|m| m.name.full()).unwrap_or_default(),
                    k.hensei.min(world::kaisei_day() - 1),
                    world::kaisei_day(),
                    k.no,
                )
            } else {
                midashi_no += 1;
                let c = &lists.choaza[mrng.below(lists.choaza.len())];
                let honseki = format!(
                    "{}{}{}{}番地",
                    world::CITY_PREF,
                    world::CITY_NAME,
                    c.name,
                    day::zen(mrng.range(1, 2000))
                );
                let (hy, sy) = match kind {
                    1 => (1880 + mrng.below(45) as i32, 1957 + mrng.below(10) as i32),
                    2 => (1958 + mrng.below(40) as i32, 2003),
                    _ => (1875 + mrng.below(100) as i32, 1960 + mrng.below(43) as i32),
                };
                let hensei =
                    day::from_ymd(hy, 1 + mrng.below(12) as u32, 1 + mrng.below(28) as u32);
                let shojo = if kind == 2 {
                    world::kaisei_day()
                } else {
                    day::from_ymd(sy, 1 + mrng.below(12) as u32, 1 + mrng.below(28) as u32)
                };
                let s = lists.surname(&mut mrng).kanji.clone();
                let g = lists.given_name(&mut mrng, 1, hy - 25).kanji.clone();
                (midashi_no, honseki, format!("{s}{g}"), hensei, shojo, 0)
            };
            let pages = 1 + mrng.below(if kind == 2 { 4 } else { 7 });
            b.midashi_pages += pages as i128;
            let file = format!("image/{kind}/{no}.tif");
            let hit: Vec<char> = hittosha.chars().collect();
            let split = hit.len().min(2);
            let uji: String = hit[..split].iter().collect();
            let mei: String = hit[split..].iter().collect();
            let mut r = vec![
                f("K08-REC-KBN", t("2")),
                f("K08-MIDASHI-NO", n(i128::from(no))),
                f("K08-BOSATSU-SHUBETSU-CD", t(kind.to_string())),
                f("K08-BOSATSU-NO", n(i128::from(1 + (i / 200) as u32))),
                f("K08-HONSEKI-HYOJI", t(clip(&honseki, 40))),
                f("K08-HITTOSHA-UJI", t(clip(&uji, 10))),
                f("K08-HITTOSHA-MEI", t(clip(&mei, 10))),
                f("K08-HITTOSHA-KANA", t("")),
                f("K08-KOSEKI-NO", n(i128::from(kno))),
                f("K08-IMAGE-FILE", t(file.to_uppercase())),
                f("K08-PAGE-SU", n(pages as i128)),
            ];
            date(&mut r, "K08-HENSEI-DATE", Some(hensei));
            date(&mut r, "K08-SHOJO-DATE", Some(shojo));
            let has = chosen.contains(&gi);
            r.push(f("K08-IMAGE-UMU", t(if has { "1" } else { "0" })));
            sink.push(K08, r)?;
            if has {
                let mut reg = ImageRegister {
                    midashi: no,
                    kind,
                    file,
                    pages,
                    honseki,
                    hittosha,
                    hensei,
                    shojo,
                    members: Vec::new(),
                };
                let mut prng = Rng::new(seed, 0x1A6E_0000 + gi as u64);
                for _ in 0..(2 + prng.below(5)) {
                    let sex = 1 + prng.below(2) as u8;
                    let by = day::year(reg.hensei) - 30 + prng.below(40) as i32;
                    let g = lists.given_name(&mut prng, sex, by).kanji.clone();
                    reg.members.push((
                        g,
                        day::from_ymd(by, 1 + prng.below(12) as u32, 1 + prng.below(28) as u32),
                        if sex == 1 { "男".into() } else { "女".into() },
                    ));
                }
                b.images.push(reg);
            }
            gi += 1;
        }
    }
    b.midashi_images = b.images.len();
    Ok(b)
}

/// Fee of a 戸籍証明 request (届出種別 20) by a 非本籍人.
const OUTSIDER_FEE: i128 = 350;

/// 受付帳 rows of 非本籍人, drawn from their own stream: the same rows each time it is run.
struct Outsiders {
    rng: Rng,
    left: usize,
    window_start: Day,
}

impl Outsiders {
    fn new(seed: u64, count: usize, window_start: Day) -> Outsiders {
        Outsiders {
            rng: Rng::new(seed, 3),
            left: count,
            window_start,
        }
    }

    /// The next row: (受付日, 届出種別, the row without its 年度 and number).
    fn next(&mut self, lists: &Lists) -> Option<(Day, &'static str, Flat)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let outsiders = self.left;
        let extra_rng = &mut self.rng;
        let span = world::kijun() - self.window_start;
        let td = self.window_start + extra_rng.below(span as usize) as Day;
        let s = lists.surname(extra_rng);
        let (uji, _) = (s.kanji.clone(), s.kana.clone());
        let sex = 1 + extra_rng.below(2) as u8;
        let g = lists.given_name(extra_rng, sex, 1990);
        let mei = g.kanji.clone();
        let kind = ["01", "01", "02", "02", "02", "03", "04", "08", "20"][extra_rng.below(9)];
        let c = lists.city(extra_rng);
        let honseki = format!(
            "{}{}本町{}番地",
            c.pref,
            c.name,
            day::zen(extra_rng.range(1, 900))
        );
        let lg = c.lg;
        let row = vec![
            f("K06-REC-KBN", t("2")),
            f("K06-UKETSUKE-YMD", n(i128::from(day::yyyymmdd(td)))),
            f(
                "K06-UKETSUKE-HM",
                n(i128::from(
                    900 + extra_rng.below(8) as u32 * 100 + extra_rng.below(6) as u32 * 10,
                )),
            ),
            f("K06-TODOKE-SHUBETSU-CD", t(kind)),
            f("K06-HONSEKI-KBN", t("2")),
            f("K06-HONNIN-UJI", t(uji.clone())),
            f("K06-HONNIN-MEI", t(mei)),
            f(
                "K06-TODOKENIN-SHIKAKU-CD",
                t(["01", "02", "06"][extra_rng.below(3)]),
            ),
            f("K06-TODOKENIN-UJI", t(uji)),
            f(
                "K06-TODOKENIN-MEI",
                t(lists.given_name(extra_rng, 1, 1960).kanji.clone()),
            ),
            f("K06-HONSEKI-HYOJI", t(clip(&honseki, 40))),
            f("K06-KOSEKI-NO", n(0)),
            f(
                "K06-SHORI-JOKYO-CD",
                t(if extra_rng.chance(0.01) { "2" } else { "5" }),
            ),
            f("K06-KESSAI-YMD", n(i128::from(day::yyyymmdd(td + 1)))),
            f("K06-SOFU-KBN", t("2")),
            f("K06-SOFU-LG-CD", n(i128::from(lg))),
            f(
                "K06-TESURYO",
                n(if kind == "20" { OUTSIDER_FEE } else { 0 }),
            ),
            f(
                "K06-TODOKESHO-ID",
                t(if td >= day::from_ymd(2024, 3, 1) {
                    format!("T{:019}", 9_000_000_000_000u64 + outsiders as u64)
                } else {
                    String::new()
                }),
            ),
            f("K06-HONNIN-KAKUNIN-CD", t("2")),
        ];
        Some((td, kind, row))
    }
}
