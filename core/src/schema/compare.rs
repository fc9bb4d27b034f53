//! Comparing two schemas: what changes turn `from` into `to`.
//!
//! One function per kind of object, each saying how it matches objects on
//! both sides: tables, views and types by name; columns by name (their
//! order is not a difference); primary keys by their columns; foreign keys
//! by what they mean (columns, target, actions), never by a name the engine
//! made up; unique and CHECK constraints by their columns or condition;
//! indexes by their definition. Changes come out in a fixed order: types,
//! sequences, tables in name order (and within a table columns, keys,
//! constraints, indexes), views, routines, triggers.
//!
//! What the comparison cannot decide is a [`Notice`], never a guess: a
//! dropped and an added column of one definition may be a rename.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::model::{
    Check, Column, EnumType, ForeignKey, Index, Name, PrimaryKey, Routine, Schema, Sequence, Table, Trigger, Unique,
    View,
};
use super::names::{ConstraintKind, columns_named_in, is_generated_name};
use crate::Dialect;

/// What differs between two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Differences {
    /// The changes that turn the first schema into the second, in order.
    pub changes: Vec<Change>,
    /// What the comparison could not decide, or wants said.
    pub notices: Vec<Notice>,
}

impl Differences {
    /// True when the schemas are the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How far apart the schemas are: one per change, a whole table
    /// counting each of its columns, keys, constraints and indexes.
    pub fn weight(&self) -> usize {
        self.changes
            .iter()
            .map(|change| match change {
                Change::TableAdded { table } | Change::TableDropped { table } => {
                    1 + table.columns.len()
                        + table.foreign_keys.len()
                        + table.uniques.len()
                        + table.checks.len()
                        + table.indexes.len()
                }
                _ => 1,
            })
            .sum()
    }
}

/// Which part of a column changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum ColumnAspect {
    /// Its type.
    Type,
    /// NULL allowed or not.
    Nullability,
    /// Its default.
    Default,
    /// Identity or auto-increment.
    Identity,
    /// Its generation expression.
    Generated,
    /// Its collation.
    Collation,
    /// MySQL's `ON UPDATE`.
    OnUpdate,
    /// Its comment.
    Comment,
}

/// One change, with the object before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(tag = "change", rename_all = "snake_case"))]
#[non_exhaustive]
#[allow(missing_docs)]
// Each variant's fields are the objects it names.
// A comparison makes a short list once; whole objects in each variant keep
// matching on them plain, and boxing would save nothing that matters.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// A table only the second schema has.
    TableAdded { table: Table },
    /// A table only the first schema has.
    TableDropped { table: Table },
    /// A column only the second has.
    ColumnAdded { table: Name, column: Column },
    /// A column only the first has.
    ColumnDropped { table: Name, column: Column },
    /// A column both have, differently.
    ColumnChanged { table: Name, before: Column, after: Column, aspects: Vec<ColumnAspect> },
    /// The primary key's columns differ (or one side has none).
    PrimaryKeyChanged { table: Name, before: Option<PrimaryKey>, after: Option<PrimaryKey> },
    /// A foreign key only the second has.
    ForeignKeyAdded { table: Name, foreign_key: ForeignKey },
    /// A foreign key only the first has.
    ForeignKeyDropped { table: Name, foreign_key: ForeignKey },
    /// A unique constraint only the second has.
    UniqueAdded { table: Name, unique: Unique },
    /// A unique constraint only the first has.
    UniqueDropped { table: Name, unique: Unique },
    /// A CHECK only the second has.
    CheckAdded { table: Name, check: Check },
    /// A CHECK only the first has.
    CheckDropped { table: Name, check: Check },
    /// An index only the second has.
    IndexAdded { table: Name, index: Index },
    /// An index only the first has.
    IndexDropped { table: Name, index: Index },
    /// One constraint or index under two names that both sides chose.
    Renamed { table: Name, kind: ConstraintKind, before: String, after: String },
    /// `WITHOUT ROWID`, `STRICT` or the storage engine differ.
    TableOptionsChanged { table: Name, before: Vec<String>, after: Vec<String> },
    /// A view only the second has.
    ViewAdded { view: View },
    /// A view only the first has.
    ViewDropped { view: View },
    /// A view both have, with another query.
    ViewChanged { before: View, after: View },
    /// An enum type only the second has.
    EnumAdded { enum_type: EnumType },
    /// An enum type only the first has.
    EnumDropped { enum_type: EnumType },
    /// An enum type's labels or their order differ.
    EnumLabelsChanged { before: EnumType, after: EnumType },
    /// A sequence only the second has.
    SequenceAdded { sequence: Sequence },
    /// A sequence only the first has.
    SequenceDropped { sequence: Sequence },
    /// A sequence's type, step, bounds or owner differ.
    SequenceChanged { before: Sequence, after: Sequence },
    /// A routine only the second has.
    RoutineAdded { routine: Routine },
    /// A routine only the first has.
    RoutineDropped { routine: Routine },
    /// A routine's text differs.
    RoutineChanged { before: Routine, after: Routine },
    /// A trigger only the second has.
    TriggerAdded { trigger: Trigger },
    /// A trigger only the first has.
    TriggerDropped { trigger: Trigger },
    /// A trigger's text differs.
    TriggerChanged { before: Trigger, after: Trigger },
}

/// What the comparison cannot decide or wants said.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(tag = "notice", rename_all = "snake_case"))]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Notice {
    /// A dropped and an added column of one definition: maybe a rename.
    PossibleColumnRename { table: Name, from: String, to: String },
    /// A dropped and an added table of the same columns: maybe a rename.
    PossibleTableRename { from: Name, to: Name },
    /// The servers' versions differ, so each may print one schema in its
    /// own way.
    ServerVersionsDiffer { first: String, second: String },
    /// The schemas come from different engines.
    DialectsDiffer { first: String, second: String },
    /// SQLite: two declared types of one affinity, which SQLite stores alike.
    SameAffinity { table: Name, column: String, before: String, after: String },
}

/// The changes that turn `from` into `to`, and what could not be decided.
pub fn compare(from: &Schema, to: &Schema) -> Differences {
    let mut diff = Differences::default();
    let dialect = to.dialect.or(from.dialect).unwrap_or(Dialect::Sqlite);
    check_engines(from, to, &mut diff);
    compare_enums(from, to, &mut diff);
    compare_sequences(from, to, &mut diff);
    compare_tables(dialect, from, to, &mut diff);
    compare_views(from, to, &mut diff);
    compare_routines(from, to, &mut diff);
    compare_triggers(from, to, &mut diff);
    diff
}

/// Rule: a comparison across engines or versions is reported, since each
/// prints some definitions its own way.
fn check_engines(from: &Schema, to: &Schema, diff: &mut Differences) {
    if let (Some(a), Some(b)) = (from.dialect, to.dialect)
        && a != b
    {
        diff.notices.push(Notice::DialectsDiffer { first: a.to_string(), second: b.to_string() });
    }
    if !from.server_version.is_empty() && !to.server_version.is_empty() && from.server_version != to.server_version {
        diff.notices.push(Notice::ServerVersionsDiffer {
            first: from.server_version.clone(),
            second: to.server_version.clone(),
        });
    }
}

/// The changes that name one kind of object.
struct Kinds<T> {
    dropped: fn(T) -> Change,
    added: fn(T) -> Change,
    changed: fn(T, T) -> Change,
}

/// The objects of two maps matched by name: what only the first has, what
/// only the second has, and the pairs that `same` says differ.
fn by_name<T: Clone>(
    from: &BTreeMap<Name, T>,
    to: &BTreeMap<Name, T>,
    same: impl Fn(&T, &T) -> bool,
    kinds: Kinds<T>,
    diff: &mut Differences,
) {
    for (name, before) in from {
        match to.get(name) {
            None => diff.changes.push((kinds.dropped)(before.clone())),
            Some(after) if !same(before, after) => diff.changes.push((kinds.changed)(before.clone(), after.clone())),
            Some(_) => {}
        }
    }
    for (name, after) in to {
        if !from.contains_key(name) {
            diff.changes.push((kinds.added)(after.clone()));
        }
    }
}

/// Enum types match by name; their labels compare in order.
fn compare_enums(from: &Schema, to: &Schema, diff: &mut Differences) {
    let kinds = Kinds::<EnumType> {
        dropped: |enum_type| Change::EnumDropped { enum_type },
        added: |enum_type| Change::EnumAdded { enum_type },
        changed: |before, after| Change::EnumLabelsChanged { before, after },
    };
    by_name(&from.enums, &to.enums, |a, b| a.labels == b.labels, kinds, diff);
}

/// Sequences match by name; their state (current value) is not compared.
fn compare_sequences(from: &Schema, to: &Schema, diff: &mut Differences) {
    let kinds = Kinds::<Sequence> {
        dropped: |sequence| Change::SequenceDropped { sequence },
        added: |sequence| Change::SequenceAdded { sequence },
        changed: |before, after| Change::SequenceChanged { before, after },
    };
    by_name(&from.sequences, &to.sequences, |a, b| a == b, kinds, diff);
}

/// Tables match by name; a dropped and an added table of the same columns
/// are named as a possible rename.
fn compare_tables(dialect: Dialect, from: &Schema, to: &Schema, diff: &mut Differences) {
    let names: BTreeSet<&Name> = from.tables.keys().chain(to.tables.keys()).collect();
    for name in names {
        match (from.tables.get(name), to.tables.get(name)) {
            (Some(before), None) => diff.changes.push(Change::TableDropped { table: before.clone() }),
            (None, Some(after)) => diff.changes.push(Change::TableAdded { table: after.clone() }),
            (Some(before), Some(after)) => compare_table(dialect, before, after, diff),
            (None, None) => {}
        }
    }
    for dropped in from.tables.values().filter(|t| !to.tables.contains_key(&t.name)) {
        for added in to.tables.values().filter(|t| !from.tables.contains_key(&t.name)) {
            if same_columns(dropped, added) {
                diff.notices.push(Notice::PossibleTableRename { from: dropped.name.clone(), to: added.name.clone() });
            }
        }
    }
}

fn same_columns(a: &Table, b: &Table) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns.iter().all(|c| b.column(&c.name).is_some_and(|d| column_aspects(c, d).is_empty()))
}

fn compare_table(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    compare_columns(dialect, before, after, diff);
    compare_primary_key(dialect, before, after, diff);
    compare_foreign_keys(dialect, before, after, diff);
    compare_uniques(dialect, before, after, diff);
    compare_checks(dialect, before, after, diff);
    compare_indexes(dialect, before, after, diff);
    if before.options != after.options {
        diff.changes.push(Change::TableOptionsChanged {
            table: after.name.clone(),
            before: before.options.clone(),
            after: after.options.clone(),
        });
    }
}

/// Columns match by name, in any order; each differing aspect is named.
fn compare_columns(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    let table = &after.name;
    let mut added = Vec::new();
    let mut dropped = Vec::new();
    let mut names: Vec<&str> = after.columns.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    for name in names {
        let new = after.column(name).expect("listed from after");
        match before.column(name) {
            None => added.push(new),
            Some(old) => {
                let aspects = column_aspects(old, new);
                if !aspects.is_empty() {
                    if aspects == [ColumnAspect::Type]
                        && dialect == Dialect::Sqlite
                        && sqlite_affinity(&old.normalized_type) == sqlite_affinity(&new.normalized_type)
                    {
                        diff.notices.push(Notice::SameAffinity {
                            table: table.clone(),
                            column: name.to_owned(),
                            before: old.data_type.clone(),
                            after: new.data_type.clone(),
                        });
                    }
                    diff.changes.push(Change::ColumnChanged {
                        table: table.clone(),
                        before: old.clone(),
                        after: new.clone(),
                        aspects,
                    });
                }
            }
        }
    }
    let mut old_names: Vec<&Column> = before.columns.iter().filter(|c| after.column(&c.name).is_none()).collect();
    old_names.sort_by(|a, b| a.name.cmp(&b.name));
    dropped.extend(old_names);
    for column in &added {
        diff.changes.push(Change::ColumnAdded { table: table.clone(), column: (*column).clone() });
    }
    for column in &dropped {
        diff.changes.push(Change::ColumnDropped { table: table.clone(), column: (*column).clone() });
    }
    // Django's rule: only an identical definition suggests a rename.
    for old in &dropped {
        for new in &added {
            if column_aspects(old, new).is_empty() {
                diff.notices.push(Notice::PossibleColumnRename {
                    table: table.clone(),
                    from: old.name.clone(),
                    to: new.name.clone(),
                });
            }
        }
    }
}

/// What differs between two columns of one name.
pub fn column_aspects(before: &Column, after: &Column) -> Vec<ColumnAspect> {
    let mut aspects = Vec::new();
    if before.normalized_type != after.normalized_type {
        aspects.push(ColumnAspect::Type);
    }
    if before.nullable != after.nullable {
        aspects.push(ColumnAspect::Nullability);
    }
    if before.normalized_default != after.normalized_default {
        aspects.push(ColumnAspect::Default);
    }
    if before.identity != after.identity {
        aspects.push(ColumnAspect::Identity);
    }
    let generated = |c: &Column| c.generated.as_ref().map(|g| (g.normalized.clone(), g.stored));
    if generated(before) != generated(after) {
        aspects.push(ColumnAspect::Generated);
    }
    if before.collation != after.collation {
        aspects.push(ColumnAspect::Collation);
    }
    if before.on_update != after.on_update {
        aspects.push(ColumnAspect::OnUpdate);
    }
    if before.comment != after.comment {
        aspects.push(ColumnAspect::Comment);
    }
    aspects
}

/// SQLite's type affinity of a declared type (datatype3.html, 3.1).
fn sqlite_affinity(declared: &str) -> u8 {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        1
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        2
    } else if t.contains("BLOB") || t.is_empty() {
        3
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        4
    } else {
        5
    }
}

/// A user's name for an object, or `None` when the engine made it up.
fn chosen_name(
    dialect: Dialect,
    table: &Name,
    kind: ConstraintKind,
    name: &Option<String>,
    columns: &[String],
) -> Option<String> {
    name.clone().filter(|n| !is_generated_name(dialect, &table.name, kind, n, columns))
}

/// Reports a constraint both sides named, each in its own way.
fn compare_names(
    dialect: Dialect,
    table: &Name,
    kind: ConstraintKind,
    (before, after): (&Option<String>, &Option<String>),
    columns: &[String],
    diff: &mut Differences,
) {
    let (a, b) =
        (chosen_name(dialect, table, kind, before, columns), chosen_name(dialect, table, kind, after, columns));
    if let (Some(a), Some(b)) = (&a, &b)
        && a != b
    {
        diff.changes.push(Change::Renamed { table: table.clone(), kind, before: a.clone(), after: b.clone() });
    }
}

/// The primary key matches by its columns, in order.
fn compare_primary_key(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    let columns = |t: &Table| t.primary_key.as_ref().map(|pk| pk.columns.clone());
    if columns(before) != columns(after) {
        diff.changes.push(Change::PrimaryKeyChanged {
            table: after.name.clone(),
            before: before.primary_key.clone(),
            after: after.primary_key.clone(),
        });
    } else if let (Some(a), Some(b)) = (&before.primary_key, &after.primary_key) {
        compare_names(dialect, &after.name, ConstraintKind::PrimaryKey, (&a.name, &b.name), &a.columns, diff);
    }
}

/// The items of two lists matched by a key: those only the first has,
/// those only the second has, and the pairs.
struct Matched<'a, T> {
    only_before: Vec<&'a T>,
    only_after: Vec<&'a T>,
    pairs: Vec<(&'a T, &'a T)>,
}

fn match_by<'a, T, K: PartialEq>(before: &'a [T], after: &'a [T], key: impl Fn(&T) -> K) -> Matched<'a, T> {
    let mut used = vec![false; after.len()];
    let mut matched = Matched { only_before: Vec::new(), only_after: Vec::new(), pairs: Vec::new() };
    for old in before {
        let k = key(old);
        match (0..after.len()).find(|&i| !used[i] && key(&after[i]) == k) {
            Some(i) => {
                used[i] = true;
                matched.pairs.push((old, &after[i]));
            }
            None => matched.only_before.push(old),
        }
    }
    matched.only_after = after.iter().enumerate().filter(|(i, _)| !used[*i]).map(|(_, t)| t).collect();
    matched
}

/// Foreign keys match by what they mean: columns, target, actions.
fn compare_foreign_keys(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    let table = &after.name;
    let m = match_by(&before.foreign_keys, &after.foreign_keys, |fk| {
        (
            fk.columns.clone(),
            fk.references.clone(),
            fk.referenced_columns.clone(),
            fk.on_delete,
            fk.on_update,
            fk.deferrable,
        )
    });
    for fk in m.only_before {
        diff.changes.push(Change::ForeignKeyDropped { table: table.clone(), foreign_key: fk.clone() });
    }
    for fk in m.only_after {
        diff.changes.push(Change::ForeignKeyAdded { table: table.clone(), foreign_key: fk.clone() });
    }
    for (a, b) in m.pairs {
        compare_names(dialect, table, ConstraintKind::ForeignKey, (&a.name, &b.name), &a.columns, diff);
    }
}

/// Unique constraints match by their columns.
fn compare_uniques(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    let table = &after.name;
    let m = match_by(&before.uniques, &after.uniques, |u| (u.columns.clone(), u.nulls_not_distinct));
    for u in m.only_before {
        diff.changes.push(Change::UniqueDropped { table: table.clone(), unique: u.clone() });
    }
    for u in m.only_after {
        diff.changes.push(Change::UniqueAdded { table: table.clone(), unique: u.clone() });
    }
    for (a, b) in m.pairs {
        compare_names(dialect, table, ConstraintKind::Unique, (&a.name, &b.name), &a.columns, diff);
    }
}

/// CHECK constraints match by their normalised condition.
fn compare_checks(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    let table = &after.name;
    let m = match_by(&before.checks, &after.checks, |c| c.normalized.clone());
    for c in m.only_before {
        diff.changes.push(Change::CheckDropped { table: table.clone(), check: c.clone() });
    }
    for c in m.only_after {
        diff.changes.push(Change::CheckAdded { table: table.clone(), check: c.clone() });
    }
    for (a, b) in m.pairs {
        let columns = columns_named_in(after.columns.iter().map(|c| c.name.as_str()), &a.normalized);
        compare_names(dialect, table, ConstraintKind::Check, (&a.name, &b.name), &columns, diff);
    }
}

/// Indexes match by definition: unique, keys, predicate, method.
fn compare_indexes(dialect: Dialect, before: &Table, after: &Table, diff: &mut Differences) {
    let table = &after.name;
    let m = match_by(&before.indexes, &after.indexes, |i| {
        let keys: Vec<(String, bool)> = i.keys.iter().map(|k| (k.normalized.clone(), k.descending)).collect();
        (i.unique, keys, i.normalized_predicate.clone(), i.method.clone())
    });
    for i in m.only_before {
        diff.changes.push(Change::IndexDropped { table: table.clone(), index: i.clone() });
    }
    for i in m.only_after {
        diff.changes.push(Change::IndexAdded { table: table.clone(), index: i.clone() });
    }
    for (a, b) in m.pairs {
        let columns: Vec<String> = a.keys.iter().map(|k| k.normalized.clone()).collect();
        let names = (&Some(a.name.clone()), &Some(b.name.clone()));
        compare_names(dialect, table, ConstraintKind::Index, names, &columns, diff);
    }
}

/// Views match by name and compare by their normalised query.
fn compare_views(from: &Schema, to: &Schema, diff: &mut Differences) {
    let kinds = Kinds::<View> {
        dropped: |view| Change::ViewDropped { view },
        added: |view| Change::ViewAdded { view },
        changed: |before, after| Change::ViewChanged { before, after },
    };
    let same = |a: &View, b: &View| a.normalized == b.normalized && a.materialized == b.materialized;
    by_name(&from.views, &to.views, same, kinds, diff);
}

/// Routines match by name (and arguments) and compare by their text.
fn compare_routines(from: &Schema, to: &Schema, diff: &mut Differences) {
    let kinds = Kinds::<Routine> {
        dropped: |routine| Change::RoutineDropped { routine },
        added: |routine| Change::RoutineAdded { routine },
        changed: |before, after| Change::RoutineChanged { before, after },
    };
    by_name(&from.routines, &to.routines, |a, b| a.definition.trim() == b.definition.trim(), kinds, diff);
}

/// Triggers match by table and name and compare by their text.
fn compare_triggers(from: &Schema, to: &Schema, diff: &mut Differences) {
    let find = |list: &[Trigger], t: &Trigger| list.iter().find(|o| o.table == t.table && o.name == t.name).cloned();
    for before in &from.triggers {
        match find(&to.triggers, before) {
            None => diff.changes.push(Change::TriggerDropped { trigger: before.clone() }),
            Some(after) if after.definition.trim() != before.definition.trim() => {
                diff.changes.push(Change::TriggerChanged { before: before.clone(), after })
            }
            Some(_) => {}
        }
    }
    for after in &to.triggers {
        if find(&from.triggers, after).is_none() {
            diff.changes.push(Change::TriggerAdded { trigger: after.clone() });
        }
    }
}

impl fmt::Display for Change {
    /// One line: `+` added, `-` dropped, `~` changed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let column = |c: &Column| {
            let mut text = c.normalized_type.clone();
            if !c.nullable {
                text.push_str(" NOT NULL");
            }
            if let Some(d) = &c.normalized_default {
                text.push_str(" DEFAULT ");
                text.push_str(d);
            }
            text
        };
        let cols = |c: &[String]| c.join(", ");
        match self {
            Change::TableAdded { table } => write!(f, "+ table {}", table.name),
            Change::TableDropped { table } => write!(f, "- table {}", table.name),
            Change::ColumnAdded { table, column: c } => write!(f, "+ column {table}.{} {}", c.name, column(c)),
            Change::ColumnDropped { table, column: c } => write!(f, "- column {table}.{} {}", c.name, column(c)),
            Change::ColumnChanged { table, before, after, aspects } => {
                write!(f, "~ column {table}.{}:", after.name)?;
                for (i, aspect) in aspects.iter().enumerate() {
                    let sep = if i == 0 { " " } else { "; " };
                    let (what, a, b) = match aspect {
                        ColumnAspect::Type => ("type", before.data_type.clone(), after.data_type.clone()),
                        ColumnAspect::Nullability => {
                            ("nullable", before.nullable.to_string(), after.nullable.to_string())
                        }
                        ColumnAspect::Default => ("default", shown(&before.default), shown(&after.default)),
                        ColumnAspect::Identity => {
                            ("identity", format!("{:?}", before.identity), format!("{:?}", after.identity))
                        }
                        ColumnAspect::Generated => (
                            "generated",
                            shown(&before.generated.as_ref().map(|g| g.expression.clone())),
                            shown(&after.generated.as_ref().map(|g| g.expression.clone())),
                        ),
                        ColumnAspect::Collation => ("collation", shown(&before.collation), shown(&after.collation)),
                        ColumnAspect::OnUpdate => ("on update", shown(&before.on_update), shown(&after.on_update)),
                        ColumnAspect::Comment => ("comment", shown(&before.comment), shown(&after.comment)),
                    };
                    write!(f, "{sep}{what} {a} -> {b}")?;
                }
                Ok(())
            }
            Change::PrimaryKeyChanged { table, before, after } => {
                let pk = |p: &Option<PrimaryKey>| {
                    p.as_ref().map_or("(none)".to_owned(), |p| format!("({})", cols(&p.columns)))
                };
                write!(f, "~ primary key of {table}: {} -> {}", pk(before), pk(after))
            }
            Change::ForeignKeyAdded { table, foreign_key } => write!(f, "+ foreign key {table} {}", fk(foreign_key)),
            Change::ForeignKeyDropped { table, foreign_key } => write!(f, "- foreign key {table} {}", fk(foreign_key)),
            Change::UniqueAdded { table, unique } => write!(f, "+ unique {table} ({})", cols(&unique.columns)),
            Change::UniqueDropped { table, unique } => write!(f, "- unique {table} ({})", cols(&unique.columns)),
            Change::CheckAdded { table, check } => write!(f, "+ check {table} ({})", check.normalized),
            Change::CheckDropped { table, check } => write!(f, "- check {table} ({})", check.normalized),
            Change::IndexAdded { table, index } => write!(f, "+ index {} on {table} {}", index.name, keys(index)),
            Change::IndexDropped { table, index } => write!(f, "- index {} on {table} {}", index.name, keys(index)),
            Change::Renamed { table, kind, before, after } => {
                write!(f, "~ {} {before} of {table} is named {after}", kind.label())
            }
            Change::TableOptionsChanged { table, before, after } => {
                write!(f, "~ table options of {table}: [{}] -> [{}]", before.join(", "), after.join(", "))
            }
            Change::ViewAdded { view } => write!(f, "+ view {}", view.name),
            Change::ViewDropped { view } => write!(f, "- view {}", view.name),
            Change::ViewChanged { after, .. } => write!(f, "~ view {}: its query differs", after.name),
            Change::EnumAdded { enum_type } => write!(f, "+ type {} ({})", enum_type.name, enum_type.labels.join(", ")),
            Change::EnumDropped { enum_type } => write!(f, "- type {}", enum_type.name),
            Change::EnumLabelsChanged { before, after } => write!(
                f,
                "~ type {}: labels ({}) -> ({})",
                after.name,
                before.labels.join(", "),
                after.labels.join(", ")
            ),
            Change::SequenceAdded { sequence } => write!(f, "+ sequence {}", sequence.name),
            Change::SequenceDropped { sequence } => write!(f, "- sequence {}", sequence.name),
            Change::SequenceChanged { after, .. } => write!(f, "~ sequence {}", after.name),
            Change::RoutineAdded { routine } => write!(f, "+ {} {}", routine.kind, routine.name),
            Change::RoutineDropped { routine } => write!(f, "- {} {}", routine.kind, routine.name),
            Change::RoutineChanged { after, .. } => write!(f, "~ {} {}: its text differs", after.kind, after.name),
            Change::TriggerAdded { trigger } => write!(f, "+ trigger {} on {}", trigger.name, trigger.table),
            Change::TriggerDropped { trigger } => write!(f, "- trigger {} on {}", trigger.name, trigger.table),
            Change::TriggerChanged { after, .. } => {
                write!(f, "~ trigger {} on {}: its text differs", after.name, after.table)
            }
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::PossibleColumnRename { table, from, to } => write!(
                f,
                "{table}.{from} was dropped and {table}.{to} added with the same definition: if it is a rename, say so"
            ),
            Notice::PossibleTableRename { from, to } => {
                write!(f, "table {from} was dropped and {to} added with the same columns: if it is a rename, say so")
            }
            Notice::ServerVersionsDiffer { first, second } => {
                write!(f, "the servers' versions differ ({first} and {second}): some definitions may print differently")
            }
            Notice::DialectsDiffer { first, second } => {
                write!(f, "comparing a {first} schema with a {second} one: most of it will differ")
            }
            Notice::SameAffinity { table, column, before, after } => write!(
                f,
                "{table}.{column}: {before} and {after} have one SQLite type affinity, so SQLite stores them alike"
            ),
        }
    }
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(none)".to_owned())
}

fn fk(fk: &ForeignKey) -> String {
    let mut text = format!("({}) -> {} ({})", fk.columns.join(", "), fk.references, fk.referenced_columns.join(", "));
    if fk.on_delete != super::Action::NoAction {
        text.push_str(" ON DELETE ");
        text.push_str(fk.on_delete.sql());
    }
    if fk.on_update != super::Action::NoAction {
        text.push_str(" ON UPDATE ");
        text.push_str(fk.on_update.sql());
    }
    text
}

fn keys(index: &Index) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .map(|k| if k.descending { format!("{} DESC", k.normalized) } else { k.normalized.clone() })
        .collect();
    let mut text = format!("({})", keys.join(", "));
    if index.unique {
        text.insert_str(0, "UNIQUE ");
    }
    if let Some(p) = &index.normalized_predicate {
        text.push_str(" WHERE ");
        text.push_str(p);
    }
    text
}
