//! The page's architectures as templates over the flat network description.
//!
//! Every experiment of the page describes its network by [`FcNetwork`] (depth,
//! activation, σ_w, σ_b, parameterization) and draws its inputs as rows x ∈ ℝᵈ. An
//! [`Architecture`] turns that description into a layer list ([`LayerNetwork`]) and
//! each row into the input it expects:
//! - `mlp`: `depth` × [dense(m) → φ], dense(1): the flat network itself. Its kernels
//!   take the vectorised path of [`crate::kernel`] (the same numbers as the layer list,
//!   tested to 1e-14), its finite nets are [`crate::network::Mlp`];
//! - `residual_mlp`: dense(m), then (depth − 1) × residual[φ → dense(m)], φ, dense(1)
//!   (depth ≥ 1): as many hidden dense layers as the MLP, each later one with a skip
//!   connection around it (NT's FanOut → parallel(branch, Identity) → FanInSum);
//! - `cnn`: `depth` × [conv(m channels, filter, padding) → φ], then global average
//!   pooling or flatten, dense(1). A row of d numbers is a signal of length d with one
//!   channel, or an image of `height` × d/height pixels with one channel;
//! - `attention`: dense(m) on each token's features (an embedding), then `depth` ×
//!   [attention(m, heads, linear or 1/√d_k scaling) → φ], global average pooling or
//!   flatten, dense(1). A row of d numbers is `tokens` tokens of d/tokens features.
//!   Attention without positional embeddings is permutation-equivariant, so with
//!   global pooling the network cannot tell the tokens' order (a bag of tokens);
//!   with flatten the readout sees each position. The attention layers use σ_w for
//!   σ_Q, σ_K, σ_V, σ_O and σ_b for their bias, in NT's parameterization
//!   ([`super::Attention`]); only the linear scaling has an analytic kernel;
//! - `kan`: `depth` × kan(m) → kan(1), Liu et al.'s [d, m, …, m, 1]: B-splines of
//!   `grid` cells and degree `order` on [−2, 2] plus a silu base on every edge
//!   ([`super::kan`]), σ_w the spline terms' scale, the base's scale 1. The
//!   activation, σ_b and the parameterization do not apply: every KAN layer is in
//!   the NTK parameterization, and the first one acts on the raw coordinates.
//!
//! `m` is the finite width (the channels of a CNN); the analytic kernels in the NTK
//! parameterization do not depend on it (NT's convention), in the standard
//! parameterization they do through each layer's fan-in.

use ndarray::{ArrayD, IxDyn};
use serde::{Deserialize, Serialize};

use super::analytic;
use super::finite::{FiniteLayerNet, Method, TrainOptions};
use super::{Conv, Dense, Layer, LayerNetwork, Padding, Shape};
use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork, Kernels};
use crate::linalg::Matrix;
use crate::network::{Mlp, MlpSpec};
use crate::train::{TrainRecord, TrainSetup};

/// What follows a CNN's last convolution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean over positions: the kernel is invariant to circular shifts when the
    /// padding is circular (Arora et al. 2019's CNN-GAP, arXiv:1904.11955).
    #[default]
    GlobalAvg,
    /// All positions kept side by side (Arora et al.'s vanilla CNN): the readout sees
    /// where a feature is, and the kernel only sums over matching positions.
    Flatten,
}

/// The page's architecture choice (see the module's documentation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Architecture {
    /// Dense layers (the flat network).
    #[default]
    Mlp,
    /// Dense layers with skip connections.
    ResidualMlp,
    /// Convolutions on a 1-D signal (`height` absent) or a 2-D image.
    Cnn {
        /// Filter size along each axis.
        filter: usize,
        /// Border handling of every convolution.
        #[serde(default)]
        padding: Padding,
        /// What follows the last convolution.
        #[serde(default)]
        pooling: Pooling,
        /// Image height: a row of d numbers is `height` × d/height pixels. `None`: a
        /// signal of length d.
        #[serde(default)]
        height: Option<usize>,
    },
    /// Self-attention on token sequences.
    Attention {
        /// Tokens per input: a row of d numbers is `tokens` × d/tokens features.
        tokens: usize,
        /// Attention heads.
        #[serde(default = "one_head")]
        heads: usize,
        /// 1/d_k with tied queries and keys (true: the analytic limit exists) or the
        /// standard 1/√d_k (false).
        #[serde(default = "linear")]
        linear_scaling: bool,
        /// What follows the last attention layer.
        #[serde(default)]
        pooling: Pooling,
    },
    /// Kolmogorov–Arnold layers.
    Kan {
        /// Cells of each spline's grid on [−2, 2].
        grid: usize,
        /// The splines' degree.
        #[serde(default = "cubic")]
        order: usize,
    },
    /// A layer list of one's own (`ntk experiment` with `"network": {"layers": …}`).
    /// Every hidden dense/conv layer's `out` (inside residual branches too) becomes
    /// the finite width m of the experiment; the last layer, the readout, keeps its
    /// own (it must give one output). The network description's depth, activation
    /// and σ's are not used; its parameterization is.
    Layers {
        layers: Vec<Layer>,
        /// The spatial sizes and the channels of one input, whose product is d;
        /// absent: a vector of d channels.
        #[serde(default)]
        input_shape: Option<Vec<usize>>,
    },
}

/// d / k, when k divides d; else the error `message` at `path`.
fn split(d: usize, k: usize, path: &str, message: impl FnOnce() -> String) -> Result<usize> {
    if k == 0 || !d.is_multiple_of(k) {
        return Err(NtkError::Layer {
            path: path.into(),
            message: message(),
        });
    }
    Ok(d / k)
}

fn one_head() -> usize {
    1
}
fn cubic() -> usize {
    3
}
fn linear() -> bool {
    true
}

/// The most tokens or heads of the attention architecture.
pub const MAX_TOKENS: usize = 256;

/// `layers` with every dense/conv `out` set to `m`, except a top-level last layer.
fn with_width(layers: &[Layer], m: usize, keep_last: bool) -> Vec<Layer> {
    let last = layers.len().saturating_sub(1);
    layers
        .iter()
        .enumerate()
        .map(|(i, l)| match l {
            _ if keep_last && i == last => l.clone(),
            Layer::Dense(d) => Layer::Dense(Dense {
                out: m,
                ..d.clone()
            }),
            Layer::Conv(c) => Layer::Conv(Conv {
                out: m,
                ..c.clone()
            }),
            Layer::Residual(b) => Layer::Residual(with_width(b, m, false)),
            Layer::Kan(k) => Layer::Kan(super::Kan {
                out: m,
                ..k.clone()
            }),
            Layer::Attention(a) => Layer::Attention(super::Attention {
                out: m,
                key: Some(m),
                value: Some(m),
                ..a.clone()
            }),
            other => other.clone(),
        })
        .collect()
}

impl Architecture {
    /// A short name for labels.
    pub fn label(&self) -> &'static str {
        match self {
            Architecture::Mlp => "MLP",
            Architecture::ResidualMlp => "residual MLP",
            Architecture::Cnn {
                height: None,
                pooling: Pooling::GlobalAvg,
                ..
            } => "1-D CNN + global pooling",
            Architecture::Cnn { height: None, .. } => "1-D CNN + flatten",
            Architecture::Cnn {
                pooling: Pooling::GlobalAvg,
                ..
            } => "2-D CNN + global pooling",
            Architecture::Cnn { .. } => "2-D CNN + flatten",
            Architecture::Attention {
                linear_scaling: true,
                ..
            } => "attention (1/d_k)",
            Architecture::Attention { .. } => "attention (1/√d_k)",
            Architecture::Kan { .. } => "KAN",
            Architecture::Layers { .. } => "layer list",
        }
    }

    /// Whether the infinite-width kernels exist in closed form: not for attention
    /// with 1/√d_k scaling, whose attention weights stay random (Hron et al. 2020).
    pub fn has_limit(&self) -> bool {
        !matches!(
            self,
            Architecture::Attention {
                linear_scaling: false,
                ..
            }
        )
    }

    /// True for the flat MLP, which takes the vectorised kernels and finite nets.
    pub fn is_mlp(&self) -> bool {
        matches!(self, Architecture::Mlp)
    }

    /// The shape of one input made of `d` numbers.
    pub fn input_shape(&self, d: usize) -> Result<Shape> {
        match self {
            Architecture::Mlp | Architecture::ResidualMlp | Architecture::Kan { .. } => Ok(Shape {
                spatial: vec![],
                channels: d,
            }),
            Architecture::Cnn { height: None, .. } => Ok(Shape {
                spatial: vec![d],
                channels: 1,
            }),
            Architecture::Layers { input_shape, .. } => match input_shape {
                None => Ok(Shape {
                    spatial: vec![],
                    channels: d,
                }),
                Some(dims) => {
                    let product: usize = dims.iter().product();
                    match dims.split_last() {
                        Some((&channels, spatial)) if product == d && channels > 0 => Ok(Shape {
                            spatial: spatial.to_vec(),
                            channels,
                        }),
                        _ => Err(NtkError::Layer {
                            path: "network.input_shape".into(),
                            message: format!(
                                "the input shape {dims:?} (spatial sizes, then channels) must hold the d = {d} numbers of each input"
                            ),
                        }),
                    }
                }
            },
            Architecture::Attention { tokens: t, .. } => Ok(Shape {
                spatial: vec![*t],
                channels: split(d, *t, "architecture.tokens", || {
                    format!("{t} tokens need d to be a multiple of it (each token has d/tokens features), got d = {d}")
                })?,
            }),
            Architecture::Cnn {
                height: Some(h), ..
            } => {
                Ok(Shape {
                    spatial: vec![
                        *h,
                        split(d, *h, "architecture.height", || {
                            format!("an image of height {h} needs d to be a multiple of it, got d = {d}")
                        })?,
                    ],
                    channels: 1,
                })
            }
        }
    }

    /// The layer list of `net` in this architecture, with hidden width (channels) `m`.
    pub fn layers(&self, net: &FcNetwork, m: usize) -> Result<LayerNetwork> {
        net.validate()?;
        let dense = |out| {
            Layer::Dense(Dense {
                out,
                w_std: net.w_std,
                b_std: net.b_std,
            })
        };
        let act = || Layer::Activation(net.activation);
        let mut layers = vec![];
        match self {
            Architecture::Layers { layers: own, .. } => {
                return Ok(LayerNetwork {
                    layers: with_width(own, m, true),
                    parameterization: net.parameterization,
                });
            }
            Architecture::Mlp => {
                layers = analytic::mlp_layers(net.depth, m, net.activation, net.w_std, net.b_std);
            }
            Architecture::ResidualMlp => {
                if net.depth == 0 {
                    return Err(NtkError::Layer {
                        path: "architecture".into(),
                        message: "a residual MLP needs at least one hidden layer".into(),
                    });
                }
                layers.push(dense(m));
                for _ in 1..net.depth {
                    layers.push(Layer::Residual(vec![act(), dense(m)]));
                }
                layers.extend([act(), dense(1)]);
            }
            Architecture::Cnn {
                filter,
                padding,
                pooling,
                height,
            } => {
                let axes = if height.is_some() { 2 } else { 1 };
                for _ in 0..net.depth {
                    layers.push(Layer::Conv(Conv {
                        out: m,
                        filter: vec![*filter; axes],
                        stride: None,
                        padding: *padding,
                        w_std: net.w_std,
                        b_std: net.b_std,
                    }));
                    layers.push(act());
                }
                layers.push(match pooling {
                    Pooling::GlobalAvg => Layer::GlobalAvgPool,
                    Pooling::Flatten => Layer::Flatten,
                });
                layers.push(dense(1));
            }
            Architecture::Kan { grid, order } => {
                let kan = |out| {
                    Layer::Kan(super::Kan {
                        w_std: net.w_std,
                        ..super::Kan::new(out, *grid, *order)
                    })
                };
                layers = (0..net.depth).map(|_| kan(m)).collect();
                layers.push(kan(1));
            }
            Architecture::Attention {
                heads,
                linear_scaling,
                pooling,
                ..
            } => {
                layers.push(dense(m));
                for _ in 0..net.depth {
                    layers.push(Layer::Attention(super::Attention {
                        out: m,
                        heads: *heads,
                        key: Some(m),
                        value: Some(m),
                        linear_scaling: *linear_scaling,
                        w_key_std: net.w_std,
                        w_query_std: net.w_std,
                        w_value_std: net.w_std,
                        w_out_std: net.w_std,
                        b_std: net.b_std,
                    }));
                    layers.push(act());
                }
                layers.push(match pooling {
                    Pooling::GlobalAvg => Layer::GlobalAvgPool,
                    Pooling::Flatten => Layer::Flatten,
                });
                layers.push(dense(1));
            }
        }
        Ok(LayerNetwork {
            layers,
            parameterization: net.parameterization,
        })
    }

    /// Check that `net` makes a valid network of this architecture on `d` inputs.
    pub fn validate(&self, net: &FcNetwork, d: usize) -> Result<()> {
        if let Architecture::Cnn { filter, .. } = self {
            if *filter == 0 || *filter > 64 {
                return Err(NtkError::OutOfRange {
                    field: "architecture.filter",
                    expected: "between 1 and 64",
                    value: *filter as f64,
                });
            }
        }
        if let Architecture::Attention { tokens, heads, .. } = self {
            for (field, v) in [
                ("architecture.tokens", tokens),
                ("architecture.heads", heads),
            ] {
                if *v == 0 || *v > MAX_TOKENS {
                    return Err(NtkError::OutOfRange {
                        field,
                        expected: "between 1 and 256",
                        value: *v as f64,
                    });
                }
            }
        }
        if let Architecture::Kan { grid, order } = self {
            let probe = super::Kan::new(1, *grid, *order);
            if let Some(problem) = probe.problem() {
                return Err(NtkError::Layer {
                    path: "architecture".into(),
                    message: problem,
                });
            }
        }
        let shape = self.input_shape(d)?;
        let layers = self.layers(net, net.width.unwrap_or(1))?;
        let out = layers.output_shape(&shape)?;
        if !out.spatial.is_empty() || out.channels != 1 {
            return Err(NtkError::Layer {
                path: "network.layers".into(),
                message: format!(
                    "an experiment's network has one output (end with flatten or global_avg_pool and a dense layer of out 1); this one ends with shape {:?}×{}",
                    out.spatial, out.channels
                ),
            });
        }
        Ok(())
    }

    /// Bytes the analytic kernels between n₁ and n₂ inputs in ℝᵈ need (0 for an
    /// architecture without them, and for the MLP,
    /// whose Gram matrices the experiments' own budgets count).
    pub fn kernel_bytes(&self, net: &FcNetwork, d: usize, n1: usize, n2: usize) -> Result<u64> {
        if self.is_mlp() || !self.has_limit() {
            return Ok(0);
        }
        let shape = self.input_shape(d)?;
        analytic::kernel_bytes(&self.layers(net, net.width.unwrap_or(1))?, &shape, n1, n2)
    }

    /// What the analytic kernels between n₁ and n₂ inputs in ℝᵈ cost, before they
    /// run: the position pairs each pair of inputs carries, the multiply-adds (an
    /// estimate: each convolution sums `filter^axes` window entries per position pair
    /// it keeps, with P × P pairs when global pooling follows and P otherwise, and
    /// each activation evaluates one dual kernel per kept pair, each attention layer
    /// multiplies P × P matrices four times), and the bytes.
    pub fn cost(&self, net: &FcNetwork, d: usize, n1: usize, n2: usize) -> Result<KernelCost> {
        let shape = self.input_shape(d)?;
        let layers = self.layers(net, net.width.unwrap_or(1))?;
        let p = shape.positions() as u64;
        let full = layers.needs_full_covariance();
        let kept = if full { p * p } else { p };
        let window = match self {
            Architecture::Cnn { filter, height, .. } => {
                (*filter as u64).pow(if height.is_some() { 2 } else { 1 })
            }
            _ => 1,
        };
        let pairs = if n1 == n2 {
            (n1 as u64) * (n1 as u64 + 1) / 2
        } else {
            n1 as u64 * n2 as u64
        };
        // Attention: G K Gᵀ and G Θ Gᵀ, two pairs of P × P products per layer.
        let attention = match self {
            Architecture::Attention { .. } => 4 * p * p * p,
            _ => 0,
        };
        // KAN: each layer after the first integrates the splines over a Gaussian
        // pair, ≈ 2·(G + 2K) panels × 10 nodes × ~(2K + 2) erfc and 6K² flops.
        let spline = match self {
            Architecture::Kan { grid, order } => {
                let (g, k) = (*grid as u64, *order as u64);
                20 * (g + 2 * k) * (20 * (2 * k + 2) + 6 * k * k) + 4000
            }
            _ => 0,
        };
        // The first KAN layer acts on the raw data (no integral): `depth` spline
        // layers follow it.
        let per_pair = (net.depth as u64 + 1) * (kept * (2 * window + 30) + attention)
            + net.depth as u64 * kept * spline;
        Ok(KernelCost {
            pairs,
            positions: p as usize,
            full_covariance: full,
            operations: pairs.saturating_mul(per_pair),
            bytes: self.kernel_bytes(net, d, n1, n2)?,
        })
    }

    /// Rows of `x` (n × d) as inputs of this architecture (n × spatial… × channels).
    pub fn inputs(&self, x: &Matrix) -> Result<ArrayD<f64>> {
        let shape = self.input_shape(x.cols())?;
        let mut dims = vec![x.rows()];
        dims.extend(&shape.spatial);
        dims.push(shape.channels);
        ArrayD::from_shape_vec(IxDyn(&dims), x.as_slice().to_vec())
            .map_err(|e| NtkError::Numerical(e.to_string()))
    }
}

/// The cost of an architecture's analytic kernels ([`Architecture::cost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelCost {
    /// Pairs of inputs.
    pub pairs: u64,
    /// Spatial positions P of one input.
    pub positions: usize,
    /// Whether every position pair is kept (P × P per pair of inputs).
    pub full_covariance: bool,
    /// Estimated floating-point operations.
    pub operations: u64,
    /// Bytes allocated.
    pub bytes: u64,
}

/// A network description in one architecture: what every experiment computes with.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    /// Depth, activation, σ_w, σ_b, parameterization (and the width of the standard
    /// parameterization's analytic kernel).
    pub net: &'a FcNetwork,
    /// The architecture the description is read in.
    pub arch: &'a Architecture,
}

/// A finite network of a [`Model`] at one width and seed.
#[derive(Debug, Clone)]
pub enum FiniteNet {
    /// The flat MLP.
    Mlp(Mlp),
    /// Any other architecture.
    Layers(FiniteLayerNet, Architecture),
}

fn to_matrix(a: ndarray::Array2<f64>) -> Result<Matrix> {
    let (r, c) = a.dim();
    Matrix::from_row_major(r, c, a.into_iter().collect())
}

impl<'a> Model<'a> {
    /// The flat MLP `net`.
    pub fn mlp(net: &'a FcNetwork) -> Self {
        Model {
            net,
            arch: &Architecture::Mlp,
        }
    }

    /// The analytic NNGP kernel and NTK between the rows of `x1` and `x2` (or `x1`
    /// with itself). In the standard parameterization the layers' width is
    /// `net.width` (required there).
    pub fn kernels(&self, x1: &Matrix, x2: Option<&Matrix>) -> Result<Kernels> {
        if self.arch.is_mlp() {
            return kernel_matrix(self.net, x1, x2);
        }
        let width = self.net.width.unwrap_or(1);
        let layers = self.arch.layers(self.net, width)?;
        let a = self.arch.inputs(x1)?;
        let b = x2.map(|x| self.arch.inputs(x)).transpose()?;
        let k = analytic::kernels(&layers, a.view(), b.as_ref().map(|b| b.view()))?;
        Ok(Kernels {
            nngp: to_matrix(k.nngp)?,
            ntk: to_matrix(k.ntk)?,
        })
    }

    /// K(x, x) for every row of `x` (the NNGP variance of each input).
    pub fn nngp_diagonal(&self, x: &Matrix) -> Result<Vec<f64>> {
        if self.arch.is_mlp() {
            return crate::kernel::nngp_diagonal(self.net, x);
        }
        (0..x.rows())
            .map(|i| {
                let row = Matrix::from_row_major(1, x.cols(), x.row(i).to_vec())?;
                Ok(self.kernels(&row, None)?.nngp.get(0, 0))
            })
            .collect()
    }

    /// Train a fresh network of width `m` (seed `seed`) by full-batch gradient descent
    /// and record it at the steps `record_at`, as [`crate::train::train_through`]
    /// does: a rate above the critical one runs until the loss diverges. A layer
    /// network records no per-layer weight change (`weight_change` is empty).
    #[allow(clippy::too_many_arguments)]
    pub fn train_through(
        &self,
        m: usize,
        seed: u64,
        (x, y): (&Matrix, &[f64]),
        (x_test, y_test): (&Matrix, &[f64]),
        learning_rate: f64,
        steps: usize,
        record_at: &[usize],
        on_step: impl FnMut(usize) -> bool,
    ) -> Result<TrainRecord> {
        if self.arch.is_mlp() {
            let spec = MlpSpec::from_network(self.net, m);
            let setup = TrainSetup {
                spec: &spec,
                seed,
                x_train: x,
                y_train: y,
                x_test: Some(x_test),
                y_test: Some(y_test),
                learning_rate,
                steps,
                record_every: 1,
            };
            return crate::train::train_through(&setup, record_at, on_step);
        }
        let FiniteNet::Layers(mut net, arch) = self.finite(x.cols(), m, seed)? else {
            unreachable!("a non-MLP architecture makes a layer network")
        };
        let (a, b) = (arch.inputs(x)?, arch.inputs(x_test)?);
        let options = TrainOptions {
            learning_rate,
            steps,
            record_at,
            refuse_above_critical: false,
        };
        let r = net.train_through(
            a.view(),
            y,
            Some((b.view(), Some(y_test))),
            &options,
            on_step,
        )?;
        Ok(TrainRecord {
            steps: r.steps,
            train_loss: r.train_loss,
            test_loss: r.test_loss,
            train_predictions: r.train_predictions,
            test_predictions: r.test_predictions,
            ntk_drift: r.ntk_drift,
            weight_change: Vec::new(),
            lambda_max: r.lambda_max,
            critical_learning_rate: r.critical_learning_rate,
            diverged_at: r.diverged_at,
        })
    }

    /// A finite network of hidden width (channels) `m` on inputs in ℝᵈ, seeded.
    pub fn finite(&self, d: usize, m: usize, seed: u64) -> Result<FiniteNet> {
        if self.arch.is_mlp() {
            let spec = MlpSpec::from_network(self.net, m);
            return Ok(FiniteNet::Mlp(Mlp::init(&spec, d, seed)?));
        }
        let layers = self.arch.layers(self.net, m)?;
        let shape = self.arch.input_shape(d)?;
        Ok(FiniteNet::Layers(
            FiniteLayerNet::init(&layers, &shape, seed)?,
            self.arch.clone(),
        ))
    }
}

impl FiniteNet {
    /// The empirical NTK Θ̂(X₁, X₂) (or X₁ with itself).
    pub fn empirical_ntk(&self, x1: &Matrix, x2: Option<&Matrix>) -> Result<Matrix> {
        match self {
            FiniteNet::Mlp(net) => Ok(net.empirical_kernels(x1, x2)?.ntk),
            FiniteNet::Layers(net, arch) => {
                let a = arch.inputs(x1)?;
                let b = x2.map(|x| arch.inputs(x)).transpose()?;
                to_matrix(
                    net.empirical_ntk(a.view(), b.as_ref().map(|b| b.view()), Method::Structured)?
                        .ntk,
                )
            }
        }
    }

    /// The empirical NNGP kernel and NTK. A layer network's empirical NNGP kernel is
    /// not computed: it is refused in words.
    pub fn empirical_kernels(&self, x1: &Matrix, x2: Option<&Matrix>) -> Result<Kernels> {
        match self {
            FiniteNet::Mlp(net) => net.empirical_kernels(x1, x2),
            FiniteNet::Layers(..) => Err(NtkError::Layer {
                path: "kernel".into(),
                message: "the empirical NNGP kernel is computed for MLPs only; choose the NTK"
                    .into(),
            }),
        }
    }

    /// The outputs f(x) for every row of `x`.
    pub fn outputs(&self, x: &Matrix) -> Result<Vec<f64>> {
        match self {
            FiniteNet::Mlp(net) => net.forward(x),
            FiniteNet::Layers(net, arch) => Ok(net.outputs(arch.inputs(x)?.view())?.to_vec()),
        }
    }

    /// `steps` steps of full-batch gradient descent on (1/2N)‖f(X) − y‖² with rate
    /// `learning_rate`; a rate at or above the critical 2N/λ_max(Θ̂₀) is refused
    /// ([`NtkError::Diverges`]).
    pub fn train(&mut self, x: &Matrix, y: &[f64], learning_rate: f64, steps: usize) -> Result<()> {
        match self {
            FiniteNet::Mlp(net) => {
                let (_, critical) = crate::train::critical_learning_rate(net, x)?;
                if learning_rate >= critical {
                    return Err(NtkError::Diverges {
                        learning_rate,
                        critical,
                    });
                }
                for _ in 0..steps {
                    net.gd_step(x, y, learning_rate)?;
                }
                Ok(())
            }
            FiniteNet::Layers(net, arch) => {
                let a = arch.inputs(x)?;
                net.train(a.view(), y, None, learning_rate, steps, steps.max(1))?;
                Ok(())
            }
        }
    }

    /// The number of trainable parameters.
    pub fn num_params(&self) -> usize {
        match self {
            FiniteNet::Mlp(net) => net.param_count(),
            FiniteNet::Layers(net, _) => net.num_params(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::gaussian;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Attention without positional embeddings is permutation-equivariant, so after
    /// global pooling the analytic kernel cannot tell the tokens' order (a bag of
    /// tokens: K(πx, x') = K(x, x') exactly), while after flatten it can. The JSON
    /// form is the CLI's.
    #[wasm_bindgen_test(unsupported = test)]
    fn attention_with_pooling_is_blind_to_token_order_and_with_flatten_is_not() {
        let net = FcNetwork::relu(2, 1.3, Some(0.1));
        let x = gaussian(3, 8, 4).unwrap();
        // Swap the first and third tokens (2 features each) of every input.
        let mut swapped = x.clone();
        for i in 0..3 {
            for f in 0..2 {
                let (a, b) = (x.get(i, f), x.get(i, 4 + f));
                swapped.as_mut_slice()[i * 8 + f] = b;
                swapped.as_mut_slice()[i * 8 + 4 + f] = a;
            }
        }
        for (pooling, blind) in [("global_avg", true), ("flatten", false)] {
            let arch: Architecture = serde_json::from_str(&format!(
                r#"{{"kind": "attention", "tokens": 4, "heads": 2, "pooling": "{pooling}"}}"#
            ))
            .unwrap();
            arch.validate(&net, 8).unwrap();
            let model = Model {
                net: &net,
                arch: &arch,
            };
            let k = model.kernels(&x, None).unwrap();
            let kp = model.kernels(&swapped, Some(&x)).unwrap();
            let gap = (0..3)
                .flat_map(|i| (0..3).map(move |j| (i, j)))
                .map(|(i, j)| (k.ntk.get(i, j) - kp.ntk.get(i, j)).abs() / k.ntk.get(i, i))
                .fold(0.0f64, f64::max);
            if blind {
                // Exact in theory; the ReLU's arc-cosine at ρ = 1 − O(ε) costs O(√ε)
                // on the pairs of an input with its own permutation.
                assert!(gap < 1e-8, "{pooling}: {gap}");
            } else {
                assert!(gap > 1e-3, "{pooling}: {gap}");
            }
        }
        let bad: Architecture =
            serde_json::from_str(r#"{"kind": "attention", "tokens": 3}"#).unwrap();
        let e = bad.validate(&net, 8).unwrap_err().to_string();
        assert!(e.contains("multiple"), "{e}");
    }

    fn cnn(pooling: Pooling, height: Option<usize>) -> Architecture {
        Architecture::Cnn {
            filter: 3,
            padding: Padding::Circular,
            pooling,
            height,
        }
    }

    /// The flat path and the layer path of an MLP are independent implementations
    /// (vectorised pair loops against the layer recursion): they agree.
    #[wasm_bindgen_test(unsupported = test)]
    fn mlp_kernels_match_the_layer_list() {
        let net = FcNetwork::relu(2, 1.4, Some(0.1));
        let x = gaussian(6, 5, 3).unwrap();
        let flat = Model {
            net: &net,
            arch: &Architecture::Mlp,
        }
        .kernels(&x, None)
        .unwrap();
        let layers = Architecture::Mlp.layers(&net, 8).unwrap();
        let a = Architecture::Mlp.inputs(&x).unwrap();
        let k = analytic::kernels(&layers, a.view(), None).unwrap();
        for i in 0..6 {
            for j in 0..6 {
                assert!((flat.ntk.get(i, j) - k.ntk[[i, j]]).abs() < 1e-12);
            }
        }
    }

    /// A CNN with circular padding and global pooling has a kernel invariant to
    /// circular shifts of either input (exactly, by symmetry); with flatten it is not.
    #[wasm_bindgen_test(unsupported = test)]
    fn circular_cnn_with_pooling_is_shift_invariant() {
        let net = FcNetwork::relu(2, 1.4, Some(0.1));
        let x = gaussian(4, 8, 1).unwrap();
        let shifted = Matrix::from_row_major(
            4,
            8,
            (0..4)
                .flat_map(|i| (0..8).map(move |p| (i, (p + 3) % 8)))
                .map(|(i, p)| x.get(i, p))
                .collect(),
        )
        .unwrap();
        for (pooling, invariant) in [(Pooling::GlobalAvg, true), (Pooling::Flatten, false)] {
            let arch = cnn(pooling, None);
            let m = Model {
                net: &net,
                arch: &arch,
            };
            let k = m.kernels(&x, None).unwrap().ntk;
            let ks = m.kernels(&x, Some(&shifted)).unwrap().ntk;
            let diff = (0..4)
                .flat_map(|i| (0..4).map(move |j| (i, j)))
                .map(|(i, j)| (k.get(i, j) - ks.get(i, j)).abs())
                .fold(0.0, f64::max);
            assert_eq!(diff < 1e-12, invariant, "{pooling:?}: {diff}");
        }
    }

    /// A closed form: a constant image through a bias-free ReLU CNN with circular
    /// padding and flatten (NTK parameterization, σ_w = √2, one input channel).
    #[wasm_bindgen_test(unsupported = test)]
    fn constant_image_has_the_closed_form_diagonal() {
        // x = c everywhere on a 4 × 4 image. Layer 1: q¹ = σ_w²·(c²·9)/9 = 2c² at each
        // position (mean of c² over the 3×3 window times σ_w², channel fan-in 1).
        // ReLU halves the second moment: c². Layer 2 the same: 2c², then c². Flatten +
        // dense(1): K = σ_w²·mean over positions = 2c². Θ = (L + 1)K for a bias-free
        // 1-homogeneous net with every layer contributing K: 3 × 2c².
        let net = FcNetwork::relu(2, 2f64.sqrt(), None);
        let arch = cnn(Pooling::Flatten, Some(4));
        let c = 0.7;
        let x = Matrix::from_row_major(1, 16, vec![c; 16]).unwrap();
        let k = Model {
            net: &net,
            arch: &arch,
        }
        .kernels(&x, None)
        .unwrap();
        assert!((k.nngp.get(0, 0) - 2.0 * c * c).abs() < 1e-14);
        assert!((k.ntk.get(0, 0) - 6.0 * c * c).abs() < 1e-13);
    }

    /// A layer list given as such equals the same CNN built by the template, with
    /// its hidden widths following the experiment's width.
    #[wasm_bindgen_test(unsupported = test)]
    fn a_layer_list_takes_the_experiments_width() {
        let net = FcNetwork::relu(2, 1.4, Some(0.1));
        let template = cnn(Pooling::GlobalAvg, None);
        let own = Architecture::Layers {
            layers: template.layers(&net, 7).unwrap().layers,
            input_shape: Some(vec![6, 1]),
        };
        assert_eq!(
            own.layers(&net, 33).unwrap(),
            template.layers(&net, 33).unwrap()
        );
        assert!(own.validate(&net, 6).is_ok());
        let e = own.validate(&net, 5).unwrap_err();
        assert!(e.to_string().contains("input shape"), "{e}");
        // A list without a single output is refused in words.
        let open = Architecture::Layers {
            layers: vec![Layer::Dense(Dense {
                out: 3,
                w_std: 1.0,
                b_std: None,
            })],
            input_shape: None,
        };
        assert!(open
            .validate(&net, 4)
            .unwrap_err()
            .to_string()
            .contains("one output"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_shapes_are_refused_in_words() {
        let net = FcNetwork::relu(2, 1.4, Some(0.1));
        let e = cnn(Pooling::GlobalAvg, Some(3))
            .validate(&net, 10)
            .unwrap_err();
        assert!(e.to_string().contains("multiple"), "{e}");
        let valid = Architecture::Cnn {
            filter: 5,
            padding: Padding::Valid,
            pooling: Pooling::Flatten,
            height: None,
        };
        // Two valid convolutions of filter 5 need 9 positions.
        assert!(valid.validate(&net, 8).is_err());
        assert!(valid.validate(&net, 9).is_ok());
        let shallow = FcNetwork::relu(0, 1.4, Some(0.1));
        assert!(Architecture::ResidualMlp.validate(&shallow, 4).is_err());
    }

    /// The finite CNN's empirical NTK agrees with the Jacobian form (an independent
    /// computation) through the model's row reshaping.
    #[wasm_bindgen_test(unsupported = test)]
    fn finite_model_reshapes_rows_consistently() {
        let net = FcNetwork::relu(1, 1.4, Some(0.1));
        let arch = cnn(Pooling::GlobalAvg, Some(2));
        let m = Model {
            net: &net,
            arch: &arch,
        };
        let x = gaussian(3, 6, 2).unwrap();
        let f = m.finite(6, 4, 0).unwrap();
        let theta = f.empirical_ntk(&x, None).unwrap();
        let FiniteNet::Layers(layer_net, _) = &f else {
            panic!("a CNN is a layer net")
        };
        let a = ArrayD::from_shape_fn(IxDyn(&[3, 2, 3, 1]), |i| x.get(i[0], 3 * i[1] + i[2]));
        let jac = layer_net
            .empirical_ntk(a.view(), None, Method::Jacobian)
            .unwrap()
            .ntk;
        for i in 0..3 {
            for j in 0..3 {
                assert!((theta.get(i, j) - jac[[i, j]]).abs() < 1e-10 * jac[[i, i]].abs());
            }
        }
        assert_eq!(f.outputs(&x).unwrap().len(), 3);
    }
}
