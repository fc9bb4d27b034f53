//! The canonical text of a schema: deterministic DDL, one object after
//! another in name order, in the normalised forms comparisons use, so that
//! two databases holding one schema print the same text and a diff of two
//! texts shows what differs. Constraint names the engine made up are left
//! out (and PostgreSQL's made-up index names; MySQL and SQLite need an
//! index's name to create it).
//!
//! The fingerprint hashes the same text with every table's columns in name
//! order: column order is not part of a schema's identity, so equal
//! fingerprints go with an empty [`compare`](super::compare).

use std::fmt::Write;

use sha2::{Digest, Sha256};

use super::model::{Column, Identity, Name, Schema, Table};
use super::names::{ConstraintKind, columns_named_in, is_generated_name, quote_identifier};
use crate::Dialect;

impl Schema {
    /// The canonical DDL of every object, tables with their columns in the
    /// engine's order.
    pub fn canonical_sql(&self) -> String {
        self.render(false, None)
    }

    /// The canonical DDL of the tables (and views) named in `only`.
    pub fn canonical_sql_of(&self, only: &[String]) -> String {
        self.render(false, Some(only))
    }

    /// SHA-256 (hex) of the canonical text with columns in name order.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.render(true, None).as_bytes());
        digest.iter().fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
    }

    fn render(&self, sorted_columns: bool, only: Option<&[String]>) -> String {
        let dialect = self.dialect.unwrap_or(Dialect::Sqlite);
        let wanted =
            |name: &Name| only.is_none_or(|names| names.iter().any(|n| *n == name.name || *n == name.to_string()));
        let q = |name: &str| quote_identifier(dialect, name);
        let qn = |name: &Name| qualified(dialect, name);
        let mut out = String::new();
        if only.is_none() {
            for e in self.enums.values() {
                let labels: Vec<String> = e.labels.iter().map(|l| string_literal(l)).collect();
                let _ = writeln!(out, "CREATE TYPE {} AS ENUM ({});\n", qn(&e.name), labels.join(", "));
            }
            for s in self.sequences.values() {
                let _ = write!(
                    out,
                    "CREATE SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {}{}",
                    qn(&s.name),
                    s.data_type,
                    s.increment,
                    s.min_value,
                    s.max_value,
                    if s.cycle { " CYCLE" } else { " NO CYCLE" }
                );
                out.push_str(";\n\n");
            }
        }
        let tables: Vec<&Table> = self.tables.values().filter(|t| wanted(&t.name)).collect();
        let mut later = Vec::new();
        for (table, mut waiting) in in_key_order(&tables) {
            if dialect == Dialect::Sqlite {
                // SQLite checks a key when rows are written, not at CREATE, and
                // cannot add one later: every key stays in its table.
                waiting.clear();
            }
            if waiting.is_empty() {
                render_table(&mut out, dialect, table, sorted_columns);
            } else {
                // Only a table of a cycle is copied, without the keys that wait.
                let mut now = table.clone();
                now.foreign_keys.retain(|fk| !waiting.contains(&fk));
                render_table(&mut out, dialect, &now, sorted_columns);
            }
            later.extend(waiting.into_iter().map(|fk| (table, fk)));
        }
        for (table, fk) in later {
            let clause = foreign_key_clause(dialect, table, fk);
            let _ = writeln!(out, "ALTER TABLE {} ADD {clause};\n", qualified(dialect, &table.name));
        }
        if only.is_none() {
            // After the tables: a SERIAL's sequence belongs to its column.
            for s in self.sequences.values() {
                if let Some(owner) = &s.owned_by {
                    let _ = writeln!(out, "ALTER SEQUENCE {} OWNED BY {owner};\n", qn(&s.name));
                }
            }
        }
        for view in self.views.values().filter(|v| wanted(&v.name)) {
            let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
            let _ = writeln!(out, "CREATE {kind} {} AS\n{};\n", qn(&view.name), view.normalized);
        }
        if only.is_none() {
            for routine in self.routines.values() {
                let _ = writeln!(out, "-- {} {}\n{}\n", routine.kind, routine.name, routine.definition.trim());
            }
        }
        for trigger in self.triggers.iter().filter(|t| wanted(&t.table)) {
            let _ = writeln!(
                out,
                "-- trigger {} on {}\n{};\n",
                q(&trigger.name),
                qn(&trigger.table),
                trigger.definition.trim()
            );
        }
        out
    }
}

/// Tables in the order given (name order), except that a table comes after
/// those its foreign keys reference, so the text runs as written; each with
/// the keys that must wait for a table after it (a cycle), added at the end.
///
/// Kahn's algorithm over positions, the ready ones taken smallest first.
pub(crate) fn in_key_order<'t>(tables: &[&'t Table]) -> Vec<(&'t Table, Vec<&'t super::ForeignKey>)> {
    use std::collections::{BTreeSet, HashMap};
    let position: HashMap<&Name, usize> = tables.iter().enumerate().map(|(i, t)| (&t.name, i)).collect();
    // For each table, the other tables of the set it references (distinct),
    // and for each, the tables that reference it.
    let mut waiting: Vec<usize> = vec![0; tables.len()];
    let mut referenced_by: Vec<Vec<usize>> = vec![Vec::new(); tables.len()];
    for (i, table) in tables.iter().enumerate() {
        let mut targets: Vec<usize> = table
            .foreign_keys
            .iter()
            .filter_map(|fk| position.get(&fk.references).copied())
            .filter(|&j| j != i)
            .collect();
        targets.sort_unstable();
        targets.dedup();
        waiting[i] = targets.len();
        for j in targets {
            referenced_by[j].push(i);
        }
    }
    let mut made = vec![false; tables.len()];
    let mut ready: BTreeSet<usize> = (0..tables.len()).filter(|&i| waiting[i] == 0).collect();
    let mut next_unmade = 0;
    let mut order = Vec::with_capacity(tables.len());
    while order.len() < tables.len() {
        let i = match ready.pop_first() {
            Some(i) => i,
            None => {
                // A cycle: the first table not made yet goes, its keys wait.
                while made[next_unmade] {
                    next_unmade += 1;
                }
                next_unmade
            }
        };
        if made[i] {
            continue;
        }
        made[i] = true;
        let table = tables[i];
        let waits: Vec<&super::ForeignKey> = table
            .foreign_keys
            .iter()
            .filter(|fk| position.get(&fk.references).is_some_and(|&j| j != i && !made[j]))
            .collect();
        for &dependant in &referenced_by[i] {
            waiting[dependant] -= 1;
            if waiting[dependant] == 0 && !made[dependant] {
                ready.insert(dependant);
            }
        }
        order.push((table, waits));
    }
    order
}

fn render_table(out: &mut String, dialect: Dialect, table: &Table, sorted_columns: bool) {
    out.push_str(&create_table_sql(dialect, table, sorted_columns, true));
    out.push_str(";\n");
    for comment in column_comments_sql(dialect, table) {
        let _ = writeln!(out, "{comment};");
    }
    let mut indexes: Vec<String> = table.indexes.iter().map(|index| create_index_sql(dialect, table, index)).collect();
    indexes.sort();
    for index in indexes {
        let _ = writeln!(out, "{index};");
    }
    out.push('\n');
}

/// `CONSTRAINT name ` for a name the author chose; nothing for one the
/// engine made up.
fn constraint_name(
    dialect: Dialect,
    table: &Table,
    kind: ConstraintKind,
    name: &Option<String>,
    columns: &[String],
) -> String {
    match name {
        Some(name) if !is_generated_name(dialect, &table.name.name, kind, name, columns) => {
            format!("CONSTRAINT {} ", quote_identifier(dialect, name))
        }
        _ => String::new(),
    }
}

fn column_list(dialect: Dialect, names: &[String]) -> String {
    names.iter().map(|n| quote_identifier(dialect, n)).collect::<Vec<_>>().join(", ")
}

/// `CREATE TABLE name (columns, keys, constraints)` without its indexes,
/// its foreign keys left out when `foreign_keys` is false (a migration adds
/// those of a cycle afterwards).
pub(crate) fn create_table_sql(dialect: Dialect, table: &Table, sorted_columns: bool, foreign_keys: bool) -> String {
    let mut columns: Vec<&Column> = table.columns.iter().collect();
    if sorted_columns {
        columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    // SQLite's AUTOINCREMENT can only be written on the column.
    let inline_key = dialect == Dialect::Sqlite
        && columns.iter().any(|c| c.identity == Some(Identity::AutoIncrement))
        && table.primary_key.as_ref().is_some_and(|pk| pk.columns.len() == 1);
    let mut lines: Vec<String> = columns.iter().map(|c| column_sql(dialect, c, inline_key)).collect();
    if let Some(pk) = table.primary_key.as_ref().filter(|_| !inline_key) {
        lines.push(primary_key_clause(dialect, table, pk));
    }
    let mut uniques: Vec<String> = table.uniques.iter().map(|u| unique_clause(dialect, table, u)).collect();
    uniques.sort();
    let mut checks: Vec<String> = table.checks.iter().map(|c| check_clause(dialect, table, c)).collect();
    checks.sort();
    let mut keys: Vec<String> = if foreign_keys {
        table.foreign_keys.iter().map(|fk| foreign_key_clause(dialect, table, fk)).collect()
    } else {
        Vec::new()
    };
    keys.sort();
    lines.extend(uniques);
    lines.extend(checks);
    lines.extend(keys);
    let mut text = format!("CREATE TABLE {} (\n    {}\n)", qualified(dialect, &table.name), lines.join(",\n    "));
    if !table.options.is_empty() {
        let _ = write!(text, " {}", table.options.join(", "));
    }
    text
}

/// `PRIMARY KEY (columns)`, named when its author named it.
pub(crate) fn primary_key_clause(dialect: Dialect, table: &Table, pk: &super::PrimaryKey) -> String {
    let name = constraint_name(dialect, table, ConstraintKind::PrimaryKey, &pk.name, &pk.columns);
    format!("{name}PRIMARY KEY ({})", column_list(dialect, &pk.columns))
}

/// `UNIQUE (columns)`, named when its author named it.
pub(crate) fn unique_clause(dialect: Dialect, table: &Table, unique: &super::Unique) -> String {
    let nulls = if unique.nulls_not_distinct { " NULLS NOT DISTINCT" } else { "" };
    let name = constraint_name(dialect, table, ConstraintKind::Unique, &unique.name, &unique.columns);
    format!("{name}UNIQUE{nulls} ({})", column_list(dialect, &unique.columns))
}

/// `CHECK (condition)`, named when its author named it.
pub(crate) fn check_clause(dialect: Dialect, table: &Table, check: &super::Check) -> String {
    let name =
        constraint_name(dialect, table, ConstraintKind::Check, &check.name, &check_columns(table, &check.normalized));
    format!("{name}CHECK ({})", check.normalized)
}

/// `FOREIGN KEY (columns) REFERENCES target (columns) ON …`, named when its
/// author named it.
pub(crate) fn foreign_key_clause(dialect: Dialect, table: &Table, fk: &super::ForeignKey) -> String {
    let mut text = format!(
        "{}FOREIGN KEY ({}) REFERENCES {}",
        constraint_name(dialect, table, ConstraintKind::ForeignKey, &fk.name, &fk.columns),
        column_list(dialect, &fk.columns),
        qualified(dialect, &fk.references)
    );
    if !fk.referenced_columns.is_empty() {
        let _ = write!(text, " ({})", column_list(dialect, &fk.referenced_columns));
    }
    if fk.on_delete != super::Action::NoAction {
        let _ = write!(text, " ON DELETE {}", fk.on_delete.sql());
    }
    if fk.on_update != super::Action::NoAction {
        let _ = write!(text, " ON UPDATE {}", fk.on_update.sql());
    }
    match fk.deferrable {
        super::Deferrable::No => {}
        super::Deferrable::InitiallyImmediate => text.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
        super::Deferrable::InitiallyDeferred => text.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    text
}

/// `CREATE [UNIQUE] INDEX name ON table (keys) [WHERE …]`. Only PostgreSQL
/// may leave out a name it would make up itself.
pub(crate) fn create_index_sql(dialect: Dialect, table: &Table, index: &super::Index) -> String {
    let q = |name: &str| quote_identifier(dialect, name);
    let keys: Vec<String> = index
        .keys
        .iter()
        .map(|k| {
            let key = if k.is_expression {
                format!("({})", k.normalized)
            } else if k.normalized.ends_with(')') {
                // MySQL's prefix key: `body(20)`.
                k.normalized.clone()
            } else {
                q(&k.normalized)
            };
            if k.descending { format!("{key} DESC") } else { key }
        })
        .collect();
    let columns: Vec<String> = index.keys.iter().map(|k| k.normalized.clone()).collect();
    let generated = is_generated_name(dialect, &table.name.name, ConstraintKind::Index, &index.name, &columns);
    let name = if generated && dialect == Dialect::Postgres { String::new() } else { format!("{} ", q(&index.name)) };
    let mut text = format!(
        "CREATE {}INDEX {name}ON {}",
        if index.unique { "UNIQUE " } else { "" },
        qualified(dialect, &table.name)
    );
    if let Some(method) = &index.method {
        let _ = write!(text, " USING {method}");
    }
    let _ = write!(text, " ({})", keys.join(", "));
    if let Some(predicate) = &index.normalized_predicate {
        let _ = write!(text, " WHERE {predicate}");
    }
    text
}

/// The columns a CHECK's condition names, for MariaDB's habit of naming a
/// column CHECK after its column.
fn check_columns(table: &Table, condition: &str) -> Vec<String> {
    columns_named_in(table.columns.iter().map(|c| c.name.as_str()), condition)
}

/// A column's definition in `CREATE TABLE` or `ADD COLUMN`.
pub(crate) fn column_sql(dialect: Dialect, column: &Column, inline_key: bool) -> String {
    let mut text = format!("{} {}", quote_identifier(dialect, &column.name), column.normalized_type);
    if let Some(collation) = &column.collation {
        // PostgreSQL's collation names keep their case (`"C"`, `"en-US-x-icu"`).
        let collation = if dialect == Dialect::Postgres {
            format!("\"{}\"", collation.replace('"', "\"\""))
        } else {
            collation.clone()
        };
        let _ = write!(text, " COLLATE {collation}");
    }
    if let Some(generated) = &column.generated {
        let kind = if generated.stored { "STORED" } else { "VIRTUAL" };
        let _ = write!(text, " GENERATED ALWAYS AS ({}) {kind}", generated.normalized);
    }
    if !column.nullable {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &column.normalized_default {
        let _ = write!(text, " DEFAULT {}", default_sql(dialect, default));
    }
    if let Some(on_update) = &column.on_update {
        let _ = write!(text, " ON UPDATE {on_update}");
    }
    match column.identity {
        Some(Identity::Always) => text.push_str(" GENERATED ALWAYS AS IDENTITY"),
        Some(Identity::ByDefault) => text.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
        Some(Identity::AutoIncrement) if dialect == Dialect::Sqlite && inline_key => {
            text.push_str(" PRIMARY KEY AUTOINCREMENT")
        }
        Some(Identity::AutoIncrement) if dialect == Dialect::Sqlite => text.push_str(" /* AUTOINCREMENT */"),
        Some(Identity::AutoIncrement) => text.push_str(" AUTO_INCREMENT"),
        None => {}
    }
    if dialect == Dialect::MySql
        && let Some(comment) = &column.comment
    {
        let _ = write!(text, " COMMENT {}", text_literal(dialect, comment));
    }
    text
}

/// A string literal of `text` for `dialect`: `'` doubled, and on MySQL
/// (where a backslash escapes) `\` doubled too.
pub(crate) fn text_literal(dialect: Dialect, text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if dialect == Dialect::MySql { format!("'{}'", quoted.replace('\\', "\\\\")) } else { format!("'{quoted}'") }
}

/// PostgreSQL's `COMMENT ON COLUMN` for each commented column of `table`
/// (MySQL writes comments in the column, SQLite has none).
pub(crate) fn column_comments_sql(dialect: Dialect, table: &Table) -> Vec<String> {
    if dialect != Dialect::Postgres {
        return Vec::new();
    }
    table
        .columns
        .iter()
        .filter_map(|c| Some(comment_on_column(dialect, &table.name, &c.name, c.comment.as_deref()?)))
        .collect()
}

/// `COMMENT ON COLUMN table.column IS '…'` (PostgreSQL).
pub(crate) fn comment_on_column(dialect: Dialect, table: &Name, column: &str, comment: &str) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {}",
        qualified(dialect, table),
        quote_identifier(dialect, column),
        text_literal(dialect, comment)
    )
}

/// A default as a column definition takes it: SQLite and MySQL want an
/// expression (a function call, an operator) in parentheses; a literal, a
/// clock keyword and anything on PostgreSQL go as they are.
pub(crate) fn default_sql(dialect: Dialect, default: &str) -> String {
    let literal = default.starts_with('\'')
        || default.parse::<f64>().is_ok()
        || matches!(
            default.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "current_timestamp" | "current_date" | "current_time" | "localtimestamp"
        );
    if dialect == Dialect::Postgres || literal || (default.starts_with('(') && default.ends_with(')')) {
        default.to_owned()
    } else {
        format!("({default})")
    }
}

/// A table or type name as SQL.
pub(crate) fn qualified(dialect: Dialect, name: &Name) -> String {
    if name.schema.is_empty() {
        quote_identifier(dialect, &name.name)
    } else {
        format!("{}.{}", quote_identifier(dialect, &name.schema), quote_identifier(dialect, &name.name))
    }
}

/// `'text'` with `'` doubled.
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ForeignKey;

    fn table(name: &str, references: &[&str]) -> Table {
        let foreign_keys = references
            .iter()
            .map(|r| ForeignKey {
                references: Name::unqualified(*r),
                columns: vec!["x".into()],
                ..ForeignKey::default()
            })
            .collect();
        Table { name: Name::unqualified(name), foreign_keys, ..Table::default() }
    }

    #[test]
    fn tables_follow_their_keys_and_a_cycle_waits_for_its_last_key() {
        let (a, b, c, d) = (table("a", &["b"]), table("b", &["a"]), table("c", &["z"]), table("d", &["e"]));
        let e = table("e", &[]);
        let tables = [&a, &b, &c, &d, &e];
        let order: Vec<(String, usize)> =
            in_key_order(&tables).into_iter().map(|(t, waits)| (t.name.name.clone(), waits.len())).collect();
        let names: Vec<&str> = order.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["c", "e", "d", "a", "b"]);
        assert_eq!(order[3], ("a".to_owned(), 1), "a's key to b waits");
        assert_eq!(order[4], ("b".to_owned(), 0));
    }
}
