//! retort's introspection against SQLAlchemy's reflection (what Alembic's
//! autogenerate reads) on the same databases: tables, columns, nullability,
//! whether a default exists, primary keys, foreign keys with their actions,
//! unique constraints, CHECKs and indexes must agree, on every backend.
//!
//! And retort's comparison against Alembic's (`compare_metadata`, what
//! `alembic check` and autogenerate use): every difference Alembic finds
//! between two databases, retort finds; what retort finds beyond it is
//! only what Alembic does not look at (views, here).
//!
//! migra (a PostgreSQL schema differ) is a second opinion there: it agrees
//! that two spellings of one schema do not differ, and touches the same
//! tables and views as retort's changes.
//!
//! Where SQLAlchemy is known to see less, the test says so and compares what
//! both see: it drops the actions of a foreign key written on its column in
//! SQLite, skips SQLite's expression indexes, reads only table-level CHECKs
//! on MariaDB, and lists MySQL's unique constraints and foreign-key indexes
//! among the indexes as well.

use std::collections::BTreeSet;
use std::process::Command;

use retort::InspectOptions;
use retort_core::schema::{Action, Change, ColumnAspect, Schema, Table, compare};
use retort_tests::{Backend, DESIRED_SCHEMA, HEAD_SCHEMA, TestDb, backends, python_with_alembic, two_spellings};
use serde_json::Value;

/// A schema with every kind of object both sides read, per backend.
fn fixture(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "CREATE TABLE account (id serial PRIMARY KEY, email varchar(100) NOT NULL, nick text DEFAULT 'x',
                 score integer NOT NULL DEFAULT 1, created timestamptz DEFAULT now(),
                 CONSTRAINT ck_score CHECK (score >= 0), CONSTRAINT uq_email UNIQUE (email));
             CREATE TABLE note (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id integer,
                 body text, rank integer CHECK (rank > 0),
                 CONSTRAINT fk_note_account FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE ON UPDATE SET NULL);
             CREATE INDEX ix_note_body ON note (body);
             CREATE INDEX ix_note_partial ON note (account_id) WHERE body IS NOT NULL;
             CREATE UNIQUE INDEX ux_note_pair ON note (account_id, rank);
             CREATE TABLE tag (note_id integer REFERENCES note (id), label varchar(20), PRIMARY KEY (note_id, label));"
        }
        Backend::MySql => {
            "CREATE TABLE account (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, email varchar(100) NOT NULL,
                 nick varchar(20) DEFAULT 'x', score int NOT NULL DEFAULT 1, created timestamp NULL DEFAULT CURRENT_TIMESTAMP,
                 CONSTRAINT ck_score CHECK (score >= 0), CONSTRAINT uq_email UNIQUE (email));
             CREATE TABLE note (id int NOT NULL PRIMARY KEY, account_id int, body varchar(200), `rank` int,
                 CONSTRAINT fk_note_account FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE ON UPDATE SET NULL);
             CREATE INDEX ix_note_body ON note (body);
             CREATE UNIQUE INDEX ux_note_pair ON note (account_id, `rank`);
             CREATE TABLE tag (note_id int NOT NULL, label varchar(20) NOT NULL, PRIMARY KEY (note_id, label),
                 FOREIGN KEY (note_id) REFERENCES note (id));"
        }
        Backend::Sqlite => {
            "CREATE TABLE account (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, nick TEXT DEFAULT 'x',
                 score INTEGER NOT NULL DEFAULT 1, created TEXT DEFAULT CURRENT_TIMESTAMP,
                 CONSTRAINT ck_score CHECK (score >= 0), CONSTRAINT uq_email UNIQUE (email));
             CREATE TABLE note (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT, rank INTEGER CHECK (rank > 0),
                 CONSTRAINT fk_note_account FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE ON UPDATE SET NULL);
             CREATE INDEX ix_note_body ON note (body);
             CREATE INDEX ix_note_partial ON note (account_id) WHERE body IS NOT NULL;
             CREATE UNIQUE INDEX ux_note_pair ON note (account_id, rank);
             CREATE TABLE tag (note_id INTEGER REFERENCES note (id), label TEXT, PRIMARY KEY (note_id, label));"
        }
    }
}

/// What `tests/python/<script>` prints about `urls`, as JSON.
fn oracle(python: &std::path::Path, script: &str, urls: &[&str]) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python").join(script);
    let out = Command::new(python).arg(path).args(urls).output().expect("python runs");
    assert!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} prints JSON: {e}"))
}

/// A Python with alembic, and (outside CI, where it must be there) whether
/// it has PyMySQL for MariaDB.
fn python() -> Option<(std::path::PathBuf, bool)> {
    let python = python_with_alembic()?;
    let has_pymysql = Command::new(&python).args(["-c", "import pymysql"]).status().is_ok_and(|s| s.success());
    assert!(has_pymysql || std::env::var_os("CI").is_none(), "CI's Python needs PyMySQL (requirements-test.txt)");
    Some((python, has_pymysql))
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().map(|v| v.as_str().unwrap_or("").to_owned()).collect()
}

fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    items.into_iter().collect()
}

/// Every disagreement between retort's table and SQLAlchemy's.
fn disagreements(backend: Backend, ours: &Table, theirs: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let table = &ours.name.name;
    let mut differ = |what: &str, a: String, b: String| {
        if a != b {
            found.push(format!("{table}: {what}: retort {a}, SQLAlchemy {b}"));
        }
    };
    let columns = theirs["columns"].as_object().cloned().unwrap_or_default();
    differ(
        "columns",
        format!("{:?}", set(ours.columns.iter().map(|c| c.name.clone()))),
        format!("{:?}", set(columns.keys().cloned())),
    );
    for column in &ours.columns {
        let Some(them) = columns.get(&column.name) else { continue };
        differ(&format!("{} nullable", column.name), column.nullable.to_string(), them["nullable"].to_string());
        // Identity columns have no default in SQLAlchemy's reading.
        let ours_default = column.default.is_some() && column.identity.is_none();
        differ(
            &format!("{} has a default", column.name),
            ours_default.to_string(),
            (!them["default"].is_null()).to_string(),
        );
    }
    differ(
        "primary key",
        format!("{:?}", ours.primary_key.as_ref().map(|p| p.columns.clone()).unwrap_or_default()),
        format!("{:?}", strings(&theirs["primary_key"])),
    );
    let their_fks: Vec<&Value> = theirs["foreign_keys"].as_array().into_iter().flatten().collect();
    differ(
        "foreign keys",
        format!(
            "{:?}",
            set(ours.foreign_keys.iter().map(|f| (
                f.columns.clone(),
                f.references.name.clone(),
                f.referenced_columns.clone()
            )))
        ),
        format!(
            "{:?}",
            set(their_fks.iter().map(|f| (
                strings(&f["columns"]),
                f["referred_table"].as_str().unwrap_or("").to_owned(),
                strings(&f["referred_columns"])
            )))
        ),
    );
    for fk in &ours.foreign_keys {
        let Some(them) = their_fks.iter().find(|f| strings(&f["columns"]) == fk.columns) else { continue };
        for (what, ours_action, key) in
            [("on delete", fk.on_delete, "ondelete"), ("on update", fk.on_update, "onupdate")]
        {
            let theirs_action = them[key].as_str().map(Action::parse).unwrap_or(Action::NoAction);
            differ(&format!("{:?} {what}", fk.columns), format!("{ours_action:?}"), format!("{theirs_action:?}"));
        }
    }
    let their_uniques: Vec<Vec<String>> =
        theirs["unique_constraints"].as_array().into_iter().flatten().map(|u| strings(&u["columns"])).collect();
    differ(
        "unique constraints",
        format!("{:?}", set(ours.uniques.iter().map(|u| u.columns.clone()))),
        format!("{:?}", set(their_uniques.clone())),
    );
    let their_checks = theirs["check_constraints"].as_array().cloned().unwrap_or_default();
    let our_checks: Vec<String> = ours
        .checks
        .iter()
        // MariaDB: SQLAlchemy reads only the CHECKs written as table constraints.
        .filter(|c| backend != Backend::MySql || c.name.as_deref() != Some("rank"))
        .map(|c| c.normalized.clone())
        .collect();
    differ("check constraints", our_checks.len().to_string(), their_checks.len().to_string());
    // Indexes: SQLAlchemy lists a constraint's index among them on
    // PostgreSQL (duplicates_constraint) and MySQL (same name), and MySQL's
    // foreign-key indexes, which retort counts as part of the key.
    let unique_names: BTreeSet<String> = ours.uniques.iter().filter_map(|u| u.name.clone()).collect();
    let their_indexes: BTreeSet<String> = theirs["indexes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["duplicates_constraint"].is_null())
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .filter(|name| backend != Backend::MySql || !unique_names.contains(name))
        .filter(|name| {
            backend != Backend::MySql
                || !ours.foreign_keys.iter().any(|f| f.columns.first() == Some(name) || f.name.as_ref() == Some(name))
        })
        .collect();
    let our_indexes: BTreeSet<String> = ours.indexes.iter().map(|i| i.name.clone()).collect();
    differ("indexes", format!("{our_indexes:?}"), format!("{their_indexes:?}"));
    found
}

#[tokio::test]
async fn retort_reads_what_sqlalchemy_reflects_on_every_backend() {
    let Some((python, has_pymysql)) = python() else { return };
    let mut failures = Vec::new();
    for backend in backends() {
        if backend == Backend::MySql && !has_pymysql {
            retort_tests::say_once("skipping the MySQL reflection comparison: install PyMySQL (requirements-test.txt)");
            continue;
        }
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        pool.exec(fixture(backend)).await;
        let schema: Schema = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
        let theirs = oracle(&python, "reflect.py", &[&db.url]);
        let their_tables = theirs["tables"].as_object().cloned().unwrap_or_default();
        let ours: BTreeSet<String> = schema.tables.keys().map(|n| n.name.clone()).collect();
        let names: BTreeSet<String> = their_tables.keys().cloned().collect();
        if ours != names {
            failures.push(format!("{backend:?}: tables: retort {ours:?}, SQLAlchemy {names:?}"));
        }
        for table in schema.tables.values() {
            if let Some(them) = their_tables.get(&table.name.name) {
                failures.extend(disagreements(backend, table, them).into_iter().map(|d| format!("{backend:?}: {d}")));
            }
        }
        db.finish(pool).await;
    }
    assert!(failures.is_empty(), "retort and SQLAlchemy disagree:\n{}", failures.join("\n"));
}

/// A change in Alembic's terms: `[kind, table, object]` as `compare.py`
/// prints them; `None` for what Alembic does not compare.
fn alembic_terms(backend: Backend, change: &Change) -> Vec<[String; 3]> {
    let op = |kind: &str, table: &retort_core::schema::Name, object: &str| {
        [kind.to_owned(), table.name.clone(), object.to_owned()]
    };
    let constraint = |name: &Option<String>, columns: &[String]| name.clone().unwrap_or_else(|| columns.join(","));
    match change {
        Change::TableAdded { table } => vec![op("add_table", &table.name, "")],
        Change::TableDropped { table } => vec![op("remove_table", &table.name, "")],
        Change::ColumnAdded { table, column } => vec![op("add_column", table, &column.name)],
        Change::ColumnDropped { table, column } => vec![op("remove_column", table, &column.name)],
        Change::ColumnChanged { table, after, aspects, .. } => aspects
            .iter()
            .filter_map(|aspect| match aspect {
                ColumnAspect::Type => Some("modify_type"),
                ColumnAspect::Nullability => Some("modify_nullable"),
                ColumnAspect::Default => Some("modify_default"),
                _ => None,
            })
            .map(|kind| op(kind, table, &after.name))
            .collect(),
        // MySQL's unique constraint is a unique index to Alembic.
        Change::UniqueAdded { table, unique } if backend == Backend::MySql => {
            vec![op("add_index", table, &constraint(&unique.name, &unique.columns))]
        }
        Change::UniqueDropped { table, unique } if backend == Backend::MySql => {
            vec![op("remove_index", table, &constraint(&unique.name, &unique.columns))]
        }
        Change::UniqueAdded { table, unique } => {
            vec![op("add_unique", table, &constraint(&unique.name, &unique.columns))]
        }
        Change::UniqueDropped { table, unique } => {
            vec![op("remove_unique", table, &constraint(&unique.name, &unique.columns))]
        }
        Change::CheckAdded { table, check } => vec![op("add_check", table, check.name.as_deref().unwrap_or(""))],
        Change::CheckDropped { table, check } => vec![op("remove_check", table, check.name.as_deref().unwrap_or(""))],
        Change::ForeignKeyAdded { table, foreign_key } => vec![op("add_fk", table, &foreign_key.columns.join(","))],
        Change::ForeignKeyDropped { table, foreign_key } => {
            vec![op("remove_fk", table, &foreign_key.columns.join(","))]
        }
        Change::IndexAdded { table, index } => vec![op("add_index", table, &index.name)],
        Change::IndexDropped { table, index } => vec![op("remove_index", table, &index.name)],
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn every_difference_alembic_finds_retort_finds_on_every_backend() {
    let Some((python, has_pymysql)) = python() else { return };
    let mut failures = Vec::new();
    for backend in backends() {
        if backend == Backend::MySql && !has_pymysql {
            continue;
        }
        let (head_db, desired_db) = (TestDb::create(backend).await, TestDb::create(backend).await);
        let (head_pool, desired_pool) = (head_db.pool().await, desired_db.pool().await);
        head_pool.exec(HEAD_SCHEMA).await;
        desired_pool.exec(DESIRED_SCHEMA).await;
        let head = retort::inspect(head_pool.db(), &InspectOptions::default()).await.unwrap();
        let desired = retort::inspect(desired_pool.db(), &InspectOptions::default()).await.unwrap();
        for (from, to, from_url, to_url) in
            [(&head, &desired, &head_db.url, &desired_db.url), (&desired, &head, &desired_db.url, &head_db.url)]
        {
            let diff = compare(from, to);
            let ours: BTreeSet<[String; 3]> = diff.changes.iter().flat_map(|c| alembic_terms(backend, c)).collect();
            let theirs: BTreeSet<[String; 3]> = oracle(&python, "compare.py", &[from_url, to_url])
                .as_array()
                .into_iter()
                .flatten()
                .map(|op| {
                    let part = |i: usize| op[i].as_str().unwrap_or("").to_owned();
                    [part(0), part(1), part(2)]
                })
                .collect();
            for missed in theirs.difference(&ours) {
                failures.push(format!("{backend:?}: Alembic finds {missed:?}, retort does not"));
            }
            let beyond: Vec<String> =
                diff.changes.iter().filter(|c| alembic_terms(backend, c).is_empty()).map(ToString::to_string).collect();
            if beyond.len() != 1 || !beyond[0].contains("view") {
                failures.push(format!("{backend:?}: beyond Alembic, retort should find the view alone: {beyond:?}"));
            }
        }
        head_db.finish(head_pool).await;
        desired_db.finish(desired_pool).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// migra's statements from `from` to `to`, and the tables and views they
/// touch (`None`: migra found no difference).
fn migra(python: &std::path::Path, from: &str, to: &str) -> Option<BTreeSet<String>> {
    let url = |u: &str| u.replacen("postgres://", "postgresql+psycopg2://", 1);
    let migra = python.with_file_name("migra");
    let out = Command::new(migra).args(["--unsafe", &url(from), &url(to)]).output().expect("migra runs");
    match out.status.code() {
        Some(0) => return None,
        Some(2) => {}
        _ => panic!("migra failed: {}", String::from_utf8_lossy(&out.stderr)),
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut touched = BTreeSet::new();
    // migra compares defaults as text: `now()` and `CURRENT_TIMESTAMP`, one
    // clock, differ for it; retort reads them as one default.
    let clock_spelling = |s: &&str| {
        let lower = s.to_lowercase();
        lower.contains(" set default current_timestamp") || lower.contains(" set default now()")
    };
    let statements: Vec<&str> =
        text.split(";\n").map(str::trim).filter(|s| !s.is_empty()).filter(|s| !clock_spelling(s)).collect();
    if statements.is_empty() {
        return None;
    }
    for statement in statements {
        let lower = statement.to_lowercase();
        let object = if lower.starts_with("create index") || lower.starts_with("create unique index") {
            // CREATE INDEX name ON public.table USING …
            lower.split(" on ").nth(1).and_then(|rest| rest.split_whitespace().next()).map(str::to_owned)
        } else if lower.starts_with("drop index") {
            None // names an index, whose table another statement names
        } else {
            // alter/create/drop table "public"."t", create or replace view "public"."v"
            lower.split('"').nth(3).map(|name| format!("public.{name}"))
        };
        if let Some(object) = object {
            touched.insert(object.trim_matches('"').replace("\"", ""));
        }
    }
    Some(touched)
}

#[tokio::test]
async fn migra_agrees_on_postgresql() {
    let Some((python, _)) = python() else { return };
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let has_migra = python.with_file_name("migra").exists();
    assert!(has_migra || std::env::var_os("CI").is_none(), "CI's Python needs migra (requirements-test.txt)");
    if !has_migra {
        retort_tests::say_once("skipping the migra comparison: install migra (requirements-test.txt)");
        return;
    }
    let mut failures = Vec::new();
    let (first, second) = two_spellings(Backend::Postgres);
    for (a_sql, b_sql, same) in [(first, second, true), (HEAD_SCHEMA, DESIRED_SCHEMA, false)] {
        let (a_db, b_db) = (TestDb::create(Backend::Postgres).await, TestDb::create(Backend::Postgres).await);
        let (a_pool, b_pool) = (a_db.pool().await, b_db.pool().await);
        a_pool.exec(a_sql).await;
        b_pool.exec(b_sql).await;
        let a = retort::inspect(a_pool.db(), &InspectOptions::default()).await.unwrap();
        let b = retort::inspect(b_pool.db(), &InspectOptions::default()).await.unwrap();
        let diff = compare(&a, &b);
        let theirs = migra(&python, &a_db.url, &b_db.url);
        if same {
            if theirs.is_some() || !diff.is_empty() {
                failures.push(format!("two spellings: migra {theirs:?}, retort {} changes", diff.changes.len()));
            }
        } else {
            let ours: BTreeSet<String> = diff
                .changes
                .iter()
                .filter_map(|change| {
                    let line = change.to_string();
                    // "+ table public.fresh", "~ column public.account.email: …", "+ index ix on public.note …"
                    let words: Vec<&str> = line.split_whitespace().collect();
                    let name = match words.get(1) {
                        Some(&"index") => words.get(4),
                        _ => words.get(2),
                    }?;
                    let mut parts = name.trim_end_matches(':').split('.');
                    Some(format!("{}.{}", parts.next()?, parts.next()?))
                })
                .collect();
            if Some(&ours) != theirs.as_ref() {
                failures.push(format!("objects touched: retort {ours:?}, migra {theirs:?}"));
            }
        }
        a_db.finish(a_pool).await;
        b_db.finish(b_pool).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
