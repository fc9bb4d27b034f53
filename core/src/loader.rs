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

/// One revision file of a versions directory, as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileRead {
    /// The file.
    pub path: PathBuf,
    /// Its text; `None` when it could not be read or is not UTF-8.
    pub text: Option<String>,
    /// True when a revision came out of it (false for a file whose header
    /// could not be parsed, or could not be read).
    pub parsed: bool,
}

/// A versions directory read once: every revision file with its text, the
/// revisions parsed from them and every problem in them, and the graph
/// when they validate. The macro, the runtime and the command line all
/// start here.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoadedDir {
    /// Every revision file, in load order (by name); those `parsed` are,
    /// in the same order, the graph's revisions.
    pub files: Vec<FileRead>,
    /// The validated graph, or every problem in the files and the graph,
    /// sorted by file and line.
    pub graph: Result<RevisionGraph, Diagnostics>,
}

impl LoadedDir {
    /// Reads, parses and validates the revision files of `dir`. A file that
    /// cannot be read or parsed hides only the graph errors it might
    /// explain (links to an id its name holds); every other problem is
    /// reported with it.
    pub fn read(dir: &Path) -> LoadedDir {
        let paths = match revision_files(dir) {
            Ok(paths) => paths,
            Err(problem) => {
                let mut problems = Diagnostics::new();
                problems.push(problem);
                return LoadedDir { files: Vec::new(), graph: Err(problems) };
            }
        };
        let mut problems = Diagnostics::new();
        let mut revisions = Vec::with_capacity(paths.len());
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let text = match std::fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Some(text),
                    Err(_) => {
                        problems.push(
                            Diagnostic::error("the file is not UTF-8 text").in_file(&path).help("save it as UTF-8"),
                        );
                        None
                    }
                },
                Err(err) => {
                    problems.push(
                        Diagnostic::error(format!("cannot read the file: {err}"))
                            .in_file(&path)
                            .help("check its permissions"),
                    );
                    None
                }
            };
            let mut parsed = false;
            if let Some(text) = &text {
                let (revision, found) = parse_revision_file(&path, text);
                problems.extend(found);
                if let Some(revision) = revision {
                    revisions.push(revision);
                    parsed = true;
                }
            }
            files.push(FileRead { path, text, parsed });
        }
        let unreadable: Vec<PathBuf> = files.iter().filter(|f| !f.parsed).map(|f| f.path.clone()).collect();
        let graph = match RevisionGraph::build(revisions, &unreadable) {
            Ok(graph) if !problems.has_errors() => Ok(graph),
            Ok(_) => Err(problems),
            Err(graph_problems) => {
                problems.extend(graph_problems);
                Err(problems)
            }
        };
        let mut loaded = LoadedDir { files, graph };
        loaded.add_sources();
        loaded
    }

    /// Source lines for the graph's problems and warnings, from the texts
    /// read (the files are not read again).
    fn add_sources(&mut self) {
        let files = &self.files;
        let text_of = |path: &Path| {
            files.iter().find(|f| f.path == path).and_then(|f| f.text.as_deref()).map(std::borrow::Cow::Borrowed)
        };
        match &mut self.graph {
            Ok(graph) => graph.warnings_mut().add_sources(text_of),
            Err(problems) => {
                problems.add_sources(text_of);
                problems.sort();
            }
        }
    }
}

/// The problem of a directory that holds no revision files, where one
/// was expected (the macro; `check` counts 0 revisions).
pub fn empty_directory(dir: &Path) -> Diagnostic {
    Diagnostic::error(format!("the versions directory '{}' holds no revision files", dir.display())).help(
        "create the first with `retort revision -m \"…\"`, or point the attribute (or --dir) at the directory that holds them",
    )
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
    LoadedDir::read(dir).graph
}
