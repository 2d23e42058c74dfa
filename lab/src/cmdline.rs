//! The `cmd.exe` command-line parser: `%VAR%` expansion, then a syntax tree of simple
//! commands joined by `&`, `&&`, `||`, `|`, parenthesised groups, `if` and redirections.
//!
//! Expansion happens once, on the whole line, before parsing, as `cmd /c` does: an undefined
//! variable is left as written (`%NOPE%`), which is why `%errorlevel%` inside a group is the
//! value from before the line ran. The parser keeps each simple command's raw text (only its
//! redirections are cut out) because `echo` prints its text verbatim, trailing spaces included.
//!
//! ```
//! use wsusfix_lab::cmdline::{parse, Node};
//! let node = parse("(echo a& ver 2>&1 && echo ok|| echo fail)").unwrap();
//! assert!(matches!(node, Node::Group(..)));
//! ```

use thiserror::Error;

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// One command with its raw text (`echo x `) and its redirections.
    Simple(Simple),
    /// `( ... )` with the redirections written after the closing parenthesis.
    Group(Box<Node>, Vec<Redirect>),
    /// `a & b & c`: run everything.
    Seq(Vec<Node>),
    /// `a && b`: run `b` only when `a` succeeded.
    And(Box<Node>, Box<Node>),
    /// `a || b`: run `b` only when `a` failed.
    Or(Box<Node>, Box<Node>),
    /// `a | b`: `a`'s stdout is `b`'s stdin.
    Pipe(Box<Node>, Box<Node>),
    /// `if [/i] [not] COND then [else other]`.
    If(Box<IfCommand>),
    /// Nothing (an empty line or an empty group).
    Empty,
}

/// A simple command: its text with redirections removed, and the redirections in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simple {
    pub text: String,
    pub redirects: Vec<Redirect>,
}

/// One redirection, applied left to right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `> file`, `2>> file`, `2>nul`.
    Out { fd: u8, target: String, append: bool },
    /// `2>&1`.
    Dup { fd: u8, to: u8 },
    /// `< file`, `< nul`.
    In { source: String },
}

/// `if` with its condition and branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfCommand {
    pub negate: bool,
    pub cond: Condition,
    pub then: Node,
    pub otherwise: Option<Node>,
}

/// The conditions of `if` the lab understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Exist(String),
    ErrorLevel(i32),
    Defined(String),
    Equal { left: String, right: String, ignore_case: bool },
}

/// Why a line could not be parsed; cmd.exe prints `message` and the line does not run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
}

fn syntax(message: &str) -> SyntaxError {
    SyntaxError { message: message.to_string() }
}

/// Expands `%NAME%` with `lookup`; unknown names and lone `%` stay literal (`cmd /c` rules).
pub fn expand(line: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 => {
                let name = &after[..end];
                match lookup(name) {
                    Some(value) if !name.contains(char::is_whitespace) => {
                        out.push_str(&value);
                        rest = &after[end + 1..];
                    }
                    _ => {
                        // Left literal; the closing % may open the next variable.
                        out.push('%');
                        out.push_str(name);
                        rest = &after[end..];
                    }
                }
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses an (already expanded) command line.
pub fn parse(line: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser { chars: line.chars().collect(), pos: 0, depth: 0 };
    let node = p.seq()?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        // Only a stray `)` at depth 0 can stop `seq` early.
        return Err(syntax(") was unexpected at this time."));
    }
    Ok(node)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if is_ws(c)) {
            self.pos += 1;
        }
    }

    fn seq(&mut self) -> Result<Node, SyntaxError> {
        let mut items = Vec::new();
        loop {
            let node = self.or()?;
            if node != Node::Empty {
                items.push(node);
            }
            self.skip_ws();
            if self.peek() == Some('&') && self.peek_at(1) != Some('&') {
                self.pos += 1;
                continue;
            }
            break;
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.remove(0),
            _ => Node::Seq(items),
        })
    }

    fn or(&mut self) -> Result<Node, SyntaxError> {
        let mut left = self.and()?;
        loop {
            self.skip_ws();
            if self.peek() == Some('|') && self.peek_at(1) == Some('|') {
                self.pos += 2;
                let right = self.and()?;
                left = Node::Or(Box::new(require(left)?), Box::new(require(right)?));
            } else {
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Node, SyntaxError> {
        let mut left = self.pipe()?;
        loop {
            self.skip_ws();
            if self.peek() == Some('&') && self.peek_at(1) == Some('&') {
                self.pos += 2;
                let right = self.pipe()?;
                left = Node::And(Box::new(require(left)?), Box::new(require(right)?));
            } else {
                return Ok(left);
            }
        }
    }

    fn pipe(&mut self) -> Result<Node, SyntaxError> {
        let mut left = self.command()?;
        loop {
            self.skip_ws();
            if self.peek() == Some('|') && self.peek_at(1) != Some('|') {
                self.pos += 1;
                let right = self.command()?;
                left = Node::Pipe(Box::new(require(left)?), Box::new(require(right)?));
            } else {
                return Ok(left);
            }
        }
    }

    fn command(&mut self) -> Result<Node, SyntaxError> {
        self.skip_ws();
        while self.peek() == Some('@') {
            self.pos += 1;
        }
        match self.peek() {
            None => Ok(Node::Empty),
            Some('(') => self.group(),
            _ if self.keyword("if") => self.if_command(),
            _ => self.simple(),
        }
    }

    /// True when the next word is `word` followed by whitespace (case-insensitive).
    fn keyword(&self, word: &str) -> bool {
        let n = word.chars().count();
        let candidate: String = self.chars.iter().skip(self.pos).take(n).collect();
        candidate.eq_ignore_ascii_case(word) && matches!(self.peek_at(n), Some(c) if is_ws(c))
    }

    fn group(&mut self) -> Result<Node, SyntaxError> {
        self.pos += 1;
        self.depth += 1;
        let inner = self.seq()?;
        self.skip_ws();
        if self.peek() != Some(')') {
            return Err(syntax("More? (unbalanced parentheses)"));
        }
        self.pos += 1;
        self.depth -= 1;
        let mut redirects = Vec::new();
        loop {
            self.skip_ws();
            match self.redirect()? {
                Some(r) => redirects.push(r),
                None => break,
            }
        }
        Ok(Node::Group(Box::new(inner), redirects))
    }

    fn if_command(&mut self) -> Result<Node, SyntaxError> {
        self.pos += 2;
        self.skip_ws();
        let mut ignore_case = false;
        let mut negate = false;
        if self.keyword("/i") {
            ignore_case = true;
            self.pos += 2;
            self.skip_ws();
        }
        if self.keyword("not") {
            negate = true;
            self.pos += 3;
            self.skip_ws();
        }
        let cond = if self.keyword("exist") {
            self.pos += 5;
            self.skip_ws();
            Condition::Exist(unquote(&self.word()))
        } else if self.keyword("errorlevel") {
            self.pos += 10;
            self.skip_ws();
            let word = self.word();
            let level = word.parse().map_err(|_| syntax(&format!("{word} was unexpected at this time.")))?;
            Condition::ErrorLevel(level)
        } else if self.keyword("defined") {
            self.pos += 7;
            self.skip_ws();
            Condition::Defined(self.word())
        } else {
            self.comparison(ignore_case)?
        };
        self.skip_ws();
        let then = self.command_or_rest()?;
        if then == Node::Empty {
            return Err(syntax("The syntax of the command is incorrect."));
        }
        let mut otherwise = None;
        if matches!(then, Node::Group(..)) {
            self.skip_ws();
            let is_else = self.keyword("else")
                || (self.chars.iter().skip(self.pos).take(4).collect::<String>().eq_ignore_ascii_case("else")
                    && self.peek_at(4) == Some('('));
            if is_else {
                self.pos += 4;
                self.skip_ws();
                otherwise = Some(self.command_or_rest()?);
            }
        }
        Ok(Node::If(Box::new(IfCommand { negate, cond, then, otherwise })))
    }

    /// The body of an `if`: a group, or (cmd.exe's quirk) everything to the end of the line.
    fn command_or_rest(&mut self) -> Result<Node, SyntaxError> {
        if self.peek() == Some('(') {
            self.group()
        } else {
            self.seq()
        }
    }

    fn comparison(&mut self, ignore_case: bool) -> Result<Condition, SyntaxError> {
        let start = self.pos;
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if c == '"' {
                quoted = !quoted;
            }
            if !quoted && c == '=' && self.peek_at(1) == Some('=') {
                let left = self.chars[start..self.pos].iter().collect::<String>().trim().to_string();
                self.pos += 2;
                self.skip_ws();
                let right = self.word();
                return Ok(Condition::Equal { left, right, ignore_case });
            }
            if !quoted && is_ws(c) {
                let save = self.pos;
                self.skip_ws();
                if self.peek() == Some('=') && self.peek_at(1) == Some('=') {
                    continue;
                }
                self.pos = save;
                break;
            }
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        Err(syntax(&format!("{} was unexpected at this time.", word.trim())))
    }

    /// A whitespace-delimited word, quotes kept, operators end it.
    fn word(&mut self) -> String {
        let mut out = String::new();
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if c == '"' {
                quoted = !quoted;
            } else if !quoted
                && (is_ws(c) || "&|<>".contains(c) || (c == ')' && self.depth > 0) || (c == '(' && !out.is_empty()))
            {
                break;
            }
            out.push(c);
            self.pos += 1;
        }
        out
    }

    fn simple(&mut self) -> Result<Node, SyntaxError> {
        let mut text = String::new();
        let mut redirects = Vec::new();
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if quoted {
                if c == '"' {
                    quoted = false;
                }
                text.push(c);
                self.pos += 1;
                continue;
            }
            match c {
                '"' => {
                    quoted = true;
                    text.push(c);
                    self.pos += 1;
                }
                '^' => {
                    self.pos += 1;
                    if let Some(next) = self.peek() {
                        text.push(next);
                        self.pos += 1;
                    }
                }
                '&' | '|' => break,
                ')' if self.depth > 0 => break,
                '<' | '>' => {
                    if let Some(r) = self.redirect()? {
                        redirects.push(r);
                    }
                    self.skip_ws();
                }
                d if d.is_ascii_digit() && self.peek_at(1) == Some('>') && text.chars().last().is_none_or(is_ws) => {
                    if let Some(r) = self.redirect()? {
                        redirects.push(r);
                    }
                    self.skip_ws();
                }
                _ => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
        if text.trim().is_empty() && redirects.is_empty() {
            return Ok(Node::Empty);
        }
        Ok(Node::Simple(Simple { text, redirects }))
    }

    /// Parses one redirection at the cursor, if there is one.
    fn redirect(&mut self) -> Result<Option<Redirect>, SyntaxError> {
        let (fd, skip) = match (self.peek(), self.peek_at(1)) {
            (Some(d), Some('>')) if d.is_ascii_digit() => (d as u8 - b'0', 1),
            (Some('>'), _) => (1, 0),
            (Some('<'), _) => {
                self.pos += 1;
                self.skip_ws();
                let source = unquote(&self.word());
                if source.is_empty() {
                    return Err(syntax("The syntax of the command is incorrect."));
                }
                return Ok(Some(Redirect::In { source }));
            }
            _ => return Ok(None),
        };
        self.pos += skip + 1;
        let append = self.peek() == Some('>');
        if append {
            self.pos += 1;
        }
        if self.peek() == Some('&') {
            if let Some(d) = self.peek_at(1).filter(char::is_ascii_digit) {
                self.pos += 2;
                return Ok(Some(Redirect::Dup { fd, to: d as u8 - b'0' }));
            }
        }
        self.skip_ws();
        let target = unquote(&self.word());
        if target.is_empty() {
            return Err(syntax("The syntax of the command is incorrect."));
        }
        Ok(Some(Redirect::Out { fd, target, append }))
    }
}

fn require(node: Node) -> Result<Node, SyntaxError> {
    if node == Node::Empty {
        Err(syntax("The syntax of the command is incorrect."))
    } else {
        Ok(node)
    }
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Removes every double quote (what `cmd` and the C runtime do to a path argument).
pub fn unquote(s: &str) -> String {
    s.chars().filter(|&c| c != '"').collect()
}

/// Splits the argument text of a cmd.exe built-in (`dir`, `copy`, `if`, ...): whitespace
/// separates, quotes group and are removed (`/c:"a b"` becomes `/c:a b`); a backslash is
/// always a plain character (`dir "C:\"` names `C:\`).
pub fn split_args(text: &str) -> Vec<String> {
    split(text, false)
}

/// Splits a program's command line as the C runtime does for `main`'s arguments: as
/// [`split_args`], but a backslash before a quote escapes it (`\"` is a literal quote, as in
/// `schtasks /tr "prog -q \"x y\""`; 2n backslashes before a quote are n backslashes, and
/// the quote groups).
pub fn split_args_crt(text: &str) -> Vec<String> {
    split(text, true)
}

fn split(text: &str, escapes: bool) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut backslashes = 0usize;
    for c in text.chars() {
        if escapes && c == '\\' {
            backslashes += 1;
            in_word = true;
            continue;
        }
        if c == '"' {
            current.extend(std::iter::repeat_n('\\', backslashes / 2));
            let literal = backslashes % 2 == 1;
            backslashes = 0;
            in_word = true;
            if literal {
                current.push('"');
            } else {
                quoted = !quoted;
            }
            continue;
        }
        current.extend(std::iter::repeat_n('\\', backslashes));
        backslashes = 0;
        match c {
            c if is_ws(c) && !quoted => {
                if in_word {
                    args.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    current.extend(std::iter::repeat_n('\\', backslashes));
    if in_word {
        args.push(current);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(text: &str) -> Node {
        Node::Simple(Simple { text: text.into(), redirects: vec![] })
    }

    #[test]
    fn expansion_leaves_undefined_literal() {
        let lookup = |n: &str| (n.eq_ignore_ascii_case("processor_architecture")).then(|| "x86".to_string());
        assert_eq!(
            expand("echo %PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432%", lookup),
            "echo x86 %PROCESSOR_ARCHITEW6432%"
        );
        assert_eq!(expand("echo 100% done", lookup), "echo 100% done");
        assert_eq!(expand("%nope%%PROCESSOR_ARCHITECTURE%", lookup), "%nope%x86");
    }

    #[test]
    fn echo_keeps_trailing_space_before_ampersand() {
        assert_eq!(parse("echo x& ver").unwrap(), Node::Seq(vec![simple("echo x"), simple("ver")]));
        assert_eq!(parse("echo x & ver").unwrap(), Node::Seq(vec![simple("echo x "), simple("ver")]));
    }

    #[test]
    fn probe_section_shape() {
        let node = parse("(echo ::m& ver 2>&1 && echo ::ok|| echo ::fail)").unwrap();
        let Node::Group(inner, redirs) = node else { panic!("not a group") };
        assert!(redirs.is_empty());
        let Node::Seq(items) = *inner else { panic!("not a seq") };
        assert_eq!(items[0], simple("echo ::m"));
        let Node::Or(left, right) = &items[1] else { panic!("not an or") };
        assert_eq!(**right, simple("echo ::fail"));
        let Node::And(ver, ok) = &**left else { panic!("not an and") };
        assert_eq!(
            **ver,
            Node::Simple(Simple { text: "ver ".into(), redirects: vec![Redirect::Dup { fd: 2, to: 1 }] })
        );
        assert_eq!(**ok, simple("echo ::ok"));
    }

    #[test]
    fn redirections_and_quotes() {
        let node = parse(r#"wmic datafile where "name='C:\\a & b'" get Version /value < nul 2>&1"#).unwrap();
        let Node::Simple(s) = node else { panic!() };
        assert_eq!(s.text, r#"wmic datafile where "name='C:\\a & b'" get Version /value "#);
        assert_eq!(s.redirects, vec![Redirect::In { source: "nul".into() }, Redirect::Dup { fd: 2, to: 1 }]);
        let Node::Simple(s) = parse(r#"cmd /c x.exe > "C:\log dir\l.txt" 2>&1"#).unwrap() else { panic!() };
        assert_eq!(
            s.redirects,
            vec![
                Redirect::Out { fd: 1, target: r"C:\log dir\l.txt".into(), append: false },
                Redirect::Dup { fd: 2, to: 1 }
            ]
        );
        let Node::Simple(s) = parse("echo a>>f.txt").unwrap() else { panic!() };
        assert_eq!(s.redirects, vec![Redirect::Out { fd: 1, target: "f.txt".into(), append: true }]);
    }

    #[test]
    fn caret_escapes_and_paren_outside_group() {
        assert_eq!(parse("echo a^&b").unwrap(), simple("echo a&b"));
        assert_eq!(parse("echo x)").unwrap(), simple("echo x)"));
        assert!(parse("(echo x").is_err());
    }

    #[test]
    fn if_exist_else() {
        let node = parse(r#"if exist "C:\a b\c.dll" (echo yes) else (echo no)"#).unwrap();
        let Node::If(cmd) = node else { panic!() };
        assert_eq!(cmd.cond, Condition::Exist(r"C:\a b\c.dll".into()));
        assert!(matches!(cmd.then, Node::Group(..)));
        assert!(matches!(cmd.otherwise, Some(Node::Group(..))));
        let Node::If(cmd) = parse("if not errorlevel 1 echo fine & echo too").unwrap() else { panic!() };
        assert!(cmd.negate);
        assert!(matches!(cmd.then, Node::Seq(_)));
        let Node::If(cmd) = parse(r#"if /i "%x%"=="A" echo same"#).unwrap() else { panic!() };
        assert_eq!(cmd.cond, Condition::Equal { left: "\"%x%\"".into(), right: "\"A\"".into(), ignore_case: true });
    }

    #[test]
    fn split_args_like_the_c_runtime() {
        assert_eq!(
            split_args(r#"findstr /i /c:"Item has already" "C:\x y\l.log""#),
            vec!["findstr", "/i", "/c:Item has already", r"C:\x y\l.log"]
        );
        assert_eq!(split_args(r#"reg query "" "#), vec!["reg", "query", ""]);
        assert_eq!(split_args(r#"dir /-c "C:\""#), vec!["dir", "/-c", r"C:\"], "built-ins know no escapes");
    }

    #[test]
    fn programs_unescape_quotes_like_the_c_runtime() {
        assert_eq!(
            split_args_crt(r#"schtasks /tr "sqlcmd -E -Q \"BACKUP DATABASE SUSDB TO DISK='C:\x\y.bak'\"" /f"#),
            vec!["schtasks", "/tr", r#"sqlcmd -E -Q "BACKUP DATABASE SUSDB TO DISK='C:\x\y.bak'""#, "/f"]
        );
        assert_eq!(split_args_crt(r#"a\\"b c" d\e"#), vec![r"a\b c", r"d\e"]);
        assert_eq!(split_args_crt(r#"np:\\.\pipe\x"#), vec![r"np:\\.\pipe\x"]);
    }
}
