//! The simulator's clock for its rate-limit windows: real time, or one a test holds still and
//! moves by hand, so a test of "the 4th request within a second" does not depend on how fast
//! the machine answers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct SimClock(Option<Arc<Mutex<Instant>>>);

impl SimClock {
    /// Stands still until [`SimClock::advance`] moves it.
    pub fn manual() -> SimClock {
        SimClock(Some(Arc::new(Mutex::new(Instant::now()))))
    }

    pub fn now(&self) -> Instant {
        match &self.0 {
            None => Instant::now(),
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a manual clock forward; a real one ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) += by;
        }
    }
}

/// Two configs are the same simulator whether or not one holds its clock by hand.
impl PartialEq for SimClock {
    fn eq(&self, _: &SimClock) -> bool {
        true
    }
}
