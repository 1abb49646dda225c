//! One module per subcommand: each has `Args` (clap) and `run`.
pub mod audit;
pub mod backup;
pub mod certificate;
pub mod decode;
pub mod demo;
pub mod diff;
pub mod dump;
pub mod gaiji_font;
pub mod identify;
pub mod key;
pub mod migrate;
pub mod office;
pub mod restore;
pub mod sample;
pub mod search;
pub mod serve;
pub mod user;
