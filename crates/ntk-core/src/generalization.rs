//! Generalization: the data-dependent bound of Arora, Du, Hu, Li & Wang 2019
//! ("Fine-grained analysis…", arXiv:1901.08584, Theorem 5.1) and learning curves of
//! kernel regression.
//!
//! For a two-layer ReLU network trained by gradient descent on n unit-norm inputs, the
//! population loss is bounded (up to lower-order terms) by √(2 yᵀ(H^∞)⁻¹y / n), where
//! H^∞_ij = x_iᵀx_j (π − arccos(x_iᵀx_j)) / (2π) is the Gram matrix of the two-layer
//! ReLU NTK of the first layer. Labels aligned with the large-eigenvalue directions of
//! H^∞ (smooth functions) give a small bound; random labels give a bound that does not
//! shrink with n.

use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// H^∞ of unit-norm rows.
pub fn arora_gram(x: &Matrix) -> Result<Matrix> {
    let n = x.rows();
    for i in 0..n {
        let norm: f64 = x.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
        if (norm - 1.0).abs() > 1e-9 {
            return Err(NtkError::OutOfRange {
                field: "x (row norm)",
                expected: "1 (the bound is stated for unit-norm inputs; project onto the sphere)",
                value: norm,
            });
        }
    }
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = x.row(i).iter().zip(x.row(j)).map(|(a, b)| a * b).sum();
            let c = dot.clamp(-1.0, 1.0);
            let v = if i == j {
                0.5
            } else {
                c * (std::f64::consts::PI - c.acos()) / (2.0 * std::f64::consts::PI)
            };
            h[i * n + j] = v;
            h[j * n + i] = v;
        }
    }
    Matrix::from_row_major(n, n, h)
}

/// √(2 yᵀ(H^∞)⁻¹ y / n).
pub fn arora_bound(x: &Matrix, y: &[f64]) -> Result<f64> {
    Ok(arora_bound_with_jitter(x, y)?.0)
}

/// The condition number beyond which H^∞ counts as singular: a solve then loses more
/// than ~10⁻⁶ relative accuracy in float64, and the bound is set by round-off.
pub const SINGULAR_CONDITION: f64 = 1e10;

/// √(2 yᵀ(H^∞ + εI)⁻¹ y / n) and the ε used, from the eigen-decomposition
/// H^∞ = V Λ Vᵀ: yᵀ(H^∞ + εI)⁻¹y = Σ_k (v_kᵀy)²/(λ_k + ε). ε = 0 when H^∞ is well
/// conditioned (λ_min > λ_max/[`SINGULAR_CONDITION`]); otherwise (duplicate or
/// antipodal inputs, or too many points for the kernel's rank) ε = λ_max /
/// [`SINGULAR_CONDITION`], and the bound depends on that choice: callers must say so.
pub fn arora_bound_with_jitter(x: &Matrix, y: &[f64]) -> Result<(f64, f64)> {
    if y.len() != x.rows() {
        return Err(NtkError::DimensionMismatch {
            field: "y",
            expected: x.rows(),
            got: y.len(),
        });
    }
    let (quad, jitter) = inverse_quadratic(&arora_gram(x)?, y)?;
    Ok(((2.0 * quad / y.len() as f64).sqrt(), jitter))
}

/// yᵀ(K + εI)⁻¹y for a symmetric positive semi-definite K, and the ε used, from the
/// eigen-decomposition K = V Λ Vᵀ: Σ_k (v_kᵀy)²/(λ_k + ε). ε = 0 when K is well
/// conditioned (λ_min > λ_max/[`SINGULAR_CONDITION`]), else ε = λ_max /
/// [`SINGULAR_CONDITION`] (the value then depends on that choice: callers say so).
pub fn inverse_quadratic(k: &Matrix, y: &[f64]) -> Result<(f64, f64)> {
    let n = y.len();
    if k.rows() != n || k.cols() != n {
        return Err(NtkError::DimensionMismatch {
            field: "y",
            expected: k.rows(),
            got: n,
        });
    }
    let (lambda, v) = crate::linalg::symmetric_eigen(k)?;
    let top = lambda.last().copied().unwrap_or(0.0);
    if !(top.is_finite() && top > 0.0) {
        return Err(NtkError::ZeroKernel);
    }
    let floor = top / SINGULAR_CONDITION;
    let jitter = if lambda[0] > floor { 0.0 } else { floor };
    let quad = (0..n)
        .map(|j| {
            let c: f64 = (0..n).map(|i| v.get(i, j) * y[i]).sum();
            c * c / (lambda[j].max(0.0) + jitter)
        })
        .sum();
    Ok((quad, jitter))
}

/// The bound for the true labels and for random ±1 labels at one n.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundPoint {
    pub n: usize,
    pub true_labels: f64,
    pub random_labels: f64,
    /// The regularisation ε added to H^∞ (largest of the two solves); 0 if none was
    /// needed. When positive, the bound at this n depends on ε.
    #[serde(default)]
    pub jitter: f64,
}

fn bound_point(n: usize, x: &Matrix, y: &[f64], random: &[f64]) -> Result<BoundPoint> {
    let (t, j1) = arora_bound_with_jitter(x, y)?;
    let (r, j2) = arora_bound_with_jitter(x, random)?;
    Ok(BoundPoint {
        n,
        true_labels: t,
        random_labels: r,
        jitter: j1.max(j2),
    })
}

/// The bound for labels `y` on inputs `x` and for random ±1 labels (seed ⊕ 0x9e37)
/// rescaled to the energy of `y`.
fn against_random(x: &Matrix, y: &[f64], seed: u64) -> Result<BoundPoint> {
    bound_point(x.rows(), x, y, &random_labels_like(x, y, seed)?)
}

/// Random ±1 labels of the rows of `x` (seed ⊕ 0x9e37), scaled to the RMS of `y`: the
/// labels a bound is compared with.
pub fn random_labels_like(x: &Matrix, y: &[f64], seed: u64) -> Result<Vec<f64>> {
    let energy = (y.iter().map(|v| v * v).sum::<f64>() / y.len().max(1) as f64).sqrt();
    let random = crate::targets::Target::RandomLabels {
        seed: seed ^ 0x9e37,
    };
    Ok(crate::targets::targets(&random, x, 0.0, 0)?
        .iter()
        .map(|v| v * energy)
        .collect())
}

/// The bound for `target` and for random ±1 labels (rescaled to the target's energy)
/// on n unit-norm samples of `dist` in ℝᵈ, for each n.
pub fn bound_curve(
    dist: crate::data::Distribution,
    d: usize,
    target: &crate::targets::Target,
    n_values: &[usize],
    seed: u64,
) -> Result<Vec<BoundPoint>> {
    n_values
        .iter()
        .map(|&n| {
            let x = crate::data::sample(dist, n, d, seed + n as u64, true)?;
            let y = crate::targets::targets(target, &x, 0.0, 0)?;
            against_random(&x, &y, seed)
        })
        .collect()
}

/// The bound for labels `y_pool` and for random ±1 labels of the same size, on the
/// first n rows of `x_pool` projected onto the unit sphere, for each n (a user's data).
pub fn bound_curve_on(
    x_pool: &Matrix,
    y_pool: &[f64],
    n_values: &[usize],
    seed: u64,
) -> Result<Vec<BoundPoint>> {
    if y_pool.len() != x_pool.rows() {
        return Err(NtkError::DimensionMismatch {
            field: "y",
            expected: x_pool.rows(),
            got: y_pool.len(),
        });
    }
    n_values
        .iter()
        .map(|&n| {
            if n > x_pool.rows() || n == 0 {
                return Err(NtkError::OutOfRange {
                    field: "n",
                    expected: "between 1 and the number of rows",
                    value: n as f64,
                });
            }
            let d = x_pool.cols();
            let x = crate::data::project_rows(Matrix::from_row_major(
                n,
                d,
                x_pool.as_slice()[..n * d].to_vec(),
            )?);
            let y = &y_pool[..n];
            against_random(&x, y, seed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{sample, Distribution};
    use crate::targets::{targets, Target};
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn random_labels_give_a_larger_bound_than_a_smooth_target() {
        let d = 10;
        let mut points = Vec::new();
        for n in [100, 200, 500, 1000] {
            let x = sample(Distribution::Sphere, n, d, n as u64, false).unwrap();
            // A smooth target: a degree-1 plus degree-2 zonal harmonic, unit scale.
            let smooth = Target::harmonics(&[1, 2]);
            let y = targets(&smooth, &x, 0.0, 0).unwrap();
            let r = targets(&Target::RandomLabels { seed: 9 }, &x, 0.0, 0).unwrap();
            // Compare at equal label energy.
            let scale = (r.len() as f64 / y.iter().map(|v| v * v).sum::<f64>()).sqrt();
            let y: Vec<f64> = y.iter().map(|v| v * scale).collect();
            let p = BoundPoint {
                n,
                true_labels: arora_bound(&x, &y).unwrap(),
                random_labels: arora_bound(&x, &r).unwrap(),
                jitter: 0.0,
            };
            assert!(p.random_labels > 1.5 * p.true_labels, "{p:?}");
            points.push(p);
        }
        // The smooth target's bound falls with n; the random labels' does not.
        assert!(points[3].true_labels < points[0].true_labels, "{points:?}");
        assert!(
            points[3].random_labels > 0.8 * points[0].random_labels,
            "{points:?}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bound_curve_separates_true_and_random_labels() {
        let target = Target::harmonics(&[1]);
        let curve = bound_curve(Distribution::Gaussian, 8, &target, &[100, 300], 2).unwrap();
        for p in &curve {
            assert!(p.random_labels > p.true_labels, "{p:?}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bound_on_given_rows_projects_them_and_uses_their_prefixes() {
        // Rows scaled by 3 give the same bound as the unit rows (H^∞ needs unit norm).
        let x = sample(Distribution::Sphere, 60, 4, 5, false).unwrap();
        let y = targets(&Target::harmonics(&[1]), &x, 0.0, 0).unwrap();
        let scaled =
            Matrix::from_row_major(60, 4, x.as_slice().iter().map(|v| 3.0 * v).collect()).unwrap();
        let curve = bound_curve_on(&scaled, &y, &[20, 60], 1).unwrap();
        let first20 = Matrix::from_row_major(20, 4, x.as_slice()[..80].to_vec()).unwrap();
        let direct = arora_bound(&first20, &y[..20]).unwrap();
        assert!((curve[0].true_labels - direct).abs() < 1e-12 * direct);
        assert!(curve[1].random_labels > curve[1].true_labels);
        assert!(bound_curve_on(&scaled, &y, &[61], 1).is_err());
    }

    /// H^∞_ij = 𝔼_w[x_iᵀx_j 1{wᵀx_i ≥ 0} 1{wᵀx_j ≥ 0}], w ~ N(0, I) (Arora et al. 2019,
    /// eq. (3)): checked against a Monte Carlo estimate of that expectation with its
    /// error bar (4 standard errors), on random unit vectors in d = 5.
    #[test]
    fn gram_matches_a_monte_carlo_estimate_of_its_definition() {
        use rand::{RngExt, SeedableRng};
        let x = sample(Distribution::Sphere, 6, 5, 11, false).unwrap();
        let h = arora_gram(&x).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let samples = 200_000;
        let n = x.rows();
        let (mut sum, mut sq) = (vec![0.0; n * n], vec![0.0; n * n]);
        let mut w = [0.0; 5];
        for _ in 0..samples {
            for c in w.iter_mut() {
                *c = rng.sample::<f64, _>(rand_distr::StandardNormal);
            }
            let on: Vec<bool> = (0..n)
                .map(|i| x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() >= 0.0)
                .collect();
            for i in 0..n {
                for j in 0..n {
                    let dot: f64 = x.row(i).iter().zip(x.row(j)).map(|(a, b)| a * b).sum();
                    let v = if on[i] && on[j] { dot } else { 0.0 };
                    sum[i * n + j] += v;
                    sq[i * n + j] += v * v;
                }
            }
        }
        for k in 0..n * n {
            let mean = sum[k] / samples as f64;
            let se = ((sq[k] / samples as f64 - mean * mean) / samples as f64).sqrt();
            let got = h.as_slice()[k];
            assert!(
                (got - mean).abs() <= 4.0 * se + 1e-12,
                "entry {k}: {got} vs MC {mean} ± {se}"
            );
        }
        let bad = Matrix::from_rows("x", &[vec![2.0, 0.0]]).unwrap();
        assert!(arora_gram(&bad).is_err());
    }

    /// Two identical inputs make H^∞ singular (two equal rows): the solve needs a
    /// regularisation, and the point says how much; distinct inputs need none.
    #[wasm_bindgen_test(unsupported = test)]
    fn a_singular_h_infinity_reports_its_regularisation() {
        let x = sample(Distribution::Sphere, 12, 3, 2, false).unwrap();
        let y: Vec<f64> = (0..12).map(|i| x.get(i, 0)).collect();
        let fine = bound_curve_on(&x, &y, &[12], 1).unwrap();
        assert_eq!(fine[0].jitter, 0.0);
        let mut rows = x.to_rows();
        rows[5] = rows[4].clone();
        let dup = Matrix::from_rows("x", &rows).unwrap();
        let mut y2 = y.clone();
        y2[5] = y2[4];
        let p = bound_curve_on(&dup, &y2, &[12], 1).unwrap();
        assert!(p[0].jitter > 0.0, "{p:?}");
    }
}
