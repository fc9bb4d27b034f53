//! Renames a migration cannot guess: a dropped and an added column of one
//! definition may be a rename or two unrelated changes, so it is written as
//! a rename only when stated — in the schema file (`-- retort: renamed from
//! old_name` on the column's or the table's line) or as `--rename
//! table.old=new` / `--rename old_table=new_table`.

use std::fmt;

use super::model::{Name, Schema};
use super::names::columns_named_in;

/// One stated rename.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rename {
    /// A table called `from` is now `to`.
    Table {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// In `table` (its new name), the column `from` is now `to`.
    Column {
        /// The table, by its new name.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
}

impl fmt::Display for Rename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rename::Table { from, to } => write!(f, "table {from} -> {to}"),
            Rename::Column { table, from, to } => write!(f, "column {table}.{from} -> {to}"),
        }
    }
}

impl Rename {
    /// Reads `table.old=new` (a column) or `old=new` (a table).
    pub fn parse(text: &str) -> Result<Rename, String> {
        let bad = || format!("--rename '{text}': write table.old_column=new_column, or old_table=new_table");
        let (left, to) = text.split_once('=').ok_or_else(bad)?;
        let to = to.trim();
        if to.is_empty() {
            return Err(bad());
        }
        match left.trim().rsplit_once('.') {
            Some((table, from)) if !table.is_empty() && !from.is_empty() => {
                Ok(Rename::Column { table: table.to_owned(), from: from.to_owned(), to: to.to_owned() })
            }
            Some(_) => Err(bad()),
            None if !left.trim().is_empty() => Ok(Rename::Table { from: left.trim().to_owned(), to: to.to_owned() }),
            None => Err(bad()),
        }
    }

    /// True when `schema` holds the new name and not the old one: the
    /// rename was made already (its annotation outlived its revision).
    pub fn is_applied_in(&self, schema: &Schema) -> bool {
        already_applied(schema, self)
    }

    /// The rename the other way (for a downgrade).
    pub fn reversed(&self) -> Rename {
        match self {
            Rename::Table { from, to } => Rename::Table { from: to.clone(), to: from.clone() },
            Rename::Column { table, from, to } => {
                Rename::Column { table: table.clone(), from: to.clone(), to: from.clone() }
            }
        }
    }
}

/// The renames a schema file states: `-- retort: renamed from old` on a
/// `CREATE TABLE` line names the table's old name; on a column's line (or
/// alone on the line after it), the column's.
pub fn renames_in(sql: &str) -> Vec<Rename> {
    const MARK: &str = "retort: renamed from";
    let mut renames = Vec::new();
    let mut table: Option<String> = None;
    let mut last_column: Option<String> = None;
    for line in sql.lines() {
        let (code, comment) = match line.find("--") {
            Some(at) => (&line[..at], Some(line[at + 2..].trim())),
            None => (line, None),
        };
        let code_words: Vec<&str> = code.split_whitespace().collect();
        let upper: Vec<String> = code_words.iter().map(|w| w.to_ascii_uppercase()).collect();
        if let Some(at) = upper.iter().position(|w| w == "TABLE")
            && upper.first().map(String::as_str) == Some("CREATE")
        {
            let name = code_words[at + 1..]
                .iter()
                .find(|w| !matches!(w.to_ascii_uppercase().as_str(), "IF" | "NOT" | "EXISTS"))
                .map(|w| unquote(w.split('(').next().unwrap_or(w)));
            table = name.filter(|n| !n.is_empty());
            last_column = None;
            if let (Some(comment), Some(t)) = (comment, &table)
                && let Some(old) = comment.strip_prefix(MARK)
            {
                renames.push(Rename::Table { from: unquote(old.trim()), to: t.clone() });
            }
            continue;
        }
        if let Some(first) = code_words.first() {
            let word = unquote(first.trim_end_matches(','));
            let keyword = matches!(
                word.to_ascii_uppercase().as_str(),
                "PRIMARY" | "UNIQUE" | "CHECK" | "FOREIGN" | "CONSTRAINT" | ")" | ");" | "KEY" | "INDEX"
            );
            if !keyword && !word.starts_with(')') {
                last_column = Some(word);
            }
        }
        if code.contains(';') {
            table = None;
        }
        if let (Some(comment), Some(t), Some(column)) = (comment, &table, &last_column)
            && let Some(old) = comment.strip_prefix(MARK)
        {
            renames.push(Rename::Column { table: t.clone(), from: unquote(old.trim()), to: column.clone() });
        }
    }
    renames
}

fn unquote(name: &str) -> String {
    let name = name.trim().trim_end_matches(',');
    let name = name.rsplit('.').next().unwrap_or(name);
    name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']').to_owned()
}

/// The sequences a renamed table's columns own (PostgreSQL's `SERIAL`),
/// named `<table>_<column>_seq` after the old name, take the new one, as
/// `ALTER SEQUENCE … RENAME` makes them (keeping their next value); the
/// columns' defaults follow.
fn rename_owned_sequences(schema: &mut Schema, table: &mut super::Table, old: &Name, to: &str) {
    let owner_prefix = format!("{}.{}.", old.schema, old.name);
    let owned: Vec<Name> = schema
        .sequences
        .values()
        .filter(|s| s.owned_by.as_deref().is_some_and(|o| o.starts_with(&owner_prefix)))
        .map(|s| s.name.clone())
        .collect();
    for name in owned {
        let mut sequence = schema.sequences.remove(&name).expect("listed");
        let column = sequence.owned_by.as_deref().unwrap_or_default()[owner_prefix.len()..].to_owned();
        sequence.owned_by = Some(format!("{}.{to}.{column}", old.schema));
        if sequence.name.name == format!("{}_{column}_seq", old.name) {
            let new_name = Name::new(name.schema.clone(), format!("{to}_{column}_seq"));
            for column in &mut table.columns {
                for default in [&mut column.default, &mut column.normalized_default].into_iter().flatten() {
                    for (before, after) in [
                        (format!("'{}'", name), format!("'{new_name}'")),
                        (format!("'{}'", name.name), format!("'{}'", new_name.name)),
                    ] {
                        *default = default.replace(&before, &after);
                    }
                }
            }
            sequence.name = new_name;
        }
        schema.sequences.insert(sequence.name.clone(), sequence);
    }
}

/// The sequences `before` has and `after` has under another name (a
/// renamed table's `SERIAL` sequences): (old, new).
pub(crate) fn renamed_sequences(before: &Schema, after: &Schema) -> Vec<(Name, Name)> {
    before
        .sequences
        .values()
        .filter(|s| !after.sequences.contains_key(&s.name))
        .filter_map(|s| {
            let owner = s.owned_by.as_deref()?;
            let column = owner.rsplit('.').next()?;
            let moved = after.sequences.values().find(|n| {
                !before.sequences.contains_key(&n.name)
                    && n.owned_by.as_deref().is_some_and(|o| o.rsplit('.').next() == Some(column))
                    && n.name.name.ends_with(&format!("_{column}_seq"))
            })?;
            Some((s.name.clone(), moved.name.clone()))
        })
        .collect()
}

/// `schema` as it would be after the renames: so that a comparison sees
/// one table or column under its new name instead of a drop and an add.
/// Errors name a rename whose old name `schema` lacks.
pub fn apply_renames(schema: &Schema, renames: &[Rename]) -> Result<Schema, String> {
    let mut renamed = schema.clone();
    for rename in renames {
        if already_applied(&renamed, rename) {
            // The annotation outlived its revision: the schema has the new
            // name and not the old one.
            continue;
        }
        match rename {
            Rename::Table { from, to } => {
                let key = renamed.tables.keys().find(|n| n.name == *from).cloned().ok_or_else(|| {
                    format!("the rename {rename} names table {from}, which the schema the revisions make does not have")
                })?;
                let mut table = renamed.tables.remove(&key).expect("found");
                let new_name = Name::new(key.schema.clone(), to.clone());
                table.name = new_name.clone();
                for other in renamed.tables.values_mut() {
                    for fk in &mut other.foreign_keys {
                        if fk.references == key {
                            fk.references = new_name.clone();
                        }
                    }
                }
                for fk in &mut table.foreign_keys {
                    if fk.references == key {
                        fk.references = new_name.clone();
                    }
                }
                rename_owned_sequences(&mut renamed, &mut table, &key, to);
                renamed.tables.insert(new_name, table);
            }
            Rename::Column { table, from, to } => {
                let key = renamed.tables.keys().find(|n| n.name == *table).cloned().ok_or_else(|| {
                    format!("the rename {rename} names table {table}, which the schema the revisions make does not have (name the table by its new name)")
                })?;
                let t = renamed.tables.get_mut(&key).expect("found");
                let column = t.columns.iter_mut().find(|c| c.name == *from).ok_or_else(|| {
                    format!("the rename {rename} names column {table}.{from}, which the schema the revisions make does not have")
                })?;
                column.name = to.clone();
                let swap =
                    |names: &mut Vec<String>| names.iter_mut().filter(|n| *n == from).for_each(|n| *n = to.clone());
                if let Some(pk) = &mut t.primary_key {
                    swap(&mut pk.columns);
                }
                t.uniques.iter_mut().for_each(|u| swap(&mut u.columns));
                t.foreign_keys.iter_mut().for_each(|fk| swap(&mut fk.columns));
                for index in &mut t.indexes {
                    for k in &mut index.keys {
                        if !k.is_expression && k.normalized == from.to_lowercase() || k.normalized == *from {
                            k.normalized = to.clone();
                            k.expression = to.clone();
                        }
                    }
                }
                for check in &mut t.checks {
                    if !columns_named_in([from.as_str()], &check.normalized).is_empty() {
                        check.normalized = replace_word(&check.normalized, from, to);
                    }
                }
                for other in renamed.tables.values_mut() {
                    for fk in other.foreign_keys.iter_mut().filter(|fk| fk.references == key) {
                        swap(&mut fk.referenced_columns);
                    }
                }
            }
        }
    }
    Ok(renamed)
}

/// True when `schema` has the rename's new name and not its old one.
pub(crate) fn already_applied(schema: &Schema, rename: &Rename) -> bool {
    let table = |name: &str| schema.tables.values().find(|t| t.name.name == name);
    match rename {
        Rename::Table { from, to } => table(to).is_some() && table(from).is_none(),
        Rename::Column { table: t, from, to } => {
            table(t).is_some_and(|t| t.column(to).is_some() && t.column(from).is_none())
        }
    }
}

/// `text` with `from` replaced where it stands as a whole word.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        out.push_str(&rest[..at]);
        out.push_str(if boundary(before) && boundary(after) { to } else { from });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_name_a_column_or_a_table() {
        assert_eq!(
            Rename::parse("account.nick=nickname").unwrap(),
            Rename::Column { table: "account".into(), from: "nick".into(), to: "nickname".into() }
        );
        assert_eq!(
            Rename::parse("client=customer").unwrap(),
            Rename::Table { from: "client".into(), to: "customer".into() }
        );
        for bad in ["", "=x", "a.b=", ".b=c", "nothing"] {
            assert!(Rename::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn annotations_name_the_column_or_table_they_stand_on() {
        let sql = "CREATE TABLE customer ( -- retort: renamed from client\n    id INTEGER PRIMARY KEY,\n    nickname TEXT, -- retort: renamed from nick\n    email TEXT\n        -- retort: renamed from mail\n);\nCREATE TABLE other (x INT);\n";
        assert_eq!(
            renames_in(sql),
            [
                Rename::Table { from: "client".into(), to: "customer".into() },
                Rename::Column { table: "customer".into(), from: "nick".into(), to: "nickname".into() },
                Rename::Column { table: "customer".into(), from: "mail".into(), to: "email".into() },
            ]
        );
    }

    #[test]
    fn whole_words_are_replaced_and_parts_of_words_are_not() {
        assert_eq!(
            replace_word("nick > 0 and nickname <> nick", "nick", "handle"),
            "handle > 0 and nickname <> handle"
        );
    }
}
