//! Pieces shared by the plot functions: the pixel ↔ data mapping for pointer
//! read-outs, colour ramps, log-axis tick labels.

use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::legend::{cut_to, text_width};
use crate::{palette, PlotError, PlotStyle};

/// Draw a mesh in the house style: 12 px tick labels, 13 px axis titles, light and
/// bold grid lines, dark axes.
pub fn draw_mesh<'b, X, Y, DB>(
    mesh: &mut plotters::chart::MeshStyle<'_, 'b, X, Y, DB>,
    style: &'b PlotStyle,
) -> Result<(), PlotError>
where
    X: plotters::coord::ranged1d::Ranged + plotters::coord::ranged1d::ValueFormatter<X::ValueType>,
    Y: plotters::coord::ranged1d::Ranged + plotters::coord::ranged1d::ValueFormatter<Y::ValueType>,
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    mesh.label_style(style.font(12.0))
        .axis_desc_style(style.font(13.0))
        .light_line_style(palette::GRID.mix(0.5))
        .bold_line_style(palette::GRID)
        .axis_style(palette::TEXT)
        .draw()?;
    Ok(())
}

/// A caption that fits the width of `area`: `text` in `css_px` CSS pixels, or smaller
/// (down to 10 px) on a narrow area, and cut with "…" if even that is too wide.
///
/// A text's width is the larger of plotters' estimate and 0.55 em a character (about
/// the average advance of the sans-serif fonts the page uses, [`text_width`]): in the
/// browser the estimate runs short (390 px for a title drawn ~740 px wide on a 2×
/// canvas in headless Chromium), and titles ran off both edges of a phone's plots.
pub fn fitted_caption<'s, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &'s PlotStyle,
    css_px: f64,
) -> (String, TextStyle<'s>) {
    let room = f64::from(area.dim_in_pixel().0) - 2.0 * f64::from(style.px(8.0));
    let full = text_width(area, text, style, css_px);
    if full <= room {
        return (text.to_string(), style.font(css_px));
    }
    let px = (css_px * room / full).max(10.0);
    (cut_to(area, text, style, px, room), style.font(px))
}

/// The axis titles of a chart on `area`, each cut with "…" to the length of its axis
/// (the 13 px titles of [`draw_mesh`]; the y title runs along the height).
pub fn axis_titles<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &str,
    y: &str,
    style: &PlotStyle,
) -> (String, String) {
    let (w, h) = area.dim_in_pixel();
    let room = |len: u32, label_area: f64| f64::from(len) - f64::from(style.px(label_area + 24.0));
    (
        cut_to(area, x, style, 13.0, room(w, 62.0)),
        cut_to(area, y, style, 13.0, room(h, 80.0)),
    )
}

/// The pixel ↔ data mapping of a chart.
pub fn mapping<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x: (f64, f64),
    y: (f64, f64),
    log_x: bool,
    log_y: bool,
) -> Mapping {
    let (px_x, px_y) = chart.plotting_area().get_pixel_range();
    Mapping {
        px_x: (px_x.start, px_x.end),
        px_y: (px_y.start, px_y.end),
        x,
        y,
        log_x,
        log_y,
    }
}

/// Where a chart's plotting area lies in device pixels and which data range it shows,
/// so that the page can turn a pointer position into data coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mapping {
    /// Left and right pixel of the plotting area.
    pub px_x: (i32, i32),
    /// Top and bottom pixel of the plotting area.
    pub px_y: (i32, i32),
    /// Data range along x (left, right), in log10 units when `log_x`.
    pub x: (f64, f64),
    /// Data range along y (bottom, top), in log10 units when `log_y`.
    pub y: (f64, f64),
    pub log_x: bool,
    pub log_y: bool,
}

impl Mapping {
    /// Data coordinates under device pixel (px, py), or `None` outside the plot.
    pub fn to_data(&self, px: f64, py: f64) -> Option<(f64, f64)> {
        let (l, r) = (self.px_x.0 as f64, self.px_x.1 as f64);
        let (t, b) = (self.px_y.0 as f64, self.px_y.1 as f64);
        if px < l || px > r || py < t || py > b || r <= l || b <= t {
            return None;
        }
        let fx = (px - l) / (r - l);
        let fy = (b - py) / (b - t);
        let x = self.x.0 + fx * (self.x.1 - self.x.0);
        let y = self.y.0 + fy * (self.y.1 - self.y.0);
        Some((
            if self.log_x { 10f64.powf(x) } else { x },
            if self.log_y { 10f64.powf(y) } else { y },
        ))
    }
}

/// The colour ramps of the plots, each a piecewise-linear map through Okabe–Ito
/// colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ramp {
    /// t ∈ [0, 1], light to dark (sky blue → blue → a dark navy): finite widths,
    /// narrow (light) to wide (dark).
    Sequential,
    /// t ∈ [0, 1], light to dark (orange → vermillion → a dark brown): the same
    /// networks after training.
    Warm,
    /// t ∈ [−1, 1]: blue (negative), white (0), vermillion (positive), for
    /// differences centred at 0.
    Diverging,
    /// Kernel values t ∈ [0, 1]: white → blue → navy.
    Kernel,
}

impl Ramp {
    /// The colour at `t` (clamped to the ramp's range; NaN gives its first colour).
    pub fn at(self, t: f64) -> RGBColor {
        use palette::*;
        let (stops, t): (&[RGBColor], f64) = match self {
            Ramp::Sequential => (&[PALE_BLUE, SKY_BLUE, BLUE, NAVY], t),
            Ramp::Warm => (&[PALE_ORANGE, ORANGE, VERMILLION, BROWN], t),
            Ramp::Diverging => (
                &[BLUE, NEAR_WHITE, VERMILLION],
                0.5 * (t.clamp(-1.0, 1.0) + 1.0),
            ),
            Ramp::Kernel => (&[PAPER, SKY_BLUE, BLUE, DEEP_NAVY], t),
        };
        ramp(stops, t)
    }
}

fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (stops.len() - 1) as f64;
    let i = (pos.floor() as usize).min(stops.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |x: u8, y: u8| {
        let (x, y) = (f64::from(x), f64::from(y));
        (x + f * (y - x)).round().clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A tick label for an axis in units of π: −π, −π/2, 0, π/2, π.
pub fn pi_label(v: &f64) -> String {
    match (v * 2.0).round() as i64 {
        0 => "0".into(),
        1 => "π/2".into(),
        -1 => "−π/2".into(),
        2 => "π".into(),
        -2 => "−π".into(),
        k => format!("{k}π/2"),
    }
}

/// A linear-axis tick label: 3 significant digits, and exactly "0" for values that are
/// zero up to round-off relative to the axis span (no "5.55e-17" ticks).
pub fn tick(v: f64, span: f64) -> String {
    if v.abs() <= 1e-9 * span.abs() {
        "0".into()
    } else {
        crate::fmt3(v)
    }
}

/// A decade tick label: 10⁻³, 10⁰, 10², … (superscript digits); other values get 3
/// significant digits.
pub fn decade_label(log10_value: f64) -> String {
    let r = log10_value.round();
    if (log10_value - r).abs() > 1e-6 {
        return crate::fmt3(10f64.powf(log10_value));
    }
    let sup = |c: char| match c {
        '-' => '⁻',
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        _ => '⁹',
    };
    format!(
        "10{}",
        format!("{}", r as i64).chars().map(sup).collect::<String>()
    )
}

/// A tick label on a log axis (`log10_value` in decades) spanning `span` decades:
/// over a decade or more only the powers of ten are labelled (10⁻¹, 10⁰, 10¹, never
/// 0.316 between them); over less than a decade every tick is a plain number. One
/// format per axis.
pub fn log_label(log10_value: f64, span: f64) -> String {
    if span < 1.0 {
        crate::fmt3(10f64.powf(log10_value))
    } else if (log10_value - log10_value.round()).abs() < 1e-6 {
        decade_label(log10_value)
    } else {
        String::new()
    }
}

/// A tick label on an index axis: the whole number, or nothing between whole numbers
/// (so a short axis never reads "0 1 1 2 2 3").
pub fn index_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{}", v.round() as i64)
    } else {
        String::new()
    }
}

/// How many ticks an index axis over [lo, hi] asks for: at most 8, and no more than
/// there are whole numbers in the range.
pub fn index_ticks(lo: f64, hi: f64) -> usize {
    ((hi - lo).floor().max(0.0) as usize + 1).clamp(2, 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_labels_are_superscripts() {
        assert_eq!(decade_label(0.0), "10⁰");
        assert_eq!(decade_label(-3.0), "10⁻³");
        assert_eq!(decade_label(12.0), "10¹²");
        assert_eq!(decade_label(0.5), "3.16");
    }

    #[test]
    fn a_log_axis_has_one_tick_format() {
        let labels: Vec<String> = [-1.0, -0.5, 0.0, 0.5, 1.0]
            .iter()
            .map(|&v| log_label(v, 2.0))
            .collect();
        assert_eq!(labels, ["10⁻¹", "", "10⁰", "", "10¹"]);
        // Under a decade: plain numbers, 10^0.25 = 1.778…
        assert_eq!(log_label(0.25, 0.5), "1.78");
        assert_eq!(log_label(0.0, 0.5), "1");
    }

    #[test]
    fn mapping_inverts_pixels() {
        let m = Mapping {
            px_x: (100, 300),
            px_y: (50, 250),
            x: (0.0, 2.0),
            y: (-1.0, 3.0),
            log_x: false,
            log_y: true,
        };
        let (x, y) = m.to_data(200.0, 150.0).unwrap();
        assert!((x - 1.0).abs() < 1e-12 && (y - 10.0).abs() < 1e-12);
        assert!(m.to_data(10.0, 150.0).is_none());
    }

    #[test]
    fn colour_maps_have_the_right_ends() {
        assert_eq!(Ramp::Diverging.at(0.0), RGBColor(247, 247, 247));
        assert_eq!(Ramp::Diverging.at(-1.0), RGBColor(0, 114, 178));
        assert_eq!(Ramp::Sequential.at(1.0), RGBColor(8, 48, 107));
        assert_eq!(Ramp::Kernel.at(0.0), RGBColor(250, 250, 250));
    }
}
