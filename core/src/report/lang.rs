//! The languages documents are written in. English is the default; every language has a
//! message catalogue (`templates/docs/messages/CODE.yaml`) with the same message ids as
//! English's.

use std::fmt;
use std::str::FromStr;

/// A language a document can be written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Simplified Chinese, as used in mainland China.
    ZhCn,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag: `--lang`, the catalogue's file name and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The catalogue's name under `templates/`: `docs/messages/zh-CN.yaml`.
    pub fn catalogue_name(self) -> String {
        format!("docs/messages/{}.yaml", self.code())
    }

    /// The known languages, for a message: `en, zh-CN`.
    pub fn known() -> String {
        Lang::ALL.iter().map(|l| l.code()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language wsusfix does not write documents in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{given}`: documents are written in {}", Lang::known())]
pub struct UnknownLang {
    pub given: String,
}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// The tag as written, case aside (`zh-CN`, `zh-cn`; `zh_CN` as POSIX writes it).
    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        let wanted = s.trim().replace('_', "-");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| UnknownLang { given: s.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_as_written_and_an_unknown_one_names_the_known() {
        assert_eq!("zh-CN".parse::<Lang>(), Ok(Lang::ZhCn));
        assert_eq!("zh_cn".parse::<Lang>(), Ok(Lang::ZhCn));
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        let err = "xx".parse::<Lang>().unwrap_err().to_string();
        assert_eq!(err, "unknown language `xx`: documents are written in en, zh-CN");
    }
}
