//! Typed errors of the numeric core. Every public entry point validates its input and
//! returns one of these instead of panicking or producing NaN.

use thiserror::Error;

/// An error from the numeric core. Each variant names the offending field, so the
/// command line and the page can show it next to the right control.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NtkError {
    /// A numeric parameter is outside its allowed range (or not finite).
    #[error("{field} must be {expected}, got {value}")]
    OutOfRange {
        field: &'static str,
        expected: &'static str,
        value: f64,
    },
    /// A network's layer list does not fit together (or does not fit its inputs);
    /// `path` names the layer, e.g. `layers[2].conv`.
    #[error("{path}: {message}")]
    Layer { path: String, message: String },
    /// An input is empty.
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    /// Two inputs that must have the same dimension do not.
    #[error("{field}: dimension mismatch, expected {expected}, got {got}")]
    DimensionMismatch {
        field: &'static str,
        expected: usize,
        got: usize,
    },
    /// Rows of a matrix have different lengths.
    #[error("{field}: row {row} has {got} entries, but row 0 has {expected}")]
    RaggedRows {
        field: &'static str,
        row: usize,
        expected: usize,
        got: usize,
    },
    /// An input contains NaN or ±∞.
    #[error("{field} contains a non-finite value at index {index}")]
    NonFinite { field: &'static str, index: usize },
    /// A parameter needed by this configuration is missing.
    #[error("{field} is required {context}")]
    Missing {
        field: &'static str,
        context: &'static str,
    },
    /// The kernel's values leave the range of float64.
    #[error("the kernel overflows float64 at layer {layer} (variance {value:e}); reduce w_std, b_std or depth")]
    Overflow { layer: usize, value: f64 },
    /// Gradient descent would diverge at this learning rate.
    #[error("learning_rate {learning_rate} diverges: it must be below the critical 2N/λ_max(Θ̂₀) = {critical:.6}")]
    Diverges { learning_rate: f64, critical: f64 },
    /// The kernel matrix is zero (e.g. σ_w = 0 without bias parameters): kernel
    /// regression and kernel gradient descent have nothing to learn with.
    #[error("the kernel is identically zero (σ_w = 0 without bias?): a kernel model cannot fit anything; raise w_std or add a bias")]
    ZeroKernel,
    /// A job would need more memory than its budget; nothing was allocated.
    #[error("{what} would need about {}, over the budget of {}; {hint}", human_bytes(*.needed), human_bytes(*.budget))]
    TooLarge {
        what: &'static str,
        needed: u64,
        budget: u64,
        hint: &'static str,
    },
    /// A long computation was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// A file could not be created, read or written (`path` names it).
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A setting that does not fit the others, or an input that does not fit the
    /// experiment; `reason` says why in words.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A numerical routine failed.
    #[error("{0}")]
    Numerical(String),
}

/// Result type of the numeric core.
pub type Result<T> = std::result::Result<T, NtkError>;

/// A byte count in words: "1.5 GB", "230 MB", "12 kB".
pub fn human_bytes(b: u64) -> String {
    let f = b as f64;
    if f >= 1e9 {
        format!("{:.1} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.0} MB", f / 1e6)
    } else {
        format!("{:.0} kB", (f / 1e3).max(1.0))
    }
}
