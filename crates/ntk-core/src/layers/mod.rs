//! Networks as a list of layers, as neural-tangents' `stax.serial` describes them
//! (Novak et al. 2020, arXiv:1912.02803): dense, activation, convolution, average
//! pooling, global average pooling, flatten, LayerNorm and residual blocks.
//!
//! Inputs are `n × spatial… × channels` (NT's NWC / NHWC layout): `n × d` vectors,
//! `n × length × channels` signals, `n × height × width × channels` images. Dense
//! layers act on the last (channel) axis at every position, as in NT.
//!
//! The JSON form, one object per layer:
//! - `{"dense": {"out": 512, "w_std": 1.41, "b_std": 0.1}}` (`b_std` null or absent:
//!   no bias);
//! - `{"activation": "relu"}`, with the activation's parameters as extra fields
//!   (`{"activation": "leaky_relu", "alpha": 0.1}`);
//! - `{"conv": {"out": 64, "filter": [3, 3], "stride": [1, 1], "padding": "same",
//!   "w_std": …, "b_std": …}}` (stride defaults to 1, padding to `valid`, as in NT);
//! - `{"avg_pool": {"window": [2], "stride": [2], "padding": "valid"}}` (stride
//!   defaults to the window, as in NT);
//! - `{"global_avg_pool": {}}`, `{"flatten": {}}`, `{"layer_norm": {}}`;
//! - `{"residual": {"branch": [layers…]}}`: FanOut(2) → parallel(branch, Identity) →
//!   FanInSum;
//! - `{"attention": {"out": 64, "heads": 2, "key": 64, "value": 64,
//!   "linear_scaling": true, "w_key_std": 1, "w_query_std": 1, "w_value_std": 1,
//!   "w_out_std": 1, "b_std": null}}`: global softmax self-attention over all
//!   spatial positions (tokens), NT's `GlobalSelfAttention` ([`Attention`]);
//! - `{"kan": {"out": 64, "grid": 8, "order": 3, "range": [-2, 2], "w_std": 1,
//!   "base": "silu", "base_std": 1}}`: a Kolmogorov–Arnold layer on the channel axis,
//!   B-splines plus a base activation on every edge ([`kan`], [`Kan`]).
//!
//! `out` is the finite width (channels). The analytic kernels in the NTK
//! parameterization do not depend on it; in the standard parameterization they do,
//! through each layer's fan-in (as in NT).
//!
//! The infinite-width kernels of such a network are in [`analytic`].

pub mod analytic;
pub mod architecture;
pub mod finite;
pub mod kan;

pub use kan::Kan;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::activation::Activation;
use crate::error::{NtkError, Result};
use crate::kernel::Parameterization;

/// The longest layer list (residual branches count their layers).
pub const MAX_LAYERS: usize = 200;
/// The largest `out`, filter, window or stride entry.
pub const MAX_SIZE: usize = 1 << 24;

/// How a convolution or pooling window treats the border (NT's `Padding`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// Only windows that fit inside: the output is `⌊(in − window)/stride⌋ + 1` long.
    #[default]
    Valid,
    /// Zero padding (TensorFlow's SAME): the output is `⌈in/stride⌉` long, and the
    /// padding `max((out − 1)·stride + window − in, 0)` is split with the smaller half
    /// before.
    Same,
    /// The SAME padding amounts, filled by wrapping around (periodic signals).
    Circular,
}

/// A fully-connected layer on the channel axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dense {
    /// Output channels (the finite width).
    pub out: usize,
    /// σ_w.
    pub w_std: f64,
    /// σ_b; `None` means no bias parameters.
    #[serde(default)]
    pub b_std: Option<f64>,
}

/// A convolution over the spatial axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv {
    /// Output channels.
    pub out: usize,
    /// The filter's size along each spatial axis.
    pub filter: Vec<usize>,
    /// The stride along each spatial axis (default 1).
    #[serde(default)]
    pub stride: Option<Vec<usize>>,
    /// Border handling (default `valid`).
    #[serde(default)]
    pub padding: Padding,
    /// σ_w.
    pub w_std: f64,
    /// σ_b; `None` means no bias parameters.
    #[serde(default)]
    pub b_std: Option<f64>,
}

/// Average pooling over the spatial axes (NT's `AvgPool` with
/// `normalize_edges=False`: a window is divided by its full size, padding included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvgPool {
    /// The window's size along each spatial axis.
    pub window: Vec<usize>,
    /// The stride (default: the window).
    #[serde(default)]
    pub stride: Option<Vec<usize>>,
    /// Border handling (default `valid`).
    #[serde(default)]
    pub padding: Padding,
}

/// Global softmax self-attention over every spatial position (the tokens), as
/// neural-tangents' `GlobalSelfAttention` (Hron et al. 2020, arXiv:2006.10540), with
/// its parameterization: for an input X (P positions × C_in channels) and each head
/// h = 1…H, with standard-normal weights,
///
/// - keys K_h = X W_K^h, values V_h = X W_V^h (C_in × d_k, C_in × d_v);
/// - `linear_scaling: true`: the queries are the keys (W_Q tied to W_K) and the
///   logits are S_h = σ_Q σ_K·K_h K_hᵀ/(C_in·d_k);
/// - `linear_scaling: false`: queries Q_h = X W_Q^h of their own and
///   S_h = σ_Q σ_K·Q_h K_hᵀ/(C_in·√d_k) (the usual 1/√d_k scaling);
/// - A_h = softmax of each row of S_h, heads A_h V_h concatenated (P × H·d_v);
/// - out = σ_O σ_V/√(H·d_v·C_in)·[A_1V_1 … A_HV_H]·W_O + σ_b·b.
///
/// The layer always uses this NTK-style parameterization (as NT does), whatever the
/// network's. Its infinite-width limit (d_k, d_v, H·d_v → ∞ with H fixed or growing)
/// exists in closed form for the linear scaling only: the logits then concentrate
/// to σ_Qσ_K·K(x, x)[i, j], so the attention weights become deterministic (see
/// [`analytic`]). With 1/√d_k the logits stay Gaussian and random at any width, and
/// the limit is not a kernel of this closed form (Hron et al. 2020, §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attention {
    /// Output channels C_out.
    pub out: usize,
    /// Number of heads H.
    #[serde(default = "one")]
    pub heads: usize,
    /// Key/query channels per head d_k (default: `out`).
    #[serde(default)]
    pub key: Option<usize>,
    /// Value channels per head d_v (default: `out`).
    #[serde(default)]
    pub value: Option<usize>,
    /// 1/d_k with tied queries and keys (true, the default: the analytic limit
    /// exists), or 1/√d_k with independent queries (false).
    #[serde(default = "yes")]
    pub linear_scaling: bool,
    /// σ_K.
    #[serde(default = "unit")]
    pub w_key_std: f64,
    /// σ_Q.
    #[serde(default = "unit")]
    pub w_query_std: f64,
    /// σ_V.
    #[serde(default = "unit")]
    pub w_value_std: f64,
    /// σ_O.
    #[serde(default = "unit")]
    pub w_out_std: f64,
    /// σ_b; `None` means no bias.
    #[serde(default)]
    pub b_std: Option<f64>,
}

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}
fn unit() -> f64 {
    1.0
}

impl Attention {
    /// d_k.
    pub fn key_channels(&self) -> usize {
        self.key.unwrap_or(self.out)
    }
    /// d_v.
    pub fn value_channels(&self) -> usize {
        self.value.unwrap_or(self.out)
    }
    /// σ_Q σ_K, the only way the query and key scales enter.
    pub fn qk_std(&self) -> f64 {
        self.w_query_std * self.w_key_std
    }
    /// σ_O σ_V, the only way the value and output scales enter.
    pub fn ov_std(&self) -> f64 {
        self.w_out_std * self.w_value_std
    }
    /// The number of trainable parameters for `c_in` input channels.
    pub fn params(&self, c_in: usize) -> usize {
        let (h, dk, dv) = (self.heads, self.key_channels(), self.value_channels());
        let qk = if self.linear_scaling { 1 } else { 2 };
        h.saturating_mul(c_in)
            .saturating_mul(dk.saturating_mul(qk).saturating_add(dv))
            .saturating_add(h.saturating_mul(dv).saturating_mul(self.out))
            .saturating_add(self.b_std.map_or(0, |_| self.out))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NoParams {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResidualParams {
    branch: Vec<Layer>,
}

/// One layer of a network.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Dense on the channel axis.
    Dense(Dense),
    /// An elementwise activation.
    Activation(Activation),
    /// Convolution.
    Conv(Conv),
    /// Average pooling.
    AvgPool(AvgPool),
    /// The mean over every spatial position.
    GlobalAvgPool,
    /// Spatial positions × channels → one channel axis.
    Flatten,
    /// Normalisation over the channel axis at each position (NT's
    /// `LayerNorm(axis=-1)`).
    LayerNorm,
    /// `x + branch(x)`.
    Residual(Vec<Layer>),
    /// Global self-attention over the spatial positions.
    Attention(Attention),
    /// A Kolmogorov–Arnold layer on the channel axis.
    Kan(Kan),
}

/// The layer kinds, as JSON keys.
pub const KINDS: [&str; 10] = [
    "dense",
    "activation",
    "conv",
    "avg_pool",
    "global_avg_pool",
    "flatten",
    "layer_norm",
    "residual",
    "attention",
    "kan",
];

impl<'de> Deserialize<'de> for Layer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        let kinds: Vec<&str> = KINDS
            .iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect();
        let kind = match kinds.as_slice() {
            [k] => *k,
            [] => {
                return Err(D::Error::custom(format!(
                    "a layer is an object with one of the keys {}; got {{{}}}",
                    KINDS.join(", "),
                    map.keys().cloned().collect::<Vec<_>>().join(", ")
                )))
            }
            many => {
                return Err(D::Error::custom(format!(
                    "a layer has exactly one kind; this one has {}",
                    many.join(" and ")
                )))
            }
        };
        if kind == "activation" {
            // Its parameters are extra fields beside the name.
            return serde_json::from_value::<Activation>(Value::Object(map))
                .map(Layer::Activation)
                .map_err(D::Error::custom);
        }
        if map.len() > 1 {
            let extra: Vec<&String> = map.keys().filter(|k| *k != kind).collect();
            return Err(D::Error::custom(format!(
                "unknown key {:?} beside \"{kind}\" (its parameters go inside it)",
                extra[0]
            )));
        }
        let inner = map.get(kind).cloned().unwrap_or(Value::Null);
        let err = |e: serde_json::Error| D::Error::custom(format!("{kind}: {e}"));
        Ok(match kind {
            "dense" => Layer::Dense(serde_json::from_value(inner).map_err(err)?),
            "conv" => Layer::Conv(serde_json::from_value(inner).map_err(err)?),
            "avg_pool" => Layer::AvgPool(serde_json::from_value(inner).map_err(err)?),
            "attention" => Layer::Attention(serde_json::from_value(inner).map_err(err)?),
            "kan" => Layer::Kan(serde_json::from_value(inner).map_err(err)?),
            "residual" => {
                let p: ResidualParams = serde_json::from_value(inner).map_err(err)?;
                Layer::Residual(p.branch)
            }
            other => {
                serde_json::from_value::<NoParams>(inner).map_err(err)?;
                match other {
                    "global_avg_pool" => Layer::GlobalAvgPool,
                    "flatten" => Layer::Flatten,
                    _ => Layer::LayerNorm,
                }
            }
        })
    }
}

impl Serialize for Layer {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let one = |k: &str, v: Value| {
            let mut m = Map::new();
            m.insert(k.to_string(), v);
            Value::Object(m)
        };
        let to = |v: std::result::Result<Value, serde_json::Error>| v.map_err(S::Error::custom);
        let value = match self {
            Layer::Dense(p) => one("dense", to(serde_json::to_value(p))?),
            Layer::Activation(a) => to(serde_json::to_value(a))?,
            Layer::Conv(p) => one("conv", to(serde_json::to_value(p))?),
            Layer::AvgPool(p) => one("avg_pool", to(serde_json::to_value(p))?),
            Layer::Attention(p) => one("attention", to(serde_json::to_value(p))?),
            Layer::Kan(p) => one("kan", to(serde_json::to_value(p))?),
            Layer::GlobalAvgPool => one("global_avg_pool", Value::Object(Map::new())),
            Layer::Flatten => one("flatten", Value::Object(Map::new())),
            Layer::LayerNorm => one("layer_norm", Value::Object(Map::new())),
            Layer::Residual(b) => one(
                "residual",
                to(serde_json::to_value(ResidualParams { branch: b.clone() }))?,
            ),
        };
        value.serialize(s)
    }
}

/// A network as a list of layers, with its parameterization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerNetwork {
    /// The layers, input first.
    pub layers: Vec<Layer>,
    /// NTK or standard parameterization, for every dense and conv layer.
    #[serde(default)]
    pub parameterization: Parameterization,
}

/// The shape of one input as it flows through the network: its spatial axes and its
/// channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Sizes of the spatial axes (empty for vectors).
    pub spatial: Vec<usize>,
    /// Channels (the last axis).
    pub channels: usize,
}

impl Shape {
    /// The number of spatial positions (1 for vectors).
    pub fn positions(&self) -> usize {
        self.spatial.iter().product()
    }
}

fn layer_err(path: &str, message: impl Into<String>) -> NtkError {
    NtkError::Layer {
        path: path.to_string(),
        message: message.into(),
    }
}

fn check_std(path: &str, name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(layer_err(
            path,
            format!("{name} must be a finite number ≥ 0, got {v}"),
        ))
    }
}

fn check_size(path: &str, name: &str, v: usize) -> Result<()> {
    if (1..=MAX_SIZE).contains(&v) {
        Ok(())
    } else {
        Err(layer_err(
            path,
            format!("{name} must be between 1 and {MAX_SIZE}, got {v}"),
        ))
    }
}

/// Per output position, the input position under each window offset (`None` in
/// the zero padding).
pub(crate) type Taps = Vec<Vec<Option<usize>>>;

/// One spatial axis of a convolution or pooling window: for each output position,
/// the input position under each window offset (`None` in the zero padding).
#[derive(Debug, Clone)]
pub(crate) struct AxisTaps {
    pub out: usize,
    pub taps: Taps,
}

/// The window offsets of one axis (NT's / TensorFlow's padding conventions, see
/// [`Padding`]).
pub(crate) fn axis_taps(
    path: &str,
    input: usize,
    window: usize,
    stride: usize,
    padding: Padding,
) -> Result<AxisTaps> {
    let (out, before) = match padding {
        Padding::Valid => {
            if window > input {
                return Err(layer_err(
                    path,
                    format!(
                        "a window of {window} does not fit an axis of {input} with valid padding"
                    ),
                ));
            }
            ((input - window) / stride + 1, 0)
        }
        Padding::Same | Padding::Circular => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + window).saturating_sub(input);
            (out, total / 2)
        }
    };
    let taps = (0..out)
        .map(|o| {
            (0..window)
                .map(|k| {
                    let i = (o * stride + k) as isize - before as isize;
                    match padding {
                        Padding::Circular => Some(i.rem_euclid(input as isize) as usize),
                        _ => (0..input as isize).contains(&i).then_some(i as usize),
                    }
                })
                .collect()
        })
        .collect();
    Ok(AxisTaps { out, taps })
}

/// Several axes at once, flattened row-major: for each output position (row-major over
/// the output's spatial axes), the input position (row-major) under each window offset
/// (row-major over the window).
pub(crate) fn window_taps(
    path: &str,
    spatial: &[usize],
    window: &[usize],
    stride: &[usize],
    padding: Padding,
) -> Result<(Vec<usize>, Taps)> {
    let axes = spatial
        .iter()
        .zip(window)
        .zip(stride)
        .map(|((&i, &w), &s)| axis_taps(path, i, w, s, padding))
        .collect::<Result<Vec<_>>>()?;
    let out: Vec<usize> = axes.iter().map(|a| a.out).collect();
    let n_out: usize = out.iter().product();
    let n_win: usize = window.iter().product();
    let mut taps = Vec::with_capacity(n_out);
    for o in 0..n_out {
        // Unravel o over the output axes and each window offset over the window axes.
        let mut row = Vec::with_capacity(n_win);
        for k in 0..n_win {
            let (mut oo, mut kk) = (o, k);
            let mut idx = Some(0usize);
            // Row-major: the last axis varies fastest, so unravel from the end.
            let mut coords = vec![(0usize, 0usize); axes.len()];
            for a in (0..axes.len()).rev() {
                coords[a] = (oo % out[a], kk % window[a]);
                oo /= out[a];
                kk /= window[a];
            }
            for (a, &(oa, ka)) in coords.iter().enumerate() {
                idx = match (idx, axes[a].taps[oa][ka]) {
                    (Some(acc), Some(i)) => Some(acc * spatial[a] + i),
                    _ => None,
                };
            }
            row.push(idx);
        }
        taps.push(row);
    }
    Ok((out, taps))
}

fn per_axis(
    path: &str,
    name: &str,
    v: &Option<Vec<usize>>,
    default: &[usize],
) -> Result<Vec<usize>> {
    let v = v.clone().unwrap_or_else(|| default.to_vec());
    if v.len() != default.len() {
        return Err(layer_err(
            path,
            format!(
                "{name} has {} entries, but the window has {} axes",
                v.len(),
                default.len()
            ),
        ));
    }
    for &s in &v {
        check_size(path, name, s)?;
    }
    Ok(v)
}

/// The stride of a conv layer, one entry per filter axis.
pub(crate) fn conv_stride(path: &str, c: &Conv) -> Result<Vec<usize>> {
    per_axis(path, "stride", &c.stride, &vec![1; c.filter.len()])
}

/// The stride of a pooling layer, one entry per window axis.
pub(crate) fn pool_stride(path: &str, p: &AvgPool) -> Result<Vec<usize>> {
    per_axis(path, "stride", &p.stride, &p.window)
}

impl LayerNetwork {
    /// Check every layer's parameters and that the list fits inputs of `input`
    /// shape; returns the output shape. Errors name the layer (`layers[3].conv`).
    pub fn output_shape(&self, input: &Shape) -> Result<Shape> {
        let mut count = 0;
        let start = Flow {
            gaussian: false,
            fresh: false,
        };
        walk_shape(&self.layers, input.clone(), start, "layers", &mut count).map(|(s, _)| s)
    }

    /// Whether the analytic kernel needs the covariance of every pair of spatial
    /// positions, or only of equal positions (see [`analytic`]).
    pub fn needs_full_covariance(&self) -> bool {
        fn any(layers: &[Layer]) -> bool {
            layers.iter().any(|l| match l {
                Layer::AvgPool(_) | Layer::GlobalAvgPool | Layer::Attention(_) => true,
                Layer::Residual(b) => any(b),
                _ => false,
            })
        }
        any(&self.layers)
    }
}

/// What the infinite-width kernel knows of a layer's output besides its covariance.
///
/// The dual kernels of an activation hold for Gaussian pre-activations, and a sum's
/// covariance is the sum of the covariances only for uncorrelated summands. So:
/// - `gaussian`: the output of a dense or conv layer, and of linear maps of it
///   (pooling, flatten, layer_norm — whose normaliser concentrates to a constant), and
///   of a residual block; not the input data, nor an activation's output;
/// - `fresh`: made by weights drawn after the start of the enclosing residual branch
///   (a dense or conv layer with only pooling, flatten or layer_norm after it), hence
///   uncorrelated with the branch's input.
///
/// An activation needs a Gaussian input; a residual block needs a Gaussian input and
/// a Gaussian, fresh branch output — the pre-activation blocks of neural-tangents'
/// `FanOut → parallel(branch, Identity) → FanInSum`, whose `FanInSum` also needs
/// Gaussian summands. Anything else is refused in words rather than computed wrong.
#[derive(Debug, Clone, Copy)]
struct Flow {
    gaussian: bool,
    fresh: bool,
}

fn walk_shape(
    layers: &[Layer],
    mut shape: Shape,
    mut flow: Flow,
    prefix: &str,
    count: &mut usize,
) -> Result<(Shape, Flow)> {
    for (i, layer) in layers.iter().enumerate() {
        *count += 1;
        if *count > MAX_LAYERS {
            return Err(layer_err(prefix, format!("more than {MAX_LAYERS} layers")));
        }
        let path = format!("{prefix}[{i}].{}", kind_name(layer));
        shape = match layer {
            Layer::Dense(d) => {
                check_size(&path, "out", d.out)?;
                check_std(&path, "w_std", d.w_std)?;
                if let Some(b) = d.b_std {
                    check_std(&path, "b_std", b)?;
                }
                Shape {
                    spatial: shape.spatial,
                    channels: d.out,
                }
            }
            Layer::Activation(a) => {
                a.validate()?;
                if !flow.gaussian {
                    return Err(layer_err(
                        &path,
                        "an activation needs Gaussian pre-activations: put a dense or conv layer before it (the input data and an activation's output are not Gaussian)",
                    ));
                }
                flow = Flow {
                    gaussian: false,
                    fresh: false,
                };
                shape
            }
            Layer::Conv(c) => {
                check_size(&path, "out", c.out)?;
                check_std(&path, "w_std", c.w_std)?;
                if let Some(b) = c.b_std {
                    check_std(&path, "b_std", b)?;
                }
                spatial_rank(&path, "filter", c.filter.len(), &shape)?;
                for &f in &c.filter {
                    check_size(&path, "filter", f)?;
                }
                let stride = conv_stride(&path, c)?;
                let out = shape
                    .spatial
                    .iter()
                    .zip(&c.filter)
                    .zip(&stride)
                    .map(|((&n, &f), &s)| axis_taps(&path, n, f, s, c.padding).map(|a| a.out))
                    .collect::<Result<Vec<_>>>()?;
                Shape {
                    spatial: out,
                    channels: c.out,
                }
            }
            Layer::AvgPool(p) => {
                spatial_rank(&path, "window", p.window.len(), &shape)?;
                for &w in &p.window {
                    check_size(&path, "window", w)?;
                }
                let stride = pool_stride(&path, p)?;
                let out = shape
                    .spatial
                    .iter()
                    .zip(&p.window)
                    .zip(&stride)
                    .map(|((&n, &w), &s)| axis_taps(&path, n, w, s, p.padding).map(|a| a.out))
                    .collect::<Result<Vec<_>>>()?;
                Shape {
                    spatial: out,
                    channels: shape.channels,
                }
            }
            Layer::GlobalAvgPool => {
                if shape.spatial.is_empty() {
                    return Err(layer_err(&path, "the input has no spatial axes to pool"));
                }
                Shape {
                    spatial: vec![],
                    channels: shape.channels,
                }
            }
            Layer::Flatten => Shape {
                channels: shape.channels.saturating_mul(shape.positions()),
                spatial: vec![],
            },
            Layer::LayerNorm => shape,
            Layer::Attention(a) => {
                check_size(&path, "out", a.out)?;
                check_size(&path, "heads", a.heads)?;
                check_size(&path, "key", a.key_channels())?;
                check_size(&path, "value", a.value_channels())?;
                for (name, v) in [
                    ("w_key_std", a.w_key_std),
                    ("w_query_std", a.w_query_std),
                    ("w_value_std", a.w_value_std),
                    ("w_out_std", a.w_out_std),
                ] {
                    check_std(&path, name, v)?;
                }
                if let Some(b) = a.b_std {
                    check_std(&path, "b_std", b)?;
                }
                if shape.spatial.is_empty() {
                    return Err(layer_err(
                        &path,
                        "attention needs tokens: inputs with a spatial (sequence) axis, n × tokens × features",
                    ));
                }
                Shape {
                    spatial: shape.spatial,
                    channels: a.out,
                }
            }
            Layer::Kan(k) => {
                check_size(&path, "out", k.out)?;
                if let Some(problem) = k.problem() {
                    return Err(layer_err(&path, problem));
                }
                // Its input is the raw data (first layer: the kernel is exact there) or
                // Gaussian (a previous layer of infinite width).
                if !(flow.gaussian || (*count == 1 && prefix == "layers")) {
                    return Err(layer_err(
                        &path,
                        "a KAN layer takes the raw inputs (as the first layer) or Gaussian pre-activations (after a dense, conv, attention or KAN layer); an activation's output is neither",
                    ));
                }
                Shape {
                    spatial: shape.spatial,
                    channels: k.out,
                }
            }
            Layer::Residual(branch) => {
                let (out, inner) = walk_shape(
                    branch,
                    shape.clone(),
                    Flow {
                        gaussian: flow.gaussian,
                        fresh: false,
                    },
                    &format!("{path}.branch"),
                    count,
                )?;
                if out != shape {
                    return Err(layer_err(
                        &path,
                        format!(
                            "the branch maps shape {:?}×{} to {:?}×{}; a residual block needs the same shape to add",
                            shape.spatial, shape.channels, out.spatial, out.channels
                        ),
                    ));
                }
                if !flow.gaussian {
                    return Err(layer_err(
                        &path,
                        "a residual block's input must be Gaussian (the output of a dense or conv layer): put the activation inside the branch (a pre-activation block)",
                    ));
                }
                if !(inner.gaussian && inner.fresh) {
                    return Err(layer_err(
                        &path,
                        "the branch must end with a dense or conv layer (only pooling, flatten or layer_norm after it), so that what it adds is Gaussian and uncorrelated with the block's input",
                    ));
                }
                // The sum is Gaussian; it is fresh if the block's input was.
                out
            }
        };
        if let Layer::Dense(_) | Layer::Conv(_) | Layer::Attention(_) | Layer::Kan(_) = layer {
            flow = Flow {
                gaussian: true,
                fresh: true,
            };
        }
    }
    Ok((shape, flow))
}

fn spatial_rank(path: &str, name: &str, rank: usize, shape: &Shape) -> Result<()> {
    if rank == shape.spatial.len() && rank > 0 {
        Ok(())
    } else {
        Err(layer_err(
            path,
            format!(
                "{name} has {rank} axes, but the input here has {} spatial axes",
                shape.spatial.len()
            ),
        ))
    }
}

/// The JSON key of a layer's kind.
pub fn kind_name(layer: &Layer) -> &'static str {
    match layer {
        Layer::Dense(_) => "dense",
        Layer::Activation(_) => "activation",
        Layer::Conv(_) => "conv",
        Layer::AvgPool(_) => "avg_pool",
        Layer::GlobalAvgPool => "global_avg_pool",
        Layer::Flatten => "flatten",
        Layer::LayerNorm => "layer_norm",
        Layer::Residual(_) => "residual",
        Layer::Attention(_) => "attention",
        Layer::Kan(_) => "kan",
    }
}
