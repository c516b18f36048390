//! The panels' plot functions rendered natively to SVG and read back: titles, axis
//! labels, legends, colour bars, log ticks, and errors for bad data.

use ntk_plots::UNIT_CIRCLE;
use ntk_plots::{
    draw_circle_widths, draw_eigenvectors, draw_kernel_heatmaps, draw_lines, draw_lines_row,
    draw_spectrum, fmt3, to_svg_string, CircleWidthsPlot, EigenvectorPlot, HeatmapsPlot, LinesPlot,
    PlotError, PlotStyle, Series, SpectrumPlot, Stroke, WidthSeries,
};
use std::f64::consts::PI;

/// The texts of an SVG document (the backend writes each between its own tags).
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1))
        .map(|t| t.trim_end_matches("</text").trim().to_string())
        .collect()
}

/// Whether `label` is among the texts, also when wrapped over several lines.
fn has(texts: &[String], label: &str) -> bool {
    texts.join(" ").contains(label)
}

fn polylines_with(svg: &str, color: &str) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.contains(color))
        .count()
}

/// Two-layer ReLU NTK on the circle in closed form (σ_w² = 2, no bias):
/// Θ = (sin θ + 2(π − θ) cos θ)/π, θ = |γ|.
fn closed_form(n: usize) -> (Vec<f64>, Vec<f64>) {
    let gamma: Vec<f64> = (0..n)
        .map(|i| -PI + 2.0 * PI * i as f64 / (n - 1) as f64)
        .collect();
    let ntk = gamma
        .iter()
        .map(|g| (g.abs().sin() + 2.0 * (PI - g.abs()) * g.cos()) / PI)
        .collect();
    (gamma, ntk)
}

#[test]
fn circle_widths_plot_has_title_axes_legend_and_every_series() {
    let (gamma, ntk) = closed_form(101);
    let wide: Vec<f64> = ntk.iter().map(|v| v * 1.01).collect();
    let std = vec![0.05; 101];
    let seed_curves = vec![wide.clone(), ntk.clone()];
    let series = [
        WidthSeries {
            width: 64,
            mean: &wide,
            sem: &std,
            seeds: &seed_curves,
            analytic: None,
        },
        WidthSeries {
            width: 1024,
            mean: &ntk,
            sem: &std,
            seeds: &[],
            analytic: None,
        },
    ];
    let plot = CircleWidthsPlot {
        note: "",
        trained: &[],
        trained_steps: 0,
        gamma: &gamma,
        analytic: Some(&ntk),
        widths: &series,
        seeds: 5,
        kernel: "NTK Θ",
        network: "ReLU, L = 1",
        summary: true,
        circle: UNIT_CIRCLE,
    };
    let mut mapping = None;
    let svg = to_svg_string(900, 450, |a| {
        mapping = Some(draw_circle_widths(a, &plot, &PlotStyle::default())?);
        Ok(())
    })
    .unwrap();
    let t = texts(&svg);
    assert!(has(&t, "NTK Θ on the unit circle — ReLU, L = 1"), "{t:?}");
    assert!(has(
        &t,
        "angle γ between x₀ = (1, 0) and x(γ) = (cos γ, sin γ)"
    ));
    assert!(has(&t, "NTK Θ(x₀, x(γ))"));
    for tick in ["−π", "−π/2", "0", "π/2", "π"] {
        assert!(t.contains(&tick.to_string()), "missing tick {tick}");
    }
    assert!(
        has(&t, "width m = 64: 5 seeds (thin), mean ± 2 s.e."),
        "{t:?}"
    );
    assert!(has(&t, "width m = 1024: mean ± 2 s.e. of 5 seeds"), "{t:?}");
    assert!(has(&t, "analytic, infinite width"));
    // Two thin seed curves for width 64, then the two means and the analytic curve.
    assert!(svg.matches("<polyline").count() >= 5, "seed curves missing");
    assert!(
        polylines_with(&svg, "stroke=\"#000000\"") >= 1,
        "no black analytic curve"
    );
    assert!(svg.contains("<polygon"), "no ± 2 s.e. band");
    // Without the summary (Jacot et al.'s picture): the kept seeds a line each, no
    // band for them; the width whose seeds were not kept keeps its band.
    let lines = CircleWidthsPlot {
        note: "",
        summary: false,
        ..plot
    };
    let only = to_svg_string(900, 450, |a| {
        draw_circle_widths(a, &lines, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    assert_eq!(
        only.matches("<polygon").count(),
        1,
        "one band: the 1024 width's"
    );
    assert!(has(&texts(&only), "width m = 64: 5 seeds, a line each"));
    // The mapping turns the plot's centre back into γ ≈ 0.
    let m = mapping.unwrap();
    let (x, _) = m
        .to_data(
            0.5 * (m.px_x.0 + m.px_x.1) as f64,
            0.5 * (m.px_y.0 + m.px_y.1) as f64,
        )
        .unwrap();
    assert!(x.abs() < 0.01);
}

/// Standard parameterization: no infinite-width curve, each width beside its own
/// analytic kernel.
#[test]
fn circle_widths_plot_without_a_limit_draws_each_widths_own_kernel() {
    let (gamma, ntk) = closed_form(51);
    let big: Vec<f64> = ntk.iter().map(|v| 4.0 * v).collect();
    let sem = vec![0.01; 51];
    let series = [
        WidthSeries {
            width: 64,
            mean: &ntk,
            sem: &sem,
            seeds: &[],
            analytic: Some(&ntk),
        },
        WidthSeries {
            width: 256,
            mean: &big,
            sem: &sem,
            seeds: &[],
            analytic: Some(&big),
        },
    ];
    let plot = CircleWidthsPlot {
        note: "",
        trained: &[],
        trained_steps: 0,
        gamma: &gamma,
        analytic: None,
        widths: &series,
        seeds: 3,
        kernel: "NTK Θ",
        network: "standard",
        summary: true,
        circle: UNIT_CIRCLE,
    };
    let svg = to_svg_string(900, 450, |a| {
        draw_circle_widths(a, &plot, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    let t = texts(&svg);
    assert!(!has(&t, "analytic, infinite width"), "{t:?}");
    for w in [64, 256] {
        let label = format!("analytic kernel of width {w} (standard param.)");
        assert!(has(&t, &label), "{t:?}");
    }
    // A note under the legend says why there is no analytic curve.
    let noted = CircleWidthsPlot {
        note: "No analytic curve: no limit",
        ..plot
    };
    let svg = to_svg_string(900, 450, |a| {
        draw_circle_widths(a, &noted, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    assert!(has(&texts(&svg), "No analytic curve"), "{:?}", texts(&svg));
}

#[test]
fn heatmaps_have_three_titles_and_colour_bars_centred_at_zero() {
    let n = 10;
    let a: Vec<f64> = (0..n * n)
        .map(|k| 1.0 / (1.0 + ((k / n) as f64 - (k % n) as f64).abs()))
        .collect();
    let e: Vec<f64> = a
        .iter()
        .enumerate()
        .map(|(k, v)| v + 0.01 * ((k % 7) as f64 - 3.0))
        .collect();
    let plot = HeatmapsPlot {
        other_seed: None,
        block: 1,
        max_cells: ntk_plots::MAX_CELLS,
        paint_cells: true,
        n,
        analytic: &a,
        empirical: &e,
        width: 512,
        seed: 3,
        symbol: "Θ",
    };
    let mut maps = Vec::new();
    let svg = to_svg_string(1200, 420, |area| {
        maps = draw_kernel_heatmaps(area, &plot, &PlotStyle::default())?;
        Ok(())
    })
    .unwrap();
    let t = texts(&svg);
    for title in [
        "analytic Θ",
        "empirical Θ, m = 512, seed 3",
        "empirical − analytic",
    ] {
        assert!(t.contains(&title.to_string()), "missing {title} in {t:?}");
    }
    assert!(t.iter().filter(|s| *s == "input i").count() == 3);
    assert!(
        t.contains(&"0".to_string()),
        "the difference's colour bar has a 0 tick"
    );
    // Without an analytic kernel the first heatmap is a second net's, and says so.
    let two = HeatmapsPlot {
        other_seed: Some(4),
        ..plot
    };
    let svg2 = to_svg_string(1200, 420, |area| {
        draw_kernel_heatmaps(area, &two, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    let t2 = texts(&svg2);
    for title in [
        "empirical Θ, m = 512, seed 4",
        "empirical Θ, m = 512, seed 3",
        "seed 3 − seed 4 (no limit)",
    ] {
        assert!(t2.contains(&title.to_string()), "missing {title} in {t2:?}");
    }
    assert!(!t2.iter().any(|s| s.contains("analytic")), "{t2:?}");
    assert_eq!(maps.len(), 3);
    // 3 × n² cells plus the colour bars' strips.
    assert!(svg.matches("<rect").count() >= 3 * n * n + 3 * 64);
    // Each colour bar: tick labels of its own (right-aligned, between its heatmap and
    // the next), and strips spanning exactly its heatmap's rows.
    let attr = |el: &str, name: &str| -> f64 {
        el.split(&format!(" {name}=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    for (k, m) in maps.iter().enumerate() {
        let right = maps
            .get(k + 1)
            .map_or(f64::INFINITY, |next| next.px_x.0 as f64);
        let inside = |x: f64| x > m.px_x.1 as f64 && x < right;
        let labels = svg
            .split("<text")
            .skip(1)
            .filter(|e| e.contains("text-anchor=\"end\"") && inside(attr(e, "x")))
            .count();
        assert!(labels >= 3, "heatmap {k}: {labels} colour-bar labels");
        let strips: Vec<(f64, f64)> = svg
            .split("<rect")
            .skip(1)
            .filter(|e| inside(attr(e, "x")))
            .map(|e| (attr(e, "y"), attr(e, "y") + attr(e, "height")))
            .collect();
        let top = strips.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        let bottom = strips.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
        assert!(
            (top - m.px_y.0 as f64).abs() <= 1.5 && (bottom - m.px_y.1 as f64).abs() <= 1.5,
            "heatmap {k}: bar {top}..{bottom}, heatmap {:?}",
            m.px_y
        );
    }
    // Side by side on a wide area; stacked, each below the last, on a tall one.
    assert!(maps[0].px_x.1 < maps[1].px_x.0 && maps[1].px_x.1 < maps[2].px_x.0);
    let mut tall = Vec::new();
    to_svg_string(360, 900, |area| {
        tall = draw_kernel_heatmaps(area, &plot, &PlotStyle::default())?;
        Ok(())
    })
    .unwrap();
    assert!(
        tall[0].px_y.1 < tall[1].px_y.0 && tall[1].px_y.1 < tall[2].px_y.0,
        "{tall:?}"
    );
    assert!(tall.iter().all(|m| m.px_x.1 - m.px_x.0 > 150), "{tall:?}");
}

/// Where the Funk–Hecke eigenvalues do not apply, the plot says so instead of drawing.
#[test]
fn spectrum_without_theory_writes_why_on_the_plot() {
    let ev: Vec<f64> = (1..=20).map(|k| 1.0 / k as f64).collect();
    let plot = SpectrumPlot {
        eigenvalues: &ev,
        analytic: None,
        log: true,
        kernel: "NTK Θ",
        data: "n = 20",
        note: Some("no Funk–Hecke μ_k: the data are not on a sphere"),
    };
    let svg = to_svg_string(900, 500, |a| {
        draw_spectrum(a, &plot, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    let t = texts(&svg);
    assert!(
        has(&t, "no Funk–Hecke μ_k: the data are not on a sphere"),
        "{t:?}"
    );
    assert!(!t.iter().any(|l| l.contains("analytic μ_k")), "{t:?}");
}

#[test]
fn spectrum_uses_decade_ticks_and_a_dashed_theory_line() {
    let ev: Vec<f64> = (1..=64).map(|k| 1.0 / (k as f64).powi(2)).collect();
    let mu: Vec<f64> = ev.iter().map(|v| v * 1.02).collect();
    let plot = SpectrumPlot {
        eigenvalues: &ev,
        analytic: Some(&mu),
        log: true,
        kernel: "NTK Θ",
        data: "n = 64",
        note: None,
    };
    let svg = to_svg_string(900, 500, |a| {
        draw_spectrum(a, &plot, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    let t = texts(&svg);
    assert!(
        has(&t, "Eigenvalues of the NTK Θ Gram matrix, n = 64"),
        "{t:?}"
    );
    assert!(has(&t, "eigenvalue index k") && has(&t, "eigenvalue λ_k / n"));
    for tick in ["10⁰", "10¹", "10⁻¹", "10⁻³"] {
        assert!(
            t.contains(&tick.to_string()),
            "missing decade tick {tick}: {t:?}"
        );
    }
    assert!(
        !t.iter().any(|s| s.contains("0.000")),
        "raw float ticks on a log axis: {t:?}"
    );
    assert!(has(&t, "analytic μ_k by degree, × multiplicity (theory)"));
    let linear = SpectrumPlot { log: false, ..plot };
    let svg = to_svg_string(900, 500, |a| {
        draw_spectrum(a, &linear, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    assert!(!texts(&svg).iter().any(|s| s.starts_with("10⁻")));
}

#[test]
fn eigenvectors_plot_labels_every_vector() {
    let x: Vec<f64> = (0..32).map(|i| -PI + 2.0 * PI * i as f64 / 32.0).collect();
    let v: Vec<Vec<f64>> = (0..3)
        .map(|k| x.iter().map(|g| (k as f64 * g).cos()).collect())
        .collect();
    let labels: Vec<String> = (0..3)
        .map(|k| format!("v{} (frequency {k})", k + 1))
        .collect();
    let plot = EigenvectorPlot {
        x: &x,
        angle: true,
        vectors: &v,
        labels: &labels,
    };
    let svg = to_svg_string(900, 500, |a| {
        draw_eigenvectors(a, &plot, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    let t = texts(&svg);
    for l in &labels {
        assert!(t.contains(l), "missing {l}");
    }
    assert!(has(&t, "angle γ (radians)"));
    for tick in ["−π", "−π/2", "0", "π/2"] {
        assert!(
            t.contains(&tick.to_string()),
            "missing tick {tick} in {t:?}"
        );
    }
}

#[test]
fn bad_data_is_an_error_not_a_panic() {
    let style = PlotStyle::default();
    let plot = CircleWidthsPlot {
        note: "",
        trained: &[],
        trained_steps: 0,
        gamma: &[],
        analytic: Some(&[]),
        widths: &[],
        seeds: 1,
        kernel: "Θ",
        network: "",
        summary: true,
        circle: UNIT_CIRCLE,
    };
    let r = to_svg_string(400, 300, |a| {
        draw_circle_widths(a, &plot, &style).map(|_| ())
    });
    assert!(matches!(r, Err(PlotError::NoData(_))));
    let nan = CircleWidthsPlot {
        note: "",
        trained: &[],
        trained_steps: 0,
        gamma: &[0.0, 1.0],
        analytic: Some(&[f64::NAN, 1.0]),
        widths: &[],
        seeds: 1,
        kernel: "Θ",
        network: "",
        summary: true,
        circle: UNIT_CIRCLE,
    };
    let r = to_svg_string(400, 300, |a| {
        draw_circle_widths(a, &nan, &style).map(|_| ())
    });
    assert!(matches!(r, Err(PlotError::NonFinite(_))));
    let h = HeatmapsPlot {
        other_seed: None,
        block: 1,
        max_cells: ntk_plots::MAX_CELLS,
        paint_cells: true,
        n: 2,
        analytic: &[1.0; 3],
        empirical: &[1.0; 4],
        width: 1,
        seed: 0,
        symbol: "Θ",
    };
    let r = to_svg_string(400, 300, |a| {
        draw_kernel_heatmaps(a, &h, &style).map(|_| ())
    });
    assert!(matches!(r, Err(PlotError::LengthMismatch(_))));
}

#[test]
fn numbers_have_three_significant_digits() {
    assert_eq!(fmt3(std::f64::consts::SQRT_2), "1.41");
    assert_eq!(fmt3(0.000316227), "3.16e-4");
    assert_eq!(fmt3(0.00316227), "0.00316");
    assert_eq!(fmt3(123.456), "123");
    assert_eq!(fmt3(2.0), "2");
    assert_eq!(fmt3(-0.5), "-0.5");
}

/// A convergence-like chart: two lines with error bars, a dashed reference.
fn convergence_series() -> Vec<Series> {
    let m = vec![64.0, 256.0, 1024.0, 4096.0];
    let y: Vec<f64> = m.iter().map(|w: &f64| 3.0 / w.sqrt()).collect();
    let y2: Vec<f64> = y.iter().map(|v| 1.5 * v).collect();
    vec![
        Series::new(
            "gaussian: slope −0.50 ± 0.01",
            m.clone(),
            y.clone(),
            ntk_plots::palette::BLUE,
        )
        .errors(y.iter().map(|v| 0.1 * v).collect()),
        Series::new(
            "laplace: slope −0.50 ± 0.01",
            m.clone(),
            y2,
            ntk_plots::palette::VERMILLION,
        )
        .errors(vec![0.0; 4]),
        Series::new("1/√m reference", m, y, ntk_plots::palette::ANALYTIC).stroke(Stroke::Dashed),
    ]
}

#[test]
fn line_chart_has_title_axes_legend_decade_ticks_error_bars_and_a_note() {
    let series = convergence_series();
    let plot = LinesPlot {
        title: "Empirical NTK against its limit",
        x_label: "width m",
        y_label: "‖Θ̂ − Θ‖_F / ‖Θ‖_F",
        log_x: true,
        log_y: true,
        series: &series,
        note: Some("fitted slope −0.50"),
    };
    let mut mapping = None;
    let svg = to_svg_string(900, 450, |a| {
        mapping = Some(draw_lines(a, &plot, &PlotStyle::default())?);
        Ok(())
    })
    .unwrap();
    let t = texts(&svg);
    for want in [
        "Empirical NTK against its limit",
        "width m",
        "‖Θ̂ − Θ‖_F / ‖Θ‖_F",
        "gaussian: slope −0.50 ± 0.01",
        "laplace: slope −0.50 ± 0.01",
        "1/√m reference",
        "fitted slope −0.50",
        // Less than two decades: ticks at 1, 2, 5 × 10ᵏ.
        "100",
        "200",
        "1000",
        "0.1",
    ] {
        assert!(t.contains(&want.to_string()), "missing {want:?} in {t:?}");
    }
    // Log axes never show raw floats such as 0.000316.
    assert!(t.iter().all(|s| !s.starts_with("0.000")), "{t:?}");
    // The first series' error bars: one vertical bar and two caps per point, in the
    // series' colour (Okabe–Ito blue #0072B2), inside the plotting area.
    let m = mapping.unwrap();
    let blue_paths: Vec<&str> = svg
        .split("<polyline")
        .skip(1)
        .filter(|p| p.contains("#0072B2"))
        .collect();
    // The legend's swatch lies beside the plotting area, not over it: the one blue
    // line wholly to the right of the data.
    let xs = |p: &str| -> Vec<f64> {
        let pts = p
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        pts.split_whitespace()
            .map(|xy| xy.split_once(',').unwrap().0.parse().unwrap())
            .collect()
    };
    let (swatches, blue_paths): (Vec<&str>, Vec<&str>) = blue_paths
        .into_iter()
        .partition(|p| xs(p).iter().all(|&x| x > m.px_x.1 as f64 + 6.0));
    assert_eq!(swatches.len(), 1, "one legend swatch beside the data");
    assert!(blue_paths.len() > 4 * 3, "{}", blue_paths.len());
    for p in &blue_paths {
        let pts = p
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        for xy in pts.split_whitespace() {
            let (x, y) = xy.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!(
                x >= m.px_x.0 as f64 - 6.0 && x <= m.px_x.1 as f64 + 6.0,
                "x {x} outside {:?}",
                m.px_x
            );
            assert!(
                y >= m.px_y.0 as f64 - 6.0 && y <= m.px_y.1 as f64 + 6.0,
                "y {y}"
            );
        }
    }
    assert!(svg.contains("stroke-dasharray") || polylines_with(&svg, "#000000") > 1);
    // The mapping reads log10 coordinates back as data: the left edge is below 64.
    let (x, _) = m
        .to_data(m.px_x.0 as f64 + 1.0, m.px_y.0 as f64 + 1.0)
        .unwrap();
    assert!(x > 40.0 && x < 64.0, "{x}");
}

#[test]
fn line_chart_rows_give_one_mapping_per_chart_and_reject_bad_series() {
    let series = convergence_series();
    let a = LinesPlot {
        title: "left",
        x_label: "t",
        y_label: "loss",
        log_x: false,
        log_y: false,
        series: &series,
        note: None,
    };
    let b = LinesPlot {
        title: "right",
        ..a.clone()
    };
    let mut maps = Vec::new();
    let svg = to_svg_string(1000, 400, |area| {
        maps = draw_lines_row(area, &[a.clone(), b.clone()], &PlotStyle::default())?;
        Ok(())
    })
    .unwrap();
    assert_eq!(maps.len(), 2);
    assert!(maps[0].px_x.1 <= maps[1].px_x.0, "{maps:?}");
    let t = texts(&svg);
    assert!(has(&t, "left") && has(&t, "right"));
    // NaN, mismatched lengths, nothing positive on a log axis: errors, no panic.
    let nan = [Series::new(
        "x",
        vec![1.0],
        vec![f64::NAN],
        ntk_plots::palette::BLUE,
    )];
    let bad = [Series::new(
        "x",
        vec![1.0, 2.0],
        vec![1.0],
        ntk_plots::palette::BLUE,
    )];
    let neg = [Series::new(
        "x",
        vec![1.0, 2.0],
        vec![-1.0, 0.0],
        ntk_plots::palette::BLUE,
    )];
    for (series, want) in [
        (&nan[..], "non-finite"),
        (&bad[..], "lengths"),
        (&neg[..], "nothing to draw"),
    ] {
        let p = LinesPlot {
            series,
            log_y: true,
            ..a.clone()
        };
        let e = to_svg_string(400, 300, |area| {
            draw_lines(area, &p, &PlotStyle::default()).map(|_| ())
        })
        .unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }
}

#[test]
fn a_log_axis_shows_at_most_nine_decades_below_the_top() {
    // Exact dynamics reach round-off (1e-32): the axis stops 9 decades down, so the
    // other curves keep their room.
    let t: Vec<f64> = (0..10).map(f64::from).collect();
    let series = [
        Series::new(
            "net",
            t.clone(),
            t.iter().map(|v| 10f64.powf(-v / 3.0)).collect(),
            ntk_plots::palette::BLUE,
        ),
        Series::new(
            "kernel",
            t.clone(),
            t.iter().map(|v| 10f64.powf(-4.0 * v)).collect(),
            ntk_plots::palette::ANALYTIC,
        ),
    ];
    let p = LinesPlot {
        title: "loss",
        x_label: "t",
        y_label: "loss",
        log_x: false,
        log_y: true,
        series: &series,
        note: None,
    };
    let mut m = None;
    let svg = to_svg_string(600, 400, |a| {
        m = Some(draw_lines(a, &p, &PlotStyle::default())?);
        Ok(())
    })
    .unwrap();
    let m = m.unwrap();
    assert!(m.y.0 >= -9.0 - 1.0 && m.y.0 < -3.0, "{:?}", m.y);
    // Several decades: superscript decade ticks.
    let t = texts(&svg);
    assert!(
        t.contains(&"10⁻⁴".to_string()) && t.contains(&"10⁰".to_string()),
        "{t:?}"
    );
}

#[test]
fn heatmap_cells_can_be_left_to_the_caller_with_the_same_colours() {
    let n = 6;
    let a: Vec<f64> = (0..n * n).map(|k| (k % n) as f64).collect();
    let e: Vec<f64> = a.iter().map(|v| v + 0.5).collect();
    let mut plot = HeatmapsPlot {
        other_seed: None,
        block: 1,
        max_cells: ntk_plots::MAX_CELLS,
        paint_cells: true,
        n,
        analytic: &a,
        empirical: &e,
        width: 8,
        seed: 0,
        symbol: "Θ",
    };
    let cells = ntk_plots::heatmap_colors(&plot).unwrap();
    // The shared kernel scale runs from min(a) = 0 to max(e) = 5.5; the difference is
    // +0.5 everywhere, the top of its ±0.5 scale.
    use ntk_plots::common::Ramp;
    assert_eq!(cells[0].side, 6);
    assert_eq!(cells[0].colors[0], Ramp::Kernel.at(0.0));
    assert_eq!(cells[1].colors[5], Ramp::Kernel.at(1.0));
    assert!(cells[2]
        .colors
        .iter()
        .all(|c| *c == Ramp::Diverging.at(1.0)));
    let rects = |plot: &HeatmapsPlot| {
        let svg = to_svg_string(900, 300, |area| {
            draw_kernel_heatmaps(area, plot, &PlotStyle::default()).map(|_| ())
        })
        .unwrap();
        svg.matches("<rect").count()
    };
    let with = rects(&plot);
    plot.paint_cells = false;
    assert_eq!(
        with - rects(&plot),
        3 * n * n,
        "only the cells are left out"
    );
    // Larger matrices are block means on at most max_cells per side.
    plot.max_cells = 4;
    assert_eq!(ntk_plots::heatmap_colors(&plot).unwrap()[0].side, 4);
}

/// A legend swatch is drawn with its series' own dash pattern: a solid line is one
/// path, a dashed or dotted one several short dashes.
#[test]
fn legend_swatches_carry_the_dash_pattern() {
    let count = |stroke: Stroke| {
        let series = [
            Series::new(
                "data",
                vec![1.0, 2.0],
                vec![1.0, 2.0],
                ntk_plots::palette::BLUE,
            )
            .stroke(Stroke::Solid),
            Series::new("key", vec![], vec![], ntk_plots::palette::ANALYTIC).stroke(stroke),
        ];
        let plot = LinesPlot {
            title: "t",
            x_label: "x",
            y_label: "y",
            log_x: false,
            log_y: false,
            series: &series,
            note: None,
        };
        let svg = to_svg_string(600, 400, |a| {
            draw_lines(a, &plot, &PlotStyle::default()).map(|_| ())
        })
        .unwrap();
        polylines_with(&svg, "stroke=\"#000000\"")
    };
    assert_eq!(count(Stroke::Line), 1);
    assert!(count(Stroke::Dashed) >= 2, "{}", count(Stroke::Dashed));
    assert!(count(Stroke::Dotted) > count(Stroke::Dashed));
}

/// A short index axis (4 inputs) has whole-number ticks, each once (not "0 1 1 2 2 3").
#[test]
fn short_index_axes_have_distinct_whole_ticks() {
    let x = vec![0.0, 1.0, 2.0, 3.0];
    let v = vec![vec![0.5, 0.5, 0.5, 0.5], vec![0.7, 0.1, -0.1, -0.7]];
    let labels = vec!["v1".to_string(), "v2".to_string()];
    let plot = EigenvectorPlot {
        x: &x,
        angle: false,
        vectors: &v,
        labels: &labels,
    };
    let svg = to_svg_string(900, 500, |a| {
        draw_eigenvectors(a, &plot, &PlotStyle::default()).map(|_| ())
    })
    .unwrap();
    let t = texts(&svg);
    // The y axis has its own "0" and "1"; the x axis must read 0, 1, 2, 3 once each.
    let count = |w: &str| t.iter().filter(|s| s.as_str() == w).count();
    assert_eq!((count("2"), count("3")), (1, 1), "{t:?}");
    assert!(
        t.windows(4).any(|w| w == ["0", "1", "2", "3"]),
        "x ticks not 0 1 2 3: {t:?}"
    );
}

/// On a phone-wide canvas the title shrinks (and is cut with "…" if it must) instead of
/// running off both edges; on a wide one it keeps its 15 px.
#[test]
fn titles_fit_a_narrow_canvas() {
    let (gamma, analytic) = closed_form(41);
    let plot = CircleWidthsPlot {
        note: "",
        gamma: &gamma,
        analytic: Some(&analytic),
        widths: &[],
        trained: &[],
        trained_steps: 0,
        seeds: 1,
        kernel: "NTK Θ",
        network: "analytic vs finite widths",
        summary: true,
        circle: UNIT_CIRCLE,
    };
    let title = "NTK Θ on the unit circle — analytic vs finite widths";
    let size_of = |width: u32| {
        let svg = to_svg_string(width, 300, |a| {
            draw_circle_widths(a, &plot, &PlotStyle::default()).map(|_| ())
        })
        .unwrap();
        let at = svg.find("on the unit circle").expect("a title");
        let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
        let size: f64 = tag
            .split("font-size=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let text = texts(&svg)
            .into_iter()
            .find(|t| t.contains("on the unit circle"))
            .unwrap();
        (size, text)
    };
    // (The SVG's font-size attribute is plotters' size over its 1.24 line factor;
    // only the ratio of the two sizes matters here.)
    let (wide, full) = size_of(1200);
    assert_eq!(full, title);
    let (narrow, text) = size_of(330);
    let px = 15.0 * narrow / wide;
    assert!((10.0 - 1e-9..15.0).contains(&px), "{px}");
    // A sans-serif glyph is at least 0.4 em wide on average: the text must fit 330 px.
    assert!(
        0.4 * px * text.chars().count() as f64 <= 330.0,
        "{px} {text}"
    );
}

fn data_svg(plot: &ntk_plots::DataPlot<'_>) -> Result<String, PlotError> {
    to_svg_string(400, 300, |a| {
        ntk_plots::draw_data(a, plot, &PlotStyle::default()).map(|_| ())
    })
}

#[test]
fn the_data_picture_colours_each_input_by_its_target() {
    // Four inputs on the circle with targets −1, 0, 0, +1: the two extremes get the
    // diverging map's ends (Okabe–Ito blue #0072B2 and vermillion #D55E00).
    let x1 = [1.0, 0.0, -1.0, 0.0];
    let x2 = [0.0, 1.0, 0.0, -1.0];
    let y = [-1.0, 0.0, 0.0, 1.0];
    let plot = ntk_plots::DataPlot {
        title: "The data",
        x1: &x1,
        x2: &x2,
        y: &y,
        d: 5,
    };
    let svg = data_svg(&plot).unwrap();
    assert!(svg.contains("#0072B2") && svg.contains("#D55E00"), "{svg}");
    let t = texts(&svg);
    assert!(has(&t, "the first 2 of d = 5 coordinates"), "{t:?}");
    assert!(has(&t, "4 inputs"), "{t:?}");
    // Mismatched lengths are an error, not a panic.
    let bad = ntk_plots::DataPlot { y: &y[..3], ..plot };
    assert!(data_svg(&bad).is_err());
}

#[test]
fn the_data_picture_draws_inputs_without_targets() {
    // A tab without a target: the inputs in one colour, in 2-D and on a line in 1-D.
    let x1 = [1.0, 0.0, -1.0];
    let x2 = [0.0, 1.0, 0.0];
    for x2 in [&x2[..], &[]] {
        let plot = ntk_plots::DataPlot {
            title: "The inputs",
            x1: &x1,
            x2,
            y: &[],
            d: if x2.is_empty() { 1 } else { 2 },
        };
        let svg = data_svg(&plot).unwrap();
        assert!(!svg.contains("#D55E00"), "no target colours");
        assert!(has(&texts(&svg), "3 inputs"));
    }
}
