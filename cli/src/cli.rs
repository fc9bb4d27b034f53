//! The command line's grammar: Alembic's verbs and flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Alembic for Rust: Alembic's verbs over a versions directory.
#[derive(Debug, Parser)]
#[command(name = "retort", version)]
pub struct Args {
    /// The versions directory [default: from retort.toml or alembic.ini, else
    /// alembic/versions].
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// The database (postgres://, mysql://, sqlite://); DATABASE_URL when absent.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The SQL dialect of `--sql` output when no database URL is given
    /// (postgresql, mysql, sqlite).
    #[arg(long, global = true)]
    pub dialect: Option<String>,
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
    /// Validate the versions directory (and, with a database, what it lacks).
    Check,
    /// List revisions, newest first.
    History {
        /// A range `start:end`, either side optional.
        #[arg(short = 'r', long = "rev-range")]
        range: Option<String>,
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Mark the database's current revisions (needs a database).
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
    },
    /// Show the heads.
    Heads {
        /// Show each head in full.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show the branch points.
    Branches {
        /// Show each branch point in full.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show the revision(s) an identifier names.
    Show {
        /// `head`, an id or prefix, `label@head`…
        #[arg(allow_hyphen_values = true)]
        rev: String,
    },
    /// Show the database's current revision(s).
    Current {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Fail unless the database is at every head.
        #[arg(long)]
        check_heads: bool,
    },
    /// Upgrade to a later version.
    Upgrade {
        /// The target; `start:end` with --sql.
        #[arg(default_value = "heads", allow_hyphen_values = true)]
        revision: String,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
    },
    /// Revert to a previous version.
    Downgrade {
        /// The target; `start:end` with --sql.
        #[arg(allow_hyphen_values = true)]
        revision: String,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
    },
    /// Set the version table without running SQL.
    Stamp {
        /// The revisions to stamp.
        #[arg(required = true, allow_hyphen_values = true)]
        revisions: Vec<String>,
        /// Empty the version table first.
        #[arg(long)]
        purge: bool,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
    },
    /// Create the version table if it does not exist.
    EnsureVersion,
}
