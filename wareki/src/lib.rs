//! 和暦 dates as 戸籍 records them.
//!
//! A 戸籍 date is not a calendar date: it is (era, year, month?, day?, qualifier), written in
//! the era current when it was recorded, possibly partial (日不詳) or qualified (推定, 頃).
//! So [`WarekiDate`] keeps exactly what was written, validates it against the era table in
//! `mappings/wareki/eras.tsv`, and converts to the Gregorian calendar only when it can:
//! partial dates have no single Gregorian day, and dates before 明治6年1月1日 are lunisolar.
//!
//! The two 改元 that took effect on the day of the emperor's death (1912-07-30,
//! 1926-12-25) make that day valid in both eras: 明治45年7月30日 and 大正元年7月30日 name the
//! same day, and both are accepted and kept as written.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A Japanese era usable in 戸籍 dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The 1-digit 年号コード of 既存住基 and most vendor files (明治 1 … 令和 5).
    pub fn code(self) -> u8 {
        self.info().code
    }

    pub fn from_code(code: u8) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.code() == code)
    }

    /// 明治, 大正, 昭和, 平成, 令和.
    pub fn kanji(self) -> &'static str {
        self.info().kanji.as_str()
    }

    pub fn from_kanji(s: &str) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.kanji() == s)
    }

    /// JIS X 0301 letter: M, T, S, H, R.
    pub fn letter(self) -> char {
        self.info().letter
    }

    fn info(self) -> &'static EraInfo {
        &era_table()[self as usize]
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kanji())
    }
}

/// A plain Gregorian day, proleptic, with no time zone (戸籍 dates are local days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Gregorian {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Gregorian {
    /// A valid Gregorian day, or `None`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Gregorian> {
        (1..=12)
            .contains(&month)
            .then_some(())
            .filter(|_| day >= 1 && day <= days_in_month(year, month))
            .map(|_| Gregorian { year, month, day })
    }

    /// ISO 8601 `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The day `days` after 1970-01-01 (negative before it). Howard Hinnant's days-to-civil
    /// algorithm: exact over the whole i32 year range, no table, no time zone.
    pub fn from_unix_days(days: i64) -> Gregorian {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Gregorian { year, month, day }
    }

    /// Days since 1970-01-01 (the inverse of [`Gregorian::from_unix_days`]).
    pub fn unix_days(&self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn parse_iso(s: &str) -> Option<Gregorian> {
        let mut it = s.split('-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        Gregorian::new(y, m, d)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// How exact a recorded date is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Qualifier {
    /// As written, nothing added.
    #[default]
    Exact,
    /// 推定 — estimated.
    Estimated,
    /// 頃 — approximately.
    Approximate,
}

impl Qualifier {
    fn suffix(self) -> &'static str {
        match self {
            Qualifier::Exact => "",
            Qualifier::Estimated => "推定",
            Qualifier::Approximate => "頃",
        }
    }
}

/// Why a 和暦 date is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WarekiError {
    #[error("unknown era code {0}")]
    UnknownEraCode(u8),
    #[error("unknown era in {0:?}")]
    UnknownEra(String),
    #[error("year 0 does not exist: year 1 is 元年")]
    YearZero,
    #[error("month {0} is not 1 to 12")]
    BadMonth(u8),
    #[error("a day without a month")]
    DayWithoutMonth,
    #[error("{0}: no such day in the Gregorian calendar")]
    NoSuchDay(String),
    #[error("{0} is outside {1} (valid {2} to {3})")]
    OutsideEra(String, Era, String, String),
    #[error("{0} is before 明治6年1月1日: a lunisolar (旧暦) date, kept as text, not converted")]
    Lunisolar(String),
    #[error("cannot read {0:?} as a 和暦 date")]
    Syntax(String),
}

/// A date as a 戸籍 records it: era, year, and as much of month and day as is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WarekiDate {
    pub era: Era,
    /// 1 = 元年.
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
    pub qualifier: Qualifier,
}

impl WarekiDate {
    /// A full, exact date, checked against the era table.
    pub fn new(era: Era, year: u16, month: u8, day: u8) -> Result<WarekiDate, WarekiError> {
        WarekiDate::partial(era, year, Some(month), Some(day), Qualifier::Exact)
    }

    /// A date that may lack its day or month (日不詳, 月日不詳), checked as far as it goes:
    /// a partial date must overlap its era.
    pub fn partial(
        era: Era,
        year: u16,
        month: Option<u8>,
        day: Option<u8>,
        qualifier: Qualifier,
    ) -> Result<WarekiDate, WarekiError> {
        let date = WarekiDate {
            era,
            year,
            month,
            day,
            qualifier,
        };
        date.validate()?;
        Ok(date)
    }

    fn validate(&self) -> Result<(), WarekiError> {
        if self.year == 0 {
            return Err(WarekiError::YearZero);
        }
        if let Some(m) = self.month
            && !(1..=12).contains(&m)
        {
            return Err(WarekiError::BadMonth(m));
        }
        if self.day.is_some() && self.month.is_none() {
            return Err(WarekiError::DayWithoutMonth);
        }
        let info = self.era.info();
        let gy = info.year1 + i32::from(self.year) - 1;
        // The span of Gregorian days this (possibly partial) date could name.
        let (lo, hi) = match (self.month, self.day) {
            (Some(m), Some(d)) => {
                let g = Gregorian::new(gy, m, d)
                    .ok_or_else(|| WarekiError::NoSuchDay(self.to_string()))?;
                (g, g)
            }
            (Some(m), None) => (
                Gregorian {
                    year: gy,
                    month: m,
                    day: 1,
                },
                Gregorian {
                    year: gy,
                    month: m,
                    day: days_in_month(gy, m),
                },
            ),
            _ => (
                Gregorian {
                    year: gy,
                    month: 1,
                    day: 1,
                },
                Gregorian {
                    year: gy,
                    month: 12,
                    day: 31,
                },
            ),
        };
        if self.era == Era::Meiji && hi < info.first {
            return Err(WarekiError::Lunisolar(self.to_string()));
        }
        if hi < info.first || lo > info.last {
            return Err(WarekiError::OutsideEra(
                self.to_string(),
                self.era,
                info.first.iso(),
                info.last.iso(),
            ));
        }
        Ok(())
    }

    /// The 和暦 date for a Gregorian day, in the era that began on or before it (so the two
    /// death-day 改元 days get the new era).
    pub fn from_gregorian(g: Gregorian) -> Result<WarekiDate, WarekiError> {
        let table = era_table();
        let info = table
            .iter()
            .rev()
            .find(|e| e.first <= g)
            .ok_or_else(|| WarekiError::Lunisolar(g.iso()))?;
        let year =
            u16::try_from(g.year - info.year1 + 1).map_err(|_| WarekiError::Syntax(g.iso()))?;
        WarekiDate::new(info.era, year, g.month, g.day)
    }

    /// The Gregorian day, when the date is complete.
    pub fn to_gregorian(&self) -> Option<Gregorian> {
        let gy = self.era.info().year1 + i32::from(self.year) - 1;
        Gregorian::new(gy, self.month?, self.day?)
    }

    /// The Gregorian year (always known).
    pub fn gregorian_year(&self) -> i32 {
        self.era.info().year1 + i32::from(self.year) - 1
    }

    /// Text with full-width digits, as certificates print it: 「平成元年１月８日」.
    pub fn to_fullwidth(&self) -> String {
        // Written directly, not through Display and a second pass over its text: a migration
        // formats a few million dates.
        let mut out = String::with_capacity(40);
        out.push_str(self.era.kanji());
        if self.year == 1 {
            out.push_str("元年");
        } else {
            push_fullwidth_number(&mut out, u32::from(self.year));
            out.push('年');
        }
        if let Some(m) = self.month {
            push_fullwidth_number(&mut out, u32::from(m));
            out.push('月');
        }
        if let Some(d) = self.day {
            push_fullwidth_number(&mut out, u32::from(d));
            out.push('日');
        }
        out.push_str(self.qualifier.suffix());
        out
    }

    /// The 7-digit `GYYMMDD` form of vendor files (G = era code; 00 for an unknown month or
    /// day). The qualifier is not part of it.
    pub fn to_gyymmdd(&self) -> u32 {
        u32::from(self.era.code()) * 1_000_000
            + u32::from(self.year) * 10_000
            + u32::from(self.month.unwrap_or(0)) * 100
            + u32::from(self.day.unwrap_or(0))
    }

    /// Reads the 7-digit `GYYMMDD` form, with 00 for an unknown month or day.
    pub fn from_gyymmdd(v: u32) -> Result<WarekiDate, WarekiError> {
        let code = (v / 1_000_000) as u8;
        let era = Era::from_code(code).ok_or(WarekiError::UnknownEraCode(code))?;
        let year = ((v / 10_000) % 100) as u16;
        let month = ((v / 100) % 100) as u8;
        let day = (v % 100) as u8;
        WarekiDate::partial(
            era,
            year,
            (month != 0).then_some(month),
            (day != 0).then_some(day),
            Qualifier::Exact,
        )
    }

    /// Parses 「平成元年1月8日」, 「昭和４７年１１月３日」, 「大正3年5月」, 「明治10年」 with
    /// an optional trailing 推定 or 頃; half- and full-width digits both.
    pub fn parse(text: &str) -> Result<WarekiDate, WarekiError> {
        let syntax = || WarekiError::Syntax(text.to_string());
        let s = text.trim();
        let era = Era::ALL
            .into_iter()
            .find(|e| s.starts_with(e.kanji()))
            .ok_or_else(|| WarekiError::UnknownEra(text.to_string()))?;
        let mut rest = &s[era.kanji().len()..];
        let mut qualifier = Qualifier::Exact;
        for q in [Qualifier::Estimated, Qualifier::Approximate] {
            if let Some(r) = rest.strip_suffix(q.suffix()) {
                rest = r;
                qualifier = q;
            }
        }
        let (year, r) = if let Some(r) = rest.strip_prefix("元年") {
            (1u16, r)
        } else {
            let (n, r) = take_number(rest).ok_or_else(syntax)?;
            (
                u16::try_from(n).map_err(|_| syntax())?,
                r.strip_prefix('年').ok_or_else(syntax)?,
            )
        };
        let (month, r) = match take_number(r) {
            Some((n, r)) => (
                Some(u8::try_from(n).map_err(|_| syntax())?),
                r.strip_prefix('月').ok_or_else(syntax)?,
            ),
            None => (None, r),
        };
        let (day, r) = match take_number(r) {
            Some((n, r)) => (
                Some(u8::try_from(n).map_err(|_| syntax())?),
                r.strip_prefix('日').ok_or_else(syntax)?,
            ),
            None => (None, r),
        };
        if !r.is_empty() {
            return Err(syntax());
        }
        WarekiDate::partial(era, year, month, day, qualifier)
    }
}

/// Reads leading ASCII or full-width digits.
fn take_number(s: &str) -> Option<(u32, &str)> {
    let mut value: u32 = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            '０'..='９' => c as u32 - '０' as u32,
            _ => break,
        };
        value = value.checked_mul(10)?.checked_add(d)?;
        end = i + c.len_utf8();
    }
    (end > 0).then(|| (value, &s[end..]))
}

impl fmt::Display for WarekiDate {
    /// 「平成元年1月8日」, 「大正3年5月」, 「昭和30年頃」: year 1 is always 元年.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.era.kanji())?;
        if self.year == 1 {
            f.write_str("元年")?;
        } else {
            write!(f, "{}年", self.year)?;
        }
        if let Some(m) = self.month {
            write!(f, "{m}月")?;
        }
        if let Some(d) = self.day {
            write!(f, "{d}日")?;
        }
        f.write_str(self.qualifier.suffix())
    }
}

/// `n` in full-width digits (１２３).
fn push_fullwidth_number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        digits[len] = (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        out.push(char::from_u32('０' as u32 + u32::from(d)).unwrap_or('０'));
    }
}

/// ASCII digits to full-width (１２３), leaving everything else as it is.
pub fn to_fullwidth_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            _ => c,
        })
        .collect()
}

struct EraInfo {
    era: Era,
    code: u8,
    kanji: String,
    letter: char,
    first: Gregorian,
    last: Gregorian,
    year1: i32,
}

/// The era table is compiled in, so a bad row is a build defect the unit tests catch.
fn bad_row<T>(line: &str) -> T {
    panic!("mappings/wareki/eras.tsv: bad row {line:?}")
}

/// The era table, parsed once from `mappings/wareki/eras.tsv` (compiled in).
fn era_table() -> &'static [EraInfo] {
    static TABLE: OnceLock<Vec<EraInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows: Vec<EraInfo> = include_str!("../../mappings/wareki/eras.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .zip(Era::ALL)
            .map(|(line, era)| {
                let f: Vec<&str> = line.split('\t').collect();
                EraInfo {
                    era,
                    code: f[0].parse().unwrap_or_else(|_| bad_row(line)),
                    kanji: f[1].to_string(),
                    letter: f[2].chars().next().unwrap_or_else(|| bad_row(line)),
                    first: Gregorian::parse_iso(f[3]).unwrap_or_else(|| bad_row(line)),
                    last: Gregorian::parse_iso(f[4]).unwrap_or_else(|| bad_row(line)),
                    year1: f[5].parse().unwrap_or_else(|_| bad_row(line)),
                }
            })
            .collect();
        assert_eq!(
            rows.len(),
            Era::ALL.len(),
            "mappings/wareki/eras.tsv must list 5 eras in order"
        );
        rows
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(y: i32, m: u8, d: u8) -> Gregorian {
        Gregorian::new(y, m, d).unwrap()
    }

    #[test]
    fn unix_days_known_points() {
        assert_eq!(g(1970, 1, 1).unix_days(), 0);
        assert_eq!(g(1969, 12, 31).unix_days(), -1);
        assert_eq!(g(2000, 3, 1).unix_days(), 11_017);
        assert_eq!(Gregorian::from_unix_days(19_358), g(2023, 1, 1));
        assert_eq!(Gregorian::from_unix_days(-25_567), g(1900, 1, 1));
    }

    proptest! {
        #[test]
        fn unix_days_round_trip(days in -1_000_000i64..1_000_000) {
            let g = Gregorian::from_unix_days(days);
            prop_assert!(Gregorian::new(g.year, g.month, g.day).is_some());
            prop_assert_eq!(g.unix_days(), days);
        }
    }

    #[test]
    fn era_boundaries_from_gregorian() {
        let cases = [
            ((1912, 7, 29), "明治45年7月29日"),
            ((1912, 7, 30), "大正元年7月30日"),
            ((1926, 12, 24), "大正15年12月24日"),
            ((1926, 12, 25), "昭和元年12月25日"),
            ((1989, 1, 7), "昭和64年1月7日"),
            ((1989, 1, 8), "平成元年1月8日"),
            ((2019, 4, 30), "平成31年4月30日"),
            ((2019, 5, 1), "令和元年5月1日"),
        ];
        for ((y, m, d), text) in cases {
            assert_eq!(
                WarekiDate::from_gregorian(g(y, m, d)).unwrap().to_string(),
                text
            );
        }
    }

    #[test]
    fn death_day_is_valid_in_both_eras() {
        let a = WarekiDate::parse("明治45年7月30日").unwrap();
        let b = WarekiDate::parse("大正元年7月30日").unwrap();
        assert_eq!(a.to_gregorian(), b.to_gregorian());
        assert_eq!(a.to_string(), "明治45年7月30日", "kept as written");
        let c = WarekiDate::parse("大正15年12月25日").unwrap();
        assert_eq!(c.to_gregorian(), Some(g(1926, 12, 25)));
        assert!(WarekiDate::parse("明治45年7月31日").is_err());
        assert!(WarekiDate::parse("大正15年12月26日").is_err());
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "昭和64年1月8日",
            "平成31年5月1日",
            "平成元年1月7日",
            "令和元年4月30日",
            "平成3年2月30日",
            "昭和0年1月1日",
            "平成5年13月1日",
        ] {
            assert!(WarekiDate::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(matches!(
            WarekiDate::parse("明治5年12月2日"),
            Err(WarekiError::Lunisolar(_))
        ));
        assert!(WarekiDate::parse("明治6年1月1日").is_ok());
    }

    #[test]
    fn gannen_and_fullwidth() {
        let d = WarekiDate::parse("平成１年１月８日").unwrap();
        assert_eq!(d.to_string(), "平成元年1月8日");
        assert_eq!(d.to_fullwidth(), "平成元年１月８日");
        assert_eq!(
            WarekiDate::parse("昭和４７年１１月３日")
                .unwrap()
                .to_fullwidth(),
            "昭和４７年１１月３日"
        );
    }

    #[test]
    fn partial_and_qualified() {
        let d = WarekiDate::parse("大正3年5月").unwrap();
        assert_eq!((d.month, d.day), (Some(5), None));
        assert_eq!(d.to_gregorian(), None);
        assert_eq!(d.gregorian_year(), 1914);
        let e = WarekiDate::parse("昭和30年頃").unwrap();
        assert_eq!(e.qualifier, Qualifier::Approximate);
        assert_eq!(e.to_string(), "昭和30年頃");
        // A partial date must still touch its era: 昭和64年 has 7 days, 平成元年1月 has 24.
        assert!(WarekiDate::parse("昭和64年1月").is_ok());
        assert!(WarekiDate::parse("昭和64年2月").is_err());
        assert!(WarekiDate::parse("平成元年1月").is_ok());
    }

    #[test]
    fn gyymmdd_round_trip() {
        let d = WarekiDate::from_gyymmdd(4_010_108).unwrap();
        assert_eq!(d.to_string(), "平成元年1月8日");
        assert_eq!(d.to_gyymmdd(), 4_010_108);
        assert_eq!(
            WarekiDate::from_gyymmdd(3_300_000).unwrap().to_string(),
            "昭和30年"
        );
        assert_eq!(
            WarekiDate::from_gyymmdd(3_640_108),
            Err(WarekiError::OutsideEra(
                "昭和64年1月8日".into(),
                Era::Showa,
                "1926-12-25".into(),
                "1989-01-07".into()
            ))
        );
        assert_eq!(
            WarekiDate::from_gyymmdd(9_010_101),
            Err(WarekiError::UnknownEraCode(9))
        );
    }

    proptest! {
        #[test]
        fn gregorian_round_trip(days in 0i64..(150 * 366)) {
            // Every day from 1873-01-01 on converts to exactly one 和暦 date and back.
            let mut d = g(1873, 1, 1);
            for _ in 0..(days % 400) { d = next_day(d); }
            let y = 1873 + (days / 400) as i32 % 160;
            if let Some(d) = Gregorian::new(y, d.month, d.day) {
                let w = WarekiDate::from_gregorian(d).unwrap();
                prop_assert_eq!(w.to_gregorian(), Some(d));
                prop_assert_eq!(WarekiDate::parse(&w.to_string()).unwrap(), w);
                prop_assert_eq!(WarekiDate::parse(&w.to_fullwidth()).unwrap(), w);
                prop_assert_eq!(w.to_fullwidth(), to_fullwidth_digits(&w.to_string()));
                prop_assert_eq!(WarekiDate::from_gyymmdd(w.to_gyymmdd()).unwrap(), w);
            }
        }

        #[test]
        fn fullwidth_is_display_with_fullwidth_digits(
            era in 0usize..5, year in 1u16..100, month in proptest::option::of(1u8..13),
            day in proptest::option::of(1u8..29), q in 0usize..3,
        ) {
            let q = [Qualifier::Exact, Qualifier::Estimated, Qualifier::Approximate][q];
            if let Ok(w) = WarekiDate::partial(Era::ALL[era], year, month, day.filter(|_| month.is_some()), q) {
                prop_assert_eq!(w.to_fullwidth(), to_fullwidth_digits(&w.to_string()));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = WarekiDate::parse(&s);
        }
    }

    fn next_day(d: Gregorian) -> Gregorian {
        if d.day < days_in_month(d.year, d.month) {
            Gregorian {
                day: d.day + 1,
                ..d
            }
        } else if d.month < 12 {
            Gregorian {
                month: d.month + 1,
                day: 1,
                ..d
            }
        } else {
            Gregorian {
                year: d.year + 1,
                month: 1,
                day: 1,
            }
        }
    }
}
