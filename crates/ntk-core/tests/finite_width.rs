//! Finite-width networks against infinite-width theory: the empirical NTK converges to
//! the analytic one like width^(−1/2), and wide networks train lazily (their
//! predictions follow the linearised model, their NTK barely moves). Native only:
//! these run networks up to width 4096.
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::activation::Activation;
use ntk_core::data::gaussian;
use ntk_core::dynamics::linearised_gd;
use ntk_core::empirical::{ensemble_ntk, fit_log_log, width_sweep};
use ntk_core::kernel::{kernel_matrix, FcNetwork, Parameterization};
use ntk_core::layers::architecture::{Architecture, Model};
use ntk_core::network::{Mlp, MlpSpec};
use ntk_core::train::{critical_learning_rate, train, train_through, TrainSetup, DIVERGED};
use ntk_core::NtkError;

fn relu_spec(depth: usize, width: usize) -> MlpSpec {
    MlpSpec {
        widths: vec![width; depth],
        activation: Activation::Relu,
        w_std: std::f64::consts::SQRT_2,
        b_std: Some(0.1),
        parameterization: Parameterization::Ntk,
    }
}

#[test]
fn empirical_ntk_converges_like_inverse_square_root_of_width() {
    // Unit-variance Gaussian inputs, as in neural-tangents' own measurement (≈ 0.04
    // relative Frobenius error at width 4096).
    let x = gaussian(8, 10, 2024).unwrap();
    let widths = [64, 128, 256, 512, 1024, 2048, 4096];
    let mut calls = 0;
    let sweep = width_sweep(
        Model::mlp(&relu_spec(2, 1).analytic()),
        &x,
        &widths,
        12,
        |p| {
            calls += 1;
            assert!(p.done <= p.total);
            true
        },
    )
    .unwrap();
    assert_eq!(calls, widths.len() * 12);
    for p in &sweep.points {
        println!(
            "width {:5}: rel. Frobenius {:.4} ± {:.4}, max entry {:.4}",
            p.width, p.rel_frobenius_mean, p.rel_frobenius_std, p.max_entry_mean
        );
    }
    println!(
        "slope {:.3} ± {:.3}",
        sweep.fit.slope, sweep.fit.slope_std_error
    );
    assert!(
        (-0.65..=-0.35).contains(&sweep.fit.slope),
        "slope {} ± {}",
        sweep.fit.slope,
        sweep.fit.slope_std_error
    );
    let at_4096 = sweep.points.last().unwrap().rel_frobenius_mean;
    assert!(
        (0.01..0.1).contains(&at_4096),
        "relative error at 4096: {at_4096}"
    );
}

#[test]
fn ensemble_mean_approaches_the_analytic_kernel() {
    // The mean over seeds converges to Θ faster than a single network: at width 256,
    // 32 seeds, the mean's relative error must be well below one network's.
    let x = gaussian(6, 5, 7).unwrap();
    let spec = relu_spec(2, 256);
    let exact = kernel_matrix(&spec.analytic(), &x, None).unwrap().ntk;
    let ens = ensemble_ntk(&spec, &x, 32, 100).unwrap();
    let single = Mlp::init(&spec, 5, 100)
        .unwrap()
        .empirical_kernels(&x, None)
        .unwrap()
        .ntk;
    let rel = |a: &ntk_core::linalg::Matrix| {
        let d: f64 = a
            .as_slice()
            .iter()
            .zip(exact.as_slice())
            .map(|(p, q)| (p - q) * (p - q))
            .sum::<f64>()
            .sqrt();
        d / exact.as_slice().iter().map(|q| q * q).sum::<f64>().sqrt()
    };
    let (e_mean, e_single) = (rel(&ens.mean), rel(&single));
    assert!(
        e_mean < 0.5 * e_single,
        "mean {e_mean} vs single {e_single}"
    );
    assert!(ens
        .std
        .as_slice()
        .iter()
        .all(|s| s.is_finite() && *s >= 0.0));
}

#[test]
fn wide_networks_train_lazily() {
    // Two-layer ReLU nets on 16 points: after the same number of gradient-descent
    // steps, the network's test predictions approach the linearised model's as the
    // width grows, and the NTK moves less (Lee et al. 2019, arXiv:1902.06720).
    let x = gaussian(16, 3, 5).unwrap();
    let y: Vec<f64> = (0..16)
        .map(|i| (2.0 * x.get(i, 0)).sin() + 0.5 * x.get(i, 1))
        .collect();
    let x_test = gaussian(8, 3, 6).unwrap();
    let (steps, lr) = (400, 0.5);
    let mut lin_gap = Vec::new();
    let mut drift = Vec::new();
    let widths = [64, 256, 1024, 4096];
    for &m in &widths {
        let spec = relu_spec(1, m);
        let (mut gap, mut dr) = (0.0, 0.0);
        let seeds = 3;
        for seed in 0..seeds {
            let net = Mlp::init(&spec, 3, seed).unwrap();
            let (_, critical) = critical_learning_rate(&net, &x).unwrap();
            assert!(lr < critical, "lr {lr} ≥ critical {critical}");
            let rec = train(&TrainSetup {
                spec: &spec,
                seed,
                x_train: &x,
                y_train: &y,
                x_test: Some(&x_test),
                y_test: None,
                learning_rate: lr,
                steps,
                record_every: steps,
            })
            .unwrap();
            assert!(rec.train_loss.last().unwrap() < &(0.5 * rec.train_loss[0]));
            let k = net.empirical_kernels(&x, None).unwrap().ntk;
            let kt = net.empirical_kernels(&x_test, Some(&x)).unwrap().ntk;
            let f0 = net.forward(&x).unwrap();
            let f0t = net.forward(&x_test).unwrap();
            let lin = linearised_gd(&k, &kt, &f0, &f0t, &y, lr, &[steps]).unwrap();
            let nn = rec.test_predictions.last().unwrap();
            let num: f64 = nn
                .iter()
                .zip(&lin.test[0])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            let den: f64 = lin.test[0].iter().map(|b| b * b).sum();
            gap += (num / den).sqrt() / seeds as f64;
            dr += rec.ntk_drift.last().unwrap() / seeds as f64;
        }
        lin_gap.push(gap);
        drift.push(dr);
        println!("width {m:5}: |f_NN − f_lin|/|f_lin| = {gap:.4}, NTK drift = {dr:.5}");
    }
    for w in lin_gap.windows(2) {
        assert!(
            w[1] < w[0],
            "the gap to the linearised model must shrink: {lin_gap:?}"
        );
    }
    for w in drift.windows(2) {
        assert!(w[1] < w[0], "the drift must shrink: {drift:?}");
    }
    let xs: Vec<f64> = widths.iter().map(|&m| m as f64).collect();
    let fit = fit_log_log(&xs, &drift).unwrap();
    println!("drift slope {:.3} ± {:.3}", fit.slope, fit.slope_std_error);
    assert!(
        (-1.2..=-0.4).contains(&fit.slope),
        "drift slope {}",
        fit.slope
    );
}

#[test]
fn a_divergent_learning_rate_is_refused_with_the_critical_rate() {
    let x = gaussian(8, 3, 1).unwrap();
    let y = vec![0.0; 8];
    let spec = relu_spec(1, 128);
    let net = Mlp::init(&spec, 3, 0).unwrap();
    let (_, critical) = critical_learning_rate(&net, &x).unwrap();
    let run = |learning_rate: f64, record_every: usize| {
        train(&TrainSetup {
            spec: &spec,
            seed: 0,
            x_train: &x,
            y_train: &y,
            x_test: None,
            y_test: None,
            learning_rate,
            steps: 10,
            record_every,
        })
    };
    match run(1.05 * critical, 1) {
        Err(NtkError::Diverges { critical: c, .. }) => assert!((c - critical).abs() < 1e-12 * c),
        other => panic!("expected Diverges, got {other:?}"),
    }
    // Just below it, training runs and records from step 0.
    let rec = run(0.9 * critical, 5).unwrap();
    assert_eq!(rec.steps, vec![0, 5, 10]);
    assert_eq!(rec.ntk_drift[0], 0.0);
    assert!(rec.weight_change[0].iter().all(|w| *w == 0.0));
}

#[test]
fn above_the_critical_rate_training_runs_until_it_diverges_and_stops_cleanly() {
    // Above η = 2N/λ_max(Θ̂₀) the linearised dynamics diverge. A real wide net at
    // 1.5 × that rate first blows up and then escapes to a flatter region and converges
    // (the catapult phase of Lewkowycz et al. 2020, arXiv:2003.02218, which exists up to
    // about 4/λ for such nets); at 3 × it diverges, and the run stops at the first
    // recorded step whose loss is over 10⁶ × the initial one, with every recorded
    // number finite.
    let x = gaussian(8, 3, 1).unwrap();
    let y: Vec<f64> = (0..8)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let spec = relu_spec(1, 2048);
    let net = Mlp::init(&spec, 3, 0).unwrap();
    let (_, critical) = critical_learning_rate(&net, &x).unwrap();
    let steps: Vec<usize> = (0..=200).collect();
    let setup = |factor: f64, steps: usize| TrainSetup {
        spec: &spec,
        seed: 0,
        x_train: &x,
        y_train: &y,
        x_test: None,
        y_test: None,
        learning_rate: factor * critical,
        steps,
        record_every: 1,
    };
    let run = |factor: f64| train_through(&setup(factor, 200), &steps, |_| true).unwrap();
    let catapult = run(1.5);
    assert_eq!(catapult.diverged_at, None);
    let l = &catapult.train_loss;
    let peak = l.iter().cloned().fold(0.0, f64::max);
    assert!(
        peak > 10.0 * l[0],
        "the loss first grows: peak {peak}, start {}",
        l[0]
    );
    assert!(
        *l.last().unwrap() < l[0] / 2.0,
        "then falls below its start: {}",
        l.last().unwrap()
    );

    let rec = run(3.0);
    let stop = rec.diverged_at.expect("it diverges");
    assert_eq!(rec.steps.len(), stop, "records end just before step {stop}");
    let (first, last) = (rec.train_loss[0], *rec.train_loss.last().unwrap());
    assert!(
        last <= DIVERGED * first && last > 1e2 * first,
        "{first} → {last}"
    );
    assert!(rec
        .train_loss
        .iter()
        .chain(&rec.ntk_drift)
        .all(|v| v.is_finite()));
    // The refusing variant still refuses.
    assert!(matches!(
        train(&setup(3.0, 10)),
        Err(NtkError::Diverges { .. })
    ));
}

#[test]
fn log_log_fit_recovers_a_known_power_law() {
    let x = [1.0, 2.0, 4.0, 8.0, 16.0];
    let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(-0.5)).collect();
    let fit = fit_log_log(&x, &y).unwrap();
    assert!((fit.slope + 0.5).abs() < 1e-12 && fit.slope_std_error < 1e-12);
    assert!((fit.intercept - 3f64.ln()).abs() < 1e-12);
}

#[test]
fn a_sweep_reports_progress_and_can_be_cancelled() {
    let x = gaussian(4, 3, 0).unwrap();
    let mut seen = Vec::new();
    let r = width_sweep(
        Model::mlp(&relu_spec(1, 1).analytic()),
        &x,
        &[8, 16, 32, 64],
        2,
        |p| {
            seen.push((p.done, p.total, p.stage.clone()));
            p.done < 3
        },
    );
    assert!(matches!(r, Err(NtkError::Cancelled)), "{r:?}");
    assert_eq!(seen.len(), 3, "stopped right after the third network");
    assert_eq!(seen[0], (1, 8, "width 8, seed 0".to_string()));
    assert_eq!(seen[2].2, "width 16, seed 0");
}

#[test]
fn a_finite_network_learns_low_frequencies_first() {
    // Spectral bias (Rahaman et al. 2019; Basri et al. 2019): on 64 equally spaced circle
    // points, a target with frequencies 1 and 6 of equal amplitude. Part-way through
    // training the residual's frequency-1 part has shrunk far more than its
    // frequency-6 part, as the NTK's Fourier coefficients μ₁ ≫ μ₆ predict.
    use ntk_core::data::{sample, Distribution};
    use ntk_core::spectral::frequency_energy;
    use ntk_core::targets::{targets, Target};
    let x = sample(Distribution::Circle, 64, 2, 0, false).unwrap();
    let y = targets(
        &Target::Fourier {
            modes: vec![(1, 1.0), (6, 1.0)],
        },
        &x,
        0.0,
        0,
    )
    .unwrap();
    let spec = relu_spec(2, 1024);
    let rec = train(&TrainSetup {
        spec: &spec,
        seed: 3,
        x_train: &x,
        y_train: &y,
        x_test: None,
        y_test: None,
        learning_rate: 0.5,
        steps: 300,
        record_every: 100,
    })
    .unwrap();
    let energy = |f: &[f64]| {
        let r: Vec<f64> = f.iter().zip(&y).map(|(a, b)| a - b).collect();
        let total: f64 = r.iter().map(|v| v * v).sum();
        let e = frequency_energy(&r);
        (e[1] * total, e[6] * total)
    };
    let (low0, high0) = energy(&rec.train_predictions[0]);
    let (low, high) = energy(&rec.train_predictions[1]);
    println!(
        "residual energy after 100 steps: frequency 1 {:.4} of its start, frequency 6 {:.4}",
        low / low0,
        high / high0
    );
    assert!(
        low / low0 < 0.2 * (high / high0),
        "low {low}/{low0}, high {high}/{high0}"
    );
}

#[test]
fn convergence_reports_slopes_side_by_side() {
    use ntk_core::data::Distribution;
    use ntk_core::empirical::Progress;
    use ntk_core::experiments::{convergence, Observer};
    struct Check(usize);
    impl Observer for Check {
        fn progress(&mut self, p: &Progress) -> bool {
            assert!(p.done > self.0 && p.done <= p.total);
            self.0 = p.done;
            true
        }
    }
    let p = convergence::Params {
        network: FcNetwork::relu(2, std::f64::consts::SQRT_2, Some(0.1)),
        architecture: Architecture::Mlp,
        widths: vec![64, 128, 256, 512, 1024],
        seeds: 6,
        distributions: vec![
            Distribution::Gaussian,
            Distribution::Rademacher,
            Distribution::Laplace,
            Distribution::StudentT { nu: 3.0 },
        ],
        n: 6,
        d: 8,
        seed: 1,
        user: None,
        ..convergence::Params::default()
    };
    let mut check = Check(0);
    let out = convergence::run(&p, &mut check).unwrap();
    assert_eq!(check.0, 4 * 5 * 6);
    for line in &out.lines {
        let fit = line.frobenius.fit_mean.unwrap();
        let dist = line.distribution.unwrap();
        println!(
            "{:12} ({:15}): slope {:.3} ± {:.3}, prefactor {:.3}",
            dist.name(),
            dist.tail_class(),
            fit.slope,
            fit.slope_std_error,
            fit.intercept.exp()
        );
        assert!(
            (-0.8..=-0.25).contains(&fit.slope),
            "{}: {}",
            dist.name(),
            fit.slope
        );
    }
}

#[test]
fn learning_curve_falls_for_a_smooth_target() {
    use ntk_core::data::Distribution;
    use ntk_core::experiments::generalization::learning_curve;
    use ntk_core::targets::Target;
    let target = Target::Harmonics {
        degrees: vec![(1, 1.0), (2, 0.5)],
    };
    let net = FcNetwork::relu(2, 1.5, Some(0.1));
    let sampled = ntk_core::experiments::Sampled {
        model: Model::mlp(&net),
        dist: Distribution::Sphere,
        d: 5,
        project: false,
        target: &target,
        n_test: 200,
        diag_reg: ntk_core::experiments::generalization::DIAG_REG,
        seed: 3,
    };
    let lc = learning_curve(&sampled, &[25, 50, 100, 200, 400]).unwrap();
    let fit = lc.fit.unwrap();
    println!(
        "learning curve {:?}, rate {:.2} ± {:.2}",
        lc.mse, fit.slope, fit.slope_std_error
    );
    assert!(fit.slope < -0.5, "rate {}", fit.slope);
    assert!(lc.mse[4] < lc.mse[0]);
}

#[test]
fn measured_per_mode_residuals_follow_the_theory_in_a_wide_network() {
    // The residual's component on the i-th eigenvector of Θ̂₀ should decay like
    // (1 − ηλᵢ/N)^s. Checked on the top 4 modes of a width-4096 two-layer network.
    use ntk_core::linalg::symmetric_eigen;
    use ntk_core::spectral::{mode_decay, residual_modes};
    let x = gaussian(12, 3, 8).unwrap();
    let y: Vec<f64> = (0..12).map(|i| x.get(i, 0) - 0.5 * x.get(i, 2)).collect();
    let spec = relu_spec(1, 4096);
    let (lr, steps) = (0.5, 3);
    let net = Mlp::init(&spec, 3, 2).unwrap();
    let k0 = net.empirical_kernels(&x, None).unwrap().ntk;
    let (lambda, v) = symmetric_eigen(&k0).unwrap();
    let rec = train(&TrainSetup {
        spec: &spec,
        seed: 2,
        x_train: &x,
        y_train: &y,
        x_test: None,
        y_test: None,
        learning_rate: lr,
        steps,
        record_every: steps,
    })
    .unwrap();
    let modes = residual_modes(&v, &rec.train_predictions, &y).unwrap();
    let theory = mode_decay(&lambda, lr, 12, steps);
    for i in (12 - 4)..12 {
        let measured = modes[1][i];
        let predicted = theory[i].0 * modes[0][i];
        println!(
            "mode {i}: λ = {:.3}, measured {measured:.5}, theory {predicted:.5}",
            lambda[i]
        );
        assert!(
            (measured - predicted).abs() < 0.05 * modes[0][i].abs() + 1e-3,
            "mode {i}"
        );
    }
}

#[test]
fn training_records_exactly_the_requested_steps_with_the_same_numbers() {
    let x = gaussian(6, 3, 2).unwrap();
    let y: Vec<f64> = (0..6).map(|i| (i as f64).sin()).collect();
    let spec = relu_spec(1, 64);
    let setup = TrainSetup {
        spec: &spec,
        seed: 1,
        x_train: &x,
        y_train: &y,
        x_test: None,
        y_test: None,
        learning_rate: 0.1,
        steps: 12,
        record_every: 3,
    };
    let every = train(&setup).unwrap();
    assert_eq!(every.steps, vec![0, 3, 6, 9, 12]);
    let at = ntk_core::train::train_at(&setup, &[0, 1, 6, 12], |_| true).unwrap();
    assert_eq!(at.steps, vec![0, 1, 6, 12]);
    // Step 6 and 12 are recorded by both schedules: the same run gives the same numbers.
    assert_eq!(at.train_loss[2], every.train_loss[2]);
    assert_eq!(at.ntk_drift[3], every.ntk_drift[4]);
    assert!(ntk_core::train::train_at(&setup, &[13], |_| true).is_err());
    let mut seen = 0;
    let stopped = ntk_core::train::train_at(&setup, &[0], |s| {
        seen = s;
        s < 4
    });
    assert!(matches!(stopped, Err(NtkError::Cancelled)) && seen == 4);
}

/// The empirical NNGP kernel is the covariance of the output over the readout's prior,
/// (σ_w²/n_L)⟨a_L, a_L'⟩ + σ_b², in both parameterizations. With one hidden layer the
/// pre-activations are exactly Gaussian, so its mean over initialisations *is* the
/// analytic NNGP kernel (verified against neural-tangents in nt_reference.rs): the
/// seed mean must agree within 4 standard errors. At depth 3 and width 4096 one network
/// is within 5 % (the O(m^(−1/2)) fluctuation is ≈ 2 % here).
#[test]
fn empirical_nngp_matches_the_analytic_one_in_both_parameterizations() {
    let x = gaussian(6, 3, 2).unwrap();
    for param in [Parameterization::Ntk, Parameterization::Standard] {
        let mut spec = relu_spec(1, 256);
        spec.w_std = 1.3;
        spec.b_std = Some(0.4);
        spec.parameterization = param;
        let exact = kernel_matrix(&spec.analytic(), &x, None).unwrap().nngp;
        let seeds = 60;
        let n = x.rows() * x.rows();
        let (mut sum, mut sq) = (vec![0.0; n], vec![0.0; n]);
        for seed in 0..seeds {
            let k = Mlp::init(&spec, 3, seed)
                .unwrap()
                .empirical_kernels(&x, None)
                .unwrap()
                .nngp;
            for (i, v) in k.as_slice().iter().enumerate() {
                sum[i] += v;
                sq[i] += v * v;
            }
        }
        for i in 0..n {
            let mean = sum[i] / seeds as f64;
            let se = ((sq[i] / seeds as f64 - mean * mean) / (seeds - 1) as f64).sqrt();
            let want = exact.as_slice()[i];
            assert!(
                (mean - want).abs() <= 4.0 * se,
                "{param:?} entry {i}: mean {mean} ± {se} vs analytic {want}"
            );
        }
        let mut deep = relu_spec(3, 4096);
        deep.parameterization = param;
        let exact = kernel_matrix(&deep.analytic(), &x, None).unwrap().nngp;
        let k = Mlp::init(&deep, 3, 1)
            .unwrap()
            .empirical_kernels(&x, None)
            .unwrap()
            .nngp;
        for i in 0..x.rows() {
            let (got, want) = (k.get(i, i), exact.get(i, i));
            assert!(
                (got - want).abs() < 0.05 * want,
                "{param:?} depth 3, width 4096: K̂(x,x) = {got}, analytic {want}"
            );
        }
    }
}
