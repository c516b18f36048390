//! Θ(x₀, x(γ)) (or K) on the unit circle against γ ∈ [−π, π]: the analytic
//! infinite-width curve in black, and the empirical kernel of finite networks of
//! several widths, light (narrow) to dark (wide) — the picture of Jacot et al. 2018
//! (arXiv:1806.07572), Fig. 1. Each seed's curve is drawn thin (as Jacot et al. do),
//! with the seed mean and a band of ± 2 standard errors *of the mean*: with few seeds
//! a band of ± 1 standard deviation around a mean that is off by chance reads as a
//! bias that is not there. In the standard parameterization the kernel depends on the
//! width, so each width is drawn beside its own analytic kernel (dotted) and there is
//! no single infinite-width curve.

use crate::common::{mapping, pi_label, Mapping, Ramp};
use crate::legend::{split_legend, LegendEntry, Swatch};
use crate::{palette, PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::f64::consts::PI;

/// One width's empirical profile over seeds.
#[derive(Debug, Clone, Copy)]
pub struct WidthSeries<'a> {
    pub width: usize,
    /// The mean over seeds.
    pub mean: &'a [f64],
    /// The standard error of that mean (std/√seeds).
    pub sem: &'a [f64],
    /// Each seed's curve (empty: too many to draw).
    pub seeds: &'a [Vec<f64>],
    /// This width's own analytic kernel (standard parameterization), drawn dotted.
    pub analytic: Option<&'a [f64]>,
}

/// What the circle panel draws.
#[derive(Debug, Clone, Copy)]
pub struct CircleWidthsPlot<'a> {
    /// Angles γ in radians.
    pub gamma: &'a [f64],
    /// The infinite-width kernel at each γ (`None`: there is none, e.g. in the standard
    /// parameterization, where each width carries its own).
    pub analytic: Option<&'a [f64]>,
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
    /// Which circle, in words.
    pub circle: CircleWords<'a>,
    /// Each width's seed mean and ± 2 s.e. band over its seeds' thin curves; `false`:
    /// only the seeds' own curves, one line each, as Jacot et al. draw them (widths
    /// whose seeds were not kept still get their mean and band).
    pub summary: bool,
    /// A note under the legend (why there is no analytic curve), or "".
    pub note: &'a str,
}

/// How the plot names its circle and its widths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CircleWords<'a> {
    /// After the kernel in the title: "on the unit circle".
    pub place: &'a str,
    /// The x axis.
    pub axis: &'a str,
    /// The finite widths in the legend: "width" or "channels".
    pub width: &'a str,
}

/// The MLP's circle: the unit circle of ℝ² (Jacot et al. 2018, Fig. 1).
pub const UNIT_CIRCLE: CircleWords<'static> = CircleWords {
    place: "on the unit circle",
    axis: "angle γ between x₀ = (1, 0) and x(γ) = (cos γ, sin γ)",
    width: "width",
};

/// The circle through the first two data inputs (any architecture but the MLP).
pub const DATA_CIRCLE: CircleWords<'static> = CircleWords {
    place: "on the circle through inputs 1 and 2",
    axis: "angle γ from x₀ = input 1, in the plane of inputs 1 and 2 (‖x(γ)‖ = ‖x₀‖)",
    width: "width",
};

/// The band mean ± 2·s.e.
fn sem_band(gamma: &[f64], w: &WidthSeries<'_>) -> Vec<(f64, f64)> {
    let upper = gamma
        .iter()
        .zip(w.mean.iter().zip(w.sem))
        .map(|(g, (m, s))| (g / PI, m + 2.0 * s));
    let lower = gamma
        .iter()
        .zip(w.mean.iter().zip(w.sem))
        .rev()
        .map(|(g, (m, s))| (g / PI, m - 2.0 * s));
    upper.chain(lower).collect()
}

fn legend_text(
    w: &WidthSeries<'_>,
    name: &str,
    seeds: usize,
    after: Option<usize>,
    summary: bool,
) -> String {
    let what = match after {
        Some(steps) => format!("{name} m = {} after {steps} steps of GD", w.width),
        None => format!("{name} m = {}", w.width),
    };
    if !summary && !w.seeds.is_empty() {
        format!("{what}: {seeds} seeds, a line each")
    } else if w.seeds.is_empty() {
        format!("{what}: mean ± 2 s.e. of {seeds} seeds")
    } else {
        format!("{what}: {seeds} seeds (thin), mean ± 2 s.e.")
    }
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
    if data.analytic.is_some_and(|a| a.len() != n)
        || data.widths.iter().chain(data.trained).any(|w| {
            w.mean.len() != n
                || w.sem.len() != n
                || w.seeds.iter().any(|c| c.len() != n)
                || w.analytic.is_some_and(|a| a.len() != n)
        })
    {
        return Err(PlotError::LengthMismatch("γ and the kernels"));
    }
    let values = data.analytic.unwrap_or(&[]).iter().copied().chain(
        data.widths.iter().chain(data.trained).flat_map(|w| {
            w.mean
                .iter()
                .zip(w.sem)
                .flat_map(|(m, s)| [m - 2.0 * s, m + 2.0 * s])
                .chain(w.seeds.iter().flatten().copied())
                .chain(w.analytic.unwrap_or(&[]).iter().copied())
        }),
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
    let count = data.widths.len();
    let shade = |i: usize| {
        if count > 1 {
            0.25 + 0.75 * i.min(count - 1) as f64 / (count - 1) as f64
        } else {
            0.75
        }
    };
    // Initialisation in the blue ramp, trained nets in the vermillion one.
    let color_of = |i: usize, trained: bool| {
        if trained {
            Ramp::Warm.at(shade(i))
        } else {
            Ramp::Sequential.at(shade(i))
        }
    };
    // The legend, beside or below the data: each width's mean (its seeds thin, its
    // band), the trained networks dashed, the analytic kernels.
    let mut entries = Vec::new();
    for (series, after) in [
        (data.widths, None),
        (data.trained, Some(data.trained_steps)),
    ] {
        for (i, w) in series.iter().enumerate() {
            let lines_only = !data.summary && !w.seeds.is_empty();
            let swatch = match (after.is_some(), lines_only) {
                (true, _) => Swatch::Dashed,
                (false, true) => Swatch::Line,
                (false, false) => Swatch::Band,
            };
            let color = color_of(i, after.is_some());
            entries.push(LegendEntry::new(
                legend_text(w, data.circle.width, data.seeds, after, data.summary),
                color,
                swatch,
            ));
            if let (Some(_), None) = (w.analytic, after) {
                entries.push(LegendEntry::new(
                    format!("analytic kernel of width {} (standard param.)", w.width),
                    palette::ANALYTIC,
                    Swatch::Dotted,
                ));
            }
        }
    }
    if data.analytic.is_some() {
        entries.push(LegendEntry::new(
            "analytic, infinite width",
            palette::ANALYTIC,
            Swatch::Line,
        ));
    }
    let area = &split_legend(area, &entries, &[data.note], style)?;
    let title = format!("{} {} — {}", data.kernel, data.circle.place, data.network);
    let (caption, font) = crate::common::fitted_caption(area, &title, style, 15.0);
    let (x_desc, y_desc) = crate::common::axis_titles(
        area,
        data.circle.axis,
        &format!("{}(x₀, x(γ))", data.kernel),
        style,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font)
        .margin(style.px(12.0))
        .x_label_area_size(style.px(44.0))
        .y_label_area_size(style.px(60.0))
        .build_cartesian_2d(-1.0f64..1.0f64, y0..y1)?;
    crate::common::draw_mesh(
        chart
            .configure_mesh()
            .x_labels(9)
            // A tick label every 28 px or more: no overprinted labels on a short plot.
            .y_labels(
                (f64::from(area.dim_in_pixel().1) / f64::from(style.px(28.0))).clamp(3.0, 10.0)
                    as usize,
            )
            .x_label_formatter(&pi_label)
            .y_label_formatter(&|v| crate::fmt3(*v))
            .x_desc(x_desc)
            .y_desc(y_desc),
        style,
    )?;

    let line_width = style.px(2.0);
    let thin = style.px(0.8);
    let groups = [
        (data.widths, None),
        (data.trained, Some(data.trained_steps)),
    ];
    for (series, after) in groups {
        for (i, w) in series.iter().enumerate() {
            let color = color_of(i, after.is_some());
            let lines_only = !data.summary && !w.seeds.is_empty();
            // Seeds alone are drawn clearly; under a mean and band, faintly.
            let (seed_color, seed_width) = if lines_only {
                (color.mix(0.85), style.px(1.3))
            } else {
                (color.mix(0.45), thin)
            };
            for curve in w.seeds {
                let pts = data.gamma.iter().zip(curve).map(|(&g, &y)| (g / PI, y));
                if after.is_some() {
                    chart.draw_series(DashedLineSeries::new(
                        pts,
                        style.px(5.0),
                        style.px(3.0),
                        seed_color.stroke_width(seed_width),
                    ))?;
                } else {
                    chart.draw_series(LineSeries::new(pts, seed_color.stroke_width(seed_width)))?;
                }
            }
            // This width's own analytic kernel (standard parameterization), dotted.
            if let (Some(a), None) = (w.analytic, after) {
                chart.draw_series(DashedLineSeries::new(
                    data.gamma.iter().zip(a).map(|(&g, &y)| (g / PI, y)),
                    style.px(2.0),
                    style.px(3.0),
                    palette::ANALYTIC.stroke_width(line_width),
                ))?;
            }
            if lines_only {
                continue;
            }
            chart.draw_series(std::iter::once(Polygon::new(
                sem_band(data.gamma, w),
                color.mix(0.22).filled(),
            )))?;
            let mean = data.gamma.iter().zip(w.mean).map(|(&g, &y)| (g / PI, y));
            if after.is_some() {
                chart.draw_series(DashedLineSeries::new(
                    mean,
                    style.px(7.0),
                    style.px(4.0),
                    color.stroke_width(line_width),
                ))?;
            } else {
                chart.draw_series(LineSeries::new(mean, color.stroke_width(line_width)))?;
            }
        }
    }
    if let Some(analytic) = data.analytic {
        chart.draw_series(LineSeries::new(
            data.gamma.iter().zip(analytic).map(|(&g, &y)| (g / PI, y)),
            palette::ANALYTIC.stroke_width(line_width),
        ))?;
    }
    Ok(mapping(&chart, (-1.0, 1.0), (y0, y1), false, false))
}
