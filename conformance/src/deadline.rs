//! Bounding an in-process implementation: [`Deadline`] runs it on a thread of its own and
//! waits for each answer at most a set time.
//!
//! An HTTP or subprocess target that stops answering is cut off by its call timeout. An
//! implementation called in-process has no such bound: a loop that never ends would hang the
//! whole run. Behind a `Deadline`, a call that takes longer than the timeout becomes a
//! transport failure of that case (the runner goes on, and stops after
//! [`RunConfig::max_consecutive_transport_failures`](crate::RunConfig) of them), and every later call fails at once,
//! since the implementation is still busy. The stuck thread cannot be stopped from outside; it
//! runs until the process ends.
//!
//! A panic inside the implementation is caught on its thread and raised again on the
//! caller's, so the runner reports it with the case, as it does without a `Deadline`.
//!
//! ```
//! use std::time::Duration;
//! use migrate_conformance::deadline::Deadline;
//! # use migrate_conformance::{AdapterError, Capabilities, HttpResponse, Implementation};
//! # use migrate_conformance::model::World;
//! # struct Mine;
//! # impl Implementation for Mine {
//! #     fn capabilities(&self) -> Capabilities { Capabilities::default() }
//! #     fn load_world(&mut self, _: &World) -> Result<(), AdapterError> { Ok(()) }
//! #     fn call(&mut self, _: &[u8], _: Option<i64>) -> Result<HttpResponse, AdapterError> {
//! #         loop { std::thread::park() }
//! #     }
//! # }
//! let mut bounded = Deadline::new(Mine, Duration::from_millis(200))?;
//! let err = bounded.call(b"{}", None).unwrap_err();
//! assert!(err.is_transport(), "{err}");
//! # Ok::<(), AdapterError>(())
//! ```

use std::cell::RefCell;
use std::fmt;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use migrate_model::World;

use crate::adapter::{AdapterError, Capabilities, HttpResponse, Implementation};
use crate::runner::{catching, panic_message};

enum Job {
    Load(World),
    Call(Vec<u8>, Option<i64>),
    Renamed(World, Vec<u8>),
}

enum Reply {
    Capabilities(Capabilities),
    Loaded(Result<(), AdapterError>),
    Called(Result<HttpResponse, AdapterError>),
    Renamed(Option<(World, Vec<u8>)>),
    /// The implementation panicked; the message says where.
    Panicked(String),
}

/// An [`Implementation`] run on its own thread, each of its methods answering within a
/// timeout (see the [module documentation](self)).
pub struct Deadline {
    jobs: Sender<Job>,
    replies: Receiver<Reply>,
    timeout: Duration,
    capabilities: Capabilities,
    /// The method that has not returned, once one has outlived the timeout.
    stuck: RefCell<Option<&'static str>>,
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("timeout", &self.timeout)
            .field("stuck", &self.stuck.borrow())
            .finish_non_exhaustive()
    }
}

impl Deadline {
    /// Moves `implementation` to a thread of its own and asks for its capabilities there,
    /// waiting at most `timeout` for that and for every later call.
    pub fn new<I: Implementation + Send + 'static>(
        mut implementation: I,
        timeout: Duration,
    ) -> Result<Deadline, AdapterError> {
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let (reply, replies) = mpsc::channel::<Reply>();
        std::thread::Builder::new()
            .name("implementation under test".into())
            .spawn(move || {
                let answer = |result: std::thread::Result<Reply>| {
                    result.unwrap_or_else(|payload| Reply::Panicked(panic_message(payload)))
                };
                let first = answer(catching(|| {
                    Reply::Capabilities(implementation.capabilities())
                }));
                if reply.send(first).is_err() {
                    return;
                }
                for job in job_queue {
                    let answered = answer(catching(|| match job {
                        Job::Load(world) => Reply::Loaded(implementation.load_world(&world)),
                        Job::Call(body, now) => Reply::Called(implementation.call(&body, now)),
                        Job::Renamed(world, body) => {
                            Reply::Renamed(implementation.renamed(&world, &body))
                        }
                    }));
                    if reply.send(answered).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| {
                AdapterError::new(format!("cannot start the implementation's thread: {e}"))
            })?;
        let mut deadline = Deadline {
            jobs,
            replies,
            timeout,
            capabilities: Capabilities::default(),
            stuck: RefCell::new(None),
        };
        match deadline.wait("capabilities") {
            Ok(Reply::Capabilities(capabilities)) => deadline.capabilities = capabilities,
            Ok(_) => return Err(out_of_turn()),
            Err(e) => return Err(e),
        }
        Ok(deadline)
    }

    /// The timeout each method is given.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn ask(&self, job: Job, method: &'static str) -> Result<Reply, AdapterError> {
        if let Some(stuck) = *self.stuck.borrow() {
            return Err(AdapterError::transport(format!(
                "the implementation has not returned from an earlier {stuck} (timeout {} s); no further call is made",
                self.timeout.as_secs_f64()
            )));
        }
        self.jobs
            .send(job)
            .map_err(|_| AdapterError::transport("the implementation's thread has ended"))?;
        self.wait(method)
    }

    fn wait(&self, method: &'static str) -> Result<Reply, AdapterError> {
        match self.replies.recv_timeout(self.timeout) {
            // Raised again here, where the runner catches and reports it.
            Ok(Reply::Panicked(message)) => std::panic::resume_unwind(Box::new(message)),
            Ok(reply) => Ok(reply),
            Err(RecvTimeoutError::Timeout) => {
                *self.stuck.borrow_mut() = Some(method);
                Err(AdapterError::transport(format!(
                    "the implementation's {method} did not return within {} s",
                    self.timeout.as_secs_f64()
                )))
            }
            Err(RecvTimeoutError::Disconnected) => Err(AdapterError::transport(
                "the implementation's thread has ended",
            )),
        }
    }
}

fn out_of_turn() -> AdapterError {
    AdapterError::new("internal: an answer out of turn")
}

impl Implementation for Deadline {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        match self.ask(Job::Load(world.clone()), "load_world")? {
            Reply::Loaded(result) => result,
            _ => Err(out_of_turn()),
        }
    }

    fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        match self.ask(Job::Call(body.to_vec(), now), "call")? {
            Reply::Called(result) => result,
            _ => Err(out_of_turn()),
        }
    }

    /// `None` also when the implementation does not answer in time: the call that follows
    /// then fails as a transport failure.
    fn renamed(&self, world: &World, body: &[u8]) -> Option<(World, Vec<u8>)> {
        match self.ask(Job::Renamed(world.clone(), body.to_vec()), "renamed") {
            Ok(Reply::Renamed(renamed)) => renamed,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// Answers 200 to a call, hangs on `hang`, panics on `panic`.
    struct Moody;

    impl Implementation for Moody {
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                controllable_clock: true,
                ..Capabilities::default()
            }
        }
        fn load_world(&mut self, _: &World) -> Result<(), AdapterError> {
            Ok(())
        }
        fn call(&mut self, body: &[u8], now: Option<i64>) -> Result<HttpResponse, AdapterError> {
            match body {
                b"hang" => loop {
                    std::thread::park();
                },
                b"panic" => panic!("moody panicked"),
                b"refuse" => Err(AdapterError::new("refused")),
                _ => Ok(HttpResponse {
                    status: 200,
                    body: format!("{now:?}").into_bytes(),
                }),
            }
        }
    }

    #[test]
    fn answers_pass_through_and_a_hang_is_a_bounded_transport_failure() {
        let mut bounded = Deadline::new(Moody, Duration::from_millis(300)).unwrap();
        assert!(bounded.capabilities().controllable_clock);
        let world = crate::gen::world(migrate_model::MemberStatus::Active, 60, "{}");
        assert_eq!(bounded.load_world(&world), Ok(()));
        let answer = bounded.call(b"{}", Some(7)).unwrap();
        assert_eq!((answer.status, answer.body), (200, b"Some(7)".to_vec()));
        assert_eq!(
            bounded.call(b"refuse", None).unwrap_err().message,
            "refused"
        );
        assert_eq!(bounded.renamed(&world, b"{}"), None);

        // A panic comes back as a panic on this thread, with its message and place.
        let panicked = catch_unwind(AssertUnwindSafe(|| bounded.call(b"panic", None)))
            .expect_err("the panic is raised again");
        let message = panicked.downcast_ref::<String>().unwrap();
        assert!(message.contains("moody panicked"), "{message}");
        assert!(message.contains("deadline.rs"), "{message}");
        assert!(
            bounded.call(b"{}", None).is_ok(),
            "the thread survives a panic"
        );

        let started = std::time::Instant::now();
        let err = bounded.call(b"hang", None).unwrap_err();
        assert!(err.is_transport(), "{err}");
        assert!(err.message.contains("did not return within 0.3 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Still busy: the next call fails at once, without waiting again.
        let err = bounded.call(b"{}", None).unwrap_err();
        assert!(
            err.is_transport() && err.message.contains("earlier call"),
            "{err}"
        );
        assert!(bounded.load_world(&world).is_err());
    }

    #[test]
    fn a_run_against_an_implementation_that_hangs_ends_with_a_transport_failure() {
        /// Hangs on every call.
        struct Stuck;
        impl Implementation for Stuck {
            fn capabilities(&self) -> Capabilities {
                Capabilities::default()
            }
            fn load_world(&mut self, _: &World) -> Result<(), AdapterError> {
                Ok(())
            }
            fn call(&mut self, _: &[u8], _: Option<i64>) -> Result<HttpResponse, AdapterError> {
                loop {
                    std::thread::park();
                }
            }
        }
        let mut bounded = Deadline::new(Stuck, Duration::from_millis(100)).unwrap();
        let config = crate::RunConfig {
            cases: 20,
            ..crate::RunConfig::default()
        };
        let report = crate::run(&mut bounded, "stuck", &config);
        assert!(!report.passed());
        let first = &report.properties[0];
        let transport = first.transport.as_ref().expect("transport failures");
        assert!(
            transport.first.contains("did not return within 0.1 s"),
            "{transport:?}"
        );
        // One timeout, then failures at once: the run does not wait out every case.
        assert!(
            report.elapsed < Duration::from_secs(10),
            "{:?}",
            report.elapsed
        );
        assert!(report
            .properties
            .iter()
            .skip(1)
            .all(|p| p.skipped.is_some()));
    }
}
