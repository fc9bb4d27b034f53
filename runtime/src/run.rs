//! Carrying out a plan on a database: the fast path at head, the lock,
//! transactions as Alembic keeps them, every statement with its line, the
//! version-table changes, and retort's log.

use std::time::{Duration, Instant, SystemTime};

use retort_core::clock::timestamp;
use retort_core::{Dialect, Direction, Plan, PreparedStep, Revision, Statement, Step, VersionChange, net_changes};
use tracing::Instrument;

use crate::db::{Conn, Db};
use crate::error::{Error, shorten};
use crate::foreign_keys::{self, Violation};
use crate::lock::Lock;
use crate::migrator::{Command, Migrator, Progress, acquire};
use crate::report::{Report, Status, StepReport};
use crate::unfinished::{self, Decision, Earlier};

/// The transaction state of a run, and the bookkeeping it still owes the
/// database.
///
/// Nobody sees the version table between two steps of one transaction, so
/// the steps only move `rows`; before each COMMIT the change from `written`
/// is written, with the buffered log rows: one step's own changes, as
/// Alembic writes them, or for several steps their net change. A run of a
/// thousand revisions in one transaction costs a few statements of
/// bookkeeping, not a thousand round trips.
#[derive(Default)]
struct Tx<'g> {
    open: bool,
    /// The version table and retort's log exist (SQLite creates them up
    /// front only for a database without rows, else when first written).
    tables_ready: bool,
    /// The open transaction changed something (a step ran, or a purge).
    changed: bool,
    /// The rows as of the last commit of this run that changed something.
    committed: Option<Vec<String>>,
    /// The version table's rows as this connection last wrote (or read) them.
    written: Vec<String>,
    /// The rows the steps so far lead to, sorted.
    rows: Vec<String>,
    /// How many steps ran since the version table was last written, and the
    /// changes of the first of them.
    steps_unwritten: usize,
    first_unwritten: Vec<VersionChange>,
    /// Log rows to write before the next COMMIT (PostgreSQL, SQLite): one
    /// statement for many revisions instead of one round trip each.
    log: Vec<LogRow<'g>>,
}

impl Tx<'_> {
    /// Notes that `step` ran: the rows it leads to, and its own changes when
    /// it is the only one since the last write.
    fn step_ran(&mut self, step: &Step) {
        self.rows.clone_from(&step.heads_after);
        self.changed = true;
        self.steps_unwritten += 1;
        if self.steps_unwritten == 1 {
            self.first_unwritten.clone_from(&step.changes);
        }
    }
}

/// What happened to a revision, for retort's log.
struct LogRow<'g> {
    rev: &'g Revision,
    direction: Direction,
    status: Status,
    started_at: String,
    duration: Duration,
    /// What a failure left behind.
    detail: String,
}

/// One revision of a step, with what the log and the error messages need.
#[derive(Clone, Copy)]
struct RunningRevision<'g, 's> {
    rev: &'g Revision,
    direction: Direction,
    statements: &'s [Statement],
    /// What to `stamp` after finishing the step by hand: the revision for
    /// an upgrade, what it revises for a downgrade.
    finish_with: &'s str,
}

/// One run of a plan: the migrator, the connection it owns, the
/// connection's dialect and the transaction state.
///
/// The connection goes back to the pool only when the run left nothing on
/// it: after a panic, a cancelled future, a failed ROLLBACK or unlock, it
/// is closed (on drop), which releases the lock and any transaction on the
/// server. (Closing it after every run would also destroy an in-memory
/// SQLite database.)
struct Run<'m, 'c> {
    migrator: &'m Migrator,
    conn: Conn<'c>,
    dialect: Dialect,
    tx: Tx<'m>,
    /// SQLite: the connection enforced foreign keys when the run started,
    /// so the run switched enforcement off and checks every transaction
    /// itself (see [`foreign_keys`]).
    check_foreign_keys: bool,
    /// The dangling references the database held before the run (SQLite,
    /// read in its first transaction): only new ones fail a transaction.
    dangling_before: Option<Vec<Violation>>,
    /// The run changed a connection setting it has not restored yet.
    settings_changed: bool,
    /// The position (0-based) of the statement that failed last.
    failed_at: usize,
    /// Set once the run ended with no transaction or lock left open.
    clean: bool,
}

impl Drop for Run<'_, '_> {
    fn drop(&mut self) {
        if !self.clean {
            self.conn.close_on_drop();
        }
    }
}

impl Migrator {
    /// Runs `command`: one read of the version table when there is nothing
    /// to do; otherwise the lock, a second read, and the plan.
    pub(crate) async fn run(&self, mut db: Db<'_>, command: Command<'_>) -> Result<Report, Error> {
        let mut conn = acquire(&mut db).await?;
        let rows = self.read_rows(&mut conn).await?;
        self.run_from(conn, &rows, command).await
    }

    /// Runs `command` on `conn`, whose version table was just read as
    /// `rows`. One connection does it all: a second one from the pool would
    /// cost a connect, as the first is not back in the pool yet.
    pub(crate) async fn run_from(
        &self,
        conn: Conn<'_>,
        rows: &[String],
        command: Command<'_>,
    ) -> Result<Report, Error> {
        if let Some(report) = self.ahead(rows, command) {
            return Ok(report);
        }
        let plan = self.plan(rows, command, conn.dialect())?;
        if plan.is_empty() {
            return Ok(Report::unchanged(rows));
        }
        // Every step's SQL is checked before the lock is even taken: a plan
        // that cannot run changes nothing.
        let prepared = self.graph.prepare(&plan, conn.dialect())?;
        let mut run = Run {
            migrator: self,
            dialect: conn.dialect(),
            conn,
            tx: Tx::default(),
            check_foreign_keys: false,
            dangling_before: None,
            settings_changed: false,
            failed_at: 0,
            clean: false,
        };
        let lock = match Lock::acquire(&mut run.conn, &self.table, self.options.lock_timeout).await {
            Ok(lock) => lock,
            Err(err) => {
                run.clean = true;
                return Err(err);
            }
        };
        let result = run.apply(command, plan, prepared).await;
        let released = lock.release(&mut run.conn).await;
        run.clean = !run.tx.open && released && !run.settings_changed;
        result
    }

    fn ahead(&self, rows: &[String], command: Command<'_>) -> Option<Report> {
        if !self.options.allow_database_ahead || !matches!(command, Command::Upgrade(_)) {
            return None;
        }
        let unknown: Vec<String> = rows.iter().filter(|r| self.graph.get(r).is_none()).cloned().collect();
        if unknown.is_empty() {
            return None;
        }
        tracing::warn!(
            rows = ?unknown,
            table = %self.table.display_name(),
            "the database is at revisions this binary does not know (it is ahead); doing nothing as allowed"
        );
        Some(Report { database_ahead: unknown, ..Report::unchanged(rows) })
    }

    /// Alembic's log line for a step, with the revision's message.
    fn describe(&self, step: &Step) -> String {
        let log = step.short_log(&self.graph);
        let revision = match step.baseline() {
            Some(id) => self.graph.baseline_of(id),
            None => step.revision_id().and_then(|id| self.graph.get(id)),
        };
        match revision {
            Some(rev) if !rev.message.is_empty() => format!("{log}, {}", rev.message),
            _ => log,
        }
    }
}

impl<'m> Run<'m, '_> {
    /// Applies `command` (planned as `planned` before the lock), leaving no
    /// transaction open unless a ROLLBACK failed.
    async fn apply(
        &mut self,
        command: Command<'_>,
        planned: Plan,
        prepared: Vec<PreparedStep<'m>>,
    ) -> Result<Report, Error> {
        if self.dialect == Dialect::Sqlite {
            let ms = self.migrator.options.lock_timeout.as_millis().min(i32::MAX as u128);
            self.exec(&format!("PRAGMA busy_timeout = {ms}"), "setting the SQLite busy timeout").await?;
            if foreign_keys::enforced(&mut self.conn).await? {
                self.settings_changed = true;
                foreign_keys::set(&mut self.conn, false).await?;
                self.check_foreign_keys = true;
            }
        }
        let result = self.apply_in_transaction(command, planned, prepared).await;
        if self.tx.open {
            // A failed step, or a COMMIT that did not go through (SQLite
            // keeps the transaction open when COMMIT is busy).
            self.tx.open = self.conn.execute("ROLLBACK").await.is_err();
        }
        if self.check_foreign_keys && !self.tx.open && foreign_keys::set(&mut self.conn, true).await.is_ok() {
            self.settings_changed = false;
        }
        result
    }

    /// Begins (but on MySQL), applies the plan and commits.
    async fn apply_in_transaction(
        &mut self,
        command: Command<'_>,
        planned: Plan,
        prepared: Vec<PreparedStep<'m>>,
    ) -> Result<Report, Error> {
        if self.dialect != Dialect::MySql {
            self.begin().await?;
        }
        let report = self.apply_plan(command, planned, prepared).await?;
        if self.tx.open {
            self.commit().await?;
        }
        Ok(report)
    }

    /// Reads the version table again under the lock, and runs the plan for
    /// what it holds now (usually what `planned` was made for).
    async fn apply_plan(
        &mut self,
        command: Command<'_>,
        planned: Plan,
        prepared: Vec<PreparedStep<'m>>,
    ) -> Result<Report, Error> {
        let migrator = self.migrator;
        if self.dialect != Dialect::Sqlite {
            // The tables first, so that reading them cannot fail: a failed
            // statement aborts a PostgreSQL transaction.
            self.create_tables().await?;
        }
        let rows = sorted(migrator.read_rows(&mut self.conn).await?);
        if self.dialect == Dialect::Sqlite && rows.is_empty() {
            // A new database gets its version table before the first
            // revision runs, as Alembic creates it, so a revision may read
            // it. With rows, the table exists, and retort's log waits for
            // the first write: every ALTER TABLE re-reads the whole schema.
            self.create_tables().await?;
        }
        if let Some(report) = migrator.ahead(&rows, command) {
            return Ok(report);
        }
        let (plan, prepared) = if planned.heads_before == rows {
            (planned, prepared)
        } else {
            // Another process moved the table while this one waited.
            let plan = migrator.plan(&rows, command, self.dialect)?;
            let prepared = migrator.graph.prepare(&plan, self.dialect)?;
            (plan, prepared)
        };
        if plan.is_empty() {
            return Ok(Report::unchanged(&rows));
        }
        self.tx.written = rows.clone();
        self.tx.rows = rows.clone();
        if plan.purge {
            if self.dialect == Dialect::MySql {
                // On MySQL the purge shares the first step's transaction, so
                // the table is never left empty.
                self.exec("BEGIN", "starting a transaction").await?;
                self.tx.open = true;
            }
            self.exec(&migrator.table.delete_all(self.dialect), "emptying the version table").await?;
            self.tx.written.clear();
            self.tx.rows.clear();
            self.tx.changed = true;
        }
        let mut report = Report { heads_before: rows, ..Report::default() };
        let total = plan.steps.len();
        for (index, (step, prepared)) in plan.steps.iter().zip(&prepared).enumerate() {
            let description = migrator.describe(step);
            if let Some(progress) = &migrator.progress {
                progress(&Progress::Started { index, total, description: &description });
            }
            let (id, direction) = step.revision().map_or(("", "stamp"), |(id, direction)| (id, direction.name()));
            let span = tracing::info_span!("revision", id, direction, step = %description);
            let started = Instant::now();
            self.step(step, prepared).instrument(span.clone()).await?;
            let duration = started.elapsed();
            span.in_scope(|| tracing::info!(duration_ms = duration.as_millis() as u64, "done"));
            if let Some(progress) = &migrator.progress {
                progress(&Progress::Finished { index, total, description: &description, duration });
            }
            report.steps.push(StepReport { description, revision: step.revision_id().map(str::to_owned), duration });
        }
        report.heads_after = plan.heads_after();
        Ok(report)
    }

    /// Runs one step: its statements, in or outside a transaction as its
    /// revision and the dialect require, then its bookkeeping.
    async fn step(&mut self, step: &Step, prepared: &PreparedStep<'m>) -> Result<(), Error> {
        let finish_with = match prepared.revision {
            Some((rev, Direction::Upgrade)) => rev.id.clone(),
            _ if step.heads_after.is_empty() || prepared.revision.is_none() => "base".to_owned(),
            _ => step.heads_after.join(" "),
        };
        let revision = prepared.revision.map(|(rev, direction)| RunningRevision {
            rev,
            direction,
            statements: &prepared.statements,
            finish_with: &finish_with,
        });
        let started_at = timestamp(SystemTime::now());
        let started = Instant::now();
        if self.dialect == Dialect::MySql {
            return self.step_on_mysql(step, revision, started_at, started).await;
        }
        let outside_tx = revision.is_some_and(|r| !r.rev.transactional);
        let per_revision = self.migrator.options.transaction_per_revision;
        if per_revision && !self.tx.open {
            self.begin().await?;
            self.verify_rows().await?;
        }
        if outside_tx {
            // Alembic's autocommit_block: commit what came before, run the
            // revision outside any transaction, then carry on in a new one.
            if self.tx.open {
                self.commit().await?;
            }
            self.run_outside_transaction(revision).await?;
            self.begin().await.map_err(|e| unrecorded(e, revision))?;
            match (self.verify_rows().await, revision) {
                (Err(Error::ConcurrentChange { table, expected, found }), Some(r)) => {
                    return Err(Error::RanUnrecorded {
                        revision: r.rev.id.clone(),
                        path: r.rev.sql_path().to_path_buf(),
                        table,
                        expected,
                        found,
                    });
                }
                (result, _) => result?,
            }
        } else {
            if let Some(r) = revision.filter(|_| self.check_foreign_keys) {
                self.warn_about_foreign_keys_pragmas(r);
            }
            self.run_statements(revision, false, 0).await?;
        }
        self.tx.step_ran(step);
        if let Some(r) = revision {
            let status = Status::done(r.direction);
            let duration = started.elapsed();
            let row =
                LogRow { rev: r.rev, direction: r.direction, status, started_at, duration, detail: String::new() };
            self.tx.log.push(row);
        }
        if outside_tx {
            // What ran outside a transaction cannot be rolled back: commit its
            // version-table change at once, so the table never lags behind
            // the schema (Alembic leaves it in the next transaction).
            self.commit().await.map_err(|e| unrecorded(e, revision))?;
            if !per_revision {
                self.begin().await?;
            }
        } else if per_revision {
            self.commit().await?;
        }
        Ok(())
    }

    /// MySQL commits DDL as it goes: a revision is its own unit, marked as
    /// running in the log first so that a failure stays visible.
    async fn step_on_mysql(
        &mut self,
        step: &Step,
        revision: Option<RunningRevision<'m, '_>>,
        started_at: String,
        started: Instant,
    ) -> Result<(), Error> {
        let mut unfinished = None;
        let mut skip = 0;
        let mut row = revision.map(|r| LogRow {
            rev: r.rev,
            direction: r.direction,
            status: Status::Running,
            started_at,
            duration: Duration::ZERO,
            detail: String::new(),
        });
        if let (Some(row), Some(r)) = (&mut row, revision) {
            if let Some(earlier) = self.unfinished_run(row.rev).await? {
                let choice = self.migrator.options.on_unfinished;
                match unfinished::decide(&earlier, &r.rev.id, r.rev.sql_path(), r.direction, r.statements, choice)? {
                    Decision::Run => unfinished = Some(earlier.since),
                    Decision::Skip(n) => skip = n,
                }
            }
            row.detail = unfinished::marker(r.statements, skip);
            self.write_log(row).await?;
        }
        if let Err(mut err) = self.run_statements(revision, true, skip).await {
            if let (Some(row), Some(r), Error::Statement { partial: Some(detail), .. }) = (&mut row, revision, &mut err)
            {
                row.status = Status::Failed;
                row.duration = started.elapsed();
                row.detail = format!("{}\n{detail}", unfinished::marker(r.statements, self.failed_at));
                let _ = self.write_log(row).await;
                if let Some(since) = unfinished {
                    detail.push_str(&format!(
                        "\n  an earlier run of {} did not finish either (started {since}): part of it may already be applied; compare the schema with the revision before running again",
                        row.rev.id
                    ));
                }
            }
            return Err(err);
        }
        if !self.tx.open {
            self.exec("BEGIN", "starting a transaction").await?;
            self.tx.open = true;
        }
        self.tx.step_ran(step);
        if let Some(row) = &mut row {
            row.status = Status::done(row.direction);
            row.duration = started.elapsed();
            row.detail.clear();
            self.write_log(row).await?;
        }
        self.commit().await
    }

    /// Runs a `Transactional: false` revision's statements, on SQLite with
    /// foreign keys enforced as the connection had them (outside a
    /// transaction, a revision's own `PRAGMA foreign_keys` works).
    async fn run_outside_transaction(&mut self, revision: Option<RunningRevision<'_, '_>>) -> Result<(), Error> {
        if !self.check_foreign_keys {
            return self.run_statements(revision, true, 0).await;
        }
        foreign_keys::set(&mut self.conn, true).await?;
        let result = self.run_statements(revision, true, 0).await;
        foreign_keys::set(&mut self.conn, false).await?;
        result
    }

    /// Says that a revision's `PRAGMA foreign_keys` does nothing where it
    /// runs: inside a transaction, where retort has switched enforcement
    /// off already.
    fn warn_about_foreign_keys_pragmas(&self, revision: RunningRevision<'_, '_>) {
        for statement in revision.statements.iter().filter(|s| foreign_keys::is_foreign_keys_pragma(&s.sql)) {
            let message = format!(
                "{}:{}: `{}` does nothing inside a transaction; retort runs SQLite revisions with foreign keys off and checks them (PRAGMA foreign_key_check) before each COMMIT, so the statement can go",
                revision.rev.sql_path().display(),
                statement.line,
                shorten(&statement.sql)
            );
            tracing::warn!("{message}");
            if let Some(progress) = &self.migrator.progress {
                progress(&Progress::Warning { message: &message });
            }
        }
    }

    /// SQLite: fails when the open transaction added rows whose foreign
    /// keys point at no row (it is then rolled back by the caller).
    async fn check_new_dangling_references(&mut self) -> Result<(), Error> {
        const SHOWN: usize = 10;
        let before = self.dangling_before.as_deref().unwrap_or_default();
        let found = foreign_keys::violations(&mut self.conn, before.len() + SHOWN + 1).await?;
        let new: Vec<String> = found.iter().filter(|v| !before.contains(v)).map(ToString::to_string).collect();
        if new.is_empty() {
            return Ok(());
        }
        let mut violations: Vec<String> = new.iter().take(SHOWN).cloned().collect();
        if new.len() > SHOWN {
            violations.push("and more: run PRAGMA foreign_key_check for the full list".to_owned());
        }
        let mut revisions: Vec<String> = self.tx.log.iter().map(|row| row.rev.id.clone()).collect();
        revisions.dedup();
        let committed =
            self.tx.committed.as_ref().map(|rows| if rows.is_empty() { "empty".to_owned() } else { rows.join(", ") });
        Err(Error::ForeignKeyViolations { revisions, violations, committed })
    }

    /// Writes what the transaction owes (the version table's change, then
    /// the buffered log rows) and commits.
    async fn commit(&mut self) -> Result<(), Error> {
        if self.check_foreign_keys && self.tx.changed {
            self.check_new_dangling_references().await?;
        }
        self.write_rows().await?;
        self.flush_log().await?;
        self.exec("COMMIT", "committing").await?;
        self.tx.open = false;
        if std::mem::take(&mut self.tx.changed) {
            self.tx.committed = Some(self.tx.rows.clone());
        }
        Ok(())
    }

    /// The earlier run of `rev` that retort's log says started and never
    /// finished (MySQL), if any.
    async fn unfinished_run(&mut self, rev: &Revision) -> Result<Option<Earlier>, Error> {
        let table = &self.migrator.table;
        let sql = table.log_status(self.dialect);
        let rows = self
            .conn
            .fetch_rows(&sql, &[&table.display_name(), &rev.id], 4)
            .await
            .map_err(|e| Error::database("reading retort's log", &e))?;
        Ok(rows.into_iter().find_map(|row| match row.as_slice() {
            [Some(status), Some(since), Some(direction), detail] => {
                let status: Status = status.parse().ok().filter(|s: &Status| s.is_unfinished())?;
                let detail = detail.as_deref().unwrap_or("");
                Some(Earlier::new(status, since.clone(), direction.clone(), detail))
            }
            _ => None,
        }))
    }

    /// MySQL: records in retort's log that the first `done` statements of
    /// `revision` ran, so that a run that dies next knows how far it got.
    async fn record_progress(&mut self, revision: RunningRevision<'_, '_>, done: usize) -> Result<(), Error> {
        let table = &self.migrator.table;
        let detail = unfinished::marker(revision.statements, done);
        self.conn
            .execute_with(&table.log_set_detail(self.dialect), &[&detail, &table.display_name(), &revision.rev.id])
            .await
            .map(|_| ())
            .map_err(|e| Error::database("writing retort's log", &e))
    }

    /// Runs a revision's statements one by one; on failure, the error names
    /// the statement and says what of the run stays.
    async fn run_statements(
        &mut self,
        revision: Option<RunningRevision<'_, '_>>,
        autocommit: bool,
        skip: usize,
    ) -> Result<(), Error> {
        let Some(revision) = revision else { return Ok(()) };
        let options = &self.migrator.options;
        for (index, statement) in revision.statements.iter().enumerate().skip(skip) {
            tracing::debug!(line = statement.line, "{}", shorten(&statement.sql));
            if let Some(progress) = &self.migrator.progress {
                progress(&Progress::Statement { line: statement.line, sql: &statement.sql });
            }
            if let Err(err) = self.execute_statement(&statement.sql).await {
                let message = match err {
                    Ran::Database(err) if lock_table_full(&err) && !options.transaction_per_revision => format!(
                        "{}\n  every revision of this run shares one transaction, which keeps a lock on each table and index it creates until it commits: raise max_locks_per_transaction on the server, or run one transaction per revision (`--transaction-per-revision`, `Options::transaction_per_revision`)",
                        crate::redact::redact(&crate::error::database_message(&err))
                    ),
                    Ran::Database(err) => crate::redact::redact(&crate::error::database_message(&err)),
                    Ran::Batch(why) => why,
                };
                self.failed_at = index;
                return Err(Error::Statement {
                    revision: revision.rev.id.clone(),
                    path: revision.rev.sql_path().to_path_buf(),
                    line: statement.line,
                    statement: shorten(&statement.sql),
                    message,
                    partial: self.partial_note(revision, index, autocommit),
                });
            }
            if self.dialect == Dialect::MySql && index + 1 < revision.statements.len() {
                self.record_progress(revision, index + 1).await?;
            }
        }
        Ok(())
    }

    /// Runs one statement of a revision; the statement that stands for a
    /// translated `batch_alter_table` on SQLite becomes the table's
    /// move-and-copy, from the table as the run has left it.
    async fn execute_statement(&mut self, sql: &str) -> Result<(), Ran> {
        let Some(payload) = retort_core::translate::batch_payload(sql) else {
            return self.conn.execute(sql).await.map(|_| ()).map_err(Ran::Database);
        };
        #[cfg(not(feature = "sqlite"))]
        let _ = payload;
        #[cfg(feature = "sqlite")]
        #[allow(irrefutable_let_patterns)]
        if let Conn::Sqlite(handle) = &mut self.conn {
            let options = crate::InspectOptions::default().with_version_table(self.migrator.table.name.clone());
            let live =
                crate::inspect::inspect_sqlite_connection(handle.get(), &options).await.map_err(Ran::Database)?;
            let statements = retort_core::translate::sqlite_batch(&payload, &live).map_err(Ran::Batch)?;
            for statement in statements {
                self.conn.execute(&statement).await.map_err(Ran::Database)?;
            }
            return Ok(());
        }
        Err(Ran::Batch("a SQLite batch_alter_table statement on another engine".to_owned()))
    }

    /// What stays after statement `index` of `revision` failed: nothing when
    /// everything ran in the run's transaction, else what committed.
    fn partial_note(&self, revision: RunningRevision<'_, '_>, index: usize, autocommit: bool) -> Option<String> {
        let table = self.migrator.table.display_name();
        let (id, total, finish_with) = (&revision.rev.id, revision.statements.len(), revision.finish_with);
        let mut notes = Vec::new();
        if autocommit && index > 0 {
            notes.push(format!(
                "  statements 1 to {index} of {total} of revision {id} ran outside a transaction and stay applied; undo them by hand, or finish the step by hand and `stamp {finish_with}`"
            ));
        } else if autocommit {
            notes.push(format!("  no statement of revision {id} ran"));
        }
        if let Some(committed) = &self.tx.committed {
            let at = if committed.is_empty() { "empty".to_owned() } else { committed.join(", ") };
            notes.push(format!("  revisions before it in this run were committed: {table} is at {at}"));
        } else if autocommit {
            notes.push(format!("  {table} was not changed"));
        }
        if notes.is_empty() { None } else { Some(notes.join("\n")) }
    }

    async fn begin(&mut self) -> Result<(), Error> {
        // SQLite's lock is its write transaction: take it at once.
        let sql = if self.dialect == Dialect::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        self.exec(sql, "starting a transaction").await?;
        self.tx.open = true;
        if self.check_foreign_keys && self.dangling_before.is_none() {
            let before = foreign_keys::violations(&mut self.conn, 10_000).await?;
            if !before.is_empty() {
                tracing::warn!(
                    count = before.len(),
                    first = %before[0],
                    "the database already holds rows whose foreign keys point at no row; only new ones will fail the run"
                );
            }
            self.dangling_before = Some(before);
        }
        Ok(())
    }

    /// On SQLite, a new transaction may find that another process moved the
    /// version table since the last one; stop rather than run twice.
    async fn verify_rows(&mut self) -> Result<(), Error> {
        if self.dialect != Dialect::Sqlite {
            return Ok(());
        }
        let found = sorted(self.migrator.read_rows(&mut self.conn).await?);
        if found != self.tx.rows {
            return Err(Error::ConcurrentChange {
                table: self.migrator.table.display_name(),
                expected: self.tx.rows.clone(),
                found,
            });
        }
        Ok(())
    }

    async fn create_tables(&mut self) -> Result<(), Error> {
        let table = &self.migrator.table;
        self.exec(&table.create(self.dialect, true), "creating the version table").await?;
        self.exec(&table.create_log(self.dialect), "creating retort's log table").await?;
        self.tx.tables_ready = true;
        Ok(())
    }

    /// Takes the version table from the rows last written to the rows the
    /// steps lead to, each change checked to touch exactly one row, as
    /// Alembic checks its own.
    async fn write_rows(&mut self) -> Result<(), Error> {
        if !self.tx.tables_ready {
            self.create_tables().await?;
        }
        let version_table = &self.migrator.table;
        let table = version_table.display_name();
        let changes = match self.tx.steps_unwritten {
            1 => std::mem::take(&mut self.tx.first_unwritten),
            _ => net_changes(&self.tx.written, &self.tx.rows),
        };
        for change in changes {
            let (sql, args, action) = match &change {
                VersionChange::Insert(v) => (version_table.insert(self.dialect), vec![v.as_str()], None),
                VersionChange::Update { from, to } => (
                    version_table.update(self.dialect),
                    vec![to.as_str(), from.as_str()],
                    Some(format!("updating '{from}' to '{to}'")),
                ),
                VersionChange::Delete(v) => {
                    (version_table.delete(self.dialect), vec![v.as_str()], Some(format!("deleting '{v}'")))
                }
            };
            let found = self
                .conn
                .execute_with(&sql, &args)
                .await
                .map_err(|e| Error::database(format!("changing the version table {table}"), &e))?;
            if let Some(action) = action
                && found != 1
            {
                return Err(Error::RowCount { action, table: table.clone(), found });
            }
        }
        self.tx.written.clone_from(&self.tx.rows);
        self.tx.steps_unwritten = 0;
        Ok(())
    }

    /// Writes the buffered log rows, a few hundred to a statement.
    async fn flush_log(&mut self) -> Result<(), Error> {
        let table = self.migrator.table.display_name();
        let log = std::mem::take(&mut self.tx.log);
        // Rows of one direction and status share the columns that do not
        // change.
        for same in log.chunk_by(|a, b| (a.direction, a.status) == (b.direction, b.status)) {
            let (direction, status) = (same[0].direction.name(), same[0].status.name());
            for chunk in same.chunks(200) {
                let mut args = vec![table.clone(), direction.to_owned(), status.to_owned(), String::new()];
                for row in chunk {
                    let duration = row.duration.as_millis().to_string();
                    args.extend([row.rev.id.clone(), row.rev.checksum_hex(), row.started_at.clone(), duration]);
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let sql = self.migrator.table.log_upsert(self.dialect, chunk.len());
                self.conn.execute_with(&sql, &args).await.map_err(|e| Error::database("writing retort's log", &e))?;
            }
        }
        Ok(())
    }

    /// Records `row` in retort's log at once (MySQL, whose markers must
    /// survive a failure).
    async fn write_log(&mut self, row: &LogRow<'_>) -> Result<(), Error> {
        let table = &self.migrator.table;
        let doing = "writing retort's log";
        let name = table.display_name();
        self.conn
            .execute_with(&table.log_delete(self.dialect), &[&name, &row.rev.id])
            .await
            .map_err(|e| Error::database(doing, &e))?;
        let (checksum, duration) = (row.rev.checksum_hex(), row.duration.as_millis().to_string());
        let args = [
            name.as_str(),
            &row.rev.id,
            &checksum,
            row.direction.name(),
            row.status.name(),
            &row.started_at,
            &duration,
            &row.detail,
        ];
        self.conn.execute_with(&table.log_insert(self.dialect), &args).await.map_err(|e| Error::database(doing, &e))?;
        Ok(())
    }

    async fn exec(&mut self, sql: &str, doing: &str) -> Result<(), Error> {
        self.conn.execute(sql).await.map(|_| ()).map_err(|e| Error::database(doing, &e))
    }
}

/// A database error met while recording a revision whose statements ran
/// outside a transaction: they stay, and the error says how to record them.
fn unrecorded(err: Error, revision: Option<RunningRevision<'_, '_>>) -> Error {
    match (err, revision) {
        (Error::Database { doing, message }, Some(r)) => Error::Database {
            doing: format!(
                "{doing} after revision {} ({}) ran outside a transaction: its statements stay applied, but the version table does not record them; check the schema, then `stamp {}`",
                r.rev.id,
                r.rev.sql_path().display(),
                r.finish_with
            ),
            message,
        },
        (err, _) => err,
    }
}

/// True when PostgreSQL ran out of room in its lock table
/// (`max_locks_per_transaction`).
/// Why a statement did not run.
enum Ran {
    /// The database refused it.
    Database(sqlx::Error),
    /// A SQLite batch could not be made from the table as it is.
    Batch(String),
}

fn lock_table_full(err: &sqlx::Error) -> bool {
    err.as_database_error().and_then(|db| db.code()).is_some_and(|code| code == "53200")
}

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}
