//! The page: header (name, job status with progress and cancel), sidebar of grouped
//! controls, panels. State lives in named fields mirrored to the URL hash.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;

use crate::client::{BackendKind, ComputeClient, WorkerEvent};
use crate::config::{self, Values, View};
use crate::fields::{parse_hide, FIELDS, HIDE_GROUPS};
use crate::protocol::{Request, Response};
use crate::runner::{JobRunner, Start};
use crate::ui::figure::{now_ms, FinishedJob};
use crate::ui::header::{CopyLink, ExportPython, PresetBox, PresetMenu, StatusLine};
use crate::ui::help::{intro_dismissed, Glossary, Intro};
use crate::ui::results::Results;
use crate::ui::sidebar::Sidebar;
use crate::ui::{
    ConvergencePanel, FormulasPanel, GeneralizationPanel, KernelPanel, MemorizationPanel,
    PlanePanel, SgdPanel, SpectrumPanel, TrainingPanels,
};
use crate::url::{from_query, to_query};
use ntk_core::experiments::convergence::{self, Statistic};
use ntk_core::experiments::{Experiment, UserPoints};

/// The CSS that hides the controls and groups listed in `hide` (teacher mode).
pub fn hide_css(hide: &str) -> String {
    let items = parse_hide(hide).unwrap_or_default();
    let mut rules = Vec::new();
    for item in &items {
        if item == "all" {
            rules.push(".sidebar, #toggle-controls, #preset-menu".to_string());
        } else if item == "presets" {
            rules.push("#preset-menu".to_string());
        } else if HIDE_GROUPS.contains(&item.as_str()) {
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

/// Teacher mode's stylesheet: constructed, and adopted by the document while its App
/// is mounted.
struct TeacherSheet(web_sys::CssStyleSheet);

impl TeacherSheet {
    fn adopt() -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let sheet = web_sys::CssStyleSheet::new().ok()?;
        let sheets = document.adopted_style_sheets();
        sheets.push(&sheet);
        document.set_adopted_style_sheets(&sheets);
        Some(TeacherSheet(sheet))
    }

    fn set(&self, css: &str) {
        if let Err(e) = self.0.replace_sync(css) {
            web_sys::console::error_2(&"NTK Lab: teacher-mode rules refused".into(), &e);
        }
    }

    fn drop_from_document(&self) {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let kept = document
                .adopted_style_sheets()
                .filter(&mut |s, _, _| s != wasm_bindgen::JsValue::from(self.0.clone()));
            document.set_adopted_style_sheets(&kept);
        }
    }
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Whether present mode is on (large type for projectors): plots read it from the
/// context to scale their text.
#[derive(Clone, Copy)]
pub struct PresentMode(pub Signal<bool>);

/// The named fields, each the raw text of its control.
#[derive(Clone)]
pub struct Fields(Arc<BTreeMap<&'static str, RwSignal<String>>>);

impl Fields {
    fn new(values: &Values) -> Self {
        Fields(Arc::new(
            FIELDS
                .iter()
                .map(|f| {
                    (
                        f.key,
                        RwSignal::new(
                            values
                                .get(f.key)
                                .cloned()
                                .unwrap_or_else(|| f.default.to_string()),
                        ),
                    )
                })
                .collect(),
        ))
    }

    /// The signal of field `key` (a key of [`FIELDS`]).
    pub fn get(&self, key: &str) -> RwSignal<String> {
        self.0[key]
    }

    fn values(&self) -> Values {
        self.0.iter().map(|(k, s)| (*k, s.get())).collect()
    }

    pub fn set_all(&self, values: &Values) {
        for (k, s) in self.0.iter() {
            if let Some(v) = values.get(k) {
                if s.get_untracked() != *v {
                    s.set(v.clone());
                }
            }
        }
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
    // The user's uploaded file (never in the URL: a link cannot carry it).
    let upload = RwSignal::new(None::<UserPoints>);
    let built =
        Memo::new(move |_| upload.with(|u| values.with(|v| config::build_with(v, u.as_ref()))));
    let config = Memo::new(move |_| built.with(|b| b.as_ref().ok().cloned()));
    // Only a change of the job recomputes: view-only fields (log axes, the distance
    // shown, hidden controls) redraw from the results they have.
    let job = Memo::new(move |_| config.with(|c| c.as_ref().map(|c| c.job())));

    let results = RwSignal::new(Results::default());
    let runner = RwSignal::new(JobRunner::new("page", true));
    let on_response = move |response: Response| {
        let shown = runner
            .try_update(|r| r.receive(response, now_ms()))
            .flatten();
        if let Some((generation, part)) = shown {
            results.update(|r| r.insert(generation, part));
        }
    };
    let on_worker_event = move |event: WorkerEvent| match event {
        WorkerEvent::Failed(message) => runner.update(|r| r.worker_failed(message)),
        WorkerEvent::Restarted { reason, resent } => {
            runner.update(|r| r.worker_restarted(&reason, resent))
        }
    };
    // The pool: the link's `workers=`, else one worker per core.
    let hardware = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .filter(|c| c.is_finite() && *c >= 1.0)
        .map(|c| c as usize);
    let requested = initial
        .get("workers")
        .and_then(|w| crate::fields::parse_workers(w).ok())
        .flatten();
    let workers = crate::pool::pool_size(requested, hardware);
    let client = ComputeClient::new(backend, workers, on_response, on_worker_event);
    runner.set(match client.kind() {
        BackendKind::Worker => JobRunner::new("Web Worker", false),
        BackendKind::Inline => JobRunner::new("page", true),
    });
    let running_in = runner.with_untracked(JobRunner::running_in);
    // The page mounts in three main-thread tasks, not one: the header and the status
    // line, then the sidebar, then the panels (each after a zero-delay timeout), so
    // that no task of the load is long. The browser tests' inline backend mounts
    // everything at once.
    let stage = RwSignal::new(if client.kind() == BackendKind::Worker {
        0u8
    } else {
        2
    });
    if stage.get_untracked() < 2 {
        let next = move || {
            let _ = stage.try_update(|s| *s = (*s + 1).min(2));
        };
        set_timeout(
            move || {
                next();
                set_timeout(next, std::time::Duration::ZERO);
            },
            std::time::Duration::ZERO,
        );
    }
    let show_sidebar = Memo::new(move |_| stage.get() >= 1);
    let show_panels = Memo::new(move |_| stage.get() >= 2);
    // Memos, not derived signals: the runner changes with every progress message.
    provide_context(FinishedJob(Signal::from(Memo::new(move |_| {
        runner.with(JobRunner::finished)
    }))));
    let client = StoredValue::new_local(client);

    // The latest request wins: a job that ran before comes from the cache; otherwise
    // the client stops whatever the worker is still computing and sends this one.
    // The key of the job whose results the plots show (or are about to): while the
    // controls ask for another, the plots are dimmed.
    let shown_key = RwSignal::new(String::new());
    let send = move |experiments: Vec<Experiment>, key: String| {
        shown_key.set(key.clone());
        let Some(start) = runner.try_update(|r| r.start(now_ms(), key)) else {
            return;
        };
        match start {
            Start::Send(generation) => client.with_value(|c| {
                c.send(Request {
                    generation,
                    experiments,
                })
            }),
            Start::Cached(generation, parts) => results.update(|r| {
                for part in parts {
                    r.insert(generation, part);
                }
            }),
        }
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
        // A job computed before is shown at once; a new one waits out the debounce.
        let key = serde_json::to_string(&job).unwrap_or_default();
        let cached = runner.with_untracked(|r| r.is_cached(&key));
        if debounce_ms == 0 || cached {
            send(job, key);
        } else {
            let h =
                set_timeout_with_handle(move || send(job, key), Duration::from_millis(debounce_ms))
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

    let cancel = move |_: ()| {
        runner.update(JobRunner::cancel);
        client.with_value(|c| c.cancel());
    };

    let job_key = Memo::new(move |_| {
        job.with(|j| {
            j.as_ref()
                .map(|j| serde_json::to_string(j).unwrap_or_default())
        })
    });
    // Plots dim while a job runs and as soon as the controls no longer match them: a
    // change waiting out its debounce, or an invalid value.
    // A memo: the runner changes with every progress message, and what reads `busy`
    // (every plot's figure) must not be rebuilt and redrawn for each of them.
    let busy = Signal::from(Memo::new(move |_| {
        runner.with(JobRunner::busy)
            || job_key.with(|k| k.as_ref().is_none_or(|k| shown_key.with(|s| s != k)))
    }));
    // The problems of invalid controls, if any (the status line says them).
    let problems = Signal::derive(move || {
        built.with(|b| {
            b.as_ref().err().map(|e| {
                e.iter()
                    .map(|(_, m)| m.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
    });

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
    let sup = Signal::derive(move || config.with(|c| c.as_ref().is_some_and(|c| c.sup)));
    let stat =
        Signal::derive(move || config.with(|c| c.as_ref().map_or(Statistic::Mean, |c| c.stat)));
    // The convergence job's optional parts, read off the job itself.
    let conv_job = move |f: fn(&convergence::Params) -> bool| {
        config.with(|c| {
            c.as_ref().is_some_and(|c| {
                c.job
                    .iter()
                    .any(|e| matches!(e, Experiment::Convergence(p) if f(p)))
            })
        })
    };
    let conv_layers = Signal::derive(move || conv_job(|p| p.layers));
    let conv_depth = Signal::derive(move || conv_job(|p| !p.depths.is_empty()));
    let band = {
        let f = fields.clone();
        Signal::derive(move || f.get("band").get() != "0")
    };
    // Too few inputs for Gram-matrix plots: the kernel tab shows the circle only.
    let few_inputs = Signal::derive(move || {
        config.with(|c| {
            c.as_ref()
                .map(|c| c.data.n)
                .filter(|&n| n < crate::ui::panels::MIN_GRAM_INPUTS)
        })
    });
    // Teacher mode: `hide=…` in the URL hides controls and groups.
    let hide_field = fields.get("hide");
    // Its rules go into a constructed stylesheet adopted by the document (CSSOM, which
    // the page's Content-Security-Policy allows; it refuses an inline <style>).
    if let Some(sheet) = TeacherSheet::adopt() {
        let sheet = StoredValue::new_local(sheet);
        Effect::new(move |_| {
            let css = hide_css(&hide_field.get());
            sheet.with_value(|s| s.set(&css));
        });
        on_cleanup(move || sheet.with_value(TeacherSheet::drop_from_document));
    }
    // On a narrow screen the sidebar collapses behind the "Controls" button.
    let controls_open = RwSignal::new(false);
    // Present mode (`present=1`): large type for a projector, controls in a drawer.
    let present_field = fields.get("present");
    let present = Signal::derive(move || present_field.get() == "1");
    provide_context(PresentMode(present));
    let glossary_open = RwSignal::new(false);
    let intro_open = RwSignal::new(!intro_dismissed());
    // The tabs: an ARIA tablist; arrow keys, Home and End move between them.
    let tab_keys = move |ev: leptos::ev::KeyboardEvent| {
        let views = View::ALL;
        let at = views
            .iter()
            .position(|v| v.key() == view_field.get_untracked())
            .unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" => (at + 1) % views.len(),
            "ArrowLeft" | "ArrowUp" => (at + views.len() - 1) % views.len(),
            "Home" => 0,
            "End" => views.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        view_field.set(views[next].key().to_string());
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("tab-{}", views[next].key())))
        {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };

    view! {
        <div class="app" class:controls-open=move || controls_open.get() class:present=move || present.get()>
            <a class="skip-link" href="#panels">"Skip to the plots"</a>
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
                <PresetMenu fields=fields.clone() />
                <div class="page-buttons share-buttons">
                    <CopyLink />
                    <ExportPython config=config />
                </div>
                <div class="page-buttons">
                    <button
                        type="button"
                        class="share"
                        id="open-glossary"
                        aria-controls="glossary"
                        aria-expanded=move || if glossary_open.get() { "true" } else { "false" }
                        on:click=move |_| glossary_open.update(|o| *o = !*o)
                    >
                        "Glossary"
                    </button>
                    <button
                        type="button"
                        class="share"
                        id="toggle-present"
                        aria-pressed=move || if present.get() { "true" } else { "false" }
                        title="Large type for a projector (present=1 in the link)"
                        on:click=move |_| present_field.set(if present.get_untracked() { "0".into() } else { "1".into() })
                    >
                        "Present"
                    </button>
                </div>
                <StatusLine runner=runner problems=problems running_in=running_in on_cancel=Callback::new(cancel) />
            </header>
            <Glossary open=glossary_open />
            {
                let fields = fields.clone();
                move || show_sidebar.get().then(|| view! {
                    <Sidebar fields=fields.clone() upload=upload open=controls_open results=results busy=busy />
                })
            }
            <main class="panels" id="panels" tabindex="-1">
                <Intro open=intro_open glossary=glossary_open />
            <div class="notices" role="alert">
                    {move || {
                        notices
                            .get()
                            .into_iter()
                            .map(|n| view! { <p class="notice">{n}</p> })
                            .collect::<Vec<_>>()
                    }}
                </div>
                <PresetBox fields=fields.clone() values=values />
                <div class="tabs" role="tablist" aria-label="Panels" on:keydown=tab_keys>
                    {View::ALL
                        .into_iter()
                        .map(|v| {
                            let (id, label) = (v.key(), v.label());
                            let selected = move || view_field.get() == id;
                            view! {
                                <button
                                    type="button"
                                    role="tab"
                                    class="tab"
                                    id=format!("tab-{id}")
                                    aria-controls="tab-panel"
                                    aria-selected=move || if selected() { "true" } else { "false" }
                                    tabindex=move || if selected() { "0" } else { "-1" }
                                    on:click=move |_| view_field.set(id.to_string())
                                >
                                    {label}
                                </button>
                            }
                        })
                        .collect::<Vec<_>>()}
                </div>
                <div
                    class="tab-panel"
                    id="tab-panel"
                    role="tabpanel"
                    aria-labelledby=move || format!("tab-{}", current_view.get().unwrap_or(View::Kernel).key())
                >
                {move || show_panels.get().then(|| match current_view.get().unwrap_or(View::Kernel) {
                    View::Kernel => view! {
                        <KernelPanel results=results busy=busy symbol=kernel_symbol band=band few_inputs=few_inputs />
                        <Show when=move || few_inputs.get().is_none()>
                            <SpectrumPanel results=results busy=busy log=log symbol=kernel_symbol kan=Signal::derive(move || config.with(|c| c.as_ref().is_some_and(|c| c.job.iter().any(|e| matches!(e, ntk_core::experiments::Experiment::KanVsMlp(_)))))) />
                        </Show>
                    }.into_any(),
                    View::Convergence => view! {
                        <ConvergencePanel results=results busy=busy log=log max_entry=max_entry sup=sup stat=stat layers=conv_layers depth=conv_depth />
                    }.into_any(),
                    View::Training => view! {
                        <TrainingPanels results=results busy=busy log=log />
                        <Show when=move || config.with(|c| c.as_ref().is_some_and(|c| c.job.iter().any(|e| matches!(e, Experiment::Sgd(_)))))>
                            <SgdPanel results=results busy=busy log=log />
                        </Show>
                    }.into_any(),
                    View::Plane => view! {
                        <PlanePanel results=results busy=busy log=log seed=fields.get("dseed") />
                    }.into_any(),
                    View::Memorization => view! {
                        <MemorizationPanel results=results busy=busy log=log />
                    }.into_any(),
                    View::Generalization => view! {
                        <GeneralizationPanel results=results busy=busy log=log compare=Signal::derive(move || config.with(|c| c.as_ref().is_some_and(|c| c.job.iter().any(|e| matches!(e, ntk_core::experiments::Experiment::Architectures(_)))))) by_dist=Signal::derive(move || config.with(|c| c.as_ref().is_some_and(|c| c.job.iter().any(|e| matches!(e, Experiment::Generalization(p) if !p.by_distribution.is_empty()))))) />
                    }.into_any(),
                })}
                </div>
                <FormulasPanel network=Signal::derive(move || config.with(|c| c.as_ref().and_then(|c| c.network().map(|n| (n, c.architecture.clone(), c.cost))))) view=Signal::derive(move || config.with(|c| c.as_ref().map(|c| c.view))) />
            </main>
        </div>
    }
}
