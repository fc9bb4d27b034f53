//! Helpers for the integration tests: throw-away databases on every
//! available backend, and versions directories written on the fly.
//!
//! SQLite always runs. PostgreSQL and MySQL/MariaDB run when
//! `RETORT_TEST_POSTGRES_URL` and `RETORT_TEST_MYSQL_URL` name a server
//! (an admin URL: each test creates and drops its own database there). In CI
//! (`CI` set) a missing URL is a failure, never a skip.

pub mod generated;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use retort::Db;

/// A database backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in a temporary file.
    Sqlite,
    /// PostgreSQL, from `RETORT_TEST_POSTGRES_URL`.
    Postgres,
    /// MySQL or MariaDB, from `RETORT_TEST_MYSQL_URL`.
    MySql,
}

const PG_VAR: &str = "RETORT_TEST_POSTGRES_URL";
const MYSQL_VAR: &str = "RETORT_TEST_MYSQL_URL";

/// The backends this run tests: SQLite, and the servers whose URLs are set.
/// Says on stderr which it skips and how to enable them; fails in CI.
pub fn backends() -> Vec<Backend> {
    let mut found = vec![Backend::Sqlite];
    for (backend, var, example) in [
        (Backend::Postgres, PG_VAR, "postgres://postgres@127.0.0.1:5432/test"),
        (Backend::MySql, MYSQL_VAR, "mysql://root@127.0.0.1:3306/test"),
    ] {
        if std::env::var_os(var).is_some() {
            found.push(backend);
        } else if std::env::var_os("CI").is_some() {
            panic!("{var} is not set: CI must test {backend:?} against a real server");
        } else {
            say_once(&format!("skipping {backend:?}: set {var} to an admin URL such as {example} to test it"));
        }
    }
    found
}

/// The URL `retort::testing::Setup::on_server` takes for `backend`:
/// `sqlite:` for files, else the server's admin URL.
pub fn server_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => "sqlite:".to_owned(),
        Backend::Postgres => std::env::var(PG_VAR).expect("backends() said it is set"),
        Backend::MySql => std::env::var(MYSQL_VAR).expect("backends() said it is set"),
    }
}

impl From<&retort::testing::TestPool> for Pool {
    fn from(pool: &retort::testing::TestPool) -> Pool {
        match pool {
            retort::testing::TestPool::Sqlite(p) => Pool::Sqlite(p.clone()),
            retort::testing::TestPool::Postgres(p) => Pool::Postgres(p.clone()),
            retort::testing::TestPool::MySql(p) => Pool::MySql(p.clone()),
            _ => unreachable!("retort-tests enables every backend"),
        }
    }
}

/// Writes a note to the terminal once per process, past the test harness's
/// output capture (a skipped backend must be visible in a passing run).
pub fn say_once(note: &str) {
    use std::io::Write;
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|s| s == note) {
        said.push(note.to_owned());
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A unique name for this process and call.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{n}_{}", std::process::id(), nanos % 100_000)
}

/// A fresh temporary directory.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A pool of one backend.
#[derive(Debug, Clone)]
pub enum Pool {
    /// SQLite.
    Sqlite(sqlx::SqlitePool),
    /// PostgreSQL.
    Postgres(sqlx::PgPool),
    /// MySQL.
    MySql(sqlx::MySqlPool),
}

impl Pool {
    /// The pool as retort takes it.
    pub fn db(&self) -> Db<'_> {
        match self {
            Pool::Sqlite(p) => p.into(),
            Pool::Postgres(p) => p.into(),
            Pool::MySql(p) => p.into(),
        }
    }

    /// Runs SQL, panicking on error.
    pub async fn exec(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Pool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Pool::MySql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The first column of every row, as text (cast it in SQL).
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Pool::Sqlite(p) => sqlx::query_scalar::<_, String>(sql).fetch_all(p).await,
            Pool::Postgres(p) => sqlx::query_scalar::<_, String>(sql).fetch_all(p).await,
            Pool::MySql(p) => sqlx::query_scalar::<_, String>(sql).fetch_all(p).await,
        }
        .unwrap()
    }

    /// True when `table` exists.
    pub async fn has_table(&self, table: &str) -> bool {
        let sql = match self {
            Pool::Sqlite(_) => format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            Pool::Postgres(_) => format!(
                "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{table}'"
            ),
            Pool::MySql(_) => format!(
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"
            ),
        };
        !self.strings(&sql).await.is_empty()
    }

    /// The names of the tables of the database (its current schema), sorted.
    pub async fn table_names(&self) -> Vec<String> {
        let sql = match self {
            Pool::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            Pool::Postgres(_) => {
                "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
            }
            Pool::MySql(_) => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1"
            }
        };
        self.strings(sql).await
    }

    /// The version table's rows, sorted.
    pub async fn versions(&self, table: &str) -> Vec<String> {
        let mut rows = self.strings(&format!("SELECT version_num FROM {table}")).await;
        rows.sort();
        rows
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
    }
}

/// A throw-away database.
pub struct TestDb {
    /// Its backend.
    pub backend: Backend,
    /// A URL to connect to it.
    pub url: String,
    admin: Option<(String, String)>,
}

impl TestDb {
    /// Creates an empty database on `backend`.
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let path = temp_dir("retort_sqlite").join("test.db");
                TestDb { backend, url: format!("sqlite://{}?mode=rwc", path.display()), admin: None }
            }
            Backend::Postgres | Backend::MySql => {
                let var = if backend == Backend::Postgres { PG_VAR } else { MYSQL_VAR };
                let admin = std::env::var(var).unwrap();
                let name = unique("retort_t");
                let url = with_database(&admin, &name);
                let admin_pool = Self::admin_pool(backend, &admin).await;
                admin_pool.exec(&format!("CREATE DATABASE {name}")).await;
                admin_pool.close().await;
                TestDb { backend, url, admin: Some((admin, name)) }
            }
        }
    }

    async fn admin_pool(backend: Backend, url: &str) -> Pool {
        match backend {
            Backend::Postgres => {
                Pool::Postgres(sqlx::pool::PoolOptions::new().max_connections(1).connect(url).await.unwrap())
            }
            Backend::MySql => {
                Pool::MySql(sqlx::pool::PoolOptions::new().max_connections(1).connect(url).await.unwrap())
            }
            Backend::Sqlite => {
                Pool::Sqlite(sqlx::pool::PoolOptions::new().max_connections(1).connect(url).await.unwrap())
            }
        }
    }

    /// A pool of at most `max` connections to the database.
    pub async fn pool_with(&self, max: u32) -> Pool {
        match self.backend {
            Backend::Sqlite => {
                Pool::Sqlite(sqlx::pool::PoolOptions::new().max_connections(max).connect(&self.url).await.unwrap())
            }
            Backend::Postgres => {
                Pool::Postgres(sqlx::pool::PoolOptions::new().max_connections(max).connect(&self.url).await.unwrap())
            }
            Backend::MySql => {
                Pool::MySql(sqlx::pool::PoolOptions::new().max_connections(max).connect(&self.url).await.unwrap())
            }
        }
    }

    /// A pool of up to 4 connections.
    pub async fn pool(&self) -> Pool {
        self.pool_with(4).await
    }

    /// Drops the database (the SQLite file stays in the temp directory).
    pub async fn drop_db(mut self) {
        if let Some(admin) = self.admin.take() {
            drop_database(self.backend, admin).await;
        }
    }

    /// The end of a test that passed: closes `pool`, then drops the database.
    pub async fn finish(self, pool: Pool) {
        pool.close().await;
        self.drop_db().await;
    }
}

/// A test that panics before [`TestDb::finish`] still drops its database,
/// so a failing suite leaves no databases behind on the server.
impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = self.admin.take() else { return };
        let backend = self.backend;
        // Drop cannot await, and the test's own runtime may be the one
        // unwinding: drop on a runtime of its own, in a thread of its own,
        // and give up after a while rather than hang the suite.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(drop_database(backend, admin));
            }
            let _ = done.send(());
        });
        if finished.recv_timeout(std::time::Duration::from_secs(20)).is_err() {
            eprintln!("note: a test database could not be dropped (error or 20 s timeout); it stays on the server");
        }
    }
}

/// `DROP DATABASE` of the test database `name`, through the server URL `admin`.
async fn drop_database(backend: Backend, (admin, name): (String, String)) {
    let pool = TestDb::admin_pool(backend, &admin).await;
    let force = if backend == Backend::Postgres { " WITH (FORCE)" } else { "" };
    pool.exec(&format!("DROP DATABASE IF EXISTS {name}{force}")).await;
    pool.close().await;
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    match path_start {
        Some(i) => format!("{}/{name}{query}", &base[..i]),
        None => format!("{base}/{name}{query}"),
    }
}

/// One revision file to write.
#[derive(Debug, Clone)]
pub struct Rev {
    /// Its id.
    pub id: String,
    /// Its `Revises`.
    pub down: Vec<String>,
    /// Its `Depends On`.
    pub depends_on: Vec<String>,
    /// Its `Branch Labels`.
    pub labels: Vec<String>,
    /// `Transactional: false` when false.
    pub transactional: bool,
    /// The upgrade section (plain).
    pub up: String,
    /// The downgrade section; `None` for none at all.
    pub down_sql: Option<String>,
    /// Extra text after the standard sections (dialect sections).
    pub extra: String,
}

impl Rev {
    /// A revision creating table `t_<id>` and dropping it on downgrade.
    pub fn table(id: &str, down: &[&str]) -> Rev {
        Rev::sql(id, down, &format!("CREATE TABLE t_{id} (id INTEGER PRIMARY KEY);"), &format!("DROP TABLE t_{id};"))
    }

    /// A revision with the given SQL.
    pub fn sql(id: &str, down: &[&str], up: &str, down_sql: &str) -> Rev {
        Rev {
            id: id.to_owned(),
            down: down.iter().map(|s| s.to_string()).collect(),
            depends_on: Vec::new(),
            labels: Vec::new(),
            transactional: true,
            up: up.to_owned(),
            down_sql: Some(down_sql.to_owned()),
            extra: String::new(),
        }
    }

    /// Adds `Depends On`.
    pub fn depends_on(mut self, deps: &[&str]) -> Rev {
        self.depends_on = deps.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Adds branch labels.
    pub fn labels(mut self, labels: &[&str]) -> Rev {
        self.labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Marks it `Transactional: false`.
    pub fn non_transactional(mut self) -> Rev {
        self.transactional = false;
        self
    }

    /// The file's text.
    pub fn text(&self) -> String {
        let mut text =
            format!("-- Revision {}\n--\n-- Revision ID: {}\n-- Revises: {}\n", self.id, self.id, self.down.join(", "));
        if !self.depends_on.is_empty() {
            text.push_str(&format!("-- Depends On: {}\n", self.depends_on.join(", ")));
        }
        if !self.labels.is_empty() {
            text.push_str(&format!("-- Branch Labels: {}\n", self.labels.join(", ")));
        }
        if !self.transactional {
            text.push_str("-- Transactional: false\n");
        }
        text.push_str(&format!("\n-- upgrade\n{}\n", self.up));
        if let Some(down) = &self.down_sql {
            text.push_str(&format!("\n-- downgrade\n{down}\n"));
        }
        text.push_str(&self.extra);
        text
    }
}

/// Writes `revisions` into a new versions directory.
pub fn versions(revisions: &[Rev]) -> PathBuf {
    let dir = temp_dir("retort_versions");
    write_versions(&dir, revisions);
    dir
}

/// Writes `revisions` into `dir`.
pub fn write_versions(dir: &Path, revisions: &[Rev]) {
    for rev in revisions {
        std::fs::write(dir.join(format!("{}_revision.sql", rev.id)), rev.text()).unwrap();
    }
}

/// The path of the helper binary that migrates from the command line.
pub fn migrate_binary() -> PathBuf {
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    path.join(format!("retort-test-migrate{}", std::env::consts::EXE_SUFFIX))
}

/// A Python with alembic (and psycopg2): `RETORT_PYTHON`, else the
/// workspace's `.venv`. `None` outside CI when there is none (the caller
/// says it skipped); a failure in CI.
pub fn python_with_alembic() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates =
        std::env::var_os("RETORT_PYTHON").map(PathBuf::from).into_iter().chain([root.join(".venv/bin/python")]);
    for candidate in candidates {
        let ok = std::process::Command::new(&candidate)
            .args(["-c", "import alembic, sqlalchemy, psycopg2"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(candidate);
        }
    }
    let message = "no Python with alembic and psycopg2: create one with `python3 -m venv .venv && \
                   .venv/bin/pip install -r requirements-test.txt` or set RETORT_PYTHON";
    assert!(std::env::var_os("CI").is_none(), "{message} (CI must run the Alembic tests)");
    say_once(&format!("skipping the Alembic interop test: {message}"));
    None
}

/// The head schema of a small history, in SQL every backend runs.
pub const HEAD_SCHEMA: &str = "
CREATE TABLE account (id integer PRIMARY KEY, email varchar(50) NOT NULL, nick varchar(20), legacy varchar(20), score integer DEFAULT 0);
CREATE TABLE note (id integer PRIMARY KEY, account_id integer, body varchar(200));
CREATE INDEX ix_note_body ON note (body);
CREATE TABLE gone (id integer PRIMARY KEY);
CREATE VIEW v_acc AS SELECT id, email FROM account;";

/// What a team wants instead of [`HEAD_SCHEMA`]: every kind of change
/// once (a type widened, a column renamed, one dropped, nullability and
/// default changed, one added, a CHECK, a UNIQUE, a foreign key, an index
/// moved, a table dropped and one added, a view changed).
pub const DESIRED_SCHEMA: &str = "
CREATE TABLE account (
    id integer PRIMARY KEY,
    email varchar(100) NOT NULL,
    nickname varchar(20),
    score integer NOT NULL DEFAULT 1,
    created_at integer,
    CONSTRAINT ck_score CHECK (score >= 0),
    CONSTRAINT uq_email UNIQUE (email)
);
CREATE TABLE note (id integer PRIMARY KEY, account_id integer REFERENCES account (id) ON DELETE CASCADE, body varchar(200));
CREATE INDEX ix_note_account ON note (account_id);
CREATE TABLE fresh (id integer PRIMARY KEY);
CREATE VIEW v_acc AS SELECT id, email, score FROM account;";

/// One schema in one spelling per backend, and the same schema in another.
/// SQLite and MySQL keep a name's case as written, and so does the
/// comparison; PostgreSQL folds unquoted names, so only its second
/// spelling changes their case.
pub fn two_spellings(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Postgres => (
            "CREATE TYPE mood AS ENUM ('sad', 'ok');
             CREATE TABLE account (
                 id serial PRIMARY KEY,
                 email varchar(50) NOT NULL UNIQUE,
                 nick text DEFAULT 'x',
                 score integer DEFAULT 0 CHECK (score >= 0 AND score < 100),
                 created timestamptz DEFAULT now(),
                 m mood,
                 price numeric(10,2)
             );
             CREATE TABLE note (
                 id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                 account_id integer REFERENCES account(id) ON DELETE CASCADE,
                 body text
             );
             CREATE INDEX note_body_lower ON note (lower(body)) WHERE body IS NOT NULL;
             CREATE VIEW v_acc AS SELECT id, email FROM account WHERE score > 1;",
            "create type MOOD as enum ('sad', 'ok');
             create table ACCOUNT (
                 ID SERIAL,
                 EMAIL CHARACTER VARYING(50) not null,
                 NICK TEXT default 'x'::text,
                 SCORE INT4 default (0),
                 CREATED TIMESTAMP WITH TIME ZONE default CURRENT_TIMESTAMP,
                 M MOOD,
                 PRICE DECIMAL(10, 2),
                 constraint account_pkey primary key (ID),
                 unique (EMAIL),
                 check (((SCORE >= 0) and (SCORE < 100)))
             );
             create table NOTE (
                 BODY TEXT,
                 ACCOUNT_ID INT4,
                 ID INTEGER GENERATED BY DEFAULT AS IDENTITY,
                 primary key (ID),
                 foreign key (ACCOUNT_ID) references ACCOUNT (ID) on delete cascade
             );
             create index NOTE_BODY_LOWER on NOTE (LOWER((BODY)::text)) where (BODY is not null);
             create view V_ACC as select ID, EMAIL from ACCOUNT where (SCORE > 1);",
        ),
        Backend::MySql => (
            "CREATE TABLE account (
                 id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
                 email varchar(50) NOT NULL,
                 active boolean DEFAULT true,
                 score int DEFAULT 0,
                 created timestamp NULL DEFAULT CURRENT_TIMESTAMP,
                 price decimal(10,2),
                 CONSTRAINT uq_email UNIQUE (email),
                 CONSTRAINT score_range CHECK (score >= 0 AND score < 100)
             );
             CREATE TABLE note (
                 id int NOT NULL PRIMARY KEY,
                 account_id int,
                 body varchar(200),
                 FOREIGN KEY (account_id) REFERENCES account(id) ON DELETE CASCADE
             );
             CREATE INDEX note_body ON note (body(20));
             CREATE VIEW v_acc AS SELECT id, email FROM account WHERE score > 1;",
            "create table account (
                 id INTEGER(11) not null auto_increment,
                 email VARCHAR (50) not null,
                 active TINYINT(1) default 1,
                 score INTEGER default '0',
                 created TIMESTAMP null default now(),
                 price DECIMAL(10, 2),
                 primary key (id),
                 unique key uq_email (email),
                 constraint score_range check ((score >= 0) and (score < 100))
             );
             create table note (
                 body VARCHAR(200),
                 account_id INT(11),
                 id INT(11) not null,
                 primary key (id),
                 foreign key (account_id) references account (id) on delete cascade
             );
             create index note_body on note (body(20));
             create view v_acc as select id as id, email as email from account where (score > 1);",
        ),
        Backend::Sqlite => (
            "CREATE TABLE account (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 email varchar(50) NOT NULL UNIQUE,
                 score INTEGER DEFAULT 0 CHECK (score >= 0 AND score < 100),
                 created TEXT DEFAULT CURRENT_TIMESTAMP,
                 name TEXT COLLATE NOCASE
             );
             CREATE TABLE note (
                 id INTEGER PRIMARY KEY,
                 account_id INTEGER REFERENCES account(id) ON DELETE CASCADE,
                 body TEXT
             );
             CREATE INDEX note_body_lower ON note (lower(body)) WHERE body IS NOT NULL;
             CREATE VIEW v_acc AS SELECT id, email FROM account WHERE score > 1;",
            "create table account (
                 id integer primary key autoincrement,
                 email VARCHAR ( 50 ) not null,
                 score integer default (0),
                 created text default current_timestamp,
                 name text collate nocase,
                 unique (email),
                 check ((score >= 0) and (score < 100))
             );
             create table note (
                 id integer primary key,
                 account_id integer,
                 body text,
                 foreign key (account_id) references account (id) on delete cascade
             );
             create index note_body_lower on note (LOWER( body )) where (body is not null);
             create view v_acc as select id, email from account where (score > 1);",
        ),
    }
}
