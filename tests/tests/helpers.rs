//! The test helpers themselves: a failing test leaves no database behind.

use retort_tests::{Backend, TestDb, backends};

/// Whether a connection to `url` succeeds, that is whether its database exists.
async fn database_exists(backend: Backend, url: &str) -> bool {
    match backend {
        Backend::Postgres => match sqlx::PgPool::connect(url).await {
            Ok(pool) => {
                pool.close().await;
                true
            }
            Err(_) => false,
        },
        Backend::MySql => match sqlx::MySqlPool::connect(url).await {
            Ok(pool) => {
                pool.close().await;
                true
            }
            Err(_) => false,
        },
        Backend::Sqlite => unreachable!("SQLite test databases are files in a temporary directory"),
    }
}

#[tokio::test]
async fn a_test_database_is_dropped_even_when_its_test_panics() {
    for backend in backends().into_iter().filter(|b| *b != Backend::Sqlite) {
        let (sent, received) = std::sync::mpsc::channel();
        let failing = tokio::spawn(async move {
            let db = TestDb::create(backend).await;
            sent.send(db.url.clone()).unwrap();
            panic!("this panic is the test: the database must be dropped as it unwinds");
        });
        assert!(failing.await.unwrap_err().is_panic(), "{backend:?}");
        let url = received.recv().unwrap();
        assert!(!database_exists(backend, &url).await, "{backend:?}: {url} is still there after the panic");

        let db = TestDb::create(backend).await;
        let url = db.url.clone();
        assert!(database_exists(backend, &url).await, "{backend:?}: {url} was not created");
        let pool = db.pool().await;
        db.finish(pool).await;
        assert!(!database_exists(backend, &url).await, "{backend:?}: finish left {url}");
    }
}
