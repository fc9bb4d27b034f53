//! What `#[retort::migrations]` embeds equals the same directory read at
//! run time (one loader for both), and generated code compiles whatever the
//! user's module shadows.

use std::path::Path;

use retort::Revision;
use retort_core::load_dir;
use retort_tests::{TestDb, backends};

/// The shop example's revisions.
#[retort::migrations("../examples/shop/alembic/versions")]
pub struct Shop;

/// A directory mixing `.sql` and Alembic `.py` revisions.
#[retort::migrations("../core/tests/fixtures/mixed", version_table = "mixed_version")]
pub struct Mixed;

/// Quotes, backslashes, `"#`, tabs and non-ASCII text in every field.
#[retort::migrations("fixtures/odd-text")]
pub struct OddText;

fn same(embedded: &[Revision], read: &[Revision]) {
    assert_eq!(embedded.len(), read.len());
    for (e, r) in embedded.iter().zip(read) {
        assert!(r.path.ends_with(&e.path), "{:?} vs {:?}", e.path, r.path);
        let mut e = e.clone();
        e.path = r.path.clone();
        assert_eq!(&e, r);
    }
}

#[test]
fn the_embedded_revisions_equal_the_directory_read_at_run_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = load_dir(&root.join("../examples/shop/alembic/versions")).unwrap();
    same(Shop::migrator().graph().revisions(), read.revisions());
    let read = load_dir(&root.join("../core/tests/fixtures/mixed")).unwrap();
    same(Mixed::migrator().graph().revisions(), read.revisions());
    assert_eq!(Mixed::migrator().version_table().name, "mixed_version");
    let read = load_dir(&root.join("fixtures/odd-text")).unwrap();
    same(OddText::migrator().graph().revisions(), read.revisions());
    assert!(read.revisions()[0].message.contains("r#\"raw\"#, ünïcödé"));
    assert_eq!(read.revisions().len(), 2, "the fixture also holds a file with a byte-order mark and CRLF");
    assert_eq!(OddText::files_not_embedded(), retort::Drift::default());
    assert_eq!(Shop::files_not_embedded(), retort::Drift::default());
}

#[tokio::test]
async fn the_generated_api_migrates() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        assert_eq!(Shop::pending(pool.db()).await.unwrap().len(), 5);
        let report = Shop::upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(report.heads_after, ["5a1f3c9e8d77"], "{backend:?}");
        assert_eq!(Shop::current(pool.db()).await.unwrap(), ["5a1f3c9e8d77"]);
        Shop::downgrade(pool.db(), "base").await.unwrap();
        assert!(Shop::current(pool.db()).await.unwrap().is_empty());
        db.finish(pool).await;
    }
}

/// The shop's revisions again, as a second binary would embed them.
#[retort::migrations("../examples/shop/alembic/versions")]
pub struct ShopAgain;

#[tokio::test]
async fn a_start_at_head_reads_the_version_table_and_decodes_nothing() {
    let mut dbs = Vec::new();
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        Shop::upgrade(pool.db(), "head").await.unwrap();
        for target in ["head", "heads"] {
            let report = ShopAgain::upgrade(pool.db(), target).await.unwrap();
            assert!(report.steps.is_empty(), "{backend:?} {target}");
            assert_eq!(report.heads_before, ["5a1f3c9e8d77"]);
            assert_eq!(report.heads_after, ["5a1f3c9e8d77"]);
        }
        dbs.push((backend, db, pool));
    }
    // The migrator (every revision decoded, the graph built) was never
    // needed. (Checked through the hidden set the macro generates.)
    assert!(ShopAgain::__retort_set().migrator.get().is_none());
    // Anywhere but at head, the whole graph plans the run.
    for (backend, db, pool) in dbs {
        Shop::downgrade(pool.db(), "base").await.unwrap();
        let report = ShopAgain::upgrade(pool.db(), "head").await.unwrap();
        assert_eq!(report.steps.len(), 5, "{backend:?}");
        assert!(ShopAgain::__retort_set().migrator.get().is_some());
        db.finish(pool).await;
    }
}

#[test]
fn an_embedded_migrator_knows_its_files_on_disk() {
    assert_eq!(Shop::migrator().embedded_drift(), Some(retort::Drift::default()));
    let read_at_run_time = retort::Migrator::from_dir("../examples/shop/alembic/versions").unwrap();
    assert_eq!(read_at_run_time.embedded_drift(), None);
}

/// Generated code names everything by absolute path: a module that shadows
/// the prelude still compiles.
#[allow(dead_code, non_camel_case_types)]
mod shadowing {
    type Result<T> = ::core::result::Result<T, ()>;
    struct Option;
    struct Some;
    struct None;
    struct String;
    struct Vec;
    struct Box;
    struct Into;
    struct OnceLock;
    struct str;
    mod retort {}

    #[::retort::migrations("../examples/shop/alembic/versions")]
    pub struct Shadowed;

    #[test]
    fn compiles_and_works() {
        assert_eq!(Shadowed::migrator().graph().len(), 5);
    }
}
