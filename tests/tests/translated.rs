//! Alembic `.py` revisions translated by retort and run for real, beside
//! the same revisions run by Alembic itself from the same empty database,
//! on every backend: the schemas (read back by retort's introspection),
//! the rows a revision inserted and the version table must be the same,
//! after upgrading to head and after downgrading to base.
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
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/alembic_upgrade.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(sqlalchemy_url(db))
        .arg(history())
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
