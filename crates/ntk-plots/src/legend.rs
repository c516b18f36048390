//! Legends and notes outside the data: the plot's area is split into the chart and a
//! legend strip, beside the chart on a wide plot and below it on a narrow one, so a
//! legend never covers a curve and a note never covers the legend.
//!
//! Text widths are the larger of plotters' estimate and 0.55 em a character
//! ([`text_width`]): in the browser plotters' estimate runs about 2× short, which cut
//! legend boxes and axis titles off on phones.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{PlotError, PlotStyle};

/// How a legend entry's sample is drawn: as its series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swatch {
    /// A solid line.
    Line,
    /// A solid line with a dot (measurements).
    Marked,
    /// A dashed line (theory).
    Dashed,
    /// A dotted line.
    Dotted,
    /// A thin, faint line (single seeds).
    Thin,
    /// A filled band (spread).
    Band,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    pub label: String,
    pub color: RGBColor,
    pub swatch: Swatch,
}

impl LegendEntry {
    pub fn new(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> Self {
        LegendEntry {
            label: label.into(),
            color,
            swatch,
        }
    }
}

/// The width in device pixels of `text` at `css_px` CSS pixels: the larger of
/// plotters' estimate and 0.55 em a character.
pub fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &PlotStyle,
    css_px: f64,
) -> f64 {
    let floor = 0.55 * css_px * style.scale * text.chars().count() as f64;
    area.estimate_text_size(text, &style.font(css_px))
        .map_or(floor, |(w, _)| f64::from(w).max(floor))
}

/// `text` cut with "…" so that it is at most `room` device pixels wide at `css_px`.
pub fn cut_to<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &PlotStyle,
    css_px: f64,
    room: f64,
) -> String {
    if text_width(area, text, style, css_px) <= room {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    let mut cut = text.to_string();
    while chars.len() > 1 && text_width(area, &cut, style, css_px) > room {
        chars.pop();
        cut = chars.iter().collect::<String>().trim_end().to_string() + "…";
    }
    cut
}

/// `text` broken into lines at spaces, each at most `room` device pixels wide (a
/// single word wider than that is cut with "…").
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &PlotStyle,
    css_px: f64,
    room: f64,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || text_width(area, &candidate, style, css_px) <= room {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
        .into_iter()
        .map(|l| cut_to(area, &l, style, css_px, room))
        .collect()
}

/// Legend text size in CSS pixels.
const FONT: f64 = 12.0;
/// Swatch length and the gap after it, in CSS pixels.
const SAMPLE: f64 = 24.0;
const GAP: f64 = 6.0;
/// The width from which a legend goes beside the chart instead of below it.
const WIDE: f64 = 620.0;

/// Split `area` into the chart's area and a legend strip with `entries` and then the
/// `notes` (each wrapped to the strip), drawn at once; returns the chart's area. With
/// nothing to show, the chart gets the whole area.
pub fn split_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    notes: &[&str],
    style: &PlotStyle,
) -> Result<DrawingArea<DB, Shift>, PlotError>
where
    DB::ErrorType: 'static,
{
    if entries.is_empty() && notes.iter().all(|n| n.trim().is_empty()) {
        return Ok(area.clone());
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    let px = |css: f64| css * style.scale;
    let line_h = px(FONT * 1.35);
    let pad = px(8.0);
    let sample = px(SAMPLE);
    let gap = px(GAP);
    // Each entry's text lines, and each note's, for a strip `room` wide.
    let layout = |room: f64| -> Vec<(Option<&LegendEntry>, Vec<String>)> {
        let mut items: Vec<(Option<&LegendEntry>, Vec<String>)> = entries
            .iter()
            .map(|e| {
                (
                    Some(e),
                    wrap(area, &e.label, style, FONT, room - sample - gap),
                )
            })
            .collect();
        for n in notes.iter().filter(|n| !n.trim().is_empty()) {
            items.push((None, wrap(area, n, style, FONT, room)));
        }
        items
    };
    let beside = w >= px(WIDE) && h >= px(160.0);
    if beside {
        let widest = entries
            .iter()
            .map(|e| sample + gap + text_width(area, &e.label, style, FONT))
            .chain(
                notes
                    .iter()
                    .map(|n| text_width(area, n, style, FONT).min(px(220.0))),
            )
            .fold(px(120.0), f64::max);
        let strip = (widest + 2.0 * pad).min(0.34 * w).round();
        let items = layout(strip - 2.0 * pad);
        let (chart, legend) = area.split_horizontally((w - strip) as i32);
        let mut y = pad + px(28.0);
        for (entry, lines) in &items {
            y = draw_item(&legend, *entry, lines, (pad, y), style, line_h)?;
            y += px(4.0);
        }
        Ok(chart)
    } else {
        // Below: entries flow left to right in rows, notes below them, full width.
        let room = w - 2.0 * pad;
        let mut rows: Vec<Vec<(&LegendEntry, String, f64)>> = vec![Vec::new()];
        let mut x = 0.0;
        for e in entries {
            let label = cut_to(area, &e.label, style, FONT, room - sample - gap);
            let width = sample + gap + text_width(area, &label, style, FONT) + px(14.0);
            if x > 0.0 && x + width > room {
                rows.push(Vec::new());
                x = 0.0;
            }
            if let Some(row) = rows.last_mut() {
                row.push((e, label, x));
            }
            x += width;
        }
        rows.retain(|r| !r.is_empty());
        let note_lines: Vec<String> = notes
            .iter()
            .filter(|n| !n.trim().is_empty())
            .flat_map(|n| wrap(area, n, style, FONT, room))
            .collect();
        let lines = rows.len() + note_lines.len();
        let strip = (lines as f64 * line_h + pad).min(0.5 * h).round();
        let (chart, legend) = area.split_vertically((h - strip) as i32);
        let mut y = line_h / 2.0;
        for row in &rows {
            for (e, label, x) in row {
                draw_swatch(&legend, e, (pad + x, y), style)?;
                draw_text(&legend, label, (pad + x + sample + gap, y), style)?;
            }
            y += line_h;
        }
        for line in &note_lines {
            draw_text(&legend, line, (pad, y), style)?;
            y += line_h;
        }
        Ok(chart)
    }
}

fn draw_item<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    entry: Option<&LegendEntry>,
    lines: &[String],
    (x, y): (f64, f64),
    style: &PlotStyle,
    line_h: f64,
) -> Result<f64, PlotError>
where
    DB::ErrorType: 'static,
{
    let indent = match entry {
        Some(e) => {
            draw_swatch(legend, e, (x, y), style)?;
            style.scale * (SAMPLE + GAP)
        }
        None => 0.0,
    };
    let mut y = y;
    for line in lines {
        draw_text(legend, line, (x + indent, y), style)?;
        y += line_h;
    }
    Ok(y)
}

fn draw_text<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (f64, f64),
    style: &PlotStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    legend.draw(&Text::new(
        text.to_string(),
        (x as i32, y as i32),
        style.font(FONT).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(())
}

/// A sample of the entry's line, `SAMPLE` CSS pixels long, its left end at (x, y).
fn draw_swatch<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    e: &LegendEntry,
    (x, y): (f64, f64),
    style: &PlotStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let (x, y) = (x as i32, y as i32);
    let len = style.px(SAMPLE) as i32;
    let line = vec![(x, y), (x + len, y)];
    let stroke = e.color.stroke_width(style.px(2.0));
    match e.swatch {
        Swatch::Line => legend.draw(&PathElement::new(line, stroke))?,
        Swatch::Marked => {
            legend.draw(&PathElement::new(line, stroke))?;
            legend.draw(&Circle::new(
                (x + len / 2, y),
                style.px(3.0),
                e.color.filled(),
            ))?;
        }
        Swatch::Dashed => legend.draw(&DashedPathElement::new(
            line,
            style.px(7.0),
            style.px(4.0),
            stroke,
        ))?,
        Swatch::Dotted => legend.draw(&DashedPathElement::new(
            line,
            style.px(2.0),
            style.px(3.0),
            stroke,
        ))?,
        Swatch::Thin => legend.draw(&PathElement::new(
            line,
            e.color.mix(0.45).stroke_width(style.px(0.8)),
        ))?,
        Swatch::Band => {
            let half = style.px(5.0) as i32;
            legend.draw(&Rectangle::new(
                [(x, y - half), (x + len, y + half)],
                e.color.mix(0.22).filled(),
            ))?;
            legend.draw(&PathElement::new(line, stroke))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::palette;
    use plotters::backend::SVGBackend;

    fn area_of(w: u32, h: u32, out: &mut String) -> DrawingArea<SVGBackend<'_>, Shift> {
        SVGBackend::with_string(out, (w, h)).into_drawing_area()
    }

    #[test]
    fn a_wide_plot_gets_its_legend_beside_and_a_narrow_one_below() {
        let style = PlotStyle::default();
        let entries = vec![
            LegendEntry::new("width m = 64", palette::BLUE, Swatch::Marked),
            LegendEntry::new("theory m^(-1/2), dashed", palette::ANALYTIC, Swatch::Dashed),
        ];
        let mut svg = String::new();
        {
            let area = area_of(900, 400, &mut svg);
            let chart = split_legend(&area, &entries, &["slope −0.51 ± 0.02"], &style).unwrap();
            let (w, h) = chart.dim_in_pixel();
            assert_eq!(h, 400, "beside: the chart keeps the full height");
            assert!(
                (594..900).contains(&w),
                "beside: at most a third of the width, got {w}"
            );
        }
        let mut svg = String::new();
        {
            let area = area_of(360, 300, &mut svg);
            let chart = split_legend(&area, &entries, &[], &style).unwrap();
            let (w, h) = chart.dim_in_pixel();
            assert_eq!(w, 360, "below: the chart keeps the full width");
            // One or two rows of 16.2 px and 8 px of padding.
            assert!((250..=277).contains(&h), "below: a legend strip, got {h}");
        }
        assert!(svg.contains("theory"), "the legend text is drawn");
    }

    #[test]
    fn long_text_is_cut_to_its_room() {
        let style = PlotStyle::default();
        let mut svg = String::new();
        let area = area_of(200, 100, &mut svg);
        let text = "angle γ between x₀ = (1, 0) and x(γ) = (cos γ, sin γ)";
        let cut = cut_to(&area, text, &style, 12.0, 150.0);
        assert!(cut.ends_with('…'), "{cut}");
        // 0.55 em a character at 12 px: at most 150 / 6.6 = 22 characters.
        assert!(cut.chars().count() <= 22, "{cut}");
        assert_eq!(cut_to(&area, "short", &style, 12.0, 150.0), "short");
    }
}
