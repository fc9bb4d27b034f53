//! Alembic `.py` revisions translated by retort and run for real, beside
//! the same revisions run by Alembic itself from the same empty database,
//! on every backend: the schemas (read back by retort's introspection),
//! the rows a revision inserted and the version table must be the same,
//! after upgrading to head and after downgrading to base — a
//! `batch_alter_table` included, which on SQLite is the table's
//! move-and-copy, made by retort at run time from the table as it is.
//!
//! Needs a Python with alembic, psycopg2 and PyMySQL (`RETORT_PYTHON` or
//! `.venv`); in CI a missing one is a failure.

use std::path::{Path, PathBuf};

use retort::{InspectOptions, Migrator};
use retort_core::schema::compare;
use retort_tests::{Backend, Pool, TestDb, backends, python_with_alembic};

fn history() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/translated-history")
}

/// The test database's URL in SQLAlchemy's words.
fn sqlalchemy_url(db: &TestDb) -> String {
    let url = db.url.split('?').next().unwrap_or(&db.url);
    match db.backend {
        Backend::Postgres => url.replacen("postgres://", "postgresql+psycopg2://", 1),
        Backend::MySql => url.replacen("mysql://", "mysql+pymysql://", 1),
        Backend::Sqlite => url.replacen("sqlite://", "sqlite:///", 1),
    }
}

fn alembic(python: &Path, db: &TestDb, target: &str) {
    alembic_in(python, db, &history(), target);
}

fn alembic_in(python: &Path, db: &TestDb, versions: &Path, target: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/alembic_upgrade.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(sqlalchemy_url(db))
        .arg(versions)
        .arg(target)
        .output()
        .unwrap();
    assert!(out.status.success(), "Alembic {target} on {:?}: {}", db.backend, String::from_utf8_lossy(&out.stderr));
}

async fn roles(pool: &Pool) -> Vec<String> {
    pool.strings("SELECT name FROM role ORDER BY id").await
}

#[tokio::test]
async fn translated_revisions_build_what_alembic_builds() {
    let Some(python) = python_with_alembic() else { return };
    let m = Migrator::from_dir(history()).unwrap();
    for rev in m.graph().revisions() {
        assert!(rev.untranslated.is_empty() && rev.has_sql(), "{} translates: {:?}", rev.id, rev.untranslated);
    }
    let options = InspectOptions::default();
    // Offline, SQLite's batch cannot be printed (Alembic cannot either);
    // PostgreSQL's is plain ALTERs.
    let err = m.upgrade_sql(retort_core::Dialect::Sqlite, &[], "head").unwrap_err().to_string();
    assert!(err.contains("3c4d5e6f7a03") && err.contains("cannot be printed without a database"), "{err}");
    let sql = m.upgrade_sql(retort_core::Dialect::Postgres, &[], "head").unwrap();
    assert!(sql.contains("ALTER TABLE account ADD CONSTRAINT uq_account_nick UNIQUE (nick)"), "{sql}");
    for backend in backends() {
        let ours_db = TestDb::create(backend).await;
        let theirs_db = TestDb::create(backend).await;
        let ours = ours_db.pool().await;
        let theirs = theirs_db.pool().await;
        m.upgrade(ours.db(), "head").await.unwrap();
        alembic(&python, &theirs_db, "head");
        let by_retort = retort::inspect(ours.db(), &options).await.unwrap();
        let by_alembic = retort::inspect(theirs.db(), &options).await.unwrap();
        assert_eq!(by_retort.tables.len(), 3, "{backend:?}");
        let differences = compare(&by_alembic, &by_retort);
        assert!(differences.is_empty(), "{backend:?}: {differences:?}");
        assert_eq!(roles(&ours).await, ["admin", "member"]);
        assert_eq!(roles(&ours).await, roles(&theirs).await);
        assert_eq!(m.current(ours.db()).await.unwrap(), m.current(theirs.db()).await.unwrap());

        // Down to base, each with its own tool: nothing left on either side.
        m.downgrade(ours.db(), "base").await.unwrap();
        alembic(&python, &theirs_db, "base");
        let by_retort = retort::inspect(ours.db(), &options).await.unwrap();
        let by_alembic = retort::inspect(theirs.db(), &options).await.unwrap();
        assert!(by_retort.tables.is_empty(), "{backend:?}: {:?}", by_retort.tables.keys());
        assert!(compare(&by_alembic, &by_retort).is_empty());

        // And across: Alembic upgrades, retort downgrades what Alembic did.
        alembic(&python, &theirs_db, "head");
        m.downgrade(theirs.db(), "base").await.unwrap();
        assert!(retort::inspect(theirs.db(), &options).await.unwrap().tables.is_empty(), "{backend:?}");
        ours_db.finish(ours).await;
        theirs_db.finish(theirs).await;
    }
}

/// A database retort built from a baseline is one Alembic continues: the
/// baseline of the first revision (with its reference rows), retort's
/// upgrade to it on an empty database, then Alembic's own upgrade to head
/// running the next revision's Python, against Alembic's whole history.
#[tokio::test]
async fn alembic_continues_a_database_built_from_a_baseline() {
    let Some(python) = python_with_alembic() else { return };
    let dir = retort_tests::temp_dir("baseline_alembic");
    for entry in std::fs::read_dir(history()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let first = "1a2b3c4d5e01";
    let options = InspectOptions::default();
    for backend in backends() {
        for stale in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            if stale.to_string_lossy().ends_with("_baseline.sql") {
                std::fs::remove_file(stale).unwrap();
            }
        }
        let ours_db = TestDb::create(backend).await;
        let theirs_db = TestDb::create(backend).await;
        let ours = ours_db.pool().await;
        let theirs = theirs_db.pool().await;
        // The baseline, built by retort from the translated revision.
        let m = Migrator::from_dir(&dir).unwrap();
        let scratch = retort::ScratchDatabase::beside(ours.db()).await.unwrap();
        let schema = m.schema_at(&scratch, &[first], &options).await.unwrap();
        let role = schema.tables.values().find(|t| t.name.name == "role").unwrap();
        let rows = retort::table_rows(scratch.db(), role).await.unwrap();
        scratch.drop_database().await.unwrap();
        let sql = retort_core::schema::baseline_sql(&schema, &[rows]).unwrap().sql;
        let dialect = retort_tests::generated::dialect_of(backend);
        let (name, text) = retort_core::generate::baseline_file(
            m.graph().get(first).unwrap(),
            &[(dialect, sql)],
            "2026-12-08 00:00:00",
        );
        std::fs::write(dir.join(name), text).unwrap();

        let m = Migrator::from_dir(&dir).unwrap();
        let report = m.upgrade(ours.db(), first).await.unwrap();
        assert!(report.steps[0].description.starts_with("baseline"), "{backend:?}: {:?}", report.steps);
        alembic_in(&python, &ours_db, &dir, "head");
        alembic_in(&python, &theirs_db, &dir, "head");
        let differences = compare(
            &retort::inspect(theirs.db(), &options).await.unwrap(),
            &retort::inspect(ours.db(), &options).await.unwrap(),
        );
        assert!(differences.is_empty(), "{backend:?}: {differences:?}");
        assert_eq!(roles(&ours).await, roles(&theirs).await);
        assert_eq!(m.current(ours.db()).await.unwrap(), m.current(theirs.db()).await.unwrap());
        ours_db.finish(ours).await;
        theirs_db.finish(theirs).await;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A batch that renames a column, widens a type, adds a foreign key and a
/// CHECK and drops a column — on SQLite the table's move-and-copy, which
/// Alembic makes by reflecting the table and retort from its own reading
/// of it — leaves the schema and the rows Alembic leaves, up and down.
#[tokio::test]
async fn a_batch_of_every_kind_builds_what_alembic_builds() {
    let Some(python) = python_with_alembic() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/translated-batch");
    let m = Migrator::from_dir(&dir).unwrap();
    let options = InspectOptions::default();
    for backend in backends() {
        let ours_db = TestDb::create(backend).await;
        let theirs_db = TestDb::create(backend).await;
        let ours = ours_db.pool().await;
        let theirs = theirs_db.pool().await;
        for target in ["head", "5e6f7a8b9c01"] {
            if target == "head" {
                m.upgrade(ours.db(), target).await.unwrap();
            } else {
                m.downgrade(ours.db(), target).await.unwrap();
            }
            let alembic_target = if target == "head" { "head" } else { "-1" };
            alembic_in(&python, &theirs_db, &dir, alembic_target);
            let differences = compare(
                &retort::inspect(theirs.db(), &options).await.unwrap(),
                &retort::inspect(ours.db(), &options).await.unwrap(),
            );
            assert!(differences.is_empty(), "{backend:?} at {target}: {differences:?}");
            let qty = "SELECT CAST(qty AS CHAR(10)) FROM item";
            let qty = if backend == Backend::Postgres { "SELECT CAST(qty AS TEXT) FROM item" } else { qty };
            assert_eq!(ours.strings(qty).await, ["5"], "{backend:?} at {target}: the row survives");
        }
        ours_db.finish(ours).await;
        theirs_db.finish(theirs).await;
    }
}
