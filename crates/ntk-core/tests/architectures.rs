//! The architectures experiment: shift invariance where the theory says it is exact,
//! its regression errors against a second, hand-written solve, and the effect it
//! exists to show (pooling wins on a shift-invariant target).
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::experiments::architectures::{run, signals, Params, ARCHITECTURES};
use ntk_core::layers::analytic::kernels;

/// Solve A x = b by Gaussian elimination with partial pivoting (a second
/// implementation, independent of the core's Cholesky path).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            let (top, rest) = a.split_at_mut(r);
            for (v, pv) in rest[0][c..].iter_mut().zip(&top[c][c..]) {
                *v -= f * pv;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

#[test]
fn pooling_makes_the_kernel_shift_invariant_and_wins_on_a_shift_invariant_target() {
    let p = Params::default();
    let out = run(&p, &mut ()).unwrap();
    assert_eq!(out.names, ARCHITECTURES);
    for (i, name) in out.names.iter().enumerate() {
        let total: f64 = out.spectra[i].iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!(
            out.spectra[i].windows(2).all(|w| w[0] >= w[1]),
            "{name}: not descending"
        );
        // Circular convolutions + global average pooling: exactly invariant to a
        // circular shift of either input. Every other architecture here is not.
        if name == "cnn_gap" {
            assert!(
                out.shift_change[i] < 1e-12,
                "{name}: {}",
                out.shift_change[i]
            );
        } else {
            assert!(out.shift_change[i] > 0.1, "{name}: {}", out.shift_change[i]);
        }
    }
    let last = out.n.len() - 1;
    let (mlp, gap) = (&out.test_mse[0], &out.test_mse[3]);
    println!(
        "test MSE at n = {}: mlp {:.3}, cnn_gap {:.3}",
        out.n[last], mlp[last], gap[last]
    );
    assert!(gap[last] < 0.5 * mlp[last]);
    assert!(gap.windows(2).all(|w| w[1] < w[0]), "{gap:?}");
}

#[test]
fn a_learning_curve_point_equals_a_direct_solve() {
    let p = Params {
        n_train: vec![24],
        n_test: 30,
        seeds: 1,
        noise: 0.3,
        diag_reg: 1e-3,
        ..Params::default()
    };
    let out = run(&p, &mut ()).unwrap();
    // The experiment's data: seed 0 trains, seed 1 tests.
    let (x, y) = signals(24, p.length, p.noise, 0).unwrap();
    let (xt, yt) = signals(30, p.length, p.noise, 1).unwrap();
    for (i, name) in ARCHITECTURES.iter().enumerate() {
        let net = p.network(name).unwrap();
        let ktt = kernels(&net, x.view().into_dyn(), None).unwrap().ntk;
        let kst = kernels(&net, xt.view().into_dyn(), Some(x.view().into_dyn()))
            .unwrap()
            .ntk;
        let eps = p.diag_reg * ktt.diag().sum() / 24.0;
        let a: Vec<Vec<f64>> = (0..24)
            .map(|r| {
                (0..24)
                    .map(|c| ktt[[r, c]] + if r == c { eps } else { 0.0 })
                    .collect()
            })
            .collect();
        let alpha = solve(a, y.clone());
        let mse = (0..30)
            .map(|t| {
                let f: f64 = (0..24).map(|j| kst[[t, j]] * alpha[j]).sum();
                (f - yt[t]).powi(2)
            })
            .sum::<f64>()
            / 30.0;
        let ours = out.test_mse[i][0];
        assert!((ours - mse).abs() <= 1e-9 * mse, "{name}: {ours} vs {mse}");
    }
}

#[test]
fn bad_settings_are_refused_by_name() {
    for (p, field) in [
        (
            Params {
                length: 1,
                ..Params::default()
            },
            "length",
        ),
        (
            Params {
                filter: 40,
                ..Params::default()
            },
            "filter",
        ),
        (
            Params {
                n_train: vec![],
                ..Params::default()
            },
            "n_train",
        ),
        (
            Params {
                n_train: vec![16, 10_000],
                ..Params::default()
            },
            "n_train",
        ),
        (
            Params {
                noise: f64::NAN,
                ..Params::default()
            },
            "noise",
        ),
    ] {
        let e = run(&p, &mut ()).unwrap_err().to_string();
        assert!(e.contains(field), "{e}");
    }
}
