//! Time limits as offices write them: `30m`, `4h` (working hours) or `3d` (working days).

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
    /// As offices say it: 30分钟, 4个工作小时, 3个工作日; a text that is no limit as it is.
    pub fn describe(text: &str) -> String {
        match Limit::parse(text) {
            Ok(Limit { amount, unit: 'm' }) => format!("{amount}分钟"),
            Ok(Limit { amount, unit: 'h' }) => format!("{amount}个工作小时"),
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
