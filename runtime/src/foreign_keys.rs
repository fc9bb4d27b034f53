//! SQLite's foreign keys during a run.
//!
//! sqlx switches `foreign_keys` on for every SQLite connection, and the
//! pragma cannot change inside a transaction. A revision that rebuilds a
//! table the way SQLite documents it (new table, copy, drop the old one,
//! rename) would then cascade the `DROP TABLE` into the child rows. So a
//! run switches enforcement off before its first `BEGIN`, checks every
//! transaction with `PRAGMA foreign_key_check` before its `COMMIT`, and
//! switches enforcement back on at the end: a rebuild keeps its children,
//! and a revision that really leaves a dangling reference fails with the
//! rows named, nothing of its transaction committed.

use crate::db::Conn;
use crate::error::Error;

/// One row whose foreign key points at no row, as SQLite reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    table: String,
    rowid: Option<String>,
    parent: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rowid {
            Some(rowid) => write!(f, "{} rowid {rowid} references a missing row of {}", self.table, self.parent),
            None => write!(f, "a row of {} references a missing row of {}", self.table, self.parent),
        }
    }
}

/// True when the connection enforces foreign keys.
pub(crate) async fn enforced(conn: &mut Conn<'_>) -> Result<bool, Error> {
    let found = conn
        .fetch_strings("SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys")
        .await
        .map_err(|e| Error::database("reading SQLite's foreign_keys setting", &e))?;
    Ok(found.first().is_some_and(|v| v == "1"))
}

/// Switches enforcement on or off (outside a transaction only: inside one
/// SQLite ignores it).
pub(crate) async fn set(conn: &mut Conn<'_>, on: bool) -> Result<(), Error> {
    let sql = if on { "PRAGMA foreign_keys = ON" } else { "PRAGMA foreign_keys = OFF" };
    conn.execute(sql).await.map(|_| ()).map_err(|e| Error::database("setting SQLite's foreign_keys", &e))
}

/// The rows whose foreign keys point nowhere, at most `limit` of them.
pub(crate) async fn violations(conn: &mut Conn<'_>, limit: usize) -> Result<Vec<Violation>, Error> {
    let sql =
        format!("SELECT \"table\", CAST(rowid AS TEXT), parent FROM pragma_foreign_key_check LIMIT {}", limit.max(1));
    let rows = conn
        .fetch_rows(&sql, &[], 3)
        .await
        .map_err(|e| Error::database("checking foreign keys (PRAGMA foreign_key_check)", &e))?;
    Ok(rows
        .into_iter()
        .map(|mut row| {
            let parent = row.pop().flatten().unwrap_or_default();
            let rowid = row.pop().flatten();
            let table = row.pop().flatten().unwrap_or_default();
            Violation { table, rowid, parent }
        })
        .collect())
}

/// True when `sql` is a `PRAGMA foreign_keys` statement, which inside a
/// transaction does nothing.
pub(crate) fn is_foreign_keys_pragma(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '=' || c == ';')
        .filter(|w| !w.is_empty())
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    let [pragma, name] = words.as_slice() else { return false };
    // `PRAGMA main.foreign_keys`: the schema changes nothing.
    let name = name.rsplit('.').next().unwrap_or(name);
    pragma == "pragma" && name.trim_matches(['"', '`', '[', ']']) == "foreign_keys"
}

#[cfg(test)]
mod tests {
    use super::is_foreign_keys_pragma;

    #[test]
    fn the_foreign_keys_pragma_is_recognised_in_any_spelling() {
        for sql in [
            "PRAGMA foreign_keys=OFF",
            "pragma  foreign_keys = on;",
            "PRAGMA \"foreign_keys\" = 0",
            "PRAGMA foreign_keys",
            "PRAGMA main.foreign_keys = OFF",
        ] {
            assert!(is_foreign_keys_pragma(sql), "{sql}");
        }
        for sql in ["PRAGMA foreign_key_check", "PRAGMA main.foreign_keys_x = 1", "SELECT 'PRAGMA foreign_keys'"] {
            assert!(!is_foreign_keys_pragma(sql), "{sql}");
        }
    }
}
