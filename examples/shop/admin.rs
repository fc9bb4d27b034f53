//! The shop's admin tool, with Alembic's commands mounted as `db`: in
//! production the binary is all there is, and it carries its revisions.
//!
//! ```text
//! shop-admin db history
//! shop-admin db upgrade head
//! shop-admin db current
//! shop-admin db downgrade -1
//! shop-admin db check
//! ```
//!
//! The database is `SHOP_DATABASE_URL` (default `sqlite://shop.db`).

use std::process::ExitCode;

use clap::Parser;

/// The revisions of `shop/alembic/versions`, checked while this compiles.
#[retort::migrations("shop/alembic/versions")]
pub struct Migrations;

/// The shop's admin tool.
#[derive(Parser)]
#[command(name = "shop-admin")]
enum Admin {
    /// Database migrations: Alembic's commands over the embedded revisions.
    #[command(subcommand)]
    Db(retort::cli::Command),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Admin::Db(command) = Admin::parse();
    let url = std::env::var("SHOP_DATABASE_URL").unwrap_or_else(|_| "sqlite://shop.db?mode=rwc".to_owned());
    let pool = match sqlx::SqlitePool::connect(&url).await {
        Ok(pool) => pool,
        Err(err) => {
            eprintln!("FAILED: cannot open {}: {err}", retort::redact(&url));
            return ExitCode::from(255);
        }
    };
    let connection = retort::cli::Connection::new(&pool).named(retort::redact(&url));
    command.run_and_report(Migrations::migrator(), connection).await
}
