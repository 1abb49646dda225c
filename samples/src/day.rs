//! Days as plain numbers (days since 1970-01-01, proleptic Gregorian) and their 和暦 forms.

use wareki::{Gregorian, WarekiDate};

pub type Day = i32;

/// Days since 1970-01-01.
pub fn from_ymd(y: i32, m: u32, d: u32) -> Day {
    let g = Gregorian {
        year: y,
        month: m as u8,
        day: d as u8,
    };
    g.unix_days() as Day
}

pub fn ymd(day: Day) -> (i32, u32, u32) {
    let g = Gregorian::from_unix_days(i64::from(day));
    (g.year, u32::from(g.month), u32::from(g.day))
}

pub fn year(day: Day) -> i32 {
    ymd(day).0
}

fn wareki(day: Day) -> Option<WarekiDate> {
    let (y, m, d) = ymd(day);
    WarekiDate::from_gregorian(Gregorian::new(y, m as u8, d as u8)?).ok()
}

/// `GYYMMDD` as vendor files store it (0 when there is no date).
pub fn gyymmdd(day: Option<Day>) -> u32 {
    day.and_then(wareki).map_or(0, |w| w.to_gyymmdd())
}

/// 「昭和６０年１１月３日」 as the 記載例 write it.
pub fn kanji(day: Day) -> String {
    wareki(day).map_or_else(
        || {
            let (y, m, d) = ymd(day);
            format!("{y}年{m}月{d}日")
        },
        |w| w.to_fullwidth(),
    )
}

/// `YYYYMMDD` for system dates.
pub fn yyyymmdd(day: Day) -> u32 {
    let (y, m, d) = ymd(day);
    y as u32 * 10_000 + m * 100 + d
}

/// Full-width digits for numbers inside JEF text.
pub fn zen(n: impl std::fmt::Display) -> String {
    wareki::to_fullwidth_digits(&n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trip_and_eras() {
        for d in [-60_000, -1, 0, 1, 6_950, 17_652, 20_000] {
            let (y, m, dd) = ymd(d);
            assert_eq!(from_ymd(y, m, dd), d);
        }
        assert_eq!(gyymmdd(Some(from_ymd(1989, 1, 7))), 3_640_107);
        assert_eq!(gyymmdd(Some(from_ymd(1989, 1, 8))), 4_010_108);
        assert_eq!(gyymmdd(Some(from_ymd(2019, 5, 1))), 5_010_501);
        assert_eq!(kanji(from_ymd(2019, 4, 30)), "平成３１年４月３０日");
        assert_eq!(kanji(from_ymd(2019, 5, 1)), "令和元年５月１日");
    }
}
