//! Learning on the plane: 2-D data sets (circle, XOR, two Gaussians, two spirals, a
//! regression surface), a finite MLP trained by full-batch gradient descent with an
//! output scale α, beside its own linearisation and the infinite-width NTK's
//! prediction with its predictive standard deviation, all evaluated on a grid over
//! the plane, frame by frame.
//!
//! Lazy against rich (Chizat, Oyallon & Bach 2019, arXiv:1812.07956): the model is
//! f_α = α·(f_θ − f_θ₀), trained on (1/2N)‖f_α − y‖² at rate η/α². Then the
//! function-space dynamics of its linearisation do not depend on α (α² from the
//! Jacobians cancels the 1/α²): f_lin(s+1) = f_lin(s) − (η/N)·Θ̂₀(·, X)(f_lin(s)(X) − y)
//! from f_lin(0) = 0. As α grows the net stays within O(1/α) of it (the kernel
//! regime); as α falls its NTK moves and it learns features. Implementation: the step
//! on f_α is exactly the network's ordinary GD step at rate η towards the targets
//! f_θ₀(X) + y/α (the gradient of (1/2N)‖α(f_θ − f_θ₀) − y‖² is α² times that of
//! (1/2N)‖f_θ − f_θ₀ − y/α‖²).
//!
//! The infinite-width side is neural-tangents' `gradient_descent_mse_ensemble` (mean
//! and, with [`crate::dynamics::predict_variance`], the standard deviation of the
//! ensemble over initialisations) in gradient-flow time t = η·steps.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{check_count, check_widths, Observer, Part, Reporter};
use crate::dynamics::{predict, predict_variance, KernelKind};
use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork};
use crate::linalg::Matrix;
use crate::network::{Mlp, MlpSpec};

/// The data sets of the plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// Uniform on [−1, 1]²: +1 inside the circle of radius √(2/π) (half the area).
    Circle,
    /// Uniform on [−1, 1]²: sign(x₁x₂).
    Xor,
    /// Two Gaussian blobs (σ = 0.35) at ±(0.5, 0.5), labels ±1.
    Gaussians,
    /// Two interleaved spirals, r = u, angle 3πu + class·π, u uniform on (0.1, 1).
    Spiral,
    /// Regression: y = sin(πx₁)·cos(πx₂/2) on [−1, 1]².
    Surface,
}

/// The settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub dataset: Dataset,
    /// Samples in all, and the share held out for testing.
    pub n: usize,
    pub test_fraction: f64,
    /// Classification: Gaussian jitter of the inputs; regression: label noise.
    pub noise: f64,
    pub seed: u64,
    /// An MLP on the 2-D inputs.
    pub network: FcNetwork,
    pub width: usize,
    /// The output scales α trained (each a run); the first is drawn frame by frame.
    pub alphas: Vec<f64>,
    pub learning_rate: f64,
    pub steps: usize,
    /// Recorded steps (log-spaced, 0 and the last included).
    pub frames: usize,
    /// Grid points per side over [−1.5, 1.5]².
    pub grid: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            dataset: Dataset::Xor,
            n: 200,
            test_fraction: 0.5,
            noise: 0.05,
            seed: 0,
            network: FcNetwork::relu(2, 2f64.sqrt(), Some(0.1)),
            width: 512,
            alphas: vec![1.0],
            learning_rate: 1.0,
            steps: 500,
            frames: 20,
            grid: 60,
        }
    }
}

/// The grid's extent: [−1.5, 1.5] on both axes.
pub const EXTENT: f64 = 1.5;

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        check_widths(&[self.width])?;
        check_count("n", self.n, 8, 4000, "between 8 and 4000")?;
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(NtkError::OutOfRange {
                field: "test_fraction",
                expected: "strictly between 0 and 1",
                value: self.test_fraction,
            });
        }
        if !(self.noise.is_finite() && (0.0..=10.0).contains(&self.noise)) {
            return Err(NtkError::OutOfRange {
                field: "noise",
                expected: "between 0 and 10",
                value: self.noise,
            });
        }
        check_count(
            "alphas",
            self.alphas.len(),
            1,
            12,
            "between 1 and 12 output scales",
        )?;
        if let Some(a) = self
            .alphas
            .iter()
            .find(|a| !(a.is_finite() && **a > 0.0 && **a <= 1e6))
        {
            return Err(NtkError::OutOfRange {
                field: "alphas",
                expected: "output scales in (0, 10⁶]",
                value: *a,
            });
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(NtkError::OutOfRange {
                field: "learning_rate",
                expected: "a positive number",
                value: self.learning_rate,
            });
        }
        check_count("steps", self.steps, 1, 100_000, "between 1 and 100000")?;
        check_count("frames", self.frames, 2, 200, "between 2 and 200")?;
        check_count(
            "grid",
            self.grid,
            4,
            200,
            "between 4 and 200 points per side",
        )?;
        let (n, g) = (self.n, self.grid * self.grid);
        let widths = vec![self.width; self.network.depth];
        crate::budget::ensure(
            "the kernels on the grid and the data",
            crate::budget::kernel_bytes(g + n, n, 2, self.network.depth)
                .saturating_add(crate::budget::empirical_bytes(2, &widths, g + n, n))
                .saturating_add(crate::budget::floats(&[g, self.frames, 4])),
            "lower the grid, n or the width",
        )
    }

    fn test_count(&self) -> usize {
        ((self.n as f64 * self.test_fraction).round() as usize).clamp(1, self.n - 1)
    }
}

/// Samples of a data set: inputs (n × 2) and targets.
pub fn samples(dataset: Dataset, n: usize, noise: f64, seed: u64) -> Result<(Matrix, Vec<f64>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    let r0 = (2.0 / std::f64::consts::PI).sqrt();
    for i in 0..n {
        let mut u = || 2.0 * rng.random::<f64>() - 1.0;
        let (a, b, label) = match dataset {
            Dataset::Circle => {
                let (a, b) = (u(), u());
                (a, b, if a * a + b * b < r0 * r0 { 1.0 } else { -1.0 })
            }
            Dataset::Xor => {
                let (a, b) = (u(), u());
                (a, b, if a * b >= 0.0 { 1.0 } else { -1.0 })
            }
            Dataset::Gaussians => {
                let c = if i % 2 == 0 { 1.0 } else { -1.0 };
                let g1: f64 = rng.sample(StandardNormal);
                let g2: f64 = rng.sample(StandardNormal);
                (0.5 * c + 0.35 * g1, 0.5 * c + 0.35 * g2, c)
            }
            Dataset::Spiral => {
                let c = if i % 2 == 0 { 1.0 } else { -1.0 };
                let t: f64 = 0.1 + 0.9 * rng.random::<f64>();
                let ang = 3.0 * std::f64::consts::PI * t
                    + if c > 0.0 { 0.0 } else { std::f64::consts::PI };
                (t * ang.cos(), t * ang.sin(), c)
            }
            Dataset::Surface => {
                let (a, b) = (u(), u());
                let v = (std::f64::consts::PI * a).sin() * (std::f64::consts::PI * b / 2.0).cos();
                (a, b, v)
            }
        };
        let (j1, j2, jy): (f64, f64, f64) = (
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
        );
        if dataset == Dataset::Surface {
            x.extend([a, b]);
            y.push(label + noise * jy);
        } else {
            x.extend([a + noise * j1, b + noise * j2]);
            y.push(label);
        }
    }
    Ok((Matrix::from_row_major(n, 2, x)?, y))
}

/// The grid's points, row by row from the bottom (x₂ = −1.5) up, x₁ left to right.
pub fn grid_points(side: usize) -> Result<Matrix> {
    let step = 2.0 * EXTENT / (side - 1) as f64;
    let mut v = Vec::with_capacity(2 * side * side);
    for r in 0..side {
        for c in 0..side {
            v.extend([-EXTENT + c as f64 * step, -EXTENT + r as f64 * step]);
        }
    }
    Matrix::from_row_major(side * side, 2, v)
}

/// One recorded step of the first α's run, on the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub step: usize,
    /// f_α on the grid, and its linearisation's.
    pub net: Vec<f64>,
    pub linear: Vec<f64>,
    /// The infinite-width NTK ensemble's mean and standard deviation at t = η·step.
    pub kernel: Vec<f64>,
    pub kernel_std: Vec<f64>,
    /// (1/2N)‖f − y‖² of the net and of its linearisation, on the train and test sets.
    pub train_loss: f64,
    pub test_loss: f64,
    pub linear_train_loss: f64,
    pub linear_test_loss: f64,
    /// ‖Θ̂_s − Θ̂₀‖_F/‖Θ̂₀‖_F on the training inputs.
    pub drift: f64,
}

/// One α's run, summarised at its last step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlphaRun {
    pub alpha: f64,
    /// ‖f_net − f_lin‖/‖f_lin‖ over the grid.
    pub gap: f64,
    pub drift: f64,
    /// Kernel–target alignment yᵀΘ̂y/(‖Θ̂‖_F‖y‖²) at the start and the end.
    pub alignment_start: f64,
    pub alignment_end: f64,
    pub test_loss: f64,
    pub linear_test_loss: f64,
}

/// The result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plane {
    pub x_train: Vec<[f64; 2]>,
    pub y_train: Vec<f64>,
    pub x_test: Vec<[f64; 2]>,
    pub y_test: Vec<f64>,
    pub grid: usize,
    pub extent: f64,
    /// The first α's frames (streamed as they are computed).
    pub alpha: f64,
    pub frames: Vec<Frame>,
    /// The infinite-width NTK prediction at t = ∞ with its standard deviation.
    pub kernel_inf: Vec<f64>,
    pub kernel_inf_std: Vec<f64>,
    /// Every α's summary.
    pub runs: Vec<AlphaRun>,
}

fn alignment(k: &Matrix, y: &[f64]) -> f64 {
    let n = y.len();
    let quad: f64 = (0..n)
        .map(|i| y[i] * (0..n).map(|j| k.get(i, j) * y[j]).sum::<f64>())
        .sum();
    let yy: f64 = y.iter().map(|v| v * v).sum();
    quad / (crate::train::frobenius(k) * yy).max(f64::MIN_POSITIVE)
}

fn half_loss(f: &[f64], y: &[f64]) -> f64 {
    f.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / (2.0 * f.len() as f64)
}

/// Run it: the first α frame by frame (with the kernel's frames), then every α's
/// summary.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Plane> {
    p.validate()?;
    let (x_all, y_all) = samples(p.dataset, p.n, p.noise, p.seed)?;
    let n_test = p.test_count();
    let n = p.n - n_test;
    let (x, x_test) = super::inputs::split_rows(&x_all, n)?;
    let (y, y_test) = (y_all[..n].to_vec(), y_all[n..].to_vec());
    let g = grid_points(p.grid)?;
    let gn = g.rows();
    // Test inputs and the grid, evaluated together.
    let mut eval = x_test.as_slice().to_vec();
    eval.extend_from_slice(g.as_slice());
    let eval = Matrix::from_row_major(n_test + gn, 2, eval)?;
    let recorded = super::sgd::record_steps(p.steps, p.frames);
    let mut r = Reporter::new(observer, 1 + p.alphas.len() * p.steps);
    let rows = |m: &Matrix| (0..m.rows()).map(|i| [m.get(i, 0), m.get(i, 1)]).collect();

    // Infinite width: the NTK ensemble's mean and standard deviation at each frame
    // time and at t = ∞.
    let net_inf = FcNetwork {
        width: Some(p.width),
        ..p.network
    };
    let ktt = kernel_matrix(&net_inf, &x, None)?;
    let kgt = kernel_matrix(&net_inf, &g, Some(&x))?;
    let kgg_diag = crate::kernel::nngp_diagonal(&net_inf, &g)?;
    let mut times: Vec<Option<f64>> = recorded
        .iter()
        .map(|&s| Some(p.learning_rate * s as f64))
        .collect();
    times.push(None);
    // A little ridge keeps t = ∞ defined when the train kernel is near-singular.
    let reg = 1e-8;
    let mean = predict(&ktt.ntk, &kgt.ntk, &y, &times, 1.0, reg, None)?.test_mean;
    let std = predict_variance(
        KernelKind::Ntk,
        (&ktt.ntk, &kgt.ntk),
        (&ktt.nngp, &kgt.nngp, &kgg_diag),
        &times,
        1.0,
        reg,
    )?
    .into_iter()
    .map(|v| v.iter().map(|s| s.max(0.0).sqrt()).collect::<Vec<f64>>())
    .collect::<Vec<_>>();
    r.step(1, "the infinite-width prediction")?;
    let mut out = Plane {
        x_train: rows(&x),
        y_train: y.clone(),
        x_test: rows(&x_test),
        y_test: y_test.clone(),
        grid: p.grid,
        extent: EXTENT,
        alpha: p.alphas[0],
        frames: Vec::new(),
        kernel_inf: mean[times.len() - 1].clone(),
        kernel_inf_std: std[times.len() - 1].clone(),
        runs: Vec::new(),
    };

    let spec = MlpSpec::from_network(&p.network, p.width);
    for (ai, &alpha) in p.alphas.iter().enumerate() {
        let first = ai == 0;
        let mut net = Mlp::init(&spec, 2, p.seed ^ 0xa1fa)?;
        let f0_train = net.forward(&x)?;
        let f0_eval = net.forward(&eval)?;
        let k0 = net.empirical_kernels(&x, None)?.ntk;
        let k0_eval = net.empirical_kernels(&eval, Some(&x))?.ntk;
        let norm0 = crate::train::frobenius(&k0);
        let align0 = alignment(&k0, &y);
        let targets: Vec<f64> = f0_train
            .iter()
            .zip(&y)
            .map(|(f, t)| f + t / alpha)
            .collect();
        let (mut lin_train, mut lin_eval) = (vec![0.0; n], vec![0.0; n_test + gn]);
        let centred = |net: &Mlp, m: &Matrix, f0: &[f64]| -> Result<Vec<f64>> {
            Ok(net
                .forward(m)?
                .iter()
                .zip(f0)
                .map(|(f, f0)| alpha * (f - f0))
                .collect())
        };
        let frame =
            |net: &Mlp, s: usize, k: usize, lin_train: &[f64], lin_eval: &[f64]| -> Result<Frame> {
                let ft = centred(net, &x, &f0_train)?;
                let fe = centred(net, &eval, &f0_eval)?;
                let kt = net.empirical_kernels(&x, None)?.ntk;
                let drift = kt
                    .as_slice()
                    .iter()
                    .zip(k0.as_slice())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt()
                    / norm0;
                Ok(Frame {
                    step: s,
                    net: fe[n_test..].to_vec(),
                    linear: lin_eval[n_test..].to_vec(),
                    kernel: mean[k].clone(),
                    kernel_std: std[k].clone(),
                    train_loss: half_loss(&ft, &y),
                    test_loss: half_loss(&fe[..n_test], &y_test),
                    linear_train_loss: half_loss(lin_train, &y),
                    linear_test_loss: half_loss(&lin_eval[..n_test], &y_test),
                    drift,
                })
            };
        let mut last = frame(&net, 0, 0, &lin_train, &lin_eval)?;
        if first {
            out.frames.push(last.clone());
            r.part(Part::Plane(out.clone()));
        }
        for s in 1..=p.steps {
            // The linearisation: f_lin ← f_lin − (η/N)·Θ̂₀(·, X)(f_lin(X) − y).
            let res: Vec<f64> = lin_train
                .iter()
                .zip(&y)
                .map(|(f, t)| p.learning_rate * (f - t) / n as f64)
                .collect();
            for (i, v) in lin_eval.iter_mut().enumerate() {
                let row = k0_eval.row(i);
                *v -= row.iter().zip(&res).map(|(k, r)| k * r).sum::<f64>();
            }
            let upd: Vec<f64> = (0..n)
                .map(|i| k0.row(i).iter().zip(&res).map(|(k, r)| k * r).sum())
                .collect();
            for (v, u) in lin_train.iter_mut().zip(upd) {
                *v -= u;
            }
            let loss = net.gd_step(&x, &targets, p.learning_rate)?;
            if !loss.is_finite() || lin_train.iter().any(|v| !v.is_finite() || v.abs() > 1e100) {
                let lmax = crate::linalg::symmetric_eigenvalues(&k0)?
                    .last()
                    .copied()
                    .unwrap_or(0.0);
                return Err(NtkError::Diverges {
                    learning_rate: p.learning_rate,
                    critical: 2.0 * n as f64 / lmax.max(f64::MIN_POSITIVE),
                });
            }
            if let Ok(k) = recorded.binary_search(&s) {
                last = frame(&net, s, k, &lin_train, &lin_eval)?;
                if first {
                    out.frames.push(last.clone());
                    r.part(Part::Plane(out.clone()));
                }
            }
            r.step(1 + ai * p.steps + s, format!("α = {alpha}: step {s}"))?;
        }
        let kt = net.empirical_kernels(&x, None)?.ntk;
        out.runs.push(AlphaRun {
            alpha,
            gap: super::sgd::rel_dist(&last.net, &last.linear),
            drift: last.drift,
            alignment_start: align0,
            alignment_end: alignment(&kt, &y),
            test_loss: last.test_loss,
            linear_test_loss: last.linear_test_loss,
        });
        r.part(Part::Plane(out.clone()));
    }
    Ok(out)
}
