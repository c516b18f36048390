//! The page: header (name, job status with progress and cancel), sidebar of grouped
//! controls, panels. State lives in named fields mirrored to the URL hash.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;

use crate::client::{BackendKind, ComputeClient};
use crate::config::{
    self, from_query, parse_hide, preset, preset_values, takes_alpha, to_query, Values, View,
    ACTIVATIONS, ALPHA, B_STD, D, DATA_SEED, DEPTH, DISTRIBUTIONS, FIELDS, GROUPS, LR, N, NOISE,
    NU, N_TEST, POINTS, PRESETS, SEEDS, STEPS, TARGETS, W_STD,
};
use crate::protocol::{JobTracker, Request, Response};
use crate::ui::figure::now_ms;
use crate::ui::results::Results;
use crate::ui::{
    ConvergencePanel, FormulasPanel, GeneralizationPanel, KernelPanel, NumberControl,
    SelectControl, SpectrumPanel, TextControl, ToggleControl, TrainingPanels,
};
use ntk_core::experiments::{Experiment, UserPoints};

const PARAMETERIZATIONS: [(&str, &str); 2] = [
    ("ntk", "NTK (Jacot et al.)"),
    ("standard", "standard (width-dependent)"),
];
const KERNELS: [(&str, &str); 2] = [("ntk", "NTK Θ"), ("nngp", "NNGP kernel K")];
const METRICS: [(&str, &str); 2] = [
    ("frob", "relative Frobenius ‖Θ̂ − Θ‖_F/‖Θ‖_F"),
    ("max", "largest entry max|Θ̂ − Θ|"),
];

/// The CSS that hides the controls and groups listed in `hide` (teacher mode).
pub fn hide_css(hide: &str) -> String {
    let items = parse_hide(hide).unwrap_or_default();
    let mut rules = Vec::new();
    for item in &items {
        if item == "all" {
            rules.push(".sidebar, #toggle-controls, #preset-menu".to_string());
        } else if item == "presets" {
            rules.push("#preset-menu".to_string());
        } else if GROUPS.contains(&item.as_str()) {
            rules.push(format!("#group-{item}-section"));
        } else {
            rules.push(format!(".sidebar .control:has(#{item})"));
        }
    }
    if rules.is_empty() {
        return String::new();
    }
    let mut css = format!("{} {{ display: none !important; }}", rules.join(", "));
    if items.iter().any(|i| i == "all") {
        css.push_str(" .app { grid-template-columns: 1fr !important; grid-template-areas: \"top\" \"main\" !important; }");
    }
    css
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
    // The user's uploaded file (never in the URL: a link cannot carry it).
    let upload = RwSignal::new(None::<UserPoints>);
    let built =
        Memo::new(move |_| upload.with(|u| values.with(|v| config::build_with(v, u.as_ref()))));
    let config = Memo::new(move |_| built.with(|b| b.as_ref().ok().cloned()));
    // Only a change of the job recomputes: view-only fields (log axes, the distance
    // shown, hidden controls) redraw from the results they have.
    let job = Memo::new(move |_| config.with(|c| c.as_ref().map(|c| c.job())));

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
            Response::Partial { part, .. } => results.update(|r| r.insert(generation, part)),
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

    let send = move |experiments: Vec<Experiment>| {
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
                experiments,
            })
        });
    };
    // config → job, debounced: a new change supersedes the pending and running job.
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let Some(job) = job.get() else {
            return;
        };
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        if debounce_ms == 0 {
            send(job);
        } else {
            let h =
                set_timeout_with_handle(move || send(job), Duration::from_millis(debounce_ms)).ok();
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
            let problems = built.with(|b| match b {
                Err(e) => e
                    .iter()
                    .map(|(_, m)| m.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                Ok(_) => String::new(),
            });
            return format!(
                "A control holds an invalid value ({problems}): fix it to recompute; the last plots stay."
            );
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
    let is_circle =
        Signal::derive(move || matches!(f.get("dist").get().as_str(), "circle" | "upload"));
    let f = fields.clone();
    let is_upload = Signal::derive(move || f.get("dist").get() == "upload");
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
    let f = fields.clone();
    let view_field = f.get("view");
    // The view follows its field, not the built config, so that an invalid value
    // elsewhere keeps the panels (and their last plots) in place.
    let current_view = Signal::derive(move || view_field.get().parse::<View>().ok());
    let max_entry =
        Signal::derive(move || config.with(|c| c.as_ref().is_some_and(|c| c.max_entry)));
    // Presets: choosing one sets every field (the defaults and the preset's own).
    let preset_field = fields.get("preset");
    let apply_preset = {
        let f = fields.clone();
        move |id: String| {
            if let Some(p) = preset(&id) {
                f.set_all(&preset_values(p));
            } else {
                f.get("preset").set("none".into());
            }
        }
    };
    let preset_text = move || preset(&preset_field.get()).map(|p| (p.title, p.text));
    let preset_modified = move || {
        preset(&preset_field.get()).is_some_and(|p| {
            let now = values.get();
            let mut want = preset_values(p);
            want.insert("hide", now.get("hide").cloned().unwrap_or_default());
            now != want
        })
    };
    let copied = RwSignal::new(false);
    // Teacher mode: `hide=…` in the URL hides controls and groups.
    let hide_field = fields.get("hide");
    let hidden_css = move || hide_css(&hide_field.get());
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
                <style id="teacher-mode">{hidden_css}</style>
                <label class="preset-menu" id="preset-menu">
                    <span class="label">"Preset"</span>
                    <select
                        id="preset"
                        prop:value=move || preset_field.get()
                        on:change=move |ev| apply_preset(event_target_value(&ev))
                    >
                        <option value="none">"— choose a preset —"</option>
                        {PRESETS
                            .iter()
                            .map(|p| view! { <option value=p.id>{p.title}</option> })
                            .collect::<Vec<_>>()}
                    </select>
                </label>
                <button
                    type="button"
                    id="share-link"
                    class="share"
                    title="Copy a link to this exact state (every control is in the URL)"
                    on:click=move |_| {
                        if let Some(w) = web_sys::window() {
                            let href = w.location().href().unwrap_or_default();
                            let _ = w.navigator().clipboard().write_text(&href);
                            copied.set(true);
                            set_timeout(move || copied.set(false), Duration::from_millis(2000));
                        }
                    }
                >
                    {move || if copied.get() { "Link copied" } else { "Copy link" }}
                </button>
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
                <section class="group" id="group-data-section" aria-labelledby="group-data">
                    <h2 id="group-data">"Data"</h2>
                    <SelectControl
                        id="dist"
                        label="distribution"
                        help="Inputs for the heatmaps and the spectrum, each coordinate with mean 0 and variance 1; the circle gives Fourier modes."
                        options=&DISTRIBUTIONS
                        value=g("dist")
                    />
                    <UploadControl upload=upload dist=g("dist") />
                    <NumberControl id="nu" label="ν (Student-t)" help="Degrees of freedom of the Student-t inputs (> 2 for a finite variance)." bounds=NU step=0.1 value=g("nu") disabled=Signal::derive(move || !is_student.get()) />
                    <NumberControl id="n" label="n (points)" help="Number of inputs: the Gram matrices are n × n (your file's rows when you upload data)." bounds=N step=1.0 value=g("n") disabled=is_upload />
                    <NumberControl id="d" label="dimension d" help="Input dimension (the circle is d = 2; your file's columns when you upload data)." bounds=D step=1.0 value=g("d") disabled=is_circle />
                    <ToggleControl id="proj" label="project onto the sphere" help="Scale every input to unit norm; the analytic eigenvalues by degree then apply." value=g("proj") />
                    <NumberControl id="dseed" label="data seed" help="The same seed gives the same inputs and the same random network." bounds=DATA_SEED step=1.0 value=g("dseed") />
                </section>
                <section class="group" id="group-network-section" aria-labelledby="group-network">
                    <h2 id="group-network">"Network"</h2>
                    <NumberControl id="depth" label="depth L" help="Number of hidden layers, each Dense → φ; a Dense readout follows." bounds=DEPTH step=1.0 value=g("depth") />
                    <SelectControl id="act" label="activation φ" help="Closed-form dual kernels where they exist; Gauss–Hermite quadrature (64 × 64 nodes) otherwise." options=&ACTIVATIONS value=g("act") />
                    <NumberControl id="alpha" label="α" help="Leaky ReLU's slope, ELU's scale, ABReLU's −a." bounds=ALPHA step=0.01 value=g("alpha") disabled=Signal::derive(move || !needs_alpha.get()) />
                    <SelectControl id="param" label="parameterization" help="NTK: weights N(0,1) scaled by σ_w/√n_in. Standard: weights N(0, σ_w²/n_in); its NTK grows with the width (the analytic curve uses the widest width)." options=&PARAMETERIZATIONS value=g("param") />
                    <TextControl id="widths" label="widths m" help="Finite widths to compare with infinite width, e.g. 64, 256, 1024 (up to 8, each ≤ 16384; used narrow to wide, each once; the job must fit in the tab's 1 GB)." value=g("widths") />
                    <NumberControl id="w" label="σ_w (w_std)" help="Weight standard deviation; σ_w = √2 ≈ 1.414 keeps ReLU layers at unit variance." bounds=W_STD step=0.01 value=g("w") />
                    <ToggleControl id="bias" label="bias parameters" help="Off: the network has no biases (b_std = null in neural-tangents)." value=g("bias") />
                    <NumberControl id="b" label="σ_b (b_std)" help="Bias standard deviation; adds σ_b² to the kernel at every layer." bounds=B_STD step=0.01 value=g("b") disabled=no_bias />
                </section>
                <section class="group" id="group-training-section" aria-labelledby="group-training">
                    <h2 id="group-training">"Target & training"</h2>
                    <SelectControl id="target" label="target y(x)" help="What the networks learn in the training and generalization panels (and before the kernel is measured again when training is on)." options=&TARGETS value=g("target") />
                    <TextControl id="degrees" label="degrees k" help="Degrees of the harmonics target: P_k(⟨x, e₁⟩/‖x‖), which is cos kγ on the circle, each with amplitude 1 (up to 6)." value=g("degrees") />
                    <NumberControl id="noise" label="label noise σ" help="Gaussian noise added to the training targets." bounds=NOISE step=0.01 value=g("noise") />
                    <NumberControl id="ntest" label="test points" help="Size of the test set (training and generalization panels)." bounds=N_TEST step=1.0 value=g("ntest") />
                    <NumberControl id="lr" label="learning rate η" help="Full-batch gradient descent on (1/2N)‖f − y‖²; above the critical 2N/λ_max it diverges and the panel says so." bounds=LR step=0.01 value=g("lr") />
                    <NumberControl id="steps" label="steps" help="Gradient-descent steps; the time axis is t = η · steps." bounds=STEPS step=1.0 value=g("steps") />
                    <TextControl id="snaps" label="show f at steps" help="Steps at which the learned function is drawn, e.g. 0, 20, 200 (up to 5, at most the number of steps)." value=g("snaps") />
                    <ToggleControl id="ktrain" label="kernel after training" help="Kernel panel: also train each net on the data (target, η, steps above) and draw its kernel afterwards, dashed (Jacot et al. 2018, Fig. 1)." value=g("ktrain") />
                </section>
                <section class="group" id="group-view-section" aria-labelledby="group-view">
                    <h2 id="group-view">"View"</h2>
                    <SelectControl id="kernel" label="kernel" help="The NTK Θ governs gradient descent; the NNGP kernel K is the covariance of the random network's outputs." options=&KERNELS value=g("kernel") />
                    <NumberControl id="seeds" label="seeds per width" help="Random networks for each finite width: each drawn thin (up to 12), with their mean ± 2 standard errors of the mean." bounds=SEEDS step=1.0 value=g("seeds") />
                    <NumberControl id="points" label="angles" help="How many angles γ the circle profile uses." bounds=POINTS step=10.0 value=g("points") />
                    <SelectControl id="metric" label="distance (convergence)" help="How the convergence panel measures the empirical NTK's distance to the analytic one." options=&METRICS value=g("metric") />
                    <ToggleControl id="log" label="log axes" help="Logarithmic axes where they fit: the spectrum, convergence, losses, drift, residuals, bounds." value=g("log") />
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
                <div class="preset-box" id="preset-box">
                    {move || preset_text().map(|(title, text)| view! {
                        <h2 class="preset-title">{format!("Preset: {title}")}</h2>
                        <p class="preset-text">{text}</p>
                        <p class="preset-modified">{move || if preset_modified() { "You have changed settings since loading this preset; choose it again to restore it." } else { "" }}</p>
                    })}
                </div>
                <nav class="tabs" role="tablist" aria-label="Panels">
                    {View::ALL
                        .into_iter()
                        .map(|v| {
                            let (id, label) = (v.key(), v.label());
                            view! {
                                <button
                                    type="button"
                                    role="tab"
                                    class="tab"
                                    id=format!("tab-{id}")
                                    aria-selected=move || if view_field.get() == id { "true" } else { "false" }
                                    on:click=move |_| view_field.set(id.to_string())
                                >
                                    {label}
                                </button>
                            }
                        })
                        .collect::<Vec<_>>()}
                </nav>
                {move || match current_view.get().unwrap_or(View::Kernel) {
                    View::Kernel => view! {
                        <KernelPanel results=results busy=busy symbol=kernel_symbol />
                        <SpectrumPanel results=results busy=busy log=log symbol=kernel_symbol />
                    }.into_any(),
                    View::Convergence => view! {
                        <ConvergencePanel results=results busy=busy log=log max_entry=max_entry />
                    }.into_any(),
                    View::Training => view! {
                        <TrainingPanels results=results busy=busy log=log />
                    }.into_any(),
                    View::Generalization => view! {
                        <GeneralizationPanel results=results busy=busy log=log />
                    }.into_any(),
                }}
                <FormulasPanel network=Signal::derive(move || config.get().map(|c| c.network)) />
            </main>
        </div>
    }
}

/// The own-data control: a CSV file of inputs (and optionally a target column named
/// y, target or label), read in the page, checked, and then used by every panel
/// (`dist=upload`). The file stays in the page: a link cannot carry it.
#[component]
fn UploadControl(upload: RwSignal<Option<UserPoints>>, dist: RwSignal<String>) -> impl IntoView {
    let message = RwSignal::new(None::<Result<String, String>>);
    let on_change = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            let parsed = match text {
                Some(t) => crate::upload::parse_csv(&name, &t),
                None => Err("the file could not be read as text".into()),
            };
            match parsed {
                Ok(points) => {
                    let targets = if points.y.is_some() {
                        "with targets (the target control is not used)"
                    } else {
                        "inputs only (targets from the target control)"
                    };
                    message.set(Some(Ok(format!(
                        "{name}: {} points in d = {}, {targets}",
                        points.rows, points.cols
                    ))));
                    upload.set(Some(points));
                    dist.set("upload".into());
                }
                Err(e) => message.set(Some(Err(format!("{name}: {e}")))),
            }
        });
    };
    view! {
        <div class="control upload" title="A CSV file: one point per line, a coordinate per column; an optional header row, where a column named y, target or label holds the targets.">
            <label for="upload-file"><span class="label">"your data (CSV)"</span></label>
            <input type="file" id="upload-file" accept=".csv,.txt,text/csv,text/plain" aria-describedby="upload-help upload-status" on:change=on_change />
            <p class="help" id="upload-help">"One point per line, a coordinate per column (2–600 rows, 1–64 columns); a header row may name a target column y. Links cannot carry the file."</p>
            <p
                class="upload-status"
                id="upload-status"
                role="status"
                class:error=move || matches!(message.get(), Some(Err(_)))
            >
                {move || match message.get() {
                    Some(Ok(m)) | Some(Err(m)) => m,
                    None => String::new(),
                }}
            </p>
        </div>
    }
}
