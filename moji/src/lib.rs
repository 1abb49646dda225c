//! moji: legacy code pages and the character model.

pub mod refdata;
