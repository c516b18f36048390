//! Property-based tests (proptest) of the page's parsers: the URL hash and the CSV
//! reader. The property: a result or one clear message, never a panic; what is
//! accepted is valid. A bounded number of cases, so CI runs them in seconds.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;

use ntk_lab::config::{build, defaults};
use ntk_lab::fields::{check, find, Kind, FIELDS};
use ntk_lab::upload::parse_csv;
use ntk_lab::url::{from_query, to_query};

/// Every value `from_query` returns passes its field's check.
fn all_valid(values: &ntk_lab::config::Values) -> Result<(), String> {
    for (k, v) in values {
        let f = find(k).ok_or_else(|| format!("unknown key {k}"))?;
        check(f, v).map_err(|e| format!("{k}={v}: {e}"))?;
    }
    Ok(())
}

/// A valid value of field `i` chosen by `pick`.
fn valid_value(i: usize, pick: usize) -> String {
    let f = &FIELDS[i % FIELDS.len()];
    match f.kind {
        Kind::Number { bounds, .. } => {
            let t = (pick % 101) as f64 / 100.0;
            let v = bounds.min + t * (bounds.max - bounds.min);
            if bounds.integer {
                format!("{}", v.round())
            } else {
                format!("{v}")
            }
        }
        Kind::Choice(options) => options[pick % options.len()].0.to_string(),
        Kind::Flag => (pick % 2).to_string(),
        _ => f.default.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_url_hash_gives_valid_values_and_notices(hash in ".{0,200}") {
        let (values, notices) = from_query(&hash);
        prop_assert!(all_valid(&values).is_ok(), "{:?}", all_valid(&values));
        for n in &notices {
            prop_assert!(!n.is_empty() && !n.contains('\n'));
        }
        // The settings build or say, field by field, why not; no panic either way.
        if let Err(errors) = build(&values) {
            prop_assert!(errors.iter().all(|(_, m)| !m.is_empty() && !m.contains('\n')));
        }
    }

    #[test]
    fn percent_escapes_and_form_noise_never_break_the_reader(
        parts in proptest::collection::vec(("[a-z_]{0,8}", "(%[0-9A-Fa-f]{0,2}|[+&=#?;]|[^&]{0,6}){0,6}"), 0..12)
    ) {
        let hash: String = parts.iter().map(|(k, v)| format!("{k}={v}&")).collect();
        let (values, _) = from_query(&hash);
        prop_assert!(all_valid(&values).is_ok(), "{:?}", all_valid(&values));
    }

    #[test]
    fn a_valid_link_cut_anywhere_still_reads_and_a_whole_one_round_trips(
        picks in proptest::collection::vec((0usize..64, 0usize..1000), 0..10),
        cut in 0.0f64..1.0,
    ) {
        let mut v = defaults();
        for (i, pick) in picks {
            let f = &FIELDS[i % FIELDS.len()];
            v.insert(f.key, valid_value(i, pick));
        }
        let link = to_query(&v);
        // Whole: every field comes back as it was.
        let (back, notices) = from_query(&link);
        prop_assert_eq!(to_query(&back), link.clone(), "notices: {:?}", notices);
        // Cut at any character: still valid values, at worst defaults with notices.
        let at = link.char_indices().map(|(i, _)| i).nth((cut * link.chars().count() as f64) as usize).unwrap_or(link.len());
        let (values, _) = from_query(&link[..at]);
        prop_assert!(all_valid(&values).is_ok(), "{:?}", all_valid(&values));
    }

    #[test]
    fn any_text_as_a_csv_file_is_read_or_refused_in_one_sentence(
        text in "(\u{feff})?([0-9eE.+\\-,; \"a-zNn#\t]{0,40}(\r?\n)){0,30}"
    ) {
        match parse_csv("f.csv", &text) {
            Ok(p) => {
                prop_assert!((2..=600).contains(&p.rows) && (1..=64).contains(&p.cols), "{} × {}", p.rows, p.cols);
                prop_assert_eq!(p.x.len(), p.rows * p.cols);
                prop_assert!(p.x.iter().all(|v| v.is_finite()));
                if let Some(y) = &p.y {
                    prop_assert!(y.len() == p.rows && y.iter().all(|v| v.is_finite()));
                }
            }
            Err(message) => prop_assert!(!message.is_empty() && !message.contains('\n'), "{message:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_as_a_csv_file_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(message) = parse_csv("f.csv", &text) {
            prop_assert!(!message.is_empty());
        }
    }
}

#[test]
fn awkward_csv_files_are_read_or_refused_by_line_and_column() {
    // A byte-order mark and CRLF line ends: read.
    let p = parse_csv("f.csv", "\u{feff}x1,x2,y\r\n1,2,3\r\n4,5,6\r\n").expect("BOM and CRLF");
    assert_eq!((p.rows, p.cols, p.y.clone()), (2, 2, Some(vec![3.0, 6.0])));
    // A byte-order mark before a first row of numbers: that row is data, not a header.
    let p = parse_csv("f.csv", "\u{feff}1,2\n3,4\n").expect("BOM before numbers");
    assert_eq!((p.rows, p.x.clone()), (2, vec![1.0, 2.0, 3.0, 4.0]));
    // NaN and infinity in the numbers: refused, naming the place.
    for bad in ["1,2\nNaN,3\n", "1,2\ninf,3\n", "1,2\n3,-inf\n"] {
        let e = parse_csv("f.csv", bad).unwrap_err();
        assert!(e.contains("line 2"), "{bad:?}: {e}");
    }
    // Far too many columns: refused in one sentence, before any matrix is built.
    let wide = (0..1_000_000)
        .map(|i| (i % 7).to_string())
        .collect::<Vec<_>>()
        .join(",");
    let e = parse_csv("f.csv", &format!("{wide}\n{wide}\n")).unwrap_err();
    assert!(!e.contains('\n') && e.contains("column"), "{e}");
}
