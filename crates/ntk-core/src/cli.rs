//! The `ntk` command line's verbs as a library: JSON in, JSON out, one typed
//! [`SpecError`] naming the field for bad input. The binary (`src/bin/ntk.rs`) only
//! reads stdin and prints; the property tests, the fuzz targets and (next) the Python
//! package call [`run`] directly.
//!
//! ```text
//! ntk kernel   {"network": {...}, "x1": [[...], ...], "x2": [[...], ...]}
//!              → {"nngp": [[...]], "ntk": [[...]]}
//! ntk empirical {"network": {..., "width": 512}, "seed": 0, "x1": [[...]], "x2": [[...]]}
//!              → {"ntk": [[...]], "nngp": [[...]]}
//! ntk train    {"network": {...}, "seed": 0, "x_train": [[...]], "y_train": [...],
//!               "x_test": [[...]], "learning_rate": 0.5, "steps": 1000, "record_every": 10}
//!              → {"steps": [...], "train_loss": [...], "train_predictions": [[...]], ...}
//! ntk experiment <name>   {...params, every field optional}
//!              → the experiment's typed result; progress on stderr
//! ntk experiment --list   → [{"name", "description", "defaults"}]
//! ntk bench    {"op": "kernel_gram", "n": 4000, "d": 10, "depth": 3,
//!               "activation": "relu", "repeats": 5}
//!              → {"op": ..., "median_s": ..., "min_s": ..., "threads": ...}
//! ```

use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::bench::{self, BenchRequest};
use crate::dynamics::{predict, KernelKind};
use crate::experiments::{Experiment, Observer, EXPERIMENTS};
use crate::gram;
use crate::kernel::kernel_matrix;
use crate::linalg::Matrix;
use crate::network::Mlp;
use crate::spec::{self, Finite, NetworkSpec, SpecError};
use crate::train::{train, TrainSetup};

/// The verbs [`run`] knows (`experiment` takes a name: see [`experiment`]).
pub const VERBS: [&str; 5] = ["kernel", "empirical", "train", "predict", "bench"];

/// The binary's help text.
pub const USAGE: &str = "usage: ntk <command> < input.json

commands:
  kernel   analytic NNGP kernel and NTK of a fully-connected network, or of any layer
           list: {\"network\": {\"layers\": [{\"conv\": {\"out\": 16, \"filter\": [3],
           \"padding\": \"circular\", \"w_std\": 1.4, \"b_std\": 0.1}}, {\"activation\": \"relu\"},
           {\"global_avg_pool\": {}}, {\"dense\": {\"out\": 1, \"w_std\": 1.4}}],
           \"parameterization\": \"ntk\"}, \"x1\": n × spatial… × channels, \"x2\": …}
           (layers: dense, activation, conv, avg_pool, global_avg_pool, flatten,
           layer_norm, residual {\"branch\": [...]}, attention {\"out\": 64, \"heads\": 2,
           \"linear_scaling\": true}: NT's GlobalSelfAttention; the analytic kernel
           needs linear_scaling, the empirical one takes either; kan {\"out\": 64,
           \"grid\": 8, \"order\": 3, \"range\": [-2, 2], \"w_std\": 1, \"base\": \"silu\"}:
           a Kolmogorov–Arnold layer, first or after a layer of weights)
           input:  {\"network\": {\"depth\": 2, \"activation\": \"relu\", \"w_std\": 1.4142,
                    \"b_std\": 0.0, \"parameterization\": \"ntk\", \"width\": 512},
                    \"x1\": [[...], ...], \"x2\": [[...], ...]}   (x2 optional: defaults to x1)
           output: {\"nngp\": [[...]], \"ntk\": [[...]]}
           options: \"get\": \"ntk\" | \"nngp\" | [both] (which kernels);
                    \"tile\": {\"rows\": [a, b], \"cols\": [c, d]}: the block K(x1[a:b], x2[c:d]);
                    \"output\": {\"format\": \"npy\", \"path\": DIR, \"tile_size\": 4096,
                    \"memory\": bytes}: the Gram of any size into DIR/nngp.npy and DIR/ntk.npy,
                    tile by tile (sparse files written in place; progress on stderr); with \"tile\", that
                    block only, written into the shared full-size files
           → {\"files\": {...}, \"shape\": [n1, n2], \"tile_size\": ..., \"tiles\": ...}
  empirical  empirical NTK and NNGP kernel of a random finite-width network; with a
           layer list ({\"network\": {\"layers\": [...]}, \"seed\": 0, \"method\":
           \"structured\" | \"jacobian\", \"x1\": …, \"x2\": …}) its output is
           {\"ntk\": [[...]], \"f1\": [...], \"f2\": [...], \"params\": …}
           input:  {\"network\": {... as for kernel, with \"width\": 512 or \"widths\": [..]},
                    \"seed\": 0, \"x1\": [[...]], \"x2\": [[...]]}   (x2 optional)
           output: {\"ntk\": [[...]], \"nngp\": [[...]]}
  train    full-batch gradient descent on (1/2N)|f - y|^2
           input:  {\"network\": {...}, \"seed\": 0, \"x_train\": [[...]], \"y_train\": [...],
                    \"x_test\": [[...]], \"learning_rate\": 0.5, \"steps\": 1000, \"record_every\": 10}
           output: {\"steps\", \"train_loss\", \"train_predictions\", \"test_predictions\",
                    \"ntk_drift\", \"weight_change\", \"critical_learning_rate\", ...}
  predict  infinite-ensemble mean predictions of gradient descent (neural-tangents'
           gradient_descent_mse_ensemble conventions)
           input:  {\"network\": {...}, \"kernel\": \"ntk\" | \"nngp\", \"x_train\": [[...]],
                    \"y_train\": [...], \"x_test\": [[...]], \"times\": [0, 1, 10, null],
                    \"learning_rate\": 1.0, \"diag_reg\": 1e-4}     (null = t = infinity)
                    \"compute_cov\": false   (true: also the test covariance per time)
           output: {\"train_mean\": [[...] per time], \"test_mean\": [[...] per time],
                    \"test_cov\": [[[...]] per time] (with compute_cov)}
  train, predict: a layer list in \"network\" works too, with nested inputs x_train, x_test
  experiment <name>
           run one of the page's experiments (kernel, spectrum, convergence, training,
           spectral_bias, generalization, data, architectures, kan_vs_mlp, capacity)
           with the page's computation
           input:  its parameters, every field optional (the page's defaults otherwise)
           output: its result; progress lines on stderr
  experiment --list
           the experiments, what each computes, and their parameters with defaults
  bench    time a core operation: op = kernel_gram | empirical_ntk | train_step | eigh | predict
           input:  {\"op\": \"kernel_gram\", \"n\": 4000, \"d\": 10, \"depth\": 3,
                    \"activation\": \"relu\", \"repeats\": 5}   (+ \"width\" for the finite ops)
           output: {\"op\": ..., \"median_s\": ..., \"min_s\": ..., \"threads\": ...}";

/// Run `verb` (one of [`VERBS`]) on its JSON input.
pub fn run(verb: &str, input: Value) -> Result<Value, SpecError> {
    if !input.is_object() {
        return Err(SpecError {
            field: "input".into(),
            message: "must be a JSON object".into(),
        });
    }
    match verb {
        "kernel" => kernel(input),
        "empirical" => empirical(input),
        "train" => train_cmd(input),
        "predict" => predict_cmd(input),
        "bench" => bench_cmd(&input),
        other => Err(SpecError {
            field: "command".into(),
            message: format!("unknown command '{other}' (one of {})", VERBS.join(", ")),
        }),
    }
}

/// `x` must have rows as long as `base`'s.
fn same_dim(field: &str, x: &Matrix, base_field: &str, base: &Matrix) -> Result<(), SpecError> {
    if x.cols() == base.cols() {
        return Ok(());
    }
    Err(SpecError {
        field: field.into(),
        message: format!(
            "rows have {} entries, but {base_field}'s rows have {}",
            x.cols(),
            base.cols()
        ),
    })
}

fn core_err(field: &str) -> impl Fn(crate::NtkError) -> SpecError + '_ {
    move |e| SpecError {
        field: field.into(),
        message: e.to_string(),
    }
}

type Rows = Vec<Vec<Finite>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelInput {
    network: NetworkSpec,
    x1: Rows,
    x2: Option<Rows>,
}

/// x1 and the optional x2, with rows of one length.
fn pair(x1: Rows, x2: Option<Rows>) -> Result<(Matrix, Option<Matrix>), SpecError> {
    let x1 = spec::matrix(x1, "x1")?;
    let x2 = x2.map(|x| spec::matrix(x, "x2")).transpose()?;
    if let Some(x2) = &x2 {
        same_dim("x2", x2, "x1", &x1)?;
    }
    Ok((x1, x2))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerKernelInput {
    network: crate::layers::LayerNetwork,
    x1: Value,
    x2: Option<Value>,
}

/// Whether the request's network is a layer list (`"layers"`) rather than the flat
/// MLP shorthand.
fn has_layers(input: &Value) -> bool {
    input.get("network").and_then(|n| n.get("layers")).is_some()
}

/// The analytic kernels of a layer network on inputs of any rank ≥ 2.
fn layer_kernel(input: Value) -> Result<Value, SpecError> {
    let i: LayerKernelInput = spec::typed(input, "")?;
    let x1 = spec::tensor(&i.x1, "x1", 2)?;
    let x2 =
        i.x2.as_ref()
            .map(|x| spec::tensor(x, "x2", 2))
            .transpose()?;
    let k = crate::layers::analytic::kernels(&i.network, x1.view(), x2.as_ref().map(|x| x.view()))
        .map_err(layer_err("kernel"))?;
    let rows = |m: &ndarray::Array2<f64>| -> Vec<Vec<f64>> {
        m.rows().into_iter().map(|r| r.to_vec()).collect()
    };
    Ok(json!({"nngp": rows(&k.nngp), "ntk": rows(&k.ntk)}))
}

/// A core error of a layer network: layer paths are under `network.`.
fn layer_err(field: &str) -> impl Fn(crate::NtkError) -> SpecError + '_ {
    move |e| match e {
        crate::NtkError::Layer { path, message } => SpecError {
            field: if path.starts_with("layers") {
                format!("network.{path}")
            } else {
                path
            },
            message,
        },
        e => core_err(field)(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerEmpiricalInput {
    network: crate::layers::LayerNetwork,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    method: crate::layers::finite::Method,
    x1: Value,
    x2: Option<Value>,
}

/// The empirical NTK of a finite layer network, structured or by the full Jacobian.
fn layer_empirical(input: Value) -> Result<Value, SpecError> {
    let i: LayerEmpiricalInput = spec::typed(input, "")?;
    let x1 = spec::tensor(&i.x1, "x1", 2)?;
    let x2 =
        i.x2.as_ref()
            .map(|x| spec::tensor(x, "x2", 2))
            .transpose()?;
    let shape = crate::layers::Shape {
        spatial: x1.shape()[1..x1.ndim() - 1].to_vec(),
        channels: x1.shape()[x1.ndim() - 1],
    };
    let net = crate::layers::finite::FiniteLayerNet::init(&i.network, &shape, i.seed)
        .map_err(layer_err("network"))?;
    let k = net
        .empirical_ntk(x1.view(), x2.as_ref().map(|x| x.view()), i.method)
        .map_err(layer_err("empirical"))?;
    let rows = |m: &ndarray::Array2<f64>| -> Vec<Vec<f64>> {
        m.rows().into_iter().map(|r| r.to_vec()).collect()
    };
    Ok(json!({
        "ntk": rows(&k.ntk),
        "f1": k.f1.to_vec(),
        "f2": k.f2.to_vec(),
        "params": net.num_params(),
        "method": i.method,
    }))
}

/// `kernel`'s `"output"`: `.npy` files in the directory `path`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
struct OutputSpec {
    format: String,
    path: std::path::PathBuf,
    tile_size: Option<usize>,
    memory: Option<u64>,
}

/// `kernel` with `"get"`, `"tile"` or `"output"`: one block, a chosen kernel, or the
/// Gram tile by tile into `.npy` files ([`crate::gram`]).
fn kernel_blocks(mut input: Value, observer: &mut dyn Observer) -> Result<Value, SpecError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TileSpec {
        rows: [usize; 2],
        cols: [usize; 2],
    }
    let obj = input.as_object_mut().expect("checked by run");
    let mut take = |k: &str| obj.remove(k);
    let (network, x1, x2) = (take("network"), take("x1"), take("x2"));
    let (get, tile, output) = (take("get"), take("tile"), take("output"));
    if let Some(k) = obj.keys().next() {
        return Err(SpecError {
            field: k.clone(),
            message: "unknown field (kernel takes network, x1, x2, get, tile, output)".into(),
        });
    }
    let missing = |f: &str| SpecError {
        field: f.into(),
        message: "is required".into(),
    };
    let net = gram::Network::from_json(network.ok_or_else(|| missing("network"))?)?;
    let x1 = spec::tensor(&x1.ok_or_else(|| missing("x1"))?, "x1", 2)?;
    let x2 = x2.map(|x| spec::tensor(&x, "x2", 2)).transpose()?;
    let get = get
        .map(|g| gram::Get::from_json(&g, "get"))
        .transpose()?
        .unwrap_or_default();
    let tile: Option<gram::Block> = tile
        .map(|t| spec::typed::<TileSpec>(t, "tile"))
        .transpose()?
        .map(|t| gram::Block {
            rows: t.rows[0]..t.rows[1],
            cols: t.cols[0]..t.cols[1],
        });
    let output: Option<OutputSpec> = output.map(|o| spec::typed(o, "output")).transpose()?;
    let err = |e| spec::field_error(e, "kernel");
    let (v1, v2) = (x1.view(), x2.as_ref().map(|x| x.view()));
    let Some(out) = output else {
        let g = match &tile {
            Some(b) => gram::block(&net, v1, v2, b),
            None => gram::kernels(&net, v1, v2),
        }
        .map_err(err)?;
        let rows = |m: &ndarray::Array2<f64>| -> Vec<Vec<f64>> {
            m.rows().into_iter().map(|r| r.to_vec()).collect()
        };
        let mut o = serde_json::Map::new();
        if get.nngp {
            o.insert("nngp".into(), json!(rows(&g.nngp)));
        }
        if get.ntk {
            o.insert("ntk".into(), json!(rows(&g.ntk)));
        }
        if let Some(b) = &tile {
            o.insert("rows".into(), json!([b.rows.start, b.rows.end]));
            o.insert("cols".into(), json!([b.cols.start, b.cols.end]));
        }
        return Ok(Value::Object(o));
    };
    write_npy(&net, v1, v2, tile, out, get, observer)
}

#[cfg(target_arch = "wasm32")]
fn write_npy(
    _: &gram::Network,
    _: ndarray::ArrayViewD<f64>,
    _: Option<ndarray::ArrayViewD<f64>>,
    _: Option<gram::Block>,
    _: OutputSpec,
    _: gram::Get,
    _: &mut dyn Observer,
) -> Result<Value, SpecError> {
    Err(SpecError {
        field: "output".into(),
        message: "files are written by the native command line and library only".into(),
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn write_npy(
    net: &gram::Network,
    x1: ndarray::ArrayViewD<f64>,
    x2: Option<ndarray::ArrayViewD<f64>>,
    tile: Option<gram::Block>,
    out: OutputSpec,
    get: gram::Get,
    observer: &mut dyn Observer,
) -> Result<Value, SpecError> {
    let OutputSpec {
        format,
        path,
        tile_size,
        memory,
    } = out;
    if format != "npy" {
        return Err(SpecError {
            field: "output.format".into(),
            message: format!("unknown format '{format}' (\"npy\")"),
        });
    }
    let err = |e| spec::field_error(e, "kernel");
    if tile.is_some() && (tile_size.is_some() || memory.is_some()) {
        return Err(SpecError {
            field: "output.tile_size".into(),
            message: "tile_size and memory size the tiles of a whole Gram; a \"tile\" is \
                      computed as one block"
                .into(),
        });
    }
    let written = match tile {
        Some(b) => gram::npy::write_block(net, x1, x2, &b, &path, get),
        None => {
            let memory = memory.unwrap_or(crate::budget::BUDGET);
            let side = match tile_size {
                Some(0) => {
                    return Err(SpecError {
                        field: "output.tile_size".into(),
                        message: "must be at least 1".into(),
                    })
                }
                Some(t) => {
                    let need = gram::tile_bytes(net, &x1, t).map_err(&err)?;
                    crate::budget::ensure_within(
                        "one tile of this Gram",
                        need,
                        memory,
                        "choose a smaller output.tile_size or raise output.memory",
                    )
                    .map_err(|e| SpecError {
                        field: "output.tile_size".into(),
                        message: e.to_string(),
                    })?;
                    t
                }
                None => gram::tile_side(net, &x1, memory, 4096).map_err(&err)?,
            };
            gram::npy::write_gram(net, x1, x2, &path, get, side, &mut |done, total| {
                observer.progress(&crate::empirical::Progress {
                    done,
                    total,
                    stage: format!("tile {done} of {total}"),
                })
            })
        }
    }
    .map_err(|e| match e {
        crate::NtkError::Io { path, message } => SpecError {
            field: "output.path".into(),
            message: format!("{path}: {message}"),
        },
        e => err(e),
    })?;
    let files: serde_json::Map<String, Value> = written
        .files
        .iter()
        .map(|(n, p)| (n.to_string(), json!(p.display().to_string())))
        .collect();
    Ok(json!({
        "format": "npy",
        "files": files,
        "shape": [written.shape.0, written.shape.1],
        "tile_size": written.tile,
        "tiles": written.tiles,
    }))
}

fn kernel(input: Value) -> Result<Value, SpecError> {
    kernel_observed(input, &mut ())
}

/// `kernel`, reporting the progress of a tiled `.npy` output to `observer`.
pub fn kernel_observed(input: Value, observer: &mut dyn Observer) -> Result<Value, SpecError> {
    if !input.is_object() {
        return Err(SpecError {
            field: "input".into(),
            message: "must be a JSON object".into(),
        });
    }
    if ["get", "tile", "output"]
        .iter()
        .any(|k| input.get(k).is_some())
    {
        return kernel_blocks(input, observer);
    }
    if has_layers(&input) {
        return layer_kernel(input);
    }
    let i: KernelInput = spec::typed(input, "")?;
    let net = i.network.network()?;
    let (x1, x2) = pair(i.x1, i.x2)?;
    let k = kernel_matrix(&net, &x1, x2.as_ref()).map_err(core_err("kernel"))?;
    Ok(json!({"nngp": k.nngp.to_rows(), "ntk": k.ntk.to_rows()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmpiricalInput {
    network: NetworkSpec,
    #[serde(default)]
    seed: u64,
    x1: Rows,
    x2: Option<Rows>,
}

fn empirical(input: Value) -> Result<Value, SpecError> {
    if has_layers(&input) {
        return layer_empirical(input);
    }
    let i: EmpiricalInput = spec::typed(input, "")?;
    let spec = i.network.mlp()?;
    let (x1, x2) = pair(i.x1, i.x2)?;
    let net = Mlp::init(&spec, x1.cols(), i.seed).map_err(core_err("network"))?;
    let k = net
        .empirical_kernels(&x1, x2.as_ref())
        .map_err(core_err("empirical"))?;
    Ok(json!({"ntk": k.ntk.to_rows(), "nngp": k.nngp.to_rows()}))
}

/// x_train and y_train, one target per row.
fn training_data(x: Rows, y: Vec<Finite>) -> Result<(Matrix, Vec<f64>), SpecError> {
    let x_train = spec::matrix(x, "x_train")?;
    let y_train = spec::numbers(y, "y_train")?;
    if y_train.len() != x_train.rows() {
        return Err(SpecError {
            field: "y_train".into(),
            message: format!(
                "has {} targets, but x_train has {} rows",
                y_train.len(),
                x_train.rows()
            ),
        });
    }
    Ok((x_train, y_train))
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainInput {
    network: NetworkSpec,
    #[serde(default)]
    seed: u64,
    x_train: Rows,
    y_train: Vec<Finite>,
    x_test: Option<Rows>,
    y_test: Option<Vec<Finite>>,
    learning_rate: Finite,
    steps: usize,
    #[serde(default = "one")]
    record_every: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerTrainInput {
    network: crate::layers::LayerNetwork,
    #[serde(default)]
    seed: u64,
    x_train: Value,
    y_train: Vec<Finite>,
    x_test: Option<Value>,
    y_test: Option<Vec<Finite>>,
    learning_rate: Finite,
    steps: usize,
    #[serde(default = "one")]
    record_every: usize,
}

/// The input shape of a batch `n × spatial… × channels`.
fn batch_shape(x: &ndarray::ArrayD<f64>) -> crate::layers::Shape {
    crate::layers::Shape {
        spatial: x.shape()[1..x.ndim() - 1].to_vec(),
        channels: x.shape()[x.ndim() - 1],
    }
}

/// Gradient descent on a finite layer network.
fn layer_train(input: Value) -> Result<Value, SpecError> {
    let i: LayerTrainInput = spec::typed(input, "")?;
    let x = spec::tensor(&i.x_train, "x_train", 2)?;
    let y = spec::numbers(i.y_train, "y_train")?;
    let xt = i
        .x_test
        .as_ref()
        .map(|x| spec::tensor(x, "x_test", 2))
        .transpose()?;
    let yt = i.y_test.map(|y| spec::numbers(y, "y_test")).transpose()?;
    let learning_rate = spec::positive(i.learning_rate, "learning_rate")?;
    let mut net = crate::layers::finite::FiniteLayerNet::init(&i.network, &batch_shape(&x), i.seed)
        .map_err(layer_err("network"))?;
    let test = xt.as_ref().map(|x| (x.view(), yt.as_deref()));
    let rec = net
        .train(x.view(), &y, test, learning_rate, i.steps, i.record_every)
        .map_err(|e| match e {
            crate::NtkError::Diverges { .. } => SpecError {
                field: "learning_rate".into(),
                message: e.to_string(),
            },
            crate::NtkError::OutOfRange { field, .. }
            | crate::NtkError::DimensionMismatch { field, .. } => SpecError {
                field: field.into(),
                message: e.to_string(),
            },
            e => layer_err("train")(e),
        })?;
    serde_json::to_value(rec).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

fn train_cmd(input: Value) -> Result<Value, SpecError> {
    if has_layers(&input) {
        return layer_train(input);
    }
    let i: TrainInput = spec::typed(input, "")?;
    let spec = i.network.mlp()?;
    let (x_train, y_train) = training_data(i.x_train, i.y_train)?;
    let x_test = i.x_test.map(|x| spec::matrix(x, "x_test")).transpose()?;
    let y_test = i.y_test.map(|y| spec::numbers(y, "y_test")).transpose()?;
    if let Some(x) = &x_test {
        same_dim("x_test", x, "x_train", &x_train)?;
    }
    let learning_rate = spec::positive(i.learning_rate, "learning_rate")?;
    if i.steps > 1_000_000 {
        return Err(SpecError {
            field: "steps".into(),
            message: format!("must be at most 1000000, got {}", i.steps),
        });
    }
    if !(1..=1_000_000).contains(&i.record_every) {
        return Err(SpecError {
            field: "record_every".into(),
            message: format!("must be between 1 and 1000000, got {}", i.record_every),
        });
    }
    let rec = train(&TrainSetup {
        spec: &spec,
        seed: i.seed,
        x_train: &x_train,
        y_train: &y_train,
        x_test: x_test.as_ref(),
        y_test: y_test.as_deref(),
        learning_rate,
        steps: i.steps,
        record_every: i.record_every,
    })
    .map_err(|e| match e {
        crate::NtkError::Diverges { .. } => SpecError {
            field: "learning_rate".into(),
            message: e.to_string(),
        },
        other => core_err("train")(other),
    })?;
    serde_json::to_value(rec).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

fn infinite_time() -> Vec<Option<Finite>> {
    vec![None]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PredictInput {
    network: NetworkSpec,
    #[serde(default = "ntk_kind")]
    kernel: KernelKind,
    x_train: Rows,
    y_train: Vec<Finite>,
    x_test: Rows,
    /// Times; null is t = ∞.
    #[serde(default = "infinite_time")]
    times: Vec<Option<Finite>>,
    learning_rate: Option<Finite>,
    diag_reg: Option<Finite>,
    /// Also the test covariance per time (neural-tangents' `compute_cov=True`).
    #[serde(default)]
    compute_cov: bool,
}

fn ntk_kind() -> KernelKind {
    KernelKind::Ntk
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerPredictInput {
    network: crate::layers::LayerNetwork,
    #[serde(default = "ntk_kind")]
    kernel: KernelKind,
    x_train: Value,
    y_train: Vec<Finite>,
    x_test: Value,
    #[serde(default = "infinite_time")]
    times: Vec<Option<Finite>>,
    learning_rate: Option<Finite>,
    diag_reg: Option<Finite>,
    #[serde(default)]
    compute_cov: bool,
}

/// The predict verb's answer: the means, and with `compute_cov` the test covariance
/// per time (`Kernels` of train × train, test × train and, for the covariance,
/// test × test).
#[allow(clippy::too_many_arguments)]
fn predict_answer(
    kind: KernelKind,
    (ktt, kst, kss): (
        &crate::kernel::Kernels,
        &crate::kernel::Kernels,
        Option<&crate::kernel::Kernels>,
    ),
    y: &[f64],
    times: &[Option<f64>],
    learning_rate: f64,
    diag_reg: f64,
) -> Result<Value, SpecError> {
    let (k, kt) = match kind {
        KernelKind::Ntk => (&ktt.ntk, &kst.ntk),
        KernelKind::Nngp => (&ktt.nngp, &kst.nngp),
    };
    let p = predict(k, kt, y, times, learning_rate, diag_reg, None).map_err(core_err("predict"))?;
    let mut out = json!({"train_mean": p.train_mean, "test_mean": p.test_mean});
    if let Some(kss) = kss {
        let covs = crate::dynamics::predict_cov(
            kind,
            (k, kt),
            (&ktt.nngp, &kst.nngp, &kss.nngp),
            times,
            learning_rate,
            diag_reg,
        )
        .map_err(core_err("predict"))?;
        let rows: Vec<Vec<Vec<f64>>> = covs
            .iter()
            .map(|c| (0..c.rows()).map(|i| c.row(i).to_vec()).collect())
            .collect();
        out["test_cov"] = json!(rows);
    }
    Ok(out)
}

/// Times (null = ∞), the learning rate (default 1) and diag_reg (default 0), checked.
type PredictOptions = (Vec<Option<f64>>, f64, f64);

fn predict_options(
    times: &[Option<Finite>],
    learning_rate: Option<Finite>,
    diag_reg: Option<Finite>,
) -> Result<PredictOptions, SpecError> {
    let times = times
        .iter()
        .enumerate()
        .map(|(k, t)| match t {
            Some(v) if v.0 < 0.0 => Err(SpecError {
                field: format!("times[{k}]"),
                message: format!("must be ≥ 0 or null (t = ∞), got {}", v.0),
            }),
            t => Ok(t.map(|v| v.0)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let learning_rate = match learning_rate {
        None => 1.0,
        Some(v) => spec::positive(v, "learning_rate")?,
    };
    let diag_reg = match diag_reg {
        None => 0.0,
        Some(v) if v.0 >= 0.0 => v.0,
        Some(v) => {
            return Err(SpecError {
                field: "diag_reg".into(),
                message: format!("must be a number ≥ 0, got {}", v.0),
            })
        }
    };
    Ok((times, learning_rate, diag_reg))
}

/// The infinite-width ensemble's mean predictions for a layer network.
fn layer_predict(input: Value) -> Result<Value, SpecError> {
    let i: LayerPredictInput = spec::typed(input, "")?;
    let x = spec::tensor(&i.x_train, "x_train", 2)?;
    let y = spec::numbers(i.y_train, "y_train")?;
    if y.len() != x.shape()[0] {
        return Err(SpecError {
            field: "y_train".into(),
            message: format!(
                "has {} targets, but x_train has {} inputs",
                y.len(),
                x.shape()[0]
            ),
        });
    }
    let xt = spec::tensor(&i.x_test, "x_test", 2)?;
    let (times, learning_rate, diag_reg) = predict_options(&i.times, i.learning_rate, i.diag_reg)?;
    let k = |a: &ndarray::ArrayD<f64>, b: Option<&ndarray::ArrayD<f64>>| {
        crate::layers::analytic::kernels(&i.network, a.view(), b.map(|b| b.view()))
            .map_err(layer_err("kernel"))
    };
    let (ktt, kst) = (k(&x, None)?, k(&xt, Some(&x))?);
    let kss = if i.compute_cov {
        Some(k(&xt, None)?)
    } else {
        None
    };
    let m = |a: ndarray::Array2<f64>| {
        Matrix::from_row_major(a.nrows(), a.ncols(), a.into_iter().collect())
            .map_err(core_err("kernel"))
    };
    let both =
        |kk: crate::layers::analytic::LayerKernels| -> Result<crate::kernel::Kernels, SpecError> {
            Ok(crate::kernel::Kernels {
                nngp: m(kk.nngp)?,
                ntk: m(kk.ntk)?,
            })
        };
    let (ktt, kst) = (both(ktt)?, both(kst)?);
    let kss = kss.map(both).transpose()?;
    predict_answer(
        i.kernel,
        (&ktt, &kst, kss.as_ref()),
        &y,
        &times,
        learning_rate,
        diag_reg,
    )
}

fn predict_cmd(input: Value) -> Result<Value, SpecError> {
    if has_layers(&input) {
        return layer_predict(input);
    }
    let i: PredictInput = spec::typed(input, "")?;
    let net = i.network.network()?;
    let (x_train, y_train) = training_data(i.x_train, i.y_train)?;
    let x_test = spec::matrix(i.x_test, "x_test")?;
    same_dim("x_test", &x_test, "x_train", &x_train)?;
    let (times, learning_rate, diag_reg) = predict_options(&i.times, i.learning_rate, i.diag_reg)?;
    let ktt = kernel_matrix(&net, &x_train, None).map_err(core_err("kernel"))?;
    let kst = kernel_matrix(&net, &x_test, Some(&x_train)).map_err(core_err("kernel"))?;
    let kss = if i.compute_cov {
        Some(kernel_matrix(&net, &x_test, None).map_err(core_err("kernel"))?)
    } else {
        None
    };
    predict_answer(
        i.kernel,
        (&ktt, &kst, kss.as_ref()),
        &y_train,
        &times,
        learning_rate,
        diag_reg,
    )
}

fn bench_cmd(input: &Value) -> Result<Value, SpecError> {
    let activation = spec::typed::<spec::ActivationSpec>(input.clone(), "")?.resolve("")?;
    let mut obj = input.clone();
    if let Some(map) = obj.as_object_mut() {
        map.insert("activation".into(), json!(activation.name()));
    }
    let mut req: BenchRequest = spec::typed(obj, "")?;
    req.activation = activation;
    let start = Instant::now();
    let report = bench::run(&req, || start.elapsed().as_secs_f64()).map_err(|e| SpecError {
        field: "bench".into(),
        message: e.to_string(),
    })?;
    serde_json::to_value(report).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

/// An experiment's `"network": {"layers": […], "parameterization": …, "input_shape":
/// [spatial…, channels], "width": m}` (the layer-list form of every other verb) as the
/// experiments take it: the layers become `"architecture": {"kind": "layers", …}`
/// ([`crate::layers::architecture::Architecture::Layers`]), whose hidden widths follow
/// the experiment's widths, and the network keeps the parameterization (and the width
/// of the standard parameterization's analytic kernel). Its depth, for the memory
/// estimates, is the number of hidden dense/conv layers. Returns whether it moved.
fn layers_as_architecture(mut input: Value) -> Result<(Value, bool), SpecError> {
    let Some(net) = input
        .get_mut("network")
        .and_then(Value::as_object_mut)
        .filter(|n| n.contains_key("layers"))
    else {
        return Ok((input, false));
    };
    let err = |field: &str, message: &str| SpecError {
        field: field.into(),
        message: message.into(),
    };
    if let Some(k) = net.keys().find(|k| {
        !matches!(
            k.as_str(),
            "layers" | "parameterization" | "input_shape" | "width"
        )
    }) {
        return Err(err(
            &format!("network.{k}"),
            "a layer-list network takes layers, parameterization, input_shape and width only",
        ));
    }
    let layers = net.remove("layers").unwrap_or(Value::Null);
    // Read here, so that a problem names its place in the list (inside the
    // architecture's tagged enum serde would only say "architecture").
    let _: Vec<crate::layers::Layer> = crate::spec::typed(layers.clone(), "network.layers")?;
    let input_shape = net.remove("input_shape").unwrap_or(Value::Null);
    fn hidden(layers: &Value) -> usize {
        layers.as_array().map_or(0, |ls| {
            ls.iter()
                .map(|l| match l.as_object() {
                    Some(o)
                        if o.contains_key("dense")
                            || o.contains_key("conv")
                            || o.contains_key("attention")
                            || o.contains_key("kan") =>
                    {
                        1
                    }
                    Some(o) => o
                        .get("residual")
                        .and_then(|r| r.get("branch"))
                        .map_or(0, hidden),
                    None => 0,
                })
                .sum()
        })
    }
    let depth = hidden(&layers).saturating_sub(1);
    let mut flat = json!({"depth": depth, "activation": "relu", "w_std": 1.0, "b_std": null});
    for key in ["parameterization", "width"] {
        if let Some(v) = net.remove(key) {
            flat[key] = v;
        }
    }
    let obj = input
        .as_object_mut()
        .ok_or_else(|| err("input", "expected a JSON object"))?;
    if obj.contains_key("architecture") {
        return Err(err(
            "architecture",
            "give the network as network.layers or as an architecture, not both",
        ));
    }
    obj.insert("network".into(), flat);
    obj.insert(
        "architecture".into(),
        json!({"kind": "layers", "layers": layers, "input_shape": input_shape}),
    );
    Ok((input, true))
}

/// Run the experiment `name` on its JSON parameters, reporting progress to `observer`.
pub fn experiment(
    name: &str,
    input: Value,
    observer: &mut dyn Observer,
) -> Result<Value, SpecError> {
    let bad = |e: crate::NtkError| SpecError {
        field: name.into(),
        message: e.to_string(),
    };
    let (input, moved) = layers_as_architecture(input)?;
    let experiment = Experiment::parse(name, input).map_err(|mut e| {
        if moved {
            e.field = e.field.replacen("architecture.", "network.", 1);
        }
        e
    })?;
    let out = experiment.run(observer).map_err(bad)?;
    serde_json::to_value(out).map_err(|e| SpecError {
        field: "output".into(),
        message: e.to_string(),
    })
}

/// Every experiment: its name, what it computes and its default parameters.
pub fn experiment_list() -> Value {
    Value::Array(
        EXPERIMENTS
            .iter()
            .filter_map(|(name, description)| {
                let e = Experiment::default_named(name)?;
                let mut defaults = serde_json::to_value(&e).ok()?;
                defaults.as_object_mut()?.remove("experiment");
                Some(json!({"name": name, "description": description, "defaults": defaults}))
            })
            .collect(),
    )
}
