//! φ(x) = sin(x) and cos(x) (neural-tangents' `Sin()` and `Cos()` = `Sin(c = π/2)`).
//!
//! For φ = sin(x + c), with S = e^{−(v₁+v₂)/2}:
//!
//! - 𝔼[φ(u)φ(v)] = ½ (S e^{k₁₂} − cos 2c · S e^{−k₁₂}),
//! - 𝔼[φ'(u)φ'(v)] = ½ (S e^{k₁₂} + cos 2c · S e^{−k₁₂}),
//! - 𝔼[φ(u)²] = ½ (1 − cos 2c · e^{−2v}),
//!
//! from 𝔼[cos(u ± v)] = e^{−Var(u ± v)/2}. sin has cos 2c = 1, cos has cos 2c = −1.

use super::Dual;

/// The dual kernel of sin(x + c), given cos 2c.
#[inline(always)]
pub fn dual(k12: f64, v1: f64, v2: f64, cos_2c: f64) -> Dual {
    let half_sum = -0.5 * (v1 + v2);
    let s1 = (half_sum + k12).exp();
    let s2 = (half_sum - k12).exp() * cos_2c;
    Dual {
        nngp: 0.5 * (s1 - s2),
        dot: 0.5 * (s1 + s2),
    }
}

/// 𝔼[sin(u + c)²] for u ~ N(0, v), given cos 2c.
pub fn diag(v: f64, cos_2c: f64) -> f64 {
    0.5 * (1.0 - cos_2c * (-2.0 * v).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn sin_and_cos_closed_forms() {
        // 𝔼[sin u sin v] = e^{−(v₁+v₂)/2} sinh k₁₂; 𝔼[cos u cos v] = e^{−(v₁+v₂)/2} cosh k₁₂.
        let (k, v1, v2) = (0.3f64, 0.7f64, 1.1f64);
        let e = (-(v1 + v2) / 2.0).exp();
        let s = dual(k, v1, v2, 1.0);
        assert!((s.nngp - e * k.sinh()).abs() < 1e-16);
        assert!((s.dot - e * k.cosh()).abs() < 1e-16);
        let c = dual(k, v1, v2, -1.0);
        assert!((c.nngp - e * k.cosh()).abs() < 1e-16);
        assert!((c.dot - e * k.sinh()).abs() < 1e-16);
        assert!((diag(v1, 1.0) - dual(v1, v1, v1, 1.0).nngp).abs() < 1e-16);
    }
}
