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
//! μP (the maximal-update or mean-field parameterization; Yang & Hu 2021,
//! arXiv:2011.14522; for one hidden layer Mei, Montanari & Nguyen 2018) is, for
//! gradient descent, the NTK parameterization with the output multiplied by 1/√m and
//! the learning rate by m (their abc-parameterizations: a shift of the readout's and
//! the rate's exponents). Centred, that is this output scale with α = α_μP/√m at the
//! same η: with `mu_p` every α is divided by √m. Then each hidden unit's
//! pre-activation moves by Θ(1) in Θ(1) steps and the NTK moves by Θ(1) at any width:
//! the infinite-width limit learns features, and the NTK prediction drawn beside it is
//! its linearisation's limit, not its own.
//!
//! The infinite-width side is neural-tangents' `gradient_descent_mse_ensemble` (mean
//! and, with [`crate::dynamics::predict_variance`], the standard deviation of the
//! ensemble over initialisations) in gradient-flow time t = η·steps.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{check_count, check_widths, Observer, Part, Reporter, UserPoints};
use crate::dynamics::{predict, KernelKind, Variances};
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
    /// μP: every α is divided by √m (see the module's documentation); needs the NTK
    /// parameterization.
    pub mu_p: bool,
    /// The infinite-width ensemble drawn: the NTK's (every layer trained) or the
    /// NNGP's (the readout alone; its t = ∞ is the GP posterior).
    pub kernel: KernelKind,
    /// The user's points (two input columns and a target) instead of `dataset`:
    /// shuffled with `seed`, then split by `test_fraction`; `n` and `noise` are
    /// not used.
    pub points: Option<UserPoints>,
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
            mu_p: false,
            kernel: KernelKind::Ntk,
            points: None,
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
        if self.mu_p && self.network.parameterization != crate::kernel::Parameterization::Ntk {
            return Err(NtkError::Invalid {
                field: "mu_p",
                reason: "μP is defined here from the NTK parameterization (output ×1/√m, rate ×m): choose it".into(),
            });
        }
        if let Some(u) = &self.points {
            if u.cols != 2 {
                return Err(NtkError::Invalid {
                    field: "points",
                    reason: format!("the plane needs two input columns; the file has {}", u.cols),
                });
            }
            if u.y.is_none() {
                return Err(NtkError::Invalid {
                    field: "points",
                    reason: "the file has no target column (the last column, headed y)".into(),
                });
            }
            if u.x.len() != 2 * u.rows || u.y.as_ref().is_some_and(|y| y.len() != u.rows) {
                return Err(NtkError::Invalid {
                    field: "points",
                    reason: "the file's columns have unequal lengths".into(),
                });
            }
            if u.x
                .iter()
                .chain(u.y.iter().flatten())
                .any(|v| !v.is_finite())
            {
                return Err(NtkError::Invalid {
                    field: "points",
                    reason: "the file holds a value that is not a finite number".into(),
                });
            }
        }
        check_count("n", self.samples(), 8, 4000, "between 8 and 4000")?;
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
        let (n, g) = (self.samples(), self.grid * self.grid);
        let widths = vec![self.width; self.network.depth];
        crate::budget::ensure(
            "the kernels on the grid and the data",
            crate::budget::kernel_bytes(g + n, n, 2, self.network.depth)
                .saturating_add(crate::budget::empirical_bytes(2, &widths, g + n, n))
                .saturating_add(crate::budget::floats(&[g, self.frames, 4])),
            "lower the grid, n or the width",
        )
    }

    /// Samples in all: `n`, or the file's rows.
    fn samples(&self) -> usize {
        self.points.as_ref().map_or(self.n, |u| u.rows)
    }

    fn test_count(&self) -> usize {
        let n = self.samples();
        ((n as f64 * self.test_fraction).round() as usize).clamp(1, n - 1)
    }

    /// The output multiplier of output scale `alpha`: α, or α/√m under μP.
    pub fn output_scale(&self, alpha: f64) -> f64 {
        if self.mu_p {
            alpha / (self.width as f64).sqrt()
        } else {
            alpha
        }
    }

    /// The samples: the data set's, or the user's rows in an order shuffled by `seed`.
    fn data(&self) -> Result<(Matrix, Vec<f64>)> {
        let Some(u) = &self.points else {
            return samples(self.dataset, self.n, self.noise, self.seed);
        };
        let mut order: Vec<usize> = (0..u.rows).collect();
        {
            use rand::seq::SliceRandom;
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed));
        }
        let y = u.y.as_deref().unwrap_or_default();
        let x: Vec<f64> = order
            .iter()
            .flat_map(|&i| [u.x[2 * i], u.x[2 * i + 1]])
            .collect();
        Ok((
            Matrix::from_row_major(u.rows, 2, x)?,
            order.iter().map(|&i| y[i]).collect(),
        ))
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
    ///
    /// The grid's values are stored in f32 (7 significant digits): they are drawn and
    /// exported, and a frame of a 100 × 100 grid crosses from the worker to the page
    /// as half the JSON. Every summary (losses, gap, drift) is computed in f64.
    pub net: Vec<f32>,
    pub linear: Vec<f32>,
    /// The infinite-width NTK ensemble's mean and standard deviation at t = η·step.
    pub kernel: Vec<f32>,
    pub kernel_std: Vec<f32>,
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
    /// α as set, and the output multiplier it gives (α/√m under μP).
    pub alpha: f64,
    pub output_scale: f64,
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
    /// The first α's frames (streamed as they are computed). `alpha` is the output
    /// scale as set; under μP (`mu_p`) the multiplier is `output_scale` = α/√m.
    pub alpha: f64,
    pub mu_p: bool,
    pub kernel: KernelKind,
    pub output_scale: f64,
    pub width: usize,
    pub learning_rate: f64,
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

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn half_loss(f: &[f64], y: &[f64]) -> f64 {
    f.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / (2.0 * f.len() as f64)
}

/// Run it: the first α frame by frame (with the kernel's frames), then every α's
/// summary.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Plane> {
    p.validate()?;
    let (x_all, y_all) = p.data()?;
    let n_test = p.test_count();
    let n = p.samples() - n_test;
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
    // The NTK ensemble (gradient descent on every layer), or the NNGP one (the readout
    // alone; at t = ∞ the Gaussian-process posterior, neural-tangents' gp_inference).
    let (k_train, k_grid) = match p.kernel {
        KernelKind::Ntk => (&ktt.ntk, &kgt.ntk),
        KernelKind::Nngp => (&ktt.nngp, &kgt.nngp),
    };
    let mean = predict(k_train, k_grid, &y, &times, 1.0, reg, None)?.test_mean;
    // The standard deviation: one basis, then each frame's time as its frame comes
    // (an m × n × n product each), so that the first frames appear at once.
    let variances = Variances::new(
        p.kernel,
        (k_train, k_grid),
        (&ktt.nngp, &kgt.nngp, &kgg_diag),
        1.0,
        reg,
    )?;
    let std_at = |t: Option<f64>| -> Result<Vec<f64>> {
        Ok(variances.at(t)?.iter().map(|s| s.max(0.0).sqrt()).collect())
    };
    r.step(1, "the infinite-width prediction")?;
    let mut out = Plane {
        x_train: rows(&x),
        y_train: y.clone(),
        x_test: rows(&x_test),
        y_test: y_test.clone(),
        grid: p.grid,
        extent: EXTENT,
        alpha: p.alphas[0],
        mu_p: p.mu_p,
        kernel: p.kernel,
        output_scale: p.output_scale(p.alphas[0]),
        width: p.width,
        learning_rate: p.learning_rate,
        frames: Vec::new(),
        kernel_inf: mean[times.len() - 1].clone(),
        kernel_inf_std: std_at(None)?,
        runs: Vec::new(),
    };

    let spec = MlpSpec::from_network(&p.network, p.width);
    // The header first; then each frame and each α's summary as they come.
    r.part(Part::Plane(out.clone()));
    // The initial net, its outputs and its empirical NTK, shared by every α.
    let net0 = Mlp::init(&spec, 2, p.seed ^ 0xa1fa)?;
    let f0_train = net0.forward(&x)?;
    let f0_eval = net0.forward(&eval)?;
    let k0 = net0.empirical_kernels(&x, None)?.ntk;
    let k0_eval = net0.empirical_kernels(&eval, Some(&x))?.ntk;
    let norm0 = crate::train::frobenius(&k0);
    // Gradient descent on the linearisation diverges at η ≥ 2N/λ_max(Θ̂₀) (its modes
    // are multiplied by 1 − ηλ/N at each step): refused before training.
    let lmax = crate::linalg::symmetric_eigenvalues(&k0)?
        .last()
        .copied()
        .unwrap_or(0.0);
    let critical = 2.0 * n as f64 / lmax.max(f64::MIN_POSITIVE);
    if p.learning_rate >= critical {
        return Err(NtkError::Diverges {
            learning_rate: p.learning_rate,
            critical,
        });
    }
    let align0 = alignment(&k0, &y);
    for (ai, &nominal) in p.alphas.iter().enumerate() {
        let first = ai == 0;
        let alpha = p.output_scale(nominal);
        // Every α starts from the same net.
        let mut net = net0.clone();
        let targets: Vec<f64> = f0_train
            .iter()
            .zip(&y)
            .map(|(f, t)| f + t / alpha)
            .collect();
        // The linearisation on the training inputs, step by step; elsewhere it is
        // f_lin(s) = −Θ̂₀(·, X)·Σ_{s'<s} r(s'), with r(s) = (η/N)(f_lin(s)(X) − y), so
        // only the sum of the residuals is kept and the grid is evaluated at frames.
        let mut lin_train = vec![0.0; n];
        let mut resid_sum = vec![0.0; n];
        let lin_at = |resid_sum: &[f64]| -> Vec<f64> {
            (0..n_test + gn)
                .map(|i| {
                    -k0_eval
                        .row(i)
                        .iter()
                        .zip(resid_sum)
                        .map(|(k, r)| k * r)
                        .sum::<f64>()
                })
                .collect()
        };
        let centred = |net: &Mlp, m: &Matrix, f0: &[f64]| -> Result<Vec<f64>> {
            Ok(net
                .forward(m)?
                .iter()
                .zip(f0)
                .map(|(f, f0)| alpha * (f - f0))
                .collect())
        };
        let frame = |net: &Mlp,
                     s: usize,
                     k: usize,
                     lin_train: &[f64],
                     lin_eval: &[f64]|
         -> Result<(Frame, f64)> {
            let ft = centred(net, &x, &f0_train)?;
            let fe = centred(net, &eval, &f0_eval)?;
            let kt = net.empirical_kernels(&x, None)?.ntk;
            let drift = crate::train::frobenius_distance(&kt, &k0) / norm0;
            // The gap ‖f − f_lin‖/‖f_lin‖ over the grid, in f64.
            let gap = super::sgd::rel_dist(&fe[n_test..], &lin_eval[n_test..]);
            let frame = Frame {
                step: s,
                net: f32s(&fe[n_test..]),
                linear: f32s(&lin_eval[n_test..]),
                kernel: if first { f32s(&mean[k]) } else { Vec::new() },
                kernel_std: if first {
                    f32s(&std_at(times[k])?)
                } else {
                    Vec::new()
                },
                train_loss: half_loss(&ft, &y),
                test_loss: half_loss(&fe[..n_test], &y_test),
                linear_train_loss: half_loss(lin_train, &y),
                linear_test_loss: half_loss(&lin_eval[..n_test], &y_test),
                drift,
            };
            Ok((frame, gap))
        };
        let (mut last, mut gap) = frame(&net, 0, 0, &lin_train, &vec![0.0; n_test + gn])?;
        if first {
            out.frames.push(last.clone());
            r.part(Part::PlaneFrame(last.clone()));
        }
        for s in 1..=p.steps {
            // The linearisation: f_lin ← f_lin − (η/N)·Θ̂₀(·, X)(f_lin(X) − y).
            let res: Vec<f64> = lin_train
                .iter()
                .zip(&y)
                .map(|(f, t)| p.learning_rate * (f - t) / n as f64)
                .collect();
            for (acc, r) in resid_sum.iter_mut().zip(&res) {
                *acc += r;
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
            // Every frame of the first α; the last step of the others.
            match recorded.binary_search(&s) {
                Ok(k) if first || s == p.steps => {
                    (last, gap) = frame(&net, s, k, &lin_train, &lin_at(&resid_sum))?;
                    if first {
                        out.frames.push(last.clone());
                        r.part(Part::PlaneFrame(last.clone()));
                    }
                }
                _ => {}
            }
            // About 200 progress messages a run, and every frame.
            if s % (p.steps / 200).max(1) == 0 || recorded.binary_search(&s).is_ok() {
                r.step(1 + ai * p.steps + s, format!("α = {nominal}: step {s}"))?;
            }
        }
        let kt = net.empirical_kernels(&x, None)?.ntk;
        let run = AlphaRun {
            alpha: nominal,
            output_scale: alpha,
            gap,
            drift: last.drift,
            alignment_start: align0,
            alignment_end: alignment(&kt, &y),
            test_loss: last.test_loss,
            linear_test_loss: last.linear_test_loss,
        };
        out.runs.push(run);
        r.part(Part::PlaneRun(run));
    }
    Ok(out)
}
