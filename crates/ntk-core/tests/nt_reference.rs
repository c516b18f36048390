//! Agreement with google/neural-tangents 0.6.5 (float64): the reference values in
//! `tests/data/nt_reference.json` were made by `tests/reference/make_nt_reference.py`
//! (pinned environment: `tests/reference/requirements.txt`), independently of this
//! crate. Off the diagonal the relative error must be ≤ 1e-12; on the diagonal (and on
//! duplicated inputs) neural-tangents itself drifts by tens of ulp, so there 1e-12 is
//! also the bound, and our own diagonal is checked exactly elsewhere.

use ntk_core::kernel::{kernel_matrix, FcNetwork};
use ntk_core::linalg::Matrix;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn matrix(field: &'static str, v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("rows");
    Matrix::from_rows(field, &rows).expect("matrix")
}

/// Largest relative error of `ours` against `theirs`, measured against the entry, or
/// against 1e-3 of the matrix's largest entry for entries near zero (an exact zero in
/// both counts as agreement).
fn worst_relative_error(ours: &Matrix, theirs: &Matrix) -> (f64, usize, usize) {
    assert_eq!((ours.rows(), ours.cols()), (theirs.rows(), theirs.cols()));
    let scale = theirs.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst = (0.0, 0, 0);
    for i in 0..ours.rows() {
        for j in 0..ours.cols() {
            let (a, b) = (ours.get(i, j), theirs.get(i, j));
            let denom = b.abs().max(1e-3 * scale);
            let e = if a == b { 0.0 } else { (a - b).abs() / denom };
            if e > worst.0 {
                worst = (e, i, j);
            }
        }
    }
    worst
}

#[wasm_bindgen_test(unsupported = test)]
fn agrees_with_neural_tangents() {
    let text = include_str!("data/nt_reference.json");
    let data: Value = serde_json::from_str(text).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 29, "reference cases missing");
    let mut report = Vec::new();
    let mut overall: f64 = 0.0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = &data["inputs"][case["input"].as_str().unwrap()];
        let x1 = matrix("x1", &input["x1"]);
        let x2 = matrix("x2", &input["x2"]);
        let net: FcNetwork = serde_json::from_value(case["network"].clone())
            .unwrap_or_else(|e| panic!("{name}: bad network: {e}"));
        let cross = kernel_matrix(&net, &x1, Some(&x2)).unwrap();
        let own = kernel_matrix(&net, &x1, None).unwrap();
        for (label, ours, theirs) in [
            ("x1_x2 nngp", &cross.nngp, &case["x1_x2"]["nngp"]),
            ("x1_x2 ntk", &cross.ntk, &case["x1_x2"]["ntk"]),
            ("x1_x1 nngp", &own.nngp, &case["x1_x1"]["nngp"]),
            ("x1_x1 ntk", &own.ntk, &case["x1_x1"]["ntk"]),
        ] {
            let theirs = matrix("reference", theirs);
            let (e, i, j) = worst_relative_error(ours, &theirs);
            overall = overall.max(e);
            report.push(format!(
                "{name:34} {label:11} worst rel. error {e:.2e} at ({i},{j})"
            ));
            assert!(
                e <= 1e-12,
                "{name} {label}: relative error {e:e} at ({i},{j}): ours {} vs neural-tangents {}",
                ours.get(i, j),
                theirs.get(i, j)
            );
        }
    }
    println!("{}", report.join("\n"));
    println!("overall worst relative error against neural-tangents: {overall:.2e}");
}
