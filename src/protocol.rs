//! The typed messages between the page and the Web Worker, sent as JSON strings.
//!
//! The page sends a [`Request`] (a generation number and a [`Job`]); the worker first
//! posts [`Response::Ready`] once its wasm has loaded, then one [`Response::Done`] or
//! [`Response::Failed`] per request, carrying the request's generation back.

use ntk_core::experiments::CircleProfile;
use ntk_core::kernel::FcNetwork;
use serde::{Deserialize, Serialize};

/// A job for the worker, tagged with the page's generation counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Increases by one with every job the page sends.
    pub generation: u64,
    /// What to compute.
    pub job: Job,
}

/// What the worker can compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Analytic ReLU K and Θ on the unit circle against the angle.
    CircleKernel(CircleKernelJob),
}

/// Parameters of the circle-kernel job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CircleKernelJob {
    /// The network (depth, activation, σ_w, σ_b, parameterization, width).
    pub network: FcNetwork,
    /// Number of angles in [−π, π].
    pub points: usize,
}

/// A computed result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobResult {
    /// The circle profile, with the job that produced it (for titles).
    CircleKernel {
        job: CircleKernelJob,
        profile: CircleProfile,
    },
}

/// A message from the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The worker's wasm is loaded; jobs posted from now on are received.
    Ready,
    /// The job of `generation` finished.
    Done { generation: u64, result: JobResult },
    /// The job of `generation` failed with a readable message.
    Failed { generation: u64, message: String },
}

/// Tracks the newest job sent, so that results of superseded jobs are dropped.
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

    /// Whether a response of `generation` is current; stale ones are counted.
    pub fn accept(&mut self, generation: u64) -> bool {
        let current = generation == self.latest;
        if !current {
            self.dropped += 1;
        }
        current
    }

    /// How many stale responses were dropped so far.
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
            job: Job::CircleKernel(CircleKernelJob {
                network: FcNetwork::relu(3, 1.5, None),
                points: 11,
            }),
        };
        let text = serde_json::to_string(&req).unwrap();
        assert!(text.contains("\"kind\":\"circle_kernel\""), "{text}");
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);
        let ready = serde_json::to_string(&Response::Ready).unwrap();
        assert_eq!(ready, r#"{"kind":"ready"}"#);
    }
}
