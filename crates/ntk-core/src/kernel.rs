//! The analytic (infinite-width) NNGP kernel K and NTK Θ of a deep fully-connected
//! network, with google/neural-tangents' conventions.
//!
//! A network of `depth` = L hidden layers is `Dense → φ → … → Dense → φ → Dense(1)`
//! (L + 1 dense layers, L activations). For one pair of inputs (x, x') ∈ ℝᵈ:
//!
//! - input: K⁰ = ⟨x, x'⟩ / d, Θ⁰ = 0 (and likewise the variances K⁰(x, x), K⁰(x', x'));
//! - `Dense`, NTK parameterization: K ← σ_w² K + σ_b², then Θ ← K + σ_w² Θ;
//! - activation φ: K ← 𝔼[φ(u) φ(v)], Θ ← 𝔼[φ'(u) φ'(v)] · Θ,
//!   with (u, v) ~ N(0, [[K(x,x), K(x,x')], [K(x,x'), K(x',x')]]).
//!
//! References: Jacot, Gabriel & Hongler 2018 (arXiv:1806.07572), Lee et al. 2019
//! (arXiv:1902.06720), Arora et al. 2019 "On Exact Computation with an Infinitely Wide
//! Neural Net" (arXiv:1904.11955), Novak et al. 2020 "Neural Tangents"
//! (arXiv:1912.02803).
//!
//! This is the first, exact slice: ReLU and the NTK parameterization. The general
//! activation set and the standard parameterization come next.

use crate::activation::relu_dual;
use crate::error::{NtkError, Result};

/// The deepest network the analytic recursion accepts.
pub const MAX_DEPTH: usize = 100;

/// A fully-connected ReLU network in the NTK parameterization, as the analytic kernel
/// sees it (the width is infinite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FcNetwork {
    /// Number of hidden layers L (0 = a linear readout).
    pub depth: usize,
    /// σ_w, the weight standard deviation (`W_std` in neural-tangents).
    pub w_std: f64,
    /// σ_b, the bias standard deviation; `None` means no bias parameters.
    pub b_std: Option<f64>,
}

impl FcNetwork {
    /// Check the parameters: depth in 0..=100, finite non-negative standard deviations.
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

fn check_input(field: &'static str, x: &[f64]) -> Result<()> {
    if x.is_empty() {
        return Err(NtkError::Empty { field });
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(NtkError::NonFinite { field, index }),
        None => Ok(()),
    }
}

/// The NNGP kernel K(x, x') and the NTK Θ(x, x') of one pair of inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelValue {
    /// K(x, x'), the covariance of the outputs of the random network at init.
    pub nngp: f64,
    /// Θ(x, x'), the neural tangent kernel.
    pub ntk: f64,
}

/// The state of the recursion for one pair: the two variances, the covariance and the
/// cross NTK.
#[derive(Debug, Clone, Copy)]
struct PairState {
    k11: f64,
    k22: f64,
    k12: f64,
    ntk: f64,
}

impl PairState {
    /// `Dense`, NTK parameterization: K ← σ_w² K + σ_b², Θ ← K + σ_w² Θ.
    fn dense(self, w_var: f64, b_var: f64) -> Self {
        let k12 = w_var * self.k12 + b_var;
        PairState {
            k11: w_var * self.k11 + b_var,
            k22: w_var * self.k22 + b_var,
            k12,
            ntk: k12 + w_var * self.ntk,
        }
    }

    /// ReLU: K ← 𝔼[φφ], Θ ← 𝔼[φ'φ'] Θ.
    fn relu(self) -> Self {
        let d = relu_dual(self.k11, self.k22, self.k12);
        PairState {
            k11: d.k11,
            k22: d.k22,
            k12: d.k12,
            ntk: d.dot12 * self.ntk,
        }
    }
}

/// K(x1, x2) and Θ(x1, x2) of the infinite-width network `net`.
///
/// Errors: invalid network parameters, empty inputs, inputs of different dimension,
/// non-finite entries.
pub fn kernel_value(net: &FcNetwork, x1: &[f64], x2: &[f64]) -> Result<KernelValue> {
    net.validate()?;
    check_input("x1", x1)?;
    check_input("x2", x2)?;
    if x1.len() != x2.len() {
        return Err(NtkError::DimensionMismatch {
            field: "x2",
            expected: x1.len(),
            got: x2.len(),
        });
    }
    let d = x1.len() as f64;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>() / d;
    let same = x1 == x2;
    let k11 = dot(x1, x1);
    let k22 = if same { k11 } else { dot(x2, x2) };
    let k12 = if same { k11 } else { dot(x1, x2) };
    Ok(kernel_from_input_kernel(net, k11, k22, k12))
}

/// Run the recursion from a given input kernel (K⁰(x,x), K⁰(x',x'), K⁰(x,x')).
/// The network must have been validated.
fn kernel_from_input_kernel(net: &FcNetwork, k11: f64, k22: f64, k12: f64) -> KernelValue {
    let w_var = net.w_std * net.w_std;
    let b_var = net.b_std.map_or(0.0, |b| b * b);
    let mut s = PairState {
        k11,
        k22,
        k12,
        ntk: 0.0,
    };
    for _ in 0..net.depth {
        s = s.dense(w_var, b_var).relu();
    }
    s = s.dense(w_var, b_var);
    KernelValue {
        nngp: s.k12,
        ntk: s.ntk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn net(depth: usize, w_std: f64, b_std: Option<f64>) -> FcNetwork {
        FcNetwork {
            depth,
            w_std,
            b_std,
        }
    }

    fn on_circle(gamma: f64) -> [f64; 2] {
        [gamma.cos(), gamma.sin()]
    }

    /// The iterated angle map of the normalised ReLU network (σ_w² = 2, no bias): with
    /// unit-variance layers, cos θ_{l+1} = (sin θ_l + (π − θ_l) cos θ_l) / π, and
    /// Θ_{l+1} = cos θ_{l+1} + (π − θ_l)/π · Θ_l (Arora et al. 2019, eq. (5)).
    /// A second implementation, written in angles rather than covariances.
    fn normalised_relu_ntk(depth: usize, cos0: f64) -> (f64, f64) {
        let mut cos = cos0;
        let mut ntk = cos0; // first dense layer: Θ¹ = K¹ = cos θ₀ (unit variance)
        for _ in 0..depth {
            let theta = cos.clamp(-1.0, 1.0).acos();
            let next = (theta.sin() + (PI - theta) * cos) / PI;
            ntk = next + (PI - theta) / PI * ntk;
            cos = next;
        }
        (cos, ntk)
    }

    #[test]
    fn depth_zero_is_the_linear_kernel() {
        // Readout only: K = σ_w² ⟨x,x'⟩/d + σ_b², Θ = K.
        let x1 = [1.0, 2.0, -1.0];
        let x2 = [0.5, -1.0, 3.0];
        let v = kernel_value(&net(0, 1.5, Some(0.3)), &x1, &x2).unwrap();
        let expected = 2.25 * (0.5 - 2.0 - 3.0) / 3.0 + 0.09;
        assert!((v.nngp - expected).abs() < 1e-15);
        assert!((v.ntk - expected).abs() < 1e-15);
    }

    #[test]
    fn two_layer_relu_ntk_closed_form() {
        // depth 1, σ_w² = 2, no bias, unit-norm inputs in d = 2 at angle θ = |γ|:
        // K¹ = Θ¹ = 2 · cos γ / 2 = cos θ; after ReLU K = (sin θ + (π − θ) cos θ)/(2π);
        // readout K² = (sin θ + (π − θ) cos θ)/π and
        // Θ² = K² + 2 · (π − θ)/(2π) · cos θ = (sin θ + 2(π − θ) cos θ)/π.
        for &gamma in &[0.0, 0.3, PI / 2.0, 2.0, PI] {
            let theta: f64 = gamma;
            let v = kernel_value(
                &net(1, 2f64.sqrt(), None),
                &on_circle(0.0),
                &on_circle(gamma),
            )
            .unwrap();
            let nngp = (theta.sin() + (PI - theta) * theta.cos()) / PI;
            let ntk = (theta.sin() + 2.0 * (PI - theta) * theta.cos()) / PI;
            assert!((v.nngp - nngp).abs() < 1e-14, "γ={gamma}");
            assert!((v.ntk - ntk).abs() < 1e-14, "γ={gamma}");
        }
    }

    #[test]
    fn depth_recursion_matches_the_angle_map() {
        // Inputs with ⟨x,x⟩/d = 1/2 and σ_w² = 2 give unit-variance layers, where the
        // covariance recursion must agree with the angle map.
        for depth in [1, 2, 3, 5, 10, 50] {
            for &gamma in &[0.0, 0.1, 1.0, 2.5, PI] {
                let v = kernel_value(
                    &net(depth, 2f64.sqrt(), None),
                    &on_circle(0.0),
                    &on_circle(gamma),
                )
                .unwrap();
                let (nngp, ntk) = normalised_relu_ntk(depth, gamma.cos());
                assert!((v.nngp - nngp).abs() < 1e-12, "L={depth} γ={gamma}");
                assert!(
                    (v.ntk - ntk).abs() < 1e-12 * depth as f64,
                    "L={depth} γ={gamma}"
                );
            }
        }
    }

    #[test]
    fn diagonal_is_exact() {
        // With bias-free ReLU layers, K(x,x) after dense layer l is σ_w² K⁰ rˡ⁻¹ with
        // r = σ_w²/2, and Θ(x,x) = Σ_l K_l r^{L+1−l} = (L + 1) K(x,x): for σ_w² = 2 the
        // familiar Θ(x,x) = L + 1 on unit-variance inputs. No arccos drift on the diagonal.
        let w_std = 2f64.sqrt();
        let w2 = w_std * w_std; // σ_w² as the recursion computes it
        for depth in 0..=100 {
            let x = on_circle(0.7);
            let k0 = (x[0] * x[0] + x[1] * x[1]) / 2.0;
            let v = kernel_value(&net(depth, w_std, None), &x, &x).unwrap();
            let k = w2 * k0 * (w2 / 2.0).powi(depth as i32);
            assert!((v.nngp / k - 1.0).abs() < 1e-14, "L={depth}");
            assert!(
                (v.ntk / ((depth as f64 + 1.0) * k) - 1.0).abs() < 1e-14,
                "L={depth}"
            );
        }
    }

    #[test]
    fn kernel_is_symmetric() {
        let a = [0.3, -1.2, 0.8, 2.0];
        let b = [-0.7, 0.1, 1.5, -0.4];
        for depth in [0, 1, 4] {
            let n = net(depth, 1.3, Some(0.2));
            let ab = kernel_value(&n, &a, &b).unwrap();
            let ba = kernel_value(&n, &b, &a).unwrap();
            assert_eq!(ab, ba);
        }
    }

    #[test]
    fn bias_adds_its_variance() {
        // depth 0: Θ = K = σ_w² K⁰ + σ_b²; with σ_b the two kernels shift by σ_b².
        let x = [1.0, 0.0];
        let y = [0.0, 1.0];
        let with = kernel_value(&net(0, 1.0, Some(0.5)), &x, &y).unwrap();
        let without = kernel_value(&net(0, 1.0, None), &x, &y).unwrap();
        assert!((with.nngp - without.nngp - 0.25).abs() < 1e-15);
    }

    #[test]
    fn zero_and_antipodal_inputs_are_finite() {
        let z = [0.0, 0.0];
        let x = [1.0, 0.0];
        let n = net(5, 1.5, Some(0.1));
        for (a, b) in [(z, z), (z, x), (x, [-1.0, 0.0])] {
            let v = kernel_value(&n, &a, &b).unwrap();
            assert!(v.nngp.is_finite() && v.ntk.is_finite());
        }
        // Zero inputs with no bias: every layer sees zero variance, the kernels vanish.
        let v = kernel_value(&net(3, 1.5, None), &z, &x).unwrap();
        assert_eq!((v.nngp, v.ntk), (0.0, 0.0));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let x = [1.0, 0.0];
        assert!(matches!(
            kernel_value(&net(101, 1.0, None), &x, &x),
            Err(NtkError::OutOfRange { field: "depth", .. })
        ));
        assert!(matches!(
            kernel_value(&net(1, -1.0, None), &x, &x),
            Err(NtkError::OutOfRange { field: "w_std", .. })
        ));
        assert!(matches!(
            kernel_value(&net(1, 1.0, Some(f64::NAN)), &x, &x),
            Err(NtkError::OutOfRange { field: "b_std", .. })
        ));
        assert!(matches!(
            kernel_value(&net(1, 1.0, None), &x, &[1.0, 0.0, 0.0]),
            Err(NtkError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            kernel_value(&net(1, 1.0, None), &[f64::NAN, 0.0], &x),
            Err(NtkError::NonFinite {
                field: "x1",
                index: 0
            })
        ));
        assert!(matches!(
            kernel_value(&net(1, 1.0, None), &[], &[]),
            Err(NtkError::Empty { field: "x1" })
        ));
    }
}
