//! Alembic's verbs over a [`Migrator`] and a database, for the `retort`
//! binary and for applications to mount in their own (feature `cli`):
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! enum App {
//!     /// Database migrations.
//!     #[command(subcommand)]
//!     Db(retort::cli::Command),
//! }
//!
//! # async fn demo(migrator: &retort::Migrator, pool: &sqlx::SqlitePool) -> std::process::ExitCode {
//! let App::Db(command) = App::parse();
//! command.run_and_report(migrator, retort::cli::Target::new(pool)).await // myapp db upgrade head
//! # }
//! ```
//!
//! Output is Alembic's, line for line; a failure prints `FAILED: …` on
//! stderr and exits with status 255; `check` exits 1 when something needs
//! attention.

use std::process::ExitCode;

use clap::Subcommand;
use retort_core::{Dialect, LineFormat};

use crate::{Db, Migrator, Report};

/// The commands that need no file-writing (all but `init`, `revision`,
/// `merge`).
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Validate the revisions (and, with a database, what it lacks).
    Check,
    /// List revisions, newest first.
    History {
        /// A range `start:end`, either side optional.
        #[arg(short = 'r', long = "rev-range", allow_hyphen_values = true)]
        range: Option<String>,
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Mark the database's current revisions.
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
        /// `text` (Alembic's) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the heads.
    Heads {
        /// Show each head in full.
        #[arg(short, long)]
        verbose: bool,
        /// `text` (Alembic's) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the branch points.
    Branches {
        /// Show each branch point in full.
        #[arg(short, long)]
        verbose: bool,
        /// `text` (Alembic's) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the revision(s) an identifier names (`current`: the database's).
    Show {
        /// `head`, an id or prefix, `label@head`, `current`…
        #[arg(allow_hyphen_values = true)]
        rev: String,
        /// `text` (Alembic's) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the database's current revision(s).
    Current {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Fail unless the database is at every head.
        #[arg(long)]
        check_heads: bool,
        /// `text` (Alembic's) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Upgrade to a later version.
    Upgrade {
        /// The target; `start:end` with --sql.
        #[arg(default_value = "heads", allow_hyphen_values = true)]
        revision: String,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
        /// Print nothing but errors.
        #[arg(short, long, conflicts_with = "verbose")]
        quiet: bool,
        /// Also print each statement as it runs.
        #[arg(short, long)]
        verbose: bool,
        /// One transaction per revision instead of one for the whole run.
        #[arg(long)]
        transaction_per_revision: bool,
    },
    /// Revert to a previous version.
    Downgrade {
        /// The target; `start:end` with --sql.
        #[arg(allow_hyphen_values = true)]
        revision: String,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
        /// Print nothing but errors.
        #[arg(short, long, conflicts_with = "verbose")]
        quiet: bool,
        /// Also print each statement as it runs.
        #[arg(short, long)]
        verbose: bool,
        /// One transaction per revision instead of one for the whole run.
        #[arg(long)]
        transaction_per_revision: bool,
    },
    /// Set the version table without running SQL.
    Stamp {
        /// The revisions to stamp.
        #[arg(required = true, allow_hyphen_values = true)]
        revisions: Vec<String>,
        /// Empty the version table first.
        #[arg(long)]
        purge: bool,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
        /// Print nothing but errors.
        #[arg(short, long, conflicts_with = "verbose")]
        quiet: bool,
        /// Also print each statement as it runs.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Create the version table if it does not exist.
    EnsureVersion,
}

/// How read-only commands print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Alembic's text.
    #[default]
    Text,
    /// One JSON document, for scripts.
    Json,
}

/// The database a command works on.
#[derive(Debug, Default)]
pub struct Target<'a> {
    /// The database; `None` for commands that need none.
    pub db: Option<Db<'a>>,
    /// The dialect of `--sql` output when there is no database.
    pub dialect: Option<Dialect>,
    /// How `current -v` names the database (a redacted URL).
    pub name: Option<String>,
}

impl<'a> Target<'a> {
    /// A target over a pool or connection.
    pub fn new(db: impl Into<Db<'a>>) -> Target<'a> {
        let db = db.into();
        Target { dialect: Some(db.dialect()), db: Some(db), name: None }
    }
}

impl Command {
    /// True when the command reads or changes the database; `--sql` and the
    /// listings do not.
    pub fn needs_database(&self) -> bool {
        match self {
            Command::Check | Command::Heads { .. } | Command::Branches { .. } => false,
            Command::History { indicate_current, .. } => *indicate_current,
            Command::Show { rev, .. } => rev == "current",
            // A range without --sql is refused before connecting, as Alembic does.
            Command::Upgrade { sql, revision, .. } | Command::Downgrade { sql, revision, .. } => {
                !*sql && !revision.contains(':')
            }
            Command::Stamp { sql, .. } => !*sql,
            Command::Current { .. } | Command::EnsureVersion => true,
        }
    }

    /// Runs the command; on failure prints `FAILED: …` and returns 255.
    pub async fn run_and_report(&self, migrator: &Migrator, target: Target<'_>) -> ExitCode {
        match self.run(migrator, target).await {
            Ok(code) => code,
            Err(message) => {
                eprintln!("FAILED: {}", crate::redact(&message));
                ExitCode::from(255)
            }
        }
    }

    /// Runs the command, printing what Alembic prints; a failure is the
    /// message that follows `FAILED: `.
    pub async fn run(&self, migrator: &Migrator, target: Target<'_>) -> Result<ExitCode, String> {
        let graph = migrator.graph();
        let Target { mut db, dialect, name } = target;
        let mut db = move || db.take().ok_or_else(|| "no database: pass --database-url or set DATABASE_URL".to_owned());
        let fail = |e: crate::Error| e.to_string();
        let offline_dialect = || {
            dialect.ok_or_else(|| {
                "--sql needs a dialect: pass --dialect postgresql|mysql|sqlite, or a database URL".to_owned()
            })
        };
        let ok = Ok(ExitCode::SUCCESS);
        match self {
            Command::Check => {
                for warning in graph.warnings() {
                    eprintln!("{warning:#}\n");
                }
                println!("{} revisions, heads: {}", graph.len(), graph.heads().join(", "));
                let mut attention = !graph.warnings().is_empty();
                if let Some((missing, gone)) = migrator.embedded_drift() {
                    for file in &missing {
                        println!("on disk but not in this binary (rebuild it): {file}");
                    }
                    for file in &gone {
                        println!("in this binary but no longer on disk: {file}");
                    }
                    attention |= !missing.is_empty() || !gone.is_empty();
                }
                if let Ok(mut db) = db() {
                    let pending = migrator.pending(db.reborrow()).await.map_err(fail)?;
                    if !pending.is_empty() {
                        println!("pending: {}", pending.join(", "));
                        attention = true;
                    }
                    for edited in migrator.edited(db.reborrow()).await.map_err(fail)? {
                        println!("edited after it was applied: {} ({})", edited.revision, edited.path.display());
                        attention = true;
                    }
                }
                Ok(if attention { ExitCode::from(1) } else { ExitCode::SUCCESS })
            }
            Command::History { range, verbose, indicate_current, format } => {
                let current = if *indicate_current { migrator.current(db()?).await.map_err(fail)? } else { Vec::new() };
                if *format == Format::Json {
                    let ids: Vec<String> = graph
                        .history(range.as_deref())
                        .map_err(|e| e.to_string())?
                        .iter()
                        .map(|r| r.id.clone())
                        .collect();
                    println!("{}", json_revisions(migrator, &ids, &current));
                } else {
                    print!("{}", graph.history_text(range.as_deref(), *verbose, &current).map_err(|e| e.to_string())?);
                }
                ok
            }
            Command::Heads { verbose, format } => {
                if *format == Format::Json {
                    println!("{}", json_revisions(migrator, &graph.heads(), &[]));
                } else {
                    print!("{}", graph.heads_text(*verbose));
                }
                ok
            }
            Command::Branches { verbose, format } => {
                if *format == Format::Json {
                    println!("{}", json_revisions(migrator, &graph.branch_points(), &[]));
                } else {
                    print!("{}", graph.branches_text(*verbose));
                }
                ok
            }
            Command::Show { rev, format } => {
                let (ids, current) = if rev == "current" {
                    let rows = migrator.current(db()?).await.map_err(fail)?;
                    (rows.clone(), rows)
                } else {
                    (graph.resolve_ids(rev).map_err(|e| e.to_string())?, Vec::new())
                };
                if *format == Format::Json {
                    println!("{}", json_revisions(migrator, &ids, &current));
                } else if rev == "current" {
                    for row in &ids {
                        println!("{}", graph.format_entry(row, false).unwrap_or_default());
                    }
                } else {
                    print!("{}", graph.show_text(rev).map_err(|e| e.to_string())?);
                }
                ok
            }
            Command::Current { verbose, check_heads, format } => {
                let rows = migrator.current(db()?).await.map_err(fail)?;
                if *check_heads {
                    let mut heads = graph.heads();
                    heads.sort();
                    if rows != heads {
                        return Err("Database is not on all head revisions".to_owned());
                    }
                }
                if *verbose {
                    println!("Current revision(s) for {}:", name.as_deref().unwrap_or("the database"));
                }
                if let Some(row) = rows.iter().find(|r| graph.get(r).is_none()) {
                    return Err(format!(
                        "Can't locate revision identified by '{row}': the database is at a revision this binary does not have"
                    ));
                }
                if *format == Format::Json {
                    println!("{}", json_revisions(migrator, &graph.all_current_ids(&rows), &rows));
                    return ok;
                }
                // As Alembic: the tips of what the rows stand for, so a
                // revision only depended on is listed too.
                for id in graph.all_current_ids(&rows) {
                    let text = if *verbose {
                        graph.format_entry(&id, false)
                    } else {
                        graph.format_line(&id, LineFormat::CURRENT, false)
                    };
                    println!("{}", text.unwrap_or_default());
                }
                ok
            }
            Command::Upgrade { revision, sql: true, transaction_per_revision, .. } => {
                let migrator = &per_revision(migrator, *transaction_per_revision);
                let (from, target) = sql_range(migrator, revision)?;
                let from: Vec<&str> = from.iter().map(String::as_str).collect();
                print!("{}", migrator.upgrade_sql(offline_dialect()?, &from, target).map_err(fail)?);
                ok
            }
            Command::Downgrade { revision, sql: true, transaction_per_revision, .. } => {
                if !revision.contains(':') {
                    return Err("downgrade with --sql requires <fromrev>:<torev>".to_owned());
                }
                let migrator = &per_revision(migrator, *transaction_per_revision);
                let (from, target) = sql_range(migrator, revision)?;
                let from: Vec<&str> = from.iter().map(String::as_str).collect();
                print!("{}", migrator.downgrade_sql(offline_dialect()?, &from, target).map_err(fail)?);
                ok
            }
            Command::Upgrade { revision, sql: false, quiet, verbose, transaction_per_revision }
            | Command::Downgrade { revision, sql: false, quiet, verbose, transaction_per_revision } => {
                if revision.contains(':') {
                    return Err("Range revision not allowed".to_owned());
                }
                let migrator = per_revision(&with_progress(migrator, *quiet, *verbose), *transaction_per_revision);
                let report = if matches!(self, Command::Upgrade { .. }) {
                    migrator.upgrade(db()?, revision).await
                } else {
                    migrator.downgrade(db()?, revision).await
                };
                log(&report.map_err(fail)?);
                ok
            }
            Command::Stamp { revisions, purge, sql: true, .. } => {
                if *purge {
                    return Err("Can't use --purge with --sql mode".to_owned());
                }
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
                print!("{}", migrator.stamp_sql(offline_dialect()?, &from, &targets).map_err(fail)?);
                ok
            }
            Command::Stamp { revisions, purge, sql: false, quiet, verbose } => {
                let targets: Vec<&str> = revisions.iter().map(String::as_str).collect();
                log(&with_progress(migrator, *quiet, *verbose).stamp(db()?, &targets, *purge).await.map_err(fail)?);
                ok
            }
            Command::EnsureVersion => {
                migrator.ensure_version(db()?).await.map_err(fail)?;
                ok
            }
        }
    }
}

/// `migrator`, with one transaction per revision when `--transaction-per-revision` asks.
fn per_revision(migrator: &Migrator, asked: bool) -> Migrator {
    let mut options = migrator.options().clone();
    options.transaction_per_revision |= asked;
    migrator.clone().with_options(options)
}

/// The migrator, telling stderr about each step: on a terminal, which one
/// of how many runs and how long it took; piped, Alembic's plain log line.
fn with_progress(migrator: &Migrator, quiet: bool, verbose: bool) -> Migrator {
    use std::io::{IsTerminal, Write};
    if quiet {
        return migrator.clone();
    }
    let terminal = std::io::stderr().is_terminal();
    migrator.clone().with_progress(move |event| match *event {
        crate::Progress::Started { index, total, description } if terminal => {
            eprint!("[{}/{total}] Running {description} ...", index + 1);
            let _ = std::io::stderr().flush();
        }
        crate::Progress::Started { description, .. } => eprintln!("INFO  [retort] Running {description}"),
        crate::Progress::Statement { line, sql } if verbose => {
            if terminal {
                eprintln!();
            }
            eprintln!("    line {line}: {}", crate::error::shorten(sql));
        }
        crate::Progress::Finished { duration, .. } if terminal => eprintln!(" done in {:.1} s", duration.as_secs_f64()),
        _ => {}
    })
}

/// A warning when the run did nothing because the database is ahead.
fn log(report: &Report) {
    if !report.database_ahead.is_empty() {
        eprintln!(
            "WARNING  [retort] the database is at {} which this binary does not know; nothing done",
            report.database_ahead.join(", ")
        );
    }
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| json_string(s)).collect::<Vec<_>>().join(","))
}

/// Revisions as a JSON array of objects, for scripts.
fn json_revisions(migrator: &Migrator, ids: &[String], current: &[String]) -> String {
    let graph = migrator.graph();
    let items: Vec<String> = ids
        .iter()
        .filter_map(|id| graph.get(id))
        .map(|rev| {
            format!(
                "{{\"revision\":{},\"down_revisions\":{},\"branch_labels\":{},\"depends_on\":{},\"message\":{},\"path\":{},\"head\":{},\"branch_point\":{},\"merge_point\":{},\"current\":{}}}",
                json_string(&rev.id),
                json_list(&rev.down_revisions),
                json_list(&graph.branch_labels(&rev.id)),
                json_list(&rev.depends_on),
                json_string(&rev.message),
                json_string(&rev.path.display().to_string()),
                graph.is_real_head(&rev.id),
                graph.is_branch_point(&rev.id),
                rev.is_merge_point(),
                current.contains(&rev.id),
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// Splits `start:end` for `--sql`; `start` is a revision or `base`.
fn sql_range<'r>(migrator: &Migrator, revision: &'r str) -> Result<(Vec<String>, &'r str), String> {
    match revision.split_once(':') {
        Some((start, end)) => Ok((migrator.graph().resolve_ids(start).map_err(|e| e.to_string())?, end)),
        None => Ok((Vec::new(), revision)),
    }
}
