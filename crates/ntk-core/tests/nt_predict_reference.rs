//! Kernel-regression dynamics against neural-tangents 0.6.5's
//! `predict.gradient_descent_mse_ensemble` (reference values made by
//! `tests/reference/make_nt_predict_reference.py`): t = 0, finite t and t = ∞ (null),
//! NTK and NNGP, with and without `diag_reg`. Also: the t → ∞ limit of the eigenbasis
//! formula equals the Cholesky (kernel ridge) solution.

use ntk_core::dynamics::{predict, KernelKind};
use ntk_core::kernel::{kernel_matrix, FcNetwork};
use ntk_core::linalg::Matrix;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn matrix(v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    Matrix::from_rows("x", &rows).unwrap()
}

#[wasm_bindgen_test(unsupported = test)]
fn dynamics_agree_with_neural_tangents() {
    let data: Value = serde_json::from_str(include_str!("data/nt_predict_reference.json")).unwrap();
    let x_train = matrix(&data["inputs"]["x_train"]);
    let x_test = matrix(&data["inputs"]["x_test"]);
    let y: Vec<f64> = serde_json::from_value(data["inputs"]["y_train"].clone()).unwrap();
    let mut worst = 0.0f64;
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let net: FcNetwork = serde_json::from_value(case["network"].clone()).unwrap();
        let kind: KernelKind = serde_json::from_value(case["kernel"].clone()).unwrap();
        let times: Vec<Option<f64>> = serde_json::from_value(case["times"].clone()).unwrap();
        let ktt = kernel_matrix(&net, &x_train, None).unwrap();
        let kst = kernel_matrix(&net, &x_test, Some(&x_train)).unwrap();
        let (ktt, kst) = match kind {
            KernelKind::Ntk => (ktt.ntk, kst.ntk),
            KernelKind::Nngp => (ktt.nngp, kst.nngp),
        };
        let lr = case["learning_rate"].as_f64().unwrap();
        let reg = case["diag_reg"].as_f64().unwrap();
        let p = predict(&ktt, &kst, &y, &times, lr, reg, None).unwrap();
        // neural-tangents' own ReLU NTK on these inputs differs between its jit-compiled
        // and plain evaluation by 8.4e-10 (relative, measured with the same venv): the
        // arccos near the diagonal turns round-off into ~√ε. Its predict path is
        // jit-compiled, so ReLU-NTK cases can only agree to ~1e-9; the others agree to
        // round-off.
        let tol = if net.activation == ntk_core::activation::Activation::Relu
            && kind == KernelKind::Ntk
        {
            1e-8
        } else {
            1e-12
        };
        for (field, ours) in [("train_mean", &p.train_mean), ("test_mean", &p.test_mean)] {
            let theirs: Vec<Vec<f64>> = serde_json::from_value(case[field].clone()).unwrap();
            for (ti, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
                for (u, v) in a.iter().zip(b) {
                    let e = (u - v).abs() / scale;
                    worst = worst.max(e);
                    assert!(
                        e < tol,
                        "{name} {field} t={:?}: {u} vs {v} ({e:e})",
                        times[ti]
                    );
                }
            }
        }
    }
    println!("worst relative error against neural-tangents' predict: {worst:.2e}");
}

#[wasm_bindgen_test(unsupported = test)]
fn long_time_limit_is_the_kernel_ridge_solution() {
    let x = ntk_core::data::gaussian(30, 3, 4).unwrap();
    let xs = ntk_core::data::gaussian(7, 3, 5).unwrap();
    let y: Vec<f64> = (0..30).map(|i| x.get(i, 0).cos()).collect();
    let net = FcNetwork::relu(2, 1.5, Some(0.1));
    let k = kernel_matrix(&net, &x, None).unwrap().ntk;
    let ks = kernel_matrix(&net, &xs, Some(&x)).unwrap().ntk;
    // The smallest eigenvalue of K/N sets the time scale; t = 1e9 is past it.
    let p = predict(&k, &ks, &y, &[Some(1e9), None], 1.0, 1e-6, None).unwrap();
    for (a, b) in p.test_mean[0].iter().zip(&p.test_mean[1]) {
        assert!((a - b).abs() < 1e-8 * b.abs().max(1.0), "{a} vs {b}");
    }
    // At t = 0 the ensemble mean is 0; from a given f(0) it is f(0).
    let f0 = (vec![0.3; 30], vec![-0.2; 7]);
    let p = predict(&k, &ks, &y, &[Some(0.0)], 1.0, 0.0, Some((&f0.0, &f0.1))).unwrap();
    assert!(p.train_mean[0].iter().all(|v| (v - 0.3).abs() < 1e-12));
    assert!(p.test_mean[0].iter().all(|v| (v + 0.2).abs() < 1e-12));
}
