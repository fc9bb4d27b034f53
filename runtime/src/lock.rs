//! One process migrates at a time: a PostgreSQL advisory lock or a MySQL
//! named lock keyed on the version table, held on a connection that is
//! closed rather than pooled if anything goes wrong, so the lock can never
//! leak. On SQLite, whose own lock is a write transaction and so ends at
//! every COMMIT, it is an advisory lock on a file next to the database
//! (`app.db.retort-lock`), held across the run's transactions and the
//! statements of `Transactional: false` revisions, and released by the
//! operating system when the process dies.

use std::time::{Duration, Instant};

use retort_core::Dialect;

use crate::db::Conn;
use crate::error::Error;
use crate::table::VersionTable;

/// A held migration lock.
pub(crate) struct Lock {
    key: i64,
    name: String,
    /// SQLite: the locked file (unlocked when dropped or closed).
    file: Option<std::fs::File>,
}

impl Lock {
    /// Takes the lock for `table`, waiting at most `timeout`.
    pub(crate) async fn acquire(conn: &mut Conn<'_>, table: &VersionTable, timeout: Duration) -> Result<Lock, Error> {
        let key = table.lock_key();
        let name = if conn.dialect() == Dialect::MySql {
            let database = conn
                .fetch_strings("SELECT COALESCE(DATABASE(), '')")
                .await
                .map_err(|e| Error::database("taking the migration lock", &e))?;
            table.lock_name_in(database.first().map_or("", String::as_str))
        } else {
            String::new()
        };
        let file = if conn.dialect() == Dialect::Sqlite { lock_file(conn).await? } else { None };
        let lock = Lock { key, name, file };
        let started = Instant::now();
        let mut announced = false;
        loop {
            if lock.try_acquire(conn, started, timeout).await? {
                tracing::info!(table = %table.display_name(), waited_ms = started.elapsed().as_millis() as u64, "migration lock acquired");
                return Ok(lock);
            }
            if started.elapsed() >= timeout {
                return Err(Error::LockTimeout { table: table.display_name(), waited: started.elapsed() });
            }
            if !announced {
                tracing::info!(table = %table.display_name(), "waiting for the migration lock held by another process");
                announced = true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn try_acquire(&self, conn: &mut Conn<'_>, started: Instant, timeout: Duration) -> Result<bool, Error> {
        // The key and the name are retort's own (a number, hex digits), so
        // they are written into the statement: one round trip, no prepare.
        let sql = match conn.dialect() {
            Dialect::Postgres => {
                format!("SELECT CASE WHEN pg_try_advisory_lock({}) THEN '1' ELSE '0' END", self.key)
            }
            Dialect::MySql => {
                // GET_LOCK waits by itself, in whole seconds.
                let left = timeout.saturating_sub(started.elapsed()).as_secs().min(1);
                format!("SELECT COALESCE(CAST(GET_LOCK('{}', {left}) AS CHAR), '0')", self.name)
            }
            Dialect::Sqlite => {
                let Some(file) = &self.file else { return Ok(true) };
                return match file.try_lock() {
                    Ok(()) => Ok(true),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(false),
                    Err(std::fs::TryLockError::Error(err)) => Err(Error::Database {
                        doing: "taking the migration lock (a file lock next to the SQLite database)".to_owned(),
                        message: err.to_string(),
                    }),
                };
            }
        };
        match conn.fetch_strings(&sql).await {
            Ok(got) => Ok(got.first().is_some_and(|g| g == "1")),
            Err(err) => Err(Error::database("taking the migration lock", &err)),
        }
    }

    /// Releases the lock; false when that failed (the caller then closes the
    /// connection, which releases it on the server).
    pub(crate) async fn release(self, conn: &mut Conn<'_>) -> bool {
        let sql = match conn.dialect() {
            Dialect::Postgres => format!("SELECT CAST(pg_advisory_unlock({}) AS TEXT)", self.key),
            Dialect::MySql => format!("SELECT CAST(RELEASE_LOCK('{}') AS CHAR)", self.name),
            Dialect::Sqlite => {
                // Closing the file releases the lock too.
                return self.file.as_ref().is_none_or(|file| file.unlock().is_ok());
            }
        };
        match conn.execute(&sql).await {
            Ok(_) => {
                tracing::debug!("migration lock released");
                true
            }
            Err(err) => {
                tracing::warn!(error = %crate::redact::redact(&err.to_string()), "releasing the migration lock failed; closing its connection releases it");
                false
            }
        }
    }
}

/// The lock file of the connection's SQLite database, opened (created if
/// need be); `None` for an in-memory or temporary database, which no other
/// process can open.
async fn lock_file(conn: &mut Conn<'_>) -> Result<Option<std::fs::File>, Error> {
    let found = conn
        .fetch_strings("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .await
        .map_err(|e| Error::database("finding the SQLite database's file", &e))?;
    let Some(path) = found.into_iter().next().filter(|p| !p.is_empty()) else { return Ok(None) };
    let lock_path = format!("{path}.retort-lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|err| {
        Error::Database {
            doing: format!("opening the migration lock file {lock_path}"),
            message: format!("{err}; retort locks this file next to the database so that one process migrates at a time: make the directory writable"),
        }
    })?;
    Ok(Some(file))
}
