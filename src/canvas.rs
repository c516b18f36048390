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
/// The largest backing store side, in device pixels.
const MAX_SIDE: f64 = 8192.0;
/// The largest backing store, in device pixels (16 M pixels, 64 MB of RGBA).
const MAX_PIXELS: f64 = 16_777_216.0;
/// How much larger plot text is in present mode (inside an element of class
/// `present`): the smallest plot text, 10 px, becomes 16 px.
pub const PRESENT_TEXT: f64 = 1.6;

/// Resize the canvas's backing store to its CSS box × devicePixelRatio, then run
/// `draw` on it with a matching [`PlotStyle`].
/// Returns what `draw` returns and the scale (device pixels per CSS pixel), to map
/// pointer positions.
pub fn draw_on_canvas<T>(
    canvas: &HtmlCanvasElement,
    draw: impl FnOnce(&DrawingArea<MeasuredCanvas, Shift>, &PlotStyle) -> Result<T, PlotError>,
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
    // Bound the backing store (memory, and the time one draw takes) whatever the box
    // says: a box without its stylesheet could otherwise grow with every draw.
    let scale = scale
        .min(MAX_SIDE / css_w)
        .min(MAX_SIDE / css_h)
        .min((MAX_PIXELS / (css_w * css_h)).sqrt());
    canvas.set_width((css_w * scale).round() as u32);
    canvas.set_height((css_h * scale).round() as u32);
    let backend = MeasuredCanvas::new(canvas)
        .ok_or_else(|| PlotError::Backend("no 2-D context on the canvas".into()))?;
    let area = backend.into_drawing_area();
    // Present mode draws text, lines and margins larger on the same backing store;
    // the pointer mapping keeps the backing store's scale.
    let zoom = if canvas.closest(".present").ok().flatten().is_some() {
        PRESENT_TEXT
    } else {
        1.0
    };
    // The page's checks read it: the smallest plot text is 10 px × this.
    let _ = canvas.set_attribute("data-text-scale", &zoom.to_string());
    let style = PlotStyle {
        scale: scale * zoom,
        ..PlotStyle::default()
    };
    let out = draw(&area, &style)?;
    area.present()?;
    Ok((out, scale))
}

/// plotters' canvas backend, with text measured by the canvas itself.
///
/// plotters measures text on the web by appending a `<span>` to the page and reading
/// its `offsetHeight` and `offsetWidth`: a forced layout of the whole page for every
/// label, ≈ 60 ms of the page's first drawing (a CDP profile of the load). Here the
/// 2-D context's `measureText` gives the width, and the font's ascent plus descent
/// (`fontBoundingBox…`: the line box of `line-height: normal`, what the span's
/// height was) the height, without touching the layout.
pub struct MeasuredCanvas {
    inner: CanvasBackend,
    context: web_sys::CanvasRenderingContext2d,
}

impl MeasuredCanvas {
    fn new(canvas: &HtmlCanvasElement) -> Option<Self> {
        use wasm_bindgen::JsCast;
        let context = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(MeasuredCanvas {
            inner: CanvasBackend::with_canvas_object(canvas.clone())?,
            context,
        })
    }
}

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

impl DrawingBackend for MeasuredCanvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        // The font string plotters' draw_text sets.
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str(),
        ));
        let m = self
            .context
            .measure_text(text)
            .map_err(|e| DrawingErrorKind::FontError(format!("measureText: {e:?}").into()))?;
        let height = m.font_bounding_box_ascent() + m.font_bounding_box_descent();
        // A browser without the font's bounding box: the usual normal line height.
        let height = if height.is_finite() && height > 0.0 {
            height
        } else {
            1.15 * style.size()
        };
        Ok((m.width().ceil() as u32, height.ceil() as u32))
    }
}

/// Paint heatmap cells (`side` × `side` colours, row-major, row 0 at the top) into
/// the pixel rectangle of `mapping` on `canvas`: one bitmap scaled without smoothing,
/// instead of one `fillRect` per cell (≈ 5 µs each in Chromium).
pub fn paint_cells(
    canvas: &HtmlCanvasElement,
    mapping: &ntk_plots::Mapping,
    cells: &ntk_plots::HeatmapCells,
) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let side = cells.side as u32;
    let rgba: Vec<u8> = cells
        .colors
        .iter()
        .flat_map(|c| [c.0, c.1, c.2, 255])
        .collect();
    let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(&rgba),
        side,
        side,
    )
    .map_err(|e| format!("{e:?}"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let bitmap: HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    bitmap.set_width(side);
    bitmap.set_height(side);
    let context = |c: &HtmlCanvasElement| -> Result<web_sys::CanvasRenderingContext2d, String> {
        c.get_context("2d")
            .map_err(|e| format!("{e:?}"))?
            .ok_or("no 2-D context")?
            .dyn_into()
            .map_err(|_| "not a 2-D context".to_string())
    };
    context(&bitmap)?
        .put_image_data(&image, 0.0, 0.0)
        .map_err(|e| format!("{e:?}"))?;
    let target = context(canvas)?;
    target.set_image_smoothing_enabled(false);
    let (x0, x1) = (mapping.px_x.0 as f64, mapping.px_x.1 as f64);
    let (y0, y1) = (mapping.px_y.0 as f64, mapping.px_y.1 as f64);
    target
        .draw_image_with_html_canvas_element_and_dw_and_dh(&bitmap, x0, y0, x1 - x0, y1 - y0)
        .map_err(|e| format!("{e:?}"))
}
