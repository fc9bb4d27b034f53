//! MySQL's and MariaDB's `information_schema`, for the connected database.
//!
//! The two differ in what they print; this reads both into MariaDB's form:
//! MariaDB quotes string defaults (`'x'`) and MySQL 8 does not, so MySQL's
//! literal defaults are quoted here (those that `EXTRA` does not mark
//! `DEFAULT_GENERATED`). MySQL 8's functional index keys
//! (`STATISTICS.EXPRESSION`) are read where the column exists; MariaDB has
//! none. `RESTRICT` is how both spell an unspecified action, so it reads as
//! `NO ACTION`, which InnoDB treats the same.

use std::collections::{BTreeMap, HashMap};

use retort_core::Dialect;
use retort_core::schema::{
    Action, Check, Column, Deferrable, ForeignKey, Generated, Identity, Index, IndexKey, Name, PrimaryKey, Routine,
    Schema, Table, Trigger, Unique, View,
};
use sqlx::MySqlConnection;

use super::InspectOptions;

/// Text rows: every column cast to CHAR, so both servers' column types
/// decode alike.
async fn rows(conn: &mut MySqlConnection, sql: &str, width: usize) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut *conn).await?;
    rows.iter().map(|row| (0..width).map(|i| row.try_get::<Option<String>, _>(i)).collect()).collect()
}

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

pub(super) async fn inspect(conn: &mut MySqlConnection, options: &InspectOptions) -> Result<Schema, sqlx::Error> {
    let head = rows(
        conn,
        "SELECT CAST(VERSION() AS CHAR), CAST(DATABASE() AS CHAR),
                (SELECT CAST(DEFAULT_COLLATION_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE())",
        3,
    )
    .await?;
    let version = head.first().map(|r| text(r, 0)).unwrap_or_default();
    let database = head.first().and_then(|r| r[1].clone()).ok_or_else(|| {
        sqlx::Error::Configuration(
            "the URL names no database: add it after the host (mysql://user@host:3306/app), since retort reads the connected database".into(),
        )
    })?;
    let database_collation = head.first().map(|r| text(r, 2)).unwrap_or_default();
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let mut schema = Schema { dialect: Some(Dialect::MySql), server_version: version, ..Schema::default() };

    let tables = rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR), CAST(ENGINE AS CHAR), CAST(TABLE_COLLATION AS CHAR)
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
        4,
    )
    .await?;
    // Tables by name while rows are read (a hash lookup per row); into the
    // schema's ordered map at the end.
    let mut tables_by_name: HashMap<String, Table> = HashMap::new();
    let mut collations: HashMap<String, String> = HashMap::new();
    for row in tables {
        let name = text(&row, 0);
        let kind = text(&row, 1);
        if !options.wants(&name) || !(kind == "BASE TABLE" || kind == "SYSTEM VERSIONED") {
            continue;
        }
        collations.insert(name.clone(), text(&row, 3));
        let engine = text(&row, 2);
        let mut table_options =
            if engine.eq_ignore_ascii_case("InnoDB") { Vec::new() } else { vec![format!("ENGINE={engine}")] };
        if kind == "SYSTEM VERSIONED" {
            table_options.push("WITH SYSTEM VERSIONING".to_owned());
        }
        let collation = text(&row, 3);
        if !collation.is_empty() && collation != database_collation {
            table_options.push(format!("COLLATE={collation}"));
        }
        tables_by_name
            .insert(name.clone(), Table { name: Name::unqualified(name), options: table_options, ..Table::default() });
    }

    let columns = rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR),
                CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR), CAST(COLLATION_NAME AS CHAR),
                CAST(GENERATION_EXPRESSION AS CHAR), CAST(COLUMN_COMMENT AS CHAR)
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
        9,
    )
    .await?;
    for row in columns {
        let table_name = text(&row, 0);
        let Some(table) = tables_by_name.get_mut(&table_name) else { continue };
        let data_type = text(&row, 2);
        let extra = text(&row, 5).to_ascii_lowercase();
        let generated = (extra.contains("generated") && !extra.contains("default_generated")).then(|| Generated {
            expression: text(&row, 7),
            stored: extra.contains("stored"),
            ..Generated::default()
        });
        let mut default = if generated.is_some() { None } else { row[4].clone() };
        if mariadb && default.as_deref() == Some("NULL") {
            // MariaDB's "no default" (a string 'NULL' prints quoted).
            default = None;
        }
        if !mariadb
            && let Some(value) = &default
            && !extra.contains("default_generated")
            && is_string_type(&data_type)
        {
            // MySQL 8 prints a literal default bare; MariaDB quotes it.
            default = Some(format!("'{}'", value.replace('\'', "''")));
        }
        let collation = row[6].clone().filter(|c| collations.get(&table_name).is_none_or(|t| t != c));
        let on_update = extra.find("on update ").map(|at| extra[at + "on update ".len()..].trim().to_owned());
        table.columns.push(Column {
            name: text(&row, 1),
            data_type,
            nullable: text(&row, 3) == "YES",
            default,
            identity: extra.contains("auto_increment").then_some(Identity::AutoIncrement),
            generated,
            collation,
            on_update,
            comment: row[8].clone().filter(|c| !c.is_empty()),
            ..Column::default()
        });
    }

    // MySQL 8 names functional index keys in EXPRESSION; MariaDB has no
    // such column.
    let expression = if mariadb { "NULL" } else { "CAST(EXPRESSION AS CHAR)" };
    let statistics = rows(
        conn,
        &format!(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS CHAR), CAST(COLUMN_NAME AS CHAR),
                    CAST(COLLATION AS CHAR), CAST(SUB_PART AS CHAR), CAST(INDEX_TYPE AS CHAR), {expression}
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
        8,
    )
    .await?;
    let mut indexes: BTreeMap<(String, String), Index> = BTreeMap::new();
    for row in statistics {
        let key = (text(&row, 0), text(&row, 1));
        let index = indexes.entry(key).or_insert_with(|| {
            let method = text(&row, 6);
            Index {
                name: text(&row, 1),
                unique: text(&row, 2) == "0",
                method: (method != "BTREE").then_some(method),
                ..Index::default()
            }
        });
        let (column, expression) = (row[3].clone(), row[7].clone());
        let mut key = IndexKey { descending: text(&row, 4) == "D", ..IndexKey::default() };
        match (column, expression) {
            (Some(column), _) => {
                key.expression = match row[5].as_deref() {
                    Some(part) => format!("{column}({part})"),
                    None => column,
                };
                // A prefix key (`body(20)`) is still a column's.
                key.is_expression = false;
            }
            (None, expression) => {
                key.expression = expression.unwrap_or_default();
                key.is_expression = true;
            }
        }
        index.keys.push(key);
    }

    // Two queries joined here: MariaDB joins two information_schema views
    // by reading one of them again for every row of the other (0.17 s at
    // 1,000 tables, against 0.03 s for both apart).
    let rules: BTreeMap<(String, String), (String, String)> = rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(UPDATE_RULE AS CHAR), CAST(DELETE_RULE AS CHAR)
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
        4,
    )
    .await?
    .into_iter()
    .map(|row| ((text(&row, 0), text(&row, 1)), (text(&row, 2), text(&row, 3))))
    .collect();
    let foreign_keys = rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR),
                CAST(REFERENCED_TABLE_SCHEMA AS CHAR), CAST(REFERENCED_TABLE_NAME AS CHAR),
                CAST(REFERENCED_COLUMN_NAME AS CHAR)
         FROM information_schema.KEY_COLUMN_USAGE
         WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        6,
    )
    .await?;
    let mut fks: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for row in foreign_keys {
        let key = (text(&row, 0), text(&row, 1));
        let (on_update, on_delete) = rules.get(&key).cloned().unwrap_or_default();
        let fk = fks.entry(key).or_insert_with(|| {
            let target_schema = text(&row, 3);
            ForeignKey {
                name: Some(text(&row, 1)),
                references: Name::new(
                    if target_schema == database { String::new() } else { target_schema },
                    text(&row, 4),
                ),
                on_update: rule(&on_update),
                on_delete: rule(&on_delete),
                deferrable: Deferrable::No,
                ..ForeignKey::default()
            }
        });
        fk.columns.push(text(&row, 2));
        fk.referenced_columns.push(text(&row, 5));
    }

    // MariaDB names a table's CHECKs per table (CHECK_CONSTRAINTS has
    // TABLE_NAME); MySQL 8 per database, joined through TABLE_CONSTRAINTS.
    let checks_sql = if mariadb {
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR)
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
    } else {
        "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(c.CONSTRAINT_NAME AS CHAR), CAST(c.CHECK_CLAUSE AS CHAR)
         FROM information_schema.CHECK_CONSTRAINTS c JOIN information_schema.TABLE_CONSTRAINTS t
           ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND t.CONSTRAINT_TYPE = 'CHECK'
         WHERE c.CONSTRAINT_SCHEMA = DATABASE()"
    };
    for row in rows(conn, checks_sql, 3).await? {
        if let Some(table) = tables_by_name.get_mut(&text(&row, 0)) {
            table.checks.push(Check { name: Some(text(&row, 1)), expression: text(&row, 2), ..Check::default() });
        }
    }

    for ((table_name, fk_name), fk) in fks {
        let Some(table) = tables_by_name.get_mut(&table_name) else { continue };
        // The index InnoDB made for the foreign key (named after it, or
        // after its first column) goes with it: it is part of the key.
        let first = fk.columns.first().cloned().unwrap_or_default();
        for name in [fk_name, first] {
            let key = (table_name.clone(), name);
            let implicit = indexes
                .get(&key)
                .is_some_and(|index| !index.unique && index.keys.iter().map(|k| &k.expression).eq(fk.columns.iter()));
            if implicit {
                indexes.remove(&key);
                break;
            }
        }
        table.foreign_keys.push(fk);
    }
    for ((table_name, index_name), index) in indexes {
        let Some(table) = tables_by_name.get_mut(&table_name) else { continue };
        if index_name == "PRIMARY" {
            table.primary_key = Some(PrimaryKey {
                name: Some(index_name),
                columns: index.keys.into_iter().map(|k| k.expression).collect(),
            });
        } else if index.unique && index.keys.iter().all(|k| !k.is_expression && !k.descending) && index.method.is_none()
        {
            // A unique constraint is a unique index in MySQL.
            table.uniques.push(Unique {
                name: Some(index_name),
                columns: index.keys.into_iter().map(|k| k.expression).collect(),
                nulls_not_distinct: false,
            });
        } else {
            table.indexes.push(index);
        }
    }

    schema.tables = tables_by_name.into_values().map(|t| (t.name.clone(), t)).collect();
    let qualifier = format!("`{}`.", database.replace('`', "``"));
    for row in rows(
        conn,
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
        2,
    )
    .await?
    {
        let name = text(&row, 0);
        if !options.wants(&name) {
            continue;
        }
        // The server names the database in every reference; a scratch
        // database of another name must print the same query.
        let definition = text(&row, 1).replace(&qualifier, "");
        schema.views.insert(Name::unqualified(&name), View { name: Name::unqualified(name), definition, ..View::default() });
    }
    for row in rows(
        conn,
        "SELECT CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR), CAST(ACTION_TIMING AS CHAR),
                CAST(EVENT_MANIPULATION AS CHAR), CAST(ACTION_STATEMENT AS CHAR)
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
        5,
    )
    .await?
    {
        let table = text(&row, 1);
        if !options.wants(&table) {
            continue;
        }
        let definition = format!("{} {} FOR EACH ROW {}", text(&row, 2), text(&row, 3), text(&row, 4));
        schema.triggers.push(Trigger { name: text(&row, 0), table: Name::unqualified(table), definition });
    }
    schema.triggers.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
    for row in rows(
        conn,
        "SELECT CAST(ROUTINE_NAME AS CHAR), CAST(ROUTINE_TYPE AS CHAR), CAST(ROUTINE_DEFINITION AS CHAR)
         FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_NAME, ROUTINE_TYPE",
        3,
    )
    .await?
    {
        let kind = text(&row, 1).to_lowercase();
        // A function and a procedure may share a name: the second is keyed
        // with its kind.
        let mut name = Name::unqualified(text(&row, 0));
        if schema.routines.contains_key(&name) {
            name = Name::unqualified(format!("{} ({kind})", name.name));
        }
        schema.routines.insert(name.clone(), Routine { name, kind, definition: text(&row, 2) });
    }
    Ok(schema)
}

/// Types whose literal defaults MariaDB prints quoted.
fn is_string_type(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    ["char", "text", "enum", "set", "date", "time", "year", "binary", "blob", "json"].iter().any(|k| t.contains(k))
}

/// `REFERENTIAL_CONSTRAINTS` rules; `RESTRICT` is InnoDB's `NO ACTION`.
fn rule(text: &str) -> Action {
    match Action::parse(text) {
        Action::Restrict => Action::NoAction,
        other => other,
    }
}
