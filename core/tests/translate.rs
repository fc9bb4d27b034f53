//! retort's translation of Alembic `.py` bodies against Alembic itself: for
//! every fixture revision in `fixtures/translate` and every engine, the
//! statements Alembic's offline mode writes for `upgrade()` and
//! `downgrade()` (cli/src/python/offline_sql.py, which `retort import --alembic` runs) and retort's, compared
//! statement by statement with white space collapsed. Where Alembic
//! refuses an engine (SQLite cannot ALTER a constraint), retort must
//! refuse it too, naming the line; where retort refuses what Alembic
//! writes, the test fails unless the fixture lists it as beyond the subset.
//!
//! Needs a Python with alembic (`RETORT_PYTHON` or `.venv`); without one
//! the test says so and passes, unless `CI` is set.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use retort_core::Dialect;
use retort_core::translate::{SQLITE_BATCH, TranslatedBody, Untranslatable, translate_python};

/// White space collapsed, and quotes dropped around plain lower-case
/// names: retort quotes a name any of the three engines reserves (as its
/// autogenerate does), SQLAlchemy only those the engine at hand reserves;
/// the SQL means the same.
fn collapse(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '`' {
            let end = chars[i + 1..].iter().position(|&d| d == c).map(|p| i + 1 + p);
            if let Some(end) = end {
                let inner: String = chars[i + 1..end].iter().collect();
                let plain = !inner.is_empty()
                    && inner.chars().all(|d| d.is_ascii_lowercase() || d.is_ascii_digit() || d == '_');
                if plain {
                    out.push_str(&inner);
                    i = end + 1;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/translate");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

/// retort's statements for one body and engine, or its refusal.
fn retort_statements(body: &Result<TranslatedBody, Untranslatable>, dialect: Dialect) -> Result<Vec<String>, String> {
    let body = body.as_ref().map_err(|e| e.to_string())?;
    match body.section(dialect) {
        None => Ok(Vec::new()),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(section)) => Ok(retort_core::split_statements(&section.sql, dialect, section.line)
            .unwrap()
            .into_iter()
            .map(|s| collapse(&s.sql))
            .collect()),
    }
}

#[test]
fn translations_write_what_alembic_writes_on_every_engine() {
    let Some(python) = common::python_with_alembic("the translation test against Alembic") else { return };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/src/python/offline_sql.py");
    let files = fixtures();
    let mut compared = 0;
    for (dialect, name) in [(Dialect::Postgres, "postgresql"), (Dialect::MySql, "mysql"), (Dialect::Sqlite, "sqlite")] {
        let out = Command::new(&python).arg(&script).arg(name).args(&files).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let oracle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let translation = translate_python(&text);
            let entry = &oracle[file.to_string_lossy().as_ref()];
            let beyond = text.lines().find_map(|l| l.strip_prefix("# retort: beyond the subset"));
            for (direction, body) in [("upgrade", &translation.upgrade), ("downgrade", &translation.downgrade)] {
                let ours = retort_statements(body, dialect);
                let where_ = format!("{} {direction} on {name}", file.display());
                if let Some(lines) = beyond {
                    // `(upgrade line 17, downgrade line 22)`: refused there.
                    let line = lines.split(direction).nth(1).and_then(|r| r.trim_start().strip_prefix("line "));
                    let line = line.map(|r| r.chars().take_while(char::is_ascii_digit).collect::<String>());
                    let refusal = ours.expect_err(&format!("{where_}: beyond the subset, yet translated"));
                    assert!(refusal.starts_with(&format!("line {}:", line.unwrap())), "{where_}: {refusal}");
                    continue;
                }
                match entry[direction].get("error") {
                    // Both need the live table: Alembic to reflect it, retort
                    // at run time (its statement that stands for the batch).
                    Some(error)
                        if error.as_str().is_some_and(|e| e.contains("requires a live database connection")) =>
                    {
                        let ours = ours.unwrap_or_else(|e| panic!("{where_}: {e}"));
                        assert!(ours.iter().any(|s| s.starts_with(SQLITE_BATCH)), "{where_}: {ours:?}");
                    }
                    Some(error) => assert!(ours.is_err(), "{where_}: Alembic refuses ({error}), retort wrote {ours:?}"),
                    None => {
                        // retort runs an autocommit_block's revision outside a
                        // transaction: no COMMIT and BEGIN of its own.
                        let theirs: Vec<String> = entry[direction]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| collapse(s.as_str().unwrap()))
                            .filter(|s| s != "COMMIT" && s != "BEGIN")
                            .collect();
                        let ours = ours.unwrap_or_else(|e| panic!("{where_}: retort refuses what Alembic writes: {e}"));
                        assert_eq!(ours, theirs, "{where_}");
                        compared += theirs.len();
                    }
                }
            }
        }
    }
    assert!(compared > 60, "only {compared} statements compared");
}
