//! An Alembic project's configuration as Alembic 1.16+ reads it: the main
//! section of an ini file (`[alembic]`, or the one `-n` names) and
//! `[tool.alembic]` in `pyproject.toml`, option by option, the ini first.
//!
//! What retort takes from it: where the revisions are (`script_location`,
//! `version_locations` split by `path_separator`,
//! `recursive_version_locations`), the database (`sqlalchemy.url`, in the
//! ini only, as Alembic's `env.py` reads it) and retort's own
//! `version_table` / `version_table_schema` (Alembic sets those in
//! `env.py`). Relative paths are relative to the current directory, as
//! Alembic resolves them; `%(here)s` is the folder of the file that says it.

use std::path::{Path, PathBuf};

use crate::ini::Ini;

/// The files a configuration is read from, already loaded.
#[derive(Debug, Clone, Copy)]
pub struct ConfigFiles<'a> {
    /// The ini file (`alembic.ini`, or `-c FILE`): its path and text.
    pub ini: Option<(&'a Path, &'a str)>,
    /// `pyproject.toml`: its path and text.
    pub pyproject: Option<(&'a Path, &'a str)>,
    /// The ini section holding the main options (`-n`; `alembic`).
    pub section: &'a str,
    /// The directory relative paths are resolved against.
    pub cwd: &'a Path,
}

/// What an Alembic project's configuration says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlembicConfig {
    /// `script_location`, resolved.
    pub script_location: Option<PathBuf>,
    /// Every folder revisions are read from: `version_locations`, else
    /// `<script_location>/versions`; empty when neither is set.
    pub version_locations: Vec<PathBuf>,
    /// `recursive_version_locations`: subfolders are read too.
    pub recursive: bool,
    /// `sqlalchemy.url`, as written (SQLAlchemy's form).
    pub url: Option<String>,
    /// `version_table` (a retort extension; Alembic sets it in `env.py`).
    pub version_table: Option<String>,
    /// `version_table_schema` (likewise).
    pub version_table_schema: Option<String>,
    /// Things said about the configuration that do not stop it (Alembic's
    /// deprecation warnings).
    pub notes: Vec<String>,
}

impl AlembicConfig {
    /// Reads the configuration from `files`, the ini's options winning over
    /// `[tool.alembic]`'s as in Alembic. Errors name the file, and the
    /// line where known.
    ///
    /// ```
    /// use std::path::Path;
    /// use retort_core::alembic_config::{AlembicConfig, ConfigFiles};
    /// let ini = "[alembic]\nscript_location = %(here)s/db\npath_separator = os\nversion_locations = %(here)s/db/versions:%(here)s/db/extra\n";
    /// let files = ConfigFiles { ini: Some((Path::new("/app/alembic.ini"), ini)), pyproject: None, section: "alembic", cwd: Path::new("/app") };
    /// let config = AlembicConfig::read(&files).unwrap();
    /// assert_eq!(config.version_locations, [Path::new("/app/db/versions"), Path::new("/app/db/extra")]);
    /// ```
    pub fn read(files: &ConfigFiles<'_>) -> Result<AlembicConfig, String> {
        let ini = files.ini.map(|(path, text)| MainSection::read(path, text, files.section)).transpose()?;
        let toml = files.pyproject.map(|(path, text)| ToolAlembic::read(path, text)).transpose()?.flatten();
        let ini_value = |key: &str| ini.as_ref().map_or(Ok(None), |ini| ini.get(key));
        let mut notes = Vec::new();

        let script_location = match ini_value("script_location")? {
            Some(value) => Some(value),
            None => toml.as_ref().map(|t| t.string("script_location")).transpose()?.flatten(),
        };
        let script_location = match script_location {
            Some(location) => Some(resolve_location(&location, files.cwd, "script_location")?),
            None => None,
        };
        let listed = match ini_value("version_locations")?.filter(|v| !v.is_empty()) {
            Some(value) => {
                let ini = ini.as_ref().expect("an ini value comes from an ini");
                split_locations(&value, ini, &mut notes)?
            }
            None => toml.as_ref().map(|t| t.strings("version_locations")).transpose()?.unwrap_or_default(),
        };
        let version_locations = if listed.is_empty() {
            script_location.iter().map(|s| s.join("versions")).collect()
        } else {
            listed.iter().map(|l| resolve_location(l, files.cwd, "version_locations")).collect::<Result<Vec<_>, _>>()?
        };
        let recursive = match ini_value("recursive_version_locations")? {
            // Alembic's test: exactly `true`.
            Some(value) => value == "true",
            None => toml.as_ref().map(|t| t.boolean("recursive_version_locations")).transpose()?.unwrap_or(false),
        };
        Ok(AlembicConfig {
            script_location,
            version_locations,
            recursive,
            url: ini_value("sqlalchemy.url")?.filter(|v| !v.is_empty()),
            version_table: ini_value("version_table")?.filter(|v| !v.is_empty()),
            version_table_schema: ini_value("version_table_schema")?.filter(|v| !v.is_empty()),
            notes,
        })
    }
}

/// A path as Alembic takes it: absolute, or relative to the current
/// directory. `package:folder` (a Python package resource) cannot be
/// resolved without Python.
fn resolve_location(location: &str, cwd: &Path, key: &str) -> Result<PathBuf, String> {
    let path = Path::new(location);
    if !path.is_absolute() && location.contains(':') {
        return Err(format!(
            "{key} '{location}' names a Python package resource (package:folder), which retort cannot resolve without Python; write the folder's path instead (%(here)s/… for one beside the ini file)"
        ));
    }
    Ok(normalize(&cwd.join(path)))
}

/// `a/./b/../c` as `a/c`, without reading the file system (Python's
/// `os.path.abspath`, which Alembic's paths go through).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The ini's main section, read with `here` set to the file's folder.
struct MainSection<'a> {
    path: &'a Path,
    ini: Ini,
    section: &'a str,
}

impl<'a> MainSection<'a> {
    fn read(path: &'a Path, text: &str, section: &'a str) -> Result<MainSection<'a>, String> {
        let here = path.parent().map(|p| p.display().to_string()).unwrap_or_else(|| ".".to_owned());
        let ini = Ini::parse(text, &[("here", &here)]).map_err(|err| format!("{}: {err}", path.display()))?;
        Ok(MainSection { path, ini, section })
    }

    /// A main option, trimmed; `None` when the section lacks it.
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        if !self.ini.sections().any(|s| s == self.section) {
            return Ok(None);
        }
        let value = self.ini.get(self.section, key).map_err(|err| format!("{}: {err}", self.path.display()))?;
        Ok(value.map(|v| v.trim().to_owned()))
    }
}

/// `version_locations` split as Alembic splits it: by `path_separator`
/// (`space`, `newline`, `os`, `:`, `;`), else the deprecated
/// `version_path_separator`, else on spaces and commas with a note.
fn split_locations(value: &str, ini: &MainSection<'_>, notes: &mut Vec<String>) -> Result<Vec<String>, String> {
    let (key, separator) = match ini.get("path_separator")? {
        Some(separator) => ("path_separator", Some(separator)),
        None => match ini.get("version_path_separator")? {
            Some(separator) => {
                notes.push(format!(
                    "{}: version_path_separator is deprecated; Alembic reads path_separator now",
                    ini.path.display()
                ));
                ("version_path_separator", Some(separator))
            }
            None => ("path_separator", None),
        },
    };
    let Some(separator) = separator else {
        notes.push(format!(
            "{}: no path_separator: version_locations is split on spaces and commas, as Alembic does (deprecated there; add path_separator = os)",
            ini.path.display()
        ));
        return Ok(value.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect());
    };
    let separator = match separator.as_str() {
        "space" => ' ',
        "newline" => '\n',
        "os" if cfg!(windows) => ';',
        "os" | ":" => ':',
        ";" => ';',
        other => {
            return Err(format!(
                "{}: '{other}' is not a valid value for {key}; expected 'space', 'newline', 'os', ':', ';'",
                ini.path.display()
            ));
        }
    };
    Ok(value.split(separator).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

/// `[tool.alembic]` of a `pyproject.toml`, with `%(here)s` the file's folder.
struct ToolAlembic<'a> {
    path: &'a Path,
    table: toml::Table,
    here: String,
}

impl<'a> ToolAlembic<'a> {
    /// The table, or `None` when the file has none.
    fn read(path: &'a Path, text: &str) -> Result<Option<ToolAlembic<'a>>, String> {
        let document: toml::Table = toml::from_str(text).map_err(|err| {
            let line = err.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            format!("{}{at}: {}", path.display(), err.message())
        })?;
        let Some(tool) = document.get("tool").and_then(|t| t.get("alembic")) else { return Ok(None) };
        let Some(table) = tool.as_table() else {
            return Err(format!("{}: [tool.alembic] must be a table", path.display()));
        };
        let here = path.parent().map(|p| p.display().to_string()).unwrap_or_else(|| ".".to_owned());
        Ok(Some(ToolAlembic { path, table: table.clone(), here }))
    }

    fn wrong(&self, key: &str, expected: &str) -> String {
        format!("{}: [tool.alembic] {key} must be {expected}", self.path.display())
    }

    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => self.substitute(key, s).map(Some),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        match self.table.get(key) {
            None => Ok(Vec::new()),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => self.substitute(key, s),
                    _ => Err(self.wrong(key, "a list of strings")),
                })
                .collect(),
            Some(_) => Err(self.wrong(key, "a list of strings")),
        }
    }

    fn boolean(&self, key: &str) -> Result<bool, String> {
        match self.table.get(key) {
            None => Ok(false),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.wrong(key, "true or false (a TOML boolean, not a string)")),
        }
    }

    /// Python's `%` formatting with `here` as the only name: `%(here)s`
    /// and `%%`.
    fn substitute(&self, key: &str, value: &str) -> Result<String, String> {
        let bad = |found: &str| {
            format!(
                "{}: [tool.alembic] {key}: {found:?} is not %(here)s; write %% for a literal %",
                self.path.display()
            )
        };
        crate::ini::percent_format(value, bad, |name| match name {
            "here" => Ok(self.here.clone()),
            other => Err(bad(&format!("%({other})s"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(ini: Option<&str>, pyproject: Option<&str>, section: &str) -> Result<AlembicConfig, String> {
        AlembicConfig::read(&ConfigFiles {
            ini: ini.map(|t| (Path::new("/p/conf/alembic.ini"), t)),
            pyproject: pyproject.map(|t| (Path::new("/p/pyproject.toml"), t)),
            section,
            cwd: Path::new("/work"),
        })
    }

    #[test]
    fn the_ini_wins_option_by_option() {
        let ini = "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///a.db\n";
        let toml = "[tool.alembic]\nscript_location = \"%(here)s/other\"\nversion_locations = [\"%(here)s/v1\", \"v2\"]\nrecursive_version_locations = true\n";
        let config = read(Some(ini), Some(toml), "alembic").unwrap();
        assert_eq!(config.script_location, Some(PathBuf::from("/p/conf/migrations")));
        let ini = "[alembic]\nscript_location = %(here)s/../db/./x\n";
        assert_eq!(read(Some(ini), None, "alembic").unwrap().script_location, Some(PathBuf::from("/p/db/x")));
        assert_eq!(config.version_locations, [PathBuf::from("/p/v1"), PathBuf::from("/work/v2")]);
        assert!(config.recursive);
        assert_eq!(config.url.as_deref(), Some("sqlite:///a.db"));
        let config = read(None, Some(toml), "alembic").unwrap();
        assert_eq!(config.script_location, Some(PathBuf::from("/p/other")));
        assert_eq!(config.url, None);
    }

    #[test]
    fn the_section_is_chosen_and_a_missing_one_falls_back_to_toml() {
        let ini = "[alembic]\nscript_location = a\n[dev]\nscript_location = b\n";
        assert_eq!(read(Some(ini), None, "dev").unwrap().version_locations, [PathBuf::from("/work/b/versions")]);
        let toml = "[tool.alembic]\nscript_location = \"t\"\n";
        assert_eq!(read(Some(ini), Some(toml), "nope").unwrap().script_location, Some(PathBuf::from("/work/t")));
    }

    #[test]
    fn separators_as_alembic_splits_them() {
        let with = |sep: &str, value: &str| {
            let ini = format!("[alembic]\n{sep}version_locations = {value}\n");
            read(Some(&ini), None, "alembic").map(|c| (c.version_locations, c.notes.len()))
        };
        let ab = vec![PathBuf::from("/work/a"), PathBuf::from("/work/b")];
        assert_eq!(with("", "a, b").unwrap(), (ab.clone(), 1));
        assert_eq!(with("path_separator = ;\n", "a ; b").unwrap(), (ab.clone(), 0));
        assert_eq!(with("path_separator = newline\n", "\n  a\n  b").unwrap(), (ab.clone(), 0));
        assert_eq!(with("path_separator = space\n", "a b").unwrap(), (ab.clone(), 0));
        assert_eq!(with("version_path_separator = :\n", "a:b").unwrap(), (ab, 1));
        let err = with("path_separator = ,\n", "a,b").unwrap_err();
        assert!(err.contains("',' is not a valid value for path_separator"), "{err}");
    }

    #[test]
    fn booleans_and_types_are_checked_as_alembic_checks_them() {
        let ini = "[alembic]\nscript_location = a\nrecursive_version_locations = True\n";
        assert!(!read(Some(ini), None, "alembic").unwrap().recursive, "only `true` is true");
        let toml = "[tool.alembic]\nscript_location = \"a\"\nrecursive_version_locations = \"true\"\n";
        assert!(read(None, Some(toml), "alembic").unwrap_err().contains("TOML boolean"));
        let toml = "[tool.alembic]\nscript_location = \"%(rev)s\"\n";
        assert!(read(None, Some(toml), "alembic").unwrap_err().contains("is not %(here)s"));
        let err = read(Some("[alembic]\nscript_location = myapp:migrations\n"), None, "alembic").unwrap_err();
        assert!(err.contains("package resource"), "{err}");
        let err = read(None, Some("[tool.alembic\n"), "alembic").unwrap_err();
        assert!(err.starts_with("/p/pyproject.toml:1:"), "{err}");
    }

    #[test]
    fn nothing_set_means_no_locations() {
        assert_eq!(read(Some("[loggers]\nkeys = root\n"), None, "alembic").unwrap(), AlembicConfig::default());
        assert_eq!(read(None, Some("[tool.black]\n"), "alembic").unwrap(), AlembicConfig::default());
    }
}
