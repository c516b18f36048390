//! The page: header with the job status, sidebar of grouped controls, panels.

use leptos::prelude::*;

use crate::client::{BackendKind, ComputeClient};
use ntk_core::kernel::Parameterization;

use crate::config::{
    activation_from_name, takes_alpha, Config, DataConfig, NetworkConfig, ACTIVATIONS, ALPHA,
    B_STD, DEPTH, POINTS, WIDTH, W_STD,
};
use crate::protocol::{JobResult, JobTracker, Request, Response};
use crate::ui::{CircleKernelPanel, NumberControl, SelectControl, ToggleControl};

/// The parameterizations the page offers.
const PARAMETERIZATIONS: [(&str, &str); 2] = [
    ("ntk", "NTK (Jacot et al.)"),
    ("standard", "standard (width-dependent)"),
];

/// Milliseconds since page load (0 where there is no `performance`).
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Where the current job stands, for the status line.
#[derive(Debug, Clone, PartialEq)]
enum JobStatus {
    Starting,
    Computing(u64),
    Done { generation: u64, ms: f64 },
    Failed(String),
}

/// The whole page. `backend` chooses where jobs run (a Web Worker on the real page).
#[component]
pub fn App(#[prop(optional)] backend: BackendKind) -> impl IntoView {
    let defaults = Config::default();
    let depth = RwSignal::new(defaults.network.depth.to_string());
    let w_std = RwSignal::new(format!("{:.4}", defaults.network.w_std));
    let has_bias = RwSignal::new(defaults.network.b_std.is_some());
    let b_std = RwSignal::new(defaults.network.b_std.unwrap_or(0.0).to_string());
    let points = RwSignal::new(defaults.data.points.to_string());
    let activation = RwSignal::new(defaults.network.activation.name().to_string());
    let alpha = RwSignal::new("0.1".to_string());
    let parameterization = RwSignal::new("ntk".to_string());
    let width = RwSignal::new(defaults.network.width.to_string());
    let needs_alpha = Signal::derive(move || takes_alpha(&activation.get()));
    let standard = Signal::derive(move || parameterization.get() == "standard");

    // The config, or None while any control holds an invalid value.
    let config = Memo::new(move |_| {
        Some(Config {
            data: DataConfig {
                points: POINTS.parse(&points.get()).ok()? as usize,
            },
            network: NetworkConfig {
                depth: DEPTH.parse(&depth.get()).ok()? as usize,
                activation: {
                    let a = if needs_alpha.get() {
                        ALPHA.parse(&alpha.get()).ok()?
                    } else {
                        0.0
                    };
                    activation_from_name(&activation.get(), a)?
                },
                parameterization: if standard.get() {
                    Parameterization::Standard
                } else {
                    Parameterization::Ntk
                },
                width: if standard.get() {
                    WIDTH.parse(&width.get()).ok()? as usize
                } else {
                    512
                },
                w_std: W_STD.parse(&w_std.get()).ok()?,
                b_std: if has_bias.get() {
                    Some(B_STD.parse(&b_std.get()).ok()?)
                } else {
                    None
                },
            },
        })
    });

    let result = RwSignal::new(None::<(u64, JobResult)>);
    let status = RwSignal::new(JobStatus::Starting);
    let worker_ready = RwSignal::new(false);
    let dropped = RwSignal::new(0u64);
    let tracker = StoredValue::new(JobTracker::default());
    let sent_at = StoredValue::new(0.0f64);

    let on_response = move |response: Response| match response {
        Response::Ready => worker_ready.set(true),
        Response::Done {
            generation,
            result: r,
        } => {
            if tracker.try_update_value(|t| t.accept(generation)) == Some(true) {
                let ms = now_ms() - sent_at.get_value();
                result.set(Some((generation, r)));
                status.set(JobStatus::Done { generation, ms });
            } else {
                dropped.set(tracker.with_value(|t| t.dropped()));
            }
        }
        Response::Failed {
            generation,
            message,
        } => {
            if tracker.try_update_value(|t| t.accept(generation)) == Some(true) {
                status.set(JobStatus::Failed(message));
            } else {
                dropped.set(tracker.with_value(|t| t.dropped()));
            }
        }
    };
    let on_worker_error = move |message: String| status.set(JobStatus::Failed(message));
    let client = ComputeClient::new(backend, on_response, on_worker_error);
    let running_in = match client.kind() {
        BackendKind::Worker => "Web Worker",
        BackendKind::Inline => "page",
    };
    if client.kind() == BackendKind::Inline {
        worker_ready.set(true);
    }
    let client = StoredValue::new_local(client);

    // config → job: every valid change supersedes the running job.
    Effect::new(move |_| {
        let Some(config) = config.get() else {
            return;
        };
        let Some(generation) = tracker.try_update_value(|t| t.start_job()) else {
            return;
        };
        sent_at.set_value(now_ms());
        status.set(JobStatus::Computing(generation));
        client.with_value(|c| {
            c.send(Request {
                generation,
                job: config.circle_job(),
            })
        });
    });

    let busy = Signal::derive(move || matches!(status.get(), JobStatus::Computing(_)));
    let invalid = Signal::derive(move || config.with(Option::is_none));
    let status_text = move || {
        if invalid.get() {
            return "A control holds an invalid value: fix it to recompute; the last plot stays."
                .to_string();
        }
        match status.get() {
            JobStatus::Starting => "Starting…".into(),
            JobStatus::Computing(g) if !worker_ready.get() => {
                format!("Starting the Web Worker; job {g} is queued…")
            }
            JobStatus::Computing(g) => format!("Computing… (job {g}, {running_in})"),
            JobStatus::Done { generation, ms } => {
                format!("Job {generation} done in {ms:.1} ms ({running_in}).")
            }
            JobStatus::Failed(message) => format!("Error: {message}"),
        }
    };
    let status_state = move || match (invalid.get(), status.get()) {
        (true, _) => "invalid",
        (_, JobStatus::Failed(_)) => "error",
        (_, JobStatus::Computing(_)) | (_, JobStatus::Starting) => "computing",
        (_, JobStatus::Done { .. }) => "done",
    };

    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <h1>"NTK Lab"</h1>
                    <span class="tagline">"The Neural Tangent Kernel, computed live in your browser"</span>
                </div>
                <div
                    class="status"
                    id="job-status"
                    role="status"
                    aria-live="polite"
                    data-state=status_state
                    data-backend=running_in
                    data-dropped=move || dropped.get().to_string()
                >
                    <span class="status-dot" aria-hidden="true"></span>
                    <span class="status-text">{status_text}</span>
                </div>
            </header>
            <aside class="sidebar" aria-label="Controls">
                <section class="group" aria-labelledby="group-data">
                    <h2 id="group-data">"Data"</h2>
                    <p class="note">
                        "Inputs on the unit circle in ℝ²: x₀ = (1, 0) and x(γ) = (cos γ, sin γ), γ ∈ [−π, π]."
                    </p>
                    <NumberControl
                        id="points"
                        label="angles"
                        help="How many equally spaced angles γ the kernel is evaluated at."
                        bounds=POINTS
                        step=10.0
                        value=points
                    />
                </section>
                <section class="group" aria-labelledby="group-network">
                    <h2 id="group-network">"Network"</h2>
                    <p class="note">"Fully connected, infinite width."</p>
                    <NumberControl
                        id="depth"
                        label="depth L"
                        help="Number of hidden layers, each Dense → ReLU; a Dense readout follows."
                        bounds=DEPTH
                        step=1.0
                        value=depth
                    />
                    <SelectControl
                        id="activation"
                        label="activation φ"
                        help="The nonlinearity of every hidden layer. Closed-form dual kernels where they exist; Gauss–Hermite quadrature (64 × 64 nodes) otherwise."
                        options=&ACTIVATIONS
                        value=activation
                    />
                    <NumberControl
                        id="alpha"
                        label="α"
                        help="The negative-side parameter: leaky ReLU's slope, ELU's scale, ABReLU's −a."
                        bounds=ALPHA
                        step=0.01
                        value=alpha
                        disabled=Signal::derive(move || !needs_alpha.get())
                    />
                    <SelectControl
                        id="parameterization"
                        label="parameterization"
                        help="NTK: weights N(0,1) scaled by σ_w/√n_in in the forward pass. Standard: weights N(0, σ_w²/n_in); its NTK grows with the width m."
                        options=&PARAMETERIZATIONS
                        value=parameterization
                    />
                    <NumberControl
                        id="width"
                        label="width m"
                        help="Hidden width; enters the NTK only in the standard parameterization."
                        bounds=WIDTH
                        step=1.0
                        value=width
                        disabled=Signal::derive(move || !standard.get())
                    />
                    <NumberControl
                        id="w-std"
                        label="σ_w (w_std)"
                        help="Weight standard deviation; σ_w = √2 ≈ 1.414 keeps ReLU layers at unit variance."
                        bounds=W_STD
                        step=0.01
                        value=w_std
                    />
                    <ToggleControl
                        id="has-bias"
                        label="bias parameters"
                        help="Off: the network has no biases (b_std = null in neural-tangents)."
                        checked=has_bias
                    />
                    <NumberControl
                        id="b-std"
                        label="σ_b (b_std)"
                        help="Bias standard deviation; adds σ_b² to the kernel at every layer."
                        bounds=B_STD
                        step=0.01
                        value=b_std
                        disabled=Signal::derive(move || !has_bias.get())
                    />
                </section>
            </aside>
            <main class="panels">
                <CircleKernelPanel result=result busy=busy />
            </main>
        </div>
    }
}
