//! `revision --autogenerate`: the schema the revisions make (built in a
//! scratch database, or read from a database at head) against the one
//! wanted (a schema file built in another scratch database, or a live
//! database), and the migration between them.

use retort::{InspectOptions, Migrator, ScratchDatabase};
use retort_core::Dialect;
use retort_core::schema::{Migration, MigrationOptions, Rename, Schema, migration, renames_in};

use crate::cli::Autogenerate;
use crate::commands::{connect, dialect_of};
use crate::config::Settings;

/// The migration to write, or `None` when the schemas do not differ.
pub async fn run(
    migrator: &Migrator,
    settings: &Settings,
    asked: &Autogenerate,
    dialect: Dialect,
    wait: Option<std::time::Duration>,
) -> Result<Option<Migration>, String> {
    let options = InspectOptions::default().with_version_table(settings.version_table.clone());
    let sources = Sources { migrator, settings, asked, dialect, wait, options };
    let head = sources.head_schema().await?;
    let (wanted, text) = sources.wanted_schema().await?;
    let mut renames = renames_in(&text);
    for flag in &asked.rename {
        renames.push(Rename::parse(flag)?);
    }
    for rename in renames.iter().filter(|r| r.is_applied_in(&head)) {
        eprintln!(
            "WARNING  [retort] the rename {rename} is made already (the revisions have the new name and not the old): nothing to rename; remove its annotation"
        );
    }
    let options = MigrationOptions::new(dialect).with_allow_drop(asked.allow_drop).with_renames(renames);
    let planned = migration(&head, &wanted, &options)?;
    for change in &planned.differences.changes {
        eprintln!("INFO  [retort] Detected {change}");
    }
    for notice in &planned.differences.notices {
        eprintln!("INFO  [retort] Note: {notice}");
    }
    for warning in planned.upgrade.warnings.iter() {
        eprintln!("WARNING  [retort] {warning}");
    }
    Ok((!planned.upgrade.is_empty() || !planned.downgrade.is_empty()).then_some(planned))
}

/// The lint's findings on a generated upgrade, as comment lines for the
/// top of its section (and said on stderr).
pub fn lint_notes(upgrade: &str, dialect: Dialect, transactional: bool) -> String {
    let Ok(statements) = retort_core::split_statements(upgrade, dialect, 1) else { return String::new() };
    let mut notes = String::new();
    for finding in retort_core::lint::lint(&statements, dialect, transactional) {
        eprintln!("WARNING  [retort] lint {}: {}", finding.rule, finding.message);
        notes.push_str(&format!("-- lint {}: {}\n", finding.rule, finding.message));
    }
    notes
}

/// A scratch database for `dialect`: on a `--scratch-url` server of that
/// engine, in memory for SQLite, else beside the database the settings
/// name (or `fallback`); `command` names what needs it in the error.
pub(crate) async fn scratch_for(
    settings: &Settings,
    scratch_urls: &[String],
    fallback: Option<&str>,
    dialect: Dialect,
    command: &str,
) -> Result<ScratchDatabase, String> {
    let given = scratch_urls.iter().find(|url| dialect_of(url).ok() == Some(dialect));
    let server = match (given, dialect) {
        (Some(url), _) => url.clone(),
        (None, Dialect::Sqlite) => "sqlite::memory:".to_owned(),
        (None, _) => settings
            .database_url
            .as_deref()
            .or(fallback)
            .filter(|url| dialect_of(url).ok() == Some(dialect))
            .map(str::to_owned)
            .ok_or_else(|| {
                format!("{command} builds schemas in scratch {dialect} databases: give --scratch-url, a server where they may be created")
            })?,
    };
    ScratchDatabase::on_server(&server).await.map_err(|e| e.to_string())
}

async fn scratch(settings: &Settings, asked: &Autogenerate, dialect: Dialect) -> Result<ScratchDatabase, String> {
    scratch_for(settings, &asked.scratch_url, asked.from_database.as_deref(), dialect, "--autogenerate").await
}

/// Where the two schemas come from: the revisions, the settings and the
/// flags of one `revision --autogenerate`.
struct Sources<'a> {
    migrator: &'a Migrator,
    settings: &'a Settings,
    asked: &'a Autogenerate,
    dialect: Dialect,
    wait: Option<std::time::Duration>,
    options: InspectOptions,
}

impl Sources<'_> {
    /// What the revisions make: built from them, or read from the database
    /// with `--against-database` (which must then be at head).
    async fn head_schema(&self) -> Result<Schema, String> {
        let Sources { migrator, settings, asked, dialect, wait, ref options } = *self;
        let database_is_of_it = settings.database_url.as_deref().and_then(|u| dialect_of(u).ok()) == Some(dialect);
        if asked.against_database && database_is_of_it {
            let url = settings
                .database_url
                .as_deref()
                .ok_or("--against-database needs a database: pass --database-url or set DATABASE_URL")?;
            let pool = connect(url, wait).await?;
            let mut current = migrator.current(pool.db()).await.map_err(|e| e.to_string())?;
            let mut heads = migrator.graph().heads();
            current.sort();
            heads.sort();
            if current != heads {
                return Err(format!(
                    "the database is at {} and the revisions' heads are {}: upgrade it first, or leave out --against-database to build the head schema from the revisions",
                    if current.is_empty() { "base".to_owned() } else { current.join(", ") },
                    heads.join(", ")
                ));
            }
            return retort::inspect(pool.db(), options).await.map_err(|e| e.to_string());
        }
        let scratch = scratch(settings, asked, dialect).await?;
        let schema = migrator.schema_at(&scratch, &["heads"], options).await;
        retort::cli::release(scratch).await;
        schema.map_err(|e| format!("building the schema the revisions make: {e}"))
    }

    /// What is wanted: a live database's schema, or the schema file's (with
    /// the file's text, for its rename annotations).
    async fn wanted_schema(&self) -> Result<(Schema, String), String> {
        let Sources { migrator, settings, asked, dialect, wait, ref options } = *self;
        if let Some(url) = &asked.from_database {
            retort::hide_password_of(url);
            if dialect_of(url)? != dialect {
                return Err(format!(
                    "--from-database is a {} database, and the revision is for {dialect}",
                    dialect_of(url)?
                ));
            }
            let pool = connect(url, wait).await?;
            return retort::inspect(pool.db(), options).await.map(|s| (s, String::new())).map_err(|e| e.to_string());
        }
        let file = retort::schema_file_for(asked.schema_file.as_deref().unwrap_or(&settings.schema_file), dialect);
        let sql = std::fs::read_to_string(&file).map_err(|e| {
        format!(
            "cannot read the schema file {}: {e}; write the schema you want there (CREATE TABLE …), or name another with --schema-file or retort.toml's schema_file",
            file.display()
        )
    })?;
        let scratch = scratch(settings, asked, dialect).await?;
        let schema = migrator.schema_of_script(&scratch, &file.display().to_string(), &sql, options).await;
        retort::cli::release(scratch).await;
        schema.map(|s| (s, sql)).map_err(|e| e.to_string())
    }
}
