//! `ntk_lab._native`: NTK Lab's numeric core (`ntk-core`) as a Python extension
//! module. The Python package `ntk_lab` (python/ntk_lab) wraps it; use that.
//!
//! - Arrays come in as NumPy float64 arrays of any rank and layout, copied once into
//!   the core's own array while the GIL is held (n·d numbers, nothing beside the n²
//!   output; and no other Python thread, nor a progress callback, can change them under
//!   the computation). Gram matrices go out as NumPy arrays that take over the core's
//!   buffers, with no copy.
//! - The other verbs take and return the command line's JSON (`ntk_core::cli`), so
//!   that the package and `ntk` give the same numbers, bit for bit.
//! - The GIL is released while the core computes; progress callbacks re-attach.
//! - Bad input raises `ntk_lab.InputError` (a `ValueError`) whose `field` attribute
//!   names the field, as the command line's error line does.

use std::path::PathBuf;

use ndarray::{ArrayD, ArrayViewD};
use ntk_core::empirical::Progress;
use ntk_core::experiments::Observer;
use ntk_core::gram::{self, Block, Get, Network};
use ntk_core::spec::{self, SpecError};
use ntk_core::{cli, NtkError};
use numpy::{IntoPyArray, PyReadonlyArrayDyn};
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    ntk_lab._native,
    InputError,
    PyValueError,
    "Bad input to NTK Lab: `field` names the field, as in the command line's \
     `error: <field>: <message>`."
);

fn input_error(e: SpecError) -> PyErr {
    let err = InputError::new_err(format!("{}: {}", e.field, e.message));
    Python::attach(|py| {
        let _ = err.value(py).setattr("field", e.field.clone());
    });
    err
}

/// A core error, under the field it names (the block's range is `rows`/`cols` here).
fn core_error(e: NtkError) -> SpecError {
    let mut e = spec::field_error(e, "kernel");
    if let Some(f) = e.field.strip_prefix("tile.") {
        e.field = f.to_string();
    }
    e
}

/// x1 and x2 as the core's own arrays (one copy, under the GIL), each of rank ≥ 1.
fn owned(
    x1: &PyReadonlyArrayDyn<'_, f64>,
    x2: Option<&PyReadonlyArrayDyn<'_, f64>>,
) -> PyResult<(ArrayD<f64>, Option<ArrayD<f64>>)> {
    let check = |x: &PyReadonlyArrayDyn<'_, f64>, field: &str| -> PyResult<ArrayD<f64>> {
        let v: ArrayViewD<f64> = x.as_array();
        if v.ndim() == 0 {
            return Err(input_error(SpecError {
                field: field.into(),
                message: "must be an array of inputs (n × d, or n × spatial… × channels), \
                          not a number"
                    .into(),
            }));
        }
        Ok(v.to_owned())
    };
    Ok((check(x1, "x1")?, x2.map(|x| check(x, "x2")).transpose()?))
}

fn parse(json: &str) -> PyResult<serde_json::Value> {
    spec::parse_json(json).map_err(input_error)
}

/// What both kernel entry points read from their arguments: the network, the kernels
/// asked for, the inputs (copied under the GIL) and the block, if any.
struct Request {
    net: Network,
    get: Get,
    x1: ArrayD<f64>,
    x2: Option<ArrayD<f64>>,
    block: Option<Block>,
}

impl Request {
    fn new(
        network: &str,
        x1: &PyReadonlyArrayDyn<'_, f64>,
        x2: Option<&PyReadonlyArrayDyn<'_, f64>>,
        get: Option<&str>,
        rows: Option<(usize, usize)>,
        cols: Option<(usize, usize)>,
    ) -> PyResult<Self> {
        let net = Network::from_json(parse(network)?).map_err(input_error)?;
        let get = match get {
            Some(g) => Get::from_json(&parse(g)?, "get").map_err(input_error)?,
            None => Get::default(),
        };
        let (x1, x2) = owned(x1, x2)?;
        let n1 = x1.shape()[0];
        let n2 = x2.as_ref().map_or(n1, |b| b.shape()[0]);
        let block = block_of(rows, cols, n1, n2);
        Ok(Request {
            net,
            get,
            x1,
            x2,
            block,
        })
    }
}

fn block_of(
    rows: Option<(usize, usize)>,
    cols: Option<(usize, usize)>,
    n1: usize,
    n2: usize,
) -> Option<Block> {
    if rows.is_none() && cols.is_none() {
        return None;
    }
    let (r, c) = (rows.unwrap_or((0, n1)), cols.unwrap_or((0, n2)));
    Some(Block {
        rows: r.0..r.1,
        cols: c.0..c.1,
    })
}

/// Reports progress to an optional Python callable `(done, total, stage) -> bool|None`
/// (False cancels), and cancels on Ctrl-C.
struct PyObserver {
    callback: Option<Py<PyAny>>,
    interrupted: bool,
    failed: Option<PyErr>,
}

impl PyObserver {
    fn new(callback: Option<Py<PyAny>>) -> Self {
        PyObserver {
            callback,
            interrupted: false,
            failed: None,
        }
    }

    fn report(&mut self, done: usize, total: usize, stage: &str) -> bool {
        Python::attach(|py| {
            if py.check_signals().is_err() {
                self.interrupted = true;
                return false;
            }
            let Some(cb) = &self.callback else {
                return true;
            };
            match cb.bind(py).call1((done, total, stage)) {
                Ok(r) => r.is_none() || r.is_truthy().unwrap_or(true),
                Err(e) => {
                    self.failed = Some(e);
                    false
                }
            }
        })
    }

    /// The Python error to raise for a cancelled run, if the observer caused it.
    fn take_error(&mut self) -> Option<PyErr> {
        if let Some(e) = self.failed.take() {
            return Some(e);
        }
        self.interrupted
            .then(|| PyKeyboardInterrupt::new_err("NTK Lab computation interrupted"))
    }
}

impl Observer for PyObserver {
    fn progress(&mut self, p: &Progress) -> bool {
        self.report(p.done, p.total, &p.stage)
    }
}

/// The analytic NNGP kernel and NTK (those in `get`) of `network` (the command
/// line's JSON) on `x1` and `x2`, or one block of them. Returns a dict of float64
/// arrays.
#[pyfunction]
#[pyo3(signature = (network, x1, x2=None, get=None, rows=None, cols=None))]
fn kernel<'py>(
    py: Python<'py>,
    network: &str,
    x1: PyReadonlyArrayDyn<'py, f64>,
    x2: Option<PyReadonlyArrayDyn<'py, f64>>,
    get: Option<&str>,
    rows: Option<(usize, usize)>,
    cols: Option<(usize, usize)>,
) -> PyResult<Bound<'py, PyDict>> {
    let Request {
        net,
        get,
        x1: a,
        x2: b,
        block,
    } = Request::new(network, &x1, x2.as_ref(), get, rows, cols)?;
    let (v1, v2) = (a.view(), b.as_ref().map(|b| b.view()));
    let g = py
        .detach(|| match &block {
            Some(b) => gram::block(&net, v1, v2, b),
            None => gram::kernels(&net, v1, v2),
        })
        .map_err(|e| input_error(core_error(e)))?;
    let out = PyDict::new(py);
    if get.nngp {
        out.set_item("nngp", g.nngp.into_pyarray(py))?;
    }
    if get.ntk {
        out.set_item("ntk", g.ntk.into_pyarray(py))?;
    }
    Ok(out)
}

/// The Gram into `path/nngp.npy` and `path/ntk.npy`, tile by tile (or one block into
/// the shared full-size files). Returns the command line's JSON answer.
#[pyfunction]
#[pyo3(signature = (network, x1, path, x2=None, get=None, tile_size=None, memory=None, rows=None, cols=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn kernel_to_npy<'py>(
    py: Python<'py>,
    network: &str,
    x1: PyReadonlyArrayDyn<'py, f64>,
    path: PathBuf,
    x2: Option<PyReadonlyArrayDyn<'py, f64>>,
    get: Option<&str>,
    tile_size: Option<usize>,
    memory: Option<u64>,
    rows: Option<(usize, usize)>,
    cols: Option<(usize, usize)>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let Request {
        net,
        get,
        x1: a,
        x2: b,
        block,
    } = Request::new(network, &x1, x2.as_ref(), get, rows, cols)?;
    let (v1, v2) = (a.view(), b.as_ref().map(|b| b.view()));
    if block.is_some() && (tile_size.is_some() || memory.is_some()) {
        return Err(input_error(SpecError {
            field: "tile_size".into(),
            message: "tile_size and memory size the tiles of a whole Gram; a block \
                      (rows, cols) is computed as one"
                .into(),
        }));
    }
    if tile_size == Some(0) {
        return Err(input_error(SpecError {
            field: "tile_size".into(),
            message: "must be at least 1".into(),
        }));
    }
    let mut observer = PyObserver::new(progress);
    let result = py.detach(|| -> Result<gram::npy::Written, NtkError> {
        if let Some(b) = &block {
            return gram::npy::write_block(&net, v1, v2, b, &path, get);
        }
        let memory = memory.unwrap_or(ntk_core::budget::BUDGET);
        let side = match tile_size {
            Some(t) => {
                ntk_core::budget::ensure_within(
                    "one tile of this Gram",
                    gram::tile_bytes(&net, &v1, t)?,
                    memory,
                    "choose a smaller tile_size or raise memory",
                )?;
                t
            }
            None => gram::tile_side(&net, &v1, memory, 4096)?,
        };
        gram::npy::write_gram(&net, v1, v2, &path, get, side, &mut |done, total| {
            observer.report(done, total, &format!("tile {done} of {total}"))
        })
    });
    // A Ctrl-C or a failing callback wins, even after the last tile.
    if let Some(pe) = observer.take_error() {
        return Err(pe);
    }
    let written = result.map_err(|e| {
        let mut e = core_error(e);
        if e.message.contains("one tile of this Gram") {
            e.field = "tile_size".into();
        }
        input_error(e)
    })?;
    let files: serde_json::Map<String, serde_json::Value> = written
        .files
        .iter()
        .map(|(n, p)| (n.to_string(), p.display().to_string().into()))
        .collect();
    Ok(serde_json::json!({
        "format": "npy",
        "files": files,
        "shape": [written.shape.0, written.shape.1],
        "tile_size": written.tile,
        "tiles": written.tiles,
    })
    .to_string())
}

/// One of the command line's verbs (`empirical`, `train`, `predict`, `kernel`,
/// `bench`) on its JSON input; returns its JSON output.
#[pyfunction]
fn run(py: Python<'_>, verb: &str, input: &str) -> PyResult<String> {
    let input = parse(input)?;
    py.detach(|| cli::run(verb, input))
        .map(|v| v.to_string())
        .map_err(input_error)
}

/// The experiment `name` on its JSON parameters; returns its JSON result.
#[pyfunction]
#[pyo3(signature = (name, input, progress=None))]
fn experiment(
    py: Python<'_>,
    name: &str,
    input: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let input = parse(input)?;
    let mut observer = PyObserver::new(progress);
    let out = py.detach(|| cli::experiment(name, input, &mut observer));
    if let Some(pe) = observer.take_error() {
        return Err(pe);
    }
    out.map(|v| v.to_string()).map_err(input_error)
}

/// Every experiment, its description and its default parameters, as JSON.
#[pyfunction]
fn experiment_list() -> String {
    cli::experiment_list().to_string()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add_function(wrap_pyfunction!(kernel, m)?)?;
    m.add_function(wrap_pyfunction!(kernel_to_npy, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(experiment, m)?)?;
    m.add_function(wrap_pyfunction!(experiment_list, m)?)?;
    Ok(())
}
