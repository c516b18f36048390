//! The page's state: the fields of [`crate::fields::FIELDS`], each held as the raw
//! text of its control, parsed once into typed [`Settings`] (or the problems, in words,
//! next to their controls), which [`Settings::config`] turns into a [`Config`]: the
//! view and the core experiments it needs, after the checks between fields. An invalid
//! value never becomes a job.

use std::collections::BTreeMap;

use ntk_core::activation::Activation;
use ntk_core::data::Distribution;
use ntk_core::dynamics::KernelKind;
use ntk_core::experiments::convergence::Statistic;
use ntk_core::experiments::features::Features;
use ntk_core::experiments::{
    architectures, capacity, convergence, data, generalization, kan_vs_mlp, kernel, plane,
    robustness, sgd, spectrum, spurious, training, DataSpec, Experiment, UserPoints,
};
use ntk_core::kernel::{FcNetwork, Parameterization};
use ntk_core::layers::architecture::{Architecture, KernelCost, Pooling};
use ntk_core::layers::Padding;
use ntk_core::network::MlpSpec;
use ntk_core::targets::Target;

use crate::fields::{activation_from_name, find, flag, Kind, FIELDS};

/// The memory a job of the page may use: the numeric core's WebAssembly budget
/// (1 GB; see `ntk_core::budget`). Jobs are estimated in bytes before they are sent.
pub const PAGE_BUDGET: u64 = ntk_core::budget::WASM_BUDGET;

/// A problem with a field: its key and the sentence shown next to its control.
pub type FieldError = (&'static str, String);

/// Field values by key.
pub type Values = BTreeMap<&'static str, String>;

/// The defaults.
pub fn defaults() -> Values {
    FIELDS
        .iter()
        .map(|f| (f.key, f.default.to_string()))
        .collect()
}

/// How plots name an activation: "ReLU", "leaky ReLU (α = 0.1)", …
pub fn activation_label(act: &Activation) -> String {
    match *act {
        Activation::Relu => "ReLU".into(),
        Activation::LeakyRelu { alpha } => format!("leaky ReLU (α = {alpha})"),
        Activation::AbRelu { a, b } => format!("ABReLU (a = {a}, b = {b})"),
        Activation::Abs => "|x|".into(),
        Activation::Erf => "erf".into(),
        Activation::Gelu => "GELU".into(),
        Activation::Sin => "sin".into(),
        Activation::Cos => "cos".into(),
        Activation::Identity => "linear".into(),
        Activation::Tanh => "tanh".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Softplus => "softplus".into(),
        Activation::Silu => "SiLU".into(),
        Activation::Elu { alpha } => format!("ELU (α = {alpha})"),
    }
}

fn distribution(name: &str, nu: f64) -> Option<Distribution> {
    Some(match name {
        "circle" => Distribution::Circle,
        "sphere" => Distribution::Sphere,
        "gaussian" => Distribution::Gaussian,
        "uniform" => Distribution::Uniform,
        "rademacher" => Distribution::Rademacher,
        "laplace" => Distribution::Laplace,
        "exponential" => Distribution::Exponential,
        "student_t" => Distribution::StudentT { nu },
        "bumps" => Distribution::Bumps { height: None },
        _ => return None,
    })
}

/// Which panels the page shows (and computes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Kernel,
    Convergence,
    Training,
    Plane,
    Generalization,
    Memorization,
}

impl View {
    /// Every view, in the order of the tabs.
    pub const ALL: [View; 6] = [
        View::Kernel,
        View::Convergence,
        View::Training,
        View::Plane,
        View::Generalization,
        View::Memorization,
    ];

    /// Its tab's label.
    pub fn label(self) -> &'static str {
        match self {
            View::Kernel => "Kernel & spectrum",
            View::Convergence => "Convergence with width",
            View::Training => "Training & spectral bias",
            View::Plane => "Learning on the plane",
            View::Generalization => "Generalization",
            View::Memorization => "Memorization & robustness",
        }
    }

    /// Its URL value.
    pub fn key(self) -> &'static str {
        match self {
            View::Kernel => "kernel",
            View::Convergence => "convergence",
            View::Training => "training",
            View::Plane => "plane",
            View::Generalization => "generalization",
            View::Memorization => "memorization",
        }
    }
}

impl std::str::FromStr for View {
    type Err = String;

    fn from_str(s: &str) -> Result<View, String> {
        View::ALL
            .into_iter()
            .find(|v| v.key() == s)
            .ok_or_else(|| "unknown view".to_string())
    }
}

/// The message for more inputs than a tab other than Kernel & spectrum takes.
fn too_many_inputs(n: usize) -> String {
    format!(
        "this tab takes up to {} inputs (n = {n}); up to {} on the Kernel & spectrum tab",
        crate::fields::N_OTHER_VIEWS,
        crate::fields::N.max
    )
}

/// The longest plane run the page starts (its estimate, in seconds).
pub const PLANE_MAX_SECONDS: f64 = 60.0;

/// Everything the page's results depend on, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub view: View,
    /// What the worker computes for the view: the core's experiments.
    pub job: Vec<Experiment>,
    /// Log axes where they fit.
    pub log: bool,
    /// The convergence panel's distance: the largest entry (else Frobenius); `sup`:
    /// also the sup over the sphere.
    pub max_entry: bool,
    pub sup: bool,
    /// The convergence panel's summary over seeds.
    pub stat: Statistic,
    /// The inputs and the target, for the picture of the data.
    pub data: DataSpec,
    pub target: Target,
    /// The architecture, and what its analytic kernels on the data cost (not for the
    /// MLP, nor for an architecture without analytic kernels).
    pub architecture: Architecture,
    pub cost: Option<KernelCost>,
}

/// The page's settings, typed: every field parsed once from its raw text.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub view: View,
    /// `None`: the user's file.
    pub distribution: Option<Distribution>,
    /// Student-t degrees of freedom (also the convergence panel's heavy-tailed line).
    pub nu: f64,
    pub n: usize,
    pub d: usize,
    pub project: bool,
    pub seed: u64,
    pub architecture: Architecture,
    pub depth: usize,
    pub activation: Activation,
    pub parameterization: Parameterization,
    pub widths: Vec<usize>,
    pub w_std: f64,
    pub b_std: Option<f64>,
    /// The target's menu value ("harmonics", "product", "teacher", "random").
    pub target: &'static str,
    pub degrees: Vec<usize>,
    pub noise: f64,
    pub n_test: usize,
    pub learning_rate: f64,
    pub steps: usize,
    pub snapshots: Vec<usize>,
    /// The memorization panel's feature model, spurious fraction and dimension.
    pub features: Features,
    pub spurious_fraction: f64,
    pub spurious_d: usize,
    pub kernel_after_training: bool,
    pub kernel: KernelKind,
    /// How many eigenvalues the spectrum computes.
    pub eigen: crate::fields::Eigen,
    pub seeds: usize,
    pub points: usize,
    pub max_entry: bool,
    pub sup: bool,
    pub stat: Statistic,
    pub delta: f64,
    pub epsilon: f64,
    pub layers: bool,
    /// The depth sweep: its depths and width.
    pub depth_sweep: Option<(Vec<usize>, usize)>,
    /// Gaussian lines in these dimensions.
    pub dims: Vec<usize>,
    /// The SGD panel: batch size and streaming.
    pub sgd: Option<(usize, bool)>,
    /// The generalization curves by input distribution.
    pub by_distribution: bool,
    /// A trained finite net beside the learning curve.
    pub gen_trained: bool,
    /// μP (the plane tab): the NTK parameterization with the output ×1/√m.
    pub mu_p: bool,
    /// The plane tab: its data set ("upload": the user's file), noise, test share,
    /// output scales, frames and grid.
    pub plane_data: &'static str,
    pub plane_noise: f64,
    pub test_share: f64,
    pub alphas: Vec<f64>,
    pub frames: usize,
    pub plane_grid: usize,
    pub plane_width: usize,
    pub plane_depth: usize,
    pub log: bool,
}

/// Reads each field once through its row of the table, collecting the problems.
struct Reader<'a> {
    values: &'a Values,
    errors: Vec<FieldError>,
    read: Vec<&'static str>,
}

impl Reader<'_> {
    fn raw(&mut self, key: &'static str) -> &str {
        self.read.push(key);
        self.values.get(key).map_or("", String::as_str)
    }

    fn fail<T>(&mut self, key: &'static str, e: String, fallback: T) -> T {
        self.errors.push((key, e));
        fallback
    }

    fn number(&mut self, key: &'static str) -> f64 {
        let Some(Kind::Number { bounds, .. }) = find(key).map(|f| f.kind) else {
            return self.fail(key, format!("{key} is not a number field"), 0.0);
        };
        let raw = self.raw(key).to_string();
        bounds
            .parse(&raw)
            .unwrap_or_else(|e| self.fail(key, e, bounds.min))
    }

    fn whole(&mut self, key: &'static str) -> usize {
        self.number(key) as usize
    }

    fn flag(&mut self, key: &'static str) -> bool {
        let raw = self.raw(key).to_string();
        flag(key, &raw).unwrap_or_else(|e| self.fail(key, e, false))
    }

    fn list(&mut self, key: &'static str) -> Vec<usize> {
        let Some(Kind::List(list)) = find(key).map(|f| f.kind) else {
            return self.fail(key, format!("{key} is not a list field"), Vec::new());
        };
        let raw = self.raw(key).to_string();
        list.parse(&raw)
            .unwrap_or_else(|e| self.fail(key, e, Vec::new()))
    }

    /// The chosen option's value.
    fn choice(&mut self, key: &'static str) -> &'static str {
        let Some(f) = find(key) else {
            return self.fail(key, format!("unknown field '{key}'"), "");
        };
        let raw = self.raw(key).to_string();
        match (f.kind, crate::fields::check(f, &raw)) {
            (Kind::Choice(options), Ok(())) => options
                .iter()
                .find(|(v, _)| *v == raw)
                .map_or("", |(v, _)| v),
            (_, Err(e)) => self.fail(key, e, ""),
            _ => self.fail(key, format!("{key} is not a menu"), ""),
        }
    }
}

impl Settings {
    /// Parse every field once; the problems of all invalid fields, each with its key.
    pub fn parse(values: &Values) -> Result<Settings, Vec<FieldError>> {
        let mut r = Reader {
            values,
            errors: Vec::new(),
            read: Vec::new(),
        };
        let view_raw = r.raw("view").to_string();
        let view = view_raw
            .parse::<View>()
            .unwrap_or_else(|e| r.fail("view", e, View::Kernel));
        let dist = r.choice("dist");
        let nu = r.number("nu");
        let n = r.whole("n");
        let d = r.whole("d");
        let project = r.flag("proj");
        let seed = r.number("dseed") as u64;
        let arch = r.choice("arch");
        let filter = r.whole("filter");
        let padding = match r.choice("pad") {
            "same" => Padding::Same,
            "valid" => Padding::Valid,
            _ => Padding::Circular,
        };
        let pooling = match r.choice("pool") {
            "flatten" => Pooling::Flatten,
            _ => Pooling::GlobalAvg,
        };
        let height = r.whole("height");
        let tokens = r.whole("tokens");
        let heads = r.whole("heads");
        let linear_scaling = r.choice("scaling") != "sqrt";
        let grid = r.whole("grid");
        let order = r.whole("order");
        let architecture = match arch {
            "kan" => Architecture::Kan { grid, order },
            "attn" => Architecture::Attention {
                tokens,
                heads,
                linear_scaling,
                pooling,
            },
            "resmlp" => Architecture::ResidualMlp,
            "cnn1" | "cnn2" => Architecture::Cnn {
                filter,
                padding,
                pooling,
                height: (arch == "cnn2").then_some(height),
            },
            _ => Architecture::Mlp,
        };
        let depth = r.whole("depth");
        let act = r.choice("act");
        let alpha = r.number("alpha");
        let param = r.choice("param");
        let parameterization = match param {
            "standard" => Parameterization::Standard,
            _ => Parameterization::Ntk,
        };
        let mu_p = param == "mup";
        let plane_data = r.choice("pdata");
        let plane_noise = r.number("pnoise");
        let test_share = r.number("ptest");
        let alphas_raw = r.raw("alphas").to_string();
        let alphas = crate::fields::parse_alphas(&alphas_raw)
            .unwrap_or_else(|e| r.fail("alphas", e, vec![1.0]));
        let frames = r.whole("frames");
        let plane_grid = r.whole("pgrid");
        let plane_width = r.whole("pwidth");
        let plane_depth = r.whole("pdepth");
        let widths = r.list("widths");
        let w_std = r.number("w");
        let bias = r.flag("bias");
        let b = r.number("b");
        let target = r.choice("target");
        let degrees = r.list("degrees");
        let noise = r.number("noise");
        let n_test = r.whole("ntest");
        let learning_rate = r.number("lr");
        let steps = r.whole("steps");
        let snapshots = r.list("snaps");
        let kernel_after_training = r.flag("ktrain");
        let kernel = match r.choice("kernel") {
            "nngp" => KernelKind::Nngp,
            _ => KernelKind::Ntk,
        };
        let eigen_raw = r.raw("eig").to_string();
        let eigen = crate::fields::parse_eigen(&eigen_raw)
            .unwrap_or_else(|e| r.fail("eig", e, crate::fields::Eigen::Auto));
        let seeds = r.whole("seeds");
        let points = r.whole("points");
        let metric = r.choice("metric");
        let (max_entry, sup) = (metric != "frob", metric == "sup");
        let stat = match r.choice("stat") {
            "quantile" => Statistic::Quantile,
            "worst" => Statistic::Worst,
            "tail" => Statistic::Tail,
            _ => Statistic::Mean,
        };
        let delta = r.number("delta");
        let epsilon = r.number("eps");
        let layers = r.flag("layers");
        let dsweep = r.flag("dsweep");
        let depths = r.list("depths");
        let dwidth = r.whole("dwidth");
        let dimsweep = r.flag("dimsweep");
        let dims = r.list("dims");
        let sgd = r.flag("sgd");
        let batch = r.whole("batch");
        let stream = r.flag("stream");
        let by_distribution = r.flag("bydist");
        let gen_trained = r.flag("gentrain");
        let log = r.flag("log");
        let features = match r.choice("feat") {
            "rf" => Features::Rf,
            _ => Features::Ntk,
        };
        let spurious_fraction = r.number("spfrac");
        let spurious_d = r.whole("spd");
        // The rows read by no typed field (the preset, teacher mode) are still checked.
        for f in &FIELDS {
            if !r.read.contains(&f.key) {
                let raw = r.values.get(f.key).map_or("", String::as_str);
                if let Err(e) = crate::fields::check(f, raw) {
                    r.errors.push((f.key, e));
                }
            }
        }
        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        Ok(Settings {
            view,
            // Bumps are images for a 2-D CNN (its height), else signals.
            distribution: (dist != "upload")
                .then(|| distribution(dist, nu))
                .flatten()
                .map(|d| match (d, &architecture) {
                    (
                        Distribution::Bumps { .. },
                        Architecture::Cnn {
                            height: Some(h), ..
                        },
                    ) => Distribution::Bumps { height: Some(*h) },
                    _ => d,
                }),
            nu,
            n,
            d,
            project,
            seed,
            architecture,
            depth,
            activation: activation_from_name(act, alpha).unwrap_or(Activation::Relu),
            parameterization,
            widths,
            w_std,
            b_std: bias.then_some(b),
            target,
            degrees,
            noise,
            n_test,
            learning_rate,
            steps,
            snapshots,
            features,
            spurious_fraction,
            spurious_d,
            kernel_after_training,
            kernel,
            eigen,
            seeds,
            points,
            max_entry,
            sup,
            stat,
            delta,
            epsilon,
            layers,
            depth_sweep: dsweep.then_some((depths, dwidth)),
            dims: if dimsweep { dims } else { Vec::new() },
            sgd: sgd.then_some((batch, stream)),
            by_distribution,
            gen_trained,
            mu_p,
            plane_data,
            plane_noise,
            test_share,
            alphas,
            frames,
            plane_grid,
            plane_width,
            plane_depth,
            log,
        })
    }

    /// The plane tab's config: an MLP of the sidebar (its widest width) on the 2-D data
    /// set or the user's file of two columns and a target.
    fn plane_config(&self, upload: Option<&UserPoints>) -> Result<Config, Vec<FieldError>> {
        let s = self;
        let width = s.plane_width;
        let network = FcNetwork {
            depth: s.plane_depth,
            activation: s.activation,
            w_std: s.w_std,
            b_std: s.b_std,
            parameterization: s.parameterization,
            width: Some(width),
        };
        let dataset = match s.plane_data {
            "circle" => plane::Dataset::Circle,
            "gaussians" => plane::Dataset::Gaussians,
            "spiral" => plane::Dataset::Spiral,
            "surface" => plane::Dataset::Surface,
            _ => plane::Dataset::Xor,
        };
        let points = if s.plane_data == "upload" {
            match upload {
                None => return Err(vec![("pdata", "your data: no file is loaded; choose a CSV file under Data (two input columns and a target y; a link cannot carry it)".into())]),
                Some(u) if u.cols != 2 => return Err(vec![("pdata", format!("the plane takes two input columns; {} has {}", u.name, u.cols))]),
                Some(u) if u.y.is_none() => return Err(vec![("pdata", format!("{} has no target column: head the last column y", u.name))]),
                Some(u) if u.rows < 8 => return Err(vec![("pdata", format!("{} has {} rows; the plane needs at least 8", u.name, u.rows))]),
                Some(u) => Some(u.clone()),
            }
        } else {
            None
        };
        let params = plane::Params {
            dataset,
            n: s.n.max(8),
            test_fraction: s.test_share,
            noise: s.plane_noise,
            seed: s.seed,
            network,
            width,
            alphas: s.alphas.clone(),
            learning_rate: s.learning_rate,
            steps: s.steps,
            frames: s.frames,
            grid: s.plane_grid,
            mu_p: s.mu_p,
            kernel: s.kernel,
            points,
        };
        let mut errors = Vec::new();
        if s.n < 8 && s.plane_data != "upload" {
            errors.push(("n", "the plane needs at least 8 points".to_string()));
        }
        if params.points.as_ref().map_or(params.n, |u| u.rows) > crate::fields::N_OTHER_VIEWS {
            errors.push((
                "n",
                too_many_inputs(params.points.as_ref().map_or(params.n, |u| u.rows)),
            ));
        }
        if let Err(e) = params.validate() {
            let key = match &e {
                ntk_core::error::NtkError::TooLarge { .. } => "pgrid",
                ntk_core::error::NtkError::Invalid { field: "mu_p", .. } => "param",
                _ => "widths",
            };
            errors.push((key, e.to_string()));
        }
        // The time it would take, bounded before it runs: the grid's forward passes at
        // every frame, the training steps (forward and backward, every α), and the
        // empirical NTK of the grid against the training points (once per α).
        let g = (s.plane_grid * s.plane_grid) as f64;
        let n_train = params.n as f64 * (1.0 - s.test_share);
        let per_input = 2.0 * width as f64
            + (s.plane_depth.saturating_sub(1) * width * width) as f64
            + width as f64;
        let runs = s.alphas.len() as f64;
        let flops = 2.0 * per_input * (g * s.frames as f64 + 3.0 * n_train * s.steps as f64 * runs)
            + 4.0 * g * n_train * width as f64 * s.plane_depth as f64 * runs
            + 2.0 * g * n_train * s.steps as f64 * runs;
        // About 5·10⁹ flop/s on one core in WebAssembly (measured with the presets).
        let seconds = flops / 5e9;
        if seconds > PLANE_MAX_SECONDS {
            errors.push((
                "pwidth",
                format!(
                    "this run would take about {:.0} s in the page (over {PLANE_MAX_SECONDS:.0} s): lower the width, the hidden layers, the steps, the output scales, the frames or the grid",
                    seconds
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let data = DataSpec {
            distribution: Distribution::Uniform,
            n: params.n,
            d: 2,
            project: false,
            seed: s.seed,
            points: None,
        };
        Ok(Config {
            view: View::Plane,
            job: vec![Experiment::Plane(params)],
            log: s.log,
            max_entry: false,
            sup: false,
            stat: s.stat,
            data,
            target: Target::Product,
            architecture: Architecture::Mlp,
            cost: None,
        })
    }

    /// The config of these settings (with the user's file when the distribution is
    /// "upload"), or the problems between fields, each at the field to change.
    pub fn config(&self, upload: Option<&UserPoints>) -> Result<Config, Vec<FieldError>> {
        let s = self;
        if s.view == View::Plane {
            return s.plane_config(upload);
        }
        if s.mu_p {
            return Err(vec![(
                "param",
                "μP is trained on the Learning-on-the-plane tab: this tab compares with the NTK's infinite-width limit, which a μP net does not have (its NTK at initialisation vanishes like 1/m and moves by Θ(1) in training); choose NTK or standard".into(),
            )]);
        }
        let mut errors: Vec<FieldError> = Vec::new();
        let user = match (s.distribution, upload) {
            (Some(_), _) => None,
            (None, Some(u)) => Some(u.clone()),
            (None, None) => {
                return Err(vec![(
                    "dist",
                    "your data: no file is loaded; choose a CSV file under Data (a link cannot carry an uploaded file)".into(),
                )])
            }
        };
        let dist = s.distribution.unwrap_or(Distribution::Gaussian);
        let circle = s.distribution == Some(Distribution::Circle);
        let d = match &user {
            Some(u) => u.cols,
            None if circle => 2,
            None => s.d,
        };
        let network = FcNetwork {
            depth: s.depth,
            activation: s.activation,
            w_std: s.w_std,
            b_std: s.b_std,
            parameterization: s.parameterization,
            width: Some(*s.widths.last().unwrap_or(&64)),
        };
        let tokens = match s.architecture {
            Architecture::Attention { tokens, .. } => tokens,
            _ => 1,
        };
        let target = match s.target {
            "product" => Target::Product,
            "teacher" => Target::Teacher {
                spec: MlpSpec::from_network(&network, 512),
                seed: s.seed + 1,
            },
            "random" => Target::RandomLabels { seed: s.seed },
            "autocorr" => Target::Autocorrelation,
            "bag" => Target::TokenBag { tokens },
            "order" => Target::TokenOrder { tokens },
            _ => Target::Harmonics {
                degrees: s.degrees.iter().map(|&k| (k, 1.0)).collect(),
            },
        };
        let data = DataSpec {
            distribution: dist,
            n: user.as_ref().map_or(s.n, |u| u.rows),
            d,
            project: s.project,
            seed: s.seed,
            points: user.clone(),
        };
        // The widest network must fit in a browser tab: estimated in bytes (the network
        // twice, as training keeps its initialisation, its passes on the training and
        // test sets, and the Gram matrices), with the core's own estimates.
        let widest = *s.widths.iter().max().unwrap_or(&1);
        let hidden = vec![widest; network.depth];
        let needed = ntk_core::budget::train_bytes(d, &hidden, data.n, s.n_test)
            .max(ntk_core::budget::empirical_bytes(2, &hidden, 1, 256));
        if needed > PAGE_BUDGET {
            errors.push((
                "widths",
                format!(
                    "the widest network would need about {} of memory; a browser tab has {}: lower the width or the depth",
                    ntk_core::error::human_bytes(needed),
                    ntk_core::error::human_bytes(PAGE_BUDGET)
                ),
            ));
        }
        if data.n > crate::fields::N_OTHER_VIEWS
            && matches!(s.view, View::Convergence | View::Training)
        {
            errors.push(("n", too_many_inputs(data.n)));
        }
        if target == Target::Product && d < 2 {
            errors.push(("target", "x₁·x₂ needs inputs with d ≥ 2".into()));
        }
        if target == Target::Autocorrelation && d < 2 {
            errors.push((
                "target",
                "the autocorrelation needs signals of length d ≥ 2".into(),
            ));
        }
        if matches!(target, Target::TokenBag { .. } | Target::TokenOrder { .. }) {
            if !matches!(s.architecture, Architecture::Attention { .. }) {
                errors.push((
                    "target",
                    "this target reads each input as tokens: choose the self-attention architecture (its tokens T)".into(),
                ));
            } else if matches!(target, Target::TokenOrder { .. }) && tokens < 2 {
                errors.push(("tokens", "the first − last token target needs T ≥ 2".into()));
            }
        }
        if let Architecture::Kan { grid, order } = s.architecture {
            // A KAN layer has (G + K + 1)·m_in·m_out weights: F times a dense layer's.
            // Training keeps them, their initial copy and their gradient (and a spare);
            // every input's forward trace and structured-NTK record keep its F·m
            // features per layer, for the training and test inputs.
            let f = (grid + order + 1) as u64;
            let m = widest as u64;
            let depth = network.depth as u64;
            let params = f * (d as u64 * m + m * m * depth.saturating_sub(1) + m);
            let inputs = (data.n + s.n_test) as u64;
            let features = f * m * depth.max(1) * inputs * 2;
            let bytes = params
                .saturating_mul(8 * 4)
                .saturating_add(features.saturating_mul(8));
            if bytes > PAGE_BUDGET {
                errors.push((
                    "widths",
                    format!(
                        "the widest KAN has {} weights ({} per edge) and keeps {} features per input; about {} of memory, and a browser tab has {}: lower the width, the depth, the grid or n",
                        params,
                        f,
                        f * m * depth.max(1),
                        ntk_core::error::human_bytes(bytes),
                        ntk_core::error::human_bytes(PAGE_BUDGET)
                    ),
                ));
            }
        }
        let arch = &s.architecture;
        if let Err(e) = arch.validate(&network, d) {
            let key = match arch {
                Architecture::Cnn {
                    height: Some(_), ..
                } if e.to_string().contains("height") => "height",
                Architecture::Cnn { .. } => "filter",
                Architecture::Attention { .. } if e.to_string().contains("tokens") => "tokens",
                Architecture::Attention { .. } if e.to_string().contains("heads") => "heads",
                _ => "depth",
            };
            errors.push((key, e.to_string()));
        } else if !arch.is_mlp() {
            if !arch.has_limit() && s.view != View::Kernel {
                errors.push((
                    "scaling",
                    "1/√d_k attention has no infinite-width kernel, which this tab compares with: open the Kernel tab to see its finite nets, or choose the 1/d_k scaling".into(),
                ));
            }
            if s.kernel == KernelKind::Nngp && s.view == View::Kernel {
                errors.push((
                    "kernel",
                    "the finite nets' NNGP kernel is drawn for the MLP only: choose the NTK".into(),
                ));
            }
            // The analytic kernels' memory (P × P position covariances per pair of
            // inputs with pooling), before anything runs.
            let rows = data.n + s.n_test;
            match arch.kernel_bytes(&network, d, rows, rows) {
                Ok(bytes) if bytes > PAGE_BUDGET => errors.push((
                    "n",
                    format!(
                        "the {} kernels would need about {} of memory; a browser tab has {}: lower n, the test points or d",
                        arch.label(),
                        ntk_core::error::human_bytes(bytes),
                        ntk_core::error::human_bytes(PAGE_BUDGET)
                    ),
                )),
                Ok(_) => {}
                Err(e) => errors.push(("arch", e.to_string())),
            }
        }
        if let Target::Harmonics { degrees } = &target {
            if d == 1 && degrees.iter().any(|(k, _)| *k >= 2) {
                errors.push((
                    "degrees",
                    "in one dimension only degrees 0 and 1 exist (x/|x| is ±1): use d ≥ 2".into(),
                ));
            }
        }
        if let (Some((batch, streaming)), View::Training) = (s.sgd, s.view) {
            if !s.architecture.is_mlp() {
                errors.push((
                    "sgd",
                    "the SGD panel trains MLPs: choose the MLP, or turn it off".into(),
                ));
            }
            if s.distribution.is_none() {
                errors.push(("sgd", "SGD samples its batches from a distribution: choose one, or turn the SGD panel off".into()));
            }
            if !streaming && batch > data.n {
                errors.push(("batch", format!("a batch of {batch} is more than the n = {} training points: lower it, or stream", data.n)));
            }
            if streaming && batch * s.steps > 8000 {
                errors.push(("steps", format!("streaming draws batch × steps = {} fresh samples; the kernel side keeps their Gram matrix: at most 8000", batch * s.steps)));
            }
        }
        if s.gen_trained && s.view == View::Generalization && s.distribution.is_none() {
            errors.push((
                "gentrain",
                "the trained net is drawn on sampled data: choose a distribution, or turn it off"
                    .into(),
            ));
        }
        if s.by_distribution && s.view == View::Generalization && s.distribution.is_none() {
            errors.push(("bydist", "the curves by distribution sample their inputs from each law: choose a distribution, or turn them off".into()));
        }
        if s.view == View::Convergence {
            if s.sup && d != 2 && d != 3 {
                errors.push((
                    "metric",
                    format!("the sup over the sphere is taken on a grid of the circle (d = 2) or the sphere (d = 3); d is {d}: choose another distance or d"),
                ));
            }
            if s.layers && !s.architecture.is_mlp() {
                errors.push((
                    "layers",
                    "per-layer kernels are the MLP's (a cut after each Dense → φ): choose the MLP"
                        .into(),
                ));
            }
            if let Some((depths, _)) = &s.depth_sweep {
                if !s.architecture.is_mlp() {
                    errors.push((
                        "dsweep",
                        "the depth sweep cuts an MLP: choose the MLP".into(),
                    ));
                } else if depths.len() < 2 {
                    errors.push(("depths", "give at least 2 depths".into()));
                }
            }
        }
        match s.view {
            View::Convergence if s.widths.len() < 3 => errors.push((
                "widths",
                "the convergence panel fits a line: give at least 3 widths".into(),
            )),
            View::Training if s.snapshots.iter().any(|&k| k > s.steps) => errors.push((
                "snaps",
                format!(
                    "snapshot steps must be at most the number of steps ({})",
                    s.steps
                ),
            )),
            View::Generalization if data.n < 24 => errors.push((
                "n",
                "the generalization curves need n ≥ 24 training points".into(),
            )),
            View::Kernel if s.kernel_after_training && d != 2 && s.architecture.is_mlp() => errors
                .push((
                    "ktrain",
                    "training before measuring the kernel on the circle needs inputs in d = 2"
                        .into(),
                )),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let widths = s.widths.clone();
        let (shown_data, shown_target) = (data.clone(), target.clone());
        let job = match s.view {
            View::Plane => return s.plane_config(upload),
            View::Kernel => {
                let kernel = kernel::Params {
                    network,
                    architecture: s.architecture.clone(),
                    widths,
                    seeds: s.seeds,
                    kernel: s.kernel,
                    points: s.points,
                    data,
                    train: s.kernel_after_training.then_some(kernel::Training {
                        target,
                        learning_rate: s.learning_rate,
                        steps: s.steps,
                    }),
                };
                let spectrum = spectrum::Params {
                    network: kernel.gram_network(),
                    architecture: s.architecture.clone(),
                    kernel: kernel.kernel,
                    top: s.eigen.top(kernel.data.rows()),
                    data: kernel.data.clone(),
                };
                let mut v = vec![Experiment::Kernel(kernel), Experiment::Spectrum(spectrum)];
                if let Some(p) = kan_params(s, &network) {
                    v.push(Experiment::KanVsMlp(p));
                }
                v
            }
            View::Convergence => vec![Experiment::Convergence(convergence::Params {
                network,
                architecture: s.architecture.clone(),
                widths,
                seeds: s.seeds,
                distributions: convergence::distributions(dist, s.nu),
                n: data.n,
                d,
                seed: s.seed,
                user,
                delta: s.delta,
                epsilon: s.epsilon,
                layers: s.layers,
                sup_grid: s.sup.then_some(if d == 2 { 96 } else { 200 }),
                depths: s
                    .depth_sweep
                    .as_ref()
                    .map_or(Vec::new(), |(l, _)| l.clone()),
                depth_width: s.depth_sweep.as_ref().map_or(256, |(_, m)| *m),
                dims: s.dims.clone(),
                ..convergence::Params::default()
            })],
            View::Training => {
                let mut v = vec![Experiment::Training(training::Params {
                    network,
                    architecture: s.architecture.clone(),
                    widths: widths.clone(),
                    data: data.clone(),
                    target: target.clone(),
                    noise: s.noise,
                    n_test: s.n_test,
                    learning_rate: s.learning_rate,
                    steps: s.steps,
                    snapshots: s.snapshots.clone(),
                })];
                if let (Some((batch, streaming)), Some(dist)) = (s.sgd, s.distribution) {
                    v.push(Experiment::Sgd(sgd::Params {
                        network,
                        widths,
                        seeds: s.seeds,
                        distribution: dist,
                        d,
                        n: data.n,
                        n_test: s.n_test,
                        target,
                        noise: s.noise,
                        batch,
                        steps: s.steps,
                        learning_rate: s.learning_rate,
                        streaming,
                        seed: s.seed,
                        ..sgd::Params::default()
                    }));
                }
                v
            }
            View::Memorization => {
                // Its own data: z = [x, y] ~ N(0, I_d), N from d to 10d (the theory's
                // regime d ≪ N ≪ d²); the sensitivity beside an activation of the
                // other parity (even against not even: the paper's contrast).
                let dz = s.spurious_d;
                let other = if s.activation.is_even() {
                    Activation::Tanh
                } else {
                    Activation::Cos
                };
                vec![
                    Experiment::Spurious(spurious::Params {
                        activation: s.activation,
                        alpha: s.spurious_fraction,
                        d: dz,
                        n: vec![dz, 2 * dz, 5 * dz, 10 * dz],
                        widths: s.widths.clone(),
                        infinite: true,
                        seeds: s.seeds,
                        probes: dz.min(32),
                        features: s.features,
                        ..spurious::Params::default()
                    }),
                    Experiment::Sensitivity(robustness::Params {
                        activations: vec![s.activation, other],
                        seeds: s.seeds,
                        ..robustness::Params::default()
                    }),
                ]
            }
            View::Generalization => {
                // Infinite-width kernels only: a width matters to the standard
                // parameterization's limit alone, so in the NTK parameterization the
                // job carries none and a change of the widths recomputes nothing.
                let network = FcNetwork {
                    width: network
                        .width
                        .filter(|_| s.parameterization == Parameterization::Standard),
                    ..network
                };
                let mut v = vec![
                    Experiment::Generalization(generalization::Params {
                        network,
                        architecture: s.architecture.clone(),
                        data: data.clone(),
                        target: target.clone(),
                        n_test: s.n_test,
                        // Sampled data only: a file has one distribution.
                        by_distribution: if s.by_distribution && s.distribution.is_some() {
                            convergence::distributions(dist, s.nu)
                        } else {
                            Vec::new()
                        },
                        trained: (s.gen_trained && s.distribution.is_some()).then(|| {
                            generalization::TrainedNet {
                                width: s.widths.iter().copied().max().unwrap_or(256),
                                learning_rate: s.learning_rate,
                                steps: s.steps,
                            }
                        }),
                    }),
                    Experiment::Capacity(capacity::Params {
                        network,
                        architecture: s.architecture.clone(),
                        data,
                        target,
                        delta: s.delta,
                    }),
                ];
                if let Some(p) = compare_params(s, d) {
                    v.push(Experiment::Architectures(p));
                }
                v
            }
        };
        // Every tab shows its data: the inputs, coloured by the target where the tab
        // uses one (the convergence tab's inputs are never projected).
        let mut job = job;
        let uses_target = match s.view {
            View::Kernel => s.kernel_after_training,
            View::Convergence | View::Memorization => false,
            View::Training | View::Generalization | View::Plane => true,
        };
        // The memorization tab draws its own Gaussian data and no sidebar data.
        if s.view != View::Memorization {
            job.push(Experiment::Data(data::Params {
                data: DataSpec {
                    project: shown_data.project && s.view != View::Convergence,
                    ..shown_data.clone()
                },
                target: uses_target.then(|| shown_target.clone()),
            }));
        }
        let cost = (!s.architecture.is_mlp() && s.architecture.has_limit())
            .then(|| {
                let rows = shown_data.rows();
                s.architecture.cost(&network, d, rows, rows).ok()
            })
            .flatten();
        Ok(Config {
            view: s.view,
            job,
            log: s.log,
            max_entry: s.max_entry,
            sup: s.sup,
            stat: s.stat,
            data: shown_data,
            target: shown_target,
            architecture: s.architecture.clone(),
            cost,
        })
    }
}

impl Config {
    /// The experiments that compute this config's results.
    pub fn job(&self) -> Vec<Experiment> {
        self.job.clone()
    }

    /// The network of the sidebar (infinite width; for the standard parameterization
    /// its width is the widest finite width).
    pub fn network(&self) -> Option<FcNetwork> {
        self.job.iter().find_map(|e| e.network().copied())
    }
}

/// The longest signals the architecture comparison takes on the page: its CNN with
/// global pooling keeps L × L position pairs per pair of signals (length 32, n = 128:
/// about 4 s in the page).
pub const COMPARE_MAX_LENGTH: usize = 32;

/// The generalization tab's comparison of architectures (MLP, residual MLP, CNN +
/// flatten, CNN + global pooling on Gaussian signals of length d with the
/// shift-invariant autocorrelation target), when a residual MLP or a CNN is chosen and
/// the signals are short enough; its training sizes follow n, up to 128.
pub fn compare_params(s: &Settings, d: usize) -> Option<architectures::Params> {
    let signals = matches!(
        s.architecture,
        Architecture::ResidualMlp | Architecture::Cnn { .. }
    );
    if !signals || !(2..=COMPARE_MAX_LENGTH).contains(&d) {
        return None;
    }
    let filter = match s.architecture {
        Architecture::Cnn { filter, .. } => filter.min(d),
        _ => 3.min(d),
    };
    let n_train: Vec<usize> = generalization::n_values(s.n.min(128))
        .into_iter()
        .filter(|&n| n >= 2)
        .collect();
    Some(architectures::Params {
        length: d,
        n_train,
        n_test: s.n_test.min(200),
        seeds: 3,
        depth: s.depth,
        filter,
        noise: s.noise,
        diag_reg: 1e-6,
    })
}

/// The points on the circle of the KAN-against-MLP comparison.
pub const KAN_COMPARE_N: usize = 64;

/// The deepest networks of the KAN-against-MLP comparison (its KAN kernels cost
/// about 2·10³ pairs × 3 grids × 100 µs per hidden layer in the page).
pub const KAN_COMPARE_MAX_DEPTH: usize = 4;

/// The spectrum panel's comparison of a KAN with the MLP of the sidebar (its
/// activation, σ_w, σ_b and depth, at most [`KAN_COMPARE_MAX_DEPTH`]; NTK
/// parameterization), when a KAN is chosen: KANs of grids G/2, G and 2G, on 64 points
/// of the circle; the target's degrees when it is a harmonics target (those up to
/// 16), else 1, 4 and 8.
pub fn kan_params(s: &Settings, network: &FcNetwork) -> Option<kan_vs_mlp::Params> {
    let Architecture::Kan { grid, order } = s.architecture else {
        return None;
    };
    let max_frequency = 16;
    let mut grids = vec![
        (grid / 2).max(1),
        grid,
        (2 * grid).min(ntk_core::layers::kan::MAX_GRID),
    ];
    grids.dedup();
    let mut degrees: Vec<usize> = if s.target == "harmonics" {
        s.degrees
            .iter()
            .copied()
            .filter(|k| *k <= max_frequency)
            .collect()
    } else {
        vec![]
    };
    if degrees.is_empty() {
        degrees = vec![1, 4, 8];
    }
    degrees.truncate(3);
    Some(kan_vs_mlp::Params {
        network: FcNetwork {
            parameterization: Parameterization::Ntk,
            width: None,
            depth: network.depth.min(KAN_COMPARE_MAX_DEPTH),
            ..*network
        },
        grids,
        order,
        n: KAN_COMPARE_N,
        max_frequency,
        degrees,
        times: 48,
    })
}

/// Build the config, or the list of (field, message) problems: each field's own,
/// then those between fields (e.g. snapshot steps beyond the number of steps).
pub fn build(values: &Values) -> Result<Config, Vec<FieldError>> {
    build_with(values, None)
}

/// [`build`] with the user's uploaded data, used when `dist=upload`.
pub fn build_with(values: &Values, upload: Option<&UserPoints>) -> Result<Config, Vec<FieldError>> {
    Settings::parse(values)?.config(upload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::*;
    use crate::presets::*;
    use crate::url::*;

    #[test]
    fn more_than_600_inputs_are_for_the_kernel_tab_whose_spectrum_then_takes_the_top_100() {
        let spectrum_top = |c: &Config| {
            c.job.iter().find_map(|e| match e {
                Experiment::Spectrum(p) => Some(p.top),
                _ => None,
            })
        };
        let mut v = defaults();
        v.insert("n", "2000".into());
        // auto: the top 100 above 600 inputs; all below; "all" and k as asked.
        assert_eq!(spectrum_top(&build(&v).unwrap()), Some(Some(100)));
        v.insert("eig", "all".into());
        assert_eq!(spectrum_top(&build(&v).unwrap()), Some(None));
        v.insert("eig", "30".into());
        assert_eq!(spectrum_top(&build(&v).unwrap()), Some(Some(30)));
        v.insert("n", "20".into());
        assert_eq!(spectrum_top(&build(&v).unwrap()), Some(None), "k ≥ n: all");
        v.insert("eig", "auto".into());
        v.insert("n", "600".into());
        assert_eq!(spectrum_top(&build(&v).unwrap()), Some(None));
        v.insert("eig", "0".into());
        assert_eq!(build(&v).unwrap_err()[0].0, "eig");
        // Other tabs take up to 600, and say where more go.
        v.insert("eig", "auto".into());
        v.insert("n", "601".into());
        for view in ["training", "convergence", "plane"] {
            v.insert("view", view.into());
            let e = build(&v).unwrap_err();
            let (key, msg) = e.iter().find(|(k, _)| *k == "n").expect(view);
            assert_eq!(*key, "n");
            assert!(
                msg.contains("up to 600") && msg.contains("2000"),
                "{view}: {msg}"
            );
        }
    }

    #[test]
    fn bounds_accept_values_inside_and_reject_with_a_sentence() {
        assert_eq!(DEPTH.parse(" 10 "), Ok(10.0));
        assert_eq!(W_STD.parse("1.25"), Ok(1.25));
        assert_eq!(
            DEPTH.parse("0"),
            Err("depth L must be a whole number between 1 and 100".into())
        );
        assert!(DEPTH.parse("2.5").is_err());
        assert_eq!(
            W_STD.parse("-1"),
            Err("σ_w must be a number between 0 and 10".into())
        );
        assert!(W_STD.parse("NaN").is_err() && W_STD.parse("inf").is_err());
    }

    #[test]
    fn every_field_is_read_once_and_every_problem_is_reported_with_its_key() {
        let mut v = defaults();
        v.insert("n", "0".into());
        v.insert("widths", "64, x".into());
        v.insert("hide", "bogus".into());
        let e = Settings::parse(&v).unwrap_err();
        let keys: Vec<&str> = e.iter().map(|(k, _)| *k).collect();
        // n and widths through the typed settings; hide (read by no typed field)
        // through its row of the table.
        assert_eq!(keys, ["n", "widths", "hide"]);
        assert!(e[0]
            .1
            .starts_with("n must be a whole number between 2 and 2000"));
        // Every row of the table has a valid default, and the table's keys are unique.
        let s = Settings::parse(&defaults()).unwrap();
        assert_eq!(
            (s.n, s.widths.clone(), s.view),
            (64, vec![64, 256, 1024], View::Kernel)
        );
        let mut keys: Vec<&str> = FIELDS.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), FIELDS.len());
    }

    #[test]
    fn the_pages_defaults_are_the_core_experiments_defaults() {
        // So `ntk experiment <name>` with `{}` computes what the page shows at first.
        let mut v = defaults();
        let job = |v: &Values| build(v).unwrap().job;
        assert_eq!(
            job(&v),
            vec![
                Experiment::Kernel(kernel::Params::default()),
                Experiment::Spectrum(spectrum::Params::default()),
                // The kernel tab uses no target: its data picture shows the inputs.
                Experiment::Data(data::Params {
                    target: None,
                    ..data::Params::default()
                })
            ]
        );
        for (view, names) in [
            ("convergence", &["convergence"][..]),
            ("training", &["training", "data"]),
            ("generalization", &["generalization", "capacity", "data"]),
        ] {
            v.insert("view", view.into());
            let mut expected: Vec<Experiment> = names
                .iter()
                .map(|n| Experiment::default_named(n).unwrap())
                .collect();
            if view == "convergence" {
                expected.push(Experiment::Data(data::Params {
                    target: None,
                    ..data::Params::default()
                }));
            }
            assert_eq!(job(&v), expected);
        }
    }

    #[test]
    fn url_round_trip_restores_every_field() {
        let mut v = defaults();
        v.insert("dist", "student_t".into());
        v.insert("nu", "4.5".into());
        v.insert("widths", "32, 128".into());
        v.insert("act", "leaky_relu".into());
        v.insert("bias", "0".into());
        let q = to_query(&v);
        let (back, notices) = from_query(&format!("#{q}"));
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(back, v);
        assert_eq!(build(&back).unwrap(), build(&v).unwrap());
    }

    #[test]
    fn a_bad_or_truncated_link_falls_back_field_by_field() {
        let (v, notices) = from_query("#depth=abc&w=2.5&zzz=1&widths=64,0&n=");
        assert_eq!(v["depth"], "3", "invalid depth keeps the default");
        assert_eq!(v["w"], "2.5", "valid fields are taken");
        assert_eq!(v["widths"], "64, 256, 1024");
        assert_eq!(notices.len(), 4, "{notices:?}");
        assert!(notices[0].contains("depth L must be a whole number"));
        assert!(notices.iter().any(|n| n.contains("unknown field 'zzz'")));
        assert!(build(&v).is_ok());
        // Garbage and percent-escapes never panic.
        let (_, n) = from_query("#%%%&=&&dist=%E2%9C%93&w=%2");
        assert!(!n.is_empty());
    }

    #[test]
    fn invalid_fields_are_reported_not_built() {
        let mut v = defaults();
        v.insert("depth", "0".into());
        v.insert("widths", "64, x".into());
        let errors = build(&v).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, "depth");
        assert!(errors[1].1.starts_with("widths must be"));
    }

    #[test]
    fn every_offered_activation_and_distribution_has_a_name() {
        for (name, _) in ACTIVATIONS {
            let act = activation_from_name(name, 0.1).unwrap();
            assert_eq!(act.name(), name);
            assert!(!activation_label(&act).is_empty());
        }
        for (name, _) in DISTRIBUTIONS.iter().filter(|(n, _)| *n != "upload") {
            assert_eq!(distribution(name, 3.0).unwrap().name(), *name);
        }
    }

    /// The tokens targets read the inputs as the attention architecture's tokens; with
    /// any other architecture they are refused at the target control. A KAN too wide
    /// for the tab is refused at the widths.
    #[test]
    fn tokens_targets_need_attention_and_wide_kans_are_refused() {
        let mut v = defaults();
        for (k, val) in [
            ("view", "generalization"),
            ("target", "order"),
            ("dist", "gaussian"),
            ("d", "8"),
        ] {
            v.insert(k, val.to_string());
        }
        let e = build(&v).unwrap_err();
        assert!(
            e.iter()
                .any(|(k, m)| *k == "target" && m.contains("self-attention")),
            "{e:?}"
        );
        v.insert("arch", "attn".to_string());
        let c = build(&v).unwrap();
        match &c.job[0] {
            Experiment::Generalization(p) => {
                assert_eq!(p.target, Target::TokenOrder { tokens: 4 })
            }
            other => panic!("{other:?}"),
        }
        v.insert("tokens", "1".to_string());
        let e = build(&v).unwrap_err();
        assert!(e.iter().any(|(k, _)| *k == "tokens"), "{e:?}");
        let mut v = defaults();
        v.insert("arch", "kan".to_string());
        v.insert("widths", "64, 4096".to_string());
        let e = build(&v).unwrap_err();
        assert!(
            e.iter().any(|(k, m)| *k == "widths" && m.contains("KAN")),
            "{e:?}"
        );
        v.insert("widths", "64, 512".to_string());
        let c = build(&v).unwrap();
        assert!(c.job.iter().any(|e| matches!(e, Experiment::KanVsMlp(_))));
    }

    /// 1/√d_k attention has no analytic kernel: the Kernel tab runs (its finite nets),
    /// the tabs that compare with the limit refuse at the scaling control, and tokens
    /// that do not divide d are refused at the tokens control.
    #[test]
    fn sqrt_attention_runs_on_the_kernel_tab_only() {
        let mut v = defaults();
        for (k, val) in [
            ("arch", "attn"),
            ("scaling", "sqrt"),
            ("dist", "gaussian"),
            ("d", "8"),
        ] {
            v.insert(k, val.to_string());
        }
        assert!(build(&v).is_ok());
        v.insert("view", "training".to_string());
        let e = build(&v).unwrap_err();
        assert!(
            e.iter()
                .any(|(k, m)| *k == "scaling" && m.contains("no infinite-width")),
            "{e:?}"
        );
        v.insert("view", "kernel".to_string());
        v.insert("tokens", "3".to_string());
        let e = build(&v).unwrap_err();
        assert!(e.iter().any(|(k, _)| *k == "tokens"), "{e:?}");
    }

    #[test]
    fn the_plane_tab_trains_its_own_net_and_refuses_what_it_cannot_run() {
        let mut v = defaults();
        v.insert("view", "plane".into());
        v.insert("pdata", "spiral".into());
        v.insert("pwidth", "300".into());
        v.insert("pdepth", "2".into());
        v.insert("alphas", "0.5, 20".into());
        v.insert("param", "mup".into());
        let c = build(&v).unwrap();
        let Experiment::Plane(p) = &c.job[0] else {
            panic!("{:?}", c.job);
        };
        assert_eq!(c.job.len(), 1);
        assert_eq!((p.width, p.network.depth), (300, 2));
        assert_eq!(p.alphas, vec![0.5, 20.0]);
        assert!(p.mu_p && p.network.parameterization == Parameterization::Ntk);
        assert_eq!(p.dataset, plane::Dataset::Spiral);
        // μP elsewhere: refused at the parameterization.
        v.insert("view", "training".into());
        let e = build(&v).unwrap_err();
        assert!(
            e.iter().any(|(k, m)| *k == "param" && m.contains("μP")),
            "{e:?}"
        );
        // A bad list of output scales, a missing file, a run too long.
        v.insert("view", "plane".into());
        v.insert("param", "ntk".into());
        v.insert("alphas", "1, -2".into());
        assert!(build(&v).unwrap_err().iter().any(|(k, _)| *k == "alphas"));
        v.insert("alphas", "1".into());
        v.insert("pdata", "upload".into());
        assert!(build(&v)
            .unwrap_err()
            .iter()
            .any(|(k, m)| *k == "pdata" && m.contains("no file")));
        let three = UserPoints {
            name: "f.csv".into(),
            rows: 20,
            cols: 3,
            x: vec![0.0; 60],
            y: Some(vec![1.0; 20]),
        };
        let e = build_with(&v, Some(&three)).unwrap_err();
        assert!(
            e.iter()
                .any(|(k, m)| *k == "pdata" && m.contains("two input columns")),
            "{e:?}"
        );
        v.insert("pdata", "xor".into());
        v.insert("pwidth", "8192".into());
        v.insert("pdepth", "4".into());
        v.insert("steps", "5000".into());
        let e = build(&v).unwrap_err();
        assert!(
            e.iter()
                .any(|(k, m)| *k == "pwidth" && m.contains("would take about")),
            "{e:?}"
        );
    }

    #[test]
    fn every_preset_builds_its_view_and_its_url_reproduces_it() {
        assert_eq!(PRESETS.len(), 16);
        for p in &PRESETS {
            let v = preset_values(p);
            let c = build(&v).unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
            let want = p.fields.iter().find(|(k, _)| *k == "view").unwrap().1;
            let view = match c.view {
                View::Kernel => "kernel",
                View::Convergence => "convergence",
                View::Training => "training",
                View::Plane => "plane",
                View::Generalization => "generalization",
                View::Memorization => "memorization",
            };
            assert_eq!(view, want, "{}", p.id);
            // The link of a preset restores the same fields and so the same job.
            let (back, notices) = from_query(&to_query(&v));
            assert!(notices.is_empty(), "{}: {notices:?}", p.id);
            assert_eq!(back, v);
            assert_eq!(back["preset"], p.id);
            // Each preset's fields exist, and its text cites a paper by year.
            for (k, _) in p.fields {
                assert!(find(k).is_some(), "{}: {k}", p.id);
            }
            assert!(p.text.contains("20"), "{}", p.id);
            let sentences = p.text.matches(". ").count() + 1;
            assert!((2..=5).contains(&sentences), "{}: {sentences}", p.id);
        }
        // The Jacot preset trains before measuring the kernel again.
        let c = build(&preset_values(preset("jacot").unwrap())).unwrap();
        match &c.job[0] {
            Experiment::Kernel(job) => {
                assert_eq!(job.widths, vec![100, 1000]);
                assert_eq!(job.seeds, 10);
                assert_eq!(job.train.as_ref().unwrap().steps, 200);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn problems_between_fields_are_reported_for_the_view_in_use() {
        let mut v = defaults();
        v.insert("view", "convergence".into());
        v.insert("widths", "64, 256".into());
        let e = build(&v).unwrap_err();
        assert_eq!(e[0].0, "widths");
        assert!(e[0].1.contains("at least 3 widths"));
        // The same widths are fine for the kernel view.
        v.insert("view", "kernel".into());
        assert!(build(&v).is_ok());
        v.insert("view", "training".into());
        v.insert("snaps", "0, 500".into());
        assert_eq!(build(&v).unwrap_err()[0].0, "snaps");
        v.insert("snaps", "0, 50".into());
        let c = build(&v).unwrap();
        match &c.job[0] {
            Experiment::Training(t) => {
                assert_eq!(t.snapshots, vec![0, 50]);
                assert_eq!(t.steps, 100);
                assert_eq!(
                    t.target,
                    Target::Harmonics {
                        degrees: vec![(1, 1.0), (4, 1.0)]
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        v.insert("view", "generalization".into());
        v.insert("n", "10".into());
        assert_eq!(build(&v).unwrap_err()[0].0, "n");
        v.insert("n", "64".into());
        v.insert("dist", "gaussian".into());
        v.insert("d", "1".into());
        v.insert("target", "product".into());
        assert_eq!(build(&v).unwrap_err()[0].0, "target");
        v.insert("target", "harmonics".into());
        assert_eq!(
            build(&v).unwrap_err()[0].0,
            "degrees",
            "degree 4 on the line"
        );
        v.insert("degrees", "0, 1".into());
        assert!(build(&v).is_ok());
    }

    #[test]
    fn display_only_fields_do_not_change_the_job() {
        let mut v = defaults();
        v.insert("view", "convergence".into());
        let a = build(&v).unwrap();
        v.insert("metric", "max".into());
        v.insert("log", "0".into());
        v.insert("hide", "data, depth".into());
        let b = build(&v).unwrap();
        assert_eq!(a.job, b.job);
        assert!(b.max_entry && !b.log);
    }

    #[test]
    fn teacher_mode_lists_known_controls_and_groups_only() {
        assert_eq!(parse_hide(" data, depth ").unwrap(), vec!["data", "depth"]);
        assert_eq!(parse_hide("").unwrap(), Vec::<String>::new());
        assert!(parse_hide("all").is_ok());
        let e = parse_hide("data, nonsense").unwrap_err();
        assert!(e.contains("'nonsense'"), "{e}");
        assert!(parse_hide("hide").is_err());
    }

    #[test]
    fn a_network_too_large_for_the_page_is_refused_in_words() {
        let mut v = defaults();
        v.insert("widths", "64, 16384".into());
        v.insert("depth", "3".into());
        let e = build(&v).unwrap_err();
        assert_eq!(e[0].0, "widths");
        // 2 · 16384² weights in f64, kept twice during training: at least 8.6 GB,
        // against the tab's 1 GB.
        let gb: f64 = e[0]
            .1
            .split("about ")
            .nth(1)
            .unwrap()
            .split(" GB")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (8.6..10.0).contains(&gb) && e[0].1.contains("1.0 GB"),
            "{}",
            e[0].1
        );
        assert_eq!(WIDTHS.parse("256, 64, 64, 16").unwrap(), vec![16, 64, 256]);
        // Two-layer nets are small at any offered width.
        v.insert("depth", "1".into());
        assert!(build(&v).is_ok());
    }

    #[test]
    fn uploaded_data_replace_the_samples_and_a_link_without_the_file_says_so() {
        let mut v = defaults();
        v.insert("dist", "upload".into());
        let e = build(&v).unwrap_err();
        assert_eq!(e[0].0, "dist");
        assert!(e[0].1.contains("no file is loaded"), "{}", e[0].1);
        let file =
            crate::upload::parse_csv("p.csv", "a,b,c,y\n1,2,3,1\n4,5,6,0\n7,8,9,1\n").unwrap();
        let c = build_with(&v, Some(&file)).unwrap();
        let Experiment::Kernel(job) = &c.job[0] else {
            panic!()
        };
        assert_eq!((job.data.n, job.data.d), (3, 3));
        assert_eq!(job.data.points.as_ref(), Some(&file));
        v.insert("view", "convergence".into());
        let Experiment::Convergence(job) = &build_with(&v, Some(&file)).unwrap().job[0] else {
            panic!()
        };
        assert_eq!(job.user.as_ref(), Some(&file));
        assert_eq!((job.n, job.d, job.distributions.len()), (3, 3, 4));
    }

    #[test]
    fn a_short_preset_link_opens_the_preset_and_other_fields_override_it() {
        let (v, notices) = from_query("#preset=lazy&hide=all");
        assert!(notices.is_empty(), "{notices:?}");
        let mut want = preset_values(preset("lazy").unwrap());
        want.insert("hide", "all".into());
        assert_eq!(v, want);
        let (v, _) = from_query("#steps=50&preset=lazy");
        assert_eq!(v["steps"], "50");
        assert_eq!(v["widths"], "64, 256, 1024, 4096");
        // An unknown preset is ignored with a notice; the defaults stay.
        let (v, notices) = from_query("#preset=nope");
        assert_eq!(v, defaults());
        assert_eq!(notices.len(), 1);
    }
}
