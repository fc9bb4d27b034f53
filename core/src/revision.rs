//! One revision: its identity, its links in the graph and its SQL.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::split::{SplitError, Statement, split_statements};

/// The longest revision id `alembic_version.version_num VARCHAR(32)` holds.
pub const MAX_ID_LEN: usize = 32;

/// Characters Alembic forbids in revision ids (they have meaning in
/// identifiers such as `label@head`, `ae10+2` or ranges `a:b`).
pub const FORBIDDEN_ID_CHARS: [char; 4] = ['@', '-', '+', ':'];

/// A database dialect a section of SQL can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "json", derive(serde::Serialize), serde(rename_all = "lowercase"))]
pub enum Dialect {
    /// PostgreSQL (`-- upgrade: postgresql`).
    #[cfg_attr(feature = "json", serde(rename = "postgresql"))]
    Postgres,
    /// MySQL and MariaDB (`-- upgrade: mysql`).
    MySql,
    /// SQLite (`-- upgrade: sqlite`).
    Sqlite,
}

impl Dialect {
    /// Every dialect, in a fixed order.
    pub const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

    /// The name used in section markers: `postgresql`, `mysql`, `sqlite`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgresql",
            Dialect::MySql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of [`Dialect::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect '{0}'; expected postgresql, mysql or sqlite")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    /// Accepts the marker names and the usual aliases (`postgres`, `pg`,
    /// `mariadb`, `sqlite3`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" | "pg" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::MySql),
            "sqlite" | "sqlite3" => Ok(Dialect::Sqlite),
            _ => Err(UnknownDialect(s.trim().to_owned())),
        }
    }
}

/// Which way a revision runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Its `-- upgrade` sections.
    Upgrade,
    /// Its `-- downgrade` sections.
    Downgrade,
}

impl Direction {
    /// `upgrade` or `downgrade`, as logs and retort's log table write it.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        }
    }
}

impl FromStr for Direction {
    type Err = String;

    /// `upgrade` or `downgrade`.
    fn from_str(s: &str) -> Result<Direction, String> {
        match s {
            "upgrade" => Ok(Direction::Upgrade),
            "downgrade" => Ok(Direction::Downgrade),
            _ => Err(format!("unknown direction '{s}'; expected upgrade or downgrade")),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a revision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A retort `.sql` revision file: its sections are the SQL to run.
    Sql,
    /// An Alembic `.py` revision: its header joins the graph, but retort does
    /// not execute its body (it has no SQL sections).
    Python,
    /// A baseline (`.sql` with `Baseline Of`): the schema at the revision
    /// of its id, to build an empty database from instead of every
    /// revision up to it. Not a node of the graph.
    Baseline,
}

/// The SQL of one `-- upgrade` or `-- downgrade` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The dialect the section is limited to, or `None` for every dialect.
    pub dialect: Option<Dialect>,
    /// 1-based line in the file of the section's first SQL line (the line
    /// after the marker).
    pub line: u32,
    /// The SQL text, line endings normalised to `\n`.
    pub sql: String,
}

/// The lines in its file where each header field of a revision was written,
/// so that a diagnostic about a link can point at it (0 when unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderLines {
    /// The `Revision ID` line.
    pub id: u32,
    /// The `Revises` line.
    pub revises: u32,
    /// The `Branch Labels` line.
    pub branch_labels: u32,
    /// The `Depends On` line.
    pub depends_on: u32,
}

/// A revision: one file of the versions directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The revision identifier (`Revision ID`).
    pub id: String,
    /// The revisions this one revises (`Revises`): none for a base, several
    /// for a merge point.
    pub down_revisions: Vec<String>,
    /// Labels for `label@head`, `label@base` (`Branch Labels`).
    pub branch_labels: Vec<String>,
    /// Revisions or labels this one depends on without being their child
    /// (`Depends On`).
    pub depends_on: Vec<String>,
    /// The first line of the header: what the revision does.
    pub message: String,
    /// The whole header comment (a `.sql` file) or docstring (a `.py` file),
    /// as Alembic's `show` and verbose listings print it.
    pub doc: String,
    /// `Create Date`, as written.
    pub create_date: Option<String>,
    /// False when the revision must run outside any transaction.
    pub transactional: bool,
    /// The upgrade sections: plain, per dialect, or both.
    pub upgrade: Vec<Section>,
    /// The downgrade sections; none at all makes the revision irreversible.
    pub downgrade: Vec<Section>,
    /// The file the revision was read from.
    pub path: PathBuf,
    /// Where each header field is in the file.
    pub lines: HeaderLines,
    /// A checksum of the revision's SQL, blind to white space and line
    /// endings (see [`checksum`](crate::checksum)).
    pub checksum: [u8; 32],
    /// A `.sql` revision or an Alembic `.py` one.
    pub kind: SourceKind,
    /// Where the SQL sections come from when that is not `path`: the
    /// `.sql` file of the same name beside an Alembic `.py` revision, which
    /// holds its SQL (the header still comes from the `.py`).
    pub sql_file: Option<PathBuf>,
    /// For an Alembic `.py` revision whose body retort translated: each
    /// part it could not translate (its sections hold the rest).
    pub untranslated: Vec<Untranslated>,
    /// An Alembic `.py` revision read without translating its body (the
    /// command line reads a history that way): its sections are empty
    /// until [`RevisionGraph::runnable`](crate::RevisionGraph::runnable)
    /// translates it, when a run needs it.
    pub body_pending: bool,
}

/// A part of an Alembic `.py` body with no SQL: which way, on which engine
/// (`None`: every engine), where, and what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslated {
    /// `upgrade()` or `downgrade()`.
    pub direction: Direction,
    /// The engine, or `None` for every engine.
    pub dialect: Option<Dialect>,
    /// 1-based line in the `.py` file.
    pub line: u32,
    /// The construct, and why.
    pub what: String,
}

impl Untranslated {
    /// Whether it stops `direction` on `dialect`.
    pub fn stops(&self, direction: Direction, dialect: Dialect) -> bool {
        self.direction == direction && self.dialect.is_none_or(|d| d == dialect)
    }
}

impl Revision {
    /// A revision with an id and its down revisions and nothing else: an
    /// empty upgrade and downgrade, as a test or benchmark builds it.
    ///
    /// ```
    /// use retort_core::Revision;
    /// let rev = Revision::new("ae1027a6acf", ["1975ea83b712"]);
    /// assert_eq!(rev.down_revisions, ["1975ea83b712"]);
    /// assert!(rev.is_reversible());
    /// ```
    pub fn new<I, S>(id: &str, down_revisions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Revision {
            id: id.to_owned(),
            down_revisions: down_revisions.into_iter().map(Into::into).collect(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: String::new(),
            doc: String::new(),
            create_date: None,
            transactional: true,
            upgrade: vec![Section { dialect: None, line: 0, sql: String::new() }],
            downgrade: vec![Section { dialect: None, line: 0, sql: String::new() }],
            path: PathBuf::from(format!("{id}.sql")),
            lines: HeaderLines::default(),
            checksum: [0; 32],
            kind: SourceKind::Sql,
            sql_file: None,
            untranslated: Vec::new(),
            body_pending: false,
        }
    }

    /// The file its SQL sections (and their line numbers) are in.
    pub fn sql_path(&self) -> &std::path::Path {
        self.sql_file.as_deref().unwrap_or(&self.path)
    }

    /// Adds `Depends On` targets.
    pub fn with_depends_on<I, S>(mut self, depends_on: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.depends_on = depends_on.into_iter().map(Into::into).collect();
        self
    }

    /// Adds branch labels.
    pub fn with_branch_labels<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.branch_labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the message.
    pub fn with_message(mut self, message: &str) -> Self {
        self.message = message.to_owned();
        self.doc = message.to_owned();
        self
    }

    /// Removes every downgrade section, making the revision irreversible.
    pub fn irreversible(mut self) -> Self {
        self.downgrade.clear();
        self
    }

    /// The upgrade SQL for `dialect`: its own section if it has one, else the
    /// plain section.
    pub fn upgrade_for(&self, dialect: Dialect) -> Option<&Section> {
        section_for(&self.upgrade, dialect)
    }

    /// The downgrade SQL for `dialect`, as [`Revision::upgrade_for`].
    pub fn downgrade_for(&self, dialect: Dialect) -> Option<&Section> {
        section_for(&self.downgrade, dialect)
    }

    /// The SQL that runs `direction` on `dialect`, as
    /// [`Revision::upgrade_for`] and [`Revision::downgrade_for`] choose it.
    pub fn section(&self, direction: Direction, dialect: Dialect) -> Option<&Section> {
        match direction {
            Direction::Upgrade => self.upgrade_for(dialect),
            Direction::Downgrade => self.downgrade_for(dialect),
        }
    }

    /// The statements that run `direction` on `dialect`, split as the
    /// database receives them; none when there is no section for it. A
    /// revision read from a file was split when it was read, so only SQL
    /// given through the API can fail here, and then nothing may run.
    ///
    /// ```
    /// use retort_core::{Dialect, Revision, Section};
    /// use retort_core::revision::Direction;
    /// let mut rev = Revision::new("ae1027a6acf", None::<&str>);
    /// rev.upgrade = vec![Section { dialect: None, line: 5, sql: "SELECT 1; SELECT 2;".into() }];
    /// assert_eq!(rev.statements(Direction::Upgrade, Dialect::Sqlite).unwrap().len(), 2);
    /// rev.upgrade[0].sql = "SELECT 'unterminated".into();
    /// assert!(rev.statements(Direction::Upgrade, Dialect::Sqlite).is_err());
    /// ```
    pub fn statements(&self, direction: Direction, dialect: Dialect) -> Result<Vec<Statement>, SplitError> {
        match self.section(direction, dialect) {
            Some(section) => split_statements(&section.sql, dialect, section.line),
            None => Ok(Vec::new()),
        }
    }

    /// False for a revision without any downgrade section: downgrading
    /// through it is refused. An Alembic `.py` revision is reversible when
    /// its `downgrade()` translated, or could not be (then running it is
    /// refused with why); a `downgrade()` that only raises is not.
    pub fn is_reversible(&self) -> bool {
        self.body_pending
            || !self.downgrade.is_empty()
            || self.untranslated.iter().any(|u| u.direction == Direction::Downgrade)
    }

    /// True when retort can run this revision's SQL (a `.sql` revision, a
    /// baseline, or a `.py` revision with its SQL beside it).
    pub fn has_sql(&self) -> bool {
        self.kind != SourceKind::Python || self.sql_file.is_some() || !self.upgrade.is_empty()
    }

    /// True for a merge point: a revision with several down revisions.
    pub fn is_merge_point(&self) -> bool {
        self.down_revisions.len() > 1
    }

    /// The checksum as 64 lower-case hex digits.
    ///
    /// ```
    /// let mut rev = retort_core::Revision::new("ae1027a6acf", None::<&str>);
    /// rev.checksum[0] = 0xa5;
    /// rev.checksum[31] = 0x0f;
    /// assert_eq!(rev.checksum_hex(), format!("a5{}0f", "0".repeat(60)));
    /// ```
    pub fn checksum_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in self.checksum {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        hex
    }
}

fn section_for(sections: &[Section], dialect: Dialect) -> Option<&Section> {
    sections.iter().find(|s| s.dialect == Some(dialect)).or_else(|| sections.iter().find(|s| s.dialect.is_none()))
}

/// True for a branch label that `label@head` cannot name: one with `@`,
/// `:` or white space.
pub(crate) fn malformed_label(label: &str) -> bool {
    label.contains(['@', ':']) || label.contains(char::is_whitespace)
}

/// Why a revision id is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidId {
    /// The id is empty.
    #[error("the revision id is empty")]
    Empty,
    /// The id contains characters Alembic forbids (Alembic's wording).
    #[error("Character(s) '{chars}' not allowed in revision identifier '{id}'")]
    ForbiddenChars {
        /// The id.
        id: String,
        /// The forbidden characters found, comma-separated.
        chars: String,
    },
    /// The id contains control characters (an escape sequence, a NUL),
    /// which would go into the version table and onto terminals.
    #[error("revision identifier '{}' contains control characters", crate::diagnostic::printable(.0))]
    Control(String),
    /// The id contains white space or a comma.
    #[error("revision identifier '{0}' contains white space or a comma")]
    Separator(String),
    /// The id does not fit `version_num VARCHAR(32)`.
    #[error("revision identifier '{id}' is {len} characters long; alembic_version.version_num holds at most 32")]
    TooLong {
        /// The id.
        id: String,
        /// Its length in characters.
        len: usize,
    },
}

/// Checks a revision id against Alembic's rules and the version table's
/// column width.
///
/// ```
/// use retort_core::revision::validate_id;
/// assert!(validate_id("2d970929c35a").is_ok());
/// assert!(validate_id("0042_merge_support_branding").is_ok());
/// assert!(validate_id("ab-cd").is_err());
/// ```
pub fn validate_id(id: &str) -> Result<(), InvalidId> {
    if id.is_empty() {
        return Err(InvalidId::Empty);
    }
    let mut forbidden: Vec<char> = FORBIDDEN_ID_CHARS.into_iter().filter(|c| id.contains(*c)).collect();
    if !forbidden.is_empty() {
        forbidden.sort_unstable();
        let chars = forbidden.iter().map(char::to_string).collect::<Vec<_>>().join(", ");
        return Err(InvalidId::ForbiddenChars { id: id.to_owned(), chars });
    }
    if id.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(InvalidId::Separator(id.to_owned()));
    }
    if id.chars().any(char::is_control) {
        return Err(InvalidId::Control(id.to_owned()));
    }
    let len = id.chars().count();
    if len > MAX_ID_LEN {
        return Err(InvalidId::TooLong { id: id.to_owned(), len });
    }
    Ok(())
}
