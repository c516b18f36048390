//! Gauss–Hermite quadrature of the dual kernel of any activation.
//!
//! For (u, v) ~ N(0, [[v₁, k₁₂], [k₁₂, v₂]]) write u = √v₁ z₁ and
//! v = √v₂ (ρ z₁ + √(1 − ρ²) z₂) with ρ = k₁₂/√(v₁v₂) and z₁, z₂ independent N(0, 1).
//! Then 𝔼[f(u) g(v)] = Σᵢ Σⱼ wᵢ wⱼ f(√v₁ zᵢ) g(√v₂(ρ zᵢ + √(1−ρ²) zⱼ)), with the
//! n-point Gauss–Hermite rule for the weight e^{−t²} (nodes tᵢ, weights ωᵢ; zᵢ = √2 tᵢ,
//! wᵢ = ωᵢ/√π). The rule is exact for polynomials of degree 2n − 1 in each variable, so
//! smooth activations converge fast; kinks (ReLU) converge slowly, which is why the
//! ReLU family has its closed form.
//!
//! Nodes and weights come from the `gauss-quad` crate (Golub–Welsch).

use std::num::NonZeroUsize;

use gauss_quad::GaussHermite;

use super::{Activation, Dual};
use crate::error::{NtkError, Result};

/// The default number of nodes per dimension for activations without a closed form.
pub const DEFAULT_NODES: usize = 64;
/// The largest number of nodes per dimension.
pub const MAX_NODES: usize = 400;

/// A Gauss–Hermite rule for the standard normal: 𝔼[f(z)] ≈ Σ wᵢ f(zᵢ).
#[derive(Debug, Clone, PartialEq)]
pub struct NormalRule {
    /// Nodes zᵢ = √2 tᵢ.
    pub nodes: Vec<f64>,
    /// Weights wᵢ = ωᵢ/√π (they sum to 1).
    pub weights: Vec<f64>,
}

impl NormalRule {
    /// An n-point rule, 1 ≤ n ≤ 400.
    pub fn new(n: usize) -> Result<Self> {
        let deg = NonZeroUsize::new(n)
            .filter(|_| n <= MAX_NODES)
            .ok_or(NtkError::OutOfRange {
                field: "quadrature_nodes",
                expected: "between 1 and 400",
                value: n as f64,
            })?;
        let rule = GaussHermite::new(deg);
        let sqrt_pi = std::f64::consts::PI.sqrt();
        let nodes = rule.nodes().map(|t| std::f64::consts::SQRT_2 * t).collect();
        let weights = rule.weights().map(|w| w / sqrt_pi).collect();
        Ok(NormalRule { nodes, weights })
    }

    /// 𝔼[φ(u)²] for u ~ N(0, v).
    pub fn diag(&self, act: &Activation, v: f64) -> f64 {
        let s = v.max(0.0).sqrt();
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(z, w)| {
                let f = act.apply(s * z);
                w * f * f
            })
            .sum()
    }

    /// 𝔼[φ(u)φ(v)] and 𝔼[φ'(u)φ'(v)] by the tensor-product rule.
    pub fn dual(&self, act: &Activation, k12: f64, v1: f64, v2: f64) -> Dual {
        let (s1, s2) = (v1.max(0.0).sqrt(), v2.max(0.0).sqrt());
        let norm = s1 * s2;
        let rho = if norm > 0.0 {
            (k12 / norm).clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let tau = ((1.0 - rho) * (1.0 + rho)).sqrt();
        let (mut nngp, mut dot) = (0.0, 0.0);
        for (zi, wi) in self.nodes.iter().zip(&self.weights) {
            let u = s1 * zi;
            let (fu, du) = (act.apply(u), act.derivative(u));
            let (mut inner_f, mut inner_d) = (0.0, 0.0);
            for (zj, wj) in self.nodes.iter().zip(&self.weights) {
                let v = s2 * (rho * zi + tau * zj);
                inner_f += wj * act.apply(v);
                inner_d += wj * act.derivative(v);
            }
            nngp += wi * fu * inner_f;
            dot += wi * du * inner_d;
        }
        Dual { nngp, dot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn rule_integrates_gaussian_moments() {
        let rule = NormalRule::new(20).unwrap();
        let moment = |k: i32| -> f64 {
            rule.nodes
                .iter()
                .zip(&rule.weights)
                .map(|(z, w)| w * z.powi(k))
                .sum()
        };
        assert!((moment(0) - 1.0).abs() < 1e-14);
        assert!((moment(2) - 1.0).abs() < 1e-13);
        assert!((moment(4) - 3.0).abs() < 1e-12);
        assert!((moment(6) - 15.0).abs() < 1e-11);
        assert!(moment(3).abs() < 1e-12);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_node_counts_are_errors() {
        assert!(NormalRule::new(0).is_err());
        assert!(NormalRule::new(MAX_NODES + 1).is_err());
    }
}
