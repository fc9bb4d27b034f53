//! `retort schema`, `check` (drift and `--roundtrip`) and `stamp --detect`
//! end to end, on every backend: the text users read and the exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::retort;

use retort_tests::{Backend, Rev, TestDb, backends, versions};

fn shop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/alembic/versions")
}

/// A server where scratch databases may go: the backend's admin URL, or
/// SQLite in memory.
fn scratch_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => "sqlite::memory:".to_owned(),
        Backend::Postgres => std::env::var("RETORT_TEST_POSTGRES_URL").unwrap(),
        Backend::MySql => std::env::var("RETORT_TEST_MYSQL_URL").unwrap(),
    }
}

#[tokio::test]
async fn schema_prints_canonical_ddl_json_and_refuses_unknown_tables() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let url = db.url.as_str();
        let (code, _, stderr) = retort(&shop(), &["--database-url", url, "upgrade", "heads", "-q"]);
        assert_eq!(code, 0, "{backend:?}: {stderr}");
        let (code, ddl, stderr) = retort(&shop(), &["--database-url", url, "schema"]);
        assert_eq!(code, 0, "{backend:?}: {stderr}");
        assert!(ddl.starts_with("-- ") && ddl.contains("; fingerprint "), "{ddl}");
        assert!(ddl.contains("CREATE TABLE ") && ddl.contains("customer (") && ddl.contains("orders ("), "{ddl}");
        assert!(!ddl.contains("alembic_version"), "the version table is left out: {ddl}");
        let (code, json, _) = retort(&shop(), &["--database-url", url, "schema", "orders", "--format", "json"]);
        assert_eq!(code, 0);
        // One table, orders (customer appears only as what its key references).
        assert!(json.contains("\"name\": \"orders\""), "{json}");
        assert_eq!(json.matches("\"primary_key\":").count(), 1, "{json}");
        let (code, _, stderr) = retort(&shop(), &["--database-url", url, "schema", "no_such_table"]);
        assert_eq!(code, 255);
        assert!(stderr.contains("FAILED: no table or view named no_such_table"), "{stderr}");
        db.drop_db().await;
    }
}

#[tokio::test]
async fn check_names_the_drift_of_a_database_from_its_revisions() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let url = db.url.as_str();
        retort(&shop(), &["--database-url", url, "upgrade", "heads", "-q"]);
        let (code, stdout, stderr) = retort(&shop(), &["--database-url", url, "check"]);
        assert_eq!(code, 0, "{backend:?}: {stdout}{stderr}");
        let pool = db.pool().await;
        pool.exec("CREATE TABLE made_by_hand (id INTEGER PRIMARY KEY)").await;
        let (code, stdout, _) = retort(&shop(), &["--database-url", url, "check"]);
        assert_eq!(code, 1, "{backend:?}");
        assert!(
            stdout.contains("schema drift: the database differs from what its revisions (5a1f3c9e8d77) make:"),
            "{stdout}"
        );
        assert!(stdout.contains("  + table ") && stdout.contains("made_by_hand"), "{stdout}");
        db.finish(pool).await;
    }
}

#[test]
fn the_examples_round_trip_passes_and_names_what_it_skips() {
    for backend in backends() {
        let (code, stdout, stderr) = retort(&shop(), &["check", "--roundtrip", "--scratch-url", &scratch_url(backend)]);
        assert_eq!(code, 0, "{backend:?}: {stdout}{stderr}");
        assert!(stdout.contains("round trip: 3 revisions upgraded, downgraded and upgraded again"), "{stdout}");
        assert!(stdout.contains("round trip: skipped 5a1f3c9e8d77: it is a merge point"), "{stdout}");
    }
}

#[test]
fn a_round_trip_that_leaves_a_table_behind_exits_1_naming_the_revision() {
    let revs = [
        Rev::table("aaaa0001", &[]),
        Rev::sql("bbbb0002", &["aaaa0001"], "CREATE TABLE kept (id INTEGER PRIMARY KEY);", "SELECT 1;"),
    ];
    let dir = versions(&revs);
    for backend in backends() {
        let (code, stdout, _) = retort(&dir, &["check", "--roundtrip", "--scratch-url", &scratch_url(backend)]);
        assert_eq!(code, 1, "{backend:?}: {stdout}");
        assert!(
            stdout.contains(
                "round trip: revision bbbb0002: its downgrade does not restore the schema before its upgrade"
            ),
            "{stdout}"
        );
        assert!(stdout.contains("  + table ") && stdout.contains("kept"), "{stdout}");
    }
    let (code, _, stderr) = retort(&dir, &["check", "--roundtrip"]);
    assert_eq!(code, 255, "without a database or a scratch server there is nowhere to build");
    assert!(stderr.contains("--scratch-url"), "{stderr}");
}

#[tokio::test]
async fn stamp_detect_finds_the_revision_and_stamps_only_when_told() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let url = db.url.as_str();
        retort(&shop(), &["--database-url", url, "upgrade", "27c6a30d7c24", "-q"]);
        let pool = db.pool().await;
        pool.exec("DROP TABLE alembic_version").await;
        let (code, stdout, stderr) = retort(&shop(), &["--database-url", url, "stamp", "--detect"]);
        assert_eq!(code, 0, "{backend:?}: {stdout}{stderr}");
        assert!(stdout.contains("The database's schema matches 27c6a30d7c24"), "{stdout}");
        assert!(!pool.has_table("alembic_version").await, "nothing is stamped without --yes");
        // The example branches: detection saw one order of its branches only.
        let (code, _, stderr) = retort(&shop(), &["--database-url", url, "stamp", "--detect", "--yes"]);
        assert_eq!(code, 255, "{stderr}");
        assert!(stderr.contains("FAILED: nothing stamped: the history has branches"), "{stderr}");
        db.finish(pool).await;

        // A straight history is stamped with --yes.
        let line = versions(&[
            Rev::table("aaaa0001", &[]),
            Rev::table("bbbb0002", &["aaaa0001"]),
            Rev::table("cccc0003", &["bbbb0002"]),
        ]);
        let db = TestDb::create(backend).await;
        let url = db.url.as_str();
        retort(&line, &["--database-url", url, "upgrade", "bbbb0002", "-q"]);
        let pool = db.pool().await;
        pool.exec("DROP TABLE alembic_version").await;
        let (code, stdout, stderr) = retort(&line, &["--database-url", url, "stamp", "--detect", "--yes"]);
        assert_eq!(code, 0, "{backend:?}: {stdout}{stderr}");
        assert_eq!(retort(&line, &["--database-url", url, "current"]).1, "bbbb0002\n");
        let (code, _, stderr) = retort(&line, &["--database-url", url, "stamp", "--detect", "--sql"]);
        assert_eq!(code, 2, "--detect and --sql do not go together: {stderr}");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn ctrl_c_in_the_middle_of_a_round_trip_leaves_no_scratch_database() {
    for backend in backends().into_iter().filter(|b| *b != Backend::Sqlite) {
        let sleep = if backend == Backend::Postgres { "SELECT pg_sleep(30);" } else { "SELECT SLEEP(30);" };
        let dir = versions(&[Rev::sql(
            "aaaa0001",
            &[],
            &format!("CREATE TABLE t (id INTEGER PRIMARY KEY);\n{sleep}"),
            "DROP TABLE t;",
        )]);
        let child = Command::new(env!("CARGO_BIN_EXE_retort"))
            .arg("--dir")
            .arg(&dir)
            .args(["check", "--roundtrip", "--scratch-url", &scratch_url(backend)])
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The scratch database exists while the revision sleeps in it.
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let pattern = format!("retort_scratch_{}_%", child.id());
        let list = match backend {
            Backend::Postgres => format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{pattern}'"),
            _ => format!(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{pattern}'"
            ),
        };
        let started = std::time::Instant::now();
        while pool.strings(&list).await.is_empty() {
            assert!(started.elapsed().as_secs() < 20, "{backend:?}: no scratch database appeared");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(255), "{backend:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("FAILED: interrupted by Ctrl-C"));
        assert_eq!(pool.strings(&list).await, Vec::<String>::new(), "{backend:?}: the scratch database is left");
        db.finish(pool).await;
    }
}

#[test]
fn check_lint_names_the_file_line_rule_and_fix_and_honours_ignores() {
    let dir = versions(&[
        Rev::sql(
            "aaaa0001",
            &[],
            "CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER);\nCREATE INDEX ix ON t (c);",
            "DROP TABLE t;",
        ),
        Rev::sql("bbbb0002", &["aaaa0001"], "ALTER TABLE t ALTER COLUMN c TYPE bigint;", "SELECT 1;"),
        Rev::sql(
            "cccc0003",
            &["bbbb0002"],
            "-- retort: lint-ignore ban-drop-column\nALTER TABLE t DROP COLUMN c;",
            "SELECT 1;",
        ),
    ]);
    let (code, stdout, stderr) = retort(&dir, &["--dialect", "postgresql", "check", "--lint"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("bbbb0002_") && stdout.contains(": changing-column-type: "), "{stdout}");
    assert!(!stdout.contains("require-concurrent-index-creation"), "an index on a new table: {stdout}");
    assert!(!stdout.contains("ban-drop-column"), "switched off in its revision: {stdout}");
    let (code, _, stderr) = retort(&dir, &["check", "--lint"]);
    assert_eq!(code, 255);
    assert!(stderr.contains("check --lint reads each revision's SQL for one engine"), "{stderr}");
}
