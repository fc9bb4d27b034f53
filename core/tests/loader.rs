//! Reading a versions directory: which files count, in which order, and the
//! diagnostics a broken directory gets (a snapshot of the text users read;
//! `RETORT_BLESS=1` rewrites it after a deliberate change).

use std::path::{Path, PathBuf};

use retort_core::{Dialect, SourceKind, load_dir};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[test]
fn sql_and_python_revisions_join_one_graph_and_everything_else_is_ignored() {
    let graph = load_dir(&fixture("mixed")).unwrap_or_else(|problems| panic!("{problems}"));
    let ids: Vec<&str> = graph.revisions().iter().map(|r| r.id.as_str()).collect();
    // Load order is file-name order, as in Alembic.
    assert_eq!(ids, ["1975ea83b712", "3dda56f1c4c6", "ae1027a6acf0"]);
    assert_eq!(graph.heads(), ["ae1027a6acf0"]);
    let py = graph.get("3dda56f1c4c6").unwrap();
    assert_eq!(py.kind, SourceKind::Python);
    assert_eq!(py.message, "Add orders");
    assert_eq!(py.down_revisions, ["1975ea83b712"]);
    let index = graph.get("ae1027a6acf0").unwrap();
    assert!(!index.transactional);
    assert!(index.upgrade_for(Dialect::Postgres).unwrap().sql.contains("CONCURRENTLY"));
    assert!(!index.upgrade_for(Dialect::Sqlite).unwrap().sql.contains("CONCURRENTLY"));
    let plan = graph.plan_upgrade(retort_core::AT_BASE, "head").unwrap();
    assert_eq!(plan.revision_ids(), ["1975ea83b712", "3dda56f1c4c6", "ae1027a6acf0"]);
}

#[test]
fn a_missing_directory_is_one_clear_error() {
    let problems = load_dir(&fixture("does-not-exist")).unwrap_err();
    assert_eq!(problems.len(), 1);
    let text = problems.to_string();
    assert!(text.contains("does not exist"), "{text}");
    assert!(text.contains("retort init"), "{text}");
}

#[test]
fn an_empty_directory_is_an_empty_graph() {
    let dir = std::env::temp_dir().join(format!("retort-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let graph = load_dir(&dir).unwrap();
    assert!(graph.is_empty());
    assert!(graph.plan_upgrade(retort_core::AT_BASE, "heads").unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_that_is_not_utf8_is_reported() {
    let dir = std::env::temp_dir().join(format!("retort-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("abcd1234_x.sql"), b"-- \xff\xfe\n").unwrap();
    let problems = load_dir(&dir).unwrap_err();
    assert!(problems.to_string().contains("not UTF-8"), "{problems}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_problem_of_a_broken_directory_is_reported_at_its_line() {
    let dir = fixture("broken");
    let problems = load_dir(&dir).unwrap_err();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).display().to_string();
    let rendered = problems.to_string().replace(&root, "<core>");
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/broken-directory.txt");
    if std::env::var_os("RETORT_BLESS").is_some() {
        std::fs::write(&snapshot, &rendered).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(rendered, expected, "diagnostics changed; if deliberately, rerun with RETORT_BLESS=1 and read the diff");
}
