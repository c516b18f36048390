//! Robustness needs parameters: the sensitivity of interpolating random-feature and
//! NTK regression against the number of parameters p, the number of samples N and the
//! dimension d (Bombari, Kiyani & Mondelli, ICML 2023, arXiv:2302.01629).
//!
//! ## Setting
//! - Inputs z ~ N(0, I_d) (‖z‖ ≈ √d), labels y ~ N(0, 1) independent of z (the
//!   authors' synthetic setting: robustness of interpolating arbitrary labels).
//! - The feature models of [`super::features`]: RF with k = p features, and the NTK
//!   features z ⊗ φ'(Wz) of a two-layer net's first layer with k = p/d neurons (p = kd
//!   trained parameters). The minimum-norm interpolant f(z) = φ(z)ᵀθ, θ = Φᵀ(ΦΦᵀ)⁻¹Y.
//!
//! ## Measures, at fresh test points z
//! - The paper's sensitivity S(z) = ‖z‖₂·‖∇_z f(z)‖₂, with
//!   RF: ∇_z f = Vᵀ(φ'(Vz) ⊙ θ)/√k;
//!   NTK: with θ as a k × d matrix Θ, f(z) = Σ_i φ'(w_iᵀz)(Θ_iᵀz)/√(dk) and
//!   ∇_z f = Σ_i [φ''(w_iᵀz)(Θ_iᵀz) w_i + φ'(w_iᵀz) Θ_i]/√(dk).
//! - The second measure 𝔼|∇f(z)ᵀ(z − ẑ)|, ẑ an independent draw (the lab's earlier
//!   sensitivity). For a 1-homogeneous f, ∇f(z)ᵀz = f(z), so it mixes in |f(z)|.
//!
//! ## The laws drawn beside the measurements
//! - The universal law of robustness (Bubeck & Sellke 2021, arXiv:2105.12806): an
//!   interpolator of noisy labels with p parameters has S ≳ √(Nd/p), so robustness
//!   (S = O(1)) needs p ≳ Nd. Bombari et al. prove that for even activations the NTK
//!   model meets it, S_NTK = O(log k·√(Nd/p)): the reference line ∝ √(Nd/p) (slope
//!   −½ in p, ½ in N, 0 in d at fixed k), its constant, which the theorem does not give,
//!   anchored to the measured points by least squares in log.
//! - For random features they prove that S does not vanish however large p is: the
//!   reference is flat in p, anchored the same way.
//! - At fixed N and d, as k → ∞ the model tends to the infinite-width kernel
//!   interpolant, whose sensitivity is a fixed number: the √(Nd/p) decay can hold only
//!   up to p ≈ Nd (up to logs), and the measured curve flattens beyond it. The fit over
//!   p uses the points with p ≤ Nd.
//! - The theorems hold for N, d, k → ∞ with N log³N = o(k) (RF) or N ≲ kd (NTK) and
//!   d ≲ N up to logs; at the page's sizes the trends, not the constants, are what can
//!   be compared. Non-even activations carry a linear term (μ₁ for RF, μ'₀ for NTK)
//!   that the theorems for the NTK exclude: their NTK sensitivity need not fall like
//!   the law.

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::features::{first_layer, Features};
use super::{check_count, distinct, Observer, Part, Reporter};
use crate::activation::Activation;
use crate::empirical::{fit_log_log, LogLogFit};
use crate::error::{NtkError, Result};
use crate::linalg::Matrix;
use crate::linalg::{a_bt, to_faer};

/// The experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The activations, each a name or a tagged object (an even and a non-even one
    /// show the paper's difference).
    #[serde(with = "activations")]
    pub activations: Vec<Activation>,
    /// The input dimension d (of the sweeps over p and N).
    pub d: usize,
    /// The number of samples N (of the sweeps over p and d).
    pub n: usize,
    /// Parameter counts p of the sweep over p (each ≥ 2·N).
    pub params: Vec<usize>,
    /// Sample sizes of the sweep over N (at the p of [`Params::sweep_params`]).
    pub ns: Vec<usize>,
    /// Dimensions of the sweep over d (at that p's k, and N).
    pub ds: Vec<usize>,
    /// Independent draws.
    pub seeds: usize,
    /// Test points per draw.
    pub test_points: usize,
    pub seed: u64,
}

mod activations {
    use crate::activation::Activation;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct One(#[serde(with = "crate::activation::by_name")] Activation);

    pub fn serialize<S: Serializer>(v: &[Activation], s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|a| One(*a)).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Activation>, D::Error> {
        Ok(Vec::<One>::deserialize(d)?
            .into_iter()
            .map(|o| o.0)
            .collect())
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            activations: vec![Activation::Tanh, Activation::Cos],
            d: 40,
            n: 80,
            params: vec![320, 640, 1280, 2560, 5120, 10240],
            ns: vec![20, 40, 80, 160],
            ds: vec![10, 20, 40, 80],
            seeds: 3,
            test_points: 24,
            seed: 0,
        }
    }
}

impl Params {
    /// The p of the sweeps over N and d: the largest of `params` inside the law's
    /// window p ≤ Nd, raised to the smallest that interpolates every N of `ns`
    /// (p ≥ 2N).
    pub fn sweep_params(&self) -> usize {
        let ps = distinct(&self.params);
        let n_max = self.ns.iter().copied().chain([self.n]).max().unwrap_or(0);
        let inside = ps.iter().rev().find(|&&q| q <= self.n * self.d).copied();
        let enough = ps.iter().find(|&&q| q >= 2 * n_max).copied();
        match (inside, enough) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(*ps.last().unwrap_or(&1)),
        }
    }

    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        check_count(
            "activations",
            self.activations.len(),
            1,
            4,
            "1 to 4 activations",
        )?;
        for a in &self.activations {
            a.validate()?;
        }
        check_count(
            "d",
            self.d,
            1,
            2000,
            "an input dimension between 1 and 2000",
        )?;
        check_count("n", self.n, 2, 4000, "between 2 and 4000 samples")?;
        check_count(
            "params",
            self.params.len(),
            3,
            12,
            "3 to 12 parameter counts",
        )?;
        check_count("ns", self.ns.len(), 0, 12, "at most 12 sample sizes")?;
        check_count("ds", self.ds.len(), 0, 12, "at most 12 dimensions")?;
        let p_min = self.params.iter().copied().min().unwrap_or(0);
        let p_max = self.params.iter().copied().max().unwrap_or(0);
        check_count("params", p_max, 1, 1 << 20, "parameter counts up to 2²⁰")?;
        let n_max = self.ns.iter().copied().chain([self.n]).max().unwrap_or(0);
        if p_min < 2 * self.n || p_max < 2 * n_max {
            return Err(NtkError::OutOfRange {
                field: "params",
                expected: "parameter counts of at least 2·N (an interpolating model needs p > N)",
                value: p_min as f64,
            });
        }
        if p_min < self.d.max(self.ds.iter().copied().max().unwrap_or(0)) {
            return Err(NtkError::OutOfRange {
                field: "params",
                expected: "parameter counts of at least d (the NTK model has k = p/d ≥ 1 neurons)",
                value: p_min as f64,
            });
        }
        for &n in &self.ns {
            check_count("ns", n, 2, 4000, "sample sizes between 2 and 4000")?;
        }
        for &d in &self.ds {
            check_count("ds", d, 1, 2000, "dimensions between 1 and 2000")?;
        }
        check_count("seeds", self.seeds, 1, 64, "between 1 and 64 seeds")?;
        check_count(
            "test_points",
            self.test_points,
            1,
            1024,
            "1 to 1024 test points",
        )?;
        let d_max = self.ds.iter().copied().chain([self.d]).max().unwrap_or(0);
        let rows = n_max + 2 * self.test_points;
        // Features of every row (RF: k = p) and the NTK's k × d coefficient matrix.
        crate::budget::ensure(
            "the features and kernel matrices",
            crate::budget::floats(&[rows, p_max])
                .saturating_mul(3)
                .saturating_add(crate::budget::floats(&[rows, rows]).saturating_mul(3))
                .saturating_add(crate::budget::floats(&[p_max, d_max.min(p_max)])),
            "lower the parameter counts, N or d",
        )
    }
}

/// One line of sensitivities against one swept quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensLine {
    pub features: Features,
    pub activation: String,
    pub even: bool,
    /// The swept values (p, N or d).
    pub x: Vec<f64>,
    /// Mean ‖z‖‖∇f(z)‖ over test points and seeds, and its standard error.
    pub sensitivity: Vec<f64>,
    pub sensitivity_se: Vec<f64>,
    /// Mean |∇f(z)ᵀ(z − ẑ)|.
    pub directional: Vec<f64>,
    /// Log-log fit of the sensitivity against x (slope ± standard error); over p,
    /// on the points with p ≤ Nd when there are at least 3 (the law's window).
    pub fit: Option<LogLogFit>,
    /// How many points (the first ones) the fit used.
    pub fit_points: usize,
    /// The reference law at each x (see the module documentation), anchored by least
    /// squares in log on the fit's points.
    pub law: Vec<f64>,
}

/// The sensitivity experiment's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    pub n: usize,
    pub d: usize,
    /// The p of the sweeps over N and d.
    pub sweep_params: usize,
    /// Against p at (N, d).
    pub by_params: Vec<SensLine>,
    /// Against N at p = `sweep_params` and d.
    pub by_n: Vec<SensLine>,
    /// Against d at the k of p = `sweep_params` (NTK: k = p/d; RF: k = p), and N.
    pub by_d: Vec<SensLine>,
}

/// (S, |∇fᵀ(z − ẑ)|) at each test point of one fit.
pub fn sensitivities(
    features: Features,
    act: Activation,
    k: usize,
    n: usize,
    d: usize,
    test_points: usize,
    seed: u64,
) -> Result<Vec<(f64, f64)>> {
    let rows = n + 2 * test_points;
    let z = crate::data::gaussian(rows, d, seed)?;
    let y = crate::data::gaussian(1, n, seed ^ 0x5EED)?;
    let w = first_layer(k, d, seed ^ 0xFEA7)?;
    let zf = to_faer(&z);
    let wf = to_faer(&w);
    // u = z Wᵀ (rows × k); W carries 1/√d.
    let u = a_bt(zf.as_ref(), wf.as_ref(), 1.0);
    let kf = k as f64;
    let train = zf.as_ref().subrows(0, n);
    let utrain = u.as_ref().subrows(0, n);
    // φ(u) (RF) or φ'(u) (NTK) on the training rows, once: the Gram and θ share it.
    let feat = Mat::from_fn(n, k, |i, j| match features {
        Features::Rf => act.apply(utrain[(i, j)]),
        Features::Ntk => act.derivative(utrain[(i, j)]),
    });
    let mut gram = a_bt(feat.as_ref(), feat.as_ref(), 1.0 / kf);
    if features == Features::Ntk {
        let lin = a_bt(train, train, 1.0 / d as f64);
        for j in 0..n {
            for i in 0..n {
                gram[(i, j)] *= lin[(i, j)];
            }
        }
    }
    let rhs = Mat::from_fn(n, 1, |i, _| y.get(0, i));
    let (coef, _) = super::features::solve_many(gram.as_ref(), rhs.as_ref())?;
    let mut out = Vec::with_capacity(test_points);
    match features {
        Features::Rf => {
            // θ_i = Σ_n a_n φ(u_ni)/√k.
            let mut theta_m = Mat::zeros(k, 1);
            faer::linalg::matmul::matmul(
                &mut theta_m,
                faer::Accum::Replace,
                feat.transpose(),
                coef.as_ref(),
                1.0 / kf.sqrt(),
                crate::linalg::par(),
            );
            let theta: Vec<f64> = (0..k).map(|i| theta_m[(i, 0)]).collect();
            let grad = |row: usize| -> Vec<f64> {
                let mut g = vec![0.0; d];
                for i in 0..k {
                    let c = act.derivative(u[(row, i)]) * theta[i] / kf.sqrt();
                    for (j, gj) in g.iter_mut().enumerate() {
                        *gj += c * w.get(i, j);
                    }
                }
                g
            };
            for t in 0..test_points {
                out.push(measure(&z, n + t, n + test_points + t, grad(n + t)));
            }
        }
        Features::Ntk => {
            // Θ_i = Σ_n a_n φ'(u_ni) z_n / √(dk)  (k × d).
            let scale = 1.0 / (d as f64 * kf).sqrt();
            let dd = Mat::from_fn(n, k, |r, i| feat[(r, i)] * coef[(r, 0)]);
            let mut theta = Mat::zeros(k, d);
            faer::linalg::matmul::matmul(
                &mut theta,
                faer::Accum::Replace,
                dd.transpose(),
                train,
                scale,
                crate::linalg::par(),
            );
            let grad = |row: usize| -> Vec<f64> {
                let zr = z.row(row);
                let mut g = vec![0.0; d];
                for i in 0..k {
                    let ui = u[(row, i)];
                    let tz: f64 = (0..d).map(|j| theta[(i, j)] * zr[j]).sum();
                    let a = act.second_derivative(ui) * tz * scale;
                    let b = act.derivative(ui) * scale;
                    for (j, gj) in g.iter_mut().enumerate() {
                        *gj += a * w.get(i, j) + b * theta[(i, j)];
                    }
                }
                g
            };
            for t in 0..test_points {
                out.push(measure(&z, n + t, n + test_points + t, grad(n + t)));
            }
        }
    }
    Ok(out)
}

fn measure(z: &Matrix, row: usize, other: usize, grad: Vec<f64>) -> (f64, f64) {
    let zr = z.row(row);
    let zh = z.row(other);
    let norm_z = zr.iter().map(|v| v * v).sum::<f64>().sqrt();
    let norm_g = grad.iter().map(|v| v * v).sum::<f64>().sqrt();
    let dir: f64 = grad
        .iter()
        .zip(zr.iter().zip(zh))
        .map(|(g, (a, b))| g * (a - b))
        .sum();
    (norm_z * norm_g, dir.abs())
}

/// A least-squares anchor c (in log) of c·shape to the measured values.
fn anchored(shape: &[f64], measured: &[f64]) -> Vec<f64> {
    let logs: Vec<f64> = shape
        .iter()
        .zip(measured)
        .filter(|(s, m)| **s > 0.0 && **m > 0.0)
        .map(|(s, m)| m.ln() - s.ln())
        .collect();
    if logs.is_empty() {
        return vec![f64::NAN; shape.len()];
    }
    let c = (logs.iter().sum::<f64>() / logs.len() as f64).exp();
    shape.iter().map(|s| c * s).collect()
}

/// One point (mean S, its s.e., mean directional) over seeds.
#[allow(clippy::too_many_arguments)]
fn point(
    p: &Params,
    features: Features,
    act: Activation,
    k: usize,
    n: usize,
    d: usize,
    tag: u64,
) -> Result<(f64, f64, f64)> {
    let mut s = Vec::new();
    let mut dir = Vec::new();
    for seed in 0..p.seeds {
        let mixed = p
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(tag.wrapping_mul(0xBF58_476D_1CE4_E5B9))
            .wrapping_add(seed as u64);
        for (a, b) in sensitivities(features, act, k, n, d, p.test_points, mixed)? {
            s.push(a);
            dir.push(b);
        }
    }
    let m = s.len() as f64;
    let mean = s.iter().sum::<f64>() / m;
    let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
    Ok((mean, (var / m).sqrt(), dir.iter().sum::<f64>() / m))
}

/// The neurons k of a model with p parameters in dimension d.
pub fn neurons(features: Features, p: usize, d: usize) -> usize {
    match features {
        Features::Rf => p,
        Features::Ntk => (p / d).max(1),
    }
}

/// One unit of the experiment: one point of one line (a sweep, a model, a value of
/// p, N or d), its sensitivity over seeds, standard error and directional
/// sensitivity. Units are numbered in the order [`run`] visits them ([`plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub sensitivity: f64,
    pub se: f64,
    pub directional: f64,
}

/// Every point in [`run`]'s order: (sweep 0/1/2 for p/N/d, features, activation, x).
fn plan(p: &Params) -> Vec<(usize, Features, Activation, usize)> {
    let models: Vec<(Features, Activation)> = p
        .activations
        .iter()
        .flat_map(|a| [(Features::Ntk, *a), (Features::Rf, *a)])
        .collect();
    let (params, ns, ds) = (distinct(&p.params), distinct(&p.ns), distinct(&p.ds));
    let mut v = Vec::new();
    for (sweep, xs) in [(0usize, &params), (1, &ns), (2, &ds)] {
        for &(features, act) in &models {
            v.extend(xs.iter().map(|&x| (sweep, features, act, x)));
        }
    }
    v
}

/// How many units: every point of every line.
pub fn unit_count(p: &Params) -> usize {
    plan(p).len()
}

/// What unit `index` is, for a status line.
pub fn unit_label(p: &Params, index: usize) -> String {
    match plan(p).get(index) {
        Some(&(sweep, features, act, x)) => format!(
            "sensitivity: {} {}, {} = {x}",
            features.label(),
            act.name(),
            ["p", "N", "d"][sweep]
        ),
        None => format!("sensitivity unit {}", index + 1),
    }
}

/// Compute unit `index` (see [`Unit`]): the same numbers [`run`] computes for it.
pub fn unit(p: &Params, index: usize) -> Result<Unit> {
    p.validate()?;
    let plan = plan(p);
    super::check_unit(index, plan.len())?;
    let (sweep, features, act, x) = plan[index];
    unit_at(p, sweep, features, act, x)
}

fn unit_at(
    p: &Params,
    sweep: usize,
    features: Features,
    act: Activation,
    x: usize,
) -> Result<Unit> {
    let p_sweep = p.sweep_params();
    let (k, n, d) = match sweep {
        0 => (neurons(features, x, p.d), p.n, p.d),
        1 => (neurons(features, p_sweep, p.d), x, p.d),
        // At fixed k: the NTK's p = kd grows with d.
        _ => (neurons(features, p_sweep, p.d), p.n, x),
    };
    let tag = (sweep as u64) << 40 | (x as u64) << 8;
    let (sensitivity, se, directional) = point(p, features, act, k, n, d, tag)?;
    Ok(Unit {
        sensitivity,
        se,
        directional,
    })
}

/// Run the experiment: the sweep over p, then over N, then over d.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Robustness> {
    run_from(p, None, observer)
}

/// Run it with its units already computed (by [`unit`], anywhere, in any order): the
/// same parts and output as [`run`], bit for bit.
pub fn run_with_units(
    p: &Params,
    units: &[Unit],
    observer: &mut dyn Observer,
) -> Result<Robustness> {
    super::check_units(units.len(), unit_count(p))?;
    run_from(p, Some(units), observer)
}

fn run_from(p: &Params, given: Option<&[Unit]>, observer: &mut dyn Observer) -> Result<Robustness> {
    p.validate()?;
    let params = distinct(&p.params);
    let ns = distinct(&p.ns);
    let ds = distinct(&p.ds);
    let models: Vec<(Features, Activation)> = p
        .activations
        .iter()
        .flat_map(|a| [(Features::Ntk, *a), (Features::Rf, *a)])
        .collect();
    let units = models.len() * (params.len() + ns.len() + ds.len());
    let mut r = Reporter::new(observer, units.max(1));
    let mut out = Robustness {
        n: p.n,
        d: p.d,
        sweep_params: p.sweep_params(),
        by_params: Vec::new(),
        by_n: Vec::new(),
        by_d: Vec::new(),
    };
    let mut done = 0;
    for (sweep, xs) in [(0usize, &params), (1, &ns), (2, &ds)] {
        for &(features, act) in &models {
            let mut line = SensLine {
                features,
                activation: act.name().to_string(),
                even: act.is_even(),
                x: xs.iter().map(|&v| v as f64).collect(),
                sensitivity: Vec::new(),
                sensitivity_se: Vec::new(),
                directional: Vec::new(),
                fit: None,
                fit_points: 0,
                law: Vec::new(),
            };
            for &x in xs.iter() {
                let u = match given {
                    Some(units) => units[done],
                    None => unit_at(p, sweep, features, act, x)?,
                };
                line.sensitivity.push(u.sensitivity);
                line.sensitivity_se.push(u.se);
                line.directional.push(u.directional);
                done += 1;
                let what = ["p", "N", "d"][sweep];
                r.step(
                    done,
                    format!(
                        "sensitivity: {} {}, {what} = {x}",
                        features.label(),
                        act.name()
                    ),
                )?;
            }
            // The law's shape along this sweep.
            let shape: Vec<f64> = line
                .x
                .iter()
                .map(|&x| match (features, sweep) {
                    (Features::Rf, _) => 1.0,
                    (Features::Ntk, 0) => (1.0 / x).sqrt(),
                    (Features::Ntk, 1) => x.sqrt(),
                    (Features::Ntk, _) => 1.0,
                })
                .collect();
            // Over p, the law's window is p ≲ Nd: beyond it the model tends to the
            // infinite-width kernel interpolant, whose sensitivity is a fixed number.
            // The fit uses the points with p ≤ Nd when there are at least 3.
            let window: Vec<usize> = (0..line.x.len())
                .filter(|&i| sweep != 0 || line.x[i] <= (p.n * p.d) as f64)
                .collect();
            let idx: Vec<usize> = if window.len() >= 3 {
                window
            } else {
                (0..line.x.len()).collect()
            };
            let xs_fit: Vec<f64> = idx.iter().map(|&i| line.x[i]).collect();
            let ys_fit: Vec<f64> = idx.iter().map(|&i| line.sensitivity[i]).collect();
            line.fit = fit_log_log(&xs_fit, &ys_fit).ok();
            line.fit_points = idx.len();
            // The law is anchored on the same points, and drawn over every x (so the
            // departure beyond the window shows).
            let shape_fit: Vec<f64> = idx.iter().map(|&i| shape[i]).collect();
            let c = anchored(&shape_fit, &ys_fit);
            line.law = shape
                .iter()
                .map(|s| {
                    c.first()
                        .zip(shape_fit.first())
                        .map_or(f64::NAN, |(c, s0)| c / s0 * s)
                })
                .collect();
            match sweep {
                0 => out.by_params.push(line),
                1 => out.by_n.push(line),
                _ => out.by_d.push(line),
            }
            r.part(Part::Robustness(out.clone()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// The input gradient against central differences of the interpolant itself,
    /// rebuilt from explicit features (an independent route to f).
    #[wasm_bindgen_test(unsupported = test)]
    fn input_gradients_match_finite_differences() {
        for features in [Features::Rf, Features::Ntk] {
            for act in [Activation::Tanh, Activation::Cos, Activation::Gelu] {
                let (k, n, d, t, seed) = (30, 6, 4, 2, 7);
                let got = sensitivities(features, act, k, n, d, t, seed).unwrap();
                // Rebuild: explicit features, min-norm θ via K⁻¹, f(z) = φ(z)ᵀθ.
                let z = crate::data::gaussian(n + 2 * t, d, seed).unwrap();
                let y = crate::data::gaussian(1, n, seed ^ 0x5EED).unwrap();
                let w = first_layer(k, d, seed ^ 0xFEA7).unwrap();
                let phi = |x: &[f64]| -> Vec<f64> {
                    let u: Vec<f64> = (0..k)
                        .map(|i| (0..d).map(|j| w.get(i, j) * x[j]).sum())
                        .collect();
                    match features {
                        Features::Rf => u
                            .iter()
                            .map(|v| act.apply(*v) / (k as f64).sqrt())
                            .collect(),
                        Features::Ntk => x
                            .iter()
                            .flat_map(|xj| u.iter().map(move |v| xj * act.derivative(*v)))
                            .map(|v| v / ((d * k) as f64).sqrt())
                            .collect(),
                    }
                };
                let feats: Vec<Vec<f64>> = (0..n).map(|i| phi(z.row(i))).collect();
                let gram: Vec<f64> = (0..n * n)
                    .map(|ij| {
                        feats[ij / n]
                            .iter()
                            .zip(&feats[ij % n])
                            .map(|(a, b)| a * b)
                            .sum()
                    })
                    .collect();
                let gram = Matrix::from_row_major(n, n, gram).unwrap();
                let (a, _) = crate::linalg::cholesky_solve(&gram, y.row(0)).unwrap();
                let theta: Vec<f64> = (0..feats[0].len())
                    .map(|c| (0..n).map(|r| a[r] * feats[r][c]).sum())
                    .collect();
                let f = |x: &[f64]| -> f64 { phi(x).iter().zip(&theta).map(|(p, q)| p * q).sum() };
                for (ti, (s, _)) in got.iter().enumerate() {
                    let x0 = z.row(n + ti).to_vec();
                    let h = 1e-5;
                    let mut g2 = 0.0;
                    for j in 0..d {
                        let (mut xp, mut xm) = (x0.clone(), x0.clone());
                        xp[j] += h;
                        xm[j] -= h;
                        g2 += ((f(&xp) - f(&xm)) / (2.0 * h)).powi(2);
                    }
                    let norm: f64 = x0.iter().map(|v| v * v).sum::<f64>().sqrt();
                    let e = norm * g2.sqrt();
                    assert!(
                        (s - e).abs() <= 1e-6 * e.max(1e-3),
                        "{features:?} {act:?}: {s} vs {e}"
                    );
                }
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_settings_are_refused() {
        let p = Params {
            params: vec![100, 200, 400],
            n: 100,
            ..Params::default()
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::OutOfRange {
                field: "params",
                ..
            })
        ));
        let p = Params {
            activations: vec![],
            ..Params::default()
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::OutOfRange {
                field: "activations",
                ..
            })
        ));
        let p = Params {
            test_points: 0,
            ..Params::default()
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::OutOfRange {
                field: "test_points",
                ..
            })
        ));
        assert!(Params::default().validate().is_ok());
    }
}
