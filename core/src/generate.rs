//! New revision files: the text `retort revision` and `retort merge` write,
//! in the format of SPEC §2, which `check` accepts as it is, and the rules
//! for what a new revision may revise and be labelled.

use std::time::SystemTime;

use crate::error::RevisionError;
use crate::graph::RevisionGraph;
use crate::revision::{InvalidId, malformed_label, validate_id};

/// The slug of a file name: the message's words, lower-cased, joined by `_`,
/// cut to at most 40 characters at a word boundary (as Alembic cuts it).
///
/// ```
/// assert_eq!(retort_core::generate::slug("Add offers, and prices!"), "add_offers_and_prices");
/// ```
pub fn slug(message: &str) -> String {
    let words: Vec<String> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let slug = words.join("_");
    if slug.chars().count() <= 40 {
        return slug;
    }
    let cut: String = slug.chars().take(40).collect();
    match cut.rfind('_') {
        Some(at) if at > 0 => format!("{}_", &cut[..at]),
        _ => cut,
    }
}

/// A revision about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevision {
    /// Its id.
    pub id: String,
    /// Its message (`-m`).
    pub message: String,
    /// What it revises: none for a new base, several for a merge.
    pub down_revisions: Vec<String>,
    /// `--branch-label`.
    pub branch_labels: Vec<String>,
    /// `--depends-on`.
    pub depends_on: Vec<String>,
    /// `Create Date`, as written.
    pub create_date: String,
}

impl NewRevision {
    /// `<id>_<slug>.sql`.
    pub fn file_name(&self) -> String {
        let slug = slug(&self.message);
        if slug.is_empty() { format!("{}_.sql", self.id) } else { format!("{}_{slug}.sql", self.id) }
    }

    /// The file's text: the header, then empty upgrade and downgrade sections.
    ///
    /// ```
    /// use retort_core::generate::NewRevision;
    /// let rev = NewRevision {
    ///     id: "2d970929c35a".into(),
    ///     message: "Add offers".into(),
    ///     down_revisions: vec!["37e1cb6de47f".into()],
    ///     branch_labels: vec![],
    ///     depends_on: vec![],
    ///     create_date: "2026-11-20 10:31:07.123456".into(),
    /// };
    /// let (parsed, problems) = retort_core::parse_sql_revision(rev.file_name().as_ref(), &rev.text());
    /// assert!(problems.is_empty());
    /// assert_eq!(parsed.unwrap().down_revisions, ["37e1cb6de47f"]);
    /// ```
    pub fn text(&self) -> String {
        self.text_with("", "", true)
    }

    /// The file's text with one upgrade and one downgrade section per
    /// dialect (`-- upgrade: postgresql` …): `(dialect, upgrade, downgrade)`.
    pub fn text_with_sections(&self, sections: &[(crate::Dialect, String, String)], transactional: bool) -> String {
        let mut text = self.text_with("", "", transactional);
        // The header and its blank line, without the plain sections.
        if let Some(at) = text.find("\n-- upgrade\n") {
            text.truncate(at + 1);
        }
        let body = |sql: &str| if sql.is_empty() { String::new() } else { format!("{}\n", sql.trim_end()) };
        for (dialect, upgrade, _) in sections {
            text.push_str(&format!("-- upgrade: {}\n{}\n", dialect.name(), body(upgrade)));
        }
        for (dialect, _, downgrade) in sections {
            text.push_str(&format!("-- downgrade: {}\n{}\n", dialect.name(), body(downgrade)));
        }
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    }

    /// The file's text with `upgrade` and `downgrade` as its sections'
    /// bodies, and `Transactional: false` when `transactional` is not.
    pub fn text_with(&self, upgrade: &str, downgrade: &str, transactional: bool) -> String {
        let message = self.message.lines().next().unwrap_or("").trim();
        let mut text =
            format!("-- {message}\n--\n-- Revision ID: {}\n-- Revises: {}\n", self.id, self.down_revisions.join(", "));
        if !self.branch_labels.is_empty() {
            text.push_str(&format!("-- Branch Labels: {}\n", self.branch_labels.join(", ")));
        }
        if !self.depends_on.is_empty() {
            text.push_str(&format!("-- Depends On: {}\n", self.depends_on.join(", ")));
        }
        text.push_str(&format!("-- Create Date: {}\n", self.create_date));
        if !transactional {
            text.push_str("-- Transactional: false\n");
        }
        let body = |sql: &str| if sql.is_empty() { String::new() } else { format!("{}\n", sql.trim_end()) };
        text.push_str(&format!("\n-- upgrade\n{}\n-- downgrade\n{}", body(upgrade), body(downgrade)));
        text
    }
}

/// A baseline file of revision `of` (see
/// [`SourceKind::Baseline`](crate::SourceKind::Baseline)): its name,
/// `<id>_baseline.sql`, and its text, one upgrade section per dialect.
///
/// ```
/// use retort_core::{Dialect, Revision};
/// let of = Revision::new("2d970929c35a", None::<&str>);
/// let (name, text) = retort_core::generate::baseline_file(&of, &[(Dialect::Sqlite, "CREATE TABLE t (id integer);".into())], "2026-12-07 23:00:00.000000");
/// assert_eq!(name, "2d970929c35a_baseline.sql");
/// assert!(text.contains("-- Baseline Of: 2d970929c35a\n"));
/// assert!(text.ends_with("-- upgrade: sqlite\nCREATE TABLE t (id integer);\n"));
/// ```
pub fn baseline_file(
    of: &crate::Revision,
    sections: &[(crate::Dialect, String)],
    create_date: &str,
) -> (String, String) {
    let message = of.message.lines().next().unwrap_or("").trim();
    let about = if message.is_empty() { String::new() } else { format!(" ({message})") };
    let mut text = format!(
        "-- Baseline: the schema at {id}{about}\n--\n-- Baseline Of: {id}\n-- Create Date: {create_date}\n--\n\
         -- An empty database upgraded to {id} or past it starts here instead of\n\
         -- running every revision up to it, and its version table gets the rows an\n\
         -- upgrade to {id} leaves. A database with version rows never uses it.\n\
         -- Written by `retort baseline`; the revisions before it stay the history.\n",
        id = of.id
    );
    for (dialect, sql) in sections {
        text.push_str(&format!("\n-- upgrade: {}\n{}\n", dialect.name(), sql.trim_end()));
    }
    (format!("{}_baseline.sql", of.id), text)
}

/// A new random revision id: 12 hex digits, as Alembic makes them.
///
/// ```
/// let id = retort_core::generate::new_id();
/// assert_eq!(id.len(), 12);
/// assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
/// ```
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    // std's per-process random keys, mixed with the time and the process id.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.write_u32(std::process::id());
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// What `retort revision` asks for.
#[derive(Debug, Clone, Default)]
pub struct RevisionRequest<'a> {
    /// `-m`.
    pub message: &'a str,
    /// `--head`: what the revision revises (`head`, `base`, an id, `label@head`…).
    pub head: &'a str,
    /// `--splice`: allow revising a revision that is not a head.
    pub splice: bool,
    /// `--branch-label`.
    pub branch_labels: &'a [String],
    /// `--depends-on`: revisions or labels.
    pub depends_on: &'a [String],
    /// `--rev-id`; a new random id when `None`.
    pub rev_id: Option<&'a str>,
}

/// Why a new revision cannot be made as asked (Alembic's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// `--head head` with several heads.
    #[error(
        "Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge."
    )]
    MultipleHeads,
    /// `--head` names a revision that has children, without `--splice`.
    #[error("Revision {0} is not a head revision; please specify --splice to create a new branch from this revision")]
    NotAHead(String),
    /// A `--branch-label` another revision already has, or a revision id.
    #[error("Branch name '{label}' already used by revision {owner}")]
    LabelTaken {
        /// The label.
        label: String,
        /// The revision that has it.
        owner: String,
    },
    /// A `--branch-label` that cannot be used in `label@head`.
    #[error("branch label '{0}' contains '@', ':' or white space; use letters, digits and `_`")]
    MalformedLabel(String),
    /// `--rev-id` is not a valid id.
    #[error(transparent)]
    InvalidId(#[from] InvalidId),
    /// An identifier that does not resolve.
    #[error(transparent)]
    Revision(#[from] RevisionError),
}

impl RevisionGraph {
    /// The revision `retort revision` writes: revising `request.head`
    /// (which must be a head unless spliced), with labels no other
    /// revision uses and dependencies resolved to ids, dated `now`.
    pub fn new_revision(&self, request: &RevisionRequest<'_>, now: SystemTime) -> Result<NewRevision, GenerateError> {
        let down_revisions = if request.head == "base" {
            Vec::new()
        } else {
            let heads = self.resolve_ids(request.head).map_err(|e| match e {
                RevisionError::MultipleHeads { .. } => GenerateError::MultipleHeads,
                other => other.into(),
            })?;
            if let Some(inner) = heads.iter().find(|id| !request.splice && !self.is_head(id)) {
                return Err(GenerateError::NotAHead(inner.clone()));
            }
            heads
        };
        let mut depends_on = Vec::new();
        for dependency in request.depends_on {
            depends_on.extend(self.resolve_ids(dependency)?);
        }
        self.finish_revision(request.message, down_revisions, request.branch_labels, depends_on, request.rev_id, now)
    }

    /// The merge revision `retort merge` writes: revising every revision
    /// the identifiers name, each once, in the order given.
    pub fn merge_revision<S: AsRef<str>>(
        &self,
        revisions: &[S],
        message: &str,
        branch_labels: &[String],
        rev_id: Option<&str>,
        now: SystemTime,
    ) -> Result<NewRevision, GenerateError> {
        let mut down_revisions: Vec<String> = Vec::new();
        for identifier in revisions {
            for id in self.resolve_ids(identifier.as_ref())? {
                if !down_revisions.contains(&id) {
                    down_revisions.push(id);
                }
            }
        }
        self.finish_revision(message, down_revisions, branch_labels, Vec::new(), rev_id, now)
    }

    fn finish_revision(
        &self,
        message: &str,
        down_revisions: Vec<String>,
        branch_labels: &[String],
        depends_on: Vec<String>,
        rev_id: Option<&str>,
        now: SystemTime,
    ) -> Result<NewRevision, GenerateError> {
        for label in branch_labels {
            if malformed_label(label) {
                return Err(GenerateError::MalformedLabel(label.clone()));
            }
            if let Some(owner) = self.label_owner(label) {
                return Err(GenerateError::LabelTaken { label: label.clone(), owner: owner.id.clone() });
            }
        }
        let id = rev_id.map_or_else(new_id, str::to_owned);
        validate_id(&id)?;
        Ok(NewRevision {
            id,
            message: message.to_owned(),
            down_revisions,
            branch_labels: branch_labels.to_vec(),
            depends_on,
            create_date: crate::clock::create_date(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_word() {
        let s = slug("Add a very long message that goes on and on beyond forty characters");
        assert!(s.len() <= 41, "{s}");
        assert!(s.ends_with('_'), "{s}");
        assert_eq!(slug(""), "");
        assert_eq!(slug("Übergang Straße"), "übergang_straße");
    }

    #[test]
    fn generated_files_pass_the_parser_with_every_field() {
        let rev = NewRevision {
            id: "aaaa00000001".into(),
            message: "Merge heads".into(),
            down_revisions: vec!["b1".into(), "c2".into()],
            branch_labels: vec!["shop".into()],
            depends_on: vec!["d3".into()],
            create_date: "2026-11-22 07:00:00.000000".into(),
        };
        let (parsed, problems) = crate::parse_sql_revision(rev.file_name().as_ref(), &rev.text());
        assert!(problems.is_empty(), "{problems:?}");
        let parsed = parsed.unwrap();
        assert_eq!(parsed.message, "Merge heads");
        assert_eq!(parsed.down_revisions, ["b1", "c2"]);
        assert_eq!(parsed.branch_labels, ["shop"]);
        assert_eq!(parsed.depends_on, ["d3"]);
        assert!(parsed.is_reversible());
        assert_eq!(rev.file_name(), "aaaa00000001_merge_heads.sql");
    }

    fn chain() -> RevisionGraph {
        let a = crate::Revision::new("aaaa", None::<&str>).with_branch_labels(["shop"]);
        let b = crate::Revision::new("bbbb", Some("aaaa"));
        RevisionGraph::new(vec![a, b]).unwrap()
    }

    fn request<'a>(head: &'a str, labels: &'a [String]) -> RevisionRequest<'a> {
        RevisionRequest { message: "next", head, branch_labels: labels, ..RevisionRequest::default() }
    }

    #[test]
    fn a_new_revision_revises_a_head_unless_spliced() {
        let graph = chain();
        let rev = graph.new_revision(&request("head", &[]), SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(rev.down_revisions, ["bbbb"]);
        assert_eq!(rev.create_date, "1970-01-01 00:00:00.000000");
        assert_eq!(rev.id.len(), 12);
        let inner = graph.new_revision(&request("aaaa", &[]), SystemTime::now());
        assert_eq!(inner.unwrap_err(), GenerateError::NotAHead("aaaa".into()));
        let spliced = RevisionRequest { splice: true, ..request("aaaa", &[]) };
        assert_eq!(graph.new_revision(&spliced, SystemTime::now()).unwrap().down_revisions, ["aaaa"]);
        assert!(graph.new_revision(&request("base", &[]), SystemTime::now()).unwrap().down_revisions.is_empty());
    }

    #[test]
    fn labels_are_new_and_well_formed() {
        let graph = chain();
        let taken = ["shop".to_owned()];
        assert_eq!(
            graph.new_revision(&request("head", &taken), SystemTime::now()).unwrap_err(),
            GenerateError::LabelTaken { label: "shop".into(), owner: "aaaa".into() }
        );
        let id = ["bbbb".to_owned()];
        assert!(matches!(
            graph.new_revision(&request("head", &id), SystemTime::now()),
            Err(GenerateError::LabelTaken { .. })
        ));
        let bad = ["a@b".to_owned()];
        assert_eq!(
            graph.new_revision(&request("head", &bad), SystemTime::now()).unwrap_err(),
            GenerateError::MalformedLabel("a@b".into())
        );
    }

    #[test]
    fn a_merge_revises_each_named_revision_once() {
        let a = crate::Revision::new("aaaa", None::<&str>);
        let b = crate::Revision::new("bbbb", Some("aaaa"));
        let c = crate::Revision::new("cccc", Some("aaaa"));
        let graph = RevisionGraph::new(vec![a, b, c]).unwrap();
        let merge = graph.merge_revision(&["heads", "bbbb"], "merge", &[], Some("dddd"), SystemTime::now()).unwrap();
        assert_eq!(merge.down_revisions, ["bbbb", "cccc"]);
        assert_eq!(merge.id, "dddd");
        let bad_id = graph.merge_revision(&["heads"], "merge", &[], Some("a:b"), SystemTime::now());
        assert!(matches!(bad_id, Err(GenerateError::InvalidId(_))));
    }
}
