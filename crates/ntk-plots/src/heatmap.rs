//! Heatmaps of Gram matrices: the analytic kernel, the empirical kernel of one random
//! finite network (same sequential colour scale), and their difference (a diverging
//! scale centred at 0), each with a colour bar. Matrices larger than `max_cells` per
//! side are shown as block means (the read-out mapping stays in input indices).

use crate::common::{Mapping, Ramp};
use crate::{palette, PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The largest number of cells per side drawn in SVG and other vector output.
pub const MAX_CELLS: usize = 120;

/// What the heatmap row draws: three n × n row-major matrices.
#[derive(Debug, Clone, Copy)]
pub struct HeatmapsPlot<'a> {
    pub n: usize,
    pub analytic: &'a [f64],
    pub empirical: &'a [f64],
    /// The finite network's width and seed, for the titles.
    pub width: usize,
    pub seed: u64,
    /// "Θ" or "K".
    pub symbol: &'a str,
    /// `Some(seed)`: there is no analytic kernel, and `analytic` holds a second net's
    /// empirical kernel (same width, this seed); the titles say so.
    pub other_seed: Option<u64>,
    /// The inputs each row and column stands for (1: the matrices are the Gram
    /// matrices; b > 1: means over blocks of b inputs). The axes count inputs.
    pub block: usize,
    /// The most cells per side (block means beyond).
    pub max_cells: usize,
    /// Draw the cells as rectangles (SVG, tests). A canvas page passes `false` and
    /// paints [`heatmap_colors`] as one bitmap per heatmap into the returned mappings'
    /// pixel rectangles: thousands of `fillRect` calls would cost ≈ 5 µs each.
    pub paint_cells: bool,
}

/// One heatmap's cells: `side` × `side` colours, row-major, row 0 at the top.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapCells {
    pub side: usize,
    pub colors: Vec<RGBColor>,
}

/// Block means of an n × n matrix onto at most `max_cells` × `max_cells` cells.
pub fn downsample(n: usize, values: &[f64], max_cells: usize) -> (usize, Vec<f64>) {
    let m = n.clamp(1, max_cells.max(1));
    let mut out = vec![0.0; m * m];
    let mut count = vec![0usize; m * m];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (i * m / n, j * m / n);
            out[a * m + b] += values[i * n + j];
            count[a * m + b] += 1;
        }
    }
    for (o, c) in out.iter_mut().zip(&count) {
        *o /= (*c).max(1) as f64;
    }
    (m, out)
}

fn draw_one<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (n, block): (usize, usize),
    cells: Option<&HeatmapCells>,
    color: &dyn Fn(f64) -> RGBColor,
    range: (f64, f64),
    style: &PlotStyle,
) -> Result<Mapping, PlotError>
where
    DB::ErrorType: 'static,
{
    let (main, bar) = area.split_horizontally(area.dim_in_pixel().0 as i32 - style.px(62.0) as i32);
    // Square cells: the heatmap's area is a square, centred.
    let (w, h) = main.dim_in_pixel();
    let side = w.min(h);
    let main = main.shrink(((w - side) as i32 / 2, 0), (side, side));
    let (caption, font) = crate::common::fitted_caption(&main, title, style, 13.0);
    let mut chart = ChartBuilder::on(&main)
        .caption(caption, font)
        .margin(style.px(6.0))
        .x_label_area_size(style.px(30.0))
        .y_label_area_size(style.px(34.0))
        .build_cartesian_2d(0.0f64..n as f64, n as f64..0.0f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(3)
        .y_labels(3)
        .x_label_formatter(&|v| format!("{}", (v * block as f64).round() as i64))
        .y_label_formatter(&|v| format!("{}", (v * block as f64).round() as i64))
        .x_desc(if block > 1 {
            "input j (block means)"
        } else {
            "input j"
        })
        .y_desc("input i")
        .label_style(style.font(12.0))
        .axis_desc_style(style.font(12.0))
        .axis_style(palette::TEXT)
        .draw()?;
    if let Some(cells) = cells {
        let m = cells.side;
        let step = n as f64 / m as f64;
        chart.draw_series((0..m).flat_map(|a| {
            (0..m).map(move |b| {
                let x0 = b as f64 * step;
                let y0 = a as f64 * step;
                Rectangle::new(
                    [(x0, y0), (x0 + step, y0 + step)],
                    cells.colors[a * m + b].filled(),
                )
            })
        }))?;
    }
    let mapping = crate::common::mapping(&chart, (0.0, n as f64), (n as f64, 0.0), false, false);
    // The colour bar spans exactly the heatmap's rows.
    colour_bar(bar, &mapping, range, color, 44.0, 64, style)?;
    Ok(mapping)
}

/// A colour bar beside a heatmap of pixel rectangle `mapping`, spanning exactly its
/// rows (the labels may overhang by half a line, inside the margin): `steps` bands of
/// `color(t)`, t ∈ [0, 1] from `lo` to `hi`, labelled on the left in a
/// `label_area`-pixel column (CSS pixels). Shared by the Gram heatmaps and the
/// plane's maps.
pub(crate) fn colour_bar<DB: DrawingBackend>(
    bar: DrawingArea<DB, Shift>,
    mapping: &Mapping,
    (lo, hi): (f64, f64),
    color: &dyn Fn(f64) -> RGBColor,
    label_area: f64,
    steps: usize,
    style: &PlotStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let overhang = style.px(8.0) as i32;
    let (_, bar_top) = bar.get_base_pixel();
    let (bar_w, bar_h) = bar.dim_in_pixel();
    let top = (mapping.px_y.0 - bar_top - overhang).max(0);
    let height = (mapping.px_y.1 - mapping.px_y.0 + 2 * overhang).min(bar_h as i32 - top);
    let bar = bar.shrink((0, top), (bar_w, height.max(1) as u32));
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(overhang)
        .margin_bottom(overhang)
        .margin_left(style.px(4.0))
        .y_label_area_size(style.px(label_area))
        .build_cartesian_2d(0.0f64..1.0f64, lo..hi.max(lo + f64::MIN_POSITIVE))?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|v| crate::common::tick(*v, span))
        .label_style(style.font(11.0))
        .axis_style(palette::TEXT)
        .draw()?;
    cb.draw_series((0..steps).map(|k| {
        let a = lo + span * k as f64 / steps as f64;
        let b = lo + span * (k + 1) as f64 / steps as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            color((k as f64 + 0.5) / steps as f64).filled(),
        )
    }))?;
    Ok(())
}

/// The colour ranges of the three heatmaps: (lo, hi) shared by the analytic and the
/// empirical kernel, and ±max|difference| centred at 0.
/// The shared (lo, hi) of the kernels, max|difference|, and the difference itself.
struct Ranges {
    kernel: (f64, f64),
    dmax: f64,
    diff: Vec<f64>,
}

fn ranges(data: &HeatmapsPlot<'_>) -> Result<Ranges, PlotError> {
    let nn = data.n * data.n;
    if data.n == 0 {
        return Err(PlotError::NoData("heatmap"));
    }
    if data.analytic.len() != nn || data.empirical.len() != nn {
        return Err(PlotError::LengthMismatch("heatmap matrices"));
    }
    if data
        .analytic
        .iter()
        .chain(data.empirical)
        .any(|v| !v.is_finite())
    {
        return Err(PlotError::NonFinite("heatmap"));
    }
    let diff: Vec<f64> = data
        .empirical
        .iter()
        .zip(data.analytic)
        .map(|(e, a)| e - a)
        .collect();
    let (lo, hi) = data
        .analytic
        .iter()
        .chain(data.empirical)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let dmax = diff
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    Ok(Ranges {
        kernel: (lo, hi),
        dmax,
        diff,
    })
}

fn cells_of(
    n: usize,
    values: &[f64],
    max_cells: usize,
    color: &dyn Fn(f64) -> RGBColor,
    (lo, hi): (f64, f64),
) -> HeatmapCells {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let (side, means) = downsample(n, values, max_cells);
    HeatmapCells {
        side,
        colors: means.iter().map(|v| color((v - lo) / span)).collect(),
    }
}

/// The cells of the analytic, empirical and difference heatmaps, in their colours.
pub fn heatmap_colors(data: &HeatmapsPlot<'_>) -> Result<[HeatmapCells; 3], PlotError> {
    let Ranges {
        kernel: (lo, hi),
        dmax,
        diff,
    } = ranges(data)?;
    let m = data.max_cells;
    Ok([
        cells_of(data.n, data.analytic, m, &kernel_map, (lo, hi)),
        cells_of(data.n, data.empirical, m, &kernel_map, (lo, hi)),
        cells_of(data.n, &diff, m, &diverging_map, (-dmax, dmax)),
    ])
}

/// A colour map t ∈ [0, 1] → colour.
type ColorMap = dyn Fn(f64) -> RGBColor;

fn kernel_map(t: f64) -> RGBColor {
    Ramp::Kernel.at(t)
}

fn diverging_map(t: f64) -> RGBColor {
    Ramp::Diverging.at(2.0 * t - 1.0)
}

/// Draw the three heatmaps side by side; returns each one's pixel ↔ (j, i) mapping.
pub fn draw_kernel_heatmaps<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &HeatmapsPlot<'_>,
    style: &PlotStyle,
) -> Result<Vec<Mapping>, PlotError>
where
    DB::ErrorType: 'static,
{
    let r = ranges(data)?;
    let ((lo, hi), dmax) = (r.kernel, r.dmax);
    let cells = if data.paint_cells {
        Some(heatmap_colors(data)?)
    } else {
        None
    };
    area.fill(&WHITE)?;
    // Side by side, or stacked on an area taller than wide (a phone's column).
    let (w, h) = area.dim_in_pixel();
    let parts = if h > w {
        area.split_evenly((3, 1))
    } else {
        area.split_evenly((1, 3))
    };
    let s = data.symbol;
    let titles = match data.other_seed {
        None => [
            format!("analytic {s}"),
            format!("empirical {s}, m = {}, seed {}", data.width, data.seed),
            "empirical − analytic".to_string(),
        ],
        Some(other) => [
            format!("empirical {s}, m = {}, seed {other}", data.width),
            format!("empirical {s}, m = {}, seed {}", data.width, data.seed),
            format!("seed {} − seed {other} (no limit)", data.seed),
        ],
    };
    let scales: [(&ColorMap, (f64, f64)); 3] = [
        (&kernel_map, (lo, hi)),
        (&kernel_map, (lo, hi)),
        (&diverging_map, (-dmax, dmax)),
    ];
    parts
        .iter()
        .zip(&titles)
        .zip(scales)
        .enumerate()
        .map(|(k, ((part, title), (color, range)))| {
            let painted = cells.as_ref().map(|c| &c[k]);
            draw_one(
                part,
                title,
                (data.n, data.block.max(1)),
                painted,
                color,
                range,
                style,
            )
        })
        .collect()
}
