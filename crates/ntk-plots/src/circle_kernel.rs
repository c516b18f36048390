//! Θ(x₀, x(γ)) and K(x₀, x(γ)) on the unit circle against the angle γ ∈ [−π, π]
//! (the picture of Jacot et al. 2018, arXiv:1806.07572, Fig. 1).

use crate::{palette, PlotError, PlotStyle};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::f64::consts::PI;

/// What the circle-kernel panel draws. Angles in radians.
#[derive(Debug, Clone, Copy)]
pub struct CircleKernelPlot<'a> {
    /// The angles γ (radians, within [−π, π]).
    pub gamma: &'a [f64],
    /// The analytic NTK Θ(x₀, x(γ)).
    pub ntk: &'a [f64],
    /// The analytic NNGP kernel K(x₀, x(γ)).
    pub nngp: &'a [f64],
    /// The activation's name, for the title ("ReLU", "tanh", …).
    pub activation: &'a str,
    /// The width, when the standard parameterization makes the kernel depend on it.
    pub standard_width: Option<usize>,
    /// The network's depth L, for the title.
    pub depth: usize,
    /// σ_w, for the title.
    pub w_std: f64,
    /// σ_b (`None`: no bias), for the title.
    pub b_std: Option<f64>,
}

/// Series names, as they appear in the legend.
pub const NTK_LABEL: &str = "NTK Θ(x₀, x(γ)), infinite width";
/// Series names, as they appear in the legend.
pub const NNGP_LABEL: &str = "NNGP K(x₀, x(γ)), infinite width";

/// The title of the plot.
pub fn title(data: &CircleKernelPlot<'_>) -> String {
    let b = match data.b_std {
        Some(b) => format!("σ_b = {}", fmt3(b)),
        None => "no bias".into(),
    };
    let param = match data.standard_width {
        Some(m) => format!(", standard param., m = {m}"),
        None => String::new(),
    };
    format!(
        "Analytic {} kernels on the unit circle (L = {}, σ_w = {}, {}{})",
        data.activation,
        data.depth,
        fmt3(data.w_std),
        b,
        param
    )
}

/// A number to 3 significant digits, without trailing zeros.
pub fn fmt3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
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

/// Tick labels at multiples of π/2 for an axis in units of π.
fn pi_label(v: &f64) -> String {
    match (v * 2.0).round() as i64 {
        0 => "0".into(),
        1 => "π/2".into(),
        -1 => "−π/2".into(),
        2 => "π".into(),
        -2 => "−π".into(),
        k if k % 2 == 0 => format!("{}π", k / 2),
        k => format!("{k}π/2"),
    }
}

/// Draw the circle profile. The x axis is γ in units of π with ticks at multiples of
/// π/2; the NTK is black (analytic), the NNGP kernel Okabe–Ito blue.
pub fn draw_circle_kernel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &CircleKernelPlot<'_>,
    style: &PlotStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let n = data.gamma.len();
    if n == 0 {
        return Err(PlotError::NoData("circle profile"));
    }
    if data.ntk.len() != n || data.nngp.len() != n {
        return Err(PlotError::LengthMismatch("γ, Θ and K"));
    }
    let all = data.gamma.iter().chain(data.ntk).chain(data.nngp);
    if all.clone().any(|v| !v.is_finite()) {
        return Err(PlotError::NonFinite("circle profile"));
    }
    let (lo, hi) = data
        .ntk
        .iter()
        .chain(data.nngp)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let lo = lo.min(0.0);
    let pad = ((hi - lo) * 0.06).max(1e-9);

    area.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(area)
        .caption(title(data), style.font(15.0))
        .margin(style.px(12.0))
        .x_label_area_size(style.px(44.0))
        .y_label_area_size(style.px(56.0))
        .build_cartesian_2d(-1.0f64..1.0f64, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_labels(9)
        .x_label_formatter(&pi_label)
        .y_label_formatter(&|v| fmt3(*v))
        .x_desc("angle γ between x₀ = (1, 0) and x(γ) = (cos γ, sin γ)")
        .y_desc("kernel value Θ or K")
        .label_style(style.font(12.0))
        .axis_desc_style(style.font(13.0))
        .light_line_style(palette::GRID.mix(0.5))
        .bold_line_style(palette::GRID)
        .axis_style(palette::TEXT)
        .draw()?;

    let series = [
        (data.ntk, palette::ANALYTIC, NTK_LABEL),
        (data.nngp, palette::BLUE, NNGP_LABEL),
    ];
    let (sample_len, line_width) = (style.px(24.0) as i32, style.px(2.0));
    for (ys, color, label) in series {
        let stroke = color.stroke_width(line_width);
        chart
            .draw_series(LineSeries::new(
                data.gamma.iter().zip(ys).map(|(&g, &y)| (g / PI, y)),
                stroke,
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + sample_len, y)],
                    color.stroke_width(line_width),
                )
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .legend_area_size(style.px(34.0))
        .margin(style.px(8.0))
        .background_style(WHITE.mix(0.9))
        .border_style(palette::GRID)
        .label_font(style.font(12.0))
        .draw()?;
    Ok(())
}
