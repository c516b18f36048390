//! The teaching presets of the menu: data (a title, a text, the fields they set).

use crate::config::{defaults, Values};
use crate::fields::find;

/// A teaching preset: a name for the menu, what to look at, and the fields it sets
/// (every other field takes its default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// Two or three sentences: what the preset shows and what to look at.
    pub text: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
    /// Seconds from opening it to the last plot in headless Chromium on a 2-core
    /// machine with 2 Web Workers (`tests/e2e/timings.py`; the plane's presets from
    /// the e2e test's `preset_<id>_load_to_all_plots_s`).
    pub seconds: f64,
}

impl Preset {
    /// The menu's entry: the title and the expected time.
    pub fn menu_label(&self) -> String {
        let s = self.seconds;
        let time = if s < 1.5 {
            "about 1 s".to_string()
        } else if s < 10.0 {
            format!("about {s:.0} s")
        } else {
            format!("about {:.0} s", (s / 5.0).round() * 5.0)
        };
        format!("{} ({time})", self.title)
    }
}

/// The presets of the menu, in teaching order.
pub const PRESETS: [Preset; 16] = [
    Preset {
        id: "jacot",
        title: "Jacot et al. 2018, Fig. 1",
        text: "The NTK of a ReLU network with 4 layers (3 hidden, σ_w = 1, β = 0.1) between x₀ = (1, 0) and the points of the circle, for 10 random initialisations, one line each as in the paper, at initialisation (blue) and after 200 steps of gradient descent with η = 1 on the target x₁·x₂ at 4 Gaussian inputs (orange, dashed) (Jacot, Gabriel & Hongler 2018, arXiv:1806.07572). Look at the spread: the narrow network's kernel scatters and moves during training, the wide one sits on the black infinite-width curve and hardly moves. The paper compares widths 500 and 10 000; a 10 000-wide network (3·10⁸ weights) does not fit in a browser tab, so this preset compares 100 and 1000.",
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
            ("band", "0"),
            ("points", "61"),
            ("ktrain", "1"),
            ("target", "product"),
            ("lr", "1"),
            ("steps", "200"),
        ],
        seconds: 11.0,
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
        seconds: 13.0,
    },
    Preset {
        id: "lazy",
        title: "Lazy training: wider nets move less",
        text: "Two-layer networks of widths 64 to 4096 trained by gradient descent beside the infinite-width kernel dynamics. The relative change of the empirical NTK during training falls with the width, roughly like 1/√m, so wide nets train like their linearisation (Lee et al. 2019, arXiv:1902.06720; Chizat, Oyallon & Bach 2019, arXiv:1812.07956). Look at the drift plots (log scale): each fourfold increase of the width lowers the curve by about half, and the drift at the end of training against the width has a fitted slope beside the theory's bound, a slope of at most −1/2; and in the loss plots each net (solid) approaches its own linearisation (dotted; the gap is in the legend). The dashed black curve is the expected loss over random initialisations of infinitely wide nets: single nets scatter around it, because each starts from its own random function.",
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
        seconds: 1.7,
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
        seconds: 1.5,
    },
    Preset {
        id: "wide-enough",
        title: "How wide is wide enough? (quantiles and depth)",
        text: "The convergence theorems promise |Θ̂ − Θ| ≤ ε with probability 1 − δ once the width is large enough (Arora et al. 2019, arXiv:1904.11955): here is the 0.9 quantile of the distance over 32 random ReLU networks of depth 2 without biases, on Gaussian inputs, falling like 1/√m, with the same for each hidden layer's kernel. Below, at a fixed width 256, the spread of Θ̂(x, x) grows with the depth: the law in L/m (dashed) says how, and a deep net needs a width well above its depth before its NTK is deterministic (Hanin & Nica 2019, arXiv:1909.05989).",
        fields: &[
            ("view", "convergence"),
            ("dist", "gaussian"),
            ("d", "4"),
            ("n", "32"),
            ("depth", "2"),
            ("bias", "0"),
            ("widths", "64, 128, 256, 512, 1024"),
            ("seeds", "32"),
            ("stat", "quantile"),
            ("layers", "1"),
            ("dsweep", "1"),
            ("depths", "1, 2, 4, 8, 16, 32, 64"),
            ("dwidth", "256"),
        ],
        seconds: 9.5,
    },
    Preset {
        id: "streaming-sgd",
        title: "Streaming SGD: finite nets against the kernel",
        text: "Bias-free ReLU networks of depth 2 and widths 32, 128 and 512 trained by SGD on streaming data: every step draws 8 fresh Gaussian samples in d = 4 (Arora et al. 2019, arXiv:1904.11955), beside the same SGD run with the infinite-width NTK on the same samples (dashed). Look at the gap panel: the wider the net, the closer its predictions stay to the kernel's, at the rate 1/√m of the linearisation theorems, and the less its NTK moves. The full-batch training panel above uses the 64 inputs of the data settings.",
        fields: &[
            ("view", "training"),
            ("dist", "gaussian"),
            ("d", "4"),
            ("n", "64"),
            ("depth", "2"),
            ("bias", "0"),
            ("widths", "32, 128, 512"),
            ("seeds", "3"),
            ("lr", "0.5"),
            ("steps", "200"),
            ("snaps", "0, 200"),
            ("sgd", "1"),
            ("batch", "8"),
            ("stream", "1"),
        ],
        seconds: 6.0,
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
        seconds: 1.1,
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
        seconds: 1.2,
    },
    Preset {
        id: "cnn",
        title: "Convolution and pooling against an MLP",
        text: "Signals of length 16, each one bump at a random place, and a target that does not care where the bump is: the circular autocorrelation Σ x_p x_(p+1) / √d. A 1-D CNN with circular convolutions and global average pooling has a kernel that is exactly invariant to shifts (Arora et al. 2019, arXiv:1904.11955); an MLP's kernel sees only the angle between whole signals. Look at the learning curve, then switch the architecture to MLP: at n = 8 the CNN's test error (about 0.016) is far below the MLP's at n = 64 (about 0.10). At the bottom, four architectures at infinite width on Gaussian signals: only the pooled CNN is unchanged by a shift (10⁻¹⁶ against about 0.5), its top eigenvalue holds most of tr Θ, and it learns the target from the fewest signals (at infinite width the parameter count does not enter: this is the architecture's own inductive bias).",
        fields: &[
            ("view", "generalization"),
            ("arch", "cnn1"),
            ("filter", "3"),
            ("pad", "circular"),
            ("pool", "gap"),
            ("dist", "bumps"),
            ("d", "16"),
            ("n", "64"),
            ("depth", "2"),
            ("target", "autocorr"),
            ("ntest", "50"),
        ],
        seconds: 2.6,
    },
    Preset {
        id: "attention",
        title: "Attention: two scalings, two limits",
        text: "Self-attention on 4 tokens of 2 features (a Dense embedding, attention, ReLU, global pooling), with the logits scaled by 1/d_k and queries tied to keys: the logits concentrate, the attention weights become deterministic, and the finite nets close in on the infinite-width kernel of Hron et al. 2020 (arXiv:2006.10540; neural-tangents' GlobalSelfAttention) as the width grows — the bands shrink like m^(−1/2). Now switch the logit scaling to 1/√d_k, the usual one: the logits stay Gaussian and random at every width, the black curve is gone because there is no closed-form limit, the seeds' spread stays wide at m = 512, and the heatmaps compare two random nets of that width, which still disagree by about half the kernel's size.",
        fields: &[
            ("view", "kernel"),
            ("arch", "attn"),
            ("tokens", "4"),
            ("heads", "1"),
            ("scaling", "linear"),
            ("pool", "gap"),
            ("dist", "gaussian"),
            ("d", "8"),
            ("n", "32"),
            ("depth", "1"),
            ("widths", "32, 128, 512"),
            ("seeds", "8"),
        ],
        seconds: 4.0,
    },
    Preset {
        id: "kan",
        title: "KAN against MLP: spectral bias",
        text: "A Kolmogorov–Arnold network (Liu et al. 2024, arXiv:2404.19756) puts a learnable function on every edge, here a cubic B-spline on 8 cells of [−2, 2] plus silu; in the NTK parameterization its NTK has an infinite-width limit (derived in the formulas panel), and KANs of width 32, 128 and 512 close in on it. Below the spectrum, the same circle at infinite width for the sidebar's ReLU MLP and KANs of grids 4, 8 and 16: the MLP's rate per frequency falls fast (spectral bias), a KAN's stays high up to about what its grid resolves (at frequency 8: 0.0025 for the MLP, 0.14 for grid 8, 0.46 for grid 16). So gradient flow needs t ≈ 2200 to learn frequency 8 to 1 % with the MLP, about 40 with grid 8 and 13 with grid 16. A KAN acts on each coordinate, so its kernel is not rotation-invariant (8–9 % of Θ·cos θ leaks to other directions); the Training tab trains finite KANs beside their linearisation.",
        fields: &[
            ("view", "kernel"),
            ("arch", "kan"),
            ("grid", "8"),
            ("order", "3"),
            ("dist", "circle"),
            ("n", "64"),
            ("depth", "1"),
            ("widths", "32, 128, 512"),
            ("seeds", "6"),
            ("target", "harmonics"),
            ("degrees", "1, 4, 8"),
        ],
        seconds: 5.6,
    },
    Preset {
        id: "spurious",
        title: "Spurious features: the activation decides",
        text: "Interpolate N samples z = [x, y] whose label depends on the core part x only, then query a training sample's spurious part y with a fresh core: the model still recalls its label. With ReLU and half the coordinates spurious, the NTK features' alignment falls from 0.31 at N = d = 40 to 0.19 at N = 400, towards the limit γ_NTK = (2α/π)·arcsin α = 1/6 of Bombari & Mondelli 2024 (arXiv:2305.12100), at every width and for the kernel itself. γ is set by the Hermite coefficients of φ': switch φ to tanh and the limit drops to 0.092 (measured 0.14 at N = 400, still falling); softplus or SiLU raise it to 0.25. Below, ridge and early stopping lower the memorization.",
        fields: &[
            ("view", "memorization"),
            ("act", "relu"),
            ("feat", "ntk"),
            ("spfrac", "0.5"),
            ("spd", "40"),
            ("widths", "64, 256, 1024"),
            ("seeds", "3"),
        ],
        seconds: 3.0,
    },
    Preset {
        id: "robustness",
        title: "Robustness needs parameters",
        text: "The sensitivity ‖z‖·‖∇f(z)‖ of a model that interpolates N = 80 random labels in d = 40, against its number of parameters p. The universal law of robustness (Bubeck & Sellke 2021) says S ≳ √(Nd/p), and Bombari, Kiyani & Mondelli 2023 (arXiv:2302.01629) prove that NTK features with an even activation meet it. With cos (even), the NTK model's sensitivity falls from 6.5 at p = 320 to 2.7 at p = 10 240 (slope −0.36 ± 0.06 where the law applies, p ≤ Nd; the law says −½) and grows like N^(0.51 ± 0.03), as √(Nd/p) says; with tanh (not even) it stalls (slope −0.25 ± 0.09 in p, 0.09 ± 0.09 in N) and grows with d. At these sizes random features behave like the NTK model: the theorem's separation between them needs k ≫ N and larger d.",
        fields: &[
            ("view", "memorization"),
            ("act", "cos"),
            ("feat", "ntk"),
            ("spd", "40"),
            ("widths", "64, 256, 1024"),
            ("seeds", "3"),
        ],
        seconds: 3.2,
    },
    Preset {
        id: "xor-kernel",
        title: "XOR: a wide net is a kernel machine",
        text: "A one-hidden-layer ReLU net of width 1024 learns XOR (112 training points, ±1 labels, squared loss) by gradient descent. Press play and compare the four maps: the net, its linearisation around initialisation and the infinite-width NTK prediction form the same four quadrants step by step, because a wide net trains as a kernel machine (Jacot et al. 2018; Lee et al. 2019, arXiv:1902.06720). The net ends within 7 % of its linearisation over the plane and its NTK moves by 3 %; the right-hand map shows where the infinite-width ensemble is still unsure.",
        fields: &[
            ("view", "plane"),
            ("pdata", "xor"),
            ("n", "160"),
            ("ptest", "0.3"),
            ("pwidth", "1024"),
            ("pdepth", "1"),
            ("lr", "1"),
            ("steps", "400"),
            ("alphas", "1"),
            ("frames", "30"),
        ],
        seconds: 4.7,
    },
    Preset {
        id: "spiral-lazy-rich",
        title: "Spiral: lazy against rich",
        text: "Two spirals, learned by a 2-hidden-layer ReLU net of width 128 with output scale α = 0.3, 1 and 30 (the model α·(f_θ − f_θ₀), trained at rate η/α²; Chizat, Oyallon & Bach 2019, arXiv:1812.07956). The animated run is α = 0.3: its NTK moves by more than 100 %, its kernel turns towards the target (alignment 0.040 → 0.14) and it fits the spiral (test loss 0.003), while its linearisation, a kernel machine with the initial NTK, stays at 0.28. At α = 30 the net is lazy: its NTK moves by 4 % and it predicts like its kernel. The lower charts draw this against α.",
        fields: &[
            ("view", "plane"),
            ("pdata", "spiral"),
            ("n", "300"),
            ("pnoise", "0"),
            ("ptest", "0.3"),
            ("pwidth", "128"),
            ("pdepth", "2"),
            ("lr", "2"),
            ("steps", "1200"),
            ("alphas", "0.3, 1, 30"),
            ("frames", "30"),
        ],
        seconds: 23.8,
    },
    Preset {
        id: "kernel-unsure",
        title: "Where the kernel is unsure",
        text: "Two Gaussian blobs with only 30 training points. The right-hand map is the standard deviation of the infinite-width prediction over random initialisations (neural-tangents' gradient_descent_mse_ensemble with compute_cov=True; Lee et al. 2019, eq. 16): about 0.01 on the data and up to 0.4 in the empty corners, where what a net predicts depends on its initialisation more than on the data. It shrinks with training time near the points only.",
        fields: &[
            ("view", "plane"),
            ("pdata", "gaussians"),
            ("n", "40"),
            ("ptest", "0.25"),
            ("pwidth", "1024"),
            ("pdepth", "1"),
            ("lr", "1"),
            ("steps", "300"),
            ("alphas", "1"),
            ("frames", "30"),
        ],
        seconds: 2.6,
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
        if let Some(f) = find(k) {
            v.insert(f.key, val.to_string());
        }
    }
    v.insert("preset", p.id.to_string());
    v
}
