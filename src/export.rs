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
use ntk_core::kernel::FcNetwork;
use ntk_core::layers::architecture::Architecture;
use ntk_core::layers::Layer;

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

/// Why neural-tangents has no kernel for this network, or None when it has one.
fn stax_missing(layers: &[Layer]) -> Option<&'static str> {
    for l in layers {
        match l {
            Layer::Kan(_) => return Some("neural-tangents has no Kolmogorov–Arnold layer"),
            Layer::Residual(branch) => {
                if let Some(why) = stax_missing(branch) {
                    return Some(why);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether every activation of the network has a closed form in neural-tangents too
/// (else its `ElementwiseNumerical` Gauss–Hermite approximation is used).
fn stax_exact(layers: &[Layer]) -> bool {
    layers.iter().all(|l| match l {
        Layer::Activation(a) => !matches!(
            a,
            Activation::Tanh
                | Activation::Sigmoid
                | Activation::Softplus
                | Activation::Silu
                | Activation::Elu { .. }
        ),
        Layer::Residual(b) => stax_exact(b),
        _ => true,
    })
}

/// The Python translator from NTK Lab's layer list to `stax.serial` (the same
/// correspondence as tests/reference/make_nt_layers_reference.py).
const TO_STAX: &str = r#"
    PADDING = {"valid": "VALID", "same": "SAME", "circular": "CIRCULAR"}
    NUMERICAL = {"tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus,
                 "silu": jax.nn.silu, "swish": jax.nn.silu}

    def activation(layer):
        name = layer["activation"]
        closed = {"relu": stax.Relu, "abs": stax.Abs, "erf": stax.Erf, "sin": stax.Sin,
                  "cos": stax.Cos, "identity": stax.Identity}
        if name in closed:
            return closed[name]()
        if name == "gelu":
            return stax.Gelu(approximate=False)
        if name == "leaky_relu":
            return stax.LeakyRelu(layer["alpha"])
        if name == "abrelu":
            return stax.ABRelu(layer["a"], layer["b"])
        if name == "elu":
            return stax.ElementwiseNumerical(lambda x: jax.nn.elu(x, layer.get("alpha", 1.0)), deg=25)
        return stax.ElementwiseNumerical(NUMERICAL[name], deg=25)

    def to_stax(layers, parameterization):
        out = []
        for layer in layers:
            if "activation" in layer:
                out.append(activation(layer))
                continue
            (kind, p), = layer.items()
            if kind == "dense":
                out.append(stax.Dense(p["out"], W_std=p["w_std"], b_std=p.get("b_std"),
                                      parameterization=parameterization))
            elif kind == "conv":
                s = {1: "W", 2: "HW"}[len(p["filter"])]
                out.append(stax.Conv(p["out"], tuple(p["filter"]), strides=p.get("stride") and tuple(p["stride"]),
                                     padding=PADDING[p.get("padding", "valid")], W_std=p["w_std"],
                                     b_std=p.get("b_std"), dimension_numbers=("N" + s + "C", s + "IO", "N" + s + "C"),
                                     parameterization=parameterization))
            elif kind == "avg_pool":
                out.append(stax.AvgPool(tuple(p["window"]), strides=p.get("stride") and tuple(p["stride"]),
                                        padding=PADDING[p.get("padding", "valid")]))
            elif kind == "global_avg_pool":
                out.append(stax.GlobalAvgPool())
            elif kind == "flatten":
                out.append(stax.Flatten())
            elif kind == "layer_norm":
                out.append(stax.LayerNorm(axis=-1))
            elif kind == "residual":
                branch = p["branch"] if isinstance(p, dict) else p
                out.append(stax.serial(stax.FanOut(2), stax.parallel(to_stax(branch, parameterization),
                                                                     stax.Identity()), stax.FanInSum()))
            elif kind == "attention":
                out.append(stax.GlobalSelfAttention(
                    n_chan_out=p["out"], n_chan_key=p.get("key") or p["out"],
                    n_chan_val=p.get("value") or p["out"], n_heads=p.get("heads", 1),
                    linear_scaling=p.get("linear_scaling", True),
                    W_key_std=p.get("w_key_std", 1.0), W_value_std=p.get("w_value_std", 1.0),
                    W_query_std=p.get("w_query_std", 1.0), W_out_std=p.get("w_out_std", 1.0),
                    b_std=p.get("b_std")))
            else:
                raise ValueError(f"no stax layer for {kind}")
        return stax.serial(*out)
"#;

/// The stax comparison block, or a comment saying why there is none.
fn stax_block(net: &FcNetwork, arch: &Architecture, d: usize) -> String {
    if !arch.has_limit() {
        return "\n# neural-tangents: attention with the standard 1/√d_k scaling has no \
                closed-form kernel\n# (neither here nor there), so there is no stax \
                comparison.\n"
            .into();
    }
    let width = net.width.unwrap_or(512);
    let (Ok(ln), Ok(shape)) = (arch.layers(net, width), arch.input_shape(d)) else {
        return String::new();
    };
    if let Some(why) = stax_missing(&ln.layers) {
        return format!("\n# {why}: there is no stax comparison for this network.\n");
    }
    let network = serde_json::to_string(&ln).unwrap_or_default();
    let mut dims: Vec<String> = shape.spatial.iter().map(|v| v.to_string()).collect();
    dims.push(shape.channels.to_string());
    let shape_text = format!("({})", dims.join(" × "));
    let note = if stax_exact(&ln.layers) {
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
# The same analytic kernel with neural-tangents' stax, on 8 random inputs of shape
# {shape} (pip install neural-tangents; float64 needs jax_enable_x64). The network is
# the sidebar's as a layer list (hidden width {width}, which the NTK-parameterized
# kernel does not depend on).
try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from neural_tangents import stax
except ImportError:
    print("neural-tangents is not installed: the stax comparison is skipped")
else:{TO_STAX}
    network = json.loads(r"""{network}""")
    kernel_fn = stax.serial(to_stax(network["layers"], network["parameterization"]))[2]
    x = np.random.default_rng(0).normal(size=(8, {dims}))
    nt = np.asarray(kernel_fn(x, None, "ntk"))
    ours = ntk_lab.kernel(x, network=network)["ntk"]
    {note}
    gap = np.abs(ours - nt) / np.abs(nt).max()
    print("largest relative difference, NTK:", float(gap.max()),
          "off the diagonal:", float(gap[~np.eye(len(x), dtype=bool)].max()))
"#,
        shape = shape_text,
        dims = dims.join(", "),
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
    fn stax_code_carries_the_layer_list_and_says_when_it_is_approximate() {
        let relu = FcNetwork::relu(2, 1.4, Some(0.1));
        let s = python_script(&[], Some((&relu, &Architecture::Mlp)), 3, "u");
        let ln = Architecture::Mlp.layers(&relu, 512).unwrap();
        assert!(s.contains(&serde_json::to_string(&ln).unwrap()));
        assert!(s.contains("size=(8, 3)"));
        assert!(s.contains("Both sides are closed forms"));
        let tanh = relu.with_activation(Activation::Tanh);
        let s = python_script(&[], Some((&tanh, &Architecture::Mlp)), 2, "u");
        assert!(s.contains("Gauss–Hermite"));
        let cnn = Architecture::Cnn {
            filter: 3,
            padding: ntk_core::layers::Padding::Circular,
            pooling: ntk_core::layers::architecture::Pooling::GlobalAvg,
            height: None,
        };
        let s = python_script(&[], Some((&relu, &cnn)), 16, "u");
        assert!(s.contains("size=(8, 16, 1)"), "{s}");
        assert!(s.contains("\"conv\""));
        // A residual MLP's script, for running by hand beside neural-tangents.
        let s = python_script(&[], Some((&relu, &Architecture::ResidualMlp)), 4, "u");
        assert!(s.contains("\"residual\""));
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/export-scripts");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(format!("{dir}/residual-mlp.py"), &s).unwrap();
        let kan = Architecture::Kan { grid: 8, order: 3 };
        let s = python_script(&[], Some((&relu, &kan)), 2, "u");
        assert!(s.contains("no Kolmogorov–Arnold layer"));
        assert!(!s.contains("kernel_fn"));
    }
}
