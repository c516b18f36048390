//! The main area's panels, one per file: a title, one sentence on what you are looking
//! at, and the plots, each a [`crate::ui::figure::Figure`] built from the result slot
//! it draws.

use leptos::prelude::*;

mod convergence;
mod data;
mod formulas;
mod generalization;
mod kernel;
mod spectrum;
mod training;

pub use convergence::{convergence_chart, distribution_label, line_label, ConvergencePanel};
pub use data::DataPicture;
pub use formulas::FormulasPanel;
pub use generalization::{bound_charts, sensitivity_charts, GeneralizationPanel};
pub use kernel::{KernelPanel, MIN_GRAM_INPUTS};
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
    view! {
        <section class="panel" id=format!("{id}-panel") aria-labelledby=labelled>
            <header class="panel-head">
                <h2 id=title_id>{title}</h2>
                <p class="what" title=what>{what}</p>
            </header>
            {children()}
        </section>
    }
}
