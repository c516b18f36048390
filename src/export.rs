//! "Export as Python": a short script that reproduces the current panel's numbers with
//! the `ntk_lab` package (`python/`), and, for the networks neural-tangents has in
//! closed form, the same kernel with its `stax`.
//!
//! The script calls `ntk_lab.experiment(name, **params)` with exactly the experiments
//! the page sent to its worker (each `Experiment` serialised as the command line takes
//! it), so the page, `ntk experiment` and Python run one computation on one set of
//! parameters. Pure string building: tested natively, run by the Python tests.

use ntk_core::activation::Activation;
use ntk_core::experiments::Experiment;
use ntk_core::kernel::{FcNetwork, Parameterization};
use ntk_core::layers::architecture::Architecture;

/// An experiment as (name, its parameters as JSON), the command line's form.
pub fn experiment_params(e: &Experiment) -> (String, String) {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    let name = v
        .get("experiment")
        .and_then(|n| n.as_str())
        .unwrap_or("kernel")
        .to_string();
    if let Some(o) = v.as_object_mut() {
        o.remove("experiment");
    }
    (name, v.to_string())
}

/// neural-tangents' stax layer for an activation, and whether it is exact (closed
/// form there too) rather than NT's numerical Gauss–Hermite approximation.
fn stax_activation(a: &Activation) -> (String, bool) {
    let numerical = |f: &str| (format!("stax.ElementwiseNumerical(fn={f}, deg=25)"), false);
    match a {
        Activation::Relu => ("stax.Relu()".into(), true),
        Activation::LeakyRelu { alpha } => (format!("stax.LeakyRelu({alpha:?})"), true),
        Activation::AbRelu { a, b } => (format!("stax.ABRelu({a:?}, {b:?})"), true),
        Activation::Abs => ("stax.Abs()".into(), true),
        Activation::Erf => ("stax.Erf()".into(), true),
        Activation::Gelu => ("stax.Gelu(approximate=False)".into(), true),
        Activation::Sin => ("stax.Sin()".into(), true),
        Activation::Cos => ("stax.Cos()".into(), true),
        Activation::Identity => ("stax.Identity()".into(), true),
        Activation::Tanh => numerical("jnp.tanh"),
        Activation::Sigmoid => numerical("jax.nn.sigmoid"),
        Activation::Softplus => numerical("jax.nn.softplus"),
        Activation::Silu => numerical("jax.nn.silu"),
        Activation::Elu { alpha } => numerical(&format!("lambda x: jax.nn.elu(x, {alpha:?})")),
    }
}

fn py_float(v: Option<f64>) -> String {
    v.map_or("None".into(), |v| format!("{v:?}"))
}

/// The stax comparison block for an MLP, or a comment saying why there is none.
fn stax_block(net: &FcNetwork, arch: &Architecture, d: usize) -> String {
    if !matches!(arch, Architecture::Mlp) {
        return "\n# neural-tangents: this export writes stax code for the fully-connected \
                network only.\n# (neural-tangents has residual blocks, convolutions and \
                attention as stax layers,\n# but no Kolmogorov–Arnold layer.)\n"
            .into();
    }
    let (act, exact) = stax_activation(&net.activation);
    let param = match net.parameterization {
        Parameterization::Ntk => "ntk",
        Parameterization::Standard => "standard",
    };
    let width = net.width.unwrap_or(512);
    let (w, b) = (py_float(Some(net.w_std)), py_float(net.b_std));
    let network = serde_json::to_string(net).unwrap_or_default();
    let note = if exact {
        "# Both sides are closed forms: off the diagonal they agree to rounding. On the\n    \
         # diagonal (ρ = 1) neural-tangents' ReLU family can be ~1e-8 off its closed form,\n    \
         # where it keeps the correlation away from ±1."
    } else {
        "# neural-tangents has no closed form for this activation: ElementwiseNumerical\n    \
         # integrates it by Gauss–Hermite quadrature of degree 25, so expect its error,\n    \
         # not rounding, in the difference (NTK Lab's graded quadrature is within 3e-13)."
    };
    format!(
        r#"
# The same analytic kernel with neural-tangents' stax, on 8 random inputs in d = {d}
# (pip install neural-tangents; float64 needs jax_enable_x64).
try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from neural_tangents import stax
except ImportError:
    print("neural-tangents is not installed: the stax comparison is skipped")
else:
    layers = []
    for _ in range({depth}):
        layers += [stax.Dense({width}, W_std={w}, b_std={b}, parameterization="{param}"),
                   {act}]
    layers += [stax.Dense(1, W_std={w}, b_std={b}, parameterization="{param}")]
    kernel_fn = stax.serial(*layers)[2]
    x = np.random.default_rng(0).normal(size=(8, {d}))
    nt = np.asarray(kernel_fn(x, None, "ntk"))
    ours = ntk_lab.kernel(x, network=json.loads(r"""{network}"""))["ntk"]
    {note}
    gap = np.abs(ours - nt) / np.abs(nt).max()
    print("largest relative difference, NTK:", float(gap.max()),
          "off the diagonal:", float(gap[~np.eye(len(x), dtype=bool)].max()))
"#,
        depth = net.depth,
    )
}

/// The script for `job` (the page's experiments for its view) and, for the stax part,
/// the sidebar's network, architecture and input dimension. `url` is the page's state.
pub fn python_script(
    job: &[Experiment],
    network: Option<(&FcNetwork, &Architecture)>,
    d: usize,
    url: &str,
) -> String {
    let mut s = format!(
        r#""""NTK Lab, exported: the numbers of the page at
{url}

Runs the same experiments, with the same parameters, as the page sent to its worker.
Needs the ntk_lab package: `pip install ./python` in a clone of NTK Lab (it builds
from source with the Rust toolchain).
"""
import json

import ntk_lab

results = {{}}
"#
    );
    for e in job {
        let (name, params) = experiment_params(e);
        s.push_str(&format!(
            "results[{name:?}] = ntk_lab.experiment({name:?}, **json.loads(r\"\"\"{params}\"\"\"))\n"
        ));
    }
    s.push_str(
        "\nfor name, result in results.items():\n    print(name, sorted(result) if \
         isinstance(result, dict) else type(result).__name__)\n",
    );
    if let Some((net, arch)) = network {
        s.push_str(&stax_block(net, arch, d));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use crate::presets::{preset_values, PRESETS};

    /// Every preset's script carries each of its experiments' parameters exactly: read
    /// back, they are the experiment the page sends.
    #[test]
    fn every_preset_exports_its_exact_experiments() {
        for p in PRESETS {
            let c = config::build(&preset_values(&p)).unwrap();
            let net = c.network();
            let script = python_script(
                &c.job(),
                net.as_ref().map(|n| (n, &c.architecture)),
                c.data.d,
                "http://x/#preset",
            );
            for e in c.job() {
                let (name, params) = experiment_params(&e);
                let line =
                    format!("ntk_lab.experiment({name:?}, **json.loads(r\"\"\"{params}\"\"\"))");
                assert!(script.contains(&line), "{}: {line}", p.id);
                let mut v: serde_json::Value = serde_json::from_str(&params).unwrap();
                v.as_object_mut()
                    .unwrap()
                    .insert("experiment".into(), name.clone().into());
                let back: Experiment = serde_json::from_value(v).unwrap();
                assert_eq!(back, e, "{}", p.id);
            }
            // python/tests/test_export.py runs some of these.
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/export-scripts");
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(format!("{dir}/{}.py", p.id), &script).unwrap();
        }
    }

    #[test]
    fn stax_code_names_the_layers_and_says_when_it_is_approximate() {
        let relu = FcNetwork::relu(2, 1.4, Some(0.1));
        let s = python_script(&[], Some((&relu, &Architecture::Mlp)), 3, "u");
        assert!(s.contains("for _ in range(2):"));
        assert!(s.contains("stax.Dense(512, W_std=1.4, b_std=0.1, parameterization=\"ntk\")"));
        assert!(s.contains("stax.Relu()"));
        assert!(s.contains("size=(8, 3)"));
        assert!(s.contains("Both sides are closed forms"));
        let tanh = relu.with_activation(Activation::Tanh);
        let s = python_script(&[], Some((&tanh, &Architecture::Mlp)), 2, "u");
        assert!(s.contains("ElementwiseNumerical(fn=jnp.tanh, deg=25)"));
        assert!(s.contains("Gauss–Hermite"));
        let nob = FcNetwork::relu(1, 1.0, None);
        assert!(python_script(&[], Some((&nob, &Architecture::Mlp)), 2, "u").contains("b_std=None"));
        let s = python_script(&[], Some((&relu, &Architecture::ResidualMlp)), 2, "u");
        assert!(s.contains("stax code for the fully-connected network only"));
        assert!(!s.contains("kernel_fn"));
    }
}
