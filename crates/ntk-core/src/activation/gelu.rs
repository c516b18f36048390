//! φ(x) = x·Φ(x), the exact GELU (Hendrycks & Gimpel 2016, arXiv:1606.08415), with the
//! dual kernel of Tsuchida, Pearce, van der Heide, Roosta & Gallagher 2021
//! ("Avoiding kernel fixed points: computing with ELU and GELU infinite networks",
//! arXiv:2002.08517), as in neural-tangents' `Gelu(approximate=False)`.
//!
//! With P = (v₁ + 1)(v₂ + 1), Δ² = P − k₁₂², α = arcsin(k₁₂/√P) (= atan2(k₁₂, Δ)):
//!
//! - 𝔼[φ(u)φ(v)] = k₁₂/4 + [ (k₁₂² + v₁v₂Δ²)/(PΔ) + k₁₂ α ] / (2π),
//! - 𝔼[φ'(u)φ'(v)] = 1/4 + α/(2π) + k₁₂/(2πΔ) · (1/Δ² + (1 − v₁v₂)/P + 1).

use super::relu::geometric_mean;
use super::Dual;
use crate::fastmath;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Φ(x), the standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

/// The standard normal density.
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// The exact-GELU dual kernel.
#[inline(always)]
pub fn dual(k12: f64, v1: f64, v2: f64) -> Dual {
    let root_p = geometric_mean(v1 + 1.0, v2 + 1.0);
    let p = root_p * root_p;
    let delta_sq = ((root_p - k12) * (root_p + k12)).max(f64::MIN_POSITIVE);
    let delta = delta_sq.sqrt();
    let angle = fastmath::asin((k12 / root_p).clamp(-1.0, 1.0));
    let prod = v1 * v2;
    let nngp =
        0.25 * k12 + ((k12 * k12 + prod * delta_sq) / (p * delta) + k12 * angle) / (2.0 * PI);
    let dot = 0.25
        + angle / (2.0 * PI)
        + k12 / delta / (2.0 * PI) * (1.0 / delta_sq + (1.0 - prod) / p + 1.0);
    Dual { nngp, dot }
}

/// 𝔼[φ(u)²] for u ~ N(0, v).
pub fn diag(v: f64) -> f64 {
    dual(v, v, v).nngp
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn zero_variance_and_independence() {
        // u ≡ 0: φ(0) = 0; φ'(0) = 1/2 so 𝔼[φ'(0)φ'(v)] = 𝔼[φ'(v)]/2 = 1/4 (φ' − 1/2 is odd).
        let d = dual(0.0, 0.0, 1.0);
        assert_eq!(d.nngp, 0.0);
        assert!((d.dot - 0.25).abs() < 1e-16);
        // Independent: 𝔼[uΦ(u)] = v/√(2π(1+v)) (Stein), so 𝔼[φ(u)φ(v)] = v²/(2π(1+v)).
        let d = dual(0.0, 2.0, 2.0);
        assert!((d.nngp - 4.0 / (2.0 * PI * 3.0)).abs() < 1e-15);
    }
}
