//! `koseki user add|list|unlock`: staff accounts.

use std::io::Read;
use std::process::ExitCode;

use super::store_args::StoreArgs;

use anyhow::Context;
use runtime::auth::Role;

/// Manage staff users (roles 閲覧, 窓口, 審査・記載, 決裁, 管理).
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(clap::Subcommand)]
enum UserCommand {
    /// Add a user; prints the TOTP `otpauth://` URI to enrol in an authenticator app.
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// Login name.
        #[arg(long)]
        user: String,
        /// 閲覧, 窓口, 審査・記載, 決裁 or 管理 (or viewer, clerk, examiner, approver, admin).
        #[arg(long)]
        role: String,
        /// Read the password from standard input (at least 10 characters; one trailing
        /// newline is dropped). Required: passwords never go on the command line.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users (JSON lines, no secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Unlock an account locked after repeated failed logins.
    Unlock {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        user: String,
    },
}

fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        UserCommand::Add {
            store,
            user,
            role,
            password_stdin: _,
        } => {
            let role = Role::parse(&role)
                .ok_or_else(|| runtime::auth::AuthError::UnknownRole(role.clone()))?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from stdin")?;
            let password = password.strip_suffix('\n').unwrap_or(&password);
            let password = password.strip_suffix('\r').unwrap_or(password);
            let s = store.open()?;
            let new = s.add_user(&user, role, password, &actor(), "cli")?;
            println!("{}", new.otpauth_uri);
            eprintln!(
                "koseki: added {user} ({}); enrol the URI above in an authenticator app now: it is shown only once",
                role.label()
            );
        }
        UserCommand::List { store } => {
            for u in store.open()?.users()? {
                println!(
                    "{}",
                    serde_json::to_string(&serde_json::json!({
                        "name": u.name, "role": u.role.label(), "locked": u.locked, "disabled": u.disabled, "failed_logins": u.failed_logins,
                    }))?
                );
            }
        }
        UserCommand::Unlock { store, user } => {
            store.open()?.unlock_user(&user, &actor(), "cli")?;
            eprintln!("koseki: unlocked {user}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
