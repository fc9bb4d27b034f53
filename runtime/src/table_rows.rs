//! Reading a table's rows as literals, for a baseline's reference data.

use retort_core::Dialect;
use retort_core::schema::{Table, TableRows, Value, quote_identifier};

use crate::db::Db;
use crate::error::Error;
use crate::migrator::acquire;

/// Every row of `table` (its columns but generated ones), ordered by its
/// primary key (else by every column), each value as text the engine turns
/// back into the column's type: PostgreSQL's text form, MySQL's (bytes as
/// hexadecimal), SQLite's `quote()`.
pub async fn table_rows<'a>(db: impl Into<Db<'a>>, table: &Table) -> Result<TableRows, Error> {
    let mut db = db.into();
    let mut conn = acquire(&mut db).await?;
    let dialect = conn.dialect();
    let columns: Vec<&retort_core::schema::Column> = table.columns.iter().filter(|c| c.generated.is_none()).collect();
    let name = |column: &str| quote_identifier(dialect, column);
    let selected: Vec<String> = columns
        .iter()
        .map(|c| {
            let column = name(&c.name);
            match dialect {
                Dialect::Postgres => format!("{column}::text"),
                Dialect::MySql if binary(&c.normalized_type) => format!("HEX({column})"),
                Dialect::MySql => format!("CAST({column} AS CHAR)"),
                Dialect::Sqlite => format!("quote({column})"),
            }
        })
        .collect();
    let order: Vec<String> = match &table.primary_key {
        Some(key) => key.columns.iter().map(|c| name(c)).collect(),
        None => columns.iter().map(|c| name(&c.name)).collect(),
    };
    let table_name = if table.name.schema.is_empty() {
        name(&table.name.name)
    } else {
        format!("{}.{}", name(&table.name.schema), name(&table.name.name))
    };
    let mut sql = format!("SELECT {} FROM {table_name}", selected.join(", "));
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    let read = conn
        .fetch_rows(&sql, &[], columns.len())
        .await
        .map_err(|e| Error::database(format!("reading the rows of {}", table.name), &e))?;
    let rows = read
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&columns)
                .map(|(value, column)| match value {
                    None => Value::Null,
                    Some(v) if dialect == Dialect::Sqlite => Value::Literal(v),
                    Some(v) if dialect == Dialect::MySql && binary(&column.normalized_type) => Value::Bytes(v),
                    Some(v) => Value::Text(v),
                })
                .collect()
        })
        .collect();
    Ok(TableRows { table: table.name.clone(), columns: columns.iter().map(|c| c.name.clone()).collect(), rows })
}

/// A MySQL type whose values are bytes.
fn binary(normalized_type: &str) -> bool {
    let t = normalized_type.to_ascii_lowercase();
    t.contains("blob") || t.contains("binary")
}
