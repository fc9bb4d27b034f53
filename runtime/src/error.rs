//! What can go wrong while migrating, each error saying where and what to
//! do. Connection URLs never appear in them.

use std::path::PathBuf;
use std::time::Duration;

use retort_core::{Diagnostics, NotRunnable, RevisionError};

/// An error of the runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The versions directory has problems (when read at run time).
    #[error("{0}")]
    Load(Diagnostics),
    /// The target cannot be resolved or planned (Alembic's wording).
    #[error(transparent)]
    Plan(#[from] RevisionError),
    /// A statement of a revision failed; nothing of the run stayed unless
    /// `partial` says so.
    #[error("{}", statement_failure(.revision, .path, *.line, .statement, .message, .partial))]
    Statement {
        /// The revision whose statement failed.
        revision: String,
        /// Its file.
        path: PathBuf,
        /// The statement's first line in that file.
        line: u32,
        /// The statement, shortened.
        statement: String,
        /// The database's message.
        message: String,
        /// What of the run stays, and what to do, when not everything ran
        /// in one transaction that was rolled back: on MySQL (no
        /// transactional DDL), for a revision marked `Transactional: false`,
        /// and for revisions committed before it with one transaction per
        /// revision.
        partial: Option<String>,
    },
    /// The plan cannot run on this database, found before anything ran:
    /// Alembic `.py` bodies (which retort does not execute), a downgrade
    /// without SQL for the dialect, SQL that cannot be split.
    #[error(transparent)]
    NotRunnable(#[from] NotRunnable),
    /// Another process held the migration lock for too long.
    #[error("timed out after {:?} waiting for the migration lock on {table}: another process is migrating this database; if none is, look for a stuck session holding it", .waited)]
    LockTimeout {
        /// The version table the lock guards.
        table: String,
        /// How long retort waited.
        waited: Duration,
    },
    /// A version-table change touched no row or several (Alembic's wording).
    #[error(
        "Online migration expected to match one row when {action} in '{table}'; {found} found; the version table changed under the run: check for another migration tool, then `current` and `stamp`"
    )]
    RowCount {
        /// `updating 'a' to 'b'` or `deleting 'a'`.
        action: String,
        /// The version table.
        table: String,
        /// How many rows matched.
        found: u64,
    },
    /// The version table changed between planning and running (SQLite
    /// between transactions).
    #[error(
        "the version table {table} changed while migrating (expected rows {expected:?}, found {found:?}): another process migrated at the same time; run the command again"
    )]
    ConcurrentChange {
        /// The version table.
        table: String,
        /// What the plan expected.
        expected: Vec<String>,
        /// What the table held.
        found: Vec<String>,
    },
    /// A revision ran outside a transaction while another process moved the
    /// version table (SQLite, between two write transactions).
    #[error("revision {revision} ({}) ran outside a transaction, but {table} changed meanwhile (expected {expected:?}, found {found:?}): another process migrated at the same time, so the revision was not recorded; check the schema, then `stamp` the database to what it holds", .path.display())]
    RanUnrecorded {
        /// The revision whose statements ran.
        revision: String,
        /// Its file.
        path: PathBuf,
        /// The version table.
        table: String,
        /// What the plan expected.
        expected: Vec<String>,
        /// What the table held.
        found: Vec<String>,
    },
    /// SQLite: a transaction of the run would leave rows whose foreign
    /// keys point at no row; it was rolled back. (retort runs SQLite
    /// revisions with enforcement off so that a table rebuild cannot
    /// cascade, and checks every transaction before its COMMIT instead.)
    #[error("{}", foreign_key_failure(.revisions, .violations, .committed))]
    ForeignKeyViolations {
        /// The revisions of the rolled-back transaction.
        revisions: Vec<String>,
        /// The rows found (the first few), each as `table rowid N references
        /// a missing row of parent`.
        violations: Vec<String>,
        /// Where the version table stands after earlier transactions of the
        /// run committed (one transaction per revision, or around a
        /// `Transactional: false` revision); `None` when nothing committed.
        committed: Option<String>,
    },
    /// The database could not be reached (see
    /// [`wait_for_database`](crate::wait_for_database)).
    #[error("cannot connect to {target}: {cause}{}", .waited.map_or(String::new(), |(w, n)| format!(" (gave up after {:.1} s and {n} attempts)", w.as_secs_f64())))]
    Connect {
        /// `host:port`, or the SQLite file.
        target: String,
        /// Why, in plain words, with the database's message.
        cause: String,
        /// How long retort waited, and how many attempts it made, when
        /// asked to wait.
        waited: Option<(Duration, u32)>,
    },
    /// MySQL: a revision an earlier run left half done; the message says
    /// which of its statements ran and what to do, step by step.
    #[error("{message}")]
    Unfinished {
        /// The revision.
        revision: String,
        /// What ran, what may have, and what to do.
        message: String,
    },
    /// A scratch database could not be made (see [`ScratchDatabase`](crate::ScratchDatabase)).
    #[error("{cause}")]
    Scratch {
        /// Why, and what to do.
        cause: String,
    },
    /// A database error outside any revision (connecting, the version table).
    #[error("database error while {doing}: {message}")]
    Database {
        /// What retort was doing.
        doing: String,
        /// The database's message, with any URL password removed.
        message: String,
    },
}

impl Error {
    pub(crate) fn database(doing: impl Into<String>, err: &sqlx::Error) -> Error {
        Error::Database { doing: doing.into(), message: crate::redact::redact(&database_message(err)) }
    }
}

/// The database's message with its code, and PostgreSQL's detail and hint
/// — not sqlx's rendering, which ends in `at line N`: the line of the
/// server's own C source, easily read as a line of the revision.
pub(crate) fn database_message(err: &sqlx::Error) -> String {
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

fn statement_failure(
    revision: &str,
    path: &std::path::Path,
    line: u32,
    statement: &str,
    message: &str,
    partial: &Option<String>,
) -> String {
    let mut text =
        format!("revision {revision} failed at {}:{line}: {message}\n  statement: {statement}", path.display());
    match partial {
        Some(partial) => {
            text.push('\n');
            text.push_str(partial);
        }
        None => text
            .push_str("\n  the run was rolled back: the database is where it started; fix the revision and run again"),
    }
    text
}

fn foreign_key_failure(revisions: &[String], violations: &[String], committed: &Option<String>) -> String {
    let mut text = format!(
        "revision(s) {} would leave rows whose foreign key points at no row, found by PRAGMA foreign_key_check before COMMIT:",
        revisions.join(", ")
    );
    for violation in violations {
        text.push_str("\n  ");
        text.push_str(violation);
    }
    text.push_str(match committed {
        Some(_) => "\n  that transaction was rolled back",
        None => "\n  the run was rolled back: the database is where it started",
    });
    if let Some(at) = committed {
        text.push_str(&format!("; earlier transactions of the run committed: the version table is at {at}"));
    }
    text.push_str("\n  fix the revision so that every reference finds its row, then run again; while retort runs SQLite revisions, foreign keys (and so ON DELETE CASCADE) are not enforced: delete child rows explicitly");
    text
}

/// Shortens a statement for an error message: one line, at most 200
/// characters.
pub(crate) fn shorten(statement: &str) -> String {
    let flat: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 200 {
        flat
    } else {
        let cut: String = flat.chars().take(197).collect();
        format!("{cut}...")
    }
}
