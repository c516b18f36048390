//! The training panel (finite nets beside their linearisations and the infinite-width
//! ensemble) and, below it, the spectral-bias panel: one job computes both.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::spectral_bias::{ModeLine, Modes};
use ntk_core::experiments::training::{Abscissa, Training};
use ntk_plots::common::Ramp;
use ntk_plots::{fmt3, palette, Series, Stroke};

use crate::protocol::Slot;
use crate::ui::figure::{charts, width_color, Chart, FigureCanvas, FigureFn, CYCLE};
use crate::ui::results::Results;

/// How the legend names a mode: its frequency on the circle, else its rank, with the
/// infinite-width rate λ/N.
pub fn mode_label(m: &ModeLine) -> String {
    match m.frequency {
        Some(f) => format!("frequency {f} (λ/N = {})", fmt3(m.lambda)),
        None => format!("mode {} (λ/N = {})", m.mode, fmt3(m.lambda)),
    }
}

/// The NTK drift at the end of training against the width, log-log, with its fitted
/// slope ± s.e. and, in the NTK parameterization, the theory's bound O(m^(−1/2))
/// through the narrowest width (Lee et al. 2019: an upper bound on the rate, so a
/// steeper measured slope agrees with it); `None` below 3 trained widths.
pub fn drift_width_chart(t: &Training) -> Option<Chart> {
    let d = t.drift_by_width.as_ref()?;
    let m: Vec<f64> = d.widths.iter().map(|&w| w as f64).collect();
    let mut chart = Chart::new(
        format!(
            "NTK drift after {} steps against the width",
            t.steps.last().copied().unwrap_or(0)
        ),
        "width m",
        "‖Θ̂_T − Θ̂₀‖_F / ‖Θ̂₀‖_F",
    )
    .log(true, true);
    chart.series.push(Series::new(
        format!(
            "measured: slope {} ± {}",
            fmt3(d.fit.slope),
            fmt3(d.fit.slope_std_error)
        ),
        m.clone(),
        d.drift.clone(),
        palette::BLUE,
    ));
    match d.theory_slope {
        Some(slope) => {
            let (m0, d0) = (m[0], d.drift[0]);
            chart.series.push(
                Series::new(
                    format!(
                        "theory: at most ∝ m^({}) (the bound of Lee et al. 2019), through the narrowest",
                        if slope == -0.5 { "−1/2".to_string() } else { fmt3(slope) }
                    ),
                    m.clone(),
                    m.iter().map(|&w| d0 * (w / m0).powf(slope)).collect(),
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dashed),
            );
        }
        None => {
            chart.note = Some(
                "No theory line: in the standard parameterization a fixed learning rate is not the same dynamics at every width."
                    .into(),
            )
        }
    }
    Some(chart)
}

/// The training charts: (train loss, test loss) and (NTK drift, learned function).
pub fn training_charts(t: &Training, log: bool) -> (Vec<Chart>, Vec<Chart>) {
    let Training {
        times,
        learning_rate,
        kernel_train,
        kernel_test,
        runs,
        x,
        abscissa,
        target,
        snapshots,
        snapshot_width,
        ..
    } = t;
    let x_label = match abscissa {
        Abscissa::Angle => "angle γ of the test input (rad)",
        Abscissa::Input => "test input x",
        Abscissa::Target => "target y(x) of the test input (sorted)",
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
    .log(false, log);
    let count = runs.len();
    for (i, run) in runs.iter().enumerate() {
        let color = width_color(i, count);
        // A run above its critical rate stops where it diverged: its curves are
        // shorter than the time axis.
        let times = times[..run.train_loss.len().min(times.len())].to_vec();
        let label = match (run.diverged, run.diverged_at) {
            (true, Some(s)) => format!(
                "width m = {} (above its critical η: diverged at step {s})",
                run.width
            ),
            (true, None) => format!("width m = {} (above its critical η)", run.width),
            (false, _) => format!("width m = {}", run.width),
        };
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
    let mut function = Chart::new(
        match snapshot_width {
            Some(m) => format!("The learned function, net of width {m}"),
            None => "The learned function: the infinite-width mean".into(),
        },
        x_label,
        "f(x)",
    );
    function.series.push(
        Series::new("target y(x)", x.clone(), target.clone(), palette::TEXT).stroke(Stroke::Line),
    );
    let k = snapshots.len();
    for (i, s) in snapshots.iter().enumerate() {
        let color = Ramp::Warm.at(if k > 1 {
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
    (vec![train, test], vec![drift, function])
}

/// The warnings of a training result: learning rates above the critical ones.
pub fn training_warnings(t: &Training) -> Vec<String> {
    let Training {
        runs,
        kernel_train,
        critical,
        learning_rate,
        ..
    } = t;
    let mut w = Vec::new();
    if kernel_train.is_empty() {
        w.push(format!(
            "The learning rate η = {} is above the critical learning rate 2N/λ_max(Θ) = {} of the infinite-width kernel: the kernel dynamics diverge, and are not drawn. The finite nets are trained anyway, so that you can watch: far above the critical rate the loss explodes (each run stops when its loss passes 10⁶ × its start); just above it a net may blow up and then settle in a flatter region (the catapult phase, Lewkowycz et al. 2020, arXiv:2003.02218). Below {} everything converges.",
            fmt3(*learning_rate),
            critical.map_or("∞".into(), fmt3),
            critical.map_or("∞".into(), fmt3)
        ));
    }
    w.extend(runs.iter().filter(|r| r.diverged).map(|r| {
        let what = match r.diverged_at {
            Some(s) => format!("its loss passed 10⁶ × its start at step {s}, where training stopped"),
            None => "it did not diverge in these steps (look for a catapult: the loss rises, then falls)".into(),
        };
        format!(
            "Width {}: η = {} is above this net's critical learning rate 2N/λ_max(Θ̂₀) = {}, so its linearisation diverges (not drawn); {what}.",
            r.width,
            fmt3(*learning_rate),
            r.critical.map_or("∞".into(), fmt3)
        )
    }));
    w
}

/// The spectral-bias chart: residual per mode against time, theory dashed.
pub fn modes_chart(m: &Modes, log: bool) -> Chart {
    let Modes {
        times,
        modes,
        width,
        circle,
    } = m;
    let what = if *circle { "frequency" } else { "eigenmode" };
    let mut chart = Chart::new(
        format!("Residual per {what}: net of width {width} (solid) against its linearisation (I − ηΘ̂₀/N)^s r₀ (dashed)"),
        "time t = η · steps",
        "|residual component| / its value at t = 0",
    )
    .log(false, log);
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
            format!("{} measured", mode_label(m)),
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
    chart
}

/// The training panel and, below it, the spectral-bias panel.
#[component]
pub fn TrainingPanels(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
) -> impl IntoView {
    let losses: FigureFn = Arc::new(move |r: &Results| {
        let (g, t) = r.training()?;
        charts(g, training_charts(t, log.get()).0)
    });
    let drift: FigureFn = Arc::new(move |r: &Results| {
        let (g, t) = r.training()?;
        charts(g, training_charts(t, log.get()).1)
    });
    let drift_width: FigureFn = Arc::new(move |r: &Results| {
        let (g, t) = r.training()?;
        charts(g, drift_width_chart(t).into_iter().collect())
    });
    let has_drift_width = move || {
        results.with(|r| {
            r.training()
                .is_some_and(|(_, t)| t.drift_by_width.is_some())
        })
    };
    let modes: FigureFn = Arc::new(move |r: &Results| {
        let (g, m) = r.modes()?;
        charts(g, vec![modes_chart(m, log.get())])
    });
    let warnings = move || {
        results.with(|r| {
            r.training()
                .map(|(_, t)| training_warnings(t))
                .unwrap_or_default()
        })
    };
    let critical = move || {
        results.with(|r| match r.training() {
            Some((_, t)) => {
                let show = |c: &Option<f64>| c.map_or("none (the kernel is zero)".into(), fmt3);
                let mut s = format!(
                    "Critical learning rate 2N/λ_max: {} for the infinite-width kernel",
                    show(&t.critical)
                );
                for run in &t.runs {
                    s.push_str(&format!("; {} at width {}", show(&run.critical), run.width));
                }
                s.push('.');
                s
            }
            None => String::new(),
        })
    };
    view! {
        <Panel id="training" title="Training: finite networks against their linearisations and the infinite-width ensemble" what="Real networks of each width trained by full-batch gradient descent (one initialisation per width, solid), each beside its own linearisation: the same f₀ and empirical NTK Θ̂₀, trained as a linear model (dotted; Lee et al. 2019, arXiv:1902.06720, Fig. 1). Wider networks stay closer to their linearisation (the gap in the legend) and their NTK moves less (lazy training). Dashed black: the expected loss of infinitely wide networks over random initialisations, mean and variance (f₀ ~ GP(0, K); neural-tangents' compute_cov=True): each single net scatters around it, by an amount that does not shrink with the width. Time axis t = η·steps.">
            <div class="warnings" role="alert">
                {move || warnings().into_iter().map(|w| view! { <p class="warning">{w}</p> }).collect::<Vec<_>>()}
            </div>
            <p class="critical">{critical}</p>
            <div class="panel-plots">
                <FigureCanvas id="loss-plot" label="Training and test loss against time for each width and the kernel dynamics" results=results slots=&[Slot::Training] busy=busy figure=losses aspect="2.4 / 1" charts=2 />
                <FigureCanvas id="drift-plot" label="NTK drift against time, and the learned function at the snapshot steps" results=results slots=&[Slot::Training] busy=busy figure=drift aspect="2.4 / 1" charts=2 />
                <Show when=has_drift_width>
                    <FigureCanvas id="drift-width-plot" label="NTK drift at the end of training against the width, with its fitted slope" results=results slots=&[Slot::Training] busy=busy figure=drift_width.clone() aspect="16 / 10" half=true />
                </Show>
            </div>
        </Panel>
        <Panel id="bias" title="Spectral bias: large-eigenvalue modes are learned first" what="The training residual f − y of the widest network, projected on the eigenvectors of the infinite-width NTK Gram matrix (on the circle: grouped by Fourier frequency), for the modes that carry most of the target. Theory for this net (dashed): its linearisation's residual (I − ηΘ̂₀/N)^s (f₀ − y), projected the same way. At infinite width each mode decays like (1 − ηλ/N)^s ≈ e^(−λt/N) (λ/N in the legend), so low frequencies go first; a finite net's Θ̂₀ mixes the modes slightly, which is why even its linearisation's fast modes level off instead of vanishing. Where the measured residual leaves its dashed line, the net is no longer linear: its NTK has moved during training (the drift plot above), and that gap shrinks like 1/√width (Rahaman et al. 2019, arXiv:1806.08734; Basri et al. 2019, arXiv:1906.00425; Arora et al. 2019, arXiv:1901.08584).">
            <div class="panel-plots">
                <FigureCanvas id="modes-plot" label="Residual per eigenmode or frequency against time, measured and theory" results=results slots=&[Slot::Modes] busy=busy figure=modes aspect="2.2 / 1" />
            </div>
        </Panel>
    }
}
