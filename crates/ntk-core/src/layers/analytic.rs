//! The infinite-width NNGP kernel K and NTK Θ of a [`LayerNetwork`], with
//! neural-tangents 0.6.5's conventions (Novak et al. 2020, arXiv:1912.02803; the
//! convolutional kernels are the CNTK of Arora et al. 2019, arXiv:1904.11955, and
//! Novak et al. 2019, arXiv:1810.05148).
//!
//! ## What is carried
//! For a pair of inputs x, x' the recursion carries, at every layer, the covariance
//! K(x, x')[p, p'] and the NTK Θ(x, x')[p, p'] of the pre-activations at spatial
//! positions p of x and p' of x' (positions are flattened row-major over the spatial
//! axes; vectors have one position). The input layer's are
//! K⁰[p, p'] = Σ_c x[p, c]·x'[p', c] / C and Θ⁰ = 0.
//!
//! Only pooling mixes different positions: a convolution maps K[p, p'] from entries
//! with the *same* offset (K[p + δ, p' + δ]), and dense layers, activations and
//! LayerNorm act entry by entry. So when the layer list has no `avg_pool` and no
//! `global_avg_pool` (in any residual branch either), the recursion carries only the
//! diagonal p = p' (P numbers per pair instead of P²), which is what `flatten` and
//! the dense layers need. With pooling it carries the full P × P covariance
//! ([`LayerNetwork::needs_full_covariance`]).
//!
//! Activations and LayerNorm also need each input's own variances K(x, x)[p, p] at
//! that layer: a first pass over each input alone records them, and the pair pass
//! reads them.
//!
//! ## The layers (σ_w² = w_var, σ_b² = b_var)
//! - `dense`, NTK parameterization: K ← σ_w² K + σ_b², then Θ ← K + σ_w² Θ (entry by
//!   entry). Standard parameterization (Sohl-Dickstein et al. 2020, arXiv:2001.07301):
//!   Θ ← n_in·K + σ_w² Θ (+ 1 with a bias), then K ← σ_w² K + σ_b², with n_in the
//!   input channels.
//! - `conv` with filter F (|F| offsets): first K_c[p, p'] = (1/|F|)·Σ_δ K[p + δ, p' + δ]
//!   over the offsets where both positions exist (zero padding contributes 0; circular
//!   padding wraps), likewise Θ_c; then the dense rule with K_c, Θ_c, and in the
//!   standard parameterization n_in = C_in·|F| (the fan-in of one output).
//! - `activation` φ: K ← 𝔼[φ(u)φ(v)], Θ ← 𝔼[φ'(u)φ'(v)]·Θ, with (u, v) centred
//!   Gaussian of variances K(x,x)[p,p], K(x',x')[p',p'] and covariance K[p, p']
//!   ([`crate::activation`]).
//! - `avg_pool` with window W: K[o, o'] ← (1/|W|²)·Σ_{w,w'} K[o·s + w, o'·s + w'], Θ
//!   likewise (NT's `normalize_edges=False`: padded cells count in |W|).
//! - `global_avg_pool`: K ← the mean of K[p, p'] over all p, p'; Θ likewise.
//! - `flatten`: K ← the mean of K[p, p] over p; Θ likewise (the next dense layer sees
//!   C·P inputs).
//! - `layer_norm` over channels: K[p, p'] ← K[p, p'] / √(K(x,x)[p,p]·K(x',x')[p',p']),
//!   and Θ likewise (the infinite-width limit of normalising each position's
//!   channels; the mean over channels vanishes in the limit).
//! - `residual`: K ← K + K_branch, Θ ← Θ + Θ_branch (FanOut, Identity, FanInSum).
//! - `attention` with `linear_scaling` (NT's `GlobalSelfAttention`, Hron et al. 2020,
//!   arXiv:2006.10540, eqs. 7–9 in NT's form): the logits concentrate, so each
//!   input's attention weights are deterministic,
//!   G(x)[i, j] = softmax_j(σ_Qσ_K·K(x, x)[i, j]) (from the input's own covariance
//!   over positions); then K ← σ_O²σ_V²·G(x) K G(x')ᵀ + σ_b² and
//!   Θ ← σ_O²σ_V²·G(x) Θ G(x')ᵀ + 2σ_O²σ_V²·G(x) K G(x')ᵀ + σ_b² — the factor 2
//!   from W_V and W_O; the tied W_K's contribution vanishes like 1/d_k. With
//!   1/√d_k scaling there is no closed form, and the kernel is refused.
//! - `kan` (Liu et al. 2024, arXiv:2404.19756; derivation in [`super::kan`]): on the
//!   raw inputs (the first layer), K ← (1/C)·Σ_c κ(x_c, x'_c) and Θ ← K, exactly;
//!   on Gaussian inputs, K ← 𝔼[κ(u, v)] and Θ ← K + 𝔼[κ̇(u, v)]·Θ with the feature
//!   kernel κ = ψ·ψ of the edge functions and κ̇ = ψ'·ψ'.
//!
//! The kernel of the network's output is that of its last layer, which must have no
//! spatial axes left (end with `flatten` or `global_avg_pool` when the inputs have
//! spatial axes).

use ndarray::{Array1, Array2, Array3, ArrayViewD, Axis, Zip};

use super::kan::Features;
use super::{conv_stride, kind_name, pool_stride, window_taps, Layer, LayerNetwork, Shape, Taps};
use crate::activation::Activation;
use crate::budget;
use crate::error::{NtkError, Result};
use crate::kernel::{DualKind, Parameterization};

/// The analytic NNGP and NTK Gram matrices of a layer network, n₁ × n₂.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerKernels {
    /// K(X₁, X₂).
    pub nngp: Array2<f64>,
    /// Θ(X₁, X₂).
    pub ntk: Array2<f64>,
}

/// One compiled layer: the window tables and fan-ins, fixed for one input shape.
#[derive(Debug)]
enum Op {
    Affine {
        w_var: f64,
        b_var: f64,
        bias_one: f64,
        fan_in: f64,
        /// For a convolution: per output position, the input position under each
        /// filter offset; `None` for a dense layer.
        taps: Option<Taps>,
    },
    Act {
        kind: DualKind,
        index: usize,
    },
    Pool {
        taps: Taps,
    },
    GlobalPool,
    Flatten,
    LayerNorm {
        index: usize,
    },
    Residual(Vec<Op>),
    Attention {
        qk: f64,
        ov_var: f64,
        b_var: f64,
        index: usize,
    },
    Kan {
        features: Box<Features>,
        index: usize,
    },
}

/// What the pass of an input with itself records for the pair pass: the variances
/// K(x, x)[p, p] (activations, LayerNorm) or the attention weights G(x).
#[derive(Debug, Clone)]
enum Seen {
    Var(Array1<f64>),
    Weights(Array2<f64>),
}

/// The covariance of one pair: all pairs of positions, or equal positions only.
#[derive(Debug, Clone)]
enum Cov {
    Full { k: Array2<f64>, t: Array2<f64> },
    Diag { k: Array1<f64>, t: Array1<f64> },
}

impl Cov {
    /// K[p, p] of a pair of an input with itself.
    fn diagonal(&self) -> Array1<f64> {
        match self {
            Cov::Full { k, .. } => k.diag().to_owned(),
            Cov::Diag { k, .. } => k.clone(),
        }
    }

    fn scalar(&self) -> (f64, f64) {
        match self {
            Cov::Full { k, t } => (k[[0, 0]], t[[0, 0]]),
            Cov::Diag { k, t } => (k[0], t[0]),
        }
    }
}

/// Where the variances K(x,x)[p,p] that activations and LayerNorm need come from.
enum Tape<'a> {
    /// One input with itself: read them off the diagonal, and record them.
    Record(&'a mut Vec<Seen>),
    /// A pair: the two inputs' records.
    Replay {
        a: &'a [Seen],
        b: &'a [Seen],
        at: usize,
    },
}

impl Tape<'_> {
    fn next(&mut self, cov: &Cov, layer: usize) -> Result<(Array1<f64>, Array1<f64>)> {
        match self {
            Tape::Record(rec) => {
                let v = cov.diagonal();
                if let Some(bad) = v.iter().find(|v| !v.is_finite()) {
                    return Err(NtkError::Overflow { layer, value: *bad });
                }
                rec.push(Seen::Var(v.clone()));
                Ok((v.clone(), v))
            }
            Tape::Replay { a, b, at } => {
                let out = match (&a[*at], &b[*at]) {
                    (Seen::Var(u), Seen::Var(v)) => (u.clone(), v.clone()),
                    _ => unreachable!("the same plan records the same kinds"),
                };
                *at += 1;
                Ok(out)
            }
        }
    }

    /// The attention weights G(x), G(x') of a pair: softmax over each row of
    /// σ_Qσ_K·K(x, x).
    fn weights(&mut self, cov: &Cov, qk: f64) -> (Array2<f64>, Array2<f64>) {
        match self {
            Tape::Record(rec) => {
                let Cov::Full { k, .. } = cov else {
                    unreachable!("attention makes the plan carry full covariances")
                };
                let g = softmax_rows(&(k * qk));
                rec.push(Seen::Weights(g.clone()));
                (g.clone(), g)
            }
            Tape::Replay { a, b, at } => {
                let out = match (&a[*at], &b[*at]) {
                    (Seen::Weights(u), Seen::Weights(v)) => (u.clone(), v.clone()),
                    _ => unreachable!("the same plan records the same kinds"),
                };
                *at += 1;
                out
            }
        }
    }
}

/// Softmax of each row, shifted by the row's maximum for range.
pub(crate) fn softmax_rows(s: &Array2<f64>) -> Array2<f64> {
    let mut out = s.clone();
    for mut row in out.rows_mut() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row /= sum;
    }
    out
}

/// The compiled network for inputs of one shape.
#[derive(Debug)]
struct Plan {
    ops: Vec<Op>,
    full: bool,
    standard: bool,
    /// The largest number of positions at any layer.
    max_positions: usize,
    /// How many variance records each input has.
    records: usize,
    /// A KAN layer on the raw inputs (the first layer): its exact kernel replaces
    /// the input covariance.
    raw_kan: Option<Features>,
}

impl Plan {
    fn new(net: &LayerNetwork, input: &Shape) -> Result<Self> {
        let out = net.output_shape(input)?;
        if !out.spatial.is_empty() {
            return Err(NtkError::Layer {
                path: "layers".into(),
                message: format!(
                    "the network's output still has spatial axes {:?}: end it with flatten or global_avg_pool (and a dense readout)",
                    out.spatial
                ),
            });
        }
        let standard = net.parameterization == Parameterization::Standard;
        let mut plan = Plan {
            ops: vec![],
            full: net.needs_full_covariance(),
            standard,
            max_positions: input.positions(),
            records: 0,
            raw_kan: None,
        };
        let mut index = 0;
        plan.ops = plan.compile(&net.layers, input.clone(), "layers", &mut index)?;
        Ok(plan)
    }

    fn compile(
        &mut self,
        layers: &[Layer],
        mut shape: Shape,
        prefix: &str,
        index: &mut usize,
    ) -> Result<Vec<Op>> {
        let mut ops = Vec::with_capacity(layers.len());
        for (i, layer) in layers.iter().enumerate() {
            let path = format!("{prefix}[{i}].{}", kind_name(layer));
            *index += 1;
            if let (Layer::Kan(k), 1) = (layer, *index) {
                // The first layer sees the data itself: exact, in `input`.
                self.raw_kan = Some(Features::new(k));
                shape.channels = k.out;
                continue;
            }
            let op = match layer {
                Layer::Dense(d) => {
                    let op = Op::Affine {
                        w_var: d.w_std * d.w_std,
                        b_var: d.b_std.map_or(0.0, |b| b * b),
                        bias_one: if d.b_std.is_some() { 1.0 } else { 0.0 },
                        fan_in: shape.channels as f64,
                        taps: None,
                    };
                    shape.channels = d.out;
                    op
                }
                Layer::Activation(a) => {
                    self.records += 1;
                    Op::Act {
                        kind: DualKind::new(*a)?,
                        index: *index,
                    }
                }
                Layer::Conv(c) => {
                    let stride = conv_stride(&path, c)?;
                    let (out, taps) =
                        window_taps(&path, &shape.spatial, &c.filter, &stride, c.padding)?;
                    let size: usize = c.filter.iter().product();
                    let op = Op::Affine {
                        w_var: c.w_std * c.w_std,
                        b_var: c.b_std.map_or(0.0, |b| b * b),
                        bias_one: if c.b_std.is_some() { 1.0 } else { 0.0 },
                        fan_in: shape.channels as f64 * size as f64,
                        taps: Some(taps),
                    };
                    shape = Shape {
                        spatial: out,
                        channels: c.out,
                    };
                    op
                }
                Layer::AvgPool(p) => {
                    let stride = pool_stride(&path, p)?;
                    let (out, taps) =
                        window_taps(&path, &shape.spatial, &p.window, &stride, p.padding)?;
                    shape.spatial = out;
                    Op::Pool { taps }
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
                Layer::LayerNorm => {
                    self.records += 1;
                    Op::LayerNorm { index: *index }
                }
                Layer::Residual(branch) => Op::Residual(self.compile(
                    branch,
                    shape.clone(),
                    &format!("{path}.branch"),
                    index,
                )?),
                Layer::Kan(k) => {
                    self.records += 1;
                    shape.channels = k.out;
                    Op::Kan {
                        features: Box::new(Features::new(k)),
                        index: *index,
                    }
                }
                Layer::Attention(a) => {
                    if !a.linear_scaling {
                        return Err(NtkError::Layer {
                            path,
                            message: "attention with 1/√d_k scaling has no closed-form infinite-width kernel (its attention weights stay random, Hron et al. 2020); use linear_scaling: true for the analytic kernel, or the finite network's empirical NTK".into(),
                        });
                    }
                    self.records += 1;
                    shape.channels = a.out;
                    Op::Attention {
                        qk: a.qk_std(),
                        ov_var: a.ov_std() * a.ov_std(),
                        b_var: a.b_std.map_or(0.0, |b| b * b),
                        index: *index,
                    }
                }
            };
            self.max_positions = self.max_positions.max(shape.positions());
            ops.push(op);
        }
        Ok(ops)
    }

    /// Run the layers on one pair's covariance.
    fn apply(&self, ops: &[Op], mut cov: Cov, tape: &mut Tape) -> Result<Cov> {
        for op in ops {
            cov = match op {
                Op::Affine {
                    w_var,
                    b_var,
                    bias_one,
                    fan_in,
                    taps,
                    ..
                } => {
                    let cov = match taps {
                        Some(taps) => conv(cov, taps),
                        None => cov,
                    };
                    let affine = |k: &mut f64, t: &mut f64| {
                        if self.standard {
                            *t = fan_in * *k + w_var * *t + bias_one;
                            *k = w_var * *k + b_var;
                        } else {
                            *k = w_var * *k + b_var;
                            *t = *k + w_var * *t;
                        }
                    };
                    match cov {
                        Cov::Full { mut k, mut t } => {
                            Zip::from(&mut k).and(&mut t).for_each(affine);
                            Cov::Full { k, t }
                        }
                        Cov::Diag { mut k, mut t } => {
                            Zip::from(&mut k).and(&mut t).for_each(affine);
                            Cov::Diag { k, t }
                        }
                    }
                }
                Op::Act { kind, index } => {
                    let (v1, v2) = tape.next(&cov, *index)?;
                    match cov {
                        Cov::Full { mut k, mut t } => {
                            for ((p, q), kk) in k.indexed_iter_mut() {
                                let d = kind.dual(*kk, v1[p], v2[q]);
                                *kk = d.nngp;
                                t[[p, q]] *= d.dot;
                            }
                            Cov::Full { k, t }
                        }
                        Cov::Diag { mut k, mut t } => {
                            for (p, kk) in k.iter_mut().enumerate() {
                                let d = kind.dual(*kk, v1[p], v2[p]);
                                *kk = d.nngp;
                                t[p] *= d.dot;
                            }
                            Cov::Diag { k, t }
                        }
                    }
                }
                Op::Pool { taps } => pool(cov, taps),
                Op::GlobalPool => match cov {
                    Cov::Full { k, t } => Cov::Full {
                        k: Array2::from_elem((1, 1), k.mean().unwrap_or(0.0)),
                        t: Array2::from_elem((1, 1), t.mean().unwrap_or(0.0)),
                    },
                    // Never built: pooling makes the plan carry full covariances.
                    Cov::Diag { .. } => unreachable!("global pooling on a diagonal covariance"),
                },
                Op::Flatten => {
                    let (k, t) = match &cov {
                        Cov::Full { k, t } => (k.diag().mean(), t.diag().mean()),
                        Cov::Diag { k, t } => (k.mean(), t.mean()),
                    };
                    let (k, t) = (k.unwrap_or(0.0), t.unwrap_or(0.0));
                    match cov {
                        Cov::Full { .. } => Cov::Full {
                            k: Array2::from_elem((1, 1), k),
                            t: Array2::from_elem((1, 1), t),
                        },
                        Cov::Diag { .. } => Cov::Diag {
                            k: Array1::from_elem(1, k),
                            t: Array1::from_elem(1, t),
                        },
                    }
                }
                Op::LayerNorm { index } => {
                    let (v1, v2) = tape.next(&cov, *index)?;
                    if v1.iter().chain(v2.iter()).any(|v| *v <= 0.0) {
                        return Err(NtkError::Layer {
                            path: format!("layer {index} (layer_norm)"),
                            message: "an input has zero variance here, so it cannot be normalised"
                                .into(),
                        });
                    }
                    let (s1, s2) = (v1.mapv(f64::sqrt), v2.mapv(f64::sqrt));
                    match cov {
                        Cov::Full { mut k, mut t } => {
                            for ((p, q), kk) in k.indexed_iter_mut() {
                                let s = s1[p] * s2[q];
                                *kk /= s;
                                t[[p, q]] /= s;
                            }
                            Cov::Full { k, t }
                        }
                        Cov::Diag { mut k, mut t } => {
                            let s = &s1 * &s2;
                            k /= &s;
                            t /= &s;
                            Cov::Diag { k, t }
                        }
                    }
                }
                Op::Attention {
                    qk,
                    ov_var,
                    b_var,
                    index,
                } => {
                    let (g1, g2) = tape.weights(&cov, *qk);
                    let Cov::Full { k, t } = cov else {
                        unreachable!("attention makes the plan carry full covariances")
                    };
                    let gkg = g1.dot(&k).dot(&g2.t());
                    let gtg = g1.dot(&t).dot(&g2.t());
                    let k = gkg.mapv(|v| ov_var * v + b_var);
                    let t = Zip::from(&gtg)
                        .and(&gkg)
                        .map_collect(|t, k| ov_var * t + 2.0 * ov_var * k + b_var);
                    if let Some(bad) = k.iter().find(|v| !v.is_finite()) {
                        return Err(NtkError::Overflow {
                            layer: *index,
                            value: *bad,
                        });
                    }
                    Cov::Full { k, t }
                }
                Op::Kan { features, index } => {
                    let (v1, v2) = tape.next(&cov, *index)?;
                    let step = |k: &mut f64, t: &mut f64, a: f64, b: f64| {
                        let d = features.dual(*k, a, b);
                        *k = d.nngp;
                        *t = d.nngp + d.dot * *t;
                    };
                    match cov {
                        Cov::Full { mut k, mut t } => {
                            for ((p, q), kk) in k.indexed_iter_mut() {
                                step(kk, &mut t[[p, q]], v1[p], v2[q]);
                            }
                            Cov::Full { k, t }
                        }
                        Cov::Diag { mut k, mut t } => {
                            for (p, kk) in k.iter_mut().enumerate() {
                                step(kk, &mut t[p], v1[p], v2[p]);
                            }
                            Cov::Diag { k, t }
                        }
                    }
                }
                Op::Residual(branch) => {
                    let out = self.apply(branch, cov.clone(), tape)?;
                    match (cov, out) {
                        (Cov::Full { k, t }, Cov::Full { k: kb, t: tb }) => Cov::Full {
                            k: k + kb,
                            t: t + tb,
                        },
                        (Cov::Diag { k, t }, Cov::Diag { k: kb, t: tb }) => Cov::Diag {
                            k: k + kb,
                            t: t + tb,
                        },
                        _ => unreachable!("a branch keeps the covariance's form"),
                    }
                }
            };
        }
        Ok(cov)
    }

    /// The input layer's covariance of x (P × C) and x' (P × C).
    fn input(&self, x: ndarray::ArrayView2<f64>, y: ndarray::ArrayView2<f64>) -> Cov {
        let c = x.ncols() as f64;
        if let Some(f) = &self.raw_kan {
            // K¹[p, p'] = (1/C)·Σ_c κ(x[p, c], x'[p', c]) and Θ¹ = K¹.
            let pair = |a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>| {
                a.iter().zip(b).map(|(u, v)| f.kernel(*u, *v)).sum::<f64>() / c
            };
            return if self.full {
                let k = Array2::from_shape_fn((x.nrows(), y.nrows()), |(p, q)| {
                    pair(x.row(p), y.row(q))
                });
                Cov::Full { t: k.clone(), k }
            } else {
                let k = Zip::from(x.rows()).and(y.rows()).map_collect(pair);
                Cov::Diag { t: k.clone(), k }
            };
        }
        if self.full {
            let k = x.dot(&y.t()) / c;
            let t = Array2::zeros(k.raw_dim());
            Cov::Full { k, t }
        } else {
            let k = Zip::from(x.rows())
                .and(y.rows())
                .map_collect(|a, b| a.dot(&b) / c);
            let t = Array1::zeros(k.len());
            Cov::Diag { k, t }
        }
    }
}

/// K_c[o, o'] = (1/|F|)·Σ_δ K[in(o, δ), in(o', δ)] over offsets where both exist.
fn conv(cov: Cov, taps: &[Vec<Option<usize>>]) -> Cov {
    let n = taps.len();
    let size = taps.first().map_or(1, Vec::len) as f64;
    match cov {
        Cov::Full { k, t } => {
            let mut ko = Array2::zeros((n, n));
            let mut to = Array2::zeros((n, n));
            for (o, row) in taps.iter().enumerate() {
                for (q, col) in taps.iter().enumerate() {
                    let (mut sk, mut st) = (0.0, 0.0);
                    for (a, b) in row.iter().zip(col) {
                        if let (Some(a), Some(b)) = (a, b) {
                            sk += k[[*a, *b]];
                            st += t[[*a, *b]];
                        }
                    }
                    ko[[o, q]] = sk / size;
                    to[[o, q]] = st / size;
                }
            }
            Cov::Full { k: ko, t: to }
        }
        Cov::Diag { k, t } => {
            let mut ko = Array1::zeros(n);
            let mut to = Array1::zeros(n);
            for (o, row) in taps.iter().enumerate() {
                let (mut sk, mut st) = (0.0, 0.0);
                for a in row.iter().flatten() {
                    sk += k[*a];
                    st += t[*a];
                }
                ko[o] = sk / size;
                to[o] = st / size;
            }
            Cov::Diag { k: ko, t: to }
        }
    }
}

/// K[o, o'] ← (1/|W|²)·Σ_{w,w'} K[in(o, w), in(o', w')].
fn pool(cov: Cov, taps: &[Vec<Option<usize>>]) -> Cov {
    let Cov::Full { k, t } = cov else {
        unreachable!("pooling needs the full covariance");
    };
    let n = taps.len();
    let size = taps.first().map_or(1, Vec::len) as f64;
    let norm = 1.0 / (size * size);
    let mut ko = Array2::zeros((n, n));
    let mut to = Array2::zeros((n, n));
    for (o, row) in taps.iter().enumerate() {
        for (q, col) in taps.iter().enumerate() {
            let (mut sk, mut st) = (0.0, 0.0);
            for a in row.iter().flatten() {
                for b in col.iter().flatten() {
                    sk += k[[*a, *b]];
                    st += t[[*a, *b]];
                }
            }
            ko[[o, q]] = sk * norm;
            to[[o, q]] = st * norm;
        }
    }
    Cov::Full { k: ko, t: to }
}

/// An input array as n × P × C, checked.
pub(crate) fn as_batch(field: &'static str, x: &ArrayViewD<f64>) -> Result<(Shape, Array3<f64>)> {
    if x.ndim() < 2 {
        return Err(NtkError::Layer {
            path: field.into(),
            message: format!(
                "inputs are n × spatial… × channels (rank ≥ 2), got rank {}",
                x.ndim()
            ),
        });
    }
    if x.is_empty() {
        return Err(NtkError::Empty { field });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(NtkError::NonFinite { field, index });
    }
    let shape = x.shape();
    let spatial = shape[1..shape.len() - 1].to_vec();
    let channels = shape[shape.len() - 1];
    let s = Shape { spatial, channels };
    let p = s.positions();
    let data: Vec<f64> = x.as_standard_layout().iter().copied().collect();
    let arr = Array3::from_shape_vec((shape[0], p, channels), data)
        .map_err(|e| NtkError::Numerical(e.to_string()))?;
    Ok((s, arr))
}

/// Bytes the analytic kernels of `n1 × n2` inputs of `input` shape need.
pub fn kernel_bytes(net: &LayerNetwork, input: &Shape, n1: usize, n2: usize) -> Result<u64> {
    let plan = Plan::new(net, input)?;
    Ok(plan_bytes(&plan, input, n1, n2))
}

fn plan_bytes(plan: &Plan, input: &Shape, n1: usize, n2: usize) -> u64 {
    let p = plan.max_positions;
    let per_pair = if plan.full {
        budget::floats(&[6, p, p])
    } else {
        budget::floats(&[6, p])
    };
    let threads = if cfg!(target_arch = "wasm32") { 1 } else { 64 };
    budget::floats(&[2, n1, n2])
        // Attention records a P × P weight matrix per input; the rest a diagonal.
        .saturating_add(budget::floats(&[
            n1 + n2,
            plan.records.max(1),
            p,
            if plan.full { p } else { 1 },
        ]))
        .saturating_add(budget::floats(&[
            n1 + n2,
            input.positions(),
            input.channels,
        ]))
        .saturating_add(per_pair.saturating_mul(threads))
}

/// The analytic NNGP kernel and NTK of `net` between `x1` (n₁ × spatial… × C) and
/// `x2` (n₂ × the same spatial… × C), or `x1` with itself when `x2` is `None`.
pub fn kernels(
    net: &LayerNetwork,
    x1: ArrayViewD<f64>,
    x2: Option<ArrayViewD<f64>>,
) -> Result<LayerKernels> {
    let (shape1, a) = as_batch("x1", &x1)?;
    let b = match &x2 {
        Some(x2) => {
            let (shape2, b) = as_batch("x2", x2)?;
            if shape2 != shape1 {
                return Err(NtkError::Layer {
                    path: "x2".into(),
                    message: format!(
                        "each input has shape {:?}, but x1's have {:?}",
                        &x2.shape()[1..],
                        &x1.shape()[1..]
                    ),
                });
            }
            Some(b)
        }
        None => None,
    };
    let plan = Plan::new(net, &shape1)?;
    let (n1, n2) = (
        a.len_of(Axis(0)),
        b.as_ref().map_or(a.len_of(Axis(0)), |b| b.len_of(Axis(0))),
    );
    budget::ensure(
        "the analytic kernels of this network",
        plan_bytes(&plan, &shape1, n1, n2),
        "use fewer inputs, smaller inputs or no pooling",
    )?;
    let record = |x: &Array3<f64>| -> Result<Vec<Vec<Seen>>> {
        map_rows(x.len_of(Axis(0)), |i| {
            let xi = x.index_axis(Axis(0), i);
            let mut rec = Vec::with_capacity(plan.records);
            plan.apply(&plan.ops, plan.input(xi, xi), &mut Tape::Record(&mut rec))?;
            Ok(rec)
        })
        .into_iter()
        .collect()
    };
    let rec1 = record(&a)?;
    let rec2 = match &b {
        Some(b) => Some(record(b)?),
        None => None,
    };
    let same = b.is_none();
    let (bb, rb) = (b.as_ref().unwrap_or(&a), rec2.as_ref().unwrap_or(&rec1));
    let rows = map_rows(n1, |i| {
        let xi = a.index_axis(Axis(0), i);
        let start = if same { i } else { 0 };
        (start..n2)
            .map(|j| {
                let xj = bb.index_axis(Axis(0), j);
                let mut tape = Tape::Replay {
                    a: &rec1[i],
                    b: &rb[j],
                    at: 0,
                };
                let cov = plan.apply(&plan.ops, plan.input(xi, xj), &mut tape)?;
                Ok(cov.scalar())
            })
            .collect::<Result<Vec<_>>>()
    });
    let mut nngp = Array2::zeros((n1, n2));
    let mut ntk = Array2::zeros((n1, n2));
    for (i, row) in rows.into_iter().enumerate() {
        let start = if same { i } else { 0 };
        for (j, (k, t)) in row?.into_iter().enumerate() {
            let j = start + j;
            if !(k.is_finite() && t.is_finite()) {
                return Err(NtkError::Overflow {
                    layer: net.layers.len(),
                    value: if k.is_finite() { t } else { k },
                });
            }
            nngp[[i, j]] = k;
            ntk[[i, j]] = t;
            if same {
                nngp[[j, i]] = k;
                ntk[[j, i]] = t;
            }
        }
    }
    Ok(LayerKernels { nngp, ntk })
}

/// `f(0), …, f(n − 1)`, over threads natively.
pub(crate) fn map_rows<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        (0..n).map(f).collect()
    }
}

/// A dense/activation stack as a layer list: `depth` hidden layers of `width`, then a
/// dense readout of width 1 — the network [`crate::kernel::FcNetwork`] describes.
pub fn mlp_layers(
    depth: usize,
    width: usize,
    activation: Activation,
    w_std: f64,
    b_std: Option<f64>,
) -> Vec<Layer> {
    let dense = |out| Layer::Dense(super::Dense { out, w_std, b_std });
    let mut layers = Vec::with_capacity(2 * depth + 1);
    for _ in 0..depth {
        layers.push(dense(width));
        layers.push(Layer::Activation(activation));
    }
    layers.push(dense(1));
    layers
}
