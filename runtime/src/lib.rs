//! retort is Alembic for Rust: revision files in a versions directory,
//! embedded in your binary, checked by the compiler and applied through sqlx
//! with Alembic's semantics and Alembic's own `alembic_version` table.
//!
//! This release holds the database-free core: reading revision files,
//! validating the revision graph and planning upgrades, downgrades and
//! stamps exactly as Alembic does. The database runtime and the
//! `#[migrations]` attribute build on it.
//!
//! ```
//! use retort::core::{Revision, RevisionGraph};
//! let graph = RevisionGraph::new(vec![
//!     Revision::new("1975ea83b712", None::<&str>),
//!     Revision::new("ae1027a6acf", ["1975ea83b712"]),
//! ])
//! .unwrap();
//! let plan = graph.plan_downgrade(&["ae1027a6acf"], "base").unwrap();
//! assert_eq!(plan.revision_ids(), ["ae1027a6acf", "1975ea83b712"]);
//! ```

#![forbid(unsafe_code)]

/// The revision-file, graph and planning layer (`retort-core`).
pub use retort_core as core;
