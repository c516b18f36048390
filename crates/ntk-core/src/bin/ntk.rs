//! `ntk`: NTK Lab's numeric core on the command line. JSON on stdin, JSON on stdout,
//! full float64 precision. Bad input: exit code 2 and one line on stderr naming the
//! field and the problem.
//!
//! ```text
//! ntk kernel   {"network": {...}, "x1": [[...], ...], "x2": [[...], ...]}
//!              → {"nngp": [[...]], "ntk": [[...]]}
//! ntk empirical {"network": {..., "width": 512}, "seed": 0, "x1": [[...]], "x2": [[...]]}
//!              → {"ntk": [[...]], "nngp": [[...]]}
//! ntk train    {"network": {...}, "seed": 0, "x_train": [[...]], "y_train": [...],
//!               "x_test": [[...]], "learning_rate": 0.5, "steps": 1000, "record_every": 10}
//!              → {"steps": [...], "train_loss": [...], "train_predictions": [[...]], ...}
//! ntk experiment <name>   {...params, every field optional}
//!              → the experiment's typed result; progress on stderr
//! ntk experiment --list   → [{"name", "description", "defaults"}]
//! ntk bench    {"op": "kernel_gram", "n": 4000, "d": 10, "depth": 3,
//!               "activation": "relu", "repeats": 5}
//!              → {"op": ..., "median_s": ..., "min_s": ..., "threads": ...}
//! ```
use std::io::{Read, Write};
use std::process::ExitCode;

use ntk_core::cli::{self, USAGE};
use ntk_core::experiments::{Observer, EXPERIMENTS};
use ntk_core::spec::{self, SpecError};
use serde_json::{json, Value};

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// Stdin as JSON; with `empty_is_object`, empty input is `{}`.
fn read_stdin(empty_is_object: bool) -> Result<Value, SpecError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| SpecError {
            field: "input".into(),
            message: format!("cannot read stdin: {e}"),
        })?;
    if empty_is_object && text.trim().is_empty() {
        return Ok(json!({}));
    }
    spec::parse_json(&text)
}

/// Progress lines on stderr.
struct Stderr;

impl Observer for Stderr {
    fn progress(&mut self, p: &ntk_core::empirical::Progress) -> bool {
        eprintln!("progress: {}/{} {}", p.done, p.total, p.stage);
        true
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("experiment") {
        let result = match args.get(1).map(String::as_str) {
            Some("--list") => Ok(cli::experiment_list()),
            None => Err(SpecError {
                field: "experiment".into(),
                message: format!(
                    "name one: ntk experiment <{}> (or --list)",
                    EXPERIMENTS.map(|(n, _)| n).join(" | ")
                ),
            }),
            Some(name) => read_stdin(true).and_then(|input| {
                if input.is_object() {
                    cli::experiment(name, input, &mut Stderr)
                } else {
                    Err(SpecError {
                        field: "input".into(),
                        message: "must be a JSON object".into(),
                    })
                }
            }),
        };
        return print(result);
    }
    let command = match args.first().map(String::as_str) {
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(c) if cli::VERBS.contains(&c) => c.to_string(),
        Some(other) => return fail(format!("unknown command '{other}'\n{USAGE}")),
        None => return fail(format!("missing command\n{USAGE}")),
    };
    let result = read_stdin(false).and_then(|input| {
        if command == "kernel" {
            cli::kernel_observed(input, &mut Stderr)
        } else {
            cli::run(&command, input)
        }
    });
    print(result)
}

/// The result on stdout, or the error on stderr with exit code 2.
fn print(result: Result<Value, SpecError>) -> ExitCode {
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{out}") {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("output: {e}")),
            }
        }
        Err(e) => fail(e),
    }
}
