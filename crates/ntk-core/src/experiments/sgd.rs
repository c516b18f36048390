//! The SGD experiment: finite MLPs trained by mini-batch stochastic gradient descent,
//! on a fixed pool of samples or on streaming data (every step draws fresh samples
//! from the distribution), beside the same SGD run in function space with the
//! analytic NTK: the infinite-width prediction (Arora et al. 2019, arXiv:1904.11955,
//! whose convergence bound for SGD on streaming data rests on the uniform
//! closeness of every layer's kernel; Lee et al. 2019, arXiv:1902.06720, for the
//! linearisation).
//!
//! Conventions. The loss of a batch B is (1/2|B|)Σ_{i∈B}(f(x_i) − y_i)². The nets are
//! centred, f = f_θ − f_θ₀ (f₀ = 0, as Arora et al. 2019 make it by a small output
//! scale), so the infinite-width prediction is deterministic:
//! f_{s+1}(x) = f_s(x) − (η/|B_s|)·Σ_{i∈B_s} Θ(x, x_i)(f_s(x_i) − y_i). Every network
//! and the kernel see the same batches (drawn from `seed`); the networks differ only
//! in their initialisation. Reported per recorded step: the test error of the
//! kernel and of each width (mean ± std over seeds), the gap
//! ‖f_net − f_ker‖/‖f_ker‖ on the test inputs, and the NTK drift
//! ‖Θ̂_s − Θ̂₀‖_F/‖Θ̂₀‖_F on a probe set.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{check_count, check_widths, default_target, Observer, Part, Reporter};
use crate::data::{sample, Distribution};
use crate::empirical::{fit_log_log, mean_std, LogLogFit};
use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork};
use crate::linalg::Matrix;
use crate::network::{Mlp, MlpSpec};
use crate::targets::{targets, Target};

/// The SGD experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// An MLP (the kernel side is its analytic NTK; standard parameterization: at the
    /// widest width).
    pub network: FcNetwork,
    pub widths: Vec<usize>,
    pub seeds: usize,
    pub distribution: Distribution,
    pub d: usize,
    /// The pool of training samples (ignored when streaming).
    pub n: usize,
    pub n_test: usize,
    pub target: Target,
    /// Label noise σ on the training targets.
    pub noise: f64,
    pub batch: usize,
    pub steps: usize,
    pub learning_rate: f64,
    /// Fresh samples every step instead of batches of the pool.
    pub streaming: bool,
    /// How many (log-spaced) steps are recorded.
    pub records: usize,
    /// Test inputs on which the NTK drift is measured.
    pub probes: usize,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: FcNetwork::relu(2, 2f64.sqrt(), Some(0.1)),
            widths: vec![64, 256, 1024],
            seeds: 3,
            distribution: Distribution::Gaussian,
            d: 4,
            n: 64,
            n_test: 100,
            target: default_target(),
            noise: 0.0,
            batch: 8,
            steps: 300,
            learning_rate: 0.5,
            streaming: false,
            records: 16,
            probes: 16,
            seed: 0,
        }
    }
}

impl Params {
    /// The training inputs the kernel sees: the pool, or every step's fresh batch.
    fn train_rows(&self) -> usize {
        if self.streaming {
            self.batch * self.steps
        } else {
            self.n
        }
    }

    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        check_widths(&self.widths)?;
        check_count("widths", self.widths.len(), 1, 8, "between 1 and 8 widths")?;
        check_count("seeds", self.seeds, 1, 64, "between 1 and 64")?;
        check_count("d", self.d, 1, 1024, "between 1 and 1024")?;
        check_count("n_test", self.n_test, 2, 4000, "between 2 and 4000")?;
        check_count("steps", self.steps, 1, 20_000, "between 1 and 20000")?;
        check_count("records", self.records, 2, 200, "between 2 and 200")?;
        check_count("probes", self.probes, 2, 64, "between 2 and 64")?;
        if !self.streaming {
            check_count("n", self.n, 2, 4000, "between 2 and 4000")?;
        }
        check_count("batch", self.batch, 1, 1024, "between 1 and 1024")?;
        if !self.streaming && self.batch > self.n {
            return Err(NtkError::OutOfRange {
                field: "batch",
                expected: "at most the pool's n",
                value: self.batch as f64,
            });
        }
        check_count(
            "batch",
            self.train_rows(),
            1,
            8000,
            "streaming: batch × steps fresh samples, at most 8000 (the kernel side keeps their Gram matrix)",
        )?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(NtkError::OutOfRange {
                field: "learning_rate",
                expected: "a positive number",
                value: self.learning_rate,
            });
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(NtkError::OutOfRange {
                field: "noise",
                expected: "a number ≥ 0",
                value: self.noise,
            });
        }
        let (n, t) = (self.train_rows(), self.n_test);
        crate::budget::ensure(
            "the analytic NTK on the training and test inputs",
            crate::budget::kernel_bytes(n + t, n, self.d, self.network.depth),
            "lower n, the test points, or (streaming) the batch or the steps",
        )?;
        let widest = self.widths.iter().copied().max().unwrap_or(1);
        crate::budget::ensure(
            "training the widest network",
            crate::budget::train_bytes(self.d, &vec![widest; self.network.depth], self.batch, t)
                .saturating_mul(2),
            "lower the width, the depth or the test points",
        )
    }
}

/// One width's curves over the recorded steps (mean and std over seeds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SgdWidth {
    pub width: usize,
    pub test_mse: Vec<f64>,
    pub test_mse_std: Vec<f64>,
    /// ‖f_net − f_ker‖/‖f_ker‖ on the test inputs (0 at step 0: both start at 0).
    pub gap: Vec<f64>,
    pub gap_std: Vec<f64>,
    /// ‖Θ̂_s − Θ̂₀‖_F/‖Θ̂₀‖_F on the probes.
    pub drift: Vec<f64>,
    pub drift_std: Vec<f64>,
}

/// The result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// The recorded steps (0 first, the last step last).
    pub steps: Vec<usize>,
    /// The infinite-width prediction's test error at each recorded step.
    pub kernel_test_mse: Vec<f64>,
    /// The widths finished so far.
    pub widths: Vec<SgdWidth>,
    /// log(final gap) against log(width), when ≥ 3 widths.
    pub gap_fit: Option<LogLogFit>,
    /// 2/max_i Θ(x_i, x_i): below it no batch's step can overshoot (λ_max(Θ_BB)/|B|
    /// ≤ max_i Θ_ii).
    pub safe_rate: f64,
    pub batch: usize,
    pub streaming: bool,
    /// Training samples seen: the pool's n, or batch × steps when streaming.
    pub samples: usize,
    pub seeds: usize,
}

/// `count` steps from 0 to `last`, log-spaced after 0, distinct.
pub fn record_steps(last: usize, count: usize) -> Vec<usize> {
    let mut v = vec![0];
    for k in 0..count.saturating_sub(1) {
        let t = (last as f64).powf((k + 1) as f64 / (count - 1) as f64);
        v.push((t.round() as usize).clamp(1, last));
    }
    v.dedup();
    v
}

fn rows(x: &Matrix, idx: &[usize]) -> Result<Matrix> {
    let d = x.cols();
    let mut v = Vec::with_capacity(idx.len() * d);
    for &i in idx {
        v.extend_from_slice(x.row(i));
    }
    Matrix::from_row_major(idx.len(), d, v)
}

fn mse(f: &[f64], y: &[f64]) -> f64 {
    f.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / f.len() as f64
}

/// ‖a − b‖/‖b‖.
pub(crate) fn rel_dist(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum();
    let den: f64 = b.iter().map(|q| q * q).sum();
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

/// What every unit and the combining run share: the data, the batches and the
/// kernel's own SGD run (cheap beside a net's; each unit repeats it rather than
/// receive its n_test × records predictions).
struct Setup {
    x: Matrix,
    y: Vec<f64>,
    x_test: Matrix,
    y_test: Vec<f64>,
    probes: Matrix,
    batches: Vec<Vec<usize>>,
    recorded: Vec<usize>,
    kernel_test_mse: Vec<f64>,
    kernel_test_f: Vec<Vec<f64>>,
    max_diag: f64,
}

fn setup(p: &Params) -> Result<Setup> {
    let n = p.train_rows();
    let x = sample(p.distribution, n, p.d, p.seed, false)?;
    let y = targets(&p.target, &x, p.noise, p.seed)?;
    let x_test = sample(p.distribution, p.n_test, p.d, p.seed + 1_000_003, false)?;
    let y_test = targets(&p.target, &x_test, 0.0, 0)?;
    let probes = rows(&x_test, &(0..p.probes.min(p.n_test)).collect::<Vec<_>>())?;
    // The batches: a fresh reshuffle of the pool each epoch, or consecutive fresh
    // samples when streaming.
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x5eed);
    let mut batches: Vec<Vec<usize>> = Vec::with_capacity(p.steps);
    let mut order: Vec<usize> = Vec::new();
    for s in 0..p.steps {
        if p.streaming {
            batches.push((s * p.batch..(s + 1) * p.batch).collect());
            continue;
        }
        if order.len() < p.batch {
            let mut fresh: Vec<usize> = (0..n).collect();
            fresh.shuffle(&mut rng);
            order = fresh;
        }
        batches.push(order.split_off(order.len() - p.batch));
    }
    let recorded = record_steps(p.steps, p.records);
    // The infinite-width prediction: SGD in function space with the analytic NTK.
    let widest = p.widths.iter().copied().max().unwrap_or(1);
    let net = FcNetwork {
        width: Some(widest),
        ..p.network
    };
    let mut all = x.as_slice().to_vec();
    all.extend_from_slice(x_test.as_slice());
    let all = Matrix::from_row_major(n + p.n_test, p.d, all)?;
    let k = kernel_matrix(&net, &all, Some(&x))?.ntk;
    let max_diag = (0..n).map(|i| k.get(i, i)).fold(0.0f64, f64::max);
    let mut f = vec![0.0; n + p.n_test];
    let mut kernel_test_mse = vec![mse(&f[n..], &y_test)];
    let mut kernel_test_f = vec![f[n..].to_vec()];
    for (s, b) in batches.iter().enumerate() {
        let scale = p.learning_rate / b.len() as f64;
        let res: Vec<(usize, f64)> = b.iter().map(|&i| (i, scale * (f[i] - y[i]))).collect();
        for (row, fv) in f.iter_mut().enumerate() {
            let kr = k.row(row);
            *fv -= res.iter().map(|&(i, ri)| kr[i] * ri).sum::<f64>();
        }
        if !f.iter().all(|v| v.is_finite() && v.abs() < 1e150) {
            return Err(NtkError::Diverges {
                learning_rate: p.learning_rate,
                critical: 2.0 / max_diag,
            });
        }
        if recorded.binary_search(&(s + 1)).is_ok() {
            kernel_test_mse.push(mse(&f[n..], &y_test));
            kernel_test_f.push(f[n..].to_vec());
        }
    }
    Ok(Setup {
        x,
        y,
        x_test,
        y_test,
        probes,
        batches,
        recorded,
        kernel_test_mse,
        kernel_test_f,
        max_diag,
    })
}

/// One unit of the SGD experiment: one net (width, seed) trained by SGD, its test
/// error, gap to the kernel's prediction and NTK drift at each recorded step. Units
/// are numbered widest first, seed by seed ([`unit_of`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub mse: Vec<f64>,
    pub gap: Vec<f64>,
    pub drift: Vec<f64>,
}

/// How many units: widths × seeds.
pub fn unit_count(p: &Params) -> usize {
    p.widths.len() * p.seeds
}

/// Unit `index` is (position in `widths`, seed): the last width first.
pub fn unit_of(p: &Params, index: usize) -> (usize, usize) {
    (p.widths.len() - 1 - index / p.seeds, index % p.seeds)
}

/// Compute unit `index` (see [`Unit`]): the same numbers [`run`] computes for it.
pub fn unit(p: &Params, index: usize) -> Result<Unit> {
    p.validate()?;
    super::check_unit(index, unit_count(p))?;
    unit_in(p, &setup(p)?, index)
}

fn unit_in(p: &Params, s: &Setup, index: usize) -> Result<Unit> {
    let (wi, seed) = unit_of(p, index);
    let spec = MlpSpec::from_network(&p.network, p.widths[wi]);
    let Setup {
        x,
        y,
        x_test,
        y_test,
        probes,
        batches,
        recorded,
        kernel_test_f,
        max_diag,
        ..
    } = s;
    let max_diag = *max_diag;
    let mut net = Mlp::init(&spec, p.d, seed as u64)?;
    let f0_test = net.forward(x_test)?;
    let theta0 = net.empirical_kernels(probes, None)?.ntk;
    let norm0 = crate::train::frobenius(&theta0);
    let init = net.clone();
    let record = |net: &Mlp, k: usize| -> Result<(f64, f64, f64)> {
        let ft: Vec<f64> = net
            .forward(x_test)?
            .iter()
            .zip(&f0_test)
            .map(|(a, b)| a - b)
            .collect();
        let th = net.empirical_kernels(probes, None)?.ntk;
        let drift = crate::train::frobenius_distance(&th, &theta0) / norm0;
        let gap = if k == 0 {
            0.0
        } else {
            rel_dist(&ft, &kernel_test_f[k])
        };
        Ok((mse(&ft, y_test), gap, drift))
    };
    let mut curve = vec![record(&net, 0)?];
    for (s, b) in batches.iter().enumerate() {
        let xb = rows(x, b)?;
        // Centred: the target of f_θ is y + f_θ₀ on the batch.
        let yb: Vec<f64> = init
            .forward(&xb)?
            .iter()
            .zip(b)
            .map(|(f0, &i)| y[i] + f0)
            .collect();
        let loss = net.gd_step(&xb, &yb, p.learning_rate)?;
        if !loss.is_finite() {
            return Err(NtkError::Diverges {
                learning_rate: p.learning_rate,
                critical: 2.0 / max_diag,
            });
        }
        if let Ok(k) = recorded.binary_search(&(s + 1)) {
            curve.push(record(&net, k)?);
        }
    }
    Ok(Unit {
        mse: curve.iter().map(|c| c.0).collect(),
        gap: curve.iter().map(|c| c.1).collect(),
        drift: curve.iter().map(|c| c.2).collect(),
    })
}

/// Run the SGD experiment: the kernel's run first, then each width's seeds.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Sgd> {
    run_from(p, None, observer)
}

/// Run it with its units already computed (by [`unit`], anywhere, in any order): the
/// same parts and output as [`run`], bit for bit.
pub fn run_with_units(p: &Params, units: &[Unit], observer: &mut dyn Observer) -> Result<Sgd> {
    super::check_units(units.len(), unit_count(p))?;
    run_from(p, Some(units), observer)
}

fn run_from(p: &Params, given: Option<&[Unit]>, observer: &mut dyn Observer) -> Result<Sgd> {
    p.validate()?;
    let s = setup(p)?;
    let n = s.x.rows();
    let recorded = s.recorded.clone();
    let max_diag = s.max_diag;
    let kernel_test_mse = s.kernel_test_mse.clone();
    let units = 1 + p.widths.len() * p.seeds;
    let mut r = Reporter::new(observer, units);
    let mut out = Sgd {
        steps: recorded.clone(),
        kernel_test_mse,
        widths: Vec::new(),
        gap_fit: None,
        safe_rate: 2.0 / max_diag,
        batch: p.batch,
        streaming: p.streaming,
        samples: n,
        seeds: p.seeds,
    };
    r.step(1, "SGD with the infinite-width kernel")?;
    r.part(Part::Sgd(out.clone()));

    let mut done = 1;
    for (wi, &m) in p.widths.iter().enumerate() {
        let (mut mses, mut gaps, mut drifts) = (Vec::new(), Vec::new(), Vec::new());
        for seed in 0..p.seeds {
            let index = (p.widths.len() - 1 - wi) * p.seeds + seed;
            let u = match given {
                Some(units) => units[index].clone(),
                None => unit_in(p, &s, index)?,
            };
            mses.push(u.mse);
            gaps.push(u.gap);
            drifts.push(u.drift);
            done += 1;
            r.step(done, format!("SGD: width {m}, seed {seed}"))?;
        }
        let over = |v: &[Vec<f64>]| -> (Vec<f64>, Vec<f64>) {
            (0..recorded.len())
                .map(|k| mean_std(&v.iter().map(|c| c[k]).collect::<Vec<_>>()))
                .unzip()
        };
        let (test_mse, test_mse_std) = over(&mses);
        let (gap, gap_std) = over(&gaps);
        let (drift, drift_std) = over(&drifts);
        out.widths.push(SgdWidth {
            width: m,
            test_mse,
            test_mse_std,
            gap,
            gap_std,
            drift,
            drift_std,
        });
        if out.widths.len() >= 3 {
            let w: Vec<f64> = out.widths.iter().map(|w| w.width as f64).collect();
            let g: Vec<f64> = out
                .widths
                .iter()
                .filter_map(|w| w.gap.last().copied())
                .collect();
            out.gap_fit = fit_log_log(&w, &g).ok();
        }
        r.part(Part::Sgd(out.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn recorded_steps_start_at_zero_and_end_at_the_last() {
        // 100^(1/2) and 100^(2/2).
        assert_eq!(record_steps(100, 3), vec![0, 10, 100]);
        let v = record_steps(300, 16);
        assert_eq!((v[0], *v.last().unwrap()), (0, 300));
        assert!(v.windows(2).all(|w| w[0] < w[1]));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_batch_larger_than_the_pool_is_refused_by_name() {
        let p = Params {
            n: 8,
            batch: 16,
            ..Params::default()
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::OutOfRange { field: "batch", .. })
        ));
    }
}
