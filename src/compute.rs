//! What the worker does with a request: run its experiments (the numeric core's) in
//! order and post their progress and parts as they come. Pure and synchronous, tested
//! natively.

use ntk_core::empirical::Progress;
use ntk_core::experiments::{Observer, Part};

use crate::protocol::{Request, Response};

/// Posts an experiment's progress and parts as responses of one generation.
struct Poster<'a> {
    generation: u64,
    post: &'a mut dyn FnMut(Response),
}

impl Observer for Poster<'_> {
    fn progress(&mut self, p: &Progress) -> bool {
        (self.post)(Response::Progress {
            generation: self.generation,
            done: p.done,
            total: p.total,
            stage: p.stage.clone(),
        });
        true
    }

    fn part(&mut self, part: &Part) {
        (self.post)(Response::Partial {
            generation: self.generation,
            part: part.clone(),
        });
    }
}

/// Run one request, posting every message through `post`. An error ends the request
/// with [`Response::Failed`] and the core's message.
pub fn handle(request: Request, post: &mut dyn FnMut(Response)) {
    let generation = request.generation;
    let mut poster = Poster { generation, post };
    let result = request
        .experiments
        .iter()
        .try_for_each(|e| e.run(&mut poster).map(|_| ()));
    (poster.post)(match result {
        Ok(()) => Response::Done { generation },
        Err(e) => Response::Failed {
            generation,
            message: e.to_string(),
        },
    });
}

/// The worker's message handler on JSON text: every response as JSON text. A
/// malformed message is answered with [`Response::Failed`] (generation 0), never a
/// panic.
pub fn handle_json(text: &str, post: &mut dyn FnMut(String)) {
    let encode = |r: &Response| {
        serde_json::to_string(r).unwrap_or_else(|e| {
            format!(
                r#"{{"kind":"failed","generation":0,"message":"cannot encode the response: {e}"}}"#
            )
        })
    };
    match serde_json::from_str::<Request>(text) {
        Ok(request) => handle(request, &mut |r| post(encode(&r))),
        Err(e) => post(encode(&Response::Failed {
            generation: 0,
            message: format!("malformed request: {e}"),
        })),
    }
}
