//! Seeded input samples. The same seed gives the same numbers natively and in wasm
//! (ChaCha8 from `rand_chacha`, normals from `rand_distr`).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::{NtkError, Result};
use crate::linalg::Matrix;

/// The most entries (n × d) a sample may have.
pub const MAX_ENTRIES: usize = 1 << 26;

fn check_size(n: usize, d: usize) -> Result<()> {
    if n == 0 || d == 0 {
        return Err(NtkError::Empty { field: "n × d" });
    }
    if n.saturating_mul(d) > MAX_ENTRIES {
        return Err(NtkError::OutOfRange {
            field: "n × d",
            expected: "at most 67108864 entries",
            value: n as f64 * d as f64,
        });
    }
    Ok(())
}

/// n points of N(0, I_d), row by row.
pub fn gaussian(n: usize, d: usize, seed: u64) -> Result<Matrix> {
    check_size(n, d)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = (0..n * d)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    Matrix::from_row_major(n, d, data)
}

/// n points uniform on the unit sphere S^{d−1} (normalised Gaussians).
pub fn unit_sphere(n: usize, d: usize, seed: u64) -> Result<Matrix> {
    let mut x = gaussian(n, d, seed)?;
    for row in x.as_mut_slice().chunks_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn gaussian_is_seeded_and_standard() {
        let a = gaussian(2000, 5, 7).unwrap();
        assert_eq!(a, gaussian(2000, 5, 7).unwrap());
        assert_ne!(a, gaussian(2000, 5, 8).unwrap());
        let n = a.as_slice().len() as f64;
        let mean = a.as_slice().iter().sum::<f64>() / n;
        let var = a.as_slice().iter().map(|v| v * v).sum::<f64>() / n;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.04, "variance {var}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sphere_points_have_unit_norm() {
        let s = unit_sphere(100, 4, 1).unwrap();
        for i in 0..100 {
            let norm: f64 = s.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-15);
        }
    }
}
