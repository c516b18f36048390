//! The quadrature activations (tanh, sigmoid, softplus, SiLU, ELU) against an
//! independent high-precision reference: nested adaptive quadrature (scipy `quad`,
//! relative tolerance 1e-13) cross-checked against 20-digit mpmath, made by
//! `tests/reference/make_quadrature_reference.py` (data in
//! `tests/data/quadrature_reference.json`). Variances up to 10⁴, correlations up to
//! |ρ| = 1, and deep kernels at σ_w up to 10 — where the former 64-node Gauss–Hermite
//! rule was off by 12 % (tanh', v = 25) to 99 % (depth-3 tanh NTK, σ_w = 10).
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Stdio};

use ntk_core::activation::quadrature::{series_dual, GradedRule};
use ntk_core::activation::Activation;
use ntk_core::kernel::{kernel_value, FcNetwork};
use serde_json::Value;

fn data() -> Value {
    serde_json::from_str(include_str!("data/quadrature_reference.json")).unwrap()
}

fn act(case: &Value) -> Activation {
    let name = case["activation"].as_str().unwrap();
    let alpha = case["alpha"].as_f64().unwrap_or(1.0);
    Activation::from_name(name, alpha, (0.0, 1.0)).unwrap()
}

fn f(case: &Value, key: &str) -> f64 {
    case[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {case}"))
}

#[test]
fn dual_kernels_agree_with_the_high_precision_reference() {
    let rule = GradedRule::default();
    let d = data();
    let cases = d["dual"].as_array().unwrap();
    assert!(cases.len() >= 600, "{}", cases.len());
    let (mut worst_n, mut worst_d) = (0.0f64, 0.0f64);
    for c in cases {
        let a = act(c);
        let q = rule.dual(&a, f(c, "k12"), f(c, "v1"), f(c, "v2"));
        let (en, ed) = check(c, "quadrature", q.nngp, q.dot);
        worst_n = worst_n.max(en);
        worst_d = worst_d.max(ed);
    }
    eprintln!("dual kernels: worst relative error nngp {worst_n:e}, dot {worst_d:e}");
}

/// Asserts that (nngp, dot) agree with case `c` to 1e-11 relative and returns the two
/// relative errors. Relative to the Cauchy–Schwarz scale √(𝔼φ(u)²𝔼φ(v)²) where that is
/// larger: entries that cancel to near zero (ρ ≈ −1) are judged against the size of
/// the integrand.
fn check(c: &Value, method: &str, nngp: f64, dot: f64) -> (f64, f64) {
    let rel = |v: f64, key: &str| {
        let scale = f(c, &format!("{key}_scale"));
        (v - f(c, key)).abs() / f(c, key).abs().max(scale)
    };
    let (en, ed) = (rel(nngp, "nngp"), rel(dot, "dot"));
    assert!(
        en <= 1e-11 && ed <= 1e-11,
        "{c}: {method} nngp {nngp} (rel. err {en:e}), dot {dot} (rel. err {ed:e})"
    );
    (en, ed)
}

/// Mehler's series (used where its Cauchy–Schwarz truncation bound is below 1e-13)
/// agrees with the reference wherever it is used.
#[test]
fn hermite_series_agrees_with_the_reference_where_it_is_used() {
    let rule = GradedRule::default();
    let d = data();
    let mut used = 0;
    for c in d["dual"].as_array().unwrap() {
        let a = act(c);
        let (v1, v2, k12) = (f(c, "v1"), f(c, "v2"), f(c, "k12"));
        let (h1, h2) = (rule.hermite(&a, v1), rule.hermite(&a, v2));
        let rho = (k12 / (v1 * v2).sqrt()).clamp(-1.0, 1.0);
        let Some(q) = series_dual(&h1, &h2, rho) else {
            continue;
        };
        used += 1;
        check(c, "series", q.nngp, q.dot);
    }
    eprintln!("series used for {used} cases");
    assert!(
        used >= 150,
        "the series should cover the small-|ρ| cases: {used}"
    );
}

#[test]
fn variances_agree_with_the_high_precision_reference() {
    let rule = GradedRule::default();
    for c in data()["diag"].as_array().unwrap() {
        let q = rule.diag(&act(c), f(c, "v"));
        let want = f(c, "diag");
        assert!((q - want).abs() <= 1e-12 * want.abs(), "{c}: {q}");
    }
}

fn network(c: &Value) -> FcNetwork {
    FcNetwork::relu(
        c["depth"].as_u64().unwrap() as usize,
        f(c, "w_std"),
        c["b_std"].as_f64(),
    )
    .with_activation(act(c))
}

fn vector(c: &Value, key: &str) -> Vec<f64> {
    serde_json::from_value(c[key].clone()).unwrap()
}

#[test]
fn deep_kernels_agree_with_the_high_precision_reference() {
    let mut worst = 0.0f64;
    for c in data()["deep"].as_array().unwrap() {
        let net = network(c);
        let (x1, x2) = (vector(c, "x1"), vector(c, "x2"));
        let off = kernel_value(&net, &x1, &x2).unwrap();
        let diag = kernel_value(&net, &x1, &x1).unwrap();
        for (got, key) in [
            (off.nngp, "nngp_12"),
            (off.ntk, "ntk_12"),
            (diag.nngp, "nngp_11"),
            (diag.ntk, "ntk_11"),
        ] {
            // Off-diagonal entries relative to the diagonal's size (they can cancel).
            let scale = f(c, key)
                .abs()
                .max(f(c, "nngp_11").abs().min(f(c, "ntk_11").abs()));
            let e = (got - f(c, key)).abs() / scale;
            worst = worst.max(e);
            assert!(e <= 1e-11, "{c}: {key} = {got}, relative error {e:e}");
        }
    }
    eprintln!("deep kernels: worst relative error {worst:e}");
}

/// The same through the command line, as a user runs it (σ_w ≤ 8: the acceptance
/// criterion is relative error ≤ 1e-9).
#[test]
fn ntk_kernel_command_agrees_with_the_reference() {
    for c in data()["deep"].as_array().unwrap() {
        if f(c, "w_std") > 8.0 {
            continue;
        }
        let mut netj = serde_json::json!({
            "depth": c["depth"], "activation": c["activation"], "w_std": c["w_std"],
            "b_std": c["b_std"], "parameterization": "ntk"
        });
        if let Some(alpha) = c["alpha"].as_f64() {
            netj["alpha"] = alpha.into();
        }
        let input = serde_json::json!({"network": netj, "x1": [c["x1"]], "x2": [c["x2"]]});
        let mut child = Command::new(env!("CARGO_BIN_EXE_ntk"))
            .arg("kernel")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (got, key) in [(&v["nngp"][0][0], "nngp_12"), (&v["ntk"][0][0], "ntk_12")] {
            let want = f(c, key);
            let scale = want
                .abs()
                .max(f(c, "nngp_11").abs().min(f(c, "ntk_11").abs()));
            let e = (got.as_f64().unwrap() - want).abs() / scale;
            assert!(e <= 1e-9, "{c}: {key} = {got}, relative error {e:e}");
        }
    }
}
