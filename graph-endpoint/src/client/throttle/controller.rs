//! The rate one lane (a family's writes, or all of its requests) may send
//! at: found by probing, cut on a 429, held just under the limit.
//!
//! A service that throttles with a token bucket admits exactly its rate once
//! the bucket is empty, and a 429 says the bucket is empty. So:
//!
//! - **Start**: without a documented limit the rate starts low and grows by
//!   a fixed step per clean answer (exponential growth, an e-fold every
//!   third of a second at the rate it reaches), as long as calls are waiting
//!   for it. A family with a documented limit starts at that limit.
//! - **Estimate**: a 429 opens an *episode*. Between two 429s the bucket went
//!   from empty to empty, so the successes sent between them are what the
//!   service admitted: their count over the time between is the service's
//!   rate, within one request. Until ten successes make it reliable, a
//!   throttled rate is halved instead.
//! - **Hold**: the rate is set 5% under the estimate; the service's bucket
//!   fills with the difference, which keeps spare credit for jitter. Clean
//!   answers raise the rate slowly (0.6% a second at full use), so it comes
//!   back to the limit every few seconds, drains the credit, and the next
//!   429 cuts it 5% again: a few 429s a minute find a limit that moved.
//! - A 429 cuts the rate once per *generation*: answers to requests sent
//!   before a cut say nothing about the cut rate, so they only feed the
//!   estimate. `Retry-After` pauses the lane until then (three minutes at most),
//!   and its schedule starts again from there, one slot at a time.
//!
//! The rate never exceeds a documented limit. Everything is measured on
//! tokio's clock, so it runs in paused time as it runs for real.

use std::time::Duration;

use tokio::time::Instant;

/// Where a newly seen lane starts when no limit is documented (requests per second).
pub(crate) const DEFAULT_INITIAL_RATE: f64 = 20.0;
/// Growth per clean answer while starting: the rate `r` grows by `r * 3` a
/// second when every slot is used.
const START_STEP: f64 = 3.0;
/// Growth per clean answer while holding: 0.6% a second at full use.
const PROBE_STEP: f64 = 0.006;
/// Growth per clean answer back towards the rate before an unmeasured cut.
const RECOVERY_STEP: f64 = 0.5;
/// How far under the estimated limit the rate is held.
const MARGIN: f64 = 0.05;
/// Successes between two 429s needed to trust the estimate.
const MIN_SAMPLES: u64 = 10;
/// An episode ends when no 429 came for this long: the service's bucket may
/// have filled up since, and successes would no longer count its rate.
const EPISODE_GAP: Duration = Duration::from_secs(5);
/// The slowest the rate goes.
const MIN_RATE: f64 = 0.1;
/// The longest a `Retry-After` pauses a lane (the retry policy's default
/// longest wait): a service asking for hours is not taken at its word.
const MAX_PAUSE: Duration = Duration::from_secs(180);
/// How late a slot may be taken and still keep the schedule: a timer that
/// wakes late, or a process the machine held up for a moment, does not cost
/// rate (the slots missed go at once, a burst services' buckets absorb); a
/// lane idle for longer does not save up a burst.
const CATCH_UP: Duration = Duration::from_millis(50);

/// The phase of a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No limit seen yet: growing.
    Start,
    /// A limit was seen (or documented): held under it.
    Hold,
}

/// The permission one request got: what its answer is judged against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grant {
    generation: u64,
    sent_at: Instant,
    /// The request waited for its slot, or others did: the rate was the
    /// bottleneck, so a clean answer may raise it.
    limited: bool,
}

/// What an answer says about the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outcome {
    /// Anything but throttling or a server failure: the rate was fine.
    Clean,
    /// 429, with the wait the service asked for.
    Throttled(Option<Duration>),
    /// A server failure or no answer: says nothing about the rate.
    Neutral,
}

/// Between two 429s, the successes the service admitted.
#[derive(Debug, Clone, Copy)]
struct Episode {
    /// When the first throttled request of the episode was sent.
    first: Instant,
    /// When the last throttled request of the episode was sent.
    last: Instant,
    /// Successes of requests sent after `first`.
    successes: u64,
}

#[derive(Debug)]
pub(crate) struct Controller {
    rate: f64,
    ceiling: Option<f64>,
    phase: Phase,
    generation: u64,
    /// The theoretical time of the next slot.
    next_slot: Option<Instant>,
    pause_until: Option<Instant>,
    /// After a cut without an estimate, the rate to grow back to quickly.
    recovery_target: Option<f64>,
    /// The service's rate was estimated at least once.
    estimated: bool,
    episode: Option<Episode>,
    /// Since when every answer has been a 429 (`None`: the last answer was clean).
    refusing_since: Option<Instant>,
    throttled: u64,
    clean: u64,
}

impl Controller {
    /// A lane starting at `initial` requests per second, or held at
    /// `ceiling` when the limit is documented.
    pub(crate) fn new(initial: f64, ceiling: Option<f64>) -> Controller {
        let (rate, phase) = match ceiling {
            Some(ceiling) => (ceiling, Phase::Hold),
            None => (initial.max(MIN_RATE), Phase::Start),
        };
        Controller {
            rate,
            ceiling,
            phase,
            generation: 0,
            next_slot: None,
            pause_until: None,
            recovery_target: None,
            estimated: false,
            episode: None,
            refusing_since: None,
            throttled: 0,
            clean: 0,
        }
    }

    /// The current rate, requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// Whether a limit was learned (a 429 seen) or documented.
    pub(crate) fn holds_a_limit(&self) -> bool {
        self.phase == Phase::Hold
    }

    /// 429 answers seen.
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled
    }

    /// Clean answers seen.
    pub(crate) fn clean(&self) -> u64 {
        self.clean
    }

    /// Since when the service has refused every request of this lane.
    pub(crate) fn refusing_since(&self) -> Option<Instant> {
        self.refusing_since
    }

    fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate)
    }

    /// The earliest time the next request may be sent.
    pub(crate) fn earliest(&self, now: Instant) -> Instant {
        let slot = self.next_slot.map_or(now, |next| next.max(now));
        match self.pause_until {
            Some(pause) => slot.max(pause),
            None => slot,
        }
    }

    /// Takes the slot at `now` (no earlier than [`earliest`](Self::earliest)).
    pub(crate) fn take(&mut self, now: Instant, limited: bool) -> Grant {
        // Late by a little: keep the schedule, so the next slot comes sooner.
        // Idle for longer: start again from now, without a saved-up burst.
        let base = match self.next_slot {
            Some(next) if now <= next + CATCH_UP => next,
            _ => now,
        };
        self.next_slot = Some(base + self.interval());
        Grant {
            generation: self.generation,
            sent_at: now,
            limited,
        }
    }

    /// Learns from the answer to a request sent under `grant`, answered at `now`.
    pub(crate) fn answer(&mut self, grant: Grant, now: Instant, outcome: Outcome) {
        match outcome {
            Outcome::Neutral => {}
            Outcome::Clean => self.clean_answer(grant),
            Outcome::Throttled(retry_after) => self.throttled_answer(grant, now, retry_after),
        }
    }

    fn clean_answer(&mut self, grant: Grant) {
        self.clean += 1;
        self.refusing_since = None;
        if let Some(episode) = &mut self.episode
            && grant.sent_at > episode.first
        {
            episode.successes += 1;
        }
        if !grant.limited {
            return;
        }
        match self.phase {
            Phase::Start => self.rate += START_STEP,
            Phase::Hold => match self.recovery_target {
                Some(target) if self.rate < target => {
                    self.rate = (self.rate + RECOVERY_STEP).min(target);
                    if self.rate >= target {
                        // Back where the unmeasured cut started: from here on
                        // only probing, and the next cut sets its own target.
                        self.recovery_target = None;
                    }
                }
                _ => self.rate += PROBE_STEP,
            },
        }
        if let Some(ceiling) = self.ceiling {
            self.rate = self.rate.min(ceiling);
        }
    }

    fn throttled_answer(&mut self, grant: Grant, now: Instant, retry_after: Option<Duration>) {
        self.throttled += 1;
        self.refusing_since.get_or_insert(now);
        if let Some(wait) = retry_after {
            let until = now + wait.min(MAX_PAUSE);
            let until = self.pause_until.map_or(until, |p| p.max(until));
            self.pause_until = Some(until);
            // The schedule starts again at the pause's end, one slot at a
            // time. Left in the past, the slots the pause held back would go
            // at once when it ends (`CATCH_UP` is for a timer that woke late,
            // not for a wait the service asked for), a burst into a bucket
            // that has just one token: more 429s, and cuts on top of cuts.
            self.next_slot = Some(self.next_slot.map_or(until, |next| next.max(until)));
        }
        let estimate = self.extend_episode(grant.sent_at);
        if grant.generation != self.generation {
            // Sent before the last cut: says nothing about the cut rate.
            return;
        }
        let before = self.rate;
        let cut = match estimate {
            Some(estimate) => {
                self.estimated = true;
                self.recovery_target = None;
                estimate * (1.0 - MARGIN)
            }
            None if self.phase == Phase::Start || !self.estimated => {
                // A cut on top of an unmeasured cut keeps the higher target:
                // the rate it cuts was itself a guess, and two 429s in a row
                // would otherwise leave the lane at a quarter of the limit,
                // growing back at the probing pace with no 429 to correct it.
                let target = before * (1.0 - MARGIN);
                self.recovery_target = Some(self.recovery_target.map_or(target, |t| t.max(target)));
                before / 2.0
            }
            None => before * (1.0 - MARGIN),
        };
        self.rate = cut.max(MIN_RATE);
        if let Some(ceiling) = self.ceiling {
            self.rate = self.rate.min(ceiling);
        }
        self.phase = Phase::Hold;
        self.generation += 1;
        tracing::debug!(
            from = before,
            to = self.rate,
            estimate,
            "throttled: request rate cut"
        );
    }

    /// Adds a throttled request sent at `sent_at` to the episode, and the
    /// service's rate it shows, once enough successes came between.
    fn extend_episode(&mut self, sent_at: Instant) -> Option<f64> {
        match &mut self.episode {
            Some(episode) if sent_at <= episode.last + EPISODE_GAP => {
                episode.last = episode.last.max(sent_at);
                let span = episode.last.saturating_duration_since(episode.first);
                (episode.successes >= MIN_SAMPLES && !span.is_zero())
                    .then(|| episode.successes as f64 / span.as_secs_f64())
            }
            _ => {
                self.episode = Some(Episode {
                    first: sent_at,
                    last: sent_at,
                    successes: 0,
                });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service admitting `rate` per second with a bucket of `burst`.
    struct Bucket {
        rate: f64,
        burst: f64,
        tokens: f64,
        at: Instant,
    }

    impl Bucket {
        fn new(rate: f64, burst: f64, now: Instant) -> Bucket {
            Bucket {
                rate,
                burst,
                tokens: burst,
                at: now,
            }
        }

        fn admit(&mut self, now: Instant) -> bool {
            let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
            self.at = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                true
            } else {
                false
            }
        }
    }

    /// Sends `calls` requests one slot at a time (answers come at once), a
    /// throttled one again later; returns the time taken and the 429s.
    fn run(controller: &mut Controller, bucket: &mut Bucket, calls: usize) -> (Duration, usize) {
        let started = Instant::now();
        let mut now = started;
        let (mut done, mut throttled) = (0, 0);
        while done < calls {
            now = now.max(controller.earliest(now));
            let grant = controller.take(now, true);
            if bucket.admit(now) {
                done += 1;
                controller.answer(grant, now, Outcome::Clean);
            } else {
                throttled += 1;
                controller.answer(grant, now, Outcome::Throttled(None));
            }
        }
        (now - started, throttled)
    }

    #[test]
    fn the_rate_converges_under_an_unknown_limit() {
        for (limit, calls) in [(10.0, 1_000), (100.0, 10_000), (500.0, 10_000)] {
            let now = Instant::now();
            let mut bucket = Bucket::new(limit, limit, now);
            let mut controller = Controller::new(DEFAULT_INITIAL_RATE, None);
            let (took, throttled) = run(&mut controller, &mut bucket, calls);
            let ideal = (calls as f64 - limit) / limit;
            let ratio = took.as_secs_f64() / ideal;
            assert!(ratio < 1.1, "{limit}/s: {ratio:.3} of the ideal time");
            assert!(
                (throttled as f64) < 0.02 * calls as f64,
                "{limit}/s: {throttled} throttled"
            );
            assert!(
                (controller.rate() - limit).abs() < 0.1 * limit,
                "{limit}/s: held at {}",
                controller.rate()
            );
        }
    }

    #[test]
    fn a_documented_limit_is_the_start_and_the_ceiling() {
        let mut controller = Controller::new(DEFAULT_INITIAL_RATE, Some(10.0));
        assert!(controller.holds_a_limit());
        let now = Instant::now();
        let mut bucket = Bucket::new(1_000.0, 1_000.0, now);
        let (took, throttled) = run(&mut controller, &mut bucket, 101);
        assert_eq!(throttled, 0);
        assert_eq!(took, Duration::from_secs(10));
        assert!((controller.rate() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn answers_to_requests_sent_before_a_cut_cut_nothing() {
        let now = Instant::now();
        let mut controller = Controller::new(100.0, None);
        let grants: Vec<Grant> = (0..10).map(|_| controller.take(now, true)).collect();
        for grant in grants {
            controller.answer(grant, now, Outcome::Throttled(None));
        }
        assert!(
            (controller.rate() - 50.0).abs() < 1e-9,
            "one cut for one generation"
        );
        assert_eq!(controller.throttled(), 10);
    }

    #[test]
    fn retry_after_pauses_the_lane() {
        let now = Instant::now();
        let mut controller = Controller::new(100.0, None);
        let grant = controller.take(now, true);
        controller.answer(
            grant,
            now,
            Outcome::Throttled(Some(Duration::from_millis(1500))),
        );
        assert_eq!(controller.earliest(now), now + Duration::from_millis(1500));
        assert_eq!(controller.refusing_since(), Some(now));
        let grant = controller.take(now + Duration::from_millis(1500), true);
        controller.answer(grant, now + Duration::from_millis(1600), Outcome::Clean);
        assert_eq!(controller.refusing_since(), None);
    }

    #[test]
    fn after_a_pause_the_lane_sends_one_slot_at_a_time() {
        let start = Instant::now();
        let mut controller = Controller::new(100.0, None);
        let grant = controller.take(start, true);
        // Throttled, asked to wait 30 ms: the rate is halved to 50/s.
        controller.answer(
            grant,
            start + Duration::from_millis(5),
            Outcome::Throttled(Some(Duration::from_millis(30))),
        );
        let interval = Duration::from_millis(20);
        let mut now = start + Duration::from_millis(5);
        let mut sent = Vec::new();
        for _ in 0..4 {
            now = now.max(controller.earliest(now));
            controller.take(now, true);
            sent.push(now);
        }
        assert_eq!(
            sent[0],
            start + Duration::from_millis(35),
            "at the pause's end"
        );
        for pair in sent.windows(2) {
            assert!(
                pair[1] - pair[0] >= interval - Duration::from_micros(1),
                "no burst after the pause: {sent:?}"
            );
        }
    }

    #[test]
    fn a_cut_on_top_of_an_unmeasured_cut_keeps_the_first_target() {
        let now = Instant::now();
        let mut controller = Controller::new(700.0, None);
        let grant = controller.take(now, true);
        controller.answer(grant, now, Outcome::Throttled(None));
        assert!((controller.rate() - 350.0).abs() < 1e-9);
        // A second 429 right away, too soon for an estimate: halved again.
        let grant = controller.take(now, true);
        controller.answer(grant, now, Outcome::Throttled(None));
        assert!((controller.rate() - 175.0).abs() < 1e-9);
        // Clean answers bring it back towards 95% of 700, not of 350.
        let mut at = now;
        for _ in 0..2_000 {
            at = at.max(controller.earliest(at));
            let grant = controller.take(at, true);
            controller.answer(grant, at, Outcome::Clean);
        }
        assert!(
            controller.rate() > 0.95 * 700.0 - 1e-6,
            "recovered to {}",
            controller.rate()
        );
        assert!(
            controller.rate() < 700.0,
            "then only probing: {}",
            controller.rate()
        );
    }

    #[test]
    fn an_unused_rate_does_not_grow() {
        let now = Instant::now();
        let mut controller = Controller::new(20.0, None);
        for i in 0..100 {
            let at = now + Duration::from_secs(i);
            let grant = controller.take(at, false);
            controller.answer(grant, at, Outcome::Clean);
        }
        assert!((controller.rate() - 20.0).abs() < 1e-9);
        assert!(!controller.holds_a_limit());
    }
}
