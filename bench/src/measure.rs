//! Running workers against fresh databases: whole-process wall time and
//! peak memory, many rounds, medians.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::workers::{Tool, Worker};

/// Where the databases are made.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A file in the temporary directory.
    Sqlite,
    /// New databases on the server of this admin URL.
    Postgres { admin: String },
}

impl Backend {
    /// How many locks one transaction can hold at most on a PostgreSQL
    /// server (`max_locks_per_transaction × max_connections`).
    pub async fn lock_slots(&self) -> Option<u64> {
        let Backend::Postgres { admin } = self else { return None };
        let mut conn = sqlx::PgConnection::connect(admin).await.ok()?;
        let sql = "SELECT CAST(current_setting('max_locks_per_transaction') AS BIGINT) * CAST(current_setting('max_connections') AS BIGINT)";
        let slots: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.ok()?;
        conn.close().await.ok();
        u64::try_from(slots).ok()
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite file",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }

    /// A new, empty database for `tool`; returns its URL. What earlier runs
    /// left for the disk to write is flushed first (`sync`, PostgreSQL's
    /// `CHECKPOINT`), so that no run pays for the one before it.
    pub async fn fresh(&self, tool: Tool) -> String {
        let name = format!("retort_bench_{}", tool.name());
        match self {
            Backend::Sqlite => {
                let path: PathBuf = std::env::temp_dir().join(format!("{name}.db"));
                for suffix in ["", "-journal", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                let _ = Command::new("sync").status();
                format!("sqlite://{}?mode=rwc", path.display())
            }
            Backend::Postgres { admin } => {
                let mut conn = sqlx::PgConnection::connect(admin).await.expect("the PostgreSQL admin URL connects");
                for sql in [format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")] {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await
                        .expect("the admin URL may create databases");
                }
                // Superusers only; without it the runs are noisier.
                let _ = sqlx::raw_sql("CHECKPOINT").execute(&mut conn).await;
                let _ = Command::new("sync").status();
                conn.close().await.ok();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
                format!("{base}/{name}")
            }
        }
    }
}

/// One run of a worker.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub wall: Duration,
    /// Peak resident memory in KiB.
    pub peak_kib: u64,
}

/// Runs `worker` in `mode` on `url` as a whole process; a failure is the
/// first line of the database's message (or of what the worker printed).
pub fn run(worker: &Worker, mode: &str, url: &str) -> Result<Run, String> {
    let started = Instant::now();
    let out = Command::new(worker.binary()).args([mode, url]).output().expect("the worker starts");
    let wall = started.elapsed();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reason = stderr
            .split("message: \"")
            .nth(1)
            .and_then(|m| m.split('"').next())
            .or_else(|| stderr.lines().find(|l| l.contains("panicked")).and_then(|_| stderr.lines().nth(1)))
            .unwrap_or("failed")
            .to_owned();
        eprintln!("{} {mode} failed: {reason}", worker.tool.name());
        return Err(reason);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let peak_kib = stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    Ok(Run { wall, peak_kib })
}

/// The median of some durations.
pub fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// What was measured for one tool on one backend at one size.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    pub apply: Vec<Duration>,
    pub at_head: Vec<Duration>,
    pub apply_peak_kib: u64,
    pub head_peak_kib: u64,
    /// Why applying failed, if it did.
    pub failed: Option<String>,
}

/// Applies all revisions to a fresh database with every worker, then
/// starts each again at head, `rounds` times, the tools' order rotating
/// from round to round; `head_runs` starts at head per round. The raw
/// baseline of a start is a connect and one read of `alembic_version` on
/// the database retort brought to head.
pub async fn apply_and_start(
    backend: &Backend,
    workers: &[Worker],
    rounds: usize,
    head_runs: usize,
) -> Vec<(Tool, Samples)> {
    let mut samples: Vec<(Tool, Samples)> = workers.iter().map(|w| (w.tool, Samples::default())).collect();
    for round in 0..rounds {
        let mut urls = Vec::new();
        for k in 0..workers.len() {
            let index = (k + round) % workers.len();
            let worker = &workers[index];
            let url = backend.fresh(worker.tool).await;
            let entry = &mut samples[index].1;
            if entry.failed.is_some() {
                continue;
            }
            match run(worker, "apply", &url) {
                Ok(applied) => {
                    entry.apply.push(applied.wall);
                    entry.apply_peak_kib = entry.apply_peak_kib.max(applied.peak_kib);
                    urls.push((index, url));
                }
                Err(reason) => entry.failed = Some(reason),
            }
        }
        let retort_url = urls.iter().find(|(i, _)| workers[*i].tool == Tool::Retort).map(|(_, u)| u.clone());
        for _ in 0..head_runs {
            for (index, url) in &urls {
                let worker = &workers[*index];
                let started = match (worker.tool, &retort_url) {
                    (Tool::Raw, Some(retort_url)) => run(worker, "query", retort_url),
                    (Tool::Raw, None) => continue,
                    _ => run(worker, "apply", url),
                };
                let Ok(started) = started else { continue };
                let entry = &mut samples[*index].1;
                entry.at_head.push(started.wall);
                entry.head_peak_kib = entry.head_peak_kib.max(started.peak_kib);
            }
        }
    }
    samples
}
