//! The web crate's integration tests, one binary: a real HTTPS server on 127.0.0.1 over a
//! real encrypted demo store; HTTP-level and security tests (`http`), and a headless
//! Chromium session driven over WebDriver (`browser`).

mod browser;
mod http;
mod support;
