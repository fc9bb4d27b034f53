//! PostgreSQL spares: copies of a template made ahead of the tests that
//! will take them. A `CREATE DATABASE … TEMPLATE` costs tens to hundreds of
//! milliseconds whatever the schema (it copies every catalog); renaming a
//! spare costs one. A thread of the process keeps a few spares of each
//! template it has used (`RETORT_TEST_SPARES`, 2 by default, 0 for none),
//! making them while tests run; a test takes one by renaming it, and makes
//! its own copy when none is ready. Spares outlive the process, so the next
//! run starts with them, and go with their template when the revisions
//! change.

use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use super::template::{Fingerprint, like};

/// The variable that says how many spares to keep per template.
pub const SPARES_VAR: &str = "RETORT_TEST_SPARES";

/// How many spares to keep: `asked`, else the variable's, else 2.
pub(super) fn wanted(asked: Option<usize>) -> usize {
    asked.or_else(|| std::env::var(SPARES_VAR).ok()?.trim().parse().ok()).unwrap_or(2)
}

async fn run(conn: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(conn).await.map(drop)
}

/// Makes the database `name` over one connection: drops the one an
/// earlier run kept, then renames a spare to it, or copies the template
/// when no spare is ready; then asks for the spares to be topped up.
pub(super) async fn make(
    admin: &PgConnectOptions,
    template: &str,
    fingerprint: &Fingerprint,
    name: &str,
    spares: usize,
) -> Result<(), sqlx::Error> {
    let prefix = fingerprint.spare_prefix();
    let mut conn = admin.connect().await?;
    let made = async {
        run(&mut conn, format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
        if spares > 0 {
            let ready: Vec<String> =
                sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1 ORDER BY oid")
                    .bind(like(&prefix))
                    .fetch_all(&mut conn)
                    .await?;
            for spare in ready {
                // Another process may take it first: then the next.
                if run(&mut conn, format!("ALTER DATABASE \"{spare}\" RENAME TO \"{name}\"")).await.is_ok() {
                    return Ok(());
                }
            }
        }
        run(&mut conn, format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).await
    }
    .await;
    let _ = conn.close().await;
    if spares > 0 {
        top_up(Refill { admin: admin.clone(), template: template.to_owned(), prefix, spares });
    }
    made
}

/// What the spares thread is asked: keep `spares` copies of `template`.
struct Refill {
    admin: PgConnectOptions,
    template: String,
    prefix: String,
    spares: usize,
}

/// Hands the request to the process's spares thread, starting it if need be.
fn top_up(request: Refill) {
    static WORKER: Mutex<Option<Sender<Refill>>> = Mutex::new(None);
    let mut worker = WORKER.lock().unwrap_or_else(|e| e.into_inner());
    let request = match worker.as_ref() {
        Some(sender) => match sender.send(request) {
            Ok(()) => return,
            // The thread is gone: a new one.
            Err(returned) => returned.0,
        },
        None => request,
    };
    let (sender, receiver) = channel::<Refill>();
    let started = std::thread::Builder::new().name("retort-test-spares".to_owned()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        while let Ok(first) = receiver.recv() {
            // Requests that queued meanwhile ask the same: one pass each.
            let mut pending = vec![first];
            pending.extend(receiver.try_iter());
            pending.dedup_by(|a, b| a.prefix == b.prefix);
            for request in pending {
                // A failure leaves the tests to copy for themselves.
                let _ = runtime.block_on(fill(&request));
            }
        }
    });
    if started.is_ok() && sender.send(request).is_ok() {
        *worker = Some(sender);
    }
}

/// Makes spares until there are as many as asked.
async fn fill(request: &Refill) -> Result<(), sqlx::Error> {
    let mut conn = request.admin.connect().await?;
    let result = async {
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE $1")
            .bind(like(&request.prefix))
            .fetch_one(&mut conn)
            .await?;
        for _ in have.max(0) as usize..request.spares {
            let name = format!("{}{}", request.prefix, nonce());
            run(&mut conn, format!("CREATE DATABASE \"{name}\" TEMPLATE \"{}\"", request.template)).await?;
        }
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    result
}

/// Eight hex digits unique to this process and moment.
fn nonce() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let seed = format!("{} {} {nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    super::template::short_hash(&seed, 8)
}
