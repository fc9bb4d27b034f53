//! The SQL of a baseline: what builds a schema (and the rows of the
//! tables a team names) in an empty database of one engine, in an order
//! that runs: functions, then the tables, views, types and sequences as
//! autogenerate would create them from nothing, then the rows (parents
//! first), then the triggers (so that they do not fire on the copied rows).

use super::canonical::{in_key_order, qualified};
use super::migrate::{MigrationOptions, migration};
use super::model::{Identity, Name, Schema, Table};
use super::names::quote_identifier;
use crate::revision::Dialect;
use crate::split::{BLOCK_BEGIN, BLOCK_END};

/// One value of a row, as read for a baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A value written as a string literal (the engine converts it to the
    /// column's type).
    Text(String),
    /// A literal as the engine wrote it (SQLite's `quote()`: `12`, `1.5`,
    /// `'it''s'`, `X'00ff'`), kept as is so that a column of no type keeps
    /// its value's type.
    Literal(String),
    /// Bytes, as hexadecimal digits.
    Bytes(String),
}

/// The rows of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// The table.
    pub table: Name,
    /// Its columns, in the order of each row's values.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Value>>,
}

/// A baseline's SQL for one engine, and what it could not include.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaselineSql {
    /// The statements.
    pub sql: String,
    /// What was left out, and why (said to the user).
    pub notes: Vec<String>,
}

/// Rows per `INSERT` statement.
const ROWS_PER_INSERT: usize = 100;

/// The SQL that builds `schema` and inserts `data` into an empty database
/// of the schema's engine.
///
/// ```
/// use retort_core::Dialect;
/// use retort_core::schema::{Column, Name, Schema, Table, TableRows, Value, baseline_sql};
/// let mut schema = Schema { dialect: Some(Dialect::Sqlite), ..Schema::default() };
/// let column = Column { name: "name".into(), data_type: "TEXT".into(), normalized_type: "text".into(), nullable: true, ..Column::default() };
/// let table = Table { name: Name::unqualified("role"), columns: vec![column], ..Table::default() };
/// schema.tables.insert(table.name.clone(), table);
/// let rows = TableRows { table: Name::unqualified("role"), columns: vec!["name".into()], rows: vec![vec![Value::Text("o'k".into())]] };
/// let baseline = baseline_sql(&schema, &[rows]).unwrap();
/// assert!(baseline.sql.contains("CREATE TABLE role"));
/// assert!(baseline.sql.contains("INSERT INTO role (name) VALUES\n    ('o''k');"));
/// ```
pub fn baseline_sql(schema: &Schema, data: &[TableRows]) -> Result<BaselineSql, String> {
    let dialect = schema.dialect.ok_or("the schema does not say its engine")?;
    let mut out = BaselineSql::default();
    routines(schema, dialect, &mut out);
    let empty = Schema { dialect: Some(dialect), server_version: schema.server_version.clone(), ..Schema::default() };
    let mut without_triggers = schema.clone();
    without_triggers.triggers.clear();
    without_triggers.routines.clear();
    let created = migration(&empty, &without_triggers, &MigrationOptions::new(dialect))?;
    out.sql.push_str(&created.upgrade.text(true));
    rows(schema, dialect, data, &mut out)?;
    triggers(schema, dialect, &mut out);
    Ok(out)
}

/// Functions and procedures first: defaults, checks and triggers may call
/// them. PostgreSQL's definitions are whole; MySQL's information schema
/// keeps only bodies, so those are named, not written.
fn routines(schema: &Schema, dialect: Dialect, out: &mut BaselineSql) {
    if schema.routines.is_empty() {
        return;
    }
    if dialect != Dialect::Postgres {
        for routine in schema.routines.values() {
            out.notes.push(format!(
                "the {} {} is not in the baseline: MySQL does not give its whole definition; add `SHOW CREATE {} {}`'s text by hand",
                routine.kind,
                routine.name,
                routine.kind.to_uppercase(),
                routine.name.name
            ));
        }
        return;
    }
    // A function's body may name tables created after it.
    out.sql.push_str("SET LOCAL check_function_bodies = false;\n\n");
    for routine in schema.routines.values() {
        block(&mut out.sql, routine.definition.trim_end().trim_end_matches(';'));
    }
}

/// A statement the splitter keeps whole.
fn block(sql: &mut String, statement: &str) {
    sql.push_str(&format!("-- {BLOCK_BEGIN}\n{statement};\n-- {BLOCK_END}\n\n"));
}

fn triggers(schema: &Schema, dialect: Dialect, out: &mut BaselineSql) {
    for trigger in &schema.triggers {
        let statement = match dialect {
            // MySQL's information schema splits the definition up.
            Dialect::MySql => format!(
                "CREATE TRIGGER {} {}",
                quote_identifier(dialect, &trigger.name),
                trigger.definition.replacen(
                    " FOR EACH ROW ",
                    &format!(" ON {} FOR EACH ROW ", qualified(dialect, &trigger.table)),
                    1
                )
            ),
            _ => trigger.definition.trim_end().trim_end_matches(';').to_owned(),
        };
        block(&mut out.sql, &statement);
    }
}

/// The rows, parents before children, then (PostgreSQL) every sequence of
/// a filled table moved past the values copied.
fn rows(schema: &Schema, dialect: Dialect, data: &[TableRows], out: &mut BaselineSql) -> Result<(), String> {
    let mut tables: Vec<&Table> = Vec::with_capacity(data.len());
    for rows in data {
        let table =
            schema.tables.get(&rows.table).ok_or_else(|| format!("the table {} is not in the schema", rows.table))?;
        tables.push(table);
    }
    for (table, _) in in_key_order(&tables) {
        let Some(rows) = data.iter().find(|r| r.table == table.name) else { continue };
        if rows.rows.is_empty() {
            continue;
        }
        let columns: Vec<String> = rows.columns.iter().map(|c| quote_identifier(dialect, c)).collect();
        let overriding = dialect == Dialect::Postgres
            && table.columns.iter().any(|c| c.identity == Some(Identity::Always) && rows.columns.contains(&c.name));
        for chunk in rows.rows.chunks(ROWS_PER_INSERT) {
            out.sql.push_str(&format!("INSERT INTO {} ({})", qualified(dialect, &table.name), columns.join(", ")));
            if overriding {
                out.sql.push_str(" OVERRIDING SYSTEM VALUE");
            }
            out.sql.push_str(" VALUES\n");
            let values: Vec<String> = chunk
                .iter()
                .map(|row| format!("    ({})", row.iter().map(|v| literal(dialect, v)).collect::<Vec<_>>().join(", ")))
                .collect();
            out.sql.push_str(&values.join(",\n"));
            out.sql.push_str(";\n");
        }
        if dialect == Dialect::Postgres {
            for column in table.columns.iter().filter(|c| numbered(c) && rows.columns.contains(&c.name)) {
                let name = qualified(dialect, &table.name);
                let column = quote_identifier(dialect, &column.name);
                out.sql.push_str(&format!(
                    "SELECT setval(pg_get_serial_sequence({}, {}), (SELECT coalesce(max({column}), 0) + 1 FROM {name}), false);\n",
                    string(&name),
                    string(&column)
                ));
            }
        }
        out.sql.push('\n');
    }
    Ok(())
}

/// A PostgreSQL column numbered by a sequence (identity or serial).
fn numbered(column: &super::model::Column) -> bool {
    column.identity.is_some() || column.default.as_deref().is_some_and(|d| d.starts_with("nextval("))
}

/// A value as a literal of `dialect`.
fn literal(dialect: Dialect, value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Literal(sql) => sql.clone(),
        Value::Text(text) if dialect == Dialect::MySql => string(&text.replace('\\', "\\\\")),
        Value::Text(text) => string(text),
        Value::Bytes(hex) if dialect == Dialect::Postgres => format!("'\\x{hex}'::bytea"),
        Value::Bytes(hex) => format!("X'{hex}'"),
    }
}

/// A standard SQL string literal.
fn string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ForeignKey};

    fn column(name: &str) -> Column {
        Column {
            name: name.into(),
            data_type: "integer".into(),
            normalized_type: "integer".into(),
            ..Column::default()
        }
    }

    #[test]
    fn rows_go_parents_first_in_batches_with_each_engines_literals() {
        let mut schema = Schema { dialect: Some(Dialect::Postgres), ..Schema::default() };
        let mut child = Table {
            name: Name::new("public", "child"),
            columns: vec![column("id"), column("parent")],
            ..Table::default()
        };
        child.foreign_keys.push(ForeignKey {
            columns: vec!["parent".into()],
            references: Name::new("public", "parent"),
            referenced_columns: vec!["id".into()],
            ..ForeignKey::default()
        });
        let mut id = column("id");
        id.identity = Some(Identity::Always);
        let parent = Table { name: Name::new("public", "parent"), columns: vec![id], ..Table::default() };
        schema.tables.insert(child.name.clone(), child);
        schema.tables.insert(parent.name.clone(), parent);
        let data = [
            TableRows {
                table: Name::new("public", "child"),
                columns: vec!["id".into(), "parent".into()],
                rows: vec![vec![Value::Text("1".into()), Value::Null]],
            },
            TableRows {
                table: Name::new("public", "parent"),
                columns: vec!["id".into()],
                rows: (0..150).map(|i| vec![Value::Text(i.to_string())]).collect(),
            },
        ];
        let sql = baseline_sql(&schema, &data).unwrap().sql;
        let parent_at = sql.find("INSERT INTO public.parent (id) OVERRIDING SYSTEM VALUE VALUES").unwrap();
        assert!(parent_at < sql.find("INSERT INTO public.child").unwrap());
        assert_eq!(sql.matches("INSERT INTO public.parent").count(), 2, "150 rows in batches of 100");
        assert!(sql.contains("SELECT setval(pg_get_serial_sequence('public.parent', 'id')"), "{sql}");
        assert!(sql.contains("('1', NULL)"));
    }

    #[test]
    fn literals_per_engine() {
        assert_eq!(literal(Dialect::MySql, &Value::Text("a\\'b".into())), "'a\\\\''b'");
        assert_eq!(literal(Dialect::Postgres, &Value::Text("a\\'b".into())), "'a\\''b'");
        assert_eq!(literal(Dialect::Postgres, &Value::Bytes("00ff".into())), "'\\x00ff'::bytea");
        assert_eq!(literal(Dialect::Sqlite, &Value::Bytes("00ff".into())), "X'00ff'");
        assert_eq!(literal(Dialect::Sqlite, &Value::Literal("1.5".into())), "1.5");
    }

    #[test]
    fn mysql_triggers_are_rebuilt_and_its_routines_named() {
        let mut schema = Schema { dialect: Some(Dialect::MySql), ..Schema::default() };
        schema.triggers.push(super::super::model::Trigger {
            name: "t_ins".into(),
            table: Name::unqualified("t"),
            definition: "BEFORE INSERT FOR EACH ROW SET NEW.x = 1".into(),
        });
        let routine = super::super::model::Routine {
            name: Name::unqualified("f"),
            kind: "function".into(),
            definition: "RETURN 1".into(),
        };
        schema.routines.insert(routine.name.clone(), routine);
        let baseline = baseline_sql(&schema, &[]).unwrap();
        assert!(
            baseline.sql.contains("CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.x = 1;"),
            "{}",
            baseline.sql
        );
        assert!(baseline.notes[0].contains("SHOW CREATE FUNCTION f"), "{:?}", baseline.notes);
    }
}
