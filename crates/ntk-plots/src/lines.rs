//! One line chart for the experiment panels (convergence, training, spectral bias,
//! generalization): several series, each solid, dashed (theory) or markers, optional
//! error bars, linear or log axes, a title, labelled axes, and a legend with an
//! optional note (e.g. the fitted slope) beside or below the data, never over it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::common::{log_label, mapping, tick, Mapping};
use crate::legend::{split_legend, LegendEntry, Swatch};
use crate::{palette, PlotError, PlotStyle};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    /// A solid line with a dot at every point (measurements).
    Solid,
    /// A solid line without dots (dense curves).
    Line,
    /// A dashed line (theory, references).
    Dashed,
    /// A dotted line (a second theory beside a dashed one).
    Dotted,
}

/// One series of a [`LinesPlot`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Error bars ±err (e.g. the standard deviation over seeds).
    pub err: Option<Vec<f64>>,
    pub color: RGBColor,
    pub stroke: Stroke,
}

impl Series {
    /// A series with no error bars.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, color: RGBColor) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            err: None,
            color,
            stroke: Stroke::Solid,
        }
    }

    /// The same series drawn with `stroke`.
    pub fn stroke(mut self, stroke: Stroke) -> Self {
        self.stroke = stroke;
        self
    }

    /// The same series with error bars.
    pub fn errors(mut self, err: Vec<f64>) -> Self {
        self.err = Some(err);
        self
    }
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct LinesPlot<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub log_x: bool,
    pub log_y: bool,
    pub series: &'a [Series],
    /// A line of text (what the plot leaves out, a fitted slope…) below the legend.
    pub note: Option<&'a str>,
}

/// How many decades below its largest value a log y axis shows at most: curves that
/// fall to round-off (an exactly solvable dynamics reaching 1e-32) would otherwise
/// squash everything else into the top of the plot.
pub const MAX_DECADES: f64 = 9.0;

/// A point in chart coordinates with its error bar's ends.
type ChartPoint = (f64, f64, Option<(f64, f64)>);

/// Draw a line chart. Points that a log axis cannot show (≤ 0) are left out; a plot
/// with nothing left to show is an error, as is a series with NaN or mismatched
/// lengths.
pub fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinesPlot<'_>,
    style: &PlotStyle,
) -> Result<Mapping, PlotError>
where
    DB::ErrorType: 'static,
{
    for s in p.series {
        if s.x.len() != s.y.len() || s.err.as_ref().is_some_and(|e| e.len() != s.y.len()) {
            return Err(PlotError::LengthMismatch("series"));
        }
        if s.x.iter().chain(&s.y).any(|v| !v.is_finite()) {
            return Err(PlotError::NonFinite("series"));
        }
    }
    let tx = |v: f64| if p.log_x { v.log10() } else { v };
    let ty = |v: f64| if p.log_y { v.log10() } else { v };
    let y_top = p
        .series
        .iter()
        .flat_map(|s| s.y.iter().copied())
        .fold(f64::NEG_INFINITY, f64::max);
    let floor = if p.log_y && y_top > 0.0 {
        y_top * 10f64.powf(-MAX_DECADES)
    } else {
        0.0
    };
    let ok = |x: f64, y: f64| (!p.log_x || x > 0.0) && (!p.log_y || y >= floor && y > 0.0);
    // Every series in chart coordinates, with its error-bar ends.
    let pts: Vec<Vec<ChartPoint>> = p
        .series
        .iter()
        .map(|s| {
            (0..s.x.len())
                .filter(|&i| ok(s.x[i], s.y[i]))
                .map(|i| {
                    let bar = s.err.as_ref().map(|e| {
                        let lo = s.y[i] - e[i].abs();
                        let lo = if p.log_y && lo <= 0.0 {
                            s.y[i] * 0.5
                        } else {
                            lo
                        };
                        (ty(lo), ty(s.y[i] + e[i].abs()))
                    });
                    (tx(s.x[i]), ty(s.y[i]), bar)
                })
                .collect()
        })
        .collect();
    let all = || pts.iter().flatten();
    if all().next().is_none() {
        return Err(PlotError::NoData("no point to draw on these axes"));
    }
    let (mut x0, mut x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), q| {
        (a.min(q.0), b.max(q.0))
    });
    let (mut y0, mut y1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), q| {
        let (lo, hi) = q.2.unwrap_or((q.1, q.1));
        (a.min(q.1).min(lo), b.max(q.1).max(hi))
    });
    if x1 - x0 < 1e-12 {
        x0 -= 0.5;
        x1 += 0.5;
    }
    if y1 - y0 < 1e-12 * y1.abs().max(1.0) {
        y0 -= 0.5 * y0.abs().max(1e-3);
        y1 += 0.5 * y1.abs().max(1e-3);
    }
    let (xp, yp) = (0.03 * (x1 - x0), 0.06 * (y1 - y0));
    let (x0, x1, y0, y1) = (x0 - xp, x1 + xp, y0 - yp, y1 + yp);

    area.fill(&WHITE)?;
    // The legend (each swatch drawn as its series is) and the note, outside the data.
    let entries: Vec<LegendEntry> = p
        .series
        .iter()
        .filter(|s| !s.label.is_empty())
        .map(|s| {
            let swatch = match s.stroke {
                Stroke::Solid => Swatch::Marked,
                Stroke::Line => Swatch::Line,
                Stroke::Dashed => Swatch::Dashed,
                Stroke::Dotted => Swatch::Dotted,
            };
            LegendEntry::new(s.label.clone(), s.color, swatch)
        })
        .collect();
    let area = &split_legend(area, &entries, p.note.as_slice(), style)?;
    let (caption, font) = crate::common::fitted_caption(area, p.title, style, 15.0);
    let (x_desc, y_desc) = crate::common::axis_titles(area, p.x_label, p.y_label, style);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font)
        .margin(style.px(12.0))
        .x_label_area_size(style.px(44.0))
        .y_label_area_size(style.px(62.0))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let (xspan, yspan) = (x1 - x0, y1 - y0);
    let xf = move |v: &f64| {
        if p.log_x {
            log_label(*v, xspan)
        } else {
            tick(*v, xspan)
        }
    };
    let yf = move |v: &f64| {
        if p.log_y {
            log_label(*v, yspan)
        } else {
            tick(*v, yspan)
        }
    };
    // Log axes: a tick per decade when the range spans several; over a short range
    // the ticks sit at 1, 2, 5 × 10ᵏ (drawn below), never at 10^0.4 = 2.51.
    // (Falling back to plotters' own ticks when not even two such values fit.)
    let short_x = p.log_x && xspan < 2.0 && nice_ticks(10f64.powf(x0), 10f64.powf(x1)).len() >= 2;
    let short_y = p.log_y && yspan < 2.0 && nice_ticks(10f64.powf(y0), 10f64.powf(y1)).len() >= 2;
    let count = |log: bool, short: bool, span: f64| {
        if short {
            0
        } else if log {
            (span.ceil() as usize + 1).min(12)
        } else {
            6
        }
    };
    crate::common::draw_mesh(
        chart
            .configure_mesh()
            .x_labels(count(p.log_x, short_x, xspan))
            .y_labels(count(p.log_y, short_y, yspan))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .x_desc(x_desc)
            .y_desc(y_desc),
        style,
    )?;
    // The 1-2-5 ticks of short log axes, with their grid lines, in the house style.
    {
        let (base_x, base_y) = area.get_base_pixel();
        let label = style.font(12.0);
        let gap = style.px(6.0) as i32;
        // Along x: a vertical grid line and the label below the axis; along y: a
        // horizontal one and the label left of it.
        let axes = [(short_x, (x0, x1), true), (short_y, (y0, y1), false)];
        for (short, (lo, hi), along_x) in axes {
            if !short {
                continue;
            }
            for v in nice_ticks(10f64.powf(lo), 10f64.powf(hi)) {
                let g = v.log10();
                let (line, at) = if along_x {
                    (vec![(g, y0), (g, y1)], (g, y0))
                } else {
                    (vec![(x0, g), (x1, g)], (x0, g))
                };
                chart.draw_series(std::iter::once(PathElement::new(line, palette::GRID)))?;
                let (px, py) = chart.backend_coord(&at);
                let (dx, dy, pos) = if along_x {
                    (0, gap, Pos::new(HPos::Center, VPos::Top))
                } else {
                    (-gap, 0, Pos::new(HPos::Right, VPos::Center))
                };
                area.draw(&Text::new(
                    crate::fmt3(v),
                    (px - base_x + dx, py - base_y + dy),
                    label.pos(pos),
                ))?;
            }
        }
    }
    let lw = style.px(2.0);
    let r = style.px(3.0);
    let (dash, gap) = (style.px(7.0), style.px(4.0));
    for (s, pts) in p.series.iter().zip(&pts) {
        let color = s.color;
        let line: Vec<(f64, f64)> = pts.iter().map(|q| (q.0, q.1)).collect();
        match s.stroke {
            Stroke::Dashed => chart.draw_series(DashedLineSeries::new(
                line.iter().copied(),
                dash,
                gap,
                color.stroke_width(lw),
            ))?,
            Stroke::Dotted => chart.draw_series(DashedLineSeries::new(
                line.iter().copied(),
                style.px(2.0),
                style.px(3.0),
                color.stroke_width(lw),
            ))?,
            Stroke::Solid | Stroke::Line => chart.draw_series(LineSeries::new(
                line.iter().copied(),
                color.stroke_width(lw),
            ))?,
        };
        if s.stroke == Stroke::Solid {
            chart.draw_series(line.iter().map(|&q| Circle::new(q, r, color.filled())))?;
        }
        let cap = style.px(4.0) as i32;
        for q in pts {
            if let Some((lo, hi)) = q.2 {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(q.0, lo), (q.0, hi)],
                    color.stroke_width(style.px(1.5)),
                )))?;
                // backend_coord is in the whole canvas; the stripped plotting area
                // draws relative to its own top-left corner.
                let (ox, oy) = {
                    let (rx, ry) = chart.plotting_area().get_pixel_range();
                    (rx.start, ry.start)
                };
                let (px, plo) = chart.backend_coord(&(q.0, lo));
                let (_, phi) = chart.backend_coord(&(q.0, hi));
                let (px, plo, phi) = (px - ox, plo - oy, phi - oy);
                let root = chart.plotting_area().strip_coord_spec();
                for py in [plo, phi] {
                    root.draw(&PathElement::new(
                        vec![(px - cap, py), (px + cap, py)],
                        color.stroke_width(style.px(1.5)),
                    ))?;
                }
            }
        }
    }
    Ok(mapping(&chart, (x0, x1), (y0, y1), p.log_x, p.log_y))
}

/// Tick values 1, 2, 5 × 10ᵏ within [lo, hi] (lo > 0); 1…9 × 10ᵏ when that gives
/// fewer than three.
pub fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let pick = |mantissas: &[f64]| -> Vec<f64> {
        let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (k0..=k1)
            .flat_map(|k| {
                // m / 10^|k| rounds to the nearest double (0.3, not 0.30000000000000004).
                mantissas.iter().map(move |m| {
                    if k < 0 {
                        m / 10f64.powi(-k)
                    } else {
                        m * 10f64.powi(k)
                    }
                })
            })
            .filter(|v| *v >= lo * (1.0 - 1e-12) && *v <= hi * (1.0 + 1e-12))
            .collect()
    };
    let ticks = pick(&[1.0, 2.0, 5.0]);
    if ticks.len() >= 3 {
        return ticks;
    }
    let ticks = pick(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    if ticks.len() >= 3 {
        return ticks;
    }
    // A very short range: evenly spaced round values, 1, 2 or 5 × 10ᵏ apart.
    let raw = (hi - lo) / 4.0;
    if !(raw > 0.0 && raw.is_finite()) {
        return ticks;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let (k0, k1) = ((lo / step).ceil() as i64, (hi / step).floor() as i64);
    (k0..=k1).map(|k| k as f64 * step).collect()
}

/// Draw several line charts side by side (left to right), or one below the other on an
/// area taller than wide; one mapping per chart.
pub fn draw_lines_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plots: &[LinesPlot<'_>],
    style: &PlotStyle,
) -> Result<Vec<Mapping>, PlotError>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    // Side by side on a wide area; one below the other on a tall one (a phone).
    let (w, h) = area.dim_in_pixel();
    let cells = if h > w {
        area.split_evenly((plots.len().max(1), 1))
    } else {
        area.split_evenly((1, plots.len().max(1)))
    };
    plots
        .iter()
        .zip(&cells)
        .map(|(p, cell)| draw_lines(cell, p, style))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::nice_ticks;

    #[test]
    fn short_log_ranges_get_one_two_five_ticks() {
        assert_eq!(nice_ticks(1.8, 35.0), vec![2.0, 5.0, 10.0, 20.0]);
        assert_eq!(nice_ticks(45.0, 420.0), vec![50.0, 100.0, 200.0]);
        // A factor 4 apart: every whole mantissa.
        assert_eq!(nice_ticks(1.5, 6.5), vec![2.0, 3.0, 4.0, 5.0, 6.0]);
        // Closer: round values 1, 2 or 5 × 10ᵏ apart.
        assert_eq!(nice_ticks(2.5, 4.5), vec![2.5, 3.0, 3.5, 4.0, 4.5]);
        let t = nice_ticks(0.33, 0.38);
        assert_eq!(t.len(), 3, "{t:?}");
        for (a, b) in t.iter().zip([0.34, 0.36, 0.38]) {
            assert!((a - b).abs() < 1e-12, "{t:?}");
        }
    }
}
