//! The databases retort talks to, behind one small interface: a sqlx pool
//! of PostgreSQL, MySQL/MariaDB or SQLite, and a connection taken from it.

use retort_core::Dialect;
use sqlx::AssertSqlSafe;
use sqlx::pool::PoolConnection;

/// A database to migrate: a sqlx pool, or one connection, of one of the
/// enabled backends.
///
/// Every migration method takes `impl Into<Db>`, so a `&PgPool`,
/// `&mut PgConnection` (and the MySQL and SQLite ones) can be passed
/// directly. Prefer a pool: retort then closes the connection that held the
/// migration lock if a run fails or is cancelled, so the lock cannot leak.
/// On a borrowed connection retort releases the lock on every error, but a
/// cancelled or panicking run leaves it to the connection's owner (closing
/// the connection releases it). Do not pass a connection inside a
/// transaction of your own: retort begins and commits its own transactions
/// on it, which would commit (MySQL, PostgreSQL) or disturb yours.
#[derive(Debug)]
#[non_exhaustive]
pub enum Db<'a> {
    /// A PostgreSQL pool (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(&'a sqlx::PgPool),
    /// A PostgreSQL connection (feature `postgres`).
    #[cfg(feature = "postgres")]
    PostgresConnection(&'a mut sqlx::PgConnection),
    /// A MySQL or MariaDB pool (feature `mysql`).
    #[cfg(feature = "mysql")]
    MySql(&'a sqlx::MySqlPool),
    /// A MySQL or MariaDB connection (feature `mysql`).
    #[cfg(feature = "mysql")]
    MySqlConnection(&'a mut sqlx::MySqlConnection),
    /// An SQLite pool (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    Sqlite(&'a sqlx::SqlitePool),
    /// An SQLite connection (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    SqliteConnection(&'a mut sqlx::SqliteConnection),
}

#[cfg(feature = "postgres")]
impl<'a> From<&'a mut sqlx::PgConnection> for Db<'a> {
    fn from(conn: &'a mut sqlx::PgConnection) -> Self {
        Db::PostgresConnection(conn)
    }
}

#[cfg(feature = "postgres")]
impl<'a> From<&'a sqlx::PgPool> for Db<'a> {
    fn from(pool: &'a sqlx::PgPool) -> Self {
        Db::Postgres(pool)
    }
}

#[cfg(feature = "mysql")]
impl<'a> From<&'a mut sqlx::MySqlConnection> for Db<'a> {
    fn from(conn: &'a mut sqlx::MySqlConnection) -> Self {
        Db::MySqlConnection(conn)
    }
}

#[cfg(feature = "mysql")]
impl<'a> From<&'a sqlx::MySqlPool> for Db<'a> {
    fn from(pool: &'a sqlx::MySqlPool) -> Self {
        Db::MySql(pool)
    }
}

#[cfg(feature = "sqlite")]
impl<'a> From<&'a mut sqlx::SqliteConnection> for Db<'a> {
    fn from(conn: &'a mut sqlx::SqliteConnection) -> Self {
        Db::SqliteConnection(conn)
    }
}

#[cfg(feature = "sqlite")]
impl<'a> From<&'a sqlx::SqlitePool> for Db<'a> {
    fn from(pool: &'a sqlx::SqlitePool) -> Self {
        Db::Sqlite(pool)
    }
}

impl Db<'_> {
    /// The SQL dialect of the pool's database.
    pub fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(_) | Db::PostgresConnection(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Db::MySql(_) | Db::MySqlConnection(_) => Dialect::MySql,
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) | Db::SqliteConnection(_) => Dialect::Sqlite,
        }
    }

    /// The same database for one more call, without giving this one up.
    pub fn reborrow(&mut self) -> Db<'_> {
        match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => Db::Postgres(pool),
            #[cfg(feature = "postgres")]
            Db::PostgresConnection(conn) => Db::PostgresConnection(conn),
            #[cfg(feature = "mysql")]
            Db::MySql(pool) => Db::MySql(pool),
            #[cfg(feature = "mysql")]
            Db::MySqlConnection(conn) => Db::MySqlConnection(conn),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(pool) => Db::Sqlite(pool),
            #[cfg(feature = "sqlite")]
            Db::SqliteConnection(conn) => Db::SqliteConnection(conn),
        }
    }

    /// A connection: a new one from a pool, or the borrowed one.
    pub(crate) async fn acquire(&mut self) -> Result<Conn<'_>, sqlx::Error> {
        Ok(match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => Conn::Postgres(Handle::Pooled(pool.acquire().await?)),
            #[cfg(feature = "postgres")]
            Db::PostgresConnection(conn) => Conn::Postgres(Handle::Borrowed(&mut **conn)),
            #[cfg(feature = "mysql")]
            Db::MySql(pool) => Conn::MySql(Handle::Pooled(pool.acquire().await?)),
            #[cfg(feature = "mysql")]
            Db::MySqlConnection(conn) => Conn::MySql(Handle::Borrowed(&mut **conn)),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(pool) => Conn::Sqlite(Handle::Pooled(pool.acquire().await?)),
            #[cfg(feature = "sqlite")]
            Db::SqliteConnection(conn) => Conn::Sqlite(Handle::Borrowed(&mut **conn)),
        })
    }
}

/// A connection taken from a pool, or one lent by the caller.
pub(crate) enum Handle<'c, DB: sqlx::Database> {
    Pooled(PoolConnection<DB>),
    Borrowed(&'c mut DB::Connection),
}

impl<DB: sqlx::Database> Handle<'_, DB> {
    pub(crate) fn get(&mut self) -> &mut DB::Connection {
        match self {
            Handle::Pooled(c) => c,
            Handle::Borrowed(c) => c,
        }
    }

    fn close_on_drop(&mut self) {
        if let Handle::Pooled(c) = self {
            c.close_on_drop();
        }
    }
}

/// One connection of a [`Db`].
pub(crate) enum Conn<'c> {
    #[cfg(feature = "postgres")]
    Postgres(Handle<'c, sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(Handle<'c, sqlx::MySql>),
    #[cfg(feature = "sqlite")]
    Sqlite(Handle<'c, sqlx::Sqlite>),
}

/// Runs `$body` with `$c` bound to the backend's connection.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            Conn::Postgres(handle) => {
                let $c = handle.get();
                $body
            }
            #[cfg(feature = "mysql")]
            Conn::MySql(handle) => {
                let $c = handle.get();
                $body
            }
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(handle) => {
                let $c = handle.get();
                $body
            }
        }
    };
}

impl Conn<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "postgres")]
            Conn::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Conn::MySql(_) => Dialect::MySql,
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Closes the connection when it is dropped instead of returning it to
    /// the pool, so that a session lock can never outlive a failed or
    /// cancelled run on a pooled connection.
    pub(crate) fn close_on_drop(&mut self) {
        match self {
            #[cfg(feature = "postgres")]
            Conn::Postgres(handle) => handle.close_on_drop(),
            #[cfg(feature = "mysql")]
            Conn::MySql(handle) => handle.close_on_drop(),
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(handle) => handle.close_on_drop(),
        }
    }

    /// Runs one statement as written (no prepared statement), returning the
    /// number of rows it affected.
    pub(crate) async fn execute(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, c => Ok(sqlx::raw_sql(sql).execute(&mut *c).await?.rows_affected()))
    }

    /// Runs one statement with text parameters bound in order.
    pub(crate) async fn execute_with(&mut self, sql: &str, args: &[&str]) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, c => {
            let mut query = sqlx::query(sql);
            for arg in args {
                query = query.bind(arg.to_string());
            }
            Ok(query.execute(&mut *c).await?.rows_affected())
        })
    }

    /// The first column of every row, as text: one round trip, no prepared
    /// statement.
    pub(crate) async fn fetch_strings(&mut self, sql: &str) -> Result<Vec<String>, sqlx::Error> {
        use sqlx::Row;
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, c => {
            let rows = sqlx::raw_sql(sql).fetch_all(&mut *c).await?;
            rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
        })
    }

    /// The rows of a query with text parameters, each as its text columns.
    pub(crate) async fn fetch_rows(
        &mut self,
        sql: &str,
        args: &[&str],
        columns: usize,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        use sqlx::Row;
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, c => {
            let mut query = sqlx::query(sql);
            for arg in args {
                query = query.bind(arg.to_string());
            }
            let rows = query.fetch_all(&mut *c).await?;
            rows.iter()
                .map(|row| (0..columns).map(|i| row.try_get::<Option<String>, _>(i)).collect::<Result<Vec<_>, _>>())
                .collect()
        })
    }
}

/// True when `err` says the table (or its schema) does not exist.
pub(crate) fn is_missing_table(err: &sqlx::Error) -> bool {
    let Some(db) = err.as_database_error() else { return false };
    let code = db.code();
    match code.as_deref() {
        // PostgreSQL: undefined_table, invalid_schema_name.
        Some("42P01" | "3F000") => true,
        // MySQL/MariaDB: base table or view not found, unknown database.
        Some("42S02" | "42000")
            if db.message().contains("doesn't exist") || db.message().contains("Unknown database") =>
        {
            true
        }
        _ => db.message().contains("no such table"),
    }
}
