//! The spectrum panel: eigenvalues of the Gram matrix with the analytic ones by
//! degree, and the top eigenvectors as functions.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::kan_vs_mlp::KanVsMlp;
use ntk_core::experiments::spectrum::{Eigenvector, Spectrum};
use ntk_plots::{
    draw_eigenvectors, draw_spectrum, fmt3, palette, EigenvectorPlot, Mapping, Series,
    SpectrumPlot, Stroke,
};
use web_sys::HtmlCanvasElement;

use super::kernel::kernel_name;
use crate::canvas::draw_on_canvas;
use crate::protocol::Slot;
use crate::ui::figure::{charts, csv_rows, shown, Chart, Figure, FigureCanvas, FigureFn};
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
        let data = if s.eigenvalues.len() < s.total {
            format!("n = {}, top {}", s.total, s.eigenvalues.len())
        } else {
            format!("n = {}", s.total)
        };
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

/// The KAN-against-MLP comparison: the rate of each frequency under kernel gradient
/// flow, and how much of each target frequency is left over time.
pub fn kan_charts(c: &KanVsMlp, log: bool) -> Vec<Chart> {
    let colors = [
        palette::SKY_BLUE,
        palette::VERMILLION,
        palette::GREEN,
        palette::PURPLE,
    ];
    let label = |grid: Option<usize>| match grid {
        None => "MLP".to_string(),
        Some(g) => format!("KAN, grid {g}"),
    };
    let color = |i: usize| {
        if i == 0 {
            palette::ANALYTIC
        } else {
            colors[(i - 1) % colors.len()]
        }
    };
    let mut rates = Chart::new(
        "Rate of each frequency under kernel gradient flow",
        "frequency k on the circle",
        "rate λ_k / N",
    )
    .log(false, log);
    let k: Vec<f64> = c.frequencies.iter().map(|&k| k as f64).collect();
    for (i, line) in c.lines.iter().enumerate() {
        // Rates at round-off carry nothing on a log axis.
        let kept: Vec<(f64, f64)> = k
            .iter()
            .zip(&line.rates)
            .filter(|(_, r)| !log || **r > 1e-14)
            .map(|(a, b)| (*a, *b))
            .collect();
        rates.series.push(Series::new(
            label(line.grid),
            kept.iter().map(|p| p.0).collect(),
            kept.iter().map(|p| p.1).collect(),
            color(i),
        ));
    }
    let leak = c
        .lines
        .iter()
        .skip(1)
        .filter_map(|l| l.leakage.get(1))
        .fold(0.0f64, |m, v| m.max(*v));
    rates.note = Some(if c.lines.len() > 1 {
        format!(
            "MLP: eigenvalues of its circulant Gram. KAN: Rayleigh quotients of cos kθ, sin kθ — its kernel acts on each coordinate and is not rotation-invariant (up to {} of Θ·cos θ leaks to other directions)",
            fmt3(leak)
        )
    } else {
        "MLP: eigenvalues of its circulant Gram (the KANs follow)".into()
    });
    let mut left = Chart::new(
        "Share of each target frequency still to learn, e^(−Θt/N) y",
        "time t = η · steps",
        "|⟨r(t), cos kθ⟩| / |⟨y, cos kθ⟩|",
    )
    .log(true, log);
    let strokes = [Stroke::Line, Stroke::Dashed, Stroke::Dotted];
    // The MLP and the KAN of the sidebar's grid (the middle one).
    let focus = [0, 1 + c.grids.len() / 2];
    for &i in focus.iter() {
        let Some(line) = c.lines.get(i) else {
            continue;
        };
        for (j, k) in c.degrees.iter().enumerate() {
            // Each curve ends once the frequency is learned to 10⁻⁴: below, a KAN's
            // mixing makes ⟨r, cos kθ⟩ cross zero, and the log axis would show the
            // crossings, not the learning.
            let end = line.residual[j]
                .iter()
                .position(|v| *v < 1e-4)
                .map_or(c.times.len(), |e| e + 1);
            left.series.push(
                Series::new(
                    format!("{}, k = {k}", label(line.grid)),
                    c.times[..end].to_vec(),
                    line.residual[j][..end]
                        .iter()
                        .map(|v| v.max(1e-16))
                        .collect(),
                    color(i),
                )
                .stroke(strokes[j % strokes.len()]),
            );
        }
    }
    vec![rates, left]
}

/// The spectrum panel.
#[component]
pub fn SpectrumPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    #[prop(into)] symbol: Signal<&'static str>,
    /// Whether the KAN-against-MLP comparison is computed (a KAN is chosen).
    #[prop(into)]
    kan: Signal<bool>,
) -> impl IntoView {
    let compared: FigureFn = Arc::new(move |r: &Results| {
        let (g, c) = r.kan_vs_mlp()?;
        charts(g, kan_charts(c, log.get()))
    });
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
                <Show when=move || kan.get()>
                    <p class="note">"KAN against MLP, at infinite width on 64 points of the circle: the sidebar's MLP (its activation, σ_w, σ_b and depth, at most 4) and KANs of the same depth with grids G/2, G and 2G. Left: the rate at which kernel gradient flow removes each frequency from the residual; the MLP's falls fast with the frequency (spectral bias), a KAN's stays high up to about the frequency its grid resolves. Right: how much of each target frequency is left at time t."</p>
                    <FigureCanvas id="kan-plot" label="Learning rate per frequency and the residual per target frequency, KAN against MLP" results=results slots=&[Slot::KanVsMlp] busy=busy figure=compared.clone() aspect="2.4 / 1" charts=2 />
                </Show>
            </div>
        </Panel>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntk_core::experiments::kan_vs_mlp::ArchLine;

    fn line(grid: Option<usize>) -> ArchLine {
        ArchLine {
            grid,
            rates: vec![0.5, 0.4, 0.0],
            leakage: vec![0.0, 0.08, 0.1],
            residual: vec![vec![1.0, 0.1, 1e-5, 1e-3], vec![1.0, 0.9, 0.5, 0.2]],
        }
    }

    #[test]
    fn kan_charts_draw_the_lines_finished_so_far_and_end_each_curve_once_learned() {
        let mut c = KanVsMlp {
            frequencies: vec![0, 1, 2],
            degrees: vec![1, 2],
            times: vec![0.1, 1.0, 10.0, 100.0],
            lines: vec![line(None)],
            grids: vec![4, 8, 16],
        };
        // Only the MLP so far: its rates and residuals, and a note that says so.
        let charts = kan_charts(&c, true);
        assert_eq!(charts[0].series.len(), 1);
        assert!(charts[0].note.as_ref().unwrap().contains("follow"));
        // A zero rate is dropped on the log axis; the first residual curve stops at
        // the first value below 10⁻⁴ (the third time), the second runs to the end.
        assert_eq!(charts[0].series[0].x, vec![0.0, 1.0]);
        assert_eq!(charts[1].series[0].x, vec![0.1, 1.0, 10.0]);
        assert_eq!(charts[1].series[1].x.len(), 4);
        c.lines
            .extend([line(Some(4)), line(Some(8)), line(Some(16))]);
        let charts = kan_charts(&c, true);
        assert_eq!(charts[0].series.len(), 4);
        // The residuals: the MLP and the middle grid (the sidebar's), two degrees each.
        let labels: Vec<&str> = charts[1].series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "MLP, k = 1",
                "MLP, k = 2",
                "KAN, grid 8, k = 1",
                "KAN, grid 8, k = 2"
            ]
        );
        assert!(charts[0].note.as_ref().unwrap().contains("0.08"));
    }
}
