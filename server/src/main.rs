use clap::Parser;
use server::cli::{Cli, Command, UserCommand};
use server::config::Settings;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    server::logging::init();
    let cli = Cli::parse();
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
    }
}
