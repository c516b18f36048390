//! The ReLU family: φ(x) = a·min(x, 0) + b·max(x, 0) (neural-tangents' `ABRelu`; ReLU is
//! (0, 1), leaky ReLU (α, 1), abs (−1, 1)).
//!
//! With θ = arccos(k₁₂ / √(v₁v₂)) the angle between the two inputs' features
//! (Cho & Saul 2009, the arc-cosine kernel of degree 1; Tsuchida et al. 2018,
//! arXiv:1711.09090, for the leaky form):
//!
//! - 𝔼[φ'(u)φ'(v)] = (a² + b²)/2 − (a − b)²·θ / (2π),
//! - 𝔼[φ(u)φ(v)]   = (a − b)²/(2π) · √(v₁v₂) sin θ + 𝔼[φ'φ'] · k₁₂,
//! - 𝔼[φ(u)²]      = (a² + b²)/2 · v.
//!
//! For ReLU these are √(v₁v₂)(sin θ + (π − θ) cos θ)/(2π) and (π − θ)/(2π).
//!
//! Exact edges: identical inputs (v₁ = v₂ = k₁₂) give cos θ = 1 and θ = 0 exactly (the
//! norm is taken as v₁ itself, not √v₁·√v₂, which can differ in the last bit); the cosine
//! is clamped to [−1, 1]; a zero-variance input takes θ = π/2 as neural-tangents does
//! (its `_arctan2(0, 0, fill_zero=π/2)`), which gives 𝔼[φφ] = 0.

use super::Dual;
use crate::fastmath;
use std::f64::consts::PI;

/// √(v₁ v₂), exactly v₁ when v₁ = v₂, without overflow for large variances.
#[inline(always)]
pub fn geometric_mean(v1: f64, v2: f64) -> f64 {
    if v1 == v2 {
        v1
    } else {
        v1.sqrt() * v2.sqrt()
    }
}

/// cos θ = k₁₂ / √(v₁v₂), clamped to [−1, 1], and 0 when a variance is 0.
#[inline(always)]
pub fn cosine(k12: f64, norm: f64) -> f64 {
    let c = k12 / if norm > 0.0 { norm } else { 1.0 };
    let c = if norm > 0.0 { c } else { 0.0 };
    c.clamp(-1.0, 1.0)
}

/// The dual kernel of a·min(x,0) + b·max(x,0); see the module docs.
#[inline(always)]
pub fn dual(a: f64, b: f64, k12: f64, v1: f64, v2: f64) -> Dual {
    let norm = geometric_mean(v1, v2);
    let cos = cosine(k12, norm);
    let theta = fastmath::acos(cos);
    let sin = ((1.0 - cos) * (1.0 + cos)).sqrt();
    let factor = (a - b) * (a - b) / (2.0 * PI);
    let dot = 0.5 * (a * a + b * b) - factor * theta;
    Dual {
        nngp: factor * norm * sin + dot * k12,
        dot,
    }
}

/// 𝔼[φ(u)²] = (a² + b²)/2 · v.
pub fn diag(a: f64, b: f64, v: f64) -> f64 {
    0.5 * (a * a + b * b) * v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn relu(k12: f64, v1: f64, v2: f64) -> Dual {
        dual(0.0, 1.0, k12, v1, v2)
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn arc_cosine_kernel_at_zero_angle() {
        // θ = 0: 𝔼[relu(u)²] = 1/2, P(u > 0) = 1/2.
        let d = relu(1.0, 1.0, 1.0);
        assert_eq!((d.nngp, d.dot), (0.5, 0.5));
        // Identical inputs of any variance: exactly v/2, no arccos round-off.
        for v in [1e-300, 0.37, 3.0, 1e12, 1e300] {
            let d = relu(v, v, v);
            assert_eq!(d.nngp, 0.5 * v);
            assert_eq!(d.dot, 0.5);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn arc_cosine_kernel_at_right_angle() {
        // θ = π/2: independent, 𝔼[relu(u)]² = 1/(2π), P(u>0)P(v>0) = 1/4.
        let d = relu(0.0, 1.0, 1.0);
        assert!((d.nngp - 1.0 / (2.0 * PI)).abs() < 1e-16);
        assert!((d.dot - 0.25).abs() < 1e-16);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn arc_cosine_kernel_at_antipodes() {
        // θ = π: v = −u, so relu(u)·relu(−u) = 0 and 1{u>0}·1{−u>0} = 0.
        let d = relu(-1.0, 1.0, 1.0);
        assert_eq!((d.nngp, d.dot), (0.0, 0.0));
        let d = relu(-1.0 - 1e-15, 1.0, 1.0);
        assert_eq!(d.nngp, 0.0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn matches_sheppard_and_a_separable_gaussian_integral() {
        // (u, v) = (r cos α, r(ρ cos α + s sin α)), s = √(1 − ρ²): the radial part
        // integrates in closed form, ∫₀^∞ r³ e^{−r²/2} dr/(2π) = 1/π, leaving an angular
        // integral done by a fine midpoint rule. The derivative term is Sheppard's
        // formula P(u > 0, v > 0) = 1/4 + arcsin(ρ)/(2π).
        for &rho in &[-0.9_f64, -0.3, 0.0, 0.4, 0.95] {
            let s = (1.0 - rho * rho).sqrt();
            let na = 200_000;
            let h = 2.0 * PI / na as f64;
            let angular: f64 = (0..na)
                .map(|j| {
                    let a = (j as f64 + 0.5) * h;
                    let (u, v) = (a.cos(), rho * a.cos() + s * a.sin());
                    u.max(0.0) * v.max(0.0) * h
                })
                .sum();
            let d = relu(rho, 1.0, 1.0);
            assert!((d.nngp - angular / PI).abs() < 1e-9, "ρ={rho}");
            let sheppard = 0.25 + rho.asin() / (2.0 * PI);
            assert!((d.dot - sheppard).abs() < 1e-15, "ρ={rho}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn identity_and_abs_special_cases() {
        // a = b = 1 is the identity: 𝔼[uv] = k₁₂, 𝔼[1] = 1.
        let d = dual(1.0, 1.0, 0.3, 1.2, 0.8);
        assert!((d.nngp - 0.3).abs() < 1e-15 && (d.dot - 1.0).abs() < 1e-15);
        // abs: 𝔼[|u||v|] = (2/π)(√(1−ρ²) + ρ arcsin ρ) for unit variances.
        let rho: f64 = 0.6;
        let d = dual(-1.0, 1.0, rho, 1.0, 1.0);
        let expected = 2.0 / PI * ((1.0 - rho * rho).sqrt() + rho * rho.asin());
        assert!((d.nngp - expected).abs() < 1e-15);
        // 𝔼[sign u sign v] = (2/π) arcsin ρ.
        assert!((d.dot - 2.0 / PI * rho.asin()).abs() < 1e-15);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn zero_variance_gives_zero_not_nan() {
        let d = relu(0.0, 0.0, 1.0);
        assert_eq!(d.nngp, 0.0);
        assert!(d.dot.is_finite());
    }
}
