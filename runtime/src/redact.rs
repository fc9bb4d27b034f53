//! Keeping passwords out of output, whatever shape the URL that held them.
//!
//! Two layers: the passwords of the URLs a program was given are
//! registered ([`hide_password_of`]) and replaced wherever they appear,
//! even where a database echoes a piece of a malformed URL back; and
//! anything that looks like `user:password@host`, with or without a
//! scheme, is masked.

use std::sync::RwLock;

/// The passwords registered by [`hide_password_of`], longest first.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Passwords shorter than this are masked where they stand in a URL, but
/// not replaced everywhere (that would mask every `pw` of the output).
const MIN_REPLACED: usize = 4;

/// Remembers the password of `url`, however malformed the URL (a space or
/// `@` in the password, `//` missing), so that [`redact`] hides it wherever
/// it appears later: in retort's messages and in the database's own.
///
/// ```
/// retort::hide_password_of("mysql://root:s3cret PW@127.0.0.1:3306/x");
/// assert_eq!(retort::redact("Unknown database 's3cret PW'"), "Unknown database '***'");
/// ```
pub fn hide_password_of(url: &str) {
    let Some(password) = password_of(url) else { return };
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for secret in [password.to_owned(), percent_decode(password)] {
        if secret.chars().count() >= MIN_REPLACED && !secrets.contains(&secret) {
            secrets.push(secret);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// The password part of a URL: between the user's `:` and the last `@`.
fn password_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once(':')?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let at = rest.rfind('@')?;
    let (_, password) = rest[..at].split_once(':')?;
    (!password.is_empty()).then_some(password)
}

/// `%40` as `@`, and so on; invalid escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces every password in `text` with `***`: those registered with
/// [`hide_password_of`], those of URLs (`postgres://app:secret@db/app`
/// becomes `postgres://app:***@db/app`), of `user:password@host` without a
/// scheme, and `password=` query values.
///
/// ```
/// assert_eq!(
///     retort::redact("cannot connect to postgres://app:s3cr%40t@db:5432/app"),
///     "cannot connect to postgres://app:***@db:5432/app"
/// );
/// assert_eq!(retort::redact("Unknown database 'root:pw@db:3306/x'"), "Unknown database 'root:***@db:3306/x'");
/// assert_eq!(retort::redact("sqlite://app.db"), "sqlite://app.db");
/// ```
pub fn redact(text: &str) -> String {
    let mut text = text.to_owned();
    for secret in SECRETS.read().unwrap_or_else(|e| e.into_inner()).iter() {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "***");
        }
    }
    let text = mask_user_passwords(&text);
    mask_query_passwords(&text)
}

/// True where a URL (or a piece of one) stops in running text.
fn ends_token(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>' | '(' | ')' | '[' | ']' | ',')
}

/// Masks the password of every `user:password@` in `text`. The user part
/// starts after a scheme's `//` (or its `:` when `//` is missing) or at the
/// start of the token; the password runs to the token's last `@` — so an
/// unencoded `@`, `/`, `#` or `?` in it stays hidden — and, after a
/// scheme's `//`, past white space to the line's next `@`, so an unencoded
/// space does too.
fn mask_user_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        // The token holding this '@', from its start to its last '@'.
        let start = rest[..at].rfind(ends_token).map_or(0, |i| i + rest[i..].chars().next().map_or(1, char::len_utf8));
        let token_end = rest[at..].find(ends_token).map_or(rest.len(), |i| at + i);
        let last_at = rest[..token_end].rfind('@').unwrap_or(at);
        let mut user = &rest[start..at];
        // A scheme, with or without its "//".
        let mut user_start = start;
        // `root:pw@` is a user and a password; `mysql:root:pw@` and
        // `mysql://root:pw@` start with a scheme.
        if let Some(colon) = user.find(':')
            && is_scheme(&user[..colon])
            && (user[colon + 1..].starts_with("//") || user[colon + 1..].contains(':'))
        {
            let skip = if user[colon + 1..].starts_with("//") { colon + 3 } else { colon + 1 };
            user_start += skip;
            user = &user[skip..];
        }
        match user.find(':') {
            Some(colon) => {
                out.push_str(&rest[..user_start + colon + 1]);
                out.push_str("***");
                rest = &rest[last_at..];
                out.push('@');
                rest = &rest[1..];
            }
            None => {
                out.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    mask_split_urls(&out)
}

/// `scheme://user:pass word@host`: a URL whose password holds white space
/// (unencoded) is cut by the token rules; mask from the user's `:` to the
/// next `@` on the same line.
fn mask_split_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let authority_start = found + 3;
        let line_end = rest[authority_start..].find('\n').map_or(rest.len(), |i| authority_start + i);
        let token_end = rest[authority_start..line_end].find(ends_token).map_or(line_end, |i| authority_start + i);
        let authority = &rest[authority_start..token_end];
        match (authority.contains('@'), authority.find(':'), rest[token_end..line_end].find('@')) {
            (false, Some(colon), Some(next_at)) if !authority[colon + 1..].starts_with("***") => {
                out.push_str(&rest[..authority_start + colon + 1]);
                out.push_str("***");
                rest = &rest[token_end + next_at..];
            }
            _ => {
                out.push_str(&rest[..authority_start]);
                rest = &rest[authority_start..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_scheme(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Masks `password=` and `sslpassword=` values (in a URL's query, or
/// anywhere): the value ends at `&` or where the token ends.
fn mask_query_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let key_start = rest[..eq].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let key = &rest[key_start..eq];
        let is_password = key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword");
        out.push_str(&rest[..=eq]);
        rest = &rest[eq + 1..];
        if is_password {
            let end = rest.find(|c: char| c == '&' || ends_token(c)).unwrap_or(rest.len());
            if end > 0 {
                out.push_str("***");
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{hide_password_of, redact};

    #[test]
    fn passwords_are_hidden_and_the_rest_kept() {
        assert_eq!(redact("mysql://root:pw@127.0.0.1:3306/test?ssl=1"), "mysql://root:***@127.0.0.1:3306/test?ssl=1");
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
        assert_eq!(redact("a postgres://u:p@h/d and mysql://x:y@z"), "a postgres://u:***@h/d and mysql://x:***@z");
        assert_eq!(redact("no url here, mail ann@example.com"), "no url here, mail ann@example.com");
        // Unencoded '#', '/', '?' or '@' in the password, and passwords in the query.
        assert_eq!(redact("postgres://app:p#ss@db/app: invalid port"), "postgres://app:***@db/app: invalid port");
        assert_eq!(redact("postgres://app:a/b?c@db/app"), "postgres://app:***@db/app");
        assert_eq!(redact("postgres://app:a@b@db/app"), "postgres://app:***@db/app");
        assert_eq!(
            redact("postgres://db/app?user=x&password=hunter2&sslpassword=y"),
            "postgres://db/app?user=x&password=***&sslpassword=***"
        );
        // The character after the value is kept.
        assert_eq!(redact("bad url 'postgres://db/app?password=hunter2'"), "bad url 'postgres://db/app?password=***'");
        assert_eq!(redact("sqlite:///tmp/app.db?mode=rwc"), "sqlite:///tmp/app.db?mode=rwc");
    }

    #[test]
    fn malformed_urls_keep_their_password_hidden() {
        // No "//"; and the server echoing the rest back.
        assert_eq!(redact("mysql:root:s3cretPW@127.0.0.1:3306/x"), "mysql:root:***@127.0.0.1:3306/x");
        assert_eq!(
            redact("Unknown database 'root:s3cretPW@127.0.0.1:3306/x'"),
            "Unknown database 'root:***@127.0.0.1:3306/x'"
        );
        // An unencoded space in the password.
        assert_eq!(redact("mysql://root:s3cret PW@127.0.0.1:3306/x"), "mysql://root:***@127.0.0.1:3306/x");
        // In clap's quotes.
        assert_eq!(
            redact("error: unexpected argument 'postgres://postgres:s3cretPW@127.0.0.1/x' found"),
            "error: unexpected argument 'postgres://postgres:***@127.0.0.1/x' found"
        );
    }

    #[test]
    fn a_registered_password_is_hidden_wherever_it_appears() {
        hide_password_of("mysql://root:Zq9 w%40rd@127.0.0.1:3306/x");
        assert_eq!(redact("access denied for Zq9 w%40rd"), "access denied for ***");
        assert_eq!(redact("decoded: Zq9 w@rd."), "decoded: ***.");
    }
}
