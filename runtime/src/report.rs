//! What runs and reads return: reports, history entries, retort's log.
//! Plain data, read by callers and never built by them (hence
//! `#[non_exhaustive]`: fields may be added).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use retort_core::{Direction, Revision};

/// One revision of [`Migrator::history`](crate::Migrator::history), with whether the database has it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HistoryEntry<'a> {
    /// The revision.
    pub revision: &'a Revision,
    /// True when the database's version table stands on it.
    pub applied: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The version table's rows before, sorted.
    pub heads_before: Vec<String>,
    /// The version table's rows after, sorted.
    pub heads_after: Vec<String>,
    /// The steps run, in order.
    pub steps: Vec<StepReport>,
    /// Rows naming revisions this binary does not know, when
    /// [`Options::allow_database_ahead`](crate::Options::allow_database_ahead) let the run do nothing.
    pub database_ahead: Vec<String>,
}

/// One step of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StepReport {
    /// Alembic's log line: `upgrade a -> b, message`.
    pub description: String,
    /// The revision whose SQL ran (none for a stamp).
    pub revision: Option<String>,
    /// How long it took.
    pub duration: Duration,
}

/// A row of retort's log: the last thing that happened to a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogEntry {
    /// The revision.
    pub revision: String,
    /// The checksum of its SQL when it ran (64 hex digits).
    pub checksum: String,
    /// Which way it ran.
    pub direction: Direction,
    /// What became of it.
    pub status: Status,
    /// When it started, ISO 8601 UTC.
    pub started_at: String,
    /// What a failure left behind.
    pub detail: String,
}

/// A revision whose file changed after the database applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Edited {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: std::path::PathBuf,
    /// The checksum when it ran.
    pub applied_checksum: String,
    /// The checksum of the file now.
    pub current_checksum: String,
}

impl Report {
    /// The report of a run that changed nothing: the database stays at
    /// `rows`.
    pub(crate) fn unchanged(rows: &[String]) -> Report {
        let mut rows = rows.to_vec();
        rows.sort();
        Report { heads_before: rows.clone(), heads_after: rows, ..Report::default() }
    }
}

/// What became of a revision, as retort's log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// It started and has not finished (MySQL marks a revision so before
    /// running it; a row left so means the run died).
    Running,
    /// It failed part-way (MySQL, where what ran stays).
    Failed,
    /// Its upgrade ran.
    Applied,
    /// Its downgrade ran.
    Reverted,
}

impl Status {
    /// What a finished run of `direction` leaves.
    pub fn done(direction: Direction) -> Status {
        match direction {
            Direction::Upgrade => Status::Applied,
            Direction::Downgrade => Status::Reverted,
        }
    }

    /// The word in the log table: `running`, `failed`, `applied`, `reverted`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Failed => "failed",
            Status::Applied => "applied",
            Status::Reverted => "reverted",
        }
    }

    /// True for a revision whose last run did not finish.
    pub fn is_unfinished(self) -> bool {
        matches!(self, Status::Running | Status::Failed)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Status, String> {
        [Status::Running, Status::Failed, Status::Applied, Status::Reverted]
            .into_iter()
            .find(|status| status.name() == s)
            .ok_or_else(|| format!("unknown status '{s}' in retort's log"))
    }
}
