//! Failures leave the database consistent and say where and what to do: a
//! failing statement, a database ahead of the binary, a Python revision,
//! an irreversible downgrade.

use retort::{Error, Migrator, Options};
use retort_tests::{Backend, Rev, TestDb, backends, versions, write_versions};

fn failing() -> Vec<Rev> {
    vec![
        Rev::table("aaaa0001", &[]),
        Rev::table("bbbb0002", &["aaaa0001"]),
        Rev::sql(
            "cccc0003",
            &["bbbb0002"],
            "CREATE TABLE t_cccc0003 (id INTEGER PRIMARY KEY);\n\nINSERT INTO no_such_table VALUES (1);",
            "DROP TABLE t_cccc0003;",
        ),
    ]
}

#[tokio::test]
async fn a_failing_statement_is_named_and_the_run_rolled_back_or_marked() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        // One connection only: a lock or transaction left behind would hang
        // the next run (the sqlx bug this guards against).
        let pool = db.pool_with(1).await;
        let dir = versions(&failing());
        let m = Migrator::from_dir(&dir).unwrap();
        let err = m.upgrade(pool.db(), "head").await.unwrap_err();
        let Error::Statement { revision, path, line, statement, message, partial, .. } = &err else {
            panic!("{backend:?}: {err:?}")
        };
        assert_eq!(revision, "cccc0003");
        assert!(path.ends_with("cccc0003_revision.sql"));
        assert_eq!(*line, 9, "the failing statement's line in the file");
        assert_eq!(statement, "INSERT INTO no_such_table VALUES (1)");
        assert!(message.to_lowercase().contains("no_such_table"), "{message}");
        let text = err.to_string();
        assert!(text.starts_with("revision cccc0003 failed at "), "{text}");
        assert!(text.contains("cccc0003_revision.sql:9"), "{text}");

        match backend {
            Backend::MySql => {
                // DDL committed as it went: the earlier revisions and the
                // first statement stay, the version table does not claim
                // cccc0003, and the log says what happened.
                assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
                assert!(pool.has_table("t_cccc0003").await);
                let partial = partial.as_deref().unwrap();
                assert!(partial.contains("statements 1 to 1 of 2"), "{partial}");
                let log = m.log(pool.db()).await.unwrap();
                let entry = log.iter().find(|e| e.revision == "cccc0003").unwrap();
                assert_eq!(entry.status, retort::Status::Failed);
                assert!(entry.detail.contains("statements 1 to 1 of 2"), "{}", entry.detail);
                pool.exec("DROP TABLE t_cccc0003").await;
            }
            _ => {
                assert!(partial.is_none(), "{partial:?}");
                assert!(text.contains("rolled back"), "{text}");
                assert!(!pool.has_table("t_aaaa0001").await, "{backend:?}: the whole run is rolled back");
                assert!(!pool.has_table("alembic_version").await);
            }
        }

        // The fix: the next run proceeds at once on the same one-connection
        // pool (the lock was released, nothing left open).
        let mut fixed = failing();
        fixed[2] = Rev::table("cccc0003", &["bbbb0002"]);
        write_versions(&dir, &fixed);
        let m = Migrator::from_dir(&dir).unwrap();
        if backend == Backend::MySql {
            // A plain run stops: the log says statement 1 of cccc0003 ran.
            let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
            assert!(err.contains("did not finish in an earlier run") && err.contains("status failed"), "{err}");
            assert!(err.contains("statements 1 to 1 of 1 ran and stay applied"), "{err}");
            assert!(err.contains("--restart"), "{err}");
        }
        // What ran was undone by hand above: start the revision over.
        let m = m.with_options(Options::default().with_on_unfinished(retort::OnUnfinished::Restart));
        let report = tokio::time::timeout(std::time::Duration::from_secs(30), m.upgrade(pool.db(), "head"))
            .await
            .expect("the next run must not wait for a leaked lock")
            .unwrap();
        assert_eq!(report.heads_after, ["cccc0003"]);
        let log = m.log(pool.db()).await.unwrap();
        assert!(log.iter().all(|e| e.status == retort::Status::Applied), "{log:?}");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_database_ahead_of_the_binary_fails_with_alembics_words_unless_allowed() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&[Rev::table("aaaa0001", &[])])).unwrap();
        m.upgrade(pool.db(), "head").await.unwrap();
        pool.exec("UPDATE alembic_version SET version_num = 'ffff0009'").await;
        let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
        assert!(err.starts_with("Can't locate revision identified by 'ffff0009'"), "{backend:?}: {err}");
        assert!(err.contains("older than the database"), "{err}");
        let lenient = m.clone().with_options(Options::default().with_allow_database_ahead(true));
        let report = lenient.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(report.database_ahead, ["ffff0009"]);
        assert!(lenient.pending(pool.db()).await.unwrap().is_empty(), "a readiness probe stays ready");
        assert!(report.steps.is_empty());
        assert_eq!(pool.versions("alembic_version").await, ["ffff0009"], "nothing touched");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_python_revision_stops_the_run_before_any_step() {
    let dir = versions(&[Rev::table("aaaa0001", &[])]);
    std::fs::write(
        dir.join("bbbb0002_py.py"),
        "\"\"\"Python one\"\"\"\nrevision = 'bbbb0002'\ndown_revision = 'aaaa0001'\n\ndef upgrade():\n    conn = op.get_bind()\n    conn.execute('UPDATE t SET x = 1')\n",
    )
    .unwrap();
    write_versions(&dir, &[Rev::table("cccc0003", &["bbbb0002"])]);
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(&dir).unwrap();
        let err = m.upgrade(pool.db(), "head").await.unwrap_err();
        assert!(
            matches!(&err, Error::NotRunnable(retort::NotRunnable::Python(revs)) if revs[0].0 == "bbbb0002"),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("bbbb0002_py.py: line 6: `op.get_bind()`"), "{message}");
        assert!(!pool.has_table("t_aaaa0001").await, "{backend:?}: refused before any step");
        // Stamping through it works, and so does running around it.
        m.stamp(pool.db(), &["bbbb0002"], false).await.unwrap();
        m.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["cccc0003"]);
        db.finish(pool).await;
    }
}

/// A revision built through the API with SQL the splitter rejects is refused
/// before anything runs: never recorded as applied with nothing run.
#[tokio::test]
async fn sql_that_cannot_be_split_stops_the_run_before_any_step() {
    let mut base = retort::Revision::new("aaaa0001", None::<&str>);
    base.upgrade = vec![retort::Section { dialect: None, line: 5, sql: "CREATE TABLE t_aaaa0001 (x INT);".into() }];
    let mut broken = retort::Revision::new("bbbb0002", Some("aaaa0001"));
    broken.upgrade =
        vec![retort::Section { dialect: None, line: 5, sql: "INSERT INTO t_aaaa0001 VALUES ('open);".into() }];
    let m = Migrator::new(retort::RevisionGraph::new(vec![base, broken]).unwrap());
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let err = m.upgrade(pool.db(), "head").await.unwrap_err();
        assert!(
            matches!(&err, Error::NotRunnable(retort::NotRunnable::Unsplittable { revision, .. }) if revision == "bbbb0002"),
            "{backend:?}: {err:?}"
        );
        assert!(!pool.has_table("t_aaaa0001").await, "{backend:?}: refused before any step");
        assert!(!pool.has_table("alembic_version").await, "{backend:?}: nothing recorded");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_nul_byte_in_sql_from_the_api_is_refused_before_any_step_instead_of_hanging_sqlite() {
    let mut base = retort::Revision::new("aaaa0001", None::<&str>);
    base.upgrade = vec![retort::Section { dialect: None, line: 5, sql: "CREATE TABLE t_aaaa0001 (x INT);".into() }];
    let mut nul = retort::Revision::new("bbbb0002", Some("aaaa0001"));
    nul.upgrade =
        vec![retort::Section { dialect: None, line: 5, sql: "INSERT INTO t_aaaa0001 VALUES (1)\0, (2);".into() }];
    let m = Migrator::new(retort::RevisionGraph::new(vec![base, nul]).unwrap());
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        // sqlx-sqlite spins for ever on SQL that starts with a NUL: a
        // regression shows as this timeout, not as a hung suite.
        let run = tokio::time::timeout(std::time::Duration::from_secs(60), m.upgrade(pool.db(), "head"));
        let err = run.await.expect("the run hung").unwrap_err();
        assert!(
            matches!(&err, Error::NotRunnable(retort::NotRunnable::Unsplittable { revision, .. }) if revision == "bbbb0002"),
            "{backend:?}: {err:?}"
        );
        assert!(err.to_string().contains("NUL character"), "{err}");
        assert!(!pool.has_table("t_aaaa0001").await, "{backend:?}: refused before any step");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn an_irreversible_revision_stops_a_downgrade_before_any_step() {
    let mut revs =
        vec![Rev::table("aaaa0001", &[]), Rev::table("bbbb0002", &["aaaa0001"]), Rev::table("cccc0003", &["bbbb0002"])];
    revs[1].down_sql = None;
    revs[2].down_sql = None;
    revs[2].extra = "-- downgrade: postgresql\nDROP TABLE t_cccc0003;\n".to_owned();
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&revs)).unwrap();
        m.upgrade(pool.db(), "head").await.unwrap();
        let err = m.downgrade(pool.db(), "base").await.unwrap_err().to_string();
        assert!(err.contains("bbbb0002"), "{err}");
        assert!(err.contains("no `-- downgrade` section"), "{err}");
        let err = m.downgrade(pool.db(), "-1").await;
        if backend == Backend::Postgres {
            err.unwrap();
            assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
        } else {
            let err = err.unwrap_err().to_string();
            assert!(err.starts_with("cannot downgrade cccc0003"), "{backend:?}: {err}");
            assert_eq!(pool.versions("alembic_version").await, ["cccc0003"], "nothing ran");
        }
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn edited_revisions_are_reported_and_repair_accepts_them() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let dir = versions(&[Rev::table("aaaa0001", &[])]);
        let m = Migrator::from_dir(&dir).unwrap();
        m.upgrade(pool.db(), "head").await.unwrap();
        assert!(m.edited(pool.db()).await.unwrap().is_empty());
        // Re-indenting is not an edit; changing the SQL is.
        let mut rev = Rev::table("aaaa0001", &[]);
        rev.up = "CREATE   TABLE t_aaaa0001\n  (id INTEGER PRIMARY KEY);".to_owned();
        write_versions(&dir, &[rev.clone()]);
        assert!(Migrator::from_dir(&dir).unwrap().edited(pool.db()).await.unwrap().is_empty(), "{backend:?}");
        rev.up = "CREATE TABLE t_aaaa0001 (id BIGINT PRIMARY KEY);".to_owned();
        write_versions(&dir, &[rev]);
        let m = Migrator::from_dir(&dir).unwrap();
        let edited = m.edited(pool.db()).await.unwrap();
        assert_eq!(edited.len(), 1);
        assert_eq!(edited[0].revision, "aaaa0001");
        m.repair(pool.db(), "aaaa0001").await.unwrap();
        assert!(m.edited(pool.db()).await.unwrap().is_empty());
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_database_error_outside_a_revision_gives_the_servers_message_without_its_source_line() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDb::create(Backend::Postgres).await;
    let pool = db.pool().await;
    // The version table's schema does not exist: creating the table fails.
    let m = Migrator::from_dir(versions(&[Rev::table("aaaa0001", &[])])).unwrap().with_version_table_schema("nowhere");
    let err = m.upgrade(pool.db(), "head").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Database { .. }), "{err:?}");
    assert!(text.contains("schema \"nowhere\" does not exist (code 3F000)"), "{text}");
    // sqlx's rendering ends in "at line N", the line of PostgreSQL's C source.
    assert!(!text.contains(" at line "), "{text}");
    db.finish(pool).await;
}
