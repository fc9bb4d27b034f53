//! The migrator: a revision graph, where its version table is, and how to
//! run; and the read-only questions one can ask a database.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use retort_core::{Dialect, Plan, RevisionGraph};

use crate::db::{Conn, Db, is_missing_table};
use crate::drift::{Drift, EmbeddedFiles};
use crate::error::Error;
use crate::report::{Edited, HistoryEntry, LogEntry, Report, Status};
use crate::table::VersionTable;

/// How a run behaves. Built from the default with its `with_…` methods
/// (more options may come, so it cannot be written as a literal):
///
/// ```
/// use std::time::Duration;
/// let options = retort::Options::default().with_transaction_per_revision(true).with_lock_timeout(Duration::from_secs(30));
/// assert!(options.transaction_per_revision);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// One transaction per revision instead of one for the whole run
    /// (PostgreSQL and SQLite; MySQL commits DDL as it goes either way).
    pub transaction_per_revision: bool,
    /// When the database is at a revision this binary does not know (it is
    /// ahead, during a rolling deploy), log it and do nothing instead of
    /// failing.
    pub allow_database_ahead: bool,
    /// How long to wait for another process's migration lock.
    pub lock_timeout: Duration,
    /// MySQL: what to do with a revision an earlier run left half done
    /// (by default, stop and say what ran).
    pub on_unfinished: OnUnfinished,
    /// Several heads are the project's design (branches kept apart on
    /// purpose): `check` does not report them.
    pub expect_multiple_heads: bool,
    /// Several bases are the project's design: `check` does not report
    /// them.
    pub expect_multiple_bases: bool,
    /// An empty database upgrading past a revision with a baseline starts
    /// from the baseline (the default); false runs every revision.
    pub use_baselines: bool,
}

/// What a MySQL run does with a revision an earlier run left half done
/// (MySQL commits DDL statement by statement, so part of it stays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnUnfinished {
    /// Stop before running anything, saying which statements ran, which
    /// one may have, and what to do.
    #[default]
    Stop,
    /// Run only the statements after those retort's log records as done
    /// (`--resume`). Refused when those statements changed since.
    Resume,
    /// Run the revision from its first statement again: what ran was undone
    /// by hand (`--restart`).
    Restart,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            transaction_per_revision: false,
            allow_database_ahead: false,
            lock_timeout: Duration::from_secs(600),
            on_unfinished: OnUnfinished::Stop,
            expect_multiple_heads: false,
            expect_multiple_bases: false,
            use_baselines: true,
        }
    }
}

impl Options {
    /// Sets [`Options::use_baselines`].
    pub fn with_baselines(mut self, use_baselines: bool) -> Self {
        self.use_baselines = use_baselines;
        self
    }

    /// Sets [`Options::expect_multiple_heads`] and
    /// [`Options::expect_multiple_bases`].
    pub fn expecting_multiple(mut self, heads: bool, bases: bool) -> Self {
        self.expect_multiple_heads = heads;
        self.expect_multiple_bases = bases;
        self
    }

    /// Sets [`Options::transaction_per_revision`].
    pub fn with_transaction_per_revision(mut self, yes: bool) -> Self {
        self.transaction_per_revision = yes;
        self
    }

    /// Sets [`Options::allow_database_ahead`].
    pub fn with_allow_database_ahead(mut self, yes: bool) -> Self {
        self.allow_database_ahead = yes;
        self
    }

    /// Sets [`Options::on_unfinished`].
    pub fn with_on_unfinished(mut self, what: OnUnfinished) -> Self {
        self.on_unfinished = what;
        self
    }

    /// Sets [`Options::lock_timeout`].
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// Applies a revision graph to databases, with Alembic's semantics and
/// Alembic's `alembic_version` table.
///
/// ```no_run
/// # async fn demo() -> Result<(), retort::Error> {
/// let pool = sqlx::SqlitePool::connect("sqlite://app.db?mode=rwc").await.unwrap();
/// let migrator = retort::Migrator::from_dir("alembic/versions")?;
/// let report = migrator.upgrade(&pool, "head").await?;
/// println!("now at {}", report.heads_after.join(", "));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Migrator {
    pub(crate) graph: Arc<RevisionGraph>,
    pub(crate) table: VersionTable,
    pub(crate) options: Options,
    /// The files the revisions were embedded from, if they were.
    pub(crate) embedded: Option<EmbeddedFiles>,
    /// The versions directory they were read from (at build time when
    /// embedded), if any.
    pub(crate) dir: Option<std::path::PathBuf>,
    /// Told when each step starts and ends.
    pub(crate) progress: Option<ProgressFn>,
}

/// A callback told about each step of a run (see [`Migrator::with_progress`]).
pub type ProgressFn = Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// A step of a run starting or ending, for progress displays.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// Step `index` (0-based) of `total` starts.
    Started {
        /// Its position.
        index: usize,
        /// How many steps the run has.
        total: usize,
        /// Alembic's log line for it.
        description: &'a str,
    },
    /// A statement of the current step is about to run.
    Statement {
        /// Its line in the revision file.
        line: u32,
        /// Its text.
        sql: &'a str,
    },
    /// Something the user should know about a revision that does not stop
    /// the run (the CLI prints it as a warning).
    Warning {
        /// What, with the file and line.
        message: &'a str,
    },
    /// Step `index` of `total` finished.
    Finished {
        /// Its position.
        index: usize,
        /// How many steps the run has.
        total: usize,
        /// Alembic's log line for it.
        description: &'a str,
        /// How long it took.
        duration: Duration,
    },
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("revisions", &self.graph.len())
            .field("table", &self.table)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A command the runner carries out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Command<'a> {
    Upgrade(&'a str),
    Downgrade(&'a str),
    Stamp(&'a [&'a str], bool),
}

impl Migrator {
    /// A migrator over a validated graph, with the default version table and
    /// options.
    pub fn new(graph: RevisionGraph) -> Migrator {
        Migrator {
            graph: Arc::new(graph),
            table: VersionTable::default(),
            options: Options::default(),
            embedded: None,
            dir: None,
            progress: None,
        }
    }

    /// Reads and validates a versions directory at run time (the command
    /// line's way; applications embed theirs with `#[migrations]`).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrator, Error> {
        let graph = retort_core::load_dir(dir.as_ref()).map_err(Error::Load)?;
        Ok(Migrator { dir: Some(dir.as_ref().to_owned()), ..Migrator::new(graph) })
    }

    /// Reads and validates the revisions of several folders as one graph
    /// (Alembic's `version_locations`, `recursive_version_locations`).
    ///
    /// ```no_run
    /// use retort::VersionLocations;
    /// let locations = VersionLocations::dirs(["db/versions".into(), "db/expand".into()]).recursive(true);
    /// let migrator = retort::Migrator::from_locations(&locations)?;
    /// # Ok::<(), retort::Error>(())
    /// ```
    pub fn from_locations(locations: &crate::VersionLocations) -> Result<Migrator, Error> {
        let graph = retort_core::load_locations(locations).map_err(Error::Load)?;
        Ok(Migrator { dir: locations.dirs.first().cloned(), ..Migrator::new(graph) })
    }

    /// Uses the version table `name` (Alembic's `version_table`).
    pub fn with_version_table(mut self, name: impl Into<String>) -> Self {
        self.table.name = name.into();
        self
    }

    /// Puts the version table in `schema` (Alembic's `version_table_schema`).
    pub fn with_version_table_schema(mut self, schema: impl Into<String>) -> Self {
        self.table.schema = Some(schema.into());
        self
    }

    /// Calls `progress` as each step of a run starts and ends.
    pub fn with_progress(mut self, progress: impl Fn(&Progress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The graph.
    pub fn graph(&self) -> &RevisionGraph {
        &self.graph
    }

    /// The version table.
    pub fn version_table(&self) -> &VersionTable {
        &self.table
    }

    /// The versions directory the revisions were read from (for embedded
    /// revisions, where the build read them); `None` for a graph built in
    /// memory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// For embedded revisions: how the revision files on disk differ from
    /// the ones the binary embeds; `None` when the revisions were read at
    /// run time.
    pub fn embedded_drift(&self) -> Option<Drift> {
        self.embedded.map(|files| files.drift())
    }

    /// The heads of the graph (what `heads` upgrades to).
    pub fn heads(&self) -> Vec<String> {
        self.graph.heads()
    }

    /// Upgrades to `target` (`head`, `heads`, an id, `label@head`, `+1`…).
    pub async fn upgrade<'a>(&self, db: impl Into<Db<'a>>, target: &str) -> Result<Report, Error> {
        self.run(db.into(), Command::Upgrade(target)).await
    }

    /// Downgrades to `target` (`base`, an id, `-1`, `label@base`…).
    pub async fn downgrade<'a>(&self, db: impl Into<Db<'a>>, target: &str) -> Result<Report, Error> {
        self.run(db.into(), Command::Downgrade(target)).await
    }

    /// Sets the version table to `targets` without running SQL; `purge`
    /// empties it first (and accepts rows this graph does not know).
    pub async fn stamp<'a>(&self, db: impl Into<Db<'a>>, targets: &[&str], purge: bool) -> Result<Report, Error> {
        self.run(db.into(), Command::Stamp(targets, purge)).await
    }

    /// The version table's rows (Alembic's `current`), sorted; empty when
    /// the table does not exist.
    pub async fn current<'a>(&self, db: impl Into<Db<'a>>) -> Result<Vec<String>, Error> {
        let mut db = db.into();
        let mut conn = acquire(&mut db).await?;
        let mut rows = self.read_rows(&mut conn).await?;
        rows.sort();
        Ok(rows)
    }

    /// The revisions an upgrade to `heads` would apply, in order, without
    /// taking a lock or creating anything: for readiness probes.
    pub async fn pending<'a>(&self, db: impl Into<Db<'a>>) -> Result<Vec<String>, Error> {
        let rows = self.current(db).await?;
        if self.options.allow_database_ahead && rows.iter().any(|r| self.graph.get(r).is_none()) {
            // Ahead of this binary, as allowed: nothing it could apply.
            return Ok(Vec::new());
        }
        let plan = self.graph.plan_upgrade(&rows, "heads")?;
        Ok(plan.revision_ids().into_iter().map(str::to_owned).collect())
    }

    /// Every revision, newest first, with whether the database has it.
    pub async fn history<'a>(&self, db: impl Into<Db<'a>>) -> Result<Vec<HistoryEntry<'_>>, Error> {
        let rows = self.current(db).await?;
        let mut applied: std::collections::HashSet<String> = rows.iter().cloned().collect();
        for row in &rows {
            applied.extend(self.graph.ancestors(row));
        }
        Ok(self
            .graph
            .history(None)?
            .into_iter()
            .map(|revision| HistoryEntry { applied: applied.contains(&revision.id), revision })
            .collect())
    }

    /// Creates the version table if it does not exist (Alembic's
    /// `ensure_version`).
    pub async fn ensure_version<'a>(&self, db: impl Into<Db<'a>>) -> Result<(), Error> {
        let mut db = db.into();
        let mut conn = acquire(&mut db).await?;
        let sql = self.table.create(conn.dialect(), true);
        conn.execute(&sql).await.map_err(|e| Error::database("creating the version table", &e))?;
        Ok(())
    }

    /// retort's log for this version table: the last event of each revision.
    pub async fn log<'a>(&self, db: impl Into<Db<'a>>) -> Result<Vec<LogEntry>, Error> {
        let mut db = db.into();
        let mut conn = acquire(&mut db).await?;
        let sql = self.table.log_select(conn.dialect());
        let rows = match conn.fetch_rows(&sql, &[&self.table.display_name()], 6).await {
            Ok(rows) => rows,
            Err(err) if is_missing_table(&err) => return Ok(Vec::new()),
            Err(err) => return Err(Error::database("reading retort's log", &err)),
        };
        // A row another tool (or a later retort) wrote with words this one
        // does not know is left out rather than misread.
        let mut entries: Vec<LogEntry> = rows
            .into_iter()
            .filter_map(|row| {
                let mut cells = row.into_iter().map(Option::unwrap_or_default);
                let mut next = || cells.next().unwrap_or_default();
                Some(LogEntry {
                    revision: next(),
                    checksum: next(),
                    direction: next().parse().ok()?,
                    status: next().parse().ok()?,
                    started_at: next(),
                    detail: next(),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        Ok(entries)
    }

    /// Applied revisions whose SQL changed since they ran (white space and
    /// line endings do not count), for `check`.
    pub async fn edited<'a>(&self, db: impl Into<Db<'a>>) -> Result<Vec<Edited>, Error> {
        let db = db.into();
        let entries = self.log(db).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.status == Status::Applied)
            .filter_map(|e| {
                let rev = self.graph.get(&e.revision)?;
                let current = rev.checksum_hex();
                (current != e.checksum).then(|| Edited {
                    revision: e.revision,
                    path: rev.sql_path().to_path_buf(),
                    applied_checksum: e.checksum,
                    current_checksum: current,
                })
            })
            .collect())
    }

    /// Accepts the current file of `revision` as what the database applied
    /// (after a deliberate edit): its logged checksum becomes the file's.
    pub async fn repair<'a>(&self, db: impl Into<Db<'a>>, revision: &str) -> Result<(), Error> {
        let rev = self.graph.get(revision).ok_or_else(|| {
            Error::Plan(retort_core::RevisionError::NotFound {
                id: revision.to_owned(),
                reason: "repair takes a full revision id".to_owned(),
            })
        })?;
        let mut db = db.into();
        let mut conn = acquire(&mut db).await?;
        let sql = self.table.log_set_checksum(conn.dialect());
        let args = [rev.checksum_hex(), self.table.display_name(), rev.id.clone()];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        conn.execute_with(&sql, &args).await.map_err(|e| Error::database("updating retort's log", &e))?;
        Ok(())
    }

    /// The version table's rows; empty when it does not exist.
    pub(crate) async fn read_rows(&self, conn: &mut Conn<'_>) -> Result<Vec<String>, Error> {
        self.table.read_rows(conn).await
    }

    /// The plan for `command` from `rows`.
    pub(crate) fn plan(&self, rows: &[String], command: Command<'_>, dialect: Dialect) -> Result<Plan, Error> {
        Ok(match command {
            Command::Upgrade(target) if self.options.use_baselines => {
                self.graph.plan_upgrade_from_baseline(rows, target, dialect)?
            }
            Command::Upgrade(target) => self.graph.plan_upgrade(rows, target)?,
            Command::Downgrade(target) => self.graph.plan_downgrade(rows, target)?,
            Command::Stamp(targets, purge) => self.graph.plan_stamp(rows, targets, purge)?,
        })
    }
}

pub(crate) async fn acquire<'d>(db: &'d mut Db<'_>) -> Result<Conn<'d>, Error> {
    db.acquire().await.map_err(|e| Error::database("connecting to the database", &e))
}
