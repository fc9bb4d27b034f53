//! Throw-away databases of the same engine as a live one, for building "the
//! schema at revision X" and reading it back (Atlas's dev database): SQLite
//! in memory; PostgreSQL and MySQL a database created on the same server
//! (or on the server `--scratch-url` names, for users without CREATE
//! DATABASE rights) and dropped afterwards — also after an error, a panic
//! or a cancelled future, by its `Drop`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retort_core::Dialect;

use crate::db::Db;
use crate::error::Error;
use crate::testing::TestPool;

/// A database retort creates, fills and drops.
///
/// ```no_run
/// # async fn f(pool: &sqlx::PgPool, migrator: &retort::Migrator) -> Result<(), retort::Error> {
/// let scratch = retort::ScratchDatabase::beside(pool.into()).await?;
/// migrator.upgrade(scratch.db(), "head").await?;
/// let head = retort::inspect(scratch.db(), &retort::InspectOptions::default()).await?;
/// scratch.drop_database().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ScratchDatabase {
    pool: Option<TestPool>,
    /// How to reach the server to drop it, and its name (none for SQLite).
    server: Option<(Server, String)>,
}

/// How to reach a server: a fresh connection each time, so that dropping
/// from another thread's runtime never waits on this one's sockets.
#[derive(Debug, Clone)]
pub(crate) enum Server {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgConnectOptions),
    #[cfg(feature = "mysql")]
    MySql(sqlx::mysql::MySqlConnectOptions),
    /// SQLite needs no server.
    #[cfg(not(any(feature = "postgres", feature = "mysql")))]
    #[allow(dead_code)]
    None(std::convert::Infallible),
}

impl Server {
    /// Runs `sql` over a new connection.
    pub(crate) async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.execute_each(&[sql]).await
    }

    /// Runs each statement in turn over one new connection (each its own
    /// transaction, as `DROP DATABASE` and `CREATE DATABASE` need).
    pub(crate) async fn execute_each(&self, statements: &[&str]) -> Result<(), sqlx::Error> {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        use sqlx::{ConnectOptions, Connection};
        match self {
            #[cfg(feature = "postgres")]
            Server::Postgres(options) => {
                let mut conn = options.connect().await?;
                let mut result = Ok(());
                for sql in statements {
                    result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.map(drop);
                    if result.is_err() {
                        break;
                    }
                }
                let _ = conn.close().await;
                result
            }
            #[cfg(feature = "mysql")]
            Server::MySql(options) => {
                let mut conn = options.connect().await?;
                let mut result = Ok(());
                for sql in statements {
                    result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.map(drop);
                    if result.is_err() {
                        break;
                    }
                }
                let _ = conn.close().await;
                result
            }
            #[cfg(not(any(feature = "postgres", feature = "mysql")))]
            Server::None(never) => {
                let _ = statements;
                match *never {}
            }
        }
    }

    /// `DROP DATABASE IF EXISTS name`, closing its connections first where
    /// the engine can.
    pub(crate) fn drop_sql(&self, name: &str) -> String {
        format!("DROP DATABASE IF EXISTS {}{}", self.quote(name), self.force())
    }

    /// A database name, quoted for the server.
    pub(crate) fn quote(&self, name: &str) -> String {
        match self {
            #[cfg(feature = "mysql")]
            Server::MySql(_) => format!("`{name}`"),
            #[allow(unreachable_patterns)]
            _ => format!("\"{name}\""),
        }
    }

    fn force(&self) -> &'static str {
        match self {
            #[cfg(feature = "postgres")]
            Server::Postgres(_) => " WITH (FORCE)",
            #[allow(unreachable_patterns)]
            _ => "",
        }
    }
}

#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
/// `retort_scratch_<pid>_<n>_<nanoseconds>`: unique on the server.
fn scratch_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    // The clock's nanoseconds keep two containers of one pid apart on a
    // shared server.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("retort_scratch_{}_{}_{nanos:09}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl ScratchDatabase {
    /// A scratch database of `live`'s engine: on SQLite a new in-memory
    /// database, on PostgreSQL and MySQL a new database on the same server,
    /// reached with the pool's own connection options. `live` must be a
    /// pool there (a borrowed connection does not say how to reach its
    /// server).
    pub async fn beside(live: Db<'_>) -> Result<ScratchDatabase, Error> {
        match live {
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) | Db::SqliteConnection(_) => Self::sqlite().await,
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => {
                let options = (*pool.connect_options()).clone();
                Self::on_postgres(options).await
            }
            #[cfg(feature = "mysql")]
            Db::MySql(pool) => {
                let options = (*pool.connect_options()).clone();
                Self::on_mysql(options).await
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::Scratch {
                cause: "a scratch database is made beside a pool, not a single connection: pass a pool, or a scratch server's URL".to_owned(),
            }),
        }
    }

    /// A scratch database on the server `url` names (connecting to the
    /// database in the URL to create a new one beside it); `sqlite:` URLs
    /// give an in-memory database.
    pub async fn on_server(url: &str) -> Result<ScratchDatabase, Error> {
        let scheme = url.split(':').next().unwrap_or("");
        let dialect: Dialect = scheme.parse().map_err(|_| Error::Scratch {
            cause: format!("unsupported scratch URL scheme '{scheme}': use postgres://, mysql:// or sqlite://"),
        })?;
        #[allow(unused_variables)]
        let bad_url = |e: sqlx::Error| Error::Scratch { cause: format!("the scratch URL is not usable: {e}") };
        match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => Self::sqlite().await,
            #[cfg(feature = "postgres")]
            Dialect::Postgres => Self::on_postgres(url.parse().map_err(bad_url)?).await,
            #[cfg(feature = "mysql")]
            Dialect::MySql => Self::on_mysql(url.replacen("mariadb://", "mysql://", 1).parse().map_err(bad_url)?).await,
            #[allow(unreachable_patterns)]
            other => Err(Error::Scratch { cause: format!("retort was built without the {other} feature") }),
        }
    }

    /// The scratch database.
    pub fn db(&self) -> Db<'_> {
        self.pool.as_ref().expect("present until dropped").db()
    }

    /// The database's name on its server (`retort_scratch_<pid>_<n>`);
    /// `None` for SQLite in memory.
    pub fn name(&self) -> Option<&str> {
        self.server.as_ref().map(|(_, name)| name.as_str())
    }

    /// The pool, when the scratch database is on MySQL.
    #[cfg(feature = "mysql")]
    pub(crate) fn mysql_pool(&self) -> Option<&sqlx::MySqlPool> {
        match self.pool.as_ref() {
            Some(TestPool::MySql(pool)) => Some(pool),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Its engine.
    pub fn dialect(&self) -> Dialect {
        self.pool.as_ref().expect("present until dropped").dialect()
    }

    /// Runs a SQL script (a schema file) in the scratch database, statement
    /// by statement; a failing statement is an error naming `origin` and
    /// its line.
    pub async fn run_script(&self, origin: &str, sql: &str) -> Result<(), Error> {
        let statements = retort_core::split_statements(sql, self.dialect(), 1)
            .map_err(|e| Error::Scratch { cause: format!("{origin}: {e}") })?;
        let mut db = self.db();
        let mut conn = db.acquire().await.map_err(|e| Error::database("connecting to the scratch database", &e))?;
        // One transaction where DDL is transactional: a commit per
        // statement made a 3,000-statement file take seconds on PostgreSQL.
        // Not around what refuses a transaction (CREATE INDEX CONCURRENTLY).
        // Nor around a script with transactions of its own (`sqlite3 .dump`).
        let opens_its_own = statements.iter().any(|s| {
            let head = s.sql.trim_start().to_ascii_uppercase();
            head.starts_with("BEGIN") || head.starts_with("COMMIT") || head.starts_with("START TRANSACTION")
        });
        let transaction =
            self.dialect() != Dialect::MySql && !sql.to_ascii_uppercase().contains("CONCURRENTLY") && !opens_its_own;
        if transaction {
            conn.execute("BEGIN")
                .await
                .map_err(|e| Error::database("starting a transaction in the scratch database", &e))?;
        }
        for statement in statements {
            let result = conn.execute(&statement.sql).await;
            if result.is_err() {
                // Never back into the pool with the transaction open.
                conn.close_on_drop();
            }
            result.map_err(|e| Error::Scratch {
                cause: format!(
                    "{origin}:{}: {} (while building the schema it describes in a scratch database)",
                    statement.line,
                    crate::error::database_message(&e)
                ),
            })?;
        }
        if transaction {
            conn.execute("COMMIT").await.map_err(|e| Error::database("committing in the scratch database", &e))?;
        }
        if self.dialect() == Dialect::Postgres {
            // A `pg_dump -s` file empties the search_path for its session;
            // the schema is read with the database's own.
            conn.execute("RESET search_path").await.map_err(|e| Error::database("resetting the search_path", &e))?;
        }
        Ok(())
    }

    /// Drops the database (closing every connection to it first).
    pub async fn drop_database(mut self) -> Result<(), Error> {
        let result = drop_now(self.pool.take(), self.server.take()).await;
        result.map_err(|e| Error::database("dropping the scratch database", &e))
    }

    #[cfg(feature = "sqlite")]
    async fn sqlite() -> Result<ScratchDatabase, Error> {
        // One connection for the database's whole life: every connection
        // to `:memory:` is a database of its own.
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect("sqlite::memory:")
            .await
            .map_err(|e| Error::database("opening an in-memory SQLite database", &e))?;
        Ok(ScratchDatabase { pool: Some(TestPool::Sqlite(pool)), server: None })
    }

    #[cfg(feature = "postgres")]
    async fn on_postgres(options: sqlx::postgres::PgConnectOptions) -> Result<ScratchDatabase, Error> {
        let server = Server::Postgres(options.clone());
        let name = scratch_name();
        // The guard exists before the database does: a cancelled create
        // still drops what it made.
        let mut guard = ScratchDatabase { pool: None, server: Some((server.clone(), name.clone())) };
        create_on(&server, &name, "").await?;
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(options.database(&name)).await;
        guard.server = None;
        Self::finish(server, name, pool.map(TestPool::Postgres)).await
    }

    #[cfg(feature = "mysql")]
    async fn on_mysql(options: sqlx::mysql::MySqlConnectOptions) -> Result<ScratchDatabase, Error> {
        let server = Server::MySql(options.clone());
        let name = scratch_name();
        // The live database's character set and collation, so that columns
        // that do not name theirs read alike on both sides.
        let charset = mysql_charset(&options).await;
        let mut guard = ScratchDatabase { pool: None, server: Some((server.clone(), name.clone())) };
        create_on(&server, &name, &charset).await?;
        let pool = sqlx::mysql::MySqlPoolOptions::new().max_connections(2).connect_with(options.database(&name)).await;
        guard.server = None;
        Self::finish(server, name, pool.map(TestPool::MySql)).await
    }

    /// The new database, or (when it cannot be reached) none left behind.
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    async fn finish(
        server: Server,
        name: String,
        pool: Result<TestPool, sqlx::Error>,
    ) -> Result<ScratchDatabase, Error> {
        match pool {
            Ok(pool) => Ok(ScratchDatabase { pool: Some(pool), server: Some((server, name)) }),
            Err(err) => {
                let _ = drop_now(None, Some((server, name))).await;
                Err(Error::database("connecting to the scratch database", &err))
            }
        }
    }
}

/// The default character set and collation of the database `options`
/// connect to, as a `CREATE DATABASE` clause (empty when unknown).
#[cfg(feature = "mysql")]
pub(crate) async fn mysql_charset(options: &sqlx::mysql::MySqlConnectOptions) -> String {
    use sqlx::{ConnectOptions, Connection};
    let read = async {
        let mut conn = options.connect().await.ok()?;
        let sql = "SELECT CAST(DEFAULT_CHARACTER_SET_NAME AS CHAR), CAST(DEFAULT_COLLATION_NAME AS CHAR) \
                   FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()";
        let row: Option<(String, String)> = sqlx::query_as(sql).fetch_optional(&mut conn).await.ok()?;
        let _ = conn.close().await;
        row
    };
    read.await.map(|(set, collation)| format!(" CHARACTER SET {set} COLLATE {collation}")).unwrap_or_default()
}

/// `CREATE DATABASE`, with what to do when the user may not.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
async fn create_on(server: &Server, name: &str, options: &str) -> Result<(), Error> {
    server.execute(&format!("CREATE DATABASE {name}{options}")).await.map_err(|e| Error::Scratch {
        cause: format!(
            "cannot create a scratch database on this server ({}): grant the user the right to create databases, or name a server where it may with --scratch-url",
            crate::error::database_message(&e)
        ),
    })
}

async fn drop_now(pool: Option<TestPool>, server: Option<(Server, String)>) -> Result<(), sqlx::Error> {
    if let Some(pool) = pool {
        pool.close().await;
    }
    if let Some((server, name)) = server {
        server.execute(&server.drop_sql(&name)).await?;
    }
    Ok(())
}

impl Drop for ScratchDatabase {
    /// A scratch database not dropped by [`drop_database`](Self::drop_database)
    /// (an error, a panic, a cancelled future) is dropped here, on a thread
    /// of its own, giving up after 20 s.
    fn drop(&mut self) {
        // The pool's sockets belong to this thread's runtime: let them go
        // here, and drop the database over a new connection.
        drop(self.pool.take());
        let Some(server) = self.server.take() else { return };
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            let _ = runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(20), drop_now(None, Some(server))).await });
        });
        let _ = dropper.join();
    }
}
