//! Browser tests: mount the app in headless Chromium (wasm-bindgen-test), drive its
//! controls and watch the canvas. Jobs run on the page's event loop here
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

/// A fresh container in <body>, with a real width so the canvas has a layout.
fn container() -> HtmlElement {
    let document = document();
    let div: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    div.set_attribute("style", "width: 1200px").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn mount() -> HtmlElement {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <App backend=BackendKind::Inline /> },
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

fn canvas(root: &HtmlElement) -> HtmlCanvasElement {
    find(root, "#circle-panel canvas")
}

fn generation(root: &HtmlElement) -> u64 {
    canvas(root)
        .get_attribute("data-generation")
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
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
    for _ in 0..300 {
        leptos::task::tick().await;
        if cond() {
            return;
        }
        sleep(10).await;
    }
    panic!("timed out waiting for {what}");
}

/// Type `text` into an input as a user would: set its value and fire `input`.
async fn type_into(root: &HtmlElement, css: &str, text: &str) {
    let input: HtmlInputElement = find(root, css);
    input.set_value(text);
    let event = web_sys::Event::new("input").unwrap();
    input.dispatch_event(&event).unwrap();
    leptos::task::tick().await;
}

#[wasm_bindgen_test]
async fn app_mounts_with_title_sidebar_groups_and_panel() {
    let root = mount();
    leptos::task::tick().await;
    let h1: HtmlElement = find(&root, "h1");
    assert_eq!(h1.text_content().unwrap(), "NTK Lab");
    let groups: Vec<String> = {
        let list = root.query_selector_all(".sidebar .group h2").unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert_eq!(groups, ["Data", "Network"]);
    let title: HtmlElement = find(&root, "#circle-panel h2");
    assert_eq!(title.text_content().unwrap(), "Kernels on the circle");
    wait_until("the first plot", || generation(&root) >= 1).await;
    let status: HtmlElement = find(&root, "#job-status");
    assert_eq!(status.get_attribute("data-state").as_deref(), Some("done"));
}

#[wasm_bindgen_test]
async fn changing_the_depth_redraws_the_canvas() {
    let root = mount();
    wait_until("the first plot", || generation(&root) >= 1).await;
    let before = canvas(&root).to_data_url().unwrap();
    let first = generation(&root);
    type_into(&root, "#depth", "7").await;
    wait_until("a redraw", || generation(&root) > first).await;
    let after = canvas(&root).to_data_url().unwrap();
    assert_ne!(before, after, "the canvas did not change");
    let value: HtmlElement = find(&root, "label[for=depth] output");
    assert_eq!(value.text_content().unwrap(), "7");
}

#[wasm_bindgen_test]
async fn invalid_value_shows_message_and_keeps_the_plot() {
    let root = mount();
    wait_until("the first plot", || generation(&root) >= 1).await;
    let before = canvas(&root).to_data_url().unwrap();
    let first = generation(&root);
    type_into(&root, "#w-std-number", "-1").await;
    sleep(50).await;
    leptos::task::tick().await;
    let error: HtmlElement = find(&root, "#w-std-error");
    assert_eq!(
        error.text_content().unwrap(),
        "σ_w must be a number between 0 and 10"
    );
    assert_eq!(generation(&root), first, "an invalid value started a job");
    assert_eq!(canvas(&root).to_data_url().unwrap(), before);
    let status: HtmlElement = find(&root, "#job-status");
    assert_eq!(
        status.get_attribute("data-state").as_deref(),
        Some("invalid")
    );
    // Fixing the value recomputes.
    type_into(&root, "#w-std-number", "1.2").await;
    wait_until("a redraw after the fix", || generation(&root) > first).await;
    assert_eq!(error.text_content().unwrap(), "");
}

#[wasm_bindgen_test]
async fn stale_results_are_dropped() {
    let root = mount();
    wait_until("the first plot", || generation(&root) >= 1).await;
    let first = generation(&root);
    // Three changes before any job can run: the first two results are stale when they
    // arrive and must be dropped; only the newest is drawn.
    type_into(&root, "#depth", "5").await;
    type_into(&root, "#depth", "6").await;
    type_into(&root, "#depth", "8").await;
    let status: HtmlElement = find(&root, "#job-status");
    wait_until("the newest result", || {
        status.get_attribute("data-state").as_deref() == Some("done")
    })
    .await;
    let drawn = generation(&root);
    assert_eq!(drawn, first + 3, "the newest job's result is drawn");
    let dropped: u64 = status
        .get_attribute("data-dropped")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(dropped, 2, "two stale results dropped");
}

/// Pick `value` in a <select> as a user would: set it and fire `change`.
async fn choose(root: &HtmlElement, css: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = find(root, css);
    select.set_value(value);
    let event = web_sys::Event::new("change").unwrap();
    select.dispatch_event(&event).unwrap();
    leptos::task::tick().await;
}

#[wasm_bindgen_test]
async fn changing_the_activation_and_parameterization_redraws() {
    let root = mount();
    wait_until("the first plot", || generation(&root) >= 1).await;
    let mut last = canvas(&root).to_data_url().unwrap();
    for (css, value) in [
        ("#activation", "erf"),
        ("#activation", "tanh"),
        ("#parameterization", "standard"),
    ] {
        let before = generation(&root);
        choose(&root, css, value).await;
        wait_until("a redraw", || generation(&root) > before).await;
        let now = canvas(&root).to_data_url().unwrap();
        assert_ne!(now, last, "{css} = {value} did not change the canvas");
        last = now;
    }
    // α and the width are enabled only where they matter.
    let alpha: HtmlInputElement = find(&root, "#alpha-number");
    assert!(alpha.disabled(), "tanh takes no α");
    choose(&root, "#activation", "leaky_relu").await;
    assert!(!alpha.disabled(), "leaky ReLU takes α");
    let width: HtmlInputElement = find(&root, "#width-number");
    assert!(
        !width.disabled(),
        "the standard parameterization uses the width"
    );
}
