//! Training a finite-width network by full-batch gradient descent, with the records
//! the lab's training panels draw.

use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};
use crate::linalg::{symmetric_eigenvalues, Matrix};
use crate::network::{Mlp, MlpSpec};

/// The most steps one run may take.
pub const MAX_STEPS: usize = 1_000_000;

/// What to train and how.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSetup<'a> {
    pub spec: &'a MlpSpec,
    pub seed: u64,
    pub x_train: &'a Matrix,
    pub y_train: &'a [f64],
    pub x_test: Option<&'a Matrix>,
    pub y_test: Option<&'a [f64]>,
    pub learning_rate: f64,
    pub steps: usize,
    pub record_every: usize,
}

/// Everything recorded every `record_every` steps, starting at step 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainRecord {
    pub steps: Vec<usize>,
    /// (1/2N)‖f(X) − y‖².
    pub train_loss: Vec<f64>,
    /// Same on the test set, when test targets are given.
    pub test_loss: Vec<f64>,
    pub train_predictions: Vec<Vec<f64>>,
    pub test_predictions: Vec<Vec<f64>>,
    /// ‖Θ̂_t − Θ̂₀‖_F / ‖Θ̂₀‖_F on the training set (the absolute distance if Θ̂₀ = 0).
    pub ntk_drift: Vec<f64>,
    /// ‖θ_l(t) − θ_l(0)‖_F / ‖θ_l(0)‖_F per layer, per record.
    pub weight_change: Vec<Vec<f64>>,
    /// λ_max(Θ̂₀) and the critical learning rate 2N/λ_max.
    pub lambda_max: f64,
    pub critical_learning_rate: f64,
    /// [`train_through`] only: the recorded step at which the training loss had grown
    /// past [`DIVERGED`] × its initial value (or overflowed), where training stopped;
    /// the records end at the recorded step before it.
    pub diverged_at: Option<usize>,
}

/// How far the training loss may grow over its initial value before
/// [`train_through`] calls the run diverged and stops: 10⁶, six decades on a log axis,
/// long before f64 overflows.
pub const DIVERGED: f64 = 1e6;

pub(crate) fn frobenius_distance(a: &Matrix, b: &Matrix) -> f64 {
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// ‖A‖_F.
pub fn frobenius(a: &Matrix) -> f64 {
    a.as_slice().iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// λ_max(Θ̂₀) and the critical learning rate 2N/λ_max of a network on `x`.
pub fn critical_learning_rate(net: &Mlp, x: &Matrix) -> Result<(f64, f64)> {
    let k = net.empirical_kernels(x, None)?;
    let ev = symmetric_eigenvalues(&k.ntk)?;
    let lambda_max = ev.last().copied().unwrap_or(0.0);
    Ok((lambda_max, 2.0 * x.rows() as f64 / lambda_max))
}

/// Train by full-batch gradient descent. A learning rate at or above 2N/λ_max(Θ̂₀),
/// where gradient descent on the linearised model diverges, is refused up front with
/// [`NtkError::Diverges`], naming the critical rate.
pub fn train(setup: &TrainSetup<'_>) -> Result<TrainRecord> {
    if setup.record_every == 0 {
        return Err(NtkError::OutOfRange {
            field: "record_every",
            expected: "at least 1",
            value: 0.0,
        });
    }
    if setup.steps > MAX_STEPS {
        return Err(NtkError::OutOfRange {
            field: "steps",
            expected: "at most 1000000",
            value: setup.steps as f64,
        });
    }
    let every: Vec<usize> = (0..=setup.steps)
        .filter(|s| s % setup.record_every == 0 || *s == setup.steps)
        .collect();
    train_at(setup, &every, |_| true)
}

/// [`train`], recording exactly at the steps in `record_at` (each ≤ `setup.steps`;
/// `setup.record_every` is ignored), e.g. log-spaced steps for a log time axis.
/// `on_step(s)` is called after every step s ≥ 1; returning `false` stops with
/// [`NtkError::Cancelled`].
pub fn train_at(
    setup: &TrainSetup<'_>,
    record_at: &[usize],
    on_step: impl FnMut(usize) -> bool,
) -> Result<TrainRecord> {
    run(setup, record_at, on_step, true)
}

/// [`train_at`] at any learning rate, also at or above the critical 2N/λ_max(Θ̂₀): the
/// run goes on until the training loss at a recorded step exceeds [`DIVERGED`] × its
/// initial value or is not finite, and stops there cleanly, with `diverged_at` set
/// (so that a class can watch gradient descent diverge).
pub fn train_through(
    setup: &TrainSetup<'_>,
    record_at: &[usize],
    on_step: impl FnMut(usize) -> bool,
) -> Result<TrainRecord> {
    run(setup, record_at, on_step, false)
}

fn run(
    setup: &TrainSetup<'_>,
    record_at: &[usize],
    mut on_step: impl FnMut(usize) -> bool,
    refuse_above_critical: bool,
) -> Result<TrainRecord> {
    if let Some(&bad) = record_at.iter().find(|&&s| s > setup.steps) {
        return Err(NtkError::OutOfRange {
            field: "record_at",
            expected: "steps between 0 and the number of steps",
            value: bad as f64,
        });
    }
    if !(setup.learning_rate.is_finite() && setup.learning_rate > 0.0) {
        return Err(NtkError::OutOfRange {
            field: "learning_rate",
            expected: "a finite number > 0",
            value: setup.learning_rate,
        });
    }
    if setup.steps > MAX_STEPS {
        return Err(NtkError::OutOfRange {
            field: "steps",
            expected: "at most 1000000",
            value: setup.steps as f64,
        });
    }
    if let (Some(x), Some(y)) = (setup.x_test, setup.y_test) {
        if x.rows() != y.len() {
            return Err(NtkError::DimensionMismatch {
                field: "y_test",
                expected: x.rows(),
                got: y.len(),
            });
        }
    }
    setup.spec.validate()?;
    crate::budget::ensure(
        "training",
        crate::budget::train_bytes(
            setup.x_train.cols(),
            &setup.spec.widths,
            setup.x_train.rows(),
            setup.x_test.map_or(0, |m| m.rows()),
        ),
        "use fewer inputs or a narrower or shallower network",
    )?;
    let initial = Mlp::init(setup.spec, setup.x_train.cols(), setup.seed)?;
    let k0 = initial.empirical_kernels(setup.x_train, None)?.ntk;
    let ev = symmetric_eigenvalues(&k0)?;
    let lambda_max = ev.last().copied().unwrap_or(0.0);
    let critical = 2.0 * setup.x_train.rows() as f64 / lambda_max;
    if refuse_above_critical && setup.learning_rate >= critical {
        return Err(NtkError::Diverges {
            learning_rate: setup.learning_rate,
            critical,
        });
    }
    let k0_norm = frobenius(&k0);
    let mut net = initial.clone();
    let mut rec = TrainRecord {
        steps: Vec::new(),
        train_loss: Vec::new(),
        test_loss: Vec::new(),
        train_predictions: Vec::new(),
        test_predictions: Vec::new(),
        ntk_drift: Vec::new(),
        weight_change: Vec::new(),
        lambda_max,
        critical_learning_rate: critical,
        diverged_at: None,
    };
    let loss = |f: &[f64], y: &[f64]| {
        f.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / (2.0 * y.len() as f64)
    };
    let mut limit = f64::INFINITY;
    for step in 0..=setup.steps {
        if record_at.contains(&step) {
            let f_train = net.forward(setup.x_train)?;
            let l = loss(&f_train, setup.y_train);
            if step == 0 {
                limit = DIVERGED * l.max(f64::MIN_POSITIVE);
            } else if !refuse_above_critical && (!l.is_finite() || l > limit) {
                // Diverged: the records end at the last step below the limit.
                rec.diverged_at = Some(step);
                break;
            }
            rec.train_loss.push(l);
            if let Some(x_test) = setup.x_test {
                let f_test = net.forward(x_test)?;
                if let Some(y_test) = setup.y_test {
                    rec.test_loss.push(loss(&f_test, y_test));
                }
                rec.test_predictions.push(f_test);
            }
            rec.train_predictions.push(f_train);
            let kt = if step == 0 {
                k0.clone()
            } else {
                net.empirical_kernels(setup.x_train, None)?.ntk
            };
            // Relative to ‖Θ̂₀‖_F; a zero Θ̂₀ (σ_w = 0 without bias) has no scale, and
            // there the absolute distance is recorded (0 while nothing moves).
            let dist = frobenius_distance(&kt, &k0);
            rec.ntk_drift
                .push(if k0_norm > 0.0 { dist / k0_norm } else { dist });
            rec.weight_change.push(net.relative_change(&initial));
            rec.steps.push(step);
        }
        if step < setup.steps {
            net.gd_step(setup.x_train, setup.y_train, setup.learning_rate)?;
            if !on_step(step + 1) {
                return Err(NtkError::Cancelled);
            }
        }
    }
    if rec.train_loss.iter().any(|l| !l.is_finite()) {
        return Err(NtkError::Numerical(
            "training diverged (non-finite loss)".into(),
        ));
    }
    Ok(rec)
}
