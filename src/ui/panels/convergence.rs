//! The convergence panel: the distance of the empirical NTK to the analytic one
//! against the width, one line per input distribution with its fitted slope (the
//! core's fit), and a 1/√m reference.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::data::Distribution;
use ntk_core::experiments::convergence::{Convergence, Line};
use ntk_plots::{palette, Series, Stroke};

use crate::protocol::Slot;
use crate::ui::figure::FigureCanvas;
use crate::ui::figure::{charts, Chart, FigureFn, CYCLE};
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
    match (&line.distribution, &line.file) {
        (Some(d), _) => distribution_label(d),
        (None, Some((name, rows, cols))) => format!("your data: {name} ({rows} × {cols})"),
        (None, None) => "inputs".into(),
    }
}

/// The convergence chart: distance against width with error bars over seeds, the
/// fitted slope ± its standard error in the legend, and a 1/√m reference.
pub fn convergence_chart(c: &Convergence, max_entry: bool, log: bool) -> Chart {
    let y_label = if max_entry {
        "max |Θ̂ − Θ| (largest entry)"
    } else {
        "‖Θ̂ − Θ‖_F / ‖Θ‖_F"
    };
    let mut chart = Chart::new(
        format!(
            "Empirical NTK against its infinite-width limit: n = {} inputs in d = {}, {} seeds per width",
            c.n, c.d, c.seeds
        ),
        "width m",
        y_label,
    )
    .log(log, log);
    for (i, line) in c.lines.iter().enumerate() {
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
        let fit = if max_entry {
            line.fit_max_entry
        } else {
            line.fit
        };
        let label = match fit {
            Some(f) => format!(
                "{}: slope {:.2} ± {:.2}",
                line_label(line),
                f.slope,
                f.slope_std_error
            ),
            None => line_label(line),
        };
        chart
            .series
            .push(Series::new(label, x, y, CYCLE[i % CYCLE.len()]).errors(err));
    }
    // The theory's rate through the first line's narrowest point.
    let (x, y): (Vec<f64>, Vec<f64>) = c.reference(max_entry).into_iter().unzip();
    if !x.is_empty() {
        chart.series.push(
            Series::new("1/√m reference (slope −1/2)", x, y, palette::ANALYTIC)
                .stroke(Stroke::Dashed),
        );
    }
    chart
}

/// The convergence panel.
#[component]
pub fn ConvergencePanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    #[prop(into)] max_entry: Signal<bool>,
) -> impl IntoView {
    let figure: FigureFn = Arc::new(move |r: &Results| {
        let (g, c) = r.convergence()?;
        charts(g, vec![convergence_chart(c, max_entry.get(), log.get())])
    });
    view! {
        <Panel id="convergence" title="Convergence: the empirical NTK approaches its limit as 1/√width" what="The distance between the NTK of random finite networks and the infinite-width NTK on the same inputs, against the width, log-log: mean over seeds with ± one standard deviation, the fitted slope for each input distribution (Gaussian, sub-Gaussian, sub-exponential, heavy-tailed), and a 1/√m reference. For a fixed input pair the fluctuations of the empirical NTK are of order 1/√m (Hanin & Nica 2019, arXiv:1909.05989; Jacot et al. 2018, arXiv:1806.07572, for the limit itself); Arora et al. 2019 (arXiv:1904.11955) prove a high-probability bound that is polynomial in 1/ε, not this rate. The distribution of the inputs moves the prefactor.">
            <div class="panel-plots">
                <FigureCanvas id="convergence-plot" label="Distance of the empirical NTK to the analytic NTK against the width, per input distribution" results=results slots=&[Slot::Convergence] busy=busy figure=figure aspect="2 / 1" />
            </div>
        </Panel>
    }
}
