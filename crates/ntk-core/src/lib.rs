//! # ntk-core
//!
//! The numeric core of NTK Lab: pure Rust, no web or UI dependency, float64 everywhere.
//! It builds and tests natively and for `wasm32-unknown-unknown`.
//!
//! Conventions follow google/neural-tangents (see the project's `ARCHITECTURE.md`):
//! a fully-connected network of `depth` hidden layers `Dense(width) → φ` and a
//! `Dense(1)` readout, input kernel K⁰(x, x') = ⟨x, x'⟩ / d and Θ⁰ = 0.
//!
//! What is here now:
//! - [`activation`]: dual kernels of activations (ReLU, the arc-cosine kernel of
//!   Cho & Saul 2009);
//! - [`kernel`]: the analytic infinite-width NNGP kernel K and NTK Θ of deep
//!   fully-connected networks (Jacot et al. 2018, arXiv:1806.07572; Lee et al. 2019,
//!   arXiv:1902.06720; Arora et al. 2019, arXiv:1904.11955);
//! - [`experiments`]: the computations behind the page's panels.

pub mod activation;
pub mod error;
pub mod experiments;
pub mod kernel;

pub use error::{NtkError, Result};
