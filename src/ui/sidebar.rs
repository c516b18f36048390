//! The sidebar, rendered from the table of fields (`crate::fields::FIELDS`): one
//! section per group, one control per row, of the row's kind, greyed out where the
//! row says it does not apply. The own-data file control follows the distribution.

use leptos::prelude::*;
use ntk_core::experiments::UserPoints;

use crate::config::View;
use crate::fields::{used_on, used_on_names, Field, Group, Kind, FIELDS};
use crate::ui::app::Fields;
use crate::ui::panels::DataPicture;
use crate::ui::results::Results;
use crate::ui::{NumberControl, SelectControl, TextControl, ToggleControl};

/// The control of one field.
fn control(f: &'static Field, fields: &Fields) -> AnyView {
    let value = fields.get(f.key);
    let lookup = fields.clone();
    let disabled = Signal::derive(move || !(f.enabled)(&|k: &str| lookup.get(k).get()));
    match f.kind {
        Kind::Number { bounds, step } => view! {
            <NumberControl field=f bounds=bounds step=step value=value disabled=disabled />
        }
        .into_any(),
        Kind::Choice(options) => view! {
            <SelectControl field=f options=options value=value />
        }
        .into_any(),
        Kind::Flag => view! {
            <ToggleControl field=f value=value />
        }
        .into_any(),
        Kind::List(_) | Kind::Special(_) => view! {
            <TextControl field=f value=value />
        }
        .into_any(),
    }
}

/// A control in the sidebar: the control, an info button that shows its help (touch
/// and keyboard reach it; hover and focus show it too), and, when the current tab does
/// not use it, the class `off-tab` (collapsed unless all settings are shown) and a
/// line saying where it applies.
fn wrapped(f: &'static Field, control: AnyView, fields: &Fields) -> AnyView {
    let view = fields.get("view");
    let lookup = fields.clone();
    let off_tab = Memo::new(move |_| {
        let v = view.get().parse::<View>().unwrap_or(View::Kernel);
        !used_on(f.key, v, &|k: &str| lookup.get(k).get())
    });
    let names = fields.clone();
    let used_where = move || {
        off_tab
            .get()
            .then(|| used_on_names(f.key, &|k: &str| names.get(k).get()))
    };
    let show_help = RwSignal::new(false);
    view! {
        <div class="field" class:off-tab=move || off_tab.get() class:show-help=move || show_help.get()>
            {control}
            <button
                type="button"
                class="info"
                id=format!("{}-info", f.key)
                aria-label=format!("About {}", f.label)
                aria-controls=format!("{}-help", f.key)
                aria-expanded=move || if show_help.get() { "true" } else { "false" }
                on:click=move |_| show_help.update(|s| *s = !*s)
            >
                "i"
            </button>
            <p class="used-on">{move || used_where().map(|w| if w.is_empty() { "Not used by any tab with these settings.".to_string() } else { format!("Used on: {w}") })}</p>
        </div>
    }
    .into_any()
}

/// The sidebar: the groups of the table in order, each with its fields. On a narrow
/// screen it is a drawer over the plots, opened by the header's "Controls" button
/// (`open`) and closed by its own button or a tap beside it.
#[component]
pub fn Sidebar(
    fields: Fields,
    upload: RwSignal<Option<UserPoints>>,
    open: RwSignal<bool>,
    /// The results, for the picture of the data under the data controls.
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    let sections = Group::SIDEBAR
        .into_iter()
        .map(|g| {
            let controls = FIELDS
                .iter()
                .filter(|f| f.group == g)
                .map(|f| {
                    let c = wrapped(f, control(f, &fields), &fields);
                    if f.key == "dist" {
                        let dist = fields.get("dist");
                        view! { {c} <UploadControl upload=upload dist=dist /> }.into_any()
                    } else {
                        c
                    }
                })
                .collect::<Vec<_>>();
            let heading = format!("group-{}", g.key());
            let section = format!("{heading}-section");
            let labelled = heading.clone();
            // The memorization tab draws its own data and sends no data job, and the
            // plane tab draws its data on its maps: the picture of the sidebar's data
            // would be stale there, so it is not shown.
            let view_key = fields.get("view");
            let picture = (g == Group::Data).then(|| {
                view! {
                    <Show when=move || {
                        let v = view_key.get();
                        v != View::Memorization.key() && v != View::Plane.key()
                    }>
                        <DataPicture results=results busy=busy />
                    </Show>
                }
            });
            view! {
                <section class="group" id=section aria-labelledby=labelled>
                    <h2 id=heading>{g.title()}</h2>
                    {controls}
                    {picture}
                </section>
            }
        })
        .collect::<Vec<_>>();
    // Settings the current tab does not use are collapsed, unless all are shown.
    let show_all = RwSignal::new(false);
    let view = fields.get("view");
    let lookup = fields.clone();
    let hidden_count = Memo::new(move |_| {
        let v = view.get().parse::<View>().unwrap_or(View::Kernel);
        FIELDS
            .iter()
            .filter(|f| {
                f.group != Group::Page && !used_on(f.key, v, &|k: &str| lookup.get(k).get())
            })
            .count()
    });
    let tab_name = move || view.get().parse::<View>().unwrap_or(View::Kernel).label();
    view! {
        <div class="drawer-backdrop" aria-hidden="true" on:click=move |_| open.set(false)></div>
        <aside class="sidebar" id="sidebar" aria-label="Controls" class:show-all=move || show_all.get()>
            <button
                type="button"
                class="close-drawer"
                id="close-controls"
                on:click=move |_| open.set(false)
            >
                "Close controls"
            </button>
            <p class="tab-scope" hidden=move || hidden_count.get() == 0>
                {move || if show_all.get() {
                    format!("All settings; {} are not used on “{}”.", hidden_count.get(), tab_name())
                } else {
                    format!("The settings “{}” uses; {} more apply to other tabs.", tab_name(), hidden_count.get())
                }}
                " "
                <button
                    type="button"
                    class="link-button"
                    id="show-all-settings"
                    aria-pressed=move || if show_all.get() { "true" } else { "false" }
                    on:click=move |_| show_all.update(|s| *s = !*s)
                >
                    {move || if show_all.get() { "Show this tab's only" } else { "Show all" }}
                </button>
            </p>
            {sections}
        </aside>
    }
}

/// The largest file the own-data control reads, in bytes.
pub const MAX_UPLOAD_BYTES: f64 = 8e6;

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
        // Refused before it is read: the largest file the page takes (2000 rows of 64
        // numbers) is about 3 MB.
        let size = file.size();
        if size > MAX_UPLOAD_BYTES {
            message.set(Some(Err(format!(
                "{name}: the file is {:.1} MB; the page reads files up to {} MB (2000 rows of 64 numbers)",
                size / 1e6,
                MAX_UPLOAD_BYTES / 1e6
            ))));
            return;
        }
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
            <p class="help" id="upload-help">"One point per line, a coordinate per column (2–2000 rows, up to 600 outside the Kernel & spectrum tab; 1–64 columns); a header row may name a target column y. Links cannot carry the file."</p>
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
