//! The kernel experiment: K or Θ(x₀, x(γ)) on the unit circle, analytic and for random
//! finite networks of each width (Jacot et al. 2018, arXiv:1806.07572, Fig. 1),
//! optionally measured again after gradient descent on the data; and the Gram
//! matrices on the data, analytic and empirical.

use serde::{Deserialize, Serialize};

use super::inputs::DataSpec;
use super::{check_count, check_widths, default_network, Observer, Part, Reporter};
use crate::dynamics::KernelKind;
use crate::error::{NtkError, Result};
use crate::kernel::{FcNetwork, Kernels, Parameterization};
use crate::layers::architecture::{Architecture, FiniteNet, Model};
use crate::linalg::Matrix;
use crate::targets::{targets, Target};

/// Up to this many seeds, each seed's curve is kept (and drawn).
pub const SEED_CURVES: usize = 12;

/// The kernel experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The network (in the standard parameterization the Gram matrices use the
    /// widest finite width).
    pub network: FcNetwork,
    /// The architecture the network is read in. The MLP's circle is the unit circle
    /// of ℝ² (Jacot et al.'s picture); any other architecture's is the circle through
    /// the first two data inputs ([`super::measures::plane_circle`]), in its own input
    /// space.
    pub architecture: Architecture,
    /// Finite widths (a CNN's channels).
    pub widths: Vec<usize>,
    /// Random networks per width.
    pub seeds: usize,
    /// NTK or NNGP.
    pub kernel: KernelKind,
    /// Angles γ on the circle.
    pub points: usize,
    /// The data of the Gram matrices (and of the training, when there is one).
    pub data: DataSpec,
    /// Train every net on the data and measure its kernel again.
    pub train: Option<Training>,
}

/// Gradient descent on the data before the kernel is measured again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    pub target: Target,
    pub learning_rate: f64,
    pub steps: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: default_network(),
            architecture: Architecture::Mlp,
            widths: vec![64, 256, 1024],
            seeds: 3,
            kernel: KernelKind::Ntk,
            points: 201,
            data: DataSpec::default(),
            train: None,
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        check_widths(&self.widths)?;
        check_count("seeds", self.seeds, 1, 1000, "between 1 and 1000")?;
        check_count(
            "points",
            self.points,
            3,
            super::MAX_CIRCLE_POINTS,
            "between 3 and 100000",
        )?;
        self.data.validate()?;
        self.architecture.validate(&self.network, self.data.dim())?;
        if !self.architecture.is_mlp() {
            if self.kernel == KernelKind::Nngp {
                return Err(NtkError::Layer {
                    path: "kernel".into(),
                    message:
                        "the finite nets' NNGP kernel is computed for the MLP only; choose the NTK"
                            .into(),
                });
            }
            let n = self.data.rows();
            crate::budget::ensure(
                "the analytic kernels",
                self.architecture.kernel_bytes(
                    &self.network,
                    self.data.dim(),
                    n,
                    n.max(self.points),
                )?,
                "lower n, the positions or the depth",
            )?;
        }
        let widest = self.widest();
        let hidden = vec![widest; self.network.depth];
        crate::budget::ensure(
            "the widest network's empirical kernels",
            crate::budget::empirical_bytes(2, &hidden, 1, self.points).max(
                crate::budget::empirical_bytes(
                    self.data.dim(),
                    &hidden,
                    self.data.rows(),
                    self.data.rows(),
                ),
            ),
            "lower the width, the depth or n",
        )?;
        if let Some(t) = &self.train {
            if !(t.learning_rate.is_finite() && t.learning_rate > 0.0) {
                return Err(NtkError::OutOfRange {
                    field: "train.learning_rate",
                    expected: "a positive number",
                    value: t.learning_rate,
                });
            }
            check_count("train.steps", t.steps, 0, 100_000, "between 0 and 100000")?;
            if self.architecture.is_mlp() && self.data.dim() != 2 {
                return Err(NtkError::DimensionMismatch {
                    field: "data.d (training before measuring the kernel on the circle needs inputs in d = 2)",
                    expected: 2,
                    got: self.data.dim(),
                });
            }
        }
        Ok(())
    }

    /// The network in its architecture.
    pub fn model(&self) -> Model<'_> {
        Model {
            net: &self.network,
            arch: &self.architecture,
        }
    }

    /// The widest finite width.
    pub fn widest(&self) -> usize {
        self.widths.iter().copied().max().unwrap_or(1)
    }

    /// The analytic network of the Gram matrices: the widest width (which matters in
    /// the standard parameterization only).
    pub fn gram_network(&self) -> FcNetwork {
        FcNetwork {
            width: Some(self.widest()),
            ..self.network
        }
    }
}

/// One finite width's circle profile over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidthProfile {
    pub width: usize,
    pub mean: Vec<f64>,
    /// The standard error of the mean over seeds (sample std/√seeds; 0 for one seed).
    pub sem: Vec<f64>,
    /// Each seed's curve, when there are at most [`SEED_CURVES`].
    pub seeds: Vec<Vec<f64>>,
    /// The analytic kernel of this width (standard parameterization, where the kernel
    /// depends on the width); `None` when one infinite-width limit exists.
    pub analytic: Option<Vec<f64>>,
}

/// K or Θ(x₀, x(γ)) on the circle: analytic, and the finite widths finished so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Circle {
    pub gamma: Vec<f64>,
    /// The infinite-width kernel; `None` in the standard parameterization (each width
    /// then carries its own).
    pub analytic: Option<Vec<f64>>,
    pub widths: Vec<WidthProfile>,
    /// The same nets after `trained_steps` steps of gradient descent on the data.
    pub trained: Vec<WidthProfile>,
    pub trained_steps: usize,
    pub seeds: usize,
    /// The circle passes through the first two data inputs (every architecture but
    /// the MLP, whose circle is the unit circle of ℝ²).
    #[serde(default)]
    pub through_data: bool,
    /// The finite widths are a CNN's channels.
    #[serde(default)]
    pub channels: bool,
    /// The architecture has no infinite-width kernel (attention with 1/√d_k
    /// scaling): no analytic curve, and the seeds' spread need not shrink.
    #[serde(default)]
    pub no_limit: bool,
}

/// Gram matrices on the data: analytic and one random net of the widest width, n × n
/// row-major. Where there is no analytic kernel (`other_seed`), `analytic` holds the
/// empirical kernel of a second net of the same width, seed `other_seed`: the
/// difference then shows what two random nets of that width disagree by.
///
/// Above [`HEATMAP_MAX`] inputs the matrices are block means: entry (a, b) is the
/// mean of K(x_i, x_j) over the inputs i of block a and j of block b, each block
/// `block` consecutive inputs (the last may be shorter). The page draws at most a
/// few hundred cells a side, and n² numbers of n = 2000 would be 64 MB to ship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heatmaps {
    /// The side of the matrices shipped: the inputs, or the blocks.
    pub n: usize,
    /// How many inputs each block averages (1: the Gram matrices themselves).
    #[serde(default = "one")]
    pub block: usize,
    /// How many inputs there are.
    #[serde(default)]
    pub inputs: usize,
    pub analytic: Vec<f64>,
    pub empirical: Vec<f64>,
    pub width: usize,
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_seed: Option<u64>,
}

/// The kernel experiment's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub circle: Circle,
    pub heatmaps: Heatmaps,
}

fn one() -> usize {
    1
}

/// The most inputs whose Gram matrices the heatmaps carry entry by entry.
pub const HEATMAP_MAX: usize = 600;

/// The means of an n × n matrix over blocks of `block` × `block` consecutive
/// entries (the last row and column of blocks shorter when `block` does not divide
/// n), row-major; `block` = 1 copies the matrix.
pub fn block_means(m: &Matrix, block: usize) -> Vec<f64> {
    let n = m.rows();
    if block <= 1 {
        return m.as_slice().to_vec();
    }
    let g = n.div_ceil(block);
    let mut out = vec![0.0; g * g];
    for i in 0..n {
        let row = &mut out[(i / block) * g..(i / block + 1) * g];
        for (j, v) in m.row(i).iter().enumerate() {
            row[j / block] += v;
        }
    }
    let size = |a: usize| (block.min(n - a * block)) as f64;
    for a in 0..g {
        for b in 0..g {
            out[a * g + b] /= size(a) * size(b);
        }
    }
    out
}

/// The NTK or the NNGP kernel of a pair.
pub fn pick(k: &Kernels, kind: KernelKind) -> &Matrix {
    kind.pick(&k.ntk, &k.nngp)
}

/// Mean, standard error of the mean (sample std/√seeds) and, up to [`SEED_CURVES`],
/// the curves of the seeds.
pub fn profile(width: usize, curves: &[Vec<f64>], analytic: Option<Vec<f64>>) -> WidthProfile {
    let count = curves.len();
    let s = count.max(1) as f64;
    let points = curves.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..points)
        .map(|i| curves.iter().map(|c| c[i]).sum::<f64>() / s)
        .collect();
    let sem = (0..points)
        .map(|i| {
            if count < 2 {
                return 0.0;
            }
            let var = curves.iter().map(|c| (c[i] - mean[i]).powi(2)).sum::<f64>() / (s - 1.0);
            (var / s).sqrt()
        })
        .collect();
    WidthProfile {
        width,
        mean,
        sem,
        seeds: if count <= SEED_CURVES {
            curves.to_vec()
        } else {
            Vec::new()
        },
        analytic,
    }
}

/// One unit of the kernel experiment's work: one random net of one width, its kernel
/// row on the circle at initialisation and (with training) after gradient descent
/// (empty without). Units are numbered widest width first, seed by seed
/// ([`unit_of`]), so a pool that hands them out in order starts the costliest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub before: Vec<f64>,
    pub after: Vec<f64>,
}

/// What every unit and the combining run share: the data, the training targets and
/// the circle's inputs.
struct Setup {
    widths: Vec<usize>,
    x: Matrix,
    train_y: Option<Vec<f64>>,
    gamma: Vec<f64>,
    x0: Matrix,
    xs: Matrix,
}

fn setup(p: &Params) -> Result<Setup> {
    let widths = super::distinct(&p.widths);
    let x = p.data.inputs()?;
    let user_y = p.data.points.as_ref().and_then(|u| u.y.clone());
    let train_y = match (&p.train, user_y) {
        (Some(_), Some(y)) => Some(y),
        (Some(t), None) => Some(targets(&t.target, &x, 0.0, 0)?),
        (None, _) => None,
    };
    let gamma = super::measures::circle_angles(p.points);
    // The circle's centre input x₀ and its points: the unit circle of ℝ² for the MLP,
    // else the circle through the first two data inputs.
    let (x0, xs) = if p.architecture.is_mlp() {
        let xs = Matrix::from_row_major(
            p.points,
            2,
            gamma.iter().flat_map(|g| [g.cos(), g.sin()]).collect(),
        )?;
        (Matrix::from_row_major(1, 2, vec![1.0, 0.0])?, xs)
    } else {
        super::measures::plane_circle(&x, &gamma)?
    };
    Ok(Setup {
        widths,
        x,
        train_y,
        gamma,
        x0,
        xs,
    })
}

/// How many units the experiment splits into: distinct widths × seeds.
pub fn unit_count(p: &Params) -> usize {
    super::distinct(&p.widths).len() * p.seeds
}

/// Unit `index` is (width position in the distinct widths, seed): widest first.
pub fn unit_of(p: &Params, index: usize) -> (usize, usize) {
    let widths = super::distinct(&p.widths).len();
    (widths - 1 - index / p.seeds, index % p.seeds)
}

/// Compute unit `index` (see [`Unit`]): the same numbers [`run`] computes for it.
pub fn unit(p: &Params, index: usize) -> Result<Unit> {
    p.validate()?;
    super::check_unit(index, unit_count(p))?;
    unit_in(p, &setup(p)?, index)
}

fn unit_in(p: &Params, s: &Setup, index: usize) -> Result<Unit> {
    let (w, seed) = unit_of(p, index);
    let row = |net: &FiniteNet| -> Result<Vec<f64>> {
        if p.kernel == KernelKind::Ntk {
            return Ok(net.empirical_ntk(&s.x0, Some(&s.xs))?.row(0).to_vec());
        }
        let k = net.empirical_kernels(&s.x0, Some(&s.xs))?;
        Ok(pick(&k, p.kernel).row(0).to_vec())
    };
    let mut net = p.model().finite(s.x0.cols(), s.widths[w], seed as u64)?;
    let before = row(&net)?;
    let after = match (&p.train, &s.train_y) {
        (Some(t), Some(y)) => {
            net.train(&s.x, y, t.learning_rate, t.steps)?;
            row(&net)?
        }
        _ => Vec::new(),
    };
    Ok(Unit { before, after })
}

/// Run the kernel experiment. Parts: the circle (first analytic only, then after each
/// width), then the heatmaps.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Output> {
    run_from(p, None, observer)
}

/// Run it with its units already computed (by [`unit`], anywhere, in any order): the
/// same parts and output as [`run`], bit for bit, without the nets' work.
pub fn run_with_units(p: &Params, units: &[Unit], observer: &mut dyn Observer) -> Result<Output> {
    super::check_units(units.len(), unit_count(p))?;
    run_from(p, Some(units), observer)
}

fn run_from(p: &Params, given: Option<&[Unit]>, observer: &mut dyn Observer) -> Result<Output> {
    p.validate()?;
    let s = setup(p)?;
    let widths = s.widths.clone();
    let units = given.map_or(widths.len() * p.seeds, |_| 0);
    let mut r = Reporter::new(observer, 1 + units + 1);
    let mut done = 0;
    let x = &s.x;
    let (x0, xs, gamma) = (&s.x0, &s.xs, &s.gamma);

    // 1. The analytic circle profile. In the standard parameterization the kernel
    //    depends on the width: there is no one limit, and each width is compared with
    //    its own analytic kernel.
    let standard = p.network.parameterization == Parameterization::Standard;
    let choose = |c: super::CircleProfile| p.kernel.pick(c.ntk, c.nngp);
    let model = p.model();
    let limit_at = |net: &FcNetwork| -> Result<super::CircleProfile> {
        if p.architecture.is_mlp() {
            return super::circle_profile(net, p.points);
        }
        let k = Model {
            net,
            arch: &p.architecture,
        }
        .kernels(x0, Some(xs))?;
        Ok(super::CircleProfile {
            gamma: gamma.clone(),
            nngp: k.nngp.row(0).to_vec(),
            ntk: k.ntk.row(0).to_vec(),
        })
    };
    let limit = p.architecture.has_limit();
    let analytic = if standard || !limit {
        None
    } else {
        Some(choose(limit_at(&p.network)?))
    };
    let mut circle = Circle {
        gamma: gamma.clone(),
        analytic,
        widths: Vec::new(),
        trained: Vec::new(),
        trained_steps: p.train.as_ref().map_or(0, |t| t.steps),
        seeds: p.seeds,
        through_data: !p.architecture.is_mlp(),
        channels: matches!(p.architecture, Architecture::Cnn { .. }),
        no_limit: !limit,
    };
    done += 1;
    r.step(done, "analytic kernel on the circle")?;
    r.part(Part::Circle(circle.clone()));

    // 2. Finite widths, each reported as it finishes; with training, each net is
    //    measured again after gradient descent on the data (Jacot et al. 2018, Fig. 1).
    for (wi, &m) in widths.iter().enumerate() {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for seed in 0..p.seeds {
            // The unit of (width wi, seed): widest first (`unit_of`).
            let index = (widths.len() - 1 - wi) * p.seeds + seed;
            let u = match given {
                Some(units) => units[index].clone(),
                None => {
                    let u = unit_in(p, &s, index)?;
                    done += 1;
                    r.step(done, format!("width {m}, seed {}", seed + 1))?;
                    u
                }
            };
            before.push(u.before);
            if p.train.is_some() {
                after.push(u.after);
            }
        }
        let own = if standard && limit {
            let net = FcNetwork {
                width: Some(m),
                ..p.network
            };
            Some(choose(limit_at(&net)?))
        } else {
            None
        };
        circle.widths.push(profile(m, &before, own));
        if p.train.is_some() {
            circle.trained.push(profile(m, &after, None));
        }
        r.part(Part::Circle(circle.clone()));
    }

    // 3. Gram matrices on the data: the analytic kernel of the width shown (it matters
    //    in the standard parameterization) and one random net of that width.
    let widest = p.widest();
    let gram_network = p.gram_network();
    let gram = |seed: u64| -> Result<Matrix> {
        let net = model.finite(x.cols(), widest, seed)?;
        if p.kernel == KernelKind::Ntk {
            net.empirical_ntk(x, None)
        } else {
            Ok(pick(&net.empirical_kernels(x, None)?, p.kernel).clone())
        }
    };
    let empirical = gram(p.data.seed)?;
    let (reference, other_seed) = if limit {
        let exact = Model {
            net: &gram_network,
            arch: &p.architecture,
        }
        .kernels(x, None)?;
        (pick(&exact, p.kernel).clone(), None)
    } else {
        let other = p.data.seed.wrapping_add(1);
        (gram(other)?, Some(other))
    };
    let n = x.rows();
    let block = n.div_ceil(HEATMAP_MAX);
    let heatmaps = Heatmaps {
        n: n.div_ceil(block),
        block,
        inputs: n,
        analytic: block_means(&reference, block),
        empirical: block_means(&empirical, block),
        width: widest,
        seed: p.data.seed,
        other_seed,
    };
    r.step(done + 1, "Gram matrices on the data")?;
    r.part(Part::Heatmaps(heatmaps.clone()));
    Ok(Output { circle, heatmaps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Distribution;
    use crate::empirical::Progress;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn block_means_average_each_block_the_last_one_shorter() {
        // m_ij = i + 10j: a block's mean is (mean of its i) + 10·(mean of its j). With
        // n = 5 and blocks of 2 the blocks are {0, 1}, {2, 3}, {4}: means 0.5, 2.5, 4.
        let m = Matrix::from_row_major(
            5,
            5,
            (0..25).map(|k| (k / 5 + 10 * (k % 5)) as f64).collect(),
        )
        .unwrap();
        let means = [0.5, 2.5, 4.0];
        let got = block_means(&m, 2);
        assert_eq!(got.len(), 9);
        for a in 0..3 {
            for b in 0..3 {
                assert!((got[a * 3 + b] - (means[a] + 10.0 * means[b])).abs() < 1e-12);
            }
        }
        assert_eq!(block_means(&m, 1), m.as_slice());
    }

    #[derive(Default)]
    struct Record {
        progress: Vec<Progress>,
        parts: Vec<Part>,
    }

    impl Observer for Record {
        fn progress(&mut self, p: &Progress) -> bool {
            self.progress.push(p.clone());
            true
        }
        fn part(&mut self, part: &Part) {
            self.parts.push(part.clone());
        }
    }

    fn small(w_std: f64) -> Params {
        Params {
            network: FcNetwork::relu(2, w_std, Some(0.1)),
            widths: vec![16, 64],
            seeds: 2,
            points: 21,
            data: DataSpec {
                n: 24,
                ..DataSpec::default()
            },
            ..Params::default()
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn streams_the_analytic_profile_then_each_width_then_the_grams() {
        let mut rec = Record::default();
        let out = run(&small(1.5), &mut rec).unwrap();
        let done: Vec<usize> = rec.progress.iter().map(|p| p.done).collect();
        assert_eq!(done, (1..=6).collect::<Vec<_>>());
        assert!(rec.progress.iter().all(|p| p.total == 6));
        let widths: Vec<usize> = rec
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Circle(c) => Some(c.widths.len()),
                _ => None,
            })
            .collect();
        assert_eq!(widths, vec![0, 1, 2], "each width as it finishes");
        // The analytic profile at γ = 0 (x = x₀) against the recursion done by hand:
        // K⁰ = ⟨x, x⟩/d = 1/2, Θ⁰ = 0; Dense: K ← 2.25 K + 0.01, Θ ← K + 2.25 Θ;
        // ReLU on the diagonal: K ← K/2, Θ ← Θ/2. Two hidden layers and the readout
        // give Θ(x₀, x₀) = 4.341953125 exactly.
        let analytic = out.circle.analytic.as_ref().unwrap();
        assert_eq!(analytic.len(), 21);
        assert!(
            (analytic[10] - 4.341953125).abs() < 1e-12,
            "{}",
            analytic[10]
        );
        assert_eq!(out.heatmaps.n, 24);
        assert_eq!(rec.parts.last(), Some(&Part::Heatmaps(out.heatmaps)));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_seed_moments_are_the_sample_mean_and_its_standard_error() {
        // Three curves with known moments: mean 2, sample variance 1, s.e. 1/√3.
        let p = profile(8, &[vec![1.0], vec![2.0], vec![3.0]], None);
        assert_eq!(p.mean, vec![2.0]);
        assert!((p.sem[0] - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(p.seeds.len(), 3);
        let many = vec![vec![0.0]; SEED_CURVES + 1];
        assert!(profile(8, &many, None).seeds.is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_settings_are_typed_errors() {
        let e = run(&small(-1.0), &mut ()).unwrap_err();
        assert!(e.to_string().contains("w_std"), "{e}");
        let p = Params {
            train: Some(Training {
                target: Target::Product,
                learning_rate: 0.5,
                steps: 3,
            }),
            data: DataSpec::sample(Distribution::Gaussian, 64, 3),
            ..small(1.5)
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::DimensionMismatch {
                expected: 2,
                got: 3,
                ..
            })
        ));
        let huge = Params {
            widths: vec![65_536],
            network: FcNetwork::relu(10, 1.5, Some(0.1)),
            ..Params::default()
        };
        assert!(matches!(huge.validate(), Err(NtkError::TooLarge { .. })));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_learning_rate_above_the_critical_one_is_refused() {
        let p = Params {
            train: Some(Training {
                target: Target::Product,
                learning_rate: 90.0,
                steps: 3,
            }),
            ..small(1.5)
        };
        assert!(matches!(run(&p, &mut ()), Err(NtkError::Diverges { .. })));
    }
}
