//! Runs every teaching preset's job natively and prints the figures that say whether
//! each panel shows what theory predicts (slopes near −1/2, low frequencies first,
//! drift falling with width, random labels giving a larger bound), with the time of
//! each job. `cargo run --release --example preset_figures`

use std::time::Instant;

use ntk_core::empirical::fit_log_log;
use ntk_core::experiments::{Observer, Part};
use ntk_lab::config::build;
use ntk_lab::presets::{preset_values, PRESETS};

/// Keeps the newest part of each slot.
#[derive(Default)]
struct Keep(Vec<Part>);

impl Observer for Keep {
    fn part(&mut self, part: &Part) {
        self.0.retain(|q| q.slot() != part.slot());
        self.0.push(part.clone());
    }
}

fn main() {
    for p in &PRESETS {
        let config = match build(&preset_values(p)) {
            Ok(c) => c,
            Err(e) => {
                println!("{}: invalid preset: {e:?}", p.id);
                continue;
            }
        };
        let t = Instant::now();
        let mut keep = Keep::default();
        let failed = config
            .job()
            .iter()
            .map(|e| e.run(&mut keep))
            .find_map(|r| r.err())
            .map(|e| e.to_string());
        let parts = keep.0;
        println!(
            "\n== {} ({}): native job {:.2} s",
            p.id,
            p.title,
            t.elapsed().as_secs_f64()
        );
        if let Some(m) = failed {
            println!("   FAILED: {m}");
        }
        for part in &parts {
            summarize(part);
        }
    }
}

fn summarize(part: &Part) {
    match part {
        Part::Circle(ntk_core::experiments::kernel::Circle {
            gamma,
            analytic,
            widths,
            trained,
            trained_steps,
            ..
        }) => {
            let mid = gamma.len() / 2;
            for w in widths {
                let limit = analytic
                    .as_ref()
                    .or(w.analytic.as_ref())
                    .map_or(f64::NAN, |a| a[mid]);
                println!(
                    "   init  width {:>5}: Θ̂(x₀, x₀) mean {:.4} ± {:.4} s.e. (analytic {:.4})",
                    w.width, w.mean[mid], w.sem[mid], limit
                );
            }
            for (w, w0) in trained.iter().zip(widths) {
                let moved = w
                    .mean
                    .iter()
                    .zip(&w0.mean)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                println!(
                    "   after {trained_steps} steps, width {:>5}: largest move of the mean {:.4}, s.e. at γ = 0 {:.4}",
                    w.width, moved, w.sem[mid]
                );
            }
        }
        Part::Convergence(c) => {
            for l in &c.lines {
                let (a, b) = (l.frobenius.fit_mean.unwrap(), l.max_entry.fit_mean.unwrap());
                println!(
                    "   {:<40} slope Frobenius {:+.3} ± {:.3}, max entry {:+.3} ± {:.3}",
                    ntk_lab::ui::panels::line_label(l),
                    a.slope,
                    a.slope_std_error,
                    b.slope,
                    b.slope_std_error
                );
            }
        }
        Part::Training(ntk_core::experiments::training::Training {
            runs,
            kernel_train,
            critical,
            ..
        }) => {
            println!("   critical η (kernel) {critical:.3?}");
            for r in runs {
                println!(
                    "   width {:>5}: final train loss {:.3e} (linearised {:.3e}), test loss {:.3e} (linearised {:.3e}), NTK drift {:.4}, gap net–linearisation {:.4}",
                    r.width,
                    r.train_loss.last().unwrap_or(&f64::NAN),
                    r.linear_train_loss.last().unwrap_or(&f64::NAN),
                    r.test_loss.last().unwrap_or(&f64::NAN),
                    r.linear_test_loss.last().unwrap_or(&f64::NAN),
                    r.drift.last().unwrap_or(&f64::NAN),
                    r.linear_gap.last().unwrap_or(&f64::NAN)
                );
            }
            if runs.len() >= 3 {
                let x: Vec<f64> = runs.iter().map(|r| r.width as f64).collect();
                let y: Vec<f64> = runs.iter().map(|r| *r.drift.last().unwrap()).collect();
                let f = fit_log_log(&x, &y).unwrap();
                println!(
                    "   drift against width: slope {:+.3} ± {:.3}",
                    f.slope, f.slope_std_error
                );
            }
            println!(
                "   infinite-width ensemble: expected final train loss {:.3e}",
                kernel_train.last().unwrap_or(&f64::NAN)
            );
        }
        Part::Modes(ntk_core::experiments::spectral_bias::Modes { times, modes, .. }) => {
            let i = times.len() / 10;
            for m in modes {
                println!(
                    "   {:<34} at t = {:>6.1}: measured {:.3e}, theory {:.3e}",
                    ntk_lab::ui::panels::mode_label(m),
                    times[i],
                    m.measured[i],
                    m.theory[i]
                );
            }
        }
        Part::Bound(ntk_core::experiments::generalization::Bound { points }) => {
            for p in points {
                println!(
                    "   n = {:>4}: bound {:.3} (target), {:.3} (random labels)",
                    p.n, p.true_labels, p.random_labels
                );
            }
        }
        Part::LearningCurve(ntk_core::experiments::generalization::LearningCurve {
            mse,
            fit,
            ..
        }) => {
            let f = fit.unwrap();
            println!(
                "   learning curve: mse {:.3e} → {:.3e}, rate {:+.2} ± {:.2}",
                mse[0],
                mse.last().unwrap(),
                f.slope,
                f.slope_std_error
            );
        }
        Part::Sensitivity(ntk_core::experiments::generalization::Sensitivity {
            n,
            by_n,
            d,
            by_d,
            ..
        }) => {
            println!("   sensitivity by n {n:?}: {by_n:.3?}");
            println!("   sensitivity by d {d:?}: {by_d:.3?}");
        }
        _ => {}
    }
}
