//! What embedding the revisions costs at compile time: how long
//! `#[retort::migrations]` itself takes, and the whole incremental rebuild
//! after one revision changes, in the dev and the release profile.

use std::time::Duration;

use crate::measure::median;
use crate::workers::{Purpose, Tool, Worker};
use crate::workload::edit_one;

/// Medians of `rounds` builds.
#[derive(Debug, Clone, Copy)]
pub struct CompileCost {
    /// retort only: the macro's own time, as it reports it.
    pub expansion: Option<Duration>,
    pub rebuild_dev: Duration,
    pub rebuild_release: Duration,
}

/// Measures the [`Purpose::Compile`](crate::workers::Purpose) crate of
/// `tool` with `n` revisions, after building it once in each profile.
pub fn measure(tool: Tool, n: usize, rounds: usize) -> std::io::Result<CompileCost> {
    let worker = &Worker::generate(tool, n, Purpose::Compile)?;
    worker.build(true, false);
    worker.build(false, false);
    let mut expansion = Vec::new();
    let mut dev = Vec::new();
    let mut release = Vec::new();
    for round in 0..rounds {
        if worker.tool == Tool::Retort {
            // Touch the source so that the macro runs again.
            let main = worker.dir.join("src/main.rs");
            let text = std::fs::read_to_string(&main)?;
            std::fs::write(&main, format!("{text}\n"))?;
            let (_, stderr) = worker.build(false, true);
            let ms = stderr
                .lines()
                .find_map(|l| l.split(" in ").nth(1)?.split(" ms").next()?.parse::<f64>().ok())
                .expect("the macro reports its time when RETORT_MACRO_TIMING is set");
            expansion.push(Duration::from_secs_f64(ms / 1e3));
        }
        edit_one(worker.tool, &worker.dir, round)?;
        dev.push(worker.build(false, false).0);
        edit_one(worker.tool, &worker.dir, round + rounds)?;
        release.push(worker.build(true, false).0);
    }
    Ok(CompileCost {
        expansion: (!expansion.is_empty()).then(|| median(&expansion)),
        rebuild_dev: median(&dev),
        rebuild_release: median(&release),
    })
}
