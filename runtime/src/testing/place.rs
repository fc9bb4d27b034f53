//! Where test databases are made: which server (or SQLite files), from the
//! environment; making, naming and dropping one test's database.

use std::path::{Path, PathBuf};

use retort_core::Dialect;

use super::template::{self, Fingerprint};
use super::{Fixture, Location, TestPool};
use crate::db::Db;
use crate::error::Error;
use crate::migrator::Migrator;
use crate::scratch::Server;

/// The variable naming the PostgreSQL server of tests that take a `PgPool`.
pub const POSTGRES_URL_VAR: &str = "RETORT_TEST_POSTGRES_URL";
/// The variable naming the MySQL/MariaDB server of tests that take a
/// `MySqlPool`.
pub const MYSQL_URL_VAR: &str = "RETORT_TEST_MYSQL_URL";
/// The variables, in order, naming the server of tests that take a
/// [`TestPool`] (and of the others when their own variable is not set and
/// this one's engine is theirs).
pub const DATABASE_URL_VARS: [&str; 2] = ["RETORT_TEST_DATABASE_URL", "DATABASE_URL"];

/// A server where tests' databases are made, and the URL that named it.
#[derive(Debug, Clone)]
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) struct Admin {
    pub server: Server,
    pub url: String,
}

impl Admin {
    async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.server.execute(sql).await
    }
}

/// Where this test's database goes.
pub(super) enum Place {
    /// SQLite files under this folder.
    #[cfg(feature = "sqlite")]
    Files(PathBuf),
    /// A server.
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    Server(Box<Admin>),
}

/// A test's new database.
pub(super) struct Made {
    pub pool: TestPool,
    pub location: Location,
}

fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn engine_of(url: &str) -> Option<Dialect> {
    url.split(':').next().and_then(|scheme| scheme.parse().ok())
}

impl Place {
    /// The place for a test on `engine` (`None`: the environment's), or for
    /// the URL a setup names.
    pub(super) fn resolve(engine: Option<Dialect>, explicit: Option<&str>) -> Result<Place, Error> {
        let general = explicit
            .map(|url| ("the setup's URL", url.to_owned()))
            .or_else(|| DATABASE_URL_VARS.iter().find_map(|var| variable(var).map(|url| (*var, url))));
        let (origin, url) = match engine {
            None => match general {
                None => return Self::files(),
                Some(found) => found,
            },
            Some(Dialect::Sqlite) => return Self::files(),
            Some(engine) => {
                let own = if engine == Dialect::Postgres { POSTGRES_URL_VAR } else { MYSQL_URL_VAR };
                let found = explicit
                    .map(|url| ("the setup's URL", url.to_owned()))
                    .or_else(|| variable(own).map(|url| (own, url)))
                    .or_else(|| general.filter(|(_, url)| engine_of(url) == Some(engine)));
                found.ok_or_else(|| Error::Scratch {
                    cause: format!(
                        "this test takes a {engine} pool, and no {engine} server is named: set {own} (or {}) to the URL of a database whose user may create databases, such as {}",
                        DATABASE_URL_VARS.join(" or "),
                        if engine == Dialect::Postgres {
                            "postgres://postgres@127.0.0.1:5432/postgres"
                        } else {
                            "mysql://root@127.0.0.1:3306/mysql"
                        }
                    ),
                })?
            }
        };
        crate::redact::hide_password_of(&url);
        let bad = |why: String| Error::Scratch {
            cause: crate::redact::redact(&format!("{origin} ({url}) is not a usable database URL: {why}")),
        };
        match engine_of(&url) {
            #[cfg(feature = "sqlite")]
            Some(Dialect::Sqlite) => Self::files(),
            #[cfg(feature = "postgres")]
            Some(Dialect::Postgres) => {
                let options = url.parse().map_err(|e: sqlx::Error| bad(e.to_string()))?;
                Ok(Place::Server(Box::new(Admin { server: Server::Postgres(options), url })))
            }
            #[cfg(feature = "mysql")]
            Some(Dialect::MySql) => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                let options = url.parse().map_err(|e: sqlx::Error| bad(e.to_string()))?;
                Ok(Place::Server(Box::new(Admin { server: Server::MySql(options), url })))
            }
            #[allow(unreachable_patterns)]
            Some(other) => Err(bad(format!("retort was built without its {other} feature"))),
            None => Err(bad("use postgres://, mysql:// or sqlite:".to_owned())),
        }
    }

    #[cfg(feature = "sqlite")]
    fn files() -> Result<Place, Error> {
        Ok(Place::Files(std::env::temp_dir().join("retort-test")))
    }

    #[cfg(not(feature = "sqlite"))]
    fn files() -> Result<Place, Error> {
        Err(Error::Scratch {
            cause: "this test runs on SQLite, and retort was built without its sqlite feature: enable it, or name a server in RETORT_TEST_DATABASE_URL".to_owned(),
        })
    }

    /// The test's database: dropped if an earlier run left it, then copied
    /// from the revisions' template (or empty, with no revisions).
    pub(super) async fn make(
        &self,
        test_path: &str,
        migrator: Option<&'static Migrator>,
        target: &str,
        fingerprint: Option<&Fingerprint>,
        spares: Option<usize>,
    ) -> Result<Made, Error> {
        let project = fingerprint.map_or("00000000", |f| f.project.as_str());
        let with_template = migrator.zip(fingerprint);
        match self {
            #[cfg(feature = "sqlite")]
            Place::Files(root) => {
                let file = root.join(project).join(format!("{}.sqlite", file_stem(test_path)));
                make_file(root, &file, with_template, target).await
            }
            Place::Server(admin) => {
                make_on_server(admin, &database_name(project, test_path), with_template, target, spares).await
            }
        }
    }
}

/// A test path as a file name: `tests::users::renames` →
/// `tests.users.renames`; a path too long for a file name keeps its tail
/// and a hash of the whole.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
fn file_stem(test_path: &str) -> String {
    const LONGEST: usize = 200;
    let stem: String = test_path
        .replace("::", ".")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if stem.len() <= LONGEST {
        return stem;
    }
    format!("{}.{}", template::short_hash(test_path, 12), &stem[stem.len() - (LONGEST - 13)..])
}

/// `retort_t_<project>_<the test path's tail>_<hash>`: at most 62
/// characters (PostgreSQL keeps 63, MySQL 64), the test's own name kept
/// whole where it fits, and unique through the hash of the whole path.
pub(super) fn database_name(project: &str, test_path: &str) -> String {
    let mut tail: String =
        test_path.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    while tail.contains("__") {
        tail = tail.replace("__", "_");
    }
    let tail = tail.trim_matches('_');
    let tail = &tail[tail.len().saturating_sub(36)..];
    let hash = template::short_hash(test_path, 7);
    format!("retort_t_{project}_{}_{hash}", tail.trim_start_matches('_'))
}

#[cfg(feature = "sqlite")]
async fn make_file(
    root: &Path,
    file: &Path,
    with_template: Option<(&'static Migrator, &Fingerprint)>,
    target: &str,
) -> Result<Made, Error> {
    let io = |doing: String| move |err: std::io::Error| Error::Scratch { cause: format!("{doing}: {err}") };
    // The template first: building one clears the project's folder.
    let template = match with_template {
        Some((migrator, fingerprint)) => Some(template::sqlite(root, migrator, target, fingerprint).await?),
        None => None,
    };
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder).map_err(io(format!("creating {}", folder.display())))?;
    }
    remove_sqlite_files(file);
    if let Some(template) = template {
        std::fs::copy(&template, file).map_err(io(format!(
            "copying the template {} to {}",
            template.display(),
            file.display()
        )))?;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file).create_if_missing(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| Error::database(format!("opening {}", file.display()), &e))?;
    Ok(Made { pool: TestPool::Sqlite(pool), location: Location::File(file.to_owned()) })
}

/// A database file and the files SQLite and retort keep beside it.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(super) fn remove_sqlite_files(file: &Path) {
    let _ = std::fs::remove_file(file);
    for suffix in ["-journal", "-wal", "-shm", ".retort-lock"] {
        let mut beside = file.as_os_str().to_owned();
        beside.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(beside));
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn make_on_server(
    admin: &Admin,
    name: &str,
    with_template: Option<(&'static Migrator, &Fingerprint)>,
    target: &str,
    spares: Option<usize>,
) -> Result<Made, Error> {
    #[cfg(not(feature = "postgres"))]
    let _ = spares;
    let location =
        Location::Server { admin: Box::new(admin.clone()), name: name.to_owned(), shown: shown_url(admin, name) };
    let failed = |doing: &str| {
        let doing = format!("{doing} {name}");
        move |e: sqlx::Error| Error::database(doing, &e)
    };
    let url = &admin.url;
    match &admin.server {
        #[cfg(feature = "postgres")]
        Server::Postgres(options) => {
            match with_template {
                Some((migrator, fingerprint)) => {
                    let template = template::postgres(options, url, migrator, target, fingerprint).await?;
                    let spares = super::spares::wanted(spares);
                    super::spares::make(options, &template, fingerprint, name, spares).await
                }
                None => {
                    // Any database an earlier run kept, then a new one.
                    let server = &admin.server;
                    server.execute_each(&[&server.drop_sql(name), &format!("CREATE DATABASE \"{name}\"")]).await
                }
            }
            .map_err(failed("making the test database"))?;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .connect_with(options.clone().database(name))
                .await
                .map_err(failed("connecting to"))?;
            Ok(Made { pool: TestPool::Postgres(pool), location })
        }
        #[cfg(feature = "mysql")]
        Server::MySql(options) => {
            let template = match with_template {
                Some((migrator, fingerprint)) => {
                    Some(template::mysql(options, url, migrator, target, fingerprint).await?)
                }
                None => None,
            };
            let charset = match &template {
                Some(t) => t.charset.clone(),
                None => crate::scratch::mysql_charset(options).await,
            };
            admin
                .server
                .execute_each(&[&admin.server.drop_sql(name), &format!("CREATE DATABASE `{name}`{charset}")])
                .await
                .map_err(failed("making the test database"))?;
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(4)
                .connect_with(options.clone().database(name))
                .await
                .map_err(failed("connecting to"))?;
            let made = Made { pool: TestPool::MySql(pool), location };
            if let (Some(template), Some((migrator, _))) = (template, with_template) {
                let filled = match &template.script {
                    Some(script) => sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
                        .execute(match &made.pool {
                            TestPool::MySql(p) => p,
                            #[allow(unreachable_patterns)]
                            _ => unreachable!(),
                        })
                        .await
                        .map(drop)
                        .map_err(failed("copying the template's script into")),
                    None => migrator.upgrade(made.pool.db(), target).await.map(drop),
                };
                if let Err(err) = filled {
                    made.pool.close().await;
                    let _ = drop_database(&made.location).await;
                    return Err(err);
                }
            }
            Ok(made)
        }
    }
}

#[cfg(not(any(feature = "postgres", feature = "mysql")))]
async fn make_on_server(
    admin: &Admin,
    _: &str,
    _: Option<(&'static Migrator, &Fingerprint)>,
    _: &str,
    _: Option<usize>,
) -> Result<Made, Error> {
    match admin.server {
        Server::None(never) => match never {},
    }
}

/// The server URL with `name` for its database, password hidden.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn shown_url(admin: &Admin, name: &str) -> String {
    let url = admin.url.as_str();
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let query = if query.is_empty() { String::new() } else { format!("?{query}") };
    crate::redact::redact(&format!("{}/{name}{query}", &base[..path_start]))
}

/// Drops a test's database (or removes its file).
pub(super) async fn drop_database(location: &Location) -> Result<(), Error> {
    match location {
        Location::File(path) => {
            remove_sqlite_files(path);
            Ok(())
        }
        Location::Server { admin, name, .. } => admin
            .execute(&admin.server.drop_sql(name))
            .await
            .map_err(|e| Error::database(format!("dropping the test database {name}"), &e)),
    }
}

/// Runs a fixture's statements in one transaction (where the engine's DDL
/// is transactional); an error names the fixture and the statement's line.
pub(super) async fn run_fixture(mut db: Db<'_>, fixture: &Fixture) -> Result<(), Error> {
    let dialect = db.dialect();
    let statements = retort_core::split_statements(&fixture.sql, dialect, 1)
        .map_err(|e| Error::Scratch { cause: format!("fixture {}: {e}", fixture.name) })?;
    let mut conn = db.acquire().await.map_err(|e| Error::database("connecting to the test database", &e))?;
    let transaction = dialect != Dialect::MySql;
    if transaction {
        conn.execute("BEGIN").await.map_err(|e| Error::database("starting the fixtures' transaction", &e))?;
    }
    for statement in statements {
        if let Err(err) = conn.execute(&statement.sql).await {
            conn.close_on_drop();
            return Err(Error::Scratch {
                cause: format!("fixture {}:{}: {}", fixture.name, statement.line, crate::error::database_message(&err)),
            });
        }
    }
    if transaction {
        conn.execute("COMMIT").await.map_err(|e| Error::database("committing the fixtures", &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_fit_every_server_and_keep_the_test_name() {
        let name = database_name("0a1b2c3d", "app::billing::tests::refunds_a_payment");
        assert!(name.starts_with("retort_t_0a1b2c3d_"), "{name}");
        assert!(name.contains("refunds_a_payment"), "{name}");
        let long = database_name("0a1b2c3d", &format!("{}::the_test", "very_long_module_name::".repeat(8)));
        assert!(long.len() <= 62, "{long} is {} long", long.len());
        assert!(long.contains("the_test"));
        assert_ne!(database_name("p", "a::b"), database_name("p", "a_b"), "the hash tells apart paths that read alike");
    }

    #[test]
    fn file_names_keep_the_path() {
        assert_eq!(file_stem("tests::users::renames"), "tests.users.renames");
        assert_eq!(file_stem("a::b<T>"), "a.b_T_");
        let long = file_stem(&format!("{}the_test", "module::".repeat(60)));
        assert!(long.len() <= 200 && long.ends_with("module.the_test"), "{long}");
    }
}
