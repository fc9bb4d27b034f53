//! `retort baseline` end to end on SQLite: written beside its revision from
//! the revisions or from a database at the revision, used by an empty
//! database, refused with a reason where it cannot be written.

mod common;

use std::path::Path;

fn retort(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    common::retort(dir, &[&["--database-url", url], args].concat())
}

fn history() -> Vec<retort_tests::Rev> {
    use retort_tests::Rev;
    vec![
        Rev::sql(
            "a001",
            &[],
            "CREATE TABLE role (id INTEGER PRIMARY KEY, name VARCHAR(20));\nINSERT INTO role VALUES (1, 'admin'), (2, 'user');",
            "DROP TABLE role;",
        ),
        Rev::sql("a002", &["a001"], "CREATE TABLE account (id INTEGER PRIMARY KEY);", "DROP TABLE account;"),
        Rev::sql("a003", &["a002"], "CREATE TABLE later (id INTEGER PRIMARY KEY);", "DROP TABLE later;"),
    ]
}

#[test]
fn a_baseline_is_written_used_and_refused_where_it_cannot_be() {
    let dir = retort_tests::versions(&history());
    let work = retort_tests::temp_dir("baseline_cli");
    let url = |name: &str| format!("sqlite://{}", work.join(name).display());

    let (code, out, err) = retort(&dir, &url("unused.db"), &["baseline", "a00", "--data", "role"]);
    assert_eq!(code, 255);
    assert!(err.contains("a00"), "an ambiguous prefix is named: {err}");
    let (code, _, err) = retort(&dir, &url("unused.db"), &["baseline", "a002", "--data", "nope"]);
    assert_eq!(code, 255);
    assert!(err.contains("--data names nope") && err.contains("role"), "{err}");

    let (code, out2, err) = retort(&dir, &url("unused.db"), &["baseline", "a002", "--data", "role"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out2.contains("a002_baseline.sql"), "{out2}");
    let text = std::fs::read_to_string(dir.join("a002_baseline.sql")).unwrap();
    assert!(text.contains("-- Baseline Of: a002\n") && text.contains("-- upgrade: sqlite\n"), "{text}");
    assert!(text.contains("INSERT INTO role (id, name) VALUES\n    (1, 'admin'),\n    (2, 'user');"), "{text}");
    let (code, _, err) = retort(&dir, &url("unused.db"), &["baseline", "a002"]);
    assert_eq!(code, 255);
    assert!(err.contains("already exists"), "{err}");

    // `check --baselines`: the baseline builds what its revisions build;
    // edited by hand so that it does not, it is named with the difference.
    let (code, out, err) = common::retort(&dir, &["--dialect", "sqlite", "check", "--baselines"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("baseline of a002: the schema its revisions build"), "{out}");
    let path = dir.join("a002_baseline.sql");
    std::fs::write(&path, text.replace("CREATE TABLE account (", "CREATE TABLE account (\n    extra INTEGER,"))
        .unwrap();
    let (code, out, _) = common::retort(&dir, &["--dialect", "sqlite", "check", "--baselines"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("baseline of a002 (") && out.contains("extra"), "{out}");
    std::fs::write(&path, &text).unwrap();

    // An empty database starts from it; `--no-baseline` runs everything.
    let (code, _, err) = retort(&dir, &url("new.db"), &["upgrade", "head"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("baseline  -> a002") && err.contains("a002 -> a003"), "{err}");
    assert!(!err.contains("-> a001"), "{err}");
    let (_, current, _) = retort(&dir, &url("new.db"), &["current"]);
    assert_eq!(current.trim(), "a003 (head)");
    let (code, _, err) = retort(&dir, &url("full.db"), &["upgrade", "head", "--no-baseline"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("-> a001") && !err.contains("baseline"), "{err}");
    let (code, out, err) = retort(&dir, &url("new.db"), &["check"]);
    assert_eq!(code, 0, "no drift between the baseline-built database and the revisions: {out}{err}");

    // From a database: it must be at the revision.
    std::fs::remove_file(dir.join("a002_baseline.sql")).unwrap();
    let full = url("full.db");
    let (code, _, err) = retort(&dir, &url("unused.db"), &["baseline", "a002", "--from-database", &full]);
    assert_eq!(code, 255);
    assert!(err.contains("the database is at a003") && err.contains("needs one at a002"), "{err}");
    let (code, _, err) = retort(&dir, &full, &["downgrade", "a002"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) =
        retort(&dir, &url("unused.db"), &["baseline", "a002", "--from-database", &full, "--data", "role"]);
    assert_eq!(code, 0, "{err}");
    let again = std::fs::read_to_string(dir.join("a002_baseline.sql")).unwrap();
    let body = |t: &str| t[t.find("-- upgrade").unwrap()..].to_owned();
    assert_eq!(body(&again), body(&text), "the same baseline from the database as from the revisions");
    std::fs::remove_dir_all(&work).unwrap();
}
