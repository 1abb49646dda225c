//! `koseki search`: find persons, print JSON lines.

use std::path::PathBuf;
use std::process::ExitCode;

use runtime::search::SearchQuery;

/// Search persons by 氏名 (kanji: variants match through the MJ縮退マップ; kana: matches
/// 振り仮名), 本籍, 筆頭者 or 生年月日, over current and closed 戸籍 and image-register 見出し.
/// Prints one JSON object a line: koseki_id, person_id, image_register_id, honseki, hittosha,
/// name, kana, birth_date, status, removed. The search is written to the audit log.
///
/// Like a staff result page it prints the first --limit hits in rank order (exact keys first;
/// default 100, at most 200) and, when more matched, says so on stderr with the count (counted
/// up to 1000: "more than 1000"); narrow the search with --birth, --honseki or --hittosha.
#[derive(clap::Args)]
pub struct Args {
    /// The store.
    #[arg(long)]
    db: PathBuf,
    /// 氏名, 氏 or 名 (prefix match).
    #[arg(long)]
    name: Option<String>,
    /// 振り仮名 (prefix; hiragana, katakana or half-width): narrows --name, or searches alone.
    #[arg(long)]
    kana: Option<String>,
    /// 本籍 (part of it).
    #[arg(long)]
    honseki: Option<String>,
    /// 筆頭者 氏名 (prefix).
    #[arg(long)]
    hittosha: Option<String>,
    /// 生年月日: YYYY-MM-DD or 和暦 (昭和47年11月3日).
    #[arg(long)]
    birth: Option<String>,
    /// Only 現在 戸籍 and persons not 除籍.
    #[arg(long)]
    current_only: bool,
    /// At most this many results (at most 200; see --help).
    #[arg(long, default_value_t = runtime::search::DEFAULT_HITS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=runtime::search::MAX_HITS as u64))]
    limit: usize,
    /// Rebuild the search index from the register (after a schema upgrade says it is out of
    /// date) and exit; no search.
    #[arg(long, conflicts_with_all = ["name", "kana", "honseki", "hittosha", "birth"])]
    rebuild_index: bool,
    /// The store's key file.
    #[arg(long, env = "KOSEKI_KEY_FILE")]
    key_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.rebuild_index {
        let key = runtime::Key::resolve(args.key_file.as_deref())?;
        let store = runtime::Store::open(&args.db, &key)?;
        store.rebuild_search_index()?;
        eprintln!(
            "koseki search: search index of {} rebuilt",
            args.db.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.name.is_none()
        && args.kana.is_none()
        && args.honseki.is_none()
        && args.hittosha.is_none()
        && args.birth.is_none()
    {
        anyhow::bail!("give at least one of --name, --kana, --honseki, --hittosha, --birth");
    }
    let key = runtime::Key::resolve(args.key_file.as_deref())?;
    let store = runtime::Store::open(&args.db, &key)?;
    let q = SearchQuery {
        name: args.name,
        kana: args.kana,
        honseki: args.honseki,
        hittosha: args.hittosha,
        birth_date: args.birth,
        current_only: args.current_only,
        exclude_images: false,
        limit: Some(args.limit),
    };
    let user = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    let r = store.search_results_logged(&q, &user, "cli")?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for h in &r.hits {
            writeln!(out, "{}", serde_json::to_string(h)?)?;
        }
        out.flush()?;
    }
    if r.truncated() {
        let count = if r.more {
            format!("more than {}", r.matched)
        } else {
            r.matched.to_string()
        };
        eprintln!(
            "koseki search: results cut: {} of {count} matches shown; narrow the search (--birth, --honseki, --hittosha){}",
            r.hits.len(),
            if r.hits.len() < runtime::search::MAX_HITS {
                " or raise --limit"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
