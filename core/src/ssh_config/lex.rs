//! One line of an ssh_config file as OpenSSH splits it: a keyword (any case), then its
//! arguments after blanks or one `=`, with `"` or `'` quoting and `\` escaping the quote
//! characters, a backslash and a blank; a `#` that starts an argument ends the line.

/// A keyword (lowercased) and its arguments, or nothing for a blank or comment line.
pub(super) type Line = Option<(String, Vec<String>)>;

/// Splits `text`; the error says what is wrong with the line.
pub(super) fn split(text: &str) -> Result<Line, String> {
    let text = text.trim_end_matches(['\r', '\n', ' ', '\t', '\x0c']);
    let rest = text.trim_start_matches([' ', '\t']);
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }
    let end = rest.find([' ', '\t', '=', '"', '\'']).unwrap_or(rest.len());
    let (keyword, mut rest) = rest.split_at(end);
    if keyword.is_empty() {
        return Err("the line does not start with a keyword".into());
    }
    rest = rest.trim_start_matches([' ', '\t']);
    if let Some(after) = rest.strip_prefix('=') {
        rest = after.trim_start_matches([' ', '\t']);
    }
    let args = arguments(rest)?;
    if args.is_empty() {
        return Err(format!("no argument after keyword \"{keyword}\""));
    }
    Ok(Some((keyword.to_ascii_lowercase(), args)))
}

fn arguments(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None => break,
            Some('#') => break,
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) if chars.peek().is_some_and(|n| matches!(n, '\\' | '"' | '\'' | ' ')) => {
                    arg.extend(chars.next());
                }
                (q, None) if q == '"' || q == '\'' => quote = Some(q),
                (q, Some(open)) if q == open => quote = None,
                (' ' | '\t', None) => break,
                (c, _) => arg.push(c),
            }
        }
        if quote.is_some() {
            return Err("invalid quotes".into());
        }
        args.push(arg);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (String, Vec<String>) {
        split(text).unwrap().unwrap()
    }

    #[test]
    fn keywords_and_both_forms() {
        assert_eq!(ok("  HostName  wsus01.corp\r\n"), ("hostname".into(), vec!["wsus01.corp".into()]));
        assert_eq!(ok("Port=2222"), ("port".into(), vec!["2222".into()]));
        assert_eq!(ok("Port = 2222"), ("port".into(), vec!["2222".into()]));
        assert_eq!(ok("\tUSER\t= admin"), ("user".into(), vec!["admin".into()]));
        assert_eq!(split("   # a comment").unwrap(), None);
        assert_eq!(split("").unwrap(), None);
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(ok(r#"IdentityFile "~/my keys/id" 'b c'"#).1, vec!["~/my keys/id", "b c"]);
        assert_eq!(ok(r"IdentityFile a\ b").1, vec!["a b"]);
        assert_eq!(ok(r#"Host a"b c"d"#).1, vec!["ab cd"]);
        assert_eq!(ok("Host a b # the rest").1, vec!["a", "b"]);
        assert_eq!(ok("Host a#b").1, vec!["a#b"]);
        assert!(split("Host \"a").unwrap_err().contains("invalid quotes"));
        assert!(split("Port").unwrap_err().contains("no argument"));
        assert!(split("Port   # none").unwrap_err().contains("no argument"));
    }
}
