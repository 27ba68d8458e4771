//! `agentwire rules`: every rule of the checker, its stable id, severity, scope and description.

use agentwire::Rule;
use serde::Serialize;

use crate::report::ReportError;

/// The width of the severity column (`warning`).
const SEVERITY_WIDTH: usize = 7;
/// The width of the scope column (`connection`).
const SCOPE_WIDTH: usize = 10;

/// One line per rule, in the order of docs/rules.md, columns aligned:
/// `tool-never-completed              error    run         A run stopped being active ...`.
pub(crate) fn render_text() -> String {
    let width = Rule::ALL.iter().map(|rule| rule.id().len()).max().unwrap_or_default();
    Rule::ALL
        .iter()
        .map(|rule| {
            format!(
                "{:<width$}  {:<SEVERITY_WIDTH$}  {:<SCOPE_WIDTH$}  {}\n",
                rule.id(),
                rule.severity().as_str(),
                rule.scope().as_str(),
                rule.description()
            )
        })
        .collect()
}

#[derive(Serialize)]
struct JsonRule {
    id: &'static str,
    severity: &'static str,
    scope: &'static str,
    description: &'static str,
}

/// A JSON array of `{"id", "severity", "scope", "description"}`, in the order of docs/rules.md.
///
/// # Errors
/// [`ReportError::Json`] if encoding fails (it does not, for these types).
pub(crate) fn render_json() -> Result<String, ReportError> {
    let rules: Vec<JsonRule> = Rule::ALL
        .iter()
        .map(|rule| JsonRule {
            id: rule.id(),
            severity: rule.severity().as_str(),
            scope: rule.scope().as_str(),
            description: rule.description(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rules)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_every_rule_once_with_aligned_columns() {
        let text = render_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), Rule::ALL.len());
        let column = lines[0].find("  error").unwrap();
        for (line, rule) in lines.iter().zip(Rule::ALL) {
            assert!(line.starts_with(rule.id()), "{line}");
            assert_eq!(
                &line[column + 2..column + 2 + rule.severity().as_str().len()],
                rule.severity().as_str()
            );
            let scope = column + 2 + SEVERITY_WIDTH + 2;
            assert_eq!(
                line[scope..scope + SCOPE_WIDTH].trim_end(),
                rule.scope().as_str(),
                "{line}"
            );
        }
    }
}
