//! The SGD experiment against sources independent of its step-by-step code: with the
//! whole pool as the batch, SGD in function space is gradient descent, whose
//! prediction after s steps has the closed form
//! f_s(X*) = Θ(X*, X) Θ(X, X)⁻¹ (I − (I − ηΘ/n)^s) y, computed here by an
//! eigendecomposition; and finite nets approach that prediction at the rate of the
//! linearisation theorems, m^(−1/2) (Lee et al. 2019, arXiv:1902.06720).
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::data::{sample, Distribution};
use ntk_core::experiments::sgd::{run, Params};
use ntk_core::kernel::{kernel_matrix, FcNetwork};
use ntk_core::linalg::symmetric_eigen;
use ntk_core::targets::{targets, Target};

#[test]
fn full_batch_sgd_with_the_kernel_is_closed_form_gradient_descent() {
    let p = Params {
        network: FcNetwork::relu(2, 2f64.sqrt(), Some(0.1)),
        widths: vec![32],
        seeds: 1,
        distribution: Distribution::Gaussian,
        d: 3,
        n: 24,
        n_test: 10,
        target: Target::harmonics(&[1, 2]),
        batch: 24,
        steps: 60,
        learning_rate: 0.3,
        records: 6,
        probes: 4,
        seed: 9,
        ..Params::default()
    };
    let out = run(&p, &mut ()).unwrap();
    // The same data as the experiment draws (its documented seeds).
    let x = sample(Distribution::Gaussian, 24, 3, 9, false).unwrap();
    let y = targets(&p.target, &x, 0.0, 9).unwrap();
    let xt = sample(Distribution::Gaussian, 10, 3, 9 + 1_000_003, false).unwrap();
    let yt = targets(&p.target, &xt, 0.0, 0).unwrap();
    let net = FcNetwork {
        width: Some(32),
        ..p.network
    };
    let k = kernel_matrix(&net, &x, None).unwrap().ntk;
    let kt = kernel_matrix(&net, &xt, Some(&x)).unwrap().ntk;
    let (lam, v) = symmetric_eigen(&k).unwrap();
    let n = 24usize;
    for (k_rec, &s) in out.steps.iter().enumerate() {
        // c = V diag((1 − (1 − ηλ/n)^s)/λ) Vᵀ y, f* = Θ(X*, X) c.
        let mut c = vec![0.0; n];
        for (j, &l) in lam.iter().enumerate() {
            let proj: f64 = (0..n).map(|i| v.get(i, j) * y[i]).sum();
            let g = (1.0 - (1.0 - p.learning_rate * l / n as f64).powi(s as i32)) / l;
            for (i, ci) in c.iter_mut().enumerate() {
                *ci += v.get(i, j) * g * proj;
            }
        }
        let f: Vec<f64> = (0..10)
            .map(|i| (0..n).map(|j| kt.get(i, j) * c[j]).sum())
            .collect();
        let want = f
            .iter()
            .zip(&yt)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            / 10.0;
        let got = out.kernel_test_mse[k_rec];
        assert!(
            (got - want).abs() <= 1e-9 * want,
            "step {s}: {got} against the closed form {want}"
        );
    }
}

#[test]
fn sgd_trained_nets_approach_the_kernel_prediction_as_one_over_root_width() {
    // Mini-batches of 8 from 64 Gaussian samples in d = 4, 200 steps, η = 0.5, bias-free
    // ReLU depth 2, 3 seeds. Measured: final gaps 0.17, 0.094, 0.047 at widths 64, 256,
    // 1024 (slope −0.45); theory −1/2.
    let p = Params {
        network: FcNetwork::relu(2, 2f64.sqrt(), None),
        widths: vec![64, 256, 1024],
        steps: 200,
        ..Params::default()
    };
    let out = run(&p, &mut ()).unwrap();
    let fit = out.gap_fit.unwrap();
    assert!(
        (-0.7..=-0.3).contains(&fit.slope),
        "gap slope {} ± {}",
        fit.slope,
        fit.slope_std_error
    );
    let last = |i: usize| *out.widths[i].gap.last().unwrap();
    assert!(last(0) > last(1) && last(1) > last(2));
    // The widest nets' test error is within 10 % of the kernel's.
    let (net, ker) = (
        *out.widths[2].test_mse.last().unwrap(),
        *out.kernel_test_mse.last().unwrap(),
    );
    assert!((net - ker).abs() < 0.1 * ker, "{net} against {ker}");
    // The NTK moves less at larger width.
    let drift = |i: usize| *out.widths[i].drift.last().unwrap();
    assert!(drift(0) > drift(1) && drift(1) > drift(2));
}
