//! The kernel panel: the circle profile for several widths against the analytic
//! kernel, and heatmaps of the analytic, empirical and difference Gram matrices.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::kernel::{Circle, Heatmaps, WidthProfile};
use ntk_plots::{
    draw_circle_widths, draw_kernel_heatmaps, fmt3, heatmap_colors, CircleWidthsPlot, HeatmapsPlot,
    Mapping, WidthSeries,
};
use ntk_plots::{CircleWords, DATA_CIRCLE, UNIT_CIRCLE};
use web_sys::HtmlCanvasElement;

use crate::canvas::{draw_on_canvas, paint_cells};
use crate::protocol::Slot;
use crate::ui::figure::{csv_rows, shown, Figure, FigureCanvas, FigureFn};
use crate::ui::results::Results;

/// Cells per side of a heatmap on the page (block means beyond; the read-out and the
/// CSV keep every entry). The cells are painted as one bitmap per heatmap
/// (`canvas::paint_cells`): as one `fillRect` each (≈ 5 µs in Chromium), 3 × 64² cells
/// took ≈ 60 ms on the main thread.
const PAGE_HEATMAP_CELLS: usize = ntk_plots::MAX_CELLS;

/// The fewest inputs for which the page draws Gram-matrix heatmaps and a spectrum.
pub const MIN_GRAM_INPUTS: usize = 8;

/// "NTK Θ" or "NNGP K", from the kernel's symbol.
pub(crate) fn kernel_name(symbol: &str) -> &'static str {
    if symbol == "K" {
        "NNGP K"
    } else {
        "NTK Θ"
    }
}

fn width_series(v: &[WidthProfile]) -> Vec<WidthSeries<'_>> {
    v.iter()
        .map(|w| WidthSeries {
            width: w.width,
            mean: &w.mean,
            sem: &w.sem,
            seeds: &w.seeds,
            analytic: w.analytic.as_deref(),
        })
        .collect()
}

/// The kernel on the circle: analytic and each width's seeds, mean and ± 2 s.e.
pub struct CircleFigure {
    pub circle: Circle,
    pub symbol: &'static str,
    /// Seed mean and band (else the seeds' own lines only).
    pub band: bool,
}

impl Figure for CircleFigure {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let c = &self.circle;
        let (series, after) = (width_series(&c.widths), width_series(&c.trained));
        let plot = CircleWidthsPlot {
            gamma: &c.gamma,
            analytic: c.analytic.as_deref(),
            widths: &series,
            trained: &after,
            trained_steps: c.trained_steps,
            seeds: c.seeds,
            kernel: kernel_name(self.symbol),
            network: if c.no_limit {
                "finite widths only"
            } else {
                "analytic vs finite widths"
            },
            note: if c.no_limit {
                "No analytic curve: with 1/√d_k scaling the attention logits stay Gaussian and random at every width (Hron et al. 2020), so there is no infinite-width kernel; the seeds' spread does not shrink."
            } else {
                ""
            },
            summary: self.band,
            circle: CircleWords {
                width: if c.channels { "channels" } else { "width" },
                ..if c.through_data {
                    DATA_CIRCLE
                } else {
                    UNIT_CIRCLE
                }
            },
        };
        draw_on_canvas(canvas, |area, style| draw_circle_widths(area, &plot, style))
            .map(|(m, s)| (vec![m], s))
            .map_err(|e| e.to_string())
    }

    fn readout(&self, _: usize, x: f64, y: f64) -> Option<String> {
        Some(format!(
            "γ = {:.3} rad ({}π), {} = {}",
            x * std::f64::consts::PI,
            fmt3(x),
            self.symbol,
            fmt3(y)
        ))
    }

    /// Columns: γ, the infinite-width kernel (when there is one), then per width its
    /// mean, standard error of the mean, its own analytic kernel (standard
    /// parameterization) and each seed's value.
    fn csv(&self) -> String {
        let c = &self.circle;
        let mut header = "gamma".to_string();
        if c.analytic.is_some() {
            header.push_str(",analytic_infinite_width");
        }
        let all: Vec<(&WidthProfile, String)> = c
            .widths
            .iter()
            .map(|w| (w, format!("width_{}", w.width)))
            .chain(c.trained.iter().map(|w| {
                (
                    w,
                    format!("width_{}_after_{}_steps", w.width, c.trained_steps),
                )
            }))
            .collect();
        for (w, l) in &all {
            header.push_str(&format!(",mean_{l},sem_{l}"));
            if w.analytic.is_some() {
                header.push_str(&format!(",analytic_{l}"));
            }
            for k in 0..w.seeds.len() {
                header.push_str(&format!(",seed_{k}_{l}"));
            }
        }
        csv_rows(
            &header,
            (0..c.gamma.len()).map(|i| {
                let mut row = vec![c.gamma[i]];
                if let Some(a) = &c.analytic {
                    row.push(a[i]);
                }
                for (w, _) in &all {
                    row.push(w.mean[i]);
                    row.push(w.sem[i]);
                    if let Some(a) = &w.analytic {
                        row.push(a[i]);
                    }
                    row.extend(w.seeds.iter().map(|s| s[i]));
                }
                row
            }),
        )
    }
}

/// The Gram matrices on the data: analytic, empirical, their difference.
pub struct HeatmapFigure {
    pub heatmaps: Heatmaps,
    pub symbol: &'static str,
}

impl Figure for HeatmapFigure {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let h = &self.heatmaps;
        let plot = HeatmapsPlot {
            other_seed: h.other_seed,
            n: h.n,
            analytic: &h.analytic,
            empirical: &h.empirical,
            width: h.width,
            seed: h.seed,
            symbol: self.symbol,
            block: h.block,
            max_cells: PAGE_HEATMAP_CELLS,
            paint_cells: false,
        };
        let (maps, scale) = draw_on_canvas(canvas, |area, style| {
            draw_kernel_heatmaps(area, &plot, style)
        })
        .map_err(|e| e.to_string())?;
        let cells = heatmap_colors(&plot).map_err(|e| e.to_string())?;
        for (m, c) in maps.iter().zip(&cells) {
            paint_cells(canvas, m, c)?;
        }
        Ok((maps, scale))
    }

    fn readout(&self, which: usize, x: f64, y: f64) -> Option<String> {
        let h = &self.heatmaps;
        let n = h.n;
        let (j, i) = (
            (x.floor() as usize).min(n - 1),
            (y.floor() as usize).min(n - 1),
        );
        let (a, e) = (h.analytic[i * n + j], h.empirical[i * n + j]);
        let s = self.symbol;
        if h.block > 1 {
            // Block means: name the inputs each block spans.
            let span = |a: usize| {
                let last = ((a + 1) * h.block).min(h.inputs.max(1)) - 1;
                format!("x{}…x{last}", a * h.block)
            };
            let (bi, bj) = (span(i), span(j));
            let what = match (which, h.other_seed) {
                (0, None) => format!("analytic {s}: {}", fmt3(a)),
                (0, Some(o)) => format!("seed {o}: {}", fmt3(a)),
                (1, _) => format!("empirical {s}: {}", fmt3(e)),
                (_, None) => format!("empirical − analytic: {}", fmt3(e - a)),
                (_, Some(o)) => format!("seed {} − seed {o}: {}", h.seed, fmt3(e - a)),
            };
            return Some(format!("mean over ({bi}, {bj}) of the {what}"));
        }
        Some(match (which, h.other_seed) {
            (0, None) => format!("analytic {s}(x{i}, x{j}) = {}", fmt3(a)),
            (0, Some(o)) => format!("seed {o}: empirical {s}(x{i}, x{j}) = {}", fmt3(a)),
            (1, _) => format!("empirical {s}(x{i}, x{j}) = {}", fmt3(e)),
            (_, None) => format!("empirical − analytic at (x{i}, x{j}) = {}", fmt3(e - a)),
            (_, Some(o)) => format!(
                "seed {} − seed {o} at (x{i}, x{j}) = {}",
                h.seed,
                fmt3(e - a)
            ),
        })
    }

    fn csv(&self) -> String {
        let h = &self.heatmaps;
        let n = h.n;
        // Block means: i and j are the blocks' first inputs.
        let b = h.block.max(1) as f64;
        csv_rows(
            match (h.other_seed.is_some(), h.block > 1) {
                (true, false) => "i,j,empirical_other_seed,empirical",
                (false, false) => "i,j,analytic,empirical",
                (true, true) => "block_first_i,block_first_j,empirical_other_seed_block_mean,empirical_block_mean",
                (false, true) => "block_first_i,block_first_j,analytic_block_mean,empirical_block_mean",
            },
            (0..n * n).map(|k| {
                vec![
                    (k / n) as f64 * b,
                    (k % n) as f64 * b,
                    h.analytic[k],
                    h.empirical[k],
                ]
            }),
        )
    }
}

/// The kernel panel.
#[component]
pub fn KernelPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] symbol: Signal<&'static str>,
    /// Each width's seed mean and band (else the seeds' lines only).
    #[prop(into)]
    band: Signal<bool>,
    /// The number of inputs when it is too small for Gram-matrix plots (the Jacot
    /// preset trains on 4 points): the heatmaps give way to a note.
    #[prop(into)]
    few_inputs: Signal<Option<usize>>,
) -> impl IntoView {
    let circle: FigureFn = Arc::new(move |r: &Results| {
        let (g, circle) = r.circle()?;
        let (symbol, band) = (symbol.get(), band.get());
        Some(shown(
            g,
            CircleFigure {
                circle: circle.clone(),
                symbol,
                band,
            },
        ))
    });
    let heat: FigureFn = Arc::new(move |r: &Results| {
        let (g, heatmaps) = r.heatmaps()?;
        let symbol = symbol.get();
        Some(shown(
            g,
            HeatmapFigure {
                heatmaps: heatmaps.clone(),
                symbol,
            },
        ))
    });
    view! {
        <Panel id="kernel" title="Kernel: infinite against finite width" what="Top: the kernel between x₀ and x(γ) on a circle through it (for the MLP x₀ = (1, 0) on the unit circle of ℝ²; for the other architectures, the circle in the plane of the first two data inputs, x(0) = the first), for the infinite-width network (black) and for random finite networks of each width (each seed thin, as in Jacot et al. 2018, Fig. 1; the band is the seed mean ± 2 standard errors of that mean, so with few seeds it is wide): wider networks concentrate on the analytic curve. In the standard parameterization the kernel grows with the width and there is no single limit: each width is drawn beside its own analytic kernel (dotted); with 1/√d_k attention there is no limit at all, and the heatmaps compare two random nets. Bottom: the Gram matrix on the data, analytic and for one random network of the widest width, and their difference.">
            <div class="panel-plots">
                <FigureCanvas id="circle-plot" label="Kernel on the circle, analytic and finite widths" results=results slots=&[Slot::Circle] busy=busy figure=circle aspect="2.4 / 1" />
                <Show
                    when=move || few_inputs.get().is_none()
                    fallback=move || view! {
                        <p class="few-inputs" id="few-inputs">
                            {move || format!("The Gram-matrix heatmaps and the spectrum need at least {MIN_GRAM_INPUTS} inputs; here n = {} (the data the networks train on).", few_inputs.get().unwrap_or(0))}
                        </p>
                    }
                >
                    <FigureCanvas id="heatmap-plot" label="Heatmaps of the analytic and empirical Gram matrices and their difference" results=results slots=&[Slot::Heatmaps] busy=busy figure=heat.clone() aspect="2.6 / 1" />
                </Show>
            </div>
        </Panel>
    }
}
