//! The Leptos components. They only wire state to jobs and results to plots.

pub mod app;
mod controls;
pub mod figure;
mod header;
mod help;
pub mod panels;
pub mod results;
mod sidebar;

pub use app::App;
pub use controls::{NumberControl, SelectControl, TextControl, ToggleControl};
pub use panels::{
    ConvergencePanel, FormulasPanel, GeneralizationPanel, KernelPanel, MemorizationPanel,
    PlanePanel, SgdPanel, SpectrumPanel, TrainingPanels,
};
