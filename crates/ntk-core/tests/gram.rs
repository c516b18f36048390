//! Gram matrices by blocks and tiles (`ntk_core::gram`): a Gram written tile by tile
//! into `.npy` files, or block by block by several writers into one shared file, is
//! the Gram computed in one call, entry for entry; and every misuse is refused by name.
//!
//! The kernel values themselves are checked against neural-tangents and closed forms
//! elsewhere (`nt_reference.rs`, `layers_reference.rs`); here the second computation
//! is the one-call Gram, and the files are read back by `ndarray-npy`'s reader (and,
//! in `python/tests`, by NumPy).
#![cfg(not(target_arch = "wasm32"))]

use ndarray::{s, Array2, ArrayD, IxDyn};
use ndarray_npy::read_npy;
use ntk_core::gram::{self, npy, Block, Get, Network};
use ntk_core::NtkError;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

fn inputs(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

fn flat() -> Network {
    Network::from_json(json!({"depth": 3, "activation": "relu", "w_std": 1.5, "b_std": 0.2}))
        .unwrap()
}

fn cnn() -> Network {
    Network::from_json(json!({"layers": [
        {"conv": {"out": 8, "filter": [3], "padding": "circular", "w_std": 1.4, "b_std": 0.1}},
        {"activation": "erf"},
        {"global_avg_pool": {}},
        {"dense": {"out": 1, "w_std": 1.2}}
    ]}))
    .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-gram-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read(dir: &std::path::Path, name: &str) -> Array2<f64> {
    read_npy(npy::file_of(dir, name)).unwrap()
}

#[test]
fn tiles_into_npy_equal_the_one_call_gram() {
    // Tile sides that divide n, that do not, and that exceed it; K(X, X) (upper
    // tiles, mirrored) and K(X₁, X₂) (every tile); a flat net and a CNN.
    let cases: Vec<(&str, Network, Vec<usize>, Vec<usize>)> = vec![
        ("flat", flat(), vec![37, 5], vec![23, 5]),
        ("cnn", cnn(), vec![19, 6, 2], vec![11, 6, 2]),
    ];
    for (name, net, s1, s2) in cases {
        let (x1, x2) = (inputs(&s1, 1), inputs(&s2, 2));
        for with_x2 in [false, true] {
            let v2 = with_x2.then(|| x2.view());
            let one = gram::kernels(&net, x1.view(), v2.clone()).unwrap();
            for tile in [1, 4, 8, 64] {
                let dir = tmp(&format!("{name}-{with_x2}-{tile}"));
                let mut calls = 0;
                let w = npy::write_gram(
                    &net,
                    x1.view(),
                    v2.clone(),
                    &dir,
                    Get::default(),
                    tile,
                    &mut |_, _| {
                        calls += 1;
                        true
                    },
                )
                .unwrap();
                assert_eq!(w.shape, one.ntk.dim());
                let expected_tiles = {
                    let (a, b) = (s1[0].div_ceil(tile), w.shape.1.div_ceil(tile));
                    if with_x2 {
                        a * b
                    } else {
                        a * (a + 1) / 2
                    }
                };
                assert_eq!(w.tiles, expected_tiles, "{name} {tile}");
                assert_eq!(calls, expected_tiles + 1);
                // Entry for entry: a tile is the same pair computation as the one call.
                assert_eq!(
                    read(&dir, "nngp"),
                    one.nngp,
                    "{name} x2={with_x2} tile {tile}"
                );
                assert_eq!(
                    read(&dir, "ntk"),
                    one.ntk,
                    "{name} x2={with_x2} tile {tile}"
                );
                std::fs::remove_dir_all(&dir).unwrap();
            }
        }
    }
}

#[test]
fn blocks_written_by_several_writers_fill_one_shared_file() {
    // Four threads (standing in for the processes of a cluster) write the upper blocks
    // of K(X, X) into one shared file, created by whichever comes first.
    let net = flat();
    let x = inputs(&[30, 4], 3);
    let one = gram::kernels(&net, x.view(), None).unwrap();
    let dir = tmp("shared");
    let blocks = gram::tiles(30, 30, 7, true);
    std::thread::scope(|sc| {
        for part in blocks.chunks(blocks.len().div_ceil(4)) {
            let (net, x, dir) = (&net, &x, &dir);
            sc.spawn(move || {
                for b in part {
                    npy::write_block(net, x.view(), None, b, dir, Get::default()).unwrap();
                }
            });
        }
    });
    assert_eq!(read(&dir, "ntk"), one.ntk);
    assert_eq!(read(&dir, "nngp"), one.nngp);
    // One block in memory is the same block of the one-call Gram.
    let b = Block {
        rows: 3..17,
        cols: 10..29,
    };
    let g = gram::block(&net, x.view(), None, &b).unwrap();
    assert_eq!(g.ntk, one.ntk.slice(s![3..17, 10..29]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_the_kernels_asked_for_are_written() {
    let net = flat();
    let x = inputs(&[9, 3], 4);
    let dir = tmp("get");
    let get = Get::from_json(&json!("ntk"), "get").unwrap();
    let w = npy::write_gram(&net, x.view(), None, &dir, get, 4, &mut |_, _| true).unwrap();
    assert_eq!(w.files.len(), 1);
    assert!(npy::file_of(&dir, "ntk").exists());
    assert!(!npy::file_of(&dir, "nngp").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn misuse_is_refused_by_name() {
    let net = flat();
    let x = inputs(&[9, 3], 5);
    // A range outside the inputs, an empty one.
    for (rows, cols, field) in [(0..10, 0..3, "tile.rows"), (0..3, 4..4, "tile.cols")] {
        let e = gram::block(&net, x.view(), None, &Block { rows, cols }).unwrap_err();
        assert!(
            matches!(&e, NtkError::Layer { path, .. } if path == field),
            "{e}"
        );
    }
    // A file of another shape is not overwritten.
    let dir = tmp("shape");
    npy::write_gram(
        &net,
        x.view(),
        None,
        &dir,
        Get::default(),
        4,
        &mut |_, _| true,
    )
    .unwrap();
    let y = inputs(&[5, 3], 6);
    let e = npy::write_gram(
        &net,
        y.view(),
        None,
        &dir,
        Get::default(),
        4,
        &mut |_, _| true,
    )
    .unwrap_err();
    assert!(e.to_string().contains("holds a 9 × 9 matrix"), "{e}");
    assert_eq!(read(&dir, "ntk").dim(), (9, 9));
    // Cancelling stops before the next tile.
    let e = npy::write_gram(
        &net,
        x.view(),
        None,
        &tmp("cancel"),
        Get::default(),
        2,
        &mut |d, _| d < 3,
    )
    .unwrap_err();
    assert_eq!(e, NtkError::Cancelled);
    // A flat network takes n × d inputs only.
    let e = gram::kernels(&net, inputs(&[4, 3, 2], 7).view(), None).unwrap_err();
    assert!(e.to_string().contains("rank 2"), "{e}");
    // A memory bound below one entry.
    assert!(matches!(
        gram::tile_side(&net, &x.view(), 10, 4096),
        Err(NtkError::TooLarge { .. })
    ));
    // Unknown kernels.
    assert!(Get::from_json(&json!(["ntk", "cov"]), "get").is_err());
    assert!(Get::from_json(&json!([]), "get").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_tile_side_respects_the_memory_bound() {
    // The chosen side is the largest whose estimate fits: one more row would not.
    let net = flat();
    let x = inputs(&[10, 10], 8);
    for memory in [1_000_000u64, 50_000_000, 400_000_000] {
        let side = gram::tile_side(&net, &x.view(), memory, 1 << 20).unwrap();
        assert!(gram::tile_bytes(&net, &x.view(), side).unwrap() <= memory);
        assert!(gram::tile_bytes(&net, &x.view(), side + 1).unwrap() > memory);
    }
}

#[test]
fn any_block_is_that_block_of_the_one_call_gram() {
    // Above, below and straddling the diagonal, for a flat net and for a CNN (whose
    // pair kernel is symmetric only up to the last bit: the one call computes i ≤ j).
    for (net, x) in [
        (flat(), inputs(&[30, 4], 3)),
        (cnn(), inputs(&[21, 5, 2], 4)),
    ] {
        let n = x.shape()[0];
        let one = gram::kernels(&net, x.view(), None).unwrap();
        for (rows, cols) in [
            (3..9, 10..20),
            (12..20, 0..7),
            (3..17, 10..n),
            (0..n, 5..6),
            (4..8, 4..8),
        ] {
            let b = Block {
                rows: rows.clone(),
                cols: cols.clone(),
            };
            let g = gram::block(&net, x.view(), None, &b).unwrap();
            assert_eq!(
                g.ntk,
                one.ntk.slice(s![rows.clone(), cols.clone()]),
                "{rows:?} {cols:?}"
            );
            assert_eq!(g.nngp, one.nngp.slice(s![rows, cols]));
        }
    }
}
