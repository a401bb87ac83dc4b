use clap::Parser;
use server::cli::{Cli, Command, UserCommand};
use server::config::Settings;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // `reconcile` is a pure file-in, JSON-out tool: no settings, no database, and no log
    // lines on stdout, which carries the JSON.
    if let Some(Command::Reconcile(args)) = &cli.command {
        return match server::reconcile::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("clearline reconcile: {e}");
                ExitCode::from(e.exit_code())
            }
        };
    }
    server::logging::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clearline: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::web::serve(settings).await,
        Command::User(UserCommand::Add(args)) => {
            let db = control::Db::connect(&settings.database_url).await?;
            let out = server::cli::user_add(&db, args, chrono::Utc::now()).await?;
            println!("{out}");
            Ok(())
        }
        Command::Reconcile(_) => unreachable!("handled before the runtime's other work"),
    }
}
