//! The `retort` command line: Alembic's verbs over a versions directory.
//!
//! A thin `main` over [`commands::run`]: every failure is printed as `FAILED: …` on
//! stderr with exit status 255, as Alembic does.
//!
//! Exit codes: 0 success; 1 `check` found something to look at (warnings);
//! 255 failure.

mod cli;
mod commands;
mod config;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("FAILED: cannot start: {err}");
            return ExitCode::from(255);
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("FAILED: {}", retort_core::diagnostic::printable(&retort::redact(&message)));
            ExitCode::from(255)
        }
    }
}
