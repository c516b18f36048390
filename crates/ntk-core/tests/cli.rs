//! The `ntk` command line: JSON in, JSON out, one clear line on stderr for bad input.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ntk"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading its input (an unknown command): a broken
    // pipe here is expected, not a failure.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs a command that must refuse its input: exit code 2, nothing on stdout, and one
/// line on stderr, which is returned.
fn refused(args: &[&str], input: &str) -> String {
    let (code, out, err) = run(args, input);
    assert_eq!(code, 2, "{args:?} {input}: {err}");
    assert!(out.is_empty(), "{args:?} {input}: stdout {out}");
    assert_eq!(err.lines().count(), 1, "{args:?} {input}: stderr {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn kernel_writes_full_precision_json() {
    // Two-layer ReLU, σ_w² = 2, no bias, orthogonal unit inputs in d = 2 (θ = π/2):
    // K = (sin θ + (π − θ) cos θ)/π = 1/π, Θ = (sin θ + 2(π − θ) cos θ)/π = 1/π;
    // diagonal: K = 2·(1/2)/… = 1, Θ = 2.
    let input = r#"{"network": {"depth": 1, "activation": "relu", "w_std": 1.4142135623730951,
                    "b_std": null, "parameterization": "ntk"}, "x1": [[1, 0], [0, 1]]}"#;
    let (code, out, err) = run(&["kernel"], input);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let k: Vec<Vec<f64>> = serde_json::from_value(v["nngp"].clone()).unwrap();
    let t: Vec<Vec<f64>> = serde_json::from_value(v["ntk"].clone()).unwrap();
    let inv_pi = 1.0 / std::f64::consts::PI;
    assert!((k[0][1] - inv_pi).abs() < 1e-15 && (t[0][1] - inv_pi).abs() < 1e-15);
    assert!((k[0][0] - 1.0).abs() < 1e-15 && (t[1][1] - 2.0).abs() < 1e-15);
    // x2 defaults to x1; with x2 the shape is n₁ × n₂.
    let input2 = r#"{"network": {"depth": 1, "w_std": 1, "b_std": 0.1},
                     "x1": [[1, 0]], "x2": [[0, 1], [1, 1], [2, 0]]}"#;
    let (code, out, _) = run(&["kernel"], input2);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ntk"].as_array().unwrap().len(), 1);
    assert_eq!(v["ntk"][0].as_array().unwrap().len(), 3);
}

#[test]
fn bad_input_exits_non_zero_with_one_line_naming_the_field() {
    let net = r#""network": {"depth": 2, "activation": "relu", "w_std": 1.4, "b_std": 0.1}"#;
    let cases = [
        (
            format!(r#"{{{net}, "x1": [[1, 2], [3]]}}"#),
            "x1: row 1 has 1 entries",
        ),
        (
            format!(r#"{{{net}, "x1": [[1, 2]], "x2": [[1, 2, 3]]}}"#),
            "x2:",
        ),
        (
            r#"{"network": {"depth": 2, "activation": "foo", "w_std": 1}, "x1": [[1]]}"#.into(),
            "network.activation: unknown activation 'foo'",
        ),
        (
            r#"{"network": {"depth": 2, "w_std": -1}, "x1": [[1]]}"#.into(),
            "network.w_std",
        ),
        (
            r#"{"network": {"depth": 2, "w_std": 1, "b_std": Infinity}, "x1": [[1]]}"#.into(),
            "network.b_std",
        ),
        (
            r#"{"network": {"depth": 500, "w_std": 1}, "x1": [[1]]}"#.into(),
            "network.depth",
        ),
        (format!(r#"{{{net}, "x1": [[1, NaN]]}}"#), "x1[0][1]"),
        ("not json".into(), "input: invalid JSON"),
    ];
    for (input, expected) in cases {
        let err = refused(&["kernel"], &input);
        assert!(err.contains(expected), "{input}: {err}");
    }
    // An unknown command: the error line, then the usage.
    let (code, _, err) = run(&["frobnicate"], "{}");
    assert_eq!(code, 2);
    assert!(err.contains("unknown command"));
}

#[test]
fn bench_reports_times_and_threads() {
    let (code, out, err) = run(
        &["bench"],
        r#"{"op": "kernel_gram", "n": 200, "d": 10, "depth": 3, "activation": "relu", "repeats": 3}"#,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["op"], "kernel_gram");
    let (median, min) = (
        v["median_s"].as_f64().unwrap(),
        v["min_s"].as_f64().unwrap(),
    );
    assert!(min > 0.0 && min <= median);
    assert!(v["threads"].as_u64().unwrap() >= 1);
    let err = refused(&["bench"], r#"{"op": "nope", "n": 10, "d": 2}"#);
    assert!(err.contains("unknown operation 'nope'"), "{err}");
}

#[test]
fn empirical_and_train_commands() {
    // The empirical NTK of a width-1 … network is checked elsewhere; here the command's
    // shape, symmetry and seeding.
    let input = r#"{"network": {"depth": 2, "width": 32, "activation": "tanh", "w_std": 1.3,
                    "b_std": 0.1}, "seed": 3, "x1": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}"#;
    let (code, out, err) = run(&["empirical"], input);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let k: Vec<Vec<f64>> = serde_json::from_value(v["ntk"].clone()).unwrap();
    assert_eq!(k.len(), 3);
    assert_eq!(k[0][1], k[1][0]);
    let (_, again, _) = run(&["empirical"], input);
    assert_eq!(out, again, "same seed, same numbers");

    let train = r#"{"network": {"widths": [64], "w_std": 1.4, "b_std": 0.1}, "seed": 1,
                    "x_train": [[1, 0], [0, 1], [1, 1]], "y_train": [1, -1, 0.5],
                    "x_test": [[0.5, 0.5]], "learning_rate": 0.3, "steps": 40, "record_every": 10}"#;
    let (code, out, err) = run(&["train"], train);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let steps: Vec<usize> = serde_json::from_value(v["steps"].clone()).unwrap();
    assert_eq!(steps, vec![0, 10, 20, 30, 40]);
    let loss: Vec<f64> = serde_json::from_value(v["train_loss"].clone()).unwrap();
    assert!(loss[4] < loss[0]);
    assert_eq!(v["test_predictions"].as_array().unwrap().len(), 5);
    assert_eq!(v["ntk_drift"][0], 0.0);

    let diverge = train.replace("\"learning_rate\": 0.3", "\"learning_rate\": 30");
    let err = refused(&["train"], &diverge);
    assert!(
        err.starts_with("error: learning_rate:") && err.contains("critical"),
        "{err}"
    );
    let bad = train.replace("[1, -1, 0.5]", "[1, -1]");
    let err = refused(&["train"], &bad);
    assert!(err.contains("y_train"), "{err}");
}

#[test]
fn predict_command_follows_the_documented_shape() {
    let input = r#"{"network": {"depth": 2, "w_std": 1.5, "b_std": 0.1}, "kernel": "ntk",
                    "x_train": [[1, 0], [0, 1], [1, 1]], "y_train": [1, -1, 0.5],
                    "x_test": [[0.5, 0.5], [2, 0]], "times": [0, 1, 10, null],
                    "learning_rate": 1.0, "diag_reg": 0}"#;
    let (code, out, err) = run(&["predict"], input);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let train: Vec<Vec<f64>> = serde_json::from_value(v["train_mean"].clone()).unwrap();
    let test: Vec<Vec<f64>> = serde_json::from_value(v["test_mean"].clone()).unwrap();
    assert_eq!((train.len(), test.len()), (4, 4));
    assert_eq!(test[0].len(), 2);
    // t = 0: the ensemble mean is 0; t = ∞ (null): the training targets exactly.
    assert!(train[0].iter().chain(&test[0]).all(|v| *v == 0.0));
    assert_eq!(train[3], vec![1.0, -1.0, 0.5]);
    let bad = input.replace("[0, 1, 10, null]", "[0, -1]");
    let err = refused(&["predict"], &bad);
    assert!(err.contains("times[1]"), "{err}");
}

/// Jobs too large for memory are refused before allocating, with the bytes they would
/// need; a zero kernel is refused instead of printing NaN (`null`).
#[test]
fn oversized_and_degenerate_jobs_are_refused_with_a_message() {
    let big_net = r#"{"network": {"depth": 100, "width": 65536, "w_std": 1.4, "b_std": 0.1},
                      "seed": 0, "x1": [[1, 0]]}"#;
    let err = refused(&["empirical"], big_net);
    assert!(
        err.contains("would need about") && err.contains("GB"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let rows: Vec<String> = (0..20_000).map(|i| format!("[{i}, 1]")).collect();
    let many = format!(
        r#"{{"network": {{"depth": 2, "w_std": 1.4, "b_std": 0.1}}, "x1": [{}]}}"#,
        rows.join(",")
    );
    let err = refused(&["kernel"], &many);
    assert!(
        err.contains("kernel matrices would need about 6.4 GB"),
        "{err}"
    );

    let err = refused(
        &["bench"],
        r#"{"op": "kernel_gram", "n": 10, "d": 2, "depth": 9223372036854775808}"#,
    );
    assert!(err.contains("depth"), "{err}");

    let zero = r#"{"network": {"depth": 2, "w_std": 0, "b_std": null}, "kernel": "ntk",
                   "x_train": [[1, 0], [0, 1]], "y_train": [1, -1], "x_test": [[0.5, 0.5]],
                   "times": [1, null], "learning_rate": 1.0, "diag_reg": 0}"#;
    let err = refused(&["predict"], zero);
    assert!(err.contains("identically zero"), "{err}");
}

/// `ntk experiment --list` names every experiment with its parameters; each runs with
/// `{}` (the page's defaults) and prints its typed result.
#[test]
fn every_experiment_is_listed_and_runs_with_defaults() {
    let (code, out, err) = run(&["experiment", "--list"], "");
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    // Every experiment of the library, the page's panels' among them.
    assert_eq!(names, ntk_core::experiments::EXPERIMENTS.map(|(n, _)| n));
    for panel in [
        "kernel",
        "spectrum",
        "convergence",
        "training",
        "spectral_bias",
        "generalization",
    ] {
        assert!(names.contains(&panel), "{panel}");
    }
    assert_eq!(
        list[2]["defaults"]["widths"],
        serde_json::json!([64, 256, 1024])
    );
    for name in names {
        let (code, out, err) = run(&["experiment", name], "{}");
        assert_eq!(code, 0, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v.is_object(), "{name}: {out}");
        assert!(err.lines().all(|l| l.starts_with("progress: ")), "{err}");
        if name == "convergence" {
            // The fitted slope with its standard error, per distribution.
            for line in v["lines"].as_array().unwrap() {
                let fit = &line["frobenius"]["fit_mean"];
                let (slope, se) = (
                    fit["slope"].as_f64().unwrap(),
                    fit["slope_std_error"].as_f64().unwrap(),
                );
                assert!(slope < 0.0 && se > 0.0 && se < 0.5, "{line}");
            }
        }
    }
}

#[test]
fn experiment_input_errors_name_the_field() {
    let cases = [
        (
            "convergence",
            r#"{"seeds": "three"}"#,
            "seeds: invalid type",
        ),
        ("kernel", r#"{"widths": [64, -1]}"#, "widths[1]"),
        (
            "training",
            r#"{"data": {"n": 64, "dimension": 3}}"#,
            "data.dimension: unknown field `dimension`",
        ),
        (
            "kernel",
            r#"{"points": 2}"#,
            "points must be between 3 and 100000",
        ),
        ("generalization", r#"{"data": {"n": 10}}"#, "at least 24"),
        ("frobnicate", "{}", "unknown experiment 'frobnicate'"),
    ];
    for (name, input, expected) in cases {
        let err = refused(&["experiment", name], input);
        assert_eq!(err.trim().lines().count(), 1, "{input}: {err}");
        assert!(err.contains(expected), "{input}: {err}");
    }
}

/// A case of neural-tangents' layer reference file and the file's inputs.
fn nt_case(name: &str) -> (serde_json::Value, serde_json::Value) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/nt_layers_reference.json"
    ))
    .unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone();
    (case, data["inputs"].clone())
}

/// `ntk kernel` with a layer list and rank-3 inputs: the numbers are neural-tangents'
/// (the reference file's circular 1-D CNN with global average pooling), and every
/// problem is refused with the field that has it.
#[test]
fn kernel_takes_a_layer_list_and_nested_inputs() {
    let (case, inputs) = nt_case("conv1d_circular_gap_standard");
    let request = serde_json::json!({
        "network": case["network"],
        "x1": inputs["signals"]["x1"],
        "x2": inputs["signals"]["x2"],
    });
    let (code, out, err) = run(&["kernel"], &request.to_string());
    assert_eq!(code, 0, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["nngp", "ntk"] {
        let ours: Vec<Vec<f64>> = serde_json::from_value(got[key].clone()).unwrap();
        let nt: Vec<Vec<f64>> = serde_json::from_value(case["x1_x2"][key].clone()).unwrap();
        assert_eq!((ours.len(), ours[0].len()), (4, 3));
        let scale = nt.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in ours.iter().flatten().zip(nt.iter().flatten()) {
            assert!((a - b).abs() <= 1e-10 * scale, "{key}: {a} vs {b}");
        }
    }
    let conv = r#"{"conv": {"out": 4, "filter": [3], "padding": "same", "w_std": 1.4}}"#;
    let dense = r#"{"dense": {"out": 1, "w_std": 1.4}}"#;
    let signals = "[[[1, 0], [0, 1], [1, 1]]]";
    for (network, x1, field, words) in [
        // An unknown layer kind.
        (
            format!(r#"[{{"convolution": {{}}}}, {dense}]"#),
            signals,
            "network.layers[0]",
            "one of the keys",
        ),
        // A filter of the wrong rank for 1-D signals.
        (
            format!(
                r#"[{{"conv": {{"out": 4, "filter": [3, 3], "w_std": 1}}}}, {{"flatten": {{}}}}, {dense}]"#
            ),
            signals,
            "network.layers[0].conv",
            "spatial axes",
        ),
        // Spatial axes left at the output.
        (
            format!("[{conv}, {dense}]"),
            signals,
            "network.layers",
            "flatten or global_avg_pool",
        ),
        // A ragged input.
        (
            format!(r#"[{conv}, {{"flatten": {{}}}}, {dense}]"#),
            "[[[1, 0], [0]]]",
            "x1[0][1]",
            "siblings",
        ),
        // A residual branch that changes the channels.
        (
            format!(
                r#"[{conv}, {{"residual": {{"branch": [{{"dense": {{"out": 3, "w_std": 1}}}}]}}}}, {{"flatten": {{}}}}, {dense}]"#
            ),
            signals,
            "network.layers[1].residual",
            "same shape",
        ),
        // NaN in an input.
        (
            format!(r#"[{conv}, {{"flatten": {{}}}}, {dense}]"#),
            "[[[1, 0], [NaN, 1]]]",
            "x1[0][1][0]",
            "finite",
        ),
    ] {
        let input = format!(r#"{{"network": {{"layers": {network}}}, "x1": {x1}}}"#);
        let err = refused(&["kernel"], &input);
        assert!(err.contains(field) && err.contains(words), "{input}\n{err}");
    }
}

/// `ntk empirical` with a layer list: both methods give one kernel (to round-off), and
/// it is the seed's network (a second seed gives another).
#[test]
fn empirical_takes_a_layer_list_and_a_method() {
    let layers = r#"[{"conv": {"out": 8, "filter": [3], "padding": "same", "w_std": 1.4, "b_std": 0.1}},
        {"activation": "relu"}, {"global_avg_pool": {}}, {"dense": {"out": 1, "w_std": 1.4}}]"#;
    let x = "[[[1, 0], [0, 1], [1, 1], [0.5, -1]], [[0, 2], [1, 0], [-1, 1], [2, 0]]]";
    let get = |method: &str, seed: u64| -> Vec<Vec<f64>> {
        let input = format!(
            r#"{{"network": {{"layers": {layers}}}, "seed": {seed}, "method": "{method}", "x1": {x}}}"#
        );
        let (code, out, err) = run(&["empirical"], &input);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["params"], 8 * 2 * 3 + 8 + 8);
        serde_json::from_value(v["ntk"].clone()).unwrap()
    };
    let (s, j, other) = (
        get("structured", 1),
        get("jacobian", 1),
        get("structured", 2),
    );
    for (a, b) in s.iter().flatten().zip(j.iter().flatten()) {
        assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{a} vs {b}");
    }
    assert_ne!(s, other);
    let err = refused(
        &["empirical"],
        &format!(r#"{{"network": {{"layers": {layers}}}, "method": "autodiff", "x1": {x}}}"#),
    );
    assert!(err.contains("method"), "{err}");
}

/// `ntk train` and `ntk predict` with a layer list: training records come back, and
/// the t = ∞ prediction without regularisation interpolates the training targets (as
/// kernel regression with an invertible Gram must).
#[test]
fn train_and_predict_take_a_layer_list() {
    let net = r#"{"layers": [{"conv": {"out": 16, "filter": [3], "padding": "circular", "w_std": 1.4, "b_std": 0.1}},
        {"activation": "relu"}, {"flatten": {}}, {"dense": {"out": 1, "w_std": 1.4, "b_std": 0.1}}]}"#;
    let x = "[[[1, 0], [0, 1], [1, 1]], [[0, 2], [1, 0], [-1, 1]], [[0.5, 0.5], [2, -1], [0, 0]]]";
    let y = "[1, -1, 0.5]";
    let (code, out, err) = run(
        &["train"],
        &format!(
            r#"{{"network": {net}, "x_train": {x}, "y_train": {y}, "x_test": {x}, "learning_rate": 0.1, "steps": 20, "record_every": 5}}"#
        ),
    );
    assert_eq!(code, 0, "{err}");
    let rec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rec["steps"], serde_json::json!([0, 5, 10, 15, 20]));
    assert_eq!(rec["test_predictions"][0], rec["train_predictions"][0]);
    let (code, out, err) = run(
        &["predict"],
        &format!(
            r#"{{"network": {net}, "x_train": {x}, "y_train": {y}, "x_test": [[[0, 1], [1, 0], [1, 1]]], "times": [0, null]}}"#
        ),
    );
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fit: Vec<f64> = serde_json::from_value(p["train_mean"][1].clone()).unwrap();
    for (a, b) in fit.iter().zip([1.0, -1.0, 0.5]) {
        assert!((a - b).abs() < 1e-8, "{fit:?}");
    }
    let err = refused(
        &["train"],
        &format!(
            r#"{{"network": {net}, "x_train": {x}, "y_train": [1, 2], "learning_rate": 0.1, "steps": 2}}"#
        ),
    );
    assert!(err.contains("y_train"), "{err}");
}

/// `ntk experiment` takes the layer-list network too: the spectrum experiment on the
/// reference file's signals with its standard-parameterization CNN (hidden width 16)
/// has eigenvalues whose sum and sum of squares are the trace and the squared
/// Frobenius norm of neural-tangents' Θ(X, X) (two invariants of its spectrum).
#[test]
fn experiment_takes_a_layer_list() {
    let (case, inputs) = nt_case("conv1d_circular_gap_standard");
    let signals: Vec<Vec<Vec<f64>>> =
        serde_json::from_value(inputs["signals"]["x1"].clone()).unwrap();
    let (n, length, channels) = (signals.len(), signals[0].len(), signals[0][0].len());
    let x: Vec<f64> = signals.iter().flatten().flatten().copied().collect();
    let mut network = case["network"].clone();
    network["input_shape"] = serde_json::json!([length, channels]);
    network["width"] = serde_json::json!(16);
    let request = serde_json::json!({
        "network": network,
        "data": {"points": {"name": "signals", "rows": n, "cols": length * channels, "x": x, "y": null}},
    });
    let (code, out, err) = run(&["experiment", "spectrum"], &request.to_string());
    assert_eq!(code, 0, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lambda: Vec<f64> = serde_json::from_value(got["eigenvalues"].clone())
        .or_else(|_| serde_json::from_value(got["output"]["eigenvalues"].clone()))
        .unwrap();
    let nt: Vec<Vec<f64>> = serde_json::from_value(case["x1_x1"]["ntk"].clone()).unwrap();
    let trace: f64 = (0..n).map(|i| nt[i][i]).sum();
    let frob2: f64 = nt.iter().flatten().map(|v| v * v).sum();
    let sum: f64 = lambda.iter().map(|l| l * n as f64).sum();
    let sum2: f64 = lambda.iter().map(|l| (l * n as f64).powi(2)).sum();
    assert!((sum - trace).abs() <= 1e-10 * trace, "{sum} vs {trace}");
    assert!((sum2 - frob2).abs() <= 1e-9 * frob2, "{sum2} vs {frob2}");
    // The layer list's errors name the network's field, as the other verbs do.
    let mut bad = request.clone();
    bad["network"]["layers"][0]["conv"]["padding"] = serde_json::json!("mirror");
    let err = refused(&["experiment", "spectrum"], &bad.to_string());
    assert!(err.contains("network.layers[0]"), "{err}");
    let mut both = request.clone();
    both["architecture"] = serde_json::json!({"kind": "mlp"});
    let err = refused(&["experiment", "spectrum"], &both.to_string());
    assert!(err.contains("not both"), "{err}");
}

/// Attention through the command line: `ntk kernel` gives neural-tangents'
/// GlobalSelfAttention kernel (linear scaling, relu, global pooling) on tokens;
/// with 1/√d_k it refuses at the layer, while `ntk empirical` computes the finite
/// net's NTK for either scaling, the structured way equal to the Jacobian.
#[test]
fn attention_through_the_command_line() {
    let (case, inputs) = nt_case("attention_relu_gap_ntk");
    let request = serde_json::json!({
        "network": case["network"],
        "x1": inputs["tokens"]["x1"],
        "x2": inputs["tokens"]["x2"],
    });
    let (code, out, err) = run(&["kernel"], &request.to_string());
    assert_eq!(code, 0, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ours: Vec<Vec<f64>> = serde_json::from_value(got["ntk"].clone()).unwrap();
    let nt: Vec<Vec<f64>> = serde_json::from_value(case["x1_x2"]["ntk"].clone()).unwrap();
    let scale = nt.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in ours.iter().flatten().zip(nt.iter().flatten()) {
        assert!((a - b).abs() <= 1e-10 * scale, "{a} vs {b}");
    }
    let mut sqrt = request.clone();
    sqrt["network"]["layers"][0]["attention"]["linear_scaling"] = false.into();
    let err = refused(&["kernel"], &sqrt.to_string());
    assert!(
        err.contains("layers[0].attention") && err.contains("no closed-form"),
        "{err}"
    );
    let mut grams = vec![];
    for method in ["structured", "jacobian"] {
        let mut e = sqrt.clone();
        e["seed"] = 2.into();
        e["method"] = method.into();
        e["network"]["layers"][0]["attention"]["out"] = 8.into();
        e["network"]["layers"][3]["dense"]["out"] = 1.into();
        let (code, out, err) = run(&["empirical"], &e.to_string());
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let k: Vec<Vec<f64>> = serde_json::from_value(v["ntk"].clone()).unwrap();
        assert_eq!((k.len(), k[0].len()), (4, 3));
        grams.push(k);
    }
    for (a, b) in grams[0].iter().flatten().zip(grams[1].iter().flatten()) {
        assert!((a - b).abs() <= 1e-10 * a.abs().max(1.0), "{a} vs {b}");
    }
}

/// KAN layers through every verb: `kernel` matches the independent reference
/// (scipy's B-splines and nested quadrature), `empirical` computes the same Gram both
/// ways, `experiment` takes the KAN architecture and runs the KAN-against-MLP
/// comparison, and bad KAN layers are refused at the layer.
#[test]
fn kans_through_the_command_line() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/kan_reference.json"
    ))
    .unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = &data["cases"][0];
    let request = serde_json::json!({"network": {"layers": case["layers"]}, "x1": case["x"]});
    let (code, out, err) = run(&["kernel"], &request.to_string());
    assert_eq!(code, 0, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ours: Vec<Vec<f64>> = serde_json::from_value(got["ntk"].clone()).unwrap();
    let want: Vec<Vec<f64>> = serde_json::from_value(case["ntk"].clone()).unwrap();
    let scale = want.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in ours.iter().flatten().zip(want.iter().flatten()) {
        assert!((a - b).abs() <= 1e-9 * scale, "{a} vs {b}");
    }
    let mut grams = vec![];
    for method in ["structured", "jacobian"] {
        let mut e = request.clone();
        e["seed"] = 3.into();
        e["method"] = method.into();
        e["network"]["layers"][0]["kan"]["out"] = 6.into();
        let (code, out, err) = run(&["empirical"], &e.to_string());
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        // 2 inputs × 12 features × 6 + 6 × 12 × 1 parameters.
        assert_eq!(v["params"], 2 * 12 * 6 + 6 * 12);
        grams.push(serde_json::from_value::<Vec<Vec<f64>>>(v["ntk"].clone()).unwrap());
    }
    for (a, b) in grams[0].iter().flatten().zip(grams[1].iter().flatten()) {
        assert!((a - b).abs() <= 1e-10 * a.abs().max(1.0), "{a} vs {b}");
    }
    let training = serde_json::json!({
        "architecture": {"kind": "kan", "grid": 4},
        "network": {"depth": 1, "activation": "relu", "w_std": 1.0, "b_std": null},
        "widths": [16], "data": {"n": 12}, "n_test": 10, "steps": 5, "snapshots": [0, 5]
    });
    let (code, out, err) = run(&["experiment", "training"], &training.to_string());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"train_loss\""), "{out}");
    let compare = serde_json::json!({"grids": [4], "n": 16, "max_frequency": 6,
        "degrees": [1, 5], "times": 4});
    let (code, out, err) = run(&["experiment", "kan_vs_mlp"], &compare.to_string());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["lines"].as_array().unwrap().len(), 2, "{out}");
    for (layers, words) in [
        (
            r#"[{"kan": {"out": 4, "grid": 0}}, {"kan": {"out": 1}}]"#,
            "grid",
        ),
        (
            r#"[{"kan": {"out": 4, "range": [1, -1]}}, {"kan": {"out": 1}}]"#,
            "range",
        ),
        (
            r#"[{"dense": {"out": 4, "w_std": 1}}, {"activation": "relu"}, {"kan": {"out": 1}}]"#,
            "Gaussian",
        ),
    ] {
        let bad = format!(r#"{{"network": {{"layers": {layers}}}, "x1": [[0.5, 0.1]]}}"#);
        let err = refused(&["kernel"], &bad);
        assert!(err.contains(".kan") && err.contains(words), "{err}");
    }
}

#[test]
fn kernel_blocks_one_kernel_and_npy_files() {
    let net = r#""network": {"depth": 2, "activation": "erf", "w_std": 1.3, "b_std": 0.2}"#;
    let x = "[[1, 0, 2], [0.5, -1, 0], [0, 0.3, 1], [2, 1, -1], [-1, 0.2, 0.4]]";
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let (code, full, _) = run(&["kernel"], &format!("{{{net}, \"x1\": {x}}}"));
    assert_eq!(code, 0);
    let full = parse(&full);
    // One block, one kernel: the same numbers as the whole Gram's entries.
    let (code, out, err) = run(
        &["kernel"],
        &format!(
            r#"{{{net}, "x1": {x}, "get": "ntk", "tile": {{"rows": [1, 4], "cols": [2, 5]}}}}"#
        ),
    );
    assert_eq!(code, 0, "{err}");
    let out = parse(&out);
    assert!(out.get("nngp").is_none());
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(out["ntk"][i][j], full["ntk"][i + 1][j + 2]);
        }
    }
    // The Gram into .npy files, tile by tile, with progress on stderr.
    let dir = std::env::temp_dir().join(format!("ntk-cli-npy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = run(
        &["kernel"],
        &format!(
            r#"{{{net}, "x1": {x}, "output": {{"format": "npy", "path": {:?}, "tile_size": 2}}}}"#,
            dir.display().to_string()
        ),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("progress: ")).count(),
        7
    );
    let out = parse(&out);
    assert_eq!(out["tiles"], 6);
    assert_eq!(out["shape"], serde_json::json!([5, 5]));
    let ntk: ndarray::Array2<f64> =
        ndarray_npy::read_npy(out["files"]["ntk"].as_str().unwrap()).unwrap();
    for i in 0..5 {
        for j in 0..5 {
            assert_eq!(ntk[[i, j]], full["ntk"][i][j].as_f64().unwrap());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // Misuse, by name.
    for (extra, field) in [
        (
            r#""output": {"format": "csv", "path": "x"}"#,
            "output.format",
        ),
        (
            r#""output": {"format": "npy", "path": "/proc/none/x"}"#,
            "output.path",
        ),
        (
            r#""output": {"format": "npy", "path": "x", "tile_size": 0}"#,
            "output.tile_size",
        ),
        (r#""tile": {"rows": [0, 9], "cols": [0, 1]}"#, "tile.rows"),
        (r#""tile": {"rows": [0, 1]}"#, "tile"),
        (r#""get": ["cov"]"#, "get"),
        (r#""got": 1"#, "got"),
    ] {
        let e = refused(&["kernel"], &format!("{{{net}, \"x1\": {x}, {extra}}}"));
        assert!(e.starts_with(&format!("error: {field}: ")), "{extra}: {e}");
    }
}
