//! PostgreSQL's catalog, read with the engine's own printers.

use std::collections::HashMap;

use retort_core::Dialect;
use retort_core::schema::{
    Action, Check, Column, Deferrable, EnumType, ForeignKey, Generated, Identity, Index, IndexKey, Name, PrimaryKey,
    Routine, Schema, Sequence, Table, Trigger, Unique, View,
};
use sqlx::{Connection, PgConnection, Row};

use super::InspectOptions;

/// The relations of the schemas read (`$1`), partitions left out: their
/// parent stands for them.
const RELATIONS: &str = "
SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition";

const COLUMNS: &str = "
SELECT a.attrelid::int8, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END,
       pg_catalog.col_description(a.attrelid, a.attnum::int4)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

/// Primary keys, foreign keys, unique and CHECK constraints.
const CONSTRAINTS: &str = "
SELECT con.conrelid::int8, con.conname::text, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid, true),
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       fn.nspname::text, fc.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
       con.confdeltype::text, con.confupdtype::text, con.condeferrable, con.condeferred
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE n.nspname = ANY($1) AND con.contype IN ('p', 'f', 'u', 'c')
ORDER BY con.conrelid, con.conname";

/// Indexes that back no constraint, key by key.
const INDEXES: &str = "
SELECT i.indrelid::int8, ic.relname::text, i.indisunique, am.amname::text,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid),
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
       ARRAY(SELECT i.indkey[k - 1] = 0 FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
       ARRAY(SELECT (i.indoption[k - 1] & 1) = 1 FROM generate_series(1, i.indnkeyatts) k ORDER BY k)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                  WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname";

const VIEWS: &str = "
SELECT n.nspname::text, c.relname::text, c.relkind = 'm', pg_catalog.pg_get_viewdef(c.oid, true)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1) AND c.relkind IN ('v', 'm')";

const ENUMS: &str = "
SELECT n.nspname::text, t.typname::text,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY($1) AND t.typtype = 'e'";

/// Sequences no identity column owns (theirs are part of the column).
const SEQUENCES: &str = "
SELECT n.nspname::text, c.relname::text, pg_catalog.format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax,
       s.seqcycle,
       (SELECT tn.nspname::text || '.' || tc.relname::text || '.' || a.attname::text FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
        JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'a' LIMIT 1)
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')";

/// Functions and procedures that no extension owns.
const ROUTINES: &str = "
SELECT n.nspname::text, p.proname::text || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, pg_catalog.pg_get_functiondef(p.oid)
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')";

const TRIGGERS: &str = "
SELECT n.nspname::text, c.relname::text, t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid, true)
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1) AND NOT t.tgisinternal";

pub(super) async fn inspect(conn: &mut PgConnection, options: &InspectOptions) -> Result<Schema, sqlx::Error> {
    let mut tx = conn.begin().await?;
    // Read before the search_path is emptied: the schemas it names.
    let head = sqlx::query("SELECT current_setting('server_version'), current_schemas(false)::text[]")
        .fetch_one(&mut *tx)
        .await?;
    let version: String = head.try_get(0)?;
    let mut schemas: Vec<String> = if options.schemas.is_empty() { head.try_get(1)? } else { options.schemas.clone() };
    if schemas.is_empty() {
        // An empty search_path (a session a dump file left so) still means
        // the default schema.
        schemas.push("public".to_owned());
    }
    let known: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)")
            .bind(&schemas)
            .fetch_all(&mut *tx)
            .await?;
    if let Some(missing) = options.schemas.iter().find(|s| !known.contains(s)) {
        return Err(sqlx::Error::Configuration(
            format!("the database has no schema named {missing} (psql's \\dn lists them)").into(),
        ));
    }
    // An empty search_path makes every printer qualify names (Atlas's
    // noSearchPath): the same text on both sides of a comparison, whatever
    // each connection's path. SET LOCAL ends with this transaction.
    sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL search_path = ''").execute(&mut *tx).await?;
    let mut schema = Schema { dialect: Some(Dialect::Postgres), server_version: version, ..Schema::default() };

    let mut by_oid: HashMap<i64, Name> = HashMap::new();
    for row in sqlx::query(RELATIONS).bind(&schemas).fetch_all(&mut *tx).await? {
        let (oid, ns, name, kind): (i64, String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
        if !options.wants(&name) || !(kind == "r" || kind == "p") {
            continue;
        }
        let qualified = Name::new(ns, name);
        by_oid.insert(oid, qualified.clone());
        schema.tables.insert(qualified.clone(), Table { name: qualified, ..Table::default() });
    }
    for row in sqlx::query(COLUMNS).bind(&schemas).fetch_all(&mut *tx).await? {
        let Some(table) = by_oid.get(&row.try_get::<i64, _>(0)?).and_then(|n| schema.tables.get_mut(n)) else {
            continue;
        };
        let default: Option<String> = row.try_get(4)?;
        let identity: String = row.try_get(5)?;
        let generated: String = row.try_get(6)?;
        // `s` stored, `v` virtual (PostgreSQL 18): the expression is in
        // the default's place.
        let (default, generated) = if generated == "s" || generated == "v" {
            (None, default.map(|expression| Generated { expression, stored: generated == "s", ..Generated::default() }))
        } else {
            (default, None)
        };
        table.columns.push(Column {
            name: row.try_get(1)?,
            data_type: row.try_get(2)?,
            nullable: !row.try_get::<bool, _>(3)?,
            default,
            identity: match identity.as_str() {
                "a" => Some(Identity::Always),
                "d" => Some(Identity::ByDefault),
                _ => None,
            },
            generated,
            collation: row.try_get(7)?,
            comment: row.try_get(8)?,
            ..Column::default()
        });
    }

    for row in sqlx::query(CONSTRAINTS).bind(&schemas).fetch_all(&mut *tx).await? {
        let Some(table) = by_oid.get(&row.try_get::<i64, _>(0)?).and_then(|n| schema.tables.get_mut(n)) else {
            continue;
        };
        let name: String = row.try_get(1)?;
        let kind: String = row.try_get(2)?;
        let definition: String = row.try_get(3)?;
        let columns: Vec<String> = row.try_get(4)?;
        match kind.as_str() {
            "p" => table.primary_key = Some(PrimaryKey { name: Some(name), columns }),
            "u" => table.uniques.push(Unique {
                name: Some(name),
                columns,
                nulls_not_distinct: definition.contains("NULLS NOT DISTINCT"),
            }),
            "c" => table.checks.push(Check {
                name: Some(name),
                expression: check_condition(&definition),
                ..Check::default()
            }),
            "f" => {
                let deferrable = match (row.try_get::<bool, _>(10)?, row.try_get::<bool, _>(11)?) {
                    (false, _) => Deferrable::No,
                    (true, false) => Deferrable::InitiallyImmediate,
                    (true, true) => Deferrable::InitiallyDeferred,
                };
                table.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns,
                    references: Name::new(
                        row.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                        row.try_get::<Option<String>, _>(6)?.unwrap_or_default(),
                    ),
                    referenced_columns: row.try_get(7)?,
                    on_delete: action(&row.try_get::<String, _>(8)?),
                    on_update: action(&row.try_get::<String, _>(9)?),
                    deferrable,
                });
            }
            _ => {}
        }
    }

    for row in sqlx::query(INDEXES).bind(&schemas).fetch_all(&mut *tx).await? {
        let Some(table) = by_oid.get(&row.try_get::<i64, _>(0)?).and_then(|n| schema.tables.get_mut(n)) else {
            continue;
        };
        let method: String = row.try_get(3)?;
        let texts: Vec<String> = row.try_get(5)?;
        let expressions: Vec<bool> = row.try_get(6)?;
        let descending: Vec<bool> = row.try_get(7)?;
        let keys = texts
            .into_iter()
            .zip(expressions)
            .zip(descending)
            .map(|((expression, is_expression), descending)| IndexKey {
                expression,
                is_expression,
                descending,
                ..IndexKey::default()
            })
            .collect();
        table.indexes.push(Index {
            name: row.try_get(1)?,
            unique: row.try_get(2)?,
            keys,
            predicate: row.try_get(4)?,
            method: (method != "btree").then_some(method),
            ..Index::default()
        });
    }

    for row in sqlx::query(VIEWS).bind(&schemas).fetch_all(&mut *tx).await? {
        let name = Name::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?);
        if !options.wants(&name.name) {
            continue;
        }
        let view =
            View { name: name.clone(), materialized: row.try_get(2)?, definition: row.try_get(3)?, ..View::default() };
        schema.views.insert(name, view);
    }
    for row in sqlx::query(ENUMS).bind(&schemas).fetch_all(&mut *tx).await? {
        let name = Name::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?);
        schema.enums.insert(name.clone(), EnumType { name, labels: row.try_get(2)? });
    }
    for row in sqlx::query(SEQUENCES).bind(&schemas).fetch_all(&mut *tx).await? {
        let name = Name::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?);
        let owned_by: Option<String> = row.try_get(7)?;
        if owned_by.as_deref().and_then(|o| o.split('.').nth(1)).is_some_and(|t| !options.wants(t)) {
            continue;
        }
        schema.sequences.insert(
            name.clone(),
            Sequence {
                name,
                data_type: row.try_get(2)?,
                increment: row.try_get(3)?,
                min_value: row.try_get(4)?,
                max_value: row.try_get(5)?,
                cycle: row.try_get(6)?,
                owned_by,
            },
        );
    }
    for row in sqlx::query(ROUTINES).bind(&schemas).fetch_all(&mut *tx).await? {
        let name = Name::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?);
        schema.routines.insert(name.clone(), Routine { name, kind: row.try_get(2)?, definition: row.try_get(3)? });
    }
    for row in sqlx::query(TRIGGERS).bind(&schemas).fetch_all(&mut *tx).await? {
        let table = Name::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?);
        if !options.wants(&table.name) {
            continue;
        }
        schema.triggers.push(Trigger { table, name: row.try_get(2)?, definition: row.try_get(3)? });
    }
    schema.triggers.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
    tx.rollback().await?;
    Ok(schema)
}

/// `CHECK ((b > 0)) NOT VALID` → `(b > 0)`.
fn check_condition(definition: &str) -> String {
    let text = definition.trim();
    let text = text.strip_prefix("CHECK ").unwrap_or(text);
    let text = text.strip_suffix(" NOT VALID").unwrap_or(text);
    let text = text.strip_suffix(" NO INHERIT").unwrap_or(text);
    text.trim().to_owned()
}

/// `pg_constraint`'s one-letter actions.
fn action(code: &str) -> Action {
    match code {
        "r" => Action::Restrict,
        "c" => Action::Cascade,
        "n" => Action::SetNull,
        "d" => Action::SetDefault,
        _ => Action::NoAction,
    }
}
