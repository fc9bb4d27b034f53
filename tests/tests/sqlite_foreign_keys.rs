//! SQLite's table rebuild under retort's transactions: sqlx enforces
//! foreign keys on every connection and `PRAGMA foreign_keys = OFF` does
//! nothing inside a transaction, so a run switches enforcement off before
//! `BEGIN` and checks the references itself before `COMMIT`.

use std::sync::{Arc, Mutex};

use retort::{Error, Migrator, Options, Progress};
use retort_tests::{Backend, Pool, Rev, TestDb, versions};

/// A parent with two children that cascade on delete.
fn parent_and_children() -> Rev {
    Rev::sql(
        "aaaa0001",
        &[],
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\n\
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);\n\
         INSERT INTO parent VALUES (1, 'one'), (2, 'two');\n\
         INSERT INTO child VALUES (10, 1), (20, 2);",
        "DROP TABLE child;\nDROP TABLE parent;",
    )
}

/// SQLite's documented procedure for a change ALTER TABLE cannot make,
/// with the pragma at its top as the SQLite documentation writes it.
fn rebuild_parent() -> Rev {
    Rev::sql(
        "bbbb0002",
        &["aaaa0001"],
        "PRAGMA foreign_keys=OFF;\n\
         CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n\
         INSERT INTO parent_new (id, name) SELECT id, COALESCE(name, '') FROM parent;\n\
         DROP TABLE parent;\n\
         ALTER TABLE parent_new RENAME TO parent;",
        "SELECT 1;",
    )
}

async fn count(pool: &Pool, table: &str) -> String {
    pool.strings(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}")).await.remove(0)
}

fn modes() -> [Options; 2] {
    [Options::default(), Options::default().with_transaction_per_revision(true)]
}

#[tokio::test]
async fn a_table_rebuild_keeps_the_child_rows_in_both_transaction_modes() {
    for options in modes() {
        let db = TestDb::create(Backend::Sqlite).await;
        let pool = db.pool().await;
        let warnings = Arc::new(Mutex::new(Vec::new()));
        let seen = warnings.clone();
        let m = Migrator::from_dir(versions(&[parent_and_children(), rebuild_parent()]))
            .unwrap()
            .with_options(options.clone())
            .with_progress(move |event| {
                if let Progress::Warning { message } = event {
                    seen.lock().unwrap().push(message.to_string());
                }
            });
        m.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
        assert_eq!(count(&pool, "child").await, "2", "{options:?}: the rebuild cascaded into the children");
        assert_eq!(count(&pool, "parent").await, "2");
        // The revision's own pragma is named as a no-op, at its line.
        let warnings = warnings.lock().unwrap().clone();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("bbbb0002") && warnings[0].contains(":7:"), "{}", warnings[0]);
        assert!(warnings[0].contains("does nothing inside a transaction"), "{}", warnings[0]);
        // The pooled connection enforces foreign keys again afterwards.
        assert_eq!(pool.strings("SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys").await, ["1"]);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_revision_leaving_dangling_references_fails_with_the_rows_named_and_commits_nothing() {
    for options in modes() {
        let per_revision = options.transaction_per_revision;
        let db = TestDb::create(Backend::Sqlite).await;
        let pool = db.pool().await;
        // Enforcement is off during the run, so this DELETE does not cascade.
        let orphaning = Rev::sql("cccc0003", &["bbbb0002"], "DELETE FROM parent WHERE id = 2;", "SELECT 1;");
        let revs = [parent_and_children(), rebuild_parent(), orphaning];
        let m = Migrator::from_dir(versions(&revs)).unwrap().with_options(options);
        let err = m.upgrade(pool.db(), "head").await.unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolations { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("child rowid 20 references a missing row of parent"), "{text}");
        assert!(text.contains("cccc0003"), "{text}");
        if per_revision {
            assert_eq!(count(&pool, "parent").await, "2", "the failing transaction was rolled back");
            assert_eq!(count(&pool, "child").await, "2");
            assert!(text.contains("the version table is at bbbb0002"), "{text}");
            assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
        } else {
            assert!(text.contains("the database is where it started"), "{text}");
            assert!(!pool.has_table("parent").await && !pool.has_table("alembic_version").await);
        }
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn dangling_references_the_database_already_held_do_not_fail_a_run() {
    let db = TestDb::create(Backend::Sqlite).await;
    let pool = db.pool().await;
    let m = Migrator::from_dir(versions(&[parent_and_children()])).unwrap();
    m.upgrade(pool.db(), "head").await.unwrap();
    pool.exec("PRAGMA foreign_keys = OFF; INSERT INTO child VALUES (30, 99); PRAGMA foreign_keys = ON;").await;
    let more =
        Rev::sql("bbbb0002", &["aaaa0001"], "INSERT INTO child VALUES (40, 1);", "DELETE FROM child WHERE id = 40;");
    let m = Migrator::from_dir(versions(&[parent_and_children(), more])).unwrap();
    m.upgrade(pool.db(), "head").await.unwrap();
    assert_eq!(count(&pool, "child").await, "4");
    db.finish(pool).await;
}
