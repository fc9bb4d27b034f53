//! Real OS processes: eight migrating one database at once, a process
//! killed with SIGKILL in the middle of a long revision, and a lock held
//! too long.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use retort::{Error, Migrator, Options};
use retort_tests::{Backend, Pool, Rev, TestDb, backends, versions};

const MIGRATE: &str = env!("CARGO_BIN_EXE_retort-test-migrate");

fn migrate(url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(MIGRATE);
    cmd.arg(url).arg(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

#[tokio::test]
async fn eight_processes_migrate_one_database_and_each_revision_runs_once() {
    let mut revs =
        vec![Rev::sql("r000", &[], "CREATE TABLE applied_log (revision VARCHAR(32));", "DROP TABLE applied_log;")];
    for i in 1..30 {
        let id = format!("r{i:03}");
        let parent = format!("r{:03}", i - 1);
        revs.push(Rev::sql(
            &id,
            &[&parent],
            &format!("CREATE TABLE t_{id} (id INTEGER);\nINSERT INTO applied_log VALUES ('{id}');"),
            &format!("DROP TABLE t_{id};"),
        ));
    }
    let dir = versions(&revs);
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let children: Vec<_> = (0..8).map(|_| migrate(&db.url, &dir).spawn().unwrap()).collect();
        let mut outputs = Vec::new();
        for child in children {
            outputs.push(child.wait_with_output().unwrap());
        }
        for out in &outputs {
            assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let ran: usize = outputs.iter().map(|o| String::from_utf8_lossy(&o.stdout).lines().count()).sum();
        assert_eq!(ran, 30, "{backend:?}: every revision applied by exactly one process");
        let pool = db.pool().await;
        let rows = pool.strings("SELECT revision FROM applied_log").await;
        assert_eq!(rows.len(), 29, "{backend:?}: {rows:?}");
        assert_eq!(pool.versions("alembic_version").await, ["r029"]);
        db.finish(pool).await;
    }
}

/// A revision whose second statement runs for a long time unless the table
/// `go_fast` exists.
fn slow_revision(backend: Backend) -> Rev {
    let slow = match backend {
        Backend::Postgres => "SELECT pg_sleep(CASE WHEN to_regclass('go_fast') IS NULL THEN 6 ELSE 0 END);".to_owned(),
        _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n FROM knob)) SELECT count(*) FROM c;"
            .to_owned(),
    };
    Rev::sql(
        "bbbb0002",
        &["aaaa0001"],
        &format!("CREATE TABLE t_bbbb0002 (id INTEGER);\n{slow}"),
        "DROP TABLE t_bbbb0002;",
    )
}

async fn wait_until_busy(pool: &Pool, backend: Backend) {
    let started = Instant::now();
    loop {
        let busy = match backend {
            Backend::Postgres => !pool
                .strings("SELECT CAST(pid AS TEXT) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(CASE%' AND pid <> pg_backend_pid()")
                .await
                .is_empty(),
            // An SQLite writer is invisible from outside; give it time.
            _ => started.elapsed() > Duration::from_millis(1500),
        };
        if busy {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the slow revision never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_process_killed_in_a_long_revision_leaves_the_database_consistent() {
    for backend in backends() {
        if backend == Backend::MySql {
            continue; // MySQL commits DDL as it goes; see failures.rs for its marker
        }
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        if backend == Backend::Sqlite {
            pool.exec("CREATE TABLE knob (n INTEGER); INSERT INTO knob VALUES (2000000000);").await;
        }
        let dir =
            versions(&[Rev::table("aaaa0001", &[]), slow_revision(backend), Rev::table("cccc0003", &["bbbb0002"])]);
        let mut child = migrate(&db.url, &dir).spawn().unwrap();
        wait_until_busy(&pool, backend).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // The whole run was one transaction: nothing of it stayed.
        if backend == Backend::Sqlite {
            pool.exec("UPDATE knob SET n = 1").await;
        } else {
            pool.exec("CREATE TABLE go_fast (id INTEGER)").await;
        }
        assert!(!pool.has_table("t_aaaa0001").await, "{backend:?}");
        assert!(!pool.has_table("t_bbbb0002").await, "{backend:?}");

        // After a restart the upgrade completes (once the server has noticed
        // the dead session and released its lock).
        let out = migrate(&db.url, &dir).output().unwrap();
        assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(pool.versions("alembic_version").await, ["cccc0003"]);
        assert!(pool.has_table("t_bbbb0002").await);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_lock_held_too_long_is_a_clear_timeout() {
    for backend in backends() {
        if backend == Backend::Sqlite {
            continue; // SQLite's lock is its write transaction, covered above
        }
        let db = TestDb::create(backend).await;
        let holder = db.pool_with(1).await;
        let m = Migrator::from_dir(versions(&[Rev::table("aaaa0001", &[])]))
            .unwrap()
            .with_options(Options::default().with_lock_timeout(Duration::from_secs(1)));
        let table = m.version_table().clone();
        match backend {
            Backend::Postgres => holder.exec(&format!("SELECT pg_advisory_lock({})", table.lock_key())).await,
            _ => {
                let database = holder.strings("SELECT DATABASE()").await;
                holder.exec(&format!("SELECT GET_LOCK('{}', 0)", table.lock_name_in(&database[0]))).await
            }
        }
        let pool = db.pool().await;
        let started = Instant::now();
        let err = m.upgrade(pool.db(), "head").await.unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{backend:?}: {err:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(err.to_string().contains("another process is migrating this database"), "{err}");
        assert!(!pool.has_table("t_aaaa0001").await);
        holder.close().await; // releases the lock with the session
        m.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"]);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_cancelled_run_releases_its_lock_and_its_transaction() {
    for backend in backends() {
        if backend == Backend::Sqlite {
            continue; // covered by the SIGKILL test: the OS drops SQLite's lock
        }
        let sleep = if backend == Backend::Postgres { "SELECT pg_sleep(2);" } else { "SELECT SLEEP(2);" };
        let db = TestDb::create(backend).await;
        // One connection: a leaked lock or transaction would block the rerun.
        let pool = db.pool_with(1).await;
        let slow = Rev::sql(
            "bbbb0002",
            &["aaaa0001"],
            &format!("CREATE TABLE t_bbbb0002 (id INTEGER);\n{sleep}"),
            "SELECT 1;",
        );
        let m = Migrator::from_dir(versions(&[Rev::table("aaaa0001", &[]), slow])).unwrap();
        // The caller gives up (or its task panics) mid-revision: the future
        // is dropped with the connection that holds the lock.
        let cancelled = tokio::time::timeout(Duration::from_millis(700), m.upgrade(pool.db(), "head")).await;
        assert!(cancelled.is_err(), "{backend:?}: the run should still have been going");
        let started = Instant::now();
        let rerun = tokio::time::timeout(Duration::from_secs(30), m.upgrade(pool.db(), "head"))
            .await
            .expect("the lock was released once the server dropped the cancelled session");
        assert!(started.elapsed() < Duration::from_secs(30));
        if backend == Backend::MySql {
            // MySQL committed the CREATE TABLE before the cancellation: the
            // log marks the revision as unfinished, and the rerun stops
            // before running anything, saying what ran.
            let err = rerun.unwrap_err().to_string();
            assert!(err.contains("revision bbbb0002") && err.contains("did not finish in an earlier run"), "{err}");
            assert!(err.contains("statements 1 to 1 of 2 ran"), "{err}");
            assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"]);
            let log = m.log(pool.db()).await.unwrap();
            assert!(log.iter().any(|e| e.revision == "bbbb0002" && e.status == retort::Status::Running), "{log:?}");
        } else {
            assert_eq!(rerun.unwrap().heads_after, ["bbbb0002"], "{backend:?}");
        }
        db.finish(pool).await;
    }
}
