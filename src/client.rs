//! The page's side of the worker protocol. [`ComputeClient`] sends [`Request`]s and
//! hands every [`Response`] to a callback.
//!
//! - [`BackendKind::Worker`]: a **pool of Web Workers** (`worker_loader.js`, built by
//!   trunk), one per core (`pool::pool_size`). A job is split into tasks
//!   ([`crate::pool::Schedule`]: whole experiments, or the independent units of one and
//!   then their combination); each worker that has posted `Ready` and is idle takes
//!   the next task. A worker drops messages that arrive before its wasm has loaded, so
//!   no task is posted to it before then.
//! - [`BackendKind::Inline`]: the same handler run on the page's event loop, as a
//!   separate macrotask (`setTimeout(0)`), so responses arrive as a worker's would. Used by the browser tests (the test runner serves no worker script)
//!   and as a fallback when a worker cannot be created. The page binary is built
//!   without the `inline` feature (index.html: `data-cargo-no-default-features`), so
//!   its wasm does not carry the kernels; there the fallback answers each job with a
//!   message that the Web Worker could not be started.
//!
//! **The latest request wins.** A worker reads no message until its task ends, so a new
//! job (or a cancel) terminates every busy worker and starts a fresh one in its place;
//! idle workers take the new job's tasks at once.
//!
//! **A worker that dies is replaced.** A wasm trap (a panic, or memory that cannot
//! grow) surfaces as the worker's `error` event. The client then terminates it (its wasm
//! instance is poisoned), starts a new one, and queues the task it was computing
//! again, under the same generation. A job that has killed workers twice is not
//! retried a third time: it fails with a message instead, so a job that always crashes
//! cannot loop. A worker that dies before it ever posted `Ready` (its script failed to
//! load) is not restarted either: that is reported as a failure.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

#[cfg(feature = "inline")]
use crate::compute;
use crate::pool::{Reply, Schedule, Task};
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

/// One worker of the pool.
struct Slot {
    worker: Worker,
    /// Tells this worker's events from those of the one it replaced.
    epoch: u64,
    ready: bool,
    /// The task it computes, as sent.
    task: Option<(Task, String)>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

/// The pool: its workers and the current job's schedule.
struct Pool {
    slots: Vec<Slot>,
    schedule: Option<Schedule>,
    /// Workers the current job has killed.
    crashes: u32,
    epochs: u64,
    /// Replaced workers, kept until the next job: their event handlers may be running
    /// when they are replaced (a worker's own error event replaces it).
    retired: Vec<Slot>,
}

enum Inner {
    Pool(Rc<RefCell<Pool>>),
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
    /// Start a backend: `workers` Web Workers (at least 1). If no worker can be
    /// created, falls back to inline computation.
    pub fn new(
        kind: BackendKind,
        workers: usize,
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
            let pool = Rc::new(RefCell::new(Pool {
                slots: Vec::new(),
                schedule: None,
                crashes: 0,
                epochs: 0,
                retired: Vec::new(),
            }));
            let mut started = Ok(());
            for i in 0..workers.max(1) {
                let epoch = {
                    let mut p = pool.borrow_mut();
                    p.epochs += 1;
                    p.epochs
                };
                match start_worker(Rc::downgrade(&shared), i, epoch) {
                    Ok(slot) => pool.borrow_mut().slots.push(slot),
                    Err(e) => {
                        started = Err(e);
                        break;
                    }
                }
            }
            match started {
                Ok(()) => {
                    *shared.inner.borrow_mut() = Inner::Pool(pool);
                    shared.kind.set(BackendKind::Worker);
                }
                Err(e) => {
                    for s in &pool.borrow().slots {
                        s.worker.terminate();
                    }
                    web_sys::console::warn_1(
                        &format!("NTK Lab: no Web Worker ({e}); computing on the page").into(),
                    )
                }
            }
        }
        ComputeClient { shared }
    }

    /// Stop the running job at once: every busy worker is terminated and a fresh one
    /// started in its place (its `Ready` arrives again); inline jobs cannot be
    /// interrupted, but their results are stale by then and get dropped.
    pub fn cancel(&self) {
        let pool = match &*self.shared.inner.borrow() {
            Inner::Pool(p) => p.clone(),
            Inner::Inline(_) => return,
        };
        pool.borrow_mut().schedule = None;
        replace_busy_workers(&self.shared, &pool);
    }

    /// The backend actually in use.
    pub fn kind(&self) -> BackendKind {
        self.shared.kind.get()
    }

    /// How many workers the pool has (0 inline).
    pub fn workers(&self) -> usize {
        match &*self.shared.inner.borrow() {
            Inner::Pool(p) => p.borrow().slots.len(),
            Inner::Inline(_) => 0,
        }
    }

    /// Send a request; its responses arrive later through the callback. The latest
    /// request wins: workers still computing an earlier job are stopped and replaced.
    pub fn send(&self, request: Request) {
        if let Some(pool) = pool_of(&self.shared) {
            pool.borrow_mut().retired.clear();
        }
        self.cancel();
        let pool = match &*self.shared.inner.borrow() {
            Inner::Pool(p) => p.clone(),
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
                return;
            }
        };
        {
            let mut p = pool.borrow_mut();
            p.schedule = Some(Schedule::new(request));
            p.crashes = 0;
        }
        dispatch(&pool);
    }
}

/// Hand the next tasks to every ready, idle worker.
fn dispatch(pool: &Rc<RefCell<Pool>>) {
    let mut p = pool.borrow_mut();
    let p = &mut *p;
    let Some(schedule) = p.schedule.as_mut() else {
        return;
    };
    for slot in p.slots.iter_mut().filter(|s| s.ready && s.task.is_none()) {
        let Some(task) = schedule.next_task() else {
            break;
        };
        let text = match serde_json::to_string(&task) {
            Ok(t) => t,
            Err(e) => {
                web_sys::console::error_1(&format!("NTK Lab: cannot encode a task: {e}").into());
                continue;
            }
        };
        if let Err(e) = slot.worker.post_message(&JsValue::from_str(&text)) {
            web_sys::console::error_2(&"NTK Lab: cannot post to worker".into(), &e);
        }
        slot.task = Some((task, text));
    }
}

/// Terminate worker `i` and start a fresh one in its place; returns the task it was
/// computing. If no worker can be started, the page falls back to computing inline.
fn replace_worker(shared: &Rc<Shared>, pool: &Rc<RefCell<Pool>>, i: usize) -> Option<Task> {
    let epoch = {
        let mut p = pool.borrow_mut();
        p.epochs += 1;
        p.epochs
    };
    let old_task = {
        let mut p = pool.borrow_mut();
        let slot = p.slots.get_mut(i)?;
        slot.worker.terminate();
        slot.ready = false;
        slot.task.take().map(|(t, _)| t)
    };
    match start_worker(Rc::downgrade(shared), i, epoch) {
        Ok(fresh) => {
            let mut p = pool.borrow_mut();
            let old = std::mem::replace(&mut p.slots[i], fresh);
            p.retired.push(old);
        }
        Err(e) => {
            (shared.on_event)(WorkerEvent::Failed(format!(
                "cannot restart the Web Worker: {e}"
            )));
            *shared.inner.borrow_mut() = Inner::Inline(shared.callback.clone());
            shared.kind.set(BackendKind::Inline);
        }
    }
    old_task
}

/// Replace every worker that is computing a task: what it computes is no longer wanted.
fn replace_busy_workers(shared: &Rc<Shared>, pool: &Rc<RefCell<Pool>>) {
    let busy: Vec<usize> = {
        let p = pool.borrow();
        (0..p.slots.len())
            .filter(|&j| p.slots[j].task.is_some())
            .collect()
    };
    for j in busy {
        replace_worker(shared, pool, j);
    }
}

/// A message of worker `i` (of `epoch`).
fn on_reply(shared: &Rc<Shared>, pool: &Rc<RefCell<Pool>>, i: usize, epoch: u64, reply: Reply) {
    let responses = {
        let mut p = pool.borrow_mut();
        let p = &mut *p;
        let Some(slot) = p.slots.get_mut(i).filter(|s| s.epoch == epoch) else {
            return;
        };
        match &reply {
            Reply::Ready => slot.ready = true,
            Reply::Done { generation, task }
            | Reply::Failed {
                generation, task, ..
            } if slot
                .task
                .as_ref()
                .is_some_and(|(t, _)| t.generation == *generation && t.id == *task) =>
            {
                slot.task = None;
            }
            _ => {}
        }
        let busy = p.slots.iter().filter(|s| s.task.is_some()).count();
        match (&reply, p.schedule.as_mut()) {
            (Reply::Ready, _) => vec![Response::Ready],
            (_, Some(schedule)) => schedule.on_reply(reply, busy.max(1)),
            (_, None) => Vec::new(),
        }
    };
    // A failed job: whatever the other workers compute for it is stale.
    if responses
        .iter()
        .any(|r| matches!(r, Response::Failed { .. }))
    {
        replace_busy_workers(shared, pool);
    }
    dispatch(pool);
    for r in responses {
        (shared.callback)(r);
    }
}

/// Worker `i` (of `epoch`) raised an error event: it is gone. Replace it and queue the
/// task it was computing again, or report why not.
fn worker_died(
    shared: &Rc<Shared>,
    pool: &Rc<RefCell<Pool>>,
    i: usize,
    epoch: u64,
    reason: String,
) {
    let (ready, generation) = {
        let p = pool.borrow();
        let Some(slot) = p.slots.get(i).filter(|s| s.epoch == epoch) else {
            // An error event of a worker already replaced changes nothing.
            return;
        };
        (slot.ready, p.schedule.as_ref().map(Schedule::generation))
    };
    if !ready {
        // It never loaded: a new one would fail the same way.
        pool.borrow().slots[i].worker.terminate();
        pool.borrow_mut().schedule = None;
        (shared.on_event)(WorkerEvent::Failed(format!(
            "the Web Worker could not start: {reason}"
        )));
        if let Some(generation) = generation {
            (shared.callback)(Response::Failed {
                generation,
                message: format!("the Web Worker could not start: {reason}"),
            });
        }
        return;
    }
    let task = replace_worker(shared, pool, i);
    let crashes = {
        let mut p = pool.borrow_mut();
        if task.is_some() {
            p.crashes += 1;
        }
        p.crashes
    };
    match task {
        Some(task) if crashes < 2 => {
            let generation = task.generation;
            if let Some(schedule) = pool.borrow_mut().schedule.as_mut() {
                schedule.retry(task);
            }
            dispatch(pool);
            (shared.on_event)(WorkerEvent::Restarted {
                reason,
                resent: Some(generation),
            });
        }
        Some(task) => {
            pool.borrow_mut().schedule = None;
            replace_busy_workers(shared, pool);
            (shared.on_event)(WorkerEvent::Restarted {
                reason: reason.clone(),
                resent: None,
            });
            (shared.callback)(Response::Failed {
                generation: task.generation,
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
        if let Inner::Pool(pool) = &*self.shared.inner.borrow() {
            for s in &pool.borrow().slots {
                s.worker.terminate();
            }
        }
    }
}

/// The pool of `shared`, if it computes in workers.
fn pool_of(shared: &Shared) -> Option<Rc<RefCell<Pool>>> {
    match &*shared.inner.borrow() {
        Inner::Pool(p) => Some(p.clone()),
        Inner::Inline(_) => None,
    }
}

fn start_worker(shared: Weak<Shared>, i: usize, epoch: u64) -> Result<Slot, String> {
    let worker = Worker::new(WORKER_SCRIPT).map_err(|e| format!("{e:?}"))?;
    let weak = shared.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        let reply: Reply = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                web_sys::console::error_1(&format!("NTK Lab: bad worker message: {e}").into());
                return;
            }
        };
        if let Some(shared) = weak.upgrade() {
            if let Some(pool) = pool_of(&shared) {
                on_reply(&shared, &pool, i, epoch, reply);
            }
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        // Handled here: not reported again as an uncaught error of the page.
        e.prevent_default();
        let reason = match e.message() {
            m if m.is_empty() => "no reason given".to_string(),
            m => m,
        };
        web_sys::console::warn_1(&format!("NTK Lab: the Web Worker stopped: {reason}").into());
        if let Some(shared) = shared.upgrade() {
            if let Some(pool) = pool_of(&shared) {
                worker_died(&shared, &pool, i, epoch, reason);
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Slot {
        worker,
        epoch,
        ready: false,
        task: None,
        _on_message: on_message,
        _on_error: on_error,
    })
}
