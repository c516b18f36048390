//! The convergence panel: the distance of the empirical NTK to the analytic one
//! against the width, one line per input distribution with its fitted slope (the
//! core's fit), and a 1/√m reference.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::data::Distribution;
use ntk_core::experiments::convergence::{Convergence, Curve, Line, NoDepthLaw, Statistic};
use ntk_plots::{palette, Series, Stroke};

use crate::protocol::Slot;
use crate::ui::figure::FigureCanvas;
use crate::ui::figure::{charts, width_color, Chart, FigureFn, CYCLE};
use crate::ui::results::Results;

/// How a distribution is named in legends: "Laplace (sub-exponential)",
/// "Student-t, ν = 3 (heavy-tailed)" — words, not the URL's keys.
pub fn distribution_label(dist: &Distribution) -> String {
    let name = match dist {
        Distribution::Gaussian => "Gaussian".to_string(),
        Distribution::Sphere => "uniform on the sphere".into(),
        Distribution::Circle => "circle".into(),
        Distribution::Uniform => "uniform".into(),
        Distribution::Rademacher => "Rademacher".into(),
        Distribution::Laplace => "Laplace".into(),
        Distribution::Exponential => "centred exponential".into(),
        Distribution::StudentT { nu } => format!("Student-t, ν = {nu}"),
        Distribution::Bumps { height: None } => "bump signals".into(),
        Distribution::Bumps { height: Some(h) } => format!("blob images, height {h}"),
    };
    format!("{name} ({})", dist.tail_class())
}

/// How a line is named: its distribution, or the user's file.
pub fn line_label(line: &Line) -> String {
    if let Some(g) = &line.grid {
        return format!(
            "sup over the {} of radius √{} ({} points, within {:.1}°)",
            if line.d == 2 { "circle" } else { "sphere" },
            line.d,
            g.points,
            g.resolution_degrees
        );
    }
    match (&line.distribution, &line.file) {
        (Some(d), _) => distribution_label(d),
        (None, Some((name, rows, cols))) => format!("your data: {name} ({rows} × {cols})"),
        (None, None) => "inputs".into(),
    }
}

/// The summary's name in titles and axis labels.
fn stat_words(c: &Convergence, stat: Statistic) -> String {
    match stat {
        Statistic::Mean => "mean ± std over seeds".into(),
        Statistic::Quantile => format!("{} quantile over seeds (δ = {})", 1.0 - c.delta, c.delta),
        Statistic::Worst => "worst seed".into(),
        Statistic::Tail => format!("share of seeds with distance > ε = {}", c.epsilon),
    }
}

/// The note under a chart of `stat` when the seeds are too few for it.
fn seeds_note(c: &Convergence, stat: Statistic) -> Option<String> {
    (stat == Statistic::Quantile && !c.quantile_meaningful()).then(|| {
        format!(
            "Only {} seeds: the {} quantile needs about {} (2/δ) to be more than the worst seed. Raise the seeds.",
            c.seeds,
            1.0 - c.delta,
            c.quantile_seeds
        )
    })
}

/// A curve as a series of `stat` (error bars: the std, for the mean only) with its
/// fitted slope ± standard error in the label.
fn curve_series(
    curve: &Curve,
    widths: &[f64],
    stat: Statistic,
    label: String,
    color: plotters::style::RGBColor,
) -> Series {
    let label = match curve.fit(stat) {
        Some(f) => format!("{label}: slope {:.2} ± {:.2}", f.slope, f.slope_std_error),
        None => label,
    };
    let s = Series::new(label, widths.to_vec(), curve.values(stat), color);
    if stat == Statistic::Mean {
        s.errors(curve.stats.iter().map(|v| v.std).collect())
    } else {
        s
    }
}

fn y_label(max_entry: bool, stat: Statistic) -> &'static str {
    match (stat, max_entry) {
        (Statistic::Tail, false) => "P(‖Θ̂ − Θ‖_F/‖Θ‖_F > ε)",
        (Statistic::Tail, true) => "P(max |Θ̂ − Θ| > ε)",
        (_, true) => "max |Θ̂ − Θ| (largest entry)",
        (_, false) => "‖Θ̂ − Θ‖_F / ‖Θ‖_F",
    }
}

/// The convergence chart: distance against width, summarised over seeds by `stat`,
/// the fitted slope ± its standard error in the legend, and a 1/√m reference. With
/// `sup`, the largest entries of the samples beside the sup over the sphere's grid.
pub fn convergence_chart(
    c: &Convergence,
    max_entry: bool,
    sup: bool,
    stat: Statistic,
    log: bool,
) -> Chart {
    let mut chart = Chart::new(
        format!(
            "Empirical NTK against its limit: n = {} in d = {}, {} seeds per width, {}",
            c.n,
            c.d,
            c.seeds,
            stat_words(c, stat)
        ),
        "width m",
        y_label(max_entry, stat),
    )
    .log(log, log && stat != Statistic::Tail);
    for (i, line) in c.lines.iter().enumerate() {
        if line.grid.is_some() && !sup {
            continue;
        }
        let x: Vec<f64> = line.points.iter().map(|p| p.width as f64).collect();
        let curve = if max_entry {
            &line.max_entry
        } else {
            &line.frobenius
        };
        let color = CYCLE[i % CYCLE.len()];
        let label = match line.orlicz {
            Some(o) => format!(
                "{}, ψ₂ ≈ {:.2}, ψ₁ ≈ {:.2}",
                line_label(line),
                o.psi2,
                o.psi1
            ),
            None => line_label(line),
        };
        chart
            .series
            .push(curve_series(curve, &x, stat, label, color));
    }
    // The theory's rate through the first line's narrowest point.
    if stat != Statistic::Tail {
        let (x, y): (Vec<f64>, Vec<f64>) = c.reference_of(max_entry, stat).into_iter().unzip();
        if !x.is_empty() {
            // The uniform per-layer bound's rate (Arora et al. 2019: C₃^L/m^(1/6) +
            // √(dL log m/m)) through the same point, for comparison of rates only.
            let y6: Vec<f64> = x
                .iter()
                .map(|&m| y[0] * (x[0] / m).powf(1.0 / 6.0))
                .collect();
            chart.series.push(
                Series::new(
                    "1/√m reference (slope −1/2)",
                    x.clone(),
                    y,
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dashed),
            );
            chart.series.push(
                Series::new(
                    "m^(−1/6): the uniform bound's rate (slope −1/6)",
                    x,
                    y6,
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dotted),
            );
        }
    }
    let psi = format!(
        "ψ₂, ψ₁: estimated on each sample's {} entries; a heavy tail shows in them only with enough entries.",
        c.n * c.d
    );
    chart.note = Some(match seeds_note(c, stat) {
        Some(n) => format!("{n} {psi}"),
        None => psi,
    });
    chart
}

/// Each hidden layer's kernel against the analytic NTK of its depth, on the first
/// line that has them.
pub fn layers_chart(c: &Convergence, max_entry: bool, stat: Statistic, log: bool) -> Option<Chart> {
    let line = c.lines.iter().find(|l| !l.layers.is_empty())?;
    let mut chart = Chart::new(
        "Every layer's kernel Θ̂^(ℓ) against the NTK of depth ℓ",
        "width m",
        y_label(max_entry, stat),
    )
    .log(log, log && stat != Statistic::Tail);
    let x: Vec<f64> = line.points.iter().map(|p| p.width as f64).collect();
    let count = line.layers.len();
    for l in &line.layers {
        let curve = if max_entry {
            &l.max_entry
        } else {
            &l.frobenius
        };
        let label = if l.layer == count {
            format!("ℓ = {} (the output)", l.layer)
        } else {
            format!("ℓ = {}", l.layer)
        };
        chart.series.push(curve_series(
            curve,
            &x,
            stat,
            label,
            width_color(l.layer - 1, count),
        ));
    }
    let about = format!(
        "{}; {}. The cut after layer ℓ is read out by the first unit of layer ℓ + 1, so all cuts share the net's weights.",
        line_label(line),
        stat_words(c, stat)
    );
    chart.note = Some(match seeds_note(c, stat) {
        Some(n) => format!("{about} {n}"),
        None => about,
    });
    Some(chart)
}

/// The spread of Θ̂(x, x) against the depth beside its L/m law.
pub fn depth_chart(c: &Convergence, log: bool) -> Option<Chart> {
    let d = c.depth.as_ref()?;
    let fit = match (d.fit_c, d.law_c) {
        (Some((c_hat, se)), Some(law)) => format!(
            "Fitted c = {c_hat:.2} ± {se:.2} in log(1 + v) = c·L/m (the law's, fitted alike: {law:.2}); {} nets, {} inputs. ",
            d.seeds, d.inputs
        ),
        (Some((c_hat, se)), None) => format!(
            "Fitted c = {c_hat:.2} ± {se:.2} in log(1 + v) = c·L/m; {} nets, {} inputs. ",
            d.seeds, d.inputs
        ),
        _ => format!("{} nets, {} inputs. ", d.seeds, d.inputs),
    };
    let mut chart = Chart::new(
        format!("Spread of Θ̂(x, x) against the depth, width {}", d.width),
        "depth L",
        "Var Θ̂(x, x) / 𝔼[Θ̂(x, x)]²",
    )
    .log(log, log);
    let x: Vec<f64> = d.points.iter().map(|p| p.depth as f64).collect();
    chart.series.push(
        Series::new(
            "measured ± jackknife error",
            x.clone(),
            d.points.iter().map(|p| p.rel_var).collect(),
            CYCLE[0],
        )
        .errors(d.points.iter().map(|p| p.rel_var_se).collect()),
    );
    chart.note = Some(match &d.law {
        Ok(law) => {
            chart.series.push(
                Series::new(
                    "law: (L+1)⁻² Σ (1+5/m)^(L−|k−k'|) (1+1/m)^|k−k'| − 1",
                    x,
                    law.clone(),
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dashed),
            );
            fit + "The law: bias-free ReLU net, NTK parameterization, to first order in 1/m per layer; ≈ (11/3)·L/m for L ≪ m, growing like exp(5L/m) (Hanin & Nica 2019) for L ~ m. Deep points need many nets: a heavy-tailed spread is underestimated by few."
        }
        Err(why) => format!(
            "{fit}No law drawn: it is derived for the bias-free ReLU net in the NTK parameterization, and this net {}.",
            match why {
                NoDepthLaw::NotRelu => "is not ReLU",
                NoDepthLaw::HasBias => "has biases",
                NoDepthLaw::Standard => "is in the standard parameterization",
            }
        ),
    });
    Some(chart)
}

/// The convergence panel.
#[component]
pub fn ConvergencePanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    #[prop(into)] max_entry: Signal<bool>,
    #[prop(into)] sup: Signal<bool>,
    #[prop(into)] stat: Signal<Statistic>,
    /// Whether the settings ask for per-layer lines, and for the depth sweep.
    #[prop(into)]
    layers: Signal<bool>,
    #[prop(into)] depth: Signal<bool>,
) -> impl IntoView {
    let figure: FigureFn = Arc::new(move |r: &Results| {
        let (g, c) = r.convergence()?;
        charts(
            g,
            vec![convergence_chart(
                c,
                max_entry.get(),
                sup.get(),
                stat.get(),
                log.get(),
            )],
        )
    });
    let layer_fig: FigureFn = Arc::new(move |r: &Results| {
        let (g, c) = r.convergence()?;
        charts(
            g,
            vec![layers_chart(c, max_entry.get(), stat.get(), log.get())?],
        )
    });
    let depth_fig: FigureFn = Arc::new(move |r: &Results| {
        let (g, c) = r.convergence()?;
        charts(g, vec![depth_chart(c, log.get())?])
    });
    view! {
        <Panel id="convergence" title="Convergence: the empirical NTK approaches its limit as 1/√width" what="The distance between the NTK of random finite networks and the infinite-width NTK on the same inputs, against the width, log-log: mean over seeds with ± one standard deviation, the fitted slope for each input distribution (Gaussian, sub-Gaussian, sub-exponential, heavy-tailed), and a 1/√m reference. The theorems are high-probability statements, so the summary over seeds can be the (1 − δ) quantile (the ε that a fraction 1 − δ of networks stay within), the worst seed or the tail P(distance > ε); the distance can be the sup over the whole circle or sphere, taken on a grid; each hidden layer's kernel can have its own line; and a depth sweep shows the spread of Θ̂(x, x) growing with L/m. For a fixed input pair the fluctuations of the empirical NTK are of order 1/√m (Hanin & Nica 2019, arXiv:1909.05989; Jacot et al. 2018, arXiv:1806.07572, for the limit itself); Arora et al. 2019 (arXiv:1904.11955) prove a high-probability bound that is polynomial in 1/ε, not this rate. The distribution of the inputs moves the prefactor.">
            <div class="panel-plots">
                <FigureCanvas id="convergence-plot" label="Distance of the empirical NTK to the analytic NTK against the width, per input distribution" results=results slots=&[Slot::Convergence] busy=busy figure=figure aspect="2 / 1" />
                {move || layers.get().then(|| {
                    let f = layer_fig.clone();
                    view! { <FigureCanvas id="convergence-layers-plot" label="Distance of every hidden layer's kernel to the analytic NTK of its depth, against the width" results=results slots=&[Slot::Convergence] busy=busy figure=f aspect="2 / 1" /> }
                })}
                {move || depth.get().then(|| {
                    let f = depth_fig.clone();
                    view! { <FigureCanvas id="convergence-depth-plot" label="Relative variance of the empirical NTK's diagonal against the depth, beside its depth-to-width law" results=results slots=&[Slot::Convergence] busy=busy figure=f aspect="2 / 1" /> }
                })}
            </div>
        </Panel>
    }
}
