//! The main area's panels, one per file: a title, one sentence on what you are looking
//! at, and the plots, each a [`crate::ui::figure::Figure`] built from the result slot
//! it draws.

use leptos::prelude::*;

mod convergence;
mod data;
mod formulas;
mod generalization;
mod kernel;
mod memorization;
mod plane;
mod sgd;
mod spectrum;
mod training;

pub use convergence::{convergence_chart, distribution_label, line_label, ConvergencePanel};
pub use data::DataPicture;
pub use formulas::FormulasPanel;
pub use generalization::{bound_charts, sensitivity_charts, GeneralizationPanel};
pub use kernel::{KernelPanel, MIN_GRAM_INPUTS};
pub use memorization::{
    alignment_charts, gamma_charts, remedy_charts, robustness_charts, MemorizationPanel,
};
pub use plane::{alpha_charts, plane_charts, plane_figure, run_csv, PlanePanel};
pub use sgd::{sgd_charts, SgdPanel};
pub use spectrum::{eigenvector_label, SpectrumPanel};
pub use training::{mode_label, modes_chart, training_charts, training_warnings, TrainingPanels};

/// A panel: its title, one sentence (or a few) on what you are looking at, and its
/// content. Element ids: `{id}-panel`, `{id}-title`.
#[component]
pub fn Panel(
    id: &'static str,
    title: &'static str,
    what: &'static str,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled = title_id.clone();
    // On a phone and in present mode the description is cut to a few lines (CSS), so
    // that the plot starts on the first screen; "More" shows the rest.
    let expanded = RwSignal::new(false);
    let what_id = format!("{id}-what");
    view! {
        <section class="panel" id=format!("{id}-panel") aria-labelledby=labelled>
            <header class="panel-head">
                <h2 id=title_id>{title}</h2>
                <p class="what" id=what_id.clone() class:expanded=move || expanded.get()>{what}</p>
                <button
                    type="button"
                    class="link-button more"
                    aria-controls=what_id
                    aria-expanded=move || if expanded.get() { "true" } else { "false" }
                    on:click=move |_| expanded.update(|e| *e = !*e)
                >
                    {move || if expanded.get() { "Less" } else { "More" }}
                </button>
            </header>
            {children()}
        </section>
    }
}
