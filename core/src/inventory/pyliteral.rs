//! How Ansible's INI inventory reads a line: host lines are split as a POSIX shell would
//! (Python's `shlex` with comments), and every `key=value` value is tried as a Python literal
//! (`ast.literal_eval`), falling back to the text as written.
//!
//! Both matter to Windows paths: on a host line `wsus_dir=D:\WSUS` becomes `D:WSUS` (the
//! backslash escapes the `W`), and in a `:vars` section `temp_dir="C:\temp"` becomes `C:`, a
//! tab, `emp`. wsusfix reads them exactly as Ansible does, so that both tools agree on what a
//! host's variables are, and then refuses such values with a hint (see `ini`).

use serde_yaml::{Mapping, Number, Value};

/// One word of a host line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Whether a `\` outside quotes was taken as an escape (and so dropped).
    pub bare_escape: bool,
}

/// Splits a host line into words as `shlex.split(line, comments=True, posix=True)` does:
/// quotes group and are removed, a backslash outside single quotes escapes the next
/// character (inside double quotes only `"` and `\`), and `#` starts a comment.
pub fn shell_words(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut bare_escape = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(Word { text: std::mem::take(&mut word), bare_escape });
                    in_word = false;
                    bare_escape = false;
                }
            }
            '#' => break,
            '\\' => {
                in_word = true;
                bare_escape = true;
                match chars.next() {
                    Some(next) => word.push(next),
                    None => return Err("a `\\` ends the line with nothing to escape".into()),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a `'` is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a `\"` is not closed".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("a `\"` is not closed".into()),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(Word { text: word, bare_escape });
    }
    Ok(words)
}

/// `text` as Python's `ast.literal_eval` reads it (numbers, `True`, `False`, `None`, quoted
/// strings, lists, tuples and dicts), or the text itself when it is not a literal.
pub fn value(text: &str) -> Value {
    let mut parser = Parser { s: text.as_bytes(), text, i: 0 };
    match parser.literal() {
        Some(v) if parser.i == parser.s.len() => v,
        _ => Value::String(text.to_string()),
    }
}

struct Parser<'t> {
    s: &'t [u8],
    text: &'t str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn literal(&mut self) -> Option<Value> {
        match self.peek()? {
            b'\'' | b'"' => self.string(),
            b'[' => self.sequence(b']').map(Value::Sequence),
            b'(' => self.sequence(b')').map(Value::Sequence),
            b'{' => self.mapping(),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.number(),
            _ => self.name(),
        }
    }

    fn name(&mut self) -> Option<Value> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.i += 1;
        }
        match &self.text[start..self.i] {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        let negative = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                true
            }
            Some(b'+') => {
                self.i += 1;
                false
            }
            _ => false,
        };
        let body_start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'))
            || (matches!(self.peek(), Some(b'+' | b'-')) && matches!(self.s[self.i - 1], b'e' | b'E'))
        {
            self.i += 1;
        }
        let body: String = self.text[body_start..self.i].chars().filter(|c| *c != '_').collect();
        if body.is_empty()
            || self.text[body_start..self.i].contains("__")
            || self.text[body_start..self.i].ends_with('_')
        {
            return None;
        }
        let lower = body.to_ascii_lowercase();
        let radix = [("0x", 16), ("0o", 8), ("0b", 2)].into_iter().find(|(p, _)| lower.starts_with(p));
        let integer = match radix {
            Some((prefix, radix)) => i128::from_str_radix(&lower[prefix.len()..], radix).ok(),
            None if body.bytes().all(|b| b.is_ascii_digit()) => {
                // Python 3 refuses `010`: a leading zero only in zero itself.
                if body.len() > 1 && body.starts_with('0') && body.bytes().any(|b| b != b'0') {
                    return None;
                }
                body.parse::<i128>().ok()
            }
            None => None,
        };
        if let Some(n) = integer {
            let n = if negative { -n } else { n };
            return match (i64::try_from(n), u64::try_from(n)) {
                (Ok(n), _) => Some(Value::Number(Number::from(n))),
                (_, Ok(n)) => Some(Value::Number(Number::from(n))),
                _ => Some(Value::String(self.text[start..self.i].to_string())),
            };
        }
        let float_chars = body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        if radix.is_some() || !float_chars || !body.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        let f: f64 = body.parse().ok()?;
        Some(Value::Number(Number::from(if negative { -f } else { f })))
    }

    fn string(&mut self) -> Option<Value> {
        let quote = self.peek()?;
        self.i += 1;
        let mut out = String::new();
        loop {
            let c = self.text[self.i..].chars().next()?;
            self.i += c.len_utf8();
            match c {
                c if c as u32 == u32::from(quote) => return Some(Value::String(out)),
                '\n' => return None,
                '\\' => self.escape(&mut out)?,
                c => out.push(c),
            }
        }
    }

    /// One escape after `\`, as in a Python string literal; an unknown one keeps its `\`.
    fn escape(&mut self, out: &mut String) -> Option<()> {
        let c = self.text[self.i..].chars().next()?;
        self.i += c.len_utf8();
        let simple = match c {
            '\\' => Some('\\'),
            '\'' => Some('\''),
            '"' => Some('"'),
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\n' => return Some(()),
            _ => None,
        };
        if let Some(simple) = simple {
            out.push(simple);
            return Some(());
        }
        let hex = |p: &mut Self, n: usize| -> Option<char> {
            let digits = p.text.get(p.i..p.i + n)?;
            let code = u32::from_str_radix(digits, 16).ok()?;
            p.i += n;
            char::from_u32(code)
        };
        match c {
            'x' => out.push(hex(self, 2)?),
            'u' => out.push(hex(self, 4)?),
            'U' => out.push(hex(self, 8)?),
            '0'..='7' => {
                let mut code = c.to_digit(8)?;
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            code = code * 8 + u32::from(d - b'0');
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(code)?);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
        Some(())
    }

    fn sequence(&mut self, close: u8) -> Option<Vec<Value>> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.blanks();
            if self.peek()? == close {
                self.i += 1;
                return Some(items);
            }
            items.push(self.literal()?);
            self.blanks();
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {}
                _ => return None,
            }
        }
    }

    fn mapping(&mut self) -> Option<Value> {
        self.i += 1;
        let mut map = Mapping::new();
        loop {
            self.blanks();
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(Value::Mapping(map));
            }
            let key = self.literal()?;
            self.blanks();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.blanks();
            let value = self.literal()?;
            map.insert(key, value);
            self.blanks();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {}
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        shell_words(line).unwrap().into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn host_lines_split_as_ansible_splits_them() {
        // Each case was checked against ansible-core 2.19's INI plugin.
        assert_eq!(words(r"wsus01 wsus_dir=D:\WSUS user=CORP\\svc"), ["wsus01", "wsus_dir=D:WSUS", r"user=CORP\svc"]);
        assert_eq!(words(r"h wsus_dir='D:\WSUS\x'"), ["h", r"wsus_dir=D:\WSUS\x"]);
        assert_eq!(words(r#"h temp_dir="C:\temp\n" z="q \"q\"""#), ["h", r"temp_dir=C:\temp\n", r#"z=q "q""#]);
        assert_eq!(words("h a=1  # comment b=2"), ["h", "a=1"]);
        assert_eq!(words("h a=b#c"), ["h", "a=b"]);
        assert!(shell_words("h a='open").is_err());
        let flags: Vec<bool> = shell_words(r"h a=D:\W b='D:\W'").unwrap().iter().map(|w| w.bare_escape).collect();
        assert_eq!(flags, [false, true, false]);
    }

    #[test]
    fn values_are_python_literals_or_text() {
        assert_eq!(value("5"), Value::from(5));
        assert_eq!(value("-5"), Value::from(-5));
        assert_eq!(value("+5"), Value::from(5));
        assert_eq!(value("0x10"), Value::from(16));
        assert_eq!(value("1e3"), Value::from(1000.0));
        assert_eq!(value("7.5"), Value::from(7.5));
        assert_eq!(value("010"), Value::from("010"));
        assert_eq!(value("True"), Value::Bool(true));
        assert_eq!(value("yes"), Value::from("yes"));
        assert_eq!(value("None"), Value::Null);
        assert_eq!(value("'single'"), Value::from("single"));
        assert_eq!(value(r#""C:\temp""#), Value::from("C:\temp"));
        assert_eq!(value(r#""D:\WSUS""#), Value::from(r"D:\WSUS"));
        assert_eq!(value(r"E:\WSUS"), Value::from(r"E:\WSUS"));
        assert_eq!(value("[1, 2]"), Value::Sequence(vec![Value::from(1), Value::from(2)]));
        assert_eq!(value("{a:1}"), Value::from("{a:1}"));
        assert_eq!(value("'a' x"), Value::from("'a' x"));
        assert_eq!(value("10.0.0.5"), Value::from("10.0.0.5"));
        assert_eq!(value("1_000"), Value::from(1000));
    }
}
