//! Dense matrices and the linear algebra the core needs, through faer.

use faer::{MatRef, Par, Side};
use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};

/// A dense row-major matrix of f64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// A rows × cols matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// From row-major data; `data.len()` must be rows × cols.
    pub fn from_row_major(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        if data.len() != rows * cols {
            return Err(NtkError::DimensionMismatch {
                field: "data",
                expected: rows * cols,
                got: data.len(),
            });
        }
        Ok(Matrix { rows, cols, data })
    }

    /// The row-major data, without copying.
    pub fn into_vec(self) -> Vec<f64> {
        self.data
    }

    /// From a list of rows, which must all have the same length. `field` names the
    /// input in errors (e.g. "x1").
    pub fn from_rows(field: &'static str, rows: &[Vec<f64>]) -> Result<Self> {
        let cols = rows.first().map_or(0, Vec::len);
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, r) in rows.iter().enumerate() {
            if r.len() != cols {
                return Err(NtkError::RaggedRows {
                    field,
                    row: i,
                    expected: cols,
                    got: r.len(),
                });
            }
            data.extend_from_slice(r);
        }
        Ok(Matrix {
            rows: rows.len(),
            cols,
            data,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// Row i.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The row-major data.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// The row-major data, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// The rows as vectors (for JSON output).
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.data
            .chunks(self.cols.max(1))
            .map(<[f64]>::to_vec)
            .collect()
    }

    /// A faer view.
    pub fn as_faer(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
    }

    /// Largest |aᵢⱼ − aⱼᵢ|, for square matrices.
    pub fn asymmetry(&self) -> f64 {
        let mut worst = 0.0f64;
        for i in 0..self.rows {
            for j in 0..i {
                worst = worst.max((self.get(i, j) - self.get(j, i)).abs());
            }
        }
        worst
    }
}

/// A column-major faer copy of a matrix.
pub(crate) fn to_faer(x: &Matrix) -> faer::Mat<f64> {
    faer::Mat::from_fn(x.rows(), x.cols(), |i, j| x.get(i, j))
}

/// C = α A Bᵀ.
pub(crate) fn a_bt(a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) -> faer::Mat<f64> {
    let mut c = faer::Mat::zeros(a.nrows(), b.nrows());
    faer::linalg::matmul::matmul(&mut c, faer::Accum::Replace, a, b.transpose(), alpha, par());
    c
}

/// faer's parallelism: every core natively, one thread on wasm32.
pub fn par() -> Par {
    #[cfg(not(target_arch = "wasm32"))]
    {
        Par::rayon(0)
    }
    #[cfg(target_arch = "wasm32")]
    {
        Par::Seq
    }
}

/// Eigen-decomposition of a symmetric matrix (lower triangle read): eigenvalues
/// ascending and the eigenvectors as the columns of an n × n row-major matrix.
pub fn symmetric_eigen(m: &Matrix) -> Result<(Vec<f64>, Matrix)> {
    crate::budget::ensure(
        "the eigen-decomposition",
        crate::budget::eigen_bytes(m.rows()),
        "use fewer inputs",
    )?;
    if m.rows != m.cols {
        return Err(NtkError::DimensionMismatch {
            field: "matrix columns",
            expected: m.rows,
            got: m.cols,
        });
    }
    let evd = m
        .as_faer()
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| NtkError::Numerical(format!("eigen-decomposition failed: {e:?}")))?;
    let n = m.rows;
    let s = evd.S();
    let u = evd.U();
    let values = (0..n).map(|i| s[i]).collect();
    let vectors = (0..n)
        .flat_map(|i| (0..n).map(move |j| u[(i, j)]))
        .collect();
    Ok((values, Matrix::from_row_major(n, n, vectors)?))
}

/// Eigenvalues of a symmetric matrix (its lower triangle is read), ascending.
pub fn symmetric_eigenvalues(m: &Matrix) -> Result<Vec<f64>> {
    if m.rows != m.cols {
        return Err(NtkError::DimensionMismatch {
            field: "matrix columns",
            expected: m.rows,
            got: m.cols,
        });
    }
    m.as_faer()
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| NtkError::Numerical(format!("eigen-decomposition failed: {e:?}")))
}

/// Solve (A + εI) x = b for a symmetric positive (semi-)definite A by Cholesky
/// (faer's LLᵀ). If the factorisation fails, retry with a growing jitter
/// ε = 10⁻¹² · tr(A)/n · 10ᵏ (k = 0, 1, …, 8) and report the ε used.
pub fn cholesky_solve(a: &Matrix, b: &[f64]) -> Result<(Vec<f64>, f64)> {
    let n = a.rows;
    if a.cols != n || b.len() != n {
        return Err(NtkError::DimensionMismatch {
            field: "b",
            expected: n,
            got: b.len(),
        });
    }
    let scale = (0..n).map(|i| a.get(i, i)).sum::<f64>() / n.max(1) as f64;
    if !(scale.is_finite() && scale > 0.0) {
        // A zero (or negative-trace) kernel: any jitter would be the whole matrix, and
        // the solution would be y/ε. Refuse instead of returning ±∞ or NaN.
        return Err(NtkError::ZeroKernel);
    }
    let mut jitter = 0.0;
    for k in 0..=9 {
        let shifted =
            faer::Mat::from_fn(n, n, |i, j| a.get(i, j) + if i == j { jitter } else { 0.0 });
        if let Ok(llt) = shifted.llt(Side::Lower) {
            let rhs = faer::Mat::from_fn(n, 1, |i, _| b[i]);
            let x = faer::linalg::solvers::Solve::solve(&llt, &rhs);
            return Ok(((0..n).map(|i| x[(i, 0)]).collect(), jitter));
        }
        jitter = 1e-12 * scale.abs().max(f64::MIN_POSITIVE) * 10f64.powi(k);
    }
    Err(NtkError::Numerical(
        "Cholesky failed even with jitter: the matrix is not positive semi-definite".into(),
    ))
}

/// The 2-norm condition number λ_max/λ_min of a symmetric positive definite matrix
/// (∞ when λ_min ≤ 0).
pub fn condition_number(a: &Matrix) -> Result<f64> {
    let ev = symmetric_eigenvalues(a)?;
    let (lo, hi) = (ev[0], ev[ev.len() - 1]);
    Ok(if lo > 0.0 { hi / lo } else { f64::INFINITY })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let m = Matrix::from_row_major(2, 2, vec![2.0, 1.0, 1.0, 2.0]).unwrap();
        let e = symmetric_eigenvalues(&m).unwrap();
        assert!((e[0] - 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn eigen_decomposition_identities_for_sizes_2_to_1000() {
        // A·V ≈ V·Λ and VᵀV ≈ I on seeded NTK Grams (positive definite, spread
        // spectrum), with a tolerance growing like n·ε·‖A‖.
        for (n, seed) in [(2, 1), (3, 2), (10, 3), (57, 4), (200, 5), (1000, 6)] {
            let x = crate::data::gaussian(n, 5, seed).unwrap();
            let net = crate::kernel::FcNetwork::relu(2, 1.4, Some(0.1));
            let a = crate::kernel::kernel_matrix(&net, &x, None).unwrap().ntk;
            let (lambda, v) = symmetric_eigen(&a).unwrap();
            let norm = lambda[n - 1].abs();
            let tol = 50.0 * n as f64 * f64::EPSILON;
            let (mut res, mut orth) = (0.0f64, 0.0f64);
            for (j, lam) in lambda.iter().enumerate() {
                for i in 0..n {
                    let av: f64 = (0..n).map(|k| a.get(i, k) * v.get(k, j)).sum();
                    res = res.max((av - v.get(i, j) * lam).abs() / norm);
                    let vtv: f64 = (0..n).map(|k| v.get(k, i) * v.get(k, j)).sum();
                    orth = orth.max((vtv - if i == j { 1.0 } else { 0.0 }).abs());
                }
            }
            assert!(res <= tol, "n={n}: ‖AV − VΛ‖ {res:e} > {tol:e}");
            assert!(orth <= tol, "n={n}: ‖VᵀV − I‖ {orth:e} > {tol:e}");
            assert!(lambda.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cholesky_solves_and_falls_back_to_jitter() {
        let a = Matrix::from_row_major(2, 2, vec![4.0, 2.0, 2.0, 3.0]).unwrap();
        let (x, jitter) = cholesky_solve(&a, &[2.0, 1.0]).unwrap();
        // [[4,2],[2,3]]⁻¹ [2,1] = [0.5, 0].
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15 && jitter == 0.0);
        // Rank one: needs jitter.
        let s = Matrix::from_row_major(2, 2, vec![1.0, 1.0, 1.0, 1.0]).unwrap();
        let (x, jitter) = cholesky_solve(&s, &[1.0, 1.0]).unwrap();
        assert!(jitter > 0.0 && x.iter().all(|v| v.is_finite()));
        assert!(
            (condition_number(&a).unwrap() - (7.0 + 17f64.sqrt()) / (7.0 - 17f64.sqrt())).abs()
                < 1e-12
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn ragged_rows_are_an_error() {
        let r = Matrix::from_rows("x1", &[vec![1.0, 2.0], vec![3.0]]);
        assert!(matches!(
            r,
            Err(NtkError::RaggedRows {
                field: "x1",
                row: 1,
                ..
            })
        ));
    }
}
