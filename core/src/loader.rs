//! Reading a versions directory: the one loader the macro, the runtime and
//! the command line share.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::graph::RevisionGraph;
use crate::parse::{KnownNames, parse_python_revision_with, parse_sql_revision};
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

fn classify_path(path: &Path) -> Option<FileKind> {
    classify(&path.file_name()?.to_string_lossy())
}

/// Parses one revision file's text; `path` decides its kind and is named in
/// diagnostics. Returns `None` without problems for files that are not
/// revisions.
pub fn parse_revision_file(path: &Path, text: &str) -> (Option<Revision>, Vec<Diagnostic>) {
    parse_revision_file_with(path, text, &KnownNames::new())
}

/// [`parse_revision_file`], with the values of names `.py` headers import
/// (`cli.EXPAND_BRANCH`).
pub fn parse_revision_file_with(path: &Path, text: &str, known: &KnownNames) -> (Option<Revision>, Vec<Diagnostic>) {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    match classify(&name) {
        Some(FileKind::Sql) => parse_sql_revision(path, text),
        Some(FileKind::Python) => parse_python_revision_with(path, text, known),
        None => (None, Vec::new()),
    }
}

/// Where a project's revision files are: one folder or several (Alembic's
/// `version_locations`), with their subfolders when `recursive`, and the
/// values of names their `.py` headers import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionLocations {
    /// The folders, in the order they are read.
    pub dirs: Vec<PathBuf>,
    /// Alembic's `recursive_version_locations`: subfolders are read too.
    pub recursive: bool,
    /// Values for names `.py` headers import rather than bind
    /// (`branch_labels = (cli.EXPAND_BRANCH,)`).
    pub known_names: KnownNames,
    /// Leave `.py` bodies untranslated until a run needs them
    /// ([`RevisionGraph::runnable`]): reading a history costs what its
    /// headers cost.
    pub translate_when_run: bool,
}

impl VersionLocations {
    /// One folder, not recursive.
    pub fn dir(dir: impl Into<PathBuf>) -> VersionLocations {
        VersionLocations { dirs: vec![dir.into()], ..VersionLocations::default() }
    }

    /// Several folders, read in order.
    pub fn dirs(dirs: impl IntoIterator<Item = PathBuf>) -> VersionLocations {
        VersionLocations { dirs: dirs.into_iter().collect(), ..VersionLocations::default() }
    }

    /// Reads subfolders too.
    pub fn recursive(mut self, recursive: bool) -> VersionLocations {
        self.recursive = recursive;
        self
    }

    /// Translates `.py` bodies only when a run needs them.
    pub fn translating_when_run(mut self, lazily: bool) -> VersionLocations {
        self.translate_when_run = lazily;
        self
    }

    /// Gives the values of imported names.
    pub fn with_known_names(mut self, known: KnownNames) -> VersionLocations {
        self.known_names = known;
        self
    }

    /// The revision files of every folder, as Alembic walks them: folder
    /// by folder in order, each one's files by name, then its subfolders
    /// by name when recursive (files in `__pycache__` are not revisions).
    /// A file reached twice (a folder listed twice, or inside another
    /// listed one) is read once. A folder that does not exist is an
    /// error when it is the only one; among several it is skipped, as
    /// Alembic skips it, and named in the returned notes.
    pub fn revision_files(&self) -> Result<(Vec<PathBuf>, Vec<String>), Diagnostic> {
        let mut files = Vec::new();
        let mut notes = Vec::new();
        let mut missing = Vec::new();
        for dir in &self.dirs {
            if self.dirs.len() > 1 && !dir.is_dir() {
                missing.push(dir);
                notes.push(format!("the version location '{}' does not exist; it is skipped", dir.display()));
                continue;
            }
            walk(dir, self.recursive, &mut files)?;
        }
        if !self.dirs.is_empty() && missing.len() == self.dirs.len() {
            return Err(Diagnostic::error(format!(
                "none of the version locations exists: {}",
                missing.iter().map(|d| format!("'{}'", d.display())).collect::<Vec<_>>().join(", ")
            ))
            .help("relative paths in alembic.ini are relative to the current directory, as Alembic reads them; write %(here)s/… for a folder beside the file"));
        }
        // Locations that overlap (or link to one another) list a file twice;
        // one flat folder cannot.
        if self.dirs.len() > 1 || self.recursive {
            let mut seen = std::collections::HashSet::new();
            files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
        }
        Ok((files, notes))
    }
}

impl VersionLocations {
    /// The folder a new revision goes in, by Alembic's rule: the one asked
    /// for (`--version-path`), which must be a location (or, when
    /// recursive, inside one); else the only location; else the folder of
    /// the file of the first revision it is based on (`based_on`: its
    /// `Revises`, in order).
    pub fn folder_for(
        &self,
        graph: &RevisionGraph,
        based_on: &[String],
        asked: Option<&Path>,
    ) -> Result<PathBuf, String> {
        if let Some(asked) = asked {
            // Compared as Alembic compares them: made absolute against the
            // current directory, links not resolved.
            let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            let wanted = absolute(asked);
            let inside = |location: &PathBuf| {
                let location = absolute(location);
                wanted == location || (self.recursive && wanted.starts_with(&location))
            };
            return match self.dirs.iter().any(inside) {
                true => Ok(asked.to_path_buf()),
                false => Err(format!(
                    "Path {} is not represented in current version locations ({})",
                    asked.display(),
                    self.dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                )),
            };
        }
        if let [only] = self.dirs.as_slice() {
            return Ok(only.clone());
        }
        based_on
            .iter()
            .find_map(|id| graph.get(id).and_then(|r| r.path.parent()).map(Path::to_path_buf))
            .ok_or_else(|| "Multiple version locations present, please specify --version-path".to_owned())
    }
}

/// Adds the revision files of `dir` (and its subfolders when `recursive`)
/// to `files`.
fn walk(dir: &Path, recursive: bool, files: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    let in_cache = dir.file_name().is_some_and(|n| n.to_string_lossy().ends_with("__pycache__"));
    let mut subdirs = Vec::new();
    let mut here = Vec::new();
    for path in revision_files_and_dirs(dir)? {
        match path {
            Entry::Dir(sub) => subdirs.push(sub),
            Entry::File(file) if !in_cache => here.push(file),
            Entry::File(_) => {}
        }
    }
    files.extend(here);
    if recursive {
        for sub in subdirs {
            walk(&sub, true, files)?;
        }
    }
    Ok(())
}

/// A folder's entry: a subfolder or a revision file.
enum Entry {
    Dir(PathBuf),
    File(PathBuf),
}

/// The revision files of a directory, sorted by name (Alembic's load
/// order), not yet read.
pub fn revision_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    Ok(revision_files_and_dirs(dir)?
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::File(file) => Some(file),
            Entry::Dir(_) => None,
        })
        .collect())
}

/// The revision files and the subfolders of a directory, each sorted by
/// name.
fn revision_files_and_dirs(dir: &Path) -> Result<Vec<Entry>, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        let message = if err.kind() == std::io::ErrorKind::NotFound {
            format!("the versions directory '{}' does not exist", dir.display())
        } else {
            format!("cannot read the versions directory '{}': {err}", dir.display())
        };
        Diagnostic::error(message).help("create it with `retort init`, or point --dir (or the attribute's path) at the directory holding the revision files")
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Diagnostic::error(format!("cannot list '{}': {err}", dir.display())))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // As Alembic's walk: symbolic links to folders are not followed.
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            found.push((name.to_owned(), Entry::Dir(entry.path())));
        } else if classify(name).is_some() {
            found.push((name.to_owned(), Entry::File(entry.path())));
        }
    }
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(found.into_iter().map(|(_, entry)| entry).collect())
}

/// One revision file of a versions directory, as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileRead {
    /// The file.
    pub path: PathBuf,
    /// Its text; `None` when it could not be read or is not UTF-8.
    pub text: Option<String>,
    /// True when a revision, or the SQL of one, came out of it (false for a
    /// file whose header could not be parsed, or could not be read).
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
    /// What was noticed on the way that is not a problem (a version
    /// location that does not exist, among several).
    pub notes: Vec<String>,
}

impl LoadedDir {
    /// Reads, parses and validates the revision files of `dir`. A file that
    /// cannot be read or parsed hides only the graph errors it might
    /// explain (links to an id its name holds); every other problem is
    /// reported with it.
    pub fn read(dir: &Path) -> LoadedDir {
        LoadedDir::read_locations(&VersionLocations::dir(dir))
    }

    /// Reads, parses and validates the revision files of every version
    /// location, as one graph.
    pub fn read_locations(locations: &VersionLocations) -> LoadedDir {
        let (paths, notes) = match locations.revision_files() {
            Ok(found) => found,
            Err(problem) => {
                let mut problems = Diagnostics::new();
                problems.push(problem);
                return LoadedDir { files: Vec::new(), graph: Err(problems), notes: Vec::new() };
            }
        };
        let mut problems = Diagnostics::new();
        let mut revisions = Vec::with_capacity(paths.len());
        let mut files = Vec::with_capacity(paths.len());
        let pythons: std::collections::HashSet<&Path> =
            paths.iter().filter(|p| p.extension().is_some_and(|e| e == "py")).map(PathBuf::as_path).collect();
        // The `.sql` beside a `.py` of the same name holds that revision's SQL.
        let python_of = |path: &Path| {
            let python = path.with_extension("py");
            (path.extension().is_some_and(|e| e == "sql") && pythons.contains(python.as_path())).then_some(python)
        };
        let mut bodies = Vec::new();
        for path in paths.iter().cloned() {
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
            if let (Some(text), Some(python)) = (&text, python_of(&path)) {
                let (body, found) = crate::parse::parse_sql_body(&path, text, &python);
                problems.extend(found);
                bodies.push((python, path.clone(), body));
                files.push(FileRead { path, text: Some(text.clone()), parsed: true });
                continue;
            }
            if let Some(text) = &text {
                let pending = locations.translate_when_run && classify_path(&path) == Some(FileKind::Python);
                let (revision, found) = if pending {
                    crate::parse::python::parse_python(&path, text, &locations.known_names, false)
                } else {
                    parse_revision_file_with(&path, text, &locations.known_names)
                };
                problems.extend(found);
                if let Some(revision) = revision {
                    revisions.push(revision);
                    parsed = true;
                }
            }
            files.push(FileRead { path, text, parsed });
        }
        for (python, sql_file, body) in bodies {
            if let Some(revision) = revisions.iter_mut().find(|r| r.path == python) {
                revision.upgrade = body.upgrade;
                revision.downgrade = body.downgrade;
                revision.transactional = body.transactional;
                revision.checksum = body.checksum;
                revision.sql_file = Some(sql_file);
                revision.untranslated.clear();
                revision.body_pending = false;
            }
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
        let mut loaded = LoadedDir { files, graph, notes };
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

/// [`load_dir`] over several version locations.
pub fn load_locations(locations: &VersionLocations) -> Result<RevisionGraph, Diagnostics> {
    LoadedDir::read_locations(locations).graph
}
