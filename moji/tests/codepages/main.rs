//! Code-page tests that look outside the crate: differential tests against glibc `iconv`
//! (run as a subprocess), round-trip property tests, and reference tests against the public
//! tables in `<workspace>/../shared/data` (skipped loudly when that folder is absent).

mod common;
mod iconv;
mod reference;
mod roundtrip;
