//! A plan made ready to run on one dialect: each step with its revision
//! and the statements it sends, every one checked before the first runs.

use std::path::PathBuf;

use super::RevisionGraph;
use super::plan::Plan;
use crate::revision::{Dialect, Direction, Revision};
use crate::split::{SplitError, Statement};

/// What one step of a [`Plan`] runs on a dialect.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PreparedStep<'g> {
    /// The revision whose SQL it runs and which way (for a baseline step,
    /// the baseline, upgrading); `None` for a stamp.
    pub revision: Option<(&'g Revision, Direction)>,
    /// The statements it sends, in order (none for a stamp, or for a
    /// revision without a section for the dialect).
    pub statements: Vec<Statement>,
}

impl PreparedStep<'_> {
    /// False only for a downgrade (a stamp runs nothing and counts as an
    /// upgrade).
    pub fn is_upgrade(&self) -> bool {
        !matches!(self.revision, Some((_, Direction::Downgrade)))
    }
}

/// Why a plan cannot run on a dialect; found before any step runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotRunnable {
    /// Alembic `.py` revisions whose bodies retort could not translate for
    /// the run (and has no SQL beside): each id with its file and what
    /// stopped the translation.
    #[error(
        "cannot run Alembic Python revision(s) {}: retort does not run Python; write each one's SQL in a `.sql` file of the same name beside it (`-- upgrade` and `-- downgrade` sections; its header stays the .py's), start new databases from a baseline (`retort baseline`), or run this part with Alembic and continue with retort (it reads the same alembic_version)",
        .0.iter().map(|(id, path, why)| format!("{id} ({}: {why})", path.display())).collect::<Vec<_>>().join(", ")
    )]
    Python(Vec<(String, PathBuf, String)>),
    /// `--sql` through a translated `batch_alter_table` on SQLite, whose
    /// move-and-copy needs the table as the database has it.
    #[error(
        "revision {revision} ({}) has a batch_alter_table that SQLite does as a move-and-copy of the table as the database has it: its SQL cannot be printed without a database (Alembic cannot either); run it against the database, or write its SQL in the .sql beside the .py",
        .path.display()
    )]
    NeedsLiveTable {
        /// The revision.
        revision: String,
        /// Its file.
        path: PathBuf,
    },
    /// A downgrade through a revision with no downgrade SQL for the dialect.
    #[error("cannot downgrade {revision} ({}) on {dialect}: it has no `-- downgrade` section for it; add one (an empty section is a deliberate no-op)", .path.display())]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file.
        path: PathBuf,
        /// The dialect.
        dialect: Dialect,
    },
    /// A section whose SQL cannot be split into statements (possible only
    /// for a revision built through the API: files are checked when read).
    #[error("revision {revision} cannot run on {dialect}: {}:{}: {error}; nothing was run", .path.display(), .error.line())]
    Unsplittable {
        /// The revision.
        revision: String,
        /// Its file.
        path: PathBuf,
        /// The dialect.
        dialect: Dialect,
        /// What the splitter found.
        error: SplitError,
    },
}

impl RevisionGraph {
    /// What each step of `plan` runs on `dialect` (one entry per step, in
    /// order), or why the plan cannot run there: Alembic `.py` bodies (all
    /// of them named), a downgrade without SQL for the dialect, SQL that
    /// cannot be split. Nothing of a refused plan may run.
    pub fn prepare(&self, plan: &Plan, dialect: Dialect) -> Result<Vec<PreparedStep<'_>>, NotRunnable> {
        let mut python = Vec::new();
        let mut prepared = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            let revision = match step.baseline() {
                Some(id) => self.baseline_of(id).map(|b| (b, Direction::Upgrade)),
                None => step.revision().and_then(|(id, direction)| Some((self.runnable(id)?, direction))),
            };
            let mut statements = Vec::new();
            if let Some((rev, direction)) = revision {
                let untranslated = rev.untranslated.iter().find(|u| u.stops(direction, dialect));
                if rev.kind == crate::SourceKind::Python && rev.sql_file.is_none() && untranslated.is_some()
                    || !rev.has_sql()
                {
                    let why = untranslated
                        .map_or_else(|| "a Python body".to_owned(), |u| format!("line {}: {}", u.line, u.what));
                    python.push((rev.id.clone(), rev.path.clone(), why));
                    continue;
                }
                if direction == Direction::Downgrade && rev.downgrade_for(dialect).is_none() {
                    return Err(NotRunnable::Irreversible {
                        revision: rev.id.clone(),
                        path: rev.sql_path().to_path_buf(),
                        dialect,
                    });
                }
                statements = rev.statements(direction, dialect).map_err(|error| NotRunnable::Unsplittable {
                    revision: rev.id.clone(),
                    path: rev.sql_path().to_path_buf(),
                    dialect,
                    error,
                })?;
            }
            prepared.push(PreparedStep { revision, statements });
        }
        if python.is_empty() { Ok(prepared) } else { Err(NotRunnable::Python(python)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::Section;

    fn graph(sql: &str) -> RevisionGraph {
        let mut base = Revision::new("aaaa", None::<&str>);
        base.upgrade = vec![Section { dialect: None, line: 7, sql: "CREATE TABLE t (x INT);".into() }];
        let mut next = Revision::new("bbbb", Some("aaaa"));
        next.upgrade = vec![Section { dialect: None, line: 7, sql: sql.into() }];
        RevisionGraph::new(vec![base, next]).unwrap()
    }

    #[test]
    fn every_step_gets_its_statements() {
        let graph = graph("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);");
        let plan = graph.plan_upgrade(crate::AT_BASE, "head").unwrap();
        let steps = graph.prepare(&plan, Dialect::Postgres).unwrap();
        let counts: Vec<usize> = steps.iter().map(|s| s.statements.len()).collect();
        assert_eq!(counts, [1, 2]);
        assert_eq!(steps[1].statements[1].line, 7);
    }

    #[test]
    fn sql_the_splitter_rejects_refuses_the_whole_plan() {
        let graph = graph("INSERT INTO t VALUES ('never closed);");
        let plan = graph.plan_upgrade(crate::AT_BASE, "head").unwrap();
        match graph.prepare(&plan, Dialect::Sqlite) {
            Err(NotRunnable::Unsplittable { revision, .. }) => assert_eq!(revision, "bbbb"),
            other => panic!("expected Unsplittable, got {other:?}"),
        }
    }

    #[test]
    fn a_downgrade_without_a_section_for_the_dialect_is_irreversible() {
        let mut graph = graph("SELECT 1;").revisions().to_vec();
        graph[1].downgrade = vec![Section { dialect: Some(Dialect::Postgres), line: 9, sql: "SELECT 2;".into() }];
        let graph = RevisionGraph::new(graph).unwrap();
        let plan = graph.plan_downgrade(&["bbbb"], "aaaa").unwrap();
        assert_eq!(graph.prepare(&plan, Dialect::Postgres).unwrap()[0].statements[0].sql, "SELECT 2");
        match graph.prepare(&plan, Dialect::MySql) {
            Err(NotRunnable::Irreversible { revision, dialect, .. }) => {
                assert_eq!((revision.as_str(), dialect), ("bbbb", Dialect::MySql));
            }
            other => panic!("expected Irreversible, got {other:?}"),
        }
    }
}
