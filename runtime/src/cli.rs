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
//! command.run_and_report(migrator, retort::cli::Connection::new(pool)).await // myapp db upgrade head
//! # }
//! ```
//!
//! Output is Alembic's, line for line; a failure prints `FAILED: …` on
//! stderr and exits with status 255; `check` exits 1 when something needs
//! attention.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use retort_core::diagnostic::printable;
use retort_core::{Dialect, LineFormat, RevisionError, RevisionRange};

use crate::{Db, Migrator, Report};

/// The commands that need no file-writing (all but `init`, `revision`,
/// `merge`).
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Validate the revisions (and, with a database, what it lacks and how
    /// its schema drifted from what its revisions make).
    Check {
        /// Also run the stairway: upgrade, downgrade and upgrade again each
        /// revision in a scratch database, comparing schemas.
        #[arg(long)]
        roundtrip: bool,
        /// Also compare the schema the revisions make with a schema file's
        /// (Alembic's `check`: 1 when `revision --autogenerate` would write
        /// something); FILE is `schema.sql` when not given, and
        /// `schema.<dialect>.sql` beside it wins.
        #[arg(long = "schema", value_name = "FILE", num_args = 0..=1, default_missing_value = "schema.sql")]
        schema_file: Option<std::path::PathBuf>,
        /// Also check every baseline against the revisions it stands for:
        /// the schema built by them and the one built from it, in scratch
        /// databases, must be the same.
        #[arg(long)]
        baselines: bool,
        /// Also lint every revision's upgrade for the statements that lock
        /// a busy table or break running clients (rules as squawk names
        /// them; `-- retort: lint-ignore RULE` in a section switches one
        /// off).
        #[arg(long)]
        lint: bool,
        /// Where scratch databases go.
        #[command(flatten)]
        scratch: ScratchArgs,
    },
    /// List revisions, newest first.
    History {
        /// A range `start:end`, either side optional.
        #[arg(short = 'r', long = "rev-range", allow_hyphen_values = true)]
        range: Option<String>,
        /// Mark the database's current revisions.
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
        /// How it lists.
        #[command(flatten)]
        listing: Listing,
    },
    /// Show the heads.
    Heads {
        /// How it lists.
        #[command(flatten)]
        listing: Listing,
    },
    /// Show the branch points.
    Branches {
        /// How it lists.
        #[command(flatten)]
        listing: Listing,
    },
    /// Show the revision(s) an identifier names (`current`: the database's).
    Show {
        /// `head`, an id or prefix, `label@head`, `current`…
        #[arg(allow_hyphen_values = true)]
        rev: String,
        /// How it prints.
        #[command(flatten)]
        output: Output,
    },
    /// Show the database's current revision(s).
    Current {
        /// Fail unless the database is at every head.
        #[arg(long)]
        check_heads: bool,
        /// How it lists.
        #[command(flatten)]
        listing: Listing,
    },
    /// Upgrade to a later version.
    Upgrade {
        /// The target; `start:end` with --sql.
        #[arg(default_value = "heads", allow_hyphen_values = true)]
        revision: String,
        /// How it runs and reports.
        #[command(flatten)]
        run: RunArgs,
        /// How it groups revisions into transactions.
        #[command(flatten)]
        transactions: Transactions,
        /// Run every revision even on an empty database, instead of
        /// starting from a baseline.
        #[arg(long)]
        no_baseline: bool,
    },
    /// Revert to a previous version.
    Downgrade {
        /// The target; `start:end` with --sql.
        #[arg(allow_hyphen_values = true)]
        revision: String,
        /// How it runs and reports.
        #[command(flatten)]
        run: RunArgs,
        /// How it groups revisions into transactions.
        #[command(flatten)]
        transactions: Transactions,
    },
    /// Set the version table without running SQL.
    Stamp {
        /// The revisions to stamp.
        #[arg(required_unless_present = "detect", allow_hyphen_values = true)]
        revisions: Vec<String>,
        /// Empty the version table first.
        #[arg(long)]
        purge: bool,
        /// Find the revisions whose schema the database matches (built in
        /// a scratch database), instead of naming them.
        #[arg(long, conflicts_with_all = ["revisions", "sql", "purge"])]
        detect: bool,
        /// With --detect: stamp when exactly one state matches (replacing
        /// what the version table held).
        #[arg(long, requires = "detect")]
        yes: bool,
        /// Where scratch databases go (with --detect).
        #[command(flatten)]
        scratch: ScratchArgs,
        /// How it runs and reports.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Create the version table if it does not exist.
    EnsureVersion,
    /// Print the database's schema in canonical form (deterministic DDL).
    Schema {
        /// Only these tables (and views); all when none are named.
        tables: Vec<String>,
        /// `sql` (canonical DDL) or `json` (the model, for scripts).
        #[arg(long, value_enum, default_value_t = SchemaFormat::Sql)]
        format: SchemaFormat,
        /// PostgreSQL schemas to read [default: those on the search_path].
        #[arg(long = "schema", value_name = "SCHEMA")]
        schemas: Vec<String>,
        /// Leave out tables whose names match this pattern (`*`, `?`).
        #[arg(long, value_name = "PATTERN")]
        exclude: Vec<String>,
        /// Also show the version table and retort's log.
        #[arg(long)]
        with_version_table: bool,
    },
}

/// Where the checks that compare schemas build them.
#[derive(Debug, Clone, Default, Args)]
#[non_exhaustive]
pub struct ScratchArgs {
    /// A server where retort may create and drop scratch databases
    /// (postgres://, mysql://; sqlite:// for an in-memory SQLite) [default:
    /// the database's own server; SQLite in memory].
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
}

/// How `schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SchemaFormat {
    /// Canonical DDL.
    #[default]
    Sql,
    /// The schema model as JSON.
    Json,
}

/// How a listing prints: in full or one line each, as text or JSON.
#[derive(Debug, Clone, Default, Args)]
#[non_exhaustive]
pub struct Listing {
    /// Show each revision in full.
    #[arg(short, long)]
    pub verbose: bool,
    /// How it prints.
    #[command(flatten)]
    pub output: Output,
}

/// The output format of a read-only command.
#[derive(Debug, Clone, Default, Args)]
#[non_exhaustive]
pub struct Output {
    /// `text` (Alembic's) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `upgrade`, `downgrade` and `stamp` run and report.
#[derive(Debug, Clone, Default, Args)]
#[non_exhaustive]
pub struct RunArgs {
    /// Print the SQL instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// Print nothing but errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each statement as it runs.
    #[arg(short, long)]
    pub verbose: bool,
}

/// How a run groups revisions into transactions.
#[derive(Debug, Clone, Default, Args)]
#[non_exhaustive]
pub struct Transactions {
    /// One transaction per revision instead of one for the whole run.
    #[arg(long)]
    pub transaction_per_revision: bool,
    /// MySQL: finish a revision an earlier run left half done, running
    /// only the statements after those retort's log records as done.
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// MySQL: run a revision an earlier run left half done from its first
    /// statement (after undoing by hand what ran).
    #[arg(long)]
    pub restart: bool,
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

/// The database a command works on, as the program running it connected.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Connection<'a> {
    /// The database; `None` for commands that need none.
    pub db: Option<Db<'a>>,
    /// The dialect of `--sql` output (the database's when there is one).
    pub dialect: Option<Dialect>,
    /// How `current -v` names the database (a redacted URL).
    pub name: Option<String>,
}

impl<'a> Connection<'a> {
    /// A connection to a pool or connection.
    pub fn new(db: impl Into<Db<'a>>) -> Connection<'a> {
        let db = db.into();
        Connection { dialect: Some(db.dialect()), db: Some(db), name: None }
    }

    /// No database: listings, `check`, and `--sql` for `dialect` if given.
    pub fn offline(dialect: Option<Dialect>) -> Connection<'static> {
        Connection { db: None, dialect, name: None }
    }

    /// Names the database in `current -v` (pass a redacted URL).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// Why a command failed: the text after `FAILED: `.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The command needs a database and was given none.
    #[error("`{0}` needs a database, and none was given to it")]
    NoDatabase(&'static str),
    /// `--sql` without a database and without a dialect.
    #[error("--sql needs to know the database's dialect (postgresql, mysql or sqlite), and none was given")]
    NoDialect,
    /// `current --check-heads` on a database not at every head.
    #[error("Database is not on all head revisions")]
    NotAtHeads,
    /// The database is at a revision the migrator does not have.
    #[error("Can't locate revision identified by '{0}': the database is at a revision this binary does not have")]
    UnknownCurrent(String),
    /// `schema TABLE` names a table the database does not have.
    #[error("no table or view named {0} in the database (check the name, and --schema on PostgreSQL)")]
    NoSuchTable(String),
    /// `check --lint` without a database or a dialect.
    #[error("check --lint reads each revision's SQL for one engine: give a database URL or --dialect")]
    LintDialect,
    /// `check --baselines` without a database or a dialect.
    #[error("check --baselines builds schemas in scratch databases of one engine: give a database URL or --dialect")]
    BaselinesDialect,
    /// `check --schema` without a database or a dialect.
    #[error(
        "check --schema builds both schemas in a database of the engine they are for: give a database URL or --dialect"
    )]
    SchemaDialect,
    /// `check --schema`: the schema file cannot be read.
    #[error("cannot read the schema file {0}; name it with --schema FILE")]
    SchemaFile(String),
    /// A check that compares schemas has nowhere to build them.
    #[error(
        "this check builds schemas in a scratch database: give a database, or a server for scratch databases with --scratch-url (sqlite:// for an in-memory SQLite)"
    )]
    NoScratch,
    /// `stamp --detect --yes` without exactly one match.
    #[error("nothing stamped: {0}; stamp the right revision by hand")]
    NoDetection(String),
    /// `stamp --purge --sql`.
    #[error("Can't use --purge with --sql mode")]
    PurgeWithSql,
    /// An identifier that does not resolve or plan.
    #[error(transparent)]
    Revision(#[from] RevisionError),
    /// The run (or a read of the database) failed. Boxed: a run's error
    /// carries a statement and its file, and most verbs never fail this way.
    #[error(transparent)]
    Run(Box<crate::Error>),
}

impl From<crate::Error> for CliError {
    fn from(error: crate::Error) -> Self {
        CliError::Run(Box::new(error))
    }
}

type Outcome = Result<ExitCode, CliError>;

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Check { .. } => "check",
            Command::History { .. } => "history",
            Command::Heads { .. } => "heads",
            Command::Branches { .. } => "branches",
            Command::Show { .. } => "show",
            Command::Current { .. } => "current",
            Command::Upgrade { .. } => "upgrade",
            Command::Downgrade { .. } => "downgrade",
            Command::Stamp { .. } => "stamp",
            Command::EnsureVersion => "ensure-version",
            Command::Schema { .. } => "schema",
        }
    }

    /// True when the command reads or changes the database; `--sql` and the
    /// listings do not.
    pub fn needs_database(&self) -> bool {
        match self {
            Command::Check { .. } | Command::Heads { .. } | Command::Branches { .. } => false,
            Command::History { indicate_current, .. } => *indicate_current,
            Command::Show { rev, .. } => rev == "current",
            // A range without --sql is refused before connecting, as Alembic does.
            Command::Upgrade { run, revision, .. } | Command::Downgrade { run, revision, .. } => {
                !run.sql && !RevisionRange::is_range(revision)
            }
            Command::Stamp { run, detect, .. } => *detect || !run.sql,
            Command::Current { .. } | Command::EnsureVersion | Command::Schema { .. } => true,
        }
    }

    /// Runs the command; on failure prints `FAILED: …` and returns 255.
    pub async fn run_and_report(&self, migrator: &Migrator, connection: Connection<'_>) -> ExitCode {
        match self.run(migrator, connection).await {
            Ok(code) => code,
            Err(err) => {
                eprintln!("FAILED: {}", printable(&crate::redact(&err.to_string())));
                ExitCode::from(255)
            }
        }
    }

    /// Runs the command, printing what Alembic prints.
    pub async fn run(&self, migrator: &Migrator, connection: Connection<'_>) -> Outcome {
        let mut verb = Verb { migrator, connection, name: self.name() };
        match self {
            Command::Check { roundtrip, schema_file, lint, scratch, baselines } => {
                verb.check(*roundtrip, schema_file.as_deref(), *lint, *baselines, scratch).await
            }
            Command::History { range, indicate_current, listing } => {
                verb.history(range.as_deref(), *indicate_current, listing).await
            }
            Command::Heads { listing } => verb.heads(listing),
            Command::Branches { listing } => verb.branches(listing),
            Command::Show { rev, output } => verb.show(rev, output.format).await,
            Command::Current { check_heads, listing } => verb.current(*check_heads, listing).await,
            Command::Upgrade { revision, run, transactions, no_baseline } => {
                verb.upgrade(revision, run, transactions, true, !no_baseline).await
            }
            Command::Downgrade { revision, run, transactions } => {
                verb.upgrade(revision, run, transactions, false, false).await
            }
            Command::Stamp { detect: true, yes, scratch, .. } => verb.detect(*yes, scratch).await,
            Command::Stamp { revisions, purge, run, .. } => verb.stamp(revisions, *purge, run).await,
            Command::EnsureVersion => {
                migrator.ensure_version(verb.db()?).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Schema { tables, format, schemas, exclude, with_version_table } => {
                let options = crate::InspectOptions::default()
                    .with_schemas(schemas.iter().cloned())
                    .with_exclude(exclude.iter().cloned())
                    .with_version_table(migrator.version_table().name.clone())
                    .with_bookkeeping(*with_version_table);
                verb.schema(tables, *format, &options).await
            }
        }
    }
}

/// One command being run: the migrator and the connection it was given.
struct Verb<'m, 'c> {
    migrator: &'m Migrator,
    connection: Connection<'c>,
    name: &'static str,
}

impl<'c> Verb<'_, 'c> {
    fn db(&mut self) -> Result<Db<'c>, CliError> {
        self.connection.db.take().ok_or(CliError::NoDatabase(self.name))
    }

    fn offline_dialect(&self) -> Result<Dialect, CliError> {
        self.connection.dialect.ok_or(CliError::NoDialect)
    }

    /// `check`: the graph's warnings, the embedded files' drift, and with a
    /// database what it lacks and what changed after it ran.
    async fn check(
        &mut self,
        roundtrip: bool,
        schema_file: Option<&std::path::Path>,
        lint: bool,
        baselines: bool,
        scratch: &ScratchArgs,
    ) -> Outcome {
        let (migrator, graph) = (self.migrator, self.migrator.graph());
        let options = migrator.options();
        let expected = |w: &&retort_core::Diagnostic| {
            (options.expect_multiple_heads && graph.multiple_heads().as_ref() == Some(*w))
                || (options.expect_multiple_bases && graph.multiple_bases().as_ref() == Some(*w))
        };
        let warnings: Vec<_> = graph.warnings().iter().filter(|w| !expected(w)).collect();
        for warning in &warnings {
            eprintln!("{warning:#}\n");
        }
        let mut attention = !warnings.is_empty();
        if graph.is_empty() {
            // The macro's error, as a warning: nothing to run is not wrong.
            let dir = migrator.dir().unwrap_or(std::path::Path::new("."));
            let mut empty = retort_core::loader::empty_directory(dir);
            empty.severity = retort_core::Severity::Warning;
            eprintln!("{empty:#}\n");
            attention = true;
        }
        println!("{} revisions, heads: {}", graph.len(), graph.heads().join(", "));
        if let Some(drift) = migrator.embedded_drift() {
            for file in &drift.missing {
                println!("on disk but not in this binary (rebuild it): {}", printable(file));
            }
            for file in &drift.gone {
                println!("in this binary but no longer on disk: {}", printable(file));
            }
            attention |= !drift.is_empty();
        }
        if let Ok(mut db) = self.db() {
            let pending = migrator.pending(db.reborrow()).await?;
            if !pending.is_empty() {
                println!("pending: {}", pending.join(", "));
                attention = true;
            }
            for edited in migrator.edited(db.reborrow()).await? {
                println!(
                    "edited after it was applied: {} ({})",
                    edited.revision,
                    printable(&edited.path.display().to_string())
                );
                attention = true;
            }
            attention |= self.check_drift(&mut db, scratch).await;
            self.connection.db = Some(db);
        }
        if lint {
            attention |= self.check_lint()?;
        }
        if let Some(file) = schema_file {
            attention |= self.check_schema_file(file, scratch).await?;
        }
        if roundtrip {
            attention |= self.check_roundtrip(scratch).await?;
        }
        if baselines {
            attention |= self.check_baselines(scratch).await?;
        }
        Ok(if attention { ExitCode::from(1) } else { ExitCode::SUCCESS })
    }

    fn inspect_options(&self) -> crate::InspectOptions {
        crate::InspectOptions::default().with_version_table(self.migrator.version_table().name.clone())
    }

    /// `check` with a database: its schema against what its revisions
    /// make. True when it needs attention (drift, or it could not be told).
    async fn check_drift(&mut self, db: &mut Db<'_>, args: &ScratchArgs) -> bool {
        let options = self.inspect_options();
        let drift = match scratch(Some(&mut *db), self.connection.dialect, args).await {
            Ok(scratch) => {
                let drift = self.migrator.schema_drift(db.reborrow(), &scratch, &options).await;
                release(scratch).await;
                drift
            }
            Err(err) => Err(match err {
                CliError::Run(err) => *err,
                other => crate::Error::Scratch { cause: other.to_string() },
            }),
        };
        match drift {
            Ok(drift) if drift.differences.is_empty() => false,
            Ok(drift) => {
                let at = if drift.current.is_empty() { "base".to_owned() } else { drift.current.join(", ") };
                println!("schema drift: the database differs from what its revisions ({at}) make:");
                print_differences(&drift.differences);
                true
            }
            Err(err) => {
                eprintln!(
                    "WARNING  [retort] schema drift not checked: {}",
                    printable(&crate::redact(&err.to_string()))
                );
                true
            }
        }
    }

    /// `check --lint`: true when a revision's upgrade holds a statement
    /// that locks a busy table or breaks running clients.
    fn check_lint(&self) -> Result<bool, CliError> {
        let dialect = self.connection.dialect.ok_or(CliError::LintDialect)?;
        let mut attention = false;
        let graph = self.migrator.graph();
        for revision in graph.revisions().iter().filter_map(|r| graph.runnable(&r.id)) {
            let Some(section) = revision.upgrade_for(dialect) else { continue };
            let ignored = retort_core::lint::ignored_rules(&section.sql);
            let statements = revision.statements(retort_core::Direction::Upgrade, dialect).unwrap_or_default();
            for finding in retort_core::lint::lint(&statements, dialect, revision.transactional) {
                if ignored.iter().any(|r| r == finding.rule) {
                    continue;
                }
                println!(
                    "{}:{}: {}: {}",
                    printable(&revision.path.display().to_string()),
                    finding.line,
                    finding.rule,
                    finding.message
                );
                attention = true;
            }
        }
        Ok(attention)
    }

    /// `check --schema FILE`: true when the schema the revisions make
    /// differs from the file's (autogenerate would write a revision).
    async fn check_schema_file(&mut self, file: &std::path::Path, args: &ScratchArgs) -> Result<bool, CliError> {
        let dialect = self.connection.dialect.ok_or(CliError::SchemaDialect)?;
        let file = crate::schema_file_for(file, dialect);
        let sql =
            std::fs::read_to_string(&file).map_err(|e| CliError::SchemaFile(format!("{}: {e}", file.display())))?;
        let options = self.inspect_options();
        let head_scratch = scratch(self.connection.db.as_mut(), Some(dialect), args).await?;
        let head = self.migrator.schema_at(&head_scratch, &["heads"], &options).await;
        release(head_scratch).await;
        let wanted_scratch = scratch(self.connection.db.as_mut(), Some(dialect), args).await?;
        let wanted = self.migrator.schema_of_script(&wanted_scratch, &file.display().to_string(), &sql, &options).await;
        release(wanted_scratch).await;
        let (head, wanted) = (head?, wanted?);
        let differences = retort_core::schema::compare(&head, &wanted);
        // As autogenerate decides: something to write, not merely something
        // compared (a trigger's text is compared and never generated).
        let options = retort_core::schema::MigrationOptions::new(dialect).with_allow_drop(true);
        let writes =
            retort_core::schema::migration(&head, &wanted, &options).map(|m| !m.upgrade.is_empty()).unwrap_or(true);
        if differences.is_empty() || !writes {
            println!("No new upgrade operations detected.");
            print_differences(&retort_core::schema::Differences { changes: Vec::new(), notices: differences.notices });
            for change in &differences.changes {
                println!("  (compared, not generated) {}", printable(&change.to_string()));
            }
            return Ok(false);
        }
        println!("New upgrade operations detected ({} against the revisions' head):", file.display());
        print_differences(&differences);
        Ok(true)
    }

    /// `check --baselines`. True when a baseline builds another schema than
    /// the revisions it stands for (or cannot be checked).
    async fn check_baselines(&mut self, args: &ScratchArgs) -> Result<bool, CliError> {
        let dialect = self.connection.dialect.ok_or(CliError::BaselinesDialect)?;
        let mut attention = false;
        for baseline in self.migrator.graph().baselines() {
            if baseline.section(retort_core::Direction::Upgrade, dialect).is_none() {
                println!("baseline of {}: no section for {dialect}; not checked", baseline.id);
                continue;
            }
            let by_history = scratch(self.connection.db.as_mut(), Some(dialect), args).await?;
            let by_baseline = match scratch(self.connection.db.as_mut(), Some(dialect), args).await {
                Ok(scratch) => scratch,
                Err(err) => {
                    release(by_history).await;
                    return Err(err);
                }
            };
            let drift =
                self.migrator.baseline_drift(&baseline.id, &by_history, &by_baseline, &self.inspect_options()).await;
            release(by_history).await;
            release(by_baseline).await;
            match drift {
                Ok(differences) if differences.is_empty() => {
                    println!("baseline of {}: the schema its revisions build", baseline.id);
                }
                Ok(differences) => {
                    println!(
                        "baseline of {} ({}): from the schema its revisions build to the baseline's:",
                        baseline.id,
                        printable(&baseline.path.display().to_string())
                    );
                    print_differences(&differences);
                    attention = true;
                }
                Err(err) => {
                    println!("baseline of {}: not checked: {}", baseline.id, printable(&err.to_string()));
                    attention = true;
                }
            }
        }
        Ok(attention)
    }

    /// `check --roundtrip`. True when a revision's downgrade does not undo
    /// its upgrade.
    async fn check_roundtrip(&mut self, args: &ScratchArgs) -> Result<bool, CliError> {
        let dialect = self.connection.dialect;
        let scratch = scratch(self.connection.db.as_mut(), dialect, args).await?;
        let result = self.migrator.roundtrip(&scratch, &self.inspect_options()).await;
        release(scratch).await;
        let result = result?;
        for (revision, why) in &result.skipped {
            println!("round trip: skipped {revision}: {why}");
        }
        match &result.failure {
            None => {
                println!(
                    "round trip: {} revisions upgraded, downgraded and upgraded again, each leaving the schema as it found it",
                    result.checked.len()
                );
                Ok(false)
            }
            Some(failure) => {
                let what = if failure.phase == "downgrade" {
                    "its downgrade does not restore the schema before its upgrade"
                } else {
                    "upgrading it again after its downgrade makes another schema"
                };
                println!(
                    "round trip: revision {}: {what}; from the schema expected to the one found:",
                    failure.revision
                );
                print_differences(&failure.differences);
                Ok(true)
            }
        }
    }

    /// `stamp --detect`: the states of the history whose schema the
    /// database matches; with `--yes`, stamps the only one.
    async fn detect(&mut self, yes: bool, args: &ScratchArgs) -> Outcome {
        let mut db = self.db()?;
        let scratch = scratch(Some(&mut db), self.connection.dialect, args).await?;
        let detection = self.migrator.detect_revision(db.reborrow(), &scratch, &self.inspect_options()).await;
        release(scratch).await;
        let detection = detection?;
        let graph = self.migrator.graph();
        let name = |heads: &[String]| {
            if heads.is_empty() {
                "base (an empty schema)".to_owned()
            } else {
                heads
                    .iter()
                    .map(|h| graph.format_line(h, LineFormat::CURRENT, false).unwrap_or(h.clone()))
                    .collect::<Vec<_>>()
                    .join(" + ")
            }
        };
        match detection.matches.as_slice() {
            [only] => {
                println!("The database's schema matches {}", name(only));
                if yes && !graph.branch_points().is_empty() {
                    // Only the states along one order of the branches were
                    // built: a branch that changes only data could hide.
                    return Err(CliError::NoDetection(
                        "the history has branches, and detection built only the states along one order of them"
                            .to_owned(),
                    ));
                }
                if yes {
                    let targets: Vec<&str> =
                        if only.is_empty() { vec!["base"] } else { only.iter().map(String::as_str).collect() };
                    warn_if_ahead(&self.migrator.stamp(db, &targets, true).await?);
                } else {
                    let ids = if only.is_empty() { "base".to_owned() } else { only.join(" ") };
                    if graph.branch_points().is_empty() {
                        println!("Run `stamp --detect --yes` (or `stamp {ids}`) to record it.");
                    } else {
                        println!(
                            "Run `stamp {ids}` to record it, after checking that the branches beside it hold nothing this state lacks."
                        );
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            [] => {
                println!("No revision's schema matches the database's. The nearest:");
                for (heads, differences) in &detection.nearest {
                    println!("{} ({} differences):", name(heads), differences.changes.len());
                    print_differences(differences);
                }
                if yes {
                    Err(CliError::NoDetection("no revision's schema matches".to_owned()))
                } else {
                    Ok(ExitCode::from(1))
                }
            }
            several => {
                println!("The database's schema matches several states (revisions that change no schema):");
                for heads in several {
                    println!("  {}", name(heads));
                }
                if yes { Err(CliError::NoDetection("several states match".to_owned())) } else { Ok(ExitCode::from(1)) }
            }
        }
    }

    async fn history(&mut self, range: Option<&str>, indicate_current: bool, listing: &Listing) -> Outcome {
        let graph = self.migrator.graph();
        let current = if indicate_current { self.migrator.current(self.db()?).await? } else { Vec::new() };
        if listing.output.format == Format::Json {
            let ids: Vec<String> = graph.history(range)?.iter().map(|r| r.id.clone()).collect();
            println!("{}", graph.summaries_json(&ids, &current));
        } else {
            print!("{}", printable(&graph.history_text(range, listing.verbose, &current)?));
        }
        Ok(ExitCode::SUCCESS)
    }

    fn heads(&self, listing: &Listing) -> Outcome {
        let graph = self.migrator.graph();
        match listing.output.format {
            Format::Json => println!("{}", graph.summaries_json(&graph.heads(), &[])),
            Format::Text => print!("{}", printable(&graph.heads_text(listing.verbose))),
        }
        Ok(ExitCode::SUCCESS)
    }

    fn branches(&self, listing: &Listing) -> Outcome {
        let graph = self.migrator.graph();
        match listing.output.format {
            Format::Json => println!("{}", graph.summaries_json(&graph.branch_points(), &[])),
            Format::Text => print!("{}", printable(&graph.branches_text(listing.verbose))),
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn show(&mut self, rev: &str, format: Format) -> Outcome {
        let graph = self.migrator.graph();
        let (ids, current) = if rev == "current" {
            let rows = self.migrator.current(self.db()?).await?;
            (rows.clone(), rows)
        } else {
            (graph.resolve_ids(rev)?, Vec::new())
        };
        if format == Format::Json {
            println!("{}", graph.summaries_json(&ids, &current));
        } else if rev == "current" {
            for row in &ids {
                println!("{}", printable(&graph.format_entry(row, false).unwrap_or_default()));
            }
        } else {
            print!("{}", printable(&graph.show_text(rev)?));
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn current(&mut self, check_heads: bool, listing: &Listing) -> Outcome {
        let graph = self.migrator.graph();
        let rows = self.migrator.current(self.db()?).await?;
        if check_heads {
            let mut heads = graph.heads();
            heads.sort();
            if rows != heads {
                return Err(CliError::NotAtHeads);
            }
        }
        if listing.verbose {
            println!("Current revision(s) for {}:", self.connection.name.as_deref().unwrap_or("the database"));
        }
        if let Some(row) = rows.iter().find(|r| graph.get(r).is_none()) {
            return Err(CliError::UnknownCurrent(row.clone()));
        }
        // As Alembic: the tips of what the rows stand for, so a revision
        // only depended on is listed too.
        let ids = graph.all_current_ids(&rows);
        if listing.output.format == Format::Json {
            println!("{}", graph.summaries_json(&ids, &rows));
            return Ok(ExitCode::SUCCESS);
        }
        for id in ids {
            let text = if listing.verbose {
                graph.format_entry(&id, false)
            } else {
                graph.format_line(&id, LineFormat::CURRENT, false)
            };
            println!("{}", text.unwrap_or_default());
        }
        Ok(ExitCode::SUCCESS)
    }

    /// `upgrade` (or, with `up` false, `downgrade`): run, or print the SQL.
    async fn upgrade(
        &mut self,
        revision: &str,
        run: &RunArgs,
        transactions: &Transactions,
        up: bool,
        baselines: bool,
    ) -> Outcome {
        let with = with_transactions(self.migrator, transactions);
        let options = with.options().clone().with_baselines(baselines && with.options().use_baselines);
        let migrator = &with.with_options(options);
        if run.sql {
            let range = migrator.graph().offline_range(revision, up)?;
            let from: Vec<&str> = range.from.iter().map(String::as_str).collect();
            let dialect = self.offline_dialect()?;
            let target = range.to[0];
            let sql = if up {
                migrator.upgrade_sql(dialect, &from, target)?
            } else {
                migrator.downgrade_sql(dialect, &from, target)?
            };
            print!("{sql}");
            return Ok(ExitCode::SUCCESS);
        }
        let target = RevisionRange::single(revision)?;
        if migrator.graph().is_empty() {
            // Nothing to run is what Alembic does too (exit 0), but it is
            // usually the wrong directory: say so.
            let dir = migrator.dir().unwrap_or(std::path::Path::new("."));
            let mut empty = retort_core::loader::empty_directory(dir);
            empty.severity = retort_core::Severity::Warning;
            eprintln!("{empty:#}");
        }
        let migrator = with_progress(migrator, run);
        let report = if up {
            migrator.upgrade(self.db()?, target).await?
        } else {
            migrator.downgrade(self.db()?, target).await?
        };
        warn_if_ahead(&report);
        Ok(ExitCode::SUCCESS)
    }

    async fn stamp(&mut self, revisions: &[String], purge: bool, run: &RunArgs) -> Outcome {
        if run.sql {
            if purge {
                return Err(CliError::PurgeWithSql);
            }
            let range = self.migrator.graph().offline_stamp_range(revisions)?;
            let from: Vec<&str> = range.from.iter().map(String::as_str).collect();
            print!("{}", self.migrator.stamp_sql(self.offline_dialect()?, &from, &range.to)?);
            return Ok(ExitCode::SUCCESS);
        }
        let targets: Vec<&str> = revisions.iter().map(String::as_str).collect();
        warn_if_ahead(&with_progress(self.migrator, run).stamp(self.db()?, &targets, purge).await?);
        Ok(ExitCode::SUCCESS)
    }
}

impl Verb<'_, '_> {
    /// `schema`: the live database's schema, whole or some of its tables.
    async fn schema(&mut self, tables: &[String], format: SchemaFormat, options: &crate::InspectOptions) -> Outcome {
        let mut schema = crate::inspect(self.db()?, options).await?;
        let missing: Vec<&String> = tables
            .iter()
            .filter(|t| !schema.tables.keys().chain(schema.views.keys()).any(|n| n.name == **t || n.to_string() == **t))
            .collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|t| t.as_str()).collect();
            return Err(CliError::NoSuchTable(names.join(", ")));
        }
        if !tables.is_empty() {
            let wanted = |n: &retort_core::schema::Name| tables.iter().any(|t| *t == n.name || *t == n.to_string());
            schema.tables.retain(|n, _| wanted(n));
            schema.views.retain(|n, _| wanted(n));
            schema.triggers.retain(|t| wanted(&t.table));
            schema.enums.clear();
            schema.sequences.clear();
            schema.routines.clear();
        }
        match format {
            SchemaFormat::Json => println!("{}", schema.to_json()),
            SchemaFormat::Sql if tables.is_empty() => {
                let dialect = schema.dialect.map(|d| d.to_string()).unwrap_or_default();
                println!("-- {dialect} {}; fingerprint {}\n", schema.server_version, schema.fingerprint());
                print!("{}", printable(&schema.canonical_sql()));
            }
            SchemaFormat::Sql => print!("{}", printable(&schema.canonical_sql_of(tables))),
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// A scratch database: on `--scratch-url`'s server, beside `db`, or (with
/// neither) SQLite in memory when the dialect is SQLite.
async fn scratch(
    db: Option<&mut Db<'_>>,
    dialect: Option<Dialect>,
    args: &ScratchArgs,
) -> Result<crate::ScratchDatabase, CliError> {
    if let Some(url) = &args.scratch_url {
        return Ok(crate::ScratchDatabase::on_server(url).await?);
    }
    match db {
        Some(db) => Ok(crate::ScratchDatabase::beside(db.reborrow()).await?),
        None if dialect == Some(Dialect::Sqlite) => Ok(crate::ScratchDatabase::on_server("sqlite::memory:").await?),
        None => Err(CliError::NoScratch),
    }
}

/// Drops a scratch database, saying so when that fails (naming it, so it
/// can be dropped by hand).
pub async fn release(scratch: crate::ScratchDatabase) {
    let name = scratch.name().map(str::to_owned);
    if let Err(err) = scratch.drop_database().await {
        eprintln!(
            "WARNING  [retort] the scratch database {} was not dropped: {}; drop it by hand",
            name.unwrap_or_default(),
            printable(&crate::redact(&err.to_string()))
        );
    }
}

/// Each change on its own line, then the notices.
fn print_differences(differences: &retort_core::schema::Differences) {
    for change in &differences.changes {
        println!("  {}", printable(&change.to_string()));
    }
    for notice in &differences.notices {
        println!("  note: {}", printable(&notice.to_string()));
    }
}

/// `migrator`, with one transaction per revision when `--transaction-per-revision` asks.
fn with_transactions(migrator: &Migrator, asked: &Transactions) -> Migrator {
    let mut options = migrator.options().clone();
    options.transaction_per_revision |= asked.transaction_per_revision;
    if asked.resume {
        options.on_unfinished = crate::OnUnfinished::Resume;
    } else if asked.restart {
        options.on_unfinished = crate::OnUnfinished::Restart;
    }
    migrator.clone().with_options(options)
}

/// The migrator, telling stderr about each step: on a terminal, which one
/// of how many runs and how long it took; piped, Alembic's plain log line.
fn with_progress(migrator: &Migrator, run: &RunArgs) -> Migrator {
    use std::io::{IsTerminal, Write};
    if run.quiet {
        return migrator.clone();
    }
    let (terminal, verbose) = (std::io::stderr().is_terminal(), run.verbose);
    migrator.clone().with_progress(move |event| match *event {
        crate::Progress::Started { index, total, description } if terminal => {
            eprint!("[{}/{total}] Running {} ...", index + 1, printable(description));
            let _ = std::io::stderr().flush();
        }
        crate::Progress::Started { description, .. } => eprintln!("INFO  [retort] Running {}", printable(description)),
        crate::Progress::Statement { line, sql } if verbose => {
            if terminal {
                eprintln!();
            }
            eprintln!("    line {line}: {}", printable(&crate::error::shorten(sql)));
        }
        crate::Progress::Warning { message } => {
            if terminal {
                eprintln!();
            }
            eprintln!("WARNING  [retort] {}", printable(message));
        }
        crate::Progress::Finished { duration, .. } if terminal => eprintln!(" done in {:.1} s", duration.as_secs_f64()),
        _ => {}
    })
}

/// A warning when the run did nothing because the database is ahead.
fn warn_if_ahead(report: &Report) {
    if !report.database_ahead.is_empty() {
        eprintln!(
            "WARNING  [retort] the database is at {} which this binary does not know; nothing done",
            report.database_ahead.join(", ")
        );
    }
}
