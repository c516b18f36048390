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
//!
//! **A worker that dies is replaced.** A wasm trap (a panic, or memory that cannot
//! grow) surfaces as the worker's `error` event. The client then terminates it (its wasm
//! instance is poisoned), starts a new one, and sends it the job that was in flight
//! again, under the same generation. A job that kills a worker a second time is not
//! sent a third time: it fails with a message instead, so a job that always crashes
//! cannot loop. A worker that dies before it ever posted `Ready` (its script failed to
//! load) is not restarted either: that is reported as a failure.

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

/// What happened to the worker, for the page's status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerEvent {
    /// The worker cannot run jobs (it could not be started, or died before loading).
    Failed(String),
    /// The worker died and a new one was started; `resent` is the job sent to it again.
    Restarted { reason: String, resent: Option<u64> },
}

type Callback = Rc<dyn Fn(Response)>;
type EventCallback = Rc<dyn Fn(WorkerEvent)>;

/// A job posted to the worker whose last message has not come yet.
struct InFlight {
    generation: u64,
    text: String,
    /// Workers this job has already killed.
    crashes: u32,
}

struct WorkerState {
    worker: Worker,
    ready: bool,
    in_flight: Option<InFlight>,
    pending: Option<InFlight>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl WorkerState {
    /// Post `job` now if the worker is ready, else keep it for `Ready`.
    fn post(&mut self, job: InFlight) {
        if !self.ready {
            self.pending = Some(job);
            return;
        }
        if let Err(e) = self.worker.post_message(&JsValue::from_str(&job.text)) {
            web_sys::console::error_2(&"NTK Lab: cannot post to worker".into(), &e);
        }
        self.in_flight = Some(job);
    }
}

enum Inner {
    Worker(Rc<RefCell<WorkerState>>),
    Inline(Callback),
}

struct Shared {
    inner: RefCell<Inner>,
    kind: std::cell::Cell<BackendKind>,
    callback: Callback,
    on_event: EventCallback,
}

/// Sends jobs to a backend and delivers the responses to a callback.
pub struct ComputeClient {
    shared: Rc<Shared>,
}

impl ComputeClient {
    /// Start a backend. If a worker cannot be created, falls back to inline
    /// computation and reports why through `on_event`.
    pub fn new(
        kind: BackendKind,
        on_response: impl Fn(Response) + 'static,
        on_event: impl Fn(WorkerEvent) + 'static,
    ) -> Self {
        let callback: Callback = Rc::new(on_response);
        let shared = Rc::new(Shared {
            inner: RefCell::new(Inner::Inline(callback.clone())),
            kind: std::cell::Cell::new(BackendKind::Inline),
            callback,
            on_event: Rc::new(on_event),
        });
        if kind == BackendKind::Worker {
            match start_worker(Rc::downgrade(&shared)) {
                Ok(state) => {
                    *shared.inner.borrow_mut() = Inner::Worker(state);
                    shared.kind.set(BackendKind::Worker);
                }
                Err(e) => web_sys::console::warn_1(
                    &format!("NTK Lab: no Web Worker ({e}); computing on the page").into(),
                ),
            }
        }
        ComputeClient { shared }
    }

    /// Stop the running job at once. A worker is terminated and a fresh one started
    /// (its `Ready` arrives again); inline jobs cannot be interrupted, but their
    /// results are stale by then and get dropped.
    pub fn cancel(&self) {
        replace_worker(&self.shared);
    }

    /// The backend actually in use.
    pub fn kind(&self) -> BackendKind {
        self.shared.kind.get()
    }

    /// Send a request; its response arrives later through the callback. The latest
    /// request wins: a worker still computing an earlier job is stopped and replaced
    /// (a worker runs one job to its end before it reads the next message), and a
    /// request that waits for the worker's `Ready` replaces any waiting before it.
    pub fn send(&self, request: Request) {
        let busy = matches!(&*self.shared.inner.borrow(), Inner::Worker(s) if s.borrow().in_flight.is_some());
        if busy {
            self.cancel();
        }
        match &*self.shared.inner.borrow() {
            Inner::Worker(state) => {
                let text = match serde_json::to_string(&request) {
                    Ok(t) => t,
                    Err(e) => {
                        web_sys::console::error_1(&format!("cannot encode job: {e}").into());
                        return;
                    }
                };
                state.borrow_mut().post(InFlight {
                    generation: request.generation,
                    text,
                    crashes: 0,
                });
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

/// Terminate the worker (if any) and put a fresh one in its place; returns the old
/// worker's state so that the caller can re-send its job.
fn replace_worker(shared: &Rc<Shared>) -> Option<Rc<RefCell<WorkerState>>> {
    let mut inner = shared.inner.borrow_mut();
    let Inner::Worker(old) = &*inner else {
        return None;
    };
    let old = old.clone();
    old.borrow().worker.terminate();
    match start_worker(Rc::downgrade(shared)) {
        Ok(fresh) => *inner = Inner::Worker(fresh),
        Err(e) => {
            (shared.on_event)(WorkerEvent::Failed(format!(
                "cannot restart the Web Worker: {e}"
            )));
            *inner = Inner::Inline(shared.callback.clone());
            shared.kind.set(BackendKind::Inline);
        }
    }
    Some(old)
}

/// The worker of `dead` raised an error event: it is gone. Replace it and re-send the
/// job it was computing, or report why not.
fn worker_died(shared: &Rc<Shared>, dead: &Rc<RefCell<WorkerState>>, reason: String) {
    // An error event of a worker already replaced (cancelled) changes nothing.
    let current = matches!(&*shared.inner.borrow(), Inner::Worker(s) if Rc::ptr_eq(s, dead));
    if !current {
        return;
    }
    let (ready, job) = {
        let mut d = dead.borrow_mut();
        (d.ready, d.in_flight.take().or_else(|| d.pending.take()))
    };
    if !ready {
        // It never loaded: a new one would fail the same way.
        dead.borrow().worker.terminate();
        (shared.on_event)(WorkerEvent::Failed(format!(
            "the Web Worker could not start: {reason}"
        )));
        if let Some(job) = job {
            (shared.callback)(Response::Failed {
                generation: job.generation,
                message: format!("the Web Worker could not start: {reason}"),
            });
        }
        return;
    }
    replace_worker(shared);
    match job {
        Some(mut job) if job.crashes == 0 => {
            job.crashes += 1;
            let generation = job.generation;
            if let Inner::Worker(fresh) = &*shared.inner.borrow() {
                fresh.borrow_mut().post(job);
            }
            (shared.on_event)(WorkerEvent::Restarted {
                reason,
                resent: Some(generation),
            });
        }
        Some(job) => {
            (shared.on_event)(WorkerEvent::Restarted {
                reason: reason.clone(),
                resent: None,
            });
            (shared.callback)(Response::Failed {
                generation: job.generation,
                message: format!(
                    "this job stopped the Web Worker twice ({reason}), so it was not run a \
                     third time. Try smaller settings."
                ),
            });
        }
        None => (shared.on_event)(WorkerEvent::Restarted {
            reason,
            resent: None,
        }),
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
        if let Inner::Worker(state) = &*self.shared.inner.borrow() {
            state.borrow().worker.terminate();
        }
    }
}

fn start_worker(shared: Weak<Shared>) -> Result<Rc<RefCell<WorkerState>>, String> {
    let worker = Worker::new(WORKER_SCRIPT).map_err(|e| format!("{e:?}"))?;
    let state = Rc::new_cyclic(|weak: &Weak<RefCell<WorkerState>>| {
        let this = weak.clone();
        let callback = shared.upgrade().map(|s| s.callback.clone());
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
            if let Some(state) = this.upgrade() {
                let mut s = state.borrow_mut();
                match response {
                    Response::Done { .. } | Response::Failed { .. } => s.in_flight = None,
                    Response::Ready => {
                        s.ready = true;
                        if let Some(pending) = s.pending.take() {
                            s.post(pending);
                        }
                    }
                    _ => {}
                }
            }
            if let Some(callback) = &callback {
                callback(response);
            }
        });
        let this = weak.clone();
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                // Handled here: not reported again as an uncaught error of the page.
                e.prevent_default();
                let reason = match e.message() {
                    m if m.is_empty() => "no reason given".to_string(),
                    m => m,
                };
                web_sys::console::warn_1(
                    &format!("NTK Lab: the Web Worker stopped: {reason}").into(),
                );
                if let (Some(shared), Some(dead)) = (shared.upgrade(), this.upgrade()) {
                    worker_died(&shared, &dead, reason);
                }
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        RefCell::new(WorkerState {
            worker,
            ready: false,
            in_flight: None,
            pending: None,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
    Ok(state)
}
