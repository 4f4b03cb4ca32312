//! `Edm.Duration`: an ISO 8601 duration.

use std::fmt;
use std::str::FromStr;

/// An ISO 8601 duration, as OData writes `Edm.Duration`: `P1DT2H30M`,
/// `PT0.5S`, `-P3D`.
///
/// It keeps each part as written (years, months, weeks, days, hours,
/// minutes, seconds with up to nine decimals), so `P1M` is not taken for a
/// number of days: [`to_duration`](Self::to_duration) gives a
/// [`time::Duration`] when the value has no years nor months (OData's
/// durations have days at most), and [`from_duration`](Self::from_duration)
/// makes one from it.
///
/// ```
/// use graph_endpoint_device_management::support::IsoDuration;
///
/// let grace: IsoDuration = "P1DT12H".parse().unwrap();
/// assert_eq!(grace.to_duration(), Some(time::Duration::hours(36)));
/// assert_eq!(grace.to_string(), "P1DT12H");
/// assert_eq!(IsoDuration::from_duration(time::Duration::minutes(-90)).to_string(), "-PT1H30M");
/// assert_eq!("P1M".parse::<IsoDuration>().unwrap().to_duration(), None);
/// assert!("1 day".parse::<IsoDuration>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IsoDuration {
    /// Whether it is written with a leading `-`.
    pub negative: bool,
    /// `Y`.
    pub years: u64,
    /// `M` before `T`.
    pub months: u64,
    /// `W`.
    pub weeks: u64,
    /// `D`.
    pub days: u64,
    /// `H`.
    pub hours: u64,
    /// `M` after `T`.
    pub minutes: u64,
    /// `S`, whole seconds.
    pub seconds: u64,
    /// The fraction of `S`, in nanoseconds.
    pub nanoseconds: u32,
}

/// A text that is not an ISO 8601 duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotADuration;

impl fmt::Display for NotADuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an ISO 8601 duration")
    }
}

impl std::error::Error for NotADuration {}

impl IsoDuration {
    /// The duration written with days, hours, minutes and seconds (no weeks,
    /// months nor years).
    ///
    /// ```
    /// use graph_endpoint_device_management::support::IsoDuration;
    /// let d = IsoDuration::from_duration(time::Duration::seconds(90_061));
    /// assert_eq!((d.days, d.hours, d.minutes, d.seconds), (1, 1, 1, 1));
    /// ```
    #[must_use]
    pub fn from_duration(duration: time::Duration) -> Self {
        let negative = duration.is_negative();
        let duration = duration.abs();
        let total = duration.whole_seconds().unsigned_abs();
        IsoDuration {
            negative,
            days: total / 86_400,
            hours: total % 86_400 / 3_600,
            minutes: total % 3_600 / 60,
            seconds: total % 60,
            nanoseconds: duration.subsec_nanoseconds().unsigned_abs(),
            ..IsoDuration::default()
        }
    }

    /// The duration as a [`time::Duration`]; `None` with years or months
    /// (whose length depends on the calendar) or beyond its range.
    ///
    /// ```
    /// use graph_endpoint_device_management::support::IsoDuration;
    /// let d: IsoDuration = "P2W".parse().unwrap();
    /// assert_eq!(d.to_duration(), Some(time::Duration::weeks(2)));
    /// ```
    #[must_use]
    pub fn to_duration(&self) -> Option<time::Duration> {
        if self.years != 0 || self.months != 0 {
            return None;
        }
        let seconds = self
            .weeks
            .checked_mul(604_800)?
            .checked_add(self.days.checked_mul(86_400)?)?
            .checked_add(self.hours.checked_mul(3_600)?)?
            .checked_add(self.minutes.checked_mul(60)?)?
            .checked_add(self.seconds)?;
        let duration = time::Duration::new(
            i64::try_from(seconds).ok()?,
            i32::try_from(self.nanoseconds).ok()?,
        );
        Some(if self.negative { -duration } else { duration })
    }
}

impl FromStr for IsoDuration {
    type Err = NotADuration;

    fn from_str(text: &str) -> Result<Self, NotADuration> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let rest = rest.strip_prefix('P').ok_or(NotADuration)?;
        let (date, time) = match rest.split_once('T') {
            Some((date, time)) if !time.is_empty() => (date, Some(time)),
            Some(_) => return Err(NotADuration),
            None => (rest, None),
        };
        if date.is_empty() && time.is_none() {
            return Err(NotADuration);
        }
        let mut duration = IsoDuration {
            negative,
            ..IsoDuration::default()
        };
        for (number, unit) in parts(date)? {
            let slot = match unit {
                'Y' => &mut duration.years,
                'M' => &mut duration.months,
                'W' => &mut duration.weeks,
                'D' => &mut duration.days,
                _ => return Err(NotADuration),
            };
            *slot = number.parse().map_err(|_| NotADuration)?;
        }
        for (number, unit) in parts(time.unwrap_or(""))? {
            match unit {
                'H' => duration.hours = number.parse().map_err(|_| NotADuration)?,
                'M' => duration.minutes = number.parse().map_err(|_| NotADuration)?,
                'S' => {
                    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
                    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(NotADuration);
                    }
                    duration.seconds = whole.parse().map_err(|_| NotADuration)?;
                    duration.nanoseconds = format!("{fraction:0<9}")
                        .parse()
                        .map_err(|_| NotADuration)?;
                }
                _ => return Err(NotADuration),
            }
        }
        Ok(duration)
    }
}

/// `1DT` → `("1", 'D')`: numbers each followed by one unit letter.
fn parts(text: &str) -> Result<Vec<(&str, char)>, NotADuration> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphabetic() {
            let number = &text[start..i];
            if number.is_empty() || !number.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                return Err(NotADuration);
            }
            out.push((number, c));
            start = i + 1;
        } else if !(c.is_ascii_digit() || c == '.') {
            return Err(NotADuration);
        }
    }
    if start == text.len() {
        Ok(out)
    } else {
        Err(NotADuration)
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        for (value, unit) in [
            (self.years, 'Y'),
            (self.months, 'M'),
            (self.weeks, 'W'),
            (self.days, 'D'),
        ] {
            if value != 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        let has_time =
            self.hours != 0 || self.minutes != 0 || self.seconds != 0 || self.nanoseconds != 0;
        let empty =
            !has_time && self.years == 0 && self.months == 0 && self.weeks == 0 && self.days == 0;
        if has_time || empty {
            f.write_str("T")?;
            if self.hours != 0 {
                write!(f, "{}H", self.hours)?;
            }
            if self.minutes != 0 {
                write!(f, "{}M", self.minutes)?;
            }
            if self.seconds != 0 || self.nanoseconds != 0 || empty {
                write!(f, "{}", self.seconds)?;
                if self.nanoseconds != 0 {
                    let fraction = format!("{:09}", self.nanoseconds);
                    write!(f, ".{}", fraction.trim_end_matches('0'))?;
                }
                f.write_str("S")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_what_graph_writes() {
        for text in [
            "P1D",
            "PT1H",
            "PT30M",
            "PT0.5S",
            "-P3DT4H",
            "P1Y2M3W4DT5H6M7.25S",
            "PT0S",
        ] {
            let d: IsoDuration = text.parse().unwrap();
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(
            "PT0.0000001S".parse::<IsoDuration>().unwrap().nanoseconds,
            100
        );
        for bad in [
            "",
            "P",
            "PT",
            "1D",
            "P1",
            "PDT1H",
            "P1.5.5D",
            "PT1.1234567891S",
            "P-1D",
            "P1DT",
        ] {
            assert!(bad.parse::<IsoDuration>().is_err(), "{bad}");
        }
    }
}
