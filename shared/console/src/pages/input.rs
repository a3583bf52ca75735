//! Figures as people type them into a form: `1.250.000,50`, `1,250,000.50`, `12,5` or `24`.

/// A decimal figure split at its decimal mark, digits only.
#[derive(Debug, PartialEq, Eq)]
struct Figure {
    whole: String,
    fraction: String,
}

/// Reads a figure in either convention. The last `.` or `,` is the decimal mark unless exactly
/// three digits follow it (then it groups thousands, as in `1.250`); every other `.`, `,` or
/// space groups thousands, in groups of three. Signs and anything else are refused.
fn figure(text: &str) -> Option<Figure> {
    let text: String = text.trim().chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let decimal = text.rfind(['.', ',']).filter(|&at| text.len() - at - 1 != 3);
    let (whole, fraction) = match decimal {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text.as_str(), ""),
    };
    let groups: Vec<&str> = whole.split(['.', ',']).collect();
    let grouped = groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    let whole = groups.concat();
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !grouped || !digits(&whole) || !digits(fraction) {
        return None;
    }
    Some(Figure { whole, fraction: fraction.to_owned() })
}

/// An amount in minor units of a currency with `exponent` decimals (2 for colones and dollars,
/// 0 for Chilean pesos); more decimals than the currency has are refused, not rounded.
pub fn parse_amount(text: &str, exponent: u32) -> Option<i64> {
    let Figure { whole, fraction } = figure(text)?;
    if fraction.len() > exponent as usize {
        return None;
    }
    let scale = 10i64.checked_pow(exponent)?;
    let fraction = format!("{fraction:0<width$}", width = exponent as usize);
    let fraction = if fraction.is_empty() { 0 } else { fraction.parse::<i64>().ok()? };
    whole.parse::<i64>().ok()?.checked_mul(scale)?.checked_add(fraction)
}

/// A number for a numeric field: whole numbers stay integers in JSON (`24`, not `24.0`).
pub fn parse_number(text: &str) -> Option<serde_json::Number> {
    let Figure { whole, fraction } = figure(text)?;
    if fraction.trim_end_matches('0').is_empty() {
        return whole.parse::<i64>().ok().map(Into::into);
    }
    format!("{whole}.{fraction}").parse::<f64>().ok().and_then(serde_json::Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_either_convention() {
        assert_eq!(parse_amount("1.250.000,50", 2), Some(125_000_050));
        assert_eq!(parse_amount("1,250,000.50", 2), Some(125_000_050));
        assert_eq!(parse_amount("1 250 000", 2), Some(125_000_000));
        assert_eq!(parse_amount("1.250", 2), Some(125_000), "three digits after the mark group thousands");
        assert_eq!(parse_amount("12,5", 2), Some(1_250));
        assert_eq!(parse_amount("15000", 0), Some(15_000));
        assert_eq!(parse_amount("150,5", 0), None, "pesos have no decimals");
        for bad in ["", "-5", "12a", "1,2,3,4", "99999999999999999999"] {
            assert_eq!(parse_amount(bad, 2), None, "{bad}");
        }
    }

    #[test]
    fn numbers_keep_integers_whole() {
        assert_eq!(parse_number("24"), Some(24.into()));
        assert_eq!(parse_number("24,0"), Some(24.into()));
        assert_eq!(parse_number("123.456"), Some(123_456.into()));
        assert_eq!(parse_number("12,5").map(|n| n.as_f64()), Some(Some(12.5)));
        assert_eq!(parse_number("doce"), None);
    }
}
