//! Analytic Gram matrices of any size: in memory, one block at a time, or tile by tile
//! into `.npy` files.
//!
//! The command line's `kernel` verb, the Python package (`python/`) and its Dask
//! front end all go through this module, so that one block computed anywhere is the
//! same block.
//!
//! **Blocks.** A block of K(X₁, X₂) is K(X₁[rows], X₂[cols]). The analytic kernel of
//! a pair depends on that pair only (Jacot et al. 2018, arXiv:1806.07572; the layer
//! recursions of [`crate::layers::analytic`]), so blocks tile the Gram exactly: no
//! block needs another. Without X₂ (the symmetric K(X, X)) a diagonal block is computed
//! as K(X[rows], X[rows]), exactly symmetric and at half the cost; a block above the
//! diagonal as K(X[rows], X[cols]), one below it as the transpose of its mirror block
//! (so that every entry is the one-call Gram's, which computes i ≤ j), and one that
//! straddles the diagonal both ways (twice the work, and twice the memory, for that
//! block; square tiles never straddle).
//!
//! **Tiles into `.npy`.** [`npy::write_gram`] fills one `.npy` file per kernel (NumPy
//! format 1.0, little-endian float64, C order: `numpy.load(path, mmap_mode="r")` opens
//! it without reading it) with square tiles of side `tile`. For K(X, X) only the tiles
//! on and above the diagonal are computed, and each is written twice (as itself and
//! transposed). Memory: one tile's kernels ([`tile_bytes`]), whatever the Gram's size;
//! the files are made at full size (sparse) and written in place, row by row with
//! positioned writes, so the operating system pages them out as it likes. [`npy::write_block`] writes one block into a shared file
//! (created zeroed, at full size, by whichever writer comes first), so that any
//! scheduler can farm blocks out to processes or machines that share a file system.

use std::ops::Range;

use ndarray::{Array2, ArrayViewD, Axis};
use serde_json::Value;

use crate::budget;
use crate::error::{NtkError, Result};
use crate::kernel::{kernel_matrix, FcNetwork};
use crate::layers::{analytic, LayerNetwork, Shape};
use crate::linalg::Matrix;
use crate::spec::{self, NetworkSpec, SpecError};

/// A network whose analytic kernels this module computes: the flat fully-connected
/// shorthand (`{"depth", "activation", …}`) or a layer list (`{"layers": […]}`).
#[derive(Debug, Clone)]
pub enum Network {
    /// The fully-connected network of the shorthand (inputs n × d).
    Flat(FcNetwork),
    /// A layer list (inputs n × spatial… × channels).
    Layers(LayerNetwork),
}

impl Network {
    /// From the JSON `network` object. Errors name the field below `network.`.
    pub fn from_json(value: Value) -> std::result::Result<Self, SpecError> {
        if value.get("layers").is_some() {
            Ok(Network::Layers(spec::typed(value, "network")?))
        } else {
            let s: NetworkSpec = spec::typed(value, "network")?;
            Ok(Network::Flat(s.network()?))
        }
    }
}

/// Which kernels to compute or write, in neural-tangents' `get=` spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Get {
    pub nngp: bool,
    pub ntk: bool,
}

impl Default for Get {
    fn default() -> Self {
        Get {
            nngp: true,
            ntk: true,
        }
    }
}

impl Get {
    /// From `"ntk"`, `"nngp"` or a list of them.
    pub fn from_json(value: &Value, field: &str) -> std::result::Result<Self, SpecError> {
        let names: Vec<String> = match value {
            Value::String(s) => vec![s.clone()],
            v => spec::typed(v.clone(), field)?,
        };
        let mut get = Get {
            nngp: false,
            ntk: false,
        };
        for n in &names {
            match n.as_str() {
                "nngp" => get.nngp = true,
                "ntk" => get.ntk = true,
                other => {
                    return Err(SpecError {
                        field: field.into(),
                        message: format!("unknown kernel '{other}' (\"nngp\" or \"ntk\")"),
                    })
                }
            }
        }
        if !(get.nngp || get.ntk) {
            return Err(SpecError {
                field: field.into(),
                message: "name at least one kernel (\"nngp\", \"ntk\")".into(),
            });
        }
        Ok(get)
    }

    /// The names asked for, NNGP first.
    pub fn names(&self) -> Vec<&'static str> {
        [("nngp", self.nngp), ("ntk", self.ntk)]
            .into_iter()
            .filter_map(|(n, on)| on.then_some(n))
            .collect()
    }
}

/// K(X₁, X₂) and Θ(X₁, X₂).
#[derive(Debug, Clone, PartialEq)]
pub struct Gram {
    pub nngp: Array2<f64>,
    pub ntk: Array2<f64>,
}

/// A block of a Gram matrix: K(X₁[rows], X₂[cols]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub rows: Range<usize>,
    pub cols: Range<usize>,
}

fn matrix_of(field: &'static str, x: &ArrayViewD<f64>) -> Result<Matrix> {
    if x.ndim() != 2 {
        return Err(NtkError::Layer {
            path: field.into(),
            message: format!(
                "a fully-connected network takes n × d inputs (rank 2), got rank {}; \
                 describe other networks with \"layers\"",
                x.ndim()
            ),
        });
    }
    let (n, d) = (x.shape()[0], x.shape()[1]);
    Matrix::from_row_major(n, d, x.iter().copied().collect())
}

fn array_of(m: Matrix) -> Result<Array2<f64>> {
    let (r, c) = (m.rows(), m.cols());
    Array2::from_shape_vec((r, c), m.into_vec()).map_err(|e| NtkError::Numerical(e.to_string()))
}

/// The analytic NNGP kernel and NTK of `net` between `x1` and `x2` (or `x1` with
/// itself), in memory, within [`budget::BUDGET`].
pub fn kernels(net: &Network, x1: ArrayViewD<f64>, x2: Option<ArrayViewD<f64>>) -> Result<Gram> {
    match net {
        Network::Flat(fc) => {
            let a = matrix_of("x1", &x1)?;
            let b = x2.as_ref().map(|x| matrix_of("x2", x)).transpose()?;
            let k = kernel_matrix(fc, &a, b.as_ref())?;
            Ok(Gram {
                nngp: array_of(k.nngp)?,
                ntk: array_of(k.ntk)?,
            })
        }
        Network::Layers(ln) => {
            let k = analytic::kernels(ln, x1, x2)?;
            Ok(Gram {
                nngp: k.nngp,
                ntk: k.ntk,
            })
        }
    }
}

/// The numbers of inputs in x1 and x2 (x1 again without x2); rank-0 arrays refused.
fn sizes(x1: &ArrayViewD<f64>, x2: Option<&ArrayViewD<f64>>) -> Result<(usize, usize)> {
    let n = |x: &ArrayViewD<f64>, field: &str| -> Result<usize> {
        if x.ndim() == 0 {
            return Err(NtkError::Layer {
                path: field.into(),
                message: "must be an array of inputs, not a number".into(),
            });
        }
        Ok(x.len_of(Axis(0)))
    };
    let n1 = n(x1, "x1")?;
    Ok((n1, x2.map(|x| n(x, "x2")).transpose()?.unwrap_or(n1)))
}

fn check_range(field: &'static str, r: &Range<usize>, n: usize) -> Result<()> {
    if r.start < r.end && r.end <= n {
        return Ok(());
    }
    Err(NtkError::Layer {
        path: field.into(),
        message: format!(
            "[{}, {}) is not a non-empty range of 0 … {n}",
            r.start, r.end
        ),
    })
}

/// The block K(X₁[rows], X₂[cols]) (X₂ = X₁ without `x2`). A diagonal block of the
/// symmetric Gram (`x2` absent, rows = cols) is exactly symmetric.
pub fn block(
    net: &Network,
    x1: ArrayViewD<f64>,
    x2: Option<ArrayViewD<f64>>,
    b: &Block,
) -> Result<Gram> {
    let (n1, n2) = sizes(&x1, x2.as_ref())?;
    check_range("tile.rows", &b.rows, n1)?;
    check_range("tile.cols", &b.cols, n2)?;
    let rows = |r: &Range<usize>| x1.slice_axis(Axis(0), r.clone().into());
    let Some(x2) = &x2 else {
        return symmetric_block(net, rows(&b.rows), rows(&b.cols), b);
    };
    kernels(
        net,
        rows(&b.rows),
        Some(x2.slice_axis(Axis(0), b.cols.clone().into())),
    )
}

/// A block of K(X, X), entry for entry as the one-call Gram has it: that call computes
/// the pairs i ≤ j as k(xᵢ, xⱼ) and mirrors them, and for some networks (convolutions:
/// sums over positions in another order) k(xⱼ, xᵢ) differs from k(xᵢ, xⱼ) in the last
/// bit. So a block above the diagonal is computed as it is, one below it as the
/// transpose of its mirror block, and one that straddles the diagonal both ways
/// (twice the work, for that block only; square tiles never straddle).
fn symmetric_block(
    net: &Network,
    a: ArrayViewD<f64>,
    c: ArrayViewD<f64>,
    b: &Block,
) -> Result<Gram> {
    let (r, k) = (&b.rows, &b.cols);
    if r == k {
        return kernels(net, a, None);
    }
    let above = r.end <= k.start + 1; // every i ≤ j
    let below = k.end <= r.start + 1; // every i ≥ j
    if above {
        return kernels(net, a, Some(c));
    }
    let mirror = kernels(net, c.view(), Some(a.view()))?;
    let t = |m: Array2<f64>| m.t().as_standard_layout().into_owned();
    let (nngp, ntk) = (t(mirror.nngp), t(mirror.ntk));
    if below {
        return Ok(Gram { nngp, ntk });
    }
    let mut up = kernels(net, a, Some(c))?;
    for ((i, j), v) in up.nngp.indexed_iter_mut() {
        if r.start + i > k.start + j {
            *v = nngp[[i, j]];
            up.ntk[[i, j]] = ntk[[i, j]];
        }
    }
    Ok(up)
}

/// Bytes the kernels of one `side × side` block of `net` on inputs shaped like `x`
/// need (the core's own estimate).
pub fn tile_bytes(net: &Network, x: &ArrayViewD<f64>, side: usize) -> Result<u64> {
    match net {
        Network::Flat(fc) => Ok(budget::kernel_bytes(
            side,
            side,
            x.shape().get(1).copied().unwrap_or(1),
            fc.depth + 1,
        )),
        Network::Layers(ln) => {
            if x.ndim() < 2 {
                return Err(NtkError::Layer {
                    path: "x1".into(),
                    message: "inputs are n × spatial… × channels (rank ≥ 2)".into(),
                });
            }
            let sh = x.shape();
            let shape = Shape {
                spatial: sh[1..sh.len() - 1].to_vec(),
                channels: sh[sh.len() - 1],
            };
            analytic::kernel_bytes(ln, &shape, side, side)
        }
    }
}

/// The largest tile side ≤ `max_side` whose kernels fit in `memory` bytes; an error
/// if not even a 1 × 1 tile does.
pub fn tile_side(
    net: &Network,
    x: &ArrayViewD<f64>,
    memory: u64,
    max_side: usize,
) -> Result<usize> {
    let need1 = tile_bytes(net, x, 1)?;
    if need1 > memory {
        return Err(NtkError::TooLarge {
            what: "one entry of this network's kernels",
            needed: need1,
            budget: memory,
            hint: "raise the memory bound",
        });
    }
    // tile_bytes grows with the side: bisect.
    let (mut lo, mut hi) = (1usize, max_side.max(1));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if tile_bytes(net, x, mid)? <= memory {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

/// Tiles of side `tile` covering an `n1 × n2` Gram, row-major; with `symmetric`, only
/// those on and above the diagonal.
pub fn tiles(n1: usize, n2: usize, tile: usize, symmetric: bool) -> Vec<Block> {
    let tile = tile.max(1);
    let mut out = vec![];
    for (i, r0) in (0..n1).step_by(tile).enumerate() {
        for (j, c0) in (0..n2).step_by(tile).enumerate() {
            if symmetric && j < i {
                continue;
            }
            out.push(Block {
                rows: r0..(r0 + tile).min(n1),
                cols: c0..(c0 + tile).min(n2),
            });
        }
    }
    out
}

/// `.npy` output (native only: files and memory maps).
#[cfg(not(target_arch = "wasm32"))]
pub mod npy {
    use std::fs::{File, OpenOptions};
    use std::path::{Path, PathBuf};

    use std::os::unix::fs::FileExt;

    use memmap2::Mmap;
    use ndarray::{ArrayView2, Axis};
    use ndarray_npy::{write_zeroed_npy, ViewNpyExt};

    use super::*;

    fn io(path: &Path) -> impl Fn(String) -> NtkError + '_ {
        move |message| NtkError::Io {
            path: path.display().to_string(),
            message,
        }
    }

    /// What was written.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Written {
        /// One file per kernel asked for: (name, path).
        pub files: Vec<(&'static str, PathBuf)>,
        /// The Gram's shape.
        pub shape: (usize, usize),
        /// The tile side used.
        pub tile: usize,
        /// Tiles computed.
        pub tiles: usize,
    }

    /// The file of kernel `name` in `dir`: `dir/name.npy`.
    pub fn file_of(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{name}.npy"))
    }

    /// An `n1 × n2` float64 `.npy` file at `path`, open for writing, and the offset of
    /// its data. A file already there must have that shape (it is another writer's, or
    /// an earlier run's): it is opened as it is. A new file is made zeroed (sparse)
    /// under a temporary name and hard-linked into place, so that no writer ever sees
    /// a half-written header.
    fn open_shared(path: &Path, n1: usize, n2: usize) -> Result<(File, u64)> {
        let err = io(path);
        if !path.exists() {
            // Unique per process and per call: writers may be threads or processes.
            static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = path.with_extension(format!("npy.{}-{call}.tmp", std::process::id()));
            {
                let f = File::create(&tmp).map_err(|e| err(e.to_string()))?;
                write_zeroed_npy::<f64, _>(&f, (n1, n2)).map_err(|e| err(e.to_string()))?;
            }
            let linked = std::fs::hard_link(&tmp, path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err(e.to_string())),
            }
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| err(e.to_string()))?;
        // The header, read through a read-only map (only its first page is touched).
        // SAFETY: nothing truncates the file while it is mapped here.
        let map = unsafe { Mmap::map(&f) }.map_err(|e| err(e.to_string()))?;
        let view = ArrayView2::<f64>::view_npy(&map)
            .map_err(|e| err(format!("not a float64 matrix .npy file: {e}")))?;
        if !view.is_standard_layout() {
            return Err(err(
                "holds a matrix in Fortran order; the Gram is written in C order: remove it \
                 or choose another path"
                    .into(),
            ));
        }
        if view.dim() != (n1, n2) {
            return Err(err(format!(
                "holds a {} × {} matrix, not the {n1} × {n2} Gram asked for; remove it or \
                 choose another path",
                view.nrows(),
                view.ncols()
            )));
        }
        let offset = (map.len() - n1 * n2 * 8) as u64;
        Ok((f, offset))
    }

    /// Writes block `b` (and, with `mirror`, its transpose at the mirror place) row by
    /// row with positioned writes. (Not through a writable memory map: its page faults
    /// on a fresh sparse file cost 30 s per 4000 × 4000 tile here, the kernel zeroing
    /// each page before the write.)
    fn put(
        file: &File,
        offset: u64,
        n2: usize,
        b: &Block,
        k: &Array2<f64>,
        mirror: bool,
    ) -> Result<()> {
        let write =
            |rows: &Range<usize>, cols: &Range<usize>, m: ArrayView2<f64>| -> std::io::Result<()> {
                let mut buf = Vec::with_capacity(cols.len() * 8);
                for (i, row) in m.rows().into_iter().enumerate() {
                    buf.clear();
                    for v in row {
                        buf.extend_from_slice(&v.to_le_bytes());
                    }
                    let at = offset + (((rows.start + i) * n2 + cols.start) * 8) as u64;
                    file.write_all_at(&buf, at)?;
                }
                Ok(())
            };
        write(&b.rows, &b.cols, k.view()).map_err(|e| NtkError::Numerical(e.to_string()))?;
        if mirror {
            // The columns of k, read in place: no transposed copy.
            write(&b.cols, &b.rows, k.t()).map_err(|e| NtkError::Numerical(e.to_string()))?;
        }
        Ok(())
    }

    struct Target {
        name: &'static str,
        path: PathBuf,
        file: File,
        offset: u64,
    }

    fn open_all(dir: &Path, get: Get, n1: usize, n2: usize) -> Result<Vec<Target>> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir)(e.to_string()))?;
        get.names()
            .into_iter()
            .map(|name| {
                let path = file_of(dir, name);
                let (file, offset) = open_shared(&path, n1, n2)?;
                Ok(Target {
                    name,
                    path,
                    file,
                    offset,
                })
            })
            .collect()
    }

    fn write_tiles(
        net: &Network,
        x1: ArrayViewD<f64>,
        x2: Option<ArrayViewD<f64>>,
        blocks: &[Block],
        targets: &[Target],
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Result<()> {
        let symmetric = x2.is_none();
        let n2 = x2
            .as_ref()
            .map_or(x1.len_of(Axis(0)), |x| x.len_of(Axis(0)));
        for (done, b) in blocks.iter().enumerate() {
            if !progress(done, blocks.len()) {
                return Err(NtkError::Cancelled);
            }
            let g = block(net, x1.view(), x2.as_ref().map(|x| x.view()), b)?;
            let mirror = symmetric && b.rows != b.cols;
            for t in targets {
                let k = if t.name == "nngp" { &g.nngp } else { &g.ntk };
                put(&t.file, t.offset, n2, b, k, mirror).map_err(|e| match e {
                    NtkError::Numerical(m) => io(&t.path)(m),
                    e => e,
                })?;
            }
        }
        for t in targets {
            t.file.sync_data().map_err(|e| io(&t.path)(e.to_string()))?;
        }
        progress(blocks.len(), blocks.len());
        Ok(())
    }

    /// The whole Gram K(X₁, X₂) (K(X₁, X₁) without `x2`) into `dir/nngp.npy` and
    /// `dir/ntk.npy` (those in `get`), tile by tile, tiles of side `tile`.
    /// `progress(done, total)` is called before each tile; returning false cancels.
    pub fn write_gram(
        net: &Network,
        x1: ArrayViewD<f64>,
        x2: Option<ArrayViewD<f64>>,
        dir: &Path,
        get: Get,
        tile: usize,
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Result<Written> {
        let (n1, n2) = sizes(&x1, x2.as_ref())?;
        if n1 == 0 || n2 == 0 {
            return Err(NtkError::Empty {
                field: if n1 == 0 { "x1" } else { "x2" },
            });
        }
        let blocks = tiles(n1, n2, tile, x2.is_none());
        let targets = open_all(dir, get, n1, n2)?;
        write_tiles(net, x1, x2, &blocks, &targets, progress)?;
        Ok(Written {
            files: targets.into_iter().map(|t| (t.name, t.path)).collect(),
            shape: (n1, n2),
            tile,
            tiles: blocks.len(),
        })
    }

    /// One block of the Gram, written in place into the full-size `dir/nngp.npy` and
    /// `dir/ntk.npy` (created zeroed by the first writer). Without `x2`, an
    /// off-diagonal block is written with its mirror image.
    pub fn write_block(
        net: &Network,
        x1: ArrayViewD<f64>,
        x2: Option<ArrayViewD<f64>>,
        b: &Block,
        dir: &Path,
        get: Get,
    ) -> Result<Written> {
        let (n1, n2) = sizes(&x1, x2.as_ref())?;
        check_range("tile.rows", &b.rows, n1)?;
        check_range("tile.cols", &b.cols, n2)?;
        let targets = open_all(dir, get, n1, n2)?;
        write_tiles(
            net,
            x1,
            x2,
            std::slice::from_ref(b),
            &targets,
            &mut |_, _| true,
        )?;
        Ok(Written {
            files: targets.into_iter().map(|t| (t.name, t.path)).collect(),
            shape: (n1, n2),
            tile: b.rows.len().max(b.cols.len()),
            tiles: 1,
        })
    }
}
