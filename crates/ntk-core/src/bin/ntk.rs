//! `ntk`: NTK Lab's numeric core on the command line. JSON on stdin, JSON on stdout,
//! full float64 precision. Bad input: exit code 2 and one line on stderr naming the
//! field and the problem.
//!
//! ```text
//! ntk kernel   {"network": {...}, "x1": [[...], ...], "x2": [[...], ...]}
//!              → {"nngp": [[...]], "ntk": [[...]]}
//! ntk bench    {"op": "kernel_gram", "n": 4000, "d": 10, "depth": 3,
//!               "activation": "relu", "repeats": 5}
//!              → {"op": ..., "median_s": ..., "min_s": ..., "threads": ...}
//! ```

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use ntk_core::bench::{self, BenchRequest};
use ntk_core::kernel::kernel_matrix;
use ntk_core::spec::{self, SpecError};
use serde_json::{json, Value};

const USAGE: &str = "usage: ntk <command> < input.json

commands:
  kernel   analytic NNGP kernel and NTK of a fully-connected network
           input:  {\"network\": {\"depth\": 2, \"activation\": \"relu\", \"w_std\": 1.4142,
                    \"b_std\": 0.0, \"parameterization\": \"ntk\", \"width\": 512},
                    \"x1\": [[...], ...], \"x2\": [[...], ...]}   (x2 optional: defaults to x1)
           output: {\"nngp\": [[...]], \"ntk\": [[...]]}
  bench    time a core operation
           input:  {\"op\": \"kernel_gram\", \"n\": 4000, \"d\": 10, \"depth\": 3,
                    \"activation\": \"relu\", \"repeats\": 5}
           output: {\"op\": ..., \"median_s\": ..., \"min_s\": ..., \"threads\": ...}";

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn read_stdin() -> Result<Value, SpecError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| SpecError {
            field: "input".into(),
            message: format!("cannot read stdin: {e}"),
        })?;
    spec::parse_json(&text)
}

fn kernel(input: &Value) -> Result<Value, SpecError> {
    let net = spec::network(input.get("network").unwrap_or(&Value::Null))?;
    let x1 = spec::inputs(input.get("x1").unwrap_or(&Value::Null), "x1")?;
    let x2 = match input.get("x2") {
        None | Some(Value::Null) => None,
        Some(v) => Some(spec::inputs(v, "x2")?),
    };
    if let Some(x2) = &x2 {
        if x2.cols() != x1.cols() {
            return Err(SpecError {
                field: "x2".into(),
                message: format!(
                    "rows have {} entries, but x1's rows have {}",
                    x2.cols(),
                    x1.cols()
                ),
            });
        }
    }
    let k = kernel_matrix(&net, &x1, x2.as_ref()).map_err(|e| SpecError {
        field: "kernel".into(),
        message: e.to_string(),
    })?;
    Ok(json!({"nngp": k.nngp.to_rows(), "ntk": k.ntk.to_rows()}))
}

fn bench_cmd(input: &Value) -> Result<Value, SpecError> {
    let activation = spec::activation(input, "")?;
    let mut obj = input.clone();
    if let Some(map) = obj.as_object_mut() {
        map.insert("activation".into(), json!(activation.name()));
    }
    let mut req: BenchRequest = serde_json::from_value(obj).map_err(|e| SpecError {
        field: "input".into(),
        message: e.to_string(),
    })?;
    req.activation = activation;
    let start = Instant::now();
    let report = bench::run(&req, || start.elapsed().as_secs_f64()).map_err(|e| SpecError {
        field: "bench".into(),
        message: e.to_string(),
    })?;
    serde_json::to_value(report).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.first().map(String::as_str) {
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(c @ ("kernel" | "bench")) => c.to_string(),
        Some(other) => return fail(format!("unknown command '{other}'\n{USAGE}")),
        None => return fail(format!("missing command\n{USAGE}")),
    };
    let result = read_stdin().and_then(|input| {
        if !input.is_object() {
            return Err(SpecError {
                field: "input".into(),
                message: "must be a JSON object".into(),
            });
        }
        match command.as_str() {
            "kernel" => kernel(&input),
            _ => bench_cmd(&input),
        }
    });
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
