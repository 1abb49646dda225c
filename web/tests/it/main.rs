//! The web crate's integration tests, one binary: a real HTTPS server on 127.0.0.1 over a
//! real encrypted demo store; HTTP-level and security tests (`http`), and a headless
//! Chromium session driven over WebDriver (`browser`). `webdriver` is shared with the
//! workspace e2e tests, which include it by path; `poppler` is the certificate crate's.

mod browser;
mod http;
#[path = "../../../certificate/tests/support/poppler.rs"]
mod poppler;
mod support;
mod webdriver;
