//! The main area's panels: a title, one sentence on what you are looking at, the
//! plots, and a toolbar (PNG and CSV downloads). Each plot shows the value under the
//! pointer in a read-out line below it; while a newer job runs the old plots stay,
//! dimmed. A canvas's `data-generation` attribute is the generation of what it shows.

use std::sync::Arc;

use leptos::prelude::*;
use ntk_plots::{
    draw_circle_widths, draw_eigenvectors, draw_kernel_heatmaps, draw_spectrum, fmt3,
    heatmap_colors, CircleWidthsPlot, EigenvectorPlot, HeatmapsPlot, Mapping, SpectrumPlot,
    WidthSeries,
};
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use crate::canvas::{draw_on_canvas, paint_cells};
use crate::protocol::Part;
use crate::ui::app::Results;

pub(crate) type DrawFn = Arc<
    dyn Fn(&HtmlCanvasElement) -> Result<Option<(u64, Vec<Mapping>, f64)>, String> + Send + Sync,
>;
pub(crate) type ReadoutFn = Arc<dyn Fn(usize, f64, f64) -> Option<String> + Send + Sync>;
pub(crate) type CsvFn = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Cells per side of a heatmap on the page (block means beyond; the read-out and the
/// CSV keep every entry). The cells are painted as one bitmap per heatmap
/// (`canvas::paint_cells`): as one `fillRect` each (≈ 5 µs in Chromium), 3 × 64² cells
/// took ≈ 60 ms on the main thread.
const PAGE_HEATMAP_CELLS: usize = ntk_plots::MAX_CELLS;

/// Milliseconds since page load (0 where there is no `performance`).
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Start a download of `href` as `name`.
fn download(href: &str, name: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(href);
        a.set_download(name);
        a.click();
    }
}

fn download_csv(text: &str, name: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv");
    if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) {
        if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
            download(&url, name);
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    }
}

/// One plot: a canvas redrawn whenever its data (read inside `draw`) or the window
/// size changes, a pointer read-out, and PNG/CSV buttons.
#[component]
pub(crate) fn PlotCanvas(
    id: &'static str,
    label: &'static str,
    #[prop(into)] busy: Signal<bool>,
    draw: DrawFn,
    readout: ReadoutFn,
    csv: CsvFn,
    /// CSS aspect ratio, e.g. "16 / 9".
    aspect: &'static str,
) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(0u64);
    // How long the last draw took on the main thread (a browser timing for tests and
    // notes: `data-draw-ms`).
    let draw_ms = RwSignal::new(0.0f64);
    let mappings = StoredValue::new((Vec::<Mapping>::new(), 1.0f64));
    let error = RwSignal::new(None::<String>);
    let text = RwSignal::new(String::new());
    let resized = RwSignal::new(0u32);
    let listener = window_event_listener(leptos::ev::resize, move |_| {
        resized.update(|n| *n = n.wrapping_add(1))
    });
    on_cleanup(move || listener.remove());
    Effect::new(move |_| {
        resized.track();
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let t0 = now_ms();
        match draw(&canvas) {
            Ok(Some((generation, maps, scale))) => {
                mappings.set_value((maps, scale));
                error.set(None);
                draw_ms.set(now_ms() - t0);
                drawn.set(generation);
            }
            Ok(None) => {}
            Err(e) => error.set(Some(format!("The plot could not be drawn: {e}"))),
        }
    });
    let on_move = move |ev: web_sys::MouseEvent| {
        let (maps, scale) = mappings.get_value();
        let (px, py) = (ev.offset_x() as f64 * scale, ev.offset_y() as f64 * scale);
        let found = maps
            .iter()
            .enumerate()
            .find_map(|(i, m)| m.to_data(px, py).and_then(|(x, y)| readout(i, x, y)));
        text.set(found.unwrap_or_default());
    };
    let png = move |_| {
        if let Some(c) = canvas_ref.get() {
            if let Ok(url) = c.to_data_url() {
                download(&url, &format!("ntk-lab-{id}.png"));
            }
        }
    };
    let csv_click = move |_| {
        if let Some(t) = csv() {
            download_csv(&t, &format!("ntk-lab-{id}.csv"));
        }
    };
    view! {
        <figure class="plot" class:busy=move || busy.get()>
            <div class="toolbar" role="toolbar" aria-label=format!("{label}: downloads")>
                <button type="button" class="tool" id=format!("{id}-png") on:click=png title="Download this plot as a PNG image">"PNG"</button>
                <button type="button" class="tool" id=format!("{id}-csv") on:click=csv_click title="Download the plotted numbers as CSV">"CSV"</button>
            </div>
            <canvas
                node_ref=canvas_ref
                id=id
                class="plot-canvas"
                style=format!("display: block; width: 100%; height: auto; aspect-ratio: {aspect}")
                role="img"
                aria-label=label
                data-generation=move || drawn.get().to_string()
                data-draw-ms=move || format!("{:.1}", draw_ms.get())
                on:mousemove=on_move
                on:mouseleave=move |_| text.set(String::new())
            ></canvas>
            <figcaption class="readout" aria-live="off">{move || { let t = text.get(); if t.is_empty() { "Move the pointer over the plot to read values.".to_string() } else { t } }}</figcaption>
            <p class="panel-error" role="alert">{move || error.get()}</p>
        </figure>
    }
}

/// The newest part of kind `key`, as a memo: it notifies only when that part changes.
pub(crate) fn slot(results: RwSignal<Results>, key: &'static str) -> Memo<Option<(u64, Part)>> {
    Memo::new(move |_| results.with(|r| r.get(key).cloned()))
}

fn width_series(v: &[crate::protocol::WidthProfile]) -> Vec<WidthSeries<'_>> {
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

fn csv_rows(header: &str, rows: impl Iterator<Item = Vec<f64>>) -> String {
    let mut s = String::from(header);
    s.push('\n');
    for r in rows {
        s.push_str(
            &r.iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(","),
        );
        s.push('\n');
    }
    s
}

/// The kernel panel: the circle profile for several widths against the analytic
/// kernel, and heatmaps of the analytic, empirical and difference Gram matrices.
#[component]
pub fn KernelPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] symbol: Signal<&'static str>,
) -> impl IntoView {
    // Each plot follows its own result slot: a part for another plot does not redraw it.
    let circle = slot(results, "circle");
    let heatmaps = slot(results, "heatmaps");
    let circle_draw: DrawFn = Arc::new(move |canvas| {
        circle.with(|r| {
            let Some((
                generation,
                Part::Circle {
                    gamma,
                    analytic,
                    widths,
                    trained,
                    trained_steps,
                    seeds,
                },
            )) = r.as_ref()
            else {
                return Ok(None);
            };
            let series = width_series(widths);
            let after = width_series(trained);
            let kernel = if symbol.get_untracked() == "K" {
                "NNGP K"
            } else {
                "NTK Θ"
            };
            let plot = CircleWidthsPlot {
                gamma,
                analytic: analytic.as_deref(),
                widths: &series,
                trained: &after,
                trained_steps: *trained_steps,
                seeds: *seeds,
                kernel,
                network: "analytic vs finite widths",
            };
            draw_on_canvas(canvas, |area, style| draw_circle_widths(area, &plot, style))
                .map(|(m, s)| Some((*generation, vec![m], s)))
                .map_err(|e| e.to_string())
        })
    });
    let circle_readout: ReadoutFn = Arc::new(move |_, x, y| {
        Some(format!(
            "γ = {:.3} rad ({}π), {} = {}",
            x * std::f64::consts::PI,
            fmt3(x),
            symbol.get_untracked(),
            fmt3(y)
        ))
    });
    let circle_csv: CsvFn = Arc::new(move || {
        circle.with_untracked(|r| match r.as_ref() {
            Some((
                _,
                Part::Circle {
                    gamma,
                    analytic,
                    widths,
                    trained,
                    trained_steps,
                    ..
                },
            )) => {
                // Columns: γ, the infinite-width kernel (when there is one), then per
                // width its mean, standard error of the mean, its own analytic kernel
                // (standard parameterization) and each seed's value.
                let mut header = "gamma".to_string();
                if analytic.is_some() {
                    header.push_str(",analytic_infinite_width");
                }
                let label = |w: &crate::protocol::WidthProfile, after: bool| {
                    if after {
                        format!("width_{}_after_{}_steps", w.width, trained_steps)
                    } else {
                        format!("width_{}", w.width)
                    }
                };
                let all: Vec<(&crate::protocol::WidthProfile, bool)> = widths
                    .iter()
                    .map(|w| (w, false))
                    .chain(trained.iter().map(|w| (w, true)))
                    .collect();
                for (w, after) in &all {
                    let l = label(w, *after);
                    header.push_str(&format!(",mean_{l},sem_{l}"));
                    if w.analytic.is_some() {
                        header.push_str(&format!(",analytic_{l}"));
                    }
                    for k in 0..w.seeds.len() {
                        header.push_str(&format!(",seed_{k}_{l}"));
                    }
                }
                Some(csv_rows(
                    &header,
                    (0..gamma.len()).map(|i| {
                        let mut row = vec![gamma[i]];
                        if let Some(a) = analytic {
                            row.push(a[i]);
                        }
                        for (w, _) in &all {
                            row.push(w.mean[i]);
                            row.push(w.sem[i]);
                            if let Some(a) = &w.analytic {
                                row.push(a[i]);
                            }
                            row.extend(w.seeds.iter().map(|c| c[i]));
                        }
                        row
                    }),
                ))
            }
            _ => None,
        })
    });
    let heat_draw: DrawFn = Arc::new(move |canvas| {
        heatmaps.with(|r| {
            let Some((
                generation,
                Part::Heatmaps {
                    n,
                    analytic,
                    empirical,
                    width,
                    seed,
                },
            )) = r.as_ref()
            else {
                return Ok(None);
            };
            let plot = HeatmapsPlot {
                n: *n,
                analytic,
                empirical,
                width: *width,
                seed: *seed,
                symbol: symbol.get_untracked(),
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
            Ok(Some((*generation, maps, scale)))
        })
    });
    let heat_readout: ReadoutFn = Arc::new(move |which, x, y| {
        heatmaps.with_untracked(|r| match r.as_ref() {
            Some((
                _,
                Part::Heatmaps {
                    n,
                    analytic,
                    empirical,
                    ..
                },
            )) => {
                let (j, i) = (
                    (x.floor() as usize).min(n - 1),
                    (y.floor() as usize).min(n - 1),
                );
                let (a, e) = (analytic[i * n + j], empirical[i * n + j]);
                let s = symbol.get_untracked();
                Some(match which {
                    0 => format!("analytic {s}(x{i}, x{j}) = {}", fmt3(a)),
                    1 => format!("empirical {s}(x{i}, x{j}) = {}", fmt3(e)),
                    _ => format!("empirical − analytic at (x{i}, x{j}) = {}", fmt3(e - a)),
                })
            }
            _ => None,
        })
    });
    let heat_csv: CsvFn = Arc::new(move || {
        heatmaps.with_untracked(|r| match r.as_ref() {
            Some((
                _,
                Part::Heatmaps {
                    n,
                    analytic,
                    empirical,
                    ..
                },
            )) => Some(csv_rows(
                "i,j,analytic,empirical",
                (0..n * n).map(|k| vec![(k / n) as f64, (k % n) as f64, analytic[k], empirical[k]]),
            )),
            _ => None,
        })
    });
    view! {
        <section class="panel" id="kernel-panel" aria-labelledby="kernel-title">
            <header class="panel-head">
                <h2 id="kernel-title">"Kernel: infinite against finite width"</h2>
                <p class="what">
                    "Top: the kernel between x₀ = (1, 0) and x(γ) on the circle, for the infinite-width network (black) and for random finite networks of each width (each seed thin, as in Jacot et al. 2018, Fig. 1; the band is the seed mean ± 2 standard errors of that mean, so with few seeds it is wide): wider networks concentrate on the analytic curve. In the standard parameterization the kernel grows with the width and there is no single limit: each width is drawn beside its own analytic kernel (dotted). Bottom: the Gram matrix on the data, analytic and for one random network of the widest width, and their difference."
                </p>
            </header>
            <div class="panel-plots">
                <PlotCanvas id="circle-plot" label="Kernel on the circle, analytic and finite widths" busy=busy draw=circle_draw readout=circle_readout csv=circle_csv aspect="2.4 / 1" />
                <PlotCanvas id="heatmap-plot" label="Heatmaps of the analytic and empirical Gram matrices and their difference" busy=busy draw=heat_draw readout=heat_readout csv=heat_csv aspect="2.6 / 1" />
            </div>
        </section>
    }
}

/// The spectrum panel: eigenvalues of the Gram matrix with the analytic ones by
/// degree, and the top eigenvectors as functions.
#[component]
pub fn SpectrumPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    #[prop(into)] symbol: Signal<&'static str>,
) -> impl IntoView {
    let spectrum = slot(results, "spectrum");
    let spec_draw: DrawFn = Arc::new(move |canvas| {
        let log = log.get();
        spectrum.with(|r| {
            let Some((
                generation,
                Part::Spectrum {
                    eigenvalues,
                    analytic,
                    analytic_note,
                    ..
                },
            )) = r.as_ref()
            else {
                return Ok(None);
            };
            let kernel = if symbol.get_untracked() == "K" {
                "NNGP K"
            } else {
                "NTK Θ"
            };
            let data = format!("n = {}", eigenvalues.len());
            let plot = SpectrumPlot {
                eigenvalues,
                analytic: analytic.as_deref(),
                log,
                kernel,
                data: &data,
                note: analytic_note.as_deref(),
            };
            draw_on_canvas(canvas, |area, style| draw_spectrum(area, &plot, style))
                .map(|(m, s)| Some((*generation, vec![m], s)))
                .map_err(|e| e.to_string())
        })
    });
    let spec_readout: ReadoutFn = Arc::new(move |_, x, y| {
        spectrum.with_untracked(|r| match r.as_ref() {
            Some((_, Part::Spectrum { eigenvalues, .. })) => {
                let k = (x.round() as usize).clamp(1, eigenvalues.len());
                Some(format!(
                    "k = {k}: λ_k/n = {} (pointer at {})",
                    fmt3(eigenvalues[k - 1]),
                    fmt3(y)
                ))
            }
            _ => None,
        })
    });
    let spec_csv: CsvFn = Arc::new(move || {
        spectrum.with_untracked(|r| match r.as_ref() {
            Some((
                _,
                Part::Spectrum {
                    eigenvalues,
                    analytic,
                    ..
                },
            )) => Some(csv_rows(
                "k,eigenvalue_over_n,analytic",
                eigenvalues.iter().enumerate().map(|(k, &v)| {
                    vec![
                        (k + 1) as f64,
                        v,
                        analytic
                            .as_ref()
                            .and_then(|a| a.get(k).copied())
                            .unwrap_or(f64::NAN),
                    ]
                }),
            )),
            _ => None,
        })
    });
    let vec_draw: DrawFn = Arc::new(move |canvas| {
        spectrum.with(|r| {
            let Some((
                generation,
                Part::Spectrum {
                    x,
                    angle,
                    vectors,
                    labels,
                    ..
                },
            )) = r.as_ref()
            else {
                return Ok(None);
            };
            let plot = EigenvectorPlot {
                x,
                angle: *angle,
                vectors,
                labels,
            };
            draw_on_canvas(canvas, |area, style| draw_eigenvectors(area, &plot, style))
                .map(|(m, s)| Some((*generation, vec![m], s)))
                .map_err(|e| e.to_string())
        })
    });
    let vec_readout: ReadoutFn = Arc::new(move |_, x, y| {
        spectrum.with_untracked(|r| match r.as_ref() {
            Some((_, Part::Spectrum { angle, .. })) => Some(if *angle {
                format!(
                    "γ = {} rad, value {}",
                    fmt3(x * std::f64::consts::PI),
                    fmt3(y)
                )
            } else {
                format!("input {}, value {}", x.round(), fmt3(y))
            }),
            _ => None,
        })
    });
    let vec_csv: CsvFn = Arc::new(move || {
        spectrum.with_untracked(|r| match r.as_ref() {
            Some((_, Part::Spectrum { x, vectors, .. })) => {
                let header = std::iter::once("x".to_string())
                    .chain((1..=vectors.len()).map(|k| format!("v{k}")))
                    .collect::<Vec<_>>()
                    .join(",");
                Some(csv_rows(
                    &header,
                    (0..x.len()).map(|i| {
                        std::iter::once(x[i])
                            .chain(vectors.iter().map(|v| v[i]))
                            .collect()
                    }),
                ))
            }
            _ => None,
        })
    });
    view! {
        <section class="panel" id="spectrum-panel" aria-labelledby="spectrum-title">
            <header class="panel-head">
                <h2 id="spectrum-title">"Spectrum: what gradient descent learns first"</h2>
                <p class="what">
                    "Eigenvalues of the analytic Gram matrix on the data (divided by n), largest first, with the kernel's eigenvalues by degree from Funk–Hecke when the data are uniform on a sphere (dashed; they are eigenvalues for the uniform measure, so for other data the plot says why they are absent); and the top eigenvectors: on the circle they are Fourier modes, and the fast decay of the eigenvalues with frequency is spectral bias (Rahaman et al. 2019; Basri et al. 2019)."
                </p>
            </header>
            <div class="panel-plots">
                <PlotCanvas id="spectrum-plot" label="Eigenvalues of the Gram matrix against their index" busy=busy draw=spec_draw readout=spec_readout csv=spec_csv aspect="16 / 10" />
                <PlotCanvas id="eigenvector-plot" label="Top eigenvectors of the Gram matrix as functions" busy=busy draw=vec_draw readout=vec_readout csv=vec_csv aspect="16 / 10" />
            </div>
        </section>
    }
}

/// The formulas panel: the exact recursion in use for the chosen network, and the
/// papers, by arXiv id.
#[component]
pub fn FormulasPanel(
    #[prop(into)] network: Signal<Option<ntk_core::kernel::FcNetwork>>,
) -> impl IntoView {
    view! {
        <section class="panel" id="formulas-panel" aria-labelledby="formulas-title">
            <header class="panel-head">
                <h2 id="formulas-title">"Formulas: what is computed"</h2>
                <p class="what">
                    "The infinite-width recursion for the network in the sidebar, with google/neural-tangents' conventions; it updates with every control."
                </p>
            </header>
            <div class="formulas">
                {move || {
                    network
                        .get()
                        .map(|net| {
                            crate::formulas::formulas(&net)
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
        </section>
    }
}
