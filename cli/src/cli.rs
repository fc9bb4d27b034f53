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
    /// Alembic's other verbs (upgrade, downgrade, stamp, current, history,
    /// heads, branches, show, check, ensure-version).
    #[command(flatten)]
    Db(retort::cli::Command),
}
