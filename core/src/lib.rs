//! The database-free heart of retort (Alembic for Rust): revision files,
//! the revision graph and migration planning, with Alembic's semantics.
//!
//! This crate is an implementation detail of [`retort`](https://docs.rs/retort)
//! and of the `retort` command line; depend on `retort` instead.
//!
//! ```
//! use std::path::Path;
//! use retort_core::{parse_sql_revision, RevisionGraph};
//!
//! let text = "-- Create customers\n-- Revision ID: 1975ea83b712\n-- Revises:\n\n-- upgrade\nCREATE TABLE customer (id INTEGER PRIMARY KEY);\n\n-- downgrade\nDROP TABLE customer;\n";
//! let (revision, problems) = parse_sql_revision(Path::new("versions/1975ea83b712_create_customers.sql"), text);
//! assert!(problems.is_empty());
//! let graph = RevisionGraph::new(vec![revision.unwrap()]).unwrap();
//! let plan = graph.plan_upgrade(retort_core::AT_BASE, "head").unwrap();
//! assert_eq!(plan.revision_ids(), ["1975ea83b712"]);
//! assert_eq!(plan.heads_after(), ["1975ea83b712"]);
//! ```

#[cfg(feature = "config")]
pub mod alembic_config;
pub mod checksum;
pub mod clock;
pub mod diagnostic;
mod display;
pub mod embed;
mod error;
pub mod generate;
mod graph;
pub mod ini;
pub mod lint;
pub mod loader;
mod parse;
pub mod revision;
pub mod schema;
mod split;
pub mod translate;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};

/// The version table's rows of a database at base (none), for the `current`
/// argument of the planning functions: `graph.plan_upgrade(AT_BASE, "head")`.
pub const AT_BASE: &[&str] = &[];
pub use display::LineFormat;
#[cfg(feature = "json")]
pub use display::RevisionSummary;
pub use error::RevisionError;
pub use graph::{
    NotRunnable, OfflineRange, Plan, PreparedStep, RevisionGraph, RevisionRange, Step, StepKind, VersionChange,
    net_changes,
};
pub use loader::{VersionLocations, load_dir, load_locations, parse_revision_file};
pub use parse::{
    HEADER_KEYS, KnownNames, SqlBody, parse_python_revision, parse_python_revision_with, parse_sql_body,
    parse_sql_revision,
};
pub use revision::{Dialect, Direction, Revision, Section, SourceKind, Untranslated};
pub use split::{BLOCK_BEGIN, BLOCK_END, NUL_MESSAGE, SplitError, Statement, find_nul, split_statements};
