//! The name, place and code lists the generator draws from (data files under `samples/data/`
//! and `samples/vendor/`, embedded at compile time).

use crate::rng::Rng;

pub struct Surname {
    pub kanji: String,
    pub kana: String,
}

pub struct GivenName {
    pub period: i32,
    pub sex: u8,
    pub kanji: String,
    pub kana: String,
    pub weight: u32,
}

pub struct Choaza {
    pub code: u32,
    pub name: String,
}

pub struct City {
    pub lg: u32,
    pub pref: String,
    pub name: String,
}

pub struct Lists {
    pub surnames: Vec<Surname>,
    surname_weights: Vec<u32>,
    pub given: Vec<GivenName>,
    pub choaza: Vec<Choaza>,
    pub cities: Vec<City>,
    city_weights: Vec<u32>,
    pub overseas: Vec<String>,
}

fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

pub const SURNAMES: &str = include_str!("../data/surnames.tsv");
pub const GIVEN: &str = include_str!("../data/given_names.tsv");
pub const CITIES: &str = include_str!("../data/cities.tsv");
pub const OVERSEAS: &str = include_str!("../data/overseas.tsv");
pub const CHOAZA: &str = include_str!("../vendor/codes/CHOAZA.tsv");

impl Lists {
    pub fn load() -> Lists {
        let mut surnames = Vec::new();
        let mut surname_weights = Vec::new();
        for r in rows(SURNAMES) {
            surnames.push(Surname {
                kanji: r[0].into(),
                kana: r[1].into(),
            });
            surname_weights.push(r[2].trim().parse().unwrap_or(1));
        }
        let given: Vec<GivenName> = rows(GIVEN)
            .map(|r| GivenName {
                period: r[0].parse().unwrap_or(1870),
                sex: r[1].parse().unwrap_or(1),
                kanji: r[2].into(),
                kana: r[3].into(),
                weight: r[4].trim().parse().unwrap_or(1),
            })
            .collect();
        let choaza = rows(CHOAZA)
            .skip(1)
            .map(|r| Choaza {
                code: r[0].parse().unwrap_or(0),
                name: r[1].into(),
            })
            .collect();
        let mut cities = Vec::new();
        let mut city_weights = Vec::new();
        for r in rows(CITIES) {
            cities.push(City {
                lg: r[0].parse().unwrap_or(0),
                pref: r[1].into(),
                name: r[2].into(),
            });
            city_weights.push(r[3].trim().parse().unwrap_or(1));
        }
        let overseas = rows(OVERSEAS).map(|r| r[0].to_string()).collect();
        // Names the vendor's JEF (JIS C 6226-1978) cannot hold are left out.
        let jef = |s: &str| {
            moji::Encoder::new(moji::CodePage::Jef)
                .encode_dbcs(s, &mut Vec::new())
                .is_ok()
        };
        let keep: Vec<bool> = surnames.iter().map(|s: &Surname| jef(&s.kanji)).collect();
        let mut k = keep.iter();
        surname_weights.retain(|_| *k.next().unwrap_or(&true));
        surnames.retain(|s| jef(&s.kanji));
        let given: Vec<GivenName> = given
            .into_iter()
            .filter(|g: &GivenName| jef(&g.kanji))
            .collect();
        Lists {
            surnames,
            surname_weights,
            given,
            choaza,
            cities,
            city_weights,
            overseas,
        }
    }

    pub fn surname(&self, rng: &mut Rng) -> &Surname {
        &self.surnames[rng.weighted(&self.surname_weights)]
    }

    /// A given name for someone of `sex` born in `year`.
    pub fn given_name(&self, rng: &mut Rng, sex: u8, year: i32) -> &GivenName {
        let period = self
            .given
            .iter()
            .filter(|g| g.period <= year)
            .map(|g| g.period)
            .max()
            .unwrap_or(1870);
        let pool: Vec<&GivenName> = self
            .given
            .iter()
            .filter(|g| g.period == period && g.sex == sex)
            .collect();
        let w: Vec<u32> = pool.iter().map(|g| g.weight).collect();
        pool[rng.weighted(&w)]
    }

    pub fn city(&self, rng: &mut Rng) -> &City {
        &self.cities[rng.weighted(&self.city_weights)]
    }
}

/// Hiragana → full-width katakana (the 振り仮名 as the 戸籍 records it).
pub fn katakana(hira: &str) -> String {
    hira.chars()
        .map(|c| {
            if ('\u{3041}'..='\u{3096}').contains(&c) {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// The legacy half-width reading: katakana, small kana written large (ｷﾖｳｺ for きょうこ), as
/// the old system's カナ fields hold them.
pub fn legacy_kana(hira: &str) -> String {
    let big: String = katakana(hira)
        .chars()
        .map(|c| match c {
            'ァ' => 'ア',
            'ィ' => 'イ',
            'ゥ' => 'ウ',
            'ェ' => 'エ',
            'ォ' => 'オ',
            'ャ' => 'ヤ',
            'ュ' => 'ユ',
            'ョ' => 'ヨ',
            'ッ' => 'ツ',
            'ヮ' => 'ワ',
            c => c,
        })
        .collect();
    moji::kana::katakana_to_halfwidth(&big)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lists_load() {
        let l = Lists::load();
        assert!(l.surnames.len() > 150);
        assert!(l.choaza.len() >= 40);
        assert_eq!(l.choaza[0].name, "湊");
        assert!(l.cities.iter().any(|c| c.lg == 302015));
    }
    #[test]
    fn small_kana_are_lost() {
        assert_eq!(legacy_kana("きょうこ"), "ｷﾖｳｺ");
        assert_eq!(legacy_kana("はっとり"), "ﾊﾂﾄﾘ");
        assert_eq!(katakana("きょうこ"), "キョウコ");
    }
}
