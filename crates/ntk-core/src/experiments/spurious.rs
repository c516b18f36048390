//! How spurious features are memorized (Bombari & Mondelli, ICML 2024,
//! arXiv:2305.12100): the feature alignment of random-feature and NTK regression,
//! measured on finite models and at infinite width, against its limit γ.
//!
//! ## Setting
//! - Samples z = [x, y] ∈ ℝ^d: the core feature x ∈ ℝ^{d_x} and the spurious feature
//!   y ∈ ℝ^{d_y}, d_y = round(α·d), independent with N(0, I) entries (as in the
//!   authors' synthetic experiments). Labels depend on x only: g = sign(uᵀx) for a
//!   fixed u ~ N(0, I/d_x).
//! - The feature models of [`super::features`] (RF: φ(Vz)/√k; NTK: z ⊗ φ'(Wz)/√(dk)),
//!   with k features, or their kernels at k = ∞; regression by the minimum-norm
//!   interpolant f(z) = k(z)ᵀK⁻¹G on N training samples.
//!
//! ## Measures
//! - The feature alignment 𝓕(z₁ˢ, z₁) = φ(z₁ˢ)ᵀP⊥φ(z₁) / ‖P⊥φ(z₁)‖², P⊥ the projector
//!   onto the orthogonal complement of the other training samples' features, and
//!   z₁ˢ = [x̃, y₁] a fresh core part with the training sample's spurious part. By the
//!   Frisch–Waugh–Lovell theorem 𝓕 is the coefficient of φ(z₁) when φ(z₁ˢ) is
//!   regressed on all training features: 𝓕(z_iˢ, z_i) = [K⁻¹ k(z_iˢ)]_i = ∂f(z_iˢ)/∂g_i.
//!   Computed for `probes` training samples per seed.
//! - The stability S_{z_i}(z) = f(z) − f_{−i}(z) = 𝓕(z, z_i)·(g_i − f_{−i}(z_i)), with
//!   the leave-one-out residual g_i − f_{−i}(z_i) = [K⁻¹G]_i / [K⁻¹]_ii.
//! - The memorization of the spurious feature: how much training on z_i moves the
//!   spurious-only query towards its label, the mean over the probes of
//!   g_i·S_{z_i}(z_iˢ) = 𝓕(z_iˢ, z_i)·g_i(g_i − f_{−i}(z_i)). (f(z_iˢ) = f_{−i}(z_iˢ) +
//!   S_{z_i}(z_iˢ), and f_{−i}(z_iˢ) does not see g_i: 𝔼[g_i f(z_iˢ)] = 𝔼[g_i S], and S
//!   estimates it without that term's noise.) Beside it the prediction
//!   γ · mean g_i(g_i − f_{−i}(z_i)): the paper's decomposition with 𝓕 → γ.
//!   Memorization falls as the model generalizes (g_i − f_{−i}(z_i) → 0).
//! - The test error (mean squared) on fresh samples.
//! - Remedies at the largest n and the widest model: ridge, f = k(z)ᵀ(K + λI)⁻¹G with
//!   λ = r·tr K/N, and early stopping of kernel gradient flow on ½‖f − G‖² from f = 0,
//!   f_τ = k(z)ᵀK⁻¹(I − e^{−τK/λ̄})G with λ̄ = tr K/N; each moves the memorization
//!   coefficient ∂f(z_iˢ)/∂g_i (for ridge, the alignment of the features augmented by
//!   √λ·e_i, which turn ridge into interpolation) and the test error; for ridge also
//!   the memorization g_i·S_{z_i}(z_iˢ), with the ridge leave-one-out residual
//!   [AG]_i/A_ii, A = (K + λI)⁻¹.
//!
//! ## Theory (Bombari & Mondelli 2024, Theorems on RF and NTK features)
//! With μ_l = 𝔼[φ(ρ) h_l(ρ)] and μ'_l = 𝔼[φ'(ρ) h_l(ρ)], h_l the orthonormal
//! (probabilists') Hermite polynomials and ρ ~ N(0, 1):
//! - γ_RF(α) = Σ_{l≥2} μ_l² α^l / Σ_{l≥2} μ_l²;
//! - γ_NTK(α) = α · Σ_{l≥1} μ'_l² α^l / Σ_{l≥1} μ'_l².
//!
//! The lower terms drop out because, with N ≫ d, the span of the other samples'
//! features absorbs the features' constant and linear parts (RF: μ₀ and μ₁; NTK: μ'₀,
//! whose term z ⊗ μ'₀ is linear in z); the sums are normalised so that the
//! activations φ = h₁ + h₂ (RF) and φ' = h₀ + h₁ (NTK) of the authors' synthetic
//! experiments give γ = α². The limit holds for N, d, k → ∞ with d ≪ N ≪ d² and
//! k ≫ N (the paper's conditions are sharper); at finite sizes the measured alignment
//! approaches γ as N/d and k grow. By Mehler's formula Σ_l μ_l² ρ^l = κ(ρ) = 𝔼[φ(u)φ(u')]
//! for unit-variance u, u' of correlation ρ, and Σ_l μ'_l² ρ^l = κ̇(ρ) = 𝔼[φ'(u)φ'(u')];
//! μ₀² = κ(0) and μ₁ = μ'₀ = 𝔼[ρφ(ρ)] (Stein), so
//! γ_RF(α) = (κ(α) − κ(0) − μ₁²α)/(κ(1) − κ(0) − μ₁²) and
//! γ_NTK(α) = α(κ̇(α) − μ₁²)/(κ̇(1) − μ₁²), with κ, κ̇ the lab's dual kernels (closed
//! forms or quadrature) and μ₁ from its Hermite expansion. A linear activation has no
//! terms beyond the removed ones: γ is undefined (`None`).

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::features::{first_layer, kernel, kernel_bytes, solve_many, Features};
use super::{check_count, distinct, Observer, Part, Reporter};
use crate::activation::quadrature::GradedRule;
use crate::activation::Activation;
use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// Test samples of the test error.
const TEST_POINTS: usize = 256;
/// Points of the γ(α) curves.
const GAMMA_POINTS: usize = 41;

/// The experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// φ: a name (`"relu"`) or `{"activation": "leaky_relu", "alpha": 0.1}`.
    #[serde(with = "crate::activation::by_name")]
    pub activation: Activation,
    /// The spurious fraction α = d_y/d, in (0, 1).
    pub alpha: f64,
    /// The input dimension d.
    pub d: usize,
    /// Training-set sizes N.
    pub n: Vec<usize>,
    /// Numbers of features k (finite models).
    pub widths: Vec<usize>,
    /// Also the infinite-width kernel.
    pub infinite: bool,
    /// Independent draws of data and features.
    pub seeds: usize,
    /// Training samples whose spurious copy is queried, per seed.
    pub probes: usize,
    pub features: Features,
    /// Ridge strengths r (λ = r·tr K/N) of the remedy.
    pub ridge: Vec<f64>,
    /// Early-stopping times τ (in units of N/tr K) of the remedy.
    pub times: Vec<f64>,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            activation: Activation::Relu,
            alpha: 0.5,
            d: 40,
            n: vec![50, 100, 200, 400],
            widths: vec![32, 128, 512],
            infinite: true,
            seeds: 3,
            probes: 32,
            features: Features::Ntk,
            ridge: vec![0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
            times: vec![0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0],
            seed: 0,
        }
    }
}

impl Params {
    /// d_y = round(α·d).
    pub fn d_spurious(&self) -> usize {
        (self.alpha * self.d as f64).round() as usize
    }

    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.activation.validate()?;
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(NtkError::OutOfRange {
                field: "alpha",
                expected: "a spurious fraction strictly between 0 and 1",
                value: self.alpha,
            });
        }
        check_count(
            "d",
            self.d,
            2,
            4000,
            "an input dimension between 2 and 4000",
        )?;
        let dy = self.d_spurious();
        if dy == 0 || dy >= self.d {
            return Err(NtkError::OutOfRange {
                field: "alpha",
                expected: "α·d rounding to between 1 and d − 1 spurious coordinates",
                value: self.alpha,
            });
        }
        check_count("n", self.n.len(), 1, 12, "1 to 12 training-set sizes")?;
        for &n in &self.n {
            check_count("n", n, 4, 8000, "training-set sizes between 4 and 8000")?;
        }
        check_count("widths", self.widths.len(), 0, 12, "at most 12 widths")?;
        for &k in &self.widths {
            check_count("widths", k, 1, 1 << 16, "widths between 1 and 65536")?;
        }
        if self.widths.is_empty() && !self.infinite {
            return Err(NtkError::Missing {
                field: "widths",
                context: "(at least one width, or infinite: true)",
            });
        }
        check_count("seeds", self.seeds, 1, 64, "between 1 and 64 seeds")?;
        let n_min = self.n.iter().copied().min().unwrap_or(0);
        check_count("probes", self.probes, 1, 512, "between 1 and 512 probes")?;
        if self.probes > n_min {
            return Err(NtkError::OutOfRange {
                field: "probes",
                expected: "at most the smallest training-set size",
                value: self.probes as f64,
            });
        }
        check_count(
            "ridge",
            self.ridge.len(),
            0,
            16,
            "at most 16 ridge strengths",
        )?;
        if let Some(&r) = self.ridge.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
            return Err(NtkError::OutOfRange {
                field: "ridge",
                expected: "finite ridge strengths ≥ 0",
                value: r,
            });
        }
        check_count("times", self.times.len(), 0, 16, "at most 16 times")?;
        if let Some(&t) = self.times.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
            return Err(NtkError::OutOfRange {
                field: "times",
                expected: "finite times > 0",
                value: t,
            });
        }
        let n = self.n.iter().copied().max().unwrap_or(0);
        let rows = n + self.probes + TEST_POINTS;
        let k = self.widths.iter().copied().max();
        crate::budget::ensure(
            "the features, kernel matrices and eigen-decomposition",
            kernel_bytes(rows, n, self.d, k)
                .max(kernel_bytes(rows, n, self.d, None))
                .saturating_add(crate::budget::eigen_bytes(n))
                .saturating_add(crate::budget::floats(&[n, 2 * self.probes + 1])),
            "lower n, the widths or d",
        )
    }
}

/// The measured alignment of one model width against N.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidthLine {
    /// k, or `None` for the infinite-width kernel.
    pub width: Option<usize>,
    /// Per N: the mean over seeds of each seed's mean alignment over its probes, and
    /// the standard deviation over seeds (0 for one seed).
    pub alignment: Vec<f64>,
    pub alignment_std: Vec<f64>,
    /// Per N: the memorization, mean g_i·S_{z_i}(z_iˢ), and its standard error over all
    /// probes of all seeds.
    pub memorization: Vec<f64>,
    pub memorization_se: Vec<f64>,
    /// Per N: mean g_i(g_i − f_{−i}(z_i)) (the stability's label term).
    pub stability: Vec<f64>,
    /// Per N: the mean squared test error, averaged over seeds.
    pub test_mse: Vec<f64>,
    /// The largest Cholesky jitter any fit needed (0 when none did).
    pub jitter: f64,
    /// Whether the model has fewer features than the largest N (RF: k < N; NTK:
    /// k·d < N): K is then singular and the fits are ridge fits with the jitter.
    #[serde(default)]
    pub rank_deficient: bool,
}

/// The remedies at the largest N and the widest model, one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remedy {
    pub width: Option<usize>,
    pub n: usize,
    /// Ridge strengths r and, per r, the mean memorization coefficient ∂f(z_iˢ)/∂g_i,
    /// the memorization g_i·S_{z_i}(z_iˢ) and the test error.
    pub ridge: Vec<f64>,
    pub ridge_alignment: Vec<f64>,
    pub ridge_memorization: Vec<f64>,
    pub ridge_test_mse: Vec<f64>,
    /// Early-stopping times τ, the memorization coefficient and the test error.
    pub times: Vec<f64>,
    pub time_alignment: Vec<f64>,
    pub time_test_mse: Vec<f64>,
}

/// γ_RF(α) and γ_NTK(α) of every activation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaCurves {
    pub alpha: Vec<f64>,
    /// Activation names, in the order of [`Activation::NAMES`] (leaky ReLU with slope
    /// 0.1, ELU with α = 1, ABReLU with slopes (−0.5, 1)).
    pub names: Vec<String>,
    /// `rf[a][j]` = γ_RF(alpha[j]) of activation a (`None` where undefined).
    pub rf: Vec<Vec<Option<f64>>>,
    pub ntk: Vec<Vec<Option<f64>>>,
}

/// The spurious-feature experiment's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spurious {
    pub features: Features,
    pub activation: String,
    pub alpha: f64,
    pub d: usize,
    pub d_spurious: usize,
    /// γ of the chosen features at α (`None`: undefined for this activation).
    pub gamma: Option<f64>,
    pub n: Vec<usize>,
    /// One line per width (increasing), the infinite-width kernel last; lines are
    /// appended as they are computed.
    pub lines: Vec<WidthLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<Remedy>,
    pub curves: GammaCurves,
}

/// What γ needs of an activation besides κ(α), κ̇(α): μ₁², κ(0), κ(1), κ̇(1).
#[derive(Debug, Clone, Copy)]
struct GammaParts {
    act: Activation,
    mu1_sq: f64,
    k0: f64,
    k1: f64,
    kd1: f64,
}

/// κ(ρ) = 𝔼[φ(u)φ(u')] and κ̇(ρ) = 𝔼[φ'(u)φ'(u')] for unit variances: the closed
/// form where there is one, the lab's nested graded rule otherwise.
fn duals(rule: &GradedRule, act: &Activation, rho: f64) -> (f64, f64) {
    let d = act
        .closed_form_dual(rho, 1.0, 1.0)
        .unwrap_or_else(|| rule.dual(act, rho, 1.0, 1.0));
    (d.nngp, d.dot)
}

impl GammaParts {
    fn new(rule: &GradedRule, act: Activation) -> Self {
        let mu1 = rule.hermite(&act, 1.0).a[1];
        let (k0, _) = duals(rule, &act, 0.0);
        let (k1, kd1) = duals(rule, &act, 1.0);
        GammaParts {
            act,
            mu1_sq: mu1 * mu1,
            k0,
            k1,
            kd1,
        }
    }

    fn gamma(&self, rule: &GradedRule, features: Features, alpha: f64) -> Option<f64> {
        let (ka, kda) = duals(rule, &self.act, alpha);
        match features {
            Features::Rf => {
                let den = self.k1 - self.k0 - self.mu1_sq;
                (den > 1e-12 * self.k1.abs().max(f64::MIN_POSITIVE))
                    .then(|| ((ka - self.k0 - self.mu1_sq * alpha) / den).clamp(0.0, 1.0))
            }
            Features::Ntk => {
                let den = self.kd1 - self.mu1_sq;
                (den > 1e-12 * self.kd1.abs().max(f64::MIN_POSITIVE))
                    .then(|| (alpha * (kda - self.mu1_sq) / den).clamp(0.0, 1.0))
            }
        }
    }
}

/// γ_RF(α) or γ_NTK(α) of `act` (see the module documentation); `None` where the
/// activation has no Hermite terms beyond the ones the data absorb (a linear φ).
pub fn gamma(features: Features, act: Activation, alpha: f64) -> Result<Option<f64>> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(NtkError::OutOfRange {
            field: "alpha",
            expected: "between 0 and 1",
            value: alpha,
        });
    }
    act.validate()?;
    let rule = GradedRule::default();
    Ok(GammaParts::new(&rule, act).gamma(&rule, features, alpha))
}

/// The activations of the γ curves.
pub fn curve_activations() -> Vec<Activation> {
    Activation::NAMES
        .iter()
        .filter_map(|n| Activation::from_name(n, 0.1, (-0.5, 1.0)))
        .map(|a| match a {
            Activation::Elu { .. } => Activation::Elu { alpha: 1.0 },
            other => other,
        })
        .collect()
}

/// γ_RF and γ_NTK on α ∈ [0, 1] for every activation.
pub fn gamma_curves() -> Result<GammaCurves> {
    let alpha: Vec<f64> = (0..GAMMA_POINTS)
        .map(|j| j as f64 / (GAMMA_POINTS - 1) as f64)
        .collect();
    let acts = curve_activations();
    let rule = GradedRule::default();
    let mut rf = Vec::new();
    let mut ntk = Vec::new();
    for act in &acts {
        let parts = GammaParts::new(&rule, *act);
        rf.push(
            alpha
                .iter()
                .map(|&a| parts.gamma(&rule, Features::Rf, a))
                .collect(),
        );
        ntk.push(
            alpha
                .iter()
                .map(|&a| parts.gamma(&rule, Features::Ntk, a))
                .collect(),
        );
    }
    Ok(GammaCurves {
        alpha,
        names: acts.iter().map(|a| a.name().to_string()).collect(),
        rf,
        ntk,
    })
}

/// The data of one seed: training samples, spurious probes, test samples (stacked in
/// that order) and the labels of the training and test samples.
pub struct Draw {
    pub z: Matrix,
    pub n: usize,
    pub probes: usize,
    pub g: Vec<f64>,
    pub g_test: Vec<f64>,
}

/// A stream of seeds for the draws: one per (purpose, n, seed index).
fn mix(seed: u64, a: u64, b: u64, c: u64) -> u64 {
    // SplitMix64-style mixing of the four numbers.
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(a.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(b.wrapping_mul(0x94D0_49BB_1331_11EB))
        .wrapping_add(c);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Draw N training samples z = [x, y], the probes z_iˢ = [x̃_i, y_i] of the first
/// `probes` of them, and the test samples.
pub fn draw(p: &Params, n: usize, s: usize) -> Result<Draw> {
    let (d, dy) = (p.d, p.d_spurious());
    let dx = d - dy;
    let base = |what: u64| mix(p.seed, what, n as u64, s as u64);
    let x = crate::data::gaussian(n + TEST_POINTS, dx, base(1))?;
    let y = crate::data::gaussian(n + TEST_POINTS, dy, base(2))?;
    let fresh = crate::data::gaussian(p.probes, dx, base(3))?;
    let u = crate::data::gaussian(1, dx, mix(p.seed, 4, 0, 0))?;
    let rows = n + p.probes + TEST_POINTS;
    let mut z = Vec::with_capacity(rows * d);
    let mut push = |xr: &[f64], yr: &[f64]| {
        z.extend_from_slice(xr);
        z.extend_from_slice(yr);
    };
    for i in 0..n {
        push(x.row(i), y.row(i));
    }
    for i in 0..p.probes {
        push(fresh.row(i), y.row(i));
    }
    for i in n..n + TEST_POINTS {
        push(x.row(i), y.row(i));
    }
    let label = |xr: &[f64]| {
        let t: f64 = xr.iter().zip(u.row(0)).map(|(a, b)| a * b).sum();
        if t >= 0.0 {
            1.0
        } else {
            -1.0
        }
    };
    Ok(Draw {
        z: Matrix::from_row_major(rows, d, z)?,
        n,
        probes: p.probes,
        g: (0..n).map(|i| label(x.row(i))).collect(),
        g_test: (n..n + TEST_POINTS).map(|i| label(x.row(i))).collect(),
    })
}

/// What one fit gives, per probe and overall.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub alignment: Vec<f64>,
    /// g_i·S_{z_i}(z_iˢ).
    pub memorization: Vec<f64>,
    /// g_i(g_i − f_{−i}(z_i)).
    pub stability: Vec<f64>,
    pub test_mse: f64,
    pub jitter: f64,
}

/// The kernel of the training rows against all rows of a draw (rows × N).
pub fn draw_kernel(p: &Params, width: Option<usize>, s: usize, dr: &Draw) -> Result<Mat<f64>> {
    let train = crate::experiments::inputs::split_rows(&dr.z, dr.n)?.0;
    let w = match width {
        Some(k) => Some(first_layer(k, p.d, mix(p.seed, 5, k as u64, s as u64))?),
        None => None,
    };
    kernel(p.features, p.activation, w.as_ref(), &dr.z, &train)
}

/// The right-hand sides of a fit on a draw with kernel `k` (rows × N):
/// [k(z_iˢ) | e_i | G] for the probes i, N × (2m + 1).
fn probe_rhs(k: &Mat<f64>, dr: &Draw) -> Mat<f64> {
    let (n, m) = (dr.n, dr.probes);
    Mat::from_fn(n, 2 * m + 1, |r, c| {
        if c < m {
            k[(n + c, r)]
        } else if c < 2 * m {
            f64::from(u8::from(r == c - m))
        } else {
            dr.g[r]
        }
    })
}

/// The mean squared error on the draw's test samples of f = k(z)ᵀcoef.
fn test_error(k: &Mat<f64>, dr: &Draw, coef: faer::ColRef<'_, f64>) -> f64 {
    let t0 = dr.n + dr.probes;
    let predict = |row: usize| -> f64 { (0..dr.n).map(|j| k[(row, j)] * coef[j]).sum() };
    dr.g_test
        .iter()
        .enumerate()
        .map(|(j, g)| (g - predict(t0 + j)).powi(2))
        .sum::<f64>()
        / dr.g_test.len() as f64
}

/// Fit the minimum-norm interpolant of a draw with kernel `k` (rows × N) and measure.
pub fn fit(k: &Mat<f64>, dr: &Draw) -> Result<Fit> {
    let (n, m) = (dr.n, dr.probes);
    let ktt = k.as_ref().subrows(0, n);
    let (x, jitter) = solve_many(ktt, probe_rhs(k, dr).as_ref())?;
    let coef = x.col(2 * m);
    let mut out = Fit {
        alignment: Vec::with_capacity(m),
        memorization: Vec::with_capacity(m),
        stability: Vec::with_capacity(m),
        test_mse: test_error(k, dr, coef),
        jitter,
    };
    for i in 0..m {
        let loo = coef[i] / x[(i, m + i)];
        out.alignment.push(x[(i, i)]);
        out.memorization.push(x[(i, i)] * dr.g[i] * loo);
        out.stability.push(dr.g[i] * loo);
    }
    Ok(out)
}

/// The remedies on one draw: for each filter h(λ) of K's eigenvalues (ridge
/// 1/(λ + r·λ̄), early stopping (1 − e^{−τλ/λ̄})/λ), the mean memorization coefficient
/// ∂f(z_iˢ)/∂g_i and test error, and for ridge the memorization g_i·S_{z_i}(z_iˢ).
/// Returns (ridge coefficient, ridge memorization, ridge test error, time
/// coefficient, time test error).
pub fn remedies(k: &Mat<f64>, dr: &Draw, ridge: &[f64], times: &[f64]) -> Result<[Vec<f64>; 5]> {
    let (n, m) = (dr.n, dr.probes);
    crate::budget::ensure(
        "the eigen-decomposition",
        crate::budget::eigen_bytes(n),
        "lower n",
    )?;
    let ktt = k.as_ref().subrows(0, n);
    let evd = ktt
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| NtkError::Numerical(format!("eigen-decomposition failed: {e:?}")))?;
    let (lam, q) = (evd.S(), evd.U());
    let mean = (0..n).map(|i| ktt[(i, i)]).sum::<f64>() / n as f64;
    let c = q.transpose() * probe_rhs(k, dr);
    // (mean coefficient, mean memorization, test error) of the smoother Q h(Λ) Qᵀ.
    let measure = |h: &dyn Fn(f64) -> f64| -> (f64, f64, f64) {
        let mut scaled = c.clone();
        for i in 0..n {
            let f = h(lam[i].max(0.0));
            for j in 0..2 * m + 1 {
                scaled[(i, j)] *= f;
            }
        }
        let x = q * &scaled;
        let coef = x.col(2 * m);
        let align = (0..m).map(|i| x[(i, i)]).sum::<f64>() / m as f64;
        let memo = (0..m)
            .map(|i| x[(i, i)] * dr.g[i] * coef[i] / x[(i, m + i)])
            .sum::<f64>()
            / m as f64;
        (align, memo, test_error(k, dr, coef))
    };
    let mut out: [Vec<f64>; 5] = Default::default();
    // At r = 0 the interpolant: eigenvalues at round-off are floored like the Cholesky
    // jitter (10⁻¹² of the mean eigenvalue).
    let floor = 1e-12 * mean;
    for &r in ridge {
        let shift = r * mean;
        let (a, mm, e) = measure(&|l| 1.0 / (l.max(floor) + shift));
        out[0].push(a);
        out[1].push(mm);
        out[2].push(e);
    }
    for &t in times {
        let (a, _, e) = measure(&|l| {
            let x = t * l / mean;
            if x < 1e-8 {
                t / mean
            } else {
                -(-x).exp_m1() / l
            }
        });
        out[3].push(a);
        out[4].push(e);
    }
    Ok(out)
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Run the experiment: γ curves first, then one line per width (each N, each seed),
/// then the remedies.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Spurious> {
    p.validate()?;
    let ns = distinct(&p.n);
    let mut widths: Vec<Option<usize>> = distinct(&p.widths).into_iter().map(Some).collect();
    if p.infinite {
        widths.push(None);
    }
    let units = widths.len() * ns.len() * p.seeds + 2;
    let mut r = Reporter::new(observer, units);
    let mut out = Spurious {
        features: p.features,
        activation: p.activation.name().to_string(),
        alpha: p.alpha,
        d: p.d,
        d_spurious: p.d_spurious(),
        gamma: gamma(p.features, p.activation, p.d_spurious() as f64 / p.d as f64)?,
        n: ns.clone(),
        lines: Vec::new(),
        remedy: None,
        curves: gamma_curves()?,
    };
    r.step(1, "γ(α) of every activation")?;
    r.part(Part::Spurious(out.clone()));
    let mut done = 1;
    // The remedies use the widest finite model (the infinite kernel without one).
    let remedy_width = widths.iter().copied().flatten().max();
    for &width in &widths {
        let mut line = WidthLine {
            width,
            alignment: Vec::new(),
            alignment_std: Vec::new(),
            memorization: Vec::new(),
            memorization_se: Vec::new(),
            stability: Vec::new(),
            test_mse: Vec::new(),
            jitter: 0.0,
            rank_deficient: width.is_some_and(|k| {
                let rank = match p.features {
                    Features::Rf => k,
                    Features::Ntk => k.saturating_mul(p.d),
                };
                rank < *ns.last().unwrap_or(&0)
            }),
        };
        for &n in &ns {
            let (mut per_seed, mut memo, mut stab, mut mse) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for s in 0..p.seeds {
                let dr = draw(p, n, s)?;
                let k = draw_kernel(p, width, s, &dr)?;
                let f = fit(&k, &dr)?;
                per_seed.push(mean_std(&f.alignment).0);
                memo.extend_from_slice(&f.memorization);
                stab.extend_from_slice(&f.stability);
                mse.push(f.test_mse);
                line.jitter = line.jitter.max(f.jitter);
                if s == 0 && n == *ns.last().unwrap_or(&0) && width == remedy_width {
                    let [ra, rm, re, ta, te] = remedies(&k, &dr, &p.ridge, &p.times)?;
                    out.remedy = Some(Remedy {
                        width,
                        n,
                        ridge: p.ridge.clone(),
                        ridge_alignment: ra,
                        ridge_memorization: rm,
                        ridge_test_mse: re,
                        times: p.times.clone(),
                        time_alignment: ta,
                        time_test_mse: te,
                    });
                }
                done += 1;
                let label = width.map_or("∞".to_string(), |k| k.to_string());
                r.step(
                    done,
                    format!("alignment: k = {label}, N = {n}, seed {}", s + 1),
                )?;
            }
            let (a, a_std) = mean_std(&per_seed);
            let (m, m_std) = mean_std(&memo);
            line.alignment.push(a);
            line.alignment_std.push(a_std);
            line.memorization.push(m);
            line.memorization_se
                .push(m_std / (memo.len() as f64).sqrt());
            line.stability.push(mean_std(&stab).0);
            line.test_mse.push(mean_std(&mse).0);
        }
        out.lines.push(line);
        r.part(Part::Spurious(out.clone()));
    }
    r.step(units, "done")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    const PI: f64 = std::f64::consts::PI;

    /// Closed forms from the arc-cosine and erf dual kernels (Cho & Saul 2009;
    /// Williams 1997), unit variances:
    /// - ReLU: κ(ρ) = (√(1−ρ²) + (π − arccos ρ)ρ)/(2π), μ₀² = 1/(2π), μ₁² = 1/4,
    ///   κ̇(ρ) = (π − arccos ρ)/(2π): γ_RF = (κ(α) − 1/(2π) − α/4)/(1/4 − 1/(2π)) and
    ///   γ_NTK = α((π − arccos α)/(2π) − 1/4)/(1/2 − 1/4) = (2α/π)·arcsin α.
    /// - erf: κ(ρ) = (2/π)·arcsin(2ρ/3), μ₀ = 0, μ₁² = 4/(3π), κ̇(ρ) = (4/π)/√(9 − 4ρ²).
    fn closed(features: Features, act: Activation, a: f64) -> f64 {
        match (features, act) {
            (Features::Rf, Activation::Relu) => {
                let k = ((1.0 - a * a).sqrt() + (PI - a.acos()) * a) / (2.0 * PI);
                (k - 1.0 / (2.0 * PI) - a / 4.0) / (0.25 - 1.0 / (2.0 * PI))
            }
            (Features::Ntk, Activation::Relu) => 2.0 * a / PI * a.asin(),
            (Features::Rf, Activation::Erf) => {
                let k = |r: f64| 2.0 / PI * (2.0 * r / 3.0).asin();
                let mu1 = 4.0 / (3.0 * PI);
                (k(a) - mu1 * a) / (k(1.0) - mu1)
            }
            (Features::Ntk, Activation::Erf) => {
                let kd = |r: f64| 4.0 / PI / (9.0 - 4.0 * r * r).sqrt();
                let mu1 = 4.0 / (3.0 * PI);
                a * (kd(a) - mu1) / (kd(1.0) - mu1)
            }
            _ => unreachable!(),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn gamma_matches_the_closed_forms_for_relu_and_erf() {
        for act in [Activation::Relu, Activation::Erf] {
            for f in [Features::Rf, Features::Ntk] {
                for a in [0.25, 0.5, 0.75] {
                    let g = gamma(f, act, a).unwrap().unwrap();
                    let e = closed(f, act, a);
                    assert!((g - e).abs() <= 1e-10, "{f:?} {act:?} α={a}: {g} vs {e}");
                }
            }
        }
        // γ_NTK(ReLU, 1/2) = (2·½/π)·(π/6) = 1/6.
        let g = gamma(Features::Ntk, Activation::Relu, 0.5)
            .unwrap()
            .unwrap();
        assert!((g - 1.0 / 6.0).abs() < 1e-12);
        // Linear features have nothing left once the data absorb the linear part.
        assert_eq!(
            gamma(Features::Rf, Activation::Identity, 0.5).unwrap(),
            None
        );
        assert_eq!(
            gamma(Features::Ntk, Activation::Identity, 0.5).unwrap(),
            None
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_alignment_identity_matches_the_projection_definition() {
        // 𝓕 = φ(zˢ)ᵀP⊥φ(z₁)/‖P⊥φ(z₁)‖², with P⊥ built from explicit RF features of the
        // other samples, against [K⁻¹k(zˢ)]₁ from `fit`.
        let p = Params {
            d: 6,
            n: vec![8],
            widths: vec![40],
            probes: 3,
            features: Features::Rf,
            activation: Activation::Tanh,
            ..Params::default()
        };
        let dr = draw(&p, 8, 0).unwrap();
        let k = draw_kernel(&p, Some(40), 0, &dr).unwrap();
        let f = fit(&k, &dr).unwrap();
        let w = first_layer(40, 6, mix(p.seed, 5, 40, 0)).unwrap();
        let phi = |row: &[f64]| -> Vec<f64> {
            (0..40)
                .map(|i| {
                    let u: f64 = (0..6).map(|j| w.get(i, j) * row[j]).sum();
                    u.tanh() / 40f64.sqrt()
                })
                .collect()
        };
        for i in 0..3 {
            // Gram–Schmidt on the other samples' features, then project.
            let mut basis: Vec<Vec<f64>> = Vec::new();
            for j in (0..8).filter(|&j| j != i) {
                let mut v = phi(dr.z.row(j));
                for b in &basis {
                    let c: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
                    v.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
                }
                let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                basis.push(v.iter().map(|x| x / norm).collect());
            }
            let perp = |mut v: Vec<f64>| {
                for b in &basis {
                    let c: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
                    v.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
                }
                v
            };
            let a = perp(phi(dr.z.row(i)));
            let s = phi(dr.z.row(8 + i));
            let num: f64 = s.iter().zip(&a).map(|(x, y)| x * y).sum();
            let den: f64 = a.iter().map(|x| x * x).sum();
            assert!(
                (f.alignment[i] - num / den).abs() < 1e-9 * (1.0 + (num / den).abs()),
                "{} vs {}",
                f.alignment[i],
                num / den
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_settings_are_refused() {
        let bad = |p: Params, field: &str| {
            let got = match p.validate().unwrap_err() {
                NtkError::OutOfRange { field, .. } | NtkError::Missing { field, .. } => {
                    field.to_string()
                }
                NtkError::TooLarge { .. } => "budget".to_string(),
                other => format!("{other:?}"),
            };
            assert_eq!(got, field);
        };
        bad(
            Params {
                alpha: 1.0,
                ..Params::default()
            },
            "alpha",
        );
        bad(
            Params {
                alpha: 0.001,
                ..Params::default()
            },
            "alpha",
        );
        bad(
            Params {
                probes: 60,
                ..Params::default()
            },
            "probes",
        );
        bad(
            Params {
                n: vec![],
                ..Params::default()
            },
            "n",
        );
        bad(
            Params {
                ridge: vec![-1.0],
                ..Params::default()
            },
            "ridge",
        );
        bad(
            Params {
                widths: vec![],
                infinite: false,
                ..Params::default()
            },
            "widths",
        );
        bad(
            Params {
                n: vec![8000],
                d: 4000,
                widths: vec![65536],
                ..Params::default()
            },
            "budget",
        );
    }
}
