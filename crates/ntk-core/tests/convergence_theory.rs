//! The high-probability view of convergence against sources independent of its code:
//! numpy's quantile, numpy's eigvalsh of H^∞ built from its closed form
//! (`tests/reference/make_lambda0_reference.py`), the m^{−1/2} rate for the quantile,
//! Monte Carlo means of each layer's kernel against the analytic NTK of that depth,
//! and the measured spread of Θ̂(x, x) against the depth against its closed-form L/m
//! law (derived in `empirical::relu_ntk_relative_variance`, and checked there against
//! a separate numpy simulation).
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::data::{sample, Distribution};
use ntk_core::empirical::{depth_sweep, quantile, relu_ntk_relative_variance};
use ntk_core::experiments::capacity::capacity_point;
use ntk_core::experiments::convergence::{run, sphere_grid, Params};
use ntk_core::kernel::{kernel_matrix, FcNetwork};
use ntk_core::layers::architecture::Model;
use ntk_core::linalg::Matrix;
use ntk_core::network::{Mlp, MlpSpec};
use serde_json::Value;

#[test]
fn the_quantile_is_numpys_linear_one() {
    // numpy 1.26: np.quantile(v, q) for q = 0, 0.5, 0.9, 0.95, 1.
    let v = [0.3, 0.1, 0.7, 0.2, 0.9, 0.5, 0.4, 0.65];
    let want = [0.1, 0.45, 0.7599999999999999, 0.8299999999999998, 0.9];
    for (q, w) in [0.0, 0.5, 0.9, 0.95, 1.0].iter().zip(want) {
        let got = quantile(&v, *q).unwrap();
        assert!(
            (got - w).abs() < 1e-15,
            "q = {q}: {got} against numpy's {w}"
        );
    }
    assert!(quantile(&[], 0.5).is_err() && quantile(&v, 1.5).is_err());
}

#[test]
fn lambda_min_of_h_infinity_is_numpys() {
    let data: Value = serde_json::from_str(include_str!("data/lambda0_reference.json")).unwrap();
    let net = FcNetwork::relu(1, 2f64.sqrt(), None);
    for c in data["cases"].as_array().unwrap() {
        let (n, d) = (
            c["n"].as_u64().unwrap() as usize,
            c["d"].as_u64().unwrap() as usize,
        );
        let x: Vec<f64> = c["x"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        let x = Matrix::from_row_major(n, d, x).unwrap();
        let y = vec![1.0; n];
        let (l, ..) = capacity_point(Model::mlp(&net), &x, &y, &y).unwrap();
        let want = c["lambda_min"].as_f64().unwrap();
        println!(
            "n = {n}: λ₀ = {l:.15e}, numpy {want:.15e}, relative {:.1e}",
            (l - want).abs() / want
        );
        assert!(
            (l - want).abs() <= 1e-10 * want,
            "n = {n}: λ₀ {l} against numpy's {want}"
        );
    }
}

#[test]
fn the_quantile_of_the_distance_falls_like_one_over_root_width() {
    // The figure: depth 2, ReLU, Gaussian inputs, 32 seeds; the (1 − δ)
    // quantile's fitted slope in [−0.65, −0.4] (theory −1/2). Measured: −0.55 ± 0.06
    // (d = 4, n = 32, δ = 0.1).
    let p = Params {
        network: FcNetwork::relu(2, 2f64.sqrt(), None),
        widths: vec![64, 128, 256, 512, 1024],
        seeds: 32,
        distributions: vec![Distribution::Gaussian],
        n: 32,
        d: 4,
        layers: true,
        ..Params::default()
    };
    let c = run(&p, &mut ()).unwrap();
    assert!(c.quantile_meaningful(), "32 seeds for δ = 0.1");
    let line = &c.lines[0];
    let fit = line.frobenius.fit_quantile.unwrap();
    assert!(
        (-0.65..=-0.4).contains(&fit.slope),
        "quantile slope {} ± {}",
        fit.slope,
        fit.slope_std_error
    );
    // Every layer's kernel converges at the same rate, and the last layer's is the
    // network's own.
    assert_eq!(line.layers.len(), 2);
    for l in &line.layers {
        let s = l.frobenius.fit_mean.unwrap().slope;
        assert!((-0.65..=-0.4).contains(&s), "layer {}: slope {s}", l.layer);
    }
    assert_eq!(line.layers[1].frobenius, line.frobenius);
    // The quantile lies between the mean and the worst seed.
    for s in &line.frobenius.stats {
        assert!(s.mean <= s.quantile && s.quantile <= s.worst, "{s:?}");
    }
}

#[test]
fn each_cut_of_the_network_has_the_ntk_of_its_depth_on_average() {
    // Θ̂^(ℓ) of a width-256 net averaged over 300 seeds against the analytic NTK of
    // depth ℓ (with biases, tanh: nothing special about ReLU here). The Monte Carlo
    // error is the std over seeds / √300; the mean must sit within 4 of them, and
    // that error is below 1 % of the kernel's largest entry (so a 5 % error in any
    // large entry would fail).
    let x = sample(Distribution::Gaussian, 3, 3, 5, false).unwrap();
    let net = FcNetwork {
        activation: ntk_core::activation::Activation::Tanh,
        ..FcNetwork::relu(3, 1.5, Some(0.2))
    };
    let spec = MlpSpec::from_network(&net, 256);
    let seeds = 300;
    for l in 1..=2 {
        let exact = kernel_matrix(&FcNetwork { depth: l, ..net }, &x, None)
            .unwrap()
            .ntk;
        let mut sum = [0.0; 9];
        let mut sq = [0.0; 9];
        for s in 0..seeds {
            let k = Mlp::init(&spec, 3, s).unwrap().truncated(l).unwrap();
            let t = k.empirical_kernels(&x, None).unwrap().ntk;
            for (i, v) in t.as_slice().iter().enumerate() {
                sum[i] += v;
                sq[i] += v * v;
            }
        }
        let scale = exact.as_slice().iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for i in 0..9 {
            let mean = sum[i] / seeds as f64;
            let se = ((sq[i] / seeds as f64 - mean * mean) / seeds as f64).sqrt();
            let want = exact.as_slice()[i];
            assert!(
                (mean - want).abs() <= 4.0 * se && se <= 0.01 * scale,
                "layer {l}, entry {i}: {mean} ± {se} against {want}"
            );
        }
    }
}

#[test]
fn the_spread_of_the_diagonal_follows_the_depth_over_width_law() {
    // Bias-free ReLU in the NTK parameterization, width 64, 1500 networks: the
    // relative variance of Θ̂(x, x) at L = 1, 2, 4, 8 against the closed form
    // (L/m up to 1/8). Within 3 jackknife errors, and those errors below 10 %.
    let net = FcNetwork::relu(1, 2f64.sqrt(), None);
    let x = sample(Distribution::Gaussian, 2, 6, 3, false).unwrap();
    let pts = depth_sweep(&net, &x, 64, &[1, 2, 4, 8], 1500, |_| true).unwrap();
    for p in &pts {
        let law = relu_ntk_relative_variance(p.depth, 64);
        println!(
            "L = {}: measured {:.4} ± {:.4}, law {law:.4}",
            p.depth, p.rel_var, p.rel_var_se
        );
        assert!(p.rel_var_se < 0.1 * law, "{p:?}");
        assert!(
            (p.rel_var - law).abs() <= 3.0 * p.rel_var_se,
            "L = {}: measured {} ± {} against the law's {law}",
            p.depth,
            p.rel_var,
            p.rel_var_se
        );
    }
    // The law itself at its two ends: L = 1 by hand, ((1 + 5/m)·2 + (1 + 1/m)·2)/4 − 1
    // = 3/m; and for L ≪ m the slope (11/3)/m of deep nets.
    assert!((relu_ntk_relative_variance(1, 64) - 3.0 / 64.0).abs() < 1e-15);
    let small = relu_ntk_relative_variance(100, 1 << 20) / (100.0 / (1 << 20) as f64);
    let want = 5.0 - 4.0 * 102.0 / (3.0 * 101.0);
    assert!((small - want).abs() < 1e-3, "{small} against {want}");
}

#[test]
fn the_sphere_grids_lie_on_the_sphere_at_the_stated_resolution() {
    let (x, g) = sphere_grid(36, 2, 2f64.sqrt()).unwrap();
    assert_eq!(g.resolution_degrees, 5.0);
    let (y, g3) = sphere_grid(400, 3, 3f64.sqrt()).unwrap();
    for m in [&x, &y] {
        for i in 0..m.rows() {
            let r: f64 = m.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((r - (m.cols() as f64).sqrt()).abs() < 1e-12);
        }
    }
    // A Fibonacci lattice of N points covers the 2-sphere to within about
    // √(4π/N)·0.6 radians (each point owns an area 4π/N; hexagonal cells): at N = 400
    // about 6 degrees.
    assert!(
        (3.0..9.0).contains(&g3.resolution_degrees),
        "{}",
        g3.resolution_degrees
    );
    assert!(sphere_grid(10, 4, 2.0).is_err());
}
