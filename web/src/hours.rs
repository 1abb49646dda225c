//! Operating hours (開庁時間) in Japan time: staff pages refuse outside them unless an
//! administrator overrides (logged).

use std::str::FromStr;

/// `[open, close)` in minutes after midnight, Japan time (UTC+9). `open == close` means
/// always closed; `00:00-24:00` always open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatingHours {
    pub open_min: u32,
    pub close_min: u32,
}

impl Default for OperatingHours {
    /// 8:00–21:00.
    fn default() -> Self {
        OperatingHours {
            open_min: 8 * 60,
            close_min: 21 * 60,
        }
    }
}

impl OperatingHours {
    pub const ALWAYS: OperatingHours = OperatingHours {
        open_min: 0,
        close_min: 24 * 60,
    };

    /// Open at Unix time `t`?
    pub fn open_at(&self, t: i64) -> bool {
        let m = ((t + 9 * 3600).rem_euclid(86_400) / 60) as u32;
        self.open_min <= m && m < self.close_min
    }

    /// 「8:00〜21:00」.
    pub fn label(&self) -> String {
        format!(
            "{}:{:02}〜{}:{:02}",
            self.open_min / 60,
            self.open_min % 60,
            self.close_min / 60,
            self.close_min % 60
        )
    }
}

impl FromStr for OperatingHours {
    type Err = String;

    /// `HH:MM-HH:MM`, e.g. `08:00-21:00`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("operating hours {s:?}: expected HH:MM-HH:MM, e.g. 08:00-21:00");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let parse = |x: &str| -> Result<u32, String> {
            let (h, m) = x.trim().split_once(':').ok_or_else(bad)?;
            let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if m >= 60 || h * 60 + m > 24 * 60 {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let (open_min, close_min) = (parse(a)?, parse(b)?);
        if close_min < open_min {
            return Err(bad());
        }
        Ok(OperatingHours {
            open_min,
            close_min,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_time_window() {
        let h = OperatingHours::default();
        // 2026-10-01 00:00 UTC = 09:00 JST: open; 12:30 UTC = 21:30 JST: closed.
        let t = 1_790_812_800;
        assert!(h.open_at(t));
        assert!(!h.open_at(t + 12 * 3600 + 1800));
        assert!(!h.open_at(t - 2 * 3600)); // 07:00 JST
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            "08:00-21:00".parse::<OperatingHours>().unwrap(),
            OperatingHours::default()
        );
        assert!("21:00-08:00".parse::<OperatingHours>().is_err());
        assert!("8-21".parse::<OperatingHours>().is_err());
        assert!(!"09:00-09:00".parse::<OperatingHours>().unwrap().open_at(0));
    }
}
