//! Timing of core operations, for `ntk bench` and the browser benchmark. The clock is
//! passed in (seconds), so the same code times natively (`std::time::Instant`) and in a
//! browser (`performance.now()`).

use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::data::gaussian;
use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork, Parameterization};
use crate::network::{Mlp, MlpSpec};

/// A benchmark request (`ntk bench` input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRequest {
    /// The operation: "kernel_gram" (the NTK Gram K(X, X) of random Gaussian inputs).
    pub op: String,
    /// Number of inputs (for predict: training points; also accepted as `n_train`).
    #[serde(alias = "n_train")]
    pub n: usize,
    /// Input dimension.
    #[serde(default = "default_d")]
    pub d: usize,
    /// Hidden layers.
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// The activation (name and parameters).
    #[serde(flatten)]
    pub activation: Activation,
    /// How many timed runs.
    #[serde(default = "default_repeats")]
    pub repeats: usize,
    /// Seed of the random inputs.
    #[serde(default)]
    pub seed: u64,
    /// Hidden width of the finite network (empirical_ntk, train_step).
    #[serde(default = "default_width")]
    pub width: usize,
    /// Test points (predict; `n` is then the number of training points).
    #[serde(default = "default_n_test")]
    pub n_test: usize,
    /// Signal length (cntk_gram: n signals of `length` positions × `d` channels).
    #[serde(default = "default_length")]
    pub length: usize,
    /// top_eigen: how many of the largest eigenvalues (and eigenvectors) of the NTK
    /// Gram, by Lanczos.
    #[serde(default = "default_top")]
    pub top: usize,
}

fn default_top() -> usize {
    100
}

fn default_length() -> usize {
    32
}

/// The CNN of `cntk_gram`: `depth` × [conv(filter 3, circular padding) → ReLU], global
/// average pooling, a dense readout (σ_w = 1.5, σ_b = 0.1, NTK parameterization) — the
/// network `tests/reference/bench_cntk.py` times in neural-tangents.
pub fn cntk_network(depth: usize) -> crate::layers::LayerNetwork {
    use crate::layers::{Conv, Dense, Layer, Padding};
    let mut layers = Vec::with_capacity(2 * depth + 2);
    for _ in 0..depth {
        layers.push(Layer::Conv(Conv {
            out: 1,
            filter: vec![3],
            stride: None,
            padding: Padding::Circular,
            w_std: 1.5,
            b_std: Some(0.1),
        }));
        layers.push(Layer::Activation(Activation::Relu));
    }
    layers.push(Layer::GlobalAvgPool);
    layers.push(Layer::Dense(Dense {
        out: 1,
        w_std: 1.5,
        b_std: Some(0.1),
    }));
    crate::layers::LayerNetwork {
        layers,
        parameterization: Parameterization::Ntk,
    }
}

fn default_n_test() -> usize {
    200
}

fn default_width() -> usize {
    512
}

fn default_d() -> usize {
    10
}

fn default_depth() -> usize {
    3
}

fn default_repeats() -> usize {
    5
}

/// A benchmark result (`ntk bench` output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub op: String,
    pub n: usize,
    pub d: usize,
    pub depth: usize,
    /// Median wall time of one run, seconds.
    pub median_s: f64,
    /// Fastest run, seconds.
    pub min_s: f64,
    /// Threads the core used.
    pub threads: usize,
}

/// Threads the core's parallel loops use.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        rayon::current_num_threads()
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// Run a benchmark with `clock` returning seconds.
pub fn run(req: &BenchRequest, clock: impl Fn() -> f64) -> Result<BenchReport> {
    if ![
        "kernel_gram",
        "empirical_ntk",
        "train_step",
        "eigh",
        "top_eigen",
        "predict",
        "cntk_gram",
    ]
    .contains(&req.op.as_str())
    {
        return Err(NtkError::Numerical(format!(
            "op: unknown operation '{}' (expected kernel_gram, empirical_ntk, train_step, eigh, top_eigen, predict or cntk_gram)",
            req.op
        )));
    }
    if !(1..=1000).contains(&req.repeats) {
        return Err(NtkError::OutOfRange {
            field: "repeats",
            expected: "between 1 and 1000",
            value: req.repeats as f64,
        });
    }
    if req.n > 20_000 {
        return Err(NtkError::OutOfRange {
            field: "n",
            expected: "at most 20000",
            value: req.n as f64,
        });
    }
    let x = gaussian(req.n, req.d, req.seed)?;
    let x_test = gaussian(req.n_test.max(1), req.d, req.seed + 1)?;
    let net = FcNetwork {
        depth: req.depth,
        activation: req.activation,
        w_std: 1.5,
        b_std: Some(0.1),
        parameterization: Parameterization::Ntk,
        width: None,
    };
    // Validate before any allocation sized by depth or width.
    net.validate()?;
    let spec = MlpSpec::from_network(&net, req.width);
    let mut mlp = match req.op.as_str() {
        "empirical_ntk" | "train_step" => Some(Mlp::init(&spec, req.d, req.seed)?),
        _ => None,
    };
    let gram = if req.op == "eigh" || req.op == "top_eigen" {
        Some(kernel_matrix(&net, &x, None)?.ntk)
    } else {
        None
    };
    let signals = if req.op == "cntk_gram" {
        if !(1..=4096).contains(&req.length) || req.depth > 20 {
            return Err(NtkError::OutOfRange {
                field: "length",
                expected: "between 1 and 4096 (and depth ≤ 20)",
                value: req.length as f64,
            });
        }
        let raw = gaussian(req.n * req.length, req.d, req.seed)?;
        Some(
            ndarray::Array3::from_shape_vec((req.n, req.length, req.d), raw.as_slice().to_vec())
                .map_err(|e| NtkError::Numerical(e.to_string()))?,
        )
    } else {
        None
    };
    let cnn = cntk_network(req.depth);
    let y: Vec<f64> = (0..req.n).map(|i| x.get(i, 0).sin()).collect();
    let mut times = Vec::with_capacity(req.repeats);
    for _ in 0..req.repeats {
        let t0 = clock();
        match (req.op.as_str(), mlp.as_mut()) {
            ("empirical_ntk", Some(m)) => {
                std::hint::black_box(m.empirical_kernels(&x, None)?);
            }
            ("train_step", Some(m)) => {
                std::hint::black_box(m.gd_step(&x, &y, 1e-3)?);
            }
            ("cntk_gram", _) => {
                let xs = signals.as_ref().expect("signals").view().into_dyn();
                std::hint::black_box(crate::layers::analytic::kernels(&cnn, xs, None)?);
            }
            ("eigh", _) => {
                let g = gram.as_ref().expect("gram");
                std::hint::black_box(crate::linalg::symmetric_eigen(g)?);
            }
            ("top_eigen", _) => {
                let g = gram.as_ref().expect("gram");
                std::hint::black_box(crate::linalg::top_eigen(g, req.top.min(req.n))?);
            }
            ("predict", _) => {
                // End to end, as neural-tangents' predict: kernels, then t = 10 and ∞.
                let ktt = kernel_matrix(&net, &x, None)?.ntk;
                let kst = kernel_matrix(&net, &x_test, Some(&x))?.ntk;
                let p =
                    crate::dynamics::predict(&ktt, &kst, &y, &[Some(10.0), None], 1.0, 1e-4, None)?;
                std::hint::black_box(p);
            }
            _ => {
                std::hint::black_box(kernel_matrix(&net, &x, None)?);
            }
        }
        times.push(clock() - t0);
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let median_s = if times.len() % 2 == 1 {
        times[mid]
    } else {
        0.5 * (times[mid - 1] + times[mid])
    };
    Ok(BenchReport {
        op: req.op.clone(),
        n: req.n,
        d: req.d,
        depth: req.depth,
        median_s,
        min_s: times[0],
        threads: threads(),
    })
}
