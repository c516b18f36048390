//! JSON input of the `ntk` command line, read with serde: every problem is reported
//! with the field it is in (`serde_path_to_error`: "network.w_std: …", "x1[0][1]: …"),
//! then the ranges serde cannot express are checked here with the same field names.
//! The non-JSON tokens NaN, Infinity and -Infinity are read, so that they can be
//! refused by name rather than as a syntax error.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
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

/// Parse JSON text, reading the tokens NaN, Infinity and -Infinity as the strings
/// "NaN", "Infinity", "-Infinity" (which a [`Finite`] then refuses by name).
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

/// Deserialize `value` into `T`; an error names the field's path below `prefix`.
pub fn typed<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, SpecError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path = e.path().to_string();
        // A key that is the empty string prints as nothing: name it `""`, so that the
        // field is never blank (found by the cli_json fuzz target).
        if path.is_empty() || (path.ends_with('.') && path != ".") {
            path.push_str("\"\"");
        }
        SpecError {
            field: match (prefix, path.as_str()) {
                ("", ".") => "input".into(),
                (p, ".") => p.into(),
                ("", q) => q.into(),
                (p, q) if q.starts_with('[') => format!("{p}{q}"),
                (p, q) => format!("{p}.{q}"),
            },
            message: e.into_inner().to_string(),
        }
    })
}

/// A finite number. NaN and ±∞ (read by [`parse_json`] as strings) are refused by
/// name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finite(pub f64);

impl<'de> Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Finite;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a finite number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Finite, E> {
                Ok(Finite(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Finite, E> {
                Ok(Finite(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Finite, E> {
                Ok(Finite(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Finite, E> {
                Err(E::custom(match v {
                    "NaN" | "Infinity" | "-Infinity" => format!("must be finite, got {v}"),
                    _ => format!("must be a number, got \"{v}\""),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// The largest number of entries a tensor input may have (8 M numbers, 64 MB).
pub const MAX_TENSOR: usize = 1 << 23;

/// A nested JSON array of numbers of any rank ≥ `min_rank`, rectangular, finite: an
/// `n × spatial… × channels` input. Errors name the entry (`x1[0][3][1]`).
pub fn tensor(
    value: &Value,
    field: &str,
    min_rank: usize,
) -> Result<ndarray::ArrayD<f64>, SpecError> {
    // The shape, from the first entry at every level.
    let mut shape = vec![];
    let mut level = value;
    while let Value::Array(items) = level {
        if items.is_empty() {
            return err(
                field,
                "must not be empty (every level needs at least one entry)",
            );
        }
        shape.push(items.len());
        level = &items[0];
    }
    if shape.len() < min_rank {
        return err(
            field,
            format!(
                "must be nested arrays of rank ≥ {min_rank} (n × spatial… × channels), got rank {}",
                shape.len()
            ),
        );
    }
    let total = shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
    if total.is_none_or(|t| t > MAX_TENSOR) {
        return err(field, format!("has more than {MAX_TENSOR} entries"));
    }
    let mut data = Vec::with_capacity(total.unwrap_or(0));
    fn walk(
        v: &Value,
        depth: usize,
        shape: &[usize],
        path: String,
        out: &mut Vec<f64>,
    ) -> Result<(), SpecError> {
        match (v, shape.get(depth)) {
            (Value::Array(items), Some(&n)) => {
                if items.len() != n {
                    return err(
                        path,
                        format!("has {} entries, but its siblings have {n}", items.len()),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    walk(item, depth + 1, shape, format!("{path}[{i}]"), out)?;
                }
                Ok(())
            }
            (Value::Array(_), None) => err(path, "is an array where a number belongs"),
            (_, Some(_)) => err(path, "is a number where an array belongs"),
            (v, None) => {
                let x: Finite = serde_json::from_value(v.clone()).map_err(|e| SpecError {
                    field: path.clone(),
                    message: e.to_string(),
                })?;
                out.push(x.0);
                Ok(())
            }
        }
    }
    walk(value, 0, &shape, field.to_string(), &mut data)?;
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).map_err(|e| SpecError {
        field: field.into(),
        message: e.to_string(),
    })
}

/// Rows of numbers, as a matrix (all rows of one length, at least one row).
pub fn matrix(rows: Vec<Vec<Finite>>, field: &str) -> Result<Matrix, SpecError> {
    let cols = match rows.first() {
        None => return err(field, "must have at least one row"),
        Some(r) if r.is_empty() => return err(format!("{field}[0]"), "must not be empty"),
        Some(r) => r.len(),
    };
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
        return err(
            field,
            format!("row {i} has {} entries, but row 0 has {cols}", r.len()),
        );
    }
    let n = rows.len();
    let data = rows.into_iter().flatten().map(|v| v.0).collect();
    Matrix::from_row_major(n, cols, data).map_err(|e| SpecError {
        field: field.into(),
        message: e.to_string(),
    })
}

/// A non-empty list of numbers.
pub fn numbers(values: Vec<Finite>, field: &str) -> Result<Vec<f64>, SpecError> {
    if values.is_empty() {
        return err(field, "must be a non-empty list of numbers");
    }
    Ok(values.into_iter().map(|v| v.0).collect())
}

/// A number > 0.
pub fn positive(v: Finite, field: &str) -> Result<f64, SpecError> {
    if v.0 > 0.0 {
        Ok(v.0)
    } else {
        err(field, format!("must be > 0, got {}", v.0))
    }
}

/// An activation by name with its parameters, as in `{"activation": "leaky_relu",
/// "alpha": 0.1}` (ReLU when absent).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActivationSpec {
    pub activation: Option<String>,
    pub alpha: Option<Finite>,
    pub a: Option<Finite>,
    pub b: Option<Finite>,
}

impl ActivationSpec {
    /// The activation; errors are named below `prefix` ("network.").
    pub fn resolve(&self, prefix: &str) -> Result<Activation, SpecError> {
        let name = self.activation.as_deref().unwrap_or("relu");
        let param = |v: Option<Finite>, key: &str, default: Option<f64>| match (v, default) {
            (Some(x), _) => Ok(x.0),
            (None, Some(d)) => Ok(d),
            (None, None) => err(format!("{prefix}{key}"), format!("is required for {name}")),
        };
        let alpha = match name {
            "leaky_relu" => param(self.alpha, "alpha", None)?,
            "elu" => param(self.alpha, "alpha", Some(1.0))?,
            _ => 0.0,
        };
        let slopes = match name {
            "abrelu" => (param(self.a, "a", None)?, param(self.b, "b", None)?),
            _ => (0.0, 1.0),
        };
        Activation::from_name(name, alpha, slopes).map_or_else(
            || {
                err(
                    format!("{prefix}activation"),
                    format!(
                        "unknown activation '{name}' (expected one of {})",
                        Activation::NAMES.join(", ")
                    ),
                )
            },
            Ok,
        )
    }
}

/// A network as the command line takes it: the analytic network's fields, and for a
/// finite network `width` (every layer) or `widths` (one per layer).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub depth: Option<usize>,
    #[serde(flatten)]
    pub activation: ActivationSpec,
    pub w_std: Option<Finite>,
    #[serde(default)]
    pub b_std: Option<Finite>,
    #[serde(default)]
    pub parameterization: Parameterization,
    pub width: Option<usize>,
    pub widths: Option<Vec<usize>>,
}

impl NetworkSpec {
    /// The analytic network, checked.
    pub fn network(&self) -> Result<FcNetwork, SpecError> {
        let depth = match self.depth {
            Some(d) if d <= MAX_DEPTH => d,
            Some(d) => {
                return err(
                    "network.depth",
                    format!("must be a whole number between 0 and {MAX_DEPTH}, got {d}"),
                )
            }
            None => return err("network.depth", "is required"),
        };
        let w_std = match self.w_std {
            Some(w) if w.0 >= 0.0 => w.0,
            Some(w) => return err("network.w_std", format!("must be ≥ 0, got {}", w.0)),
            None => return err("network.w_std", "is required"),
        };
        let b_std = match self.b_std {
            Some(b) if b.0 < 0.0 => {
                return err("network.b_std", format!("must be ≥ 0, got {}", b.0))
            }
            b => b.map(|b| b.0),
        };
        if let Some(w) = self.width {
            if !(1..=1 << 24).contains(&w) {
                return err(
                    "network.width",
                    format!("must be a whole number between 1 and {}, got {w}", 1 << 24),
                );
            }
        }
        if self.parameterization == Parameterization::Standard && self.width.is_none() {
            return err(
                "network.width",
                "is required for the standard parameterization",
            );
        }
        let net = FcNetwork {
            depth,
            activation: self.activation.resolve("network.")?,
            w_std,
            b_std,
            parameterization: self.parameterization,
            width: self.width,
        };
        net.validate().map_err(|e| SpecError {
            field: "network".into(),
            message: e.to_string(),
        })?;
        Ok(net)
    }

    /// The finite network: `widths`, or `width` repeated `depth` times.
    pub fn mlp(&self) -> Result<MlpSpec, SpecError> {
        let widths = match (&self.widths, self.width) {
            (Some(ws), _) => {
                if let Some((i, w)) = ws
                    .iter()
                    .enumerate()
                    .find(|(_, w)| !(1..=MAX_WIDTH).contains(*w))
                {
                    return err(
                        format!("network.widths[{i}]"),
                        format!("must be a whole number between 1 and {MAX_WIDTH}, got {w}"),
                    );
                }
                if let Some(d) = self.depth.filter(|d| *d != ws.len()) {
                    return err(
                        "network.depth",
                        format!("is {d}, but network.widths has {} entries", ws.len()),
                    );
                }
                ws.clone()
            }
            (None, Some(w)) if (1..=MAX_WIDTH).contains(&w) => {
                // The depth bounds the allocation: checked before `vec!` (a depth of
                // 10¹⁸ from random JSON once asked for 7.8·10¹⁸ bytes and aborted).
                let depth = self.depth.unwrap_or(0);
                if depth > MAX_DEPTH {
                    return err(
                        "network.depth",
                        format!("must be a whole number between 0 and {MAX_DEPTH}, got {depth}"),
                    );
                }
                vec![w; depth]
            }
            (None, Some(w)) => {
                return err(
                    "network.width",
                    format!("must be a whole number between 1 and {MAX_WIDTH}, got {w}"),
                )
            }
            (None, None) => return err("network.width", "is required (or network.widths)"),
        };
        let net = NetworkSpec {
            depth: Some(widths.len()),
            width: Some(widths.first().copied().unwrap_or(1)),
            widths: None,
            ..self.clone()
        }
        .network()?;
        Ok(MlpSpec {
            widths,
            activation: net.activation,
            w_std: net.w_std,
            b_std: net.b_std,
            parameterization: net.parameterization,
        })
    }
}

/// A core error as a [`SpecError`] under the field it names: the offending input for
/// the variants that carry one, the layer's path under `network.` for layer errors,
/// and `default` otherwise.
pub fn field_error(e: crate::NtkError, default: &str) -> SpecError {
    use crate::NtkError as E;
    let named = match &e {
        E::OutOfRange { field, .. }
        | E::Empty { field }
        | E::DimensionMismatch { field, .. }
        | E::RaggedRows { field, .. }
        | E::NonFinite { field, .. }
        | E::Missing { field, .. } => Some(field.to_string()),
        _ => None,
    };
    match (e, named) {
        (E::Layer { path, message }, _) => SpecError {
            field: if path.starts_with("layers") {
                format!("network.{path}")
            } else {
                path
            },
            message,
        },
        (E::Io { path, message }, _) => SpecError {
            field: "path".into(),
            message: format!("{path}: {message}"),
        },
        (e, Some(field)) => {
            let text = e.to_string();
            let message = text
                .strip_prefix(&format!("{field}: "))
                .or_else(|| text.strip_prefix(&format!("{field} ")))
                .unwrap_or(&text)
                .to_string();
            SpecError { field, message }
        }
        (e, None) => SpecError {
            field: default.into(),
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn spec(text: &str) -> Result<NetworkSpec, SpecError> {
        typed(parse_json(text).unwrap(), "network")
    }

    fn net(text: &str) -> Result<FcNetwork, SpecError> {
        spec(text)?.network()
    }

    fn mlp(text: &str) -> Result<MlpSpec, SpecError> {
        spec(text)?.mlp()
    }

    fn inputs(text: &str, field: &str) -> Result<Matrix, SpecError> {
        matrix(typed(parse_json(text).unwrap(), field)?, field)
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
        let e = inputs("[[1, 2], [3]]", "x1").unwrap_err();
        assert_eq!(e.to_string(), "x1: row 1 has 1 entries, but row 0 has 2");
        let e = inputs("[[1, NaN]]", "x2").unwrap_err();
        assert_eq!(e.field, "x2[0][1]");
        assert_eq!(e.message, "must be finite, got NaN");
        let m = mlp(r#"{"widths": [8, 4], "w_std": 1, "b_std": null}"#).unwrap();
        assert_eq!(m.widths, vec![8, 4]);
        let e = mlp(r#"{"depth": 3, "widths": [8, 4], "w_std": 1}"#).unwrap_err();
        assert_eq!(e.field, "network.depth");
        let e = mlp(r#"{"depth": 2, "w_std": 1}"#).unwrap_err();
        assert_eq!(e.field, "network.width");
        let e = net(r#"{"depth": 2, "w_std": 1, "wstd": 2}"#).unwrap_err();
        assert!(e.message.contains("unknown field `wstd`"), "{e}");
        // A "NaN" inside a string is left alone.
        assert_eq!(parse_json(r#"{"a": "NaN x"}"#).unwrap()["a"], "NaN x");
    }
}
