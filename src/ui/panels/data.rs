//! The picture of the data, under the data controls: the inputs' first two
//! coordinates coloured by the target (the target against x for one-dimensional
//! inputs), from the job's data experiment, for every distribution and for a file.

use std::sync::Arc;

use leptos::prelude::*;
use ntk_core::experiments::DataPreview;
use ntk_plots::{draw_data, fmt3, DataPlot, Mapping};
use web_sys::HtmlCanvasElement;

use crate::canvas::draw_on_canvas;
use crate::protocol::Slot;
use crate::ui::figure::{csv_rows, shown, Figure, FigureCanvas, FigureFn};
use crate::ui::results::Results;

/// The data picture of one job.
pub struct DataFigure(pub DataPreview);

impl DataFigure {
    /// The input nearest to data point (x, y) of the plot, if any.
    fn nearest(&self, x: f64, y: f64) -> Option<usize> {
        let p = &self.0;
        let vertical = if p.x2.is_empty() { &p.y } else { &p.x2 };
        (0..p.x1.len()).min_by(|&a, &b| {
            let d = |i: usize| (p.x1[i] - x).powi(2) + (vertical[i] - y).powi(2);
            d(a).total_cmp(&d(b))
        })
    }
}

impl Figure for DataFigure {
    fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(Vec<Mapping>, f64), String> {
        let p = &self.0;
        let title = if p.y.is_empty() {
            "The inputs (this tab uses no target)"
        } else if p.x2.is_empty() {
            "The data: target against the input"
        } else {
            "The data, coloured by the target"
        };
        let plot = DataPlot {
            title,
            x1: &p.x1,
            x2: &p.x2,
            y: &p.y,
            d: p.d,
        };
        draw_on_canvas(canvas, |area, style| draw_data(area, &plot, style))
            .map(|(m, s)| (vec![m], s))
            .map_err(|e| e.to_string())
    }

    fn readout(&self, _: usize, x: f64, y: f64) -> Option<String> {
        let p = &self.0;
        let i = self.nearest(x, y)?;
        let target =
            p.y.get(i)
                .map_or(String::new(), |t| format!(", y = {}", fmt3(*t)));
        Some(if p.x2.is_empty() {
            format!("input {}: x₁ = {}{target}", i + 1, fmt3(p.x1[i]))
        } else {
            format!(
                "input {}: x₁ = {}, x₂ = {}{target}",
                i + 1,
                fmt3(p.x1[i]),
                fmt3(p.x2[i])
            )
        })
    }

    /// The columns the data has: x1, then x2 and y where present.
    fn csv(&self) -> String {
        let p = &self.0;
        let mut header = vec!["x1"];
        let mut columns = vec![&p.x1];
        for (name, column) in [("x2", &p.x2), ("y", &p.y)] {
            if !column.is_empty() {
                header.push(name);
                columns.push(column);
            }
        }
        csv_rows(
            &header.join(","),
            (0..p.x1.len()).map(|i| {
                columns
                    .iter()
                    .map(|c| c.get(i).copied().unwrap_or(f64::NAN))
                    .collect()
            }),
        )
    }
}

/// The data picture.
#[component]
pub fn DataPicture(results: RwSignal<Results>, #[prop(into)] busy: Signal<bool>) -> impl IntoView {
    let figure: FigureFn = Arc::new(move |r: &Results| {
        let (g, preview) = r.data()?;
        Some(shown(g, DataFigure(preview.clone())))
    });
    view! {
        <FigureCanvas id="data-plot" label="The inputs, coloured by the target" results=results slots=&[Slot::Data] busy=busy figure=figure aspect="4 / 3" />
    }
}
