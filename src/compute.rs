//! What the worker does with a request: pure and synchronous, tested natively. A job
//! emits progress and partial results through a callback as it goes.

use ntk_core::data::{sample, Distribution};
use ntk_core::dynamics::KernelKind;
use ntk_core::experiments::circle_profile;
use ntk_core::kernel::{kernel_matrix, Kernels};
use ntk_core::linalg::{symmetric_eigen, Matrix};
use ntk_core::network::{Mlp, MlpSpec};
use ntk_core::spectral::dominant_frequency;
use ntk_core::sphere::sphere_eigenvalues;

use crate::protocol::{Job, LabJob, Part, Request, Response, WidthProfile};

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
    };
    post(match result {
        Ok(()) => Response::Done { generation },
        Err(message) => Response::Failed {
            generation,
            message,
        },
    });
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

    // 1. The analytic circle profile.
    let profile = circle_profile(&job.network, job.points).map_err(e)?;
    let analytic = match job.kernel {
        KernelKind::Ntk => profile.ntk.clone(),
        KernelKind::Nngp => profile.nngp.clone(),
    };
    done += 1;
    progress(done, "analytic kernel on the circle".into(), post);
    let mut widths = Vec::new();
    post(Response::Partial {
        generation,
        part: Part::Circle {
            gamma: profile.gamma.clone(),
            analytic: analytic.clone(),
            widths: widths.clone(),
            seeds: job.seeds,
        },
    });

    // 2. Finite widths, each streamed as it finishes.
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
    for &m in &job.widths {
        let spec = MlpSpec::from_network(&job.network, m);
        let (mut sum, mut sq) = (vec![0.0; job.points], vec![0.0; job.points]);
        for seed in 0..job.seeds {
            let k = Mlp::init(&spec, 2, seed as u64)
                .and_then(|net| net.empirical_kernels(&x0, Some(&xs)))
                .map_err(e)?;
            for ((a, b), v) in sum
                .iter_mut()
                .zip(sq.iter_mut())
                .zip(pick(&k, job.kernel).row(0))
            {
                *a += v;
                *b += v * v;
            }
            done += 1;
            progress(done, format!("width {m}, seed {}", seed + 1), post);
        }
        let s = job.seeds as f64;
        let mean: Vec<f64> = sum.iter().map(|a| a / s).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(b, mu)| (b / s - mu * mu).max(0.0).sqrt())
            .collect();
        widths.push(WidthProfile {
            width: m,
            mean,
            std,
        });
        post(Response::Partial {
            generation,
            part: Part::Circle {
                gamma: profile.gamma.clone(),
                analytic: analytic.clone(),
                widths: widths.clone(),
                seeds: job.seeds,
            },
        });
    }

    // 3. Heatmaps on the data.
    let d = &job.data;
    let x = sample(d.distribution, d.n, d.d, d.seed, d.project).map_err(e)?;
    let exact = kernel_matrix(&job.network, &x, None).map_err(e)?;
    let widest = job.widths.last().copied().unwrap_or(512);
    let net = Mlp::init(&MlpSpec::from_network(&job.network, widest), d.d, d.seed).map_err(e)?;
    let empirical = net.empirical_kernels(&x, None).map_err(e)?;
    done += 1;
    progress(done, "Gram matrices on the data".into(), post);
    post(Response::Partial {
        generation,
        part: Part::Heatmaps {
            n: d.n,
            analytic: pick(&exact, job.kernel).as_slice().to_vec(),
            empirical: pick(&empirical, job.kernel).as_slice().to_vec(),
            width: widest,
            seed: d.seed,
        },
    });

    // 4. The spectrum of the analytic Gram.
    let gram = pick(&exact, job.kernel);
    let (lambda, v) = symmetric_eigen(gram).map_err(e)?;
    let n = d.n;
    let eigenvalues: Vec<f64> = lambda.iter().rev().map(|l| l / n as f64).collect();
    let on_sphere =
        d.project || matches!(d.distribution, Distribution::Sphere | Distribution::Circle);
    let analytic = if on_sphere && d.d >= 2 {
        let k_max = 200.min(4 * n);
        let s = sphere_eigenvalues(&job.network, d.d, k_max).map_err(e)?;
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
    let circle = matches!(d.distribution, Distribution::Circle);
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
            x: xaxis,
            angle: circle,
            vectors,
            labels,
        },
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
                },
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
            } => assert_eq!(analytic, &expected),
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

    #[test]
    fn malformed_json_is_answered_not_panicked() {
        let mut out = Vec::new();
        handle_json("{not json", &mut |s| out.push(s));
        let r: Response = serde_json::from_str(&out[0]).unwrap();
        assert!(matches!(r, Response::Failed { generation: 0, .. }));
    }
}
