//! Plans: which revisions an upgrade, downgrade or stamp runs, in which
//! order, and how each step changes the version table — the same as
//! Alembic for the same graph and command.

use super::range::RevisionRange;
use super::resolve::Walk;
use super::{Idx, RevisionGraph};

pub(super) use super::rows::sorted;
use crate::error::RevisionError;
use crate::revision::Direction;

/// One row change of the version table (`alembic_version`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionChange {
    /// `INSERT INTO alembic_version (version_num) VALUES (…)`.
    Insert(String),
    /// `DELETE FROM alembic_version WHERE version_num = …`.
    Delete(String),
    /// `UPDATE alembic_version SET version_num = to WHERE version_num = from`.
    Update {
        /// The row's current value.
        from: String,
        /// Its new value.
        to: String,
    },
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// Run a revision's upgrade SQL.
    Upgrade(String),
    /// Run a revision's downgrade SQL.
    Downgrade(String),
    /// Move the version table without running SQL (`stamp`).
    Stamp {
        /// The heads it moves from.
        from: Vec<String>,
        /// The heads it moves to.
        to: Vec<String>,
        /// True when the move goes up the graph.
        upgrade: bool,
    },
    /// Run the baseline of a revision on an empty database, and write the
    /// version rows an upgrade to that revision would leave.
    Baseline(String),
}

/// One step of a plan with the version-table changes that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the step does.
    pub kind: StepKind,
    /// The version-table changes after it, in order.
    pub changes: Vec<VersionChange>,
    /// The version table's rows after the step, sorted.
    pub heads_after: Vec<String>,
}

impl Step {
    /// The revision whose SQL the step runs, and which way; `None` for a
    /// stamp.
    pub fn revision(&self) -> Option<(&str, Direction)> {
        match &self.kind {
            StepKind::Upgrade(id) => Some((id, Direction::Upgrade)),
            StepKind::Downgrade(id) => Some((id, Direction::Downgrade)),
            StepKind::Stamp { .. } | StepKind::Baseline(_) => None,
        }
    }

    /// The revision whose baseline the step runs, if it runs one.
    pub fn baseline(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Baseline(id) => Some(id),
            _ => None,
        }
    }

    /// The revision whose SQL the step runs, if any.
    pub fn revision_id(&self) -> Option<&str> {
        self.revision().map(|(id, _)| id)
    }

    /// Alembic's log line for the step: `upgrade a -> b`, `downgrade b -> a`,
    /// `stamp a -> b` (without the message).
    pub fn short_log(&self, graph: &RevisionGraph) -> String {
        let parents = |id: &str| graph.get(id).map_or(&[][..], |r| r.down_revisions.as_slice());
        let (name, from, to) = match &self.kind {
            StepKind::Upgrade(id) => ("upgrade", parents(id), std::slice::from_ref(id)),
            StepKind::Downgrade(id) => ("downgrade", std::slice::from_ref(id), parents(id)),
            StepKind::Stamp { from, to, .. } => ("stamp", from.as_slice(), to.as_slice()),
            StepKind::Baseline(_) => ("baseline", &[][..], self.heads_after.as_slice()),
        };
        format!("{name} {} -> {}", from.join(", "), to.join(", "))
    }
}

/// An ordered list of steps from the heads a database is at to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The version table's rows before the plan, sorted.
    pub heads_before: Vec<String>,
    /// True when the version table is emptied first (`stamp --purge`).
    pub purge: bool,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// The ids of the revisions whose SQL runs, in order.
    pub fn revision_ids(&self) -> Vec<&str> {
        self.steps.iter().filter_map(Step::revision_id).collect()
    }

    /// The version table's rows after the whole plan, sorted.
    pub fn heads_after(&self) -> Vec<String> {
        self.steps
            .last()
            .map_or_else(|| if self.purge { Vec::new() } else { self.heads_before.clone() }, |s| s.heads_after.clone())
    }

    /// True when the plan does nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && !self.purge
    }
}

impl RevisionGraph {
    /// The plan that upgrades a database at `current` (its version table's
    /// rows) to `target`: every revision the target needs that the database
    /// lacks, parents first.
    ///
    /// `target` is any identifier: `head`, `heads`, an id or prefix,
    /// `label@head`, `+2`, `ae10+1`…
    pub fn plan_upgrade<S: AsRef<str>>(&self, current: &[S], target: &str) -> Result<Plan, RevisionError> {
        let current = self.resolve_current(current)?;
        let targets = self.upgrade_targets(&current, target)?;
        let required = self.ancestors_checked(&targets)?;
        let applied = self.ancestors_checked(&current)?;
        let needs: Vec<Idx> = (0..self.nodes.len()).filter(|&i| required[i] && !applied[i]).collect();
        let mut order = self.topological_sort(&needs, &targets, true);
        order.reverse();
        let steps: Vec<(Idx, bool)> = order.into_iter().map(|i| (i, true)).collect();
        self.plan_from_steps(&current, &steps)
    }

    /// The plan that downgrades a database at `current` to `target`:
    /// everything applied above the target, children first. Fails before any
    /// step when a revision on the way has no downgrade section.
    pub fn plan_downgrade<S: AsRef<str>>(&self, current: &[S], target: &str) -> Result<Plan, RevisionError> {
        let current = self.resolve_current(current)?;
        let (label, target_rev) = self.parse_downgrade_target(&current, target)?;
        let target_rev = match target_rev {
            Walk::Rev(i) => Some(i),
            _ => None,
        };
        let mut roots: Vec<Idx> = match target_rev {
            // Alembic's roots come from its revision map, where a labelled
            // base appears once more under each of its labels.
            None => self
                .bases
                .iter()
                .flat_map(|&b| std::iter::repeat_n(b, 1 + self.revisions[b].branch_labels.len()))
                .collect(),
            Some(t) => self.nodes[t].next.clone(),
        };
        if let Some(label) = &label
            && roots.len() > 1
        {
            let branch = self.resolve_branch(label)?;
            let below = self.reach_mask(&[branch], |n| &n.down);
            roots.retain(|&r| below[r]);
            roots.dedup();
            if roots.is_empty() {
                return Err(RevisionError::NotADowngradeTargetOnBranch {
                    target: target.to_owned(),
                    current: self.ids(current.iter().copied()),
                });
            }
        }
        let dropped = self.reach_mask(&roots, |n| &n.all_next);
        let active = self.reach_mask(&current, |n| &n.norm_down);
        let todo: Vec<Idx> = (0..self.nodes.len()).filter(|&i| dropped[i] && active[i]).collect();
        if let Some(t) = target_rev
            && todo.is_empty()
            && !current.contains(&t)
        {
            return Err(RevisionError::NotADowngradeTarget {
                target: target.to_owned(),
                current: self.ids(current.iter().copied()),
            });
        }
        let order = self.topological_sort(&todo, &current, true);
        let irreversible: Vec<String> =
            order.iter().filter(|&&i| !self.revisions[i].is_reversible()).map(|&i| self.id(i).to_owned()).collect();
        if !irreversible.is_empty() {
            return Err(RevisionError::Irreversible(irreversible));
        }
        let steps: Vec<(Idx, bool)> = order.into_iter().map(|i| (i, false)).collect();
        self.plan_from_steps(&current, &steps)
    }

    /// The plan that stamps a database at `current` with `targets` without
    /// running SQL: each target moves the heads on its line of descent, or
    /// starts a new branch. `purge` empties the version table first.
    pub fn plan_stamp<S: AsRef<str>, T: AsRef<str>>(
        &self,
        current: &[S],
        targets: &[T],
        purge: bool,
    ) -> Result<Plan, RevisionError> {
        let before = if purge { Vec::new() } else { self.resolve_current(current)? };
        let mut targets: Vec<&str> = targets.iter().map(AsRef::as_ref).collect();
        if targets.is_empty() {
            targets.push("base");
        }
        let stamp_wording = |err| match err {
            RevisionError::MultipleHeads { heads, .. } => RevisionError::StampMultipleHeads(heads),
            other => other,
        };
        let mut filtered: Vec<Idx> = Vec::new();
        for target in &targets {
            for head in self.filter_for_lineage(&before, target, true).map_err(stamp_wording)? {
                if !filtered.contains(&head) {
                    filtered.push(head);
                }
            }
        }
        let mut dests: Vec<Walk> = Vec::new();
        for target in &targets {
            dests.extend(self.get_revisions(target).map_err(stamp_wording)?);
        }
        if dests.is_empty() {
            dests.push(Walk::Nothing);
        }
        let mut heads = before.clone();
        let mut steps = Vec::new();
        let current_ids = self.ids(before.iter().copied());
        for dest in dests {
            if dest == Walk::Base {
                // Alembic fails with an AssertionError when a relative
                // target walks down onto the base marker.
                return Err(RevisionError::RelativeTooFar { relative: targets.join(" "), count: 0 });
            }
            let Walk::Rev(dest) = dest else {
                for &head in &filtered {
                    let changes = vec![self.delete(&mut heads, head, &current_ids)?];
                    steps.push(self.step(
                        StepKind::Stamp { from: vec![self.id(head).to_owned()], to: Vec::new(), upgrade: false },
                        changes,
                        &heads,
                    ));
                }
                continue;
            };
            if filtered.contains(&dest) {
                continue;
            }
            let above = self.reach_mask(&[dest], |n| &n.all_next);
            let below = self.reach_mask(&[dest], |n| &n.norm_down);
            let from: Vec<Idx> =
                if filtered.iter().any(|&h| above[h] || below[h]) { filtered.clone() } else { Vec::new() };
            let upgrade = !filtered.iter().any(|&h| above[h]);
            let branch_move = from.is_empty();
            let changes = self.stamp_changes(&mut heads, &from, dest, upgrade, branch_move, &current_ids)?;
            let kind =
                StepKind::Stamp { from: self.ids(from.iter().copied()), to: vec![self.id(dest).to_owned()], upgrade };
            steps.push(self.step(kind, changes, &heads));
        }
        let heads_before = sorted(current.iter().map(|c| c.as_ref().to_owned()).collect());
        Ok(Plan { heads_before, purge, steps })
    }

    /// The revisions between two identifiers, newest first, as `history
    /// -r start:end` lists them. `None` lists everything.
    pub fn history(&self, range: Option<&str>) -> Result<Vec<&crate::Revision>, RevisionError> {
        let (start, end) = match range.map(str::trim) {
            None => ("base", "heads"),
            Some(text) => match RevisionRange::parse(text) {
                Some(RevisionRange { start, end }) => {
                    (if start.is_empty() { "base" } else { start }, if end.is_empty() { "heads" } else { end })
                }
                None => {
                    return Err(RevisionError::InvalidIdentifier {
                        id: text.to_owned(),
                        reason: "History range requires [start]:[end], [start]:, or :[end]".to_owned(),
                    });
                }
            },
        };
        let not_a_range = || RevisionError::NotARange { start: start.to_owned(), end: end.to_owned() };
        let lower: Vec<Idx> = self.get_revision_indices(start)?;
        let mut targets: Vec<Idx> = self
            .parse_upgrade_target(&lower, end, false)?
            .into_iter()
            .filter_map(|w| match w {
                Walk::Rev(i) => Some(i),
                _ => None,
            })
            .collect();
        if let Some((branch, _)) = start.split_once('@') {
            let mut branch = branch.to_owned();
            if let Ok(Some(rev)) = self.get_revision(&branch)
                && self.revisions[rev].id == branch
                && let [only] = self.revisions[rev].branch_labels.as_slice()
            {
                branch = only.clone();
            }
            targets.retain(|&t| self.nodes[t].labels.contains(&branch));
        }
        let required = self.ancestors_checked(&targets)?;
        if lower.iter().any(|&l| !required[l]) {
            return Err(not_a_range());
        }
        let applied = self.ancestors_checked(&lower)?;
        let mut keep: Vec<bool> = (0..self.nodes.len()).map(|i| required[i] && !applied[i]).collect();
        lower.iter().for_each(|&l| keep[l] = true);
        if !lower.is_empty() {
            let above = self.reach_mask(&lower, |n| &n.next);
            keep.iter_mut().enumerate().for_each(|(i, k)| *k = *k && above[i]);
        }
        let todo: Vec<Idx> = (0..self.nodes.len()).filter(|&i| keep[i]).collect();
        Ok(self.topological_sort(&todo, &targets, lower.is_empty()).into_iter().map(|i| &self.revisions[i]).collect())
    }

    /// The database's rows as revisions; an unknown row is Alembic's
    /// "Can't locate revision" with a hint for the usual cause.
    fn resolve_current<S: AsRef<str>>(&self, current: &[S]) -> Result<Vec<Idx>, RevisionError> {
        current
            .iter()
            .map(|c| {
                let c = c.as_ref();
                self.by_id.get(c).copied().ok_or_else(|| RevisionError::NotFound {
                    id: c.to_owned(),
                    reason: "the version table names it, but no revision here has this id: is this binary older than the database? Deploy the newer one, or `stamp` the database if the row is wrong".to_owned(),
                })
            })
            .collect()
    }

    /// Upgrade targets as revisions; walking past either end is an error
    /// (Alembic fails with an AssertionError there), walking to the base
    /// marker means no target.
    fn upgrade_targets(&self, current: &[Idx], target: &str) -> Result<Vec<Idx>, RevisionError> {
        let mut targets = Vec::new();
        for walk in self.parse_upgrade_target(current, target, true)? {
            match walk {
                Walk::Rev(i) => targets.push(i),
                Walk::Base | Walk::Nothing => {
                    return Err(RevisionError::RelativeTooFar { relative: target.to_owned(), count: 0 });
                }
            }
        }
        Ok(targets)
    }

    /// `revs` and all their ancestors, failing when one of `revs` is an
    /// ancestor of another (Alembic's `check=True`).
    pub(super) fn ancestors_checked(&self, revs: &[Idx]) -> Result<Vec<bool>, RevisionError> {
        let mut seen = vec![false; self.nodes.len()];
        for &target in revs {
            let mut touched_others = Vec::new();
            let mut stack = vec![target];
            while let Some(i) = stack.pop() {
                if i != target && revs.contains(&i) && !touched_others.contains(&i) {
                    touched_others.push(i);
                }
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                stack.extend(self.nodes[i].norm_down.iter().copied());
            }
            if !touched_others.is_empty() {
                return Err(RevisionError::Overlap {
                    revision: self.id(target).to_owned(),
                    others: self.ids(touched_others),
                });
            }
        }
        Ok(seen)
    }

    /// Turns (revision, is_upgrade) steps into a plan, computing each step's
    /// version-table changes as Alembic's `HeadMaintainer` does.
    fn plan_from_steps(&self, current: &[Idx], order: &[(Idx, bool)]) -> Result<Plan, RevisionError> {
        let current_ids = self.ids(current.iter().copied());
        let mut heads = current.to_vec();
        let mut steps = Vec::with_capacity(order.len());
        for &(rev, upgrade) in order {
            let changes = if upgrade {
                self.upgrade_changes(&mut heads, rev, &current_ids)?
            } else {
                self.downgrade_changes(&mut heads, rev, &current_ids)?
            };
            let id = self.id(rev).to_owned();
            let kind = if upgrade { StepKind::Upgrade(id) } else { StepKind::Downgrade(id) };
            steps.push(self.step(kind, changes, &heads));
        }
        Ok(Plan { heads_before: sorted(current_ids), purge: false, steps })
    }

    fn step(&self, kind: StepKind, changes: Vec<VersionChange>, heads: &[Idx]) -> Step {
        Step { kind, changes, heads_after: sorted(self.ids(heads.iter().copied())) }
    }
}
