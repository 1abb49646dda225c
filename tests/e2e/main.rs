//! End-to-end tests: each module runs the built `koseki` binary as a user would.

mod common;
mod decode;
mod demo;
mod dump;
mod identify;
mod migrate;
mod runtime;
mod sample;
mod web;
