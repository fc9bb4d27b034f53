//! retort beside sqlx's `migrate!`, refinery's `embed_migrations!` and raw
//! SQL: applying N revisions, a start at head, compile cost, peak memory
//! and binary size, as one table with ratios to the raw baseline of the
//! same run.
//!
//! ```text
//! cargo run --release -p retort-bench -- [apply|compile] [N …] [--rounds R] [--tools raw,retort,…]
//! ```
//!
//! N defaults to 100, 1000 and 10000. PostgreSQL is measured when
//! `RETORT_BENCH_POSTGRES_URL` names a server where databases may be
//! created and dropped (`postgres://postgres@127.0.0.1:5432/postgres`).
//! Every tool is a release-built program of its own (`target/bench/`), run
//! as a whole process, so start-up counts as it does for an application.

mod compile;
mod measure;
mod workers;
mod workload;

use std::collections::BTreeMap;
use std::time::Duration;

use measure::{Backend, Samples, median};
use workers::{Purpose, Tool, Worker};

struct Settings {
    apply: bool,
    compile: bool,
    sizes: Vec<usize>,
    rounds: Option<usize>,
    /// The tools to run; raw is always among them (the baseline).
    tools: Vec<Tool>,
}

fn settings() -> Settings {
    let mut settings =
        Settings { apply: true, compile: true, sizes: Vec::new(), rounds: None, tools: Tool::ALL.to_vec() };
    let usage = || -> ! {
        eprintln!(
            "usage: cargo run --release -p retort-bench -- [apply|compile] [N …] [--rounds R] [--tools raw,retort,sqlx,refinery]"
        );
        std::process::exit(2);
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "apply" => settings.compile = false,
            "compile" => settings.apply = false,
            "--rounds" => settings.rounds = args.next().and_then(|r| r.parse().ok()),
            "--tools" => {
                let names = args.next().unwrap_or_default();
                let named = |t: &Tool| *t == Tool::Raw || names.split(',').any(|n| n == t.name());
                settings.tools = Tool::ALL.into_iter().filter(named).collect();
                if names.split(',').any(|n| !Tool::ALL.iter().any(|t| t.name() == n)) {
                    usage();
                }
            }
            n => match n.replace(['_', ','], "").parse() {
                Ok(n) => settings.sizes.push(n),
                Err(_) => usage(),
            },
        }
    }
    if settings.sizes.is_empty() {
        settings.sizes = vec![100, 1_000, 10_000];
    }
    settings
}

fn time(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 { format!("{s:.2} s") } else { format!("{:.1} ms", s * 1e3) }
}

/// The median of the ratios of paired runs (same round, same position):
/// steadier than a ratio of medians when the machine drifts between rounds.
fn paired_ratio(values: &[Duration], base: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = values.iter().zip(base).map(|(v, b)| v.as_secs_f64() / b.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    match ratios.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ratios[n / 2],
        n => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[derive(Default)]
struct Results {
    /// (backend, N) → per tool.
    runs: BTreeMap<(String, usize), BTreeMap<Tool, Samples>>,
    binary: BTreeMap<(usize, Tool), u64>,
    compile: BTreeMap<(usize, Tool), compile::CompileCost>,
}

/// A cell: the median, with the median of its ratios to the paired `base`
/// runs, or why it failed.
fn cell(samples: &Samples, values: &[Duration], base: &[Duration]) -> String {
    match &samples.failed {
        Some(reason) if values.is_empty() => format!("failed: {reason}"),
        _ if values.is_empty() => "—".to_owned(),
        _ if base.is_empty() => time(median(values)),
        _ => format!("{} ({:.2}×)", time(median(values)), paired_ratio(values, base)),
    }
}

/// The tables, as Markdown.
fn tables(results: &Results, tools: &[Tool]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let others: Vec<Tool> = tools.iter().copied().filter(|t| *t != Tool::Raw).collect();
    let header = |out: &mut String, first: &str| {
        let names: Vec<&str> = others.iter().map(|t| t.name()).collect();
        let _ = writeln!(out, "| backend | N | {first} | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|---:|---:|{}", "---:|".repeat(others.len()));
    };
    if !results.runs.is_empty() {
        let _ = writeln!(
            out,
            "\nApplying N revisions to an empty database (median time; median ratio to raw in the same round):\n"
        );
        header(&mut out, "raw, one transaction");
        for ((backend, n), samples) in &results.runs {
            let raw = &samples[&Tool::Raw];
            let cells: Vec<String> = others.iter().map(|t| cell(&samples[t], &samples[t].apply, &raw.apply)).collect();
            let _ = writeln!(out, "| {backend} | {n} | {} | {} |", cell(raw, &raw.apply, &[]), cells.join(" | "));
        }
        let _ = writeln!(
            out,
            "\nA start when the database is already at head (median time; median ratio to raw connect + one query, run beside it):\n"
        );
        header(&mut out, "raw connect + one query");
        for ((backend, n), samples) in &results.runs {
            let raw = &samples[&Tool::Raw];
            let cells: Vec<String> =
                others.iter().map(|t| cell(&samples[t], &samples[t].at_head, &raw.at_head)).collect();
            let _ = writeln!(out, "| {backend} | {n} | {} | {} |", cell(raw, &raw.at_head, &[]), cells.join(" | "));
        }
    }
    let sizes: Vec<usize> = results.binary.keys().map(|&(n, _)| n).collect();
    if !results.runs.is_empty() && sizes.iter().any(|&n| n > workers::REFINERY_EMBED_MAX) {
        let _ = writeln!(
            out,
            "\nPast {} revisions refinery reads its files at run time (`load_sql_migrations`): the release build of its `embed_migrations!` takes minutes (see the compile cost).",
            workers::REFINERY_EMBED_MAX
        );
    }
    if !results.binary.is_empty() {
        let _ = writeln!(out, "\nBinary size (release) and peak memory (VmHWM; applying, and at head):\n");
        let _ = writeln!(out, "| tool | N | binary | peak, applying | peak, at head |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for (&(n, tool), &size) in &results.binary {
            let peaks = results.runs.iter().filter(|((_, m), _)| *m == n).filter_map(|(_, s)| s.get(&tool));
            let (apply, head) = peaks.fold((0, 0), |(a, h), s| (a.max(s.apply_peak_kib), h.max(s.head_peak_kib)));
            let shown = |kib: u64| if kib == 0 { "—".to_owned() } else { mib(kib) };
            let _ =
                writeln!(out, "| {} | {n} | {} | {} | {} |", tool.name(), mib(size / 1024), shown(apply), shown(head));
        }
    }
    if !results.compile.is_empty() {
        let _ = writeln!(
            out,
            "\nCompile cost: the macro's expansion, and a whole rebuild after one revision is edited (median):\n"
        );
        let _ = writeln!(out, "| tool | N | expansion | rebuild, dev | rebuild, release |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for (&(n, tool), cost) in &results.compile {
            let expansion = cost.expansion.map_or_else(|| "—".to_owned(), time);
            let _ = writeln!(
                out,
                "| {} | {n} | {expansion} | {} | {} |",
                tool.name(),
                time(cost.rebuild_dev),
                time(cost.rebuild_release)
            );
        }
    }
    out
}

fn main() -> std::io::Result<()> {
    let settings = settings();
    let mut backends = vec![Backend::Sqlite];
    match std::env::var("RETORT_BENCH_POSTGRES_URL") {
        Ok(admin) => backends.push(Backend::Postgres { admin }),
        Err(_) => eprintln!(
            "PostgreSQL skipped: set RETORT_BENCH_POSTGRES_URL to an admin URL (postgres://postgres@127.0.0.1:5432/postgres)"
        ),
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut results = Results::default();
    let tools = settings.tools.clone();
    for &n in &settings.sizes {
        let mut workers = Vec::new();
        for &tool in &tools {
            let worker = Worker::generate(tool, n, Purpose::Run)?;
            let (took, _) = worker.build(true, false);
            eprintln!("built the {} worker for N = {n} in {}", tool.name(), time(took));
            results.binary.insert((n, tool), std::fs::metadata(worker.binary())?.len());
            workers.push(worker);
        }
        if settings.apply {
            // Small sizes are quick and noisy (a commit's fsync varies by
            // milliseconds here): more rounds.
            let rounds = settings.rounds.unwrap_or(match n {
                0..=3_000 => 25,
                _ => 3,
            });
            for backend in &backends {
                if let Some(slots) = runtime.block_on(backend.lock_slots())
                    && slots < 2 * n as u64
                {
                    eprintln!(
                        "PostgreSQL keeps a lock per table and index a transaction creates: {n} revisions in one transaction need about {} lock slots, and this server has {slots} (max_locks_per_transaction × max_connections). The one-transaction runs (raw, retort) will fail; to measure them, `ALTER SYSTEM SET max_locks_per_transaction = 1024` and restart the server.",
                        2 * n
                    );
                }
                eprintln!("applying {n} revisions on {}, {rounds} rounds", backend.name());
                let samples = runtime.block_on(measure::apply_and_start(backend, &workers, rounds, 10));
                results.runs.insert((backend.name().to_owned(), n), samples.into_iter().collect());
            }
        }
        if settings.compile {
            for &tool in tools.iter().filter(|t| **t != Tool::Raw) {
                if tool == Tool::Refinery && n > workers::REFINERY_EMBED_MAX {
                    continue;
                }
                eprintln!("compile cost of {} for N = {n}", tool.name());
                results.compile.insert((n, tool), compile::measure(tool, n, settings.rounds.unwrap_or(3))?);
            }
        }
        // The tables so far, should a later size fail or be stopped.
        if n != *settings.sizes.last().unwrap_or(&n) {
            eprintln!("\nAfter N = {n}:\n{}", tables(&results, &tools));
        }
    }
    print!("{}", tables(&results, &tools));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_pair_runs_of_the_same_round() {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        // The machine slows down in the second round: both runs feel it.
        let raw = ms(&[10, 20, 10]);
        let tool = ms(&[11, 22, 12]);
        assert!((paired_ratio(&tool, &raw) - 1.1).abs() < 1e-9);
        assert!((paired_ratio(&ms(&[30, 10]), &ms(&[10, 10])) - 2.0).abs() < 1e-9);
        assert!(paired_ratio(&[], &[]).is_nan());
    }
}
