//! The whole-graph rules, one function each. Every rule reports all its
//! violations, each at the file and header line that can fix it.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Idx, Node, RevisionGraph};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::revision::{Revision, SourceKind, validate_id};

/// A problem at a line of a revision's file. Its source line is added by
/// whoever holds the file's text (the loader, or [`RevisionGraph::new`]).
fn located(rev: &Revision, line: u32, message: String) -> Diagnostic {
    Diagnostic::error(message).at(&rev.path, line)
}

/// True when a file that could not be read may hold revision `id`: its name
/// contains the id (a `.sql` file's name must, Alembic's template puts it
/// first). A link to such an id is not reported: the unreadable file is.
fn maybe_in(unreadable: &[PathBuf], id: &str) -> bool {
    unreadable.iter().any(|path| path.file_name().is_some_and(|name| name.to_string_lossy().contains(id)))
}

/// Each id names one revision: two files with one id make every link to it
/// ambiguous (Alembic only warns, and the last file read silently wins).
pub(super) fn check_unique_ids(revisions: &[Revision], problems: &mut Diagnostics) -> HashMap<String, Idx> {
    let mut by_id: HashMap<String, Idx> = HashMap::with_capacity(revisions.len());
    for (i, rev) in revisions.iter().enumerate() {
        if let Some(&first) = by_id.get(&rev.id) {
            problems.push(
                located(rev, rev.lines.id, format!("Revision {} is present more than once", rev.id)).help(format!(
                    "{} already has this id; give one of the two files a new id (and update the Revises lines that meant it)",
                    revisions[first].path.display()
                )),
            );
        } else {
            by_id.insert(rev.id.clone(), i);
        }
    }
    by_id
}

/// A `.sql` file's name contains its id, so that the directory listing
/// tells which file is which revision and a renamed id cannot go unnoticed.
/// Alembic `.py` files may be named freely (its `file_template`).
pub(super) fn check_file_names(revisions: &[Revision], problems: &mut Diagnostics) {
    // An invalid id is reported where it is read; its file name follows.
    for rev in revisions.iter().filter(|r| r.kind == SourceKind::Sql && validate_id(&r.id).is_ok()) {
        let name = rev.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !name.contains(&rev.id) {
            problems.push(
                located(
                    rev,
                    rev.lines.id,
                    format!("the file name '{name}' does not contain its revision id '{}'", rev.id),
                )
                .help(format!(
                    "rename the file to start with the id, as `{}_<slug>.sql`, or correct the Revision ID",
                    rev.id
                )),
            );
        }
    }
}

/// Each baseline stands for a revision of the graph, one baseline per
/// revision. A baseline takes that revision's checksum: a database built
/// from it logs the revision as applied, and a later edit of the
/// revision's file is still seen.
pub(super) fn check_baselines(
    graph: &RevisionGraph,
    baselines: Vec<Revision>,
    problems: &mut Diagnostics,
) -> Vec<Revision> {
    let mut kept: Vec<Revision> = Vec::with_capacity(baselines.len());
    for mut baseline in baselines {
        let Some(revision) = graph.get(&baseline.id) else {
            problems.push(
                located(
                    &baseline,
                    baseline.lines.id,
                    format!("'Baseline Of' names {}, which is not a revision", baseline.id),
                )
                .help("name the full id of a revision of the versions directory (`retort history` lists them)"),
            );
            continue;
        };
        if let Some(first) = kept.iter().find(|b| b.id == baseline.id) {
            problems.push(
                located(&baseline, baseline.lines.id, format!("a second baseline of {}", baseline.id))
                    .help(format!("keep one of this file and {}", first.path.display())),
            );
            continue;
        }
        baseline.checksum = revision.checksum;
        kept.push(baseline);
    }
    kept
}

/// A branch label names one revision, and is not also a revision id:
/// `label@head` must mean one branch.
pub(super) fn check_labels(
    revisions: &[Revision],
    by_id: &HashMap<String, Idx>,
    problems: &mut Diagnostics,
) -> HashMap<String, Idx> {
    let mut by_label: HashMap<String, Idx> = HashMap::new();
    for (i, rev) in revisions.iter().enumerate() {
        for label in &rev.branch_labels {
            if crate::revision::malformed_label(label) {
                problems.push(
                    located(
                        rev,
                        rev.lines.branch_labels,
                        format!("branch label '{label}' contains '@', ':' or white space"),
                    )
                    .help("labels are used as `label@head`: use letters, digits and `_`"),
                );
                continue;
            }
            let owner = by_label.get(label).or_else(|| by_id.get(label)).copied();
            match owner {
                Some(other) if other != i => problems.push(
                    located(
                        rev,
                        rev.lines.branch_labels,
                        format!(
                            "Branch name '{label}' in revision {} already used by revision {}",
                            rev.id, revisions[other].id
                        ),
                    )
                    .help(format!(
                        "labels name one branch; pick another label or remove it from {}",
                        revisions[other].path.display()
                    )),
                ),
                _ => {
                    by_label.insert(label.clone(), i);
                }
            }
        }
    }
    by_label
}

/// Every `Revises` target is a revision and every `Depends On` target a
/// revision or label (Alembic fails later with a bare KeyError), and no
/// revision revises itself or lists a target twice.
pub(super) fn check_links(
    revisions: &[Revision],
    by_id: &HashMap<String, Idx>,
    by_label: &HashMap<String, Idx>,
    unreadable: &[PathBuf],
    problems: &mut Diagnostics,
) {
    for rev in revisions {
        for (k, down) in rev.down_revisions.iter().enumerate() {
            if *down == rev.id {
                problems.push(
                    located(rev, rev.lines.revises, format!("Self-loop is detected in revisions ({})", rev.id))
                        .help("a revision cannot revise itself; name its parent in Revises"),
                );
            } else if rev.down_revisions[..k].contains(down) {
                problems.push(
                    located(rev, rev.lines.revises, format!("Revises names '{down}' twice"))
                        .help("list each parent once"),
                );
            } else if !by_id.contains_key(down) && !maybe_in(unreadable, down) {
                let hint = if by_label.contains_key(down) {
                    format!(
                        "'{down}' is a branch label; Revises takes revision ids (the label's revision is {})",
                        revisions[by_label[down]].id
                    )
                } else {
                    "check the id (ids are case-sensitive and complete, not prefixes); if that revision was deleted, point Revises at its parent".to_owned()
                };
                problems.push(
                    located(rev, rev.lines.revises, format!("Revises names '{down}', which no revision has"))
                        .help(hint),
                );
            }
        }
        for dep in &rev.depends_on {
            if *dep == rev.id || by_label.get(dep).is_some_and(|&i| revisions[i].id == rev.id) {
                problems.push(
                    located(
                        rev,
                        rev.lines.depends_on,
                        format!("Dependency self-loop is detected in revisions ({})", rev.id),
                    )
                    .help("a revision cannot depend on itself"),
                );
            } else if !by_id.contains_key(dep) && !by_label.contains_key(dep) && !maybe_in(unreadable, dep) {
                let mut help = "check the id or label; Depends On takes complete ids or branch labels".to_owned();
                if !unreadable.is_empty() {
                    help.push_str("; if it is a branch label of a file that could not be read, fix that file first");
                }
                problems.push(
                    located(
                        rev,
                        rev.lines.depends_on,
                        format!("Depends On names '{dep}', which is neither a revision nor a branch label"),
                    )
                    .help(help),
                );
            }
        }
    }
}

/// No revision is its own ancestor, through `Revises` alone or with
/// `Depends On`: plans would never end (Alembic raises a bare
/// CycleDetected). Returns each revision's rank in a parents-first order.
pub(super) fn check_cycles(revisions: &[Revision], nodes: &[Node], problems: &mut Diagnostics) -> Option<Vec<u32>> {
    let versioned = cycle_members(nodes.len(), |i| &nodes[i].down, |i| &nodes[i].next);
    if !versioned.is_empty() {
        report_cycle(revisions, &versioned, "Cycle", "Revises", problems);
        return None;
    }
    let all_down: Vec<Vec<Idx>> = nodes
        .iter()
        .map(|n| {
            let mut v = n.down.clone();
            v.extend(n.deps.iter().copied().filter(|d| !n.down.contains(d)));
            v
        })
        .collect();
    let order = kahn(nodes.len(), |i| &all_down[i], |i| &nodes[i].all_next);
    if order.len() < nodes.len() {
        let members = cycle_members(nodes.len(), |i| &all_down[i], |i| &nodes[i].all_next);
        report_cycle(revisions, &members, "Dependency cycle", "Depends On", problems);
        return None;
    }
    let mut rank = vec![0u32; nodes.len()];
    for (position, &i) in order.iter().enumerate() {
        rank[i] = position as u32;
    }
    Some(rank)
}

fn report_cycle(revisions: &[Revision], members: &[Idx], kind: &str, field: &str, problems: &mut Diagnostics) {
    let mut ids: Vec<&str> = members.iter().map(|&i| revisions[i].id.as_str()).collect();
    ids.sort_unstable();
    let first = &revisions[members[0]];
    let line = if field == "Revises" { first.lines.revises } else { first.lines.depends_on };
    let files: Vec<String> = members.iter().take(8).map(|&i| revisions[i].path.display().to_string()).collect();
    problems.push(
        located(first, line, format!("{kind} is detected in revisions ({})", ids.join(", ")))
            .help(format!("a revision cannot be its own ancestor; fix the {field} lines of {}", files.join(", "))),
    );
}

/// Kahn's algorithm: the nodes in an order where every node comes after
/// the ones `parents` names; nodes on or above a cycle are left out.
fn kahn<'a>(len: usize, parents: impl Fn(Idx) -> &'a Vec<Idx>, children: impl Fn(Idx) -> &'a Vec<Idx>) -> Vec<Idx> {
    let mut waiting: Vec<usize> = (0..len).map(|i| parents(i).len()).collect();
    let mut ready: Vec<Idx> = (0..len).rev().filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(len);
    while let Some(i) = ready.pop() {
        order.push(i);
        for &c in children(i).iter().rev() {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(c);
            }
        }
    }
    order
}

/// The revisions on a cycle of `parents`/`children` links: those left out
/// both by a parents-first and by a children-first ordering.
fn cycle_members<'a>(
    len: usize,
    parents: impl Fn(Idx) -> &'a Vec<Idx> + Copy,
    children: impl Fn(Idx) -> &'a Vec<Idx> + Copy,
) -> Vec<Idx> {
    let forward = kahn(len, parents, children);
    if forward.len() == len {
        return Vec::new();
    }
    let backward = kahn(len, children, parents);
    let mut placed = vec![false; len];
    forward.iter().chain(&backward).for_each(|&i| placed[i] = true);
    (0..len).filter(|&i| !placed[i]).collect()
}

/// Several heads or several bases are legal (Alembic allows them) but
/// usually a forgotten merge: reported as warnings for `check` and the
/// macro to act on.
pub(super) fn check_heads_and_bases(graph: &RevisionGraph, problems: &mut Diagnostics) {
    problems.extend(graph.multiple_heads());
    problems.extend(graph.multiple_bases());
}

/// A revision should not list as a parent (in `Revises` or `Depends On`)
/// what another of its parents already descends from: the link is implied,
/// and Alembic keeps a needless version-table row for it when downgrading,
/// or fails outright when upgrading through such a merge. Legal, so a
/// warning.
pub(super) fn check_redundant_parents(graph: &RevisionGraph, problems: &mut Diagnostics) {
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.norm_down.len() < 2 {
            continue;
        }
        for &a in &node.norm_down {
            let Some(&b) = node.norm_down.iter().find(|&&b| b != a && graph.is_ancestor_or_self(a, b)) else {
                continue;
            };
            let rev = &graph.revisions[i];
            let (field, line) = if rev.down_revisions.contains(&graph.revisions[a].id) {
                ("Revises", rev.lines.revises)
            } else {
                ("Depends On", rev.lines.depends_on)
            };
            problems.push(
                Diagnostic::warning(format!(
                    "{} lists {} in {field}, but {} is already an ancestor of {}, which it also lists",
                    rev.id, graph.revisions[a].id, graph.revisions[a].id, graph.revisions[b].id
                ))
                .at(&rev.path, line)
                .help(format!(
                    "remove {} from {field}: the link is implied, and Alembic mishandles the version table for it",
                    graph.revisions[a].id
                )),
            );
        }
    }
}

impl RevisionGraph {
    /// The warning for a graph with several heads, as `check` prints it and
    /// the macro makes it an error (unless `allow_multiple_heads`); `None`
    /// with one head.
    pub fn multiple_heads(&self) -> Option<Diagnostic> {
        (self.heads.len() > 1).then(|| {
            Diagnostic::warning(format!("Multiple head revisions are present: {}", self.heads().join(", "))).help(
                "merge them with `retort merge -m \"merge heads\" heads`, or allow several heads deliberately (`allow_multiple_heads` in the `#[retort::migrations]` attribute, or `allow_multiple_heads = true` in retort.toml for `check`)",
            )
        })
    }

    /// The warning for a graph with several bases, as `check` prints it;
    /// `None` with one base.
    pub fn multiple_bases(&self) -> Option<Diagnostic> {
        (self.bases.len() > 1).then(|| {
            Diagnostic::warning(format!("several base revisions (without Revises): {}", self.bases().join(", ")))
                .help("a second base starts an independent branch; if that was not meant, set its Revises (or `allow_multiple_bases = true` in retort.toml when it is meant)")
        })
    }
}
