//! SQLite's schema: `sqlite_schema` and the pragma table functions, one
//! query each for all tables; what only the stored `CREATE TABLE` holds is
//! read from its text.

use std::collections::{BTreeMap, HashMap};

use retort_core::Dialect;
use retort_core::schema::sqlite_ddl::parse_create_table;
use retort_core::schema::sqlite_index::{create_view_query, parse_create_index};
use retort_core::schema::{
    Action, Check, Column, Deferrable, ForeignKey, Generated, Identity, Index, IndexKey, Name, PrimaryKey, Schema,
    Table, Trigger, Unique, View,
};
use sqlx::{Row, SqliteConnection};

use super::InspectOptions;

const OBJECTS: &str = "SELECT type, name, tbl_name, sql FROM main.sqlite_schema
WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name";

const COLUMNS: &str = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden
FROM main.sqlite_schema m JOIN pragma_table_xinfo(m.name, 'main') p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, p.cid";

const FOREIGN_KEYS: &str = "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete
FROM main.sqlite_schema m JOIN pragma_foreign_key_list(m.name, 'main') f
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, f.id, f.seq";

/// Index keys (not the rowid each index carries), with where each index
/// came from: `c` CREATE INDEX, `u` UNIQUE, `pk` PRIMARY KEY.
const INDEX_KEYS: &str = "SELECT m.name, il.name, il.\"unique\", il.origin, x.name, x.\"desc\"
FROM main.sqlite_schema m JOIN pragma_index_list(m.name, 'main') il JOIN pragma_index_xinfo(il.name, 'main') x
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND x.key = 1
ORDER BY m.name, il.name, x.seqno";

pub(super) async fn inspect(conn: &mut SqliteConnection, options: &InspectOptions) -> Result<Schema, sqlx::Error> {
    let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&mut *conn).await?;
    let mut schema = Schema { dialect: Some(Dialect::Sqlite), server_version: version, ..Schema::default() };
    // Tables by their name while rows are read (a hash lookup per row,
    // no key built); into the schema's ordered map at the end.
    let mut tables: HashMap<String, Table> = HashMap::new();
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut index_sql: BTreeMap<String, String> = BTreeMap::new();
    for row in sqlx::query(OBJECTS).fetch_all(&mut *conn).await? {
        let (kind, name, table): (String, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let sql: Option<String> = row.try_get(3)?;
        if !options.wants(&table) {
            continue;
        }
        match kind.as_str() {
            "table" => {
                texts.insert(name.clone(), sql.unwrap_or_default());
                tables.insert(name.clone(), Table { name: Name::unqualified(name), ..Table::default() });
            }
            "view" => {
                let text = sql.as_deref().unwrap_or_default();
                let definition = create_view_query(text).unwrap_or_else(|| text.to_owned());
                schema.views.insert(
                    Name::unqualified(&name),
                    View { name: Name::unqualified(name), definition, ..View::default() },
                );
            }
            "index" => {
                if let Some(sql) = sql {
                    index_sql.insert(name, sql);
                }
            }
            "trigger" => schema.triggers.push(Trigger {
                name,
                table: Name::unqualified(table),
                definition: sql.unwrap_or_default(),
            }),
            _ => {}
        }
    }

    let mut keys: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for row in sqlx::query(COLUMNS).fetch_all(&mut *conn).await? {
        let table_name: String = row.try_get(0)?;
        let Some(table) = tables.get_mut(&table_name) else { continue };
        let name: String = row.try_get(1)?;
        let pk: i64 = row.try_get(5)?;
        if pk > 0 {
            keys.entry(table_name).or_default().push((pk, name.clone()));
        }
        let hidden: i64 = row.try_get(6)?;
        table.columns.push(Column {
            name,
            data_type: row.try_get(2)?,
            nullable: row.try_get::<i64, _>(3)? == 0,
            default: row.try_get(4)?,
            // Filled from the CREATE TABLE text below.
            generated: (hidden == 2 || hidden == 3).then(|| Generated { stored: hidden == 3, ..Generated::default() }),
            ..Column::default()
        });
    }
    for (table_name, mut columns) in keys {
        columns.sort();
        if let Some(table) = tables.get_mut(&table_name) {
            table.primary_key = Some(PrimaryKey { name: None, columns: columns.into_iter().map(|(_, c)| c).collect() });
        }
    }

    let mut foreign_keys: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    for row in sqlx::query(FOREIGN_KEYS).fetch_all(&mut *conn).await? {
        let table_name: String = row.try_get(0)?;
        let id: i64 = row.try_get(1)?;
        let to: Option<String> = row.try_get(4)?;
        let fk = foreign_keys.entry((table_name, id)).or_insert_with(|| ForeignKey {
            references: Name::unqualified(row.try_get::<String, _>(2).unwrap_or_default()),
            on_update: Action::parse(&row.try_get::<String, _>(5).unwrap_or_default()),
            on_delete: Action::parse(&row.try_get::<String, _>(6).unwrap_or_default()),
            deferrable: Deferrable::No,
            ..ForeignKey::default()
        });
        fk.columns.push(row.try_get(3)?);
        if let Some(to) = to {
            fk.referenced_columns.push(to);
        }
    }
    for ((table_name, _), fk) in foreign_keys {
        if let Some(table) = tables.get_mut(&table_name) {
            table.foreign_keys.push(fk);
        }
    }

    let mut indexes: BTreeMap<(String, String), IndexRows> = BTreeMap::new();
    for row in sqlx::query(INDEX_KEYS).fetch_all(&mut *conn).await? {
        let entry = indexes.entry((row.try_get(0)?, row.try_get(1)?)).or_insert_with(|| IndexRows {
            unique: row.try_get::<i64, _>(2).unwrap_or(0) == 1,
            origin: row.try_get(3).unwrap_or_default(),
            keys: Vec::new(),
        });
        entry.keys.push((row.try_get(4)?, row.try_get::<i64, _>(5)? == 1));
    }
    for ((table_name, index_name), IndexRows { unique, origin, keys: columns }) in indexes {
        let Some(table) = tables.get_mut(&table_name) else { continue };
        match origin.as_str() {
            "pk" => {}
            "u" => table.uniques.push(Unique {
                name: None,
                columns: columns.into_iter().filter_map(|(c, _)| c).collect(),
                nulls_not_distinct: false,
            }),
            _ => {
                let parsed = index_sql.get(&index_name).and_then(|sql| parse_create_index(sql));
                let keys = columns
                    .iter()
                    .enumerate()
                    .map(|(i, (column, descending))| match column {
                        Some(column) => {
                            IndexKey { expression: column.clone(), descending: *descending, ..IndexKey::default() }
                        }
                        None => IndexKey {
                            expression: parsed
                                .as_ref()
                                .and_then(|p| p.keys.get(i))
                                .map(|k| k.0.clone())
                                .unwrap_or_default(),
                            is_expression: true,
                            descending: *descending,
                            ..IndexKey::default()
                        },
                    })
                    .collect();
                table.indexes.push(Index {
                    name: index_name,
                    unique,
                    keys,
                    predicate: parsed.and_then(|p| p.predicate),
                    ..Index::default()
                });
            }
        }
    }

    for (name, text) in &texts {
        let Some(table) = tables.get_mut(name) else { continue };
        let Some(parsed) = parse_create_table(text) else { continue };
        add_text_only_parts(table, parsed);
    }
    // A foreign key names its target as written (`REFERENCES Account(ID)`);
    // SQLite's names are case-insensitive, so it points at the table and
    // columns as they are named.
    let spelled: HashMap<String, (String, Vec<String>)> = tables
        .values()
        .map(|t| {
            (t.name.name.to_lowercase(), (t.name.name.clone(), t.columns.iter().map(|c| c.name.clone()).collect()))
        })
        .collect();
    for table in tables.values_mut() {
        let own: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        for fk in &mut table.foreign_keys {
            for column in &mut fk.columns {
                if let Some(actual) = own.iter().find(|c| c.eq_ignore_ascii_case(column)) {
                    *column = actual.clone();
                }
            }
            if let Some((name, columns)) = spelled.get(&fk.references.name.to_lowercase()) {
                fk.references.name = name.clone();
                for column in &mut fk.referenced_columns {
                    if let Some(actual) = columns.iter().find(|c| c.eq_ignore_ascii_case(column)) {
                        *column = actual.clone();
                    }
                }
            }
        }
    }
    schema.tables = tables.into_values().map(|t| (t.name.clone(), t)).collect();
    schema.triggers.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
    Ok(schema)
}

/// One index as `pragma_index_list` and `pragma_index_xinfo` describe it.
struct IndexRows {
    unique: bool,
    /// `c` CREATE INDEX, `u` UNIQUE, `pk` PRIMARY KEY.
    origin: String,
    /// Each key's column (none for an expression) and whether it is DESC.
    keys: Vec<(Option<String>, bool)>,
}

/// What SQLite keeps only in the `CREATE TABLE` text: CHECKs, constraint
/// names, collations, generation expressions, AUTOINCREMENT, options.
fn add_text_only_parts(table: &mut Table, parsed: retort_core::schema::sqlite_ddl::CreateTable) {
    table.checks = parsed
        .checks
        .into_iter()
        .map(|c| Check { name: c.name, expression: c.expression, ..Check::default() })
        .collect();
    for clauses in parsed.columns {
        let Some(column) = table.columns.iter_mut().find(|c| c.name.eq_ignore_ascii_case(&clauses.name)) else {
            continue;
        };
        column.collation = clauses.collation.map(|c| c.to_uppercase()).filter(|c| c != "BINARY");
        if let (Some(generated), Some((expression, _))) = (&mut column.generated, clauses.generated) {
            generated.expression = expression;
        }
        if clauses.autoincrement {
            column.identity = Some(Identity::AutoIncrement);
        }
    }
    if let Some(pk) = &mut table.primary_key {
        pk.name = parsed.primary_key_name;
    }
    for (name, columns) in parsed.unique_names {
        if let Some(unique) = table.uniques.iter_mut().find(|u| same_names(&u.columns, &columns)) {
            unique.name = Some(name);
        }
    }
    for (name, columns) in parsed.foreign_key_names {
        if let Some(fk) = table.foreign_keys.iter_mut().find(|f| f.name.is_none() && same_names(&f.columns, &columns)) {
            fk.name = Some(name);
        }
    }
    if parsed.without_rowid {
        table.options.push("WITHOUT ROWID".to_owned());
    }
    if parsed.strict {
        table.options.push("STRICT".to_owned());
    }
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}
