//! The expected losses of the infinite-width ensemble (`ensemble_gd_losses`, closed
//! form in the NTK's eigenbasis) against a second, independent computation: Monte
//! Carlo over f₀ ~ GP(0, K) of the linear model trained step by step with the NTK.
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::data::gaussian;
use ntk_core::dynamics::ensemble_gd_losses;
use ntk_core::kernel::{kernel_matrix, FcNetwork};
use ntk_core::linalg::Matrix;
use rand::{RngExt, SeedableRng};

fn sub(m: &Matrix, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> Matrix {
    let data = rows
        .clone()
        .flat_map(|i| cols.clone().map(move |j| (i, j)))
        .map(|(i, j)| m.get(i, j))
        .collect();
    Matrix::from_row_major(rows.len(), cols.len(), data).unwrap()
}

#[test]
fn expected_losses_match_monte_carlo_over_initialisations() {
    let (n, m) = (8, 5);
    let x = gaussian(n + m, 3, 4).unwrap();
    let net = FcNetwork::relu(2, 1.5, Some(0.2));
    let k = kernel_matrix(&net, &x, None).unwrap();
    let (ntk, nngp) = (&k.ntk, &k.nngp);
    let y: Vec<f64> = (0..n).map(|i| (1.3 * x.get(i, 0)).sin()).collect();
    let y_test: Vec<f64> = (n..n + m).map(|i| (1.3 * x.get(i, 0)).sin()).collect();
    let lr = 0.5;
    let steps = [0usize, 3, 20, 100];
    let diag: Vec<f64> = (n..n + m).map(|i| nngp.get(i, i)).collect();
    let closed = ensemble_gd_losses(
        &sub(ntk, 0..n, 0..n),
        &sub(ntk, n..n + m, 0..n),
        &sub(nngp, 0..n, 0..n),
        &sub(nngp, n..n + m, 0..n),
        &diag,
        &y,
        &y_test,
        lr,
        &steps,
    )
    .unwrap();

    // Cholesky of the joint NNGP matrix (written out here: an independent factor).
    let t = n + m;
    let mut l = vec![0.0; t * t];
    for i in 0..t {
        for j in 0..=i {
            let mut s = nngp.get(i, j) + if i == j { 1e-12 } else { 0.0 };
            for p in 0..j {
                s -= l[i * t + p] * l[j * t + p];
            }
            l[i * t + j] = if i == j { s.sqrt() } else { s / l[j * t + j] };
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let samples = 20_000;
    let mut sums = vec![[0.0f64; 4]; steps.len()];
    for _ in 0..samples {
        let z: Vec<f64> = (0..t)
            .map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal))
            .collect();
        let f0: Vec<f64> = (0..t)
            .map(|i| (0..=i).map(|p| l[i * t + p] * z[p]).sum())
            .collect();
        // Gradient descent on the linear model, one step at a time:
        // f(X) ← f(X) − (η/N) Θ(X, X) r, f(X*) ← f(X*) − (η/N) Θ(X*, X) r, r = f(X) − y.
        let mut f = f0.clone();
        let mut s = 0;
        for (idx, &target) in steps.iter().enumerate() {
            while s < target {
                let r: Vec<f64> = (0..n).map(|i| f[i] - y[i]).collect();
                for (a, fa) in f.iter_mut().enumerate() {
                    let upd: f64 = (0..n).map(|j| ntk.get(a, j) * r[j]).sum();
                    *fa -= lr / n as f64 * upd;
                }
                s += 1;
            }
            let tr: f64 = (0..n).map(|i| (f[i] - y[i]).powi(2)).sum::<f64>() / (2.0 * n as f64);
            let te: f64 =
                (0..m).map(|i| (f[n + i] - y_test[i]).powi(2)).sum::<f64>() / (2.0 * m as f64);
            sums[idx][0] += tr;
            sums[idx][1] += tr * tr;
            sums[idx][2] += te;
            sums[idx][3] += te * te;
        }
    }
    let sn = samples as f64;
    for (idx, s) in sums.iter().enumerate() {
        for (which, (sum, sq), want) in [
            ("train", (s[0], s[1]), closed.train[idx]),
            ("test", (s[2], s[3]), closed.test[idx]),
        ] {
            let mean = sum / sn;
            let se = ((sq / sn - mean * mean) / sn).sqrt();
            assert!(
                (mean - want).abs() <= 4.0 * se,
                "step {}: {which} MC {mean} ± {se} vs closed form {want}",
                steps[idx]
            );
        }
    }
    // The variance term matters: the expected test loss exceeds the loss of the mean.
    let mean_only: f64 = closed.test_mean[3]
        .iter()
        .zip(&y_test)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / (2.0 * m as f64);
    assert!(
        closed.test[3] > 1.05 * mean_only,
        "{} vs {mean_only}",
        closed.test[3]
    );
}
