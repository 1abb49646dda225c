//! runtime: the 戸籍 register after cutover — domain model, encrypted store, auth, audit,
//! search and backups. The web UI (`web`) and certificates (`certificate`) sit on top.

pub mod model;
pub mod util;
