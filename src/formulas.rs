//! The formulas panel's content: the exact recursion the lab computes for the chosen
//! network, written out in readable math, with the papers it comes from. Pure (tested
//! natively); the panel only renders it.

use ntk_core::activation::Activation;
use ntk_core::kernel::{FcNetwork, Parameterization};
use ntk_core::layers::architecture::{Architecture, KernelCost, Pooling};
use ntk_core::layers::Padding;

/// One step of the computation: a name and its formula lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    pub lines: Vec<String>,
}

/// A paper: authors and year, title, arXiv id.
pub const PAPERS: [(&str, &str, &str); 14] = [
    (
        "Chizat, Oyallon & Bach 2019",
        "On lazy training in differentiable programming",
        "1812.07956",
    ),
    (
        "Yang & Hu 2021",
        "Feature learning in infinite-width neural networks (μP)",
        "2011.14522",
    ),
    (
        "Jacot, Gabriel & Hongler 2018",
        "Neural Tangent Kernel",
        "1806.07572",
    ),
    (
        "Lee et al. 2019",
        "Wide neural networks of any depth evolve as linear models",
        "1902.06720",
    ),
    (
        "Arora et al. 2019",
        "On exact computation with an infinitely wide neural net",
        "1904.11955",
    ),
    ("Novak et al. 2020", "Neural Tangents", "1912.02803"),
    (
        "Hron et al. 2020",
        "Infinite attention: NNGP and NTK for deep attention networks",
        "2006.10540",
    ),
    (
        "Liu et al. 2024",
        "KAN: Kolmogorov–Arnold networks",
        "2404.19756",
    ),
    (
        "Tsuchida et al. 2021",
        "Avoiding kernel fixed points (ELU, GELU)",
        "2002.08517",
    ),
    (
        "Sohl-Dickstein et al. 2020",
        "On the infinite width limit … standard parameterization",
        "2001.07301",
    ),
    (
        "Hanin & Nica 2019",
        "Finite depth and width corrections to the neural tangent kernel",
        "1909.05989",
    ),
    (
        "Du et al. 2019",
        "Gradient descent provably optimizes over-parameterized neural networks",
        "1810.02054",
    ),
    (
        "Arora et al. 2019",
        "Fine-grained analysis of optimization and generalization for overparameterized two-layer neural networks",
        "1901.08584",
    ),
    (
        "Basri et al. 2019",
        "Convergence rate for functions of different frequencies",
        "1906.00425",
    ),
];

fn num(v: f64) -> String {
    ntk_plots::fmt3(v)
}

/// The dual kernel of φ, in words and symbols.
fn dual_lines(act: &Activation) -> Vec<String> {
    let theta = "θ = arccos(K₁₂ / √(K₁₁K₂₂))".to_string();
    match *act {
        Activation::Relu => vec![
            theta,
            "K₁₂ ← √(K₁₁K₂₂) · (sin θ + (π − θ) cos θ) / (2π)   (arc-cosine kernel, Cho & Saul 2009)".into(),
            "Θ ← Θ · (π − θ) / (2π)".into(),
        ],
        _ if act.abrelu_slopes().is_some() => {
            let (a, b) = act.abrelu_slopes().unwrap_or((0.0, 1.0));
            vec![
                format!("φ(x) = {}·min(x, 0) + {}·max(x, 0);  {theta}", num(a), num(b)),
                format!(
                    "𝔼[φ'φ'] = (a² + b²)/2 − (a − b)²θ/(2π) = {} − {}·θ",
                    num((a * a + b * b) / 2.0),
                    num((a - b) * (a - b) / (2.0 * std::f64::consts::PI))
                ),
                "K₁₂ ← (a − b)²/(2π) · √(K₁₁K₂₂) sin θ + 𝔼[φ'φ'] · K₁₂;   Θ ← 𝔼[φ'φ'] · Θ".into(),
            ]
        }
        Activation::Erf => vec![
            "K₁₂ ← (2/π) arcsin(2K₁₂ / √((1 + 2K₁₁)(1 + 2K₂₂)))   (Williams 1997)".into(),
            "Θ ← Θ · (4/π) / √((1 + 2K₁₁)(1 + 2K₂₂) − 4K₁₂²)".into(),
        ],
        Activation::Gelu => vec![
            "P = (K₁₁ + 1)(K₂₂ + 1), Δ² = P − K₁₂², α = arcsin(K₁₂/√P)".into(),
            "K₁₂ ← K₁₂/4 + [(K₁₂² + K₁₁K₂₂Δ²)/(PΔ) + K₁₂α] / (2π)   (Tsuchida et al. 2021)".into(),
            "Θ ← Θ · [1/4 + α/(2π) + K₁₂/(2πΔ)·(1/Δ² + (1 − K₁₁K₂₂)/P + 1)]".into(),
        ],
        Activation::Sin | Activation::Cos => {
            let s = if matches!(act, Activation::Sin) { "−" } else { "+" };
            vec![
                format!("S = e^(−(K₁₁ + K₂₂)/2):  K₁₂ ← ½ S (e^(K₁₂) {s} e^(−K₁₂))"),
                format!(
                    "Θ ← Θ · ½ S (e^(K₁₂) {} e^(−K₁₂))",
                    if s == "−" { "+" } else { "−" }
                ),
            ]
        }
        Activation::Identity => vec!["K₁₂ unchanged, Θ unchanged (a deep linear network)".into()],
        _ => vec![
            format!("φ = {}: no closed form; both expectations by graded Gauss–Legendre quadrature (relative error ≤ 3e-13):", act.name()),
            "u = √K₁₁ z₁, v = √K₂₂ (ρ z₁ + √(1 − ρ²) z₂), ρ = K₁₂/√(K₁₁K₂₂)".into(),
            "K₁₂ ← 𝔼_z₁[φ(u) 𝔼_z₂ φ(v)],  Θ ← Θ · 𝔼_z₁[φ'(u) 𝔼_z₂ φ'(v)], panels graded towards φ's features".into(),
        ],
    }
}

/// The recursion for `net` read in `arch`, step by step; with `cost`, what the
/// analytic kernels of the data will cost.
pub fn formulas(net: &FcNetwork, arch: &Architecture, cost: Option<KernelCost>) -> Vec<Step> {
    let mut steps = mlp_formulas(net);
    let wall = |ops: u64| {
        // Measured: the README's CNTK benchmark (n = 256 signals of length 32, two
        // circular convolutions, filter 3, global pooling) is 3.6·10⁹ operations by
        // this estimate and takes 2.84 s in Chromium on one core: 1.3·10⁹ a second;
        // 1.2·10⁹ is used (the slower side).
        let s = ops as f64 / 1.2e9;
        if s < 1.0 {
            "under a second".to_string()
        } else {
            format!("about {} s", num(s))
        }
    };
    let cost_step = cost.map(|c| Step {
        title: "Cost of the analytic kernels on these data".into(),
        lines: vec![
            format!(
                "{} pairs of inputs × {} per pair ({} positions) ≈ {} operations, {} of memory: {} in the page",
                c.pairs,
                if c.full_covariance {
                    "P × P position pairs"
                } else {
                    "P positions"
                },
                c.positions,
                num(c.operations as f64),
                ntk_core::error::human_bytes(c.bytes),
                wall(c.operations)
            ),
            "Jobs over the tab's 1 GB are refused before they start.".into(),
        ],
    });
    let dense_lines = steps[1].lines.clone();
    match arch {
        Architecture::Mlp => {}
        Architecture::Kan { grid, order } => {
            let (ss, params) = (net.w_std, grid + order + 1);
            steps = vec![
                Step {
                    title: format!("KAN edge function: B-splines of degree {order} on {grid} cells of [−2, 2], plus silu"),
                    lines: vec![
                        format!("ψ(t) = (silu(t), σ_s B₁(t), …, σ_s B_{}(t)),  σ_s = σ_w = {}; the knots extend {order} cells beyond [−2, 2], where the splines vanish", grid + order, num(ss)),
                        format!("A KAN layer: out_j = (1/√n) Σᵢ a_ij · ψ(xᵢ) with every a ~ N(0, 1) trained ({params} numbers per edge): the NTK parameterization, chosen so that the NTK converges as the width grows (Liu et al. initialise the splines near 0; the layer is the same sum)"),
                    ],
                },
                Step {
                    title: "First layer: on the coordinates themselves (exact)".into(),
                    lines: vec![
                        "K¹(x, x') = (1/d) Σ_c ψ(x_c) · ψ(x'_c),   Θ¹ = K¹   (x is data, not Gaussian: no expectation)".into(),
                    ],
                },
                Step {
                    title: "Later layers: Gaussian inputs of infinite width".into(),
                    lines: vec![
                        format!("K ← 𝔼[silu(u) silu(v)] + {} · Σ_k 𝔼[B_k(u) B_k(v)],  (u, v) ~ N(0, [[K₁₁, K₁₂], [K₁₂, K₂₂]])", num(ss * ss)),
                        format!("Θ ← K + (𝔼[silu'(u) silu'(v)] + {} · Σ_k 𝔼[B_k'(u) B_k'(v)]) · Θ   (an MLP step with a vector-valued activation)", num(ss * ss)),
                        "Spline expectations: 𝔼[B(v) | u] exactly (Gaussian moments on each knot cell), then Gauss–Legendre over u with panels at the knots".into(),
                    ],
                },
                Step {
                    title: format!("Depth L = {}", net.depth),
                    lines: vec![format!(
                        "{} × KAN(m), then a KAN readout of width 1 (Liu et al.'s [d, m, …, m, 1]); no activation, bias or standard parameterization applies",
                        net.depth
                    )],
                },
                steps[4].clone(),
            ];
        }
        Architecture::Layers { layers, .. } => {
            steps[3] = Step {
                title: format!("Layer list ({} layers)", layers.len()),
                lines: vec![layers
                    .iter()
                    .map(ntk_core::layers::kind_name)
                    .collect::<Vec<_>>()
                    .join(" → ")],
            };
        }
        Architecture::ResidualMlp => {
            steps[3] = Step {
                title: format!("Residual MLP, depth L = {}", net.depth),
                lines: vec![
                    format!(
                        "Dense, then {} × residual block x ↦ x + Dense(φ(x)), then φ and a Dense readout",
                        net.depth.saturating_sub(1)
                    ),
                    "Residual block (FanOut → parallel(branch, identity) → FanInSum): K ← K + K_branch, Θ ← Θ + Θ_branch, the branch's K, Θ computed from the block's input".into(),
                ],
            };
        }
        Architecture::Cnn {
            filter,
            padding,
            pooling,
            height,
        } => {
            let (axes, window) = match height {
                Some(_) => (2, format!("{filter} × {filter}")),
                None => (1, filter.to_string()),
            };
            steps[0] = Step {
                title: match height {
                    Some(h) => format!("Input: an image of {h} × d/{h} pixels, one channel"),
                    None => "Input: a signal of length d, one channel".into(),
                },
                lines: vec!["K⁰_pq(x, x') = x_p · x'_q for positions p, q;   Θ⁰ = 0".into()],
            };
            let mut conv = vec![format!(
                "K_pq ← σ_w² · (1/{}) Σ_o K_(p+o)(q+o){}   over the window offsets o ({} padding){}",
                filter.pow(axes),
                if net.b_std.is_some() { " + σ_b²" } else { "" },
                match padding {
                    Padding::Circular => "circular",
                    Padding::Same => "zero, same",
                    Padding::Valid => "valid, no",
                },
                if *padding == Padding::Circular {
                    ": positions wrap around"
                } else {
                    ""
                }
            )];
            conv.push(format!(
                "Θ_pq ← K_pq + σ_w² · (1/{}) Σ_o Θ_(p+o)(q+o)   (the dense rule {} applied to each position pair, averaged over the window)",
                filter.pow(axes),
                dense_lines.first().cloned().unwrap_or_default()
            ));
            steps.insert(
                1,
                Step {
                    title: format!("Convolution, filter {window} (Arora et al. 2019's CNTK)"),
                    lines: conv,
                },
            );
            // The dense step now only describes the readout.
            steps[2].title = format!("Dense readout ({})", steps[2].title);
            steps[3].lines[0] = format!(
                "{}, at every position pair (p, q), with K_pp, K_qq as the variances",
                steps[3].lines[0]
            );
            steps[4] = Step {
                title: match pooling {
                    Pooling::GlobalAvg => "Global average pooling (CNN-GAP)".into(),
                    Pooling::Flatten => "Flatten (vanilla CNN)".into(),
                },
                lines: vec![
                    match pooling {
                        Pooling::GlobalAvg => "K ← (1/P²) Σ_pq K_pq, Θ ← (1/P²) Σ_pq Θ_pq: every position pair is needed (P × P covariances per pair of inputs); with circular padding the kernel is invariant to circular shifts".into(),
                        Pooling::Flatten => "K ← (1/P) Σ_p K_pp, Θ ← (1/P) Σ_p Θ_pp: only matching positions (P entries per pair of inputs); the readout sees where a feature is".into(),
                    },
                    format!(
                        "{} × (Convolution → φ), then the pooling, then the Dense readout",
                        net.depth
                    ),
                ],
            };
        }
        Architecture::Attention {
            tokens,
            heads,
            linear_scaling,
            pooling,
        } => {
            let w2 = net.w_std * net.w_std;
            steps[0] = Step {
                title: format!("Input: {tokens} tokens of d/{tokens} features each"),
                lines: vec![
                    "K⁰_ij(x, x') = x_i · x'_j / C for tokens i, j (C features);   Θ⁰ = 0".into(),
                    "Then a dense embedding of each token (the dense rule below, at every token pair)".into(),
                ],
            };
            let mut lines = vec![
                format!(
                    "{heads} head(s); per head, keys K = xW_K, values V = xW_V, logits S = σ_Qσ_K · {} , A = softmax of each row of S; out = σ_Oσ_V/√(H·d_v·C) · [A₁V₁ … A_HV_H] W_O{}   (NT's GlobalSelfAttention, σ = σ_w = {})",
                    if *linear_scaling {
                        "K Kᵀ/(C·d_k) (queries tied to keys)"
                    } else {
                        "Q Kᵀ/(C·√d_k) (queries Q = xW_Q)"
                    },
                    if net.b_std.is_some() { " + σ_b·b" } else { "" },
                    num(net.w_std)
                ),
            ];
            if *linear_scaling {
                lines.push(format!(
                    "Infinite width (Hron et al. 2020): the logits concentrate, G(x)_ij = softmax_j({} · K(x, x)_ij) is deterministic; K ← {} · G(x) K G(x')ᵀ{},  Θ ← {} · G(x) Θ G(x')ᵀ + 2 · {} · G(x) K G(x')ᵀ{}",
                    num(w2),
                    num(w2 * w2),
                    net.b_std.map_or(String::new(), |b| format!(" + {}", num(b * b))),
                    num(w2 * w2),
                    num(w2 * w2),
                    net.b_std.map_or(String::new(), |b| format!(" + {}", num(b * b))),
                ));
                lines.push(
                    "The 2 counts W_V and W_O; the tied W_K's share of Θ̂ falls like 1/d_k".into(),
                );
            } else {
                lines.push("With 1/√d_k the logits stay Gaussian and random at every width (Hron et al. 2020): no closed-form kernel, so the analytic curves are not drawn; the finite nets' empirical NTK keeps a spread that does not shrink with one head".into());
            }
            steps.insert(
                1,
                Step {
                    title: format!(
                        "Self-attention, {} scaling",
                        if *linear_scaling { "1/d_k" } else { "1/√d_k" }
                    ),
                    lines,
                },
            );
            steps[2].title = format!("Dense embedding and readout ({})", steps[2].title);
            steps[4] = Step {
                title: match pooling {
                    Pooling::GlobalAvg => "Global average pooling over tokens".into(),
                    Pooling::Flatten => "Flatten (each token's position kept)".into(),
                },
                lines: vec![
                    match pooling {
                        Pooling::GlobalAvg => "K ← (1/T²) Σ_ij K_ij, Θ likewise: without positional embeddings the network cannot see the tokens' order (a bag of tokens)".into(),
                        Pooling::Flatten => "K ← (1/T) Σ_i K_ii, Θ likewise: the readout sees each position".into(),
                    },
                    format!(
                        "Dense → {} × (Attention → φ), then the pooling, then the Dense readout",
                        net.depth
                    ),
                ],
            };
        }
    }
    steps.extend(cost_step);
    steps
}

/// The formulas of the tab's own experiment (after the network's).
pub fn view_formulas(view: crate::config::View) -> Vec<Step> {
    use crate::config::View;
    match view {
        View::Convergence => vec![
            Step {
                title: "Convergence with width: distances and their summaries over seeds".into(),
                lines: vec![
                    "relative Frobenius ‖Θ̂ − Θ‖_F/‖Θ‖_F and largest entry max_ij |Θ̂(x_i, x_j) − Θ(x_i, x_j)| on the n inputs; sup over the sphere of radius √d: the largest entry on a grid (d = 2: evenly spaced angles; d = 3: a Fibonacci lattice), its resolution stated".into(),
                    "(1 − δ) quantile over seeds: sorted distances x₍₀₎ ≤ … ≤ x₍S−1₎, h = (S − 1)(1 − δ), q = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) (numpy's linear rule); meaningful for S ≥ 2/δ".into(),
                    "tail: the share of seeds with distance > ε; theorems: P(|Θ̂ − Θ| > ε) ≤ δ once m ≳ L⁶/ε⁴ · log(L/δ) (Arora et al. 2019, arXiv:1904.11955)".into(),
                    "slopes: least squares of log(statistic) on log m, ± the standard error; the reference is m^(−1/2) (Hanin & Nica 2019)".into(),
                    "layer ℓ: Θ̂^(ℓ) is the NTK of h^(ℓ+1)_1, the first unit of layer ℓ + 1 (the net cut after ℓ hidden layers); its limit is the depth-ℓ recursion above".into(),
                ],
            },
            Step {
                title: "Depth over width: the spread of Θ̂(x, x)".into(),
                lines: vec![
                    "Θ̂(x, x) = Σ_{k=1}^{L+1} T_k, T_k = (σ_w²/n_{k−1}) ‖a_{k−1}‖² ‖δ_k‖²: each T_k is its mean times L per-layer ratios, forward below k and backward from k on".into(),
                    "each ratio averages m terms with 𝔼X = 1, 𝔼X² = 6 (ReLU): variance 5/m (Hanin & Nica 2019); a layer's forward and backward ratios covary by 1/m".into(),
                    "Var Θ̂/𝔼[Θ̂]² = (L+1)⁻² Σ_{k,k'} (1 + 5/m)^(L−|k−k'|) (1 + 1/m)^|k−k'| − 1 ≈ (11/3)·L/m for L ≪ m (bias-free ReLU, NTK parameterization)".into(),
                    "fitted c: weighted least squares of log(1 + v) = c·L/m through the origin, weights from the jackknife errors over seeds".into(),
                ],
            },
        ],
        View::Generalization => vec![Step {
            title: "Capacity: λ₀ and the Rademacher bound".into(),
            lines: vec![
                "H^∞_ij = x̂_iᵀx̂_j (π − arccos x̂_iᵀx̂_j)/(2π), x̂ = x/‖x‖: the two-layer ReLU NTK Gram of the first layer (Du et al. 2019, arXiv:1810.02054); λ₀ = λ_min(H^∞) > 0 is what the convergence and generalization theorems need".into(),
                "Arora et al. 2019 (arXiv:1901.08584): test error ≲ √(2 yᵀ(H^∞)⁻¹y / n) + O(√(log(n/(λ₀δ))/n))".into(),
                "Rademacher complexity of the RKHS ball of radius B: ≤ B·√(tr K)/n (Bartlett & Mendelson 2002); the interpolant of y has B² = yᵀK⁻¹y, so the bound drawn is √(yᵀK⁻¹y · tr K)/n with K the analytic NTK Gram".into(),
            ],
        }],
        View::Plane => vec![
            Step {
                title: "Learning on the plane: the net, its linearisation, the kernel".into(),
                lines: vec![
                    "model f_α = α·(f_θ − f_θ₀), trained by gradient descent on (1/2N)‖f_α(X) − y‖² at rate η/α² (Chizat, Oyallon & Bach 2019, arXiv:1812.07956): the net's own step at rate η towards the targets f_θ₀(X) + y/α".into(),
                    "linearisation: f_lin(s + 1) = f_lin(s) − (η/N)·Θ̂₀(·, X)(f_lin(s)(X) − y), f_lin(0) = 0, with the net's own empirical NTK Θ̂₀ at initialisation: the same for every α".into(),
                    "infinite width, at t = η·s: mean Θ(x, X)Θ⁻¹(I − e^{−ηΘt/N})y; covariance of neural-tangents' gradient_descent_mse_ensemble(compute_cov=True) with NNGP K and NTK Θ (Lee et al. 2019, arXiv:1902.06720, eq. 16), from one eigendecomposition of Θ(X, X) with a ridge of 10⁻⁸; with the NNGP kernel chosen, the same with K in place of Θ (the readout alone trained), whose t = ∞ is the Gaussian-process posterior (neural-tangents' gp_inference)".into(),
                    "gap ‖f_α − f_lin‖/‖f_lin‖ over the grid; drift ‖Θ̂_T − Θ̂₀‖_F/‖Θ̂₀‖_F on the training inputs; kernel–target alignment yᵀΘ̂y/(‖Θ̂‖_F‖y‖²)".into(),
                    "μP (Yang & Hu 2021, arXiv:2011.14522): the NTK parameterization with the output ×1/√m and the rate ×m; centred, that is α/√m at the same η. Its NTK moves by Θ(1) at any width, so the infinite-width NTK prediction is its linearisation's limit, not its own".into(),
                ],
            },
        ],
        _ => Vec::new(),
    }
}

/// The MLP's recursion, step by step.
fn mlp_formulas(net: &FcNetwork) -> Vec<Step> {
    let w2 = net.w_std * net.w_std;
    let bias = net.b_std.map(|b| b * b);
    let b_term = bias.map_or(String::new(), |b2| format!(" + σ_b² (= {})", num(b2)));
    let dense = match net.parameterization {
        Parameterization::Ntk => vec![
            format!("K ← σ_w² K{b_term}   with σ_w² = {}", num(w2)),
            "Θ ← K + σ_w² Θ".into(),
        ],
        Parameterization::Standard => vec![
            format!(
                "Θ ← n_in · K + σ_w² Θ{}   (n_in = d for the first layer, m = {} after it)",
                if bias.is_some() { " + 1" } else { "" },
                net.width.unwrap_or(0)
            ),
            format!("K ← σ_w² K{b_term}   with σ_w² = {}", num(w2)),
        ],
    };
    vec![
        Step {
            title: "Input".into(),
            lines: vec!["K⁰(x, x') = ⟨x, x'⟩ / d,   Θ⁰ = 0".into()],
        },
        Step {
            title: format!(
                "Dense layer ({} parameterization)",
                match net.parameterization {
                    Parameterization::Ntk => "NTK",
                    Parameterization::Standard => "standard",
                }
            ),
            lines: dense,
        },
        Step {
            title: format!(
                "Activation φ = {}",
                crate::config::activation_label(&net.activation)
            ),
            lines: {
                let mut l = vec!["K₁₂ ← 𝔼[φ(u)φ(v)], Θ ← 𝔼[φ'(u)φ'(v)] · Θ, (u, v) ~ N(0, [[K₁₁, K₁₂], [K₁₂, K₂₂]])".to_string()];
                l.extend(dual_lines(&net.activation));
                l
            },
        },
        Step {
            title: format!("Depth L = {}", net.depth),
            lines: vec![format!(
                "{} × (Dense → φ), then a Dense readout: Θ(x, x') and K(x, x') are the last K, Θ",
                net.depth
            )],
        },
        Step {
            title: "Gradient descent on (1/2N)‖f − y‖², infinite width".into(),
            lines: vec![
                "f_train(t) = (I − e^(−ηΘt/N)) y,  f_test(t) = Θ(X*, X) Θ⁻¹ (I − e^(−ηΘt/N)) y"
                    .into(),
                "(the ensemble mean from f(0) = 0; t = η·steps; t → ∞: kernel regression)".into(),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_ntk_formulas_show_the_arc_cosine_kernel_and_the_numbers() {
        let steps = formulas(
            &FcNetwork::relu(3, 2f64.sqrt(), Some(0.1)),
            &Architecture::Mlp,
            None,
        );
        let text: String = steps
            .iter()
            .flat_map(|s| s.lines.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("arc-cosine kernel"));
        assert!(text.contains("σ_w² = 2"), "{text}");
        assert!(text.contains("σ_b² (= 0.01)"), "{text}");
        assert!(text.contains("Θ ← K + σ_w² Θ"));
        assert_eq!(steps[3].title, "Depth L = 3");
    }

    #[test]
    fn every_activation_and_parameterization_has_its_own_dual() {
        for (name, _) in crate::fields::ACTIVATIONS {
            let act = crate::fields::activation_from_name(name, 0.2).unwrap();
            let mut net = FcNetwork::relu(2, 1.5, None).with_activation(act);
            let steps = formulas(&net, &Architecture::Mlp, None);
            assert!(steps[2].lines.len() >= 2, "{name}");
            assert!(!steps[1].lines[0].contains("σ_b"), "no bias, no σ_b term");
            net.parameterization = Parameterization::Standard;
            net.width = Some(512);
            assert!(formulas(&net, &Architecture::Mlp, None)[1].lines[0].contains("n_in · K"));
        }
        let tanh = formulas(
            &FcNetwork::relu(1, 1.0, None).with_activation(Activation::Tanh),
            &Architecture::Mlp,
            None,
        );
        assert!(tanh[2].lines.iter().any(|l| l.contains("Gauss–Legendre")));
    }

    #[test]
    fn a_cnn_shows_its_convolution_pooling_and_cost() {
        let arch = Architecture::Cnn {
            filter: 3,
            padding: Padding::Circular,
            pooling: Pooling::GlobalAvg,
            height: None,
        };
        let net = FcNetwork::relu(2, 2f64.sqrt(), Some(0.1));
        let cost = arch.cost(&net, 16, 64, 64).unwrap();
        // 64·65/2 pairs, P = 16 positions, all P² pairs kept.
        assert_eq!(
            (cost.pairs, cost.positions, cost.full_covariance),
            (2080, 16, true)
        );
        let steps = formulas(&net, &arch, Some(cost));
        let titles: Vec<&str> = steps.iter().map(|s| s.title.as_str()).collect();
        assert!(titles[1].starts_with("Convolution, filter 3"), "{titles:?}");
        assert!(titles
            .iter()
            .any(|t| t.starts_with("Global average pooling")));
        assert!(steps.last().unwrap().lines[0].contains("2080 pairs"));
        assert!(steps[1].lines[0].contains("(1/3) Σ_o"), "{:?}", steps[1]);
        let flat = Architecture::Cnn {
            filter: 3,
            padding: Padding::Circular,
            pooling: Pooling::Flatten,
            height: Some(4),
        };
        let steps = formulas(&net, &flat, None);
        assert!(steps[1].lines[0].contains("(1/9) Σ_o"));
        assert!(steps[4].title.starts_with("Flatten"));
        assert!(!flat.cost(&net, 16, 8, 8).unwrap().full_covariance);
        let res = formulas(&net, &Architecture::ResidualMlp, None);
        assert!(res[3].lines[1].contains("K ← K + K_branch"));
    }
}
