#!/usr/bin/env python3
"""Write the fuzz targets' seed inputs into fuzz/corpus/<target>/ (valid inputs of
every kind, from which libFuzzer mutates). Needs the `ntk` binary for the experiments'
defaults: cargo build --release --bin ntk (run from the repository root)."""

import hashlib
import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(target, data):
    folder = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def main():
    # URL hashes: every preset's fields, and a few hand-edited shapes.
    presets = open(os.path.join(ROOT, "src", "presets.rs"), encoding="utf-8").read()
    for block in re.findall(r"fields: &\[(.*?)\]", presets, re.S):
        pairs = re.findall(r'\("([^"]+)", "([^"]*)"\)', block)
        write("url_hash", "#" + "&".join(f"{k}={v.replace(' ', '%20')}" for k, v in pairs))
    for text in ["", "#", "#hide=all", "#present=1&view=training", "#depth=%FF&n=1e400",
                 "#widths=64,%20256&seeds=-3", "#dist=student_t&nu=0.5&d=0", "#view=kernel&x=1&x=2"]:
        write("url_hash", text)
    # CSV files.
    for text in ["x1,x2,y\n1,2,3\n4,5,6\n", "\ufeffa,b\r\n1,2\r\n3,4\r\n", '"x","y"\n"1.5","2"\n',
                 "1,2\nNaN,inf\n\n3,4\n", "x\n" + "\n".join(str(i) for i in range(50)),
                 ",".join(str(i) for i in range(300)) + "\n"]:
        write("csv", text)
    # The command line: a byte choosing the verb or experiment, then its JSON.
    net = {"depth": 2, "activation": "relu", "w_std": 1.4, "b_std": 0.1,
           "parameterization": "ntk", "width": 8}
    x = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    verbs = [
        {"network": net, "x1": x, "x2": [[0.5, 0.5]]},
        {"network": net, "seed": 3, "x1": x},
        {"network": net, "seed": 0, "x_train": x, "y_train": [1, -1, 0.5], "x_test": [[0.5, 0.5]],
         "learning_rate": 0.1, "steps": 5, "record_every": 1},
        {"network": net, "kernel": "ntk", "x_train": x, "y_train": [1, -1, 0.5],
         "x_test": [[0.5, 0.5]], "times": [0, 1, None], "learning_rate": 1, "diag_reg": 1e-4},
        {"op": "eigh", "n": 8, "d": 2, "depth": 2, "activation": "relu", "repeats": 1},
    ]
    for i, spec in enumerate(verbs):
        write("cli_json", bytes([i]) + json.dumps(spec).encode())
    ntk = os.path.join(ROOT, "target", "release", "ntk")
    listing = json.loads(subprocess.run([ntk, "experiment", "--list"], capture_output=True,
                                        check=True, text=True).stdout)
    for i, e in enumerate(listing):
        write("cli_json", bytes([len(verbs) + i]) + json.dumps(e["defaults"]).encode())


if __name__ == "__main__":
    main()
