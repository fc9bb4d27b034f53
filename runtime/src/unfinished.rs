//! MySQL's half-done revisions. MySQL commits each DDL statement as it
//! runs, so a run that dies or fails in the middle of a revision leaves
//! part of it applied. retort's log records, statement by statement, how
//! far the revision got; the next run stops and says so step by step;
//! `--resume` runs only the statements after those recorded as done, and
//! `--restart` the whole revision once what ran was undone by hand
//! ([`OnUnfinished`]) — retort never guesses about the one in flight.

use std::path::Path;

use retort_core::{Direction, Statement};

use crate::OnUnfinished;
use crate::error::{Error, shorten};
use crate::report::Status;

/// How far a revision got, as the first line of its log row's detail:
/// `done 3 of 5, prefix 0123456789abcdef` (the prefix is a hash of the
/// statements done, to tell whether they changed since).
pub(crate) fn marker(statements: &[Statement], done: usize) -> String {
    format!("done {done} of {}, prefix {}", statements.len(), prefix_hash(&statements[..done]))
}

fn prefix_hash(statements: &[Statement]) -> String {
    let joined: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
    let sum = retort_core::checksum::checksum(&joined.join("\n;\n"));
    sum[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// An earlier run of a revision that did not finish, from retort's log.
pub(crate) struct Earlier {
    pub(crate) status: Status,
    pub(crate) since: String,
    pub(crate) direction: String,
    /// Statements recorded as done, and the hash of them; `None` for a row
    /// written before retort recorded progress.
    pub(crate) done: Option<(usize, String)>,
}

impl Earlier {
    /// Reads a log row's `detail`.
    pub(crate) fn new(status: Status, since: String, direction: String, detail: &str) -> Earlier {
        let first = detail.lines().next().unwrap_or("");
        let done = first.strip_prefix("done ").and_then(|rest| {
            let (count, rest) = rest.split_once(" of ")?;
            let (_, prefix) = rest.split_once(", prefix ")?;
            Some((count.parse().ok()?, prefix.to_owned()))
        });
        Earlier { status, since, direction, done }
    }
}

/// What a run does with a revision an earlier run left unfinished.
pub(crate) enum Decision {
    /// Nothing of it can have been applied: run it as usual.
    Run,
    /// Resume: skip this many statements.
    Skip(usize),
}

/// Decides, or stops with what ran and what to do.
pub(crate) fn decide(
    earlier: &Earlier,
    id: &str,
    path: &Path,
    direction: Direction,
    statements: &[Statement],
    choice: OnUnfinished,
) -> Result<Decision, Error> {
    if choice == OnUnfinished::Restart {
        return Ok(Decision::Run);
    }
    let same_way = earlier.direction == direction.name();
    let done = earlier.done.as_ref().filter(|_| same_way);
    let in_flight = earlier.status == Status::Running;
    // A failed statement did not apply (MySQL rolls a failed statement
    // back); one in flight when the run died may have.
    if !in_flight && done.is_some_and(|(n, _)| *n == 0) {
        return Ok(Decision::Run);
    }
    let total = statements.len();
    let mut text = format!(
        "revision {id} ({}) did not finish in an earlier run (its {} started {}, status {}):",
        path.display(),
        earlier.direction,
        earlier.since,
        earlier.status
    );
    let Some((n, prefix)) = done else {
        text.push_str(
            "\n  retort's log does not say how far it got; compare the schema with the revision, finish or undo it by hand, then `stamp` the database to where it is",
        );
        return Err(Error::Unfinished { revision: id.to_owned(), message: text });
    };
    let n = (*n).min(total);
    let changed = *prefix != prefix_hash(&statements[..n]);
    if choice == OnUnfinished::Resume && !changed {
        return Ok(Decision::Skip(n));
    }
    if n == 0 {
        text.push_str("\n  no statement of it is recorded as done");
    } else {
        let last = &statements[n - 1];
        text.push_str(&format!(
            "\n  statements 1 to {n} of {total} ran and stay applied (the last at line {}: {})",
            last.line,
            shorten(&last.sql)
        ));
    }
    let next = statements.get(n);
    if let Some(next) = next {
        let state = if in_flight {
            "was running when that run stopped: it may or may not have been applied"
        } else {
            "failed and was not applied"
        };
        text.push_str(&format!("\n  statement {} (line {}: {}) {state}", n + 1, next.line, shorten(&next.sql)));
    }
    if changed {
        text.push_str(&format!(
            "\n  statements 1 to {n} changed since, so retort cannot tell what is left: finish the revision by hand, then `stamp`"
        ));
        return Err(Error::Unfinished { revision: id.to_owned(), message: text });
    }
    text.push_str("\n  what to do:");
    let mut steps = Vec::new();
    if let Some(next) = next {
        if in_flight {
            steps.push(format!(
                "look at the database: did statement {} (line {}) take effect? if it did, undo it by hand",
                n + 1,
                next.line
            ));
        } else {
            steps.push(format!(
                "fix statement {} (line {}) if it was wrong; the statements before it must stay as they are",
                n + 1,
                next.line
            ));
        }
    }
    if n < total {
        steps.push(format!(
            "run the command again with `--resume` (`OnUnfinished::Resume`): it runs statements {} to {total} only",
            n + 1
        ));
    } else {
        steps.push(
            "every statement of it as it is now is recorded as done: `--resume` records it as finished".to_owned(),
        );
    }
    steps.push(format!(
        "or undo statements 1 to {n} by hand and run again with `--restart` (`OnUnfinished::Restart`), which runs the whole revision"
    ));
    steps.push("or finish the revision by hand and `stamp` the database to it".to_owned());
    for (i, step) in steps.iter().enumerate() {
        text.push_str(&format!("\n  {}. {step}", i + 1));
    }
    Err(Error::Unfinished { revision: id.to_owned(), message: text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(sqls: &[&str]) -> Vec<Statement> {
        sqls.iter().enumerate().map(|(i, s)| Statement { line: 7 + i as u32, sql: (*s).to_owned() }).collect()
    }

    #[test]
    fn the_marker_round_trips_and_notices_edits() {
        let sql = statements(&["CREATE TABLE a (x INT)", "CREATE TABLE b (x INT)", "INSERT INTO a VALUES (1)"]);
        let earlier = Earlier::new(Status::Running, "t".into(), "upgrade".into(), &marker(&sql, 2));
        assert!(matches!(
            decide(&earlier, "aaaa", Path::new("v/a.sql"), Direction::Upgrade, &sql, OnUnfinished::Resume),
            Ok(Decision::Skip(2))
        ));
        let Err(err) = decide(&earlier, "aaaa", Path::new("v/a.sql"), Direction::Upgrade, &sql, OnUnfinished::Stop)
        else {
            panic!("an unfinished revision stops the run")
        };
        let text = err.to_string();
        assert!(text.contains("statements 1 to 2 of 3 ran"), "{text}");
        assert!(text.contains("statement 3 (line 9: INSERT INTO a VALUES (1)) was running"), "{text}");
        assert!(text.contains("`--resume`") && text.contains("runs statements 3 to 3 only"), "{text}");
        let mut edited = sql.clone();
        edited[1].sql = "CREATE TABLE b (y INT)".into();
        let Err(err) =
            decide(&earlier, "aaaa", Path::new("v/a.sql"), Direction::Upgrade, &edited, OnUnfinished::Resume)
        else {
            panic!("resuming after an edit of what ran is refused")
        };
        assert!(err.to_string().contains("changed since"), "{err}");
        // A failure at the first statement left nothing: run as usual.
        let failed = Earlier::new(Status::Failed, "t".into(), "upgrade".into(), &marker(&sql, 0));
        assert!(matches!(
            decide(&failed, "aaaa", Path::new("v/a.sql"), Direction::Upgrade, &sql, OnUnfinished::Stop),
            Ok(Decision::Run)
        ));
    }
}
