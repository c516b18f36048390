//! What the worker does with a request: run its experiments (the numeric core's) in
//! order and post their progress and parts as they come. Pure and synchronous, tested
//! natively.

use ntk_core::empirical::Progress;
use ntk_core::experiments::{Observer, Part};

use crate::pool::{Reply, Task, Work};
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
            workers: 1,
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

/// Posts a task's progress and parts as replies of one (generation, task).
struct TaskPoster<'a> {
    generation: u64,
    task: usize,
    post: &'a mut dyn FnMut(Reply),
}

impl Observer for TaskPoster<'_> {
    fn progress(&mut self, p: &Progress) -> bool {
        (self.post)(Reply::Progress {
            generation: self.generation,
            task: self.task,
            done: p.done,
            total: p.total,
            stage: p.stage.clone(),
        });
        true
    }

    fn part(&mut self, part: &Part) {
        (self.post)(Reply::Partial {
            generation: self.generation,
            task: self.task,
            part: part.clone(),
        });
    }
}

/// Run one task of the pool (`pool::Task`): a whole experiment, one unit of one, or
/// one from its units, posting every reply through `post`; the last is
/// [`Reply::Done`] or [`Reply::Failed`] with the core's message.
pub fn run_task(task: Task, post: &mut dyn FnMut(Reply)) {
    let (generation, id) = (task.generation, task.id);
    let mut poster = TaskPoster {
        generation,
        task: id,
        post,
    };
    let result = match &task.work {
        Work::Run { experiment } => experiment.run(&mut poster).map(|_| ()),
        Work::Unit { experiment, index } => experiment.run_unit(*index, &mut poster).map(|unit| {
            (poster.post)(Reply::Unit {
                generation,
                task: id,
                unit,
            })
        }),
        Work::Finish { experiment, units } => {
            experiment.run_with_units(units, &mut poster).map(|_| ())
        }
    };
    (poster.post)(match result {
        Ok(()) => Reply::Done {
            generation,
            task: id,
        },
        Err(e) => Reply::Failed {
            generation,
            task: id,
            message: e.to_string(),
        },
    });
}

/// The worker's message handler on JSON text: a pool task (`pool::Task`), every reply
/// as JSON text. A malformed message is answered with [`Reply::Failed`] (generation 0),
/// never a panic.
pub fn handle_task_json(text: &str, post: &mut dyn FnMut(String)) {
    let encode = |r: &Reply| {
        serde_json::to_string(r).unwrap_or_else(|e| {
            format!(
                r#"{{"kind":"failed","generation":0,"task":0,"message":"cannot encode the reply: {e}"}}"#
            )
        })
    };
    match serde_json::from_str::<Task>(text) {
        Ok(task) => run_task(task, &mut |r| post(encode(&r))),
        Err(e) => post(encode(&Reply::Failed {
            generation: 0,
            task: 0,
            message: format!("malformed task: {e}"),
        })),
    }
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
