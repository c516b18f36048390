"""Reference NNGP/NTK values of networks beyond the MLP, from neural-tangents 0.6.5.

For the layer algebra (issue 13): each case is a network written in NTK Lab's JSON
layer list (the shape `ntk kernel` will read: {"layers": [...], "parameterization"}),
translated here into neural-tangents' `stax`, and its analytic kernels on inputs of
shape n × spatial… × channels (NWC / NHWC). Cases cover 1-D and 2-D convolutions with
each padding and a stride, average pooling, global average pooling against flatten,
dense layers on the channel axis of a sequence, residual blocks, LayerNorm, a bias-free
layer, global self-attention with linear scaling (issue 14: on tokens, followed by a
nonlinearity and pooling or flatten, stacked, inside a residual branch; NT's attention
uses its own NTK-style parameterization under either network parameterization), and
both parameterizations.

Usage (from the repository root, inside a venv made from
tests/reference/requirements.txt):

    python tests/reference/make_nt_layers_reference.py \
        > crates/ntk-core/tests/data/nt_layers_reference.json

Deterministic: a fixed seed, a fixed case order, float64 throughout, floats written by
`json` (repr round-trips IEEE-754 doubles exactly).
"""

import jax

jax.config.update("jax_enable_x64", True)

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nt_reference import generator, to_list  # noqa: E402

SEED = 20261203
PADDING = {"valid": "VALID", "same": "SAME", "circular": "CIRCULAR"}
SPATIAL = {1: "W", 2: "HW"}


def to_stax(layers, parameterization, rank):
    """NTK Lab's layer list → a stax.serial (rank = number of spatial axes)."""
    out = []
    for layer in layers:
        (kind, p), = [(k, v) for k, v in layer.items() if k in KINDS]
        out.append(KINDS[kind](p, layer, parameterization, rank))
    return stax.serial(*out)


def dense(p, _layer, parameterization, _rank):
    return stax.Dense(p["out"], W_std=p["w_std"], b_std=p.get("b_std"),
                      parameterization=parameterization)


def activation(name, layer, _parameterization, _rank):
    if name == "relu":
        return stax.Relu()
    if name == "erf":
        return stax.Erf()
    if name == "gelu":
        return stax.Gelu()
    if name == "leaky_relu":
        return stax.LeakyRelu(layer["alpha"])
    raise ValueError(name)


def conv(p, _layer, parameterization, rank):
    s = SPATIAL[len(p["filter"])]
    return stax.Conv(p["out"], tuple(p["filter"]), strides=tuple(p["stride"]),
                     padding=PADDING[p["padding"]], W_std=p["w_std"], b_std=p.get("b_std"),
                     dimension_numbers=("N" + s + "C", s + "IO", "N" + s + "C"),
                     parameterization=parameterization)


def avg_pool(p, _layer, _parameterization, _rank):
    return stax.AvgPool(tuple(p["window"]), strides=tuple(p["stride"]),
                        padding=PADDING[p["padding"]])


def residual(p, _layer, parameterization, rank):
    branch = to_stax(p["branch"], parameterization, rank)
    return stax.serial(stax.FanOut(2), stax.parallel(branch, stax.Identity()), stax.FanInSum())


def attention(p, _layer, _parameterization, _rank):
    return stax.GlobalSelfAttention(
        n_chan_out=p["out"], n_chan_key=p.get("key") or p["out"],
        n_chan_val=p.get("value") or p["out"], n_heads=p.get("heads", 1),
        linear_scaling=p.get("linear_scaling", True),
        W_key_std=p.get("w_key_std", 1.0), W_value_std=p.get("w_value_std", 1.0),
        W_query_std=p.get("w_query_std", 1.0), W_out_std=p.get("w_out_std", 1.0),
        b_std=p.get("b_std"))


KINDS = {
    "attention": attention,
    "dense": dense,
    "activation": activation,
    "conv": conv,
    "avg_pool": avg_pool,
    "global_avg_pool": lambda *_: stax.GlobalAvgPool(),
    "flatten": lambda *_: stax.Flatten(),
    "layer_norm": lambda *_: stax.LayerNorm(axis=-1),
    "residual": residual,
}


def inputs():
    rng = np.random.default_rng(SEED)
    return {
        # 1-D signals: n × length × channels.
        "signals": (rng.standard_normal((4, 8, 2)), rng.standard_normal((3, 8, 2))),
        # Small images: n × height × width × channels.
        "images": (rng.standard_normal((3, 5, 5, 2)), rng.standard_normal((2, 5, 5, 2))),
        # Plain vectors: n × d.
        "vectors": (1.2 * rng.standard_normal((5, 4)), 1.2 * rng.standard_normal((4, 4))),
        # Token sequences: n × tokens × features (drawn last: the inputs above keep
        # their values).
        "tokens": (rng.standard_normal((4, 5, 3)), rng.standard_normal((3, 5, 3))),
    }


def d(out, w=1.4, b=0.1):
    return {"dense": {"out": out, "w_std": w, "b_std": b}}


def c(out, filt, stride, padding, w=1.3, b=0.2):
    return {"conv": {"out": out, "filter": filt, "stride": stride, "padding": padding,
                     "w_std": w, "b_std": b}}


RELU = {"activation": "relu"}
ERF = {"activation": "erf"}


def cases():
    out = []
    for padding in ["valid", "same", "circular"]:
        out.append((f"conv1d_{padding}_gap", "signals",
                    [c(16, [3], [1], padding), RELU, c(16, [3], [1], padding), RELU,
                     {"global_avg_pool": {}}, d(1)]))
    out.append(("conv1d_stride2_same_flatten", "signals",
                [c(16, [3], [2], "same"), RELU, {"flatten": {}}, d(1)]))
    out.append(("conv1d_circular_flatten", "signals",
                [c(16, [3], [1], "circular"), RELU, c(16, [3], [1], "circular"), RELU,
                 {"flatten": {}}, d(1)]))
    out.append(("conv1d_no_bias_erf_gap", "signals",
                [c(16, [5], [1], "same", b=None), ERF, {"global_avg_pool": {}}, d(1, b=None)]))
    # Window 3, stride 2 on length 8: VALID gives 3 outputs, SAME 4 (neural-tangents
    # pads with zeros and, with normalize_edges=False, still divides by the window).
    for padding in ["valid", "same"]:
        out.append((f"conv1d_avg_pool_{padding}", "signals",
                    [c(16, [3], [1], "circular"), RELU,
                     {"avg_pool": {"window": [3], "stride": [2], "padding": padding}},
                     {"flatten": {}}, d(1)]))
    for padding in ["valid", "same", "circular"]:
        out.append((f"conv2d_{padding}_gap", "images",
                    [c(8, [3, 3], [1, 1], padding), RELU, {"global_avg_pool": {}}, d(1)]))
    out.append(("conv2d_stride2_valid_flatten", "images",
                [c(8, [3, 3], [2, 2], "valid"), RELU, c(8, [2, 2], [1, 1], "same"), RELU,
                 {"flatten": {}}, d(1)]))
    out.append(("dense_on_channels_gap", "signals",
                [d(32), RELU, d(32), RELU, {"global_avg_pool": {}}, d(1)]))
    # Residual blocks in pre-activation form (the branch starts with the activation and
    # ends with a linear layer): neural-tangents' FanInSum needs both summands Gaussian,
    # so the identity path must carry a linear layer's output.
    out.append(("residual_mlp", "vectors",
                [d(32), {"residual": {"branch": [RELU, d(32), RELU, d(32)]}}, RELU, d(1)]))
    out.append(("residual_cnn_gap", "signals",
                [c(16, [3], [1], "circular"),
                 {"residual": {"branch": [RELU, c(16, [3], [1], "circular"), RELU,
                                          c(16, [3], [1], "circular")]}},
                 RELU, {"global_avg_pool": {}}, d(1)]))
    out.append(("layer_norm_mlp", "vectors", [d(32), {"layer_norm": {}}, RELU, d(1)]))
    att = {"attention": {"out": 16, "heads": 2, "w_key_std": 1.2, "w_query_std": 0.9,
                         "w_value_std": 1.1, "w_out_std": 1.3, "b_std": 0.1}}
    out.append(("attention_relu_gap", "tokens", [att, RELU, {"global_avg_pool": {}}, d(1)]))
    out.append(("dense_attention_erf_flatten", "tokens",
                [d(16), {"attention": {"out": 16, "key": 8, "value": 12, "w_key_std": 2.0}},
                 ERF, {"flatten": {}}, d(1)]))
    out.append(("attention_twice_gap", "tokens",
                [d(16), att, RELU, att, RELU, {"global_avg_pool": {}}, d(1, b=None)]))
    out.append(("residual_attention_gap", "tokens",
                [d(16), {"residual": {"branch": [RELU, att]}}, {"layer_norm": {}}, RELU,
                 {"global_avg_pool": {}}, d(1)]))
    out.append(("layer_norm_cnn_gap", "signals",
                [c(16, [3], [1], "same"), {"layer_norm": {}}, RELU,
                 {"global_avg_pool": {}}, d(1)]))
    return out


def main():
    data = inputs()
    doc = {
        "generator": generator("tests/reference/make_nt_layers_reference.py"),
        "inputs": {k: {"x1": to_list(a), "x2": to_list(b)} for k, (a, b) in data.items()},
        "cases": [],
    }
    for name, inp, layers in cases():
        x1, x2 = data[inp]
        for parameterization in ["ntk", "standard"]:
            _, _, kernel_fn = to_stax(layers, parameterization, x1.ndim - 2)
            k12 = kernel_fn(x1, x2, ("nngp", "ntk"))
            k11 = kernel_fn(x1, None, ("nngp", "ntk"))
            doc["cases"].append({
                "name": f"{name}_{parameterization}",
                "input": inp,
                "network": {"layers": layers, "parameterization": parameterization},
                "x1_x2": {"nngp": to_list(k12.nngp), "ntk": to_list(k12.ntk)},
                "x1_x1": {"nngp": to_list(k11.nngp), "ntk": to_list(k11.ntk)},
            })
    sys.stdout.write(json.dumps(doc, indent=1))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
