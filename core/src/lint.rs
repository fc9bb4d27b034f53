//! Migration lint: statements that lock a busy table or break the clients
//! still running against it, each with its rule's name and a safer way.
//!
//! The rules are PostgreSQL's, named as squawk names them (the tests hold
//! retort's verdicts against squawk's on the same statements), plus the
//! MySQL statements that copy a table. A revision switches a rule off with
//! a comment: `-- retort: lint-ignore changing-column-type`.

use crate::{Dialect, Statement};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The rule (`require-concurrent-index-creation`).
    pub rule: &'static str,
    /// The statement's first line in its file.
    pub line: u32,
    /// What is wrong, and the safer way.
    pub message: &'static str,
}

/// The rules, with what each says.
pub const RULES: &[(&str, &str)] = &[
    (
        "require-concurrent-index-creation",
        "CREATE INDEX blocks writes to the table while it builds: use CREATE INDEX CONCURRENTLY in a revision marked Transactional: false",
    ),
    (
        "ban-concurrent-index-creation-in-transaction",
        "CREATE INDEX CONCURRENTLY cannot run inside a transaction: mark the revision Transactional: false",
    ),
    (
        "adding-required-field",
        "a NOT NULL column without a default fails on a table with rows and breaks clients that do not set it: add it nullable or with a default",
    ),
    (
        "adding-not-nullable-field",
        "SET NOT NULL scans the table under an exclusive lock: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
    ),
    (
        "changing-column-type",
        "changing a column's type rewrites the table under an exclusive lock and may break clients: add a new column, backfill it, switch over",
    ),
    (
        "adding-foreign-key-constraint",
        "adding a foreign key scans the table and blocks writes to both tables: add it NOT VALID, then VALIDATE CONSTRAINT in another transaction",
    ),
    (
        "constraint-missing-not-valid",
        "a new constraint scans the table while blocking writes: add it NOT VALID, then VALIDATE CONSTRAINT",
    ),
    (
        "disallowed-unique-constraint",
        "ADD UNIQUE builds its index under an exclusive lock: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX",
    ),
    (
        "renaming-column",
        "renaming a column breaks the clients still using the old name: add the new one, migrate, drop the old later",
    ),
    (
        "renaming-table",
        "renaming a table breaks the clients still using the old name: rename in steps (a view can keep the old name)",
    ),
    ("ban-drop-column", "dropping a column breaks clients still reading it: stop using it first, deploy, then drop it"),
    ("ban-drop-table", "dropping a table breaks clients still reading it: stop using it first, deploy, then drop it"),
    (
        "mysql-table-copy",
        "MySQL copies the whole table for this change (MODIFY/CHANGE COLUMN of a type, a new primary key): expect a long lock on a big table",
    ),
];

fn message(rule: &str) -> &'static str {
    RULES.iter().find(|(name, _)| *name == rule).map_or("", |(_, message)| message)
}

/// The words of a statement, upper-cased, outside strings, quoted names and
/// comments (a quoted name becomes `"`, a string `'`).
fn words(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b == b'\'' || b == b'"' || b == b'`' {
            let close = b;
            i += 1;
            while i < bytes.len() && bytes[i] != close {
                i += 1;
            }
            i += 1;
            words.push(if close == b'\'' { "'".to_owned() } else { "\"".to_owned() });
        } else if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
                i += 1;
            }
            words.push(sql[start..i].to_ascii_uppercase());
        } else {
            if !b.is_ascii_whitespace() {
                words.push((b as char).to_string());
            }
            i += 1;
        }
    }
    words
}

/// The name a `schema.name` (or bare `name`) at the start of `words`
/// ends with.
fn last_name(words: &[String]) -> Option<String> {
    let mut name = words.first()?.clone();
    let mut i = 1;
    while words.get(i).is_some_and(|w| w == ".") {
        name = words.get(i + 1)?.clone();
        i += 2;
    }
    Some(name)
}

/// True when `words` holds `phrase` as consecutive words.
fn has(words: &[String], phrase: &[&str]) -> bool {
    words.windows(phrase.len()).any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
}

/// The rules a revision switches off (`-- retort: lint-ignore rule …`).
pub fn ignored_rules(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_once("retort: lint-ignore").map(|(_, rest)| rest))
        .flat_map(|rest| rest.split([' ', ',']).filter(|r| !r.is_empty()).map(str::to_owned))
        .collect()
}

/// The findings of a revision's statements on `dialect`; `transactional`
/// is false for a revision marked `Transactional: false`.
pub fn lint(statements: &[Statement], dialect: Dialect, transactional: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Tables the revision creates: an index on one locks no busy table.
    let mut created: Vec<String> = Vec::new();
    for statement in statements {
        let w = words(&statement.sql);
        if w.len() > 2 && w[0] == "CREATE" && w[1] == "TABLE" {
            let start =
                w[2..].iter().position(|x| !matches!(x.as_str(), "IF" | "NOT" | "EXISTS")).map_or(w.len(), |i| i + 2);
            created.extend(last_name(&w[start..]));
        }
        let on_new_table = w.first().is_some_and(|x| x == "CREATE")
            && w.iter()
                .position(|x| x == "ON")
                .and_then(|at| last_name(&w[at + 1..]))
                .is_some_and(|t| created.contains(&t));
        let mut found = |rule: &'static str| {
            if !(on_new_table && rule == "require-concurrent-index-creation") {
                findings.push(Finding { rule, line: statement.line, message: message(rule) });
            }
        };
        match dialect {
            Dialect::Postgres => postgres_rules(&w, transactional, &mut found),
            Dialect::MySql => mysql_rules(&w, &mut found),
            Dialect::Sqlite => {}
        }
    }
    findings
}

fn postgres_rules(w: &[String], transactional: bool, found: &mut impl FnMut(&'static str)) {
    let starts = |phrase: &[&str]| w.len() >= phrase.len() && w.iter().zip(phrase).all(|(a, b)| a == b);
    if starts(&["CREATE", "INDEX"]) || starts(&["CREATE", "UNIQUE", "INDEX"]) {
        if !has(w, &["CONCURRENTLY"]) {
            found("require-concurrent-index-creation");
        } else if transactional {
            found("ban-concurrent-index-creation-in-transaction");
        }
        return;
    }
    if starts(&["DROP", "TABLE"]) {
        found("ban-drop-table");
        return;
    }
    if !starts(&["ALTER", "TABLE"]) {
        return;
    }
    let not_valid = has(w, &["NOT", "VALID"]);
    if has(w, &["RENAME", "COLUMN"])
        || (has(w, &["RENAME"]) && !has(w, &["RENAME", "TO"]) && !has(w, &["RENAME", "CONSTRAINT"]))
    {
        found("renaming-column");
    } else if has(w, &["RENAME", "TO"]) {
        found("renaming-table");
    }
    if has(w, &["DROP", "COLUMN"]) {
        found("ban-drop-column");
    }
    if has(w, &["SET", "NOT", "NULL"]) {
        found("adding-not-nullable-field");
    }
    // ALTER COLUMN name [SET DATA] TYPE … (a column called `type` is no
    // type change).
    let retypes = w.windows(4).any(|x| x[0] == "ALTER" && x[1] == "COLUMN" && (x[3] == "TYPE" || x[3] == "SET"))
        && (has(w, &["SET", "DATA", "TYPE"])
            || w.windows(4).any(|x| x[0] == "ALTER" && x[1] == "COLUMN" && x[3] == "TYPE"));
    if retypes {
        found("changing-column-type");
    }
    // ADD [COLUMN] name … : a column unless a constraint word follows ADD.
    for (i, word) in w.iter().enumerate() {
        if word != "ADD" {
            continue;
        }
        let next = w.get(i + 1).map(String::as_str).unwrap_or("");
        let rest = &w[i + 1..];
        // The clause ends at a comma outside parentheses.
        let mut depth = 0i32;
        let clause_end = rest
            .iter()
            .position(|x| {
                match x.as_str() {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    _ => {}
                }
                x == "," && depth == 0
            })
            .unwrap_or(rest.len());
        let clause = &rest[..clause_end];
        match next {
            "CONSTRAINT" | "FOREIGN" | "CHECK" | "UNIQUE" | "PRIMARY" => {
                if has(clause, &["FOREIGN", "KEY"]) && !not_valid {
                    found("adding-foreign-key-constraint");
                }
                // UNIQUE USING INDEX takes an index built beforehand: no scan.
                let scans = has(clause, &["FOREIGN", "KEY"])
                    || has(clause, &["CHECK"])
                    || (has(clause, &["UNIQUE"]) && !has(clause, &["USING", "INDEX"]));
                if scans && !not_valid {
                    found("constraint-missing-not-valid");
                }
                if has(clause, &["UNIQUE"]) && !has(clause, &["USING", "INDEX"]) {
                    found("disallowed-unique-constraint");
                }
            }
            _ => {
                if has(clause, &["NOT", "NULL"]) && !has(clause, &["DEFAULT"]) && !has(clause, &["GENERATED"]) {
                    found("adding-required-field");
                }
                if has(clause, &["REFERENCES"]) && !not_valid {
                    found("adding-foreign-key-constraint");
                }
            }
        }
    }
}

fn mysql_rules(w: &[String], found: &mut impl FnMut(&'static str)) {
    let starts = |phrase: &[&str]| w.len() >= phrase.len() && w.iter().zip(phrase).all(|(a, b)| a == b);
    if starts(&["DROP", "TABLE"]) {
        found("ban-drop-table");
        return;
    }
    if !starts(&["ALTER", "TABLE"]) {
        return;
    }
    if has(w, &["DROP", "COLUMN"]) {
        found("ban-drop-column");
    }
    if has(w, &["RENAME", "COLUMN"]) {
        found("renaming-column");
    } else if has(w, &["RENAME", "TO"]) {
        found("renaming-table");
    }
    if has(w, &["MODIFY"]) || has(w, &["CHANGE"]) || has(w, &["ADD", "PRIMARY", "KEY"]) {
        found("mysql-table-copy");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split_statements;

    fn rules(sql: &str, dialect: Dialect, transactional: bool) -> Vec<(u32, &'static str)> {
        let statements = split_statements(sql, dialect, 1).unwrap();
        lint(&statements, dialect, transactional).into_iter().map(|f| (f.line, f.rule)).collect()
    }

    #[test]
    fn each_postgres_rule_fires_on_its_statement_and_not_on_the_safe_form() {
        let sql = "CREATE INDEX ix ON t (a);\nCREATE INDEX CONCURRENTLY ix2 ON t (a);\nALTER TABLE t ADD COLUMN b integer NOT NULL;\nALTER TABLE t ADD COLUMN c integer NOT NULL DEFAULT 0;\nALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0) NOT VALID;\nALTER TABLE t ALTER COLUMN d TYPE bigint;\n";
        assert_eq!(
            rules(sql, Dialect::Postgres, true),
            [
                (1, "require-concurrent-index-creation"),
                (2, "ban-concurrent-index-creation-in-transaction"),
                (3, "adding-required-field"),
                (6, "changing-column-type")
            ]
        );
        assert_eq!(rules("CREATE INDEX CONCURRENTLY ix ON t (a);", Dialect::Postgres, false), []);
    }

    #[test]
    fn an_index_on_a_table_the_revision_creates_needs_no_concurrently() {
        let sql = "CREATE TABLE note (id integer);\nCREATE INDEX ix ON note (id);\nCREATE INDEX iy ON other (id);\n";
        assert_eq!(rules(sql, Dialect::Postgres, true), [(3, "require-concurrent-index-creation")]);
    }

    #[test]
    fn qualified_names_a_column_called_type_and_commas_in_types_are_read_right() {
        let sql = "CREATE TABLE public.note (id integer);\nCREATE INDEX ix ON public.note (id);\nALTER TABLE t ALTER COLUMN type SET DEFAULT 'x';\nALTER TABLE t ADD COLUMN p numeric(10,2) NOT NULL;\nALTER TABLE t ALTER COLUMN q SET DATA TYPE bigint;\n";
        assert_eq!(rules(sql, Dialect::Postgres, true), [(4, "adding-required-field"), (5, "changing-column-type")]);
    }

    #[test]
    fn strings_and_comments_do_not_fire_rules() {
        let sql = "INSERT INTO t VALUES ('ALTER TABLE x DROP COLUMN y'); -- DROP TABLE z\n";
        assert_eq!(rules(sql, Dialect::Postgres, true), []);
    }

    #[test]
    fn a_revision_switches_rules_off_by_comment() {
        assert_eq!(
            ignored_rules("-- retort: lint-ignore changing-column-type, ban-drop-column\n"),
            ["changing-column-type", "ban-drop-column"]
        );
    }
}
