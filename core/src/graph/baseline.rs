//! Planning an upgrade of an empty database from a baseline: the schema at
//! a revision, applied at once instead of every revision up to it.

use super::RevisionGraph;
use super::plan::{Plan, Step, StepKind, VersionChange};
use crate::error::RevisionError;
use crate::revision::{Dialect, Direction, Revision};

impl RevisionGraph {
    /// The baseline an empty database upgrading to `target` on `dialect`
    /// starts from: among the baselines of revisions the upgrade would
    /// run, with SQL for the dialect, the newest (the one with the most
    /// revisions up to it). `None` for a database with version rows, or
    /// when no baseline fits.
    pub fn baseline_for<S: AsRef<str>>(
        &self,
        current: &[S],
        target: &str,
        dialect: Dialect,
    ) -> Result<Option<&Revision>, RevisionError> {
        if !current.is_empty() || self.baselines.is_empty() {
            return Ok(None);
        }
        let plan = self.plan_upgrade(current, target)?;
        let runs: Vec<&str> = plan.revision_ids();
        let usable = self
            .baselines
            .iter()
            .filter(|b| runs.contains(&b.id.as_str()) && b.section(Direction::Upgrade, dialect).is_some());
        let mut best: Option<(&Revision, usize)> = None;
        for baseline in usable {
            let Some(&index) = self.by_id.get(&baseline.id) else { continue };
            let covered = self.ancestors_checked(&[index])?.iter().filter(|&&a| a).count();
            if best.is_none_or(|(_, most)| covered > most) {
                best = Some((baseline, covered));
            }
        }
        Ok(best.map(|(baseline, _)| baseline))
    }

    /// [`plan_upgrade`](RevisionGraph::plan_upgrade), except that an empty
    /// database starts from the newest baseline the upgrade passes (see
    /// [`baseline_for`](RevisionGraph::baseline_for)): one step runs the
    /// baseline and writes the version rows an upgrade to its revision
    /// would leave, then the revisions after it run as usual.
    ///
    /// ```
    /// use std::path::Path;
    /// use retort_core::{Dialect, RevisionGraph, StepKind, parse_sql_revision};
    /// let file = |name: &str, text: &str| parse_sql_revision(Path::new(name), text).0.unwrap();
    /// let graph = RevisionGraph::new(vec![
    ///     file("a1_one.sql", "-- one\n-- Revision ID: a1\n-- Revises:\n-- upgrade\nCREATE TABLE t (id int);\n"),
    ///     file("b2_two.sql", "-- two\n-- Revision ID: b2\n-- Revises: a1\n-- upgrade\nALTER TABLE t ADD c int;\n"),
    ///     file("c3_three.sql", "-- three\n-- Revision ID: c3\n-- Revises: b2\n-- upgrade\nCREATE TABLE u (id int);\n"),
    ///     file("b2_baseline.sql", "-- schema at b2\n-- Baseline Of: b2\n-- upgrade\nCREATE TABLE t (id int, c int);\n"),
    /// ]).unwrap();
    /// let plan = graph.plan_upgrade_from_baseline(&[] as &[&str], "head", Dialect::Sqlite).unwrap();
    /// assert_eq!(plan.steps[0].kind, StepKind::Baseline("b2".into()));
    /// assert_eq!(plan.revision_ids(), ["c3"]);
    /// assert_eq!(plan.heads_after(), ["c3"]);
    /// ```
    pub fn plan_upgrade_from_baseline<S: AsRef<str>>(
        &self,
        current: &[S],
        target: &str,
        dialect: Dialect,
    ) -> Result<Plan, RevisionError> {
        let Some(baseline) = self.baseline_for(current, target, dialect)? else {
            return self.plan_upgrade(current, target);
        };
        let rows = self.plan_upgrade(current, &baseline.id)?.heads_after();
        let rest = self.plan_upgrade(&rows, target)?;
        let first = Step {
            kind: StepKind::Baseline(baseline.id.clone()),
            changes: rows.iter().cloned().map(VersionChange::Insert).collect(),
            heads_after: rows,
        };
        Ok(Plan { heads_before: Vec::new(), purge: false, steps: std::iter::once(first).chain(rest.steps).collect() })
    }
}
