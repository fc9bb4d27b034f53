//! Applying N revisions, and starting at head, with retort beside sqlx's
//! `Migrator` and a raw baseline (the same statements in one transaction, no
//! bookkeeping), on an SQLite file and on PostgreSQL; whole-process times,
//! medians of 5 runs, ratios to the raw baseline of the same run.
//!
//! `cargo run --release -p retort-bench --bin apply [-- N …]` (N defaults
//! to 100 and 1000). PostgreSQL is measured when `RETORT_BENCH_POSTGRES_URL`
//! names a server where databases may be created (an admin URL).
//!
//! The revisions are one statement each, cycling create table / add column
//! / create index. refinery is not measured yet.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn statement(i: usize) -> String {
    match i % 3 {
        0 => format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT)"),
        1 => format!("ALTER TABLE t{} ADD COLUMN c{i} INTEGER", i - 1),
        _ => format!("CREATE INDEX i{i} ON t{} (name)", i - 2),
    }
}

/// Writes the N revisions for each tool under `root`.
fn generate(root: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(root);
    for dir in ["retort", "sqlx"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    let mut raw = String::new();
    for i in 0..n {
        let sql = statement(i);
        let id = format!("{i:012x}");
        let revises = if i == 0 { String::new() } else { format!("{:012x}", i - 1) };
        std::fs::write(
            root.join("retort").join(format!("{id}_r{i}.sql")),
            format!("-- r{i}\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{sql};\n\n-- downgrade\n"),
        )
        .unwrap();
        std::fs::write(root.join("sqlx").join(format!("{:06}_r{i}.sql", i + 1)), format!("{sql};\n")).unwrap();
        raw.push_str(&sql);
        raw.push_str(";\n");
    }
    std::fs::write(root.join("raw.sql"), raw).unwrap();
}

/// The worker: one whole process doing one tool's job.
async fn work(tool: &str, url: &str, root: &Path) {
    let postgres = url.starts_with("postgres");
    macro_rules! with_pool {
        ($pool:ident => $body:expr) => {
            if postgres {
                let $pool = sqlx::PgPool::connect(url).await.unwrap();
                $body
            } else {
                let $pool = sqlx::SqlitePool::connect(url).await.unwrap();
                $body
            }
        };
    }
    match tool {
        "retort" => with_pool!(pool => {
            retort::Migrator::from_dir(root.join("retort")).unwrap().upgrade(&pool, "heads").await.unwrap();
        }),
        "sqlx" => with_pool!(pool => {
            sqlx::migrate::Migrator::new(root.join("sqlx")).await.unwrap().run(&pool).await.unwrap();
        }),
        "raw" => with_pool!(pool => {
            let mut tx = pool.begin().await.unwrap();
            for sql in std::fs::read_to_string(root.join("raw.sql")).unwrap().split(";\n").filter(|s| !s.trim().is_empty()) {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }),
        // A bare connect and one query: the floor of a start at head.
        "raw-head" => with_pool!(pool => {
            sqlx::raw_sql("SELECT 1").execute(&pool).await.unwrap();
        }),
        other => panic!("unknown tool {other}"),
    }
}

fn run_worker(tool: &str, url: &str, root: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(std::env::current_exe().unwrap()).args(["work", tool, url]).arg(root).status().unwrap();
    assert!(status.success(), "{tool} failed on {url}");
    started.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A fresh, empty database: an SQLite file or a new PostgreSQL database.
fn fresh(backend: &str, admin: Option<&str>, n: usize, round: usize, tool: &str) -> String {
    if backend == "sqlite" {
        let path = std::env::temp_dir().join(format!("retort-bench-{tool}-{n}-{round}.db"));
        let _ = std::fs::remove_file(&path);
        return format!("sqlite://{}?mode=rwc", path.display());
    }
    let admin = admin.unwrap();
    let name = format!("retort_bench_{tool}_{n}_{round}");
    let psql = |sql: &str| {
        Command::new("psql").args([admin, "-q", "-c", sql]).status().unwrap();
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    psql(&format!("CREATE DATABASE {name}"));
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("work") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(work(&args[1], &args[2], Path::new(&args[3])));
        return;
    }
    let sizes: Vec<usize> = {
        let n: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        if n.is_empty() { vec![100, 1_000] } else { n }
    };
    let admin = std::env::var("RETORT_BENCH_POSTGRES_URL").ok();
    let mut backends = vec!["sqlite"];
    if admin.is_some() {
        backends.push("postgres");
    }
    println!(
        "| backend | N | raw apply | retort apply | sqlx apply | raw connect+query | retort at head | sqlx at head |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let root: PathBuf = std::env::temp_dir().join(format!("retort-bench-apply-{n}"));
        generate(&root, n);
        for backend in &backends {
            let mut apply = std::collections::BTreeMap::<&str, Vec<Duration>>::new();
            let mut head = std::collections::BTreeMap::<&str, Vec<Duration>>::new();
            for round in 0..5 {
                for tool in ["raw", "retort", "sqlx"] {
                    let url = fresh(backend, admin.as_deref(), n, round, tool);
                    apply.entry(tool).or_default().push(run_worker(tool, &url, &root));
                    let at_head_tool = if tool == "raw" { "raw-head" } else { tool };
                    head.entry(tool).or_default().push(run_worker(at_head_tool, &url, &root));
                }
            }
            let a = |t: &str| median(apply[t].clone());
            let h = |t: &str| median(head[t].clone());
            let ratio =
                |x: Duration, base: Duration| format!("{} ({:.2}×)", ms(x), x.as_secs_f64() / base.as_secs_f64());
            println!(
                "| {backend} | {n} | {} | {} | {} | {} | {} | {} |",
                ms(a("raw")),
                ratio(a("retort"), a("raw")),
                ratio(a("sqlx"), a("raw")),
                ms(h("raw")),
                ratio(h("retort"), h("raw")),
                ratio(h("sqlx"), h("raw")),
            );
        }
    }
}
