//! Generated schemas through real engines: a schema model is written as
//! canonical DDL, run on a fresh database and read back, and must come back
//! as the same model; the DDL read back, run on another fresh database,
//! reads back with the same fingerprint. Every column type family,
//! defaults, identity, foreign keys with actions, uniques, CHECKs, plain,
//! descending, partial and expression indexes, views and (PostgreSQL) enums.
//!
//! `RETORT_SCHEMA_CASES` sets how many schemas per backend (default 12).

use retort::InspectOptions;
use retort_core::Dialect;
use retort_core::schema::{
    Action, Check, Column, EnumType, ForeignKey, Identity, Index, IndexKey, Name, PrimaryKey, Schema, Table, Unique,
    View, compare,
};
use retort_tests::{Backend, TestDb, backends};

/// A small deterministic generator (xorshift), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A column type family as each engine prints it: (type, a default for it).
fn types(dialect: Dialect) -> Vec<(&'static str, Option<&'static str>, Family)> {
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

#[derive(Clone, Copy, PartialEq)]
enum Family {
    Int,
    Text,
    Other,
}

fn id_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "integer",
        Dialect::MySql => "int",
        Dialect::Sqlite => "INTEGER",
    }
}

fn schema_name(dialect: Dialect, name: &str) -> Name {
    if dialect == Dialect::Postgres { Name::new("public", name) } else { Name::unqualified(name) }
}

/// A random schema every engine of `dialect` accepts as written.
fn generate(dialect: Dialect, rng: &mut Rng) -> Schema {
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

/// The model part introspection can read back exactly: views are printed
/// in the engine's own form, so they are compared through a second trip.
fn without_views(schema: &Schema) -> Schema {
    Schema { views: Default::default(), server_version: String::new(), ..schema.clone() }
}

async fn apply_and_read(backend: Backend, ddl: &str) -> Schema {
    let db = TestDb::create(backend).await;
    let pool = db.pool().await;
    pool.exec(ddl).await;
    let schema = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
    db.finish(pool).await;
    schema
}

fn dialect_of(backend: Backend) -> Dialect {
    match backend {
        Backend::Postgres => Dialect::Postgres,
        Backend::MySql => Dialect::MySql,
        Backend::Sqlite => Dialect::Sqlite,
    }
}

#[tokio::test]
async fn generated_schemas_read_back_as_written_on_every_backend() {
    let cases: u64 = std::env::var("RETORT_SCHEMA_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(12);
    let mut failures = Vec::new();
    for backend in backends() {
        for case in 0..cases {
            let seed = 0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let model = generate(dialect_of(backend), &mut Rng(seed));
            let ddl = model.canonical_sql();
            let read = apply_and_read(backend, &ddl).await;
            let diff = compare(&without_views(&model), &without_views(&read));
            if !diff.is_empty() {
                let lines: Vec<String> = diff.changes.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{backend:?} seed {seed:#x}: read back differs:\n{}\n--- DDL\n{ddl}",
                    lines.join("\n")
                ));
                continue;
            }
            let again = apply_and_read(backend, &read.canonical_sql()).await;
            if again.fingerprint() != read.fingerprint() || again.views.len() != model.views.len() {
                failures.push(format!(
                    "{backend:?} seed {seed:#x}: a second trip differs:\n--- first\n{}--- second\n{}",
                    read.canonical_sql(),
                    again.canonical_sql()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
