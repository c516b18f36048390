//! The page's pool of Web Workers: how one job (a [`Request`]) is split into tasks,
//! handed to whichever worker is free, and how the workers' replies become the one
//! stream of [`Response`]s the page reads. Pure and synchronous, tested natively; the
//! workers themselves are wired in `client.rs`.
//!
//! **Tasks.** Each experiment of the job is either run whole ([`Work::Run`]) or, when
//! the core splits it into independent units ([`Experiment::unit_count`] > 1: one
//! random net of one width and seed), one [`Work::Unit`] task per unit, and once every
//! unit is back, one [`Work::Finish`] task that combines them
//! ([`Experiment::run_with_units`]) into exactly the parts a whole run streams. A
//! unit carries its own seed, never a worker's, and its numbers cross the worker
//! boundary as JSON with float round-trip, so **the parts are bit-identical for any
//! number of workers** (tested here with simulated workers, and in the browser).
//!
//! **Order.** Tasks go out in the job's order (the experiments in order, each one's
//! units costliest first); a finish task jumps the queue, since its experiment's
//! plots wait on it.
//!
//! **Progress** is the sum over tasks of each task's own fraction (its last
//! `done/total`, 1 once it is done), out of the number of tasks.

use std::collections::VecDeque;

use ntk_core::experiments::{Experiment, Part, Unit};
use serde::{Deserialize, Serialize};

use crate::protocol::{Request, Response};

/// The most workers a page starts (each has its own wasm memory, of up to 1 GB).
pub const MAX_WORKERS: usize = 8;

/// How many workers to start: the URL's `workers=` if given, else the browser's
/// `navigator.hardwareConcurrency`, within 1..=[`MAX_WORKERS`].
pub fn pool_size(requested: Option<usize>, hardware: Option<usize>) -> usize {
    requested.or(hardware).unwrap_or(1).clamp(1, MAX_WORKERS)
}

/// What one task computes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "work", rename_all = "snake_case")]
pub enum Work {
    /// The whole experiment, streaming its parts.
    Run { experiment: Experiment },
    /// One unit of it, answered by [`Reply::Unit`].
    Unit {
        experiment: Experiment,
        index: usize,
    },
    /// The experiment from its computed units, streaming its parts.
    Finish {
        experiment: Experiment,
        units: Vec<Unit>,
    },
}

/// A task for one worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub generation: u64,
    /// Its number within the job.
    pub id: usize,
    #[serde(flatten)]
    pub work: Work,
}

/// A worker's message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// The worker's wasm is loaded.
    Ready,
    Progress {
        generation: u64,
        task: usize,
        done: usize,
        total: usize,
        stage: String,
    },
    Partial {
        generation: u64,
        task: usize,
        part: Part,
    },
    /// A unit task's result.
    Unit {
        generation: u64,
        task: usize,
        unit: Unit,
    },
    Done {
        generation: u64,
        task: usize,
    },
    Failed {
        generation: u64,
        task: usize,
        message: String,
    },
}

impl Reply {
    /// The (generation, task) it belongs to (`None` for `Ready`).
    pub fn task(&self) -> Option<(u64, usize)> {
        match self {
            Reply::Ready => None,
            Reply::Progress {
                generation, task, ..
            }
            | Reply::Partial {
                generation, task, ..
            }
            | Reply::Unit {
                generation, task, ..
            }
            | Reply::Done { generation, task }
            | Reply::Failed {
                generation, task, ..
            } => Some((*generation, *task)),
        }
    }
}

/// One task's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    /// Which experiment of the job it belongs to.
    experiment: usize,
    /// Its fraction done, 0..=1.
    fraction: f64,
    done: bool,
}

/// One job's schedule over the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    generation: u64,
    experiments: Vec<Experiment>,
    /// Each experiment's units so far (empty for one run whole).
    units: Vec<Vec<Option<Unit>>>,
    queue: VecDeque<Task>,
    tasks: Vec<Slot>,
    /// The tasks not yet known (finish tasks are made when their units are in).
    finishes_to_come: usize,
    over: bool,
    stage: String,
}

impl Schedule {
    /// The tasks of `request`.
    pub fn new(request: Request) -> Schedule {
        let generation = request.generation;
        let mut s = Schedule {
            generation,
            experiments: request.experiments.clone(),
            units: Vec::new(),
            queue: VecDeque::new(),
            tasks: Vec::new(),
            finishes_to_come: 0,
            over: false,
            stage: "queued".into(),
        };
        for (i, e) in request.experiments.into_iter().enumerate() {
            let count = e.unit_count();
            if count > 1 {
                s.units.push(vec![None; count]);
                s.finishes_to_come += 1;
                for index in 0..count {
                    s.push(
                        i,
                        Work::Unit {
                            experiment: e.clone(),
                            index,
                        },
                        false,
                    );
                }
            } else {
                s.units.push(Vec::new());
                s.push(i, Work::Run { experiment: e }, false);
            }
        }
        s
    }

    fn push(&mut self, experiment: usize, work: Work, front: bool) {
        let task = Task {
            generation: self.generation,
            id: self.tasks.len(),
            work,
        };
        self.tasks.push(Slot {
            experiment,
            fraction: 0.0,
            done: false,
        });
        if front {
            self.queue.push_front(task);
        } else {
            self.queue.push_back(task);
        }
    }

    /// The job's generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The next task for a free worker.
    pub fn next_task(&mut self) -> Option<Task> {
        if self.over {
            return None;
        }
        self.queue.pop_front()
    }

    /// Put a task back at the head of the queue (its worker died: it runs again).
    pub fn retry(&mut self, task: Task) {
        if !self.over {
            self.queue.push_front(task);
        }
    }

    /// The job ended (done or failed): nothing more is handed out.
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// Tasks in all, counting the finish tasks still to come.
    pub fn task_count(&self) -> usize {
        self.tasks.len() + self.finishes_to_come
    }

    /// Take in a worker's reply; returns what the page is told. Replies of another
    /// generation, of an unknown task, or after the job ended are ignored.
    pub fn on_reply(&mut self, reply: Reply, busy_workers: usize) -> Vec<Response> {
        let generation = self.generation;
        let Some((g, task)) = reply.task() else {
            return Vec::new();
        };
        if g != generation || self.over || task >= self.tasks.len() {
            return Vec::new();
        }
        let mut out = Vec::new();
        match reply {
            Reply::Ready => {}
            Reply::Progress {
                done, total, stage, ..
            } => {
                self.tasks[task].fraction = (done as f64 / total.max(1) as f64).clamp(0.0, 1.0);
                self.stage = stage;
                out.push(self.progress(busy_workers));
            }
            Reply::Partial { part, .. } => out.push(Response::Partial { generation, part }),
            Reply::Unit { unit, .. } => {
                let e = self.tasks[task].experiment;
                let index = self.unit_index(task);
                if let Some(slot) = index.and_then(|i| self.units[e].get_mut(i)) {
                    *slot = Some(unit);
                }
            }
            Reply::Done { .. } => {
                if let Some(i) = self.unit_index(task) {
                    let e = self.tasks[task].experiment;
                    self.stage = self.experiments[e].unit_label(i);
                }
                self.tasks[task].done = true;
                self.tasks[task].fraction = 1.0;
                let e = self.tasks[task].experiment;
                let complete =
                    !self.units[e].is_empty() && self.units[e].iter().all(Option::is_some);
                let finishing = self
                    .tasks
                    .iter()
                    .enumerate()
                    .any(|(i, t)| t.experiment == e && self.is_finish(i));
                if complete && !finishing {
                    let units = self.units[e].iter().flatten().cloned().collect();
                    self.finishes_to_come -= 1;
                    let experiment = self.experiments[e].clone();
                    self.push(e, Work::Finish { experiment, units }, true);
                }
                if self.tasks.iter().all(|t| t.done) && self.finishes_to_come == 0 {
                    self.over = true;
                    out.push(Response::Done { generation });
                } else {
                    out.push(self.progress(busy_workers));
                }
            }
            Reply::Failed { message, .. } => {
                self.over = true;
                out.push(Response::Failed {
                    generation,
                    message,
                });
            }
        }
        out
    }

    /// Which unit a unit task computes (from the task list: unit tasks of one
    /// experiment are numbered in order).
    fn unit_index(&self, task: usize) -> Option<usize> {
        let e = self.tasks[task].experiment;
        let first = self.tasks.iter().position(|t| t.experiment == e)?;
        let index = task - first;
        (index < self.units[e].len()).then_some(index)
    }

    fn is_finish(&self, task: usize) -> bool {
        let e = self.tasks[task].experiment;
        !self.units[e].is_empty() && self.unit_index(task).is_none()
    }

    /// The job's progress: each task's fraction summed, in thousandths of a task.
    fn progress(&self, busy_workers: usize) -> Response {
        let sum: f64 = self.tasks.iter().map(|t| t.fraction).sum();
        Response::Progress {
            generation: self.generation,
            done: (sum * 1000.0).round() as usize,
            total: self.task_count() * 1000,
            stage: self.stage.clone(),
            workers: busy_workers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::run_task;
    use ntk_core::experiments::{convergence, data, kernel, robustness, sgd, spectrum, training};

    /// A job of the kernel tab (small): the kernel experiment in units (2 widths × 3
    /// seeds, trained), the spectrum and the data run whole.
    fn job() -> Request {
        let mut k = kernel::Params {
            widths: vec![16, 48],
            seeds: 3,
            points: 21,
            train: Some(kernel::Training {
                target: ntk_core::targets::Target::harmonics(&[1]),
                learning_rate: 0.5,
                steps: 5,
            }),
            ..kernel::Params::default()
        };
        k.data.n = 8;
        k.data.d = 2;
        k.network.depth = 2;
        let s = spectrum::Params {
            network: k.gram_network(),
            data: k.data.clone(),
            ..spectrum::Params::default()
        };
        let d = data::Params {
            data: k.data.clone(),
            target: None,
        };
        Request {
            generation: 4,
            experiments: vec![
                Experiment::Kernel(k),
                Experiment::Spectrum(s),
                Experiment::Data(d),
            ],
        }
    }

    /// A job of the convergence tab (small): two distributions' width sweeps and the
    /// depth sweep as units.
    fn convergence_job() -> Request {
        let mut c = convergence::Params {
            widths: vec![8, 16, 32],
            seeds: 3,
            n: 6,
            d: 3,
            distributions: vec![
                ntk_core::data::Distribution::Gaussian,
                ntk_core::data::Distribution::Rademacher,
            ],
            depths: vec![1, 2, 3],
            depth_width: 16,
            layers: true,
            ..convergence::Params::default()
        };
        c.network.depth = 2;
        // The memorization tab's sensitivity, in points (small).
        let sens = robustness::Params {
            activations: vec![ntk_core::activation::Activation::Tanh],
            d: 6,
            n: 12,
            params: vec![24, 48, 96],
            ns: vec![6, 12],
            ds: vec![3, 6],
            seeds: 2,
            test_points: 4,
            seed: 0,
        };
        Request {
            generation: 4,
            experiments: vec![Experiment::Convergence(c), Experiment::Sensitivity(sens)],
        }
    }

    /// A job of the training tab (small): two widths' nets and linearisations as
    /// units, the ensemble and the modes in their combination; the data run whole.
    fn training_job() -> Request {
        let mut t = training::Params {
            widths: vec![16, 64],
            steps: 30,
            snapshots: vec![0, 10, 30],
            n_test: 12,
            ..training::Params::default()
        };
        t.data.n = 10;
        t.network.depth = 2;
        let d = data::Params {
            data: t.data.clone(),
            target: None,
        };
        let g = sgd::Params {
            widths: vec![8, 24],
            seeds: 2,
            n: 16,
            n_test: 10,
            steps: 12,
            batch: 4,
            streaming: true,
            ..sgd::Params::default()
        };
        Request {
            generation: 4,
            experiments: vec![
                Experiment::Training(t),
                Experiment::Sgd(g),
                Experiment::Data(d),
            ],
        }
    }

    /// Run a schedule on `workers` simulated workers, each task's replies delivered
    /// in the order `pick` chooses among the busy workers; every reply crosses JSON
    /// both ways as in the page. Returns the page's responses.
    fn simulate(
        request: Request,
        workers: usize,
        pick: impl Fn(usize, usize) -> usize,
    ) -> Vec<Response> {
        let mut s = Schedule::new(request);
        let mut inboxes: Vec<VecDeque<String>> = vec![VecDeque::new(); workers];
        let mut out = Vec::new();
        let mut round = 0;
        loop {
            for inbox in inboxes.iter_mut() {
                if inbox.is_empty() {
                    if let Some(task) = s.next_task() {
                        let text = serde_json::to_string(&task).unwrap();
                        let task: Task = serde_json::from_str(&text).unwrap();
                        run_task(task, &mut |r| {
                            inbox.push_back(serde_json::to_string(&r).unwrap())
                        });
                    }
                }
            }
            let busy: Vec<usize> = (0..workers).filter(|&w| !inboxes[w].is_empty()).collect();
            if busy.is_empty() {
                break;
            }
            let w = busy[pick(round, busy.len())];
            round += 1;
            let reply: Reply = serde_json::from_str(&inboxes[w].pop_front().unwrap()).unwrap();
            out.extend(s.on_reply(reply, busy.len()));
        }
        out
    }

    fn parts(responses: &[Response]) -> Vec<String> {
        let mut p: Vec<String> = responses
            .iter()
            .filter_map(|r| match r {
                Response::Partial { part, .. } => Some(serde_json::to_string(part).unwrap()),
                _ => None,
            })
            .collect();
        p.sort();
        p
    }

    #[test]
    fn any_number_of_workers_gives_the_parts_of_one_run_bit_for_bit() {
        for job in [job, convergence_job, training_job] {
            assert!(job().experiments[0].unit_count() > 1);
            // The reference: the experiments run whole, in order, as before the pool.
            let mut whole = Vec::new();
            crate::compute::handle(job(), &mut |r| whole.push(r));
            assert!(matches!(
                whole.last(),
                Some(Response::Done { generation: 4 })
            ));
            let reference = parts(&whole);
            assert!(reference.len() >= 3, "{}", reference.len());
            for workers in [1, 2, 4] {
                for interleave in 0..3 {
                    let out = simulate(job(), workers, |round, busy| {
                        (round * (interleave + 1) + interleave) % busy
                    });
                    assert!(
                        matches!(out.last(), Some(Response::Done { generation: 4 })),
                        "{workers} workers: {:?}",
                        out.last()
                    );
                    assert_eq!(
                        out.iter()
                            .filter(|r| matches!(r, Response::Done { .. }))
                            .count(),
                        1
                    );
                    // The final part of each slot is the same as a whole run's.
                    let last = |rs: &[Response]| {
                        let mut by_slot = std::collections::BTreeMap::new();
                        for r in rs {
                            if let Response::Partial { part, .. } = r {
                                by_slot.insert(part.slot(), serde_json::to_string(part).unwrap());
                            }
                        }
                        by_slot
                    };
                    assert_eq!(
                        last(&out),
                        last(&whole),
                        "{workers} workers, order {interleave}"
                    );
                    assert_eq!(
                        parts(&out),
                        reference,
                        "{workers} workers, order {interleave}"
                    );
                }
            }
        }
    }

    #[test]
    fn progress_rises_to_the_end_and_a_failure_ends_the_job() {
        let out = simulate(job(), 2, |_, _| 0);
        let mut last = 0.0;
        for r in &out {
            if let Response::Progress { done, total, .. } = r {
                let f = *done as f64 / *total as f64;
                assert!(f <= 1.0 + 1e-12, "{f}");
                last = f;
            }
        }
        assert!(last > 0.5, "{last}");

        let mut s = Schedule::new(job());
        let t = s.next_task().unwrap();
        let failed = s.on_reply(
            Reply::Failed {
                generation: 4,
                task: t.id,
                message: "no".into(),
            },
            1,
        );
        assert_eq!(
            failed,
            vec![Response::Failed {
                generation: 4,
                message: "no".into()
            }]
        );
        assert!(s.is_over());
        assert!(s.next_task().is_none());
        // A stale generation is ignored.
        let mut s = Schedule::new(job());
        assert!(s
            .on_reply(
                Reply::Done {
                    generation: 3,
                    task: 0
                },
                1
            )
            .is_empty());
    }

    #[test]
    fn the_pool_size_follows_the_url_then_the_hardware() {
        assert_eq!(pool_size(None, Some(2)), 2);
        assert_eq!(pool_size(Some(4), Some(2)), 4);
        assert_eq!(pool_size(None, Some(64)), MAX_WORKERS);
        assert_eq!(pool_size(Some(0), None), 1);
        assert_eq!(pool_size(None, None), 1);
    }
}
