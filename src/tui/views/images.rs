//! The Images view (being written).

use super::BuildInput;
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::Binding;
use crate::tui::table::TableModel;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Text;

pub const BINDINGS: &[Binding] = &[];

#[derive(Default)]
pub struct Data;

#[derive(Default)]
pub struct State {
    pub table: TableModel,
}

pub fn build(_input: &BuildInput) -> Data {
    Data
}

pub fn take(_state: &mut State, _data: &mut Data) {}

pub fn table(state: &mut State) -> Option<&mut TableModel> {
    Some(&mut state.table)
}

pub fn handle(_app: &mut App, _name: &str) -> Option<Vec<Effect>> {
    None
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    super::placeholder(frame, area, "Images", "Not built yet.", &app.theme);
}

pub fn detail(_app: &App) -> Option<Text<'static>> {
    None
}
