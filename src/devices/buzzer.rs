//! The buzzer: a distinct pattern per arrival type and for errors. On the Pi through
//! `rppal` (an active buzzer switched on a pin, or a passive one driven by software PWM at
//! a frequency), elsewhere simulated: the simulator records each on/off step with its time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveTime;

use super::DeviceError;

/// What the buzzer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    /// An appointment arrived: two short beeps.
    Appointment,
    /// A walk-in joined the queue: one beep.
    Walkin,
    /// A VIP arrived: three short and one long.
    Vip,
    /// Something needs staff (printer out of paper, reader failing): long, long.
    Error,
}

impl Pattern {
    pub const ALL: [Pattern; 4] = [Pattern::Appointment, Pattern::Walkin, Pattern::Vip, Pattern::Error];

    pub fn parse(s: &str) -> Option<Pattern> {
        match s.trim().to_ascii_lowercase().as_str() {
            "appointment" => Some(Pattern::Appointment),
            "walkin" | "walk-in" => Some(Pattern::Walkin),
            "vip" => Some(Pattern::Vip),
            "error" => Some(Pattern::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Appointment => "appointment",
            Pattern::Walkin => "walkin",
            Pattern::Vip => "vip",
            Pattern::Error => "error",
        }
    }

    /// (on, off) steps in milliseconds.
    pub fn steps(self) -> &'static [(u64, u64)] {
        match self {
            Pattern::Appointment => &[(150, 120), (150, 0)],
            Pattern::Walkin => &[(300, 0)],
            Pattern::Vip => &[(100, 80), (100, 80), (100, 80), (500, 0)],
            Pattern::Error => &[(600, 250), (600, 0)],
        }
    }
}

/// Hours in which only errors sound (a shop's early or late quiet time), local time.
pub use crate::domain::time::DailySpan as QuietHours;

/// A buzzer. `play` blocks for the pattern's length (a second at most): call it off the UI
/// thread.
pub trait Buzzer: Send {
    fn name(&self) -> String;
    fn play(&mut self, p: Pattern) -> Result<(), DeviceError>;
}

/// Plays patterns unless quiet hours say otherwise (errors always sound).
pub struct Quiet<B> {
    pub inner: B,
    pub quiet: Option<QuietHours>,
}

impl<B: Buzzer> Quiet<B> {
    /// Plays `p` at local time `now`; `Ok(false)` when quiet hours kept it silent.
    pub fn play_at(&mut self, p: Pattern, now: NaiveTime) -> Result<bool, DeviceError> {
        if p != Pattern::Error && self.quiet.is_some_and(|q| q.contains(now)) {
            tracing::debug!(pattern = p.as_str(), "buzzer quiet");
            return Ok(false);
        }
        self.inner.play(p)?;
        Ok(true)
    }
}

/// One recorded step of the simulated buzzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub on: bool,
    /// Since the recorder was made.
    pub at: Duration,
}

/// The simulated buzzer: records the on/off steps it would drive, with their times, and
/// sleeps like the real one unless told not to.
#[derive(Clone)]
pub struct SimBuzzer {
    pub steps: Arc<Mutex<Vec<Step>>>,
    pub played: Arc<Mutex<Vec<Pattern>>>,
    started: Instant,
    /// Simulated milliseconds played so far (when not in real time).
    virtual_ms: Arc<std::sync::atomic::AtomicU64>,
    pub real_time: bool,
}

impl SimBuzzer {
    pub fn new(real_time: bool) -> SimBuzzer {
        SimBuzzer {
            steps: Arc::default(),
            played: Arc::default(),
            started: Instant::now(),
            virtual_ms: Arc::default(),
            real_time,
        }
    }

    pub fn patterns(&self) -> Vec<Pattern> {
        self.played.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl Buzzer for SimBuzzer {
    fn name(&self) -> String {
        "模拟蜂鸣器 simulated buzzer".into()
    }

    fn play(&mut self, p: Pattern) -> Result<(), DeviceError> {
        let lock = |e: std::sync::PoisonError<_>| DeviceError::Buzzer(format!("{e}"));
        self.played.lock().map_err(lock)?.push(p);
        use std::sync::atomic::Ordering;
        for &(on, off) in p.steps() {
            for (state, ms) in [(true, on), (false, off)] {
                let at = if self.real_time {
                    self.started.elapsed()
                } else {
                    Duration::from_millis(self.virtual_ms.fetch_add(ms, Ordering::Relaxed))
                };
                self.steps.lock().map_err(|e| DeviceError::Buzzer(e.to_string()))?.push(Step { on: state, at });
                if self.real_time {
                    std::thread::sleep(Duration::from_millis(ms));
                }
            }
        }
        Ok(())
    }
}

/// How the buzzer is wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wiring {
    /// BCM pin number.
    pub pin: u8,
    /// The buzzer sounds when the pin is low (a PNP driver or some modules).
    pub active_low: bool,
    /// 0: an active buzzer (switched on and off). Otherwise a passive one driven at this
    /// frequency in Hz.
    pub pwm_hz: u32,
}

/// The buzzer on a Raspberry Pi's GPIO.
#[cfg(target_os = "linux")]
pub struct GpioBuzzer {
    pin: rppal::gpio::OutputPin,
    wiring: Wiring,
}

#[cfg(target_os = "linux")]
impl GpioBuzzer {
    pub fn open(wiring: Wiring) -> Result<GpioBuzzer, DeviceError> {
        let gpio = rppal::gpio::Gpio::new().map_err(|e| DeviceError::Buzzer(format!("GPIO: {e}")))?;
        let pin = gpio.get(wiring.pin).map_err(|e| DeviceError::Buzzer(format!("GPIO {}: {e}", wiring.pin)))?;
        let mut pin = pin.into_output();
        pin.set_reset_on_drop(true);
        let mut b = GpioBuzzer { pin, wiring };
        b.set(false)?;
        Ok(b)
    }

    fn set(&mut self, on: bool) -> Result<(), DeviceError> {
        let err = |e: rppal::gpio::Error| DeviceError::Buzzer(e.to_string());
        if self.wiring.pwm_hz > 0 {
            if on {
                return self.pin.set_pwm_frequency(f64::from(self.wiring.pwm_hz), 0.5).map_err(err);
            }
            self.pin.clear_pwm().map_err(err)?;
        }
        // an active buzzer sounds while the pin is at its active level; both kinds rest at
        // the inactive one
        if on != self.wiring.active_low {
            self.pin.set_high()
        } else {
            self.pin.set_low()
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
impl Buzzer for GpioBuzzer {
    fn name(&self) -> String {
        format!("蜂鸣器 buzzer GPIO{}", self.wiring.pin)
    }

    fn play(&mut self, p: Pattern) -> Result<(), DeviceError> {
        for &(on, off) in p.steps() {
            self.set(true)?;
            std::thread::sleep(Duration::from_millis(on));
            self.set(false)?;
            std::thread::sleep(Duration::from_millis(off));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn patterns_are_distinct_and_short() {
        for (i, a) in Pattern::ALL.iter().enumerate() {
            for b in &Pattern::ALL[i + 1..] {
                assert_ne!(a.steps(), b.steps(), "{a:?} and {b:?} sound the same");
            }
            let total: u64 = a.steps().iter().map(|(on, off)| on + off).sum();
            assert!(total <= 1500, "{a:?} lasts {total} ms");
            assert_eq!(Pattern::parse(a.as_str()), Some(*a));
        }
    }

    #[test]
    fn quiet_hours_cross_midnight() {
        let q = QuietHours::parse("21:00-09:00").unwrap();
        assert!(q.contains(t(22, 0)) && q.contains(t(3, 0)) && q.contains(t(8, 59)));
        assert!(!q.contains(t(9, 0)) && !q.contains(t(20, 59)));
        let day = QuietHours::parse("12:00-13:30").unwrap();
        assert!(day.contains(t(12, 30)) && !day.contains(t(13, 30)));
        assert!(QuietHours::parse("9-10").is_none());
    }

    #[test]
    fn quiet_hours_silence_arrivals_but_not_errors() {
        let sim = SimBuzzer::new(false);
        let mut b = Quiet { inner: sim.clone(), quiet: QuietHours::parse("21:00-09:00") };
        assert!(!b.play_at(Pattern::Vip, t(22, 0)).unwrap());
        assert!(b.play_at(Pattern::Error, t(22, 0)).unwrap());
        assert!(b.play_at(Pattern::Walkin, t(10, 0)).unwrap());
        assert_eq!(sim.patterns(), vec![Pattern::Error, Pattern::Walkin]);
        // error: on, off, on, off; walk-in: on, off
        let steps = sim.steps.lock().unwrap();
        let ons: Vec<bool> = steps.iter().map(|s| s.on).collect();
        assert_eq!(ons, [true, false, true, false, true, false]);
        assert!(steps.windows(2).all(|w| w[0].at <= w[1].at));
        // the walk-in's beep starts when the error's last step ended: 600 + 250 + 600 ms
        assert_eq!(steps[4].at, Duration::from_millis(1450));
        assert_eq!(steps[5].at - steps[4].at, Duration::from_millis(300));
    }
}
