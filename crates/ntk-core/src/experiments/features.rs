//! The two feature models of Bombari et al. (random features and the NTK of a
//! two-layer net's first layer), finite and infinitely wide, as kernels on data: the
//! common ground of the spurious-feature and sensitivity experiments.
//!
//! - Random features (RF): φ_RF(z) = φ(Vz)/√k, V ∈ ℝ^{k×d} with V_ij ~ N(0, 1/d); the
//!   kernel K(z, z') = (1/k) Σ_i φ(v_iᵀz) φ(v_iᵀz') → 𝔼[φ(u)φ(u')] as k → ∞ (the
//!   NNGP of a one-hidden-layer net with σ_w = 1 and no bias).
//! - NTK features: φ_NTK(z) = z ⊗ φ'(Wz)/√(dk), W_ij ~ N(0, 1/d): the gradient of
//!   f(z) = Σ_i v_i φ(w_iᵀz)/√k (v_i = ±1) with respect to its first layer W, the
//!   NTK model of Bombari & Mondelli 2024 (arXiv:2305.12100) and Bombari, Kiyani &
//!   Mondelli 2023 (arXiv:2302.01629). K(z, z') = (zᵀz'/d)·(1/k) Σ_i φ'(w_iᵀz)φ'(w_iᵀz')
//!   → (zᵀz'/d)·𝔼[φ'(u)φ'(u')]: the first-layer part of the one-hidden-layer NTK,
//!   i.e. its NTK minus its NNGP.
//!
//! (u, u') is the centred Gaussian pair with the covariance of (wᵀz, wᵀz'),
//! w ~ N(0, I/d). Both kernels are computed with the lab's analytic kernel
//! ([`crate::kernel::kernel_matrix`]) at width ∞.

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork, Parameterization};
use crate::linalg::{a_bt, to_faer, Matrix};

/// Which feature map.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Features {
    /// The first-layer NTK features z ⊗ φ'(Wz) of a two-layer net.
    #[default]
    Ntk,
    /// Random features φ(Vz).
    Rf,
}

impl Features {
    pub fn label(&self) -> &'static str {
        match self {
            Features::Ntk => "NTK features",
            Features::Rf => "random features",
        }
    }
}

/// The one-hidden-layer network whose analytic kernels are the infinite-width limits.
pub fn limit_network(act: Activation) -> FcNetwork {
    FcNetwork {
        depth: 1,
        activation: act,
        w_std: 1.0,
        b_std: None,
        parameterization: Parameterization::Ntk,
        width: None,
    }
}

/// The first layer of a finite model: k × d weights with entries N(0, 1/d), drawn from
/// `seed` (row by row, ChaCha8, so the same natively and in wasm).
pub fn first_layer(k: usize, d: usize, seed: u64) -> Result<Matrix> {
    let mut w = crate::data::gaussian(k, d, seed)?;
    let s = 1.0 / (d as f64).sqrt();
    w.as_mut_slice().iter_mut().for_each(|v| *v *= s);
    Ok(w)
}

/// Bytes of [`kernel`] for `rows` × `cols` with k features (or width ∞) in dimension d.
pub fn kernel_bytes(rows: usize, cols: usize, d: usize, k: Option<usize>) -> u64 {
    let f = crate::budget::floats;
    match k {
        // Pre-activations and features of the rows and of the columns (≤ 4 rows × k),
        // the product and, for NTK features, the linear kernel.
        Some(k) => f(&[rows, k])
            .saturating_mul(4)
            .saturating_add(f(&[rows, cols]).saturating_mul(3)),
        None => crate::budget::kernel_bytes(rows, cols, d, 1),
    }
}

/// K(rows, cols) of the feature model with first layer `w` (k × d), or the limit k → ∞
/// when `w` is `None`.
pub fn kernel(
    features: Features,
    act: Activation,
    w: Option<&Matrix>,
    rows: &Matrix,
    cols: &Matrix,
) -> Result<Mat<f64>> {
    let d = rows.cols();
    if cols.cols() != d {
        return Err(NtkError::DimensionMismatch {
            field: "inputs",
            expected: d,
            got: cols.cols(),
        });
    }
    let Some(w) = w else {
        let k = kernel_matrix(&limit_network(act), rows, Some(cols))?;
        return Ok(Mat::from_fn(
            rows.rows(),
            cols.rows(),
            |i, j| match features {
                Features::Rf => k.nngp.get(i, j),
                Features::Ntk => k.ntk.get(i, j) - k.nngp.get(i, j),
            },
        ));
    };
    let k = w.rows() as f64;
    let wf = to_faer(w);
    let (r, c) = (to_faer(rows), to_faer(cols));
    // Pre-activations wᵢᵀz (entries of W already carry 1/√d).
    let ur = a_bt(r.as_ref(), wf.as_ref(), 1.0);
    let uc = a_bt(c.as_ref(), wf.as_ref(), 1.0);
    match features {
        Features::Rf => {
            let fr = Mat::from_fn(ur.nrows(), ur.ncols(), |i, j| act.apply(ur[(i, j)]));
            let fc = Mat::from_fn(uc.nrows(), uc.ncols(), |i, j| act.apply(uc[(i, j)]));
            Ok(a_bt(fr.as_ref(), fc.as_ref(), 1.0 / k))
        }
        Features::Ntk => {
            let dr = Mat::from_fn(ur.nrows(), ur.ncols(), |i, j| act.derivative(ur[(i, j)]));
            let dc = Mat::from_fn(uc.nrows(), uc.ncols(), |i, j| act.derivative(uc[(i, j)]));
            let mut g = a_bt(dr.as_ref(), dc.as_ref(), 1.0 / k);
            let lin = a_bt(r.as_ref(), c.as_ref(), 1.0 / d as f64);
            for j in 0..g.ncols() {
                for i in 0..g.nrows() {
                    g[(i, j)] *= lin[(i, j)];
                }
            }
            Ok(g)
        }
    }
}

/// Solve (A + εI) X = B for a symmetric positive (semi-)definite A by Cholesky, with
/// the jitter ε of [`crate::linalg::cholesky_solve`] when the factorisation fails;
/// returns X and ε.
pub fn solve_many(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<(Mat<f64>, f64)> {
    use faer::Side;
    let n = a.nrows();
    let scale = (0..n).map(|i| a[(i, i)]).sum::<f64>() / n.max(1) as f64;
    if !(scale.is_finite() && scale > 0.0) {
        return Err(NtkError::ZeroKernel);
    }
    let mut jitter = 0.0;
    for k in 0..=9 {
        let shifted = Mat::from_fn(n, n, |i, j| a[(i, j)] + if i == j { jitter } else { 0.0 });
        if let Ok(llt) = shifted.llt(Side::Lower) {
            return Ok((faer::linalg::solvers::Solve::solve(&llt, b), jitter));
        }
        jitter = 1e-12 * scale * 10f64.powi(k);
    }
    Err(NtkError::Numerical(
        "Cholesky failed even with jitter: the kernel matrix is not positive semi-definite".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn finite_kernels_equal_their_explicit_features() {
        // The kernels against inner products of explicitly built feature vectors.
        let (d, k) = (5, 7);
        let x = crate::data::gaussian(4, d, 1).unwrap();
        let w = first_layer(k, d, 2).unwrap();
        let act = Activation::Tanh;
        let rf = kernel(Features::Rf, act, Some(&w), &x, &x).unwrap();
        let ntk = kernel(Features::Ntk, act, Some(&w), &x, &x).unwrap();
        let feat = |z: &[f64], ntk: bool| -> Vec<f64> {
            let u: Vec<f64> = (0..k)
                .map(|i| (0..d).map(|j| w.get(i, j) * z[j]).sum())
                .collect();
            if ntk {
                let mut v = Vec::new();
                for zj in z {
                    for ui in &u {
                        v.push(zj * act.derivative(*ui) / ((d * k) as f64).sqrt());
                    }
                }
                v
            } else {
                u.iter()
                    .map(|ui| act.apply(*ui) / (k as f64).sqrt())
                    .collect()
            }
        };
        for a in 0..4 {
            for b in 0..4 {
                let dot = |ntk| -> f64 {
                    feat(x.row(a), ntk)
                        .iter()
                        .zip(feat(x.row(b), ntk))
                        .map(|(p, q)| p * q)
                        .sum()
                };
                assert!((rf[(a, b)] - dot(false)).abs() < 1e-14);
                assert!((ntk[(a, b)] - dot(true)).abs() < 1e-14);
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_relu_limits_are_the_arc_cosine_kernels() {
        // Unit-variance inputs (‖z‖² = d): 𝔼[relu relu](ρ) = (√(1−ρ²) + (π − arccos ρ)ρ)/(2π)
        // and (zᵀz'/d)·𝔼[step step] = ρ(π − arccos ρ)/(2π) (Cho & Saul 2009).
        let d = 2;
        let rho: f64 = 0.3;
        let s = 2f64.sqrt();
        let a = Matrix::from_row_major(1, d, vec![s, 0.0]).unwrap();
        let b = Matrix::from_row_major(1, d, vec![s * rho, s * (1.0 - rho * rho).sqrt()]).unwrap();
        let pi = std::f64::consts::PI;
        let rf = kernel(Features::Rf, Activation::Relu, None, &a, &b).unwrap()[(0, 0)];
        let ntk = kernel(Features::Ntk, Activation::Relu, None, &a, &b).unwrap()[(0, 0)];
        let e_rf = ((1.0 - rho * rho).sqrt() + (pi - rho.acos()) * rho) / (2.0 * pi);
        let e_ntk = rho * (pi - rho.acos()) / (2.0 * pi);
        assert!((rf - e_rf).abs() < 1e-14, "{rf} {e_rf}");
        assert!((ntk - e_ntk).abs() < 1e-14, "{ntk} {e_ntk}");
    }
}
