//! Where the installed reference data lives. The product never downloads at run time:
//! `scripts/setup.sh` installs IPAmj明朝 (Debian `fonts-ipamj-mincho`) and the MJ tables
//! (npm `@mandel59/mojidata`, SQLite `moji.db`); this module only finds them.

use std::path::PathBuf;

/// The IPAmj明朝 font: `$KOSEKI_IPAMJ_FONT`, or Debian's install path.
pub fn ipamj_font_path() -> PathBuf {
    std::env::var_os("KOSEKI_IPAMJ_FONT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/fonts/truetype/ipamj/ipamjm.ttf"))
}

/// koseki's own data folder: `$KOSEKI_HOME`, or `~/.local/share/koseki`.
pub fn koseki_home() -> PathBuf {
    if let Some(p) = std::env::var_os("KOSEKI_HOME") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".local/share/koseki")
}

/// The MJ文字情報 SQLite database from `@mandel59/mojidata`: `$KOSEKI_MOJIDATA`, or where
/// `scripts/setup.sh` installs it under [`koseki_home`].
pub fn mojidata_db_path() -> PathBuf {
    std::env::var_os("KOSEKI_MOJIDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| koseki_home().join("npm/node_modules/@mandel59/mojidata/dist/moji.db"))
}

/// A folder for caches built from the reference data (e.g. the glyph index).
pub fn cache_dir() -> PathBuf {
    koseki_home().join("cache")
}
