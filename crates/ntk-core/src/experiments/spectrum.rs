//! The spectrum experiment: the eigenvalues λ_k/n of the analytic Gram matrix on the
//! data (the empirical measure's integral operator) and its top eigenvectors, beside
//! the kernel's Funk–Hecke eigenvalues μ_k repeated by their multiplicity where the
//! data are uniform on a sphere (then λ_k/n → μ_k as n → ∞).

use serde::{Deserialize, Serialize};

use super::inputs::{DataSpec, NoFunkHecke};
use super::kernel::pick;
use super::{default_network, Observer, Part, Reporter};
use crate::dynamics::KernelKind;
use crate::error::Result;
use crate::kernel::FcNetwork;
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::Matrix;
use crate::linalg::{symmetric_eigen, top_eigen, EigenMethod};
use crate::spectral::dominant_frequency;
use crate::sphere::sphere_eigenvalues;

/// How many eigenvectors are returned.
pub const TOP_VECTORS: usize = 4;

/// The spectrum experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The network (its `width` is used by the standard parameterization).
    pub network: FcNetwork,
    /// The architecture the network is read in.
    pub architecture: Architecture,
    pub kernel: KernelKind,
    pub data: DataSpec,
    /// Only the `top` largest eigenvalues and their eigenvectors, by thick-restart
    /// Lanczos ([`crate::linalg::top_eigen`]): about (max(64, 2k) − k) products of
    /// the Gram with a vector per restart instead of the full ≈ 9n³-flop
    /// decomposition. `None`: every eigenvalue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<usize>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: default_network(),
            architecture: Architecture::Mlp,
            kernel: KernelKind::Ntk,
            data: DataSpec::default(),
            top: None,
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        self.data.validate()?;
        self.architecture.validate(&self.network, self.data.dim())?;
        let n = self.data.rows();
        if let Some(k) = self.top {
            if k == 0 || k > n {
                return Err(crate::error::NtkError::OutOfRange {
                    field: "top (eigenvalues)",
                    expected: "between 1 and the number of inputs n",
                    value: k as f64,
                });
            }
        }
        let eigen = match self.top {
            Some(k) => crate::budget::top_eigen_bytes(n, k),
            None => crate::budget::eigen_bytes(n),
        };
        crate::budget::ensure(
            "the Gram matrix and its eigenvectors",
            crate::budget::kernel_bytes(n, n, self.data.dim(), self.network.depth)
                + eigen
                + self
                    .architecture
                    .kernel_bytes(&self.network, self.data.dim(), n, n)?,
            "lower n",
        )
    }

    /// The network in its architecture.
    pub fn model(&self) -> Model<'_> {
        Model {
            net: &self.network,
            arch: &self.architecture,
        }
    }
}

/// One eigenvector of the Gram matrix, its entries in the order of [`Spectrum::x`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eigenvector {
    /// Its eigenvalue λ/n.
    pub eigenvalue: f64,
    pub values: Vec<f64>,
    /// On the circle: its dominant Fourier frequency and that frequency's share of
    /// its energy.
    pub frequency: Option<usize>,
    pub share: Option<f64>,
}

/// The spectrum of the analytic Gram matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// λ_k/n, largest first: all n, or the top k asked for.
    pub eigenvalues: Vec<f64>,
    /// How many eigenvalues the Gram matrix has (n).
    pub total: usize,
    /// How they were found: the full decomposition, or Lanczos for the top k.
    pub method: EigenMethod,
    /// The Funk–Hecke μ_k, each repeated by its multiplicity, largest first (as many
    /// as eigenvalues), when they apply.
    pub analytic: Option<Vec<f64>>,
    /// Why there is no analytic overlay, when there is none.
    pub analytic_note: Option<NoFunkHecke>,
    /// The abscissa of the eigenvectors: the angle on the circle (sorted), else the
    /// index of the input.
    pub x: Vec<f64>,
    /// Whether `x` is the angle.
    pub angle: bool,
    /// The top eigenvectors, largest eigenvalue first.
    pub vectors: Vec<Eigenvector>,
}

/// Run the spectrum experiment.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Spectrum> {
    p.validate()?;
    let mut r = Reporter::new(observer, 1);
    let x = p.data.inputs()?;
    let n = x.rows();
    // Without an infinite-width kernel, one random net's empirical kernel (of the
    // width the network names, seeded by the data seed) stands in, and says so.
    let (gram, no_limit) = if p.architecture.has_limit() {
        (pick(&p.model().kernels(&x, None)?, p.kernel).clone(), None)
    } else {
        let width = p.network.width.unwrap_or(64);
        let net = p.model().finite(x.cols(), width, p.data.seed)?;
        let k = match p.kernel {
            KernelKind::Ntk => net.empirical_ntk(&x, None)?,
            KernelKind::Nngp => pick(&net.empirical_kernels(&x, None)?, p.kernel).clone(),
        };
        let seed = p.data.seed;
        (k, Some(NoFunkHecke::NoLimit { width, seed }))
    };
    // The eigenvalues largest first, and the eigenvectors as columns in that order.
    let (lambda, v, method) = match p.top {
        Some(k) => top_eigen(&gram, k)?,
        None => {
            // Ascending from faer: reversed, and only the top vectors kept.
            let (mut lambda, v) = symmetric_eigen(&gram)?;
            lambda.reverse();
            let t = TOP_VECTORS.min(n);
            let top = (0..n * t).map(|q| v.get(q / t, n - 1 - q % t)).collect();
            (
                lambda,
                Matrix::from_row_major(n, t, top)?,
                EigenMethod::Dense,
            )
        }
    };
    let eigenvalues: Vec<f64> = lambda.iter().map(|l| l / n as f64).collect();
    let applies = match no_limit {
        Some(why) => Err(why),
        None if p.architecture.is_mlp() => p.data.funk_hecke(),
        None => Err(NoFunkHecke::NotMlp),
    };
    let (analytic, analytic_note) = match applies {
        Ok(()) => {
            let k_max = 200.min(4 * n);
            let s = sphere_eigenvalues(&p.network, x.cols(), k_max)?;
            let values = p.kernel.pick(&s.ntk, &s.nngp);
            let mut expanded: Vec<f64> = Vec::new();
            for (mu, mult) in values.iter().zip(&s.multiplicity) {
                let count = (*mult as usize).min(n);
                expanded.extend(std::iter::repeat_n(*mu, count));
                if expanded.len() >= 4 * n {
                    break;
                }
            }
            expanded.sort_by(|a, b| b.total_cmp(a));
            expanded.truncate(eigenvalues.len());
            (Some(expanded), None)
        }
        Err(why) => (None, Some(why)),
    };
    let circle = p.data.on_circle();
    let (xaxis, order): (Vec<f64>, Vec<usize>) = if circle {
        let mut idx: Vec<usize> = (0..n).collect();
        let angle = |i: usize| x.get(i, 1).atan2(x.get(i, 0));
        idx.sort_by(|&a, &b| angle(a).total_cmp(&angle(b)));
        (idx.iter().map(|&i| angle(i)).collect(), idx)
    } else {
        ((0..n).map(|i| i as f64).collect(), (0..n).collect())
    };
    let vectors = eigenvalues
        .iter()
        .enumerate()
        .take(TOP_VECTORS)
        .map(|(col, &eigenvalue)| {
            let values: Vec<f64> = order.iter().map(|&i| v.get(i, col)).collect();
            let dominant = circle.then(|| dominant_frequency(&values));
            Eigenvector {
                eigenvalue,
                frequency: dominant.map(|f| f.frequency),
                share: dominant.map(|f| f.share),
                values,
            }
        })
        .collect();
    let spectrum = Spectrum {
        eigenvalues,
        total: n,
        method,
        analytic,
        analytic_note,
        x: xaxis,
        angle: circle,
        vectors,
    };
    r.step(1, "eigen-decomposition")?;
    r.part(Part::Spectrum(spectrum.clone()));
    Ok(spectrum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Distribution;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn on_the_circle_the_eigenvectors_are_fourier_modes() {
        // A dot-product kernel on equally spaced points of the circle is circulant: its
        // eigenvectors are exactly cos kγ and sin kγ, and the top one (the constant,
        // frequency 0, for a positive kernel) carries all its energy at frequency 0.
        let p = Params {
            data: DataSpec {
                n: 24,
                ..DataSpec::default()
            },
            ..Params::default()
        };
        let s = run(&p, &mut ()).unwrap();
        assert_eq!(s.eigenvalues.len(), 24);
        assert!(s.eigenvalues.windows(2).all(|w| w[0] >= w[1]));
        assert!(s.analytic.is_some() && s.analytic_note.is_none());
        assert_eq!(s.vectors[0].frequency, Some(0));
        assert!(s.vectors[0].share.unwrap() > 1.0 - 1e-9);
        // cos kγ and sin kγ share an eigenvalue: the next two vectors pair up.
        assert_eq!(s.vectors[1].frequency, s.vectors[2].frequency);
        assert!(s.x.windows(2).all(|w| w[0] < w[1]), "angles sorted");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_top_eigenvalues_by_lanczos_are_the_full_spectrum_s_leading_ones() {
        // Second implementation: the full decomposition of the same Gram. On the
        // circle the Gram is circulant, its eigenvalues double: the top 20 must pair
        // up exactly as the full spectrum's do, eigenvectors and frequencies alike.
        let full = Params {
            data: DataSpec {
                n: 400,
                ..DataSpec::default()
            },
            ..Params::default()
        };
        let top = Params {
            top: Some(20),
            ..full.clone()
        };
        let (a, b) = (run(&full, &mut ()).unwrap(), run(&top, &mut ()).unwrap());
        assert_eq!(
            (a.total, b.total, a.eigenvalues.len(), b.eigenvalues.len()),
            (400, 400, 400, 20)
        );
        assert_eq!(
            (a.method, b.method),
            (EigenMethod::Dense, EigenMethod::Lanczos)
        );
        for (i, (x, y)) in a.eigenvalues.iter().zip(&b.eigenvalues).enumerate() {
            assert!(
                (x - y).abs() <= 1e-10 * a.eigenvalues[0],
                "λ_{i}: {x} against {y}"
            );
        }
        assert_eq!(b.analytic.as_ref().map(Vec::len), Some(20));
        assert_eq!(
            a.analytic.as_ref().unwrap()[..20],
            b.analytic.as_ref().unwrap()[..]
        );
        // The constant mode is simple: the same vector up to sign.
        let dot: f64 = a.vectors[0]
            .values
            .iter()
            .zip(&b.vectors[0].values)
            .map(|(x, y)| x * y)
            .sum();
        assert!((dot.abs() - 1.0).abs() < 1e-9);
        for (u, w) in a.vectors.iter().zip(&b.vectors) {
            assert_eq!(u.frequency, w.frequency);
        }
        let bad = Params {
            top: Some(401),
            ..full
        };
        assert!(run(&bad, &mut ())
            .unwrap_err()
            .to_string()
            .contains("top (eigenvalues)"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_funk_hecke_overlay_is_left_out_off_the_sphere_with_the_reason() {
        let p = Params {
            data: DataSpec::sample(Distribution::Laplace, 20, 3),
            ..Params::default()
        };
        let s = run(&p, &mut ()).unwrap();
        assert_eq!(s.analytic, None);
        assert_eq!(s.analytic_note, Some(NoFunkHecke::NotOnSphere));
        assert_eq!(s.vectors[0].frequency, None);
        assert_eq!(s.x[3], 3.0);
    }
}
