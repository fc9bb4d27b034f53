//! Alembic `.py` bodies translated to SQL without Python: the literal
//! subset of `upgrade()` and `downgrade()` (`op.*` calls whose arguments
//! are literals, SQLAlchemy columns, types and constraints, module-level
//! names bound to literals), rendered per engine as Alembic's offline mode
//! writes it. Anything else is named at its line, never guessed.

mod expr;
mod ops;
mod render;
mod sqlite_batch;

pub use sqlite_batch::{SQLITE_BATCH, batch_payload, sqlite_batch};

use std::collections::HashMap;

use crate::parse::python::{LogicalLine, Tok, Token, lex};
use crate::revision::{Dialect, Direction, Revision, Section, Untranslated};
use expr::{Expr, Unsupported, describe, parse_expr};
use ops::Op;

/// The engines a translation writes sections for.
const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

/// A body translated: for each engine its section, or why that engine
/// cannot run it; no engines at all for a body that only raises
/// (irreversible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslatedBody {
    /// Each engine's section or refusal; empty for an irreversible body.
    pub dialects: Vec<(Dialect, Result<Section, Untranslatable>)>,
    /// The body has an `autocommit_block`: the revision runs outside a
    /// transaction (retort's `Transactional: false`).
    pub autocommit: bool,
}

impl TranslatedBody {
    /// Every engine's section, or the first refusal.
    pub fn sections(&self) -> Result<Vec<Section>, Untranslatable> {
        self.dialects.iter().map(|(_, result)| result.clone()).collect()
    }

    /// The section for `dialect`, or why there is none.
    pub fn section(&self, dialect: Dialect) -> Option<&Result<Section, Untranslatable>> {
        self.dialects.iter().find(|(d, _)| *d == dialect).map(|(_, r)| r)
    }
}

/// What could not be translated: the line and the construct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    /// 1-based line in the `.py` file.
    pub line: u32,
    /// What is there, and why it is not translated.
    pub what: String,
}

impl std::fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// The translation of a revision module's `upgrade()` and `downgrade()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The upgrade's sections.
    pub upgrade: Result<TranslatedBody, Untranslatable>,
    /// The downgrade's sections (none: irreversible).
    pub downgrade: Result<TranslatedBody, Untranslatable>,
}

/// Translates the bodies of the revision module `text` (read from `path`,
/// for nothing but messages).
///
/// ```
/// use retort_core::Dialect;
/// let text = "from alembic import op\nimport sqlalchemy as sa\nrevision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    op.add_column('account', sa.Column('email', sa.String(100), nullable=True))\n\ndef downgrade():\n    op.drop_column('account', 'email')\n";
/// let t = retort_core::translate::translate_python(text);
/// let up = t.upgrade.unwrap();
/// let mysql = up.section(Dialect::MySql).unwrap().as_ref().unwrap();
/// assert_eq!(mysql.sql.trim(), "ALTER TABLE account ADD COLUMN email VARCHAR(100);");
/// ```
pub fn translate_python(text: &str) -> Translation {
    match lex(text.strip_prefix('\u{feff}').unwrap_or(text)) {
        Ok(lines) => translate_lines(&lines),
        Err(err) => {
            let failed = Untranslatable { line: err.0, what: "an unterminated string".to_owned() };
            Translation { upgrade: Err(failed.clone()), downgrade: Err(failed) }
        }
    }
}

/// [`translate_python`] of a module already split into logical lines.
fn translate_lines(lines: &[LogicalLine]) -> Translation {
    let bindings = module_bindings(lines);
    Translation {
        upgrade: translate_function(lines, "upgrade", &bindings),
        downgrade: translate_function(lines, "downgrade", &bindings),
    }
}

/// Gives a `.py` revision the sections of its translated bodies, and
/// records what could not be translated, per direction and engine.
pub(crate) fn attach(revision: &mut Revision, lines: &[LogicalLine]) {
    let translation = translate_lines(lines);
    let autocommit =
        [&translation.upgrade, &translation.downgrade].iter().any(|b| b.as_ref().is_ok_and(|b| b.autocommit));
    if autocommit {
        revision.transactional = false;
    }
    let mut untranslated = Vec::new();
    for (direction, body) in [(Direction::Upgrade, translation.upgrade), (Direction::Downgrade, translation.downgrade)]
    {
        let mut sections = Vec::new();
        match body {
            Err(u) => untranslated.push(Untranslated { direction, dialect: None, line: u.line, what: u.what }),
            Ok(body) if body.dialects.is_empty() && direction == Direction::Upgrade => {
                untranslated.push(Untranslated {
                    direction,
                    dialect: None,
                    line: revision.lines.id.max(1),
                    what: "its upgrade() only raises".to_owned(),
                });
            }
            Ok(body) => {
                for (dialect, result) in body.dialects {
                    match result {
                        Ok(section) => sections.push(section),
                        Err(u) => untranslated.push(Untranslated {
                            direction,
                            dialect: Some(dialect),
                            line: u.line,
                            what: u.what,
                        }),
                    }
                }
            }
        }
        match direction {
            Direction::Upgrade => revision.upgrade = sections,
            Direction::Downgrade => revision.downgrade = sections,
        }
    }
    revision.untranslated = untranslated;
}

/// Translates the body of a `.py` revision read with its body pending,
/// from its file's text.
pub(crate) fn translate_pending(revision: &Revision, text: &str) -> Revision {
    let mut translated = revision.clone();
    translated.body_pending = false;
    match lex(text.strip_prefix('\u{feff}').unwrap_or(text)) {
        Ok(lines) => attach(&mut translated, &lines),
        Err(err) => translated.untranslated.push(Untranslated {
            direction: Direction::Upgrade,
            dialect: None,
            line: err.0,
            what: "an unterminated string".to_owned(),
        }),
    }
    translated
}

/// Module-level names bound to literal expressions.
fn module_bindings(lines: &[LogicalLine]) -> HashMap<String, Expr> {
    let mut bindings = HashMap::new();
    for line in lines.iter().filter(|l| l.top_level) {
        if let [Token { tok: Tok::Name(name), .. }, Token { tok: Tok::Punct('='), .. }, value @ ..] =
            line.tokens.as_slice()
            && !matches!(value.first(), Some(Token { tok: Tok::Punct('='), .. }))
        {
            match parse_expr(value) {
                Ok(expr) => bindings.insert(name.clone(), expr),
                Err(_) => bindings.remove(name),
            };
        }
    }
    bindings
}

/// The logical lines of `def name(...):`'s body, and the line of the `def`.
fn function_body<'l>(lines: &'l [LogicalLine], name: &str) -> Option<(u32, Vec<&'l LogicalLine>, Vec<Token>)> {
    let position = lines.iter().position(|l| {
        l.top_level
            && matches!(l.tokens.as_slice(), [Token { tok: Tok::Name(def), .. }, Token { tok: Tok::Name(n), .. }, ..] if def == "def" && n == name)
    })?;
    let def = &lines[position];
    if let Some(Token { tok: Tok::Punct('@'), line }) = position.checked_sub(1).and_then(|p| lines[p].tokens.first()) {
        return Some((*line, Vec::new(), vec![Token { tok: Tok::Punct('@'), line: *line }]));
    }
    // `def upgrade() -> None: pass` keeps its body on the same line.
    let colon = def.tokens.iter().rposition(|t| t.tok == Tok::Punct(':'))?;
    let inline: Vec<Token> = def.tokens[colon + 1..].to_vec();
    let body: Vec<&LogicalLine> = lines[position + 1..].iter().take_while(|l| l.indent > def.indent).collect();
    Some((def.tokens[0].line, body, inline))
}

/// The keyword a statement starts with, named for a message.
fn statement_kind(tokens: &[Token]) -> Option<String> {
    let Some(Token { tok: Tok::Name(first), .. }) = tokens.first() else { return None };
    let named = match first.as_str() {
        "for" | "while" => "a loop",
        "if" | "elif" | "else" => "an `if` (a condition Python decides at run time)",
        "try" | "except" | "finally" => "a `try` block",
        "with" => "a `with` block",
        "def" | "class" => "a definition",
        "import" | "from" => "an import inside the function",
        "return" | "yield" | "global" | "nonlocal" | "del" | "assert" => "a Python statement",
        _ => return None,
    };
    Some(format!("{named} ({})", describe(tokens)))
}

fn translate_function(
    lines: &[LogicalLine],
    name: &str,
    bindings: &HashMap<String, Expr>,
) -> Result<TranslatedBody, Untranslatable> {
    let Some((def_line, body, inline)) = function_body(lines, name) else {
        return Err(Untranslatable { line: 1, what: format!("no `def {name}()` in the module") });
    };
    // Each statement, with the batch it is in (`with op.batch_alter_table(…)
    // as batch_op:`), if any.
    let mut statements: Vec<(&[Token], Option<usize>)> = Vec::new();
    let mut batches: Vec<Batch> = Vec::new();
    let mut plain = Vec::new();
    split(&inline, &mut plain);
    statements.extend(plain.into_iter().map(|t| (t, None)));
    let indent = body.first().map(|l| l.indent);
    let mut autocommit = false;
    // An open block: the `with` line's indent, its statements' indent, and
    // the batch it opens (none for autocommit_block).
    let mut block: Option<(usize, Option<usize>, Option<usize>)> = None;
    for line in &body {
        if let Some((with_indent, inner, batch)) = &mut block {
            if line.indent > *with_indent {
                if inner.is_none_or(|i| i == line.indent) {
                    *inner = Some(line.indent);
                    let mut found = Vec::new();
                    split(&line.tokens, &mut found);
                    statements.extend(found.into_iter().map(|t| (t, *batch)));
                }
                continue;
            }
            block = None;
        }
        // A deeper line belongs to a compound statement, refused at its
        // first line.
        if Some(line.indent) != indent {
            continue;
        }
        if is_autocommit_block(&line.tokens) {
            autocommit = true;
            block = Some((line.indent, None, None));
            continue;
        }
        if let Some(batch) = batch_block(&line.tokens, bindings) {
            let batch = batch.map_err(|what| Untranslatable { line: line.tokens[0].line, what })?;
            batches.push(batch);
            block = Some((line.indent, None, Some(batches.len() - 1)));
            continue;
        }
        let mut found = Vec::new();
        split(&line.tokens, &mut found);
        statements.extend(found.into_iter().map(|t| (t, None)));
    }
    let mut operations: Vec<Planned> = Vec::new();
    let mut raises = false;
    for (tokens, batch) in statements {
        let line = tokens.first().map_or(def_line, |t| t.line);
        let fail = |what: String| Untranslatable { line, what };
        match tokens {
            [Token { tok: Tok::Punct('@'), .. }] => {
                return Err(fail(format!("a decorator on `def {name}()`: it may change what the body does")));
            }
            [Token { tok: Tok::Str(_), .. }] => continue,
            [Token { tok: Tok::Name(word), .. }] if word == "pass" => continue,
            [Token { tok: Tok::Name(word), .. }, ..] if word == "raise" => {
                raises = true;
                continue;
            }
            _ => {}
        }
        if let Some(kind) = statement_kind(tokens) {
            return Err(fail(kind));
        }
        if tokens.iter().any(|t| matches!(&t.tok, Tok::Name(n) if n == "get_bind")) {
            return Err(fail(
                "`op.get_bind()`: Python that works with the connection (a data migration, a check of the engine) needs a person, or Alembic's offline capture (`retort import --alembic`)".to_owned(),
            ));
        }
        if is_assignment(tokens) {
            return Err(fail(format!("an assignment ({})", describe(tokens))));
        }
        let expr = parse_expr(tokens).map_err(|Unsupported { line, what }| Untranslatable { line, what })?;
        let Expr::Call(call) = substitute(expr, bindings) else {
            return Err(fail(format!("{} (not an `op.*` call)", describe(tokens))));
        };
        let call = match batch {
            Some(index) => batches[index].as_op(call).map_err(fail)?,
            None => call,
        };
        let op = ops::operation(&call).map_err(fail)?;
        operations.push(Planned { line, op, batch, call });
    }
    if raises {
        if operations.is_empty() {
            return Ok(TranslatedBody { dialects: Vec::new(), autocommit });
        }
        return Err(Untranslatable { line: def_line, what: "a `raise` after operations".to_owned() });
    }
    let dialects = DIALECTS
        .iter()
        .map(|&d| (d, section(d, def_line, &operations).map_err(|(line, what)| Untranslatable { line, what })))
        .collect();
    Ok(TranslatedBody { dialects, autocommit })
}

/// `a = …`, `a, b = …`, `a += …`: an `=` outside brackets that is not part
/// of `==`, `!=`, `<=`, `>=`.
fn is_assignment(tokens: &[Token]) -> bool {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Tok::Punct('=') if depth == 0 => {
                let before = i.checked_sub(1).map(|p| &tokens[p].tok);
                let after = tokens.get(i + 1).map(|t| &t.tok);
                let comparison =
                    matches!(before, Some(Tok::Punct('=' | '!' | '<' | '>'))) || matches!(after, Some(Tok::Punct('=')));
                if !comparison {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// An operation read from a body: where, what, in which batch, and the
/// `op.*` call it came from (what a SQLite batch statement holds).
struct Planned {
    line: u32,
    op: Op,
    batch: Option<usize>,
    call: expr::Call,
}

/// `with op.batch_alter_table("t", …) as batch_op:`: the table its
/// operations name, and the name they are called on.
struct Batch {
    var: String,
    table: Expr,
    schema: Option<Expr>,
}

impl Batch {
    /// `batch_op.add_column(col)` as `op.add_column("t", col)`, and so on.
    fn as_op(&self, mut call: expr::Call) -> Result<expr::Call, String> {
        let Some(method) = call.func.strip_prefix(&format!("{}.", self.var)).map(str::to_owned) else {
            return Err(format!("a call of `{}` inside batch_alter_table", call.func));
        };
        // Where the table goes among the positional arguments.
        let at = match method.as_str() {
            "add_column" | "drop_column" | "alter_column" | "execute" => 0,
            "create_index"
            | "create_foreign_key"
            | "create_unique_constraint"
            | "create_check_constraint"
            | "create_primary_key"
            | "drop_constraint" => 1,
            "drop_index" => {
                call.kwargs.push(("table_name".to_owned(), self.table.clone()));
                usize::MAX
            }
            other => {
                return Err(format!(
                    "`{}.{other}` inside batch_alter_table, which retort does not translate yet",
                    self.var
                ));
            }
        };
        if method != "execute" && at != usize::MAX {
            call.args.insert(at.min(call.args.len()), self.table.clone());
        }
        if let Some(schema) = &self.schema {
            call.kwargs.push(("schema".to_owned(), schema.clone()));
        }
        call.func = format!("op.{method}");
        Ok(call)
    }
}

/// The batch a `with op.batch_alter_table(…) as name:` line opens; `None`
/// for any other line.
fn batch_block(tokens: &[Token], bindings: &HashMap<String, Expr>) -> Option<Result<Batch, String>> {
    let is_batch = matches!(tokens.first(), Some(Token { tok: Tok::Name(w), .. }) if w == "with")
        && tokens.iter().any(|t| matches!(&t.tok, Tok::Name(n) if n == "batch_alter_table"));
    if !is_batch {
        return None;
    }
    let as_at = tokens.iter().rposition(|t| matches!(&t.tok, Tok::Name(n) if n == "as"));
    let (Some(as_at), Some(Token { tok: Tok::Name(var), .. }), Some(Token { tok: Tok::Punct(':'), .. })) =
        (as_at, as_at.and_then(|a| tokens.get(a + 1)), tokens.last())
    else {
        return Some(Err("a batch_alter_table block that is not `with op.batch_alter_table(…) as name:`".to_owned()));
    };
    let call = match parse_expr(&tokens[1..as_at]).map(|e| substitute(e, bindings)) {
        Ok(Expr::Call(call)) if call.func == "op.batch_alter_table" => call,
        _ => {
            return Some(Err(
                "a batch_alter_table block that is not `with op.batch_alter_table(…) as name:`".to_owned()
            ));
        }
    };
    for (key, value) in &call.kwargs {
        match (key.as_str(), value) {
            ("schema", _) | ("recreate", Expr::Str(_)) => {}
            _ => return Some(Err(format!("batch_alter_table with `{key}=`, which retort does not translate yet"))),
        }
    }
    if call.kwargs.iter().any(|(k, v)| k == "recreate" && *v == Expr::Str("always".to_owned())) {
        return Some(Err("batch_alter_table(recreate=\"always\"): a move-and-copy on every engine, which retort does not translate yet".to_owned()));
    }
    let Some(table) = call.args.first().cloned() else {
        return Some(Err("batch_alter_table without a table".to_owned()));
    };
    let schema = call.kwargs.iter().find(|(k, _)| k == "schema").map(|(_, v)| v.clone()).filter(|v| *v != Expr::None);
    Some(Ok(Batch { var: var.clone(), table, schema }))
}

/// `with op.get_context().autocommit_block():`
fn is_autocommit_block(tokens: &[Token]) -> bool {
    matches!(tokens.first(), Some(Token { tok: Tok::Name(w), .. }) if w == "with")
        && matches!(tokens.last(), Some(Token { tok: Tok::Punct(':'), .. }))
        && tokens.iter().any(|t| matches!(&t.tok, Tok::Name(n) if n == "autocommit_block"))
        && tokens.iter().filter(|t| matches!(&t.tok, Tok::Name(_))).count() == 4
}

/// Adds the statements of one logical line (`a(); b()` are two).
fn split<'t>(tokens: &'t [Token], statements: &mut Vec<&'t [Token]>) {
    let mut depth = 0usize;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Tok::Punct(';') if depth == 0 => {
                if i > start {
                    statements.push(&tokens[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        statements.push(&tokens[start..]);
    }
}

/// Names bound at module level replaced by their values, through calls and
/// containers (so `t = sa.table(…)` then `op.bulk_insert(t, […])` reads).
fn substitute(expr: Expr, bindings: &HashMap<String, Expr>) -> Expr {
    match expr {
        Expr::Name(name) => match bindings.get(&name) {
            Some(value) if !matches!(value, Expr::Name(_)) => value.clone(),
            _ => Expr::Name(name),
        },
        Expr::Call(mut call) => {
            call.args = call.args.into_iter().map(|a| substitute(a, bindings)).collect();
            call.kwargs = call.kwargs.into_iter().map(|(k, v)| (k, substitute(v, bindings))).collect();
            Expr::Call(call)
        }
        Expr::List(items) => Expr::List(items.into_iter().map(|i| substitute(i, bindings)).collect()),
        Expr::Dict(pairs) => {
            Expr::Dict(pairs.into_iter().map(|(k, v)| (substitute(k, bindings), substitute(v, bindings))).collect())
        }
        other => other,
    }
}

/// One engine's section: each operation's statements, placed at the line
/// of its call where the lines before allow, so that a failing statement
/// is reported near the call that made it.
fn section(dialect: Dialect, def_line: u32, operations: &[Planned]) -> Result<Section, (u32, String)> {
    let first = def_line + 1;
    let mut sql = String::new();
    let mut at = first;
    // On SQLite a batch adds columns and indexes with plain SQL, as Alembic
    // does; any other operation makes it Alembic's move-and-copy of the
    // table, which needs the table as it is: one statement stands for the
    // whole batch, and the runtime makes it when it gets there.
    let plain = |op: &Op| matches!(op, Op::AddColumn { .. } | Op::CreateIndex { .. } | Op::DropIndex { .. });
    let recreates = |batch: usize| operations.iter().any(|p| p.batch == Some(batch) && !plain(&p.op));
    let mut written: Vec<usize> = Vec::new();
    for Planned { line, op, batch, .. } in operations {
        let line = *line;
        let statements = match batch {
            Some(batch) if dialect == Dialect::Sqlite && recreates(*batch) => {
                if written.contains(batch) {
                    continue;
                }
                written.push(*batch);
                let calls: Vec<&expr::Call> =
                    operations.iter().filter(|p| p.batch == Some(*batch)).map(|p| &p.call).collect();
                vec![sqlite_batch::batch_statement(&calls)]
            }
            _ => render::render(op, dialect).map_err(|why| (line, why))?,
        };
        for statement in statements {
            while at < line {
                sql.push('\n');
                at += 1;
            }
            sql.push_str(&statement);
            sql.push_str(";\n");
            at += statement.matches('\n').count() as u32 + 1;
        }
    }
    Ok(Section { dialect: Some(dialect), line: first, sql: sql.trim_end_matches('\n').to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(body: &TranslatedBody, dialect: Dialect) -> String {
        body.section(dialect).unwrap().as_ref().unwrap().sql.clone()
    }

    #[test]
    fn statements_stand_at_the_line_of_their_call() {
        let text = "revision = 'a'\nNAME = 'account'\n\ndef upgrade():\n    \"\"\"Doc.\"\"\"\n    op.drop_column(NAME, 'a')\n\n\n    op.drop_column(NAME, 'b')\n\ndef downgrade():\n    raise NotImplementedError()\n";
        let t = translate_python(text);
        let up = t.upgrade.unwrap();
        let pg = up.section(Dialect::Postgres).unwrap().as_ref().unwrap();
        let statements = crate::split_statements(&pg.sql, Dialect::Postgres, pg.line).unwrap();
        assert_eq!(statements[0].line, 6);
        assert_eq!(statements[1].line, 9);
        assert_eq!(statements[1].sql, "ALTER TABLE account DROP COLUMN b");
        assert!(t.downgrade.unwrap().dialects.is_empty(), "a body that raises is irreversible");
    }

    #[test]
    fn python_beyond_the_subset_is_named_at_its_line() {
        let text = "def upgrade():\n    conn = op.get_bind()\n    for row in conn.execute('x'):\n        pass\n\ndef downgrade():\n    for t in ('a', 'b'):\n        op.drop_table(t)\n";
        let t = translate_python(text);
        let up = t.upgrade.unwrap_err();
        assert_eq!(up.line, 2);
        assert!(up.what.contains("op.get_bind()"), "{up}");
        let down = t.downgrade.unwrap_err();
        assert_eq!(down.line, 7);
        assert!(down.what.contains("a loop"), "{down}");
        let t = translate_python("def upgrade():\n    op.create_index(None, 't', ['a'])\n\ndef downgrade(): pass\n");
        assert!(t.upgrade.unwrap_err().what.contains("naming convention"));
        assert!(sql(&t.downgrade.unwrap(), Dialect::Sqlite).is_empty());
    }

    #[test]
    fn an_autocommit_block_makes_the_revision_run_outside_a_transaction() {
        let text = "revision = 'a1b2'\ndown_revision = None\n\ndef upgrade():\n    with op.get_context().autocommit_block():\n        op.execute('VACUUM')\n        op.execute('SELECT 2')\n    op.execute('SELECT 3')\n\ndef downgrade():\n    pass\n";
        let (rev, problems) = crate::parse_python_revision(std::path::Path::new("a1b2_x.py"), text);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert!(!rev.transactional);
        let statements = rev.statements(Direction::Upgrade, Dialect::Postgres).unwrap();
        let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql, ["VACUUM", "SELECT 2", "SELECT 3"]);
        assert_eq!(statements[0].line, 6);
    }

    #[test]
    fn decorators_and_every_form_of_assignment_are_named() {
        let text = "@utils.skip_if_sqlite\ndef upgrade():\n    op.drop_table('a')\n\ndef downgrade():\n    email, password = user_info()\n";
        let t = translate_python(text);
        let up = t.upgrade.unwrap_err();
        assert_eq!(up.line, 1);
        assert!(up.what.contains("a decorator"), "{up}");
        let down = t.downgrade.unwrap_err();
        assert!(down.what.starts_with("an assignment (`email, password = user_info()"), "{down}");
        let t = translate_python(
            "def upgrade():\n    if get_db_type() == 'postgresql':\n        pass\n\ndef downgrade(): pass\n",
        );
        assert!(t.upgrade.unwrap_err().what.contains("get_db_type() == \"postgresql\""));
    }
}
