//! Memory budgets: every entry point estimates the bytes a job needs *before* it
//! allocates, and refuses a job over the budget with [`NtkError::TooLarge`], saying how
//! much it would need.
//!
//! The budget is [`BUDGET`]: 4 GB natively (the command line and the library; the
//! project's machines have 24 GiB, and a JSON answer of a 4 GB result is larger still)
//! and 1 GB in WebAssembly (a browser tab's worker: wasm32 memory is at most 4 GiB, and
//! Chromium kills tabs well before that on small machines).
//!
//! The estimates count the float64 buffers that live at the same time; they are upper
//! bounds up to small constant overheads (vectors of length n, stack, allocator).

use crate::error::{NtkError, Result};

/// The budget in WebAssembly (a browser tab's worker).
pub const WASM_BUDGET: u64 = 1_000_000_000;
/// The budget natively (library and command line).
pub const NATIVE_BUDGET: u64 = 4_000_000_000;

/// Bytes one job may use.
pub const BUDGET: u64 = if cfg!(target_arch = "wasm32") {
    WASM_BUDGET
} else {
    NATIVE_BUDGET
};

const F64: u64 = 8;

/// Saturating product of sizes, in f64 entries → bytes.
pub fn floats(dims: &[usize]) -> u64 {
    dims.iter()
        .fold(F64, |acc, &d| acc.saturating_mul(d as u64))
}

/// Refuse `needed` bytes over [`BUDGET`].
pub fn ensure(what: &'static str, needed: u64, hint: &'static str) -> Result<()> {
    ensure_within(what, needed, BUDGET, hint)
}

/// Refuse `needed` bytes over `budget`.
pub fn ensure_within(
    what: &'static str,
    needed: u64,
    budget: u64,
    hint: &'static str,
) -> Result<()> {
    if needed > budget {
        Err(NtkError::TooLarge {
            what,
            needed,
            budget,
            hint,
        })
    } else {
        Ok(())
    }
}

/// The analytic Gram matrices K(X₁, X₂) and Θ(X₁, X₂): two n₁ × n₂ outputs, X₂
/// transposed, and the per-input variances of every layer.
pub fn kernel_bytes(n1: usize, n2: usize, d: usize, depth: usize) -> u64 {
    floats(&[n1, n2, 2])
        .saturating_add(floats(&[n2, d]))
        .saturating_add(floats(&[n1.saturating_add(n2), depth.max(1)]))
}

/// The parameters of a network with input dimension `d_in` and hidden `widths`.
pub fn params(d_in: usize, widths: &[usize]) -> u64 {
    let mut prev = d_in;
    let mut total: u64 = 0;
    for &w in widths.iter().chain(std::iter::once(&1)) {
        total = total.saturating_add(floats(&[prev.saturating_add(1), w]));
        prev = w;
    }
    total
}

/// One forward and backward pass on n inputs: the activations a_l, pre-activations z_l
/// and deltas δ_l of every hidden layer (3 · n · Σ widths floats).
pub fn pass_bytes(n: usize, d_in: usize, widths: &[usize]) -> u64 {
    let sum: usize = widths.iter().fold(d_in, |a, &w| a.saturating_add(w));
    floats(&[3, n, sum])
}

/// The empirical NTK and NNGP kernel of X₁ (n₁ rows) against X₂ (n₂ rows; 0 for X₁
/// itself): the network, both passes, the two outputs and two n₁ × n₂ Grams per layer.
pub fn empirical_bytes(d_in: usize, widths: &[usize], n1: usize, n2: usize) -> u64 {
    let cols = if n2 == 0 { n1 } else { n2 };
    params(d_in, widths)
        .saturating_add(pass_bytes(n1, d_in, widths))
        .saturating_add(pass_bytes(n2, d_in, widths))
        .saturating_add(floats(&[n1, cols, 4]))
}

/// Full-batch training: the initial and the current network (the step updates the
/// weights in place), one pass on the training and one on the test set, and the
/// empirical NTK on the training set twice (Θ̂₀ and Θ̂_t: a second pass and its Grams)
/// with its eigen-decomposition.
pub fn train_bytes(d_in: usize, widths: &[usize], n_train: usize, n_test: usize) -> u64 {
    params(d_in, widths)
        .saturating_mul(2)
        .saturating_add(pass_bytes(n_train, d_in, widths).saturating_mul(2))
        .saturating_add(pass_bytes(n_test, d_in, widths))
        .saturating_add(floats(&[n_train, n_train, 6]))
}

/// A symmetric eigen-decomposition of an n × n matrix (input, vectors, workspace).
pub fn eigen_bytes(n: usize) -> u64 {
    floats(&[n, n, 3])
}

/// The top k eigenpairs of an n × n matrix by Lanczos ([`crate::linalg::top_eigen`]):
/// the basis (n × (m + 1), m = min(n, max(4k, k + 200))), the tridiagonal's dense
/// eigen-decomposition (m × m, three times), the Ritz vectors (n × k, twice) and a few
/// n-vectors.
pub fn top_eigen_bytes(n: usize, k: usize) -> u64 {
    let m = k.saturating_mul(4).max(k.saturating_add(200)).min(n);
    floats(&[n, m.saturating_add(1)])
        .saturating_add(floats(&[m, m, 3]))
        .saturating_add(floats(&[n, k, 2]))
        .saturating_add(floats(&[n, 4]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn counts_match_hand_computed_sizes() {
        // 2 × 3 → 4 → 1 with biases: (3 + 1)·4 + (4 + 1)·1 = 21 floats.
        assert_eq!(params(3, &[4]), 21 * 8);
        // 1000 × 1000 Gram pair: 16 MB, plus 1000·10 transposed, plus 2000·3 variances.
        assert_eq!(
            kernel_bytes(1000, 1000, 10, 3),
            8 * (2_000_000 + 10_000 + 6_000)
        );
        // Absurd sizes saturate instead of overflowing.
        assert_eq!(floats(&[usize::MAX, usize::MAX]), u64::MAX);
        assert!(ensure("x", u64::MAX, "").is_err());
        assert!(ensure("x", 1, "").is_ok());
        let e = ensure_within(
            "the Gram matrix",
            6_400_000_000,
            4_000_000_000,
            "use fewer inputs",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("6.4 GB") && e.contains("4.0 GB") && e.contains("fewer"),
            "{e}"
        );
    }
}
