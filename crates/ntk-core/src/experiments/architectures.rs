//! What convolution and pooling do to the kernel: the analytic NTK of four
//! architectures on 1-D signals, side by side — its spectrum, how much it changes when
//! a signal is shifted, and the test error of NTK regression on a shift-invariant
//! target against n.
//!
//! ## Setting
//! - Signals x ∈ ℝ^{L×1}: L positions, one channel, entries i.i.d. N(0, 1).
//! - Target: the circular lag-1 autocorrelation y = Σ_p x_p·x_{p+1 mod L} / √L (unit
//!   variance), plus N(0, noise²). It is invariant to circular shifts of x and local
//!   (each term sees two neighbours), so a convolutional kernel with global average
//!   pooling matches it and an MLP's does not.
//! - Architectures, each with `depth` hidden layers, ReLU, σ_w = 1.4, σ_b = 0.1, NTK
//!   parameterization (the analytic kernels of [`crate::layers::analytic`], checked
//!   against neural-tangents):
//!   - `mlp`: flatten, then `depth` × [dense → ReLU], dense;
//!   - `residual_mlp`: flatten, dense, then `depth` × residual[ReLU → dense], ReLU,
//!     dense;
//!   - `cnn_flatten`: `depth` × [conv(filter, circular) → ReLU], flatten, dense;
//!   - `cnn_gap`: `depth` × [conv(filter, circular) → ReLU], global average pooling,
//!     dense.
//!
//! ## Measures
//! - `spectra`: eigenvalues of Θ(X, X) on the largest training set of seed 0,
//!   descending, divided by their sum (the share of each mode).
//! - `shift_change`: ‖Θ(X, SX) − Θ(X, X)‖_F / ‖Θ(X, X)‖_F with S the circular shift by
//!   one position, on the test signals (at most 64). A kernel with circular
//!   convolutions and global average pooling is exactly shift-invariant: 0 up to
//!   round-off.
//! - `test_mse`: NTK regression (the t → ∞ limit of gradient flow,
//!   [`crate::dynamics::predict`], ridge `diag_reg`·tr Θ/n) on n training signals,
//!   mean squared error on `n_test` fresh signals, mean ± standard error over seeds;
//!   `null_mse` is the error of predicting 0 (the target's variance + noise²).

use ndarray::{Array2, Array3, Axis};
use serde::{Deserialize, Serialize};

use super::{check_count, Observer, Part, Reporter};
use crate::activation::Activation;
use crate::data::gaussian;
use crate::error::{NtkError, Result};
use crate::kernel::Parameterization;
use crate::layers::analytic::kernels;
use crate::layers::{Conv, Dense, Layer, LayerNetwork, Padding};
use crate::linalg::{symmetric_eigenvalues, Matrix};

/// The architectures, in plot order.
pub const ARCHITECTURES: [&str; 4] = ["mlp", "residual_mlp", "cnn_flatten", "cnn_gap"];

/// The experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Signal length L.
    pub length: usize,
    /// Training-set sizes of the learning curve.
    pub n_train: Vec<usize>,
    /// Test signals.
    pub n_test: usize,
    /// Independent draws of the data.
    pub seeds: usize,
    /// Hidden layers of each architecture.
    pub depth: usize,
    /// The convolutions' filter size.
    pub filter: usize,
    /// Label noise standard deviation.
    pub noise: f64,
    /// Ridge, relative to tr Θ / n.
    pub diag_reg: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            length: 16,
            n_train: vec![16, 32, 64, 128],
            n_test: 200,
            seeds: 3,
            depth: 2,
            filter: 3,
            noise: 0.0,
            diag_reg: 1e-6,
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        check_count("length", self.length, 2, 64, "between 2 and 64")?;
        check_count("n_test", self.n_test, 1, 1000, "between 1 and 1000")?;
        check_count("seeds", self.seeds, 1, 20, "between 1 and 20")?;
        check_count("depth", self.depth, 1, 10, "between 1 and 10")?;
        check_count(
            "filter",
            self.filter,
            1,
            self.length,
            "between 1 and the length",
        )?;
        if self.n_train.is_empty() || self.n_train.len() > 20 {
            return Err(NtkError::OutOfRange {
                field: "n_train",
                expected: "1 to 20 sizes",
                value: self.n_train.len() as f64,
            });
        }
        for &n in &self.n_train {
            check_count("n_train", n, 1, 512, "between 1 and 512")?;
        }
        for (field, v) in [("noise", self.noise), ("diag_reg", self.diag_reg)] {
            if !(v.is_finite() && (0.0..=1e3).contains(&v)) {
                return Err(NtkError::OutOfRange {
                    field,
                    expected: "between 0 and 1000",
                    value: v,
                });
            }
        }
        Ok(())
    }

    /// The layer list of one architecture (one of [`ARCHITECTURES`]).
    pub fn network(&self, name: &str) -> Option<LayerNetwork> {
        let dense = |out| {
            Layer::Dense(Dense {
                out,
                w_std: 1.4,
                b_std: Some(0.1),
            })
        };
        let conv = || {
            Layer::Conv(Conv {
                out: 64,
                filter: vec![self.filter],
                stride: None,
                padding: Padding::Circular,
                w_std: 1.4,
                b_std: Some(0.1),
            })
        };
        let relu = || Layer::Activation(Activation::Relu);
        let mut layers = vec![];
        match name {
            "mlp" => {
                layers.push(Layer::Flatten);
                for _ in 0..self.depth {
                    layers.extend([dense(512), relu()]);
                }
            }
            "residual_mlp" => {
                layers.extend([Layer::Flatten, dense(512)]);
                for _ in 0..self.depth {
                    layers.push(Layer::Residual(vec![relu(), dense(512)]));
                }
                layers.push(relu());
            }
            "cnn_flatten" | "cnn_gap" => {
                for _ in 0..self.depth {
                    layers.extend([conv(), relu()]);
                }
                layers.push(if name == "cnn_gap" {
                    Layer::GlobalAvgPool
                } else {
                    Layer::Flatten
                });
            }
            _ => return None,
        }
        layers.push(dense(1));
        Some(LayerNetwork {
            layers,
            parameterization: Parameterization::Ntk,
        })
    }
}

/// The experiment's result: one entry per architecture in every list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Architectures {
    /// The architectures' names ([`ARCHITECTURES`]).
    pub names: Vec<String>,
    /// Each one's eigenvalues of Θ(X, X), descending, divided by their sum.
    pub spectra: Vec<Vec<f64>>,
    /// Each one's ‖Θ(X, SX) − Θ(X, X)‖_F / ‖Θ(X, X)‖_F.
    pub shift_change: Vec<f64>,
    /// The training-set sizes.
    pub n: Vec<usize>,
    /// Test MSE of NTK regression, mean over seeds, per architecture per n.
    pub test_mse: Vec<Vec<f64>>,
    /// Its standard error over seeds (0 with one seed).
    pub test_mse_se: Vec<Vec<f64>>,
    /// The MSE of predicting 0: the target's variance (1) + noise².
    pub null_mse: f64,
}

/// `n` signals of length `length` (n × L × 1) and their targets.
pub fn signals(n: usize, length: usize, noise: f64, seed: u64) -> Result<(Array3<f64>, Vec<f64>)> {
    let raw = gaussian(n, length + 1, seed)?;
    let x = Array3::from_shape_fn((n, length, 1), |(i, p, _)| raw.get(i, p));
    let y = (0..n)
        .map(|i| {
            let s: f64 = (0..length)
                .map(|p| x[[i, p, 0]] * x[[i, (p + 1) % length, 0]])
                .sum();
            // The extra column is the label noise's draw.
            s / (length as f64).sqrt() + noise * raw.get(i, length)
        })
        .collect();
    Ok((x, y))
}

fn to_matrix(a: &Array2<f64>) -> Result<Matrix> {
    Matrix::from_row_major(a.nrows(), a.ncols(), a.iter().copied().collect())
}

/// Run the experiment.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Architectures> {
    p.validate()?;
    let n_max = *p.n_train.iter().max().expect("validated");
    let units = ARCHITECTURES.len() * (2 + p.seeds * p.n_train.len());
    let mut rep = Reporter::new(observer, units);
    let mut done = 0;
    let mut out = Architectures {
        names: ARCHITECTURES.iter().map(|s| s.to_string()).collect(),
        spectra: vec![],
        shift_change: vec![],
        n: p.n_train.clone(),
        test_mse: vec![],
        test_mse_se: vec![],
        null_mse: 1.0 + p.noise * p.noise,
    };
    let data: Vec<_> = (0..p.seeds as u64)
        .map(|s| {
            Ok((
                signals(n_max, p.length, p.noise, 2 * s)?,
                signals(p.n_test, p.length, p.noise, 2 * s + 1)?,
            ))
        })
        .collect::<Result<_>>()?;
    for name in ARCHITECTURES {
        let net = p.network(name).expect("a listed architecture");
        rep.step(done, format!("{name}: spectrum"))?;
        let ((x0, _), (xt0, _)) = &data[0];
        let gram = kernels(&net, x0.view().into_dyn(), None)?.ntk;
        let mut eig = symmetric_eigenvalues(&to_matrix(&gram)?)?;
        eig.reverse();
        let total: f64 = eig.iter().sum();
        out.spectra.push(eig.iter().map(|v| v / total).collect());
        done += 1;
        rep.step(done, format!("{name}: shifts"))?;
        let m = p.n_test.min(64);
        let xs = xt0.slice(ndarray::s![..m, .., ..]).to_owned();
        let mut shifted = xs.clone();
        for p_ in 0..p.length {
            shifted
                .index_axis_mut(Axis(1), (p_ + 1) % p.length)
                .assign(&xs.index_axis(Axis(1), p_));
        }
        let same = kernels(&net, xs.view().into_dyn(), None)?.ntk;
        let moved = kernels(&net, xs.view().into_dyn(), Some(shifted.view().into_dyn()))?.ntk;
        let norm = same.iter().map(|v| v * v).sum::<f64>().sqrt();
        let diff = (&moved - &same).iter().map(|v| v * v).sum::<f64>().sqrt();
        out.shift_change.push(diff / norm);
        done += 1;
        let mut means = vec![];
        let mut ses = vec![];
        for &n in &p.n_train {
            let mut errs = vec![];
            for ((x, y), (xt, yt)) in &data {
                rep.step(done, format!("{name}: n = {n}"))?;
                let xn = x.slice(ndarray::s![..n, .., ..]);
                let ktt = kernels(&net, xn.into_dyn(), None)?.ntk;
                let kst = kernels(&net, xt.view().into_dyn(), Some(xn.into_dyn()))?.ntk;
                let pred = crate::dynamics::predict(
                    &to_matrix(&ktt)?,
                    &to_matrix(&kst)?,
                    &y[..n],
                    &[None],
                    1.0,
                    p.diag_reg,
                    None,
                )?;
                let mse = pred.test_mean[0]
                    .iter()
                    .zip(yt)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    / yt.len() as f64;
                errs.push(mse);
                done += 1;
            }
            let k = errs.len() as f64;
            let mean = errs.iter().sum::<f64>() / k;
            let se = if errs.len() > 1 {
                (errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (k - 1.0) / k).sqrt()
            } else {
                0.0
            };
            means.push(mean);
            ses.push(se);
        }
        out.test_mse.push(means);
        out.test_mse_se.push(ses);
        rep.part(Part::Architectures(out.clone()));
    }
    rep.step(done, "done")?;
    Ok(out)
}
