//! The page's state: one serialisable [`Config`], and the validation of what the user
//! types into each control. An invalid value never becomes a job; its message is shown
//! next to the control.

use crate::protocol::{CircleKernelJob, Job};
use ntk_core::activation::Activation;
use ntk_core::kernel::{FcNetwork, Parameterization};
use serde::{Deserialize, Serialize};

/// Allowed range of a numeric control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// The name shown in messages.
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    /// Whole numbers only.
    pub integer: bool,
}

/// Depth L (hidden layers) on the page.
pub const DEPTH: Bounds = Bounds {
    name: "depth L",
    min: 1.0,
    max: 10.0,
    integer: true,
};
/// σ_w on the page.
pub const W_STD: Bounds = Bounds {
    name: "σ_w",
    min: 0.0,
    max: 10.0,
    integer: false,
};
/// σ_b on the page.
pub const B_STD: Bounds = Bounds {
    name: "σ_b",
    min: 0.0,
    max: 10.0,
    integer: false,
};
/// α of leaky ReLU and ELU.
pub const ALPHA: Bounds = Bounds {
    name: "α",
    min: 0.0,
    max: 5.0,
    integer: false,
};
/// The hidden width m (standard parameterization only).
pub const WIDTH: Bounds = Bounds {
    name: "width m",
    min: 1.0,
    max: 65536.0,
    integer: true,
};
/// Number of angles on the circle.
pub const POINTS: Bounds = Bounds {
    name: "points",
    min: 11.0,
    max: 4001.0,
    integer: true,
};

impl Bounds {
    /// Parse `raw` and check it lies within the bounds; the error is a sentence for
    /// the user, e.g. "depth L must be a whole number between 1 and 10".
    pub fn parse(&self, raw: &str) -> Result<f64, String> {
        let what = if self.integer {
            "a whole number"
        } else {
            "a number"
        };
        let msg = || {
            format!(
                "{} must be {what} between {} and {}",
                self.name, self.min, self.max
            )
        };
        let v: f64 = raw.trim().parse().map_err(|_| msg())?;
        let whole = !self.integer || v.fract() == 0.0;
        if v.is_finite() && whole && v >= self.min && v <= self.max {
            Ok(v)
        } else {
            Err(msg())
        }
    }
}

/// The inputs: for now the unit circle at a number of angles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    /// Number of angles γ in [−π, π].
    pub points: usize,
}

/// The fully-connected network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Hidden layers L.
    pub depth: usize,
    /// The activation φ, with its parameter.
    pub activation: Activation,
    /// σ_w.
    pub w_std: f64,
    /// σ_b; `None` = no bias parameters.
    pub b_std: Option<f64>,
    /// NTK or standard parameterization.
    pub parameterization: Parameterization,
    /// The hidden width (it matters for the standard parameterization only).
    pub width: usize,
}

/// The activations the page offers: (JSON name, label in the menu).
pub const ACTIVATIONS: [(&str, &str); 14] = [
    ("relu", "ReLU"),
    ("leaky_relu", "leaky ReLU (α)"),
    ("abs", "|x|"),
    ("erf", "erf"),
    ("gelu", "GELU (exact)"),
    ("sin", "sin"),
    ("cos", "cos"),
    ("identity", "identity (linear)"),
    ("tanh", "tanh (quadrature)"),
    ("sigmoid", "sigmoid (quadrature)"),
    ("softplus", "softplus (quadrature)"),
    ("silu", "SiLU / swish (quadrature)"),
    ("elu", "ELU (α, quadrature)"),
    ("abrelu", "ABReLU (a = −α, b = 1)"),
];

/// The activation named `name`, with `alpha` where it takes one.
pub fn activation_from_name(name: &str, alpha: f64) -> Option<Activation> {
    Some(match name {
        "relu" => Activation::Relu,
        "leaky_relu" => Activation::LeakyRelu { alpha },
        "abrelu" => Activation::AbRelu { a: -alpha, b: 1.0 },
        "abs" => Activation::Abs,
        "erf" => Activation::Erf,
        "gelu" => Activation::Gelu,
        "sin" => Activation::Sin,
        "cos" => Activation::Cos,
        "identity" => Activation::Identity,
        "tanh" => Activation::Tanh,
        "sigmoid" => Activation::Sigmoid,
        "softplus" => Activation::Softplus,
        "silu" => Activation::Silu,
        "elu" => Activation::Elu { alpha },
        _ => return None,
    })
}

/// Whether the activation takes α.
pub fn takes_alpha(name: &str) -> bool {
    matches!(name, "leaky_relu" | "elu" | "abrelu")
}

/// How plots name an activation: "ReLU", "leaky ReLU (α = 0.1)", …
pub fn activation_label(act: &Activation) -> String {
    match *act {
        Activation::Relu => "ReLU".into(),
        Activation::LeakyRelu { alpha } => format!("leaky ReLU (α = {alpha})"),
        Activation::AbRelu { a, b } => format!("ABReLU (a = {a}, b = {b})"),
        Activation::Abs => "|x|".into(),
        Activation::Erf => "erf".into(),
        Activation::Gelu => "GELU".into(),
        Activation::Sin => "sin".into(),
        Activation::Cos => "cos".into(),
        Activation::Identity => "linear".into(),
        Activation::Tanh => "tanh".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Softplus => "softplus".into(),
        Activation::Silu => "SiLU".into(),
        Activation::Elu { alpha } => format!("ELU (α = {alpha})"),
    }
}

/// Everything the page's results depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub data: DataConfig,
    pub network: NetworkConfig,
}

impl Default for Config {
    /// A 3-hidden-layer ReLU network with σ_w² = 2 and a small bias (He initialisation,
    /// the usual NTK-paper setting), on 401 angles.
    fn default() -> Self {
        Config {
            data: DataConfig { points: 401 },
            network: NetworkConfig {
                depth: 3,
                activation: Activation::Relu,
                w_std: std::f64::consts::SQRT_2,
                b_std: Some(0.1),
                parameterization: Parameterization::Ntk,
                width: 512,
            },
        }
    }
}

impl Config {
    /// The job that computes this config's results.
    pub fn circle_job(&self) -> Job {
        let n = &self.network;
        Job::CircleKernel(CircleKernelJob {
            network: FcNetwork {
                depth: n.depth,
                activation: n.activation,
                w_std: n.w_std,
                b_std: n.b_std,
                parameterization: n.parameterization,
                width: Some(n.width),
            },
            points: self.data.points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_values_inside() {
        assert_eq!(DEPTH.parse("3"), Ok(3.0));
        assert_eq!(DEPTH.parse(" 10 "), Ok(10.0));
        assert_eq!(W_STD.parse("1.25"), Ok(1.25));
        assert_eq!(B_STD.parse("0"), Ok(0.0));
    }

    #[test]
    fn bounds_reject_with_a_sentence() {
        assert_eq!(
            DEPTH.parse("0"),
            Err("depth L must be a whole number between 1 and 10".into())
        );
        assert!(DEPTH.parse("2.5").is_err());
        assert!(DEPTH.parse("").is_err());
        assert_eq!(
            W_STD.parse("-1"),
            Err("σ_w must be a number between 0 and 10".into())
        );
        assert!(W_STD.parse("NaN").is_err());
        assert!(W_STD.parse("inf").is_err());
        assert!(POINTS.parse("100000").is_err());
    }

    #[test]
    fn every_offered_activation_has_a_name_and_a_label() {
        for (name, _) in ACTIVATIONS {
            let act = activation_from_name(name, 0.1).unwrap();
            assert_eq!(act.name(), name);
            assert!(!activation_label(&act).is_empty());
        }
        assert!(activation_from_name("nope", 0.1).is_none());
    }

    #[test]
    fn default_config_round_trips_and_makes_a_valid_job() {
        let c = Config::default();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Config>(&text).unwrap(), c);
        let r = crate::compute::handle(crate::protocol::Request {
            generation: 1,
            job: c.circle_job(),
        });
        assert!(matches!(r, crate::protocol::Response::Done { .. }));
    }
}
