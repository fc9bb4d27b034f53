//! Carrying out a plan on a database: the fast path at head, the lock,
//! transactions as Alembic keeps them, every statement with its line, the
//! version-table changes, and retort's log.

use std::time::{Duration, Instant, SystemTime};

use retort_core::{Dialect, Plan, Revision, Statement, Step, StepKind, VersionChange, net_changes, split_statements};
use tracing::Instrument;

use crate::db::{Conn, Db};
use crate::error::{Error, shorten};
use crate::lock::Lock;
use crate::migrator::{Command, Migrator, Progress, Report, StepReport, acquire};

/// A connection that is closed when dropped unless the run marked it clean.
struct CloseUnlessClean<'c> {
    conn: Conn<'c>,
    clean: bool,
}

impl Drop for CloseUnlessClean<'_> {
    fn drop(&mut self) {
        if !self.clean {
            self.conn.close_on_drop();
        }
    }
}

/// The transaction state of a run, and the bookkeeping it still owes the
/// database.
///
/// Nobody sees the version table between two steps of one transaction, so
/// the steps only move `rows`; before each COMMIT the change from `written`
/// is written, with the buffered log rows: one step's own changes, as
/// Alembic writes them, or for several steps their net change. A run of a
/// thousand revisions in one transaction costs a few statements of
/// bookkeeping, not a thousand round trips.
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

/// A revision that ran, for retort's log.
struct LogRow<'g> {
    rev: &'g Revision,
    upgrade: bool,
    started_at: String,
    duration: Duration,
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
        let plan = self.plan(rows, command)?;
        if plan.is_empty() {
            return Ok(unchanged(rows));
        }
        // The connection goes back to the pool only when the run left
        // nothing on it: after a panic, a cancelled future, a failed ROLLBACK
        // or unlock, it is closed, which releases the lock and any
        // transaction on the server. (Closing it after every run would also
        // destroy an in-memory SQLite database.)
        let mut guard = CloseUnlessClean { conn, clean: false };
        let conn = &mut guard.conn;
        let lock = match Lock::acquire(conn, &self.table, self.options.lock_timeout).await {
            Ok(lock) => lock,
            Err(err) => {
                guard.clean = true;
                return Err(err);
            }
        };
        let (result, tx_clean) = self.apply(conn, command, plan).await;
        let released = lock.release(conn).await;
        guard.clean = tx_clean && released;
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
        Some(Report { database_ahead: unknown, ..unchanged(rows) })
    }

    /// Applies `command` (planned as `planned` before the lock); also says
    /// whether the connection was left without an open transaction.
    async fn apply(&self, conn: &mut Conn<'_>, command: Command<'_>, planned: Plan) -> (Result<Report, Error>, bool) {
        let dialect = conn.dialect();
        if dialect == Dialect::Sqlite {
            let ms = self.options.lock_timeout.as_millis().min(i32::MAX as u128);
            if let Err(err) =
                exec(conn, &format!("PRAGMA busy_timeout = {ms}"), "setting the SQLite busy timeout").await
            {
                return (Err(err), true);
            }
        }
        let mut tx = Tx {
            open: false,
            tables_ready: false,
            changed: false,
            committed: None,
            written: Vec::new(),
            rows: Vec::new(),
            steps_unwritten: 0,
            first_unwritten: Vec::new(),
            log: Vec::new(),
        };
        let result = self.apply_in_transaction(conn, &mut tx, command, planned).await;
        if tx.open {
            // A failed step, or a COMMIT that did not go through (SQLite
            // keeps the transaction open when COMMIT is busy).
            tx.open = conn.execute("ROLLBACK").await.is_err();
        }
        (result, !tx.open)
    }

    /// Begins (but on MySQL), applies the plan and commits.
    async fn apply_in_transaction<'g>(
        &'g self,
        conn: &mut Conn<'_>,
        tx: &mut Tx<'g>,
        command: Command<'_>,
        planned: Plan,
    ) -> Result<Report, Error> {
        if conn.dialect() != Dialect::MySql {
            self.begin(conn, tx).await?;
        }
        let report = self.apply_plan(conn, tx, command, planned).await?;
        if tx.open {
            self.commit(conn, tx).await?;
        }
        Ok(report)
    }

    /// Reads the version table again under the lock, and runs the plan for
    /// what it holds now (usually what `planned` was made for).
    async fn apply_plan<'g>(
        &'g self,
        conn: &mut Conn<'_>,
        tx: &mut Tx<'g>,
        command: Command<'_>,
        planned: Plan,
    ) -> Result<Report, Error> {
        let dialect = conn.dialect();
        if dialect != Dialect::Sqlite {
            // The tables first, so that reading them cannot fail: a failed
            // statement aborts a PostgreSQL transaction.
            self.create_tables(conn, tx).await?;
        }
        let rows = sorted(self.read_rows(conn).await?);
        if dialect == Dialect::Sqlite && rows.is_empty() {
            // A new database gets its version table before the first
            // revision runs, as Alembic creates it, so a revision may read
            // it. With rows, the table exists, and retort's log waits for
            // the first write: every ALTER TABLE re-reads the whole schema.
            self.create_tables(conn, tx).await?;
        }
        if let Some(report) = self.ahead(&rows, command) {
            return Ok(report);
        }
        let plan = if planned.heads_before == rows { planned } else { self.plan(&rows, command)? };
        self.check_runnable(&plan, dialect)?;
        if plan.is_empty() {
            // Another process did it while this one waited for the lock.
            return Ok(unchanged(&rows));
        }
        tx.written = rows.clone();
        tx.rows = rows.clone();
        if plan.purge {
            if dialect == Dialect::MySql {
                // On MySQL the purge shares the first step's transaction, so
                // the table is never left empty.
                exec(conn, "BEGIN", "starting a transaction").await?;
                tx.open = true;
            }
            exec(conn, &self.table.delete_all(dialect), "emptying the version table").await?;
            tx.written.clear();
            tx.rows.clear();
            tx.changed = true;
        }
        let mut report = Report { heads_before: rows, heads_after: Vec::new(), ..Report::default() };
        let total = plan.steps.len();
        for (index, step) in plan.steps.iter().enumerate() {
            let description = self.describe(step);
            if let Some(progress) = &self.progress {
                progress(&Progress::Started { index, total, description: &description });
            }
            let (id, direction) = match &step.kind {
                StepKind::Upgrade(id) => (id.as_str(), "upgrade"),
                StepKind::Downgrade(id) => (id.as_str(), "downgrade"),
                StepKind::Stamp { .. } => ("", "stamp"),
            };
            let span = tracing::info_span!("revision", id, direction, step = %description);
            let started = Instant::now();
            self.run_step(conn, tx, step).instrument(span.clone()).await?;
            let duration = started.elapsed();
            span.in_scope(|| tracing::info!(duration_ms = duration.as_millis() as u64, "done"));
            if let Some(progress) = &self.progress {
                progress(&Progress::Finished { index, total, description: &description, duration });
            }
            report.steps.push(StepReport { description, revision: step.revision_id().map(str::to_owned), duration });
        }
        report.heads_after = plan.heads_after();
        Ok(report)
    }

    /// Alembic's log line for a step, with the revision's message.
    fn describe(&self, step: &Step) -> String {
        let log = step.short_log(&self.graph);
        match step.revision_id().and_then(|id| self.graph.get(id)) {
            Some(rev) if !rev.message.is_empty() => format!("{log}, {}", rev.message),
            _ => log,
        }
    }

    async fn run_step<'g>(&'g self, conn: &mut Conn<'_>, tx: &mut Tx<'g>, step: &Step) -> Result<(), Error> {
        let dialect = conn.dialect();
        let (rev, upgrade) = match &step.kind {
            StepKind::Upgrade(id) => (self.graph.get(id), true),
            StepKind::Downgrade(id) => (self.graph.get(id), false),
            StepKind::Stamp { .. } => (None, true),
        };
        let statements = match rev {
            Some(rev) => statements_of(rev, upgrade, dialect),
            None => Vec::new(),
        };
        // What to `stamp` after finishing this step by hand: the revision
        // for an upgrade, what it revises for a downgrade.
        let finish_with = if upgrade || step.heads_after.is_empty() {
            rev.map_or_else(|| "base".to_owned(), |r| if upgrade { r.id.clone() } else { "base".to_owned() })
        } else {
            step.heads_after.join(" ")
        };
        let started_at = timestamp(SystemTime::now());
        let started = Instant::now();
        let outside_tx = rev.is_some_and(|r| !r.transactional);
        if dialect == Dialect::MySql {
            // MySQL commits DDL as it goes: a revision is its own unit, marked
            // as running in the log first so that a failure stays visible.
            let mut unfinished = None;
            if let Some(rev) = rev {
                unfinished = self.unfinished_since(conn, rev).await?;
                self.write_log(conn, rev, upgrade, "running", &started_at, Duration::ZERO, "").await?;
            }
            if let Err(mut err) = self.run_statements(conn, rev, &statements, tx, true, &finish_with).await {
                if let (Some(rev), Error::Statement { partial: Some(detail), .. }) = (rev, &mut err) {
                    let _ = self.write_log(conn, rev, upgrade, "failed", &started_at, started.elapsed(), detail).await;
                    if let Some(since) = unfinished {
                        detail.push_str(&format!(
                            "\n  an earlier run of {} did not finish either (started {since}): part of it may already be applied; compare the schema with the revision before running again",
                            rev.id
                        ));
                    }
                }
                return Err(err);
            }
            if !tx.open {
                exec(conn, "BEGIN", "starting a transaction").await?;
                tx.open = true;
            }
            tx.step_ran(step);
            if let Some(rev) = rev {
                let status = if upgrade { "applied" } else { "reverted" };
                self.write_log(conn, rev, upgrade, status, &started_at, started.elapsed(), "").await?;
            }
            return self.commit(conn, tx).await;
        }
        if self.options.transaction_per_revision && !tx.open {
            self.begin(conn, tx).await?;
            self.verify_rows(conn, &tx.rows).await?;
        }
        if outside_tx {
            // Alembic's autocommit_block: commit what came before, run the
            // revision outside any transaction, then carry on in a new one.
            if tx.open {
                self.commit(conn, tx).await?;
            }
            self.run_statements(conn, rev, &statements, tx, true, &finish_with).await?;
            self.begin(conn, tx).await.map_err(|e| unrecorded(e, rev, &finish_with))?;
            match (self.verify_rows(conn, &tx.rows).await, rev) {
                (Err(Error::ConcurrentChange { table, expected, found }), Some(rev)) => {
                    return Err(Error::RanUnrecorded {
                        revision: rev.id.clone(),
                        path: rev.path.clone(),
                        table,
                        expected,
                        found,
                    });
                }
                (result, _) => result?,
            }
        } else {
            self.run_statements(conn, rev, &statements, tx, false, &finish_with).await?;
        }
        tx.step_ran(step);
        if let Some(rev) = rev {
            tx.log.push(LogRow { rev, upgrade, started_at, duration: started.elapsed() });
        }
        if outside_tx {
            // What ran outside a transaction cannot be rolled back: commit its
            // version-table change at once, so the table never lags behind
            // the schema (Alembic leaves it in the next transaction).
            self.commit(conn, tx).await.map_err(|e| unrecorded(e, rev, &finish_with))?;
            if !self.options.transaction_per_revision {
                self.begin(conn, tx).await?;
            }
        } else if self.options.transaction_per_revision {
            self.commit(conn, tx).await?;
        }
        Ok(())
    }

    /// Writes what the transaction owes (the version table's change, then
    /// the buffered log rows) and commits.
    async fn commit(&self, conn: &mut Conn<'_>, tx: &mut Tx<'_>) -> Result<(), Error> {
        self.write_rows(conn, tx).await?;
        self.flush_log(conn, tx).await?;
        exec(conn, "COMMIT", "committing").await?;
        tx.open = false;
        if std::mem::take(&mut tx.changed) {
            tx.committed = Some(tx.rows.clone());
        }
        Ok(())
    }

    /// When retort's log says an earlier run of `rev` started and never
    /// finished (MySQL), when that was.
    async fn unfinished_since(&self, conn: &mut Conn<'_>, rev: &Revision) -> Result<Option<String>, Error> {
        let sql = self.table.log_status(conn.dialect());
        let rows = conn
            .fetch_rows(&sql, &[&self.table.display_name(), &rev.id], 2)
            .await
            .map_err(|e| Error::database("reading retort's log", &e))?;
        Ok(rows.into_iter().find_map(|row| match row.as_slice() {
            [Some(status), Some(since)] if status == "running" || status == "failed" => Some(since.clone()),
            _ => None,
        }))
    }

    /// Runs a revision's statements one by one; on failure, the error names
    /// the statement and says what of the run stays.
    async fn run_statements(
        &self,
        conn: &mut Conn<'_>,
        rev: Option<&Revision>,
        statements: &[Statement],
        tx: &Tx<'_>,
        autocommit: bool,
        finish_with: &str,
    ) -> Result<(), Error> {
        let Some(rev) = rev else { return Ok(()) };
        for (index, statement) in statements.iter().enumerate() {
            tracing::debug!(line = statement.line, "{}", shorten(&statement.sql));
            if let Some(progress) = &self.progress {
                progress(&Progress::Statement { line: statement.line, sql: &statement.sql });
            }
            if let Err(err) = conn.execute(&statement.sql).await {
                let mut message = crate::redact::redact(&database_message(&err));
                if lock_table_full(&err) && !self.options.transaction_per_revision {
                    message.push_str(
                        "\n  every revision of this run shares one transaction, which keeps a lock on each table and index it creates until it commits: raise max_locks_per_transaction on the server, or run one transaction per revision (`--transaction-per-revision`, `Options::transaction_per_revision`)",
                    );
                }
                let partial = self.partial_note(rev, index, statements.len(), tx, autocommit, finish_with);
                return Err(Error::Statement {
                    revision: rev.id.clone(),
                    path: rev.path.clone(),
                    line: statement.line,
                    statement: shorten(&statement.sql),
                    message,
                    partial,
                });
            }
        }
        Ok(())
    }

    /// What stays after statement `index` of `total` failed: nothing when
    /// everything ran in the run's transaction, else what committed.
    fn partial_note(
        &self,
        rev: &Revision,
        index: usize,
        total: usize,
        tx: &Tx<'_>,
        autocommit: bool,
        finish_with: &str,
    ) -> Option<String> {
        let table = self.table.display_name();
        let mut notes = Vec::new();
        if autocommit && index > 0 {
            notes.push(format!(
                "  statements 1 to {index} of {total} of revision {} ran outside a transaction and stay applied; undo them by hand, or finish the step by hand and `stamp {finish_with}`",
                rev.id
            ));
        } else if autocommit {
            notes.push(format!("  no statement of revision {} ran", rev.id));
        }
        if let Some(committed) = &tx.committed {
            let at = if committed.is_empty() { "empty".to_owned() } else { committed.join(", ") };
            notes.push(format!("  revisions before it in this run were committed: {table} is at {at}"));
        } else if autocommit {
            notes.push(format!("  {table} was not changed"));
        }
        if notes.is_empty() { None } else { Some(notes.join("\n")) }
    }

    async fn begin(&self, conn: &mut Conn<'_>, tx: &mut Tx<'_>) -> Result<(), Error> {
        // SQLite's lock is its write transaction: take it at once.
        let sql = if conn.dialect() == Dialect::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        exec(conn, sql, "starting a transaction").await?;
        tx.open = true;
        Ok(())
    }

    /// On SQLite, a new transaction may find that another process moved the
    /// version table since the last one; stop rather than run twice.
    async fn verify_rows(&self, conn: &mut Conn<'_>, expected: &[String]) -> Result<(), Error> {
        if conn.dialect() != Dialect::Sqlite {
            return Ok(());
        }
        let found = sorted(self.read_rows(conn).await?);
        if found != expected {
            return Err(Error::ConcurrentChange {
                table: self.table.display_name(),
                expected: expected.to_vec(),
                found,
            });
        }
        Ok(())
    }

    async fn create_tables(&self, conn: &mut Conn<'_>, tx: &mut Tx<'_>) -> Result<(), Error> {
        let dialect = conn.dialect();
        exec(conn, &self.table.create(dialect, true), "creating the version table").await?;
        exec(conn, &self.table.create_log(dialect), "creating retort's log table").await?;
        tx.tables_ready = true;
        Ok(())
    }

    /// Takes the version table from the rows last written to the rows the
    /// steps lead to, each change checked to touch exactly one row, as
    /// Alembic checks its own.
    async fn write_rows(&self, conn: &mut Conn<'_>, tx: &mut Tx<'_>) -> Result<(), Error> {
        if !tx.tables_ready {
            self.create_tables(conn, tx).await?;
        }
        let dialect = conn.dialect();
        let table = self.table.display_name();
        let changes = match tx.steps_unwritten {
            1 => std::mem::take(&mut tx.first_unwritten),
            _ => net_changes(&tx.written, &tx.rows),
        };
        for change in changes {
            let (sql, args, action) = match &change {
                VersionChange::Insert(v) => (self.table.insert(dialect), vec![v.as_str()], None),
                VersionChange::Update { from, to } => (
                    self.table.update(dialect),
                    vec![to.as_str(), from.as_str()],
                    Some(format!("updating '{from}' to '{to}'")),
                ),
                VersionChange::Delete(v) => {
                    (self.table.delete(dialect), vec![v.as_str()], Some(format!("deleting '{v}'")))
                }
            };
            let found = conn
                .execute_with(&sql, &args)
                .await
                .map_err(|e| Error::database(format!("changing the version table {table}"), &e))?;
            if let Some(action) = action
                && found != 1
            {
                return Err(Error::RowCount { action, table: table.clone(), found });
            }
        }
        tx.written.clone_from(&tx.rows);
        tx.steps_unwritten = 0;
        Ok(())
    }

    /// A log row: the version table, the revision, its checksum, which way,
    /// what became of it, when, how long, and what a failure left.
    fn log_row(
        &self,
        rev: &Revision,
        upgrade: bool,
        status: &str,
        started_at: &str,
        duration: Duration,
        detail: &str,
    ) -> [String; 8] {
        [
            self.table.display_name(),
            rev.id.clone(),
            rev.checksum_hex(),
            if upgrade { "upgrade" } else { "downgrade" }.to_owned(),
            status.to_owned(),
            started_at.to_owned(),
            duration.as_millis().to_string(),
            detail.to_owned(),
        ]
    }

    /// Writes the buffered log rows, a few hundred to a statement.
    async fn flush_log(&self, conn: &mut Conn<'_>, tx: &mut Tx<'_>) -> Result<(), Error> {
        let dialect = conn.dialect();
        let table = self.table.display_name();
        // Rows of one direction share the columns that do not change.
        for same_way in tx.log.chunk_by(|a, b| a.upgrade == b.upgrade) {
            let (direction, status) =
                if same_way[0].upgrade { ("upgrade", "applied") } else { ("downgrade", "reverted") };
            for chunk in same_way.chunks(200) {
                let mut args = vec![table.clone(), direction.to_owned(), status.to_owned(), String::new()];
                for row in chunk {
                    let duration = row.duration.as_millis().to_string();
                    args.extend([row.rev.id.clone(), row.rev.checksum_hex(), row.started_at.clone(), duration]);
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let sql = self.table.log_upsert(dialect, chunk.len());
                conn.execute_with(&sql, &args).await.map_err(|e| Error::database("writing retort's log", &e))?;
            }
        }
        tx.log.clear();
        Ok(())
    }

    /// Records in retort's log what happened to a revision, at once (MySQL,
    /// whose markers must survive a failure).
    #[allow(clippy::too_many_arguments)]
    async fn write_log(
        &self,
        conn: &mut Conn<'_>,
        rev: &Revision,
        upgrade: bool,
        status: &str,
        started_at: &str,
        duration: Duration,
        detail: &str,
    ) -> Result<(), Error> {
        let dialect = conn.dialect();
        let row = self.log_row(rev, upgrade, status, started_at, duration, detail);
        let doing = "writing retort's log";
        conn.execute_with(&self.table.log_delete(dialect), &[&row[0], &row[1]])
            .await
            .map_err(|e| Error::database(doing, &e))?;
        let args: Vec<&str> = row.iter().map(String::as_str).collect();
        conn.execute_with(&self.table.log_insert(dialect), &args).await.map_err(|e| Error::database(doing, &e))?;
        Ok(())
    }
}

/// The statements of a revision's section for `dialect`; a revision without
/// a section for it runs nothing.
pub(crate) fn statements_of(rev: &Revision, upgrade: bool, dialect: Dialect) -> Vec<Statement> {
    let section = if upgrade { rev.upgrade_for(dialect) } else { rev.downgrade_for(dialect) };
    // Sections were split for every dialect they serve when the file was
    // read, so this cannot fail for a loaded revision.
    section.and_then(|s| split_statements(&s.sql, dialect, s.line).ok()).unwrap_or_default()
}

async fn exec(conn: &mut Conn<'_>, sql: &str, doing: &str) -> Result<(), Error> {
    conn.execute(sql).await.map(|_| ()).map_err(|e| Error::database(doing, &e))
}

/// A database error met while recording a revision whose statements ran
/// outside a transaction: they stay, and the error says how to record them.
fn unrecorded(err: Error, rev: Option<&Revision>, finish_with: &str) -> Error {
    match (err, rev) {
        (Error::Database { doing, message }, Some(rev)) => Error::Database {
            doing: format!(
                "{doing} after revision {} ({}) ran outside a transaction: its statements stay applied, but the version table does not record them; check the schema, then `stamp {finish_with}`",
                rev.id,
                rev.path.display()
            ),
            message,
        },
        (err, _) => err,
    }
}

/// The database's message with its code, and PostgreSQL's detail and hint.
fn database_message(err: &sqlx::Error) -> String {
    let Some(db) = err.as_database_error() else { return err.to_string() };
    let message = match db.code() {
        Some(code) => format!("{} (code {code})", db.message()),
        None => db.message().to_owned(),
    };
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let extra = [("detail", pg.detail()), ("hint", pg.hint())];
        let extra = extra.iter().filter_map(|(label, text)| Some(format!("\n  {label}: {}", (*text)?)));
        return message + &extra.collect::<String>();
    }
    message
}

/// True when PostgreSQL ran out of room in its lock table
/// (`max_locks_per_transaction`).
fn lock_table_full(err: &sqlx::Error) -> bool {
    err.as_database_error().and_then(|db| db.code()).is_some_and(|code| code == "53200")
}

pub(crate) fn unchanged(rows: &[String]) -> Report {
    let rows = sorted(rows.to_vec());
    Report { heads_before: rows.clone(), heads_after: rows, ..Report::default() }
}

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}
