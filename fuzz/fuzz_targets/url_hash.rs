//! The URL hash (hand-edited, cut, pasted from chat): any bytes read as the page reads
//! a hash. Properties: no panic; what the page writes back reads as the same values;
//! the config built from them is a config or messages, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntk_lab::config::build_with;
use ntk_lab::url::{from_query, to_query};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (values, _notices) = from_query(&text);
    let again = from_query(&to_query(&values)).0;
    assert_eq!(
        to_query(&again),
        to_query(&values),
        "the written hash reads differently"
    );
    let _ = build_with(&values, None);
});
