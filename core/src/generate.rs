//! New revision files: the text `retort revision` and `retort merge` write,
//! in the format of SPEC §2, which `check` accepts as it is.

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
        let message = self.message.lines().next().unwrap_or("").trim();
        let mut text =
            format!("-- {message}\n--\n-- Revision ID: {}\n-- Revises: {}\n", self.id, self.down_revisions.join(", "));
        if !self.branch_labels.is_empty() {
            text.push_str(&format!("-- Branch Labels: {}\n", self.branch_labels.join(", ")));
        }
        if !self.depends_on.is_empty() {
            text.push_str(&format!("-- Depends On: {}\n", self.depends_on.join(", ")));
        }
        text.push_str(&format!("-- Create Date: {}\n\n-- upgrade\n\n-- downgrade\n", self.create_date));
        text
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
}
