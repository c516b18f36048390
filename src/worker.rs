//! The Web Worker side: receive JSON tasks of the page's pool (`pool::Task`), compute
//! with ntk-core, post JSON replies back.
//!
//! Besides jobs, the worker understands [`CRASH_PANIC`] and [`CRASH_OOM`]: the e2e test
//! of the page's recovery sends them to kill the worker the two ways a worker really
//! dies (a panic, and memory that cannot grow). They harm nothing but the worker that
//! receives them, which the page then replaces (see `client`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::compute::handle_task_json;
use crate::protocol::Response;

/// The message that makes the worker panic (a wasm trap).
pub const CRASH_PANIC: &str = "ntk-lab:test-crash:panic";
/// The message that makes the worker allocate until its memory cannot grow.
pub const CRASH_OOM: &str = "ntk-lab:test-crash:oom";

/// Allocate (and touch) 64 MiB blocks until wasm memory cannot grow: the allocation
/// error aborts, which traps, as a real out-of-memory job would.
fn exhaust_memory() {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 64 << 20];
        let last = block.len() - 1;
        block[last] = blocks.len() as u8;
        blocks.push(block);
    }
}

/// Install the message handler and announce readiness. Call once, from the worker.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        match text.as_str() {
            CRASH_PANIC => panic!("the page asked this worker to crash (test of its recovery)"),
            CRASH_OOM => exhaust_memory(),
            _ => {}
        }
        handle_task_json(&text, &mut |reply| {
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
