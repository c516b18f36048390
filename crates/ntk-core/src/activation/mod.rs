//! Activations φ and their dual kernels.
//!
//! The infinite-width recursion needs, for a centred Gaussian pair
//! (u, v) ~ N(0, [[v₁, k₁₂], [k₁₂, v₂]]),
//!
//! - 𝔼[φ(u) φ(v)]   — the next NNGP kernel,
//! - 𝔼[φ'(u) φ'(v)] — the factor multiplying the NTK,
//! - 𝔼[φ(u)²]       — the next variance (the diagonal).
//!
//! Closed forms (each in its own file, with its derivation and paper): the ReLU family
//! (ReLU, leaky ReLU, ABReLU, abs; [`relu`]), erf ([`erf`]), exact GELU ([`gelu`]),
//! sin and cos ([`trig`]) and the identity. Any other activation goes through
//! Gauss–Hermite quadrature of the two expectations ([`quadrature`]): tanh, sigmoid,
//! softplus, SiLU/swish and ELU. Conventions follow google/neural-tangents'
//! `stax.elementwise` (e.g. `ABRelu(a, b)`, `Erf()`, `Gelu(approximate=False)`,
//! `Sin()`, `Cos()`).

pub mod erf;
pub mod gelu;
pub mod quadrature;
pub mod relu;
pub mod trig;

use serde::{Deserialize, Serialize};

use crate::error::{NtkError, Result};

/// An elementwise activation φ. Serialised as `{"activation": "leaky_relu", "alpha": 0.1}`
/// (lower snake case names, parameters as extra fields).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "activation", rename_all = "snake_case")]
pub enum Activation {
    /// max(x, 0).
    Relu,
    /// α·min(x, 0) + max(x, 0).
    LeakyRelu { alpha: f64 },
    /// a·min(x, 0) + b·max(x, 0) (neural-tangents' `ABRelu`).
    #[serde(rename = "abrelu")]
    AbRelu { a: f64, b: f64 },
    /// |x|.
    Abs,
    /// erf(x).
    Erf,
    /// x·Φ(x), the exact GELU (not the tanh approximation).
    Gelu,
    /// sin(x).
    Sin,
    /// cos(x).
    Cos,
    /// x (a deep linear network).
    Identity,
    /// tanh(x), by quadrature.
    Tanh,
    /// 1 / (1 + e^{−x}), by quadrature.
    Sigmoid,
    /// ln(1 + eˣ), by quadrature.
    Softplus,
    /// x·sigmoid(x) (SiLU, swish), by quadrature.
    #[serde(alias = "swish")]
    Silu,
    /// x for x > 0, α(eˣ − 1) otherwise, by quadrature.
    Elu { alpha: f64 },
}

/// The two expectations of one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dual {
    /// 𝔼[φ(u) φ(v)]
    pub nngp: f64,
    /// 𝔼[φ'(u) φ'(v)]
    pub dot: f64,
}

impl Activation {
    /// Every activation's name, as accepted in JSON.
    pub const NAMES: [&'static str; 14] = [
        "relu",
        "leaky_relu",
        "abrelu",
        "abs",
        "erf",
        "gelu",
        "sin",
        "cos",
        "identity",
        "tanh",
        "sigmoid",
        "softplus",
        "silu",
        "elu",
    ];

    /// The activation named `name` (as in JSON; `swish` = `silu`), with `alpha` for
    /// leaky_relu and elu and the slopes `(a, b)` for abrelu; `None` for an unknown name.
    pub fn from_name(name: &str, alpha: f64, (a, b): (f64, f64)) -> Option<Self> {
        Some(match name {
            "relu" => Activation::Relu,
            "leaky_relu" => Activation::LeakyRelu { alpha },
            "abrelu" => Activation::AbRelu { a, b },
            "abs" => Activation::Abs,
            "erf" => Activation::Erf,
            "gelu" => Activation::Gelu,
            "sin" => Activation::Sin,
            "cos" => Activation::Cos,
            "identity" => Activation::Identity,
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "softplus" => Activation::Softplus,
            "silu" | "swish" => Activation::Silu,
            "elu" => Activation::Elu { alpha },
            _ => return None,
        })
    }

    /// The JSON name.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::AbRelu { .. } => "abrelu",
            Activation::Abs => "abs",
            Activation::Erf => "erf",
            Activation::Gelu => "gelu",
            Activation::Sin => "sin",
            Activation::Cos => "cos",
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus => "softplus",
            Activation::Silu => "silu",
            Activation::Elu { .. } => "elu",
        }
    }

    /// Check the parameters (finite slopes and α).
    pub fn validate(&self) -> Result<()> {
        let check = |field: &'static str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(NtkError::OutOfRange {
                    field,
                    expected: "a finite number",
                    value: v,
                })
            }
        };
        match *self {
            Activation::LeakyRelu { alpha } | Activation::Elu { alpha } => check("alpha", alpha),
            Activation::AbRelu { a, b } => {
                check("a", a)?;
                check("b", b)
            }
            _ => Ok(()),
        }
    }

    /// Whether the dual kernel is computed in closed form (otherwise by quadrature).
    pub fn has_closed_form(&self) -> bool {
        !matches!(
            self,
            Activation::Tanh
                | Activation::Sigmoid
                | Activation::Softplus
                | Activation::Silu
                | Activation::Elu { .. }
        )
    }

    /// Whether φ or φ' jumps or kinks at 0 (the ReLU family, ELU): quadrature must
    /// break its panels there.
    pub fn has_kink(&self) -> bool {
        self.abrelu_slopes().is_some() || matches!(self, Activation::Elu { .. })
    }

    /// (a, b) of the ABReLU form a·min(x,0) + b·max(x,0), for the ReLU family.
    pub fn abrelu_slopes(&self) -> Option<(f64, f64)> {
        match *self {
            Activation::Relu => Some((0.0, 1.0)),
            Activation::LeakyRelu { alpha } => Some((alpha, 1.0)),
            Activation::AbRelu { a, b } => Some((a, b)),
            Activation::Abs => Some((-1.0, 1.0)),
            _ => None,
        }
    }

    /// φ(x).
    pub fn apply(&self, x: f64) -> f64 {
        match *self {
            Activation::Erf => libm::erf(x),
            Activation::Gelu => x * gelu::normal_cdf(x),
            Activation::Sin => x.sin(),
            Activation::Cos => x.cos(),
            Activation::Identity => x,
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => sigmoid(x),
            Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            Activation::Silu => x * sigmoid(x),
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            _ => {
                // Branch-free: the signs of pre-activations are random, and a branch
                // per element mispredicts half the time.
                let (a, b) = self.abrelu_slopes().unwrap_or((0.0, 1.0));
                b * x.max(0.0) + a * x.min(0.0)
            }
        }
    }

    /// dst[i] = φ(src[i]): the same values as [`Activation::apply`], with the match
    /// taken once per slice, so that the piecewise-linear activations' loops vectorise.
    pub fn apply_slice(&self, src: &[f64], dst: &mut [f64]) {
        match self.abrelu_slopes() {
            Some((a, b)) => {
                for (o, &x) in dst.iter_mut().zip(src) {
                    *o = b * x.max(0.0) + a * x.min(0.0);
                }
            }
            _ => {
                for (o, &x) in dst.iter_mut().zip(src) {
                    *o = self.apply(x);
                }
            }
        }
    }

    /// d[i] *= φ'(z[i]): the same values as [`Activation::derivative`], the match
    /// taken once per slice.
    pub fn scale_by_derivative(&self, z: &[f64], d: &mut [f64]) {
        match self.abrelu_slopes() {
            Some((a, b)) => {
                for (o, &x) in d.iter_mut().zip(z) {
                    *o *= a + (b - a) * f64::from(u8::from(x > 0.0));
                }
            }
            _ => {
                for (o, &x) in d.iter_mut().zip(z) {
                    *o *= self.derivative(x);
                }
            }
        }
    }

    /// φ'(x); at a kink the right derivative for x > 0 and the left one at x ≤ 0
    /// (so relu'(0) = 0, as in JAX).
    pub fn derivative(&self, x: f64) -> f64 {
        match *self {
            Activation::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Activation::Gelu => gelu::normal_cdf(x) + x * gelu::normal_pdf(x),
            Activation::Sin => x.cos(),
            Activation::Cos => -x.sin(),
            Activation::Identity => 1.0,
            Activation::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            Activation::Sigmoid | Activation::Softplus => {
                let s = sigmoid(x);
                if matches!(self, Activation::Sigmoid) {
                    s * (1.0 - s)
                } else {
                    s
                }
            }
            Activation::Silu => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * x.exp()
                }
            }
            _ => {
                let (a, b) = self.abrelu_slopes().unwrap_or((0.0, 1.0));
                let positive = f64::from(u8::from(x > 0.0));
                a + (b - a) * positive
            }
        }
    }

    /// φ''(x), zero almost everywhere for the piecewise-linear activations (ReLU,
    /// leaky ReLU, ABReLU, |x|, identity; their kink is a set of measure zero, and a
    /// gradient with respect to the input, as in the sensitivity experiment, never sees
    /// it). Used where an input gradient of a gradient feature is needed.
    pub fn second_derivative(&self, x: f64) -> f64 {
        match *self {
            // d/dx (2/√π) e^{−x²}.
            Activation::Erf => -2.0 * x * std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            // d/dx [Φ(x) + x N(x)] = 2N(x) − x² N(x).
            Activation::Gelu => gelu::normal_pdf(x) * (2.0 - x * x),
            Activation::Sin => -x.sin(),
            Activation::Cos => -x.cos(),
            Activation::Tanh => {
                let t = x.tanh();
                -2.0 * t * (1.0 - t * t)
            }
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s) * (1.0 - 2.0 * s)
            }
            Activation::Softplus => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
            // d/dx [s(1 + x(1 − s))] = s(1 − s)(2 + x(1 − 2s)).
            Activation::Silu => {
                let s = sigmoid(x);
                s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    0.0
                } else {
                    alpha * x.exp()
                }
            }
            _ => 0.0,
        }
    }

    /// Whether φ is even (φ(−x) = φ(x)): |x| and cos. Bombari, Kiyani & Mondelli 2023
    /// find that even activations make the NTK regressor robust.
    pub fn is_even(&self) -> bool {
        match *self {
            Activation::Abs | Activation::Cos => true,
            Activation::AbRelu { a, b } => a == -b,
            _ => false,
        }
    }

    /// (φ(x), φ'(x)) with one transcendental evaluation where the two share it (tanh,
    /// sigmoid, softplus, SiLU, ELU): the quadrature's inner loop needs both.
    #[inline]
    pub fn value_and_derivative(&self, x: f64) -> (f64, f64) {
        match *self {
            Activation::Tanh => {
                let t = x.tanh();
                (t, 1.0 - t * t)
            }
            Activation::Sigmoid => {
                let s = sigmoid(x);
                (s, s * (1.0 - s))
            }
            Activation::Softplus => {
                // ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|)), and σ(x) from the same e^(−|x|).
                let e = (-x.abs()).exp();
                let s = if x >= 0.0 {
                    1.0 / (1.0 + e)
                } else {
                    e / (1.0 + e)
                };
                (x.max(0.0) + e.ln_1p(), s)
            }
            Activation::Silu => {
                let s = sigmoid(x);
                (x * s, s * (1.0 + x * (1.0 - s)))
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    (x, 1.0)
                } else {
                    // expm1 keeps φ accurate near 0; φ' = α(eˣ − 1 + 1).
                    let em1 = x.exp_m1();
                    (alpha * em1, alpha * (em1 + 1.0))
                }
            }
            _ => (self.apply(x), self.derivative(x)),
        }
    }

    /// 𝔼[φ(u)φ(v)] and 𝔼[φ'(u)φ'(v)] in closed form; `None` for the quadrature ones.
    #[inline(always)]
    pub fn closed_form_dual(&self, k12: f64, v1: f64, v2: f64) -> Option<Dual> {
        Some(match *self {
            Activation::Erf => erf::dual(k12, v1, v2),
            Activation::Gelu => gelu::dual(k12, v1, v2),
            Activation::Sin => trig::dual(k12, v1, v2, 1.0),
            Activation::Cos => trig::dual(k12, v1, v2, -1.0),
            Activation::Identity => Dual {
                nngp: k12,
                dot: 1.0,
            },
            _ => {
                let (a, b) = self.abrelu_slopes()?;
                relu::dual(a, b, k12, v1, v2)
            }
        })
    }

    /// 𝔼[φ(u)²] for u ~ N(0, v) in closed form; `None` for the quadrature ones.
    pub fn closed_form_diag(&self, v: f64) -> Option<f64> {
        Some(match *self {
            Activation::Erf => erf::diag(v),
            Activation::Gelu => gelu::diag(v),
            Activation::Sin => trig::diag(v, 1.0),
            Activation::Cos => trig::diag(v, -1.0),
            Activation::Identity => v,
            _ => {
                let (a, b) = self.abrelu_slopes()?;
                relu::diag(a, b, v)
            }
        })
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// One of each activation, in the order of [`Activation::NAMES`], for tests.
#[cfg(test)]
pub(crate) const EXAMPLES: [Activation; 14] = [
    Activation::Relu,
    Activation::LeakyRelu { alpha: 0.2 },
    Activation::AbRelu { a: -0.3, b: 0.7 },
    Activation::Abs,
    Activation::Erf,
    Activation::Gelu,
    Activation::Sin,
    Activation::Cos,
    Activation::Identity,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Softplus,
    Activation::Silu,
    Activation::Elu { alpha: 1.0 },
];

/// Serde for an activation field of its own (not flattened into a network): the name
/// alone (`"tanh"`), or the tagged object with its parameters
/// (`{"activation": "leaky_relu", "alpha": 0.1}`). Written as the name when the
/// activation has no parameters.
pub mod by_name {
    use super::Activation;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Name(String),
        Full(Activation),
    }

    pub fn serialize<S: Serializer>(act: &Activation, s: S) -> Result<S::Ok, S::Error> {
        match act {
            Activation::LeakyRelu { .. } | Activation::AbRelu { .. } | Activation::Elu { .. } => {
                act.serialize(s)
            }
            other => s.serialize_str(other.name()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Activation, D::Error> {
        match Either::deserialize(d)? {
            Either::Full(a) => Ok(a),
            Either::Name(name) => Activation::from_name(&name, 0.1, (-0.5, 1.0)).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown activation '{name}' (expected one of {})",
                    Activation::NAMES.join(", ")
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    const ALL: [Activation; 14] = EXAMPLES;

    #[wasm_bindgen_test(unsupported = test)]
    fn derivatives_match_central_differences() {
        for act in ALL {
            for &x in &[-2.3, -0.7, 0.4, 1.9] {
                let h = 1e-6;
                let fd = (act.apply(x + h) - act.apply(x - h)) / (2.0 * h);
                let d = act.derivative(x);
                assert!(
                    (fd - d).abs() < 1e-7 * (1.0 + d.abs()),
                    "{act:?} at {x}: {fd} vs {d}"
                );
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn second_derivatives_match_central_differences_of_phi() {
        // A second difference of φ itself (not of the hand-written φ'): an independent
        // route, O(h²) accurate, away from the kinks.
        for act in ALL {
            for &x in &[-2.3, -0.7, 0.4, 1.9] {
                let h = 1e-4;
                let fd = (act.apply(x + h) - 2.0 * act.apply(x) + act.apply(x - h)) / (h * h);
                let d2 = act.second_derivative(x);
                assert!(
                    (fd - d2).abs() < 1e-6 * (1.0 + d2.abs()),
                    "{act:?} at {x}: {fd} vs {d2}"
                );
            }
        }
        assert!(Activation::Abs.is_even() && Activation::Cos.is_even());
        assert!(!Activation::Tanh.is_even() && !Activation::Relu.is_even());
        for act in ALL {
            let even = (act.apply(0.83) - act.apply(-0.83)).abs() < 1e-15;
            assert_eq!(act.is_even(), even, "{act:?}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_activation_field_reads_a_name_or_the_tagged_object() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct P {
            #[serde(with = "by_name")]
            activation: Activation,
        }
        let p: P = serde_json::from_str(r#"{"activation": "tanh"}"#).unwrap();
        assert_eq!(p.activation, Activation::Tanh);
        let p: P =
            serde_json::from_str(r#"{"activation": {"activation": "elu", "alpha": 0.5}}"#).unwrap();
        assert_eq!(p.activation, Activation::Elu { alpha: 0.5 });
        assert_eq!(
            serde_json::to_string(&P {
                activation: Activation::Relu
            })
            .unwrap(),
            r#"{"activation":"relu"}"#
        );
        let back: P = serde_json::from_str(
            &serde_json::to_string(&P {
                activation: Activation::LeakyRelu { alpha: 0.2 },
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(back.activation, Activation::LeakyRelu { alpha: 0.2 });
        let e = serde_json::from_str::<P>(r#"{"activation": "nope"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown activation"), "{e}");
    }

    /// The fused evaluation agrees with φ and φ' evaluated on their own.
    #[wasm_bindgen_test(unsupported = test)]
    fn value_and_derivative_match_apply_and_derivative() {
        for act in ALL {
            for &x in &[-30.0, -2.3, -0.7, -1e-9, 0.0, 1e-9, 0.4, 1.9, 30.0] {
                let (f, d) = act.value_and_derivative(x);
                let (f0, d0) = (act.apply(x), act.derivative(x));
                assert!((f - f0).abs() <= 1e-15 * (1.0 + f0.abs()), "{act:?} φ({x})");
                assert!(
                    (d - d0).abs() <= 1e-15 * (1.0 + d0.abs()),
                    "{act:?} φ'({x})"
                );
            }
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn names_round_trip_through_json() {
        for (act, name) in ALL.iter().zip(Activation::NAMES) {
            assert_eq!(act.name(), name);
            let text = serde_json::to_string(act).unwrap();
            assert!(
                text.contains(&format!("\"activation\":\"{name}\"")),
                "{text}"
            );
            assert_eq!(serde_json::from_str::<Activation>(&text).unwrap(), *act);
        }
        let swish: Activation = serde_json::from_str(r#"{"activation":"swish"}"#).unwrap();
        assert_eq!(swish, Activation::Silu);
    }
}
