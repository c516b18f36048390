//! The data of an experiment: samples of a distribution or the user's own points, the
//! held-out split of a user's file, and the test grid on the circle.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

use crate::data::{project_rows, sample, Distribution};
use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// The inputs of an experiment: n samples of a distribution in ℝᵈ, or the user's
/// points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSpec {
    pub distribution: Distribution,
    pub n: usize,
    pub d: usize,
    /// Project each input onto the unit sphere.
    pub project: bool,
    pub seed: u64,
    /// The user's own points instead of samples (then `n` and `d` are theirs).
    pub points: Option<UserPoints>,
}

impl Default for DataSpec {
    /// 64 equally spaced points on the circle.
    fn default() -> Self {
        DataSpec {
            distribution: Distribution::Circle,
            n: 64,
            d: 2,
            project: false,
            seed: 0,
            points: None,
        }
    }
}

/// Inputs, and optionally targets, from the user's file (row-major).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPoints {
    /// The file's name, for labels.
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub x: Vec<f64>,
    pub y: Option<Vec<f64>>,
}

/// The most inputs an experiment takes (its Gram matrices are n × n).
pub const MAX_N: usize = 20_000;

impl DataSpec {
    /// `n` samples of `distribution` in dimension `d` (seed 0, not projected).
    pub fn sample(distribution: Distribution, n: usize, d: usize) -> Self {
        DataSpec {
            distribution,
            n,
            d,
            ..DataSpec::default()
        }
    }

    /// Check sizes and the user's points.
    pub fn validate(&self) -> Result<()> {
        match &self.points {
            Some(p) => {
                if p.rows == 0 || p.cols == 0 || p.rows > MAX_N {
                    return Err(NtkError::OutOfRange {
                        field: "data.points.rows",
                        expected: "between 1 and 20000 rows of at least one column",
                        value: p.rows as f64,
                    });
                }
                if p.x.len() != p.rows * p.cols {
                    return Err(NtkError::DimensionMismatch {
                        field: "data.points.x",
                        expected: p.rows * p.cols,
                        got: p.x.len(),
                    });
                }
                if let Some(y) = &p.y {
                    if y.len() != p.rows {
                        return Err(NtkError::DimensionMismatch {
                            field: "data.points.y",
                            expected: p.rows,
                            got: y.len(),
                        });
                    }
                }
                Ok(())
            }
            None => {
                super::check_count("data.n", self.n, 1, MAX_N, "between 1 and 20000")?;
                super::check_count("data.d", self.d, 1, 10_000, "between 1 and 10000")
            }
        }
    }

    /// The inputs: the user's points or samples of the distribution, projected onto
    /// the unit sphere when asked.
    pub fn inputs(&self) -> Result<Matrix> {
        match &self.points {
            Some(p) => {
                let m = Matrix::from_row_major(p.rows, p.cols, p.x.clone())?;
                Ok(if self.project { project_rows(m) } else { m })
            }
            None => sample(self.distribution, self.n, self.d, self.seed, self.project),
        }
    }

    /// Equally spaced sampled points on the circle (not a user's file).
    pub fn on_circle(&self) -> bool {
        self.points.is_none() && self.distribution == Distribution::Circle
    }

    /// The number of inputs.
    pub fn rows(&self) -> usize {
        self.points.as_ref().map_or(self.n, |p| p.rows)
    }

    /// The input dimension.
    pub fn dim(&self) -> usize {
        self.points.as_ref().map_or(self.d, |p| p.cols)
    }

    /// Whether the Funk–Hecke eigenvalues μ_k describe the Gram matrix of these data:
    /// they are the eigenvalues of the kernel's integral operator for the *uniform*
    /// measure on the sphere, so they apply to uniform samples on the sphere or circle
    /// and to projected Gaussian samples (uniform on the sphere), and to nothing else.
    /// `Ok(())`, or why not.
    pub fn funk_hecke(&self) -> std::result::Result<(), NoFunkHecke> {
        if self.points.is_some() {
            return Err(NoFunkHecke::UserPoints);
        }
        if self.d < 2 {
            return Err(NoFunkHecke::LineOnly);
        }
        match self.distribution {
            Distribution::Sphere | Distribution::Circle => Ok(()),
            Distribution::Gaussian if self.project => Ok(()),
            d if self.project => Err(NoFunkHecke::ProjectedNotUniform { distribution: d }),
            _ => Err(NoFunkHecke::NotOnSphere),
        }
    }
}

/// Why the Funk–Hecke eigenvalues do not apply to the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoFunkHecke {
    /// The user's points are not known to be uniform on a sphere.
    UserPoints,
    /// d = 1: there is no sphere to speak of.
    LineOnly,
    /// Projected samples of a distribution other than the Gaussian are not uniform.
    ProjectedNotUniform { distribution: Distribution },
    /// The data are not on a sphere.
    NotOnSphere,
    /// The network is not an MLP: a CNN's, an attention net's or a KAN's kernel is not
    /// a function of ⟨x, x'⟩ alone (Funk–Hecke needs rotation invariance; a KAN acts on
    /// each coordinate); a residual MLP's is, but its μ_k are not computed here.
    NotMlp,
    /// There is no infinite-width kernel (attention with 1/√d_k scaling): the
    /// spectrum is that of one random net's empirical NTK (or NNGP) of this width.
    NoLimit { width: usize, seed: u64 },
}

impl std::fmt::Display for NoFunkHecke {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoFunkHecke::UserPoints => {
                write!(
                    f,
                    "no Funk–Hecke μ_k: your points are not uniform on a sphere"
                )
            }
            NoFunkHecke::LineOnly => write!(f, "no Funk–Hecke μ_k: they need d ≥ 2"),
            NoFunkHecke::ProjectedNotUniform { distribution } => write!(
                f,
                "no Funk–Hecke μ_k: projected {} data are not uniform on the sphere",
                distribution.name()
            ),
            NoFunkHecke::NotOnSphere => {
                write!(f, "no Funk–Hecke μ_k: the data are not on a sphere")
            }
            NoFunkHecke::NotMlp => write!(
                f,
                "no Funk–Hecke μ_k: they are computed for the MLP (other architectures' kernels are not functions of ⟨x, x'⟩ alone)"
            ),
            NoFunkHecke::NoLimit { width, seed } => write!(
                f,
                "no infinite-width kernel (1/√d_k attention): these are the eigenvalues of one random net's empirical kernel, width {width}, seed {seed}"
            ),
        }
    }
}

/// How many of a user's rows are held out as the test set: a fifth (at least 2)
/// when there are 10 rows or more, else none (the test set is then the training set).
pub fn held_out(rows: usize) -> usize {
    if rows >= 10 {
        (rows / 5).max(2)
    } else {
        0
    }
}

/// The first `count` rows of `m` and the rest.
pub fn split_rows(m: &Matrix, count: usize) -> Result<(Matrix, Matrix)> {
    let c = m.cols();
    let count = count.min(m.rows());
    let (a, b) = m.as_slice().split_at(count * c);
    Ok((
        Matrix::from_row_major(count, c, a.to_vec())?,
        Matrix::from_row_major(m.rows() - count, c, b.to_vec())?,
    ))
}

/// `m` equally spaced points of the unit circle at angles −π + 2π(j + ½)/m: offset by
/// half a spacing from the circle distribution's points −π + 2πi/n when m = n.
pub fn circle_grid(m: usize) -> Result<Matrix> {
    let pts = (0..m)
        .flat_map(|j| {
            let g = -PI + 2.0 * PI * (j as f64 + 0.5) / m as f64;
            [g.cos(), g.sin()]
        })
        .collect();
    Matrix::from_row_major(m, 2, pts)
}

/// The angle atan2(x₂, x₁) of each row of a d = 2 matrix.
pub fn angles(x: &Matrix) -> Vec<f64> {
    (0..x.rows())
        .map(|i| x.get(i, 1).atan2(x.get(i, 0)))
        .collect()
}

/// Training inputs and targets, then test inputs and targets.
pub type Split = (Matrix, Vec<f64>, Matrix, Vec<f64>);

/// A user's file with its targets split into training and held-out rows: (x, y,
/// x_test, y_test). Targets come from the file or, when it has none, from `fallback`.
/// With fewer than 10 rows nothing is held out and the test set is the training set.
pub fn user_split(data: &DataSpec, fallback: &crate::targets::Target) -> Result<Option<Split>> {
    let Some(p) = &data.points else {
        return Ok(None);
    };
    let all = data.inputs()?;
    let y_all = match &p.y {
        Some(y) => y.clone(),
        None => crate::targets::targets(fallback, &all, 0.0, 0)?,
    };
    let hold = held_out(p.rows);
    if hold == 0 {
        return Ok(Some((all.clone(), y_all.clone(), all, y_all)));
    }
    let keep = p.rows - hold;
    let (a, b) = split_rows(&all, keep)?;
    Ok(Some((a, y_all[..keep].to_vec(), b, y_all[keep..].to_vec())))
}

/// A picture of the data: each input's first two coordinates (the first only, when
/// d = 1) and its target, for the page's scatter of the inputs coloured by the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataPreview {
    /// The first coordinate of each input.
    pub x1: Vec<f64>,
    /// The second coordinate (empty when d = 1).
    pub x2: Vec<f64>,
    /// The target of each input: the file's own when it has one, else `target`'s
    /// (without label noise); empty when there is neither.
    pub y: Vec<f64>,
    /// The input dimension.
    pub d: usize,
}

/// The [`DataPreview`] of `data` with targets from the user's file or `target`.
pub fn preview(data: &DataSpec, target: Option<&crate::targets::Target>) -> Result<DataPreview> {
    data.validate()?;
    let x = data.inputs()?;
    let y = match (data.points.as_ref().and_then(|p| p.y.clone()), target) {
        (Some(y), _) => y,
        (None, Some(t)) => crate::targets::targets(t, &x, 0.0, 0)?,
        (None, None) => Vec::new(),
    };
    let d = x.cols();
    let column = |j: usize| (0..x.rows()).map(|i| x.get(i, j)).collect::<Vec<f64>>();
    Ok(DataPreview {
        x1: column(0),
        x2: if d >= 2 { column(1) } else { Vec::new() },
        y,
        d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_preview_of_the_circle_with_a_degree_one_target_is_cos_gamma() {
        // On the circle the degree-k harmonic is cos kγ with x = (cos γ, sin γ): for
        // k = 1 the target is the first coordinate itself.
        let data = DataSpec {
            n: 12,
            ..DataSpec::default()
        };
        let p = preview(
            &data,
            Some(&crate::targets::Target::Harmonics {
                degrees: vec![(1, 1.0)],
            }),
        )
        .unwrap();
        assert_eq!((p.d, p.x1.len(), p.x2.len(), p.y.len()), (2, 12, 12, 12));
        for i in 0..12 {
            assert!(
                (p.y[i] - p.x1[i]).abs() < 1e-12,
                "{i}: {} vs {}",
                p.y[i],
                p.x1[i]
            );
            assert!((p.x1[i].powi(2) + p.x2[i].powi(2) - 1.0).abs() < 1e-12);
        }
        // A user's file with its own targets keeps them.
        let file = DataSpec {
            points: Some(UserPoints {
                name: "f.csv".into(),
                rows: 3,
                cols: 1,
                x: vec![0.0, 1.0, 2.0],
                y: Some(vec![5.0, 6.0, 7.0]),
            }),
            ..DataSpec::default()
        };
        let p = preview(&file, None).unwrap();
        assert_eq!(
            (p.d, p.x1.clone(), p.x2.len(), p.y.clone()),
            (1, vec![0.0, 1.0, 2.0], 0, vec![5.0, 6.0, 7.0])
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn funk_hecke_applies_only_to_uniform_data_on_a_sphere() {
        let on = |distribution, d, project| DataSpec {
            distribution,
            d,
            project,
            ..DataSpec::default()
        };
        assert!(on(Distribution::Circle, 2, false).funk_hecke().is_ok());
        assert!(on(Distribution::Sphere, 5, false).funk_hecke().is_ok());
        assert!(on(Distribution::Gaussian, 5, true).funk_hecke().is_ok());
        assert_eq!(
            on(Distribution::Gaussian, 5, false).funk_hecke(),
            Err(NoFunkHecke::NotOnSphere)
        );
        assert_eq!(
            on(Distribution::Laplace, 5, true).funk_hecke(),
            Err(NoFunkHecke::ProjectedNotUniform {
                distribution: Distribution::Laplace
            })
        );
        assert_eq!(
            on(Distribution::Sphere, 1, false).funk_hecke(),
            Err(NoFunkHecke::LineOnly)
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_circle_grid_sits_between_the_circle_samples() {
        let grid = circle_grid(8).unwrap();
        let a = angles(&grid);
        for (j, g) in a.iter().enumerate() {
            let expected = -PI + 2.0 * PI * (j as f64 + 0.5) / 8.0;
            assert!((g - expected).abs() < 1e-15, "{g} vs {expected}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_fifth_of_a_file_is_held_out() {
        assert_eq!(held_out(9), 0);
        assert_eq!(held_out(10), 2);
        assert_eq!(held_out(40), 8);
        let m = Matrix::from_row_major(5, 1, (0..5).map(|v| v as f64).collect()).unwrap();
        let (a, b) = split_rows(&m, 3).unwrap();
        assert_eq!(
            (a.as_slice(), b.as_slice()),
            (&[0.0, 1.0, 2.0][..], &[3.0, 4.0][..])
        );
    }
}
