//! The "Learning on the plane" tab: a finite net trained on 2-D data, beside its
//! linearisation and the infinite-width NTK prediction with the ensemble's standard
//! deviation, as heatmaps over the plane, frame by frame, with play, pause, step and
//! a time scrubber; the losses and the NTK drift advance with the frames; lazy against
//! rich when several output scales α are trained.
//!
//! The frames stream in from the worker as the net trains (each a part appended to
//! the plane's result, `Part::absorb`). Playing moves a play-head over the frames that
//! have arrived, at [`FPS`]; it waits at the newest while the net still trains.
//! Every frame's kernel prediction was computed in the worker from one
//! eigendecomposition of the training kernel, so scrubbing only redraws.

use std::sync::Arc;

use leptos::prelude::*;
use ntk_core::experiments::plane::Plane;
use ntk_plots::{
    draw_plane_maps, draw_plane_points, fmt3, palette, plane_cells, Mapping, PlaneMap, PlanePlot,
    PlotError, Series, Stroke,
};
use wasm_bindgen::closure::Closure;
use web_sys::HtmlCanvasElement;

use super::Panel;
use crate::canvas::{draw_on_canvas, paint_cells};
use crate::protocol::Slot;
use crate::ui::figure::{
    charts, csv_rows, download_text, shown, Chart, Figure, FigureCanvas, FigureFn,
};
use crate::ui::results::Results;

/// Frames per second while playing.
pub const FPS: f64 = 8.0;

/// The four maps of one frame, with the data.
pub struct PlaneFigure {
    side: usize,
    extent: f64,
    x_train: Vec<[f64; 2]>,
    y_train: Vec<f64>,
    x_test: Vec<[f64; 2]>,
    y_test: Vec<f64>,
    /// f_net, f_lin, the NTK mean, the NTK std.
    maps: [Vec<f64>; 4],
    titles: [String; 4],
    /// The predictions' colour scale ±scale; the std's [0, std_max].
    scale: f64,
    std_max: f64,
    step: usize,
}

impl PlaneFigure {
    fn plot(&self) -> PlanePlot<'_> {
        let maps = (0..4)
            .map(|k| PlaneMap {
                title: self.titles[k].clone(),
                values: &self.maps[k],
                diverging: k < 3,
                lo: 0.0,
                hi: if k < 3 { self.scale } else { self.std_max },
            })
            .collect();
        PlanePlot {
            side: self.side,
            extent: self.extent,
            maps,
            train: &self.x_train,
            train_y: &self.y_train,
            test: &self.x_test,
            test_y: &self.y_test,
            label_scale: self.scale,
            paint_cells: false,
            per_row: 2,
        }
    }

    /// The grid point nearest (x₁, x₂).
    fn cell(&self, x: f64, y: f64) -> Option<usize> {
        let s = self.side;
        let at = |v: f64| ((v + self.extent) / (2.0 * self.extent) * (s - 1) as f64).round();
        let (c, r) = (at(x), at(y));
        (c >= 0.0 && r >= 0.0 && (c as usize) < s && (r as usize) < s)
            .then(|| r as usize * s + c as usize)
    }
}

impl Figure for PlaneFigure {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let plot = self.plot();
        draw_on_canvas(canvas, |area, style| {
            let maps = draw_plane_maps(area, &plot, style)?;
            // The cells as one bitmap each, then the data on top.
            let cells = plane_cells(&plot)?;
            for (m, c) in maps.iter().zip(&cells) {
                paint_cells(canvas, m, c).map_err(PlotError::Backend)?;
            }
            draw_plane_points(area, &maps, &plot, style)?;
            Ok(maps)
        })
        .map_err(|e| e.to_string())
    }

    fn readout(&self, plot: usize, x: f64, y: f64) -> Option<String> {
        let i = self.cell(x, y)?;
        let what = ["net", "linearised", "NTK mean", "NTK std"].get(plot)?;
        Some(format!(
            "step {}: {what} at ({}, {}) = {} (net {}, linearised {}, NTK {} ± {})",
            self.step,
            fmt3(x),
            fmt3(y),
            fmt3(self.maps[plot][i]),
            fmt3(self.maps[0][i]),
            fmt3(self.maps[1][i]),
            fmt3(self.maps[2][i]),
            fmt3(self.maps[3][i]),
        ))
    }

    fn csv(&self) -> String {
        let s = self.side;
        let step = 2.0 * self.extent / (s - 1) as f64;
        csv_rows(
            "step,x1,x2,net,linearised,ntk_mean,ntk_std",
            (0..s * s).map(|i| {
                vec![
                    self.step as f64,
                    -self.extent + (i % s) as f64 * step,
                    -self.extent + (i / s) as f64 * step,
                    self.maps[0][i],
                    self.maps[1][i],
                    self.maps[2][i],
                    self.maps[3][i],
                ]
            }),
        )
    }
}

/// The colour scale of the predictions: 1.25 × the largest |target| (fixed over the
/// run, so that colours do not shift between frames).
fn label_scale(p: &Plane) -> f64 {
    1.25 * p
        .y_train
        .iter()
        .chain(&p.y_test)
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-9)
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// The figure of frame `k` (the newest if beyond).
pub fn plane_figure(p: &Plane, k: usize) -> Option<PlaneFigure> {
    let frame = p.frames.get(k.min(p.frames.len().checked_sub(1)?))?;
    // The standard deviation shrinks by orders of magnitude near the data as t
    // grows: each frame on its own scale (its colour bar says which).
    let std_max = frame
        .kernel_std
        .iter()
        .fold(0.0f64, |m, v| m.max(f64::from(*v)))
        .max(1e-12);
    let t = p.learning_rate * frame.step as f64;
    let alpha = if p.mu_p {
        format!("μP, α = {}", fmt3(p.alpha))
    } else {
        format!("α = {}", fmt3(p.alpha))
    };
    let which = match p.kernel {
        ntk_core::dynamics::KernelKind::Ntk => "NTK",
        ntk_core::dynamics::KernelKind::Nngp => "NNGP (readout trained)",
    };
    let kernel_title = if p.mu_p {
        format!("{which} limit, t = {} (not μP's limit)", fmt3(t))
    } else {
        format!("infinite-width {which}, t = {}", fmt3(t))
    };
    Some(PlaneFigure {
        side: p.grid,
        extent: p.extent,
        x_train: p.x_train.clone(),
        y_train: p.y_train.clone(),
        x_test: p.x_test.clone(),
        y_test: p.y_test.clone(),
        maps: [
            f64s(&frame.net),
            f64s(&frame.linear),
            f64s(&frame.kernel),
            f64s(&frame.kernel_std),
        ],
        titles: [
            format!("net, m = {}, {alpha}", p.width),
            "its linearisation (same f₀, Θ̂₀)".into(),
            kernel_title,
            "its std over initialisations".into(),
        ],
        scale: label_scale(p),
        std_max,
        step: frame.step,
    })
}

/// The losses and the NTK drift up to frame `k`.
pub fn plane_charts(p: &Plane, k: usize, log: bool) -> Vec<Chart> {
    let upto = (k + 1).min(p.frames.len());
    let frames = &p.frames[..upto];
    // Step 0 alone has no place on log axes: linear ones until the next frame.
    let log = log && upto > 1;
    // On log axes step 0 is left out.
    let from = usize::from(log).min(frames.len());
    let x: Vec<f64> = frames[from..].iter().map(|f| f.step as f64).collect();
    let col = |g: fn(&ntk_core::experiments::plane::Frame) -> f64| -> Vec<f64> {
        frames[from..].iter().map(g).collect()
    };
    let mut loss = Chart::new("Loss (1/2N)‖f − y‖²", "step s", "loss").log(log, log);
    loss.series = vec![
        Series::new(
            "net, train",
            x.clone(),
            col(|f| f.train_loss),
            palette::BLUE,
        ),
        Series::new(
            "net, test",
            x.clone(),
            col(|f| f.test_loss),
            palette::VERMILLION,
        ),
        Series::new(
            "linearised, train",
            x.clone(),
            col(|f| f.linear_train_loss),
            palette::BLUE,
        )
        .stroke(Stroke::Dotted),
        Series::new(
            "linearised, test",
            x.clone(),
            col(|f| f.linear_test_loss),
            palette::VERMILLION,
        )
        .stroke(Stroke::Dotted),
    ];
    // Step 0's drift is 0 by construction: not drawn on log axes.
    let from_drift = usize::from(log).min(frames.len());
    let mut drift = Chart::new("NTK drift", "step s", "‖Θ̂_s − Θ̂₀‖_F/‖Θ̂₀‖_F").log(log, log);
    drift.series = vec![Series::new(
        format!("net, m = {}", p.width),
        frames[from_drift..].iter().map(|f| f.step as f64).collect(),
        frames[from_drift..].iter().map(|f| f.drift).collect(),
        palette::BLUE,
    )];
    drift.note = Some(format!(
        "Dotted: the linearised net (its kernel is Θ̂₀ throughout). Frame {} of {}, step {}.",
        upto,
        p.frames.len(),
        frames.last().map_or(0, |f| f.step)
    ));
    vec![loss, drift]
}

/// Lazy against rich: each α's gap to its linearisation, NTK drift and kernel–target
/// alignment (two α or more).
pub fn alpha_charts(p: &Plane) -> Vec<Chart> {
    if p.runs.len() < 2 {
        return Vec::new();
    }
    let mut runs = p.runs.clone();
    runs.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
    let a: Vec<f64> = runs.iter().map(|r| r.alpha).collect();
    let what = if p.mu_p {
        "α (μP: ×1/√m)"
    } else {
        "output scale α"
    };
    let mut lazy = Chart::new("Lazy against rich", what, "relative change").log(true, true);
    lazy.series = vec![
        Series::new(
            "gap ‖f − f_lin‖/‖f_lin‖ on the grid",
            a.clone(),
            runs.iter().map(|r| r.gap.max(1e-300)).collect(),
            palette::BLUE,
        ),
        Series::new(
            "NTK drift ‖Θ̂_T − Θ̂₀‖/‖Θ̂₀‖",
            a.clone(),
            runs.iter().map(|r| r.drift.max(1e-300)).collect(),
            palette::VERMILLION,
        ),
    ];
    lazy.note = Some(
        "Chizat, Oyallon & Bach 2019: as α grows the net stays on its linearisation; the gap falls like 1/α for smooth activations (measured here: erf exactly 1/α, ReLU about α^(−1/2))."
            .into(),
    );
    let mut align =
        Chart::new("Kernel–target alignment", what, "yᵀΘ̂y/(‖Θ̂‖_F‖y‖²)").log(true, false);
    align.series = vec![
        Series::new(
            "at initialisation",
            a.clone(),
            runs.iter().map(|r| r.alignment_start).collect(),
            palette::ANALYTIC,
        )
        .stroke(Stroke::Dashed),
        Series::new(
            "after training",
            a.clone(),
            runs.iter().map(|r| r.alignment_end).collect(),
            palette::GREEN,
        ),
    ];
    align.note = Some("Feature learning turns the kernel towards the target: its alignment grows at small α and stays at its initial value at large α.".into());
    let mut test = Chart::new("Test loss", what, "(1/2N)‖f − y‖²").log(true, true);
    test.series = vec![
        Series::new(
            "net",
            a.clone(),
            runs.iter().map(|r| r.test_loss.max(1e-300)).collect(),
            palette::BLUE,
        ),
        Series::new(
            "its linearisation",
            a,
            runs.iter()
                .map(|r| r.linear_test_loss.max(1e-300))
                .collect(),
            palette::BLUE,
        )
        .stroke(Stroke::Dotted),
    ];
    vec![lazy, align, test]
}

/// The whole run as CSV: every frame's grid values.
pub fn run_csv(p: &Plane) -> String {
    let s = p.grid;
    let step = 2.0 * p.extent / (s - 1) as f64;
    csv_rows(
        "step,x1,x2,net,linearised,ntk_mean,ntk_std",
        p.frames.iter().flat_map(|f| {
            (0..s * s).map(move |i| {
                vec![
                    f.step as f64,
                    -p.extent + (i % s) as f64 * step,
                    -p.extent + (i / s) as f64 * step,
                    f64::from(f.net[i]),
                    f64::from(f.linear[i]),
                    f64::from(f.kernel[i]),
                    f64::from(f.kernel_std[i]),
                ]
            })
        }),
    )
}

/// A recording of the maps' canvas as a video (where the browser has MediaRecorder):
/// the recorder and its two handlers, kept alive while it records.
struct Recording {
    recorder: web_sys::MediaRecorder,
    _data: Closure<dyn FnMut(web_sys::BlobEvent)>,
    _stop: Closure<dyn FnMut()>,
}

/// Whether this browser can record a canvas (MediaRecorder and captureStream).
fn can_record() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    js_sys::Reflect::has(&w, &"MediaRecorder".into()).unwrap_or(false)
        && js_sys::Reflect::has(
            &js_sys::Reflect::get(&w, &"HTMLCanvasElement".into())
                .and_then(|c| js_sys::Reflect::get(&c, &"prototype".into()))
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
            &"captureStream".into(),
        )
        .unwrap_or(false)
}

/// Start recording the canvas `id`; the video is downloaded as `name` when the
/// recorder stops.
fn start_recording(id: &str, name: &'static str) -> Result<Recording, String> {
    use wasm_bindgen::JsCast;
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .ok_or("no canvas to record")?
        .dyn_into()
        .map_err(|_| "not a canvas".to_string())?;
    let stream = canvas
        .capture_stream_with_frame_request_rate(FPS)
        .map_err(|e| format!("{e:?}"))?;
    let recorder =
        web_sys::MediaRecorder::new_with_media_stream(&stream).map_err(|e| format!("{e:?}"))?;
    let chunks = std::rc::Rc::new(std::cell::RefCell::new(js_sys::Array::new()));
    let kept = chunks.clone();
    let data = Closure::<dyn FnMut(web_sys::BlobEvent)>::new(move |e: web_sys::BlobEvent| {
        if let Some(b) = e.data() {
            kept.borrow().push(&b);
        }
    });
    let rec = recorder.clone();
    let stop = Closure::<dyn FnMut()>::new(move || {
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(&rec.mime_type());
        if let Ok(blob) = web_sys::Blob::new_with_blob_sequence_and_options(&chunks.borrow(), &opts)
        {
            if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
                crate::ui::figure::download(&url, name);
                let _ = web_sys::Url::revoke_object_url(&url);
            }
        }
    });
    recorder.set_ondataavailable(Some(data.as_ref().unchecked_ref()));
    recorder.set_onstop(Some(stop.as_ref().unchecked_ref()));
    recorder.start().map_err(|e| format!("{e:?}"))?;
    Ok(Recording {
        recorder,
        _data: data,
        _stop: stop,
    })
}

/// The panel: the player, the maps, the curves, and lazy against rich.
#[component]
pub fn PlanePanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    /// The data seed: "New sample" moves it on.
    seed: RwSignal<String>,
) -> impl IntoView {
    // The play-head (a frame index) and whether it moves.
    let at = RwSignal::new(0usize);
    let playing = RwSignal::new(true);
    let frames = Memo::new(move |_| results.with(|r| r.plane().map_or(0, |(_, p)| p.frames.len())));
    let generation = Memo::new(move |_| results.with(|r| r.plane().map(|(g, _)| g)));
    // A new job: back to the start, playing.
    Effect::new(move |prev: Option<Option<u64>>| {
        let g = generation.get();
        if prev.is_some_and(|p| p != g) {
            at.set(0);
            playing.set(true);
        }
        g
    });
    let running = Signal::derive(move || busy.get());
    let tick = move || {
        if !playing.get_untracked() {
            return;
        }
        let n = frames.get_untracked();
        let k = at.get_untracked();
        if k + 1 < n {
            at.set(k + 1);
        } else if !running.get_untracked() && n > 0 {
            // The end of a finished run.
            playing.set(false);
        }
    };
    if let Ok(handle) =
        set_interval_with_handle(tick, std::time::Duration::from_secs_f64(1.0 / FPS))
    {
        on_cleanup(move || handle.clear());
    }
    let shown_at = Signal::derive(move || at.get().min(frames.get().saturating_sub(1)));

    let maps: FigureFn = Arc::new(move |r: &Results| {
        let (g, p) = r.plane()?;
        let fig = plane_figure(p, shown_at.get())?;
        Some(shown(g, fig))
    });
    let curves: FigureFn = Arc::new(move |r: &Results| {
        let (g, p) = r.plane()?;
        charts(g, plane_charts(p, shown_at.get(), log.get()))
    });
    let lazy: FigureFn = Arc::new(move |r: &Results| {
        let (g, p) = r.plane()?;
        charts(g, alpha_charts(p))
    });
    let several =
        Memo::new(move |_| results.with(|r| r.plane().is_some_and(|(_, p)| p.runs.len() >= 2)));
    let status = move || {
        results.with(|r| {
            let Some((_, p)) = r.plane() else {
                return "Waiting for the first frame…".to_string();
            };
            let n = p.frames.len();
            let k = shown_at.get();
            let Some(f) = p.frames.get(k) else {
                return "Training…".into();
            };
            let more = if running.get() { " (training…)" } else { "" };
            format!(
                "step {} · t = η·s = {} · frame {} of {}{more}",
                f.step,
                fmt3(p.learning_rate * f.step as f64),
                k + 1,
                n
            )
        })
    };
    let play_label = move || if playing.get() { "Pause" } else { "Play" };
    let on_play = move |_| {
        if !playing.get_untracked()
            && at.get_untracked() + 1 >= frames.get_untracked()
            && !running.get_untracked()
        {
            // Played to the end: play again from the start.
            at.set(0);
        }
        playing.update(|p| *p = !*p);
    };
    let on_step = move |_| {
        playing.set(false);
        let n = frames.get_untracked();
        at.update(|k| *k = (*k + 1).min(n.saturating_sub(1)));
    };
    let on_back = move |_| {
        playing.set(false);
        at.update(|k| *k = k.saturating_sub(1));
    };
    let on_scrub = move |ev: leptos::ev::Event| {
        playing.set(false);
        if let Ok(k) = event_target_value(&ev).parse::<usize>() {
            at.set(k);
        }
    };
    let on_new_sample = move |_| {
        let next = seed
            .get_untracked()
            .parse::<u64>()
            .map_or(1, |s| s.saturating_add(1));
        seed.set(next.to_string());
    };
    // Record: play from the first frame while the maps' canvas is recorded; the video
    // is downloaded when the play-head reaches the end (or on a second click).
    let recording = StoredValue::new_local(None::<Recording>);
    let is_recording = RwSignal::new(false);
    let record_error = RwSignal::new(None::<String>);
    // A stopped recording's handlers run after stop() returns (its last data, then
    // the download): it is kept until the next recording stops.
    let stopped = StoredValue::new_local(None::<Recording>);
    let stop_recording = move || {
        if let Some(r) = recording.try_update_value(Option::take).flatten() {
            let _ = r.recorder.stop();
            stopped.set_value(Some(r));
        }
        is_recording.set(false);
    };
    let on_record = move |_| {
        if is_recording.get_untracked() {
            stop_recording();
            return;
        }
        match start_recording("plane-maps", "ntk-plane.webm") {
            Ok(r) => {
                recording.set_value(Some(r));
                record_error.set(None);
                is_recording.set(true);
                at.set(0);
                playing.set(true);
            }
            Err(e) => record_error.set(Some(format!("The video could not be recorded: {e}"))),
        }
    };
    Effect::new(move |_| {
        if is_recording.get() && !playing.get() {
            stop_recording();
        }
    });
    let recordable = can_record();
    let on_run_csv = move |_| {
        results.with_untracked(|r| {
            if let Some((_, p)) = r.plane() {
                download_text(&run_csv(p), "text/csv", "ntk-plane-run.csv");
            }
        })
    };
    view! {
        <Panel id="plane" title="Learning on the plane: the net, its linearisation and the infinite-width kernel" what="A network trained by full-batch gradient descent on (1/2N)‖f − y‖² with ±1 labels (or a regression surface), drawn over the plane frame by frame as it trains, beside its linearisation around initialisation (the same f₀ and empirical NTK Θ̂₀) and the infinite-width NTK prediction, the mean of neural-tangents' gradient_descent_mse_ensemble at the same time t = η·s, with the standard deviation of that ensemble over random initialisations (Lee et al. 2019, arXiv:1902.06720). The model is α·(f_θ − f_θ₀) (Chizat, Oyallon & Bach 2019, arXiv:1812.07956): at large α the net stays on its linearisation and its NTK barely moves (the kernel regime); at small α, or under μP, it learns features. Filled points train, hollow points test.">
            <div class="plane-player" role="group" aria-label="Play the training">
                <button type="button" id="plane-play" class="share" aria-pressed=move || if playing.get() { "true" } else { "false" } on:click=on_play>{play_label}</button>
                <button type="button" id="plane-back" class="share" aria-label="One frame back" on:click=on_back>"◀ Frame"</button>
                <button type="button" id="plane-step" class="share" aria-label="One frame on" on:click=on_step>"Frame ▶"</button>
                <input
                    type="range"
                    id="plane-scrub"
                    aria-label="Frame"
                    min="0"
                    max=move || frames.get().saturating_sub(1).to_string()
                    prop:value=move || shown_at.get().to_string()
                    on:input=on_scrub
                />
                <span class="plane-status" id="plane-status" role="status" data-frame=move || shown_at.get().to_string() data-frames=move || frames.get().to_string() data-playing=move || playing.get().to_string()>{status}</span>
                <button type="button" id="plane-new-sample" class="share" title="Draw the data again (the next data seed)" on:click=on_new_sample>"New sample"</button>
                <button type="button" id="plane-run-csv" class="share" title="Every frame's grid values as one CSV file" on:click=on_run_csv>"CSV of the run"</button>
                <Show when=move || recordable>
                    <button type="button" id="plane-record" class="share" title="Play from the first frame and download the maps as a WebM video" aria-pressed=move || if is_recording.get() { "true" } else { "false" } on:click=on_record>{move || if is_recording.get() { "Stop recording" } else { "Record video" }}</button>
                </Show>
            </div>
            <p class="panel-error" role="alert">{move || record_error.get()}</p>
            <div class="panel-plots">
                <FigureCanvas id="plane-maps" label="The net, its linearisation, the infinite-width NTK prediction and its standard deviation over the plane, at the current frame, with the data" results=results slots=&[Slot::Plane] busy=busy figure=maps aspect="1.25 / 1" charts=4 />
                <FigureCanvas id="plane-curves" label="The losses of the net and of its linearisation, and the NTK drift, up to the current frame" results=results slots=&[Slot::Plane] busy=busy figure=curves aspect="2.6 / 1" charts=2 />
                <Show when=move || several.get()>
                    <FigureCanvas id="plane-alpha" label="Lazy against rich: the gap to the linearisation, the NTK drift, the kernel–target alignment and the test loss against the output scale α" results=results slots=&[Slot::Plane] busy=busy figure=lazy.clone() aspect="3 / 1" charts=3 />
                </Show>
            </div>
        </Panel>
    }
}
