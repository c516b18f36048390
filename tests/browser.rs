//! Browser tests: mount the app in headless Chromium (wasm-bindgen-test), drive its
//! controls and watch the canvases. Jobs run on the page's event loop here
//! (`BackendKind::Inline`): the test runner serves no worker script. The real Web
//! Worker is checked end to end on the built page by `tests/e2e/check_page.py`.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use ntk_lab::ui::App;
use ntk_lab::BackendKind;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlCanvasElement, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Small, fast settings for tests, through the URL hash the app reads at mount.
const SMALL: &str = "#dist=circle&n=24&depth=3&widths=16,%2032&seeds=2&points=41";

fn set_hash(hash: &str) {
    let w = window();
    w.history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash))
        .unwrap();
}

/// A fresh container in <body>, with a real width so the canvases have a layout.
fn container() -> HtmlElement {
    let document = document();
    let div: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    div.set_attribute("style", "width: 1200px").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn mount_with(hash: &str) -> HtmlElement {
    set_hash(hash);
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <App backend=BackendKind::Inline debounce_ms=0 /> },
    )
    .forget();
    root
}

fn find<T: JsCast>(root: &HtmlElement, css: &str) -> T {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no element {css}"))
        .unchecked_into()
}

fn canvas(root: &HtmlElement, id: &str) -> HtmlCanvasElement {
    find(root, &format!("#{id}"))
}

fn generation(root: &HtmlElement, id: &str) -> u64 {
    canvas(root, id)
        .get_attribute("data-generation")
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
}

fn state(root: &HtmlElement) -> String {
    find::<HtmlElement>(root, "#job-status")
        .get_attribute("data-state")
        .unwrap_or_default()
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..1000 {
        leptos::task::tick().await;
        if cond() {
            return;
        }
        sleep(10).await;
    }
    panic!("timed out waiting for {what}");
}

async fn all_drawn(root: &HtmlElement, at_least: u64) {
    for id in [
        "circle-plot",
        "heatmap-plot",
        "spectrum-plot",
        "eigenvector-plot",
    ] {
        wait_until(id, || generation(root, id) >= at_least).await;
    }
}

/// Type `text` into an input as a user would: set its value, fire `input`, then
/// commit it as Enter or leaving the box does (`change`).
async fn type_into(root: &HtmlElement, css: &str, text: &str) {
    let input: HtmlInputElement = find(root, css);
    input.set_value(text);
    for event in ["input", "change"] {
        input
            .dispatch_event(&web_sys::Event::new(event).unwrap())
            .unwrap();
    }
    leptos::task::tick().await;
}

/// Pick `value` in a <select> or toggle a checkbox, as a user would.
async fn choose(root: &HtmlElement, css: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = find(root, css);
    select.set_value(value);
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    leptos::task::tick().await;
}

async fn click(root: &HtmlElement, css: &str) {
    let el: HtmlElement = find(root, css);
    el.click();
    leptos::task::tick().await;
}

#[wasm_bindgen_test]
async fn app_mounts_with_groups_panels_and_four_plots() {
    let root = mount_with(SMALL);
    leptos::task::tick().await;
    let h1: HtmlElement = find(&root, "h1");
    assert_eq!(h1.text_content().unwrap(), "NTK Lab");
    let groups: Vec<String> = {
        let list = root.query_selector_all(".sidebar .group h2").unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert_eq!(groups, ["Data", "Network", "Target & training", "View"]);
    all_drawn(&root, 1).await;
    wait_until("done", || state(&root) == "done").await;
    // Every plot has a labelled canvas, PNG and CSV buttons.
    for id in [
        "circle-plot",
        "heatmap-plot",
        "spectrum-plot",
        "eigenvector-plot",
    ] {
        assert!(canvas(&root, id).get_attribute("aria-label").is_some());
        find::<HtmlElement>(&root, &format!("#{id}-png"));
        find::<HtmlElement>(&root, &format!("#{id}-csv"));
    }
    // The canvases keep the container's width however often they draw, with no
    // stylesheet on this page: the backing store is drawn at 2× the box, so a box
    // sized by its content grew with every draw (and the page froze at 2²⁵ px).
    sleep(300).await;
    for id in ["circle-plot", "spectrum-plot"] {
        let c = canvas(&root, id);
        assert!(
            c.client_width() > 0 && c.client_width() <= 1200,
            "{id}: box {} px wide in a 1200 px container",
            c.client_width()
        );
        assert!(
            c.width() <= 2 * 1200 + 1,
            "{id}: backing store {} px",
            c.width()
        );
    }
}

#[wasm_bindgen_test]
async fn each_kind_of_control_redraws_the_affected_canvas() {
    let root = mount_with(SMALL);
    all_drawn(&root, 1).await;
    // (control, value, canvas that must change)
    let steps: [(&str, &str, &str, bool); 7] = [
        ("#depth", "5", "circle-plot", false),
        ("#w-number", "1.2", "spectrum-plot", false),
        ("#act", "erf", "circle-plot", true),
        ("#kernel", "nngp", "heatmap-plot", true),
        ("#dist", "gaussian", "eigenvector-plot", true),
        ("#n-number", "30", "heatmap-plot", false),
        ("#widths", "8, 64", "circle-plot", false),
    ];
    for (css, value, id, select) in steps {
        let before = canvas(&root, id).to_data_url().unwrap();
        let g = generation(&root, id);
        if select {
            choose(&root, css, value).await;
        } else {
            type_into(&root, css, value).await;
        }
        wait_until(&format!("{css} = {value}"), || generation(&root, id) > g).await;
        let c = canvas(&root, id);
        let errs: Vec<String> = {
            let list = root.query_selector_all(".panel-error").unwrap();
            (0..list.length())
                .map(|i| list.item(i).unwrap().text_content().unwrap())
                .collect()
        };
        assert_ne!(
            c.to_data_url().unwrap(),
            before,
            "{css} = {value}: {id} unchanged ({}×{}, client {}×{}, errors {errs:?})",
            c.width(),
            c.height(),
            c.client_width(),
            c.client_height()
        );
    }
    // A checkbox: the log axes of the spectrum. A view-only change redraws from the
    // results it has, with no new job (the generation stays).
    wait_until("done", || state(&root) == "done").await;
    let before = canvas(&root, "spectrum-plot").to_data_url().unwrap();
    let g = generation(&root, "spectrum-plot");
    click(&root, "#log").await;
    wait_until("log toggle", || {
        canvas(&root, "spectrum-plot").to_data_url().unwrap() != before
    })
    .await;
    sleep(50).await;
    assert_eq!(
        generation(&root, "spectrum-plot"),
        g,
        "log axes started a job"
    );
}

/// Wait until every canvas in `ids` shows a result of generation ≥ `at_least`.
async fn drawn(root: &HtmlElement, ids: &[&str], at_least: u64) {
    for id in ids {
        wait_until(id, || generation(root, id) >= at_least).await;
    }
}

fn text(root: &HtmlElement, css: &str) -> String {
    find::<HtmlElement>(root, css)
        .text_content()
        .unwrap_or_default()
}

fn panel_errors(root: &HtmlElement) -> Vec<String> {
    let list = root.query_selector_all(".panel-error").unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap())
        .filter(|t| !t.is_empty())
        .collect()
}

const CONVERGENCE: &str =
    "#view=convergence&dist=gaussian&d=3&n=8&depth=2&widths=16,%2064,%20256&seeds=2";

#[wasm_bindgen_test]
async fn the_convergence_panel_draws_and_reacts_to_its_controls() {
    let root = mount_with(CONVERGENCE);
    drawn(&root, &["convergence-plot"], 1).await;
    wait_until("done", || state(&root) == "done").await;
    assert!(panel_errors(&root).is_empty(), "{:?}", panel_errors(&root));
    assert!(
        root.query_selector("#circle-plot").unwrap().is_none(),
        "one view at a time"
    );
    // The distance shown is view-only: a redraw, no new job.
    let g = generation(&root, "convergence-plot");
    let before = canvas(&root, "convergence-plot").to_data_url().unwrap();
    choose(&root, "#metric", "max").await;
    wait_until("max-entry distance", || {
        canvas(&root, "convergence-plot").to_data_url().unwrap() != before
    })
    .await;
    assert_eq!(generation(&root, "convergence-plot"), g);
    // A network control recomputes.
    type_into(&root, "#depth-number", "1").await;
    drawn(&root, &["convergence-plot"], g + 1).await;
    // Fewer than 3 widths cannot be fitted: said in words, no job.
    type_into(&root, "#widths", "16, 64").await;
    wait_until("invalid", || state(&root) == "invalid").await;
    assert!(text(&root, "#job-status").contains("at least 3 widths"));
}

const TRAINING: &str = "#view=training&dist=circle&n=12&depth=1&widths=16,%20128&steps=30&snaps=0,%2030&ntest=20&lr=0.5";

#[wasm_bindgen_test]
async fn the_training_and_spectral_bias_panels_draw_and_warn_above_the_critical_rate() {
    let root = mount_with(TRAINING);
    drawn(&root, &["loss-plot", "drift-plot", "modes-plot"], 1).await;
    wait_until("done", || state(&root) == "done").await;
    assert!(panel_errors(&root).is_empty(), "{:?}", panel_errors(&root));
    assert!(text(&root, ".critical").contains("Critical learning rate"));
    assert!(text(&root, ".warnings").is_empty());
    // The learning rate recomputes every plot.
    let g = generation(&root, "loss-plot");
    type_into(&root, "#lr-number", "0.8").await;
    drawn(&root, &["loss-plot", "drift-plot", "modes-plot"], g + 1).await;
    // Above the critical learning rate: a warning with the critical value, not NaN.
    type_into(&root, "#lr-number", "60").await;
    wait_until("the warning", || {
        text(&root, ".warnings").contains("critical learning rate")
    })
    .await;
    wait_until("done", || state(&root) == "done").await;
    assert!(!text(&root, ".warnings").contains("NaN"));
}

const GENERALIZATION: &str = "#view=generalization&dist=sphere&d=3&n=24&depth=1&ntest=20&degrees=1";

#[wasm_bindgen_test]
async fn the_generalization_panel_draws_and_reacts_to_the_target() {
    let root = mount_with(GENERALIZATION);
    drawn(&root, &["bound-plot", "sensitivity-plot"], 1).await;
    wait_until("done", || state(&root) == "done").await;
    assert!(panel_errors(&root).is_empty(), "{:?}", panel_errors(&root));
    let g = generation(&root, "bound-plot");
    let before = canvas(&root, "bound-plot").to_data_url().unwrap();
    choose(&root, "#target", "random").await;
    drawn(&root, &["bound-plot", "sensitivity-plot"], g + 1).await;
    assert_ne!(canvas(&root, "bound-plot").to_data_url().unwrap(), before);
}

const CNN: &str =
    "#view=generalization&arch=cnn1&dist=bumps&d=8&n=24&depth=1&ntest=20&target=autocorr";

/// The architecture control: a CNN's kernels drive the generalization panel, the
/// comparison of architectures is drawn, the formulas show the convolution; back to
/// the MLP, the comparison and the convolution go.
#[wasm_bindgen_test]
async fn the_architecture_control_drives_the_panels_and_the_formulas() {
    let root = mount_with(CNN);
    drawn(
        &root,
        &[
            "bound-plot",
            "sensitivity-plot",
            "capacity-plot",
            "architectures-plot",
        ],
        1,
    )
    .await;
    wait_until("done", || state(&root) == "done").await;
    assert!(panel_errors(&root).is_empty(), "{:?}", panel_errors(&root));
    let formulas: HtmlElement = find(&root, "#formulas-panel");
    let text = formulas.text_content().unwrap();
    assert!(text.contains("Convolution, filter 3"), "{text}");
    assert!(text.contains("Global average pooling"), "{text}");
    assert!(text.contains("Cost of the analytic kernels"), "{text}");
    let g = generation(&root, "bound-plot");
    choose(&root, "#arch", "mlp").await;
    drawn(&root, &["bound-plot"], g + 1).await;
    wait_until("the comparison gone", || {
        root.query_selector("#architectures-plot")
            .unwrap()
            .is_none()
    })
    .await;
    assert!(!formulas.text_content().unwrap().contains("Convolution"));
}

#[wasm_bindgen_test]
async fn a_preset_sets_the_fields_shows_its_text_and_goes_into_the_url() {
    let root = mount_with(SMALL);
    leptos::task::tick().await;
    choose(&root, "#preset", "lazy").await;
    leptos::task::tick().await;
    let depth: HtmlInputElement = find(&root, "#depth-number");
    assert_eq!(depth.value(), "1");
    let widths: HtmlInputElement = find(&root, "#widths");
    assert_eq!(widths.value(), "64, 256, 1024, 4096");
    let tab: HtmlElement = find(&root, "#tab-training");
    assert_eq!(tab.get_attribute("aria-selected").as_deref(), Some("true"));
    let box_text = text(&root, "#preset-box");
    assert!(box_text.contains("Lee et al. 2019"), "{box_text}");
    wait_until("the URL", || {
        window().location().hash().unwrap().contains("preset=lazy")
    })
    .await;
    // Changing a field keeps the preset's text and says it was changed; an invalid
    // value (snapshots beyond the last step) keeps the view and its panels.
    type_into(&root, "#steps-number", "40").await;
    wait_until("invalid", || state(&root) == "invalid").await;
    find::<HtmlElement>(&root, "#training-panel");
    type_into(&root, "#steps-number", "500").await;
    wait_until("modified note", || {
        text(&root, ".preset-modified").contains("changed")
    })
    .await;
    drawn(&root, &["loss-plot"], 1).await;
}

#[wasm_bindgen_test]
async fn teacher_mode_hides_the_listed_controls_and_groups() {
    let hidden = |root: &HtmlElement, css: &str| {
        let el: web_sys::Element = find(root, css);
        window()
            .get_computed_style(&el)
            .unwrap()
            .unwrap()
            .get_property_value("display")
            .unwrap()
            == "none"
    };
    let root = mount_with(&format!("{SMALL}&hide=data,%20depth"));
    leptos::task::tick().await;
    assert!(hidden(&root, "#group-data-section"));
    assert!(hidden(&root, ".control:has(#depth)"));
    assert!(!hidden(&root, ".control:has(#act)"));
    assert!(!hidden(&root, "#group-network-section"));
    let all = mount_with(&format!("{SMALL}&hide=all"));
    leptos::task::tick().await;
    assert!(hidden(&all, ".sidebar"));
    assert!(hidden(&all, "#preset-menu"));
    // The panels still draw.
    all_drawn(&all, 1).await;
}

#[wasm_bindgen_test]
async fn invalid_value_shows_message_and_keeps_the_plots() {
    let root = mount_with(SMALL);
    all_drawn(&root, 1).await;
    wait_until("done", || state(&root) == "done").await;
    let before = canvas(&root, "circle-plot").to_data_url().unwrap();
    let first = generation(&root, "circle-plot");
    type_into(&root, "#w-number", "-1").await;
    type_into(&root, "#widths", "64, 0").await;
    sleep(50).await;
    leptos::task::tick().await;
    let error: HtmlElement = find(&root, "#w-error");
    assert_eq!(
        error.text_content().unwrap(),
        "σ_w must be a number between 0 and 10"
    );
    assert!(text(&root, "#widths-error").starts_with("widths must be"));
    assert_eq!(
        generation(&root, "circle-plot"),
        first,
        "an invalid value started a job"
    );
    assert_eq!(canvas(&root, "circle-plot").to_data_url().unwrap(), before);
    assert_eq!(state(&root), "invalid");
    type_into(&root, "#w-number", "1.2").await;
    type_into(&root, "#widths", "16").await;
    wait_until("a redraw after the fix", || {
        generation(&root, "circle-plot") > first
    })
    .await;
    assert_eq!(error.text_content().unwrap(), "");
}

/// Typing changes only the box (its error shows at once); Enter or leaving the box
/// computes. Typing "32, 4096" must not plot the half-typed width 409.
#[wasm_bindgen_test]
async fn a_text_field_computes_on_enter_not_on_each_keystroke() {
    let root = mount_with(SMALL);
    all_drawn(&root, 1).await;
    wait_until("done", || state(&root) == "done").await;
    let first = generation(&root, "circle-plot");
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    let input: HtmlInputElement = find(&root, "#widths");
    for typed in ["16, 4", "16, 40", "16, 0"] {
        input.set_value(typed);
        input
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        leptos::task::tick().await;
    }
    sleep(400).await;
    assert!(text(&root, "#widths-error").starts_with("widths must be"));
    assert_eq!(
        generation(&root, "circle-plot"),
        first,
        "a keystroke computed"
    );
    assert_eq!(web_sys::window().unwrap().location().hash().unwrap(), hash);
    assert_eq!(
        state(&root),
        "done",
        "an uncommitted draft marks the page invalid"
    );
    type_into(&root, "#widths", "16, 48").await;
    wait_until("a redraw after Enter", || {
        generation(&root, "circle-plot") > first
    })
    .await;
    assert!(web_sys::window()
        .unwrap()
        .location()
        .hash()
        .unwrap()
        .contains("widths=16%2C+48"));
}

#[wasm_bindgen_test]
async fn stale_results_are_dropped_and_cancel_stops_a_job() {
    let root = mount_with(SMALL);
    all_drawn(&root, 1).await;
    let first = generation(&root, "circle-plot");
    // Three changes before any job can run: all messages of the first two are stale
    // when they arrive and are dropped; only the newest job is drawn.
    type_into(&root, "#depth", "4").await;
    type_into(&root, "#depth", "5").await;
    type_into(&root, "#depth", "6").await;
    wait_until("the newest result", || state(&root) == "done").await;
    all_drawn(&root, first + 3).await;
    assert_eq!(generation(&root, "circle-plot"), first + 3);
    let status: HtmlElement = find(&root, "#job-status");
    let dropped: u64 = status
        .get_attribute("data-dropped")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        dropped >= 2 * 4,
        "every message of two jobs dropped, got {dropped}"
    );
    // Cancel right after a change: the job's results never reach the plots.
    let g = generation(&root, "circle-plot");
    type_into(&root, "#depth", "2").await;
    click(&root, "#cancel-job").await;
    assert_eq!(state(&root), "cancelled");
    sleep(300).await;
    leptos::task::tick().await;
    assert_eq!(
        generation(&root, "circle-plot"),
        g,
        "a cancelled job's result was drawn"
    );
}

#[wasm_bindgen_test]
async fn the_url_round_trips_the_state() {
    let root = mount_with(SMALL);
    all_drawn(&root, 1).await;
    type_into(&root, "#depth", "7").await;
    choose(&root, "#act", "tanh").await;
    wait_until("the URL", || {
        window().location().hash().unwrap().contains("depth=7")
    })
    .await;
    let hash = window().location().hash().unwrap();
    assert!(hash.contains("act=tanh"), "{hash}");
    // A second app mounted from this URL shows the same state.
    let again = mount_with(&hash);
    leptos::task::tick().await;
    let depth: HtmlInputElement = find(&again, "#depth-number");
    assert_eq!(depth.value(), "7");
    let act: web_sys::HtmlSelectElement = find(&again, "#act");
    assert_eq!(act.value(), "tanh");
    // A hand-edited link falls back field by field, with a notice.
    let edited = mount_with("#depth=zzz&n=30&bogus=1");
    leptos::task::tick().await;
    let depth: HtmlInputElement = find(&edited, "#depth-number");
    assert_eq!(depth.value(), "3");
    let n: HtmlInputElement = find(&edited, "#n-number");
    assert_eq!(n.value(), "30");
    let notices = edited.query_selector_all(".notice").unwrap();
    assert_eq!(notices.length(), 2);
}

#[wasm_bindgen_test]
async fn the_controls_button_toggles_the_sidebar() {
    let root = mount_with(SMALL);
    leptos::task::tick().await;
    let button: HtmlElement = find(&root, "#toggle-controls");
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    button.click();
    leptos::task::tick().await;
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    let app: HtmlElement = find(&root, ".app");
    assert!(app.class_list().contains("controls-open"));
}

#[wasm_bindgen_test]
async fn the_formulas_panel_follows_the_network() {
    let root = mount_with(SMALL);
    leptos::task::tick().await;
    let panel: HtmlElement = find(&root, "#formulas-panel");
    assert!(panel.text_content().unwrap().contains("arc-cosine kernel"));
    choose(&root, "#act", "erf").await;
    choose(&root, "#param", "standard").await;
    leptos::task::tick().await;
    let text = panel.text_content().unwrap();
    assert!(text.contains("Williams 1997"), "{text}");
    assert!(text.contains("n_in · K"), "{text}");
    assert!(text.contains("arXiv:1806.07572"));
}

/// Put a file named `name` with `text` into the file input, as a user would.
async fn upload_file(root: &HtmlElement, name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let file = web_sys::File::new_with_str_sequence(&parts, name).unwrap();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();
    let input: HtmlInputElement = find(root, "#upload-file");
    input.set_files(transfer.files().as_ref());
    input
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    leptos::task::tick().await;
}

#[wasm_bindgen_test]
async fn an_uploaded_csv_is_checked_and_then_drives_every_panel() {
    let root = mount_with(SMALL);
    all_drawn(&root, 1).await;
    wait_until("done", || state(&root) == "done").await;
    // A bad file: a message with the line, and nothing changes.
    upload_file(&root, "bad.csv", "x1,x2\n1,2\n3,oops\n").await;
    wait_until("the error", || {
        text(&root, "#upload-status").contains("line 3")
    })
    .await;
    let dist: web_sys::HtmlSelectElement = find(&root, "#dist");
    assert_eq!(dist.value(), "circle");
    // A 9 MB file is refused before it is read; its name is shown as text, not markup.
    upload_file(&root, "<b>huge</b>.csv", &"1,2\n".repeat(2_250_000)).await;
    wait_until("the size refusal", || {
        text(&root, "#upload-status").contains("up to 8 MB")
    })
    .await;
    assert!(text(&root, "#upload-status").contains("<b>huge</b>.csv"));
    assert_eq!(dist.value(), "circle");
    // A good file: 30 points in the plane with a target column.
    let mut csv = String::from("x1,x2,y\n");
    for i in 0..30 {
        let g = i as f64 * 0.2;
        csv.push_str(&format!("{},{},{}\n", g.cos(), g.sin(), (2.0 * g).cos()));
    }
    let g = generation(&root, "heatmap-plot");
    upload_file(&root, "mine.csv", &csv).await;
    wait_until("loaded", || {
        text(&root, "#upload-status").contains("30 points in d = 2")
    })
    .await;
    assert_eq!(dist.value(), "upload");
    all_drawn(&root, g + 1).await;
    wait_until("done", || state(&root) == "done").await;
    assert!(panel_errors(&root).is_empty(), "{:?}", panel_errors(&root));
    // The other panels run on it too (the convergence fit needs 3 widths).
    type_into(&root, "#widths", "16, 32, 64").await;
    for (tab, ids) in [
        ("#tab-convergence", &["convergence-plot"][..]),
        ("#tab-training", &["loss-plot", "drift-plot"][..]),
        (
            "#tab-generalization",
            &["bound-plot", "sensitivity-plot"][..],
        ),
    ] {
        click(&root, tab).await;
        leptos::task::tick().await;
        drawn(&root, ids, 1).await;
        wait_until("done", || state(&root) == "done").await;
        assert!(
            panel_errors(&root).is_empty(),
            "{tab}: {:?}",
            panel_errors(&root)
        );
    }
}
