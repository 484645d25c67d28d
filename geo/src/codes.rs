//! Administrative division codes (行政区划代码): county 6 digits (GB/T 2260), street or town
//! +3 digits, community or village +3 digits (GB/T 10114); and grid cell codes (网格编码), the
//! community's 12 digits + a 2- or 3-digit sequence. Parse, don't validate: these types can only
//! be made by `parse` (or, for cells, from a community and a number), so holding one means it
//! is well formed.

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
        let province: u8 = input[..2].parse().map_err(|_| CodeError::NotDigits)?;
        if !(11..=82).contains(&province) {
            return Err(CodeError::Province);
        }
        // each level's own digits: county 4..6, street 6..9, community 9..12
        for segment in [4..6, 6..9, 9..12].into_iter().filter(|r| r.end <= LEN) {
            if input[segment.clone()].bytes().all(|b| b == b'0') {
                return Err(CodeError::ZeroSegment(segment.len()));
            }
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

/// 网格编码: a cell's code, its community's 12 digits and a sequence of 2 or 3 digits.
///
/// ```
/// use gridhub_geo::{CellCode, CommunityCode};
/// let community = CommunityCode::parse("360102001001").unwrap();
/// let cell = CellCode::new(&community, 7, 2);
/// assert_eq!(cell.as_str(), "36010200100107");
/// assert_eq!(cell.sequence(), "07");
/// assert!(CellCode::parse_under("36010200100207", &community).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellCode(String);

impl CellCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let found = input.chars().count();
        if found != 14 && found != 15 {
            return Err(CodeError::Length { expected: 14, found });
        }
        if !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        CommunityCode::parse(&input[..12])?;
        if input[12..].bytes().all(|b| b == b'0') {
            return Err(CodeError::ZeroSegment(found - 12));
        }
        Ok(Self(input.to_owned()))
    }

    /// Parses `input` and checks that it lies in `community`.
    pub fn parse_under(input: &str, community: &CommunityCode) -> Result<Self, CodeError> {
        let code = Self::parse(input)?;
        if code.0.starts_with(community.as_str()) {
            Ok(code)
        } else {
            Err(CodeError::NotUnderParent { parent: community.to_string() })
        }
    }

    /// The `sequence`-th cell of `community`, its number written in `width` (2 or 3) digits.
    pub fn new(community: &CommunityCode, sequence: u32, width: usize) -> Self {
        let width = width.clamp(2, 3);
        Self(format!("{}{:0width$}", community, sequence.clamp(1, 999), width = width))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits after the community's code: the short label on a map.
    pub fn sequence(&self) -> &str {
        &self.0[12..]
    }
}

impl fmt::Display for CellCode {
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

    #[test]
    fn cell_codes() {
        let c = CommunityCode::parse("360102001001").unwrap();
        assert_eq!(CellCode::new(&c, 123, 3).as_str(), "360102001001123");
        assert_eq!(CellCode::parse("36010200100100"), Err(CodeError::ZeroSegment(2)));
        assert_eq!(CellCode::parse("3601020010010"), Err(CodeError::Length { expected: 14, found: 13 }));
        assert_eq!(
            CellCode::parse("36010200000101"),
            Err(CodeError::ZeroSegment(3)),
            "its community part must be valid"
        );
        assert!(CellCode::parse_under("360102001001001", &c).is_ok());
    }
}
