//! The SQL of the version table, exactly as Alembic shapes it, and of
//! retort's own log beside it.

use retort_core::Dialect;

use crate::db::{Conn, is_missing_table};
use crate::error::Error;

/// Where the version table is: its name (Alembic's `version_table`,
/// `alembic_version` by default) and optional schema
/// (`version_table_schema`). Several migration sets can share a database,
/// each with its own table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTable {
    /// The table's name.
    pub name: String,
    /// The schema (PostgreSQL), database (MySQL) or attached database
    /// (SQLite) it lives in; `None` for the connection's default.
    pub schema: Option<String>,
}

impl Default for VersionTable {
    fn default() -> Self {
        VersionTable { name: "alembic_version".to_owned(), schema: None }
    }
}

/// The name of retort's own log table, kept beside the version table.
pub const LOG_TABLE: &str = "retort_log";

fn quote(dialect: Dialect, ident: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{}`", ident.replace('`', "``")),
        _ => format!("\"{}\"", ident.replace('"', "\"\"")),
    }
}

/// The bind placeholder for parameter `n` (1-based).
fn param(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Quotes a string literal for offline SQL in `dialect` (MySQL also reads
/// backslashes as escapes).
pub(crate) fn literal(dialect: Dialect, value: &str) -> String {
    let value = if dialect == Dialect::MySql { value.replace('\\', "\\\\") } else { value.to_owned() };
    format!("'{}'", value.replace('\'', "''"))
}

impl VersionTable {
    /// A table named `name` in the default schema.
    pub fn named(name: impl Into<String>) -> Self {
        VersionTable { name: name.into(), schema: None }
    }

    fn qualified(&self, dialect: Dialect, table: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote(dialect, schema), quote(dialect, table)),
            None => quote(dialect, table),
        }
    }

    /// The table as SQL names it (`"schema"."alembic_version"`).
    pub(crate) fn sql_name(&self, dialect: Dialect) -> String {
        self.qualified(dialect, &self.name)
    }

    /// `schema.table` for messages and lock keys.
    pub(crate) fn display_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// Alembic's DDL: `version_num VARCHAR(32) NOT NULL` and a primary key
    /// named `<table>_pkc`.
    pub(crate) fn create(&self, dialect: Dialect, if_not_exists: bool) -> String {
        format!(
            "CREATE TABLE {}{} (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            if if_not_exists { "IF NOT EXISTS " } else { "" },
            self.sql_name(dialect),
            quote(dialect, &format!("{}_pkc", self.name))
        )
    }

    pub(crate) fn select(&self, dialect: Dialect) -> String {
        format!("SELECT version_num FROM {}", self.sql_name(dialect))
    }

    /// The table's rows; empty when it does not exist.
    pub(crate) async fn read_rows(&self, conn: &mut Conn<'_>) -> Result<Vec<String>, Error> {
        match conn.fetch_strings(&self.select(conn.dialect())).await {
            Ok(rows) => Ok(rows),
            Err(err) if is_missing_table(&err) => Ok(Vec::new()),
            Err(err) => Err(Error::database(format!("reading the version table {}", self.display_name()), &err)),
        }
    }

    pub(crate) fn insert(&self, dialect: Dialect) -> String {
        format!("INSERT INTO {} (version_num) VALUES ({})", self.sql_name(dialect), param(dialect, 1))
    }

    pub(crate) fn update(&self, dialect: Dialect) -> String {
        format!(
            "UPDATE {} SET version_num = {} WHERE version_num = {}",
            self.sql_name(dialect),
            param(dialect, 1),
            param(dialect, 2)
        )
    }

    pub(crate) fn delete(&self, dialect: Dialect) -> String {
        format!("DELETE FROM {} WHERE version_num = {}", self.sql_name(dialect), param(dialect, 1))
    }

    pub(crate) fn delete_all(&self, dialect: Dialect) -> String {
        format!("DELETE FROM {}", self.sql_name(dialect))
    }

    /// retort's log: per revision of this version table, the checksum of
    /// what ran, when, how long, which way, and whether it finished.
    pub(crate) fn create_log(&self, dialect: Dialect) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    version_table VARCHAR(255) NOT NULL,\n    revision VARCHAR(32) NOT NULL,\n    \
             checksum VARCHAR(64) NOT NULL,\n    direction VARCHAR(9) NOT NULL,\n    status VARCHAR(8) NOT NULL,\n    \
             started_at VARCHAR(32) NOT NULL,\n    duration_ms BIGINT NOT NULL,\n    detail TEXT,\n    \
             PRIMARY KEY (version_table, revision)\n)",
            self.qualified(dialect, LOG_TABLE)
        )
    }

    pub(crate) fn log_delete(&self, dialect: Dialect) -> String {
        format!(
            "DELETE FROM {} WHERE version_table = {} AND revision = {}",
            self.qualified(dialect, LOG_TABLE),
            param(dialect, 1),
            param(dialect, 2)
        )
    }

    pub(crate) fn log_insert(&self, dialect: Dialect) -> String {
        let params: Vec<String> = (1..=8).map(|n| param(dialect, n)).collect();
        // Every parameter is bound as text; the duration is cast back.
        let integer = match dialect {
            Dialect::Postgres => "BIGINT",
            Dialect::MySql => "SIGNED",
            Dialect::Sqlite => "INTEGER",
        };
        let duration = format!("CAST({} AS {integer})", params[6]);
        format!(
            "INSERT INTO {} (version_table, revision, checksum, direction, status, started_at, duration_ms, detail) \
             VALUES ({}, {}, {}, {}, {}, {}, {duration}, {})",
            self.qualified(dialect, LOG_TABLE),
            params[0],
            params[1],
            params[2],
            params[3],
            params[4],
            params[5],
            params[7]
        )
    }

    /// One statement writing `rows` log rows of one direction, replacing
    /// earlier rows of the same revisions (PostgreSQL and SQLite: `ON
    /// CONFLICT … DO UPDATE`). Parameters 1 to 4 are the version table, the
    /// direction, the status and the detail, shared by the rows; then each
    /// row's revision, checksum, start and duration in milliseconds.
    pub(crate) fn log_upsert(&self, dialect: Dialect, rows: usize) -> String {
        let integer = if dialect == Dialect::Postgres { "BIGINT" } else { "INTEGER" };
        let p = |n: usize| param(dialect, n);
        let values: Vec<String> = (0..rows)
            .map(|r| format!("({}, {}, {}, {})", p(4 * r + 5), p(4 * r + 6), p(4 * r + 7), p(4 * r + 8)))
            .collect();
        // (`WHERE 1 = 1` tells SQLite's parser that ON CONFLICT belongs to
        // the INSERT, not to a join.)
        format!(
            "INSERT INTO {} (version_table, revision, checksum, direction, status, started_at, duration_ms, detail) \
             SELECT {}, column1, column2, {}, {}, column3, CAST(column4 AS {integer}), {} FROM (VALUES {}) AS v WHERE 1 = 1 \
             ON CONFLICT (version_table, revision) DO UPDATE SET checksum = excluded.checksum, direction = excluded.direction, \
             status = excluded.status, started_at = excluded.started_at, duration_ms = excluded.duration_ms, detail = excluded.detail",
            self.qualified(dialect, LOG_TABLE),
            p(1),
            p(2),
            p(3),
            p(4),
            values.join(", ")
        )
    }

    pub(crate) fn log_select(&self, dialect: Dialect) -> String {
        format!(
            "SELECT revision, checksum, direction, status, started_at, detail FROM {} WHERE version_table = {}",
            self.qualified(dialect, LOG_TABLE),
            param(dialect, 1)
        )
    }

    pub(crate) fn log_status(&self, dialect: Dialect) -> String {
        format!(
            "SELECT status, started_at, direction, detail FROM {} WHERE version_table = {} AND revision = {}",
            self.qualified(dialect, LOG_TABLE),
            param(dialect, 1),
            param(dialect, 2)
        )
    }

    pub(crate) fn log_set_detail(&self, dialect: Dialect) -> String {
        format!(
            "UPDATE {} SET detail = {} WHERE version_table = {} AND revision = {}",
            self.qualified(dialect, LOG_TABLE),
            param(dialect, 1),
            param(dialect, 2),
            param(dialect, 3)
        )
    }

    pub(crate) fn log_set_checksum(&self, dialect: Dialect) -> String {
        format!(
            "UPDATE {} SET checksum = {} WHERE version_table = {} AND revision = {}",
            self.qualified(dialect, LOG_TABLE),
            param(dialect, 1),
            param(dialect, 2),
            param(dialect, 3)
        )
    }

    /// The PostgreSQL advisory lock key retort holds while migrating this
    /// table (stable across processes and versions), for operators who need
    /// to see who holds it (`pg_locks.objid`).
    pub fn lock_key(&self) -> i64 {
        // FNV-1a: stable across processes, builds and platforms.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in format!("retort:{}", self.display_name()).bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash as i64
    }
}

impl VersionTable {
    /// The MySQL `GET_LOCK` name retort holds while migrating this table in
    /// `database` (MySQL lock names are server-wide, so the database is part
    /// of it).
    pub fn lock_name_in(&self, database: &str) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in format!("retort:{database}:{}", self.display_name()).bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("retort_{hash:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_alembics_shape() {
        let table = VersionTable::default();
        assert_eq!(
            table.create(Dialect::Postgres, false),
            "CREATE TABLE \"alembic_version\" (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num)\n)"
        );
        let mysql = VersionTable { name: "app_version".into(), schema: Some("shop".into()) };
        assert!(mysql.create(Dialect::MySql, true).starts_with("CREATE TABLE IF NOT EXISTS `shop`.`app_version`"));
        assert!(mysql.create(Dialect::MySql, true).contains("CONSTRAINT `app_version_pkc`"));
    }

    #[test]
    fn statements_use_each_dialects_placeholders() {
        let table = VersionTable::default();
        assert_eq!(
            table.update(Dialect::Postgres),
            "UPDATE \"alembic_version\" SET version_num = $1 WHERE version_num = $2"
        );
        assert_eq!(
            table.update(Dialect::Sqlite),
            "UPDATE \"alembic_version\" SET version_num = ? WHERE version_num = ?"
        );
    }

    #[test]
    fn lock_keys_differ_per_table_and_are_stable() {
        assert_eq!(VersionTable::default().lock_key(), VersionTable::default().lock_key());
        assert_ne!(VersionTable::default().lock_key(), VersionTable::named("other_version").lock_key());
    }
}
