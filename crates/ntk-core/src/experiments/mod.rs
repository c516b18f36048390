//! The experiments behind the page's panels, the `ntk experiment` command and, next,
//! the Python package: one module per experiment, one shape for all of them.
//!
//! Each experiment module has
//! - `Params`: serde, `Default` (the page's defaults), every field optional in JSON,
//!   `validate()` with typed errors;
//! - typed results (numbers, fits, theory lines, mode groupings; never sentences),
//!   each a [`Part`] of what a panel draws;
//! - `run(&params, &mut dyn Observer) -> Result<Output>`: the observer receives progress
//!   (and may cancel, which ends the run with [`NtkError::Cancelled`]) and every part
//!   as soon as it is computed (each width, each distribution), so a page can draw
//!   while the rest is computed.
//!
//! [`Experiment`] names them all (`{"experiment": "convergence", …params}`) and runs
//! any of them; [`EXPERIMENTS`] lists them.
//!
//! # How to add an experiment
//! 1. `experiments/<name>.rs`: `Params` (+ `Default`, `validate`), its result types,
//!    `run`; tests against an independent source (closed form, reference data, Monte
//!    Carlo with its error bar).
//! 2. Here: the module, a variant of [`Experiment`] (with its arm in each method,
//!    `parse` included) and of [`Output`], an entry of [`EXPERIMENTS`] and, for each
//!    new result type, a variant of [`Part`] and [`Slot`].
//! 3. The page: the view that runs it in `src/config.rs` (`Settings::config`), an
//!    accessor in `src/ui/results.rs`, and its plot in a panel of `src/ui/panels/`
//!    (a new setting: one row in `src/fields.rs` and one field of `Settings`).
//!
//! `ntk experiment <name>` and `ntk experiment --list` need nothing more.

use serde::{Deserialize, Serialize};

use crate::empirical::Progress;
use crate::error::{NtkError, Result};

pub mod architectures;
pub mod capacity;
pub mod convergence;
pub mod data;
pub mod features;
pub mod generalization;
pub mod inputs;
pub mod kan_vs_mlp;
pub mod kernel;
pub mod measures;
pub mod plane;
pub mod robustness;
pub mod sgd;
pub mod spectral_bias;
pub mod spectrum;
pub mod spurious;
pub mod training;

pub use inputs::{preview, DataPreview, DataSpec, UserPoints};
pub use measures::{
    circle_profile, kernel_regression_mse_on, sensitivity_on, shuffled_rows, CircleProfile,
    Sampled, MAX_CIRCLE_POINTS,
};

/// What an experiment reports while it runs.
pub trait Observer {
    /// `progress.done` of `progress.total` units are finished; return `false` to
    /// cancel the run.
    fn progress(&mut self, progress: &Progress) -> bool {
        let _ = progress;
        true
    }

    /// A result part, as soon as it is computed (a later part of the same slot
    /// supersedes it).
    fn part(&mut self, part: &Part) {
        let _ = part;
    }
}

/// The silent observer.
impl Observer for () {}

/// Counts an experiment's units of work and forwards progress and parts.
pub(crate) struct Reporter<'a> {
    observer: &'a mut dyn Observer,
    pub(crate) total: usize,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(observer: &'a mut dyn Observer, total: usize) -> Self {
        Reporter { observer, total }
    }

    /// `done` units are finished; a cancel becomes [`NtkError::Cancelled`].
    pub(crate) fn step(&mut self, done: usize, stage: impl Into<String>) -> Result<()> {
        let p = Progress {
            done: done.min(self.total),
            total: self.total,
            stage: stage.into(),
        };
        if self.observer.progress(&p) {
            Ok(())
        } else {
            Err(NtkError::Cancelled)
        }
    }

    pub(crate) fn part(&mut self, part: Part) {
        self.observer.part(&part);
    }
}

/// A piece of an experiment's result: what one plot (or one group of plots) draws.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum Part {
    Circle(kernel::Circle),
    Heatmaps(kernel::Heatmaps),
    Spectrum(spectrum::Spectrum),
    Convergence(convergence::Convergence),
    Training(training::Training),
    Modes(spectral_bias::Modes),
    Bound(generalization::Bound),
    LearningCurve(generalization::LearningCurve),
    Sensitivity(generalization::Sensitivity),
    Capacity(capacity::Capacity),
    Data(inputs::DataPreview),
    Architectures(architectures::Architectures),
    KanVsMlp(kan_vs_mlp::KanVsMlp),
    Spurious(spurious::Spurious),
    Robustness(robustness::Robustness),
    Sgd(sgd::Sgd),
    ByDistribution(generalization::ByDistribution),
    /// The plane's run is streamed as its header ([`plane::Plane`] without frames and
    /// runs), then each frame and each α's summary as they are computed: a page
    /// appends them with [`Part::absorb`] instead of receiving every frame again.
    Plane(plane::Plane),
    PlaneFrame(plane::Frame),
    PlaneRun(plane::AlphaRun),
}

/// Which result slot a part fills (a page keeps the newest part of each slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Circle,
    Heatmaps,
    Spectrum,
    Convergence,
    Training,
    Modes,
    Bound,
    LearningCurve,
    Sensitivity,
    Capacity,
    Data,
    Architectures,
    KanVsMlp,
    Spurious,
    Robustness,
    Sgd,
    ByDistribution,
    Plane,
}

impl Part {
    /// The slot this part fills.
    pub fn slot(&self) -> Slot {
        match self {
            Part::Circle(_) => Slot::Circle,
            Part::Heatmaps(_) => Slot::Heatmaps,
            Part::Spectrum(_) => Slot::Spectrum,
            Part::Convergence(_) => Slot::Convergence,
            Part::Training(_) => Slot::Training,
            Part::Modes(_) => Slot::Modes,
            Part::Bound(_) => Slot::Bound,
            Part::LearningCurve(_) => Slot::LearningCurve,
            Part::Sensitivity(_) => Slot::Sensitivity,
            Part::Capacity(_) => Slot::Capacity,
            Part::Data(_) => Slot::Data,
            Part::Architectures(_) => Slot::Architectures,
            Part::KanVsMlp(_) => Slot::KanVsMlp,
            Part::Spurious(_) => Slot::Spurious,
            Part::Robustness(_) => Slot::Robustness,
            Part::Sgd(_) => Slot::Sgd,
            Part::ByDistribution(_) => Slot::ByDistribution,
            Part::Plane(_) | Part::PlaneFrame(_) | Part::PlaneRun(_) => Slot::Plane,
        }
    }

    /// Take in `newer`, a later part of the same slot: a plane frame or α summary is
    /// appended to the plane it belongs to; any other part supersedes this one.
    pub fn absorb(&mut self, newer: Part) {
        match (self, newer) {
            (Part::Plane(p), Part::PlaneFrame(f)) => p.frames.push(f),
            (Part::Plane(p), Part::PlaneRun(r)) => p.runs.push(r),
            (me, newer) => *me = newer,
        }
    }
}

/// Any experiment with its parameters: JSON `{"experiment": "<name>", …params}`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "snake_case")]
pub enum Experiment {
    Kernel(kernel::Params),
    Spectrum(spectrum::Params),
    Convergence(convergence::Params),
    Training(training::Params),
    SpectralBias(spectral_bias::Params),
    Generalization(generalization::Params),
    Capacity(capacity::Params),
    Data(data::Params),
    Architectures(architectures::Params),
    KanVsMlp(kan_vs_mlp::Params),
    Spurious(spurious::Params),
    Sensitivity(robustness::Params),
    Sgd(sgd::Params),
    Plane(plane::Params),
}

/// One independent unit of an experiment's work (a random net of one width and seed),
/// computed by [`Experiment::run_unit`] anywhere (the page's pool of workers, in any
/// order) and handed back to [`Experiment::run_with_units`], which combines them into
/// exactly the parts and output of [`Experiment::run`]. Units carry their own seeds,
/// never a worker's, so the result does not depend on how many workers computed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
pub enum Unit {
    Kernel(kernel::Unit),
    Convergence(convergence::Unit),
    Training(training::Unit),
    Sgd(sgd::Unit),
    Sensitivity(robustness::Unit),
}

/// The result of any experiment.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Output {
    Kernel(kernel::Output),
    Spectrum(spectrum::Spectrum),
    Convergence(convergence::Convergence),
    Training(training::Output),
    SpectralBias(spectral_bias::Modes),
    Generalization(generalization::Output),
    Capacity(capacity::Capacity),
    Data(inputs::DataPreview),
    Architectures(architectures::Architectures),
    KanVsMlp(kan_vs_mlp::KanVsMlp),
    Spurious(spurious::Spurious),
    Sensitivity(robustness::Robustness),
    Sgd(sgd::Sgd),
    Plane(plane::Plane),
}

/// The experiments: (name, what it computes).
pub const EXPERIMENTS: [(&str, &str); 14] = [
    ("kernel", "the NNGP kernel or NTK on the circle, K(x₀, x(γ)): analytic and random finite nets of each width (seed curves, mean ± 2 s.e.), optionally after training; Gram matrices on the data, analytic and empirical"),
    ("spectrum", "eigenvalues and top eigenvectors of the analytic Gram matrix on the data, beside the Funk–Hecke eigenvalues where the data are uniform on a sphere"),
    ("convergence", "distance of the empirical NTK to the analytic NTK against the width, per input distribution, with log-log fits (slope ± standard error)"),
    ("training", "finite nets trained by gradient descent beside their own linearisations and the infinite-width ensemble: losses, NTK drift, the learned function; and the widest net's residual per eigenmode"),
    ("spectral_bias", "the widest net's training residual per eigenmode (per frequency on the circle) against its linearisation's (I − ηΘ̂₀/N)^s r₀"),
    ("generalization", "the Arora et al. 2019 bound for the target and for random labels, the learning curve of NTK regression with its fitted rate, and the regressor's sensitivity against n and d"),
    ("data", "the inputs' first two coordinates and their targets (the file's, or the target's without noise): the picture of the data"),
    ("architectures", "MLP, residual MLP, CNN with flatten and CNN with global average pooling on 1-D signals: each analytic NTK's spectrum, its change under a circular shift, and the test error of NTK regression on a shift-invariant target against n"),
    ("kan_vs_mlp", "KAN against MLP on the circle at infinite width: the rate at which kernel gradient flow learns each frequency, for the MLP and KANs of several grids, and how much of each target frequency is left over time"),
    ("spurious", "memorization of spurious features (Bombari & Mondelli 2024): the feature alignment of RF or NTK-feature regression against N and the width, beside its limit γ; γ(α) of every activation; memorization against the test error; ridge and early stopping as remedies"),
    ("sensitivity", "robustness needs parameters (Bombari, Kiyani & Mondelli 2023): the sensitivity ‖z‖‖∇f(z)‖ of interpolating RF and NTK-feature regression against p, N and d, for even and non-even activations, beside the universal law √(Nd/p)"),
    ("sgd", "finite MLPs trained by mini-batch SGD on a pool or on streaming data (fresh samples every step), beside the same SGD in function space with the analytic NTK: test errors, the gap between each width's predictions and the kernel's (with its fitted rate), and the NTK drift"),
    ("plane", "learning on the plane: 2-D data sets (circle, XOR, two Gaussians, spirals, a surface), a finite MLP with output scale α trained by GD beside its linearisation and the infinite-width NTK ensemble's mean and standard deviation, on a grid, frame by frame; per α the gap to the linearisation, the NTK drift and the kernel–target alignment (lazy against rich)"),
    ("capacity", "against n: the smallest eigenvalue λ₀ of H^∞, and the Rademacher-complexity bound √(yᵀK⁻¹y · tr K)/n for the target and for random labels"),
];

impl Experiment {
    /// The experiment's name, as in [`EXPERIMENTS`].
    pub fn name(&self) -> &'static str {
        match self {
            Experiment::Kernel(_) => "kernel",
            Experiment::Spectrum(_) => "spectrum",
            Experiment::Convergence(_) => "convergence",
            Experiment::Training(_) => "training",
            Experiment::SpectralBias(_) => "spectral_bias",
            Experiment::Generalization(_) => "generalization",
            Experiment::Capacity(_) => "capacity",
            Experiment::Data(_) => "data",
            Experiment::Architectures(_) => "architectures",
            Experiment::KanVsMlp(_) => "kan_vs_mlp",
            Experiment::Spurious(_) => "spurious",
            Experiment::Sensitivity(_) => "sensitivity",
            Experiment::Sgd(_) => "sgd",
            Experiment::Plane(_) => "plane",
        }
    }

    /// The experiment `name` with its parameters from JSON, every field optional (the
    /// page's defaults otherwise); an error names the field ("data.n: …").
    pub fn parse(
        name: &str,
        params: serde_json::Value,
    ) -> std::result::Result<Experiment, crate::spec::SpecError> {
        use crate::spec::typed;
        Ok(match name {
            "kernel" => Experiment::Kernel(typed(params, "")?),
            "spectrum" => Experiment::Spectrum(typed(params, "")?),
            "convergence" => Experiment::Convergence(typed(params, "")?),
            "training" => Experiment::Training(typed(params, "")?),
            "spectral_bias" => Experiment::SpectralBias(typed(params, "")?),
            "generalization" => Experiment::Generalization(typed(params, "")?),
            "capacity" => Experiment::Capacity(typed(params, "")?),
            "data" => Experiment::Data(typed(params, "")?),
            "architectures" => Experiment::Architectures(typed(params, "")?),
            "kan_vs_mlp" => Experiment::KanVsMlp(typed(params, "")?),
            "spurious" => Experiment::Spurious(typed(params, "")?),
            "sensitivity" => Experiment::Sensitivity(typed(params, "")?),
            "sgd" => Experiment::Sgd(typed(params, "")?),
            "plane" => Experiment::Plane(typed(params, "")?),
            other => {
                return Err(crate::spec::SpecError {
                    field: "experiment".into(),
                    message: format!(
                        "unknown experiment '{other}' (expected one of {})",
                        EXPERIMENTS.map(|(n, _)| n).join(", ")
                    ),
                })
            }
        })
    }

    /// The experiment `name` with its default parameters.
    pub fn default_named(name: &str) -> Option<Experiment> {
        Experiment::parse(name, serde_json::json!({})).ok()
    }

    /// The network it is about (the data experiment has none).
    pub fn network(&self) -> Option<&crate::kernel::FcNetwork> {
        match self {
            Experiment::Kernel(p) => Some(&p.network),
            Experiment::Spectrum(p) => Some(&p.network),
            Experiment::Convergence(p) => Some(&p.network),
            Experiment::Training(p) | Experiment::SpectralBias(p) => Some(&p.network),
            Experiment::Generalization(p) => Some(&p.network),
            Experiment::Capacity(p) => Some(&p.network),
            Experiment::KanVsMlp(p) => Some(&p.network),
            Experiment::Sgd(p) => Some(&p.network),
            Experiment::Plane(p) => Some(&p.network),
            Experiment::Data(_)
            | Experiment::Architectures(_)
            | Experiment::Spurious(_)
            | Experiment::Sensitivity(_) => None,
        }
    }

    /// Check the parameters without running anything.
    pub fn validate(&self) -> Result<()> {
        match self {
            Experiment::Kernel(p) => p.validate(),
            Experiment::Spectrum(p) => p.validate(),
            Experiment::Convergence(p) => p.validate(),
            Experiment::Training(p) | Experiment::SpectralBias(p) => p.validate(),
            Experiment::Generalization(p) => p.validate(),
            Experiment::Capacity(p) => p.validate(),
            Experiment::Data(p) => p.validate(),
            Experiment::Architectures(p) => p.validate(),
            Experiment::KanVsMlp(p) => p.validate(),
            Experiment::Spurious(p) => p.validate(),
            Experiment::Sensitivity(p) => p.validate(),
            Experiment::Sgd(p) => p.validate(),
            Experiment::Plane(p) => p.validate(),
        }
    }

    /// Run it, reporting to `observer`.
    pub fn run(&self, observer: &mut dyn Observer) -> Result<Output> {
        Ok(match self {
            Experiment::Kernel(p) => Output::Kernel(kernel::run(p, observer)?),
            Experiment::Spectrum(p) => Output::Spectrum(spectrum::run(p, observer)?),
            Experiment::Convergence(p) => Output::Convergence(convergence::run(p, observer)?),
            Experiment::Training(p) => Output::Training(training::run(p, observer)?),
            Experiment::SpectralBias(p) => Output::SpectralBias(spectral_bias::run(p, observer)?),
            Experiment::Generalization(p) => {
                Output::Generalization(generalization::run(p, observer)?)
            }
            Experiment::Capacity(p) => Output::Capacity(capacity::run(p, observer)?),
            Experiment::Data(p) => Output::Data(data::run(p, observer)?),
            Experiment::Architectures(p) => Output::Architectures(architectures::run(p, observer)?),
            Experiment::KanVsMlp(p) => Output::KanVsMlp(kan_vs_mlp::run(p, observer)?),
            Experiment::Spurious(p) => Output::Spurious(spurious::run(p, observer)?),
            Experiment::Sensitivity(p) => Output::Sensitivity(robustness::run(p, observer)?),
            Experiment::Sgd(p) => Output::Sgd(sgd::run(p, observer)?),
            Experiment::Plane(p) => Output::Plane(plane::run(p, observer)?),
        })
    }
}

impl Experiment {
    /// How many independent units its work splits into; 0 when it runs whole (its
    /// units, if any, are not worth a message each).
    pub fn unit_count(&self) -> usize {
        match self {
            Experiment::Kernel(p) => kernel::unit_count(p),
            Experiment::Convergence(p) => convergence::unit_count(p),
            Experiment::Training(p) => training::unit_count(p),
            Experiment::Sgd(p) => sgd::unit_count(p),
            Experiment::Sensitivity(p) => robustness::unit_count(p),
            _ => 0,
        }
    }

    /// What unit `index` is, for a status line ("width 1000, seed 3").
    pub fn unit_label(&self, index: usize) -> String {
        match self {
            Experiment::Kernel(p) if index < kernel::unit_count(p) => {
                let (w, seed) = kernel::unit_of(p, index);
                format!("width {}, seed {}", distinct(&p.widths)[w], seed + 1)
            }
            Experiment::Convergence(p) => convergence::unit_label(p, index),
            Experiment::Training(p) => match training::unit_width(p, index) {
                Some(m) => format!("width {m} trained"),
                None => format!("training unit {}", index + 1),
            },
            Experiment::Sgd(p) if index < sgd::unit_count(p) => {
                let (w, seed) = sgd::unit_of(p, index);
                format!("SGD: width {}, seed {seed}", p.widths[w])
            }
            Experiment::Sensitivity(p) => robustness::unit_label(p, index),
            _ => format!("{} unit {}", self.name(), index + 1),
        }
    }

    /// Compute unit `index` of [`Experiment::unit_count`] (validated first), reporting
    /// its progress (not its parts: it has none) to `observer`.
    pub fn run_unit(&self, index: usize, observer: &mut dyn Observer) -> Result<Unit> {
        match self {
            Experiment::Kernel(p) => Ok(Unit::Kernel(kernel::unit(p, index)?)),
            Experiment::Convergence(p) => {
                Ok(Unit::Convergence(convergence::unit(p, index, observer)?))
            }
            Experiment::Training(p) => Ok(Unit::Training(training::unit(p, index, observer)?)),
            Experiment::Sgd(p) => Ok(Unit::Sgd(sgd::unit(p, index)?)),
            Experiment::Sensitivity(p) => Ok(Unit::Sensitivity(robustness::unit(p, index)?)),
            _ => Err(NtkError::Invalid {
                field: "unit",
                reason: format!("the {} experiment does not split into units", self.name()),
            }),
        }
    }

    /// Run it with every unit already computed: the parts and output of
    /// [`Experiment::run`], bit for bit. Units of another experiment, or too few or too
    /// many, are refused.
    pub fn run_with_units(&self, units: &[Unit], observer: &mut dyn Observer) -> Result<Output> {
        let wrong = || NtkError::Invalid {
            field: "units",
            reason: format!("units of another experiment given to {}", self.name()),
        };
        // This experiment's own units, or `wrong` if any is another's.
        fn own<T: Clone>(
            units: &[Unit],
            pick: impl Fn(&Unit) -> Option<&T>,
            wrong: impl Fn() -> NtkError,
        ) -> Result<Vec<T>> {
            units
                .iter()
                .map(|u| pick(u).cloned().ok_or_else(&wrong))
                .collect()
        }
        Ok(match self {
            Experiment::Kernel(p) => {
                let units = own(
                    units,
                    |u| match u {
                        Unit::Kernel(k) => Some(k),
                        _ => None,
                    },
                    wrong,
                )?;
                Output::Kernel(kernel::run_with_units(p, &units, observer)?)
            }
            Experiment::Convergence(p) => {
                let units = own(
                    units,
                    |u| match u {
                        Unit::Convergence(c) => Some(c),
                        _ => None,
                    },
                    wrong,
                )?;
                Output::Convergence(convergence::run_with_units(p, &units, observer)?)
            }
            Experiment::Training(p) => {
                let units = own(
                    units,
                    |u| match u {
                        Unit::Training(t) => Some(t),
                        _ => None,
                    },
                    wrong,
                )?;
                Output::Training(training::run_with_units(p, &units, observer)?)
            }
            Experiment::Sgd(p) => {
                let units = own(
                    units,
                    |u| match u {
                        Unit::Sgd(t) => Some(t),
                        _ => None,
                    },
                    wrong,
                )?;
                Output::Sgd(sgd::run_with_units(p, &units, observer)?)
            }
            Experiment::Sensitivity(p) => {
                let units = own(
                    units,
                    |u| match u {
                        Unit::Sensitivity(t) => Some(t),
                        _ => None,
                    },
                    wrong,
                )?;
                Output::Sensitivity(robustness::run_with_units(p, &units, observer)?)
            }
            _ if units.is_empty() => self.run(observer)?,
            _ => return Err(wrong()),
        })
    }
}

/// Unit `index` of an experiment of `count` units, or the typed error.
pub(crate) fn check_unit(index: usize, count: usize) -> Result<()> {
    if index < count {
        Ok(())
    } else {
        Err(NtkError::Invalid {
            field: "unit",
            reason: format!("unit {index} of an experiment of {count} units"),
        })
    }
}

/// `given` units for an experiment of `count`, or the typed error.
pub(crate) fn check_units(given: usize, count: usize) -> Result<()> {
    if given == count {
        Ok(())
    } else {
        Err(NtkError::Invalid {
            field: "units",
            reason: format!("{given} units given for {count} needed"),
        })
    }
}

/// A finite positive number, or `None` (e.g. a critical learning rate 2N/λ_max when
/// λ_max ≤ 0: a zero kernel, where no rate diverges).
pub(crate) fn finite(x: f64) -> Option<f64> {
    (x.is_finite() && x > 0.0).then_some(x)
}

/// A count field that must lie in `lo..=hi`.
pub(crate) fn check_count(
    field: &'static str,
    value: usize,
    lo: usize,
    hi: usize,
    expected: &'static str,
) -> Result<()> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(NtkError::OutOfRange {
            field,
            expected,
            value: value as f64,
        })
    }
}

/// The widths in increasing order, each once (the widest is the last; a repeated
/// width would only repeat a point and make a log-log fit degenerate).
pub fn distinct(widths: &[usize]) -> Vec<usize> {
    let mut w = widths.to_vec();
    w.sort_unstable();
    w.dedup();
    w
}

/// Widths: 1 to 16 of them, each between 1 and 2¹⁶.
pub(crate) fn check_widths(widths: &[usize]) -> Result<()> {
    check_count(
        "widths",
        widths.len(),
        1,
        16,
        "1 to 16 widths (a list such as [64, 256, 1024])",
    )?;
    for &w in widths {
        check_count("widths", w, 1, 1 << 16, "widths between 1 and 65536")?;
    }
    Ok(())
}

/// The default network of the page: depth 3, ReLU, σ_w = 1.4142, σ_b = 0.1, NTK
/// parameterization, width 1024 (the widest default width; used by the standard
/// parameterization only).
// The page's control holds σ_w = 1.4142 as typed, not √2: the defaults must agree.
#[allow(clippy::approx_constant)]
pub fn default_network() -> crate::kernel::FcNetwork {
    crate::kernel::FcNetwork {
        width: Some(1024),
        ..crate::kernel::FcNetwork::relu(3, 1.4142, Some(0.1))
    }
}

/// The page's default target: cos γ + cos 4γ on the circle (zonal harmonics of
/// degrees 1 and 4).
pub fn default_target() -> crate::targets::Target {
    crate::targets::Target::harmonics(&[1, 4])
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn every_listed_experiment_has_defaults_and_a_name() {
        for (name, _) in EXPERIMENTS {
            let e = Experiment::default_named(name).unwrap();
            assert_eq!(e.name(), name);
            e.validate().unwrap();
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["experiment"], name);
        }
        assert!(Experiment::default_named("nope").is_none());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn units_out_of_range_or_of_another_experiment_are_refused() {
        let mut k = kernel::Params {
            widths: vec![4, 8],
            seeds: 2,
            points: 5,
            ..kernel::Params::default()
        };
        k.data.n = 3;
        let e = Experiment::Kernel(k);
        assert_eq!(e.unit_count(), 4);
        let invalid =
            |r: Result<Output>| matches!(r, Err(NtkError::Invalid { field: "units", .. }));
        assert!(matches!(
            e.run_unit(4, &mut ()),
            Err(NtkError::Invalid { field: "unit", .. })
        ));
        let units: Vec<Unit> = (0..4).map(|i| e.run_unit(i, &mut ()).unwrap()).collect();
        assert!(e.run_with_units(&units, &mut ()).is_ok());
        assert!(invalid(e.run_with_units(&units[..3], &mut ())));
        let other = Unit::Sensitivity(robustness::Unit {
            sensitivity: 1.0,
            se: 0.0,
            directional: 1.0,
        });
        assert!(invalid(e.run_with_units(
            &[units[0].clone(), units[1].clone(), units[2].clone(), other],
            &mut ()
        )));
        // An experiment that runs whole has no units, and takes none.
        let d = Experiment::Data(data::Params {
            data: inputs::DataSpec {
                n: 3,
                ..inputs::DataSpec::default()
            },
            target: None,
        });
        assert_eq!(d.unit_count(), 0);
        assert!(matches!(
            d.run_unit(0, &mut ()),
            Err(NtkError::Invalid { field: "unit", .. })
        ));
        assert!(invalid(d.run_with_units(&units, &mut ())));
        assert!(d.run_with_units(&[], &mut ()).is_ok());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_cancel_ends_the_run() {
        struct Stop;
        impl Observer for Stop {
            fn progress(&mut self, _: &Progress) -> bool {
                false
            }
        }
        let e = Experiment::default_named("convergence").unwrap();
        assert_eq!(e.run(&mut Stop), Err(NtkError::Cancelled));
    }
}
