//! Finite-width networks for a [`LayerNetwork`]: seeded initialisation, forward and
//! backward passes per input, and the empirical NTK Θ̂(x, x') = ∂f(x)/∂θ · ∂f(x')/∂θ,
//! in float64.
//!
//! ## Parameters (as in [`crate::network`], and NT's `stax`)
//! A dense or conv layer computes z = s_W·(Σ_δ h[p + δ]·W_δ) + s_b·b, with the sum
//! over the filter offsets δ (one offset for a dense layer), fan-in n = C_in·|F|:
//! - NTK parameterization: W, b ~ N(0, 1), s_W = σ_w/√n, s_b = σ_b;
//! - standard: W ~ N(0, σ_w²/n), b ~ N(0, σ_b²), s_W = s_b = 1.
//!
//! The trainable θ are the stored W and b. Initialisation draws, layer by layer in
//! list order (a residual branch where it stands), W (offset, input channel, output
//! channel, row-major) then b, from ChaCha8 seeded with `seed`.
//!
//! The other layers: φ elementwise; `avg_pool` sums its window's cells and divides
//! by the window's size (padding counts, NT's `normalize_edges=False`);
//! `global_avg_pool` averages the positions; `flatten` lays positions × channels out
//! row-major; `layer_norm` maps each position's channels to (h − mean)/√(var + ε)
//! with ε = 1e-12 (NT's default); `residual` adds its branch to its input;
//! `attention` is NT's `GlobalSelfAttention` in NT's parameterization (standard-normal
//! W_Q, W_K, W_V, W_O, b, the scales in the forward pass: see
//! [`super::Attention`]), whatever the network's parameterization. Its parameters
//! are drawn W_Q (untied only), W_K, W_V (each C_in × H·d, head h in columns
//! h·d…(h+1)·d), W_O (H·d_v × C_out), then b. `kan` expands each channel c into
//! its F features ψ(c) (base first, then the splines: see [`super::kan`]) and applies
//! a bias-free linear map with s_W = 1/√C_in and standard-normal W, whatever the
//! network's parameterization; W is (C_in·F) × C_out, row c·F + f for feature f of
//! channel c.
//!
//! ## The empirical NTK, two ways
//! - [`Method::Jacobian`]: the full per-input gradient J(x) ∈ ℝ^{#θ}, then J₁J₂ᵀ.
//! - [`Method::Structured`]: per dense/conv layer, with the layer's input h and its
//!   output gradient Δ = ∂f/∂z (P_out × C_out) for each input,
//!   Θ̂_layer = s_W²·Σ_δ ⟨H_δ(x) H_δ(x')ᵀ, Δ(x) Δ(x')ᵀ⟩ + s_b²·(Σ_o Δ(x)[o])·(Σ_o Δ(x')[o]),
//!   where H_δ's row o is h[o·s + δ] (zero in the padding). For vectors (P = 1) this is
//!   s_W²(h·h')(Δ·Δ') + s_b²(Δ·Δ'): O(width) per pair instead of O(width²).
//!   An attention layer is four such linear maps of the same form: keys, queries
//!   and values Z = X·W (scale 1, h = X the layer's input, Δ = ∂f/∂Z over all heads)
//!   and the output map (scale σ_Oσ_V/√(H·d_v·C_in), h = the concatenated heads).
//!   A KAN layer is one such map with h = its input's features ψ (per-layer Grams of
//!   spline-basis features).
//!
//! Both must agree to round-off for every layer kind (a test checks it); the
//! backward pass is checked against finite differences.

use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewD, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::analytic::{as_batch, map_rows as map, softmax_rows};
use super::kan::Features;
use super::{conv_stride, kind_name, pool_stride, window_taps, Layer, LayerNetwork, Shape, Taps};
use crate::activation::Activation;
use crate::budget;
use crate::error::{NtkError, Result};
use crate::kernel::Parameterization;

/// LayerNorm's ε (NT's `LayerNorm(eps=1e-12)`).
pub const LAYER_NORM_EPS: f64 = 1e-12;

/// How the empirical NTK is computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Per-layer contractions of activations and output gradients.
    #[default]
    Structured,
    /// The full Jacobian J, then J₁J₂ᵀ.
    Jacobian,
}

#[derive(Debug, Clone)]
enum Op {
    Affine {
        /// W_δ for each filter offset δ: C_in × C_out.
        w: Vec<Array2<f64>>,
        b: Option<Array1<f64>>,
        sw: f64,
        sb: f64,
        /// Conv: the window table; dense: `None` (position to position).
        taps: Option<Taps>,
    },
    Act(Activation),
    Pool {
        taps: Taps,
        p_in: usize,
    },
    GlobalPool,
    Flatten,
    LayerNorm,
    Residual(Vec<Op>),
    Attention(Box<AttentionOp>),
    /// A KAN layer's edge functions: each channel c → its F features ψ(c) (then an
    /// `Affine` with the KAN's weights).
    Expand(Box<Features>),
}

/// A finite attention layer's weights and scales.
#[derive(Debug, Clone)]
struct AttentionOp {
    /// W_Q (C_in × H·d_k); `None` when tied to W_K (linear scaling).
    wq: Option<Array2<f64>>,
    wk: Array2<f64>,
    wv: Array2<f64>,
    /// H·d_v × C_out.
    wo: Array2<f64>,
    b: Option<Array1<f64>>,
    sb: f64,
    heads: usize,
    dk: usize,
    dv: usize,
    /// σ_Qσ_K/(C_in·d_k) or σ_Qσ_K/(C_in·√d_k).
    logit: f64,
    /// σ_Oσ_V/√(H·d_v·C_in).
    so: f64,
}

/// What the backward pass needs from the forward pass, per layer.
#[derive(Debug)]
enum Trace {
    Affine { h: Array2<f64> },
    Act { z: Array2<f64> },
    Pool,
    GlobalPool { p: usize },
    Flatten { p: usize, c: usize },
    LayerNorm { xhat: Array2<f64>, inv: Array1<f64> },
    Residual(Vec<Trace>),
    Attention(Box<AttentionTrace>),
    Expand { z: Array2<f64> },
}

#[derive(Debug)]
struct AttentionTrace {
    x: Array2<f64>,
    q: Option<Array2<f64>>,
    k: Array2<f64>,
    v: Array2<f64>,
    /// The attention weights A_h, per head.
    a: Vec<Array2<f64>>,
    /// The concatenated heads [A_1V_1 … A_HV_H].
    heads: Array2<f64>,
}

/// A finite network for inputs of one shape.
#[derive(Debug, Clone)]
pub struct FiniteLayerNet {
    ops: Vec<Op>,
    input: Shape,
    params: usize,
}

/// One input's per-layer record for the structured NTK: each dense/conv layer's
/// input h and output gradient Δ.
type Record = Vec<(Array2<f64>, Array2<f64>)>;

/// Rows of `h` gathered through a window offset: row o is h[taps[o][k]], zero in the
/// padding.
fn gather(h: ArrayView2<f64>, taps: &Taps, k: usize) -> Array2<f64> {
    let mut out = Array2::zeros((taps.len(), h.ncols()));
    for (o, row) in taps.iter().enumerate() {
        if let Some(i) = row[k] {
            out.row_mut(o).assign(&h.row(i));
        }
    }
    out
}

impl FiniteLayerNet {
    /// Draw the network's weights for inputs of `input` shape.
    pub fn init(net: &LayerNetwork, input: &Shape, seed: u64) -> Result<Self> {
        let out = net.output_shape(input)?;
        if !out.spatial.is_empty() || out.channels != 1 {
            return Err(NtkError::Layer {
                path: "layers".into(),
                message: format!(
                    "a finite network here has one output (end with flatten or global_avg_pool and a dense layer of out 1); this one ends with shape {:?}×{}",
                    out.spatial, out.channels
                ),
            });
        }
        let params = count_params(&net.layers, input.clone());
        budget::ensure(
            "the network's weights",
            budget::floats(&[params]),
            "use fewer channels or layers",
        )?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut normal = move || rng.sample::<f64, _>(StandardNormal);
        let standard = net.parameterization == Parameterization::Standard;
        let ops = build(&net.layers, input.clone(), "layers", standard, &mut normal)?;
        Ok(FiniteLayerNet {
            ops,
            input: input.clone(),
            params,
        })
    }

    /// The number of trainable parameters.
    pub fn num_params(&self) -> usize {
        self.params
    }

    /// f(x) for one input given as P × C.
    fn forward(&self, x: ArrayView2<f64>) -> (f64, Vec<Trace>) {
        let (h, trace) = forward(&self.ops, x.to_owned());
        (h[[0, 0]], trace)
    }

    /// f(x) and ∂f/∂θ (flattened in initialisation order) for one input.
    fn gradient(&self, x: ArrayView2<f64>) -> (f64, Vec<f64>) {
        let (f, trace) = self.forward(x);
        let mut grad = Vec::with_capacity(self.params);
        let mut sink = Sink::Flat(&mut grad);
        backward(&self.ops, &trace, Array2::from_elem((1, 1), 1.0), &mut sink);
        (f, grad)
    }

    /// f(x) and the structured record for one input.
    fn record(&self, x: ArrayView2<f64>) -> (f64, Record) {
        let (f, trace) = self.forward(x);
        let mut rec = Vec::new();
        let mut sink = Sink::Pairs(&mut rec);
        backward(&self.ops, &trace, Array2::from_elem((1, 1), 1.0), &mut sink);
        (f, rec)
    }

    /// The outputs f(x) of a batch (n × spatial… × C).
    pub fn outputs(&self, x: ArrayViewD<f64>) -> Result<Array1<f64>> {
        let (shape, a) = as_batch("x", &x)?;
        self.check_shape("x", &shape)?;
        Ok(a.outer_iter().map(|xi| self.forward(xi).0).collect())
    }

    /// ∂f/∂θ of one input (spatial… × C, without the batch axis), flattened in
    /// initialisation order.
    pub fn parameter_gradient(&self, x: ArrayViewD<f64>) -> Result<Vec<f64>> {
        let batch = x.insert_axis(Axis(0));
        let (shape, a) = as_batch("x", &batch)?;
        self.check_shape("x", &shape)?;
        Ok(self.gradient(a.index_axis(Axis(0), 0)).1)
    }

    /// Add `step · direction` to the parameters (in initialisation order), e.g. for a
    /// finite-difference check or a gradient step.
    pub fn perturb(&mut self, direction: &[f64], step: f64) -> Result<()> {
        if direction.len() != self.params {
            return Err(NtkError::DimensionMismatch {
                field: "direction",
                expected: self.params,
                got: direction.len(),
            });
        }
        let mut at = 0;
        perturb(&mut self.ops, direction, step, &mut at);
        Ok(())
    }

    fn check_shape(&self, field: &'static str, shape: &Shape) -> Result<()> {
        if *shape == self.input {
            Ok(())
        } else {
            Err(NtkError::Layer {
                path: field.into(),
                message: format!(
                    "each input has shape {:?}×{}, but the network was built for {:?}×{}",
                    shape.spatial, shape.channels, self.input.spatial, self.input.channels
                ),
            })
        }
    }

    /// The empirical NTK Θ̂(X₁, X₂) (or X₁ with itself) and the outputs.
    pub fn empirical_ntk(
        &self,
        x1: ArrayViewD<f64>,
        x2: Option<ArrayViewD<f64>>,
        method: Method,
    ) -> Result<EmpiricalLayers> {
        let (s1, a) = as_batch("x1", &x1)?;
        self.check_shape("x1", &s1)?;
        let b = match &x2 {
            Some(x2) => {
                let (s2, b) = as_batch("x2", x2)?;
                self.check_shape("x2", &s2)?;
                Some(b)
            }
            None => None,
        };
        let n1 = a.len_of(Axis(0));
        let n2 = b.as_ref().map_or(n1, |b| b.len_of(Axis(0)));
        let per_input = match method {
            Method::Jacobian => budget::floats(&[self.params]),
            // Each input keeps every linear map's input h and output gradient Δ: the
            // first input's record gives the size (every input has the same shapes).
            Method::Structured => {
                let (_, probe) = self.record(a.index_axis(Axis(0), 0));
                budget::floats(&[probe.iter().map(|(h, d)| h.len() + d.len()).sum::<usize>()])
            }
        };
        budget::ensure(
            "the empirical NTK",
            per_input
                .saturating_mul((n1 + n2) as u64)
                .saturating_add(budget::floats(&[n1, n2])),
            "use fewer inputs or a narrower network",
        )?;
        let same = b.is_none();
        let bb = b.as_ref().unwrap_or(&a);
        let mut ntk = Array2::zeros((n1, n2));
        let (f1, f2);
        match method {
            Method::Jacobian => {
                let g1: Vec<(f64, Vec<f64>)> = map(n1, |i| self.gradient(a.index_axis(Axis(0), i)));
                let g2 = if same {
                    None
                } else {
                    Some(map(n2, |j| self.gradient(bb.index_axis(Axis(0), j))))
                };
                let g2r = g2.as_ref().unwrap_or(&g1);
                for (i, (_, gi)) in g1.iter().enumerate() {
                    for (j, (_, gj)) in g2r.iter().enumerate() {
                        ntk[[i, j]] = gi.iter().zip(gj).map(|(u, v)| u * v).sum();
                    }
                }
                f1 = g1.iter().map(|g| g.0).collect();
                f2 = g2r.iter().map(|g| g.0).collect();
            }
            Method::Structured => {
                let mut maps = Vec::new();
                linear_maps(&self.ops, &mut maps);
                let r1: Vec<(f64, Record)> = map(n1, |i| self.record(a.index_axis(Axis(0), i)));
                let r2 = if same {
                    None
                } else {
                    Some(map(n2, |j| self.record(bb.index_axis(Axis(0), j))))
                };
                let r2r = r2.as_ref().unwrap_or(&r1);
                let rows = map(n1, |i| {
                    (0..n2)
                        .map(|j| structured_pair(&maps, &r1[i].1, &r2r[j].1))
                        .collect::<Vec<_>>()
                });
                for (i, row) in rows.into_iter().enumerate() {
                    for (j, v) in row.into_iter().enumerate() {
                        ntk[[i, j]] = v;
                    }
                }
                f1 = r1.iter().map(|r| r.0).collect();
                f2 = r2r.iter().map(|r| r.0).collect();
            }
        }
        if let Some(bad) = ntk.iter().find(|v| !v.is_finite()) {
            return Err(NtkError::Overflow {
                layer: 0,
                value: *bad,
            });
        }
        Ok(EmpiricalLayers { ntk, f1, f2 })
    }
}

/// Σ over the linear maps (dense, conv, attention's four) of
/// s_W²·Σ_δ ⟨H_δ H'_δᵀ, Δ Δ'ᵀ⟩ + s_b²·ΣΔ·ΣΔ'.
fn structured_pair(maps: &[LinearMap], a: &Record, b: &Record) -> f64 {
    let mut total = 0.0;
    for (map, ((ha, da), (hb, db))) in maps.iter().zip(a.iter().zip(b)) {
        let dd = da.dot(&db.t());
        match map.taps {
            None => {
                let hh = ha.dot(&hb.t());
                total += map.sw * map.sw * (&hh * &dd).sum();
            }
            Some(taps) => {
                for k in 0..map.offsets {
                    let hh = gather(ha.view(), taps, k).dot(&gather(hb.view(), taps, k).t());
                    total += map.sw * map.sw * (&hh * &dd).sum();
                }
            }
        }
        if let Some(sb) = map.bias {
            total += sb * sb * da.sum_axis(Axis(0)).dot(&db.sum_axis(Axis(0)));
        }
    }
    total
}

/// What [`FiniteLayerNet::train`] records every `record_every` steps, from step 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerTrainRecord {
    pub steps: Vec<usize>,
    /// (1/2N)‖f(X) − y‖².
    pub train_loss: Vec<f64>,
    /// The same on the test set, when test targets are given.
    pub test_loss: Vec<f64>,
    pub train_predictions: Vec<Vec<f64>>,
    pub test_predictions: Vec<Vec<f64>>,
    /// ‖Θ̂_t − Θ̂₀‖_F / ‖Θ̂₀‖_F on the training set.
    pub ntk_drift: Vec<f64>,
    /// λ_max(Θ̂₀) and the critical learning rate 2N/λ_max of gradient descent on
    /// the linearised model.
    pub lambda_max: f64,
    pub critical_learning_rate: f64,
    /// The recorded step at which the loss had diverged, when the rate was above the
    /// critical one and that was allowed ([`FiniteLayerNet::train_through`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged_at: Option<usize>,
}

/// How [`FiniteLayerNet::train_through`] trains.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions<'a> {
    pub learning_rate: f64,
    pub steps: usize,
    /// The steps recorded (each ≤ `steps`).
    pub record_at: &'a [usize],
    /// Refuse a rate at or above the critical 2N/λ_max(Θ̂₀) instead of running it.
    pub refuse_above_critical: bool,
}

/// The most steps one training run may take.
pub const MAX_TRAIN_STEPS: usize = 100_000;

impl FiniteLayerNet {
    /// Full-batch gradient descent on L(θ) = (1/2N)‖f(X) − y‖², θ ← θ − η∇L with
    /// ∇L = (1/N) Σ_i (f(x_i) − y_i) ∂f(x_i)/∂θ, recorded every `record_every` steps.
    /// A learning rate above the critical 2N/λ_max(Θ̂₀) is refused (the linearised
    /// model diverges there).
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        &mut self,
        x: ArrayViewD<f64>,
        y: &[f64],
        test: Option<(ArrayViewD<f64>, Option<&[f64]>)>,
        learning_rate: f64,
        steps: usize,
        record_every: usize,
    ) -> Result<LayerTrainRecord> {
        if record_every == 0 {
            return Err(NtkError::OutOfRange {
                field: "record_every",
                expected: "at least 1",
                value: 0.0,
            });
        }
        let record_at: Vec<usize> = (0..=steps)
            .filter(|s| s % record_every == 0 || *s == steps)
            .collect();
        let options = TrainOptions {
            learning_rate,
            steps,
            record_at: &record_at,
            refuse_above_critical: true,
        };
        self.train_through(x, y, test, &options, |_| true)
    }

    /// [`FiniteLayerNet::train`] recording at the steps `record_at`, calling
    /// `on_step(step)` after each step (`false` cancels: [`NtkError::Cancelled`]).
    /// Without `refuse_above_critical`, a rate above the critical one runs until the
    /// training loss grows past [`crate::train::DIVERGED`] × its initial value (or
    /// overflows): the records end at the recorded step before, and `diverged_at`
    /// names the step, as [`crate::train::train_through`] does for MLPs.
    pub fn train_through(
        &mut self,
        x: ArrayViewD<f64>,
        y: &[f64],
        test: Option<(ArrayViewD<f64>, Option<&[f64]>)>,
        options: &TrainOptions,
        mut on_step: impl FnMut(usize) -> bool,
    ) -> Result<LayerTrainRecord> {
        let TrainOptions {
            learning_rate,
            steps,
            record_at,
            refuse_above_critical,
        } = *options;
        let (shape, a) = as_batch("x_train", &x)?;
        self.check_shape("x_train", &shape)?;
        let n = a.len_of(Axis(0));
        if y.len() != n {
            return Err(NtkError::DimensionMismatch {
                field: "y_train",
                expected: n,
                got: y.len(),
            });
        }
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(NtkError::OutOfRange {
                field: "learning_rate",
                expected: "a finite number > 0",
                value: learning_rate,
            });
        }
        if steps > MAX_TRAIN_STEPS {
            return Err(NtkError::OutOfRange {
                field: "steps",
                expected: "at most 100000",
                value: steps as f64,
            });
        }
        if let Some(&bad) = record_at.iter().find(|&&s| s > steps) {
            return Err(NtkError::OutOfRange {
                field: "record_at",
                expected: "steps between 0 and the number of steps",
                value: bad as f64,
            });
        }
        let test = match test {
            Some((xt, yt)) => {
                let (st, b) = as_batch("x_test", &xt)?;
                self.check_shape("x_test", &st)?;
                if let Some(yt) = yt {
                    if yt.len() != b.len_of(Axis(0)) {
                        return Err(NtkError::DimensionMismatch {
                            field: "y_test",
                            expected: b.len_of(Axis(0)),
                            got: yt.len(),
                        });
                    }
                }
                Some((b, yt))
            }
            None => None,
        };
        budget::ensure(
            "training",
            budget::floats(&[n + 2, self.params]).saturating_add(budget::floats(&[n, n])),
            "use fewer training points or a narrower network",
        )?;
        let ntk = |net: &Self| -> Result<Array2<f64>> {
            Ok(net.empirical_ntk(x.view(), None, Method::Structured)?.ntk)
        };
        let theta0 = ntk(self)?;
        let m = crate::linalg::Matrix::from_row_major(n, n, theta0.iter().copied().collect())?;
        let lambda_max = crate::linalg::symmetric_eigenvalues(&m)?
            .last()
            .copied()
            .unwrap_or(0.0);
        let critical = 2.0 * n as f64 / lambda_max;
        if refuse_above_critical && learning_rate >= critical {
            return Err(NtkError::Diverges {
                learning_rate,
                critical,
            });
        }
        let norm0 = theta0
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt()
            .max(f64::MIN_POSITIVE);
        let mut rec = LayerTrainRecord {
            steps: vec![],
            train_loss: vec![],
            test_loss: vec![],
            train_predictions: vec![],
            test_predictions: vec![],
            ntk_drift: vec![],
            lambda_max,
            critical_learning_rate: critical,
            diverged_at: None,
        };
        let mut limit = f64::INFINITY;
        let loss = |f: &[f64], t: &[f64]| {
            f.iter().zip(t).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / (2.0 * t.len() as f64)
        };
        for step in 0..=steps {
            let grads: Vec<(f64, Vec<f64>)> = map(n, |i| self.gradient(a.index_axis(Axis(0), i)));
            let f: Vec<f64> = grads.iter().map(|g| g.0).collect();
            if record_at.contains(&step) {
                let l = loss(&f, y);
                if step == 0 {
                    limit = crate::train::DIVERGED * l.max(f64::MIN_POSITIVE);
                } else if !refuse_above_critical && (!l.is_finite() || l > limit) {
                    rec.diverged_at = Some(step);
                    break;
                }
                rec.steps.push(step);
                rec.train_loss.push(l);
                rec.train_predictions.push(f.clone());
                if let Some((b, yt)) = &test {
                    let ft: Vec<f64> = b.outer_iter().map(|xi| self.forward(xi).0).collect();
                    if let Some(yt) = yt {
                        rec.test_loss.push(loss(&ft, yt));
                    }
                    rec.test_predictions.push(ft);
                }
                let drift = if step == 0 {
                    0.0
                } else {
                    (&ntk(self)? - &theta0)
                        .iter()
                        .map(|v| v * v)
                        .sum::<f64>()
                        .sqrt()
                        / norm0
                };
                rec.ntk_drift.push(drift);
            }
            if step == steps {
                break;
            }
            let mut direction = vec![0.0; self.params];
            for ((fi, g), yi) in grads.iter().zip(y) {
                let r = (fi - yi) / n as f64;
                for (d, gv) in direction.iter_mut().zip(g) {
                    *d += r * gv;
                }
            }
            self.perturb(&direction, -learning_rate)?;
            if !on_step(step + 1) {
                return Err(NtkError::Cancelled);
            }
        }
        if let Some(bad) = rec.train_loss.iter().find(|v| !v.is_finite()) {
            return Err(NtkError::Overflow {
                layer: 0,
                value: *bad,
            });
        }
        Ok(rec)
    }
}

/// The empirical NTK of a finite layer network, and its outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiricalLayers {
    /// Θ̂(X₁, X₂).
    pub ntk: Array2<f64>,
    /// f(X₁).
    pub f1: Array1<f64>,
    /// f(X₂) (f(X₁) when X₂ is X₁).
    pub f2: Array1<f64>,
}

/// One linear map Z = s_W·Σ_δ H_δ W_δ (+ s_b·b) of the network, as the structured
/// NTK sees it.
struct LinearMap<'a> {
    sw: f64,
    /// s_b, when the map has a bias.
    bias: Option<f64>,
    taps: Option<&'a Taps>,
    offsets: usize,
}

fn linear_maps<'a>(ops: &'a [Op], out: &mut Vec<LinearMap<'a>>) {
    // In the order the backward pass records them: last layer first.
    for op in ops.iter().rev() {
        match op {
            Op::Affine { w, b, sw, sb, taps } => out.push(LinearMap {
                sw: *sw,
                bias: b.as_ref().map(|_| *sb),
                taps: taps.as_ref(),
                offsets: w.len(),
            }),
            Op::Attention(at) => {
                out.push(LinearMap {
                    sw: at.so,
                    bias: at.b.as_ref().map(|_| at.sb),
                    taps: None,
                    offsets: 1,
                });
                let plain = || LinearMap {
                    sw: 1.0,
                    bias: None,
                    taps: None,
                    offsets: 1,
                };
                // Values, keys, then (untied) queries: the order `backward` records.
                out.push(plain());
                out.push(plain());
                if at.wq.is_some() {
                    out.push(plain());
                }
            }
            Op::Residual(b) => linear_maps(b, out),
            _ => {}
        }
    }
}

fn count_params(layers: &[Layer], mut shape: Shape) -> usize {
    let mut n = 0usize;
    for layer in layers {
        match layer {
            Layer::Dense(d) => {
                n = n.saturating_add(shape.channels.saturating_mul(d.out))
                    + d.b_std.map_or(0, |_| d.out);
                shape.channels = d.out;
            }
            Layer::Conv(c) => {
                let k: usize = c.filter.iter().product();
                n = n.saturating_add(k.saturating_mul(shape.channels).saturating_mul(c.out))
                    + c.b_std.map_or(0, |_| c.out);
                let stride = conv_stride("", c).unwrap_or_default();
                shape.spatial = window_taps("", &shape.spatial, &c.filter, &stride, c.padding)
                    .map(|t| t.0)
                    .unwrap_or_default();
                shape.channels = c.out;
            }
            Layer::AvgPool(p) => {
                let stride = pool_stride("", p).unwrap_or_default();
                shape.spatial = window_taps("", &shape.spatial, &p.window, &stride, p.padding)
                    .map(|t| t.0)
                    .unwrap_or_default();
            }
            Layer::GlobalAvgPool => shape.spatial.clear(),
            Layer::Flatten => {
                shape.channels *= shape.positions();
                shape.spatial.clear();
            }
            Layer::Residual(b) => n = n.saturating_add(count_params(b, shape.clone())),
            Layer::Attention(a) => {
                n = n.saturating_add(a.params(shape.channels));
                shape.channels = a.out;
            }
            Layer::Kan(k) => {
                n = n.saturating_add(k.params(shape.channels));
                shape.channels = k.out;
            }
            Layer::Activation(_) | Layer::LayerNorm => {}
        }
    }
    n
}

fn build(
    layers: &[Layer],
    mut shape: Shape,
    prefix: &str,
    standard: bool,
    normal: &mut impl FnMut() -> f64,
) -> Result<Vec<Op>> {
    let mut ops = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let path = format!("{prefix}[{i}].{}", kind_name(layer));
        let mut affine = |k: usize,
                          taps: Option<Taps>,
                          c_out: usize,
                          w_std: f64,
                          b_std: Option<f64>,
                          c_in: usize| {
            let fan_in = (c_in * k) as f64;
            let scale = w_std / fan_in.sqrt();
            let (sw, wscale) = if standard { (1.0, scale) } else { (scale, 1.0) };
            let w = (0..k)
                .map(|_| Array2::from_shape_simple_fn((c_in, c_out), || wscale * normal()))
                .collect();
            let (b, sb) = match b_std {
                Some(bs) => {
                    let (sb, bscale) = if standard { (1.0, bs) } else { (bs, 1.0) };
                    (
                        Some(Array1::from_shape_simple_fn(c_out, || bscale * normal())),
                        sb,
                    )
                }
                None => (None, 0.0),
            };
            Op::Affine { w, b, sw, sb, taps }
        };
        let op = match layer {
            Layer::Dense(d) => {
                let op = affine(1, None, d.out, d.w_std, d.b_std, shape.channels);
                shape.channels = d.out;
                op
            }
            Layer::Conv(c) => {
                let stride = conv_stride(&path, c)?;
                let (out, taps) =
                    window_taps(&path, &shape.spatial, &c.filter, &stride, c.padding)?;
                let k = c.filter.iter().product();
                let op = affine(k, Some(taps), c.out, c.w_std, c.b_std, shape.channels);
                shape = Shape {
                    spatial: out,
                    channels: c.out,
                };
                op
            }
            Layer::Activation(a) => Op::Act(*a),
            Layer::AvgPool(p) => {
                let stride = pool_stride(&path, p)?;
                let p_in = shape.positions();
                let (out, taps) =
                    window_taps(&path, &shape.spatial, &p.window, &stride, p.padding)?;
                shape.spatial = out;
                Op::Pool { taps, p_in }
            }
            Layer::GlobalAvgPool => {
                shape.spatial.clear();
                Op::GlobalPool
            }
            Layer::Flatten => {
                shape.channels *= shape.positions();
                shape.spatial.clear();
                Op::Flatten
            }
            Layer::LayerNorm => Op::LayerNorm,
            Layer::Attention(a) => {
                let c_in = shape.channels;
                let (h, dk, dv) = (a.heads, a.key_channels(), a.value_channels());
                let mut draw = |rows: usize, cols: usize| {
                    Array2::from_shape_simple_fn((rows, cols), &mut *normal)
                };
                let wq = (!a.linear_scaling).then(|| draw(c_in, h * dk));
                let wk = draw(c_in, h * dk);
                let wv = draw(c_in, h * dv);
                let wo = draw(h * dv, a.out);
                let b = a
                    .b_std
                    .map(|_| Array1::from_shape_simple_fn(a.out, &mut *normal));
                let logit = if a.linear_scaling {
                    a.qk_std() / (c_in as f64 * dk as f64)
                } else {
                    a.qk_std() / (c_in as f64 * (dk as f64).sqrt())
                };
                shape.channels = a.out;
                Op::Attention(Box::new(AttentionOp {
                    wq,
                    wk,
                    wv,
                    wo,
                    b,
                    sb: a.b_std.unwrap_or(0.0),
                    heads: h,
                    dk,
                    dv,
                    logit,
                    so: a.ov_std() / ((h * dv * c_in) as f64).sqrt(),
                }))
            }
            Layer::Kan(k) => {
                // ψ then a bias-free linear map with s_W = 1/√C_in (NTK
                // parameterization whatever the network's: see [`super::kan`]).
                let features = Features::new(k);
                let c_in = shape.channels;
                let f = features.count();
                ops.push(Op::Expand(Box::new(features)));
                let w = vec![Array2::from_shape_simple_fn(
                    (c_in * f, k.out),
                    &mut *normal,
                )];
                shape.channels = k.out;
                Op::Affine {
                    w,
                    b: None,
                    sw: 1.0 / (c_in as f64).sqrt(),
                    sb: 0.0,
                    taps: None,
                }
            }
            Layer::Residual(b) => Op::Residual(build(
                b,
                shape.clone(),
                &format!("{path}.branch"),
                standard,
                normal,
            )?),
        };
        ops.push(op);
    }
    Ok(ops)
}

fn forward(ops: &[Op], mut h: Array2<f64>) -> (Array2<f64>, Vec<Trace>) {
    let mut traces = Vec::with_capacity(ops.len());
    for op in ops {
        let (next, trace) = match op {
            Op::Affine { w, b, sw, sb, taps } => {
                let mut z = match taps {
                    None => h.dot(&w[0]),
                    Some(taps) => {
                        let mut z = Array2::zeros((taps.len(), w[0].ncols()));
                        for (k, wk) in w.iter().enumerate() {
                            z += &gather(h.view(), taps, k).dot(wk);
                        }
                        z
                    }
                };
                z *= *sw;
                if let Some(b) = b {
                    z += &(b * *sb);
                }
                (z, Trace::Affine { h })
            }
            Op::Act(a) => (h.mapv(|v| a.apply(v)), Trace::Act { z: h }),
            Op::Pool { taps, .. } => {
                let size = taps.first().map_or(1, Vec::len) as f64;
                let mut out = Array2::zeros((taps.len(), h.ncols()));
                for (o, row) in taps.iter().enumerate() {
                    for i in row.iter().flatten() {
                        let src = h.row(*i).to_owned();
                        let mut dst = out.row_mut(o);
                        dst += &src;
                    }
                }
                out /= size;
                (out, Trace::Pool)
            }
            Op::GlobalPool => {
                let p = h.nrows();
                (
                    h.mean_axis(Axis(0))
                        .expect("positions")
                        .insert_axis(Axis(0)),
                    Trace::GlobalPool { p },
                )
            }
            Op::Flatten => {
                let (p, c) = h.dim();
                let flat =
                    Array2::from_shape_vec((1, p * c), h.iter().copied().collect()).expect("sizes");
                (flat, Trace::Flatten { p, c })
            }
            Op::LayerNorm => {
                let c = h.ncols() as f64;
                let mean = h.mean_axis(Axis(1)).expect("channels");
                let centred = &h - &mean.view().insert_axis(Axis(1));
                let var = centred.mapv(|v| v * v).sum_axis(Axis(1)) / c;
                let inv = var.mapv(|v| 1.0 / (v + LAYER_NORM_EPS).sqrt());
                let xhat = &centred * &inv.view().insert_axis(Axis(1));
                (xhat.clone(), Trace::LayerNorm { xhat, inv })
            }
            Op::Residual(branch) => {
                let (out, t) = forward(branch, h.clone());
                (out + &h, Trace::Residual(t))
            }
            Op::Attention(at) => attention_forward(at, h),
            Op::Expand(features) => {
                let (p, c) = h.dim();
                let f = features.count();
                let mut out = Array2::zeros((p, c * f));
                let mut d = vec![0.0; f];
                for ((row, col), v) in h.indexed_iter() {
                    let start = col * f;
                    let mut slot = out.slice_mut(s![row, start..start + f]);
                    let dst = slot.as_slice_mut().expect("a row of a standard array");
                    features.expand(*v, dst, &mut d);
                }
                (out, Trace::Expand { z: h })
            }
        };
        traces.push(trace);
        h = next;
    }
    (h, traces)
}

/// Where the backward pass puts each dense/conv layer's gradient.
enum Sink<'a> {
    /// The flat gradient, in initialisation order.
    Flat(&'a mut Vec<f64>),
    /// (h, Δ) per layer, last layer first.
    Pairs(&'a mut Record),
}

/// Back-propagate g = ∂f/∂(output of `ops`), returning ∂f/∂(input of `ops`).
fn backward(ops: &[Op], traces: &[Trace], mut g: Array2<f64>, sink: &mut Sink) -> Array2<f64> {
    // The flat gradient is written in initialisation order (first layer first), so the
    // layers' pieces are collected last-first and reversed at the end.
    let mut pieces: Vec<Vec<f64>> = Vec::new();
    for (op, trace) in ops.iter().zip(traces).rev() {
        g = match (op, trace) {
            (Op::Affine { w, b, sw, sb, taps }, Trace::Affine { h }) => {
                match sink {
                    Sink::Flat(_) => {
                        let mut piece = Vec::new();
                        for k in 0..w.len() {
                            let hk = match taps {
                                None => h.clone(),
                                Some(t) => gather(h.view(), t, k),
                            };
                            let gw = hk.t().dot(&g) * *sw;
                            piece.extend(gw.iter());
                        }
                        if b.is_some() {
                            piece.extend((g.sum_axis(Axis(0)) * *sb).iter());
                        }
                        pieces.push(piece);
                    }
                    Sink::Pairs(rec) => rec.push((h.clone(), g.clone())),
                }
                match taps {
                    None => g.dot(&w[0].t()) * *sw,
                    Some(taps) => {
                        let mut gi = Array2::zeros(h.raw_dim());
                        for (k, wk) in w.iter().enumerate() {
                            let back = g.dot(&wk.t()) * *sw;
                            for (o, row) in taps.iter().enumerate() {
                                if let Some(i) = row[k] {
                                    let src = back.row(o).to_owned();
                                    let mut dst = gi.row_mut(i);
                                    dst += &src;
                                }
                            }
                        }
                        gi
                    }
                }
            }
            (Op::Act(a), Trace::Act { z }) => &g * &z.mapv(|v| a.derivative(v)),
            (Op::Pool { taps, p_in }, Trace::Pool) => {
                let size = taps.first().map_or(1, Vec::len) as f64;
                let mut gi = Array2::zeros((*p_in, g.ncols()));
                for (o, row) in taps.iter().enumerate() {
                    for i in row.iter().flatten() {
                        let src = g.row(o).to_owned() / size;
                        let mut dst = gi.row_mut(*i);
                        dst += &src;
                    }
                }
                gi
            }
            (Op::GlobalPool, Trace::GlobalPool { p }) => {
                let row = g.row(0).to_owned() / *p as f64;
                Array2::from_shape_fn((*p, g.ncols()), |(_, c)| row[c])
            }
            (Op::Flatten, Trace::Flatten { p, c }) => {
                Array2::from_shape_vec((*p, *c), g.iter().copied().collect()).expect("sizes")
            }
            (Op::LayerNorm, Trace::LayerNorm { xhat, inv }) => {
                // y = x̂, x̂ = (h − μ)·inv: ∂/∂h = inv·(g − mean(g) − x̂·mean(g·x̂)).
                let c = g.ncols() as f64;
                let mg = g.sum_axis(Axis(1)) / c;
                let mgx = (&g * xhat).sum_axis(Axis(1)) / c;
                let mut gi = g.clone();
                for (p, mut row) in gi.outer_iter_mut().enumerate() {
                    let xr = xhat.row(p);
                    for (v, x) in row.iter_mut().zip(xr) {
                        *v = inv[p] * (*v - mg[p] - x * mgx[p]);
                    }
                }
                gi
            }
            (Op::Residual(branch), Trace::Residual(t)) => {
                let gb = match sink {
                    Sink::Flat(_) => {
                        let mut inner = Vec::new();
                        let gb = backward(branch, t, g.clone(), &mut Sink::Flat(&mut inner));
                        pieces.push(inner);
                        gb
                    }
                    Sink::Pairs(_) => backward(branch, t, g.clone(), sink),
                };
                gb + &g
            }
            (Op::Attention(at), Trace::Attention(tr)) => {
                attention_backward(at, tr, g, sink, &mut pieces)
            }
            (Op::Expand(features), Trace::Expand { z }) => {
                // ∂f/∂z[p, c] = Σ_f ∂f/∂ψ_f(z[p, c])·ψ_f'(z[p, c]).
                let f = features.count();
                let (mut v, mut d) = (vec![0.0; f], vec![0.0; f]);
                Array2::from_shape_fn(z.raw_dim(), |(p, c)| {
                    features.expand(z[[p, c]], &mut v, &mut d);
                    let gp = g.slice(s![p, c * f..(c + 1) * f]);
                    gp.iter().zip(&d).map(|(a, b)| a * b).sum()
                })
            }
            _ => unreachable!("a trace per layer"),
        };
    }
    if let Sink::Flat(flat) = sink {
        for piece in pieces.into_iter().rev() {
            flat.extend(piece);
        }
    }
    g
}

fn perturb(ops: &mut [Op], d: &[f64], step: f64, at: &mut usize) {
    for op in ops {
        match op {
            Op::Affine { w, b, .. } => {
                for wk in w.iter_mut() {
                    for v in wk.iter_mut() {
                        *v += step * d[*at];
                        *at += 1;
                    }
                }
                if let Some(b) = b {
                    for v in b.iter_mut() {
                        *v += step * d[*at];
                        *at += 1;
                    }
                }
            }
            Op::Residual(branch) => perturb(branch, d, step, at),
            Op::Attention(a) => {
                let a = &mut **a;
                let mats =
                    a.wq.iter_mut()
                        .chain([&mut a.wk, &mut a.wv, &mut a.wo])
                        .flat_map(|m| m.iter_mut());
                for v in mats.chain(a.b.iter_mut().flat_map(|b| b.iter_mut())) {
                    *v += step * d[*at];
                    *at += 1;
                }
            }
            _ => {}
        }
    }
}

/// Columns `h·d … (h + 1)·d` of `m`: head h's block.
fn head(m: &Array2<f64>, h: usize, d: usize) -> ArrayView2<'_, f64> {
    m.slice(s![.., h * d..(h + 1) * d])
}

fn attention_forward(at: &AttentionOp, x: Array2<f64>) -> (Array2<f64>, Trace) {
    let k = x.dot(&at.wk);
    let q = at.wq.as_ref().map(|w| x.dot(w));
    let v = x.dot(&at.wv);
    let p = x.nrows();
    let mut heads = Array2::zeros((p, at.heads * at.dv));
    let mut weights = Vec::with_capacity(at.heads);
    for h in 0..at.heads {
        let kh = head(&k, h, at.dk);
        let qh = q.as_ref().map_or(kh, |q| head(q, h, at.dk));
        let a = softmax_rows(&(qh.dot(&kh.t()) * at.logit));
        heads
            .slice_mut(s![.., h * at.dv..(h + 1) * at.dv])
            .assign(&a.dot(&head(&v, h, at.dv)));
        weights.push(a);
    }
    let mut out = heads.dot(&at.wo) * at.so;
    if let Some(b) = &at.b {
        out += &(b * at.sb);
    }
    let trace = AttentionTrace {
        x,
        q,
        k,
        v,
        a: weights,
        heads,
    };
    (out, Trace::Attention(Box::new(trace)))
}

/// Back through attention: ∂W_O = s_O·Hᵀg; per head ∂V_h = A_hᵀ∂H_h,
/// ∂S_h = A_h ⊙ (∂A_h − rowsum(∂A_h ⊙ A_h)) with ∂A_h = ∂H_h V_hᵀ; tied:
/// ∂K_h = c·(∂S_h + ∂S_hᵀ)K_h; untied: ∂Q_h = c·∂S_h K_h, ∂K_h = c·∂S_hᵀQ_h; then
/// ∂W = Xᵀ∂Z for Z = K, Q, V, and ∂X = Σ ∂Z Wᵀ.
fn attention_backward(
    at: &AttentionOp,
    tr: &AttentionTrace,
    g: Array2<f64>,
    sink: &mut Sink,
    pieces: &mut Vec<Vec<f64>>,
) -> Array2<f64> {
    let p = tr.x.nrows();
    let dheads = g.dot(&at.wo.t()) * at.so;
    let mut dk = Array2::zeros((p, at.heads * at.dk));
    let mut dq = tr.q.as_ref().map(|q| Array2::zeros(q.raw_dim()));
    let mut dv = Array2::zeros((p, at.heads * at.dv));
    for h in 0..at.heads {
        let a = &tr.a[h];
        let dh = head(&dheads, h, at.dv);
        let vh = head(&tr.v, h, at.dv);
        dv.slice_mut(s![.., h * at.dv..(h + 1) * at.dv])
            .assign(&a.t().dot(&dh));
        let da = dh.dot(&vh.t());
        let row = (&da * a).sum_axis(Axis(1));
        let ds = a * &(&da - &row.insert_axis(Axis(1))) * at.logit;
        let kh = head(&tr.k, h, at.dk);
        let cols = s![.., h * at.dk..(h + 1) * at.dk];
        match (&tr.q, &mut dq) {
            (Some(q), Some(dq)) => {
                dq.slice_mut(cols).assign(&ds.dot(&kh));
                dk.slice_mut(cols).assign(&ds.t().dot(&head(q, h, at.dk)));
            }
            _ => dk.slice_mut(cols).assign(&(&ds + &ds.t()).dot(&kh)),
        }
    }
    match sink {
        Sink::Flat(_) => {
            let mut piece = Vec::with_capacity(at.wk.len() * 4);
            if let Some(dq) = &dq {
                piece.extend(tr.x.t().dot(dq).iter());
            }
            piece.extend(tr.x.t().dot(&dk).iter());
            piece.extend(tr.x.t().dot(&dv).iter());
            piece.extend((tr.heads.t().dot(&g) * at.so).iter());
            if at.b.is_some() {
                piece.extend((g.sum_axis(Axis(0)) * at.sb).iter());
            }
            pieces.push(piece);
        }
        Sink::Pairs(rec) => {
            // The order `linear_maps` lists them.
            rec.push((tr.heads.clone(), g.clone()));
            rec.push((tr.x.clone(), dv.clone()));
            rec.push((tr.x.clone(), dk.clone()));
            if let Some(dq) = &dq {
                rec.push((tr.x.clone(), dq.clone()));
            }
        }
    }
    let mut dx = dk.dot(&at.wk.t()) + dv.dot(&at.wv.t());
    if let (Some(dq), Some(wq)) = (&dq, &at.wq) {
        dx += &dq.dot(&wq.t());
    }
    dx
}
