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
        if segment == "." || segment == ".." {
            errors.push(format!(
                "the path has a `{segment}` segment: write the path it resolves to"
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

/// A placeholder name must be an argument name.
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
        if syn::parse_str::<syn::Ident>(name).is_err() {
            return Some(format!(
                "placeholder `<{name}>` is a Rust keyword and cannot name an argument: rename it"
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
