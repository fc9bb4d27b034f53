//! What operators see: a tracing span per revision with its id, direction
//! and duration, events for the lock, and no password anywhere.

use std::io::Write;
use std::sync::{Arc, Mutex};

use retort::Migrator;
use retort_tests::{Backend, Rev, TestDb, backends, versions};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_revision_has_a_span_and_the_lock_has_events() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let backend = if backends().contains(&Backend::Postgres) { Backend::Postgres } else { Backend::Sqlite };
    let db = TestDb::create(backend).await;
    let pool = db.pool().await;
    let m =
        Migrator::from_dir(versions(&[Rev::table("aaaa0001", &[]), Rev::table("bbbb0002", &["aaaa0001"])])).unwrap();
    m.upgrade(pool.db(), "head").await.unwrap();
    m.downgrade(pool.db(), "-1").await.unwrap();
    db.finish(pool).await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("revision{id=\"aaaa0001\" direction=\"upgrade\""), "{text}");
    assert!(text.contains("revision{id=\"bbbb0002\" direction=\"downgrade\""), "{text}");
    assert!(text.contains("duration_ms="), "{text}");
    if backend == Backend::Postgres {
        assert!(text.contains("migration lock acquired"), "{text}");
    }
    assert!(!text.contains("password"), "{text}");
}

#[test]
fn errors_never_show_a_password() {
    let err = retort::redact("error connecting to postgres://app:hunter2@db.internal:5432/app: refused");
    assert!(!err.contains("hunter2"));
    assert!(err.contains("postgres://app:***@db.internal:5432/app"));
}
