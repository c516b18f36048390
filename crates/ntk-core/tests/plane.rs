//! Learning on the plane against sources independent of its code: the kernel regime
//! of Chizat, Oyallon & Bach (arXiv:1812.07956), where a net with output scale α stays
//! within O(1/α) of its linearisation (smooth activations: the second-order term of
//! f_α = α(f_θ − f_θ₀) is α·O(‖Δθ‖²) with ‖Δθ‖ = O(1/α)); the grid's predictive
//! variance against the diagonal of `predict_cov` (itself checked against
//! neural-tangents' compute_cov=True); and the data sets against their geometry.
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::dynamics::{predict_cov, predict_variance, KernelKind};
use ntk_core::experiments::plane::{run, samples, Dataset, Params};
use ntk_core::kernel::{kernel_matrix, FcNetwork};

#[test]
fn a_large_output_scale_keeps_the_net_on_its_linearisation() {
    // erf, depth 2, width 256, XOR (100 train points), 200 steps of η = 1.
    let p = Params {
        network: FcNetwork {
            activation: ntk_core::activation::Activation::Erf,
            ..FcNetwork::relu(2, 1.5, Some(0.1))
        },
        width: 256,
        alphas: vec![100.0, 10.0, 1.0, 0.1],
        steps: 200,
        frames: 4,
        grid: 20,
        ..Params::default()
    };
    let out = run(&p, &mut ()).unwrap();
    let gap: Vec<f64> = out.runs.iter().map(|r| r.gap).collect();
    let drift: Vec<f64> = out.runs.iter().map(|r| r.drift).collect();
    println!("gaps {gap:?}\ndrifts {drift:?}");
    assert!(gap[0] <= 0.01, "α = 100: {}", gap[0]);
    // O(1/α): ten times the scale, a tenth of the gap (±30 %).
    let ratio = gap[1] / gap[0];
    assert!((7.0..13.0).contains(&ratio), "gap(10)/gap(100) = {ratio}");
    assert!(gap.windows(2).all(|w| w[0] < w[1]), "{gap:?}");
    assert!(drift.windows(2).all(|w| w[0] < w[1]), "{drift:?}");
    // The frames: 0 first, the last step last; the kernel's std on the grid ≥ 0.
    assert_eq!(out.frames.first().unwrap().step, 0);
    assert_eq!(out.frames.last().unwrap().step, 200);
    assert!(out
        .frames
        .iter()
        .all(|f| f.kernel_std.iter().all(|s| *s >= 0.0)));
}

#[test]
fn the_grid_variance_is_the_diagonal_of_the_covariance() {
    let net = FcNetwork::relu(2, 1.5, Some(0.1));
    let (x, _) = samples(Dataset::Spiral, 20, 0.0, 3).unwrap();
    let (g, _) = samples(Dataset::Circle, 7, 0.0, 4).unwrap();
    let k = kernel_matrix(&net, &x, None).unwrap();
    let kg = kernel_matrix(&net, &g, Some(&x)).unwrap();
    let kgg = kernel_matrix(&net, &g, None).unwrap();
    let diag: Vec<f64> = (0..7).map(|i| kgg.nngp.get(i, i)).collect();
    let times = [Some(0.3), Some(4.0), None];
    for kind in [KernelKind::Ntk, KernelKind::Nngp] {
        let (a, b) = match kind {
            KernelKind::Ntk => (&k.ntk, &kg.ntk),
            KernelKind::Nngp => (&k.nngp, &kg.nngp),
        };
        let cov = predict_cov(
            kind,
            (a, b),
            (&k.nngp, &kg.nngp, &kgg.nngp),
            &times,
            0.7,
            1e-3,
        )
        .unwrap();
        let var =
            predict_variance(kind, (a, b), (&k.nngp, &kg.nngp, &diag), &times, 0.7, 1e-3).unwrap();
        for (c, v) in cov.iter().zip(&var) {
            for (i, vi) in v.iter().enumerate() {
                let want = c.get(i, i);
                assert!(
                    (vi - want).abs() <= 1e-10 * want.abs().max(1.0),
                    "{kind:?}: {vi} against {want}"
                );
            }
        }
    }
}

#[test]
fn the_circle_splits_the_square_in_half() {
    // +1 inside the circle of area 2 in the square of area 4: half the samples, to
    // within 3 binomial standard deviations (√(N/4) = 50 for N = 10 000).
    let (x, y) = samples(Dataset::Circle, 10_000, 0.0, 1).unwrap();
    let inside = y.iter().filter(|v| **v > 0.0).count() as f64;
    assert!((inside - 5000.0).abs() < 150.0, "{inside}");
    // XOR without noise: the label is the sign of x₁x₂.
    let (x2, y2) = samples(Dataset::Xor, 200, 0.0, 2).unwrap();
    for (i, yi) in y2.iter().enumerate() {
        assert_eq!(*yi > 0.0, x2.get(i, 0) * x2.get(i, 1) >= 0.0);
    }
    assert!(x.as_slice().iter().all(|v| v.abs() <= 1.0));
}
