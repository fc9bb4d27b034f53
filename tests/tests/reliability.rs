//! The reliability suite: what retort promises under concurrency and bad
//! input, tried with real OS processes on every backend.
//!
//! Bounded for CI; `RETORT_RELIABILITY_ROUNDS` (default 2) sets how many
//! rounds each concurrency case runs, for longer runs:
//! `RETORT_RELIABILITY_ROUNDS=50 cargo test -p retort-tests --test reliability`.

use std::process::{Command, Stdio};

use retort_tests::{Backend, Rev, TestDb, backends, versions};

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
