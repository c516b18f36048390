//! Each teaching preset's job, experiment by experiment: its JSON (the parameters the
//! page sends, for `ntk experiment <name>`) with `--json`, else the native time of
//! each experiment and, for one split into units, of its units and their combination.
//! `RAYON_NUM_THREADS=1 cargo run --release --example preset_jobs [-- <preset id>] [--json]`

use std::time::Instant;

use ntk_lab::config::build;
use ntk_lab::presets::{preset_values, PRESETS};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    for p in PRESETS
        .iter()
        .filter(|p| only.is_empty() || only.iter().any(|o| *o == p.id))
    {
        let config = match build(&preset_values(p)) {
            Ok(c) => c,
            Err(e) => {
                println!("{}: invalid preset: {e:?}", p.id);
                continue;
            }
        };
        for e in config.job() {
            if json {
                let mut v = serde_json::to_value(&e).expect("an experiment is JSON");
                if let Some(o) = v.as_object_mut() {
                    o.remove("experiment");
                }
                println!("{} {} {}", p.id, e.name(), v);
                continue;
            }
            let t = Instant::now();
            let units = e.unit_count();
            let line = if units > 1 {
                let mut slowest = 0.0f64;
                let computed: Vec<_> = (0..units)
                    .map(|i| {
                        let t = Instant::now();
                        let u = e.run_unit(i, &mut ()).expect("a preset's unit runs");
                        slowest = slowest.max(t.elapsed().as_secs_f64());
                        u
                    })
                    .collect();
                let units_s = t.elapsed().as_secs_f64();
                let t = Instant::now();
                e.run_with_units(&computed, &mut ())
                    .expect("a preset's units combine");
                format!(
                    "{units} units {units_s:.2} s (slowest {slowest:.2} s), combined in {:.2} s",
                    t.elapsed().as_secs_f64()
                )
            } else {
                e.run(&mut ()).expect("a preset's experiment runs");
                format!("{:.2} s", t.elapsed().as_secs_f64())
            };
            println!("{:18} {:15} {line}", p.id, e.name());
        }
    }
}
