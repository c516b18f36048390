//! The convergence experiment: the distance of the empirical NTK of random networks to
//! the analytic NTK on the same inputs, against the width, for inputs of each
//! distribution (and the user's file), with log-log fits. Theory: O(m^{−1/2})
//! fluctuations of each entry (Hanin & Nica 2019, arXiv:1909.05989; the limit itself
//! is Jacot et al. 2018, arXiv:1806.07572).

use serde::{Deserialize, Serialize};

use super::inputs::UserPoints;
use super::{check_count, check_widths, default_network, Observer, Part, Reporter};
use crate::data::{sample, Distribution};
use crate::empirical::{fit_log_log, width_sweep, LogLogFit, WidthPoint};
use crate::error::{NtkError, Result};
use crate::kernel::FcNetwork;
use crate::layers::architecture::{Architecture, Model};
use crate::linalg::Matrix;

/// The convergence experiment's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub network: FcNetwork,
    /// The architecture the network is read in (the widths are a CNN's channels).
    pub architecture: Architecture,
    /// At least 3 widths, for the fit.
    pub widths: Vec<usize>,
    pub seeds: usize,
    pub distributions: Vec<Distribution>,
    /// Inputs per distribution, and their dimension.
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    /// The user's data, as one more line.
    pub user: Option<UserPoints>,
}

/// The distributions of the convergence panel: one per tail class, and `chosen` if it
/// is none of them.
pub fn distributions(chosen: Distribution, nu: f64) -> Vec<Distribution> {
    let mut v = vec![
        Distribution::Gaussian,
        Distribution::Rademacher,
        Distribution::Laplace,
        Distribution::StudentT { nu },
    ];
    if !v.iter().any(|d| d.name() == chosen.name()) {
        v.push(chosen);
    }
    v
}

impl Default for Params {
    fn default() -> Self {
        Params {
            network: default_network(),
            architecture: Architecture::Mlp,
            widths: vec![64, 256, 1024],
            seeds: 3,
            distributions: distributions(Distribution::Circle, 3.0),
            n: 64,
            d: 2,
            seed: 0,
            user: None,
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        check_widths(&self.widths)?;
        let distinct = super::distinct(&self.widths);
        check_count(
            "widths",
            distinct.len(),
            3,
            16,
            "at least 3 different widths, for the fit",
        )?;
        check_count("seeds", self.seeds, 1, 1000, "between 1 and 1000")?;
        if self.distributions.is_empty() && self.user.is_none() {
            return Err(NtkError::Empty {
                field: "distributions",
            });
        }
        let data = super::DataSpec {
            n: self.n,
            d: self.d,
            points: self.user.clone(),
            ..super::DataSpec::default()
        };
        data.validate()?;
        let hidden = vec![*distinct.last().unwrap_or(&1); self.network.depth];
        crate::budget::ensure(
            "the widest network's empirical NTK",
            crate::budget::empirical_bytes(
                data.dim().max(self.d),
                &hidden,
                data.rows(),
                data.rows(),
            ),
            "lower the width, the depth or n",
        )
    }
}

/// One line of the plot: the inputs it was measured on, the sweep, and the fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The distribution sampled, or `None` for the user's file.
    pub distribution: Option<Distribution>,
    /// The user's file: (name, rows, columns).
    pub file: Option<(String, usize, usize)>,
    pub points: Vec<WidthPoint>,
    /// log ‖Θ̂ − Θ‖_F/‖Θ‖_F = a + b·log m, with the standard error of b; `None` when
    /// a distance is 0 (e.g. a zero kernel).
    pub fit: Option<LogLogFit>,
    /// The same fit of the largest entry max|Θ̂ − Θ|.
    pub fit_max_entry: Option<LogLogFit>,
}

/// The lines finished so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    pub lines: Vec<Line>,
    pub seeds: usize,
    pub n: usize,
    pub d: usize,
}

impl Convergence {
    /// The theory's rate drawn as a reference: m^(−1/2) through the first line's
    /// narrowest width (of the relative Frobenius distance, or of the largest entry),
    /// as (width, distance) pairs.
    pub fn reference(&self, max_entry: bool) -> Vec<(f64, f64)> {
        let Some(first) = self.lines.first() else {
            return Vec::new();
        };
        let Some(p0) = first.points.first() else {
            return Vec::new();
        };
        let y0 = if max_entry {
            p0.max_entry_mean
        } else {
            p0.rel_frobenius_mean
        };
        let m0 = p0.width as f64;
        first
            .points
            .iter()
            .map(|p| (p.width as f64, y0 * (m0 / p.width as f64).sqrt()))
            .collect()
    }
}

fn line(
    distribution: Option<Distribution>,
    file: Option<(String, usize, usize)>,
    points: Vec<WidthPoint>,
) -> Line {
    let x: Vec<f64> = points.iter().map(|p| p.width as f64).collect();
    let frob: Vec<f64> = points.iter().map(|p| p.rel_frobenius_mean).collect();
    let max: Vec<f64> = points.iter().map(|p| p.max_entry_mean).collect();
    Line {
        distribution,
        file,
        fit: fit_log_log(&x, &frob).ok(),
        fit_max_entry: fit_log_log(&x, &max).ok(),
        points,
    }
}

/// Run the convergence experiment: one line per distribution, then the user's file.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<Convergence> {
    p.validate()?;
    let widths = super::distinct(&p.widths);
    let per = widths.len() * p.seeds;
    let lines_total = p.distributions.len() + usize::from(p.user.is_some());
    let mut r = Reporter::new(observer, per * lines_total);
    let model = Model {
        net: &p.network,
        arch: &p.architecture,
    };
    let mut out = Convergence {
        lines: Vec::new(),
        seeds: p.seeds,
        n: p.n,
        d: p.d,
    };
    let sweep = |x: &Matrix, k: usize, what: &str, r: &mut Reporter| {
        let mut stop = false;
        let s = width_sweep(model, x, &widths, p.seeds, |q| {
            stop = r
                .step(k * per + q.done, format!("{what}: {}", q.stage))
                .is_err();
            !stop
        });
        s.map(|s| s.points)
    };
    for (k, dist) in p.distributions.iter().enumerate() {
        let x = sample(*dist, p.n, p.d, p.seed, false)?;
        let points = sweep(&x, k, dist.name(), &mut r)?;
        out.lines.push(line(Some(*dist), None, points));
        r.part(Part::Convergence(out.clone()));
    }
    if let Some(u) = &p.user {
        let x = Matrix::from_row_major(u.rows, u.cols, u.x.clone())?;
        let points = sweep(&x, p.distributions.len(), &u.name, &mut r)?;
        out.lines
            .push(line(None, Some((u.name.clone(), u.rows, u.cols)), points));
        r.part(Part::Convergence(out.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn each_line_streams_in_with_its_fit() {
        #[derive(Default)]
        struct Count(usize, usize);
        impl Observer for Count {
            fn progress(&mut self, p: &crate::empirical::Progress) -> bool {
                assert!(p.done > self.0 && p.done <= p.total, "{p:?}");
                self.0 = p.done;
                true
            }
            fn part(&mut self, _: &Part) {
                self.1 += 1;
            }
        }
        let p = Params {
            network: FcNetwork::relu(2, 2f64.sqrt(), Some(0.1)),
            widths: vec![32, 128, 512],
            distributions: vec![Distribution::Gaussian, Distribution::Laplace],
            n: 8,
            d: 4,
            ..Params::default()
        };
        let mut count = Count::default();
        let c = run(&p, &mut count).unwrap();
        assert_eq!((count.0, count.1), (2 * 3 * 3, 2));
        // The reference falls like m^(−1/2): a quarter of the distance at 16× width.
        let y0 = c.lines[0].points[0].rel_frobenius_mean;
        assert_eq!(
            c.reference(false),
            vec![(32.0, y0), (128.0, y0 / 2.0), (512.0, y0 / 4.0)]
        );
        for l in &c.lines {
            // The fit is ordinary least squares of the logs, recomputed here by hand.
            let u: Vec<f64> = l.points.iter().map(|q| (q.width as f64).ln()).collect();
            let v: Vec<f64> = l.points.iter().map(|q| q.rel_frobenius_mean.ln()).collect();
            let (mu, mv) = (u.iter().sum::<f64>() / 3.0, v.iter().sum::<f64>() / 3.0);
            let b = u
                .iter()
                .zip(&v)
                .map(|(a, c)| (a - mu) * (c - mv))
                .sum::<f64>()
                / u.iter().map(|a| (a - mu).powi(2)).sum::<f64>();
            let fit = l.fit.unwrap();
            assert!((fit.slope - b).abs() < 1e-12);
            assert!(fit.slope_std_error > 0.0);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn fewer_than_three_widths_cannot_be_fitted() {
        let p = Params {
            widths: vec![64, 64, 256],
            ..Params::default()
        };
        assert!(matches!(
            p.validate(),
            Err(NtkError::OutOfRange {
                field: "widths",
                ..
            })
        ));
    }
}
