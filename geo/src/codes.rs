//! Administrative division codes (行政区划代码): county 6 digits (GB/T 2260), street or town
//! +3 digits, community or village +3 digits (GB/T 10114). Parse, don't validate: a
//! `DivisionCode<N>` can only be made by `parse`, so holding one means it is well formed.

use std::fmt;

/// A division code of exactly `LEN` ASCII digits.
///
/// ```
/// use gridhub_geo::{DistrictCode, StreetCode};
/// let district = DistrictCode::parse("360102").unwrap();
/// let street = StreetCode::parse("360102001").unwrap();
/// assert!(street.extends(&district));
/// assert!(StreetCode::parse("36010200").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DivisionCode<const LEN: usize>(String);

/// 区/县: 6 digits, e.g. 360102 (东湖区, 南昌).
pub type DistrictCode = DivisionCode<6>;
/// 街道/乡镇: the district's 6 digits + 3, e.g. 360102001.
pub type StreetCode = DivisionCode<9>;
/// 社区/村: the street's 9 digits + 3, e.g. 360102001001.
pub type CommunityCode = DivisionCode<12>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("must be {expected} digits, got {found} characters")]
    Length { expected: usize, found: usize },
    #[error("must contain only the digits 0-9")]
    NotDigits,
    #[error("the last {0} digits name this level and cannot all be zero")]
    ZeroSegment(usize),
    #[error("the first two digits must be a province code (11-82)")]
    Province,
    #[error("must begin with its parent's code {parent}")]
    NotUnderParent { parent: String },
}

impl<const LEN: usize> DivisionCode<LEN> {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let found = input.chars().count();
        if found != LEN {
            return Err(CodeError::Length { expected: LEN, found });
        }
        if !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        let own = if LEN == 6 { 4..6 } else { LEN - 3..LEN };
        if LEN == 6 {
            let province: u8 = input[..2].parse().map_err(|_| CodeError::NotDigits)?;
            if !(11..=82).contains(&province) {
                return Err(CodeError::Province);
            }
        }
        if input[own.clone()].bytes().all(|b| b == b'0') {
            return Err(CodeError::ZeroSegment(own.len()));
        }
        Ok(Self(input.to_owned()))
    }

    /// Parses `input` and checks that it lies under `parent` (begins with the parent's code).
    pub fn parse_under<const P: usize>(input: &str, parent: &DivisionCode<P>) -> Result<Self, CodeError> {
        let code = Self::parse(input)?;
        if code.extends(parent) { Ok(code) } else { Err(CodeError::NotUnderParent { parent: parent.0.clone() }) }
    }

    /// Whether this code lies under `parent`: it is longer and begins with the parent's digits.
    pub fn extends<const P: usize>(&self, parent: &DivisionCode<P>) -> bool {
        P < LEN && self.0.starts_with(&parent.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const LEN: usize> fmt::Display for DivisionCode<LEN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents() {
        let d = DistrictCode::parse("360102").unwrap();
        let s = StreetCode::parse_under("360102004", &d).unwrap();
        let c = CommunityCode::parse_under("360102004002", &s).unwrap();
        assert!(c.extends(&d));
        assert_eq!(
            StreetCode::parse_under("360103001", &d),
            Err(CodeError::NotUnderParent { parent: "360102".into() })
        );
    }

    #[test]
    fn malformed_codes_say_why() {
        assert_eq!(DistrictCode::parse("36010"), Err(CodeError::Length { expected: 6, found: 5 }));
        assert_eq!(DistrictCode::parse("36a102"), Err(CodeError::NotDigits));
        assert_eq!(DistrictCode::parse("990102"), Err(CodeError::Province));
        assert_eq!(DistrictCode::parse("360100"), Err(CodeError::ZeroSegment(2)));
        assert_eq!(StreetCode::parse("360102000"), Err(CodeError::ZeroSegment(3)));
        assert_eq!(CommunityCode::parse("３60102001001"), Err(CodeError::NotDigits));
    }
}
