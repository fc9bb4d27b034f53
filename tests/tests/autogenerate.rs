//! The SQL a comparison writes, run for real: from a head schema built by
//! revisions to a desired one, the generated upgrade makes the desired
//! schema (read back, no difference left), and the generated downgrade makes
//! the head schema again, on every backend, through retort's own runs (so
//! SQLite's rebuilds run with its foreign-key handling).

use retort::{InspectOptions, Migrator};
use retort_core::Dialect;
use retort_core::schema::{MigrationOptions, Rename, Schema, compare, migration, renames_in};
use retort_tests::generated::{Rng, dialect_of, generate, mutate};
use retort_tests::{Backend, DESIRED_SCHEMA, HEAD_SCHEMA, Rev, TestDb, backends, versions};

async fn schema_of(backend: Backend, sql: &str) -> Schema {
    let db = TestDb::create(backend).await;
    let pool = db.pool().await;
    pool.exec(sql).await;
    let schema = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
    db.finish(pool).await;
    schema
}

/// Applies `head_sql` as one revision and the generated migration as the
/// next, then checks where upgrade and downgrade land. Failures as text.
async fn converges(backend: Backend, head_sql: &str, desired_sql: &str) -> Vec<String> {
    converges_with(backend, head_sql, desired_sql, &[]).await
}

/// [`converges`] with stated renames.
async fn converges_with(backend: Backend, head_sql: &str, desired_sql: &str, renames: &[Rename]) -> Vec<String> {
    let head = schema_of(backend, head_sql).await;
    let desired = schema_of(backend, desired_sql).await;
    let options = MigrationOptions::new(dialect_of(backend)).with_allow_drop(true).with_renames(renames.to_vec());
    let plan = migration(&head, &desired, &options).unwrap();
    let mut generated = Rev::sql("bbbb0002", &["aaaa0001"], &plan.upgrade.text(true), &plan.downgrade.text(true));
    if plan.upgrade.needs_no_transaction || plan.downgrade.needs_no_transaction {
        generated = generated.non_transactional();
    }
    let dir = versions(&[Rev::sql("aaaa0001", &[], head_sql, "SELECT 1;"), generated]);
    let m = Migrator::from_dir(&dir).unwrap();
    let db = TestDb::create(backend).await;
    let pool = db.pool().await;
    let mut failures = Vec::new();
    if std::env::var_os("RETORT_SHOW_SQL").is_some() {
        eprintln!("{backend:?}\n--- upgrade\n{}--- downgrade\n{}", plan.upgrade.text(true), plan.downgrade.text(true));
    }
    let show = |label: &str| {
        format!(
            "{backend:?} {label}:\n--- upgrade\n{}--- downgrade\n{}",
            plan.upgrade.text(true),
            plan.downgrade.text(true)
        )
    };
    if let Err(e) = m.upgrade(pool.db(), "head").await {
        failures.push(format!("{}\nupgrade failed: {e}", show("upgrade")));
    } else {
        let after = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
        let left = compare(&after, &desired);
        if !left.is_empty() {
            let lines: Vec<String> = left.changes.iter().map(ToString::to_string).collect();
            failures.push(format!("{}\nafter the upgrade, still differs:\n{}", show("upgrade"), lines.join("\n")));
        }
        if let Err(e) = m.downgrade(pool.db(), "aaaa0001").await {
            failures.push(format!("{}\ndowngrade failed: {e}", show("downgrade")));
        } else {
            let back = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
            let left = compare(&back, &head);
            if !left.is_empty() {
                let lines: Vec<String> = left.changes.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{}\nafter the downgrade, differs from head:\n{}",
                    show("downgrade"),
                    lines.join("\n")
                ));
            }
        }
    }
    db.finish(pool).await;
    failures
}

#[tokio::test]
async fn every_kind_of_change_converges_up_and_back_on_every_backend() {
    let mut failures = Vec::new();
    for backend in backends() {
        failures.extend(converges(backend, HEAD_SCHEMA, DESIRED_SCHEMA).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `RETORT_SCHEMA_CASES` pairs per backend (default 12): a generated
/// schema and the same with one to four random changes.
#[tokio::test]
async fn generated_pairs_of_schemas_converge_up_and_back_on_every_backend() {
    let cases: u64 = std::env::var("RETORT_SCHEMA_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(12);
    let mut failures = Vec::new();
    for backend in backends() {
        for case in 0..cases {
            let seed = 0x5DEE_CE66_D1CE_5EED ^ (case + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut rng = Rng(seed);
            let head = generate(dialect_of(backend), &mut rng);
            let desired = mutate(dialect_of(backend), &head, &mut rng);
            for failure in converges(backend, &head.canonical_sql(), &desired.canonical_sql()).await {
                failures.push(format!("seed {seed:#x}: {failure}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_migration_between_equal_schemas_is_empty() {
    for backend in backends() {
        let head = schema_of(backend, HEAD_SCHEMA).await;
        let plan = migration(&head, &head.clone(), &MigrationOptions::new(dialect_of(backend))).unwrap();
        assert!(plan.upgrade.is_empty() && plan.downgrade.is_empty(), "{backend:?}: {plan:?}");
    }
}

#[tokio::test]
async fn drops_are_left_out_unless_allowed() {
    let head = schema_of(Backend::Sqlite, HEAD_SCHEMA).await;
    let desired = schema_of(Backend::Sqlite, DESIRED_SCHEMA).await;
    let plan = migration(&head, &desired, &MigrationOptions::new(Dialect::Sqlite)).unwrap();
    let text = plan.upgrade.text(false);
    assert!(text.contains("-- (destructive, left out: pass --allow-drop to write it) DROP TABLE gone;"), "{text}");
    assert!(plan.upgrade.warnings.iter().any(|w| w.contains("left out (destructive") && w.contains("DROP TABLE gone")));
    assert!(plan.upgrade.warnings.iter().any(|w| w.contains("nick was dropped and") && w.contains("nickname added")));
}

#[tokio::test]
async fn stated_renames_keep_the_data_and_undo_themselves_on_every_backend() {
    let head = "CREATE TABLE client (id INTEGER PRIMARY KEY, nick VARCHAR(20), score INTEGER CHECK (score >= 0));
                CREATE INDEX ix_client_nick ON client (nick);
                CREATE TABLE note (id INTEGER PRIMARY KEY, client_id INTEGER REFERENCES client (id));";
    let wanted = "CREATE TABLE customer ( -- retort: renamed from client
                      id INTEGER PRIMARY KEY,
                      nickname VARCHAR(20), -- retort: renamed from nick
                      score INTEGER CHECK (score >= 0)
                  );
                  CREATE INDEX ix_client_nick ON customer (nickname);
                  CREATE TABLE note (id INTEGER PRIMARY KEY, client_id INTEGER REFERENCES customer (id));";
    let renames = renames_in(wanted);
    assert_eq!(renames.len(), 2);
    let mut failures = Vec::new();
    for backend in backends() {
        let head_schema = schema_of(backend, head).await;
        let wanted_schema = schema_of(backend, wanted).await;
        let options = MigrationOptions::new(dialect_of(backend)).with_renames(renames.clone());
        let plan = migration(&head_schema, &wanted_schema, &options).unwrap();
        let text = plan.upgrade.text(false);
        assert!(
            text.contains("RENAME TO customer") && text.contains("RENAME COLUMN nick TO nickname"),
            "{backend:?}: {text}"
        );
        assert!(!text.contains("DROP"), "{backend:?}: a stated rename drops nothing: {text}");
        failures.extend(converges_with(backend, head, wanted, &renames).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let head_schema = schema_of(Backend::Sqlite, head).await;
    let wrong = [Rename::parse("client.nope=nickname").unwrap()];
    let err =
        migration(&head_schema, &head_schema, &MigrationOptions::new(Dialect::Sqlite).with_renames(wrong)).unwrap_err();
    assert!(err.contains("names column client.nope, which the schema the revisions make does not have"), "{err}");
}

/// The Float/Real case a team met on every Alembic autogenerate for years:
/// once applied, floating-point columns of every spelling leave nothing to
/// generate, on every backend.
#[tokio::test]
async fn floating_point_columns_leave_no_phantom_change() {
    let head = "CREATE TABLE reading (id INTEGER PRIMARY KEY, a REAL);";
    let wanted = "CREATE TABLE reading (id INTEGER PRIMARY KEY, a FLOAT, b REAL, c DOUBLE PRECISION, d FLOAT(24));";
    let mut failures = Vec::new();
    for backend in backends() {
        failures.extend(converges(backend, head, wanted).await);
        // The same file read twice compares equal: nothing to write.
        let (once, twice) = (schema_of(backend, wanted).await, schema_of(backend, wanted).await);
        let plan = migration(&once, &twice, &MigrationOptions::new(dialect_of(backend))).unwrap();
        if !plan.upgrade.is_empty() {
            failures.push(format!("{backend:?}: a phantom change: {}", plan.upgrade.text(true)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// SQLite's rebuild of a parent table keeps its children's rows (the
/// runtime keeps foreign keys off and checks them before COMMIT), and
/// MySQL's foreign key goes before the column it uses (MariaDB refuses to
/// drop the column first: error 1553).
#[tokio::test]
async fn a_rebuilt_parent_keeps_its_children_and_a_key_goes_before_its_column() {
    let head = "CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(20));
                CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, note VARCHAR(20),
                    CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE);";
    let wanted = "CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL DEFAULT '');
                  CREATE TABLE child (id INTEGER PRIMARY KEY, note VARCHAR(20));";
    for backend in backends() {
        let head_schema = schema_of(backend, head).await;
        let wanted_schema = schema_of(backend, wanted).await;
        let options = MigrationOptions::new(dialect_of(backend)).with_allow_drop(true);
        let plan = migration(&head_schema, &wanted_schema, &options).unwrap();
        let rows =
            "INSERT INTO parent VALUES (1, 'one'), (2, NULL);\nINSERT INTO child VALUES (10, 1, 'a'), (20, 2, 'b');";
        let dir = versions(&[
            Rev::sql("aaaa0001", &[], &format!("{head}\n{rows}"), "SELECT 1;"),
            Rev::sql("bbbb0002", &["aaaa0001"], &plan.upgrade.text(true), &plan.downgrade.text(true)),
        ]);
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(&dir).unwrap();
        m.upgrade(pool.db(), "head").await.unwrap_or_else(|e| panic!("{backend:?}: {e}\n{}", plan.upgrade.text(true)));
        let children = pool.strings("SELECT CAST(COUNT(*) AS CHAR) FROM child").await;
        assert_eq!(children, ["2"], "{backend:?}: the children survive the parent's change");
        let names = pool.strings("SELECT name FROM parent ORDER BY id").await;
        assert_eq!(names, ["one", ""], "{backend:?}: NULL became the new default");
        if backend == Backend::MySql {
            let text = plan.upgrade.text(true);
            let key = text.find("DROP FOREIGN KEY").expect("the key is dropped");
            let column = text.find("DROP COLUMN parent_id").expect("the column is dropped");
            assert!(key < column, "the key goes first: {text}");
        }
        db.finish(pool).await;
    }
}

/// Cases a review found: a key cycle among new tables, SQLite expression
/// defaults and generated columns, and a revision whose drops are left out
/// still going up and back.
#[tokio::test]
async fn cycles_expression_defaults_generated_columns_and_left_out_drops_run() {
    let cycle = "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER);
                 CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER);";
    let cycle_wanted = "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER, c_id INTEGER);
                        CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER);
                        CREATE TABLE c (id INTEGER PRIMARY KEY, d_id INTEGER REFERENCES d (id));
                        CREATE TABLE d (id INTEGER PRIMARY KEY, c_id INTEGER REFERENCES c (id));";
    // Elsewhere a key to a table made later is added afterwards.
    let cycle_wanted_server = "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER, c_id INTEGER);
                               CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER);
                               CREATE TABLE c (id INTEGER PRIMARY KEY, d_id INTEGER);
                               CREATE TABLE d (id INTEGER PRIMARY KEY, c_id INTEGER REFERENCES c (id));
                               ALTER TABLE c ADD CONSTRAINT fk_c_d FOREIGN KEY (d_id) REFERENCES d (id);";
    let mut failures = Vec::new();
    for backend in backends() {
        let wanted = if backend == Backend::Sqlite { cycle_wanted } else { cycle_wanted_server };
        failures.extend(converges(backend, cycle, wanted).await);
    }
    let sqlite_wanted = "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER,
                             at TEXT DEFAULT (datetime('now')),
                             twice INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL,
                             n INTEGER NOT NULL DEFAULT 0);
                         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER);";
    failures.extend(converges(Backend::Sqlite, cycle, sqlite_wanted).await);

    // Drops left out: the upgrade keeps the table, the downgrade undoes
    // exactly what ran.
    for backend in backends() {
        let head = schema_of(backend, HEAD_SCHEMA).await;
        let desired = schema_of(backend, DESIRED_SCHEMA).await;
        let plan = migration(&head, &desired, &MigrationOptions::new(dialect_of(backend))).unwrap();
        let dir = versions(&[
            Rev::sql("aaaa0001", &[], HEAD_SCHEMA, "SELECT 1;"),
            Rev::sql("bbbb0002", &["aaaa0001"], &plan.upgrade.text(false), &plan.downgrade.text(true)),
        ]);
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(&dir).unwrap();
        if let Err(e) = m.upgrade(pool.db(), "head").await {
            failures.push(format!("{backend:?}: upgrade with drops left out: {e}"));
        } else if !pool.has_table("gone").await {
            failures.push(format!("{backend:?}: a left-out DROP TABLE ran"));
        } else if let Err(e) = m.downgrade(pool.db(), "aaaa0001").await {
            failures.push(format!("{backend:?}: downgrade after drops left out: {e}\n{}", plan.downgrade.text(true)));
        } else {
            let back = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
            let left: Vec<String> = compare(&back, &head).changes.iter().map(ToString::to_string).collect();
            if !left.is_empty() {
                failures.push(format!("{backend:?}: after the downgrade: {left:?}"));
            }
        }
        db.finish(pool).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// PostgreSQL: a SERIAL key that becomes an identity, and an identity of
/// another kind, keep numbering after the rows there are.
#[tokio::test]
async fn an_identity_continues_after_the_rows_there_are() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let head = "CREATE TABLE t (id serial PRIMARY KEY, v integer);
                CREATE TABLE u (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v integer);";
    let wanted = "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v integer);
                  CREATE TABLE u (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v integer);";
    let plan = migration(
        &schema_of(Backend::Postgres, head).await,
        &schema_of(Backend::Postgres, wanted).await,
        &MigrationOptions::new(Dialect::Postgres).with_allow_drop(true),
    )
    .unwrap();
    let rows = "INSERT INTO t (v) VALUES (1), (2); INSERT INTO u (v) VALUES (1), (2);";
    let dir = versions(&[
        Rev::sql("aaaa0001", &[], &format!("{head}\n{rows}"), "SELECT 1;"),
        Rev::sql("bbbb0002", &["aaaa0001"], &plan.upgrade.text(true), &plan.downgrade.text(true)),
    ]);
    let db = TestDb::create(Backend::Postgres).await;
    let pool = db.pool().await;
    let m = Migrator::from_dir(&dir).unwrap();
    m.upgrade(pool.db(), "head").await.unwrap_or_else(|e| panic!("{e}\n{}", plan.upgrade.text(true)));
    pool.exec("INSERT INTO t (v) VALUES (3); INSERT INTO u (v) VALUES (3);").await;
    assert_eq!(pool.strings("SELECT CAST(MAX(id) AS TEXT) FROM t").await, ["3"]);
    assert_eq!(pool.strings("SELECT CAST(MAX(id) AS TEXT) FROM u").await, ["3"]);
    let after = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
    let left: Vec<String> =
        compare(&after, &schema_of(Backend::Postgres, wanted).await).changes.iter().map(ToString::to_string).collect();
    assert!(left.is_empty(), "{left:?}");
    db.finish(pool).await;
}

#[tokio::test]
async fn column_comments_are_read_compared_and_kept_when_a_column_changes() {
    let mut failures = Vec::new();
    for backend in backends() {
        let (head, desired) = match backend {
            Backend::Sqlite => continue,
            Backend::Postgres => (
                "CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(50), kept INTEGER);
                 COMMENT ON COLUMN note.body IS 'old';
                 COMMENT ON COLUMN note.kept IS 'it''s kept \\ as it is';",
                "CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(100), kept BIGINT, added INTEGER);
                 COMMENT ON COLUMN note.body IS 'new';
                 COMMENT ON COLUMN note.kept IS 'it''s kept \\ as it is';
                 COMMENT ON COLUMN note.added IS 'a new column';",
            ),
            Backend::MySql => (
                "CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(50) COMMENT 'old',
                     kept INTEGER COMMENT 'it''s kept \\\\ as it is')",
                "CREATE TABLE note (id INTEGER PRIMARY KEY, body VARCHAR(100) COMMENT 'new',
                     kept BIGINT COMMENT 'it''s kept \\\\ as it is', added INTEGER COMMENT 'a new column')",
            ),
        };
        let read = schema_of(backend, head).await;
        let kept = read.tables.values().flat_map(|t| &t.columns).find(|c| c.name == "kept").unwrap();
        assert_eq!(kept.comment.as_deref(), Some("it's kept \\ as it is"), "{backend:?}");
        // A type change restates a MySQL column whole: its comment must go
        // with it, or the upgrade would leave a difference.
        failures.extend(converges(backend, head, desired).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_renamed_postgres_table_takes_its_serial_sequences_along() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let head = "CREATE TABLE account (id SERIAL PRIMARY KEY, name TEXT);
                INSERT INTO account (name) VALUES ('ada'), ('grace');";
    let wanted = "CREATE TABLE customer ( -- retort: renamed from account
                      id SERIAL PRIMARY KEY,
                      name TEXT
                  );";
    let renames = renames_in(wanted);
    let failures = converges_with(Backend::Postgres, head, wanted, &renames).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The sequence is renamed, not replaced: the next row gets the next id.
    let (head_schema, wanted_schema) =
        (schema_of(Backend::Postgres, head).await, schema_of(Backend::Postgres, wanted).await);
    let options = MigrationOptions::new(Dialect::Postgres).with_renames(renames);
    let plan = migration(&head_schema, &wanted_schema, &options).unwrap();
    let upgrade = plan.upgrade.text(true);
    assert!(upgrade.contains("ALTER SEQUENCE public.account_id_seq RENAME TO customer_id_seq"), "{upgrade}");
    assert!(!upgrade.contains("DROP SEQUENCE"), "{upgrade}");
    let dir = versions(&[
        Rev::sql("aaaa0001", &[], head, "SELECT 1;"),
        Rev::sql("bbbb0002", &["aaaa0001"], &upgrade, &plan.downgrade.text(true)),
    ]);
    let db = TestDb::create(Backend::Postgres).await;
    let pool = db.pool().await;
    Migrator::from_dir(&dir).unwrap().upgrade(pool.db(), "head").await.unwrap();
    pool.exec("INSERT INTO customer (name) VALUES ('lin')").await;
    assert_eq!(pool.strings("SELECT id::text FROM customer WHERE name = 'lin'").await, ["3"]);
    db.finish(pool).await;
}

#[tokio::test]
async fn views_on_views_are_dropped_and_made_again_around_a_changed_table() {
    let head = "CREATE TABLE item (id INTEGER PRIMARY KEY, price INTEGER);
                CREATE VIEW priced AS SELECT id, price FROM item WHERE price IS NOT NULL;
                CREATE VIEW expensive AS SELECT id FROM priced WHERE price > 100;";
    let wanted = "CREATE TABLE item (id INTEGER PRIMARY KEY, price BIGINT NOT NULL DEFAULT 0);
                  CREATE VIEW priced AS SELECT id, price FROM item WHERE price IS NOT NULL;
                  CREATE VIEW expensive AS SELECT id FROM priced WHERE price > 100;";
    let mut failures = Vec::new();
    for backend in backends() {
        failures.extend(converges(backend, head, wanted).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_trigger_on_another_table_that_names_a_rebuilt_sqlite_table_survives_the_rebuild() {
    let head = "CREATE TABLE item (id INTEGER PRIMARY KEY, stock INTEGER);
                CREATE TABLE sale (id INTEGER PRIMARY KEY, item_id INTEGER);
                CREATE TRIGGER sale_takes_stock AFTER INSERT ON sale BEGIN
                    UPDATE item SET stock = stock - 1 WHERE id = NEW.item_id;
                END;";
    let wanted = "CREATE TABLE item (id INTEGER PRIMARY KEY, stock INTEGER NOT NULL DEFAULT 0);
                  CREATE TABLE sale (id INTEGER PRIMARY KEY, item_id INTEGER);
                  CREATE TRIGGER sale_takes_stock AFTER INSERT ON sale BEGIN
                      UPDATE item SET stock = stock - 1 WHERE id = NEW.item_id;
                  END;";
    let failures = converges(Backend::Sqlite, head, wanted).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_postgres_enum_rebuilt_under_a_view_keeps_the_view() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let head = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
                CREATE TABLE person (id INTEGER PRIMARY KEY, feeling mood);
                CREATE VIEW cheerful AS SELECT id FROM person WHERE feeling = 'happy';";
    let wanted = "CREATE TYPE mood AS ENUM ('ok', 'happy');
                  CREATE TABLE person (id INTEGER PRIMARY KEY, feeling mood);
                  CREATE VIEW cheerful AS SELECT id FROM person WHERE feeling = 'happy';";
    let failures = converges(Backend::Postgres, head, wanted).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
