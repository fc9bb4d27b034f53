//! Reading what SQLite keeps only in a table's stored `CREATE TABLE` text.
//!
//! SQLite introspection goes through pragmas (`pragma_table_xinfo`, `pragma_foreign_key_list`,
//! `pragma_index_list` / `pragma_index_xinfo`), but part of a table's definition is visible only
//! in the statement `sqlite_schema.sql` stores: CHECK constraints and their names, the names given
//! to PRIMARY KEY / UNIQUE / FOREIGN KEY constraints, column COLLATE clauses, generated-column
//! expressions, AUTOINCREMENT, and the `WITHOUT ROWID` / `STRICT` options. [`parse_create_table`]
//! extracts exactly those; types, defaults, nullability and the keys themselves come from the
//! pragmas.
//!
//! The reader is a small tokenizer (strings, the three identifier quotings, comments) and a flat
//! walk over the column list. It never recurses, runs in linear time, and answers `None` rather
//! than guess when the text is not a table with a column list.
//!
//! A `CONSTRAINT name` stays in effect until the next comma, as in SQLite's own parser: in
//! `a INT CONSTRAINT c NOT NULL CHECK (a > 0)` the CHECK is named `c` (SQLite reports a violation
//! as `CHECK constraint failed: c`). One quirk is not copied: SQLite also lends the last column's
//! name to an unnamed table constraint right after it (`a CONSTRAINT n NOT NULL, CHECK (…)`);
//! here that CHECK stays unnamed, as written.

/// What a stored SQLite `CREATE TABLE` statement says that its pragmas do not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTable {
    /// CHECK constraints, table-level and column-level, in the order written.
    pub checks: Vec<CheckClause>,
    /// Per column (by name as written, unquoted), what only the text holds. Every column is
    /// listed, in declaration order, even when it has none of these clauses.
    pub columns: Vec<ColumnClauses>,
    /// `CONSTRAINT name` of the table's PRIMARY KEY (column- or table-level), if named.
    pub primary_key_name: Option<String>,
    /// Named UNIQUE constraints: (name, columns). A named column-level UNIQUE lists its column.
    pub unique_names: Vec<(String, Vec<String>)>,
    /// Named FOREIGN KEY constraints: (name, referencing columns). A named column-level
    /// `REFERENCES` lists its column.
    pub foreign_key_names: Vec<(String, Vec<String>)>,
    /// `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// `STRICT`.
    pub strict: bool,
}

/// One CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckClause {
    /// `CONSTRAINT name`, if given.
    pub name: Option<String>,
    /// The condition's text as written, between the parentheses after CHECK (without them).
    pub expression: String,
}

/// What the text says of one column beyond the pragmas.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnClauses {
    /// The column's name, unquoted.
    pub name: String,
    /// `COLLATE x`, as written (unquoted).
    pub collation: Option<String>,
    /// `GENERATED ALWAYS AS (expr)` / `AS (expr)`: the expression text as written, and whether
    /// STORED (VIRTUAL is the default).
    pub generated: Option<(String, bool)>,
    /// `AUTOINCREMENT` on its PRIMARY KEY.
    pub autoincrement: bool,
}

/// Reads a `CREATE TABLE` statement as sqlite_schema stores it. Returns None when the text is not
/// a CREATE TABLE with a column list (e.g. `CREATE TABLE t AS SELECT …`, virtual tables) — the
/// caller then relies on the pragmas alone.
pub fn parse_create_table(sql: &str) -> Option<CreateTable> {
    let toks = tokenize(sql)?;
    let v = View { sql, toks: &toks };
    let mut p = 0;
    if !v.kw(p, "CREATE") {
        return None;
    }
    p += 1;
    if v.kw(p, "TEMP") || v.kw(p, "TEMPORARY") {
        p += 1;
    }
    if !v.kw(p, "TABLE") {
        return None;
    }
    p += 1;
    if v.kw(p, "IF") && v.kw(p + 1, "NOT") && v.kw(p + 2, "EXISTS") {
        p += 3;
    }
    v.name(p)?;
    p += 1;
    if v.punct(p, b'.') {
        v.name(p + 1)?;
        p += 2;
    }
    let close = v.group_end(p)?;

    // Split the column list at its top-level commas.
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = p + 1;
    for (i, t) in toks.iter().enumerate().take(close).skip(p + 1) {
        match t.kind {
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => depth = depth.saturating_sub(1),
            Kind::Punct(b',') if depth == 0 => {
                items.push(v.slice(start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(v.slice(start, close));

    let mut out = CreateTable::default();
    let mut autoincrement_columns = Vec::new();
    let mut in_constraints = false;
    for item in items {
        if item.toks.is_empty() {
            return None;
        }
        in_constraints |= TABLE_CONSTRAINT_START.iter().any(|k| item.kw(0, k));
        if in_constraints {
            item.table_constraints(&mut out, &mut autoincrement_columns)?;
        } else {
            let column = item.column(&mut out)?;
            out.columns.push(column);
        }
    }
    if out.columns.is_empty() {
        return None;
    }
    for name in autoincrement_columns {
        if let Some(c) = out.columns.iter_mut().find(|c| c.name.eq_ignore_ascii_case(&name)) {
            c.autoincrement = true;
        }
    }

    // Table options; anything SQLite may add later is passed over.
    let mut q = close + 1;
    while q < toks.len() {
        if v.kw(q, "WITHOUT") && v.kw(q + 1, "ROWID") {
            out.without_rowid = true;
            q += 1;
        } else if v.kw(q, "STRICT") {
            out.strict = true;
        }
        q += 1;
    }
    Some(out)
}

/// Words that open a table constraint; an item of the column list that starts otherwise is a column.
const TABLE_CONSTRAINT_START: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// Words that end a column's type and open its constraints.
const COLUMN_CONSTRAINT_START: [&str; 11] =
    ["CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare word: keyword or unquoted identifier.
    Word,
    /// `"…"`, `` `…` `` or `[…]`.
    Quoted,
    /// `'…'`.
    Str,
    /// A number or blob literal.
    Literal,
    /// Any other single character.
    Punct(u8),
}

/// A token: its kind and its byte range in the statement.
#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Index just past the quote closing the one at `open`; a doubled quote is an escaped one.
fn quote_end(b: &[u8], open: usize, quote: u8) -> Option<usize> {
    let mut i = open + 1;
    loop {
        i += b.get(i..)?.iter().position(|&c| c == quote)?;
        if b.get(i + 1) == Some(&quote) {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// Splits the statement into tokens, dropping whitespace and comments. None on an unterminated
/// string or quoted identifier.
fn tokenize(sql: &str) -> Option<Vec<Tok>> {
    let b = sql.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let start = i;
        let next = b.get(i + 1).copied();
        let kind = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if next == Some(b'-') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n + 1);
                continue;
            }
            b'/' if next == Some(b'*') => {
                i = b[i + 2..].windows(2).position(|w| w == b"*/").map_or(b.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'\'' => {
                i = quote_end(b, i, b'\'')?;
                Kind::Str
            }
            b'"' | b'`' => {
                i = quote_end(b, i, c)?;
                Kind::Quoted
            }
            b'[' => {
                i += b[i..].iter().position(|&c| c == b']')? + 1;
                Kind::Quoted
            }
            b'x' | b'X' if next == Some(b'\'') => {
                i = quote_end(b, i + 1, b'\'')?;
                Kind::Literal
            }
            _ if c.is_ascii_digit() || (c == b'.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                i += 1;
                while let Some(&d) = b.get(i) {
                    let exponent_sign = (d == b'+' || d == b'-')
                        && matches!(b[i - 1], b'e' | b'E')
                        && b.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                    if !(is_word_byte(d) || d == b'.' || exponent_sign) {
                        break;
                    }
                    i += 1;
                }
                Kind::Literal
            }
            _ if is_word_byte(c) => {
                i += b[i..].iter().position(|&c| !is_word_byte(c)).unwrap_or(b.len() - i);
                Kind::Word
            }
            _ => {
                i += 1;
                Kind::Punct(c)
            }
        };
        toks.push(Tok { kind, start, end: i });
    }
    Some(toks)
}

/// A run of tokens; indexes are relative to it, and reads past its end find nothing.
#[derive(Clone, Copy)]
struct View<'a> {
    sql: &'a str,
    toks: &'a [Tok],
}

impl<'a> View<'a> {
    fn slice(&self, start: usize, end: usize) -> View<'a> {
        View { sql: self.sql, toks: &self.toks[start..end] }
    }

    fn kw(&self, i: usize, word: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == Kind::Word && self.sql[t.start..t.end].eq_ignore_ascii_case(word))
    }

    fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == Kind::Punct(c))
    }

    /// The unquoted name at `i`, if the token there can be one.
    fn name(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        let s = &self.sql[t.start..t.end];
        match t.kind {
            Kind::Word => Some(s.to_string()),
            Kind::Quoted | Kind::Str => {
                let inner = &s[1..s.len() - 1];
                Some(match s.as_bytes()[0] {
                    b'"' => inner.replace("\"\"", "\""),
                    b'`' => inner.replace("``", "`"),
                    b'\'' => inner.replace("''", "'"),
                    _ => inner.to_string(),
                })
            }
            _ => None,
        }
    }

    /// Index of the `)` matching the `(` at `open`.
    fn group_end(&self, open: usize) -> Option<usize> {
        if !self.punct(open, b'(') {
            return None;
        }
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            match t.kind {
                Kind::Punct(b'(') => depth += 1,
                Kind::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The source text strictly between the tokens at `open` and `close`, trimmed.
    fn between(&self, open: usize, close: usize) -> String {
        self.sql[self.toks[open].end..self.toks[close].start].trim().to_string()
    }

    /// `CHECK (expr)` at `p`: the clause and the index after it.
    fn check(&self, p: usize, name: &Option<String>) -> Option<(CheckClause, usize)> {
        let close = self.group_end(p + 1)?;
        Some((CheckClause { name: name.clone(), expression: self.between(p + 1, close) }, close + 1))
    }

    /// Index after a foreign key clause whose referenced table is at `p`.
    fn skip_references(&self, mut p: usize) -> Option<usize> {
        p += 1;
        if self.punct(p, b'(') {
            p = self.group_end(p)? + 1;
        }
        loop {
            if self.kw(p, "ON") {
                // ON DELETE|UPDATE  SET NULL | SET DEFAULT | NO ACTION | CASCADE | RESTRICT
                p += if self.kw(p + 2, "SET") || self.kw(p + 2, "NO") { 4 } else { 3 };
            } else if self.kw(p, "MATCH")
                || self.kw(p, "INITIALLY")
                || (self.kw(p, "NOT") && self.kw(p + 1, "DEFERRABLE"))
            {
                p += 2;
            } else if self.kw(p, "DEFERRABLE") {
                p += 1;
            } else {
                return Some(p);
            }
        }
    }

    /// The column names of `(col [COLLATE x] [ASC|DESC], …)` at `open`, whether AUTOINCREMENT
    /// appears among them, and the index after the list.
    fn indexed_columns(&self, open: usize) -> Option<(Vec<String>, bool, usize)> {
        let close = self.group_end(open)?;
        let mut names = Vec::new();
        let mut autoincrement = false;
        let mut part_start = true;
        for i in open + 1..close {
            if part_start && let Some(n) = self.name(i) {
                names.push(n);
            }
            autoincrement |= self.kw(i, "AUTOINCREMENT");
            part_start = self.punct(i, b',');
        }
        Some((names, autoincrement, close + 1))
    }

    /// One column definition: its name, type, and constraints.
    fn column(&self, out: &mut CreateTable) -> Option<ColumnClauses> {
        let mut col = ColumnClauses { name: self.name(0)?, ..ColumnClauses::default() };
        let mut p = 1;
        while p < self.toks.len() && !COLUMN_CONSTRAINT_START.iter().any(|k| self.kw(p, k)) {
            p = if self.punct(p, b'(') { self.group_end(p)? + 1 } else { p + 1 };
        }
        let mut named: Option<String> = None;
        while p < self.toks.len() {
            if self.kw(p, "CONSTRAINT") {
                named = Some(self.name(p + 1)?);
                p += 2;
            } else if self.kw(p, "PRIMARY") {
                if named.is_some() {
                    out.primary_key_name.clone_from(&named);
                }
                p += 1;
            } else if self.kw(p, "AUTOINCREMENT") {
                col.autoincrement = true;
                p += 1;
            } else if self.kw(p, "UNIQUE") {
                if let Some(n) = &named {
                    out.unique_names.push((n.clone(), vec![col.name.clone()]));
                }
                p += 1;
            } else if self.kw(p, "CHECK") {
                let (check, next) = self.check(p, &named)?;
                out.checks.push(check);
                p = next;
            } else if self.kw(p, "DEFAULT") {
                p += 1;
                if self.punct(p, b'+') || self.punct(p, b'-') {
                    p += 1;
                }
                p = if self.punct(p, b'(') { self.group_end(p)? + 1 } else { p + 1 };
            } else if self.kw(p, "COLLATE") {
                col.collation = Some(self.name(p + 1)?);
                p += 2;
            } else if self.kw(p, "REFERENCES") {
                if let Some(n) = &named {
                    out.foreign_key_names.push((n.clone(), vec![col.name.clone()]));
                }
                p = self.skip_references(p + 1)?;
            } else if self.kw(p, "AS") {
                let close = self.group_end(p + 1)?;
                col.generated = Some((self.between(p + 1, close), self.kw(close + 1, "STORED")));
                p = close + 1;
            } else if self.punct(p, b'(') {
                p = self.group_end(p)? + 1;
            } else {
                // KEY, ASC, DESC, NOT, NULL, ON CONFLICT …, GENERATED ALWAYS, STORED, VIRTUAL.
                p += 1;
            }
        }
        Some(col)
    }

    /// One or more table constraints (SQLite allows them without commas between).
    fn table_constraints(&self, out: &mut CreateTable, autoincrement_columns: &mut Vec<String>) -> Option<()> {
        let mut named: Option<String> = None;
        let mut p = 0;
        while p < self.toks.len() {
            if self.kw(p, "CONSTRAINT") {
                named = Some(self.name(p + 1)?);
                p += 2;
            } else if self.kw(p, "PRIMARY") && self.kw(p + 1, "KEY") {
                let (cols, autoincrement, next) = self.indexed_columns(p + 2)?;
                if autoincrement {
                    autoincrement_columns.extend(cols);
                }
                if named.is_some() {
                    out.primary_key_name.clone_from(&named);
                }
                p = next;
            } else if self.kw(p, "UNIQUE") {
                let (cols, _, next) = self.indexed_columns(p + 1)?;
                if let Some(n) = &named {
                    out.unique_names.push((n.clone(), cols));
                }
                p = next;
            } else if self.kw(p, "CHECK") {
                let (check, next) = self.check(p, &named)?;
                out.checks.push(check);
                p = next;
            } else if self.kw(p, "FOREIGN") && self.kw(p + 1, "KEY") {
                let (cols, _, next) = self.indexed_columns(p + 2)?;
                if let Some(n) = &named {
                    out.foreign_key_names.push((n.clone(), cols));
                }
                p = if self.kw(next, "REFERENCES") { self.skip_references(next + 1)? } else { next };
            } else if self.punct(p, b'(') {
                p = self.group_end(p)? + 1;
            } else {
                // ON CONFLICT … and anything unexpected.
                p += 1;
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> CreateTable {
        parse_create_table(sql).unwrap_or_else(|| panic!("no parse: {sql}"))
    }

    fn check(name: Option<&str>, expression: &str) -> CheckClause {
        CheckClause { name: name.map(str::to_string), expression: expression.to_string() }
    }

    fn named(name: &str, cols: &[&str]) -> (String, Vec<String>) {
        (name.to_string(), cols.iter().map(|c| c.to_string()).collect())
    }

    fn names(t: &CreateTable) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn checks_named_and_unnamed() {
        let t = parse(
            "CREATE TABLE t (a INT CHECK (a > 0), b INT CONSTRAINT b_small CHECK(b < 10), \
             CHECK (a <> b), CONSTRAINT ordered CHECK (a < b))",
        );
        let expected = [
            check(None, "a > 0"),
            check(Some("b_small"), "b < 10"),
            check(None, "a <> b"),
            check(Some("ordered"), "a < b"),
        ];
        assert_eq!(t.checks, expected);
        assert_eq!(names(&t), ["a", "b"]);
    }

    #[test]
    fn check_text_is_the_exact_slice() {
        // Checked against SQLite 3.40: it accepts this table, and violations report the names
        // below (a CONSTRAINT name stays in effect until the next comma: `both` names two CHECKs).
        let t = parse(
            "create table ch (x text check (length(x) > (1 + (2))) constraint x_ok check (x <> ')''' /* ) */), -- note )\n\
             check (x is not null), constraint both check (x > '') check (x < 'z'))",
        );
        let expected = [
            check(None, "length(x) > (1 + (2))"),
            check(Some("x_ok"), "x <> ')''' /* ) */"),
            check(None, "x is not null"),
            check(Some("both"), "x > ''"),
            check(Some("both"), "x < 'z'"),
        ];
        assert_eq!(t.checks, expected);
        // SQLite: `a INT CONSTRAINT c NOT NULL CHECK (a > 0)` fails as `CHECK constraint failed: c`.
        let t = parse("CREATE TABLE t (a INT CONSTRAINT c NOT NULL CHECK (a > 0), b CHECK (b))");
        assert_eq!(t.checks, [check(Some("c"), "a > 0"), check(None, "b")]);
    }

    #[test]
    fn quoted_identifiers_and_types() {
        // pragma_table_xinfo names these `My Col`, b`q, `c d` (type `DOUBLE PRECISION(10, 2)`), e"f (no type).
        let t = parse(
            "CREATE TABLE \"My Table\" (\"My Col\" TEXT COLLATE NOCASE, `b``q` INT, \
             [c d] DOUBLE PRECISION(10, 2) NOT NULL, \"e\"\"f\", 'g' /* typeless */ )",
        );
        assert_eq!(names(&t), ["My Col", "b`q", "c d", "e\"f", "g"]);
        assert_eq!(t.columns[0].collation.as_deref(), Some("NOCASE"));
        assert!(t.columns[1..].iter().all(|c| *c == ColumnClauses { name: c.name.clone(), ..Default::default() }));
        let t = parse("CREATE TABLE x (a TEXT DEFAULT 'x' COLLATE \"rtrim\" NOT NULL, b COLLATE nocase)");
        assert_eq!(t.columns[0].collation.as_deref(), Some("rtrim"));
        assert_eq!(t.columns[1].collation.as_deref(), Some("nocase"));
    }

    #[test]
    fn statement_heads() {
        for sql in [
            "CREATE TABLE IF NOT EXISTS main.t (a)",
            "create temp table \"t\" (a)",
            "CREATE TEMPORARY TABLE [s].[t](a);",
            "-- leading comment\nCREATE TABLE t(a) ; ",
        ] {
            assert_eq!(names(&parse(sql)), ["a"], "{sql}");
        }
    }

    #[test]
    fn generated_columns() {
        // pragma_table_xinfo `hidden`: b is 3 (stored), c and d are 2 (virtual).
        let t = parse(
            "CREATE TABLE g (a INTEGER, b INT GENERATED ALWAYS AS (a * 2) STORED, \
             c TEXT AS (upper('x)' || a)) VIRTUAL, d AS ((a + 1) * (a - 1)))",
        );
        let generated: Vec<_> = t.columns.iter().map(|c| c.generated.clone()).collect();
        assert_eq!(
            generated,
            [
                None,
                Some(("a * 2".to_string(), true)),
                Some(("upper('x)' || a)".to_string(), false)),
                Some(("(a + 1) * (a - 1)".to_string(), false)),
            ]
        );
    }

    #[test]
    fn autoincrement() {
        // SQLite accepts both and creates sqlite_sequence rows for them.
        let t = parse("CREATE TABLE ai (id INTEGER CONSTRAINT pk PRIMARY KEY ASC ON CONFLICT ABORT AUTOINCREMENT, n)");
        assert!(t.columns[0].autoincrement && !t.columns[1].autoincrement);
        assert_eq!(t.primary_key_name.as_deref(), Some("pk"));
        let t = parse("CREATE TABLE ai2 (Id INTEGER, n, PRIMARY KEY (id AUTOINCREMENT))");
        assert!(t.columns[0].autoincrement && !t.columns[1].autoincrement);
        assert_eq!(t.primary_key_name, None);
    }

    #[test]
    fn named_keys_and_table_options() {
        // SQLite accepts this; pragma_table_list reports wr = 1 and strict = 1.
        let t = parse(
            "CREATE TABLE k (a INT, b TEXT, c INT CONSTRAINT c_fk REFERENCES p (id) ON DELETE SET DEFAULT \
             NOT DEFERRABLE COLLATE binary, d INT CONSTRAINT d_u UNIQUE, \
             CONSTRAINT k_pk PRIMARY KEY (a, b COLLATE nocase DESC), CONSTRAINT k_u UNIQUE (b, c) ON CONFLICT REPLACE, \
             CONSTRAINT k_fk FOREIGN KEY (c, b) REFERENCES p (id, code) ON UPDATE CASCADE MATCH SIMPLE \
             DEFERRABLE INITIALLY DEFERRED, UNIQUE (d), FOREIGN KEY (a) REFERENCES q) WITHOUT ROWID, STRICT",
        );
        assert_eq!(names(&t), ["a", "b", "c", "d"]);
        assert_eq!(t.columns[2].collation.as_deref(), Some("binary"));
        assert_eq!(t.primary_key_name.as_deref(), Some("k_pk"));
        assert_eq!(t.unique_names, [named("d_u", &["d"]), named("k_u", &["b", "c"])]);
        assert_eq!(t.foreign_key_names, [named("c_fk", &["c"]), named("k_fk", &["c", "b"])]);
        assert!(t.without_rowid && t.strict);
        let t = parse("CREATE TABLE o (a INT PRIMARY KEY) strict , without rowid");
        assert!(t.without_rowid && t.strict);
        let t = parse("CREATE TABLE o (a) -- WITHOUT ROWID\n");
        assert!(!t.without_rowid && !t.strict);
    }

    #[test]
    fn not_a_table_with_columns() {
        for sql in [
            "CREATE TABLE t AS SELECT 1",
            "CREATE VIRTUAL TABLE f USING fts5(a, b)",
            "CREATE VIEW v AS SELECT 1",
            "CREATE INDEX i ON t (a)",
            "",
            "   -- only a comment",
            "CREATE TABLE",
            "CREATE TABLE t",
            "CREATE TABLE t (",
            "CREATE TABLE t ()",
            "CREATE TABLE t (a,,b)",
            "CREATE TABLE t (a CHECK (a > 0)",
            "CREATE TABLE t (a CHECK ((a > 0))",
            "CREATE TABLE t (a DEFAULT 'unterminated)",
            "CREATE TABLE \"t (a)",
            "CREATE TABLE [t (a)",
            "CREATE TABLE t (a CONSTRAINT)",
            "CREATE TABLE t (a COLLATE)",
            "CREATE TABLE t (a AS)",
            "CREATE TABLE t (CHECK (1))",
            ")))(((",
            "\u{0}\u{ff}é/*",
        ] {
            assert_eq!(parse_create_table(sql), None, "{sql}");
        }
    }

    #[test]
    fn never_panics_on_truncations() {
        let sql = "CREATE TABLE \"é t\" (a INTEGER CONSTRAINT pk PRIMARY KEY AUTOINCREMENT, b TEXT COLLATE nocase \
                   CHECK (b <> ')''' /* ) */) -- x\n, c REAL AS (a + 1e-3) STORED, [d] INT DEFAULT -1, `e` ANY REFERENCES p(id), \
                   CONSTRAINT u UNIQUE (b, c), FOREIGN KEY (e) REFERENCES p (id) ON DELETE SET NULL) STRICT";
        let t = parse(sql);
        assert_eq!(names(&t), ["a", "b", "c", "d", "e"]);
        assert_eq!(t.checks, [check(None, "b <> ')''' /* ) */")]);
        assert_eq!(t.columns[2].generated, Some(("a + 1e-3".to_string(), true)));
        assert!(t.columns[0].autoincrement && t.strict);
        assert_eq!(t.unique_names, [named("u", &["b", "c"])]);
        for (i, _) in sql.char_indices() {
            let _ = parse_create_table(&sql[..i]);
            let _ = parse_create_table(&sql[i..]);
        }
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let depth = 200_000;
        let sql = format!("CREATE TABLE t (a CHECK ({}1{}))", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(parse(&sql).checks[0].expression.len(), 2 * depth + 1);
        let sql = format!("CREATE TABLE t (a CHECK ({}1", "(".repeat(depth));
        assert_eq!(parse_create_table(&sql), None);
    }
}
