//! Each verb, thin over `retort` (the runtime) and `retort-core` (the
//! text Alembic prints).

use std::process::ExitCode;

use retort::core::Dialect;
use retort::{Db, Migrator};

use crate::cli::{Args, Command};
use crate::config::Settings;

/// A connected database of whichever backend its URL names.
enum Pool {
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
    Sqlite(sqlx::SqlitePool),
}

impl Pool {
    fn db(&self) -> Db<'_> {
        match self {
            Pool::Postgres(p) => p.into(),
            Pool::MySql(p) => p.into(),
            Pool::Sqlite(p) => p.into(),
        }
    }
}

/// The dialect a URL names, without connecting.
fn dialect_of(url: &str) -> Result<Dialect, String> {
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

async fn connect(url: &str) -> Result<Pool, String> {
    let failed = |err: sqlx::Error| format!("cannot connect to {}: {err}", retort::redact(url));
    match dialect_of(url)? {
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

fn database_url(settings: &Settings) -> Result<&str, String> {
    settings.database_url.as_deref().ok_or_else(|| {
        "no database: pass --database-url or set DATABASE_URL (postgres://, mysql:// or sqlite://)".to_owned()
    })
}

/// The migrator over the versions directory, or every problem in it.
fn load(settings: &Settings) -> Result<Migrator, String> {
    match Migrator::from_dir(&settings.dir) {
        Ok(m) => {
            let m = m.with_version_table(&settings.version_table);
            Ok(match &settings.version_table_schema {
                Some(schema) => m.with_version_table_schema(schema),
                None => m,
            })
        }
        Err(retort::Error::Load(problems)) => {
            eprintln!("{problems}");
            Err(format!("the versions directory {} has errors", settings.dir.display()))
        }
        Err(err) => Err(err.to_string()),
    }
}

/// A new random revision id: 12 hex digits, as Alembic makes them.
fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.write_u32(std::process::id());
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// `YYYY-MM-DD HH:MM:SS.ffffff`, UTC, as Alembic's template writes it.
fn create_date() -> String {
    let stamp = retort::timestamp(std::time::SystemTime::now());
    // 2026-11-22T06:40:12.345Z → 2026-11-22 06:40:12.345000
    format!("{} {}000", &stamp[..10], &stamp[11..23])
}

/// Writes a new revision into the versions directory: a fresh id unless
/// one is given, and today's date.
fn write_revision(
    settings: &Settings,
    rev_id: Option<&str>,
    message: &str,
    down_revisions: Vec<String>,
    branch_labels: &[String],
    depends_on: Vec<String>,
) -> Result<ExitCode, String> {
    let revision = retort::core::generate::NewRevision {
        id: rev_id.map_or_else(new_id, str::to_owned),
        message: message.to_owned(),
        down_revisions,
        branch_labels: branch_labels.to_vec(),
        depends_on,
        create_date: create_date(),
    };
    if let Err(err) = retort::core::revision::validate_id(&revision.id) {
        return Err(err.to_string());
    }
    let path = settings.dir.join(revision.file_name());
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    print!("  Generating {} ...", path.display());
    std::fs::write(&path, revision.text()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("  done");
    Ok(ExitCode::SUCCESS)
}

/// Runs one command.
pub async fn run(args: Args) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let settings =
        crate::config::resolve(args.dir.clone(), args.database_url.clone(), args.version_table.clone(), &cwd)?;
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
    let migrator = load(&settings)?;
    let graph = migrator.graph();
    match &args.command {
        Command::Init => Ok(ExitCode::SUCCESS),
        Command::Revision { message, head, splice, branch_label, depends_on, rev_id } => {
            let down = if head == "base" {
                Vec::new()
            } else {
                let heads = graph.resolve_ids(head).map_err(|e| match e {
                    retort::core::RevisionError::MultipleHeads { .. } => "Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.".to_owned(),
                    other => other.to_string(),
                })?;
                for id in &heads {
                    if !*splice && !graph.is_head(id) {
                        return Err(format!(
                            "Revision {id} is not a head revision; please specify --splice to create a new branch from this revision"
                        ));
                    }
                }
                heads
            };
            for label in branch_label {
                if let Some(owner) =
                    graph.revisions().iter().find(|r| r.branch_labels.contains(label) || r.id == *label)
                {
                    return Err(format!("Branch name '{label}' already used by revision {}", owner.id));
                }
            }
            let mut deps = Vec::new();
            for dep in depends_on {
                deps.extend(graph.resolve_ids(dep).map_err(|e| e.to_string())?);
            }
            write_revision(&settings, rev_id.as_deref(), message, down, branch_label, deps)
        }
        Command::Merge { revisions, message, branch_label, rev_id } => {
            let mut down: Vec<String> = Vec::new();
            for rev in revisions {
                for id in graph.resolve_ids(rev).map_err(|e| e.to_string())? {
                    if !down.contains(&id) {
                        down.push(id);
                    }
                }
            }
            write_revision(&settings, rev_id.as_deref(), message, down, branch_label, Vec::new())
        }
        Command::Db(command) => {
            let dialect = match &args.dialect {
                Some(name) => Some(name.parse::<Dialect>().map_err(|e| e.to_string())?),
                None => settings.database_url.as_deref().map(dialect_of).transpose()?,
            };
            let connects = command.needs_database()
                || (matches!(command, retort::cli::Command::Check) && settings.database_url.is_some());
            let pool = if connects { Some(connect(database_url(&settings)?).await?) } else { None };
            let target = retort::cli::Target {
                db: pool.as_ref().map(Pool::db),
                dialect,
                name: settings.database_url.as_deref().map(retort::redact),
            };
            command.run(&migrator, target).await
        }
    }
}
