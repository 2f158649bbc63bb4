//! ARM template expressions (`"[concat(parameters('a'), '-x')]"`): the parser. Syntax from
//! "Syntax and expressions in ARM templates" (learn.microsoft.com, azure-resource-manager/
//! templates/template-expressions): a JSON string that starts with `[` and ends with `]` is an
//! expression unless it starts with `[[` (an escaped literal); inside are function calls,
//! single-quoted strings (`''` escapes a quote), integers, `.property` and `[index]`.
//!
//! Pure: no IO, no evaluation (see `eval.rs`).

/// Deepest nesting of calls, members and indexes a parsed expression may have (each `.name` and
/// `[index]` of a chain counts one): parsing, evaluating and dropping an expression recurse once
/// per level.
const MAX_DEPTH: usize = 64;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `'text'`.
    Str(String),
    /// `42`, `-1`.
    Int(i64),
    /// `true`, `false` (ARM also accepts them bare).
    Bool(bool),
    /// `null`.
    Null,
    /// `name(args…)`, the name lower-cased (ARM function names are case-insensitive).
    Call(String, Vec<Expr>),
    /// `expr.name`.
    Member(Box<Expr>, String),
    /// `expr[index]`.
    Index(Box<Expr>, Box<Expr>),
}

/// What a template string is: an expression, or a literal (with `[[` unescaped).
pub enum Text<'a> {
    Expression(&'a str),
    Literal(std::borrow::Cow<'a, str>),
}

/// Classifies a template string.
pub fn classify(s: &str) -> Text<'_> {
    if let Some(rest) = s.strip_prefix("[[") {
        return Text::Literal(format!("[{rest}").into());
    }
    match s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) => Text::Expression(inner),
        None => Text::Literal(s.into()),
    }
}

/// Parses the inside of `[…]`.
pub fn parse(src: &str) -> Result<Expr, String> {
    let mut p = Parser {
        chars: src.chars().collect(),
        pos: 0,
    };
    let e = p.expr(0)?;
    p.ws();
    if p.pos != p.chars.len() {
        return Err(format!(
            "The template language expression '{src}' is not valid: unexpected '{}' at position {}.",
            p.chars[p.pos], p.pos
        ));
    }
    Ok(e)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        let src: String = self.chars.iter().collect();
        Err(format!(
            "The template language expression '{src}' is not valid: {what} at position {}.",
            self.pos
        ))
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return self.fail("the expression is nested too deeply");
        }
        let mut e = self.primary(depth)?;
        let mut depth = depth;
        loop {
            if depth > MAX_DEPTH {
                return self.fail("the expression is nested too deeply");
            }
            depth += 1;
            if self.eat('.') {
                self.ws();
                let name = self.ident();
                if name.is_empty() {
                    return self.fail("a property name is expected");
                }
                e = Expr::Member(Box::new(e), name);
            } else if self.eat('[') {
                let index = self.expr(depth + 1)?;
                if !self.eat(']') {
                    return self.fail("']' is expected");
                }
                e = Expr::Index(Box::new(e), Box::new(index));
            } else {
                return Ok(e);
            }
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, String> {
        self.ws();
        match self.peek() {
            Some('\'') => self.string(),
            Some(c) if c.is_ascii_digit() || c == '-' => self.int(),
            Some(c) if c.is_ascii_alphabetic() => {
                let name = self.ident();
                if !self.eat('(') {
                    return match name.to_ascii_lowercase().as_str() {
                        "true" => Ok(Expr::Bool(true)),
                        "false" => Ok(Expr::Bool(false)),
                        "null" => Ok(Expr::Null),
                        _ => self.fail(&format!("'(' is expected after '{name}'")),
                    };
                }
                let mut args = Vec::new();
                if !self.eat(')') {
                    loop {
                        args.push(self.expr(depth + 1)?);
                        if self.eat(')') {
                            break;
                        }
                        if !self.eat(',') {
                            return self.fail("',' or ')' is expected");
                        }
                    }
                }
                Ok(Expr::Call(name.to_ascii_lowercase(), args))
            }
            _ => self.fail("a function, string or number is expected"),
        }
    }

    fn string(&mut self) -> Result<Expr, String> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return self.fail("the string is not terminated"),
                Some('\'') if self.chars.get(self.pos + 1) == Some(&'\'') => {
                    out.push('\'');
                    self.pos += 2;
                }
                Some('\'') => {
                    self.pos += 1;
                    return Ok(Expr::Str(out));
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn int(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        self.pos += 1;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match text.parse() {
            Ok(n) => Ok(Expr::Int(n)),
            Err(_) => self.fail(&format!("'{text}' is not an integer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(name.into(), args)
    }

    #[test]
    fn parses_calls_strings_members_and_indexes() {
        assert_eq!(
            parse("concat(parameters('a'), 'it''s', -3)"),
            Ok(call(
                "concat",
                vec![
                    call("parameters", vec![Expr::Str("a".into())]),
                    Expr::Str("it's".into()),
                    Expr::Int(-3)
                ]
            ))
        );
        assert_eq!(
            parse("subscription().tenantId"),
            Ok(Expr::Member(
                Box::new(call("subscription", vec![])),
                "tenantId".into()
            ))
        );
        assert_eq!(
            parse("If(true, variables('x')[0], null)"),
            Ok(call(
                "if",
                vec![
                    Expr::Bool(true),
                    Expr::Index(
                        Box::new(call("variables", vec![Expr::Str("x".into())])),
                        Box::new(Expr::Int(0))
                    ),
                    Expr::Null
                ]
            ))
        );
    }

    #[test]
    fn malformed_expressions_are_errors_not_panics() {
        for bad in [
            "",
            "concat(",
            "concat('a'",
            "'open",
            "name",
            "a(b)",
            "f()x",
            "f(1,)",
            "f().",
            "f()[1",
            "99999999999999999999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}1{}", "f(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).is_err());
        // A long member or index chain is as deep as nested calls.
        assert!(parse(&format!("f(){}", ".a".repeat(2000))).is_err());
        assert!(parse(&format!("f(){}", "[0]".repeat(2000))).is_err());
        assert!(parse(&format!("f(){}", ".a".repeat(30))).is_ok());
    }

    #[test]
    fn double_bracket_is_a_literal() {
        assert!(matches!(classify("[[x]"), Text::Literal(s) if s == "[x]"));
        assert!(matches!(classify("[f()]"), Text::Expression("f()")));
        assert!(matches!(classify("plain"), Text::Literal(s) if s == "plain"));
    }
}
