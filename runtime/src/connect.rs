//! Reaching a database server before migrating it: the cause of a failure
//! in plain words (refused, unknown host, authentication, no such
//! database, TLS), and an opt-in wait for a server that is still starting.
//!
//! A sqlx pool retries a refused connection until its acquire timeout and
//! then reports only `pool timed out`; one direct connection tells why.

use std::time::{Duration, Instant};

use retort_core::Dialect;
use sqlx::Connection;

use crate::error::Error;

/// The longest one connection attempt may take.
const ATTEMPT: Duration = Duration::from_secs(10);

/// Checks that the database at `url` accepts a connection, and on failure
/// says why in plain words, naming the host and port (never the password).
///
/// With a non-zero `wait`, a server that refuses connections, cannot be
/// resolved yet, does not answer or is starting up is tried again with a
/// growing pause (50 ms up to 2 s) until `wait` has passed — for
/// containers that start at the same time as their database. Errors that
/// waiting does not fix (a wrong password, a missing database) end it at
/// once.
///
/// ```no_run
/// # async fn f() -> Result<(), retort::Error> {
/// retort::wait_for_database("postgres://app@db:5432/app", std::time::Duration::from_secs(30)).await?;
/// let pool = sqlx::PgPool::connect("postgres://app@db:5432/app").await;
/// # Ok(()) }
/// ```
pub async fn wait_for_database(url: &str, wait: Duration) -> Result<(), Error> {
    let target = Target::of(url);
    let scheme = url.split(':').next().unwrap_or("");
    let dialect: Dialect = scheme.parse().map_err(|_| Error::Connect {
        target: target.to_string(),
        cause: format!(
            "unsupported database URL scheme '{scheme}': use postgres://, mysql:// (or mariadb://) or sqlite://"
        ),
        waited: None,
    })?;
    if dialect != Dialect::Sqlite && !url[scheme.len()..].starts_with("://") {
        return Err(Error::Connect {
            target: target.to_string(),
            cause: format!(
                "the URL has no `//` after `{scheme}:`; write it as {scheme}://host:port/database, with `user:password@` before the host"
            ),
            waited: None,
        });
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        // One attempt may take at most 10 s, or what is left of the wait
        // (but 200 ms).
        let left = wait.saturating_sub(started.elapsed()).max(Duration::from_millis(200));
        let limit = if wait.is_zero() { ATTEMPT } else { left.min(ATTEMPT) };
        let failure = match tokio::time::timeout(limit, connect_once(dialect, url)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(err)) => Failure::of(&err, &target),
            Err(_) => Failure { cause: format!("no answer within {:.1} s", limit.as_secs_f64()), passes: true },
        };
        let waited = started.elapsed();
        if !failure.passes || waited >= wait {
            return Err(Error::Connect {
                target: target.to_string(),
                cause: crate::redact::redact(&failure.cause),
                waited: (!wait.is_zero()).then_some((waited, attempts)),
            });
        }
        tracing::info!(target = %target, cause = %failure.cause, "the database is not reachable yet; trying again");
        // The last attempt comes at the end of the wait.
        tokio::time::sleep(pause.min(wait - waited)).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

async fn connect_once(dialect: Dialect, url: &str) -> Result<(), sqlx::Error> {
    match dialect {
        #[cfg(feature = "postgres")]
        Dialect::Postgres => sqlx::PgConnection::connect(url).await?.close().await,
        #[cfg(feature = "mysql")]
        Dialect::MySql => {
            sqlx::MySqlConnection::connect(&url.replacen("mariadb://", "mysql://", 1)).await?.close().await
        }
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => sqlx::SqliteConnection::connect(url).await?.close().await,
        #[allow(unreachable_patterns)]
        other => Err(sqlx::Error::Configuration(format!("retort was built without the {other} feature").into())),
    }
}

/// Where a URL points, for messages: `host:port`, or a SQLite file.
struct Target {
    text: String,
}

impl Target {
    fn of(url: &str) -> Target {
        let (scheme, rest) = url.split_once(':').unwrap_or(("", url));
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        if scheme.starts_with("sqlite") {
            let path = rest.split('?').next().unwrap_or(rest);
            return Target { text: format!("the SQLite file {path}") };
        }
        let authority = rest.split(['/', '?']).next().unwrap_or(rest);
        // The host part follows the last '@' of the whole URL (a password
        // may hold '/' unencoded).
        let authority = match rest.rfind('@') {
            Some(at) => rest[at + 1..].split(['/', '?']).next().unwrap_or(""),
            None => authority,
        };
        let default_port = match scheme {
            "mysql" | "mariadb" => "3306",
            _ => "5432",
        };
        let text = if authority.is_empty() {
            format!("localhost:{default_port}")
        } else if authority.contains(':') && !authority.ends_with(']') {
            authority.to_owned()
        } else {
            format!("{authority}:{default_port}")
        };
        Target { text }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why one attempt failed, and whether waiting may help.
struct Failure {
    cause: String,
    passes: bool,
}

impl Failure {
    fn of(err: &sqlx::Error, target: &Target) -> Failure {
        use std::io::ErrorKind;
        let text = err.to_string();
        let lower = text.to_ascii_lowercase();
        let (cause, passes) = match err {
            sqlx::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => (
                format!("connection refused: no server is listening at {target}; start it, or check the host and port"),
                true,
            ),
            sqlx::Error::Io(_)
                if lower.contains("lookup") || lower.contains("name or service") || lower.contains("resolve") =>
            {
                (
                    format!(
                        "unknown host: {} does not resolve ({text})",
                        target.text.rsplit_once(':').map_or(&*target.text, |(h, _)| h)
                    ),
                    true,
                )
            }
            sqlx::Error::Io(io)
                if matches!(
                    io.kind(),
                    ErrorKind::TimedOut | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                (format!("{text} (at {target})"), true)
            }
            sqlx::Error::Tls(_) if lower.contains("without tls support") => (
                format!(
                    "the server at {target} needs TLS, which this build of retort lacks: connect without TLS (sslmode=disable / ssl-mode=DISABLED) where the network allows it"
                ),
                false,
            ),
            sqlx::Error::Tls(_) => (
                format!(
                    "TLS failed with {target}: {text}; check the sslmode/ssl-mode of the URL and the server's certificate"
                ),
                false,
            ),
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default().into_owned();
                let message = db.message();
                match code.as_str() {
                    "28P01" | "28000" if lower.contains("ssl") || lower.contains("encryption") => (
                        format!("the server at {target} requires TLS: add sslmode=require to the URL ({message})"),
                        false,
                    ),
                    "28P01" | "28000" | "1045" | "1698" => {
                        (format!("authentication failed at {target}: {message}; check the user and password"), false)
                    }
                    _ if code == "3D000" || message.starts_with("Unknown database") => (
                        format!(
                            "the database does not exist at {target}: {message}; create it, or fix the URL's database name"
                        ),
                        false,
                    ),
                    // The server is starting up or shutting down.
                    "57P03" | "53300" => (format!("{message} (at {target})"), true),
                    _ => (format!("{message} (code {code}, at {target})"), false),
                }
            }
            _ if lower.contains("unable to open database file") => {
                (format!("cannot open {target}: {text}; check that its directory exists and is writable"), false)
            }
            _ => (format!("{text} (at {target})"), false),
        };
        Failure { cause, passes }
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn targets_name_the_host_and_port_without_the_password() {
        assert_eq!(Target::of("postgres://u:p@db.internal/app").text, "db.internal:5432");
        assert_eq!(Target::of("mysql://root:a/b@127.0.0.1:3307/x").text, "127.0.0.1:3307");
        assert_eq!(Target::of("mariadb://root@h/x").text, "h:3306");
        assert_eq!(Target::of("postgres:///app").text, "localhost:5432");
        assert_eq!(Target::of("sqlite://data/app.db?mode=rwc").text, "the SQLite file data/app.db");
        assert_eq!(Target::of("mysql:root:pw@127.0.0.1:3306/x").text, "127.0.0.1:3306");
    }
}
