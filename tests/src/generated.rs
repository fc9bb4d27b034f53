//! Generated schema models for the tests: every column type family,
//! defaults, identity, foreign keys with actions, uniques, CHECKs, plain,
//! descending, partial and expression indexes, views and (PostgreSQL)
//! enums, written so that each engine prints them back as written.

use retort_core::Dialect;
use retort_core::schema::{
    Action, Check, Column, EnumType, ForeignKey, Identity, Index, IndexKey, Name, PrimaryKey, Schema, Table, Unique,
    View,
};

use crate::Backend;

/// A small deterministic generator (xorshift), so a failure names its seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// A column type family as each engine prints it: (type, a default for it).
pub fn types(dialect: Dialect) -> Vec<(&'static str, Option<&'static str>, Family)> {
    use Family::*;
    match dialect {
        Dialect::Postgres => vec![
            ("integer", Some("5"), Int),
            ("bigint", Some("7"), Int),
            ("smallint", None, Int),
            ("text", Some("'x'"), Text),
            ("character varying(40)", Some("'it''s'"), Text),
            ("numeric(10,2)", Some("1.5"), Other),
            ("boolean", Some("true"), Other),
            ("timestamp with time zone", Some("CURRENT_TIMESTAMP"), Other),
            ("date", None, Other),
            ("double precision", None, Other),
            ("jsonb", None, Other),
            ("uuid", None, Other),
            ("bytea", None, Other),
        ],
        Dialect::MySql => vec![
            ("int", Some("5"), Int),
            ("bigint", Some("7"), Int),
            ("smallint", None, Int),
            ("varchar(40)", Some("'x'"), Text),
            ("text", None, Other),
            ("decimal(10,2)", Some("1.50"), Other),
            ("tinyint(1)", Some("1"), Other),
            ("datetime", None, Other),
            ("date", None, Other),
            ("double", None, Other),
        ],
        Dialect::Sqlite => vec![
            ("INTEGER", Some("5"), Int),
            ("BIGINT", None, Int),
            ("TEXT", Some("'x'"), Text),
            ("VARCHAR(40)", Some("'it''s'"), Text),
            ("NUMERIC(10,2)", None, Other),
            ("REAL", Some("1.5"), Other),
            ("BLOB", None, Other),
            ("BOOLEAN", Some("1"), Other),
            ("TIMESTAMP", Some("CURRENT_TIMESTAMP"), Other),
        ],
    }
}

/// What a type is, for what may be done with it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    /// An integer type.
    Int,
    /// A string type.
    Text,
    /// Anything else.
    Other,
}

/// The key column's type.
pub fn id_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "integer",
        Dialect::MySql => "int",
        Dialect::Sqlite => "INTEGER",
    }
}

/// A table name as the engine qualifies it.
pub fn schema_name(dialect: Dialect, name: &str) -> Name {
    if dialect == Dialect::Postgres { Name::new("public", name) } else { Name::unqualified(name) }
}

/// A random schema every engine of `dialect` accepts as written.
pub fn generate(dialect: Dialect, rng: &mut Rng) -> Schema {
    let mut schema = Schema { dialect: Some(dialect), ..Schema::default() };
    let mut palette = types(dialect);
    if dialect == Dialect::Postgres && rng.chance(60) {
        let name = schema_name(dialect, "mood");
        schema.enums.insert(name.clone(), EnumType { name, labels: vec!["sad".into(), "ok".into(), "it's".into()] });
        palette.push(("public.mood", Some("'ok'::public.mood"), Family::Other));
    }
    let tables = 1 + rng.below(4);
    for t in 0..tables {
        let name = schema_name(dialect, &format!("t{t}"));
        let identity = match (dialect, rng.below(3)) {
            (Dialect::Postgres, 0) => Some(Identity::ByDefault),
            (Dialect::Postgres, 1) => Some(Identity::Always),
            (Dialect::MySql | Dialect::Sqlite, 0) => Some(Identity::AutoIncrement),
            _ => None,
        };
        let mut columns = vec![Column {
            name: "id".into(),
            data_type: id_type(dialect).into(),
            // SQLite keeps a key column nullable unless it says NOT NULL.
            nullable: dialect == Dialect::Sqlite,
            identity,
            ..Column::default()
        }];
        let mut table = Table { name: name.clone(), ..Table::default() };
        for c in 0..1 + rng.below(6) {
            let (ty, default, family) = palette[rng.below(palette.len())];
            let nullable = rng.chance(60);
            let default = default.filter(|_| rng.chance(50)).map(str::to_owned);
            let column = format!("c{c}");
            columns.push(Column { name: column.clone(), data_type: ty.into(), nullable, default, ..Column::default() });
            if family == Family::Int && rng.chance(30) {
                let name = rng.chance(50).then(|| format!("ck_t{t}_c{c}"));
                table.checks.push(Check { name, expression: format!("{column} >= 0"), ..Check::default() });
            }
            let indexable = family != Family::Other || ty.starts_with("numeric") || ty == "date";
            if indexable && rng.chance(25) {
                table.uniques.push(Unique {
                    name: Some(format!("uq_t{t}_c{c}")),
                    columns: vec![column.clone()],
                    nulls_not_distinct: false,
                });
            } else if indexable && rng.chance(40) {
                // PostgreSQL casts a varchar inside an expression; text it does not.
                let expression_key = ty.eq_ignore_ascii_case("text") && dialect != Dialect::MySql && rng.chance(50);
                let key = if expression_key {
                    IndexKey { expression: format!("lower({column})"), is_expression: true, ..IndexKey::default() }
                } else {
                    IndexKey { expression: column.clone(), descending: rng.chance(30), ..IndexKey::default() }
                };
                let predicate = (dialect != Dialect::MySql && rng.chance(30)).then(|| format!("{column} IS NOT NULL"));
                table.indexes.push(Index {
                    name: format!("ix_t{t}_c{c}"),
                    // MySQL's unique index is its unique constraint.
                    unique: dialect != Dialect::MySql && rng.chance(20),
                    keys: vec![key],
                    predicate,
                    ..Index::default()
                });
            }
        }
        if t > 0 && rng.chance(70) {
            let action = [Action::NoAction, Action::Cascade, Action::SetNull][rng.below(3)];
            columns.push(Column {
                name: "parent_id".into(),
                data_type: id_type(dialect).into(),
                nullable: true,
                ..Column::default()
            });
            table.foreign_keys.push(ForeignKey {
                name: Some(format!("fk_t{t}_parent")),
                columns: vec!["parent_id".into()],
                references: schema_name(dialect, &format!("t{}", rng.below(t))),
                referenced_columns: vec!["id".into()],
                on_delete: action,
                on_update: if rng.chance(30) { Action::Cascade } else { Action::NoAction },
                ..ForeignKey::default()
            });
        }
        table.columns = columns;
        table.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
        schema.tables.insert(name, table);
    }
    if rng.chance(50) {
        let name = schema_name(dialect, "v0");
        let query = if dialect == Dialect::Postgres { "SELECT t0.id FROM public.t0" } else { "SELECT id FROM t0" };
        schema.views.insert(name.clone(), View { name, definition: query.into(), ..View::default() });
    }
    schema.normalize();
    schema
}

/// The dialect of a backend.
pub fn dialect_of(backend: Backend) -> Dialect {
    match backend {
        Backend::Postgres => Dialect::Postgres,
        Backend::MySql => Dialect::MySql,
        Backend::Sqlite => Dialect::Sqlite,
    }
}

/// Types a column of `family` may change to and back on `dialect` with a
/// cast every engine makes (on an empty table at least).
fn sibling_types(dialect: Dialect, family: Family) -> &'static [&'static str] {
    match (dialect, family) {
        (Dialect::Postgres, Family::Int) => &["integer", "bigint"],
        (Dialect::Postgres, Family::Text) => &["text", "character varying(40)", "character varying(80)"],
        (Dialect::MySql, Family::Int) => &["int", "bigint"],
        (Dialect::MySql, Family::Text) => &["varchar(40)", "varchar(80)"],
        (Dialect::Sqlite, Family::Int) => &["INTEGER", "BIGINT"],
        (Dialect::Sqlite, Family::Text) => &["TEXT", "VARCHAR(40)"],
        _ => &[],
    }
}

fn family_of(dialect: Dialect, data_type: &str) -> Option<Family> {
    types(dialect)
        .into_iter()
        .find(|(ty, _, _)| ty.eq_ignore_ascii_case(data_type))
        .map(|(_, _, family)| family)
        .or_else(|| {
            [Family::Int, Family::Text]
                .into_iter()
                .find(|family| sibling_types(dialect, *family).iter().any(|t| t.eq_ignore_ascii_case(data_type)))
        })
}

/// True when something besides the column itself uses it (a key, an
/// index, a constraint, a view): changing it then needs more care than
/// these tests take.
fn is_used(schema: &Schema, table: &Table, column: &str) -> bool {
    column == "id"
        || column == "parent_id"
        || table.uniques.iter().any(|u| u.columns.iter().any(|c| c == column))
        || table.indexes.iter().any(|i| i.keys.iter().any(|k| k.expression.contains(column)))
        || table.checks.iter().any(|c| c.expression.contains(column))
        || schema.views.values().any(|v| v.definition.contains(column))
}

/// `schema` with one to four random changes of the kinds a team makes:
/// columns added, dropped, retyped within their family, made (not) null,
/// given another default; indexes, uniques and CHECKs added and dropped;
/// a table added or dropped; (PostgreSQL) an enum label added.
pub fn mutate(dialect: Dialect, schema: &Schema, rng: &mut Rng) -> Schema {
    let mut next = schema.clone();
    for _ in 0..1 + rng.below(4) {
        let names: Vec<Name> = next.tables.keys().cloned().collect();
        let name = names[rng.below(names.len())].clone();
        let snapshot = next.clone();
        let table = next.tables.get_mut(&name).expect("listed");
        let free: Vec<String> =
            table.columns.iter().filter(|c| !is_used(&snapshot, table, &c.name)).map(|c| c.name.clone()).collect();
        match rng.below(10) {
            0 => {
                let (ty, default, _) = types(dialect)[rng.below(types(dialect).len())];
                let column = format!("added{}", rng.below(1000));
                if table.column(&column).is_none() {
                    table.columns.push(Column {
                        name: column,
                        data_type: ty.into(),
                        nullable: true,
                        default: default.filter(|_| rng.chance(50)).map(str::to_owned),
                        ..Column::default()
                    });
                }
            }
            1 if !free.is_empty() => {
                let column = &free[rng.below(free.len())];
                table.columns.retain(|c| c.name != *column);
            }
            2 if !free.is_empty() => {
                let column = &free[rng.below(free.len())];
                let c = table.columns.iter_mut().find(|c| c.name == *column).expect("free");
                if let Some(family) = family_of(dialect, &c.data_type) {
                    let siblings = sibling_types(dialect, family);
                    if !siblings.is_empty() {
                        c.data_type = siblings[rng.below(siblings.len())].into();
                    }
                }
            }
            3 if !free.is_empty() => {
                let column = &free[rng.below(free.len())];
                let c = table.columns.iter_mut().find(|c| c.name == *column).expect("free");
                c.nullable = !c.nullable;
            }
            4 if !free.is_empty() => {
                let column = &free[rng.below(free.len())];
                let c = table.columns.iter_mut().find(|c| c.name == *column).expect("free");
                let default = types(dialect)
                    .into_iter()
                    .find(|(ty, _, _)| ty.eq_ignore_ascii_case(&c.data_type))
                    .and_then(|t| t.1);
                c.default = if c.default.is_some() { None } else { default.map(str::to_owned) };
            }
            5 if !free.is_empty() => {
                let column = free[rng.below(free.len())].clone();
                let family = table.column(&column).and_then(|c| family_of(dialect, &c.data_type));
                if family.is_some_and(|f| f != Family::Other)
                    && !(dialect == Dialect::MySql && family == Some(Family::Other))
                {
                    let index = format!("ix_{}_{column}_m", name.name);
                    if !table.indexes.iter().any(|i| i.name == index) {
                        table.indexes.push(Index {
                            name: index,
                            keys: vec![IndexKey { expression: column, ..IndexKey::default() }],
                            ..Index::default()
                        });
                    }
                }
            }
            6 if !table.indexes.is_empty() => {
                let at = rng.below(table.indexes.len());
                table.indexes.remove(at);
            }
            7 if !table.uniques.is_empty() => {
                let at = rng.below(table.uniques.len());
                table.uniques.remove(at);
            }
            8 => {
                let int_column = table
                    .columns
                    .iter()
                    .find(|c| {
                        c.name != "id" && c.name != "parent_id" && family_of(dialect, &c.data_type) == Some(Family::Int)
                    })
                    .map(|c| c.name.clone());
                match (table.checks.is_empty(), int_column) {
                    (false, _) => {
                        table.checks.pop();
                    }
                    (true, Some(column)) => table.checks.push(Check {
                        name: Some(format!("ck_{}_m", name.name)),
                        expression: format!("{column} >= 0"),
                        ..Check::default()
                    }),
                    _ => {}
                }
            }
            _ => {
                let referenced =
                    snapshot.tables.values().any(|t| t.foreign_keys.iter().any(|fk| fk.references == name));
                let in_view = snapshot.views.values().any(|v| v.definition.contains(&name.name));
                if rng.chance(50) && !referenced && !in_view && snapshot.tables.len() > 1 {
                    next.tables.remove(&name);
                } else {
                    let new_name = schema_name(dialect, &format!("n{}", rng.below(1000)));
                    if let std::collections::btree_map::Entry::Vacant(slot) = next.tables.entry(new_name.clone()) {
                        let mut added = Table { name: new_name.clone(), ..Table::default() };
                        added.columns.push(Column {
                            name: "id".into(),
                            data_type: id_type(dialect).into(),
                            nullable: dialect == Dialect::Sqlite,
                            ..Column::default()
                        });
                        added.columns.push(Column {
                            name: "parent_id".into(),
                            data_type: id_type(dialect).into(),
                            nullable: true,
                            ..Column::default()
                        });
                        added.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
                        added.foreign_keys.push(ForeignKey {
                            name: Some(format!("fk_{}_parent", new_name.name)),
                            columns: vec!["parent_id".into()],
                            references: name.clone(),
                            referenced_columns: vec!["id".into()],
                            on_delete: Action::Cascade,
                            ..ForeignKey::default()
                        });
                        slot.insert(added);
                    }
                }
            }
        }
    }
    if dialect == Dialect::Postgres && rng.chance(20) {
        for e in next.enums.values_mut() {
            if !e.labels.iter().any(|l| l == "new") {
                e.labels.push("new".into());
            }
        }
    }
    next.normalize();
    next
}
