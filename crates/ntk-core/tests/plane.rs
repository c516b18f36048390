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

/// Collects the streamed parts.
struct Parts(Vec<ntk_core::experiments::Part>);

impl ntk_core::experiments::Observer for Parts {
    fn part(&mut self, part: &ntk_core::experiments::Part) {
        self.0.push(part.clone());
    }
}

#[test]
fn the_streamed_parts_add_up_to_the_result() {
    let p = Params {
        width: 64,
        alphas: vec![1.0, 10.0],
        steps: 30,
        frames: 5,
        grid: 8,
        n: 40,
        ..Params::default()
    };
    let mut parts = Parts(Vec::new());
    let out = run(&p, &mut parts).unwrap();
    let mut it = parts.0.into_iter();
    let mut first = it.next().unwrap();
    let ntk_core::experiments::Part::Plane(header) = &first else {
        panic!("the header comes first");
    };
    assert!(header.frames.is_empty() && header.runs.is_empty());
    for part in it {
        first.absorb(part);
    }
    assert_eq!(first, ntk_core::experiments::Part::Plane(out.clone()));
    assert_eq!(out.frames.len(), 5);
    assert_eq!(out.runs.len(), 2);
}

#[test]
fn under_mu_p_the_kernel_moves_at_every_width() {
    // Theory: in the NTK parameterization the NTK's relative drift after a fixed
    // training time falls at least like m^(−1/2) (Lee et al. 2019, arXiv:1902.06720;
    // with one hidden layer faster, as the readout's a_i·Δa_i averages out over the
    // units); under μP (Yang & Hu 2021, arXiv:2011.14522) it is Θ(1) at every width.
    // Widths 128 and 2048 (16×): the NTK drift falls at least 16^0.42 ≈ 3.2 times
    // (measured 7.8), the μP drift stays within a factor 2 (measured 0.69).
    let base = Params {
        network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
        dataset: Dataset::Circle,
        alphas: vec![1.0],
        n: 80,
        steps: 100,
        learning_rate: 0.5,
        frames: 2,
        grid: 4,
        ..Params::default()
    };
    let drift = |width: usize, mu_p: bool| {
        let p = Params {
            width,
            mu_p,
            ..base.clone()
        };
        run(&p, &mut ()).unwrap().runs[0].drift
    };
    let (ntk_narrow, ntk_wide) = (drift(128, false), drift(2048, false));
    let (mu_narrow, mu_wide) = (drift(128, true), drift(2048, true));
    println!("NTK {ntk_narrow} → {ntk_wide}; μP {mu_narrow} → {mu_wide}");
    let ntk_ratio = ntk_narrow / ntk_wide;
    assert!(ntk_ratio >= 3.2, "NTK: {ntk_ratio}");
    let mu_ratio = mu_narrow / mu_wide;
    assert!((0.5..2.0).contains(&mu_ratio), "μP: {mu_ratio}");
    assert!(mu_wide > 5.0 * ntk_wide);
}

#[test]
fn mu_p_needs_the_ntk_parameterization_and_files_need_two_columns() {
    let p = Params {
        mu_p: true,
        network: FcNetwork {
            parameterization: ntk_core::kernel::Parameterization::Standard,
            width: Some(512),
            ..FcNetwork::relu(2, 1.4, None)
        },
        ..Params::default()
    };
    let e = p.validate().unwrap_err().to_string();
    assert!(e.contains("μP"), "{e}");
    let file = ntk_core::experiments::UserPoints {
        name: "f.csv".into(),
        rows: 20,
        cols: 3,
        x: vec![0.0; 60],
        y: Some(vec![1.0; 20]),
    };
    let p = Params {
        points: Some(file),
        ..Params::default()
    };
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .contains("two input columns"));
}

#[test]
fn a_file_of_two_columns_is_shuffled_and_split() {
    let rows = 30;
    let x: Vec<f64> = (0..rows).flat_map(|i| [i as f64 / 30.0, 0.5]).collect();
    let y: Vec<f64> = (0..rows).map(|i| i as f64).collect();
    let p = Params {
        points: Some(ntk_core::experiments::UserPoints {
            name: "f.csv".into(),
            rows,
            cols: 2,
            x,
            y: Some(y),
        }),
        test_fraction: 0.2,
        width: 32,
        steps: 3,
        frames: 2,
        grid: 4,
        ..Params::default()
    };
    let out = run(&p, &mut ()).unwrap();
    assert_eq!((out.x_train.len(), out.x_test.len()), (24, 6));
    // Every row once, each with its own target (y = 30·x₁).
    let mut seen: Vec<f64> = out.y_train.iter().chain(&out.y_test).copied().collect();
    for (pt, t) in out.x_train.iter().chain(&out.x_test).zip(&seen) {
        assert!((pt[0] * 30.0 - t).abs() < 1e-12);
    }
    seen.sort_by(f64::total_cmp);
    assert_eq!(seen, (0..rows).map(|i| i as f64).collect::<Vec<_>>());
}

#[test]
fn the_nngp_map_at_infinite_time_is_the_gaussian_process_posterior() {
    // Against a second implementation: K(G, X)(K(X, X) + εI)⁻¹y by a Cholesky solve,
    // with ε the plane's ridge (10⁻⁸ relative to the mean diagonal, neural-tangents'
    // diag_reg convention), and the posterior variance K(g, g) − K(g, X)(K + εI)⁻¹K(X, g).
    let p = Params {
        kernel: KernelKind::Nngp,
        n: 40,
        width: 32,
        steps: 2,
        frames: 2,
        grid: 6,
        ..Params::default()
    };
    let out = run(&p, &mut ()).unwrap();
    let (x_all, y_all) = samples(p.dataset, p.n, p.noise, p.seed).unwrap();
    let n = out.x_train.len();
    let x =
        ntk_core::linalg::Matrix::from_row_major(n, 2, x_all.as_slice()[..2 * n].to_vec()).unwrap();
    let g = ntk_core::experiments::plane::grid_points(p.grid).unwrap();
    let net = FcNetwork {
        width: Some(p.width),
        ..p.network
    };
    let k = kernel_matrix(&net, &x, None).unwrap().nngp;
    let kg = kernel_matrix(&net, &g, Some(&x)).unwrap().nngp;
    let kgg = kernel_matrix(&net, &g, None).unwrap().nngp;
    let eps = 1e-8 * (0..n).map(|i| k.get(i, i)).sum::<f64>() / n as f64;
    let ridge = ntk_core::linalg::Matrix::from_row_major(
        n,
        n,
        (0..n * n)
            .map(|ij| k.as_slice()[ij] + if ij / n == ij % n { eps } else { 0.0 })
            .collect(),
    )
    .unwrap();
    let (alpha, _) = ntk_core::linalg::cholesky_solve(&ridge, &y_all[..n]).unwrap();
    for (i, got) in out.kernel_inf.iter().enumerate() {
        let row = kg.row(i);
        let want: f64 = row.iter().zip(&alpha).map(|(a, b)| a * b).sum();
        let (w, _) = ntk_core::linalg::cholesky_solve(&ridge, row).unwrap();
        let var = kgg.get(i, i) - row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
        assert!(
            (got - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{i}: {got} against {want}"
        );
        let sd = var.max(0.0).sqrt();
        assert!(
            (out.kernel_inf_std[i] - sd).abs() <= 1e-5,
            "{i}: {} against {sd}",
            out.kernel_inf_std[i]
        );
    }
}
