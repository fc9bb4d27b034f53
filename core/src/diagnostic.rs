//! Problems found in revision files and in the revision graph, reported all
//! at once and rendered like rustc and cargo render theirs.

use std::fmt;
use std::path::{Path, PathBuf};

/// `text` safe to print on a terminal: control characters (but new lines
/// and tabs) and the bidirectional overrides that can make text read
/// differently from what it is are written as escapes, so that a revision
/// file cannot clear the screen, retitle the window or hide code.
///
/// ```
/// use retort_core::diagnostic::printable;
/// assert_eq!(printable("a\u{1b}[2Jb\0c\nd"), "a\\u{1b}[2Jb\\0c\nd");
/// assert_eq!(printable("plain text"), "plain text");
/// ```
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something to look at that does not stop the build or the run
    /// (several heads, for example).
    Warning,
    /// Something that makes the versions directory unusable until fixed.
    Error,
}

/// One problem in a revision file or in the graph the files form.
///
/// A diagnostic knows where it is (`path`, `line`, `column`), what is wrong
/// (`message`) and what to do about it (`help`). Its [`Display`](fmt::Display)
/// form starts with `path:line: message`, so editors and CI logs can jump to
/// it, and shows the offending source line beneath when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in, if it is in one.
    pub path: Option<PathBuf>,
    /// 1-based line in `path`.
    pub line: Option<u32>,
    /// 1-based column in that line, where known.
    pub column: Option<u32>,
    /// What is wrong, in lower case, without a trailing period.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The text of the offending line, shown under the message.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error with a message and nothing else yet.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: None,
            line: None,
            column: None,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// A warning with a message and nothing else yet.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(message) }
    }

    /// Places the diagnostic in a file.
    pub fn at(mut self, path: &Path, line: u32) -> Self {
        self.path = Some(path.to_path_buf());
        self.line = (line > 0).then_some(line);
        self
    }

    /// Places the diagnostic in a file without a known line.
    pub fn in_file(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }

    /// Adds the column within the line.
    pub fn column(mut self, column: u32) -> Self {
        self.column = (column > 0).then_some(column);
        self
    }

    /// Adds the help text: what the user should do.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Shows `text` (the whole file) line `self.line` under the message.
    pub fn with_source(mut self, text: &str) -> Self {
        if let Some(line) = self.line {
            self.source_line = text.lines().nth(line as usize - 1).map(str::to_owned);
        }
        self
    }

    /// The same problem as an error (a warning the caller refuses).
    pub fn into_error(mut self) -> Self {
        self.severity = Severity::Error;
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:column` as far as it is known, or `None` for a diagnostic
    /// about no particular file.
    pub fn location(&self) -> Option<String> {
        let path = self.path.as_ref()?;
        let mut location = path.display().to_string();
        if let Some(line) = self.line {
            location.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                location.push_str(&format!(":{column}"));
            }
        }
        Some(location)
    }
}

impl fmt::Display for Diagnostic {
    /// Renders `path:line: message`, the source line with a marker, and
    /// `help: …`. The alternate form (`{:#}`) adds `error: `/`warning: `
    /// in front, as a terminal tool prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            match self.severity {
                Severity::Error => f.write_str("error: ")?,
                Severity::Warning => f.write_str("warning: ")?,
            }
        }
        // Everything that comes from a file (its name, its text) is
        // printed escaped.
        let message = printable(&self.message);
        match self.location() {
            Some(location) => write!(f, "{}: {message}", printable(&location))?,
            None => f.write_str(&message)?,
        }
        if let (Some(line), Some(source)) = (self.line, &self.source_line) {
            let number = line.to_string();
            let pad = " ".repeat(number.len());
            write!(f, "\n{pad} |\n{number} | {}", printable(source))?;
            if let Some(column) = self.column {
                // The marker stands under the character as printed.
                let before: String = source.chars().take(column as usize - 1).collect();
                let indent: String = printable(&before).chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                write!(f, "\n{pad} | {indent}^")?;
            } else {
                write!(f, "\n{pad} |")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {}", printable(help))?;
        }
        Ok(())
    }
}

/// Every problem found in one pass over a versions directory.
///
/// Checks push into it and go on, so that a user with three broken files
/// learns about all three at once (serde_derive's `Ctxt` works the same way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Records every problem of another collection.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    /// True when at least one recorded problem is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// The recorded problems, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.is_error())
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds the source line to each problem at a line of a file that lacks
    /// it, from the file's text as `text_of` gives it (`None`: no line).
    pub fn add_sources<'t>(&mut self, mut text_of: impl FnMut(&Path) -> Option<std::borrow::Cow<'t, str>>) {
        for item in &mut self.items {
            if let (Some(path), Some(line), None) = (&item.path, item.line, &item.source_line)
                && line > 0
                && let Some(text) = text_of(path)
            {
                item.source_line = text.lines().nth(line as usize - 1).map(str::to_owned);
            }
        }
    }

    /// Sorts the problems by file, then line, so that output is stable.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    /// Every diagnostic in its alternate (terminal) form, separated by blank
    /// lines, then a count of the errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.items {
            writeln!(f, "{diagnostic:#}\n")?;
        }
        let errors = self.errors().count();
        match errors {
            0 => Ok(()),
            1 => write!(f, "1 error in the versions directory"),
            n => write!(f, "{n} errors in the versions directory"),
        }
    }
}

impl std::error::Error for Diagnostics {}
