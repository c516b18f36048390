//! Regression targets for the lab's experiments.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};
use crate::linalg::Matrix;
use crate::network::{Mlp, MlpSpec};
use crate::sphere::gegenbauer;

/// A target function y(x).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum Target {
    /// Σ a_k cos(k γ) with γ = atan2(x₂, x₁) the angle of a point of ℝ² (spectral bias
    /// on the circle).
    Fourier { modes: Vec<(usize, f64)> },
    /// Σ a_k P_k(⟨x, e₁⟩/‖x‖): zonal spherical harmonics of degree k (P_k the
    /// Gegenbauer polynomial of S^{d−1}, P_k(1) = 1).
    Harmonics { degrees: Vec<(usize, f64)> },
    /// The output of a random network (a "teacher").
    Teacher { spec: MlpSpec, seed: u64 },
    /// Independent ±1 labels (no relation to x).
    RandomLabels { seed: u64 },
    /// x₁·x₂, the target of Jacot et al. 2018's Fig. 1 (arXiv:1806.07572); needs d ≥ 2.
    Product,
    /// The circular lag-1 autocorrelation Σ_p x_p·x_{p+1 mod d} / √d of x read as a
    /// signal (unit variance for i.i.d. unit-variance entries): invariant to circular
    /// shifts and local, the target a CNN with global pooling suits. Needs d ≥ 2.
    Autocorrelation,
    /// x read as `tokens` tokens of d/T features: y = (1/√T)·Σ_t x_{t,1}·x_{t,2}, or
    /// (1/√T)·Σ_t (x_{t,1}² − 1)/√2 with one feature per token. Unit variance for
    /// i.i.d. N(0, 1) entries, and blind to the tokens' order: a bag of tokens, which
    /// attention with global pooling (permutation-invariant) suits.
    TokenBag { tokens: usize },
    /// x read as `tokens` tokens: y = (x_{1,1}·x_{1,2} − x_{T,1}·x_{T,2})/√2, the first
    /// token's term of the bag minus the last token's ((x_{1,1}² − x_{T,1}²)/2 with one
    /// feature per token). Unit variance, and it changes when the tokens are
    /// reordered: attention needs its positions (flatten) to see it. Needs T ≥ 2.
    TokenOrder { tokens: usize },
}

impl Target {
    /// Σ_k P_k(⟨x, e₁⟩/‖x‖) over `degrees`, each with amplitude 1.
    pub fn harmonics(degrees: &[usize]) -> Target {
        Target::Harmonics {
            degrees: degrees.iter().map(|&k| (k, 1.0)).collect(),
        }
    }
}

/// y(xᵢ) for every row, plus N(0, σ²) label noise (seeded).
pub fn targets(target: &Target, x: &Matrix, noise: f64, seed: u64) -> Result<Vec<f64>> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(NtkError::OutOfRange {
            field: "noise",
            expected: "a finite number ≥ 0",
            value: noise,
        });
    }
    let n = x.rows();
    let mut y: Vec<f64> = match target {
        Target::Fourier { modes } => {
            if x.cols() != 2 {
                return Err(NtkError::DimensionMismatch {
                    field: "d",
                    expected: 2,
                    got: x.cols(),
                });
            }
            (0..n)
                .map(|i| {
                    let g = x.get(i, 1).atan2(x.get(i, 0));
                    modes.iter().map(|(k, a)| a * (*k as f64 * g).cos()).sum()
                })
                .collect()
        }
        Target::Harmonics { degrees } if x.cols() == 1 && degrees.iter().any(|(k, _)| *k >= 2) => {
            // S⁰ = {−1, +1}: only degrees 0 (constant) and 1 (the sign) exist, and the
            // Gegenbauer recursion divides by zero beyond.
            return Err(NtkError::OutOfRange {
                field: "degrees",
                expected: "0 or 1 in one dimension (x/|x| is only ±1)",
                value: degrees.iter().map(|(k, _)| *k).max().unwrap_or(0) as f64,
            });
        }
        Target::Harmonics { degrees } => (0..n)
            .map(|i| {
                let row = x.row(i);
                let norm = row
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt()
                    .max(f64::MIN_POSITIVE);
                let t = row[0] / norm;
                degrees
                    .iter()
                    .map(|(k, a)| a * gegenbauer(x.cols(), *k, t))
                    .sum()
            })
            .collect(),
        Target::Teacher { spec, seed } => Mlp::init(spec, x.cols(), *seed)?.forward(x)?,
        Target::Product => {
            if x.cols() < 2 {
                return Err(NtkError::DimensionMismatch {
                    field: "d",
                    expected: 2,
                    got: x.cols(),
                });
            }
            (0..n).map(|i| x.get(i, 0) * x.get(i, 1)).collect()
        }
        Target::Autocorrelation => {
            let d = x.cols();
            if d < 2 {
                return Err(NtkError::DimensionMismatch {
                    field: "d",
                    expected: 2,
                    got: d,
                });
            }
            (0..n)
                .map(|i| {
                    let r = x.row(i);
                    (0..d).map(|p| r[p] * r[(p + 1) % d]).sum::<f64>() / (d as f64).sqrt()
                })
                .collect()
        }
        Target::TokenBag { tokens } | Target::TokenOrder { tokens } => {
            let (t, d) = (*tokens, x.cols());
            let order = matches!(target, Target::TokenOrder { .. });
            if t == 0 || !d.is_multiple_of(t) || (order && t < 2) {
                return Err(NtkError::OutOfRange {
                    field: "tokens",
                    expected: if order {
                        "at least 2 tokens, dividing d"
                    } else {
                        "a number of tokens dividing d"
                    },
                    value: t as f64,
                });
            }
            let f = d / t;
            (0..n)
                .map(|i| {
                    let r = x.row(i);
                    let term = |k: usize| {
                        let tok = &r[k * f..(k + 1) * f];
                        if f >= 2 {
                            tok[0] * tok[1]
                        } else {
                            (tok[0] * tok[0] - 1.0) / std::f64::consts::SQRT_2
                        }
                    };
                    if order {
                        return (term(0) - term(t - 1)) / std::f64::consts::SQRT_2;
                    }
                    let per: f64 = (0..t).map(term).sum();
                    per / (t as f64).sqrt()
                })
                .collect()
        }
        Target::RandomLabels { seed } => {
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            (0..n)
                .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                .collect()
        }
    };
    if noise > 0.0 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x05ee_d0f1_abe1);
        for v in &mut y {
            *v += noise * rng.sample::<f64, _>(StandardNormal);
        }
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn product_target_is_x1_times_x2_and_needs_two_coordinates() {
        let x = Matrix::from_rows("x", &[vec![2.0, -3.0, 5.0], vec![0.5, 4.0, 1.0]]).unwrap();
        assert_eq!(
            targets(&Target::Product, &x, 0.0, 0).unwrap(),
            vec![-6.0, 2.0]
        );
        let line = Matrix::from_rows("x", &[vec![1.0]]).unwrap();
        assert!(targets(&Target::Product, &line, 0.0, 0).is_err());
        assert!(targets(&Target::Autocorrelation, &line, 0.0, 0).is_err());
        // (1·2 + 2·3 + 3·1)/√3, and invariant to a circular shift.
        let x = Matrix::from_row_major(2, 3, vec![1.0, 2.0, 3.0, 3.0, 1.0, 2.0]).unwrap();
        let y = targets(&Target::Autocorrelation, &x, 0.0, 0).unwrap();
        assert!((y[0] - 11.0 / 3f64.sqrt()).abs() < 1e-15);
        assert_eq!(y[0], y[1]);
        // On the line, harmonics of degree ≥ 2 do not exist; degree 1 is the sign.
        let two = Target::harmonics(&[2]);
        assert!(targets(&two, &line, 0.0, 0).is_err());
        // Tokens: 2 tokens of 2 features, (1·2 + 3·4)/√2 and (1·2 − 3·4)/√2; swapping
        // the tokens keeps the bag and flips the order target.
        let x = Matrix::from_row_major(2, 4, vec![1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 1.0, 2.0]).unwrap();
        let bag = targets(&Target::TokenBag { tokens: 2 }, &x, 0.0, 0).unwrap();
        assert!((bag[0] - 14.0 / 2f64.sqrt()).abs() < 1e-14);
        assert_eq!(bag[0], bag[1]);
        let order = targets(&Target::TokenOrder { tokens: 2 }, &x, 0.0, 0).unwrap();
        assert!((order[0] + 10.0 / 2f64.sqrt()).abs() < 1e-14, "{order:?}");
        assert!((order[1] - 10.0 / 2f64.sqrt()).abs() < 1e-14, "{order:?}");
        // One feature per token: ((1² − 1) − (4² − 1))/√2/√2 = −7.5.
        let x = Matrix::from_row_major(1, 4, vec![1.0, 2.0, 5.0, 4.0]).unwrap();
        let o = targets(&Target::TokenOrder { tokens: 4 }, &x, 0.0, 0).unwrap();
        assert!((o[0] + 7.5).abs() < 1e-14, "{o:?}");
        // One feature per token: (x² − 1)/√2 summed over tokens, over √T.
        let one = targets(&Target::TokenBag { tokens: 4 }, &x, 0.0, 0).unwrap();
        let want = (0.0 + 3.0 + 24.0 + 15.0) / 2f64.sqrt() / 2.0;
        assert!((one[0] - want).abs() < 1e-14, "{one:?}");
        assert!(targets(&Target::TokenBag { tokens: 3 }, &x, 0.0, 0).is_err());
        assert!(targets(&Target::TokenOrder { tokens: 1 }, &x, 0.0, 0).is_err());
        let sign = Target::harmonics(&[1]);
        let pts = Matrix::from_rows("x", &[vec![-2.0], vec![0.5]]).unwrap();
        assert_eq!(targets(&sign, &pts, 0.0, 0).unwrap(), vec![-1.0, 1.0]);
    }
}
