//! A virtualised table: rows are built once per data refresh, filtering keeps a list of row
//! indexes, and drawing builds widgets only for the rows on screen, so 100k rows stay smooth.

use super::theme::Theme;
use aigov_core::rules::Severity;
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
        let visible = self.shown[self.offset..end]
            .iter()
            .map(|index| self.rows[*index].cells.as_slice());
        let widths = fit_widths(&self.columns, visible, area.width.saturating_sub(2));
        let table = Table::new(rows, widths.into_iter().map(Constraint::Length))
            .header(header)
            .block(block)
            .style(theme.base)
            .column_spacing(1);
        frame.render_widget(table, area);
    }
}

/// Column widths for the rows on screen, as k9s sizes them: each column as wide as its
/// title and its widest visible cell. When that does not fit in `available` columns, a
/// `Length(n)` column is held to `n` first; if it still does not fit, the widest columns are
/// cut first, down to a common width, so short columns (a tag, a severity) stay whole and long
/// ones (an image, a title) are truncated. Room left over goes to the cut columns, then to
/// the last column.
pub fn fit_widths<'a>(
    columns: &[Column],
    rows: impl Iterator<Item = &'a [String]>,
    available: u16,
) -> Vec<u16> {
    let mut natural: Vec<usize> = columns.iter().map(|c| text_width(c.title)).collect();
    for cells in rows {
        for (want, cell) in natural.iter_mut().zip(cells) {
            *want = (*want).max(text_width(cell));
        }
    }
    let spacing = columns.len().saturating_sub(1);
    let room = usize::from(available).saturating_sub(spacing);
    let wanted: Vec<usize> = if natural.iter().sum::<usize>() <= room {
        natural.clone()
    } else {
        natural
            .iter()
            .zip(columns)
            .map(|(want, column)| match column.width {
                Constraint::Length(cap) => (*want).min(usize::from(cap)),
                _ => *want,
            })
            .collect()
    };
    // The largest common width `level` with sum(min(want, level)) <= room.
    let fits = |level: usize| wanted.iter().map(|w| (*w).min(level)).sum::<usize>() <= room;
    let (mut low, mut high) = (0, wanted.iter().copied().max().unwrap_or(0));
    while low < high {
        let middle = (low + high).div_ceil(2);
        if fits(middle) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let mut widths: Vec<usize> = wanted.iter().map(|w| (*w).min(low)).collect();
    let mut left = room.saturating_sub(widths.iter().sum());
    for (width, want) in widths.iter_mut().zip(&natural) {
        let more = want.saturating_sub(*width).min(left);
        *width += more;
        left -= more;
    }
    if let Some(last) = widths.last_mut() {
        *last += left;
    }
    widths
        .into_iter()
        .map(|w| u16::try_from(w).unwrap_or(u16::MAX))
        .collect()
}

fn text_width(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
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

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn columns_fit_their_content_and_the_widest_are_cut_first() {
        let columns = vec![
            column("SEV", Constraint::Length(8)),
            column("IMAGE", Constraint::Percentage(50)),
            column("TAG", Constraint::Percentage(20)),
        ];
        let rows = cells(&[
            &[
                "high",
                "registry.example.com/team/very-long-image-name",
                "latest",
            ],
            &["critical", "short", "v1.2.3"],
        ]);
        let visible = || rows.iter().map(|r| r.as_slice());
        // Wide enough: content widths, the rest to the last column.
        assert_eq!(fit_widths(&columns, visible(), 80), vec![8, 46, 24]);
        // Narrow: the image is cut, the severity and the tag stay whole.
        let narrow = fit_widths(&columns, visible(), 30);
        assert_eq!(narrow, vec![8, 14, 6]);
        assert_eq!(narrow.iter().sum::<u16>() + 2, 30);
        // A Length column keeps its content when there is room, and is held to its length
        // before anything else is cut when there is not.
        let two = [
            column("A", Constraint::Length(3)),
            column("B", Constraint::Min(1)),
        ];
        let wide_cells = cells(&[&["abcdef", "0123456789"]]);
        let fit = |room| fit_widths(&two, wide_cells.iter().map(|r| r.as_slice()), room);
        assert_eq!(fit(20), vec![6, 13]);
        assert_eq!(fit(14), vec![3, 10]);
        assert_eq!(fit(10), vec![3, 6]);
        // Hopelessly narrow: nothing panics and nothing exceeds the room.
        let tiny = fit_widths(&columns, visible(), 4);
        assert!(tiny.iter().sum::<u16>() <= 4);
    }
}
