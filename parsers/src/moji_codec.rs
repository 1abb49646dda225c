//! The bridge from `--encoding` names to `moji`'s code pages.
//!
//! Until `moji`'s codec API is in the tree, no name resolves here (only the built-in `ascii`).

use std::sync::Arc;

use crate::codec::TextCodec;

pub(crate) fn by_name(_name: &str) -> Option<Arc<dyn TextCodec>> {
    None
}
