//! Turning the differences between two schemas into SQL that runs: the
//! statements of an upgrade from `from` to `to`, in an order each engine
//! accepts, and the downgrade back (the same planner run the other way, not
//! a mechanical inversion of the text).
//!
//! Order, by phase: types and sequences first; then views that may depend on
//! what changes are dropped; foreign keys, indexes and constraints that go
//! away are dropped before the columns and tables they use (MySQL refuses
//! otherwise); tables are created in the order of their foreign keys, a
//! cycle's keys added afterwards; columns are added and changed; constraints
//! and indexes are made; foreign keys last; then views are created again,
//! and types and sequences no longer used are dropped.
//!
//! What SQLite's `ALTER TABLE` cannot do (a column's type, nullability or
//! default; a key or constraint; dropping a column an index or constraint
//! uses) becomes SQLite's documented rebuild: a new table, the rows copied,
//! the old one dropped, the new one renamed, its indexes made again. The
//! runtime keeps foreign keys off during a SQLite run and checks them
//! before COMMIT, so the rebuild of a parent table never cascades.
//!
//! Destructive statements (dropping a table or a column) are written only
//! when allowed; otherwise they are written commented out, and said so.

use std::collections::{BTreeMap, BTreeSet};

use super::canonical::{
    check_clause, column_comments_sql, column_sql, comment_on_column, create_index_sql, create_table_sql,
    foreign_key_clause, in_key_order, primary_key_clause, qualified, unique_clause,
};
use super::compare::{Change, ColumnAspect, Differences, Notice, compare};
use super::model::{Column, Name, Schema, Table};
use super::names::quote_identifier;
use super::renames::{Rename, already_applied, apply_renames};
use crate::Dialect;

/// What a migration may do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MigrationOptions {
    /// The engine the SQL is for.
    pub dialect: Dialect,
    /// Write statements that drop tables and columns (otherwise they are
    /// commented out).
    pub allow_drop: bool,
    /// Tables and columns renamed (never guessed).
    pub renames: Vec<Rename>,
}

impl MigrationOptions {
    /// Options for `dialect`, drops not allowed.
    pub fn new(dialect: Dialect) -> MigrationOptions {
        MigrationOptions { dialect, allow_drop: false, renames: Vec::new() }
    }

    /// States renames (tables first, then columns by their table's new name).
    pub fn with_renames(mut self, renames: impl IntoIterator<Item = Rename>) -> Self {
        self.renames = renames.into_iter().collect();
        self.renames.sort_by_key(|r| matches!(r, Rename::Column { .. }));
        self
    }

    /// Allows (or not) statements that drop tables and columns.
    pub fn with_allow_drop(mut self, allow: bool) -> Self {
        self.allow_drop = allow;
        self
    }
}

/// One statement of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatement {
    /// The SQL, without its `;`.
    pub sql: String,
    /// It drops data (a table or a column).
    pub destructive: bool,
    /// A note for the person reading the revision, written above it.
    pub comment: Option<String>,
}

/// The SQL of one direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationSql {
    /// The statements, in order.
    pub statements: Vec<MigrationStatement>,
    /// Something in it cannot run inside a transaction (PostgreSQL's
    /// `ALTER TYPE … ADD VALUE`): the revision needs `Transactional: false`.
    pub needs_no_transaction: bool,
    /// What the reader must know: destructive statements left out, changes
    /// that may fail on data, objects compared but not generated.
    pub warnings: Vec<String>,
}

impl MigrationSql {
    /// The statements as a revision section's text: each ends in `;`, its
    /// comment above it; destructive ones commented out unless allowed.
    pub fn text(&self, allow_drop: bool) -> String {
        let mut out = String::new();
        for statement in &self.statements {
            if let Some(comment) = &statement.comment {
                for line in comment.lines() {
                    out.push_str("-- ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            if statement.destructive && !allow_drop {
                out.push_str("-- (destructive, left out: pass --allow-drop to write it) ");
                out.push_str(&statement.sql.replace('\n', "\n-- "));
                out.push_str(";\n");
            } else {
                out.push_str(&statement.sql);
                out.push_str(";\n");
            }
        }
        out
    }

    /// True when there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

/// An upgrade from `from` to `to` and the downgrade back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migration {
    /// From `from` to `to`.
    pub upgrade: MigrationSql,
    /// From `to` back to `from`.
    pub downgrade: MigrationSql,
    /// The comparison it was made from.
    pub differences: Differences,
}

/// The migration that turns `from` into `to` and back. Fails when a stated
/// rename names a table or column the side it renames lacks.
pub fn migration(from: &Schema, to: &Schema, options: &MigrationOptions) -> Result<Migration, String> {
    // A rename an earlier revision made already (its annotation still in
    // the schema file) is no rename now, either way.
    let mut options = options.clone();
    options.renames.retain(|r| !already_applied(from, r));
    let options = &options;
    let renamed = apply_renames(from, &options.renames)?;
    let differences = compare(&renamed, to);
    // Without leave to drop, the revision keeps what it would drop: it is
    // planned toward `to` with those tables and columns kept (so nothing that
    // depends on them goes either, and the downgrade undoes exactly what
    // runs), and the drops follow, written commented out.
    let target = if options.allow_drop { to.clone() } else { keep_dropped(&renamed, to) };
    let mut upgrade = plan(&renamed, &target, &compare(&renamed, &target), options);
    if !options.allow_drop {
        let full = plan(&renamed, to, &differences, options);
        for warning in full.warnings {
            if !upgrade.warnings.contains(&warning) {
                upgrade.warnings.push(warning);
            }
        }
        upgrade.statements.extend(full.statements.into_iter().filter(|s| s.destructive));
    }
    let to = &target;
    let back_renames: Vec<Rename> = options.renames.iter().rev().map(Rename::reversed).collect();
    let unrenamed = apply_renames(to, &back_renames).map_err(|e| format!("{e} (the way back)"))?;
    let back = compare(&unrenamed, from);
    let mut downgrade = plan(&unrenamed, from, &back, &options.clone().with_allow_drop(true));
    prepend_renames(&mut upgrade, options.dialect, from, &options.renames);
    prepend_renames(&mut downgrade, options.dialect, to, &back_renames);
    Ok(Migration { upgrade, downgrade, differences })
}

/// `to` with the tables and columns of `from` that it lacks kept as they
/// are.
fn keep_dropped(from: &Schema, to: &Schema) -> Schema {
    let mut kept = to.clone();
    for (name, table) in &from.tables {
        match kept.tables.get_mut(name) {
            None => {
                kept.tables.insert(name.clone(), table.clone());
            }
            Some(wanted) => {
                for column in &table.columns {
                    if wanted.column(&column.name).is_none() {
                        wanted.columns.push(column.clone());
                    }
                }
            }
        }
    }
    kept
}

/// The `RENAME` statements, first: the rest of the migration was planned
/// on the renamed schema.
fn prepend_renames(sql: &mut MigrationSql, dialect: Dialect, schema: &Schema, renames: &[Rename]) {
    let mut statements = Vec::new();
    let mut names = schema.clone();
    for rename in renames {
        let text = match rename {
            Rename::Table { from, to } => {
                let Some(old) = names.tables.keys().find(|n| n.name == *from).cloned() else { continue };
                format!("ALTER TABLE {} RENAME TO {}", qualified(dialect, &old), quote_identifier(dialect, to))
            }
            Rename::Column { table, from, to } => {
                let Some(key) = names.tables.keys().find(|n| n.name == *table).cloned() else { continue };
                format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    qualified(dialect, &key),
                    quote_identifier(dialect, from),
                    quote_identifier(dialect, to)
                )
            }
        };
        let Ok(next) = apply_renames(&names, std::slice::from_ref(rename)) else { continue };
        if next == names {
            continue; // applied by an earlier revision already
        }
        let sequences = super::renames::renamed_sequences(&names, &next);
        names = next;
        statements.push(MigrationStatement {
            sql: text,
            destructive: false,
            comment: Some(format!("renamed: {rename}")),
        });
        for (old, new) in sequences {
            statements.push(MigrationStatement {
                sql: format!(
                    "ALTER SEQUENCE {} RENAME TO {}",
                    qualified(dialect, &old),
                    quote_identifier(dialect, &new.name)
                ),
                destructive: false,
                comment: None,
            });
        }
    }
    statements.append(&mut sql.statements);
    sql.statements = statements;
}

/// The phases a statement belongs to, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    // Views go first: an enum rebuilt under one (Types) cannot change the
    // type of a column a view reads.
    DropViews,
    Types,
    DropForeignKeys,
    DropIndexes,
    DropConstraints,
    DropColumns,
    DropTables,
    CreateTables,
    Rebuilds,
    Columns,
    Constraints,
    Indexes,
    ForeignKeys,
    CreateViews,
    DropTypes,
}

/// Statements gathered by phase, then put in order.
struct Planner<'s> {
    dialect: Dialect,
    from: &'s Schema,
    to: &'s Schema,
    statements: Vec<(Phase, MigrationStatement)>,
    sql: MigrationSql,
}

impl Planner<'_> {
    fn push(&mut self, phase: Phase, sql: String) {
        self.statements.push((phase, MigrationStatement { sql, destructive: false, comment: None }));
    }

    fn push_with(&mut self, phase: Phase, sql: String, destructive: bool, comment: Option<String>) {
        self.statements.push((phase, MigrationStatement { sql, destructive, comment }));
    }

    fn q(&self, name: &str) -> String {
        quote_identifier(self.dialect, name)
    }

    fn qn(&self, name: &Name) -> String {
        qualified(self.dialect, name)
    }

    fn alter(&self, table: &Name) -> String {
        format!("ALTER TABLE {}", self.qn(table))
    }
}

fn plan(from: &Schema, to: &Schema, differences: &Differences, options: &MigrationOptions) -> MigrationSql {
    let dialect = options.dialect;
    let mut p = Planner { dialect, from, to, statements: Vec::new(), sql: MigrationSql::default() };
    let rebuilt = if dialect == Dialect::Sqlite { sqlite_rebuilds(from, differences) } else { BTreeSet::new() };
    let views_to_recreate = views_touched(from, to, differences, &rebuilt);
    // Views on views: dropped readers first, made again readers last.
    for name in in_dependency_order(&from.views, &views_to_recreate).iter().rev() {
        if let Some(view) = from.views.get(name) {
            let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
            p.push(Phase::DropViews, format!("DROP {kind} {}", p.qn(&view.name)));
        }
    }
    for name in in_dependency_order(&to.views, &views_to_recreate) {
        if let Some(view) = to.views.get(&name) {
            let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
            p.push(
                Phase::CreateViews,
                format!("CREATE {kind} {} AS\n{}", p.qn(&view.name), view.definition.trim().trim_end_matches(';')),
            );
        }
    }
    plan_triggers_naming_rebuilt_tables(&mut p, &rebuilt);
    let new_tables: Vec<&Table> = differences
        .changes
        .iter()
        .filter_map(|c| if let Change::TableAdded { table } = c { Some(table) } else { None })
        .collect();
    plan_new_tables(&mut p, &new_tables);
    for change in &differences.changes {
        if let Some(table) = change_table(change)
            && rebuilt.contains(table)
        {
            continue; // the rebuild makes the whole table anew
        }
        plan_change(&mut p, change);
    }
    for name in &rebuilt {
        if let (Some(old), Some(new)) = (from.tables.get(name), to.tables.get(name)) {
            plan_sqlite_rebuild(&mut p, old, new);
        }
    }
    for notice in &differences.notices {
        if let Notice::PossibleColumnRename { .. } | Notice::PossibleTableRename { .. } = notice {
            p.sql.warnings.push(format!("{notice} (written as a drop and an add)"));
        }
    }
    // A stable sort keeps the order of each phase's statements.
    p.statements.sort_by_key(|(phase, _)| *phase);
    let mut sql = p.sql;
    sql.statements = p.statements.into_iter().map(|(_, s)| s).collect();
    if !options.allow_drop {
        for statement in sql.statements.iter().filter(|s| s.destructive) {
            sql.warnings
                .push(format!("left out (destructive; --allow-drop writes it): {}", first_line(&statement.sql)));
        }
    }
    sql
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or(sql)
}

/// The table a change is about, if any.
fn change_table(change: &Change) -> Option<&Name> {
    match change {
        Change::ColumnAdded { table, .. }
        | Change::ColumnDropped { table, .. }
        | Change::ColumnChanged { table, .. }
        | Change::PrimaryKeyChanged { table, .. }
        | Change::ForeignKeyAdded { table, .. }
        | Change::ForeignKeyDropped { table, .. }
        | Change::UniqueAdded { table, .. }
        | Change::UniqueDropped { table, .. }
        | Change::CheckAdded { table, .. }
        | Change::CheckDropped { table, .. }
        | Change::IndexAdded { table, .. }
        | Change::IndexDropped { table, .. }
        | Change::Renamed { table, .. }
        | Change::TableOptionsChanged { table, .. } => Some(table),
        _ => None,
    }
}

/// Views to drop before the change and create after it: those that change,
/// go or come, and (PostgreSQL, SQLite) those that read a table whose
/// columns change or which SQLite rebuilds.
fn views_touched(from: &Schema, to: &Schema, differences: &Differences, rebuilt: &BTreeSet<Name>) -> BTreeSet<Name> {
    let mut names = BTreeSet::new();
    let mut touched_tables: BTreeSet<&Name> = rebuilt.iter().collect();
    for change in &differences.changes {
        match change {
            Change::ViewAdded { view } | Change::ViewDropped { view } => {
                names.insert(view.name.clone());
            }
            Change::ViewChanged { after, .. } => {
                names.insert(after.name.clone());
            }
            Change::ColumnChanged { table, .. } | Change::ColumnDropped { table, .. } => {
                touched_tables.insert(table);
            }
            Change::TableDropped { table } => {
                touched_tables.insert(&table.name);
            }
            // A rebuilt enum changes the type of every column of it.
            Change::EnumLabelsChanged { before, after } if enum_needs_rebuild(before, after) => {
                let type_name = before.name.to_string();
                for table in from.tables.values().filter(|t| t.columns.iter().any(|c| c.data_type == type_name)) {
                    touched_tables.insert(&table.name);
                }
            }
            _ => {}
        }
    }
    for view in from.views.values() {
        let text = view.normalized.to_lowercase();
        if touched_tables.iter().any(|t| mentions(&text, &t.name.to_lowercase())) && to.views.contains_key(&view.name) {
            names.insert(view.name.clone());
        }
    }
    // A view that reads a view dropped here goes (and comes back) too.
    loop {
        let dropped: Vec<String> =
            names.iter().filter(|n| from.views.contains_key(*n)).map(|n| n.name.to_lowercase()).collect();
        let readers: Vec<Name> = from
            .views
            .values()
            .filter(|v| !names.contains(&v.name) && to.views.contains_key(&v.name))
            .filter(|v| {
                let text = v.normalized.to_lowercase();
                dropped.iter().any(|d| mentions(&text, d))
            })
            .map(|v| v.name.clone())
            .collect();
        if readers.is_empty() {
            return names;
        }
        names.extend(readers);
    }
}

/// SQLite: a trigger on another table whose body names a table rebuilt
/// here would stop the rebuild's final rename (SQLite checks every trigger
/// then, and the table it names is gone): dropped before, made again
/// after, as the wanted schema has it (or as it was, triggers being
/// compared, not generated).
fn plan_triggers_naming_rebuilt_tables(p: &mut Planner<'_>, rebuilt: &BTreeSet<Name>) {
    for trigger in &p.from.triggers {
        if rebuilt.contains(&trigger.table) {
            continue; // the rebuild makes the table's own triggers again
        }
        let text = trigger.definition.to_lowercase();
        if !rebuilt.iter().any(|t| mentions(&text, &t.name.to_lowercase())) {
            continue;
        }
        let again =
            p.to.triggers.iter().find(|t| t.name == trigger.name && t.table == trigger.table).unwrap_or(trigger);
        p.push(Phase::DropViews, format!("DROP TRIGGER {}", p.q(&trigger.name)));
        p.push(Phase::CreateViews, again.definition.trim().trim_end_matches(';').to_owned());
    }
}

/// `names` (the views of `views` among them) ordered so that a view comes
/// after the views it reads; views that read one another in a circle, which
/// no engine allows, keep their name order.
fn in_dependency_order(views: &BTreeMap<Name, super::View>, names: &BTreeSet<Name>) -> Vec<Name> {
    let mut left: Vec<&Name> = names.iter().filter(|n| views.contains_key(*n)).collect();
    let mut ordered: Vec<Name> = Vec::new();
    while !left.is_empty() {
        let ready = left.iter().position(|name| {
            let text = views[*name].normalized.to_lowercase();
            !left.iter().any(|other| other != name && mentions(&text, &other.name.to_lowercase()))
        });
        let next = left.remove(ready.unwrap_or(0));
        ordered.push(next.clone());
    }
    ordered
}

/// True when `text` names `word` as a whole word.
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && boundary(after)
    })
}

/// New tables in the order of their foreign keys; a key to a table made
/// later (a cycle) is added after all of them.
fn plan_new_tables(p: &mut Planner<'_>, tables: &[&Table]) {
    for (table, mut waiting) in in_key_order(tables) {
        if p.dialect == Dialect::Sqlite {
            // SQLite checks keys when rows are written and cannot add one
            // later: every key stays in its table.
            waiting.clear();
        } else {
            // Elsewhere every key of a new table comes after the columns and
            // constraints this migration adds (a key may reference a UNIQUE
            // made in the same migration).
            waiting = table.foreign_keys.iter().collect();
        }
        let mut now = table.clone();
        now.foreign_keys.retain(|fk| !waiting.contains(&fk));
        p.push(Phase::CreateTables, create_table_sql(p.dialect, &now, false, true));
        for comment in column_comments_sql(p.dialect, table) {
            p.push(Phase::CreateTables, comment);
        }
        for index in &table.indexes {
            p.push(Phase::Indexes, create_index_sql(p.dialect, table, index));
        }
        for fk in waiting {
            p.push(
                Phase::ForeignKeys,
                format!(
                    "{} ADD {}",
                    p.alter(&table.name),
                    named(foreign_key_clause(p.dialect, table, fk), &fk.name, p.dialect)
                ),
            );
        }
    }
}

fn plan_change(p: &mut Planner<'_>, change: &Change) {
    let d = p.dialect;
    match change {
        Change::TableAdded { .. } => {} // planned with the other new tables
        Change::TableDropped { table } => {
            // Its keys to other tables go first, so tables can be dropped in
            // any order.
            for fk in &table.foreign_keys {
                if let Some(sql) = drop_foreign_key(p, &table.name, fk) {
                    p.push(Phase::DropForeignKeys, sql);
                }
            }
            let sql = format!("DROP TABLE {}", p.qn(&table.name));
            p.push_with(Phase::DropTables, sql, true, None);
        }
        Change::ColumnAdded { table, column } => {
            let mut comment = None;
            if !column.nullable && column.normalized_default.is_none() && column.identity.is_none() {
                comment = Some(format!(
                    "{}.{} is NOT NULL without a default: this fails on a table that holds rows.\nAdd it nullable, fill it, then set NOT NULL (three steps), or give it a default.",
                    table, column.name
                ));
                p.sql
                    .warnings
                    .push(format!("{table}.{}: NOT NULL without a default fails on a table with rows", column.name));
            }
            let sql = format!("{} ADD COLUMN {}", p.alter(table), column_sql(d, column, false));
            p.push_with(Phase::Columns, sql, false, comment);
            if d == Dialect::Postgres
                && let Some(text) = &column.comment
            {
                p.push(Phase::Columns, comment_on_column(d, table, &column.name, text));
            }
        }
        Change::ColumnDropped { table, column } => {
            let sql = format!("{} DROP COLUMN {}", p.alter(table), p.q(&column.name));
            p.push_with(Phase::DropColumns, sql, true, None);
        }
        Change::ColumnChanged { table, before, after, aspects } => plan_column_change(p, table, before, after, aspects),
        Change::PrimaryKeyChanged { table, before, after } => {
            if let Some(pk) = before {
                let sql = match d {
                    Dialect::MySql => format!("{} DROP PRIMARY KEY", p.alter(table)),
                    _ => format!("{} DROP CONSTRAINT {}", p.alter(table), p.q(pk.name.as_deref().unwrap_or(""))),
                };
                p.push(Phase::DropConstraints, sql);
            }
            if let (Some(pk), Some(t)) = (after, p.to.tables.get(table)) {
                let sql = format!("{} ADD {}", p.alter(table), primary_key_clause(d, t, pk));
                p.push(Phase::Constraints, sql);
            }
        }
        Change::ForeignKeyAdded { table, foreign_key } => {
            let clause = |t: &Table| named(foreign_key_clause(d, t, foreign_key), &foreign_key.name, d);
            add_to_table(p, Phase::ForeignKeys, table, clause);
        }
        Change::ForeignKeyDropped { table, foreign_key } => {
            if let Some(sql) = drop_foreign_key(p, table, foreign_key) {
                p.push(Phase::DropForeignKeys, sql);
            }
        }
        Change::UniqueAdded { table, unique } => {
            add_to_table(p, Phase::Constraints, table, |t| named(unique_clause(d, t, unique), &unique.name, d));
        }
        Change::UniqueDropped { table, unique } => {
            let name = p.q(unique.name.as_deref().unwrap_or(""));
            let sql = match d {
                Dialect::MySql => format!("{} DROP INDEX {name}", p.alter(table)),
                _ => format!("{} DROP CONSTRAINT {name}", p.alter(table)),
            };
            p.push(Phase::DropConstraints, sql);
        }
        Change::CheckAdded { table, check } => {
            add_to_table(p, Phase::Constraints, table, |t| named(check_clause(d, t, check), &check.name, d));
        }
        Change::CheckDropped { table, check } => {
            let name = p.q(check.name.as_deref().unwrap_or(""));
            let sql = match d {
                Dialect::MySql if is_mariadb(p.from) => format!("{} DROP CONSTRAINT {name}", p.alter(table)),
                Dialect::MySql => format!("{} DROP CHECK {name}", p.alter(table)),
                _ => format!("{} DROP CONSTRAINT {name}", p.alter(table)),
            };
            p.push(Phase::DropConstraints, sql);
        }
        Change::IndexAdded { table, index } => {
            if let Some(t) = p.to.tables.get(table) {
                p.push(Phase::Indexes, create_index_sql(d, t, index));
            }
        }
        Change::IndexDropped { table, index } => {
            let sql = match d {
                Dialect::MySql => format!("DROP INDEX {} ON {}", p.q(&index.name), p.qn(table)),
                Dialect::Postgres => {
                    format!("DROP INDEX {}", p.qn(&Name::new(table.schema.clone(), index.name.clone())))
                }
                Dialect::Sqlite => format!("DROP INDEX {}", p.q(&index.name)),
            };
            p.push(Phase::DropIndexes, sql);
        }
        Change::Renamed { table, kind, before, after } => {
            let sql = match (d, kind) {
                (Dialect::Postgres, super::ConstraintKind::Index) => format!(
                    "ALTER INDEX {} RENAME TO {}",
                    p.qn(&Name::new(table.schema.clone(), before.clone())),
                    p.q(after)
                ),
                (Dialect::MySql, super::ConstraintKind::Index | super::ConstraintKind::Unique) => {
                    format!("{} RENAME INDEX {} TO {}", p.alter(table), p.q(before), p.q(after))
                }
                (Dialect::Postgres, _) => {
                    format!("{} RENAME CONSTRAINT {} TO {}", p.alter(table), p.q(before), p.q(after))
                }
                _ => {
                    p.sql.warnings.push(format!("{change}: not generated (this engine cannot rename it in place)"));
                    return;
                }
            };
            p.push(Phase::Constraints, sql);
        }
        Change::TableOptionsChanged { .. } => {
            p.sql.warnings.push(format!("{change}: not generated; change the table's options by hand"));
        }
        Change::ViewAdded { .. } | Change::ViewDropped { .. } | Change::ViewChanged { .. } => {} // with the views
        Change::EnumAdded { enum_type } => {
            let labels: Vec<String> = enum_type.labels.iter().map(|l| literal(l)).collect();
            p.push(Phase::Types, format!("CREATE TYPE {} AS ENUM ({})", p.qn(&enum_type.name), labels.join(", ")));
        }
        Change::EnumDropped { enum_type } => {
            p.push(Phase::DropTypes, format!("DROP TYPE {}", p.qn(&enum_type.name)));
        }
        Change::EnumLabelsChanged { before, after } => plan_enum_labels(p, before, after),
        Change::SequenceAdded { sequence } => {
            let sql = format!(
                "CREATE SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {}{}",
                p.qn(&sequence.name),
                sequence.data_type,
                sequence.increment,
                sequence.min_value,
                sequence.max_value,
                if sequence.cycle { " CYCLE" } else { "" }
            );
            p.push(Phase::Types, sql);
            if let Some(owner) = &sequence.owned_by {
                p.push(Phase::Constraints, format!("ALTER SEQUENCE {} OWNED BY {owner}", p.qn(&sequence.name)));
            }
        }
        Change::SequenceDropped { sequence } => {
            p.push(Phase::DropTypes, format!("DROP SEQUENCE IF EXISTS {}", p.qn(&sequence.name)));
        }
        Change::SequenceChanged { after, .. } => {
            let sql = format!(
                "ALTER SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {}{}",
                p.qn(&after.name),
                after.data_type,
                after.increment,
                after.min_value,
                after.max_value,
                if after.cycle { " CYCLE" } else { " NO CYCLE" }
            );
            p.push(Phase::Columns, sql);
        }
        Change::RoutineAdded { .. }
        | Change::RoutineDropped { .. }
        | Change::RoutineChanged { .. }
        | Change::TriggerAdded { .. }
        | Change::TriggerDropped { .. }
        | Change::TriggerChanged { .. } => {
            p.sql
                .warnings
                .push(format!("{change}: functions and triggers are compared, not generated; write it by hand"));
        }
    }
}

fn is_mariadb(schema: &Schema) -> bool {
    schema.server_version.to_ascii_lowercase().contains("mariadb")
}

/// `ALTER TABLE t ADD <clause>`, the clause made from the table as wanted.
fn add_to_table(p: &mut Planner<'_>, phase: Phase, table: &Name, clause: impl Fn(&Table) -> String) {
    if let Some(t) = p.to.tables.get(table) {
        let sql = format!("{} ADD {}", p.alter(table), clause(t));
        p.push(phase, sql);
    }
}

/// A constraint clause named as in the model even where the engine made
/// the name up, so that the database the revision runs on gets the name
/// its downgrade will drop (MySQL numbers unnamed keys in its own order).
fn named(clause: String, name: &Option<String>, dialect: Dialect) -> String {
    match name {
        Some(name) if !clause.starts_with("CONSTRAINT ") && dialect != Dialect::Sqlite => {
            format!("CONSTRAINT {} {clause}", quote_identifier(dialect, name))
        }
        _ => clause,
    }
}

/// `DROP CONSTRAINT` (MySQL `DROP FOREIGN KEY`) of a key with a name; SQLite
/// keys go with their table's rebuild.
fn drop_foreign_key(p: &Planner<'_>, table: &Name, fk: &super::ForeignKey) -> Option<String> {
    let name = fk.name.as_deref()?;
    Some(match p.dialect {
        Dialect::MySql => format!("{} DROP FOREIGN KEY {}", p.alter(table), p.q(name)),
        Dialect::Postgres => format!("{} DROP CONSTRAINT {}", p.alter(table), p.q(name)),
        Dialect::Sqlite => return None,
    })
}

/// A column whose type, nullability, default or identity changes.
fn plan_column_change(p: &mut Planner<'_>, table: &Name, before: &Column, after: &Column, aspects: &[ColumnAspect]) {
    let d = p.dialect;
    let column = p.q(&after.name);
    // A column that becomes NOT NULL with a default: its NULLs take the
    // default first (as SQLite's rebuild copies them), so the change runs on
    // a table with rows.
    if aspects.contains(&ColumnAspect::Nullability)
        && !after.nullable
        && let Some(default) = &after.normalized_default
    {
        let sql = format!("UPDATE {} SET {column} = {default} WHERE {column} IS NULL", p.qn(table));
        p.push(Phase::Columns, sql);
    }
    if d == Dialect::MySql {
        // MySQL restates the whole column.
        let sql = format!("{} MODIFY COLUMN {}", p.alter(table), column_sql(d, after, false));
        let comment = aspects.contains(&ColumnAspect::Type).then(|| {
            format!(
                "{}: {} -> {}; MySQL rewrites the table, and a narrower type may fail or cut values",
                after.name, before.data_type, after.data_type
            )
        });
        p.push_with(Phase::Columns, sql, false, comment);
        return;
    }
    for aspect in aspects {
        match aspect {
            ColumnAspect::Type => {
                let comment = Some(format!(
                    "{}: {} -> {}; the USING cast may fail on existing values: edit it if it does",
                    after.name, before.data_type, after.data_type
                ));
                let sql = format!(
                    "{} ALTER COLUMN {column} TYPE {ty} USING {column}::{ty}",
                    p.alter(table),
                    ty = after.normalized_type
                );
                p.push_with(Phase::Columns, sql, false, comment);
            }
            ColumnAspect::Nullability if after.nullable => {
                p.push(Phase::Columns, format!("{} ALTER COLUMN {column} DROP NOT NULL", p.alter(table)));
            }
            ColumnAspect::Nullability => {
                // With a default, the UPDATE above filled the NULLs already.
                let comment = after.normalized_default.is_none().then(|| format!(
                    "{}: SET NOT NULL fails if a row holds NULL; fill them first (UPDATE … SET {} = … WHERE {} IS NULL)",
                    after.name, after.name, after.name
                ));
                let sql = format!("{} ALTER COLUMN {column} SET NOT NULL", p.alter(table));
                p.push_with(Phase::Columns, sql, false, comment);
            }
            ColumnAspect::Default => {
                let sql = match &after.normalized_default {
                    Some(default) => format!("{} ALTER COLUMN {column} SET DEFAULT {default}", p.alter(table)),
                    None => format!("{} ALTER COLUMN {column} DROP DEFAULT", p.alter(table)),
                };
                p.push(Phase::Columns, sql);
            }
            ColumnAspect::Identity => {
                let kind = |identity: super::Identity| {
                    if identity == super::Identity::Always { "ALWAYS" } else { "BY DEFAULT" }
                };
                match (before.identity, after.identity) {
                    // One identity of another kind: its sequence, and so its
                    // next value, stays.
                    (Some(_), Some(identity)) => p.push(
                        Phase::Columns,
                        format!("{} ALTER COLUMN {column} SET GENERATED {}", p.alter(table), kind(identity)),
                    ),
                    (Some(_), None) => p.push(
                        Phase::Columns,
                        format!("{} ALTER COLUMN {column} DROP IDENTITY IF EXISTS", p.alter(table)),
                    ),
                    (None, Some(identity)) => {
                        p.push(
                            Phase::Columns,
                            format!(
                                "{} ALTER COLUMN {column} ADD GENERATED {} AS IDENTITY",
                                p.alter(table),
                                kind(identity)
                            ),
                        );
                        // A new identity starts at 1: past the rows there are
                        // (RESTART takes a constant, hence the block).
                        let restart = format!("ALTER TABLE {} ALTER COLUMN {column} RESTART WITH %s", p.qn(table));
                        p.push(
                            Phase::Columns,
                            format!(
                                "DO $retort$ BEGIN EXECUTE format({}, (SELECT COALESCE(MAX({column}), 0) + 1 FROM {})); END $retort$",
                                literal(&restart),
                                p.qn(table)
                            ),
                        );
                    }
                    (None, None) => {}
                }
            }
            ColumnAspect::Collation => {
                let collate = after.collation.as_deref().map(|c| format!(" COLLATE {c}")).unwrap_or_default();
                let sql = format!("{} ALTER COLUMN {column} TYPE {}{collate}", p.alter(table), after.normalized_type);
                p.push(Phase::Columns, sql);
            }
            ColumnAspect::Comment => {
                let sql = match &after.comment {
                    Some(text) => comment_on_column(d, table, &after.name, text),
                    None => format!("COMMENT ON COLUMN {}.{column} IS NULL", p.qn(table)),
                };
                p.push(Phase::Columns, sql);
            }
            ColumnAspect::Generated | ColumnAspect::OnUpdate => {
                p.sql
                    .warnings
                    .push(format!("{table}.{}: its {aspect:?} changes; not generated, write it by hand", after.name));
            }
        }
    }
}

/// PostgreSQL enum labels: added ones with `ALTER TYPE … ADD VALUE` (outside
/// a transaction); removed or reordered ones need the type rebuilt.
/// True when the labels' change needs the type rebuilt: a label removed or
/// moved (`ADD VALUE` only adds).
fn enum_needs_rebuild(before: &super::EnumType, after: &super::EnumType) -> bool {
    let kept: Vec<&String> = after.labels.iter().filter(|l| before.labels.contains(l)).collect();
    !kept.iter().map(|l| l.as_str()).eq(before.labels.iter().map(String::as_str))
}

fn plan_enum_labels(p: &mut Planner<'_>, before: &super::EnumType, after: &super::EnumType) {
    if enum_needs_rebuild(before, after) {
        plan_enum_rebuild(p, before, after);
        return;
    }
    for (i, label) in after.labels.iter().enumerate() {
        if before.labels.contains(label) {
            continue;
        }
        let place = match after.labels[i + 1..].iter().find(|l| before.labels.contains(l)) {
            Some(next) => format!(" BEFORE {}", literal(next)),
            None => String::new(),
        };
        p.push(Phase::Types, format!("ALTER TYPE {} ADD VALUE {}{place}", p.qn(&after.name), literal(label)));
        p.sql.needs_no_transaction = true;
    }
}

/// Labels removed or reordered: PostgreSQL cannot change them in place, so
/// the type is renamed, made anew, each column that uses it cast through
/// text (its default set again), and the old type dropped. A row holding a
/// removed label fails the cast: the comment says so.
fn plan_enum_rebuild(p: &mut Planner<'_>, before: &super::EnumType, after: &super::EnumType) {
    let old = Name::new(after.name.schema.clone(), format!("{}__retort_old", after.name.name));
    let type_name = p.qn(&after.name);
    let labels: Vec<String> = after.labels.iter().map(|l| literal(l)).collect();
    let removed: Vec<&str> = before.labels.iter().filter(|l| !after.labels.contains(l)).map(String::as_str).collect();
    let comment = format!(
        "type {}: labels ({}) -> ({}); PostgreSQL rebuilds the type{}",
        after.name,
        before.labels.join(", "),
        after.labels.join(", "),
        if removed.is_empty() {
            String::new()
        } else {
            format!(": rows holding {} fail the cast, update them first", removed.join(", "))
        }
    );
    p.push_with(Phase::Types, format!("ALTER TYPE {type_name} RENAME TO {}", p.q(&old.name)), false, Some(comment));
    p.push(Phase::Types, format!("CREATE TYPE {type_name} AS ENUM ({})", labels.join(", ")));
    let users: Vec<(Name, Column)> =
        p.to.tables
            .values()
            .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
            .filter(|(t, c)| {
                // Columns that exist already and use the type; new ones are made with it.
                let was = p.from.tables.get(&t.name).and_then(|old| old.column(&c.name));
                c.data_type == after.name.to_string() && was.is_some_and(|w| w.data_type == c.data_type)
            })
            .map(|(t, c)| (t.name.clone(), c.clone()))
            .collect();
    for (table, column) in users {
        let name = p.q(&column.name);
        if column.normalized_default.is_some() {
            p.push(Phase::Types, format!("{} ALTER COLUMN {name} DROP DEFAULT", p.alter(&table)));
        }
        p.push(
            Phase::Types,
            format!("{} ALTER COLUMN {name} TYPE {type_name} USING {name}::text::{type_name}", p.alter(&table)),
        );
        if let Some(default) = &column.normalized_default {
            p.push(Phase::Types, format!("{} ALTER COLUMN {name} SET DEFAULT {default}", p.alter(&table)));
        }
    }
    p.push(Phase::Types, format!("DROP TYPE {}", p.qn(&old)));
}

/// `'text'` with `'` doubled.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The SQLite tables a change needs rebuilt: what `ALTER TABLE` cannot do.
fn sqlite_rebuilds(from: &Schema, differences: &Differences) -> BTreeSet<Name> {
    let mut tables = BTreeSet::new();
    for change in &differences.changes {
        let rebuild = match change {
            Change::ColumnChanged { .. }
            | Change::PrimaryKeyChanged { .. }
            | Change::ForeignKeyAdded { .. }
            | Change::ForeignKeyDropped { .. }
            | Change::UniqueAdded { .. }
            | Change::UniqueDropped { .. }
            | Change::CheckAdded { .. }
            | Change::CheckDropped { .. }
            | Change::TableOptionsChanged { .. } => true,
            Change::ColumnAdded { column, .. } => {
                // ADD COLUMN takes no NOT NULL without a default, and only a
                // constant default.
                (!column.nullable && column.normalized_default.is_none())
                    || column.normalized_default.as_deref().is_some_and(|d| {
                        d.contains('(') || matches!(d, "current_timestamp" | "current_date" | "current_time")
                    })
                    || column.generated.as_ref().is_some_and(|g| g.stored)
            }
            Change::ColumnDropped { table, column } => {
                from.tables.get(table).is_some_and(|t| column_is_used(t, &column.name))
            }
            _ => false,
        };
        if rebuild && let Some(table) = change_table(change) {
            tables.insert(table.clone());
        }
    }
    tables
}

/// True when an index, key or constraint of `table` uses `column` (SQLite
/// then refuses `DROP COLUMN`).
fn column_is_used(table: &Table, column: &str) -> bool {
    let named = |names: &[String]| names.iter().any(|n| n == column);
    table.primary_key.as_ref().is_some_and(|pk| named(&pk.columns))
        || table.uniques.iter().any(|u| named(&u.columns))
        || table.foreign_keys.iter().any(|fk| named(&fk.columns))
        || table.indexes.iter().any(|i| i.keys.iter().any(|k| mentions(&k.normalized, &column.to_lowercase())))
        || table.checks.iter().any(|c| mentions(&c.normalized, &column.to_lowercase()))
}

/// SQLite's procedure for a change `ALTER TABLE` cannot make
/// (lang_altertable.html, "making other kinds of table schema changes").
fn plan_sqlite_rebuild(p: &mut Planner<'_>, old: &Table, new: &Table) {
    let d = p.dialect;
    let first = p.statements.len();
    let temporary = Name::unqualified(format!("_retort_new_{}", new.name.name));
    let mut staged = new.clone();
    staged.name = temporary.clone();
    p.push_with(
        Phase::Rebuilds,
        create_table_sql(d, &staged, false, true),
        false,
        Some(format!("SQLite cannot change {} in place: a new table, the rows copied, the old one replaced", new.name)),
    );
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    for column in new.columns.iter().filter(|c| c.generated.is_none()) {
        // A generated column computes itself; SQLite refuses a value for it.
        let Some(was) = old.column(&column.name).filter(|w| w.generated.is_none()) else { continue };
        targets.push(p.q(&column.name));
        let source = p.q(&was.name);
        sources.push(match (&column.normalized_default, was.nullable && !column.nullable) {
            (Some(default), true) => format!("COALESCE({source}, {default})"),
            _ => source,
        });
    }
    if !targets.is_empty() {
        p.push(
            Phase::Rebuilds,
            format!(
                "INSERT INTO {} ({}) SELECT {} FROM {}",
                p.qn(&temporary),
                targets.join(", "),
                sources.join(", "),
                p.qn(&old.name)
            ),
        );
    }
    p.push(Phase::Rebuilds, format!("DROP TABLE {}", p.qn(&old.name)));
    p.push(Phase::Rebuilds, format!("ALTER TABLE {} RENAME TO {}", p.qn(&temporary), p.qn(&new.name)));
    for index in &new.indexes {
        p.push(Phase::Rebuilds, create_index_sql(d, new, index));
    }
    for trigger in p.to.triggers.iter().filter(|t| t.table == new.name) {
        let sql = trigger.definition.trim().trim_end_matches(';').to_owned();
        p.push(Phase::Rebuilds, sql);
    }
    let dropped: Vec<&str> =
        old.columns.iter().filter(|c| new.column(&c.name).is_none()).map(|c| c.name.as_str()).collect();
    if !dropped.is_empty() {
        // The rebuild loses those columns' values: it is destructive whole.
        for (_, statement) in &mut p.statements[first..] {
            statement.destructive = true;
        }
        p.sql.warnings.push(format!("{}: the rebuild leaves out {} and their values", new.name, dropped.join(", ")));
    }
}
