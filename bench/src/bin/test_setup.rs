//! What one test waits for before its body runs: a database of its own at
//! head, by `#[retort::test]` (a copy of a template built once) beside
//! `#[sqlx::test]` (a new database and every migration replayed), on the
//! same revisions, in one run, at several history lengths.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo run --release -p retort-bench --bin test_setup -- [N …] [--tests K]
//! ```
//!
//! Both go through their attribute's own entry point (`retort::testing::run`,
//! sqlx's `TestFn::run_test`, which `#[sqlx::test]` expands to) with an
//! empty test body, so what is timed is set-up and clean-up. SQLite always;
//! PostgreSQL when `DATABASE_URL` names a server (sqlx's test support reads
//! only that variable). retort's first test, which builds the template, is
//! reported apart; templates left by an earlier run are dropped first. The
//! two tools' tests run in turn, so that both meet the server in one state.
//! On PostgreSQL retort is measured twice: each test copying the template
//! itself (`spares(0)`), and each taking a copy made ahead, started once the
//! spares are back (as when the test before outlasted one copy).
//! Two histories: the benchmark's usual one, whose schema grows with it
//! (create table, add column, create index, in turn), and a steady one
//! whose schema at head is one table whatever its length (an index created
//! and dropped in turn), to tell the cost of the history from the cost of
//! the schema.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[path = "../workers.rs"]
#[allow(dead_code)]
mod workers;
#[path = "../workload.rs"]
#[allow(dead_code)]
mod workload;

use workers::Tool;

/// The engines measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
    /// MySQL/MariaDB, on the steady history only (the growing one indexes
    /// a `TEXT` column, which MySQL refuses).
    MySql,
}

struct Sizes {
    revisions: Vec<usize>,
    tests: usize,
}

fn arguments() -> Sizes {
    let mut sizes = Sizes { revisions: Vec::new(), tests: 20 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--tests" {
            sizes.tests = args.next().and_then(|v| v.parse().ok()).expect("--tests takes a number");
        } else {
            sizes.revisions.push(arg.parse().expect("a number of revisions"));
        }
    }
    if sizes.revisions.is_empty() {
        sizes.revisions = vec![10, 100, 1000];
    }
    sizes
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn leak_str(value: String) -> &'static str {
    Box::leak(value.into_boxed_str())
}

/// The histories measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum History {
    /// The benchmark's usual one: the schema grows with it (a table, a
    /// column, an index, in turn: 334 tables and 333 indexes at 1,000).
    Growing,
    /// One table, and revisions that create and drop one index in turn:
    /// the schema at head is the same whatever the length.
    Steady,
}

/// Both tools' files for `n` revisions of `history` on `engine`.
fn write(engine: Engine, history: History, n: usize) -> (PathBuf, PathBuf) {
    // MySQL names an index's table when dropping it.
    let on = if engine == Engine::MySql { " ON t0" } else { "" };
    let root = std::env::temp_dir().join(format!("retort-bench-test-setup-{engine:?}-{history:?}-{n}"));
    let _ = std::fs::remove_dir_all(&root);
    let (retort, sqlx) = (root.join("retort"), root.join("sqlx"));
    match history {
        History::Growing => {
            workload::write(Tool::Retort, &retort, n).unwrap();
            workload::write(Tool::Sqlx, &sqlx, n).unwrap();
        }
        History::Steady => {
            std::fs::create_dir_all(retort.join("versions")).unwrap();
            std::fs::create_dir_all(sqlx.join("versions")).unwrap();
            for i in 0..n {
                let (up, down) = match i {
                    0 => (
                        "CREATE TABLE t0 (id INTEGER PRIMARY KEY, name VARCHAR(100))".to_owned(),
                        "DROP TABLE t0".to_owned(),
                    ),
                    _ if i % 2 == 1 => (format!("CREATE INDEX i{i} ON t0 (name)"), format!("DROP INDEX i{i}{on}")),
                    _ => (format!("DROP INDEX i{}{on}", i - 1), format!("CREATE INDEX i{} ON t0 (name)", i - 1)),
                };
                let id = format!("{i:012x}");
                let revises = if i == 0 { String::new() } else { format!("{:012x}", i - 1) };
                let text = format!(
                    "-- Revision {i}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{up};\n\n-- downgrade\n{down};\n"
                );
                std::fs::write(retort.join("versions").join(format!("{id}_revision_{i}.sql")), text).unwrap();
                std::fs::write(
                    sqlx.join("versions").join(format!("{:06}_revision_{i}.sql", i + 1)),
                    format!("{up};\n"),
                )
                .unwrap();
            }
        }
    }
    (retort.join("versions"), sqlx.join("versions"))
}

/// When the running test's body started.
static BODY_STARTED: Mutex<Option<Instant>> = Mutex::new(None);

fn body_starts() {
    *BODY_STARTED.lock().unwrap() = Some(Instant::now());
}

/// One test's times: until its body starts (set-up), and in all (with
/// clean-up).
#[derive(Debug, Clone, Copy)]
struct Times {
    setup: Duration,
    total: Duration,
}

fn timed(test: impl FnOnce()) -> Times {
    let started = Instant::now();
    test();
    let total = started.elapsed();
    let body = BODY_STARTED.lock().unwrap().take().expect("the body ran");
    Times { setup: body - started, total }
}

/// The median set-up and the median total.
fn medians(times: &[Times]) -> Times {
    let mut setups: Vec<Duration> = times.iter().map(|t| t.setup).collect();
    let mut totals: Vec<Duration> = times.iter().map(|t| t.total).collect();
    Times { setup: median(&mut setups), total: median(&mut totals) }
}

/// One `#[retort::test]`; on PostgreSQL with `spares` copies made ahead
/// (0: the test copies the template itself).
fn retort_test(engine: Engine, migrator: &'static retort::Migrator, i: usize, spares: usize) -> Times {
    let url = match engine {
        Engine::Sqlite => "sqlite:".to_owned(),
        Engine::Postgres | Engine::MySql => std::env::var("DATABASE_URL").unwrap(),
    };
    let setup =
        retort::testing::Setup::new(format!("bench::retort::t{i}")).migrations(migrator).on_server(&url).spares(spares);
    timed(|| match engine {
        Engine::Sqlite => retort::testing::run(setup, async |_: sqlx::SqlitePool| body_starts()),
        Engine::Postgres => retort::testing::run(setup, async |_: sqlx::PgPool| body_starts()),
        Engine::MySql => retort::testing::run(setup, async |_: sqlx::MySqlPool| body_starts()),
    })
}

/// Waits until the PostgreSQL server holds `count` spares (as it does when
/// the test before took longer than one copy), for at most a minute.
fn wait_for_spares(count: i64) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL").unwrap()).await.unwrap();
        for _ in 0..6000 {
            let have: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'retort\\_s\\_%'")
                .fetch_one(&pool)
                .await
                .unwrap();
            if have >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        pool.close().await;
    });
}

async fn empty_sqlite(_: sqlx::SqlitePool) {
    body_starts();
}

async fn empty_postgres(_: sqlx::PgPool) {
    body_starts();
}

async fn empty_mysql(_: sqlx::MySqlPool) {
    body_starts();
}

/// sqlx's migrator over `dir`.
fn sqlx_migrator(dir: &Path) -> &'static sqlx::migrate::Migrator {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    leak(runtime.block_on(sqlx::migrate::Migrator::new(dir.to_owned())).unwrap())
}

/// One `#[sqlx::test]`.
fn sqlx_test(engine: Engine, migrator: &'static sqlx::migrate::Migrator, i: usize) -> Times {
    use sqlx::testing::{TestArgs, TestFn};
    let mut args = TestArgs::new(leak_str(format!("bench::sqlx::t{i}")));
    args.migrator(migrator);
    timed(|| match engine {
        Engine::Sqlite => {
            let test: fn(sqlx::SqlitePool) -> _ = empty_sqlite;
            test.run_test(args)
        }
        Engine::Postgres => {
            let test: fn(sqlx::PgPool) -> _ = empty_postgres;
            test.run_test(args)
        }
        Engine::MySql => {
            let test: fn(sqlx::MySqlPool) -> _ = empty_mysql;
            test.run_test(args)
        }
    })
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Drops the templates, spares and test databases an earlier run left, so
/// the first test builds a template.
fn drop_templates(engine: Engine) {
    match engine {
        Engine::Sqlite => {
            let root = std::env::temp_dir().join("retort-test");
            for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
                if entry.file_name().to_string_lossy().starts_with("retort_tpl_") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Engine::Postgres => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL").unwrap()).await.unwrap();
                let names: Vec<String> =
                    sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname ~ '^retort_(tpl|s|t)_'")
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                for name in names {
                    for sql in [
                        format!("ALTER DATABASE \"{name}\" WITH IS_TEMPLATE false"),
                        format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
                    ] {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
                    }
                }
                pool.close().await;
            });
        }
        Engine::MySql => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let pool = sqlx::MySqlPool::connect(&std::env::var("DATABASE_URL").unwrap()).await.unwrap();
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'retort\\_%'",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                for name in names {
                    let sql = format!("DROP DATABASE `{name}`");
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
                }
                pool.close().await;
            });
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let sizes = arguments();
    let mut engines = vec![Engine::Sqlite];
    let url = std::env::var("DATABASE_URL").unwrap_or_default();
    if url.starts_with("postgres") {
        engines.push(Engine::Postgres);
    } else if url.starts_with("mysql") {
        engines.push(Engine::MySql);
    } else {
        eprintln!("note: PostgreSQL skipped: set DATABASE_URL=postgres://… (or mysql://…) to measure it");
    }
    println!(
        "| Engine | History | Revisions | Set-up: #[sqlx::test] | #[retort::test] (copies) | Faster | #[retort::test] (a copy made ahead) | Faster | Whole test (with clean-up): sqlx | retort (copies) | retort's first test (builds the template) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let runs = engines.iter().flat_map(|&e| [(e, History::Steady), (e, History::Growing)]);
    for (engine, history) in runs.filter(|&(e, h)| e != Engine::MySql || h == History::Steady) {
        for &n in &sizes.revisions {
            let (retort_dir, sqlx_dir) = write(engine, history, n);
            let migrator = leak(retort::Migrator::from_dir(&retort_dir).unwrap());
            drop_templates(engine);
            let sqlx_migrations = sqlx_migrator(&sqlx_dir);
            let first = retort_test(engine, migrator, 0, 0);
            // One of each in turn, so that both meet the server in the same
            // state (a PostgreSQL checkpoint slows whoever runs during it).
            let (mut sqlx_times, mut retort_times) = (Vec::new(), Vec::new());
            for i in 0..sizes.tests {
                sqlx_times.push(sqlx_test(engine, sqlx_migrations, i));
                retort_times.push(retort_test(engine, migrator, i + 1, 0));
            }
            let (sqlx, retort) = (medians(&sqlx_times), medians(&retort_times));
            // PostgreSQL with copies made ahead, each test starting once the
            // spares are back (as when a test body outlasts one copy).
            let ahead = (engine == Engine::Postgres).then(|| {
                let times: Vec<Times> = (0..sizes.tests)
                    .map(|i| {
                        wait_for_spares(2);
                        retort_test(engine, migrator, sizes.tests + 1 + i, 2)
                    })
                    .collect();
                medians(&times)
            });
            println!(
                "| {engine:?} | {history:?} | {n} | {} | {} | {:.1}× | {} | {} | {} | {} | {} |",
                ms(sqlx.setup),
                ms(retort.setup),
                sqlx.setup.as_secs_f64() / retort.setup.as_secs_f64(),
                ahead.map_or("—".to_owned(), |a| ms(a.setup)),
                ahead.map_or("—".to_owned(), |a| format!("{:.1}×", sqlx.setup.as_secs_f64() / a.setup.as_secs_f64())),
                ms(sqlx.total),
                ms(retort.total),
                ms(first.total)
            );
        }
    }
}
