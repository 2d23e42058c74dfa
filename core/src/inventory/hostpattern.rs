//! Host names as Ansible writes them: ranges (`wsus[01:20]`, `web[a:f]`, a stride
//! `[01:20:5]`) and a port after the name (`wsus01:2222`), in YAML keys and INI lines alike.
//!
//! Expansion follows Ansible's `expand_hostname_range`: a range with a leading zero keeps its
//! width (so both ends must have the same width), letters run through `a..z` then `A..Z`, and
//! several ranges in one name multiply. Where Ansible would quietly produce nothing (an end
//! before the start) this is an error, and a pattern that would make more than
//! [`MAX_EXPANSION`] names is refused before any is made.

use super::validate::Reason;

/// The most names one pattern may expand to.
pub const MAX_EXPANSION: usize = 100_000;

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A host pattern split into its names and the port written after it, if any.
#[derive(Debug, PartialEq, Eq)]
pub struct Expanded {
    pub names: Vec<String>,
    pub port: Option<u16>,
}

/// Expands `pattern` (`name`, `name:port`, `name[01:03]`, …) into host names.
pub fn expand(pattern: &str) -> Result<Expanded, Reason> {
    let (base, port) = split_port(pattern)?;
    let names = expand_ranges(base)?;
    Ok(Expanded { names, port })
}

/// `name:port` → (`name`, port). A colon inside `[…]` belongs to a range; a name with more
/// than one colon outside brackets (an IPv6 address) has no port.
fn split_port(pattern: &str) -> Result<(&str, Option<u16>), Reason> {
    let mut depth = 0usize;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    let [colon] = colons[..] else { return Ok((pattern, None)) };
    let (base, digits) = (&pattern[..colon], &pattern[colon + 1..]);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the port after `:` in `{pattern}` must be a number"));
    }
    match digits.parse::<u16>() {
        Ok(port) if port > 0 => Ok((base, Some(port))),
        _ => Err(format!("the port in `{pattern}` must be between 1 and 65535")),
    }
}

fn expand_ranges(pattern: &str) -> Result<Vec<String>, Reason> {
    let Some(open) = pattern.find('[') else { return Ok(vec![pattern.to_string()]) };
    let Some(close) = pattern[open..].find(']').map(|i| open + i) else {
        return Err(format!("`{pattern}` opens a range with `[` but does not close it"));
    };
    let (head, range, tail) = (&pattern[..open], &pattern[open + 1..close], &pattern[close + 1..]);
    let values = range_values(range).map_err(|why| format!("host range `[{range}]` in `{pattern}`: {why}"))?;
    let tails = expand_ranges(tail)?;
    if values.len().saturating_mul(tails.len()) > MAX_EXPANSION {
        return Err(format!("`{pattern}` expands to more than {MAX_EXPANSION} hosts"));
    }
    let mut names = Vec::with_capacity(values.len() * tails.len());
    for value in &values {
        for tail in &tails {
            names.push(format!("{head}{value}{tail}"));
        }
    }
    Ok(names)
}

/// The values of one range, `begin:end` or `begin:end:step`.
fn range_values(range: &str) -> Result<Vec<String>, Reason> {
    let parts: Vec<&str> = range.split(':').collect();
    let (begin, end, step) = match parts[..] {
        [begin, end] => (begin, end, "1"),
        [begin, end, step] => (begin, end, step),
        _ => return Err("a range is `begin:end` or `begin:end:step`".into()),
    };
    let begin = if begin.is_empty() { "0" } else { begin };
    if end.is_empty() {
        return Err("the range has no end".into());
    }
    let step: usize = match step.parse() {
        Ok(step) if step > 0 => step,
        _ => return Err(format!("the step `{step}` must be a whole number above 0")),
    };
    if let (Some(b), Some(e)) = (letter(begin), letter(end)) {
        if b > e {
            return Err("the first letter comes after the last".into());
        }
        return Ok(LETTERS[b..=e].chars().step_by(step).map(String::from).collect());
    }
    let width = if begin.len() > 1 && begin.starts_with('0') {
        if begin.len() != end.len() {
            return Err("a range with leading zeros needs both ends of the same width (`01:20`, not `01:5`)".into());
        }
        begin.len()
    } else {
        0
    };
    let number = |s: &str| s.parse::<u64>().map_err(|_| format!("`{s}` is neither a number nor a single letter"));
    let (b, e) = (number(begin)?, number(end)?);
    if b > e {
        return Err("the first number is larger than the last".into());
    }
    let count = (e - b) / step as u64 + 1;
    if count > MAX_EXPANSION as u64 {
        return Err(format!("it makes more than {MAX_EXPANSION} hosts"));
    }
    Ok((b..=e).step_by(step).map(|n| format!("{n:0width$}")).collect())
}

fn letter(s: &str) -> Option<usize> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => LETTERS.find(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        expand(pattern).unwrap().names
    }

    #[test]
    fn numeric_ranges_keep_their_width_and_stride() {
        assert_eq!(names("wsus[01:03]"), ["wsus01", "wsus02", "wsus03"]);
        assert_eq!(names("s[01:10:5]"), ["s01", "s06"]);
        assert_eq!(names("h[8:10].corp"), ["h8", "h9", "h10"].map(|h| format!("{h}.corp")));
        assert_eq!(names("h[:2]"), ["h0", "h1", "h2"]);
    }

    #[test]
    fn letter_ranges_and_several_ranges_multiply() {
        assert_eq!(names("web[a:c]"), ["weba", "webb", "webc"]);
        assert_eq!(names("r[1:2]n[a:b]"), ["r1na", "r1nb", "r2na", "r2nb"]);
        assert_eq!(names("x[y:B]"), ["xy", "xz", "xA", "xB"]);
    }

    #[test]
    fn a_port_follows_the_name() {
        assert_eq!(expand("edge01:2022").unwrap(), Expanded { names: vec!["edge01".into()], port: Some(2022) });
        assert_eq!(expand("w[1:2]:22").unwrap().port, Some(22));
        assert_eq!(expand("fe80::1").unwrap().port, None);
        assert!(expand("edge01:ssh").unwrap_err().contains("must be a number"));
        assert!(expand("edge01:70000").unwrap_err().contains("65535"));
    }

    #[test]
    fn bad_ranges_say_why() {
        assert!(expand("h[01:3]").unwrap_err().contains("same width"));
        assert!(expand("h[3:1]").unwrap_err().contains("larger than the last"));
        assert!(expand("h[1:]").unwrap_err().contains("no end"));
        assert!(expand("h[1:3:0]").unwrap_err().contains("step"));
        assert!(expand("h[1:3").unwrap_err().contains("does not close"));
        assert!(expand("h[1-3]").unwrap_err().contains("begin:end"));
        assert!(expand("h[0:99999999]").unwrap_err().contains("more than"));
        assert!(expand("a[0:999]b[0:999]").unwrap_err().contains("more than"));
    }
}
