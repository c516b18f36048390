//! KAN against MLP on the circle: which frequencies each infinite-width NTK learns
//! first, and how a KAN's spline grid sets its resolution.
//!
//! ## Setting
//! - N equally spaced points x_i = (cos θ_i, sin θ_i) on the unit circle.
//! - The MLP of `network` (depth, activation, σ_w, σ_b, NTK parameterization), and a
//!   KAN of the same depth for each grid G of `grids` (B-splines of degree `order` on
//!   [−2, 2] plus silu, σ_s = σ_w: [`crate::layers::kan`]). Analytic NTK Gram
//!   matrices Θ (N × N).
//! - Kernel gradient flow on (1/2N)‖f − y‖² from f = 0: the residual is
//!   r(t) = e^{−Θt/N} y (Jacot et al. 2018, arXiv:1806.07572; t = η·steps).
//!
//! ## Measures
//! - `rates[k]` for frequencies k = 0 … K: the Rayleigh quotient
//!   (c_kᵀΘc_k + s_kᵀΘs_k) / (N·(‖c_k‖² + ‖s_k‖²)) of the Fourier vectors
//!   c_k = cos(kθ_i), s_k = sin(kθ_i) (c_0 only at k = 0). It is the rate at which
//!   gradient flow starts to remove frequency k from a residual that is that
//!   frequency alone (with several frequencies, a KAN's cross terms add to it). The MLP's kernel is
//!   rotation-invariant, so its Gram is circulant, c_k and s_k are eigenvectors and the
//!   rate is exact for all t: the eigenvalue λ_k/N, falling fast with k (spectral
//!   bias: Rahaman et al. 2019, arXiv:1806.08734; Basri et al. 2019,
//!   arXiv:1906.00425). A KAN acts on each coordinate separately, so its kernel is not
//!   rotation-invariant and frequencies mix.
//! - `leakage[k]`: ‖Θu − (uᵀΘu/‖u‖²)u‖ / ‖Θu‖ for u = c_k: 0 for an eigenvector,
//!   and the share of Θc_k that lands on other directions otherwise.
//! - `residual[j][t]`: |⟨r(t), c_k⟩| / |⟨y, c_k⟩| for the target
//!   y = Σ_{k ∈ degrees} cos(kθ) and each of its degrees k_j: how much of frequency k_j
//!   is still to learn at time t (exactly e^{−λ_k t/N} for the MLP).

use serde::{Deserialize, Serialize};

use super::{check_count, default_network, Observer, Part, Reporter};
use crate::error::{NtkError, Result};
use crate::kernel::{FcNetwork, Parameterization};
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::{symmetric_eigen, Matrix};

/// The experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The MLP (and the KANs' depth and σ_s = σ_w).
    pub network: FcNetwork,
    /// The KANs' grids G.
    pub grids: Vec<usize>,
    /// The KANs' spline degree.
    pub order: usize,
    /// Points on the circle.
    pub n: usize,
    /// The highest frequency K whose rate is shown.
    pub max_frequency: usize,
    /// The target's frequencies.
    pub degrees: Vec<usize>,
    /// Times of the residual curves.
    pub times: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: FcNetwork {
                depth: 1,
                ..default_network()
            },
            grids: vec![4, 8, 16],
            order: 3,
            n: 64,
            max_frequency: 16,
            degrees: vec![1, 4, 8],
            times: 48,
        }
    }
}

impl Params {
    /// Check the settings.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        if self.network.parameterization != Parameterization::Ntk {
            return Err(NtkError::OutOfRange {
                field: "network.parameterization",
                expected: "ntk (a KAN is in the NTK parameterization, so the MLP is too)",
                value: 0.0,
            });
        }
        check_count("n", self.n, 8, 256, "between 8 and 256 points")?;
        check_count("grids", self.grids.len(), 1, 4, "1 to 4 grids")?;
        for &g in &self.grids {
            check_count(
                "grids",
                g,
                1,
                crate::layers::kan::MAX_GRID,
                "grids between 1 and 64",
            )?;
        }
        check_count(
            "order",
            self.order,
            1,
            crate::layers::kan::MAX_ORDER,
            "a degree between 1 and 5",
        )?;
        check_count(
            "max_frequency",
            self.max_frequency,
            1,
            (self.n / 2).saturating_sub(1).max(1),
            "between 1 and n/2 − 1",
        )?;
        check_count("degrees", self.degrees.len(), 1, 6, "1 to 6 degrees")?;
        for &k in &self.degrees {
            check_count(
                "degrees",
                k,
                0,
                self.max_frequency,
                "degrees between 0 and max_frequency",
            )?;
        }
        check_count("times", self.times, 2, 400, "between 2 and 400 times")?;
        Ok(())
    }
}

/// One architecture's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchLine {
    /// `None`: the MLP; `Some(G)`: the KAN of grid G.
    pub grid: Option<usize>,
    /// Rate per frequency 0 … K.
    pub rates: Vec<f64>,
    /// ‖Θc_k − r c_k‖/‖Θc_k‖ per frequency.
    pub leakage: Vec<f64>,
    /// Per target degree, the share of it still to learn at each time.
    pub residual: Vec<Vec<f64>>,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KanVsMlp {
    /// 0 … K.
    pub frequencies: Vec<usize>,
    /// The target's degrees (the rows of each line's `residual`).
    pub degrees: Vec<usize>,
    /// The times t of the residual curves (log-spaced).
    pub times: Vec<f64>,
    /// The MLP first, then a KAN per grid (the lines finished so far).
    pub lines: Vec<ArchLine>,
    /// The grids of all the KANs (`lines` may not have reached them yet).
    pub grids: Vec<usize>,
}

fn fourier(n: usize, k: usize, sine: bool) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let a = 2.0 * std::f64::consts::PI * (i * k) as f64 / n as f64;
            if sine {
                a.sin()
            } else {
                a.cos()
            }
        })
        .collect()
}

fn times_of(theta: &Matrix, degrees: &[usize], count: usize) -> Vec<f64> {
    // From a hundredth of the fastest target rate's time scale to 30 of the slowest.
    let n = theta.rows();
    let rates: Vec<f64> = degrees
        .iter()
        .map(|&k| rayleigh(theta, &fourier(n, k, false)) / n as f64)
        .filter(|r| *r > 0.0)
        .collect();
    let fast = rates.iter().copied().fold(0.0, f64::max);
    let slow = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let (lo, hi) = if fast > 0.0 && slow.is_finite() {
        (0.01 / fast, 30.0 / slow)
    } else {
        (0.01, 100.0)
    };
    (0..count)
        .map(|i| lo * (hi / lo).powf(i as f64 / (count - 1) as f64))
        .collect()
}

fn apply(theta: &Matrix, u: &[f64]) -> Vec<f64> {
    (0..theta.rows())
        .map(|i| theta.row(i).iter().zip(u).map(|(a, b)| a * b).sum())
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn rayleigh(theta: &Matrix, u: &[f64]) -> f64 {
    dot(u, &apply(theta, u)) / dot(u, u)
}

/// One architecture's rates, leakages and residual curves from its Gram matrix.
fn line(theta: &Matrix, p: &Params, times: &[f64], grid: Option<usize>) -> Result<ArchLine> {
    let n = p.n;
    let mut rates = Vec::with_capacity(p.max_frequency + 1);
    let mut leakage = Vec::with_capacity(p.max_frequency + 1);
    for k in 0..=p.max_frequency {
        let c = fourier(n, k, false);
        let tc = apply(theta, &c);
        let (mut num, mut den) = (dot(&c, &tc), dot(&c, &c));
        if k > 0 {
            let s = fourier(n, k, true);
            num += dot(&s, &apply(theta, &s));
            den += dot(&s, &s);
        }
        rates.push(num / den / n as f64);
        let r = dot(&c, &tc) / dot(&c, &c);
        let off: f64 = tc.iter().zip(&c).map(|(a, b)| (a - r * b).powi(2)).sum();
        let norm = dot(&tc, &tc);
        leakage.push(if norm > 0.0 { (off / norm).sqrt() } else { 0.0 });
    }
    // r(t) = V e^{−Λt/N} Vᵀ y.
    let (lambda, v) = symmetric_eigen(theta)?;
    let y: Vec<f64> = (0..n)
        .map(|i| p.degrees.iter().map(|&k| fourier(n, k, false)[i]).sum())
        .collect();
    let coef: Vec<f64> = (0..n)
        .map(|j| (0..n).map(|i| v.get(i, j) * y[i]).sum())
        .collect();
    let residual = p
        .degrees
        .iter()
        .map(|&k| {
            let c = fourier(n, k, false);
            let start = dot(&c, &y);
            // ⟨r(t), c⟩ = Σ_j e^{−λ_j t/N} (Vᵀy)_j (Vᵀc)_j.
            let vc: Vec<f64> = (0..n)
                .map(|j| (0..n).map(|i| v.get(i, j) * c[i]).sum())
                .collect();
            times
                .iter()
                .map(|&t| {
                    let now: f64 = (0..n)
                        .map(|j| (-lambda[j].max(0.0) * t / n as f64).exp() * coef[j] * vc[j])
                        .sum();
                    (now / start).abs()
                })
                .collect()
        })
        .collect();
    Ok(ArchLine {
        grid,
        rates,
        leakage,
        residual,
    })
}

/// Run the comparison, reporting each architecture as it is finished.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<KanVsMlp> {
    p.validate()?;
    let mut rep = Reporter::new(observer, 1 + p.grids.len());
    let n = p.n;
    let x = Matrix::from_row_major(
        n,
        2,
        (0..n)
            .flat_map(|i| {
                let a = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                [a.cos(), a.sin()]
            })
            .collect(),
    )?;
    rep.step(0, "MLP kernel")?;
    let mlp = Model::mlp(&p.network).kernels(&x, None)?.ntk;
    let times = times_of(&mlp, &p.degrees, p.times);
    let mut out = KanVsMlp {
        frequencies: (0..=p.max_frequency).collect(),
        degrees: p.degrees.clone(),
        times: times.clone(),
        lines: vec![line(&mlp, p, &times, None)?],
        grids: p.grids.clone(),
    };
    rep.part(Part::KanVsMlp(out.clone()));
    for (i, &grid) in p.grids.iter().enumerate() {
        rep.step(1 + i, format!("KAN kernel, grid {grid}"))?;
        let arch = Architecture::Kan {
            grid,
            order: p.order,
        };
        let model = Model {
            net: &p.network,
            arch: &arch,
        };
        let theta = model.kernels(&x, None)?.ntk;
        out.lines.push(line(&theta, p, &times, Some(grid))?);
        rep.part(Part::KanVsMlp(out.clone()));
    }
    rep.step(1 + p.grids.len(), "done")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::kernel_value;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn small() -> Params {
        Params {
            grids: vec![4],
            n: 32,
            max_frequency: 8,
            degrees: vec![1, 3],
            times: 12,
            ..Params::default()
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_mlp_rates_are_the_circulant_eigenvalues_and_its_residuals_pure_exponentials() {
        let p = small();
        let out = run(&p, &mut ()).unwrap();
        let mlp = &out.lines[0];
        // A circulant Gram's eigenvalue at frequency k is the DFT of its first row:
        // λ_k = Σ_j Θ(x_0, x_j) cos(2πjk/N) (a second computation, pair by pair).
        let n = p.n;
        for k in 0..=p.max_frequency {
            let lambda: f64 = (0..n)
                .map(|j| {
                    let a = 2.0 * std::f64::consts::PI * j as f64 / n as f64;
                    let ntk = kernel_value(&p.network, &[1.0, 0.0], &[a.cos(), a.sin()])
                        .unwrap()
                        .ntk;
                    ntk * (a * k as f64).cos()
                })
                .sum();
            let want = lambda / n as f64;
            assert!(
                (mlp.rates[k] - want).abs() <= 1e-12 * mlp.rates[0],
                "k = {k}: {} vs {want}",
                mlp.rates[k]
            );
            assert!(
                mlp.leakage[k] < 1e-10,
                "k = {k}: leakage {}",
                mlp.leakage[k]
            );
        }
        for (j, &k) in p.degrees.iter().enumerate() {
            for (t, r) in out.times.iter().zip(&mlp.residual[j]) {
                let want = (-mlp.rates[k] * t).exp();
                assert!((r - want).abs() < 1e-9, "k = {k}, t = {t}: {r} vs {want}");
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_kan_kernel_mixes_frequencies_and_its_residual_follows_small_euler_steps() {
        let p = small();
        let out = run(&p, &mut ()).unwrap();
        let kan = &out.lines[1];
        assert_eq!(kan.grid, Some(4));
        // Not rotation-invariant: frequency 1 leaks into other directions.
        assert!(kan.leakage[1] > 1e-3, "{:?}", kan.leakage);
        // A second computation of r(t): explicit Euler steps of df/dt = −Θ(f − y)/N
        // with dt = t/20000 (error O(dt·rate) ≲ 1e-4 relative at these times).
        let n = p.n;
        let x = Matrix::from_row_major(
            n,
            2,
            (0..n)
                .flat_map(|i| {
                    let a = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                    [a.cos(), a.sin()]
                })
                .collect(),
        )
        .unwrap();
        let arch = Architecture::Kan { grid: 4, order: 3 };
        let theta = Model {
            net: &p.network,
            arch: &arch,
        }
        .kernels(&x, None)
        .unwrap()
        .ntk;
        let y: Vec<f64> = (0..n)
            .map(|i| p.degrees.iter().map(|&k| fourier(n, k, false)[i]).sum())
            .collect();
        let t_index = p.times / 2;
        let t = out.times[t_index];
        let steps = 20_000;
        let dt = t / steps as f64;
        let mut r = y.clone();
        for _ in 0..steps {
            let tr = apply(&theta, &r);
            for (ri, v) in r.iter_mut().zip(&tr) {
                *ri -= dt * v / n as f64;
            }
        }
        for (j, &k) in p.degrees.iter().enumerate() {
            let c = fourier(n, k, false);
            let want = (dot(&r, &c) / dot(&y, &c)).abs();
            let got = kan.residual[j][t_index];
            assert!(
                (got - want).abs() < 1e-3 * want.max(1e-3),
                "k = {k}: {got} vs Euler {want}"
            );
        }
    }
}
