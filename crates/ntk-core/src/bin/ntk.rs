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
use std::time::Instant;

use ntk_core::bench::{self, BenchRequest};
use ntk_core::dynamics::{predict, KernelKind};
use ntk_core::experiments::{Experiment, Observer, EXPERIMENTS};
use ntk_core::kernel::kernel_matrix;
use ntk_core::linalg::Matrix;
use ntk_core::network::Mlp;
use ntk_core::spec::{self, SpecError};
use ntk_core::train::{train, TrainSetup};
use serde_json::{json, Value};

const USAGE: &str = "usage: ntk <command> < input.json

commands:
  kernel   analytic NNGP kernel and NTK of a fully-connected network
           input:  {\"network\": {\"depth\": 2, \"activation\": \"relu\", \"w_std\": 1.4142,
                    \"b_std\": 0.0, \"parameterization\": \"ntk\", \"width\": 512},
                    \"x1\": [[...], ...], \"x2\": [[...], ...]}   (x2 optional: defaults to x1)
           output: {\"nngp\": [[...]], \"ntk\": [[...]]}
  empirical  empirical NTK and NNGP kernel of a random finite-width network
           input:  {\"network\": {... as for kernel, with \"width\": 512 or \"widths\": [..]},
                    \"seed\": 0, \"x1\": [[...]], \"x2\": [[...]]}   (x2 optional)
           output: {\"ntk\": [[...]], \"nngp\": [[...]]}
  train    full-batch gradient descent on (1/2N)|f - y|^2
           input:  {\"network\": {...}, \"seed\": 0, \"x_train\": [[...]], \"y_train\": [...],
                    \"x_test\": [[...]], \"learning_rate\": 0.5, \"steps\": 1000, \"record_every\": 10}
           output: {\"steps\", \"train_loss\", \"train_predictions\", \"test_predictions\",
                    \"ntk_drift\", \"weight_change\", \"critical_learning_rate\", ...}
  predict  infinite-ensemble mean predictions of gradient descent (neural-tangents'
           gradient_descent_mse_ensemble conventions)
           input:  {\"network\": {...}, \"kernel\": \"ntk\" | \"nngp\", \"x_train\": [[...]],
                    \"y_train\": [...], \"x_test\": [[...]], \"times\": [0, 1, 10, null],
                    \"learning_rate\": 1.0, \"diag_reg\": 1e-4}     (null = t = infinity)
           output: {\"train_mean\": [[...] per time], \"test_mean\": [[...] per time]}
  experiment <name>
           run one of the page's experiments (kernel, spectrum, convergence, training,
           spectral_bias, generalization) with the page's computation
           input:  its parameters, every field optional (the page's defaults otherwise)
           output: its result; progress lines on stderr
  experiment --list
           the experiments, what each computes, and their parameters with defaults
  bench    time a core operation: op = kernel_gram | empirical_ntk | train_step | eigh | predict
           input:  {\"op\": \"kernel_gram\", \"n\": 4000, \"d\": 10, \"depth\": 3,
                    \"activation\": \"relu\", \"repeats\": 5}   (+ \"width\" for the finite ops)
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

/// Stdin as JSON; empty input is `{}`.
fn read_stdin_or_empty() -> Result<Value, SpecError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| SpecError {
            field: "input".into(),
            message: format!("cannot read stdin: {e}"),
        })?;
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    spec::parse_json(&text)
}

/// `x` must have rows as long as `base`'s.
fn same_dim(field: &str, x: &Matrix, base_field: &str, base: &Matrix) -> Result<(), SpecError> {
    if x.cols() == base.cols() {
        return Ok(());
    }
    Err(SpecError {
        field: field.into(),
        message: format!(
            "rows have {} entries, but {base_field}'s rows have {}",
            x.cols(),
            base.cols()
        ),
    })
}

/// "x_train" and "y_train", one target per row.
fn training_data(input: &Value) -> Result<(Matrix, Vec<f64>), SpecError> {
    let x_train = spec::inputs(input.get("x_train").unwrap_or(&Value::Null), "x_train")?;
    let y_train = spec::numbers(input.get("y_train").unwrap_or(&Value::Null), "y_train")?;
    if y_train.len() != x_train.rows() {
        return Err(SpecError {
            field: "y_train".into(),
            message: format!(
                "has {} targets, but x_train has {} rows",
                y_train.len(),
                x_train.rows()
            ),
        });
    }
    Ok((x_train, y_train))
}

fn kernel(input: &Value) -> Result<Value, SpecError> {
    let net = spec::network(input.get("network").unwrap_or(&Value::Null))?;
    let x1 = spec::inputs(input.get("x1").unwrap_or(&Value::Null), "x1")?;
    let x2 = match input.get("x2") {
        None | Some(Value::Null) => None,
        Some(v) => Some(spec::inputs(v, "x2")?),
    };
    if let Some(x2) = &x2 {
        same_dim("x2", x2, "x1", &x1)?;
    }
    let k = kernel_matrix(&net, &x1, x2.as_ref()).map_err(|e| SpecError {
        field: "kernel".into(),
        message: e.to_string(),
    })?;
    Ok(json!({"nngp": k.nngp.to_rows(), "ntk": k.ntk.to_rows()}))
}

fn core_err(field: &str) -> impl Fn(ntk_core::NtkError) -> SpecError + '_ {
    move |e| SpecError {
        field: field.into(),
        message: e.to_string(),
    }
}

fn empirical(input: &Value) -> Result<Value, SpecError> {
    let spec = spec::mlp(input.get("network").unwrap_or(&Value::Null))?;
    let seed = spec::whole(input.get("seed"), "seed", 0, u64::MAX, Some(0))? as u64;
    let x1 = spec::inputs(input.get("x1").unwrap_or(&Value::Null), "x1")?;
    let x2 = match input.get("x2") {
        None | Some(Value::Null) => None,
        Some(v) => Some(spec::inputs(v, "x2")?),
    };
    if let Some(x2) = &x2 {
        same_dim("x2", x2, "x1", &x1)?;
    }
    let net = Mlp::init(&spec, x1.cols(), seed).map_err(core_err("network"))?;
    let k = net
        .empirical_kernels(&x1, x2.as_ref())
        .map_err(core_err("empirical"))?;
    Ok(json!({"ntk": k.ntk.to_rows(), "nngp": k.nngp.to_rows()}))
}

fn train_cmd(input: &Value) -> Result<Value, SpecError> {
    let spec = spec::mlp(input.get("network").unwrap_or(&Value::Null))?;
    let seed = spec::whole(input.get("seed"), "seed", 0, u64::MAX, Some(0))? as u64;
    let (x_train, y_train) = training_data(input)?;
    let x_test = match input.get("x_test") {
        None | Some(Value::Null) => None,
        Some(v) => Some(spec::inputs(v, "x_test")?),
    };
    let y_test = match input.get("y_test") {
        None | Some(Value::Null) => None,
        Some(v) => Some(spec::numbers(v, "y_test")?),
    };
    if let Some(x) = &x_test {
        same_dim("x_test", x, "x_train", &x_train)?;
    }
    let learning_rate = spec::positive(input.get("learning_rate"), "learning_rate")?;
    let steps = spec::whole(input.get("steps"), "steps", 0, 1_000_000, None)?;
    let record_every = spec::whole(
        input.get("record_every"),
        "record_every",
        1,
        1_000_000,
        Some(1),
    )?;
    let rec = train(&TrainSetup {
        spec: &spec,
        seed,
        x_train: &x_train,
        y_train: &y_train,
        x_test: x_test.as_ref(),
        y_test: y_test.as_deref(),
        learning_rate,
        steps,
        record_every,
    })
    .map_err(|e| match e {
        ntk_core::NtkError::Diverges { .. } => SpecError {
            field: "learning_rate".into(),
            message: e.to_string(),
        },
        other => core_err("train")(other),
    })?;
    serde_json::to_value(rec).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

fn predict_cmd(input: &Value) -> Result<Value, SpecError> {
    let net = spec::network(input.get("network").unwrap_or(&Value::Null))?;
    let kind = match input.get("kernel") {
        None => KernelKind::Ntk,
        Some(Value::String(s)) if s == "ntk" => KernelKind::Ntk,
        Some(Value::String(s)) if s == "nngp" => KernelKind::Nngp,
        Some(other) => {
            return Err(SpecError {
                field: "kernel".into(),
                message: format!("must be \"ntk\" or \"nngp\", got {other}"),
            })
        }
    };
    let (x_train, y_train) = training_data(input)?;
    let x_test = spec::inputs(input.get("x_test").unwrap_or(&Value::Null), "x_test")?;
    same_dim("x_test", &x_test, "x_train", &x_train)?;
    let times: Vec<Option<f64>> = match input.get("times") {
        None => vec![None],
        Some(Value::Array(ts)) => ts
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Value::Null => Ok(None),
                Value::Number(n) => match n.as_f64() {
                    Some(v) if v >= 0.0 => Ok(Some(v)),
                    _ => Err(SpecError {
                        field: format!("times[{i}]"),
                        message: format!("must be ≥ 0 or null (t = ∞), got {t}"),
                    }),
                },
                other => Err(SpecError {
                    field: format!("times[{i}]"),
                    message: format!("must be a number or null (t = ∞), got {other}"),
                }),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(SpecError {
                field: "times".into(),
                message: format!("must be a list of numbers and nulls, got {other}"),
            })
        }
    };
    let learning_rate = match input.get("learning_rate") {
        None => 1.0,
        v => spec::positive(v, "learning_rate")?,
    };
    let diag_reg = match input.get("diag_reg") {
        None | Some(Value::Null) => 0.0,
        Some(v) => v.as_f64().filter(|r| *r >= 0.0).ok_or(SpecError {
            field: "diag_reg".into(),
            message: format!("must be a number ≥ 0, got {v}"),
        })?,
    };
    let ktt = kernel_matrix(&net, &x_train, None).map_err(core_err("kernel"))?;
    let kst = kernel_matrix(&net, &x_test, Some(&x_train)).map_err(core_err("kernel"))?;
    let (ktt, kst) = match kind {
        KernelKind::Ntk => (ktt.ntk, kst.ntk),
        KernelKind::Nngp => (ktt.nngp, kst.nngp),
    };
    let p = predict(&ktt, &kst, &y_train, &times, learning_rate, diag_reg, None)
        .map_err(core_err("predict"))?;
    Ok(json!({"train_mean": p.train_mean, "test_mean": p.test_mean}))
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

/// Deserialize `input` into `T`, naming the field of any problem ("data.n: …").
fn typed<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, SpecError> {
    serde_path_to_error::deserialize(input).map_err(|e| SpecError {
        field: match e.path().to_string() {
            p if p == "." => "input".into(),
            p => p,
        },
        message: e.inner().to_string(),
    })
}

/// Progress lines on stderr.
struct Stderr;

impl Observer for Stderr {
    fn progress(&mut self, p: &ntk_core::empirical::Progress) -> bool {
        eprintln!("progress: {}/{} {}", p.done, p.total, p.stage);
        true
    }
}

fn experiment_cmd(name: &str, input: Value) -> Result<Value, SpecError> {
    let bad = |e: ntk_core::NtkError| SpecError {
        field: name.into(),
        message: e.to_string(),
    };
    let experiment = match name {
        "kernel" => Experiment::Kernel(typed(input)?),
        "spectrum" => Experiment::Spectrum(typed(input)?),
        "convergence" => Experiment::Convergence(typed(input)?),
        "training" => Experiment::Training(typed(input)?),
        "spectral_bias" => Experiment::SpectralBias(typed(input)?),
        "generalization" => Experiment::Generalization(typed(input)?),
        other => {
            return Err(SpecError {
                field: "experiment".into(),
                message: format!(
                    "unknown experiment '{other}' (expected one of {})",
                    EXPERIMENTS.map(|(n, _)| n).join(", ")
                ),
            })
        }
    };
    let out = experiment.run(&mut Stderr).map_err(bad)?;
    serde_json::to_value(out).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

/// Every experiment: its name, what it computes and its default parameters.
fn experiment_list() -> Value {
    Value::Array(
        EXPERIMENTS
            .iter()
            .filter_map(|(name, description)| {
                let e = Experiment::default_named(name)?;
                let mut defaults = serde_json::to_value(&e).ok()?;
                defaults.as_object_mut()?.remove("experiment");
                Some(json!({"name": name, "description": description, "defaults": defaults}))
            })
            .collect(),
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("experiment") {
        let result = match args.get(1).map(String::as_str) {
            Some("--list") => Ok(experiment_list()),
            None => Err(SpecError {
                field: "experiment".into(),
                message: format!(
                    "name one: ntk experiment <{}> (or --list)",
                    EXPERIMENTS.map(|(n, _)| n).join(" | ")
                ),
            }),
            Some(name) => read_stdin_or_empty().and_then(|input| {
                if input.is_object() {
                    experiment_cmd(name, input)
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
        Some(c @ ("kernel" | "empirical" | "train" | "predict" | "bench")) => c.to_string(),
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
            "empirical" => empirical(&input),
            "train" => train_cmd(&input),
            "predict" => predict_cmd(&input),
            _ => bench_cmd(&input),
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
