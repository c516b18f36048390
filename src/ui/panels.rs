//! The main area's panels: a title, one sentence on what you are looking at, the plot.

use leptos::prelude::*;
use ntk_plots::{draw_circle_kernel, CircleKernelPlot};

use ntk_core::kernel::Parameterization;

use crate::canvas::draw_on_canvas;
use crate::config::activation_label;
use crate::protocol::JobResult;

/// Θ(x₀, x(γ)) and K(x₀, x(γ)) on the unit circle. Draws the newest accepted result;
/// while a newer job runs the old plot stays, dimmed. The canvas's `data-generation`
/// attribute is the generation of the result it shows.
#[component]
pub fn CircleKernelPanel(
    /// The newest accepted result and its generation.
    #[prop(into)]
    result: Signal<Option<(u64, JobResult)>>,
    /// A newer job is running.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(0u64);
    let plot_error = RwSignal::new(None::<String>);
    let resized = RwSignal::new(0u32);
    let listener = window_event_listener(leptos::ev::resize, move |_| {
        resized.update(|n| *n = n.wrapping_add(1))
    });
    on_cleanup(move || listener.remove());

    Effect::new(move |_| {
        resized.track();
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        result.with(|r| {
            let Some((generation, JobResult::CircleKernel { job, profile })) = r else {
                return;
            };
            let plot = CircleKernelPlot {
                gamma: &profile.gamma,
                ntk: &profile.ntk,
                nngp: &profile.nngp,
                activation: &activation_label(&job.network.activation),
                standard_width: match job.network.parameterization {
                    Parameterization::Standard => job.network.width,
                    Parameterization::Ntk => None,
                },
                depth: job.network.depth,
                w_std: job.network.w_std,
                b_std: job.network.b_std,
            };
            match draw_on_canvas(&canvas, |area, style| {
                draw_circle_kernel(area, &plot, style)
            }) {
                Ok(()) => {
                    plot_error.set(None);
                    drawn.set(*generation);
                }
                Err(e) => plot_error.set(Some(format!("The plot could not be drawn: {e}"))),
            }
        });
    });

    view! {
        <section class="panel" id="circle-panel" aria-labelledby="circle-title">
            <header class="panel-head">
                <h2 id="circle-title">"Kernels on the circle"</h2>
                <p class="what">
                    "The infinite-width NTK Θ and NNGP kernel K between the fixed input x₀ = (1, 0) "
                    "and x(γ) = (cos γ, sin γ) as γ goes round the circle: how strongly a gradient "
                    "step on x₀ moves the network's output at x(γ) (Jacot et al. 2018, Fig. 1)."
                </p>
            </header>
            <div class="plot" class:busy=move || busy.get()>
                <canvas
                    node_ref=canvas_ref
                    class="plot-canvas"
                    role="img"
                    aria-label="Line plot of the analytic NTK and NNGP kernel against the angle γ"
                    data-generation=move || drawn.get().to_string()
                ></canvas>
            </div>
            <p class="panel-error" role="alert">{move || plot_error.get()}</p>
            <details class="formulas">
                <summary>"How it is computed"</summary>
                <p>
                    "Input kernel K⁰ = ⟨x, x'⟩/d, Θ⁰ = 0. Each dense layer, NTK parameterization: "
                    "K ← σ_w²K + σ_b², Θ ← K + σ_w²Θ; standard parameterization: "
                    "Θ ← n_in·K + σ_w²Θ (+1 with biases), then K ← σ_w²K + σ_b². Each activation φ: "
                    "K ← 𝔼[φ(u)φ(v)], Θ ← 𝔼[φ'(u)φ'(v)]·Θ over the Gaussian pair (u, v) with "
                    "covariance K: in closed form (ReLU: the arc-cosine kernel, "
                    "√(K₁₁K₂₂)(sin θ + (π − θ) cos θ)/(2π) and (π − θ)/(2π)), or by Gauss–Hermite "
                    "quadrature for tanh, sigmoid, softplus, SiLU and ELU. L hidden layers, then a "
                    "dense readout; conventions of google/neural-tangents (Novak et al. 2020)."
                </p>
            </details>
        </section>
    }
}
