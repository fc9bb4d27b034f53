//! Each verb, thin over `retort` (the runtime) and `retort-core` (the
//! text Alembic prints).

use std::process::ExitCode;

use std::time::SystemTime;

use retort::cli::{CliError, Connection};
use retort::{Db, Migrator};
use retort_core::Dialect;
use retort_core::generate::{NewRevision, RevisionRequest};

use crate::cli::{Args, Command};
use crate::config::Settings;

/// A connected database of whichever backend its URL names.
pub(crate) enum Pool {
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
    Sqlite(sqlx::SqlitePool),
}

impl Pool {
    pub(crate) fn db(&self) -> Db<'_> {
        match self {
            Pool::Postgres(p) => p.into(),
            Pool::MySql(p) => p.into(),
            Pool::Sqlite(p) => p.into(),
        }
    }
}

/// The dialect a URL names, without connecting.
pub(crate) fn dialect_of(url: &str) -> Result<Dialect, String> {
    let scheme = url.split(':').next().unwrap_or("");
    scheme
        .parse::<Dialect>()
        .map_err(|_| format!("unsupported database URL scheme '{scheme}': use postgres://, mysql:// or sqlite://"))
}

/// Pool options for a command line: few connections, and a quick failure
/// when the server is not there.
fn options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new().max_connections(2).acquire_timeout(std::time::Duration::from_secs(5))
}

pub(crate) async fn connect(url: &str, wait: Option<std::time::Duration>) -> Result<Pool, String> {
    let dialect = dialect_of(url)?;
    if dialect != Dialect::Sqlite {
        // One direct connection first: a pool would retry a refused one
        // until its timeout and then say only "pool timed out".
        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
            eprintln!(
                "INFO  [retort] waiting up to {:.0} s for the database to accept connections",
                wait.as_secs_f64()
            );
        }
        retort::wait_for_database(url, wait.unwrap_or_default()).await.map_err(|e| e.to_string())?;
    }
    let failed = |err: sqlx::Error| format!("cannot connect to {}: {err}", retort::redact(url));
    match dialect {
        Dialect::Postgres => options().connect(url).await.map(Pool::Postgres).map_err(failed),
        Dialect::MySql => {
            let url = url.replacen("mariadb://", "mysql://", 1);
            options().connect(&url).await.map(Pool::MySql).map_err(failed)
        }
        Dialect::Sqlite => {
            // As Alembic does, a missing SQLite file is created.
            let url = if url.contains("mode=") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            options().connect(&url).await.map(Pool::Sqlite).map_err(failed)
        }
    }
}

fn database_url<'s>(settings: &'s Settings, command: &'static str) -> Result<&'s str, String> {
    settings.database_url.as_deref().ok_or_else(|| in_flags(CliError::NoDatabase(command)))
}

/// The migrator over the versions directory, or every problem in it.
fn load(settings: &Settings) -> Result<Migrator, String> {
    let locations = &settings.locations;
    if locations.dirs.len() > 1 {
        for missing in locations.dirs.iter().filter(|d| !d.is_dir()) {
            eprintln!(
                "warning: the version location {} does not exist; it is skipped, as Alembic skips it",
                missing.display()
            );
        }
    }
    // A .py body is translated when a run needs it, not for every command.
    let locations = &locations.clone().translating_when_run(true);
    match Migrator::from_locations(locations) {
        Ok(m) => {
            let options =
                m.options().clone().expecting_multiple(settings.allow_multiple_heads, settings.allow_multiple_bases);
            let m = m.with_version_table(&settings.version_table).with_options(options);
            Ok(match &settings.version_table_schema {
                Some(schema) => m.with_version_table_schema(schema),
                None => m,
            })
        }
        Err(retort::Error::Load(problems)) => {
            eprintln!("{problems}");
            let dirs: Vec<String> = locations.dirs.iter().map(|d| d.display().to_string()).collect();
            Err(match dirs.as_slice() {
                [one] => format!("the versions directory {one} has errors"),
                several => format!("the version locations {} have errors", several.join(", ")),
            })
        }
        Err(err) => Err(err.to_string()),
    }
}

/// The dialect autogenerate builds and writes for: `--dialect`, else the
/// database URL's, else `--from-database`'s.
fn autogenerate_dialect(
    args: &Args,
    settings: &Settings,
    autogenerate: &crate::cli::Autogenerate,
) -> Result<Dialect, String> {
    if let Some(name) = &args.dialect {
        return name.parse::<Dialect>().map_err(|e| e.to_string());
    }
    match settings.database_url.as_deref().or(autogenerate.from_database.as_deref()) {
        Some(url) => dialect_of(url),
        None => Err("--autogenerate builds schemas in a database of the engine the revision is for: give a database URL, or --dialect postgresql|mysql|sqlite".to_owned()),
    }
}

/// Writes a new revision into the versions directory (`text`: its whole
/// text, when generated).
fn write_revision(
    settings: &Settings,
    graph: &retort_core::RevisionGraph,
    version_path: Option<&std::path::Path>,
    revision: &NewRevision,
    text: Option<String>,
) -> Result<ExitCode, String> {
    let folder = settings.locations.folder_for(graph, &revision.down_revisions, version_path)?;
    if !folder.is_dir() {
        std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let path = folder.join(revision.file_name());
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    print!("  Generating {} ...", path.display());
    let text = text.unwrap_or_else(|| revision.text());
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("  done");
    Ok(ExitCode::SUCCESS)
}

/// The library's error in this binary's words: a missing database or
/// dialect is a matter of its flags.
fn in_flags(err: CliError) -> String {
    match err {
        CliError::NoDatabase(command) => format!(
            "`{command}` needs a database: pass --database-url or set DATABASE_URL (postgres://, mysql:// or sqlite://)"
        ),
        CliError::NoDialect => {
            "--sql needs a dialect: pass --dialect postgresql|mysql|sqlite, or a database URL".to_owned()
        }
        other => other.to_string(),
    }
}

/// Runs one command.
pub async fn run(args: Args) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let flags = crate::config::Flags {
        dir: args.dir.clone(),
        database_url: args.database_url.clone(),
        database_url_env: args.database_url_env.clone(),
        version_table: args.version_table.clone(),
    };
    let config = crate::config::ConfigArgs {
        config: args.config.clone(),
        name: args.name.clone(),
        alembic_config_env: std::env::var_os("ALEMBIC_CONFIG").filter(|v| !v.is_empty()).map(Into::into),
    };
    let settings = crate::config::resolve(flags, &config, &cwd)?;
    for x in &args.x_arguments {
        eprintln!("note: -x {x} is ignored: -x values feed only an Alembic env.py, which retort does not run");
    }
    if matches!(&args.command, Command::Db(retort::cli::Command::Check { .. })) {
        for note in &settings.notes {
            eprintln!("note: {note}");
        }
    }
    if let Some(url) = &settings.database_url {
        // From retort.toml or alembic.ini: hidden like the flag's.
        retort::hide_password_of(url);
    }
    if let Command::Init = &args.command {
        let dir = &settings.dir;
        if dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
            return Err(format!("Directory {} already exists and is not empty", dir.display()));
        }
        print!("  Creating directory {} ...", dir.display());
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        println!("  done");
        let toml = cwd.join("retort.toml");
        if !toml.exists() && !cwd.join("alembic.ini").exists() {
            print!("  Generating {} ...", toml.display());
            let text = format!(
                "# retort's settings; flags and DATABASE_URL win over them.\ndir = \"{}\"\n# database_url = \"sqlite://app.db\"\nversion_table = \"{}\"\n",
                dir.display(),
                settings.version_table
            );
            std::fs::write(&toml, text).map_err(|e| format!("cannot write {}: {e}", toml.display()))?;
            println!("  done");
        }
        return Ok(ExitCode::SUCCESS);
    }
    // `schema` reads only the database: it needs no versions directory.
    let reads_only_the_database = matches!(&args.command, Command::Db(retort::cli::Command::Schema { .. }));
    let migrator = if reads_only_the_database && !settings.dir.is_dir() {
        let empty = retort_core::RevisionGraph::new(Vec::new()).map_err(|e| e.to_string())?;
        Migrator::new(empty).with_version_table(&settings.version_table)
    } else {
        load(&settings)?
    };
    let graph = migrator.graph();
    match &args.command {
        Command::Init => Ok(ExitCode::SUCCESS),
        Command::Revision { message, head, splice, branch_label, depends_on, rev_id, version_path, autogenerate } => {
            let request = RevisionRequest {
                message,
                head,
                splice: *splice,
                branch_labels: branch_label,
                depends_on,
                rev_id: rev_id.as_deref(),
            };
            let revision = graph.new_revision(&request, SystemTime::now()).map_err(|e| e.to_string())?;
            if !autogenerate.autogenerate {
                return write_revision(&settings, graph, version_path.as_deref(), &revision, None);
            }
            let dialects: Vec<Dialect> = if autogenerate.dialects.is_empty() {
                vec![autogenerate_dialect(&args, &settings, autogenerate)?]
            } else {
                autogenerate
                    .dialects
                    .iter()
                    .map(|d| d.parse::<Dialect>().map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?
            };
            let mut migrations = Vec::new();
            for &dialect in &dialects {
                let wait = args.wait_for_database;
                let migration = crate::autogenerate::run(&migrator, &settings, autogenerate, dialect, wait).await?;
                migrations.push((dialect, migration));
            }
            if migrations.iter().all(|(_, m)| m.is_none()) {
                println!("No changes in schema detected.");
                return Ok(ExitCode::SUCCESS);
            }
            let transactional = migrations
                .iter()
                .filter_map(|(_, m)| m.as_ref())
                .all(|m| !(m.upgrade.needs_no_transaction || m.downgrade.needs_no_transaction));
            let sections: Vec<(Dialect, String, String)> = migrations
                .iter()
                .map(|(dialect, migration)| match migration {
                    None => (*dialect, String::new(), String::new()),
                    Some(m) => {
                        let upgrade = m.upgrade.text(autogenerate.allow_drop);
                        let notes = crate::autogenerate::lint_notes(&upgrade, *dialect, transactional);
                        (*dialect, format!("{notes}{upgrade}"), m.downgrade.text(true))
                    }
                })
                .collect();
            let text = match sections.as_slice() {
                [(_, upgrade, downgrade)] if autogenerate.dialects.is_empty() => {
                    revision.text_with(upgrade, downgrade, transactional)
                }
                _ => revision.text_with_sections(&sections, transactional),
            };
            write_revision(&settings, graph, version_path.as_deref(), &revision, Some(text))
        }
        Command::Merge { revisions, message, branch_label, rev_id } => {
            let revision = graph
                .merge_revision(revisions, message, branch_label, rev_id.as_deref(), SystemTime::now())
                .map_err(|e| e.to_string())?;
            write_revision(&settings, graph, None, &revision, None)
        }
        Command::Import { alembic, dialects } => {
            let dialects: Vec<Dialect> = if !dialects.is_empty() {
                dialects.iter().map(|d| d.parse::<Dialect>().map_err(|e| e.to_string())).collect::<Result<_, _>>()?
            } else if let Some(name) = &args.dialect {
                vec![name.parse::<Dialect>().map_err(|e| e.to_string())?]
            } else if let Some(url) = &settings.database_url {
                vec![dialect_of(url)?]
            } else {
                vec![Dialect::Postgres, Dialect::MySql, Dialect::Sqlite]
            };
            crate::import::run(&migrator, &dialects, alembic.as_deref())
        }
        Command::Baseline(asked) => {
            let dialects = crate::baseline::dialects(asked, args.dialect.as_deref(), &settings)?;
            crate::baseline::run(&migrator, &settings, asked, &dialects, args.wait_for_database).await
        }
        Command::Db(command) => {
            let dialect = match &args.dialect {
                Some(name) => Some(name.parse::<Dialect>().map_err(|e| e.to_string())?),
                None => settings.database_url.as_deref().map(dialect_of).transpose()?,
            };
            let connects = command.needs_database()
                || (matches!(command, retort::cli::Command::Check { .. }) && settings.database_url.is_some());
            let pool = if connects {
                Some(connect(database_url(&settings, command.name())?, args.wait_for_database).await?)
            } else {
                None
            };
            // `check --schema` without a file: retort.toml's schema_file.
            let mut command = command.clone();
            if let retort::cli::Command::Check { schema_file: Some(file), .. } = &mut command
                && file.as_os_str() == "schema.sql"
            {
                *file = settings.schema_file.clone();
            }
            let command = &command;
            let mut connection = match &pool {
                Some(pool) => Connection::new(pool.db()),
                None => Connection::offline(dialect),
            };
            if let Some(url) = &settings.database_url {
                connection = connection.named(retort::redact(url));
            }
            command.run(&migrator, connection).await.map_err(in_flags)
        }
    }
}
