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

/// Type `text` into an input as a user would: set its value and fire `input`.
async fn type_into(root: &HtmlElement, css: &str, text: &str) {
    let input: HtmlInputElement = find(root, css);
    input.set_value(text);
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
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
    assert_eq!(groups, ["Data", "Network", "View"]);
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
    // A checkbox: the log axes of the spectrum.
    let before = canvas(&root, "spectrum-plot").to_data_url().unwrap();
    let g = generation(&root, "spectrum-plot");
    click(&root, "#log").await;
    wait_until("log toggle", || generation(&root, "spectrum-plot") > g).await;
    assert_ne!(
        canvas(&root, "spectrum-plot").to_data_url().unwrap(),
        before
    );
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
    let werror: HtmlElement = find(&root, "#widths-error");
    assert!(werror.text_content().unwrap().starts_with("widths must be"));
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
