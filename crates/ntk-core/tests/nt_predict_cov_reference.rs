//! The infinite ensemble's test covariance against neural-tangents 0.6.5's
//! `gradient_descent_mse_ensemble(...)(t, x_test, get, compute_cov=True)` (reference
//! values made by `tests/reference/make_nt_predict_cov_reference.py`): NTK and NNGP,
//! t = 0.5, 3, 20 and ∞, with and without `diag_reg`. The issue asks for ≤ 1e-7
//! relative; measured worst below.
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::dynamics::{predict_cov, KernelKind};
use ntk_core::kernel::{kernel_matrix, FcNetwork};
use ntk_core::linalg::Matrix;
use serde_json::Value;

fn matrix(v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    Matrix::from_rows("x", &rows).unwrap()
}

#[test]
fn test_covariances_agree_with_neural_tangents() {
    let data: Value =
        serde_json::from_str(include_str!("data/nt_predict_cov_reference.json")).unwrap();
    let x_train = matrix(&data["inputs"]["x_train"]);
    let x_test = matrix(&data["inputs"]["x_test"]);
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8, "2 networks × NTK/NNGP × 2 schedules");
    let mut worst = 0.0f64;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let net: FcNetwork = serde_json::from_value(case["network"].clone()).unwrap();
        let kind: KernelKind = serde_json::from_value(case["kernel"].clone()).unwrap();
        let times: Vec<Option<f64>> = serde_json::from_value(case["times"].clone()).unwrap();
        let ktt = kernel_matrix(&net, &x_train, None).unwrap();
        let kst = kernel_matrix(&net, &x_test, Some(&x_train)).unwrap();
        let kss = kernel_matrix(&net, &x_test, None).unwrap();
        let (k, kt) = match kind {
            KernelKind::Ntk => (&ktt.ntk, &kst.ntk),
            KernelKind::Nngp => (&ktt.nngp, &kst.nngp),
        };
        let lr = case["learning_rate"].as_f64().unwrap();
        let reg = case["diag_reg"].as_f64().unwrap();
        let covs = predict_cov(
            kind,
            (k, kt),
            (&ktt.nngp, &kst.nngp, &kss.nngp),
            &times,
            lr,
            reg,
        )
        .unwrap();
        let theirs = case["test_cov"].as_array().unwrap();
        assert_eq!(covs.len(), theirs.len());
        for (ti, (ours, want)) in covs.iter().zip(theirs).enumerate() {
            let want = matrix(want);
            let scale = want
                .as_slice()
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs()))
                .max(1e-300);
            for (u, v) in ours.as_slice().iter().zip(want.as_slice()) {
                let e = (u - v).abs() / scale;
                worst = worst.max(e);
                assert!(
                    e <= 1e-7,
                    "{name}, time {:?}: {u} against neural-tangents' {v} (relative {e:.1e})",
                    times[ti]
                );
            }
        }
    }
    println!("worst relative difference to neural-tangents: {worst:.1e}");
}

#[test]
fn the_covariance_is_symmetric_and_vanishes_on_the_training_inputs_at_infinity() {
    // A closed-form check: at t = ∞ without regularisation, the NNGP posterior and
    // the NTK ensemble both interpolate, so their variance at a training input is 0.
    let net = FcNetwork::relu(2, 1.5, Some(0.1));
    let x = Matrix::from_rows("x", &[vec![1.0, 0.2], vec![-0.3, 0.9], vec![0.5, -0.7]]).unwrap();
    let k = kernel_matrix(&net, &x, None).unwrap();
    for kind in [KernelKind::Ntk, KernelKind::Nngp] {
        let (a, b) = match kind {
            KernelKind::Ntk => (&k.ntk, &k.ntk),
            KernelKind::Nngp => (&k.nngp, &k.nngp),
        };
        let cov =
            predict_cov(kind, (a, b), (&k.nngp, &k.nngp, &k.nngp), &[None], 1.0, 0.0).unwrap();
        let c = &cov[0];
        for i in 0..3 {
            for j in 0..3 {
                assert!((c.get(i, j) - c.get(j, i)).abs() < 1e-12);
                assert!(c.get(i, j).abs() < 1e-9, "{kind:?}: {}", c.get(i, j));
            }
        }
    }
}

#[test]
fn the_cli_answers_compute_cov_with_neural_tangents_covariances() {
    // `ntk predict` with "compute_cov": true, on every reference case, through the
    // flat network and through the same network as a layer list.
    let data: Value =
        serde_json::from_str(include_str!("data/nt_predict_cov_reference.json")).unwrap();
    for case in data["cases"].as_array().unwrap() {
        let net = &case["network"];
        let depth = net["depth"].as_u64().unwrap() as usize;
        let act = net["activation"].clone();
        let mut layers = Vec::new();
        for _ in 0..depth {
            layers.push(serde_json::json!({"dense": {"out": 512, "w_std": net["w_std"], "b_std": net["b_std"]}}));
            layers.push(serde_json::json!({"activation": act}));
        }
        layers.push(
            serde_json::json!({"dense": {"out": 1, "w_std": net["w_std"], "b_std": net["b_std"]}}),
        );
        let as_layers = serde_json::json!({"layers": layers, "parameterization": "ntk"});
        for network in [net.clone(), as_layers] {
            let input = serde_json::json!({
                "network": network,
                "kernel": case["kernel"],
                "x_train": data["inputs"]["x_train"],
                "y_train": data["inputs"]["y_train"],
                "x_test": data["inputs"]["x_test"],
                "times": case["times"],
                "learning_rate": case["learning_rate"],
                "diag_reg": case["diag_reg"],
                "compute_cov": true,
            });
            let out = ntk_core::cli::run("predict", input).unwrap_or_else(|e| panic!("{e:?}"));
            let ours = out["test_cov"].as_array().unwrap();
            let theirs = case["test_cov"].as_array().unwrap();
            assert_eq!(ours.len(), theirs.len());
            for (a, b) in ours.iter().zip(theirs) {
                let (a, b) = (matrix(a), matrix(b));
                let scale = b.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (u, v) in a.as_slice().iter().zip(b.as_slice()) {
                    assert!(
                        (u - v).abs() <= 1e-7 * scale,
                        "{}: {u} against {v}",
                        case["name"]
                    );
                }
            }
        }
    }
}
