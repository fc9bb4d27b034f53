//! Baselines on every backend: an empty database built from a baseline and
//! the revisions after it has the schema, the reference rows and the
//! version rows of one built by the whole history; a database with version
//! rows never uses it; an upgrade that stops before the baseline's revision
//! runs the revisions; `--sql` from base prints the baseline.

use retort::{InspectOptions, Migrator, Options, ScratchDatabase};
use retort_core::Dialect;
use retort_core::schema::{baseline_sql, compare};
use retort_tests::generated::dialect_of;
use retort_tests::{Backend, Pool, Rev, TestDb, backends, versions};

/// Five revisions: reference rows inserted by a data migration, a foreign
/// key, an index, a view and (SQLite) a trigger before the baseline at
/// r003; a column and a table after it.
fn history() -> Vec<Rev> {
    let mut r003 = Rev::sql(
        "r003",
        &["r002"],
        "CREATE INDEX ix_account_email ON account (email);\nCREATE VIEW v_account AS SELECT id, email FROM account;",
        "DROP VIEW v_account;\nDROP INDEX ix_account_email;",
    );
    r003.extra = "\n-- upgrade: sqlite\nCREATE INDEX ix_account_email ON account (email);\nCREATE VIEW v_account AS SELECT id, email FROM account;\n\
                  CREATE TRIGGER trg_account AFTER INSERT ON account BEGIN UPDATE role SET name = name WHERE id = NEW.role_id; END;\n\
                  \n-- downgrade: mysql\nDROP VIEW v_account;\nDROP INDEX ix_account_email ON account;\n"
        .to_owned();
    vec![
        Rev::sql(
            "r001",
            &[],
            "CREATE TABLE role (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, note VARCHAR(40));\n\
             INSERT INTO role (id, name, note) VALUES (1, 'admin', 'it''s all'), (2, 'user', NULL);",
            "DROP TABLE role;",
        ),
        Rev::sql(
            "r002",
            &["r001"],
            "CREATE TABLE account (id INTEGER PRIMARY KEY, role_id INTEGER REFERENCES role (id), email VARCHAR(50));",
            "DROP TABLE account;",
        ),
        r003,
        Rev::sql(
            "r004",
            &["r003"],
            "ALTER TABLE account ADD COLUMN nick VARCHAR(20);",
            "ALTER TABLE account DROP COLUMN nick;",
        ),
        Rev::sql("r005", &["r004"], "CREATE TABLE later (id INTEGER PRIMARY KEY);", "DROP TABLE later;"),
    ]
}

fn without_baselines(m: Migrator) -> Migrator {
    m.with_options(Options::default().with_baselines(false))
}

/// Writes the baseline of `r003` (with the rows of `role`) for `backend`
/// into `dir`, building the schema in a scratch database beside `pool`.
async fn write_baseline(dir: &std::path::Path, backend: Backend, pool: &Pool) {
    let m = Migrator::from_dir(dir).unwrap();
    let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
    let schema = m.schema_at(&scratch, &["r003"], &InspectOptions::default()).await.unwrap();
    let role = schema.tables.values().find(|t| t.name.name == "role").unwrap();
    let rows = retort::table_rows(scratch.db(), role).await.unwrap();
    assert_eq!(rows.rows.len(), 2);
    let sql = baseline_sql(&schema, &[rows]).unwrap();
    assert!(sql.notes.is_empty(), "{:?}", sql.notes);
    scratch.drop_database().await.unwrap();
    let of = m.graph().get("r003").unwrap();
    let (name, text) =
        retort_core::generate::baseline_file(of, &[(dialect_of(backend), sql.sql)], "2026-12-07 00:00:00");
    std::fs::write(dir.join(name), text).unwrap();
}

async fn role_rows(pool: &Pool) -> Vec<String> {
    let sql = match pool {
        Pool::MySql(_) => "SELECT CONCAT(id, '|', name, '|', COALESCE(note, '-')) FROM role ORDER BY id",
        _ => "SELECT CAST(id AS TEXT) || '|' || name || '|' || COALESCE(note, '-') FROM role ORDER BY id",
    };
    pool.strings(sql).await
}

#[tokio::test]
async fn an_empty_database_built_from_a_baseline_matches_the_whole_history() {
    for backend in backends() {
        let dir = versions(&history());
        let full_db = TestDb::create(backend).await;
        let full = full_db.pool().await;
        let m = without_baselines(Migrator::from_dir(&dir).unwrap());
        m.upgrade(full.db(), "head").await.unwrap();
        write_baseline(&dir, backend, &full).await;

        let m = Migrator::from_dir(&dir).unwrap();
        assert!(m.graph().baseline_of("r003").is_some());
        // True to its history, as `check --baselines` checks it.
        let by_history = ScratchDatabase::beside(full.db()).await.unwrap();
        let by_baseline = ScratchDatabase::beside(full.db()).await.unwrap();
        let drift = m.baseline_drift("r003", &by_history, &by_baseline, &InspectOptions::default()).await.unwrap();
        by_history.drop_database().await.unwrap();
        by_baseline.drop_database().await.unwrap();
        assert!(drift.is_empty(), "{backend:?}: {drift:?}");
        let new_db = TestDb::create(backend).await;
        let new = new_db.pool().await;
        let report = m.upgrade(new.db(), "head").await.unwrap();
        let steps: Vec<&str> = report.steps.iter().map(|s| s.description.as_str()).collect();
        assert_eq!(steps.len(), 3, "{backend:?}: the baseline, then r004 and r005: {steps:?}");
        assert!(steps[0].starts_with("baseline  -> r003"), "{steps:?}");
        assert_eq!(m.current(new.db()).await.unwrap(), m.current(full.db()).await.unwrap());
        let options = InspectOptions::default();
        let from_history = retort::inspect(full.db(), &options).await.unwrap();
        let from_baseline = retort::inspect(new.db(), &options).await.unwrap();
        let differences = compare(&from_history, &from_baseline);
        assert!(differences.is_empty(), "{backend:?}: {differences:?}");
        if backend == Backend::Sqlite {
            assert_eq!(from_baseline.triggers.len(), 1, "the trigger is rebuilt");
        }
        assert!(from_baseline.tables.keys().any(|n| n.name == "later"));
        assert_eq!(role_rows(&new).await, role_rows(&full).await, "{backend:?}");
        assert_eq!(role_rows(&new).await.len(), 2);

        // The full database has version rows: nothing runs, the baseline
        // is not used.
        let again = m.upgrade(full.db(), "head").await.unwrap();
        assert!(again.steps.is_empty());

        // Stopping before the baseline's revision runs the revisions; a
        // database with rows continues without the baseline.
        let early_db = TestDb::create(backend).await;
        let early = early_db.pool().await;
        let report = m.upgrade(early.db(), "r002").await.unwrap();
        assert_eq!(report.steps.len(), 2, "r001 and r002 run");
        let report = m.upgrade(early.db(), "head").await.unwrap();
        let ran: Vec<Option<&str>> = report.steps.iter().map(|s| s.revision.as_deref()).collect();
        assert_eq!(ran, [Some("r003"), Some("r004"), Some("r005")]);
        let differences = compare(&from_history, &retort::inspect(early.db(), &options).await.unwrap());
        assert!(differences.is_empty(), "{backend:?}: {differences:?}");

        // Down through the baseline's revision: the revisions' own
        // downgrades run.
        m.downgrade(new.db(), "r002").await.unwrap();
        assert!(!new.has_table("later").await && new.has_table("account").await);

        // Offline, from base: the baseline's SQL and its version row.
        let dialect: Dialect = dialect_of(backend);
        let sql = m.upgrade_sql(dialect, &[], "head").unwrap();
        assert!(sql.contains("role (id, name, note) VALUES\n"), "the baseline's rows: {sql}");
        assert!(!sql.contains("VALUES (1, 'admin'"), "r001 does not run");
        assert!(sql.contains("'r003'"), "{sql}");
        let sql = without_baselines(m.clone()).upgrade_sql(dialect, &[], "head").unwrap();
        assert!(sql.contains("VALUES (1, 'admin'"), "--no-baseline runs every revision");

        new_db.finish(new).await;
        full_db.finish(full).await;
        early_db.finish(early).await;
    }
}

#[test]
fn a_baseline_of_an_unknown_revision_or_a_second_one_is_refused_at_its_line() {
    let dir = versions(&history());
    std::fs::write(
        dir.join("r009_baseline.sql"),
        "-- Baseline: nothing\n--\n-- Baseline Of: r009\n\n-- upgrade\nCREATE TABLE x (id INTEGER);\n",
    )
    .unwrap();
    let problems = retort_core::load_dir(&dir).unwrap_err().to_string();
    assert!(
        problems.contains("r009_baseline.sql:3") && problems.contains("names r009, which is not a revision"),
        "{problems}"
    );
    std::fs::write(
        dir.join("r009_baseline.sql"),
        "-- Baseline: r003\n--\n-- Baseline Of: r003\n-- Revises: r002\n\n-- upgrade\nCREATE TABLE x (id INTEGER);\n\n-- downgrade\nDROP TABLE x;\n",
    )
    .unwrap();
    let problems = retort_core::load_dir(&dir).unwrap_err().to_string();
    assert!(problems.contains("a baseline has no 'Revises'"), "{problems}");
    assert!(problems.contains("a baseline has no downgrade section"), "{problems}");
}
