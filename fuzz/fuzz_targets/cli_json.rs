//! The `ntk` command line's JSON: the first byte picks a verb (kernel, empirical,
//! train, predict, bench) or an experiment (parsed and validated only: running one
//! takes seconds), the rest is the input text. Properties: no panic; a result, or an
//! error naming its field in one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntk_core::cli::{self, VERBS};
use ntk_core::experiments::{Experiment, EXPERIMENTS};
use ntk_core::spec::parse_json;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let Ok(value) = parse_json(&text) else {
        return;
    };
    let pick = pick as usize % (VERBS.len() + EXPERIMENTS.len());
    let error = if pick < VERBS.len() {
        cli::run(VERBS[pick], value).err()
    } else {
        match Experiment::parse(EXPERIMENTS[pick - VERBS.len()].0, value) {
            Ok(e) => {
                if let Err(e) = e.validate() {
                    assert!(!e.to_string().is_empty());
                }
                None
            }
            Err(e) => Some(e),
        }
    };
    if let Some(e) = error {
        assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
        assert!(
            !e.message.contains('\n'),
            "a message over several lines: {e:?}"
        );
    }
});
