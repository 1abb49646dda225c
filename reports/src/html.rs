//! Minimal HTML building: every piece of outside text goes through [`esc`].

use std::fmt::Write as _;

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'IPAmj明朝','IPAmjMincho','Noto Serif CJK JP',serif;margin:2em;color:#111}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.25em .6em;vertical-align:top}\
th{background:#eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.ok{color:#060;font-weight:bold}.ng{color:#b00;font-weight:bold}nav a{margin-right:1em}\
code{font-family:monospace}img.g{width:48px;height:48px;image-rendering:pixelated;border:1px solid #ccc}";

/// A page: title, navigation to the sibling pages, then the body.
pub fn page(title: &str, body: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(title)
    );
    s.push_str("<nav><a href=\"index.html\">移行結果報告書</a><a href=\"counts.html\">件数照合表</a><a href=\"characters.html\">文字照合</a><a href=\"integrity.html\">整合性</a><a href=\"quarantine.html\">隔離</a><a href=\"runlog.html\">実行ログ</a></nav>\n");
    let _ = writeln!(s, "<h1>{}</h1>", esc(title));
    s.push_str(body);
    s.push_str("\n</body></html>\n");
    s
}

/// A table from a header and rows of already-escaped cells. Cells starting with `\u{1}`
/// are numbers (right-aligned); the marker is dropped.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            match c.strip_prefix('\u{1}') {
                Some(n) => {
                    let _ = write!(s, "<td class=\"n\">{n}</td>");
                }
                None => {
                    let _ = write!(s, "<td>{c}</td>");
                }
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    s
}

/// A number cell for [`table`].
pub fn num(n: impl std::fmt::Display) -> String {
    format!("\u{1}{n}")
}

/// The Japanese name of a domain entity, with its id in brackets, for reviewers.
pub fn entity_label(entity: &str) -> String {
    let ja = match entity {
        "koseki" => "戸籍",
        "koseki_jiko" => "戸籍事項",
        "person" => "戸籍に記録されている者",
        "mibun_jiko" => "身分事項",
        "fuhyo" => "戸籍の附票",
        "uketsuke" => "受付帳",
        "fujuri" => "不受理申出",
        "image_register" => "イメージ見出し",
        "image_page" => "イメージ頁",
        "tokei" => "統計",
        "kojin_jotai" => "個人状態",
        "shikibetsu_fugo" => "識別符号",
        "jimu_renkei" => "事務内連携",
        "zaigai_senkyo" => "在外選挙人",
        _ => return esc(entity),
    };
    format!("{ja} <small>({})</small>", esc(entity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
        );
        assert_eq!(esc("山吹誠一"), "山吹誠一");
    }

    #[test]
    fn numbers_are_right_aligned() {
        let t = table(&["a"], &[vec![num(5)], vec![esc("x")]]);
        assert!(t.contains("<td class=\"n\">5</td>"));
        assert!(t.contains("<td>x</td>"));
    }
}
