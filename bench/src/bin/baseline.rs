//! A new database of an N-revision history: every revision applied, beside
//! the baseline of the last revision applied at once, in one run, each a
//! whole `retort upgrade head` process, median of the rounds. Also what
//! writing the baseline costs (once: it builds the schema from the
//! revisions in a scratch database).
//!
//! ```text
//! cargo build --release -p retort-cli
//! cargo run --release -p retort-bench --bin baseline -- [N …] [--rounds R]
//! ```
//!
//! The history is the benchmark's usual one (create table, add column,
//! create index, in turn). SQLite always; PostgreSQL with
//! `RETORT_BENCH_POSTGRES_URL` (a server where databases may be created and
//! dropped), up to 6,000 revisions: a baseline is one transaction, and its
//! locks outgrow PostgreSQL's default `max_locks_per_transaction` beyond.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Connection;

const DB: &str = "retort_bench_baseline";

/// Writes `n` one-statement revisions into `dir`; returns the last id.
fn write_history(dir: &Path, n: usize) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let (up, down) = match i % 3 {
            0 => (format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT)"), format!("DROP TABLE t{i}")),
            1 => (
                format!("ALTER TABLE t{} ADD COLUMN c{i} INTEGER", i - 1),
                format!("ALTER TABLE t{} DROP COLUMN c{i}", i - 1),
            ),
            _ => (format!("CREATE INDEX i{i} ON t{} (name)", i - 2), format!("DROP INDEX i{i}")),
        };
        let id = format!("{i:012x}");
        let revises = if i == 0 { String::new() } else { format!("{:012x}", i - 1) };
        let text = format!(
            "-- Revision {i}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{up};\n\n-- downgrade\n{down};\n"
        );
        std::fs::write(dir.join(format!("{id}_revision_{i}.sql")), text).unwrap();
    }
    format!("{:012x}", n - 1)
}

fn retort_binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("target/release/retort");
    assert!(path.exists(), "build it first: cargo build --release -p retort-cli");
    path
}

/// Runs `retort` and returns how long it took; panics on failure.
fn run(args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(retort_binary()).args(args).env_remove("DATABASE_URL").output().unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "retort {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    took
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 { format!("{s:.2} s") } else { format!("{:.1} ms", s * 1e3) }
}

/// A fresh, empty database for one upgrade: its URL.
async fn fresh(engine: &str, work: &Path, round: usize, which: &str) -> String {
    match engine {
        "SQLite" => {
            let path = work.join(format!("{which}-{round}.db"));
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        }
        _ => {
            let admin = std::env::var("RETORT_BENCH_POSTGRES_URL").unwrap();
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {DB}_{which}")))
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {DB}_{which}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
            format!("{base}/{DB}_{which}")
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut sizes = Vec::new();
    let mut rounds = 3;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(3),
            n => sizes.push(n.replace(['_', ','], "").parse::<usize>().expect("usage: baseline [N …] [--rounds R]")),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    let mut engines = vec!["SQLite"];
    if std::env::var_os("RETORT_BENCH_POSTGRES_URL").is_some() {
        engines.push("PostgreSQL");
    }
    println!("| engine | revisions | every revision | from the baseline | ratio | writing the baseline (once) |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    for engine in engines {
        for &n in &sizes {
            if engine != "SQLite" && n > 6_000 {
                // 2 objects per 3 revisions, each holding a lock until the
                // one transaction commits.
                notes.push(format!(
                    "PostgreSQL at {n}: a baseline of {} tables and indexes is one transaction, past the ~6,400 locks of the default max_locks_per_transaction; not measured",
                    n * 2 / 3
                ));
                continue;
            }
            let work = std::env::temp_dir().join(format!("retort-bench-baseline-{n}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&work);
            let versions = work.join("versions");
            let last = write_history(&versions, n);
            let dir = versions.display().to_string();
            let dialect = if engine == "SQLite" { "sqlite" } else { "postgresql" };
            let scratch = fresh(engine, &work, 0, "scratch").await;
            let mut write = vec!["--dir", &dir, "baseline", &last, "--dialects", dialect];
            if engine != "SQLite" {
                write.extend(["--scratch-url", &scratch]);
            }
            let writing = run(&write);
            let (mut every, mut from_baseline) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let url = fresh(engine, &work, round, "every").await;
                every.push(run(&["--dir", &dir, "--database-url", &url, "upgrade", "head", "--no-baseline", "-q"]));
                let url = fresh(engine, &work, round, "baseline").await;
                from_baseline.push(run(&["--dir", &dir, "--database-url", &url, "upgrade", "head", "-q"]));
            }
            let (every, from_baseline) = (median(every), median(from_baseline));
            println!(
                "| {engine} | {n} | {} | {} | {:.0}× | {} |",
                time(every),
                time(from_baseline),
                every.as_secs_f64() / from_baseline.as_secs_f64(),
                time(writing)
            );
            let _ = std::fs::remove_dir_all(&work);
        }
    }
    for note in notes {
        println!("\n{note}");
    }
}
