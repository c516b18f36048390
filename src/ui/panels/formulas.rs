//! The formulas panel: the exact recursion in use for the sidebar's network, and the
//! papers, by arXiv id.

use leptos::prelude::*;

use super::Panel;

/// The formulas panel: the exact recursion in use for the chosen network, and the
/// papers, by arXiv id.
#[component]
pub fn FormulasPanel(
    #[prop(into)] network: Signal<
        Option<(
            ntk_core::kernel::FcNetwork,
            ntk_core::layers::architecture::Architecture,
            Option<ntk_core::layers::architecture::KernelCost>,
        )>,
    >,
    /// The tab shown: its experiment's own formulas follow the network's.
    #[prop(into)]
    view: Signal<Option<crate::config::View>>,
) -> impl IntoView {
    view! {
        <Panel id="formulas" title="Formulas: what is computed" what="The infinite-width recursion for the network in the sidebar (each layer kind in use), with google/neural-tangents' conventions; it updates with every control.">
            <div class="formulas">
                {move || {
                    network
                        .get()
                        .map(|(net, arch, cost)| {
                            let mut steps = crate::formulas::formulas(&net, &arch, cost);
                            if let Some(v) = view.get() {
                                steps.extend(crate::formulas::view_formulas(v));
                            }
                            steps
                                .into_iter()
                                .map(|step| {
                                    view! {
                                        <div class="formula-step">
                                            <h3>{step.title}</h3>
                                            {step
                                                .lines
                                                .into_iter()
                                                .map(|l| view! { <p class="math">{l}</p> })
                                                .collect::<Vec<_>>()}
                                        </div>
                                    }
                                })
                                .collect::<Vec<_>>()
                        })
                }}
            </div>
            <ul class="papers">
                {crate::formulas::PAPERS
                    .iter()
                    .map(|(who, title, id)| {
                        view! {
                            <li>
                                {format!("{who}, {title}, ")}
                                <a href=format!("https://arxiv.org/abs/{id}") rel="noopener" target="_blank">
                                    {format!("arXiv:{id}")}
                                </a>
                            </li>
                        }
                    })
                    .collect::<Vec<_>>()}
            </ul>
        </Panel>
    }
}
