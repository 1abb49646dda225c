//! `koseki audit verify|list`: the tamper-evident audit log.

use std::process::ExitCode;

use super::store_args::StoreArgs;

/// Check or list the audit log (a hash chain of every search, view, issuance, login and change).
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain. Exit 0 when intact; exit 1 naming the first bad sequence
    /// number when any entry was edited, deleted or reordered.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print entries as JSON lines, newest first.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Only this user's entries.
        #[arg(long)]
        user: Option<String>,
        /// Only this action (search, view, issue, login, login_failed, logout, change, ...).
        #[arg(long)]
        action: Option<String>,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Verify { store } => {
            let report = store.open()?.audit_verify()?;
            match report.first_bad {
                None => {
                    println!("audit chain intact: {} entries", report.entries);
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    println!(
                        "audit chain BROKEN at entry {seq}: {why} ({} entries present)",
                        report.entries
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        AuditCommand::List {
            store,
            limit,
            user,
            action,
        } => {
            let action = match action {
                Some(a) => Some(
                    runtime::audit::AuditAction::from_code(&a)
                        .ok_or_else(|| anyhow::anyhow!("unknown audit action {a:?}"))?,
                ),
                None => None,
            };
            let filter = runtime::audit::AuditFilter {
                user,
                action,
                limit: Some(limit),
                ..Default::default()
            };
            for e in store.open()?.audit_entries(&filter)? {
                println!("{}", serde_json::to_string(&e)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
