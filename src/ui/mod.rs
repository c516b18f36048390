//! The Leptos components. They only wire state to jobs and results to plots.

mod app;
mod controls;
mod panels;

pub use app::App;
pub use controls::{NumberControl, SelectControl, ToggleControl};
pub use panels::CircleKernelPanel;
