//! NTK Gram K(X, X) of a 3-hidden-layer ReLU MLP, d = 10, Gaussian inputs:
//! `cargo bench -p ntk-core`. Reference on this kind of machine (2 cores):
//! neural-tangents' jit-compiled kernel_fn ≈ 0.07–0.11 s at n = 1000, 1.1–1.8 s at
//! n = 4000.

#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ntk_core::data::gaussian;
use ntk_core::kernel::{kernel_matrix, FcNetwork};

/// On wasm32 the benchmark is `tests/browser_bench.rs`, run in a browser.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn kernel_gram(c: &mut Criterion) {
    let mut group = c.benchmark_group("ntk_gram_relu_depth3_d10");
    group.sample_size(10);
    let net = FcNetwork::relu(3, 1.5, Some(0.1));
    for n in [500, 1000, 2000, 4000] {
        let x = gaussian(n, 10, 0).expect("inputs");
        group.bench_with_input(BenchmarkId::from_parameter(n), &x, |b, x| {
            b.iter(|| kernel_matrix(&net, x, None).expect("kernel"))
        });
    }
    group.finish();
}

#[cfg(not(target_arch = "wasm32"))]
fn kernel_gram_activations(c: &mut Criterion) {
    use ntk_core::activation::Activation;
    let mut group = c.benchmark_group("ntk_gram_n1000_depth3_d10");
    group.sample_size(10);
    let x = gaussian(1000, 10, 0).expect("inputs");
    for act in [
        Activation::Relu,
        Activation::Erf,
        Activation::Gelu,
        Activation::Sin,
    ] {
        let net = FcNetwork::relu(3, 1.5, Some(0.1)).with_activation(act);
        group.bench_function(act.name(), |b| {
            b.iter(|| kernel_matrix(&net, &x, None).expect("kernel"))
        });
    }
    group.finish();
}

/// The empirical NTK of a 2-hidden-layer width-512 ReLU MLP, d = 10 (neural-tangents'
/// fastest implementation: 0.019 s, 0.022 s, 0.112 s at n = 128, 256, 512 here).
#[cfg(not(target_arch = "wasm32"))]
fn empirical_ntk(c: &mut Criterion) {
    use ntk_core::network::{Mlp, MlpSpec};
    let mut group = c.benchmark_group("empirical_ntk_relu_depth2_w512_d10");
    group.sample_size(10);
    let spec = MlpSpec::from_network(&FcNetwork::relu(2, 1.5, Some(0.1)), 512);
    let net = Mlp::init(&spec, 10, 0).expect("net");
    for n in [128, 256, 512] {
        let x = gaussian(n, 10, 0).expect("inputs");
        group.bench_with_input(BenchmarkId::from_parameter(n), &x, |b, x| {
            b.iter(|| net.empirical_kernels(x, None).expect("kernel"))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("train_step_relu_depth3_w1024_n256_d10");
    group.sample_size(10);
    let spec = MlpSpec::from_network(&FcNetwork::relu(3, 1.5, Some(0.1)), 1024);
    let mut net = Mlp::init(&spec, 10, 0).expect("net");
    let x = gaussian(256, 10, 0).expect("inputs");
    let y: Vec<f64> = (0..256).map(|i| x.get(i, 0).sin()).collect();
    group.bench_function("step", |b| {
        b.iter(|| net.gd_step(&x, &y, 1e-3).expect("step"))
    });
    group.finish();
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, kernel_gram, kernel_gram_activations, empirical_ntk);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);
