//! End-to-end tests for this area (owned by its crate's engineer).
