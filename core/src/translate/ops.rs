//! The operations of an Alembic body, read from its calls: `op.*` with
//! their arguments, `sa.Column`, SQLAlchemy types and constraints.

use super::expr::{Call, Expr};

/// A table or index name and its schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Qualified {
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
}

/// A SQLAlchemy type: its name (`String`, `postgresql.JSONB`) and
/// arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SaType {
    pub(crate) name: String,
    pub(crate) args: Vec<Expr>,
    pub(crate) kwargs: Vec<(String, Expr)>,
}

/// A server default: a string (quoted in SQL) or `sa.text(…)` (as is).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Default {
    Quoted(String),
    Raw(String),
    /// `sa.true()`, `sa.false()`: the engine's own spelling.
    Boolean(bool),
}

/// A foreign key's target and actions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reference {
    pub(crate) name: Option<String>,
    pub(crate) columns: Vec<String>,
    pub(crate) table: Qualified,
    pub(crate) remote: Vec<String>,
    pub(crate) ondelete: Option<String>,
    pub(crate) onupdate: Option<String>,
}

/// `sa.Column(…)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub(crate) name: String,
    pub(crate) ty: SaType,
    /// As given; `None` when not given.
    pub(crate) nullable: Option<bool>,
    pub(crate) primary_key: bool,
    pub(crate) autoincrement: Option<bool>,
    pub(crate) default: Option<Default>,
    pub(crate) unique: bool,
    pub(crate) index: bool,
    pub(crate) foreign_key: Option<Reference>,
    /// `comment=`.
    pub(crate) comment: Option<String>,
}

/// A table-level constraint of `create_table`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Constraint {
    PrimaryKey { name: Option<String>, columns: Vec<String> },
    Unique { name: Option<String>, columns: Vec<String> },
    Check { name: Option<String>, condition: String },
    ForeignKey(Reference),
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    CreateTable {
        table: Qualified,
        columns: Vec<ColumnDef>,
        constraints: Vec<Constraint>,
        mysql_engine: Option<String>,
    },
    DropTable {
        table: Qualified,
    },
    RenameTable {
        from: Qualified,
        to: String,
    },
    AddColumn {
        table: Qualified,
        column: ColumnDef,
    },
    DropColumn {
        table: Qualified,
        column: String,
    },
    CreateIndex {
        name: String,
        table: Qualified,
        columns: Vec<String>,
        unique: bool,
        postgresql_where: Option<String>,
        sqlite_where: Option<String>,
        postgresql_using: Option<String>,
        concurrently: bool,
    },
    DropIndex {
        name: String,
        table: Option<Qualified>,
        if_exists: bool,
        concurrently: bool,
    },
    AddConstraint {
        table: Qualified,
        constraint: Constraint,
    },
    DropConstraint {
        name: String,
        table: Qualified,
        kind: Option<String>,
    },
    AlterColumn(AlterColumn),
    Execute(String),
    /// `op.bulk_insert(sa.table(…), [{…}, …])`: the table's columns (name,
    /// type) and each row's values by column.
    BulkInsert {
        table: Qualified,
        columns: Vec<(String, Option<SaType>)>,
        rows: Vec<Vec<(String, Expr)>>,
    },
}

/// `op.alter_column`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlterColumn {
    pub(crate) table: Qualified,
    pub(crate) column: String,
    pub(crate) nullable: Option<bool>,
    /// `Some(None)`: drop the default.
    pub(crate) server_default: Option<Option<Default>>,
    pub(crate) type_: Option<SaType>,
    pub(crate) new_name: Option<String>,
    pub(crate) existing_type: Option<SaType>,
    pub(crate) existing_nullable: Option<bool>,
    pub(crate) existing_server_default: Option<Default>,
    pub(crate) postgresql_using: Option<String>,
}

/// Why a call cannot be read: what it is.
pub(crate) type Refusal = String;

fn string(expr: Option<&Expr>, what: &str) -> Result<String, Refusal> {
    match expr {
        Some(Expr::Str(s)) => Ok(s.clone()),
        // `op.f("name")`, `batch_op.f("name")`: the name as given.
        Some(Expr::Call(call)) if call.func == "op.f" || call.func.ends_with(".f") => string(call.args.first(), what),
        Some(Expr::None) | None => Err(format!(
            "{what} is not given (None): its name comes from the project's naming convention, which lives outside the revision; write the name"
        )),
        Some(other) => Err(format!("{what} is not a string literal ({})", short(other))),
    }
}

fn optional_string(expr: Option<&Expr>, what: &str) -> Result<Option<String>, Refusal> {
    match expr {
        None | Some(Expr::None) => Ok(None),
        some => string(some, what).map(Some),
    }
}

fn strings(expr: Option<&Expr>, what: &str) -> Result<Vec<String>, Refusal> {
    match expr {
        Some(Expr::List(items)) => items.iter().map(|i| string(Some(i), what)).collect(),
        Some(Expr::Str(s)) => Ok(vec![s.clone()]),
        _ => Err(format!("{what} is not a list of names")),
    }
}

fn boolean(expr: Option<&Expr>, what: &str) -> Result<Option<bool>, Refusal> {
    match expr {
        None | Some(Expr::None) => Ok(None),
        Some(Expr::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!("{what} is not True or False ({})", short(other))),
    }
}

fn short(expr: &Expr) -> String {
    match expr {
        Expr::Call(call) => format!("a call of `{}`", call.func),
        Expr::Name(name) => format!("`{name}`"),
        other => format!("{other:?}"),
    }
}

/// The last part of a dotted name (`sa.Integer` → `Integer`), with the
/// dialect module kept (`postgresql.JSONB`).
fn type_name(func: &str) -> String {
    let parts: Vec<&str> = func.split('.').collect();
    match parts.as_slice() {
        [.., module, name] if matches!(*module, "postgresql" | "mysql" | "sqlite") => format!("{module}.{name}"),
        [.., name] => (*name).to_owned(),
        [] => String::new(),
    }
}

/// A type: `sa.String(50)`, `sa.Integer`, `sa.Integer()`.
pub(crate) fn sa_type(expr: &Expr) -> Result<SaType, Refusal> {
    match expr {
        Expr::Call(call) => {
            Ok(SaType { name: type_name(&call.func), args: call.args.clone(), kwargs: call.kwargs.clone() })
        }
        Expr::Name(name) => Ok(SaType { name: type_name(name), args: Vec::new(), kwargs: Vec::new() }),
        other => Err(format!("the type is {}", short(other))),
    }
}

fn default(expr: Option<&Expr>) -> Result<Option<Default>, Refusal> {
    match expr {
        None | Some(Expr::None) => Ok(None),
        Some(Expr::Str(s)) => Ok(Some(Default::Quoted(s.clone()))),
        Some(Expr::Call(call)) if call.func.ends_with("text") => {
            Ok(Some(Default::Raw(string(call.args.first(), "the text")?)))
        }
        Some(Expr::Call(call)) if call.func.ends_with("true") && call.args.is_empty() => {
            Ok(Some(Default::Boolean(true)))
        }
        Some(Expr::Call(call)) if call.func.ends_with("false") && call.args.is_empty() => {
            Ok(Some(Default::Boolean(false)))
        }
        Some(other) => Err(format!("the server_default is {}", short(other))),
    }
}

fn qualified(name: Option<&Expr>, schema: Option<&Expr>, what: &str) -> Result<Qualified, Refusal> {
    Ok(Qualified { schema: optional_string(schema, "schema")?, name: string(name, what)? })
}

/// `table.column` or `schema.table.column` of `sa.ForeignKey`.
fn target(spec: &str) -> Result<(Qualified, String), Refusal> {
    let parts: Vec<&str> = spec.split('.').collect();
    match parts.as_slice() {
        [table, column] => Ok((Qualified { schema: None, name: (*table).to_owned() }, (*column).to_owned())),
        [schema, table, column] => {
            Ok((Qualified { schema: Some((*schema).to_owned()), name: (*table).to_owned() }, (*column).to_owned()))
        }
        _ => Err(format!("the foreign key target '{spec}' is not table.column")),
    }
}

fn actions(call: &Call) -> Result<(Option<String>, Option<String>), Refusal> {
    Ok((optional_string(call.kwarg("ondelete"), "ondelete")?, optional_string(call.kwarg("onupdate"), "onupdate")?))
}

fn known_kwargs(call: &Call, known: &[&str]) -> Result<(), Refusal> {
    match call.kwargs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(format!("`{}` with the keyword `{k}`", call.func)),
        None => Ok(()),
    }
}

/// `sa.Column(name, type, *constraints, **options)`.
pub(crate) fn column(call: &Call) -> Result<ColumnDef, Refusal> {
    // `default=`, `onupdate=`, `doc=`, `info=`: Python-side only, no DDL.
    known_kwargs(
        call,
        &[
            "nullable",
            "primary_key",
            "autoincrement",
            "server_default",
            "unique",
            "index",
            "comment",
            "default",
            "onupdate",
            "doc",
            "info",
        ],
    )?;
    let name = string(call.args.first(), "the column name")?;
    let ty = sa_type(call.args.get(1).ok_or("a column without a type")?)?;
    let mut foreign_key = None;
    for extra in &call.args[2..] {
        match extra {
            Expr::Call(fk) if fk.func.ends_with("ForeignKey") => {
                known_kwargs(fk, &["ondelete", "onupdate", "name"])?;
                let (table, remote) = target(&string(fk.args.first(), "the foreign key target")?)?;
                let (ondelete, onupdate) = actions(fk)?;
                foreign_key = Some(Reference {
                    name: optional_string(fk.kwarg("name"), "the constraint name")?,
                    columns: vec![name.clone()],
                    table,
                    remote: vec![remote],
                    ondelete,
                    onupdate,
                });
            }
            other => return Err(format!("a column argument {}", short(other))),
        }
    }
    let autoincrement = match call.kwarg("autoincrement") {
        Some(Expr::Str(s)) if s == "auto" => None,
        other => boolean(other, "autoincrement")?,
    };
    Ok(ColumnDef {
        name,
        ty,
        nullable: boolean(call.kwarg("nullable"), "nullable")?,
        primary_key: boolean(call.kwarg("primary_key"), "primary_key")?.unwrap_or(false),
        autoincrement,
        default: default(call.kwarg("server_default"))?,
        unique: boolean(call.kwarg("unique"), "unique")?.unwrap_or(false),
        index: boolean(call.kwarg("index"), "index")?.unwrap_or(false),
        foreign_key,
        comment: optional_string(call.kwarg("comment"), "the column comment")?,
    })
}

fn constraint(call: &Call) -> Result<Constraint, Refusal> {
    let name = optional_string(call.kwarg("name"), "the constraint name")?;
    let columns = || -> Result<Vec<String>, Refusal> {
        call.args.iter().map(|a| string(Some(a), "a constraint column")).collect()
    };
    match type_name(&call.func).as_str() {
        "PrimaryKeyConstraint" => {
            known_kwargs(call, &["name"])?;
            Ok(Constraint::PrimaryKey { name, columns: columns()? })
        }
        "UniqueConstraint" => {
            known_kwargs(call, &["name"])?;
            Ok(Constraint::Unique { name, columns: columns()? })
        }
        "CheckConstraint" => {
            known_kwargs(call, &["name"])?;
            Ok(Constraint::Check { name, condition: string(call.args.first(), "the check condition")? })
        }
        "ForeignKeyConstraint" => {
            known_kwargs(call, &["name", "ondelete", "onupdate"])?;
            let local = strings(call.args.first(), "the foreign key columns")?;
            let remote = strings(call.args.get(1), "the referenced columns")?;
            let mut table = None;
            let mut remote_columns = Vec::new();
            for spec in remote {
                let (t, c) = target(&spec)?;
                table = Some(t);
                remote_columns.push(c);
            }
            let (ondelete, onupdate) = actions(call)?;
            Ok(Constraint::ForeignKey(Reference {
                name,
                columns: local,
                table: table.ok_or("a foreign key without referenced columns")?,
                remote: remote_columns,
                ondelete,
                onupdate,
            }))
        }
        other => Err(format!("a table argument `{other}`")),
    }
}

/// The operation an `op.*` call performs.
pub(crate) fn operation(call: &Call) -> Result<Op, Refusal> {
    let Some(verb) = call.func.strip_prefix("op.") else {
        return Err(format!("a call of `{}` (only `op.*` operations are translated)", call.func));
    };
    let schema = call.kwarg("schema");
    match verb {
        "create_table" => {
            let mut columns = Vec::new();
            let mut constraints = Vec::new();
            for arg in &call.args[1..] {
                match arg {
                    Expr::Call(c) if type_name(&c.func) == "Column" => columns.push(column(c)?),
                    Expr::Call(c) => constraints.push(constraint(c)?),
                    other => return Err(format!("a create_table argument {}", short(other))),
                }
            }
            known_kwargs(call, &["schema", "mysql_engine"])?;
            Ok(Op::CreateTable {
                table: qualified(call.args.first(), schema, "the table name")?,
                columns,
                constraints,
                mysql_engine: optional_string(call.kwarg("mysql_engine"), "mysql_engine")?,
            })
        }
        "drop_table" => {
            known_kwargs(call, &["schema"])?;
            Ok(Op::DropTable { table: qualified(call.arg(0, "table_name"), schema, "the table name")? })
        }
        "rename_table" => {
            known_kwargs(call, &["schema"])?;
            Ok(Op::RenameTable {
                from: qualified(call.arg(0, "old_table_name"), schema, "the table name")?,
                to: string(call.arg(1, "new_table_name"), "the new name")?,
            })
        }
        "add_column" => {
            known_kwargs(call, &["schema"])?;
            let Some(Expr::Call(c)) = call.args.get(1) else { return Err("add_column without a sa.Column".to_owned()) };
            Ok(Op::AddColumn { table: qualified(call.args.first(), schema, "the table name")?, column: column(c)? })
        }
        "drop_column" => {
            known_kwargs(call, &["schema"])?;
            Ok(Op::DropColumn {
                table: qualified(call.arg(0, "table_name"), schema, "the table name")?,
                column: string(call.arg(1, "column_name"), "the column name")?,
            })
        }
        "create_index" => {
            known_kwargs(
                call,
                &[
                    "unique",
                    "schema",
                    "postgresql_where",
                    "sqlite_where",
                    "postgresql_using",
                    "postgresql_concurrently",
                ],
            )?;
            let where_of = |key: &str| match call.kwarg(key) {
                None | Some(Expr::None) => Ok(None),
                Some(Expr::Call(t)) if t.func.ends_with("text") => string(t.args.first(), "the WHERE text").map(Some),
                Some(other) => Err(format!("{key} is {}", short(other))),
            };
            Ok(Op::CreateIndex {
                name: string(call.arg(0, "index_name"), "the index name")?,
                table: qualified(call.arg(1, "table_name"), schema, "the table name")?,
                columns: strings(call.arg(2, "columns"), "the index columns")?,
                unique: boolean(call.kwarg("unique"), "unique")?.unwrap_or(false),
                postgresql_where: where_of("postgresql_where")?,
                sqlite_where: where_of("sqlite_where")?,
                postgresql_using: optional_string(call.kwarg("postgresql_using"), "postgresql_using")?,
                concurrently: boolean(call.kwarg("postgresql_concurrently"), "postgresql_concurrently")?
                    .unwrap_or(false),
            })
        }
        "drop_index" => {
            known_kwargs(call, &["table_name", "schema", "if_exists", "postgresql_concurrently"])?;
            let table = match call.arg(1, "table_name") {
                None | Some(Expr::None) => None,
                some => Some(qualified(some, schema, "the table name")?),
            };
            let if_exists = boolean(call.kwarg("if_exists"), "if_exists")?.unwrap_or(false);
            let concurrently =
                boolean(call.kwarg("postgresql_concurrently"), "postgresql_concurrently")?.unwrap_or(false);
            Ok(Op::DropIndex {
                name: string(call.arg(0, "index_name"), "the index name")?,
                table,
                if_exists,
                concurrently,
            })
        }
        "create_primary_key" => {
            known_kwargs(call, &["schema"])?;
            Ok(Op::AddConstraint {
                table: qualified(call.args.get(1), schema, "the table name")?,
                constraint: Constraint::PrimaryKey {
                    name: Some(string(call.args.first(), "the constraint name")?),
                    columns: strings(call.args.get(2), "the columns")?,
                },
            })
        }
        "bulk_insert" => {
            known_kwargs(call, &["multiinsert"])?;
            if matches!(call.kwarg("multiinsert"), Some(Expr::Bool(false))) {
                return Err("bulk_insert with multiinsert=False".to_owned());
            }
            let Some(Expr::Call(table)) =
                call.args.first().filter(|t| matches!(t, Expr::Call(c) if c.func.ends_with("table")))
            else {
                return Err("bulk_insert into something other than a `sa.table(…)` bound at module level".to_owned());
            };
            known_kwargs(table, &["schema"])?;
            let mut columns = Vec::new();
            for column in &table.args[1..] {
                let Expr::Call(column) = column else {
                    return Err("a sa.table argument that is not sa.column(…)".to_owned());
                };
                let ty = column.args.get(1).map(sa_type).transpose()?;
                columns.push((string(column.args.first(), "the column name")?, ty));
            }
            let Some(Expr::List(rows)) = call.args.get(1) else {
                return Err("bulk_insert rows that are not a list".to_owned());
            };
            let rows = rows
                .iter()
                .map(|row| match row {
                    Expr::Dict(pairs) => pairs
                        .iter()
                        .map(|(k, v)| match v {
                            Expr::Str(_) | Expr::Num(_) | Expr::Bool(_) | Expr::None => {
                                Ok((string(Some(k), "a row key")?, v.clone()))
                            }
                            other => Err(format!("a row value {}", short(other))),
                        })
                        .collect::<Result<Vec<_>, _>>(),
                    other => Err(format!("a row {}", short(other))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Op::BulkInsert {
                table: qualified(table.args.first(), table.kwarg("schema"), "the table name")?,
                columns,
                rows,
            })
        }
        "create_foreign_key" => {
            known_kwargs(call, &["ondelete", "onupdate", "source_schema", "referent_schema"])?;
            let (ondelete, onupdate) = actions(call)?;
            let source = qualified(call.args.get(1), call.kwarg("source_schema"), "the table name")?;
            Ok(Op::AddConstraint {
                table: source,
                constraint: Constraint::ForeignKey(Reference {
                    name: Some(string(call.args.first(), "the constraint name")?),
                    columns: strings(call.args.get(3), "the local columns")?,
                    table: qualified(call.args.get(2), call.kwarg("referent_schema"), "the referenced table")?,
                    remote: strings(call.args.get(4), "the referenced columns")?,
                    ondelete,
                    onupdate,
                }),
            })
        }
        "create_unique_constraint" => {
            known_kwargs(call, &["schema"])?;
            Ok(Op::AddConstraint {
                table: qualified(call.args.get(1), schema, "the table name")?,
                constraint: Constraint::Unique {
                    name: Some(string(call.args.first(), "the constraint name")?),
                    columns: strings(call.args.get(2), "the columns")?,
                },
            })
        }
        "create_check_constraint" => {
            known_kwargs(call, &["schema"])?;
            Ok(Op::AddConstraint {
                table: qualified(call.args.get(1), schema, "the table name")?,
                constraint: Constraint::Check {
                    name: Some(string(call.args.first(), "the constraint name")?),
                    condition: string(call.args.get(2), "the condition")?,
                },
            })
        }
        "drop_constraint" => {
            known_kwargs(call, &["type_", "schema"])?;
            Ok(Op::DropConstraint {
                name: string(call.arg(0, "constraint_name"), "the constraint name")?,
                table: qualified(call.arg(1, "table_name"), schema, "the table name")?,
                kind: optional_string(call.kwarg("type_"), "type_")?,
            })
        }
        "alter_column" => {
            known_kwargs(
                call,
                &[
                    "nullable",
                    "server_default",
                    "type_",
                    "new_column_name",
                    "existing_type",
                    "existing_nullable",
                    "existing_server_default",
                    "postgresql_using",
                    "schema",
                ],
            )?;
            let server_default = match call.kwarg("server_default") {
                None | Some(Expr::Bool(false)) => None,
                Some(Expr::None) => Some(None),
                some => Some(default(some)?),
            };
            let existing_server_default = match call.kwarg("existing_server_default") {
                None | Some(Expr::None) | Some(Expr::Bool(false)) => None,
                some => default(some)?,
            };
            Ok(Op::AlterColumn(AlterColumn {
                table: qualified(call.arg(0, "table_name"), schema, "the table name")?,
                column: string(call.arg(1, "column_name"), "the column name")?,
                nullable: boolean(call.kwarg("nullable"), "nullable")?,
                server_default,
                type_: call.kwarg("type_").map(sa_type).transpose()?,
                new_name: optional_string(call.kwarg("new_column_name"), "new_column_name")?,
                existing_type: call.kwarg("existing_type").filter(|e| **e != Expr::None).map(sa_type).transpose()?,
                existing_nullable: boolean(call.kwarg("existing_nullable"), "existing_nullable")?,
                existing_server_default,
                postgresql_using: optional_string(call.kwarg("postgresql_using"), "postgresql_using")?,
            }))
        }
        "execute" => {
            known_kwargs(call, &[])?;
            match call.args.first() {
                Some(Expr::Str(sql)) => Ok(Op::Execute(sql.clone())),
                Some(Expr::Call(t)) if t.func.ends_with("text") && t.kwargs.is_empty() => {
                    Ok(Op::Execute(string(t.args.first(), "the SQL")?))
                }
                Some(other) => Err(format!("op.execute of {}", short(other))),
                None => Err("op.execute without SQL".to_owned()),
            }
        }
        other => Err(format!("`op.{other}`, which retort does not translate yet")),
    }
}
