//! Reading a database's schema into retort's model: a constant number of
//! catalog queries per database, never one per table.
//!
//! - PostgreSQL: `pg_catalog` with the engine's own printers
//!   (`format_type`, `pg_get_constraintdef`, `pg_get_indexdef`,
//!   `pg_get_expr`, `pg_get_viewdef`), in a read-only transaction whose
//!   `search_path` is empty, so every name comes back qualified the same way
//!   on both sides of a comparison.
//! - MySQL/MariaDB: `information_schema` of the connected database.
//! - SQLite: `sqlite_schema` and the pragma table functions, joined in one
//!   query each; what only the stored `CREATE TABLE` holds (CHECKs,
//!   constraint names, collations, generated columns) is read from it.

use retort_core::schema::Schema;

use crate::db::{Conn, Db};
use crate::error::Error;

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

/// What [`inspect`] reads.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InspectOptions {
    /// PostgreSQL schemas to read; empty means those on the connection's
    /// `search_path` (usually `public`). Ignored elsewhere: MySQL and SQLite
    /// read the connected database.
    pub schemas: Vec<String>,
    /// Table (and view) name patterns to read, `*` and `?` as wildcards;
    /// empty means all.
    pub include: Vec<String>,
    /// Table (and view) name patterns to leave out.
    pub exclude: Vec<String>,
    /// The version table and retort's log, left out unless
    /// `with_bookkeeping` is set.
    pub version_table: String,
    /// Also read the version table and retort's log.
    pub with_bookkeeping: bool,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            schemas: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            version_table: "alembic_version".to_owned(),
            with_bookkeeping: false,
        }
    }
}

impl InspectOptions {
    /// Reads these PostgreSQL schemas.
    pub fn with_schemas(mut self, schemas: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Reads only tables whose names match one of `patterns`.
    pub fn with_include(mut self, patterns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.include = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves out tables whose names match one of `patterns`.
    pub fn with_exclude(mut self, patterns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.exclude = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// The version table to leave out (`alembic_version` by default).
    pub fn with_version_table(mut self, table: impl Into<String>) -> Self {
        self.version_table = table.into();
        self
    }

    /// Reads the version table and retort's log too.
    pub fn with_bookkeeping(mut self, yes: bool) -> Self {
        self.with_bookkeeping = yes;
        self
    }

    /// True when a table or view called `name` is to be read.
    pub(crate) fn wants(&self, name: &str) -> bool {
        if !self.with_bookkeeping && (name == self.version_table || name == crate::LOG_TABLE) {
            return false;
        }
        (self.include.is_empty() || self.include.iter().any(|p| glob(p, name)))
            && !self.exclude.iter().any(|p| glob(p, name))
    }
}

/// `*` matches any run of characters, `?` one.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point: linear in practice.
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Reads the schema of a database: tables, columns, keys, constraints,
/// indexes, views, PostgreSQL enums and sequences, and (listed, compared by
/// text) routines and triggers, normalised for comparison.
///
/// ```no_run
/// # async fn f(pool: &sqlx::SqlitePool) -> Result<(), retort::Error> {
/// let schema = retort::inspect(pool, &retort::InspectOptions::default()).await?;
/// print!("{}", schema.canonical_sql());
/// # Ok(()) }
/// ```
pub async fn inspect<'a>(db: impl Into<Db<'a>>, options: &InspectOptions) -> Result<Schema, Error> {
    let mut db = db.into();
    let mut conn = db.acquire().await.map_err(|e| Error::database("connecting to the database", &e))?;
    let mut schema = match &mut conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(handle) => postgres::inspect(handle.get(), options).await,
        #[cfg(feature = "mysql")]
        Conn::MySql(handle) => mysql::inspect(handle.get(), options).await,
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(handle) => sqlite::inspect(handle.get(), options).await,
    }
    .map_err(|e| Error::database("reading the database's schema", &e))?;
    schema.normalize();
    Ok(schema)
}

/// The schema of the database `conn` is on, read inside whatever
/// transaction it is in (the SQLite batch of a translated `.py` revision
/// reads the table as the run has left it).
#[cfg(feature = "sqlite")]
pub(crate) async fn inspect_sqlite_connection(
    conn: &mut sqlx::SqliteConnection,
    options: &InspectOptions,
) -> Result<Schema, sqlx::Error> {
    let mut schema = sqlite::inspect(conn, options).await?;
    schema.normalize();
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob("*", "anything"));
        assert!(glob("audit_*", "audit_log"));
        assert!(!glob("audit_*", "my_audit_log"));
        assert!(glob("t?", "t1"));
        assert!(!glob("t?", "t12"));
        assert!(glob("*_tmp*", "x_tmp_y"));
        assert!(glob("", ""));
        assert!(!glob("", "a"));
    }

    #[test]
    fn bookkeeping_tables_are_left_out_unless_asked_for() {
        let options = InspectOptions::default();
        assert!(!options.wants("alembic_version"));
        assert!(!options.wants(crate::LOG_TABLE));
        assert!(options.wants("account"));
        assert!(options.clone().with_bookkeeping(true).wants("alembic_version"));
        assert!(!options.with_exclude(["acc*"]).wants("account"));
    }
}
