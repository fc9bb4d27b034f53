//! Transactions as Alembic keeps them: one for the whole run by default,
//! one per revision on request, none for `Transactional: false` revisions.

use retort::{Migrator, Options};
use retort_tests::{Backend, Rev, TestDb, backends, versions};

#[tokio::test]
async fn non_transactional_revisions_run_statement_by_statement_outside_any_transaction() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDb::create(Backend::Postgres).await;
    let pool = db.pool().await;
    // sqlx's `-- no-transaction` sends such a file as one message, which
    // PostgreSQL runs as one implicit transaction: both statements fail.
    let revs = vec![
        Rev::sql(
            "aaaa0001",
            &[],
            "CREATE TYPE mood AS ENUM ('sad');\nCREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, m mood);",
            "DROP TABLE person;\nDROP TYPE mood;",
        ),
        Rev::sql(
            "bbbb0002",
            &["aaaa0001"],
            "ALTER TYPE mood ADD VALUE 'happy';\nCREATE INDEX CONCURRENTLY person_name ON person (name);",
            "DROP INDEX CONCURRENTLY person_name;",
        )
        .non_transactional(),
        Rev::sql("cccc0003", &["bbbb0002"], "INSERT INTO person VALUES (1, 'ann', 'happy');", "DELETE FROM person;"),
    ];
    let m = Migrator::from_dir(versions(&revs)).unwrap();
    m.upgrade(pool.db(), "head").await.unwrap();
    assert_eq!(pool.versions("alembic_version").await, ["cccc0003"]);
    let indexes = pool
        .strings(
            "SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE tablename = 'person' AND indexname = 'person_name'",
        )
        .await;
    assert_eq!(indexes, ["person_name"]);
    m.downgrade(pool.db(), "aaaa0001").await.unwrap();
    assert!(
        pool.strings("SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE indexname = 'person_name'").await.is_empty()
    );
    db.finish(pool).await;
}

#[tokio::test]
async fn a_failure_after_a_non_transactional_revision_keeps_what_committed_and_says_so() {
    for backend in backends() {
        if backend == Backend::MySql {
            continue; // every MySQL revision is its own unit; see failures.rs
        }
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let revs = vec![
            Rev::table("aaaa0001", &[]),
            Rev::table("bbbb0002", &["aaaa0001"]).non_transactional(),
            Rev::sql("cccc0003", &["bbbb0002"], "INSERT INTO nowhere VALUES (1);", "SELECT 1;"),
        ];
        let m = Migrator::from_dir(versions(&revs)).unwrap();
        let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
        assert!(
            err.contains("revisions before it in this run were committed: alembic_version is at bbbb0002"),
            "{backend:?}: {err}"
        );
        // aaaa0001 committed before bbbb0002 ran outside the transaction, and
        // bbbb0002's row change committed right after it: the table never
        // lags behind the schema.
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
        assert!(pool.has_table("t_bbbb0002").await);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn one_transaction_per_revision_keeps_the_revisions_before_a_failure() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let revs = vec![
            Rev::table("aaaa0001", &[]),
            Rev::table("bbbb0002", &["aaaa0001"]),
            Rev::sql("cccc0003", &["bbbb0002"], "INSERT INTO nowhere VALUES (1);", "SELECT 1;"),
        ];
        let per_revision = Options::default().with_transaction_per_revision(true);
        let m = Migrator::from_dir(versions(&revs)).unwrap().with_options(per_revision);
        let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
        assert!(err.contains("cccc0003"), "{err}");
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"], "{backend:?}");
        assert!(pool.has_table("t_bbbb0002").await);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_table_moved_while_a_non_transactional_revision_ran_is_reported_as_unrecorded() {
    // SQLite holds no lock between its write transactions; stand in for the
    // other process with a revision that moves the version table itself.
    let db = TestDb::create(Backend::Sqlite).await;
    let pool = db.pool().await;
    let revs = vec![
        Rev::table("aaaa0001", &[]),
        Rev::sql("bbbb0002", &["aaaa0001"], "UPDATE alembic_version SET version_num = 'zzzz9999';", "SELECT 1;")
            .non_transactional(),
    ];
    let m = Migrator::from_dir(versions(&revs)).unwrap();
    let err = m.upgrade(pool.db(), "head").await.unwrap_err();
    assert!(matches!(err, retort::Error::RanUnrecorded { ref revision, .. } if revision == "bbbb0002"), "{err:?}");
    assert!(err.to_string().contains("so the revision was not recorded"), "{err}");
    db.finish(pool).await;
}

#[tokio::test]
async fn a_non_transactional_revision_whose_record_fails_says_it_stays_applied() {
    // The revision runs outside a transaction and then makes the version
    // table refuse its own row: the statements stay, the row does not.
    let db = TestDb::create(Backend::Sqlite).await;
    let pool = db.pool().await;
    let refuse = "CREATE TRIGGER refuse BEFORE INSERT ON alembic_version BEGIN SELECT RAISE(ABORT, 'refused'); END;";
    let revs = vec![Rev::sql("aaaa0001", &[], refuse, "DROP TRIGGER refuse;").non_transactional()];
    let m = Migrator::from_dir(versions(&revs)).unwrap();
    let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
    assert!(err.contains("after revision aaaa0001"), "{err}");
    assert!(err.contains("its statements stay applied, but the version table does not record them"), "{err}");
    assert!(err.contains("`stamp aaaa0001`"), "{err}");
    assert!(err.contains("refused"), "the database's own message: {err}");
    assert!(pool.versions("alembic_version").await.is_empty());
    assert_eq!(pool.strings("SELECT name FROM sqlite_master WHERE name = 'refuse'").await, ["refuse"]);
    db.finish(pool).await;
}

#[tokio::test]
async fn a_failing_first_revision_outside_a_transaction_claims_no_earlier_commit() {
    for backend in backends() {
        if backend == Backend::MySql {
            continue; // every MySQL revision is its own unit; see failures.rs
        }
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let revs = vec![Rev::sql("aaaa0001", &[], "INSERT INTO nowhere VALUES (1);", "SELECT 1;").non_transactional()];
        let m = Migrator::from_dir(versions(&revs)).unwrap();
        let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
        assert!(err.contains("no statement of revision aaaa0001 ran"), "{backend:?}: {err}");
        assert!(err.contains("alembic_version was not changed"), "{backend:?}: {err}");
        assert!(!err.contains("were committed"), "nothing before it committed: {err}");
        db.finish(pool).await;
    }
}

/// What a trigger saw written to `alembic_version` (SQLite), oldest first.
async fn version_writes(pool: &retort_tests::Pool) -> Vec<String> {
    let writes = pool.strings("SELECT what FROM version_writes ORDER BY n").await;
    pool.exec("DELETE FROM version_writes").await;
    writes
}

#[tokio::test]
async fn a_run_in_one_transaction_writes_only_its_net_change_to_the_version_table() {
    let db = TestDb::create(Backend::Sqlite).await;
    let pool = db.pool().await;
    // Alembic's table, with triggers that record every write to it.
    pool.exec(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
         CREATE TABLE version_writes (n INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL);
         CREATE TRIGGER vi AFTER INSERT ON alembic_version BEGIN INSERT INTO version_writes (what) VALUES ('insert ' || new.version_num); END;
         CREATE TRIGGER vu AFTER UPDATE ON alembic_version BEGIN INSERT INTO version_writes (what) VALUES ('update ' || old.version_num || ' ' || new.version_num); END;
         CREATE TRIGGER vd AFTER DELETE ON alembic_version BEGIN INSERT INTO version_writes (what) VALUES ('delete ' || old.version_num); END;",
    )
    .await;
    // Two branches and their merge: step by step, Alembic inserts, updates,
    // inserts a second row, then deletes one and updates the other.
    let revs = vec![
        Rev::table("aaaa0001", &[]),
        Rev::table("bbbb0002", &["aaaa0001"]),
        Rev::table("cccc0003", &["aaaa0001"]),
        Rev::table("dddd0004", &["bbbb0002", "cccc0003"]),
    ];
    let dir = versions(&revs);
    let m = Migrator::from_dir(&dir).unwrap();
    let report = m.upgrade(pool.db(), "head").await.unwrap();
    assert_eq!(report.steps.len(), 4);
    assert_eq!(version_writes(&pool).await, ["insert dddd0004"]);
    m.downgrade(pool.db(), "aaaa0001").await.unwrap();
    assert_eq!(version_writes(&pool).await, ["update dddd0004 aaaa0001"]);
    assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"]);
    // One transaction per revision: each commits its own changes, as
    // Alembic writes them (a merge deletes one parent's row and updates the
    // last parent's).
    let m = Migrator::from_dir(&dir).unwrap().with_options(Options::default().with_transaction_per_revision(true));
    m.upgrade(pool.db(), "bbbb0002").await.unwrap();
    m.upgrade(pool.db(), "head").await.unwrap();
    assert_eq!(
        version_writes(&pool).await,
        ["update aaaa0001 bbbb0002", "insert cccc0003", "delete bbbb0002", "update cccc0003 dddd0004"]
    );
    assert_eq!(pool.versions("alembic_version").await, ["dddd0004"]);
    db.finish(pool).await;
}
