//! The audit log view. The remediation flow that writes the trail comes later; until then the
//! view says so rather than showing an empty table.

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
pub struct State;

pub fn build(_input: &BuildInput) -> Data {
    Data
}

pub fn take(_state: &mut State, _data: &mut Data) {}

pub fn table(_state: &mut State) -> Option<&mut TableModel> {
    None
}

pub fn handle(_app: &mut App, _name: &str) -> Option<Vec<Effect>> {
    None
}

pub fn draw(app: &mut App, frame: &mut Frame, area: Rect) {
    super::placeholder(
        frame,
        area,
        "Audit log",
        "No entries. aigov has made no changes to this cluster: remediation (stage, review, apply, \
         roll back) and its tamper-evident audit trail are not part of this version yet. \
         Everything shown so far was read, never written.",
        &app.theme,
    );
}

pub fn detail(_app: &App) -> Option<Text<'static>> {
    None
}
