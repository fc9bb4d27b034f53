//! Each verb, thin over `retort` (the runtime) and `retort-core` (the
//! text Alembic prints).

use std::process::ExitCode;

use retort::core::{Dialect, LineFormat};
use retort::{Db, Migrator, Report};

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
    match scheme {
        "postgres" | "postgresql" => Ok(Dialect::Postgres),
        "mysql" | "mariadb" => Ok(Dialect::MySql),
        "sqlite" => Ok(Dialect::Sqlite),
        other => Err(format!("unsupported database URL scheme '{other}': use postgres://, mysql:// or sqlite://")),
    }
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

fn report(report: &Report) {
    for step in &report.steps {
        eprintln!("INFO  [retort] Running {}", step.description);
    }
}

/// The dialect of offline SQL: `--dialect`, else the URL's.
fn offline_dialect(args: &Args, settings: &Settings) -> Result<Dialect, String> {
    match &args.dialect {
        Some(name) => name.parse::<Dialect>().map_err(|e| e.to_string()),
        None => match &settings.database_url {
            Some(url) => dialect_of(url),
            None => Err("--sql needs a dialect: pass --dialect postgresql|mysql|sqlite, or a database URL".to_owned()),
        },
    }
}

/// Splits `start:end` for `--sql`; `start` is a revision or `base`.
fn sql_range<'a>(migrator: &Migrator, revision: &'a str) -> Result<(Vec<String>, &'a str), String> {
    match revision.split_once(':') {
        Some((start, end)) => {
            let from = migrator.graph().resolve_ids(start).map_err(|e| e.to_string())?;
            Ok((from, end))
        }
        None => Ok((Vec::new(), revision)),
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

/// Writes a new revision into the versions directory.
fn write_revision(settings: &Settings, revision: retort::core::generate::NewRevision) -> Result<ExitCode, String> {
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
        return Ok(ExitCode::SUCCESS);
    }
    let migrator = load(&settings)?;
    let graph = migrator.graph();
    let ok = Ok(ExitCode::SUCCESS);
    match &args.command {
        Command::Init => ok,
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
            write_revision(
                &settings,
                retort::core::generate::NewRevision {
                    id: rev_id.clone().unwrap_or_else(new_id),
                    message: message.clone(),
                    down_revisions: down,
                    branch_labels: branch_label.clone(),
                    depends_on: deps,
                    create_date: create_date(),
                },
            )
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
            write_revision(
                &settings,
                retort::core::generate::NewRevision {
                    id: rev_id.clone().unwrap_or_else(new_id),
                    message: message.clone(),
                    down_revisions: down,
                    branch_labels: branch_label.clone(),
                    depends_on: Vec::new(),
                    create_date: create_date(),
                },
            )
        }
        Command::Check => {
            for warning in graph.warnings() {
                eprintln!("{warning:#}\n");
            }
            println!("{}: {} revisions, heads: {}", settings.dir.display(), graph.len(), graph.heads().join(", "));
            let mut attention = !graph.warnings().is_empty();
            if let Some(url) = &settings.database_url {
                let pool = connect(url).await?;
                let pending = migrator.pending(pool.db()).await.map_err(|e| e.to_string())?;
                if !pending.is_empty() {
                    println!("pending: {}", pending.join(", "));
                    attention = true;
                }
                for edited in migrator.edited(pool.db()).await.map_err(|e| e.to_string())? {
                    println!("edited after it was applied: {} ({})", edited.revision, edited.path.display());
                    attention = true;
                }
            }
            Ok(if attention { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::History { range, verbose, indicate_current } => {
            let current = if *indicate_current {
                let pool = connect(database_url(&settings)?).await?;
                migrator.current(pool.db()).await.map_err(|e| e.to_string())?
            } else {
                Vec::new()
            };
            print!("{}", graph.history_text(range.as_deref(), *verbose, &current).map_err(|e| e.to_string())?);
            ok
        }
        Command::Heads { verbose } => {
            print!("{}", graph.heads_text(*verbose));
            ok
        }
        Command::Branches { verbose } => {
            print!("{}", graph.branches_text(*verbose));
            ok
        }
        Command::Show { rev } => {
            let text = if rev == "current" {
                let pool = connect(database_url(&settings)?).await?;
                let rows = migrator.current(pool.db()).await.map_err(|e| e.to_string())?;
                rows.iter().filter_map(|r| graph.format_entry(r, false)).map(|e| format!("{e}\n")).collect()
            } else {
                graph.show_text(rev).map_err(|e| e.to_string())?
            };
            print!("{text}");
            ok
        }
        Command::Current { verbose, check_heads } => {
            let url = database_url(&settings)?;
            let pool = connect(url).await?;
            let rows = migrator.current(pool.db()).await.map_err(|e| e.to_string())?;
            if *check_heads {
                let mut heads = graph.heads();
                heads.sort();
                if rows != heads {
                    return Err("Database is not on all head revisions".to_owned());
                }
            }
            if *verbose {
                println!("Current revision(s) for {}:", retort::redact(url));
            }
            for row in &rows {
                let text = if *verbose {
                    graph.format_entry(row, false)
                } else {
                    graph.format_line(row, LineFormat::CURRENT, false)
                };
                match text {
                    Some(text) => println!("{text}"),
                    None => {
                        return Err(format!(
                            "Can't locate revision identified by '{row}': the database is at a revision this directory does not have"
                        ));
                    }
                }
            }
            ok
        }
        Command::Upgrade { revision, sql } => {
            if *sql {
                let dialect = offline_dialect(&args, &settings)?;
                let (from, target) = sql_range(&migrator, revision)?;
                let from: Vec<&str> = from.iter().map(String::as_str).collect();
                print!("{}", migrator.upgrade_sql(dialect, &from, target).map_err(|e| e.to_string())?);
                return ok;
            }
            if revision.contains(':') {
                return Err("Range revision not allowed".to_owned());
            }
            let pool = connect(database_url(&settings)?).await?;
            report(&migrator.upgrade(pool.db(), revision).await.map_err(|e| e.to_string())?);
            ok
        }
        Command::Downgrade { revision, sql } => {
            if *sql {
                if !revision.contains(':') {
                    return Err("downgrade with --sql requires <fromrev>:<torev>".to_owned());
                }
                let dialect = offline_dialect(&args, &settings)?;
                let (from, target) = sql_range(&migrator, revision)?;
                let from: Vec<&str> = from.iter().map(String::as_str).collect();
                print!("{}", migrator.downgrade_sql(dialect, &from, target).map_err(|e| e.to_string())?);
                return ok;
            }
            if revision.contains(':') {
                return Err("Range revision not allowed".to_owned());
            }
            let pool = connect(database_url(&settings)?).await?;
            report(&migrator.downgrade(pool.db(), revision).await.map_err(|e| e.to_string())?);
            ok
        }
        Command::Stamp { revisions, purge, sql } => {
            if *sql {
                if *purge {
                    return Err("Can't use --purge with --sql mode".to_owned());
                }
                let dialect = offline_dialect(&args, &settings)?;
                let mut start: Option<&str> = None;
                let mut targets = Vec::new();
                for revision in revisions {
                    let (from, to) = match revision.split_once(':') {
                        Some((from, to)) => (Some(from), to),
                        None => (None, revision.as_str()),
                    };
                    if let Some(from) = from {
                        if start.is_some_and(|s| s != from) {
                            return Err(
                                "Stamp operation with --sql only supports a single starting revision at a time"
                                    .to_owned(),
                            );
                        }
                        start = Some(from);
                    }
                    targets.push(to);
                }
                let from = match start {
                    Some(start) => graph.resolve_ids(start).map_err(|e| e.to_string())?,
                    None => Vec::new(),
                };
                let from: Vec<&str> = from.iter().map(String::as_str).collect();
                print!("{}", migrator.stamp_sql(dialect, &from, &targets).map_err(|e| e.to_string())?);
                return ok;
            }
            let pool = connect(database_url(&settings)?).await?;
            let targets: Vec<&str> = revisions.iter().map(String::as_str).collect();
            report(&migrator.stamp(pool.db(), &targets, *purge).await.map_err(|e| e.to_string())?);
            ok
        }
        Command::EnsureVersion => {
            let pool = connect(database_url(&settings)?).await?;
            migrator.ensure_version(pool.db()).await.map_err(|e| e.to_string())?;
            ok
        }
    }
}
