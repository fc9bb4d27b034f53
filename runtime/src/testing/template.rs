//! Templates: one prepared database per revision set, built once (per
//! process, and across processes under a lock) and copied for every test.

use std::fmt::Write as _;
#[cfg(feature = "sqlite")]
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::error::Error;
use crate::migrator::Migrator;

/// What names a template: the project (its versions directory, version
/// table and target) and the revisions themselves.
#[derive(Debug, Clone)]
pub(super) struct Fingerprint {
    /// Eight hex digits: a new revision set of the same project replaces
    /// the project's older templates.
    pub project: String,
    /// Twelve hex digits of every revision's id, parents and checksum.
    pub revisions: String,
}

/// The first `len` hex digits of the checksum of `text`.
pub(super) fn short_hash(text: &str, len: usize) -> String {
    let digest = retort_core::checksum::checksum(text);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex.truncate(len);
    hex
}

/// A `LIKE` pattern for names that start with `prefix`.
pub(super) fn like(prefix: &str) -> String {
    format!("{}%", prefix.replace('_', "\\_"))
}

impl Fingerprint {
    /// The fingerprint of `migrator`'s revisions up to `target`, worked out
    /// once per process (it hashes every revision; a test asks for it each
    /// time it makes a database).
    pub(super) fn of(migrator: &'static Migrator, target: &str) -> Fingerprint {
        type Known = Vec<(usize, String, Fingerprint)>;
        static KNOWN: Mutex<Known> = Mutex::new(Vec::new());
        // A `&'static` migrator never moves nor goes: its address names it.
        let address = std::ptr::from_ref(migrator) as usize;
        let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, found)) = known.iter().find(|(a, t, _)| *a == address && t == target) {
            return found.clone();
        }
        let fingerprint = Self::compute(migrator, target);
        known.push((address, target.to_owned(), fingerprint.clone()));
        fingerprint
    }

    fn compute(migrator: &Migrator, target: &str) -> Fingerprint {
        let table = migrator.version_table();
        let project = format!(
            "{} {} {} {target}",
            migrator.dir().map(|d| d.display().to_string()).unwrap_or_default(),
            table.schema.as_deref().unwrap_or(""),
            table.name
        );
        let mut revisions = project.clone();
        let graph = migrator.graph();
        for revision in graph.revisions().iter().chain(graph.baselines()) {
            let _ =
                write!(revisions, " {} {} {}", revision.id, revision.checksum_hex(), revision.down_revisions.join(","));
        }
        Fingerprint { project: short_hash(&project, 8), revisions: short_hash(&revisions, 12) }
    }

    /// `retort_tpl_<project>_<revisions>`.
    pub(super) fn template_name(&self) -> String {
        format!("retort_tpl_{}_{}", self.project, self.revisions)
    }

    /// `retort_s_<project>_<revisions>_`: the names of the template's
    /// PostgreSQL spares start so.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) fn spare_prefix(&self) -> String {
        format!("retort_s_{}_{}_", self.project, self.revisions)
    }

    /// `LIKE` patterns of every database of the project, whatever its
    /// revisions: templates, spares, and the databases kept from failed
    /// tests — stale once the revisions change.
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    pub(super) fn project_patterns(&self) -> Vec<String> {
        ["retort_tpl_", "retort_s_", "retort_t_"].iter().map(|kind| like(&format!("{kind}{}_", self.project))).collect()
    }
}

/// The templates this process knows, by server and name: each built or
/// found once, whatever the number of threads asking.
fn cell<T: Clone + Send + Sync + 'static>(key: String) -> Arc<OnceCell<T>> {
    type Cells = Vec<(String, Arc<dyn std::any::Any + Send + Sync>)>;
    static CELLS: Mutex<Cells> = Mutex::new(Vec::new());
    let mut cells = CELLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = cells.iter().find(|(k, _)| *k == key).and_then(|(_, c)| c.clone().downcast().ok()) {
        return found;
    }
    let made = Arc::new(OnceCell::new());
    cells.push((key, made.clone()));
    made
}

/// A failure to build a template, with what to do.
fn build_error(template: &str, err: Error) -> Error {
    Error::Scratch {
        cause: format!(
            "building the test template {template} failed: {err}\n(every test of these revisions needs it; fix the revision, or run `retort upgrade` on an empty database to see the same error)"
        ),
    }
}

/// The template file of SQLite tests: `<root>/retort_tpl_….sqlite`.
#[cfg(feature = "sqlite")]
pub(super) async fn sqlite(
    root: &Path,
    migrator: &'static Migrator,
    target: &str,
    fingerprint: &Fingerprint,
) -> Result<PathBuf, Error> {
    let name = fingerprint.template_name();
    let path = root.join(format!("{name}.sqlite"));
    let cell = cell::<PathBuf>(format!("sqlite {}", path.display()));
    let built = cell.get_or_try_init(|| build_sqlite(root, &path, migrator, target, fingerprint)).await?;
    Ok(built.clone())
}

#[cfg(feature = "sqlite")]
async fn build_sqlite(
    root: &Path,
    path: &Path,
    migrator: &'static Migrator,
    target: &str,
    fingerprint: &Fingerprint,
) -> Result<PathBuf, Error> {
    if path.exists() {
        return Ok(path.to_owned());
    }
    let io = |doing: String| move |err: std::io::Error| Error::Scratch { cause: format!("{doing}: {err}") };
    std::fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
    // One process builds; the others wait here, then find it built.
    let lock_path = root.join(format!("retort_tpl_{}.lock", fingerprint.project));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(format!("opening {}", lock_path.display())))?;
    loop {
        match lock.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            Err(std::fs::TryLockError::Error(err)) => return Err(io(format!("locking {}", lock_path.display()))(err)),
        }
    }
    if path.exists() {
        return Ok(path.to_owned());
    }
    // The revisions changed: the project's older templates, and the
    // databases kept from its failed tests, are stale.
    let older = format!("retort_tpl_{}_", fingerprint.project);
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let file_name = file_name.to_string_lossy();
            if file_name.starts_with(&older) && file_name.ends_with(".sqlite") {
                super::place::remove_sqlite_files(&entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir_all(root.join(&fingerprint.project));
    let building = root.join(format!("{}.building-{}.sqlite", fingerprint.template_name(), std::process::id()));
    super::place::remove_sqlite_files(&building);
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&building)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| Error::database(format!("creating {}", building.display()), &e))?;
    let upgraded = migrator.upgrade(&pool, target).await;
    pool.close().await;
    if let Err(err) = upgraded {
        super::place::remove_sqlite_files(&building);
        return Err(build_error(&path.display().to_string(), err));
    }
    let mut lock_beside = building.as_os_str().to_owned();
    lock_beside.push(".retort-lock");
    let _ = std::fs::remove_file(PathBuf::from(lock_beside));
    std::fs::rename(&building, path).map_err(io(format!("moving the template into {}", path.display())))?;
    Ok(path.to_owned())
}

/// The name of the PostgreSQL template database of these revisions, built
/// if the server does not have it yet.
#[cfg(feature = "postgres")]
pub(super) async fn postgres(
    admin: &sqlx::postgres::PgConnectOptions,
    url: &str,
    migrator: &'static Migrator,
    target: &str,
    fingerprint: &Fingerprint,
) -> Result<String, Error> {
    let name = fingerprint.template_name();
    let cell = cell::<String>(format!("postgres {url} {name}"));
    let built = cell.get_or_try_init(|| build_postgres(admin, &name, migrator, target, fingerprint)).await?;
    Ok(built.clone())
}

#[cfg(feature = "postgres")]
async fn build_postgres(
    admin: &sqlx::postgres::PgConnectOptions,
    name: &str,
    migrator: &'static Migrator,
    target: &str,
    fingerprint: &Fingerprint,
) -> Result<String, Error> {
    use sqlx::{ConnectOptions, Connection};
    let failed = |doing: &'static str| move |e: sqlx::Error| Error::database(doing, &e);
    let mut conn = admin.connect().await.map_err(failed("connecting to the test server"))?;
    let key = i64::from_str_radix(&short_hash(&format!("retort template {}", fingerprint.project), 15), 16)
        .unwrap_or_default();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut conn)
        .await
        .map_err(failed("waiting for the lock on the test template"))?;
    let built = async {
        let state: Option<bool> = sqlx::query_scalar("SELECT datistemplate FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut conn)
            .await
            .map_err(failed("looking for the test template"))?;
        if state == Some(true) {
            return Ok(());
        }
        // New revisions (or a build that died half way): the project's
        // other templates, their spares and the databases kept from its
        // failed tests go.
        let stale: Vec<String> =
            sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname = $1 OR datname LIKE ANY($2)")
                .bind(name)
                .bind(fingerprint.project_patterns())
                .fetch_all(&mut conn)
                .await
                .map_err(failed("looking for stale test databases"))?;
        for database in stale {
            // One statement at a time: several would make one transaction,
            // which DROP DATABASE refuses.
            for sql in [
                format!("ALTER DATABASE \"{database}\" WITH IS_TEMPLATE false"),
                format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .map_err(failed("dropping a stale test database"))?;
            }
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .map_err(failed("creating the test template"))?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(admin.clone().database(name))
            .await
            .map_err(failed("connecting to the test template"));
        let upgraded = match pool {
            Ok(pool) => {
                let upgraded = migrator.upgrade(&pool, target).await.map(drop);
                pool.close().await;
                upgraded
            }
            Err(err) => Err(err),
        };
        // Marked a template (and closed to connections, which would stop
        // copies) only once complete.
        let finish = match upgraded {
            Ok(()) => format!("ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"),
            Err(err) => {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
                    .execute(&mut conn)
                    .await;
                return Err(build_error(name, err));
            }
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(finish))
            .execute(&mut conn)
            .await
            .map_err(failed("marking the test template"))?;
        Ok(())
    }
    .await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut conn).await;
    let _ = conn.close().await;
    built.map(|()| name.to_owned())
}

/// A MySQL template: the script that fills an empty database like the
/// revisions do (`None`: replay the revisions), and the character set
/// clause of the server's databases.
#[cfg(feature = "mysql")]
#[derive(Debug, Clone)]
pub(super) struct MySqlTemplate {
    pub script: Option<Arc<str>>,
    pub charset: String,
}

/// The MySQL template of these revisions: kept on the server in a database
/// of its own (`retort_tpl_…`, one table holding the script), built if the
/// server does not have it yet.
#[cfg(feature = "mysql")]
pub(super) async fn mysql(
    admin: &sqlx::mysql::MySqlConnectOptions,
    url: &str,
    migrator: &'static Migrator,
    target: &str,
    fingerprint: &Fingerprint,
) -> Result<MySqlTemplate, Error> {
    let name = fingerprint.template_name();
    let cell = cell::<MySqlTemplate>(format!("mysql {url} {name}"));
    let built = cell.get_or_try_init(|| build_mysql(admin, url, &name, migrator, target, fingerprint)).await?;
    Ok(built.clone())
}

#[cfg(feature = "mysql")]
async fn build_mysql(
    admin: &sqlx::mysql::MySqlConnectOptions,
    url: &str,
    name: &str,
    migrator: &'static Migrator,
    target: &str,
    fingerprint: &Fingerprint,
) -> Result<MySqlTemplate, Error> {
    use sqlx::{ConnectOptions, Connection};
    let failed = |doing: &'static str| move |e: sqlx::Error| Error::database(doing, &e);
    let charset = crate::scratch::mysql_charset(admin).await;
    let mut conn = admin.connect().await.map_err(failed("connecting to the test server"))?;
    let lock = format!("retort_tpl_{}", fingerprint.project);
    sqlx::query("SELECT GET_LOCK(?, 3600)")
        .bind(&lock)
        .execute(&mut conn)
        .await
        .map_err(failed("waiting for the lock on the test template"))?;
    let built = async {
        let stored: Result<Option<(i8, String)>, _> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT replay, CAST(body AS CHAR) FROM `{name}`.script")))
                .fetch_optional(&mut conn)
                .await;
        if let Ok(Some((replay, body))) = stored {
            return Ok(MySqlTemplate { script: (replay == 0).then(|| Arc::from(body)), charset: charset.clone() });
        }
        let patterns = fingerprint.project_patterns();
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME = ? OR SCHEMA_NAME LIKE ? OR SCHEMA_NAME LIKE ? OR SCHEMA_NAME LIKE ?",
        )
        .bind(name)
        .bind(&patterns[0])
        .bind(&patterns[1])
        .bind(&patterns[2])
        .fetch_all(&mut conn)
        .await
        .map_err(failed("looking for stale test databases"))?;
        for database in stale {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{database}`")))
                .execute(&mut conn)
                .await
                .map_err(failed("dropping a stale test database"))?;
        }
        let script = mysql_script(url, migrator, target).await.map_err(|e| build_error(name, e))?;
        let (replay, body) = match &script {
            Ok(sql) => (0_i8, sql.as_str()),
            Err(why) => {
                eprintln!(
                    "retort: MySQL tests of these revisions replay them for every test, as the template cannot be copied as a script: {why}"
                );
                (1, "")
            }
        };
        let create = format!(
            "CREATE DATABASE `{name}`{charset}; CREATE TABLE `{name}`.script (replay TINYINT NOT NULL, body LONGTEXT NOT NULL)"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&mut conn).await.map_err(failed("creating the test template"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO `{name}`.script (replay, body) VALUES (?, ?)")))
            .bind(replay)
            .bind(body)
            .execute(&mut conn)
            .await
            .map_err(failed("storing the test template"))?;
        Ok(MySqlTemplate { script: script.ok().map(Arc::from), charset: charset.clone() })
    }
    .await;
    let _ = sqlx::query("SELECT RELEASE_LOCK(?)").bind(&lock).execute(&mut conn).await;
    let _ = conn.close().await;
    built
}

/// The script that makes an empty MySQL database what the revisions make
/// it (schema, every table's rows, the version table): built in a scratch
/// database, written as canonical DDL and rows, replayed in a second one
/// and compared. `Ok(Err(why))` when the copy would not be faithful.
#[cfg(feature = "mysql")]
async fn mysql_script(url: &str, migrator: &Migrator, target: &str) -> Result<Result<String, String>, Error> {
    use crate::scratch::ScratchDatabase;
    let options = crate::InspectOptions::default()
        .with_bookkeeping(true)
        .with_version_table(migrator.version_table().name.clone());
    let built = ScratchDatabase::on_server(url).await?;
    migrator.upgrade(built.db(), target).await?;
    let schema = crate::inspect(built.db(), &options).await?;
    let mut rows = Vec::new();
    for table in schema.tables.values() {
        rows.push(crate::table_rows(built.db(), table).await?);
    }
    built.drop_database().await?;
    let script = match retort_core::schema::baseline_sql(&schema, &rows) {
        Ok(script) if script.notes.is_empty() => script.sql,
        Ok(script) => return Ok(Err(script.notes.join("; "))),
        Err(why) => return Ok(Err(why)),
    };
    let copy = ScratchDatabase::on_server(url).await?;
    let Some(pool) = copy.mysql_pool() else { return Ok(Err("not a MySQL server".to_owned())) };
    if let Err(err) = sqlx::raw_sql(sqlx::AssertSqlSafe(script.clone())).execute(pool).await {
        return Ok(Err(format!("the script fails: {}", crate::error::database_message(&err))));
    }
    let copied = crate::inspect(copy.db(), &options).await?;
    let differences = retort_core::schema::compare(&schema, &copied);
    if !differences.is_empty() {
        let listed: Vec<String> = differences.changes.iter().map(ToString::to_string).collect();
        return Ok(Err(format!("the copy differs from the template: {}", listed.join("; "))));
    }
    for expected in &rows {
        let Some(table) = copied.tables.get(&expected.table) else { continue };
        if crate::table_rows(copy.db(), table).await? != *expected {
            return Ok(Err(format!("the rows of {} differ in the copy", expected.table)));
        }
    }
    copy.drop_database().await?;
    Ok(Ok(script))
}
