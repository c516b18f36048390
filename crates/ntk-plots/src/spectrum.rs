//! The spectrum panel: eigenvalues of the Gram matrix (divided by n, so they estimate
//! the kernel operator's eigenvalues) against their index, log-log, beside the
//! analytic eigenvalues μ_k repeated by multiplicity (dashed: theory); and the top
//! eigenvectors drawn as functions (of the angle, on the circle).

use crate::common::{log_label, mapping, Mapping};
use crate::legend::{split_legend, LegendEntry, Swatch};
use crate::{fmt3, palette, PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Eigenvalues to draw.
#[derive(Debug, Clone, Copy)]
pub struct SpectrumPlot<'a> {
    /// Measured eigenvalues λ_k/n, largest first.
    pub eigenvalues: &'a [f64],
    /// Analytic μ_k expanded by multiplicity, largest first (circle/sphere data).
    pub analytic: Option<&'a [f64]>,
    /// Log axes (else linear).
    pub log: bool,
    /// "NTK Θ" or "NNGP K", and the data, for the title.
    pub kernel: &'a str,
    pub data: &'a str,
    /// Why there is no analytic curve, written on the plot.
    pub note: Option<&'a str>,
}

/// Draw the eigenvalue plot; non-positive eigenvalues are left out of log axes.
pub fn draw_spectrum<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &SpectrumPlot<'_>,
    style: &PlotStyle,
) -> Result<Mapping, PlotError>
where
    DB::ErrorType: 'static,
{
    if p.eigenvalues.is_empty() {
        return Err(PlotError::NoData("eigenvalues"));
    }
    if p.eigenvalues.iter().any(|v| !v.is_finite()) {
        return Err(PlotError::NonFinite("eigenvalues"));
    }
    let tr = |v: f64| if p.log { v.log10() } else { v };
    let floor = p.eigenvalues[0].abs().max(f64::MIN_POSITIVE) * 1e-12;
    let measured: Vec<(f64, f64)> = p
        .eigenvalues
        .iter()
        .enumerate()
        .filter(|(_, &v)| !p.log || v > floor)
        .map(|(k, &v)| (tr(k as f64 + 1.0), tr(v)))
        .collect();
    let theory: Vec<(f64, f64)> = p
        .analytic
        .unwrap_or(&[])
        .iter()
        .take(p.eigenvalues.len())
        .enumerate()
        .filter(|(_, &v)| !p.log || v > floor)
        .map(|(k, &v)| (tr(k as f64 + 1.0), tr(v)))
        .collect();
    if measured.is_empty() {
        return Err(PlotError::NoData("positive eigenvalues"));
    }
    let all = measured.iter().chain(&theory);
    let (x0, x1) = (tr(1.0), tr(p.eigenvalues.len() as f64).max(tr(1.0) + 1e-9));
    let (mut y0, mut y1) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), q| {
        (a.min(q.1), b.max(q.1))
    });
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    y0 -= pad;
    y1 += pad;
    area.fill(&WHITE)?;
    let mut entries = vec![LegendEntry::new(
        "Gram matrix of the data (measured)",
        palette::BLUE,
        Swatch::Marked,
    )];
    if !theory.is_empty() {
        entries.push(LegendEntry::new(
            "analytic μ_k by degree, × multiplicity (theory)",
            palette::ANALYTIC,
            Swatch::Dashed,
        ));
    }
    let area = &split_legend(area, &entries, p.note.as_slice(), style)?;
    let title = format!("Eigenvalues of the {} Gram matrix, {}", p.kernel, p.data);
    let (caption, font) = crate::common::fitted_caption(area, &title, style, 15.0);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font)
        .margin(style.px(12.0))
        .x_label_area_size(style.px(44.0))
        .y_label_area_size(style.px(60.0))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let (xspan, yspan) = (x1 - x0, y1 - y0);
    let xf = move |v: &f64| {
        if p.log {
            log_label(*v, xspan)
        } else {
            crate::common::index_label(*v)
        }
    };
    let yf = move |v: &f64| {
        if p.log {
            log_label(*v, yspan)
        } else {
            fmt3(*v)
        }
    };
    crate::common::draw_mesh(
        chart
            .configure_mesh()
            .x_labels(if p.log {
                (x1 - x0).ceil() as usize + 1
            } else {
                crate::common::index_ticks(x0, x1)
            })
            .y_labels(if p.log {
                ((y1 - y0).ceil() as usize + 1).min(12)
            } else {
                8
            })
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .x_desc("eigenvalue index k")
            .y_desc("eigenvalue λ_k / n"),
        style,
    )?;
    let lw = style.px(2.0);
    let r = style.px(2.5);
    chart.draw_series(LineSeries::new(
        measured.iter().copied(),
        palette::BLUE.stroke_width(lw),
    ))?;
    chart.draw_series(
        measured
            .iter()
            .map(|&q| Circle::new(q, r, palette::BLUE.filled())),
    )?;
    if !theory.is_empty() {
        chart.draw_series(DashedLineSeries::new(
            theory.iter().copied(),
            style.px(7.0),
            style.px(4.0),
            palette::ANALYTIC.stroke_width(lw),
        ))?;
    }
    Ok(mapping(&chart, (x0, x1), (y0, y1), p.log, p.log))
}

/// The top eigenvectors as functions.
#[derive(Debug, Clone, Copy)]
pub struct EigenvectorPlot<'a> {
    /// The abscissa: angles γ (radians) on the circle, else the input index.
    pub x: &'a [f64],
    pub angle: bool,
    /// The vectors, largest eigenvalue first, with their labels ("k = 1, frequency 0").
    pub vectors: &'a [Vec<f64>],
    pub labels: &'a [String],
}

/// Draw the eigenvectors; on the circle the mapping's x is in units of π.
pub fn draw_eigenvectors<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &EigenvectorPlot<'_>,
    style: &PlotStyle,
) -> Result<Mapping, PlotError>
where
    DB::ErrorType: 'static,
{
    if p.vectors.is_empty() || p.x.is_empty() {
        return Err(PlotError::NoData("eigenvectors"));
    }
    if p.vectors.iter().any(|v| v.len() != p.x.len()) {
        return Err(PlotError::LengthMismatch("eigenvectors"));
    }
    let (x0, x1) =
        p.x.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
    let ymax = p
        .vectors
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-12)
        * 1.08;
    let span = 2.0 * ymax;
    let ytop = ymax;
    // On the circle the abscissa is drawn in units of π (ticks −π … π).
    let unit = if p.angle { std::f64::consts::PI } else { 1.0 };
    let (x0, x1) = (x0 / unit, x1 / unit);
    area.fill(&WHITE)?;
    let colors = palette::CYCLE;
    let entries: Vec<LegendEntry> = p
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| LegendEntry::new(l.clone(), colors[i % colors.len()], Swatch::Line))
        .collect();
    let area = &split_legend(area, &entries, &[], style)?;
    let title = "Top eigenvectors of the Gram matrix, as functions";
    let (caption, font) = crate::common::fitted_caption(area, title, style, 15.0);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font)
        .margin(style.px(12.0))
        .x_label_area_size(style.px(44.0))
        .y_label_area_size(style.px(60.0))
        .build_cartesian_2d(x0..x1.max(x0 + 1e-9), -ymax..ytop)?;
    let xf = move |v: &f64| {
        if p.angle {
            crate::common::pi_label(v)
        } else {
            crate::common::index_label(*v)
        }
    };
    crate::common::draw_mesh(
        chart
            .configure_mesh()
            .x_labels(if p.angle {
                5
            } else {
                crate::common::index_ticks(x0, x1)
            })
            .x_label_formatter(&xf)
            .y_label_formatter(&|v| crate::common::tick(*v, span))
            .x_desc(if p.angle {
                "angle γ (radians)"
            } else {
                "input index i"
            })
            .y_desc("eigenvector entry v_k(xᵢ)"),
        style,
    )?;
    let lw = style.px(2.0);
    for (i, v) in p.vectors.iter().enumerate() {
        chart.draw_series(LineSeries::new(
            p.x.iter().map(|x| x / unit).zip(v.iter().copied()),
            colors[i % colors.len()].stroke_width(lw),
        ))?;
    }
    Ok(mapping(&chart, (x0, x1), (-ymax, ytop), false, false))
}
