//! A bordered text table, the shape of Java's `TTable`.

/// Renders `rows` (the first one a header when `header` is set) with `+---+` borders.
pub(crate) fn render(rows: &[Vec<String>], header: bool) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let border: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+\r\n";
    let mut out = border.clone();
    for (r, row) in rows.iter().enumerate() {
        for (i, width) in widths.iter().enumerate() {
            let cell = row.get(i).map(String::as_str).unwrap_or("");
            let pad = width - cell.chars().count();
            out.push_str(&format!("| {cell}{} ", " ".repeat(pad)));
        }
        out.push_str("|\r\n");
        if header && r == 0 {
            out.push_str(&border);
        }
    }
    out.push_str(&border);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn pads_every_cell_to_its_column() {
        let rows = vec![
            vec!["Provider Service Name".to_owned(), "PUB".to_owned()],
            vec!["a.B".to_owned(), "Y".to_owned()],
        ];
        let text = render(&rows, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "+-----------------------+-----+");
        assert_eq!(lines[1], "| Provider Service Name | PUB |");
        assert_eq!(lines[3], "| a.B                   | Y   |");
        assert_eq!(lines.len(), 5);
    }
}
