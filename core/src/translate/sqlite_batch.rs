//! `batch_alter_table` on SQLite: Alembic moves and copies the table, which
//! needs the table as it is in the database. A translation cannot read it,
//! so it writes one statement that stands for the batch
//! (`SELECT retort_sqlite_batch('…')`, holding the batch's operations as
//! `op.*` calls); the runtime reads the live table when it reaches that
//! statement and runs what [`sqlite_batch`] makes of it: autogenerate's
//! move-and-copy from the table as it is to the table the operations make.

use super::expr::{Call, Expr, parse_expr};
use super::ops::{ColumnDef, Constraint, Op, operation};
use super::render::{default_sql, type_sql};
use crate::parse::python::lex;
use crate::revision::Dialect;
use crate::schema::{
    Action, Check, Column, ForeignKey, Index, IndexKey, MigrationOptions, Name, PrimaryKey, Rename, Schema, Table,
    Unique, migration,
};

/// How the statement that stands for a batch starts.
pub const SQLITE_BATCH: &str = "SELECT retort_sqlite_batch(";

/// The statement that stands for a batch of `calls` (each an `op.*` call
/// on the batch's table).
pub(crate) fn batch_statement(calls: &[&Call]) -> String {
    let payload: Vec<String> = calls.iter().map(|c| Expr::Call((*c).clone()).to_string()).collect();
    format!("{SQLITE_BATCH}'{}')", payload.join("\n").replace('\'', "''"))
}

/// The operations a batch statement holds, as Python source, or `None`
/// for any other statement.
pub fn batch_payload(statement: &str) -> Option<String> {
    let quoted = statement.trim().strip_prefix(SQLITE_BATCH)?.strip_suffix(')')?;
    Some(quoted.strip_prefix('\'')?.strip_suffix('\'')?.replace("''", "'"))
}

/// The statements that make a batch's operations (`payload`, from
/// [`batch_payload`]) on `live`, the SQLite database's schema as it is:
/// its tables rebuilt where SQLite's ALTER TABLE cannot, as autogenerate
/// writes them.
pub fn sqlite_batch(payload: &str, live: &Schema) -> Result<Vec<String>, String> {
    let lines = lex(payload).map_err(|_| "the batch's operations do not read".to_owned())?;
    let mut wanted = live.clone();
    let mut renames = Vec::new();
    for line in &lines {
        let Ok(Expr::Call(call)) = parse_expr(&line.tokens) else {
            return Err("the batch's operations do not read".to_owned());
        };
        let op = operation(&call)?;
        apply(&mut wanted, &op, &mut renames)?;
    }
    wanted.normalize();
    let options = MigrationOptions::new(Dialect::Sqlite).with_allow_drop(true).with_renames(renames);
    let planned = migration(live, &wanted, &options)?;
    Ok(planned.upgrade.statements.into_iter().map(|s| s.sql).collect())
}

fn table<'s>(schema: &'s mut Schema, name: &str) -> Result<&'s mut Table, String> {
    schema
        .tables
        .values_mut()
        .find(|t| t.name.name == name)
        .ok_or_else(|| format!("batch_alter_table names the table {name}, which the database does not have"))
}

fn column(def: &ColumnDef) -> Result<Column, String> {
    Ok(Column {
        name: def.name.clone(),
        data_type: type_sql(&def.ty, Dialect::Sqlite)?,
        nullable: def.nullable.unwrap_or(!def.primary_key),
        default: def.default.as_ref().map(|d| default_sql(d, Dialect::Sqlite)),
        ..Column::default()
    })
}

fn foreign_key(r: &super::ops::Reference) -> ForeignKey {
    ForeignKey {
        name: r.name.clone(),
        columns: r.columns.clone(),
        references: Name::unqualified(r.table.name.clone()),
        referenced_columns: r.remote.clone(),
        on_delete: r.ondelete.as_deref().map_or(Action::NoAction, Action::parse),
        on_update: r.onupdate.as_deref().map_or(Action::NoAction, Action::parse),
        ..ForeignKey::default()
    }
}

/// One operation on the schema model.
fn apply(schema: &mut Schema, op: &Op, renames: &mut Vec<Rename>) -> Result<(), String> {
    match op {
        Op::AddColumn { table: t, column: def } => {
            let table = table(schema, &t.name)?;
            table.columns.push(column(def)?);
            if def.unique {
                table.uniques.push(Unique { columns: vec![def.name.clone()], ..Unique::default() });
            }
            if let Some(r) = &def.foreign_key {
                table.foreign_keys.push(foreign_key(r));
            }
        }
        Op::DropColumn { table: t, column: name } => {
            let table = table(schema, &t.name)?;
            let uses = |columns: &[String]| columns.iter().any(|c| c == name);
            table.columns.retain(|c| c.name != *name);
            table.indexes.retain(|i| !i.keys.iter().any(|k| k.expression == *name));
            table.uniques.retain(|u| !uses(&u.columns));
            table.foreign_keys.retain(|f| !uses(&f.columns));
        }
        Op::AlterColumn(a) => {
            let table = table(schema, &a.table.name)?;
            let column = table.columns.iter_mut().find(|c| c.name == a.column).ok_or_else(|| {
                format!("alter_column names the column {}, which {} does not have", a.column, a.table.name)
            })?;
            if let Some(nullable) = a.nullable {
                column.nullable = nullable;
            }
            if let Some(ty) = &a.type_ {
                column.data_type = type_sql(ty, Dialect::Sqlite)?;
            }
            if let Some(default) = &a.server_default {
                column.default = default.as_ref().map(|d| default_sql(d, Dialect::Sqlite));
                column.normalized_default = None;
            }
            if let Some(new) = &a.new_name {
                column.name = new.clone();
                let rename = |c: &mut String| {
                    if *c == a.column {
                        *c = new.clone();
                    }
                };
                table.indexes.iter_mut().flat_map(|i| i.keys.iter_mut()).for_each(|k| rename(&mut k.expression));
                table.uniques.iter_mut().flat_map(|u| u.columns.iter_mut()).for_each(rename);
                table.foreign_keys.iter_mut().flat_map(|f| f.columns.iter_mut()).for_each(rename);
                if let Some(pk) = &mut table.primary_key {
                    pk.columns.iter_mut().for_each(rename);
                }
                renames.push(Rename::parse(&format!("{}.{}={new}", a.table.name, a.column))?);
            }
        }
        Op::CreateIndex { name, table: t, columns, unique, sqlite_where, .. } => {
            let table = table(schema, &t.name)?;
            table.indexes.push(Index {
                name: name.clone(),
                unique: *unique,
                keys: columns.iter().map(|c| IndexKey { expression: c.clone(), ..IndexKey::default() }).collect(),
                predicate: sqlite_where.clone(),
                ..Index::default()
            });
        }
        Op::DropIndex { name, .. } => {
            for table in schema.tables.values_mut() {
                table.indexes.retain(|i| i.name != *name);
            }
        }
        Op::AddConstraint { table: t, constraint } => {
            let table = table(schema, &t.name)?;
            match constraint {
                Constraint::PrimaryKey { name, columns } => {
                    table.primary_key = Some(PrimaryKey { name: name.clone(), columns: columns.clone() });
                }
                Constraint::Unique { name, columns } => {
                    table.uniques.push(Unique { name: name.clone(), columns: columns.clone(), ..Unique::default() });
                }
                Constraint::Check { name, condition } => {
                    table.checks.push(Check { name: name.clone(), expression: condition.clone(), ..Check::default() });
                }
                Constraint::ForeignKey(r) => table.foreign_keys.push(foreign_key(r)),
            }
        }
        Op::DropConstraint { name, table: t, .. } => {
            let table = table(schema, &t.name)?;
            let named = |n: &Option<String>| n.as_deref() == Some(name.as_str());
            let before = table.uniques.len() + table.checks.len() + table.foreign_keys.len();
            table.uniques.retain(|u| !named(&u.name));
            table.checks.retain(|c| !named(&c.name));
            table.foreign_keys.retain(|f| !named(&f.name));
            let pk = table.primary_key.as_ref().is_some_and(|p| named(&p.name));
            if pk {
                table.primary_key = None;
            }
            if !pk && before == table.uniques.len() + table.checks.len() + table.foreign_keys.len() {
                return Err(format!(
                    "drop_constraint names {name}, which {} does not have by that name (SQLite keeps the names of constraints written with one)",
                    t.name
                ));
            }
        }
        Op::Execute(_)
        | Op::CreateTable { .. }
        | Op::DropTable { .. }
        | Op::RenameTable { .. }
        | Op::BulkInsert { .. } => {
            return Err("an operation that batch_alter_table does not hold".to_owned());
        }
    }
    Ok(())
}
