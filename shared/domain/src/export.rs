//! Files people open in a spreadsheet. Every CSV Gestiona hands out is written here, so every
//! cell is made safe: a text a spreadsheet would run as a formula is shown as text instead.

/// A cell as it may go into a file a spreadsheet opens: a text a spreadsheet would run as a
/// formula (leading `=`, `+`, `-`, `@`, tab or carriage return) gets a leading apostrophe, which
/// spreadsheets show as text; a plain number such as `-12.50` is left as it is.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<f64>().is_ok_and(f64::is_finite);
    if risky && !number { format!("'{cell}").into() } else { cell.into() }
}

/// The rows as CSV (RFC 4180 quoting), every cell spreadsheet-safe.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for risky in ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(spreadsheet_safe(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["Ferretería El Clavo", "-12.50", "+34", "1250000.00", "", "a=b"] {
            assert_eq!(spreadsheet_safe(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn every_cell_goes_through_the_safe_writer() {
        let rows = vec![
            vec!["name".to_owned(), "total".to_owned()],
            vec!["=cmd|' /C calc'!A0".to_owned(), "-5".to_owned()],
            vec!["Café, \"El Clavo\"".to_owned(), "1".to_owned()],
        ];
        assert_eq!(csv(&rows), "name,total\n'=cmd|' /C calc'!A0,-5\n\"Café, \"\"El Clavo\"\"\",1\n");
    }
}
