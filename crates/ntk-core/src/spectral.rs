//! Spectral bias: what gradient descent learns first.
//!
//! Under the linearised dynamics the training residual r = f − y evolves as
//! r(s) = V (1 − ηΛ/N)^s Vᵀ r(0), so its component on the i-th eigenvector of the train
//! kernel decays like e^{−ηλᵢt/N} (t = η·s): large-eigenvalue directions are learned
//! first (Jacot et al. 2018; Arora et al. 2019, arXiv:1901.08584). On the circle the
//! Gram matrix of equally spaced points is circulant, so its eigenvectors are Fourier
//! modes and the eigenvalues are the kernel's Fourier coefficients, which decay with
//! frequency (Rahaman et al. 2019, arXiv:1806.08734; Basri et al. 2019,
//! arXiv:1906.00425, who also show that the two-layer bias-free ReLU NTK has no odd
//! frequencies ≥ 3).

use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// Components Vᵀ r of `residual` on the columns of `vectors` (eigenvectors).
pub fn project(vectors: &Matrix, residual: &[f64]) -> Result<Vec<f64>> {
    let n = vectors.rows();
    if residual.len() != n {
        return Err(NtkError::DimensionMismatch {
            field: "residual",
            expected: n,
            got: residual.len(),
        });
    }
    Ok((0..vectors.cols())
        .map(|k| (0..n).map(|i| vectors.get(i, k) * residual[i]).sum())
        .collect())
}

/// The residual f − y of each recorded prediction, projected on the eigenvectors
/// (columns of `vectors`): one row per record, one entry per mode.
pub fn residual_modes(
    vectors: &Matrix,
    predictions: &[Vec<f64>],
    y: &[f64],
) -> Result<Vec<Vec<f64>>> {
    predictions
        .iter()
        .map(|f| {
            let r: Vec<f64> = f.iter().zip(y).map(|(a, b)| a - b).collect();
            project(vectors, &r)
        })
        .collect()
}

/// The theory's per-mode factor after time t = η·s: e^{−ηλt/N}... written in steps,
/// (1 − ηλ/N)^s for gradient descent and e^{−λ t/N} for gradient flow.
pub fn mode_decay(lambda: &[f64], learning_rate: f64, n: usize, steps: usize) -> Vec<(f64, f64)> {
    lambda
        .iter()
        .map(|&l| {
            let rate = learning_rate * l / n as f64;
            (
                (1.0 - rate).powi(steps as i32),
                (-rate * steps as f64).exp(),
            )
        })
        .collect()
}

/// The frequency content of a function sampled at equally spaced angles
/// γ_j = −π + 2πj/n: the energy |ĉ_k|² + |ŝ_k|² at each frequency k = 0..n/2, as
/// fractions of the total.
pub fn frequency_energy(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let total: f64 = values
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    (0..=n / 2)
        .map(|k| {
            let (mut c, mut s) = (0.0, 0.0);
            for (j, v) in values.iter().enumerate() {
                let a = 2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64;
                c += v * a.cos();
                s += v * a.sin();
            }
            // Parseval: Σ v² = (c₀² + 2Σ(c_k² + s_k²) [+ c_{n/2}²]) / n.
            let weight = if k == 0 || 2 * k == n { 1.0 } else { 2.0 };
            weight * (c * c + s * s) / n as f64 / total
        })
        .collect()
}

/// The dominant frequency of a sampled function and its share of the energy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dominant {
    pub frequency: usize,
    pub share: f64,
}

/// See [`Dominant`].
pub fn dominant_frequency(values: &[f64]) -> Dominant {
    let e = frequency_energy(values);
    let (k, share) = e.iter().enumerate().fold(
        (0, 0.0),
        |best, (k, &v)| if v > best.1 { (k, v) } else { best },
    );
    Dominant {
        frequency: k,
        share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{sample, Distribution};
    use crate::kernel::{kernel_matrix, FcNetwork};
    use crate::linalg::symmetric_eigen;
    use crate::sphere::sphere_eigenvalues;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn circle_gram_eigenvectors_are_fourier_modes() {
        let x = sample(Distribution::Circle, 128, 2, 0, false).unwrap();
        let net = FcNetwork::relu(2, 1.5, Some(0.2));
        let k = kernel_matrix(&net, &x, None).unwrap().ntk;
        let (lambda, v) = symmetric_eigen(&k).unwrap();
        let s = sphere_eigenvalues(&net, 2, 8).unwrap();
        // Top 1 + 2·8 eigenvectors, largest first: frequencies 0, 1, 1, 2, 2, …
        let n = 128;
        for r in 0..17 {
            let col = n - 1 - r;
            let vec: Vec<f64> = (0..n).map(|i| v.get(i, col)).collect();
            let d = dominant_frequency(&vec);
            assert!(d.share > 1.0 - 1e-9, "eigenvector {r}: share {}", d.share);
            assert_eq!(d.frequency, r.div_ceil(2), "eigenvector {r}");
            // The eigenvalue is n·μ_k (circulant matrix of a smooth enough kernel).
            let mu = s.ntk[d.frequency];
            assert!(
                (lambda[col] / n as f64 - mu).abs() < 1e-3 * s.ntk[0],
                "eigenvalue {r}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn eigenvalues_decay_with_frequency() {
        for net in [
            FcNetwork::relu(2, 1.5, Some(0.2)),
            FcNetwork::relu(4, 1.4, Some(0.1)),
        ] {
            let s = sphere_eigenvalues(&net, 2, 24).unwrap();
            for k in 1..24 {
                assert!(s.ntk[k + 1] < s.ntk[k], "{net:?}: μ_{} ≥ μ_{k}", k + 1);
                assert!(s.ntk[k] > 0.0);
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn two_layer_bias_free_relu_ntk_has_no_odd_frequencies_above_one() {
        let net = FcNetwork::relu(1, 2f64.sqrt(), None);
        let s = sphere_eigenvalues(&net, 2, 12).unwrap();
        for k in [3, 5, 7, 9, 11] {
            assert!(s.ntk[k].abs() < 1e-12 * s.ntk[0], "μ_{k} = {}", s.ntk[k]);
        }
        for k in [0, 1, 2, 4, 6, 8, 10, 12] {
            assert!(s.ntk[k] > 1e-6 * s.ntk[0], "μ_{k} = {}", s.ntk[k]);
        }
    }
}
