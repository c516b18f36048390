//! Property-based tests (proptest) of the JSON the `ntk` command line reads: the
//! experiments' (`ntk experiment`) and every verb's (`kernel`, `empirical`, `train`,
//! `predict`, `bench`, through `cli::run`). Random JSON, and valid specs with one field
//! dropped, retyped, huge, negative or deeply nested. The property: a typed experiment
//! that validates or refuses in words, a verb's result or an error naming the field in
//! one line; never a panic.
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::cli;
use ntk_core::experiments::{Experiment, EXPERIMENTS};
use proptest::prelude::*;
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        any::<f64>()
            .prop_filter("JSON has no NaN or ∞", |v| v.is_finite())
            .prop_map(|v| json!(v)),
        prop_oneof![Just(1e300), Just(-1e300), Just(1e20), Just(-1.0), Just(0.0)]
            .prop_map(|v| json!(v)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("NaN")),
        Just(Value::String("x".repeat(10_000))),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every object path (a.b.c) in `v`.
fn paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, x) in m {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(p.clone());
            paths(x, &p, out);
        }
    }
}

fn at_path<'a>(v: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.').try_fold(v, |v, k| v.get_mut(k))
}

fn remove_path(v: &mut Value, path: &str) {
    let (parent, key) = path.rsplit_once('.').map_or(("", path), |(p, k)| (p, k));
    let target = if parent.is_empty() {
        Some(v)
    } else {
        at_path(v, parent)
    };
    if let Some(Value::Object(m)) = target {
        m.remove(key);
    }
}

/// Parse, and validate what parses; the property of every case.
fn parse_and_validate(name: &str, spec: Value) -> Result<(), TestCaseError> {
    match Experiment::parse(name, spec) {
        Ok(e) => {
            if let Err(err) = e.validate() {
                prop_assert!(!err.to_string().is_empty());
            }
        }
        Err(err) => prop_assert!(
            !err.message.is_empty() && !err.message.contains('\n'),
            "{err:?}"
        ),
    }
    Ok(())
}

/// A small valid input of each verb (fast to compute, so that a mutation that stays
/// valid still runs in milliseconds).
fn verb_spec(verb: &str) -> Value {
    let net = json!({"depth": 2, "activation": "relu", "w_std": 1.4, "b_std": 0.1,
                     "parameterization": "ntk", "width": 8});
    let x = json!([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]);
    match verb {
        "kernel" => json!({"network": net, "x1": x, "x2": [[0.5, 0.5]]}),
        "empirical" => json!({"network": net, "seed": 3, "x1": x}),
        "train" => json!({"network": net, "seed": 0, "x_train": x, "y_train": [1.0, -1.0, 0.5],
                          "x_test": [[0.5, 0.5]], "learning_rate": 0.1, "steps": 5,
                          "record_every": 1}),
        "predict" => json!({"network": net, "kernel": "ntk", "x_train": x,
                            "y_train": [1.0, -1.0, 0.5], "x_test": [[0.5, 0.5]],
                            "times": [0.0, 1.0, null], "learning_rate": 1.0, "diag_reg": 1e-4}),
        _ => json!({"op": "eigh", "n": 8, "d": 2, "depth": 2, "activation": "relu", "repeats": 1}),
    }
}

/// Run a verb; the property of every case.
fn run_verb(verb: &str, spec: Value) -> Result<(), TestCaseError> {
    match cli::run(verb, spec) {
        Ok(out) => prop_assert!(out.is_object(), "{out}"),
        Err(err) => prop_assert!(
            !err.field.is_empty() && !err.message.is_empty() && !err.message.contains('\n'),
            "{err:?}"
        ),
    }
    Ok(())
}

/// Found by `every_verb_answers_a_valid_input_with_one_field_changed`: a huge depth
/// with a width made the finite network's spec allocate `depth` widths before any
/// check (7.8·10¹⁸ bytes, abort). Every verb that builds a finite network refuses it
/// by field now.
#[test]
fn a_huge_depth_is_refused_before_anything_is_allocated() {
    for verb in ["empirical", "train"] {
        let mut spec = verb_spec(verb);
        spec["network"]["depth"] = json!(971_358_545_329_426_795u64);
        let err = cli::run(verb, spec).unwrap_err();
        assert_eq!(err.field, "network.depth", "{verb}: {err:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_verb_answers_random_json_or_names_the_field(which in 0usize..cli::VERBS.len(), spec in any_json()) {
        run_verb(cli::VERBS[which], spec)?;
    }

    #[test]
    fn every_verb_answers_a_valid_input_with_one_field_changed(
        which in 0usize..cli::VERBS.len(),
        field in any::<prop::sample::Index>(),
        drop in any::<bool>(),
        value in any_json(),
    ) {
        let verb = cli::VERBS[which];
        let mut spec = verb_spec(verb);
        let mut all = Vec::new();
        paths(&spec, "", &mut all);
        let path = field.get(&all).clone();
        if drop {
            remove_path(&mut spec, &path);
        } else if let Some(slot) = at_path(&mut spec, &path) {
            *slot = value;
        }
        run_verb(verb, spec)?;
    }

    #[test]
    fn random_json_is_parsed_or_refused_by_field(which in 0usize..EXPERIMENTS.len(), spec in any_json()) {
        parse_and_validate(EXPERIMENTS[which].0, spec)?;
    }

    #[test]
    fn a_valid_spec_with_one_field_changed_is_parsed_or_refused_by_field(
        which in 0usize..EXPERIMENTS.len(),
        field in any::<prop::sample::Index>(),
        drop in any::<bool>(),
        value in any_json(),
    ) {
        let name = EXPERIMENTS[which].0;
        let mut spec = serde_json::to_value(Experiment::default_named(name).unwrap()).unwrap();
        if let Value::Object(m) = &mut spec {
            m.remove("experiment");
        }
        let mut all = Vec::new();
        paths(&spec, "", &mut all);
        prop_assume!(!all.is_empty());
        let path = field.get(&all).clone();
        if drop {
            remove_path(&mut spec, &path);
        } else if let Some(slot) = at_path(&mut spec, &path) {
            *slot = value;
        }
        parse_and_validate(name, spec)?;
    }
}

#[test]
fn an_empty_key_is_named_as_such() {
    // The first crash the cli_json fuzz target found: an unknown key "" gave an error
    // with a blank field.
    let spec = json!({"network": {"depth": 2, "activation": "relu", "w_std": 0.4, "b_std": 0.1,
                                  "parameterization": "ntk", "width": 8},
                      "seed": 0, "": [1, -1, 0.5], "x_test": [[0.5, 0.5]],
                      "learning_rate": 0.1, "steps": 5, "record_every": 1});
    let e = cli::run("train", spec).unwrap_err();
    assert_eq!(e.field, "\"\"", "{e:?}");
    assert!(e.message.contains("unknown field"), "{e:?}");
    let e = cli::run("kernel", json!({"network": {"": 1}, "x1": [[1.0]]})).unwrap_err();
    // Inside the network object (parsed as a whole), the object is named.
    assert_eq!(e.field, "network", "{e:?}");
    assert!(e.message.contains("unknown field ``"), "{e:?}");
}

#[test]
fn an_unknown_field_and_a_wrong_type_name_the_field() {
    let e = Experiment::parse("kernel", json!({"widths": "many"})).unwrap_err();
    assert!(e.field.contains("widths"), "{e:?}");
    let e = Experiment::parse("training", json!({"data": {"n": -3}})).unwrap_err();
    assert!(e.field.contains("data.n"), "{e:?}");
}

#[test]
fn every_verbs_valid_input_runs() {
    for verb in cli::VERBS {
        let out = cli::run(verb, verb_spec(verb)).unwrap_or_else(|e| panic!("{verb}: {e:?}"));
        assert!(out.is_object(), "{verb}: {out}");
    }
}
