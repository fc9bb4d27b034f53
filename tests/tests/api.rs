//! Every API call on every backend: upgrade, downgrade, stamp, current,
//! history, pending, ensure_version, offline SQL; linear chains, several
//! heads, merges and depends_on; the version table's exact shape.

use retort::Dialect;
use retort::Migrator;
use retort_tests::{Backend, Pool, Rev, TestDb, backends, versions};

fn chain() -> Vec<Rev> {
    vec![Rev::table("aaaa0001", &[]), Rev::table("bbbb0002", &["aaaa0001"]), Rev::table("cccc0003", &["bbbb0002"])]
}

#[tokio::test]
async fn a_linear_history_goes_up_and_down() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&chain())).unwrap();

        assert!(m.current(pool.db()).await.unwrap().is_empty(), "{backend:?}");
        assert_eq!(m.pending(pool.db()).await.unwrap(), ["aaaa0001", "bbbb0002", "cccc0003"]);
        assert!(!pool.has_table("alembic_version").await, "pending must not create anything");

        let report = m.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(report.steps.len(), 3);
        assert_eq!(report.steps[0].description, "upgrade  -> aaaa0001, Revision aaaa0001");
        assert_eq!(report.heads_after, ["cccc0003"]);
        assert_eq!(pool.versions("alembic_version").await, ["cccc0003"]);
        assert!(pool.has_table("t_cccc0003").await);
        assert_eq!(m.current(pool.db()).await.unwrap(), ["cccc0003"]);
        assert!(m.pending(pool.db()).await.unwrap().is_empty());
        assert!(m.history(pool.db()).await.unwrap().iter().all(|e| e.applied));

        let again = m.upgrade(pool.db(), "head").await.unwrap();
        assert!(again.steps.is_empty(), "at head there is nothing to do");

        m.downgrade(pool.db(), "-1").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
        assert!(!pool.has_table("t_cccc0003").await);
        let history = m.history(pool.db()).await.unwrap();
        let applied: Vec<(&str, bool)> = history.iter().map(|e| (e.revision.id.as_str(), e.applied)).collect();
        assert_eq!(applied, [("cccc0003", false), ("bbbb0002", true), ("aaaa0001", true)]);

        let report = m.downgrade(pool.db(), "base").await.unwrap();
        assert_eq!(report.steps.len(), 2);
        assert!(pool.versions("alembic_version").await.is_empty());
        assert!(!pool.has_table("t_aaaa0001").await);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn stamp_moves_the_version_table_without_running_sql() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&chain())).unwrap();
        m.stamp(pool.db(), &["bbbb0002"], false).await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"], "{backend:?}");
        assert!(!pool.has_table("t_aaaa0001").await, "stamp runs no SQL");
        m.stamp(pool.db(), &["heads"], false).await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["cccc0003"]);
        // A table holding a row this graph does not know is repaired by purge.
        pool.exec("UPDATE alembic_version SET version_num = 'ffff9999'").await;
        let err = m.stamp(pool.db(), &["aaaa0001"], false).await.unwrap_err().to_string();
        assert!(err.starts_with("Can't locate revision identified by 'ffff9999'"), "{err}");
        m.stamp(pool.db(), &["aaaa0001"], true).await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"]);
        m.stamp(pool.db(), &["base"], false).await.unwrap();
        assert!(pool.versions("alembic_version").await.is_empty());
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn branches_merges_and_dependencies_move_the_rows_as_planned() {
    let revisions = vec![
        Rev::table("aaaa0001", &[]),
        Rev::table("bbbb0002", &["aaaa0001"]).labels(&["left"]),
        Rev::table("cccc0003", &["aaaa0001"]).labels(&["right"]),
        Rev::table("dddd0004", &["cccc0003"]).depends_on(&["bbbb0002"]),
        Rev::table("eeee0005", &["bbbb0002", "dddd0004"]),
        Rev::table("ffff0006", &[]),
    ];
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&revisions)).unwrap();
        let graph = m.graph().clone();

        m.upgrade(pool.db(), "bbbb0002").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"], "{backend:?}");
        m.upgrade(pool.db(), "ffff0006").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002", "ffff0006"], "a second base adds a row");

        let rows = pool.versions("alembic_version").await;
        let expected = graph.plan_upgrade(&rows, "heads").unwrap().heads_after();
        let report = m.upgrade(pool.db(), "heads").await.unwrap();
        assert_eq!(report.heads_after, expected);
        assert_eq!(pool.versions("alembic_version").await, ["eeee0005", "ffff0006"]);

        let expected = graph.plan_downgrade(&pool.versions("alembic_version").await, "bbbb0002").unwrap();
        m.downgrade(pool.db(), "bbbb0002").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, expected.heads_after());
        assert!(!pool.has_table("t_eeee0005").await);

        m.downgrade(pool.db(), "right@base").await.unwrap();
        let rows = pool.versions("alembic_version").await;
        assert_eq!(rows, ["ffff0006"], "label@base of branches sharing a base is that base");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn the_version_table_has_alembics_exact_shape() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&chain())).unwrap();
        m.ensure_version(pool.db()).await.unwrap();
        assert!(pool.versions("alembic_version").await.is_empty());
        match &pool {
            Pool::Postgres(_) => {
                let names = pool
                    .strings(
                        "SELECT CAST(conname AS TEXT) FROM pg_constraint WHERE conrelid = 'alembic_version'::regclass",
                    )
                    .await;
                assert_eq!(names, ["alembic_version_pkc"]);
                let column = pool
                    .strings("SELECT data_type || '(' || character_maximum_length || ') ' || is_nullable FROM information_schema.columns WHERE table_name = 'alembic_version'")
                    .await;
                assert_eq!(column, ["character varying(32) NO"]);
            }
            Pool::MySql(_) => {
                let column = pool
                    .strings("SELECT CAST(CONCAT(column_type, ' ', is_nullable, ' ', column_key) AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'alembic_version'")
                    .await;
                assert_eq!(column, ["varchar(32) NO PRI"]);
            }
            Pool::Sqlite(_) => {
                let sql = pool.strings("SELECT sql FROM sqlite_master WHERE name = 'alembic_version'").await;
                assert!(sql[0].contains("version_num VARCHAR(32) NOT NULL"), "{sql:?}");
                assert!(sql[0].contains("CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num)"), "{sql:?}");
            }
        }
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn two_migration_sets_share_a_database_with_their_own_tables() {
    let shop = vec![Rev::table("aaaa0001", &[])];
    let billing = vec![Rev::table("bbbb0001", &[]), Rev::table("bbbb0002", &["bbbb0001"])];
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let shop = Migrator::from_dir(versions(&shop)).unwrap();
        let billing = Migrator::from_dir(versions(&billing)).unwrap().with_version_table("billing_version");
        shop.upgrade(pool.db(), "head").await.unwrap();
        billing.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"], "{backend:?}");
        assert_eq!(pool.versions("billing_version").await, ["bbbb0002"]);
        billing.downgrade(pool.db(), "base").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"]);
        assert!(pool.versions("billing_version").await.is_empty());
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_version_table_in_its_own_schema() {
    for backend in backends() {
        if backend == Backend::Sqlite {
            continue; // an SQLite schema is an attached database file
        }
        let db = TestDb::create(backend).await;
        let pool = db.pool_with(1).await;
        let schema = retort_tests::unique("retort_s");
        match backend {
            Backend::Postgres => pool.exec(&format!("CREATE SCHEMA {schema}")).await,
            _ => pool.exec(&format!("CREATE DATABASE {schema}")).await,
        }
        let m = Migrator::from_dir(versions(&chain())).unwrap().with_version_table_schema(&schema);
        m.upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(pool.versions(&format!("{schema}.alembic_version")).await, ["cccc0003"], "{backend:?}");
        assert_eq!(m.current(pool.db()).await.unwrap(), ["cccc0003"]);
        if backend == Backend::MySql {
            pool.exec(&format!("DROP DATABASE {schema}")).await;
        }
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_new_database_has_its_version_table_before_the_first_revision() {
    // Alembic creates the table up front: a revision may read it, and a
    // purge may empty it.
    let revs = vec![
        Rev::sql(
            "aaaa0001",
            &[],
            "CREATE TABLE seen AS SELECT COUNT(*) AS n FROM alembic_version;",
            "DROP TABLE seen;",
        ),
        Rev::table("bbbb0002", &["aaaa0001"]),
    ];
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&revs)).unwrap();
        m.upgrade(pool.db(), "head").await.unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(pool.strings("SELECT CAST(n AS CHAR) FROM seen").await, ["0"], "{backend:?}");
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"]);
        db.finish(pool).await;

        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        m.stamp(pool.db(), &["aaaa0001"], true).await.unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(pool.versions("alembic_version").await, ["aaaa0001"], "{backend:?}");
        db.finish(pool).await;
    }
}

#[test]
fn offline_sql_is_what_a_run_sends() {
    let mut revs = chain();
    revs[1] = Rev::sql("bbbb0002", &["aaaa0001"], "CREATE INDEX CONCURRENTLY i ON t_aaaa0001 (id);", "DROP INDEX i;")
        .non_transactional();
    let m = Migrator::from_dir(versions(&revs)).unwrap();
    let sql = m.upgrade_sql(Dialect::Postgres, &[], "head").unwrap();
    let expected = "BEGIN;\n\n\
        CREATE TABLE \"alembic_version\" (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num)\n);\n\n\
        -- Running upgrade  -> aaaa0001\n\n\
        CREATE TABLE t_aaaa0001 (id INTEGER PRIMARY KEY);\n\n\
        INSERT INTO \"alembic_version\" (version_num) VALUES ('aaaa0001');\n\n\
        -- Running upgrade aaaa0001 -> bbbb0002\n\n\
        COMMIT;\n\n\
        CREATE INDEX CONCURRENTLY i ON t_aaaa0001 (id);\n\n\
        BEGIN;\n\n\
        UPDATE \"alembic_version\" SET version_num = 'bbbb0002' WHERE version_num = 'aaaa0001';\n\n\
        -- Running upgrade bbbb0002 -> cccc0003\n\n\
        CREATE TABLE t_cccc0003 (id INTEGER PRIMARY KEY);\n\n\
        UPDATE \"alembic_version\" SET version_num = 'cccc0003' WHERE version_num = 'bbbb0002';\n\n\
        COMMIT;\n\n";
    assert_eq!(sql, expected);
    let mysql = m.downgrade_sql(Dialect::MySql, &["cccc0003"], "base").unwrap();
    assert!(!mysql.contains("BEGIN"), "MySQL has no transactional DDL: {mysql}");
    assert!(mysql.contains("DELETE FROM `alembic_version` WHERE version_num = 'aaaa0001';"), "{mysql}");
    // One transaction per revision: BEGIN and COMMIT around each step, the
    // table's creation inside the first.
    let per_revision = retort::Options::default().with_transaction_per_revision(true);
    let sql = m.clone().with_options(per_revision).upgrade_sql(Dialect::Postgres, &[], "head").unwrap();
    assert_eq!((sql.matches("BEGIN;").count(), sql.matches("COMMIT;").count()), (4, 4), "{sql}");
    assert!(sql.starts_with("BEGIN;\n\nCREATE TABLE \"alembic_version\""), "{sql}");
    assert!(
        sql.ends_with(
            "UPDATE \"alembic_version\" SET version_num = 'cccc0003' WHERE version_num = 'bbbb0002';\n\nCOMMIT;\n\n"
        ),
        "{sql}"
    );
    assert!(sql.contains("-- Running upgrade aaaa0001 -> bbbb0002\n\nCOMMIT;\n\nCREATE INDEX CONCURRENTLY"), "{sql}");
    let stamp = m.stamp_sql(Dialect::Sqlite, &["aaaa0001"], &["cccc0003"]).unwrap();
    assert!(
        stamp.contains("UPDATE \"alembic_version\" SET version_num = 'cccc0003' WHERE version_num = 'aaaa0001';"),
        "{stamp}"
    );
}

#[tokio::test]
async fn a_single_borrowed_connection_is_enough() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&chain())).unwrap();
        // A failing run on a borrowed connection releases its lock and
        // transaction too: the next run on the same connection proceeds.
        let broken =
            Migrator::from_dir(versions(&[Rev::sql("aaaa0001", &[], "INSERT INTO nowhere VALUES (1);", "")])).unwrap();
        // The same steps on each backend's own connection type.
        macro_rules! on_one_connection {
            ($pool:expr) => {{
                let mut conn = $pool.acquire().await.unwrap();
                assert!(broken.upgrade(&mut *conn, "head").await.is_err());
                m.upgrade(&mut *conn, "head").await.unwrap();
                m.downgrade(&mut *conn, "-1").await.unwrap();
                assert_eq!(m.current(&mut *conn).await.unwrap(), ["bbbb0002"]);
            }};
        }
        match &pool {
            Pool::Postgres(p) => on_one_connection!(p),
            Pool::MySql(p) => on_one_connection!(p),
            Pool::Sqlite(p) => on_one_connection!(p),
        }
        assert_eq!(pool.versions("alembic_version").await, ["bbbb0002"], "{backend:?}");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn an_in_memory_sqlite_database_keeps_its_migrations() {
    // An in-memory database lives as long as one of its connections: the
    // run must give its connection back, not close it.
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
    let m = Migrator::from_dir(versions(&chain())).unwrap();
    let report = m.upgrade(&pool, "head").await.unwrap();
    assert_eq!(report.steps.len(), 3);
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT version_num FROM alembic_version").fetch_all(&pool).await.unwrap();
    assert_eq!(rows, ["cccc0003"]);
}

#[test]
fn offline_sql_ends_a_statement_after_a_trailing_comment() {
    let revs = vec![Rev::sql("aaaa0001", &[], "INSERT INTO t VALUES (1) -- seed", "DELETE FROM t")];
    let m = Migrator::from_dir(versions(&revs)).unwrap();
    let sql = m.upgrade_sql(Dialect::Postgres, &[], "head").unwrap();
    assert!(sql.contains("INSERT INTO t VALUES (1) -- seed\n;\n"), "{sql}");
}
