//! `#[retort::test]` and `retort::testing`: every test gets a database of
//! its own at head, copied from a template built once per revision set;
//! parallel tests are isolated, a failed test's database is kept and
//! dropped by its next run, a changed revision set rebuilds the template,
//! two processes share one template, and the one-line migration checks
//! catch what they name.

use std::sync::{Arc, Mutex};

use retort::testing::{Setup, TestPool};
use retort_tests::{Backend, Pool, backends, server_url, temp_dir, unique};
use sqlx::SqlitePool;

/// The helper's own revisions: users, roles with two rows, a random token.
#[retort::migrations("fixtures/test-helper")]
pub struct Helper;

async fn count(pool: &Pool, table: &str) -> String {
    let sql = format!("SELECT CAST(COUNT(*) AS CHAR(20)) FROM {table}");
    pool.strings(&sql).await.remove(0).trim().to_owned()
}

#[retort::test(migrations = Helper)]
async fn a_test_database_is_at_head_with_the_revisions_data(pool: SqlitePool) {
    let pool = Pool::Sqlite(pool);
    assert_eq!(pool.versions("alembic_version").await, ["c3"]);
    assert_eq!(count(&pool, "roles").await, "2", "rows a revision inserted are in the copy");
    assert_eq!(count(&pool, "users").await, "0");
    assert_eq!(count(&pool, "template_token").await, "1");
}

#[retort::test(migrations = Helper, at = "b2")]
async fn at_stops_the_database_at_a_revision(pool: SqlitePool) {
    let pool = Pool::Sqlite(pool);
    assert_eq!(pool.versions("alembic_version").await, ["b2"]);
    assert!(!pool.has_table("template_token").await);
    assert!(pool.has_table("roles").await);
}

#[retort::test(migrations = Helper, fixtures("users"))]
async fn fixtures_are_applied_after_the_copy(pool: SqlitePool) {
    let pool = Pool::Sqlite(pool);
    assert_eq!(pool.strings("SELECT name FROM users ORDER BY id").await, ["ada", "grace"]);
}

#[retort::test(migrations = false)]
async fn migrations_false_gives_an_empty_database(pool: TestPool) {
    let pool = Pool::from(&pool);
    assert!(pool.table_names().await.is_empty(), "{:?}", pool.table_names().await);
}

#[retort::test(migrations = Helper)]
async fn a_test_may_return_a_result(pool: SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO users (id, name) VALUES (7, 'lin')").execute(&pool).await?;
    Ok(())
}

mod by_default {
    use super::Helper as Migrations;

    /// Without `migrations = …`, the attribute uses the `Migrations` in scope.
    #[retort::test]
    async fn the_migrations_in_scope_are_used(pool: sqlx::SqlitePool) {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT version_num FROM alembic_version").fetch_all(&pool).await.unwrap();
        assert_eq!(rows, ["c3"]);
    }
}

/// Runs `test` as `#[retort::test]` would, on `backend`'s server, and
/// gives back what it returns (a test that returns normally passed).
fn run_on<T: 'static>(backend: Backend, setup: Setup, test: impl AsyncFnOnce(Pool) -> T + 'static) -> T {
    let setup = setup.on_server(server_url(backend));
    let outcome = retort::testing::run(setup, async move |pool: TestPool| {
        Ok::<T, std::convert::Infallible>(test(Pool::from(&pool)).await)
    });
    match outcome {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

#[test]
fn parallel_tests_get_databases_of_their_own_copied_from_one_template() {
    for backend in backends() {
        let threads: Vec<_> = (0..6)
            .map(|i| {
                std::thread::spawn(move || {
                    let setup = Setup::new(format!("parallel::{backend:?}::t{i}")).migrations(Helper::migrator());
                    run_on(backend, setup, async move |pool| {
                        pool.exec(&format!("INSERT INTO users (id, name) VALUES ({i}, 'user {i}')")).await;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        let seen = pool.strings("SELECT name FROM users").await;
                        assert_eq!(seen, [format!("user {i}")], "{backend:?}: a test sees only its own rows");
                        pool.strings("SELECT token FROM template_token").await.remove(0)
                    })
                })
            })
            .collect();
        let tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(tokens.iter().all(|t| *t == tokens[0]), "{backend:?}: every copy comes from one template: {tokens:?}");
    }
}

/// Whether the database `name` (a file path for SQLite) exists.
async fn exists(backend: Backend, name: &str) -> bool {
    match backend {
        Backend::Sqlite => std::path::Path::new(name).exists(),
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&server_url(backend)).await.unwrap();
            let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&pool)
                .await
                .unwrap();
            pool.close().await;
            found.is_some()
        }
        Backend::MySql => {
            let pool = sqlx::MySqlPool::connect(&server_url(backend)).await.unwrap();
            let found: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
                    .bind(name)
                    .fetch_optional(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            found.is_some()
        }
    }
}

/// The name of the database `pool` is connected to (its file for SQLite).
async fn own_name(pool: &Pool) -> String {
    let sql = match pool {
        Pool::Sqlite(_) => "SELECT file FROM pragma_database_list WHERE name = 'main'",
        Pool::Postgres(_) => "SELECT current_database()::text",
        Pool::MySql(_) => "SELECT DATABASE()",
    };
    pool.strings(sql).await.remove(0)
}

#[test]
fn a_failed_test_keeps_its_database_until_the_test_runs_again() {
    for backend in backends() {
        let path = format!("kept::{backend:?}::{}", unique("fails"));
        let name = Arc::new(Mutex::new(String::new()));
        let seen = name.clone();
        let setup = Setup::new(path.clone()).migrations(Helper::migrator());
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            run_on(backend, setup, async move |pool| {
                pool.exec("INSERT INTO users (id, name) VALUES (1, 'evidence')").await;
                *seen.lock().unwrap() = own_name(&pool).await;
                if pool.has_table("users").await {
                    panic!("the test fails");
                }
            })
        }));
        assert!(failed.is_err(), "the panic reaches the harness");
        let name = name.lock().unwrap().clone();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            assert!(exists(backend, &name).await, "{backend:?}: {name} is kept after the failure");
            // The same test again: the kept database is replaced by a fresh copy.
            let setup = Setup::new(path.clone()).migrations(Helper::migrator()).on_server(server_url(backend));
            let database = setup.create(None).await.unwrap();
            assert_eq!(database.name(), name, "a test's database is named after the test");
            assert_eq!(
                count(&Pool::from(database.pool()), "users").await,
                "0",
                "{backend:?}: the next run starts afresh"
            );
            database.finish(true).await;
            assert!(!exists(backend, &name).await, "{backend:?}: a passing test's database is dropped");
        });
        // A test that returns an error keeps its database too.
        let setup = Setup::new(path.clone()).migrations(Helper::migrator());
        let name = Arc::new(Mutex::new(String::new()));
        let seen = name.clone();
        let setup = setup.on_server(server_url(backend));
        let outcome: Result<(), String> = retort::testing::run(setup, async move |pool: TestPool| {
            *seen.lock().unwrap() = own_name(&Pool::from(&pool)).await;
            Err("the test returns an error".to_owned())
        });
        assert!(outcome.is_err());
        let name = name.lock().unwrap().clone();
        runtime.block_on(async {
            assert!(exists(backend, &name).await, "{backend:?}: kept after an Err");
            let setup = Setup::new(path.clone()).on_server(server_url(backend));
            setup.create(None).await.unwrap().finish(true).await;
        });
    }
}

/// The names of the templates on `backend` (files for SQLite).
async fn templates(backend: Backend) -> Vec<String> {
    match backend {
        Backend::Sqlite => {
            let root = std::env::temp_dir().join("retort-test");
            let mut found: Vec<String> = std::fs::read_dir(root)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.starts_with("retort_tpl_") && n.ends_with(".sqlite") && !n.contains("building"))
                        .map(|n| n.trim_end_matches(".sqlite").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            found
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&server_url(backend)).await.unwrap();
            let found =
                sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'retort\\_tpl\\_%'")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            found
        }
        Backend::MySql => {
            let pool = sqlx::MySqlPool::connect(&server_url(backend)).await.unwrap();
            let found = sqlx::query_scalar(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'retort\\_tpl\\_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            found
        }
    }
}

fn helper_revision(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/test-helper").join(name);
    std::fs::read_to_string(path).unwrap()
}

fn leak(migrator: retort::Migrator) -> &'static retort::Migrator {
    Box::leak(Box::new(migrator))
}

#[test]
fn a_changed_revision_set_rebuilds_the_template_and_drops_the_old_one() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for backend in backends() {
        let dir = temp_dir("retort_helper_changed");
        std::fs::write(dir.join("a1_create_users.sql"), helper_revision("a1_create_users.sql")).unwrap();
        let first = leak(retort::Migrator::from_dir(&dir).unwrap());
        let path = format!("changed::{backend:?}");
        let old = Setup::new(path.clone()).migrations(first).template_name().unwrap();
        let tables = run_on(backend, Setup::new(path.clone()).migrations(first), async |pool| pool.table_names().await);
        assert!(tables.contains(&"users".to_owned()) && !tables.contains(&"roles".to_owned()), "{tables:?}");
        assert!(runtime.block_on(templates(backend)).contains(&old), "{backend:?}: the template {old} was built");

        std::fs::write(dir.join("b2_roles.sql"), helper_revision("b2_roles.sql")).unwrap();
        let second = leak(retort::Migrator::from_dir(&dir).unwrap());
        let new = Setup::new(path.clone()).migrations(second).template_name().unwrap();
        assert_ne!(new, old, "a new revision is a new fingerprint");
        assert_eq!(new[..20], old[..20], "of the same project: {new} {old}");
        let roles = run_on(backend, Setup::new(path).migrations(second), async |pool| count(&pool, "roles").await);
        assert_eq!(roles, "2", "{backend:?}: the new revision is in the copy");
        let after = runtime.block_on(templates(backend));
        assert!(!after.contains(&old), "{backend:?}: the old template {old} is dropped: {after:?}");
        assert!(after.contains(&new), "{backend:?}: the new template {new} is there: {after:?}");
    }
}

#[test]
fn two_processes_build_one_template_and_share_it() {
    for backend in backends() {
        // A directory of its own: no template exists yet.
        let dir = temp_dir("retort_helper_processes");
        for file in ["a1_create_users.sql", "b2_roles.sql", "c3_template_token.sql"] {
            std::fs::write(dir.join(file), helper_revision(file)).unwrap();
        }
        let url = server_url(backend);
        let children: Vec<_> = (0..2)
            .map(|i| {
                std::process::Command::new(env!("CARGO_BIN_EXE_retort-test-db"))
                    .args([dir.to_str().unwrap(), &url, &format!("processes::{backend:?}::p{i}")])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let tokens: Vec<String> = children
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
                String::from_utf8(out.stdout).unwrap().trim().to_owned()
            })
            .collect();
        assert!(!tokens[0].is_empty());
        assert_eq!(tokens[0], tokens[1], "{backend:?}: both processes copied the one template");
    }
}

#[test]
fn a_test_on_a_server_no_variable_names_says_which_to_set() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_retort-test-db"))
        .args([concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/test-helper"), "-", "unnamed::server"])
        .env_remove("RETORT_TEST_POSTGRES_URL")
        .env_remove("RETORT_TEST_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("takes a postgresql pool") && stderr.contains("RETORT_TEST_POSTGRES_URL"), "{stderr}");
}

#[test]
fn a_failing_fixture_is_named_with_its_line() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for backend in backends() {
        let setup = Setup::new(format!("fixture::{backend:?}"))
            .migrations(Helper::migrator())
            .fixture("broken", "INSERT INTO users (id, name) VALUES (1, 'a');\nINSERT INTO nowhere VALUES (1);\n")
            .on_server(server_url(backend));
        let err = runtime.block_on(setup.create(None)).unwrap_err().to_string();
        assert!(err.contains("fixture broken:2:") && err.contains("nowhere"), "{backend:?}: {err}");
    }
}

fn panic_message(result: std::thread::Result<()>) -> String {
    let payload = result.expect_err("the check panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn the_migration_checks_pass_on_a_sound_history_and_name_what_is_wrong() {
    retort::testing::assert_single_head(Helper::migrator());
    for backend in backends() {
        let setup = Setup::new(format!("checks::{backend:?}"));
        run_on(backend, setup, async |pool| {
            retort::testing::assert_upgrades_from_base(Helper::migrator(), pool.db()).await;
            assert_eq!(pool.versions("alembic_version").await, ["c3"]);
            retort::testing::assert_downgrades_restore(Helper::migrator(), pool.db()).await;
        });

        // A downgrade that forgets the index its upgrade made.
        let dir = temp_dir("retort_helper_checks");
        std::fs::write(dir.join("a1_create_users.sql"), helper_revision("a1_create_users.sql")).unwrap();
        let forgetful = helper_revision("b2_roles.sql")
            .replace("DROP INDEX users_by_name ON users;\n", "")
            .replace("DROP INDEX users_by_name;\n", "");
        std::fs::write(dir.join("b2_roles.sql"), forgetful).unwrap();
        let broken = leak(retort::Migrator::from_dir(&dir).unwrap());
        let message = panic_message(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_on(backend, Setup::new(format!("checks::broken::{backend:?}")), async |pool| {
                retort::testing::assert_downgrades_restore(broken, pool.db()).await;
            })
        })));
        assert!(message.contains("revision b2") && message.contains("users_by_name"), "{backend:?}: {message}");
    }

    // Two heads.
    let dir = temp_dir("retort_helper_heads");
    std::fs::write(dir.join("a1_create_users.sql"), helper_revision("a1_create_users.sql")).unwrap();
    std::fs::write(
        dir.join("x9_other.sql"),
        helper_revision("a1_create_users.sql").replace("Revision ID: a1", "Revision ID: x9"),
    )
    .unwrap();
    let two_heads = retort::Migrator::from_dir(&dir).unwrap();
    let message = panic_message(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        retort::testing::assert_single_head(&two_heads)
    })));
    assert!(message.contains("2 heads") && message.contains("merge"), "{message}");
}

#[test]
fn a_schema_file_that_drifted_from_the_revisions_is_named() {
    let dir = temp_dir("retort_helper_schema");
    let file = dir.join("schema.sql");
    std::fs::write(
        &file,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\n\
         CREATE INDEX users_by_name ON users (name);\n\
         CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE);\n\
         CREATE TABLE template_token (token VARCHAR(64) NOT NULL);\n",
    )
    .unwrap();
    let setup = Setup::new("schema::matches");
    let schema = file.clone();
    retort::testing::run(setup, async move |pool: SqlitePool| {
        retort::testing::assert_schema_file_matches(Helper::migrator(), &pool, &schema).await;
    });
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap().replace("VARCHAR(64)", "VARCHAR(64), extra INTEGER"))
        .unwrap();
    let message = panic_message(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let schema = file.clone();
        retort::testing::run(Setup::new("schema::drifted"), async move |pool: SqlitePool| {
            retort::testing::assert_schema_file_matches(Helper::migrator(), &pool, &schema).await;
        })
    })));
    assert!(message.contains("extra") && message.contains("schema.sql"), "{message}");
}

/// The spares of PostgreSQL templates on the server: (oid, name).
async fn spares_on(url: &str) -> Vec<(i64, String)> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let found = sqlx::query_as("SELECT oid::int8, datname::text FROM pg_database WHERE datname LIKE 'retort\\_s\\_%'")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    found
}

#[test]
fn postgres_tests_take_copies_made_ahead_by_renaming_them() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let url = server_url(Backend::Postgres);
    let dir = temp_dir("retort_helper_spares");
    for file in ["a1_create_users.sql", "b2_roles.sql", "c3_template_token.sql"] {
        std::fs::write(dir.join(file), helper_revision(file)).unwrap();
    }
    let migrator = leak(retort::Migrator::from_dir(&dir).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let template = Setup::new("spares").migrations(migrator).template_name().unwrap();
    let prefix = format!("retort_s_{}_", template.trim_start_matches("retort_tpl_"));
    let token = run_on(Backend::Postgres, Setup::new("spares::first").migrations(migrator).spares(2), async |pool| {
        pool.strings("SELECT token FROM template_token").await.remove(0)
    });
    // The first test built the template; a thread of this process now
    // makes two copies of it.
    let mut made = Vec::new();
    for _ in 0..600 {
        made = runtime
            .block_on(spares_on(&url))
            .into_iter()
            .filter(|(_, name)| name.starts_with(&prefix))
            .collect::<Vec<_>>();
        if made.len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(made.len() >= 2, "two spares within a minute: {made:?}");
    let (oid, seen) =
        run_on(Backend::Postgres, Setup::new("spares::second").migrations(migrator).spares(2), async |pool| {
            let Pool::Postgres(pg) = &pool else { unreachable!() };
            let oid: i64 = sqlx::query_scalar("SELECT oid::int8 FROM pg_database WHERE datname = current_database()")
                .fetch_one(pg)
                .await
                .unwrap();
            (oid, pool.strings("SELECT token FROM template_token").await.remove(0))
        });
    assert!(
        made.iter().any(|(spare, _)| *spare == oid),
        "the second test's database {oid} is one of the spares {made:?}"
    );
    assert_eq!(seen, token, "a spare is a copy of the same template");
}

#[test]
fn a_revision_that_fails_names_itself_and_leaves_no_half_built_template() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for backend in backends() {
        let dir = temp_dir("retort_helper_broken");
        std::fs::write(dir.join("a1_create_users.sql"), helper_revision("a1_create_users.sql")).unwrap();
        let broken = helper_revision("b2_roles.sql").replace("CREATE TABLE roles (", "CREATE TABLE roles (,");
        std::fs::write(dir.join("b2_roles.sql"), &broken).unwrap();
        let migrator = leak(retort::Migrator::from_dir(&dir).unwrap());
        let setup = Setup::new(format!("broken::{backend:?}")).migrations(migrator).on_server(server_url(backend));
        let template = setup.template_name().unwrap();
        let err = runtime.block_on(setup.create(None)).unwrap_err().to_string();
        assert!(err.contains("building the test template") && err.contains("b2_roles.sql"), "{backend:?}: {err}");
        assert!(!runtime.block_on(templates(backend)).contains(&template), "{backend:?}: no half-built {template}");
        // Fixed, the same revisions build and copy.
        std::fs::write(dir.join("b2_roles.sql"), helper_revision("b2_roles.sql")).unwrap();
        let fixed = leak(retort::Migrator::from_dir(&dir).unwrap());
        let roles = run_on(backend, Setup::new(format!("broken::{backend:?}")).migrations(fixed), async |pool| {
            count(&pool, "roles").await
        });
        assert_eq!(roles, "2", "{backend:?}");
    }
}
