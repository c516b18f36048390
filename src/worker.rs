//! The Web Worker side: receive JSON requests, compute with ntk-core, post JSON back.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::compute::handle_json;
use crate::protocol::Response;

/// Install the message handler and announce readiness. Call once, from the worker.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        handle_json(&text, &mut |reply| {
            if let Err(e) = reply_scope.post_message(&JsValue::from_str(&reply)) {
                web_sys::console::error_2(&"NTK Lab worker: cannot post".into(), &e);
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = serde_json::to_string(&Response::Ready).unwrap_or_default();
    if let Err(e) = scope.post_message(&JsValue::from_str(&ready)) {
        web_sys::console::error_2(&"NTK Lab worker: cannot post ready".into(), &e);
    }
}
