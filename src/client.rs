//! The page's side of the worker protocol. [`ComputeClient`] sends [`Request`]s and
//! hands every [`Response`] to a callback.
//!
//! - [`BackendKind::Worker`]: a real Web Worker (`worker_loader.js`, built by trunk).
//!   Requests made before the worker has posted `Ready` are held back (a worker drops
//!   messages that arrive before its wasm has loaded); only the newest is kept, since a
//!   newer job supersedes older ones anyway.
//! - [`BackendKind::Inline`]: the same handler run on the page's event loop, as a
//!   separate macrotask (`setTimeout(0)`), so responses arrive as a worker's would. Used by the browser tests (the test runner serves no worker script)
//!   and as a fallback when a worker cannot be created. The page binary is built
//!   without the `inline` feature (index.html: `data-cargo-no-default-features`), so
//!   its wasm does not carry the kernels; there the fallback answers each job with a
//!   message that the Web Worker could not be started.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

#[cfg(feature = "inline")]
use crate::compute;
use crate::protocol::{Request, Response};

/// Where jobs run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackendKind {
    /// In a Web Worker, off the main thread.
    #[default]
    Worker,
    /// On the page's own event loop, asynchronously.
    Inline,
}

/// The script trunk emits for the worker binary (`data-loader-shim`).
pub const WORKER_SCRIPT: &str = "./worker_loader.js";

type Callback = Rc<dyn Fn(Response)>;

struct WorkerState {
    worker: Worker,
    ready: bool,
    /// A job was posted and its last message (`Done` or `Failed`) has not come yet.
    busy: bool,
    pending: Option<String>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

enum Inner {
    Worker(Rc<RefCell<WorkerState>>),
    Inline(Callback),
}

/// Sends jobs to a backend and delivers the responses to a callback.
pub struct ComputeClient {
    inner: RefCell<Inner>,
    kind: BackendKind,
    callback: Callback,
    on_error: Rc<dyn Fn(String)>,
}

impl ComputeClient {
    /// Start a backend. If a worker cannot be created, falls back to inline
    /// computation and reports why through `on_error`.
    pub fn new(
        kind: BackendKind,
        on_response: impl Fn(Response) + 'static,
        on_error: impl Fn(String) + 'static,
    ) -> Self {
        let callback: Callback = Rc::new(on_response);
        let on_error: Rc<dyn Fn(String)> = Rc::new(on_error);
        if kind == BackendKind::Worker {
            match start_worker(callback.clone(), on_error.clone()) {
                Ok(state) => {
                    return ComputeClient {
                        inner: RefCell::new(Inner::Worker(state)),
                        kind,
                        callback,
                        on_error,
                    }
                }
                Err(e) => web_sys::console::warn_1(
                    &format!("NTK Lab: no Web Worker ({e}); computing on the page").into(),
                ),
            }
        }
        ComputeClient {
            inner: RefCell::new(Inner::Inline(callback.clone())),
            kind: BackendKind::Inline,
            callback,
            on_error,
        }
    }

    /// Stop the running job at once. A worker is terminated and a fresh one started
    /// (its `Ready` arrives again); inline jobs cannot be interrupted, but their
    /// results are stale by then and get dropped.
    pub fn cancel(&self) {
        let mut inner = self.inner.borrow_mut();
        if let Inner::Worker(state) = &*inner {
            state.borrow().worker.terminate();
            match start_worker(self.callback.clone(), self.on_error.clone()) {
                Ok(fresh) => *inner = Inner::Worker(fresh),
                Err(e) => {
                    (self.on_error)(format!("cannot restart the Web Worker: {e}"));
                    *inner = Inner::Inline(self.callback.clone());
                }
            }
        }
    }

    /// The backend actually in use.
    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// Send a request; its response arrives later through the callback. The latest
    /// request wins: a worker still computing an earlier job is stopped and replaced
    /// (a worker runs one job to its end before it reads the next message), and a
    /// request that waits for the worker's `Ready` replaces any waiting before it.
    pub fn send(&self, request: Request) {
        let busy = matches!(&*self.inner.borrow(), Inner::Worker(s) if s.borrow().busy);
        if busy {
            self.cancel();
        }
        match &*self.inner.borrow() {
            Inner::Worker(state) => {
                let text = match serde_json::to_string(&request) {
                    Ok(t) => t,
                    Err(e) => {
                        web_sys::console::error_1(&format!("cannot encode job: {e}").into());
                        return;
                    }
                };
                let mut s = state.borrow_mut();
                if s.ready {
                    s.busy = true;
                    if let Err(e) = s.worker.post_message(&JsValue::from_str(&text)) {
                        web_sys::console::error_2(&"NTK Lab: cannot post to worker".into(), &e);
                    }
                } else {
                    s.pending = Some(text);
                }
            }
            Inner::Inline(callback) => {
                // A macrotask, like a worker's message event: responses arrive after the
                // page's pending reactive work, in the order the requests were sent.
                let callback = callback.clone();
                let task = Closure::once_into_js(move || run_inline(request, &*callback));
                let scheduled = web_sys::window().map(|w| {
                    w.set_timeout_with_callback_and_timeout_and_arguments_0(task.unchecked_ref(), 0)
                });
                if !matches!(scheduled, Some(Ok(_))) {
                    web_sys::console::error_1(&"NTK Lab: cannot schedule a job".into());
                }
            }
        }
    }
}

/// Run a job on the page (the `inline` feature), or answer that it cannot be.
fn run_inline(request: Request, callback: &dyn Fn(Response)) {
    #[cfg(feature = "inline")]
    compute::handle(request, &mut |r| callback(r));
    #[cfg(not(feature = "inline"))]
    callback(Response::Failed {
        generation: request.generation,
        message: "this browser could not start the Web Worker that NTK Lab computes in".into(),
    });
}

impl Drop for ComputeClient {
    fn drop(&mut self) {
        if let Inner::Worker(state) = &*self.inner.borrow() {
            state.borrow().worker.terminate();
        }
    }
}

fn start_worker(
    callback: Callback,
    on_error: Rc<dyn Fn(String)>,
) -> Result<Rc<RefCell<WorkerState>>, String> {
    let worker = Worker::new(WORKER_SCRIPT).map_err(|e| format!("{e:?}"))?;
    let state = Rc::new_cyclic(|weak: &Weak<RefCell<WorkerState>>| {
        let weak = weak.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let response: Response = match serde_json::from_str(&text) {
                Ok(r) => r,
                Err(e) => {
                    web_sys::console::error_1(&format!("NTK Lab: bad worker message: {e}").into());
                    return;
                }
            };
            if let Some(state) = weak.upgrade() {
                let mut s = state.borrow_mut();
                match response {
                    Response::Done { .. } | Response::Failed { .. } => s.busy = false,
                    _ => {}
                }
            }
            if response == Response::Ready {
                if let Some(state) = weak.upgrade() {
                    let mut s = state.borrow_mut();
                    s.ready = true;
                    if let Some(pending) = s.pending.take() {
                        s.busy = true;
                        if let Err(e) = s.worker.post_message(&JsValue::from_str(&pending)) {
                            web_sys::console::error_2(&"NTK Lab: cannot post to worker".into(), &e);
                        }
                    }
                }
            }
            callback(response);
        });
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                on_error(format!("the Web Worker failed: {}", e.message()));
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        RefCell::new(WorkerState {
            worker,
            ready: false,
            busy: false,
            pending: None,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
    Ok(state)
}
