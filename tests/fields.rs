//! The sidebar's "used on this tab" table (`fields::used_on`) against the jobs the
//! settings build: a field said not to apply to a tab never changes that tab's job,
//! and a field said to apply changes it (or its drawing) for some value.
#![cfg(not(target_arch = "wasm32"))]

use ntk_lab::config::{build, defaults, Values, View};
use ntk_lab::fields::{used_on, Group, Kind, FIELDS};

/// Other valid values of a field to try.
fn alternatives(key: &str, kind: Kind, default: &str) -> Vec<String> {
    let mut out: Vec<String> = match kind {
        Kind::Number { bounds, .. } => {
            let mid = if bounds.integer {
                ((bounds.min + bounds.max) / 2.0).round()
            } else {
                (bounds.min + bounds.max) / 2.0
            };
            [bounds.min, mid, bounds.max.min(bounds.min + 7.0)]
                .iter()
                .map(|v| format!("{v}"))
                .collect()
        }
        Kind::Choice(options) => options.iter().map(|(v, _)| v.to_string()).collect(),
        Kind::Flag => vec!["0".into(), "1".into()],
        Kind::List(_) => match key {
            "widths" => vec!["32, 128, 512".into()],
            "degrees" => vec!["2".into(), "1, 3".into()],
            "snaps" => vec!["0, 5".into()],
            _ => vec![],
        },
        Kind::Special(_) => vec![],
    };
    out.retain(|v| v != default && v != "upload");
    out
}

fn job_of(values: &Values) -> Option<String> {
    build(values)
        .ok()
        .map(|c| serde_json::to_string(&c.job()).unwrap())
}

#[test]
fn a_field_not_used_on_a_tab_never_changes_its_job_and_a_used_one_does() {
    // Fields that change only the drawing, not the job.
    let drawing_only = ["log", "metric", "band", "stat"];
    let mut checked = 0;
    for view in View::ALL {
        for ktrain in ["0", "1"] {
            if ktrain == "1" && view != View::Kernel {
                continue;
            }
            let mut base = defaults();
            base.insert("view", view.key().to_string());
            base.insert("ktrain", ktrain.into());
            // Student-t inputs, so that ν is in play.
            base.insert("dist", "student_t".into());
            let lookup = |k: &str| base.get(k).cloned().unwrap_or_default();
            let base_job = job_of(&base).expect("the defaults build");
            for f in FIELDS.iter().filter(|f| f.group != Group::Page) {
                let used = used_on(f.key, view, &lookup);
                let (mut changed, mut built) = (false, false);
                for alt in alternatives(f.key, f.kind, &base[f.key]) {
                    let mut v = base.clone();
                    v.insert(f.key, alt.clone());
                    let Some(job) = job_of(&v) else { continue };
                    checked += 1;
                    built = true;
                    if !used {
                        assert_eq!(
                            job,
                            base_job,
                            "{} = {alt} changed the {} tab's job (ktrain {ktrain}), which it is said not to use",
                            f.key,
                            view.key()
                        );
                    }
                    changed |= job != base_job;
                }
                // A greyed-out field (α of ReLU) applies to the tab but not to these values;
                // d must be 2 when the kernel tab trains.
                if used && !drawing_only.contains(&f.key) && (f.enabled)(&lookup) && built {
                    assert!(
                        changed,
                        "{} is said to be used on the {} tab (ktrain {ktrain}) but no value changed its job",
                        f.key,
                        view.key()
                    );
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} cases");
}
