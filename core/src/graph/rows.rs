//! How each step changes the version table's rows: Alembic's
//! `HeadMaintainer`, with a clear error where Alembic would crash.

use super::plan::VersionChange;
use super::{Idx, RevisionGraph};
use crate::error::RevisionError;

impl RevisionGraph {
    pub(super) fn inconsistent(&self, current: &[String], detail: String) -> RevisionError {
        RevisionError::Inconsistent { current: current.to_vec(), detail }
    }

    pub(super) fn insert(
        &self,
        heads: &mut Vec<Idx>,
        rev: Idx,
        current: &[String],
    ) -> Result<VersionChange, RevisionError> {
        if heads.contains(&rev) {
            return Err(self.inconsistent(current, format!("{} would be inserted twice", self.id(rev))));
        }
        heads.push(rev);
        Ok(VersionChange::Insert(self.id(rev).to_owned()))
    }

    pub(super) fn delete(
        &self,
        heads: &mut Vec<Idx>,
        rev: Idx,
        current: &[String],
    ) -> Result<VersionChange, RevisionError> {
        let Some(at) = heads.iter().position(|&h| h == rev) else {
            return Err(self.inconsistent(current, format!("{} would be deleted but is not a row", self.id(rev))));
        };
        heads.remove(at);
        Ok(VersionChange::Delete(self.id(rev).to_owned()))
    }

    pub(super) fn update(
        &self,
        heads: &mut [Idx],
        from: Idx,
        to: Idx,
        current: &[String],
    ) -> Result<VersionChange, RevisionError> {
        if heads.contains(&to) {
            return Err(self.inconsistent(current, format!("{} is already a row", self.id(to))));
        }
        let Some(at) = heads.iter().position(|&h| h == from) else {
            return Err(self.inconsistent(current, format!("{} would be updated but is not a row", self.id(from))));
        };
        heads[at] = to;
        Ok(VersionChange::Update { from: self.id(from).to_owned(), to: self.id(to).to_owned() })
    }

    /// True when `d` is an ancestor of (or is) one of `others`.
    fn below_any(&self, d: Idx, others: &[Idx]) -> bool {
        others.iter().any(|&o| self.is_ancestor_or_self(d, o))
    }

    pub(super) fn upgrade_changes(
        &self,
        heads: &mut Vec<Idx>,
        rev: Idx,
        current: &[String],
    ) -> Result<Vec<VersionChange>, RevisionError> {
        let downs = &self.nodes[rev].norm_down;
        let present = downs.iter().filter(|d| heads.contains(d)).count();
        if downs.is_empty() || present == 0 {
            // A base, or none of its parents is a row: a new branch.
            return Ok(vec![self.insert(heads, rev, current)?]);
        }
        if downs.len() > 1 && present > 1 {
            // A merge: all but one parent row go, the last becomes `rev`.
            let others: Vec<Idx> = heads.iter().copied().filter(|h| !downs.contains(h)).collect();
            let from: Vec<Idx> = if others.is_empty() {
                downs.clone()
            } else {
                downs.iter().copied().filter(|&d| !self.below_any(d, &others)).collect()
            };
            if let Some((parent, &other)) = from
                .iter()
                .find_map(|&a| downs.iter().find(|&&b| b != a && self.is_ancestor_or_self(a, b)).map(|b| (a, b)))
            {
                return Err(RevisionError::RedundantParent {
                    revision: self.id(rev).to_owned(),
                    parent: self.id(parent).to_owned(),
                    other: self.id(other).to_owned(),
                });
            }
            return self.merge_rows(heads, &from, rev, current).ok_or_else(|| {
                self.inconsistent(current, format!("merge {} has no parent row to replace", self.id(rev)))
            })?;
        }
        let down = self.single_down(heads, rev, current)?;
        Ok(vec![self.update(heads, down, rev, current)?])
    }

    pub(super) fn downgrade_changes(
        &self,
        heads: &mut Vec<Idx>,
        rev: Idx,
        current: &[String],
    ) -> Result<Vec<VersionChange>, RevisionError> {
        let downs = &self.nodes[rev].norm_down;
        if heads.contains(&rev) {
            let to = if downs.is_empty() { Vec::new() } else { self.unmerge_targets(heads, rev) };
            if to.is_empty() {
                // Its parents are still rows' ancestors (or it is a base).
                return Ok(vec![self.delete(heads, rev, current)?]);
            }
            if let (true, Some((&last, rest))) = (downs.len() > 1, to.split_last()) {
                // An un-merge: each parent not below another row comes back.
                let mut changes = Vec::new();
                for &d in rest {
                    changes.push(self.insert(heads, d, current)?);
                }
                changes.push(self.update(heads, rev, last, current)?);
                return Ok(changes);
            }
        }
        let down = self.single_down(heads, rev, current)?;
        Ok(vec![self.update(heads, rev, down, current)?])
    }

    /// The one parent row an UPDATE moves from or to.
    fn single_down(&self, heads: &[Idx], rev: Idx, current: &[String]) -> Result<Idx, RevisionError> {
        let downs = &self.nodes[rev].norm_down;
        if let [only] = downs.as_slice() {
            return Ok(*only);
        }
        let present: Vec<Idx> = downs.iter().copied().filter(|d| heads.contains(d)).collect();
        match present.as_slice() {
            [only] => Ok(*only),
            _ => Err(self.inconsistent(
                current,
                format!("the row for {} cannot be updated: its parent row is ambiguous", self.id(rev)),
            )),
        }
    }

    /// The parents of `rev` that must become rows when it is downgraded
    /// (Alembic's `_unmerge_to_revisions`).
    fn unmerge_targets(&self, heads: &[Idx], rev: Idx) -> Vec<Idx> {
        let downs = &self.nodes[rev].norm_down;
        let others: Vec<Idx> = heads.iter().copied().filter(|&h| h != rev).collect();
        if !others.is_empty() {
            return downs.iter().copied().filter(|&d| !self.below_any(d, &others)).collect();
        }
        if downs.len() == 1 {
            return downs.clone();
        }
        downs.iter().copied().filter(|&d| !downs.iter().any(|&e| e != d && self.is_ancestor_or_self(d, e))).collect()
    }

    pub(super) fn stamp_changes(
        &self,
        heads: &mut Vec<Idx>,
        from: &[Idx],
        to: Idx,
        upgrade: bool,
        branch_move: bool,
        current: &[String],
    ) -> Result<Vec<VersionChange>, RevisionError> {
        let from_missing = from.iter().any(|f| !heads.contains(f));
        if upgrade && (branch_move || from_missing) && !heads.contains(&to) {
            return Ok(vec![self.insert(heads, to, current)?]);
        }
        self.merge_rows(heads, from, to, current)
            .unwrap_or_else(|| Err(self.inconsistent(current, format!("stamping {} has no row to move", self.id(to)))))
    }

    /// Moves the rows `from` to the one row `to`: every row but the last is
    /// deleted, the last updated. `None` when `from` is empty.
    fn merge_rows(
        &self,
        heads: &mut Vec<Idx>,
        from: &[Idx],
        to: Idx,
        current: &[String],
    ) -> Option<Result<Vec<VersionChange>, RevisionError>> {
        let (&last, rest) = from.split_last()?;
        let mut changes = Vec::new();
        for &f in rest {
            match self.delete(heads, f, current) {
                Ok(change) => changes.push(change),
                Err(err) => return Some(Err(err)),
            }
        }
        Some(self.update(heads, last, to, current).map(|change| {
            changes.push(change);
            changes
        }))
    }
}

/// Ids sorted, as plans report rows.
pub(super) fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_unstable();
    ids
}

/// The fewest row changes that take a version table holding `before` to
/// `after`: a row that goes and one that comes pair up as an UPDATE (as
/// Alembic moves a head), the rest are DELETEs and INSERTs.
///
/// Inside one transaction nobody sees the rows between two steps, so a run
/// that applies many revisions in one transaction writes only this net
/// change before it commits instead of every step's changes.
///
/// ```
/// use retort_core::{VersionChange, net_changes};
/// let before = ["a".to_owned()];
/// let after = ["c".to_owned(), "d".to_owned()];
/// assert_eq!(
///     net_changes(&before, &after),
///     [VersionChange::Update { from: "a".into(), to: "c".into() }, VersionChange::Insert("d".into())],
/// );
/// assert!(net_changes(&after, &after).is_empty());
/// ```
pub fn net_changes(before: &[String], after: &[String]) -> Vec<VersionChange> {
    let gone = sorted(before.iter().filter(|r| !after.contains(r)).cloned().collect());
    let came = sorted(after.iter().filter(|r| !before.contains(r)).cloned().collect());
    let paired = gone.len().min(came.len());
    let mut changes: Vec<VersionChange> = gone[..paired]
        .iter()
        .zip(&came[..paired])
        .map(|(from, to)| VersionChange::Update { from: from.clone(), to: to.clone() })
        .collect();
    changes.extend(gone[paired..].iter().cloned().map(VersionChange::Delete));
    changes.extend(came[paired..].iter().cloned().map(VersionChange::Insert));
    changes
}
