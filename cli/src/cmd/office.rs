//! `koseki office set|show`: the issuing office printed on every certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use super::store_args::StoreArgs;

use anyhow::Context;

/// The issuing office on certificates: the 「…市長」 line, the mayor's name and the 電子公印.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: OfficeCommand,
}

#[derive(clap::Subcommand)]
enum OfficeCommand {
    /// Set the office line, the mayor's name and optionally the seal image; logged in the
    /// audit chain (action `change`, target `office`) with the old and new values.
    Set {
        #[command(flatten)]
        store: StoreArgs,
        /// The office line as printed, e.g. 架空県みなと市長.
        #[arg(long)]
        name: String,
        /// The mayor's name as printed (spacing kept), e.g. 「港　　太　郎」.
        #[arg(long)]
        mayor: String,
        /// The 電子公印 as a PNG, drawn over the seal slot (the stored one stays without it).
        #[arg(long)]
        seal: Option<PathBuf>,
    },
    /// Print the stored settings as one JSON object (null where unset: defaults apply).
    Show {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = match args.command {
        OfficeCommand::Set {
            store,
            name,
            mayor,
            seal,
        } => {
            let seal = seal
                .map(|p| std::fs::read(&p).with_context(|| format!("reading {}", p.display())))
                .transpose()?;
            let s = store.open()?;
            let font = certificate::CertFont::ipamj()?;
            let user = format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            );
            certificate::issue::set_office_logged(
                &s,
                &font,
                &name,
                &mayor,
                seal.as_deref(),
                &user,
                "cli",
            )?
        }
        OfficeCommand::Show { store } => certificate::issue::office_settings(&store.open()?)?,
    };
    println!("{}", serde_json::to_string(&settings)?);
    Ok(ExitCode::SUCCESS)
}
