//! How closely each trained network follows its own linearisation (Lee et al. 2019,
//! arXiv:1902.06720) as the width grows: the spectral-bias preset (two-layer ReLU on
//! 64 points of the circle, η = 1, 1000 steps, so t = 1000) at widths 256 … 16384.
//! Prints, per width, the relative gap RMS(f_net − f_lin)/RMS(y) on the test inputs at
//! t = 1000, the net's and its linearisation's final test losses, and the expected
//! test loss of the infinite-width ensemble (mean + variance).
//! `cargo run --release --example linearisation_gap`

use ntk_core::experiments::Experiment;
use ntk_lab::config::build;
use ntk_lab::presets::{preset_values, PRESETS};

fn main() {
    let preset = PRESETS
        .iter()
        .find(|p| p.id == "spectral-bias")
        .expect("preset");
    let mut values = preset_values(preset);
    values.insert("widths", "256, 1024, 4096, 16384".into());
    let config = build(&values).expect("valid");
    let Some(Experiment::Training(params)) = config.job().into_iter().next() else {
        return;
    };
    let out = match ntk_core::experiments::training::run(&params, &mut ()) {
        Ok(out) => out,
        Err(e) => return println!("failed: {e}"),
    };
    let (runs, kernel_test, times) = (
        out.training.runs,
        out.training.kernel_test,
        out.training.times,
    );
    println!("t = {}", times.last().unwrap());
    println!(
        "infinite-width ensemble: expected test loss {:.4e}",
        kernel_test.last().unwrap_or(&f64::NAN)
    );
    for r in &runs {
        println!(
            "width {:>5}: gap to linearisation {:.4} ({:.2} %), test loss net {:.4e}, linearised {:.4e}",
            r.width,
            r.linear_gap.last().unwrap_or(&f64::NAN),
            100.0 * r.linear_gap.last().unwrap_or(&f64::NAN),
            r.test_loss.last().unwrap_or(&f64::NAN),
            r.linear_test_loss.last().unwrap_or(&f64::NAN)
        );
    }
}
