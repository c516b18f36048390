//! Every page experiment follows the architecture: a CNN's finite nets approach its
//! analytic kernel on the circle as the channels grow, a wide CNN trained by gradient
//! descent stays close to its own linearisation (Lee et al. 2019, arXiv:1902.06720),
//! and the spectrum says why it draws no Funk–Hecke overlay.
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::data::Distribution;
use ntk_core::experiments::inputs::{DataSpec, NoFunkHecke};
use ntk_core::experiments::{kernel, spectrum, training};
use ntk_core::kernel::FcNetwork;
use ntk_core::layers::architecture::{Architecture, Pooling};
use ntk_core::layers::Padding;
use ntk_core::targets::Target;

fn cnn() -> Architecture {
    Architecture::Cnn {
        filter: 3,
        padding: Padding::Circular,
        pooling: Pooling::GlobalAvg,
        height: None,
    }
}

fn relu(depth: usize) -> FcNetwork {
    FcNetwork::relu(depth, 2f64.sqrt(), Some(0.1))
}

/// Per width: each seed's RMS gap to `analytic` over the circle, relative to the
/// analytic curve's RMS, averaged over the seeds.
fn mean_rms_gaps(widths: &[kernel::WidthProfile], analytic: &[f64]) -> Vec<f64> {
    let rms = |v: &mut dyn Iterator<Item = f64>| {
        (v.map(|x| x * x).sum::<f64>() / analytic.len() as f64).sqrt()
    };
    let scale = rms(&mut analytic.iter().copied());
    widths
        .iter()
        .map(|w| {
            w.seeds
                .iter()
                .map(|c| rms(&mut c.iter().zip(analytic).map(|(a, b)| a - b)) / scale)
                .sum::<f64>()
                / w.seeds.len() as f64
        })
        .collect()
}

/// The empirical Θ̂(x₀, x(γ)) of random CNNs approaches the analytic CNTK (itself
/// checked against neural-tangents) with the channels: each net's relative RMS gap
/// over the circle, averaged over 12 seeds, falls like m^{-1/2} (Hanin & Nica 2019,
/// arXiv:1909.05989), by about 2 per 4× channels.
#[test]
fn cnn_circle_profile_converges_to_the_analytic_cntk() {
    let p = kernel::Params {
        network: relu(2),
        architecture: cnn(),
        widths: vec![16, 64, 256, 1024],
        seeds: 12,
        points: 21,
        data: DataSpec::sample(Distribution::Gaussian, 6, 8),
        ..kernel::Params::default()
    };
    let out = kernel::run(&p, &mut ()).unwrap();
    let analytic = out.circle.analytic.clone().unwrap();
    for w in &out.circle.widths {
        assert_eq!(w.seeds.len(), 12);
    }
    let gaps = mean_rms_gaps(&out.circle.widths, &analytic);
    // The slope of log gap against log m, least squares over the four widths.
    let xs: Vec<f64> = [16f64, 64.0, 256.0, 1024.0]
        .iter()
        .map(|m| m.ln())
        .collect();
    let ys: Vec<f64> = gaps.iter().map(|g| g.ln()).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / 4.0, ys.iter().sum::<f64>() / 4.0);
    let slope = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
    eprintln!("gaps {gaps:?}, slope {slope}");
    assert!(gaps[3] < 0.05, "{gaps:?}");
    assert!(
        (-0.65..=-0.4).contains(&slope),
        "slope {slope}, gaps {gaps:?}"
    );
    // γ = 0 is x₀ itself: the analytic profile's peak is Θ(x₀, x₀), the heatmap's
    // first entry (the circle passes through the first data input). The profile takes
    // x(0) as a second input, so the ReLU's arc-cosine at ρ = 1 − O(ε) costs O(√ε)
    // in the angle: 1e-8 relative, as between neural-tangents and the exact diagonal.
    let mid = analytic.len() / 2;
    assert_eq!(out.circle.gamma[mid], 0.0);
    assert!((analytic[mid] - out.heatmaps.analytic[0]).abs() < 1e-8 * analytic[mid]);
}

/// The kernel panel with the attention architecture (dense embedding → attention
/// with linear scaling → ReLU → global pooling → dense, 4 tokens of 2 features): the
/// empirical NTK of random nets on the circle through the data approaches the
/// analytic kernel (itself checked against neural-tangents' GlobalSelfAttention),
/// each seed's RMS gap falling like m^{-1/2}; with 1/√d_k scaling the panel refuses
/// in words, as there is no closed form to draw.
#[test]
fn attention_circle_profile_converges_with_linear_scaling() {
    let arch = |linear_scaling| Architecture::Attention {
        tokens: 4,
        heads: 2,
        linear_scaling,
        pooling: Pooling::GlobalAvg,
    };
    let p = kernel::Params {
        network: relu(1),
        architecture: arch(true),
        widths: vec![32, 128, 512],
        seeds: 10,
        points: 21,
        data: DataSpec::sample(Distribution::Gaussian, 6, 8),
        ..kernel::Params::default()
    };
    let out = kernel::run(&p, &mut ()).unwrap();
    let analytic = out.circle.analytic.clone().unwrap();
    let gaps = mean_rms_gaps(&out.circle.widths, &analytic);
    let slope = (gaps[2] / gaps[0]).ln() / 16f64.ln();
    eprintln!("attention gaps {gaps:?}, slope {slope}");
    assert!(
        (-0.65..=-0.4).contains(&slope),
        "slope {slope}, gaps {gaps:?}"
    );
    // 1/√d_k: no analytic curve; the seeds' spread over the circle stays O(1) from
    // m = 32 to 512 (the attention weights stay random), and the heatmaps compare two
    // random nets of the widest width, which still disagree by O(1).
    let sqrt = kernel::run(
        &kernel::Params {
            architecture: arch(false),
            ..p
        },
        &mut (),
    )
    .unwrap();
    assert!(sqrt.circle.analytic.is_none() && sqrt.circle.no_limit);
    let spread = |w: &kernel::WidthProfile| {
        let k = w.seeds.len() as f64;
        let n = w.seeds[0].len();
        let mean: Vec<f64> = (0..n)
            .map(|i| w.seeds.iter().map(|s| s[i]).sum::<f64>() / k)
            .collect();
        let var: f64 = (0..n)
            .map(|i| {
                w.seeds
                    .iter()
                    .map(|s| (s[i] - mean[i]).powi(2))
                    .sum::<f64>()
                    / (k - 1.0)
            })
            .sum::<f64>();
        (var / mean.iter().map(|v| v * v).sum::<f64>()).sqrt()
    };
    let (s32, s512) = (
        spread(&sqrt.circle.widths[0]),
        spread(&sqrt.circle.widths[2]),
    );
    let (l32, l512) = (spread(&out.circle.widths[0]), spread(&out.circle.widths[2]));
    eprintln!("relative spread: 1/√d_k {s32:.3} → {s512:.3}; 1/d_k {l32:.3} → {l512:.3}");
    assert!(s512 > 0.5 * s32, "1/√d_k spread {s32} → {s512}");
    assert!(l512 < 0.4 * l32, "1/d_k spread {l32} → {l512}");
    let h = &sqrt.heatmaps;
    assert_eq!(h.other_seed, Some(h.seed + 1));
    let fro = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = h
        .empirical
        .iter()
        .zip(&h.analytic)
        .map(|(a, b)| a - b)
        .collect();
    let rel = fro(&diff) / fro(&h.analytic);
    eprintln!("two nets of width 512, 1/√d_k: relative difference {rel:.3}");
    assert!(rel > 0.1, "{rel}");
}

/// Lee et al. 2019: a wide network trained by gradient descent with a small rate
/// stays close to its linearisation, and closer as it widens.
#[test]
fn wide_cnn_trains_like_its_linearisation() {
    let p = training::Params {
        network: relu(1),
        architecture: cnn(),
        widths: vec![16, 64, 256],
        data: DataSpec::sample(Distribution::Gaussian, 12, 8),
        target: Target::Harmonics {
            degrees: vec![(1, 1.0), (2, 1.0)],
        },
        n_test: 10,
        learning_rate: 0.5,
        steps: 40,
        snapshots: vec![0, 40],
        ..training::Params::default()
    };
    let out = training::run(&p, &mut ()).unwrap();
    let gaps: Vec<f64> = out
        .training
        .runs
        .iter()
        .map(|r| *r.linear_gap.last().unwrap())
        .collect();
    eprintln!("linear gaps {gaps:?}");
    assert!(gaps[2] < gaps[0], "{gaps:?}");
    assert!(gaps[2] < 0.05, "{gaps:?}");
    // The loss falls.
    let run = &out.training.runs[2];
    assert!(run.train_loss.last().unwrap() < &(0.5 * run.train_loss[0]));
    // The infinite-width ensemble is drawn (below the critical rate).
    assert!(!out.training.kernel_train.is_empty());
}

#[test]
fn cnn_spectrum_says_why_there_is_no_funk_hecke_overlay() {
    let p = spectrum::Params {
        network: relu(2),
        architecture: cnn(),
        data: DataSpec::sample(Distribution::Sphere, 40, 6),
        ..spectrum::Params::default()
    };
    let s = spectrum::run(&p, &mut ()).unwrap();
    assert!(s.analytic.is_none());
    assert_eq!(s.analytic_note, Some(NoFunkHecke::NotMlp));
    // The eigenvalues λ/n of a PSD Gram sum to its trace / n.
    assert!(s.eigenvalues.iter().all(|l| *l > -1e-10));
}

/// The tokens tasks: attention with global pooling is blind to the tokens' order, so
/// on test inputs and their token rotations (x₂, …, x_T, x₁) every prediction it makes
/// is the same for both, and its squared error on the pair is at least (y − y')²/2
/// — the floor Σ(y − y')²/(4m) of any order-blind predictor over the 2m test points,
/// a closed form of the targets. On the first − last token target it stays above that
/// floor; with flatten (positions kept) it goes well below it. On the bag of tokens,
/// whose floor is 0 (y = y'), pooling learns better than flatten.
#[test]
fn attention_learns_a_bag_of_tokens_with_pooling_and_token_order_only_with_positions() {
    use ntk_core::data::gaussian;
    use ntk_core::experiments::kernel_regression_mse_on;
    use ntk_core::layers::architecture::Model;
    use ntk_core::linalg::Matrix;
    use ntk_core::targets::targets;
    let (t, f) = (4, 2);
    let d = t * f;
    let net = FcNetwork {
        width: None,
        ..relu(1)
    };
    let arch = |pooling| Architecture::Attention {
        tokens: t,
        heads: 1,
        linear_scaling: true,
        pooling,
    };
    let x = gaussian(400, d, 5).unwrap();
    let base = gaussian(60, d, 6).unwrap();
    // The test set: each input and its rotation by one token.
    let mut rows = vec![];
    for i in 0..base.rows() {
        let r = base.row(i).to_vec();
        rows.push(r.clone());
        rows.push([&r[f..], &r[..f]].concat());
    }
    let x_test = Matrix::from_rows("x_test", &rows).unwrap();
    let mse = |target: &Target, pooling| {
        let y = targets(target, &x, 0.0, 0).unwrap();
        let y_test = targets(target, &x_test, 0.0, 0).unwrap();
        let a = arch(pooling);
        let model = Model {
            net: &net,
            arch: &a,
        };
        let floor: f64 = y_test
            .chunks(2)
            .map(|p| (p[0] - p[1]).powi(2) / 2.0)
            .sum::<f64>()
            / y_test.len() as f64;
        let e = kernel_regression_mse_on(model, &x, &y, &x_test, &y_test, 1e-2).unwrap();
        (e, floor)
    };
    let order = Target::TokenOrder { tokens: t };
    let (gap, floor) = mse(&order, Pooling::GlobalAvg);
    let (flat, _) = mse(&order, Pooling::Flatten);
    println!("order target: pooling {gap:.3}, flatten {flat:.3}, order-blind floor {floor:.3}");
    assert!(floor > 0.3, "{floor}");
    assert!(
        gap >= floor,
        "pooling {gap} below the order-blind floor {floor}"
    );
    assert!(
        flat < 0.75 * floor,
        "flatten {flat} against the floor {floor}"
    );
    let bag = Target::TokenBag { tokens: t };
    let (gap_bag, floor_bag) = mse(&bag, Pooling::GlobalAvg);
    let (flat_bag, _) = mse(&bag, Pooling::Flatten);
    println!("bag target: pooling {gap_bag:.3}, flatten {flat_bag:.3}");
    assert!(floor_bag < 1e-20, "{floor_bag}");
    assert!(
        gap_bag < flat_bag,
        "pooling {gap_bag} vs flatten {flat_bag}"
    );
}
