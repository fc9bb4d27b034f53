//! `retort import`: gives every Alembic `.py` revision of the history its
//! SQL in a `.sql` file of the same name beside it — translated where
//! retort can, captured from the team's own Alembic in offline mode with
//! `--alembic PYTHON` where it cannot — and reports the rest, each with its
//! file, line and why. A `.sql` already beside a `.py` is never touched.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use retort::Migrator;
use retort_core::{Dialect, Direction, Revision, SourceKind};

/// The script that asks Alembic for a body's SQL, offline.
const OFFLINE_SQL: &str = include_str!("python/offline_sql.py");

/// What became of one revision.
enum Outcome {
    Translated,
    Captured,
    NeedsPerson(String),
}

/// Imports the history of `migrator` for `dialects`.
pub fn run(migrator: &Migrator, dialects: &[Dialect], alembic: Option<&Path>) -> Result<ExitCode, String> {
    let graph = migrator.graph();
    let order = graph.plan_upgrade(retort_core::AT_BASE, "heads").map_err(|e| e.to_string())?;
    let pending: Vec<&Revision> = order
        .revision_ids()
        .into_iter()
        .filter_map(|id| graph.runnable(id))
        .filter(|r| r.kind == SourceKind::Python && r.sql_file.is_none())
        .collect();
    let mut captured = match alembic {
        Some(python) => {
            let needing: Vec<&Revision> = pending.iter().copied().filter(|r| !translated(r, dialects)).collect();
            capture(python, &needing, dialects)?
        }
        None => Vec::new(),
    };
    let (mut counts, mut people) = ([0usize; 3], Vec::new());
    for rev in &pending {
        let sql_path = rev.path.with_extension("sql");
        let outcome = if translated(rev, dialects) {
            write(&sql_path, rev, &sections_of(rev, dialects), "translated by `retort import`")?;
            Outcome::Translated
        } else if let Some(index) = captured.iter().position(|(path, _)| *path == rev.path) {
            match captured.swap_remove(index).1 {
                Ok(sections) => {
                    write(
                        &sql_path,
                        rev,
                        &sections,
                        "captured from Alembic's offline mode by `retort import --alembic`",
                    )?;
                    Outcome::Captured
                }
                Err(why) => Outcome::NeedsPerson(why),
            }
        } else {
            let why = rev
                .untranslated
                .iter()
                .find(|u| u.dialect.is_none_or(|d| dialects.contains(&d)))
                .map(|u| format!("line {}: {}", u.line, u.what))
                .unwrap_or_default();
            Outcome::NeedsPerson(why)
        };
        match outcome {
            Outcome::Translated => counts[0] += 1,
            Outcome::Captured => counts[1] += 1,
            Outcome::NeedsPerson(why) => {
                counts[2] += 1;
                people.push(format!("  {}: {why}", rev.path.display()));
            }
        }
    }
    let skipped = graph.revisions().iter().filter(|r| r.kind == SourceKind::Python && r.sql_file.is_some()).count();
    println!(
        "{} .py revisions: {} translated, {} captured with Alembic, {} need a person ({skipped} already had SQL beside them)",
        pending.len(),
        counts[0],
        counts[1],
        counts[2]
    );
    if !people.is_empty() {
        println!(
            "Need a person (write the SQL in the .sql beside each, or start new databases from a baseline past them):"
        );
        for line in &people {
            println!("{line}");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// True when every body of `rev` translated for every engine asked.
fn translated(rev: &Revision, dialects: &[Dialect]) -> bool {
    !rev.untranslated.iter().any(|u| u.dialect.is_none_or(|d| dialects.contains(&d)))
}

/// The translated statements of `rev`, per engine and direction.
fn sections_of(rev: &Revision, dialects: &[Dialect]) -> Vec<(Direction, Dialect, Vec<String>)> {
    let mut sections = Vec::new();
    for direction in [Direction::Upgrade, Direction::Downgrade] {
        for &dialect in dialects {
            if let Ok(statements) = rev.statements(direction, dialect) {
                // No section at all: a downgrade that only raises stays
                // irreversible.
                if rev.section(direction, dialect).is_some() {
                    sections.push((direction, dialect, statements.into_iter().map(|s| s.sql).collect()));
                }
            }
        }
    }
    sections
}

/// Writes the `.sql` beside `rev`; never over a file already there.
fn write(path: &Path, rev: &Revision, sections: &[(Direction, Dialect, Vec<String>)], how: &str) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} exists already; retort import never overwrites a file", path.display()));
    }
    let name = rev.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut text = format!(
        "-- The SQL of {name} ({}), {how}.\n-- retort runs it instead of the Python body; the header stays the .py's.\n",
        rev.id
    );
    for (direction, dialect, statements) in sections {
        text.push_str(&format!("\n-- {}: {}\n", direction.name(), dialect.name()));
        for statement in statements {
            text.push_str(statement);
            text.push_str(";\n");
        }
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn revision_of<'r>(revisions: &[&'r Revision], path: &Path) -> Option<&'r Revision> {
    revisions.iter().copied().find(|r| r.path == path)
}

/// A revision whose downgrade() only raises (retort read it so).
fn raises_only(rev: Option<&Revision>) -> bool {
    rev.is_some_and(|r| r.downgrade.is_empty() && !r.untranslated.iter().any(|u| u.direction == Direction::Downgrade))
}

/// Each revision's SQL from Alembic's offline mode, run by `python` (the
/// team's environment, from the current directory so that the project's
/// modules import), or why not.
#[allow(clippy::type_complexity)]
fn capture(
    python: &Path,
    revisions: &[&Revision],
    dialects: &[Dialect],
) -> Result<Vec<(PathBuf, Result<Vec<(Direction, Dialect, Vec<String>)>, String>)>, String> {
    if revisions.is_empty() {
        return Ok(Vec::new());
    }
    let script = std::env::temp_dir().join(format!("retort-offline-sql-{}.py", std::process::id()));
    std::fs::write(&script, OFFLINE_SQL).map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let mut results: Vec<(PathBuf, Result<Vec<(Direction, Dialect, Vec<String>)>, String>)> =
        revisions.iter().map(|r| (r.path.clone(), Ok(Vec::new()))).collect();
    for &dialect in dialects {
        let name = match dialect {
            Dialect::Postgres => "postgresql",
            Dialect::MySql => "mysql",
            Dialect::Sqlite => "sqlite",
        };
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new(python)
            .arg(&script)
            .arg(name)
            .args(revisions.iter().map(|r| &r.path))
            .env("PYTHONPATH", &cwd)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !out.status.success() {
            let _ = std::fs::remove_file(&script);
            return Err(format!(
                "{} could not run Alembic: {}",
                python.display(),
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
            ));
        }
        let answer: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("Alembic's answer is not JSON: {e}"))?;
        for (path, result) in &mut results {
            let Ok(sections) = result else { continue };
            let entry = &answer[path.to_string_lossy().as_ref()];
            for (direction, key) in [(Direction::Upgrade, "upgrade"), (Direction::Downgrade, "downgrade")] {
                match (entry[key].as_array(), entry[key].get("error")) {
                    (Some(statements), _) => sections.push((
                        direction,
                        dialect,
                        statements.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
                    )),
                    // A downgrade() that only raises stays irreversible.
                    (None, _) if direction == Direction::Downgrade && raises_only(revision_of(revisions, path)) => {}
                    (None, error) => {
                        let error = error.and_then(|e| e.as_str()).unwrap_or("no answer");
                        *result = Err(format!("Alembic offline ({name}) {key}(): {error}"));
                        break;
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&script);
    Ok(results)
}
