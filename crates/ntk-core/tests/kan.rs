//! Kolmogorov–Arnold layers: the analytic kernel against an independent computation
//! (scipy's B-splines and nested adaptive quadrature,
//! `tests/reference/make_kan_reference.py`, data in `tests/data/kan_reference.json`),
//! and against a Monte Carlo of the empirical NTK of wide finite KANs.
#![cfg(not(target_arch = "wasm32"))]

use ndarray::{Array2, ArrayD, Axis};
use ntk_core::layers::analytic::kernels;
use ntk_core::layers::finite::{FiniteLayerNet, Method};
use ntk_core::layers::{LayerNetwork, Shape};
use serde_json::Value;

fn data() -> Value {
    serde_json::from_str(include_str!("data/kan_reference.json")).unwrap()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, m) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, m), rows.concat()).unwrap()
}

fn inputs(v: &Value) -> ArrayD<f64> {
    matrix(v).into_dyn()
}

fn network(layers: &Value) -> LayerNetwork {
    serde_json::from_value(serde_json::json!({ "layers": layers })).unwrap()
}

#[test]
fn the_analytic_kan_kernel_matches_nested_adaptive_quadrature() {
    let d = data();
    let cases = d["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    let mut worst = 0.0f64;
    for case in cases {
        let net = network(&case["layers"]);
        let x = inputs(&case["x"]);
        let ours = kernels(&net, x.view(), None).unwrap();
        for (key, got) in [("nngp", &ours.nngp), ("ntk", &ours.ntk)] {
            let want = matrix(&case[key]);
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for ((i, j), w) in want.indexed_iter() {
                // Relative to the entry itself: the wide-variance case has diagonals
                // 4000 times its off-diagonal entries.
                let e = (got[[i, j]] - w).abs() / w.abs().max(1e-12 * scale);
                worst = worst.max(e);
                assert!(
                    e <= 1e-9,
                    "{} {key}[{i},{j}]: {} vs reference {w} (relative {e:.1e})",
                    case["name"],
                    got[[i, j]]
                );
            }
        }
    }
    println!("worst relative error {worst:.2e}");
}

/// The mean of the empirical NTK over independent finite KANs of width m, against the
/// analytic kernel: they differ by the Monte Carlo error (the standard error over the
/// seeds) plus the finite-width bias, O(1/m) (Hanin & Nica 2019, arXiv:1909.05989).
#[test]
fn the_mean_empirical_kan_ntk_converges_to_the_analytic_kernel() {
    let d = data();
    let case = &d["cases"][0];
    let x = inputs(&case["x"]);
    let exact = matrix(&case["ntk"]);
    let width = 1024;
    let layers = serde_json::to_string(&case["layers"])
        .unwrap()
        .replace("\"out\":64", &format!("\"out\":{width}"));
    let net: LayerNetwork = serde_json::from_str(&format!(r#"{{"layers": {layers}}}"#)).unwrap();
    let shape = Shape {
        spatial: vec![],
        channels: 2,
    };
    let seeds = 48;
    let n = x.len_of(Axis(0));
    let mut sum = Array2::<f64>::zeros((n, n));
    let mut sq = Array2::<f64>::zeros((n, n));
    for seed in 0..seeds {
        let f = FiniteLayerNet::init(&net, &shape, seed).unwrap();
        let t = f
            .empirical_ntk(x.view(), None, Method::Structured)
            .unwrap()
            .ntk;
        sum += &t;
        sq += &t.mapv(|v| v * v);
    }
    let mean = &sum / seeds as f64;
    let var = (&sq / seeds as f64 - mean.mapv(|v| v * v)) * (seeds as f64 / (seeds as f64 - 1.0));
    let mut worst = 0.0f64;
    for ((i, j), e) in exact.indexed_iter() {
        let se = (var[[i, j]] / seeds as f64).sqrt();
        let z = (mean[[i, j]] - e).abs() / se;
        worst = worst.max(z);
        // 4.5 standard errors (≈ 1e-5 two-sided per entry; 15 entries), plus the
        // O(1/m) bias: 1/m of the diagonal scale.
        assert!(
            (mean[[i, j]] - e).abs() <= 4.5 * se + exact[[i, i]].abs() / width as f64,
            "Θ[{i},{j}]: mean {} ± {se:.2e} over {seeds} nets of width {width}, analytic {e}",
            mean[[i, j]]
        );
    }
    println!("worst |mean − Θ| / SE = {worst:.2}");
}
