//! A clock the test moves by hand.

use std::sync::Mutex;

use gestiona_domain::ports::Clock;

pub struct ManualClock(Mutex<jiff::Timestamp>);

impl ManualClock {
    pub fn at(start: &str) -> Self {
        Self(Mutex::new(start.parse().expect("an RFC 3339 instant")))
    }

    pub fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap();
        *now = now.checked_add(jiff::SignedDuration::from_secs(seconds)).expect("in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().unwrap()
    }
}
