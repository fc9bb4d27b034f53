//! `retort-test-migrate URL DIR [TARGET]`: upgrades the database at URL with
//! the versions in DIR (downgrades to X for a TARGET of `down:X`), as a separate process for the concurrency and
//! kill tests. Prints the applied steps; exits 1 with the error on stderr.
//! `RETORT_TEST_PER_REVISION=1` runs one transaction per revision,
//! `RETORT_TEST_RESUME=1` resumes a half-done MySQL revision.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, dir) = (&args[0], &args[1]);
    let target = args.get(2).map_or("heads", String::as_str);
    let per_revision = std::env::var_os("RETORT_TEST_PER_REVISION").is_some_and(|v| v == "1");
    let options = retort::Options::default()
        .with_transaction_per_revision(per_revision)
        .with_on_unfinished(match std::env::var("RETORT_TEST_RESUME").as_deref() {
            Ok("1") => retort::OnUnfinished::Resume,
            Ok("restart") => retort::OnUnfinished::Restart,
            _ => retort::OnUnfinished::Stop,
        })
        .with_lock_timeout(std::time::Duration::from_secs(120));
    let migrator = match retort::Migrator::from_dir(dir) {
        Ok(m) => m.with_options(options),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let run = async |db: retort::Db<'_>| match target.strip_prefix("down:") {
        Some(target) => migrator.downgrade(db, target).await,
        None => migrator.upgrade(db, target).await,
    };
    let result = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        run((&pool).into()).await
    } else if url.starts_with("mysql") {
        let pool = sqlx::MySqlPool::connect(url).await.unwrap();
        run((&pool).into()).await
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        run((&pool).into()).await
    };
    match result {
        Ok(report) => {
            for step in &report.steps {
                println!("{}", step.description);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
