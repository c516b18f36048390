//! The user's own data: a CSV file of inputs, and optionally targets, read in the page
//! and validated before any panel uses it. Nothing here touches the DOM.
//!
//! Format: one point per line, values separated by commas (or semicolons, or spaces);
//! blank lines and lines starting with `#` are skipped. An optional first line of
//! column names is a header; a column named `y`, `target` or `label` holds the targets,
//! every other column is an input coordinate.

use crate::fields::{D, N};
use ntk_core::experiments::UserPoints;

/// Read and check a CSV file; the error is a sentence naming the line and column.
pub fn parse_csv(name: &str, text: &str) -> Result<UserPoints, String> {
    // A byte-order mark (spreadsheets write one) is not part of the first value: kept,
    // it would make a first row of numbers read as a header and be dropped.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err("the file is empty".into());
    };
    let split = |line: &str| -> Vec<String> {
        let parts: Vec<&str> = if line.contains(',') {
            line.split(',').collect()
        } else if line.contains(';') {
            line.split(';').collect()
        } else {
            line.split_whitespace().collect()
        };
        parts
            .iter()
            .map(|p| p.trim().trim_matches('"').to_string())
            .collect()
    };
    let head = split(first);
    let header = head.iter().any(|t| t.parse::<f64>().is_err());
    let target_col = if header {
        head.iter()
            .position(|t| matches!(t.to_ascii_lowercase().as_str(), "y" | "target" | "label"))
    } else {
        None
    };
    let data = if header { &lines[1..] } else { &lines[..] };
    let cols = head.len();
    let inputs = cols - usize::from(target_col.is_some());
    if inputs < D.min as usize || inputs > D.max as usize {
        return Err(format!(
            "the file has {inputs} input columns; the page takes 1 to {} (one per coordinate)",
            D.max
        ));
    }
    if data.len() < N.min as usize || data.len() > N.max as usize {
        return Err(format!(
            "the file has {} data rows; the page takes {} to {}",
            data.len(),
            N.min,
            N.max
        ));
    }
    let mut x = Vec::with_capacity(data.len() * inputs);
    let mut y = Vec::with_capacity(if target_col.is_some() { data.len() } else { 0 });
    for &(line_no, line) in data {
        let values = split(line);
        if values.len() != cols {
            return Err(format!(
                "line {line_no} has {} values, but the file has {cols} columns",
                values.len()
            ));
        }
        for (c, t) in values.iter().enumerate() {
            let v: f64 = t
                .parse()
                .map_err(|_| format!("line {line_no}, column {}: '{t}' is not a number", c + 1))?;
            if !v.is_finite() {
                return Err(format!(
                    "line {line_no}, column {}: {t} is not a finite number",
                    c + 1
                ));
            }
            if Some(c) == target_col {
                y.push(v);
            } else {
                x.push(v);
            }
        }
    }
    Ok(UserPoints {
        name: name.to_string(),
        rows: data.len(),
        cols: inputs,
        x,
        y: target_col.map(|_| y),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headed_file_with_targets_is_read_by_column_name() {
        let csv = "# two points in the plane\nx1,x2,y\n1.0, 2.0, 0.5\n-1,0.25,-2\n\n3,4,1e-3\n";
        let p = parse_csv("pts.csv", csv).unwrap();
        assert_eq!((p.rows, p.cols), (3, 2));
        assert_eq!(p.x, vec![1.0, 2.0, -1.0, 0.25, 3.0, 4.0]);
        assert_eq!(p.y, Some(vec![0.5, -2.0, 1e-3]));
        // The target column may come first, and other separators work.
        let p = parse_csv("t.txt", "label;a\n1;2\n3;4\n").unwrap();
        assert_eq!(
            (p.x.clone(), p.y.clone()),
            (vec![2.0, 4.0], Some(vec![1.0, 3.0]))
        );
        let p = parse_csv("w.txt", "1 2 3\n4 5 6\n").unwrap();
        assert_eq!((p.rows, p.cols, p.y), (2, 3, None));
    }

    #[test]
    fn bad_files_are_refused_with_the_line_and_column() {
        let e = parse_csv("a", "x,y\n1,2\n3\n").unwrap_err();
        assert_eq!(e, "line 3 has 1 values, but the file has 2 columns");
        let e = parse_csv("a", "1,2\n3,abc\n").unwrap_err();
        assert_eq!(e, "line 2, column 2: 'abc' is not a number");
        let e = parse_csv("a", "1,2\n3,NaN\n").unwrap_err();
        assert!(e.contains("not a finite number"), "{e}");
        assert_eq!(
            parse_csv("a", "\n# only a comment\n").unwrap_err(),
            "the file is empty"
        );
        let e = parse_csv("a", "1,2\n").unwrap_err();
        assert!(e.contains("1 data rows"), "{e}");
        let wide = (0..70).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let e = parse_csv("a", &format!("{wide}\n{wide}\n")).unwrap_err();
        assert!(e.contains("70 input columns"), "{e}");
        let many: String = (0..2100).map(|i| format!("{i},1\n")).collect();
        assert!(parse_csv("a", &many)
            .unwrap_err()
            .contains("2100 data rows"));
    }
}
