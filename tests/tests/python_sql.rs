//! The escape hatch for Alembic `.py` revisions, on every backend: the
//! `.sql` file of the same name beside a `.py` holds its SQL, which retort
//! runs instead of the Python body (the header stays the `.py`'s); errors
//! point into that file; a `.py` with no SQL beside it is refused before
//! anything runs, with what to do.

use retort::Migrator;
use retort_tests::{TestDb, backends, temp_dir};

fn python(id: &str, down: &str) -> String {
    format!(
        "\"\"\"{id}\n\nRevision ID: {id}\nRevises: {down}\nCreate Date: 2018-07-05 15:19:00\n\n\"\"\"\nfrom alembic import op\n\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    for name in ('a', 'b'):\n        op.execute(name)\n\n\ndef downgrade():\n    pass\n"
    )
}

/// Two `.py` revisions with their SQL beside them; returns the directory.
fn project(second_sql: &str) -> std::path::PathBuf {
    let dir = temp_dir("python_sql");
    std::fs::write(dir.join("2018-07-05_3dda56f1c4c6_users.py"), python("3dda56f1c4c6", "None")).unwrap();
    std::fs::write(
        dir.join("2018-07-05_3dda56f1c4c6_users.sql"),
        "-- The SQL of the users revision.\n\n-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n\n-- downgrade\nDROP TABLE users;\n",
    )
    .unwrap();
    std::fs::write(dir.join("4a7c1b2d9e10_email.py"), python("4a7c1b2d9e10", "'3dda56f1c4c6'")).unwrap();
    std::fs::write(dir.join("4a7c1b2d9e10_email.sql"), second_sql).unwrap();
    dir
}

const EMAIL: &str = "-- upgrade\nALTER TABLE users ADD COLUMN email VARCHAR(100);\n\n-- downgrade\nALTER TABLE users DROP COLUMN email;\n";

#[tokio::test]
async fn the_sql_beside_a_python_revision_runs_up_and_down() {
    let dir = project(EMAIL);
    let m = Migrator::from_dir(&dir).unwrap();
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        m.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(m.current(pool.db()).await.unwrap(), ["4a7c1b2d9e10"]);
        pool.exec("INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@example.com')").await;
        m.downgrade(pool.db(), "base").await.unwrap();
        assert!(!pool.has_table("users").await, "{backend:?}");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_failing_statement_is_named_in_the_sql_file() {
    let dir = project(
        "-- upgrade\nALTER TABLE users ADD COLUMN email VARCHAR(100);\nALTER TABLE nowhere ADD COLUMN x INTEGER;\n\n-- downgrade\n",
    );
    let m = Migrator::from_dir(&dir).unwrap();
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
        assert!(err.contains("4a7c1b2d9e10_email.sql:3"), "{backend:?}: {err}");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_python_revision_without_sql_is_refused_before_anything_runs() {
    let dir = project(EMAIL);
    std::fs::remove_file(dir.join("4a7c1b2d9e10_email.sql")).unwrap();
    let m = Migrator::from_dir(&dir).unwrap();
    let db = TestDb::create(retort_tests::Backend::Sqlite).await;
    let pool = db.pool().await;
    let err = m.upgrade(pool.db(), "head").await.unwrap_err().to_string();
    assert!(err.contains("4a7c1b2d9e10") && err.contains("a `.sql` file of the same name beside it"), "{err}");
    assert!(!pool.has_table("users").await, "nothing ran");
    db.finish(pool).await;
}

#[test]
fn a_header_in_the_sql_beside_is_an_error_at_its_line() {
    let dir = project("-- Revision ID: 4a7c1b2d9e10\n-- Transactional: false\n\n-- upgrade\nSELECT 1;\n");
    let problems = retort_core::load_dir(&dir).unwrap_err().to_string();
    assert!(problems.contains("4a7c1b2d9e10_email.sql:1"), "{problems}");
    assert!(problems.contains("'Revision ID' in the SQL of 4a7c1b2d9e10_email.py"), "{problems}");
    assert!(problems.contains("1 error"), "Transactional is allowed: {problems}");
}
