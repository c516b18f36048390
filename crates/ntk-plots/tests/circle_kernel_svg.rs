//! The circle-kernel panel rendered natively to SVG and read back.

use ntk_plots::{draw_circle_kernel, to_svg_string, CircleKernelPlot, PlotError, PlotStyle};
use std::f64::consts::PI;

/// A two-layer ReLU NTK profile in closed form (σ_w² = 2, no bias):
/// K = (sin θ + (π − θ) cos θ)/π, Θ = (sin θ + 2(π − θ) cos θ)/π, θ = |γ|.
fn closed_form(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let gamma: Vec<f64> = (0..n)
        .map(|i| -PI + 2.0 * PI * i as f64 / (n - 1) as f64)
        .collect();
    let nngp = gamma
        .iter()
        .map(|g| (g.abs().sin() + (PI - g.abs()) * g.cos()) / PI)
        .collect();
    let ntk = gamma
        .iter()
        .map(|g| (g.abs().sin() + 2.0 * (PI - g.abs()) * g.cos()) / PI)
        .collect();
    (gamma, nngp, ntk)
}

fn render(plot: &CircleKernelPlot<'_>) -> Result<String, PlotError> {
    to_svg_string(800, 450, |area| {
        draw_circle_kernel(area, plot, &PlotStyle::default())
    })
}

#[test]
fn circle_kernel_svg_has_title_axes_and_both_series() {
    let (gamma, nngp, ntk) = closed_form(201);
    let plot = CircleKernelPlot {
        gamma: &gamma,
        ntk: &ntk,
        nngp: &nngp,
        activation: "ReLU",
        standard_width: None,
        depth: 1,
        w_std: 2f64.sqrt(),
        b_std: None,
    };
    let svg = render(&plot).unwrap();
    assert!(svg.starts_with("<svg"), "not an SVG document");
    assert!(svg.contains("Analytic ReLU kernels on the unit circle (L = 1, σ_w = 1.41, no bias)"));
    assert!(svg.contains("angle γ between x₀ = (1, 0) and x(γ) = (cos γ, sin γ)"));
    assert!(svg.contains("kernel value"));
    // The SVG backend writes each text on its own line between the tags.
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1))
        .map(|t| t.trim_end_matches("</text").trim())
        .collect();
    for tick in ["−π", "−π/2", "0", "π/2", "π"] {
        assert!(texts.contains(&tick), "missing x tick {tick} in {texts:?}");
    }
    assert!(svg.contains("NTK Θ(x₀, x(γ)), infinite width"));
    assert!(svg.contains("NNGP K(x₀, x(γ)), infinite width"));
    // Two line series: a black one (NTK) and an Okabe–Ito blue one (NNGP), each a
    // polyline through every point.
    let polylines: Vec<&str> = svg.split("<polyline").skip(1).collect();
    let black = polylines
        .iter()
        .filter(|p| p.contains("stroke=\"#000000\""))
        .count();
    let blue = polylines
        .iter()
        .filter(|p| p.contains("stroke=\"#0072B2\""))
        .count();
    assert!(black >= 1, "no black NTK series");
    assert!(blue >= 1, "no blue NNGP series");
    let longest = polylines
        .iter()
        .map(|p| {
            p.split("points=\"")
                .nth(1)
                .map_or(0, |s| s.split('"').next().unwrap().split(' ').count())
        })
        .max()
        .unwrap();
    assert!(longest >= 150, "series has too few points: {longest}");
}

#[test]
fn circle_kernel_peak_is_drawn_highest_at_gamma_zero() {
    // The NTK is maximal at γ = 0; in SVG coordinates (y grows downwards) the black
    // polyline's smallest y must sit at the horizontal middle of the plotting area.
    let (gamma, nngp, ntk) = closed_form(201);
    let plot = CircleKernelPlot {
        gamma: &gamma,
        ntk: &ntk,
        nngp: &nngp,
        activation: "ReLU",
        standard_width: None,
        depth: 1,
        w_std: 2f64.sqrt(),
        b_std: None,
    };
    let svg = render(&plot).unwrap();
    let black = svg
        .split("<polyline")
        .skip(1)
        .find(|p| p.contains("stroke=\"#000000\"") && p.matches(',').count() > 100)
        .expect("NTK polyline");
    let pts: Vec<(f64, f64)> = black
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    let (xmin, xmax) = (pts.first().unwrap().0, pts.last().unwrap().0);
    let top = pts.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert!(
        (top.0 - (xmin + xmax) / 2.0).abs() <= 2.0,
        "peak at x={} not centre",
        top.0
    );
}

#[test]
fn bad_data_is_an_error_not_a_panic() {
    let style = PlotStyle::default();
    let empty = CircleKernelPlot {
        gamma: &[],
        ntk: &[],
        nngp: &[],
        activation: "ReLU",
        standard_width: None,
        depth: 1,
        w_std: 1.0,
        b_std: None,
    };
    let r = to_svg_string(400, 300, |a| draw_circle_kernel(a, &empty, &style));
    assert!(matches!(r, Err(PlotError::NoData(_))));
    let nan = CircleKernelPlot {
        gamma: &[0.0, 1.0],
        ntk: &[f64::NAN, 1.0],
        nngp: &[0.0, 1.0],
        activation: "ReLU",
        standard_width: None,
        depth: 1,
        w_std: 1.0,
        b_std: None,
    };
    let r = to_svg_string(400, 300, |a| draw_circle_kernel(a, &nan, &style));
    assert!(matches!(r, Err(PlotError::NonFinite(_))));
}

#[test]
fn numbers_have_three_significant_digits() {
    use ntk_plots::fmt3;
    assert_eq!(fmt3(std::f64::consts::SQRT_2), "1.41");
    assert_eq!(fmt3(5.678), "5.68");
    assert_eq!(fmt3(0.000316227), "0.000316");
    assert_eq!(fmt3(123.456), "123");
    assert_eq!(fmt3(2.0), "2");
    assert_eq!(fmt3(-0.5), "-0.5");
}
