//! Time limits as offices write them: `30m`, `4h` or `3d` — hours and days of working time, or
//! of natural time where the category's or the case's clock is natural.

use std::fmt;

/// A time limit: `30m`, `4h` (working hours) or `3d` (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub amount: u32,
    pub unit: char,
}

impl Limit {
    pub fn parse(text: &str) -> Result<Limit, String> {
        let bad = || format!("{text:?} is not a time limit: a whole number then m, h or d (30m, 4h, 3d)");
        let unit = text.chars().last().filter(|c| matches!(c, 'm' | 'h' | 'd')).ok_or_else(bad)?;
        let amount: u32 = text[..text.len() - 1].parse().map_err(|_| bad())?;
        let max = match unit {
            'm' => 60 * 24 * 30,
            'h' => 24 * 30,
            _ => 366,
        };
        if amount == 0 || amount > max {
            return Err(format!("{text:?} must be from 1 to {max}{unit}"));
        }
        Ok(Limit { amount, unit })
    }
}

impl Limit {
    /// The limit in natural minutes (a day is 24 hours).
    pub fn natural_minutes(self) -> i64 {
        let n = i64::from(self.amount);
        match self.unit {
            'm' => n,
            'h' => n * 60,
            _ => n * 24 * 60,
        }
    }

    /// As offices say it: 30分钟, 4个工作小时, 3个工作日 on the working clock, 4小时, 3天 on the
    /// natural one; a text that is no limit as it is.
    pub fn describe(text: &str, clock: super::Clock) -> String {
        let natural = clock == super::Clock::Natural;
        match Limit::parse(text) {
            Ok(Limit { amount, unit: 'm' }) => format!("{amount}分钟"),
            Ok(Limit { amount, unit: 'h' }) if natural => format!("{amount}小时"),
            Ok(Limit { amount, unit: 'h' }) => format!("{amount}个工作小时"),
            Ok(Limit { amount, .. }) if natural => format!("{amount}天"),
            Ok(Limit { amount, .. }) => format!("{amount}个工作日"),
            Err(_) => text.to_owned(),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_count() {
        assert_eq!(Limit::parse("4h").unwrap(), Limit { amount: 4, unit: 'h' });
        assert_eq!(Limit::parse("3d").unwrap(), Limit { amount: 3, unit: 'd' });
        for bad in ["", "h", "4", "0h", "4w", "-1h", "400d", "1.5h"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }
}
