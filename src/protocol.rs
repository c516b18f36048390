//! The typed messages between the page and the Web Worker, sent as JSON strings.
//!
//! The page sends a [`Request`] (a generation number and a [`Job`]); the worker first
//! posts [`Response::Ready`] once its wasm has loaded, then, per request, any number of
//! [`Response::Progress`] and [`Response::Partial`] messages (results stream in as
//! they are computed, e.g. each width as it finishes) and finally one
//! [`Response::Done`] or [`Response::Failed`], all carrying the request's generation.

use ntk_core::data::Distribution;
use ntk_core::dynamics::KernelKind;
use ntk_core::empirical::WidthPoint;
use ntk_core::generalization::BoundPoint;
use ntk_core::kernel::FcNetwork;
use ntk_core::targets::Target;
use serde::{Deserialize, Serialize};

/// A job for the worker, tagged with the page's generation counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Increases by one with every job the page sends.
    pub generation: u64,
    /// What to compute.
    pub job: Job,
}

/// What the worker can compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Everything the kernel and spectrum panels show for one config.
    Lab(LabJob),
    /// The convergence panel: width sweeps on several input distributions.
    Convergence(ConvergenceJob),
    /// The training and spectral-bias panels: finite nets trained by gradient descent
    /// beside the kernel dynamics.
    Training(TrainingJob),
    /// The generalization panel: the Arora et al. bound, learning curve, sensitivity.
    Generalization(GeneralizationJob),
}

/// Width sweeps of ‖Θ̂ − Θ‖ on each distribution (n inputs in ℝᵈ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceJob {
    pub network: FcNetwork,
    /// At least 3 widths, for the fit.
    pub widths: Vec<usize>,
    pub seeds: usize,
    pub distributions: Vec<Distribution>,
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    /// The user's data, as one more line.
    #[serde(default)]
    pub user: Option<UserPoints>,
}

/// Gradient descent on finite nets of each width and on the infinite-width kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingJob {
    pub network: FcNetwork,
    pub widths: Vec<usize>,
    /// The training inputs.
    pub data: DataSpec,
    pub target: Target,
    /// Label noise σ on the training targets.
    pub noise: f64,
    pub n_test: usize,
    pub learning_rate: f64,
    pub steps: usize,
    /// Steps at which the learned function is shown.
    pub snapshots: Vec<usize>,
}

/// The generalization experiments on the data's distribution with the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneralizationJob {
    pub network: FcNetwork,
    /// The largest n of the curves is `data.n`.
    pub data: DataSpec,
    pub target: Target,
    pub n_test: usize,
}

/// The inputs of the heatmaps and the spectrum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    pub distribution: Distribution,
    pub n: usize,
    pub d: usize,
    /// Project each sample onto the unit sphere.
    pub project: bool,
    pub seed: u64,
    /// The user's own points instead of samples (then `n` and `d` are theirs).
    #[serde(default)]
    pub points: Option<UserPoints>,
}

/// Inputs, and optionally targets, from the user's CSV file (row-major).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPoints {
    /// The file's name, for labels.
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub x: Vec<f64>,
    pub y: Option<Vec<f64>>,
}

/// The lab's job: the analytic network, the finite widths and seeds, which kernel,
/// the circle's resolution and the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabJob {
    /// The infinite-width network (for the standard parameterization its width is the
    /// widest finite width).
    pub network: FcNetwork,
    /// Finite widths, narrow first.
    pub widths: Vec<usize>,
    /// Random networks per width.
    pub seeds: usize,
    /// NTK or NNGP.
    pub kernel: KernelKind,
    /// Angles on the circle.
    pub points: usize,
    pub data: DataSpec,
    /// Also train every net on the data and show its kernel afterwards.
    pub train: Option<LabTraining>,
}

/// Gradient descent on the data before the kernel is measured again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabTraining {
    pub target: Target,
    pub learning_rate: f64,
    pub steps: usize,
}

/// One finite width's empirical circle profile over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidthProfile {
    pub width: usize,
    pub mean: Vec<f64>,
    /// The standard error of the mean over seeds (std/√seeds).
    pub sem: Vec<f64>,
    /// Each seed's curve, when there are few enough to draw ([`SEED_CURVES`]).
    pub seeds: Vec<Vec<f64>>,
    /// The analytic kernel of this width (standard parameterization, where the
    /// kernel depends on the width); `None` when one infinite-width limit exists.
    pub analytic: Option<Vec<f64>>,
}

/// Up to this many seeds, each seed's curve is drawn.
pub const SEED_CURVES: usize = 12;

/// A piece of a job's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum Part {
    /// K or Θ(x₀, x(γ)): analytic, and the finite widths finished so far.
    Circle {
        gamma: Vec<f64>,
        /// The infinite-width kernel; `None` in the standard parameterization (each
        /// width then carries its own).
        analytic: Option<Vec<f64>>,
        widths: Vec<WidthProfile>,
        /// The same nets after `trained_steps` steps of gradient descent on the data.
        trained: Vec<WidthProfile>,
        trained_steps: usize,
        seeds: usize,
    },
    /// Gram matrices on the data: analytic, one random finite network, n × n row-major.
    Heatmaps {
        n: usize,
        analytic: Vec<f64>,
        empirical: Vec<f64>,
        width: usize,
        seed: u64,
    },
    /// Eigenvalues (λ_k/n, largest first) of the analytic Gram, the analytic μ_k by
    /// degree × multiplicity when the data lie on a sphere, the top eigenvectors.
    Spectrum {
        eigenvalues: Vec<f64>,
        analytic: Option<Vec<f64>>,
        /// Why there is no analytic overlay, when there is none.
        #[serde(default)]
        analytic_note: Option<String>,
        x: Vec<f64>,
        angle: bool,
        vectors: Vec<Vec<f64>>,
        labels: Vec<String>,
    },
    /// Width sweeps, one line per distribution (streamed as each finishes).
    Convergence {
        lines: Vec<ConvergenceLine>,
        seeds: usize,
        n: usize,
        d: usize,
    },
    /// Losses and drift against t = η·steps, for each width and the kernel dynamics;
    /// the learned function at the snapshot steps.
    Training {
        /// The recorded steps and t = η·steps.
        steps: Vec<usize>,
        times: Vec<f64>,
        learning_rate: f64,
        /// The expected train and test losses of the infinite-width ensemble (mean and
        /// variance over initialisations, f₀ ~ GP(0, K)), empty above the critical rate.
        kernel_train: Vec<f64>,
        kernel_test: Vec<f64>,
        /// 2N/λ_max of the analytic Gram matrix; `None` when the kernel is zero (no
        /// learning rate diverges).
        critical: Option<f64>,
        runs: Vec<TrainRun>,
        /// The abscissa of the function plot and its name.
        x: Vec<f64>,
        x_label: String,
        target: Vec<f64>,
        snapshots: Vec<Snapshot>,
        /// The width the snapshots show.
        snapshot_width: Option<usize>,
    },
    /// Per-mode residuals of the widest net against the theory.
    Modes {
        times: Vec<f64>,
        modes: Vec<ModeLine>,
        width: usize,
        circle: bool,
    },
    /// The Arora et al. bound against n for the target and for random labels.
    Bound { points: Vec<BoundPoint> },
    /// Test error of kernel regression against n.
    LearningCurve { n: Vec<usize>, mse: Vec<f64> },
    /// Sensitivity of the kernel regressor against n (at d) and against d (at n).
    Sensitivity {
        n: Vec<usize>,
        by_n: Vec<f64>,
        at_d: usize,
        d: Vec<usize>,
        by_d: Vec<f64>,
        at_n: usize,
    },
}

/// One distribution's width sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceLine {
    /// e.g. "laplace (sub-exponential)".
    pub label: String,
    pub points: Vec<WidthPoint>,
}

/// One width's training run: losses and NTK drift at the recorded times, or why it
/// did not run (e.g. a learning rate above the critical one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainRun {
    pub width: usize,
    pub train_loss: Vec<f64>,
    pub test_loss: Vec<f64>,
    /// ‖Θ̂_t − Θ̂₀‖_F/‖Θ̂₀‖_F.
    pub drift: Vec<f64>,
    /// 2N/λ_max(Θ̂₀) of this net; `None` when its NTK is zero.
    pub critical: Option<f64>,
    pub warning: Option<String>,
    /// The losses of this net's own linearisation (same f₀ and Θ̂₀; Lee et al. 2019).
    #[serde(default)]
    pub linear_train_loss: Vec<f64>,
    #[serde(default)]
    pub linear_test_loss: Vec<f64>,
    /// RMS(f_net − f_lin) on the test inputs over RMS(y_test), per recorded step.
    #[serde(default)]
    pub linear_gap: Vec<f64>,
}

/// The learned function at one recorded step: the widest net, its linearisation and
/// the infinite-width ensemble's mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub step: usize,
    pub net: Vec<f64>,
    #[serde(default)]
    pub linear: Vec<f64>,
    pub kernel: Vec<f64>,
}

/// One eigenmode (or frequency, on the circle) of the training residual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeLine {
    pub label: String,
    /// λ/N of the analytic Gram matrix.
    pub lambda: f64,
    /// |residual component| / its value at t = 0: theory (the same net's
    /// linearisation, from its own f₀ and Θ̂₀) and measured.
    pub theory: Vec<f64>,
    pub measured: Vec<f64>,
}

impl Part {
    /// Which slot of the page's results this part fills.
    pub fn key(&self) -> &'static str {
        match self {
            Part::Circle { .. } => "circle",
            Part::Heatmaps { .. } => "heatmaps",
            Part::Spectrum { .. } => "spectrum",
            Part::Convergence { .. } => "convergence",
            Part::Training { .. } => "training",
            Part::Modes { .. } => "modes",
            Part::Bound { .. } => "bound",
            Part::LearningCurve { .. } => "learning",
            Part::Sensitivity { .. } => "sensitivity",
        }
    }
}

/// A message from the worker. Each lives only from its computation to its JSON
/// encoding (or, inline, to its delivery), so the size of the `Partial` variant
/// costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The worker's wasm is loaded; jobs posted from now on are received.
    Ready,
    /// `done` of `total` units of the job of `generation` are finished.
    Progress {
        generation: u64,
        done: usize,
        total: usize,
        stage: String,
    },
    /// A result piece of the job of `generation`.
    Partial { generation: u64, part: Part },
    /// The job of `generation` finished.
    Done { generation: u64 },
    /// The job of `generation` failed with a readable message.
    Failed { generation: u64, message: String },
}

impl Response {
    /// The generation a job message belongs to (`None` for `Ready`).
    pub fn generation(&self) -> Option<u64> {
        match self {
            Response::Ready => None,
            Response::Progress { generation, .. }
            | Response::Partial { generation, .. }
            | Response::Done { generation }
            | Response::Failed { generation, .. } => Some(*generation),
        }
    }
}

/// Tracks the newest job sent, so that messages of superseded jobs are dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JobTracker {
    latest: u64,
    dropped: u64,
}

impl JobTracker {
    /// The generation for a new job; it supersedes every earlier one.
    pub fn start_job(&mut self) -> u64 {
        self.latest += 1;
        self.latest
    }

    /// The newest generation handed out (0 before the first job).
    pub fn latest(&self) -> u64 {
        self.latest
    }

    /// Whether a message of `generation` is current; stale ones are counted.
    pub fn accept(&mut self, generation: u64) -> bool {
        let current = generation == self.latest;
        if !current {
            self.dropped += 1;
        }
        current
    }

    /// How many stale messages were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_generations_are_dropped() {
        let mut t = JobTracker::default();
        let first = t.start_job();
        let second = t.start_job();
        assert!(!t.accept(first));
        assert!(t.accept(second));
        assert_eq!(t.dropped(), 1);
        let third = t.start_job();
        assert!(!t.accept(second));
        assert!(t.accept(third));
        assert_eq!(t.dropped(), 2);
    }

    #[test]
    fn messages_round_trip_through_json() {
        let req = Request {
            generation: 7,
            job: Job::Lab(LabJob {
                network: FcNetwork::relu(3, 1.5, None),
                widths: vec![64, 256],
                seeds: 2,
                kernel: KernelKind::Ntk,
                points: 11,
                data: DataSpec {
                    distribution: Distribution::StudentT { nu: 3.0 },
                    n: 20,
                    d: 3,
                    project: false,
                    seed: 1,
                    points: None,
                },
                train: None,
            }),
        };
        let text = serde_json::to_string(&req).unwrap();
        assert!(text.contains("\"kind\":\"lab\""), "{text}");
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);
        let ready = serde_json::to_string(&Response::Ready).unwrap();
        assert_eq!(ready, r#"{"kind":"ready"}"#);
        let p = Response::Progress {
            generation: 3,
            done: 1,
            total: 4,
            stage: "x".into(),
        };
        assert_eq!(p.generation(), Some(3));
    }
}
