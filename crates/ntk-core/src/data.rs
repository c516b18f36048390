//! Seeded input samples. The same seed gives the same numbers natively and in wasm
//! (ChaCha8 from `rand_chacha`, the distributions from `rand_distr`).
//!
//! Every distribution is scaled to mean 0 and variance 1 per coordinate, so that they
//! differ only in their tails: bounded (uniform on [−√3, √3], Rademacher ±1) and
//! Gaussian are sub-Gaussian; Laplace and the centred exponential are sub-exponential;
//! Student-t with ν > 2 degrees of freedom is heavy-tailed (only moments below ν
//! exist). See Vershynin, *High-Dimensional Probability* (2018), ch. 2, for the ψ₂ and
//! ψ₁ norms estimated by [`orlicz_norms`].

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp1, StandardNormal, StudentT};
use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// The most entries (n × d) a sample may have.
pub const MAX_ENTRIES: usize = 1 << 26;

fn check_size(n: usize, d: usize) -> Result<()> {
    if n == 0 || d == 0 {
        return Err(NtkError::Empty { field: "n × d" });
    }
    if n.saturating_mul(d) > MAX_ENTRIES {
        return Err(NtkError::OutOfRange {
            field: "n × d",
            expected: "at most 67108864 entries",
            value: n as f64 * d as f64,
        });
    }
    Ok(())
}

/// n points of N(0, I_d), row by row.
pub fn gaussian(n: usize, d: usize, seed: u64) -> Result<Matrix> {
    check_size(n, d)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = (0..n * d)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    Matrix::from_row_major(n, d, data)
}

/// n points uniform on the unit sphere S^{d−1} (normalised Gaussians).
pub fn unit_sphere(n: usize, d: usize, seed: u64) -> Result<Matrix> {
    let mut x = gaussian(n, d, seed)?;
    for row in x.as_mut_slice().chunks_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    Ok(x)
}

/// An input distribution on ℝᵈ (i.i.d. coordinates with mean 0 and variance 1,
/// except the geometric ones).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Distribution {
    /// N(0, I).
    Gaussian,
    /// Uniform on the unit sphere S^{d−1}.
    Sphere,
    /// n equally spaced points on the unit circle (d = 2), at angles −π + 2πi/n.
    Circle,
    /// Uniform on [−√3, √3]ᵈ (bounded).
    Uniform,
    /// ±1 with probability ½ each (bounded, sub-Gaussian).
    Rademacher,
    /// Laplace with scale 1/√2 (sub-exponential).
    Laplace,
    /// Exp(1) − 1 (sub-exponential, skewed).
    Exponential,
    /// Student-t with ν > 2 degrees of freedom, scaled by √((ν − 2)/ν) (heavy-tailed).
    StudentT { nu: f64 },
    /// 1-D signals of length d: one Gaussian bump ±exp(−δ(p, c)²/(2s²)) per input,
    /// with δ the circular distance between positions, the centre c uniform on
    /// [0, d), the width s uniform on [0.5, 2] and the sign ±1 with probability ½,
    /// scaled to ‖x‖² = d (unit mean square). With `height` h, images of h × d/h
    /// pixels (row-major) with one round blob: δ² the sum of the squared circular
    /// distances along both axes, the centre uniform on the torus. A shifted copy of an
    /// input is as likely as the input: the data of a translation-invariant task (the
    /// convolutional architectures of [`crate::layers::architecture`]).
    Bumps {
        #[serde(default)]
        height: Option<usize>,
    },
}

impl Distribution {
    /// Every name, as accepted in JSON.
    pub const NAMES: [&'static str; 9] = [
        "gaussian",
        "sphere",
        "circle",
        "uniform",
        "rademacher",
        "laplace",
        "exponential",
        "student_t",
        "bumps",
    ];

    /// The JSON name.
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Gaussian => "gaussian",
            Distribution::Sphere => "sphere",
            Distribution::Circle => "circle",
            Distribution::Uniform => "uniform",
            Distribution::Rademacher => "rademacher",
            Distribution::Laplace => "laplace",
            Distribution::Exponential => "exponential",
            Distribution::StudentT { .. } => "student_t",
            Distribution::Bumps { .. } => "bumps",
        }
    }

    /// The tail class theory puts it in.
    pub fn tail_class(&self) -> &'static str {
        match self {
            Distribution::Uniform
            | Distribution::Rademacher
            | Distribution::Circle
            | Distribution::Sphere
            | Distribution::Bumps { .. } => "bounded",
            Distribution::Gaussian => "sub-Gaussian",
            Distribution::Laplace | Distribution::Exponential => "sub-exponential",
            Distribution::StudentT { .. } => "heavy-tailed",
        }
    }

    /// Theoretical kurtosis 𝔼x⁴/(𝔼x²)² of one coordinate (∞ for Student-t with ν ≤ 4).
    pub fn kurtosis(&self) -> Option<f64> {
        Some(match *self {
            Distribution::Gaussian => 3.0,
            Distribution::Uniform => 1.8,
            Distribution::Rademacher => 1.0,
            Distribution::Laplace => 6.0,
            Distribution::Exponential => 9.0,
            Distribution::StudentT { nu } if nu > 4.0 => 3.0 + 6.0 / (nu - 4.0),
            _ => return None,
        })
    }
}

/// n samples of `dist` in ℝᵈ, seeded; with `project`, each row is then scaled to unit
/// norm (onto S^{d−1}).
pub fn sample(dist: Distribution, n: usize, d: usize, seed: u64, project: bool) -> Result<Matrix> {
    check_size(n, d)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = match dist {
        Distribution::Gaussian => return finish(gaussian(n, d, seed)?, project),
        Distribution::Sphere => return unit_sphere(n, d, seed),
        Distribution::Circle => {
            if d != 2 {
                return Err(NtkError::DimensionMismatch {
                    field: "d",
                    expected: 2,
                    got: d,
                });
            }
            let data = (0..n)
                .flat_map(|i| {
                    let a =
                        -std::f64::consts::PI + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                    [a.cos(), a.sin()]
                })
                .collect();
            return Matrix::from_row_major(n, 2, data);
        }
        Distribution::Uniform => {
            let r = 3f64.sqrt();
            (0..n * d)
                .map(|_| r * (2.0 * rng.random::<f64>() - 1.0))
                .collect::<Vec<_>>()
        }
        Distribution::Rademacher => (0..n * d)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect(),
        Distribution::Laplace => (0..n * d)
            .map(|_| {
                let e: f64 = Exp1.sample(&mut rng);
                let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                sign * e * std::f64::consts::FRAC_1_SQRT_2
            })
            .collect(),
        Distribution::Exponential => (0..n * d)
            .map(|_| {
                let e: f64 = Exp1.sample(&mut rng);
                e - 1.0
            })
            .collect(),
        Distribution::StudentT { nu } => {
            if !(nu.is_finite() && nu > 2.0) {
                return Err(NtkError::OutOfRange {
                    field: "nu",
                    expected: "a number > 2 (unit variance needs ν > 2)",
                    value: nu,
                });
            }
            let t = StudentT::new(nu).map_err(|e| NtkError::Numerical(format!("nu: {e}")))?;
            let scale = ((nu - 2.0) / nu).sqrt();
            (0..n * d).map(|_| scale * t.sample(&mut rng)).collect()
        }
        Distribution::Bumps { height } => {
            let h = height.unwrap_or(1);
            if h == 0 || !d.is_multiple_of(h) {
                return Err(NtkError::OutOfRange {
                    field: "height",
                    expected: "an image height that divides d",
                    value: h as f64,
                });
            }
            let w = d / h;
            // The circular distance along an axis of `len` positions.
            let circ = |a: f64, len: usize| {
                let t = a.rem_euclid(len as f64);
                t.min(len as f64 - t)
            };
            (0..n)
                .flat_map(|_| {
                    let (cy, cx) = (
                        h as f64 * rng.random::<f64>(),
                        w as f64 * rng.random::<f64>(),
                    );
                    let s = 0.5 + 1.5 * rng.random::<f64>();
                    let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                    let row: Vec<f64> = (0..d)
                        .map(|p| {
                            let (dy, dx) =
                                (circ((p / w) as f64 - cy, h), circ((p % w) as f64 - cx, w));
                            (-(dy * dy + dx * dx) / (2.0 * s * s)).exp()
                        })
                        .collect();
                    let scale = sign * (d as f64 / row.iter().map(|v| v * v).sum::<f64>()).sqrt();
                    row.into_iter().map(move |v| scale * v)
                })
                .collect()
        }
    };
    x.truncate(n * d);
    finish(Matrix::from_row_major(n, d, x)?, project)
}

fn finish(x: Matrix, project: bool) -> Result<Matrix> {
    Ok(if project { project_rows(x) } else { x })
}

/// Every row divided by its Euclidean norm (onto the unit sphere); zero rows stay zero.
pub fn project_rows(mut x: Matrix) -> Matrix {
    let d = x.cols().max(1);
    for row in x.as_mut_slice().chunks_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    x
}

/// Estimates of the sub-Gaussian norm ‖X‖_ψ₂ = inf{t > 0 : 𝔼 exp(X²/t²) ≤ 2} and the
/// sub-exponential norm ‖X‖_ψ₁ = inf{t > 0 : 𝔼 exp(|X|/t) ≤ 2} of one coordinate,
/// with the expectation replaced by the sample mean over all entries (bisection in t).
/// For N(0, 1), ‖X‖_ψ₂ = √(8/3) ≈ 1.633.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrliczNorms {
    pub psi2: f64,
    pub psi1: f64,
}

/// See [`OrliczNorms`].
pub fn orlicz_norms(values: &[f64]) -> Result<OrliczNorms> {
    if values.is_empty() {
        return Err(NtkError::Empty { field: "sample" });
    }
    let solve = |phi: &dyn Fn(f64, f64) -> f64| -> f64 {
        let mean = |t: f64| values.iter().map(|&v| phi(v, t)).sum::<f64>() / values.len() as f64;
        let max = values
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(1e-300);
        let (mut lo, mut hi) = (max * 1e-3, max * 10.0);
        // Grow hi until the mean is ≤ 2 (it decreases in t towards 1).
        while mean(hi) > 2.0 {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mean(mid) > 2.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    };
    // exp overflows to ∞ for tiny t, which the bisection treats as "> 2": correct.
    Ok(OrliczNorms {
        psi2: solve(&|v, t| ((v / t) * (v / t)).exp()),
        psi1: solve(&|v, t| (v.abs() / t).exp()),
    })
}

/// Sample mean, variance and kurtosis of all entries.
pub fn moments(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m4 = values.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, m2, m4 / (m2 * m2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn gaussian_is_seeded_and_standard() {
        let a = gaussian(2000, 5, 7).unwrap();
        assert_eq!(a, gaussian(2000, 5, 7).unwrap());
        assert_ne!(a, gaussian(2000, 5, 8).unwrap());
        let n = a.as_slice().len() as f64;
        let mean = a.as_slice().iter().sum::<f64>() / n;
        let var = a.as_slice().iter().map(|v| v * v).sum::<f64>() / n;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.04, "variance {var}");
    }

    /// Each bump signal has mean square 1 and one circular peak: its entries, read
    /// around the circle from the peak, fall monotonically in |value| both ways.
    #[wasm_bindgen_test(unsupported = test)]
    fn bumps_are_unit_signals_with_one_peak() {
        let d = 16;
        let x = sample(Distribution::Bumps { height: None }, 200, d, 4, false).unwrap();
        let mut signs = 0.0;
        for i in 0..200 {
            let r = x.row(i);
            let ms = r.iter().map(|v| v * v).sum::<f64>() / d as f64;
            assert!((ms - 1.0).abs() < 1e-12);
            let peak = (0..d)
                .max_by(|&a, &b| r[a].abs().total_cmp(&r[b].abs()))
                .unwrap();
            for k in 0..d / 2 {
                for dir in [1, d - 1] {
                    let (a, b) = ((peak + k * dir) % d, (peak + (k + 1) * dir) % d);
                    assert!(r[b].abs() <= r[a].abs() + 1e-15, "row {i}: {r:?}");
                }
            }
            signs += r[peak].signum();
        }
        // ±1 with probability ½: |Σ sign| over 200 draws is below 4σ = 57.
        assert!(signs.abs() < 57.0);
    }

    /// Images: unit mean square, one blob whose value depends only on the circular
    /// distance from its peak (so the peak's row and column read the same profile
    /// when the image is square), and a height that does not divide d is refused.
    #[wasm_bindgen_test(unsupported = test)]
    fn image_bumps_are_round_blobs() {
        let x = sample(Distribution::Bumps { height: Some(6) }, 50, 36, 9, false).unwrap();
        for i in 0..50 {
            let r = x.row(i);
            assert!((r.iter().map(|v| v * v).sum::<f64>() / 36.0 - 1.0).abs() < 1e-12);
            let peak = (0..36)
                .max_by(|&a, &b| r[a].abs().total_cmp(&r[b].abs()))
                .unwrap();
            let (py, px) = (peak / 6, peak % 6);
            for k in 1..3 {
                // One step right and one step down from the peak differ only in where
                // the centre lies within its pixel: both fall from the peak.
                assert!(r[py * 6 + (px + k) % 6].abs() < r[peak].abs() + 1e-15);
                assert!(r[((py + k) % 6) * 6 + px].abs() < r[peak].abs() + 1e-15);
            }
        }
        assert!(sample(Distribution::Bumps { height: Some(5) }, 2, 36, 0, false).is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn moments_match_theory() {
        // 200 000 entries each: the sample variance of x² has std ≈ √((κ − 1)/N).
        let n = 200_000;
        for dist in [
            Distribution::Gaussian,
            Distribution::Uniform,
            Distribution::Rademacher,
            Distribution::Laplace,
            Distribution::Exponential,
            Distribution::StudentT { nu: 8.0 },
        ] {
            let x = sample(dist, n, 1, 11, false).unwrap();
            let (mean, var, kurt) = moments(x.as_slice());
            let k = dist.kurtosis().unwrap();
            let se_var = ((k - 1.0) / n as f64).sqrt();
            assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "{dist:?} mean {mean}");
            // (Rademacher: x² ≡ 1, only the centring by the sample mean moves it.)
            assert!(
                (var - 1.0).abs() < 5.0 * se_var + 10.0 / n as f64,
                "{dist:?} variance {var}"
            );
            // Kurtosis estimates are noisy for heavy tails: 10 % (Student-t 8: 20 %).
            let tol = if matches!(dist, Distribution::StudentT { .. }) {
                0.2
            } else {
                0.1
            };
            assert!(
                (kurt - k).abs() < tol * k,
                "{dist:?} kurtosis {kurt} vs {k}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn tails_are_ordered_gaussian_laplace_student() {
        let n = 200_000;
        let tail = |dist| {
            let x = sample(dist, n, 1, 5, false).unwrap();
            let mut a: Vec<f64> = x.as_slice().iter().map(|v| v.abs()).collect();
            a.sort_by(f64::total_cmp);
            let q = a[(0.9995 * n as f64) as usize];
            (q, orlicz_norms(x.as_slice()).unwrap())
        };
        let (qg, ng) = tail(Distribution::Gaussian);
        let (ql, nl) = tail(Distribution::Laplace);
        let (qt, nt) = tail(Distribution::StudentT { nu: 3.0 });
        assert!(qg < ql && ql < qt, "quantiles {qg} {ql} {qt}");
        assert!(
            ng.psi2 < nl.psi2 && nl.psi2 < nt.psi2,
            "ψ₂ {ng:?} {nl:?} {nt:?}"
        );
        // ‖N(0,1)‖_ψ₂ = √(8/3); ‖N(0,1)‖_ψ₁ solves 2 e^{1/(2t²)} Φ(1/t) = 2.
        assert!(
            (ng.psi2 - (8.0f64 / 3.0).sqrt()).abs() < 0.03,
            "{}",
            ng.psi2
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn circle_and_projection() {
        let c = sample(Distribution::Circle, 8, 2, 0, false).unwrap();
        assert_eq!(c.row(0), &[-1.0, -std::f64::consts::PI.sin()]);
        assert!((c.get(4, 0) - 1.0).abs() < 1e-15);
        assert!(sample(Distribution::Circle, 8, 3, 0, false).is_err());
        let p = sample(Distribution::Laplace, 50, 6, 2, true).unwrap();
        for i in 0..50 {
            let norm: f64 = p.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-14);
        }
        assert!(sample(Distribution::StudentT { nu: 2.0 }, 5, 2, 0, false).is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sphere_points_have_unit_norm() {
        let s = unit_sphere(100, 4, 1).unwrap();
        for i in 0..100 {
            let norm: f64 = s.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-15);
        }
    }
}
