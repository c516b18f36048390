//! Native tests of `src/runner.rs` (moved here so that the file itself stays short).
#![cfg(not(target_arch = "wasm32"))]

use ntk_core::experiments::spectral_bias::Modes;
use ntk_lab::protocol::{Part, Response};
use ntk_lab::runner::*;

fn part() -> Part {
    modes(8)
}

/// Start a job that must be sent (not a cache hit).
fn send(r: &mut JobRunner, now: f64, key: &str) -> u64 {
    match r.start(now, key.into()) {
        Start::Send(g) => g,
        other => panic!("expected a job to send, got {other:?}"),
    }
}

fn modes(width: usize) -> Part {
    Part::Modes(Modes {
        times: vec![0.0],
        modes: Vec::new(),
        width,
        circle: true,
    })
}

#[test]
fn finished_jobs_come_back_from_the_cache_and_unfinished_ones_do_not() {
    let mut r = JobRunner::new("page", true);
    let a = send(&mut r, 0.0, "A");
    // Two parts of one slot: the newer supersedes the older.
    for w in [8, 16] {
        r.receive(
            Response::Partial {
                generation: a,
                part: modes(w),
            },
            1.0,
        );
    }
    r.receive(Response::Done { generation: a }, 2.0);
    // B is superseded before it finishes, C fails: neither is cached.
    let b = send(&mut r, 3.0, "B");
    r.receive(
        Response::Partial {
            generation: b,
            part: modes(32),
        },
        4.0,
    );
    r.cancel();
    let c = send(&mut r, 5.0, "C");
    r.receive(
        Response::Failed {
            generation: c,
            message: "no".into(),
        },
        6.0,
    );
    assert_eq!(r.sent(), 3);
    assert!(r.is_cached("A") && !r.is_cached("B") && !r.is_cached("C"));
    match r.start(7.0, "A".into()) {
        Start::Cached(g, parts) => {
            assert!(g > c);
            assert_eq!(parts, vec![modes(16)]);
        }
        other => panic!("A should be cached: {other:?}"),
    }
    assert_eq!(r.sent(), 3, "a cache hit sends nothing");
    assert_eq!((r.state(), r.busy()), ("done", false));
    assert!(r.text().contains("from the cache"), "{}", r.text());
    send(&mut r, 8.0, "B");
    send(&mut r, 9.0, "C");
    // The least recently used job leaves first once the cache is full.
    for k in 0..CACHED_JOBS {
        let g = send(&mut r, 10.0, &format!("job {k}"));
        r.receive(Response::Done { generation: g }, 11.0);
    }
    send(&mut r, 12.0, "A");
    assert!(matches!(r.start(13.0, "job 7".into()), Start::Cached(..)));
}

#[test]
fn a_job_goes_from_queued_to_done_and_stale_messages_are_dropped() {
    let mut r = JobRunner::new("Web Worker", false);
    assert_eq!((r.text().as_str(), r.state()), ("Starting…", "computing"));
    let first = send(&mut r, 100.0, "first");
    assert_eq!(r.text(), "Starting the Web Worker; job 1 is queued…");
    assert_eq!(r.receive(Response::Ready, 110.0), None);
    let second = send(&mut r, 120.0, "second");
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
            workers: 1,
        },
        140.0,
    );
    assert_eq!(r.text(), "Computing: width 64 (40 %, Web Worker)");
    r.receive(
        Response::Progress {
            generation: second,
            done: 2,
            total: 5,
            stage: "width 64".into(),
            workers: 2,
        },
        141.0,
    );
    assert_eq!(r.text(), "Computing: width 64 (40 %, 2 Web Workers)");
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
    assert_eq!(r.text(), "Job 2 done in 300 ms (2 Web Workers).");
    assert_eq!((r.state(), r.busy()), ("done", false));
}

#[test]
fn cancel_and_failure_are_said_in_words() {
    let mut r = JobRunner::new("page", true);
    let g = send(&mut r, 0.0, "a");
    r.cancel();
    assert_eq!(r.state(), "cancelled");
    assert!(r.text().starts_with("Cancelled."));
    // The cancelled job's messages are dropped.
    r.receive(Response::Done { generation: g }, 5.0);
    assert_eq!((r.state(), r.dropped()), ("cancelled", 1));
    let g = send(&mut r, 10.0, "b");
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

#[test]
fn a_replaced_worker_is_said_in_words_until_the_next_job() {
    let mut r = JobRunner::new("Web Worker", false);
    r.receive(Response::Ready, 0.0);
    let g = send(&mut r, 0.0, "a");
    r.worker_restarted("RuntimeError: unreachable", Some(g));
    // The new worker is loading: the job waits for it, and the line says what happened.
    assert_eq!(
        r.text(),
        "The Web Worker stopped (RuntimeError: unreachable); a new one was started and job 1 \
         sent to it again. Starting the Web Worker; job 1 is queued…"
    );
    assert_eq!((r.state(), r.busy()), ("computing", true));
    r.receive(Response::Ready, 10.0);
    // The re-sent job keeps its generation: its messages are accepted.
    r.receive(Response::Done { generation: g }, 110.0);
    assert_eq!(r.state(), "done");
    assert!(
        r.text().ends_with("Job 1 done in 110 ms (Web Worker)."),
        "{}",
        r.text()
    );
    assert!(r.notice().is_some());
    // The next job clears the notice.
    send(&mut r, 200.0, "b");
    assert_eq!(r.notice(), None);
    assert_eq!(r.text(), "Computing: queued (0 %, Web Worker)");
}

#[test]
fn the_newest_finished_job_is_known_computed_or_cached() {
    let mut r = JobRunner::new("page", true);
    assert_eq!(r.finished(), 0);
    let a = send(&mut r, 0.0, "a");
    r.receive(Response::Done { generation: a }, 1.0);
    assert_eq!(r.finished(), a);
    // A running job does not change it; a cancelled one neither.
    let b = send(&mut r, 2.0, "b");
    assert_eq!(r.finished(), a);
    r.cancel();
    r.receive(Response::Done { generation: b }, 3.0);
    assert_eq!(r.finished(), a);
    // A job from the cache finishes at once.
    let Start::Cached(c, _) = r.start(4.0, "a".into()) else {
        panic!("a is cached");
    };
    assert_eq!(r.finished(), c);
    assert!(c > b);
}
