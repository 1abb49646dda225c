//! One module per subcommand: each has `Args` (clap) and `run`.
pub mod sample;
pub mod decode;
pub mod dump;
pub mod identify;
pub mod gaiji_font;
pub mod migrate;
pub mod diff;
pub mod serve;
pub mod search;
pub mod certificate;
pub mod key;
pub mod user;
pub mod audit;
pub mod backup;
pub mod restore;
pub mod demo;
