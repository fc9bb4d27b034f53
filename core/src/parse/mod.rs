//! Reading revision files: retort's `.sql` format and the headers of
//! Alembic's `.py` revisions.

pub(crate) mod python;
mod sql;

use std::path::Path;

pub use python::{KnownNames, parse_python_revision, parse_python_revision_with};
pub use sql::{HEADER_KEYS, SqlBody, parse_sql_body, parse_sql_revision};

use crate::diagnostic::Diagnostic;
use crate::revision::InvalidId;

/// The diagnostic for the first NUL character of a revision file, if any:
/// it is refused wherever it stands (no database accepts it, and Python
/// refuses it in source code), with how many more there are.
fn nul_diagnostic(path: &Path, text: &str) -> Option<Diagnostic> {
    let (line, column) = crate::split::find_nul(text)?;
    let count = text.matches('\0').count();
    let mut message = crate::split::NUL_MESSAGE.to_owned();
    if count > 1 {
        message.push_str(&format!(" ({} more in the file)", count - 1));
    }
    let help =
        "remove it: a text editor shows it as ^@ or \\0; data that needs the byte is written as a blob literal (X'00')";
    Some(Diagnostic::error(message).at(path, line + 1).column(column).help(help))
}

/// Splits a comma-separated header value, dropping blanks.
fn parse_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The diagnostic for an invalid revision id on `line` of `path`.
fn id_diagnostic(path: &Path, line: u32, err: &InvalidId) -> Diagnostic {
    let help = match err {
        InvalidId::TooLong { .. } => {
            "use at most 32 characters; new ids are 12 hex digits (`retort revision` makes them)"
        }
        _ => "use letters, digits and `_` only, such as 12 hex digits (`retort revision` makes them)",
    };
    Diagnostic::error(err.to_string()).at(path, line).help(help)
}

/// The known key that `key` is probably a misspelling of.
fn suggest_key<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    if key.len() > 24 {
        return None;
    }
    let key = key.to_ascii_lowercase();
    known.iter().copied().find(|k| {
        let distance = edit_distance(&key, &k.to_ascii_lowercase());
        distance > 0 && distance <= 2
    })
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_drop_blanks() {
        assert_eq!(parse_list(" a, b ,,c "), ["a", "b", "c"]);
        assert!(parse_list("  ").is_empty());
    }

    #[test]
    fn misspelt_keys_are_suggested() {
        assert_eq!(suggest_key("Revison ID", &HEADER_KEYS), Some("Revision ID"));
        assert_eq!(suggest_key("depend on", &HEADER_KEYS), Some("Depends On"));
        assert_eq!(suggest_key("Note", &HEADER_KEYS), None);
    }
}
