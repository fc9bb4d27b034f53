//! Keeping passwords out of output.

/// Replaces the password of every URL in `text` with `***`
/// (`postgres://app:secret@db/app` becomes `postgres://app:***@db/app`).
///
/// ```
/// assert_eq!(
///     retort::redact("cannot connect to postgres://app:s3cr%40t@db:5432/app"),
///     "cannot connect to postgres://app:***@db:5432/app"
/// );
/// assert_eq!(retort::redact("sqlite://app.db"), "sqlite://app.db");
/// ```
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first '/', '?', '#' or white space.
        let end = after.find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace()).unwrap_or(after.len());
        let authority = &after[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at_sign), Some(colon)) if colon < at_sign => {
                out.push_str(&authority[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at_sign..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_and_the_rest_kept() {
        assert_eq!(redact("mysql://root:pw@127.0.0.1:3306/test?ssl=1"), "mysql://root:***@127.0.0.1:3306/test?ssl=1");
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
        assert_eq!(redact("a postgres://u:p@h/d and mysql://x:y@z"), "a postgres://u:***@h/d and mysql://x:***@z");
        assert_eq!(redact("no url here"), "no url here");
    }
}
