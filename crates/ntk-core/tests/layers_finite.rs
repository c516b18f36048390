//! Finite-width layer networks: the backward pass against finite differences, the
//! structured empirical NTK against the full Jacobian, and the empirical NTK of a
//! CNN converging to the analytic CNTK (itself checked against neural-tangents in
//! `layers_reference.rs`) as the channels grow; attention with linear scaling
//! converging to its analytic kernel, and with 1/√d_k scaling not.
#![cfg(not(target_arch = "wasm32"))]

use ndarray::{Array3, ArrayD};
use ntk_core::layers::analytic::kernels;
use ntk_core::layers::finite::{FiniteLayerNet, Method};
use ntk_core::layers::{LayerNetwork, Shape};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

fn net(json: &str, param: &str) -> LayerNetwork {
    serde_json::from_str(&format!(
        r#"{{"layers": {json}, "parameterization": "{param}"}}"#
    ))
    .unwrap()
}

fn signals(n: usize, len: usize, ch: usize, seed: u64) -> ArrayD<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array3::from_shape_simple_fn((n, len, ch), || rng.sample::<f64, _>(StandardNormal)).into_dyn()
}

/// Every layer kind, in four networks; smooth activations for the finite differences.
/// The third has attention with independent queries (1/√d_k) and with tied ones
/// (1/d_k) inside a residual branch. The fourth is a KAN: a layer on the raw inputs,
/// a splines-only layer of another degree and range, pooling, and a KAN readout.
const SMOOTH: [&str; 4] = [
    r#"[{"conv": {"out": 5, "filter": [3], "padding": "same", "w_std": 1.3, "b_std": 0.2}},
        {"layer_norm": {}},
        {"residual": {"branch": [{"activation": "tanh"},
            {"conv": {"out": 5, "filter": [3], "padding": "circular", "w_std": 1.2, "b_std": 0.1}}]}},
        {"activation": "gelu"},
        {"avg_pool": {"window": [3], "stride": [2], "padding": "same"}},
        {"flatten": {}}, {"dense": {"out": 1, "w_std": 1.1, "b_std": 0.3}}]"#,
    r#"[{"conv": {"out": 4, "filter": [2], "stride": [2], "padding": "valid", "w_std": 1.5}},
        {"activation": "erf"}, {"dense": {"out": 6, "w_std": 1.4, "b_std": 0.1}},
        {"activation": "softplus"}, {"global_avg_pool": {}},
        {"dense": {"out": 3, "w_std": 1.4, "b_std": 0.1}}, {"activation": "sin"},
        {"dense": {"out": 1, "w_std": 1.0}}]"#,
    r#"[{"attention": {"out": 4, "heads": 2, "key": 3, "value": 2, "linear_scaling": false,
            "w_key_std": 1.2, "w_query_std": 0.9, "w_value_std": 1.1, "w_out_std": 1.3, "b_std": 0.1}},
        {"activation": "tanh"}, {"dense": {"out": 5, "w_std": 1.3, "b_std": 0.2}},
        {"residual": {"branch": [{"activation": "gelu"},
            {"attention": {"out": 5, "heads": 3, "key": 2, "value": 3, "w_key_std": 1.5}}]}},
        {"global_avg_pool": {}}, {"dense": {"out": 1, "w_std": 1.0}}]"#,
    r#"[{"kan": {"out": 4, "grid": 4, "order": 3}},
        {"kan": {"out": 3, "grid": 3, "order": 2, "range": [-1, 1.5], "base": "none", "w_std": 1.3}},
        {"global_avg_pool": {}},
        {"kan": {"out": 1, "grid": 5, "order": 3, "base_std": 0.7}}]"#,
];

#[test]
fn the_backward_pass_matches_central_differences() {
    let x = signals(1, 8, 2, 1);
    let xi = x.index_axis(ndarray::Axis(0), 0).to_owned();
    let shape = Shape {
        spatial: vec![8],
        channels: 2,
    };
    for (k, layers) in SMOOTH.iter().enumerate() {
        for param in ["ntk", "standard"] {
            let mut finite = FiniteLayerNet::init(&net(layers, param), &shape, 7).unwrap();
            let g = finite.parameter_gradient(xi.view()).unwrap();
            assert_eq!(g.len(), finite.num_params());
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            for _ in 0..3 {
                let v: Vec<f64> = (0..g.len())
                    .map(|_| rng.sample::<f64, _>(StandardNormal))
                    .collect();
                let h = 1e-5;
                finite.perturb(&v, h).unwrap();
                let up = finite.outputs(x.view()).unwrap()[0];
                finite.perturb(&v, -2.0 * h).unwrap();
                let down = finite.outputs(x.view()).unwrap()[0];
                finite.perturb(&v, h).unwrap();
                let fd = (up - down) / (2.0 * h);
                let ours: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
                // Central differences: error O(h²·f''') + O(ε/h) ≈ 1e-10 here.
                assert!(
                    (fd - ours).abs() <= 1e-7 * ours.abs().max(1.0),
                    "network {k} {param}: finite difference {fd} vs backward {ours}"
                );
            }
        }
    }
}

#[test]
fn the_structured_empirical_ntk_equals_the_jacobian_for_every_layer_kind() {
    let shape = Shape {
        spatial: vec![8],
        channels: 2,
    };
    let (x1, x2) = (signals(4, 8, 2, 11), signals(3, 8, 2, 12));
    let mut worst = 0.0f64;
    for layers in SMOOTH.iter().chain([
        // A ReLU CNN with average pooling and a stride-free valid conv.
        &r#"[{"conv": {"out": 6, "filter": [3], "padding": "circular", "w_std": 1.4, "b_std": 0.1}},
             {"activation": "relu"}, {"avg_pool": {"window": [2]}},
             {"conv": {"out": 6, "filter": [2], "padding": "valid", "w_std": 1.4}},
             {"activation": "relu"}, {"global_avg_pool": {}}, {"dense": {"out": 1, "w_std": 1.4, "b_std": 0.1}}]"#,
    ]) {
        for param in ["ntk", "standard"] {
            let finite = FiniteLayerNet::init(&net(layers, param), &shape, 5).unwrap();
            for x2 in [None, Some(x2.view())] {
                let s = finite.empirical_ntk(x1.view(), x2.clone(), Method::Structured).unwrap();
                let j = finite.empirical_ntk(x1.view(), x2, Method::Jacobian).unwrap();
                let scale = j.ntk.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (a, b) in s.ntk.iter().zip(j.ntk.iter()) {
                    let e = (a - b).abs() / scale;
                    worst = worst.max(e);
                    assert!(e <= 1e-10, "{param}: structured {a} vs Jacobian {b}");
                }
                assert_eq!(s.f1, j.f1);
            }
        }
    }
    println!("worst relative difference {worst:.2e}");
}

/// ‖Θ̂ − Θ‖_F / ‖Θ‖_F for a two-layer ReLU CNN with global average pooling, mean over
/// 8 seeds, against the channels: the finite-width fluctuations shrink like
/// C^{−1/2} (Arora et al. 2019, arXiv:1904.11955, Thm 3.1's rate for the CNTK; Hanin &
/// Nica 2019 for the 1/width variance), so the log-log slope is about −0.5.
#[test]
fn the_empirical_ntk_of_a_cnn_approaches_the_analytic_cntk_as_channels_grow() {
    let layers = r#"[{"conv": {"out": CH, "filter": [3], "padding": "circular", "w_std": 1.4, "b_std": 0.1}},
        {"activation": "relu"},
        {"conv": {"out": CH, "filter": [3], "padding": "circular", "w_std": 1.4, "b_std": 0.1}},
        {"activation": "relu"}, {"global_avg_pool": {}}, {"dense": {"out": 1, "w_std": 1.4, "b_std": 0.1}}]"#;
    let x = signals(5, 8, 2, 21);
    let shape = Shape {
        spatial: vec![8],
        channels: 2,
    };
    let exact = kernels(&net(&layers.replace("CH", "1"), "ntk"), x.view(), None)
        .unwrap()
        .ntk;
    let norm = exact.iter().map(|v| v * v).sum::<f64>().sqrt();
    let channels = [16usize, 32, 64, 128, 256];
    let mut points = vec![];
    for &c in &channels {
        let network = net(&layers.replace("CH", &c.to_string()), "ntk");
        let errors: Vec<f64> = (0..8)
            .map(|seed| {
                let f = FiniteLayerNet::init(&network, &shape, seed).unwrap();
                let e = f
                    .empirical_ntk(x.view(), None, Method::Structured)
                    .unwrap()
                    .ntk;
                (&e - &exact).iter().map(|v| v * v).sum::<f64>().sqrt() / norm
            })
            .collect();
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        println!("channels {c:4}: mean relative error {mean:.4}");
        points.push(((c as f64).ln(), mean.ln()));
    }
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    println!("log-log slope {slope:.3}");
    assert!((-0.65..=-0.4).contains(&slope), "slope {slope}");
}

/// The mean over seeds of ‖Θ̂ − Θ‖_F/‖Θ‖_F, and of the relative spread of Θ̂ over
/// seeds, std(Θ̂)/‖mean Θ̂‖ entrywise in Frobenius norm, for an attention network of
/// width m (out = d_k = d_v = m, one head) on tokens.
fn attention_errors(
    scaling: &str,
    m: usize,
    seeds: u64,
    exact: Option<&ndarray::Array2<f64>>,
) -> (f64, f64) {
    let layers = format!(
        r#"[{{"attention": {{"out": {m}, "heads": 1, "linear_scaling": {scaling}, "w_key_std": 1.5, "w_value_std": 1.2}}}},
            {{"activation": "relu"}}, {{"global_avg_pool": {{}}}}, {{"dense": {{"out": 1, "w_std": 1.4, "b_std": 0.1}}}}]"#
    );
    let network = net(&layers, "ntk");
    let x = signals(5, 4, 3, 31);
    let shape = Shape {
        spatial: vec![4],
        channels: 3,
    };
    let grams: Vec<ndarray::Array2<f64>> = (0..seeds)
        .map(|seed| {
            FiniteLayerNet::init(&network, &shape, 100 + seed)
                .unwrap()
                .empirical_ntk(x.view(), None, Method::Structured)
                .unwrap()
                .ntk
        })
        .collect();
    let fro = |a: &ndarray::Array2<f64>| a.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mean = grams
        .iter()
        .fold(ndarray::Array2::zeros((5, 5)), |acc, g| acc + g)
        / seeds as f64;
    let spread =
        (grams.iter().map(|g| fro(&(g - &mean)).powi(2)).sum::<f64>() / (seeds - 1) as f64).sqrt()
            / fro(&mean);
    let error = exact.map_or(f64::NAN, |e| {
        grams.iter().map(|g| fro(&(g - e)) / fro(e)).sum::<f64>() / seeds as f64
    });
    (error, spread)
}

fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>()
}

/// Attention with linear scaling (1/d_k, tied queries and keys): the logits
/// concentrate, the empirical NTK converges to NT's analytic kernel (checked against
/// neural-tangents in `layers_reference.rs`), and the relative distance falls like
/// m^{−1/2} (the CLT rate of the value/output sums; the tied keys' own contribution
/// falls like 1/m). With the standard 1/√d_k scaling the logits stay Gaussian and
/// random at every width (Hron et al. 2020, arXiv:2006.10540, §3), so with one head
/// the empirical NTK keeps an O(1) spread over seeds: its slope is near 0.
#[test]
fn attention_with_linear_scaling_converges_and_with_sqrt_scaling_stays_random() {
    let probe = net(
        r#"[{"attention": {"out": 1, "heads": 1, "w_key_std": 1.5, "w_value_std": 1.2}},
            {"activation": "relu"}, {"global_avg_pool": {}}, {"dense": {"out": 1, "w_std": 1.4, "b_std": 0.1}}]"#,
        "ntk",
    );
    let exact = kernels(&probe, signals(5, 4, 3, 31).view(), None)
        .unwrap()
        .ntk;
    let widths = [32usize, 64, 128, 256, 512, 1024];
    let (mut linear, mut sqrt) = (vec![], vec![]);
    for &m in &widths {
        let (error, spread_linear) = attention_errors("true", m, 16, Some(&exact));
        let (_, spread_sqrt) = attention_errors("false", m, 16, None);
        println!(
            "m {m:4}: linear scaling: distance to the analytic NTK {error:.4}, spread {spread_linear:.4}; 1/√d_k: spread {spread_sqrt:.4}"
        );
        linear.push(((m as f64).ln(), error.ln()));
        sqrt.push(((m as f64).ln(), spread_sqrt.ln()));
    }
    let (s_lin, s_sqrt) = (slope(&linear), slope(&sqrt));
    println!("slopes: linear-scaling distance {s_lin:.3}, 1/√d_k spread {s_sqrt:.3}");
    assert!(
        (-0.65..=-0.4).contains(&s_lin),
        "linear-scaling slope {s_lin}"
    );
    assert!(
        s_sqrt > -0.15,
        "the 1/√d_k spread should not shrink: slope {s_sqrt}"
    );
    assert!(sqrt.last().unwrap().1.exp() > 0.1);
}

/// One small gradient-descent step moves the outputs as the linearised model says:
/// f₁ − f₀ = −(η/N)·Θ̂₀·(f₀ − y) + O(η²) (Lee et al. 2019, arXiv:1902.06720, eq. 3),
/// with Θ̂₀ the empirical NTK checked above. At η = 10⁻⁴ of the critical rate the
/// second-order term is ~10⁻⁴ of the step.
#[test]
fn a_small_gradient_step_follows_the_empirical_ntk() {
    let shape = Shape {
        spatial: vec![8],
        channels: 2,
    };
    let x = signals(6, 8, 2, 31);
    let y = [0.5, -1.0, 0.3, 1.2, -0.4, 0.0];
    for layers in SMOOTH {
        let network = net(layers, "ntk");
        let probe = FiniteLayerNet::init(&network, &shape, 9).unwrap();
        let theta = probe
            .empirical_ntk(x.view(), None, Method::Structured)
            .unwrap();
        let critical = probe
            .clone()
            .train(x.view(), &y, None, 1e-12, 0, 1)
            .unwrap()
            .critical_learning_rate;
        let eta = 1e-4 * critical;
        let mut trained = probe.clone();
        let rec = trained.train(x.view(), &y, None, eta, 1, 1).unwrap();
        let (f0, f1) = (&rec.train_predictions[0], &rec.train_predictions[1]);
        assert_eq!(f0, &theta.f1.to_vec());
        for i in 0..6 {
            let lin: f64 = -(eta / 6.0)
                * (0..6)
                    .map(|j| theta.ntk[[i, j]] * (f0[j] - y[j]))
                    .sum::<f64>();
            let step = f1[i] - f0[i];
            assert!(
                (step - lin).abs() <= 1e-3 * lin.abs().max(1e-12),
                "output {i}: step {step} vs linearised {lin}"
            );
        }
        // Full training at half the critical rate lowers the loss.
        let rec = probe
            .clone()
            .train(x.view(), &y, None, 0.5 * critical, 50, 10)
            .unwrap();
        assert!(
            rec.train_loss.last().unwrap() < &(0.5 * rec.train_loss[0]),
            "{:?}",
            rec.train_loss
        );
        // Above the critical rate it is refused.
        assert!(probe
            .clone()
            .train(x.view(), &y, None, 1.01 * critical, 5, 1)
            .is_err());
    }
}
