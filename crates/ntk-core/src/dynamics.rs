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
use crate::linalg::{symmetric_eigen, Matrix};

/// Predictions of the linearised model after each requested number of steps.
#[derive(Debug, Clone, PartialEq)]
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
