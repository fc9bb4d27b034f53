//! The checks that compare schemas, on every backend: drift between a live
//! database and what its revisions make, the round trip ("stairway") of
//! every revision, and finding the revision an unmanaged database is at.
//! Every scratch database they make is gone afterwards.

use retort::{InspectOptions, Migrator, ScratchDatabase};
use retort_tests::{Backend, Pool, Rev, TestDb, backends, versions};

/// 20 revisions, each changing the schema: tables, columns, indexes.
fn history() -> Vec<Rev> {
    let mut revs = Vec::new();
    let mut parent: Vec<String> = Vec::new();
    for i in 1..=20u32 {
        let id = format!("r{i:03}");
        let (up, down) = match i % 3 {
            1 => (format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v{i} INTEGER);"), format!("DROP TABLE t{i};")),
            2 => {
                let t = i - 1;
                (
                    format!("ALTER TABLE t{t} ADD COLUMN extra{i} VARCHAR(20);"),
                    format!("ALTER TABLE t{t} DROP COLUMN extra{i};"),
                )
            }
            _ => {
                let t = i - 2;
                (format!("CREATE INDEX ix{i} ON t{t} (v{t});"), index_drop(i, t))
            }
        };
        let parents: Vec<&str> = parent.iter().map(String::as_str).collect();
        revs.push(Rev::sql(&id, &parents, &up, &down));
        parent = vec![id];
    }
    revs
}

/// `DROP INDEX` in a form every backend takes (MySQL names the table).
fn index_drop(i: u32, t: u32) -> String {
    format!("DROP INDEX ix{i} ON t{t};")
}

/// The history with dialect-specific downgrades where the syntax differs.
fn history_for(backend: Backend) -> Vec<Rev> {
    history()
        .into_iter()
        .map(|mut rev| {
            if backend != Backend::MySql
                && let Some(down) = &rev.down_sql
                && let Some(rest) = down.strip_prefix("DROP INDEX ")
            {
                let name = rest.split(' ').next().unwrap_or_default();
                rev.down_sql = Some(format!("DROP INDEX {name};"));
            }
            rev
        })
        .collect()
}

/// True when the database the scratch was called `name` is still on the
/// server.
async fn still_there(backend: Backend, pool: &Pool, name: Option<String>) -> bool {
    let Some(name) = name else { return false };
    let sql = match backend {
        Backend::Postgres => format!("SELECT datname::text FROM pg_database WHERE datname = '{name}'"),
        Backend::MySql => {
            format!("SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'")
        }
        Backend::Sqlite => return false,
    };
    !pool.strings(&sql).await.is_empty()
}

#[tokio::test]
async fn a_history_whose_downgrades_undo_their_upgrades_passes_the_round_trip() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&history_for(backend))).unwrap();
        let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
        let name = scratch.name().map(str::to_owned);
        let result = m.roundtrip(&scratch, &InspectOptions::default()).await.unwrap();
        scratch.drop_database().await.unwrap();
        assert!(result.failure.is_none(), "{backend:?}: {:?}", result.failure);
        assert_eq!(result.checked.len(), 20, "{backend:?}");
        assert!(!still_there(backend, &pool, name).await, "{backend:?}: the scratch database is left");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn a_downgrade_that_forgets_something_is_named_with_what_it_left() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let mut revs = history_for(backend);
        // r007 adds a table; its downgrade forgets to drop it.
        revs[6].down_sql = Some("SELECT 1;".to_owned());
        // r004 (a table) has no downgrade at all: named and skipped.
        revs[3].down_sql = None;
        let m = Migrator::from_dir(versions(&revs)).unwrap();
        let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
        let name = scratch.name().map(str::to_owned);
        assert_eq!(name.is_some(), backend != Backend::Sqlite);
        let result = m.roundtrip(&scratch, &InspectOptions::default()).await.unwrap();
        drop(scratch); // dropped by Drop, as after an error
        let failure = result.failure.expect("the forgetful downgrade is found");
        assert_eq!(failure.revision, "r007", "{backend:?}");
        assert_eq!(failure.phase, "downgrade");
        let lines: Vec<String> =
            failure.differences.changes.iter().map(|c| c.to_string().replace("public.", "")).collect();
        assert_eq!(lines, ["+ table t7"], "{backend:?}");
        assert_eq!(result.skipped, [("r004".to_owned(), "it has no downgrade".to_owned())]);
        assert_eq!(result.checked, ["r001", "r002", "r003", "r005", "r006"]);
        assert!(!still_there(backend, &pool, name).await, "{backend:?}: Drop left the scratch database");
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn an_unmanaged_database_at_revision_k_is_found_at_k_and_nowhere_else() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&history_for(backend))).unwrap();
        m.upgrade(pool.db(), "r013").await.unwrap();
        // The version table is lost: the database is unmanaged.
        pool.exec("DROP TABLE alembic_version").await;
        let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
        let found = m.detect_revision(pool.db(), &scratch, &InspectOptions::default()).await.unwrap();
        scratch.drop_database().await.unwrap();
        assert_eq!(found.matches, [vec!["r013".to_owned()]], "{backend:?}");
        // One more column than any revision made: no match, r013 nearest.
        pool.exec("ALTER TABLE t13 ADD COLUMN surprise INTEGER").await;
        let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
        let found = m.detect_revision(pool.db(), &scratch, &InspectOptions::default()).await.unwrap();
        scratch.drop_database().await.unwrap();
        assert!(found.matches.is_empty(), "{backend:?}");
        assert_eq!(found.nearest[0].0, ["r013"], "{backend:?}");
        assert_eq!(found.nearest[0].1.changes.len(), 1);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn drift_names_what_no_revision_made_and_what_a_revision_made_that_is_gone() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let m = Migrator::from_dir(versions(&history_for(backend))).unwrap();
        m.upgrade(pool.db(), "r010").await.unwrap();
        let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
        let clean = m.schema_drift(pool.db(), &scratch, &InspectOptions::default()).await.unwrap();
        scratch.drop_database().await.unwrap();
        assert!(clean.differences.is_empty(), "{backend:?}: {:?}", clean.differences);
        assert_eq!(clean.current, ["r010"]);

        pool.exec("CREATE TABLE hand_made (id INTEGER PRIMARY KEY)").await;
        pool.exec(if backend == Backend::MySql { "DROP INDEX ix9 ON t7" } else { "DROP INDEX ix9" }).await;
        let scratch = ScratchDatabase::beside(pool.db()).await.unwrap();
        let name = scratch.name().map(str::to_owned);
        let drift = m.schema_drift(pool.db(), &scratch, &InspectOptions::default()).await.unwrap();
        scratch.drop_database().await.unwrap();
        let lines: Vec<String> =
            drift.differences.changes.iter().map(|c| c.to_string().replace("public.", "")).collect();
        assert_eq!(lines, ["+ table hand_made", "- index ix9 on t7 (v7)"], "{backend:?}");
        assert!(!still_there(backend, &pool, name).await);
        db.finish(pool).await;
    }
}
