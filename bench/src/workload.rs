//! The workload every tool gets: N one-statement revisions, cycling create
//! table / add column / create index, written in each tool's own format.

use std::path::Path;

use crate::workers::Tool;

/// The upgrade and downgrade statements of revision `i` (0-based).
pub fn statements(i: usize) -> (String, String) {
    match i % 3 {
        0 => (format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT)"), format!("DROP TABLE t{i}")),
        1 => (
            format!("ALTER TABLE t{} ADD COLUMN c{i} INTEGER", i - 1),
            format!("ALTER TABLE t{} DROP COLUMN c{i}", i - 1),
        ),
        _ => (format!("CREATE INDEX i{i} ON t{} (name)", i - 2), format!("DROP INDEX i{i}")),
    }
}

/// Writes `tool`'s files for `n` revisions into `dir`: a versions
/// directory, or for the raw baseline one script of all the statements.
pub fn write(tool: Tool, dir: &Path, n: usize) -> std::io::Result<()> {
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions)?;
    let mut raw = String::new();
    for i in 0..n {
        let (up, down) = statements(i);
        match tool {
            Tool::Raw => {
                raw.push_str(&up);
                raw.push_str(";\n");
            }
            Tool::Retort => {
                let id = format!("{i:012x}");
                let revises = if i == 0 { String::new() } else { format!("{:012x}", i - 1) };
                let text = format!(
                    "-- Revision {i}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{up};\n\n-- downgrade\n{down};\n"
                );
                std::fs::write(versions.join(format!("{id}_revision_{i}.sql")), text)?;
            }
            Tool::Sqlx => std::fs::write(versions.join(format!("{:06}_revision_{i}.sql", i + 1)), format!("{up};\n"))?,
            Tool::Refinery => {
                std::fs::write(versions.join(format!("V{}__revision_{i}.sql", i + 1)), format!("{up};\n"))?
            }
        }
    }
    if tool == Tool::Raw {
        std::fs::write(dir.join("raw.sql"), raw)?;
    }
    Ok(())
}

/// Edits one revision in the middle of the set the way a developer would
/// (a comment in its SQL), for the incremental-rebuild measurement.
pub fn edit_one(tool: Tool, dir: &Path, round: usize) -> std::io::Result<()> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir.join("versions"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort();
    let Some(file) = files.get(files.len() / 2) else { return Ok(()) };
    let mut text = std::fs::read_to_string(file)?;
    match tool {
        Tool::Retort => text = text.replacen("-- upgrade\n", &format!("-- upgrade\n-- edit {round}\n"), 1),
        _ => text.push_str(&format!("-- edit {round}\n")),
    }
    std::fs::write(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("retort-bench-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn every_tool_gets_the_same_statements() {
        let n = 7;
        let dir = temp("same");
        for tool in Tool::ALL {
            write(tool, &dir.join(tool.name()), n).unwrap();
        }
        let raw = std::fs::read_to_string(dir.join("raw/raw.sql")).unwrap();
        assert_eq!(raw.lines().count(), n);
        for tool in [Tool::Sqlx, Tool::Refinery] {
            let mut files: Vec<_> =
                std::fs::read_dir(dir.join(tool.name()).join("versions")).unwrap().map(|e| e.unwrap().path()).collect();
            // Both order their files by the number in front.
            files.sort_by_key(|f| {
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                name.trim_start_matches('V').split('_').next().unwrap().parse::<usize>().unwrap()
            });
            let joined: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
            assert_eq!(joined, raw, "{}", tool.name());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn retorts_revisions_are_one_valid_chain() {
        let dir = temp("chain");
        write(Tool::Retort, &dir, 30).unwrap();
        let graph = retort_core::load_dir(&dir.join("versions")).unwrap();
        assert_eq!(graph.len(), 30);
        assert_eq!(graph.heads(), [format!("{:012x}", 29)]);
        let plan = graph.plan_upgrade(retort_core::AT_BASE, "head").unwrap();
        assert_eq!(plan.revision_ids().len(), 30);
        assert_eq!(graph.get(&format!("{:012x}", 1)).unwrap().upgrade[0].sql.trim(), format!("{};", statements(1).0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_edit_changes_one_file() {
        let dir = temp("edit");
        write(Tool::Retort, &dir, 5).unwrap();
        let read = |d: &Path| -> Vec<String> {
            let mut files: Vec<_> = std::fs::read_dir(d.join("versions")).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
        };
        let before = read(&dir);
        edit_one(Tool::Retort, &dir, 0).unwrap();
        let after = read(&dir);
        assert_eq!(before.iter().zip(&after).filter(|(a, b)| a != b).count(), 1);
        // The edited revision still parses.
        assert_eq!(retort_core::load_dir(&dir.join("versions")).unwrap().len(), 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
