"""Reference values of the spurious-feature limits gamma_RF and gamma_NTK
(Bombari & Mondelli 2024, arXiv:2305.12100), from Hermite coefficients computed
term by term with mpmath, independently of NTK Lab's dual kernels.

Usage (from the repository root, inside the venv of
tests/reference/requirements-quadrature.txt):

    python tests/reference/make_spurious_gamma_reference.py \
        > crates/ntk-core/tests/data/spurious_gamma_reference.json

Definitions
-----------
h_l = He_l / sqrt(l!) (orthonormal probabilists' Hermite polynomials), Z ~ N(0, 1),
mu_l = E[phi(Z) h_l(Z)], mu'_l = E[phi'(Z) h_l(Z)].

  gamma_RF(a)  = sum_{l>=2} mu_l^2 a^l / sum_{l>=2} mu_l^2
  gamma_NTK(a) = a * sum_{l>=1} mu'_l^2 a^l / sum_{l>=1} mu'_l^2

Method
------
Each coefficient is one mpmath.quad (tanh-sinh) on (-inf, 0] and [0, inf) (split at
the kink of ReLU), 20 significant digits, with h_l by its three-term recurrence.
The numerators are summed to l = L = 110 (a^L <= 0.75^110 < 2e-14 of the total);
the denominators use Parseval: sum_{l>=2} mu_l^2 = E[phi^2] - mu_0^2 - mu_1^2, with
E[phi^2] by its own quadrature, so no truncation enters them.
"""

import json
import sys

import mpmath as mp

mp.mp.dps = 20
L = 110
ALPHAS = ["0.25", "0.5", "0.75"]


def relu(x):
    return x if x > 0 else mp.mpf(0)


def relu_d(x):
    return mp.mpf(1) if x > 0 else mp.mpf(0)


def erf_d(x):
    return 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)


def tanh_d(x):
    return 1 - mp.tanh(x) ** 2


ACTS = {
    "relu": (relu, relu_d),
    "erf": (mp.erf, erf_d),
    "tanh": (mp.tanh, tanh_d),
}


def gauss(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def expect(f):
    return mp.quad(lambda x: f(x) * gauss(x), [-mp.inf, 0]) + mp.quad(
        lambda x: f(x) * gauss(x), [0, mp.inf]
    )


def hermite(l, x):
    h0, h1 = mp.mpf(1), x
    if l == 0:
        return h0
    for k in range(1, l):
        h0, h1 = h1, (x * h1 - mp.sqrt(k) * h0) / mp.sqrt(k + 1)
    return h1


def coefficients(f):
    return [expect(lambda x, l=l: f(x) * hermite(l, x)) for l in range(L + 1)]


def main():
    cases = []
    for name, (phi, dphi) in ACTS.items():
        mu = coefficients(phi)
        mud = coefficients(dphi)
        e_phi2 = expect(lambda x: phi(x) ** 2)
        e_dphi2 = expect(lambda x: dphi(x) ** 2)
        den_rf = e_phi2 - mu[0] ** 2 - mu[1] ** 2
        den_ntk = e_dphi2 - mud[0] ** 2
        for a in ALPHAS:
            a = mp.mpf(a)
            num_rf = sum(mu[l] ** 2 * a**l for l in range(2, L + 1))
            num_ntk = sum(mud[l] ** 2 * a**l for l in range(1, L + 1))
            cases.append(
                {
                    "activation": name,
                    "features": "rf",
                    "alpha": float(a),
                    "gamma": float(num_rf / den_rf),
                }
            )
            cases.append(
                {
                    "activation": name,
                    "features": "ntk",
                    "alpha": float(a),
                    "gamma": float(a * num_ntk / den_ntk),
                }
            )
        print(f"{name}: mu_0..3 = {[mp.nstr(m, 12) for m in mu[:4]]}", file=sys.stderr)
    json.dump(
        {
            "source": "tests/reference/make_spurious_gamma_reference.py (mpmath "
            + mp.__version__
            + ", 20 digits, Hermite coefficients to l = 110)",
            "cases": cases,
        },
        sys.stdout,
        indent=1,
    )
    print()


if __name__ == "__main__":
    main()
