//! The header's parts and the preset box: the preset menu, the copy-link button, the
//! job status line (text, progress, cancel), and the chosen preset's text.

use std::time::Duration;

use leptos::prelude::*;

use crate::config::{Config, Values};
use crate::presets::{preset, preset_values, PRESETS};
use crate::runner::JobRunner;
use crate::ui::app::Fields;

/// The preset menu: choosing one sets every field (the defaults and the preset's own).
#[component]
pub fn PresetMenu(fields: Fields) -> impl IntoView {
    let preset_field = fields.get("preset");
    let apply = move |id: String| {
        if let Some(p) = preset(&id) {
            fields.set_all(&preset_values(p));
        } else {
            preset_field.set("none".into());
        }
    };
    view! {
        <label class="preset-menu" id="preset-menu">
            <span class="label">"Preset"</span>
            <select
                id="preset"
                prop:value=move || preset_field.get()
                on:change=move |ev| apply(event_target_value(&ev))
            >
                <option value="none">"— choose a preset —"</option>
                {PRESETS
                    .iter()
                    .map(|p| view! { <option value=p.id>{p.menu_label()}</option> })
                    .collect::<Vec<_>>()}
            </select>
        </label>
    }
}

/// Copies the page's link (every control is in the URL).
#[component]
pub fn CopyLink() -> impl IntoView {
    let copied = RwSignal::new(false);
    view! {
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
    }
}

/// "Export as Python": downloads a script that reproduces the current panel's numbers
/// with the `ntk_lab` package (and, for an MLP, the same kernel with neural-tangents).
#[component]
pub fn ExportPython(#[prop(into)] config: Signal<Option<Config>>) -> impl IntoView {
    let export = move |_| {
        let Some(c) = config.get_untracked() else {
            return;
        };
        let url = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let net = c.network();
        let script = crate::export::python_script(
            &c.job(),
            net.as_ref().map(|n| (n, &c.architecture)),
            c.data.d,
            &url,
        );
        crate::ui::figure::download_text(
            &script,
            "text/x-python",
            &format!("ntk-lab-{}.py", c.view.key()),
        );
    };
    view! {
        <button
            type="button"
            id="export-python"
            class="share"
            title="Download a Python script that reproduces this panel's numbers with the ntk_lab package"
            prop:disabled=move || config.with(Option::is_none)
            on:click=export
        >
            "Export as Python"
        </button>
    }
}

/// The job status: what is computed, its progress, a cancel button; or, while a
/// control is invalid, what is wrong.
#[component]
pub fn StatusLine(
    runner: RwSignal<JobRunner>,
    #[prop(into)] problems: Signal<Option<String>>,
    running_in: &'static str,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let text = move || match problems.get() {
        Some(p) => format!(
            "A control holds an invalid value ({p}): fix it to recompute; the last plots stay."
        ),
        None => runner.with(JobRunner::text),
    };
    let state = move || {
        if problems.with(Option::is_some) {
            "invalid"
        } else {
            runner.with(JobRunner::state)
        }
    };
    let progress = move || runner.with(JobRunner::progress);
    view! {
        <div
            class="status"
            id="job-status"
            role="status"
            aria-live="polite"
            data-state=state
            data-backend=running_in
            data-dropped=move || runner.with(JobRunner::dropped).to_string()
            data-sent=move || runner.with(JobRunner::sent).to_string()
            data-job=move || runner.with(JobRunner::latest).to_string()
        >
            <span class="status-dot" aria-hidden="true"></span>
            <span class="status-text">{text}</span>
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
                on:click=move |_| on_cancel.run(())
                prop:disabled=move || !runner.with(JobRunner::busy)
            >
                "Cancel"
            </button>
        </div>
    }
}

/// The chosen preset's title and text, and a note once the settings differ from it.
#[component]
pub fn PresetBox(fields: Fields, values: Memo<Values>) -> impl IntoView {
    let preset_field = fields.get("preset");
    let text = move || preset(&preset_field.get()).map(|p| (p.title, p.text));
    let modified = move || {
        preset(&preset_field.get()).is_some_and(|p| {
            let now = values.get();
            let mut want = preset_values(p);
            want.insert("hide", now.get("hide").cloned().unwrap_or_default());
            now != want
        })
    };
    view! {
        <div class="preset-box" id="preset-box">
            {move || text().map(|(title, text)| view! {
                <h2 class="preset-title">{format!("Preset: {title}")}</h2>
                <p class="preset-text">{text}</p>
                <p class="preset-modified">{move || if modified() { "You have changed settings since loading this preset; choose it again to restore it." } else { "" }}</p>
            })}
        </div>
    }
}
