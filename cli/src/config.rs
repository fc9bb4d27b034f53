//! Where the command line finds its settings: flags, then `DATABASE_URL`,
//! then `retort.toml`, then an Alembic project's `alembic.ini` (so that an
//! Alembic project runs `retort current` with no setup).

use std::path::{Path, PathBuf};

use retort_core::ini::{Ini, IniError};

/// The settings a command runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The versions directory.
    pub dir: PathBuf,
    /// The database URL (sqlx form), if any.
    pub database_url: Option<String>,
    /// The version table.
    pub version_table: String,
    /// Its schema.
    pub version_table_schema: Option<String>,
    /// The schema file autogenerate and `check --schema` read.
    pub schema_file: PathBuf,
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
}

/// Reads `retort.toml` (`dir`, `database_url`, `version_table`,
/// `version_table_schema`, `schema_file`, all strings); `dir` and
/// `schema_file` are relative to `base`.
pub fn parse_retort_toml(text: &str, base: &Path) -> Result<FileSettings, String> {
    let mut settings: FileSettings = toml::from_str(text).map_err(|err| {
        let at = err.span().map(|span| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(":{line}")
        });
        format!(
            "retort.toml{}: {}; the keys are dir, database_url, version_table, version_table_schema, schema_file",
            at.unwrap_or_default(),
            err.message()
        )
    })?;
    settings.dir = settings.dir.map(|dir| base.join(dir));
    settings.schema_file = settings.schema_file.map(|file| base.join(file));
    Ok(settings)
}

/// Reads the `[alembic]` section of an `alembic.ini` as Alembic does
/// (Python's configparser, `%(here)s` the file's folder):
/// `script_location` (its `versions` folder, or `version_locations`),
/// `sqlalchemy.url` (translated to sqlx's form), `version_table`,
/// `version_table_schema`.
pub fn parse_alembic_ini(text: &str, base: &Path) -> Result<FileSettings, String> {
    let failed = |err: IniError| format!("alembic.ini: {err}");
    let here = base.display().to_string();
    let ini = Ini::parse(text, &[("here", &here)]).map_err(failed)?;
    let get = |key: &str| -> Result<Option<String>, String> {
        Ok(ini.get("alembic", key).map_err(failed)?.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
    };
    let dir = match get("version_locations")? {
        Some(locations) => locations.split([' ', ',', '\n']).find(|s| !s.is_empty()).map(|s| base.join(s)),
        None => get("script_location")?.map(|s| base.join(s).join("versions")),
    };
    Ok(FileSettings {
        dir,
        database_url: get("sqlalchemy.url")?.map(|u| sqlalchemy_to_sqlx(&u)),
        version_table: get("version_table")?,
        version_table_schema: get("version_table_schema")?,
        schema_file: None,
    })
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

/// Merges flags, environment and files, in that order of precedence.
pub fn resolve(
    dir: Option<PathBuf>,
    database_url: Option<String>,
    version_table: Option<String>,
    cwd: &Path,
) -> Result<Settings, String> {
    let toml = match std::fs::read_to_string(cwd.join("retort.toml")) {
        Ok(text) => parse_retort_toml(&text, cwd)?,
        Err(_) => FileSettings::default(),
    };
    let ini = match std::fs::read_to_string(cwd.join("alembic.ini")) {
        Ok(text) => parse_alembic_ini(&text, cwd)?,
        Err(_) => FileSettings::default(),
    };
    Ok(Settings {
        dir: dir.or(toml.dir).or(ini.dir).unwrap_or_else(|| PathBuf::from("alembic/versions")),
        database_url: database_url.or(toml.database_url).or(ini.database_url),
        version_table: version_table
            .or(toml.version_table)
            .or(ini.version_table)
            .unwrap_or_else(|| "alembic_version".to_owned()),
        version_table_schema: toml.version_table_schema.or(ini.version_table_schema),
        schema_file: toml.schema_file.unwrap_or_else(|| cwd.join("schema.sql")),
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
    fn alembic_ini_gives_the_directory_url_and_table() {
        let ini = "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///app.db\nversion_table = app_version\n\n[loggers]\nkeys = root\n";
        let settings = parse_alembic_ini(ini, Path::new("/project")).unwrap();
        assert_eq!(settings.dir, Some(PathBuf::from("/project/migrations/versions")));
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://app.db"));
        assert_eq!(settings.version_table.as_deref(), Some("app_version"));
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

    #[test]
    fn flags_win_over_files() {
        let dir = std::env::temp_dir().join(format!("retort-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("alembic.ini"),
            "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///from_ini.db\n",
        )
        .unwrap();
        let settings = resolve(None, None, None, &dir).unwrap();
        assert_eq!(settings.dir, dir.join("alembic/versions"));
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://from_ini.db"));
        let settings = resolve(Some("other".into()), Some("sqlite://flag.db".into()), None, &dir).unwrap();
        assert_eq!(settings.dir, PathBuf::from("other"));
        assert_eq!(settings.database_url.as_deref(), Some("sqlite://flag.db"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
