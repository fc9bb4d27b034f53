//! What teams check before merging a revision, as one-line assertions for
//! `cargo test`. Each panics with what is wrong and where.

use std::path::Path;

use crate::db::Db;
use crate::inspect::InspectOptions;
use crate::migrator::Migrator;
use crate::scratch::ScratchDatabase;

/// Panics unless the revisions have one head (or the migrator's options
/// say several are by design).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("retort-doc-head-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # std::fs::write(dir.join("a1_init.sql"), "-- Revision ID: a1\n-- Revises:\n\n-- upgrade\nCREATE TABLE t (id INT);\n").unwrap();
/// let migrator = retort::Migrator::from_dir(&dir).unwrap();
/// retort::testing::assert_single_head(&migrator);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn assert_single_head(migrator: &Migrator) {
    let heads = migrator.graph().heads();
    if heads.len() > 1 && !migrator.options().expect_multiple_heads {
        panic!(
            "the revisions have {} heads ({}): merge them with `retort merge heads -m \"merge\"`, or say several heads are by design (Options::expecting_multiple)",
            heads.len(),
            heads.join(", ")
        );
    }
}

/// Upgrades `db` (an empty database, such as a `#[retort::test(migrations
/// = false)]` one) from base to every head, running every revision (no
/// baseline), and panics with the failing revision's error.
pub async fn assert_upgrades_from_base<'a>(migrator: &Migrator, db: impl Into<Db<'a>>) {
    let every_revision = migrator.clone().with_options(migrator.options().clone().with_baselines(false));
    if let Err(err) = every_revision.upgrade(db, "heads").await {
        panic!("upgrading from base to head failed: {err}");
    }
}

/// For each revision from base to head, in a scratch database beside `db`
/// (of its engine, on its server): upgrade, downgrade, upgrade again.
/// Panics at the first revision whose downgrade does not restore the schema
/// before it, naming what differs.
pub async fn assert_downgrades_restore<'a>(migrator: &Migrator, db: impl Into<Db<'a>>) {
    let scratch = ScratchDatabase::beside(db.into()).await.unwrap_or_else(|e| panic!("{e}"));
    let checked = migrator.roundtrip(&scratch, &InspectOptions::default()).await;
    let _ = scratch.drop_database().await;
    let round_trip = checked.unwrap_or_else(|e| panic!("checking the downgrades failed: {e}"));
    if let Some(failure) = round_trip.failure {
        let changes: Vec<String> = failure.differences.changes.iter().map(|c| format!("\n  {c}")).collect();
        panic!(
            "revision {}: after its {}, the schema is not the one expected:{}",
            failure.revision,
            failure.phase,
            changes.concat()
        );
    }
}

/// Panics unless the schema file `path` (or its per-engine form,
/// `schema.postgresql.sql` beside it) describes the schema the revisions
/// make at head: the drift `retort check --schema` reports. Both are built
/// in scratch databases beside `db`.
pub async fn assert_schema_file_matches<'a>(migrator: &Migrator, db: impl Into<Db<'a>>, path: impl AsRef<Path>) {
    let mut db = db.into();
    let dialect = db.dialect();
    let file = crate::schema_file_for(path.as_ref(), dialect);
    let sql = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let options = InspectOptions::default();
    let at_head = ScratchDatabase::beside(db.reborrow()).await.unwrap_or_else(|e| panic!("{e}"));
    let head = migrator.schema_at(&at_head, &["heads"], &options).await;
    let _ = at_head.drop_database().await;
    let described = ScratchDatabase::beside(db).await.unwrap_or_else(|e| panic!("{e}"));
    let wanted = migrator.schema_of_script(&described, &file.display().to_string(), &sql, &options).await;
    let _ = described.drop_database().await;
    let head = head.unwrap_or_else(|e| panic!("building the revisions' head failed: {e}"));
    let wanted = wanted.unwrap_or_else(|e| panic!("building {} failed: {e}", file.display()));
    let differences = retort_core::schema::compare(&head, &wanted);
    if !differences.changes.is_empty() {
        let changes: Vec<String> = differences.changes.iter().map(|c| format!("\n  {c}")).collect();
        panic!(
            "{} differs from the schema the revisions make at head (write a revision: `retort revision --autogenerate -m …`):{}",
            file.display(),
            changes.concat()
        );
    }
}
