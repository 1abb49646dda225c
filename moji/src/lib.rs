//! moji
