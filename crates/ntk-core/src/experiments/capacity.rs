//! The capacity experiment (sample complexity): against the number of training points
//! n,
//! - the smallest eigenvalue λ₀ of H^∞ (the two-layer ReLU NTK Gram matrix on the
//!   inputs projected onto the sphere), the non-degeneracy λ₀ > 0 on which the
//!   convergence and generalization theorems of Du et al. 2019 (arXiv:1810.02054) and
//!   Arora et al. 2019 (arXiv:1901.08584) rest: their widths and rates scale with 1/λ₀;
//! - the Rademacher-complexity bound of the kernel class that interpolates the labels,
//!   √(yᵀK⁻¹y · tr K) / n: the empirical Rademacher complexity of the RKHS ball of
//!   radius B is at most B·√(tr K)/n (Bartlett & Mendelson 2002, Lemma 22), and the
//!   minimum-norm interpolant of y has B² = yᵀK⁻¹y. K is the analytic NTK Gram of the
//!   network on the (unprojected) inputs; computed for the target and for random ±1
//!   labels rescaled to the target's energy.

use serde::{Deserialize, Serialize};

use super::generalization::n_values;
use super::inputs::{split_rows, user_split, DataSpec};
use super::{check_count, default_network, default_target, Observer, Part, Reporter};
use crate::data::sample;
use crate::error::{NtkError, Result};
use crate::generalization::{arora_gram, inverse_quadratic, random_labels_like};
use crate::kernel::FcNetwork;
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::{symmetric_eigenvalues, Matrix};
use crate::targets::{targets, Target};

/// The capacity experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub network: FcNetwork,
    /// The architecture of K (H^∞ is always the two-layer ReLU MLP's, as in the
    /// theorems).
    pub architecture: Architecture,
    /// The largest n is `data.n` (a user's file: its rows not held out).
    pub data: DataSpec,
    pub target: Target,
    /// The failure probability δ of the generalization bound's second term.
    pub delta: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            // Infinite width in the NTK parameterization: no width is needed.
            network: FcNetwork {
                width: None,
                ..default_network()
            },
            architecture: Architecture::Mlp,
            data: DataSpec::default(),
            target: default_target(),
            delta: 0.1,
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        self.data.validate()?;
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(NtkError::OutOfRange {
                field: "delta",
                expected: "strictly between 0 and 1",
                value: self.delta,
            });
        }
        check_count(
            "data.n",
            self.data.rows(),
            24,
            usize::MAX,
            "at least 24 for a curve over n",
        )?;
        self.architecture.validate(&self.network, self.data.dim())?;
        let n = self.data.rows();
        crate::budget::ensure(
            "the Gram matrices and their eigenvalues",
            crate::budget::kernel_bytes(n, n, self.data.dim(), self.network.depth)
                + crate::budget::eigen_bytes(n)
                + self
                    .architecture
                    .kernel_bytes(&self.network, self.data.dim(), n, n)?,
            "lower n",
        )
    }
}

/// λ₀(H^∞) and the Rademacher bound at each n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub n: Vec<usize>,
    /// The smallest eigenvalue of H^∞ on the first n inputs (projected).
    pub lambda_min: Vec<f64>,
    /// √(yᵀK⁻¹y · tr K)/n for the target and for random labels.
    pub rademacher_true: Vec<f64>,
    pub rademacher_random: Vec<f64>,
    /// The second term of the Arora et al. 2019 bound (arXiv:1901.08584, Theorem 5.1),
    /// √(log(n/(λ₀δ))/n), with the O(·)'s constant taken as 1; `None` where λ₀ ≤ 0.
    #[serde(default)]
    pub second_term: Vec<Option<f64>>,
    #[serde(default)]
    pub delta: f64,
    /// The first n at which K was singular at working precision (the bound then uses
    /// K + εI, see [`inverse_quadratic`]); absent when it never was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub singular_from: Option<usize>,
}

/// One point of the curves: λ₀(H^∞) on `x` projected, and the Rademacher bounds of
/// labels `y` and random labels `r` with the kernel of `net`; whether K was singular.
pub fn capacity_point(
    model: Model,
    x: &Matrix,
    y: &[f64],
    r: &[f64],
) -> Result<(f64, f64, f64, bool)> {
    let h = arora_gram(&crate::data::project_rows(x.clone()))?;
    let lambda_min = symmetric_eigenvalues(&h)?[0];
    let k = model.kernels(x, None)?.ntk;
    let trace: f64 = (0..k.rows()).map(|i| k.get(i, i)).sum();
    let n = x.rows() as f64;
    let (qy, jy) = inverse_quadratic(&k, y)?;
    let (qr, jr) = inverse_quadratic(&k, r)?;
    Ok((
        lambda_min,
        (qy * trace).sqrt() / n,
        (qr * trace).sqrt() / n,
        jy.max(jr) > 0.0,
    ))
}

/// Run the capacity experiment: sampled data are drawn afresh for each n (seed + n),
/// a user's file uses its first n rows.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Capacity> {
    p.validate()?;
    let file = user_split(&p.data, &p.target)?;
    let largest = file.as_ref().map_or(p.data.n, |(x, ..)| x.rows());
    let ns = n_values(largest);
    if ns.len() < 3 {
        return Err(NtkError::OutOfRange {
            field: "data.n",
            expected: "at least 24 for a curve over n",
            value: largest as f64,
        });
    }
    let mut r = Reporter::new(observer, ns.len());
    let mut out = Capacity {
        n: ns.clone(),
        lambda_min: Vec::new(),
        rademacher_true: Vec::new(),
        rademacher_random: Vec::new(),
        second_term: Vec::new(),
        delta: p.delta,
        singular_from: None,
    };
    for (i, &n) in ns.iter().enumerate() {
        let (x, y) = match &file {
            Some((x, y, ..)) => (split_rows(x, n)?.0, y[..n].to_vec()),
            None => {
                let d = &p.data;
                let x = sample(d.distribution, n, d.d, d.seed + n as u64, d.project)?;
                let y = targets(&p.target, &x, 0.0, 0)?;
                (x, y)
            }
        };
        let labels = random_labels_like(&x, &y, p.data.seed)?;
        let (l, t, rr, singular) = capacity_point(
            Model {
                net: &p.network,
                arch: &p.architecture,
            },
            &x,
            &y,
            &labels,
        )?;
        out.second_term
            .push((l > 0.0).then(|| ((n as f64 / (l * p.delta)).ln().max(0.0) / n as f64).sqrt()));
        out.lambda_min.push(l);
        out.rademacher_true.push(t);
        out.rademacher_random.push(rr);
        if singular && out.singular_from.is_none() {
            out.singular_from = Some(n);
        }
        r.step(i + 1, format!("capacity: n = {n}"))?;
    }
    r.part(Part::Capacity(out.clone()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Distribution;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn orthogonal_inputs_give_the_closed_forms() {
        // Rows √d·e_i: projected they are orthonormal, so H^∞ = I/2 (x·x' = 0 off the
        // diagonal, (π − 0)/(2π) on it) and λ₀ = 1/2. A linear readout (depth 0,
        // σ_w = 1, no bias) has K = ⟨x, x'⟩/d = I, so for ±1 labels yᵀK⁻¹y = n and
        // tr K = n: the bound is √(n·n)/n = 1.
        let d = 4;
        let x = Matrix::from_row_major(
            d,
            d,
            (0..d * d)
                .map(|k| if k / d == k % d { 2.0 } else { 0.0 })
                .collect(),
        )
        .unwrap();
        let y = [1.0, -1.0, -1.0, 1.0];
        let net = FcNetwork::relu(0, 1.0, None);
        let (l, t, r, singular) = capacity_point(Model::mlp(&net), &x, &y, &y).unwrap();
        assert!((l - 0.5).abs() < 1e-14, "{l}");
        assert!(
            (t - 1.0).abs() < 1e-14 && (r - 1.0).abs() < 1e-14,
            "{t} {r}"
        );
        assert!(!singular);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn random_labels_need_more_capacity_and_lambda_falls_with_n() {
        // A smooth target lies in the kernel's top eigenspaces: its interpolant has a
        // much smaller norm than that of random labels of the same energy. Adding
        // points can only lower λ₀ (Cauchy interlacing for nested samples; here the
        // samples are fresh, so only the trend is checked, between the ends).
        let p = Params {
            network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
            architecture: Architecture::Mlp,
            data: DataSpec::sample(Distribution::Sphere, 96, 5),
            target: Target::harmonics(&[1]),
            delta: 0.1,
        };
        let c = run(&p, &mut ()).unwrap();
        assert_eq!(c.n.len(), 6);
        for i in 0..6 {
            assert!(c.rademacher_random[i] > 2.0 * c.rademacher_true[i], "{c:?}");
        }
        assert!(c.lambda_min[5] < c.lambda_min[0], "{c:?}");
        assert!(c.lambda_min.iter().all(|l| *l > 0.0));
    }
}
