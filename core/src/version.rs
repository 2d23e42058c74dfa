//! Version numbers as Windows writes them: four-part file versions (`3.1.6001.66`) and the
//! three-part OS version that `ver` prints (`5.2.3790`). Both order numerically, never as text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Windows file or product version, `Major.Minor.Build.Revision`.
///
/// Missing trailing parts read as zero, so `3.2` orders before `3.2.7600.226`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileVersion {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub revision: u32,
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a version number (expected digits separated by dots, like 3.1.6001.66)")]
pub struct VersionError {
    pub text: String,
}

impl FileVersion {
    pub const fn new(major: u32, minor: u32, build: u32, revision: u32) -> FileVersion {
        FileVersion { major, minor, build, revision }
    }
}

impl FromStr for FileVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<FileVersion, VersionError> {
        let err = || VersionError { text: s.to_string() };
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(err());
        }
        let mut parts = [0u32; 4];
        for (count, piece) in trimmed.split('.').enumerate() {
            if count == 4 || piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            parts[count] = piece.parse().map_err(|_| err())?;
        }
        Ok(FileVersion::new(parts[0], parts[1], parts[2], parts[3]))
    }
}

impl fmt::Display for FileVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}.{}", self.major, self.minor, self.build, self.revision)
    }
}

impl Serialize for FileVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FileVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FileVersion, D::Error> {
        // YAML reads `3.1` as a float; accept any scalar and parse its text.
        let value = serde_yaml::Value::deserialize(d)?;
        let text = match value {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => n.to_string(),
            other => return Err(serde::de::Error::custom(format!("expected a version, found {other:?}"))),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The Windows version that `ver` reports, `Major.Minor.Build`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowsVersion {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
}

/// The Windows releases wsusfix tells apart, because they differ in what they can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowsRelease {
    /// 5.2: Server 2003 and 2003 R2, SBS 2003. No UAC.
    Server2003,
    /// 6.0: Server 2008 (SP1 6001, SP2 6002). UAC: a remote token may be filtered.
    Server2008,
    /// 6.1: Server 2008 R2.
    Server2008R2,
    /// Anything else: decided by the rules that do not depend on the release.
    Other,
}

impl WindowsVersion {
    pub const fn new(major: u32, minor: u32, build: u32) -> WindowsVersion {
        WindowsVersion { major, minor, build }
    }

    pub fn release(&self) -> WindowsRelease {
        match (self.major, self.minor) {
            (5, 2) => WindowsRelease::Server2003,
            (6, 0) => WindowsRelease::Server2008,
            (6, 1) => WindowsRelease::Server2008R2,
            _ => WindowsRelease::Other,
        }
    }

    /// Whether this release has User Account Control, and so may hand a remote session a
    /// filtered token.
    pub fn has_uac(&self) -> bool {
        self.major >= 6
    }
}

impl FromStr for WindowsVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<WindowsVersion, VersionError> {
        let v: FileVersion = s.parse()?;
        if v.revision != 0 || s.trim().split('.').count() != 3 {
            return Err(VersionError { text: s.to_string() });
        }
        Ok(WindowsVersion::new(v.major, v.minor, v.build))
    }
}

impl fmt::Display for WindowsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

impl fmt::Display for WindowsRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WindowsRelease::Server2003 => "Windows Server 2003",
            WindowsRelease::Server2008 => "Windows Server 2008",
            WindowsRelease::Server2008R2 => "Windows Server 2008 R2",
            WindowsRelease::Other => "other Windows",
        })
    }
}

impl Serialize for WindowsVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WindowsVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WindowsVersion, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_versions_order_numerically_not_as_text() {
        let a: FileVersion = "3.1.6001.65".parse().unwrap();
        let b: FileVersion = "3.1.6001.66".parse().unwrap();
        let c: FileVersion = "3.1.6001.100".parse().unwrap();
        assert!(a < b && b < c, "text order would put .100 before .66");
        assert!("3.2".parse::<FileVersion>().unwrap() < "3.2.7600.226".parse().unwrap());
    }

    #[test]
    fn file_version_rejects_what_is_not_a_version() {
        for bad in ["", "3..1", "3.1.x", "1.2.3.4.5", "v3.1", " . ", "99999999999"] {
            assert!(bad.parse::<FileVersion>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(" 3.1.6001.66 ".parse::<FileVersion>().unwrap().to_string(), "3.1.6001.66");
    }

    #[test]
    fn file_version_reads_yaml_numbers_and_strings() {
        let v: FileVersion = serde_yaml::from_str("3.1").unwrap();
        assert_eq!(v, FileVersion::new(3, 1, 0, 0));
        let v: FileVersion = serde_yaml::from_str("'3.1.6001.66'").unwrap();
        assert_eq!(v, FileVersion::new(3, 1, 6001, 66));
    }

    #[test]
    fn windows_releases_by_version() {
        let r = |s: &str| s.parse::<WindowsVersion>().unwrap().release();
        assert_eq!(r("5.2.3790"), WindowsRelease::Server2003);
        assert_eq!(r("6.0.6001"), WindowsRelease::Server2008);
        assert_eq!(r("6.0.6002"), WindowsRelease::Server2008);
        assert_eq!(r("6.1.7601"), WindowsRelease::Server2008R2);
        assert_eq!(r("10.0.14393"), WindowsRelease::Other);
        assert!("5.2".parse::<WindowsVersion>().is_err());
        assert!(!"5.2.3790".parse::<WindowsVersion>().unwrap().has_uac());
    }
}
