//! Introspection on real databases: a schema read back equals what was
//! written, twice the same; two spellings of one schema compare equal; and
//! the changes between two schemas are each found, and nothing else.

use retort::InspectOptions;
use retort_core::schema::{Schema, compare};
use retort_tests::{Backend, DESIRED_SCHEMA, HEAD_SCHEMA, Pool, TestDb, backends, two_spellings};

async fn schema_of(backend: Backend, sql: &str) -> (TestDb, Pool, Schema) {
    let db = TestDb::create(backend).await;
    let pool = db.pool().await;
    pool.exec(sql).await;
    let schema = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
    (db, pool, schema)
}

#[tokio::test]
async fn a_schema_reads_back_whole_and_twice_the_same() {
    for backend in backends() {
        let (first, _) = two_spellings(backend);
        let (db, pool, schema) = schema_of(backend, first).await;
        let again = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
        assert_eq!(schema.canonical_sql(), again.canonical_sql(), "{backend:?}");
        assert_eq!(schema.fingerprint(), again.fingerprint());
        let text = schema.canonical_sql();
        let account = schema.tables.values().find(|t| t.name.name == "account").expect("account is read");
        let note = schema.tables.values().find(|t| t.name.name == "note").expect("note is read");
        assert_eq!(account.primary_key.as_ref().unwrap().columns, ["id"], "{backend:?}");
        assert_eq!(account.uniques.len(), 1, "{backend:?}: {text}");
        assert_eq!(account.checks.len(), 1, "{backend:?}: {text}");
        assert_eq!(note.foreign_keys.len(), 1, "{backend:?}: {text}");
        assert_eq!(note.foreign_keys[0].on_delete, retort_core::schema::Action::Cascade);
        assert_eq!(note.indexes.len(), 1, "{backend:?}: {text}");
        assert_eq!(schema.views.len(), 1, "{backend:?}");
        assert!(!account.column("email").unwrap().nullable);
        if backend == Backend::Postgres {
            assert_eq!(schema.enums.values().next().unwrap().labels, ["sad", "ok"]);
            assert!(note.indexes[0].predicate.is_some());
        }
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn two_spellings_of_one_schema_have_no_differences() {
    let mut failures = Vec::new();
    for backend in backends() {
        let (first, second) = two_spellings(backend);
        let (db_a, pool_a, a) = schema_of(backend, first).await;
        let (db_b, pool_b, b) = schema_of(backend, second).await;
        let lines: Vec<String> = compare(&a, &b).changes.iter().map(ToString::to_string).collect();
        if !lines.is_empty() || a.fingerprint() != b.fingerprint() {
            failures.push(format!(
                "{backend:?}: phantom differences:\n{}\n--- first\n{}--- second\n{}",
                lines.join("\n"),
                a.canonical_sql(),
                b.canonical_sql()
            ));
        }
        db_a.finish(pool_a).await;
        db_b.finish(pool_b).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn every_change_between_two_schemas_is_found_and_nothing_else() {
    let expected = [
        "+ column account.created_at",
        "+ column account.nickname",
        "- column account.legacy",
        "- column account.nick",
        "~ column account.email: type",
        "~ column account.score: nullable true -> false; default",
        "+ unique account (email)",
        "+ check account (score >= 0)",
        "+ foreign key note (account_id) -> account (id) ON DELETE CASCADE",
        "- index ix_note_body on note",
        "+ index ix_note_account on note",
        "+ table fresh",
        "- table gone",
        "~ view v_acc",
    ];
    let mut failures = Vec::new();
    for backend in backends() {
        let (db_a, pool_a, head) = schema_of(backend, HEAD_SCHEMA).await;
        let (db_b, pool_b, desired) = schema_of(backend, DESIRED_SCHEMA).await;
        let diff = compare(&head, &desired);
        let lines: Vec<String> = diff.changes.iter().map(|c| c.to_string().replace("public.", "")).collect();
        for want in expected {
            if lines.iter().filter(|l| l.starts_with(want)).count() != 1 {
                failures.push(format!("{backend:?}: expected one change starting with {want:?}"));
            }
        }
        for line in &lines {
            if !expected.iter().any(|want| line.starts_with(want)) {
                failures.push(format!("{backend:?}: unexpected change {line:?}"));
            }
        }
        let notices: Vec<String> = diff.notices.iter().map(ToString::to_string).collect();
        if !notices.iter().any(|n| n.contains("nick was dropped and") && n.contains("nickname added")) {
            failures.push(format!("{backend:?}: no rename candidate for nick -> nickname in {notices:?}"));
        }
        // The way back is the same list, inverted.
        let back = compare(&desired, &head);
        if back.changes.len() != diff.changes.len() {
            failures.push(format!("{backend:?}: {} changes back, {} forth", back.changes.len(), diff.changes.len()));
        }
        db_a.finish(pool_a).await;
        db_b.finish(pool_b).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn sqlite_views_and_foreign_keys_read_as_sqlite_means_them() {
    // A view whose query holds `AS`, and a key naming its target in
    // another case than the table's own name.
    let first = "CREATE TABLE Account (ID INTEGER PRIMARY KEY);
                 CREATE TABLE note (account_id INTEGER REFERENCES account(id));
                 CREATE VIEW v\nAS SELECT ID AS x FROM Account;";
    let second = "CREATE TABLE Account (ID INTEGER PRIMARY KEY);
                  CREATE TABLE note (account_id INTEGER REFERENCES Account(ID));
                  CREATE VIEW v\nAS SELECT ID AS y FROM Account;";
    let (db_a, pool_a, a) = schema_of(Backend::Sqlite, first).await;
    let (db_b, pool_b, b) = schema_of(Backend::Sqlite, second).await;
    let lines: Vec<String> = compare(&a, &b).changes.iter().map(ToString::to_string).collect();
    assert_eq!(lines, ["~ view v: its query differs"]);
    db_a.finish(pool_a).await;
    db_b.finish(pool_b).await;
}

#[tokio::test]
async fn a_mysql_url_without_a_database_is_an_error_that_says_so() {
    if !backends().contains(&Backend::MySql) {
        return;
    }
    let url = std::env::var("RETORT_TEST_MYSQL_URL").unwrap();
    let server = &url[..url.rfind('/').unwrap()];
    let pool = sqlx::MySqlPool::connect(server).await.unwrap();
    let err = retort::inspect(&pool, &InspectOptions::default()).await.unwrap_err().to_string();
    assert!(err.contains("the URL names no database"), "{err}");
    pool.close().await;
}
