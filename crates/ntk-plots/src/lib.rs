//! # ntk-plots
//!
//! NTK Lab's plot functions. Each is `draw_<what>(area, &data, &style)` over any
//! plotters [`DrawingBackend`]: the page draws on a `<canvas>` (plotters-canvas), native
//! tests draw to an SVG string and read it back. No UI framework in here.
//!
//! The look follows the project's `ui-style.md`: Okabe–Ito colours, the analytic
//! (infinite-width) curve in black, titles and labelled axes, text ≥ 12 px at 1×,
//! everything scaled by the device-pixel ratio for crisp high-DPI canvases.

use plotters::coord::Shift;
use plotters::prelude::*;
use thiserror::Error;

mod circle_widths;
pub mod common;
mod heatmap;
pub mod legend;
mod lines;
pub mod palette;
mod plane;
mod scatter;
mod spectrum;

pub use circle_widths::{
    draw_circle_widths, CircleWidthsPlot, CircleWords, WidthSeries, DATA_CIRCLE, UNIT_CIRCLE,
};
pub use common::Mapping;
pub use heatmap::{
    downsample, draw_kernel_heatmaps, heatmap_colors, HeatmapCells, HeatmapsPlot, MAX_CELLS,
};
pub use legend::{LegendEntry, Swatch};
pub use lines::{draw_lines, draw_lines_row, LinesPlot, Series, Stroke};
pub use plane::{draw_plane_maps, draw_plane_points, plane_cells, PlaneMap, PlanePlot};
pub use scatter::{draw_data, DataPlot};
pub use spectrum::{draw_eigenvectors, draw_spectrum, EigenvectorPlot, SpectrumPlot};

/// Why a plot could not be drawn.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PlotError {
    /// The data to draw is empty.
    #[error("nothing to draw: {0}")]
    NoData(&'static str),
    /// Series of one plot have different lengths.
    #[error("series lengths differ: {0}")]
    LengthMismatch(&'static str),
    /// The data holds NaN or ±∞.
    #[error("the data contains non-finite values: {0}")]
    NonFinite(&'static str),
    /// The backend failed to draw.
    #[error("drawing failed: {0}")]
    Backend(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError::Backend(e.to_string())
    }
}

/// How plots look, independent of what they show.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotStyle {
    /// Device pixels per CSS pixel: fonts and lines are scaled by it.
    pub scale: f64,
    /// A CSS font-family list.
    pub font_family: String,
}

impl Default for PlotStyle {
    fn default() -> Self {
        PlotStyle {
            scale: 1.0,
            font_family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif".into(),
        }
    }
}

impl PlotStyle {
    /// A length in CSS pixels, in device pixels.
    pub fn px(&self, css: f64) -> u32 {
        (css * self.scale).round().max(1.0) as u32
    }

    /// A text style of `css_px` CSS pixels.
    pub fn font(&self, css_px: f64) -> TextStyle<'_> {
        (self.font_family.as_str(), css_px * self.scale)
            .into_font()
            .color(&palette::TEXT)
    }
}

/// A number to 3 significant digits, without trailing zeros.
pub fn fmt3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() < 1e-3 || v.abs() >= 1e7 {
        // Scientific notation with 3 significant digits: 3.16e-4, not 0.000316.
        let s = format!("{v:.2e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    if v.abs() < 1e-4 || v.abs() >= 1e7 {
        // Scientific notation, 3 significant digits: 5.55e-17.
        let s = format!("{v:.2e}");
        return s.replace(".00e", "e").replace("0e", "e");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Clear `area` to the plot background.
pub fn clear<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    Ok(())
}

/// Render `draw` into an SVG string of `width` × `height` pixels (for tests, the
/// command line and downloads).
pub fn to_svg_string(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}
