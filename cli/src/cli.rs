//! The command line's grammar: Alembic's verbs and flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Alembic for Rust: Alembic's verbs over a versions directory.
#[derive(Debug, Parser)]
#[command(name = "retort", version)]
pub struct Args {
    /// An Alembic configuration file, as `alembic -c` takes it: an ini
    /// file, or a pyproject.toml for its [tool.alembic] (both may be given)
    /// [default: ALEMBIC_CONFIG, else alembic.ini and pyproject.toml here].
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// The ini section with Alembic's options [default: alembic].
    #[arg(short = 'n', long = "name", global = true, value_name = "SECTION")]
    pub name: Option<String>,
    /// Alembic's `-x key=value`, which only an env.py reads: accepted, and
    /// ignored with a note.
    #[arg(short = 'x', global = true, value_name = "KEY=VALUE")]
    pub x_arguments: Vec<String>,
    /// The versions directory [default: from -c, retort.toml or
    /// alembic.ini, else alembic/versions].
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// The database (postgres://, mysql://, sqlite://); DATABASE_URL when absent.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// `DATABASE_URL`, when it gave `database_url` (filled after parsing).
    #[arg(skip)]
    pub database_url_env: Option<String>,
    /// The SQL dialect of `--sql` output when no database URL is given
    /// (postgresql, mysql, sqlite).
    #[arg(long, global = true)]
    pub dialect: Option<String>,
    /// Wait up to this long for the database to accept connections (a
    /// server still starting: refused, unknown host, no answer), trying
    /// again with a growing pause: `30s`, `2m`, `500ms` [default: 0, fail
    /// at once with the cause].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub wait_for_database: Option<std::time::Duration>,
    /// The version table's name [default: from retort.toml or alembic.ini,
    /// else alembic_version].
    #[arg(long, global = true)]
    pub version_table: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Alembic's verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the versions directory.
    Init,
    /// Write a new revision file.
    Revision {
        /// The message.
        #[arg(short, long)]
        message: String,
        /// The revision to base it on (default: the head; `base` for a new
        /// base).
        #[arg(long, default_value = "head")]
        head: String,
        /// Allow --head to name a revision that is not a head (a new branch).
        #[arg(long)]
        splice: bool,
        /// A branch label for it.
        #[arg(long)]
        branch_label: Vec<String>,
        /// Revisions it depends on.
        #[arg(long)]
        depends_on: Vec<String>,
        /// Its id, instead of a random one.
        #[arg(long)]
        rev_id: Option<String>,
        /// The version location to write it in (needed when there are
        /// several and it starts a new base).
        #[arg(long, value_name = "DIR")]
        version_path: Option<PathBuf>,
        /// Write its upgrade and downgrade: what turns the schema the
        /// revisions make into the one wanted (a schema file, or
        /// --from-database), and back.
        #[command(flatten)]
        autogenerate: Autogenerate,
    },
    /// Write a revision that merges others.
    Merge {
        /// The revisions to merge (`heads` for all).
        #[arg(required = true)]
        revisions: Vec<String>,
        /// The message.
        #[arg(short, long)]
        message: String,
        /// A branch label for it.
        #[arg(long)]
        branch_label: Vec<String>,
        /// Its id, instead of a random one.
        #[arg(long)]
        rev_id: Option<String>,
    },
    /// Write a baseline: the schema (and reference rows) at a revision,
    /// from which an empty database starts instead of running every
    /// revision up to it.
    Baseline(BaselineArgs),
    /// Give every Alembic .py revision its SQL in a .sql file beside it:
    /// translated, or captured from Alembic's offline mode (--alembic);
    /// report the revisions that need a person.
    Import {
        /// The team's Python with Alembic and the project's packages, to
        /// capture what retort cannot translate.
        #[arg(long, value_name = "PYTHON")]
        alembic: Option<PathBuf>,
        /// The engines to write SQL for [default: the database URL's, else
        /// all three].
        #[arg(long, value_name = "DIALECTS", value_delimiter = ',')]
        dialects: Vec<String>,
    },
    /// Alembic's other verbs (upgrade, downgrade, stamp, current, history,
    /// heads, branches, show, check, ensure-version).
    #[command(flatten)]
    Db(retort::cli::Command),
}

/// `baseline REV`: where the schema comes from and what it holds.
#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    /// The revision whose schema it holds (an id or prefix).
    pub revision: String,
    /// Take the schema (and rows) from this database, which must be at the
    /// revision [default: build it from the revisions in a scratch
    /// database].
    #[arg(long, value_name = "URL")]
    pub from_database: Option<String>,
    /// Tables whose rows it copies: reference data that data migrations
    /// inserted (`--data roles,settings`).
    #[arg(long, value_name = "TABLES", value_delimiter = ',')]
    pub data: Vec<String>,
    /// Write one section per engine (`--dialects postgresql,sqlite`), each
    /// built in a scratch database of its own engine.
    #[arg(long, value_name = "DIALECTS", value_delimiter = ',')]
    pub dialects: Vec<String>,
    /// A server where scratch databases may be created and dropped, one per
    /// engine [default: the database's server; SQLite in memory].
    #[arg(long, value_name = "URL")]
    pub scratch_url: Vec<String>,
}

/// `revision --autogenerate` and its sources.
#[derive(Debug, clap::Args)]
pub struct Autogenerate {
    /// Generate the upgrade and downgrade from the schema wanted.
    #[arg(long)]
    pub autogenerate: bool,
    /// The schema wanted, as SQL [default: retort.toml's schema_file, else
    /// schema.sql; schema.<dialect>.sql beside it wins for that dialect].
    #[arg(long, value_name = "FILE", requires = "autogenerate")]
    pub schema_file: Option<PathBuf>,
    /// The schema wanted is this database's (a developer's, changed by hand).
    #[arg(long, value_name = "URL", requires = "autogenerate", conflicts_with = "schema_file")]
    pub from_database: Option<String>,
    /// Read the head schema from the database (which must be at head)
    /// instead of building it from the revisions.
    #[arg(long, requires = "autogenerate")]
    pub against_database: bool,
    /// Write statements that drop tables and columns (otherwise they are
    /// written commented out).
    #[arg(long, requires = "autogenerate")]
    pub allow_drop: bool,
    /// A rename to write as one (never guessed): `table.old=new` for a
    /// column, `old=new` for a table; also `-- retort: renamed from old` on
    /// the line in the schema file.
    #[arg(long, value_name = "RENAME", requires = "autogenerate")]
    pub rename: Vec<String>,
    /// A server where scratch databases may be created and dropped, one per
    /// engine [default: the database's server; SQLite in memory].
    #[arg(long, value_name = "URL", requires = "autogenerate")]
    pub scratch_url: Vec<String>,
    /// Write one section per engine (`-- upgrade: postgresql` …), each
    /// generated against its own engine: `--dialects postgresql,sqlite`.
    #[arg(
        long,
        value_name = "DIALECTS",
        value_delimiter = ',',
        requires = "autogenerate",
        conflicts_with = "from_database"
    )]
    pub dialects: Vec<String>,
}

/// `30s`, `2m`, `500ms`, or a number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("'{text}' is not a duration: write 30s, 2m or 500ms"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        _ => return Err(format!("unknown unit in '{text}': use ms, s or m")),
    };
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{text}': {e}"))
}
