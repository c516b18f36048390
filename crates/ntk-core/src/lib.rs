//! # ntk-core
//!
//! The numeric core of NTK Lab: pure Rust, no web or UI dependency, float64 everywhere.
//! It builds and tests natively and for `wasm32-unknown-unknown`.
//!
//! Conventions follow google/neural-tangents (see the project's `ARCHITECTURE.md`):
//! a fully-connected network of `depth` hidden layers `Dense(width) → φ` and a
//! `Dense(1)` readout, input kernel K⁰(x, x') = ⟨x, x'⟩ / d and Θ⁰ = 0.
//!
//! - [`activation`]: activations and their dual kernels (closed forms and Gauss–Hermite
//!   quadrature);
//! - [`kernel`]: the analytic infinite-width NNGP kernel K and NTK Θ as Gram matrices
//!   (Jacot et al. 2018, arXiv:1806.07572; Lee et al. 2019, arXiv:1902.06720; Arora et
//!   al. 2019, arXiv:1904.11955; Novak et al. 2020, arXiv:1912.02803);
//! - [`sphere`]: eigenvalues of dot-product kernels on the sphere (Funk–Hecke);
//! - [`linalg`]: matrices and eigenvalues (faer);
//! - [`fastmath`]: vectorisable arcsin/arccos;
//! - [`experiments`]: the computations behind the page's panels;
//! - [`bench`]: timing operations for `ntk bench`.

pub mod activation;
pub mod bench;
pub mod budget;
pub mod cli;
pub mod data;
pub mod dynamics;
pub mod empirical;
pub mod error;
pub mod experiments;
pub mod fastmath;
pub mod generalization;
pub mod gram;
pub mod kernel;
pub mod layers;
pub mod linalg;
pub mod network;
pub mod spec;
pub mod spectral;
pub mod sphere;
pub mod targets;
pub mod train;

pub use error::{NtkError, Result};

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);
