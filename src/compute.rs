//! What the worker does with a request: pure, synchronous, tested natively.

use crate::protocol::{Job, JobResult, Request, Response};
use ntk_core::experiments::circle_profile;

/// Run one job with ntk-core. Errors become [`Response::Failed`] with the core's message.
pub fn handle(request: Request) -> Response {
    let generation = request.generation;
    match run(request.job) {
        Ok(result) => Response::Done { generation, result },
        Err(message) => Response::Failed {
            generation,
            message,
        },
    }
}

fn run(job: Job) -> Result<JobResult, String> {
    match job {
        Job::CircleKernel(job) => {
            let profile = circle_profile(&job.network, job.points).map_err(|e| e.to_string())?;
            Ok(JobResult::CircleKernel { job, profile })
        }
    }
}

/// The worker's message handler on JSON text: a malformed message is answered with
/// [`Response::Failed`] (generation 0), never a panic.
pub fn handle_json(text: &str) -> String {
    let response = match serde_json::from_str::<Request>(text) {
        Ok(request) => handle(request),
        Err(e) => Response::Failed {
            generation: 0,
            message: format!("malformed request: {e}"),
        },
    };
    serde_json::to_string(&response).unwrap_or_else(|e| {
        format!(r#"{{"kind":"failed","generation":0,"message":"cannot encode the response: {e}"}}"#)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::CircleKernelJob;
    use ntk_core::kernel::FcNetwork;

    fn job(depth: usize, w_std: f64) -> Request {
        Request {
            generation: 4,
            job: Job::CircleKernel(CircleKernelJob {
                network: FcNetwork::relu(depth, w_std, Some(0.1)),
                points: 21,
            }),
        }
    }

    #[test]
    fn circle_job_returns_the_core_profile() {
        match handle(job(2, 1.5)) {
            Response::Done {
                generation: 4,
                result: JobResult::CircleKernel { profile, .. },
            } => {
                let net = FcNetwork::relu(2, 1.5, Some(0.1));
                assert_eq!(profile, circle_profile(&net, 21).unwrap());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn core_errors_become_failed_responses() {
        match handle(job(2, -1.0)) {
            Response::Failed {
                generation: 4,
                message,
            } => assert!(message.contains("w_std"), "{message}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_answered_not_panicked() {
        let out = handle_json("{not json");
        let r: Response = serde_json::from_str(&out).unwrap();
        assert!(matches!(r, Response::Failed { generation: 0, .. }));
        let ok = handle_json(&serde_json::to_string(&job(1, 1.0)).unwrap());
        assert!(matches!(
            serde_json::from_str::<Response>(&ok).unwrap(),
            Response::Done { generation: 4, .. }
        ));
    }
}
