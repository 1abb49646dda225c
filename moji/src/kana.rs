//! Width conversion of katakana: EBCDIC カナ fields carry half-width katakana (U+FF61..U+FF9F)
//! with separate voiced marks (ｶﾞ); readings elsewhere are full-width (ガ).

/// Full-width forms of U+FF61..U+FF9F, in order (。「」、・ヲァィゥェォャュョッーアイウエオ
/// カキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜).
const FULL: [u16; 63] = [
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30E3,
    0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF,
    0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,
    0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF,
    0x30F3, 0x309B, 0x309C,
];

const HALF_VOICED: char = 'ﾞ';
const HALF_SEMI: char = 'ﾟ';

fn full_of(half: char) -> Option<char> {
    let k = u32::from(half).checked_sub(0xFF61)? as usize;
    FULL.get(k).and_then(|&f| char::from_u32(u32::from(f)))
}

fn half_of(full: char) -> Option<char> {
    let f = u16::try_from(u32::from(full)).ok()?;
    let k = FULL.iter().position(|&x| x == f)?;
    char::from_u32(0xFF61 + k as u32)
}

/// Whether a full-width kana takes a voiced mark by adding 1 (and, for ハ行, a semi-voiced
/// mark by adding 2).
fn voiceable(full: char) -> (bool, bool) {
    let u = u32::from(full);
    let ka_to = matches!(u, 0x30AB..=0x30C2) && u % 2 == 1 || matches!(u, 0x30C4 | 0x30C6 | 0x30C8);
    let ha = matches!(u, 0x30CF | 0x30D2 | 0x30D5 | 0x30D8 | 0x30DB);
    (ka_to || ha, ha)
}

/// Marked forms that are not base + 1: ヴ (ｳﾞ), ヷ (ﾜﾞ), ヺ (ｦﾞ).
const SPECIAL_VOICED: [(char, char); 3] = [('ウ', 'ヴ'), ('ワ', 'ヷ'), ('ヲ', 'ヺ')];

/// Append `src` with half-width katakana made full-width, a following ﾞ/ﾟ combined with
/// its kana (ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ); a mark that cannot combine becomes ゛/゜.
/// Everything else is copied unchanged.
pub fn push_katakana_fullwidth(src: &str, out: &mut String) {
    let mut it = src.chars().peekable();
    while let Some(c) = it.next() {
        let Some(f) = full_of(c) else {
            out.push(c);
            continue;
        };
        let (voiced, semi) = voiceable(f);
        let special = SPECIAL_VOICED
            .iter()
            .find(|(b, _)| *b == f)
            .map(|(_, v)| *v);
        match it.peek() {
            Some(&HALF_VOICED) if voiced || special.is_some() => {
                it.next();
                out.push(
                    special
                        .or_else(|| char::from_u32(u32::from(f) + 1))
                        .unwrap_or(f),
                );
            }
            Some(&HALF_SEMI) if semi => {
                it.next();
                out.push(char::from_u32(u32::from(f) + 2).unwrap_or(f));
            }
            _ => out.push(f),
        }
    }
}

/// `src` with half-width katakana made full-width (see [`push_katakana_fullwidth`]).
pub fn katakana_to_fullwidth(src: &str) -> String {
    let mut s = String::with_capacity(src.len());
    push_katakana_fullwidth(src, &mut s);
    s
}

/// Append `src` with full-width katakana (and 。「」、・ー゛゜) made half-width, voiced kana
/// split into kana + mark (ガ → ｶﾞ), and the ideographic space U+3000 made U+0020, as an
/// EBCDIC カナ field needs. Characters without a half-width form (ヰ, ヱ, ヶ, kanji…) are
/// copied unchanged, so the encoder can name them.
pub fn push_katakana_halfwidth(src: &str, out: &mut String) {
    for c in src.chars() {
        if c == '\u{3000}' {
            out.push(' ');
            continue;
        }
        if let Some(h) = half_of(c) {
            out.push(h);
            continue;
        }
        if let Some((base, _)) = SPECIAL_VOICED.iter().find(|(_, v)| *v == c)
            && let Some(h) = half_of(*base)
        {
            out.push(h);
            out.push(HALF_VOICED);
            continue;
        }
        let u = u32::from(c);
        let base1 = char::from_u32(u.wrapping_sub(1)).filter(|b| voiceable(*b).0);
        let base2 = char::from_u32(u.wrapping_sub(2)).filter(|b| voiceable(*b).1);
        match (base1.and_then(half_of), base2.and_then(half_of)) {
            (Some(h), _) => {
                out.push(h);
                out.push(HALF_VOICED);
            }
            (None, Some(h)) => {
                out.push(h);
                out.push(HALF_SEMI);
            }
            _ => out.push(c),
        }
    }
}

/// `src` made half-width (see [`push_katakana_halfwidth`]).
pub fn katakana_to_halfwidth(src: &str) -> String {
    let mut s = String::with_capacity(src.len());
    push_katakana_halfwidth(src, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn combines_marks() {
        assert_eq!(katakana_to_fullwidth("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(katakana_to_fullwidth("ｶﾞｷﾞﾊﾟﾋﾟｳﾞﾜﾞｦﾞ"), "ガギパピヴヷヺ");
        assert_eq!(katakana_to_fullwidth("ｱﾞﾏﾟﾞ"), "ア゛マ゜゛");
        assert_eq!(katakana_to_fullwidth("ｰ｡｢｣､･ｧｯﾝ"), "ー。「」、・ァッン");
        assert_eq!(katakana_to_fullwidth("A1"), "A1");
    }

    #[test]
    fn splits_marks() {
        assert_eq!(katakana_to_halfwidth("ヤマダ　タロウ"), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(katakana_to_halfwidth("ガギパピヴヷヺポ"), "ｶﾞｷﾞﾊﾟﾋﾟｳﾞﾜﾞｦﾞﾎﾟ");
        assert_eq!(katakana_to_halfwidth("ヰ漢"), "ヰ漢");
        // ッ (30C3) + 1 is ツ (30C4), not a voiced form.
        assert_eq!(katakana_to_halfwidth("ツッ"), "ﾂｯ");
    }

    proptest! {
        #[test]
        fn half_full_half_round_trips(s in "[\u{FF61}-\u{FF9F}a-z ]{0,40}") {
            let full = katakana_to_fullwidth(&s);
            let half = katakana_to_halfwidth(&full);
            // A mark that followed a kana it cannot combine with comes back as the same mark.
            prop_assert_eq!(katakana_to_fullwidth(&half), full);
        }
    }
}
