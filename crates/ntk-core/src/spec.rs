//! JSON specifications for the `ntk` command line, parsed by hand so that every
//! problem is reported with the field it is in ("network.activation: unknown
//! activation 'foo' …", "x1: row 2 has 3 entries, but row 0 has 4").

use serde_json::Value;

use crate::activation::Activation;
use crate::kernel::{FcNetwork, Parameterization, MAX_DEPTH};
use crate::linalg::Matrix;
use crate::network::{MlpSpec, MAX_WIDTH};

/// A problem with the input, located by its JSON path.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// Where: "network.depth", "x1[2][0]", …
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for SpecError {}

fn err<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError {
        field: field.into(),
        message: message.into(),
    })
}

/// Parse JSON text, accepting the non-standard tokens `NaN`, `Infinity` and
/// `-Infinity` (as Python's `json` writes them) so that they can be reported as
/// non-finite values of the field they are in, rather than as a syntax error.
pub fn parse_json(text: &str) -> Result<Value, SpecError> {
    let mut cleaned = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            cleaned.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let token = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        if let Some(t) = token {
            cleaned.push_str(&format!("\"{t}\""));
            rest = &rest[t.len()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        cleaned.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&cleaned).map_err(|e| SpecError {
        field: "input".into(),
        message: format!("invalid JSON: {e}"),
    })
}

fn number(v: &Value, field: &str) -> Result<f64, SpecError> {
    match v {
        Value::Number(n) => n.as_f64().map_or_else(|| err(field, "is not a number"), Ok),
        Value::String(s) if ["NaN", "Infinity", "-Infinity"].contains(&s.as_str()) => {
            err(field, format!("must be finite, got {s}"))
        }
        _ => err(field, format!("must be a number, got {v}")),
    }
}

fn finite_nonneg(v: &Value, field: &str) -> Result<f64, SpecError> {
    let x = number(v, field)?;
    if x < 0.0 {
        return err(field, format!("must be ≥ 0, got {x}"));
    }
    Ok(x)
}

fn integer(v: &Value, field: &str, lo: u64, hi: u64) -> Result<usize, SpecError> {
    match v.as_u64() {
        Some(n) if (lo..=hi).contains(&n) => Ok(n as usize),
        _ => err(
            field,
            format!("must be a whole number between {lo} and {hi}, got {v}"),
        ),
    }
}

/// An activation from an object with "activation" and its parameters.
pub fn activation(obj: &Value, prefix: &str) -> Result<Activation, SpecError> {
    let field = format!("{prefix}activation");
    let name = match obj.get("activation") {
        None => return Ok(Activation::Relu),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return err(field, format!("must be a string, got {other}")),
    };
    let param = |key: &str, default: Option<f64>| -> Result<f64, SpecError> {
        match (obj.get(key), default) {
            (Some(v), _) => number(v, &format!("{prefix}{key}")),
            (None, Some(d)) => Ok(d),
            (None, None) => err(format!("{prefix}{key}"), format!("is required for {name}")),
        }
    };
    let alpha = match name {
        "leaky_relu" => param("alpha", None)?,
        "elu" => param("alpha", Some(1.0))?,
        _ => 0.0,
    };
    let slopes = match name {
        "abrelu" => (param("a", None)?, param("b", None)?),
        _ => (0.0, 1.0),
    };
    Activation::from_name(name, alpha, slopes).map_or_else(
        || {
            err(
                field,
                format!(
                    "unknown activation '{name}' (expected one of {})",
                    Activation::NAMES.join(", ")
                ),
            )
        },
        Ok,
    )
}

/// The "network" object of `ntk kernel`.
pub fn network(v: &Value) -> Result<FcNetwork, SpecError> {
    if !v.is_object() {
        return err("network", "must be an object");
    }
    let depth = match v.get("depth") {
        Some(d) => integer(d, "network.depth", 0, MAX_DEPTH as u64)?,
        None => return err("network.depth", "is required"),
    };
    let w_std = match v.get("w_std") {
        Some(w) => finite_nonneg(w, "network.w_std")?,
        None => return err("network.w_std", "is required"),
    };
    let b_std = match v.get("b_std") {
        None | Some(Value::Null) => None,
        Some(b) => Some(finite_nonneg(b, "network.b_std")?),
    };
    let parameterization = match v.get("parameterization") {
        None => Parameterization::Ntk,
        Some(Value::String(s)) if s == "ntk" => Parameterization::Ntk,
        Some(Value::String(s)) if s == "standard" => Parameterization::Standard,
        Some(other) => {
            return err(
                "network.parameterization",
                format!("must be \"ntk\" or \"standard\", got {other}"),
            )
        }
    };
    let width = match v.get("width") {
        None | Some(Value::Null) => None,
        Some(w) => Some(integer(w, "network.width", 1, 1 << 24)?),
    };
    if parameterization == Parameterization::Standard && width.is_none() {
        return err(
            "network.width",
            "is required for the standard parameterization",
        );
    }
    let net = FcNetwork {
        depth,
        activation: activation(v, "network.")?,
        w_std,
        b_std,
        parameterization,
        width,
    };
    net.validate().map_err(|e| SpecError {
        field: "network".into(),
        message: e.to_string(),
    })?;
    Ok(net)
}

/// The "network" object of `ntk empirical` and `ntk train`: as for `ntk kernel`, with
/// either `"width"` (every hidden layer) or `"widths"` (one per hidden layer).
pub fn mlp(v: &Value) -> Result<MlpSpec, SpecError> {
    let mut obj = v.clone();
    let widths = match (v.get("widths"), v.get("width")) {
        (Some(ws), _) => {
            let list = ws.as_array().ok_or(SpecError {
                field: "network.widths".into(),
                message: "must be a list of whole numbers".into(),
            })?;
            let widths = list
                .iter()
                .enumerate()
                .map(|(i, w)| integer(w, &format!("network.widths[{i}]"), 1, MAX_WIDTH as u64))
                .collect::<Result<Vec<_>, _>>()?;
            match v.get("depth") {
                Some(d) if d.as_u64() != Some(widths.len() as u64) => {
                    return err(
                        "network.depth",
                        format!("is {d}, but network.widths has {} entries", widths.len()),
                    )
                }
                _ => {}
            }
            widths
        }
        (None, Some(w)) => {
            let w = integer(w, "network.width", 1, MAX_WIDTH as u64)?;
            let depth = match v.get("depth") {
                Some(d) => integer(d, "network.depth", 0, MAX_DEPTH as u64)?,
                None => return err("network.depth", "is required"),
            };
            vec![w; depth]
        }
        (None, None) => return err("network.width", "is required (or network.widths)"),
    };
    if let Some(map) = obj.as_object_mut() {
        map.insert("depth".into(), Value::from(widths.len()));
        map.insert(
            "width".into(),
            Value::from(widths.first().copied().unwrap_or(1)),
        );
        map.remove("widths");
    }
    let net = network(&obj)?;
    Ok(MlpSpec {
        widths,
        activation: net.activation,
        w_std: net.w_std,
        b_std: net.b_std,
        parameterization: net.parameterization,
    })
}

/// A list of numbers ("y_train").
pub fn numbers(v: &Value, field: &'static str) -> Result<Vec<f64>, SpecError> {
    let list = match v.as_array() {
        Some(l) if !l.is_empty() => l,
        _ => return err(field, "must be a non-empty list of numbers"),
    };
    list.iter()
        .enumerate()
        .map(|(i, x)| number(x, &format!("{field}[{i}]")))
        .collect()
}

/// A whole number field with bounds.
pub fn whole(
    v: Option<&Value>,
    field: &str,
    lo: u64,
    hi: u64,
    default: Option<u64>,
) -> Result<usize, SpecError> {
    match (v, default) {
        (Some(x), _) => integer(x, field, lo, hi),
        (None, Some(d)) => Ok(d as usize),
        (None, None) => err(field, "is required"),
    }
}

/// A positive finite number field.
pub fn positive(v: Option<&Value>, field: &str) -> Result<f64, SpecError> {
    let x = match v {
        Some(x) => number(x, field)?,
        None => return err(field, "is required"),
    };
    if x > 0.0 {
        Ok(x)
    } else {
        err(field, format!("must be > 0, got {x}"))
    }
}

/// A list of input rows ("x1", "x2"): equal lengths, finite numbers.
pub fn inputs(v: &Value, field: &'static str) -> Result<Matrix, SpecError> {
    let rows = match v.as_array() {
        Some(r) if !r.is_empty() => r,
        Some(_) => return err(field, "must have at least one row"),
        None => return err(field, "must be a list of rows (lists of numbers)"),
    };
    let mut data = Vec::new();
    let mut cols = None;
    for (i, row) in rows.iter().enumerate() {
        let Some(row) = row.as_array() else {
            return err(format!("{field}[{i}]"), "must be a list of numbers");
        };
        match cols {
            None if row.is_empty() => return err(format!("{field}[0]"), "must not be empty"),
            None => cols = Some(row.len()),
            Some(c) if c != row.len() => {
                return err(
                    field,
                    format!("row {i} has {} entries, but row 0 has {c}", row.len()),
                )
            }
            Some(_) => {}
        }
        for (j, x) in row.iter().enumerate() {
            data.push(number(x, &format!("{field}[{i}][{j}]"))?);
        }
    }
    Matrix::from_row_major(rows.len(), cols.unwrap_or(0), data).map_err(|e| SpecError {
        field: field.into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn net(text: &str) -> Result<FcNetwork, SpecError> {
        network(&parse_json(text).unwrap())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn parses_the_documented_example() {
        let n = net(
            r#"{"depth": 2, "activation": "relu", "w_std": 1.4142, "b_std": 0.0,
                        "parameterization": "ntk", "width": 512}"#,
        )
        .unwrap();
        assert_eq!(n.depth, 2);
        assert_eq!(n.activation, Activation::Relu);
        assert_eq!(n.b_std, Some(0.0));
        let n = net(
            r#"{"depth": 1, "activation": "leaky_relu", "alpha": 0.1, "w_std": 1, "b_std": null}"#,
        )
        .unwrap();
        assert_eq!(n.activation, Activation::LeakyRelu { alpha: 0.1 });
        assert_eq!(n.b_std, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn errors_name_the_field() {
        let e = net(r#"{"depth": 2, "activation": "foo", "w_std": 1}"#).unwrap_err();
        assert_eq!(e.field, "network.activation");
        assert!(e.message.contains("unknown activation 'foo'"));
        let e = net(r#"{"depth": 101, "w_std": 1}"#).unwrap_err();
        assert_eq!(e.field, "network.depth");
        let e = net(r#"{"depth": 1, "w_std": -1}"#).unwrap_err();
        assert_eq!(e.field, "network.w_std");
        let e = net(r#"{"depth": 1, "w_std": 1, "b_std": NaN}"#).unwrap_err();
        assert_eq!(e.field, "network.b_std");
        let e = net(r#"{"depth": 1, "w_std": 1, "parameterization": "standard"}"#).unwrap_err();
        assert_eq!(e.field, "network.width");
        let e = net(r#"{"depth": 1, "w_std": 1, "activation": "leaky_relu"}"#).unwrap_err();
        assert_eq!(e.field, "network.alpha");
        let e = inputs(&parse_json("[[1, 2], [3]]").unwrap(), "x1").unwrap_err();
        assert_eq!(e.to_string(), "x1: row 1 has 1 entries, but row 0 has 2");
        let e = inputs(&parse_json("[[1, NaN]]").unwrap(), "x2").unwrap_err();
        assert_eq!(e.field, "x2[0][1]");
        let m =
            mlp(&parse_json(r#"{"widths": [8, 4], "w_std": 1, "b_std": null}"#).unwrap()).unwrap();
        assert_eq!(m.widths, vec![8, 4]);
        let e =
            mlp(&parse_json(r#"{"depth": 3, "widths": [8, 4], "w_std": 1}"#).unwrap()).unwrap_err();
        assert_eq!(e.field, "network.depth");
        let e = mlp(&parse_json(r#"{"depth": 2, "w_std": 1}"#).unwrap()).unwrap_err();
        assert_eq!(e.field, "network.width");
        // A "NaN" inside a string is left alone.
        assert_eq!(parse_json(r#"{"a": "NaN x"}"#).unwrap()["a"], "NaN x");
    }
}
