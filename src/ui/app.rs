//! The page: header (name, job status with progress and cancel), sidebar of grouped
//! controls, panels. State lives in named fields mirrored to the URL hash.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;

use crate::client::{BackendKind, ComputeClient};
use crate::config::{
    self, from_query, takes_alpha, to_query, Values, ACTIVATIONS, ALPHA, B_STD, D, DATA_SEED,
    DEPTH, DISTRIBUTIONS, FIELDS, N, NU, POINTS, SEEDS, W_STD,
};
use crate::protocol::{JobTracker, Part, Request, Response};
use crate::ui::{
    FormulasPanel, KernelPanel, NumberControl, SelectControl, SpectrumPanel, TextControl,
    ToggleControl,
};

const PARAMETERIZATIONS: [(&str, &str); 2] = [
    ("ntk", "NTK (Jacot et al.)"),
    ("standard", "standard (width-dependent)"),
];
const KERNELS: [(&str, &str); 2] = [("ntk", "NTK Θ"), ("nngp", "NNGP kernel K")];

/// Milliseconds since page load (0 where there is no `performance`).
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The named fields, each the raw text of its control.
#[derive(Clone)]
pub struct Fields(Arc<BTreeMap<&'static str, RwSignal<String>>>);

impl Fields {
    fn new(values: &Values) -> Self {
        Fields(Arc::new(
            FIELDS
                .iter()
                .map(|(k, d)| {
                    (
                        *k,
                        RwSignal::new(values.get(k).cloned().unwrap_or_else(|| d.to_string())),
                    )
                })
                .collect(),
        ))
    }

    /// The signal of field `key` (one of [`FIELDS`]).
    pub fn get(&self, key: &str) -> RwSignal<String> {
        self.0[key]
    }

    fn values(&self) -> Values {
        self.0.iter().map(|(k, s)| (*k, s.get())).collect()
    }

    fn set_all(&self, values: &Values) {
        for (k, s) in self.0.iter() {
            if let Some(v) = values.get(k) {
                if s.get_untracked() != *v {
                    s.set(v.clone());
                }
            }
        }
    }
}

/// Where the current job stands, for the status line.
#[derive(Debug, Clone, PartialEq)]
enum JobStatus {
    Starting,
    Computing {
        generation: u64,
        done: usize,
        total: usize,
        stage: String,
    },
    Done {
        generation: u64,
        ms: f64,
    },
    Cancelled,
    Failed(String),
}

/// The latest results, part by part, keyed by [`Part::key`] (old parts stay, dimmed,
/// until new ones arrive).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results(BTreeMap<&'static str, (u64, Part)>);

impl Results {
    /// The newest part of kind `key` and the generation of its job.
    pub fn get(&self, key: &str) -> Option<&(u64, Part)> {
        self.0.get(key)
    }
}

/// The whole page. `backend` chooses where jobs run (a Web Worker on the real page);
/// `debounce_ms` delays a job after the last control change (0 in tests).
#[component]
pub fn App(
    #[prop(optional)] backend: BackendKind,
    #[prop(default = 120)] debounce_ms: u64,
) -> impl IntoView {
    let (initial, notices) = from_query(&location_hash());
    let fields = Fields::new(&initial);
    let notices = RwSignal::new(notices);

    let values = {
        let f = fields.clone();
        Memo::new(move |_| f.values())
    };
    let config = Memo::new(move |_| values.with(config::build).ok());

    let results = RwSignal::new(Results::default());
    let status = RwSignal::new(JobStatus::Starting);
    let worker_ready = RwSignal::new(false);
    let dropped = RwSignal::new(0u64);
    let tracker = StoredValue::new(JobTracker::default());
    let sent_at = StoredValue::new(0.0f64);

    let on_response = move |response: Response| {
        let Some(generation) = response.generation() else {
            worker_ready.set(true);
            return;
        };
        if tracker.try_update_value(|t| t.accept(generation)) != Some(true) {
            dropped.set(tracker.with_value(|t| t.dropped()));
            return;
        }
        match response {
            Response::Ready => {}
            Response::Progress {
                done, total, stage, ..
            } => status.set(JobStatus::Computing {
                generation,
                done,
                total,
                stage,
            }),
            Response::Partial { part, .. } => results.update(|r| {
                r.0.insert(part.key(), (generation, part));
            }),
            Response::Done { .. } => status.set(JobStatus::Done {
                generation,
                ms: now_ms() - sent_at.get_value(),
            }),
            Response::Failed { message, .. } => status.set(JobStatus::Failed(message)),
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

    let send = move |config: config::Config| {
        let Some(generation) = tracker.try_update_value(|t| t.start_job()) else {
            return;
        };
        sent_at.set_value(now_ms());
        status.set(JobStatus::Computing {
            generation,
            done: 0,
            total: 1,
            stage: "queued".into(),
        });
        client.with_value(|c| {
            c.send(Request {
                generation,
                job: config.job(),
            })
        });
    };
    // config → job, debounced: a new change supersedes the pending and running job.
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let Some(config) = config.get() else {
            return;
        };
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        if debounce_ms == 0 {
            send(config);
        } else {
            let h =
                set_timeout_with_handle(move || send(config), Duration::from_millis(debounce_ms))
                    .ok();
            pending.set_value(h);
        }
    });
    // State → URL (a history entry per change), URL → state on back/forward.
    Effect::new(move |_| {
        if config.with(Option::is_none) {
            return;
        }
        let hash = format!("#{}", to_query(&values.get()));
        if location_hash() != hash {
            if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash));
            }
        }
    });
    let from_url = fields.clone();
    let listener = window_event_listener(leptos::ev::popstate, move |_| {
        let (v, n) = from_query(&location_hash());
        from_url.set_all(&v);
        notices.set(n);
    });
    on_cleanup(move || listener.remove());

    let cancel = move |_| {
        tracker.update_value(|t| {
            t.start_job();
        });
        client.with_value(|c| c.cancel());
        status.set(JobStatus::Cancelled);
    };

    let busy = Signal::derive(move || matches!(status.get(), JobStatus::Computing { .. }));
    let invalid = Signal::derive(move || config.with(Option::is_none));
    let status_text = move || {
        if invalid.get() {
            return "A control holds an invalid value: fix it to recompute; the last plots stay."
                .to_string();
        }
        match status.get() {
            JobStatus::Starting => "Starting…".into(),
            JobStatus::Computing { generation, .. } if !worker_ready.get() => {
                format!("Starting the Web Worker; job {generation} is queued…")
            }
            JobStatus::Computing {
                stage, done, total, ..
            } => {
                format!("Computing: {stage} ({done}/{total}, {running_in})")
            }
            JobStatus::Done { generation, ms } => {
                format!("Job {generation} done in {ms:.0} ms ({running_in}).")
            }
            JobStatus::Cancelled => "Cancelled. Change a control to compute again.".into(),
            JobStatus::Failed(message) => format!("Error: {message}"),
        }
    };
    let status_state = move || match (invalid.get(), status.get()) {
        (true, _) => "invalid",
        (_, JobStatus::Failed(_)) => "error",
        (_, JobStatus::Computing { .. }) | (_, JobStatus::Starting) => "computing",
        (_, JobStatus::Cancelled) => "cancelled",
        (_, JobStatus::Done { .. }) => "done",
    };
    let progress = move || match status.get() {
        JobStatus::Computing { done, total, .. } => (done as f64, total.max(1) as f64),
        _ => (1.0, 1.0),
    };

    let f = fields.clone();
    let is_circle = Signal::derive(move || f.get("dist").get() == "circle");
    let f = fields.clone();
    let is_student = Signal::derive(move || f.get("dist").get() == "student_t");
    let f = fields.clone();
    let needs_alpha = Signal::derive(move || takes_alpha(&f.get("act").get()));
    let f = fields.clone();
    let no_bias = Signal::derive(move || f.get("bias").get() != "1");
    let log = {
        let f = fields.clone();
        Signal::derive(move || f.get("log").get() == "1")
    };
    let kernel_symbol = {
        let f = fields.clone();
        Signal::derive(move || {
            if f.get("kernel").get() == "nngp" {
                "K"
            } else {
                "Θ"
            }
        })
    };
    let g = |k: &str| fields.get(k);
    // On a narrow screen the sidebar collapses behind the "Controls" button.
    let controls_open = RwSignal::new(false);

    view! {
        <div class="app" class:controls-open=move || controls_open.get()>
            <header class="topbar">
                <button
                    type="button"
                    id="toggle-controls"
                    class="toggle-controls"
                    aria-controls="sidebar"
                    aria-expanded=move || if controls_open.get() { "true" } else { "false" }
                    on:click=move |_| controls_open.update(|o| *o = !*o)
                >
                    {move || if controls_open.get() { "Hide controls" } else { "Controls" }}
                </button>
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
                    <progress
                        class="status-progress"
                        max=move || progress().1
                        value=move || progress().0
                        aria-label="job progress"
                    ></progress>
                    <button
                        id="cancel-job"
                        class="cancel"
                        type="button"
                        on:click=cancel
                        prop:disabled=move || !busy.get()
                    >
                        "Cancel"
                    </button>
                </div>
            </header>
            <aside class="sidebar" id="sidebar" aria-label="Controls">
                <section class="group" aria-labelledby="group-data">
                    <h2 id="group-data">"Data"</h2>
                    <SelectControl
                        id="dist"
                        label="distribution"
                        help="Inputs for the heatmaps and the spectrum, each coordinate with mean 0 and variance 1; the circle gives Fourier modes."
                        options=&DISTRIBUTIONS
                        value=g("dist")
                    />
                    <NumberControl id="nu" label="ν (Student-t)" help="Degrees of freedom of the Student-t inputs (> 2 for a finite variance)." bounds=NU step=0.1 value=g("nu") disabled=Signal::derive(move || !is_student.get()) />
                    <NumberControl id="n" label="n (points)" help="Number of inputs: the Gram matrices are n × n." bounds=N step=1.0 value=g("n") />
                    <NumberControl id="d" label="dimension d" help="Input dimension (the circle is d = 2)." bounds=D step=1.0 value=g("d") disabled=is_circle />
                    <ToggleControl id="proj" label="project onto the sphere" help="Scale every input to unit norm; the analytic eigenvalues by degree then apply." value=g("proj") />
                    <NumberControl id="dseed" label="data seed" help="The same seed gives the same inputs and the same random network." bounds=DATA_SEED step=1.0 value=g("dseed") />
                </section>
                <section class="group" aria-labelledby="group-network">
                    <h2 id="group-network">"Network"</h2>
                    <NumberControl id="depth" label="depth L" help="Number of hidden layers, each Dense → φ; a Dense readout follows." bounds=DEPTH step=1.0 value=g("depth") />
                    <SelectControl id="act" label="activation φ" help="Closed-form dual kernels where they exist; Gauss–Hermite quadrature (64 × 64 nodes) otherwise." options=&ACTIVATIONS value=g("act") />
                    <NumberControl id="alpha" label="α" help="Leaky ReLU's slope, ELU's scale, ABReLU's −a." bounds=ALPHA step=0.01 value=g("alpha") disabled=Signal::derive(move || !needs_alpha.get()) />
                    <SelectControl id="param" label="parameterization" help="NTK: weights N(0,1) scaled by σ_w/√n_in. Standard: weights N(0, σ_w²/n_in); its NTK grows with the width (the analytic curve uses the widest width)." options=&PARAMETERIZATIONS value=g("param") />
                    <TextControl id="widths" label="widths m" help="Finite widths to compare with infinite width, e.g. 64, 256, 1024 (up to 8, each ≤ 4096)." value=g("widths") />
                    <NumberControl id="w" label="σ_w (w_std)" help="Weight standard deviation; σ_w = √2 ≈ 1.414 keeps ReLU layers at unit variance." bounds=W_STD step=0.01 value=g("w") />
                    <ToggleControl id="bias" label="bias parameters" help="Off: the network has no biases (b_std = null in neural-tangents)." value=g("bias") />
                    <NumberControl id="b" label="σ_b (b_std)" help="Bias standard deviation; adds σ_b² to the kernel at every layer." bounds=B_STD step=0.01 value=g("b") disabled=no_bias />
                </section>
                <section class="group" aria-labelledby="group-view">
                    <h2 id="group-view">"View"</h2>
                    <SelectControl id="kernel" label="kernel" help="The NTK Θ governs gradient descent; the NNGP kernel K is the covariance of the random network's outputs." options=&KERNELS value=g("kernel") />
                    <NumberControl id="seeds" label="seeds per width" help="Random networks averaged for each finite width (mean ± std)." bounds=SEEDS step=1.0 value=g("seeds") />
                    <NumberControl id="points" label="angles" help="How many angles γ the circle profile uses." bounds=POINTS step=10.0 value=g("points") />
                    <ToggleControl id="log" label="log axes" help="Logarithmic axes where they fit (the spectrum)." value=g("log") />
                </section>
            </aside>
            <main class="panels">
            <div class="notices" role="alert">
                    {move || {
                        notices
                            .get()
                            .into_iter()
                            .map(|n| view! { <p class="notice">{n}</p> })
                            .collect::<Vec<_>>()
                    }}
                </div>
                <KernelPanel results=results busy=busy symbol=kernel_symbol />
                <SpectrumPanel results=results busy=busy log=log symbol=kernel_symbol />
                <FormulasPanel network=Signal::derive(move || config.get().map(|c| c.job.network)) />
            </main>
        </div>
    }
}
