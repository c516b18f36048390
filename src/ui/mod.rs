//! The Leptos components. They only wire state to jobs and results to plots.

pub mod app;
mod controls;
mod experiments;
mod panels;

pub use app::App;
pub use controls::{NumberControl, SelectControl, TextControl, ToggleControl};
pub use experiments::{ConvergencePanel, GeneralizationPanel, TrainingPanels};
pub use panels::{FormulasPanel, KernelPanel, SpectrumPanel};
