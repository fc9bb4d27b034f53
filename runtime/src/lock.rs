//! One process migrates at a time: a PostgreSQL advisory lock or a MySQL
//! named lock keyed on the version table, held on a connection that is
//! closed rather than pooled if anything goes wrong, so the lock can never
//! leak. SQLite's lock is its write transaction (`BEGIN IMMEDIATE`).

use std::time::{Duration, Instant};

use retort_core::Dialect;

use crate::db::{Arg, Conn};
use crate::error::Error;
use crate::table::VersionTable;

/// A held migration lock.
pub(crate) struct Lock {
    key: i64,
    name: String,
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
        let lock = Lock { key, name };
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
        let got = match conn.dialect() {
            Dialect::Postgres => {
                conn.fetch_i64(
                    "SELECT CAST(CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END AS BIGINT)",
                    &[Arg::Int(self.key)],
                )
                .await
            }
            Dialect::MySql => {
                // GET_LOCK waits by itself, in whole seconds.
                let left = timeout.saturating_sub(started.elapsed()).as_secs().min(1) as i64;
                conn.fetch_i64("SELECT CAST(GET_LOCK(?, ?) AS SIGNED)", &[Arg::Text(&self.name), Arg::Int(left)]).await
            }
            Dialect::Sqlite => return Ok(true),
        };
        match got {
            Ok(Some(1)) => Ok(true),
            Ok(_) => Ok(false),
            Err(err) => Err(Error::database("taking the migration lock", &err)),
        }
    }

    /// Releases the lock. Should that fail, the connection is closed anyway
    /// (it was marked so), which releases the lock on the server.
    /// Releases the lock; false when that failed (the caller then closes the
    /// connection, which releases it on the server).
    pub(crate) async fn release(self, conn: &mut Conn<'_>) -> bool {
        let result = match conn.dialect() {
            Dialect::Postgres => {
                conn.fetch_i64(
                    "SELECT CAST(CASE WHEN pg_advisory_unlock($1) THEN 1 ELSE 0 END AS BIGINT)",
                    &[Arg::Int(self.key)],
                )
                .await
            }
            Dialect::MySql => conn.fetch_i64("SELECT CAST(RELEASE_LOCK(?) AS SIGNED)", &[Arg::Text(&self.name)]).await,
            Dialect::Sqlite => return true,
        };
        match result {
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
