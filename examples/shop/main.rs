//! A small shop's schema history: customers, orders, an index on one
//! branch, an order status on another, and the merge of the two.
//!
//! This example reads the versions directory at run time, validates it and
//! prints the history and the plan that brings an empty database to head,
//! with the version-table changes of every step. Applying the plan to
//! SQLite arrives with the runtime.

use std::path::Path;
use std::process::ExitCode;

use retort::core::{StepKind, VersionChange, load_dir};

fn main() -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shop/alembic/versions");
    let graph = match load_dir(&dir) {
        Ok(graph) => graph,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::FAILURE;
        }
    };
    println!("history ({} revisions, newest first):", graph.len());
    for rev in graph.history(None).unwrap_or_default() {
        let parents = if rev.down_revisions.is_empty() { "<base>".to_owned() } else { rev.down_revisions.join(", ") };
        let head = if graph.is_real_head(&rev.id) { " (head)" } else { "" };
        println!("  {parents} -> {}{head}, {}", rev.id, rev.message);
    }
    let plan = match graph.plan_upgrade(&[] as &[&str], "head") {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("FAILED: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("\nupgrading an empty database to head:");
    for step in &plan.steps {
        let id = match &step.kind {
            StepKind::Upgrade(id) => id,
            _ => continue,
        };
        let changes: Vec<String> = step
            .changes
            .iter()
            .map(|c| match c {
                VersionChange::Insert(v) => format!("INSERT {v}"),
                VersionChange::Delete(v) => format!("DELETE {v}"),
                VersionChange::Update { from, to } => format!("UPDATE {from} -> {to}"),
            })
            .collect();
        let message = graph.get(id).map(|r| r.message.as_str()).unwrap_or_default();
        println!("  Running {}, {message}   [alembic_version: {}]", step.short_log(&graph), changes.join("; "));
    }
    println!("\nversion table at the end: {}", plan.heads_after().join(", "));
    ExitCode::SUCCESS
}
