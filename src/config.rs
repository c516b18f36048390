//! The page's state: one set of named fields, each held as the raw text of its
//! control, mirrored to the URL hash (`#dist=circle&n=64&depth=3&…`), and turned into
//! a [`Config`] only when every field is valid. An invalid value never becomes a job;
//! its message, in words, is shown next to its control. A hand-edited or truncated
//! URL falls back to the defaults field by field, with a notice.

use std::collections::BTreeMap;

use ntk_core::activation::Activation;
use ntk_core::data::Distribution;
use ntk_core::dynamics::KernelKind;
use ntk_core::kernel::{FcNetwork, Parameterization};

use ntk_core::network::MlpSpec;
use ntk_core::targets::Target;

use ntk_core::experiments::{
    convergence, generalization, kernel, spectrum, training, DataSpec, Experiment, UserPoints,
};

/// Allowed range of a numeric field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// The name shown in messages.
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    /// Whole numbers only.
    pub integer: bool,
}

impl Bounds {
    /// Parse `raw` and check it lies within the bounds; the error is a sentence for
    /// the user, e.g. "depth L must be a whole number between 1 and 10".
    pub fn parse(&self, raw: &str) -> Result<f64, String> {
        let what = if self.integer {
            "a whole number"
        } else {
            "a number"
        };
        let msg = || {
            format!(
                "{} must be {what} between {} and {}",
                self.name, self.min, self.max
            )
        };
        let v: f64 = raw.trim().parse().map_err(|_| msg())?;
        let whole = !self.integer || v.fract() == 0.0;
        if v.is_finite() && whole && v >= self.min && v <= self.max {
            Ok(v)
        } else {
            Err(msg())
        }
    }
}

const fn b(name: &'static str, min: f64, max: f64, integer: bool) -> Bounds {
    Bounds {
        name,
        min,
        max,
        integer,
    }
}

pub const N: Bounds = b("n", 2.0, 600.0, true);
pub const D: Bounds = b("dimension d", 1.0, 64.0, true);
pub const NU: Bounds = b("ν", 2.1, 100.0, false);
pub const DATA_SEED: Bounds = b("seed", 0.0, 1e9, true);
pub const DEPTH: Bounds = b("depth L", 1.0, 10.0, true);
pub const ALPHA: Bounds = b("α", 0.0, 5.0, false);
pub const WIDTH: Bounds = b("width m", 1.0, 16384.0, true);
pub const W_STD: Bounds = b("σ_w", 0.0, 10.0, false);
pub const B_STD: Bounds = b("σ_b", 0.0, 10.0, false);
pub const SEEDS: Bounds = b("seeds", 1.0, 20.0, true);
pub const POINTS: Bounds = b("angles", 11.0, 2001.0, true);
pub const NOISE: Bounds = b("label noise σ", 0.0, 10.0, false);
pub const N_TEST: Bounds = b("test points", 2.0, 1000.0, true);
pub const LR: Bounds = b("learning rate η", 1e-4, 100.0, false);
pub const STEPS: Bounds = b("steps", 1.0, 5000.0, true);

/// The fields, their URL keys and defaults, in the order of the sidebar.
pub const FIELDS: [(&str, &str); 30] = [
    ("view", "kernel"),
    ("preset", "none"),
    ("dist", "circle"),
    ("nu", "3"),
    ("n", "64"),
    ("d", "2"),
    ("proj", "0"),
    ("dseed", "0"),
    ("depth", "3"),
    ("act", "relu"),
    ("alpha", "0.1"),
    ("param", "ntk"),
    ("widths", "64, 256, 1024"),
    ("w", "1.4142"),
    ("bias", "1"),
    ("b", "0.1"),
    ("target", "harmonics"),
    ("degrees", "1, 4"),
    ("noise", "0"),
    ("ntest", "100"),
    ("lr", "0.5"),
    ("steps", "100"),
    ("snaps", "0, 10, 100"),
    ("ktrain", "0"),
    ("kernel", "ntk"),
    ("metric", "frob"),
    ("log", "1"),
    ("seeds", "3"),
    ("points", "201"),
    ("hide", ""),
];

/// The targets the page offers: (URL name, label).
pub const TARGETS: [(&str, &str); 4] = [
    ("harmonics", "harmonics of degrees k (cos kγ on the circle)"),
    ("product", "x₁·x₂ (Jacot et al. Fig. 1)"),
    ("teacher", "a random teacher network (width 512)"),
    ("random", "random ±1 labels"),
];

/// The memory a job of the page may use: the numeric core's WebAssembly budget
/// (1 GB; see `ntk_core::budget`). Jobs are estimated in bytes before they are sent.
pub const PAGE_BUDGET: u64 = ntk_core::budget::WASM_BUDGET;

/// Sidebar groups that teacher mode can hide as a whole (`hide=data,view`).
pub const GROUPS: [&str; 5] = ["data", "network", "training", "view", "presets"];

/// The distributions the page offers: (JSON name, label).
pub const DISTRIBUTIONS: [(&str, &str); 9] = [
    ("circle", "circle, equally spaced (d = 2)"),
    ("sphere", "uniform on the sphere"),
    ("gaussian", "Gaussian N(0, I)"),
    ("uniform", "uniform [−√3, √3]ᵈ (bounded)"),
    ("rademacher", "Rademacher ±1 (sub-Gaussian)"),
    ("laplace", "Laplace (sub-exponential)"),
    ("exponential", "centred exponential (sub-exponential)"),
    ("student_t", "Student-t, ν d.o.f. (heavy-tailed)"),
    ("upload", "your data (CSV file below)"),
];

/// The activations the page offers: (JSON name, label in the menu).
pub const ACTIVATIONS: [(&str, &str); 14] = [
    ("relu", "ReLU"),
    ("leaky_relu", "leaky ReLU (α)"),
    ("abs", "|x|"),
    ("erf", "erf"),
    ("gelu", "GELU (exact)"),
    ("sin", "sin"),
    ("cos", "cos"),
    ("identity", "identity (linear)"),
    ("tanh", "tanh (quadrature)"),
    ("sigmoid", "sigmoid (quadrature)"),
    ("softplus", "softplus (quadrature)"),
    ("silu", "SiLU / swish (quadrature)"),
    ("elu", "ELU (α, quadrature)"),
    ("abrelu", "ABReLU (a = −α, b = 1)"),
];

/// The activation named `name`, with `alpha` where it takes one (ABReLU: a = −α, b = 1).
pub fn activation_from_name(name: &str, alpha: f64) -> Option<Activation> {
    Activation::from_name(name, alpha, (-alpha, 1.0))
}

/// Whether the activation takes α.
pub fn takes_alpha(name: &str) -> bool {
    matches!(name, "leaky_relu" | "elu" | "abrelu")
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
        _ => return None,
    })
}

fn flag(key: &str, raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("{key} must be 0 or 1")),
    }
}

/// A list of widths: "64, 256, 1024".
pub fn parse_widths(raw: &str) -> Result<Vec<usize>, String> {
    let msg = "widths must be 1 to 8 whole numbers between 1 and 16384, separated by commas";
    let widths = raw
        .split(',')
        .map(|w| {
            WIDTH
                .parse(w)
                .map(|v| v as usize)
                .map_err(|_| msg.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    if widths.is_empty() || widths.len() > 8 {
        return Err(msg.into());
    }
    // Narrow to wide, each once: "widest" is the largest, and a repeated width would
    // only repeat a point (and make a log-log fit degenerate).
    let mut widths = widths;
    widths.sort_unstable();
    widths.dedup();
    Ok(widths)
}

/// A list of 1 to `max` whole numbers in [0, `hi`] separated by commas ("1, 4").
fn parse_list(raw: &str, max: usize, hi: f64, what: &str) -> Result<Vec<usize>, String> {
    let msg = || {
        format!("{what} must be 1 to {max} whole numbers between 0 and {hi}, separated by commas")
    };
    let bounds = b("list", 0.0, hi, true);
    let v = raw
        .split(',')
        .map(|t| bounds.parse(t).map(|v| v as usize).map_err(|_| msg()))
        .collect::<Result<Vec<_>, _>>()?;
    if v.is_empty() || v.len() > max {
        return Err(msg());
    }
    Ok(v)
}

/// The degrees of the harmonics target: "1, 4".
pub fn parse_degrees(raw: &str) -> Result<Vec<usize>, String> {
    parse_list(raw, 6, 64.0, "degrees")
}

/// The snapshot steps of the function plot: "0, 20, 200".
pub fn parse_snapshots(raw: &str) -> Result<Vec<usize>, String> {
    let mut v = parse_list(raw, 5, STEPS.max, "snapshot steps")?;
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Teacher mode: the controls (field keys) and groups to hide, or `all`.
pub fn parse_hide(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let known = t == "all"
                || GROUPS.contains(&t)
                || FIELDS
                    .iter()
                    .any(|(k, _)| *k == t && !matches!(*k, "hide" | "view"));
            if known {
                Ok(t.to_string())
            } else {
                Err(format!(
                    "hide lists controls or groups to hide (data, network, training, view, presets, all, or a control such as depth); '{t}' is none of them"
                ))
            }
        })
        .collect()
}

/// The problem with one field's raw text, in words; `None` if it is valid.
pub fn field_error(key: &str, raw: &str) -> Option<String> {
    let bounds = |b: Bounds| b.parse(raw).err();
    match key {
        "dist" => (raw != "upload" && distribution(raw, 3.0).is_none())
            .then(|| "unknown distribution".to_string()),
        "nu" => bounds(NU),
        "n" => bounds(N),
        "d" => bounds(D),
        "proj" | "bias" | "log" => flag(key, raw).err(),
        "dseed" => bounds(DATA_SEED),
        "depth" => bounds(DEPTH),
        "act" => activation_from_name(raw, 0.0)
            .is_none()
            .then(|| "unknown activation".into()),
        "alpha" => bounds(ALPHA),
        "param" => (!matches!(raw, "ntk" | "standard"))
            .then(|| "parameterization must be ntk or standard".into()),
        "widths" => parse_widths(raw).err(),
        "w" => bounds(W_STD),
        "b" => bounds(B_STD),
        "kernel" => (!matches!(raw, "ntk" | "nngp")).then(|| "kernel must be ntk or nngp".into()),
        "seeds" => bounds(SEEDS),
        "points" => bounds(POINTS),
        "view" => raw.parse::<View>().err(),
        "preset" => (raw != "none" && preset(raw).is_none()).then(|| "unknown preset".into()),
        "target" => (!TARGETS.iter().any(|(v, _)| *v == raw)).then(|| "unknown target".into()),
        "degrees" => parse_degrees(raw).err(),
        "noise" => bounds(NOISE),
        "ntest" => bounds(N_TEST),
        "lr" => bounds(LR),
        "steps" => bounds(STEPS),
        "snaps" => parse_snapshots(raw).err(),
        "ktrain" => flag(key, raw).err(),
        "metric" => (!matches!(raw, "frob" | "max"))
            .then(|| "distance must be frob (Frobenius) or max (largest entry)".into()),
        "hide" => parse_hide(raw).err(),
        _ => Some(format!("unknown field '{key}'")),
    }
}

/// Field values by key.
pub type Values = BTreeMap<&'static str, String>;

/// The defaults.
pub fn defaults() -> Values {
    FIELDS.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Read a URL hash or query ("#a=1&b=2", "a=1&b=2"): each valid field is taken, each
/// invalid or missing one keeps its default; the notices say what was ignored. A
/// valid `preset=id` makes that preset's values the defaults, so that a short link
/// such as `#preset=lazy&hide=all` opens the preset (in teacher mode).
pub fn from_query(query: &str) -> (Values, Vec<String>) {
    let q = query.trim_start_matches(['#', '?']);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let chosen = pairs
        .iter()
        .find(|(k, _)| k == "preset")
        .and_then(|(_, v)| preset(v));
    let mut values = chosen.map_or_else(defaults, preset_values);
    let mut notices = Vec::new();
    for (k, v) in pairs {
        match FIELDS.iter().find(|(key, _)| *key == k) {
            Some((key, _)) => match field_error(key, &v) {
                None => {
                    values.insert(key, v);
                }
                Some(e) => notices.push(format!(
                    "ignored {k}={v} from the link: {e}; using the default"
                )),
            },
            None => notices.push(format!("ignored unknown field '{k}' in the link")),
        }
    }
    (values, notices)
}

/// The URL hash of a set of values (every field, in sidebar order), form-encoded.
pub fn to_query(values: &Values) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            FIELDS
                .iter()
                .map(|(k, d)| (*k, values.get(k).map_or(*d, String::as_str))),
        )
        .finish()
}

/// A teaching preset: a name for the menu, what to look at, and the fields it sets
/// (every other field takes its default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// Two or three sentences: what the preset shows and what to look at.
    pub text: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
}

/// The presets of the menu, in teaching order.
pub const PRESETS: [Preset; 6] = [
    Preset {
        id: "jacot",
        title: "Jacot et al. 2018, Fig. 1",
        text: "The NTK of a ReLU network with 4 layers (3 hidden, σ_w = 1, β = 0.1) between x₀ = (1, 0) and the points of the circle, for 10 random initialisations, at initialisation (blue) and after 200 steps of gradient descent with η = 1 on the target x₁·x₂ at 4 Gaussian inputs (orange, dashed) (Jacot, Gabriel & Hongler 2018, arXiv:1806.07572). Look at the spread: the narrow network's kernel scatters and moves during training, the wide one sits on the black infinite-width curve and hardly moves. The paper compares widths 500 and 10 000; a 10 000-wide network (3·10⁸ weights) does not fit in a browser tab, so this preset compares 100 and 1000.",
        fields: &[
            ("view", "kernel"),
            ("dist", "gaussian"),
            ("d", "2"),
            ("n", "4"),
            ("depth", "3"),
            ("w", "1"),
            ("b", "0.1"),
            ("widths", "100, 1000"),
            ("seeds", "10"),
            ("points", "61"),
            ("ktrain", "1"),
            ("target", "product"),
            ("lr", "1"),
            ("steps", "200"),
        ],
    },
    Preset {
        id: "spectral-bias",
        title: "Spectral bias on the circle",
        text: "A two-layer ReLU network learns cos γ + cos 4γ + cos 8γ on 64 points of the circle. There the kernel's eigenfunctions are the Fourier modes, and the residual of frequency k decays like e^(−λ_k t/N): low frequencies, with large eigenvalues, are learned first (Rahaman et al. 2019, arXiv:1806.08734; Basri et al. 2019, arXiv:1906.00425). Look at the spectral-bias plot: frequency 1 is gone almost at once, 4 and 8 follow in order; each measured residual (solid) is drawn beside the theory for this very network (dashed: its linearisation, from its own initial function and empirical NTK); frequency 1 follows it down to a floor where the finite-width kernel mixes the modes; the slower modes leave it late in training, where the network's NTK has moved (the drift plot): the gap between a net and its linearisation falls like 1/√width (compare the two widths' gaps in the loss legend).",
        fields: &[
            ("view", "training"),
            ("dist", "circle"),
            ("n", "64"),
            ("depth", "1"),
            ("widths", "1024, 16384"),
            ("target", "harmonics"),
            ("degrees", "1, 4, 8"),
            ("lr", "1"),
            ("steps", "1000"),
            ("snaps", "0, 30, 300, 1000"),
            ("ntest", "200"),
        ],
    },
    Preset {
        id: "lazy",
        title: "Lazy training: wider nets move less",
        text: "Two-layer networks of widths 64 to 4096 trained by gradient descent beside the infinite-width kernel dynamics. The relative change of the empirical NTK during training falls with the width, roughly like 1/√m, so wide nets train like their linearisation (Lee et al. 2019, arXiv:1902.06720; Chizat, Oyallon & Bach 2019, arXiv:1812.07956). Look at the drift plot (log scale): each fourfold increase of the width lowers the curve by about half; and in the loss plots each net (solid) approaches its own linearisation (dotted; the gap is in the legend). The dashed black curve is the expected loss over random initialisations of infinitely wide nets: single nets scatter around it, because each starts from its own random function.",
        fields: &[
            ("view", "training"),
            ("dist", "circle"),
            ("n", "32"),
            ("depth", "1"),
            ("widths", "64, 256, 1024, 4096"),
            ("target", "harmonics"),
            ("degrees", "1, 2"),
            ("lr", "1"),
            ("steps", "400"),
            ("snaps", "0, 40, 400"),
        ],
    },
    Preset {
        id: "tails",
        title: "Heavy tails against Gaussians: convergence with width",
        text: "The distance between the empirical NTK of random networks and its infinite-width limit, against the width, on inputs with Gaussian, sub-Gaussian (Rademacher), sub-exponential (Laplace) and heavy-tailed (Student-t, ν = 3) coordinates in d = 8. Theory predicts fluctuations of order 1/√m of each entry (Hanin & Nica 2019, arXiv:1909.05989; the limit itself is Jacot et al. 2018): each line should fall with slope near −1/2, like the dashed reference, and the tails change the prefactor more than the rate. Switch the distance to the largest entry: heavy tails give rare large inputs, and the worst entry converges more slowly in practice.",
        fields: &[
            ("view", "convergence"),
            ("dist", "student_t"),
            ("nu", "3"),
            ("d", "8"),
            ("n", "32"),
            ("depth", "2"),
            ("widths", "64, 128, 256, 512, 1024"),
            ("seeds", "5"),
        ],
    },
    Preset {
        id: "labels",
        title: "True against random labels: the generalization bound",
        text: "The data-dependent bound √(2 yᵀ(H^∞)⁻¹y / n) of Arora et al. 2019 (arXiv:1901.08584) for a smooth target (harmonics of degree 1 and 2 on the sphere in d = 10) and for random labels of the same size. Look at the gap: for the smooth target the bound falls as n grows, for random labels it stays near its ceiling, as the networks' test error does. The learning curve of kernel regression and its fitted rate are beside it.",
        fields: &[
            ("view", "generalization"),
            ("dist", "sphere"),
            ("d", "10"),
            ("n", "400"),
            ("depth", "1"),
            ("target", "harmonics"),
            ("degrees", "1, 2"),
            ("ntest", "200"),
        ],
    },
    Preset {
        id: "parameterization",
        title: "Standard against NTK parameterization",
        text: "The same networks in the standard parameterization (weights N(0, σ_w²/fan-in), no 1/√m in the forward pass): their NTK grows with the width, so the finite widths do not approach one curve: each width is drawn beside its own analytic kernel (dotted), and there is no single infinite-width curve (Sohl-Dickstein et al. 2020, arXiv:2001.07301). Switch parameterization to NTK in the sidebar: the narrow and the wide nets then scatter around one infinite-width kernel (Jacot et al. 2018).",
        fields: &[
            ("view", "kernel"),
            ("param", "standard"),
            ("depth", "2"),
            ("widths", "64, 256, 1024"),
            ("seeds", "3"),
        ],
    },
];

/// The preset named `id`.
pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

/// The field values of a preset: the defaults, the preset's fields, and `preset=id`.
pub fn preset_values(p: &Preset) -> Values {
    let mut v = defaults();
    for (k, val) in p.fields {
        if let Some((key, _)) = FIELDS.iter().find(|(f, _)| f == k) {
            v.insert(key, val.to_string());
        }
    }
    v.insert("preset", p.id.to_string());
    v
}

/// Which panels the page shows (and computes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Kernel,
    Convergence,
    Training,
    Generalization,
}

impl View {
    /// Every view, in the order of the tabs.
    pub const ALL: [View; 4] = [
        View::Kernel,
        View::Convergence,
        View::Training,
        View::Generalization,
    ];

    /// Its tab's label.
    pub fn label(self) -> &'static str {
        match self {
            View::Kernel => "Kernel & spectrum",
            View::Convergence => "Convergence with width",
            View::Training => "Training & spectral bias",
            View::Generalization => "Generalization",
        }
    }

    /// Its URL value.
    pub fn key(self) -> &'static str {
        match self {
            View::Kernel => "kernel",
            View::Convergence => "convergence",
            View::Training => "training",
            View::Generalization => "generalization",
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

/// Everything the page's results depend on, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub view: View,
    /// The network of the sidebar (infinite width; for the standard parameterization
    /// its width is the widest finite width).
    pub network: FcNetwork,
    /// What the worker computes for the view: the core's experiments.
    pub job: Vec<Experiment>,
    /// Log axes where they fit.
    pub log: bool,
    /// The convergence panel's distance: the largest entry (else Frobenius).
    pub max_entry: bool,
}

/// Build the config, or the list of (field, message) problems: each field's own,
/// then those between fields (e.g. snapshot steps beyond the number of steps).
pub fn build(values: &Values) -> Result<Config, Vec<(&'static str, String)>> {
    build_with(values, None)
}

/// [`build`] with the user's uploaded data, used when `dist=upload`.
pub fn build_with(
    values: &Values,
    upload: Option<&UserPoints>,
) -> Result<Config, Vec<(&'static str, String)>> {
    let mut errors: Vec<(&'static str, String)> = FIELDS
        .iter()
        .filter_map(|(k, _)| {
            let raw = values.get(k).map_or("", String::as_str);
            field_error(k, raw).map(|e| (*k, e))
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let num = |k: &str, b: Bounds| b.parse(get(k)).unwrap_or(b.min);
    let dist = distribution(get("dist"), num("nu", NU)).unwrap_or(Distribution::Gaussian);
    let user = if get("dist") == "upload" {
        match upload {
            Some(u) => Some(u.clone()),
            None => {
                return Err(vec![(
                    "dist",
                    "your data: no file is loaded; choose a CSV file under Data (a link cannot carry an uploaded file)".into(),
                )])
            }
        }
    } else {
        None
    };
    let circle = dist == Distribution::Circle && user.is_none();
    let d = match &user {
        Some(u) => u.cols,
        None if circle => 2,
        None => num("d", D) as usize,
    };
    let widths = parse_widths(get("widths")).unwrap_or_else(|_| vec![64]);
    let standard = get("param") == "standard";
    let activation =
        activation_from_name(get("act"), num("alpha", ALPHA)).unwrap_or(Activation::Relu);
    let network = FcNetwork {
        depth: num("depth", DEPTH) as usize,
        activation,
        w_std: num("w", W_STD),
        b_std: if flag("bias", get("bias")).unwrap_or(true) {
            Some(num("b", B_STD))
        } else {
            None
        },
        parameterization: if standard {
            Parameterization::Standard
        } else {
            Parameterization::Ntk
        },
        width: Some(*widths.last().unwrap_or(&64)),
    };
    let view: View = get("view").parse().unwrap_or(View::Kernel);
    let seed = num("dseed", DATA_SEED) as u64;
    let target = match get("target") {
        "product" => Target::Product,
        "teacher" => Target::Teacher {
            spec: MlpSpec::from_network(&network, 512),
            seed: seed + 1,
        },
        "random" => Target::RandomLabels { seed },
        _ => Target::Harmonics {
            degrees: parse_degrees(get("degrees"))
                .unwrap_or_default()
                .into_iter()
                .map(|k| (k, 1.0))
                .collect(),
        },
    };
    let data = DataSpec {
        distribution: dist,
        n: user.as_ref().map_or(num("n", N) as usize, |u| u.rows),
        d,
        project: flag("proj", get("proj")).unwrap_or(false),
        seed,
        points: user.clone(),
    };
    let steps = num("steps", STEPS) as usize;
    let snapshots = parse_snapshots(get("snaps")).unwrap_or_default();
    let ktrain = flag("ktrain", get("ktrain")).unwrap_or(false);
    // Problems between fields, for the view in use. The widest network must fit in a
    // browser tab: estimated in bytes (the network twice, as training keeps its
    // initialisation, its passes on the training and test sets, and the Gram matrices),
    // with the core's own estimates.
    let widest = *widths.iter().max().unwrap_or(&1);
    let hidden = vec![widest; network.depth];
    let n_data = user.as_ref().map_or(num("n", N) as usize, |u| u.rows);
    let needed = ntk_core::budget::train_bytes(d, &hidden, n_data, num("ntest", N_TEST) as usize)
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
    if target == Target::Product && d < 2 {
        errors.push(("target", "x₁·x₂ needs inputs with d ≥ 2".into()));
    }
    if let Target::Harmonics { degrees } = &target {
        if d == 1 && degrees.iter().any(|(k, _)| *k >= 2) {
            errors.push((
                "degrees",
                "in one dimension only degrees 0 and 1 exist (x/|x| is ±1): use d ≥ 2".into(),
            ));
        }
    }
    match view {
        View::Convergence if widths.len() < 3 => errors.push((
            "widths",
            "the convergence panel fits a line: give at least 3 widths".into(),
        )),
        View::Training if snapshots.iter().any(|&s| s > steps) => errors.push((
            "snaps",
            format!("snapshot steps must be at most the number of steps ({steps})"),
        )),
        View::Generalization if data.n < 24 => errors.push((
            "n",
            "the generalization curves need n ≥ 24 training points".into(),
        )),
        View::Kernel if ktrain && d != 2 => errors.push((
            "ktrain",
            "training before measuring the kernel on the circle needs inputs in d = 2".into(),
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let kernel = if get("kernel") == "nngp" {
        KernelKind::Nngp
    } else {
        KernelKind::Ntk
    };
    let seeds = num("seeds", SEEDS) as usize;
    let job = match view {
        View::Kernel => {
            let kernel = kernel::Params {
                network,
                widths,
                seeds,
                kernel,
                points: num("points", POINTS) as usize,
                data,
                train: ktrain.then(|| kernel::Training {
                    target,
                    learning_rate: num("lr", LR),
                    steps,
                }),
            };
            let spectrum = spectrum::Params {
                network: kernel.gram_network(),
                kernel: kernel.kernel,
                data: kernel.data.clone(),
            };
            vec![Experiment::Kernel(kernel), Experiment::Spectrum(spectrum)]
        }
        View::Convergence => vec![Experiment::Convergence(convergence::Params {
            network,
            widths,
            seeds,
            distributions: if user.is_some() {
                convergence::distributions(Distribution::Gaussian, num("nu", NU))
            } else {
                convergence::distributions(dist, num("nu", NU))
            },
            n: data.n,
            d,
            seed,
            user,
        })],
        View::Training => vec![Experiment::Training(training::Params {
            network,
            widths,
            data,
            target,
            noise: num("noise", NOISE),
            n_test: num("ntest", N_TEST) as usize,
            learning_rate: num("lr", LR),
            steps,
            snapshots,
        })],
        View::Generalization => vec![Experiment::Generalization(generalization::Params {
            network,
            data,
            target,
            n_test: num("ntest", N_TEST) as usize,
        })],
    };
    Ok(Config {
        view,
        network,
        job,
        log: flag("log", get("log")).unwrap_or(true),
        max_entry: get("metric") == "max",
    })
}

impl Config {
    /// The experiments that compute this config's results.
    pub fn job(&self) -> Vec<Experiment> {
        self.job.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_values_inside_and_reject_with_a_sentence() {
        assert_eq!(DEPTH.parse(" 10 "), Ok(10.0));
        assert_eq!(W_STD.parse("1.25"), Ok(1.25));
        assert_eq!(
            DEPTH.parse("0"),
            Err("depth L must be a whole number between 1 and 10".into())
        );
        assert!(DEPTH.parse("2.5").is_err());
        assert_eq!(
            W_STD.parse("-1"),
            Err("σ_w must be a number between 0 and 10".into())
        );
        assert!(W_STD.parse("NaN").is_err() && W_STD.parse("inf").is_err());
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
                Experiment::Spectrum(spectrum::Params::default())
            ]
        );
        for (view, name) in [
            ("convergence", "convergence"),
            ("training", "training"),
            ("generalization", "generalization"),
        ] {
            v.insert("view", view.into());
            assert_eq!(job(&v), vec![Experiment::default_named(name).unwrap()]);
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

    #[test]
    fn every_preset_builds_its_view_and_its_url_reproduces_it() {
        assert_eq!(PRESETS.len(), 6);
        for p in &PRESETS {
            let v = preset_values(p);
            let c = build(&v).unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
            let want = p.fields.iter().find(|(k, _)| *k == "view").unwrap().1;
            let view = match c.view {
                View::Kernel => "kernel",
                View::Convergence => "convergence",
                View::Training => "training",
                View::Generalization => "generalization",
            };
            assert_eq!(view, want, "{}", p.id);
            // The link of a preset restores the same fields and so the same job.
            let (back, notices) = from_query(&to_query(&v));
            assert!(notices.is_empty(), "{}: {notices:?}", p.id);
            assert_eq!(back, v);
            assert_eq!(back["preset"], p.id);
            // Each preset's fields exist, and its text cites a paper by year.
            for (k, _) in p.fields {
                assert!(FIELDS.iter().any(|(f, _)| f == k), "{}: {k}", p.id);
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
        assert_eq!(parse_widths("256, 64, 64, 16").unwrap(), vec![16, 64, 256]);
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
