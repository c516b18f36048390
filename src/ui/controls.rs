//! Sidebar controls: each has a label, its current value, bounds, a one-line help text
//! (shown on hover or focus) and, for invalid input, a message in words next to it.

use leptos::prelude::*;

use crate::fields::{Bounds, Field};

/// A text input that follows `value`. The box is written only when its text differs
/// from the signal: writing an equal value would wipe text the user is still typing
/// ("-" or "1." read as "").
fn synced_input(value: RwSignal<String>) -> NodeRef<leptos::html::Input> {
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let v = value.get();
        if let Some(el) = input.get() {
            if el.value() != v {
                el.set_value(&v);
            }
        }
    });
    input
}

/// A control's texts and element ids, from its row of the table: the input's id (the
/// field's key), its help line's and its error message's.
struct Ids {
    id: &'static str,
    label: &'static str,
    help: &'static str,
    help_id: String,
    error_id: String,
}

fn ids(field: &'static Field) -> Ids {
    Ids {
        id: field.key,
        label: field.label,
        help: field.help,
        help_id: format!("{}-help", field.key),
        error_id: format!("{}-error", field.key),
    }
}

/// A control's help line and its error message (empty while the value is valid), which
/// the input names in `aria-describedby`.
#[component]
fn HelpAndError(
    help_id: String,
    help: &'static str,
    error_id: String,
    error: Memo<Option<String>>,
) -> impl IntoView {
    view! {
        <p class="help" id=help_id>{help}</p>
        <p class="error" id=error_id role="alert">{move || error.get()}</p>
    }
}

/// How long a slider must rest before a value dragged to is computed (a release
/// computes at once).
const SLIDER_REST_MS: u64 = 300;

/// The text being edited in a control, and the way to commit it to the field. Typing
/// and dragging change only the draft (the control shows it, with its error at once);
/// the field, and so the job, follow on commit: Enter, leaving the box, releasing the
/// slider, or a slider at rest. A change of the field from elsewhere (a preset, the
/// URL) replaces the draft.
#[derive(Clone, Copy)]
struct Draft {
    text: RwSignal<String>,
    value: RwSignal<String>,
}

impl Draft {
    fn new(value: RwSignal<String>) -> Self {
        let text = RwSignal::new(value.get_untracked());
        Effect::new(move |_| {
            let v = value.get();
            if text.get_untracked() != v {
                text.set(v);
            }
        });
        Draft { text, value }
    }

    fn commit(self) {
        // A timer may fire after the control is gone: then there is nothing to commit.
        let (Some(t), Some(v)) = (
            self.text.try_get_untracked(),
            self.value.try_get_untracked(),
        ) else {
            return;
        };
        if v != t {
            self.value.set(t);
        }
    }
}

/// A numeric control: a slider and a number box bound to the same text, validated
/// against `bounds`. `value` holds the raw text the user typed.
#[component]
pub fn NumberControl(
    /// Its row of the table: id (the number box gets `{id}-number`), label, help.
    field: &'static Field,
    /// Allowed range.
    bounds: Bounds,
    /// Slider step.
    step: f64,
    /// The raw text of the value.
    value: RwSignal<String>,
    /// Greys the control out (e.g. σ_b when there is no bias).
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let Ids {
        id,
        label,
        help,
        help_id,
        error_id,
    } = ids(field);
    let draft = Draft::new(value);
    let text = draft.text;
    let error = Memo::new(move |_| bounds.parse(&text.get()).err());
    let number_id = format!("{id}-number");
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let rest = move || {
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(
            move || draft.commit(),
            std::time::Duration::from_millis(SLIDER_REST_MS),
        );
        pending.set_value(h.ok());
    };
    let number_ref = synced_input(text);
    view! {
        <div class="control" class:invalid=move || error.get().is_some() title=help>
            <label for=id>
                <span class="label">{label}</span>
                <output class="value" for=id>{move || text.get()}</output>
            </label>
            <div class="inputs">
                <input
                    type="range"
                    id=id
                    min=bounds.min
                    max=bounds.max
                    step=step
                    prop:value=move || text.get()
                    prop:disabled=move || disabled.get()
                    aria-describedby=help_id.clone()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        rest();
                    }
                    on:change=move |_| draft.commit()
                />
                <input
                    type="number"
                    id=number_id
                    node_ref=number_ref
                    min=bounds.min
                    max=bounds.max
                    step=step
                    prop:disabled=move || disabled.get()
                    aria-label=label
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby=format!("{help_id} {error_id}")
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:change=move |ev| {
                        // What the box shows is what is committed, even where no input
                        // event came (a script or an automation clearing the box).
                        text.set(event_target_value(&ev));
                        draft.commit()
                    }
                />
            </div>
            <HelpAndError help_id=help_id help=help error_id=error_id error=error />
        </div>
    }
}

/// A checkbox bound to a "0"/"1" field.
#[component]
pub fn ToggleControl(
    /// Its row of the table: id, label and help.
    field: &'static Field,
    value: RwSignal<String>,
) -> impl IntoView {
    let Ids {
        id,
        label,
        help,
        help_id,
        ..
    } = ids(field);
    view! {
        <div class="control toggle" title=help>
            <label for=id>
                <input
                    type="checkbox"
                    id=id
                    prop:checked=move || value.get() == "1"
                    aria-describedby=help_id.clone()
                    on:change=move |ev| value.set(if event_target_checked(&ev) { "1".into() } else { "0".into() })
                />
                <span class="label">{label}</span>
            </label>
            <p class="help" id=help_id>{help}</p>
        </div>
    }
}

/// A free-text field validated by [`crate::config::field_error`] (e.g. a list of widths).
#[component]
pub fn TextControl(
    /// Its row of the table: id, label and help.
    field: &'static Field,
    value: RwSignal<String>,
) -> impl IntoView {
    let Ids {
        id,
        label,
        help,
        help_id,
        error_id,
    } = ids(field);
    let draft = Draft::new(value);
    let text = draft.text;
    let error = Memo::new(move |_| crate::fields::field_error(id, &text.get()));
    let input_ref = synced_input(text);
    view! {
        <div class="control text" class:invalid=move || error.get().is_some() title=help>
            <label for=id><span class="label">{label}</span></label>
            <input
                type="text"
                id=id
                node_ref=input_ref
                spellcheck="false"
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=format!("{help_id} {error_id}")
                on:input=move |ev| text.set(event_target_value(&ev))
                on:change=move |ev| {
                    text.set(event_target_value(&ev));
                    draft.commit()
                }
            />
            <HelpAndError help_id=help_id help=help error_id=error_id error=error />
        </div>
    }
}

/// A menu of options: (value, label) pairs.
#[component]
pub fn SelectControl(
    /// Its row of the table: id, label and help.
    field: &'static Field,
    options: &'static [(&'static str, &'static str)],
    value: RwSignal<String>,
) -> impl IntoView {
    let Ids {
        id,
        label,
        help,
        help_id,
        ..
    } = ids(field);
    view! {
        <div class="control select" title=help>
            <label for=id>
                <span class="label">{label}</span>
            </label>
            <select
                id=id
                aria-describedby=help_id.clone()
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {options
                    .iter()
                    .map(|(v, l)| {
                        view! {
                            <option value=*v selected=move || value.get() == *v>
                                {*l}
                            </option>
                        }
                    })
                    .collect::<Vec<_>>()}
            </select>
            <p class="help" id=help_id>{help}</p>
        </div>
    }
}
