use super::*;
use std::f64::consts::PI;
use wasm_bindgen_test::wasm_bindgen_test;

fn relu(depth: usize, w_std: f64, b_std: Option<f64>) -> FcNetwork {
    FcNetwork::relu(depth, w_std, b_std)
}

fn on_circle(gamma: f64) -> [f64; 2] {
    [gamma.cos(), gamma.sin()]
}

fn rows(x: &[[f64; 2]]) -> Matrix {
    Matrix::from_rows("x", &x.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap()
}

/// The iterated angle map of the normalised ReLU network (σ_w² = 2, no bias): with
/// unit-variance layers, cos θ_{l+1} = (sin θ_l + (π − θ_l) cos θ_l) / π and
/// Θ_{l+1} = cos θ_{l+1} + (π − θ_l)/π · Θ_l (Arora et al. 2019, arXiv:1904.11955).
/// A second implementation, in angles rather than covariances.
fn normalised_relu_ntk(depth: usize, cos0: f64) -> (f64, f64) {
    let mut cos = cos0;
    let mut ntk = cos0;
    for _ in 0..depth {
        let theta = cos.clamp(-1.0, 1.0).acos();
        let next = (theta.sin() + (PI - theta) * cos) / PI;
        ntk = next + (PI - theta) / PI * ntk;
        cos = next;
    }
    (cos, ntk)
}

#[wasm_bindgen_test(unsupported = test)]
fn depth_zero_is_the_linear_kernel() {
    let x1 = [1.0, 2.0, -1.0];
    let x2 = [0.5, -1.0, 3.0];
    let v = kernel_value(&relu(0, 1.5, Some(0.3)), &x1, &x2).unwrap();
    let expected = 2.25 * (0.5 - 2.0 - 3.0) / 3.0 + 0.09;
    assert!((v.nngp - expected).abs() < 1e-15);
    assert!((v.ntk - expected).abs() < 1e-15);
}

#[wasm_bindgen_test(unsupported = test)]
fn two_layer_relu_ntk_closed_form() {
    // depth 1, σ_w² = 2, no bias, unit-norm inputs in d = 2 at angle θ = |γ|:
    // K¹ = Θ¹ = cos θ; after ReLU K = (sin θ + (π − θ) cos θ)/(2π); readout
    // K² = (sin θ + (π − θ) cos θ)/π, Θ² = (sin θ + 2(π − θ) cos θ)/π.
    for &theta in &[0.0f64, 0.3, PI / 2.0, 2.0, PI] {
        let v = kernel_value(
            &relu(1, 2f64.sqrt(), None),
            &on_circle(0.0),
            &on_circle(theta),
        )
        .unwrap();
        let nngp = (theta.sin() + (PI - theta) * theta.cos()) / PI;
        let ntk = (theta.sin() + 2.0 * (PI - theta) * theta.cos()) / PI;
        assert!((v.nngp - nngp).abs() < 1e-14, "θ={theta}");
        assert!((v.ntk - ntk).abs() < 1e-14, "θ={theta}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn depth_recursion_matches_the_angle_map() {
    for depth in [1, 2, 3, 5, 10, 50] {
        for &gamma in &[0.0, 0.1, 1.0, 2.5, PI] {
            let v = kernel_value(
                &relu(depth, 2f64.sqrt(), None),
                &on_circle(0.0),
                &on_circle(gamma),
            )
            .unwrap();
            let (nngp, ntk) = normalised_relu_ntk(depth, gamma.cos());
            assert!((v.nngp - nngp).abs() < 1e-12, "L={depth} γ={gamma}");
            assert!(
                (v.ntk - ntk).abs() < 1e-12 * depth as f64,
                "L={depth} γ={gamma}"
            );
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn diagonal_is_exact() {
    // Bias-free ReLU: K(x,x) after dense layer l is σ_w² K⁰ rˡ⁻¹ with r = σ_w²/2, and
    // Θ(x,x) = (L + 1) K(x,x). No arccos drift on the diagonal, even at depth 100.
    let w_std = 2f64.sqrt();
    let w2 = w_std * w_std;
    for depth in 0..=100 {
        let x = on_circle(0.7);
        let k0 = (x[0] * x[0] + x[1] * x[1]) / 2.0;
        let v = kernel_value(&relu(depth, w_std, None), &x, &x).unwrap();
        let k = w2 * k0 * (w2 / 2.0).powi(depth as i32);
        assert!((v.nngp / k - 1.0).abs() < 1e-14, "L={depth}");
        assert!(
            (v.ntk / ((depth as f64 + 1.0) * k) - 1.0).abs() < 1e-14,
            "L={depth}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn gram_is_exactly_symmetric_and_matches_the_cross_gram() {
    let x = crate::data::gaussian(37, 6, 3).unwrap();
    // Every activation family (the kinked, the smooth, the periodic, the linear).
    for act in crate::activation::EXAMPLES {
        let net = relu(3, 1.3, Some(0.2)).with_activation(act);
        let sym = kernel_matrix(&net, &x, None).unwrap();
        let full = kernel_matrix(&net, &x, Some(&x)).unwrap();
        assert_eq!(sym.ntk.asymmetry(), 0.0, "{act:?}");
        for i in 0..37 {
            for j in 0..37 {
                let (a, b) = (sym.ntk.get(i, j), full.ntk.get(i, j));
                assert!(
                    (a - b).abs() <= 1e-14 * a.abs().max(1.0),
                    "{act:?} ({i},{j})"
                );
            }
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn gram_is_positive_semidefinite() {
    let x = crate::data::gaussian(120, 5, 11).unwrap();
    // The closed forms and one quadrature activation.
    let some = crate::activation::EXAMPLES.into_iter().filter(|a| {
        !matches!(
            a,
            Activation::AbRelu { .. }
                | Activation::Sigmoid
                | Activation::Softplus
                | Activation::Silu
                | Activation::Elu { .. }
        )
    });
    for act in some {
        for param in [Parameterization::Ntk, Parameterization::Standard] {
            let mut net = relu(3, 1.4, Some(0.1)).with_activation(act);
            net.parameterization = param;
            net.width = Some(256);
            let k = kernel_matrix(&net, &x, None).unwrap();
            for m in [&k.nngp, &k.ntk] {
                let e = crate::linalg::symmetric_eigenvalues(m).unwrap();
                let (lo, hi) = (e[0], e[e.len() - 1]);
                assert!(
                    lo >= -1e-10 * hi,
                    "{act:?} {param:?}: λ_min {lo}, λ_max {hi}"
                );
            }
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn standard_parameterization_depth_zero_and_one() {
    // depth 0, standard: Θ = d·K⁰ + 1 (bias) = ⟨x, x'⟩ + 1; K = σ_w² K⁰ + σ_b².
    let x1 = [1.0, 2.0, -1.0];
    let x2 = [0.5, -1.0, 3.0];
    let mut net = relu(0, 1.5, Some(0.3));
    net.parameterization = Parameterization::Standard;
    net.width = Some(10);
    let v = kernel_value(&net, &x1, &x2).unwrap();
    let dot: f64 = x1.iter().zip(&x2).map(|(a, b)| a * b).sum();
    assert!((v.ntk - (dot + 1.0)).abs() < 1e-14);
    assert!((v.nngp - (2.25 * dot / 3.0 + 0.09)).abs() < 1e-15);
    // depth 1, identity activation, no bias: f = W₂ W₁ x with W₁ ~ N(0, σ²/d),
    // W₂ ~ N(0, σ²/m). ∂f/∂W₁ has kernel Σ W₂² ⟨x,x'⟩ → m · σ²/m · ⟨x,x'⟩ = σ²⟨x,x'⟩;
    // ∂f/∂W₂ has kernel ⟨W₁x, W₁x'⟩ → m · σ²⟨x,x'⟩/d. So Θ = σ²⟨x,x'⟩(1 + m/d).
    let mut lin = relu(1, 1.5, None).with_activation(Activation::Identity);
    lin.parameterization = Parameterization::Standard;
    lin.width = Some(64);
    let v = kernel_value(&lin, &x1, &x2).unwrap();
    let expected = 2.25 * dot * (1.0 + 64.0 / 3.0);
    assert!(
        (v.ntk - expected).abs() < 1e-12 * expected.abs(),
        "{} vs {expected}",
        v.ntk
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn zero_and_antipodal_inputs_are_finite() {
    let z = [0.0, 0.0];
    let x = [1.0, 0.0];
    // Every activation family (the kinked, the smooth, the periodic, the linear).
    for act in crate::activation::EXAMPLES {
        let n = relu(5, 1.5, Some(0.1)).with_activation(act);
        for (a, b) in [(z, z), (z, x), (x, [-1.0, 0.0])] {
            let v = kernel_value(&n, &a, &b).unwrap();
            assert!(v.nngp.is_finite() && v.ntk.is_finite(), "{act:?}");
        }
    }
    let v = kernel_value(&relu(3, 1.5, None), &z, &x).unwrap();
    assert_eq!((v.nngp, v.ntk), (0.0, 0.0));
}

#[wasm_bindgen_test(unsupported = test)]
fn deep_and_wide_variance_stays_finite_or_errors() {
    // depth 100 with σ_w = √2: finite. σ_w = 100 at depth 100: the variance grows like
    // 5000¹⁰⁰ and overflows; a typed error, never NaN.
    let x = rows(&[on_circle(0.2), on_circle(1.0)]);
    let ok = kernel_matrix(&relu(100, 2f64.sqrt(), Some(0.05)), &x, None).unwrap();
    assert!(ok.ntk.as_slice().iter().all(|v| v.is_finite()));
    let big = kernel_matrix(&relu(100, 100.0, None), &x, None);
    assert!(matches!(big, Err(NtkError::Overflow { .. })), "{big:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn bad_input_is_a_typed_error() {
    let x = [1.0, 0.0];
    assert!(matches!(
        kernel_value(&relu(101, 1.0, None), &x, &x),
        Err(NtkError::OutOfRange { field: "depth", .. })
    ));
    assert!(matches!(
        kernel_value(&relu(1, -1.0, None), &x, &x),
        Err(NtkError::OutOfRange { field: "w_std", .. })
    ));
    assert!(matches!(
        kernel_value(&relu(1, 1.0, Some(f64::NAN)), &x, &x),
        Err(NtkError::OutOfRange { field: "b_std", .. })
    ));
    assert!(matches!(
        kernel_value(&relu(1, 1.0, None), &x, &[1.0, 0.0, 0.0]),
        Err(NtkError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        kernel_value(&relu(1, 1.0, None), &[f64::NAN, 0.0], &x),
        Err(NtkError::NonFinite {
            field: "x1",
            index: 0
        })
    ));
    assert!(matches!(
        kernel_value(&relu(1, 1.0, None), &[], &[]),
        Err(NtkError::Empty { field: "x1" })
    ));
    let mut std_net = relu(1, 1.0, None);
    std_net.parameterization = Parameterization::Standard;
    assert!(matches!(
        kernel_value(&std_net, &x, &x),
        Err(NtkError::Missing { field: "width", .. })
    ));
    let leaky = relu(1, 1.0, None).with_activation(Activation::LeakyRelu {
        alpha: f64::INFINITY,
    });
    assert!(matches!(
        kernel_value(&leaky, &x, &x),
        Err(NtkError::OutOfRange { field: "alpha", .. })
    ));
}

/// Bias-free ReLU at σ_w = √2: each dense layer doubles the variance and each ReLU
/// halves it (𝔼[relu(u)²] = v/2), with 𝔼[relu'(u)²] = 1/2, so the output's
/// K(x, x) = 2‖x‖²/d and Θ(x, x) = (L + 1)·K(x, x) exactly. Identical inputs must
/// take the exact path for every d, not only powers of two.
#[wasm_bindgen_test(unsupported = test)]
fn exact_diagonal_for_every_input_dimension() {
    for d in [3usize, 5, 6, 7, 10] {
        let x: Vec<Vec<f64>> = (0..12)
            .map(|i| {
                (0..d)
                    .map(|c| ((i * 7 + c * 3) % 11) as f64 / 3.0 - 1.7)
                    .collect()
            })
            .collect();
        let xm = Matrix::from_rows("x", &x).unwrap();
        for depth in [1usize, 3, 10] {
            let k = kernel_matrix(&relu(depth, 2f64.sqrt(), None), &xm, None).unwrap();
            for (i, xi) in x.iter().enumerate() {
                let sq = 2.0 * xi.iter().map(|a| a * a).sum::<f64>() / d as f64;
                let expected = (depth + 1) as f64 * sq;
                let got = k.ntk.get(i, i);
                assert!(
                    (got - expected).abs() <= 1e-14 * expected,
                    "d={d} depth={depth} row {i}: Θ(x,x) = {got}, expected {expected}"
                );
                assert!((k.nngp.get(i, i) - sq).abs() <= 1e-14 * sq);
            }
        }
    }
}

/// The Gram matrix of a quadrature activation takes Mehler's series for moderate
/// correlations and the nested rule near |ρ| = 1: on points of the circle (every
/// correlation) and Gaussian data, it agrees with the recursion done pair by pair
/// with the nested rule alone (two independent algorithms), for every quadrature
/// activation.
#[wasm_bindgen_test(unsupported = test)]
fn series_and_nested_rule_give_the_same_gram() {
    use crate::activation::quadrature::GradedRule;
    let rule = GradedRule::default();
    let circle: Vec<[f64; 2]> = (0..24).map(|k| on_circle(0.27 * k as f64)).collect();
    let xs = [rows(&circle), crate::data::gaussian(12, 5, 3).unwrap()];
    for act in [
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Softplus,
        Activation::Silu,
        Activation::Elu { alpha: 0.5 },
    ] {
        for x in &xs {
            let net = relu(2, 1.7, Some(0.2)).with_activation(act);
            let k = kernel_matrix(&net, x, None).unwrap();
            let (n, d) = (x.rows(), x.cols() as f64);
            for i in 0..n {
                for j in 0..n {
                    // The recursion by hand, the nested rule for every activation.
                    let dot = |a: usize, b: usize| {
                        x.row(a)
                            .iter()
                            .zip(x.row(b))
                            .map(|(p, q)| p * q)
                            .sum::<f64>()
                            / d
                    };
                    let (mut kab, mut kaa, mut kbb, mut t) = (dot(i, j), dot(i, i), dot(j, j), 0.0);
                    for _ in 0..2 {
                        kab = 1.7 * 1.7 * kab + 0.04;
                        kaa = 1.7 * 1.7 * kaa + 0.04;
                        kbb = 1.7 * 1.7 * kbb + 0.04;
                        t = kab + 1.7 * 1.7 * t;
                        let du = rule.dual(&act, kab, kaa, kbb);
                        kab = du.nngp;
                        t *= du.dot;
                        // Variances by the ρ = 1 path, as the kernel does (so that
                        // identical inputs keep ρ = 1 exactly).
                        kaa = rule.dual(&act, kaa, kaa, kaa).nngp;
                        kbb = rule.dual(&act, kbb, kbb, kbb).nngp;
                    }
                    kab = 1.7 * 1.7 * kab + 0.04;
                    t = kab + 1.7 * 1.7 * t;
                    let scale = k.ntk.get(i, i).abs().max(1e-300);
                    assert!(
                        (k.ntk.get(i, j) - t).abs() <= 1e-11 * scale,
                        "{act:?} ({i},{j}): {} vs {t}",
                        k.ntk.get(i, j)
                    );
                    assert!((k.nngp.get(i, j) - kab).abs() <= 1e-11 * k.nngp.get(i, i).abs());
                }
            }
        }
    }
}

/// Identical inputs keep ρ = 1 exactly at every layer for a kinked quadrature
/// activation (ELU with α ≠ 1, whose φ' jumps): Θ(x, x) equals the recursion written
/// out with ρ = 1 at each layer, to round-off. (An ulp off ρ = 1 moves 𝔼[φ'φ'] by
/// ≈ 10⁻⁹ here.)
#[wasm_bindgen_test(unsupported = test)]
fn kinked_quadrature_activation_keeps_the_exact_diagonal() {
    use crate::activation::quadrature::GradedRule;
    let rule = GradedRule::default();
    let act = Activation::Elu { alpha: 0.1 };
    let x = [0.8, -0.3, 0.5];
    for depth in [1usize, 3, 6] {
        let net = relu(depth, 1.3, Some(0.2)).with_activation(act);
        let got = kernel_value(&net, &x, &x).unwrap();
        let mut v = x.iter().map(|a| a * a).sum::<f64>() / 3.0;
        let mut t = 0.0;
        for _ in 0..depth {
            v = 1.69 * v + 0.04;
            t = v + 1.69 * t;
            let d = rule.dual(&act, v, v, v);
            v = d.nngp;
            t *= d.dot;
        }
        v = 1.69 * v + 0.04;
        t = v + 1.69 * t;
        assert!(
            (got.ntk - t).abs() <= 1e-14 * t,
            "depth {depth}: {} vs {t}",
            got.ntk
        );
        assert!((got.nngp - v).abs() <= 1e-14 * v);
    }
}

/// `nngp_diagonal` (per-input variances only) gives the Gram matrix's diagonal, which
/// the pair recursion computes, to the last bit.
#[wasm_bindgen_test(unsupported = test)]
fn nngp_diagonal_is_the_gram_diagonal() {
    let x = crate::data::gaussian(7, 3, 8).unwrap();
    // Every activation family (the kinked, the smooth, the periodic, the linear).
    for act in crate::activation::EXAMPLES {
        let net = relu(3, 1.4, Some(0.3)).with_activation(act);
        let k = kernel_matrix(&net, &x, None).unwrap().nngp;
        let d = nngp_diagonal(&net, &x).unwrap();
        for (i, v) in d.iter().enumerate() {
            assert_eq!(*v, k.get(i, i), "{act:?} row {i}");
        }
    }
}
