//! The same seed gives the same numbers natively and in the browser (wasm32 + simd128),
//! and from one version to the next: sampled data, initial weights, an empirical NTK,
//! a short training run. Not a check of correctness (the reference tests do that):
//! the values in `tests/data/determinism.json` (each f64 as the hex of its bits) were
//! written by this test natively
//! (`NTK_WRITE_DETERMINISM=1 cargo test -p ntk-core --test determinism`), and every
//! platform must reproduce them.
//!
//! Where they may differ, and why: sampling and initialisation use only integer
//! arithmetic, `ln`, `sqrt`, `cos`/`sin` of the same arguments (Box–Muller) and
//! must be **bit-identical**; the kernels and the training run add many products in
//! an order that the SIMD width can change (faer picks kernels by target), so there
//! the bound is a relative **1e-12**.

use ntk_core::activation::Activation;
use ntk_core::data::{sample, Distribution};
use ntk_core::kernel::Parameterization;
use ntk_core::network::{Mlp, MlpSpec};
use ntk_core::train::{train, TrainSetup};
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

const COMMITTED: &str = include_str!("data/determinism.json");

fn spec() -> MlpSpec {
    MlpSpec {
        widths: vec![64, 64],
        activation: Activation::Relu,
        w_std: std::f64::consts::SQRT_2,
        b_std: Some(0.1),
        parameterization: Parameterization::Ntk,
    }
}

/// Each number as the hex of its bits: JSON's decimal text goes through serde_json's
/// fast float parser, which can be one ulp off.
fn bits(v: &[f64]) -> Value {
    Value::Array(
        v.iter()
            .map(|x| json!(format!("{:016x}", x.to_bits())))
            .collect(),
    )
}

/// The numbers this platform computes.
fn numbers() -> Value {
    let dists = [
        Distribution::Gaussian,
        Distribution::Sphere,
        Distribution::Uniform,
        Distribution::Rademacher,
        Distribution::Laplace,
        Distribution::Exponential,
        Distribution::StudentT { nu: 3.0 },
    ];
    let data: Vec<Vec<f64>> = dists
        .iter()
        .map(|&d| sample(d, 6, 3, 11, false).unwrap().as_slice().to_vec())
        .collect();
    let x = sample(Distribution::Gaussian, 5, 3, 7, false).unwrap();
    let net = Mlp::init(&spec(), 3, 42).unwrap();
    let params = net.params();
    let k = net.empirical_kernels(&x, None).unwrap();
    let y: Vec<f64> = (0..5).map(|i| (i as f64 - 2.0) / 2.0).collect();
    let rec = train(&TrainSetup {
        spec: &spec(),
        seed: 42,
        x_train: &x,
        y_train: &y,
        x_test: None,
        y_test: None,
        learning_rate: 0.5,
        steps: 20,
        record_every: 5,
    })
    .unwrap();
    json!({
        "data": bits(&data.concat()),
        "weights_first": bits(&params[..16]),
        "weights_sum": bits(&[params.iter().sum::<f64>()]),
        "ntk": bits(k.ntk.as_slice()),
        "nngp": bits(k.nngp.as_slice()),
        "train_loss": bits(&rec.train_loss),
        "ntk_drift": bits(&rec.ntk_drift),
    })
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| f64::from_bits(u64::from_str_radix(h.as_str().unwrap(), 16).unwrap()))
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn the_same_seed_gives_the_same_numbers_on_every_platform() {
    let ours = numbers();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var("NTK_WRITE_DETERMINISM").is_ok() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/determinism.json");
        std::fs::write(path, serde_json::to_string_pretty(&ours).unwrap() + "\n").unwrap();
        return;
    }
    let committed: Value = serde_json::from_str(COMMITTED).unwrap();
    for (key, exact) in [
        ("data", true),
        ("weights_first", true),
        ("weights_sum", false),
        ("ntk", false),
        ("nngp", false),
        ("train_loss", false),
        ("ntk_drift", false),
    ] {
        let (a, b) = (floats(&ours[key]), floats(&committed[key]));
        assert_eq!(a.len(), b.len(), "{key}");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if exact {
                assert_eq!(x.to_bits(), y.to_bits(), "{key}[{i}]: {x} against {y}");
            } else {
                let scale = y.abs().max(1e-300);
                assert!(
                    (x - y).abs() <= 1e-12 * scale,
                    "{key}[{i}]: {x} against {y} (relative {:.1e})",
                    (x - y).abs() / scale
                );
            }
        }
    }
}
