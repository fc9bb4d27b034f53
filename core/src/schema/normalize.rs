//! Normalisation: two spellings of one schema must compare equal.
//!
//! PostgreSQL and MariaDB print types, CHECKs and index definitions in one
//! form whatever the author wrote, so most of their text is compared as the
//! engine printed it. What they keep as written — PostgreSQL's default
//! expressions (`'x'::text` against `'x'::character varying`, `now()`
//! against `CURRENT_TIMESTAMP`), MySQL's integer display widths — and
//! nearly everything SQLite keeps (declared types, defaults and CHECKs as
//! written) is brought to one form here.

use super::expr::{Identifiers, normalize_expression};
use super::model::{Column, Index, Schema, Table};
use super::scan::{opens_quote, skip_quoted, split_top_level};
use crate::Dialect;

impl Schema {
    /// Fills every `normalized` field from the engine's text. Introspection
    /// calls it; call it again after changing the engine's text by hand.
    pub fn normalize(&mut self) {
        let dialect = self.dialect.unwrap_or(Dialect::Sqlite);
        for table in self.tables.values_mut() {
            normalize_table(dialect, table);
        }
        for view in self.views.values_mut() {
            view.normalized = normalize_view(dialect, &view.definition);
        }
    }
}

fn identifiers(dialect: Dialect) -> Identifiers {
    match dialect {
        Dialect::Postgres => Identifiers::QuotedKeepCase,
        Dialect::MySql | Dialect::Sqlite => Identifiers::CaseInsensitive,
    }
}

fn normalize_table(dialect: Dialect, table: &mut Table) {
    for column in &mut table.columns {
        normalize_column(dialect, column);
    }
    for check in &mut table.checks {
        check.normalized = normalize_expression(&check.expression, identifiers(dialect));
    }
    for index in &mut table.indexes {
        normalize_index(dialect, index);
    }
}

fn normalize_column(dialect: Dialect, column: &mut Column) {
    column.normalized_type = normalize_type(dialect, &column.data_type);
    column.normalized_default = column.default.as_deref().and_then(|d| normalize_default(dialect, d));
    // MySQL's ON UPDATE clock, in the default's form (`current_timestamp()`
    // is `CURRENT_TIMESTAMP`).
    column.on_update = column.on_update.as_deref().and_then(|u| normalize_default(dialect, u));
    if let Some(generated) = &mut column.generated {
        generated.normalized = normalize_expression(&generated.expression, identifiers(dialect));
    }
}

fn normalize_index(dialect: Dialect, index: &mut Index) {
    for key in &mut index.keys {
        key.normalized = if key.is_expression {
            normalize_expression(&key.expression, identifiers(dialect))
        } else if dialect == Dialect::Postgres {
            key.expression.clone()
        } else {
            key.expression.to_lowercase()
        };
    }
    index.normalized_predicate = index.predicate.as_deref().map(|p| normalize_expression(p, identifiers(dialect)));
}

/// A view's query (PostgreSQL and MySQL print it in their own form; SQLite
/// keeps it as written): cut at its clauses (`select`, `from`, `where`…)
/// and, within a clause, at its commas outside parentheses, each piece
/// normalised as an expression.
fn normalize_view(dialect: Dialect, definition: &str) -> String {
    let trimmed = definition.trim().trim_end_matches(';').trim_end();
    normalize_query(trimmed, identifiers(dialect))
}

/// Words that open a clause of a query.
const CLAUSES: &[&str] = &[
    "select",
    "from",
    "where",
    "group",
    "having",
    "order",
    "limit",
    "offset",
    "union",
    "intersect",
    "except",
    "join",
    "on",
    "using",
    "window",
    "values",
];

/// A query, clause by clause, each clause's comma-separated items
/// normalised as expressions.
pub(crate) fn normalize_query(text: &str, identifiers: Identifiers) -> String {
    let mut out: Vec<String> = Vec::new();
    for (keyword, body) in clauses(text) {
        let items: Vec<String> = split_top_level(body, b',')
            .into_iter()
            .map(|item| normalize_expression(item, identifiers))
            .filter(|item| !item.is_empty())
            .collect();
        let piece = match (keyword.is_empty(), items.is_empty()) {
            (true, _) => items.join(", "),
            (false, true) => keyword.to_owned(),
            (false, false) => format!("{keyword} {}", items.join(", ")),
        };
        if !piece.is_empty() {
            out.push(piece);
        }
    }
    out.join(" ")
}

/// Cuts a query before each clause word at nesting level 0: (the clause's
/// word lower-cased, its text).
fn clauses(text: &str) -> Vec<(String, &str)> {
    let bytes = text.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new(); // (word start, word end)
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b if opens_quote(b) => i = skip_quoted(bytes, i).unwrap_or(bytes.len()),
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
                    i += 1;
                }
                let before_ok = start == 0 || bytes[start - 1] != b'.';
                let word = text[start..i].to_ascii_lowercase();
                if depth == 0 && before_ok && CLAUSES.contains(&word.as_str()) {
                    cuts.push((start, i));
                }
            }
            _ => i += 1,
        }
    }
    let mut pieces = Vec::new();
    let mut last_end = 0;
    let mut keyword = String::new();
    for (start, end) in cuts {
        pieces.push((std::mem::take(&mut keyword), &text[last_end..start]));
        keyword = text[start..end].to_ascii_lowercase();
        last_end = end;
    }
    pieces.push((keyword, &text[last_end..]));
    pieces
}

/// The form of a column type that comparisons use.
///
/// - PostgreSQL: `format_type` is already canonical (`character
///   varying(20)`, `timestamp with time zone`).
/// - MySQL/MariaDB: lower case, integer display widths dropped (MySQL 8.0.19
///   no longer prints them) except `tinyint(1)`, which is how both spell
///   `BOOLEAN`.
/// - SQLite: the declared type as written, upper-cased, with white space
///   collapsed (`varchar ( 20 )` is `VARCHAR(20)`).
pub fn normalize_type(dialect: Dialect, data_type: &str) -> String {
    match dialect {
        Dialect::Postgres => data_type.trim().to_owned(),
        Dialect::MySql => mysql_type(data_type),
        Dialect::Sqlite => sqlite_type(data_type),
    }
}

fn mysql_type(data_type: &str) -> String {
    let lower = collapse(data_type).to_lowercase();
    const WIDTH_IGNORED: [&str; 5] = ["tinyint", "smallint", "mediumint", "int", "bigint"];
    if let Some(open) = lower.find('(') {
        let base = lower[..open].trim_end();
        let close = lower[open..].find(')').map(|i| open + i);
        if let Some(close) = close
            && WIDTH_IGNORED.contains(&base)
            && lower[open + 1..close].chars().all(|c| c.is_ascii_digit())
            && !(base == "tinyint" && &lower[open + 1..close] == "1")
        {
            return format!("{base}{}", &lower[close + 1..]);
        }
        if base == "year" {
            return "year".to_owned();
        }
    }
    lower
}

fn sqlite_type(data_type: &str) -> String {
    let upper = collapse(data_type).to_uppercase();
    upper.replace(" (", "(").replace("( ", "(").replace(" )", ")").replace(" ,", ",").replace(", ", ",")
}

/// White space runs folded to one space, ends trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form of a default expression that comparisons use; `None` when the
/// text means no default (MariaDB prints `NULL` for a nullable column with
/// none).
pub fn normalize_default(dialect: Dialect, default: &str) -> Option<String> {
    let text = default.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("null") {
        return None;
    }
    let text = match dialect {
        Dialect::Postgres => strip_text_cast(text),
        _ => text,
    };
    let normalized = normalize_expression(text, identifiers(dialect));
    Some(match normalized.as_str() {
        // One clock, many spellings: PostgreSQL prints `now()` as written,
        // MariaDB `current_timestamp()`.
        "now()" | "current_timestamp()" | "transaction_timestamp()" => "current_timestamp".to_owned(),
        "localtimestamp()" => "localtimestamp".to_owned(),
        "current_date()" | "curdate()" => "current_date".to_owned(),
        _ => normalized,
    })
}

/// `'x'::text` and `'x'::character varying` are one default: PostgreSQL
/// keeps whichever cast the author wrote (or the column's type when none
/// was), and both make the same value for a text column.
fn strip_text_cast(text: &str) -> &str {
    const TEXT_CASTS: [&str; 5] = ["::text", "::character varying", "::bpchar", "::varchar", "::character"];
    if !text.starts_with('\'') {
        return text;
    }
    for cast in TEXT_CASTS {
        if let Some(literal) = text.strip_suffix(cast)
            && is_one_string_literal(literal)
        {
            return literal;
        }
    }
    text
}

/// True when `text` is exactly one `'…'` literal (`''` inside).
fn is_one_string_literal(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) else { return false };
    !inner.replace("''", "").contains('\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_text_casts_on_string_defaults_are_one_default() {
        let a = normalize_default(Dialect::Postgres, "'x'::text");
        let b = normalize_default(Dialect::Postgres, "'x'::character varying");
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("'x'"));
        // Not a text cast, or not one literal: kept.
        assert_eq!(normalize_default(Dialect::Postgres, "'1'::integer").as_deref(), Some("'1'::integer"));
        assert_ne!(normalize_default(Dialect::Postgres, "'a'::text || 'b'::text").as_deref(), Some("'a'::text || 'b'"));
    }

    #[test]
    fn clock_spellings_are_one_default() {
        let forms = ["now()", "CURRENT_TIMESTAMP", "current_timestamp()", "current_timestamp"];
        for dialect in Dialect::ALL {
            for form in forms {
                assert_eq!(normalize_default(dialect, form).as_deref(), Some("current_timestamp"), "{dialect} {form}");
            }
        }
    }

    #[test]
    fn a_null_default_is_no_default() {
        assert_eq!(normalize_default(Dialect::MySql, "NULL"), None);
        assert_eq!(normalize_default(Dialect::Sqlite, " null "), None);
    }

    #[test]
    fn sqlite_defaults_lose_case_and_parentheses() {
        assert_eq!(normalize_default(Dialect::Sqlite, "(0)"), normalize_default(Dialect::Sqlite, "0"));
        assert_eq!(normalize_default(Dialect::Sqlite, "'It''s'").as_deref(), Some("'It''s'"));
    }

    #[test]
    fn queries_compare_clause_by_clause() {
        let a = normalize_query("SELECT id, email FROM account WHERE score > 1", Identifiers::CaseInsensitive);
        let b = normalize_query("select ID,EMAIL\nfrom account where (SCORE>1)", Identifiers::CaseInsensitive);
        assert_eq!(a, b);
        assert!(a.starts_with("select id, email from account where"), "{a}");
        // Commas and clause words inside parentheses or strings do not cut.
        let c = normalize_query("select f(a, b), 'x, from y' from t", Identifiers::CaseInsensitive);
        assert!(c.contains("'x, from y'"), "{c}");
    }

    #[test]
    fn mysql_display_widths_are_dropped_but_tinyint_1_is_boolean() {
        assert_eq!(normalize_type(Dialect::MySql, "int(11)"), "int");
        assert_eq!(normalize_type(Dialect::MySql, "INT(10) UNSIGNED"), "int unsigned");
        assert_eq!(normalize_type(Dialect::MySql, "bigint(20)"), "bigint");
        assert_eq!(normalize_type(Dialect::MySql, "tinyint(1)"), "tinyint(1)");
        assert_eq!(normalize_type(Dialect::MySql, "varchar(20)"), "varchar(20)");
        assert_eq!(normalize_type(Dialect::MySql, "decimal(10,2)"), "decimal(10,2)");
        assert_eq!(normalize_type(Dialect::MySql, "year(4)"), "year");
    }

    #[test]
    fn sqlite_declared_types_lose_case_and_spacing() {
        assert_eq!(normalize_type(Dialect::Sqlite, "varchar ( 20 )"), "VARCHAR(20)");
        assert_eq!(normalize_type(Dialect::Sqlite, "numeric(10, 2)"), "NUMERIC(10,2)");
        assert_eq!(normalize_type(Dialect::Sqlite, "unsigned  big int"), "UNSIGNED BIG INT");
        // Affinity is not identity: INT PRIMARY KEY is no rowid alias.
        assert_ne!(normalize_type(Dialect::Sqlite, "INT"), normalize_type(Dialect::Sqlite, "INTEGER"));
    }
}
