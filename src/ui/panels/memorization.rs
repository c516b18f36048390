//! The memorization & robustness panel: the spurious-feature alignment against N and
//! the width beside its limit γ, γ(α) of every activation, memorization against the
//! test error, the remedies (ridge, early stopping); and the sensitivity of
//! interpolating RF and NTK regression against p, N and d beside the universal law.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::features::Features;
use ntk_core::experiments::robustness::{Robustness, SensLine};
use ntk_core::experiments::spurious::Spurious;
use ntk_plots::{fmt3, palette, Series, Stroke};

use crate::protocol::Slot;
use crate::ui::figure::{charts, Chart, FigureCanvas, FigureFn, CYCLE};
use crate::ui::results::Results;

fn width_label(w: Option<usize>) -> String {
    w.map_or("k = ∞ (kernel)".into(), |k| format!("k = {k}"))
}

fn flat(x: &[f64], y: f64) -> Vec<f64> {
    vec![y; x.len()]
}

/// Alignment against N (one line per width) and against the width at the largest N,
/// each with γ.
pub fn alignment_charts(s: &Spurious, log: bool) -> Vec<Chart> {
    let features = s.features.label();
    let n: Vec<f64> = s.n.iter().map(|&v| v as f64).collect();
    let mut by_n = Chart::new(
        format!(
            "Alignment of {features} against N (α = {}/{})",
            s.d_spurious, s.d
        ),
        "training samples N",
        "𝓕(z_iˢ, z_i)",
    )
    .log(log, false);
    for (i, line) in s.lines.iter().enumerate() {
        let k = line.alignment.len();
        by_n.series.push(
            Series::new(
                width_label(line.width),
                n[..k].to_vec(),
                line.alignment.clone(),
                CYCLE[i % CYCLE.len()],
            )
            .errors(line.alignment_std.clone()),
        );
    }
    let gamma_name = match s.features {
        Features::Ntk => "γ_NTK",
        Features::Rf => "γ_RF",
    };
    match s.gamma {
        Some(g) => by_n.series.push(
            Series::new(
                format!(
                    "theory {gamma_name}(α) = {} (N, d, k → ∞, d ≪ N ≪ d²)",
                    fmt3(g)
                ),
                n.clone(),
                flat(&n, g),
                palette::ANALYTIC,
            )
            .stroke(Stroke::Dashed),
        ),
        None => {
            by_n.note = Some(format!(
            "{} is linear: nothing is left once the data absorb the linear part, so γ is undefined",
            s.activation
        ))
        }
    }
    if let Some(&n_max) = s.n.last() {
        if s.n.len() > 1 && (n_max as f64) < 4.0 * s.d as f64 {
            by_n.note = Some(format!(
                "the theory needs N ≫ d: here N ≤ {n_max} < 4d, so the linear part is not yet absorbed"
            ));
        }
    }
    // A model with fewer features than samples cannot interpolate: its fits needed
    // the Cholesky jitter, which acts as a tiny ridge.
    let short: Vec<String> = s
        .lines
        .iter()
        .filter(|l| l.jitter > 0.0 || l.rank_deficient)
        .map(|l| width_label(l.width))
        .collect();
    if !short.is_empty() {
        by_n.note = Some(format!(
            "{}: fewer features than samples at some N, so K is singular and the fit is a ridge with a tiny jitter, not an interpolation",
            short.join(", ")
        ));
    }
    let mut by_width = Chart::new(
        format!(
            "… against the number of features k, at N = {}",
            s.n.last().copied().unwrap_or(0)
        ),
        "features k",
        "𝓕(z_iˢ, z_i)",
    )
    .log(log, false);
    let finite: Vec<_> = s
        .lines
        .iter()
        .filter(|l| l.width.is_some() && l.alignment.len() == s.n.len())
        .collect();
    if !finite.is_empty() {
        let x: Vec<f64> = finite.iter().map(|l| l.width.unwrap_or(0) as f64).collect();
        let last = s.n.len() - 1;
        by_width.series.push(
            Series::new(
                "measured (mean ± std over seeds)",
                x.clone(),
                finite.iter().map(|l| l.alignment[last]).collect(),
                palette::BLUE,
            )
            .errors(finite.iter().map(|l| l.alignment_std[last]).collect()),
        );
        if let Some(inf) = s
            .lines
            .iter()
            .find(|l| l.width.is_none() && l.alignment.len() == s.n.len())
        {
            by_width.series.push(
                Series::new(
                    format!("k = ∞ kernel: {}", fmt3(inf.alignment[last])),
                    x.clone(),
                    flat(&x, inf.alignment[last]),
                    palette::VERMILLION,
                )
                .stroke(Stroke::Dotted),
            );
        }
        if let Some(g) = s.gamma {
            by_width.series.push(
                Series::new(
                    format!("theory {gamma_name}"),
                    x.clone(),
                    flat(&x, g),
                    palette::ANALYTIC,
                )
                .stroke(Stroke::Dashed),
            );
        }
    }
    vec![by_n, by_width]
}

/// γ(α) of every activation, and memorization against the test error.
pub fn gamma_charts(s: &Spurious, log: bool) -> Vec<Chart> {
    let (curves, name) = match s.features {
        Features::Ntk => (
            &s.curves.ntk,
            "γ_NTK(α) = α·Σ μ′_l² α^l / Σ μ′_l² (sums over l ≥ 1)",
        ),
        Features::Rf => (
            &s.curves.rf,
            "γ_RF(α) = Σ μ_l² α^l / Σ μ_l² (sums over l ≥ 2)",
        ),
    };
    let gamma_name = match s.features {
        Features::Ntk => "γ_NTK(α)",
        Features::Rf => "γ_RF(α)",
    };
    let mut gammas = Chart::new(
        format!("The activation decides: {gamma_name} of every φ"),
        "spurious fraction α = d_y/d",
        "γ(α)",
    );
    let strokes = [Stroke::Line, Stroke::Dashed, Stroke::Dotted];
    for (i, (act, values)) in s.curves.names.iter().zip(curves).enumerate() {
        let pts: Vec<(f64, f64)> = s
            .curves
            .alpha
            .iter()
            .zip(values)
            .filter_map(|(a, g)| g.map(|g| (*a, g)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let mark = if *act == s.activation {
            " (chosen)"
        } else {
            ""
        };
        gammas.series.push(
            Series::new(
                format!("{act}{mark}"),
                pts.iter().map(|p| p.0).collect(),
                pts.iter().map(|p| p.1).collect(),
                CYCLE[i % CYCLE.len()],
            )
            .stroke(strokes[(i / CYCLE.len()) % strokes.len()]),
        );
    }
    gammas.note = Some(format!(
        "{name}; identity: undefined (linear features memorize nothing beyond the linear part)"
    ));
    let mut memo = Chart::new(
        "Memorization against test error (a point per N)",
        "test error (mean squared)",
        "memorization g_i·S_{z_i}(z_iˢ)",
    )
    .log(log, log);
    for (i, line) in s.lines.iter().enumerate() {
        let k = line.memorization.len().min(line.test_mse.len());
        if k == 0 {
            continue;
        }
        memo.series.push(
            Series::new(
                format!("{} measured", width_label(line.width)),
                line.test_mse[..k].to_vec(),
                line.memorization[..k].to_vec(),
                CYCLE[i % CYCLE.len()],
            )
            .errors(line.memorization_se[..k].to_vec()),
        );
    }
    if let (Some(g), Some(line)) = (s.gamma, s.lines.last()) {
        let k = line.stability.len().min(line.test_mse.len());
        memo.series.push(
            Series::new(
                format!("γ × mean g_i(g_i − f₋ᵢ(z_i)), {}", width_label(line.width)),
                line.test_mse[..k].to_vec(),
                line.stability[..k].iter().map(|v| g * v).collect(),
                palette::ANALYTIC,
            )
            .stroke(Stroke::Dashed),
        );
    }
    vec![gammas, memo]
}

/// The remedies: ridge and early stopping.
pub fn remedy_charts(s: &Spurious) -> Vec<Chart> {
    let Some(r) = &s.remedy else {
        return Vec::new();
    };
    let label = width_label(r.width);
    let mut ridge = Chart::new(
        format!("Remedy: ridge λ = r·tr K/N ({label}, N = {})", r.n),
        "ridge r",
        "value",
    )
    .log(true, false);
    let keep: Vec<usize> = (0..r.ridge.len()).filter(|&i| r.ridge[i] > 0.0).collect();
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let x = pick(&r.ridge);
    ridge.series.push(Series::new(
        "memorization coefficient ∂f(zˢ_i)/∂g_i",
        x.clone(),
        pick(&r.ridge_alignment),
        palette::BLUE,
    ));
    ridge.series.push(Series::new(
        "memorization g_i·S(zˢ_i)",
        x.clone(),
        pick(&r.ridge_memorization),
        palette::VERMILLION,
    ));
    ridge.series.push(
        Series::new("test error", x, pick(&r.ridge_test_mse), palette::GREEN)
            .stroke(Stroke::Dashed),
    );
    if let Some(i) = (0..r.ridge.len()).find(|&i| r.ridge[i] == 0.0) {
        ridge.note = Some(format!(
            "r = 0 (interpolation): coefficient {}, memorization {}, test error {}",
            fmt3(r.ridge_alignment[i]),
            fmt3(r.ridge_memorization[i]),
            fmt3(r.ridge_test_mse[i])
        ));
    }
    let mut stop = Chart::new(
        "Remedy: early stopping of kernel gradient flow",
        "time τ (units of N/tr K)",
        "value",
    )
    .log(true, false);
    stop.series.push(Series::new(
        "memorization coefficient ∂f(zˢ_i)/∂g_i",
        r.times.clone(),
        r.time_alignment.clone(),
        palette::BLUE,
    ));
    stop.series.push(
        Series::new(
            "test error",
            r.times.clone(),
            r.time_test_mse.clone(),
            palette::GREEN,
        )
        .stroke(Stroke::Dashed),
    );
    vec![ridge, stop]
}

fn sens_label(l: &SensLine) -> String {
    let kind = if l.even { "even" } else { "not even" };
    let model = match l.features {
        Features::Ntk => "NTK",
        Features::Rf => "RF",
    };
    let fit = l
        .fit
        .map(|f| format!(": slope {:.2} ± {:.2}", f.slope, f.slope_std_error))
        .unwrap_or_default();
    format!("{model} {} ({kind}){fit}", l.activation)
}

/// One sweep: each model's sensitivity with its standard error, and for the NTK
/// models the law's shape anchored to their points (for random features the theorem
/// gives no decay to draw: the note says so).
fn sens_chart(lines: &[SensLine], title: String, x_label: &str, law: &str, log: bool) -> Chart {
    let mut c = Chart::new(title, x_label, "sensitivity S = ‖z‖·‖∇f(z)‖").log(log, log);
    for (i, l) in lines.iter().enumerate() {
        let k = l.sensitivity.len();
        let color = CYCLE[i % CYCLE.len()];
        c.series.push(
            Series::new(
                sens_label(l),
                l.x[..k].to_vec(),
                l.sensitivity.clone(),
                color,
            )
            .errors(l.sensitivity_se.clone()),
        );
        if l.features == Features::Ntk && l.law.len() == k && l.law.iter().all(|v| v.is_finite()) {
            c.series.push(
                Series::new(
                    format!("{law} (anchored)"),
                    l.x[..k].to_vec(),
                    l.law.clone(),
                    color,
                )
                .stroke(Stroke::Dashed),
            );
        }
    }
    c
}

/// Sensitivity against p (first), and against N and d (second).
pub fn robustness_charts(r: &Robustness, log: bool) -> (Vec<Chart>, Vec<Chart>) {
    let mut by_p = sens_chart(
        &r.by_params,
        format!(
            "Sensitivity against the parameters p: N = {}, d = {}",
            r.n, r.d
        ),
        "parameters p (RF: k; NTK: k·d)",
        "law √(Nd/p)",
        log,
    );
    by_p.note = Some(format!(
        "The law's window is p ≲ Nd = {}: beyond it the model tends to the infinite-width kernel, whose sensitivity is a constant; slopes are fitted inside it. For random features the theorem says S does not vanish at any p.",
        r.n * r.d
    ));
    let by_n = sens_chart(
        &r.by_n,
        format!("… against N (p = {})", r.sweep_params),
        "samples N",
        "law ∝ √N",
        log,
    );
    let by_d = sens_chart(
        &r.by_d,
        format!("… against d (k of p = {} fixed)", r.sweep_params),
        "dimension d",
        "law: flat in d at fixed k",
        log,
    );
    (vec![by_p], vec![by_n, by_d])
}

/// The panel.
#[component]
pub fn MemorizationPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
) -> impl IntoView {
    let align: FigureFn = Arc::new(move |r: &Results| {
        let (g, s) = r.spurious()?;
        charts(g, alignment_charts(s, log.get()))
    });
    let gammas: FigureFn = Arc::new(move |r: &Results| {
        let (g, s) = r.spurious()?;
        charts(g, gamma_charts(s, log.get()))
    });
    let remedies: FigureFn = Arc::new(move |r: &Results| {
        let (g, s) = r.spurious()?;
        charts(g, remedy_charts(s))
    });
    let sens_p: FigureFn = Arc::new(move |r: &Results| {
        let (g, s) = r.robustness()?;
        charts(g, robustness_charts(s, log.get()).0)
    });
    let sens_nd: FigureFn = Arc::new(move |r: &Results| {
        let (g, s) = r.robustness()?;
        charts(g, robustness_charts(s, log.get()).1)
    });
    view! {
        <Panel id="memorization" title="Memorization of spurious features" what="Samples z = [x, y] carry a core part x (the label is sign(uᵀx)) and a spurious part y, a fraction α of the coordinates. After interpolating N samples with random features φ(Vz) or the NTK features z ⊗ φ'(Wz) of a two-layer net (k neurons, or the kernel at k = ∞), the spurious copy zˢ = [x̃, y] of a training sample (fresh core, same y) still recalls its label. The feature alignment 𝓕(zˢ, z) = φ(zˢ)ᵀP⊥φ(z)/‖P⊥φ(z)‖² measures how much; Bombari & Mondelli 2024 (arXiv:2305.12100) prove it tends to γ(α), set by the Hermite coefficients of φ (RF) or φ' (NTK). The memorization g·S(zˢ) is 𝓕 times the stability of the model, which falls as it generalizes. Ridge and early stopping lower it.">
            <div class="panel-plots">
                <FigureCanvas id="spurious-plot" label="Feature alignment against N and against the width, beside the limit γ" results=results slots=&[Slot::Spurious] busy=busy figure=align aspect="2.4 / 1" charts=2 />
                <FigureCanvas id="gamma-plot" label="γ(α) of every activation, and memorization against the test error" results=results slots=&[Slot::Spurious] busy=busy figure=gammas aspect="2.4 / 1" charts=2 />
                <FigureCanvas id="remedy-plot" label="Ridge and early stopping against memorization" results=results slots=&[Slot::Spurious] busy=busy figure=remedies aspect="2.4 / 1" charts=2 />
            </div>
        </Panel>
        <Panel id="robustness" title="Robustness needs parameters" what="The sensitivity ‖z‖·‖∇_z f(z)‖ of the interpolant of N random labels at fresh inputs z ~ N(0, I_d), for random features (p = k parameters) and the NTK features of a two-layer net's first layer (p = k·d), with an even and a non-even activation. The universal law of robustness (Bubeck & Sellke 2021) says S ≳ √(Nd/p); Bombari, Kiyani & Mondelli 2023 (arXiv:2302.01629) prove that the NTK model with an even activation meets it, while random features stay sensitive at any p. The dashed lines are the laws' shapes, their constants anchored to the points (the theorems give none).">
            <div class="panel-plots">
                <FigureCanvas id="robustness-plot" label="Sensitivity against the number of parameters" results=results slots=&[Slot::Robustness] busy=busy figure=sens_p aspect="2 / 1" />
                <FigureCanvas id="robustness-nd-plot" label="Sensitivity against the number of samples and the dimension" results=results slots=&[Slot::Robustness] busy=busy figure=sens_nd aspect="2.4 / 1" charts=2 />
            </div>
        </Panel>
    }
}
