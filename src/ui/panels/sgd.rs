//! The SGD panel: finite nets trained by mini-batch SGD (on the pool or on streaming
//! data) beside the same SGD in function space with the analytic NTK, with the gap
//! between them and the NTK drift.

use std::sync::Arc;

use leptos::prelude::*;

use super::Panel;
use ntk_core::experiments::sgd::Sgd;
use ntk_plots::{palette, Series, Stroke};

use crate::protocol::Slot;
use crate::ui::figure::{charts, width_color, Chart, FigureCanvas, FigureFn};
use crate::ui::results::Results;

/// Test error, gap to the kernel prediction, and NTK drift against the step.
pub fn sgd_charts(s: &Sgd, log: bool) -> Vec<Chart> {
    let x: Vec<f64> = s.steps.iter().map(|&k| k as f64).collect();
    let how = if s.streaming {
        format!("streaming: {} fresh samples per step", s.batch)
    } else {
        format!("batches of {} from {} samples", s.batch, s.samples)
    };
    // On log axes step 0 is left out (every curve starts there, at f = 0).
    let from = usize::from(log);
    let mut test = Chart::new("Test error under SGD", "step", "test MSE").log(log, log);
    test.series.push(
        Series::new(
            "infinite width: SGD with Θ, same batches",
            x[from..].to_vec(),
            s.kernel_test_mse[from..].to_vec(),
            palette::ANALYTIC,
        )
        .stroke(Stroke::Dashed),
    );
    let mut gap = Chart::new(
        "Gap to the infinite-width prediction",
        "step",
        "‖f − f_Θ‖/‖f_Θ‖",
    )
    .log(log, log);
    let mut drift = Chart::new("NTK drift under SGD", "step", "‖Θ̂_s − Θ̂₀‖/‖Θ̂₀‖").log(log, log);
    let count = s.widths.len();
    for (i, w) in s.widths.iter().enumerate() {
        let color = width_color(i, count);
        let label = format!("width {}", w.width);
        test.series.push(
            Series::new(
                label.clone(),
                x[from..].to_vec(),
                w.test_mse[from..].to_vec(),
                color,
            )
            .errors(w.test_mse_std[from..].to_vec()),
        );
        // Step 0's gap and drift are 0 by construction: not drawn.
        gap.series.push(
            Series::new(label.clone(), x[1..].to_vec(), w.gap[1..].to_vec(), color)
                .errors(w.gap_std[1..].to_vec()),
        );
        drift.series.push(
            Series::new(label, x[1..].to_vec(), w.drift[1..].to_vec(), color)
                .errors(w.drift_std[1..].to_vec()),
        );
    }
    gap.note = Some(match s.gap_fit {
        Some(f) => format!(
            "Final gap against the width: slope {:.2} ± {:.2} (theory −1/2: a centred net stays within O(m^(−1/2)) of its kernel prediction; Lee et al. 2019, Arora et al. 2019). Mean ± std over {} seeds.",
            f.slope, f.slope_std_error, s.seeds
        ),
        None => format!(
            "Mean ± std over {} seeds; three widths or more give the gap's fitted rate (theory: m^(−1/2)).",
            s.seeds
        ),
    });
    test.note = Some(format!(
        "SGD {how}. Nets are centred (f = f_θ − f_θ₀), so they and the kernel start at f = 0; gap: on the test inputs. A rate below 2/max Θ(x, x) = {:.3} can overshoot on no batch.",
        s.safe_rate
    ));
    vec![test, gap, drift]
}

/// The panel.
#[component]
pub fn SgdPanel(
    results: RwSignal<Results>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] log: Signal<bool>,
) -> impl IntoView {
    let figure: FigureFn = Arc::new(move |r: &Results| {
        let (g, s) = r.sgd()?;
        charts(g, sgd_charts(s, log.get()))
    });
    view! {
        <Panel id="sgd" title="SGD and streaming data: finite nets against the kernel's SGD" what="Real networks trained by mini-batch stochastic gradient descent on (1/2|B|)Σ(f − y)², on batches of the training pool or, streaming, on fresh samples from the distribution at every step, beside the same SGD run in function space with the infinite-width NTK: f ← f − (η/|B|) Θ(·, X_B)(f(X_B) − y_B). Every net and the kernel see the same batches; the nets differ only in their initialisation. Arora et al. 2019 (arXiv:1904.11955) bound the distance of SGD-trained nets on streaming data to this kernel prediction through the uniform closeness of every layer's kernel; the gap shrinks with the width and the NTK moves less.">
            <div class="panel-plots">
                <FigureCanvas id="sgd-plot" label="Test error, gap to the kernel prediction and NTK drift against the SGD step, per width" results=results slots=&[Slot::Sgd] busy=busy figure=figure aspect="3 / 1" charts=3 />
            </div>
        </Panel>
    }
}
