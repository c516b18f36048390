//! The convergence experiment: the distance of the empirical NTK of random networks to
//! the analytic NTK on the same inputs, against the width, for inputs of each
//! distribution (and the user's file), with log-log fits. Theory: O(m^{−1/2})
//! fluctuations of each entry (Hanin & Nica 2019, arXiv:1909.05989; the limit itself
//! is Jacot et al. 2018, arXiv:1806.07572).
//!
//! The convergence theorems are high-probability statements (Arora et al. 2019,
//! arXiv:1904.11955: |Θ̂ − Θ| ≤ (L+1)ε with probability 1 − δ once m ≳ L⁶/ε⁴·log(L/δ)),
//! so each width's distances are summarised in their quantities: the (1 − δ)
//! quantile over seeds, the worst seed and the tail P(distance > ε), beside mean ±
//! std. Optional parts: the same per hidden layer ℓ (Θ̂^(ℓ) against the depth-ℓ
//! NTK), the sup over the input sphere approximated on a grid, Gaussian inputs of
//! several dimensions d, and the spread of Θ̂(x, x) against the depth at a fixed
//! width beside its L/m law ([`crate::empirical::relu_ntk_relative_variance`]).

use serde::{Deserialize, Serialize};

use super::inputs::UserPoints;
use super::{check_count, check_widths, default_network, Observer, Part, Reporter};
use crate::activation::Activation;
use crate::data::{sample, Distribution};
use crate::empirical::{
    depth_sweep, distance_sweep, fit_log_log, fit_through_origin, relu_ntk_relative_variance,
    seeds_for_quantile, stats, DepthPoint, LogLogFit, SeedDistances, Stats, WidthPoint,
};
use crate::error::{NtkError, Result};
use crate::kernel::{FcNetwork, Parameterization};
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::Matrix;

/// The convergence experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub network: FcNetwork,
    /// The architecture the network is read in (the widths are a CNN's channels).
    pub architecture: Architecture,
    /// At least 3 widths, for the fit.
    pub widths: Vec<usize>,
    pub seeds: usize,
    pub distributions: Vec<Distribution>,
    /// Inputs per distribution, and their dimension.
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    /// The user's data, as one more line.
    pub user: Option<UserPoints>,
    /// The quantile's level is 1 − δ.
    pub delta: f64,
    /// The tail's threshold: P(distance > ε), for the relative Frobenius distance and
    /// the largest entry alike.
    pub epsilon: f64,
    /// Also the distance of every hidden layer's kernel Θ̂^(ℓ) (flat MLP only).
    pub layers: bool,
    /// The sup over the sphere of radius √d (the norm of unit-variance inputs),
    /// approximated by the largest entry on this many grid points: evenly spaced on
    /// the circle for d = 2, a Fibonacci lattice for d = 3.
    pub sup_grid: Option<usize>,
    /// Gaussian inputs in each of these dimensions, one line each (n inputs).
    pub dims: Vec<usize>,
    /// The depth sweep (flat MLP): these depths at `depth_width`, `depth_seeds`
    /// networks, on the first `depth_inputs` inputs of the first line.
    pub depths: Vec<usize>,
    pub depth_width: usize,
    pub depth_seeds: usize,
    pub depth_inputs: usize,
}

/// The distributions of the convergence panel: one per tail class, and `chosen` if it
/// is none of them.
pub fn distributions(chosen: Distribution, nu: f64) -> Vec<Distribution> {
    let mut v = vec![
        Distribution::Gaussian,
        Distribution::Rademacher,
        Distribution::Laplace,
        Distribution::StudentT { nu },
    ];
    if !v.iter().any(|d| d.name() == chosen.name()) {
        v.push(chosen);
    }
    v
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: default_network(),
            architecture: Architecture::Mlp,
            widths: vec![64, 256, 1024],
            seeds: 3,
            distributions: distributions(Distribution::Circle, 3.0),
            n: 64,
            d: 2,
            seed: 0,
            user: None,
            delta: 0.1,
            epsilon: 0.1,
            layers: false,
            sup_grid: None,
            dims: Vec::new(),
            depths: Vec::new(),
            depth_width: 256,
            depth_seeds: 32,
            depth_inputs: 4,
        }
    }
}

/// The largest grid for the sup.
pub const MAX_GRID: usize = 1024;

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        check_widths(&self.widths)?;
        let distinct = super::distinct(&self.widths);
        check_count(
            "widths",
            distinct.len(),
            3,
            16,
            "at least 3 different widths, for the fit",
        )?;
        check_count("seeds", self.seeds, 1, 1000, "between 1 and 1000")?;
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(NtkError::OutOfRange {
                field: "delta",
                expected: "strictly between 0 and 1",
                value: self.delta,
            });
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(NtkError::OutOfRange {
                field: "epsilon",
                expected: "a positive number",
                value: self.epsilon,
            });
        }
        if self.distributions.is_empty() && self.user.is_none() && self.dims.is_empty() {
            return Err(NtkError::Empty {
                field: "distributions",
            });
        }
        let mlp_only = |field: &'static str| NtkError::OutOfRange {
            field,
            expected: "the flat MLP architecture (per-layer kernels and depth cuts are the MLP's)",
            value: 1.0,
        };
        if self.layers && !self.architecture.is_mlp() {
            return Err(mlp_only("layers"));
        }
        if let Some(g) = self.sup_grid {
            if self.d != 2 && self.d != 3 {
                return Err(NtkError::OutOfRange {
                    field: "d",
                    expected:
                        "2 or 3 for the sup over the sphere (a grid of the circle or the 2-sphere)",
                    value: self.d as f64,
                });
            }
            check_count("sup_grid", g, 8, MAX_GRID, "between 8 and 1024 grid points")?;
        }
        check_count("dims", self.dims.len(), 0, 8, "at most 8 dimensions")?;
        for &d in &self.dims {
            check_count("dims", d, 1, 4096, "dimensions between 1 and 4096")?;
        }
        let data = super::DataSpec {
            n: self.n,
            d: self.d,
            points: self.user.clone(),
            ..super::DataSpec::default()
        };
        data.validate()?;
        let widest = *distinct.last().unwrap_or(&1);
        let rows = data.rows().max(self.sup_grid.unwrap_or(0));
        let dim = data
            .dim()
            .max(self.d)
            .max(self.dims.iter().copied().max().unwrap_or(0));
        let hidden = vec![widest; self.network.depth];
        crate::budget::ensure(
            "the widest network's empirical NTK",
            crate::budget::empirical_bytes(dim, &hidden, rows, rows),
            "lower the width, the depth or n",
        )?;
        if !self.depths.is_empty() {
            if !self.architecture.is_mlp() {
                return Err(mlp_only("depths"));
            }
            check_count(
                "depths",
                self.depths.len(),
                2,
                16,
                "between 2 and 16 depths",
            )?;
            for &l in &self.depths {
                check_count(
                    "depths",
                    l,
                    1,
                    crate::kernel::MAX_DEPTH,
                    "depths between 1 and 100",
                )?;
            }
            check_widths(&[self.depth_width])?;
            check_count(
                "depth_seeds",
                self.depth_seeds,
                3,
                10_000,
                "between 3 and 10000",
            )?;
            check_count("depth_inputs", self.depth_inputs, 1, 64, "between 1 and 64")?;
            let deepest = vec![self.depth_width; *self.depths.iter().max().unwrap_or(&1)];
            crate::budget::ensure(
                "the depth sweep's deepest network",
                crate::budget::empirical_bytes(dim, &deepest, self.depth_inputs, self.depth_inputs),
                "lower the depths or the depth sweep's width",
            )?;
        }
        Ok(())
    }
}

/// One distance's summary per width, with log-log fits of the mean, the quantile and
/// the worst seed against the width (`None` when a value is 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub stats: Vec<Stats>,
    pub fit_mean: Option<LogLogFit>,
    pub fit_quantile: Option<LogLogFit>,
    pub fit_worst: Option<LogLogFit>,
}

/// Hidden layer ℓ's curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerCurves {
    pub layer: usize,
    pub frobenius: Curve,
    pub max_entry: Curve,
}

/// The grid a sup line was measured on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub points: usize,
    /// The largest distance from a point of the sphere to the grid, in degrees
    /// (half the spacing on the circle; the Fibonacci lattice's covering radius,
    /// estimated on 20 000 random directions, on the 2-sphere).
    pub resolution_degrees: f64,
    pub radius: f64,
}

/// One line of the plot: the inputs it was measured on, the sweep, and the fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The distribution sampled, or `None` for the user's file and the grid.
    pub distribution: Option<Distribution>,
    /// The user's file: (name, rows, columns).
    pub file: Option<(String, usize, usize)>,
    /// The sphere grid of a sup line.
    pub grid: Option<Grid>,
    /// The inputs' dimension.
    pub d: usize,
    /// ψ₂ and ψ₁ estimated on the inputs' entries (not for the grid); a heavy-tailed
    /// sample's estimates grow with its size (the population norms are infinite).
    pub orlicz: Option<crate::data::OrliczNorms>,
    /// Mean and std per width (as before the quantiles were added).
    pub points: Vec<WidthPoint>,
    /// Every seed's distances per width.
    pub seeds: Vec<SeedDistances>,
    /// ‖Θ̂ − Θ‖_F/‖Θ‖_F.
    pub frobenius: Curve,
    /// max|Θ̂ − Θ| (on a grid line: the sup over the sphere).
    pub max_entry: Curve,
    /// Per hidden layer, when asked.
    pub layers: Vec<LayerCurves>,
}

/// Why the depth sweep has no theory curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoDepthLaw {
    /// The law is derived for ReLU.
    NotRelu,
    /// … without biases.
    HasBias,
    /// … in the NTK parameterization.
    Standard,
}

/// The spread of Θ̂(x, x) against the depth at one width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthSweep {
    pub width: usize,
    pub seeds: usize,
    pub inputs: usize,
    pub points: Vec<DepthPoint>,
    /// The law's relative variance at each depth, or why it does not apply.
    pub law: std::result::Result<Vec<f64>, NoDepthLaw>,
    /// c in log(1 + relative variance) = c·L/m, weighted least squares through the
    /// origin (weights from the jackknife errors), of the measurements (with its
    /// standard error) and of the law at the same depths with the same weights.
    pub fit_c: Option<(f64, f64)>,
    pub law_c: Option<f64>,
}

/// The lines finished so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    pub lines: Vec<Line>,
    pub seeds: usize,
    pub n: usize,
    pub d: usize,
    pub delta: f64,
    pub epsilon: f64,
    /// The fewest seeds for which the (1 − δ) quantile means more than the worst
    /// seed (on average 2 seeds above it); fewer and the page says so.
    pub quantile_seeds: usize,
    pub depth: Option<DepthSweep>,
}

/// Which summary over seeds a chart draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Mean,
    Quantile,
    Worst,
    Tail,
}

impl Curve {
    fn new(seeds: &[&[f64]], widths: &[usize], delta: f64, epsilon: f64) -> Result<Curve> {
        let stats: Vec<Stats> = seeds
            .iter()
            .map(|v| stats(v, delta, epsilon))
            .collect::<Result<_>>()?;
        let x: Vec<f64> = widths.iter().map(|&w| w as f64).collect();
        let fit = |f: fn(&Stats) -> f64| {
            let y: Vec<f64> = stats.iter().map(f).collect();
            fit_log_log(&x, &y).ok()
        };
        Ok(Curve {
            fit_mean: fit(|s| s.mean),
            fit_quantile: fit(|s| s.quantile),
            fit_worst: fit(|s| s.worst),
            stats,
        })
    }

    /// The value of `stat` at each width.
    pub fn values(&self, stat: Statistic) -> Vec<f64> {
        self.stats
            .iter()
            .map(|s| match stat {
                Statistic::Mean => s.mean,
                Statistic::Quantile => s.quantile,
                Statistic::Worst => s.worst,
                Statistic::Tail => s.tail,
            })
            .collect()
    }

    /// The fit of `stat` (the tail is a probability: not fitted).
    pub fn fit(&self, stat: Statistic) -> Option<LogLogFit> {
        match stat {
            Statistic::Mean => self.fit_mean,
            Statistic::Quantile => self.fit_quantile,
            Statistic::Worst => self.fit_worst,
            Statistic::Tail => None,
        }
    }
}

impl Convergence {
    /// The theory's rate drawn as a reference: m^(−1/2) through the first line's
    /// narrowest width (of the relative Frobenius distance, or of the largest entry),
    /// of statistic `stat`, as (width, distance) pairs.
    pub fn reference_of(&self, max_entry: bool, stat: Statistic) -> Vec<(f64, f64)> {
        let Some(first) = self.lines.first() else {
            return Vec::new();
        };
        let curve = if max_entry {
            &first.max_entry
        } else {
            &first.frobenius
        };
        let ys = curve.values(stat);
        let (Some(p0), Some(&y0)) = (first.points.first(), ys.first()) else {
            return Vec::new();
        };
        let m0 = p0.width as f64;
        first
            .points
            .iter()
            .map(|p| (p.width as f64, y0 * (m0 / p.width as f64).sqrt()))
            .collect()
    }

    /// [`Convergence::reference_of`] the mean.
    pub fn reference(&self, max_entry: bool) -> Vec<(f64, f64)> {
        self.reference_of(max_entry, Statistic::Mean)
    }

    /// Whether the quantile is more than the worst seed.
    pub fn quantile_meaningful(&self) -> bool {
        self.seeds >= self.quantile_seeds
    }
}

fn line(
    distribution: Option<Distribution>,
    file: Option<(String, usize, usize)>,
    grid: Option<Grid>,
    x: &Matrix,
    seeds: Vec<SeedDistances>,
    p: &Params,
) -> Result<Line> {
    let d = x.cols();
    let orlicz = if grid.is_none() {
        Some(crate::data::orlicz_norms(x.as_slice())?)
    } else {
        None
    };
    let widths: Vec<usize> = seeds.iter().map(|s| s.width).collect();
    let curve = |f: &dyn Fn(&SeedDistances) -> &[f64]| {
        let v: Vec<&[f64]> = seeds.iter().map(f).collect();
        Curve::new(&v, &widths, p.delta, p.epsilon)
    };
    let frobenius = curve(&|s| &s.rel_frobenius)?;
    let max_entry = curve(&|s| &s.max_entry)?;
    let depth = seeds.first().map_or(0, |s| s.layers.len());
    let layers = (0..depth)
        .map(|l| {
            Ok(LayerCurves {
                layer: l + 1,
                frobenius: curve(&|s| &s.layers[l].rel_frobenius)?,
                max_entry: curve(&|s| &s.layers[l].max_entry)?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Line {
        distribution,
        file,
        grid,
        d,
        orlicz,
        points: seeds.iter().map(SeedDistances::point).collect(),
        seeds,
        frobenius,
        max_entry,
        layers,
    })
}

/// `points` points of the sphere of radius `radius` in d = 2 (evenly spaced angles)
/// or d = 3 (the Fibonacci lattice: heights z_j = 1 − (2j + 1)/N, longitudes
/// j·π(3 − √5)), with the grid's resolution.
pub fn sphere_grid(points: usize, d: usize, radius: f64) -> Result<(Matrix, Grid)> {
    let mut v = Vec::with_capacity(points * d);
    let resolution_degrees = if d == 2 {
        for j in 0..points {
            let t = 2.0 * std::f64::consts::PI * j as f64 / points as f64;
            v.extend([radius * t.cos(), radius * t.sin()]);
        }
        180.0 / points as f64
    } else if d == 3 {
        let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
        for j in 0..points {
            let z = 1.0 - (2 * j + 1) as f64 / points as f64;
            let r = (1.0 - z * z).max(0.0).sqrt();
            let phi = golden * j as f64;
            v.extend([radius * r * phi.cos(), radius * r * phi.sin(), radius * z]);
        }
        let unit: Vec<[f64; 3]> = v
            .chunks(3)
            .map(|c| [c[0] / radius, c[1] / radius, c[2] / radius])
            .collect();
        let probes = crate::data::unit_sphere(20_000, 3, 7)?;
        let mut worst = 0.0f64;
        for i in 0..probes.rows() {
            let q = probes.row(i);
            let best = unit
                .iter()
                .map(|u| u[0] * q[0] + u[1] * q[1] + u[2] * q[2])
                .fold(-1.0f64, f64::max);
            worst = worst.max(best.clamp(-1.0, 1.0).acos());
        }
        worst.to_degrees()
    } else {
        return Err(NtkError::OutOfRange {
            field: "d",
            expected: "2 or 3 for a sphere grid",
            value: d as f64,
        });
    };
    Ok((
        Matrix::from_row_major(points, d, v)?,
        Grid {
            points,
            resolution_degrees,
            radius,
        },
    ))
}

fn depth_law(net: &FcNetwork) -> std::result::Result<(), NoDepthLaw> {
    if net.activation != Activation::Relu {
        Err(NoDepthLaw::NotRelu)
    } else if net.b_std.is_some_and(|b| b != 0.0) {
        Err(NoDepthLaw::HasBias)
    } else if net.parameterization != Parameterization::Ntk {
        Err(NoDepthLaw::Standard)
    } else {
        Ok(())
    }
}

/// Run the convergence experiment: one line per distribution, the user's file, the
/// sup grid, each extra dimension, then the depth sweep.
/// One unit of the convergence experiment: one line's width sweep (every width and
/// seed, [`distance_sweep`]), or the depth sweep. Units are numbered as the lines are
/// drawn (distributions, the file, the sphere grid, the dimensions), the depth sweep
/// last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "sweep", rename_all = "snake_case")]
pub enum Unit {
    Widths {
        seeds: Vec<SeedDistances>,
    },
    Depths {
        points: Vec<crate::empirical::DepthPoint>,
    },
}

/// Where a line's inputs come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Sampled(Distribution),
    File,
    Grid(usize),
    Dimension(usize),
}

fn sources(p: &Params) -> Vec<Source> {
    let mut v: Vec<Source> = p
        .distributions
        .iter()
        .map(|d| Source::Sampled(*d))
        .collect();
    if p.user.is_some() {
        v.push(Source::File);
    }
    if let Some(g) = p.sup_grid {
        v.push(Source::Grid(g));
    }
    v.extend(p.dims.iter().map(|&d| Source::Dimension(d)));
    v
}

/// A line's inputs, its label in progress messages, and its grid (for the sup).
fn source_inputs(p: &Params, s: Source) -> Result<(Matrix, String, Option<Grid>)> {
    Ok(match s {
        Source::Sampled(dist) => (
            sample(dist, p.n, p.d, p.seed, false)?,
            dist.name().to_string(),
            None,
        ),
        Source::File => {
            let u = p.user.as_ref().ok_or(NtkError::Invalid {
                field: "user",
                reason: "no file".into(),
            })?;
            (
                Matrix::from_row_major(u.rows, u.cols, u.x.clone())?,
                u.name.clone(),
                None,
            )
        }
        Source::Grid(g) => {
            let (x, grid) = sphere_grid(g, p.d, (p.d as f64).sqrt())?;
            (x, "sphere grid".into(), Some(grid))
        }
        Source::Dimension(d) => (
            sample(Distribution::Gaussian, p.n, d, p.seed, false)?,
            format!("Gaussian, d = {d}"),
            None,
        ),
    })
}

/// How many units the experiment splits into: one per line, and the depth sweep.
pub fn unit_count(p: &Params) -> usize {
    sources(p).len() + usize::from(!p.depths.is_empty())
}

/// What unit `index` is, for a status line.
pub fn unit_label(p: &Params, index: usize) -> String {
    match sources(p).get(index) {
        Some(Source::Sampled(d)) => format!("{}: every width and seed", d.name()),
        Some(Source::File) => "your file: every width and seed".into(),
        Some(Source::Grid(_)) => "sphere grid: every width and seed".into(),
        Some(Source::Dimension(d)) => format!("Gaussian, d = {d}: every width and seed"),
        None => "depth sweep".into(),
    }
}

/// Compute unit `index` (see [`Unit`]), reporting its progress to `observer`.
pub fn unit(p: &Params, index: usize, observer: &mut dyn Observer) -> Result<Unit> {
    p.validate()?;
    super::check_unit(index, unit_count(p))?;
    let sources = sources(p);
    let model = Model {
        net: &p.network,
        arch: &p.architecture,
    };
    let widths = super::distinct(&p.widths);
    let mut r = Reporter::new(observer, widths.len() * p.seeds);
    if let Some(&s) = sources.get(index) {
        let (x, what, _) = source_inputs(p, s)?;
        let mut stop = false;
        let seeds = distance_sweep(model, &x, &widths, p.seeds, p.layers, |q| {
            stop = r.step(q.done, format!("{what}: {}", q.stage)).is_err();
            !stop
        })?;
        return Ok(Unit::Widths { seeds });
    }
    // The last unit: the depth sweep (`check_unit` above leaves no other index).
    let Some(&first) = sources.first() else {
        return Ok(Unit::Depths { points: Vec::new() });
    };
    let x = depth_inputs(p, source_inputs(p, first)?.0)?;
    r.total = p.depth_seeds;
    let mut stop = false;
    let points = depth_sweep(
        &p.network,
        &x,
        p.depth_width,
        &p.depths,
        p.depth_seeds,
        |q| {
            stop = r.step(q.done, q.stage.clone()).is_err();
            !stop
        },
    )?;
    Ok(Unit::Depths { points })
}

/// The depth sweep's inputs: the first line's, its first `depth_inputs` rows.
fn depth_inputs(p: &Params, x: Matrix) -> Result<Matrix> {
    let rows = p.depth_inputs.min(x.rows());
    Matrix::from_row_major(rows, x.cols(), x.as_slice()[..rows * x.cols()].to_vec())
}

/// Run the convergence experiment: each line as its sweep finishes, then the depth
/// sweep.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Convergence> {
    run_from(p, None, observer)
}

/// Run it with its units already computed (by [`unit`], anywhere, in any order): the
/// same parts and output as [`run`], bit for bit.
pub fn run_with_units(
    p: &Params,
    units: &[Unit],
    observer: &mut dyn Observer,
) -> Result<Convergence> {
    super::check_units(units.len(), unit_count(p))?;
    run_from(p, Some(units), observer)
}

fn run_from(
    p: &Params,
    given: Option<&[Unit]>,
    observer: &mut dyn Observer,
) -> Result<Convergence> {
    p.validate()?;
    let widths = super::distinct(&p.widths);
    let per = widths.len() * p.seeds;
    let sources = sources(p);
    let lines_total = sources.len();
    let depth_units = if p.depths.is_empty() {
        0
    } else {
        p.depth_seeds
    };
    let total = if given.is_some() {
        lines_total + 1
    } else {
        per * lines_total + depth_units
    };
    let mut r = Reporter::new(observer, total);
    let model = Model {
        net: &p.network,
        arch: &p.architecture,
    };
    let mut out = Convergence {
        lines: Vec::new(),
        seeds: p.seeds,
        n: p.n,
        d: p.d,
        delta: p.delta,
        epsilon: p.epsilon,
        quantile_seeds: seeds_for_quantile(p.delta),
        depth: None,
    };
    let mut first_x: Option<Matrix> = None;
    let wrong = || NtkError::Invalid {
        field: "units",
        reason: "a depth sweep given for a line, or a line for the depth sweep".into(),
    };
    for (k, &source) in sources.iter().enumerate() {
        let (x, what, grid) = source_inputs(p, source)?;
        let seeds = match given {
            Some(units) => match &units[k] {
                Unit::Widths { seeds } => {
                    r.step(k + 1, what.clone())?;
                    seeds.clone()
                }
                Unit::Depths { .. } => return Err(wrong()),
            },
            None => {
                let mut stop = false;
                distance_sweep(model, &x, &widths, p.seeds, p.layers, |q| {
                    stop = r
                        .step(k * per + q.done, format!("{what}: {}", q.stage))
                        .is_err();
                    !stop
                })?
            }
        };
        let (dist, file) = match source {
            Source::Sampled(d) => (Some(d), None),
            Source::Dimension(_) => (Some(Distribution::Gaussian), None),
            Source::File => (
                None,
                p.user.as_ref().map(|u| (u.name.clone(), u.rows, u.cols)),
            ),
            Source::Grid(_) => (None, None),
        };
        out.lines.push(line(dist, file, grid, &x, seeds, p)?);
        first_x.get_or_insert(x);
        r.part(Part::Convergence(out.clone()));
    }
    if let (false, Some(x)) = (p.depths.is_empty(), first_x) {
        let x = depth_inputs(p, x)?;
        let rows = x.rows();
        let points = match given {
            Some(units) => match &units[lines_total] {
                Unit::Depths { points } => points.clone(),
                Unit::Widths { .. } => return Err(wrong()),
            },
            None => {
                let done = per * lines_total;
                let mut stop = false;
                depth_sweep(
                    &p.network,
                    &x,
                    p.depth_width,
                    &p.depths,
                    p.depth_seeds,
                    |q| {
                        stop = r.step(done + q.done, q.stage.clone()).is_err();
                        !stop
                    },
                )?
            }
        };
        let m = p.depth_width as f64;
        let u: Vec<f64> = points.iter().map(|q| q.depth as f64 / m).collect();
        let measured: Vec<f64> = points.iter().map(|q| q.rel_var.ln_1p()).collect();
        // The error of log(1 + v) is σ_v/(1 + v); the law is fitted with the same
        // weights, so that the two c's are comparable.
        let sigma: Vec<f64> = points
            .iter()
            .map(|q| q.rel_var_se / (1.0 + q.rel_var))
            .collect();
        let law = depth_law(&p.network).map(|()| {
            points
                .iter()
                .map(|q| relu_ntk_relative_variance(q.depth, p.depth_width))
                .collect::<Vec<f64>>()
        });
        let law_c = law.as_ref().ok().and_then(|l| {
            let y: Vec<f64> = l.iter().map(|v| v.ln_1p()).collect();
            fit_through_origin(&u, &y, &sigma).map(|f| f.0)
        });
        out.depth = Some(DepthSweep {
            width: p.depth_width,
            seeds: p.depth_seeds,
            inputs: rows,
            fit_c: fit_through_origin(&u, &measured, &sigma),
            law_c,
            law,
            points,
        });
        r.part(Part::Convergence(out.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn each_line_streams_in_with_its_fit() {
        #[derive(Default)]
        struct Count(usize, usize);
        impl Observer for Count {
            fn progress(&mut self, p: &crate::empirical::Progress) -> bool {
                assert!(p.done > self.0 && p.done <= p.total, "{p:?}");
                self.0 = p.done;
                true
            }
            fn part(&mut self, _: &Part) {
                self.1 += 1;
            }
        }
        let p = Params {
            network: FcNetwork::relu(2, 2f64.sqrt(), Some(0.1)),
            widths: vec![32, 128, 512],
            distributions: vec![Distribution::Gaussian, Distribution::Laplace],
            n: 8,
            d: 4,
            ..Params::default()
        };
        let mut count = Count::default();
        let c = run(&p, &mut count).unwrap();
        assert_eq!((count.0, count.1), (2 * 3 * 3, 2));
        // The reference falls like m^(−1/2): a quarter of the distance at 16× width.
        let y0 = c.lines[0].points[0].rel_frobenius_mean;
        assert_eq!(
            c.reference(false),
            vec![(32.0, y0), (128.0, y0 / 2.0), (512.0, y0 / 4.0)]
        );
        for l in &c.lines {
            // The fit is ordinary least squares of the logs, recomputed here by hand.
            let u: Vec<f64> = l.points.iter().map(|q| (q.width as f64).ln()).collect();
            let v: Vec<f64> = l.points.iter().map(|q| q.rel_frobenius_mean.ln()).collect();
            let (mu, mv) = (u.iter().sum::<f64>() / 3.0, v.iter().sum::<f64>() / 3.0);
            let b = u
                .iter()
                .zip(&v)
                .map(|(a, c)| (a - mu) * (c - mv))
                .sum::<f64>()
                / u.iter().map(|a| (a - mu).powi(2)).sum::<f64>();
            let fit = l.frobenius.fit_mean.unwrap();
            assert!((fit.slope - b).abs() < 1e-12);
            assert!(fit.slope_std_error > 0.0);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn fewer_than_three_widths_cannot_be_fitted() {
        let p = Params {
            widths: vec![64, 64, 256],
            ..Params::default()
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::OutOfRange {
                field: "widths",
                ..
            })
        ));
    }
}
