//! Python expressions of the literal subset, parsed from tokens: literals,
//! dotted names, calls with positional and keyword arguments, lists,
//! tuples and dicts. Anything else is refused with what it is.

use crate::parse::python::{Tok, Token};

/// A Python expression retort can read without running Python.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A string (adjacent literals joined).
    Str(String),
    /// A number, as written (with its sign).
    Num(String),
    /// `True` or `False`.
    Bool(bool),
    /// `None`.
    None,
    /// A dotted name: `sa.Integer`, `op`, `BRANCH`.
    Name(String),
    /// A call of a dotted name.
    Call(Call),
    /// `[…]` or `(…, …)`.
    List(Vec<Expr>),
    /// `{key: value, …}`.
    Dict(Vec<(Expr, Expr)>),
}

impl std::fmt::Display for Expr {
    /// The expression as Python source that reads back the same.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, items: &[Expr]| -> std::fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            Ok(())
        };
        match self {
            Expr::Str(s) => {
                let escaped = s.replace('\\', "\\\\").replace('\'', "\\'");
                if s.contains('\n') { write!(f, "'''{escaped}'''") } else { write!(f, "'{escaped}'") }
            }
            Expr::Num(n) => f.write_str(n),
            Expr::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Expr::None => f.write_str("None"),
            Expr::Name(n) => f.write_str(n),
            Expr::Call(call) => {
                write!(f, "{}(", call.func)?;
                list(f, &call.args)?;
                for (i, (key, value)) in call.kwargs.iter().enumerate() {
                    if i > 0 || !call.args.is_empty() {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}={value}")?;
                }
                f.write_str(")")
            }
            Expr::List(items) => {
                f.write_str("[")?;
                list(f, items)?;
                f.write_str("]")
            }
            Expr::Dict(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A call: what is called, its positional and its keyword arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) func: String,
    pub(crate) args: Vec<Expr>,
    pub(crate) kwargs: Vec<(String, Expr)>,
    /// The line it starts on.
    pub(crate) line: u32,
}

impl Call {
    /// The keyword argument `name`.
    pub(crate) fn kwarg(&self, name: &str) -> Option<&Expr> {
        self.kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Positional argument `index`, else the keyword argument `name`.
    pub(crate) fn arg(&self, index: usize, name: &str) -> Option<&Expr> {
        self.args.get(index).or_else(|| self.kwarg(name))
    }
}

/// Why an expression is outside the subset, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unsupported {
    pub(crate) line: u32,
    pub(crate) what: String,
}

/// Parses `tokens` as one expression.
pub(crate) fn parse_expr(tokens: &[Token]) -> Result<Expr, Unsupported> {
    let mut parser = Parser { tokens, at: 0, depth: 0 };
    let expr = parser.expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(parser.unsupported(token.line, describe(&tokens[parser.at..]))),
    }
}

/// A short description of the construct that starts at `tokens`.
pub(crate) fn describe(tokens: &[Token]) -> String {
    let text: Vec<String> = tokens
        .iter()
        .take(8)
        .map(|t| match &t.tok {
            Tok::Name(n) => n.clone(),
            Tok::Str(s) => format!("{s:?}"),
            Tok::FString(s) => format!("f{s:?}"),
            Tok::Punct(c) => c.to_string(),
        })
        .collect();
    let mut joined = text.join(" ").replace(" . ", ".").replace(" (", "(").replace("( ", "(");
    for operator in ["= =", "! =", "< =", "> =", "+ =", "- =", "* *", " ,"] {
        joined = joined.replace(operator, &operator.replace(' ', ""));
    }
    if tokens.len() > 8 {
        joined.push_str(" …");
    }
    format!("`{joined}`")
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    /// How deeply the expression being read is nested.
    depth: usize,
}

/// Nesting deeper than this is not a revision a person wrote.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn is_punct(&self, c: char) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Punct(p), .. }) if *p == c)
    }

    fn line(&self) -> u32 {
        self.peek().or(self.tokens.last()).map_or(0, |t| t.line)
    }

    fn unsupported(&self, line: u32, what: String) -> Unsupported {
        Unsupported { line, what }
    }

    fn expect(&mut self, c: char) -> Result<(), Unsupported> {
        if self.is_punct(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self
                .unsupported(self.line(), format!("{} where `{c}` was expected", describe(&self.tokens[self.at..]))))
        }
    }

    fn expr(&mut self) -> Result<Expr, Unsupported> {
        if self.depth >= MAX_DEPTH {
            return Err(self.unsupported(self.line(), format!("an expression nested more than {MAX_DEPTH} deep")));
        }
        self.depth += 1;
        let expr = self.nested();
        self.depth -= 1;
        expr
    }

    fn nested(&mut self) -> Result<Expr, Unsupported> {
        let line = self.line();
        let Some(token) = self.peek().cloned() else {
            return Err(self.unsupported(line, "an empty expression".to_owned()));
        };
        let expr = match token.tok {
            Tok::Str(_) => {
                let mut joined = String::new();
                while let Some(Token { tok: Tok::Str(s), .. }) = self.peek() {
                    joined.push_str(s);
                    self.at += 1;
                }
                Expr::Str(joined)
            }
            Tok::Punct('-') => {
                self.at += 1;
                match self.expr()? {
                    Expr::Num(n) => Expr::Num(format!("-{n}")),
                    _ => return Err(self.unsupported(line, "a negated expression".to_owned())),
                }
            }
            Tok::Punct(open @ ('(' | '[')) => {
                self.at += 1;
                let close = if open == '(' { ')' } else { ']' };
                let mut items = Vec::new();
                let mut commas = 0;
                while !self.is_punct(close) {
                    items.push(self.expr()?);
                    if self.is_punct(',') {
                        self.at += 1;
                        commas += 1;
                    } else {
                        break;
                    }
                }
                self.expect(close)?;
                // `(x)` is x; `(x,)` and `[x]` are sequences.
                if open == '(' && items.len() == 1 && commas == 0 { items.remove(0) } else { Expr::List(items) }
            }
            Tok::Punct('{') => {
                self.at += 1;
                let mut pairs = Vec::new();
                while !self.is_punct('}') {
                    let key = self.expr()?;
                    self.expect(':')?;
                    pairs.push((key, self.expr()?));
                    if self.is_punct(',') {
                        self.at += 1;
                    } else {
                        break;
                    }
                }
                self.expect('}')?;
                Expr::Dict(pairs)
            }
            Tok::Name(name) if name.starts_with(|c: char| c.is_ascii_digit()) => {
                self.at += 1;
                let mut number = name;
                if self.is_punct('.') {
                    self.at += 1;
                    if let Some(Token { tok: Tok::Name(fraction), .. }) = self.peek() {
                        number.push('.');
                        number.push_str(fraction);
                        self.at += 1;
                    }
                }
                Expr::Num(number)
            }
            Tok::Name(name) => {
                self.at += 1;
                let mut dotted = name;
                while self.is_punct('.') {
                    self.at += 1;
                    match self.peek() {
                        Some(Token { tok: Tok::Name(part), .. }) => {
                            dotted.push('.');
                            dotted.push_str(part);
                            self.at += 1;
                        }
                        _ => return Err(self.unsupported(line, format!("`{dotted}.` followed by something else"))),
                    }
                }
                match dotted.as_str() {
                    "True" => Expr::Bool(true),
                    "False" => Expr::Bool(false),
                    "None" => Expr::None,
                    _ if self.is_punct('(') => Expr::Call(self.call(dotted, line)?),
                    _ => Expr::Name(dotted),
                }
            }
            Tok::FString(_) => return Err(self.unsupported(line, "an f-string".to_owned())),
            Tok::Punct(c) => return Err(self.unsupported(line, format!("`{c}`"))),
        };
        // What follows a complete expression inside the subset: a
        // separator, a closing bracket, or the end. Anything else (an
        // operator, a method call on a call, an index, a comprehension) is
        // Python retort does not read.
        match self.peek() {
            None => Ok(expr),
            Some(Token { tok: Tok::Punct(',' | ')' | ']' | '}' | ':' | '='), .. }) => Ok(expr),
            Some(Token { tok: Tok::Punct('.'), line }) => {
                let method = match self.tokens.get(self.at + 1) {
                    Some(Token { tok: Tok::Name(name), .. }) => format!("`.{name}(…)`"),
                    _ => "an attribute".to_owned(),
                };
                Err(self.unsupported(*line, format!("a method call ({method} on a computed value)")))
            }
            Some(Token { tok: Tok::Name(word), line }) if word == "for" => {
                Err(self.unsupported(*line, "a comprehension".to_owned()))
            }
            Some(Token { line, .. }) => Err(self
                .unsupported(*line, format!("an expression with operators ({})", describe(&self.tokens[self.at..])))),
        }
    }

    fn call(&mut self, func: String, line: u32) -> Result<Call, Unsupported> {
        self.expect('(')?;
        let mut call = Call { func, args: Vec::new(), kwargs: Vec::new(), line };
        while !self.is_punct(')') {
            if self.is_punct('*') {
                return Err(self.unsupported(self.line(), "`*args` or `**kwargs`".to_owned()));
            }
            let keyword = match (self.peek(), self.tokens.get(self.at + 1), self.tokens.get(self.at + 2)) {
                (Some(Token { tok: Tok::Name(name), .. }), Some(Token { tok: Tok::Punct('='), .. }), next)
                    if !matches!(next, Some(Token { tok: Tok::Punct('='), .. })) =>
                {
                    Some(name.clone())
                }
                _ => None,
            };
            match keyword {
                Some(name) => {
                    self.at += 2;
                    let value = self.expr()?;
                    call.kwargs.push((name, value));
                }
                None => call.args.push(self.expr()?),
            }
            if self.is_punct(',') {
                self.at += 1;
            } else {
                break;
            }
        }
        self.expect(')')?;
        Ok(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::python::lex;

    fn parse(text: &str) -> Result<Expr, Unsupported> {
        let Ok(lines) = lex(text) else { panic!("lex") };
        parse_expr(&lines[0].tokens)
    }

    #[test]
    fn calls_literals_and_containers() {
        let expr = parse(
            "op.create_table('t', sa.Column('id', sa.Integer(), nullable=False), x=[1, -2.5, None], y={'a': True})",
        )
        .unwrap();
        let Expr::Call(call) = expr else { panic!() };
        assert_eq!(call.func, "op.create_table");
        assert_eq!(call.args[0], Expr::Str("t".into()));
        let Expr::Call(column) = &call.args[1] else { panic!() };
        assert_eq!(column.kwarg("nullable"), Some(&Expr::Bool(false)));
        assert_eq!(
            call.kwarg("x"),
            Some(&Expr::List(vec![Expr::Num("1".into()), Expr::Num("-2.5".into()), Expr::None]))
        );
        assert_eq!(call.kwarg("y"), Some(&Expr::Dict(vec![(Expr::Str("a".into()), Expr::Bool(true))])));
        assert_eq!(parse("('a' 'b')").unwrap(), Expr::Str("ab".into()));
        assert_eq!(parse("('a',)").unwrap(), Expr::List(vec![Expr::Str("a".into())]));
    }

    #[test]
    fn python_beyond_the_subset_is_named() {
        assert!(parse("op.get_bind().execute('x')").unwrap_err().what.contains("method call (`.execute(…)`"));
        assert!(parse("f'x{y}'").unwrap_err().what.contains("f-string"));
        assert!(parse("[x for x in y]").unwrap_err().what.contains("comprehension"));
        assert!(parse("a + b").unwrap_err().what.contains("operators"));
        assert!(parse("f(*args)").unwrap_err().what.contains("*args"));
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep).unwrap_err().what.contains("nested"));
        assert!(parse(&"-".repeat(100_000)).is_err());
    }
}
