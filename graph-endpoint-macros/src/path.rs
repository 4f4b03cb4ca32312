//! Parses a path template such as
//! `/users(userPrincipalName='<upn>')/manager` into literal parts and
//! placeholders. On stable Rust a span cannot point inside a string literal,
//! so every message names the piece of the path it is about.

/// One piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    Placeholder {
        name: String,
        /// Inside an OData string literal (`'<name>'`): `'` in the value is doubled.
        quoted: bool,
    },
}

/// Parses `template`; returns the parts, or every mistake found.
pub fn parse(template: &str) -> Result<Vec<Part>, Vec<String>> {
    let mut errors = Vec::new();
    let mut parts = Vec::new();

    if !template.starts_with('/') {
        errors.push(format!(
            "the path must start with `/`: write \"/{}\"",
            template.trim_start_matches('/')
        ));
    }
    if template.len() > 1 && template.ends_with('/') {
        errors.push("the path ends with `/`: remove the trailing slash".to_owned());
    }
    if template.contains("//") {
        errors.push("the path has an empty segment `//`: remove one slash".to_owned());
    }
    if template.contains('?') {
        errors.push(
            "the path must not contain `?`: declare query parameters as arguments marked `#[query]`"
                .to_owned(),
        );
    }
    if template.contains('#') {
        errors.push(
            "the path must not contain `#`: a fragment is never sent to the server".to_owned(),
        );
    }
    if template.chars().any(char::is_whitespace) {
        errors.push(
            "the path contains whitespace: Graph paths have none; put spaces in argument values"
                .to_owned(),
        );
    }
    if let Some(c) = template.chars().find(|c| !c.is_ascii()) {
        errors.push(format!(
            "the path contains the non-ASCII character `{c}`: Graph paths are ASCII; pass such text as an argument value"
        ));
    }
    for segment in template.split('/').skip(1) {
        // A segment with a placeholder is filled at run time (and its value
        // encoded); only a wholly literal segment is checked here.
        if segment.contains('<') {
            continue;
        }
        let decoded = percent_decoded(segment);
        if decoded != "." && decoded != ".." {
            continue;
        }
        if segment == decoded {
            errors.push(format!(
                "the path has a `{segment}` segment: write the path it resolves to"
            ));
        } else {
            errors.push(format!(
                "the path has a `{segment}` segment, which is `{decoded}` percent-encoded: servers and HTTP libraries resolve it as `{decoded}`, so write the path it resolves to"
            ));
        }
    }

    let mut literal = String::new();
    let mut seen: Vec<String> = Vec::new();
    let mut quotes = 0usize;
    let mut chars = template.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '<' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '>' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if !closed {
                    errors.push(format!("unclosed placeholder `<{name}`: close it with `>`"));
                    break;
                }
                if let Some(message) = check_name(&name) {
                    errors.push(message);
                    continue;
                }
                if seen.contains(&name) {
                    errors.push(format!(
                        "placeholder `<{name}>` appears twice: each placeholder binds its own argument; rename one"
                    ));
                    continue;
                }
                seen.push(name.clone());
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Placeholder {
                    name,
                    quoted: quotes % 2 == 1,
                });
            }
            '>' => {
                errors.push("stray `>` in the path: placeholders are written `<name>`".to_owned())
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if closed {
                    errors.push(format!(
                        "`{{{name}}}` is the Graph docs' placeholder style: write `<{}>`",
                        snake_case(&name)
                    ));
                } else {
                    errors.push(format!(
                        "unclosed `{{{name}`: placeholders are written `<name>`"
                    ));
                }
            }
            '}' => {
                errors.push("stray `}` in the path: placeholders are written `<name>`".to_owned())
            }
            '%' => {
                let hex: String = chars.clone().take(2).map(|(_, c)| c).collect();
                if hex.len() == 2 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    literal.push('%');
                } else {
                    errors.push(
                        "`%` in the path must start an escape like `%24`; write the character itself instead".to_owned(),
                    );
                }
            }
            '"' | '\\' | '^' | '`' | '|' => errors.push(format!(
                "the path contains `{c}`, which is not allowed in a URL path: remove it"
            )),
            '\'' => {
                quotes += 1;
                literal.push(c);
            }
            _ if c.is_ascii_control() => {
                errors.push("the path contains a control character".to_owned());
            }
            _ => literal.push(c),
        }
    }
    if quotes % 2 == 1 {
        errors.push(
            "the path has an unclosed `'`: OData string literals are written `'<name>'`".to_owned(),
        );
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    if errors.is_empty() {
        Ok(parts)
    } else {
        Err(errors)
    }
}

/// `segment` with its `%XX` escapes decoded (an incomplete escape stays as it is).
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Keywords that cannot be raw identifiers, so no argument can be named so.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// A placeholder name must be an argument name. A keyword such as `type`
/// binds the raw argument `r#type`.
fn check_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty placeholder `<>`: name the argument it binds, like `<id>`".to_owned());
    }
    if name == "_" {
        return Some("placeholder `<_>` binds nothing: name the argument, like `<id>`".to_owned());
    }
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        if NOT_RAW.contains(&name) {
            return Some(format!(
                "placeholder `<{name}>` cannot name an argument (`{name}` is a keyword even as `r#{name}`): rename it"
            ));
        }
        return None;
    }
    let suggestion = snake_case(name);
    if !suggestion.is_empty() && suggestion != name && check_name(&suggestion).is_none() {
        Some(format!(
            "placeholder `<{name}>` is not an argument name; did you mean `<{suggestion}>`?"
        ))
    } else {
        Some(format!(
            "placeholder `<{name}>` is not an argument name: use letters, digits and `_`, like `<id>`"
        ))
    }
}

/// `item-path` and `memberId` become `item_path` and `member_id`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
            previous_lower = false;
        }
    }
    let trimmed = out.trim_end_matches('_');
    match trimmed.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("_{trimmed}"),
        _ => trimmed.to_owned(),
    }
}

/// How an argument bound by placeholder `name` is written: `r#type` for `<type>`.
pub fn argument_name(name: &str) -> String {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        name.to_owned()
    } else {
        format!("r#{name}")
    }
}

/// `token_validity_in_seconds` becomes `tokenValidityInSeconds`.
pub fn camel_case(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Literal(s.to_owned())
    }
    fn ph(name: &str, quoted: bool) -> Part {
        Part::Placeholder {
            name: name.to_owned(),
            quoted,
        }
    }

    #[test]
    fn placeholders_anywhere() {
        assert_eq!(
            parse("/reports/getEmailActivityUserDetail(period='<period>')").unwrap(),
            vec![
                lit("/reports/getEmailActivityUserDetail(period='"),
                ph("period", true),
                lit("')")
            ]
        );
        assert_eq!(
            parse("/me/drive/root:/<item_path>:/content").unwrap(),
            vec![
                lit("/me/drive/root:/"),
                ph("item_path", false),
                lit(":/content")
            ]
        );
        assert_eq!(
            parse("/groups/<id>/members/<member_id>/$ref").unwrap(),
            vec![
                lit("/groups/"),
                ph("id", false),
                lit("/members/"),
                ph("member_id", false),
                lit("/$ref")
            ]
        );
    }

    #[test]
    fn mistakes_are_all_reported() {
        let errors = parse("users/{id}/<>/<a-b>?x").unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors.iter().any(|e| e.contains("`<id>`")));
        assert!(errors.iter().any(|e| e.contains("did you mean `<a_b>`")));
    }

    #[test]
    fn encoded_dot_segments_are_refused() {
        for template in [
            "/things/%2e%2e/<id>",
            "/things/%2E%2E",
            "/things/.%2e/x",
            "/things/%2e./x",
            "/things/%2E%2e/x",
            "/things/%2e/x",
            "/things/%2E",
        ] {
            let errors = parse(template).unwrap_err();
            assert_eq!(errors.len(), 1, "{template}: {errors:#?}");
            assert!(
                errors[0].contains("percent-encoded") && errors[0].contains("resolves to"),
                "{template}: {errors:#?}"
            );
        }
        let errors = parse("/things/%2e%2e/x").unwrap_err();
        assert!(errors[0].contains("`%2e%2e` segment"), "{errors:#?}");
        assert!(errors[0].contains("`..`"), "{errors:#?}");
    }

    #[test]
    fn dots_that_are_not_a_whole_literal_segment_are_kept() {
        for template in [
            "/things/%2e%2e<id>",
            "/things/<id>%2e%2e",
            "/things/%2e%2ex",
            "/things/%2e%2e%2e",
            "/things/a.b/microsoft.graph.assign",
            "/things/%2f",
        ] {
            assert!(
                parse(template).is_ok(),
                "{template}: {:#?}",
                parse(template)
            );
        }
    }

    #[test]
    fn keyword_placeholders_bind_raw_arguments() {
        assert_eq!(
            parse("/things/<type>/<id>").unwrap(),
            vec![
                lit("/things/"),
                ph("type", false),
                lit("/"),
                ph("id", false)
            ]
        );
        assert_eq!(argument_name("type"), "r#type");
        assert_eq!(argument_name("id"), "id");
        for name in ["self", "Self", "super", "crate"] {
            let errors = parse(&format!("/things/<{name}>")).unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:#?}");
            assert!(errors[0].contains("even as `r#"), "{errors:#?}");
        }
    }

    #[test]
    fn case_conversions() {
        assert_eq!(snake_case("item-path"), "item_path");
        assert_eq!(snake_case("memberId"), "member_id");
        assert_eq!(
            snake_case("deviceManagementScriptId"),
            "device_management_script_id"
        );
        assert_eq!(
            camel_case("token_validity_in_seconds"),
            "tokenValidityInSeconds"
        );
        assert_eq!(camel_case("r#type"), "type");
    }
}
