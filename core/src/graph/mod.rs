//! The revision graph: revisions linked by `Revises` (down revisions) and
//! `Depends On`, with Alembic's notions of heads, bases, branch points,
//! merge points and branch labels.
//!
//! Revisions are kept in load order (file names sorted), which is the order
//! Alembic's revision map has and the order that breaks ties between
//! branches in plans.

mod baseline;
mod check;
mod plan;
mod prepare;
mod range;
mod resolve;
mod rows;
mod topo;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use crate::diagnostic::Diagnostics;
use crate::revision::Revision;

pub use plan::{Plan, Step, StepKind, VersionChange};
pub use prepare::{NotRunnable, PreparedStep};
pub use range::{OfflineRange, RevisionRange};
pub use rows::net_changes;

/// A revision's place in the graph: its index in load order.
type Idx = usize;

/// Links of one revision, as indices.
#[derive(Debug, Clone, Default)]
struct Node {
    /// `Revises`, in the order written.
    down: Vec<Idx>,
    /// `Depends On`, resolved to revisions (labels replaced by the revision
    /// that declares them), without duplicates.
    deps: Vec<Idx>,
    /// `down` followed by the dependencies that no ancestor already has
    /// (Alembic's `_normalized_down_revisions`).
    norm_down: Vec<Idx>,
    /// True when some dependency survived normalisation.
    has_norm_deps: bool,
    /// Revisions whose `Revises` names this one.
    next: Vec<Idx>,
    /// Revisions whose `Revises` or `Depends On` names this one.
    all_next: Vec<Idx>,
    /// Revisions whose normalised down revisions name this one.
    norm_next: Vec<Idx>,
    /// Branch labels: its own and those inherited along its branch.
    labels: BTreeSet<String>,
}

/// A validated revision graph.
///
/// Build one with [`RevisionGraph::new`] from parsed revisions, or with
/// [`load_dir`](crate::load_dir) from a versions directory.
///
/// ```
/// use retort_core::{Revision, RevisionGraph};
/// let graph = RevisionGraph::new(vec![
///     Revision::new("1975ea83b712", None::<&str>),
///     Revision::new("ae1027a6acf", ["1975ea83b712"]),
/// ])
/// .unwrap();
/// assert_eq!(graph.heads(), ["ae1027a6acf"]);
/// let plan = graph.plan_upgrade(retort_core::AT_BASE, "head").unwrap();
/// assert_eq!(plan.revision_ids(), ["1975ea83b712", "ae1027a6acf"]);
/// ```
#[derive(Debug, Clone)]
pub struct RevisionGraph {
    revisions: Vec<Revision>,
    nodes: Vec<Node>,
    by_id: HashMap<String, Idx>,
    /// Branch label → the revision that declares it.
    by_label: HashMap<String, Idx>,
    /// Revisions no `Revises` names (Alembic's `heads`), in load order.
    heads: Vec<Idx>,
    /// Revisions neither `Revises` nor `Depends On` names.
    real_heads: Vec<Idx>,
    /// Revisions without `Revises`.
    bases: Vec<Idx>,
    /// Position of each revision in an order where parents come first.
    topo_rank: Vec<u32>,
    /// Baselines: the schema at a revision, for an empty database.
    baselines: Vec<Revision>,
    /// The translations of `.py` revisions read with their body pending,
    /// made on first use, by index.
    translated: Vec<std::sync::OnceLock<Revision>>,
    warnings: Diagnostics,
}

impl RevisionGraph {
    /// Validates `revisions` (in load order) and builds the graph, or returns
    /// every problem found. Problems show the line of the file they point
    /// at, read from disk.
    pub fn new(revisions: Vec<Revision>) -> Result<RevisionGraph, Diagnostics> {
        let from_disk = |path: &std::path::Path| std::fs::read_to_string(path).ok().map(Into::into);
        match Self::build(revisions, &[]) {
            Ok(mut graph) => {
                graph.warnings.add_sources(from_disk);
                Ok(graph)
            }
            Err(mut problems) => {
                problems.add_sources(from_disk);
                Err(problems)
            }
        }
    }

    /// As [`RevisionGraph::new`], without source lines (the loader adds them
    /// from the texts it read); `unreadable` are files of the directory that
    /// could not be read, so a link to an id one of them may hold is not
    /// reported (the file is).
    pub(crate) fn build(revisions: Vec<Revision>, unreadable: &[PathBuf]) -> Result<RevisionGraph, Diagnostics> {
        let (baselines, revisions): (Vec<Revision>, Vec<Revision>) =
            revisions.into_iter().partition(|r| r.kind == crate::SourceKind::Baseline);
        let mut problems = Diagnostics::new();
        let by_id = check::check_unique_ids(&revisions, &mut problems);
        check::check_file_names(&revisions, &mut problems);
        let by_label = check::check_labels(&revisions, &by_id, &mut problems);
        check::check_links(&revisions, &by_id, &by_label, unreadable, &mut problems);
        if problems.has_errors() {
            return Err(problems);
        }
        let nodes = link(&revisions, &by_id, &by_label);
        let revisions_len = revisions.len();
        let Some(topo_rank) = check::check_cycles(&revisions, &nodes, &mut problems) else {
            return Err(problems);
        };
        let mut graph = RevisionGraph {
            heads: (0..nodes.len()).filter(|&i| nodes[i].next.is_empty()).collect(),
            real_heads: (0..nodes.len()).filter(|&i| nodes[i].all_next.is_empty()).collect(),
            bases: (0..nodes.len()).filter(|&i| nodes[i].down.is_empty()).collect(),
            revisions,
            nodes,
            by_id,
            by_label,
            translated: (0..revisions_len).map(|_| std::sync::OnceLock::new()).collect(),
            topo_rank,
            baselines: Vec::new(),
            warnings: Diagnostics::new(),
        };
        graph.baselines = check::check_baselines(&graph, baselines, &mut problems);
        if problems.has_errors() {
            return Err(problems);
        }
        graph.normalize_dependencies();
        graph.propagate_labels();
        check::check_heads_and_bases(&graph, &mut problems);
        check::check_redundant_parents(&graph, &mut problems);
        graph.warnings = problems;
        Ok(graph)
    }

    /// The baselines, in load order: each the schema at the revision of
    /// its id (see [`SourceKind::Baseline`](crate::SourceKind::Baseline)).
    pub fn baselines(&self) -> &[Revision] {
        &self.baselines
    }

    /// Revision `id` ready to run: as read, or for a `.py` revision read
    /// with its body pending, translated from its file now (once).
    pub fn runnable(&self, id: &str) -> Option<&Revision> {
        let &index = self.by_id.get(id)?;
        let revision = &self.revisions[index];
        if !revision.body_pending {
            return Some(revision);
        }
        Some(self.translated[index].get_or_init(|| match std::fs::read_to_string(&revision.path) {
            Ok(text) => crate::translate::translate_pending(revision, &text),
            Err(err) => {
                let mut unread = revision.clone();
                unread.body_pending = false;
                unread.untranslated.push(crate::revision::Untranslated {
                    direction: crate::Direction::Upgrade,
                    dialect: None,
                    line: 1,
                    what: format!("cannot read the file again to translate it: {err}"),
                });
                unread
            }
        }))
    }

    /// The baseline of revision `id`, if there is one.
    pub fn baseline_of(&self, id: &str) -> Option<&Revision> {
        self.baselines.iter().find(|b| b.id == id)
    }

    /// Warnings found while building: several heads, several bases.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    pub(crate) fn warnings_mut(&mut self) -> &mut Diagnostics {
        &mut self.warnings
    }

    /// Every revision, in load order.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    /// True for a graph without revisions.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.by_id.get(id).map(|&i| &self.revisions[i])
    }

    /// The revision that has `label` as a branch label or as its id.
    pub fn label_owner(&self, label: &str) -> Option<&Revision> {
        self.by_label.get(label).or_else(|| self.by_id.get(label)).map(|&i| &self.revisions[i])
    }

    fn ids(&self, indices: impl IntoIterator<Item = Idx>) -> Vec<String> {
        indices.into_iter().map(|i| self.revisions[i].id.clone()).collect()
    }

    fn id(&self, index: Idx) -> &str {
        &self.revisions[index].id
    }

    /// Revisions that no other revision revises (Alembic's `heads`), in
    /// load order. A revision that only `Depends On` points at is still a
    /// head here (Alembic calls it an effective head).
    pub fn heads(&self) -> Vec<String> {
        self.ids(self.heads.iter().copied())
    }

    /// Revisions that nothing revises or depends on (what `heads` means as
    /// an upgrade target).
    pub fn real_heads(&self) -> Vec<String> {
        self.ids(self.real_heads.iter().copied())
    }

    /// Revisions without down revisions, in load order.
    pub fn bases(&self) -> Vec<String> {
        self.ids(self.bases.iter().copied())
    }

    /// Revisions that several revisions revise.
    pub fn branch_points(&self) -> Vec<String> {
        self.ids((0..self.nodes.len()).filter(|&i| self.nodes[i].next.len() > 1))
    }

    /// Revisions that revise several revisions.
    pub fn merge_points(&self) -> Vec<String> {
        self.ids((0..self.nodes.len()).filter(|&i| self.nodes[i].down.len() > 1))
    }

    /// True when `id` is a head (nothing revises it).
    pub fn is_head(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|&i| self.nodes[i].next.is_empty())
    }

    /// True when nothing revises or depends on `id`.
    pub fn is_real_head(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|&i| self.nodes[i].all_next.is_empty())
    }

    /// True when several revisions revise `id`.
    pub fn is_branch_point(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|&i| self.nodes[i].next.len() > 1)
    }

    /// The revisions that revise `id`.
    pub fn children(&self, id: &str) -> Vec<String> {
        self.by_id.get(id).map_or_else(Vec::new, |&i| self.ids(self.nodes[i].next.iter().copied()))
    }

    /// The branch labels of `id`: its own and those it inherits from the
    /// revisions of its branch.
    pub fn branch_labels(&self, id: &str) -> Vec<String> {
        self.by_id.get(id).map_or_else(Vec::new, |&i| self.nodes[i].labels.iter().cloned().collect())
    }

    /// Every ancestor of `id` through `Revises` and `Depends On`, not
    /// counting `id` itself, in no particular order.
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        let Some(&start) = self.by_id.get(id) else { return Vec::new() };
        let found = self.walk_related(&[start], |n| &n.norm_down);
        self.ids(found.into_iter().filter(|&i| i != start))
    }

    /// Every descendant of `id` through `Revises` and `Depends On`, not
    /// counting `id` itself.
    pub fn descendants(&self, id: &str) -> Vec<String> {
        let Some(&start) = self.by_id.get(id) else { return Vec::new() };
        let found = self.walk_related(&[start], |n| &n.all_next);
        self.ids(found.into_iter().filter(|&i| i != start))
    }

    /// The revisions reachable from `starts` (included) along `edges`, in
    /// the order a depth-first walk meets them.
    fn walk_related(&self, starts: &[Idx], edges: impl Fn(&Node) -> &Vec<Idx>) -> Vec<Idx> {
        let mut seen = vec![false; self.nodes.len()];
        let mut out = Vec::new();
        let mut stack: Vec<Idx> = starts.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(i);
            stack.extend(edges(&self.nodes[i]).iter().copied());
        }
        out
    }

    /// A membership mask of what `walk_related` reaches.
    fn reach_mask(&self, starts: &[Idx], edges: impl Fn(&Node) -> &Vec<Idx>) -> Vec<bool> {
        let mut mask = vec![false; self.nodes.len()];
        let mut stack: Vec<Idx> = starts.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut mask[i], true) {
                stack.extend(edges(&self.nodes[i]).iter().copied());
            }
        }
        mask
    }

    /// True when `ancestor` is `of` or one of its ancestors (through
    /// `Revises` and `Depends On`). The search only visits revisions ranked
    /// above `ancestor`, so it stays near the two revisions.
    fn is_ancestor_or_self(&self, ancestor: Idx, of: Idx) -> bool {
        if ancestor == of {
            return true;
        }
        let floor = self.topo_rank[ancestor];
        if self.topo_rank[of] < floor {
            return false;
        }
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![of];
        while let Some(i) = stack.pop() {
            for &d in &self.nodes[i].norm_down {
                if d == ancestor {
                    return true;
                }
                if self.topo_rank[d] > floor && seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        false
    }

    /// True when `a` and `b` are on one line of descent, either way, through
    /// `Revises` only (Alembic's `_shares_lineage` without dependencies) or
    /// also through `Depends On`.
    fn shares_lineage(&self, a: Idx, b: Idx, include_dependencies: bool) -> bool {
        if include_dependencies {
            return self.is_ancestor_or_self(a, b) || self.is_ancestor_or_self(b, a);
        }
        let up = self.reach_mask(&[a], |n| &n.next);
        if up[b] {
            return true;
        }
        self.reach_mask(&[a], |n| &n.down)[b]
    }

    /// Drops from each revision's dependencies those an ancestor already
    /// depends on (Alembic's `_normalize_depends_on`), then fills in
    /// `norm_down` and `norm_next`.
    fn normalize_dependencies(&mut self) {
        // Who declares each dependency target; only targets declared by
        // several revisions can be dropped anywhere.
        let mut declarers: HashMap<Idx, Vec<Idx>> = HashMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            for &d in &node.deps {
                declarers.entry(d).or_default().push(i);
            }
        }
        let mut dropped: Vec<(Idx, Idx)> = Vec::new();
        for (&target, revs) in &declarers {
            if revs.len() < 2 {
                continue;
            }
            for &declarer in revs {
                // Every `Revises`-descendant of a declarer inherits the
                // dependency and need not list it again.
                let below = self.reach_mask(&[declarer], |n| &n.next);
                for &other in revs {
                    if other != declarer && below[other] {
                        dropped.push((other, target));
                    }
                }
            }
        }
        for i in 0..self.nodes.len() {
            let node = &self.nodes[i];
            let kept: Vec<Idx> = node.deps.iter().copied().filter(|d| !dropped.contains(&(i, *d))).collect();
            let mut norm_down = node.down.clone();
            for d in &kept {
                if !norm_down.contains(d) {
                    norm_down.push(*d);
                }
            }
            self.nodes[i].has_norm_deps = !kept.is_empty();
            self.nodes[i].norm_down = norm_down;
        }
        for i in 0..self.nodes.len() {
            for k in 0..self.nodes[i].norm_down.len() {
                let parent = self.nodes[i].norm_down[k];
                self.nodes[parent].norm_next.push(i);
            }
        }
    }

    /// Gives every revision the labels of the revisions it descends from
    /// through `Revises`, and extends a label down to the branch point when
    /// its branch is a single line (Alembic's `_add_branches`).
    fn propagate_labels(&mut self) {
        let mut order: Vec<Idx> = (0..self.nodes.len()).collect();
        order.sort_unstable_by_key(|&i| self.topo_rank[i]);
        for i in 0..self.nodes.len() {
            self.nodes[i].labels = self.revisions[i].branch_labels.iter().cloned().collect();
        }
        for &i in &order {
            for k in 0..self.nodes[i].down.len() {
                let parent = self.nodes[i].down[k];
                let inherited = self.nodes[parent].labels.clone();
                self.nodes[i].labels.extend(inherited);
            }
        }
        for labelled in 0..self.nodes.len() {
            let own = &self.revisions[labelled].branch_labels;
            if own.is_empty() {
                continue;
            }
            // Alembic walks down from the last revision its depth-first walk
            // of the branch met; that walk reaches below the labelled revision
            // only when the branch above it never forks.
            let mut tip = labelled;
            loop {
                match self.nodes[tip].next.as_slice() {
                    [] => break,
                    [only] => tip = *only,
                    _ => break,
                }
            }
            if !self.nodes[tip].next.is_empty() {
                continue;
            }
            let own: Vec<String> = own.clone();
            let mut at = Some(tip);
            while let Some(i) = at {
                let node = &self.nodes[i];
                if node.all_next.len() > 1 || node.down.len() > 1 {
                    break;
                }
                at = node.down.first().copied();
                self.nodes[i].labels.extend(own.iter().cloned());
            }
        }
    }
}

/// Fills in the links of every revision from its declared ids.
fn link(revisions: &[Revision], by_id: &HashMap<String, Idx>, by_label: &HashMap<String, Idx>) -> Vec<Node> {
    let lookup = |name: &String| by_id.get(name).or_else(|| by_label.get(name)).copied();
    let mut nodes: Vec<Node> = revisions
        .iter()
        .map(|rev| {
            let down: Vec<Idx> = rev.down_revisions.iter().filter_map(|d| by_id.get(d).copied()).collect();
            let mut deps = Vec::new();
            for d in rev.depends_on.iter().filter_map(lookup) {
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
            Node { down, deps, ..Node::default() }
        })
        .collect();
    for i in 0..nodes.len() {
        for k in 0..nodes[i].down.len() {
            let parent = nodes[i].down[k];
            nodes[parent].next.push(i);
        }
        let mut all_down = nodes[i].down.clone();
        for &d in &nodes[i].deps {
            if !all_down.contains(&d) {
                all_down.push(d);
            }
        }
        for parent in all_down {
            nodes[parent].all_next.push(i);
        }
    }
    nodes
}
