//! The analytic (infinite-width) NNGP kernel K and NTK Θ of deep fully-connected
//! networks, with google/neural-tangents' conventions, as Gram matrices.
//!
//! A network of `depth` = L hidden layers is `Dense → φ → … → Dense → φ → Dense(1)`
//! (L + 1 dense layers, L activations). For a pair of inputs x, x' ∈ ℝᵈ:
//!
//! - input: K⁰ = ⟨x, x'⟩ / d, Θ⁰ = 0;
//! - `Dense`, NTK parameterization: K ← σ_w² K + σ_b², then Θ ← K + σ_w² Θ;
//! - `Dense`, standard parameterization (Sohl-Dickstein et al. 2020, arXiv:2001.07301):
//!   Θ ← n_in·K + σ_w² Θ (+ 1 with bias parameters), then K ← σ_w² K + σ_b², where
//!   n_in is the layer's input width (d for the first layer, `width` after it);
//! - activation φ: K ← 𝔼[φ(u) φ(v)], Θ ← 𝔼[φ'(u) φ'(v)] · Θ, with
//!   (u, v) ~ N(0, [[K(x,x), K(x,x')], [K(x,x'), K(x',x')]]) ([`crate::activation`]).
//!
//! References: Jacot, Gabriel & Hongler 2018 (arXiv:1806.07572); Lee et al. 2018
//! (arXiv:1711.00165) and 2019 (arXiv:1902.06720); Arora et al. 2019 (arXiv:1904.11955);
//! Novak et al. 2020, Neural Tangents (arXiv:1912.02803).
//!
//! ## How it is computed
//! The variances K(x,x) of each input are computed once per input and layer. The pair
//! recursion then carries only K(x,x') and Θ(x,x'), for a chunk of pairs at a time, one
//! layer after the other, in loops without branches or library calls (the arccos is
//! [`crate::fastmath::acos`]). The compiler vectorises them: natively for AVX-512 or
//! AVX2 with runtime dispatch (`multiversion`), and rows are spread over threads
//! (rayon); on wasm32 with simd128, on one thread. K(X, X) computes the upper triangle
//! and mirrors it. Identical inputs take the exact θ = 0 path, so the diagonal carries
//! no arccos round-off.

use multiversion::multiversion;
use serde::{Deserialize, Serialize};

use crate::activation::quadrature::{series_dual, GradedRule, HermiteExpansion, HERMITE_TERMS};
use crate::activation::{relu, Activation, Dual};
use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// The deepest network the analytic recursion accepts.
pub const MAX_DEPTH: usize = 100;
/// The widest layer the standard parameterization accepts.
pub const MAX_WIDTH: usize = 1 << 24;

/// How the network's weights are scaled (neural-tangents' `parameterization`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameterization {
    /// z = (σ_w/√n_in) W x + σ_b b with W, b ~ N(0, 1) (Jacot et al. 2018).
    #[default]
    Ntk,
    /// z = W x + b with W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²); the NTK depends on the
    /// widths.
    Standard,
}

/// A fully-connected network as the analytic kernel sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FcNetwork {
    /// Number of hidden layers L (0 = a linear readout).
    pub depth: usize,
    /// The activation of every hidden layer.
    #[serde(flatten)]
    pub activation: Activation,
    /// σ_w, the weight standard deviation (`W_std`).
    pub w_std: f64,
    /// σ_b, the bias standard deviation; `None` (JSON `null`) means no bias parameters.
    pub b_std: Option<f64>,
    /// NTK or standard parameterization.
    #[serde(default)]
    pub parameterization: Parameterization,
    /// The hidden layers' width: needed by the standard parameterization only.
    #[serde(default)]
    pub width: Option<usize>,
}

impl FcNetwork {
    /// A ReLU network in the NTK parameterization.
    pub fn relu(depth: usize, w_std: f64, b_std: Option<f64>) -> Self {
        FcNetwork {
            depth,
            activation: Activation::Relu,
            w_std,
            b_std,
            parameterization: Parameterization::Ntk,
            width: None,
        }
    }

    /// The same network with another activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Check every parameter: depth 0..=100, finite non-negative standard deviations,
    /// the activation's parameters, a width for the standard parameterization.
    pub fn validate(&self) -> Result<()> {
        if self.depth > MAX_DEPTH {
            return Err(NtkError::OutOfRange {
                field: "depth",
                expected: "between 0 and 100",
                value: self.depth as f64,
            });
        }
        check_std("w_std", self.w_std)?;
        if let Some(b) = self.b_std {
            check_std("b_std", b)?;
        }
        self.activation.validate()?;
        if self.parameterization == Parameterization::Standard {
            match self.width {
                None => {
                    return Err(NtkError::Missing {
                        field: "width",
                        context: "for the standard parameterization",
                    })
                }
                Some(w) if w == 0 || w > MAX_WIDTH => {
                    return Err(NtkError::OutOfRange {
                        field: "width",
                        expected: "between 1 and 16777216",
                        value: w as f64,
                    })
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

fn check_std(field: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(NtkError::OutOfRange {
            field,
            expected: "a finite number ≥ 0",
            value,
        })
    }
}

fn check_inputs(field: &'static str, x: &Matrix) -> Result<()> {
    if x.rows() == 0 || x.cols() == 0 {
        return Err(NtkError::Empty { field });
    }
    match x.as_slice().iter().position(|v| !v.is_finite()) {
        Some(index) => Err(NtkError::NonFinite { field, index }),
        None => Ok(()),
    }
}

/// K and Θ of one pair of inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelValue {
    /// K(x, x'), the covariance of the random network's outputs at init.
    pub nngp: f64,
    /// Θ(x, x'), the neural tangent kernel.
    pub ntk: f64,
}

/// The NNGP and NTK Gram matrices, n₁ × n₂.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kernels {
    /// K(X₁, X₂).
    pub nngp: Matrix,
    /// Θ(X₁, X₂).
    pub ntk: Matrix,
}

/// How each activation's dual kernel is evaluated inside the pair loops.
#[derive(Debug, Clone)]
pub(crate) enum DualKind {
    AbRelu { a: f64, b: f64 },
    Erf,
    Gelu,
    Trig { cos_2c: f64 },
    Identity,
    Quadrature { rule: GradedRule, act: Activation },
}

impl DualKind {
    pub(crate) fn new(act: Activation) -> Result<Self> {
        Ok(match act {
            Activation::Erf => DualKind::Erf,
            Activation::Gelu => DualKind::Gelu,
            Activation::Sin => DualKind::Trig { cos_2c: 1.0 },
            Activation::Cos => DualKind::Trig { cos_2c: -1.0 },
            Activation::Identity => DualKind::Identity,
            other => match other.abrelu_slopes() {
                Some((a, b)) => DualKind::AbRelu { a, b },
                None => DualKind::Quadrature {
                    rule: GradedRule::default(),
                    act: other,
                },
            },
        })
    }

    #[inline(always)]
    pub(crate) fn dual(&self, k12: f64, v1: f64, v2: f64) -> Dual {
        match self {
            DualKind::AbRelu { a, b } => relu::dual(*a, *b, k12, v1, v2),
            DualKind::Erf => crate::activation::erf::dual(k12, v1, v2),
            DualKind::Gelu => crate::activation::gelu::dual(k12, v1, v2),
            DualKind::Trig { cos_2c } => crate::activation::trig::dual(k12, v1, v2, *cos_2c),
            DualKind::Identity => Dual {
                nngp: k12,
                dot: 1.0,
            },
            DualKind::Quadrature { rule, act } => rule.dual(act, k12, v1, v2),
        }
    }

    /// 𝔼[φ(u)²] for u ~ N(0, v): the next variance. Computed by the very path that a
    /// pair of identical inputs takes (ρ = 1), so that their k₁₂ equals this variance
    /// to the last bit at every layer and ρ stays exactly 1 (a kinked φ' makes
    /// 𝔼[φ'φ'] move like √(1 − ρ²) there).
    fn diag(&self, v: f64) -> f64 {
        self.dual(v, v, v).nngp
    }
}

/// Everything the pair loops need, fixed for one network and input dimension.
struct Plan {
    depth: usize,
    w_var: f64,
    b_var: f64,
    standard: bool,
    /// Standard parameterization: 1 if there are bias parameters.
    bias_one: f64,
    /// n_in of each dense layer (depth + 1 of them).
    fan_in: Vec<f64>,
    kind: DualKind,
    dim: f64,
}

impl Plan {
    fn new(net: &FcNetwork, dim: usize) -> Result<Self> {
        net.validate()?;
        let width = net.width.unwrap_or(1) as f64;
        Ok(Plan {
            depth: net.depth,
            w_var: net.w_std * net.w_std,
            b_var: net.b_std.map_or(0.0, |b| b * b),
            standard: net.parameterization == Parameterization::Standard,
            bias_one: if net.b_std.is_some() { 1.0 } else { 0.0 },
            fan_in: (0..=net.depth)
                .map(|l| if l == 0 { dim as f64 } else { width })
                .collect(),
            kind: DualKind::new(net.activation)?,
            dim: dim as f64,
        })
    }

    /// Pre-activation variances K(x,x) of every input at every hidden layer, laid out
    /// layer-major: `out[l * n + i]`. Errors if a variance overflows.
    fn variances(&self, x: &Matrix) -> Result<Vec<f64>> {
        Ok(self.output_variances(x)?.0)
    }

    /// The hidden layers' variances (layer-major, as [`Plan::variances`]) and the
    /// output's K(x, x) of every input.
    fn output_variances(&self, x: &Matrix) -> Result<(Vec<f64>, Vec<f64>)> {
        let n = x.rows();
        let mut out = vec![0.0; self.depth * n];
        let mut output = vec![0.0; n];
        for i in 0..n {
            let row = x.row(i);
            let mut v = row.iter().map(|a| a * a).sum::<f64>() / self.dim;
            for l in 0..self.depth {
                v = self.w_var * v + self.b_var;
                if !v.is_finite() {
                    return Err(NtkError::Overflow { layer: l, value: v });
                }
                out[l * n + i] = v;
                v = self.kind.diag(v);
            }
            let last = self.w_var * v + self.b_var;
            if !last.is_finite() {
                return Err(NtkError::Overflow {
                    layer: self.depth,
                    value: last,
                });
            }
            output[i] = last;
        }
        Ok((out, output))
    }

    fn has_quadrature(&self) -> bool {
        matches!(self.kind, DualKind::Quadrature { .. })
    }

    /// For activations computed by quadrature: the Hermite expansion of φ at every
    /// input's variance of every layer (layer-major, like `variances`), so that pairs
    /// of moderate correlation take Mehler's series instead of the nested rule.
    fn expansions(&self, variances: &[f64]) -> Option<Vec<HermiteExpansion>> {
        let DualKind::Quadrature { rule, act } = &self.kind else {
            return None;
        };
        let one = |v: &f64| rule.hermite(act, *v);
        #[cfg(not(target_arch = "wasm32"))]
        {
            use rayon::prelude::*;
            Some(variances.par_iter().map(one).collect())
        }
        #[cfg(target_arch = "wasm32")]
        {
            Some(variances.iter().map(one).collect())
        }
    }

    /// One dense layer on a chunk of pairs.
    #[inline(always)]
    fn dense(&self, layer: usize, k12: &mut [f64], ntk: &mut [f64]) {
        let (w, b) = (self.w_var, self.b_var);
        if self.standard {
            let (n_in, one) = (self.fan_in[layer], self.bias_one);
            for (k, t) in k12.iter_mut().zip(ntk.iter_mut()) {
                *t = n_in * *k + w * *t + one;
                *k = w * *k + b;
            }
        } else {
            for (k, t) in k12.iter_mut().zip(ntk.iter_mut()) {
                *k = w * *k + b;
                *t = *k + w * *t;
            }
        }
    }
}

/// Pairs per chunk: long enough for vector loops, short enough to stay in L1.
const CHUNK: usize = 128;

/// One activation on a chunk of pairs, with the row's variance `v1` and the columns'
/// variances `v2`. One loop per kind, so that each is vectorised on its own.
#[inline(always)]
fn activate(kind: &DualKind, v1: f64, v2: &[f64], k12: &mut [f64], ntk: &mut [f64]) {
    macro_rules! each {
        (|$k:ident, $vb:ident| $dual:expr) => {
            for ((kk, t), &$vb) in k12.iter_mut().zip(ntk.iter_mut()).zip(v2) {
                let $k = *kk;
                let d: Dual = $dual;
                *kk = d.nngp;
                *t *= d.dot;
            }
        };
    }
    match kind {
        DualKind::AbRelu { a, b } => {
            let (a, b) = (*a, *b);
            each!(|k, vb| relu::dual(a, b, k, v1, vb))
        }
        DualKind::Erf => each!(|k, vb| crate::activation::erf::dual(k, v1, vb)),
        DualKind::Gelu => each!(|k, vb| crate::activation::gelu::dual(k, v1, vb)),
        DualKind::Trig { cos_2c } => {
            let c = *cos_2c;
            each!(|k, vb| crate::activation::trig::dual(k, v1, vb, c))
        }
        DualKind::Identity => {}
        DualKind::Quadrature { rule, act } => each!(|k, vb| rule.dual(act, k, v1, vb)),
    }
}

/// The pair recursion for row `xi` against columns `j0..j0 + out.len()` of X₂.
/// `x2t` is X₂ transposed (d × n₂), `v1` the row's variances per layer, `v2` the
/// columns' (layer-major, n₂ per layer).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512dq+avx2+fma", "x86_64+avx2+fma",))]
#[allow(clippy::too_many_arguments)]
fn row_block(
    plan: &Plan,
    xi: &[f64],
    v1: &[f64],
    x2t: &[f64],
    v2: &[f64],
    n2: usize,
    j0: usize,
    out_nngp: &mut [f64],
    out_ntk: &mut [f64],
    herm: Option<(&[&HermiteExpansion], &[HermiteExpansion])>,
) {
    let mut k12 = [0.0f64; CHUNK];
    let mut ntk = [0.0f64; CHUNK];
    let mut start = 0;
    while start < out_nngp.len() {
        let m = CHUNK.min(out_nngp.len() - start);
        let (k12, ntk) = (&mut k12[..m], &mut ntk[..m]);
        let col = j0 + start;
        k12.fill(0.0);
        ntk.fill(0.0);
        for (c, &a) in xi.iter().enumerate() {
            let xs = &x2t[c * n2 + col..c * n2 + col + m];
            for (k, &b) in k12.iter_mut().zip(xs) {
                *k += a * b;
            }
        }
        // Divided (not multiplied by 1/d), exactly as in `variances`, so that identical
        // inputs give k₁₂ = K(x, x) to the last bit for every d.
        for k in k12.iter_mut() {
            *k /= plan.dim;
        }
        for layer in 0..plan.depth {
            plan.dense(layer, k12, ntk);
            let vb = &v2[layer * n2 + col..layer * n2 + col + m];
            match (herm, &plan.kind) {
                (Some((h1, h2)), DualKind::Quadrature { rule, act }) => {
                    // Mehler's series where its error bound allows, else the nested rule.
                    let hr = h1[layer];
                    let hc = &h2[layer * n2 + col..layer * n2 + col + m];
                    let va = v1[layer];
                    for (((kk, t), &vbj), hj) in k12.iter_mut().zip(ntk.iter_mut()).zip(vb).zip(hc)
                    {
                        let norm = (va.max(0.0) * vbj.max(0.0)).sqrt();
                        let rho = if norm > 0.0 {
                            (*kk / norm).clamp(-1.0, 1.0)
                        } else {
                            0.0
                        };
                        let d = series_dual(hr, hj, rho)
                            .unwrap_or_else(|| rule.dual(act, *kk, va, vbj));
                        *kk = d.nngp;
                        *t *= d.dot;
                    }
                }
                _ => activate(&plan.kind, v1[layer], vb, k12, ntk),
            }
        }
        plan.dense(plan.depth, k12, ntk);
        out_nngp[start..start + m].copy_from_slice(k12);
        out_ntk[start..start + m].copy_from_slice(ntk);
        start += m;
    }
}

fn transpose(x: &Matrix) -> Vec<f64> {
    let (n, d) = (x.rows(), x.cols());
    let mut t = vec![0.0; n * d];
    for i in 0..n {
        for (c, &v) in x.row(i).iter().enumerate() {
            t[c * n + i] = v;
        }
    }
    t
}

/// Run `f(i, nngp_row, ntk_row)` for every row, in parallel natively.
fn for_each_row(
    nngp: &mut [f64],
    ntk: &mut [f64],
    cols: usize,
    f: impl Fn(usize, &mut [f64], &mut [f64]) + Sync + Send,
) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        nngp.par_chunks_mut(cols)
            .zip(ntk.par_chunks_mut(cols))
            .enumerate()
            .for_each(|(i, (a, b))| f(i, a, b));
    }
    #[cfg(target_arch = "wasm32")]
    {
        for (i, (a, b)) in nngp.chunks_mut(cols).zip(ntk.chunks_mut(cols)).enumerate() {
            f(i, a, b);
        }
    }
}

/// Copy the upper triangle onto the lower one, in cache-friendly tiles.
fn mirror_upper(m: &mut [f64], n: usize) {
    const TILE: usize = 64;
    for bi in (0..n).step_by(TILE) {
        for bj in (0..=bi).step_by(TILE) {
            for i in bi..(bi + TILE).min(n) {
                for j in bj..(bj + TILE).min(i) {
                    m[i * n + j] = m[j * n + i];
                }
            }
        }
    }
}

/// The NNGP and NTK Gram matrices K(X₁, X₂), Θ(X₁, X₂) of the infinite-width network
/// `net`. With `x2 = None`, K(X₁, X₁): only the upper triangle is computed, and the
/// result is exactly symmetric.
///
/// Errors: invalid network parameters, empty inputs, inputs of different dimension,
/// non-finite entries, kernels that overflow float64.
pub fn kernel_matrix(net: &FcNetwork, x1: &Matrix, x2: Option<&Matrix>) -> Result<Kernels> {
    check_inputs("x1", x1)?;
    if let Some(x2) = x2 {
        check_inputs("x2", x2)?;
        if x2.cols() != x1.cols() {
            return Err(NtkError::DimensionMismatch {
                field: "x2",
                expected: x1.cols(),
                got: x2.cols(),
            });
        }
    }
    let plan = Plan::new(net, x1.cols())?;
    crate::budget::ensure(
        "the kernel matrices",
        crate::budget::kernel_bytes(
            x1.rows(),
            x2.map_or(x1.rows(), |m| m.rows()),
            x1.cols(),
            net.depth,
        ),
        "use fewer inputs",
    )?;
    let v1 = plan.variances(x1)?;
    let n1 = x1.rows();
    let symmetric = x2.is_none();
    let x2m = x2.unwrap_or(x1);
    let n2 = x2m.rows();
    let v2 = if symmetric {
        v1.clone()
    } else {
        plan.variances(x2m)?
    };
    let x2t = transpose(x2m);
    let depth = plan.depth;
    if plan.has_quadrature() {
        crate::budget::ensure(
            "the Hermite expansions",
            crate::budget::floats(&[n1 + n2, depth.max(1), 2 * HERMITE_TERMS + 8]),
            "use fewer inputs",
        )?;
    }
    let h1 = plan.expansions(&v1);
    let h2 = if symmetric {
        None
    } else {
        plan.expansions(&v2)
    };
    let h2_ref: Option<&[HermiteExpansion]> = h2.as_deref().or(h1.as_deref());
    let mut nngp = vec![0.0; n1 * n2];
    let mut ntk = vec![0.0; n1 * n2];
    for_each_row(&mut nngp, &mut ntk, n2, |i, row_k, row_t| {
        let row_v1: Vec<f64> = (0..depth).map(|l| v1[l * n1 + i]).collect();
        let row_h: Option<Vec<&HermiteExpansion>> = h1
            .as_ref()
            .map(|h| (0..depth).map(|l| &h[l * n1 + i]).collect());
        let herm = match (&row_h, h2_ref) {
            (Some(r), Some(c)) => Some((r.as_slice(), c)),
            _ => None,
        };
        let j0 = if symmetric { i } else { 0 };
        row_block(
            &plan,
            x1.row(i),
            &row_v1,
            &x2t,
            &v2,
            n2,
            j0,
            &mut row_k[j0..],
            &mut row_t[j0..],
            herm,
        );
    });
    if symmetric {
        mirror_upper(&mut nngp, n1);
        mirror_upper(&mut ntk, n1);
    }
    if ntk.iter().chain(&nngp).any(|v| !v.is_finite()) {
        return Err(NtkError::Overflow {
            layer: depth,
            value: f64::INFINITY,
        });
    }
    Ok(Kernels {
        nngp: Matrix::from_row_major(n1, n2, nngp)?,
        ntk: Matrix::from_row_major(n1, n2, ntk)?,
    })
}

/// The NNGP kernel's diagonal K(x, x) of every row of `x`, from the per-input
/// variances alone (O(n), no pairs): the same numbers as the diagonal of
/// [`kernel_matrix`], which takes the same path for identical inputs.
pub fn nngp_diagonal(net: &FcNetwork, x: &Matrix) -> Result<Vec<f64>> {
    check_inputs("x", x)?;
    let plan = Plan::new(net, x.cols())?;
    Ok(plan.output_variances(x)?.1)
}

/// K(x1, x2) and Θ(x1, x2) of one pair.
pub fn kernel_value(net: &FcNetwork, x1: &[f64], x2: &[f64]) -> Result<KernelValue> {
    let a = Matrix::from_row_major(1, x1.len(), x1.to_vec())?;
    let b = Matrix::from_row_major(1, x2.len(), x2.to_vec())?;
    let k = kernel_matrix(net, &a, Some(&b))?;
    Ok(KernelValue {
        nngp: k.nngp.get(0, 0),
        ntk: k.ntk.get(0, 0),
    })
}

#[cfg(test)]
mod tests;
