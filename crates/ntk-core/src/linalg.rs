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

/// The `k` eigenvalues of largest magnitude of a symmetric matrix, largest first, and
/// their eigenvectors as the columns of an n × k row-major matrix. For a Gram matrix
/// (positive semi-definite) these are its k largest eigenvalues.
///
/// Lanczos with full reorthogonalisation (Golub & Van Loan, *Matrix Computations*,
/// 4th ed., §10.1; Parlett's "twice is enough" for the second Gram–Schmidt pass): the
/// Krylov basis v₁ … v_m of A and a fixed start vector, the tridiagonal
/// T_m = V_mᵀ A V_m (α on the diagonal, β beside it), and its eigenpairs (θ, s) as
/// Ritz pairs (θ, V_m s), whose residual is ‖A V_m s − θ V_m s‖ = β_m |s_m|. Every 16
/// steps once m ≥ k + 16, the top k Ritz pairs are tested: done when every residual
/// is ≤ 10⁻¹⁰·‖A‖∞ (the largest absolute row sum, which bounds |λ_max|); then each θ
/// is within that of an eigenvalue. When the Krylov space becomes invariant (β ≈ 0,
/// e.g. a matrix of low rank), the next vector is a fresh one made orthogonal to the
/// basis, so eigenvalues outside the start vector's reach are still found.
///
/// Cost: m products A·v (2n² flops each) and ≈ 4nm² for the reorthogonalisation,
/// against ≈ 9n³ for the full decomposition; m is typically 1.5k–3k for a Gram's
/// decaying spectrum, at most max(4k, k + 200) (and n). A matrix that has not
/// converged by then (a cluster of eigenvalues straddling the k-th) goes to the full
/// decomposition; the third value says which method gave the result.
///
/// Hand-written rather than faer's `partial_self_adjoint_eigen`: faer 0.24's
/// reorthogonalisation loop repeats until the projections fall below a bound
/// relative to the new vector's norm, which never happens once that vector is
/// rounding noise (an invariant subspace, or a tight tolerance), and an NTK Gram of
/// Gaussian inputs in d = 10 at n = 1000, k = 100, hung it.
pub fn top_eigen(m: &Matrix, k: usize) -> Result<(Vec<f64>, Matrix, EigenMethod)> {
    if m.rows != m.cols {
        return Err(NtkError::DimensionMismatch {
            field: "matrix columns",
            expected: m.rows,
            got: m.cols,
        });
    }
    let n = m.rows;
    if k == 0 || k > n {
        return Err(NtkError::OutOfRange {
            field: "top eigenvalues k",
            expected: "between 1 and the matrix size n",
            value: k as f64,
        });
    }
    let dense = |m: &Matrix| -> Result<(Vec<f64>, Matrix, EigenMethod)> {
        let (values, vectors) = symmetric_eigen(m)?;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
        order.truncate(k);
        let top = order.iter().map(|&j| values[j]).collect();
        let cols = (0..n)
            .flat_map(|i| order.iter().map(move |&j| (i, j)))
            .map(|(i, j)| vectors.get(i, j))
            .collect();
        Ok((top, Matrix::from_row_major(n, k, cols)?, EigenMethod::Dense))
    };
    let m_max = (4 * k).max(k + 200).min(n);
    // When the basis may grow to most of the space, the full decomposition is as
    // cheap.
    if 3 * m_max >= 2 * n {
        return dense(m);
    }
    crate::budget::ensure(
        "the top eigenvectors",
        crate::budget::top_eigen_bytes(n, k),
        "ask for fewer eigenvalues or use fewer inputs",
    )?;
    let norm = (0..n)
        .map(|i| m.row(i).iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max);
    if !norm.is_finite() {
        return Err(NtkError::Numerical(
            "the matrix has a non-finite entry".into(),
        ));
    }
    if norm == 0.0 {
        return dense(m);
    }
    match lanczos(m, k, m_max, norm)? {
        Some((values, vectors)) => Ok((values, vectors, EigenMethod::Lanczos)),
        None => dense(m),
    }
}

/// The Lanczos iteration of [`top_eigen`] for a matrix of ‖A‖∞ = `norm`: `None` when
/// the top k have not converged within `m_max` steps.
fn lanczos(a: &Matrix, k: usize, m_max: usize, norm: f64) -> Result<Option<(Vec<f64>, Matrix)>> {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, Col, Mat};
    let n = a.rows();
    let af = a.as_faer();
    // The residual tolerance, and the β below which the Krylov space is invariant.
    let (tol, breakdown) = (1e-10 * norm, 1e-12 * norm);
    // The basis as columns. A deterministic start vector (all ones and a ripple) and,
    // after a breakdown, deterministic pseudo-random ones (splitmix64 in [−1, 1)).
    let mut v = Mat::<f64>::zeros(n, m_max + 1);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut fresh = || -> Col<f64> {
        Col::from_fn(n, |_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
    };
    // Make w orthogonal to the first `cols` basis vectors: classical Gram–Schmidt
    // twice (Parlett's "twice is enough"); its coefficients are added into `coef`.
    let orthogonalise = |w: &mut Col<f64>, v: &Mat<f64>, cols: usize, coef: &mut Col<f64>| {
        for _ in 0..2 {
            let basis = v.get(.., 0..cols);
            let mut c = Col::<f64>::zeros(cols);
            matmul(
                c.as_mat_mut(),
                Accum::Replace,
                basis.transpose(),
                w.as_mat(),
                1.0,
                par(),
            );
            matmul(w.as_mat_mut(), Accum::Add, basis, c.as_mat(), -1.0, par());
            for i in 0..cols {
                coef[i] += c[i];
            }
        }
    };
    let start = Col::<f64>::from_fn(n, |i| 1.0 + 0.5 * ((i as f64) * 0.618_033_988_75).sin());
    let start_norm = start.norm_l2();
    v.col_mut(0).copy_from(&start * (1.0 / start_norm));
    let (mut alpha, mut beta) = (
        Vec::<f64>::with_capacity(m_max),
        Vec::<f64>::with_capacity(m_max),
    );
    let mut w = Col::<f64>::zeros(n);
    for j in 0..m_max {
        // w = A v_j, then orthogonal to v_0 … v_j: α_j is its v_j coefficient.
        matmul(
            w.as_mat_mut(),
            Accum::Replace,
            af,
            v.col(j).as_mat(),
            1.0,
            par(),
        );
        let mut coef = Col::<f64>::zeros(j + 1);
        orthogonalise(&mut w, &v, j + 1, &mut coef);
        alpha.push(coef[j]);
        let mut b = w.norm_l2();
        if !(b.is_finite() && alpha[j].is_finite()) {
            return Err(NtkError::Numerical("Lanczos: a non-finite value".into()));
        }
        if b <= breakdown {
            // An invariant subspace: continue from a fresh vector orthogonal to it
            // (T becomes block diagonal, β_j = 0).
            let mut f = fresh();
            let mut unused = Col::<f64>::zeros(j + 1);
            orthogonalise(&mut f, &v, j + 1, &mut unused);
            let fnorm = f.norm_l2();
            if fnorm <= 1e-8 * (n as f64).sqrt() {
                return Ok(None);
            }
            w = f * (1.0 / fnorm);
            b = 0.0;
            v.col_mut(j + 1).copy_from(&w);
        } else {
            v.col_mut(j + 1).copy_from(&w * (1.0 / b));
        }
        beta.push(b);
        let steps = j + 1;
        if steps < k || (steps < m_max && (steps < k + 16 || steps % 16 != 0)) {
            continue;
        }
        // Ritz pairs of T (steps × steps, symmetric tridiagonal), largest |θ| first.
        let t = Mat::<f64>::from_fn(steps, steps, |r, c| {
            if r == c {
                alpha[r]
            } else if r == c + 1 {
                beta[c]
            } else if c == r + 1 {
                beta[r]
            } else {
                0.0
            }
        });
        let evd = t.self_adjoint_eigen(Side::Lower).map_err(|e| {
            NtkError::Numerical(format!(
                "Lanczos: tridiagonal eigen-decomposition failed: {e:?}"
            ))
        })?;
        let (theta, s) = (evd.S(), evd.U());
        let mut order: Vec<usize> = (0..steps).collect();
        order.sort_by(|&x, &y| theta[y].abs().total_cmp(&theta[x].abs()));
        order.truncate(k);
        let converged = order.iter().all(|&i| (b * s[(steps - 1, i)]).abs() <= tol);
        if !converged {
            continue;
        }
        let values: Vec<f64> = order.iter().map(|&i| theta[i]).collect();
        let sk = Mat::<f64>::from_fn(steps, k, |r, c| s[(r, order[c])]);
        let mut y = Mat::<f64>::zeros(n, k);
        matmul(
            y.as_mut(),
            Accum::Replace,
            v.get(.., 0..steps),
            sk.as_ref(),
            1.0,
            par(),
        );
        let cols = (0..n * k).map(|q| y[(q / k, q % k)]).collect();
        return Ok(Some((values, Matrix::from_row_major(n, k, cols)?)));
    }
    Ok(None)
}

/// How [`top_eigen`] found its eigenpairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EigenMethod {
    /// Lanczos with full reorthogonalisation.
    Lanczos,
    /// The full decomposition (faer's `self_adjoint_eigen`).
    Dense,
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

    /// max over the returned pairs of ‖Av − λv‖∞ / λ₁ and of |VᵀV − I|.
    fn residual_and_orthogonality(a: &Matrix, values: &[f64], v: &Matrix) -> (f64, f64) {
        let (n, k) = (a.rows(), values.len());
        let (mut res, mut orth) = (0.0f64, 0.0f64);
        for (j, lam) in values.iter().enumerate() {
            for i in 0..n {
                let av: f64 = (0..n).map(|l| a.get(i, l) * v.get(l, j)).sum();
                res = res.max((av - lam * v.get(i, j)).abs() / values[0].abs());
            }
            for i in 0..k {
                let vtv: f64 = (0..n).map(|l| v.get(l, i) * v.get(l, j)).sum();
                orth = orth.max((vtv - if i == j { 1.0 } else { 0.0 }).abs());
            }
        }
        (res, orth)
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn top_eigen_of_a_reflected_diagonal_is_exact() {
        // A = H D H with H = I − 2uuᵀ/‖u‖² (orthogonal, symmetric): its eigenvalues are
        // exactly D's, d_i = 1/(1 + i)² (a Gram-like decay over six decades), and its
        // eigenvectors are H's columns.
        let n = 700;
        let u: Vec<f64> = (0..n).map(|i| ((i * 7919) % 113) as f64 - 56.0).collect();
        let uu: f64 = u.iter().map(|x| x * x).sum();
        let h = |i: usize, j: usize| (i == j) as u8 as f64 - 2.0 * u[i] * u[j] / uu;
        let reflected = |d: &[f64]| {
            let mut a = Matrix::zeros(n, n);
            for i in 0..n {
                for j in 0..n {
                    a.as_mut_slice()[i * n + j] = (0..n).map(|l| h(i, l) * d[l] * h(l, j)).sum();
                }
            }
            a
        };
        // Rank 5: the Krylov space of any start vector is invariant after 5 steps;
        // the top 10 are the five d_i and five zeros.
        let low: Vec<f64> = (0..n)
            .map(|i| if i < 5 { 1.0 / (1 + i) as f64 } else { 0.0 })
            .collect();
        let (values, v, method) = top_eigen(&reflected(&low), 10).unwrap();
        assert_eq!(method, EigenMethod::Lanczos);
        for (i, (got, want)) in values.iter().zip(&low).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12,
                "rank 5: λ_{i} = {got}, exactly {want}"
            );
        }
        let (_, orth) = residual_and_orthogonality(&reflected(&low), &values, &v);
        assert!(orth < 1e-9, "rank 5: orthogonality {orth:e}");
        let d: Vec<f64> = (0..n).map(|i| 1.0 / ((1 + i) as f64).powi(2)).collect();
        let a = reflected(&d);
        for k in [1, 10, 64] {
            let (values, v, method) = top_eigen(&a, k).unwrap();
            assert_eq!((values.len(), v.rows(), v.cols()), (k, n, k));
            assert_eq!(method, EigenMethod::Lanczos);
            for (i, (got, want)) in values.iter().zip(&d).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-12,
                    "k={k}: λ_{i} = {got}, exactly {want}"
                );
                // The eigenvector is ± H's column i.
                let dot: f64 = (0..n).map(|l| v.get(l, i) * h(l, i)).sum();
                assert!(
                    (dot.abs() - 1.0).abs() < 1e-9,
                    "k={k}: |⟨v_{i}, h_{i}⟩| = {dot}"
                );
            }
            let (res, orth) = residual_and_orthogonality(&a, &values, &v);
            assert!(
                res < 1e-9 && orth < 1e-9,
                "k={k}: residual {res:e}, orthogonality {orth:e}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn top_eigen_of_a_circulant_finds_its_double_eigenvalues() {
        // A circulant C_ij = c((i − j) mod n) has the eigenvalues μ_k = Σ_j c_j cos(2πjk/n),
        // μ_k = μ_{n−k}: every one but μ_0 (and μ_{n/2}) is double, the hard case for
        // a Krylov method. Here μ_k = 1/(1 + min(k, n − k))³, c its inverse DFT.
        let n = 512;
        let mu = |k: usize| 1.0 / (1.0 + k.min(n - k) as f64).powi(3);
        let c: Vec<f64> = (0..n)
            .map(|j| {
                (0..n)
                    .map(|k| {
                        mu(k) * (2.0 * std::f64::consts::PI * (j * k % n) as f64 / n as f64).cos()
                    })
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let a = Matrix::from_row_major(
            n,
            n,
            (0..n * n).map(|p| c[(p / n + n - p % n) % n]).collect(),
        )
        .unwrap();
        let mut want: Vec<f64> = (0..n).map(mu).collect();
        want.sort_by(|x, y| y.total_cmp(x));
        let k = 41;
        let (values, v, method) = top_eigen(&a, k).unwrap();
        assert_eq!(method, EigenMethod::Lanczos);
        for (i, (got, want)) in values.iter().zip(&want).enumerate() {
            assert!((got - want).abs() <= 1e-12, "λ_{i} = {got}, exactly {want}");
        }
        let (res, orth) = residual_and_orthogonality(&a, &values, &v);
        assert!(
            res < 1e-9 && orth < 1e-9,
            "residual {res:e}, orthogonality {orth:e}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn top_eigen_agrees_with_the_full_decomposition_on_an_ntk_gram() {
        // A second implementation: faer's dense eigh of the same Gram.
        let n = 400;
        let x = crate::data::gaussian(n, 3, 9).unwrap();
        let net = crate::kernel::FcNetwork::relu(3, 1.4, Some(0.1));
        let a = crate::kernel::kernel_matrix(&net, &x, None).unwrap().ntk;
        let (all, _) = symmetric_eigen(&a).unwrap();
        let (top, v, method) = top_eigen(&a, 30).unwrap();
        assert_eq!(method, EigenMethod::Lanczos);
        for (i, (got, want)) in top.iter().zip(all.iter().rev()).enumerate() {
            assert!(
                (got - want).abs() <= 1e-10 * all[n - 1],
                "λ_{i}: Lanczos {got}, dense {want}"
            );
        }
        let (res, orth) = residual_and_orthogonality(&a, &top, &v);
        assert!(
            res < 1e-9 && orth < 1e-9,
            "residual {res:e}, orthogonality {orth:e}"
        );
        // Small problems and k near n go to the dense decomposition; bad k is refused.
        let (small, _, method) = top_eigen(
            &Matrix::from_row_major(2, 2, vec![2.0, 1.0, 1.0, 2.0]).unwrap(),
            1,
        )
        .unwrap();
        assert!((small[0] - 3.0).abs() < 1e-14 && method == EigenMethod::Dense);
        assert!(top_eigen(&a, 0).is_err() && top_eigen(&a, n + 1).is_err());
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
