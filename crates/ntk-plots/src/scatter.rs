//! A picture of the data: the inputs' first two coordinates as points coloured by the
//! target (blue negative, white zero, vermillion positive, centred at 0), or, for
//! one-dimensional inputs, the target against the input.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::common::{fitted_caption, mapping, Mapping, Ramp};
use crate::legend::{split_legend, LegendEntry, Swatch};
use crate::{fmt3, palette, PlotError, PlotStyle};

/// What the data picture draws.
#[derive(Debug, Clone, Copy)]
pub struct DataPlot<'a> {
    pub title: &'a str,
    /// First coordinates.
    pub x1: &'a [f64],
    /// Second coordinates (empty: one-dimensional inputs, drawn as y against x₁).
    pub x2: &'a [f64],
    /// Targets (empty: the inputs alone, in one colour).
    pub y: &'a [f64],
    /// The input dimension (a note says when only two of d coordinates are shown).
    pub d: usize,
}

/// Draw the data picture; returns the pixel ↔ data mapping.
pub fn draw_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &DataPlot<'_>,
    style: &PlotStyle,
) -> Result<Mapping, PlotError>
where
    DB::ErrorType: 'static,
{
    let n = p.x1.len();
    if n == 0 {
        return Err(PlotError::NoData("inputs"));
    }
    let profile = p.x2.is_empty();
    let plain = p.y.is_empty();
    if (!plain && p.y.len() != n) || (!profile && p.x2.len() != n) {
        return Err(PlotError::LengthMismatch("inputs and targets"));
    }
    if p.x1.iter().chain(p.x2).chain(p.y).any(|v| !v.is_finite()) {
        return Err(PlotError::NonFinite("inputs or targets"));
    }
    // One-dimensional inputs without targets lie on a line.
    let zeros = vec![0.0; if profile && plain { n } else { 0 }];
    let vertical = match (profile, plain) {
        (false, _) => p.x2,
        (true, false) => p.y,
        (true, true) => &zeros,
    };
    let range = |v: &[f64]| {
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let pad = ((hi - lo) * 0.06).max(1e-6);
        (lo - pad, hi + pad)
    };
    let (x0, x1) = range(p.x1);
    let (y0, y1) = range(vertical);
    let ymax = p.y.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    area.fill(&WHITE)?;
    let mut notes = Vec::new();
    let scale_note;
    if !profile && !plain {
        scale_note = format!(
            "colour: target y, blue −{} · white 0 · red +{}",
            fmt3(ymax),
            fmt3(ymax)
        );
        notes.push(scale_note.as_str());
    }
    let shown = format!("the first 2 of d = {} coordinates", p.d);
    if p.d > 2 {
        notes.push(shown.as_str());
    }
    let entries = [LegendEntry::new(
        format!("{n} inputs"),
        palette::ANALYTIC,
        Swatch::Marked,
    )];
    let area = &split_legend(area, &entries, &notes, style)?;
    let (caption, font) = fitted_caption(area, p.title, style, 13.0);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font)
        .margin(style.px(8.0))
        .x_label_area_size(style.px(36.0))
        .y_label_area_size(style.px(48.0))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    crate::common::draw_mesh(
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| crate::common::tick(*v, x1 - x0))
            .y_label_formatter(&|v| crate::common::tick(*v, y1 - y0))
            .x_desc("x₁")
            .y_desc(match (profile, plain) {
                (false, _) => "x₂",
                (true, false) => "target y",
                (true, true) => "",
            }),
        style,
    )?;
    let r = style.px(3.5);
    let ring = palette::TEXT.mix(0.55).stroke_width(style.px(0.6));
    chart.draw_series((0..n).map(|i| {
        let at = (p.x1[i], vertical[i]);
        let fill = if profile || plain {
            palette::BLUE
        } else {
            Ramp::Diverging.at(p.y[i] / ymax)
        };
        EmptyElement::at(at) + Circle::new((0, 0), r, fill.filled()) + Circle::new((0, 0), r, ring)
    }))?;
    Ok(mapping(&chart, (x0, x1), (y0, y1), false, false))
}
