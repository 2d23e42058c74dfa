//! Console text as Windows writes it: bytes in the console's code page (what `chcp` prints:
//! 437 or 850 for Western Europe and the US, 936 for Simplified Chinese, 932 for Japanese),
//! decoded before any parser, report, journal or terminal sees them.
//!
//! The OEM pages that `encoding_rs` lacks (437, 850, 852, 866, ...) come from `oem_cp`; the
//! rest (936, 932, 949, 950, the 125x pages, 65001) from `encoding_rs` through `codepage`.
//! No table is written by hand. A page neither knows, and text before the page is known,
//! is read as UTF-8 with replacement characters, which keeps every ASCII byte as it is.

use std::borrow::Cow;

/// Decodes one line of console output written in code page `page`.
pub fn decode(bytes: &[u8], page: Option<u16>) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // Every code page the console uses agrees with ASCII below 0x80.
        return String::from_utf8_lossy(bytes);
    }
    let Some(page) = page else { return String::from_utf8_lossy(bytes) };
    if let Some(table) = oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&page) {
        return Cow::Owned(table.decode_string_lossy(bytes));
    }
    match codepage::to_encoding(page) {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0,
        None => String::from_utf8_lossy(bytes),
    }
}

/// Whether wsusfix can decode code page `page`.
pub fn is_known(page: u16) -> bool {
    oem_cp::code_table::DECODING_TABLE_CP_MAP.contains_key(&page) || codepage::to_encoding(page).is_some()
}

/// The code page number in `chcp`'s output, in any language: its last number
/// (`Active code page: 936`, `活动代码页: 936`, `Aktive Codepage: 850.`).
pub fn chcp_page(line: &str) -> Option<u16> {
    line.split(|c: char| !c.is_ascii_digit()).rfind(|w| !w.is_empty())?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_from_its_own_bytes() {
        // `ver` on a zh-CN server, in GBK: "Microsoft Windows [版本 6.0.6001]".
        let gbk = b"Microsoft Windows [\xb0\xe6\xb1\xbe 6.0.6001]";
        assert_eq!(decode(gbk, Some(936)), "Microsoft Windows [版本 6.0.6001]");
        // Shift_JIS "エラー".
        assert_eq!(decode(b"\x83G\x83\x89\x81[:", Some(932)), "エラー:");
        // cp850 "Schlüssel", cp437 "é".
        assert_eq!(decode(b"Schl\x81ssel", Some(850)), "Schlüssel");
        assert_eq!(decode(b"\x82", Some(437)), "é");
        assert_eq!(decode("ü".as_bytes(), Some(65001)), "ü");
        // Unknown page or not yet known: UTF-8, lossily; ASCII untouched.
        assert_eq!(decode(b"abc \xff", None), "abc \u{fffd}");
        assert!(is_known(936) && is_known(850) && is_known(437) && is_known(932));
    }

    #[test]
    fn chcp_in_any_language() {
        assert_eq!(chcp_page("Active code page: 437"), Some(437));
        assert_eq!(chcp_page("活动代码页: 936"), Some(936));
        assert_eq!(chcp_page("Aktive Codepage: 850."), Some(850));
        assert_eq!(chcp_page("Page de codes active : 850"), Some(850));
        assert_eq!(chcp_page("現在のコード ページ: 932"), Some(932));
        assert_eq!(chcp_page("no number"), None);
    }
}
