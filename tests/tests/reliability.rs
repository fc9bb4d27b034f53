//! The reliability suite: what retort promises under concurrency and bad
//! input, tried with real OS processes on every backend.
//!
//! Bounded for CI; for longer runs, `RETORT_RELIABILITY_ROUNDS` (default 2)
//! sets how many rounds each concurrency case runs and
//! `RETORT_RELIABILITY_KILLS` (default 6) how many kills each backend and
//! transaction mode gets:
//! `RETORT_RELIABILITY_ROUNDS=50 RETORT_RELIABILITY_KILLS=200 cargo test -p retort-tests --test reliability`.

use std::process::{Command, Stdio};

use retort_tests::{Backend, Pool, Rev, TestDb, backends, versions};

const MIGRATE: &str = env!("CARGO_BIN_EXE_retort-test-migrate");
const STARTERS: usize = 16;

fn rounds() -> usize {
    std::env::var("RETORT_RELIABILITY_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2)
}

/// A chain that records every revision it runs in `applied_log`, with a
/// `Transactional: false` revision in the middle.
fn logged_chain(length: usize) -> Vec<Rev> {
    let mut revs =
        vec![Rev::sql("r000", &[], "CREATE TABLE applied_log (revision VARCHAR(32));", "DROP TABLE applied_log;")];
    for i in 1..length {
        let (id, parent) = (format!("r{i:03}"), format!("r{:03}", i - 1));
        let rev = Rev::sql(
            &id,
            &[&parent],
            &format!("CREATE TABLE t_{id} (id INTEGER);\nINSERT INTO applied_log VALUES ('{id}');"),
            &format!("DROP TABLE t_{id};\nDELETE FROM applied_log WHERE revision = '{id}';"),
        );
        revs.push(if i == length / 2 { rev.non_transactional() } else { rev });
    }
    revs
}

#[tokio::test]
async fn sixteen_starters_at_once_all_succeed_and_each_revision_runs_once_in_every_mode() {
    let revs = logged_chain(12);
    let dir = versions(&revs);
    for backend in backends() {
        for per_revision in [false, true] {
            for round in 0..rounds() {
                let db = TestDb::create(backend).await;
                let children: Vec<_> = (0..STARTERS)
                    .map(|_| {
                        Command::new(MIGRATE)
                            .arg(&db.url)
                            .arg(&dir)
                            .env("RETORT_TEST_PER_REVISION", if per_revision { "1" } else { "0" })
                            .stdout(Stdio::piped())
                            .stderr(Stdio::piped())
                            .spawn()
                            .unwrap()
                    })
                    .collect();
                let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
                let case = format!("{backend:?}, per revision {per_revision}, round {round}");
                for out in &outputs {
                    assert!(out.status.success(), "{case}: a starter failed: {}", String::from_utf8_lossy(&out.stderr));
                }
                let steps: usize = outputs.iter().map(|o| String::from_utf8_lossy(&o.stdout).lines().count()).sum();
                assert_eq!(steps, revs.len(), "{case}: every revision applied by exactly one starter");
                let pool = db.pool().await;
                let mut logged = pool.strings("SELECT revision FROM applied_log").await;
                logged.sort();
                let expected: Vec<String> = (1..revs.len()).map(|i| format!("r{i:03}")).collect();
                assert_eq!(logged, expected, "{case}: each revision's statements ran once");
                assert_eq!(pool.versions("alembic_version").await, [format!("r{:03}", revs.len() - 1)], "{case}");
                db.finish(pool).await;
            }
        }
    }
}

fn kills() -> usize {
    std::env::var("RETORT_RELIABILITY_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(6)
}

/// A chain of `length` revisions, each creating its table and logging
/// itself in two statements (so that a kill can land between them).
fn plain_chain(length: usize) -> Vec<Rev> {
    let mut revs = logged_chain(length);
    for rev in &mut revs {
        rev.transactional = true;
    }
    revs
}

/// The revisions whose tables exist, as numbers, sorted.
async fn tables_present(pool: &Pool) -> Vec<usize> {
    let mut found: Vec<usize> =
        pool.table_names().await.iter().filter_map(|t| t.strip_prefix("t_r")?.parse().ok()).collect();
    found.sort_unstable();
    found
}

/// Waits until the server has finished what the killed process sent: a
/// COMMIT already on the wire completes after the client is gone, and the
/// checks below must not read the tables before it and the version table
/// after it. PostgreSQL only (MySQL's check allows the edge revision).
async fn settle(pool: &Pool) {
    if !matches!(pool, Pool::Postgres(_)) {
        return;
    }
    let busy = "SELECT CAST(count(*) AS TEXT) FROM pg_stat_activity WHERE datname = current_database() \
                AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'";
    for _ in 0..200 {
        if pool.strings(busy).await == ["0"] {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the killed run's session is still busy after 2 s");
}

/// The revision the version table claims, as a number (`None`: base).
async fn claimed(pool: &Pool) -> Option<usize> {
    if !pool.has_table("alembic_version").await {
        return None;
    }
    let rows = pool.versions("alembic_version").await;
    assert!(rows.len() <= 1, "one head only: {rows:?}");
    rows.first().map(|r| r[1..].parse().unwrap())
}

/// A tiny deterministic generator, seeded from the clock and printed, so a
/// failing run can be told apart and its kill times reasoned about.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn kill_9_at_random_moments_never_leaves_the_version_table_lying_and_the_next_run_finishes() {
    const LENGTH: usize = 60;
    let revs = plain_chain(LENGTH);
    let dir = versions(&revs);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut rng = Rng(seed);
    let mut landed = 0;
    let mut resumed = 0;
    for backend in backends() {
        for per_revision in [false, true] {
            let db = TestDb::create(backend).await;
            let pool = db.pool().await;
            let mode = if per_revision { "1" } else { "0" };
            let start_with = |target: &str, resume: &str| {
                Command::new(MIGRATE)
                    .arg(&db.url)
                    .arg(&dir)
                    .arg(target)
                    .env("RETORT_TEST_PER_REVISION", mode)
                    .env("RETORT_TEST_RESUME", resume)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            };
            let start = |target: &str| start_with(target, "0");
            for trial in 0..kills() {
                let target = if trial % 2 == 0 { "heads" } else { "down:base" };
                let case = format!("{backend:?}, per revision {per_revision}, trial {trial} ({target}), seed {seed}");
                let mut child = start(target);
                std::thread::sleep(std::time::Duration::from_millis(5 + rng.below(250)));
                if child.try_wait().unwrap().is_none() {
                    landed += 1;
                }
                child.kill().unwrap();
                child.wait().unwrap();
                settle(&pool).await;

                let claim = claimed(&pool).await;
                let tables = tables_present(&pool).await;
                let claimed_tables: Vec<usize> = (1..=claim.unwrap_or(0)).collect();
                if backend == Backend::MySql {
                    // DDL commits as it goes: at most the one revision at the
                    // edge of the claim is half done, and it is not claimed.
                    let k = claim.unwrap_or(0);
                    let ok = tables.iter().all(|&t| t <= k + 1) && (1..k).all(|t| tables.contains(&t));
                    assert!(ok, "{case}: claims {claim:?} with tables {tables:?}");
                } else {
                    assert_eq!(tables, claimed_tables, "{case}: all or nothing per committed transaction");
                }

                // The next run, unkilled, finishes (no lock is left behind).
                let out = start(target).wait_with_output().unwrap();
                if !out.status.success() {
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert_eq!(backend, Backend::MySql, "{case}: the next run failed: {err}");
                    // MySQL: the half-done revision is named, with what ran
                    // and what to do.
                    let half = claim.map_or(0, |k| if target == "heads" { k + 1 } else { k });
                    let id = format!("r{half:03}");
                    assert!(err.contains(&id) && err.contains("did not finish"), "{case}: {err}");
                    assert!(err.contains("what to do:") && err.contains("--resume"), "{case}: {err}");
                    // --resume runs the statements after those recorded as
                    // done; it fails only when the one in flight had applied.
                    resumed += 1;
                    let resumed_run = start_with(target, "1").wait_with_output().unwrap();
                    if resumed_run.status.success() {
                        let end = if target == "heads" { Some(LENGTH - 1) } else { None };
                        assert_eq!(claimed(&pool).await, end, "{case}: after --resume");
                        continue;
                    }
                    // Otherwise undo the revision by hand, forget its run,
                    // and start it over.
                    pool.exec(&format!("DELETE FROM retort_log WHERE revision = '{id}'")).await;
                    if target == "heads" && half == 0 {
                        pool.exec("DROP TABLE IF EXISTS applied_log").await;
                    } else if target == "heads" {
                        pool.exec(&format!("DROP TABLE IF EXISTS t_{id}")).await;
                        pool.exec(&format!("DELETE FROM applied_log WHERE revision = '{id}'")).await;
                    } else if half == 0 {
                        // r000's downgrade drops the log table.
                        pool.exec("CREATE TABLE IF NOT EXISTS applied_log (revision VARCHAR(32))").await;
                    } else {
                        pool.exec(&format!("CREATE TABLE IF NOT EXISTS t_{id} (id INTEGER)")).await;
                    }
                    let again = start(target).wait_with_output().unwrap();
                    assert!(again.status.success(), "{case}: {}", String::from_utf8_lossy(&again.stderr));
                }
                let end = if target == "heads" { Some(LENGTH - 1) } else { None };
                assert_eq!(claimed(&pool).await, end, "{case}");
                let expected: Vec<usize> = (1..=end.unwrap_or(0)).collect();
                assert_eq!(tables_present(&pool).await, expected, "{case}");
            }
            db.finish(pool).await;
        }
    }
    eprintln!(
        "kill -9 trials: {landed} kills landed while a run was going, {resumed} MySQL revisions left half done (seed {seed})"
    );
}

#[test]
fn the_sqlite_lock_file_sits_next_to_the_database() {
    // Checked here so the README's description stays true.
    let dir = retort_tests::temp_dir("retort_lockfile");
    let db = dir.join("app.db");
    let out = Command::new(MIGRATE)
        .arg(format!("sqlite://{}?mode=rwc", db.display()))
        .arg(versions(&logged_chain(3)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("app.db.retort-lock").exists());
    let _ = std::fs::remove_dir_all(dir);
    let _ = Backend::Sqlite;
}

/// A chain whose middle revision runs `middle`, then creates its table
/// (on MySQL a kill in `middle` then leaves nothing half done).
fn chain_with_middle(middle: &str) -> std::path::PathBuf {
    versions(&[
        Rev::table("aaaa0001", &[]),
        Rev::sql(
            "bbbb0002",
            &["aaaa0001"],
            &format!("{middle}\nCREATE TABLE t_bbbb0002 (id INTEGER);"),
            "DROP TABLE t_bbbb0002;",
        ),
        Rev::table("cccc0003", &["bbbb0002"]),
    ])
}

#[tokio::test]
async fn a_waiter_takes_the_lock_when_its_holder_is_killed_in_a_slow_statement_and_finishes() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        // The holder's copy of bbbb0002 is slow; the waiter's, the same
        // revision as far as the version table knows, is not: the waiter's
        // run then ends as soon as it has the lock. (A server notices the
        // killed holder's session when its sleep ends: 5 s at most.)
        let slow = match backend {
            Backend::Postgres => "SELECT pg_sleep(5);",
            Backend::MySql => "SELECT SLEEP(5);",
            Backend::Sqlite => {
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c;"
            }
        };
        let (slow_dir, fast_dir) = (chain_with_middle(slow), chain_with_middle("SELECT 1;"));
        let run = |dir: &std::path::Path| {
            Command::new(MIGRATE).arg(&db.url).arg(dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        };
        let mut holder = run(&slow_dir);
        let busy_sql = match backend {
            Backend::Postgres => Some(
                "SELECT CAST(pid AS TEXT) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()",
            ),
            Backend::MySql => {
                Some("SELECT CAST(id AS CHAR) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(5)%'")
            }
            // An SQLite writer is invisible from outside: give it time.
            Backend::Sqlite => None,
        };
        let started = std::time::Instant::now();
        match busy_sql {
            Some(sql) => {
                while pool.strings(sql).await.is_empty() {
                    assert!(started.elapsed().as_secs() < 30, "{backend:?}: the slow statement never started");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
            None => tokio::time::sleep(std::time::Duration::from_millis(1500)).await,
        }
        let waiter = run(&fast_dir);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        holder.kill().unwrap(); // SIGKILL, in the middle of the slow statement
        holder.wait().unwrap();
        let mut out = waiter.wait_with_output().unwrap();
        if backend == Backend::MySql {
            // The holder's revision was cut short in a statement retort
            // cannot know the effect of: the waiter stops and says so, and
            // --resume carries on once someone has looked.
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(!out.status.success() && err.contains("was running when that run stopped"), "{err}");
            out = run_resuming(&db.url, &fast_dir);
        }
        assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
        // On MySQL the holder's first revision had committed on its own.
        let left = if backend == Backend::MySql { 2 } else { 3 };
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), left, "{backend:?}: the waiter ran the rest");
        assert_eq!(pool.versions("alembic_version").await, ["cccc0003"], "{backend:?}");
        db.finish(pool).await;
    }
}

fn run_resuming(url: &str, dir: &std::path::Path) -> std::process::Output {
    Command::new(MIGRATE).arg(url).arg(dir).env("RETORT_TEST_RESUME", "1").output().unwrap()
}
