//! The plots' CSV downloads: a value that is not a finite number is an empty cell.
#![cfg(not(target_arch = "wasm32"))]

use ntk_lab::ui::figure::{cell, csv_rows};

#[test]
fn a_missing_value_is_an_empty_cell_never_nan_or_inf() {
    let text = csv_rows(
        "x,y,z",
        [
            vec![1.5, f64::NAN, -2.0],
            vec![f64::INFINITY, 0.0, f64::NEG_INFINITY],
        ]
        .into_iter(),
    );
    assert_eq!(text, "x,y,z\n1.5,,-2\n,0,\n");
    // Finite values keep full precision: they read back bit for bit.
    for v in [1e-300, -0.1, 123456.789e200] {
        assert_eq!(cell(v).parse::<f64>().unwrap(), v);
    }
}
