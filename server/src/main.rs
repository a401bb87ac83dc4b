use clap::Parser;
use server::cli::{Cli, Command, UserAdd, UserCommand};
use server::config::Settings;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr: stdout carries what commands print (links, passwords, JSON).
    server::logging::init();
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => report(serve().await),
        Command::User(UserCommand::Add(args)) => report(user_add(args).await),
        // A pure file-in, JSON-out tool: no settings, no database.
        Command::Reconcile(args) => match server::reconcile::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("clearline reconcile: {e}");
                ExitCode::from(e.exit_code())
            }
        },
    }
}

async fn serve() -> anyhow::Result<()> {
    server::web::serve(Settings::from_env()?).await
}

async fn user_add(args: UserAdd) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let db = control::Db::connect(&settings.database_url).await?;
    println!(
        "{}",
        server::cli::user_add(&db, args, chrono::Utc::now()).await?
    );
    Ok(())
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clearline: {e:#}");
            ExitCode::FAILURE
        }
    }
}
