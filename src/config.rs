//! The page's state: one set of named fields, each held as the raw text of its
//! control, mirrored to the URL hash (`#dist=circle&n=64&depth=3&…`), and turned into
//! a [`Config`] only when every field is valid. An invalid value never becomes a job;
//! its message, in words, is shown next to its control. A hand-edited or truncated
//! URL falls back to the defaults field by field, with a notice.

use std::collections::BTreeMap;

use ntk_core::activation::Activation;
use ntk_core::data::Distribution;
use ntk_core::dynamics::KernelKind;
use ntk_core::kernel::{FcNetwork, Parameterization};

use crate::protocol::{DataSpec, Job, LabJob};

/// Allowed range of a numeric field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// The name shown in messages.
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    /// Whole numbers only.
    pub integer: bool,
}

impl Bounds {
    /// Parse `raw` and check it lies within the bounds; the error is a sentence for
    /// the user, e.g. "depth L must be a whole number between 1 and 10".
    pub fn parse(&self, raw: &str) -> Result<f64, String> {
        let what = if self.integer {
            "a whole number"
        } else {
            "a number"
        };
        let msg = || {
            format!(
                "{} must be {what} between {} and {}",
                self.name, self.min, self.max
            )
        };
        let v: f64 = raw.trim().parse().map_err(|_| msg())?;
        let whole = !self.integer || v.fract() == 0.0;
        if v.is_finite() && whole && v >= self.min && v <= self.max {
            Ok(v)
        } else {
            Err(msg())
        }
    }
}

const fn b(name: &'static str, min: f64, max: f64, integer: bool) -> Bounds {
    Bounds {
        name,
        min,
        max,
        integer,
    }
}

pub const N: Bounds = b("n", 2.0, 600.0, true);
pub const D: Bounds = b("dimension d", 1.0, 64.0, true);
pub const NU: Bounds = b("ν", 2.1, 100.0, false);
pub const DATA_SEED: Bounds = b("seed", 0.0, 1e9, true);
pub const DEPTH: Bounds = b("depth L", 1.0, 10.0, true);
pub const ALPHA: Bounds = b("α", 0.0, 5.0, false);
pub const WIDTH: Bounds = b("width m", 1.0, 4096.0, true);
pub const W_STD: Bounds = b("σ_w", 0.0, 10.0, false);
pub const B_STD: Bounds = b("σ_b", 0.0, 10.0, false);
pub const SEEDS: Bounds = b("seeds", 1.0, 20.0, true);
pub const POINTS: Bounds = b("angles", 11.0, 2001.0, true);

/// The fields, their URL keys and defaults, in the order of the sidebar.
pub const FIELDS: [(&str, &str); 18] = [
    ("dist", "circle"),
    ("nu", "3"),
    ("n", "64"),
    ("d", "2"),
    ("proj", "0"),
    ("dseed", "0"),
    ("depth", "3"),
    ("act", "relu"),
    ("alpha", "0.1"),
    ("param", "ntk"),
    ("widths", "64, 256, 1024"),
    ("w", "1.4142"),
    ("bias", "1"),
    ("b", "0.1"),
    ("kernel", "ntk"),
    ("log", "1"),
    ("seeds", "3"),
    ("points", "201"),
];

/// The distributions the page offers: (JSON name, label).
pub const DISTRIBUTIONS: [(&str, &str); 8] = [
    ("circle", "circle, equally spaced (d = 2)"),
    ("sphere", "uniform on the sphere"),
    ("gaussian", "Gaussian N(0, I)"),
    ("uniform", "uniform [−√3, √3]ᵈ (bounded)"),
    ("rademacher", "Rademacher ±1 (sub-Gaussian)"),
    ("laplace", "Laplace (sub-exponential)"),
    ("exponential", "centred exponential (sub-exponential)"),
    ("student_t", "Student-t, ν d.o.f. (heavy-tailed)"),
];

/// The activations the page offers: (JSON name, label in the menu).
pub const ACTIVATIONS: [(&str, &str); 14] = [
    ("relu", "ReLU"),
    ("leaky_relu", "leaky ReLU (α)"),
    ("abs", "|x|"),
    ("erf", "erf"),
    ("gelu", "GELU (exact)"),
    ("sin", "sin"),
    ("cos", "cos"),
    ("identity", "identity (linear)"),
    ("tanh", "tanh (quadrature)"),
    ("sigmoid", "sigmoid (quadrature)"),
    ("softplus", "softplus (quadrature)"),
    ("silu", "SiLU / swish (quadrature)"),
    ("elu", "ELU (α, quadrature)"),
    ("abrelu", "ABReLU (a = −α, b = 1)"),
];

/// The activation named `name`, with `alpha` where it takes one (ABReLU: a = −α, b = 1).
pub fn activation_from_name(name: &str, alpha: f64) -> Option<Activation> {
    Activation::from_name(name, alpha, (-alpha, 1.0))
}

/// Whether the activation takes α.
pub fn takes_alpha(name: &str) -> bool {
    matches!(name, "leaky_relu" | "elu" | "abrelu")
}

/// How plots name an activation: "ReLU", "leaky ReLU (α = 0.1)", …
pub fn activation_label(act: &Activation) -> String {
    match *act {
        Activation::Relu => "ReLU".into(),
        Activation::LeakyRelu { alpha } => format!("leaky ReLU (α = {alpha})"),
        Activation::AbRelu { a, b } => format!("ABReLU (a = {a}, b = {b})"),
        Activation::Abs => "|x|".into(),
        Activation::Erf => "erf".into(),
        Activation::Gelu => "GELU".into(),
        Activation::Sin => "sin".into(),
        Activation::Cos => "cos".into(),
        Activation::Identity => "linear".into(),
        Activation::Tanh => "tanh".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Softplus => "softplus".into(),
        Activation::Silu => "SiLU".into(),
        Activation::Elu { alpha } => format!("ELU (α = {alpha})"),
    }
}

fn distribution(name: &str, nu: f64) -> Option<Distribution> {
    Some(match name {
        "circle" => Distribution::Circle,
        "sphere" => Distribution::Sphere,
        "gaussian" => Distribution::Gaussian,
        "uniform" => Distribution::Uniform,
        "rademacher" => Distribution::Rademacher,
        "laplace" => Distribution::Laplace,
        "exponential" => Distribution::Exponential,
        "student_t" => Distribution::StudentT { nu },
        _ => return None,
    })
}

fn flag(key: &str, raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("{key} must be 0 or 1")),
    }
}

/// A list of widths: "64, 256, 1024".
pub fn parse_widths(raw: &str) -> Result<Vec<usize>, String> {
    let msg = "widths must be 1 to 8 whole numbers between 1 and 4096, separated by commas";
    let widths = raw
        .split(',')
        .map(|w| {
            WIDTH
                .parse(w)
                .map(|v| v as usize)
                .map_err(|_| msg.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    if widths.is_empty() || widths.len() > 8 {
        return Err(msg.into());
    }
    Ok(widths)
}

/// The problem with one field's raw text, in words; `None` if it is valid.
pub fn field_error(key: &str, raw: &str) -> Option<String> {
    let bounds = |b: Bounds| b.parse(raw).err();
    match key {
        "dist" => distribution(raw, 3.0)
            .is_none()
            .then(|| "unknown distribution".to_string()),
        "nu" => bounds(NU),
        "n" => bounds(N),
        "d" => bounds(D),
        "proj" | "bias" | "log" => flag(key, raw).err(),
        "dseed" => bounds(DATA_SEED),
        "depth" => bounds(DEPTH),
        "act" => activation_from_name(raw, 0.0)
            .is_none()
            .then(|| "unknown activation".into()),
        "alpha" => bounds(ALPHA),
        "param" => (!matches!(raw, "ntk" | "standard"))
            .then(|| "parameterization must be ntk or standard".into()),
        "widths" => parse_widths(raw).err(),
        "w" => bounds(W_STD),
        "b" => bounds(B_STD),
        "kernel" => (!matches!(raw, "ntk" | "nngp")).then(|| "kernel must be ntk or nngp".into()),
        "seeds" => bounds(SEEDS),
        "points" => bounds(POINTS),
        _ => Some(format!("unknown field '{key}'")),
    }
}

/// Field values by key.
pub type Values = BTreeMap<&'static str, String>;

/// The defaults.
pub fn defaults() -> Values {
    FIELDS.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Read a URL hash or query ("#a=1&b=2", "a=1&b=2"): each valid field is taken, each
/// invalid or missing one keeps its default; the notices say what was ignored.
pub fn from_query(query: &str) -> (Values, Vec<String>) {
    let mut values = defaults();
    let mut notices = Vec::new();
    let q = query.trim_start_matches(['#', '?']);
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = decode(v);
        match FIELDS.iter().find(|(key, _)| *key == k) {
            Some((key, _)) => match field_error(key, &v) {
                None => {
                    values.insert(key, v);
                }
                Some(e) => notices.push(format!(
                    "ignored {k}={v} from the link: {e}; using the default"
                )),
            },
            None => notices.push(format!("ignored unknown field '{k}' in the link")),
        }
    }
    (values, notices)
}

/// The URL hash of a set of values (every field, in sidebar order).
pub fn to_query(values: &Values) -> String {
    FIELDS
        .iter()
        .map(|(k, d)| format!("{k}={}", encode(values.get(k).map_or(*d, String::as_str))))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c.to_string(),
            ' ' => "+".into(),
            _ => {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything the page's results depend on, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub job: LabJob,
    /// Log axes where they fit.
    pub log: bool,
}

/// Build the config, or the list of (field, message) problems.
pub fn build(values: &Values) -> Result<Config, Vec<(&'static str, String)>> {
    let errors: Vec<(&'static str, String)> = FIELDS
        .iter()
        .filter_map(|(k, _)| {
            let raw = values.get(k).map_or("", String::as_str);
            field_error(k, raw).map(|e| (*k, e))
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let num = |k: &str, b: Bounds| b.parse(get(k)).unwrap_or(b.min);
    let dist = distribution(get("dist"), num("nu", NU)).unwrap_or(Distribution::Gaussian);
    let circle = dist == Distribution::Circle;
    let d = if circle { 2 } else { num("d", D) as usize };
    let widths = parse_widths(get("widths")).unwrap_or_else(|_| vec![64]);
    let standard = get("param") == "standard";
    let activation =
        activation_from_name(get("act"), num("alpha", ALPHA)).unwrap_or(Activation::Relu);
    let network = FcNetwork {
        depth: num("depth", DEPTH) as usize,
        activation,
        w_std: num("w", W_STD),
        b_std: if flag("bias", get("bias")).unwrap_or(true) {
            Some(num("b", B_STD))
        } else {
            None
        },
        parameterization: if standard {
            Parameterization::Standard
        } else {
            Parameterization::Ntk
        },
        width: Some(*widths.last().unwrap_or(&64)),
    };
    Ok(Config {
        job: LabJob {
            network,
            widths,
            seeds: num("seeds", SEEDS) as usize,
            kernel: if get("kernel") == "nngp" {
                KernelKind::Nngp
            } else {
                KernelKind::Ntk
            },
            points: num("points", POINTS) as usize,
            data: DataSpec {
                distribution: dist,
                n: num("n", N) as usize,
                d,
                project: flag("proj", get("proj")).unwrap_or(false),
                seed: num("dseed", DATA_SEED) as u64,
            },
        },
        log: flag("log", get("log")).unwrap_or(true),
    })
}

impl Config {
    /// The job that computes this config's results.
    pub fn job(&self) -> Job {
        Job::Lab(self.job.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_values_inside_and_reject_with_a_sentence() {
        assert_eq!(DEPTH.parse(" 10 "), Ok(10.0));
        assert_eq!(W_STD.parse("1.25"), Ok(1.25));
        assert_eq!(
            DEPTH.parse("0"),
            Err("depth L must be a whole number between 1 and 10".into())
        );
        assert!(DEPTH.parse("2.5").is_err());
        assert_eq!(
            W_STD.parse("-1"),
            Err("σ_w must be a number between 0 and 10".into())
        );
        assert!(W_STD.parse("NaN").is_err() && W_STD.parse("inf").is_err());
    }

    #[test]
    fn defaults_build_a_valid_job_that_the_worker_runs() {
        let c = build(&defaults()).unwrap();
        assert_eq!(c.job.widths, vec![64, 256, 1024]);
        assert_eq!(c.job.data.distribution, Distribution::Circle);
        assert_eq!(c.job.data.d, 2);
    }

    #[test]
    fn url_round_trip_restores_every_field() {
        let mut v = defaults();
        v.insert("dist", "student_t".into());
        v.insert("nu", "4.5".into());
        v.insert("widths", "32, 128".into());
        v.insert("act", "leaky_relu".into());
        v.insert("bias", "0".into());
        let q = to_query(&v);
        let (back, notices) = from_query(&format!("#{q}"));
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(back, v);
        assert_eq!(build(&back).unwrap(), build(&v).unwrap());
    }

    #[test]
    fn a_bad_or_truncated_link_falls_back_field_by_field() {
        let (v, notices) = from_query("#depth=abc&w=2.5&zzz=1&widths=64,0&n=");
        assert_eq!(v["depth"], "3", "invalid depth keeps the default");
        assert_eq!(v["w"], "2.5", "valid fields are taken");
        assert_eq!(v["widths"], "64, 256, 1024");
        assert_eq!(notices.len(), 4, "{notices:?}");
        assert!(notices[0].contains("depth L must be a whole number"));
        assert!(notices.iter().any(|n| n.contains("unknown field 'zzz'")));
        assert!(build(&v).is_ok());
        // Garbage and percent-escapes never panic.
        let (_, n) = from_query("#%%%&=&&dist=%E2%9C%93&w=%2");
        assert!(!n.is_empty());
    }

    #[test]
    fn invalid_fields_are_reported_not_built() {
        let mut v = defaults();
        v.insert("depth", "0".into());
        v.insert("widths", "64, x".into());
        let errors = build(&v).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, "depth");
        assert!(errors[1].1.starts_with("widths must be"));
    }

    #[test]
    fn every_offered_activation_and_distribution_has_a_name() {
        for (name, _) in ACTIVATIONS {
            let act = activation_from_name(name, 0.1).unwrap();
            assert_eq!(act.name(), name);
            assert!(!activation_label(&act).is_empty());
        }
        for (name, _) in DISTRIBUTIONS {
            assert_eq!(distribution(name, 3.0).unwrap().name(), name);
        }
    }
}
