//! The spectrum panel: eigenvalues of the Gram matrix with the analytic ones by
//! degree, and the top eigenvectors as functions.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::spectrum::{Eigenvector, Spectrum};
use ntk_plots::{draw_eigenvectors, draw_spectrum, fmt3, EigenvectorPlot, Mapping, SpectrumPlot};
use web_sys::HtmlCanvasElement;

use super::kernel::kernel_name;
use crate::canvas::draw_on_canvas;
use crate::protocol::Slot;
use crate::ui::figure::{csv_rows, shown, Figure, FigureCanvas, FigureFn};
use crate::ui::results::Results;

/// The eigenvalues λ_k/n against k, with the Funk–Hecke μ_k where they apply.
pub struct EigenvalueFigure {
    pub spectrum: Spectrum,
    pub log: bool,
    pub symbol: &'static str,
}

impl Figure for EigenvalueFigure {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let s = &self.spectrum;
        let data = format!("n = {}", s.eigenvalues.len());
        let note = s.analytic_note.map(|n| n.to_string());
        let plot = SpectrumPlot {
            eigenvalues: &s.eigenvalues,
            analytic: s.analytic.as_deref(),
            log: self.log,
            kernel: kernel_name(self.symbol),
            data: &data,
            note: note.as_deref(),
        };
        draw_on_canvas(canvas, |area, style| draw_spectrum(area, &plot, style))
            .map(|(m, s)| (vec![m], s))
            .map_err(|e| e.to_string())
    }

    fn readout(&self, _: usize, x: f64, y: f64) -> Option<String> {
        let ev = &self.spectrum.eigenvalues;
        let k = (x.round() as usize).clamp(1, ev.len());
        Some(format!(
            "k = {k}: λ_k/n = {} (pointer at {})",
            fmt3(ev[k - 1]),
            fmt3(y)
        ))
    }

    fn csv(&self) -> String {
        let s = &self.spectrum;
        csv_rows(
            "k,eigenvalue_over_n,analytic",
            s.eigenvalues.iter().enumerate().map(|(k, &v)| {
                vec![
                    (k + 1) as f64,
                    v,
                    s.analytic
                        .as_ref()
                        .and_then(|a| a.get(k).copied())
                        .unwrap_or(f64::NAN),
                ]
            }),
        )
    }
}

/// How the legend names an eigenvector: its frequency on the circle, else λ/n.
pub fn eigenvector_label(rank: usize, v: &Eigenvector) -> String {
    match (v.frequency, v.share) {
        (Some(f), Some(share)) => format!(
            "v{} (frequency {f}, {:.0}% of energy)",
            rank + 1,
            100.0 * share
        ),
        _ => format!("v{} (λ/n = {})", rank + 1, fmt3(v.eigenvalue)),
    }
}

/// The top eigenvectors as functions of the angle (circle) or the input's index.
pub struct EigenvectorFigure {
    pub spectrum: Spectrum,
}

impl Figure for EigenvectorFigure {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let s = &self.spectrum;
        let vectors: Vec<Vec<f64>> = s.vectors.iter().map(|v| v.values.clone()).collect();
        let labels: Vec<String> = s
            .vectors
            .iter()
            .enumerate()
            .map(|(r, v)| eigenvector_label(r, v))
            .collect();
        let plot = EigenvectorPlot {
            x: &s.x,
            angle: s.angle,
            vectors: &vectors,
            labels: &labels,
        };
        draw_on_canvas(canvas, |area, style| draw_eigenvectors(area, &plot, style))
            .map(|(m, s)| (vec![m], s))
            .map_err(|e| e.to_string())
    }

    fn readout(&self, _: usize, x: f64, y: f64) -> Option<String> {
        Some(if self.spectrum.angle {
            format!(
                "γ = {} rad, value {}",
                fmt3(x * std::f64::consts::PI),
                fmt3(y)
            )
        } else {
            format!("input {}, value {}", x.round(), fmt3(y))
        })
    }

    fn csv(&self) -> String {
        let s = &self.spectrum;
        let header = std::iter::once("x".to_string())
            .chain((1..=s.vectors.len()).map(|k| format!("v{k}")))
            .collect::<Vec<_>>()
            .join(",");
        csv_rows(
            &header,
            (0..s.x.len()).map(|i| {
                std::iter::once(s.x[i])
                    .chain(s.vectors.iter().map(|v| v.values[i]))
                    .collect()
            }),
        )
    }
}

/// The spectrum panel.
#[component]
pub fn SpectrumPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    #[prop(into)] symbol: Signal<&'static str>,
) -> impl IntoView {
    let values: FigureFn = Arc::new(move |r: &Results| {
        let (g, spectrum) = r.spectrum()?;
        let (log, symbol) = (log.get(), symbol.get());
        let spectrum = spectrum.clone();
        Some(shown(
            g,
            EigenvalueFigure {
                spectrum,
                log,
                symbol,
            },
        ))
    });
    let vectors: FigureFn = Arc::new(move |r: &Results| {
        let (g, spectrum) = r.spectrum()?;
        let spectrum = spectrum.clone();
        Some(shown(g, EigenvectorFigure { spectrum }))
    });
    view! {
        <Panel id="spectrum" title="Spectrum: what gradient descent learns first" what="Eigenvalues of the analytic Gram matrix on the data (divided by n), largest first, with the kernel's eigenvalues by degree from Funk–Hecke when the data are uniform on a sphere (dashed; they are eigenvalues for the uniform measure, so for other data the plot says why they are absent); and the top eigenvectors: on the circle they are Fourier modes, and the fast decay of the eigenvalues with frequency is spectral bias (Rahaman et al. 2019; Basri et al. 2019).">
            <div class="panel-plots">
                <FigureCanvas id="spectrum-plot" label="Eigenvalues of the Gram matrix against their index" results=results slots=&[Slot::Spectrum] busy=busy figure=values aspect="16 / 10" half=true />
                <FigureCanvas id="eigenvector-plot" label="Top eigenvectors of the Gram matrix as functions" results=results slots=&[Slot::Spectrum] busy=busy figure=vectors aspect="16 / 10" half=true />
            </div>
        </Panel>
    }
}
