//! The typed messages between the page and the Web Worker, sent as JSON strings.
//!
//! The page sends a [`Request`] (a generation number and the experiments to run); the worker first
//! posts [`Response::Ready`] once its wasm has loaded, then, per request, any number of
//! [`Response::Progress`] and [`Response::Partial`] messages (results stream in as
//! they are computed, e.g. each width as it finishes) and finally one
//! [`Response::Done`] or [`Response::Failed`], all carrying the request's generation.

use ntk_core::experiments::Experiment;
pub use ntk_core::experiments::{Part, Slot};
use serde::{Deserialize, Serialize};

/// A job for the worker: the experiments of the page's view, run in order, tagged with
/// the page's generation counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Increases by one with every job the page sends.
    pub generation: u64,
    /// What to compute (the core's experiments, with their parameters).
    pub experiments: Vec<Experiment>,
}

/// A message from the worker. Each lives only from its computation to its JSON
/// encoding (or, inline, to its delivery), so the size of the `Partial` variant
/// costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The worker's wasm is loaded; jobs posted from now on are received.
    Ready,
    /// `done` of `total` units of the job of `generation` are finished.
    Progress {
        generation: u64,
        done: usize,
        total: usize,
        stage: String,
        /// How many Web Workers (cores) are computing the job at this moment.
        #[serde(default = "one")]
        workers: usize,
    },
    /// A result piece of the job of `generation`.
    Partial { generation: u64, part: Part },
    /// The job of `generation` finished.
    Done { generation: u64 },
    /// The job of `generation` failed with a readable message.
    Failed { generation: u64, message: String },
}

impl Response {
    /// The generation a job message belongs to (`None` for `Ready`).
    pub fn generation(&self) -> Option<u64> {
        match self {
            Response::Ready => None,
            Response::Progress { generation, .. }
            | Response::Partial { generation, .. }
            | Response::Done { generation }
            | Response::Failed { generation, .. } => Some(*generation),
        }
    }
}

fn one() -> usize {
    1
}

/// Tracks the newest job sent, so that messages of superseded jobs are dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JobTracker {
    latest: u64,
    dropped: u64,
}

impl JobTracker {
    /// The generation for a new job; it supersedes every earlier one.
    pub fn start_job(&mut self) -> u64 {
        self.latest += 1;
        self.latest
    }

    /// The newest generation handed out (0 before the first job).
    pub fn latest(&self) -> u64 {
        self.latest
    }

    /// Whether a message of `generation` is current; stale ones are counted.
    pub fn accept(&mut self, generation: u64) -> bool {
        let current = generation == self.latest;
        if !current {
            self.dropped += 1;
        }
        current
    }

    /// How many stale messages were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_generations_are_dropped() {
        let mut t = JobTracker::default();
        let first = t.start_job();
        let second = t.start_job();
        assert!(!t.accept(first));
        assert!(t.accept(second));
        assert_eq!(t.dropped(), 1);
        let third = t.start_job();
        assert!(!t.accept(second));
        assert!(t.accept(third));
        assert_eq!(t.dropped(), 2);
    }

    #[test]
    fn messages_round_trip_through_json() {
        let req = Request {
            generation: 7,
            experiments: vec![Experiment::default_named("kernel").unwrap()],
        };
        let text = serde_json::to_string(&req).unwrap();
        assert!(text.contains("\"experiment\":\"kernel\""), "{text}");
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);
        let ready = serde_json::to_string(&Response::Ready).unwrap();
        assert_eq!(ready, r#"{"kind":"ready"}"#);
        let p = Response::Progress {
            generation: 3,
            done: 1,
            total: 4,
            stage: "x".into(),
            workers: 2,
        };
        assert_eq!(p.generation(), Some(3));
    }
}
