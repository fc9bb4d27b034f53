//! The text Alembic users read: the one-line form of a revision
//! (`37e1cb6de47f -> 2d970929c35a (head), Adding offers`) and the verbose
//! entry of `show` and `-v`, line for line as Alembic prints them.

#[cfg(feature = "json")]
mod json;

#[cfg(feature = "json")]
pub use json::RevisionSummary;

use crate::graph::RevisionGraph;
use crate::revision::Revision;

/// What a one-line revision shows (Alembic's `_head_only` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFormat {
    /// `(label, …)` after the id.
    pub branches: bool,
    /// `, message` at the end.
    pub doc: bool,
    /// `parents -> ` in front.
    pub parents: bool,
    /// `(branchpoint)`, `(mergepoint)`.
    pub tree: bool,
    /// `(head)`, `(effective head)`, `(current)`.
    pub heads: bool,
}

impl LineFormat {
    /// `history`: everything.
    pub const HISTORY: LineFormat = LineFormat { branches: true, doc: true, parents: true, tree: true, heads: true };
    /// `heads`: id, labels, head marks.
    pub const HEADS: LineFormat = LineFormat { branches: true, doc: false, parents: false, tree: false, heads: true };
    /// `current`: id with marks.
    pub const CURRENT: LineFormat = LineFormat { branches: false, doc: false, parents: false, tree: true, heads: true };
    /// A branch point in `branches`.
    pub const BRANCH_POINT: LineFormat =
        LineFormat { branches: true, doc: false, parents: false, tree: true, heads: true };
}

impl RevisionGraph {
    /// `<base>` or the revisions `rev` revises, as Alembic writes them.
    fn parents_text(rev: &Revision) -> String {
        if rev.down_revisions.is_empty() { "<base>".to_owned() } else { rev.down_revisions.join(", ") }
    }

    /// The one-line form of revision `id` (Alembic's `cmd_format` without
    /// `-v`); `current` adds `(current)`.
    pub fn format_line(&self, id: &str, format: LineFormat, current: bool) -> Option<String> {
        let rev = self.get(id)?;
        let mut text = rev.id.clone();
        if format.parents {
            text = if rev.depends_on.is_empty() {
                format!("{} -> {text}", Self::parents_text(rev))
            } else {
                format!("{} ({}) -> {text}", Self::parents_text(rev), rev.depends_on.join(", "))
            };
        }
        let labels = self.branch_labels(id);
        if format.branches && !labels.is_empty() {
            text.push_str(&format!(" ({})", labels.join(", ")));
        }
        if format.heads || format.tree {
            if self.is_real_head(id) {
                text.push_str(" (head)");
            } else if self.is_head(id) {
                text.push_str(" (effective head)");
            }
            if current {
                text.push_str(" (current)");
            }
        }
        if format.tree {
            if self.is_branch_point(id) {
                text.push_str(" (branchpoint)");
            }
            if rev.is_merge_point() {
                text.push_str(" (mergepoint)");
            }
        }
        if format.doc {
            text.push_str(&format!(", {}", rev.message));
        }
        Some(text)
    }

    /// The verbose entry of revision `id` (Alembic's `log_entry`, printed
    /// by `show` and `-v`), ending with a blank line.
    pub fn format_entry(&self, id: &str, current: bool) -> Option<String> {
        let rev = self.get(id)?;
        let mut entry = format!("Rev: {}", rev.id);
        if self.is_head(id) {
            entry.push_str(" (head)");
        }
        if self.is_branch_point(id) {
            entry.push_str(" (branchpoint)");
        }
        if rev.is_merge_point() {
            entry.push_str(" (mergepoint)");
        }
        if current {
            entry.push_str(" (current)");
        }
        entry.push('\n');
        let label = if rev.is_merge_point() { "Merges" } else { "Parent" };
        entry.push_str(&format!("{label}: {}\n", Self::parents_text(rev)));
        if !rev.depends_on.is_empty() {
            entry.push_str(&format!("Also depends on: {}\n", rev.depends_on.join(", ")));
        }
        if self.is_branch_point(id) {
            entry.push_str(&format!("Branches into: {}\n", self.children(id).join(", ")));
        }
        let labels = self.branch_labels(id);
        if !labels.is_empty() {
            entry.push_str(&format!("Branch names: {}\n", labels.join(", ")));
        }
        entry.push_str(&format!("Path: {}\n", rev.path.display()));
        let doc: Vec<String> = rev.doc.lines().map(|line| format!("    {line}")).collect();
        entry.push_str(&format!("\n{}\n", doc.join("\n")));
        Some(entry)
    }
}

/// The output of the read-only commands, as Alembic prints it (each line
/// ending in a newline).
impl RevisionGraph {
    /// `history [-r RANGE] [-v]`; `current` marks the database's revisions
    /// (`-i`).
    pub fn history_text(
        &self,
        range: Option<&str>,
        verbose: bool,
        current: &[String],
    ) -> Result<String, crate::RevisionError> {
        let mut out = String::new();
        for rev in self.history(range)? {
            let is_current = current.contains(&rev.id);
            let text = if verbose {
                self.format_entry(&rev.id, is_current)
            } else {
                self.format_line(&rev.id, LineFormat::HISTORY, is_current)
            };
            out.push_str(&text.unwrap_or_default());
            out.push('\n');
        }
        Ok(out)
    }

    /// `heads [-v]`: the heads in load order.
    pub fn heads_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        for head in self.heads() {
            let text = if verbose {
                self.format_entry(&head, false)
            } else {
                self.format_line(&head, LineFormat::HEADS, false)
            };
            out.push_str(&text.unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// `branches [-v]`: each branch point with the revisions it branches
    /// into.
    pub fn branches_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        for rev in self.history(None).unwrap_or_default() {
            if !self.is_branch_point(&rev.id) {
                continue;
            }
            let head = if verbose {
                self.format_entry(&rev.id, false)
            } else {
                self.format_line(&rev.id, LineFormat::BRANCH_POINT, false)
            };
            out.push_str(&head.unwrap_or_default());
            out.push('\n');
            let pad = " ".repeat(rev.id.chars().count());
            let child_format = LineFormat { branches: true, doc: verbose, parents: false, tree: true, heads: true };
            let children: Vec<String> = self
                .children(&rev.id)
                .iter()
                .filter_map(|child| self.format_line(child, child_format, false))
                .map(|line| format!("{pad} -> {line}"))
                .collect();
            out.push_str(&children.join("\n"));
            out.push_str("\n\n");
        }
        out
    }

    /// `show REV`: the verbose entry of each revision `rev` names.
    pub fn show_text(&self, rev: &str) -> Result<String, crate::RevisionError> {
        let mut out = String::new();
        for id in self.resolve_ids(rev)? {
            out.push_str(&self.format_entry(&id, false).unwrap_or_default());
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> RevisionGraph {
        RevisionGraph::new(vec![
            Revision::new("37e1cb6de47f", None::<&str>).with_message("Initial migration"),
            Revision::new("2d970929c35a", ["37e1cb6de47f"]).with_message("Adding offers"),
            Revision::new("4b1d0f9c2a77", ["37e1cb6de47f"]).with_message("Side branch").with_branch_labels(["side"]),
            Revision::new("5c2e1a0b3d88", ["2d970929c35a", "4b1d0f9c2a77"]).with_message("Merge"),
        ])
        .unwrap()
    }

    #[test]
    fn history_lines_read_like_alembics() {
        let g = graph();
        let line = |id| g.format_line(id, LineFormat::HISTORY, false).unwrap();
        assert_eq!(line("37e1cb6de47f"), "<base> -> 37e1cb6de47f (branchpoint), Initial migration");
        assert_eq!(line("2d970929c35a"), "37e1cb6de47f -> 2d970929c35a, Adding offers");
        assert_eq!(line("4b1d0f9c2a77"), "37e1cb6de47f -> 4b1d0f9c2a77 (side), Side branch");
        assert_eq!(
            line("5c2e1a0b3d88"),
            "2d970929c35a, 4b1d0f9c2a77 -> 5c2e1a0b3d88 (side) (head) (mergepoint), Merge"
        );
        assert_eq!(
            g.format_line("5c2e1a0b3d88", LineFormat::CURRENT, true).unwrap(),
            "5c2e1a0b3d88 (head) (current) (mergepoint)"
        );
    }

    #[test]
    fn verbose_entries_read_like_alembics() {
        let g = graph();
        let entry = g.format_entry("37e1cb6de47f", false).unwrap();
        assert_eq!(
            entry,
            "Rev: 37e1cb6de47f (branchpoint)\nParent: <base>\nBranches into: 2d970929c35a, 4b1d0f9c2a77\nPath: 37e1cb6de47f.sql\n\n    Initial migration\n"
        );
    }
}
