//! The measurements the experiments are made of: the circle profile, kernel regression
//! errors and the sensitivity of the NTK regressor. Each takes plain parameters,
//! validates them, and returns numbers.

use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork};
use crate::layers::architecture::Model;
use crate::linalg::Matrix;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// The most points a circle profile may ask for.
pub const MAX_CIRCLE_POINTS: usize = 100_000;

/// K(x₀, x(γ)) and Θ(x₀, x(γ)) on the unit circle, for x₀ = (1, 0) and
/// x(γ) = (cos γ, sin γ), γ ∈ [−π, π]: the picture of Jacot et al. 2018
/// (arXiv:1806.07572, Fig. 1). With d = 2 the input kernel is K⁰ = cos γ / 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CircleProfile {
    /// The angles γ, equally spaced from −π to π inclusive.
    pub gamma: Vec<f64>,
    /// The NNGP kernel K(x₀, x(γ)).
    pub nngp: Vec<f64>,
    /// The NTK Θ(x₀, x(γ)).
    pub ntk: Vec<f64>,
}

/// Compute the circle profile of `net` at `points` equally spaced angles.
/// An odd `points` puts γ = 0 (x = x₀) exactly on the grid.
pub fn circle_profile(net: &FcNetwork, points: usize) -> Result<CircleProfile> {
    net.validate()?;
    if !(3..=MAX_CIRCLE_POINTS).contains(&points) {
        return Err(NtkError::OutOfRange {
            field: "points",
            expected: "between 3 and 100000",
            value: points as f64,
        });
    }
    let gamma = circle_angles(points);
    let x0 = Matrix::from_row_major(1, 2, vec![1.0, 0.0])?;
    let xs = Matrix::from_row_major(
        points,
        2,
        gamma.iter().flat_map(|g| [g.cos(), g.sin()]).collect(),
    )?;
    let k = kernel_matrix(net, &x0, Some(&xs))?;
    Ok(CircleProfile {
        gamma,
        nngp: k.nngp.row(0).to_vec(),
        ntk: k.ntk.row(0).to_vec(),
    })
}

/// `points` angles from −π to π inclusive, symmetric about 0 (the upper half mirrors
/// the lower half exactly, so a profile of an even kernel is exactly even); γ = 0 is
/// exact for odd `points`.
pub fn circle_angles(points: usize) -> Vec<f64> {
    let step = 2.0 * PI / (points - 1) as f64;
    (0..points)
        .map(|i| {
            // Symmetric grid: the upper half mirrors the lower half exactly, so the
            // profile is exactly even; γ = 0 is exact for odd `points`.
            let mirror = points - 1 - i;
            if i < mirror {
                -PI + i as f64 * step
            } else if i == mirror {
                0.0
            } else {
                PI - mirror as f64 * step
            }
        })
        .collect()
}

/// A circle in the plane of two inputs a and b (rows 0 and 1 of `x`):
/// x(γ) = ‖a‖·(cos γ·u + sin γ·v), u = a/‖a‖, v the unit part of b orthogonal to a, so
/// that x(0) = a. Returns x₀ = a (1 × d) and the points x(γ) (one row per angle). The
/// circle of inputs of a network whose kernel is not a function of the angle alone
/// (a CNN): it is measured on a slice of its own input space.
pub fn plane_circle(x: &Matrix, gamma: &[f64]) -> Result<(Matrix, Matrix)> {
    if x.rows() < 2 {
        return Err(NtkError::OutOfRange {
            field: "data.n",
            expected: "at least 2 inputs (the circle passes through the first two)",
            value: x.rows() as f64,
        });
    }
    let (a, b) = (x.row(0), x.row(1));
    let norm = |v: &[f64]| v.iter().map(|t| t * t).sum::<f64>().sqrt();
    let r = norm(a);
    let dot = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(s, t)| s * t).sum::<f64>();
    let u: Vec<f64> = a.iter().map(|t| t / r).collect();
    let w: Vec<f64> = b
        .iter()
        .zip(&u)
        .map(|(bi, ui)| bi - dot(b, &u) * ui)
        .collect();
    let wn = norm(&w);
    if !(r > 0.0 && wn > 1e-12 * norm(b).max(1e-300)) {
        return Err(NtkError::Numerical(
            "the first two inputs are parallel (or zero): no plane to draw the circle in".into(),
        ));
    }
    let v: Vec<f64> = w.iter().map(|t| t / wn).collect();
    let d = a.len();
    let xs = Matrix::from_row_major(
        gamma.len(),
        d,
        gamma
            .iter()
            .flat_map(|g| {
                let (c, s) = (g.cos(), g.sin());
                (0..d).map(move |k| (k, c, s))
            })
            .map(|(k, c, s)| r * (c * u[k] + s * v[k]))
            .collect(),
    )?;
    Ok((Matrix::from_row_major(1, d, a.to_vec())?, xs))
}

/// Kernel regression on samples of a distribution: the analytic-NTK regressor
/// (t = ∞, relative ridge `diag_reg`) trained on n samples of `dist` in ℝᵈ (projected
/// onto the sphere with `project`) labelled by `target`, measured on `n_test` points.
#[derive(Debug, Clone, Copy)]
pub struct Sampled<'a> {
    /// The network in its architecture.
    pub model: Model<'a>,
    pub dist: crate::data::Distribution,
    pub d: usize,
    pub project: bool,
    pub target: &'a crate::targets::Target,
    pub n_test: usize,
    pub diag_reg: f64,
    pub seed: u64,
}

impl Sampled<'_> {
    fn draw(&self, n: usize, seed: u64) -> Result<Matrix> {
        crate::data::sample(self.dist, n, self.d, seed, self.project)
    }

    /// The test error at n training points: one point of the learning curve. The
    /// training set for n is drawn with seed `seed + n`, the test set with
    /// `seed ^ 0xfeed`.
    pub fn mse(&self, n: usize) -> Result<f64> {
        use crate::targets::targets;
        let x_test = self.draw(self.n_test, self.seed ^ 0xfeed)?;
        let y_test = targets(self.target, &x_test, 0.0, 0)?;
        let x = self.draw(n, self.seed + n as u64)?;
        let y = targets(self.target, &x, 0.0, 0)?;
        kernel_regression_mse_on(self.model, &x, &y, &x_test, &y_test, self.diag_reg)
    }

    /// The test MSE at n training points (the same sets as [`Sampled::mse`]) of a
    /// finite network of width `width` (seed 0) after `steps` steps of full-batch
    /// gradient descent at rate `learning_rate`; `None` if it diverged.
    pub fn trained_mse(
        &self,
        n: usize,
        width: usize,
        learning_rate: f64,
        steps: usize,
    ) -> Result<Option<f64>> {
        use crate::targets::targets;
        let x_test = self.draw(self.n_test, self.seed ^ 0xfeed)?;
        let y_test = targets(self.target, &x_test, 0.0, 0)?;
        let x = self.draw(n, self.seed + n as u64)?;
        let y = targets(self.target, &x, 0.0, 0)?;
        let rec = self.model.train_through(
            width,
            0,
            (&x, &y),
            (&x_test, &y_test),
            learning_rate,
            steps,
            &[steps],
            |_| true,
        )?;
        // The record's loss is (1/2N)‖f − y‖²: twice it is the mean squared error.
        Ok(match rec.diverged_at {
            Some(_) => None,
            None => rec.test_loss.last().map(|l| 2.0 * l),
        })
    }

    /// Sensitivity of the regressor trained on n points (after Bombari, Kiyani &
    /// Mondelli 2023, arXiv:2302.01629): S = 𝔼_z |∇_z f(z)ᵀ (z − ẑ)|, the change of the
    /// trained predictor's output, to first order, when a test input z is moved towards
    /// an independent draw ẑ of the same distribution ([`sensitivity_on`]). Seeds:
    /// training set `seed`, z `seed ^ 0x51`, ẑ `seed ^ 0x52` with its rows shuffled
    /// by `seed ^ 0x53`, so that deterministic designs (equally spaced points on the
    /// circle) still pair z with a random ẑ.
    pub fn sensitivity(&self, n: usize) -> Result<f64> {
        let x = self.draw(n, self.seed)?;
        let y = crate::targets::targets(self.target, &x, 0.0, 0)?;
        let z = self.draw(self.n_test, self.seed ^ 0x51)?;
        let z_hat = shuffled_rows(&self.draw(self.n_test, self.seed ^ 0x52)?, self.seed ^ 0x53)?;
        sensitivity_on(self.model, &x, &y, &z, &z_hat, self.diag_reg)
    }
}

/// [`Sampled::mse`] on given training and test sets (e.g. a user's data).
pub fn kernel_regression_mse_on(
    model: Model,
    x: &Matrix,
    y: &[f64],
    x_test: &Matrix,
    y_test: &[f64],
    diag_reg: f64,
) -> Result<f64> {
    if y_test.len() != x_test.rows() || y_test.is_empty() {
        return Err(NtkError::DimensionMismatch {
            field: "y_test",
            expected: x_test.rows(),
            got: y_test.len(),
        });
    }
    let ktt = model.kernels(x, None)?.ntk;
    let kst = model.kernels(x_test, Some(x))?.ntk;
    let p = crate::dynamics::predict(&ktt, &kst, y, &[None], 1.0, diag_reg, None)?;
    Ok(p.test_mean[0]
        .iter()
        .zip(y_test)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / y_test.len() as f64)
}

/// The rows of `m` in a seeded random order.
pub fn shuffled_rows(m: &Matrix, seed: u64) -> Result<Matrix> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut order: Vec<usize> = (0..m.rows()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    Matrix::from_row_major(
        m.rows(),
        m.cols(),
        order.iter().flat_map(|&i| m.row(i).to_vec()).collect(),
    )
}

/// The sensitivity of the NTK regressor trained on (x, y), at the test inputs z moved
/// towards ẑ (row by row): the directional derivative by central differences with
/// step 10⁻⁴ along v = z − ẑ (exact to O(10⁻⁸) for smooth kernels; the ReLU NTK is
/// smooth away from z = ±xᵢ).
pub fn sensitivity_on(
    model: Model,
    x: &Matrix,
    y: &[f64],
    z: &Matrix,
    z_hat: &Matrix,
    diag_reg: f64,
) -> Result<f64> {
    let (n, d, n_test) = (x.rows(), x.cols(), z.rows());
    if z.cols() != d || z_hat.cols() != d || z_hat.rows() != n_test || n_test == 0 {
        return Err(NtkError::DimensionMismatch {
            field: "z",
            expected: d,
            got: z.cols(),
        });
    }
    let ktt = model.kernels(x, None)?.ntk;
    let eps = diag_reg * (0..n).map(|i| ktt.get(i, i)).sum::<f64>() / n as f64;
    let mut reg = ktt.clone();
    for i in 0..n {
        reg.as_mut_slice()[i * n + i] += eps;
    }
    let (alpha, _) = crate::linalg::cholesky_solve(&reg, y)?;
    let h = 1e-4;
    let mut plus = Vec::with_capacity(n_test * d);
    let mut minus = Vec::with_capacity(n_test * d);
    for i in 0..n_test {
        for c in 0..d {
            let v = z.get(i, c) - z_hat.get(i, c);
            plus.push(z.get(i, c) + h * v);
            minus.push(z.get(i, c) - h * v);
        }
    }
    let f = |pts: Vec<f64>| -> Result<Vec<f64>> {
        let m = Matrix::from_row_major(n_test, d, pts)?;
        let k = model.kernels(&m, Some(x))?.ntk;
        Ok((0..n_test)
            .map(|i| k.row(i).iter().zip(&alpha).map(|(a, b)| a * b).sum())
            .collect())
    };
    let (fp, fm) = (f(plus)?, f(minus)?);
    Ok(fp
        .iter()
        .zip(&fm)
        .map(|(a, b)| ((a - b) / (2.0 * h)).abs())
        .sum::<f64>()
        / n_test as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn relu(depth: usize) -> FcNetwork {
        FcNetwork::relu(depth, 2f64.sqrt(), Some(0.1))
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn profile_spans_the_circle_and_peaks_at_zero() {
        let p = circle_profile(&relu(3), 101).unwrap();
        assert_eq!(p.gamma.len(), 101);
        assert_eq!(p.gamma[0], -PI);
        assert_eq!(p.gamma[100], PI);
        assert_eq!(p.gamma[50], 0.0);
        let argmax = (0..101)
            .max_by(|&a, &b| p.ntk[a].total_cmp(&p.ntk[b]))
            .unwrap();
        assert_eq!(argmax, 50);
        let at_zero = crate::kernel::kernel_value(&relu(3), &[1.0, 0.0], &[1.0, 0.0]).unwrap();
        assert_eq!(p.ntk[50], at_zero.ntk);
        assert_eq!(p.nngp[50], at_zero.nngp);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn profile_is_even_in_the_angle() {
        for n in [100, 101] {
            let p = circle_profile(&relu(4), n).unwrap();
            for i in 0..n {
                assert_eq!(p.gamma[i], -p.gamma[n - 1 - i]);
                assert!((p.ntk[i] - p.ntk[n - 1 - i]).abs() < 1e-13);
                assert!((p.nngp[i] - p.nngp[n - 1 - i]).abs() < 1e-13);
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn profile_grid_is_increasing() {
        for n in [3, 4, 10, 11, 400] {
            let p = circle_profile(&relu(1), n).unwrap();
            assert!(p.gamma.windows(2).all(|w| w[0] < w[1]), "n={n}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sensitivity_of_a_linear_regressor_is_exact() {
        // depth 0: Θ(z, x) = σ_w² ⟨z, x⟩/d + σ_b², so f(z) = Σ αᵢ Θ(z, xᵢ) is affine
        // with gradient w = σ_w²/d Σ αᵢ xᵢ, and S = mean |wᵀ(z − ẑ)| exactly.
        use crate::data::{sample, Distribution};
        use crate::targets::Target;
        let net = FcNetwork::relu(0, 1.2, Some(0.3));
        let target = Target::RandomLabels { seed: 1 };
        let (n, d, m, seed) = (20, 6, 15, 4);
        let s = Sampled {
            model: Model::mlp(&net),
            dist: Distribution::Gaussian,
            d,
            project: false,
            target: &target,
            n_test: m,
            diag_reg: 1e-3,
            seed,
        }
        .sensitivity(n)
        .unwrap();
        let x = sample(Distribution::Gaussian, n, d, seed, false).unwrap();
        let y = crate::targets::targets(&target, &x, 0.0, 0).unwrap();
        let k = kernel_matrix(&net, &x, None).unwrap().ntk;
        let eps = 1e-3 * (0..n).map(|i| k.get(i, i)).sum::<f64>() / n as f64;
        let mut reg = k.clone();
        for i in 0..n {
            reg.as_mut_slice()[i * n + i] += eps;
        }
        let (alpha, _) = crate::linalg::cholesky_solve(&reg, &y).unwrap();
        let w: Vec<f64> = (0..d)
            .map(|c| 1.44 / d as f64 * (0..n).map(|i| alpha[i] * x.get(i, c)).sum::<f64>())
            .collect();
        let z = sample(Distribution::Gaussian, m, d, seed ^ 0x51, false).unwrap();
        let zh = sample(Distribution::Gaussian, m, d, seed ^ 0x52, false).unwrap();
        // ẑ's rows are paired with z's in a seeded random order (documented above).
        let mut order: Vec<usize> = (0..m).collect();
        {
            use rand::seq::SliceRandom;
            use rand::SeedableRng;
            order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x53));
        }
        let exact = (0..m)
            .map(|i| {
                (0..d)
                    .map(|c| w[c] * (z.get(i, c) - zh.get(order[i], c)))
                    .sum::<f64>()
                    .abs()
            })
            .sum::<f64>()
            / m as f64;
        assert!((s - exact).abs() < 1e-8 * exact, "{s} vs {exact}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sensitivity_on_the_equally_spaced_circle_is_positive() {
        // The circle's samples are a fixed grid: ẑ must still be a different point.
        use crate::data::Distribution;
        use crate::targets::Target;
        let target = Target::harmonics(&[1, 4]);
        let s = Sampled {
            model: Model::mlp(&relu(2)),
            dist: Distribution::Circle,
            d: 2,
            project: false,
            target: &target,
            n_test: 40,
            diag_reg: 1e-6,
            seed: 0,
        }
        .sensitivity(32)
        .unwrap();
        assert!(s > 0.1, "{s}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn profile_rejects_bad_sizes() {
        assert!(circle_profile(&relu(1), 2).is_err());
        assert!(circle_profile(&relu(1), MAX_CIRCLE_POINTS + 1).is_err());
    }
}
