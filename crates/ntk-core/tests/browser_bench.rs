//! The browser benchmark: the NTK Gram K(X, X) of a 3-hidden-layer ReLU MLP, d = 10,
//! Gaussian inputs, in headless Chromium (wasm32 + simd128, one thread), timed with
//! `performance.now()`. A benchmark, not a test: it is ignored by default. Run it with
//!
//! ```sh
//! cargo test --release --target wasm32-unknown-unknown -p ntk-core --test browser_bench \
//!     -- --include-ignored --nocapture
//! ```
#![cfg(target_arch = "wasm32")]

use ntk_core::activation::Activation;
use ntk_core::bench::{run, BenchRequest};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
#[ignore]
fn kernel_gram_in_the_browser() {
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .expect("performance");
    for n in [500, 1000, 2000, 4000] {
        let req = BenchRequest {
            op: "kernel_gram".into(),
            n,
            d: 10,
            depth: 3,
            activation: Activation::Relu,
            repeats: if n >= 4000 { 3 } else { 5 },
            seed: 0,
            width: 512,
            n_test: 200,
            length: 32,
            top: 100,
        };
        let r = run(&req, || perf.now() / 1000.0).expect("bench");
        console_log!(
            "browser kernel_gram n={} median {:.4} s, min {:.4} s, threads {}",
            r.n,
            r.median_s,
            r.min_s,
            r.threads
        );
    }
    for (op, n) in [
        ("eigh", 500),
        ("eigh", 1000),
        ("eigh", 2000),
        ("top_eigen", 2000),
        ("predict", 1000),
    ] {
        let req = BenchRequest {
            op: op.into(),
            n,
            d: 10,
            depth: 3,
            activation: Activation::Relu,
            repeats: 3,
            seed: 0,
            width: 512,
            n_test: 200,
            length: 32,
            top: 100,
        };
        let r = run(&req, || perf.now() / 1000.0).expect("bench");
        console_log!(
            "browser {op} n={n}: median {:.4} s, min {:.4} s",
            r.median_s,
            r.min_s
        );
    }
    for (op, n, depth, width) in [
        ("empirical_ntk", 128, 2, 512),
        ("empirical_ntk", 256, 2, 512),
        ("empirical_ntk", 512, 2, 512),
        ("train_step", 256, 3, 1024),
    ] {
        let req = BenchRequest {
            op: op.into(),
            n,
            d: 10,
            depth,
            activation: Activation::Relu,
            repeats: 5,
            seed: 0,
            width,
            n_test: 200,
            length: 32,
            top: 100,
        };
        let r = run(&req, || perf.now() / 1000.0).expect("bench");
        console_log!(
            "browser {op} n={n} depth={depth} width={width}: median {:.4} s, min {:.4} s",
            r.median_s,
            r.min_s
        );
    }
}

/// The CNTK alone (the whole benchmark above blocks the page longer than
/// chromedriver's 30 s renderer timeout on a slow machine).
#[wasm_bindgen_test]
#[ignore]
fn cntk_gram_in_the_browser() {
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .expect("performance");
    // The CNTK of a 2-conv-layer 1-D CNN with global average pooling, n = 256 signals
    // of length 32 × 3 channels (tests/reference/bench_cntk.py times neural-tangents).
    let req = BenchRequest {
        op: "cntk_gram".into(),
        n: 256,
        d: 3,
        depth: 2,
        activation: Activation::Relu,
        repeats: 3,
        seed: 0,
        width: 512,
        n_test: 200,
        length: 32,
        top: 100,
    };
    let r = run(&req, || perf.now() / 1000.0).expect("bench");
    console_log!(
        "browser cntk_gram n=256 length=32 channels=3 depth=2: median {:.4} s, min {:.4} s",
        r.median_s,
        r.min_s
    );
}
