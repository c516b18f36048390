//! The page's job runner as plain state, tested natively: which job is current, what
//! the status line says, which parts are accepted, and which finished jobs are kept so
//! that going back to a tab or a setting shows them at once. The `App` component only
//! feeds it (jobs, worker messages, cancel) and shows it.

use std::collections::VecDeque;

use crate::protocol::{JobTracker, Part, Response};

/// How many finished jobs the cache keeps (the least recently used goes first). A job's
/// parts are at most a few MB (the largest, a 600 × 600 Gram matrix pair, 5.8 MB), so
/// the cache stays below ~50 MB even when every entry is that large.
pub const CACHED_JOBS: usize = 8;

/// What to do with a new job.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Send it to the worker under this generation.
    Send(u64),
    /// It ran before: show these parts under this generation; nothing is sent.
    Cached(u64, Vec<Part>),
}

/// Where the current job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Starting,
    Computing {
        generation: u64,
        done: usize,
        total: usize,
        stage: String,
        /// Web Workers computing it at this moment.
        workers: usize,
    },
    Done {
        generation: u64,
        ms: f64,
        /// Shown from the cache, not computed again.
        cached: bool,
    },
    Cancelled,
    Failed(String),
}

/// The state of the page's jobs.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRunner {
    tracker: JobTracker,
    status: JobStatus,
    worker_ready: bool,
    sent_at: f64,
    /// Where jobs run, for the status line ("Web Worker", "page").
    running_in: &'static str,
    /// The key of the job being computed and its parts so far (the newest per slot).
    current: Option<String>,
    collected: Vec<Part>,
    /// Finished jobs by key, least recently used first.
    cache: VecDeque<(String, Vec<Part>)>,
    /// Jobs sent to the worker (cache hits are not sent).
    sent: u64,
    /// That the worker died and was replaced, shown until the next job starts.
    notice: Option<String>,
    /// The generation of the newest job that finished (computed or from the cache).
    finished: u64,
    /// The most Web Workers that computed the current job at once.
    peak_workers: usize,
}

impl JobRunner {
    /// A runner whose jobs run in `running_in`; `ready` when it accepts jobs at once
    /// (a worker first posts `Ready`).
    pub fn new(running_in: &'static str, ready: bool) -> Self {
        JobRunner {
            tracker: JobTracker::default(),
            status: JobStatus::Starting,
            worker_ready: ready,
            sent_at: 0.0,
            running_in,
            current: None,
            collected: Vec::new(),
            cache: VecDeque::new(),
            sent: 0,
            notice: None,
            finished: 0,
            peak_workers: 0,
        }
    }

    /// A new job at time `now_ms`, identified by `key` (its experiments as JSON). It
    /// gets a generation that supersedes every earlier job; a job that finished before
    /// comes from the cache.
    pub fn start(&mut self, now_ms: f64, key: String) -> Start {
        let generation = self.tracker.start_job();
        self.notice = None;
        self.sent_at = now_ms;
        self.collected.clear();
        self.current = None;
        if let Some(i) = self.cache.iter().position(|(k, _)| *k == key) {
            if let Some(entry) = self.cache.remove(i) {
                let parts = entry.1.clone();
                self.cache.push_back(entry);
                self.status = JobStatus::Done {
                    generation,
                    ms: 0.0,
                    cached: true,
                };
                self.finished = generation;
                return Start::Cached(generation, parts);
            }
        }
        self.current = Some(key);
        self.sent += 1;
        self.status = JobStatus::Computing {
            generation,
            done: 0,
            total: 1,
            stage: "queued".into(),
            workers: 0,
        };
        self.peak_workers = 0;
        Start::Send(generation)
    }

    /// Keep `part` as the newest of its slot for the cache (a plane's frames are
    /// appended: [`Part::absorb`]).
    fn collect(&mut self, part: &Part) {
        let slot = part.slot();
        match self.collected.iter_mut().find(|p| p.slot() == slot) {
            Some(p) => p.absorb(part.clone()),
            None => self.collected.push(part.clone()),
        }
    }

    /// The current job finished: cache its parts.
    fn finish(&mut self) {
        if let Some(key) = self.current.take() {
            self.cache.retain(|(k, _)| *k != key);
            self.cache
                .push_back((key, std::mem::take(&mut self.collected)));
            while self.cache.len() > CACHED_JOBS {
                self.cache.pop_front();
            }
        }
    }

    /// Whether the job of `key` finished before and is still in the cache.
    pub fn is_cached(&self, key: &str) -> bool {
        self.cache.iter().any(|(k, _)| k == key)
    }

    /// Jobs sent to the worker so far (cache hits excluded).
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// A worker message at time `now_ms`: updates the status; a part of the current
    /// job is returned to be shown. Messages of superseded jobs are dropped.
    pub fn receive(&mut self, response: Response, now_ms: f64) -> Option<(u64, Part)> {
        let Some(generation) = response.generation() else {
            self.worker_ready = true;
            return None;
        };
        if !self.tracker.accept(generation) {
            return None;
        }
        match response {
            Response::Ready => {}
            Response::Progress {
                done,
                total,
                stage,
                workers,
                ..
            } => {
                self.peak_workers = self.peak_workers.max(workers);
                self.status = JobStatus::Computing {
                    generation,
                    done,
                    total,
                    stage,
                    workers,
                }
            }
            Response::Partial { part, .. } => {
                self.collect(&part);
                return Some((generation, part));
            }
            Response::Done { .. } => {
                self.finish();
                self.finished = generation;
                self.status = JobStatus::Done {
                    generation,
                    ms: now_ms - self.sent_at,
                    cached: false,
                }
            }
            Response::Failed { message, .. } => {
                self.current = None;
                self.status = JobStatus::Failed(message)
            }
        }
        None
    }

    /// The worker could not run (e.g. its script failed to load).
    pub fn worker_failed(&mut self, message: String) {
        self.status = JobStatus::Failed(message);
    }

    /// The worker died and a new one was started (see `client`); `resent` is the job
    /// sent to it again. The status line says so until the next job starts.
    pub fn worker_restarted(&mut self, reason: &str, resent: Option<u64>) {
        self.worker_ready = false;
        self.notice = Some(match resent {
            Some(g) => format!(
                "The Web Worker stopped ({reason}); a new one was started and job {g} sent to it again."
            ),
            None => format!("The Web Worker stopped ({reason}); a new one was started."),
        });
    }

    /// The notice that the worker was replaced, if it was since the last job started.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Cancel the running job: every later message of it is dropped.
    pub fn cancel(&mut self) {
        self.tracker.start_job();
        self.current = None;
        self.status = JobStatus::Cancelled;
    }

    /// Where jobs run ("Web Worker", "page").
    pub fn running_in(&self) -> &'static str {
        self.running_in
    }

    pub fn status(&self) -> &JobStatus {
        &self.status
    }

    /// Whether a job is running.
    pub fn busy(&self) -> bool {
        matches!(self.status, JobStatus::Computing { .. })
    }

    /// The generation of the newest job (0 before the first): the plots of a finished
    /// job carry it (`data-generation`).
    pub fn latest(&self) -> u64 {
        self.tracker.latest()
    }

    /// The generation of the newest job that finished, computed or from the cache (0
    /// before the first). Every plot of the tab belongs to it: a plot whose results are
    /// older was not computed by it (those settings have no such plot) and is cleared.
    pub fn finished(&self) -> u64 {
        self.finished
    }

    /// How many messages of superseded jobs were dropped.
    pub fn dropped(&self) -> u64 {
        self.tracker.dropped()
    }

    /// The status line.
    pub fn text(&self) -> String {
        match &self.notice {
            Some(notice) => format!("{notice} {}", self.job_text()),
            None => self.job_text(),
        }
    }

    /// The status line without the notice.
    fn job_text(&self) -> String {
        match &self.status {
            JobStatus::Starting => "Starting…".into(),
            JobStatus::Computing { generation, .. } if !self.worker_ready => {
                format!("Starting the Web Worker; job {generation} is queued…")
            }
            JobStatus::Computing {
                stage,
                done,
                total,
                workers,
                ..
            } => format!(
                "Computing: {stage} ({:.0} %, {})",
                100.0 * *done as f64 / (*total).max(1) as f64,
                self.workers_text(*workers)
            ),
            JobStatus::Done {
                generation,
                cached: true,
                ..
            } => format!("Job {generation}: shown from the cache (computed before)."),
            JobStatus::Done { generation, ms, .. } => {
                format!(
                    "Job {generation} done in {ms:.0} ms ({}).",
                    self.workers_text(self.peak_workers)
                )
            }
            JobStatus::Cancelled => "Cancelled. Change a control to compute again.".into(),
            JobStatus::Failed(message) => format!("Error: {message}"),
        }
    }

    /// Where the job runs: "Web Worker" (or "page"), or "3 Web Workers" when several
    /// compute it (each on its own core).
    fn workers_text(&self, workers: usize) -> String {
        if workers > 1 {
            format!("{workers} {}s", self.running_in)
        } else {
            self.running_in.to_string()
        }
    }

    /// The status line's state, for its style.
    pub fn state(&self) -> &'static str {
        match self.status {
            JobStatus::Failed(_) => "error",
            JobStatus::Computing { .. } | JobStatus::Starting => "computing",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Done { .. } => "done",
        }
    }

    /// (done, total) of the current job, for the progress bar.
    pub fn progress(&self) -> (f64, f64) {
        match self.status {
            JobStatus::Computing { done, total, .. } => (done as f64, total.max(1) as f64),
            _ => (1.0, 1.0),
        }
    }
}
