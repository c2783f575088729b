//! A virtualised table: rows are built once per data refresh, filtering keeps a list of row
//! indexes, and drawing builds widgets only for the rows on screen, so 100k rows stay smooth.

use super::theme::Theme;
use crate::rules::Severity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Text;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: &'static str,
    pub width: Constraint,
}

pub const fn column(title: &'static str, width: Constraint) -> Column {
    Column { title, width }
}

/// How a row is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    Muted,
    Severity(Severity),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// Already sanitised.
    pub cells: Vec<String>,
    /// Identifies the row across refreshes, so the selection survives them.
    pub key: String,
    pub tone: Tone,
    /// Index of the item the row shows in the view's data (a finding, a binding, ...).
    pub source: usize,
    /// Lower-case text the filter searches.
    search: String,
}

impl TableRow {
    pub fn new(cells: Vec<String>, key: impl Into<String>, tone: Tone) -> Self {
        let search = cells.join(" ").to_lowercase();
        Self {
            cells,
            key: key.into(),
            tone,
            source: 0,
            search,
        }
    }

    pub fn source(mut self, index: usize) -> Self {
        self.source = index;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableModel {
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
    /// Indexes of the rows the filter keeps, in order.
    shown: Vec<usize>,
    /// Position in `shown`.
    selected: usize,
    /// First visible position in `shown`.
    offset: usize,
    filter: String,
}

impl TableModel {
    pub fn new(columns: Vec<Column>, rows: Vec<TableRow>) -> Self {
        let shown = (0..rows.len()).collect();
        Self {
            columns,
            rows,
            shown,
            selected: 0,
            offset: 0,
            filter: String::new(),
        }
    }

    /// Replace the rows, keeping the filter and, when the row still exists, the selection.
    pub fn replace_rows(&mut self, rows: Vec<TableRow>) {
        let key = self.selected_row().map(|r| r.key.clone());
        self.rows = rows;
        let filter = std::mem::take(&mut self.filter);
        self.set_filter(&filter);
        if let Some(key) = key {
            self.select_key(&key);
        }
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Keep the rows whose text contains every word of `query` (case-insensitive).
    pub fn set_filter(&mut self, query: &str) {
        self.filter = query.to_string();
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        self.shown = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| words.iter().all(|w| r.search.contains(w.as_str())))
            .map(|(i, _)| i)
            .collect();
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    /// Keep only rows passing `keep` as well as the text filter (view-specific facets).
    pub fn retain_shown(&mut self, keep: impl Fn(&TableRow) -> bool) {
        let rows = &self.rows;
        self.shown.retain(|i| keep(&rows[*i]));
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    pub fn len(&self) -> usize {
        self.shown.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    pub fn total(&self) -> usize {
        self.rows.len()
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.shown.get(self.selected).copied()
    }

    pub fn selected_row(&self) -> Option<&TableRow> {
        self.selected_index().map(|i| &self.rows[i])
    }

    pub fn selected_position(&self) -> usize {
        self.selected
    }

    pub fn select_key(&mut self, key: &str) {
        if let Some(pos) = self.shown.iter().position(|i| self.rows[*i].key == key) {
            self.selected = pos;
        }
    }

    /// Move the selection by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if self.shown.is_empty() {
            return;
        }
        let last = self.shown.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_position(&mut self, position: usize) {
        if !self.shown.is_empty() {
            self.selected = position.min(self.shown.len() - 1);
        }
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Scroll the view without moving the selection past what stays visible.
    pub fn scroll(&mut self, delta: isize, height: usize) {
        let max_offset = self.shown.len().saturating_sub(height.max(1));
        self.offset = self.offset.saturating_add_signed(delta).min(max_offset);
        if self.selected < self.offset {
            self.selected = self.offset;
        } else if height > 0 && self.selected >= self.offset + height {
            self.selected = self.offset + height - 1;
        }
    }

    /// Keep the selection inside a window of `height` rows.
    fn follow(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }

    /// The row position under a screen line of a table drawn at `area` (with its border and
    /// header), for mouse clicks.
    pub fn position_at(&self, area: Rect, y: u16) -> Option<usize> {
        let first = area.y + 2;
        if y < first || y >= area.y + area.height.saturating_sub(1) {
            return None;
        }
        let position = self.offset + usize::from(y - first);
        (position < self.shown.len()).then_some(position)
    }

    /// Draw the visible rows only.
    pub fn draw(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        title: &str,
        theme: &Theme,
        focused: bool,
    ) {
        let height = usize::from(area.height.saturating_sub(3));
        self.follow(height);
        let end = (self.offset + height).min(self.shown.len());
        let rows: Vec<Row> = self.shown[self.offset..end]
            .iter()
            .enumerate()
            .map(|(i, index)| {
                let row = &self.rows[*index];
                let style = if self.offset + i == self.selected && focused {
                    theme.selection
                } else {
                    match row.tone {
                        Tone::Plain => theme.base,
                        Tone::Muted => theme.muted,
                        Tone::Severity(s) => theme.severity(s),
                    }
                };
                Row::new(row.cells.iter().map(|c| Cell::from(Text::raw(c.as_str())))).style(style)
            })
            .collect();
        let header = Row::new(self.columns.iter().map(|c| Cell::from(c.title))).style(theme.accent);
        let counter = if self.filter.is_empty() {
            format!(" {} [{}] ", title, self.rows.len())
        } else {
            format!(
                " {} [{}/{}] /{} ",
                title,
                self.shown.len(),
                self.rows.len(),
                self.filter
            )
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(if focused { theme.accent } else { theme.border })
            .title(counter);
        let table = Table::new(rows, self.columns.iter().map(|c| c.width))
            .header(header)
            .block(block)
            .style(theme.base)
            .column_spacing(1);
        frame.render_widget(table, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(n: usize) -> TableModel {
        let rows = (0..n)
            .map(|i| {
                TableRow::new(
                    vec![
                        format!("row-{i}"),
                        if i % 2 == 0 {
                            "even".into()
                        } else {
                            "odd".into()
                        },
                    ],
                    format!("k{i}"),
                    Tone::Plain,
                )
            })
            .collect();
        TableModel::new(
            vec![
                column("NAME", Constraint::Length(10)),
                column("PARITY", Constraint::Length(6)),
            ],
            rows,
        )
    }

    #[test]
    fn filtering_keeps_matching_rows_and_clamps_the_selection() {
        let mut m = model(10);
        m.move_by(9);
        m.set_filter("EVEN");
        assert_eq!(m.len(), 5);
        assert_eq!(m.selected_row().unwrap().cells[0], "row-8");
        m.set_filter("row-1 odd");
        assert_eq!(m.len(), 1);
        m.set_filter("nothing matches");
        assert!(m.selected_row().is_none());
        m.move_by(1);
    }

    #[test]
    fn the_selection_survives_a_refresh_by_key() {
        let mut m = model(10);
        m.move_by(3);
        let mut rows = model(12).rows;
        rows.reverse();
        m.replace_rows(rows);
        assert_eq!(m.selected_row().unwrap().key, "k3");
    }

    #[test]
    fn following_and_clicking_map_rows_to_screen_lines() {
        let mut m = model(100);
        m.move_by(50);
        m.follow(10);
        assert_eq!(m.offset(), 41);
        let area = Rect::new(0, 0, 40, 13);
        assert_eq!(m.position_at(area, 2), Some(41));
        assert_eq!(m.position_at(area, 1), None);
        m.scroll(100, 10);
        assert_eq!(m.offset(), 90);
        assert!(m.selected_position() >= 90);
    }
}
