//! Native tests of `src/compute.rs` (moved here so that the file itself stays short).
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::experiments::{convergence, generalization, kernel, training};
use ntk_core::experiments::{DataSpec, Experiment, Slot};
use ntk_core::kernel::FcNetwork;
use ntk_lab::compute::*;
use ntk_lab::protocol::{Part, Request, Response};

fn collect(r: Request) -> Vec<Response> {
    let mut out = Vec::new();
    handle(r, &mut |m| out.push(m));
    out
}

fn parts(msgs: &[Response], slot: Slot) -> Vec<Part> {
    msgs.iter()
        .filter_map(|m| match m {
            Response::Partial { part, .. } if part.slot() == slot => Some(part.clone()),
            _ => None,
        })
        .collect()
}

fn done(msgs: &[Response]) -> bool {
    matches!(msgs.last(), Some(Response::Done { .. }))
}

#[test]
fn a_request_runs_its_experiments_in_order_and_ends_with_done() {
    let data = DataSpec {
        n: 24,
        ..DataSpec::default()
    };
    let k = kernel::Params {
        widths: vec![16, 64],
        seeds: 2,
        points: 21,
        data: data.clone(),
        ..kernel::Params::default()
    };
    let s = ntk_core::experiments::spectrum::Params {
        data,
        ..Default::default()
    };
    let msgs = collect(Request {
        generation: 4,
        experiments: vec![Experiment::Kernel(k), Experiment::Spectrum(s)],
    });
    assert!(matches!(
        msgs.last(),
        Some(Response::Done { generation: 4 })
    ));
    let slots: Vec<Slot> = msgs
        .iter()
        .filter_map(|m| match m {
            Response::Partial { part, .. } => Some(part.slot()),
            _ => None,
        })
        .collect();
    assert_eq!(
        slots,
        [
            Slot::Circle,
            Slot::Circle,
            Slot::Circle,
            Slot::Heatmaps,
            Slot::Spectrum
        ]
    );
    assert!(msgs.iter().all(|m| m.generation() == Some(4)));
}

#[test]
fn core_errors_become_failed_responses() {
    let k = kernel::Params {
        network: FcNetwork::relu(2, -1.0, Some(0.1)),
        ..kernel::Params::default()
    };
    match collect(Request {
        generation: 4,
        experiments: vec![Experiment::Kernel(k)],
    })
    .last()
    {
        Some(Response::Failed {
            generation: 4,
            message,
        }) => assert!(message.contains("w_std"), "{message}"),
        other => panic!("unexpected {other:?}"),
    }
}

/// A user's file: 40 points on the circle (as raw coordinates) with targets
/// cos γ in a column named y.
fn user_data() -> DataSpec {
    let mut csv = String::from("x1,x2,y\n");
    for i in 0..40 {
        let g = 0.3 + 2.0 * std::f64::consts::PI * i as f64 / 40.0;
        csv.push_str(&format!("{},{},{}\n", g.cos(), g.sin(), g.cos()));
    }
    let p = ntk_lab::upload::parse_csv("circle.csv", &csv).unwrap();
    DataSpec {
        n: p.rows,
        d: p.cols,
        points: Some(p),
        ..DataSpec::default()
    }
}

#[test]
fn every_panel_runs_on_the_users_data() {
    let net = FcNetwork::relu(1, 2f64.sqrt(), Some(0.1));
    let run = |e: Experiment| {
        let msgs = collect(Request {
            generation: 5,
            experiments: vec![e],
        });
        assert!(done(&msgs), "{:?}", msgs.last());
        msgs
    };
    // Kernel panel: the Gram matrices are the file's 40 × 40.
    let msgs = run(Experiment::Kernel(kernel::Params {
        network: net,
        widths: vec![16, 64],
        seeds: 2,
        data: user_data(),
        ..kernel::Params::default()
    }));
    let Part::Heatmaps(h) = &parts(&msgs, Slot::Heatmaps)[0] else {
        unreachable!()
    };
    assert_eq!(h.n, 40);
    // Training: 32 rows train, the last 8 test; the file's targets are learned
    // (not the random labels of the target setting).
    let msgs = run(Experiment::Training(training::Params {
        network: net,
        widths: vec![256],
        data: user_data(),
        target: ntk_core::targets::Target::RandomLabels { seed: 0 },
        learning_rate: 0.5,
        steps: 200,
        snapshots: vec![200],
        ..training::Params::default()
    }));
    let Part::Training(t) = parts(&msgs, Slot::Training).pop().unwrap() else {
        unreachable!()
    };
    assert_eq!(t.target.len(), 8);
    assert_eq!(t.abscissa, training::Abscissa::Target);
    assert!(t.runs[0].test_loss.last().unwrap() < &0.05, "{:?}", t.runs);
    // Generalization: prefixes of the 32 training rows, the 8 held out as test.
    let msgs = run(Experiment::Generalization(generalization::Params {
        network: net,
        architecture: Default::default(),
        data: user_data(),
        target: ntk_core::targets::Target::RandomLabels { seed: 0 },
        n_test: 100,
        ..generalization::Params::default()
    }));
    let Part::Sensitivity(s) = &parts(&msgs, Slot::Sensitivity)[0] else {
        unreachable!()
    };
    assert_eq!((*s.n.last().unwrap(), s.at_n), (32, 32));
    assert!(s.by_d.is_empty());
    // Convergence: the file is one more line.
    let msgs = run(Experiment::Convergence(convergence::Params {
        network: net,
        architecture: Default::default(),
        widths: vec![16, 64, 256],
        seeds: 2,
        distributions: vec![ntk_core::data::Distribution::Gaussian],
        n: 40,
        d: 2,
        seed: 0,
        user: user_data().points,
        ..convergence::Params::default()
    }));
    let Part::Convergence(c) = parts(&msgs, Slot::Convergence).pop().unwrap() else {
        unreachable!()
    };
    assert_eq!(c.lines.len(), 2);
    assert_eq!(c.lines[1].file, Some(("circle.csv".into(), 40, 2)));
}

/// Keys under which a JSON null is an absent option, not a NaN.
const OPTIONAL: [&str; 21] = [
    "drift_by_width",
    "diverged_at",
    "theory_slope",
    "analytic",
    "analytic_note",
    "critical",
    "snapshot_width",
    "y",
    "fit_mean",
    "fit_quantile",
    "fit_worst",
    "grid",
    "depth",
    "fit_c",
    "law_c",
    "second_term",
    "trained",
    "trained_with",
    "file",
    "frequency",
    "share",
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
                let optional = OPTIONAL.contains(&k.as_str());
                let absent =
                    (optional || (k == "distribution" && o.contains_key("file"))) && x.is_null();
                match x {
                    // A list of options (`second_term`, `trained`): its nulls are
                    // absent values too.
                    serde_json::Value::Array(a) if optional => {
                        for (i, v) in a.iter().enumerate().filter(|(_, v)| !v.is_null()) {
                            nulls(v, &format!("{path}.{k}[{i}]"), out);
                        }
                    }
                    _ if !absent => nulls(x, &format!("{path}.{k}"), out),
                    _ => {}
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
                let mut v = ntk_lab::config::defaults();
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
                    let key = ntk_lab::fields::find(k).unwrap().key;
                    v.insert(key, x.to_string());
                }
                let Ok(config) = ntk_lab::config::build(&v) else {
                    continue; // refused in words before any job: fine
                };
                ran += 1;
                let msgs = collect(Request {
                    generation: 9,
                    experiments: config.job(),
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

/// Every part of this wave's experiments survives the worker's JSON both ways (an
/// internally tagged `Part` cannot hold a bare sequence: such a part would be lost as
/// a "cannot encode" failure of generation 0, which the page ignores).
#[test]
fn the_new_parts_cross_the_worker_boundary_as_json() {
    use ntk_core::data::Distribution;
    use ntk_core::experiments::sgd;
    let data = DataSpec {
        n: 24,
        d: 2,
        ..DataSpec::default()
    };
    let request = Request {
        generation: 7,
        experiments: vec![
            Experiment::Generalization(generalization::Params {
                data: data.clone(),
                n_test: 20,
                by_distribution: vec![Distribution::Gaussian, Distribution::Laplace],
                ..generalization::Params::default()
            }),
            Experiment::Sgd(sgd::Params {
                widths: vec![16, 32, 64],
                seeds: 2,
                n: 16,
                n_test: 10,
                steps: 20,
                records: 4,
                probes: 4,
                ..sgd::Params::default()
            }),
            Experiment::Plane(ntk_core::experiments::plane::Params {
                n: 20,
                width: 16,
                alphas: vec![1.0, 10.0],
                steps: 5,
                frames: 3,
                grid: 5,
                ..Default::default()
            }),
            Experiment::Convergence(convergence::Params {
                widths: vec![8, 16, 32],
                seeds: 4,
                n: 6,
                layers: true,
                sup_grid: Some(12),
                dims: vec![3],
                depths: vec![1, 2],
                depth_width: 16,
                depth_seeds: 4,
                ..convergence::Params::default()
            }),
        ],
    };
    let mut texts = Vec::new();
    handle_json(&serde_json::to_string(&request).unwrap(), &mut |t| {
        texts.push(t)
    });
    let msgs: Vec<Response> = texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}: {t}")))
        .collect();
    assert!(done(&msgs), "{:?}", msgs.last());
    for slot in [
        Slot::ByDistribution,
        Slot::Sgd,
        Slot::Plane,
        Slot::Convergence,
    ] {
        assert!(!parts(&msgs, slot).is_empty(), "no {slot:?} part");
    }
    let Part::Convergence(c) = parts(&msgs, Slot::Convergence).pop().unwrap() else {
        unreachable!()
    };
    assert!(c.depth.is_some() && c.lines.iter().any(|l| l.grid.is_some()));
}
