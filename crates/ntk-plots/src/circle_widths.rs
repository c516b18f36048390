//! Θ(x₀, x(γ)) (or K) on the unit circle against γ ∈ [−π, π]: the analytic
//! infinite-width curve in black, and the empirical kernel of finite networks of
//! several widths, mean ± std over seeds as a line and a band, light (narrow) to dark
//! (wide) — the picture of Jacot et al. 2018 (arXiv:1806.07572), Fig. 1.

use crate::common::{finish, pi_label, sequential, Mapping};
use crate::{palette, PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::f64::consts::PI;

/// One width's empirical profile over seeds.
#[derive(Debug, Clone, Copy)]
pub struct WidthSeries<'a> {
    pub width: usize,
    pub mean: &'a [f64],
    pub std: &'a [f64],
}

/// What the circle panel draws.
#[derive(Debug, Clone, Copy)]
pub struct CircleWidthsPlot<'a> {
    /// Angles γ in radians.
    pub gamma: &'a [f64],
    /// The analytic kernel at each γ.
    pub analytic: &'a [f64],
    /// Finite widths, narrow first.
    pub widths: &'a [WidthSeries<'a>],
    /// The same networks after `trained_steps` steps of gradient descent (empty: not
    /// trained), drawn dashed in the width's colour.
    pub trained: &'a [WidthSeries<'a>],
    pub trained_steps: usize,
    /// Seeds per width.
    pub seeds: usize,
    /// "NTK Θ" or "NNGP K".
    pub kernel: &'a str,
    /// The network, for the title ("ReLU, L = 3, σ_w = 1.41, σ_b = 0.1").
    pub network: &'a str,
}

/// The mean ± std band of one width as a polygon in (γ/π, value).
fn std_band(gamma: &[f64], w: &WidthSeries<'_>) -> Vec<(f64, f64)> {
    let upper = gamma
        .iter()
        .zip(w.mean.iter().zip(w.std))
        .map(|(g, (m, s))| (g / PI, m + s));
    let lower = gamma
        .iter()
        .zip(w.mean.iter().zip(w.std))
        .rev()
        .map(|(g, (m, s))| (g / PI, m - s));
    upper.chain(lower).collect()
}

/// Draw the panel's circle plot; returns the pixel ↔ data mapping (x in units of π).
pub fn draw_circle_widths<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &CircleWidthsPlot<'_>,
    style: &PlotStyle,
) -> Result<Mapping, PlotError>
where
    DB::ErrorType: 'static,
{
    let n = data.gamma.len();
    if n == 0 {
        return Err(PlotError::NoData("circle profile"));
    }
    if data.analytic.len() != n
        || data
            .widths
            .iter()
            .chain(data.trained)
            .any(|w| w.mean.len() != n || w.std.len() != n)
    {
        return Err(PlotError::LengthMismatch("γ and the kernels"));
    }
    let values = data.analytic.iter().copied().chain(
        data.widths
            .iter()
            .chain(data.trained)
            .flat_map(|w| w.mean.iter().zip(w.std).flat_map(|(m, s)| [m - s, m + s])),
    );
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.chain(data.gamma.iter().copied().map(|_| 0.0)) {
        if !v.is_finite() {
            return Err(PlotError::NonFinite("circle profile"));
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let pad = ((hi - lo) * 0.06).max(1e-9);
    let (y0, y1) = (lo - pad, hi + pad);

    area.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{} on the unit circle — {}", data.kernel, data.network),
            style.font(15.0),
        )
        .margin(style.px(12.0))
        .x_label_area_size(style.px(44.0))
        .y_label_area_size(style.px(60.0))
        .build_cartesian_2d(-1.0f64..1.0f64, y0..y1)?;
    chart
        .configure_mesh()
        .x_labels(9)
        .x_label_formatter(&pi_label)
        .y_label_formatter(&|v| crate::fmt3(*v))
        .x_desc("angle γ between x₀ = (1, 0) and x(γ) = (cos γ, sin γ)")
        .y_desc(format!("{}(x₀, x(γ))", data.kernel))
        .label_style(style.font(12.0))
        .axis_desc_style(style.font(13.0))
        .light_line_style(palette::GRID.mix(0.5))
        .bold_line_style(palette::GRID)
        .axis_style(palette::TEXT)
        .draw()?;

    let (sample_len, line_width) = (style.px(24.0) as i32, style.px(2.0));
    let count = data.widths.len();
    for (i, w) in data.widths.iter().enumerate() {
        let t = if count > 1 {
            0.25 + 0.75 * i as f64 / (count - 1) as f64
        } else {
            0.75
        };
        let color = sequential(t);
        let band = std_band(data.gamma, w);
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            color.mix(0.22).filled(),
        )))?;
        chart
            .draw_series(LineSeries::new(
                data.gamma.iter().zip(w.mean).map(|(&g, &y)| (g / PI, y)),
                color.stroke_width(line_width),
            ))?
            .label(format!(
                "width m = {} (mean ± std, {} seeds)",
                w.width, data.seeds
            ))
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + sample_len, y)],
                    color.stroke_width(line_width),
                )
            });
    }
    for (i, w) in data.trained.iter().enumerate() {
        let t = if count > 1 {
            0.25 + 0.75 * i.min(count - 1) as f64 / (count - 1) as f64
        } else {
            0.75
        };
        // The trained nets in the vermillion family, light (narrow) to dark (wide).
        let color = crate::common::warm(t);
        let band = std_band(data.gamma, w);
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            color.mix(0.18).filled(),
        )))?;
        chart
            .draw_series(DashedLineSeries::new(
                data.gamma.iter().zip(w.mean).map(|(&g, &y)| (g / PI, y)),
                style.px(7.0),
                style.px(4.0),
                color.stroke_width(line_width),
            ))?
            .label(format!(
                "width m = {} after {} steps of gradient descent",
                w.width, data.trained_steps
            ))
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + sample_len, y)],
                    color.stroke_width(line_width),
                )
            });
    }
    chart
        .draw_series(LineSeries::new(
            data.gamma
                .iter()
                .zip(data.analytic)
                .map(|(&g, &y)| (g / PI, y)),
            palette::ANALYTIC.stroke_width(line_width),
        ))?
        .label("analytic, infinite width")
        .legend(move |(x, y)| {
            PathElement::new(
                vec![(x, y), (x + sample_len, y)],
                palette::ANALYTIC.stroke_width(line_width),
            )
        });
    finish(
        &mut chart,
        style,
        SeriesLabelPosition::UpperRight,
        ((-1.0, 1.0), (y0, y1)),
        (false, false),
    )
}
