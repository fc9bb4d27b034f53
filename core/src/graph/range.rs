//! `start:end` ranges, as `history -r` and the `--sql` forms of `upgrade`,
//! `downgrade` and `stamp` take them: one parser for all.

use super::RevisionGraph;
use crate::error::RevisionError;

/// A `start:end` range of revision identifiers, either side possibly empty.
///
/// ```
/// use retort_core::RevisionRange;
/// let range = RevisionRange::parse("ae10:head").unwrap();
/// assert_eq!((range.start, range.end), ("ae10", "head"));
/// assert!(RevisionRange::parse("head").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionRange<'a> {
    /// What comes before the `:`.
    pub start: &'a str,
    /// What comes after it.
    pub end: &'a str,
}

impl<'a> RevisionRange<'a> {
    /// The range `text` writes, or `None` when it names one revision.
    pub fn parse(text: &'a str) -> Option<RevisionRange<'a>> {
        text.split_once(':').map(|(start, end)| RevisionRange { start, end })
    }

    /// True when `text` is a range rather than one identifier.
    pub fn is_range(text: &str) -> bool {
        text.contains(':')
    }

    /// `text` as one identifier; a range is refused (Alembic's "Range
    /// revision not allowed"), as where a command runs against a database.
    pub fn single(text: &str) -> Result<&str, RevisionError> {
        if Self::is_range(text) { Err(RevisionError::RangeNotAllowed(text.to_owned())) } else { Ok(text) }
    }
}

/// Where an offline (`--sql`) run starts and what it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineRange<'a> {
    /// The version table's rows the SQL assumes (empty: from base).
    pub from: Vec<String>,
    /// The targets.
    pub to: Vec<&'a str>,
}

impl RevisionGraph {
    /// `upgrade --sql` and `downgrade --sql`: `start:end` or just `end`
    /// (from base). A downgrade must name its start, as Alembic requires.
    pub fn offline_range<'a>(&self, text: &'a str, upgrade: bool) -> Result<OfflineRange<'a>, RevisionError> {
        match RevisionRange::parse(text) {
            Some(range) => Ok(OfflineRange { from: self.resolve_ids(range.start)?, to: vec![range.end] }),
            None if upgrade => Ok(OfflineRange { from: Vec::new(), to: vec![text] }),
            None => Err(RevisionError::RangeRequired(text.to_owned())),
        }
    }

    /// `stamp --sql`: each argument `start:end` or `end`, every range from
    /// the same start.
    pub fn offline_stamp_range<'a, S: AsRef<str>>(&self, args: &'a [S]) -> Result<OfflineRange<'a>, RevisionError> {
        let mut start: Option<&str> = None;
        let mut to = Vec::with_capacity(args.len());
        for arg in args {
            let arg = arg.as_ref();
            match RevisionRange::parse(arg) {
                Some(range) => {
                    if start.is_some_and(|s| s != range.start) {
                        return Err(RevisionError::SeveralStampStarts(
                            args.iter().map(|a| a.as_ref().to_owned()).collect(),
                        ));
                    }
                    start = Some(range.start);
                    to.push(range.end);
                }
                None => to.push(arg),
            }
        }
        let from = match start {
            Some(start) => self.resolve_ids(start)?,
            None => Vec::new(),
        };
        Ok(OfflineRange { from, to })
    }
}
