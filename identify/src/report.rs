//! The review page: each new gaiji beside its candidates, as pictures, with MJ name,
//! UCS+IVS, 戸籍統一文字番号 and score; filter by level. Images are PNG files beside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::glyph::GlyphId;
use crate::image_io::encode_png;
use crate::input::Gaiji;
use crate::mapping::Level;
use crate::run::{GaijiResult, Outcome, Settled};

#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Write `dir/index.html` and `dir/img/*.png`. Gaiji settled by an earlier reviewed decision
/// are left out (they need no second look); the page says how many.
pub fn write_report(
    dir: &Path,
    gaiji: &[Gaiji],
    outcome: &Outcome,
) -> Result<PathBuf, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError { path, source }
    };
    let img = dir.join("img");
    std::fs::create_dir_all(&img).map_err(io(&img))?;
    let Some(ix) = outcome.any_index() else {
        return Err(ReportError {
            path: dir.to_path_buf(),
            source: std::io::Error::other("no reference index"),
        });
    };
    let font = ix.font().font().map_err(|e| ReportError {
        path: ix.font().path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut written = std::collections::HashSet::new();
    let reviewed = outcome
        .results
        .iter()
        .filter(|r| r.settled == Settled::Reviewed)
        .count();
    let mut counts = std::collections::BTreeMap::new();
    let mut body = String::new();
    for (g, r) in gaiji.iter().zip(&outcome.results) {
        if r.settled == Settled::Reviewed {
            continue;
        }
        let level = r.level();
        *counts.entry(level).or_insert(0usize) += 1;
        let gname = format!("gaiji-{}.png", r.code);
        let p = img.join(&gname);
        std::fs::write(&p, encode_png(&g.bitmap)).map_err(io(&p))?;
        let _ = write!(
            body,
            "<tr class=\"lv-{lv}\"><td class=\"g\"><img src=\"img/{gname}\" alt=\"gaiji {code}\"><div class=\"code\">{code}</div><div class=\"lv {lv}\">{lv}{how}</div></td><td><div class=\"cands\">",
            lv = level.as_str(),
            code = esc(&r.code),
            how = if r.settled == Settled::Table {
                " (table)"
            } else {
                ""
            },
        );
        for row in &r.rows {
            let Some(e) = row.entry.map(|i| &ix.entries[i]) else {
                continue;
            };
            let cname = format!("{}.png", e.mj);
            if written.insert(e.mj.clone()) {
                let p = img.join(&cname);
                std::fs::write(&p, encode_png(&font.raster(GlyphId(e.glyph), 64)))
                    .map_err(io(&p))?;
            }
            let _ = write!(
                body,
                "<div class=\"c\"><img src=\"img/{cname}\" alt=\"{mj}\"><div><b>{rank}.</b> {mj}</div><div>{txt} {ucs}{ivs}</div><div>戸籍 {koseki}</div><div>score {score:.3} <span class=\"lv {lv}\">{lv}</span></div></div>",
                mj = esc(&e.mj),
                rank = row.rank,
                txt = esc(&e.text()),
                ucs = esc(&row.ucs),
                ivs = if row.ivs.is_empty() {
                    String::new()
                } else {
                    format!(" {}", esc(&row.ivs))
                },
                koseki = if e.koseki.is_empty() {
                    "—".to_string()
                } else {
                    esc(&e.koseki)
                },
                score = row.score,
                lv = row.level.as_str(),
            );
        }
        body.push_str("</div></td></tr>\n");
    }
    let mut filters = String::new();
    for lv in [Level::Exact, Level::Design, Level::Similar, Level::None] {
        let _ = write!(
            filters,
            "<label><input type=\"checkbox\" checked onchange=\"document.body.classList.toggle('hide-{l}', !this.checked)\"> {l} ({n})</label> ",
            l = lv.as_str(),
            n = counts.get(&lv).copied().unwrap_or(0)
        );
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>文字同定 review</title><style>\n\
body{{font-family:sans-serif;margin:1em}} table{{border-collapse:collapse}} td{{border-top:1px solid #ccc;padding:6px;vertical-align:top}}\n\
img{{width:64px;height:64px;border:1px solid #999;image-rendering:pixelated;background:#fff}} .g{{text-align:center;background:#f6f6f6}}\n\
.cands{{display:flex;flex-wrap:wrap;gap:8px}} .c{{font-size:12px;width:150px}} .code{{font-family:monospace;font-weight:bold}}\n\
.lv{{padding:0 4px;border-radius:3px}} .exact{{background:#b6e3b6}} .design{{background:#d8efb0}} .similar{{background:#f6dd9a}} .none{{background:#f3b0b0}}\n\
body.hide-exact tr.lv-exact, body.hide-design tr.lv-design, body.hide-similar tr.lv-similar, body.hide-none tr.lv-none{{display:none}}\n\
</style></head><body>\n<h1>文字同定 review</h1>\n<p>{shown} gaiji to review ({reviewed} settled by earlier reviewed decisions are not shown). \
Levels: exact = same glyph (字形一致), design = same character, design difference (デザイン差), similar = looks alike, a different character (類似文字), none = no candidate.</p>\n\
<p>Show: {filters}</p>\n<table>\n{body}</table>\n</body></html>\n",
        shown = counts.values().sum::<usize>(),
    );
    let index = dir.join("index.html");
    std::fs::write(&index, html).map_err(io(&index))?;
    Ok(index)
}

/// Results as the report would list them (exposed for tests).
pub fn shown(results: &[GaijiResult]) -> impl Iterator<Item = &GaijiResult> {
    results.iter().filter(|r| r.settled != Settled::Reviewed)
}
