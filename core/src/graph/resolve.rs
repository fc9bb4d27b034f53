//! Turning what a user types (`ae10`, `head`, `heads`, `base`,
//! `label@head`, `+2`, `ae10-1`, `label@base`…) into revisions, with the
//! meaning Alembic gives each form.

use super::{Idx, RevisionGraph};
use crate::error::RevisionError;

/// A place a relative walk can be: before every revision (Alembic's
/// `None`), the base marker (Alembic's `"base"`), or a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Walk {
    Nothing,
    Base,
    Rev(Idx),
}

/// The parts of a relative identifier `[label@][symbol](+|-)N`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Relative<'a> {
    pub label: Option<&'a str>,
    pub symbol: Option<&'a str>,
    /// The signed part as written (`+2`, `-1`).
    pub text: &'a str,
    pub steps: i64,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Matches `[label@][symbol](+|-)digits` at the start of `s`, the way
/// Alembic's `_relative_destination` pattern does (`re.match`, not a full
/// match: text after the digits is ignored).
pub(super) fn parse_relative(s: &str) -> Option<Relative<'_>> {
    let at_positions = s.char_indices().filter(|&(i, c)| c == '@' && i > 0).map(|(i, _)| i);
    for at in at_positions.map(Some).chain([None]) {
        let (label, rest) = match at {
            Some(at) => (Some(&s[..at]), &s[at + 1..]),
            None => (None, s),
        };
        let symbol_len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        let (symbol, tail) = rest.split_at(symbol_len);
        let Some(sign) = tail.chars().next().filter(|c| *c == '+' || *c == '-') else { continue };
        let digits = tail[1..].find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len() - 1);
        if digits == 0 {
            continue;
        }
        let text = &tail[..1 + digits];
        let magnitude: i64 = tail[1..1 + digits].parse().unwrap_or(i64::MAX);
        let steps = if sign == '-' { -magnitude } else { magnitude };
        return Some(Relative { label, symbol: (!symbol.is_empty()).then_some(symbol), text, steps });
    }
    None
}

/// What Alembic's `_resolve_revision_number` makes of an identifier.
pub(super) enum Number<'a> {
    /// `head`, `heads`, `base`: already revisions (none for `base`).
    Revs(Vec<Idx>),
    /// Anything else, still to be looked up.
    Raw(&'a str),
}

impl RevisionGraph {
    /// The revisions an identifier names (`head`, `heads`, an id, a prefix,
    /// `label@head`, `-1`…); none for `base`.
    pub fn resolve_ids(&self, identifier: &str) -> Result<Vec<String>, RevisionError> {
        Ok(self.ids(self.get_revision_indices(identifier)?))
    }

    /// What `current` lists for a database at `rows`: the tips of everything
    /// the rows stand for, through `Revises`, so that a revision only
    /// depended on is listed too (Alembic's `get_all_current`), sorted.
    /// Rows naming no revision are left out.
    pub fn all_current_ids<S: AsRef<str>>(&self, rows: &[S]) -> Vec<String> {
        let rows: Vec<Idx> = rows.iter().filter_map(|r| self.by_id.get(r.as_ref()).copied()).collect();
        let mut ids = self.ids(self.all_current(&rows));
        ids.sort();
        ids
    }

    /// Splits `label@rest` and resolves the symbolic names.
    pub(super) fn resolve_number<'a>(&self, id: &'a str) -> Result<(Number<'a>, Option<&'a str>), RevisionError> {
        let (label, id) = match id.split_once('@') {
            Some((label, rest)) => (Some(label), rest),
            None => (None, id),
        };
        let number = match id {
            "heads" => match label {
                Some(label) => Number::Revs(self.filter_for_lineage(&self.heads, label, false)?),
                None => Number::Revs(self.real_heads.clone()),
            },
            "head" => Number::Revs(self.current_head(label)?.into_iter().collect()),
            "base" => Number::Revs(Vec::new()),
            "" => {
                return Err(RevisionError::InvalidIdentifier {
                    id: format!("{}@", label.unwrap_or("")),
                    reason: "nothing follows '@'; write `label@head`, `label@base` or `label@<revision>`".to_owned(),
                });
            }
            other => Number::Raw(other),
        };
        Ok((number, label))
    }

    /// The single head, of the branch `label` if given; `None` for an empty
    /// graph.
    pub(super) fn current_head(&self, label: Option<&str>) -> Result<Option<Idx>, RevisionError> {
        let heads = match label {
            Some(label) => self.filter_for_lineage(&self.heads, label, false)?,
            None => self.heads.clone(),
        };
        if heads.len() > 1 {
            return Err(RevisionError::MultipleHeads {
                argument: label.map_or_else(|| "head".to_owned(), |l| format!("{l}@head")),
                heads: self.ids(heads),
            });
        }
        Ok(heads.first().copied())
    }

    /// The revisions an identifier names (Alembic's `get_revisions` of one
    /// string): none for `base`, several for `heads`.
    pub(super) fn get_revisions(&self, id: &str) -> Result<Vec<Walk>, RevisionError> {
        let (number, label) = self.resolve_number(id)?;
        match number {
            Number::Revs(revs) => Ok(revs.into_iter().map(Walk::Rev).collect()),
            Number::Raw(raw) => {
                if let Ok(steps) = raw.parse::<i64>()
                    && steps < 0
                {
                    // `-N` and `label@-N` walk down from every head.
                    let heads = self
                        .real_heads
                        .iter()
                        .copied()
                        .filter(|&h| label.is_none_or(|l| self.nodes[h].labels.contains(l)));
                    return heads.map(|h| self.walk(Walk::Rev(h), steps, None, true, raw)).collect();
                }
                Ok(vec![Walk::Rev(self.revision_for_ident(raw, label)?)])
            }
        }
    }

    /// Like [`RevisionGraph::get_revisions`], where only revisions make sense.
    pub(super) fn get_revision_indices(&self, id: &str) -> Result<Vec<Idx>, RevisionError> {
        Ok(self
            .get_revisions(id)?
            .into_iter()
            .filter_map(|w| match w {
                Walk::Rev(i) => Some(i),
                _ => None,
            })
            .collect())
    }

    /// The one revision an identifier names, `None` for `base` (Alembic's
    /// `get_revision`).
    pub(super) fn get_revision(&self, id: &str) -> Result<Option<Idx>, RevisionError> {
        let (number, label) = self.resolve_number(id)?;
        match number {
            Number::Revs(revs) if revs.len() > 1 => {
                Err(RevisionError::MultipleHeads { argument: id.to_owned(), heads: self.ids(revs) })
            }
            Number::Revs(revs) => Ok(revs.first().copied()),
            Number::Raw(raw) => self.revision_for_ident(raw, label).map(Some),
        }
    }

    /// A label's revision, or failing that a revision named so.
    pub(super) fn resolve_branch(&self, label: &str) -> Result<Idx, RevisionError> {
        if let Some(&i) = self.by_label.get(label).or_else(|| self.by_id.get(label)) {
            return Ok(i);
        }
        self.revision_for_ident(label, None).map_err(|_| RevisionError::NoSuchBranch(label.to_owned()))
    }

    /// Looks up an id, a label or a unique prefix of at least four
    /// characters; with `branch`, the revision must be on that branch.
    pub(super) fn revision_for_ident(&self, id: &str, branch: Option<&str>) -> Result<Idx, RevisionError> {
        let branch_rev = branch.map(|b| self.resolve_branch(b)).transpose()?;
        let found = match self.by_id.get(id).or_else(|| self.by_label.get(id)) {
            Some(&i) => i,
            None => {
                if id.chars().count() < 4 {
                    return Err(RevisionError::NotFound {
                        id: id.to_owned(),
                        reason:
                            "please ensure at least four characters are present for partial revision identifier matches"
                                .to_owned(),
                    });
                }
                let mut candidates: Vec<Idx> =
                    (0..self.revisions.len()).filter(|&i| self.revisions[i].id.starts_with(id)).collect();
                if let Some(branch) = branch {
                    candidates = self.filter_for_lineage(&candidates, branch, false)?;
                }
                match candidates.as_slice() {
                    [] => {
                        return Err(RevisionError::NotFound {
                            id: id.to_owned(),
                            reason: "no revision has this id or starts with it, and no branch label is called that (see `retort history`)".to_owned(),
                        });
                    }
                    [one] => *one,
                    _ => {
                        return Err(RevisionError::AmbiguousPrefix {
                            prefix: id.to_owned(),
                            candidates: self.ids(candidates),
                        });
                    }
                }
            }
        };
        if let (Some(branch), Some(branch_rev)) = (branch, branch_rev)
            && !self.shares_lineage(found, branch_rev, false)
        {
            return Err(RevisionError::NotInBranch { revision: self.id(found).to_owned(), branch: branch.to_owned() });
        }
        Ok(found)
    }

    /// The `targets` on one line of descent with what `check_against` names
    /// (Alembic's `filter_for_lineage`).
    pub(super) fn filter_for_lineage(
        &self,
        targets: &[Idx],
        check_against: &str,
        include_dependencies: bool,
    ) -> Result<Vec<Idx>, RevisionError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let (number, label) = self.resolve_number(check_against)?;
        let mut shares = Vec::new();
        if let Some(label) = label {
            shares.push(self.revision_for_ident(label, None)?);
        }
        match number {
            Number::Revs(revs) => shares.extend(revs),
            Number::Raw(raw) => shares.push(self.revision_for_ident(raw, None)?),
        }
        if shares.is_empty() {
            return Ok(targets.to_vec());
        }
        Ok(targets
            .iter()
            .copied()
            .filter(|&t| shares.iter().any(|&s| self.shares_lineage(t, s, include_dependencies)))
            .collect())
    }

    /// Walks `steps` revisions up (positive) or down (negative) from `start`
    /// (Alembic's `_walk`). Up from `Nothing` starts at the bases; down from
    /// `Nothing` at the heads; down past a base reaches `Base`. Past the end,
    /// the result is `Nothing` when `no_overwalk`, else where the walk stopped.
    pub(super) fn walk(
        &self,
        start: Walk,
        steps: i64,
        label: Option<&str>,
        no_overwalk: bool,
        relative: &str,
    ) -> Result<Walk, RevisionError> {
        let mut at = start;
        for _ in 0..steps.unsigned_abs() {
            let choices: Vec<Walk> = if steps > 0 {
                let up: Vec<Idx> = match at {
                    Walk::Nothing => self.bases.clone(),
                    Walk::Rev(i) => self.nodes[i].next.clone(),
                    Walk::Base => {
                        return Err(RevisionError::InvalidIdentifier {
                            id: relative.to_owned(),
                            reason: "cannot walk up from the base marker".to_owned(),
                        });
                    }
                };
                let up = match label {
                    Some(label) => self.filter_for_lineage(&up, label, false)?,
                    None => up,
                };
                up.into_iter().map(Walk::Rev).collect()
            } else {
                match at {
                    Walk::Base => Vec::new(),
                    Walk::Nothing => self.heads.iter().map(|&h| Walk::Rev(h)).collect(),
                    Walk::Rev(i) if self.nodes[i].down.is_empty() => vec![Walk::Base],
                    Walk::Rev(i) => self.nodes[i].down.iter().map(|&d| Walk::Rev(d)).collect(),
                }
            };
            match choices.as_slice() {
                [] => return Ok(if no_overwalk { Walk::Nothing } else { at }),
                [one] => at = *one,
                _ => {
                    return Err(RevisionError::AmbiguousWalk {
                        from: match at {
                            Walk::Rev(i) => self.id(i).to_owned(),
                            _ => "base".to_owned(),
                        },
                        candidates: choices
                            .iter()
                            .map(|w| match w {
                                Walk::Rev(i) => self.id(*i).to_owned(),
                                _ => "base".to_owned(),
                            })
                            .collect(),
                        relative: relative.to_owned(),
                    });
                }
            }
        }
        Ok(at)
    }

    /// The revisions an upgrade to `target` aims at, given the database's
    /// `current` heads (Alembic's `_parse_upgrade_target`).
    pub(super) fn parse_upgrade_target(
        &self,
        current: &[Idx],
        target: &str,
        no_overwalk: bool,
    ) -> Result<Vec<Walk>, RevisionError> {
        let Some(rel) = parse_relative(target) else {
            return self.get_revisions(target);
        };
        let too_far =
            || RevisionError::RelativeTooFar { relative: rel.text.to_owned(), count: rel.steps.unsigned_abs() };
        if rel.steps > 0 {
            let Some(symbol) = rel.symbol else {
                let mut starts: Vec<Walk> = if current.is_empty() {
                    vec![Walk::Nothing]
                } else {
                    current.iter().map(|&c| Walk::Rev(c)).collect()
                };
                if let Some(label) = rel.label {
                    let on_branch = self.filter_for_lineage(current, label, false)?;
                    starts = on_branch.iter().map(|&c| Walk::Rev(c)).collect();
                    if starts.is_empty() {
                        // The branch has no head in the database: start from
                        // the tips of what is applied on it.
                        let applied = self.walk_related(current, |n| &n.norm_down);
                        let active = self.filter_for_lineage(&applied, label, false)?;
                        let mut below = vec![false; self.nodes.len()];
                        for &a in &active {
                            for &d in &self.nodes[a].norm_down {
                                below[d] = true;
                            }
                        }
                        starts = active.into_iter().filter(|&a| !below[a]).map(Walk::Rev).collect();
                        if starts.is_empty() {
                            starts = vec![Walk::Nothing];
                        }
                    }
                }
                if starts.len() > 1 {
                    return Err(RevisionError::AmbiguousUpgrade { current: self.ids(current.iter().copied()) });
                }
                return match self.walk(starts[0], rel.steps, rel.label, no_overwalk, rel.text)? {
                    Walk::Nothing => Err(too_far()),
                    found => Ok(vec![found]),
                };
            };
            let start = self.get_revision(symbol)?.map_or(Walk::Nothing, Walk::Rev);
            return match self.walk(start, rel.steps, rel.label, no_overwalk, rel.text)? {
                Walk::Nothing => Err(too_far()),
                found => Ok(vec![found]),
            };
        }
        let Some(symbol) = rel.symbol else {
            return Err(RevisionError::RelativeTooFar {
                relative: rel.steps.to_string(),
                count: rel.steps.unsigned_abs(),
            });
        };
        let start = match rel.label {
            Some(label) => self.get_revision(&format!("{label}@{symbol}"))?,
            None => self.get_revision(symbol)?,
        };
        match self.walk(start.map_or(Walk::Nothing, Walk::Rev), rel.steps, None, no_overwalk, rel.text)? {
            Walk::Nothing => Err(too_far()),
            found => Ok(vec![found]),
        }
    }

    /// The branch label and revision a downgrade to `target` aims at, given
    /// the database's `current` heads (Alembic's `_parse_downgrade_target`);
    /// `Walk::Base` for base.
    pub(super) fn parse_downgrade_target(
        &self,
        current: &[Idx],
        target: &str,
    ) -> Result<(Option<String>, Walk), RevisionError> {
        let Some(rel) = parse_relative(target) else {
            let (label, symbol) = match target.rsplit_once('@') {
                Some((label, symbol)) if !label.is_empty() => (Some(label.to_owned()), symbol),
                Some((_, symbol)) => (None, symbol),
                None => (None, target),
            };
            let found = self.get_revision(symbol)?.map_or(Walk::Base, Walk::Rev);
            return Ok((label, found));
        };
        let too_far =
            || RevisionError::RelativeTooFar { relative: rel.text.to_owned(), count: rel.steps.unsigned_abs() };
        if rel.steps >= 0 {
            let Some(symbol) = rel.symbol else { return Err(too_far()) };
            let start = self.get_revision(symbol)?.map_or(Walk::Nothing, Walk::Rev);
            return match self.walk(start, rel.steps, rel.label, true, rel.text)? {
                Walk::Nothing => Err(RevisionError::WalkedTooFar(target.to_owned())),
                found => Ok((rel.label.map(str::to_owned), found)),
            };
        }
        let mut label = rel.label.map(str::to_owned);
        let symbol: String = match rel.symbol {
            Some(symbol) => symbol.to_owned(),
            None => match &label {
                Some(branch) => {
                    let mut on_branch = self.filter_for_lineage(current, branch, false)?;
                    if on_branch.is_empty() {
                        let all_current = self.all_current(current);
                        on_branch = self.filter_for_lineage(&all_current, branch, false)?;
                    }
                    match on_branch.as_slice() {
                        [one] => self.id(*one).to_owned(),
                        [] => return Err(too_far()),
                        _ => {
                            return Err(RevisionError::AmbiguousDowngrade {
                                relative: rel.text.to_owned(),
                                current: self.ids(on_branch),
                            });
                        }
                    }
                }
                None => {
                    let mut distinct = current.to_vec();
                    distinct.dedup();
                    match distinct.as_slice() {
                        [] => return Err(too_far()),
                        [one] => {
                            let id = self.id(*one).to_owned();
                            label = Some(id.clone());
                            id
                        }
                        _ => {
                            return Err(RevisionError::AmbiguousDowngrade {
                                relative: rel.text.to_owned(),
                                current: self.ids(distinct),
                            });
                        }
                    }
                }
            },
        };
        let start = match &label {
            Some(label) => self.get_revision(&format!("{label}@{symbol}"))?,
            None => self.get_revision(&symbol)?,
        };
        match self.walk(start.map_or(Walk::Nothing, Walk::Rev), rel.steps, None, true, rel.text)? {
            Walk::Nothing if rel.symbol.is_some() => Err(RevisionError::WalkedTooFar(target.to_owned())),
            Walk::Nothing => Err(too_far()),
            found => Ok((label, found)),
        }
    }

    /// The tips of everything `current` has applied (Alembic's
    /// `_get_all_current`).
    fn all_current(&self, current: &[Idx]) -> Vec<Idx> {
        let applied = self.walk_related(current, |n| &n.norm_down);
        let mask = {
            let mut m = vec![false; self.nodes.len()];
            applied.iter().for_each(|&i| m[i] = true);
            m
        };
        applied
            .iter()
            .copied()
            .filter(|&a| {
                let above = self.walk_related(&[a], |n| &n.next);
                !above.iter().any(|&d| d != a && mask[d])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_identifiers_parse_like_alembics_pattern() {
        let r = parse_relative("+2").unwrap();
        assert_eq!((r.label, r.symbol, r.steps), (None, None, 2));
        let r = parse_relative("ae10-1").unwrap();
        assert_eq!((r.label, r.symbol, r.steps, r.text), (None, Some("ae10"), -1, "-1"));
        let r = parse_relative("shop@head-2").unwrap();
        assert_eq!((r.label, r.symbol, r.steps), (Some("shop"), Some("head"), -2));
        let r = parse_relative("shop@+1").unwrap();
        assert_eq!((r.label, r.symbol, r.steps), (Some("shop"), None, 1));
        assert!(parse_relative("ae1027a6acf").is_none());
        assert!(parse_relative("head").is_none());
        assert!(parse_relative("shop@head").is_none());
        assert!(parse_relative("+x").is_none());
    }
}
