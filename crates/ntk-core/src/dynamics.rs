//! Kernel (linearised-network) dynamics under full-batch gradient descent.
//!
//! For the model linearised at θ₀, f_lin(x) = f₀(x) + J(x)(θ − θ₀), gradient descent on
//! (1/2N)‖f(X) − y‖² with learning rate η updates the training residual
//! r = f(X) − y by r ← (I − ηΘ/N) r, with Θ = Θ̂(X, X) the kernel at θ₀ (Lee et al.
//! 2019, arXiv:1902.06720, eq. (9)–(11); discrete time, so s steps give
//! (I − ηΘ/N)^s exactly and t = η·s is the gradient-flow time it approximates). With
//! Θ = V Λ Vᵀ:
//!
//! - f_train(s) = y + V (1 − ηΛ/N)^s Vᵀ r₀,
//! - f_test(s)  = f₀(X*) − Θ(X*, X) V diag((1 − (1 − ηλ/N)^s)/λ) Vᵀ r₀,
//!
//! where the factor tends to ηs/N as λ → 0. One eigen-decomposition serves every s.

use crate::error::{NtkError, Result};
use crate::linalg::{cholesky_solve, symmetric_eigen, Matrix};
use faer::MatRef;

/// Predictions of the linearised model after each requested number of steps.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinearisedPath {
    /// f_train(s) per requested s.
    pub train: Vec<Vec<f64>>,
    /// f_test(s) per requested s.
    pub test: Vec<Vec<f64>>,
}

/// The linearised model's predictions under gradient descent after each of `steps`.
#[allow(clippy::too_many_arguments)]
pub fn linearised_gd(
    k_train_train: &Matrix,
    k_test_train: &Matrix,
    f0_train: &[f64],
    f0_test: &[f64],
    y: &[f64],
    learning_rate: f64,
    steps: &[usize],
) -> Result<LinearisedPath> {
    let n = k_train_train.rows();
    if y.len() != n || f0_train.len() != n || k_test_train.cols() != n {
        return Err(NtkError::DimensionMismatch {
            field: "y",
            expected: n,
            got: y.len(),
        });
    }
    if f0_test.len() != k_test_train.rows() {
        return Err(NtkError::DimensionMismatch {
            field: "f0_test",
            expected: k_test_train.rows(),
            got: f0_test.len(),
        });
    }
    let (lambda, v) = symmetric_eigen(k_train_train)?;
    let r0: Vec<f64> = f0_train.iter().zip(y).map(|(f, t)| f - t).collect();
    // c = Vᵀ r₀
    let c: Vec<f64> = (0..n)
        .map(|k| (0..n).map(|i| v.get(i, k) * r0[i]).sum())
        .collect();
    // Θ(X*, X) V, once.
    let m = k_test_train.rows();
    let v_ref = &v;
    let kv: Vec<f64> = (0..m)
        .flat_map(|a| {
            let row = k_test_train.row(a);
            (0..n).map(move |k| (0..n).map(|i| row[i] * v_ref.get(i, k)).sum::<f64>())
        })
        .collect();
    let nn = n as f64;
    let mut out = LinearisedPath {
        train: Vec::with_capacity(steps.len()),
        test: Vec::with_capacity(steps.len()),
    };
    for &s in steps {
        let decay: Vec<f64> = lambda
            .iter()
            .map(|&l| (1.0 - learning_rate * l / nn).powi(s as i32))
            .collect();
        let gain: Vec<f64> = lambda
            .iter()
            .zip(&decay)
            .map(|(&l, &d)| {
                if l.abs() > 1e-12 * lambda[n - 1].abs().max(f64::MIN_POSITIVE) {
                    (1.0 - d) / l
                } else {
                    learning_rate * s as f64 / nn
                }
            })
            .collect();
        let train = (0..n)
            .map(|i| y[i] + (0..n).map(|k| v.get(i, k) * decay[k] * c[k]).sum::<f64>())
            .collect();
        let test = (0..m)
            .map(|a| f0_test[a] - (0..n).map(|k| kv[a * n + k] * gain[k] * c[k]).sum::<f64>())
            .collect();
        out.train.push(train);
        out.test.push(test);
    }
    Ok(out)
}

/// The expected losses of the infinite-width ensemble under gradient descent.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleLosses {
    /// 𝔼(1/2N)‖f_s(X) − y‖² per requested s.
    pub train: Vec<f64>,
    /// 𝔼(1/2M)‖f_s(X*) − y*‖² per requested s.
    pub test: Vec<f64>,
    /// The ensemble mean 𝔼 f_s(X*) per requested s.
    pub test_mean: Vec<Vec<f64>>,
}

/// Expected train and test losses over random initialisations of infinitely wide
/// networks trained by s steps of gradient descent on (1/2N)‖f − y‖² — the mean *and*
/// the variance term, as neural-tangents' `gradient_descent_mse_ensemble(…,
/// compute_cov=True)` (Lee et al. 2019, arXiv:1902.06720, eq. (16)), in discrete time.
///
/// At infinite width f₀ ~ GP(0, K) (K the NNGP kernel) and the network is its
/// linearisation with the deterministic NTK Θ, so with E_s = (I − ηΘ/N)^s and
/// A_s(x) = Θ(x, X) Θ⁻¹ (I − E_s):
///
/// - f_s(X) − y = E_s (f₀(X) − y), so 𝔼‖f_s(X) − y‖² = ‖E_s y‖² + tr(E_s K E_s);
/// - f_s(x) = A_s(x) y + f₀(x) − A_s(x) f₀(X), with mean A_s(x) y and variance
///   K(x, x) − 2 A_s(x) K(X, x) + A_s(x) K(X, X) A_s(x)ᵀ.
///
/// In the eigenbasis Θ = V Λ Vᵀ: E_s = V diag(e) Vᵀ with e_k = (1 − ηλ_k/N)^s and
/// Θ⁻¹(I − E_s) = V diag(g) Vᵀ with g_k = (1 − e_k)/λ_k (→ ηs/N as λ_k → 0).
/// `nngp_test_diag` holds K(x*, x*) of each test input.
#[allow(clippy::too_many_arguments)]
pub fn ensemble_gd_losses(
    ntk_train: &Matrix,
    ntk_test_train: &Matrix,
    nngp_train: &Matrix,
    nngp_test_train: &Matrix,
    nngp_test_diag: &[f64],
    y: &[f64],
    y_test: &[f64],
    learning_rate: f64,
    steps: &[usize],
) -> Result<EnsembleLosses> {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, Mat};
    let n = ntk_train.rows();
    let m = ntk_test_train.rows();
    let shapes_ok = ntk_train.cols() == n
        && nngp_train.rows() == n
        && nngp_train.cols() == n
        && ntk_test_train.cols() == n
        && nngp_test_train.rows() == m
        && nngp_test_train.cols() == n
        && nngp_test_diag.len() == m
        && y_test.len() == m;
    if !shapes_ok || y.len() != n {
        return Err(NtkError::DimensionMismatch {
            field: "ensemble kernels",
            expected: n,
            got: y.len(),
        });
    }
    crate::budget::ensure(
        "the ensemble's expected losses",
        crate::budget::floats(&[n + m, n, 4]),
        "use fewer training or test points",
    )?;
    let (lambda, v) = symmetric_eigen(ntk_train)?;
    let vf = v.as_faer();
    let par = crate::linalg::par();
    // c = Vᵀ y, C = Vᵀ K V, B = Θ(X*, X) V, Q = K(X*, X) V (so Q_i = (Vᵀ K(X, x_i))ᵀ).
    let c: Vec<f64> = (0..n)
        .map(|k| (0..n).map(|i| vf[(i, k)] * y[i]).sum())
        .collect();
    let mut kv = Mat::<f64>::zeros(n, n);
    matmul(&mut kv, Accum::Replace, nngp_train.as_faer(), vf, 1.0, par);
    let mut cm = Mat::<f64>::zeros(n, n);
    matmul(
        &mut cm,
        Accum::Replace,
        vf.transpose(),
        kv.as_ref(),
        1.0,
        par,
    );
    let mut b = Mat::<f64>::zeros(m, n);
    matmul(
        &mut b,
        Accum::Replace,
        ntk_test_train.as_faer(),
        vf,
        1.0,
        par,
    );
    let mut q = Mat::<f64>::zeros(m, n);
    matmul(
        &mut q,
        Accum::Replace,
        nngp_test_train.as_faer(),
        vf,
        1.0,
        par,
    );
    let nn = n as f64;
    let top = lambda
        .last()
        .copied()
        .unwrap_or(0.0)
        .abs()
        .max(f64::MIN_POSITIVE);
    let mut out = EnsembleLosses {
        train: Vec::with_capacity(steps.len()),
        test: Vec::with_capacity(steps.len()),
        test_mean: Vec::with_capacity(steps.len()),
    };
    let mut a = Mat::<f64>::zeros(m, n);
    let mut ac = Mat::<f64>::zeros(m, n);
    for &s in steps {
        let e: Vec<f64> = lambda
            .iter()
            .map(|&l| (1.0 - learning_rate * l / nn).powi(s.min(i32::MAX as usize) as i32))
            .collect();
        let g: Vec<f64> = lambda
            .iter()
            .zip(&e)
            .map(|(&l, &ek)| {
                if l.abs() > 1e-12 * top {
                    (1.0 - ek) / l
                } else {
                    learning_rate * s as f64 / nn
                }
            })
            .collect();
        let train: f64 = (0..n)
            .map(|k| e[k] * e[k] * (c[k] * c[k] + cm[(k, k)]))
            .sum::<f64>()
            / (2.0 * nn);
        for j in 0..n {
            for i in 0..m {
                a[(i, j)] = b[(i, j)] * g[j];
            }
        }
        matmul(&mut ac, Accum::Replace, a.as_ref(), cm.as_ref(), 1.0, par);
        let mut mean = Vec::with_capacity(m);
        let mut test = 0.0;
        for i in 0..m {
            let (mut mu, mut cross, mut quad) = (0.0, 0.0, 0.0);
            for k in 0..n {
                mu += a[(i, k)] * c[k];
                cross += a[(i, k)] * q[(i, k)];
                quad += ac[(i, k)] * a[(i, k)];
            }
            let var = (nngp_test_diag[i] - 2.0 * cross + quad).max(0.0);
            test += (mu - y_test[i]) * (mu - y_test[i]) + var;
            mean.push(mu);
        }
        out.train.push(train);
        out.test.push(test / (2.0 * m.max(1) as f64));
        out.test_mean.push(mean);
    }
    Ok(out)
}

/// Which kernel drives the dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelKind {
    /// Gradient descent on the infinite-width network: the NTK Θ.
    Ntk,
    /// Gradient descent on the last layer only (or the Bayesian posterior mean at
    /// t = ∞): the NNGP kernel K.
    Nngp,
}

impl KernelKind {
    /// The one of a (NTK, NNGP) pair that this kind names.
    pub fn pick<T>(self, ntk: T, nngp: T) -> T {
        match self {
            KernelKind::Ntk => ntk,
            KernelKind::Nngp => nngp,
        }
    }
}

/// Mean predictions of the infinite ensemble at each requested time.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    /// f_train(t) per time.
    pub train_mean: Vec<Vec<f64>>,
    /// f_test(t) per time.
    pub test_mean: Vec<Vec<f64>>,
}

/// Kernel-regression dynamics of gradient descent on (1/2N)‖f − y‖², as
/// neural-tangents' `predict.gradient_descent_mse_ensemble` (its conventions, checked
/// against its output in `tests/nt_predict_reference.rs`):
///
/// - the train kernel is regularised, K ← K + ε I with ε = `diag_reg`·tr(K)/n;
/// - with K = V Λ Vᵀ (eigenvalues clipped at 0) and N = number of targets, from
///   f(0) = 0 (the ensemble mean):
///   f_train(t) = V (1 − e^{−ηΛt/N}) Vᵀ y,
///   f_test(t) = K(X*, X) V diag((1 − e^{−ηλt/N})/λ) Vᵀ y (→ ηt/N as λ → 0);
/// - t = ∞ (`None`): f_test = K(X*, X)(K + εI)⁻¹ y by Cholesky, f_train = y;
/// - from a given f(0) (`f0 = Some((f0_train, f0_test))`) the transient of f(0) is
///   added: f_train += V e^{−ηΛt/N} Vᵀ f0_train and
///   f_test += f0_test − K(X*, X) V diag((1 − e^{−ηλt/N})/λ) Vᵀ f0_train.
///
/// One eigen-decomposition serves every finite time.
#[allow(clippy::too_many_arguments)]
pub fn predict(
    k_train_train: &Matrix,
    k_test_train: &Matrix,
    y: &[f64],
    times: &[Option<f64>],
    learning_rate: f64,
    diag_reg: f64,
    f0: Option<(&[f64], &[f64])>,
) -> Result<Prediction> {
    let n = k_train_train.rows();
    if k_train_train.cols() != n || y.len() != n || k_test_train.cols() != n {
        return Err(NtkError::DimensionMismatch {
            field: "y_train",
            expected: n,
            got: y.len(),
        });
    }
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(NtkError::OutOfRange {
            field: "learning_rate",
            expected: "a finite number > 0",
            value: learning_rate,
        });
    }
    if !(diag_reg.is_finite() && diag_reg >= 0.0) {
        return Err(NtkError::OutOfRange {
            field: "diag_reg",
            expected: "a finite number ≥ 0",
            value: diag_reg,
        });
    }
    if let Some(t) = times
        .iter()
        .flatten()
        .find(|t| !(t.is_finite() && **t >= 0.0))
    {
        return Err(NtkError::OutOfRange {
            field: "times",
            expected: "finite and ≥ 0 (null for t = ∞)",
            value: *t,
        });
    }
    let m = k_test_train.rows();
    if let Some((a, b)) = f0 {
        if a.len() != n || b.len() != m {
            return Err(NtkError::DimensionMismatch {
                field: "f0",
                expected: n,
                got: a.len(),
            });
        }
    }
    let reg = regularised(k_train_train, diag_reg);
    let needs_eigen = times.iter().any(Option::is_some);
    let eigen = if needs_eigen {
        Some(symmetric_eigen(&reg)?)
    } else {
        None
    };
    // Vᵀ y and Vᵀ f0, K(X*,X) V: once.
    let project = |v: &Matrix, r: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|k| (0..n).map(|i| v.get(i, k) * r[i]).sum())
            .collect()
    };
    let (vty, vtf, kv) = match &eigen {
        Some((_, v)) => {
            // K(X*, X) V by one matrix product.
            let mut kv = vec![0.0; m * n];
            gemm_row_major(&mut kv, k_test_train.as_faer(), v.as_faer());
            (project(v, y), f0.map(|(f, _)| project(v, f)), kv)
        }
        None => (Vec::new(), None, Vec::new()),
    };
    let nn = n as f64;
    let mut out = Prediction {
        train_mean: Vec::with_capacity(times.len()),
        test_mean: Vec::with_capacity(times.len()),
    };
    for t in times {
        match (t, &eigen) {
            (Some(t), Some((lambda, v))) => {
                let decay: Vec<f64> = lambda
                    .iter()
                    .map(|&l| (-(l.max(0.0)) * learning_rate * t / nn).exp())
                    .collect();
                let gain: Vec<f64> = lambda
                    .iter()
                    .zip(&decay)
                    .map(|(&l, &e)| {
                        let l = l.max(0.0);
                        if l > 0.0 {
                            -(-(l) * learning_rate * t / nn).exp_m1() / l
                        } else {
                            learning_rate * t / nn + 0.0 * e
                        }
                    })
                    .collect();
                let mut train: Vec<f64> = (0..n)
                    .map(|i| {
                        (0..n)
                            .map(|k| v.get(i, k) * (1.0 - decay[k]) * vty[k])
                            .sum()
                    })
                    .collect();
                let mut test: Vec<f64> = (0..m)
                    .map(|a| (0..n).map(|k| kv[a * n + k] * gain[k] * vty[k]).sum())
                    .collect();
                if let (Some((_, f0_test)), Some(vtf)) = (f0, &vtf) {
                    for (i, tr) in train.iter_mut().enumerate() {
                        *tr += (0..n).map(|k| v.get(i, k) * decay[k] * vtf[k]).sum::<f64>();
                    }
                    for (a, te) in test.iter_mut().enumerate() {
                        *te += f0_test[a]
                            - (0..n)
                                .map(|k| kv[a * n + k] * gain[k] * vtf[k])
                                .sum::<f64>();
                    }
                }
                out.train_mean.push(train);
                out.test_mean.push(test);
            }
            _ => {
                // t = ∞: a Cholesky solve of the regularised system.
                let (alpha, _) = cholesky_solve(&reg, y)?;
                let mut test: Vec<f64> = (0..m)
                    .map(|a| {
                        k_test_train
                            .row(a)
                            .iter()
                            .zip(&alpha)
                            .map(|(k, w)| k * w)
                            .sum()
                    })
                    .collect();
                if let Some((f0_train, f0_test)) = f0 {
                    let (beta, _) = cholesky_solve(&reg, f0_train)?;
                    for (a, te) in test.iter_mut().enumerate() {
                        let kb: f64 = k_test_train
                            .row(a)
                            .iter()
                            .zip(&beta)
                            .map(|(k, w)| k * w)
                            .sum();
                        *te += f0_test[a] - kb;
                    }
                }
                out.train_mean.push(y.to_vec());
                out.test_mean.push(test);
            }
        }
    }
    Ok(out)
}

/// Mean squared error (1/2N)‖f − y‖² of each prediction.
pub fn losses(predictions: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    predictions
        .iter()
        .map(|f| {
            f.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / (2.0 * y.len() as f64)
        })
        .collect()
}

/// `count` log-spaced times from `t_min` to `t_max`, then t = ∞.
pub fn log_times(t_min: f64, t_max: f64, count: usize) -> Vec<Option<f64>> {
    let (a, b) = (t_min.max(f64::MIN_POSITIVE).ln(), t_max.max(t_min).ln());
    let mut out: Vec<Option<f64>> = (0..count)
        .map(|i| Some((a + (b - a) * i as f64 / (count.max(2) - 1) as f64).exp()))
        .collect();
    out.push(None);
    out
}

/// K + ε I with ε = `diag_reg`·tr(K)/n: neural-tangents' relative regulariser
/// (`diag_reg_absolute_scale=False`).
fn regularised(k: &Matrix, diag_reg: f64) -> Matrix {
    let n = k.rows();
    let eps = diag_reg * (0..n).map(|i| k.get(i, i)).sum::<f64>() / n as f64;
    let mut reg = k.clone();
    for i in 0..n {
        reg.as_mut_slice()[i * n + i] += eps;
    }
    reg
}

/// What [`predict_cov`] and [`predict_variance`] share: the eigen-decomposition
/// (λ, V) of the regularised train kernel and, for the NTK, VᵀK(X, X)V (n × n).
/// out (row-major, a.nrows() × b.ncols()) = A B.
fn gemm_row_major(out: &mut [f64], a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    let (rows, cols) = (a.nrows(), b.ncols());
    let c = faer::MatMut::from_row_major_slice_mut(out, rows, cols);
    faer::linalg::matmul::matmul(c, faer::Accum::Replace, a, b, 1.0, crate::linalg::par());
}

struct CovBasis {
    lambda: Vec<f64>,
    v: Matrix,
    vkv: Vec<f64>,
    learning_rate: f64,
}

impl CovBasis {
    fn new(
        kind: KernelKind,
        k_train: &Matrix,
        nngp_train: &Matrix,
        learning_rate: f64,
        diag_reg: f64,
    ) -> Result<CovBasis> {
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(NtkError::OutOfRange {
                field: "learning_rate",
                expected: "a finite number > 0",
                value: learning_rate,
            });
        }
        if !(diag_reg.is_finite() && diag_reg >= 0.0) {
            return Err(NtkError::OutOfRange {
                field: "diag_reg",
                expected: "a finite number ≥ 0",
                value: diag_reg,
            });
        }
        let n = k_train.rows();
        let (lambda, v) = symmetric_eigen(&regularised(k_train, diag_reg))?;
        let vkv = if kind == KernelKind::Ntk {
            let mut kv = vec![0.0; n * n];
            for i in 0..n {
                for k in 0..n {
                    kv[i * n + k] = (0..n).map(|j| nngp_train.get(i, j) * v.get(j, k)).sum();
                }
            }
            let mut out = vec![0.0; n * n];
            for k in 0..n {
                for l in 0..n {
                    out[k * n + l] = (0..n).map(|i| v.get(i, k) * kv[i * n + l]).sum();
                }
            }
            out
        } else {
            Vec::new()
        };
        Ok(CovBasis {
            lambda,
            v,
            vkv,
            learning_rate,
        })
    }

    /// Row a of the result is Vᵀ applied to row a of `b` (m × n): [a·n + k].
    fn project_rows(&self, b: &Matrix) -> Vec<f64> {
        let n = self.lambda.len();
        let m = b.rows();
        let mut out = vec![0.0; m * n];
        // (B V)_{a,k}: one matrix product.
        gemm_row_major(&mut out, b.as_faer(), self.v.as_faer());
        out
    }

    /// (1 − e^{−λt'})/λ with t' = η·t/n (twice that time for `twice`), its limit t'
    /// at λ = 0, and 1/λ at t = ∞ (`None`).
    fn gains(&self, t: Option<f64>, twice: bool) -> Vec<f64> {
        let nn = self.lambda.len() as f64;
        self.lambda
            .iter()
            .map(|&l| {
                let l = l.max(0.0);
                match t {
                    None if l > 0.0 => 1.0 / l,
                    None => f64::INFINITY,
                    Some(t) => {
                        let tt = self.learning_rate * t / nn * if twice { 2.0 } else { 1.0 };
                        if l > 0.0 {
                            -(-l * tt).exp_m1() / l
                        } else {
                            tt
                        }
                    }
                }
            })
            .collect()
    }
}

const SINGULAR: &str = "the train kernel is singular: add diag_reg for the covariance at t = ∞";

/// The test covariance of the infinite ensemble at each time, as neural-tangents'
/// `gradient_descent_mse_ensemble(...)(t, x_test, get, compute_cov=True)` (0.6.5,
/// `_src/predict.py`). With N = n training targets, t' = η·t/N, K the NNGP kernel,
/// and (λ, V) the eigen-decomposition of the chosen train kernel regularised as in
/// [`predict`] (λ clipped at 0):
///
/// - NTK (Lee et al. 2019, arXiv:1902.06720, eq. (16)): with
///   A_t = V diag((1 − e^{−λt'})/λ) Vᵀ (A_∞ = Θ̃⁻¹),
///   Σ_t = K(X*, X*) + Θ(X*, X) A_t K(X, X) A_t Θ(X, X*)
///   − [Θ(X*, X) A_t K(X, X*) + its transpose];
///   K(X, X) is not regularised (neural-tangents uses the raw `nngp` train kernel);
/// - NNGP: Σ_t = K(X*, X*) − K(X*, X) V diag((1 − e^{−2λt'})/λ) Vᵀ K(X, X*)
///   (Σ_∞ = K** − K*ₓ K̃⁻¹ Kₓ*, the GP posterior).
///
/// At an eigenvalue 0, (1 − e^{−λt'})/λ is taken at its limit t' (neural-tangents
/// returns NaN there). `k_train`/`k_test_train` are the chosen kernel's;
/// `nngp_*` the NNGP's (the same matrices for `KernelKind::Nngp`).
#[allow(clippy::too_many_arguments)]
pub fn predict_cov(
    kind: KernelKind,
    (k_train, k_test_train): (&Matrix, &Matrix),
    (nngp_train, nngp_test_train, nngp_test): (&Matrix, &Matrix, &Matrix),
    times: &[Option<f64>],
    learning_rate: f64,
    diag_reg: f64,
) -> Result<Vec<Matrix>> {
    let n = k_train.rows();
    let m = k_test_train.rows();
    let shapes = [
        (k_train, n, n, "k_train"),
        (k_test_train, m, n, "k_test_train"),
        (nngp_train, n, n, "nngp_train"),
        (nngp_test_train, m, n, "nngp_test_train"),
        (nngp_test, m, m, "nngp_test"),
    ];
    for (a, r, c, field) in shapes {
        if a.rows() != r || a.cols() != c {
            return Err(NtkError::DimensionMismatch {
                field,
                expected: r * c,
                got: a.rows() * a.cols(),
            });
        }
    }
    crate::budget::ensure(
        "the test covariances",
        crate::budget::floats(&[m, m, times.len().max(1)])
            .saturating_add(crate::budget::floats(&[n, n, 3]))
            .saturating_add(crate::budget::floats(&[m, n, 3])),
        "use fewer test points or times",
    )?;
    let basis = CovBasis::new(kind, k_train, nngp_train, learning_rate, diag_reg)?;
    // VᵀΘ(X, X*) and VᵀK(X, X*), row a for test input a.
    let vt_k = basis.project_rows(k_test_train);
    let vt_g = basis.project_rows(nngp_test_train);
    times
        .iter()
        .map(|&t| {
            let mut cov = nngp_test.clone();
            match kind {
                KernelKind::Nngp => {
                    let g = basis.gains(t, true);
                    for a in 0..m {
                        for b in 0..m {
                            let s: f64 = (0..n)
                                .map(|k| vt_g[a * n + k] * g[k] * vt_g[b * n + k])
                                .sum();
                            cov.as_mut_slice()[a * m + b] -= s;
                        }
                    }
                }
                KernelKind::Ntk => {
                    // u[a][k] = g_k (VᵀΘ(X, X*))[k][a]; w[a] = VᵀKV u[a]. Then
                    // Σ += u[a]·w[b] − u[a]·(VᵀK(X, X*))[b] − the same with a, b
                    // swapped, in O(n²m + nm²).
                    let g = basis.gains(t, false);
                    let u: Vec<f64> = (0..m * n).map(|ak| g[ak % n] * vt_k[ak]).collect();
                    let mut w = vec![0.0; m * n];
                    for b in 0..m {
                        for k in 0..n {
                            w[b * n + k] =
                                (0..n).map(|l| basis.vkv[k * n + l] * u[b * n + l]).sum();
                        }
                    }
                    let dot = |x: &[f64], a: usize, y: &[f64], b: usize| -> f64 {
                        x[a * n..(a + 1) * n]
                            .iter()
                            .zip(&y[b * n..(b + 1) * n])
                            .map(|(p, q)| p * q)
                            .sum()
                    };
                    for a in 0..m {
                        for b in 0..m {
                            cov.as_mut_slice()[a * m + b] +=
                                dot(&u, a, &w, b) - dot(&u, a, &vt_g, b) - dot(&u, b, &vt_g, a);
                        }
                    }
                }
            }
            if cov.as_slice().iter().all(|x| x.is_finite()) {
                Ok(cov)
            } else {
                Err(NtkError::Numerical(SINGULAR.into()))
            }
        })
        .collect()
}

/// The diagonal of [`predict_cov`]: each test input's variance at each time, without
/// the m × m matrix (for predictions on a dense grid). `nngp_test_diag` is K(x*, x*)
/// per test input; the formulas are [`predict_cov`]'s, read on the diagonal.
#[allow(clippy::too_many_arguments)]
pub fn predict_variance(
    kind: KernelKind,
    kernels: (&Matrix, &Matrix),
    nngp: (&Matrix, &Matrix, &[f64]),
    times: &[Option<f64>],
    learning_rate: f64,
    diag_reg: f64,
) -> Result<Vec<Vec<f64>>> {
    let v = Variances::new(kind, kernels, nngp, learning_rate, diag_reg)?;
    times.iter().map(|&t| v.at(t)).collect()
}

/// [`predict_variance`] one time at a time: the eigendecomposition and the
/// projections once, then each time's variances by one m × n × n product (for a
/// grid's frames computed as training goes).
pub struct Variances {
    kind: KernelKind,
    basis: CovBasis,
    vt_k: Vec<f64>,
    vt_g: Vec<f64>,
    diag: Vec<f64>,
}

impl Variances {
    /// The basis of `predict_variance`'s arguments (without the times).
    pub fn new(
        kind: KernelKind,
        (k_train, k_test_train): (&Matrix, &Matrix),
        (nngp_train, nngp_test_train, nngp_test_diag): (&Matrix, &Matrix, &[f64]),
        learning_rate: f64,
        diag_reg: f64,
    ) -> Result<Self> {
        let n = k_train.rows();
        let m = k_test_train.rows();
        if k_train.cols() != n
            || nngp_train.rows() != n
            || nngp_train.cols() != n
            || k_test_train.cols() != n
            || nngp_test_train.rows() != m
            || nngp_test_train.cols() != n
            || nngp_test_diag.len() != m
        {
            return Err(NtkError::DimensionMismatch {
                field: "kernels",
                expected: m,
                got: nngp_test_diag.len(),
            });
        }
        let basis = CovBasis::new(kind, k_train, nngp_train, learning_rate, diag_reg)?;
        let vt_k = basis.project_rows(k_test_train);
        let vt_g = if kind == KernelKind::Ntk {
            basis.project_rows(nngp_test_train)
        } else {
            Vec::new()
        };
        Ok(Variances {
            kind,
            basis,
            vt_k,
            vt_g,
            diag: nngp_test_diag.to_vec(),
        })
    }

    /// Each test input's variance at time `t` (`None`: t = ∞).
    pub fn at(&self, t: Option<f64>) -> Result<Vec<f64>> {
        let (kind, basis, vt_k, vt_g) = (self.kind, &self.basis, &self.vt_k, &self.vt_g);
        let n = basis.lambda.len();
        let m = self.diag.len();
        let g = basis.gains(t, kind == KernelKind::Nngp);
        // NTK: u_a = g ⊙ (Vᵀ Θ(X, x_a)) and its quadratic form uᵀ(VᵀKV)u, the rows of
        // U (VᵀKV) by one matrix product.
        let (u, q) = if kind == KernelKind::Ntk {
            let u: Vec<f64> = vt_k
                .chunks(n.max(1))
                .flat_map(|row| row.iter().zip(&g).map(|(x, gk)| gk * x))
                .collect();
            let mut q = vec![0.0; m * n];
            gemm_row_major(
                &mut q,
                MatRef::from_row_major_slice(&u, m, n),
                MatRef::from_row_major_slice(&basis.vkv, n, n),
            );
            (u, q)
        } else {
            (Vec::new(), Vec::new())
        };
        let out: Vec<f64> = (0..m)
            .map(|a| {
                let row = &vt_k[a * n..(a + 1) * n];
                match kind {
                    KernelKind::Nngp => {
                        self.diag[a] - row.iter().zip(&g).map(|(x, gk)| gk * x * x).sum::<f64>()
                    }
                    KernelKind::Ntk => {
                        let u = &u[a * n..(a + 1) * n];
                        let quad: f64 = u
                            .iter()
                            .zip(&q[a * n..(a + 1) * n])
                            .map(|(x, y)| x * y)
                            .sum();
                        let cross: f64 = (0..n).map(|k| u[k] * vt_g[a * n + k]).sum();
                        self.diag[a] + quad - 2.0 * cross
                    }
                }
            })
            .collect();
        if out.iter().all(|x| x.is_finite()) {
            Ok(out)
        } else {
            Err(NtkError::Numerical(
                SINGULAR.replace("covariance", "variance"),
            ))
        }
    }
}
