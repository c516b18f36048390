//! One plot idiom: every plot is built once per result (and per view-only setting)
//! into a [`Figure`] value, which gives the canvas drawing, the pointer read-out and
//! the CSV. [`FigureCanvas`] shows a figure: a canvas redrawn when its figure or the
//! window size changes, a read-out line below it, PNG and CSV buttons; while a newer
//! job runs the old plot stays, dimmed. Its `data-generation` attribute is the
//! generation of the job it shows (tests wait on it).

use std::sync::Arc;

use leptos::prelude::*;
use ntk_plots::common::Ramp;
use ntk_plots::palette;
use ntk_plots::{draw_lines_row, fmt3, LinesPlot, Mapping, Series};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use crate::canvas::draw_on_canvas;
use crate::protocol::Slot;
use crate::ui::results::Results;

/// A plot built from results: how to draw it, read it and export it.
pub trait Figure: Send + Sync {
    /// Draw on the canvas; the pixel ↔ data mapping of each plot, and the scale.
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String>;
    /// The read-out at data coordinates (x, y) of plot `plot`.
    fn readout(&self, plot: usize, x: f64, y: f64) -> Option<String>;
    /// The plotted numbers as CSV.
    fn csv(&self) -> String;
}

/// A figure and the generation of the job it shows.
#[derive(Clone)]
pub struct Shown(pub u64, pub Arc<dyn Figure>);

impl PartialEq for Shown {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 && Arc::ptr_eq(&self.1, &other.1)
    }
}

/// Builds a canvas's figure from the results of its slots (and any view signals it
/// reads); `None` while there is nothing to draw.
pub type FigureFn = Arc<dyn Fn(&Results) -> Option<Shown> + Send + Sync>;

/// A figure with its generation, for [`FigureFn`]s.
pub fn shown(generation: u64, figure: impl Figure + 'static) -> Shown {
    Shown(generation, Arc::new(figure))
}

/// Milliseconds since page load (0 where there is no `performance`).
pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Start a download of `href` as `name`.
pub(crate) fn download(href: &str, name: &str) {
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
    download_text(text, "text/csv", name);
}

/// Start a download of `text` as the file `name` of type `mime`.
pub fn download_text(text: &str, mime: &str, name: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) {
        if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
            download(&url, name);
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    }
}

/// The generation of the newest finished job (`JobRunner::finished`), provided by
/// `App`: a figure built from older results than it is stale, and is not shown.
#[derive(Clone, Copy)]
pub struct FinishedJob(pub Signal<u64>);

/// A canvas showing the figure that `figure` builds from the results of `slots`.
/// Once no job runs, results older than the newest finished job are not drawn: that
/// job, which computed every plot of its tab, did not compute this one (its settings
/// have no such plot), so the canvas is cleared and says so, rather than keep a plot of
/// other settings.
#[component]
pub fn FigureCanvas(
    id: &'static str,
    label: &'static str,
    results: RwSignal<Results>,
    /// The result slots the figure is built from: a part for another slot does not
    /// rebuild it.
    slots: &'static [Slot],
    #[prop(into)] busy: Signal<bool>,
    figure: FigureFn,
    /// CSS aspect ratio, e.g. "16 / 9".
    aspect: &'static str,
    /// Half the panel's width (two such plots side by side); else the full width.
    #[prop(optional)]
    half: bool,
    /// How many charts the figure draws side by side (on a phone they stack, and the
    /// canvas is that many times taller).
    #[prop(default = 1)]
    charts: u8,
) -> impl IntoView {
    let parts = Memo::new(move |_| results.with(|r| r.only(slots)));
    let finished = use_context::<FinishedJob>();
    let built = Memo::new(move |_| {
        let shown = parts.with(|r| figure(r));
        match (&shown, finished) {
            // While a job runs, the last plot stays (dimmed) until its results come.
            (Some(Shown(g, _)), Some(f)) if *g < f.0.get() && !busy.get() => None,
            _ => shown,
        }
    });
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(0u64);
    // How long the last draw took on the main thread (`data-draw-ms`).
    let draw_ms = RwSignal::new(0.0f64);
    let mappings = StoredValue::new((Vec::<Mapping>::new(), 1.0f64));
    let error = RwSignal::new(None::<String>);
    let text = RwSignal::new(String::new());
    let resized = RwSignal::new(0u32);
    // Redraw whenever the canvas's box changes size: a window resize, a drawer opened
    // (a canvas drawn while hidden had no size), present mode. Drawing sets only the
    // backing store, never the box, so it does not trigger itself.
    let observed = StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn FnMut()>)>);
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        if observed.with_value(Option::is_some) {
            return;
        }
        // No size read here: at mount it would force the first layout of the whole page
        // inside the mount's task (≈ 70 ms in a profile of the load). The observer's
        // first callback, after the browser's own layout, gives the size.
        let size = std::cell::Cell::new((0, 0));
        let target = canvas.clone();
        let callback = Closure::<dyn FnMut()>::new(move || {
            let now = (target.client_width(), target.client_height());
            if now != size.get() && now.0 > 0 {
                size.set(now);
                let _ = resized.try_update(|n| *n = n.wrapping_add(1));
            }
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&canvas);
            observed.set_value(Some((observer, callback)));
        }
    });
    on_cleanup(move || {
        let _ = observed.try_with_value(|o| {
            if let Some((observer, _)) = o {
                observer.disconnect();
            }
        });
    });
    // Present mode changes the plot text even where the box keeps its size.
    if let Some(present) = use_context::<crate::ui::app::PresentMode>() {
        Effect::new(move |prev: Option<bool>| {
            let now = present.0.get();
            if prev.is_some_and(|p| p != now) {
                request_animation_frame(move || {
                    let _ = resized.try_update(|n| *n = n.wrapping_add(1));
                });
            }
            now
        });
    }
    let draw_now = move || {
        let Some(canvas) = canvas_ref.get_untracked() else {
            return;
        };
        built.with_untracked(|b| {
            let Some(Shown(generation, fig)) = b else {
                // Nothing (any more) for the newest results: no stale plot stays.
                if drawn.get_untracked() > 0 {
                    clear(&canvas);
                    mappings.set_value((Vec::new(), 1.0));
                    drawn.set(0);
                    error.set(Some("No plot for these settings.".into()));
                }
                return;
            };
            let t0 = now_ms();
            match fig.draw(&canvas) {
                Ok((maps, scale)) => {
                    mappings.set_value((maps, scale));
                    error.set(None);
                    draw_ms.set(now_ms() - t0);
                    drawn.set(*generation);
                }
                Err(e) => {
                    // The message replaces the plot: the last one drew other results.
                    clear(&canvas);
                    mappings.set_value((Vec::new(), 1.0));
                    drawn.set(*generation);
                    error.set(Some(format!("The plot could not be drawn: {e}")));
                }
            }
        });
    };
    // Each figure draws in a task of its own (a zero-delay timeout), not all of them in
    // the reactive flush that brought their results: one long main-thread task would
    // otherwise hold every plot of a job (≈ 100 ms on load in a profile). A newer
    // request supersedes one not yet run.
    let pending = StoredValue::new(0u64);
    Effect::new(move |_| {
        resized.track();
        built.track();
        if canvas_ref.get().is_none() {
            return;
        }
        let ticket = pending.get_value().wrapping_add(1);
        pending.set_value(ticket);
        set_timeout(
            move || {
                // The figure may be gone, or a newer draw asked for.
                if pending.try_get_value() != Some(ticket) {
                    return;
                }
                draw_now();
            },
            std::time::Duration::ZERO,
        );
    });
    let on_move = move |ev: web_sys::MouseEvent| {
        let (maps, scale) = mappings.get_value();
        let (px, py) = (ev.offset_x() as f64 * scale, ev.offset_y() as f64 * scale);
        let found = built.with_untracked(|b| {
            let Shown(_, fig) = b.as_ref()?;
            maps.iter()
                .enumerate()
                .find_map(|(i, m)| m.to_data(px, py).and_then(|(x, y)| fig.readout(i, x, y)))
        });
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
        if let Some(t) = built.with_untracked(|b| b.as_ref().map(|s| s.1.csv())) {
            download_csv(&t, &format!("ntk-lab-{id}.csv"));
        }
    };
    view! {
        <figure class="plot" class:half=half class:busy=move || busy.get()>
            <div class="toolbar" role="toolbar" aria-label=format!("{label}: downloads")>
                <button type="button" class="tool" id=format!("{id}-png") on:click=png title="Download this plot as a PNG image">"PNG"</button>
                <button type="button" class="tool" id=format!("{id}-csv") on:click=csv_click title="Download the plotted numbers as CSV">"CSV"</button>
            </div>
            <canvas
                node_ref=canvas_ref
                id=id
                class="plot-canvas"
                // Set through the CSSOM (which the CSP allows), not a style attribute.
                // The width must not depend on the stylesheet: the backing store is
                // drawn at ≥ 2× the box, so a box sized by its content would grow with
                // every draw.
                style:display="block"
                style:width="100%"
                style:height="auto"
                style:aspect-ratio=aspect.to_string()
                role="img"
                aria-label=label
                data-charts=charts.to_string()
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

/// Blank a canvas.
fn clear(canvas: &HtmlCanvasElement) {
    if let Ok(Some(ctx)) = canvas.get_context("2d") {
        if let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() {
            ctx.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
        }
    }
}

/// A number as a CSV cell: empty when it is not finite.
pub fn cell(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// CSV text: a header line, then one line per row. A value that is not a finite
/// number (a point a series does not have) is an empty cell, as spreadsheets and
/// pandas read a missing value; "NaN" or "inf" never reach the file.
pub fn csv_rows(header: &str, rows: impl Iterator<Item = Vec<f64>>) -> String {
    let mut s = String::from(header);
    s.push('\n');
    for r in rows {
        s.push_str(&r.iter().map(|&v| cell(v)).collect::<Vec<_>>().join(","));
        s.push('\n');
    }
    s
}

pub use palette::CYCLE;

/// Light (narrow) to dark (wide) colours for `count` widths.
pub fn width_color(i: usize, count: usize) -> plotters::style::RGBColor {
    Ramp::Sequential.at(if count > 1 {
        0.3 + 0.7 * i as f64 / (count - 1) as f64
    } else {
        0.8
    })
}

/// One line chart, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
    pub note: Option<String>,
}

impl Chart {
    pub fn new(title: impl Into<String>, x_label: &str, y_label: &str) -> Self {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
            note: None,
        }
    }

    pub fn log(mut self, x: bool, y: bool) -> Self {
        self.log_x = x;
        self.log_y = y;
        self
    }

    fn plot(&self) -> LinesPlot<'_> {
        LinesPlot {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
            log_x: self.log_x,
            log_y: self.log_y,
            series: &self.series,
            note: self.note.as_deref(),
        }
    }
}

/// The CSV of charts: one row per point, `chart,series,x,y,error`.
pub fn charts_csv(charts: &[Chart]) -> String {
    let mut s = String::from("chart,series,x,y,error\n");
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    for c in charts {
        for series in &c.series {
            for i in 0..series.x.len() {
                let err = series.err.as_ref().map_or(String::new(), |e| cell(e[i]));
                s.push_str(&format!(
                    "{},{},{},{},{err}\n",
                    quote(&c.title),
                    quote(&series.label),
                    cell(series.x[i]),
                    cell(series.y[i])
                ));
            }
        }
    }
    s
}

/// Line charts side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Charts(pub Vec<Chart>);

impl Figure for Charts {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let plots: Vec<LinesPlot> = self.0.iter().map(Chart::plot).collect();
        draw_on_canvas(canvas, |area, style| draw_lines_row(area, &plots, style))
            .map_err(|e| e.to_string())
    }

    fn readout(&self, plot: usize, x: f64, y: f64) -> Option<String> {
        let chart = self.0.get(plot)?;
        Some(chart_readout(chart, x, y))
    }

    fn csv(&self) -> String {
        charts_csv(&self.0)
    }
}

/// The value of `series` at `x`: linear interpolation between its neighbouring points
/// (in log x on a log axis), `None` outside its range.
pub fn value_at(series: &Series, x: f64, log_x: bool) -> Option<f64> {
    let t = |v: f64| if log_x { v.log10() } else { v };
    let (xt, pts) = (t(x), series.x.iter().zip(&series.y));
    let mut prev: Option<(f64, f64)> = None;
    for (&a, &b) in pts {
        let a = t(a);
        if (a - xt).abs() < 1e-12 {
            return Some(b);
        }
        if let Some((pa, pb)) = prev {
            if (pa <= xt && xt <= a) || (a <= xt && xt <= pa) {
                return Some(pb + (b - pb) * (xt - pa) / (a - pa));
            }
        }
        prev = Some((a, b));
    }
    None
}

/// The read-out of a chart at data (x, y): the x under the pointer and each labelled
/// curve's value there, the curve nearest the pointer first ("width m = 256: 0.0412 ·
/// 1/√m reference: 0.0625"); the pointer's y where no curve reaches.
pub fn chart_readout(chart: &Chart, x: f64, y: f64) -> String {
    let mut values: Vec<(f64, String)> = chart
        .series
        .iter()
        .filter(|s| !s.label.is_empty())
        .filter_map(|s| {
            let v = value_at(s, x, chart.log_x)?;
            let distance = if chart.log_y && v > 0.0 && y > 0.0 {
                (v.log10() - y.log10()).abs()
            } else {
                (v - y).abs()
            };
            Some((distance, format!("{}: {}", s.label, fmt3(v))))
        })
        .collect();
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let head = format!("{}, {} = {}", chart.title, chart.x_label, fmt3(x));
    if values.is_empty() {
        return format!("{head}: {} = {}", chart.y_label, fmt3(y));
    }
    let list: Vec<String> = values.into_iter().map(|(_, t)| t).collect();
    format!("{head} — {}", list.join(" · "))
}

/// Charts as a shown figure, `None` when there are none.
pub fn charts(generation: u64, charts: Vec<Chart>) -> Option<Shown> {
    (!charts.is_empty()).then(|| shown(generation, Charts(charts)))
}
