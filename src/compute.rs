//! What the worker does with a request: pure and synchronous, tested natively. A job
//! emits progress and partial results through a callback as it goes.

use ntk_core::data::{project_rows, sample, Distribution};
use ntk_core::dynamics::{ensemble_gd_losses, linearised_gd, losses, KernelKind};
use ntk_core::empirical::width_sweep;
use ntk_core::experiments::{
    circle_profile, kernel_regression_mse, kernel_regression_mse_on, sensitivity, sensitivity_on,
    shuffled_rows,
};
use ntk_core::generalization::{bound_curve, bound_curve_on};
use ntk_core::kernel::{kernel_matrix, nngp_diagonal, FcNetwork, Kernels, Parameterization};
use ntk_core::linalg::{symmetric_eigen, Matrix};
use ntk_core::network::{Mlp, MlpSpec};
use ntk_core::spectral::dominant_frequency;
use ntk_core::spectral::{project, residual_modes};
use ntk_core::sphere::sphere_eigenvalues;
use ntk_core::targets::targets;
use ntk_core::train::{critical_learning_rate, train_at, TrainSetup};

use crate::protocol::{
    ConvergenceJob, ConvergenceLine, DataSpec, GeneralizationJob, Job, LabJob, ModeLine, Part,
    Request, Response, Snapshot, TrainRun, TrainingJob, WidthProfile, SEED_CURVES,
};

/// How many eigenvectors the spectrum panel draws.
const TOP_VECTORS: usize = 4;

fn pick(k: &Kernels, kind: KernelKind) -> &Matrix {
    match kind {
        KernelKind::Ntk => &k.ntk,
        KernelKind::Nngp => &k.nngp,
    }
}

/// Run one request, posting every message through `post`. Errors become
/// [`Response::Failed`] with the core's message.
pub fn handle(request: Request, post: &mut dyn FnMut(Response)) {
    let generation = request.generation;
    let result = match request.job {
        Job::Lab(job) => run_lab(&job, generation, post),
        Job::Convergence(job) => run_convergence(&job, generation, post),
        Job::Training(job) => run_training(&job, generation, post),
        Job::Generalization(job) => run_generalization(&job, generation, post),
    };
    post(match result {
        Ok(()) => Response::Done { generation },
        Err(message) => Response::Failed {
            generation,
            message,
        },
    });
}

/// The inputs of a data spec: the user's points or samples of its distribution,
/// projected onto the unit sphere when asked.
pub fn inputs(d: &DataSpec) -> Result<Matrix, String> {
    match &d.points {
        Some(p) => {
            let m = Matrix::from_row_major(p.rows, p.cols, p.x.clone()).map_err(err)?;
            Ok(if d.project { project_rows(m) } else { m })
        }
        None => sample(d.distribution, d.n, d.d, d.seed, d.project).map_err(err),
    }
}

/// The first `count` rows of `m` and the rest.
fn split_rows(m: &Matrix, count: usize) -> Result<(Matrix, Matrix), String> {
    let c = m.cols();
    let (a, b) = m.as_slice().split_at(count * c);
    Ok((
        Matrix::from_row_major(count, c, a.to_vec()).map_err(err)?,
        Matrix::from_row_major(m.rows() - count, c, b.to_vec()).map_err(err)?,
    ))
}

/// How many of a user's rows are held out as the test set: a fifth (at least 2)
/// when there are 10 rows or more, else none (the test set is then the training set).
pub fn held_out(rows: usize) -> usize {
    if rows >= 10 {
        (rows / 5).max(2)
    } else {
        0
    }
}

/// The seeds' curves of one kernel profile, with their mean and the standard error of
/// that mean.
struct Moments {
    curves: Vec<Vec<f64>>,
}

impl Moments {
    fn new() -> Self {
        Moments { curves: Vec::new() }
    }

    fn add(&mut self, values: &[f64]) {
        self.curves.push(values.to_vec());
    }

    /// Mean, standard error of the mean (sample std/√seeds; 0 for one seed) and the
    /// seeds' curves (none above [`SEED_CURVES`]).
    fn profile(&self, width: usize, analytic: Option<Vec<f64>>) -> WidthProfile {
        let count = self.curves.len();
        let s = count.max(1) as f64;
        let points = self.curves.first().map_or(0, Vec::len);
        let mean: Vec<f64> = (0..points)
            .map(|i| self.curves.iter().map(|c| c[i]).sum::<f64>() / s)
            .collect();
        let sem = (0..points)
            .map(|i| {
                if count < 2 {
                    return 0.0;
                }
                let var = self
                    .curves
                    .iter()
                    .map(|c| (c[i] - mean[i]).powi(2))
                    .sum::<f64>()
                    / (s - 1.0);
                (var / s).sqrt()
            })
            .collect();
        WidthProfile {
            width,
            mean,
            sem,
            seeds: if count <= SEED_CURVES {
                self.curves.clone()
            } else {
                Vec::new()
            },
            analytic,
        }
    }
}

fn run_lab(job: &LabJob, generation: u64, post: &mut dyn FnMut(Response)) -> Result<(), String> {
    let e = |e: ntk_core::NtkError| e.to_string();
    let total = 1 + job.widths.len() * job.seeds + 2;
    let mut done = 0;
    let progress = |done: usize, stage: String, post: &mut dyn FnMut(Response)| {
        post(Response::Progress {
            generation,
            done,
            total,
            stage,
        })
    };

    // The data (heatmaps, spectrum, and the training set when the nets are trained).
    let d = &job.data;
    let x = inputs(d)?;
    let user_y = d.points.as_ref().and_then(|p| p.y.clone());
    let train_y = match (&job.train, user_y) {
        (Some(_), Some(y)) => Some(y),
        (Some(t), None) => Some(targets(&t.target, &x, 0.0, 0).map_err(e)?),
        (None, _) => None,
    };
    let trained_steps = job.train.as_ref().map_or(0, |t| t.steps);

    // 1. The analytic circle profile. In the standard parameterization the kernel
    //    depends on the width: there is no one limit, and each width is compared with
    //    its own analytic kernel (below).
    let standard = job.network.parameterization == Parameterization::Standard;
    let pick_profile = |p: &ntk_core::experiments::CircleProfile| match job.kernel {
        KernelKind::Ntk => p.ntk.clone(),
        KernelKind::Nngp => p.nngp.clone(),
    };
    // The profile also gives the angles γ of the grid.
    let profile = circle_profile(&job.network, job.points).map_err(e)?;
    let analytic = (!standard).then(|| pick_profile(&profile));
    let width_analytic = |m: usize| -> Result<Option<Vec<f64>>, String> {
        if !standard {
            return Ok(None);
        }
        let net = FcNetwork {
            width: Some(m),
            ..job.network
        };
        Ok(Some(pick_profile(
            &circle_profile(&net, job.points).map_err(e)?,
        )))
    };
    done += 1;
    progress(done, "analytic kernel on the circle".into(), post);
    let mut widths = Vec::new();
    let mut trained = Vec::new();
    let circle_part = |widths: &Vec<WidthProfile>, trained: &Vec<WidthProfile>| Part::Circle {
        gamma: profile.gamma.clone(),
        analytic: analytic.clone(),
        widths: widths.clone(),
        trained: trained.clone(),
        trained_steps,
        seeds: job.seeds,
    };
    post(Response::Partial {
        generation,
        part: circle_part(&widths, &trained),
    });

    // 2. Finite widths, each streamed as it finishes; with training, each net is
    //    measured again after gradient descent on the data (Jacot et al. 2018, Fig. 1).
    let x0 = Matrix::from_row_major(1, 2, vec![1.0, 0.0]).map_err(e)?;
    let xs = Matrix::from_row_major(
        job.points,
        2,
        profile
            .gamma
            .iter()
            .flat_map(|g| [g.cos(), g.sin()])
            .collect(),
    )
    .map_err(e)?;
    let row = |net: &Mlp| -> Result<Vec<f64>, String> {
        let k = net.empirical_kernels(&x0, Some(&xs)).map_err(e)?;
        Ok(pick(&k, job.kernel).row(0).to_vec())
    };
    for &m in &job.widths {
        let spec = MlpSpec::from_network(&job.network, m);
        let mut before = Moments::new();
        let mut after = Moments::new();
        for seed in 0..job.seeds {
            let mut net = Mlp::init(&spec, 2, seed as u64).map_err(e)?;
            before.add(&row(&net)?);
            if let (Some(t), Some(y)) = (&job.train, &train_y) {
                if x.cols() != 2 {
                    return Err(
                        "training before measuring the kernel on the circle needs inputs in d = 2"
                            .into(),
                    );
                }
                let (_, critical) = critical_learning_rate(&net, &x).map_err(e)?;
                if t.learning_rate >= critical {
                    return Err(format!(
                        "learning rate η = {} is above the critical 2N/λ_max(Θ̂₀) = {} of the width-{m} net: gradient descent would diverge; lower η",
                        ntk_plots::fmt3(t.learning_rate),
                        ntk_plots::fmt3(critical)
                    ));
                }
                for _ in 0..t.steps {
                    net.gd_step(&x, y, t.learning_rate).map_err(e)?;
                }
                after.add(&row(&net)?);
            }
            done += 1;
            progress(done, format!("width {m}, seed {}", seed + 1), post);
        }
        widths.push(before.profile(m, width_analytic(m)?));
        if job.train.is_some() {
            trained.push(after.profile(m, None));
        }
        post(Response::Partial {
            generation,
            part: circle_part(&widths, &trained),
        });
    }

    // 3. Heatmaps on the data.
    let widest = job.widths.iter().copied().max().unwrap_or(512);
    // The analytic Gram of the width shown (it matters in the standard parameterization).
    let exact_net = FcNetwork {
        width: Some(widest),
        ..job.network
    };
    let exact = kernel_matrix(&exact_net, &x, None).map_err(e)?;
    let net = Mlp::init(
        &MlpSpec::from_network(&job.network, widest),
        x.cols(),
        d.seed,
    )
    .map_err(e)?;
    let empirical = net.empirical_kernels(&x, None).map_err(e)?;
    done += 1;
    progress(done, "Gram matrices on the data".into(), post);
    post(Response::Partial {
        generation,
        part: Part::Heatmaps {
            n: x.rows(),
            analytic: pick(&exact, job.kernel).as_slice().to_vec(),
            empirical: pick(&empirical, job.kernel).as_slice().to_vec(),
            width: widest,
            seed: d.seed,
        },
    });

    // 4. The spectrum of the analytic Gram.
    let gram = pick(&exact, job.kernel);
    let (lambda, v) = symmetric_eigen(gram).map_err(e)?;
    let n = x.rows();
    let eigenvalues: Vec<f64> = lambda.iter().rev().map(|l| l / n as f64).collect();
    let (uniform, analytic_note) = funk_hecke_applies(d);
    let analytic = if uniform {
        let k_max = 200.min(4 * n);
        let s = sphere_eigenvalues(&job.network, x.cols(), k_max).map_err(e)?;
        let values = match job.kernel {
            KernelKind::Ntk => &s.ntk,
            KernelKind::Nngp => &s.nngp,
        };
        let mut expanded: Vec<f64> = Vec::new();
        for (mu, mult) in values.iter().zip(&s.multiplicity) {
            let count = (*mult as usize).min(n);
            expanded.extend(std::iter::repeat_n(*mu, count));
            if expanded.len() >= 4 * n {
                break;
            }
        }
        expanded.sort_by(|a, b| b.total_cmp(a));
        expanded.truncate(n);
        Some(expanded)
    } else {
        None
    };
    let sampled = d.points.is_none();
    let circle = sampled && matches!(d.distribution, Distribution::Circle);
    let (xaxis, order): (Vec<f64>, Vec<usize>) = if circle {
        let mut idx: Vec<usize> = (0..n).collect();
        let angle = |i: usize| x.get(i, 1).atan2(x.get(i, 0));
        idx.sort_by(|&a, &b| angle(a).total_cmp(&angle(b)));
        (idx.iter().map(|&i| angle(i)).collect(), idx)
    } else {
        ((0..n).map(|i| i as f64).collect(), (0..n).collect())
    };
    let top = TOP_VECTORS.min(n);
    let mut vectors = Vec::with_capacity(top);
    let mut labels = Vec::with_capacity(top);
    for (r, ev) in eigenvalues.iter().enumerate().take(top) {
        let col = n - 1 - r;
        let vec: Vec<f64> = order.iter().map(|&i| v.get(i, col)).collect();
        labels.push(if circle {
            let f = dominant_frequency(&vec);
            format!(
                "v{} (frequency {}, {:.0}% of energy)",
                r + 1,
                f.frequency,
                100.0 * f.share
            )
        } else {
            format!("v{} (λ/n = {})", r + 1, ntk_plots::fmt3(*ev))
        });
        vectors.push(vec);
    }
    done += 1;
    progress(done, "eigen-decomposition".into(), post);
    post(Response::Partial {
        generation,
        part: Part::Spectrum {
            eigenvalues,
            analytic,
            analytic_note,
            x: xaxis,
            angle: circle,
            vectors,
            labels,
        },
    });
    Ok(())
}

/// Whether the Funk–Hecke eigenvalues μ_k describe the Gram matrix of these data: they
/// are the eigenvalues of the kernel's integral operator for the *uniform* measure on
/// the sphere, so they apply to uniform samples on the sphere or circle and to
/// projected Gaussian samples (which are uniform on the sphere), and to nothing else.
/// Otherwise the reason, to show in place of the overlay.
pub fn funk_hecke_applies(d: &DataSpec) -> (bool, Option<String>) {
    if d.points.is_some() {
        return (
            false,
            Some("no Funk–Hecke μ_k: your points are not uniform on a sphere".into()),
        );
    }
    if d.d < 2 {
        return (false, Some("no Funk–Hecke μ_k: they need d ≥ 2".into()));
    }
    match d.distribution {
        Distribution::Sphere | Distribution::Circle => (true, None),
        Distribution::Gaussian if d.project => (true, None),
        _ if d.project => (
            false,
            Some(format!(
                "no Funk–Hecke μ_k: projected {} data are not uniform on the sphere",
                d.distribution.name()
            )),
        ),
        _ => (
            false,
            Some("no Funk–Hecke μ_k: the data are not on a sphere".into()),
        ),
    }
}

/// Posts progress and parts of one job.
struct Reporter<'a> {
    generation: u64,
    total: usize,
    done: usize,
    post: &'a mut dyn FnMut(Response),
}

impl Reporter<'_> {
    fn progress(&mut self, done: usize, stage: String) {
        self.done = done.min(self.total);
        (self.post)(Response::Progress {
            generation: self.generation,
            done: self.done,
            total: self.total,
            stage,
        });
    }

    fn part(&mut self, part: Part) {
        (self.post)(Response::Partial {
            generation: self.generation,
            part,
        });
    }
}

fn err(e: ntk_core::NtkError) -> String {
    e.to_string()
}

/// How a distribution is named in legends: "laplace (sub-exponential)".
pub fn distribution_label(dist: &Distribution) -> String {
    match dist {
        Distribution::StudentT { nu } => format!("student_t ν = {nu} ({})", dist.tail_class()),
        _ => format!("{} ({})", dist.name(), dist.tail_class()),
    }
}

fn run_convergence(
    job: &ConvergenceJob,
    generation: u64,
    post: &mut dyn FnMut(Response),
) -> Result<(), String> {
    let per = job.widths.len() * job.seeds;
    let mut r = Reporter {
        generation,
        total: per * job.distributions.len(),
        done: 0,
        post,
    };
    let spec = MlpSpec::from_network(&job.network, job.widths[0]);
    let mut lines = Vec::new();
    for (k, dist) in job.distributions.iter().enumerate() {
        let x = sample(*dist, job.n, job.d, job.seed, false).map_err(err)?;
        let label = distribution_label(dist);
        let sweep = width_sweep(&spec, &x, &job.widths, job.seeds, |p| {
            r.progress(k * per + p.done, format!("{label}: {}", p.stage));
            true
        })
        .map_err(err)?;
        lines.push(ConvergenceLine {
            label,
            points: sweep.points,
        });
        r.part(Part::Convergence {
            lines: lines.clone(),
            seeds: job.seeds,
            n: job.n,
            d: job.d,
        });
    }
    if let Some(p) = &job.user {
        let x = Matrix::from_row_major(p.rows, p.cols, p.x.clone()).map_err(err)?;
        let label = format!("your data: {} ({} × {})", p.name, p.rows, p.cols);
        let base = r.done;
        r.total += per;
        let sweep = width_sweep(&spec, &x, &job.widths, job.seeds, |q| {
            r.progress(base + q.done, format!("{label}: {}", q.stage));
            true
        })
        .map_err(err)?;
        lines.push(ConvergenceLine {
            label,
            points: sweep.points,
        });
        r.part(Part::Convergence {
            lines,
            seeds: job.seeds,
            n: job.n,
            d: job.d,
        });
    }
    Ok(())
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

/// The training set (inputs, targets with label noise) and the test set of the
/// training panel, with the abscissa of its function plot. Test inputs: equally
/// spaced angles on the circle (offset by half a spacing from the training points);
/// samples of the distribution; or, for a user's file, its last rows (see
/// [`held_out`]). The abscissa is the angle on the circle, x itself in one dimension,
/// otherwise the target value (the ideal fit is then the diagonal); the test set is
/// sorted by it.
struct TrainingSets {
    x: Matrix,
    y: Vec<f64>,
    x_test: Matrix,
    y_test: Vec<f64>,
    abscissa: Vec<f64>,
    label: String,
}

fn training_sets(job: &TrainingJob) -> Result<TrainingSets, String> {
    let d = &job.data;
    let circle = d.points.is_none() && d.distribution == Distribution::Circle;
    let (x, y, x_test, y_test) = if let Some(p) = &d.points {
        let all = inputs(d)?;
        let y_all = match &p.y {
            Some(y) => y.clone(),
            None => targets(&job.target, &all, 0.0, 0).map_err(err)?,
        };
        let hold = held_out(p.rows);
        if hold == 0 {
            (all.clone(), y_all.clone(), all, y_all)
        } else {
            let keep = p.rows - hold;
            let (a, b) = split_rows(&all, keep)?;
            (a, y_all[..keep].to_vec(), b, y_all[keep..].to_vec())
        }
    } else {
        let x = sample(d.distribution, d.n, d.d, d.seed, d.project).map_err(err)?;
        let y = targets(&job.target, &x, job.noise, d.seed).map_err(err)?;
        let m = job.n_test;
        let x_test = if circle {
            let pi = std::f64::consts::PI;
            let pts = (0..m)
                .flat_map(|j| {
                    let g = -pi + 2.0 * pi * (j as f64 + 0.5) / m as f64;
                    [g.cos(), g.sin()]
                })
                .collect();
            Matrix::from_row_major(m, 2, pts).map_err(err)?
        } else {
            sample(d.distribution, m, d.d, d.seed ^ 0x7e57, d.project).map_err(err)?
        };
        let y_test = targets(&job.target, &x_test, 0.0, 0).map_err(err)?;
        (x, y, x_test, y_test)
    };
    let m = x_test.rows();
    let (abscissa, label): (Vec<f64>, &str) = if circle {
        (
            (0..m)
                .map(|i| x_test.get(i, 1).atan2(x_test.get(i, 0)))
                .collect(),
            "angle γ of the test input (rad)",
        )
    } else if x_test.cols() == 1 {
        ((0..m).map(|i| x_test.get(i, 0)).collect(), "test input x")
    } else {
        (y_test.clone(), "target y(x) of the test input (sorted)")
    };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| abscissa[a].total_cmp(&abscissa[b]));
    let rows: Vec<f64> = order.iter().flat_map(|&i| x_test.row(i).to_vec()).collect();
    Ok(TrainingSets {
        x_test: Matrix::from_row_major(m, x_test.cols(), rows).map_err(err)?,
        abscissa: order.iter().map(|&i| abscissa[i]).collect(),
        label: label.into(),
        y_test: order.iter().map(|&i| y_test[i]).collect(),
        x,
        y,
    })
}

fn run_training(
    job: &TrainingJob,
    generation: u64,
    post: &mut dyn FnMut(Response),
) -> Result<(), String> {
    let d = &job.data;
    let TrainingSets {
        x,
        y,
        x_test,
        y_test,
        abscissa,
        label: x_label,
    } = training_sets(job)?;
    let n_train = x.rows();
    let steps = record_steps(job.steps, &job.snapshots);
    let lr = job.learning_rate;
    let times: Vec<f64> = steps.iter().map(|&s| lr * s as f64).collect();
    let mut r = Reporter {
        generation,
        total: 1 + job.widths.len() * job.steps.max(1) + 1,
        done: 0,
        post,
    };

    // The infinite-width ensemble: expected losses over initialisations (mean and
    // variance, f₀ ~ GP(0, K)) and its mean function.
    let k_train = kernel_matrix(&job.network, &x, None).map_err(err)?;
    let k_cross = kernel_matrix(&job.network, &x_test, Some(&x)).map_err(err)?;
    let test_diag = nngp_diagonal(&job.network, &x_test).map_err(err)?;
    let k_tt = &k_train.ntk;
    let (lambda, vectors) = symmetric_eigen(k_tt).map_err(err)?;
    let n = n_train as f64;
    let lambda_max = lambda.last().copied().unwrap_or(0.0);
    let critical = finite(2.0 * n / lambda_max);
    let ensemble = if critical.is_none_or(|c| lr < c) {
        Some(
            ensemble_gd_losses(
                k_tt,
                &k_cross.ntk,
                &k_train.nngp,
                &k_cross.nngp,
                &test_diag,
                &y,
                &y_test,
                lr,
                &steps,
            )
            .map_err(err)?,
        )
    } else {
        None
    };
    let (kernel_train, kernel_test) = ensemble.as_ref().map_or((Vec::new(), Vec::new()), |e| {
        (e.train.clone(), e.test.clone())
    });
    r.progress(1, "infinite-width ensemble".into());

    struct Widest {
        width: usize,
        rec: ntk_core::train::TrainRecord,
        linear: ntk_core::dynamics::LinearisedPath,
    }
    let mut runs: Vec<TrainRun> = Vec::new();
    let mut widest: Option<Widest> = None;
    let training_part = |runs: &[TrainRun], widest: &Option<Widest>| {
        let snapshots = job
            .snapshots
            .iter()
            .filter_map(|&s| {
                let i = steps.iter().position(|&v| v == s)?;
                Some(Snapshot {
                    step: s,
                    net: widest
                        .as_ref()
                        .map(|w| w.rec.test_predictions[i].clone())
                        .unwrap_or_default(),
                    linear: widest
                        .as_ref()
                        .map(|w| w.linear.test[i].clone())
                        .unwrap_or_default(),
                    kernel: ensemble
                        .as_ref()
                        .map(|e| e.test_mean[i].clone())
                        .unwrap_or_default(),
                })
            })
            .collect();
        Part::Training {
            steps: steps.clone(),
            times: times.clone(),
            learning_rate: lr,
            kernel_train: kernel_train.clone(),
            kernel_test: kernel_test.clone(),
            critical,
            runs: runs.to_vec(),
            x: abscissa.clone(),
            x_label: x_label.clone(),
            target: y_test.clone(),
            snapshots,
            snapshot_width: widest.as_ref().map(|w| w.width),
        }
    };
    r.part(training_part(&runs, &widest));

    let report_every = (job.steps / 25).max(1);
    let rms = |v: &[f64]| (v.iter().map(|a| a * a).sum::<f64>() / v.len().max(1) as f64).sqrt();
    let y_scale = rms(&y_test).max(f64::MIN_POSITIVE);
    for (k, &m) in job.widths.iter().enumerate() {
        let spec = MlpSpec::from_network(&job.network, m);
        let setup = TrainSetup {
            spec: &spec,
            seed: d.seed,
            x_train: &x,
            y_train: &y,
            x_test: Some(&x_test),
            y_test: Some(&y_test),
            learning_rate: lr,
            steps: job.steps,
            record_every: 1,
        };
        let base = 1 + k * job.steps.max(1);
        let result = train_at(&setup, &steps, |s| {
            if s % report_every == 0 {
                r.progress(
                    base + s,
                    format!("training width {m}: step {s} of {}", job.steps),
                );
            }
            true
        });
        match result {
            Ok(rec) => {
                // The same network's linearisation: its own f₀ and Θ̂₀ (the seed gives
                // the same initialisation as the run above).
                let net0 = Mlp::init(&spec, x.cols(), d.seed).map_err(err)?;
                let k0 = net0.empirical_kernels(&x, None).map_err(err)?.ntk;
                let k0_cross = net0.empirical_kernels(&x_test, Some(&x)).map_err(err)?.ntk;
                let linear = linearised_gd(
                    &k0,
                    &k0_cross,
                    &rec.train_predictions[0],
                    &rec.test_predictions[0],
                    &y,
                    lr,
                    &steps,
                )
                .map_err(err)?;
                let gap = rec
                    .test_predictions
                    .iter()
                    .zip(&linear.test)
                    .map(|(f, l)| {
                        let diff: Vec<f64> = f.iter().zip(l).map(|(a, b)| a - b).collect();
                        rms(&diff) / y_scale
                    })
                    .collect();
                runs.push(TrainRun {
                    width: m,
                    train_loss: rec.train_loss.clone(),
                    test_loss: rec.test_loss.clone(),
                    drift: rec.ntk_drift.clone(),
                    critical: finite(rec.critical_learning_rate),
                    warning: None,
                    linear_train_loss: losses(&linear.train, &y),
                    linear_test_loss: losses(&linear.test, &y_test),
                    linear_gap: gap,
                });
                if widest.as_ref().is_none_or(|w| m >= w.width) {
                    widest = Some(Widest {
                        width: m,
                        rec,
                        linear,
                    });
                }
            }
            Err(ntk_core::NtkError::Diverges { critical, .. }) => runs.push(TrainRun {
                width: m,
                train_loss: Vec::new(),
                test_loss: Vec::new(),
                drift: Vec::new(),
                critical: Some(critical),
                warning: Some(format!(
                    "width {m}: η = {} is above this net's critical learning rate 2N/λ_max(Θ̂₀) = {}; gradient descent would diverge, so it was not run",
                    ntk_plots::fmt3(lr),
                    ntk_plots::fmt3(critical)
                )),
                linear_train_loss: Vec::new(),
                linear_test_loss: Vec::new(),
                linear_gap: Vec::new(),
            }),
            Err(e) => return Err(err(e)),
        }
        r.progress(base + job.steps.max(1), format!("width {m} trained"));
        r.part(training_part(&runs, &widest));
    }

    // Spectral bias: the widest net's residual per eigenmode of the analytic Gram (per
    // frequency on the circle), beside the same projection of its own linearisation's
    // residual (I − ηΘ̂₀/N)^s (f₀ − y): the theory of that net, with no unexplained floor.
    if let Some(w) = &widest {
        let circle = d.points.is_none() && d.distribution == Distribution::Circle;
        let modes = mode_lines(
            &lambda,
            &vectors,
            &y,
            &w.rec.train_predictions,
            &w.linear.train,
            circle,
        )
        .map_err(err)?;
        r.progress(r.total, "residual per eigenmode".into());
        r.part(Part::Modes {
            times: times.clone(),
            modes,
            width: w.width,
            circle,
        });
    }
    Ok(())
}

/// A critical learning rate 2N/λ_max, or `None` when λ_max ≤ 0 (a zero kernel: no
/// rate diverges).
fn finite(x: f64) -> Option<f64> {
    (x.is_finite() && x > 0.0).then_some(x)
}

/// How many modes (or frequencies) the spectral-bias panel follows.
const MODES_SHOWN: usize = 5;

/// The residual of `predictions` (one per recorded step) per eigenmode of the
/// analytic Gram matrix (λ ascending, as `symmetric_eigen` returns them), relative to
/// its value at the first record, beside the same quantity for `theory` (the same
/// net's linearised predictions). On the circle the modes are grouped by their
/// dominant frequency (the cos and sin of one frequency share an eigenvalue). The modes
/// shown are those carrying most of the target; λ/N in the label is the infinite-width
/// rate of the mode, e^(−λt/N).
pub fn mode_lines(
    lambda: &[f64],
    vectors: &Matrix,
    y: &[f64],
    predictions: &[Vec<f64>],
    theory: &[Vec<f64>],
    circle: bool,
) -> Result<Vec<ModeLine>, ntk_core::NtkError> {
    let n = y.len();
    let cy = project(vectors, y)?;
    let comps = residual_modes(vectors, predictions, y)?;
    let lin = residual_modes(vectors, theory, y)?;
    // Group the eigenvectors.
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for k in 0..lambda.len() {
        let key = if circle {
            let col: Vec<f64> = (0..n).map(|i| vectors.get(i, k)).collect();
            dominant_frequency(&col).frequency
        } else {
            k
        };
        match groups.iter_mut().find(|(g, _)| *g == key) {
            Some((_, members)) => members.push(k),
            None => groups.push((key, vec![k])),
        }
    }
    let energy = |members: &[usize], c: &[f64]| members.iter().map(|&k| c[k] * c[k]).sum::<f64>();
    let total: f64 = cy.iter().map(|c| c * c).sum();
    let mut chosen: Vec<&(usize, Vec<usize>)> = groups
        .iter()
        .filter(|(_, m)| energy(m, &cy) > 1e-6 * total)
        .collect();
    chosen.sort_by(|a, b| energy(&b.1, &cy).total_cmp(&energy(&a.1, &cy)));
    chosen.truncate(MODES_SHOWN);
    let mean_lambda = |m: &[usize]| m.iter().map(|&k| lambda[k]).sum::<f64>() / m.len() as f64;
    chosen.sort_by(|a, b| mean_lambda(&b.1).total_cmp(&mean_lambda(&a.1)));
    let nn = n as f64;
    Ok(chosen
        .into_iter()
        .map(|(key, members)| {
            let start = energy(members, &comps[0]).max(f64::MIN_POSITIVE);
            let start_lin = energy(members, &lin[0]).max(f64::MIN_POSITIVE);
            let l = mean_lambda(members) / nn;
            let measured = comps
                .iter()
                .map(|c| (energy(members, c) / start).sqrt())
                .collect();
            let theory = lin
                .iter()
                .map(|c| (energy(members, c) / start_lin).sqrt())
                .collect();
            let label = if circle {
                format!("frequency {key} (λ/N = {})", ntk_plots::fmt3(l))
            } else {
                format!("mode {} (λ/N = {})", lambda.len() - key, ntk_plots::fmt3(l))
            };
            ModeLine {
                label,
                lambda: l,
                theory,
                measured,
            }
        })
        .collect())
}

/// Up to `count` distinct whole numbers spaced geometrically from `lo` to `hi`.
pub fn geometric(lo: usize, hi: usize, count: usize) -> Vec<usize> {
    let (a, b) = ((lo.max(1) as f64).ln(), (hi.max(lo).max(1) as f64).ln());
    let mut v: Vec<usize> = (0..count)
        .map(|i| {
            (a + (b - a) * i as f64 / (count.max(2) - 1) as f64)
                .exp()
                .round() as usize
        })
        .collect();
    v.dedup();
    v
}

/// The input dimensions of the sensitivity sweep.
pub const SENSITIVITY_DIMS: [usize; 5] = [2, 4, 8, 16, 32];

fn run_generalization(
    job: &GeneralizationJob,
    generation: u64,
    post: &mut dyn FnMut(Response),
) -> Result<(), String> {
    let d = &job.data;
    if let Some(p) = &d.points {
        return run_generalization_user(job, p, generation, post);
    }
    let n_values = geometric((d.n / 8).max(8).min(d.n), d.n, 6);
    if n_values.len() < 3 {
        return Err("the generalization curves need n ≥ 24 (set n higher)".into());
    }
    let reg = 1e-6;
    let mut r = Reporter {
        generation,
        total: 1 + n_values.len() + n_values.len() + SENSITIVITY_DIMS.len(),
        done: 0,
        post,
    };
    let points = bound_curve(d.distribution, d.d, &job.target, &n_values, d.seed).map_err(err)?;
    r.progress(1, "Arora et al. bound".into());
    r.part(Part::Bound { points });

    let mut mse = Vec::new();
    for (k, &n) in n_values.iter().enumerate() {
        mse.push(
            kernel_regression_mse(
                &job.network,
                d.distribution,
                d.d,
                d.project,
                &job.target,
                n,
                job.n_test,
                reg,
                d.seed,
            )
            .map_err(err)?,
        );
        r.progress(2 + k, format!("learning curve: n = {n}"));
    }
    r.part(Part::LearningCurve {
        n: n_values.clone(),
        mse,
    });

    let sens = |dist: Distribution, dim: usize, n: usize| {
        sensitivity(
            &job.network,
            dist,
            dim,
            d.project,
            &job.target,
            n,
            job.n_test,
            reg,
            d.seed,
        )
        .map_err(err)
    };
    let mut by_n = Vec::new();
    for (k, &n) in n_values.iter().enumerate() {
        by_n.push(sens(d.distribution, d.d, n)?);
        r.progress(2 + n_values.len() + k, format!("sensitivity: n = {n}"));
    }
    // The circle is d = 2 only: the d-sweep uses the sphere S^{d−1} instead.
    let dist_d = if d.distribution == Distribution::Circle {
        Distribution::Sphere
    } else {
        d.distribution
    };
    let mut by_d = Vec::new();
    for (k, &dim) in SENSITIVITY_DIMS.iter().enumerate() {
        by_d.push(sens(dist_d, dim, d.n)?);
        r.progress(
            2 + 2 * n_values.len() + k,
            format!("sensitivity: d = {dim}"),
        );
    }
    r.part(Part::Sensitivity {
        n: n_values,
        by_n,
        at_d: d.d,
        d: SENSITIVITY_DIMS.to_vec(),
        by_d,
        at_n: d.n,
    });
    Ok(())
}

/// The generalization panel on a user's file: the curves use the first n rows (n up
/// to the rows not held out), the test set is the held-out rows; the input dimension
/// is the file's, so there is no sweep over d.
fn run_generalization_user(
    job: &GeneralizationJob,
    p: &crate::protocol::UserPoints,
    generation: u64,
    post: &mut dyn FnMut(Response),
) -> Result<(), String> {
    let all = inputs(&job.data)?;
    let y_all = match &p.y {
        Some(y) => y.clone(),
        None => targets(&job.target, &all, 0.0, 0).map_err(err)?,
    };
    let hold = held_out(p.rows);
    if hold == 0 {
        return Err("the generalization panel holds out a fifth of your rows as a test set: it needs at least 30 rows".into());
    }
    let keep = p.rows - hold;
    let (x, x_test) = split_rows(&all, keep)?;
    let (y, y_test) = (y_all[..keep].to_vec(), y_all[keep..].to_vec());
    let n_values = geometric((keep / 8).max(8).min(keep), keep, 6);
    if n_values.len() < 3 {
        return Err("the generalization curves need at least 30 rows in your file".into());
    }
    let reg = 1e-6;
    let mut r = Reporter {
        generation,
        total: 1 + 2 * n_values.len(),
        done: 0,
        post,
    };
    let seed = job.data.seed;
    r.part(Part::Bound {
        points: bound_curve_on(&x, &y, &n_values, seed).map_err(err)?,
    });
    r.progress(1, "Arora et al. bound".into());
    let prefix = |n: usize| split_rows(&x, n).map(|(a, _)| a);
    let mut mse = Vec::new();
    for (k, &n) in n_values.iter().enumerate() {
        mse.push(
            kernel_regression_mse_on(&job.network, &prefix(n)?, &y[..n], &x_test, &y_test, reg)
                .map_err(err)?,
        );
        r.progress(2 + k, format!("learning curve: n = {n}"));
    }
    r.part(Part::LearningCurve {
        n: n_values.clone(),
        mse,
    });
    let z_hat = shuffled_rows(&x_test, seed ^ 0x53).map_err(err)?;
    let mut by_n = Vec::new();
    for (k, &n) in n_values.iter().enumerate() {
        by_n.push(
            sensitivity_on(&job.network, &prefix(n)?, &y[..n], &x_test, &z_hat, reg)
                .map_err(err)?,
        );
        r.progress(2 + n_values.len() + k, format!("sensitivity: n = {n}"));
    }
    r.part(Part::Sensitivity {
        n: n_values,
        by_n,
        at_d: p.cols,
        d: Vec::new(),
        by_d: Vec::new(),
        at_n: keep,
    });
    Ok(())
}

/// The worker's message handler on JSON text: every response as JSON text. A
/// malformed message is answered with [`Response::Failed`] (generation 0), never a
/// panic.
pub fn handle_json(text: &str, post: &mut dyn FnMut(String)) {
    let encode = |r: &Response| {
        serde_json::to_string(r).unwrap_or_else(|e| {
            format!(
                r#"{{"kind":"failed","generation":0,"message":"cannot encode the response: {e}"}}"#
            )
        })
    };
    match serde_json::from_str::<Request>(text) {
        Ok(request) => handle(request, &mut |r| post(encode(&r))),
        Err(e) => post(encode(&Response::Failed {
            generation: 0,
            message: format!("malformed request: {e}"),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::DataSpec;
    use crate::protocol::{ConvergenceJob, GeneralizationJob, TrainingJob};
    use ntk_core::kernel::FcNetwork;

    fn job(w_std: f64) -> Request {
        Request {
            generation: 4,
            job: Job::Lab(LabJob {
                network: FcNetwork::relu(2, w_std, Some(0.1)),
                widths: vec![16, 64],
                seeds: 2,
                kernel: KernelKind::Ntk,
                points: 21,
                data: DataSpec {
                    distribution: Distribution::Circle,
                    n: 24,
                    d: 2,
                    project: false,
                    seed: 0,
                    points: None,
                },
                train: None,
            }),
        }
    }

    fn collect(r: Request) -> Vec<Response> {
        let mut out = Vec::new();
        handle(r, &mut |m| out.push(m));
        out
    }

    #[test]
    fn lab_job_streams_progress_parts_and_done() {
        let msgs = collect(job(1.5));
        assert!(matches!(
            msgs.last(),
            Some(Response::Done { generation: 4 })
        ));
        let progress: Vec<usize> = msgs
            .iter()
            .filter_map(|m| match m {
                Response::Progress { done, total, .. } => {
                    assert_eq!(*total, 1 + 2 * 2 + 2);
                    Some(*done)
                }
                _ => None,
            })
            .collect();
        assert_eq!(progress, (1..=7).collect::<Vec<_>>());
        let circles: Vec<usize> = msgs
            .iter()
            .filter_map(|m| match m {
                Response::Partial {
                    part: Part::Circle { widths, .. },
                    ..
                } => Some(widths.len()),
                _ => None,
            })
            .collect();
        assert_eq!(
            circles,
            vec![0, 1, 2],
            "each width streams in as it finishes"
        );
        // The analytic profile is the core's.
        let net = FcNetwork::relu(2, 1.5, Some(0.1));
        let expected = circle_profile(&net, 21).unwrap().ntk;
        let spectrum = msgs.iter().find_map(|m| match m {
            Response::Partial {
                part:
                    Part::Spectrum {
                        eigenvalues,
                        analytic,
                        labels,
                        ..
                    },
                ..
            } => Some((eigenvalues.clone(), analytic.clone(), labels.clone())),
            _ => None,
        });
        let (ev, analytic, labels) = spectrum.unwrap();
        assert_eq!(ev.len(), 24);
        assert!(ev.windows(2).all(|w| w[0] >= w[1]));
        assert!(analytic.is_some(), "circle data have analytic eigenvalues");
        assert!(labels[0].contains("frequency 0"), "{labels:?}");
        match &msgs[1] {
            Response::Partial {
                part: Part::Circle { analytic, .. },
                ..
            } => assert_eq!(analytic.as_ref(), Some(&expected)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn core_errors_become_failed_responses() {
        match collect(job(-1.0)).last() {
            Some(Response::Failed {
                generation: 4,
                message,
            }) => assert!(message.contains("w_std"), "{message}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn circle_data(n: usize) -> DataSpec {
        DataSpec {
            distribution: Distribution::Circle,
            n,
            d: 2,
            project: false,
            seed: 0,
            points: None,
        }
    }

    fn harmonics(degrees: &[usize]) -> ntk_core::targets::Target {
        ntk_core::targets::Target::Harmonics {
            degrees: degrees.iter().map(|&k| (k, 1.0)).collect(),
        }
    }

    fn parts(msgs: &[Response], key: &str) -> Vec<Part> {
        msgs.iter()
            .filter_map(|m| match m {
                Response::Partial { part, .. } if part.key() == key => Some(part.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn convergence_streams_one_line_per_distribution_with_slopes_near_minus_half() {
        let msgs = collect(Request {
            generation: 1,
            job: Job::Convergence(ConvergenceJob {
                network: FcNetwork::relu(2, 2f64.sqrt(), Some(0.1)),
                widths: vec![32, 128, 512],
                seeds: 3,
                distributions: vec![Distribution::Gaussian, Distribution::Laplace],
                n: 8,
                d: 4,
                seed: 0,
                user: None,
            }),
        });
        assert!(matches!(msgs.last(), Some(Response::Done { .. })));
        let lines = parts(&msgs, "convergence");
        assert_eq!(
            lines.len(),
            2,
            "each distribution streams in as it finishes"
        );
        let Part::Convergence { lines, .. } = &lines[1] else {
            unreachable!()
        };
        assert!(
            lines[1].label.contains("sub-exponential"),
            "{:?}",
            lines[1].label
        );
        for line in lines {
            let x: Vec<f64> = line.points.iter().map(|p| p.width as f64).collect();
            let y: Vec<f64> = line.points.iter().map(|p| p.rel_frobenius_mean).collect();
            let fit = ntk_core::empirical::fit_log_log(&x, &y).unwrap();
            // Theory: O(1/√m) fluctuations of a fixed entry (Hanin & Nica 2019, arXiv:1909.05989).
            assert!((fit.slope + 0.5).abs() < 0.2, "{}: {fit:?}", line.label);
        }
    }

    fn training(lr: f64, widths: Vec<usize>) -> Vec<Response> {
        collect(Request {
            generation: 2,
            job: Job::Training(TrainingJob {
                network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
                widths,
                data: circle_data(16),
                target: harmonics(&[1, 4]),
                noise: 0.0,
                n_test: 32,
                learning_rate: lr,
                steps: 120,
                snapshots: vec![0, 10, 120],
            }),
        })
    }

    #[test]
    fn training_streams_losses_drift_snapshots_and_mode_residuals() {
        let msgs = training(0.5, vec![64, 1024]);
        assert!(
            matches!(msgs.last(), Some(Response::Done { .. })),
            "{:?}",
            msgs.last()
        );
        let t = parts(&msgs, "training");
        assert_eq!(t.len(), 3, "kernel first, then each width");
        let Part::Training {
            times,
            kernel_train,
            runs,
            snapshots,
            critical,
            target,
            x,
            ..
        } = &t[2]
        else {
            unreachable!()
        };
        assert!(critical.unwrap() > 0.5);
        assert_eq!(times.len(), kernel_train.len());
        assert_eq!(times[1], 0.5 * 4.0, "t = η·steps at step 4");
        // Kernel gradient descent never increases the training loss.
        assert!(kernel_train.windows(2).all(|w| w[1] <= w[0] + 1e-15));
        // Lazy training: the wider net's kernel moves less (Lee et al. 2019).
        let last = |r: &TrainRun| *r.drift.last().unwrap();
        assert!(last(&runs[1]) < 0.5 * last(&runs[0]), "{runs:?}");
        assert_eq!(snapshots.len(), 3);
        assert_eq!(snapshots[2].net.len(), 32);
        assert_eq!(target.len(), x.len());
        assert!(x.windows(2).all(|w| w[0] < w[1]), "angles sorted");
        // After training, the widest net is close to its own linearisation (Lee et al.
        // 2019), and closer than the narrow one.
        let s = &snapshots[2];
        let gap = s
            .net
            .iter()
            .zip(&s.linear)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>();
        let size = s.linear.iter().map(|b| b * b).sum::<f64>();
        assert!(gap < 0.01 * size, "gap {gap}, size {size}");
        let final_gap = |r: &TrainRun| *r.linear_gap.last().unwrap();
        assert!(final_gap(&runs[1]) < 0.5 * final_gap(&runs[0]), "{runs:?}");
        assert_eq!(runs[1].linear_test_loss.len(), times.len());
        // Spectral bias: frequency 1 before frequency 4, measured as in theory.
        let m = parts(&msgs, "modes");
        let Part::Modes { modes, width, .. } = &m[0] else {
            unreachable!()
        };
        assert_eq!(*width, 1024);
        assert!(
            modes[0].label.starts_with("frequency 1"),
            "{:?}",
            modes[0].label
        );
        assert!(
            modes[1].label.starts_with("frequency 4"),
            "{:?}",
            modes[1].label
        );
        let mid = modes[0].measured.len() / 4;
        assert!(modes[0].measured[mid] < modes[1].measured[mid]);
        // The theory is this net's linearisation: at width 1024 it tracks the measured
        // residual closely, floor included.
        for mode in modes {
            for (a, b) in mode.measured.iter().zip(&mode.theory) {
                assert!((a - b).abs() < 0.05, "{}: {a} vs {b}", mode.label);
            }
        }
    }

    #[test]
    fn a_learning_rate_above_the_critical_one_gives_warnings_not_nan() {
        let msgs = training(50.0, vec![64]);
        assert!(
            matches!(msgs.last(), Some(Response::Done { .. })),
            "{:?}",
            msgs.last()
        );
        let t = parts(&msgs, "training");
        let Part::Training {
            runs,
            kernel_train,
            critical,
            ..
        } = t.last().unwrap()
        else {
            unreachable!()
        };
        assert!(critical.unwrap() < 50.0 && kernel_train.is_empty());
        let w = runs[0].warning.as_deref().unwrap();
        assert!(w.contains("critical learning rate"), "{w}");
        assert!(runs[0].train_loss.is_empty());
        assert!(parts(&msgs, "modes").is_empty());
    }

    #[test]
    fn generalization_separates_true_and_random_labels_and_learns_with_n() {
        let msgs = collect(Request {
            generation: 3,
            job: Job::Generalization(GeneralizationJob {
                network: FcNetwork::relu(1, 2f64.sqrt(), Some(0.1)),
                data: DataSpec {
                    distribution: Distribution::Sphere,
                    n: 160,
                    d: 5,
                    project: false,
                    seed: 1,
                    points: None,
                },
                target: harmonics(&[1, 2]),
                n_test: 100,
            }),
        });
        assert!(
            matches!(msgs.last(), Some(Response::Done { .. })),
            "{:?}",
            msgs.last()
        );
        let Part::Bound { points } = &parts(&msgs, "bound")[0] else {
            unreachable!()
        };
        assert_eq!(points.len(), 6);
        assert!(
            points.iter().all(|p| p.random_labels > p.true_labels),
            "{points:?}"
        );
        let Part::LearningCurve { n, mse } = &parts(&msgs, "learning")[0] else {
            unreachable!()
        };
        assert_eq!(n.first(), Some(&20));
        assert!(mse.last().unwrap() < &(0.5 * mse[0]), "{mse:?}");
        let Part::Sensitivity { by_n, by_d, .. } = &parts(&msgs, "sensitivity")[0] else {
            unreachable!()
        };
        assert_eq!(by_d.len(), SENSITIVITY_DIMS.len());
        assert!(by_n.iter().chain(by_d).all(|v| v.is_finite() && *v > 0.0));
    }

    /// A user's file: 40 points on the circle (as raw coordinates) with targets
    /// cos γ in a column named y.
    fn user_file() -> crate::protocol::UserPoints {
        let mut csv = String::from("x1,x2,y\n");
        for i in 0..40 {
            let g = 0.3 + 2.0 * std::f64::consts::PI * i as f64 / 40.0;
            csv.push_str(&format!("{},{},{}\n", g.cos(), g.sin(), g.cos()));
        }
        crate::upload::parse_csv("circle.csv", &csv).unwrap()
    }

    fn user_data() -> DataSpec {
        let p = user_file();
        DataSpec {
            distribution: Distribution::Gaussian,
            n: p.rows,
            d: p.cols,
            project: false,
            seed: 0,
            points: Some(p),
        }
    }

    #[test]
    fn every_panel_runs_on_the_users_data() {
        let net = FcNetwork::relu(1, 2f64.sqrt(), Some(0.1));
        // Kernel panel: the Gram matrices are the file's 40 × 40.
        let mut lab = job(1.5);
        if let Job::Lab(l) = &mut lab.job {
            l.data = user_data();
        }
        let msgs = collect(lab);
        assert!(
            matches!(msgs.last(), Some(Response::Done { .. })),
            "{:?}",
            msgs.last()
        );
        let Part::Heatmaps { n, .. } = &parts(&msgs, "heatmaps")[0] else {
            unreachable!()
        };
        assert_eq!(*n, 40);
        // Training: 32 rows train, the last 8 test; the file's targets are learned.
        let msgs = collect(Request {
            generation: 5,
            job: Job::Training(TrainingJob {
                network: net,
                widths: vec![256],
                data: user_data(),
                target: ntk_core::targets::Target::RandomLabels { seed: 0 },
                noise: 0.0,
                n_test: 100,
                learning_rate: 0.5,
                steps: 200,
                snapshots: vec![200],
            }),
        });
        assert!(
            matches!(msgs.last(), Some(Response::Done { .. })),
            "{:?}",
            msgs.last()
        );
        let t = parts(&msgs, "training");
        let Part::Training {
            runs,
            target,
            x_label,
            ..
        } = t.last().unwrap()
        else {
            unreachable!()
        };
        assert_eq!(target.len(), 8);
        assert!(x_label.starts_with("target"), "{x_label}");
        // cos γ is smooth: the held-out rows are predicted (the file's targets, not
        // the random labels of the target control).
        assert!(runs[0].test_loss.last().unwrap() < &0.05, "{runs:?}");
        // Generalization: prefixes of the 32 training rows, the 8 held out as test.
        let msgs = collect(Request {
            generation: 6,
            job: Job::Generalization(GeneralizationJob {
                network: net,
                data: user_data(),
                target: ntk_core::targets::Target::RandomLabels { seed: 0 },
                n_test: 100,
            }),
        });
        assert!(
            matches!(msgs.last(), Some(Response::Done { .. })),
            "{:?}",
            msgs.last()
        );
        let Part::Sensitivity { n, by_d, at_n, .. } = &parts(&msgs, "sensitivity")[0] else {
            unreachable!()
        };
        assert_eq!((*n.last().unwrap(), *at_n), (32, 32));
        assert!(by_d.is_empty());
        // Convergence: the file is one more line.
        let msgs = collect(Request {
            generation: 7,
            job: Job::Convergence(ConvergenceJob {
                network: net,
                widths: vec![16, 64, 256],
                seeds: 2,
                distributions: vec![Distribution::Gaussian],
                n: 40,
                d: 2,
                seed: 0,
                user: Some(user_file()),
            }),
        });
        let c = parts(&msgs, "convergence");
        let Part::Convergence { lines, .. } = c.last().unwrap() else {
            unreachable!()
        };
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].label.contains("circle.csv (40 × 2)"),
            "{}",
            lines[1].label
        );
    }

    /// Keys under which a JSON null is an absent option, not a NaN.
    const OPTIONAL: [&str; 6] = [
        "analytic",
        "analytic_note",
        "critical",
        "warning",
        "snapshot_width",
        "y",
    ];

    /// Paths of nulls in a JSON value (serde writes NaN and ±∞ as null).
    fn nulls(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Null => out.push(path.to_string()),
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    nulls(x, &format!("{path}[{i}]"), out);
                }
            }
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    if !(OPTIONAL.contains(&k.as_str()) && x.is_null()) {
                        nulls(x, &format!("{path}.{k}"), out);
                    }
                }
            }
            _ => {}
        }
    }

    #[test]
    fn odd_settings_end_in_done_or_a_message_never_a_panic_or_nan() {
        // Every view over small, awkward settings: width 1, two points, the line,
        // heavy tails, quadrature activations, a learning rate far above critical.
        let views = ["kernel", "convergence", "training", "generalization"];
        let data: [&[(&str, &str)]; 3] = [
            &[("dist", "circle"), ("n", "24")],
            &[
                ("dist", "gaussian"),
                ("d", "1"),
                ("n", "24"),
                ("degrees", "1"),
            ],
            &[("dist", "student_t"), ("nu", "2.1"), ("d", "3"), ("n", "2")],
        ];
        let nets: [&[(&str, &str)]; 5] = [
            &[("act", "relu"), ("widths", "1, 2, 3"), ("depth", "1")],
            // σ_w = 0 without bias: every kernel is zero.
            &[
                ("act", "relu"),
                ("w", "0"),
                ("bias", "0"),
                ("widths", "4, 8, 16"),
            ],
            // Repeated and unordered widths.
            &[("act", "elu"), ("widths", "8, 4, 4, 2"), ("depth", "2")],
            &[
                ("act", "tanh"),
                ("widths", "3, 4, 5"),
                ("depth", "2"),
                ("bias", "0"),
            ],
            &[
                ("act", "identity"),
                ("widths", "2, 3, 4"),
                ("lr", "90"),
                ("param", "standard"),
            ],
        ];
        let mut ran = 0;
        for view in views {
            for d in data {
                for net in nets {
                    let mut v = crate::config::defaults();
                    v.insert("view", view.into());
                    for (k, x) in d.iter().chain(net.iter()).chain(
                        [
                            ("steps", "12"),
                            ("snaps", "0, 12"),
                            ("seeds", "2"),
                            ("points", "11"),
                            ("ntest", "8"),
                        ]
                        .iter(),
                    ) {
                        let key = crate::config::FIELDS
                            .iter()
                            .find(|(f, _)| f == k)
                            .unwrap()
                            .0;
                        v.insert(key, x.to_string());
                    }
                    let Ok(config) = crate::config::build(&v) else {
                        continue; // refused in words before any job: fine
                    };
                    ran += 1;
                    let msgs = collect(Request {
                        generation: 9,
                        job: config.job(),
                    });
                    let what = format!("{view} {d:?} {net:?}");
                    match msgs.last() {
                        Some(Response::Done { .. }) => {}
                        Some(Response::Failed { message, .. }) => {
                            assert!(!message.is_empty(), "{what}")
                        }
                        other => panic!("{what}: ended with {other:?}"),
                    }
                    for m in &msgs {
                        if let Response::Partial { part, .. } = m {
                            let mut found = Vec::new();
                            nulls(&serde_json::to_value(part).unwrap(), "", &mut found);
                            assert!(found.is_empty(), "{what}: NaN at {found:?}");
                        }
                    }
                }
            }
        }
        assert!(ran >= 20, "only {ran} settings were valid");
    }

    #[test]
    fn malformed_json_is_answered_not_panicked() {
        let mut out = Vec::new();
        handle_json("{not json", &mut |s| out.push(s));
        let r: Response = serde_json::from_str(&out[0]).unwrap();
        assert!(matches!(r, Response::Failed { generation: 0, .. }));
    }
}
