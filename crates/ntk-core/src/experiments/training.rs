//! The training experiment: finite networks of each width trained by full-batch
//! gradient descent on (1/2N)‖f − y‖², each beside its own linearisation (the same f₀
//! and empirical Θ̂₀, trained as a linear model; Lee et al. 2019, arXiv:1902.06720),
//! and the expected losses of the infinite-width ensemble (mean + variance over
//! initialisations, f₀ ~ GP(0, K); neural-tangents' `compute_cov=True`); the NTK drift
//! ‖Θ̂_t − Θ̂₀‖_F/‖Θ̂₀‖_F; the learned function at snapshot steps; and the widest net's
//! residual per eigenmode ([`super::spectral_bias`]).

use serde::{Deserialize, Serialize};

use super::inputs::{angles, circle_grid, user_split, DataSpec};
use super::spectral_bias::{mode_lines, Modes};
use super::{check_count, check_widths, default_network, default_target, finite};
use super::{Observer, Part, Reporter};
use crate::data::sample;
use crate::dynamics::{ensemble_gd_losses, linearised_gd, losses, LinearisedPath};
use crate::empirical::{fit_log_log, LogLogFit};
use crate::error::{NtkError, Result};
use crate::kernel::{FcNetwork, Parameterization};
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::{symmetric_eigen, Matrix};
use crate::targets::{targets, Target};
use crate::train::TrainRecord;

/// The training experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub network: FcNetwork,
    /// The architecture the network is read in (the widths are a CNN's channels).
    pub architecture: Architecture,
    pub widths: Vec<usize>,
    /// The training inputs (a user's file: its last fifth is the test set).
    pub data: DataSpec,
    pub target: Target,
    /// Label noise σ on the training targets.
    pub noise: f64,
    /// Test inputs (sampled data).
    pub n_test: usize,
    pub learning_rate: f64,
    pub steps: usize,
    /// Steps at which the learned function is returned.
    pub snapshots: Vec<usize>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: default_network(),
            architecture: Architecture::Mlp,
            widths: vec![64, 256, 1024],
            data: DataSpec::default(),
            target: default_target(),
            noise: 0.0,
            n_test: 100,
            learning_rate: 0.5,
            steps: 100,
            snapshots: vec![0, 10, 100],
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        check_widths(&self.widths)?;
        self.data.validate()?;
        check_count("n_test", self.n_test, 1, 20_000, "between 1 and 20000")?;
        check_count("steps", self.steps, 1, 100_000, "between 1 and 100000")?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(NtkError::OutOfRange {
                field: "learning_rate",
                expected: "a positive number",
                value: self.learning_rate,
            });
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(NtkError::OutOfRange {
                field: "noise",
                expected: "a number ≥ 0",
                value: self.noise,
            });
        }
        if let Some(&s) = self.snapshots.iter().find(|&&s| s > self.steps) {
            return Err(NtkError::OutOfRange {
                field: "snapshots",
                expected: "steps between 0 and the number of steps",
                value: s as f64,
            });
        }
        self.architecture.validate(&self.network, self.data.dim())?;
        let widest = self.widths.iter().copied().max().unwrap_or(1);
        let (n, n_test) = (self.data.rows(), self.n_test);
        crate::budget::ensure(
            "the analytic kernels",
            self.architecture
                .kernel_bytes(&self.network, self.data.dim(), n + n_test, n)?,
            "lower n, the test points or the positions",
        )?;
        crate::budget::ensure(
            "training the widest network",
            crate::budget::train_bytes(
                self.data.dim(),
                &vec![widest; self.network.depth],
                self.data.rows(),
                self.n_test,
            ),
            "lower the width, the depth, n or the test points",
        )
    }
}

/// What the function plot's abscissa is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Abscissa {
    /// The angle γ of a test input on the circle.
    Angle,
    /// The test input itself (d = 1).
    Input,
    /// The target value y(x) of the test input (the ideal fit is the diagonal).
    Target,
}

/// One width's run: losses and NTK drift at the recorded steps, or, when the learning
/// rate is above this net's critical one, nothing but that rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainRun {
    pub width: usize,
    pub train_loss: Vec<f64>,
    pub test_loss: Vec<f64>,
    /// ‖Θ̂_t − Θ̂₀‖_F/‖Θ̂₀‖_F.
    pub drift: Vec<f64>,
    /// 2N/λ_max(Θ̂₀) of this net; `None` when its NTK is zero.
    pub critical: Option<f64>,
    /// The learning rate is at or above `critical`: the linearised dynamics diverge.
    /// The net is trained anyway (a class can watch it), until its loss diverges
    /// (`diverged_at`) or, in the catapult phase (Lewkowycz et al. 2020,
    /// arXiv:2003.02218), until it settles; its linearisation is not drawn.
    pub diverged: bool,
    /// The step at which the net's training loss passed 10⁶ × its initial value and
    /// training stopped (its curves end at the recorded step before).
    #[serde(default)]
    pub diverged_at: Option<usize>,
    /// The losses of this net's own linearisation (same f₀ and Θ̂₀).
    pub linear_train_loss: Vec<f64>,
    pub linear_test_loss: Vec<f64>,
    /// RMS(f_net − f_lin) on the test inputs over RMS(y_test), per recorded step.
    pub linear_gap: Vec<f64>,
}

/// The learned function at one recorded step: the widest net, its linearisation and
/// the infinite-width ensemble's mean (each empty when not computed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub step: usize,
    pub net: Vec<f64>,
    pub linear: Vec<f64>,
    pub kernel: Vec<f64>,
}

/// Losses and drift against t = η·steps, for each width and the infinite-width
/// ensemble; the learned function at the snapshot steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// The recorded steps and t = η·steps.
    pub steps: Vec<usize>,
    pub times: Vec<f64>,
    pub learning_rate: f64,
    /// The expected train and test losses of the infinite-width ensemble, empty above
    /// the critical rate.
    pub kernel_train: Vec<f64>,
    pub kernel_test: Vec<f64>,
    /// 2N/λ_max of the analytic Gram matrix; `None` when the kernel is zero.
    pub critical: Option<f64>,
    pub runs: Vec<TrainRun>,
    /// The function plot's abscissa (sorted) and what it is.
    pub x: Vec<f64>,
    pub abscissa: Abscissa,
    /// The targets of the test inputs, in the order of `x`.
    pub target: Vec<f64>,
    pub snapshots: Vec<Snapshot>,
    /// The width the snapshots show.
    pub snapshot_width: Option<usize>,
    /// The NTK drift at the end of training against the width (3 or more trained
    /// widths).
    #[serde(default)]
    pub drift_by_width: Option<DriftByWidth>,
}

/// The NTK drift at the end of training, ‖Θ̂_T − Θ̂₀‖_F/‖Θ̂₀‖_F, of each trained net
/// against its width m, with the least-squares fit of log drift on log m (slope ± its
/// standard error) and the theory's slope where it applies: −1/2 in the NTK
/// parameterization, where at a fixed learning rate the NTK moves by at most O(1/√m)
/// during training (an upper bound: a steeper measured slope agrees with it) (Lee et al. 2019, arXiv:1902.06720, Theorem 2.1 and its appendix; Jacot et
/// al. 2018). In the standard parameterization a fixed learning rate is not the same
/// dynamics at every width, and no slope is claimed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftByWidth {
    pub widths: Vec<usize>,
    pub drift: Vec<f64>,
    pub fit: LogLogFit,
    pub theory_slope: Option<f64>,
}

/// The [`DriftByWidth`] of the trained runs (`None` below 3 widths, or when a drift
/// is zero and has no logarithm).
pub fn drift_by_width(
    runs: &[TrainRun],
    parameterization: Parameterization,
) -> Option<DriftByWidth> {
    let (widths, drift): (Vec<usize>, Vec<f64>) = runs
        .iter()
        .filter(|r| !r.diverged)
        .filter_map(|r| r.drift.last().map(|&d| (r.width, d)))
        .unzip();
    if widths.len() < 3 || drift.iter().any(|&d| !(d > 0.0 && d.is_finite())) {
        return None;
    }
    let x: Vec<f64> = widths.iter().map(|&m| m as f64).collect();
    let fit = fit_log_log(&x, &drift).ok()?;
    Some(DriftByWidth {
        widths,
        drift,
        fit,
        theory_slope: (parameterization == Parameterization::Ntk).then_some(-0.5),
    })
}

/// The training experiment's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub training: Training,
    /// `None` when no width could be trained.
    pub modes: Option<Modes>,
}

/// The steps at which training is recorded: 0, 30 equally spaced steps, the
/// snapshots and the last step.
pub fn record_steps(steps: usize, snapshots: &[usize]) -> Vec<usize> {
    let mut s: Vec<usize> = (0..=30).map(|k| k * steps / 30).collect();
    s.extend(snapshots.iter().copied().filter(|&v| v <= steps));
    s.sort_unstable();
    s.dedup();
    s
}

/// The training and test sets.
#[derive(Debug, Clone)]
pub struct Sets {
    pub x: Matrix,
    pub y: Vec<f64>,
    /// Sorted by `abscissa`.
    pub x_test: Matrix,
    pub y_test: Vec<f64>,
    pub abscissa_values: Vec<f64>,
    pub abscissa: Abscissa,
}

/// The training set (inputs, targets with label noise) and the test set. Test
/// inputs: equally spaced angles on the circle (offset by half a spacing from the
/// training points); samples of the distribution (seed ⊕ 0x7e57); or, for a user's
/// file, its held-out rows. The abscissa is the angle on the circle, x itself in one
/// dimension, otherwise the target value; the test set is sorted by it.
pub fn sets(p: &Params) -> Result<Sets> {
    let d = &p.data;
    let circle = d.on_circle();
    let (x, y, x_test, y_test) = match user_split(d, &p.target)? {
        Some(split) => split,
        None => {
            let x = d.inputs()?;
            let y = targets(&p.target, &x, p.noise, d.seed)?;
            let x_test = if circle {
                circle_grid(p.n_test)?
            } else {
                sample(d.distribution, p.n_test, d.d, d.seed ^ 0x7e57, d.project)?
            };
            let y_test = targets(&p.target, &x_test, 0.0, 0)?;
            (x, y, x_test, y_test)
        }
    };
    let (values, abscissa) = if circle {
        (angles(&x_test), Abscissa::Angle)
    } else if x_test.cols() == 1 {
        (x_test.as_slice().to_vec(), Abscissa::Input)
    } else {
        (y_test.clone(), Abscissa::Target)
    };
    let m = x_test.rows();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let rows: Vec<f64> = order.iter().flat_map(|&i| x_test.row(i).to_vec()).collect();
    Ok(Sets {
        x_test: Matrix::from_row_major(m, x_test.cols(), rows)?,
        abscissa_values: order.iter().map(|&i| values[i]).collect(),
        abscissa,
        y_test: order.iter().map(|&i| y_test[i]).collect(),
        x,
        y,
    })
}

fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|a| a * a).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

/// The widest trained net: its record and its linearisation.
struct Widest {
    width: usize,
    rec: TrainRecord,
    linear: LinearisedPath,
}

/// One unit of the training experiment: one width's net trained by gradient descent
/// (its record) and, below its critical rate, its linearisation's path (its own f₀ and
/// Θ̂₀). Units are numbered widest first ([`unit_width`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub rec: crate::train::TrainRecord,
    pub linear: Option<crate::dynamics::LinearisedPath>,
}

/// How many units the experiment splits into: one per distinct width.
pub fn unit_count(p: &Params) -> usize {
    super::distinct(&p.widths).len()
}

/// The width of unit `index`: widest first.
pub fn unit_width(p: &Params, index: usize) -> Option<usize> {
    let widths = super::distinct(&p.widths);
    widths.len().checked_sub(index + 1).map(|i| widths[i])
}

/// Compute unit `index` (see [`Unit`]): the same numbers [`run`] computes for it,
/// reporting its training steps to `observer`.
pub fn unit(p: &Params, index: usize, observer: &mut dyn Observer) -> Result<Unit> {
    p.validate()?;
    super::check_unit(index, unit_count(p))?;
    let s = sets(p)?;
    let mut r = Reporter::new(observer, p.steps);
    let model = Model {
        net: &p.network,
        arch: &p.architecture,
    };
    unit_in(p, &model, &s, index, &mut r, 0)
}

/// Train unit `index`'s net and its linearisation; progress at `base` + step.
fn unit_in(
    p: &Params,
    model: &Model,
    s: &Sets,
    index: usize,
    r: &mut Reporter,
    base: usize,
) -> Result<Unit> {
    let m = unit_width(p, index).ok_or(NtkError::Invalid {
        field: "unit",
        reason: format!("no width for unit {index}"),
    })?;
    let steps = record_steps(p.steps, &p.snapshots);
    let lr = p.learning_rate;
    let report_every = (p.steps / 25).max(1);
    let mut cancelled = false;
    let on_step = |st: usize| {
        if st.is_multiple_of(report_every) {
            cancelled = r
                .step(
                    base + st,
                    format!("training width {m}: step {st} of {}", p.steps),
                )
                .is_err();
        }
        !cancelled
    };
    let rec = model.train_through(
        m,
        p.data.seed,
        (&s.x, &s.y),
        (&s.x_test, &s.y_test),
        lr,
        p.steps,
        &steps,
        on_step,
    )?;
    if cancelled {
        return Err(NtkError::Cancelled);
    }
    let linear = if lr >= rec.critical_learning_rate {
        None
    } else {
        // The same network's linearisation: its own f₀ and Θ̂₀ (the seed gives the
        // same initialisation as the run above).
        let net0 = model.finite(s.x.cols(), m, p.data.seed)?;
        let k0 = net0.empirical_ntk(&s.x, None)?;
        let k0_cross = net0.empirical_ntk(&s.x_test, Some(&s.x))?;
        Some(linearised_gd(
            &k0,
            &k0_cross,
            &rec.train_predictions[0],
            &rec.test_predictions[0],
            &s.y,
            lr,
            &steps,
        )?)
    };
    Ok(Unit { rec, linear })
}

/// Run the training experiment. Parts: the infinite-width ensemble first, then the
/// training part after each width, then the modes of the widest net.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Output> {
    run_from(p, None, observer)
}

/// Run it with its units already computed (by [`unit`], anywhere, in any order): the
/// same parts and output as [`run`], bit for bit.
pub fn run_with_units(p: &Params, units: &[Unit], observer: &mut dyn Observer) -> Result<Output> {
    super::check_units(units.len(), unit_count(p))?;
    run_from(p, Some(units), observer)
}

fn run_from(p: &Params, given: Option<&[Unit]>, observer: &mut dyn Observer) -> Result<Output> {
    p.validate()?;
    let s = sets(p)?;
    let Sets {
        x,
        y,
        x_test,
        y_test,
        abscissa_values,
        abscissa,
    } = s.clone();
    let n_train = x.rows();
    let steps = record_steps(p.steps, &p.snapshots);
    let lr = p.learning_rate;
    let times: Vec<f64> = steps.iter().map(|&s| lr * s as f64).collect();
    let widths = super::distinct(&p.widths);
    let mut r = Reporter::new(observer, 1 + widths.len() * p.steps + 1);

    // The infinite-width ensemble: expected losses over initialisations (mean and
    // variance, f₀ ~ GP(0, K)) and its mean function, below the critical rate.
    let model = Model {
        net: &p.network,
        arch: &p.architecture,
    };
    let k_train = model.kernels(&x, None)?;
    let k_cross = model.kernels(&x_test, Some(&x))?;
    let test_diag = model.nngp_diagonal(&x_test)?;
    let (lambda, vectors) = symmetric_eigen(&k_train.ntk)?;
    let lambda_max = lambda.last().copied().unwrap_or(0.0);
    let critical = finite(2.0 * n_train as f64 / lambda_max);
    let ensemble = match critical {
        Some(c) if lr >= c => None,
        _ => Some(ensemble_gd_losses(
            &k_train.ntk,
            &k_cross.ntk,
            &k_train.nngp,
            &k_cross.nngp,
            &test_diag,
            &y,
            &y_test,
            lr,
            &steps,
        )?),
    };
    r.step(1, "infinite-width ensemble")?;

    let mut training = Training {
        steps: steps.clone(),
        times: times.clone(),
        learning_rate: lr,
        kernel_train: ensemble.as_ref().map_or(Vec::new(), |e| e.train.clone()),
        kernel_test: ensemble.as_ref().map_or(Vec::new(), |e| e.test.clone()),
        critical,
        runs: Vec::new(),
        x: abscissa_values,
        abscissa,
        target: y_test.clone(),
        snapshots: Vec::new(),
        snapshot_width: None,
        drift_by_width: None,
    };
    let snapshots = |widest: Option<&Widest>| -> Vec<Snapshot> {
        p.snapshots
            .iter()
            .filter_map(|&s| {
                let i = steps.iter().position(|&v| v == s)?;
                Some(Snapshot {
                    step: s,
                    net: widest.map_or(Vec::new(), |w| w.rec.test_predictions[i].clone()),
                    linear: widest.map_or(Vec::new(), |w| w.linear.test[i].clone()),
                    kernel: ensemble
                        .as_ref()
                        .map_or(Vec::new(), |e| e.test_mean[i].clone()),
                })
            })
            .collect()
    };
    training.snapshots = snapshots(None);
    r.part(Part::Training(training.clone()));

    let y_scale = rms(&y_test).max(f64::MIN_POSITIVE);
    let mut widest: Option<Widest> = None;
    for (k, &m) in widths.iter().enumerate() {
        let base = 1 + k * p.steps;
        // The unit of width k: widest first (`unit_width`).
        let index = widths.len() - 1 - k;
        let Unit { rec, linear } = match given {
            Some(units) => {
                r.step(base + p.steps, format!("width {m} trained"))?;
                units[index].clone()
            }
            None => unit_in(p, &model, &s, index, &mut r, base)?,
        };
        // At or above this net's critical rate the run went ahead (until it diverged
        // or settled); its linearisation diverges and is not computed.
        let above = lr >= rec.critical_learning_rate;
        let mut run = TrainRun {
            width: m,
            train_loss: rec.train_loss.clone(),
            test_loss: rec.test_loss.clone(),
            drift: rec.ntk_drift.clone(),
            critical: finite(rec.critical_learning_rate),
            diverged: above,
            diverged_at: rec.diverged_at,
            linear_train_loss: Vec::new(),
            linear_test_loss: Vec::new(),
            linear_gap: Vec::new(),
        };
        if let (false, Some(linear)) = (above, linear) {
            run.linear_gap = rec
                .test_predictions
                .iter()
                .zip(&linear.test)
                .map(|(f, l)| {
                    let diff: Vec<f64> = f.iter().zip(l).map(|(a, b)| a - b).collect();
                    rms(&diff) / y_scale
                })
                .collect();
            run.linear_train_loss = losses(&linear.train, &y);
            run.linear_test_loss = losses(&linear.test, &y_test);
            widest = Some(Widest {
                width: m,
                rec,
                linear,
            });
        }
        training.runs.push(run);
        training.snapshots = snapshots(widest.as_ref());
        training.snapshot_width = widest.as_ref().map(|w| w.width);
        training.drift_by_width = drift_by_width(&training.runs, p.network.parameterization);
        r.step(base + p.steps, format!("width {m} trained"))?;
        r.part(Part::Training(training.clone()));
    }

    // Spectral bias: the widest net's residual per eigenmode of the analytic Gram,
    // beside the same projection of its own linearisation's residual.
    let modes = match &widest {
        Some(w) => {
            let circle = p.data.on_circle();
            let modes = Modes {
                times,
                modes: mode_lines(
                    &lambda,
                    &vectors,
                    &y,
                    &w.rec.train_predictions,
                    &w.linear.train,
                    circle,
                )?,
                width: w.width,
                circle,
            };
            r.step(r.total, "residual per eigenmode")?;
            r.part(Part::Modes(modes.clone()));
            Some(modes)
        }
        None => None,
    };
    Ok(Output { training, modes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn small(lr: f64, widths: Vec<usize>) -> Params {
        Params {
            network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
            widths,
            data: DataSpec {
                n: 16,
                ..DataSpec::default()
            },
            target: Target::harmonics(&[1, 4]),
            n_test: 32,
            learning_rate: lr,
            steps: 120,
            snapshots: vec![0, 10, 120],
            ..Params::default()
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_drift_at_the_end_falls_with_the_width() {
        // Lee et al. 2019: in the NTK parameterization the NTK moves by O(1/√m). Three
        // widths a factor 4 apart: the drift falls at every step up in width, and the
        // fitted slope is that of the runs' own last drifts.
        let out = run(&small(0.5, vec![64, 256, 1024]), &mut ()).unwrap();
        let t = &out.training;
        let d = t.drift_by_width.as_ref().expect("three trained widths");
        assert_eq!(d.widths, vec![64, 256, 1024]);
        for (i, r) in t.runs.iter().enumerate() {
            assert_eq!(d.drift[i], *r.drift.last().unwrap());
        }
        assert!(
            d.drift[0] > d.drift[1] && d.drift[1] > d.drift[2],
            "{:?}",
            d.drift
        );
        // Least squares through 3 points by hand: slope = Σ(u−ū)(v−v̄)/Σ(u−ū)².
        let u: Vec<f64> = [64f64, 256.0, 1024.0].iter().map(|m| m.ln()).collect();
        let v: Vec<f64> = d.drift.iter().map(|x| x.ln()).collect();
        let (ub, vb) = (u.iter().sum::<f64>() / 3.0, v.iter().sum::<f64>() / 3.0);
        let slope = u
            .iter()
            .zip(&v)
            .map(|(a, b)| (a - ub) * (b - vb))
            .sum::<f64>()
            / u.iter().map(|a| (a - ub).powi(2)).sum::<f64>();
        assert!(
            (d.fit.slope - slope).abs() < 1e-12,
            "{} vs {slope}",
            d.fit.slope
        );
        assert_eq!(d.theory_slope, Some(-0.5));
        // Two widths: no fit.
        let two = run(&small(0.5, vec![64, 1024]), &mut ()).unwrap();
        assert!(two.training.drift_by_width.is_none());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn records_the_requested_steps() {
        assert_eq!(record_steps(30, &[7]), (0..=30).collect::<Vec<_>>());
        let s = record_steps(300, &[7, 300, 301]);
        assert!(s.contains(&7) && s.contains(&300) && !s.contains(&301));
        assert_eq!(s.len(), 32);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn lazy_training_and_linearisation_against_width() {
        let out = run(&small(0.5, vec![64, 1024]), &mut ()).unwrap();
        let t = &out.training;
        assert!(t.critical.unwrap() > 0.5);
        assert_eq!(t.times.len(), t.kernel_train.len());
        assert_eq!(t.times[1], 0.5 * 4.0, "t = η·steps at step 4");
        // Kernel gradient descent never increases the expected training loss... of
        // its mean; with the variance term it is still monotone for η below critical.
        assert!(t.kernel_train.windows(2).all(|w| w[1] <= w[0] + 1e-15));
        // Lazy training: the wider net's kernel moves less (Lee et al. 2019).
        let last = |r: &TrainRun| *r.drift.last().unwrap();
        assert!(last(&t.runs[1]) < 0.5 * last(&t.runs[0]), "{:?}", t.runs);
        assert_eq!(t.snapshots.len(), 3);
        assert_eq!(t.snapshots[2].net.len(), 32);
        assert_eq!(t.abscissa, Abscissa::Angle);
        assert!(t.x.windows(2).all(|w| w[0] < w[1]), "angles sorted");
        // The widest net ends close to its own linearisation, closer than the narrow.
        let s = &t.snapshots[2];
        let gap: f64 = s
            .net
            .iter()
            .zip(&s.linear)
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        let size: f64 = s.linear.iter().map(|b| b * b).sum();
        assert!(gap < 0.01 * size, "gap {gap}, size {size}");
        let final_gap = |r: &TrainRun| *r.linear_gap.last().unwrap();
        assert!(final_gap(&t.runs[1]) < 0.5 * final_gap(&t.runs[0]));
        // Spectral bias: frequency 1 before frequency 4, as the linearisation says.
        let modes = out.modes.unwrap();
        assert_eq!(modes.width, 1024);
        assert_eq!(modes.modes[0].frequency, Some(1));
        assert_eq!(modes.modes[1].frequency, Some(4));
        let mid = modes.modes[0].measured.len() / 4;
        assert!(modes.modes[0].measured[mid] < modes.modes[1].measured[mid]);
        for mode in &modes.modes {
            for (a, b) in mode.measured.iter().zip(&mode.theory) {
                assert!((a - b).abs() < 0.05, "{mode:?}");
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn above_the_critical_rate_the_net_trains_until_it_diverges_and_nothing_is_nan() {
        let out = run(&small(50.0, vec![64]), &mut ()).unwrap();
        let t = &out.training;
        assert!(t.critical.unwrap() < 50.0 && t.kernel_train.is_empty());
        let r = &t.runs[0];
        assert!(r.diverged && r.critical.unwrap() < 50.0);
        // η = 50 is tens of times the critical rate: the loss passes 10⁶ × its start
        // within a few steps, and the curves end there, finite.
        let stop = r.diverged_at.expect("it diverges");
        assert!(stop > 0 && r.train_loss.len() < t.times.len(), "{stop}");
        assert_eq!(r.train_loss.len(), r.drift.len());
        assert!(r
            .train_loss
            .iter()
            .chain(&r.test_loss)
            .chain(&r.drift)
            .all(|v| v.is_finite()));
        assert!(r.linear_train_loss.is_empty());
        assert!(out.modes.is_none());
    }
}
