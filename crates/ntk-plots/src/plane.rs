//! Heatmaps over the plane: functions on a `side` × `side` grid over
//! [−extent, extent]² (row 0 at the bottom, x₂ = −extent), each with its colour bar
//! and the data on top (training points filled, test points hollow). Predictions use
//! the diverging map centred at 0 (the decision boundary of ±1 labels is its white
//! band); a standard deviation uses the sequential kernel map from 0.

use crate::common::{Mapping, Ramp};
use crate::heatmap::HeatmapCells;
use crate::{palette, PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One map: its title, the grid's values and its colour scale.
#[derive(Debug, Clone)]
pub struct PlaneMap<'a> {
    pub title: String,
    pub values: &'a [f64],
    /// Diverging on [−hi, hi] (`lo` unused), else sequential on [lo, hi].
    pub diverging: bool,
    pub lo: f64,
    pub hi: f64,
}

/// What the row of maps draws.
#[derive(Debug, Clone)]
pub struct PlanePlot<'a> {
    pub side: usize,
    pub extent: f64,
    pub maps: Vec<PlaneMap<'a>>,
    pub train: &'a [[f64; 2]],
    pub train_y: &'a [f64],
    pub test: &'a [[f64; 2]],
    pub test_y: &'a [f64],
    /// The labels' colour scale: ±`label_scale` maps to the ends of the diverging map.
    pub label_scale: f64,
    /// Draw the cells as rectangles (SVG, tests); a canvas page paints
    /// [`plane_cells`] as bitmaps into the returned mappings, then draws the points
    /// with [`draw_plane_points`].
    pub paint_cells: bool,
    /// Maps per row (the rest wrap); 0: all in one row. One column on an area
    /// more than twice as tall as wide (a phone), or taller than wide with 0; one
    /// row on an area more than twice as wide as tall (a projector).
    pub per_row: usize,
}

fn color(map: &PlaneMap<'_>, v: f64) -> RGBColor {
    if map.diverging {
        Ramp::Diverging.at(v / map.hi.max(f64::MIN_POSITIVE))
    } else {
        Ramp::Kernel.at((v - map.lo) / (map.hi - map.lo).max(f64::MIN_POSITIVE))
    }
}

fn check(plot: &PlanePlot<'_>) -> Result<(), PlotError> {
    let cells = plot.side * plot.side;
    if plot.side < 2 || plot.maps.is_empty() {
        return Err(PlotError::NoData("plane"));
    }
    if plot.maps.iter().any(|m| m.values.len() != cells)
        || plot.train.len() != plot.train_y.len()
        || plot.test.len() != plot.test_y.len()
    {
        return Err(PlotError::LengthMismatch("plane maps"));
    }
    if plot
        .maps
        .iter()
        .any(|m| m.values.iter().any(|v| !v.is_finite()) || !m.hi.is_finite() || !m.lo.is_finite())
    {
        return Err(PlotError::NonFinite("plane maps"));
    }
    Ok(())
}

/// Each map's cells in its colours, row 0 at the top (the grid's last row).
pub fn plane_cells(plot: &PlanePlot<'_>) -> Result<Vec<HeatmapCells>, PlotError> {
    check(plot)?;
    let s = plot.side;
    Ok(plot
        .maps
        .iter()
        .map(|m| HeatmapCells {
            side: s,
            colors: (0..s)
                .rev()
                .flat_map(|r| (0..s).map(move |c| (r, c)))
                .map(|(r, c)| color(m, m.values[r * s + c]))
                .collect(),
        })
        .collect())
}

/// The sub-areas of the maps: `per_row` to a row, or all in one row (one column
/// on an area taller than wide).
fn split<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    count: usize,
    per_row: usize,
) -> Vec<DrawingArea<DB, Shift>> {
    let (w, h) = area.dim_in_pixel();
    let (rows, cols) = if h > w.saturating_mul(2) {
        (count, 1)
    } else if w > h.saturating_mul(2) {
        (1, count)
    } else if per_row > 0 {
        (count.div_ceil(per_row), per_row)
    } else if h > w {
        (count, 1)
    } else {
        (1, count)
    };
    let mut parts = area.split_evenly((rows, cols));
    parts.truncate(count);
    parts
}

/// Draw the maps with their colour bars; returns each map's pixel ↔ (x₁, x₂) mapping.
pub fn draw_plane_maps<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: &PlanePlot<'_>,
    style: &PlotStyle,
) -> Result<Vec<Mapping>, PlotError>
where
    DB::ErrorType: 'static,
{
    check(plot)?;
    area.fill(&WHITE)?;
    let e = plot.extent;
    let cells = if plot.paint_cells {
        Some(plane_cells(plot)?)
    } else {
        None
    };
    let parts = split(area, plot.maps.len(), plot.per_row);
    let mut out = Vec::new();
    for (k, (part, map)) in parts.iter().zip(&plot.maps).enumerate() {
        let (main, bar) =
            part.split_horizontally(part.dim_in_pixel().0 as i32 - style.px(58.0) as i32);
        let (w, h) = main.dim_in_pixel();
        let side = w.min(h);
        let main = main.shrink(((w - side) as i32 / 2, 0), (side, side));
        let (caption, font) = crate::common::fitted_caption(&main, &map.title, style, 13.0);
        let mut chart = ChartBuilder::on(&main)
            .caption(caption, font)
            .margin(style.px(6.0))
            .x_label_area_size(style.px(30.0))
            .y_label_area_size(style.px(34.0))
            .build_cartesian_2d(-e..e, -e..e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(3)
            .y_labels(3)
            .x_label_formatter(&|v| crate::fmt3(*v))
            .y_label_formatter(&|v| crate::fmt3(*v))
            .x_desc("x₁")
            .y_desc("x₂")
            .label_style(style.font(12.0))
            .axis_desc_style(style.font(12.0))
            .axis_style(palette::TEXT)
            .draw()?;
        if let Some(cells) = &cells {
            let s = plot.side;
            let step = 2.0 * e / s as f64;
            let c = &cells[k];
            chart.draw_series((0..s).flat_map(|a| {
                (0..s).map(move |b| {
                    let x0 = -e + b as f64 * step;
                    let y1 = e - a as f64 * step;
                    Rectangle::new(
                        [(x0, y1 - step), (x0 + step, y1)],
                        c.colors[a * s + b].filled(),
                    )
                })
            }))?;
        }
        let mapping = crate::common::mapping(&chart, (-e, e), (-e, e), false, false);
        map_colour_bar(bar, &mapping, map, style)?;
        out.push(mapping);
    }
    if plot.paint_cells {
        draw_plane_points(area, &out, plot, style)?;
    }
    Ok(out)
}

/// The map's colour bar: ±hi for a diverging map, [lo, hi] for a sequential one.
fn map_colour_bar<DB: DrawingBackend>(
    bar: DrawingArea<DB, Shift>,
    mapping: &Mapping,
    map: &PlaneMap<'_>,
    style: &PlotStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = if map.diverging {
        (-map.hi, map.hi)
    } else {
        (map.lo, map.hi)
    };
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let at = |t: f64| color(map, lo + t * span);
    crate::heatmap::colour_bar(bar, mapping, (lo, hi), &at, 40.0, 48, style)
}

/// The data on top of each map, in device pixels through its mapping: training
/// points filled in their label's colour with a dark edge, test points hollow.
pub fn draw_plane_points<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    mappings: &[Mapping],
    plot: &PlanePlot<'_>,
    style: &PlotStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let label = |y: f64| Ramp::Diverging.at(y / plot.label_scale.max(f64::MIN_POSITIVE));
    for m in mappings {
        // 3 px at the page's scale, smaller on a small map (a projector's row of four
        // with large text): at most a 60th of the map's side.
        let side = f64::from((m.px_x.1 - m.px_x.0).max(1));
        let r = f64::from(style.px(3.0)).min(side / 60.0).max(2.0) as i32;
        let edge = (f64::from(r) / 3.0).round().max(1.0) as u32;
        let px = |p: &[f64; 2]| -> Option<(i32, i32)> {
            let (l, rr) = (m.px_x.0 as f64, m.px_x.1 as f64);
            let (t, b) = (m.px_y.0 as f64, m.px_y.1 as f64);
            let fx = (p[0] - m.x.0) / (m.x.1 - m.x.0);
            let fy = (p[1] - m.y.0) / (m.y.1 - m.y.0);
            ((0.0..=1.0).contains(&fx) && (0.0..=1.0).contains(&fy)).then(|| {
                (
                    (l + fx * (rr - l)).round() as i32,
                    (b - fy * (b - t)).round() as i32,
                )
            })
        };
        for (p, y) in plot.train.iter().zip(plot.train_y) {
            if let Some(c) = px(p) {
                area.draw(&Circle::new(c, r, label(*y).filled()))?;
                area.draw(&Circle::new(c, r, palette::TEXT.stroke_width(edge)))?;
            }
        }
        for (p, y) in plot.test.iter().zip(plot.test_y) {
            if let Some(c) = px(p) {
                area.draw(&Circle::new(c, r, WHITE.filled()))?;
                area.draw(&Circle::new(c, r, label(*y).stroke_width(edge + 1)))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot<'a>(values: &'a [f64], pts: &'a [[f64; 2]], ys: &'a [f64]) -> PlanePlot<'a> {
        PlanePlot {
            side: 3,
            extent: 1.5,
            maps: vec![PlaneMap {
                title: "f".into(),
                values,
                diverging: true,
                lo: 0.0,
                hi: 1.0,
            }],
            train: pts,
            train_y: ys,
            test: &[],
            test_y: &[],
            label_scale: 1.0,
            paint_cells: true,
            per_row: 0,
        }
    }

    #[test]
    fn the_top_row_of_cells_is_the_grids_last() {
        // Grid rows from the bottom: values −1 (bottom), 0, 1 (top).
        let v = [-1.0, -1.0, -1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let cells = plane_cells(&plot(&v, &[], &[])).unwrap();
        assert_eq!(cells[0].colors[0], palette::VERMILLION);
        assert_eq!(cells[0].colors[8], palette::BLUE);
        assert_eq!(cells[0].colors[4], palette::NEAR_WHITE);
    }

    #[test]
    fn it_draws_to_svg_and_refuses_bad_input() {
        let v = [0.5; 9];
        let pts = [[0.0, 0.0], [1.0, -1.0]];
        let ys = [1.0, -1.0];
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (600, 300)).into_drawing_area();
            let maps = draw_plane_maps(&area, &plot(&v, &pts, &ys), &PlotStyle::default()).unwrap();
            assert_eq!(maps.len(), 1);
            area.present().unwrap();
        }
        assert!(svg.contains("x₁") && svg.contains("<circle"));
        let bad = [f64::NAN; 9];
        let area = SVGBackend::with_string(&mut svg, (600, 300)).into_drawing_area();
        assert!(draw_plane_maps(&area, &plot(&bad, &[], &[]), &PlotStyle::default()).is_err());
        assert!(draw_plane_maps(&area, &plot(&v[..4], &[], &[]), &PlotStyle::default()).is_err());
    }
}
