//! The schema model: what introspection reads from a database, in the
//! engine's own words, plus the normalised forms comparisons use.
//!
//! Every text field holds what the engine printed (`format_type`,
//! `COLUMN_TYPE`, a SQLite declared type); [`Schema::normalize`] fills the
//! `normalized` fields that [`compare`](super::compare) and the
//! [canonical text](super::canonical) read, so two spellings of one schema
//! compare equal.

use std::collections::BTreeMap;
use std::fmt;

use crate::Dialect;

/// A table, view or type name. `schema` is PostgreSQL's namespace
/// (`public`), and empty on MySQL and SQLite, where the connected database
/// is the only one read — so a scratch database of another name compares
/// equal to the live one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Name {
    /// The namespace (PostgreSQL), or empty.
    pub schema: String,
    /// The object's own name.
    pub name: String,
}

impl Name {
    /// `schema.name`, or `name` without a schema.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Name {
        Name { schema: schema.into(), name: name.into() }
    }

    /// A name in the connected database (MySQL, SQLite).
    pub fn unqualified(name: impl Into<String>) -> Name {
        Name { schema: String::new(), name: name.into() }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schema.is_empty() { f.write_str(&self.name) } else { write!(f, "{}.{}", self.schema, self.name) }
    }
}

/// Everything retort reads of one database.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Schema {
    /// The engine.
    pub dialect: Option<Dialect>,
    /// What the server calls its version (`15.19`, `10.11.19-MariaDB`,
    /// `3.46.0`): scratch and live databases of different versions may
    /// print one schema differently.
    pub server_version: String,
    /// Tables by name.
    #[cfg_attr(feature = "json", serde(serialize_with = "values"))]
    pub tables: BTreeMap<Name, Table>,
    /// Views (and PostgreSQL materialized views) by name.
    #[cfg_attr(feature = "json", serde(serialize_with = "values"))]
    pub views: BTreeMap<Name, View>,
    /// PostgreSQL enum types by name.
    #[cfg_attr(feature = "json", serde(serialize_with = "values"))]
    pub enums: BTreeMap<Name, EnumType>,
    /// PostgreSQL sequences that no identity column owns, by name.
    #[cfg_attr(feature = "json", serde(serialize_with = "values"))]
    pub sequences: BTreeMap<Name, Sequence>,
    /// Functions and procedures: listed and compared by their text only.
    #[cfg_attr(feature = "json", serde(serialize_with = "values"))]
    pub routines: BTreeMap<Name, Routine>,
    /// Triggers, ordered by table and name: listed and compared by their
    /// text only.
    pub triggers: Vec<Trigger>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Table {
    /// Its name.
    pub name: Name,
    /// Its columns in the engine's order (the order is not compared).
    pub columns: Vec<Column>,
    /// Its primary key.
    pub primary_key: Option<PrimaryKey>,
    /// Its foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Its unique constraints (on MySQL, its unique indexes).
    pub uniques: Vec<Unique>,
    /// Its CHECK constraints.
    pub checks: Vec<Check>,
    /// Its indexes that back no constraint.
    pub indexes: Vec<Index>,
    /// What the engine keeps beside the columns that matters to a
    /// comparison: SQLite's `WITHOUT ROWID`/`STRICT`, MySQL's engine.
    pub options: Vec<String>,
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type as the engine prints it.
    pub data_type: String,
    /// Its type in the form comparisons use (see [`Schema::normalize`]).
    pub normalized_type: String,
    /// NULL allowed.
    pub nullable: bool,
    /// Its default expression as the engine prints it.
    pub default: Option<String>,
    /// Its default in the form comparisons use.
    pub normalized_default: Option<String>,
    /// Identity or auto-increment.
    pub identity: Option<Identity>,
    /// A generated (computed) column's expression.
    pub generated: Option<Generated>,
    /// Its collation, when it differs from its type's or table's default.
    pub collation: Option<String>,
    /// MySQL's `ON UPDATE` expression, in the form comparisons use
    /// (`current_timestamp`).
    pub on_update: Option<String>,
    /// Its comment (MySQL `COMMENT '…'`, PostgreSQL `COMMENT ON COLUMN`);
    /// SQLite has none.
    pub comment: Option<String>,
}

/// How a column numbers its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Identity {
    /// PostgreSQL `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// PostgreSQL `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
    /// MySQL `AUTO_INCREMENT`, SQLite `AUTOINCREMENT`.
    AutoIncrement,
}

/// A generated column's expression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Generated {
    /// The expression as the engine prints it.
    pub expression: String,
    /// Stored (computed on write) rather than virtual.
    pub stored: bool,
    /// The expression in the form comparisons use.
    pub normalized: String,
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct PrimaryKey {
    /// Its constraint name, when the engine keeps one.
    pub name: Option<String>,
    /// Its columns, in key order.
    pub columns: Vec<String>,
}

/// What a foreign key does when the row it references changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Action {
    /// `NO ACTION` (the default).
    #[default]
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl Action {
    /// The words of SQL: `NO ACTION`, `CASCADE`…
    pub fn sql(self) -> &'static str {
        match self {
            Action::NoAction => "NO ACTION",
            Action::Restrict => "RESTRICT",
            Action::Cascade => "CASCADE",
            Action::SetNull => "SET NULL",
            Action::SetDefault => "SET DEFAULT",
        }
    }

    /// Reads the words of SQL (any case, `_` or a space between words);
    /// anything else is `NO ACTION`.
    pub fn parse(text: &str) -> Action {
        match text.trim().to_ascii_uppercase().replace('_', " ").as_str() {
            "RESTRICT" => Action::Restrict,
            "CASCADE" => Action::Cascade,
            "SET NULL" => Action::SetNull,
            "SET DEFAULT" => Action::SetDefault,
            _ => Action::NoAction,
        }
    }
}

/// When a foreign key is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Deferrable {
    /// Checked after each statement (the default).
    #[default]
    No,
    /// `DEFERRABLE INITIALLY IMMEDIATE`.
    InitiallyImmediate,
    /// `DEFERRABLE INITIALLY DEFERRED`.
    InitiallyDeferred,
}

/// A foreign key, compared by what it means: its columns, target and
/// actions, never by a name the engine made up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct ForeignKey {
    /// Its constraint name, when the engine keeps one.
    pub name: Option<String>,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references: Name,
    /// The referenced columns (on SQLite, empty means its primary key).
    pub referenced_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: Action,
    /// `ON UPDATE`.
    pub on_update: Action,
    /// `DEFERRABLE`.
    pub deferrable: Deferrable,
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Unique {
    /// Its constraint name, when the engine keeps one.
    pub name: Option<String>,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// PostgreSQL 15's `NULLS NOT DISTINCT`.
    pub nulls_not_distinct: bool,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Check {
    /// Its constraint name, when the engine keeps one.
    pub name: Option<String>,
    /// Its condition as the engine prints it, without `CHECK`.
    pub expression: String,
    /// Its condition in the form comparisons use.
    pub normalized: String,
}

/// One key of an index: a column or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct IndexKey {
    /// A column name, or an expression as the engine prints it.
    pub expression: String,
    /// True when `expression` is an expression, not a column.
    pub is_expression: bool,
    /// `DESC`.
    pub descending: bool,
    /// The key in the form comparisons use.
    pub normalized: String,
}

/// An index that backs no constraint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Index {
    /// Its name.
    pub name: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// Its keys, in order.
    pub keys: Vec<IndexKey>,
    /// A partial index's `WHERE` condition.
    pub predicate: Option<String>,
    /// The predicate in the form comparisons use.
    pub normalized_predicate: Option<String>,
    /// The access method when it is not the engine's default (`gin`,
    /// `FULLTEXT`).
    pub method: Option<String>,
}

/// A view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct View {
    /// Its name.
    pub name: Name,
    /// Its query as the engine prints it.
    pub definition: String,
    /// The query in the form comparisons use.
    pub normalized: String,
    /// A PostgreSQL materialized view.
    pub materialized: bool,
}

/// A PostgreSQL enum type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct EnumType {
    /// Its name.
    pub name: Name,
    /// Its labels, in their order.
    pub labels: Vec<String>,
}

/// A PostgreSQL sequence. Its current value and START are state, not
/// schema, and are not kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Sequence {
    /// Its name.
    pub name: Name,
    /// Its type (`bigint`).
    pub data_type: String,
    /// Its step.
    pub increment: i64,
    /// Its lowest value.
    pub min_value: i64,
    /// Its highest value.
    pub max_value: i64,
    /// Whether it wraps around.
    pub cycle: bool,
    /// The column that owns it (`SERIAL`), as `schema.table.column`.
    pub owned_by: Option<String>,
}

/// A function or procedure, kept as the engine prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Routine {
    /// Its name (with its argument types on PostgreSQL, where names
    /// overload).
    pub name: Name,
    /// `function` or `procedure`.
    pub kind: String,
    /// Its definition.
    pub definition: String,
}

/// A trigger, kept as the engine prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Trigger {
    /// Its name.
    pub name: String,
    /// The table it fires on.
    pub table: Name,
    /// Its definition.
    pub definition: String,
}

/// JSON writes a map of objects as the list of its values (their keys are
/// inside them; JSON object keys must be strings).
#[cfg(feature = "json")]
fn values<K, V: serde::Serialize, S: serde::Serializer>(
    map: &BTreeMap<K, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(map.values())
}
