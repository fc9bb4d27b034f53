//! Reading the header of an Alembic `.py` revision: its module-level
//! assignments and its docstring. The body (`upgrade()`, `downgrade()`) is
//! not executed or translated.

use std::path::Path;

use crate::checksum::checksum;
use crate::diagnostic::Diagnostic;
use crate::parse::id_diagnostic;
use crate::revision::{HeaderLines, Revision, SourceKind, validate_id};

/// A Python token: a name (or number), a string literal's value, or one
/// punctuation character.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Str(String),
    /// An f-string: its value is computed.
    FString(String),
    Punct(char),
}

/// A token and the line it starts on.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) line: u32,
}

/// A logical line of Python: its tokens, whether it starts at column 0,
/// and its indentation.
pub(crate) struct LogicalLine {
    pub(crate) tokens: Vec<Token>,
    pub(crate) top_level: bool,
    pub(crate) indent: usize,
}

/// An unterminated string, with the line it starts on.
pub(crate) struct LexError(pub(crate) u32);

/// Splits Python source into logical lines of tokens, enough to read
/// literal assignments, the docstring and the bodies' calls. It works on
/// bytes: every byte of a multi-byte character counts as part of a name,
/// outside strings and comments (where Python allows only letters).
pub(crate) fn lex(text: &str) -> Result<Vec<LogicalLine>, LexError> {
    lex_lines(text, false)
}

/// [`lex`]; with `top_level_only`, the tokens of indented lines (function
/// bodies) are scanned past but not kept: a header needs none of them.
pub(crate) fn lex_lines(text: &str, top_level_only: bool) -> Result<Vec<LogicalLine>, LexError> {
    let bytes = text.as_bytes();
    let mut skipping = false;
    let mut lines = Vec::new();
    let mut tokens: Vec<Token> = Vec::new();
    let mut top_level = true;
    let mut indent = 0usize;
    let mut at_line_start = true;
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut i = 0;
    let flush = |tokens: &mut Vec<Token>, lines: &mut Vec<LogicalLine>, top_level: bool, indent: usize| {
        if !tokens.is_empty() {
            lines.push(LogicalLine { tokens: std::mem::take(tokens), top_level, indent });
        }
    };
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                i += 1;
                line_start = i;
                if depth == 0 {
                    flush(&mut tokens, &mut lines, top_level, indent);
                    at_line_start = true;
                }
                continue;
            }
            b'#' => {
                i = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |at| i + at);
                continue;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                i += 2;
                line += 1;
                line_start = i;
                continue;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if at_line_start && depth == 0 {
            top_level = tokens.is_empty() && i == line_start;
            indent = i - line_start;
            at_line_start = false;
            skipping = top_level_only && !top_level;
        }
        let token_line = line;
        if is_name(b) {
            let start = i;
            while i < bytes.len() && is_name(bytes[i]) {
                i += 1;
            }
            let word = &text[start..i];
            let is_prefix = word.len() <= 2 && word.bytes().all(|c| b"rRbBuUfF".contains(&c));
            if is_prefix && matches!(bytes.get(i), Some(b'\'' | b'"')) {
                let raw = word.contains(['r', 'R']);
                let value = read_string(text, &mut i, &mut line, &mut line_start, raw, !skipping)?;
                let tok = if word.contains(['f', 'F']) { Tok::FString(value) } else { Tok::Str(value) };
                if !skipping {
                    tokens.push(Token { tok, line: token_line });
                }
            } else if !skipping {
                tokens.push(Token { tok: Tok::Name(word.to_owned()), line: token_line });
            }
            continue;
        }
        if b == b'\'' || b == b'"' {
            let value = read_string(text, &mut i, &mut line, &mut line_start, false, !skipping)?;
            if !skipping {
                tokens.push(Token { tok: Tok::Str(value), line: token_line });
            }
            continue;
        }
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !skipping {
            tokens.push(Token { tok: Tok::Punct(char::from(b)), line: token_line });
        }
        i += 1;
    }
    flush(&mut tokens, &mut lines, top_level, indent);
    Ok(lines)
}

/// Reads a string literal whose opening quote is at byte `*i` of `text`.
/// Escapes keep the character after the backslash (and, raw, the
/// backslash too): enough for names and SQL, which is all retort reads.
/// Without `keep`, the literal is scanned past and its value left empty.
fn read_string(
    text: &str,
    i: &mut usize,
    line: &mut u32,
    line_start: &mut usize,
    raw: bool,
    keep: bool,
) -> Result<String, LexError> {
    let bytes = text.as_bytes();
    let start_line = *line;
    let quote = bytes[*i];
    let triple = bytes.get(*i + 1) == Some(&quote) && bytes.get(*i + 2) == Some(&quote);
    *i += if triple { 3 } else { 1 };
    let mut value = String::new();
    while *i < bytes.len() {
        // The run up to the next byte that matters.
        let run =
            bytes[*i..].iter().position(|&c| c == quote || c == b'\\' || c == b'\n').map_or(bytes.len(), |at| *i + at);
        if keep {
            value.push_str(&text[*i..run]);
        }
        *i = run;
        let Some(&c) = bytes.get(*i) else { break };
        if c == b'\\' && *i + 1 < bytes.len() {
            if raw && keep {
                value.push('\\');
            }
            let next = text[*i + 1..].chars().next().unwrap_or('\\');
            if next == '\n' {
                *line += 1;
                *line_start = *i + 2;
                if raw && keep {
                    value.push('\n');
                }
            } else if keep {
                value.push(next);
            }
            *i += 1 + next.len_utf8();
            continue;
        }
        if c == quote {
            if !triple {
                *i += 1;
                return Ok(value);
            }
            if bytes.get(*i + 1) == Some(&quote) && bytes.get(*i + 2) == Some(&quote) {
                *i += 3;
                return Ok(value);
            }
        }
        if c == b'\n' {
            if !triple {
                return Err(LexError(start_line));
            }
            *line += 1;
            *line_start = *i + 1;
        }
        if keep {
            value.push(char::from(c));
        }
        *i += 1;
    }
    Err(LexError(start_line))
}

/// Values known for names a revision module imports (`cli.EXPAND_BRANCH`
/// → `expand`), given by the project because retort does not run Python.
pub type KnownNames = std::collections::BTreeMap<String, String>;

/// Why a header value could not be read.
enum Unreadable {
    /// Not a literal, a name or a tuple or list of them.
    Computed,
    /// A (dotted) name bound neither to a literal in the module nor in the
    /// project's known names.
    UnknownName(String),
}

/// One item of a header value: a string literal (adjacent literals
/// concatenate, as in Python) or a dotted name, looked up in the module's
/// earlier bindings and then in the known names.
fn item_value(tokens: &[Token], bound: &Bindings, known: &KnownNames) -> Result<Vec<String>, Unreadable> {
    if !tokens.is_empty() && tokens.iter().all(|t| matches!(t.tok, Tok::Str(_))) {
        return Ok(vec![tokens.iter().map(|t| if let Tok::Str(s) = &t.tok { s.as_str() } else { "" }).collect()]);
    }
    let name = dotted_name(tokens).ok_or(Unreadable::Computed)?;
    if let Some(value) = bound.get(&name) {
        return Ok(value.clone());
    }
    match known.get(&name) {
        Some(value) => Ok(vec![value.clone()]),
        None => Err(Unreadable::UnknownName(name)),
    }
}

/// `a.b.c` written as name, `.`, name…; `None` for anything else.
fn dotted_name(tokens: &[Token]) -> Option<String> {
    let mut name = String::new();
    for (index, token) in tokens.iter().enumerate() {
        match (&token.tok, index % 2) {
            (Tok::Name(part), 0) => name.push_str(part),
            (Tok::Punct('.'), 1) => name.push('.'),
            _ => return None,
        }
    }
    (!name.is_empty() && !name.ends_with('.')).then_some(name)
}

/// The value of a header assignment: `None`, a string, a name bound to
/// one, or a tuple, list or set of those.
fn literal_value(tokens: &[Token], bound: &Bindings, known: &KnownNames) -> Result<Vec<String>, Unreadable> {
    match tokens {
        [Token { tok: Tok::Name(name), .. }] if name == "None" => Ok(Vec::new()),
        [Token { tok: Tok::Punct(open), .. }, inner @ .., Token { tok: Tok::Punct(close), .. }]
            if matches!((open, close), ('(', ')') | ('[', ']') | ('{', '}')) =>
        {
            let parts: Vec<&[Token]> = inner.split(|t| t.tok == Tok::Punct(',')).collect();
            let mut items = Vec::new();
            for (index, item) in parts.iter().enumerate() {
                match item.is_empty() {
                    // Only a trailing comma may leave an item empty.
                    true if index + 1 == parts.len() && index > 0 => {}
                    true if parts.len() == 1 => {}
                    true => return Err(Unreadable::Computed),
                    false => items.extend(item_value(item, bound, known)?),
                }
            }
            Ok(items)
        }
        _ => item_value(tokens, bound, known),
    }
}

/// The module-level names bound to literal values so far (a later
/// assignment replaces an earlier one, as in Python).
type Bindings = std::collections::HashMap<String, Vec<String>>;

/// Splits `name: annotation = value` into the value tokens, or `None` when
/// the logical line is not such an assignment.
fn assignment_value(tokens: &[Token]) -> Option<&[Token]> {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate().skip(1) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Tok::Punct('=') if depth == 0 => {
                let next_is_eq = matches!(tokens.get(index + 1), Some(Token { tok: Tok::Punct('='), .. }));
                let prev_is_op = matches!(tokens[index - 1].tok, Tok::Punct('!' | '<' | '>' | '='));
                if next_is_eq || prev_is_op {
                    return None;
                }
                return Some(&tokens[index + 1..]);
            }
            _ => {}
        }
    }
    None
}

/// A header variable's literal value (its items) and the line it was set on.
type Assigned = (Vec<String>, u32);

/// The four module-level variables Alembic reads from a revision module;
/// the last assignment of each wins, as in Python.
#[derive(Default)]
struct HeaderValues {
    revision: Option<Assigned>,
    down_revision: Option<Assigned>,
    branch_labels: Option<Assigned>,
    depends_on: Option<Assigned>,
}

impl HeaderValues {
    /// Where the value of the variable `name` goes; `None` for any other name.
    fn slot(&mut self, name: &str) -> Option<&mut Option<Assigned>> {
        match name {
            "revision" => Some(&mut self.revision),
            "down_revision" => Some(&mut self.down_revision),
            "branch_labels" => Some(&mut self.branch_labels),
            "depends_on" => Some(&mut self.depends_on),
            _ => None,
        }
    }
}

/// Parses the header of an Alembic revision module read from `path`.
///
/// The module-level assignments are authoritative (`revision = …`,
/// `down_revision = …`, `branch_labels = …`, `depends_on = …`, plain or
/// annotated); the message is the docstring's first paragraph and the
/// create date its `Create Date:` line. Returns `None` without problems for
/// files Alembic itself skips (`__init__.py`).
pub fn parse_python_revision(path: &Path, text: &str) -> (Option<Revision>, Vec<Diagnostic>) {
    parse_python_revision_with(path, text, &KnownNames::new())
}

/// [`parse_python_revision`], with values for names the module imports
/// (`cli.EXPAND_BRANCH`), which the project gives in `retort.toml`.
pub fn parse_python_revision_with(path: &Path, text: &str, known: &KnownNames) -> (Option<Revision>, Vec<Diagnostic>) {
    parse_python(path, text, known, true)
}

/// [`parse_python_revision_with`]; without `translate`, the body is left
/// for [`crate::RevisionGraph::runnable`] (`body_pending`).
pub(crate) fn parse_python(
    path: &Path,
    text: &str,
    known: &KnownNames,
    translate: bool,
) -> (Option<Revision>, Vec<Diagnostic>) {
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if file_name.starts_with("__init__") {
        return (None, Vec::new());
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let report = |d: Diagnostic| d.with_source(text);
    let mut problems: Vec<Diagnostic> = super::nul_diagnostic(path, text).map(report).into_iter().collect();
    let lines = match lex_lines(text, !translate) {
        Ok(lines) => lines,
        Err(LexError(line)) => {
            let d = Diagnostic::error("unterminated string literal starting here")
                .at(path, line)
                .help("the file must be valid Python; close the string");
            problems.push(report(d));
            return (None, problems);
        }
    };

    let mut values = HeaderValues::default();
    let mut bound = Bindings::new();
    for logical in lines.iter().filter(|l| l.top_level) {
        let Some(Token { tok: Tok::Name(name), line }) = logical.tokens.first() else {
            continue;
        };
        let Some(value) = assignment_value(&logical.tokens) else {
            continue;
        };
        let read = literal_value(value, &bound, known);
        if let Ok(items) = &read {
            bound.insert(name.clone(), items.clone());
        } else {
            bound.remove(name);
        }
        let Some(slot) = values.slot(name) else {
            continue;
        };
        match read {
            Ok(items) => *slot = Some((items, *line)),
            Err(why) => problems.push(report(unreadable_header(path, *line, name, why))),
        }
    }

    let docstring = lines.first().and_then(|l| match l.tokens.as_slice() {
        [Token { tok: Tok::Str(s), .. }] => Some(s.trim().to_owned()),
        _ => None,
    });
    let message = docstring.as_deref().map(|d| d.split("\n\n").next().unwrap_or("").to_owned()).unwrap_or_default();
    let create_date = docstring
        .as_deref()
        .and_then(|d| d.lines().find_map(|l| l.trim().strip_prefix("Create Date:").map(|v| v.trim().to_owned())));

    let HeaderValues { revision, down_revision, branch_labels, depends_on } = values;
    let (id, id_line) = match revision {
        Some((mut ids, line)) if ids.len() == 1 => (ids.remove(0), line),
        Some((_, line)) => {
            problems.push(report(
                Diagnostic::error("`revision` must be a single string")
                    .at(path, line)
                    .help("write `revision = \"<id>\"`"),
            ));
            return (None, problems);
        }
        None => {
            // Alembic's legacy rule: a file named `<hex>.py` is that revision.
            let stem = file_name.strip_suffix(".py").unwrap_or("");
            if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                (stem.to_owned(), 0)
            } else {
                problems.push(
                    Diagnostic::error("no `revision = …` assignment: cannot tell which revision this file is")
                        .in_file(path)
                        .help(
                            "declare `revision = \"<id>\"` at the top level of the module, as Alembic's template does",
                        ),
                );
                return (None, problems);
            }
        }
    };
    if let Err(err) = validate_id(&id) {
        problems.push(report(id_diagnostic(path, id_line, &err)));
        if id.is_empty() {
            return (None, problems);
        }
    }
    let line_of = |v: &Option<(Vec<String>, u32)>| v.as_ref().map_or(0, |(_, line)| *line);
    let header_lines = HeaderLines {
        id: id_line,
        revises: line_of(&down_revision),
        branch_labels: line_of(&branch_labels),
        depends_on: line_of(&depends_on),
    };
    let take = |v: Option<(Vec<String>, u32)>| v.map(|(items, _)| items).unwrap_or_default();
    let revision = Revision {
        id,
        down_revisions: take(down_revision),
        branch_labels: take(branch_labels),
        depends_on: take(depends_on),
        message,
        doc: docstring.clone().unwrap_or_default(),
        create_date,
        transactional: true,
        upgrade: Vec::new(),
        downgrade: Vec::new(),
        path: path.to_path_buf(),
        lines: header_lines,
        checksum: checksum(text),
        kind: SourceKind::Python,
        sql_file: None,
        untranslated: Vec::new(),
        body_pending: !translate,
    };
    let mut revision = revision;
    if translate {
        crate::translate::attach(&mut revision, &lines);
    }
    (Some(revision), problems)
}

/// The diagnostic for a header variable whose value retort cannot read.
fn unreadable_header(path: &Path, line: u32, variable: &str, why: Unreadable) -> Diagnostic {
    match why {
        Unreadable::Computed => Diagnostic::error(format!("cannot read the value of `{variable}`"))
            .at(path, line)
            .help("retort reads literal values only: a string, None, a name bound to a string in this file, or a tuple or list of those"),
        Unreadable::UnknownName(name) => Diagnostic::error(format!(
            "cannot read the value of `{variable}`: `{name}` is not bound to a literal in this file"
        ))
        .at(path, line)
        .help(format!(
            "write the value itself (`{variable} = (\"…\",)`), or give it in retort.toml: `[python_names]` then `\"{name}\" = \"…\"`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> (Option<Revision>, Vec<Diagnostic>) {
        parse_python_revision(Path::new(name), text)
    }

    const TEMPLATE: &str = r#""""Add offers

Revision ID: 2d970929c35a
Revises: 37e1cb6de47f
Create Date: 2026-11-20 10:31:07.123456

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '2d970929c35a'
down_revision: Union[str, Sequence[str], None] = '37e1cb6de47f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    revision = "not-this-one"
    op.create_table("offer")


def downgrade() -> None:
    """Downgrade schema."""
    pass
"#;

    #[test]
    fn alembics_template_is_read() {
        let (rev, problems) = parse("2d970929c35a_add_offers.py", TEMPLATE);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.id, "2d970929c35a");
        assert_eq!(rev.down_revisions, ["37e1cb6de47f"]);
        assert!(rev.branch_labels.is_empty());
        assert_eq!(rev.message, "Add offers");
        assert_eq!(rev.create_date.as_deref(), Some("2026-11-20 10:31:07.123456"));
        assert_eq!(rev.kind, SourceKind::Python);
        assert!(!rev.has_sql());
        assert_eq!(rev.lines.id, 14);
    }

    #[test]
    fn the_assignments_win_over_the_docstring() {
        let text = "\"\"\"Old message\n\nRevision ID: aaaa\nRevises: bbbb\n\"\"\"\nrevision = \"cccc\"\ndown_revision = \"dddd\"\n";
        let rev = parse("x.py", text).0.unwrap();
        assert_eq!(rev.id, "cccc");
        assert_eq!(rev.down_revisions, ["dddd"]);
    }

    #[test]
    fn every_form_of_the_assignments_is_read() {
        let text = r#"
revision = "0018"  # the id
down_revision: str | None = (  # a merge
    '0016',
    "0017",
)
branch_labels = ['shop',]
depends_on: Union[str, Sequence[str], None] = {'0009'}
"#;
        let (rev, problems) = parse("2018-07-05_15-19_0018_merge.py", text);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.id, "0018");
        assert_eq!(rev.down_revisions, ["0016", "0017"]);
        assert_eq!(rev.branch_labels, ["shop"]);
        assert_eq!(rev.depends_on, ["0009"]);
        assert_eq!(rev.lines.revises, 3);
    }

    #[test]
    fn none_and_empty_tuples_mean_nothing() {
        let rev = parse("x.py", "revision = 'a1b2'\ndown_revision = None\nbranch_labels = ()\n").0.unwrap();
        assert!(rev.down_revisions.is_empty());
        assert!(rev.branch_labels.is_empty());
    }

    #[test]
    fn init_files_are_skipped() {
        assert_eq!(parse("__init__.py", "").0, None);
        assert!(parse("__init__.py", "").1.is_empty());
    }

    #[test]
    fn a_file_without_revision_is_an_error_unless_its_name_is_hex() {
        let (rev, problems) = parse("helpers.py", "x = 1\n");
        assert!(rev.is_none());
        assert!(problems[0].message.contains("no `revision = …` assignment"));
        let (rev, problems) = parse("ae1027a6acf.py", "down_revision = None\n");
        assert!(problems.is_empty());
        assert_eq!(rev.unwrap().id, "ae1027a6acf");
    }

    #[test]
    fn computed_values_and_bad_ids_are_reported() {
        let (_, problems) = parse("x.py", "revision = 'ab12'\ndown_revision = PREVIOUS\n");
        assert_eq!(problems[0].line, Some(2));
        assert!(problems[0].message.contains("cannot read the value of `down_revision`"));
        let (rev, problems) = parse("x.py", "revision = 'ab:12'\n");
        assert_eq!(rev.unwrap().id, "ab:12", "kept, so that links to it do not cascade");
        assert!(problems[0].message.contains("not allowed in revision identifier"));
    }

    #[test]
    fn unterminated_strings_are_reported() {
        let (rev, problems) = parse("x.py", "\"\"\"doc\nrevision = 'a1'\n");
        assert!(rev.is_none());
        assert_eq!(problems[0].line, Some(1));
    }

    #[test]
    fn comparisons_are_not_assignments() {
        let rev = parse("x.py", "revision = 'a1b2'\nif revision == 'x':\n    pass\ndown_revision = None\n").0.unwrap();
        assert_eq!(rev.id, "a1b2");
    }

    #[test]
    fn names_bound_in_the_file_or_given_by_the_project_are_read() {
        let text = "from neutron.db.migration import cli\nBRANCH = 'expand'\nrevision = 'a1b2'\ndown_revision = None\nbranch_labels = (BRANCH,)\ndepends_on = (cli.CONTRACT_HEAD, 'c3d4')\n";
        let (_, problems) = parse("x.py", text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(6));
        assert!(
            problems[0].message.contains("`cli.CONTRACT_HEAD` is not bound to a literal"),
            "{}",
            problems[0].message
        );
        assert!(problems[0].help.as_deref().unwrap_or("").contains("[python_names]"));
        let known = KnownNames::from([("cli.CONTRACT_HEAD".to_owned(), "e5f6".to_owned())]);
        let (rev, problems) = parse_python_revision_with(Path::new("x.py"), text, &known);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.branch_labels, ["expand"]);
        assert_eq!(rev.depends_on, ["e5f6", "c3d4"]);
    }

    #[test]
    fn a_name_rebound_to_something_computed_is_not_used() {
        let text = "B = 'x'\nB = compute()\nrevision = 'a1b2'\nbranch_labels = B\n";
        let (_, problems) = parse("x.py", text);
        assert!(problems[0].message.contains("`B` is not bound"), "{problems:?}");
        let (_, problems) = parse("x.py", "revision = 'a1b2'\nbranch_labels = ('a',,'b')\n");
        assert!(problems[0].message.contains("cannot read the value of `branch_labels`"));
    }
}
