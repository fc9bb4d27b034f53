//! The JSON forms of the listings (`--format json`), beside their text
//! forms: one object per revision, for scripts. Written by serde.

use serde::Serialize;

use crate::graph::RevisionGraph;

/// One revision as `--format json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RevisionSummary<'g> {
    /// Its id.
    pub revision: &'g str,
    /// What it revises.
    pub down_revisions: &'g [String],
    /// Its branch labels, with those it inherits from its branch.
    pub branch_labels: Vec<String>,
    /// What it depends on.
    pub depends_on: &'g [String],
    /// Its message.
    pub message: &'g str,
    /// Its file.
    pub path: String,
    /// Nothing revises or depends on it.
    pub head: bool,
    /// Several revisions revise it.
    pub branch_point: bool,
    /// It revises several revisions.
    pub merge_point: bool,
    /// The database's version table stands on it.
    pub current: bool,
}

impl RevisionGraph {
    /// The revisions `ids` names (unknown ids are left out), each marked
    /// `current` when `current` holds it.
    pub fn summaries<'g>(&'g self, ids: &[String], current: &[String]) -> Vec<RevisionSummary<'g>> {
        ids.iter()
            .filter_map(|id| self.get(id))
            .map(|rev| RevisionSummary {
                revision: &rev.id,
                down_revisions: &rev.down_revisions,
                branch_labels: self.branch_labels(&rev.id),
                depends_on: &rev.depends_on,
                message: &rev.message,
                path: rev.path.display().to_string(),
                head: self.is_real_head(&rev.id),
                branch_point: self.is_branch_point(&rev.id),
                merge_point: rev.is_merge_point(),
                current: current.contains(&rev.id),
            })
            .collect()
    }

    /// [`RevisionGraph::summaries`] as one JSON array.
    ///
    /// ```
    /// use retort_core::{Revision, RevisionGraph};
    /// let graph = RevisionGraph::new(vec![Revision::new("ae10", None::<&str>).with_message("say \"hi\"")]).unwrap();
    /// let json = graph.summaries_json(&["ae10".to_owned()], &[]);
    /// assert!(json.starts_with(r#"[{"revision":"ae10","down_revisions":[],"#));
    /// assert!(json.contains(r#""message":"say \"hi\"""#));
    /// ```
    pub fn summaries_json(&self, ids: &[String], current: &[String]) -> String {
        // Strings, vectors and booleans: serialising them cannot fail.
        serde_json::to_string(&self.summaries(ids, current)).unwrap_or_default()
    }
}
