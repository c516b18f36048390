//! The spectral-bias experiment: the training residual f − y of a trained net,
//! projected on the eigenvectors of the infinite-width NTK Gram matrix (on the circle:
//! grouped by Fourier frequency), beside the same projection of the residual of the
//! net's own linearisation, (I − ηΘ̂₀/N)^s (f₀ − y). At infinite width the mode of
//! eigenvalue λ decays like (1 − ηλ/N)^s ≈ e^(−λt/N), so large-eigenvalue (low
//! frequency) modes are learned first (Rahaman et al. 2019, arXiv:1806.08734; Basri et
//! al. 2019, arXiv:1906.00425; Arora et al. 2019, arXiv:1901.08584).
//!
//! `run` trains only the widest width of its parameters; the training experiment
//! computes the same modes from its own widest net.

use serde::{Deserialize, Serialize};

use super::Observer;
use crate::error::{NtkError, Result};
use crate::linalg::Matrix;
use crate::spectral::{dominant_frequency, project, residual_modes};

/// The spectral-bias experiment takes the training experiment's settings.
pub type Params = super::training::Params;

/// How many modes (or frequencies) are followed.
pub const MODES_SHOWN: usize = 5;

/// One eigenmode (or frequency, on the circle) of the training residual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeLine {
    /// On the circle: the Fourier frequency of the group.
    pub frequency: Option<usize>,
    /// Off the circle: the mode's rank (1 = the largest eigenvalue).
    pub mode: usize,
    /// λ/N of the analytic Gram matrix (the group's mean): the infinite-width rate
    /// e^(−λt/N).
    pub lambda: f64,
    /// |residual component| / its value at t = 0: theory (the same net's
    /// linearisation, from its own f₀ and Θ̂₀) and measured.
    pub theory: Vec<f64>,
    pub measured: Vec<f64>,
}

/// Per-mode residuals of a trained net against its linearisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Modes {
    pub times: Vec<f64>,
    pub modes: Vec<ModeLine>,
    /// The width of the net.
    pub width: usize,
    /// Modes grouped by frequency on the circle.
    pub circle: bool,
}

/// The residual of `predictions` (one per recorded step) per eigenmode of the
/// analytic Gram matrix (λ ascending, as `symmetric_eigen` returns them), relative to
/// its value at the first record, beside the same quantity for `theory` (the same
/// net's linearised predictions). On the circle the modes are grouped by their
/// dominant frequency (the cos and sin of one frequency share an eigenvalue). The
/// modes kept are those carrying most of the target (at most [`MODES_SHOWN`], each
/// above 10⁻⁶ of its energy), largest eigenvalue first.
pub fn mode_lines(
    lambda: &[f64],
    vectors: &Matrix,
    y: &[f64],
    predictions: &[Vec<f64>],
    theory: &[Vec<f64>],
    circle: bool,
) -> Result<Vec<ModeLine>> {
    let n = y.len();
    if lambda.len() != n || vectors.rows() != n {
        return Err(NtkError::DimensionMismatch {
            field: "lambda",
            expected: n,
            got: lambda.len(),
        });
    }
    let cy = project(vectors, y)?;
    let comps = residual_modes(vectors, predictions, y)?;
    let lin = residual_modes(vectors, theory, y)?;
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for k in 0..lambda.len() {
        let key = if circle {
            let col: Vec<f64> = (0..n).map(|i| vectors.get(i, k)).collect();
            dominant_frequency(&col).frequency
        } else {
            k
        };
        match groups.iter_mut().find(|(g, _)| *g == key) {
            Some((_, members)) => members.push(k),
            None => groups.push((key, vec![k])),
        }
    }
    let energy = |members: &[usize], c: &[f64]| members.iter().map(|&k| c[k] * c[k]).sum::<f64>();
    let total: f64 = cy.iter().map(|c| c * c).sum();
    let mut chosen: Vec<&(usize, Vec<usize>)> = groups
        .iter()
        .filter(|(_, m)| energy(m, &cy) > 1e-6 * total)
        .collect();
    chosen.sort_by(|a, b| energy(&b.1, &cy).total_cmp(&energy(&a.1, &cy)));
    chosen.truncate(MODES_SHOWN);
    let mean_lambda = |m: &[usize]| m.iter().map(|&k| lambda[k]).sum::<f64>() / m.len() as f64;
    chosen.sort_by(|a, b| mean_lambda(&b.1).total_cmp(&mean_lambda(&a.1)));
    let nn = n as f64;
    Ok(chosen
        .into_iter()
        .map(|(key, members)| {
            let start = energy(members, &comps[0]).max(f64::MIN_POSITIVE);
            let start_lin = energy(members, &lin[0]).max(f64::MIN_POSITIVE);
            ModeLine {
                frequency: circle.then_some(*key),
                mode: lambda.len() - members[0],
                lambda: mean_lambda(members) / nn,
                measured: comps
                    .iter()
                    .map(|c| (energy(members, c) / start).sqrt())
                    .collect(),
                theory: lin
                    .iter()
                    .map(|c| (energy(members, c) / start_lin).sqrt())
                    .collect(),
            }
        })
        .collect())
}

/// Run the spectral-bias experiment: train the widest width of `p` and return its
/// residual per mode.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Modes> {
    let widest = p
        .widths
        .iter()
        .copied()
        .max()
        .ok_or(NtkError::Empty { field: "widths" })?;
    let only = Params {
        widths: vec![widest],
        ..p.clone()
    };
    let out = super::training::run(&only, observer)?;
    out.modes.ok_or(NtkError::Diverges {
        learning_rate: p.learning_rate,
        critical: out.training.runs[0].critical.unwrap_or(f64::INFINITY),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::symmetric_eigen;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn modes_of_an_exact_exponential_decay_are_exact() {
        // A diagonal Gram: the eigenvectors are the unit vectors, λ = (1, 2, 3, 4).
        // Predictions f_s = y − (1 − ηλ/N)^s ⊙ y decay per coordinate in closed form.
        let lambda = [1.0, 2.0, 3.0, 4.0];
        let mut g = Matrix::zeros(4, 4);
        for (i, l) in lambda.iter().enumerate() {
            g.as_mut_slice()[i * 4 + i] = *l;
        }
        let (lam, v) = symmetric_eigen(&g).unwrap();
        let y = [1.0, -1.0, 0.5, 2.0];
        let eta = 0.5;
        let preds: Vec<Vec<f64>> = (0..5)
            .map(|s| {
                (0..4)
                    .map(|i| y[i] - (1.0 - eta * lambda[i] / 4.0f64).powi(s) * y[i])
                    .collect()
            })
            .collect();
        let lines = mode_lines(&lam, &v, &y, &preds, &preds, false).unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].mode, 1, "largest eigenvalue first");
        for line in &lines {
            let rate = 1.0 - eta * line.lambda;
            for (s, value) in line.measured.iter().enumerate() {
                assert!((value - rate.powi(s as i32)).abs() < 1e-14, "{line:?}");
            }
            assert_eq!(line.measured, line.theory);
        }
    }
}
