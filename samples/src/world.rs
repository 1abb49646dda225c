//! The synthetic city: 戸籍, their members and the facts of their lives, built so that the
//! numbers come out exactly (current 戸籍, 全部除籍, registered persons) and the families make
//! sense (ages, marriages that link two 戸籍 both ways, births, deaths, moves, adoptions, 認知).
//!
//! Facts are generated first; the tagged 身分事項 / 戸籍事項 text is rendered from them at the end
//! (`events`), so that linking can still change who married whom.

use crate::day::{self, Day};
use crate::gaiji::Variants;
use crate::lists::{self, Lists};
use crate::rng::Rng;

/// 抽出基準日: the data are as of this day.
pub fn kijun() -> Day {
    day::from_ymd(2026, 9, 30)
}
/// The city's computerisation (平成改製) day.
pub fn kaisei_day() -> Day {
    day::from_ymd(2003, 3, 1)
}
/// 氏名の振り仮名 recorded from this day on.
pub fn furigana_day() -> Day {
    day::from_ymd(2025, 5, 26)
}

pub const CITY_PREF: &str = "架空県";
pub const CITY_NAME: &str = "みなと市";
pub const CITY_LG: u32 = 990_001;

/// How many of each thing, for a given `--persons`.
#[derive(Clone, Debug)]
pub struct Scale {
    pub koseki_current: usize,
    pub koseki_closed: usize,
    pub persons_registered: usize,
    pub uketsuke_per_year: usize,
    pub uketsuke_years: usize,
    pub midashi: [usize; 3],
}

impl Scale {
    pub fn for_persons(persons: usize) -> Scale {
        let f = persons as f64 / 80_333.0;
        let s = |n: f64| ((n * f).round() as usize).max(1);
        let current = s(33_480.0).min(persons.max(1));
        Scale {
            koseki_current: current,
            koseki_closed: s(12_389.0),
            persons_registered: persons.max(current),
            uketsuke_per_year: s(2_609.0),
            uketsuke_years: 5,
            midashi: [s(11_893.0), s(34_985.0), s(43_499.0)],
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Name {
    pub uji: String,
    pub mei: String,
}

impl Name {
    pub fn full(&self) -> String {
        format!("{}{}", self.uji, self.mei)
    }
}

/// A fact of a member's life, rendered later as a 身分事項.
#[derive(Clone, Debug)]
pub enum Fact {
    Birth {
        date: Day,
        place: String,
        filer: &'static str,
        sent: Option<(Day, String)>,
    },
    Marriage {
        date: Day,
        spouse: String,
        juzen: Option<String>,
        shin: Option<String>,
        sho: Option<&'static str>,
        aite: Option<(u32, u32)>,
    },
    Divorce {
        date: Day,
        spouse: String,
        shin: Option<String>,
    },
    Adoption {
        date: Day,
        yofu: String,
        yobo: String,
        daidaku: bool,
        juzen: String,
    },
    Ninchi {
        date: Day,
        father: String,
        father_koseki: String,
    },
    Death {
        date: Day,
        hour: u32,
        minute: u32,
        place: String,
        filer: &'static str,
    },
    Bunseki {
        date: Day,
        shin: String,
    },
    Furigana {
        date: Day,
        furigana: String,
    },
}

impl Fact {
    pub fn date(&self) -> Day {
        match self {
            Fact::Birth { date, .. }
            | Fact::Marriage { date, .. }
            | Fact::Divorce { date, .. }
            | Fact::Adoption { date, .. }
            | Fact::Ninchi { date, .. }
            | Fact::Death { date, .. }
            | Fact::Bunseki { date, .. }
            | Fact::Furigana { date, .. } => *date,
        }
    }
}

/// A fact of the 戸籍 itself (戸籍事項).
#[derive(Clone, Debug)]
pub enum KFact {
    Hensei { date: Day },
    Kaisei { date: Day },
    TensekiIn { date: Day, juzen: String },
    TensekiOut { date: Day, shin: String },
    Shojo { date: Day },
    UjiFurigana { date: Day, furigana: String },
}

#[derive(Clone, Debug)]
pub struct FuhyoRow {
    pub lg: u32,
    pub address: String,
    pub jutei: Day,
    pub jiyu: &'static str,
    pub shojo: Option<(Day, &'static str)>,
    pub zaigai: Option<(u32, Day)>,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub kojin_no: u32,
    pub name: Name,
    pub uji_kana: String,
    pub mei_kana: String,
    pub sex: u8,
    pub birth: Day,
    pub father: Name,
    pub mother: Name,
    /// A child of this 戸籍's couple (its 続柄 is numbered with its siblings).
    pub child: bool,
    pub zokugara: &'static str,
    pub adoptive: Option<(Name, Name)>,
    pub haigusha: u8,
    pub entry: (&'static str, Day),
    pub removal: Option<(&'static str, Day)>,
    pub facts: Vec<Fact>,
    pub fuhyo: Vec<FuhyoRow>,
    pub furigana: Option<String>,
    pub furigana_kbn: u8,
    pub shien: bool,
    /// 移記: 1 carried over at 改製, 2 carried over at 転籍.
    pub iki: u8,
    /// Marked to be married out to another 戸籍 of the city (filled in when linking).
    pub out_slot: bool,
}

#[derive(Clone, Debug)]
pub struct Koseki {
    pub no: u32,
    pub closed: bool,
    pub choaza: usize,
    pub chiban: String,
    pub honseki: String,
    pub uji: String,
    pub uji_kana: String,
    pub hensei_jiyu: &'static str,
    pub hensei: Day,
    pub kaisei: Option<Day>,
    pub joseki: Option<(&'static str, Day)>,
    pub jiko: Vec<KFact>,
    pub members: Vec<Member>,
    pub midashi: u64,
    pub uji_furigana: Option<(String, u8)>,
}

impl Koseki {
    /// 本籍 + 筆頭者, as 【従前戸籍】 and 【新本籍】 items refer to a 戸籍.
    pub fn reference(&self) -> String {
        let h = self
            .members
            .first()
            .map(|m| m.name.full())
            .unwrap_or_default();
        format!("{}　{}", self.honseki, h)
    }
    pub fn registered(&self) -> usize {
        if self.closed {
            0
        } else {
            self.members.iter().filter(|m| m.removal.is_none()).count()
        }
    }
}

pub struct World {
    pub kosekis: Vec<Koseki>,
    pub next_kojin: u32,
}

const OTHER_TOWNS: [&str; 10] = [
    "本町", "中央", "東町", "西町", "南町", "北町", "新町", "栄町", "旭町", "緑町",
];
const HOSPITAL_PLACES: [&str; 3] = ["架空県みなと市", "和歌山県和歌山市", "和歌山県田辺市"];

pub struct Gen<'a> {
    pub rng: Rng,
    pub lists: &'a Lists,
    pub variants: &'a Variants,
    pub next_kojin: u32,
    pub next_koseki: u32,
}

fn age_at(birth: Day, at: Day) -> i32 {
    let (by, bm, bd) = day::ymd(birth);
    let (y, m, d) = day::ymd(at);
    y - by - i32::from((m, d) < (bm, bd))
}

impl<'a> Gen<'a> {
    fn day_in_year(&mut self, year: i32) -> Day {
        let a = day::from_ymd(year, 1, 1);
        let b = day::from_ymd(year + 1, 1, 1);
        a + self.rng.below((b - a) as usize) as Day
    }

    fn days_after(&mut self, d: Day, lo: i32, hi: i32) -> Day {
        d + self.rng.range(i64::from(lo), i64::from(hi)) as Day
    }

    /// A 番地 in full-width digits (街区符号 style 「５番」 in 丁目 areas).
    fn chiban(&mut self, choaza: usize) -> String {
        let chome = self.lists.choaza[choaza].name.ends_with("丁目");
        let n = self.rng.range(1, if chome { 40 } else { 2_400 });
        if chome {
            format!("{}番", day::zen(n))
        } else if self.rng.chance(0.15) {
            format!("{}番地{}", day::zen(n), day::zen(self.rng.range(1, 12)))
        } else {
            format!("{}番地", day::zen(n))
        }
    }

    /// A 本籍 in the city: (町字 index, 地番, display).
    pub fn city_honseki(&mut self) -> (usize, String, String) {
        let c = self.rng.below(self.lists.choaza.len());
        let ch = self.chiban(c);
        let mut town = self.lists.choaza[c].name.clone();
        // Old data keep the variant characters of a few place names (gaiji).
        if self.rng.chance(0.03) {
            town = self.variants.vary(&mut self.rng, &town, 1.0);
        }
        let disp = format!("{CITY_PREF}{CITY_NAME}{town}{ch}");
        (c, ch, disp)
    }

    pub fn other_honseki(&mut self) -> String {
        let c = self.lists.city(&mut self.rng);
        let (pref, name) = (c.pref.clone(), c.name.clone());
        let t = *self.rng.pick(&OTHER_TOWNS);
        let n = self.rng.range(1, 999);
        format!("{pref}{name}{t}{}番地", day::zen(n))
    }

    fn surname(&mut self) -> (String, String) {
        let s = self.lists.surname(&mut self.rng);
        let (k, r) = (s.kanji.clone(), s.kana.clone());
        let k = self.variants.vary(&mut self.rng, &k, 0.03);
        (k, r)
    }

    fn given(&mut self, sex: u8, birth: Day) -> (String, String) {
        let g = self.lists.given_name(&mut self.rng, sex, day::year(birth));
        let (k, r) = (g.kanji.clone(), g.kana.clone());
        let k = self.variants.vary(&mut self.rng, &k, 0.015);
        (k, r)
    }

    fn person(&mut self, uji: &str, uji_kana: &str, sex: u8, birth: Day) -> Member {
        let (mei, mei_kana) = self.given(sex, birth);
        self.next_kojin += 1;
        Member {
            kojin_no: self.next_kojin,
            name: Name {
                uji: uji.into(),
                mei,
            },
            uji_kana: uji_kana.into(),
            mei_kana,
            sex,
            birth,
            father: Name::default(),
            mother: Name::default(),
            child: false,
            zokugara: if sex == 1 { "01" } else { "11" },
            adoptive: None,
            haigusha: 0,
            entry: ("01", birth),
            removal: None,
            facts: Vec::new(),
            fuhyo: Vec::new(),
            furigana: None,
            furigana_kbn: 0,
            shien: false,
            iki: 0,
            out_slot: false,
        }
    }

    /// Parents from outside the city for someone entering by marriage.
    fn outside_parents(&mut self, m: &mut Member, uji: &str) {
        let fb = m.birth - self.rng.range(24 * 365, 38 * 365) as Day;
        let (f, _) = self.given(1, fb);
        let (mo, _) = self.given(2, fb + 700);
        m.father = Name {
            uji: uji.into(),
            mei: f,
        };
        m.mother = Name {
            uji: uji.into(),
            mei: mo,
        };
        m.zokugara = *self.rng.pick(if m.sex == 1 {
            &["01", "01", "02", "03"]
        } else {
            &["11", "11", "12", "13"]
        });
    }

    fn birth_fact(&mut self, birth: Day, filer: &'static str) -> Fact {
        let place = self.rng.pick(&HOSPITAL_PLACES).to_string();
        let sent = (!place.starts_with(CITY_PREF)).then(|| {
            let d = birth + self.rng.range(10, 20) as Day;
            (d, format!("{}長", place))
        });
        Fact::Birth {
            date: birth,
            place,
            filer,
            sent,
        }
    }

    fn death_fact(&mut self, date: Day, filer: &'static str) -> Fact {
        let place = self.rng.pick(&HOSPITAL_PLACES).to_string();
        Fact::Death {
            date,
            hour: self.rng.range(0, 23) as u32,
            minute: self.rng.range(0, 59) as u32,
            place,
            filer,
        }
    }

    /// Probability that someone born on `birth` has died by the 基準日 (rough life table).
    fn dead_by_now(&mut self, birth: Day) -> Option<Day> {
        let age = age_at(birth, kijun());
        let p = match age {
            ..=49 => 0.01,
            50..=64 => 0.05,
            65..=74 => 0.15,
            75..=84 => 0.35,
            85..=94 => 0.7,
            _ => 0.97,
        };
        if self.rng.chance(p) {
            let earliest = (birth + 45 * 365).max(day::from_ymd(1995, 1, 1));
            let latest = kijun() - 1;
            if earliest >= latest {
                return Some(latest);
            }
            Some(self.rng.range(i64::from(earliest), i64::from(latest)) as Day)
        } else {
            None
        }
    }

    /// A couple's 戸籍, founded by their marriage (or carried over at 改製), with children.
    /// `closed_kind`: None for a current 戸籍.
    fn family(&mut self, head_birth_year: i32, closed: bool) -> Koseki {
        let hb = self.day_in_year(head_birth_year);
        let marriage = self.days_after(hb, 23 * 365, 34 * 365);
        let wife_b = hb + self.rng.range(-5 * 365, 3 * 365) as Day;
        let (uji, uji_kana) = self.surname();
        let tsuma_no_uji = self.rng.chance(0.04);
        let mut husband = self.person(&uji, &uji_kana, 1, hb);
        let (wuji, wkana) = self.surname();
        let mut wife = self.person(&uji, &uji_kana, 2, wife_b);
        self.outside_parents(&mut husband, &uji);
        self.outside_parents(&mut wife, &wuji);
        let _ = wkana;
        husband.haigusha = 1;
        wife.haigusha = 2;
        let (c, ch, honseki) = self.city_honseki();
        self.next_koseki += 1;
        let no = self.next_koseki;
        let mut k = Koseki {
            no,
            closed,
            choaza: c,
            chiban: ch,
            honseki,
            uji: uji.clone(),
            uji_kana: uji_kana.clone(),
            hensei_jiyu: "01",
            hensei: marriage,
            kaisei: None,
            joseki: None,
            jiko: vec![KFact::Hensei { date: marriage }],
            members: Vec::new(),
            midashi: 0,
            uji_furigana: None,
        };
        let (first, second) = if tsuma_no_uji {
            (wife, husband)
        } else {
            (husband, wife)
        };
        let mut first = first;
        let mut second = second;
        // The partner taking the other's 氏 was born under their parents' 氏.
        second.facts.push(Fact::Birth {
            date: second.birth,
            place: String::new(),
            filer: "父",
            sent: None,
        });
        first.facts.push(Fact::Birth {
            date: first.birth,
            place: String::new(),
            filer: "父",
            sent: None,
        });
        let sho = if tsuma_no_uji {
            "妻の氏"
        } else {
            "夫の氏"
        };
        let outside_a = self.other_honseki();
        let outside_b = self.other_honseki();
        first.facts.push(Fact::Marriage {
            date: marriage,
            spouse: second.name.full_with(&second.father.uji),
            juzen: Some(format!("{}　{}", outside_a, first.father.full())),
            shin: None,
            sho: None,
            aite: Some((no, 0)),
        });
        second.facts.push(Fact::Marriage {
            date: marriage,
            spouse: first.name.full(),
            juzen: Some(format!("{}　{}", outside_b, second.father.full())),
            shin: None,
            sho: Some(sho),
            aite: Some((no, 0)),
        });
        first.entry = ("02", marriage);
        second.entry = ("02", marriage);
        // Fix the birth facts' details now that names are known.
        for m in [&mut first, &mut second] {
            let b = m.birth;
            m.facts[0] = self.birth_fact(b, "父");
        }
        let (first_no, second_no) = (first.kojin_no, second.kojin_no);
        for f in first.facts.iter_mut() {
            if let Fact::Marriage { aite, .. } = f {
                *aite = Some((no, second_no));
            }
        }
        for f in second.facts.iter_mut() {
            if let Fact::Marriage { aite, .. } = f {
                *aite = Some((no, first_no));
            }
        }
        let (husband_name, wife_name) = if tsuma_no_uji {
            (second.name.clone(), first.name.clone())
        } else {
            (first.name.clone(), second.name.clone())
        };
        let mother_b = if tsuma_no_uji {
            first.birth
        } else {
            second.birth
        };
        k.members.push(first);
        k.members.push(second);

        // Children.
        let n = [0, 1, 1, 2, 2, 2, 2, 3, 3, 4][self.rng.below(10)];
        let mut last = marriage;
        for _ in 0..n {
            let b = self.days_after(last, 300, 5 * 365);
            if b >= kijun() || age_at(mother_b, b) > 44 {
                break;
            }
            last = b;
            let sex = if self.rng.chance(0.51) { 1 } else { 2 };
            let mut ch = self.person(&uji, &uji_kana, sex, b);
            ch.child = true;
            ch.father = husband_name.clone();
            ch.mother = wife_name.clone();
            let filer = if self.rng.chance(0.7) { "父" } else { "母" };
            let bf = self.birth_fact(b, filer);
            ch.facts.push(bf);
            let age = age_at(b, kijun());
            let p_out = match age {
                ..=19 => 0.0,
                20..=24 => 0.12,
                25..=29 => 0.4,
                30..=34 => 0.6,
                35..=44 => 0.72,
                _ => 0.85,
            };
            if self.rng.chance(p_out) {
                let md = self.days_after(b, 22 * 365, (age.min(45) * 365).max(22 * 365 + 1));
                let md = md.min(kijun() - 1);
                ch.removal = Some(("01", md));
                ch.out_slot = true;
                let (sp_uji, _) = self.surname();
                let (sp_mei, _) = self.given(3 - sex, b);
                // A son forms his own 戸籍 and a daughter enters her husband's: 夫の氏 either way.
                let sho = "夫の氏";
                let shin = format!(
                    "{}　{}",
                    self.other_honseki(),
                    if sex == 1 {
                        format!("{}{}", uji, ch.name.mei)
                    } else {
                        format!("{sp_uji}{sp_mei}")
                    }
                );
                ch.facts.push(Fact::Marriage {
                    date: md,
                    spouse: format!("{sp_uji}{sp_mei}"),
                    juzen: None,
                    shin: Some(shin),
                    sho: Some(sho),
                    aite: None,
                });
            } else if age >= 25 && self.rng.chance(0.05) {
                let d = self
                    .days_after(b, 20 * 365, (age * 365).max(20 * 365 + 1))
                    .min(kijun() - 1);
                ch.removal = Some(("04", d));
                let shin = self.other_honseki();
                ch.facts.push(Fact::Bunseki { date: d, shin });
            } else if self.rng.chance(0.004) {
                let d = self.days_after(b, 1, 365 * 3).min(kijun() - 1);
                ch.removal = Some(("02", d));
                let df = self.death_fact(d, "父");
                ch.facts.push(df);
            }
            k.members.push(ch);
        }

        // Deaths and divorce of the couple.
        let divorce = !closed && k.members.len() >= 2 && self.rng.chance(0.07);
        if divorce {
            let d = self
                .days_after(marriage, 2 * 365, 20 * 365)
                .min(kijun() - 30);
            if d > marriage {
                let first_name = k.members[0].name.full();
                let second_name = k.members[1].name.full();
                let shin = self.other_honseki();
                let m1 = &mut k.members[1];
                m1.removal = Some(("06", d));
                m1.haigusha = 0;
                m1.facts.push(Fact::Divorce {
                    date: d,
                    spouse: first_name,
                    shin: Some(shin),
                });
                let m0 = &mut k.members[0];
                m0.haigusha = 0;
                m0.facts.push(Fact::Divorce {
                    date: d,
                    spouse: second_name,
                    shin: None,
                });
            }
        }
        for i in 0..2.min(k.members.len()) {
            if k.members[i].removal.is_some() {
                continue;
            }
            let b = k.members[i].birth;
            let death = if closed {
                Some(self.rng.range(
                    i64::from((b + 60 * 365).max(marriage + 365)),
                    i64::from(kijun() - 60),
                ) as Day)
            } else {
                self.dead_by_now(b)
            };
            if let Some(d) = death {
                let d = d.max(marriage + 30).min(kijun() - 1);
                let filer = if i == 0 { "妻" } else { "夫" };
                let df = self.death_fact(d, filer);
                k.members[i].facts.push(df);
                k.members[i].removal = Some(("02", d));
                let other = 1 - i;
                if k.members[other].removal.is_none() {
                    k.members[other].haigusha = 0;
                }
            }
        }
        k
    }

    /// A single person's 戸籍 (分籍 or 転籍 in).
    fn single(&mut self, birth_year: i32) -> Koseki {
        let sex = if self.rng.chance(0.5) { 1 } else { 2 };
        let b = self.day_in_year(birth_year);
        let (uji, uji_kana) = self.surname();
        let mut p = self.person(&uji, &uji_kana, sex, b);
        self.outside_parents(&mut p, &uji);
        let bf = self.birth_fact(b, "父");
        p.facts.push(bf);
        let d = self.days_after(b, 20 * 365, 40 * 365).min(kijun() - 10);
        let (c, ch, honseki) = self.city_honseki();
        self.next_koseki += 1;
        p.entry = ("09", d);
        let juzen = format!("{}　{}", self.other_honseki(), p.father.full());
        p.facts.push(Fact::Bunseki {
            date: d,
            shin: juzen.clone(),
        });
        Koseki {
            no: self.next_koseki,
            closed: false,
            choaza: c,
            chiban: ch,
            honseki,
            uji: uji.clone(),
            uji_kana,
            hensei_jiyu: "03",
            hensei: d,
            kaisei: None,
            joseki: None,
            jiko: vec![KFact::Hensei { date: d }],
            members: vec![p],
            midashi: 0,
            uji_furigana: None,
        }
    }
}

impl Name {
    /// The full name under another 氏 (a spouse's name before marriage).
    pub fn full_with(&self, uji: &str) -> String {
        format!(
            "{}{}",
            if uji.is_empty() { &self.uji } else { uji },
            self.mei
        )
    }
}

/// Builds the whole city.
pub fn build(scale: &Scale, seed: u64, lists: &Lists, variants: &Variants) -> World {
    let mut g = Gen {
        rng: Rng::new(seed, 1),
        lists,
        variants,
        next_kojin: 0,
        next_koseki: 10_000_000,
    };
    let mut kosekis: Vec<Koseki> = Vec::with_capacity(scale.koseki_current + scale.koseki_closed);

    // Current 戸籍.
    for i in 0..scale.koseki_current {
        let r = g.rng.f64();
        let k = if r < 0.12 {
            let y = g.rng.range(1950, 2002) as i32;
            g.single(y)
        } else {
            let y = [
                1930, 1940, 1945, 1950, 1955, 1960, 1965, 1970, 1975, 1980, 1985, 1990, 1995,
            ][g.rng.below(13)]
                + g.rng.below(5) as i32;
            let mut k = g.family(y, false);
            // A current 戸籍 keeps at least one registered member.
            if k.registered() == 0 {
                let m = k
                    .members
                    .iter_mut()
                    .rev()
                    .find(|m| matches!(m.removal, Some(("02", _))));
                if let Some(m) = m {
                    m.removal = None;
                    m.facts.retain(|f| !matches!(f, Fact::Death { .. }));
                }
            }
            k
        };
        let _ = i;
        kosekis.push(k);
    }
    adjust_registered(&mut g, &mut kosekis, scale.persons_registered);

    // 全部除籍.
    for _ in 0..scale.koseki_closed {
        let r = g.rng.f64();
        let mut k = if r < 0.6 {
            let y = 1890 + g.rng.below(55) as i32;
            let mut k = g.family(y, true);
            for m in k.members.iter_mut() {
                if m.removal.is_none() {
                    // Children still in an old 戸籍 whose parents died: 分籍 out.
                    let d = (m.birth + 25 * 365).min(kijun() - 20);
                    m.removal = Some(("04", d));
                    let shin = format!("{CITY_PREF}{CITY_NAME}{}", "本町１番地");
                    m.facts.push(Fact::Bunseki { date: d, shin });
                }
            }
            let last = k
                .members
                .iter()
                .filter_map(|m| m.removal.map(|r| r.1))
                .max()
                .unwrap_or(kijun() - 1);
            k.joseki = Some(("11", last));
            k.jiko.push(KFact::Shojo { date: last });
            k
        } else {
            let y = 1935 + g.rng.below(50) as i32;
            let mut k = g.family(y, true);
            let start = k
                .members
                .iter()
                .map(|m| m.entry.1)
                .max()
                .unwrap_or(k.hensei);
            let lo = (start + 365).max(day::from_ymd(2004, 1, 1));
            let d = if lo >= kijun() - 5 {
                kijun() - 5
            } else {
                g.rng.range(i64::from(lo), i64::from(kijun() - 5)) as Day
            };
            // Nobody is removed after the 戸籍 has left.
            for m in k.members.iter_mut() {
                if let Some((_, rd)) = m.removal
                    && rd >= d
                {
                    m.removal = None;
                    m.facts
                        .retain(|f| f.date() < d || matches!(f, Fact::Birth { .. }));
                    m.out_slot = false;
                }
                m.facts
                    .retain(|f| matches!(f, Fact::Birth { .. }) || f.date() < d);
            }
            k.members.retain(|m| m.birth < d);
            let shin = g.other_honseki();
            k.jiko.push(KFact::TensekiOut { date: d, shin });
            k.joseki = Some(("12", d));
            k
        };
        k.closed = true;
        kosekis.push(k);
    }

    // Some current families came from outside the city (転籍 in): most of them carry a
    // 戸籍事項 転籍 instead of the 編製 in this city.
    for k in kosekis.iter_mut().filter(|k| !k.closed) {
        if k.hensei_jiyu == "01" && g.rng.chance(0.12) {
            let lo = k.hensei + 200;
            if lo < kijun() - 30 {
                let d = g.rng.range(i64::from(lo), i64::from(kijun() - 30)) as Day;
                let juzen = g.other_honseki();
                k.hensei_jiyu = "02";
                k.jiko = vec![KFact::TensekiIn { date: d, juzen }];
                k.hensei = d;
                // Members removed before the 転籍 were not carried over.
                k.members
                    .retain(|m| m.removal.is_none_or(|(_, rd)| rd >= d));
                for m in k.members.iter_mut() {
                    m.iki = 2;
                    m.entry = ("03", d);
                }
            }
        }
    }

    link_marriages(&mut g, &mut kosekis);
    apply_kaisei(&mut kosekis);
    finish(&mut g, &mut kosekis);
    World {
        kosekis,
        next_kojin: g.next_kojin,
    }
}

/// Adds or removes registered children until the city's registered count is exact.
fn adjust_registered(g: &mut Gen, kosekis: &mut [Koseki], target: usize) {
    let mut total: usize = kosekis.iter().map(Koseki::registered).sum();
    let n = kosekis.len();
    let mut guard = 0usize;
    while total != target && guard < 50 * (target + n) {
        guard += 1;
        let i = g.rng.below(n);
        let k = &mut kosekis[i];
        if total < target {
            // A child who stayed (an unmarried adult or a minor).
            if k.members.len() < 2 || k.hensei_jiyu != "01" {
                continue;
            }
            let mother_b = k.members[1].birth.min(k.members[0].birth);
            let last = k
                .members
                .iter()
                .map(|m| m.birth)
                .max()
                .unwrap_or(k.hensei)
                .max(k.hensei);
            let b = last + g.rng.range(300, 4 * 365) as Day;
            if b >= kijun() || age_at(mother_b, b) > 44 {
                continue;
            }
            let sex = if g.rng.chance(0.5) { 1 } else { 2 };
            let (uji, kana) = (k.uji.clone(), k.uji_kana.clone());
            let (father, mother) = if k.members[0].sex == 1 {
                (k.members[0].name.clone(), k.members[1].name.clone())
            } else {
                (k.members[1].name.clone(), k.members[0].name.clone())
            };
            let mut ch = g.person(&uji, &kana, sex, b);
            ch.child = true;
            ch.father = father;
            ch.mother = mother;
            let bf = g.birth_fact(b, "父");
            ch.facts.push(bf);
            k.members.push(ch);
            total += 1;
        } else {
            // Drop a registered child (never the last registered member).
            if k.registered() <= 1 {
                continue;
            }
            if let Some(pos) = k
                .members
                .iter()
                .rposition(|m| m.child && m.removal.is_none())
            {
                k.members.remove(pos);
                total -= 1;
            } else if k.members.len() == 2 && k.members.iter().all(|m| m.removal.is_none()) {
                // A couple with no child: the spouse died.
                let d = g.rng.range(
                    i64::from(k.hensei + 365).min(i64::from(kijun() - 2)),
                    i64::from(kijun() - 1),
                ) as Day;
                let df = g.death_fact(d, "夫");
                k.members[1].facts.push(df);
                k.members[1].removal = Some(("02", d));
                k.members[0].haigusha = 0;
                total -= 1;
            }
        }
    }
}

/// Pairs people who married into a 戸籍 of the city with children married out of another
/// 戸籍 of the city, so that 【従前戸籍】 and 【新本籍】 point at each other.
fn link_marriages(g: &mut Gen, kosekis: &mut [Koseki]) {
    // Slots: (koseki index, member index) of children married out, by sex and birth year.
    let mut slots: std::collections::BTreeMap<(u8, i32), Vec<(usize, usize)>> =
        std::collections::BTreeMap::new();
    for (ki, k) in kosekis.iter().enumerate() {
        for (mi, m) in k.members.iter().enumerate() {
            if m.out_slot {
                slots
                    .entry((m.sex, day::year(m.birth)))
                    .or_default()
                    .push((ki, mi));
            }
        }
    }
    let n = kosekis.len();
    for ki in 0..n {
        if kosekis[ki].hensei_jiyu != "01" || kosekis[ki].members.len() < 2 {
            continue;
        }
        for side in 0..2 {
            if !g.rng.chance(0.45) {
                continue;
            }
            let (sex, birth) = (
                kosekis[ki].members[side].sex,
                kosekis[ki].members[side].birth,
            );
            let marriage = kosekis[ki].hensei;
            let y = day::year(birth);
            let mut found = None;
            'search: for dy in [0, 1, -1, 2, -2] {
                if let Some(v) = slots.get_mut(&(sex, y + dy)) {
                    for (pos, &(pk, pm)) in v.iter().enumerate() {
                        if pk == ki {
                            continue;
                        }
                        let parent = &kosekis[pk];
                        let mb = parent.members.get(1).map_or(birth, |m| m.birth);
                        let ok_age =
                            (18..=44).contains(&age_at(mb, birth)) && birth > parent.hensei;
                        let ok_time = marriage > parent.hensei
                            && parent.joseki.is_none_or(|(_, d)| d > marriage);
                        if ok_age && ok_time {
                            found = Some((pk, pm));
                            v.remove(pos);
                            break 'search;
                        }
                    }
                }
            }
            let Some((pk, pm)) = found else { continue };
            // The person as recorded in the new 戸籍.
            let (new_ref, new_no, person_no, spouse_name, person_name, sho) = {
                let k = &kosekis[ki];
                let p = &k.members[side];
                let s = &k.members[1 - side];
                let sho = if side == 0 {
                    None
                } else if k.members[0].sex == 1 {
                    Some("夫の氏")
                } else {
                    Some("妻の氏")
                };
                (
                    format!("{}　{}", k.honseki, k.members[0].name.full()),
                    k.no,
                    p.kojin_no,
                    s.name.full(),
                    p.name.clone(),
                    sho,
                )
            };
            let (parent_ref, parent_no, slot_no, father, mother, parent_uji, zok) = {
                let pkos = &kosekis[pk];
                let slot = &pkos.members[pm];
                (
                    pkos.reference(),
                    pkos.no,
                    slot.kojin_no,
                    slot.father.clone(),
                    slot.mother.clone(),
                    pkos.uji.clone(),
                    slot.zokugara,
                )
            };
            {
                let slot = &mut kosekis[pk].members[pm];
                slot.name.mei = person_name.mei.clone();
                slot.birth = birth;
                slot.removal = Some(("01", marriage));
                slot.out_slot = false;
                let bf = slot
                    .facts
                    .iter()
                    .find(|f| matches!(f, Fact::Birth { .. }))
                    .cloned();
                slot.facts.clear();
                if let Some(Fact::Birth {
                    place, filer, sent, ..
                }) = bf
                {
                    slot.facts.push(Fact::Birth {
                        date: birth,
                        place,
                        filer,
                        sent: sent.map(|(d, s)| (birth + (d - birth).clamp(5, 30), s)),
                    });
                }
                let sho_here = sho.or(Some(if sex == 1 { "夫の氏" } else { "妻の氏" }));
                slot.facts.push(Fact::Marriage {
                    date: marriage,
                    spouse: spouse_name,
                    juzen: None,
                    shin: Some(new_ref),
                    sho: sho_here,
                    aite: Some((new_no, person_no)),
                });
            }
            let slot_births: Vec<Fact> = kosekis[pk].members[pm]
                .facts
                .iter()
                .filter(|f| matches!(f, Fact::Birth { .. }))
                .cloned()
                .collect();
            let p = &mut kosekis[ki].members[side];
            p.father = father;
            p.mother = mother;
            p.zokugara = zok;
            let _ = parent_uji;
            for f in p.facts.iter_mut() {
                if let Fact::Marriage { juzen, aite, .. } = f {
                    *juzen = Some(parent_ref.clone());
                    *aite = Some((parent_no, slot_no));
                }
                if let (Fact::Birth { .. }, Some(b)) = (&*f, slot_births.first()) {
                    *f = b.clone();
                }
            }
        }
    }
}

/// 改製: 戸籍 that existed on the computerisation day were re-made; who had left before it
/// is only in the 平成改製原戸籍 image.
fn apply_kaisei(kosekis: &mut [Koseki]) {
    let kd = kaisei_day();
    for k in kosekis.iter_mut() {
        if k.hensei >= kd {
            continue;
        }
        if k.joseki.is_some_and(|(_, d)| d < kd) {
            // Closed before computerisation: it would be a paper 除籍. Keep it computerised
            // by moving its closing after the 改製 (a late death).
            let d = kd + 400 + (k.no % 3000) as Day;
            let d = d.min(kijun() - 1);
            k.joseki = k.joseki.map(|(j, _)| (j, d));
            for f in k.jiko.iter_mut() {
                if let KFact::Shojo { date } | KFact::TensekiOut { date, .. } = f {
                    *date = d;
                }
            }
        }
        k.kaisei = Some(kd);
        k.members.retain(|m| m.removal.is_none_or(|(_, d)| d >= kd));
        for m in k.members.iter_mut() {
            m.iki = 1;
            // Dissolved events before 改製 were not carried over.
            m.facts
                .retain(|f| !matches!(f, Fact::Divorce { date, .. } if *date < kd));
        }
        if k.members.is_empty() {
            continue;
        }
        k.jiko.retain(|f| !matches!(f, KFact::Hensei { .. }));
        k.jiko.insert(0, KFact::Kaisei { date: kd });
    }
}

/// Numbers children's 続柄, adds adoptions, 認知, 振り仮名 and 附票 rows.
fn finish(g: &mut Gen, kosekis: &mut [Koseki]) {
    for k in kosekis.iter_mut() {
        // 続柄 by birth order and sex among the couple's children.
        let mut order: Vec<usize> = (0..k.members.len())
            .filter(|&i| k.members[i].child)
            .collect();
        order.sort_by_key(|&i| (k.members[i].birth, k.members[i].kojin_no));
        let (mut sons, mut daughters) = (0, 0);
        for i in order {
            let m = &mut k.members[i];
            if m.sex == 1 {
                sons += 1;
                m.zokugara = ["01", "02", "03", "04", "05", "06"][(sons - 1).min(5)];
            } else {
                daughters += 1;
                m.zokugara = ["11", "12", "13", "14", "15", "16"][(daughters - 1).min(5)];
            }
        }
        // Rare facts: adoption, and a child born outside marriage and acknowledged (認知).
        let n = k.members.len();
        for i in 2..n {
            if !k.members[i].child {
                continue;
            }
            if g.rng.chance(0.01) {
                let b = k.members[i].birth;
                let d = b + g.rng.range(30, 365 * 12) as Day;
                if d < kijun() {
                    let yofu = k.members[0].name.clone();
                    let yobo = k.members[1].name.clone();
                    let juzen = g.other_honseki();
                    let (fu, _) = g.surname();
                    let m = &mut k.members[i];
                    m.adoptive = Some((yofu.clone(), yobo.clone()));
                    m.father.uji = fu.clone();
                    m.mother.uji = fu;
                    m.entry = ("05", d);
                    m.facts.push(Fact::Adoption {
                        date: d,
                        yofu: yofu.full(),
                        yobo: yobo.full(),
                        daidaku: age_at(b, d) < 15,
                        juzen,
                    });
                }
            } else if g.rng.chance(0.004) {
                let b = k.members[i].birth;
                let d = b + g.rng.range(10, 900) as Day;
                if d < kijun() {
                    let (fu, _) = g.surname();
                    let (fm, _) = g.given(1, b - 30 * 365);
                    let fk = g.other_honseki();
                    let m = &mut k.members[i];
                    m.father = Name {
                        uji: fu.clone(),
                        mei: fm.clone(),
                    };
                    m.zokugara = if m.sex == 1 { "21" } else { "22" };
                    m.facts.push(Fact::Ninchi {
                        date: d,
                        father: format!("{fu}{fm}"),
                        father_koseki: format!("{fk}　{fu}{fm}"),
                    });
                }
            }
        }
        // 振り仮名 (2025-05-26 →): notified, filed, or recorded ex officio.
        if !k.closed {
            let fd = furigana_day();
            let kbn = [1u8, 2, 2, 3, 3, 3][g.rng.below(6)];
            let date = if kbn == 1 {
                fd + g.rng.range(1, 300) as Day
            } else {
                day::from_ymd(2026, 5, 26)
            };
            let uf = lists::katakana(&k.uji_kana);
            if kbn != 2 {
                k.jiko.push(KFact::UjiFurigana {
                    date,
                    furigana: uf.clone(),
                });
            }
            k.uji_furigana = Some((uf, kbn));
            for m in k.members.iter_mut().filter(|m| m.removal.is_none()) {
                let f = lists::katakana(&m.mei_kana);
                m.furigana = Some(f.clone());
                m.furigana_kbn = kbn;
                if kbn != 2 {
                    m.facts.push(Fact::Furigana { date, furigana: f });
                }
            }
        }
        // 附票: address history while in this 戸籍.
        let closed = k.closed;
        let kj = k.joseki;
        for m in k.members.iter_mut() {
            let start = m.entry.1;
            let end = m.removal.map(|r| r.1).or(kj.map(|j| j.1));
            let n_rows = 1 + g.rng.below(3);
            let mut d = start;
            let mut rows = Vec::new();
            for r in 0..n_rows {
                let (lg, address, jiyu) = if g.rng.chance(0.8) {
                    let c = g.rng.below(g.lists.choaza.len());
                    let town = g.lists.choaza[c].name.clone();
                    let n1 = g.rng.range(1, 40);
                    let n2 = g.rng.range(1, 30);
                    (
                        CITY_LG,
                        format!(
                            "{CITY_PREF}{CITY_NAME}{town}{}番{}号",
                            day::zen(n1),
                            day::zen(n2)
                        ),
                        if r == 0 { "07" } else { "02" },
                    )
                } else if g.rng.chance(0.9) {
                    let c = g.lists.city(&mut g.rng);
                    let (lg, p, nm) = (c.lg, c.pref.clone(), c.name.clone());
                    let t = *g.rng.pick(&OTHER_TOWNS);
                    (
                        lg,
                        format!(
                            "{p}{nm}{t}{}番{}号",
                            day::zen(g.rng.range(1, 30)),
                            day::zen(g.rng.range(1, 30))
                        ),
                        "01",
                    )
                } else {
                    (0, g.rng.pick(&g.lists.overseas).clone(), "05")
                };
                rows.push(FuhyoRow {
                    lg,
                    address,
                    jutei: d,
                    jiyu,
                    shojo: None,
                    zaigai: None,
                });
                let stop = end.unwrap_or(kijun());
                if stop - d < 400 {
                    break;
                }
                d += g.rng.range(200, i64::from(stop - d).max(201)) as Day;
                if d >= stop {
                    break;
                }
            }
            let len = rows.len();
            for r in 0..len {
                if r + 1 < len {
                    let next = rows[r + 1].jutei;
                    rows[r].shojo = Some((next, "02"));
                }
            }
            if let (Some(last), Some(e)) = (rows.last_mut(), end) {
                last.shojo = Some((e, "08"));
            }
            if let Some(last) = rows.last_mut()
                && last.lg == 0
                && g.rng.chance(0.5)
            {
                let c = g.lists.city(&mut g.rng).lg;
                let zd = last.jutei + 90;
                last.zaigai = Some((c, zd));
            }
            m.fuhyo = rows;
            m.shien = !closed && m.removal.is_none() && g.rng.chance(0.002);
        }
    }
}
