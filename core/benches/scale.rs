//! How retort-core scales: parsing revision files from memory, validating
//! the graph and planning, for 1,000 to 100,000 revisions.
//!
//! Run with `cargo bench -p retort-core --bench scale` (add `-- 100000` to
//! run one size). The graph is what long-lived projects have: mostly a
//! line, with a short branch and its merge every 50 revisions and a
//! `Depends On` every 200. Each figure is the median of 5 runs.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use retort_core::{Revision, RevisionGraph, parse_sql_revision};

/// The text of revision `i` and the path it would have.
fn revision_file(i: usize) -> (PathBuf, String) {
    let id = format!("{i:012x}");
    let down = if i == 0 {
        String::new()
    } else if i % 50 == 2 {
        // The second revision of a short branch off i - 2.
        format!("{:012x}", i - 2)
    } else if i % 50 == 3 {
        // The merge of that branch.
        format!("{:012x}, {:012x}", i - 1, i - 2)
    } else {
        format!("{:012x}", i - 1)
    };
    let depends = if i % 200 == 199 { format!("-- Depends On: {:012x}\n", i - 150) } else { String::new() };
    let text = format!(
        "-- Revision {i}\n--\n-- Revision ID: {id}\n-- Revises: {down}\n{depends}-- Create Date: 2026-11-20 10:31:07\n\n\
         -- upgrade\nCREATE TABLE t{i} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL DEFAULT 'x;y'\n);\n\
         CREATE INDEX t{i}_name ON t{i} (name);\n\n-- downgrade\nDROP TABLE t{i};\n"
    );
    (PathBuf::from(format!("alembic/versions/{id}_revision_{i}.sql")), text)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn measure<T>(mut f: impl FnMut() -> T) -> Duration {
    let runs = (0..5)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    median(runs)
}

fn ms(d: Duration) -> String {
    format!("{:>9.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip(1).find_map(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![1_000, 10_000, 100_000],
    };
    println!(
        "{:>9} | {:>12} | {:>12} | {:>12} | {:>12} | {:>12} | {:>12}",
        "revisions", "parse", "validate", "plan up", "plan down", "history", "total"
    );
    for n in sizes {
        let files: Vec<(PathBuf, String)> = (0..n).map(revision_file).collect();
        let parse = || -> Vec<Revision> {
            files
                .iter()
                .map(|(path, text)| {
                    let (rev, problems) = parse_sql_revision(path, text);
                    assert!(problems.is_empty(), "{problems:?}");
                    rev.expect("parsed")
                })
                .collect()
        };
        let revisions = parse();
        let graph = RevisionGraph::new(revisions.clone()).unwrap_or_else(|p| panic!("{p}"));
        let up = graph.plan_upgrade(retort_core::AT_BASE, "heads").unwrap();
        assert_eq!(up.revision_ids().len(), n);
        let heads = up.heads_after();

        let t_parse = measure(parse);
        let t_validate = measure(|| RevisionGraph::new(revisions.clone()).unwrap());
        let t_up = measure(|| graph.plan_upgrade(retort_core::AT_BASE, "heads").unwrap());
        let t_down = measure(|| graph.plan_downgrade(&heads, "base").unwrap());
        let t_history = measure(|| graph.history(None).unwrap().len());
        let total = t_parse + t_validate + t_up + t_down;
        println!(
            "{n:>9} | {} | {} | {} | {} | {} | {}",
            ms(t_parse),
            ms(t_validate),
            ms(t_up),
            ms(t_down),
            ms(t_history),
            ms(total)
        );
    }
    println!("(total = parse + validate + plan up + plan down; medians of 5 runs)");
}
