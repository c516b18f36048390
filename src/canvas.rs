//! Drawing `ntk-plots` functions onto a `<canvas>`, sized for the device-pixel ratio so
//! text and lines are crisp on high-DPI screens.

use ntk_plots::{PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// Canvas width used when the element has no layout yet (e.g. hidden).
const FALLBACK_CSS_WIDTH: f64 = 720.0;
/// Smallest backing-store scale.
const MIN_SCALE: f64 = 2.0;

/// Resize the canvas's backing store to its CSS box × devicePixelRatio, then run
/// `draw` on it with a matching [`PlotStyle`].
/// Returns what `draw` returns and the scale (device pixels per CSS pixel), to map
/// pointer positions.
pub fn draw_on_canvas<T>(
    canvas: &HtmlCanvasElement,
    draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>, &PlotStyle) -> Result<T, PlotError>,
) -> Result<(T, f64), PlotError> {
    // At least 2 device pixels per CSS pixel: plotters draws on whole pixels, and the
    // browser's downsampling of a 2× bitmap smooths curves on 1× screens.
    let scale = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(1.0)
        .max(MIN_SCALE);
    let css_w = match canvas.client_width() {
        w if w > 0 => w as f64,
        _ => FALLBACK_CSS_WIDTH,
    };
    let css_h = match canvas.client_height() {
        h if h > 0 => h as f64,
        _ => css_w * 9.0 / 16.0,
    };
    canvas.set_width((css_w * scale).round() as u32);
    canvas.set_height((css_h * scale).round() as u32);
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| PlotError::Backend("no 2-D context on the canvas".into()))?;
    let area = backend.into_drawing_area();
    let style = PlotStyle {
        scale,
        ..PlotStyle::default()
    };
    let out = draw(&area, &style)?;
    area.present()?;
    Ok((out, scale))
}
