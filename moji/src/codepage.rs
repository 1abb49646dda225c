//! The code pages koseki reads and writes, by their command-line names.

use std::fmt;
use std::str::FromStr;

/// A legacy code page. `FromStr`/`Display` use the command-line names
/// (`ebcdic-kana`, `ibm930`, `ibm939`, `ibm1390`, `ibm1399`, `jef`, `cp932`, `euc-jp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CodePage {
    /// IBM CCSID 290 single byte (EBCDIC カナ); kana stay half-width (U+FF61..U+FF9F).
    EbcdicKana,
    /// IBM CCSID 930: CCSID 290 single byte + CCSID 300 double byte, SO 0x0E / SI 0x0F.
    Ibm930,
    /// IBM CCSID 939: CCSID 1027 (Latin) single byte + CCSID 300 double byte.
    Ibm939,
    /// IBM CCSID 1390: like 930 with the JIS X 0213 additions (some codes give two code points).
    Ibm1390,
    /// IBM CCSID 1399: like 939 with the JIS X 0213 additions.
    Ibm1399,
    /// Fujitsu JEF: EBCDIK single byte, shift 0x28/0x38 into double byte and 0x29 back;
    /// the standard double-byte area follows JIS C 6226-1978.
    Jef,
    /// Microsoft code page 932 (Shift_JIS family), via encoding_rs (WHATWG Shift_JIS).
    Cp932,
    /// EUC-JP, via encoding_rs (WHATWG EUC-JP).
    EucJp,
}

impl CodePage {
    /// Every code page, in the order `--help` lists them.
    pub const ALL: [CodePage; 8] = [
        CodePage::EbcdicKana,
        CodePage::Ibm930,
        CodePage::Ibm939,
        CodePage::Ibm1390,
        CodePage::Ibm1399,
        CodePage::Jef,
        CodePage::Cp932,
        CodePage::EucJp,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            CodePage::EbcdicKana => "ebcdic-kana",
            CodePage::Ibm930 => "ibm930",
            CodePage::Ibm939 => "ibm939",
            CodePage::Ibm1390 => "ibm1390",
            CodePage::Ibm1399 => "ibm1399",
            CodePage::Jef => "jef",
            CodePage::Cp932 => "cp932",
            CodePage::EucJp => "euc-jp",
        }
    }

    /// glibc iconv's name for the same code page, when glibc has one (used by the
    /// differential tests and the benchmark; JEF has none).
    pub fn iconv_name(self) -> Option<&'static str> {
        match self {
            CodePage::EbcdicKana => Some("IBM290"),
            CodePage::Ibm930 => Some("IBM930"),
            CodePage::Ibm939 => Some("IBM939"),
            CodePage::Ibm1390 => Some("IBM1390"),
            CodePage::Ibm1399 => Some("IBM1399"),
            CodePage::Jef => None,
            CodePage::Cp932 => Some("CP932"),
            CodePage::EucJp => Some("EUC-JP"),
        }
    }

    /// Whether a mixed stream switches between single and double byte with shift codes
    /// (SO/SI for IBM, 0x28/0x38 and 0x29 for JEF).
    pub fn is_shifted(self) -> bool {
        matches!(
            self,
            CodePage::Ibm930
                | CodePage::Ibm939
                | CodePage::Ibm1390
                | CodePage::Ibm1399
                | CodePage::Jef
        )
    }

    /// Whether the code page has a double-byte half at all (`ebcdic-kana` has not).
    pub fn has_double_byte(self) -> bool {
        self != CodePage::EbcdicKana
    }
}

impl fmt::Display for CodePage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A code-page name that koseki does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown encoding {0:?}: expected one of ebcdic-kana, ibm930, ibm939, ibm1390, ibm1399, jef, cp932, euc-jp"
)]
pub struct UnknownCodePage(pub String);

impl FromStr for CodePage {
    type Err = UnknownCodePage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        CodePage::ALL
            .into_iter()
            .find(|p| p.name() == lower)
            .ok_or_else(|| UnknownCodePage(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in CodePage::ALL {
            assert_eq!(p.to_string().parse::<CodePage>(), Ok(p));
        }
        assert_eq!("IBM930".parse::<CodePage>(), Ok(CodePage::Ibm930));
        assert!("ibm931".parse::<CodePage>().is_err());
    }
}
