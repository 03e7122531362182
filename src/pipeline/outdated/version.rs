//! CPython version numbers as python.org and the PSF advisories write them: `3.11.9`, and the
//! pre-releases `3.12.0a1`, `3.12.0b3`, `3.12.0rc2`, ordered as CPython orders them (a < b < rc
//! < final). Artifacts and pins only ever hold final releases (`artifact::PythonVersion`).

use std::cmp::Ordering;
use std::fmt;

use crate::shared::artifact::PythonVersion;

/// A release number, final or pre-release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub release: PythonVersion,
    /// `(0 = a, 1 = b, 2 = rc, number)`; `None` for a final release.
    pub pre: Option<(u8, u32)>,
}

impl Version {
    /// `X.Y.Z` or `X.Y.Z{a|b|rc}N`, numbers without leading zeros and at most 6 digits.
    pub fn parse(text: &str) -> Option<Version> {
        let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
        let (numbers, pre) = text.split_at(split);
        let release = PythonVersion::parse(numbers)?;
        if pre.is_empty() {
            return Some(Version { release, pre: None });
        }
        let (kind, number) = if let Some(n) = pre.strip_prefix("rc") {
            (2, n)
        } else if let Some(n) = pre.strip_prefix('a') {
            (0, n)
        } else if let Some(n) = pre.strip_prefix('b') {
            (1, n)
        } else {
            return None;
        };
        let valid = !number.is_empty()
            && number.len() <= 6
            && number.bytes().all(|b| b.is_ascii_digit())
            && (number == "0" || !number.starts_with('0'));
        valid.then(|| Some(Version { release, pre: Some((kind, number.parse().ok()?)) })).flatten()
    }

    pub fn final_release(release: PythonVersion) -> Version {
        Version { release, pre: None }
    }

    pub fn is_final(&self) -> bool {
        self.pre.is_none()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.release.cmp(&other.release).then_with(|| match (self.pre, other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => a.cmp(&b),
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.release)?;
        if let Some((kind, number)) = self.pre {
            write!(f, "{}{number}", ["a", "b", "rc"][usize::from(kind.min(2))])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_as_cpython_orders_them() {
        let v = |text| Version::parse(text).unwrap_or_else(|| panic!("{text}"));
        assert!(v("3.12.0a1") < v("3.12.0a2"));
        assert!(v("3.12.0a7") < v("3.12.0b1"));
        assert!(v("3.12.0b4") < v("3.12.0rc1"));
        assert!(v("3.12.0rc2") < v("3.12.0"));
        assert!(v("3.11.10") > v("3.11.9"));
        assert_eq!(v("3.12.0rc2").to_string(), "3.12.0rc2");
        assert!(v("3.11.2").is_final());
        for bad in
            ["", "3.11", "3.11.x", "3.11.2c1", "3.11.2rc", "3.11.2rc01", "3.11.02", "3.11.2.1", "v3.11.2", "3.11.2 "]
        {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }
}
