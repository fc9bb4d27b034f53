//! The `retort` command line: Alembic's verbs over a versions directory.
//!
//! A thin `main` over [`commands::run`]: every failure is printed as `FAILED: …` on
//! stderr with exit status 255, as Alembic does.
//!
//! Exit codes: 0 success; 1 `check` found something to look at (warnings);
//! 255 failure.

mod autogenerate;
mod baseline;
mod cli;
mod commands;
mod config;
mod import;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // Every password the process was given is hidden from all its output,
    // clap's usage errors included, whatever the shape of its URL.
    for arg in std::env::args_os().skip(1) {
        retort::hide_password_of(&arg.to_string_lossy());
    }
    if let Some(url) = std::env::var_os("DATABASE_URL") {
        retort::hide_password_of(&url.to_string_lossy());
    }
    let parsed = cli::Args::command().try_get_matches().and_then(|matches| {
        // A URL from DATABASE_URL yields to one in a configuration named
        // with -c; one given as a flag does not.
        let from_env = matches.value_source("database_url") == Some(clap::parser::ValueSource::EnvVariable);
        cli::Args::from_arg_matches(&matches).map(|mut args| {
            if from_env {
                args.database_url_env = args.database_url.take();
            }
            args
        })
    });
    let args = match parsed {
        Ok(args) => args,
        Err(err) => {
            let text = retort::redact(&err.render().to_string());
            // --help and --version are "errors" that go to stdout.
            if err.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("FAILED: cannot start: {err}");
            return ExitCode::from(255);
        }
    };
    // Ctrl-C drops the running command (and with it any scratch database
    // it made, which drops itself) instead of killing the process mid-way.
    let interrupted = async {
        let _ = tokio::signal::ctrl_c().await;
        Err("interrupted by Ctrl-C".to_owned())
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = commands::run(args) => outcome,
            outcome = interrupted => outcome,
        }
    });
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("FAILED: {}", retort_core::diagnostic::printable(&retort::redact(&message)));
            ExitCode::from(255)
        }
    }
}
