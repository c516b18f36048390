//! Monte Carlo over random networks: the empirical NTK's mean and spread over seeds,
//! its distance to the analytic NTK, and how that distance falls with width.
//!
//! At initialisation Θ̂ → Θ as the width m → ∞ (Jacot et al. 2018), with fluctuations
//! of order m^{−1/2} (Hanin & Nica 2019, arXiv:1909.05989; Novak et al. 2020 measure
//! ≈ 0.04 relative Frobenius error at m = 4096 on unit-variance Gaussian inputs). The
//! width sweep reports the mean relative Frobenius distance ‖Θ̂ − Θ‖_F/‖Θ‖_F and the
//! max-entry distance max|Θ̂ − Θ| (the quantity of uniform-convergence theorems), and
//! fits log(distance) = a + b·log(m) by least squares, with the standard error of b.

use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};
use crate::kernel::FcNetwork;
use crate::layers::architecture::Model;
use crate::linalg::Matrix;
use crate::network::{Mlp, MlpSpec};
use crate::train::frobenius;

/// What a long computation reports between units of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Units done so far.
    pub done: usize,
    /// Units in all.
    pub total: usize,
    /// What is being computed ("width 1024, seed 3").
    pub stage: String,
}

/// Mean and standard deviation of the empirical NTK over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleKernel {
    pub mean: Matrix,
    pub std: Matrix,
    pub seeds: usize,
}

/// One width of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidthPoint {
    pub width: usize,
    /// Mean and standard deviation over seeds of ‖Θ̂ − Θ‖_F/‖Θ‖_F.
    pub rel_frobenius_mean: f64,
    pub rel_frobenius_std: f64,
    /// Mean and standard deviation over seeds of max|Θ̂ − Θ|.
    pub max_entry_mean: f64,
    pub max_entry_std: f64,
}

/// A fitted line log y = intercept + slope · log x.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogLogFit {
    pub slope: f64,
    pub slope_std_error: f64,
    pub intercept: f64,
}

/// The convergence curve of a width sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidthSweep {
    pub points: Vec<WidthPoint>,
    pub seeds: usize,
    /// The fit of the mean relative Frobenius distance against the width.
    pub fit: LogLogFit,
}

/// Ordinary least squares of log y on log x, with the slope's standard error
/// s/√Σ(u − ū)² (s² the residual variance with n − 2 degrees of freedom).
pub fn fit_log_log(x: &[f64], y: &[f64]) -> Result<LogLogFit> {
    if x.len() != y.len() || x.len() < 3 {
        return Err(NtkError::OutOfRange {
            field: "points",
            expected: "at least 3 (x, y) pairs",
            value: x.len() as f64,
        });
    }
    if x.iter().chain(y).any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(NtkError::Numerical(
            "a log-log fit needs positive values".into(),
        ));
    }
    let u: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let v: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = u.len() as f64;
    let (mu, mv) = (u.iter().sum::<f64>() / n, v.iter().sum::<f64>() / n);
    let suu: f64 = u.iter().map(|a| (a - mu) * (a - mu)).sum();
    let suv: f64 = u.iter().zip(&v).map(|(a, b)| (a - mu) * (b - mv)).sum();
    let slope = suv / suu;
    let intercept = mv - slope * mu;
    let rss: f64 = u
        .iter()
        .zip(&v)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    Ok(LogLogFit {
        slope,
        slope_std_error: (rss / (n - 2.0) / suu).sqrt(),
        intercept,
    })
}

/// Mean and std of Θ̂(X, X) over `seeds` random networks (seeds base, base+1, …).
pub fn ensemble_ntk(
    spec: &MlpSpec,
    x: &Matrix,
    seeds: usize,
    base_seed: u64,
) -> Result<EnsembleKernel> {
    if seeds == 0 {
        return Err(NtkError::OutOfRange {
            field: "seeds",
            expected: "at least 1",
            value: 0.0,
        });
    }
    let n = x.rows();
    let (mut sum, mut sq) = (vec![0.0; n * n], vec![0.0; n * n]);
    for s in 0..seeds {
        let k = Mlp::init(spec, x.cols(), base_seed + s as u64)?.empirical_kernels(x, None)?;
        for ((a, b), v) in sum.iter_mut().zip(sq.iter_mut()).zip(k.ntk.as_slice()) {
            *a += v;
            *b += v * v;
        }
    }
    let m = seeds as f64;
    let mean: Vec<f64> = sum.iter().map(|a| a / m).collect();
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(b, mu)| (b / m - mu * mu).max(0.0).sqrt())
        .collect();
    Ok(EnsembleKernel {
        mean: Matrix::from_row_major(n, n, mean)?,
        std: Matrix::from_row_major(n, n, std)?,
        seeds,
    })
}

/// Sweep the width: for each width and seed, the distance of Θ̂(X, X) to the analytic
/// Θ(X, X). `spec.widths` gives the depth (its values are replaced by each width).
/// `progress` is called after every network; returning `false` cancels the sweep
/// (the result is then `NtkError::Cancelled`).
pub fn width_sweep(
    model: Model,
    x: &Matrix,
    widths: &[usize],
    seeds: usize,
    mut progress: impl FnMut(&Progress) -> bool,
) -> Result<WidthSweep> {
    if widths.len() < 3 || seeds == 0 {
        return Err(NtkError::OutOfRange {
            field: "widths",
            expected: "at least 3 widths and 1 seed",
            value: widths.len() as f64,
        });
    }
    let total = widths.len() * seeds;
    let mut done = 0;
    let mut points = Vec::with_capacity(widths.len());
    for &m in widths {
        // The analytic kernel at width m (it depends on m in the standard
        // parameterization only).
        let net = FcNetwork {
            width: Some(m),
            ..*model.net
        };
        let at_m = Model {
            net: &net,
            arch: model.arch,
        };
        let exact = at_m.kernels(x, None)?.ntk;
        let norm = frobenius(&exact);
        let (mut rel, mut max_entry) = (Vec::with_capacity(seeds), Vec::with_capacity(seeds));
        for seed in 0..seeds {
            let k = at_m
                .finite(x.cols(), m, seed as u64)?
                .empirical_ntk(x, None)?;
            let diff: Vec<f64> = k
                .as_slice()
                .iter()
                .zip(exact.as_slice())
                .map(|(a, b)| a - b)
                .collect();
            rel.push(diff.iter().map(|d| d * d).sum::<f64>().sqrt() / norm);
            max_entry.push(diff.iter().fold(0.0f64, |acc, d| acc.max(d.abs())));
            done += 1;
            let p = Progress {
                done,
                total,
                stage: format!("width {m}, seed {seed}"),
            };
            if !progress(&p) {
                return Err(NtkError::Cancelled);
            }
        }
        let k = seeds as f64;
        let mean = rel.iter().sum::<f64>() / k;
        let sd = |v: &[f64], mean: f64| {
            (v.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (k - 1.0).max(1.0)).sqrt()
        };
        let max_mean = max_entry.iter().sum::<f64>() / k;
        points.push(WidthPoint {
            width: m,
            rel_frobenius_mean: mean,
            rel_frobenius_std: sd(&rel, mean),
            max_entry_mean: max_mean,
            max_entry_std: sd(&max_entry, max_mean),
        });
    }
    let xs: Vec<f64> = points.iter().map(|p| p.width as f64).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.rel_frobenius_mean).collect();
    Ok(WidthSweep {
        fit: fit_log_log(&xs, &ys)?,
        points,
        seeds,
    })
}
