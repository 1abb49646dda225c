//! End-to-end tests: each module runs the built `koseki` binary as a user would.

mod common;
