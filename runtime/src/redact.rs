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
        // The URL runs to the next white space. A password may hold '/', '?'
        // or '#' unencoded, so the user part ends at the URL's last '@'.
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let url = &after[..end];
        let url = match url.rfind('@') {
            Some(at_sign) => match url[..at_sign].find(':') {
                Some(colon) => format!("{}:***{}", &url[..colon], &url[at_sign..]),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        };
        out.push_str(&mask_query_passwords(&url));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Masks `password=` and `sslpassword=` values in a URL's query.
fn mask_query_passwords(url: &str) -> String {
    let Some(q) = url.find('?') else { return url.to_owned() };
    let (base, query) = url.split_at(q + 1);
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword") => {
                format!("{key}=***")
            }
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}{}", params.join("&"))
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
        // Unencoded '#', '/' or '?' in the password, and passwords in the query.
        assert_eq!(redact("postgres://app:p#ss@db/app: invalid port"), "postgres://app:***@db/app: invalid port");
        assert_eq!(redact("postgres://app:a/b?c@db/app"), "postgres://app:***@db/app");
        assert_eq!(
            redact("postgres://db/app?user=x&password=hunter2&sslpassword=y"),
            "postgres://db/app?user=x&password=***&sslpassword=***"
        );
        assert_eq!(redact("sqlite:///tmp/app.db?mode=rwc"), "sqlite:///tmp/app.db?mode=rwc");
    }
}
