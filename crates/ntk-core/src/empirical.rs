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
use crate::layers::architecture::{FiniteNet, Model};
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

/// The distances of one finite network's Θ̂ to the analytic Θ.
fn distances(k: &Matrix, exact: &Matrix, norm: f64) -> (f64, f64) {
    let (mut sq, mut max) = (0.0f64, 0.0f64);
    for (a, b) in k.as_slice().iter().zip(exact.as_slice()) {
        let d = a - b;
        sq += d * d;
        max = max.max(d.abs());
    }
    (sq.sqrt() / norm, max)
}

/// The distances of every seed at one width: the relative Frobenius distance
/// ‖Θ̂ − Θ‖_F/‖Θ‖_F and the largest entry max|Θ̂ − Θ| of each network, in seed
/// order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedDistances {
    pub width: usize,
    pub rel_frobenius: Vec<f64>,
    pub max_entry: Vec<f64>,
    /// Per hidden layer ℓ = 1, …, L (when asked): the same distances of Θ̂^(ℓ), the
    /// NTK of the network cut after layer ℓ ([`Mlp::truncated`]), to the analytic
    /// NTK of depth ℓ. Index ℓ − 1.
    pub layers: Vec<LayerDistances>,
}

/// The per-seed distances of one layer's kernel Θ̂^(ℓ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerDistances {
    pub layer: usize,
    pub rel_frobenius: Vec<f64>,
    pub max_entry: Vec<f64>,
}

impl SeedDistances {
    /// Mean and standard deviation (n − 1) over the seeds.
    pub fn point(&self) -> WidthPoint {
        let (fm, fs) = mean_std(&self.rel_frobenius);
        let (mm, ms) = mean_std(&self.max_entry);
        WidthPoint {
            width: self.width,
            rel_frobenius_mean: fm,
            rel_frobenius_std: fs,
            max_entry_mean: mm,
            max_entry_std: ms,
        }
    }
}

/// Mean and sample standard deviation (divisor n − 1; 0 for one value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let k = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / k;
    let var = v.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (k - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// The summary of a distance over seeds that the high-probability theorems speak
/// of: besides mean ± std, the (1 − δ) quantile (the ε that a fraction 1 − δ of
/// networks stay within: the theorems' "with probability 1 − δ"), the worst seed,
/// and the empirical tail P(distance > ε).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    pub std: f64,
    pub quantile: f64,
    pub worst: f64,
    pub tail: f64,
}

/// The empirical q-quantile of `v` by linear interpolation between order statistics
/// (Hyndman & Fan's type 7, numpy's default): with the values sorted and
/// h = (n − 1)·q, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
pub fn quantile(v: &[f64], q: f64) -> Result<f64> {
    if v.is_empty() || !(0.0..=1.0).contains(&q) || v.iter().any(|x| x.is_nan()) {
        return Err(NtkError::OutOfRange {
            field: "quantile",
            expected: "a level in [0, 1] of at least one number",
            value: q,
        });
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    Ok(s[lo] + (h - lo as f64) * (s[hi] - s[lo]))
}

/// [`Stats`] of `v` at confidence 1 − `delta` and threshold `epsilon`.
pub fn stats(v: &[f64], delta: f64, epsilon: f64) -> Result<Stats> {
    let (mean, std) = mean_std(v);
    Ok(Stats {
        mean,
        std,
        quantile: quantile(v, 1.0 - delta)?,
        worst: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        tail: v.iter().filter(|&&x| x > epsilon).count() as f64 / v.len() as f64,
    })
}

/// The fewest seeds for which a (1 − δ) quantile is more than the largest value:
/// on average 2 seeds lie above it.
pub fn seeds_for_quantile(delta: f64) -> usize {
    (2.0 / delta).ceil() as usize
}

/// For each width and seed, the distances of Θ̂(X, X) to the analytic Θ(X, X), and
/// with `layers` (flat MLPs only) those of every layer's Θ̂^(ℓ). Seeds are 0, 1, …
/// at every width. `progress` is called after every network; returning `false`
/// cancels (the result is then `NtkError::Cancelled`).
pub fn distance_sweep(
    model: Model,
    x: &Matrix,
    widths: &[usize],
    seeds: usize,
    layers: bool,
    mut progress: impl FnMut(&Progress) -> bool,
) -> Result<Vec<SeedDistances>> {
    if layers && !model.arch.is_mlp() {
        return Err(NtkError::OutOfRange {
            field: "layers",
            expected: "per-layer distances for the flat MLP only",
            value: 1.0,
        });
    }
    let total = widths.len() * seeds;
    let mut done = 0;
    let mut out = Vec::with_capacity(widths.len());
    for &m in widths {
        // The analytic kernel at width m (it depends on m in the standard
        // parameterization only), and per layer that of the cut network.
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
        let cut: Vec<(Matrix, f64)> = if layers {
            (1..=net.depth)
                .map(|l| {
                    let k =
                        crate::kernel::kernel_matrix(&FcNetwork { depth: l, ..net }, x, None)?.ntk;
                    let n = frobenius(&k);
                    Ok((k, n))
                })
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        let mut row = SeedDistances {
            width: m,
            rel_frobenius: Vec::with_capacity(seeds),
            max_entry: Vec::with_capacity(seeds),
            layers: (1..=cut.len())
                .map(|layer| LayerDistances {
                    layer,
                    rel_frobenius: Vec::with_capacity(seeds),
                    max_entry: Vec::with_capacity(seeds),
                })
                .collect(),
        };
        for seed in 0..seeds {
            let f = at_m.finite(x.cols(), m, seed as u64)?;
            let (rel, max) = distances(&f.empirical_ntk(x, None)?, &exact, norm);
            row.rel_frobenius.push(rel);
            row.max_entry.push(max);
            if let (FiniteNet::Mlp(mlp), true) = (&f, layers) {
                // The last cut is the network itself: its distances are known.
                for (l, (k, n)) in cut.iter().enumerate() {
                    let (rel, max) = if l + 1 == cut.len() {
                        (rel, max)
                    } else {
                        let t = mlp.truncated(l + 1)?.empirical_kernels(x, None)?.ntk;
                        distances(&t, k, *n)
                    };
                    row.layers[l].rel_frobenius.push(rel);
                    row.layers[l].max_entry.push(max);
                }
            }
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
        out.push(row);
    }
    Ok(out)
}

/// Sweep the width: for each width and seed, the distance of Θ̂(X, X) to the analytic
/// Θ(X, X), summarised by mean and std over seeds, and the fit of the mean relative
/// Frobenius distance. `progress` is called after every network; returning `false`
/// cancels the sweep (the result is then `NtkError::Cancelled`).
pub fn width_sweep(
    model: Model,
    x: &Matrix,
    widths: &[usize],
    seeds: usize,
    progress: impl FnMut(&Progress) -> bool,
) -> Result<WidthSweep> {
    if widths.len() < 3 || seeds == 0 {
        return Err(NtkError::OutOfRange {
            field: "widths",
            expected: "at least 3 widths and 1 seed",
            value: widths.len() as f64,
        });
    }
    let points: Vec<WidthPoint> = distance_sweep(model, x, widths, seeds, false, progress)?
        .iter()
        .map(SeedDistances::point)
        .collect();
    let xs: Vec<f64> = points.iter().map(|p| p.width as f64).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.rel_frobenius_mean).collect();
    Ok(WidthSweep {
        fit: fit_log_log(&xs, &ys)?,
        points,
        seeds,
    })
}

/// The relative variance Var Θ̂(x, x) / 𝔼[Θ̂(x, x)]² of the empirical NTK's diagonal
/// for a bias-free ReLU MLP in the NTK parameterization with `depth` hidden layers of
/// width `width`, to first order in 1/m per layer. Derived here (the constant 5 is
/// Hanin & Nica's, arXiv:1909.05989, who prove 𝔼[Θ̂²]/𝔼[Θ̂]² ≃ exp(5β), β = Σ 1/n_ℓ,
/// up to bounded factors):
///
/// Θ̂(x, x) = Σ_{k=1}^{L+1} T_k with T_k = (σ_w²/n_{k−1})·‖a_{k−1}‖²·‖δ_k‖² (layer
/// k's weights). Each T_k is its mean times L ratios, one per hidden layer j: the
/// forward ratio F_j = ‖a_j‖²/𝔼 for j < k and the backward ratio B_j = ‖δ_j‖²/𝔼 for
/// j ≥ k. Each ratio is an average of m i.i.d. terms X = 2·ReLU(g)² or
/// 2·1{g > 0}·u² with 𝔼X = 1 and 𝔼X² = 6, so Var = 5/m; F_j and B_j share layer
/// j's activation pattern, Cov(F_j, B_j) = 4(½ − ¼)/m = 1/m; different layers are
/// independent, and 𝔼T_k is the same for every k (ReLU is homogeneous). Hence
///
/// 𝔼[Θ̂²]/𝔼[Θ̂]² = (L+1)⁻² Σ_{k,k'} (1 + 5/m)^{L−|k−k'|} (1 + 1/m)^{|k−k'|},
///
/// and the relative variance is that minus 1. For L ≪ m it is
/// (L/m)·(5 − 4(L+2)/(3(L+1))) → (11/3)·L/m for deep nets; for L ~ m it grows like
/// exp(5L/m) with a prefactor. A second implementation (numpy Monte Carlo with 4000
/// nets, width 64) agrees within its error bars at L = 1 … 16.
pub fn relu_ntk_relative_variance(depth: usize, width: usize) -> f64 {
    let m = width as f64;
    let l = depth as i32;
    let (a, b) = (1.0 + 5.0 / m, 1.0 + 1.0 / m);
    let mut sum = 0.0;
    for k in 0..=l {
        for k2 in 0..=l {
            let d = (k - k2).abs();
            sum += a.powi(l - d) * b.powi(d);
        }
    }
    sum / ((l + 1) as f64).powi(2) - 1.0
}

/// One depth of [`depth_sweep`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DepthPoint {
    pub depth: usize,
    /// 𝔼Θ̂(x, x) over seeds, averaged over the inputs.
    pub mean: f64,
    /// Var Θ̂(x, x) / 𝔼[Θ̂(x, x)]² over seeds, averaged over the inputs.
    pub rel_var: f64,
    /// Its jackknife standard error over seeds.
    pub rel_var_se: f64,
}

/// The relative variance of Θ̂(x, x) per input, averaged over the inputs, from
/// `v[seed][input]`.
fn pooled_rel_var(v: &[Vec<f64>], skip: Option<usize>) -> (f64, f64) {
    let n = v[0].len();
    let s = (v.len() - usize::from(skip.is_some())) as f64;
    let (mut rv, mut mean) = (0.0, 0.0);
    for i in 0..n {
        let vals = v
            .iter()
            .enumerate()
            .filter(|(k, _)| Some(*k) != skip)
            .map(|(_, r)| r[i]);
        let mu = vals.clone().sum::<f64>() / s;
        let var = vals.map(|x| (x - mu) * (x - mu)).sum::<f64>() / (s - 1.0);
        rv += var / (mu * mu);
        mean += mu;
    }
    (rv / n as f64, mean / n as f64)
}

/// The spread of the empirical NTK's diagonal against the depth at a fixed width:
/// for each seed one network of the largest depth, cut after each depth asked
/// ([`Mlp::truncated`]: the cuts are networks of those depths, so each depth's
/// values have the right distribution; the depths of one seed share weights, so
/// their errors are correlated). The standard error is the jackknife's over seeds.
pub fn depth_sweep(
    net: &FcNetwork,
    x: &Matrix,
    width: usize,
    depths: &[usize],
    seeds: usize,
    mut progress: impl FnMut(&Progress) -> bool,
) -> Result<Vec<DepthPoint>> {
    let deepest = depths.iter().copied().max().unwrap_or(0);
    if deepest == 0 || depths.contains(&0) || seeds < 3 {
        return Err(NtkError::OutOfRange {
            field: "depths",
            expected: "depths of at least 1 and at least 3 seeds",
            value: depths.len() as f64,
        });
    }
    let spec = MlpSpec::from_network(
        &FcNetwork {
            depth: deepest,
            ..*net
        },
        width,
    );
    // values[depth index][seed][input]
    let mut values = vec![Vec::with_capacity(seeds); depths.len()];
    for seed in 0..seeds {
        let full = Mlp::init(&spec, x.cols(), seed as u64)?;
        for (k, &l) in depths.iter().enumerate() {
            let ntk = if l == deepest {
                full.empirical_kernels(x, None)?.ntk
            } else {
                full.truncated(l)?.empirical_kernels(x, None)?.ntk
            };
            values[k].push((0..x.rows()).map(|i| ntk.get(i, i)).collect::<Vec<_>>());
        }
        let p = Progress {
            done: seed + 1,
            total: seeds,
            stage: format!("depth sweep at width {width}, seed {seed}"),
        };
        if !progress(&p) {
            return Err(NtkError::Cancelled);
        }
    }
    Ok(depths
        .iter()
        .zip(&values)
        .map(|(&depth, v)| {
            let (rel_var, mean) = pooled_rel_var(v, None);
            let loo: Vec<f64> = (0..seeds).map(|s| pooled_rel_var(v, Some(s)).0).collect();
            let bar = loo.iter().sum::<f64>() / seeds as f64;
            let ss: f64 = loo.iter().map(|r| (r - bar) * (r - bar)).sum();
            DepthPoint {
                depth,
                mean,
                rel_var,
                rel_var_se: ((seeds - 1) as f64 / seeds as f64 * ss).sqrt(),
            }
        })
        .collect())
}

/// Weighted least squares through the origin, y = c·u with weights w = 1/σ² of
/// known errors σ: c = Σwuy/Σwu², standard error 1/√(Σwu²) scaled up by √(χ²/(k − 1))
/// when the points scatter more than their errors say; `None` for fewer than 2
/// points or a non-positive error.
pub fn fit_through_origin(u: &[f64], y: &[f64], sigma: &[f64]) -> Option<(f64, f64)> {
    if u.len() < 2 || u.len() != y.len() || u.len() != sigma.len() {
        return None;
    }
    if sigma.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return None;
    }
    let w: Vec<f64> = sigma.iter().map(|s| 1.0 / (s * s)).collect();
    let swuu: f64 = u.iter().zip(&w).map(|(a, w)| w * a * a).sum();
    let c = u
        .iter()
        .zip(y)
        .zip(&w)
        .map(|((a, b), w)| w * a * b)
        .sum::<f64>()
        / swuu;
    let chi2: f64 = u
        .iter()
        .zip(y)
        .zip(&w)
        .map(|((a, b), w)| w * (b - c * a).powi(2))
        .sum();
    let scale = (chi2 / (u.len() - 1) as f64).max(1.0).sqrt();
    let se = scale / swuu.sqrt();
    (c.is_finite() && se.is_finite()).then_some((c, se))
}
