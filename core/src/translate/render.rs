//! Operations as the SQL Alembic's offline mode writes for each engine:
//! SQLAlchemy's DDL compiler's text, statement by statement.

use super::expr::Expr;
use super::ops::{AlterColumn, ColumnDef, Constraint, Default, Op, Qualified, Reference, SaType};
use crate::revision::Dialect;
use crate::schema::quote_identifier;

/// Why an operation has no SQL on an engine.
pub(crate) type Refusal = String;

fn ident(dialect: Dialect, name: &str) -> String {
    quote_identifier(dialect, name)
}

fn table(dialect: Dialect, table: &Qualified) -> String {
    match &table.schema {
        Some(schema) => format!("{}.{}", ident(dialect, schema), ident(dialect, &table.name)),
        None => ident(dialect, &table.name),
    }
}

fn names(dialect: Dialect, columns: &[String]) -> String {
    columns.iter().map(|c| ident(dialect, c)).collect::<Vec<_>>().join(", ")
}

fn number(expr: Option<&Expr>) -> Option<String> {
    match expr {
        Some(Expr::Num(n)) => Some(n.clone()),
        _ => None,
    }
}

/// A type's DDL on `dialect`.
pub(crate) fn type_sql(ty: &SaType, dialect: Dialect) -> Result<String, Refusal> {
    let kw = |name: &str| ty.kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let length = number(ty.args.first()).or_else(|| number(kw("length")));
    let sized = |base: &str| match &length {
        Some(n) => Ok(format!("{base}({n})")),
        None if dialect == Dialect::MySql => Err(format!("{base} requires a length on dialect mysql")),
        None => Ok(base.to_owned()),
    };
    let timezone = matches!(kw("timezone").or(ty.args.first()), Some(Expr::Bool(true)));
    Ok(match ty.name.as_str() {
        "Integer" | "INTEGER" | "INT" => "INTEGER".to_owned(),
        "BigInteger" | "BIGINT" => "BIGINT".to_owned(),
        "SmallInteger" | "SMALLINT" => "SMALLINT".to_owned(),
        "String" | "Unicode" | "VARCHAR" | "NVARCHAR" => sized("VARCHAR")?,
        "CHAR" => sized("CHAR")?,
        "Text" | "UnicodeText" | "TEXT" => "TEXT".to_owned(),
        "Boolean" | "BOOLEAN" => if dialect == Dialect::MySql { "BOOL" } else { "BOOLEAN" }.to_owned(),
        "DateTime" | "DATETIME" | "TIMESTAMP" => match dialect {
            Dialect::Postgres if timezone => "TIMESTAMP WITH TIME ZONE".to_owned(),
            Dialect::Postgres => "TIMESTAMP WITHOUT TIME ZONE".to_owned(),
            _ if ty.name == "TIMESTAMP" => "TIMESTAMP".to_owned(),
            _ => "DATETIME".to_owned(),
        },
        "Date" | "DATE" => "DATE".to_owned(),
        "Time" | "TIME" => match dialect {
            Dialect::Postgres if timezone => "TIME WITH TIME ZONE".to_owned(),
            Dialect::Postgres => "TIME WITHOUT TIME ZONE".to_owned(),
            _ => "TIME".to_owned(),
        },
        "Float" | "FLOAT" => match number(kw("precision").or(ty.args.first())) {
            Some(p) if dialect != Dialect::Sqlite => format!("FLOAT({p})"),
            _ => "FLOAT".to_owned(),
        },
        "Numeric" | "NUMERIC" | "DECIMAL" => {
            let base = if ty.name == "DECIMAL" { "DECIMAL" } else { "NUMERIC" };
            let precision = number(ty.args.first()).or_else(|| number(kw("precision")));
            let scale = number(ty.args.get(1)).or_else(|| number(kw("scale")));
            match (precision, scale) {
                (Some(p), Some(s)) => format!("{base}({p}, {s})"),
                (Some(p), None) => format!("{base}({p})"),
                _ => base.to_owned(),
            }
        }
        "LargeBinary" | "BLOB" => if dialect == Dialect::Postgres { "BYTEA" } else { "BLOB" }.to_owned(),
        "JSON" => "JSON".to_owned(),
        "Uuid" | "UUID" if dialect == Dialect::Postgres => "UUID".to_owned(),
        "Uuid" => "CHAR(32)".to_owned(),
        "Enum" | "postgresql.ENUM" => {
            let labels = enum_labels(ty)?;
            match dialect {
                Dialect::Postgres => ident(dialect, &enum_name(ty)?),
                Dialect::MySql if ty.name == "Enum" => format!(
                    "ENUM({})",
                    labels.iter().map(|l| format!("'{}'", l.replace('\'', "''"))).collect::<Vec<_>>().join(",")
                ),
                Dialect::Sqlite if ty.name == "Enum" => {
                    format!("VARCHAR({})", labels.iter().map(|l| l.chars().count()).max().unwrap_or(0))
                }
                _ => return Err(format!("the type `{}` on {dialect}", ty.name)),
            }
        }
        "postgresql.ARRAY" | "ARRAY" if dialect == Dialect::Postgres => {
            let inner = ty.args.first().ok_or("an ARRAY without its item type")?;
            format!("{}[]", type_sql(&super::ops::sa_type(inner)?, dialect)?)
        }
        "postgresql.TIMESTAMP" if dialect == Dialect::Postgres => {
            if timezone { "TIMESTAMP WITH TIME ZONE" } else { "TIMESTAMP WITHOUT TIME ZONE" }.to_owned()
        }
        "postgresql.JSON" if dialect == Dialect::Postgres => "JSON".to_owned(),
        "postgresql.BYTEA" if dialect == Dialect::Postgres => "BYTEA".to_owned(),
        "postgresql.INET" if dialect == Dialect::Postgres => "INET".to_owned(),
        "postgresql.JSONB" if dialect == Dialect::Postgres => "JSONB".to_owned(),
        "postgresql.UUID" if dialect == Dialect::Postgres => "UUID".to_owned(),
        other => return Err(format!("the type `{other}` on {dialect}")),
    })
}

/// A row value as SQLAlchemy renders it with literal binds.
fn literal(dialect: Dialect, value: &Expr) -> Result<String, Refusal> {
    Ok(match value {
        Expr::None => "NULL".to_owned(),
        Expr::Num(n) => n.clone(),
        Expr::Bool(b) => match dialect {
            Dialect::Sqlite => if *b { "1" } else { "0" }.to_owned(),
            _ => if *b { "true" } else { "false" }.to_owned(),
        },
        Expr::Str(s) if dialect == Dialect::MySql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
        Expr::Str(s) => format!("'{}'", s.replace('\'', "''")),
        other => return Err(format!("the value {other:?}")),
    })
}

/// The labels of an Enum written as strings; a Python enum class, or an
/// option retort does not render, is refused.
fn enum_labels(ty: &SaType) -> Result<Vec<String>, Refusal> {
    for (key, value) in &ty.kwargs {
        match (key.as_str(), value) {
            ("name", _) | ("create_type", Expr::Bool(_)) | ("create_constraint", Expr::Bool(false)) => {}
            ("native_enum", Expr::Bool(true)) => {}
            _ => return Err(format!("an Enum with `{key}=`")),
        }
    }
    ty.args
        .iter()
        .map(|a| match a {
            Expr::Str(label) => Ok(label.clone()),
            _ => Err("an Enum of something other than string labels (a Python enum class?)".to_owned()),
        })
        .collect()
}

fn enum_name(ty: &SaType) -> Result<String, Refusal> {
    match ty.kwargs.iter().find(|(k, _)| k == "name") {
        Some((_, Expr::Str(name))) => Ok(name.clone()),
        _ => Err("an Enum without `name=` (PostgreSQL names its type)".to_owned()),
    }
}

/// `CREATE TYPE … AS ENUM` for an Enum column PostgreSQL must create with
/// its table (not one marked `create_type=False`).
fn create_enum_type(ty: &SaType) -> Result<Option<String>, Refusal> {
    if !matches!(ty.name.as_str(), "Enum" | "postgresql.ENUM")
        || ty.kwargs.iter().any(|(k, v)| k == "create_type" && *v == Expr::Bool(false))
    {
        return Ok(None);
    }
    let labels = enum_labels(ty)?;
    Ok(Some(format!(
        "CREATE TYPE {} AS ENUM ({})",
        ident(Dialect::Postgres, &enum_name(ty)?),
        labels.iter().map(|l| format!("'{}'", l.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
    )))
}

pub(crate) fn default_sql(default: &Default, dialect: Dialect) -> String {
    match default {
        Default::Quoted(s) => format!("'{}'", s.replace('\'', "''")),
        // MySQL wants an expression default in parentheses (SQLAlchemy adds
        // them to text that is not a literal, a keyword or ON UPDATE).
        Default::Raw(text)
            if dialect == Dialect::MySql
                && !text.trim_start().starts_with(['\'', '"', '('])
                && !text.to_ascii_uppercase().contains("ON UPDATE")
                && text.chars().any(|c| !(c.is_alphanumeric() || c == '_')) =>
        {
            format!("({text})")
        }
        Default::Raw(text) => text.clone(),
        Default::Boolean(value) => match (dialect, value) {
            (Dialect::Sqlite, true) => "1".to_owned(),
            (Dialect::Sqlite, false) => "0".to_owned(),
            (_, value) => value.to_string(),
        },
    }
}

fn is_integer(ty: &SaType) -> Option<&'static str> {
    match ty.name.as_str() {
        "Integer" | "INTEGER" | "INT" => Some("SERIAL"),
        "BigInteger" | "BIGINT" => Some("BIGSERIAL"),
        "SmallInteger" | "SMALLINT" => Some("SMALLSERIAL"),
        _ => None,
    }
}

/// A column's definition; `autoincrement` when it is the table's one
/// integer key that numbers itself.
fn column_sql(column: &ColumnDef, dialect: Dialect, not_null: bool, autoincrement: bool) -> Result<String, Refusal> {
    let ty = match is_integer(&column.ty) {
        Some(serial) if autoincrement && dialect == Dialect::Postgres => serial.to_owned(),
        _ => type_sql(&column.ty, dialect)?,
    };
    let mut sql = format!("{} {ty}", ident(dialect, &column.name));
    let default = column.default.as_ref().map(|d| default_sql(d, dialect));
    if dialect == Dialect::MySql {
        if not_null {
            sql.push_str(" NOT NULL");
        }
        if let Some(default) = default {
            sql.push_str(&format!(" DEFAULT {default}"));
        }
        if autoincrement {
            sql.push_str(" AUTO_INCREMENT");
        }
        if let Some(comment) = &column.comment {
            sql.push_str(&format!(" COMMENT {}", literal(dialect, &Expr::Str(comment.clone()))?));
        }
    } else {
        if let Some(default) = default {
            sql.push_str(&format!(" DEFAULT {default}"));
        }
        if not_null {
            sql.push_str(" NOT NULL");
        }
    }
    Ok(sql)
}

/// PostgreSQL's `COMMENT ON COLUMN` for the columns with a comment, as
/// SQLAlchemy writes them after the table or column (MySQL's go in the
/// column; SQLite keeps none).
fn comments_on(dialect: Dialect, t: &Qualified, columns: &[ColumnDef]) -> Vec<String> {
    if dialect != Dialect::Postgres {
        return Vec::new();
    }
    columns
        .iter()
        .filter_map(|c| {
            let comment = c.comment.as_ref()?;
            Some(format!(
                "COMMENT ON COLUMN {}.{} IS '{}'",
                table(dialect, t),
                ident(dialect, &c.name),
                comment.replace('\'', "''")
            ))
        })
        .collect()
}

fn reference_sql(dialect: Dialect, r: &Reference) -> String {
    let mut sql = String::new();
    if let Some(name) = &r.name {
        sql.push_str(&format!("CONSTRAINT {} ", ident(dialect, name)));
    }
    sql.push_str(&format!(
        "FOREIGN KEY({}) REFERENCES {} ({})",
        names(dialect, &r.columns),
        table(dialect, &r.table),
        names(dialect, &r.remote)
    ));
    if let Some(action) = &r.ondelete {
        sql.push_str(&format!(" ON DELETE {action}"));
    }
    if let Some(action) = &r.onupdate {
        sql.push_str(&format!(" ON UPDATE {action}"));
    }
    sql
}

fn constraint_sql(dialect: Dialect, constraint: &Constraint) -> String {
    let named =
        |name: &Option<String>| name.as_ref().map(|n| format!("CONSTRAINT {} ", ident(dialect, n))).unwrap_or_default();
    match constraint {
        Constraint::PrimaryKey { name, columns } => format!("{}PRIMARY KEY ({})", named(name), names(dialect, columns)),
        Constraint::Unique { name, columns } => format!("{}UNIQUE ({})", named(name), names(dialect, columns)),
        Constraint::Check { name, condition } => format!("{}CHECK ({condition})", named(name)),
        Constraint::ForeignKey(r) => reference_sql(dialect, r),
    }
}

/// The statements of `op` on `dialect`.
pub(crate) fn render(op: &Op, dialect: Dialect) -> Result<Vec<String>, Refusal> {
    let sqlite_alter = |what: &str| {
        Err(format!(
            "{what} on SQLite: its ALTER TABLE cannot do it; Alembic does it in `batch_alter_table`, which retort does not translate yet"
        ))
    };
    Ok(match op {
        Op::CreateTable { table: t, columns, constraints, mysql_engine } => {
            create_table(dialect, t, columns, constraints, mysql_engine.as_deref())?
        }
        Op::DropTable { table: t } => vec![format!("DROP TABLE {}", table(dialect, t))],
        Op::RenameTable { from, to } => {
            vec![format!("ALTER TABLE {} RENAME TO {}", table(dialect, from), ident(dialect, to))]
        }
        Op::AddColumn { table: t, column } => {
            if column.primary_key {
                return Err("add_column of a primary key column, which retort does not translate yet".to_owned());
            }
            let not_null = column.nullable == Some(false);
            let mut statements = vec![format!(
                "ALTER TABLE {} ADD COLUMN {}",
                table(dialect, t),
                column_sql(column, dialect, not_null, false)?
            )];
            statements.extend(comments_on(dialect, t, std::slice::from_ref(column)));
            // Alembic adds the column's constraints with ALTERs of their own.
            if column.unique {
                statements.push(format!(
                    "ALTER TABLE {} ADD UNIQUE ({})",
                    table(dialect, t),
                    ident(dialect, &column.name)
                ));
            }
            if let Some(r) = &column.foreign_key {
                statements.push(format!("ALTER TABLE {} ADD {}", table(dialect, t), reference_sql(dialect, r)));
            }
            if dialect == Dialect::Sqlite && statements.len() > 1 {
                return sqlite_alter("adding a column with a constraint");
            }
            statements
        }
        Op::DropColumn { table: t, column } => {
            vec![format!("ALTER TABLE {} DROP COLUMN {}", table(dialect, t), ident(dialect, column))]
        }
        Op::CreateIndex {
            name,
            table: t,
            columns,
            unique,
            postgresql_where,
            sqlite_where,
            postgresql_using,
            concurrently,
        } => {
            let using = match (dialect, postgresql_using) {
                (Dialect::Postgres, Some(method)) => format!("USING {method} "),
                _ => String::new(),
            };
            let concurrently = if *concurrently && dialect == Dialect::Postgres { "CONCURRENTLY " } else { "" };
            let mut sql = format!(
                "CREATE {}INDEX {concurrently}{} ON {} {using}({})",
                if *unique { "UNIQUE " } else { "" },
                ident(dialect, name),
                table(dialect, t),
                names(dialect, columns)
            );
            let condition = match dialect {
                Dialect::Postgres => postgresql_where.as_ref(),
                Dialect::Sqlite => sqlite_where.as_ref(),
                Dialect::MySql => None,
            };
            if let Some(condition) = condition {
                sql.push_str(&format!(" WHERE {condition}"));
            }
            vec![sql]
        }
        Op::DropIndex { name, table: t, if_exists, concurrently } => {
            let exists = match (*concurrently && dialect == Dialect::Postgres, *if_exists) {
                (true, true) => "CONCURRENTLY IF EXISTS ",
                (true, false) => "CONCURRENTLY ",
                (false, true) => "IF EXISTS ",
                (false, false) => "",
            };
            match (dialect, t) {
                (Dialect::MySql, Some(t)) => {
                    vec![format!("DROP INDEX {exists}{} ON {}", ident(dialect, name), table(dialect, t))]
                }
                (Dialect::MySql, None) => return Err("drop_index without table_name on MySQL".to_owned()),
                _ => {
                    let schema = t.as_ref().and_then(|t| t.schema.as_ref());
                    let qualified = Qualified { schema: schema.cloned(), name: name.clone() };
                    vec![format!("DROP INDEX {exists}{}", table(dialect, &qualified))]
                }
            }
        }
        Op::BulkInsert { table: t, columns, rows } => {
            let mut statements = Vec::with_capacity(rows.len());
            for row in rows {
                // The table's column order, for the columns the row gives.
                let mut names = Vec::new();
                let mut values = Vec::new();
                for (column, _) in columns {
                    if let Some((_, value)) = row.iter().find(|(k, _)| k == column) {
                        names.push(ident(dialect, column));
                        values.push(literal(dialect, value)?);
                    }
                }
                if let Some((unknown, _)) = row.iter().find(|(k, _)| !columns.iter().any(|(c, _)| c == k)) {
                    return Err(format!("a row names {unknown}, which the sa.table does not have"));
                }
                statements.push(format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    table(dialect, t),
                    names.join(", "),
                    values.join(", ")
                ));
            }
            statements
        }
        Op::AddConstraint { table: t, constraint } => {
            if dialect == Dialect::Sqlite {
                return sqlite_alter("adding a constraint");
            }
            vec![format!("ALTER TABLE {} ADD {}", table(dialect, t), constraint_sql(dialect, constraint))]
        }
        Op::DropConstraint { name, table: t, kind } => {
            if dialect == Dialect::Sqlite {
                return sqlite_alter("dropping a constraint");
            }
            let what = match (dialect, kind.as_deref()) {
                (Dialect::MySql, Some("foreignkey")) => format!("FOREIGN KEY {}", ident(dialect, name)),
                (Dialect::MySql, Some("unique")) => format!("INDEX {}", ident(dialect, name)),
                (Dialect::MySql, Some("primary")) => "PRIMARY KEY".to_owned(),
                // Alembic offline writes MySQL's `DROP CHECK`, online on
                // MariaDB `DROP CONSTRAINT`: the second runs on both (MySQL
                // 8.0.19+).
                (Dialect::MySql, Some("check")) => format!("CONSTRAINT {}", ident(dialect, name)),
                (Dialect::MySql, _) => {
                    return Err(
                        "drop_constraint on MySQL needs type_ (foreignkey, unique, primary or check)".to_owned()
                    );
                }
                _ => format!("CONSTRAINT {}", ident(dialect, name)),
            };
            vec![format!("ALTER TABLE {} DROP {what}", table(dialect, t))]
        }
        Op::AlterColumn(alter) => alter_column(dialect, alter)?,
        Op::Execute(sql) => vec![sql.clone()],
    })
}

fn create_table(
    dialect: Dialect,
    t: &Qualified,
    columns: &[ColumnDef],
    constraints: &[Constraint],
    mysql_engine: Option<&str>,
) -> Result<Vec<String>, Refusal> {
    // The key: from a PrimaryKeyConstraint, else the columns marked.
    let key: Vec<String> = constraints
        .iter()
        .find_map(|c| match c {
            Constraint::PrimaryKey { columns, .. } => Some(columns.clone()),
            _ => None,
        })
        .unwrap_or_else(|| columns.iter().filter(|c| c.primary_key).map(|c| c.name.clone()).collect());
    let mut elements = Vec::new();
    for column in columns {
        let in_key = key.contains(&column.name);
        let not_null = column.nullable == Some(false) || (column.nullable.is_none() && in_key);
        // SQLAlchemy's "auto": the one integer column of the key, with no
        // foreign key and no default, numbers itself.
        // A key column that is also a foreign key (in the column or in a
        // table-level constraint) does not number itself.
        let referencing = column.foreign_key.is_some()
            || constraints.iter().any(|c| matches!(c, Constraint::ForeignKey(r) if r.columns.contains(&column.name)));
        let autoincrement = in_key
            && key.len() == 1
            && is_integer(&column.ty).is_some()
            && column.autoincrement != Some(false)
            && !referencing
            && column.default.is_none()
            && dialect != Dialect::Sqlite;
        elements.push(column_sql(column, dialect, not_null, autoincrement)?);
    }
    let explicit_key = constraints.iter().find(|c| matches!(c, Constraint::PrimaryKey { .. }));
    match explicit_key {
        Some(pk) => elements.push(constraint_sql(dialect, pk)),
        None if !key.is_empty() => elements.push(format!("PRIMARY KEY ({})", names(dialect, &key))),
        None => {}
    }
    for constraint in constraints.iter().filter(|c| !matches!(c, Constraint::PrimaryKey { .. })) {
        elements.push(constraint_sql(dialect, constraint));
    }
    for column in columns {
        if column.unique {
            elements.push(format!("UNIQUE ({})", ident(dialect, &column.name)));
        }
        if let Some(r) = &column.foreign_key {
            elements.push(reference_sql(dialect, r));
        }
    }
    let mut sql = format!("CREATE TABLE {} (\n    {}\n)", table(dialect, t), elements.join(", \n    "));
    if let (Dialect::MySql, Some(engine)) = (dialect, mysql_engine) {
        sql.push_str(&format!("ENGINE={engine}"));
    }
    let mut statements = Vec::new();
    if dialect == Dialect::Postgres {
        for column in columns {
            statements.extend(create_enum_type(&column.ty)?);
        }
    }
    statements.push(sql);
    statements.extend(comments_on(dialect, t, columns));
    for column in columns.iter().filter(|c| c.index) {
        statements.push(format!(
            "CREATE INDEX {} ON {} ({})",
            ident(dialect, &format!("ix_{}_{}", t.name, column.name)),
            table(dialect, t),
            ident(dialect, &column.name)
        ));
    }
    Ok(statements)
}

fn alter_column(dialect: Dialect, a: &AlterColumn) -> Result<Vec<String>, Refusal> {
    let t = table(dialect, &a.table);
    let c = ident(dialect, &a.column);
    match dialect {
        Dialect::Sqlite => Err(format!(
            "alter_column on SQLite: its ALTER TABLE cannot change a column; Alembic does it in `batch_alter_table`, which retort does not translate yet (column {}.{})",
            a.table.name, a.column
        )),
        Dialect::Postgres => {
            let mut statements = Vec::new();
            // Alembic's order: the type (with USING), the nullability, the
            // default, the name last.
            match (&a.type_, &a.postgresql_using) {
                (Some(ty), using) => {
                    let mut sql = format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {}", type_sql(ty, dialect)?);
                    if let Some(using) = using {
                        sql.push_str(&format!(" USING {using}"));
                    }
                    statements.push(sql);
                }
                (None, Some(_)) => return Err("postgresql_using must be used with the type_ parameter".to_owned()),
                (None, None) => {}
            }
            if let Some(nullable) = a.nullable {
                statements.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} {} NOT NULL",
                    if nullable { "DROP" } else { "SET" }
                ));
            }
            if let Some(default) = &a.server_default {
                statements.push(match default {
                    Some(d) => format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}", default_sql(d, dialect)),
                    None => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
                });
            }
            if let Some(new) = &a.new_name {
                statements.push(format!("ALTER TABLE {t} RENAME {c} TO {}", ident(dialect, new)));
            }
            Ok(statements)
        }
        Dialect::MySql => {
            let changes_definition = a.nullable.is_some() || a.type_.is_some() || a.new_name.is_some();
            if !changes_definition {
                return Ok(match &a.server_default {
                    Some(Some(d)) => {
                        vec![format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}", default_sql(d, dialect))]
                    }
                    Some(None) => vec![format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")],
                    None => Vec::new(),
                });
            }
            let ty = a
                .type_
                .as_ref()
                .or(a.existing_type.as_ref())
                .ok_or("All MySQL CHANGE/MODIFY COLUMN operations require the existing type (existing_type=)")?;
            let nullable = a.nullable.or(a.existing_nullable).unwrap_or(true);
            let mut definition = format!("{} {}", type_sql(ty, dialect)?, if nullable { "NULL" } else { "NOT NULL" });
            let default = match &a.server_default {
                Some(d) => d.as_ref(),
                None => a.existing_server_default.as_ref(),
            };
            if let Some(d) = default {
                definition.push_str(&format!(" DEFAULT {}", default_sql(d, dialect)));
            }
            Ok(vec![match &a.new_name {
                Some(new) => format!("ALTER TABLE {t} CHANGE {c} {} {definition}", ident(dialect, new)),
                None => format!("ALTER TABLE {t} MODIFY {c} {definition}"),
            }])
        }
    }
}
