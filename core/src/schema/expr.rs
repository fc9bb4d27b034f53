//! Canonical text for SQL expressions: CHECK conditions, index expressions,
//! partial-index predicates, column defaults and generated columns.
//!
//! The engines give these back in different shapes. SQLite keeps a CHECK
//! exactly as the migration wrote it; PostgreSQL and MariaDB print most
//! expressions again from their parse trees (extra parentheses, upper-case
//! keywords, quoted names, `!=` as `<>`), but keep default expressions closer
//! to what was written. [`normalize_expression`] maps the spellings of one
//! expression to one string, so both sides of a comparison can be compared as
//! plain text.
//!
//! The text is split into tokens (comments and white space dropped, words
//! lower-cased, quoting made uniform), parsed by a small precedence-climbing
//! parser and printed again with only the parentheses its meaning needs.
//! Whatever the parser does not understand falls back to the canonical token
//! sequence, so every input has a result, nothing panics, and normalising a
//! result again returns it unchanged.

use std::borrow::Cow;

/// How identifiers compare in a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifiers {
    /// Case-insensitive even when quoted (SQLite, MySQL column names): quoted
    /// simple names are unquoted and lower-cased.
    CaseInsensitive,
    /// Quoted names keep their case (PostgreSQL): unquoted words are
    /// lower-cased, quoted ones kept with their quotes unless they are a
    /// plain lower-case name.
    QuotedKeepCase,
}

/// The canonical form of a SQL expression.
///
/// Keywords and unquoted names are lower-cased, string literals kept as
/// written, `!=` written `<>` and `==` written `=`, redundant parentheses
/// dropped and spacing made uniform: `((b > 0) AND (b < 10))` and
/// `b>0 and b<10` both give `b > 0 and b < 10`. Text the parser does not
/// read (a whole query, unbalanced parentheses, nesting deeper than 200)
/// gives its tokens in canonical form instead. Never panics; the time taken
/// grows linearly with the text.
pub fn normalize_expression(text: &str, identifiers: Identifiers) -> String {
    let (all, unterminated) = tokenize(text, identifiers);
    let outer = mates(&all);
    let (mut a, mut b) = (0, all.len());
    while b - a >= 2 && all[a].k == K::Open && outer[a] == b - 1 {
        a += 1;
        b -= 1;
    }
    let toks = &all[a..b];
    let mut parser = Parser { t: toks, m: &outer[a..b], base: a, pos: 0, depth: 0 };
    let mut out = String::with_capacity(text.len());
    match parser.expr(0) {
        // Nothing may follow a string literal that runs to the end.
        Ok(e) if parser.pos == toks.len() && !unterminated => parser.out(&e, 0, false, &mut out),
        _ => join(toks, &mut out),
    }
    out
}

// Binding levels, loosest first.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const CAT: u8 = 5;
const ADD: u8 = 6;
const MUL: u8 = 7;
const NEG: u8 = 8;
const CAST: u8 = 9;
const COLL: u8 = 10;
const ATOM: u8 = 11;
/// Deeper recursion than this gives the token form.
const MAX_DEPTH: usize = 200;

/// Names that keep their quotes: the words this parser reads as keywords and
/// those PostgreSQL quotes when it prints a name.
const RESERVED: &str = "all analyse analyze and any array as asc asymmetric authorization between bigint binary bit \
    boolean both case cast char character check coalesce collate collation column concurrently constraint create \
    cross current_catalog current_date current_role current_schema current_time current_timestamp current_user dec \
    decimal default deferrable desc distinct do else end escape except exists extract false fetch float for foreign \
    freeze from full glob grant greatest group grouping having ilike in initially inner inout int integer intersect \
    interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural \
    nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay placing \
    position precision primary real references regexp returning right row select session_user setof similar smallint \
    some substring symmetric system_user table tablesample then time timestamp to trailing treat trim true union \
    unique user using values varchar variadic verbose when where window with";
/// Keywords written with a space before a following `(` in the token form.
const SPACED: &str = "all and any as between by case distinct else escape except exists filter from glob having \
    ilike in intersect is like not on or over regexp select similar some then union using values when where with";
/// Words that continue a type name (`double precision`).
const TYPE_WORDS: &str = "precision time unsigned varying with without zone";
/// Operators of more than one character, longest first.
const OPS: [&str; 23] = [
    "!~~*", "->>", "#>>", "~~*", "!~~", "!~*", "<=", ">=", "<>", "!=", "==", "||", "::", "->", "<<", ">>", "#>", "@>",
    "<@", "&&", "!~", "~~", "~*",
];

fn canonical_op(op: &str) -> &str {
    match op {
        "!=" => "<>",
        "==" => "=",
        _ => op,
    }
}

fn listed(list: &str, word: &str) -> bool {
    list.split_ascii_whitespace().any(|w| w == word)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    /// An unquoted word, lower-cased: a keyword or a name.
    Word,
    /// A quoted identifier in canonical form; never a keyword.
    Name,
    /// A string or number literal, as written.
    Lit,
    Op,
    Open,
    Close,
    Comma,
    Dot,
    LBrack,
    RBrack,
}

struct Tok<'a> {
    k: K,
    t: Cow<'a, str>,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || (!c.is_ascii() && c.is_alphanumeric())
}

/// The tokens, and whether the text ends inside a string literal.
fn tokenize(s: &str, ids: Identifiers) -> (Vec<Tok<'_>>, bool) {
    let b = s.as_bytes();
    let mut out: Vec<Tok<'_>> = Vec::with_capacity(s.len() / 4);
    let (mut i, mut unterminated) = (0, false);
    // Where a literal ends: at the end of the text if it is not closed.
    let mut close = |end: Option<usize>| {
        unterminated |= end.is_none();
        end.unwrap_or(b.len())
    };
    while i < b.len() {
        let start = i;
        let (k, t) = match b[i] {
            c if c.is_ascii_whitespace() => {
                while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = s[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = s[i + 2..].find("*/").map_or(b.len(), |n| i + n + 4);
                continue;
            }
            b'\'' => {
                i = close(string_end(b, i + 1, false));
                (K::Lit, Cow::Borrowed(&s[start..i]))
            }
            q @ (b'"' | b'`') => {
                let (content, end) = quoted(s, i, q, true);
                i = end;
                (K::Name, Cow::Owned(ident(&content, ids)))
            }
            b'[' if ids == Identifiers::CaseInsensitive
                && b.get(i + 1) != Some(&b']')
                && !out.last().is_some_and(|t| t.k == K::Word && t.t == "array") =>
            {
                let (content, end) = quoted(s, i, b']', false);
                i = end;
                (K::Name, Cow::Owned(ident(&content, ids)))
            }
            // `.5` is a number, `t.5` a dot: what the printer writes reads back alike.
            c @ (b'0'..=b'9' | b'.')
                if c != b'.'
                    || (b.get(i + 1).is_some_and(u8::is_ascii_digit)
                        && (!matches!(
                            out.last().map(|t| t.k),
                            Some(K::Word | K::Name | K::Lit | K::Close | K::RBrack)
                        ) || b[i - 1].is_ascii_whitespace())) =>
            {
                i = number(b, i);
                (K::Lit, Cow::Borrowed(&s[start..i]))
            }
            p @ (b'(' | b')' | b',' | b'.' | b'[' | b']') => {
                i += 1;
                let k = match p {
                    b'(' => K::Open,
                    b')' => K::Close,
                    b',' => K::Comma,
                    b'.' => K::Dot,
                    b'[' => K::LBrack,
                    _ => K::RBrack,
                };
                (k, Cow::Borrowed(&s[start..i]))
            }
            // PostgreSQL's dollar quoting: `$$…$$`, `$tag$…$tag$`.
            b'$' if dollar_tag(b, i).is_some() => {
                let tag = &s[i..dollar_tag(b, i).unwrap_or(i)];
                i = close(s[i + tag.len()..].find(tag).map(|n| i + 2 * tag.len() + n));
                (K::Lit, Cow::Borrowed(&s[start..i]))
            }
            _ => {
                let c = if b[i] < 0x80 { char::from(b[i]) } else { s[i..].chars().next().unwrap_or(' ') };
                if word_char(c) {
                    while i < b.len() && matches!(b[i], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'$') {
                        i += 1;
                    }
                    if b.get(i).is_some_and(|&c| c >= 0x80) {
                        i += s[i..].find(|c: char| !word_char(c)).unwrap_or(b.len() - i);
                    }
                    let prefix = b[start] | 0x20; // E'…', X'…', N'…', B'…'
                    if i == start + 1 && matches!(prefix, b'e' | b'x' | b'n' | b'b') && b.get(i) == Some(&b'\'') {
                        i = close(string_end(b, i + 1, prefix == b'e'));
                        (K::Lit, Cow::Borrowed(&s[start..i]))
                    } else if b[start..i].iter().any(u8::is_ascii_uppercase) {
                        (K::Word, Cow::Owned(s[start..i].to_ascii_lowercase()))
                    } else {
                        (K::Word, Cow::Borrowed(&s[start..i]))
                    }
                } else if b.get(i + 1).is_some_and(u8::is_ascii_punctuation)
                    && let Some(&op) = OPS.iter().find(|op| s[i..].starts_with(**op))
                {
                    i += op.len();
                    (K::Op, Cow::Borrowed(canonical_op(op)))
                } else {
                    i += c.len_utf8();
                    (K::Op, Cow::Borrowed(&s[start..i]))
                }
            }
        };
        out.push(Tok { k, t });
    }
    (out, unterminated)
}

/// The end of the dollar-quote opener at `i` (`$$`, `$tag$`), if there is one.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_' || (j > i + 1 && b[j].is_ascii_digit())) {
        j += 1;
    }
    (b.get(j) == Some(&b'$')).then_some(j + 1)
}

/// Where a string literal ends (`None`: it does not); `j` is past its quote.
fn string_end(b: &[u8], mut j: usize, backslash: bool) -> Option<usize> {
    while j < b.len() {
        match b[j] {
            b'\\' if backslash => j += 2,
            b'\'' if b.get(j + 1) == Some(&b'\'') => j += 2,
            b'\'' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// A quoted identifier's content and where it ends; `i` is its opening quote.
fn quoted(s: &str, i: usize, close: u8, doubled: bool) -> (String, usize) {
    let b = s.as_bytes();
    let (mut content, mut from) = (String::new(), i + 1);
    loop {
        let Some(n) = b[from..].iter().position(|&c| c == close) else {
            content.push_str(&s[from..]);
            return (content, b.len());
        };
        content.push_str(&s[from..from + n]);
        if !doubled || b.get(from + n + 1) != Some(&close) {
            return (content, from + n + 1);
        }
        content.push(char::from(close));
        from += n + 2;
    }
}

fn number(b: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize, hex: bool| {
        while i < b.len() && (b[i].is_ascii_digit() || (hex && b[i].is_ascii_hexdigit())) {
            i += 1;
        }
        i
    };
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) {
        return digits(i + 2, true);
    }
    i = digits(i, false);
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1, false);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let j = if matches!(b.get(i + 1), Some(b'+' | b'-')) { i + 2 } else { i + 1 };
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j, false);
        }
    }
    i
}

/// A quoted identifier's canonical spelling.
fn ident(content: &str, ids: Identifiers) -> String {
    let content = match ids {
        Identifiers::CaseInsensitive => content.to_ascii_lowercase(),
        Identifiers::QuotedKeepCase => content.to_owned(),
    };
    let plain =
        content.bytes().enumerate().all(|(n, c)| c == b'_' || c.is_ascii_lowercase() || (n > 0 && c.is_ascii_digit()));
    if plain && !content.is_empty() && !listed(RESERVED, &content) {
        content
    } else {
        format!("\"{}\"", content.replace('"', "\"\""))
    }
}

/// For each `(`, the index of its `)` (`usize::MAX` when unmatched).
fn mates(t: &[Tok<'_>]) -> Vec<usize> {
    let mut m = vec![usize::MAX; t.len()];
    let mut open = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        match tok.k {
            K::Open => open.push(i),
            K::Close => {
                if let Some(j) = open.pop() {
                    m[j] = i;
                }
            }
            _ => {}
        }
    }
    m
}

/// The token form: tokens joined by the printer's spacing.
fn join(t: &[Tok<'_>], s: &mut String) {
    for (i, cur) in t.iter().enumerate() {
        if i > 0 && spaced(i.checked_sub(2).map(|j| &t[j]), &t[i - 1], cur) {
            s.push(' ');
        }
        s.push_str(&cur.t);
    }
}

fn spaced(before: Option<&Tok<'_>>, prev: &Tok<'_>, cur: &Tok<'_>) -> bool {
    // Two operators glued would read as another one, or as a comment.
    if prev.k == K::Op && cur.k == K::Op {
        return true;
    }
    let word = |t: &Tok<'_>| matches!(t.k, K::Word | K::Name);
    // A dot is glued only where reading it again gives a dot, not a number.
    let tight = match cur.k {
        K::Close | K::Comma | K::RBrack => true,
        K::Dot => matches!(prev.k, K::Word | K::Name | K::Close | K::RBrack),
        K::Open | K::LBrack if word(prev) => !listed(SPACED, &prev.t),
        K::LBrack => matches!(prev.k, K::Close | K::RBrack),
        _ => false,
    };
    let tight = tight
        || match prev.k {
            K::Open | K::LBrack => true,
            K::Dot => word(cur) || cur.t == "*",
            _ => false,
        };
    let unary = || {
        matches!(&*prev.t, "-" | "+" | "~")
            && before.is_none_or(|b| {
                matches!(b.k, K::Op | K::Open | K::Comma | K::LBrack) || (word(b) && listed(SPACED, &b.t))
            })
    };
    !(tight || cur.t == "::" || prev.t == "::" || unary())
}

enum Fail {
    Syntax,
    Deep,
}

type R<T> = Result<T, Fail>;

enum Expr<'a> {
    Leaf(Cow<'a, str>),
    /// Tokens kept as they are (a subquery, a call the parser cannot read),
    /// up to a `)`, inclusive.
    Raw(usize, usize),
    Paren(Box<Expr<'a>>),
    Prefix(Cow<'a, str>, Box<Expr<'a>>),
    /// An operand and the operators applied to it in turn, left to right
    /// (flat, so long chains need no deep recursion).
    Spine(Box<Expr<'a>>, Vec<Step<'a>>),
    /// `f(a, b)`, `(a, b)`, `array[a, b]`: the opening text, items, closing bracket.
    Call(Cow<'a, str>, Vec<Expr<'a>>, char),
    /// Items separated by spaces: `case when a then b end`, `x as integer`.
    Seq(Vec<Expr<'a>>),
}

/// One operator of a spine: postfix (no operand), binary (`rhs`) or
/// BETWEEN (`rhs` and `high`).
struct Step<'a> {
    op: Cow<'a, str>,
    level: u8,
    rhs: Option<Expr<'a>>,
    high: Option<Box<Expr<'a>>>,
}

enum Shape {
    Bin,
    In,
    Between,
    Null,
    Cast,
    Collate,
}

/// How tightly an expression binds as an operand: every operator of a spine
/// must bind as tightly as its position asks.
fn level(e: &Expr<'_>) -> u8 {
    match e {
        Expr::Paren(inner) => level(inner),
        Expr::Prefix(op, _) if op == "not" => NOT,
        Expr::Prefix(..) => NEG,
        Expr::Spine(_, steps) => {
            let mut lowest = ATOM;
            for step in steps {
                if step.rhs.is_some() && step.level < lowest {
                    lowest = step.level;
                }
            }
            lowest
        }
        _ => ATOM,
    }
}

fn leaf(text: &'static str) -> Expr<'static> {
    Expr::Leaf(Cow::Borrowed(text))
}

fn called<'a>(name: &str, distinct: bool, star: bool, mut args: Vec<Expr<'a>>) -> R<Expr<'a>> {
    if star {
        args.push(leaf("*"));
    }
    if distinct {
        if args.is_empty() {
            return Err(Fail::Syntax);
        }
        let first = args.remove(0);
        args.insert(0, Expr::Seq(vec![leaf("distinct"), first]));
    }
    Ok(Expr::Call(Cow::Owned(format!("{name}(")), args, ')'))
}

struct Parser<'a> {
    t: &'a [Tok<'a>],
    /// `mates` of the whole text, where `t` starts at `base`.
    m: &'a [usize],
    base: usize,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn tok(&self, ahead: usize) -> Option<&'a Tok<'a>> {
        let i = self.pos + ahead;
        if i < self.t.len() { Some(&self.t[i]) } else { None }
    }

    fn peek(&self) -> Option<&'a Tok<'a>> {
        self.tok(0)
    }

    /// Where the `)` of the `(` at the cursor is.
    fn mate(&self) -> Option<usize> {
        match self.m.get(self.pos) {
            Some(&j) if j != usize::MAX && self.kind(0) == Some(K::Open) => Some(j - self.base),
            _ => None,
        }
    }

    fn kind(&self, ahead: usize) -> Option<K> {
        self.tok(ahead).map(|t| t.k)
    }

    fn word(&self, ahead: usize) -> Option<&'a str> {
        match self.tok(ahead) {
            Some(t) if t.k == K::Word => Some(&t.t),
            _ => None,
        }
    }

    fn eat(&mut self, k: K) -> R<()> {
        if self.kind(0) != Some(k) {
            return Err(Fail::Syntax);
        }
        self.pos += 1;
        Ok(())
    }

    fn eat_word(&mut self, w: &str) -> R<()> {
        if self.word(0) != Some(w) {
            return Err(Fail::Syntax);
        }
        self.pos += 1;
        Ok(())
    }

    /// An expression whose operators all bind at least as tightly as `min`.
    fn expr(&mut self, min: u8) -> R<Expr<'a>> {
        if self.depth >= MAX_DEPTH {
            return Err(Fail::Deep);
        }
        self.depth += 1;
        let result = self.climb(min);
        self.depth -= 1;
        result
    }

    fn climb(&mut self, min: u8) -> R<Expr<'a>> {
        let first = self.atom()?;
        let mut steps = Vec::new();
        while let Some(op) = self.infix().filter(|op| op.0 >= min) {
            steps.push(self.step(op)?);
        }
        Ok(if steps.is_empty() { first } else { Expr::Spine(Box::new(first), steps) })
    }

    /// Reads the operator `infix` found, and its operands.
    fn step(&mut self, (level, n, shape): (u8, usize, Shape)) -> R<Step<'a>> {
        let op = self.op_text(n, &shape);
        self.pos += n;
        let (rhs, high) = match shape {
            Shape::Bin => (self.expr(level + 1)?, None),
            Shape::Between => {
                let low = self.expr(CAT)?;
                self.eat_word("and")?;
                (low, Some(Box::new(self.expr(CAT)?)))
            }
            Shape::In => (self.in_list()?, None),
            Shape::Null => (leaf("null"), None),
            Shape::Cast | Shape::Collate => return self.postfix(level, op, shape),
        };
        Ok(Step { op, level, rhs: Some(rhs), high })
    }

    /// The canonical text of the `n`-word operator at the cursor.
    fn op_text(&self, n: usize, shape: &Shape) -> Cow<'a, str> {
        let words = &self.t[self.pos..self.pos + n];
        match shape {
            Shape::Null => Cow::Borrowed(if words[0].t == "isnull" { "is" } else { "is not" }),
            _ if n == 1 => words[0].t.clone(),
            _ => Cow::Owned(words.iter().map(|t| &*t.t).collect::<Vec<_>>().join(" ")),
        }
    }

    /// `(a, b)` or `(SELECT …)` after IN.
    fn in_list(&mut self) -> R<Expr<'a>> {
        if self.kind(0) == Some(K::Open) && matches!(self.word(1), Some("select" | "with" | "values")) {
            return self.group(self.pos);
        }
        self.eat(K::Open)?;
        Ok(Expr::Call(Cow::Borrowed("("), self.items(K::Close)?, ')'))
    }

    /// `::type` or `COLLATE name`.
    fn postfix(&mut self, level: u8, op: Cow<'a, str>, shape: Shape) -> R<Step<'a>> {
        let op = match shape {
            Shape::Cast => format!("::{}", self.type_name()?),
            _ => format!("{op} {}", self.dotted()?),
        };
        Ok(Step { op: Cow::Owned(op), level, rhs: None, high: None })
    }

    /// The operator at the cursor: its level, token count and shape.
    fn infix(&self) -> Option<(u8, usize, Shape)> {
        let t = self.peek()?;
        let w = |n: usize| self.word(n);
        match (t.k, &*t.t) {
            (K::Op, "=" | "<>" | "<" | "<=" | ">" | ">=") => Some((CMP, 1, Shape::Bin)),
            (K::Op, "+" | "-") => Some((ADD, 1, Shape::Bin)),
            (K::Op, "*" | "/" | "%") => Some((MUL, 1, Shape::Bin)),
            (K::Op, "::") => Some((CAST, 1, Shape::Cast)),
            (K::Op, _) => Some((CAT, 1, Shape::Bin)),
            (K::Word, "or") => Some((OR, 1, Shape::Bin)),
            (K::Word, "and") => Some((AND, 1, Shape::Bin)),
            (K::Word, "like" | "ilike" | "glob" | "regexp" | "escape") => Some((CMP, 1, Shape::Bin)),
            (K::Word, "in") => Some((CMP, 1, Shape::In)),
            (K::Word, "between") => Some((CMP, 1, Shape::Between)),
            (K::Word, "isnull" | "notnull") => Some((CMP, 1, Shape::Null)),
            (K::Word, "collate") => Some((COLL, 1, Shape::Collate)),
            (K::Word, "similar") if w(1) == Some("to") => Some((CMP, 2, Shape::Bin)),
            (K::Word, "is") => {
                let n = 1 + usize::from(w(1) == Some("not"));
                let distinct = w(n) == Some("distinct") && w(n + 1) == Some("from");
                Some((CMP, n + 2 * usize::from(distinct), Shape::Bin))
            }
            (K::Word, "not") => match w(1)? {
                "like" | "ilike" | "glob" | "regexp" => Some((CMP, 2, Shape::Bin)),
                "in" => Some((CMP, 2, Shape::In)),
                "between" => Some((CMP, 2, Shape::Between)),
                "null" => Some((CMP, 2, Shape::Null)),
                "similar" if w(2) == Some("to") => Some((CMP, 3, Shape::Bin)),
                _ => None,
            },
            _ => None,
        }
    }

    fn atom(&mut self) -> R<Expr<'a>> {
        let t = self.peek().ok_or(Fail::Syntax)?;
        self.pos += 1;
        match (t.k, &*t.t) {
            (K::Lit, _) => Ok(Expr::Leaf(t.t.clone())),
            (K::Op, "-" | "+" | "~") => self.prefix(t, NEG),
            (K::Word, "not") => self.prefix(t, NOT),
            (K::Open, _) => self.paren(),
            (K::Word, "case" | "cast" | "exists" | "array") => self.keyword(t),
            (K::Word | K::Name, _) => self.name(t),
            _ => Err(Fail::Syntax),
        }
    }

    fn prefix(&mut self, op: &'a Tok<'a>, level: u8) -> R<Expr<'a>> {
        let operand = self.expr(level)?;
        Ok(Expr::Prefix(op.t.clone(), Box::new(operand)))
    }

    fn keyword(&mut self, t: &'a Tok<'a>) -> R<Expr<'a>> {
        let (start, next) = (self.pos - 1, self.kind(0));
        match &*t.t {
            "case" => self.case(),
            "cast" if next == Some(K::Open) => {
                let read = self.cast();
                self.or_group(start, start + 1, read)
            }
            "exists" if next == Some(K::Open) => self.group(start),
            "array" if next == Some(K::LBrack) => {
                self.pos += 1;
                Ok(Expr::Call(Cow::Borrowed("array["), self.items(K::RBrack)?, ']'))
            }
            _ => self.name(t),
        }
    }

    /// After `(`: a subquery, a parenthesised expression or a list.
    fn paren(&mut self) -> R<Expr<'a>> {
        if matches!(self.word(0), Some("select" | "with" | "values")) {
            self.pos -= 1;
            return self.group(self.pos);
        }
        match <[Expr<'a>; 1]>::try_from(self.items(K::Close)?) {
            Ok([only]) => Ok(Expr::Paren(Box::new(only))),
            Err(items) if items.is_empty() => Err(Fail::Syntax),
            Err(items) => Ok(Expr::Call(Cow::Borrowed("("), items, ')')),
        }
    }

    /// The tokens from `start` to the `)` of the `(` at the cursor, kept as they are.
    fn group(&mut self, start: usize) -> R<Expr<'a>> {
        let close = self.mate().ok_or(Fail::Syntax)?;
        self.pos = close + 1;
        Ok(Expr::Raw(start, close))
    }

    /// `read`, or on a syntax error the tokens from `start` to the end of
    /// the group at `at`.
    fn or_group(&mut self, start: usize, at: usize, read: R<Expr<'a>>) -> R<Expr<'a>> {
        match read {
            Err(Fail::Syntax) => {
                self.pos = at;
                self.group(start)
            }
            other => other,
        }
    }

    /// Comma-separated expressions up to `close`, which is consumed.
    fn items(&mut self, close: K) -> R<Vec<Expr<'a>>> {
        let mut items = Vec::new();
        while self.kind(0) != Some(close) {
            if !items.is_empty() {
                self.eat(K::Comma)?;
            }
            items.push(self.expr(0)?);
        }
        self.pos += 1;
        Ok(items)
    }

    /// A name (`t.col`, `t.*`), a typed literal (`date '2020-01-01'`) or a call.
    fn name(&mut self, first: &'a Tok<'a>) -> R<Expr<'a>> {
        let start = self.pos - 1;
        if let Some(lit) = self.peek().filter(|l| l.k == K::Lit && l.t.contains('\'')) {
            self.pos += 1;
            return Ok(Expr::Leaf(Cow::Owned(format!("{} {}", first.t, lit.t))));
        }
        while self.kind(0) == Some(K::Dot)
            && self.t.get(self.pos + 1).is_some_and(|p| matches!(p.k, K::Word | K::Name) || p.t == "*")
        {
            self.pos += 2;
        }
        let text = if self.pos == start + 1 {
            first.t.clone()
        } else {
            let mut text = String::new();
            join(&self.t[start..self.pos], &mut text);
            Cow::Owned(text)
        };
        if self.kind(0) != Some(K::Open) {
            return Ok(Expr::Leaf(text));
        }
        let at = self.pos;
        let read = self.call(&text);
        self.or_group(start, at, read)
    }

    /// A call's arguments, from its `(`: `(*)`, `(DISTINCT x)`, `(a, b)`.
    fn call(&mut self, name: &str) -> R<Expr<'a>> {
        self.pos += 1;
        let distinct = self.word(0) == Some("distinct");
        self.pos += usize::from(distinct);
        let star = self.peek().is_some_and(|t| t.t == "*") && self.kind(1) == Some(K::Close);
        self.pos += usize::from(star);
        let args = self.items(K::Close)?;
        called(name, distinct, star, args)
    }

    fn cast(&mut self) -> R<Expr<'a>> {
        self.eat(K::Open)?;
        let operand = self.expr(0)?;
        self.eat_word("as")?;
        let ty = self.type_name()?;
        self.eat(K::Close)?;
        let inner = Expr::Seq(vec![operand, leaf("as"), Expr::Leaf(Cow::Owned(ty))]);
        Ok(Expr::Call(Cow::Borrowed("cast("), vec![inner], ')'))
    }

    fn case(&mut self) -> R<Expr<'a>> {
        let mut seq = vec![leaf("case")];
        if self.word(0) != Some("when") {
            seq.push(self.expr(0)?);
        }
        while let Some(w @ ("when" | "then" | "else")) = self.word(0) {
            self.pos += 1;
            seq.push(Expr::Leaf(Cow::Borrowed(w)));
            seq.push(self.expr(0)?);
        }
        self.eat_word("end")?;
        seq.push(leaf("end"));
        Ok(Expr::Seq(seq))
    }

    /// A possibly qualified name: `"C"`, `pg_catalog."default"`.
    fn dotted(&mut self) -> R<String> {
        let mut s = String::new();
        loop {
            match self.peek() {
                Some(t) if matches!(t.k, K::Word | K::Name) => s.push_str(&t.t),
                _ => return Err(Fail::Syntax),
            }
            self.pos += 1;
            if self.kind(0) != Some(K::Dot) {
                return Ok(s);
            }
            self.pos += 1;
            s.push('.');
        }
    }

    /// A type after `::` or `AS`, in token form: `integer`,
    /// `character varying(20)`, `timestamp(3) with time zone`, `text[]`.
    fn type_name(&mut self) -> R<String> {
        let start = self.pos;
        self.dotted()?;
        loop {
            match self.kind(0) {
                Some(K::Word) if self.word(0).is_some_and(|w| listed(TYPE_WORDS, w)) => self.pos += 1,
                Some(K::Open) => match self.mate() {
                    Some(close) => self.pos = close + 1,
                    None => break,
                },
                Some(K::LBrack) => {
                    let skip = 1 + usize::from(self.kind(1) == Some(K::Lit));
                    self.pos += skip;
                    self.eat(K::RBrack)?;
                }
                _ => break,
            }
        }
        let mut s = String::new();
        join(&self.t[start..self.pos], &mut s);
        Ok(s)
    }

    /// Prints `e` where it must bind at least as tightly as `min`; `strict`
    /// keeps written parentheses around arithmetic under `||`, whose level
    /// differs between engines. Besides written parentheses, a `not` under a
    /// tighter operator gets them: `a * not b + c` is `a * (not b + c)`.
    fn out(&self, e: &Expr<'a>, min: u8, strict: bool, s: &mut String) {
        let lv = level(e);
        if lv < min || (strict && matches!(lv, ADD | MUL) && matches!(e, Expr::Paren(_))) {
            s.push('(');
            self.out(e, 0, false, s);
            s.push(')');
            return;
        }
        match e {
            Expr::Leaf(text) => s.push_str(text),
            Expr::Raw(start, close) => join(&self.t[*start..=*close], s),
            Expr::Paren(inner) => self.out(inner, min, strict, s),
            Expr::Call(open, items, close) => {
                s.push_str(open);
                self.list(items, ", ", s);
                s.push(*close);
            }
            Expr::Seq(items) => self.list(items, " ", s),
            Expr::Prefix(op, operand) => {
                s.push_str(op);
                s.push_str(if op == "not" { " " } else { "" });
                let at = s.len();
                self.out(operand, lv, false, s);
                if op != "not" && s[at..].starts_with(['-', '+', '~', '!', '@', '#', '<', '>', '=', '|', '&', '*', '/'])
                {
                    s.insert(at, ' ');
                }
            }
            Expr::Spine(first, steps) => self.spine(first, steps, s),
        }
    }

    fn list(&self, items: &[Expr<'a>], separator: &str, s: &mut String) {
        for (n, item) in items.iter().enumerate() {
            s.push_str(if n > 0 { separator } else { "" });
            self.out(item, 0, false, s);
        }
    }

    fn spine(&self, first: &Expr<'a>, steps: &[Step<'a>], s: &mut String) {
        // Comparisons do not chain alike in every engine: written
        // parentheses around one inside another stay.
        let p = steps.first().map_or(ATOM, |step| step.level);
        self.out(first, if p == CMP { CMP + 1 } else { p }, p == CAT, s);
        for step in steps {
            if step.level != CAST {
                s.push(' ');
            }
            s.push_str(&step.op);
            if let Some(rhs) = &step.rhs {
                s.push(' ');
                match &step.high {
                    Some(high) => {
                        self.out(rhs, CAT, false, s);
                        s.push_str(" and ");
                        self.out(high, CAT, false, s);
                    }
                    None => self.out(rhs, step.level + 1, step.level == CAT, s),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Identifiers::{CaseInsensitive, QuotedKeepCase};
    use super::*;

    /// Input and its canonical form, with `QuotedKeepCase`.
    const CASES: &[(&str, &str)] = &[
        ("((b > 0) AND (b < 10))", "b > 0 and b < 10"),
        ("b>0 and b<10", "b > 0 and b < 10"),
        ("(length(\"name\") > 3)", "length(name) > 3"),
        ("LENGTH(name)>3", "length(name) > 3"),
        ("(a OR b) AND c", "(a or b) and c"),
        ("a OR (b AND c)", "a or b and c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a * (b + c)", "a * (b + c)"),
        ("(a * b) + c", "a * b + c"),
        ("status IN ('a', 'B')", "status in ('a', 'B')"),
        ("NOT (a = 1)", "not a = 1"),
        ("NOT (a AND b)", "not (a and b)"),
        ("price BETWEEN 1 AND 5 AND x", "price between 1 and 5 and x"),
        ("'x'::text", "'x'::text"),
        ("(lower((email)::text))", "lower(email::text)"),
        ("CASE WHEN a THEN 1 ELSE 2 END", "case when a then 1 else 2 end"),
        ("CASE  x WHEN 1 THEN 'A' WHEN 2 THEN (b + 1) END", "case x when 1 then 'A' when 2 then b + 1 end"),
        ("-(a + b)", "-(a + b)"),
        ("(- (a + b)) < 100", "-(a + b) < 100"),
        ("-(a)", "-a"),
        ("- (-a)", "- -a"),
        ("(-a)::int", "(-a)::int"),
        ("-(a::int)", "-a::int"),
        ("a * (NOT b)", "a * (not b)"),
        ("((-(not b)) + c) * d", "(-(not b) + c) * d"),
        ("a != b", "a <> b"),
        ("a == b", "a = b"),
        ("x IS NOT NULL", "x is not null"),
        ("x NOTNULL AND y ISNULL", "x is not null and y is null"),
        ("x IS DISTINCT FROM (y)", "x is distinct from y"),
        ("(a = b) IS NULL", "(a = b) is null"),
        ("(a = b) = c", "(a = b) = c"),
        ("a = (b = c)", "a = (b = c)"),
        ("(a in (1)) + 2", "(a in (1)) + 2"),
        ("\"Name\" = 'A'", "\"Name\" = 'A'"),
        ("\"order\" > 0", "\"order\" > 0"),
        ("t.\"Col\" + \"t\".x", "t.\"Col\" + t.x"),
        ("COUNT(*) > 0", "count(*) > 0"),
        ("count( DISTINCT x )", "count(distinct x)"),
        ("now ( )", "now()"),
        (
            "(created_at > '2020-01-01'::timestamp WITH TIME ZONE)",
            "created_at > '2020-01-01'::timestamp with time zone",
        ),
        ("(x)::character varying(255)", "x::character varying(255)"),
        ("x::numeric(10,2)", "x::numeric(10, 2)"),
        ("tags::text[]", "tags::text[]"),
        ("CAST(x AS INTEGER) > 0", "cast(x as integer) > 0"),
        ("a /* note */ + -- rest\n b", "a + b"),
        ("(a || b) || c", "a || b || c"),
        ("a || (b + c)", "a || (b + c)"),
        ("(a || b) + c", "(a || b) + c"),
        ("EXISTS (SELECT 1 FROM t WHERE t.a = X)", "exists (select 1 from t where t.a = x)"),
        ("a IN (SELECT b FROM t)", "a in (select b from t)"),
        ("a NOT IN (1)", "a not in (1)"),
        ("x COLLATE \"C\" = 'a'", "x collate \"C\" = 'a'"),
        ("E'a\\'b' = x", "E'a\\'b' = x"),
        ("$$It's$$ = X AND $q$A$q$ <> $1", "$$It's$$ = x and $q$A$q$ <> $1"),
        (
            "a = 0x1F OR b = 1.5e10 OR c = .5 or d between .5 and 1E-3",
            "a = 0x1F or b = 1.5e10 or c = .5 or d between .5 and 1E-3",
        ),
        ("extract(YEAR FROM d) > 2000", "extract(year from d) > 2000"),
        ("name NOT LIKE 'x%' ESCAPE '!'", "name not like 'x%' escape '!'"),
        ("ARRAY['a', ('b')]", "array['a', 'b']"),
        ("data->>'k' = 'v'", "data ->> 'k' = 'v'"),
        ("(a, b) = (1, (2))", "(a, b) = (1, 2)"),
        ("nextval('seq'::regclass)", "nextval('seq'::regclass)"),
        ("status = ANY (ARRAY['a'::text, 'b'::text])", "status = any(array['a'::text, 'b'::text])"),
        ("NOT NOT a", "not not a"),
        ("x = - 1", "x = -1"),
        ("(a)", "a"),
        ("", ""),
        // Not parsed: the canonical token form.
        ("((a", "((a"),
        ("'unterminated", "'unterminated"),
        ("f('unterminated", "f('unterminated"),
        ("a)", "a)"),
        ("a = ", "a ="),
        ("SELECT A ,B FROM T WHERE (x = 1)", "select a, b from t where (x = 1)"),
        ("((a, b))", "a, b"),
        ("sum(x) OVER (PARTITION BY y)", "sum(x) over (partition by y)"),
    ];

    fn norm(text: &str) -> String {
        normalize_expression(text, QuotedKeepCase)
    }

    #[test]
    fn examples() {
        for (input, expected) in CASES {
            assert_eq!(norm(input), *expected, "input: {input}");
        }
    }

    #[test]
    fn idempotent() {
        for (input, expected) in CASES {
            for ids in [QuotedKeepCase, CaseInsensitive] {
                let once = normalize_expression(input, ids);
                assert_eq!(normalize_expression(&once, ids), once, "input: {input}");
            }
            assert_eq!(norm(expected), *expected);
        }
    }

    #[test]
    fn identifiers() {
        let ci = |text: &str| normalize_expression(text, CaseInsensitive);
        assert_eq!(ci("(length(\"name\") > 3)"), "length(name) > 3");
        assert_eq!(ci("[Col] = 1 AND `Other` == \"THIRD\""), "col = 1 and other = third");
        assert_eq!(ci("\"My Col\" > 0"), "\"my col\" > 0");
        assert_eq!(ci("\"select\" > 0"), "\"select\" > 0");
        assert_eq!(ci("x COLLATE NOCASE = 'A'"), "x collate nocase = 'A'");
        assert_eq!(norm("\"Name\" = 1"), "\"Name\" = 1");
        assert_eq!(norm("\"we\"\"ird\""), "\"we\"\"ird\"");
        assert_eq!(norm("`name`"), "name");
    }

    #[test]
    fn deep_nesting_falls_back() {
        let open = "(".repeat(100_000);
        assert_eq!(norm(&open), open);
        assert_eq!(norm(&format!("{open}a = 1{}", ")".repeat(100_000))), "a = 1");
        for deep in [
            format!("{}x{}", "f(".repeat(100_000), ")".repeat(100_000)),
            format!("{}a", "- ".repeat(100_000)),
            format!("{}a", "NOT ".repeat(100_000)),
            format!("{}a{}", "(a + ".repeat(100_000), ")".repeat(100_000)),
            format!("{}a", "(1 + ".repeat(100_000)),
        ] {
            let once = norm(&deep);
            assert_eq!(norm(&once), once);
        }
        let just_under = format!("{}x{}", "f(".repeat(150), ")".repeat(150));
        assert_eq!(norm(&just_under), just_under);
    }

    #[test]
    fn long_input_is_fast() {
        let long = "a=1 and ".repeat(2 * 1024 * 1024 / 8);
        let started = std::time::Instant::now();
        let flat = norm(&long);
        let parsed = norm(&format!("{long}b"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
        assert!(flat.starts_with("a = 1 and a = 1") && flat.ends_with("and"));
        assert!(parsed.ends_with("a = 1 and b"));
    }

    #[test]
    fn arbitrary_text() {
        let pieces = [
            "'", "\"", "`", "[", "]", ")", "(", "/*", "--", "é", "€", "::", "e'\\", "0x", "1e", ".", ",", "x.", "a::",
            "case", "cast(", "in", "ARRAY[", "𝒳", "-", "not",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b} {c}");
                    for ids in [QuotedKeepCase, CaseInsensitive] {
                        let once = normalize_expression(&text, ids);
                        assert_eq!(normalize_expression(&once, ids), once, "input: {text:?}");
                    }
                }
            }
        }
    }
}
