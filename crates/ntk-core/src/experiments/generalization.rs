//! The generalization experiment: the data-dependent bound √(2 yᵀ(H^∞)⁻¹y / n) of
//! Arora et al. 2019 (arXiv:1901.08584) for the target and for random labels; the
//! learning curve of NTK regression (t = ∞, relative ridge 10⁻⁶) with its log-log fit;
//! and the sensitivity of the NTK regressor 𝔼|∇f(z)ᵀ(z − ẑ)| against n and against d
//! (after Bombari, Kiyani & Mondelli 2023, arXiv:2302.01629).

use serde::{Deserialize, Serialize};

use super::inputs::{split_rows, user_split, DataSpec};
use super::{check_count, default_network, default_target, Observer, Part, Reporter, Sampled};
use crate::data::Distribution;
use crate::empirical::{fit_log_log, LogLogFit};
use crate::error::{NtkError, Result};
use crate::generalization::{bound_curve, bound_curve_on, BoundPoint};
use crate::kernel::FcNetwork;
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::Matrix;
use crate::targets::Target;

/// The relative ridge of the kernel regressor.
pub const DIAG_REG: f64 = 1e-6;

/// The input dimensions of the sensitivity sweep.
pub const SENSITIVITY_DIMS: [usize; 5] = [2, 4, 8, 16, 32];

/// The generalization experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub network: FcNetwork,
    /// The architecture the network is read in.
    pub architecture: Architecture,
    /// The largest n of the curves is `data.n` (a user's file: its rows not held out).
    pub data: DataSpec,
    pub target: Target,
    pub n_test: usize,
    /// The learning curve and the bound (true labels) again on inputs of each of these
    /// distributions (sampled data only), with each sample's ψ₂ and ψ₁ estimates.
    pub by_distribution: Vec<Distribution>,
    /// A finite network trained at every n of the learning curve (sampled data only).
    pub trained: Option<TrainedNet>,
}

/// A finite network trained by full-batch gradient descent, beside the kernel's curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedNet {
    pub width: usize,
    pub learning_rate: f64,
    pub steps: usize,
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
            n_test: 100,
            by_distribution: Vec::new(),
            trained: None,
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        self.data.validate()?;
        check_count("n_test", self.n_test, 1, 20_000, "between 1 and 20000")?;
        if let Some(t) = &self.trained {
            super::check_widths(&[t.width])?;
            check_count("trained.steps", t.steps, 1, 100_000, "between 1 and 100000")?;
            if !(t.learning_rate.is_finite() && t.learning_rate > 0.0) {
                return Err(NtkError::OutOfRange {
                    field: "trained.learning_rate",
                    expected: "a positive number",
                    value: t.learning_rate,
                });
            }
            let n = self.data.rows().max(self.n_test);
            crate::budget::ensure(
                "training the finite network",
                crate::budget::train_bytes(
                    self.data.dim(),
                    &vec![t.width; self.network.depth],
                    n,
                    self.n_test,
                ),
                "lower the width, the depth or n",
            )?;
        }
        match &self.data.points {
            Some(p) => check_count(
                "data.points.rows",
                p.rows,
                30,
                usize::MAX,
                "at least 30 rows (a fifth is held out as the test set)",
            )?,
            None => check_count(
                "data.n",
                self.data.n,
                24,
                usize::MAX,
                "at least 24 for the generalization curves",
            )?,
        }
        self.architecture.validate(&self.network, self.data.dim())?;
        let n = self.data.rows().max(self.n_test);
        crate::budget::ensure(
            "the kernel regressions",
            crate::budget::kernel_bytes(n, n, self.data.dim().max(32), self.network.depth)
                + self
                    .architecture
                    .kernel_bytes(&self.network, self.data.dim(), n, n)?,
            "lower n or the test points",
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

/// The Arora et al. bound against n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    pub points: Vec<BoundPoint>,
}

/// Test error of NTK regression against n, with the fit mse ∝ n^slope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningCurve {
    pub n: Vec<usize>,
    pub mse: Vec<f64>,
    /// `None` when an error is 0 (nothing to fit on a log scale).
    pub fit: Option<LogLogFit>,
    /// The fitted line e^a · n^b at each n (empty without a fit).
    pub fitted: Vec<f64>,
    /// The test MSE of the trained finite network at each n (`None`: it diverged);
    /// empty without one.
    #[serde(default)]
    pub trained: Vec<Option<f64>>,
    #[serde(default)]
    pub trained_with: Option<TrainedNet>,
}

/// Sensitivity of the NTK regressor against n (at dimension `at_d`) and against d (at
/// `at_n` points; empty for a user's file, whose dimension is fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    pub n: Vec<usize>,
    pub by_n: Vec<f64>,
    pub at_d: usize,
    pub d: Vec<usize>,
    pub by_d: Vec<f64>,
    pub at_n: usize,
}

/// One input distribution's generalization curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionCurves {
    pub distribution: Distribution,
    /// ψ₂ and ψ₁ estimated on the largest training sample (all its entries); for a
    /// heavy-tailed law these estimates grow with the sample, the population norms
    /// being infinite.
    pub orlicz: crate::data::OrliczNorms,
    pub learning_curve: LearningCurve,
    /// The Arora et al. bound for the target, per n of the learning curve.
    pub bound: Vec<f64>,
}

/// The curves of every distribution finished so far (a struct: an internally tagged
/// `Part` cannot hold a bare sequence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ByDistribution {
    pub curves: Vec<DistributionCurves>,
}

/// The generalization experiment's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub bound: Bound,
    pub learning_curve: LearningCurve,
    pub sensitivity: Sensitivity,
    /// Per distribution of `by_distribution` (empty without).
    #[serde(default)]
    pub by_distribution: Vec<DistributionCurves>,
}

/// Up to `count` distinct whole numbers spaced geometrically from `lo` to `hi`.
pub fn geometric(lo: usize, hi: usize, count: usize) -> Vec<usize> {
    let (a, b) = ((lo.max(1) as f64).ln(), (hi.max(lo).max(1) as f64).ln());
    let mut v: Vec<usize> = (0..count)
        .map(|i| {
            (a + (b - a) * i as f64 / (count.max(2) - 1) as f64)
                .exp()
                .round() as usize
        })
        .collect();
    v.dedup();
    v
}

/// The n of the curves: 6 values from max(n/8, 8) to n.
pub fn n_values(n: usize) -> Vec<usize> {
    geometric((n / 8).max(8).min(n), n, 6)
}

/// `value(first n rows of x, their labels)` for each n of `ns`, one progress step each
/// from step `first` on.
fn per_n(
    r: &mut Reporter,
    (first, what): (usize, &str),
    x: &Matrix,
    y: &[f64],
    ns: &[usize],
    value: impl Fn(&Matrix, &[f64]) -> Result<f64>,
) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(ns.len());
    for (k, &n) in ns.iter().enumerate() {
        out.push(value(&split_rows(x, n)?.0, &y[..n])?);
        r.step(first + k, format!("{what}: n = {n}"))?;
    }
    Ok(out)
}

fn curve(n: Vec<usize>, mse: Vec<f64>) -> LearningCurve {
    let x: Vec<f64> = n.iter().map(|&v| v as f64).collect();
    let fit = fit_log_log(&x, &mse).ok();
    LearningCurve {
        fitted: fit.map_or(Vec::new(), |f| {
            x.iter()
                .map(|v| (f.intercept + f.slope * v.ln()).exp())
                .collect()
        }),
        fit,
        n,
        mse,
        trained: Vec::new(),
        trained_with: None,
    }
}

/// Run the generalization experiment. Parts: the bound, the learning curve, the
/// sensitivity.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Output> {
    p.validate()?;
    if p.data.points.is_some() {
        return run_on_file(p, observer);
    }
    let d = &p.data;
    let ns = n_values(d.n);
    if ns.len() < 3 {
        return Err(NtkError::OutOfRange {
            field: "data.n",
            expected: "at least 24 for the generalization curves",
            value: d.n as f64,
        });
    }
    let mut r = Reporter::new(
        observer,
        1 + 2 * ns.len() + SENSITIVITY_DIMS.len() + p.by_distribution.len(),
    );
    let points = bound_curve(d.distribution, d.d, &p.target, &ns, d.seed)?;
    let bound = Bound { points };
    r.step(1, "Arora et al. bound")?;
    r.part(Part::Bound(bound.clone()));

    let sampled = Sampled {
        model: p.model(),
        dist: d.distribution,
        d: d.d,
        project: d.project,
        target: &p.target,
        n_test: p.n_test,
        diag_reg: DIAG_REG,
        seed: d.seed,
    };
    let mut mse = Vec::new();
    let mut trained = Vec::new();
    for (k, &n) in ns.iter().enumerate() {
        mse.push(sampled.mse(n)?);
        if let Some(t) = p.trained {
            trained.push(sampled.trained_mse(n, t.width, t.learning_rate, t.steps)?);
        }
        r.step(2 + k, format!("learning curve: n = {n}"))?;
    }
    let learning_curve = LearningCurve {
        trained,
        trained_with: p.trained,
        ..curve(ns.clone(), mse)
    };
    r.part(Part::LearningCurve(learning_curve.clone()));

    let mut by_n = Vec::new();
    for (k, &n) in ns.iter().enumerate() {
        by_n.push(sampled.sensitivity(n)?);
        r.step(2 + ns.len() + k, format!("sensitivity: n = {n}"))?;
    }
    // The circle is d = 2 only: the d-sweep uses the sphere S^{d−1} instead.
    let dist = if d.distribution == Distribution::Circle {
        Distribution::Sphere
    } else {
        d.distribution
    };
    // Only the dimensions the architecture takes (an image's height must divide d, a
    // valid convolution needs enough positions).
    let (mut dims, mut by_d) = (Vec::new(), Vec::new());
    for (k, &dim) in SENSITIVITY_DIMS.iter().enumerate() {
        if p.architecture.validate(&p.network, dim).is_err()
            || p.architecture.kernel_bytes(&p.network, dim, d.n, d.n)? > crate::budget::BUDGET / 2
        {
            continue;
        }
        dims.push(dim);
        by_d.push(
            Sampled {
                dist,
                d: dim,
                ..sampled
            }
            .sensitivity(d.n)?,
        );
        r.step(2 + 2 * ns.len() + k, format!("sensitivity: d = {dim}"))?;
    }
    let sensitivity = Sensitivity {
        n: ns.clone(),
        by_n,
        at_d: d.d,
        d: dims,
        by_d,
        at_n: d.n,
    };
    r.part(Part::Sensitivity(sensitivity.clone()));
    let done = r.total - p.by_distribution.len();
    let mut by_distribution = Vec::new();
    for (k, &dist) in p.by_distribution.iter().enumerate() {
        let on = Sampled { dist, ..sampled };
        let curve_here = self::learning_curve(&on, &ns)?;
        let bound = bound_curve(dist, d.d, &p.target, &ns, d.seed)?
            .iter()
            .map(|q| q.true_labels)
            .collect();
        let biggest = crate::data::sample(dist, *ns.last().unwrap_or(&1), d.d, d.seed, d.project)?;
        by_distribution.push(DistributionCurves {
            distribution: dist,
            orlicz: crate::data::orlicz_norms(biggest.as_slice())?,
            learning_curve: curve_here,
            bound,
        });
        r.step(done + k + 1, format!("by distribution: {}", dist.name()))?;
        r.part(Part::ByDistribution(ByDistribution {
            curves: by_distribution.clone(),
        }));
    }
    Ok(Output {
        bound,
        learning_curve,
        sensitivity,
        by_distribution,
    })
}

/// On a user's file: the curves use the first n rows (n up to the rows not held out),
/// the test set is the held-out rows; the input dimension is the file's, so there is
/// no sweep over d.
fn run_on_file(p: &Params, observer: &mut dyn Observer) -> Result<Output> {
    let (x, y, x_test, y_test) = user_split(&p.data, &p.target)?.ok_or(NtkError::Empty {
        field: "data.points",
    })?;
    let keep = x.rows();
    let ns = n_values(keep);
    if ns.len() < 3 {
        return Err(NtkError::OutOfRange {
            field: "data.points.rows",
            expected: "at least 30 rows (a fifth is held out as the test set)",
            value: p.data.rows() as f64,
        });
    }
    let mut r = Reporter::new(observer, 1 + 2 * ns.len());
    let seed = p.data.seed;
    let bound = Bound {
        points: bound_curve_on(&x, &y, &ns, seed)?,
    };
    r.step(1, "Arora et al. bound")?;
    r.part(Part::Bound(bound.clone()));
    let net = p.model();
    let mse = per_n(&mut r, (2, "learning curve"), &x, &y, &ns, |xn, yn| {
        super::kernel_regression_mse_on(net, xn, yn, &x_test, &y_test, DIAG_REG)
    })?;
    let learning_curve = curve(ns.clone(), mse);
    r.part(Part::LearningCurve(learning_curve.clone()));
    let z_hat = super::shuffled_rows(&x_test, seed ^ 0x53)?;
    let by_n = per_n(
        &mut r,
        (2 + ns.len(), "sensitivity"),
        &x,
        &y,
        &ns,
        |xn, yn| super::sensitivity_on(net, xn, yn, &x_test, &z_hat, DIAG_REG),
    )?;
    let sensitivity = Sensitivity {
        n: ns,
        by_n,
        at_d: x.cols(),
        d: Vec::new(),
        by_d: Vec::new(),
        at_n: keep,
    };
    r.part(Part::Sensitivity(sensitivity.clone()));
    Ok(Output {
        bound,
        learning_curve,
        sensitivity,
        by_distribution: Vec::new(),
    })
}

/// The learning curve alone (no bound, no sensitivity): [`Sampled::mse`] at each n.
pub fn learning_curve(sampled: &Sampled, ns: &[usize]) -> Result<LearningCurve> {
    let mse = ns
        .iter()
        .map(|&n| sampled.mse(n))
        .collect::<Result<Vec<f64>>>()?;
    Ok(curve(ns.to_vec(), mse))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn geometric_values_are_distinct_and_span_the_range() {
        assert_eq!(geometric(8, 64, 4), vec![8, 16, 32, 64]);
        assert_eq!(n_values(24), vec![8, 10, 12, 15, 19, 24]);
        assert_eq!(geometric(3, 3, 5), vec![3]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn true_labels_bound_below_random_ones_and_the_error_falls_with_n() {
        // Arora et al. 2019: a learnable target has a smaller yᵀ(H^∞)⁻¹y than random
        // ±1 labels of the same size; the NTK regressor's test error falls with n.
        let p = Params {
            network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
            architecture: Architecture::Mlp,
            data: DataSpec::sample(Distribution::Sphere, 160, 5),
            n_test: 100,
            target: Target::harmonics(&[1, 2]),
            by_distribution: vec![Distribution::Gaussian, Distribution::StudentT { nu: 3.0 }],
            trained: None,
        };
        let out = run(&p, &mut ()).unwrap();
        // One line per distribution, over the same n as the main curve.
        assert_eq!(out.by_distribution.len(), 2);
        for c in &out.by_distribution {
            assert_eq!(c.learning_curve.n, out.learning_curve.n);
            assert_eq!(c.bound.len(), c.learning_curve.n.len());
            assert!(c.orlicz.psi2 > 0.0 && c.orlicz.psi1 > 0.0);
        }
        let points = &out.bound.points;
        assert_eq!(points.len(), 6);
        assert!(
            points.iter().all(|q| q.random_labels > q.true_labels),
            "{points:?}"
        );
        let mse = &out.learning_curve.mse;
        assert_eq!(out.learning_curve.n[0], 20);
        assert!(mse.last().unwrap() < &(0.5 * mse[0]), "{mse:?}");
        let fit = out.learning_curve.fit.unwrap();
        assert!(fit.slope < 0.0);
        // The fitted line is e^a n^b at each n.
        let n0 = out.learning_curve.n[0] as f64;
        let expected = (fit.intercept + fit.slope * n0.ln()).exp();
        assert!((out.learning_curve.fitted[0] - expected).abs() < 1e-12 * expected);
        let s = &out.sensitivity;
        assert_eq!(s.by_d.len(), SENSITIVITY_DIMS.len());
        assert!(s
            .by_n
            .iter()
            .chain(&s.by_d)
            .all(|v| v.is_finite() && *v > 0.0));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn too_few_points_are_refused_in_words() {
        let p = Params {
            data: DataSpec {
                n: 20,
                ..DataSpec::default()
            },
            ..Params::default()
        };
        let e = run(&p, &mut ()).unwrap_err();
        assert!(e.to_string().contains("at least 24"), "{e}");
    }
}

#[cfg(test)]
mod trained_tests {
    use super::*;

    #[test]
    fn a_trained_net_is_drawn_beside_the_kernel_learning_curve_and_learns() {
        // A smooth target on the sphere: a width-512 net after 1000 steps of GD learns
        // as n grows (its error sits above the kernel's t = ∞ curve: its random f₀
        // and the finite time remain; measured 0.11 → 0.0014 for 2000 steps at width
        // 1024, against the kernel's 0.04 → 1.6e-5).
        let p = Params {
            network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
            data: DataSpec::sample(Distribution::Sphere, 48, 3),
            n_test: 60,
            target: Target::harmonics(&[1]),
            trained: Some(TrainedNet {
                width: 512,
                learning_rate: 1.0,
                steps: 1000,
            }),
            ..Params::default()
        };
        let out = run(&p, &mut ()).unwrap();
        let lc = &out.learning_curve;
        let t: Vec<f64> = lc.trained.iter().map(|v| v.unwrap()).collect();
        assert_eq!(t.len(), lc.n.len());
        assert!(t.last().unwrap() < &(0.5 * t[0]), "{t:?}");
    }
}
