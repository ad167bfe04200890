//! The unattended runner behind `magsync daemon`: a pure schedule ([`schedule`]) with jittered,
//! round-minute-avoiding start times ([`jitter`]) and daily local times ([`daily`]), carried
//! out by [`driver`] against the sync engine and the store. No terminal code lives here.

pub mod daily;
pub mod driver;
pub mod jitter;
pub mod schedule;
#[cfg(test)]
mod tests;

pub use crate::sync::port::{ActiveRun, RunEnd, StartError, StartRequest, SyncPort};
pub use driver::{Daemon, DaemonEvent, TickReport};
pub use schedule::{AccountPlan, Decision, ScheduleConfig, Scheduler};
