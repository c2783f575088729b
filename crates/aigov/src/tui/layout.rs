//! Where things go on screen, computed the same way for drawing and for mouse clicks.

use super::view::ViewId;
use ratatui::layout::{Constraint, Layout, Rect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    /// The detail pane, when open (part of what would be the body).
    pub detail: Option<Rect>,
    pub status: Rect,
    pub hints: Rect,
}

pub fn areas(size: (u16, u16), detail: bool) -> Areas {
    let screen = Rect::new(0, 0, size.0, size.1);
    let [header, tabs, main, status, hints] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(screen);
    let (body, detail) = if detail {
        // Side by side when wide; stacked when narrow.
        if main.width >= 120 {
            let [body, pane] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(main);
            (body, Some(pane))
        } else {
            let [body, pane] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(main);
            (body, Some(pane))
        }
    } else {
        (main, None)
    };
    Areas {
        header,
        tabs,
        body,
        detail,
        status,
        hints,
    }
}

/// Rows a full-height table shows, for page up and down.
pub fn table_height(size: (u16, u16)) -> u16 {
    areas(size, false).body.height.saturating_sub(3)
}

/// The tab labels, in order: `1 Overview`, `2 Namespaces`, ...; the short titles when the full
/// ones do not fit in `width` columns (each label is followed by one space).
pub fn tab_labels(width: u16) -> Vec<String> {
    let labels = |title: fn(ViewId) -> &'static str, pad: &str| -> Vec<String> {
        ViewId::ALL
            .iter()
            .enumerate()
            .map(|(i, v)| format!(" {} {}{pad}", i + 1, title(*v)))
            .collect()
    };
    let full = labels(ViewId::title, " ");
    let needed: usize = full.iter().map(|l| l.chars().count() + 1).sum();
    if needed <= usize::from(width) {
        full
    } else {
        labels(ViewId::short_title, "")
    }
}

/// The view whose tab is under column `x`.
pub fn tab_at(tabs: Rect, x: u16) -> Option<ViewId> {
    let mut start = tabs.x;
    for (label, view) in tab_labels(tabs.width).iter().zip(ViewId::ALL) {
        let width = label.chars().count() as u16 + 1;
        if x >= start && x < start + width {
            return Some(view);
        }
        start += width;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_fill_the_screen_and_the_detail_pane_splits_the_body() {
        let a = areas((160, 48), false);
        assert_eq!(a.header.y, 0);
        assert_eq!(a.hints.y, 47);
        assert!(a.detail.is_none());
        let b = areas((160, 48), true);
        assert_eq!(b.detail.unwrap().y, b.body.y, "side by side when wide");
        let c = areas((80, 24), true);
        assert!(c.detail.unwrap().y > c.body.y, "stacked when narrow");
    }

    #[test]
    fn tabs_map_columns_to_views() {
        let tabs = Rect::new(0, 2, 160, 1);
        assert_eq!(tab_at(tabs, 1), Some(ViewId::Overview));
        let second = tab_labels(160)[0].chars().count() as u16 + 2;
        assert_eq!(tab_at(tabs, second), Some(ViewId::Namespaces));
        assert_eq!(tab_at(tabs, 159), None);
        // At 80 columns the short titles fit, and clicks follow them.
        let narrow = Rect::new(0, 2, 80, 1);
        let labels = tab_labels(80);
        let total: usize = labels.iter().map(|l| l.chars().count() + 1).sum();
        assert!(total <= 80, "{labels:?}");
        assert!(labels[7].contains("8 Log"));
        assert_eq!(tab_at(narrow, total as u16 - 2), Some(ViewId::AuditLog));
    }
}
