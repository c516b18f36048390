//! Finite-width fully-connected networks: seeded initialisation, forward pass,
//! per-example backward pass, written by hand in float64.
//!
//! Layers l = 1..=L+1 map n_{l−1} → n_l (n₀ = d, n_{L+1} = 1):
//! z_l = s_W,l · W_l a_{l−1} + s_b,l · b_l, a_l = φ(z_l) for l ≤ L, f = z_{L+1}.
//!
//! - NTK parameterization (Jacot et al. 2018, arXiv:1806.07572): W, b ~ N(0, 1),
//!   s_W = σ_w/√n_{l−1}, s_b = σ_b.
//! - Standard parameterization: W ~ N(0, σ_w²/n_{l−1}), b ~ N(0, σ_b²), s_W = s_b = 1.
//!
//! The trainable parameters θ are the raw W and b. The backward pass gives
//! δ_l = ∂f/∂z_l: δ_{L+1} = 1, δ_l = φ'(z_l) ⊙ (s_W,l+1 W_{l+1}ᵀ δ_{l+1}); then
//! ∂f/∂W_l = s_W,l δ_l a_{l−1}ᵀ and ∂f/∂b_l = s_b,l δ_l. Batches are rows of matrices,
//! so every step is a matrix product (faer).
//!
//! Initialisation draws, layer by layer, W row by row then b, from ChaCha8 seeded with
//! `seed`: the same seed gives the same network natively and in wasm.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatRef};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::{NtkError, Result};
use crate::kernel::{FcNetwork, Kernels, Parameterization, MAX_DEPTH};
use crate::linalg::{a_bt, par, to_faer, Matrix};

/// The widest hidden layer a finite network may have.
pub const MAX_WIDTH: usize = 1 << 16;

/// The architecture of a finite MLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    /// One width per hidden layer (the depth is its length).
    pub widths: Vec<usize>,
    /// The activation of every hidden layer.
    pub activation: Activation,
    /// σ_w.
    pub w_std: f64,
    /// σ_b; `None` = no bias parameters.
    pub b_std: Option<f64>,
    /// NTK or standard parameterization.
    pub parameterization: Parameterization,
}

impl MlpSpec {
    /// `depth` hidden layers of the same `width`, with `net`'s other settings.
    pub fn from_network(net: &FcNetwork, width: usize) -> Self {
        MlpSpec {
            widths: vec![width; net.depth],
            activation: net.activation,
            w_std: net.w_std,
            b_std: net.b_std,
            parameterization: net.parameterization,
        }
    }

    /// The analytic network with the same settings (for the standard parameterization
    /// all widths must be equal; the first is used).
    pub fn analytic(&self) -> FcNetwork {
        FcNetwork {
            depth: self.widths.len(),
            activation: self.activation,
            w_std: self.w_std,
            b_std: self.b_std,
            parameterization: self.parameterization,
            width: Some(self.widths.first().copied().unwrap_or(1)),
        }
    }

    /// Check the architecture.
    pub fn validate(&self) -> Result<()> {
        if self.widths.len() > MAX_DEPTH {
            return Err(NtkError::OutOfRange {
                field: "depth",
                expected: "between 0 and 100",
                value: self.widths.len() as f64,
            });
        }
        if let Some(&w) = self.widths.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return Err(NtkError::OutOfRange {
                field: "width",
                expected: "between 1 and 65536",
                value: w as f64,
            });
        }
        self.analytic().validate().or_else(|e| match e {
            NtkError::Missing { .. } => Ok(()),
            other => Err(other),
        })
    }
}

/// One dense layer: raw parameters and their scales.
#[derive(Debug, Clone, PartialEq)]
struct Layer {
    /// n_out × n_in.
    w: Mat<f64>,
    /// n_out, or empty without bias parameters.
    b: Vec<f64>,
    s_w: f64,
    s_b: f64,
}

/// A finite-width MLP with scalar output.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    spec: MlpSpec,
    d_in: usize,
    layers: Vec<Layer>,
}

/// Activations and pre-activations of a batch.
/// What one forward and backward pass on a batch leaves for the weight gradients.
struct Backprop {
    c: Cache,
    d: Vec<Mat<f64>>,
    r: Vec<f64>,
    loss: f64,
}

struct Cache {
    /// a₀ = X, a₁, …, a_L (n × n_l).
    a: Vec<Mat<f64>>,
    /// z₁ … z_L (n × n_l); the output is separate.
    z: Vec<Mat<f64>>,
    /// f(X), n.
    out: Vec<f64>,
}

fn from_faer(m: MatRef<'_, f64>) -> Matrix {
    let data = (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)]))
        .collect();
    Matrix::from_row_major(m.nrows(), m.ncols(), data).expect("shape")
}

/// Up to this many inputs, a layer's forward and backward products and a gradient
/// step's weight update are [`small_batch_a_wt`], [`small_batch_delta_w`] and
/// [`small_batch_update`].
const SMALL_BATCH: usize = 16;

/// W ← W + α RᵀA for a small batch: R is n × n_out, A is n × n_in, W is n_out × n_in
/// (column-major), n ≤ [`SMALL_BATCH`]. A rank-n update is memory-bound: faer's GEMM
/// with an inner dimension of 4 reads and writes W at about a quarter of the speed of
/// one pass on wasm32 (measured: 4.3–5.8 ms against 1.9 ms for a 1000 × 1000 W, n = 4,
/// in Node's wasm with simd128; the same natively). Here each column of W is read and
/// written once per four rows of R, with the four products summed first:
/// W[:, j] += Σ_k (α A[k, j]) R[k, :], in the order k = 0, 1, 2, 3 within each four.
fn small_batch_update(w: &mut Mat<f64>, r: MatRef<'_, f64>, a: MatRef<'_, f64>, alpha: f64) {
    let (n, m_out) = (r.nrows(), r.ncols());
    debug_assert_eq!((w.nrows(), w.ncols()), (m_out, a.ncols()));
    // R's rows, each contiguous over the outputs.
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|k| (0..m_out).map(|o| r[(k, o)]).collect())
        .collect();
    for j in 0..w.ncols() {
        let col = &mut w.col_as_slice_mut(j)[..m_out];
        let mut k = 0;
        while k + 4 <= n {
            let c = [0, 1, 2, 3].map(|i| alpha * a[(k + i, j)]);
            let (r0, r1, r2, r3) = (
                &rows[k][..m_out],
                &rows[k + 1][..m_out],
                &rows[k + 2][..m_out],
                &rows[k + 3][..m_out],
            );
            for o in 0..m_out {
                col[o] += c[0] * r0[o] + c[1] * r1[o] + c[2] * r2[o] + c[3] * r3[o];
            }
            k += 4;
        }
        for (kk, row) in rows.iter().enumerate().skip(k) {
            let c = alpha * a[(kk, j)];
            for (v, x) in col.iter_mut().zip(&row[..m_out]) {
                *v += c * x;
            }
        }
    }
}

/// Z = s A Wᵀ for a small batch: A is n × n_in, W is n_out × n_in (column-major),
/// n ≤ [`SMALL_BATCH`]; Z is n × n_out. The forward pass of a layer, in one pass over
/// W: Z[i, :] += (s A[i, j]) W[:, j] for every column j, the n rows of Z (contiguous,
/// n · n_out floats) staying in cache. faer's GEMM with n = 4 rows ran at well under
/// one pass over W on wasm32 (1.6 ms for a 1000 × 1000 layer in the Jacot preset's
/// profile). Each Z[i, o] sums over j in order.
fn small_batch_a_wt(a: MatRef<'_, f64>, w: &Mat<f64>, s: f64) -> Mat<f64> {
    let (n, n_in, n_out) = (a.nrows(), a.ncols(), w.nrows());
    debug_assert_eq!(w.ncols(), n_in);
    let mut rows = vec![vec![0.0f64; n_out]; n];
    for j in 0..n_in {
        let col = &w.col_as_slice(j)[..n_out];
        for (i, row) in rows.iter_mut().enumerate() {
            let c = s * a[(i, j)];
            for (z, x) in row.iter_mut().zip(col) {
                *z += c * x;
            }
        }
    }
    Mat::from_fn(n, n_out, |i, o| rows[i][o])
}

/// D = s Δ W for a small batch: Δ is n × n_out, W is n_out × n_in (column-major),
/// n ≤ [`SMALL_BATCH`]; D is n × n_in. The backward pass through a layer, in one pass
/// over W: D[i, j] = s ⟨Δ[i, :], W[:, j]⟩, each dot product over four partial sums
/// (o mod 4) added at the end.
fn small_batch_delta_w(delta: MatRef<'_, f64>, w: &Mat<f64>, s: f64) -> Mat<f64> {
    let (n, n_out, n_in) = (delta.nrows(), delta.ncols(), w.ncols());
    debug_assert_eq!(w.nrows(), n_out);
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n_out).map(|o| delta[(i, o)]).collect())
        .collect();
    let mut d = Mat::<f64>::zeros(n, n_in);
    for j in 0..n_in {
        let col = &w.col_as_slice(j)[..n_out];
        for (i, row) in rows.iter().enumerate() {
            let mut acc = [0.0f64; 4];
            let (rc, cc) = (row.chunks_exact(4), col.chunks_exact(4));
            let (rr, cr) = (rc.remainder(), cc.remainder());
            for (x, y) in rc.zip(cc) {
                for k in 0..4 {
                    acc[k] += x[k] * y[k];
                }
            }
            let tail: f64 = rr.iter().zip(cr).map(|(x, y)| x * y).sum();
            d[(i, j)] = s * ((acc[0] + acc[1]) + (acc[2] + acc[3]) + tail);
        }
    }
    d
}

fn check_inputs(field: &'static str, x: &Matrix, d: usize) -> Result<()> {
    if x.rows() == 0 {
        return Err(NtkError::Empty { field });
    }
    if x.cols() != d {
        return Err(NtkError::DimensionMismatch {
            field,
            expected: d,
            got: x.cols(),
        });
    }
    match x.as_slice().iter().position(|v| !v.is_finite()) {
        Some(index) => Err(NtkError::NonFinite { field, index }),
        None => Ok(()),
    }
}

impl Mlp {
    /// A randomly initialised network for inputs of dimension `d_in`.
    pub fn init(spec: &MlpSpec, d_in: usize, seed: u64) -> Result<Self> {
        spec.validate()?;
        if d_in == 0 || d_in > MAX_WIDTH {
            return Err(NtkError::OutOfRange {
                field: "d",
                expected: "between 1 and 65536",
                value: d_in as f64,
            });
        }
        crate::budget::ensure(
            "the network's weights",
            crate::budget::params(d_in, &spec.widths),
            "use a narrower or shallower network",
        )?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut normal = move || rng.sample::<f64, _>(StandardNormal);
        let ntk = spec.parameterization == Parameterization::Ntk;
        let mut sizes = vec![d_in];
        sizes.extend(&spec.widths);
        sizes.push(1);
        let layers = sizes
            .windows(2)
            .map(|io| {
                let (n_in, n_out) = (io[0], io[1]);
                let fan = (n_in as f64).sqrt();
                // Standard: store W ~ N(0, σ_w²/n_in) and b ~ N(0, σ_b²) themselves.
                let (init_w, init_b) = if ntk {
                    (1.0, 1.0)
                } else {
                    (spec.w_std / fan, spec.b_std.unwrap_or(0.0))
                };
                let mut w = Mat::zeros(n_out, n_in);
                for i in 0..n_out {
                    for j in 0..n_in {
                        w[(i, j)] = init_w * normal();
                    }
                }
                let b = match spec.b_std {
                    Some(_) => (0..n_out).map(|_| init_b * normal()).collect(),
                    None => Vec::new(),
                };
                let (s_w, s_b) = if ntk {
                    (spec.w_std / fan, spec.b_std.unwrap_or(0.0))
                } else {
                    (1.0, 1.0)
                };
                Layer { w, b, s_w, s_b }
            })
            .collect();
        Ok(Mlp {
            spec: spec.clone(),
            d_in,
            layers,
        })
    }

    /// The architecture.
    pub fn spec(&self) -> &MlpSpec {
        &self.spec
    }

    /// Number of trainable parameters P.
    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.w.nrows() * l.w.ncols() + l.b.len())
            .sum()
    }

    /// All parameters, layer by layer (W row-major, then b).
    pub fn params(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.param_count());
        for l in &self.layers {
            for i in 0..l.w.nrows() {
                for j in 0..l.w.ncols() {
                    out.push(l.w[(i, j)]);
                }
            }
            out.extend(&l.b);
        }
        out
    }

    /// Set all parameters (same order as [`Mlp::params`]).
    pub fn set_params(&mut self, theta: &[f64]) -> Result<()> {
        if theta.len() != self.param_count() {
            return Err(NtkError::DimensionMismatch {
                field: "parameters",
                expected: self.param_count(),
                got: theta.len(),
            });
        }
        let mut k = 0;
        for l in &mut self.layers {
            for i in 0..l.w.nrows() {
                for j in 0..l.w.ncols() {
                    l.w[(i, j)] = theta[k];
                    k += 1;
                }
            }
            for b in &mut l.b {
                *b = theta[k];
                k += 1;
            }
        }
        Ok(())
    }

    /// The same network cut after hidden layer `hidden` (1 ≤ hidden ≤ L): its first
    /// `hidden` layers, read out by the first unit of the next layer (the first row
    /// of W_{hidden+1} and b_{hidden+1}, with that layer's scales). Its output is the
    /// pre-activation h^(hidden+1)_1 of this network (or the output itself at
    /// `hidden` = L), so its empirical NTK is the per-layer kernel Θ̂^(hidden) whose
    /// limit is the analytic NTK of depth `hidden` (Jacot et al. 2018,
    /// arXiv:1806.07572, the recursion over ℓ). All cuts of one network share their
    /// weights, as the theorems' per-layer bounds do.
    pub fn truncated(&self, hidden: usize) -> Result<Mlp> {
        let depth = self.spec.widths.len();
        if hidden == 0 || hidden > depth {
            return Err(NtkError::OutOfRange {
                field: "layer",
                expected: "between 1 and the network's depth",
                value: hidden as f64,
            });
        }
        let mut layers = self.layers[..hidden].to_vec();
        let next = &self.layers[hidden];
        let n_in = next.w.ncols();
        layers.push(Layer {
            w: Mat::from_fn(1, n_in, |_, j| next.w[(0, j)]),
            b: next.b.first().map(|b| vec![*b]).unwrap_or_default(),
            s_w: next.s_w,
            s_b: next.s_b,
        });
        Ok(Mlp {
            spec: MlpSpec {
                widths: self.spec.widths[..hidden].to_vec(),
                ..self.spec.clone()
            },
            d_in: self.d_in,
            layers,
        })
    }

    /// ‖W_l‖_F (with b_l) of every layer.
    pub fn layer_norms(&self) -> Vec<f64> {
        self.layers
            .iter()
            .map(|l| (l.w.squared_norm_l2() + l.b.iter().map(|b| b * b).sum::<f64>()).sqrt())
            .collect()
    }

    /// ‖θ_l − θ'_l‖_F / ‖θ'_l‖_F per layer, against `other` (same architecture).
    pub fn relative_change(&self, other: &Mlp) -> Vec<f64> {
        self.layers
            .iter()
            .zip(&other.layers)
            .map(|(a, b)| {
                let dw = (&a.w - &b.w).squared_norm_l2();
                let db: f64 = a.b.iter().zip(&b.b).map(|(x, y)| (x - y) * (x - y)).sum();
                let base = b.w.squared_norm_l2() + b.b.iter().map(|v| v * v).sum::<f64>();
                ((dw + db) / base.max(f64::MIN_POSITIVE)).sqrt()
            })
            .collect()
    }

    fn forward_cache(&self, x: &Matrix) -> Cache {
        let act = self.spec.activation;
        let mut a = vec![to_faer(x)];
        let mut z = Vec::with_capacity(self.layers.len());
        let last = self.layers.len() - 1;
        let mut out = Vec::new();
        for (li, layer) in self.layers.iter().enumerate() {
            let mut zl = if a[li].nrows() <= SMALL_BATCH {
                small_batch_a_wt(a[li].as_ref(), &layer.w, layer.s_w)
            } else {
                a_bt(a[li].as_ref(), layer.w.as_ref(), layer.s_w)
            };
            // Column by column on contiguous slices (faer is column-major): no index
            // checks in the loops over all n × m pre-activations.
            if !layer.b.is_empty() {
                for j in 0..zl.ncols() {
                    let bj = layer.s_b * layer.b[j];
                    zl.col_as_slice_mut(j).iter_mut().for_each(|v| *v += bj);
                }
            }
            if li == last {
                out = zl.col_as_slice(0).to_vec();
            } else {
                let mut al = Mat::<f64>::zeros(zl.nrows(), zl.ncols());
                for j in 0..zl.ncols() {
                    act.apply_slice(zl.col_as_slice(j), al.col_as_slice_mut(j));
                }
                a.push(al);
                z.push(zl);
            }
        }
        Cache { a, z, out }
    }

    /// δ_l = ∂f/∂z_l for l = 1..=L+1, each n × n_l.
    fn backward(&self, cache: &Cache) -> Vec<Mat<f64>> {
        let act = self.spec.activation;
        let n = cache.a[0].nrows();
        let depth = self.layers.len() - 1;
        let mut deltas = vec![Mat::<f64>::zeros(0, 0); depth + 1];
        deltas[depth] = Mat::from_fn(n, 1, |_, _| 1.0);
        for l in (0..depth).rev() {
            let next = &self.layers[l + 1];
            // (n × n_{l+1}) · (n_{l+1} × n_l), scaled, times φ'(z_l).
            let mut d = if n <= SMALL_BATCH {
                small_batch_delta_w(deltas[l + 1].as_ref(), &next.w, next.s_w)
            } else {
                let mut d = Mat::zeros(n, next.w.ncols());
                matmul(
                    &mut d,
                    Accum::Replace,
                    deltas[l + 1].as_ref(),
                    next.w.as_ref(),
                    next.s_w,
                    par(),
                );
                d
            };
            let zl = &cache.z[l];
            for j in 0..d.ncols() {
                act.scale_by_derivative(zl.col_as_slice(j), d.col_as_slice_mut(j));
            }
            deltas[l] = d;
        }
        deltas
    }

    /// f(X).
    pub fn forward(&self, x: &Matrix) -> Result<Vec<f64>> {
        check_inputs("x", x, self.d_in)?;
        crate::budget::ensure(
            "the forward pass",
            crate::budget::pass_bytes(x.rows(), self.d_in, &self.spec.widths),
            "use fewer inputs or a narrower or shallower network",
        )?;
        // Many inputs (a grid over the plane): in row blocks, so that each block's
        // layers stay in cache instead of faulting in fresh pages of n × m floats.
        const BLOCK: usize = 512;
        if x.rows() <= 2 * BLOCK {
            return Ok(self.forward_cache(x).out);
        }
        let mut out = Vec::with_capacity(x.rows());
        for start in (0..x.rows()).step_by(BLOCK) {
            let end = (start + BLOCK).min(x.rows());
            let block = Matrix::from_row_major(
                end - start,
                x.cols(),
                x.as_slice()[start * x.cols()..end * x.cols()].to_vec(),
            )?;
            out.extend(self.forward_cache(&block).out);
        }
        Ok(out)
    }

    /// The empirical NTK Θ̂(X₁, X₂) = J(X₁) J(X₂)ᵀ, computed the structured way, and the
    /// empirical NNGP kernel: the covariance of the output over the readout's prior given
    /// the last hidden layer's features, (σ_w²/n_L)⟨a_L, a_L'⟩ + σ_b², in both
    /// parameterizations.
    ///
    /// Θ̂ = Σ_l (Δ_l Δ_l'ᵀ) ⊙ (s_W,l² A_{l−1} A'_{l−1}ᵀ + s_b,l² [bias]), with Δ_l, A_l
    /// the batches' deltas and activations: only n₁ × n₂ Gram matrices and the
    /// activations, never the n × P Jacobian. With `x2 = None` the Grams of X₁ with
    /// itself are used (and the result is exactly symmetric).
    pub fn empirical_kernels(&self, x1: &Matrix, x2: Option<&Matrix>) -> Result<Kernels> {
        check_inputs("x1", x1, self.d_in)?;
        if let Some(x2) = x2 {
            check_inputs("x2", x2, self.d_in)?;
        }
        // Many columns against few rows (a profile on a fine grid): X₂ in row blocks
        // small enough that each block's passes fit in half the budget.
        if let Some(x2) = x2 {
            let widths = &self.spec.widths;
            let (n1, n2) = (x1.rows(), x2.rows());
            let whole = crate::budget::empirical_bytes(self.d_in, widths, n1, n2);
            let half = crate::budget::BUDGET / 2;
            // What stays for every block: the weights and X₁'s passes.
            let fixed = crate::budget::params(self.d_in, widths)
                .saturating_add(crate::budget::pass_bytes(n1, self.d_in, widths));
            if whole > half && n2 > 1 && fixed < half {
                let per_row = crate::budget::pass_bytes(1, self.d_in, widths)
                    .saturating_add(crate::budget::floats(&[n1, 6]));
                let block = (((half - fixed) / per_row.max(1)) as usize).clamp(1, n2 - 1);
                crate::budget::ensure(
                    "the empirical kernel",
                    fixed
                        .saturating_add(per_row.saturating_mul(block as u64))
                        .saturating_add(crate::budget::floats(&[n1, n2, 2])),
                    "use fewer inputs or a narrower or shallower network",
                )?;
                return self.empirical_in_blocks(x1, x2, block);
            }
        }
        crate::budget::ensure(
            "the empirical kernel",
            crate::budget::empirical_bytes(
                self.d_in,
                &self.spec.widths,
                x1.rows(),
                x2.map_or(0, |m| m.rows()),
            ),
            "use fewer inputs or a narrower or shallower network",
        )?;
        let c1 = self.forward_cache(x1);
        let d1 = self.backward(&c1);
        let other = x2.map(|x2| {
            let c2 = self.forward_cache(x2);
            let d2 = self.backward(&c2);
            (c2, d2)
        });
        let (c2, d2) = match &other {
            Some((c, d)) => (c, d),
            None => (&c1, &d1),
        };
        let (n1, n2) = (c1.a[0].nrows(), c2.a[0].nrows());
        let symmetric = x2.is_none();
        // With X₁ = X₂ only the lower triangle of each Gram is computed (half the
        // work) and the result is mirrored, so it is exactly symmetric.
        let gram = |a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64| -> Mat<f64> {
            if symmetric {
                let mut c = Mat::zeros(a.nrows(), b.nrows());
                triangular::matmul(
                    &mut c,
                    BlockStructure::TriangularLower,
                    Accum::Replace,
                    a,
                    BlockStructure::Rectangular,
                    b.transpose(),
                    BlockStructure::Rectangular,
                    alpha,
                    par(),
                );
                c
            } else {
                a_bt(a, b, alpha)
            }
        };
        let mut ntk = Mat::<f64>::zeros(n1, n2);
        let mut nngp = Mat::<f64>::zeros(n1, n2);
        // The readout's prior: W ~ σ_w²/n_L, b ~ σ_b² in either parameterization.
        let spec = &self.spec;
        let prior_b = spec.b_std.map_or(0.0, |b| b * b);
        for (l, layer) in self.layers.iter().enumerate() {
            let raw = gram(c1.a[l].as_ref(), c2.a[l].as_ref(), 1.0);
            let s_w2 = layer.s_w * layer.s_w;
            let bias = if layer.b.is_empty() {
                0.0
            } else {
                layer.s_b * layer.s_b
            };
            let readout = l + 1 == self.layers.len();
            let prior_w = spec.w_std * spec.w_std / layer.w.ncols() as f64;
            let dd = (!readout).then(|| gram(d1[l].as_ref(), d2[l].as_ref(), 1.0));
            for j in 0..n2 {
                let i0 = if symmetric { j } else { 0 };
                for i in i0..n1 {
                    let g = raw[(i, j)];
                    let v = s_w2 * g + bias;
                    match &dd {
                        // The readout: δ = 1, so its NTK term is ∂f/∂(W, b) of the last
                        // layer. The empirical NNGP kernel is the covariance of f over the
                        // readout's random weights given the features a_L:
                        // (σ_w²/n_L)⟨a_L, a_L'⟩ + σ_b², the same in both parameterizations
                        // (in the standard one s_W = 1, so the NTK term is n_L/σ_w² times
                        // larger: the NNGP kernel is not the readout's NTK term there).
                        None => {
                            nngp[(i, j)] = prior_w * g + prior_b;
                            ntk[(i, j)] += v;
                        }
                        Some(dd) => ntk[(i, j)] += dd[(i, j)] * v,
                    }
                }
            }
        }
        if symmetric {
            for j in 0..n1 {
                for i in (j + 1)..n1 {
                    ntk[(j, i)] = ntk[(i, j)];
                    nngp[(j, i)] = nngp[(i, j)];
                }
            }
        }
        Ok(Kernels {
            nngp: from_faer(nngp.as_ref()),
            ntk: from_faer(ntk.as_ref()),
        })
    }

    /// [`Mlp::empirical_kernels`] of X₁ against X₂ computed on row blocks of X₂ of at
    /// most `block` rows, assembled column block by column block.
    pub(crate) fn empirical_in_blocks(
        &self,
        x1: &Matrix,
        x2: &Matrix,
        block: usize,
    ) -> Result<Kernels> {
        let (n1, n2, d) = (x1.rows(), x2.rows(), x2.cols());
        let block = block.max(1);
        let mut nngp = vec![0.0; n1 * n2];
        let mut ntk = vec![0.0; n1 * n2];
        let mut start = 0;
        while start < n2 {
            let rows = block.min(n2 - start);
            let part = Matrix::from_row_major(
                rows,
                d,
                x2.as_slice()[start * d..(start + rows) * d].to_vec(),
            )?;
            let k = self.empirical_kernels(x1, Some(&part))?;
            for i in 0..n1 {
                nngp[i * n2 + start..i * n2 + start + rows].copy_from_slice(k.nngp.row(i));
                ntk[i * n2 + start..i * n2 + start + rows].copy_from_slice(k.ntk.row(i));
            }
            start += rows;
        }
        Ok(Kernels {
            nngp: Matrix::from_row_major(n1, n2, nngp)?,
            ntk: Matrix::from_row_major(n1, n2, ntk)?,
        })
    }

    /// The Jacobian ∂f(xᵢ)/∂θ as an n × P matrix (the naive reference for tests).
    pub fn jacobian(&self, x: &Matrix) -> Result<Matrix> {
        check_inputs("x", x, self.d_in)?;
        let c = self.forward_cache(x);
        let d = self.backward(&c);
        let n = x.rows();
        let p = self.param_count();
        let mut jac = vec![0.0; n * p];
        for i in 0..n {
            let row = &mut jac[i * p..(i + 1) * p];
            let mut k = 0;
            for (l, layer) in self.layers.iter().enumerate() {
                let (n_out, n_in) = (layer.w.nrows(), layer.w.ncols());
                for o in 0..n_out {
                    for q in 0..n_in {
                        row[k] = layer.s_w * d[l][(i, o)] * c.a[l][(i, q)];
                        k += 1;
                    }
                }
                if !layer.b.is_empty() {
                    for o in 0..n_out {
                        row[k] = layer.s_b * d[l][(i, o)];
                        k += 1;
                    }
                }
            }
        }
        Matrix::from_row_major(n, p, jac)
    }

    /// The forward and backward pass of the loss (1/2N)‖f(X) − y‖²: the cache, the
    /// deltas Δ_l, the scaled residual r = (f − y)/N and the loss.
    fn backprop(&self, x: &Matrix, y: &[f64]) -> Result<Backprop> {
        check_inputs("x", x, self.d_in)?;
        if y.len() != x.rows() {
            return Err(NtkError::DimensionMismatch {
                field: "y",
                expected: x.rows(),
                got: y.len(),
            });
        }
        crate::budget::ensure(
            "a gradient step",
            crate::budget::pass_bytes(x.rows(), self.d_in, &self.spec.widths)
                .saturating_add(crate::budget::params(self.d_in, &self.spec.widths)),
            "use fewer inputs or a narrower or shallower network",
        )?;
        let c = self.forward_cache(x);
        let d = self.backward(&c);
        let n = x.rows() as f64;
        let r: Vec<f64> = c.out.iter().zip(y).map(|(f, t)| (f - t) / n).collect();
        let loss = c
            .out
            .iter()
            .zip(y)
            .map(|(f, t)| (f - t) * (f - t))
            .sum::<f64>()
            / (2.0 * n);
        Ok(Backprop { c, d, r, loss })
    }

    /// The loss (1/2N)‖f(X) − y‖² and its gradient with respect to θ (in the order of
    /// [`Mlp::params`]).
    pub fn loss_and_gradient(&self, x: &Matrix, y: &[f64]) -> Result<(f64, Vec<f64>)> {
        let Backprop { c, d, r, loss } = self.backprop(x, y)?;
        let mut grad = Vec::with_capacity(self.param_count());
        for (l, layer) in self.layers.iter().enumerate() {
            // ∂L/∂W = s_W (r ⊙ Δ)ᵀ A.
            let rd = Mat::from_fn(d[l].nrows(), d[l].ncols(), |i, j| r[i] * d[l][(i, j)]);
            let mut gw = Mat::zeros(layer.w.nrows(), layer.w.ncols());
            matmul(
                &mut gw,
                Accum::Replace,
                rd.transpose(),
                c.a[l].as_ref(),
                layer.s_w,
                par(),
            );
            for i in 0..gw.nrows() {
                for j in 0..gw.ncols() {
                    grad.push(gw[(i, j)]);
                }
            }
            if !layer.b.is_empty() {
                for o in 0..rd.ncols() {
                    grad.push(layer.s_b * (0..rd.nrows()).map(|i| rd[(i, o)]).sum::<f64>());
                }
            }
        }
        Ok((loss, grad))
    }

    /// One full-batch gradient-descent step θ ← θ − η ∇L; returns the loss before it.
    /// The weight update W ← W − η s_W (r ⊙ Δ)ᵀA is accumulated into W by one GEMM,
    /// with no gradient buffer: for few inputs and wide layers the step is bound by
    /// memory traffic, which this keeps to reading and writing W once.
    pub fn gd_step(&mut self, x: &Matrix, y: &[f64], learning_rate: f64) -> Result<f64> {
        let Backprop { c, d, r, loss } = self.backprop(x, y)?;
        // Δ is not needed after the step: each layer's is scaled in place (no copy of
        // an n × m matrix per layer and step).
        for (l, (layer, mut rd)) in self.layers.iter_mut().zip(d).enumerate() {
            for j in 0..rd.ncols() {
                for (v, ri) in rd.col_as_slice_mut(j).iter_mut().zip(&r) {
                    *v *= ri;
                }
            }
            let alpha = -learning_rate * layer.s_w;
            if rd.nrows() <= SMALL_BATCH {
                small_batch_update(&mut layer.w, rd.as_ref(), c.a[l].as_ref(), alpha);
            } else {
                matmul(
                    &mut layer.w,
                    Accum::Add,
                    rd.transpose(),
                    c.a[l].as_ref(),
                    alpha,
                    par(),
                );
            }
            if !layer.b.is_empty() {
                for (o, b) in layer.b.iter_mut().enumerate() {
                    *b -= learning_rate * layer.s_b * rd.col_as_slice(o).iter().sum::<f64>();
                }
            }
        }
        Ok(loss)
    }
}

#[cfg(test)]
mod tests;
