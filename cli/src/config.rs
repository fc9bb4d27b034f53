//! Where the command line finds its settings, strongest first:
//!
//! 1. flags (`--dir`, `--database-url`, `--version-table`);
//! 2. the Alembic configuration named with `-c FILE` (or `ALEMBIC_CONFIG`),
//!    its main section chosen with `-n`;
//! 3. `DATABASE_URL` (for the URL);
//! 4. `retort.toml`;
//! 5. the Alembic configuration found in the current directory
//!    (`alembic.ini` and `[tool.alembic]` in `pyproject.toml`), so that an
//!    Alembic project runs `retort current` with no setup.

use std::path::{Path, PathBuf};

use retort_core::KnownNames;
use retort_core::VersionLocations;
use retort_core::alembic_config::{AlembicConfig, ConfigFiles};

/// The settings a command runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where the revisions are read from.
    pub locations: VersionLocations,
    /// The versions directory `init` creates (the first location).
    pub dir: PathBuf,
    /// The database URL (sqlx form), if any.
    pub database_url: Option<String>,
    /// The version table.
    pub version_table: String,
    /// Its schema.
    pub version_table_schema: Option<String>,
    /// The schema file autogenerate and `check --schema` read.
    pub schema_file: PathBuf,
    /// `check` does not report several heads: the project has them by design.
    pub allow_multiple_heads: bool,
    /// `check` does not report several bases.
    pub allow_multiple_bases: bool,
    /// What was noticed about the configuration (Alembic's deprecations).
    pub notes: Vec<String>,
}

/// What a configuration file says; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// The versions directory (relative to the file's folder).
    pub dir: Option<PathBuf>,
    /// The database URL.
    pub database_url: Option<String>,
    /// The version table.
    pub version_table: Option<String>,
    /// Its schema.
    pub version_table_schema: Option<String>,
    /// The schema file (relative to the file's folder), `schema.sql` by
    /// default.
    pub schema_file: Option<PathBuf>,
    /// Values for names `.py` headers import (`"cli.EXPAND_BRANCH" =
    /// "expand"`).
    #[serde(default)]
    pub python_names: KnownNames,
    /// Several heads are meant: `check` does not report them.
    #[serde(default)]
    pub allow_multiple_heads: bool,
    /// Several bases are meant: `check` does not report them.
    #[serde(default)]
    pub allow_multiple_bases: bool,
}

/// The keys `retort.toml` knows, for its error messages.
const RETORT_TOML_KEYS: &str = "dir, database_url, version_table, version_table_schema, schema_file, allow_multiple_heads, allow_multiple_bases, [python_names]";

/// Reads `retort.toml`; `dir` and `schema_file` are relative to `base`.
pub fn parse_retort_toml(text: &str, base: &Path) -> Result<FileSettings, String> {
    let mut settings: FileSettings = toml::from_str(text).map_err(|err| {
        let at = err.span().map(|span| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(":{line}")
        });
        format!("retort.toml{}: {}; the keys are {RETORT_TOML_KEYS}", at.unwrap_or_default(), err.message())
    })?;
    settings.dir = settings.dir.map(|dir| base.join(dir));
    settings.schema_file = settings.schema_file.map(|file| base.join(file));
    Ok(settings)
}

/// The Alembic configuration files a command line names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigArgs {
    /// `-c FILE`, repeatable: an ini file, or a `pyproject.toml`.
    pub config: Vec<PathBuf>,
    /// `-n NAME`: the ini section with the main options.
    pub name: Option<String>,
    /// `ALEMBIC_CONFIG`, used for whichever kind `-c` did not name.
    pub alembic_config_env: Option<PathBuf>,
}

/// An Alembic configuration and whether the user named it.
struct Alembic {
    config: AlembicConfig,
    named: bool,
}

/// Reads the Alembic configuration as Alembic finds it: `-c` values (a
/// file called `pyproject.toml` is the TOML one, any other the ini), then
/// `ALEMBIC_CONFIG`, then `alembic.ini` and `pyproject.toml` in `cwd`.
fn read_alembic(args: &ConfigArgs, cwd: &Path) -> Result<Option<Alembic>, String> {
    let is_toml = |p: &Path| p.file_name().is_some_and(|n| n == "pyproject.toml");
    let (tomls, inis): (Vec<&PathBuf>, Vec<&PathBuf>) = args.config.iter().partition(|p| is_toml(p));
    if tomls.len() > 1 {
        return Err("pyproject.toml indicated more than once (-c)".to_owned());
    }
    if inis.len() > 1 {
        return Err("only one ini file may be indicated (-c)".to_owned());
    }
    let from_env = |toml: bool| args.alembic_config_env.clone().filter(|p| is_toml(p) == toml);
    let ini_named = inis.first().map(|p| cwd.join(p)).or_else(|| from_env(false).map(|p| cwd.join(p)));
    let toml_named = tomls.first().map(|p| cwd.join(p)).or_else(|| from_env(true).map(|p| cwd.join(p)));
    let named = ini_named.is_some() || toml_named.is_some() || args.name.is_some();
    let read = |named: Option<PathBuf>, default: &str| -> Result<Option<(PathBuf, String)>, String> {
        match named {
            Some(path) => std::fs::read_to_string(&path)
                .map(|text| Some((path.clone(), text)))
                .map_err(|err| format!("cannot read the configuration file {}: {err}", path.display())),
            None => Ok(std::fs::read_to_string(cwd.join(default)).ok().map(|text| (cwd.join(default), text))),
        }
    };
    let ini = read(ini_named, "alembic.ini")?;
    let pyproject = read(toml_named, "pyproject.toml")?;
    if ini.is_none() && pyproject.is_none() {
        return Ok(None);
    }
    let section = args.name.as_deref().unwrap_or("alembic");
    if let (Some(name), Some((path, text))) = (&args.name, &ini) {
        let sections = retort_core::ini::Ini::parse(text, &[]).map_err(|e| format!("{}: {e}", path.display()))?;
        if !sections.sections().any(|s| s == name) {
            return Err(format!(
                "No config file {} found, or file has no '[{name}]' section (-n {name}); its sections: {}",
                path.display(),
                sections.sections().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let files = ConfigFiles {
        ini: ini.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
        pyproject: pyproject.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
        section,
        cwd,
    };
    let config = AlembicConfig::read(&files)?;
    if named && config.version_locations.is_empty() {
        let file = ini.as_ref().or(pyproject.as_ref()).map(|(p, _)| p.display().to_string()).unwrap_or_default();
        return Err(format!(
            "No 'script_location' key found in configuration ({file}, section [{section}]): set script_location (or version_locations) there"
        ));
    }
    Ok(Some(Alembic { config, named }))
}

/// A SQLAlchemy URL in sqlx's words: drivers dropped
/// (`postgresql+psycopg2://` → `postgres://`, `mysql+pymysql://` →
/// `mysql://`), SQLite paths kept (`sqlite:///app.db` is relative,
/// `sqlite:////abs/app.db` absolute, `sqlite://` in memory).
///
/// ```text
/// postgresql+psycopg2://u:p@h/db  → postgres://u:p@h/db
/// sqlite:///relative.db           → sqlite://relative.db
/// sqlite:////abs.db               → sqlite:///abs.db
/// ```
pub fn sqlalchemy_to_sqlx(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let dialect = scheme.split('+').next().unwrap_or(scheme);
    match dialect {
        "postgresql" | "postgres" => format!("postgres://{rest}"),
        "mysql" | "mariadb" => format!("mysql://{rest}"),
        "sqlite" => match rest.strip_prefix('/') {
            None | Some("") if rest.is_empty() || rest == "/" => "sqlite::memory:".to_owned(),
            Some(path) => format!("sqlite://{path}"),
            None => format!("sqlite://{rest}"),
        },
        _ => url.to_owned(),
    }
}

/// The flags that settle a setting on their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--dir`.
    pub dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `DATABASE_URL`.
    pub database_url_env: Option<String>,
    /// `--version-table`.
    pub version_table: Option<String>,
}

/// Merges flags, environment and files, in the order the module names.
pub fn resolve(flags: Flags, config: &ConfigArgs, cwd: &Path) -> Result<Settings, String> {
    let toml = match std::fs::read_to_string(cwd.join("retort.toml")) {
        Ok(text) => parse_retort_toml(&text, cwd)?,
        Err(_) => FileSettings::default(),
    };
    let alembic = read_alembic(config, cwd)?;
    let (named, found) = match alembic {
        Some(Alembic { config, named: true }) => (Some(config), None),
        Some(Alembic { config, named: false }) => (None, Some(config)),
        None => (None, None),
    };
    let notes = named.iter().chain(&found).flat_map(|c| c.notes.clone()).collect();
    let from_alembic = |config: &Option<AlembicConfig>| {
        config
            .as_ref()
            .filter(|c| !c.version_locations.is_empty())
            .map(|c| VersionLocations::dirs(c.version_locations.iter().cloned()).recursive(c.recursive))
    };
    let locations = flags
        .dir
        .map(VersionLocations::dir)
        .or_else(|| from_alembic(&named))
        .or_else(|| toml.dir.clone().map(VersionLocations::dir))
        .or_else(|| from_alembic(&found))
        .unwrap_or_else(|| VersionLocations::dir("alembic/versions"))
        .with_known_names(toml.python_names);
    let url = |config: &Option<AlembicConfig>| config.as_ref().and_then(|c| c.url.as_deref()).map(sqlalchemy_to_sqlx);
    let field = |config: &Option<AlembicConfig>, pick: fn(&AlembicConfig) -> &Option<String>| {
        config.as_ref().and_then(|c| pick(c).clone())
    };
    Ok(Settings {
        dir: locations.dirs[0].clone(),
        locations,
        database_url: flags
            .database_url
            .or_else(|| url(&named))
            .or(flags.database_url_env)
            .or(toml.database_url)
            .or_else(|| url(&found)),
        version_table: flags
            .version_table
            .or_else(|| field(&named, |c| &c.version_table))
            .or(toml.version_table)
            .or_else(|| field(&found, |c| &c.version_table))
            .unwrap_or_else(|| "alembic_version".to_owned()),
        version_table_schema: field(&named, |c| &c.version_table_schema)
            .or(toml.version_table_schema)
            .or_else(|| field(&found, |c| &c.version_table_schema)),
        schema_file: toml.schema_file.unwrap_or_else(|| cwd.join("schema.sql")),
        allow_multiple_heads: toml.allow_multiple_heads,
        allow_multiple_bases: toml.allow_multiple_bases,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_urls_become_sqlx_urls() {
        assert_eq!(sqlalchemy_to_sqlx("postgresql://u:p@h:5432/db"), "postgres://u:p@h:5432/db");
        assert_eq!(sqlalchemy_to_sqlx("postgresql+psycopg2://u@h/db"), "postgres://u@h/db");
        assert_eq!(sqlalchemy_to_sqlx("mysql+pymysql://root@127.0.0.1/test"), "mysql://root@127.0.0.1/test");
        assert_eq!(sqlalchemy_to_sqlx("sqlite:///relative.db"), "sqlite://relative.db");
        assert_eq!(sqlalchemy_to_sqlx("sqlite:////abs/app.db"), "sqlite:///abs/app.db");
        assert_eq!(sqlalchemy_to_sqlx("sqlite://"), "sqlite::memory:");
    }

    #[test]
    fn retort_toml_is_read_and_unknown_keys_are_errors() {
        let settings =
            parse_retort_toml("# comment\ndir = \"db/versions\"\ndatabase_url = \"sqlite://x.db\"\n", Path::new("/p"))
                .unwrap();
        assert_eq!(settings.dir, Some(PathBuf::from("/p/db/versions")));
        let err = parse_retort_toml("dir = \"a\"\ndirectory = \"x\"", Path::new("/p")).unwrap_err();
        assert!(err.starts_with("retort.toml:2: unknown field `directory`"), "{err}");
        let err = parse_retort_toml("dir = 3", Path::new("/p")).unwrap_err();
        assert!(err.starts_with("retort.toml:1: invalid type"), "{err}");
    }

    /// A folder of its own under the temporary directory.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("retort-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn flags_win_over_files() {
        let dir = scratch_dir("flags");
        std::fs::write(
            dir.join("alembic.ini"),
            "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///from_ini.db\n",
        )
        .unwrap();
        let settings = resolve(Flags::default(), &ConfigArgs::default(), &dir).unwrap();
        assert_eq!(settings.dir, dir.join("alembic/versions"));
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://from_ini.db"));
        let flags =
            Flags { dir: Some("other".into()), database_url: Some("sqlite://flag.db".into()), ..Flags::default() };
        let settings = resolve(flags, &ConfigArgs::default(), &dir).unwrap();
        assert_eq!(settings.dir, PathBuf::from("other"));
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://flag.db"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_named_configuration_wins_over_the_environment_and_retort_toml() {
        let dir = scratch_dir("named");
        std::fs::create_dir_all(dir.join("conf")).unwrap();
        std::fs::write(
            dir.join("conf/dev.ini"),
            "[alembic]\nscript_location = %(here)s/db\nsqlalchemy.url = sqlite:///dev.db\n[other]\nscript_location = x\n",
        )
        .unwrap();
        std::fs::write(dir.join("retort.toml"), "dir = \"toml_versions\"\ndatabase_url = \"sqlite://toml.db\"\n")
            .unwrap();
        let env = Flags { database_url_env: Some("sqlite://env.db".into()), ..Flags::default() };
        let settings = resolve(env.clone(), &ConfigArgs::default(), &dir).unwrap();
        assert_eq!(settings.dir, dir.join("toml_versions"), "retort.toml wins over a found alembic.ini");
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://env.db"));
        let named = ConfigArgs { config: vec!["conf/dev.ini".into()], ..ConfigArgs::default() };
        let settings = resolve(env.clone(), &named, &dir).unwrap();
        assert_eq!(settings.dir, dir.join("conf/db/versions"));
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://dev.db"));
        let section = ConfigArgs { name: Some("other".into()), ..named.clone() };
        assert_eq!(resolve(env.clone(), &section, &dir).unwrap().dir, dir.join("x/versions"));
        let missing = ConfigArgs { name: Some("prod".into()), ..named };
        let err = resolve(env.clone(), &missing, &dir).unwrap_err();
        assert!(err.contains("no '[prod]' section") && err.contains("alembic, other"), "{err}");
        let twice = ConfigArgs { config: vec!["a.ini".into(), "b.ini".into()], ..ConfigArgs::default() };
        assert!(resolve(env.clone(), &twice, &dir).unwrap_err().contains("only one ini file"));
        let absent = ConfigArgs { config: vec!["nope.ini".into()], ..ConfigArgs::default() };
        assert!(resolve(env, &absent, &dir).unwrap_err().contains("cannot read the configuration file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pyproject_alone_and_the_environment_variable_name_the_configuration() {
        let dir = scratch_dir("pyproject");
        std::fs::write(
            dir.join("pyproject.toml"),
            "[project]\nname = \"x\"\n[tool.alembic]\nscript_location = \"%(here)s/migrations\"\nversion_locations = [\"%(here)s/a\", \"%(here)s/b\"]\n",
        )
        .unwrap();
        std::fs::write(dir.join("other.ini"), "[alembic]\nscript_location = elsewhere\n").unwrap();
        let settings = resolve(Flags::default(), &ConfigArgs::default(), &dir).unwrap();
        assert_eq!(settings.locations.dirs, [dir.join("a"), dir.join("b")]);
        let env = ConfigArgs { alembic_config_env: Some("other.ini".into()), ..ConfigArgs::default() };
        let settings = resolve(Flags::default(), &env, &dir).unwrap();
        assert_eq!(settings.locations.dirs, [dir.join("a"), dir.join("b")], "the ini sets no version_locations");
        std::fs::write(dir.join("empty.ini"), "[loggers]\nkeys = root\n").unwrap();
        std::fs::remove_file(dir.join("pyproject.toml")).unwrap();
        let named = ConfigArgs { config: vec!["empty.ini".into()], ..ConfigArgs::default() };
        let err = resolve(Flags::default(), &named, &dir).unwrap_err();
        assert!(err.starts_with("No 'script_location' key found in configuration"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
