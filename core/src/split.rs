//! Splitting a section's SQL into the statements sent to the database one
//! by one, each with the line it starts on.
//!
//! The splitter knows enough SQL lexing to find the semicolons that end
//! statements: it skips `'strings'`, `"identifiers"`, `` `identifiers` ``,
//! `$tag$ dollar quoting $tag$` (PostgreSQL), `E'escapes'` (PostgreSQL) and
//! backslash escapes (MySQL), `--` and `/* */` comments (nested on
//! PostgreSQL), `#` comments (MySQL), and keeps the `BEGIN … END` body of a
//! `CREATE TRIGGER`, `PROCEDURE`, `FUNCTION` or `EVENT` whole. Anything else
//! it cannot see through can be wrapped in a block it keeps whole:
//!
//! ```sql
//! -- retort:begin-block
//! CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END
//! -- retort:end-block
//! ```

use crate::revision::Dialect;

/// The comment line that opens a block the splitter keeps whole.
pub const BLOCK_BEGIN: &str = "retort:begin-block";
/// The comment line that closes it.
pub const BLOCK_END: &str = "retort:end-block";

/// One statement of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based line in the revision file where the statement starts.
    pub line: u32,
    /// The statement's text, without the terminating semicolon.
    pub sql: String,
}

/// Why a section could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// A quote, dollar quote or comment opened and never closed.
    #[error("unterminated {what} starting here")]
    Unterminated {
        /// `string literal`, `quoted identifier`, `dollar-quoted string`,
        /// `block comment`.
        what: &'static str,
        /// 1-based line in the file.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// `-- retort:begin-block` without a matching end.
    #[error("`-- {BLOCK_BEGIN}` is never closed by `-- {BLOCK_END}`")]
    UnclosedBlock {
        /// 1-based line of the opening marker.
        line: u32,
    },
    /// `-- retort:end-block` without a block open.
    #[error("`-- {BLOCK_END}` without an open `-- {BLOCK_BEGIN}`")]
    StrayBlockEnd {
        /// 1-based line of the marker.
        line: u32,
    },
    /// A NUL character, which no database accepts in SQL text (SQLite
    /// would stop reading there, or never finish).
    #[error("{NUL_MESSAGE}")]
    Nul {
        /// 1-based line in the file.
        line: u32,
        /// 1-based column.
        column: u32,
    },
}

/// What is wrong with a NUL character in a revision.
pub const NUL_MESSAGE: &str = "a NUL character (byte 0x00) is here; no database accepts it in SQL text";

/// Where the first NUL character of `text` is: its 0-based line within
/// `text` and 1-based column, in characters.
///
/// ```
/// assert_eq!(retort_core::find_nul("SELECT 1;\nSELECT\u{0} 2;"), Some((1, 7)));
/// assert_eq!(retort_core::find_nul("SELECT 1;"), None);
/// ```
pub fn find_nul(text: &str) -> Option<(u32, u32)> {
    let at = text.find('\0')?;
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count();
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before[line_start..].chars().count() + 1;
    Some((u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(column).unwrap_or(u32::MAX)))
}

impl SplitError {
    /// The line the error points at.
    pub fn line(&self) -> u32 {
        match self {
            SplitError::Unterminated { line, .. }
            | SplitError::Nul { line, .. }
            | SplitError::UnclosedBlock { line }
            | SplitError::StrayBlockEnd { line } => *line,
        }
    }

    /// The column the error points at, where known.
    pub fn column(&self) -> Option<u32> {
        match self {
            SplitError::Unterminated { column, .. } | SplitError::Nul { column, .. } => Some(*column),
            _ => None,
        }
    }
}

/// Splits `sql`, whose first line is line `first_line` of its file, into
/// statements as `dialect` reads them. Empty statements and statements that
/// are only comments are dropped.
///
/// ```
/// use retort_core::{split_statements, Dialect};
/// let sql = "CREATE TABLE a (s TEXT DEFAULT ';');\n\nINSERT INTO a VALUES ('x');";
/// let statements = split_statements(sql, Dialect::Postgres, 10).unwrap();
/// assert_eq!(statements.len(), 2);
/// assert_eq!(statements[1].line, 12);
/// assert_eq!(statements[1].sql, "INSERT INTO a VALUES ('x')");
/// ```
pub fn split_statements(sql: &str, dialect: Dialect, first_line: u32) -> Result<Vec<Statement>, SplitError> {
    // Checked first and anywhere, comments included: the whole statement
    // text goes to the database.
    if let Some((line, column)) = find_nul(sql) {
        return Err(SplitError::Nul { line: first_line.saturating_add(line), column });
    }
    Splitter::new(sql, dialect, first_line).run()
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    dialect: Dialect,
    pos: usize,
    line: u32,
    line_start: usize,
    out: Vec<Statement>,
    /// Byte offset and line of the current statement's first token.
    start: Option<(usize, u32)>,
    /// The statement creates a trigger, procedure, function or event, whose
    /// `BEGIN … END` body holds semicolons.
    first_word_is_create: bool,
    compound: bool,
    depth: u32,
    /// An `END` was read; the next word decides whether it closes a block.
    pending_end: bool,
    words: u32,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str, dialect: Dialect, first_line: u32) -> Self {
        Splitter {
            src,
            bytes: src.as_bytes(),
            dialect,
            pos: 0,
            line: first_line,
            line_start: 0,
            out: Vec::new(),
            start: None,
            first_word_is_create: false,
            compound: false,
            depth: 0,
            pending_end: false,
            words: 0,
        }
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    /// Where a quote or comment opens, for its error if it never closes.
    /// The column is counted only then: counting it at every opening would
    /// make a long line of short strings quadratic.
    fn here(&self) -> Opening {
        Opening { line: self.line, line_start: self.line_start, pos: self.pos }
    }

    fn unterminated(&self, what: &'static str, at: Opening) -> SplitError {
        let column = u32::try_from(self.src[at.line_start..at.pos].chars().count() + 1).unwrap_or(u32::MAX);
        SplitError::Unterminated { what, line: at.line, column }
    }

    /// Moves past one byte, counting lines.
    fn bump(&mut self) {
        if self.bytes[self.pos] == b'\n' {
            self.line += 1;
            self.line_start = self.pos + 1;
        }
        self.pos += 1;
    }

    fn mark_start(&mut self) {
        if self.start.is_none() {
            self.start = Some((self.pos, self.line));
        }
    }

    fn finish_statement(&mut self, end: usize) {
        if let Some((start, line)) = self.start.take() {
            let text = self.src[start..end].trim_end();
            if !text.is_empty() {
                self.out.push(Statement { line, sql: text.to_owned() });
            }
        }
        self.first_word_is_create = false;
        self.compound = false;
        self.depth = 0;
        self.pending_end = false;
        self.words = 0;
    }

    fn run(mut self) -> Result<Vec<Statement>, SplitError> {
        while let Some(b) = self.peek(0) {
            match b {
                b'-' if self.peek(1) == Some(b'-') => self.line_comment(2)?,
                b'#' if self.dialect == Dialect::MySql => self.line_comment(1)?,
                b'/' if self.peek(1) == Some(b'*') => {
                    self.resolve_pending_end();
                    // A comment alone is not a statement, but MySQL runs
                    // `/*! … */` as SQL.
                    if self.dialect == Dialect::MySql && self.peek(2) == Some(b'!') {
                        self.mark_start();
                    }
                    self.block_comment()?;
                }
                b'\'' => {
                    self.resolve_pending_end();
                    self.mark_start();
                    let backslash = self.dialect == Dialect::MySql || self.has_escape_prefix();
                    self.quoted(b'\'', backslash, "string literal")?;
                }
                b'"' => {
                    self.resolve_pending_end();
                    self.mark_start();
                    let mysql = self.dialect == Dialect::MySql;
                    let what = if mysql { "string literal" } else { "quoted identifier" };
                    self.quoted(b'"', mysql, what)?;
                }
                b'`' => {
                    self.resolve_pending_end();
                    self.mark_start();
                    self.quoted(b'`', false, "quoted identifier")?;
                }
                b'$' if self.dialect == Dialect::Postgres && self.dollar_tag().is_some() => {
                    self.resolve_pending_end();
                    self.mark_start();
                    self.dollar_quoted()?;
                }
                b';' => {
                    self.resolve_pending_end();
                    if self.compound && self.depth > 0 {
                        self.bump();
                    } else {
                        let end = self.pos;
                        self.finish_statement(end);
                        self.bump();
                    }
                }
                b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                    self.mark_start();
                    self.word();
                }
                b if b.is_ascii_whitespace() => self.bump(),
                _ => {
                    self.resolve_pending_end();
                    self.mark_start();
                    self.bump();
                }
            }
        }
        self.resolve_pending_end();
        let end = self.bytes.len();
        self.finish_statement(end);
        Ok(self.out)
    }

    /// True when the quote at `pos` is the `E'…'` form of PostgreSQL.
    fn has_escape_prefix(&self) -> bool {
        if self.dialect != Dialect::Postgres || self.pos == 0 {
            return false;
        }
        let prev = self.bytes[self.pos - 1];
        if prev != b'e' && prev != b'E' {
            return false;
        }
        self.pos < 2 || !is_word_byte(self.bytes[self.pos - 2])
    }

    fn word(&mut self) {
        let begin = self.pos;
        // A word directly after another word character belongs to it (`a$b`).
        while let Some(b) = self.peek(0) {
            if is_word_byte(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
        let word = &self.src[begin..self.pos];
        self.words += 1;
        if self.words == 1 {
            self.first_word_is_create = word.eq_ignore_ascii_case("create");
        }
        if self.pending_end {
            self.pending_end = false;
            if ["if", "loop", "while", "repeat"].iter().any(|k| word.eq_ignore_ascii_case(k)) {
                return;
            }
            self.depth = self.depth.saturating_sub(1);
            if word.eq_ignore_ascii_case("case") {
                return;
            }
        }
        if !self.compound {
            if self.first_word_is_create
                && ["trigger", "procedure", "function", "event"].iter().any(|k| word.eq_ignore_ascii_case(k))
            {
                self.compound = true;
            }
            return;
        }
        if word.eq_ignore_ascii_case("begin") || word.eq_ignore_ascii_case("case") {
            self.depth += 1;
        } else if word.eq_ignore_ascii_case("end") {
            self.pending_end = true;
        }
    }

    fn resolve_pending_end(&mut self) {
        if self.pending_end {
            self.pending_end = false;
            self.depth = self.depth.saturating_sub(1);
        }
    }

    fn line_comment(&mut self, marker_len: usize) -> Result<(), SplitError> {
        let begin = self.pos;
        let line = self.line;
        while let Some(b) = self.peek(0) {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
        let text = self.src[begin + marker_len..self.pos].trim();
        if marker_len == 2 && text.eq_ignore_ascii_case(BLOCK_BEGIN) {
            return self.kept_block(line);
        }
        if marker_len == 2 && text.eq_ignore_ascii_case(BLOCK_END) {
            return Err(SplitError::StrayBlockEnd { line });
        }
        Ok(())
    }

    /// Reads up to the line `-- retort:end-block` and makes everything in
    /// between one statement.
    fn kept_block(&mut self, marker_line: u32) -> Result<(), SplitError> {
        let end = self.pos;
        self.resolve_pending_end();
        self.finish_statement(end);
        let mut body_start = None;
        while let Some(b) = self.peek(0) {
            if b == b'\n' {
                self.bump();
                continue;
            }
            let line_begin = self.pos;
            let line = self.line;
            while let Some(b) = self.peek(0) {
                if b == b'\n' {
                    break;
                }
                self.pos += 1;
            }
            let text = self.src[line_begin..self.pos].trim();
            if let Some(comment) = text.strip_prefix("--")
                && comment.trim().eq_ignore_ascii_case(BLOCK_END)
            {
                if let Some((start, line)) = body_start {
                    let body = self.src[start..line_begin].trim_end();
                    let body = body.strip_suffix(';').unwrap_or(body).trim_end();
                    if !body.is_empty() {
                        self.out.push(Statement { line, sql: body.to_owned() });
                    }
                }
                return Ok(());
            }
            if body_start.is_none() && !text.is_empty() {
                let indent = self.src[line_begin..self.pos].len() - self.src[line_begin..self.pos].trim_start().len();
                body_start = Some((line_begin + indent, line));
            }
        }
        Err(SplitError::UnclosedBlock { line: marker_line })
    }

    fn block_comment(&mut self) -> Result<(), SplitError> {
        let opening = self.here();
        let nests = self.dialect == Dialect::Postgres;
        self.pos += 2;
        let mut depth = 1u32;
        while let Some(b) = self.peek(0) {
            if b == b'*' && self.peek(1) == Some(b'/') {
                self.pos += 2;
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            } else if nests && b == b'/' && self.peek(1) == Some(b'*') {
                self.pos += 2;
                depth += 1;
            } else {
                self.bump();
            }
        }
        Err(self.unterminated("block comment", opening))
    }

    fn quoted(&mut self, quote: u8, backslash: bool, what: &'static str) -> Result<(), SplitError> {
        let opening = self.here();
        self.pos += 1;
        while let Some(b) = self.peek(0) {
            if backslash && b == b'\\' {
                self.pos += 1;
                if self.peek(0).is_some() {
                    self.bump();
                }
            } else if b == quote {
                self.pos += 1;
                if self.peek(0) == Some(quote) {
                    self.pos += 1;
                } else {
                    return Ok(());
                }
            } else {
                self.bump();
            }
        }
        Err(self.unterminated(what, opening))
    }

    /// The `$tag$` opening at `pos`, if one opens there.
    fn dollar_tag(&self) -> Option<&'a str> {
        if self.pos > 0 && is_word_byte(self.bytes[self.pos - 1]) {
            return None;
        }
        let rest = &self.bytes[self.pos + 1..];
        if rest.first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let len = rest.iter().position(|b| !is_word_byte(*b) || *b == b'$')?;
        (rest[len] == b'$').then(|| &self.src[self.pos..self.pos + len + 2])
    }

    fn dollar_quoted(&mut self) -> Result<(), SplitError> {
        let opening = self.here();
        let tag = self.dollar_tag().unwrap_or("$$");
        self.pos += tag.len();
        // One substring search (linear), then the lines it skipped.
        let Some(found) = self.src[self.pos..].find(tag) else {
            return Err(self.unterminated("dollar-quoted string", opening));
        };
        let body = &self.src[self.pos..self.pos + found];
        if let Some(last) = body.rfind('\n') {
            self.line += u32::try_from(body.bytes().filter(|&b| b == b'\n').count()).unwrap_or(u32::MAX);
            self.line_start = self.pos + last + 1;
        }
        self.pos += found + tag.len();
        Ok(())
    }
}

/// A position remembered at an opening quote or comment.
#[derive(Clone, Copy)]
struct Opening {
    line: u32,
    line_start: usize,
    pos: usize,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(sql: &str, dialect: Dialect) -> Vec<(u32, String)> {
        split_statements(sql, dialect, 1).unwrap().into_iter().map(|s| (s.line, s.sql)).collect()
    }

    fn texts(sql: &str, dialect: Dialect) -> Vec<String> {
        split(sql, dialect).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn semicolons_end_statements_and_lines_are_kept() {
        let got = split("CREATE TABLE a (x INT);\n\n  INSERT INTO a VALUES (1);\nSELECT 1", Dialect::Sqlite);
        assert_eq!(
            got,
            vec![
                (1, "CREATE TABLE a (x INT)".to_owned()),
                (3, "INSERT INTO a VALUES (1)".to_owned()),
                (4, "SELECT 1".to_owned())
            ]
        );
    }

    #[test]
    fn semicolons_in_quotes_do_not_split() {
        let sql = "INSERT INTO t VALUES ('a;b', 'it''s;');\nSELECT \"we;ird\" FROM `x;y`;";
        assert_eq!(texts(sql, Dialect::Sqlite).len(), 2);
        assert_eq!(texts(sql, Dialect::MySql).len(), 2);
    }

    #[test]
    fn mysql_backslash_escapes_a_quote() {
        let sql = r"INSERT INTO t VALUES ('it\'s; fine'); SELECT 2";
        assert_eq!(texts(sql, Dialect::MySql).len(), 2);
    }

    #[test]
    fn postgres_standard_strings_end_at_a_backslash_quote() {
        let sql = r"INSERT INTO t VALUES ('C:\'); SELECT 2";
        assert_eq!(texts(sql, Dialect::Postgres).len(), 2);
    }

    #[test]
    fn postgres_e_strings_take_backslash_escapes() {
        let sql = r"INSERT INTO t VALUES (E'it\'s;'); SELECT 2";
        assert_eq!(texts(sql, Dialect::Postgres), vec![r"INSERT INTO t VALUES (E'it\'s;')", "SELECT 2"]);
    }

    #[test]
    fn dollar_quoted_function_bodies_stay_whole() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1; RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\nSELECT $$a;b$$;\nSELECT $1";
        let got = texts(sql, Dialect::Postgres);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].ends_with("LANGUAGE plpgsql"));
    }

    #[test]
    fn comments_hide_semicolons_and_leading_comments_are_dropped() {
        let sql = "-- first; not a split\nCREATE TABLE a (x INT /* ; */);\n/* only a comment; */\n-- trailing;";
        assert_eq!(split(sql, Dialect::Postgres), vec![(2, "CREATE TABLE a (x INT /* ; */)".to_owned())]);
    }

    #[test]
    fn mysql_executable_comments_are_statements() {
        assert_eq!(
            texts("/*!40101 SET NAMES utf8 */;\nSELECT 1;", Dialect::MySql),
            vec!["/*!40101 SET NAMES utf8 */", "SELECT 1"]
        );
    }

    #[test]
    fn postgres_block_comments_nest() {
        let sql = "SELECT 1 /* outer /* inner; */ still; */; SELECT 2";
        assert_eq!(texts(sql, Dialect::Postgres).len(), 2);
    }

    #[test]
    fn mysql_hash_comments() {
        let sql = "SELECT 1; # a comment; with a semicolon\nSELECT 2";
        assert_eq!(texts(sql, Dialect::MySql), vec!["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn sqlite_trigger_bodies_stay_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  INSERT INTO log VALUES (CASE WHEN 1 THEN 'x' END);\nEND;\nSELECT 1;";
        let got = texts(sql, Dialect::Sqlite);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("END"));
    }

    #[test]
    fn mysql_procedures_with_if_and_case_blocks_stay_whole() {
        let sql = "CREATE PROCEDURE p(x INT)\nBEGIN\n  IF x > 0 THEN SELECT 1; END IF;\n  CASE x WHEN 1 THEN SELECT 2; ELSE SELECT 3; END CASE;\n  lbl: LOOP LEAVE lbl; END LOOP;\nEND;\nSELECT 4;";
        let got = texts(sql, Dialect::MySql);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn transaction_begin_end_outside_compound_statements_split() {
        assert_eq!(texts("BEGIN; SELECT 1; END;", Dialect::Postgres), vec!["BEGIN", "SELECT 1", "END"]);
    }

    #[test]
    fn kept_blocks_are_one_statement() {
        let sql = "SELECT 0;\n-- retort:begin-block\nDO something; weird;\n-- retort:end-block\nSELECT 5;";
        assert_eq!(
            split(sql, Dialect::Postgres),
            vec![(1, "SELECT 0".to_owned()), (3, "DO something; weird".to_owned()), (5, "SELECT 5".to_owned())]
        );
    }

    #[test]
    fn unterminated_things_are_errors_with_their_position() {
        let err = split_statements("SELECT 1;\nSELECT 'abc", Dialect::Sqlite, 7).unwrap_err();
        assert_eq!(err, SplitError::Unterminated { what: "string literal", line: 8, column: 8 });
        let err = split_statements("SELECT $x$ abc", Dialect::Postgres, 1).unwrap_err();
        assert!(matches!(err, SplitError::Unterminated { what: "dollar-quoted string", .. }));
        let err = split_statements("/* abc", Dialect::Postgres, 1).unwrap_err();
        assert!(matches!(err, SplitError::Unterminated { what: "block comment", .. }));
        let err = split_statements("-- retort:begin-block\nSELECT 1;", Dialect::Postgres, 3).unwrap_err();
        assert_eq!(err, SplitError::UnclosedBlock { line: 3 });
        let err = split_statements("SELECT 1;\n-- retort:end-block", Dialect::Postgres, 1).unwrap_err();
        assert_eq!(err, SplitError::StrayBlockEnd { line: 2 });
    }

    #[test]
    fn dollar_inside_identifiers_is_not_a_quote() {
        assert_eq!(texts("SELECT a$b$ FROM t; SELECT 2", Dialect::Postgres).len(), 2);
    }

    #[test]
    fn multibyte_text_survives() {
        let got = split("INSERT INTO t VALUES ('héllo; wörld'); SELECT 'ü'", Dialect::Postgres);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].1, "SELECT 'ü'");
    }
}
