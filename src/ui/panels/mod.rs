//! The main area's panels, one per file: a title, one sentence on what you are looking
//! at, and the plots, each a [`crate::ui::figure::Figure`] built from the result slot
//! it draws.

mod convergence;
mod formulas;
mod generalization;
mod kernel;
mod spectrum;
mod training;

pub use convergence::{convergence_chart, distribution_label, line_label, ConvergencePanel};
pub use formulas::FormulasPanel;
pub use generalization::{bound_charts, sensitivity_charts, GeneralizationPanel};
pub use kernel::KernelPanel;
pub use spectrum::{eigenvector_label, SpectrumPanel};
pub use training::{mode_label, modes_chart, training_charts, training_warnings, TrainingPanels};
