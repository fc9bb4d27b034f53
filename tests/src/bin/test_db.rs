//! `retort-test-db DIR URL TEST`: makes the test database of TEST with the
//! versions in DIR on the server URL names (`sqlite:` for files), as
//! `#[retort::test]` does, prints the token of its template's build
//! (`template_token`), and drops it; exits 1 with the error on stderr. A
//! URL of `-` takes a PostgreSQL pool with no server named, to show that
//! error. For the tests of two processes sharing one template.

use std::process::ExitCode;

use retort::testing::{Setup, TestPool};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, url, test) = (&args[0], &args[1], &args[2]);
    let migrator: &'static retort::Migrator = match retort::Migrator::from_dir(dir) {
        Ok(m) => Box::leak(Box::new(m)),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let setup = Setup::new(test.as_str()).migrations(migrator);
    let created = if url == "-" {
        setup.create(Some(retort::Dialect::Postgres)).await
    } else {
        setup.on_server(url.as_str()).create(None).await
    };
    let database = match created {
        Ok(database) => database,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let sql = "SELECT token FROM template_token";
    let token: Result<String, sqlx::Error> = match database.pool() {
        TestPool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        TestPool::MySql(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        TestPool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        _ => unreachable!("retort-tests enables every backend"),
    };
    database.finish(true).await;
    match token {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
