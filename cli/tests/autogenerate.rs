//! `revision --autogenerate` and `check --schema` end to end, on every
//! backend: from a schema file to a revision that upgrades a database to
//! it and back, with nothing left for a second autogenerate to find.

use std::path::Path;

mod common;
use common::retort;

use retort_tests::{Backend, DESIRED_SCHEMA, HEAD_SCHEMA, Rev, TestDb, backends, temp_dir, versions};

fn generated(dir: &Path) -> Vec<String> {
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with("aaaa0001"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    texts.sort();
    texts
}

#[tokio::test]
async fn a_schema_file_becomes_a_revision_that_upgrades_and_downgrades_with_nothing_left() {
    for backend in backends() {
        let dir = versions(&[Rev::sql("aaaa0001", &[], HEAD_SCHEMA, "SELECT 1;")]);
        let schema = temp_dir("retort_schema_file").join("schema.sql");
        std::fs::write(&schema, DESIRED_SCHEMA).unwrap();
        let db = TestDb::create(backend).await;
        let url = db.url.as_str();
        let file = schema.to_str().unwrap();
        let (code, stdout, stderr) = retort(&dir, &["--database-url", url, "check", "--schema", file]);
        assert_eq!(code, 1, "{backend:?}: {stdout}{stderr}");
        assert!(stdout.contains("New upgrade operations detected"), "{stdout}");

        let args = [
            "--database-url",
            url,
            "revision",
            "-m",
            "to the schema file",
            "--autogenerate",
            "--schema-file",
            file,
            "--allow-drop",
        ];
        let (code, stdout, stderr) = retort(&dir, &args);
        assert_eq!(code, 0, "{backend:?}: {stdout}{stderr}");
        assert!(stdout.contains("Generating ") && stdout.contains("_to_the_schema_file.sql"), "{stdout}");
        assert!(stderr.contains("INFO  [retort] Detected + table ") && stderr.contains("fresh"), "{stderr}");
        let text = generated(&dir).remove(0);
        assert!(
            text.contains("-- Revises: aaaa0001") && text.contains("-- upgrade\n") && text.contains("-- downgrade\n"),
            "{text}"
        );
        if backend == Backend::Postgres {
            // The lint's notices head the generated upgrade.
            assert!(text.contains("-- lint changing-column-type: "), "{text}");
        }

        // Nothing left: a second look finds the revisions make the file's schema.
        let (_, stdout, stderr) = retort(&dir, &["--database-url", url, "check", "--schema", file]);
        assert!(stdout.contains("No new upgrade operations detected."), "{backend:?}: {stdout}{stderr}\n{text}");
        let (_, stdout, _) =
            retort(&dir, &["--database-url", url, "revision", "-m", "again", "--autogenerate", "--schema-file", file]);
        assert_eq!(stdout.trim(), "No changes in schema detected.", "{backend:?}");
        assert_eq!(generated(&dir).len(), 1, "nothing written when nothing changed");

        let (code, _, stderr) = retort(&dir, &["--database-url", url, "upgrade", "head"]);
        assert_eq!(code, 0, "{backend:?}: {stderr}\n{text}");
        let (code, _, stderr) = retort(&dir, &["--database-url", url, "downgrade", "aaaa0001"]);
        assert_eq!(code, 0, "{backend:?}: {stderr}\n{text}");
        db.drop_db().await;
    }
}

#[test]
fn drops_are_written_commented_out_and_said_unless_allowed() {
    let dir = versions(&[Rev::sql("aaaa0001", &[], HEAD_SCHEMA, "SELECT 1;")]);
    let schema = temp_dir("retort_schema_file").join("schema.sql");
    std::fs::write(&schema, DESIRED_SCHEMA).unwrap();
    let file = schema.to_str().unwrap();
    let (code, _, stderr) =
        retort(&dir, &["--dialect", "sqlite", "revision", "-m", "careful", "--autogenerate", "--schema-file", file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("WARNING  [retort] left out (destructive; --allow-drop writes it): DROP TABLE gone"),
        "{stderr}"
    );
    assert!(stderr.contains("nick was dropped and") && stderr.contains("nickname added"), "{stderr}");
    let text = generated(&dir).remove(0);
    assert!(text.contains("-- (destructive, left out: pass --allow-drop to write it) DROP TABLE gone;"), "{text}");
}

#[test]
fn a_missing_schema_file_says_where_it_looked_and_what_to_do() {
    let dir = versions(&[Rev::table("aaaa0001", &[])]);
    let (code, _, stderr) = retort(
        &dir,
        &["--dialect", "sqlite", "revision", "-m", "x", "--autogenerate", "--schema-file", "/no/such/schema.sql"],
    );
    assert_eq!(code, 255);
    assert!(stderr.contains("FAILED: cannot read the schema file /no/such/schema.sql"), "{stderr}");
    assert!(stderr.contains("--schema-file"), "{stderr}");
}

#[test]
fn a_rename_stated_by_flag_is_written_as_one() {
    let dir = versions(&[Rev::sql(
        "aaaa0001",
        &[],
        "CREATE TABLE client (id INTEGER PRIMARY KEY, nick TEXT);",
        "DROP TABLE client;",
    )]);
    let schema = temp_dir("retort_schema_file").join("schema.sql");
    std::fs::write(&schema, "CREATE TABLE client (id INTEGER PRIMARY KEY, nickname TEXT);").unwrap();
    let file = schema.to_str().unwrap();
    let args = ["--dialect", "sqlite", "revision", "-m", "rename", "--autogenerate", "--schema-file", file];
    let (code, _, stderr) = retort(&dir, &[&args[..], &["--rename", "client.nick=nickname"]].concat());
    assert_eq!(code, 0, "{stderr}");
    let text = generated(&dir).remove(0);
    assert!(
        text.contains("-- renamed: column client.nick -> nickname\nALTER TABLE client RENAME COLUMN nick TO nickname;"),
        "{text}"
    );
    assert!(!text.contains("DROP COLUMN"), "{text}");
    // Stated again once made: said, and nothing renamed.
    let (code, stdout, stderr) = retort(&dir, &[&args[..], &["--rename", "client.nick=nickname"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("the rename column client.nick -> nickname is made already"), "{stderr}");
    assert_eq!(stdout.trim(), "No changes in schema detected.");
    // A name the revisions never had is an error.
    let fresh = versions(&[Rev::sql(
        "aaaa0001",
        &[],
        "CREATE TABLE client (id INTEGER PRIMARY KEY, nick TEXT);",
        "DROP TABLE client;",
    )]);
    let (code, _, stderr) = retort(&fresh, &[&args[..], &["--rename", "client.nope=nickname"]].concat());
    assert_eq!(code, 255);
    assert!(stderr.contains("names column client.nope"), "{stderr}");
    let (code, _, stderr) = retort(&dir, &[&args[..], &["--rename", "nonsense"]].concat());
    assert_eq!(code, 255);
    assert!(stderr.contains("--rename 'nonsense': write table.old_column=new_column"), "{stderr}");
}

#[tokio::test]
async fn one_section_per_engine_each_generated_against_its_own() {
    let dir = versions(&[Rev::sql(
        "aaaa0001",
        &[],
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20));",
        "DROP TABLE t;",
    )]);
    let schema = temp_dir("retort_schema_file").join("schema.sql");
    std::fs::write(&schema, "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(40), bio TEXT);").unwrap();
    let backends = backends();
    let mut args: Vec<String> =
        ["revision", "-m", "everywhere", "--autogenerate", "--schema-file", schema.to_str().unwrap()]
            .map(str::to_owned)
            .to_vec();
    let names: Vec<&str> = backends
        .iter()
        .map(|b| match b {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
            Backend::MySql => "mysql",
        })
        .collect();
    args.extend(["--dialects".to_owned(), names.join(",")]);
    for (backend, var) in [(Backend::Postgres, "RETORT_TEST_POSTGRES_URL"), (Backend::MySql, "RETORT_TEST_MYSQL_URL")] {
        if backends.contains(&backend) {
            args.extend(["--scratch-url".to_owned(), std::env::var(var).unwrap()]);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = retort(&dir, &args);
    assert_eq!(code, 0, "{stderr}");
    let text = generated(&dir).remove(0);
    for name in &names {
        assert!(
            text.contains(&format!("-- upgrade: {name}\n")) && text.contains(&format!("-- downgrade: {name}\n")),
            "{text}"
        );
    }
    // Each engine runs its own section, up and back.
    for backend in backends {
        let db = TestDb::create(backend).await;
        let url = db.url.as_str();
        let (code, _, stderr) = retort(&dir, &["--database-url", url, "upgrade", "head"]);
        assert_eq!(code, 0, "{backend:?}: {stderr}\n{text}");
        let (code, _, stderr) = retort(&dir, &["--database-url", url, "downgrade", "aaaa0001"]);
        assert_eq!(code, 0, "{backend:?}: {stderr}\n{text}");
        db.drop_db().await;
    }
}
