//! The experiment panels: convergence with width, training beside the kernel
//! dynamics, spectral bias, generalization. Each plot is built as [`Chart`]s (owned
//! line-chart data) from the newest result part; the same charts give the canvas, the
//! pointer read-out and the CSV download.

use std::sync::Arc;

use leptos::prelude::*;
use ntk_core::empirical::fit_log_log;
use ntk_plots::common::{sequential, warm};
use ntk_plots::palette;
use ntk_plots::{draw_lines_row, fmt3, LegendPosition, LinesPlot, Series, Stroke};

use crate::canvas::draw_on_canvas;
use crate::protocol::Part;
use crate::ui::app::Results;
use crate::ui::panels::{CsvFn, DrawFn, PlotCanvas, ReadoutFn};

/// Colours for unordered series (distributions, modes), Okabe–Ito.
const CYCLE: [plotters::style::RGBColor; 6] = [
    palette::BLUE,
    palette::VERMILLION,
    palette::GREEN,
    palette::PURPLE,
    palette::ORANGE,
    palette::SKY_BLUE,
];

/// One line chart, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
    pub legend: LegendPosition,
    pub note: Option<String>,
    /// Room above the data for the legend, as a fraction of the y span.
    pub headroom: f64,
}

impl Chart {
    fn new(title: impl Into<String>, x_label: &str, y_label: &str) -> Self {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
            legend: LegendPosition::UpperRight,
            note: None,
            headroom: 0.0,
        }
    }

    /// Leave room above the data for a legend at the top.
    fn room(mut self, fraction: f64) -> Self {
        self.headroom = fraction;
        self
    }

    fn log(mut self, x: bool, y: bool) -> Self {
        self.log_x = x;
        self.log_y = y;
        self
    }

    fn legend(mut self, position: LegendPosition) -> Self {
        self.legend = position;
        self
    }

    fn plot(&self) -> LinesPlot<'_> {
        LinesPlot {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
            log_x: self.log_x,
            log_y: self.log_y,
            series: &self.series,
            legend: self.legend.clone(),
            note: self.note.as_deref(),
            headroom: self.headroom,
        }
    }
}

/// The charts of one canvas, from the results, with the generation they show.
type ChartsFn = Arc<dyn Fn(&Results) -> Option<(u64, Vec<Chart>)> + Send + Sync>;

/// The CSV of charts: one row per point, `chart,series,x,y,error`.
pub fn charts_csv(charts: &[Chart]) -> String {
    let mut s = String::from("chart,series,x,y,error\n");
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    for c in charts {
        for series in &c.series {
            for i in 0..series.x.len() {
                let err = series
                    .err
                    .as_ref()
                    .map_or(String::new(), |e| format!("{}", e[i]));
                s.push_str(&format!(
                    "{},{},{},{},{err}\n",
                    quote(&c.title),
                    quote(&series.label),
                    series.x[i],
                    series.y[i]
                ));
            }
        }
    }
    s
}

/// A canvas of side-by-side line charts with read-out and CSV.
#[component]
fn ChartCanvas(
    id: &'static str,
    label: &'static str,
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    charts: ChartsFn,
    aspect: &'static str,
) -> impl IntoView {
    // The charts are built once per change of the results (or of a view-only signal
    // they read), not per redraw or pointer move.
    let built = Memo::new(move |_| results.with(|r| charts(r)));
    let draw: DrawFn = Arc::new(move |canvas| {
        built.with(|b| {
            let Some((generation, charts)) = b else {
                return Ok(None);
            };
            let plots: Vec<LinesPlot> = charts.iter().map(Chart::plot).collect();
            draw_on_canvas(canvas, |area, style| draw_lines_row(area, &plots, style))
                .map(|(m, s)| Some((*generation, m, s)))
                .map_err(|e| e.to_string())
        })
    });
    let readout: ReadoutFn = Arc::new(move |i, x, y| {
        built.with_untracked(|b| {
            let chart = b.as_ref()?.1.get(i)?;
            Some(format!(
                "{}: {} = {}, {} = {}",
                chart.title,
                chart.x_label,
                fmt3(x),
                chart.y_label,
                fmt3(y)
            ))
        })
    });
    let csv: CsvFn =
        Arc::new(move || built.with_untracked(|b| b.as_ref().map(|(_, c)| charts_csv(c))));
    view! { <PlotCanvas id=id label=label busy=busy draw=draw readout=readout csv=csv aspect=aspect /> }
}

/// Light (narrow) to dark (wide) colours for `count` widths.
fn width_color(i: usize, count: usize) -> plotters::style::RGBColor {
    sequential(if count > 1 {
        0.3 + 0.7 * i as f64 / (count - 1) as f64
    } else {
        0.8
    })
}

/// The convergence charts: distance against width, one line per distribution with
/// error bars over seeds and the fitted slope, and a 1/√m reference.
pub fn convergence_charts(part: &Part, max_entry: bool, log: bool) -> Option<Vec<Chart>> {
    let Part::Convergence { lines, seeds, n, d } = part else {
        return None;
    };
    let y_label = if max_entry {
        "max |Θ̂ − Θ| (largest entry)"
    } else {
        "‖Θ̂ − Θ‖_F / ‖Θ‖_F"
    };
    let mut chart = Chart::new(
        format!("Empirical NTK against its infinite-width limit: n = {n} inputs in d = {d}, {seeds} seeds per width"),
        "width m",
        y_label,
    )
    .log(log, log)
    .legend(LegendPosition::LowerLeft);
    for (i, line) in lines.iter().enumerate() {
        let x: Vec<f64> = line.points.iter().map(|p| p.width as f64).collect();
        let (y, err): (Vec<f64>, Vec<f64>) = line
            .points
            .iter()
            .map(|p| {
                if max_entry {
                    (p.max_entry_mean, p.max_entry_std)
                } else {
                    (p.rel_frobenius_mean, p.rel_frobenius_std)
                }
            })
            .unzip();
        let label = match fit_log_log(&x, &y) {
            Ok(f) => format!(
                "{}: slope {:.2} ± {:.2}",
                line.label, f.slope, f.slope_std_error
            ),
            Err(_) => line.label.clone(),
        };
        chart
            .series
            .push(Series::new(label, x, y, CYCLE[i % CYCLE.len()]).errors(err));
    }
    // The reference through the first line's narrowest point.
    if let Some(first) = chart.series.first() {
        let (m0, y0) = (first.x[0], first.y[0]);
        let x = first.x.clone();
        let y = x.iter().map(|m| y0 * (m0 / m).sqrt()).collect();
        chart.series.push(
            Series::new("1/√m reference (slope −1/2)", x, y, palette::ANALYTIC)
                .stroke(Stroke::Dashed),
        );
    }
    Some(vec![chart])
}

/// The convergence panel.
#[component]
pub fn ConvergencePanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    #[prop(into)] max_entry: Signal<bool>,
) -> impl IntoView {
    let charts: ChartsFn = Arc::new(move |r: &Results| {
        let (generation, part) = r.get("convergence")?;
        convergence_charts(part, max_entry.get(), log.get()).map(|c| (*generation, c))
    });
    view! {
        <section class="panel" id="convergence-panel" aria-labelledby="convergence-title">
            <header class="panel-head">
                <h2 id="convergence-title">"Convergence: the empirical NTK approaches its limit as 1/√width"</h2>
                <p class="what">
                    "The distance between the NTK of random finite networks and the infinite-width NTK on the same inputs, against the width, log-log: mean over seeds with ± one standard deviation, the fitted slope for each input distribution (Gaussian, sub-Gaussian, sub-exponential, heavy-tailed), and a 1/√m reference. For a fixed input pair the fluctuations of the empirical NTK are of order 1/√m (Hanin & Nica 2019, arXiv:1909.05989; Jacot et al. 2018, arXiv:1806.07572, for the limit itself); Arora et al. 2019 (arXiv:1904.11955) prove a high-probability bound that is polynomial in 1/ε, not this rate. The distribution of the inputs moves the prefactor."
                </p>
            </header>
            <div class="panel-plots">
                <ChartCanvas id="convergence-plot" label="Distance of the empirical NTK to the analytic NTK against the width, per input distribution" results=results busy=busy charts=charts aspect="2 / 1" />
            </div>
        </section>
    }
}

/// The training charts: (train loss, test loss) and (NTK drift, learned function).
pub fn training_charts(part: &Part, log: bool) -> Option<(Vec<Chart>, Vec<Chart>)> {
    let Part::Training {
        steps,
        times,
        learning_rate,
        kernel_train,
        kernel_test,
        runs,
        x,
        x_label,
        target,
        snapshots,
        snapshot_width,
        ..
    } = part
    else {
        return None;
    };
    let eta = fmt3(*learning_rate);
    let mut train = Chart::new(
        format!("Training loss, η = {eta}"),
        "time t = η · steps",
        "loss (1/2N)‖f − y‖²",
    )
    .log(false, log);
    let mut test = Chart::new(
        "Test loss".to_string(),
        "time t = η · steps",
        "test loss (1/2N)‖f − y‖²",
    )
    .log(false, log);
    let mut drift = Chart::new(
        "NTK drift during training".to_string(),
        "time t = η · steps",
        "‖Θ̂_t − Θ̂₀‖_F / ‖Θ̂₀‖_F",
    )
    .log(false, log)
    .room(0.6);
    let count = runs.len();
    for (i, run) in runs.iter().enumerate() {
        if run.warning.is_some() {
            continue;
        }
        let color = width_color(i, count);
        let label = format!("width m = {}", run.width);
        // How far the net is from its own linearisation at the last step.
        let gap_label = match run.linear_gap.last() {
            Some(g) => format!("{label} (gap to its linearisation: {} %)", fmt3(100.0 * g)),
            None => label.clone(),
        };
        // The net (solid) and its own linearisation (dotted), in each loss chart.
        for (chart, net, linear) in [
            (&mut train, &run.train_loss, &run.linear_train_loss),
            (&mut test, &run.test_loss, &run.linear_test_loss),
        ] {
            chart.series.push(Series::new(
                gap_label.clone(),
                times.clone(),
                net.clone(),
                color,
            ));
            if !linear.is_empty() {
                chart.series.push(
                    Series::new(String::new(), times.clone(), linear.clone(), color)
                        .stroke(Stroke::Dotted),
                );
            }
        }
        // t = 0 has no drift: on a log axis it is left out.
        drift
            .series
            .push(Series::new(label, times.clone(), run.drift.clone(), color));
    }
    if !kernel_train.is_empty() {
        let label = "infinite width: expected loss (mean + variance over initialisations)";
        // On a log axis the exact kernel dynamics can fall to round-off; below a
        // hundredth of the nets' smallest loss it would only squash their curves.
        let clip = |chart: &Chart, kernel: &[f64]| -> Series {
            let lowest = chart
                .series
                .iter()
                .flat_map(|s| s.y.iter().copied())
                .filter(|v| *v > 0.0)
                .fold(f64::INFINITY, f64::min);
            let floor = if log && lowest.is_finite() {
                lowest / 100.0
            } else {
                f64::NEG_INFINITY
            };
            let keep: Vec<usize> = (0..kernel.len()).filter(|&k| kernel[k] >= floor).collect();
            Series::new(
                label,
                keep.iter().map(|&k| times[k]).collect(),
                keep.iter().map(|&k| kernel[k]).collect(),
                palette::ANALYTIC,
            )
            .stroke(Stroke::Dashed)
        };
        let (a, b) = (clip(&train, kernel_train), clip(&test, kernel_test));
        train.series.push(a);
        test.series.push(b);
    }
    if runs.iter().any(|r| !r.linear_train_loss.is_empty()) {
        for c in [&mut train, &mut test] {
            c.series.push(
                Series::new(
                    "each net's linearisation (dotted, same colour)",
                    vec![],
                    vec![],
                    palette::TEXT,
                )
                .stroke(Stroke::Dotted),
            );
        }
    }
    train.headroom = 0.35;
    test.headroom = 0.35;
    let mut function = Chart::new(
        match snapshot_width {
            Some(m) => format!("The learned function, net of width {m}"),
            None => "The learned function: the infinite-width mean".into(),
        },
        x_label,
        "f(x)",
    )
    .room(0.55);
    function.series.push(
        Series::new("target y(x)", x.clone(), target.clone(), palette::TEXT).stroke(Stroke::Line),
    );
    let k = snapshots.len();
    for (i, s) in snapshots.iter().enumerate() {
        let color = warm(if k > 1 {
            0.2 + 0.8 * i as f64 / (k - 1) as f64
        } else {
            0.8
        });
        let t = fmt3(*learning_rate * s.step as f64);
        let label = format!("step {} (t = {t})", s.step);
        if !s.net.is_empty() {
            function.series.push(
                Series::new(label.clone(), x.clone(), s.net.clone(), color).stroke(Stroke::Line),
            );
        }
        if !s.linear.is_empty() {
            function.series.push(
                Series::new(String::new(), x.clone(), s.linear.clone(), color)
                    .stroke(Stroke::Dotted),
            );
        }
        if !s.kernel.is_empty() {
            let kernel_label = if s.net.is_empty() {
                label
            } else {
                String::new()
            };
            function.series.push(
                Series::new(kernel_label, x.clone(), s.kernel.clone(), color)
                    .stroke(Stroke::Dashed),
            );
        }
    }
    // Which line is which: one legend entry per stroke, colours are the steps.
    for (label, stroke) in [
        ("the net (solid)", Stroke::Line),
        ("its linearisation (dotted)", Stroke::Dotted),
        ("infinite-width mean (dashed)", Stroke::Dashed),
    ] {
        if stroke != Stroke::Dotted || snapshots.iter().any(|s| !s.linear.is_empty()) {
            function
                .series
                .push(Series::new(label, vec![], vec![], palette::TEXT).stroke(stroke));
        }
    }
    let _ = steps;
    Some((vec![train, test], vec![drift, function]))
}

/// The warnings of a training result: learning rates above the critical ones.
pub fn training_warnings(part: &Part) -> Vec<String> {
    let Part::Training {
        runs,
        kernel_train,
        critical,
        learning_rate,
        ..
    } = part
    else {
        return Vec::new();
    };
    let mut w = Vec::new();
    if kernel_train.is_empty() {
        w.push(format!(
            "The learning rate η = {} is above the critical learning rate 2N/λ_max(Θ) = {} of the infinite-width kernel: gradient descent diverges. Set η below {}.",
            fmt3(*learning_rate),
            critical.map_or("∞".into(), fmt3),
            critical.map_or("∞".into(), fmt3)
        ));
    }
    w.extend(runs.iter().filter_map(|r| r.warning.clone()));
    w
}

/// The spectral-bias chart: residual per mode against time, theory dashed.
pub fn modes_chart(part: &Part, log: bool) -> Option<Vec<Chart>> {
    let Part::Modes {
        times,
        modes,
        width,
        circle,
    } = part
    else {
        return None;
    };
    let what = if *circle { "frequency" } else { "eigenmode" };
    let mut chart = Chart::new(
        format!("Residual per {what}: net of width {width} (solid) against its linearisation (I − ηΘ̂₀/N)^s r₀ (dashed)"),
        "time t = η · steps",
        "|residual component| / its value at t = 0",
    )
    .log(false, log)
    .room(0.45);
    // The theory falls geometrically for ever; below a tenth of the smallest measured
    // value it would only squash the measurements into the top of a log axis.
    let floor = modes
        .iter()
        .flat_map(|m| m.measured.iter().copied())
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min)
        .min(1e-2)
        / 10.0;
    for (i, m) in modes.iter().enumerate() {
        let color = CYCLE[i % CYCLE.len()];
        let keep: Vec<usize> = (0..m.theory.len())
            .filter(|&k| !log || m.theory[k] >= floor)
            .collect();
        chart.series.push(Series::new(
            format!("{} measured", m.label),
            times.clone(),
            m.measured.clone(),
            color,
        ));
        chart.series.push(
            Series::new(
                String::new(),
                keep.iter().map(|&k| times[k]).collect(),
                keep.iter().map(|&k| m.theory[k]).collect(),
                color,
            )
            .stroke(Stroke::Dashed),
        );
    }
    chart.series.push(
        Series::new(
            "theory: this net's linearisation (dashed, same colour)",
            vec![],
            vec![],
            palette::TEXT,
        )
        .stroke(Stroke::Dashed),
    );
    Some(vec![chart])
}

/// The training panel and, below it, the spectral-bias panel (one job computes both).
#[component]
pub fn TrainingPanels(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
) -> impl IntoView {
    let losses: ChartsFn = Arc::new(move |r: &Results| {
        let (g, part) = r.get("training")?;
        training_charts(part, log.get()).map(|(a, _)| (*g, a))
    });
    let drift: ChartsFn = Arc::new(move |r: &Results| {
        let (g, part) = r.get("training")?;
        training_charts(part, log.get()).map(|(_, b)| (*g, b))
    });
    let modes: ChartsFn = Arc::new(move |r: &Results| {
        let (g, part) = r.get("modes")?;
        modes_chart(part, log.get()).map(|c| (*g, c))
    });
    let warnings = move || {
        results.with(|r| {
            r.get("training")
                .map(|(_, p)| training_warnings(p))
                .unwrap_or_default()
        })
    };
    let critical = move || {
        results.with(|r| match r.get("training") {
            Some((_, Part::Training { critical, runs, .. })) => {
                let show = |c: &Option<f64>| c.map_or("none (the kernel is zero)".into(), fmt3);
                let mut s = format!(
                    "Critical learning rate 2N/λ_max: {} for the infinite-width kernel",
                    show(critical)
                );
                for run in runs {
                    s.push_str(&format!("; {} at width {}", show(&run.critical), run.width));
                }
                s.push('.');
                s
            }
            _ => String::new(),
        })
    };
    view! {
        <section class="panel" id="training-panel" aria-labelledby="training-title">
            <header class="panel-head">
                <h2 id="training-title">"Training: finite networks against their linearisations and the infinite-width ensemble"</h2>
                <p class="what">
                    "Real networks of each width trained by full-batch gradient descent (one initialisation per width, solid), each beside its own linearisation: the same f₀ and empirical NTK Θ̂₀, trained as a linear model (dotted; Lee et al. 2019, arXiv:1902.06720, Fig. 1). Wider networks stay closer to their linearisation (the gap in the legend) and their NTK moves less (lazy training). Dashed black: the expected loss of infinitely wide networks over random initialisations, mean and variance (f₀ ~ GP(0, K); neural-tangents' compute_cov=True): each single net scatters around it, by an amount that does not shrink with the width. Time axis t = η·steps."
                </p>
            </header>
            <div class="warnings" role="alert">
                {move || warnings().into_iter().map(|w| view! { <p class="warning">{w}</p> }).collect::<Vec<_>>()}
            </div>
            <p class="critical">{critical}</p>
            <div class="panel-plots">
                <ChartCanvas id="loss-plot" label="Training and test loss against time for each width and the kernel dynamics" results=results busy=busy charts=losses aspect="2.4 / 1" />
                <ChartCanvas id="drift-plot" label="NTK drift against time, and the learned function at the snapshot steps" results=results busy=busy charts=drift aspect="2.4 / 1" />
            </div>
        </section>
        <section class="panel" id="bias-panel" aria-labelledby="bias-title">
            <header class="panel-head">
                <h2 id="bias-title">"Spectral bias: large-eigenvalue modes are learned first"</h2>
                <p class="what">
                    "The training residual f − y of the widest network, projected on the eigenvectors of the infinite-width NTK Gram matrix (on the circle: grouped by Fourier frequency), for the modes that carry most of the target. Theory for this net (dashed): its linearisation's residual (I − ηΘ̂₀/N)^s (f₀ − y), projected the same way. At infinite width each mode decays like (1 − ηλ/N)^s ≈ e^(−λt/N) (λ/N in the legend), so low frequencies go first; a finite net's Θ̂₀ mixes the modes slightly, which is why even its linearisation's fast modes level off instead of vanishing. Where the measured residual leaves its dashed line, the net is no longer linear: its NTK has moved during training (the drift plot above), and that gap shrinks like 1/√width (Rahaman et al. 2019, arXiv:1806.08734; Basri et al. 2019, arXiv:1906.00425; Arora et al. 2019, arXiv:1901.08584)."
                </p>
            </header>
            <div class="panel-plots">
                <ChartCanvas id="modes-plot" label="Residual per eigenmode or frequency against time, measured and theory" results=results busy=busy charts=modes aspect="2.2 / 1" />
            </div>
        </section>
    }
}

/// The generalization charts: (bound, learning curve) and (sensitivity vs n, vs d).
pub fn generalization_charts(r: &Results, log: bool) -> (Vec<Chart>, Vec<Chart>) {
    let mut first = Vec::new();
    if let Some((_, Part::Bound { points })) = r.get("bound") {
        let n: Vec<f64> = points.iter().map(|p| p.n as f64).collect();
        let mut c = Chart::new(
            "Arora et al. 2019 bound √(2 yᵀ(H^∞)⁻¹y / n)",
            "training points n",
            "bound",
        )
        .log(log, log)
        .room(0.5);
        c.series.push(Series::new(
            "target of the sidebar",
            n.clone(),
            points.iter().map(|p| p.true_labels).collect(),
            palette::BLUE,
        ));
        c.series.push(Series::new(
            "random ±1 labels (same size)",
            n,
            points.iter().map(|p| p.random_labels).collect(),
            palette::VERMILLION,
        ));
        // A bound far above the labels' scale means H^∞ is near-singular on these
        // inputs, e.g. on the circle, where the two-layer ReLU NTK has no odd
        // frequencies ≥ 3 (Basri et al. 2019).
        // When the Cholesky solve needed a regularisation ε, H^∞ is singular at working
        // precision and the bound at that n depends on ε: say so, with the first such n.
        if let Some(p) = points.iter().find(|p| p.jitter > 0.0) {
            c.note = Some(format!(
                "H^∞ is singular from n = {} on: there the bound depends on the regularisation ε = {} added to it",
                p.n,
                fmt3(p.jitter)
            ));
        } else if points
            .iter()
            .any(|p| p.random_labels > 1e3 || p.true_labels > 1e3)
        {
            c.note = Some("H^∞ is near-singular on these inputs: the bound is vacuous here".into());
        }
        first.push(c);
    }
    if let Some((_, Part::LearningCurve { n, mse })) = r.get("learning") {
        let x: Vec<f64> = n.iter().map(|&v| v as f64).collect();
        let mut c = Chart::new(
            "Learning curve of NTK regression",
            "training points n",
            "test mean squared error",
        )
        .log(log, log)
        .room(0.5);
        c.series.push(Series::new(
            "test error",
            x.clone(),
            mse.clone(),
            palette::BLUE,
        ));
        if let Ok(f) = fit_log_log(&x, mse) {
            let fitted = x
                .iter()
                .map(|v| (f.intercept + f.slope * v.ln()).exp())
                .collect();
            c.series.push(
                Series::new(
                    format!("fit ∝ n^({:.2} ± {:.2})", f.slope, f.slope_std_error),
                    x,
                    fitted,
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dashed),
            );
        }
        first.push(c);
    }
    let mut second = Vec::new();
    if let Some((
        _,
        Part::Sensitivity {
            n,
            by_n,
            at_d,
            d,
            by_d,
            at_n,
        },
    )) = r.get("sensitivity")
    {
        let mut a = Chart::new(
            format!("Sensitivity against n (d = {at_d})"),
            "training points n",
            "sensitivity 𝔼|∇f(z)ᵀ(z − ẑ)|",
        )
        .log(log, log)
        .room(0.3);
        a.series.push(Series::new(
            "NTK regressor",
            n.iter().map(|&v| v as f64).collect(),
            by_n.clone(),
            palette::GREEN,
        ));
        let mut b = Chart::new(
            format!("Sensitivity against d (n = {at_n})"),
            "input dimension d",
            "sensitivity 𝔼|∇f(z)ᵀ(z − ẑ)|",
        )
        .log(log, log)
        .room(0.3);
        b.series.push(Series::new(
            "NTK regressor",
            d.iter().map(|&v| v as f64).collect(),
            by_d.clone(),
            palette::PURPLE,
        ));
        second.push(a);
        // A user's file has one dimension: no sweep over d.
        if !d.is_empty() {
            second.push(b);
        }
    }
    (first, second)
}

/// The generation shown by the generalization charts: the newest of their parts.
fn generalization_generation(r: &Results, keys: &[&str]) -> Option<u64> {
    keys.iter().filter_map(|k| r.get(k).map(|(g, _)| *g)).max()
}

/// The generalization panel.
#[component]
pub fn GeneralizationPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
) -> impl IntoView {
    let bound: ChartsFn = Arc::new(move |r: &Results| {
        let (c, _) = generalization_charts(r, log.get());
        (!c.is_empty()).then(|| {
            (
                generalization_generation(r, &["bound", "learning"]).unwrap_or(0),
                c,
            )
        })
    });
    let sens: ChartsFn = Arc::new(move |r: &Results| {
        let (_, c) = generalization_charts(r, log.get());
        (!c.is_empty()).then(|| {
            (
                generalization_generation(r, &["sensitivity"]).unwrap_or(0),
                c,
            )
        })
    });
    view! {
        <section class="panel" id="generalization-panel" aria-labelledby="generalization-title">
            <header class="panel-head">
                <h2 id="generalization-title">"Generalization: what the kernel predicts about test error"</h2>
                <p class="what">
                    "Left: the data-dependent bound of Arora et al. 2019 (arXiv:1901.08584) for two-layer ReLU networks on unit-norm inputs, for the sidebar's target and for random labels of the same size: a learnable target gives a bound that falls with n. Right: the test error of NTK regression (t = ∞) against n with its fitted rate. Below: the sensitivity of the NTK regressor, 𝔼|∇f(z)ᵀ(z − ẑ)| for test inputs z and independent draws ẑ, against n and d (after Bombari, Kiyani & Mondelli 2023, arXiv:2302.01629)."
                </p>
            </header>
            <div class="panel-plots">
                <ChartCanvas id="bound-plot" label="Arora et al. bound against n for true and random labels, and the learning curve" results=results busy=busy charts=bound aspect="2.4 / 1" />
                <ChartCanvas id="sensitivity-plot" label="Sensitivity of the NTK regressor against n and against d" results=results busy=busy charts=sens aspect="2.4 / 1" />
            </div>
        </section>
    }
}
