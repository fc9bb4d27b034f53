//! A database of its own for every test, already at head, in the time of a
//! copy: the support behind `#[retort::test]`, usable as plain functions
//! from any test framework, and one-line checks of a history.
//!
//! ```ignore
//! #[retort::migrations("alembic/versions")]
//! pub struct Migrations;
//!
//! #[retort::test(migrations = Migrations, fixtures("users"))]
//! async fn renames_a_user(pool: sqlx::PgPool) {
//!     // A database of this test's own, at head, with fixtures/users.sql in it.
//! }
//! ```
//!
//! The first test of a revision set builds a template once, and every test
//! gets a copy of it:
//!
//! - **PostgreSQL:** a template database, built by the revisions and copied
//!   with `CREATE DATABASE … TEMPLATE`; a thread keeps a few copies made
//!   ahead (`RETORT_TEST_SPARES`), which a test takes by renaming one.
//! - **MySQL/MariaDB** (which cannot copy a database): the template's
//!   schema and rows read back as one SQL script (the canonical DDL a
//!   baseline holds), checked once against the template and replayed in
//!   one batch per test.
//! - **SQLite:** a file built by the revisions, copied per test.
//!
//! A template is named after the revisions' fingerprint, so it is reused
//! across runs and processes (nextest) until a revision changes, and built
//! by one process at a time (an advisory lock on servers, a file lock for
//! SQLite). Building a new one drops the project's older templates and the
//! databases kept from its failed tests.
//!
//! Each test's database is named after the test. It is dropped when the
//! test passes, and kept, and named on stderr, when it fails; it is dropped
//! when that test next runs.
//!
//! Where the databases live:
//!
//! | The test takes | Server |
//! |---|---|
//! | `sqlx::PgPool` | `RETORT_TEST_POSTGRES_URL`, else `RETORT_TEST_DATABASE_URL` or `DATABASE_URL` if it is a PostgreSQL URL |
//! | `sqlx::MySqlPool` | `RETORT_TEST_MYSQL_URL`, else `RETORT_TEST_DATABASE_URL` or `DATABASE_URL` if it is a MySQL URL |
//! | `sqlx::SqlitePool` | files under the system's temporary folder, `retort-test/` |
//! | [`TestPool`] | `RETORT_TEST_DATABASE_URL`, else `DATABASE_URL`, else SQLite |
//!
//! A server URL names a database the user can connect to and a user who
//! may create databases; the tests' databases are made beside it.

mod checks;
mod place;
#[cfg(feature = "postgres")]
mod spares;
mod template;

use std::future::Future;
use std::path::PathBuf;

use retort_core::Dialect;

use crate::db::Db;
use crate::error::Error;
use crate::migrator::Migrator;

pub use checks::{
    assert_downgrades_restore, assert_schema_file_matches, assert_single_head, assert_upgrades_from_base,
};
pub use place::{DATABASE_URL_VARS, MYSQL_URL_VAR, POSTGRES_URL_VAR};
#[cfg(feature = "postgres")]
pub use spares::SPARES_VAR;

/// A pool of a test's database, of whichever engine it is on: the argument
/// of a `#[retort::test]` that runs on the engine its environment names.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TestPool {
    /// PostgreSQL (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    /// MySQL or MariaDB (feature `mysql`).
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
    /// SQLite (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
}

impl TestPool {
    /// The pool as retort's functions take it.
    pub fn db(&self) -> Db<'_> {
        match self {
            #[cfg(feature = "postgres")]
            TestPool::Postgres(p) => p.into(),
            #[cfg(feature = "mysql")]
            TestPool::MySql(p) => p.into(),
            #[cfg(feature = "sqlite")]
            TestPool::Sqlite(p) => p.into(),
        }
    }

    /// Its engine.
    pub fn dialect(&self) -> Dialect {
        self.db().dialect()
    }

    pub(crate) async fn close(&self) {
        match self {
            #[cfg(feature = "postgres")]
            TestPool::Postgres(p) => p.close().await,
            #[cfg(feature = "mysql")]
            TestPool::MySql(p) => p.close().await,
            #[cfg(feature = "sqlite")]
            TestPool::Sqlite(p) => p.close().await,
        }
    }
}

/// What a `#[retort::test]` function can take: a pool of one engine
/// (`sqlx::PgPool`, `sqlx::MySqlPool`, `sqlx::SqlitePool`) or a
/// [`TestPool`] of the engine the environment names.
pub trait TestArgument: Sized + 'static {
    /// The engine the argument fixes, if any.
    const ENGINE: Option<Dialect>;

    /// The argument, from the test database's pool (of [`Self::ENGINE`]).
    fn from_pool(pool: &TestPool) -> Self;
}

impl TestArgument for TestPool {
    const ENGINE: Option<Dialect> = None;

    fn from_pool(pool: &TestPool) -> Self {
        pool.clone()
    }
}

macro_rules! pool_argument {
    ($feature:literal, $pool:ty, $variant:ident, $dialect:expr) => {
        #[cfg(feature = $feature)]
        impl TestArgument for $pool {
            const ENGINE: Option<Dialect> = Some($dialect);

            fn from_pool(pool: &TestPool) -> Self {
                match pool {
                    TestPool::$variant(p) => p.clone(),
                    #[allow(unreachable_patterns)]
                    other => unreachable!("a {} database was made for a {} pool", other.dialect(), $dialect),
                }
            }
        }
    };
}

pool_argument!("postgres", sqlx::PgPool, Postgres, Dialect::Postgres);
pool_argument!("mysql", sqlx::MySqlPool, MySql, Dialect::MySql);
pool_argument!("sqlite", sqlx::SqlitePool, Sqlite, Dialect::Sqlite);

/// Whether a test's result is a pass: `()` always is, a `Result` when it
/// is `Ok`.
pub trait TestOutcome {
    /// True when the test passed.
    fn passed(&self) -> bool;
}

impl TestOutcome for () {
    fn passed(&self) -> bool {
        true
    }
}

impl<T, E> TestOutcome for Result<T, E> {
    fn passed(&self) -> bool {
        self.is_ok()
    }
}

/// A SQL script applied to a test's database after the copy.
#[derive(Debug, Clone)]
struct Fixture {
    name: String,
    sql: String,
}

/// How to make one test's database: which revisions, up to where, which
/// fixtures. What `#[retort::test]` builds; usable by hand from any test
/// framework:
///
/// ```no_run
/// # async fn f(migrator: &'static retort::Migrator) -> Result<(), retort::Error> {
/// use retort::testing::Setup;
/// let database = Setup::new("billing::refunds_a_payment")
///     .migrations(migrator)
///     .fixture("users", "INSERT INTO users (name) VALUES ('ada');")
///     .create(None)
///     .await?;
/// // … the test, on database.pool() …
/// database.finish(true).await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Setup {
    test_path: String,
    migrator: Option<&'static Migrator>,
    target: String,
    fixtures: Vec<Fixture>,
    url: Option<String>,
    spares: Option<usize>,
}

impl Setup {
    /// A setup for the test `test_path` (`module::name`, which names its
    /// database), with no revisions: an empty database.
    pub fn new(test_path: impl Into<String>) -> Setup {
        Setup {
            test_path: test_path.into(),
            migrator: None,
            target: "heads".to_owned(),
            fixtures: Vec::new(),
            url: None,
            spares: None,
        }
    }

    /// The revisions the database is at (all heads, unless [`at`](Self::at)
    /// says otherwise).
    pub fn migrations(mut self, migrator: &'static Migrator) -> Setup {
        self.migrator = Some(migrator);
        self
    }

    /// Stops the database at `target` (an id, a label, `head`…) instead of
    /// every head.
    pub fn at(mut self, target: impl Into<String>) -> Setup {
        self.target = target.into();
        self
    }

    /// A SQL script to run after the copy, in this order with the others;
    /// `name` names it in errors.
    pub fn fixture(mut self, name: impl Into<String>, sql: impl Into<String>) -> Setup {
        self.fixtures.push(Fixture { name: name.into(), sql: sql.into() });
        self
    }

    /// The server to make the database on, instead of the environment's
    /// (`postgres://…`, `mysql://…`; `sqlite:` for files).
    pub fn on_server(mut self, url: impl Into<String>) -> Setup {
        self.url = Some(url.into());
        self
    }

    /// PostgreSQL: how many copies of the template to keep made ahead
    /// (instead of `RETORT_TEST_SPARES`, 2 by default); 0 makes every
    /// test copy the template itself.
    pub fn spares(mut self, spares: usize) -> Setup {
        self.spares = Some(spares);
        self
    }

    /// The name of the template this setup copies (a database on a server,
    /// `<name>.sqlite` for SQLite); `None` without revisions.
    pub fn template_name(&self) -> Option<String> {
        self.migrator.map(|m| template::Fingerprint::of(m, &self.target).template_name())
    }

    /// Makes the test's database: on `engine` (`None`: the engine the
    /// environment names, SQLite when it names none), a copy of the
    /// template of the revisions, then the fixtures. A database of the same
    /// name left by an earlier run is dropped first.
    pub async fn create(self, engine: Option<Dialect>) -> Result<TestDatabase, Error> {
        let place = place::Place::resolve(engine, self.url.as_deref())?;
        let fingerprint = self.migrator.map(|m| template::Fingerprint::of(m, &self.target));
        let made = place.make(&self.test_path, self.migrator, &self.target, fingerprint.as_ref(), self.spares).await?;
        let database =
            TestDatabase { pool: made.pool, location: made.location, test_path: self.test_path, done: false };
        for fixture in &self.fixtures {
            if let Err(err) = place::run_fixture(database.pool.db(), fixture).await {
                database.finish(false).await;
                return Err(err);
            }
        }
        Ok(database)
    }
}

/// Where a test's database is, to drop or name it.
#[derive(Debug, Clone)]
enum Location {
    /// A file (SQLite).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    File(PathBuf),
    /// A database on a server: how to reach the server, its name, and its
    /// URL to show (password hidden).
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    Server { admin: Box<place::Admin>, name: String, shown: String },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Server { shown, .. } => f.write_str(shown),
        }
    }
}

/// One test's database. [`finish`](Self::finish) drops it when the test
/// passed and keeps it (naming it on stderr) when it failed; dropped
/// without `finish`, it is kept if the thread is panicking and dropped
/// otherwise.
#[derive(Debug)]
pub struct TestDatabase {
    pool: TestPool,
    location: Location,
    test_path: String,
    done: bool,
}

impl TestDatabase {
    /// A pool of the database.
    pub fn pool(&self) -> &TestPool {
        &self.pool
    }

    /// The database's name on its server, or its file's path (SQLite).
    pub fn name(&self) -> String {
        match &self.location {
            Location::File(path) => path.display().to_string(),
            Location::Server { name, .. } => name.clone(),
        }
    }

    /// Where it is, to connect to it: its URL (password hidden) or its
    /// file's path.
    pub fn location(&self) -> String {
        self.location.to_string()
    }

    /// Closes the pool; drops the database if the test `passed`, else
    /// keeps it and says where it is. Failing to drop is said on stderr,
    /// not raised: the test's outcome is what matters.
    pub async fn finish(mut self, passed: bool) {
        self.done = true;
        self.pool.close().await;
        if passed {
            if let Err(err) = place::drop_database(&self.location).await {
                eprintln!("retort: could not drop the database of {}: {err}", self.test_path);
            }
        } else {
            self.say_kept();
        }
    }

    fn say_kept(&self) {
        eprintln!(
            "retort: kept the database of the failed test {}: {} (dropped when this test next runs)",
            self.test_path, self.location
        );
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if std::thread::panicking() {
            self.say_kept();
            return;
        }
        // Dropped from a runtime that may be going away: a thread and a
        // runtime of its own, as a scratch database does.
        let location = self.location.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(20), place::drop_database(&location)).await;
            });
        });
        let _ = dropper.join();
    }
}

/// Runs one test on a database of its own: what `#[retort::test]` expands
/// to. Makes the database (panicking with the reason when it cannot), runs
/// `test` on a current-thread runtime, drops the database when the test
/// passed and keeps it when it failed or panicked, and gives back the
/// test's result (or its panic).
///
/// ```no_run
/// # static MIGRATOR: std::sync::OnceLock<retort::Migrator> = std::sync::OnceLock::new();
/// #[test]
/// fn counts_users() {
///     let migrator = MIGRATOR.get_or_init(|| retort::Migrator::from_dir("alembic/versions").unwrap());
///     let setup = retort::testing::Setup::new("counts_users").migrations(migrator);
///     retort::testing::run(setup, |pool: sqlx::SqlitePool| async move {
///         sqlx::query("SELECT 1").execute(&pool).await.unwrap();
///     })
/// }
/// ```
pub fn run<A, F, Fut>(setup: Setup, test: F) -> Fut::Output
where
    A: TestArgument,
    F: FnOnce(A) -> Fut,
    Fut: Future + 'static,
    Fut::Output: TestOutcome + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("retort: cannot start a runtime for the test: {e}"));
    let local = tokio::task::LocalSet::new();
    let test_path = setup.test_path.clone();
    local.block_on(&runtime, async move {
        let database = setup
            .create(A::ENGINE)
            .await
            .unwrap_or_else(|e| panic!("retort: cannot make the database of the test {test_path}: {e}"));
        let argument = A::from_pool(database.pool());
        // A task of its own, so that a panic is caught and the database kept.
        match tokio::task::spawn_local(test(argument)).await {
            Ok(outcome) => {
                database.finish(outcome.passed()).await;
                outcome
            }
            Err(failure) => {
                database.finish(false).await;
                match failure.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    Err(failure) => panic!("the test {test_path} did not finish: {failure}"),
                }
            }
        }
    })
}
