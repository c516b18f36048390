//! The page's job runner as plain state, tested natively: which job is current, what
//! the status line says, which parts are accepted. The `App` component only feeds it
//! (jobs sent, worker messages, cancel) and shows it.

use crate::protocol::{JobTracker, Part, Response};

/// Where the current job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Starting,
    Computing {
        generation: u64,
        done: usize,
        total: usize,
        stage: String,
    },
    Done {
        generation: u64,
        ms: f64,
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
        }
    }

    /// A new job sent at time `now_ms`: its generation, which supersedes every
    /// earlier job.
    pub fn start(&mut self, now_ms: f64) -> u64 {
        let generation = self.tracker.start_job();
        self.sent_at = now_ms;
        self.status = JobStatus::Computing {
            generation,
            done: 0,
            total: 1,
            stage: "queued".into(),
        };
        generation
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
                done, total, stage, ..
            } => {
                self.status = JobStatus::Computing {
                    generation,
                    done,
                    total,
                    stage,
                }
            }
            Response::Partial { part, .. } => return Some((generation, part)),
            Response::Done { .. } => {
                self.status = JobStatus::Done {
                    generation,
                    ms: now_ms - self.sent_at,
                }
            }
            Response::Failed { message, .. } => self.status = JobStatus::Failed(message),
        }
        None
    }

    /// The worker could not run (e.g. its script failed to load).
    pub fn worker_failed(&mut self, message: String) {
        self.status = JobStatus::Failed(message);
    }

    /// Cancel the running job: every later message of it is dropped.
    pub fn cancel(&mut self) {
        self.tracker.start_job();
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

    /// How many messages of superseded jobs were dropped.
    pub fn dropped(&self) -> u64 {
        self.tracker.dropped()
    }

    /// The status line.
    pub fn text(&self) -> String {
        let running_in = self.running_in;
        match &self.status {
            JobStatus::Starting => "Starting…".into(),
            JobStatus::Computing { generation, .. } if !self.worker_ready => {
                format!("Starting the Web Worker; job {generation} is queued…")
            }
            JobStatus::Computing {
                stage, done, total, ..
            } => format!("Computing: {stage} ({done}/{total}, {running_in})"),
            JobStatus::Done { generation, ms } => {
                format!("Job {generation} done in {ms:.0} ms ({running_in}).")
            }
            JobStatus::Cancelled => "Cancelled. Change a control to compute again.".into(),
            JobStatus::Failed(message) => format!("Error: {message}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use ntk_core::experiments::{spectral_bias::Modes, Part};

    fn part() -> Part {
        Part::Modes(Modes {
            times: vec![0.0],
            modes: Vec::new(),
            width: 8,
            circle: true,
        })
    }

    #[test]
    fn a_job_goes_from_queued_to_done_and_stale_messages_are_dropped() {
        let mut r = JobRunner::new("Web Worker", false);
        assert_eq!((r.text().as_str(), r.state()), ("Starting…", "computing"));
        let first = r.start(100.0);
        assert_eq!(r.text(), "Starting the Web Worker; job 1 is queued…");
        assert_eq!(r.receive(Response::Ready, 110.0), None);
        let second = r.start(120.0);
        assert!(r.busy());
        // The first job's messages arrive late: dropped and counted.
        let late = Response::Partial {
            generation: first,
            part: part(),
        };
        assert_eq!(r.receive(late, 130.0), None);
        assert_eq!(r.dropped(), 1);
        r.receive(
            Response::Progress {
                generation: second,
                done: 2,
                total: 5,
                stage: "width 64".into(),
            },
            140.0,
        );
        assert_eq!(r.text(), "Computing: width 64 (2/5, Web Worker)");
        assert_eq!(r.progress(), (2.0, 5.0));
        let shown = r.receive(
            Response::Partial {
                generation: second,
                part: part(),
            },
            150.0,
        );
        assert_eq!(shown, Some((second, part())));
        r.receive(Response::Done { generation: second }, 420.0);
        assert_eq!(r.text(), "Job 2 done in 300 ms (Web Worker).");
        assert_eq!((r.state(), r.busy()), ("done", false));
    }

    #[test]
    fn cancel_and_failure_are_said_in_words() {
        let mut r = JobRunner::new("page", true);
        let g = r.start(0.0);
        r.cancel();
        assert_eq!(r.state(), "cancelled");
        assert!(r.text().starts_with("Cancelled."));
        // The cancelled job's messages are dropped.
        r.receive(Response::Done { generation: g }, 5.0);
        assert_eq!((r.state(), r.dropped()), ("cancelled", 1));
        let g = r.start(10.0);
        r.receive(
            Response::Failed {
                generation: g,
                message: "w_std must be ≥ 0".into(),
            },
            20.0,
        );
        assert_eq!(r.text(), "Error: w_std must be ≥ 0");
        assert_eq!(r.state(), "error");
        r.worker_failed("no worker".into());
        assert_eq!(r.text(), "Error: no worker");
    }
}
