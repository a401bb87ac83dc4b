//! The command line: `clearline serve` (the default), `clearline user add` and
//! `clearline reconcile` (the file-in, JSON-out contract of issue 3; see [`crate::reconcile`]).

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use control::members::{NewMember, provision};
use control::password::NewPassword;
use control::{Db, Email, Role};
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "clearline",
    version,
    about = "Keeps Wise bank activity and QuickBooks Online books reconciled"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default when no command is given).
    Serve,
    /// Manage people.
    #[command(subcommand)]
    User(UserCommand),
    /// Reconcile Wise statements against QuickBooks postings; writes JSON (stdout by default).
    Reconcile(ReconcileArgs),
}

/// `clearline reconcile --bank FILE... --books FILE... --account CUR=ACCOUNT_ID... [--output FILE]`
/// (a stable contract: other tools call it).
#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// Wise balance statements: statement JSON, statement CSV or camt.053 XML (detected from
    /// the content), one balance per file.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub bank: Vec<PathBuf>,
    /// QuickBooks Online query responses (`{"QueryResponse": {...}}`), any mix of entities.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub books: Vec<PathBuf>,
    /// Which QBO bank account holds which Wise balance, e.g. `EUR=35`.
    #[arg(long, value_name = "CUR=ACCOUNT_ID", num_args = 1.., required = true,
          value_parser = parse_account)]
    pub account: Vec<AccountArg>,
    /// Write the JSON here (atomically: nothing is written on error) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// One `--account CUR=ACCOUNT_ID` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountArg {
    pub currency: String,
    pub account_id: String,
}

fn parse_account(text: &str) -> Result<AccountArg, String> {
    let (currency, account_id) = text
        .split_once('=')
        .ok_or_else(|| "expected CUR=ACCOUNT_ID, e.g. EUR=35".to_owned())?;
    let currency = currency.trim();
    let account_id = account_id.trim();
    if wise::Currency::parse(currency).is_none() {
        return Err(format!(
            "{currency:?} is not a currency code (three capital letters, e.g. EUR)"
        ));
    }
    if account_id.is_empty() || account_id.chars().any(char::is_whitespace) {
        return Err(format!("{account_id:?} is not a QBO account Id (e.g. 35)"));
    }
    Ok(AccountArg {
        currency: currency.to_owned(),
        account_id: account_id.to_owned(),
    })
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a person to an organization (creating both if needed).
    Add(UserAdd),
}

#[derive(Args, Debug)]
pub struct UserAdd {
    #[arg(long)]
    pub email: String,
    /// The organization's name; created if it does not exist.
    #[arg(long)]
    pub org: String,
    /// owner, bookkeeper or viewer.
    #[arg(long)]
    pub role: String,
    /// Display name (default: the part of the e-mail before @).
    #[arg(long)]
    pub name: Option<String>,
    /// Read the new person's password from standard input instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Runs `user add` and returns what to print.
pub async fn user_add(
    db: &Db,
    args: UserAdd,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let role: Role = args
        .role
        .parse()
        .map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let name = args.name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string()
    });
    let name =
        control::users::parse_display_name(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let exists = control::users::by_email(db, &email).await?.is_some();
    let (password, generated) = if exists {
        (None, None)
    } else if args.password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the password from stdin")?;
        let p = NewPassword::parse(text.trim_end_matches(['\r', '\n']))
            .map_err(|e| anyhow::anyhow!("password: {e}"))?;
        (Some(p), None)
    } else {
        let p = generate_password();
        (Some(NewPassword::parse(&p)?), Some(p))
    };
    let actor = control::audit::Actor::system("cli");
    let new = NewMember {
        email: email.clone(),
        display_name: name,
        role,
        password,
    };
    let done = provision(db, &actor, &args.org, new, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = format!(
        "{email} is now {role} of {:?}{}.",
        args.org.trim(),
        if done.created_organization {
            " (organization created)"
        } else {
            ""
        }
    );
    match generated {
        Some(p) => out.push_str(&format!("\nInitial password (shown once): {p}")),
        None if exists => out.push_str("\nThey sign in with their existing password."),
        None => {}
    }
    Ok(out)
}

fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
