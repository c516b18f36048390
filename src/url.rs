//! The page's state in the URL hash (`#dist=circle&n=64&…`), form-encoded: every
//! field in table order; a bad or truncated link falls back field by field.

use crate::config::{defaults, Values};
use crate::fields::{check, find, FIELDS};
use crate::presets::{preset, preset_values};

/// Read a URL hash or query ("#a=1&b=2", "a=1&b=2"): each valid field is taken, each
/// invalid or missing one keeps its default; the notices say what was ignored. A
/// valid `preset=id` makes that preset's values the defaults, so that a short link
/// such as `#preset=lazy&hide=all` opens the preset (in teacher mode).
pub fn from_query(query: &str) -> (Values, Vec<String>) {
    let q = query.trim_start_matches(['#', '?']);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let chosen = pairs
        .iter()
        .find(|(k, _)| k == "preset")
        .and_then(|(_, v)| preset(v));
    let mut values = chosen.map_or_else(defaults, preset_values);
    let mut notices = Vec::new();
    for (k, v) in pairs {
        match find(&k) {
            Some(f) => match check(f, &v) {
                Ok(()) => {
                    values.insert(f.key, v);
                }
                Err(e) => notices.push(format!(
                    "ignored {k}={v} from the link: {e}; using the default"
                )),
            },
            None => notices.push(format!("ignored unknown field '{k}' in the link")),
        }
    }
    (values, notices)
}

/// The URL hash of a set of values (every field, in sidebar order), form-encoded.
pub fn to_query(values: &Values) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            FIELDS
                .iter()
                .map(|f| (f.key, values.get(f.key).map_or(f.default, String::as_str))),
        )
        .finish()
}
