//! φ(x) = erf(x) (neural-tangents' `Erf()` with a = b = 1, c = 0).
//!
//! Williams 1997 ("Computing with infinite networks"):
//!
//! - 𝔼[erf(u) erf(v)] = (2/π) · arcsin( 2k₁₂ / √((1 + 2v₁)(1 + 2v₂)) ),
//! - 𝔼[erf'(u) erf'(v)] = (4/π) / √((1 + 2v₁)(1 + 2v₂) − 4k₁₂²),
//! - 𝔼[erf(u)²] = (2/π) · arcsin( 2v / (1 + 2v) ).

use super::relu::geometric_mean;
use super::Dual;
use crate::fastmath;
use std::f64::consts::PI;

/// The erf dual kernel.
#[inline(always)]
pub fn dual(k12: f64, v1: f64, v2: f64) -> Dual {
    // s = √((1 + 2v₁)(1 + 2v₂)), exactly 1 + 2v for identical inputs.
    let s = geometric_mean(1.0 + 2.0 * v1, 1.0 + 2.0 * v2);
    let arg = (2.0 * k12 / s).clamp(-1.0, 1.0);
    // s² − 4k₁₂² = (s − 2k₁₂)(s + 2k₁₂), better conditioned near |arg| = 1.
    let det = ((s - 2.0 * k12) * (s + 2.0 * k12)).max(0.0);
    Dual {
        nngp: 2.0 / PI * fastmath::asin(arg),
        dot: 4.0 / PI / det.sqrt(),
    }
}

/// 𝔼[erf(u)²] for u ~ N(0, v).
pub fn diag(v: f64) -> f64 {
    dual(v, v, v).nngp
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn erf_of_unit_variance_closed_forms() {
        // v = 1: 𝔼[erf(u)²] = (2/π) arcsin(2/3).
        assert!((diag(1.0) - 2.0 / PI * (2.0f64 / 3.0).asin()).abs() < 1e-16);
        // Independent inputs: 𝔼[erf u]𝔼[erf v] = 0 and 𝔼[erf'] ² = (2/√π)²/(1+2v)
        // (𝔼[e^{−u²}] = 1/√(1 + 2v)).
        let d = dual(0.0, 1.0, 1.0);
        assert_eq!(d.nngp, 0.0);
        assert!((d.dot - 4.0 / PI / 3.0).abs() < 1e-16);
    }
}
