//! `xanh user`: add, list, disable, enable and reset users, and create API tokens, on the
//! server itself (no default password exists anywhere: the first admin is made here or
//! through the one-time setup link).

use std::io::{BufRead, IsTerminal, Write};

use clap::{Args, Subcommand};
use serde_json::json;

use crate::auth::Auth;
use crate::config::Config;
use crate::domain::{DepartmentId, MeterId, Role, Username};
use crate::store::Accounts;

#[derive(Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input (or asked for on a terminal).
    Add {
        /// The login name, such as nguyen.lan.
        username: String,
        /// The person's full name, shown in pages and recorded with their entries.
        #[arg(long = "name", value_name = "FULL NAME")]
        display_name: String,
        /// Make them an admin (HC-QT), the same as `--role admin`.
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// admin, reporter or viewer.
        #[arg(long, default_value = "viewer")]
        role: Role,
        /// A department a reporter enters readings for (repeat for several).
        #[arg(long = "department", value_name = "ID")]
        departments: Vec<DepartmentId>,
    },
    /// List the users.
    List,
    /// Stop a user from signing in (their sessions end; their tokens stop working).
    Disable { username: Username },
    /// Let a disabled user sign in again.
    Enable { username: Username },
    /// Set a new password (read like `add`'s); the user's sessions end.
    Reset { username: Username },
    /// Create an API token for a user's scripts or gateways; it is printed once.
    Token {
        /// The token's owner.
        username: Username,
        /// What uses it, such as gateway-tang-1.
        #[arg(long = "name", value_name = "NAME")]
        name: String,
        /// Its rights, never more than the owner's: viewer, reporter or admin.
        #[arg(long, default_value = "reporter")]
        role: Role,
        /// A meter it may submit readings for (repeat for several; none: all the owner may).
        #[arg(long = "meter", value_name = "ID")]
        meters: Vec<MeterId>,
    },
}

/// A password from standard input: prompted for, without echo, on a terminal; otherwise the
/// first line (so that `printf '%s\n' "$PASSWORD" | xanh user add …` works in scripts).
pub(super) fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("{prompt}: ");
        std::io::stderr().flush()?;
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn run(config: Config, args: UserArgs) -> anyhow::Result<()> {
    let auth = Auth::new(Accounts::open(config.store.embedded_path())?, config.web_access.session_ttl);
    match args.command {
        UserCommand::Add { username, display_name, admin, role, departments } => {
            let role = if admin { Role::Admin } else { role };
            for d in &departments {
                anyhow::ensure!(
                    config.department(d).is_some(),
                    "no department `{d}` is configured in {}",
                    config.source
                );
            }
            let password = read_password("Password (at least 10 characters)")?;
            let user = auth.add_user(&username, &display_name, role, departments, &password).await?;
            let after = json!({ "username": user.username, "display_name": user.display_name, "role": user.role, "departments": user.departments });
            auth.audit(None, "user.add", user.username.to_string(), None, Some(after)).await?;
            println!("added {} ({}, {})", user.username, user.display_name, user.role);
        }
        UserCommand::List => {
            for user in auth.users().await? {
                let departments = user.departments.iter().map(DepartmentId::as_str).collect::<Vec<_>>().join(",");
                let state = if user.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{}\t{}", user.username, user.role, state, departments, user.display_name);
            }
        }
        UserCommand::Disable { username } => {
            auth.set_disabled(&username, true).await?;
            auth.audit(None, "user.disable", username.to_string(), None, None).await?;
            println!("disabled {username}");
        }
        UserCommand::Enable { username } => {
            auth.set_disabled(&username, false).await?;
            auth.audit(None, "user.enable", username.to_string(), None, None).await?;
            println!("enabled {username}");
        }
        UserCommand::Reset { username } => {
            let password = read_password("New password (at least 10 characters)")?;
            auth.reset_password(&username, &password).await?;
            auth.audit(None, "user.reset", username.to_string(), None, None).await?;
            println!("new password set for {username}; their sessions have ended");
        }
        UserCommand::Token { username, name, role, meters } => {
            let owner = auth
                .user(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no user `{username}`: see `xanh user list`"))?;
            for m in &meters {
                anyhow::ensure!(config.meter(m).is_some(), "no meter `{m}` is configured in {}", config.source);
            }
            let meters = (!meters.is_empty()).then_some(meters);
            let (secret, record) = auth.create_token(&owner, &name, role, meters).await?;
            let after = json!({ "id": record.id, "name": record.name, "role": record.role, "meters": record.meters });
            auth.audit(None, "token.create", format!("token {}", record.id), None, Some(after)).await?;
            eprintln!("token {} for {username} ({role}); it is shown only this once:", record.id);
            println!("{secret}");
        }
    }
    Ok(())
}
