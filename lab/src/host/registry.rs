//! The simulated registry: keys by full path (case-insensitive), each with typed values.
//! Both views of a 64-bit machine are plain keys: the 32-bit view lives under
//! `HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node`, as `reg query` shows it from a 64-bit shell.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A registry value's data, by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RegData {
    #[serde(rename = "REG_SZ")]
    Sz(String),
    #[serde(rename = "REG_EXPAND_SZ")]
    ExpandSz(String),
    #[serde(rename = "REG_DWORD")]
    Dword(u32),
    #[serde(rename = "REG_MULTI_SZ")]
    MultiSz(Vec<String>),
    #[serde(rename = "REG_BINARY")]
    Binary(String),
}

impl RegData {
    /// The type token `reg query` prints.
    pub fn type_name(&self) -> &'static str {
        match self {
            RegData::Sz(_) => "REG_SZ",
            RegData::ExpandSz(_) => "REG_EXPAND_SZ",
            RegData::Dword(_) => "REG_DWORD",
            RegData::MultiSz(_) => "REG_MULTI_SZ",
            RegData::Binary(_) => "REG_BINARY",
        }
    }

    /// The data column of `reg query`.
    pub fn display(&self) -> String {
        match self {
            RegData::Sz(s) | RegData::ExpandSz(s) => s.clone(),
            RegData::Dword(n) => format!("0x{n:x}"),
            RegData::MultiSz(items) => items.join("\\0"),
            RegData::Binary(hex) => hex.to_ascii_uppercase(),
        }
    }

    /// The text of a string value, or the number of a DWORD as text.
    pub fn as_text(&self) -> String {
        match self {
            RegData::Dword(n) => n.to_string(),
            other => other.display(),
        }
    }
}

/// A named value in a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegValue {
    pub name: String,
    #[serde(flatten)]
    pub data: RegData,
}

/// A key with its values in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegKey {
    pub path: String,
    pub values: Vec<RegValue>,
}

/// All keys of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    keys: BTreeMap<String, RegKey>,
}

/// Expands a root abbreviation (`HKLM\...`) and trims stray backslashes.
pub fn canonical_key(path: &str) -> String {
    let path = path.trim().trim_matches('\\');
    let (root, rest) = path.split_once('\\').unwrap_or((path, ""));
    let root = match root.to_ascii_uppercase().as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE",
        "HKCU" | "HKEY_CURRENT_USER" => "HKEY_CURRENT_USER",
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT",
        "HKU" | "HKEY_USERS" => "HKEY_USERS",
        "HKCC" | "HKEY_CURRENT_CONFIG" => "HKEY_CURRENT_CONFIG",
        _ => return path.to_string(),
    };
    if rest.is_empty() {
        root.to_string()
    } else {
        format!("{root}\\{rest}")
    }
}

fn lookup_key(path: &str) -> String {
    canonical_key(path).to_ascii_lowercase()
}

impl Registry {
    /// The key at `path`, if it exists.
    pub fn key(&self, path: &str) -> Option<&RegKey> {
        self.keys.get(&lookup_key(path))
    }

    /// True when `path` exists as a key or as the parent of one.
    pub fn key_exists(&self, path: &str) -> bool {
        let wanted = lookup_key(path);
        let prefix = format!("{wanted}\\");
        self.keys.contains_key(&wanted) || self.keys.keys().any(|k| k.starts_with(&prefix))
    }

    /// Direct subkeys of `path`, with their full paths as stored.
    pub fn subkeys(&self, path: &str) -> Vec<String> {
        let canonical = canonical_key(path);
        let prefix = format!("{}\\", canonical.to_ascii_lowercase());
        let mut out: Vec<String> = Vec::new();
        for key in self.keys.values() {
            let lower = key.path.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix(&prefix) {
                let first = rest.split('\\').next().unwrap_or(rest);
                let original = &key.path[prefix.len()..prefix.len() + first.len()];
                let full = format!("{canonical}\\{original}");
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&full)) {
                    out.push(full);
                }
            }
        }
        out
    }

    /// One value of a key.
    pub fn value(&self, path: &str, name: &str) -> Option<&RegValue> {
        self.key(path)?.values.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }

    /// Creates or replaces a value (creating the key).
    pub fn set(&mut self, path: &str, name: &str, data: RegData) {
        let canonical = canonical_key(path);
        let key = self
            .keys
            .entry(canonical.to_ascii_lowercase())
            .or_insert_with(|| RegKey { path: canonical, values: Vec::new() });
        match key.values.iter_mut().find(|v| v.name.eq_ignore_ascii_case(name)) {
            Some(v) => v.data = data,
            None => key.values.push(RegValue { name: name.to_string(), data }),
        }
    }

    /// Creates a key with no values (as `reg add KEY` does); an existing one is left as it is.
    pub fn create_key(&mut self, path: &str) {
        let canonical = canonical_key(path);
        self.keys
            .entry(canonical.to_ascii_lowercase())
            .or_insert_with(|| RegKey { path: canonical, values: Vec::new() });
    }

    /// Deletes one value of a key; true when it was there.
    pub fn delete_value(&mut self, path: &str, name: &str) -> bool {
        let Some(key) = self.keys.get_mut(&lookup_key(path)) else { return false };
        let before = key.values.len();
        key.values.retain(|v| !v.name.eq_ignore_ascii_case(name));
        before != key.values.len()
    }

    /// Deletes a key and its subkeys; true when something was deleted.
    pub fn delete_tree(&mut self, path: &str) -> bool {
        let wanted = lookup_key(path);
        let prefix = format!("{wanted}\\");
        let before = self.keys.len();
        self.keys.retain(|k, _| *k != wanted && !k.starts_with(&prefix));
        before != self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_abbreviations_expand() {
        let mut reg = Registry::default();
        reg.set(r"HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup", "InstallType", RegData::Dword(1));
        let key = reg.key(r"hkey_local_machine\software\microsoft\update services\server\setup").unwrap();
        assert_eq!(key.path, r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup");
        assert_eq!(reg.value(&key.path.clone(), "installtype").unwrap().data.display(), "0x1");
        assert!(reg.key_exists(r"HKLM\SOFTWARE\Microsoft"));
        assert_eq!(
            reg.subkeys(r"HKLM\SOFTWARE\Microsoft\Update Services"),
            vec![r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server".to_string()]
        );
        assert!(reg.delete_tree(r"HKLM\SOFTWARE\Microsoft\Update Services"));
        assert!(!reg.key_exists(r"HKLM\SOFTWARE\Microsoft"));
    }
}
