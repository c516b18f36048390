//! # NTK Lab, the page
//!
//! The app layer: a Leptos (client-side rendered) UI that wires the serialisable
//! [`config::Config`] to jobs, runs the jobs in a Web Worker through [`client`], and
//! draws the results with `ntk-plots` on canvases. Numbers come from `ntk-core` only;
//! nothing numeric is computed on the page's main thread.
//!
//! Data flows one way: config → job → worker → result → plots. Each job carries a
//! generation number and the page drops any result older than the newest job.

pub mod canvas;
pub mod client;
pub mod compute;
pub mod config;
pub mod export;
pub mod fields;
pub mod formulas;
pub mod pool;
pub mod presets;
pub mod protocol;
pub mod runner;
pub mod ui;
pub mod upload;
pub mod url;
pub mod worker;

pub use client::BackendKind;

/// Mount the app on `<body>`, computing in the Web Worker built by trunk.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| leptos::view! { <ui::App backend=BackendKind::Worker /> });
}
