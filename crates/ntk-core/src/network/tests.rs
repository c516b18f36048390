use super::*;
use crate::data::gaussian;
use wasm_bindgen_test::wasm_bindgen_test;

const ACTIVATIONS: [Activation; 14] = crate::activation::EXAMPLES;

fn spec(act: Activation, param: Parameterization, widths: Vec<usize>) -> MlpSpec {
    MlpSpec {
        widths,
        activation: act,
        w_std: 1.3,
        b_std: Some(0.2),
        parameterization: param,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn gradients_match_central_finite_differences() {
    let x = gaussian(5, 3, 1).unwrap();
    let y = [0.3, -0.7, 1.1, 0.0, -0.2];
    for act in ACTIVATIONS {
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            let net = Mlp::init(&spec(act, param, vec![6, 4]), 3, 9).unwrap();
            let (_, grad) = net.loss_and_gradient(&x, &y).unwrap();
            let theta = net.params();
            let mut probe = net.clone();
            let mut fd = vec![0.0; theta.len()];
            for k in 0..theta.len() {
                let h = 1e-6 * theta[k].abs().max(1.0);
                let mut t = theta.clone();
                t[k] = theta[k] + h;
                probe.set_params(&t).unwrap();
                let plus = probe.loss_and_gradient(&x, &y).unwrap().0;
                t[k] = theta[k] - h;
                probe.set_params(&t).unwrap();
                let minus = probe.loss_and_gradient(&x, &y).unwrap().0;
                fd[k] = (plus - minus) / (2.0 * h);
            }
            let err: f64 = grad
                .iter()
                .zip(&fd)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            let norm: f64 = fd.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(
                err <= 1e-6 * norm,
                "{act:?} {param:?}: relative error {:e}",
                err / norm
            );
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn structured_empirical_ntk_equals_naive_jjt() {
    let x1 = gaussian(7, 4, 2).unwrap();
    let x2 = gaussian(5, 4, 3).unwrap();
    for act in [
        Activation::Relu,
        Activation::Erf,
        Activation::Tanh,
        Activation::Gelu,
    ] {
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            for b_std in [Some(0.3), None] {
                let mut s = spec(act, param, vec![9, 8, 6]);
                s.b_std = b_std;
                let net = Mlp::init(&s, 4, 5).unwrap();
                let (j1, j2) = (net.jacobian(&x1).unwrap(), net.jacobian(&x2).unwrap());
                let k = net.empirical_kernels(&x1, Some(&x2)).unwrap();
                let ks = net.empirical_kernels(&x1, None).unwrap();
                let naive = |a: &Matrix, b: &Matrix, i: usize, j: usize| -> f64 {
                    a.row(i).iter().zip(b.row(j)).map(|(p, q)| p * q).sum()
                };
                let scale = k.ntk.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for i in 0..7 {
                    for j in 0..5 {
                        let e = (k.ntk.get(i, j) - naive(&j1, &j2, i, j)).abs();
                        assert!(e <= 1e-12 * scale, "{act:?} {param:?} ({i},{j}): {e:e}");
                    }
                    for j in 0..7 {
                        let e = (ks.ntk.get(i, j) - naive(&j1, &j1, i, j)).abs();
                        assert!(e <= 1e-12 * scale, "{act:?} {param:?} sym ({i},{j}): {e:e}");
                    }
                }
                assert_eq!(ks.ntk.asymmetry(), 0.0);
            }
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn same_seed_same_network() {
    let s = spec(Activation::Relu, Parameterization::Ntk, vec![16, 16]);
    let a = Mlp::init(&s, 3, 42).unwrap();
    assert_eq!(a, Mlp::init(&s, 3, 42).unwrap());
    assert_ne!(a, Mlp::init(&s, 3, 43).unwrap());
    assert_eq!(a.param_count(), 16 * 3 + 16 + 16 * 16 + 16 + 16 + 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn gradient_descent_lowers_the_loss() {
    let x = gaussian(16, 3, 4).unwrap();
    let y: Vec<f64> = (0..16).map(|i| x.get(i, 0).sin()).collect();
    let mut net = Mlp::init(
        &spec(Activation::Relu, Parameterization::Ntk, vec![64]),
        3,
        1,
    )
    .unwrap();
    let first = net.gd_step(&x, &y, 0.5).unwrap();
    let mut last = first;
    for _ in 0..200 {
        last = net.gd_step(&x, &y, 0.5).unwrap();
    }
    assert!(last < 0.2 * first, "{first} → {last}");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_step_moves_the_parameters_by_minus_eta_times_the_gradient() {
    // The in-place step against θ − η∇L from the separate gradient (itself checked
    // against finite differences), for both parameterizations, with and without bias,
    // and batches that take the small-batch update (4 = one group of four rows, 5 and
    // 7 with a remainder) and faer's GEMM (17 rows).
    for rows in [5, 4, 7, 17] {
        let x = gaussian(rows, 3, 7).unwrap();
        let y: Vec<f64> = (0..rows).map(|i| x.get(i, 1).cos()).collect();
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            for bias in [Some(0.3), None] {
                let mut s = spec(Activation::Tanh, param, vec![12, 9]);
                s.b_std = bias;
                let mut net = Mlp::init(&s, 3, 5).unwrap();
                let (loss, grad) = net.loss_and_gradient(&x, &y).unwrap();
                let want: Vec<f64> = net
                    .params()
                    .iter()
                    .zip(&grad)
                    .map(|(p, g)| p - 0.7 * g)
                    .collect();
                assert_eq!(net.gd_step(&x, &y, 0.7).unwrap(), loss);
                for (a, b) in net.params().iter().zip(&want) {
                    assert!(
                        (a - b).abs() <= 1e-14 * b.abs().max(1.0),
                        "{rows} rows: {a} vs {b}"
                    );
                }
            }
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn bad_input_is_a_typed_error() {
    let s = spec(Activation::Relu, Parameterization::Ntk, vec![0]);
    assert!(matches!(
        Mlp::init(&s, 3, 0),
        Err(NtkError::OutOfRange { field: "width", .. })
    ));
    let net = Mlp::init(
        &spec(Activation::Relu, Parameterization::Ntk, vec![4]),
        3,
        0,
    )
    .unwrap();
    let wrong = gaussian(2, 4, 0).unwrap();
    assert!(matches!(
        net.forward(&wrong),
        Err(NtkError::DimensionMismatch { .. })
    ));
    let x = gaussian(2, 3, 0).unwrap();
    assert!(matches!(
        net.loss_and_gradient(&x, &[1.0]),
        Err(NtkError::DimensionMismatch { field: "y", .. })
    ));
}

/// The block-wise path that keeps a fine profile within the memory budget gives the
/// same kernels as the direct one (whose J·Jᵀ is checked above), block edges included.
#[wasm_bindgen_test(unsupported = test)]
fn blocked_empirical_kernels_equal_the_direct_ones() {
    let x1 = gaussian(3, 4, 2).unwrap();
    let x2 = gaussian(11, 4, 3).unwrap();
    let net = Mlp::init(
        &spec(Activation::Tanh, Parameterization::Ntk, vec![16, 8]),
        4,
        1,
    )
    .unwrap();
    let direct = net.empirical_kernels(&x1, Some(&x2)).unwrap();
    for block in [1, 4, 10, 11, 50] {
        let b = net.empirical_in_blocks(&x1, &x2, block).unwrap();
        for (p, q) in b.ntk.as_slice().iter().zip(direct.ntk.as_slice()) {
            assert!((p - q).abs() <= 1e-13 * q.abs().max(1.0), "block {block}");
        }
        for (p, q) in b.nngp.as_slice().iter().zip(direct.nngp.as_slice()) {
            assert!((p - q).abs() <= 1e-13 * q.abs().max(1.0), "block {block}");
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn small_batch_products_equal_faer_s_gemm() {
    // A second implementation: faer's GEMM, on shapes with 1 to 16 rows and widths
    // that are and are not multiples of four.
    use faer::Mat;
    for (n, n_in, n_out) in [(1, 3, 5), (4, 17, 9), (5, 8, 12), (7, 1, 33), (16, 31, 6)] {
        let val =
            |i: usize, j: usize, salt: usize| (((i * 31 + j * 17 + salt) % 23) as f64 - 11.0) / 7.0;
        let a = Mat::<f64>::from_fn(n, n_in, |i, j| val(i, j, 1));
        let w = Mat::<f64>::from_fn(n_out, n_in, |i, j| val(i, j, 2));
        let delta = Mat::<f64>::from_fn(n, n_out, |i, j| val(i, j, 3));
        let want_z = a.as_ref() * w.transpose() * faer::Scale(0.37);
        let want_d = delta.as_ref() * w.as_ref() * faer::Scale(-1.3);
        let got_z = super::small_batch_a_wt(a.as_ref(), &w, 0.37);
        let got_d = super::small_batch_delta_w(delta.as_ref(), &w, -1.3);
        assert_eq!(
            (got_z.nrows(), got_z.ncols(), got_d.nrows(), got_d.ncols()),
            (n, n_out, n, n_in)
        );
        for (got, want) in [(&got_z, &want_z), (&got_d, &want_d)] {
            for i in 0..got.nrows() {
                for j in 0..got.ncols() {
                    let (g, w) = (got[(i, j)], want[(i, j)]);
                    assert!(
                        (g - w).abs() <= 1e-13 * w.abs().max(1.0),
                        "{n}×{n_in}→{n_out} at ({i}, {j}): {g} vs {w}"
                    );
                }
            }
        }
    }
}
