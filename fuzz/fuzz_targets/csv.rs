//! Uploaded CSV files: any bytes, decoded as the page decodes a file (UTF-8, invalid
//! sequences replaced). Properties: no panic; an error is one sentence naming where.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntk_lab::upload::parse_csv;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(message) = parse_csv("fuzz.csv", &text) {
        assert!(!message.is_empty(), "an empty error message");
    }
});
