//! A small shop's schema history — customers, orders, an index on one
//! branch, an order status on another, and the merge of the two — embedded
//! in the binary and applied to an SQLite database at start-up, as an
//! application does.
//!
//! `cargo run -p retort-examples --bin shop` creates `shop.db` in the
//! current directory (or uses `SHOP_DATABASE_URL`), upgrades it to head and
//! prints what it applied; a second run finds nothing to do.

use std::process::ExitCode;

/// The revisions of `shop/alembic/versions`, checked while this compiles.
#[retort::migrations("shop/alembic/versions")]
pub struct Migrations;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let url = std::env::var("SHOP_DATABASE_URL").unwrap_or_else(|_| "sqlite://shop.db?mode=rwc".to_owned());
    let pool = match sqlx::SqlitePool::connect(&url).await {
        Ok(pool) => pool,
        Err(err) => {
            eprintln!("FAILED: cannot open {}: {err}", retort::redact(&url));
            return ExitCode::FAILURE;
        }
    };
    match Migrations::upgrade(&pool, "head").await {
        Ok(report) if report.steps.is_empty() => {
            println!("{} is already at head ({})", retort::redact(&url), report.heads_after.join(", "));
        }
        Ok(report) => {
            for step in &report.steps {
                println!("Running {} ({} ms)", step.description, step.duration.as_millis());
            }
            println!("{} is at head: {}", retort::redact(&url), report.heads_after.join(", "));
        }
        Err(err) => {
            eprintln!("FAILED: {err}");
            return ExitCode::FAILURE;
        }
    }
    let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customer").fetch_one(&pool).await.unwrap_or(-1);
    println!("the shop is open: {customers} customers so far");
    ExitCode::SUCCESS
}
