//! Activations and their dual kernels.
//!
//! For an activation φ and a centred Gaussian pair (u, v) ~ N(0, [[k₁₁, k₁₂], [k₁₂, k₂₂]]),
//! the infinite-width recursion needs the two expectations
//!
//! - 𝔼[φ(u) φ(v)]   (the next NNGP kernel), and
//! - 𝔼[φ'(u) φ'(v)] (the factor by which the NTK is multiplied).
//!
//! Only ReLU is implemented so far, in closed form.

/// The result of passing a covariance triple through an activation's dual kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DualKernel {
    /// 𝔼[φ(u)²]
    pub k11: f64,
    /// 𝔼[φ(v)²]
    pub k22: f64,
    /// 𝔼[φ(u) φ(v)]
    pub k12: f64,
    /// 𝔼[φ'(u) φ'(v)]
    pub dot12: f64,
}

/// ReLU dual kernel, the degree-1 arc-cosine kernel (Cho & Saul 2009, "Kernel Methods
/// for Deep Learning"; as used by Jacot et al. 2018, arXiv:1806.07572, and
/// neural-tangents' `stax.Relu`).
///
/// With θ = arccos(k₁₂ / √(k₁₁k₂₂)) ∈ [0, π]:
///
/// - 𝔼[relu(u) relu(v)]   = √(k₁₁k₂₂) · (sin θ + (π − θ) cos θ) / (2π),
/// - 𝔼[relu'(u) relu'(v)] = (π − θ) / (2π),
/// - 𝔼[relu(u)²] = k₁₁ / 2.
///
/// Edge cases, exact rather than approximate:
/// - identical inputs (k₁₁ = k₂₂ = k₁₂) take θ = 0 exactly, so the diagonal carries no
///   arccos round-off (arccos(1 − ε) ≈ √(2ε) would otherwise give errors of ~1e-8);
/// - the cosine is clamped to [−1, 1] against round-off;
/// - a zero-variance input (u ≡ 0) gives 0 for both expectations, with relu'(0) = 0
///   as in JAX.
pub fn relu_dual(k11: f64, k22: f64, k12: f64) -> DualKernel {
    let half = |k: f64| 0.5 * k;
    if k11 <= 0.0 || k22 <= 0.0 {
        return DualKernel {
            k11: half(k11.max(0.0)),
            k22: half(k22.max(0.0)),
            k12: 0.0,
            dot12: 0.0,
        };
    }
    if k11 == k22 && k12 == k11 {
        return DualKernel {
            k11: half(k11),
            k22: half(k22),
            k12: half(k11),
            dot12: 0.5,
        };
    }
    let norm = k11.sqrt() * k22.sqrt();
    let cos = (k12 / norm).clamp(-1.0, 1.0);
    let theta = cos.acos();
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    let pi = std::f64::consts::PI;
    DualKernel {
        k11: half(k11),
        k22: half(k22),
        k12: norm * (sin + (pi - theta) * cos) / (2.0 * pi),
        dot12: (pi - theta) / (2.0 * pi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Unit variances and correlation cos θ.
    fn at_angle(theta: f64) -> DualKernel {
        relu_dual(1.0, 1.0, theta.cos())
    }

    #[test]
    fn arc_cosine_kernel_at_zero_angle() {
        // θ = 0: 𝔼[relu(u)²] = 1/2, 𝔼[1{u>0}] = 1/2.
        let d = relu_dual(1.0, 1.0, 1.0);
        assert_eq!(d.k12, 0.5);
        assert_eq!(d.dot12, 0.5);
        let d = at_angle(0.0);
        assert_eq!(d.k12, 0.5);
    }

    #[test]
    fn arc_cosine_kernel_at_right_angle() {
        // θ = π/2: u, v independent, 𝔼[relu(u)]² = (1/√(2π))² = 1/(2π); P(u>0)P(v>0) = 1/4.
        let d = relu_dual(1.0, 1.0, 0.0);
        assert!((d.k12 - 1.0 / (2.0 * PI)).abs() < 1e-15);
        assert!((d.dot12 - 0.25).abs() < 1e-15);
        let d = at_angle(PI / 2.0);
        assert!((d.k12 - 1.0 / (2.0 * PI)).abs() < 1e-15);
    }

    #[test]
    fn arc_cosine_kernel_at_antipodes() {
        // θ = π: v = −u, so relu(u)·relu(−u) = 0 and 1{u>0}·1{−u>0} = 0.
        let d = relu_dual(1.0, 1.0, -1.0);
        assert_eq!(d.k12, 0.0);
        assert_eq!(d.dot12, 0.0);
        // Round-off beyond −1 is clamped, never NaN.
        let d = relu_dual(1.0, 1.0, -1.0 - 1e-15);
        assert_eq!(d.k12, 0.0);
    }

    #[test]
    fn scales_with_the_variances() {
        // 𝔼[relu(a u) relu(b v)] = a b 𝔼[relu(u) relu(v)] for a, b > 0.
        let base = relu_dual(1.0, 1.0, 0.3);
        let scaled = relu_dual(4.0, 9.0, 0.3 * 6.0);
        assert!((scaled.k12 - 6.0 * base.k12).abs() < 1e-14);
        assert!((scaled.dot12 - base.dot12).abs() < 1e-15);
        assert_eq!(scaled.k11, 2.0);
        assert_eq!(scaled.k22, 4.5);
    }

    #[test]
    fn zero_input_gives_zero_not_nan() {
        let d = relu_dual(0.0, 1.0, 0.0);
        assert_eq!((d.k11, d.k22, d.k12, d.dot12), (0.0, 0.5, 0.0, 0.0));
    }

    #[test]
    fn matches_independent_gaussian_integrals() {
        // Second computation for correlation ρ: write (u, v) = (r cos a, r (ρ cos a + s sin a))
        // with s = √(1 − ρ²). The radial part integrates in closed form,
        // ∫₀^∞ r³ e^{−r²/2} dr / (2π) = 1/π, leaving a 1-D angular integral done by a fine
        // midpoint rule. The derivative term is Sheppard's formula
        // P(u > 0, v > 0) = 1/4 + arcsin(ρ) / (2π).
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
            let d = relu_dual(1.0, 1.0, rho);
            assert!(
                (d.k12 - angular / PI).abs() < 1e-9,
                "ρ={rho}: {} vs {}",
                d.k12,
                angular / PI
            );
            let sheppard = 0.25 + rho.asin() / (2.0 * PI);
            assert!((d.dot12 - sheppard).abs() < 1e-15, "ρ={rho}");
        }
    }
}
