//! Identifiers in SQL text, and the constraint names engines make up.
//!
//! A constraint or index the author did not name gets a name from the
//! engine (`account_pkey`, `note_ibfk_1`, `sqlite_autoindex_t_1`); two
//! databases built from one schema agree on what it means, not always on
//! those names, so comparisons and the canonical text leave them out.

use crate::Dialect;

/// Words that one of the three engines reserves (PostgreSQL's, MySQL's and
/// SQLite's keywords that cannot stand as a bare name), quoted in every
/// dialect: quoting a plain lower-case name changes nothing. Sorted, for a
/// binary search.
const RESERVED: &[&str] = &[
    "abort",
    "accessible",
    "add",
    "all",
    "alter",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "autoincrement",
    "before",
    "between",
    "bigint",
    "binary",
    "blob",
    "both",
    "by",
    "call",
    "cascade",
    "case",
    "cast",
    "change",
    "char",
    "character",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "condition",
    "conflict",
    "constraint",
    "continue",
    "convert",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "cursor",
    "database",
    "databases",
    "dec",
    "decimal",
    "declare",
    "default",
    "deferrable",
    "delayed",
    "delete",
    "desc",
    "describe",
    "deterministic",
    "distinct",
    "distinctrow",
    "div",
    "do",
    "double",
    "drop",
    "each",
    "else",
    "elseif",
    "enclosed",
    "end",
    "escaped",
    "except",
    "exists",
    "exit",
    "explain",
    "false",
    "fetch",
    "float",
    "float4",
    "float8",
    "for",
    "force",
    "foreign",
    "freeze",
    "from",
    "full",
    "fulltext",
    "generated",
    "get",
    "glob",
    "grant",
    "group",
    "groups",
    "having",
    "high_priority",
    "hour_microsecond",
    "if",
    "ignore",
    "ilike",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "inout",
    "insert",
    "instead",
    "int",
    "int1",
    "int2",
    "int3",
    "int4",
    "int8",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "iterate",
    "join",
    "key",
    "keys",
    "kill",
    "lateral",
    "lead",
    "leading",
    "leave",
    "left",
    "like",
    "limit",
    "lines",
    "load",
    "localtime",
    "localtimestamp",
    "lock",
    "long",
    "longblob",
    "longtext",
    "loop",
    "low_priority",
    "match",
    "mediumblob",
    "mediumint",
    "mediumtext",
    "minute_microsecond",
    "mod",
    "modifies",
    "natural",
    "not",
    "notnull",
    "null",
    "numeric",
    "offset",
    "on",
    "only",
    "optimize",
    "option",
    "optionally",
    "or",
    "order",
    "out",
    "outer",
    "outfile",
    "over",
    "overlaps",
    "partition",
    "placing",
    "pragma",
    "precision",
    "primary",
    "procedure",
    "purge",
    "raise",
    "range",
    "rank",
    "read",
    "reads",
    "real",
    "recursive",
    "references",
    "regexp",
    "release",
    "rename",
    "repeat",
    "replace",
    "require",
    "resignal",
    "restrict",
    "return",
    "returning",
    "revoke",
    "right",
    "rlike",
    "row",
    "rows",
    "schema",
    "schemas",
    "select",
    "separator",
    "session_user",
    "set",
    "show",
    "signal",
    "similar",
    "smallint",
    "some",
    "spatial",
    "specific",
    "sql",
    "sqlexception",
    "sqlstate",
    "sqlwarning",
    "ssl",
    "starting",
    "stored",
    "straight_join",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "terminated",
    "then",
    "tinyblob",
    "tinyint",
    "tinytext",
    "to",
    "trailing",
    "trigger",
    "true",
    "undo",
    "union",
    "unique",
    "unlock",
    "unsigned",
    "update",
    "usage",
    "user",
    "using",
    "utc_date",
    "utc_time",
    "utc_timestamp",
    "vacuum",
    "values",
    "varbinary",
    "varchar",
    "variadic",
    "varying",
    "verbose",
    "virtual",
    "when",
    "where",
    "while",
    "window",
    "with",
    "write",
    "xor",
    "year_month",
    "zerofill",
];

/// `name` as SQL of `dialect`: bare when it is a plain lower-case word that
/// no engine reserves, otherwise quoted (`"Name"`, MySQL `` `Name` ``).
pub fn quote_identifier(dialect: Dialect, name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && RESERVED.binary_search(&name).is_err();
    if plain {
        return name.to_owned();
    }
    match dialect {
        Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// The kinds of named things on a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum ConstraintKind {
    /// A primary key.
    PrimaryKey,
    /// A foreign key.
    ForeignKey,
    /// A unique constraint.
    Unique,
    /// A CHECK constraint.
    Check,
    /// An index.
    Index,
}

impl ConstraintKind {
    /// How people call it: `primary key`, `foreign key`…
    pub fn label(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Unique => "unique constraint",
            ConstraintKind::Check => "check constraint",
            ConstraintKind::Index => "index",
        }
    }
}

/// True when `name` is what `dialect` calls a `kind` on `table` that its
/// author left unnamed, so that it means nothing to a comparison:
///
/// - PostgreSQL: `<table>_pkey`, `<table>_<columns>_fkey`, `…_key`,
///   `…_check`, `…_idx`, with a number after a clash (`_fkey1`);
/// - MySQL/MariaDB: `PRIMARY`, `<table>_ibfk_<n>`, MySQL 8's
///   `<table>_chk_<n>`, MariaDB's `CONSTRAINT_<n>` and a column CHECK
///   named after its column (`columns`: those the condition names), a
///   unique index named after its first column
///   (`email`, `email_2`);
/// - SQLite: `sqlite_autoindex_<table>_<n>` (unnamed constraints have no
///   name at all there).
pub fn is_generated_name(dialect: Dialect, table: &str, kind: ConstraintKind, name: &str, columns: &[String]) -> bool {
    match dialect {
        Dialect::Postgres => {
            let suffix = match kind {
                ConstraintKind::PrimaryKey => "_pkey",
                ConstraintKind::ForeignKey => "_fkey",
                ConstraintKind::Unique => "_key",
                ConstraintKind::Check => "_check",
                ConstraintKind::Index => "_idx",
            };
            let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
            // PostgreSQL cuts long names to 63 bytes, table part first.
            let cut = (0..=table.len().min(20)).rev().find(|&i| table.is_char_boundary(i)).unwrap_or(0);
            let prefix = &table[..cut];
            stem.ends_with(suffix) && name.starts_with(prefix)
        }
        Dialect::MySql => match kind {
            ConstraintKind::PrimaryKey => name == "PRIMARY",
            ConstraintKind::ForeignKey => numbered(name, &format!("{table}_ibfk_")),
            ConstraintKind::Check => {
                numbered(name, &format!("{table}_chk_"))
                    || numbered(name, "CONSTRAINT_")
                    || columns.iter().any(|c| c == name)
            }
            ConstraintKind::Unique | ConstraintKind::Index => {
                columns.first().is_some_and(|first| name == first || numbered(name, &format!("{first}_")))
            }
        },
        Dialect::Sqlite => name.starts_with("sqlite_autoindex_"),
    }
}

/// The columns of `columns` that a CHECK's `condition` names, for the
/// engines that name a column's CHECK after it (MariaDB).
pub fn columns_named_in<'c>(columns: impl IntoIterator<Item = &'c str>, condition: &str) -> Vec<String> {
    let words: Vec<String> = condition
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    columns.into_iter().filter(|c| words.contains(&c.to_lowercase())).map(str::to_owned).collect()
}

/// True when `name` is `prefix` followed by digits only.
fn numbered(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reserved_words_are_sorted_for_the_search() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn plain_names_stay_bare_and_others_are_quoted_for_their_engine() {
        assert_eq!(quote_identifier(Dialect::Postgres, "account"), "account");
        assert_eq!(quote_identifier(Dialect::Postgres, "Account"), "\"Account\"");
        assert_eq!(quote_identifier(Dialect::Sqlite, "order"), "\"order\"");
        assert_eq!(quote_identifier(Dialect::MySql, "my col"), "`my col`");
        assert_eq!(quote_identifier(Dialect::MySql, "a`b"), "`a``b`");
        assert_eq!(quote_identifier(Dialect::Postgres, "1st"), "\"1st\"");
    }

    #[test]
    fn engine_made_names_are_recognised() {
        use ConstraintKind::*;
        assert!(is_generated_name(Dialect::Postgres, "account", PrimaryKey, "account_pkey", &[]));
        assert!(is_generated_name(Dialect::Postgres, "note", ForeignKey, "note_account_id_fkey1", &[]));
        assert!(is_generated_name(Dialect::Postgres, "account", Unique, "account_email_key", &[]));
        assert!(!is_generated_name(Dialect::Postgres, "account", Unique, "uq_account_email", &[]));
        assert!(is_generated_name(Dialect::MySql, "note", ForeignKey, "note_ibfk_2", &[]));
        assert!(!is_generated_name(Dialect::MySql, "note", ForeignKey, "fk_note_account", &[]));
        assert!(is_generated_name(Dialect::MySql, "t", Unique, "email_2", &cols(&["email"])));
        assert!(is_generated_name(Dialect::MySql, "t", Check, "CONSTRAINT_1", &[]));
        assert!(is_generated_name(Dialect::Sqlite, "t", Unique, "sqlite_autoindex_t_1", &[]));
        assert!(!is_generated_name(Dialect::Sqlite, "t", Index, "ix_t_a", &[]));
        // A long name of wide characters is cut on a character boundary.
        assert!(is_generated_name(Dialect::Postgres, "заказы_клиентов", PrimaryKey, "заказы_клиентов_pkey", &[]));
    }
}
