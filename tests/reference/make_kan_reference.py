"""Reference kernels of Kolmogorov-Arnold networks, computed independently of the Rust
code: scipy's own B-splines (scipy.interpolate.BSpline) and nested adaptive quadrature
(scipy.integrate.quad, breakpoints at the knots).

Usage (from the repository root, inside the venv of tests/reference/requirements.txt):

    python tests/reference/make_kan_reference.py > crates/ntk-core/tests/data/kan_reference.json

The layer (see crates/ntk-core/src/layers/kan.rs): for inputs x_1..x_n,
    out_j = (1/sqrt n) sum_i [ sb w_ij silu(x_i) + ss sum_k c_ijk B_k(x_i) ],
w, c ~ N(0, 1). B_k: the B-splines of degree K on the knots t_j = a + j h,
j = -K .. G + K, h = (b - a)/G (basis element k on t_{k-K} .. t_{k+1}).
Feature kernel kappa(x, y) = sb^2 silu(x) silu(y) + ss^2 sum_k B_k(x) B_k(y), and
kappa_dot with the derivatives.

Infinite-width recursion (NTK parameterization, inputs n x P x C):
  * a KAN layer on the raw data (the network's first layer):
        K = (1/C) sum_c kappa(x_c, y_c),  Theta = K;
  * a KAN layer on Gaussian pre-activations with covariance [[K11, K12], [K12, K22]]:
        K12 <- E[kappa(u, v)],  Theta12 <- E[kappa(u, v)] + E[kappa_dot(u, v)] Theta12;
  * dense (NTK parameterization): K <- w^2 K + b^2, Theta <- K + w^2 Theta;
    a dense layer first sees K0 = x.y / C, Theta0 = 0.
The expectations: u = s1 z1, v = s2 (rho z1 + tau z2), nested quad over z1 and z2 in
[-9, 9] with the knots (in z) as breakpoints; rho = +-1 integrates once.
"""

import json
import math
import sys

import numpy as np
from scipy import integrate
from scipy.interpolate import BSpline
from scipy.special import expit

Z = 9.0
EPS_ABS = 1e-13
EPS_REL = 1e-12


def silu(x):
    return x * expit(x)


def silu_d(x):
    s = expit(x)
    return s * (1.0 + x * (1.0 - s))


class Kan:
    def __init__(self, grid=8, order=3, rng=(-2.0, 2.0), w_std=1.0, base="silu", base_std=1.0):
        self.G, self.K = grid, order
        a, b = rng
        h = (b - a) / grid
        self.knots = np.array([a + j * h for j in range(-order, grid + order + 1)])
        self.nb = grid + order
        self.ss = w_std
        self.sb = base_std if base == "silu" else 0.0
        self.json = {"grid": grid, "order": order, "range": [a, b], "w_std": w_std,
                     "base": base, "base_std": base_std}

    def coeffs(self, x):
        """B_k(x) for every k, by scipy's basis elements (0 outside the support)."""
        out = np.zeros(self.nb)
        for k in range(self.nb):
            e = BSpline.basis_element(self.knots[k:k + self.K + 2], extrapolate=False)
            v = e(x)
            out[k] = 0.0 if np.isnan(v) else float(v)
        return out

    def spline(self, c, deriv):
        """sum_k c_k B_k as one BSpline. Its knots are padded by K more on each side
        (coefficients 0 there), so that its base interval covers the whole support
        [a - K h, b + K h]: scipy evaluates a spline only between t[K] and t[-K-1]."""
        h = self.knots[1] - self.knots[0]
        pad = np.arange(1, self.K + 1) * h
        t = np.concatenate([self.knots[0] - pad[::-1], self.knots, self.knots[-1] + pad])
        cc = np.concatenate([np.zeros(self.K), c, np.zeros(self.K)])
        s = BSpline(t, cc, self.K, extrapolate=False)
        return s.derivative() if deriv else s

    def coeffs_d(self, x):
        out = np.zeros(self.nb)
        for k in range(self.nb):
            e = BSpline.basis_element(self.knots[k:k + self.K + 2], extrapolate=False)
            v = e.derivative()(x)
            out[k] = 0.0 if np.isnan(v) else float(v)
        return out

    def kappa(self, x, y):
        return self.sb ** 2 * silu(x) * silu(y) + self.ss ** 2 * float(self.coeffs(x) @ self.coeffs(y))

    def expect(self, k12, v1, v2):
        """(E[kappa(u, v)], E[kappa_dot(u, v)])."""
        s1, s2 = math.sqrt(v1), math.sqrt(v2)
        rho = max(-1.0, min(1.0, k12 / math.sqrt(v1 * v2)))
        tau = math.sqrt(max(0.0, (1 - rho) * (1 + rho)))
        pdf = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

        def pts(scale, shift=0.0, slope=1.0):
            p = [(t / scale - shift) / slope for t in self.knots]
            return sorted(x for x in p if -Z < x < Z)

        def outer(z1, deriv):
            u = s1 * z1
            if deriv:
                cu, base_u = self.coeffs_d(u), silu_d(u)
            else:
                cu, base_u = self.coeffs(u), silu(u)
            sp = self.spline(cu, deriv)
            g = lambda v: self.sb ** 2 * base_u * (silu_d(v) if deriv else silu(v)) + \
                self.ss ** 2 * float(np.nan_to_num(sp(v)))
            if tau < 1e-14:
                return g(s2 * rho * z1)
            # v = s2 (rho z1 + tau z2): knots at z2 = (t/s2 - rho z1)/tau
            p = pts(s2, rho * z1, tau) + [0.0]
            val, _ = integrate.quad(lambda z2: g(s2 * (rho * z1 + tau * z2)) * pdf(z2), -Z, Z,
                                    points=sorted(set(p)), limit=400, epsabs=EPS_ABS,
                                    epsrel=EPS_REL)
            return val

        res = []
        for deriv in (False, True):
            p = pts(s1) + [0.0]
            if abs(rho) > 0:
                p += pts(s2 * rho)
            p = sorted(set(x for x in p if -Z < x < Z))
            val, _ = integrate.quad(lambda z1: outer(z1, deriv) * pdf(z1), -Z, Z, points=p,
                                    limit=400, epsabs=EPS_ABS, epsrel=EPS_REL)
            res.append(val)
        return res


def network_kernels(layers, xs):
    """K, Theta (n x n) of a list of ("kan", Kan, out) / ("dense", w, b, out) layers."""
    n = len(xs)
    K = np.zeros((n, n))
    T = np.zeros((n, n))
    first = True
    for layer in layers:
        if layer[0] == "kan":
            kan = layer[1]
            if first:
                for i in range(n):
                    for j in range(n):
                        K[i, j] = np.mean([kan.kappa(a, b) for a, b in zip(xs[i], xs[j])])
                T = K.copy()
            else:
                Kn, Tn = K.copy(), T.copy()
                for i in range(n):
                    for j in range(i, n):
                        e, ed = kan.expect(K[i, j], K[i, i], K[j, j])
                        Kn[i, j] = Kn[j, i] = e
                        Tn[i, j] = Tn[j, i] = e + ed * T[i, j]
                K, T = Kn, Tn
        else:
            _, w, b, _ = layer
            if first:
                K = np.array([[np.dot(a, c) / len(a) for c in xs] for a in xs])
                T = np.zeros((n, n))
            K = w * w * K + b * b
            T = K + w * w * T
        first = False
    return K, T


def layer_json(layer):
    if layer[0] == "kan":
        d = dict(layer[1].json)
        d["out"] = layer[2]
        return {"kan": d}
    _, w, b, out = layer
    return {"dense": {"out": out, "w_std": w, "b_std": b}}


def main():
    x2 = [[0.6, -0.8], [1.2, -1.6], [-0.6, 0.8], [0.28, 0.96], [1.5, 0.3]]
    cases = []
    nets = {
        # Liu et al.'s shape [2, m, 1]: the raw-input layer, then one Gaussian layer.
        "kan_raw_then_gaussian": [("kan", Kan(), 64), ("kan", Kan(), 1)],
        # Dense first (Gaussian inputs to both KAN layers), other orders and ranges.
        "dense_then_kans": [
            ("dense", 1.3, 0.2, 64),
            ("kan", Kan(grid=5, order=1, rng=(-1.0, 3.0), w_std=1.5, base="none"), 64),
            ("kan", Kan(grid=3, order=2, rng=(-1.5, 1.5), w_std=0.8, base_std=0.7), 1),
        ],
    }
    # Inputs of very different norms (variances 0.006 … 512 at the first KAN: the
    # kernel's two arguments far apart) and a fine degree-5 grid on a narrow range (a
    # Gaussian hundreds of cells wide).
    wide_x = [[0.1, 0.05], [3.0, -1.0], [20.0, 25.0], [-30.0, 2.0]]
    nets["wide_variances"] = [
        ("dense", 1.0, 0.0, 64),
        ("kan", Kan(grid=32, order=5, rng=(-1.0, 1.0), base="none"), 64),
        ("kan", Kan(grid=4, order=3), 1),
    ]
    for name, layers in nets.items():
        xs = wide_x if name == "wide_variances" else x2
        K, T = network_kernels(layers, xs)
        cases.append({
            "name": name,
            "layers": [layer_json(l) for l in layers],
            "x": xs,
            "nngp": K.tolist(),
            "ntk": T.tolist(),
        })
        print(f"{name} done", file=sys.stderr)
    json.dump({"tolerance_note": "nested scipy quad, epsabs 1e-13, epsrel 1e-12",
               "cases": cases}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
