//! The web crate's integration tests, one binary: a real HTTPS server on 127.0.0.1 over a
//! real encrypted demo store; HTTP-level and security tests (`http`), and a headless
//! Chromium session driven over WebDriver (`browser`). `webdriver` and `poppler` are shared
//! with the workspace e2e tests, which include them by path.

mod browser;
mod http;
mod poppler;
mod support;
mod webdriver;
