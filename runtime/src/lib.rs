//! retort is Alembic for Rust: revision files in a versions directory,
//! embedded in your binary, checked by the compiler and applied through sqlx
//! with Alembic's semantics and Alembic's own `alembic_version` table.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = sqlx::SqlitePool::connect("sqlite://app.db?mode=rwc").await?;
//! let migrator = retort::Migrator::from_dir("alembic/versions")?;
//! let report = migrator.upgrade(&pool, "head").await?;
//! for step in &report.steps {
//!     println!("Running {}", step.description);
//! }
//! # Ok(()) }
//! ```
//!
//! Enable the backends you use: features `sqlite` (the default),
//! `postgres`, `mysql`.
//!
//! - One process migrates at a time (PostgreSQL advisory lock, MySQL
//!   `GET_LOCK`, SQLite `BEGIN IMMEDIATE`); the others wait, then find
//!   nothing left to do. At head, a start costs one query and no lock.
//! - By default one transaction holds the whole run on PostgreSQL and
//!   SQLite, so a failure leaves the database where it started;
//!   [`Options::transaction_per_revision`] gives one per revision. A revision
//!   marked `Transactional: false` runs outside any transaction, statement by
//!   statement. MySQL commits DDL as it goes: each revision is its own unit,
//!   and a failure is recorded in retort's log table.
//! - Errors name the revision, the file, the line of the failing statement
//!   and the database's message; connection URLs are redacted.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(not(any(feature = "postgres", feature = "mysql", feature = "sqlite")))]
compile_error!("enable at least one database backend of retort: features \"postgres\", \"mysql\" or \"sqlite\"");

mod db;
mod error;
mod lock;
mod migrator;
mod offline;
mod redact;
mod run;
mod table;

/// The revision-file, graph and planning layer (`retort-core`).
pub use retort_core as core;

pub use db::Db;
pub use error::Error;
pub use migrator::{Edited, HistoryEntry, LogEntry, Migrator, Options, Report, StepReport};
pub use redact::redact;
pub use table::{LOG_TABLE, VersionTable};
