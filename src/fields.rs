//! The page's settings as one table: each field's URL key, default, sidebar group,
//! kind (bounds or choices), label and help. The sidebar is rendered from it, every
//! raw value is checked by it ([`parse`]), and the URL codec and presets use its keys.
//! A new setting is one row here and one field of [`crate::config::Settings`].

use ntk_core::activation::Activation;

use crate::config::View;

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

pub const N: Bounds = b("n", 2.0, 2000.0, true);
/// The most inputs outside the Kernel & spectrum tab (its Gram matrices, heatmaps
/// and spectrum take up to [`N`]'s 2000).
pub const N_OTHER_VIEWS: usize = 600;
/// The spectrum's `eig=auto`: every eigenvalue up to this many inputs, above it the
/// top [`EIGEN_AUTO_TOP`] by Lanczos (the full decomposition at n = 2000 takes about
/// 4 s in a browser, the top 100 a fraction of that: README, "Speed").
pub const EIGEN_FULL_MAX: usize = 600;
pub const EIGEN_AUTO_TOP: usize = 100;
pub const D: Bounds = b("dimension d", 1.0, 64.0, true);
pub const NU: Bounds = b("ν", 2.1, 100.0, false);
pub const DATA_SEED: Bounds = b("seed", 0.0, 1e9, true);
pub const DEPTH: Bounds = b("depth L", 1.0, 100.0, true);
pub const ALPHA: Bounds = b("α", 0.0, 5.0, false);
pub const WIDTH: Bounds = b("width m", 1.0, 16384.0, true);
pub const W_STD: Bounds = b("σ_w", 0.0, 10.0, false);
pub const B_STD: Bounds = b("σ_b", 0.0, 10.0, false);
pub const SEEDS: Bounds = b("seeds", 1.0, 64.0, true);
pub const POINTS: Bounds = b("angles", 11.0, 2001.0, true);
pub const NOISE: Bounds = b("label noise σ", 0.0, 10.0, false);
pub const N_TEST: Bounds = b("test points", 2.0, 1000.0, true);
pub const LR: Bounds = b("learning rate η", 1e-4, 100.0, false);
pub const STEPS: Bounds = b("steps", 1.0, 5000.0, true);
pub const FILTER: Bounds = b("filter size", 1.0, 15.0, true);
pub const HEIGHT: Bounds = b("image height h", 1.0, 64.0, true);
pub const TOKENS: Bounds = b("tokens", 1.0, 64.0, true);
pub const HEADS: Bounds = b("heads", 1.0, 16.0, true);
pub const GRID: Bounds = b("spline grid G", 1.0, 64.0, true);
pub const ORDER: Bounds = b("spline degree", 1.0, 5.0, true);

/// The architectures: (value, label).
pub const ARCHITECTURES: [(&str, &str); 6] = [
    ("mlp", "MLP (fully connected)"),
    ("resmlp", "residual MLP"),
    ("cnn1", "1-D CNN (signal of length d)"),
    ("cnn2", "2-D CNN (image h × d/h)"),
    ("attn", "self-attention (T tokens × d/T)"),
    ("kan", "KAN (splines + silu on every edge)"),
];
/// Attention's logit scaling: (value, label).
pub const SCALINGS: [(&str, &str); 2] = [
    ("linear", "1/d_k, Q tied to K (has a limit)"),
    ("sqrt", "1/√d_k, the usual (no limit)"),
];
/// The CNN's border handling: (value, label).
pub const PADDINGS: [(&str, &str); 3] = [
    ("circular", "circular (wraps around)"),
    ("same", "same (zero padding)"),
    ("valid", "valid (no padding)"),
];
/// What follows a CNN's convolutions: (value, label).
pub const POOLINGS: [(&str, &str); 2] = [("gap", "global average pooling"), ("flatten", "flatten")];

/// The sidebar's groups (teacher mode can hide each: `hide=data,view`), and the
/// fields that are not in the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Data,
    Network,
    Training,
    View,
    /// The tabs, the preset menu, teacher mode: not sidebar controls.
    Page,
}

impl Group {
    /// The sidebar's groups, top to bottom.
    pub const SIDEBAR: [Group; 4] = [Group::Data, Group::Network, Group::Training, Group::View];

    /// Its name in `hide=` and in element ids.
    pub fn key(self) -> &'static str {
        match self {
            Group::Data => "data",
            Group::Network => "network",
            Group::Training => "training",
            Group::View => "view",
            Group::Page => "page",
        }
    }

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Data => "Data",
            Group::Network => "Network",
            Group::Training => "Target & training",
            Group::View => "View",
            Group::Page => "Page",
        }
    }
}

/// What teacher mode can hide as a whole besides the sidebar groups.
pub const HIDE_GROUPS: [&str; 5] = ["data", "network", "training", "view", "presets"];

/// Comma-separated whole numbers: "64, 256, 1024".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListKind {
    /// What the message calls them.
    pub what: &'static str,
    pub max_len: usize,
    pub min: f64,
    pub max: f64,
    /// Sorted increasing, each once.
    pub distinct: bool,
}

impl ListKind {
    /// Parse and check the list; the error is a sentence for the user.
    pub fn parse(&self, raw: &str) -> Result<Vec<usize>, String> {
        let msg = || {
            format!(
                "{} must be 1 to {} whole numbers between {} and {}, separated by commas",
                self.what, self.max_len, self.min, self.max
            )
        };
        let bounds = b("list", self.min, self.max, true);
        let mut v = raw
            .split(',')
            .map(|t| bounds.parse(t).map(|v| v as usize).map_err(|_| msg()))
            .collect::<Result<Vec<_>, _>>()?;
        if v.is_empty() || v.len() > self.max_len {
            return Err(msg());
        }
        if self.distinct {
            v.sort_unstable();
            v.dedup();
        }
        Ok(v)
    }
}

/// A field's kind: how its raw text is read and which control shows it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A slider and a number box.
    Number { bounds: Bounds, step: f64 },
    /// A menu: (value, label) pairs.
    Choice(&'static [(&'static str, &'static str)]),
    /// A checkbox: "1" or "0".
    Flag,
    /// A text box of comma-separated whole numbers.
    List(ListKind),
    /// Checked by a function of its own (the view, the preset, teacher mode).
    Special(fn(&str) -> Result<(), String>),
}

/// Reads other fields' raw values (for [`Field::enabled`]).
pub type Lookup<'a> = &'a dyn Fn(&str) -> String;

/// One setting of the page.
#[derive(Clone, Copy)]
pub struct Field {
    /// The URL key and the control's id.
    pub key: &'static str,
    pub default: &'static str,
    pub group: Group,
    /// The label, with the symbol as the papers write it.
    pub label: &'static str,
    /// One sentence of help.
    pub help: &'static str,
    pub kind: Kind,
    /// Whether the control applies given the other fields (greyed out otherwise).
    pub enabled: fn(Lookup) -> bool,
}

fn always(_: Lookup) -> bool {
    true
}

const fn field(
    key: &'static str,
    default: &'static str,
    group: Group,
    label: &'static str,
    help: &'static str,
    kind: Kind,
) -> Field {
    Field {
        key,
        default,
        group,
        label,
        help,
        kind,
        enabled: always,
    }
}

const fn num(bounds: Bounds, step: f64) -> Kind {
    Kind::Number { bounds, step }
}

/// The parameterizations: (value, label).
pub const PARAMETERIZATIONS: [(&str, &str); 3] = [
    ("ntk", "NTK (Jacot et al.)"),
    ("standard", "standard (width-dependent)"),
    ("mup", "μP / mean field (plane tab)"),
];
/// The plane's data sets: (value, label).
pub const PLANE_DATA: [(&str, &str); 6] = [
    ("xor", "XOR (sign of x₁x₂)"),
    ("circle", "circle (inside against outside)"),
    ("gaussians", "two Gaussian blobs"),
    ("spiral", "two spirals"),
    ("surface", "regression surface sin(πx₁)cos(πx₂/2)"),
    ("upload", "your data (CSV: 2 columns and y)"),
];
pub const PLANE_NOISE: Bounds = b("noise", 0.0, 2.0, false);
pub const TEST_SHARE: Bounds = b("test share", 0.05, 0.9, false);
pub const FRAMES: Bounds = b("frames", 2.0, 120.0, true);
pub const PLANE_GRID: Bounds = b("grid", 20.0, 150.0, true);
pub const PLANE_WIDTH: Bounds = b("width m", 1.0, 8192.0, true);
pub const PLANE_DEPTH: Bounds = b("hidden layers", 1.0, 4.0, true);

/// The output scales α: 1 to 8 numbers in (0, 10⁶], the first drawn frame by frame.
pub fn parse_alphas(raw: &str) -> Result<Vec<f64>, String> {
    let msg = || {
        "output scales α must be 1 to 8 numbers in (0, 1000000], separated by commas".to_string()
    };
    let v = raw
        .split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|a| a.is_finite() && *a > 0.0 && *a <= 1e6)
                .ok_or_else(msg)
        })
        .collect::<Result<Vec<f64>, String>>()?;
    if v.is_empty() || v.len() > 8 {
        return Err(msg());
    }
    Ok(v)
}

fn check_alphas(raw: &str) -> Result<(), String> {
    parse_alphas(raw).map(|_| ())
}
/// The kernels shown: (value, label).
pub const KERNELS: [(&str, &str); 2] = [("ntk", "NTK Θ"), ("nngp", "NNGP kernel K")];
/// The memorization panel's feature models: (value, label).
pub const FEATURE_MODELS: [(&str, &str); 2] = [
    ("ntk", "NTK features z ⊗ φ'(Wz)"),
    ("rf", "random features φ(Vz)"),
];
pub const SPURIOUS_FRACTION: Bounds = b("spurious fraction α", 0.05, 0.95, false);
pub const SPURIOUS_D: Bounds = b("dimension of z", 8.0, 120.0, true);
/// The convergence panel's distances: (value, label).
pub const METRICS: [(&str, &str); 3] = [
    ("frob", "relative Frobenius ‖Θ̂ − Θ‖_F/‖Θ‖_F"),
    ("max", "largest entry max|Θ̂ − Θ|"),
    ("sup", "sup over the sphere (d = 2 or 3, on a grid)"),
];
/// The convergence panel's summaries over seeds: (value, label).
pub const STATISTICS: [(&str, &str); 4] = [
    ("mean", "mean ± std"),
    ("quantile", "(1 − δ) quantile"),
    ("worst", "worst seed"),
    ("tail", "tail P(distance > ε)"),
];
pub const BATCH: Bounds = b("batch size", 1.0, 256.0, true);
pub const DELTA: Bounds = b("δ", 0.01, 0.5, false);
pub const EPSILON: Bounds = b("ε", 1e-4, 100.0, false);
pub const DEPTH_WIDTH: Bounds = b("depth sweep width", 8.0, 2048.0, true);
/// The convergence tab's extra dimensions.
pub const DIMS: ListKind = ListKind {
    what: "dimensions",
    max_len: 6,
    min: 1.0,
    max: 512.0,
    distinct: true,
};
/// The depth sweep's depths.
pub const DEPTHS: ListKind = ListKind {
    what: "depths",
    max_len: 8,
    min: 1.0,
    max: 100.0,
    distinct: true,
};

/// The widths: up to 8, each ≤ 16384, used narrow to wide, each once.
pub const WIDTHS: ListKind = ListKind {
    what: "widths",
    max_len: 8,
    min: 1.0,
    max: 16384.0,
    distinct: true,
};
/// The degrees of the harmonics target.
pub const DEGREES: ListKind = ListKind {
    what: "degrees",
    max_len: 6,
    min: 0.0,
    max: 64.0,
    distinct: false,
};
/// The snapshot steps of the function plot.
pub const SNAPSHOTS: ListKind = ListKind {
    what: "snapshot steps",
    max_len: 5,
    min: 0.0,
    max: 5000.0,
    distinct: true,
};

fn check_view(raw: &str) -> Result<(), String> {
    raw.parse::<crate::config::View>().map(|_| ())
}

fn check_preset(raw: &str) -> Result<(), String> {
    if raw == "none" || crate::presets::preset(raw).is_some() {
        Ok(())
    } else {
        Err("unknown preset".into())
    }
}

fn check_hide(raw: &str) -> Result<(), String> {
    parse_hide(raw).map(|_| ())
}

fn check_workers(raw: &str) -> Result<(), String> {
    parse_workers(raw).map(|_| ())
}

/// The `workers` field: `None` for "auto" (the browser's core count), else 1 to
/// [`crate::pool::MAX_WORKERS`].
pub fn parse_workers(raw: &str) -> Result<Option<usize>, String> {
    let max = crate::pool::MAX_WORKERS;
    match raw.trim() {
        "auto" | "" => Ok(None),
        t => match t.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            _ => Err(format!(
                "'auto' or a whole number of workers from 1 to {max}"
            )),
        },
    }
}

fn check_eigen(raw: &str) -> Result<(), String> {
    parse_eigen(raw).map(|_| ())
}

/// How many eigenvalues the spectrum panel computes (the `eig` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eigen {
    /// Every eigenvalue up to [`EIGEN_FULL_MAX`] inputs, else the top [`EIGEN_AUTO_TOP`].
    Auto,
    /// Every eigenvalue (the full decomposition).
    All,
    /// The top k (Lanczos); k ≥ n means all.
    Top(usize),
}

impl Eigen {
    /// The spectrum experiment's `top` for n inputs (`None`: every eigenvalue).
    pub fn top(self, n: usize) -> Option<usize> {
        match self {
            Eigen::All => None,
            Eigen::Auto => (n > EIGEN_FULL_MAX).then_some(EIGEN_AUTO_TOP),
            Eigen::Top(k) => (k < n).then_some(k),
        }
    }
}

/// The `eig` field: "auto", "all", or a whole number k from 1 to 2000.
pub fn parse_eigen(raw: &str) -> Result<Eigen, String> {
    match raw.trim() {
        "auto" | "" => Ok(Eigen::Auto),
        "all" => Ok(Eigen::All),
        t => match t.parse::<usize>() {
            Ok(k) if (1..=N.max as usize).contains(&k) => Ok(Eigen::Top(k)),
            _ => Err(format!(
                "'auto', 'all' or a whole number of eigenvalues from 1 to {}",
                N.max
            )),
        },
    }
}

/// Every setting, in the order of the sidebar (and of the URL).
pub const FIELDS: [Field; 69] = [
    field("view", "kernel", Group::Page, "view", "Which panels are shown and computed.", Kind::Special(check_view)),
    field("preset", "none", Group::Page, "preset", "The teaching preset the settings came from.", Kind::Special(check_preset)),
    field("dist", "circle", Group::Data, "distribution", "Inputs for the heatmaps and the spectrum, each coordinate with mean 0 and variance 1; the circle gives Fourier modes.", Kind::Choice(&DISTRIBUTIONS)),
    Field {
        enabled: |v| v("dist") == "student_t",
        ..field("nu", "3", Group::Data, "ν (Student-t)", "Degrees of freedom of the Student-t inputs (> 2 for a finite variance).", num(NU, 0.1))
    },
    Field {
        enabled: |v| v("dist") != "upload",
        ..field("n", "64", Group::Data, "n (points)", "Number of inputs: the Gram matrices are n × n (your file's rows when you upload data).", num(N, 1.0))
    },
    Field {
        enabled: |v| !matches!(v("dist").as_str(), "circle" | "upload"),
        ..field("d", "2", Group::Data, "dimension d", "Input dimension (the circle is d = 2; your file's columns when you upload data).", num(D, 1.0))
    },
    field("pdata", "xor", Group::Data, "data on the plane", "Learning-on-the-plane tab: the 2-D data set (inputs in [−1, 1]², targets ±1 under squared loss; the surface is a regression), or your CSV of two input columns and a target y.", Kind::Choice(&PLANE_DATA)),
    Field {
        enabled: |v| v("pdata") != "upload",
        ..field("pnoise", "0.05", Group::Data, "noise (plane)", "Classification: Gaussian jitter σ of the inputs; the surface: Gaussian label noise σ.", num(PLANE_NOISE, 0.01))
    },
    field("ptest", "0.3", Group::Data, "test share (plane)", "The share of the points held out for the test loss (drawn hollow).", num(TEST_SHARE, 0.05)),
    field("proj", "0", Group::Data, "project onto the sphere", "Scale every input to unit norm; the analytic eigenvalues by degree then apply.", Kind::Flag),
    field("dseed", "0", Group::Data, "data seed", "The same seed gives the same inputs and the same random network.", num(DATA_SEED, 1.0)),
    field("arch", "mlp", Group::Network, "architecture", "MLP: Dense → φ layers. Residual MLP: each hidden layer after the first adds its input back (x + Dense(φ(x))). CNN: convolutions → φ over the input read as a signal of length d (1-D) or an image of h × d/h pixels (2-D), then pooling or flatten and a Dense readout; the widths are its channels. Self-attention: each input is T tokens of d/T features; a Dense embedding, then L × (attention → φ), pooling or flatten, a Dense readout (neural-tangents' GlobalSelfAttention, Hron et al. 2020). KAN: L Kolmogorov–Arnold layers of width m and a KAN readout (Liu et al. 2024), a B-spline plus silu on every edge; its first layer acts on the coordinates themselves. Kernels of neural-tangents' stax; the KAN's are derived here.", Kind::Choice(&ARCHITECTURES)),
    Field {
        enabled: |v| v("arch").starts_with("cnn"),
        ..field("filter", "3", Group::Network, "filter size", "The convolutions' filter (filter × filter for a 2-D CNN).", num(FILTER, 1.0))
    },
    Field {
        enabled: |v| v("arch").starts_with("cnn"),
        ..field("pad", "circular", Group::Network, "padding", "Circular: the signal wraps around (with global pooling the kernel is then exactly shift-invariant). Same: zero padding, the length is kept. Valid: no padding, each layer shortens the signal by filter − 1.", Kind::Choice(&PADDINGS))
    },
    Field {
        enabled: |v| v("arch").starts_with("cnn") || v("arch") == "attn",
        ..field("pool", "gap", Group::Network, "pooling at the end", "Global average pooling averages each channel over positions (Arora et al. 2019's CNN-GAP; for attention without positional embeddings the network then cannot see the tokens' order); flatten keeps every position for the readout (their vanilla CNN).", Kind::Choice(&POOLINGS))
    },
    Field {
        enabled: |v| v("arch") == "cnn2",
        ..field("height", "4", Group::Network, "image height h", "A 2-D CNN reads each input of d numbers as an image of h rows × d/h columns (h must divide d).", num(HEIGHT, 1.0))
    },
    Field {
        enabled: |v| v("arch") == "attn",
        ..field("tokens", "4", Group::Network, "tokens T", "Attention reads each input of d numbers as T tokens of d/T features (T must divide d).", num(TOKENS, 1.0))
    },
    Field {
        enabled: |v| v("arch") == "attn",
        ..field("heads", "1", Group::Network, "heads", "Attention heads; the key, query and value widths per head are the width m.", num(HEADS, 1.0))
    },
    Field {
        enabled: |v| v("arch") == "attn",
        ..field("scaling", "linear", Group::Network, "logit scaling", "1/d_k with queries tied to keys: the logits concentrate and the NTK has an infinite-width limit (Hron et al. 2020). 1/√d_k: the usual scaling; the attention weights stay random at every width, so there is no analytic kernel and only the Kernel tab applies.", Kind::Choice(&SCALINGS))
    },
    Field {
        enabled: |v| v("arch") == "kan",
        ..field("grid", "8", Group::Network, "spline grid G", "Cells of each edge's B-spline on [−2, 2]: the finest detail a KAN layer resolves is about 4/G (Liu et al. 2024).", num(GRID, 1.0))
    },
    Field {
        enabled: |v| v("arch") == "kan",
        ..field("order", "3", Group::Network, "spline degree", "The B-splines' degree K (3: cubic, as Liu et al.); each edge has G + K spline coefficients and a silu weight.", num(ORDER, 1.0))
    },
    field("depth", "3", Group::Network, "depth L", "Number of hidden layers (Dense → φ, or convolution → φ for a CNN); a Dense readout follows.", num(DEPTH, 1.0)),
    Field {
        enabled: |v| v("arch") != "kan",
        ..field("act", "relu", Group::Network, "activation φ", "Closed-form dual kernels where they exist; graded Gauss–Legendre quadrature (relative error ≤ 3e-13) otherwise. (A KAN's edges have their own: splines and silu.)", Kind::Choice(&ACTIVATIONS))
    },
    Field {
        enabled: |v| takes_alpha(&v("act")) && v("arch") != "kan",
        ..field("alpha", "0.1", Group::Network, "α", "Leaky ReLU's slope, ELU's scale, ABReLU's −a.", num(ALPHA, 0.01))
    },
    Field {
        enabled: |v| v("arch") != "kan",
        ..field("param", "ntk", Group::Network, "parameterization", "NTK: weights N(0,1) scaled by σ_w/√n_in. Standard: weights N(0, σ_w²/n_in); its NTK grows with the width (the analytic curve uses the widest width). A KAN is always in the NTK parameterization.", Kind::Choice(&PARAMETERIZATIONS))
    },
    field("pwidth", "512", Group::Network, "width m (plane)", "Plane tab: the trained net's width (its hidden layers all have it).", num(PLANE_WIDTH, 1.0)),
    field("pdepth", "1", Group::Network, "hidden layers (plane)", "Plane tab: the trained net's hidden layers; each costs a width² product at every grid point of every frame.", num(PLANE_DEPTH, 1.0)),
    field("widths", "64, 256, 1024", Group::Network, "widths m", "Finite widths to compare with infinite width, e.g. 64, 256, 1024 (up to 8, each ≤ 16384; used narrow to wide, each once; the job must fit in the tab's 1 GB).", Kind::List(WIDTHS)),
    field("w", "1.4142", Group::Network, "σ_w (w_std)", "Weight standard deviation; σ_w = √2 ≈ 1.414 keeps ReLU layers at unit variance. For a KAN: the spline terms' scale σ_s.", num(W_STD, 0.01)),
    Field {
        enabled: |v| v("arch") != "kan",
        ..field("bias", "1", Group::Network, "bias parameters", "Off: the network has no biases (b_std = null in neural-tangents). A KAN has none.", Kind::Flag)
    },
    Field {
        enabled: |v| v("bias") == "1" && v("arch") != "kan",
        ..field("b", "0.1", Group::Network, "σ_b (b_std)", "Bias standard deviation; adds σ_b² to the kernel at every layer.", num(B_STD, 0.01))
    },
    field("target", "harmonics", Group::Training, "target y(x)", "What the networks learn in the training and generalization panels (and before the kernel is measured again when training is on).", Kind::Choice(&TARGETS)),
    field("degrees", "1, 4", Group::Training, "degrees k", "Degrees of the harmonics target: P_k(⟨x, e₁⟩/‖x‖), which is cos kγ on the circle, each with amplitude 1 (up to 6).", Kind::List(DEGREES)),
    field("noise", "0", Group::Training, "label noise σ", "Gaussian noise added to the training targets.", num(NOISE, 0.01)),
    field("ntest", "100", Group::Training, "test points", "Size of the test set (training and generalization panels).", num(N_TEST, 1.0)),
    field("lr", "0.5", Group::Training, "learning rate η", "Full-batch gradient descent on (1/2N)‖f − y‖²; above the critical 2N/λ_max it diverges and the panel says so.", num(LR, 0.01)),
    field("steps", "100", Group::Training, "steps", "Gradient-descent steps; the time axis is t = η · steps.", num(STEPS, 1.0)),
    field("snaps", "0, 10, 100", Group::Training, "show f at steps", "Steps at which the learned function is drawn, e.g. 0, 20, 200 (up to 5, at most the number of steps).", Kind::List(SNAPSHOTS)),
    field("ktrain", "0", Group::Training, "kernel after training", "Kernel panel: also train each net on the data (target, η, steps above) and draw its kernel afterwards, dashed (Jacot et al. 2018, Fig. 1).", Kind::Flag),
    field("sgd", "0", Group::Training, "SGD panel", "Also train nets by mini-batch SGD beside the same SGD with the infinite-width NTK (MLP, sampled data; the seeds, widths, η, steps and target above).", Kind::Flag),
    Field {
        enabled: |v| v("sgd") == "1",
        ..field("batch", "8", Group::Training, "batch size", "Samples per SGD step.", num(BATCH, 1.0))
    },
    Field {
        enabled: |v| v("sgd") == "1",
        ..field("stream", "0", Group::Training, "streaming data", "Every SGD step draws fresh samples from the distribution instead of a batch of the n training points.", Kind::Flag)
    },
    field("alphas", "1", Group::Training, "output scales α", "Plane tab: the model is α·(f_θ − f_θ₀), trained at rate η/α² (Chizat, Oyallon & Bach 2019): large α keeps the net on its linearisation (lazy), small α lets it learn features (rich). The first α is drawn frame by frame; with two or more, the drift and the alignment are drawn against α (up to 8).", Kind::Special(check_alphas)),
    field("frames", "30", Group::View, "frames (plane)", "Plane tab: recorded steps, log-spaced from 0 to the last step.", num(FRAMES, 1.0)),
    field("pgrid", "100", Group::View, "grid (plane)", "Plane tab: points per side of the heatmaps over [−1.5, 1.5]².", num(PLANE_GRID, 10.0)),
    field("gentrain", "0", Group::View, "trained net beside the curves", "Generalization tab: at every n of the learning curve, also train a finite net of the widest width by full-batch gradient descent (η and steps of the training settings) and draw its test error beside the kernel's.", Kind::Flag),
    field("bydist", "0", Group::View, "curves by distribution", "Generalization tab: the learning curve and the bound again on Gaussian, Rademacher, Laplace and Student-t inputs (ν above) in the same d, each with its sample's ψ₂ and ψ₁.", Kind::Flag),
    field("kernel", "ntk", Group::View, "kernel", "The NTK Θ governs gradient descent; the NNGP kernel K is the covariance of the random network's outputs. On the plane tab: the infinite-width ensemble drawn, the NTK's (every layer trained) or the NNGP's (the readout alone; at t = ∞ the Gaussian-process posterior).", Kind::Choice(&KERNELS)),
    field("eig", "auto", Group::View, "eigenvalues (spectrum)", "How many eigenvalues of the Gram matrix the spectrum computes: all (the full decomposition, about 9n³ operations: 4 s at n = 2000 in a browser), or the k largest by Lanczos (k ≥ n means all). auto: all up to n = 600, the top 100 above.", Kind::Special(check_eigen)),
    field("seeds", "3", Group::View, "seeds per width", "Random networks for each finite width: each drawn thin (up to 12), with their mean ± 2 standard errors of the mean.", num(SEEDS, 1.0)),
    field("band", "1", Group::View, "seed mean and band", "Each width's seed mean with a band of ± 2 standard errors of the mean; off: the seeds' own curves only, a line each, as Jacot et al. 2018 draw them.", Kind::Flag),
    field("points", "201", Group::View, "angles", "How many angles γ the circle profile uses.", num(POINTS, 10.0)),
    field("metric", "frob", Group::View, "distance (convergence)", "How the convergence panel measures the empirical NTK's distance to the analytic one.", Kind::Choice(&METRICS)),
    field("stat", "mean", Group::View, "summary over seeds (convergence)", "The theorems are high-probability statements: the (1 − δ) quantile over seeds is the ε within which a fraction 1 − δ of networks stay; the tail is the share of seeds farther than ε.", Kind::Choice(&STATISTICS)),
    field("delta", "0.1", Group::View, "δ (failure probability)", "The theorems hold with probability 1 − δ. Convergence tab: the (1 − δ) quantile over seeds (it needs about 2/δ seeds to be more than the worst seed; the plot says when there are fewer). Generalization tab: the δ in the Arora et al. bound's second term √(log(n/(λ₀δ))/n).", num(DELTA, 0.01)),
    Field {
        enabled: |v| v("stat") == "tail",
        ..field("eps", "0.1", Group::View, "ε", "The tail's threshold: the share of seeds whose distance exceeds ε.", num(EPSILON, 0.01))
    },
    field("layers", "0", Group::View, "every layer's kernel", "Also the distance of each hidden layer's kernel Θ̂^(ℓ) (the network cut after layer ℓ, read out by a unit of the next layer) to the analytic NTK of depth ℓ, for the first distribution: one line per layer (MLP only).", Kind::Flag),
    field("dimsweep", "0", Group::View, "Gaussian lines per dimension", "Also Gaussian inputs in each of these dimensions d, one line each (n inputs): how the dimension moves the distance.", Kind::Flag),
    Field {
        enabled: |v| v("dimsweep") == "1",
        ..field("dims", "2, 8, 32", Group::View, "dimensions", "The dimensions of the extra Gaussian lines (up to 6, each ≤ 512).", Kind::List(DIMS))
    },
    field("dsweep", "0", Group::View, "depth sweep", "The spread of Θ̂(x, x) over seeds against the depth at one width, beside its L/m law (MLP only).", Kind::Flag),
    Field {
        enabled: |v| v("dsweep") == "1",
        ..field("depths", "1, 2, 4, 8, 16, 32, 64", Group::View, "depths", "The depth sweep's depths (up to 8, each ≤ 100); one network of the largest depth per seed is cut at each.", Kind::List(DEPTHS))
    },
    Field {
        enabled: |v| v("dsweep") == "1",
        ..field("dwidth", "256", Group::View, "depth sweep width", "The depth sweep's width m; the law's variable is L/m.", num(DEPTH_WIDTH, 1.0))
    },
    field("feat", "ntk", Group::View, "features (memorization)", "The model of the memorization panel: the NTK features z ⊗ φ'(Wz) of a two-layer net's first layer (k neurons), or random features φ(Vz) (k features); both with the sidebar's activation and widths k, and the kernel at k = ∞.", Kind::Choice(&FEATURE_MODELS)),
    field("spfrac", "0.5", Group::View, "spurious fraction α", "The share d_y/d of the coordinates of z = [x, y] that are spurious (y): the label depends on x only.", num(SPURIOUS_FRACTION, 0.05)),
    field("spd", "40", Group::View, "dimension of z", "d of the memorization panel's samples z = [x, y] ~ N(0, I_d); N runs from d to 10d (the theory needs d ≪ N ≪ d²).", num(SPURIOUS_D, 1.0)),
    field("log", "1", Group::View, "log axes", "Logarithmic axes where they fit: the spectrum, convergence, losses, drift, residuals, bounds.", Kind::Flag),
    field("hide", "", Group::Page, "hidden controls", "Teacher mode: the controls and groups to hide.", Kind::Special(check_hide)),
    field("present", "0", Group::Page, "present", "Projector mode: large type in the page and the plots, controls in a drawer.", Kind::Flag),
    field("workers", "auto", Group::Page, "Web Workers", "How many Web Workers compute, each on its own core: auto (the browser's core count, navigator.hardwareConcurrency, at most 8) or 1 to 8. Read when the page loads.", Kind::Special(check_workers)),
];

/// Whether field `key` affects what tab `view` computes or draws, given the other
/// fields (`v`). The sidebar collapses the others, saying where they apply. Read off
/// [`crate::config::Settings`]' jobs: e.g. the generalization tab's networks are
/// infinite-width (no widths, no seeds), and the training settings reach the kernel
/// tab only when it trains its networks. A test checks every "no" against the jobs.
pub fn used_on(key: &str, view: View, v: Lookup) -> bool {
    use View::*;
    let trains_kernel = v("ktrain") == "1";
    // The memorization panel draws its own data (z = [x, y] Gaussian) and its own
    // two-layer feature models: of the sidebar it reads the activation, the widths
    // and the seeds.
    if view == Memorization {
        return match crate::fields::find(key).map(|f| f.group) {
            Some(Group::Page) => true,
            _ => matches!(
                key,
                "act" | "alpha" | "widths" | "seeds" | "feat" | "spfrac" | "spd" | "log"
            ),
        };
    }
    // The plane tab trains an MLP on its own 2-D data sets.
    if view == Plane {
        return match crate::fields::find(key).map(|f| f.group) {
            Some(Group::Page) => true,
            _ => match key {
                "pnoise" | "n" => v("pdata") != "upload",
                _ => matches!(
                    key,
                    "pdata"
                        | "ptest"
                        | "dseed"
                        | "pdepth"
                        | "act"
                        | "alpha"
                        | "param"
                        | "pwidth"
                        | "w"
                        | "bias"
                        | "b"
                        | "lr"
                        | "steps"
                        | "alphas"
                        | "frames"
                        | "pgrid"
                        | "kernel"
                        | "log"
                ),
            },
        };
    }
    if matches!(
        key,
        "pdata" | "pnoise" | "ptest" | "alphas" | "frames" | "pgrid" | "pwidth" | "pdepth"
    ) {
        return false;
    }
    match key {
        "proj" => view != Convergence,
        // The infinite-width kernels of the standard parameterization take the
        // widest width.
        "widths" => view != Generalization || v("param") == "standard" || v("gentrain") == "1",
        "seeds" => {
            matches!(view, Kernel | Convergence | Memorization)
                || (view == Training && v("sgd") == "1")
        }
        "sgd" => view == Training,
        "bydist" | "gentrain" => view == Generalization,
        "batch" | "stream" => view == Training && v("sgd") == "1",
        "target" | "degrees" => match view {
            Kernel => trains_kernel,
            Convergence | Memorization | Plane => false,
            Training | Generalization => true,
        },
        "noise" | "snaps" => view == Training,
        "ntest" => matches!(view, Training | Generalization),
        "lr" | "steps" => {
            view == Training
                || (view == Kernel && trains_kernel)
                || (view == Generalization && v("gentrain") == "1")
        }
        "ktrain" | "kernel" | "points" | "band" => view == Kernel,
        "metric" | "stat" | "eps" | "layers" | "dsweep" | "depths" | "dwidth" | "dimsweep"
        | "dims" => view == Convergence,
        "delta" => matches!(view, Convergence | Generalization),
        "feat" | "spfrac" | "spd" => view == Memorization,
        _ => true,
    }
}

/// The tabs field `key` is used on, by name ("Training & spectral bias, Generalization").
pub fn used_on_names(key: &str, v: Lookup) -> String {
    View::ALL
        .into_iter()
        .filter(|&view| used_on(key, view, v))
        .map(View::label)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The field with this key.
pub fn find(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// Check a field's raw text against its kind: `Ok` or the problem in words.
pub fn check(f: &Field, raw: &str) -> Result<(), String> {
    match f.kind {
        Kind::Number { bounds, .. } => bounds.parse(raw).map(|_| ()),
        Kind::Choice(options) => {
            if options.iter().any(|(v, _)| *v == raw) {
                Ok(())
            } else {
                Err(format!(
                    "{} must be one of {}",
                    f.label,
                    options
                        .iter()
                        .map(|(v, _)| *v)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
        Kind::Flag => flag(f.key, raw).map(|_| ()),
        Kind::List(l) => l.parse(raw).map(|_| ()),
        Kind::Special(check) => check(raw),
    }
}

/// The problem with one field's raw text, in words; `None` if it is valid.
pub fn field_error(key: &str, raw: &str) -> Option<String> {
    match find(key) {
        Some(f) => check(f, raw).err(),
        None => Some(format!("unknown field '{key}'")),
    }
}

/// A checkbox's value.
pub fn flag(key: &str, raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("{key} must be 0 or 1")),
    }
}

/// Teacher mode: the controls (field keys) and groups to hide, or `all`.
pub fn parse_hide(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let known = t == "all"
                || HIDE_GROUPS.contains(&t)
                || find(t).is_some_and(|f| f.group != Group::Page);
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

/// The targets the page offers: (URL name, label).
pub const TARGETS: [(&str, &str); 7] = [
    ("harmonics", "harmonics of degrees k (cos kγ on the circle)"),
    ("product", "x₁·x₂ (Jacot et al. Fig. 1)"),
    (
        "autocorr",
        "autocorrelation Σ x_p x_(p+1) / √d (shift-invariant)",
    ),
    ("teacher", "a random teacher network (width 512)"),
    ("random", "random ±1 labels"),
    ("bag", "bag of tokens Σ_t x_t1·x_t2/√T (attention)"),
    (
        "order",
        "first − last token (x_11x_12 − x_T1x_T2)/√2 (attention)",
    ),
];

/// The distributions the page offers: (JSON name, label).
pub const DISTRIBUTIONS: [(&str, &str); 10] = [
    ("circle", "circle, equally spaced (d = 2)"),
    ("sphere", "uniform on the sphere"),
    ("gaussian", "Gaussian N(0, I)"),
    ("uniform", "uniform [−√3, √3]ᵈ (bounded)"),
    ("rademacher", "Rademacher ±1 (sub-Gaussian)"),
    ("laplace", "Laplace (sub-exponential)"),
    ("exponential", "centred exponential (sub-exponential)"),
    ("student_t", "Student-t, ν d.o.f. (heavy-tailed)"),
    (
        "bumps",
        "bumps at a random place (signals; images for a 2-D CNN)",
    ),
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
