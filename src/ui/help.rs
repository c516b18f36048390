//! Help that does not need a pointer: the glossary (a popover opened from the header,
//! closed by its button or Escape) and the "Start here" introduction shown on a first
//! visit until dismissed (remembered in localStorage).

use leptos::prelude::*;

/// The terms the panels use, as the papers define them.
pub const GLOSSARY: [(&str, &str); 9] = [
    (
        "NNGP kernel K",
        "The covariance of a random network's output at initialisation, K(x, x′) = E[f(x) f(x′)], in the limit of infinite width, where f is a Gaussian process (Neal 1996; Lee et al. 2018).",
    ),
    (
        "NTK Θ",
        "The neural tangent kernel Θ(x, x′) = ⟨∂f(x)/∂θ, ∂f(x′)/∂θ⟩: how a gradient step on x moves the output at x′. At infinite width it is deterministic and stays fixed during training, so gradient descent is kernel regression with Θ (Jacot et al. 2018).",
    ),
    (
        "empirical NTK Θ̂",
        "The same inner product of parameter gradients for one finite random network; it approaches Θ as the width m grows, with fluctuations of order 1/√m.",
    ),
    (
        "λ/n",
        "An eigenvalue of the n × n Gram matrix divided by n: it estimates the eigenvalue of the kernel's integral operator on the data distribution, the quantity theory predicts.",
    ),
    (
        "energy",
        "Of an eigenvector on the circle: the share of its squared norm in its dominant Fourier frequency (100 % for an exact Fourier mode).",
    ),
    (
        "Funk–Hecke",
        "On the sphere a kernel of ⟨x, x′⟩ is diagonalised by spherical harmonics; the Funk–Hecke formula gives the eigenvalue μ_k of degree k, repeated by the number of harmonics of that degree. The dashed spectrum is this theory; it holds only for data uniform on a sphere.",
    ),
    (
        "H^∞",
        "The Gram matrix of the two-layer ReLU NTK with a fixed output layer, H^∞_ij = x_iᵀx_j (π − arccos x_iᵀx_j)/(2π) on unit-norm inputs (Du et al. 2019; Arora et al. 2019). Its smallest eigenvalue λ₀ sets the speed of training and enters the generalization bound.",
    ),
    (
        "critical learning rate",
        "The linearised (kernel) dynamics of gradient descent on (1/2N)‖f − y‖² converge only for η < 2N/λ_max(Θ̂): above it the top eigen-direction is multiplied by |1 − ηλ_max/N| > 1 at every step and the loss diverges. A finite network may instead blow up and then settle in a flatter region (the catapult phase, Lewkowycz et al. 2020).",
    ),
    (
        "NTK / standard parameterization",
        "NTK: weights N(0, 1) multiplied by σ_w/√fan-in in the forward pass, so the kernel has a width-independent limit. Standard: weights N(0, σ_w²/fan-in); the same functions at initialisation, but the NTK grows with the width.",
    ),
];

/// The glossary popover: a list of terms, closed by its button or Escape.
#[component]
pub fn Glossary(open: RwSignal<bool>) -> impl IntoView {
    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
        }
    });
    on_cleanup(move || listener.remove());
    view! {
        <div
            class="glossary"
            id="glossary"
            role="dialog"
            aria-modal="false"
            aria-labelledby="glossary-title"
            hidden=move || !open.get()
        >
            <div class="glossary-head">
                <h2 id="glossary-title">"Glossary"</h2>
                <button type="button" class="close-glossary" id="close-glossary" on:click=move |_| open.set(false)>
                    "Close"
                </button>
            </div>
            <dl>
                {GLOSSARY
                    .iter()
                    .map(|(term, text)| view! { <dt>{*term}</dt><dd>{*text}</dd> })
                    .collect::<Vec<_>>()}
            </dl>
        </div>
    }
}

const INTRO_KEY: &str = "ntk-lab-intro";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Whether the introduction was dismissed on this browser before.
pub fn intro_dismissed() -> bool {
    storage()
        .and_then(|s| s.get_item(INTRO_KEY).ok().flatten())
        .is_some_and(|v| v == "dismissed")
}

/// The "Start here" introduction: what the page is, and three ways in.
#[component]
pub fn Intro(open: RwSignal<bool>, glossary: RwSignal<bool>) -> impl IntoView {
    let dismiss = move |_| {
        open.set(false);
        if let Some(s) = storage() {
            let _ = s.set_item(INTRO_KEY, "dismissed");
        }
    };
    view! {
        <section class="intro" id="intro" aria-labelledby="intro-title" hidden=move || !open.get()>
            <h2 id="intro-title">"Start here"</h2>
            <p>
                "A wide neural network trained by gradient descent behaves like a kernel method with its "
                <em>"neural tangent kernel"</em>
                " Θ. This page computes Θ exactly for infinite width and measures it on real finite networks, all in your browser."
            </p>
            <ul>
                <li>"Pick a " <strong>"preset"</strong> " in the header: each sets up one result from the papers and says what to look for."</li>
                <li>"Or move the " <strong>"controls"</strong> ": every plot recomputes, and the link in the address bar keeps the exact state."</li>
                <li>"The " <strong>"tabs"</strong> " choose the question: the kernel and its spectrum, convergence with width, training, generalization. Words you may not know are in the "
                    <button type="button" class="link-button" on:click=move |_| glossary.set(true)>"glossary"</button> "."
                </li>
            </ul>
            <button type="button" class="dismiss-intro" id="dismiss-intro" on:click=dismiss>"Got it"</button>
        </section>
    }
}
