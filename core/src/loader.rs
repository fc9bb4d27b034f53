//! Reading a versions directory: the one loader the macro, the runtime and
//! the command line share.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::graph::RevisionGraph;
use crate::parse::{parse_python_revision, parse_sql_revision};
use crate::revision::Revision;

/// What kind of file a versions directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A retort `.sql` revision.
    Sql,
    /// An Alembic `.py` revision.
    Python,
}

/// Whether a file in a versions directory is a revision, and which kind.
///
/// `.sql` and `.py` files are revisions; hidden files, editor backups and
/// lock files (`.#name.py`), `__init__.py`, `README`, `.keep` and anything
/// else are not, as Alembic skips them.
///
/// ```
/// use retort_core::loader::{classify, FileKind};
/// assert_eq!(classify("2d970929c35a_add_offers.sql"), Some(FileKind::Sql));
/// assert_eq!(classify("3dda56f1c4c6_migrate.py"), Some(FileKind::Python));
/// assert_eq!(classify("__init__.py"), None);
/// assert_eq!(classify(".#3dda56f1c4c6_migrate.py"), None);
/// assert_eq!(classify("2d97_add_offers.sql~"), None);
/// ```
pub fn classify(file_name: &str) -> Option<FileKind> {
    if file_name.starts_with('.') || file_name.starts_with("__init__") {
        return None;
    }
    if file_name.ends_with(".sql") {
        Some(FileKind::Sql)
    } else if file_name.ends_with(".py") {
        Some(FileKind::Python)
    } else {
        None
    }
}

/// Parses one revision file's text; `path` decides its kind and is named in
/// diagnostics. Returns `None` without problems for files that are not
/// revisions.
pub fn parse_revision_file(path: &Path, text: &str) -> (Option<Revision>, Vec<Diagnostic>) {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    match classify(&name) {
        Some(FileKind::Sql) => parse_sql_revision(path, text),
        Some(FileKind::Python) => parse_python_revision(path, text),
        None => (None, Vec::new()),
    }
}

/// The revision files of a directory, sorted by name (Alembic's load
/// order), not yet read.
pub fn revision_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        let message = if err.kind() == std::io::ErrorKind::NotFound {
            format!("the versions directory '{}' does not exist", dir.display())
        } else {
            format!("cannot read the versions directory '{}': {err}", dir.display())
        };
        Diagnostic::error(message).help("create it with `retort init`, or point --dir (or the attribute's path) at the directory holding the revision files")
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Diagnostic::error(format!("cannot list '{}': {err}", dir.display())))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if classify(name).is_some() && entry.file_type().map(|t| !t.is_dir()).unwrap_or(false) {
            files.push(entry.path());
        }
    }
    files.sort_unstable_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Reads and parses every revision file of `dir`, in load order, with every
/// problem found in them.
pub fn read_dir(dir: &Path) -> (Vec<Revision>, Diagnostics, bool) {
    let mut problems = Diagnostics::new();
    let files = match revision_files(dir) {
        Ok(files) => files,
        Err(problem) => {
            problems.push(problem);
            return (Vec::new(), problems, true);
        }
    };
    let mut revisions = Vec::with_capacity(files.len());
    let mut incomplete = false;
    for path in files {
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    problems
                        .push(Diagnostic::error("the file is not UTF-8 text").in_file(&path).help("save it as UTF-8"));
                    incomplete = true;
                    continue;
                }
            },
            Err(err) => {
                problems.push(
                    Diagnostic::error(format!("cannot read the file: {err}"))
                        .in_file(&path)
                        .help("check its permissions"),
                );
                incomplete = true;
                continue;
            }
        };
        let (revision, found) = parse_revision_file(&path, &text);
        let failed = found.iter().any(Diagnostic::is_error);
        problems.extend(found);
        match revision {
            Some(revision) => revisions.push(revision),
            None if failed => incomplete = true,
            None => {}
        }
    }
    (revisions, problems, incomplete)
}

/// Reads a versions directory and validates its graph: the whole pipeline
/// `retort check` runs. On failure, every problem in every file is returned.
///
/// ```no_run
/// let graph = retort_core::load_dir("alembic/versions".as_ref()).unwrap_or_else(|problems| {
///     eprintln!("{problems}");
///     std::process::exit(1);
/// });
/// println!("heads: {:?}", graph.heads());
/// ```
pub fn load_dir(dir: &Path) -> Result<RevisionGraph, Diagnostics> {
    let (revisions, mut problems, incomplete) = read_dir(dir);
    if revisions.is_empty() && problems.has_errors() {
        return Err(problems);
    }
    match RevisionGraph::build(revisions, incomplete) {
        Ok(graph) if !problems.has_errors() => Ok(graph),
        Ok(_) => {
            problems.sort();
            Err(problems)
        }
        Err(graph_problems) => {
            problems.extend(graph_problems);
            problems.sort();
            Err(problems)
        }
    }
}
