//! The Kolmogorov–Arnold layer (Liu et al. 2024, arXiv:2404.19756): a learnable
//! function on every edge, a B-spline plus a base activation, summed at each output.
//!
//! ## Parameterization (chosen here; it is the NTK parameterization of the layer)
//! For inputs x_1 … x_n (one position's channels) and outputs j = 1 … m,
//!
//! out_j = (1/√n)·Σ_i [ σ_b·w_ij·silu(x_i) + σ_s·Σ_k c_ijk·B_k(x_i) ],
//!
//! with every w_ij and c_ijk drawn from N(0, 1) and trained as they stand. σ_b is
//! `base_std` (default 1), σ_s is `w_std` (default 1), B_0 … B_{G+K−1} the B-splines of
//! degree K (`order`) on G (`grid`) equal cells of `range` = [a, b], extended by K
//! cells on each side (Liu et al.'s grid: G + K basis functions per edge, zero outside
//! [a − K·h, b + K·h], h = (b − a)/G).
//!
//! Why this choice: Liu et al. initialise the spline coefficients near zero and scale
//! the base weights like 1/√n; what they train is the same sum. Putting the 1/√n in
//! front and every trainable number at unit scale is what makes the layer's NTK
//! converge as the width grows (Jacot et al. 2018, arXiv:1806.07572), exactly as for a
//! dense layer in the NTK parameterization. The layer always uses it, whatever the
//! network's parameterization (as the attention layer does).
//!
//! Given its input, the layer is a dense layer (no bias) on the n·F features
//! ψ(x_i) = (σ_b·silu(x_i), σ_s·B_0(x_i), …, σ_s·B_{G+K−1}(x_i)), F = G + K + 1
//! (G + K with `base: "none"`). So the finite network computes it as a feature
//! expansion then a linear map, and its structured empirical NTK is the dense layer's
//! formula on those features.
//!
//! ## The infinite-width limit (width n → ∞ of the layer's input)
//! With κ(x, x') = ψ(x)·ψ(x') the feature kernel, the output is Gaussian over the
//! weights with covariance (1/n)·Σ_i κ(x_i, x'_i). Hence:
//!
//! - On the raw data (the network's first layer): K¹(x, x') = (1/C)·Σ_c κ(x_c, x'_c)
//!   and Θ¹ = K¹ — exact at any width, no expectation (the inputs are not Gaussian).
//! - On Gaussian inputs (u, v) of covariance [[K(x,x), K(x,x')], [K(x,x'), K(x',x')]]
//!   (a previous layer of infinite width):
//!   K ← 𝔼[κ(u, v)] = σ_b²·𝔼[silu(u)silu(v)] + σ_s²·Σ_k 𝔼[B_k(u)B_k(v)],
//!   Θ ← K + 𝔼[κ̇(u, v)]·Θ with κ̇ = σ_b²·silu'(u)silu'(v) + σ_s²·Σ_k B_k'(u)B_k'(v)
//!   — the MLP recursion with a vector-valued activation (the weights of different
//!   features are independent).
//!
//! The spline expectations are computed as 𝔼[f(u)g(v)] = 𝔼_u[f(u)·𝔼[g(v) | u]], with
//! v | u ~ N(μ(u), σ²) (μ = K(x,x')·u/K(x,x), σ² = K(x',x') − K(x,x')²/K(x,x)). The
//! inner expectation of a piecewise polynomial is exact (truncated Gaussian moments on
//! each knot cell; where the Gaussian spans more than four cells, Gauss–Legendre in
//! each cell instead, which avoids the moment recursion's cancellation). The outer
//! integral, over the argument of larger variance (the kernel is symmetric), is
//! composite Gauss–Legendre in its standard coordinate, with panels cut at its knots
//! and, when σ < h, at the u where μ(u) crosses a knot (where 𝔼[g | u] changes shape at
//! the scale σ, graded towards it), so that every panel's integrand is smooth. The silu term uses the graded rule of
//! [`crate::activation::quadrature`]. Tested against nested adaptive quadrature with
//! scipy's own B-splines (`tests/reference/make_kan_reference.py`) and against a
//! Monte Carlo of the empirical NTK of wide finite KANs.

use std::num::NonZeroUsize;

use gauss_quad::GaussLegendre;
use serde::{Deserialize, Serialize};

use crate::activation::gelu::{normal_cdf, normal_pdf};
use crate::activation::quadrature::GradedRule;
use crate::activation::{Activation, Dual};

/// The largest grid (cells inside the range).
pub const MAX_GRID: usize = 64;
/// The largest spline degree.
pub const MAX_ORDER: usize = 5;

/// The base activation on each edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// silu(x) = x·sigmoid(x), as Liu et al.
    #[default]
    Silu,
    /// Splines only.
    None,
}

/// A Kolmogorov–Arnold layer on the channel axis (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kan {
    /// Output channels (the finite width).
    pub out: usize,
    /// G, the cells of the grid inside the range (default 8).
    #[serde(default = "default_grid")]
    pub grid: usize,
    /// K, the splines' degree (default 3, cubic).
    #[serde(default = "default_order")]
    pub order: usize,
    /// [a, b], the grid's range (default [−2, 2]).
    #[serde(default = "default_range")]
    pub range: [f64; 2],
    /// σ_s, the spline terms' scale (default 1).
    #[serde(default = "unit")]
    pub w_std: f64,
    /// The base activation (default silu).
    #[serde(default)]
    pub base: Base,
    /// σ_b, the base term's scale (default 1).
    #[serde(default = "unit")]
    pub base_std: f64,
}

fn default_grid() -> usize {
    8
}
fn default_order() -> usize {
    3
}
fn default_range() -> [f64; 2] {
    [-2.0, 2.0]
}
fn unit() -> f64 {
    1.0
}

impl Kan {
    /// A layer of `out` channels with the defaults of the JSON form.
    pub fn new(out: usize, grid: usize, order: usize) -> Self {
        Kan {
            out,
            grid,
            order,
            range: default_range(),
            w_std: 1.0,
            base: Base::Silu,
            base_std: 1.0,
        }
    }

    /// F, the features per input channel: G + K splines, plus the base.
    pub fn features(&self) -> usize {
        self.grid + self.order + usize::from(self.base == Base::Silu)
    }

    /// The trainable parameters for `c_in` input channels.
    pub fn params(&self, c_in: usize) -> usize {
        c_in.saturating_mul(self.features())
            .saturating_mul(self.out)
    }

    /// Why the parameters are out of range, if they are.
    pub(crate) fn problem(&self) -> Option<String> {
        let [a, b] = self.range;
        if !(1..=MAX_GRID).contains(&self.grid) {
            Some(format!(
                "grid must be between 1 and {MAX_GRID}, got {}",
                self.grid
            ))
        } else if !(1..=MAX_ORDER).contains(&self.order) {
            Some(format!(
                "order (the splines' degree) must be between 1 and {MAX_ORDER}, got {}",
                self.order
            ))
        } else if !(a.is_finite() && b.is_finite() && a < b && b - a <= 1e6) {
            Some(format!(
                "range must be two finite numbers a < b (at most 10⁶ apart), got [{a}, {b}]"
            ))
        } else if !(self.w_std.is_finite() && self.w_std >= 0.0) {
            Some(format!(
                "w_std must be a finite number ≥ 0, got {}",
                self.w_std
            ))
        } else if !(self.base_std.is_finite() && self.base_std >= 0.0) {
            Some(format!(
                "base_std must be a finite number ≥ 0, got {}",
                self.base_std
            ))
        } else {
            None
        }
    }
}

/// A polynomial's coefficients, constant first.
type Poly = Vec<f64>;

/// The uniform B-spline basis of one layer.
#[derive(Debug, Clone)]
pub(crate) struct Basis {
    grid: usize,
    order: usize,
    lo: f64,
    h: f64,
    /// The cardinal B-spline N_K on its unit pieces r = 0…K, as polynomials in the
    /// local coordinate s ∈ [0, 1): N_K(r + s).
    pieces: Vec<Poly>,
    /// Their derivatives d/ds.
    dpieces: Vec<Poly>,
    /// Gauss–Legendre nodes and weights on [−1, 1] for the cells' moments when the
    /// Gaussian is wide.
    cell_x: Vec<f64>,
    cell_w: Vec<f64>,
}

fn eval(p: &[f64], s: f64) -> f64 {
    p.iter().rev().fold(0.0, |acc, c| acc * s + c)
}

fn derivative(p: &[f64]) -> Poly {
    p.iter()
        .enumerate()
        .skip(1)
        .map(|(q, c)| q as f64 * c)
        .collect()
}

/// The smaller tail of the standard normal at x: Φ(x) for x ≤ 0, 1 − Φ(x) for x > 0
/// (each accurate to the last bit, from erfc).
fn tail(x: f64) -> f64 {
    normal_cdf(-x.abs())
}

/// ∫_α^β z^q φ(z) dz for q = 0…out.len() − 1 (φ the standard normal density), from the
/// tails and densities at α and β:
/// M_0 = Φ(β) − Φ(α), M_1 = φ(α) − φ(β), M_q = (q − 1)·M_{q−2} + α^{q−1}φ(α) − β^{q−1}φ(β).
fn truncated_moments(alpha: (f64, f64, f64), beta: (f64, f64, f64), out: &mut [f64]) {
    let ((a, ta, pa), (b, tb, pb)) = (alpha, beta);
    // Φ(β) − Φ(α) without cancellation in either tail.
    let m0 = if a > 0.0 {
        ta - tb
    } else if b <= 0.0 {
        tb - ta
    } else {
        (1.0 - tb) - ta
    };
    // x^{q−1}φ(x) with φ = 0 at ±∞ (no 0·∞).
    let term = |x: f64, px: f64, q: i32| if px == 0.0 { 0.0 } else { x.powi(q) * px };
    for q in 0..out.len() {
        out[q] = match q {
            0 => m0,
            1 => pa - pb,
            _ => {
                (q as f64 - 1.0) * out[q - 2] + term(a, pa, q as i32 - 1)
                    - term(b, pb, q as i32 - 1)
            }
        };
    }
}

/// The moments of the cell coordinate s = m + ς z over a cell, ∫_α^β s^q φ(z) dz for
/// q = 0…out.len() − 1, from the moments M_j of z: Σ_j C(q, j) m^{q−j} ς^j M_j.
fn cell_moments(m: f64, sig: f64, z: &[f64], out: &mut [f64]) {
    // Row q of Pascal's triangle times powers, built up q by q:
    // (m + ς z)^q = Σ_j c_{q,j} z^j, c_{q,j} = m·c_{q−1,j} + ς·c_{q−1,j−1}.
    let mut c = [0.0; MAX_ORDER + 1];
    c[0] = 1.0;
    for q in 0..out.len() {
        if q > 0 {
            for j in (0..=q).rev() {
                let prev = if j > 0 { c[j - 1] * sig } else { 0.0 };
                c[j] = c[j] * m + prev;
            }
        }
        out[q] = c[..=q].iter().zip(z).map(|(a, b)| a * b).sum();
    }
}

impl Basis {
    pub(crate) fn new(k: &Kan) -> Self {
        // N_0 = 1 on [0, 1); N_K(x) = (x/K)·N_{K−1}(x) + ((K + 1 − x)/K)·N_{K−1}(x − 1)
        // (Cox–de Boor on integer knots), piece r in s = x − r.
        let mut pieces: Vec<Poly> = vec![vec![1.0]];
        for deg in 1..=k.order {
            let d = deg as f64;
            let mut next = Vec::with_capacity(deg + 1);
            for r in 0..=deg {
                let mut p = vec![0.0; deg + 1];
                let rf = r as f64;
                if r < deg {
                    // (r + s)/d · N_{d−1} piece r
                    for (q, c) in pieces[r].iter().enumerate() {
                        p[q] += rf / d * c;
                        p[q + 1] += c / d;
                    }
                }
                if r >= 1 {
                    // (d + 1 − r − s)/d · N_{d−1} piece r − 1
                    for (q, c) in pieces[r - 1].iter().enumerate() {
                        p[q] += (d + 1.0 - rf) / d * c;
                        p[q + 1] -= c / d;
                    }
                }
                next.push(p);
            }
            pieces = next;
        }
        let dpieces = pieces.iter().map(|p| derivative(p)).collect();
        let rule = GaussLegendre::new(NonZeroUsize::new(CELL_NODES).expect("nodes"));
        Basis {
            cell_x: rule.nodes().copied().collect(),
            cell_w: rule.weights().copied().collect(),
            grid: k.grid,
            order: k.order,
            lo: k.range[0],
            h: (k.range[1] - k.range[0]) / k.grid as f64,
            pieces,
            dpieces,
        }
    }

    /// G + K basis functions.
    pub(crate) fn len(&self) -> usize {
        self.grid + self.order
    }

    /// t_j = a + j·h (j from −K to G + K).
    fn knot(&self, j: i64) -> f64 {
        self.lo + j as f64 * self.h
    }

    /// The cell c of x (between t_c and t_{c+1}, −K ≤ c < G + K) and x's local
    /// coordinate in it; `None` outside the support.
    fn locate(&self, x: f64) -> Option<(i64, f64)> {
        let t = (x - self.lo) / self.h;
        let c = t.floor();
        let k = self.order as f64;
        if !(c >= -k && c < self.grid as f64 + k) {
            return None;
        }
        Some((c as i64, t - c))
    }

    /// Every basis function nonzero at x: `visit(k, B_k(x), B_k'(x))`.
    pub(crate) fn each(&self, x: f64, mut visit: impl FnMut(usize, f64, f64)) {
        let Some((c, s)) = self.locate(x) else {
            return;
        };
        let k = self.order as i64;
        // B_i lives on cells i − K … i: piece r = c − i + K.
        for i in c.max(0)..=(c + k).min(self.len() as i64 - 1) {
            let r = (c - i + k) as usize;
            visit(
                i as usize,
                eval(&self.pieces[r], s),
                eval(&self.dpieces[r], s) / self.h,
            );
        }
    }

    /// 𝔼[B_i(v)] and 𝔼[B_i'(v)] for v ~ N(μ, σ²), for i in `first ..= last`, into
    /// `b[i − first]`, `d[i − first]`.
    fn gaussian(&self, mu: f64, sigma: f64, first: i64, last: i64, b: &mut [f64], d: &mut [f64]) {
        let k = self.order as i64;
        if sigma <= 0.0 {
            b.iter_mut().chain(d.iter_mut()).for_each(|v| *v = 0.0);
            self.each(mu, |i, vb, vd| {
                let i = i as i64;
                if (first..=last).contains(&i) {
                    b[(i - first) as usize] = vb;
                    d[(i - first) as usize] = vd;
                }
            });
            return;
        }
        let sig = sigma / self.h;
        // The cells these basis functions live on, and the moments on each.
        let (c0, c1) = (first - k, last);
        let mut moments = [[0.0; MAX_ORDER + 1]; CELLS];
        debug_assert!((c1 - c0) < CELLS as i64, "at most {CELLS} cells at once");
        if sig > WIDE_CELL {
            // The Gaussian is wider than four cells: smooth across each one, so
            // Gauss–Legendre in s on [0, 1] is exact to round-off, and it avoids the
            // cancellation of the moment recursion on a narrow z-interval (which grows
            // like ς^{K+1}·ε).
            for (slot, c) in (c0..=c1).enumerate() {
                let m = (mu - self.knot(c)) / self.h;
                let out = &mut moments[slot][..=self.order];
                for (x, w) in self.cell_x.iter().zip(&self.cell_w) {
                    let s = 0.5 + 0.5 * x;
                    let dens = 0.5 * w * normal_pdf((s - m) / sig) / sig;
                    let mut p = dens;
                    for o in out.iter_mut() {
                        *o += p;
                        p *= s;
                    }
                }
            }
        } else {
            // Each knot's standardised position, tail and density, shared by its two
            // cells.
            let at = |c: i64| {
                let z = (self.knot(c) - mu) / sigma;
                (z, tail(z), normal_pdf(z))
            };
            let mut left = at(c0);
            let mut z = [0.0; MAX_ORDER + 1];
            for (slot, c) in (c0..=c1).enumerate() {
                let right = at(c + 1);
                truncated_moments(left, right, &mut z[..=self.order]);
                let m = (mu - self.knot(c)) / self.h;
                cell_moments(m, sig, &z[..=self.order], &mut moments[slot][..=self.order]);
                left = right;
            }
        }
        for i in first..=last {
            let (mut sb, mut sd) = (0.0, 0.0);
            for c in (i - k)..=i {
                let slot = (c - c0) as usize;
                let r = (c - i + k) as usize;
                let mom = &moments[slot];
                sb += self.pieces[r]
                    .iter()
                    .zip(mom)
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
                sd += self.dpieces[r]
                    .iter()
                    .zip(mom)
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
            }
            b[(i - first) as usize] = sb;
            d[(i - first) as usize] = sd / self.h;
        }
    }

    /// Σ_k 𝔼[B_k(u)B_k(v)] and Σ_k 𝔼[B_k'(u)B_k'(v)] for (u, v) centred Gaussian with
    /// variances v₁, v₂ and covariance k₁₂ (see the module documentation).
    pub(crate) fn dual(&self, rule: &Outer, k12: f64, v1: f64, v2: f64) -> (f64, f64) {
        let (v1, v2) = (v1.max(0.0), v2.max(0.0));
        // Symmetric in (u, v): integrate over the wider one outside, so that u's knot
        // panels (h/s₁ apart in z) are finer than the scale on which 𝔼[B(v) | u]
        // changes (max(σ, h)/(|ρ|s₂) ≥ h/s₂ ≥ h/s₁).
        let (v1, v2) = if v2 > v1 { (v2, v1) } else { (v1, v2) };
        let (s1, s2) = (v1.sqrt(), v2.sqrt());
        let norm = (v1 * v2).sqrt();
        let rho = if norm > 0.0 {
            (k12 / norm).clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let tau = ((1.0 - rho) * (1.0 + rho)).sqrt();
        let sigma = s2 * tau;
        let k = self.order as i64;
        let mut gb = [0.0; 2 * MAX_ORDER + 2];
        let mut gd = [0.0; 2 * MAX_ORDER + 2];
        // The integrand at u = s₁·z: Σ_i B_i(u)·𝔼[B_i(v) | u] (and the derivatives).
        let mut at = |z: f64| -> (f64, f64) {
            let u = s1 * z;
            let Some((c, _)) = self.locate(u) else {
                return (0.0, 0.0);
            };
            let (first, last) = (c.max(0), (c + k).min(self.len() as i64 - 1));
            let n = (last - first + 1) as usize;
            self.gaussian(rho * s2 * z, sigma, first, last, &mut gb[..n], &mut gd[..n]);
            let (mut fb, mut fd) = (0.0, 0.0);
            self.each(u, |i, vb, vd| {
                let j = i - first as usize;
                fb += vb * gb[j];
                fd += vd * gd[j];
            });
            (fb, fd)
        };
        if s1 == 0.0 {
            return at(0.0);
        }
        // Breakpoints in z: u's knots, and, when σ < h, where μ = ρ·s₂·z crosses a knot
        // (graded at the scale σ/|ρ s₂| = τ/|ρ| over which 𝔼[B(v) | u] turns there).
        let (zlo, zhi) = (
            (self.knot(-k) / s1).max(-rule.z_max),
            (self.knot(self.grid as i64 + k) / s1).min(rule.z_max),
        );
        if zlo >= zhi {
            return (0.0, 0.0);
        }
        let mut pts = Vec::with_capacity(8 * (self.grid + 2 * self.order + 1));
        pts.push(zlo);
        pts.push(zhi);
        let slope = rho * s2;
        // Where σ ≥ h, 𝔼[B(v) | u] is smooth at the scale of a cell: u's knots suffice.
        let sharp = sigma < self.h;
        for j in -k..=self.grid as i64 + k {
            pts.push(self.knot(j) / s1);
            if slope != 0.0 && sharp {
                let c = self.knot(j) / slope;
                pts.push(c);
                let scale = tau / rho.abs();
                let mut step = scale;
                while step < rule.panel_max && step > 0.0 {
                    pts.push(c - step);
                    pts.push(c + step);
                    step *= 3.0;
                }
            }
        }
        pts.retain(|p| *p >= zlo && *p <= zhi);
        pts.sort_by(f64::total_cmp);
        pts.dedup_by(|a, b| (*a - *b).abs() <= 1e-14 * (1.0 + b.abs()));
        let (mut sb, mut sd) = (0.0, 0.0);
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a {
                continue;
            }
            let pieces = ((b - a) / rule.panel_max).ceil().max(1.0);
            let step = (b - a) / pieces;
            for p in 0..pieces as usize {
                let half = 0.5 * step;
                let mid = a + step * p as f64 + half;
                for (x, wt) in rule.x.iter().zip(&rule.w) {
                    let z = mid + half * x;
                    let weight = wt * half * normal_pdf(z);
                    let (fb, fd) = at(z);
                    sb += weight * fb;
                    sd += weight * fd;
                }
            }
        }
        (sb, sd)
    }
}

/// The outer rule of the spline expectations: Gauss–Legendre panels on [−Z, Z].
#[derive(Debug, Clone)]
pub(crate) struct Outer {
    x: Vec<f64>,
    w: Vec<f64>,
    z_max: f64,
    panel_max: f64,
}

impl Default for Outer {
    fn default() -> Self {
        let rule = GaussLegendre::new(NonZeroUsize::new(OUTER_NODES).expect("nodes"));
        Outer {
            x: rule.nodes().copied().collect(),
            w: rule.weights().copied().collect(),
            z_max: crate::activation::quadrature::Z_MAX,
            panel_max: OUTER_PANEL,
        }
    }
}

/// Above this many cells per standard deviation (ς = σ/h), a cell's Gaussian moments
/// are taken by Gauss–Legendre in the cell instead of the moment recursion.
const WIDE_CELL: f64 = 4.0;
/// Gauss–Legendre nodes per cell in that case.
const CELL_NODES: usize = 8;
/// The most knot cells one call of [`Basis::gaussian`] covers.
const CELLS: usize = 4 * MAX_ORDER + 4;
/// Gauss–Legendre nodes per panel of the outer spline integral.
const OUTER_NODES: usize = 10;
/// The widest panel (standard-normal units).
const OUTER_PANEL: f64 = 1.0;

/// A KAN layer compiled: its basis, scales and quadrature rules.
#[derive(Debug, Clone)]
pub(crate) struct Features {
    pub basis: Basis,
    /// σ_b when the layer has a base activation.
    pub base: Option<f64>,
    /// σ_s.
    pub spline: f64,
    rule: GradedRule,
    outer: Outer,
}

impl Features {
    pub(crate) fn new(k: &Kan) -> Self {
        Features {
            basis: Basis::new(k),
            base: (k.base == Base::Silu).then_some(k.base_std),
            spline: k.w_std,
            rule: GradedRule::default(),
            outer: Outer::default(),
        }
    }

    /// F, the features per channel.
    pub(crate) fn count(&self) -> usize {
        self.basis.len() + usize::from(self.base.is_some())
    }

    /// ψ(x) and ψ'(x) into `f`, `d` (length F; base first).
    pub(crate) fn expand(&self, x: f64, f: &mut [f64], d: &mut [f64]) {
        f.iter_mut().chain(d.iter_mut()).for_each(|v| *v = 0.0);
        let off = match self.base {
            Some(sb) => {
                let (v, dv) = Activation::Silu.value_and_derivative(x);
                f[0] = sb * v;
                d[0] = sb * dv;
                1
            }
            None => 0,
        };
        let ss = self.spline;
        self.basis.each(x, |i, b, db| {
            f[off + i] = ss * b;
            d[off + i] = ss * db;
        });
    }

    /// κ(x, y) = ψ(x)·ψ(y) of two numbers (the raw-input feature kernel).
    pub(crate) fn kernel(&self, x: f64, y: f64) -> f64 {
        let mut s = 0.0;
        if let Some(sb) = self.base {
            s += sb * sb * Activation::Silu.apply(x) * Activation::Silu.apply(y);
        }
        let mut bx = [(0usize, 0.0); MAX_ORDER + 1];
        let mut nx = 0;
        self.basis.each(x, |i, b, _| {
            bx[nx] = (i, b);
            nx += 1;
        });
        let mut spl = 0.0;
        self.basis.each(y, |i, b, _| {
            if let Some((_, bxi)) = bx[..nx].iter().find(|(j, _)| *j == i) {
                spl += bxi * b;
            }
        });
        s + self.spline * self.spline * spl
    }

    /// 𝔼[κ(u, v)] and 𝔼[κ̇(u, v)] for a centred Gaussian pair.
    pub(crate) fn dual(&self, k12: f64, v1: f64, v2: f64) -> Dual {
        let (sb, sd) = self.basis.dual(&self.outer, k12, v1, v2);
        let ss = self.spline * self.spline;
        let mut out = Dual {
            nngp: ss * sb,
            dot: ss * sd,
        };
        if let Some(b) = self.base {
            let d = self.rule.dual(&Activation::Silu, k12, v1, v2);
            out.nngp += b * b * d.nngp;
            out.dot += b * b * d.dot;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(grid: usize, order: usize) -> Basis {
        Basis::new(&Kan::new(4, grid, order))
    }

    #[test]
    fn cubic_pieces_are_the_textbook_cardinal_spline() {
        // N_3 on [0, 4): s³/6, (−3s³ + 3s² + 3s + 1)/6, (3s³ − 6s² + 4)/6, (1 − s)³/6
        // (de Boor, A Practical Guide to Splines).
        let b = basis(8, 3);
        let want: [&dyn Fn(f64) -> f64; 4] = [
            &|s| s * s * s / 6.0,
            &|s| (-3.0 * s * s * s + 3.0 * s * s + 3.0 * s + 1.0) / 6.0,
            &|s| (3.0 * s * s * s - 6.0 * s * s + 4.0) / 6.0,
            &|s| (1.0 - s).powi(3) / 6.0,
        ];
        for (r, w) in want.iter().enumerate() {
            for s in [0.0, 0.3, 0.77] {
                assert!(
                    (eval(&b.pieces[r], s) - w(s)).abs() < 1e-15,
                    "piece {r} at {s}"
                );
            }
        }
    }

    #[test]
    fn the_basis_is_a_partition_of_unity_inside_the_range_and_zero_outside() {
        for order in 1..=MAX_ORDER {
            let b = basis(5, order);
            for x in [-2.0, -1.3, 0.0, 0.41, 1.999] {
                let mut sum = 0.0;
                b.each(x, |_, v, _| sum += v);
                assert!((sum - 1.0).abs() < 1e-13, "order {order} at {x}: {sum}");
            }
            let h = 4.0 / 5.0;
            let mut any = false;
            b.each(2.0 + order as f64 * h + 1e-9, |_, _, _| any = true);
            b.each(-2.0 - order as f64 * h - 1e-9, |_, _, _| any = true);
            assert!(!any, "order {order}: nonzero outside the support");
        }
    }

    #[test]
    fn derivatives_match_central_differences() {
        let b = basis(6, 3);
        let e = 1e-6;
        for x in [-2.9, -1.1, 0.05, 1.7, 3.1] {
            let mut vals = vec![0.0; b.len()];
            let mut ders = vec![0.0; b.len()];
            b.each(x, |i, _, d| ders[i] = d);
            let mut plus = vec![0.0; b.len()];
            b.each(x + e, |i, v, _| plus[i] = v);
            b.each(x - e, |i, v, _| vals[i] = v);
            for i in 0..b.len() {
                let fd = (plus[i] - vals[i]) / (2.0 * e);
                assert!(
                    (fd - ders[i]).abs() < 1e-8,
                    "B_{i}'({x}): {} vs {fd}",
                    ders[i]
                );
            }
        }
    }

    #[test]
    fn gaussian_basis_expectations_match_a_fine_riemann_sum() {
        // 𝔼[B_i(v)] for v ~ N(μ, σ²) against a midpoint sum with 2·10⁵ cells (an
        // independent computation: error ≈ 10⁻¹⁰ for these smooth-enough integrands).
        // The last two are wide against a cell (σ/h = 30 and 400): there the moments
        // come from Gauss–Legendre in each cell (the recursion lost ~1e-6 at 30).
        for (b, mu, sigma) in [
            (basis(4, 2), 0.3, 0.7),
            (basis(4, 2), -1.8, 0.05),
            (basis(4, 2), 2.5, 3.0),
            (basis(4, 5), 1.0, 30.0),
            (basis(4, 5), -20.0, 400.0),
        ] {
            let n = b.len() as i64;
            let mut eb = vec![0.0; n as usize];
            let mut ed = vec![0.0; n as usize];
            b.gaussian(mu, sigma, 0, n - 1, &mut eb, &mut ed);
            // The splines vanish outside [a − K·h, b + K·h].
            let reach = 2.0 + b.order as f64 * b.h;
            let (lo, hi) = (
                (mu - 12.0 * sigma).max(-reach),
                (mu + 12.0 * sigma).min(reach),
            );
            let cells = 200_000;
            let dx = (hi - lo) / cells as f64;
            let mut rb = vec![0.0; n as usize];
            let mut rd = vec![0.0; n as usize];
            for c in 0..cells {
                let v = lo + (c as f64 + 0.5) * dx;
                let w = normal_pdf((v - mu) / sigma) / sigma * dx;
                b.each(v, |i, vb, vd| {
                    rb[i] += w * vb;
                    rd[i] += w * vd;
                });
            }
            for i in 0..n as usize {
                let scale = rb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let dscale = rd.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                assert!(
                    (eb[i] - rb[i]).abs() < 1e-8 * scale.max(1e-3),
                    "E B_{i} at ({mu}, {sigma}): {} vs {}",
                    eb[i],
                    rb[i]
                );
                assert!(
                    (ed[i] - rd[i]).abs() < 1e-6 * dscale.max(1e-3),
                    "E B'_{i} at ({mu}, {sigma}): {} vs {}",
                    ed[i],
                    rd[i]
                );
            }
        }
    }
}
