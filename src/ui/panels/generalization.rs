//! The generalization panel: the Arora et al. bound for the target and random
//! labels, the learning curve with the core's fitted rate, and the sensitivity of the
//! NTK regressor against n and d.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::architectures::Architectures;
use ntk_core::experiments::capacity::Capacity;
use ntk_core::experiments::generalization::{Bound, DistributionCurves, LearningCurve};
use ntk_plots::{fmt3, palette, Series, Stroke};

use crate::protocol::Slot;
use crate::ui::figure::{charts, Chart, FigureCanvas, FigureFn, CYCLE};
use crate::ui::results::Results;

/// The slots of the first canvas, the second and the third.
const FIRST: &[Slot] = &[Slot::Bound, Slot::LearningCurve, Slot::Capacity];
const SECOND: &[Slot] = &[Slot::Sensitivity];
const THIRD: &[Slot] = &[Slot::Capacity];
const FOURTH: &[Slot] = &[Slot::Architectures];
const FIFTH: &[Slot] = &[Slot::ByDistribution];

/// The learning curve and the bound per input distribution, each with its sample's
/// ψ₂ and ψ₁ estimates.
pub fn by_distribution_charts(v: &[DistributionCurves], log: bool) -> Vec<Chart> {
    let mut curves = Chart::new(
        "Learning curve by input distribution",
        "training points n",
        "test MSE (NTK regression)",
    )
    .log(log, log);
    let mut bounds = Chart::new(
        "Arora et al. bound by input distribution",
        "training points n",
        "√(2 yᵀ(H^∞)⁻¹y / n)",
    )
    .log(log, log);
    for (i, c) in v.iter().enumerate() {
        let color = CYCLE[i % CYCLE.len()];
        let name = format!(
            "{}, ψ₂ ≈ {:.2}, ψ₁ ≈ {:.2}",
            super::distribution_label(&c.distribution),
            c.orlicz.psi2,
            c.orlicz.psi1
        );
        let x: Vec<f64> = c.learning_curve.n.iter().map(|&n| n as f64).collect();
        let label = match c.learning_curve.fit {
            Some(f) => format!("{name}: slope {:.2} ± {:.2}", f.slope, f.slope_std_error),
            None => name.clone(),
        };
        curves.series.push(Series::new(
            label,
            x.clone(),
            c.learning_curve.mse.clone(),
            color,
        ));
        bounds
            .series
            .push(Series::new(name, x, c.bound.clone(), color));
    }
    let mut note = "The same target and network on inputs of each tail class in the sidebar's d; ψ₂ and ψ₁ are estimated on the largest training sample (for heavy tails they grow with the sample: the population norms are infinite). ν (Student-t) sets the heavy tail's index.".to_string();
    if v.iter()
        .any(|c| c.distribution == ntk_core::data::Distribution::Rademacher)
    {
        note.push_str(" Rademacher inputs take only 2^d values: once n passes them, the test inputs are training inputs and the error drops to 0 (off a log axis).");
    }
    curves.note = Some(note);
    bounds.note = Some("The bound is stated for unit-norm inputs: each distribution's inputs are projected onto the sphere for it.".into());
    vec![curves, bounds]
}

/// How the comparison names each architecture of the core's list.
fn architecture_label(name: &str) -> &str {
    match name {
        "mlp" => "MLP",
        "residual_mlp" => "residual MLP",
        "cnn_flatten" => "CNN + flatten",
        "cnn_gap" => "CNN + global pooling",
        other => other,
    }
}

/// The comparison of architectures on signals: each analytic NTK's spectrum (the
/// share of tr Θ of each eigenvalue) and the test error of NTK regression against n.
pub fn architecture_charts(a: &Architectures, log: bool) -> Vec<Chart> {
    let mut spectra = Chart::new(
        "Spectrum of Θ on the signals",
        "rank k",
        "share of tr Θ, λ_k / Σ λ",
    )
    .log(log, log);
    let mut errors = Chart::new(
        "Test error of NTK regression (t = ∞) on the autocorrelation target",
        "training signals n",
        "test MSE",
    )
    .log(log, log);
    let n: Vec<f64> = a.n.iter().map(|&n| n as f64).collect();
    // The parts stream in one architecture at a time: `names` lists all four, the
    // other lists the ones finished so far.
    let finished = a
        .spectra
        .len()
        .min(a.shift_change.len())
        .min(a.test_mse.len())
        .min(a.test_mse_se.len());
    for (k, name) in a.names.iter().enumerate().take(finished) {
        let color = palette::CYCLE[k % palette::CYCLE.len()];
        let label = architecture_label(name);
        // Eigenvalues at round-off (≤ 1e-12 of the total) carry no information on a
        // log axis.
        let kept: Vec<(f64, f64)> = a.spectra[k]
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 1e-12)
            .map(|(i, v)| ((i + 1) as f64, *v))
            .collect();
        spectra.series.push(Series::new(
            format!("{label} (shift changes Θ by {})", fmt3(a.shift_change[k])),
            kept.iter().map(|p| p.0).collect(),
            kept.iter().map(|p| p.1).collect(),
            color,
        ));
        let mut s = Series::new(label, n.clone(), a.test_mse[k].clone(), color);
        s.err = Some(a.test_mse_se[k].clone());
        errors.series.push(s);
    }
    errors.series.push(
        Series::new(
            "predicting 0 (the target's variance + noise²)",
            n.clone(),
            vec![a.null_mse; n.len()],
            palette::ANALYTIC,
        )
        .stroke(Stroke::Dashed),
    );
    vec![spectra, errors]
}

/// The first generalization charts: the Arora et al. bound and the learning curve.
pub fn bound_charts(r: &Results, log: bool) -> Vec<Chart> {
    let mut first = Vec::new();
    if let Some((_, Bound { points })) = r.bound() {
        let n: Vec<f64> = points.iter().map(|p| p.n as f64).collect();
        let mut c = Chart::new(
            "Arora et al. 2019 bound √(2 yᵀ(H^∞)⁻¹y / n)",
            "training points n",
            "bound",
        )
        .log(log, log);
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
        // The theorem's second term, from the capacity job's λ₀ at the same n.
        if let Some((_, cap)) = r.capacity() {
            let pts: Vec<(f64, f64)> = cap
                .n
                .iter()
                .zip(&cap.second_term)
                .filter_map(|(&n, t)| t.map(|t| (n as f64, t)))
                .collect();
            if !pts.is_empty() && cap.n == points.iter().map(|p| p.n).collect::<Vec<_>>() {
                let (x, y): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
                c.series.push(
                    Series::new(
                        format!(
                            "second term √(log(n/(λ₀δ))/n), δ = {} (constant 1)",
                            cap.delta
                        ),
                        x,
                        y,
                        palette::ANALYTIC,
                    )
                    .stroke(Stroke::Dashed),
                );
            }
        }
        first.push(c);
    }
    if let Some((
        _,
        LearningCurve {
            n,
            mse,
            fit,
            fitted,
            trained,
            trained_with,
        },
    )) = r.learning_curve()
    {
        let x: Vec<f64> = n.iter().map(|&v| v as f64).collect();
        let mut c = Chart::new(
            "Learning curve of NTK regression",
            "training points n",
            "test mean squared error",
        )
        .log(log, log);
        c.series.push(Series::new(
            "NTK regression (t = ∞)",
            x.clone(),
            mse.clone(),
            palette::BLUE,
        ));
        if let Some(t) = trained_with {
            let (tx, ty): (Vec<f64>, Vec<f64>) = x
                .iter()
                .zip(trained)
                .filter_map(|(&n, v)| v.map(|v| (n, v)))
                .unzip();
            c.series.push(Series::new(
                format!(
                    "a net of width {} after {} GD steps (η = {})",
                    t.width,
                    t.steps,
                    fmt3(t.learning_rate)
                ),
                tx,
                ty,
                palette::VERMILLION,
            ));
            if trained.iter().any(Option::is_none) {
                c.note = Some(
                    "The trained net diverged at some n (its points are left out): lower η.".into(),
                );
            }
        }
        if let Some(f) = fit {
            c.series.push(
                Series::new(
                    format!("fit ∝ n^({:.2} ± {:.2})", f.slope, f.slope_std_error),
                    x,
                    fitted.clone(),
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dashed),
            );
        }
        first.push(c);
    }
    first
}

/// The sensitivity charts: against n and, for sampled data, against d.
pub fn sensitivity_charts(r: &Results, log: bool) -> Vec<Chart> {
    let Some((_, s)) = r.sensitivity() else {
        return Vec::new();
    };
    let chart = |title: String, x_label: &str, x: &[usize], y: &[f64], color| {
        let mut c = Chart::new(title, x_label, "sensitivity 𝔼|∇f(z)ᵀ(z − ẑ)|").log(log, log);
        let x = x.iter().map(|&v| v as f64).collect();
        c.series
            .push(Series::new("NTK regressor", x, y.to_vec(), color));
        c
    };
    let mut first = chart(
        format!("Sensitivity against n (d = {})", s.at_d),
        "training points n",
        &s.n,
        &s.by_n,
        palette::GREEN,
    );
    // The directional measure mixes in |f(z)| for a 1-homogeneous f (∇f(z)ᵀz = f(z));
    // the paper's ‖z‖·‖∇f(z)‖ is on the robustness panel.
    first.note = Some(
        "directional sensitivity: for a 1-homogeneous f, ∇f(z)ᵀz = f(z), so it mixes in |f(z)|; Bombari et al.'s ‖z‖·‖∇f(z)‖ against p, N and d is on the Memorization & robustness tab".into(),
    );
    let mut charts = vec![first];
    // A user's file has one dimension: no sweep over d.
    if !s.d.is_empty() {
        charts.push(chart(
            format!("Sensitivity against d (n = {})", s.at_n),
            "input dimension d",
            &s.d,
            &s.by_d,
            palette::PURPLE,
        ));
    }
    charts
}

/// The capacity charts: λ₀(H^∞) against n, and the Rademacher-complexity bound of the
/// interpolating kernel class for the target and for random labels.
pub fn capacity_charts(c: &Capacity, log: bool) -> Vec<Chart> {
    let n: Vec<f64> = c.n.iter().map(|&v| v as f64).collect();
    let chart =
        |title: &str, y_label: &str| Chart::new(title, "training points n", y_label).log(log, log);
    let line = |label: &str, y: &[f64], color| Series::new(label, n.clone(), y.to_vec(), color);
    // λ₀ at or below 10⁻¹⁰ is zero up to rounding (H^∞'s entries are O(1), its
    // eigenvalues are computed to ~n·10⁻¹⁶): H^∞ is singular there. A log axis cannot
    // show those points; a plot where every point is zero is drawn on a linear axis.
    const ZERO: f64 = 1e-10;
    let zero: Vec<String> =
        c.n.iter()
            .zip(&c.lambda_min)
            .filter(|(_, l)| **l <= ZERO)
            .map(|(n, _)| n.to_string())
            .collect();
    let all_zero = zero.len() == c.n.len();
    let mut lambda = chart("Smallest eigenvalue λ₀ of H^∞", "λ₀(H^∞)");
    if all_zero {
        lambda = lambda.log(log, false);
    }
    let kept: Vec<(f64, f64)> = n
        .iter()
        .zip(&c.lambda_min)
        .filter(|(_, l)| all_zero || **l > ZERO)
        .map(|(n, l)| (*n, *l))
        .collect();
    lambda.series.push(Series::new(
        "λ₀(H^∞), two-layer ReLU NTK on unit-norm inputs",
        kept.iter().map(|p| p.0).collect(),
        kept.iter().map(|p| p.1).collect(),
        palette::BLUE,
    ));
    if !zero.is_empty() {
        lambda.note = Some(format!(
            "λ₀ ≤ 10⁻¹⁰ (zero up to rounding) at n = {}: H^∞ is singular on these inputs, so \
             the theorems that need λ₀ > 0 do not apply (e.g. equally spaced points on the \
             circle, where this kernel has no odd frequencies ≥ 3)",
            zero.join(", ")
        ));
    }
    let mut bound = chart("Rademacher bound √(yᵀK⁻¹y · tr K) / n", "bound");
    bound.series.extend([
        line("target of the sidebar", &c.rademacher_true, palette::BLUE),
        line(
            "random ±1 labels (same size)",
            &c.rademacher_random,
            palette::VERMILLION,
        ),
    ]);
    if let Some(from) = c.singular_from {
        bound.note = Some(format!(
            "K is singular from n = {from} on: there the bound uses K + εI, ε = λ_max/10¹⁰"
        ));
    }
    vec![lambda, bound]
}

/// The generalization panel.
#[component]
pub fn GeneralizationPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
    /// Whether the comparison of architectures is computed (a residual MLP or a CNN
    /// on signals of length ≤ 32).
    #[prop(into)]
    compare: Signal<bool>,
    /// Whether the curves by input distribution are computed.
    #[prop(into)]
    by_dist: Signal<bool>,
) -> impl IntoView {
    let by_distribution: FigureFn = Arc::new(move |r: &Results| {
        let (g, v) = r.by_distribution()?;
        charts(g, by_distribution_charts(&v.curves, log.get()))
    });
    let compared: FigureFn = Arc::new(move |r: &Results| {
        let (g, a) = r.architectures()?;
        charts(g, architecture_charts(a, log.get()))
    });
    let bound: FigureFn =
        Arc::new(move |r: &Results| charts(r.generation(FIRST)?, bound_charts(r, log.get())));
    let capacity: FigureFn = Arc::new(move |r: &Results| {
        let (g, c) = r.capacity()?;
        charts(g, capacity_charts(c, log.get()))
    });
    let sens: FigureFn = Arc::new(move |r: &Results| {
        charts(r.generation(SECOND)?, sensitivity_charts(r, log.get()))
    });
    view! {
        <Panel id="generalization" title="Generalization: what the kernel predicts about test error" what="Left: the data-dependent bound of Arora et al. 2019 (arXiv:1901.08584) for two-layer ReLU networks on unit-norm inputs, for the sidebar's target and for random labels of the same size: a learnable target gives a bound that falls with n. Right: the test error of NTK regression (t = ∞) against n with its fitted rate. Below: the sensitivity of the NTK regressor, 𝔼|∇f(z)ᵀ(z − ẑ)| for test inputs z and independent draws ẑ, against n and d (after Bombari, Kiyani & Mondelli 2023, arXiv:2302.01629). Last: sample complexity and capacity: the smallest eigenvalue λ₀ of H^∞, which the convergence and generalization theorems need positive (their widths scale with 1/λ₀; Du et al. 2019, arXiv:1810.02054), and the Rademacher-complexity bound √(yᵀK⁻¹y · tr K)/n of the kernel class that interpolates the labels (Bartlett & Mendelson 2002), for the target and for random labels.">
            <div class="panel-plots">
                <FigureCanvas id="bound-plot" label="Arora et al. bound against n for true and random labels, and the learning curve" results=results slots=FIRST busy=busy figure=bound aspect="2.4 / 1" charts=2 />
                <FigureCanvas id="sensitivity-plot" label="Sensitivity of the NTK regressor against n and against d" results=results slots=SECOND busy=busy figure=sens aspect="2.4 / 1" charts=2 />
                <FigureCanvas id="capacity-plot" label="Smallest eigenvalue of H^∞ and the Rademacher-complexity bound against n" results=results slots=THIRD busy=busy figure=capacity aspect="2.4 / 1" charts=2 />
                <Show when=move || by_dist.get()>
                    <FigureCanvas id="by-distribution-plot" label="Learning curve and bound per input distribution, with each sample's ψ₂ and ψ₁" results=results slots=FIFTH busy=busy figure=by_distribution.clone() aspect="2.4 / 1" charts=2 />
                </Show>
                <Show when=move || compare.get()>
                    <p class="note">"Architectures compared on signals (infinite width, ReLU, σ_w = 1.4, σ_b = 0.1, the sidebar's depth and filter): Gaussian signals of length d, target the circular autocorrelation Σ_p x_p x_(p+1)/√d, which is shift-invariant and local. A circular CNN with global pooling has an exactly shift-invariant kernel and learns it from few signals; an MLP's kernel sees only angles between whole signals. At infinite width the parameter count does not enter: these are the kernels' own inductive biases."</p>
                    <FigureCanvas id="architectures-plot" label="Spectra and test error of four architectures on signals" results=results slots=FOURTH busy=busy figure=compared.clone() aspect="2.4 / 1" charts=2 />
                </Show>
            </div>
        </Panel>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity(lambda_min: Vec<f64>) -> Capacity {
        Capacity {
            n: vec![8, 16, 32],
            lambda_min,
            rademacher_true: vec![0.5, 0.4, 0.3],
            rademacher_random: vec![0.9, 0.8, 0.7],
            second_term: vec![None; 3],
            delta: 0.1,
            singular_from: None,
        }
    }

    /// The comparison streams in one architecture at a time: a part with fewer
    /// finished architectures than names draws those, and never indexes past them.
    #[test]
    fn a_partial_comparison_draws_the_finished_architectures() {
        let a = Architectures {
            names: ["mlp", "residual_mlp", "cnn_flatten", "cnn_gap"]
                .map(String::from)
                .to_vec(),
            spectra: vec![vec![0.5, 0.3, 0.2]],
            shift_change: vec![0.54],
            n: vec![8, 16],
            test_mse: vec![vec![1.0, 0.9]],
            test_mse_se: vec![vec![0.1, 0.1]],
            null_mse: 1.0,
        };
        let c = architecture_charts(&a, true);
        assert_eq!(c[0].series.len(), 1);
        assert!(c[0].series[0]
            .label
            .starts_with("MLP (shift changes Θ by 0.54"));
        // One architecture and the "predicting 0" reference.
        assert_eq!(c[1].series.len(), 2);
    }

    /// A singular H^∞ (λ₀ zero up to rounding) is said on the plot, not dropped
    /// silently or drawn as an error.
    #[test]
    fn a_singular_h_infinity_is_said_on_the_plot() {
        let fine = capacity_charts(&capacity(vec![0.3, 0.2, 0.1]), true);
        assert!(fine[0].note.is_none() && fine[0].log_y);
        let some = capacity_charts(&capacity(vec![0.3, 1e-17, -2e-16]), true);
        assert_eq!(some[0].series[0].x, vec![8.0]);
        assert!(some[0].log_y);
        assert!(some[0].note.as_deref().unwrap().contains("n = 16, 32"));
        let all = capacity_charts(&capacity(vec![3e-17, 1e-17, -2e-16]), true);
        assert!(!all[0].log_y, "zeros need a linear axis");
        assert_eq!(all[0].series[0].y.len(), 3);
        assert!(all[0].note.as_deref().unwrap().contains("singular"));
    }
}
